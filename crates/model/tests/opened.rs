//! Files opened in the app (`opened::open`), with the debug-bundle fixtures from
//! scripts/gen_bundle.py: each capture shows the state at its own time, the newest one is
//! shown first, failed captures name their entry, and a bundle's tar is told from JSON.

use allocscope_model::opened::{open, OpenedKind};
use allocscope_model::ClientStatus;
mod common;

use common::bundle_tar as tar_of;

const LONG: &str = "211a8252-a89f-2b2b-a5af-d530920bcc3a";
const FAILS: &str = "c923c518";
const REPLACEMENT: &str = "7f3c2a91-5d4e-4b8a-9c1f-2e6d8b0a4c57";

#[test]
fn each_capture_shows_the_state_at_its_own_time_and_the_newest_opens_first() {
    let f = open("b.tar.gz", &tar_of("nomad-debug-ndjson.tar.gz")).unwrap();
    assert_eq!(f.kind, OpenedKind::Bundle);
    let labels: Vec<&str> = f.captures.iter().map(|c| c.label.as_str()).collect();
    assert_eq!(labels, ["interval/0000", "interval/0001"]);
    assert_eq!(f.default_capture, 1);
    let status = |i: usize, prefix: &str| {
        let list = f.captures[i].list.as_ref().unwrap();
        list.iter().find(|a| a.id.starts_with(prefix)).map(|a| a.client_status.clone())
    };
    // The event stream says the allocation failed after interval/0000 was taken: the
    // earlier capture keeps it running, the later one has it failed and its replacement.
    assert_eq!(status(0, FAILS), Some(ClientStatus::Running));
    assert_eq!(status(1, FAILS), Some(ClientStatus::Failed));
    assert_eq!(status(0, REPLACEMENT), None);
    assert!(status(1, REPLACEMENT).is_some());
    // The task history past the 10-event cap, on the allocation page of the newest capture.
    let long = f.captures[1].allocation(LONG).unwrap();
    assert_eq!(long.task_states["api"].events.len(), 14);
    assert!(f.captures[1].events_merged >= 4, "{}", f.captures[1].events_merged);
    assert!(
        f.captures[1].describe().starts_with("interval/0001 · 2026-11-24 "),
        "{}",
        f.captures[1].describe()
    );
    assert!(f.captures[1].describe().ends_with(" · 54 allocations"));
    let meta = f.meta.as_ref().unwrap();
    assert_eq!((meta.nomad_version.as_deref(), meta.region.as_deref()), (Some("1.9.3"), Some("global")));
}

#[test]
fn a_failed_capture_names_its_entry_and_the_good_one_is_the_default() {
    let f = open("e.tar.gz", &tar_of("nomad-debug-error.tar.gz")).unwrap();
    assert_eq!(f.default_capture, 1);
    let err = f.captures[0].list.as_ref().unwrap_err();
    assert!(err.contains("interval/0000/allocations.json"), "{err}");
    assert!(err.contains("403 (Permission denied)"), "{err}");
    assert!(f.captures[0].describe().ends_with(" · failed"));
    assert!(!f.captures[1].list.as_ref().unwrap().is_empty());
}

#[test]
fn pre_1_4_bundles_and_what_is_not_a_bundle() {
    let f = open("a.tar.gz", &tar_of("nomad-debug-array.tar.gz")).unwrap();
    assert_eq!(f.kind, OpenedKind::Bundle);
    assert!(f.captures.iter().any(|c| c.list.as_ref().is_ok_and(|l| !l.is_empty())));
    let e = open("not-a-bundle.tar.gz", &tar_of("not-a-bundle.tar.gz")).unwrap_err();
    assert_eq!(e.file, "not-a-bundle.tar.gz");
    assert!(e.message.contains("allocations.json"), "{e}");
}
