//! Conformance with what Nomad and third parties actually publish: every file in
//! `../shared/fixtures/nomad-docs/` (Nomad's API docs samples) and
//! `../shared/fixtures/real/` (captures from real agents, 0.5 to 1.11) that holds
//! allocations must decode; `.json.txt` files (not valid JSON as published) in lenient
//! mode. Files that hold something else must be recognised as such, not half-decoded.

mod common;

use allocscope_model::{decode, DecodeErrorKind, DecodeOptions};
use common::shared_dir;

/// Files that are valid JSON but are not allocation documents.
const NOT_ALLOCATIONS: &[&str] = &[
    "v0.8.0-deployment-allocation-health.json",
    "v0.9.2-allocation-signal.json",
    "v0.9.2-allocation-stop.json",
    "v0.9.3-allocation-restart.json",
    "v1.0.0-event-stream.json",
    "v1.11.0-event-stream.json",
    "v1.3.2-allocation-services.json",
    "v1.4.13-allocation-checks.json",
    "v1.8.0-event-stream.json",
    "v1.8.1-client-allocation-pause-get.json",
    "v1.8.1-client-allocation-pause-set.json",
    "v1.9.7-event-stream.json",
];

/// Files that are not JSON even after lenient repairs (a truncated paste).
const NOT_JSON: &[&str] = &["02-issue5769-alloc-status-json-0.9.1-fragment.json.txt"];

#[test]
fn shared_fixtures_decode() {
    let mut decoded_files = 0;
    let mut allocations = 0;
    let mut seen_folders = 0;
    for folder in ["nomad-docs", "real"] {
        let Some(dir) = shared_dir(folder) else {
            println!("../shared/fixtures/{folder}/ is absent: skipped");
            continue;
        };
        seen_folders += 1;
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".json") || n.ends_with(".json.txt"))
            .collect();
        names.sort();
        for name in names {
            let bytes = std::fs::read(dir.join(&name)).unwrap();
            let lenient = name.ends_with(".txt");
            let opts = if lenient { DecodeOptions::LENIENT } else { DecodeOptions::STRICT };
            let result = decode(&bytes, opts);
            if NOT_JSON.contains(&name.as_str()) {
                let e = result.unwrap_err();
                assert_eq!(e.kind, DecodeErrorKind::Syntax, "{name}");
                println!("{folder}/{name}: not JSON ({e})");
                continue;
            }
            if NOT_ALLOCATIONS.contains(&name.as_str()) {
                let e = result.unwrap_err();
                assert_eq!(e.kind, DecodeErrorKind::NotAllocations, "{name}: {e}");
                continue;
            }
            // Docs samples that are valid JSON still have hand-edited defects (duplicate
            // keys, "Delay" as a string): strict mode names them, lenient mode repairs them.
            let d = match result {
                Ok(d) => d,
                Err(strict_err) => {
                    assert!(!lenient);
                    let d = decode(&bytes, DecodeOptions::LENIENT)
                        .unwrap_or_else(|e| panic!("{name}: strict: {strict_err}; lenient: {e}"));
                    assert!(
                        !d.warnings.is_empty(),
                        "{name}: lenient decoded without repairs after strict failed"
                    );
                    println!(
                        "{folder}/{name}: strict failed ({strict_err}), lenient repaired {}",
                        d.warnings.len()
                    );
                    d
                }
            };
            assert!(!d.allocations.is_empty(), "{name}: no allocations");
            for a in &d.allocations {
                assert!(a.looks_like_allocation(), "{name}: {a:?}");
                assert_eq!(a.id.len(), 36, "{name}: ID {}", a.id);
            }
            decoded_files += 1;
            allocations += d.allocations.len();
        }
    }
    println!("conformance: decoded {decoded_files} files holding {allocations} allocations");
    if seen_folders == 2 {
        assert_eq!(decoded_files, 28, "every allocation file in the shared fixtures decodes");
    }
}

#[test]
fn real_capture_quirks_survive() {
    let Some(dir) = shared_dir("real") else {
        println!("../shared/fixtures/real/ is absent: skipped");
        return;
    };
    let read =
        |n: &str| decode(&std::fs::read(dir.join(n)).unwrap(), DecodeOptions::LENIENT).unwrap().allocations;
    // 07: driver events at Go's zero time, Details null.
    let a = &read("07-cn-ui-job-allocations-blocking-1.2.json")[0];
    let events: Vec<_> = a.task_states.values().flat_map(|t| &t.events).collect();
    assert!(events.iter().any(|e| e.time == -6_795_364_578_871_345_152));
    assert!(events.iter().any(|e| e.details.is_none()));
    // 06: a pending allocation with TaskStates null.
    assert!(read("06-cn-ui-job-allocations-pending-1.2.json")[0].task_states.is_empty());
    // 10: client-state output, zero times as strings in 1.5.
    let cs = read("10-hashicorp-docs-operator-client-state-1.5.json");
    assert_eq!(cs.len(), 1);
    // 11: the newest capture, Python literal, Paused "".
    let a = &read("11-dagster-nomad-job-allocations-1.11plus-pylit.json.txt")[0];
    assert_eq!(a.namespace, "acceptance");
    assert!(a.create_time > 1_700_000_000_000_000_000);
    // 01: Nomad 0.5 stubs without JobVersion or Namespace.
    let a = &read("01-broccoli-job-allocations-0.5.json")[0];
    assert_eq!(a.job_version(), None);
    assert_eq!(a.namespace_or_default(), "default");
}
