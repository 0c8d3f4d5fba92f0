#!/usr/bin/env python3
"""Generate a large Nomad /v1/allocations response for allocscope's benchmark.

    python3 scripts/gen_bench.py --seed 42 --count 50000 --out target/bench/data/50k.json

Writes one JSON array of AllocListStub objects in Nomad's wire format (what
`GET /v1/allocations` answers on a Nomad 1.x agent): compact, keys sorted (an
agent built without codecgen), every field present (the list stub has no
omitempty), int64 nanosecond times (`CreateTime`, `ModifyTime`, `TaskEvent.Time`,
`RescheduleEvent.RescheduleTime`) written as exact integers above 2^53, and
RFC 3339 strings for TaskState and DeploymentStatus times. TaskEvents carry all
of Nomad's TaskEvent fields and a DisplayMessage computed the way the agent
computes it (the same rules as scripts/gen_demo.py).

The cluster behind it: about 1,000 jobs (service, batch, system) in 3
namespaces, about 500 client nodes in 3 datacenters, 1 to 3 tasks per group,
2 to 8 events per task (the client would keep up to 10), and a mix of running,
complete, failed, pending, lost and unknown allocations, some rescheduled.

Deterministic: the same --seed and --count give the same bytes, on any
machine (only `random.Random(seed)` and integer arithmetic). Standard library
only. Prints the file size and bytes per stub on standard error.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys

# Time units in nanoseconds, and BASE (2026-11-24T09:00:00Z), the instant the snapshot was
# "taken": the demo generator's, so both describe the same moment.
from gen_demo import BASE, DAY, HOUR, MIN, MS, US, S
# Allocations were created over the 30 days before BASE.
SPAN = 30 * DAY

NAMESPACES = [("default", 60), ("platform", 25), ("data", 15)]
DCS = ["eu-1a", "eu-1b", "eu-1c"]
N_JOBS = 1000
N_NODES = 500

WORDS_A = ["api", "billing", "payments", "search", "auth", "catalog", "checkout", "orders",
           "inventory", "ledger", "notify", "profile", "media", "report", "ingest", "export",
           "gateway", "metrics", "audit", "session", "pricing", "shipping", "fraud", "geo",
           "feed", "ranking", "mailer", "webhook", "scheduler", "storage"]
WORDS_B = ["web", "worker", "sync", "cron", "backfill", "consumer", "proxy", "indexer",
           "compactor", "exporter", "relay", "cache", "router", "loader", "sweeper"]
IMAGES = {
    "web": "ghcr.io/example/{job}:{ver}",
    "worker": "ghcr.io/example/{job}-worker:{ver}",
    "envoy": "envoyproxy/envoy:v1.31.2",
    "vector": "timberio/vector:0.41.1-debian",
    "migrate": "ghcr.io/example/{job}-migrate:{ver}",
    "redis": "redis:7.4.1-alpine",
    "node-exporter": "prom/node-exporter:v1.8.2",
}
# Group shapes: (group name, [task names]); weighted so most groups run one task.
GROUP_SHAPES = [
    (50, "app", ["web"]),
    (12, "workers", ["worker"]),
    (14, "app", ["web", "envoy"]),
    (6, "cache", ["redis"]),
    (8, "app", ["web", "envoy", "vector"]),
    (6, "workers", ["migrate", "worker"]),
    (4, "workers", ["worker", "vector"]),
]


# ---------------------------------------------------------------------------
# Go formatting and task events: from scripts/gen_demo.py, so both generators write
# times, durations and TaskEvents (with Nomad's DisplayMessage) from one definition.
# ---------------------------------------------------------------------------
from gen_demo import REASON_WITHIN_POLICY, _event, go_duration, rfc3339  # noqa: E402


def event(etype, t, details, **fields):
    """A TaskEvent with every field, DisplayMessage set as Nomad's Set* helpers set it."""
    return _event(etype, t, details, **fields)


def ev_terminated(t, code, oom=False, signal=0):
    msg = "OOM Killed" if oom else (
        "Docker container exited with non-zero exit code: %d" % code if code else "")
    d = {"exit_code": str(code), "oom_killed": "true" if oom else "false", "signal": str(signal)}
    if msg:
        d["exit_message"] = msg
    return event("Terminated", t, d, ExitCode=code, Signal=signal, Message=msg)


def ev_restarting(t, delay):
    return event("Restarting", t, {"restart_reason": REASON_WITHIN_POLICY, "start_delay": str(delay)},
                 RestartReason=REASON_WITHIN_POLICY, StartDelay=delay)


def ev_killing(t, timeout, reason=""):
    d = {"kill_timeout": go_duration(timeout)}
    if reason:
        d["kill_reason"] = reason
    return event("Killing", t, d, KillTimeout=timeout, KillReason=reason)


# ---------------------------------------------------------------------------
# The generator
# ---------------------------------------------------------------------------

class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)
        r = self.r
        self.nodes = []
        for i in range(N_NODES):
            dc = DCS[i % len(DCS)]
            self.nodes.append((self.uuid(), "nomad-client-%s-%03d" % (dc, i // len(DCS) + 1)))
        self.jobs = []
        names = set()
        ns_names = [n for n, _ in NAMESPACES]
        ns_weights = [w for _, w in NAMESPACES]
        while len(self.jobs) < N_JOBS:
            name = "%s-%s" % (r.choice(WORDS_A), r.choice(WORDS_B))
            if name in names:
                name = "%s-%d" % (name, len(self.jobs))
            names.add(name)
            jtype = r.choices(["service", "batch", "system"], [75, 20, 5])[0]
            shape = r.choices(GROUP_SHAPES, [w for w, _, _ in GROUP_SHAPES])[0]
            group, tasks = shape[1], list(shape[2])
            if jtype == "system":
                group, tasks = "agent", r.choice([["node-exporter"], ["vector"], ["node-exporter", "vector"]])
            self.jobs.append({
                "id": name,
                "ns": r.choices(ns_names, ns_weights)[0],
                "type": jtype,
                "group": group,
                "tasks": tasks,
                "version": r.choice([0, 1, 1, 2, 3, 4, 7, 12, 31]),
                # Popular jobs run many allocations: a skewed pick, not a uniform one.
                "weight": r.paretovariate(1.2),
            })
        self.job_weights = [j["weight"] for j in self.jobs]
        self.index = 1_000_000

    def uuid(self):
        h = "%032x" % self.r.getrandbits(128)
        return "%s-%s-%s-%s-%s" % (h[:8], h[8:12], h[12:16], h[16:20], h[20:])

    def jit(self, lo, hi):
        return self.r.randint(lo, hi)

    # -- one task's history -------------------------------------------------
    def image(self, job, task):
        return IMAGES.get(task, "ghcr.io/example/{job}:{ver}").format(
            job=job["id"], ver="1.%d.%d" % (job["version"], self.r.randint(0, 9)))

    def boot(self, t, job, task, pull):
        evs = [event("Received", t, {})]
        t += self.jit(1 * MS, 4 * MS)
        msg = "Building Task Directory"
        evs.append(event("Task Setup", t, {"message": msg}, Message=msg))
        if pull:
            t += self.jit(15 * MS, 90 * MS)
            evs.append(event("Driver", t, {"image": self.image(job, task)}, DriverMessage="Downloading image"))
            t += self.jit(1800 * MS, 9 * S)
        else:
            t += self.jit(90 * MS, 700 * MS)
        evs.append(event("Started", t, {}))
        return evs, t

    def restarts(self, evs, t, n, job, task):
        """n crash/restart cycles: Terminated, Restarting, Started (3 events each)."""
        for _ in range(n):
            t += self.jit(30 * S, 6 * HOUR)
            code = self.r.choice([1, 1, 2, 137, 139])
            evs.append(ev_terminated(t, code, oom=(code == 137)))
            t += self.jit(1 * MS, 5 * MS)
            delay = self.jit(15 * S, 25 * S)
            evs.append(ev_restarting(t, delay))
            t += delay + self.jit(5 * MS, 900 * MS)
            evs.append(event("Started", t, {}))
        return t

    def stop(self, evs, t, reason=""):
        timeout = self.r.choice([5 * S, 5 * S, 10 * S, 30 * S])
        evs.append(ev_killing(t, timeout, reason))
        t += self.jit(150 * MS, 2400 * MS)
        evs.append(ev_terminated(t, 0, signal=self.r.choice([0, 15])))
        t += self.jit(5 * MS, 60 * MS)
        evs.append(event("Killed", t, {}))
        return t

    def task_state(self, evs, state, failed):
        restarts = [e for e in evs if e["Type"] == "Restarting"]
        started = [e for e in evs if e["Type"] == "Started"]
        finished = None
        if state == "dead":
            finished = rfc3339(max(e["Time"] for e in evs) + self.jit(20 * US, 900 * US))
        return {
            "Events": evs[-10:],
            "Failed": failed,
            "FinishedAt": finished,
            "LastRestart": rfc3339(restarts[-1]["Time"]) if restarts else None,
            "Paused": "",
            "Restarts": len(restarts),
            "StartedAt": rfc3339(started[-1]["Time"] + self.jit(900, 90_000)) if started else None,
            "State": state,
        }

    # -- one allocation ------------------------------------------------------
    def alloc(self, create_t):
        r = self.r
        job = r.choices(self.jobs, self.job_weights)[0]
        node_id, node_name = r.choice(self.nodes)
        status = r.choices(
            ["running", "complete", "failed", "pending", "lost", "unknown"],
            # Mostly running: the servers garbage-collect terminal allocations after hours.
            [70, 15, 6, 3, 4, 2])[0]
        if job["type"] == "batch" and status == "running" and r.random() < 0.5:
            status = "complete"
        # Most placements find the image already on the node.
        pull = r.random() < 0.25
        states = {}
        last_t = create_t
        failed_task = None
        for i, task in enumerate(job["tasks"]):
            t0 = create_t + self.jit(2 * MS, 40 * MS) + i * self.jit(1 * MS, 3 * MS)
            evs, t = self.boot(t0, job, task, pull)
            failed = False
            if status == "pending":
                # Still pulling the image: Received, Task Setup (and the Driver event).
                evs = evs[:-1]
                state = "pending"
            elif status in ("running", "lost", "unknown"):
                if r.random() < 0.08:
                    t = self.restarts(evs, t, 1, job, task)
                state = "running"
            elif status == "complete":
                if job["type"] == "batch":
                    t += self.jit(20 * S, 2 * HOUR)
                    evs.append(ev_terminated(t, 0))
                else:
                    t += self.jit(10 * MIN, 10 * DAY)
                    t = self.stop(evs, t)
                state = "dead"
            else:  # failed
                if failed_task is None:
                    failed_task = task
                    # One restart within policy, then the final crash (8 events at most).
                    t = self.restarts(evs, t, 0 if pull else 1, job, task)
                    t += self.jit(30 * S, 20 * MIN)
                    code = r.choice([1, 2, 137])
                    evs.append(ev_terminated(t, code, oom=(code == 137)))
                    t += self.jit(1 * MS, 5 * MS)
                    reason = 'Exceeded allowed attempts 2 in interval 30m0s and mode is "fail"'
                    evs.append(event("Not Restarting", t, {"fails_task": "true", "restart_reason": reason},
                                     RestartReason=reason, FailsTask=True))
                    failed = True
                else:
                    t += self.jit(1 * MS, 20 * MS)
                    evs.append(event("Sibling Task Failed", t, {"failed_sibling": failed_task},
                                     FailedSibling=failed_task))
                    t = self.stop(evs, t + self.jit(1 * MS, 5 * MS))
                state = "dead"
            states[task] = self.task_state(evs, state, failed)
            last_t = max(last_t, t)

        desired, desired_desc = "run", ""
        client_desc = {
            "running": "Tasks are running",
            "complete": "All tasks have completed",
            "failed": "Failed tasks",
            "pending": "No tasks have started",
            "lost": "alloc is lost since its node is down",
            "unknown": "alloc is unknown since its node is disconnected",
        }[status]
        if status == "complete" and job["type"] != "batch":
            desired, desired_desc = "stop", r.choice(
                ["alloc not needed due to job update", "alloc is being updated due to job update",
                 "alloc not needed as job is stopped"])
        elif status == "lost":
            desired, desired_desc = "stop", "alloc is lost since its node is down"
        transition = {"ForceReschedule": None, "Migrate": None, "MigrateDisablePlacement": None,
                      "NoShutdownDelay": None, "Reschedule": None}
        followup, next_alloc = "", ""
        if status == "failed":
            if r.random() < 0.6:
                transition["Reschedule"] = True
                next_alloc = self.uuid()
            else:
                followup = self.uuid()
        elif status == "running" and r.random() < 0.01:
            transition["Migrate"] = True
        tracker = None
        if job["type"] != "system" and r.random() < 0.08:
            evs = []
            rt = create_t - self.jit(1 * MIN, 2 * HOUR)
            for _ in range(r.choice([1, 1, 2, 3])):
                evs.append({"Delay": r.choice([5, 30, 60, 120]) * S, "PrevAllocID": self.uuid(),
                            "PrevNodeID": r.choice(self.nodes)[0], "RescheduleTime": rt})
                rt -= self.jit(1 * MIN, 2 * HOUR)
            tracker = {"Events": evs[::-1], "LastReschedule": "ok"}
        dep = None
        self.index += self.jit(1, 40)
        create_index = self.index
        modify_index = create_index + self.jit(0, 5000)
        if job["type"] == "service" and status != "pending" and r.random() < 0.8:
            dep = {"Canary": r.random() < 0.03, "Healthy": status != "failed",
                   "ModifyIndex": create_index + self.jit(2, 30),
                   "Timestamp": rfc3339(create_t + self.jit(10 * S, 90 * S))}
        preempted = None
        if job["type"] == "system" and r.random() < 0.05:
            preempted = [self.uuid() for _ in range(r.choice([1, 2]))]
        group_index = r.randint(0, 9 if job["type"] != "system" else 0)
        return {
            "ClientDescription": client_desc,
            "ClientStatus": status,
            "CreateIndex": create_index,
            "CreateTime": create_t,
            "DeploymentStatus": dep,
            "DesiredDescription": desired_desc,
            "DesiredStatus": desired,
            "DesiredTransition": transition,
            "EvalID": self.uuid(),
            "FollowupEvalID": followup,
            "ID": self.uuid(),
            "JobID": job["id"],
            "JobType": job["type"],
            "JobVersion": job["version"],
            "ModifyIndex": modify_index,
            "ModifyTime": min(last_t + self.jit(1 * MS, 50 * MS), BASE),
            "Name": "%s.%s[%d]" % (job["id"], job["group"], group_index),
            "Namespace": job["ns"],
            "NextAllocation": next_alloc,
            "NodeID": node_id,
            "NodeName": node_name,
            "PreemptedAllocations": preempted,
            "PreemptedByAllocation": "",
            "RescheduleTracker": tracker,
            "TaskGroup": job["group"],
            "TaskStates": states,
        }

    def write(self, count, out):
        # Creation times ascending, so CreateIndex order is time order (as in the demo).
        start = BASE - SPAN
        step = SPAN // max(count, 1)
        total = 0
        out.write(b"[")
        for i in range(count):
            create_t = start + i * step + self.jit(0, max(step - 1, 0))
            a = self.alloc(create_t)
            blob = json.dumps(a, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
            if i:
                out.write(b",")
                total += 1
            out.write(blob)
            total += len(blob)
        out.write(b"]")
        return total + 2


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--count", type=int, required=True, help="number of allocation stubs")
    p.add_argument("--out", required=True, help="output file (its folder is created)")
    args = p.parse_args()
    if args.count < 0:
        p.error("--count must be >= 0")
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    tmp = args.out + ".tmp"
    with open(tmp, "wb") as f:
        size = Gen(args.seed).write(args.count, f)
    os.replace(tmp, args.out)
    per = size / args.count if args.count else 0
    print("gen_bench: %s: %d stubs, %d bytes, %.0f bytes/stub (seed %d)"
          % (args.out, args.count, size, per, args.seed), file=sys.stderr)


if __name__ == "__main__":
    main()
