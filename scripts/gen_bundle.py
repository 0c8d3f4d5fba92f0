#!/usr/bin/env python3
# Builds the `nomad operator debug` bundle fixtures in crates/model/tests/fixtures/bundles/
# from the demo snapshot (www/demo/v1), deterministically: run `python3 scripts/gen_bundle.py`
# twice and the files are byte-identical (fixed tar mtimes, sorted entries, gzip mtime 0).
#
# The layout and encodings follow command/operator_debug.go and api/event_stream.go:
# - entries are regular files only, named `nomad-debug-<2006-01-02-150405Z>/<path>`;
# - `interval/NNNN/allocations.json` is NDJSON of api.AllocationListStub (encoding/json:
#   Go source field order, zero times as "0001-01-01T00:00:00Z", HTML characters escaped)
#   from 1.4, one JSON array before (the 0.12.2-1.1 folder is `nomad/NNNN/`), and
#   `{"Error":"..."}` when the API call failed;
# - `cluster/eventstream.json` is one api.Event per line. The client decodes each payload
#   into a map[string]interface{}, so payload keys come out sorted and every number went
#   through a float64: nanosecond times lose their last digits;
# - `index.json` is the manifest: a JSON array of the relative paths written through the
#   command's file helpers (eventstream.json is created directly and is not listed).
#
# Stdlib only.

import copy
import decimal
import gzip
import io
import json
import os
import tarfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEMO = os.path.join(ROOT, "www", "demo", "v1")
OUT = os.path.join(ROOT, "crates", "model", "tests", "fixtures", "bundles")

# The bundle's clock: a little after the demo's last change (2026-11-24T09:40Z).
T0 = 1795512600
NS = 1_000_000_000

# The allocation whose `api` task gets four more events than the 10 Nomad keeps
# (a third restart), so only the event stream holds its start.
LONG = "211a8252-a89f-2b2b-a5af-d530920bcc3a"
# A running allocation that fails between the two captures, and its replacement.
FAILS = "c923c518"
REPLACEMENT = "7f3c2a91-5d4e-4b8a-9c1f-2e6d8b0a4c57"

STUB_ORDER = [
    "ID", "EvalID", "Name", "Namespace", "NodeID", "NodeName", "JobID", "JobType", "JobVersion",
    "TaskGroup", "AllocatedResources", "DesiredStatus", "DesiredDescription", "DesiredTransition",
    "ClientStatus", "ClientDescription", "TaskStates", "DeploymentStatus", "FollowupEvalID",
    "NextAllocation", "RescheduleTracker", "PreemptedAllocations", "PreemptedByAllocation",
    "CreateIndex", "ModifyIndex", "CreateTime", "ModifyTime",
]
ZERO_TIME = "0001-01-01T00:00:00Z"


def load(path):
    with open(os.path.join(DEMO, path), encoding="utf-8") as f:
        return json.load(f)


def full(alloc_id):
    return load(os.path.join("allocation", alloc_id))


def stamp(t):
    return time.strftime("%Y-%m-%d-%H%M%SZ", time.gmtime(t))


def rfc3339(ns):
    s = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ns // NS))
    frac = ("%09d" % (ns % NS)).rstrip("0")
    return s + ("." + frac if frac else "") + "Z"


def go_json(value):
    """encoding/json.Marshal: compact, HTML characters escaped."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def bundle_stub(stub):
    """An api.AllocationListStub as encoding/json writes it."""
    out = {k: stub[k] for k in STUB_ORDER if k in stub}
    out.update({k: v for k, v in sorted(stub.items()) if k not in out})
    for state in (out.get("TaskStates") or {}).values():
        for k in ("LastRestart", "StartedAt", "FinishedAt"):
            if state.get(k) is None:
                state[k] = ZERO_TIME
    return out


def float64(value):
    """A JSON value after a trip through Go's interface{}: integers beyond 2^53 rounded the
    way encoding/json prints a float64 (shortest digits, no exponent below 1e21)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return int(decimal.Decimal(repr(float(value)))) if abs(value) >= 2**53 else value
    if isinstance(value, dict):
        return {k: float64(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [float64(v) for v in value]
    return value


def event(topic, kind, key, index, payload, filter_keys=None):
    return {"Topic": topic, "Type": kind, "Key": key, "FilterKeys": filter_keys,
            "Index": index, "Payload": float64(payload)}


def alloc_event(kind, alloc):
    """An Allocation event: the full allocation without its Job, no DisplayMessage."""
    a = copy.deepcopy(alloc)
    a.pop("Job", None)
    for state in (a.get("TaskStates") or {}).values():
        for ev in state.get("Events") or []:
            ev["DisplayMessage"] = ""
    return event("Allocation", kind, a["ID"], a["ModifyIndex"], {"Allocation": a},
                 [a["JobID"], a.get("DeploymentID", "")])


def task_event(kind, ns, message="", details=None, **fields):
    ev = {"Details": details or {}, "DiskLimit": 0, "DisplayMessage": "", "DownloadError": "",
          "DriverError": "", "DriverMessage": "", "ExitCode": 0, "FailedSibling": "",
          "FailsTask": False, "GenericSource": "", "KillError": "", "KillReason": "",
          "KillTimeout": 0, "Message": message, "RestartReason": "", "SetupError": "",
          "Signal": 0, "StartDelay": 0, "TaskSignal": "", "TaskSignalReason": "", "Time": ns,
          "Type": kind, "ValidationError": "", "VaultError": ""}
    ev.update(fields)
    return ev


def set_stub_fields(stub, alloc):
    """Copy what changed in a full allocation onto its list stub."""
    for k in ("ClientStatus", "ClientDescription", "DesiredStatus", "DesiredDescription",
              "TaskStates", "ModifyIndex", "ModifyTime", "NextAllocation"):
        if k in alloc:
            stub[k] = copy.deepcopy(alloc[k])


def scenario():
    """The demo cluster at capture 0000 and 0001, and the events between."""
    stubs = load("allocations")
    by_id = {s["ID"]: s for s in stubs}
    fails_id = next(s["ID"] for s in stubs if s["ID"].startswith(FAILS))

    # LONG: a third restart of `api` after the demo snapshot. Its event history is 14
    # events; the client keeps the last 10.
    before = full(LONG)
    api = before["TaskStates"]["api"]
    history = list(api["Events"])
    t = (T0 - 700) * NS + 431_207_009
    history += [
        task_event("Terminated", t, "Docker container exited with non-zero exit code: 1",
                   {"exit_code": "1", "exit_message": "Docker container exited with non-zero exit code: 1",
                    "oom_killed": "false", "signal": "0"}, ExitCode=1),
        task_event("Restarting", t + 1_873_412, "", {"restart_reason": "Restart within policy",
                   "start_delay": "16890123456"}, RestartReason="Restart within policy",
                   StartDelay=16890123456),
        task_event("Driver", t + 16_903_551_201, "Downloading image",
                   {"image": "registry.example.com/checkout-api:2.14.1"}, DriverMessage="Downloading image"),
        task_event("Started", t + 18_027_004_613),
    ]
    after = copy.deepcopy(before)
    a_api = after["TaskStates"]["api"]
    a_api["Events"] = history[-10:]
    a_api["Restarts"] = 3
    a_api["LastRestart"] = rfc3339(t + 1_873_412)
    after["ModifyIndex"] = after["AllocModifyIndex"] = 1849950
    after["ModifyTime"] = t + 18_100_000_000
    set_stub_fields(by_id[LONG], after)
    capture0 = [bundle_stub(s) for s in stubs]

    # FAILS: killed by the OOM killer between the captures; its replacement is placed.
    y = full(fails_id)
    y_after = copy.deepcopy(y)
    tf = (T0 + 14) * NS + 118_842_771
    state = y_after["TaskStates"]["indexer"]
    state["Events"] = (state["Events"] + [
        task_event("Terminated", tf, "OOM Killed", {"exit_code": "137", "exit_message": "OOM Killed",
                   "oom_killed": "true", "signal": "0"}, ExitCode=137),
        task_event("Not Restarting", tf + 2_250_114, "Exceeded allowed attempts 0 in interval 30m0s and mode is \"fail\"",
                   {"fails_task": "true", "restart_reason": "Exceeded allowed attempts 0 in interval 30m0s and mode is \"fail\""},
                   FailsTask=True, RestartReason="Exceeded allowed attempts 0 in interval 30m0s and mode is \"fail\""),
    ])[-10:]
    state.update(State="dead", Failed=True, FinishedAt=rfc3339(tf + 2_250_114))
    y_after.update(ClientStatus="failed", ClientDescription="Failed tasks", ModifyIndex=1849990,
                   AllocModifyIndex=1849990, ModifyTime=tf + 3_000_000, NextAllocation=REPLACEMENT)
    z = copy.deepcopy(y)
    z.update(ID=REPLACEMENT, EvalID="0b6f3e2d-9a41-4c58-8e07-5d1c2b3a4f60", PreviousAllocation=fails_id,
             ClientStatus="pending", ClientDescription="", TaskStates={}, NodeID="", NodeName="",
             CreateIndex=1849991, ModifyIndex=1849991, AllocModifyIndex=1849991,
             CreateTime=tf + 9_402_117_352, ModifyTime=tf + 9_402_117_352)
    z.pop("NextAllocation", None)
    z.pop("NetworkStatus", None)
    z["RescheduleTracker"] = {"Events": [{"Delay": 5_000_000_000, "PrevAllocID": fails_id,
                                          "PrevNodeID": y["NodeID"], "RescheduleTime": tf + 9_402_117_352}]}
    # Placed on another node a moment later.
    z_placed = copy.deepcopy(z)
    target = next(s for s in stubs if s["NodeName"] == "nomad-client-eu-1b-02")
    z_placed.update(NodeID=target["NodeID"], NodeName=target["NodeName"],
                    ModifyIndex=1849993, AllocModifyIndex=1849991)

    stubs1 = copy.deepcopy(stubs)
    set_stub_fields(next(s for s in stubs1 if s["ID"] == fails_id), y_after)
    z_stub = {k: copy.deepcopy(v) for k, v in z_placed.items() if k in STUB_ORDER}
    z_stub.update(JobType=y["Job"]["Type"], JobVersion=y["Job"]["Version"], TaskStates=None,
                  DesiredTransition={"Migrate": None, "Reschedule": None, "ForceReschedule": None,
                                     "NoShutdownDelay": None, "MigrateDisablePlacement": None},
                  FollowupEvalID="", NextAllocation="", PreemptedAllocations=None,
                  PreemptedByAllocation="", DeploymentStatus=None, DesiredDescription="")
    stubs1.append(z_stub)
    capture1 = [bundle_stub(s) for s in stubs1]

    stream = [
        event("Node", "NodeEvent", y["NodeID"], 1849931,
              {"Node": {"ID": y["NodeID"], "Name": y["NodeName"], "Status": "ready"}}),
        alloc_event("AllocationUpdated", before),
        event("Evaluation", "EvaluationUpdated", "5d2a1c0e-4b3f-4e6a-8d9c-7f1e2a3b4c5d", 1849944,
              {"Evaluation": {"ID": "5d2a1c0e-4b3f-4e6a-8d9c-7f1e2a3b4c5d", "JobID": "checkout-api",
                              "Status": "complete", "TriggeredBy": "alloc-failure"}},
              ["checkout-api"]),
        alloc_event("AllocationUpdated", after),
        alloc_event("AllocationUpdated", y_after),
        alloc_event("PlanResult", z),
        alloc_event("PlanResult", z_placed),
    ]
    return capture0, capture1, stream


def nodes_of(stubs):
    seen = {}
    for s in stubs:
        if s.get("NodeID"):
            seen[s["NodeID"]] = {"Address": "", "CreateIndex": 1844001, "Datacenter": s["NodeName"][13:18],
                                 "Drain": False, "ID": s["NodeID"], "ModifyIndex": 1849000,
                                 "Name": s["NodeName"], "NodeClass": "", "NodePool": "default",
                                 "SchedulingEligibility": "eligible", "Status": "ready",
                                 "StatusDescription": "", "Version": "1.9.3"}
    return [seen[k] for k in sorted(seen)]


def agent_self(version):
    return {
        "config": {"Datacenter": "eu-1a", "NodeName": "nomad-server-eu-1a", "Region": "global",
                   "Version": {"Revision": "d92bf1014886c0ff9f882f4a2691d5ae8ad8131c",
                               "Version": version, "VersionMetadata": "", "VersionPrerelease": ""}},
        "member": {"Addr": "10.0.1.10", "DelegateCur": 4, "DelegateMax": 5, "DelegateMin": 2,
                   "Name": "nomad-server-eu-1a.global", "Port": 4648, "ProtocolCur": 2, "ProtocolMax": 5,
                   "ProtocolMin": 1, "Status": "alive",
                   "Tags": {"build": version, "dc": "eu-1a", "region": "global", "role": "nomad"}},
        "stats": {"nomad": {"leader": "true", "server": "true"}},
    }


def members(version):
    return {"ServerName": "nomad-server-eu-1a", "ServerRegion": "global", "ServerDC": "eu-1a",
            "Members": [{"Name": "nomad-server-eu-1%s.global" % z, "Addr": "10.0.%d.10" % (i + 1),
                         "Port": 4648, "Status": "alive",
                         "Tags": {"build": version, "dc": "eu-1" + z, "region": "global"}}
                        for i, z in enumerate("abc")]}


def ndjson(items):
    return "".join(go_json(i) + "\n" for i in items)


def write_tar_gz(name, files):
    """files: {path: (text, mtime)}; entries sorted by path, regular files only."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for path in sorted(files):
            text, mtime = files[path]
            data = text.encode("utf-8")
            info = tarfile.TarInfo(path)
            info.size = len(data)
            info.mtime = mtime
            info.mode = 0o644
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            tar.addfile(info, io.BytesIO(data))
    packed = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=packed, mtime=0) as gz:
        gz.write(raw.getvalue())
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(packed.getvalue())


def with_manifest(top, files, taken):
    """Add index.json and index.html as writeManifest does, and the top folder."""
    listed = sorted(p for p in files if p != "cluster/eventstream.json")
    files["index.json"] = (json.dumps(listed) + "\n", taken + 200)
    html = "<html><head><title>%s</title></head>\n<body><h1>%s</h1>\n<ul>" % (stamp(taken), stamp(taken))
    html += "".join('<li><a href="%s">%s</a></li>\n' % (p, p) for p in listed) + "</ul></body></html>\n"
    files["index.html"] = (html, taken + 200)
    return {top + "/" + p: v for p, v in files.items()}


def main():
    capture0, capture1, stream = scenario()
    jobs = load("jobs")
    top = "nomad-debug-" + stamp(T0)

    def cluster(version, t):
        return {
            "cluster/agent-self.json": (go_json(agent_self(version)), t + 1),
            "cluster/members.json": (go_json(members(version)), t),
            "cluster/nodes.json": (go_json(nodes_of(capture0)), t),
            "cluster/cli-flags.json": (go_json({"Name": "debug", "Parsed": True, "Args": [],
                                                "OsArgs": ["nomad", "operator", "debug", "-duration=1m",
                                                           "-event-topic=Allocation,Node,Evaluation"]}), t),
        }

    # 1.9: two NDJSON captures 30 s apart and an event stream.
    files = cluster("1.9.3", T0)
    for n, (capture, t) in enumerate([(capture0, T0 + 2), (capture1, T0 + 32)]):
        d = "interval/%04d/" % n
        files[d + "allocations.json"] = (ndjson(capture), t)
        files[d + "jobs.json"] = (ndjson(jobs), t)
        files[d + "nodes.json"] = (ndjson(nodes_of(capture)), t)
        files[d + "operator-scheduler.json"] = (go_json({"SchedulerConfig": {"SchedulerAlgorithm": "binpack"}}), t)
    files["cluster/eventstream.json"] = (ndjson(stream), T0 + 60)
    write_tar_gz("nomad-debug-ndjson.tar.gz", with_manifest(top, files, T0))

    # 1.1: the `nomad/NNNN/` folder and a single JSON array.
    t1 = T0 - 86400
    files = cluster("1.1.6", t1)
    files["nomad/0000/allocations.json"] = (go_json(capture0), t1 + 2)
    files["nomad/0000/jobs.json"] = (go_json(jobs), t1 + 2)
    write_tar_gz("nomad-debug-array.tar.gz", with_manifest("nomad-debug-" + stamp(t1), files, t1))

    # A token without read-job on the first interval, then a good capture.
    t2 = T0 + 3600
    files = cluster("1.9.3", t2)
    files["interval/0000/allocations.json"] = (go_json({"Error": "Unexpected response code: 403 (Permission denied)"}), t2 + 2)
    files["interval/0001/allocations.json"] = (ndjson(capture0), t2 + 32)
    write_tar_gz("nomad-debug-error.tar.gz", with_manifest("nomad-debug-" + stamp(t2), files, t2))

    # A snapshot folder tarred up instead of a bundle: a common mix-up.
    files = {"prod-snapshot/v1/allocations": (json.dumps(capture0[:3]), T0),
             "prod-snapshot/README.txt": ("allocscope snapshot\n", T0)}
    write_tar_gz("not-a-bundle.tar.gz", files)


if __name__ == "__main__":
    main()
