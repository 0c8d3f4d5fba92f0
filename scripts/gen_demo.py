#!/usr/bin/env python3
"""Generate allocscope's bundled demo snapshot and the e2e fixture snapshots.

    python3 scripts/gen_demo.py          (run from the repository root)

Deletes and rewrites, deterministically (fixed seed, fixed base time):

  www/demo/                 a realistic static snapshot of a Nomad 1.11-era cluster
  e2e/fixtures/hostile/     a tiny snapshot whose displayed strings are XSS payloads
  e2e/fixtures/malformed/   a snapshot whose files are truncated or mistyped

A snapshot is a folder of files at Nomad's API paths, without extensions
(design.md, contract 2):

  v1/allocations                 AllocListStub[] of every allocation, by CreateIndex
  v1/allocation/<id>             one full Allocation
  v1/job/<job-id>/allocations    AllocListStub[] of one job
  v1/node/<node-id>/allocations  full Allocation[] (with Job) on one node
  v1/jobs                        JobListStub[]

Wire rules follow research/nomad-model.md: keys sorted (a build without codecgen),
struct-level omitempty on full allocations only, int64 nanosecond times written
as exact integers, RFC 3339 strings for TaskState/DeploymentStatus/AllocState
times, and DisplayMessage computed the way the agent computes it.

Standard library only. After writing, the script checks its own output and
prints a summary; it exits non-zero if a check fails.
"""

from __future__ import annotations

import calendar
import json
import os
import random
import shutil
import sys
import time
import unicodedata

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEMO_DIR = os.path.join(REPO, "www", "demo")
HOSTILE_DIR = os.path.join(REPO, "e2e", "fixtures", "hostile")
MALFORMED_DIR = os.path.join(REPO, "e2e", "fixtures", "malformed")

DEMO_SEED = 0xA110C5C0BE
HOSTILE_SEED = 0x5C41F7

S = 10**9
MS = 10**6
US = 10**3
MIN = 60 * S
HOUR = 60 * MIN
DAY = 24 * HOUR

# 2026-11-24T09:00:00Z, the instant the demo snapshot was "taken".
BASE = calendar.timegm((2026, 11, 24, 9, 0, 0, 0, 0, 0)) * S
# UnixNano() of Go's zero time.Time: what a driver event without a timestamp carries.
GO_ZERO_UNIXNANO = -6795364578871345152

ALL_DCS = ["eu-1a", "eu-1b", "eu-1c"]


# ---------------------------------------------------------------------------
# Go formatting helpers
# ---------------------------------------------------------------------------

def rfc3339(ns, offset_min=0):
    """Go's t.AppendFormat(time.RFC3339Nano): trailing fraction zeros dropped."""
    if ns is None:
        return None
    secs, frac = divmod(ns, S)
    tm = time.gmtime(secs + offset_min * 60)
    out = "%04d-%02d-%02dT%02d:%02d:%02d" % tm[:6]
    if frac:
        out += "." + ("%09d" % frac).rstrip("0")
    if offset_min == 0:
        return out + "Z"
    sign = "+" if offset_min > 0 else "-"
    return out + "%s%02d:%02d" % (sign, abs(offset_min) // 60, abs(offset_min) % 60)


def go_duration(d):
    """time.Duration.String()."""
    if d == 0:
        return "0s"
    sign = "-" if d < 0 else ""
    u = abs(d)
    if u < S:
        if u < US:
            return "%s%dns" % (sign, u)
        unit, div, width = ("µs", US, 3) if u < MS else ("ms", MS, 6)
        whole, frac = divmod(u, div)
        txt = str(whole)
        if frac:
            txt += "." + ("%0*d" % (width, frac)).rstrip("0")
        return sign + txt + unit
    secs, frac = divmod(u, S)
    out = str(secs % 60)
    if frac:
        out += "." + ("%09d" % frac).rstrip("0")
    out += "s"
    mins = secs // 60
    if mins:
        out = "%dm" % (mins % 60) + out
        hours = mins // 60
        if hours:
            out = "%dh" % hours + out
    return sign + out


def go_quote(s):
    """fmt's %q for the strings used here (strconv.Quote)."""
    out = ['"']
    for ch in s:
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append("\\x%02x" % ord(ch))
        elif ch != " " and unicodedata.category(ch)[0] in "CZ":
            out.append("\\u%04x" % ord(ch) if ord(ch) <= 0xFFFF else "\\U%08x" % ord(ch))
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


# ---------------------------------------------------------------------------
# Task events (nomad/structs TaskEvent + its Set* helpers)
# ---------------------------------------------------------------------------

REASON_WITHIN_POLICY = "Restart within policy"
REASON_NO_RESTARTS = "Policy allows no restarts"


def exceeded(attempts, interval):
    return 'Exceeded allowed attempts %d in interval %s and mode is "fail"' % (
        attempts, go_duration(interval))


def display_message(e):
    """TaskEvent.PopulateEventDisplayMessage (nomad-model.md §3.3)."""
    t = e["Type"]
    if t == "Task Setup":
        return e["Message"]
    if t == "Started":
        return "Task started by client"
    if t == "Received":
        return "Task received by client"
    if t == "Failed Validation":
        return e["ValidationError"] or "Validation of task failed"
    if t == "Setup Failure":
        return e["SetupError"] or "Task setup failed"
    if t == "Driver Failure":
        return e["DriverError"] or "Failed to start task"
    if t == "Downloading Artifacts":
        return "Client is downloading artifacts"
    if t == "Failed Artifact Download":
        return e["DownloadError"] or "Failed to download artifacts"
    if t == "Killing":
        if e["KillReason"]:
            return e["KillReason"]
        if e["KillTimeout"]:
            return "Sent interrupt. Waiting %s before force killing" % go_duration(e["KillTimeout"])
        return "Sent interrupt"
    if t == "Killed":
        return e["KillError"] or "Task successfully killed"
    if t == "Terminated":
        parts = ["Exit Code: %d" % e["ExitCode"]]
        if e["Signal"]:
            parts.append("Signal: %d" % e["Signal"])
        if e["Message"]:
            parts.append("Exit Message: %s" % go_quote(e["Message"]))
        return ", ".join(parts)
    if t == "Restarting":
        within = "Task restarting in %s" % go_duration(e["StartDelay"])
        if e["RestartReason"] and e["RestartReason"] != REASON_WITHIN_POLICY:
            return "%s - %s" % (e["RestartReason"], within)
        return within
    if t == "Not Restarting":
        return e["RestartReason"] or "Task exceeded restart policy"
    if t == "Sibling Task Failed":
        if e["FailedSibling"]:
            return "Task's sibling %s failed" % go_quote(e["FailedSibling"])
        return "Task's sibling failed"
    if t == "Restart Signaled":
        return e["RestartReason"] or "Task signaled to restart"
    if t == "Driver":
        return e["DriverMessage"]
    if t == "Leader Task Dead":
        return "Leader Task in Group dead"
    if t == "Main Tasks Dead":
        return "Main tasks in the group died"
    if t == "Reconnected":
        return "Client reconnected"
    return e["Message"]


def _event(etype, t, details, display=None, **fields):
    e = {
        "Details": details,
        "DiskLimit": 0,
        "DisplayMessage": "",
        "DownloadError": "",
        "DriverError": "",
        "DriverMessage": "",
        "ExitCode": 0,
        "FailedSibling": "",
        "FailsTask": False,
        "GenericSource": "",
        "KillError": "",
        "KillReason": "",
        "KillTimeout": 0,
        "Message": "",
        "RestartReason": "",
        "SetupError": "",
        "Signal": 0,
        "StartDelay": 0,
        "TaskSignal": "",
        "TaskSignalReason": "",
        "Time": t,
        "Type": etype,
        "ValidationError": "",
        "VaultError": "",
    }
    for k, v in fields.items():
        assert k in e, k
        e[k] = v
    e["DisplayMessage"] = display_message(e) if display is None else display
    return e


def ev_received(t):
    return _event("Received", t, {})


def ev_setup(t):
    msg = "Building Task Directory"
    return _event("Task Setup", t, {"message": msg}, Message=msg)


def ev_driver(t, msg, annotations):
    # alloc_runner GetTaskEventHandler: Details = the driver's annotations (may be nil).
    return _event("Driver", t, annotations, DriverMessage=msg)


def ev_pull(t, image):
    return ev_driver(t, "Downloading image", {"image": image})


def ev_started(t):
    return _event("Started", t, {})


def ev_terminated(t, exit_code, message="", signal=0, oom=False):
    d = {"exit_code": str(exit_code), "oom_killed": "true" if oom else "false", "signal": str(signal)}
    if message:
        d["exit_message"] = message
    return _event("Terminated", t, d, ExitCode=exit_code, Signal=signal, Message=message)


def docker_exit(t, code, oom=False):
    if oom:
        return ev_terminated(t, code, "OOM Killed", oom=True)
    msg = "Docker container exited with non-zero exit code: %d" % code if code else ""
    return ev_terminated(t, code, msg)


def ev_restarting(t, delay, reason=REASON_WITHIN_POLICY):
    return _event("Restarting", t, {"restart_reason": reason, "start_delay": str(delay)},
                  RestartReason=reason, StartDelay=delay)


def ev_not_restarting(t, reason):
    return _event("Not Restarting", t, {"fails_task": "true", "restart_reason": reason},
                  RestartReason=reason, FailsTask=True)


def ev_driver_failure(t, err):
    return _event("Driver Failure", t, {"driver_error": err}, DriverError=err)


def ev_killing(t, timeout=5 * S, reason=""):
    d = {"kill_timeout": go_duration(timeout)}
    if reason:
        d["kill_reason"] = reason
    return _event("Killing", t, d, KillTimeout=timeout, KillReason=reason)


def ev_killed(t):
    return _event("Killed", t, {})


def ev_sibling_failed(t, sibling):
    return _event("Sibling Task Failed", t, {"failed_sibling": sibling}, FailedSibling=sibling)


def ev_downloading_artifacts(t):
    return _event("Downloading Artifacts", t, {})


def ev_artifact_failed(t, err):
    return _event("Failed Artifact Download", t, {"download_error": err}, DownloadError=err)


def ev_message(etype, t, message):
    """Events built with SetMessage only (Template, Alloc Unhealthy, ...)."""
    return _event(etype, t, {"message": message}, Message=message)


def ev_shutdown_delay(t, delay):
    return _event("Waiting for shutdown delay", t, {},
                  display="Waiting for shutdown_delay of %s before killing the task." % go_duration(delay))


# ---------------------------------------------------------------------------
# Model of the fake cluster
# ---------------------------------------------------------------------------

class Node:
    def __init__(self, nid, name, dc, ip, tz=0):
        self.id, self.name, self.dc, self.ip, self.tz = nid, name, dc, ip, tz
        self.down_at = None
        self.disconnected_at = None
        self.clock_res = 1  # ns; a client with a coarser clock writes fewer fraction digits

    def available(self, t):
        for cut in (self.down_at, self.disconnected_at):
            if cut is not None and t >= cut:
                return False
        return True


class TaskSpec:
    def __init__(self, name, driver, config, cpu, mem, memmax=0, lifecycle=None,
                 kill_timeout=5 * S, artifacts=None, templates=None, env=None, user=""):
        self.name, self.driver, self.config = name, driver, config
        self.cpu, self.mem, self.memmax = cpu, mem, memmax
        self.lifecycle = lifecycle  # (hook, sidecar) or None
        self.kill_timeout = kill_timeout
        self.artifacts, self.templates, self.env, self.user = artifacts, templates, env, user

    @property
    def image(self):
        return self.config.get("image", "")


SERVICE_RESTART = {"Attempts": 2, "Interval": 30 * MIN, "Delay": 15 * S, "Mode": "fail"}
BATCH_RESTART = {"Attempts": 3, "Interval": 24 * HOUR, "Delay": 15 * S, "Mode": "fail"}
SERVICE_RESCHEDULE = {"Attempts": 0, "Interval": 0, "Delay": 30 * S, "DelayFunction": "exponential",
                      "MaxDelay": HOUR, "Unlimited": True}
BATCH_RESCHEDULE = {"Attempts": 1, "Interval": 24 * HOUR, "Delay": 5 * S, "DelayFunction": "constant",
                    "MaxDelay": 0, "Unlimited": False}


def update_strategy(canary=0, auto_promote=False, auto_revert=False, min_healthy=10 * S,
                    healthy_deadline=5 * MIN, max_parallel=1):
    return {"AutoPromote": auto_promote, "AutoRevert": auto_revert, "Canary": canary,
            "HealthCheck": "checks", "HealthyDeadline": healthy_deadline,
            "MaxParallel": max_parallel, "MinHealthyTime": min_healthy,
            "ProgressDeadline": 10 * MIN, "Stagger": 30 * S}


class GroupSpec:
    def __init__(self, name, count, tasks, restart=None, reschedule="default", update=None,
                 disk=300, network=None, service=None, disconnect=None, shutdown_delay=None):
        self.name, self.count, self.tasks = name, count, tasks
        self.restart = restart
        self.reschedule = reschedule
        self.update = update
        self.disk = disk
        # network: {"mode": "bridge"|"host", "ports": [(label, to, static)]}
        self.network = network
        self.service = service  # (name, port label, check path) or None
        self.disconnect = disconnect
        self.shutdown_delay = shutdown_delay

    def task(self, name):
        for t in self.tasks:
            if t.name == name:
                return t
        raise KeyError(name)


class Job:
    def __init__(self, jid, name, ns, jtype, priority, create_t, dcs=None, parent="",
                 periodic=None, parameterized=None, dispatched=False, payload=None, meta=None):
        self.id, self.name, self.ns, self.type, self.priority = jid, name, ns, jtype, priority
        self.create_t = create_t
        self.dcs = list(dcs or ALL_DCS)
        self.parent, self.periodic, self.parameterized = parent, periodic, parameterized
        self.dispatched, self.payload, self.meta = dispatched, payload, meta
        self.versions = []

    def version(self, version, submit_t, groups, status="running"):
        for g in groups:
            if g.reschedule == "default":
                if self.type == "system":
                    g.reschedule = None
                else:
                    g.reschedule = dict(BATCH_RESCHEDULE if self.type == "batch" else SERVICE_RESCHEDULE)
        jv = JobVersion(self, version, submit_t, groups, status)
        self.versions.append(jv)
        return jv


class JobVersion:
    def __init__(self, job, version, submit_t, groups, status):
        self.job, self.version, self.submit_t = job, version, submit_t
        self.groups = groups
        self.status = status  # Job.Status at placement time (the embedded copy is a snapshot)

    def group(self, name):
        for g in self.groups:
            if g.name == name:
                return g
        raise KeyError(name)


class Deployment:
    def __init__(self, did, jv):
        self.id, self.jv = did, jv


class Alloc:
    def __init__(self):
        self.id = ""
        self.eval_id = ""
        self.jv = None
        self.group = None
        self.index = 0
        self.node = None
        self.name = None
        self.create_t = 0
        self.client_t = 0        # last client update (ModifyTime)
        self.server_t = 0        # last server-side change (AllocModifyIndex)
        self.health_t = 0        # deployment health set
        self.link_t = 0          # NextAllocation written by the state store (ModifyIndex only)
        self.desired_status = "run"
        self.desired_desc = ""
        self.desired_transition = {"ForceReschedule": None, "Migrate": None,
                                   "MigrateDisablePlacement": None, "NoShutdownDelay": None,
                                   "Reschedule": None}
        self.client_status = "pending"
        self.client_desc = ""
        self.task_states = None
        self.deployment_id = ""
        self.dep = None          # {"Canary", "Healthy", "t"}
        self.prev = ""
        self.next = ""
        self.followup = ""
        self.tracker = None
        self.preempted_allocs = None
        self.preempted_by = ""
        self.alloc_states = []
        self.ports = []          # [(label, value, to)]
        self.net_address = ""
        self.network_status = True
        self.metrics = None
        self.gc = False          # garbage-collected: referenced, but no file

    @property
    def modify_t(self):
        return max(self.create_t, self.client_t, self.server_t, self.health_t)


# ---------------------------------------------------------------------------
# The cluster builder
# ---------------------------------------------------------------------------

class Cluster:
    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.nodes = []
        self.jobs = []
        self.allocs = []
        self.signing_key = self.uuid()
        self.ix = None

    # -- randomness ---------------------------------------------------------
    def uuid(self):
        h = "%032x" % self.rng.getrandbits(128)
        return "%s-%s-%s-%s-%s" % (h[:8], h[8:12], h[12:16], h[16:20], h[20:])

    def j(self, lo, hi):
        return self.rng.randint(lo, hi)

    # -- building -----------------------------------------------------------
    def node(self, name, dc, ip, tz=0):
        n = Node(self.uuid(), name, dc, ip, tz)
        self.nodes.append(n)
        return n

    def job(self, *a, **kw):
        jb = Job(*a, **kw)
        self.jobs.append(jb)
        return jb

    def place(self, jv, group, index, node, t, eval_id, deployment=None, canary=False,
              prev=None, resched_delay=None, gc=False):
        a = Alloc()
        a.id = self.uuid()
        a.eval_id = eval_id
        a.jv, a.group, a.index, a.node = jv, group, index, node
        a.name = "%s.%s[%d]" % (jv.job.id, group.name, index)
        a.create_t = t
        a.server_t = t
        a.gc = gc
        if deployment is not None:
            a.deployment_id = deployment.id
            if canary:
                a.dep = {"Canary": True, "Healthy": None, "t": None}
        if group.network:
            for label, to, static in group.network["ports"]:
                value = static or self.j(20000, 31999)
                a.ports.append((label, value, to))
            if group.network["mode"] == "bridge":
                a.net_address = "172.26.%d.%d" % (self.j(64, 71), self.j(2, 250))
        penal = set()
        if prev is not None:
            a.prev = prev.id
            prev.next = a.id
            prev.link_t = max(prev.link_t, t)
            if resched_delay is not None:
                pol = group.reschedule
                if pol["Unlimited"]:
                    kept = (prev.tracker or {}).get("Events") or []
                    kept = kept[-5:]
                else:
                    kept = [e for e in ((prev.tracker or {}).get("Events") or [])
                            if t - e["RescheduleTime"] < pol["Interval"]]
                events = [dict(e) for e in kept]
                events.append({"Delay": resched_delay, "PrevAllocID": prev.id,
                               "PrevNodeID": prev.node.id, "RescheduleTime": t})
                a.tracker = {"Events": events, "LastReschedule": "ok"}
                if prev.tracker is None:
                    prev.tracker = {"Events": None, "LastReschedule": "ok"}
                else:
                    prev.tracker["LastReschedule"] = "ok"
                penal = {e["PrevNodeID"] for e in events}
        a.metrics = self.metrics(t, node, jv, penal)
        self.allocs.append(a)
        return a

    def metrics(self, t, node, jv, penal):
        avail = [n for n in self.nodes if n.available(t) and n.dc in jv.job.dcs]
        by_dc = {}
        for n in avail:
            by_dc[n.dc] = by_dc.get(n.dc, 0) + 1
        system = jv.job.type == "system"
        if system:
            score_meta = [{"NodeID": node.id, "NormScore": self.rng.uniform(0.2, 0.6),
                           "Scores": None}]
            score_meta[0]["Scores"] = {"binpack": score_meta[0]["NormScore"]}
            evaluated = 1
        else:
            evaluated = len(avail)
            others = [n for n in avail if n is not node]
            self.rng.shuffle(others)
            entries = []
            for n in [node] + others[:4]:
                binpack = self.rng.uniform(0.74, 0.95) if n is node else self.rng.uniform(0.2, 0.72)
                pen = -1 if (n.id in penal and n is not node) else 0
                norm = binpack if pen == 0 else (binpack + pen) / 2
                entries.append({"NodeID": n.id, "NormScore": norm,
                                "Scores": {"binpack": binpack, "job-anti-affinity": 0,
                                           "node-affinity": 0, "node-reschedule-penalty": pen}})
            # Penalised nodes that fell outside the random pick still show up
            # (they were evaluated, and the penalty is why they lost).
            listed = {e["NodeID"] for e in entries}
            for n in avail:
                if n.id in penal and n.id not in listed and n is not node:
                    binpack = self.rng.uniform(0.2, 0.72)
                    entries.append({"NodeID": n.id, "NormScore": (binpack - 1) / 2,
                                    "Scores": {"binpack": binpack, "job-anti-affinity": 0,
                                               "node-affinity": 0, "node-reschedule-penalty": -1}})
            entries.sort(key=lambda e: -e["NormScore"])
            score_meta = entries[:5]
        return {
            "AllocationTime": self.j(38_000, 640_000),
            "ClassExhausted": None,
            "ClassFiltered": None,
            "CoalescedFailures": 0,
            "ConstraintFiltered": None,
            "DimensionExhausted": None,
            "NodePool": "default",
            "NodesAvailable": by_dc,
            "NodesEvaluated": evaluated,
            "NodesExhausted": 0,
            "NodesFiltered": 0,
            "NodesInPool": len(self.nodes),
            "QuotaExhausted": None,
            "ResourcesExhausted": None,
            "ScoreMetaData": score_meta,
            "Scores": None,
        }

    # -- lifecycle helpers --------------------------------------------------
    def boot(self, t, task, pull=True, artifacts=False):
        """Task Setup → (Downloading Artifacts) → (Driver: Downloading image) → Started."""
        evs = []
        t += self.j(1 * MS, 4 * MS)
        evs.append(ev_setup(t))
        if artifacts:
            t += self.j(2 * MS, 9 * MS)
            evs.append(ev_downloading_artifacts(t))
            t += self.j(400 * MS, 2200 * MS)
        if task.driver == "docker" and pull:
            t += self.j(15 * MS, 90 * MS)
            evs.append(ev_pull(t, task.image))
            t += self.j(1800 * MS, 9 * S)
        else:
            t += self.j(90 * MS, 700 * MS)
        evs.append(ev_started(t))
        return evs, t

    def kill_seq(self, t, task, exit_code=0, shutdown_delay=None):
        evs = []
        if shutdown_delay:
            evs.append(ev_shutdown_delay(t, shutdown_delay))
            t += shutdown_delay + self.j(1 * MS, 9 * MS)
        evs.append(ev_killing(t, task.kill_timeout))
        t += self.j(150 * MS, 2400 * MS)
        evs.append(docker_exit(t, exit_code) if task.driver == "docker" else ev_terminated(t, exit_code))
        t += self.j(5 * MS, 60 * MS)
        evs.append(ev_killed(t))
        return evs, t

    def tstate(self, events, state, failed=False, tz=0):
        """TaskState from the full emitted event history (the client keeps the last 10)."""
        real = [e["Time"] for e in events if e["Time"] > 0]
        restarts = [e for e in events if e["Type"] == "Restarting"]
        started = [e for e in events if e["Type"] == "Started"]
        st = {
            "Events": events[-10:] if events else None,
            "Failed": failed,
            "FinishedAt": None,
            # appendTaskEvent: LastRestart = time.Unix(0, event.Time), i.e. client-local zone.
            "LastRestart": rfc3339(restarts[-1]["Time"], tz) if restarts else None,
            "Paused": "",
            "Restarts": len(restarts),
            # StartedAt/FinishedAt are written with time.Now().UTC().
            "StartedAt": rfc3339(started[-1]["Time"] + self.j(900, 90_000)) if started else None,
            "State": state,
        }
        if state == "dead":
            st["FinishedAt"] = rfc3339(max(real) + self.j(20 * US, 900 * US))
        return st

    def healthy(self, a, t, healthy=True):
        a.dep = a.dep or {"Canary": False, "Healthy": None, "t": None}
        a.dep["Healthy"] = healthy
        a.dep["t"] = t
        a.health_t = t

    # -- indexes --------------------------------------------------------------
    def assign_indexes(self, start):
        times = set()
        for jb in self.jobs:
            times.add(jb.create_t)
            for jv in jb.versions:
                times.add(jv.submit_t)
        for a in self.allocs:
            for t in (a.create_t, a.client_t, a.server_t, a.health_t, a.link_t):
                if t:
                    times.add(t)
        ix = {}
        cur = start
        prev = None
        for t in sorted(times):
            if prev is None:
                cur += 1
            else:
                cur += 1 + min(400, (t - prev) // (25 * S)) + self.j(0, 3)
            ix[t] = cur
            prev = t
        self.ix = ix

    # -- rendering ------------------------------------------------------------
    def job_json(self, jv):
        jb = jv.job
        ix = self.ix
        groups = [self.group_json(jb, g) for g in jv.groups]
        service = jb.type == "service"
        return {
            "Affinities": None,
            "AllAtOnce": False,
            "Constraints": None,
            "ConsulNamespace": "",
            "CreateIndex": ix[jb.create_t],
            "Datacenters": list(jb.dcs),
            "DispatchIdempotencyToken": "",
            "Dispatched": jb.dispatched,
            "ID": jb.id,
            "JobModifyIndex": ix[jv.submit_t],
            "Meta": jb.meta,
            "ModifyIndex": ix[jv.submit_t],
            "Multiregion": None,
            "Name": jb.name,
            "Namespace": jb.ns,
            "NodePool": "default",
            "NomadTokenID": "",
            "ParameterizedJob": jb.parameterized,
            "ParentID": jb.parent,
            "Payload": jb.payload,
            "Periodic": jb.periodic,
            "Priority": jb.priority,
            "Region": "global",
            "Spreads": None,
            "Stable": False,
            "Status": jv.status,
            "StatusDescription": "",
            "Stop": False,
            "SubmitTime": jv.submit_t,
            "TaskGroups": groups,
            "Type": jb.type,
            "UI": None,
            "Update": {"AutoPromote": False, "AutoRevert": False, "Canary": 0, "HealthCheck": "",
                       "HealthyDeadline": 0, "MaxParallel": 1 if service or jb.type == "system" else 0,
                       "MinHealthyTime": 0, "ProgressDeadline": 0,
                       "Stagger": 30 * S if service or jb.type == "system" else 0},
            "VaultNamespace": "",
            "Version": jv.version,
            "VersionTag": None,
        }

    def group_json(self, jb, g):
        restart = dict(g.restart or (BATCH_RESTART if jb.type == "batch" else SERVICE_RESTART))
        restart["RenderTemplates"] = False
        resched = dict(g.reschedule) if g.reschedule else None
        networks = None
        if g.network:
            dyn = [{"HostNetwork": "default", "Label": label, "To": to, "Value": 0}
                   for label, to, static in g.network["ports"] if not static]
            res = [{"HostNetwork": "default", "Label": label, "To": to, "Value": static}
                   for label, to, static in g.network["ports"] if static]
            net = {"Mode": g.network["mode"]}
            if dyn:
                net["DynamicPorts"] = [{k: v for k, v in p.items() if v not in (0, "")} for p in dyn]
            if res:
                net["ReservedPorts"] = [{k: v for k, v in p.items() if v not in (0, "")} for p in res]
            networks = [net]
        services = None
        if g.service:
            sname, port, path = g.service
            services = [{
                "Address": "", "AddressMode": "auto", "CanaryMeta": None, "CanaryTags": None,
                "Checks": [{
                    "AddressMode": "", "Args": None, "Body": "", "CheckRestart": None, "Command": "",
                    "Expose": False, "FailuresBeforeCritical": 0, "FailuresBeforeWarning": 0,
                    "GRPCService": "", "GRPCUseTLS": False, "Header": None, "InitialStatus": "",
                    "Interval": 10 * S, "Method": "", "Name": "service: %s check" % go_quote(sname),
                    "OnUpdate": "require_healthy", "Path": path, "PortLabel": "", "Protocol": "",
                    "SuccessBeforePassing": 0, "TLSServerName": "", "TLSSkipVerify": False,
                    "TaskName": "", "Timeout": 2 * S, "Type": "http"}],
                "Cluster": "default", "Connect": None, "EnableTagOverride": False, "Identity": None,
                "Meta": None, "Name": sname, "OnUpdate": "require_healthy", "PortLabel": port,
                "Provider": "consul", "TaggedAddresses": None, "Tags": ["traefik.enable=true"],
                "TaskName": ""}]
        return {
            "Affinities": None,
            "Constraints": None,
            "Consul": {"Cluster": "default", "Namespace": "", "Partition": ""},
            "Count": g.count,
            "Disconnect": g.disconnect,
            "EphemeralDisk": {"Migrate": False, "SizeMB": g.disk, "Sticky": False},
            "MaxClientDisconnect": None,
            "Meta": None,
            "Migrate": ({"HealthCheck": "checks", "HealthyDeadline": 5 * MIN, "MaxParallel": 1,
                         "MinHealthyTime": 10 * S} if jb.type == "service" else None),
            "Name": g.name,
            "Networks": networks,
            "PreventRescheduleOnLost": False,
            "ReschedulePolicy": resched,
            "RestartPolicy": restart,
            "Scaling": None,
            "Services": services,
            "ShutdownDelay": g.shutdown_delay,
            "Spreads": None,
            "StopAfterClientDisconnect": None,
            "Tasks": [self.task_json(t, restart) for t in g.tasks],
            "Update": g.update,
            "Volumes": None,
        }

    def task_json(self, t, restart):
        return {
            "Actions": None,
            "Affinities": None,
            "Artifacts": t.artifacts,
            "CSIPluginConfig": None,
            "Config": t.config,
            "Constraints": None,
            "Consul": None,
            "DispatchPayload": None,
            "Driver": t.driver,
            "Env": t.env,
            "Identities": None,
            "Identity": None,
            "KillSignal": "",
            "KillTimeout": t.kill_timeout,
            "Kind": "",
            "Leader": False,
            "Lifecycle": ({"Hook": t.lifecycle[0], "Sidecar": t.lifecycle[1]} if t.lifecycle else None),
            "LogConfig": {"Disabled": False, "MaxFileSizeMB": 10, "MaxFiles": 10},
            "Meta": None,
            "Name": t.name,
            "Resources": self.legacy_resources(t.cpu, t.mem, t.memmax, 0, None),
            "RestartPolicy": dict(restart),
            "ScalingPolicies": None,
            "Schedule": None,
            "Services": None,
            "ShutdownDelay": 0,
            "Templates": t.templates,
            "User": t.user,
            "Vault": None,
            "VolumeMounts": None,
        }

    @staticmethod
    def legacy_resources(cpu, mem, memmax, disk, networks):
        return {"CPU": cpu, "Cores": 0, "Devices": None, "DiskMB": disk, "IOPS": 0,
                "MemoryMB": mem, "MemoryMaxMB": memmax, "NUMA": None, "Networks": networks,
                "SecretsMB": 0}

    def shared_networks(self, a):
        g = a.group
        if not g.network:
            return None
        net = {"IP": a.node.ip, "Mode": g.network["mode"]}
        if g.network["mode"] == "host":
            net["Device"] = "eth0"
        dyn, res = [], []
        for (label, value, to), (_, _, static) in zip(a.ports, g.network["ports"]):
            p = {"HostNetwork": "default", "Label": label, "Value": value}
            if to:
                p["To"] = to
            (res if static else dyn).append(p)
        if dyn:
            net["DynamicPorts"] = dyn
        if res:
            net["ReservedPorts"] = res
        return [net]

    def allocated_resources(self, a):
        g = a.group
        tasks = {}
        lifecycles = {}
        for t in g.tasks:
            tasks[t.name] = {"Cpu": {"CpuShares": t.cpu, "ReservedCores": None},
                             "Devices": None,
                             "Memory": {"MemoryMB": t.mem, "MemoryMaxMB": t.memmax},
                             "Networks": None}
            lifecycles[t.name] = ({"Hook": t.lifecycle[0], "Sidecar": t.lifecycle[1]}
                                  if t.lifecycle else None)
        ports = None
        if a.ports:
            ports = []
            for label, value, to in a.ports:
                p = {"HostIP": a.node.ip, "Label": label, "Value": value}
                if to:
                    p["To"] = to
                ports.append(p)
        return {"Shared": {"DiskMB": g.disk, "Networks": self.shared_networks(a), "Ports": ports},
                "TaskLifecycles": lifecycles,
                "Tasks": tasks}

    def dep_json(self, a):
        if a.dep is None:
            return None
        t = a.dep["t"]
        return {"Canary": a.dep["Canary"], "Healthy": a.dep["Healthy"],
                "ModifyIndex": self.ix[t] if t else 0,
                "Timestamp": rfc3339(t - t % a.node.clock_res, a.node.tz) if t else None}

    def full(self, a):
        ix = self.ix
        g = a.group
        nets = self.shared_networks(a)
        cpu = sum(t.cpu for t in g.tasks)
        mem = sum(t.mem for t in g.tasks)
        memmax = sum(max(t.mem, t.memmax) for t in g.tasks)
        d = {
            "AllocModifyIndex": ix[max(a.create_t, a.server_t)],
            "AllocStates": [{"Field": 0, "Time": rfc3339(t), "Value": v} for t, v in a.alloc_states],
            "AllocatedResources": self.allocated_resources(a),
            "ClientDescription": a.client_desc,
            "ClientStatus": a.client_status,
            "CreateIndex": ix[a.create_t],
            "CreateTime": a.create_t,
            "DeploymentID": a.deployment_id,
            "DeploymentStatus": self.dep_json(a),
            "DesiredDescription": a.desired_desc,
            "DesiredStatus": a.desired_status,
            "DesiredTransition": dict(a.desired_transition),
            "EvalID": a.eval_id,
            "FollowupEvalID": a.followup,
            "ID": a.id,
            "Job": self.job_json(a.jv),
            "JobID": a.jv.job.id,
            "Metrics": a.metrics,
            "ModifyIndex": ix[max(a.modify_t, a.link_t)],
            "ModifyTime": a.modify_t,
            "Name": a.name,
            "Namespace": a.jv.job.ns,
            "NetworkStatus": ({"Address": a.net_address, "AddressIPv6": "", "DNS": None,
                               "InterfaceName": "eth0" if a.net_address else ""}
                              if a.network_status else None),
            "NextAllocation": a.next,
            "NodeID": a.node.id,
            "NodeName": a.node.name,
            "PreemptedAllocations": a.preempted_allocs,
            "PreemptedByAllocation": a.preempted_by,
            "PreviousAllocation": a.prev,
            "RescheduleTracker": a.tracker,
            "Resources": self.legacy_resources(cpu, mem, memmax, g.disk, nets),
            "SharedResources": self.legacy_resources(0, 0, 0, g.disk, nets),
            "SigningKeyID": self.signing_key,
            "TaskGroup": g.name,
            "TaskResources": {t.name: self.legacy_resources(t.cpu, t.mem, t.memmax, 0, None)
                              for t in g.tasks},
            "TaskStates": a.task_states,
        }
        return omit_empty(d)

    def stub(self, a):
        ix = self.ix
        return {
            "ClientDescription": a.client_desc,
            "ClientStatus": a.client_status,
            "CreateIndex": ix[a.create_t],
            "CreateTime": a.create_t,
            "DeploymentStatus": self.dep_json(a),
            "DesiredDescription": a.desired_desc,
            "DesiredStatus": a.desired_status,
            "DesiredTransition": dict(a.desired_transition),
            "EvalID": a.eval_id,
            "FollowupEvalID": a.followup,
            "ID": a.id,
            "JobID": a.jv.job.id,
            "JobType": a.jv.job.type,
            "JobVersion": a.jv.version,
            "ModifyIndex": ix[max(a.modify_t, a.link_t)],
            "ModifyTime": a.modify_t,
            "Name": a.name,
            "Namespace": a.jv.job.ns,
            "NextAllocation": a.next,
            "NodeID": a.node.id,
            "NodeName": a.node.name,
            "PreemptedAllocations": a.preempted_allocs,
            "PreemptedByAllocation": a.preempted_by,
            "RescheduleTracker": a.tracker,
            "TaskGroup": a.group.name,
            "TaskStates": a.task_states,
        }

    def job_stub(self, jb):
        jv = jb.versions[-1] if jb.versions else None
        mine = [a for a in self.allocs if a.jv.job is jb and not a.gc]
        children = [j for j in self.jobs if j.parent == jb.id]
        summary = {}
        if jv:
            for g in jv.groups:
                summary[g.name] = {"Complete": 0, "Failed": 0, "Lost": 0, "Queued": 0,
                                   "Running": 0, "Starting": 0, "Unknown": 0}
            for a in mine:
                key = {"pending": "Starting", "running": "Running", "complete": "Complete",
                       "failed": "Failed", "lost": "Lost", "unknown": "Unknown"}.get(a.client_status)
                if key is None:
                    continue  # a status this Nomad does not know (hostile fixture)
                summary.setdefault(a.group.name, {"Complete": 0, "Failed": 0, "Lost": 0, "Queued": 0,
                                                  "Running": 0, "Starting": 0, "Unknown": 0})
                summary[a.group.name][key] += 1
        if mine:
            live = [a for a in mine if a.desired_status == "run"
                    and a.client_status in ("pending", "running", "unknown")]
            status = "running" if live else "dead"
        else:
            status = "running"
        child_counts = {"Dead": 0, "Pending": 0, "Running": 0}
        for ch in children:
            cs = self.job_stub(ch)["Status"]
            child_counts[{"dead": "Dead", "running": "Running", "pending": "Pending"}[cs]] += 1
        submit = jv.submit_t if jv else jb.create_t
        mod = max([self.ix[submit]] + [self.ix[max(a.modify_t, a.link_t)] for a in mine])
        return {
            "CreateIndex": self.ix[jb.create_t],
            "Datacenters": list(jb.dcs),
            "ID": jb.id,
            "JobModifyIndex": self.ix[submit],
            "JobSummary": {"Children": child_counts, "CreateIndex": self.ix[jb.create_t],
                           "JobID": jb.id, "ModifyIndex": mod, "Namespace": jb.ns,
                           "Summary": summary},
            "Meta": jb.meta,
            "ModifyIndex": mod,
            "Multiregion": None,
            "Name": jb.name,
            "Namespace": jb.ns,
            "NodePool": "default",
            "ParameterizedJob": jb.parameterized is not None,
            "ParentID": jb.parent,
            "Periodic": jb.periodic is not None,
            "Priority": jb.priority,
            "Status": status,
            "StatusDescription": "",
            "Stop": False,
            "SubmitTime": submit,
            "Type": jb.type,
            "Version": jv.version if jv else 0,
        }

    # -- writing ----------------------------------------------------------------
    def write_snapshot(self, root, index_start):
        self.assign_indexes(index_start)
        files = [a for a in self.allocs if not a.gc]
        stubs = sorted((self.stub(a) for a in files), key=lambda s: (s["CreateIndex"], s["ID"]))
        write_json(os.path.join(root, "v1", "allocations"), stubs)
        for a in files:
            write_json(os.path.join(root, "v1", "allocation", a.id), self.full(a))
        by_job = {}
        for a in files:
            by_job.setdefault(a.jv.job.id, []).append(a)
        for jid, allocs in sorted(by_job.items()):
            allocs.sort(key=lambda a: a.id)  # memdb order: by ID
            write_json(os.path.join(root, "v1", "job", jid, "allocations"), [self.stub(a) for a in allocs])
        for n in self.nodes:
            allocs = sorted((a for a in files if a.node is n), key=lambda a: a.id)
            write_json(os.path.join(root, "v1", "node", n.id, "allocations"), [self.full(a) for a in allocs])
        jobs = sorted(self.jobs, key=lambda jb: jb.id)
        write_json(os.path.join(root, "v1", "jobs"), [self.job_stub(jb) for jb in jobs])


def truncate_fraction(s, digits):
    if s is None or "." not in s:
        return s
    head, rest = s.split(".", 1)
    i = 0
    while i < len(rest) and rest[i].isdigit():
        i += 1
    frac = rest[:i][:digits].rstrip("0")
    return head + ("." + frac if frac else "") + rest[i:]


def coarsen(a, res):
    """Rewrite the client-written times of one allocation to a coarser clock resolution."""
    digits = 9 - len(str(res)) + 1
    for st in (a.task_states or {}).values():
        for e in st["Events"] or []:
            if e["Time"] > 0:
                e["Time"] -= e["Time"] % res
        for k in ("StartedAt", "FinishedAt", "LastRestart"):
            st[k] = truncate_fraction(st[k], digits)


def omit_empty(d):
    """Struct-level omitempty on Allocation (codec `_struct bool codec:",omitempty"`)."""
    out = {}
    for k, v in d.items():
        if v is None or v is False or v == "" or v == [] or v == {}:
            continue
        if isinstance(v, int) and not isinstance(v, bool) and v == 0:
            continue
        if k == "DesiredTransition" and all(x is None for x in v.values()):
            continue  # comparable struct equal to its zero value
        out[k] = v
    return out


def write_json(path, obj, pretty=False):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if pretty:
        text = json.dumps(obj, sort_keys=True, ensure_ascii=False, indent=4, separators=(",", ": "))
    else:
        text = json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)


def write_text(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)


# ---------------------------------------------------------------------------
# The demo cluster and its stories
# ---------------------------------------------------------------------------

def docker(name, image, cpu, mem, memmax=0, args=None, ports=None, lifecycle=None, **kw):
    cfg = {"image": image}
    if args:
        cfg["args"] = args
    if ports:
        cfg["ports"] = ports
    return TaskSpec(name, "docker", cfg, cpu, mem, memmax, lifecycle=lifecycle, **kw)


def build_demo():
    c = Cluster(DEMO_SEED)
    T = BASE
    stories = {}

    def story(key, label, alloc):
        stories.setdefault(key, []).append((label, alloc))

    # -- nodes ---------------------------------------------------------------
    n1a1 = c.node("nomad-client-eu-1a-01", "eu-1a", "10.20.1.11")
    n1a2 = c.node("nomad-client-eu-1a-02", "eu-1a", "10.20.1.12")
    n1a3 = c.node("nomad-client-eu-1a-03", "eu-1a", "10.20.1.13")
    n1b1 = c.node("nomad-client-eu-1b-01", "eu-1b", "10.20.2.11", tz=60)  # clock in CET
    n1b2 = c.node("nomad-client-eu-1b-02", "eu-1b", "10.20.2.12")
    n1b3 = c.node("nomad-client-eu-1b-03", "eu-1b", "10.20.2.13")
    n1c1 = c.node("nomad-client-eu-1c-01", "eu-1c", "10.20.3.11")
    n1c2 = c.node("nomad-client-eu-1c-02", "eu-1c", "10.20.3.12")
    T_DOWN = T - 5 * HOUR - 10 * MIN + c.j(0, 50 * S)
    T_DISC = T - 25 * MIN + c.j(0, 40 * S)
    n1c1.down_at = T_DOWN
    n1c2.disconnected_at = T_DISC

    def received_all(a, t):
        return {tk.name: [ev_received(t + c.j(1 * MS, 3 * MS))] for tk in a.group.tasks}

    def run_simple(a, t, pull=True, artifacts=False, tz=None):
        """Every task of a one-main-task group boots and keeps running."""
        evs = received_all(a, t)
        t_end = t
        for tk in a.group.tasks:
            more, ts = c.boot(t + 5 * MS, tk, pull=pull, artifacts=artifacts)
            evs[tk.name] += more
            t_end = max(t_end, ts)
        a.task_states = {k: c.tstate(v, "running") for k, v in evs.items()}
        a.client_status, a.client_desc = "running", "Tasks are running"
        a.client_t = t_end + c.j(200 * MS, 900 * MS)
        return evs, t_end

    def stop_running(a, t, desc, desired="stop", exit_code=0):
        """Server stops a running alloc; the client kills its tasks and reports complete."""
        a.desired_status, a.desired_desc, a.server_t = desired, desc, t
        t_end = t
        states = {}
        for name, st in a.task_states.items():
            tk = a.group.task(name)
            evs = st.pop("_all")
            more, te = c.kill_seq(t + c.j(20 * MS, 80 * MS), tk, exit_code,
                                  shutdown_delay=a.group.shutdown_delay)
            evs += more
            states[name] = c.tstate(evs, "dead", tz=a.node.tz)
            t_end = max(t_end, te)
        a.task_states = states
        a.client_status, a.client_desc = "complete", "All tasks have completed"
        a.client_t = t_end + c.j(100 * MS, 400 * MS)

    def keep_history(a, evs):
        """Remember the full event history so a later kill can append to it."""
        for name, st in a.task_states.items():
            st["_all"] = list(evs[name])

    # ========================================================================
    # 1. checkout-api: api[0] rescheduled three times (A gc'd, B OOM, C pull, D ok)
    # ========================================================================
    ca = c.job("checkout-api", "checkout-api", "payments", "service", 70, create_t=T - 9 * DAY + c.j(0, HOUR))
    ca_group = GroupSpec(
        "api", 3,
        [docker("db-migrate", "registry.example.com/checkout-migrate:2.4.1", 200, 128,
                args=["migrate", "--to", "latest"], lifecycle=("prestart", False)),
         docker("envoy.proxy", "envoyproxy/envoy:v1.31.2", 100, 96,
                args=["-c", "${NOMAD_TASK_DIR}/envoy.yaml"], lifecycle=("prestart", True)),
         docker("api", "registry.example.com/checkout-api:2.4.1", 500, 512, 768, ports=["http", "metrics"])],
        restart=SERVICE_RESTART,
        update=update_strategy(auto_revert=True),
        network={"mode": "bridge", "ports": [("http", 8080, 0), ("metrics", 9102, 0)]},
        service=("checkout-api", "http", "/healthz"),
    )
    ca_v3 = ca.version(3, T - 40 * HOUR + c.j(0, 60 * S), [ca_group])
    ca_dep = Deployment(c.uuid(), ca_v3)
    ev0 = c.uuid()
    t0 = ca_v3.submit_t + c.j(80 * MS, 300 * MS)

    def checkout_boot(a, t, pull=True):
        """db-migrate runs to completion, envoy.proxy starts, then api starts."""
        evs = received_all(a, t)
        mig = a.group.task("db-migrate")
        more, ts = c.boot(t + 5 * MS, mig, pull=pull)
        evs["db-migrate"] += more
        t_mig_done = ts + c.j(4 * S, 14 * S)
        evs["db-migrate"].append(docker_exit(t_mig_done, 0))
        more, _ = c.boot(t + 6 * MS, a.group.task("envoy.proxy"), pull=pull)
        evs["envoy.proxy"] += more
        return evs, t_mig_done + c.j(2 * MS, 30 * MS)

    A = c.place(ca_v3, ca_group, 0, n1a1, t0, ev0, ca_dep, gc=True)
    ca1 = c.place(ca_v3, ca_group, 1, n1a2, t0, ev0, ca_dep)
    ca2 = c.place(ca_v3, ca_group, 2, n1b3, t0, ev0, ca_dep)
    for a in (ca1, ca2):
        evs, t_main = checkout_boot(a, t0)
        more, ts = c.boot(t_main, a.group.task("api"))
        evs["api"] += more
        a.task_states = {
            "db-migrate": c.tstate(evs["db-migrate"], "dead"),
            "envoy.proxy": c.tstate(evs["envoy.proxy"], "running"),
            "api": c.tstate(evs["api"], "running"),
        }
        a.client_status, a.client_desc = "running", "Tasks are running"
        a.client_t = ts + c.j(200 * MS, 800 * MS)
        c.healthy(a, ts + 10 * S + c.j(200 * MS, 3 * S))
    story(1, "checkout-api.api[1] (healthy, running)", ca1)
    story(1, "checkout-api.api[2] (healthy, running)", ca2)

    # A failed (reason unknowable: it has been garbage-collected).
    tA_fail = T - 62 * MIN + c.j(0, 20 * S)
    A.client_status, A.client_desc, A.client_t = "failed", "Failed tasks", tA_fail
    A.followup = c.uuid()
    A.server_t = tA_fail + c.j(20 * MS, 90 * MS)
    tB = A.server_t + 30 * S + c.j(5 * MS, 60 * MS)
    B = c.place(ca_v3, ca_group, 0, n1b2, tB, A.followup, prev=A, resched_delay=30 * S)
    A.desired_status, A.desired_desc, A.server_t = "stop", "alloc was rescheduled because it failed", tB

    def sibling_down(evs, a, t_fail, failed_task):
        for name in evs:
            if name == failed_task or name == "db-migrate":
                continue
            tk = a.group.task(name)
            t = t_fail + c.j(1 * MS, 4 * MS)
            evs[name].append(ev_sibling_failed(t, failed_task))
            more, te = c.kill_seq(t + c.j(1 * MS, 3 * MS), tk, 0)
            evs[name] += more

    # B: the api task is OOM-killed three times, then the restart policy gives up.
    evs, t_main = checkout_boot(B, tB)
    api = evs["api"]
    more, t = c.boot(t_main, ca_group.task("api"))
    api += more
    delays = [16_732 * MS, 15 * S + c.j(0, 3750 * MS)]
    for i in range(3):
        t += c.j(35 * S, 80 * S)
        api.append(docker_exit(t, 137, oom=True))
        if i < 2:
            t += c.j(1 * MS, 3 * MS)
            api.append(ev_restarting(t, delays[i]))
            t += delays[i] + c.j(400 * MS, 1500 * MS)
            api.append(ev_started(t))
    t += c.j(1 * MS, 2 * MS)
    api.append(ev_not_restarting(t, exceeded(2, 30 * MIN)))
    sibling_down(evs, B, t, "api")
    B.task_states = {
        "db-migrate": c.tstate(evs["db-migrate"], "dead"),
        "envoy.proxy": c.tstate(evs["envoy.proxy"], "dead"),
        "api": c.tstate(api, "dead", failed=True),
    }
    B.client_status, B.client_desc = "failed", "Failed tasks"
    B.client_t = max(e["Time"] for v in evs.values() for e in v) + c.j(200 * MS, 700 * MS)
    B.followup = c.uuid()
    B.server_t = B.client_t + c.j(20 * MS, 90 * MS)
    tC = B.server_t + 60 * S + c.j(5 * MS, 60 * MS)
    C = c.place(ca_v3, ca_group, 0, n1a3, tC, B.followup, prev=B, resched_delay=60 * S)
    B.desired_status, B.desired_desc, B.server_t = "stop", "alloc was rescheduled because it failed", tC
    story(1, "attempt B: OOM killed (Terminated 137), restart policy exhausted", B)

    # C: the image cannot be pulled (recoverable error, so it is retried twice).
    pull_err = ("Failed to pull `registry.example.com/checkout-api:2.4.1`: Error response from daemon: "
                "manifest for registry.example.com/checkout-api:2.4.1 not found: manifest unknown: "
                "manifest unknown")
    evs, t_main = checkout_boot(C, tC)
    api = evs["api"]
    t = t_main + c.j(1 * MS, 4 * MS)
    api.append(ev_setup(t))
    for i in range(3):
        t += c.j(15 * MS, 80 * MS)
        api.append(ev_pull(t, "registry.example.com/checkout-api:2.4.1"))
        t += c.j(700 * MS, 1900 * MS)
        api.append(ev_driver_failure(t, pull_err))
        if i < 2:
            d = 15 * S + c.j(0, 3750 * MS)
            t += c.j(1 * MS, 3 * MS)
            api.append(ev_restarting(t, d))
            t += d + c.j(1 * MS, 20 * MS)
    t += c.j(1 * MS, 2 * MS)
    api.append(ev_not_restarting(t, exceeded(2, 30 * MIN)))
    sibling_down(evs, C, t, "api")
    C.task_states = {
        "db-migrate": c.tstate(evs["db-migrate"], "dead"),
        "envoy.proxy": c.tstate(evs["envoy.proxy"], "dead"),
        "api": c.tstate(api, "dead", failed=True),
    }
    C.client_status, C.client_desc = "failed", "Failed tasks"
    C.client_t = max(e["Time"] for v in evs.values() for e in v) + c.j(200 * MS, 700 * MS)
    C.followup = c.uuid()
    C.server_t = C.client_t + c.j(20 * MS, 90 * MS)
    tD = C.server_t + 120 * S + c.j(5 * MS, 60 * MS)
    D = c.place(ca_v3, ca_group, 0, n1b1, tD, C.followup, prev=C, resched_delay=120 * S)
    C.desired_status, C.desired_desc, C.server_t = "stop", "alloc was rescheduled because it failed", tD
    story(1, "attempt C: image pull failed (Driver Failure), restart policy exhausted", C)

    # D: running, restarted twice (exit 1), on the node whose clock is in CET.
    evs, t_main = checkout_boot(D, tD)
    api = evs["api"]
    more, t = c.boot(t_main, ca_group.task("api"))
    api += more
    for when, delay in ((T - 40 * MIN, 16_732 * MS), (T - 12 * MIN, 15 * S + c.j(0, 3750 * MS))):
        t = when + c.j(0, 30 * S)
        api.append(docker_exit(t, 1))
        t += c.j(1 * MS, 3 * MS)
        api.append(ev_restarting(t, delay))
        t += delay + c.j(300 * MS, 1200 * MS)
        api.append(ev_started(t))
    D.task_states = {
        "db-migrate": c.tstate(evs["db-migrate"], "dead"),
        "envoy.proxy": c.tstate(evs["envoy.proxy"], "running"),
        "api": c.tstate(api, "running", tz=D.node.tz),
    }
    D.client_status, D.client_desc = "running", "Tasks are running"
    D.client_t = t + c.j(200 * MS, 700 * MS)
    story(1, "attempt D: running, 2 restarts (current)", D)
    story(1, "attempt A: garbage-collected, no file (gap)", A)

    # ========================================================================
    # 2. nightly-report (batch) + a periodic child invoice-export-periodic-*
    # ========================================================================
    nr = c.job("nightly-report", "nightly-report", "batch-etl", "batch", 50, create_t=T - 60 * DAY)
    nr_group = GroupSpec(
        "report", 4,
        [docker("render", "registry.example.com/reporting/render:1.9.0", 1000, 1024, 2048,
                args=["--shard", "${NOMAD_ALLOC_INDEX}", "--of", "4", "--out", "${NOMAD_ALLOC_DIR}/data/out"]),
         docker("upload", "amazon/aws-cli:2.17.0", 100, 128,
                args=["s3", "sync", "${NOMAD_ALLOC_DIR}/data/out", "s3://acme-reports/nightly/"],
                lifecycle=("poststop", False))],
        disk=2048,
    )
    nr_v = nr.version(12, T - 7 * HOUR + c.j(0, 2 * S), [nr_group], status="pending")
    ev_nr = c.uuid()
    t_nr = nr_v.submit_t + c.j(50 * MS, 200 * MS)
    for i, node in enumerate((n1a1, n1a2, n1b1, n1b3)):
        a = c.place(nr_v, nr_group, i, node, t_nr, ev_nr)
        evs = received_all(a, t_nr)
        more, t = c.boot(t_nr + 5 * MS, nr_group.task("render"))
        evs["render"] += more
        t += c.j(18 * MIN, 41 * MIN)
        evs["render"].append(docker_exit(t, 0))
        more, t = c.boot(t + c.j(30 * MS, 200 * MS), nr_group.task("upload"))
        evs["upload"] += more
        t += c.j(12 * S, 70 * S)
        evs["upload"].append(docker_exit(t, 0))
        a.task_states = {k: c.tstate(v, "dead") for k, v in evs.items()}
        a.client_status, a.client_desc = "complete", "All tasks have completed"
        a.client_t = t + c.j(100 * MS, 500 * MS)
        story(2, "nightly-report.report[%d] (complete)" % i, a)

    t_periodic = T - 3 * HOUR
    ie_parent = c.job("invoice-export", "invoice-export", "batch-etl", "batch", 50, create_t=T - 30 * DAY,
                      periodic={"Enabled": True, "ProhibitOverlap": True, "Spec": "0 6 * * *",
                                "SpecType": "cron", "Specs": ["0 6 * * *"], "TimeZone": "UTC"})
    ie_task = TaskSpec("export", "exec",
                       {"command": "/usr/local/bin/invoice-export", "args": ["--since", "24h", "--format", "parquet"]},
                       300, 256)
    ie_group = GroupSpec("export", 1, [ie_task],
                         restart={"Attempts": 0, "Interval": 24 * HOUR, "Delay": 15 * S, "Mode": "fail"})
    ie_parent.version(4, T - 30 * DAY + 5 * MIN, [ie_group])
    child_id = "invoice-export-periodic-%d" % (t_periodic // S)
    ie = c.job(child_id, child_id, "batch-etl", "batch", 50, create_t=t_periodic + c.j(1 * MS, 9 * MS),
               parent="invoice-export")
    ie_v = ie.version(4, ie.create_t, [ie_group], status="pending")
    t = ie.create_t + c.j(40 * MS, 120 * MS)
    ie0 = c.place(ie_v, ie_group, 0, n1b2, t, c.uuid())
    evs = received_all(ie0, t)
    more, t1 = c.boot(t + 5 * MS, ie_task)
    evs["export"] += more
    t1 += c.j(20 * S, 50 * S)
    evs["export"].append(ev_terminated(t1, 3))
    t1 += c.j(1 * MS, 3 * MS)
    evs["export"].append(ev_not_restarting(t1, REASON_NO_RESTARTS))
    for e in evs["export"]:
        e["DisplayMessage"] = ""  # as an event-stream payload would carry them: viewer must fall back
    ie0.task_states = {"export": c.tstate(evs["export"], "dead", failed=True)}
    ie0.client_status, ie0.client_desc = "failed", "Failed tasks"
    ie0.client_t = t1 + c.j(100 * MS, 400 * MS)
    ie0.followup = c.uuid()
    ie0.server_t = ie0.client_t + c.j(20 * MS, 80 * MS)
    t = ie0.server_t + 5 * S + c.j(5 * MS, 40 * MS)
    ie1 = c.place(ie_v, ie_group, 0, n1a3, t, ie0.followup, prev=ie0, resched_delay=5 * S)
    ie0.desired_status, ie0.desired_desc, ie0.server_t = "stop", "alloc was rescheduled because it failed", t
    evs = received_all(ie1, t)
    more, t1 = c.boot(t + 5 * MS, ie_task)
    evs["export"] += more
    t1 += c.j(2 * MIN, 4 * MIN)
    evs["export"].append(ev_terminated(t1, 0))
    ie1.task_states = {"export": c.tstate(evs["export"], "dead")}
    ie1.client_status, ie1.client_desc = "complete", "All tasks have completed"
    ie1.client_t = t1 + c.j(100 * MS, 400 * MS)
    story(2, "%s export[0]: failed (exit 3), every DisplayMessage empty" % child_id, ie0)
    story(2, "%s export[0]: batch reschedule, complete" % child_id, ie1)

    # ========================================================================
    # 3 + 10. storefront-web: destructive update v3→v4, lost node, failed canary v5
    # ========================================================================
    sw = c.job("storefront-web", "storefront-web", "default", "service", 50, create_t=T - 20 * DAY)

    def sw_group(tag, count, canary=0):
        return GroupSpec(
            "web", count,
            [docker("web", "registry.example.com/storefront-web:%s" % tag, 300, 256, 384, ports=["http"])],
            update=update_strategy(canary=canary),
            network={"mode": "bridge", "ports": [("http", 3000, 0)]},
            service=("storefront-web", "http", "/health/ready"),
            shutdown_delay=5 * S,
        )

    g3, g4, g5 = sw_group("5.11.0", 2), sw_group("5.12.0", 3), sw_group("5.13.0-rc.1", 3, canary=1)
    sw3 = sw.version(3, T - 44 * HOUR + c.j(0, 60 * S), [g3])
    sw4 = sw.version(4, T - 30 * HOUR + c.j(0, 60 * S), [g4])
    sw5 = sw.version(5, T - 35 * MIN + c.j(0, 20 * S), [g5])
    d3, d4, d5 = Deployment(c.uuid(), sw3), Deployment(c.uuid(), sw4), Deployment(c.uuid(), sw5)

    t = sw3.submit_t + c.j(60 * MS, 200 * MS)
    e3 = c.uuid()
    old = []
    for i, node in enumerate((n1b3, n1a1)):
        a = c.place(sw3, g3, i, node, t, e3, d3)
        evs, ts = run_simple(a, t)
        keep_history(a, evs)
        c.healthy(a, ts + 10 * S + c.j(100 * MS, 2 * S))
        old.append(a)

    # v4: rolling destructive update, max_parallel 1; web[2] is new (count 2 → 3).
    t = sw4.submit_t + c.j(60 * MS, 200 * MS)
    e4 = c.uuid()
    sw4_0 = c.place(sw4, g4, 0, n1c1, t, e4, d4, prev=old[0])
    sw4_2 = c.place(sw4, g4, 2, n1b2, t, e4, d4)
    stop_running(old[0], t, "alloc is being updated due to job update")
    _, ts0 = run_simple(sw4_0, t)
    c.healthy(sw4_0, ts0 + 10 * S + c.j(100 * MS, 2 * S))
    _, ts2 = run_simple(sw4_2, t)
    c.healthy(sw4_2, ts2 + 10 * S + c.j(100 * MS, 2 * S))
    t = max(sw4_0.health_t, sw4_2.health_t) + c.j(300 * MS, 1500 * MS)
    sw4_1 = c.place(sw4, g4, 1, n1a3, t, c.uuid(), d4, prev=old[1])
    stop_running(old[1], t, "alloc is being updated due to job update")
    _, ts1 = run_simple(sw4_1, t)
    c.healthy(sw4_1, ts1 + 10 * S + c.j(100 * MS, 2 * S))
    story(10, "storefront-web.web[0] v3: stopped by the v4 update (complete)", old[0])
    story(10, "storefront-web.web[1] v3: stopped by the v4 update (complete)", old[1])
    story(10, "storefront-web.web[1] v4: its replacement (PreviousAllocation)", sw4_1)

    # n1c1 goes down: web[0] is lost and replaced (not a reschedule: no tracker).
    t_lost = T_DOWN + c.j(1 * S, 3 * S)
    sw4_0.desired_status, sw4_0.desired_desc = "stop", "alloc is lost since its node is down"
    sw4_0.client_status, sw4_0.server_t = "lost", t_lost
    # The reconciler stamps AllocStates just before the plan is applied. This one lands on a
    # whole second, so its RFC 3339 string has no fraction digits at all.
    sw4_0.alloc_states = [(t_lost - t_lost % S, "lost")]
    sw_repl = c.place(sw4, g4, 0, n1a2, t_lost, c.uuid(), prev=sw4_0)
    run_simple(sw_repl, t_lost)
    story(3, "storefront-web.web[0] v4 on the down node: lost (chain: v3 web[0] → this → replacement)", sw4_0)
    story(3, "storefront-web.web[0] v4: its replacement (PreviousAllocation, no tracker)", sw_repl)
    story(8, "storefront-web.web[2] v4: Healthy true", sw4_2)

    # v5 canary: fails its health checks; the deployment fails.
    t = sw5.submit_t + c.j(60 * MS, 200 * MS)
    can = c.place(sw5, g5, 0, n1a3, t, c.uuid(), d5, canary=True)
    evs, ts = run_simple(can, t)
    t_unhealthy = t + 5 * MIN + c.j(1 * MS, 40 * MS)
    evs["web"].append(ev_message("Alloc Unhealthy", t_unhealthy,
                                 "Services not healthy by deadline: storefront-web"))
    can.task_states["web"] = c.tstate(evs["web"], "running")
    can.client_t = t_unhealthy + c.j(10 * MS, 90 * MS)
    c.healthy(can, t_unhealthy + c.j(1 * MS, 5 * MS), healthy=False)
    story(8, "storefront-web.web[0] v5 canary: Healthy false (deployment failed)", can)

    # ========================================================================
    # 3b. session-cache: one allocation on a disconnected node (unknown)
    # ========================================================================
    sc = c.job("session-cache", "session-cache", "default", "service", 60, create_t=T - 38 * HOUR)
    sc_group = GroupSpec(
        "cache", 3,
        [docker("redis", "redis:7.4-alpine", 250, 512, args=["redis-server", "--save", "", "--appendonly", "no"],
                ports=["redis"])],
        update=update_strategy(),
        network={"mode": "host", "ports": [("redis", 0, 0)]},
        disconnect={"LostAfter": HOUR, "Reconcile": "best_score", "Replace": False, "StopOnClientAfter": None},
    )
    sc_v = sc.version(0, sc.create_t, [sc_group], status="pending")
    t = sc_v.submit_t + c.j(60 * MS, 200 * MS)
    e = c.uuid()
    dsc = Deployment(c.uuid(), sc_v)
    sc_allocs = []
    for i, node in enumerate((n1c2, n1a1, n1b2)):
        a = c.place(sc_v, sc_group, i, node, t, e, dsc)
        _, ts = run_simple(a, t)
        c.healthy(a, ts + 10 * S + c.j(100 * MS, 2 * S))
        sc_allocs.append(a)
    unk = sc_allocs[0]
    t_unk = T_DISC + c.j(1 * S, 3 * S)
    unk.client_status = "unknown"
    unk.client_desc = "alloc is unknown since its node is disconnected"
    unk.alloc_states = [(t_unk - c.j(2 * MS, 40 * MS), "unknown")]
    unk.followup = c.uuid()  # the disconnect-timeout evaluation (lost_after = 1h)
    unk.server_t = t_unk
    story(3, "session-cache.cache[0] on the disconnected node: unknown (text in ClientDescription; "
             "FollowupEvalID = the disconnect-timeout eval)", unk)

    # ========================================================================
    # 4. preemption: fraud-scorer (priority 90) evicts cache-warmer (priority 20)
    # ========================================================================
    cw = c.job("cache-warmer", "cache-warmer", "default", "service", 20, create_t=T - 5 * DAY)
    cw_group = GroupSpec("warmer", 2,
                         [docker("warmer", "registry.example.com/cache-warmer:0.8.3", 1200, 1536,
                                 args=["--targets", "catalog,pricing", "--interval", "30s"])],
                         update=update_strategy())
    cw_v = cw.version(2, T - 22 * HOUR + c.j(0, 60 * S), [cw_group])
    dcw = Deployment(c.uuid(), cw_v)
    t = cw_v.submit_t + c.j(60 * MS, 200 * MS)
    e = c.uuid()
    cws = []
    for i, node in enumerate((n1a2, n1b3)):
        a = c.place(cw_v, cw_group, i, node, t, e, dcw)
        evs, ts = run_simple(a, t)
        keep_history(a, evs)
        c.healthy(a, ts + 10 * S + c.j(100 * MS, 2 * S))
        cws.append(a)
    fs = c.job("fraud-scorer", "fraud-scorer", "payments", "service", 90, create_t=T - 2 * MIN - 10 * S)
    fs_group = GroupSpec(
        "scorer", 3,
        [docker("scorer", "registry.example.com/fraud-scorer:7.2.0", 1500, 2048, ports=["grpc"])],
        update=update_strategy(min_healthy=30 * S, max_parallel=3),
        network={"mode": "bridge", "ports": [("grpc", 9090, 0)]},
        service=("fraud-scorer", "grpc", "/grpc.health.v1.Health/Check"),
    )
    fs_v = fs.version(0, fs.create_t, [fs_group], status="pending")
    dfs = Deployment(c.uuid(), fs_v)
    t = fs_v.submit_t + c.j(60 * MS, 200 * MS)
    e = c.uuid()
    fs0 = c.place(fs_v, fs_group, 0, n1b3, t, e, dfs)
    fs2 = c.place(fs_v, fs_group, 2, n1a3, t, e, dfs)
    victim = cws[1]
    fs0.preempted_allocs = [victim.id]
    victim.preempted_by = fs0.id
    stop_running(victim, t, "Preempted by alloc ID %s" % fs0.id, desired="evict")
    # The preempting alloc's tasks wait for the preempted alloc to be gone.
    evs = received_all(fs0, t)
    more, ts = c.boot(victim.client_t + c.j(50 * MS, 300 * MS), fs_group.task("scorer"))
    evs["scorer"] += more
    fs0.task_states = {"scorer": c.tstate(evs["scorer"], "running")}
    fs0.client_status, fs0.client_desc = "running", "Tasks are running"
    fs0.client_t = ts + c.j(200 * MS, 800 * MS)
    c.healthy(fs0, ts + 30 * S + c.j(100 * MS, 2 * S))
    # fs2: a slow image pull; running, health not determined yet (no DeploymentStatus).
    evs = received_all(fs2, t)
    t2 = t + c.j(5 * MS, 9 * MS)
    evs["scorer"].append(ev_setup(t2))
    t2 += c.j(20 * MS, 60 * MS)
    evs["scorer"].append(ev_pull(t2, "registry.example.com/fraud-scorer:7.2.0"))
    t2 += 2 * MIN + c.j(0, 2 * S)
    evs["scorer"].append(ev_driver(t2, "Docker image pull progress: Pulled 5/7 (311.4 MiB/402.9 MiB) layers: "
                                       "0 waiting/2 pulling - est 28.6s remaining",
                                   {"image": "registry.example.com/fraud-scorer:7.2.0"}))
    t2 = T - 20 * S + c.j(0, 2 * S)
    evs["scorer"].append(ev_started(t2))
    fs2.task_states = {"scorer": c.tstate(evs["scorer"], "running")}
    fs2.client_status, fs2.client_desc = "running", "Tasks are running"
    fs2.client_t = t2 + c.j(200 * MS, 800 * MS)
    # fs1: blocked until capacity appeared; just placed, the client has not reported.
    fs1 = c.place(fs_v, fs_group, 1, n1a1, T - 5 * S + c.j(0, 900 * MS), c.uuid(), dfs)
    fs1.network_status = False
    story(4, "cache-warmer.warmer[1]: preempted (DesiredStatus evict)", victim)
    story(4, "fraud-scorer.scorer[0]: the preempter (PreemptedAllocations)", fs0)
    story(8, "fraud-scorer.scorer[0]: Healthy true", fs0)
    story(8, "fraud-scorer.scorer[2]: running, DeploymentStatus null (health pending)", fs2)
    story(8, "fraud-scorer.scorer[1]: pending, TaskStates null", fs1)

    # ========================================================================
    # 5. ingest-worker: restart policy exceeded, no reschedule (attempts 0)
    # ========================================================================
    iw = c.job("ingest-worker", "ingest-worker", "batch-etl", "service", 50, create_t=T - 12 * DAY)
    iw_group = GroupSpec(
        "worker", 3,
        [docker("worker", "registry.example.com/ingest-worker:3.0.4", 400, 384,
                args=["--queue", "ingest.events", "--concurrency", "8"]),
         docker("log.shipper", "fluent/fluent-bit:3.1", 50, 64,
                args=["-c", "${NOMAD_TASK_DIR}/fluent-bit.conf"], lifecycle=("poststart", True))],
        restart=SERVICE_RESTART,
        reschedule={"Attempts": 0, "Interval": 0, "Delay": 30 * S, "DelayFunction": "exponential",
                    "MaxDelay": HOUR, "Unlimited": False},
        update=update_strategy(),
    )
    iw_v = iw.version(1, T - 26 * HOUR + c.j(0, 60 * S), [iw_group])
    diw = Deployment(c.uuid(), iw_v)
    t = iw_v.submit_t + c.j(60 * MS, 200 * MS)
    e = c.uuid()

    def iw_boot(a, t):
        evs = received_all(a, t)
        more, ts = c.boot(t + 5 * MS, iw_group.task("worker"))
        evs["worker"] += more
        more, ts2 = c.boot(ts + c.j(1 * MS, 5 * MS), iw_group.task("log.shipper"))
        evs["log.shipper"] += more
        return evs, ts, ts2

    iws = []
    for i, node in enumerate((n1a2, n1b2, n1a3)):
        a = c.place(iw_v, iw_group, i, node, t, e, diw)
        evs, ts, ts2 = iw_boot(a, t)
        a.task_states = {k: c.tstate(v, "running") for k, v in evs.items()}
        a.client_status, a.client_desc = "running", "Tasks are running"
        a.client_t = ts2 + c.j(200 * MS, 800 * MS)
        c.healthy(a, ts2 + 10 * S + c.j(100 * MS, 2 * S))
        iws.append((a, evs))
    bad, evs = iws[0]
    w = evs["worker"]
    t = T - 8 * HOUR - 20 * MIN + c.j(0, 60 * S)
    for i in range(3):
        w.append(docker_exit(t, 1))
        t += c.j(1 * MS, 3 * MS)
        if i < 2:
            d = 15 * S + c.j(0, 3750 * MS)
            w.append(ev_restarting(t, d))
            t += d + c.j(300 * MS, 1200 * MS)
            w.append(ev_started(t))
            t += c.j(2 * MIN, 9 * MIN)
    w.append(ev_not_restarting(t, exceeded(2, 30 * MIN)))
    ls = evs["log.shipper"]
    t2 = t + c.j(1 * MS, 4 * MS)
    ls.append(ev_sibling_failed(t2, "worker"))
    more, t2 = c.kill_seq(t2 + c.j(1 * MS, 3 * MS), iw_group.task("log.shipper"), 0)
    ls += more
    bad.task_states = {"worker": c.tstate(w, "dead", failed=True), "log.shipper": c.tstate(ls, "dead")}
    bad.client_status, bad.client_desc = "failed", "Failed tasks"
    bad.client_t = t2 + c.j(100 * MS, 500 * MS)
    story(5, "ingest-worker.worker[0]: failed, will not reschedule", bad)

    # ========================================================================
    # 6. search-indexer: failed, a delayed reschedule is pending (FollowupEvalID)
    # ========================================================================
    si = c.job("search-indexer", "search-indexer", "default", "service", 50, create_t=T - 15 * DAY)
    si_task = TaskSpec("indexer", "exec", {"command": "local/search-indexer", "args": ["--config", "local/indexer.hcl"]},
                       800, 1024, 1536,
                       artifacts=[{"GetterHeaders": None, "GetterInsecure": False, "GetterMode": "any",
                                   "GetterOptions": {"checksum": "sha256:6f1c0d3e4b1a9c2f7e5d8b0a3c6e9f1d2b4a7c0e3f5d8a1b4c7e0f2d5a8b1c3e"},
                                   "GetterSource": "https://artifacts.example.com/search-indexer/search-indexer-4.2.0-linux-amd64.tar.gz",
                                   "RelativeDest": "local/"}])
    si_group = GroupSpec(
        "index", 2, [si_task],
        restart={"Attempts": 1, "Interval": 5 * MIN, "Delay": 10 * S, "Mode": "fail"},
        reschedule={"Attempts": 0, "Interval": 0, "Delay": 5 * MIN, "DelayFunction": "fibonacci",
                    "MaxDelay": HOUR, "Unlimited": True},
        update=update_strategy(),
        network={"mode": "host", "ports": [("http", 0, 0)]},
        service=("search-indexer", "http", "/status"),
    )
    si_v = si.version(2, T - 20 * HOUR + c.j(0, 60 * S), [si_group])
    dsi = Deployment(c.uuid(), si_v)
    t = si_v.submit_t + c.j(60 * MS, 200 * MS)
    e = c.uuid()
    P1 = c.place(si_v, si_group, 0, n1a1, t, e, dsi)
    si1 = c.place(si_v, si_group, 1, n1a3, t, e, dsi)
    evs1, ts = run_simple(si1, t, artifacts=True)
    c.healthy(si1, ts + 10 * S + c.j(100 * MS, 2 * S))
    evs, ts = run_simple(P1, t, artifacts=True)
    c.healthy(P1, ts + 10 * S + c.j(100 * MS, 2 * S))
    x = evs["indexer"]
    t = T - 9 * MIN - 40 * S + c.j(0, 10 * S)
    x.append(ev_terminated(t, 2))
    t += c.j(1 * MS, 3 * MS)
    d = 10 * S + c.j(0, 2500 * MS)
    x.append(ev_restarting(t, d))
    t += d + c.j(100 * MS, 300 * MS)
    x.append(ev_started(t))
    t += c.j(8 * S, 20 * S)
    x.append(ev_terminated(t, 2))
    t += c.j(1 * MS, 3 * MS)
    x.append(ev_not_restarting(t, exceeded(1, 5 * MIN)))
    P1.task_states = {"indexer": c.tstate(x, "dead", failed=True)}
    P1.client_status, P1.client_desc = "failed", "Failed tasks"
    P1.client_t = t + c.j(100 * MS, 400 * MS)
    P1.followup = c.uuid()
    P1.server_t = P1.client_t + c.j(20 * MS, 80 * MS)
    tS2 = P1.server_t + 5 * MIN + c.j(5 * MS, 50 * MS)
    S2 = c.place(si_v, si_group, 0, n1b3, tS2, P1.followup, prev=P1, resched_delay=5 * MIN)
    P1.desired_status, P1.desired_desc, P1.server_t = "stop", "alloc was rescheduled because it failed", tS2
    evs = received_all(S2, tS2)
    x = evs["indexer"]
    t = tS2 + c.j(5 * MS, 9 * MS)
    x.append(ev_setup(t))
    art_err = ('failed to download artifact "https://artifacts.example.com/search-indexer/'
               'search-indexer-4.2.0-linux-amd64.tar.gz": bad response code: 404')
    for i in range(2):
        t += c.j(2 * MS, 9 * MS)
        x.append(ev_downloading_artifacts(t))
        t += c.j(150 * MS, 600 * MS)
        x.append(ev_artifact_failed(t, art_err))
        t += c.j(1 * MS, 3 * MS)
        if i == 0:
            d = 10 * S + c.j(0, 2500 * MS)
            x.append(ev_restarting(t, d))
            t += d
    x.append(ev_not_restarting(t, exceeded(1, 5 * MIN)))
    S2.task_states = {"indexer": c.tstate(x, "dead", failed=True)}
    S2.client_status, S2.client_desc = "failed", "Failed tasks"
    S2.client_t = t + c.j(100 * MS, 400 * MS)
    S2.followup = c.uuid()  # fibonacci: the next delay is 5m again; will run after BASE
    S2.server_t = S2.client_t + c.j(20 * MS, 80 * MS)
    story(6, "search-indexer.index[0] (first): failed, rescheduled after 5m", P1)
    story(6, "search-indexer.index[0] (second): failed, reschedule pending (FollowupEvalID, no NextAllocation)", S2)

    # ========================================================================
    # 9. node-exporter: a system job, one allocation per node
    # ========================================================================
    ne = c.job("node-exporter", "node-exporter", "default", "system", 75, create_t=T - 90 * DAY)
    ne_group = GroupSpec(
        "exporter", 1,
        [docker("node-exporter", "prom/node-exporter:v1.8.2", 100, 64,
                args=["--path.rootfs=/host", "--web.listen-address=:9100"], ports=["metrics"])],
        network={"mode": "host", "ports": [("metrics", 0, 9100)]},
    )
    ne_v = ne.version(2, T - 46 * HOUR + c.j(0, 60 * S), [ne_group])
    t = ne_v.submit_t + c.j(60 * MS, 200 * MS)
    e = c.uuid()
    for node in c.nodes:
        a = c.place(ne_v, ne_group, 0, node, t, e)
        run_simple(a, t)
        if node is n1c1:
            tl = T_DOWN + c.j(1 * S, 4 * S)
            a.desired_status, a.desired_desc = "stop", "alloc is lost since its node is down"
            a.client_status, a.server_t = "lost", tl
            a.alloc_states = [(tl - c.j(2 * MS, 40 * MS), "lost")]
            story(9, "node-exporter on %s: lost (system job, no replacement)" % node.name, a)
        elif node is n1c2:
            story(9, "node-exporter on %s: still 'running' (no disconnect block: stale)" % node.name, a)
        else:
            story(9, "node-exporter on %s" % node.name, a)

    # ========================================================================
    # api-gateway: canary auto-promotion; old allocations "not needed"
    # ========================================================================
    ag = c.job("api-gateway", "api-gateway", "default", "service", 80, create_t=T - 3 * DAY)

    def ag_group(tag, canary):
        return GroupSpec(
            "gateway", 2,
            [docker("traefik", "traefik:%s" % tag, 500, 256,
                    args=["--configFile=${NOMAD_TASK_DIR}/traefik.toml"], ports=["http", "admin"])],
            update=update_strategy(canary=canary, auto_promote=canary > 0),
            network={"mode": "host", "ports": [("http", 0, 0), ("admin", 0, 0)]},
            service=("api-gateway", "http", "/ping"),
        )

    ag1, ag2 = ag_group("v3.1.3", 0), ag_group("v3.1.4", 2)
    agv1 = ag.version(1, T - 72 * HOUR + c.j(0, 60 * S), [ag1])
    agv2 = ag.version(2, T - 18 * HOUR + c.j(0, 60 * S), [ag2])
    dag1, dag2 = Deployment(c.uuid(), agv1), Deployment(c.uuid(), agv2)
    t = agv1.submit_t + c.j(60 * MS, 200 * MS)
    e = c.uuid()
    ag_old = []
    for i, node in enumerate((n1a1, n1b1)):
        a = c.place(agv1, ag1, i, node, t, e, dag1)
        evs, ts = run_simple(a, t)
        keep_history(a, evs)
        c.healthy(a, ts + 10 * S + c.j(100 * MS, 2 * S))
        ag_old.append(a)
    t = agv2.submit_t + c.j(60 * MS, 200 * MS)
    e = c.uuid()
    ag_new = []
    for i, node in enumerate((n1a2, n1b2)):
        a = c.place(agv2, ag2, i, node, t, e, dag2, canary=True)
        _, ts = run_simple(a, t)
        c.healthy(a, ts + 10 * S + c.j(100 * MS, 2 * S))
        ag_new.append(a)
    t_promote = max(a.health_t for a in ag_new) + c.j(1 * S, 3 * S)
    for a in ag_old:
        stop_running(a, t_promote, "alloc not needed due to job update")
    story(10, "api-gateway.gateway[0] v1: stopped after canary promotion (not needed)", ag_old[0])
    story(8, "api-gateway.gateway[0] v2: promoted canary, Healthy true", ag_new[0])

    # ========================================================================
    # image-resizer: parameterized parent and dispatched children
    # ========================================================================
    ir_parent = c.job("image-resizer", "image-resizer", "default", "batch", 40, create_t=T - 40 * DAY,
                      parameterized={"MetaOptional": ["quality"], "MetaRequired": None, "Payload": "required"})
    ir_task = docker("resize", "registry.example.com/image-resizer:1.3.0", 800, 512,
                     args=["--in", "${NOMAD_TASK_DIR}/request.json"])
    ir_group = GroupSpec("resize", 1, [ir_task])
    ir_parent.version(6, T - 40 * DAY + 3 * MIN, [ir_group])
    for k, (ago, node) in enumerate(((6 * HOUR, n1a2), (4 * HOUR, n1b1), (90 * MIN, n1b2), (3 * MIN, n1b3))):
        td = T - ago + c.j(0, 30 * S)
        cid = "image-resizer-dispatch-%d-%08x" % (td // S, c.rng.getrandbits(32))
        ch = c.job(cid, cid, "default", "batch", 40, create_t=td, parent="image-resizer", dispatched=True,
                   payload="eyJidWNrZXQiOiJhY21lLW1lZGlhIiwia2V5IjoidXBsb2Fkcy8yMDI2LzExLzI0L2ltZy5qcGcifQ==",
                   meta={"quality": "85"})
        chv = ch.version(6, td, [ir_group], status="pending")
        t = td + c.j(40 * MS, 150 * MS)
        a = c.place(chv, ir_group, 0, node, t, c.uuid())
        evs = received_all(a, t)
        more, ts = c.boot(t + 5 * MS, ir_task, pull=(k == 0))
        evs["resize"] += more
        if k < 3:
            ts += c.j(20 * S, 90 * S)
            evs["resize"].append(docker_exit(ts, 0))
            a.task_states = {"resize": c.tstate(evs["resize"], "dead")}
            a.client_status, a.client_desc = "complete", "All tasks have completed"
        else:
            a.task_states = {"resize": c.tstate(evs["resize"], "running")}
            a.client_status, a.client_desc = "running", "Tasks are running"
        a.client_t = ts + c.j(100 * MS, 500 * MS)
        story(11, "%s (%s)" % (cid, a.client_status), a)

    # ========================================================================
    # payments-webhooks: a Template event; a canary whose health is still null
    # ========================================================================
    pw = c.job("payments-webhooks", "payments-webhooks", "payments", "service", 60, create_t=T - 50 * DAY)
    tmpl = [{"ChangeMode": "restart", "ChangeScript": None, "ChangeSignal": "",
             "DestPath": "secrets/webhooks.env",
             "EmbeddedTmpl": "{{ with nomadVar \"nomad/jobs/payments-webhooks\" }}SIGNING_KEY={{ .signing_key }}{{ end }}\n",
             "Envvars": True, "ErrMissingKey": False, "Gid": None, "LeftDelim": "{{", "Once": False,
             "Perms": "0644", "RightDelim": "}}", "SourcePath": "", "Splay": 5 * S, "Uid": None,
             "VaultGrace": 0, "Wait": None}]

    def pw_group(tag, canary):
        return GroupSpec(
            "webhooks", 2,
            [docker("dispatcher", "registry.example.com/payments-webhooks:%s" % tag, 300, 256,
                    ports=["http"], templates=tmpl)],
            update=update_strategy(canary=canary),
            network={"mode": "bridge", "ports": [("http", 8000, 0)]},
            service=("payments-webhooks", "http", "/healthz"),
        )

    pw3g, pw4g = pw_group("1.18.2", 0), pw_group("1.19.0", 1)
    pw3 = pw.version(3, T - 12 * HOUR + c.j(0, 60 * S), [pw3g])
    pw4 = pw.version(4, T - 50 * S + c.j(0, 2 * S), [pw4g])
    dpw3, dpw4 = Deployment(c.uuid(), pw3), Deployment(c.uuid(), pw4)
    t = pw3.submit_t + c.j(60 * MS, 200 * MS)
    e = c.uuid()
    pw0 = c.place(pw3, pw3g, 0, n1b2, t, e, dpw3)
    pw1 = c.place(pw3, pw3g, 1, n1a3, t, e, dpw3)
    # pw0 waited for its Nomad variable before it could render the template.
    evs = received_all(pw0, t)
    tt = t + c.j(5 * MS, 9 * MS)
    evs["dispatcher"].append(ev_setup(tt))
    tt += c.j(20 * MS, 60 * MS)
    evs["dispatcher"].append(ev_message("Template", tt,
                                        "Missing: nomadVar.block(nomad/jobs/payments-webhooks@payments.global)"))
    more, ts = c.boot(tt + c.j(3 * S, 9 * S), pw3g.task("dispatcher"))
    evs["dispatcher"] += more[1:]  # Task Setup already happened
    pw0.task_states = {"dispatcher": c.tstate(evs["dispatcher"], "running")}
    pw0.client_status, pw0.client_desc = "running", "Tasks are running"
    pw0.client_t = ts + c.j(200 * MS, 800 * MS)
    c.healthy(pw0, ts + 10 * S + c.j(100 * MS, 2 * S))
    _, ts = run_simple(pw1, t)
    c.healthy(pw1, ts + 10 * S + c.j(100 * MS, 2 * S))
    t = pw4.submit_t + c.j(60 * MS, 200 * MS)
    pwc = c.place(pw4, pw4g, 0, n1b3, t, c.uuid(), dpw4, canary=True)
    run_simple(pwc, t)
    story(7, "payments-webhooks.webhooks[0] v3: 'Template' event (open event type)", pw0)
    story(8, "payments-webhooks.webhooks[0] v4 canary: Healthy null (deployment running)", pwc)

    # ========================================================================
    # docs-site: a third-party driver event with zero Time and null Details
    # ========================================================================
    ds = c.job("docs-site", "docs-site", "default", "service", 30, create_t=T - 80 * DAY)
    ds_task = TaskSpec("nginx", "containerd-driver",
                       {"image": "docker.io/library/nginx:1.27-alpine", "mounts": [
                           {"type": "bind", "source": "local/site", "target": "/usr/share/nginx/html",
                            "options": ["rbind", "ro"]}]},
                       200, 128)
    ds_group = GroupSpec("site", 2, [ds_task], update=update_strategy(),
                         network={"mode": "host", "ports": [("http", 0, 0)]},
                         service=("docs-site", "http", "/"))
    ds_v = ds.version(9, T - 30 * HOUR + c.j(0, 60 * S), [ds_group])
    dds = Deployment(c.uuid(), ds_v)
    t = ds_v.submit_t + c.j(60 * MS, 200 * MS)
    e = c.uuid()
    for i, node in enumerate((n1a2, n1b3)):
        a = c.place(ds_v, ds_group, i, node, t, e, dds)
        evs = received_all(a, t)
        more, ts = c.boot(t + 5 * MS, ds_task)
        if i == 0:
            more.insert(1, ev_driver(GO_ZERO_UNIXNANO,
                                     "image docker.io/library/nginx:1.27-alpine not found locally, pulling", None))
            story(7, "docs-site.site[0]: Driver event with Time %d and Details null" % GO_ZERO_UNIXNANO, a)
        evs["nginx"] += more
        a.task_states = {"nginx": c.tstate(evs["nginx"], "running")}
        a.client_status, a.client_desc = "running", "Tasks are running"
        a.client_t = ts + c.j(200 * MS, 800 * MS)
        c.healthy(a, ts + 10 * S + c.j(100 * MS, 2 * S))

    # Story 7 pointers into allocations made above.
    stories.setdefault(7, [])
    stories[7][:0] = [
        ("checkout-api.api[0] attempt D: prestart db-migrate + prestart sidecar envoy.proxy", D),
        ("ingest-worker.worker[1]: poststart sidecar log.shipper", iws[1][0]),
        ("nightly-report.report[0]: poststop upload", stories[2][0][1]),
    ]

    # Drop the scratch history kept for kills that never happened.
    for a in c.allocs:
        for st in (a.task_states or {}).values():
            st.pop("_all", None)
    # nomad-client-eu-1a-03's clock has microsecond resolution (like a macOS client): the times
    # it writes carry at most 6 fraction digits, fewer when they end in zeros.
    n1a3.clock_res = US
    for a in c.allocs:
        if a.node is n1a3:
            coarsen(a, US)

    c.write_snapshot(DEMO_DIR, 1_840_000)
    return c, stories


STORY_TITLES = {
    1: "checkout-api (payments): api[0] rescheduled three times across four nodes",
    2: "Batch: nightly-report complete; a periodic child failed once and was rescheduled",
    3: "Node trouble: lost allocation with replacement; unknown allocation on a disconnected node",
    4: "Preemption",
    5: "Restart policy exceeded, no reschedule",
    6: "Failed with a delayed reschedule pending",
    7: "Task lifecycles, dotted task names, odd events",
    8: "Deployment health",
    9: "System job: one allocation per node",
    10: "Job updates: old versions stopped",
    11: "Dispatched batch children",
}


def demo_readme(c, stories):
    live = [a for a in c.allocs if not a.gc]
    jobs = sorted({a.jv.job.id for a in live})
    nss = sorted({a.jv.job.ns for a in live})
    lines = [
        "# allocscope demo snapshot",
        "",
        "**Synthetic data.** Nothing here came from a real cluster. It is generated by",
        "`scripts/gen_demo.py` (deterministic: fixed seed, fixed base time); edit the script and",
        "re-run `python3 scripts/gen_demo.py` from the repository root instead of editing these files.",
        "",
        "It imitates the HTTP API of a Nomad 1.11-era cluster built without codecgen (keys in",
        "alphabetical order), captured at **%s** (`BASE`, Unix ns %d). See" % (rfc3339(BASE), BASE),
        "`research/nomad-model.md` for the wire rules it follows.",
        "",
        "Layout (no file extensions; any static file server can host it):",
        "",
        "| Path | Content |",
        "|---|---|",
        "| `v1/allocations` | stubs (`AllocListStub`) of all %d allocations, all namespaces, by CreateIndex |" % len(live),
        "| `v1/allocation/<id>` | one full allocation each |",
        "| `v1/job/<job-id>/allocations` | stubs per job (%d jobs with allocations) |" % len(jobs),
        "| `v1/node/<node-id>/allocations` | full allocations (with `Job`) per node (%d nodes) |" % len(c.nodes),
        "| `v1/jobs` | job list stubs, including a periodic and a parameterized parent |",
        "",
        "Namespaces: %s. Nodes:" % ", ".join("`%s`" % n for n in nss),
        "",
        "| Node | ID | Datacenter | Notes |",
        "|---|---|---|---|",
    ]
    for n in c.nodes:
        note = []
        if n.clock_res != 1:
            note.append("client clock with microsecond resolution (times carry <= 6 fraction digits)")
        if n.tz:
            note.append("client clock in UTC+01:00 (LastRestart / deployment Timestamp carry `+01:00`)")
        if n.down_at:
            note.append("went down at %s" % rfc3339(n.down_at))
        if n.disconnected_at:
            note.append("disconnected at %s" % rfc3339(n.disconnected_at))
        lines.append("| %s | `%s` | %s | %s |" % (n.name, n.id, n.dc, "; ".join(note)))
    lines += ["", "## Stories", ""]
    for key in sorted(stories):
        lines.append("### %d. %s" % (key, STORY_TITLES[key]))
        lines.append("")
        lines.append("| Allocation | Status | What to look at |")
        lines.append("|---|---|---|")
        for label, a in stories[key]:
            status = "%s / %s" % (a.desired_status, a.client_status)
            aid = "`%s`%s" % (a.id, " (no file)" if a.gc else "")
            lines.append("| %s | %s | %s |" % (aid, status, label))
        lines.append("")
    lines += [
        "Deliberate gaps and oddities:",
        "",
        "- checkout-api attempt A is referenced (PreviousAllocation of B, PrevAllocID in the trackers",
        "  of B, C and D) but has no file: it was garbage-collected. Every other reference resolves.",
        "- One allocation (%s) has `\"DisplayMessage\": \"\"` on all its events, so the viewer's" % stories[2][-2][1].id,
        "  own message table is exercised.",
        "- One third-party driver event has `\"Time\": %d` and `\"Details\": null`." % GO_ZERO_UNIXNANO,
        "- Flapping tasks have lost their oldest events (the client keeps the last 10).",
        "- The lost allocation's `AllocStates[0].Time` has no fraction digits.",
        "",
        "Where this data follows Nomad's source rather than intuition:",
        "",
        "- A disconnected node's allocation gets `ClientStatus: unknown` and the text",
        "  \"alloc is unknown since its node is disconnected\" in **ClientDescription** (the",
        "  reconciler sets `ClientDescription = StatusAllocUnknown`), with `DesiredStatus: run`,",
        "  an empty DesiredDescription and a FollowupEvalID for the disconnect timeout.",
        "- A destructive job update stops the old allocation with \"alloc is being updated due to",
        "  job update\" and links old and new through Previous/NextAllocation (storefront-web v3 → v4).",
        "  \"alloc not needed due to job update\" is what a canary promotion leaves on the old",
        "  allocations, and those have no NextAllocation (api-gateway v1).",
        "- Replacements placed after a deployment has finished (checkout-api B, C, D; the lost",
        "  storefront-web web[0]'s replacement) carry no DeploymentID/DeploymentStatus.",
        "- node-exporter has no `disconnect` block, so its allocation on the disconnected node is left",
        "  as it was (`running`); only groups with a disconnect block turn `unknown`.",
        "- Docker reports any non-zero exit as `Docker container exited with non-zero exit code: N`,",
        "  and an OOM kill as `OOM Killed`; exec tasks have no exit message.",
        "",
    ]
    write_text(os.path.join(DEMO_DIR, "README.md"), "\n".join(lines))


# ---------------------------------------------------------------------------
# Hostile snapshot
# ---------------------------------------------------------------------------

XSS = [
    '<img src=x onerror="window.__xss=1">',
    "<script>window.__xss=2</script>",
    "javascript:alert(1)",
    '"><svg onload=window.__xss=3>',
]
XSS_TASK = "<img src=x onerror=window.__xss=4>"


def build_hostile():
    c = Cluster(HOSTILE_SEED)
    T = BASE
    X0, X1, X2, X3 = XSS
    n1 = c.node("%s node" % X0, X1, "10.66.0.1")
    n2 = c.node("%s node" % X3, X2, "10.66.0.2")
    jb = c.job("evil-job", "%s %s" % (X1, X3), X0, X2, 50, create_t=T - 2 * DAY, dcs=[X1, X2],
               meta={X0: X1, "owner": X3})
    tasks = [
        docker(XSS_TASK, X3, 100, 64, args=[X1, X2], ports=[X2]),
        docker(X2, "busybox:1.36", 50, 32, lifecycle=(X0, True)),
        docker("web", "nginx:1.27", 100, 64),
    ]
    g = GroupSpec(X1, 2, tasks,
                  reschedule={"Attempts": 0, "Interval": 0, "Delay": 30 * S, "DelayFunction": X0,
                              "MaxDelay": HOUR, "Unlimited": True},
                  update=update_strategy(),
                  network={"mode": "bridge", "ports": [(X3, 8080, 0)]},
                  service=(X0, X3, "/" + X1))
    jv = jb.version(1, T - 2 * DAY + 5 * MIN, [g], status=X1)
    dep = Deployment(c.uuid(), jv)

    def hostile_events(t, task_label):
        evs = [
            ev_received(t),
            ev_setup(t + 2 * MS),
            ev_driver(t + 40 * MS, "%s %s" % (X0, X3), {X0: X1, X3: X2}),
            _event(X1, t + 60 * MS, {X2: X3, "message": X0}, Message=X0),
            _event("Driver Failure", t + 80 * MS, {"driver_error": X3}, DriverError=X3),
            _event("Killing", t + 90 * MS, {"kill_reason": X1}, KillReason=X1, KillTimeout=5 * S),
            ev_terminated(t + 120 * MS, 1, message=X1),
            ev_restarting(t + 130 * MS, 15 * S, reason=X2),
            ev_sibling_failed(t + 140 * MS, task_label),
            _event("Signaling", t + 150 * MS, {"task_signal": X3, "task_signal_reason": X0},
                   TaskSignal=X3, TaskSignalReason=X0, display=X3),
            _event("Alloc Unhealthy", t + 160 * MS,
                   {X1: "\u202egnp.exe \U0001F4A3 " + X0, "long": ("%s " % X3) * 200},
                   Message=X2, display=X0),
        ]
        return evs

    t = jv.submit_t + 100 * MS
    h1 = c.place(jv, g, 0, n1, t, c.uuid(), dep)
    evs = hostile_events(t + 5 * MS, X2)
    h1.task_states = {
        XSS_TASK: c.tstate(evs, "running"),
        X2: c.tstate(evs[:3] + [ev_started(t + 50 * MS)], X3),
        "web": c.tstate([ev_received(t + 4 * MS), ev_setup(t + 6 * MS), ev_started(t + 900 * MS)], "running"),
    }
    h1.task_states[X2]["Paused"] = X0
    h1.client_status, h1.client_desc = X1, X3
    h1.desired_status, h1.desired_desc = X3, X2
    h1.client_t = t + 2 * S
    c.healthy(h1, t + 20 * S)

    h2 = c.place(jv, g, 1, n2, t, c.uuid(), dep)
    evs2 = hostile_events(t + 7 * MS, XSS_TASK)
    evs2.append(ev_not_restarting(t + 3 * S, X0))
    h2.task_states = {XSS_TASK: c.tstate(evs2[-10:], "dead", failed=True),
                      X2: c.tstate([ev_received(t + 3 * MS)], "pending")}
    h2.client_status, h2.client_desc = "failed", X0
    h2.client_t = t + 4 * S
    h2.followup = c.uuid()
    h2.server_t = t + 4 * S + 30 * MS
    h2.tracker = {"Events": [{"Delay": 30 * S, "PrevAllocID": X2, "PrevNodeID": X0,
                              "RescheduleTime": t - HOUR}], "LastReschedule": X1}
    h2.prev = X2  # a "previous allocation" whose ID is a javascript: URL (no such file)
    t3 = h2.server_t + 30 * S
    h3 = c.place(jv, g, 1, n1, t3, h2.followup, prev=h2, resched_delay=30 * S)
    h2.desired_status, h2.desired_desc, h2.server_t = "stop", X3, t3
    h2.tracker["LastReschedule"] = X1
    evs3 = hostile_events(t3 + 5 * MS, X1)
    h3.task_states = {XSS_TASK: c.tstate(evs3, "running", tz=60), "web": c.tstate(evs3[:2], "pending")}
    h3.client_status, h3.client_desc = "running", X2
    h3.client_t = t3 + 3 * S
    h3.preempted_allocs = [h1.id, X0]
    h3.preempted_by = X2
    h3.desired_transition["Migrate"] = True
    h3.alloc_states = [(t3 + S, X3)]
    c.write_snapshot(HOSTILE_DIR, 66_600)

    readme = """# Hostile snapshot (e2e fixture)

Generated by `scripts/gen_demo.py`; do not edit by hand.

A snapshot in the usual layout (`v1/allocations`, `v1/allocation/<id>`,
`v1/job/evil-job/allocations`, `v1/node/<id>/allocations`, `v1/jobs`) whose
*displayed* strings are script-injection payloads:

```
%s
```

They appear in: allocation Name, Namespace, TaskGroup, NodeName, ClientStatus,
DesiredStatus, ClientDescription, DesiredDescription, JobType / Job.Type, Job.Name,
datacenters, port labels, task names (the keys of `TaskStates`; one task is called
`%s`), TaskState.State and Paused, event Type, Message, DisplayMessage, DriverError,
DriverMessage, KillReason, RestartReason, FailedSibling, TaskSignal, Details keys and
values, RescheduleTracker.LastReschedule, AllocStates[].Value, PreemptedByAllocation,
PreemptedAllocations[], reschedule event PrevAllocID / PrevNodeID and PreviousAllocation.
One Details value mixes a right-to-left override, an emoji and a long repeated payload.

IDs used as path segments stay safe (UUIDs and the job ID `evil-job`), so every file
exists, except references that are hostile on purpose:

- %s (`%s`): `PreviousAllocation` and its tracker's `PrevAllocID` are `javascript:alert(1)`.
- %s (`%s`): `PreemptedByAllocation` is `javascript:alert(1)`, and `PreemptedAllocations`
  contains a payload next to a real ID.

A viewer passes when nothing executes (`window.__xss` stays undefined), every payload is
shown as text, no payload becomes an `href`, `src`, `style`, event-handler attribute or CSS class (inert attributes such as `title`, `aria-label` and `data-*` may carry the text), and
links built from hostile IDs are percent-encoded (or not built).
""" % ("\n".join(XSS), XSS_TASK, "h2", h2.id, "h3", h3.id)
    write_text(os.path.join(HOSTILE_DIR, "README.md"), readme)
    return c


# ---------------------------------------------------------------------------
# Malformed snapshot
# ---------------------------------------------------------------------------

MALFORMED = [
    ("11111111-1111-4111-8111-111111111111", "truncated object with a string CreateTime",
     '{"ID": "x", "CreateTime": "not-a-number"'),
    ("22222222-2222-4222-8222-222222222222", "valid JSON, wrong types everywhere", None),
    ("33333333-3333-4333-8333-333333333333", "empty file (0 bytes)", ""),
    ("44444444-4444-4444-8444-444444444444", "an HTML error page from a proxy",
     "<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>"
     "<body><h1>502 Bad Gateway</h1><script>window.__xss=5</script></body></html>\n"),
    ("55555555-5555-4555-8555-555555555555", "the JSON literal null", "null"),
    ("66666666-6666-4666-8666-666666666666", "arrays nested 20000 deep (recursion limit)",
     "[" * 20000 + "]" * 20000),
    ("77777777-7777-4777-8777-777777777777", "integers outside i64/u64, negative index, float time", None),
    ("88888888-8888-4888-8888-888888888888", "plain-text Nomad error body", "alloc not found"),
]


def build_malformed():
    def stub(aid, name):
        return {"ClientDescription": "", "ClientStatus": "running", "CreateIndex": 10, "CreateTime": BASE,
                "DeploymentStatus": None, "DesiredDescription": "", "DesiredStatus": "run",
                "DesiredTransition": {"ForceReschedule": None, "Migrate": None, "MigrateDisablePlacement": None,
                                      "NoShutdownDelay": None, "Reschedule": None},
                "EvalID": "99999999-9999-4999-8999-999999999999", "FollowupEvalID": "", "ID": aid,
                "JobID": "broken", "JobType": "service", "JobVersion": 0, "ModifyIndex": 10, "ModifyTime": BASE,
                "Name": name, "Namespace": "default", "NextAllocation": "",
                "NodeID": "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa", "NodeName": "nomad-client-x",
                "PreemptedAllocations": None, "PreemptedByAllocation": "", "RescheduleTracker": None,
                "TaskGroup": "g", "TaskStates": None}

    full_list = json.dumps([stub(aid, "broken.g[%d]" % i) for i, (aid, _, _) in enumerate(MALFORMED)],
                           sort_keys=True, separators=(",", ":"))
    write_text(os.path.join(MALFORMED_DIR, "v1", "allocations"), full_list[:300])
    wrong_types = {"ClientStatus": 7, "CreateIndex": "ten", "CreateTime": "not-a-number",
                   "DesiredTransition": "none", "ID": MALFORMED[1][0], "JobID": ["broken"],
                   "ModifyTime": {"$date": "2026-11-24"}, "Name": 42, "NextAllocation": False,
                   "RescheduleTracker": {"Events": "x"},
                   "TaskStates": {"t": {"Events": [{"Time": "yesterday", "Type": None, "Details": ["a"]}],
                                        "StartedAt": 1795942800, "State": 1}}}
    overflow = ('{"ID":"%s","Name":"broken.g[6]","CreateIndex":-1,"ModifyIndex":18446744073709551616,'
                '"CreateTime":99999999999999999999999,"ModifyTime":1.7959428e18,"JobVersion":1e400,'
                '"TaskStates":{"t":{"State":"dead","FinishedAt":"2026-13-45T25:61:61Z","StartedAt":"0001-01-01T00:00:00Z",'
                '"Events":[{"Type":"Started","Time":-9223372036854775809},'
                '{"Type":"Restarting","Time":9223372036854775807,"StartDelay":-1}]}}}' % MALFORMED[6][0])
    for aid, _, content in MALFORMED:
        if aid == MALFORMED[1][0]:
            content = json.dumps(wrong_types, sort_keys=True, indent=4)
        elif aid == MALFORMED[6][0]:
            content = overflow
        write_text(os.path.join(MALFORMED_DIR, "v1", "allocation", aid), content)
    # Job list: NDJSON (two documents), as `nomad operator debug` bundles write since 1.4.
    write_text(os.path.join(MALFORMED_DIR, "v1", "job", "broken", "allocations"),
               "\n".join(json.dumps(stub(aid, "broken.g[%d]" % i), sort_keys=True, separators=(",", ":"))
                         for i, (aid, _, _) in enumerate(MALFORMED[:2])) + "\n")
    # Node list: a docs-sample-style payload with a trailing comma and a duplicate key.
    write_text(os.path.join(MALFORMED_DIR, "v1", "node", "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa", "allocations"),
               '[\n  {\n    "ID": "%s",\n    "ClientStatus": "running",\n    "ClientStatus": "failed",\n'
               '    "Name": "broken.g[0]",\n  },\n]\n' % MALFORMED[0][0])
    # A second node answers with an error object instead of an array.
    write_text(os.path.join(MALFORMED_DIR, "v1", "node", "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb", "allocations"),
               '{"Error":"rpc error: Permission denied"}')
    rows = "\n".join("| `v1/allocation/%s` | %s |" % (aid, what) for aid, what, _ in MALFORMED)
    readme = """# Malformed snapshot (e2e fixture)

Generated by `scripts/gen_demo.py`; do not edit by hand.

Every file here is broken in a different way. A viewer passes when none of them crashes
or hangs it, each failure is reported with a message that names what was being loaded,
and the rest of the UI stays usable.

| File | What is wrong |
|---|---|
| `v1/allocations` | the first 300 bytes of a valid compact stub array: truncated mid-value |
%s
| `v1/job/broken/allocations` | NDJSON (two stubs on two lines) instead of one JSON array |
| `v1/node/aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa/allocations` | trailing commas and a duplicate `ClientStatus` key (like the 0.8 docs samples) |
| `v1/node/bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb/allocations` | an `{"Error": ...}` object instead of an array |
| `v1/jobs` | absent (a 404 from a static server) |
""" % rows
    write_text(os.path.join(MALFORMED_DIR, "README.md"), readme)


# ---------------------------------------------------------------------------
# Checks
# ---------------------------------------------------------------------------

STUB_KEYS = {
    "ClientDescription", "ClientStatus", "CreateIndex", "CreateTime", "DeploymentStatus",
    "DesiredDescription", "DesiredStatus", "DesiredTransition", "EvalID", "FollowupEvalID", "ID",
    "JobID", "JobType", "JobVersion", "ModifyIndex", "ModifyTime", "Name", "Namespace",
    "NextAllocation", "NodeID", "NodeName", "PreemptedAllocations", "PreemptedByAllocation",
    "RescheduleTracker", "TaskGroup", "TaskStates",
}
EVENT_KEYS = set(_event("Received", 0, {}).keys())
TASK_STATE_KEYS = {"Events", "Failed", "FinishedAt", "LastRestart", "Paused", "Restarts", "StartedAt", "State"}


class Checker:
    def __init__(self):
        self.errors = []

    def fail(self, msg):
        self.errors.append(msg)

    def sorted_keys(self, obj, where):
        if isinstance(obj, dict):
            keys = list(obj.keys())
            if keys != sorted(keys):
                self.fail("%s: keys not sorted: %s" % (where, keys[:6]))
            for k, v in obj.items():
                self.sorted_keys(v, where)
        elif isinstance(obj, list):
            for v in obj:
                self.sorted_keys(v, where)

    def load(self, path):
        with open(path, "rb") as f:
            raw = f.read()
        obj = json.loads(raw.decode("utf-8"))
        self.sorted_keys(obj, os.path.relpath(path, REPO))
        return obj

    def task_states(self, ts, where):
        if ts is None:
            return
        for name, st in ts.items():
            if set(st.keys()) != TASK_STATE_KEYS:
                self.fail("%s task %r: keys %s" % (where, name, sorted(st.keys())))
            evs = st.get("Events") or []
            if len(evs) > 10:
                self.fail("%s task %r: %d events (cap is 10)" % (where, name, len(evs)))
            for e in evs:
                if set(e.keys()) != EVENT_KEYS:
                    self.fail("%s task %r: event keys %s" % (where, name, sorted(e.keys())))
                if not isinstance(e["Time"], int):
                    self.fail("%s: event Time not an int" % where)

    def snapshot(self, root, allowed_missing):
        """Parse and cross-check a snapshot. Returns {id: full alloc}."""
        v1 = os.path.join(root, "v1")
        stubs = self.load(os.path.join(v1, "allocations"))
        fulls = {}
        adir = os.path.join(v1, "allocation")
        for fn in sorted(os.listdir(adir)):
            a = self.load(os.path.join(adir, fn))
            if a.get("ID") != fn:
                self.fail("allocation file %s has ID %s" % (fn, a.get("ID")))
            fulls[fn] = a
        # stubs
        idx = [(s["CreateIndex"], s["ID"]) for s in stubs]
        if idx != sorted(idx):
            self.fail("%s: v1/allocations not sorted by CreateIndex" % root)
        if {s["ID"] for s in stubs} != set(fulls):
            self.fail("%s: v1/allocations IDs differ from allocation files" % root)

        def check_stub(s, where):
            if set(s.keys()) != STUB_KEYS:
                self.fail("%s: stub keys differ: +%s -%s" % (where, sorted(set(s) - STUB_KEYS),
                                                            sorted(STUB_KEYS - set(s))))
            if set(s["DesiredTransition"].keys()) != {"ForceReschedule", "Migrate", "MigrateDisablePlacement",
                                                      "NoShutdownDelay", "Reschedule"}:
                self.fail("%s: DesiredTransition keys" % where)
            f = fulls.get(s["ID"])
            if f is None:
                return
            for k in ("ClientStatus", "DesiredStatus", "ModifyIndex", "CreateTime", "ModifyTime", "Name",
                      "NodeID", "EvalID"):
                if s[k] != f.get(k, "" if isinstance(s[k], str) else 0):
                    self.fail("%s: stub %s %r != full %r" % (where, k, s[k], f.get(k)))
            if s["JobVersion"] != f["Job"]["Version"] or s["JobType"] != f["Job"]["Type"]:
                self.fail("%s: JobVersion/JobType differ from Job" % where)
            if s["TaskStates"] != f.get("TaskStates"):
                self.fail("%s: TaskStates differ" % where)
            self.task_states(s["TaskStates"], where)

        for s in stubs:
            check_stub(s, "%s stub %s" % (os.path.relpath(root, REPO), s["ID"]))
        # full allocations
        for aid, f in fulls.items():
            where = "%s allocation %s" % (os.path.relpath(root, REPO), aid)
            for k, v in f.items():
                empty = v is None or v is False or v == "" or v == [] or v == {} or \
                    (isinstance(v, int) and not isinstance(v, bool) and v == 0)
                if empty:
                    self.fail("%s: empty top-level field %s present" % (where, k))
            dt = f.get("DesiredTransition")
            if dt is not None and all(x is None for x in dt.values()):
                self.fail("%s: all-null DesiredTransition present" % where)
            for k in ("PreviousAllocation", "Job", "Metrics", "AllocatedResources", "ID", "CreateIndex",
                      "ModifyIndex", "CreateTime", "ModifyTime", "AllocModifyIndex"):
                if k == "PreviousAllocation":
                    continue
                if k not in f:
                    self.fail("%s: missing %s" % (where, k))
            if f["ModifyIndex"] < f["CreateIndex"] or f["ModifyTime"] < f["CreateTime"]:
                self.fail("%s: modify before create" % where)
            self.task_states(f.get("TaskStates"), where)
            refs = []
            for k in ("PreviousAllocation", "NextAllocation", "PreemptedByAllocation"):
                if f.get(k):
                    refs.append((k, f[k]))
            for p in f.get("PreemptedAllocations") or []:
                refs.append(("PreemptedAllocations", p))
            for e in (f.get("RescheduleTracker") or {}).get("Events") or []:
                refs.append(("PrevAllocID", e["PrevAllocID"]))
            for k, ref in refs:
                if ref not in fulls and ref not in allowed_missing:
                    self.fail("%s: %s -> %s has no file" % (where, k, ref))
            if f.get("NextAllocation"):
                nxt = fulls.get(f["NextAllocation"])
                if nxt is not None and nxt.get("PreviousAllocation") != aid:
                    self.fail("%s: NextAllocation's PreviousAllocation does not point back" % where)
        # job lists
        jdir = os.path.join(v1, "job")
        seen = set()
        for jid in sorted(os.listdir(jdir)):
            for s in self.load(os.path.join(jdir, jid, "allocations")):
                check_stub(s, "job %s stub %s" % (jid, s["ID"]))
                if s["JobID"] != jid:
                    self.fail("job %s lists %s of job %s" % (jid, s["ID"], s["JobID"]))
                seen.add(s["ID"])
        if seen != set(fulls):
            self.fail("%s: job lists do not cover all allocations" % root)
        # node lists
        ndir = os.path.join(v1, "node")
        seen = set()
        for nid in sorted(os.listdir(ndir)):
            for f in self.load(os.path.join(ndir, nid, "allocations")):
                if f["NodeID"] != nid:
                    self.fail("node %s lists %s of node %s" % (nid, f["ID"], f["NodeID"]))
                if f != fulls.get(f["ID"]):
                    self.fail("node %s: %s differs from its allocation file" % (nid, f["ID"]))
                seen.add(f["ID"])
        if seen != set(fulls):
            self.fail("%s: node lists do not cover all allocations" % root)
        self.load(os.path.join(v1, "jobs"))
        return fulls


def check_all(demo, stories, hostile):
    ck = Checker()
    gap = {a.id for a in demo.allocs if a.gc}
    fulls = ck.snapshot(DEMO_DIR, gap)
    stubs = ck.load(os.path.join(DEMO_DIR, "v1", "allocations"))
    # Every GC'd allocation must really be referenced (it is the story's gap).
    refs = json.dumps(list(fulls.values()))
    for g in gap:
        if g not in refs:
            ck.fail("gap %s is never referenced" % g)

    # Story-level assertions.
    def F(a):
        return fulls[a.id]

    s1 = {lbl.split(":")[0]: a for lbl, a in stories[1]}
    A, B, C, D = (s1["attempt %s" % k] for k in "ABCD")
    nodes = {A.node.id, B.node.id, C.node.id, D.node.id}
    if len(nodes) != 4:
        ck.fail("story 1: attempts not on four different nodes")
    if A.id in fulls:
        ck.fail("story 1: attempt A must have no file")
    for a, n, prev, nxt in ((B, 1, A, C), (C, 2, B, D), (D, 3, C, None)):
        f = F(a)
        evs = f["RescheduleTracker"]["Events"]
        if len(evs) != n:
            ck.fail("story 1: %s tracker has %d events" % (a.name, len(evs)))
        if [e["Delay"] for e in evs] != [30 * S, 60 * S, 120 * S][:n]:
            ck.fail("story 1: delays %s" % [e["Delay"] for e in evs])
        if f.get("PreviousAllocation") != prev.id:
            ck.fail("story 1: PreviousAllocation")
        if nxt is not None and (f.get("NextAllocation") != nxt.id or f["DesiredStatus"] != "stop"
                                or f["ClientStatus"] != "failed"):
            ck.fail("story 1: failed attempt links/status")
        pen = [m["Scores"]["node-reschedule-penalty"] for m in f["Metrics"]["ScoreMetaData"]]
        if -1 not in pen:
            ck.fail("story 1: no node-reschedule-penalty on %s" % a.id)
    b_api = F(B)["TaskStates"]["api"]
    if not any(e["Type"] == "Terminated" and e["Details"].get("oom_killed") == "true" and e["ExitCode"] == 137
               and e["DisplayMessage"] == 'Exit Code: 137, Exit Message: "OOM Killed"' for e in b_api["Events"]):
        ck.fail("story 1: B has no OOM event")
    if b_api["Events"][0]["Type"] == "Received":
        ck.fail("story 1: B should have lost its Received event to the cap")
    if not any(e["Type"] == "Driver Failure" and "manifest unknown" in e["DriverError"]
               for e in F(C)["TaskStates"]["api"]["Events"]):
        ck.fail("story 1: C has no pull failure")
    d_api = F(D)["TaskStates"]["api"]
    if d_api["Restarts"] != 2 or not d_api["LastRestart"] or d_api["State"] != "running":
        ck.fail("story 1: D restarts")
    if not any(e["DisplayMessage"] == "Task restarting in 16.732s" for e in d_api["Events"]):
        ck.fail("story 1: no 'Task restarting in 16.732s'")
    if "envoy.proxy" not in F(D)["TaskStates"]:
        ck.fail("story 1: dotted task name missing")
    # 4: preemption pair
    s4 = [a for _, a in stories[4]]
    victim, preempter = F(s4[0]), F(s4[1])
    if victim["DesiredStatus"] != "evict" or victim["PreemptedByAllocation"] != preempter["ID"] \
            or preempter["PreemptedAllocations"] != [victim["ID"]] \
            or victim["DesiredDescription"] != "Preempted by alloc ID %s" % preempter["ID"]:
        ck.fail("story 4: preemption links")
    # 5: no reschedule
    f5 = F(stories[5][0][1])
    if f5["ClientStatus"] != "failed" or "NextAllocation" in f5 or "FollowupEvalID" in f5:
        ck.fail("story 5")
    if not any(e["Type"] == "Sibling Task Failed" for e in f5["TaskStates"]["log.shipper"]["Events"]):
        ck.fail("story 5: no Sibling Task Failed")
    # 6: pending reschedule
    f6 = F(stories[6][1][1])
    if not f6.get("FollowupEvalID") or "NextAllocation" in f6 or f6["ClientStatus"] != "failed":
        ck.fail("story 6")
    # 3: lost / unknown
    lost, repl = F(stories[3][0][1]), F(stories[3][1][1])
    if lost["ClientStatus"] != "lost" or lost.get("NextAllocation") != repl["ID"] or "RescheduleTracker" in repl:
        ck.fail("story 3: lost")
    unk = F(stories[3][2][1])
    if unk["ClientStatus"] != "unknown" or unk["AllocStates"][0]["Value"] != "unknown":
        ck.fail("story 3: unknown")
    # 8: health variety
    healths = [s["DeploymentStatus"]["Healthy"] if s["DeploymentStatus"] else "absent" for s in stubs]
    for want in (True, False, None, "absent"):
        if want not in healths:
            ck.fail("story 8: no DeploymentStatus.Healthy %r" % (want,))
    if not any(s["ClientStatus"] == "pending" and s["TaskStates"] is None for s in stubs):
        ck.fail("story 8: no pending alloc with null TaskStates")
    # 9: system job on every node
    sys_nodes = {s["NodeID"] for s in stubs if s["JobType"] == "system"}
    if sys_nodes != {n.id for n in demo.nodes}:
        ck.fail("story 9: system job not on every node")
    # time formats and oddities
    blob = json.dumps(stubs)
    if str(GO_ZERO_UNIXNANO) not in blob:
        ck.fail("no zero-time driver event")
    if '+01:00"' not in blob:
        ck.fail("no +01:00 client time")
    empty_dm = [s["ID"] for s in stubs if any(e["DisplayMessage"] == "" for st in (s["TaskStates"] or {}).values()
                                               for e in st["Events"] or [])]
    if len(empty_dm) != 1:
        ck.fail("expected exactly one allocation with empty DisplayMessages, got %d" % len(empty_dm))
    if not any(e["Details"] is None for s in stubs for st in (s["TaskStates"] or {}).values()
               for e in st["Events"] or []):
        ck.fail("no Details null")
    # Nothing happens after the snapshot was taken.
    for s in stubs:
        if s["CreateTime"] > BASE or s["ModifyTime"] > BASE:
            ck.fail("%s: time after BASE" % s["ID"])
        for st in (s["TaskStates"] or {}).values():
            for e in st["Events"] or []:
                if e["Time"] > BASE:
                    ck.fail("%s: event %s after BASE" % (s["ID"], e["Type"]))
        for e in (s["RescheduleTracker"] or {}).get("Events") or []:
            if e["RescheduleTime"] > BASE:
                ck.fail("%s: reschedule after BASE" % s["ID"])
    ntotal = len(fulls)
    jobs = {s["JobID"] for s in stubs}
    nss = {s["Namespace"] for s in stubs}
    nodes = {s["NodeID"] for s in stubs}
    if ntotal < 50 or len(jobs) < 6 or len(nss) < 3 or len(nodes) < 6:
        ck.fail("too small: %d allocs, %d jobs, %d namespaces, %d nodes" % (ntotal, len(jobs), len(nss), len(nodes)))

    # Hostile
    hfulls = ck.snapshot(HOSTILE_DIR, {XSS[0], XSS[2]})
    hblob = "".join(open(os.path.join(dp, fn), encoding="utf-8").read()
                    for dp, _, fns in os.walk(os.path.join(HOSTILE_DIR, "v1")) for fn in fns)
    for p in XSS + [XSS_TASK]:
        if json.dumps(p, ensure_ascii=False)[1:-1] not in hblob:
            ck.fail("hostile: payload %r missing" % p)

    # Malformed: every allocation file must fail to decode as an allocation object.
    mal = os.path.join(MALFORMED_DIR, "v1")
    try:
        json.loads(open(os.path.join(mal, "allocations"), encoding="utf-8").read())
        ck.fail("malformed: v1/allocations parses")
    except ValueError:
        pass

    summary = {
        "allocations": ntotal, "jobs": len(jobs), "namespaces": sorted(nss), "nodes": len(nodes),
        "hostile allocations": len(hfulls),
        "client status": {}, "stories": {k: len(v) for k, v in sorted(stories.items())},
    }
    for s in stubs:
        summary["client status"][s["ClientStatus"]] = summary["client status"].get(s["ClientStatus"], 0) + 1
    return ck.errors, summary


def main():
    for d in (DEMO_DIR, HOSTILE_DIR, MALFORMED_DIR):
        if os.path.isdir(d):
            shutil.rmtree(d)
    demo, stories = build_demo()
    demo_readme(demo, stories)
    hostile = build_hostile()
    build_malformed()
    errors, summary = check_all(demo, stories, hostile)
    nfiles = sum(len(fns) for d in (DEMO_DIR, HOSTILE_DIR, MALFORMED_DIR) for _, _, fns in os.walk(d))
    print("wrote %d files under www/demo, e2e/fixtures/hostile, e2e/fixtures/malformed" % nfiles)
    print("demo: %d allocations, %d jobs with allocations, namespaces %s, %d nodes"
          % (summary["allocations"], summary["jobs"], ", ".join(summary["namespaces"]), summary["nodes"]))
    print("client status: %s" % ", ".join("%s %d" % kv for kv in sorted(summary["client status"].items())))
    for key, n in summary["stories"].items():
        print("  story %2d  %-3d %s" % (key, n, STORY_TITLES[key]))
    print("hostile: %d allocations" % summary["hostile allocations"])
    if errors:
        print("\n%d CHECK FAILURES:" % len(errors), file=sys.stderr)
        for e in errors:
            print("  " + e, file=sys.stderr)
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
