#!/usr/bin/env python3
"""Writes e2e/fixtures/lineage10/: one allocation slot rescheduled nine times (ten attempts),
as full allocations in allocscope's snapshot layout, for the Nomad API double. Like Nomad
1.6+, each failed attempt names its replacement (NextAllocation), each replacement its
predecessor (PreviousAllocation), and trackers keep the last five reschedules (an unlimited
policy). Synthetic; deterministic."""
import json, os, shutil

ROOT = os.path.join(os.path.dirname(__file__), '..', 'e2e', 'fixtures', 'lineage10')
BASE = 1795510800 * 10**9  # 2026-11-24T09:00:00Z
N = 10
ids = ['10000000-0000-4000-8000-%012d' % i for i in range(N)]
nodes = ['20000000-0000-4000-8000-%012d' % (i % 4) for i in range(N)]
job = {
    'ID': 'chain-10', 'Name': 'chain-10', 'Namespace': 'default', 'Type': 'service', 'Version': 1,
    'TaskGroups': [{
        'Name': 'web', 'Count': 1,
        'RestartPolicy': {'Attempts': 0, 'Delay': 15 * 10**9, 'Interval': 1800 * 10**9, 'Mode': 'fail'},
        'ReschedulePolicy': {'Attempts': 0, 'Delay': 5 * 10**9, 'DelayFunction': 'exponential',
                             'Interval': 0, 'MaxDelay': 300 * 10**9, 'Unlimited': True},
        'Tasks': [{'Name': 'web', 'Driver': 'docker', 'Lifecycle': None}],
    }],
}

def event(kind, t, **kw):
    e = {'Details': {}, 'DiskLimit': 0, 'DisplayMessage': '', 'DownloadError': '', 'DriverError': '',
         'DriverMessage': '', 'ExitCode': 0, 'FailedSibling': '', 'FailsTask': False, 'GenericSource': '',
         'KillError': '', 'KillReason': '', 'KillTimeout': 0, 'Message': '', 'RestartReason': '',
         'SetupError': '', 'Signal': 0, 'StartDelay': 0, 'TaskSignal': '', 'TaskSignalReason': '',
         'Time': t, 'Type': kind, 'ValidationError': '', 'VaultError': ''}
    e.update(kw)
    return e

def rfc(ns):
    import datetime
    return datetime.datetime.fromtimestamp(ns / 1e9, datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')

shutil.rmtree(ROOT, ignore_errors=True)
os.makedirs(os.path.join(ROOT, 'v1', 'allocation'))
tracker = []
for i, aid in enumerate(ids):
    created = BASE + i * 600 * 10**9
    last = i == N - 1
    ended = created + 120 * 10**9
    events = [event('Received', created + 10**9, DisplayMessage='Task received by client'),
              event('Started', created + 5 * 10**9, DisplayMessage='Task started by client')]
    if not last:
        events.append(event('Terminated', ended, ExitCode=1, DisplayMessage='Exit Code: 1',
                            Details={'exit_code': '1', 'oom_killed': 'false', 'signal': '0'}))
        events.append(event('Not Restarting', ended + 10**6, FailsTask=True,
                            RestartReason='Policy allows no restarts', DisplayMessage='Policy allows no restarts'))
    a = {
        'ID': aid, 'EvalID': '30000000-0000-4000-8000-%012d' % i, 'Name': 'chain-10.web[0]', 'Namespace': 'default',
        'NodeID': nodes[i], 'NodeName': 'chain-node-%d' % (i % 4), 'JobID': 'chain-10', 'Job': job, 'TaskGroup': 'web',
        'DesiredStatus': 'run' if last else 'stop', 'ClientStatus': 'running' if last else 'failed',
        'ClientDescription': 'Tasks are running' if last else 'Failed tasks',
        'TaskStates': {'web': {'State': 'running' if last else 'dead', 'Failed': not last, 'Restarts': 0,
                               'LastRestart': None, 'StartedAt': rfc(created + 5 * 10**9),
                               'FinishedAt': None if last else rfc(ended), 'Events': events, 'Paused': ''}},
        'CreateIndex': 100 + 10 * i, 'ModifyIndex': 100 + 10 * i + 5, 'AllocModifyIndex': 100 + 10 * i,
        'CreateTime': created, 'ModifyTime': created + 180 * 10**9,
    }
    if not last:
        a['DesiredDescription'] = 'alloc was rescheduled because it failed'
        a['NextAllocation'] = ids[i + 1]
    if i > 0:
        a['PreviousAllocation'] = ids[i - 1]
        a['RescheduleTracker'] = {'Events': list(tracker[-5:]), 'LastReschedule': 'ok'}
    with open(os.path.join(ROOT, 'v1', 'allocation', aid), 'w') as f:
        json.dump(a, f, sort_keys=True, separators=(',', ':'))
    tracker.append({'Delay': min(5 * 10**9 * 2**i, 300 * 10**9), 'PrevAllocID': aid, 'PrevNodeID': nodes[i],
                    'RescheduleTime': ended + 60 * 10**9})
with open(os.path.join(ROOT, 'README.md'), 'w') as f:
    f.write('# lineage10 (synthetic)\n\nOne slot, `chain-10.web[0]`, rescheduled nine times: ten attempts, '
            'IDs `10000000-0000-4000-8000-000000000000` to `...09` (the last is running). Written by '
            '`scripts/gen_lineage_fixture.py` for the Nomad API double.\n')
print('wrote', N, 'allocations to', os.path.normpath(ROOT))
