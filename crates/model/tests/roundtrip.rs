//! Decode, encode, decode gives identical values, for every fixture we have: our own and,
//! when the shared folders are beside the repository, Nomad's docs samples and the real
//! captures. Encoding uses Nomad's field names, so the second decode is strict.

mod common;

use allocscope_model::{decode, DecodeOptions};
use common::*;

fn assert_round_trip(name: &str, bytes: &[u8], opts: DecodeOptions) -> usize {
    let first = match decode(bytes, opts) {
        Ok(d) => d.allocations,
        Err(_) => return 0,
    };
    let encoded = serde_json::to_vec(&first).unwrap();
    let second = decode(&encoded, DecodeOptions::STRICT)
        .unwrap_or_else(|e| panic!("{name}: re-decoding our own encoding failed: {e}"))
        .allocations;
    assert_eq!(first, second, "{name}: values changed across encode/decode");
    // And encoding is stable: a second encode gives the same bytes.
    assert_eq!(encoded, serde_json::to_vec(&second).unwrap(), "{name}: encoding not stable");
    first.len()
}

#[test]
fn own_fixtures_round_trip() {
    let mut total = 0;
    for (name, opts) in own_fixtures() {
        let n = assert_round_trip(&name, &fixture(&name), opts);
        assert!(n > 0, "{name} decoded to nothing");
        total += n;
    }
    assert_eq!(total, 35, "allocations across our fixtures");
}

#[test]
fn shared_fixtures_round_trip() {
    let mut total = 0;
    for dir in ["nomad-docs", "real"] {
        let Some(dir) = shared_dir(dir) else {
            println!("shared fixtures {dir}/ absent: skipped");
            continue;
        };
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let bytes = std::fs::read(&path).unwrap();
            total += assert_round_trip(&path.display().to_string(), &bytes, DecodeOptions::LENIENT);
        }
    }
    println!("round-tripped {total} allocations from the shared fixtures");
}

#[test]
fn demo_snapshot_round_trips() {
    let demo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../www/demo/v1/allocations");
    let Ok(bytes) = std::fs::read(&demo) else {
        println!("no demo snapshot yet: skipped");
        return;
    };
    let n = assert_round_trip("www/demo/v1/allocations", &bytes, DecodeOptions::STRICT);
    assert!(n >= 50, "the demo should hold 50+ allocations, has {n}");
}
