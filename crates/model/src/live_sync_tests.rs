//! Table tests of the live-sync state machine: each row is (what happened, when, what the
//! machine must say), with the commands written out by hand from the rules in the module
//! docs, not computed.

use super::*;
use crate::decode::{decode, DecodeOptions};
use Command::*;
use Input::*;
use SyncStatus as S;

const LIST: ViewKind = ViewKind::List { follow: true };
const BLOCKING_LIST: ViewKind = ViewKind::List { follow: false };

fn policy() -> Policy {
    Policy { resync_ms: 60_000.0, ..Policy::default() }
}

fn read() -> Command {
    Read { blocking_from: None, resync: false }
}

fn resync() -> Command {
    Read { blocking_from: None, resync: true }
}

fn blocking(n: u64) -> Command {
    Read { blocking_from: Some(n), resync: false }
}

fn done(n: u64) -> Input {
    ReadDone { result: Ok(Some(n)), missed: false }
}

fn failed(f: ReadFailure) -> Input {
    ReadDone { result: Err(f), missed: false }
}

/// Run the rows in order on one machine; each row's commands must be exactly those given,
/// leaving out `WakeAt` (when the driver is woken is tested on its own, below: here each row
/// says at what time it happens).
fn table(kind: ViewKind, rows: &[(Input, f64, Vec<Command>)]) -> LiveSync {
    let mut m = LiveSync::new(kind, policy());
    for (i, (input, now, want)) in rows.iter().enumerate() {
        let got: Vec<Command> =
            m.step(input.clone(), *now).into_iter().filter(|c| !matches!(c, WakeAt(_))).collect();
        assert_eq!(&got, want, "row {i}: {input:?} at {now}");
    }
    m
}

#[test]
fn the_driver_is_woken_for_the_earliest_time_that_matters_and_only_when_it_moves_earlier() {
    let mut m = LiveSync::new(LIST, Policy { resync_ms: 30_000.0, ..Policy::default() });
    m.step(Start(Known::Nothing), 0.0);
    // The deadline for the stream's first `{}`.
    assert_eq!(
        m.step(FirstPage { index: Some(100) }, 50.0),
        vec![Subscribe { index: 100 }, WakeAt(10_050.0)]
    );
    // Woken for it, with `{}` already in: the next time that matters is the read's end.
    assert_eq!(m.step(Heartbeat, 60.0), vec![]);
    assert_eq!(m.step(Tick, 10_050.0), vec![WakeAt(45_060.0)]);
    // The re-sync (30 s after the read) is earlier than the silence deadline (45 s).
    assert_eq!(m.step(done(100), 1_000.0), vec![Status(S::Live), WakeAt(31_000.0)]);
    // An owed fold is earlier still.
    assert_eq!(m.step(Frame { index: 100, unknown: false }, 2_100.0), vec![Apply, Status(S::Live)]);
    assert_eq!(m.step(Frame { index: 101, unknown: false }, 2_500.0), vec![WakeAt(3_100.0)]);
    assert_eq!(m.step(Frame { index: 102, unknown: false }, 2_600.0), vec![], "already woken for 3,100");
    // Woken: the fold, and the next time that matters is asked for again.
    assert_eq!(m.step(Tick, 3_100.0), vec![Apply, Status(S::Live), WakeAt(31_000.0)]);
    // A stale wake (a timer asked for earlier) changes nothing, nor asks again.
    assert_eq!(m.step(Tick, 3_200.0), vec![]);
}

#[test]
fn a_followed_list_subscribes_at_the_first_page_and_goes_live_when_every_page_is_in() {
    table(
        LIST,
        &[
            (Start(Known::Nothing), 0.0, vec![read()]),
            // The stream opens while the other pages are read; its silence deadline is woken for.
            (FirstPage { index: Some(100) }, 50.0, vec![Subscribe { index: 100 }]),
            (Heartbeat, 60.0, vec![]),
            // Frames during the read are held (no Apply); the first one is the item at the
            // index subscribed at, which Nomad sends again: no gap.
            (Frame { index: 100, unknown: false }, 70.0, vec![]),
            (Frame { index: 104, unknown: true }, 80.0, vec![]),
            (done(100), 900.0, vec![Status(S::Live)]),
            (Frame { index: 105, unknown: false }, 1_000.0, vec![Apply, Status(S::Live)]),
            // Within a second of the last fold: owed, and woken for.
            (Frame { index: 106, unknown: false }, 1_500.0, vec![]),
            (Tick, 2_000.0, vec![Apply, Status(S::Live)]),
        ],
    );
}

#[test]
fn a_first_frame_newer_than_the_index_subscribed_at_is_a_possible_gap_and_reads_again() {
    table(
        LIST,
        &[
            (Start(Known::Nothing), 0.0, vec![read()]),
            (FirstPage { index: Some(100) }, 10.0, vec![Subscribe { index: 100 }]),
            (done(100), 2_000.0, vec![Status(S::Live)]),
            (Heartbeat, 2_100.0, vec![]),
            // Item 100 was not sent again: items between may have fallen out of the buffer.
            // The change shows at once; the header says re-syncing until the read is in.
            (Frame { index: 130, unknown: false }, 3_500.0, vec![Status(S::Resyncing), resync(), Apply]),
            // Only the first frame is checked: a stream that is open loses nothing.
            (Frame { index: 140, unknown: false }, 3_600.0, vec![]),
            (done(141), 4_000.0, vec![Status(S::Live)]),
            (Frame { index: 150, unknown: false }, 4_700.0, vec![Apply, Status(S::Live)]),
        ],
    );
}

#[test]
fn a_gap_found_during_the_first_read_reads_again_when_it_ends() {
    table(
        LIST,
        &[
            (Start(Known::Nothing), 0.0, vec![read()]),
            (FirstPage { index: Some(100) }, 10.0, vec![Subscribe { index: 100 }]),
            (Frame { index: 120, unknown: false }, 20.0, vec![]),
            (done(100), 3_000.0, vec![Status(S::Resyncing), resync()]),
            (done(125), 5_000.0, vec![Status(S::Live)]),
        ],
    );
}

#[test]
fn placements_missed_by_a_read_and_unknown_allocations_read_again() {
    table(
        LIST,
        &[
            (Start(Known::Nothing), 0.0, vec![read()]),
            (FirstPage { index: Some(100) }, 10.0, vec![Subscribe { index: 100 }]),
            (Frame { index: 100, unknown: false }, 20.0, vec![]),
            // A placement arrived during the read and is not in the pages.
            (ReadDone { result: Ok(Some(100)), missed: true }, 3_000.0, vec![Status(S::Resyncing), resync()]),
            (done(101), 5_000.0, vec![Status(S::Live)]),
            // A placement while nothing is read: read again (the minimum interval has passed).
            (Frame { index: 102, unknown: true }, 7_000.0, vec![Status(S::Resyncing), resync(), Apply]),
        ],
    );
}

#[test]
fn reads_never_start_closer_than_the_minimum_interval() {
    table(
        LIST,
        &[
            (Start(Known::Nothing), 0.0, vec![read()]),
            (FirstPage { index: Some(100) }, 10.0, vec![Subscribe { index: 100 }]),
            (Frame { index: 100, unknown: false }, 20.0, vec![]),
            (done(100), 300.0, vec![Status(S::Live)]),
            // 400 ms after the last read started: planned for 1,000.
            (Frame { index: 101, unknown: true }, 400.0, vec![Status(S::Resyncing), Apply]),
            (Tick, 1_000.0, vec![Status(S::Resyncing), resync()]),
        ],
    );
}

#[test]
fn the_periodic_resync_reads_a_followed_list_again() {
    table(
        LIST,
        &[
            (Start(Known::Nothing), 0.0, vec![read()]),
            (FirstPage { index: Some(100) }, 10.0, vec![Subscribe { index: 100 }]),
            (done(100), 1_000.0, vec![Status(S::Live)]),
            (Heartbeat, 30_000.0, vec![]),
            // A heartbeat at 30 s keeps the stream from counting as silent; the re-sync comes.
            (Tick, 61_000.0, vec![Status(S::Resyncing), resync()]),
            (done(100), 62_000.0, vec![Status(S::Live)]),
        ],
    );
    // resync_ms 0: never.
    let mut m = LiveSync::new(LIST, Policy { resync_ms: 0.0, ..Policy::default() });
    m.step(Start(Known::Nothing), 0.0);
    m.step(FirstPage { index: Some(5) }, 1.0);
    assert_eq!(m.step(done(5), 2.0), vec![Status(S::Live)]);
}

#[test]
fn a_stream_that_ends_before_its_first_heartbeat_is_not_tried_again() {
    // Nomad 1.11.2+: 200, then the connection closes, when the token may not read a namespace.
    let m = table(
        LIST,
        &[
            (Start(Known::Nothing), 0.0, vec![read()]),
            (FirstPage { index: Some(100) }, 10.0, vec![Subscribe { index: 100 }]),
            (StreamEnded(StreamEnd::Closed), 30.0, vec![]),
            // The read that was running ends: blocking queries from here on.
            (done(100), 2_000.0, vec![Status(S::Live), blocking(100)]),
            (done(107), 9_000.0, vec![Status(S::Live), blocking(107)]),
            // The next answer comes at once: the next query waits for the minimum interval.
            (done(108), 9_200.0, vec![Status(S::Live)]),
            (Tick, 10_000.0, vec![blocking(108)]),
        ],
    );
    assert!(!m.following());
    // Nomad 2.0.5: 200, then nothing (the hijacked connection is not closed).
    let m = table(
        LIST,
        &[
            (Start(Known::Nothing), 0.0, vec![read()]),
            (FirstPage { index: Some(100) }, 10.0, vec![Subscribe { index: 100 }]),
            (done(100), 2_000.0, vec![Status(S::Live)]),
            (Tick, 9_000.0, vec![]),
            (Tick, 10_010.0, vec![CloseStream, blocking(100)]),
            (StreamEnded(StreamEnd::Broken), 10_020.0, vec![]),
        ],
    );
    assert!(!m.following());
}

#[test]
fn refused_garbled_and_silent_streams_fall_back_to_blocking_queries() {
    for end in [StreamEnd::Refused(403), StreamEnd::Refused(500), StreamEnd::Garbled] {
        table(
            LIST,
            &[
                (Start(Known::Nothing), 0.0, vec![read()]),
                (FirstPage { index: Some(100) }, 10.0, vec![Subscribe { index: 100 }]),
                (done(100), 2_000.0, vec![Status(S::Live)]),
                (Heartbeat, 2_010.0, vec![]),
                (StreamEnded(end), 5_000.0, vec![blocking(100)]),
            ],
        );
    }
    table(
        LIST,
        &[
            (Start(Known::Nothing), 0.0, vec![read()]),
            (FirstPage { index: Some(100) }, 10.0, vec![Subscribe { index: 100 }]),
            (done(100), 2_000.0, vec![Status(S::Live)]),
            (Heartbeat, 2_010.0, vec![]),
            // Nothing since 2,010: 45 s of silence after it worked is an end, not a refusal.
            (Tick, 47_010.0, vec![CloseStream, Status(S::Resyncing), resync()]),
            (FirstPage { index: Some(120) }, 47_100.0, vec![Subscribe { index: 120 }]),
        ],
    );
}

#[test]
fn a_stream_that_worked_and_ended_reads_again_then_subscribes_at_the_new_index() {
    table(
        LIST,
        &[
            (Start(Known::Nothing), 0.0, vec![read()]),
            (FirstPage { index: Some(100) }, 10.0, vec![Subscribe { index: 100 }]),
            (done(100), 2_000.0, vec![Status(S::Live)]),
            (Heartbeat, 2_010.0, vec![]),
            (StreamEnded(StreamEnd::Closed), 20_000.0, vec![Status(S::Resyncing), resync()]),
            (FirstPage { index: Some(150) }, 20_100.0, vec![Subscribe { index: 150 }]),
            (done(150), 21_000.0, vec![Status(S::Live)]),
            // It ends again soon (under 10 s): once is not yet a pattern...
            (Heartbeat, 21_100.0, vec![]),
            (StreamEnded(StreamEnd::Broken), 22_000.0, vec![Status(S::Resyncing), resync()]),
            (FirstPage { index: Some(151) }, 23_000.0, vec![Subscribe { index: 151 }]),
            (done(151), 23_500.0, vec![Status(S::Live)]),
            (Heartbeat, 23_600.0, vec![]),
            // ...twice in a row waits 1 s, then 2 s, before reading again.
            (StreamEnded(StreamEnd::Broken), 24_000.0, vec![Status(S::Resyncing)]),
            (Tick, 25_000.0, vec![Status(S::Resyncing), resync()]),
        ],
    );
}

#[test]
fn failures_back_off_and_a_recovered_agent_is_read_whole_and_followed_again() {
    table(
        LIST,
        &[
            (Start(Known::Nothing), 0.0, vec![read()]),
            (FirstPage { index: Some(100) }, 10.0, vec![Subscribe { index: 100 }]),
            (done(100), 2_000.0, vec![Status(S::Live)]),
            (Heartbeat, 2_010.0, vec![]),
            (StreamEnded(StreamEnd::Closed), 10_000.0, vec![Status(S::Resyncing), resync()]),
            (
                failed(ReadFailure::Status(500)),
                10_100.0,
                vec![Status(S::Reconnecting { attempt: 1, retry_in_ms: 1000 })],
            ),
            (Tick, 11_100.0, vec![read()]),
            (
                failed(ReadFailure::Network),
                11_200.0,
                vec![Status(S::Reconnecting { attempt: 2, retry_in_ms: 2000 })],
            ),
            (Tick, 13_200.0, vec![read()]),
            (FirstPage { index: Some(180) }, 13_300.0, vec![Subscribe { index: 180 }]),
            (done(180), 13_400.0, vec![Status(S::Live)]),
        ],
    );
    let p = Policy::default();
    let b: Vec<f64> = (1..=8).map(|n| p.backoff_ms(n)).collect();
    assert_eq!(b, vec![1000.0, 2000.0, 4000.0, 8000.0, 16000.0, 30000.0, 30000.0, 30000.0]);
}

#[test]
fn errors_the_user_must_act_on_stop_and_a_first_load_failure_waits_for_retry() {
    for f in
        [ReadFailure::Status(403), ReadFailure::Status(400), ReadFailure::Status(404), ReadFailure::Unusable]
    {
        let mut m = LiveSync::new(LIST, policy());
        m.step(Start(Known::Nothing), 0.0);
        m.step(FirstPage { index: Some(9) }, 1.0);
        m.step(done(9), 2.0);
        assert_eq!(m.step(failed(f), 3.0), vec![CloseStream, Status(S::Idle), Stop], "{f:?}");
        let mut m = LiveSync::new(BLOCKING_LIST, policy());
        m.step(Start(Known::Nothing), 0.0);
        m.step(done(9), 2.0);
        assert_eq!(m.step(Tick, 1_000.0), vec![blocking(9)]);
        assert_eq!(m.step(failed(f), 1_100.0), vec![Status(S::Idle), Stop], "{f:?}");
        assert!(m.is_stopped());
        assert_eq!(m.step(Tick, 5_000.0), vec![]);
    }
    // A source never seen live (a wrong URL, a static host answering 503): no retry by itself.
    let mut m = LiveSync::new(BLOCKING_LIST, policy());
    m.step(Start(Known::Nothing), 0.0);
    assert_eq!(m.step(failed(ReadFailure::Status(503)), 10.0), vec![Status(S::Idle), Stop]);
    assert_eq!(m.step(failed(ReadFailure::Cancelled), 10.0), vec![]);
    for (f, t) in [
        (ReadFailure::Network, true),
        (ReadFailure::Status(500), true),
        (ReadFailure::Status(502), true),
        (ReadFailure::Status(429), true),
        (ReadFailure::Status(408), true),
        (ReadFailure::Status(404), false),
        (ReadFailure::Status(403), false),
        (ReadFailure::Unusable, false),
        (ReadFailure::Cancelled, false),
        (ReadFailure::Busy { retry_after_ms: 3_000 }, true),
    ] {
        assert_eq!(f.transient(), t, "{f:?}");
    }
}

#[test]
fn a_busy_answer_with_retry_after_is_retried_when_it_says_even_before_the_first_answer() {
    // allocscope serve at its upstream limit answers 503 with Retry-After: 3.
    let busy = || failed(ReadFailure::Busy { retry_after_ms: 3_000 });
    let mut m = LiveSync::new(BLOCKING_LIST, policy());
    assert_eq!(m.step(Start(Known::Nothing), 0.0), vec![read()]);
    assert_eq!(
        m.step(busy(), 10.0),
        vec![Status(S::Reconnecting { attempt: 1, retry_in_ms: 3_000 }), WakeAt(3_010.0)]
    );
    assert_eq!(m.step(Tick, 3_009.0), vec![], "not before the time it named");
    assert_eq!(m.step(Tick, 3_010.0), vec![read()]);
    // The longer of the server's delay and the backoff wins.
    let mut m = LiveSync::new(BLOCKING_LIST, policy());
    m.step(Start(Known::Nothing), 0.0);
    let short = failed(ReadFailure::Busy { retry_after_ms: 0 });
    assert_eq!(
        m.step(short, 10.0),
        vec![Status(S::Reconnecting { attempt: 1, retry_in_ms: 1_000 }), WakeAt(1_010.0)]
    );
}

#[test]
fn one_allocation_blocks_from_its_index_and_a_404_after_it_was_live_means_gone() {
    table(
        ViewKind::Alloc,
        &[
            (Start(Known::Nothing), 0.0, vec![read()]),
            (done(50), 100.0, vec![Status(S::Live)]),
            (Tick, 1_000.0, vec![blocking(50)]),
            (done(61), 90_000.0, vec![Status(S::Live), blocking(61)]),
            (failed(ReadFailure::Status(404)), 95_000.0, vec![Gone, Status(S::Idle), Stop]),
        ],
    );
    // Held live data: block from its index at once, nothing read first.
    table(ViewKind::Alloc, &[(Start(Known::Live(70)), 0.0, vec![Status(S::Live), blocking(70)])]);
    // A 404 on a first load is not "gone": the ID may be wrong.
    table(
        ViewKind::Alloc,
        &[
            (Start(Known::Nothing), 0.0, vec![read()]),
            (failed(ReadFailure::Status(404)), 5.0, vec![Status(S::Idle), Stop]),
        ],
    );
}

#[test]
fn held_data_and_snapshots() {
    assert_eq!(Known::of_held(None), Known::Nothing);
    assert_eq!(Known::of_held(Some(None)), Known::Snapshot);
    assert_eq!(Known::of_held(Some(Some(7))), Known::Live(7));
    table(LIST, &[(Start(Known::Snapshot), 0.0, vec![Status(S::Snapshot)]), (Tick, 5.0, vec![])]);
    table(
        LIST,
        &[
            (Start(Known::Nothing), 0.0, vec![read()]),
            (FirstPage { index: None }, 5.0, vec![]),
            (ReadDone { result: Ok(None), missed: false }, 6.0, vec![Status(S::Snapshot)]),
        ],
    );
    // A followed list held from before: subscribe at its index, and the gap rule decides.
    table(
        LIST,
        &[
            (Start(Known::Live(300)), 0.0, vec![Status(S::Live), Subscribe { index: 300 }]),
            (Heartbeat, 5.0, vec![]),
            (Frame { index: 300, unknown: false }, 6.0, vec![Apply, Status(S::Live)]),
        ],
    );
}

#[test]
fn a_restored_cluster_is_subscribed_to_again_from_its_lower_index() {
    table(
        LIST,
        &[
            (Start(Known::Nothing), 0.0, vec![read()]),
            (FirstPage { index: Some(500) }, 10.0, vec![Subscribe { index: 500 }]),
            (Heartbeat, 20.0, vec![]),
            (done(500), 1_000.0, vec![Status(S::Live)]),
            (Heartbeat, 30_020.0, vec![]),
            (Tick, 61_000.0, vec![Status(S::Resyncing), resync()]),
            (done(40), 62_000.0, vec![CloseStream, Subscribe { index: 40 }, Status(S::Live)]),
        ],
    );
}

fn alloc(id: &str, status: &str, modify_index: u64) -> Allocation {
    let json = format!(
        r#"{{"ID":"{id}","JobID":"web","JobType":"service","ClientStatus":"{status}","ModifyIndex":{modify_index}}}"#
    );
    decode(json.as_bytes(), DecodeOptions::STRICT).unwrap().allocations.remove(0)
}

#[test]
fn held_updates_fold_into_a_read_and_count_placements_the_read_missed() {
    let mut held = Held::new();
    held.hold(vec![alloc("a", "failed", 12), alloc("gone", "running", 12)]);
    assert_eq!(held.take().len(), 2);
    assert!(held.is_empty(), "taken while no read runs: forgotten");
    held.hold(vec![alloc("a", "failed", 12), alloc("gone", "running", 12)]);
    held.read_started();
    held.hold(vec![alloc("b", "complete", 15), alloc("new", "pending", 16), alloc("new", "running", 17)]);
    assert_eq!(held.take().len(), 5, "while a read runs, what is taken is kept for it");
    // The read's pages: a at 10 (older than its update), b at 20 (newer), no "new", no "gone".
    let mut list = vec![alloc("a", "running", 10), alloc("b", "running", 20)];
    let missed = held.read_done(&mut list);
    let got: Vec<(&str, &str, u64)> =
        list.iter().map(|a| (a.id.as_str(), a.client_status.as_str(), a.modify_index)).collect();
    assert_eq!(got, [("a", "failed", 12), ("b", "running", 20)]);
    assert_eq!(missed, 1, "\"new\" arrived during the read; \"gone\" before it");
    assert!(held.is_empty());
    held.read_started();
    held.hold(vec![alloc("c", "lost", 30)]);
    held.read_failed();
    assert_eq!(held.take().len(), 1, "a failed read's updates stay held");
}
