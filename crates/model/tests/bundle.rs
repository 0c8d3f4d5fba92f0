//! Debug bundles in Nomad's layout (fixtures from scripts/gen_bundle.py, built from the demo
//! snapshot): captures, times, the event stream merged past the 10-event cap, failed
//! captures, the pre-1.4 array form, and what is not a bundle.

use allocscope_model::bundle::{read_bundle, Bundle, BundleErrorKind};
use allocscope_model::{DecodeErrorKind, DecodeOptions, Form};
mod common;

use common::bundle_tar as tar_of;

const LONG: &str = "211a8252-a89f-2b2b-a5af-d530920bcc3a";
const REPLACEMENT: &str = "7f3c2a91-5d4e-4b8a-9c1f-2e6d8b0a4c57";
/// 2026-11-24T09:30:00Z, the bundles' clock.
const T0: i64 = 1_795_512_600;

fn bundle(name: &str) -> Bundle {
    read_bundle(&tar_of(name), DecodeOptions::STRICT).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn find<'a>(list: &'a [allocscope_model::Allocation], prefix: &str) -> &'a allocscope_model::Allocation {
    list.iter().find(|a| a.id.starts_with(prefix)).unwrap_or_else(|| panic!("no {prefix}"))
}

#[test]
fn ndjson_bundle_has_two_captures_in_interval_order_with_their_times() {
    let b = bundle("nomad-debug-ndjson.tar.gz");
    let summary: Vec<(u32, &str, Option<i64>)> =
        b.captures.iter().map(|c| (c.interval, c.entry.as_str(), c.time)).collect();
    assert_eq!(
        summary,
        [
            (0, "nomad-debug-2026-11-24-093000Z/interval/0000/allocations.json", Some(T0 + 2)),
            (1, "nomad-debug-2026-11-24-093000Z/interval/0001/allocations.json", Some(T0 + 32)),
        ]
    );
    let first = b.captures[0].result.as_ref().unwrap();
    assert_eq!(first.form, Form::Ndjson);
    assert_eq!(first.allocations.len(), 53);
    assert_eq!(b.captures[1].allocations().unwrap().len(), 54);
    assert_eq!(b.newest().unwrap().interval, 1);

    assert_eq!(b.meta.name.as_deref(), Some("nomad-debug-2026-11-24-093000Z"));
    assert_eq!(b.meta.taken_at, Some(T0));
    assert_eq!(b.meta.nomad_version.as_deref(), Some("1.9.3"));
    assert_eq!(b.meta.region.as_deref(), Some("global"));
    assert_eq!(b.meta.datacenter.as_deref(), Some("eu-1a"));
    assert!(b.meta.manifest.contains(&"interval/0001/allocations.json".to_owned()), "{:?}", b.meta.manifest);
    // Nomad creates the event stream file directly, outside its manifest.
    assert!(!b.meta.manifest.iter().any(|p| p.ends_with("eventstream.json")));
}

#[test]
fn the_second_capture_shows_a_failure_and_its_replacement() {
    let b = bundle("nomad-debug-ndjson.tar.gz");
    let before = b.captures[0].allocations().unwrap();
    let after = b.captures[1].allocations().unwrap();
    assert_eq!(find(before, "c923c518").client_status.as_str(), "running");
    let failed = find(after, "c923c518");
    assert_eq!(failed.client_status.as_str(), "failed");
    assert_eq!(failed.next_allocation, REPLACEMENT);
    let oom = failed.task_states["indexer"].events.iter().find(|e| e.oom_killed());
    assert!(oom.is_some(), "the failure is an OOM kill");
    assert!(!before.iter().any(|a| a.id == REPLACEMENT));
    assert_eq!(find(after, REPLACEMENT).client_status.as_str(), "pending");
    // Everything else is unchanged between the two.
    let changed = before.iter().filter(|a| !after.contains(a)).count();
    assert_eq!(changed, 1);
}

#[test]
fn the_event_stream_holds_allocation_events_only() {
    let b = bundle("nomad-debug-ndjson.tar.gz");
    let ev = b.events.as_ref().expect("cluster/eventstream.json");
    assert_eq!(ev.entry, "nomad-debug-2026-11-24-093000Z/cluster/eventstream.json");
    assert!(ev.warnings.is_empty(), "{:?}", ev.warnings);
    assert_eq!(ev.skipped, 2, "a Node and an Evaluation event");
    let ids: Vec<&str> = ev.allocations.iter().map(|a| &a.id[..8]).collect();
    assert_eq!(ids, ["211a8252", "211a8252", "c923c518", "7f3c2a91", "7f3c2a91"]);
    assert!(ev.allocations.iter().all(|a| a.job.is_none()), "payloads carry no Job");
}

#[test]
fn merging_the_stream_reaches_past_the_ten_event_cap_in_time_order() {
    let b = bundle("nomad-debug-ndjson.tar.gz");
    let capture = &b.captures[0];
    let stub = find(capture.allocations().unwrap(), LONG);
    assert_eq!(stub.task_states["api"].events.len(), 10, "Nomad keeps the last 10");
    let (merged, report) = b.merged(capture).unwrap();
    let api = &find(&merged, LONG).task_states["api"];
    let kinds: Vec<&str> = api.events.iter().map(|e| e.r#type.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "Received",
            "Task Setup",
            "Driver",
            "Started",
            "Terminated",
            "Restarting",
            "Started",
            "Terminated",
            "Restarting",
            "Started",
            "Terminated",
            "Restarting",
            "Driver",
            "Started"
        ]
    );
    assert!(api.events.windows(2).all(|w| w[0].time < w[1].time), "in time order");
    // The last ten are the capture's own copies, exact to the nanosecond; the first four
    // exist only in the stream, where Go's float64 rounded their times.
    assert_eq!(api.events[4..], stub.task_states["api"].events[..]);
    assert_eq!(api.events[0].time % 100, 0, "{}", api.events[0].time);
    assert_eq!(api.restarts, 3);

    // Capture 0000 shows the state at its own time: the failure streamed after it does not
    // show, and the replacement placed after it is not added.
    assert_eq!(find(&merged, "c923c518").client_status.as_str(), "running");
    assert_eq!(merged.len(), 53);
    assert!(!merged.iter().any(|a| a.id == REPLACEMENT));
    assert_eq!(report.events_added, 4);
    assert_eq!(report.allocations_updated, 0);
    assert_eq!(report.stream_only, 0);

    let (merged1, report1) = b.merged(&b.captures[1]).unwrap();
    assert_eq!(merged1.len(), 54);
    assert_eq!(report1.stream_only, 0);
    assert_eq!(report1.allocations_updated, 0);
    assert_eq!(find(&merged1, LONG).task_states["api"].events.len(), 14);
}

#[test]
fn details_are_the_newest_payload_with_the_whole_history() {
    let b = bundle("nomad-debug-ndjson.tar.gz");
    let (merged, _) = b.merged(b.newest().unwrap()).unwrap();
    let details = b.details(b.newest().unwrap(), &merged);
    assert_eq!(details.len(), merged.len());
    let long = find(&details, LONG);
    assert_eq!(long.modify_index, 1_849_950);
    assert!(long.allocated_resources.is_some(), "a full allocation, not the stub");
    assert_eq!(long.task_states["api"].events.len(), 14);
    let replacement = find(&details, REPLACEMENT);
    assert_eq!(replacement.previous_allocation, find(&details, "c923c518").id);
    // An allocation the stream never mentions stays the capture's stub.
    let quiet = find(&details, "2421ceeb");
    assert_eq!(quiet, find(&merged, "2421ceeb"));
}

#[test]
fn a_failed_capture_is_kept_with_nomads_message_and_the_good_one_is_used() {
    let b = bundle("nomad-debug-error.tar.gz");
    assert_eq!(b.captures.len(), 2);
    let err = b.captures[0].result.as_ref().unwrap_err();
    assert_eq!(err.error.kind, DecodeErrorKind::CaptureFailed);
    assert_eq!(err.entry, "nomad-debug-2026-11-24-103000Z/interval/0000/allocations.json");
    let text = err.to_string();
    assert!(text.starts_with("nomad-debug-2026-11-24-103000Z/interval/0000/allocations.json: "), "{text}");
    assert!(text.contains("403 (Permission denied)"), "{text}");
    assert!(b.merged(&b.captures[0]).is_err());
    let newest = b.newest().unwrap();
    assert_eq!(newest.interval, 1);
    assert_eq!(newest.allocations().unwrap().len(), 53);
    assert!(b.events.is_none());
}

#[test]
fn pre_1_4_bundles_hold_one_json_array_under_nomad_nnnn() {
    let b = bundle("nomad-debug-array.tar.gz");
    assert_eq!(b.captures.len(), 1);
    let c = &b.captures[0];
    assert_eq!(c.entry, "nomad-debug-2026-11-23-093000Z/nomad/0000/allocations.json");
    assert_eq!(c.time, Some(T0 - 86_400 + 2));
    let d = c.result.as_ref().unwrap();
    assert_eq!(d.form, Form::List);
    assert_eq!(d.allocations.len(), 53);
    assert_eq!(b.meta.nomad_version.as_deref(), Some("1.1.6"));
    // Without an event stream, merging changes nothing.
    let (merged, report) = b.merged(c).unwrap();
    assert_eq!(merged, d.allocations);
    assert_eq!(report, Default::default());
}

#[test]
fn a_tarball_without_captures_is_not_a_bundle() {
    let e = read_bundle(&tar_of("not-a-bundle.tar.gz"), DecodeOptions::STRICT).unwrap_err();
    assert_eq!(e.kind, BundleErrorKind::NoCaptures);
    assert!(e.message.contains("no allocations capture"), "{e}");
    assert!(e.message.contains("among its 2 files"), "{e}");
    assert!(e.message.contains("not a `nomad operator debug` bundle"), "{e}");
}

#[test]
fn the_gzip_file_itself_is_refused_with_a_hint() {
    let path = common::fixture_dir().join("bundles/nomad-debug-ndjson.tar.gz");
    let e = read_bundle(&std::fs::read(path).unwrap(), DecodeOptions::STRICT).unwrap_err();
    assert_eq!(e.kind, BundleErrorKind::StillCompressed);
    assert!(e.message.contains("gunzip"), "{e}");
}

#[test]
fn every_cut_of_a_real_bundle_fails_cleanly_or_reads() {
    let tar = tar_of("nomad-debug-error.tar.gz");
    for cut in (0..tar.len()).step_by(4099) {
        match read_bundle(&tar[..cut], DecodeOptions::STRICT) {
            Ok(b) => assert!(!b.captures.is_empty()),
            Err(e) => assert!(!e.message.is_empty()),
        }
    }
}
