//! The decoder never panics: arbitrary bytes, and our fixtures mutated byte by byte, give a
//! value or an error. `PROPTEST_CASES` bounds the run (`.ci/run` sets it).

mod common;

use allocscope_model::{decode, lineage, DecodeOptions, ListIndex, ListQuery};
use common::*;
use proptest::prelude::*;

fn seeds() -> Vec<Vec<u8>> {
    own_fixtures().into_iter().map(|(n, _)| fixture(&n)).chain([fixture("bundle-error.json")]).collect()
}

/// Decode in both modes and exercise the logic on whatever came out.
fn exercise(bytes: &[u8]) {
    for opts in [DecodeOptions::STRICT, DecodeOptions::LENIENT] {
        match decode(bytes, opts) {
            Ok(d) => {
                let idx = ListIndex::new(&d.allocations);
                let _ = allocscope_model::select(
                    &d.allocations,
                    &idx,
                    &ListQuery { q: "a".into(), ..Default::default() },
                );
                for a in d.allocations.iter().take(3) {
                    let _ = lineage(&d.allocations, &a.id);
                    for t in a.task_states.values() {
                        for e in &t.events {
                            let _ = allocscope_model::event_message(e);
                        }
                    }
                }
                let _ = serde_json::to_vec(&d.allocations).unwrap();
            }
            Err(e) => {
                let _ = e.to_string();
                let _ = e.hint();
            }
        }
    }
}

#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Delete(usize, usize),
    Insert(usize, Vec<u8>),
    Truncate(usize),
    Duplicate(usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let tokens = prop::sample::select(vec![
        b",".to_vec(),
        b"]".to_vec(),
        b"}".to_vec(),
        b"{".to_vec(),
        b"\"".to_vec(),
        b"null".to_vec(),
        b"None".to_vec(),
        b"-9223372036854775809".to_vec(),
        b"1e999".to_vec(),
        b"\"0001-01-01T00:00:00Z\"".to_vec(),
        b"\\u0000".to_vec(),
        b"\xff\xfe".to_vec(),
        b"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[".to_vec(),
    ]);
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Flip(i, b)),
        (any::<usize>(), 1usize..64).prop_map(|(i, n)| Mutation::Delete(i, n)),
        (any::<usize>(), tokens).prop_map(|(i, t)| Mutation::Insert(i, t)),
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), 1usize..200).prop_map(|(i, n)| Mutation::Duplicate(i, n)),
    ]
}

fn apply(mut bytes: Vec<u8>, muts: &[Mutation]) -> Vec<u8> {
    for m in muts {
        let len = bytes.len().max(1);
        match m {
            Mutation::Flip(i, b) => {
                if !bytes.is_empty() {
                    let i = i % len;
                    bytes[i] = *b;
                }
            }
            Mutation::Delete(i, n) => {
                let i = i % len;
                let end = (i + n).min(bytes.len());
                if i < end {
                    bytes.drain(i..end);
                }
            }
            Mutation::Insert(i, t) => {
                let i = i % (bytes.len() + 1);
                bytes.splice(i..i, t.iter().copied());
            }
            Mutation::Truncate(i) => bytes.truncate(i % len),
            Mutation::Duplicate(i, n) => {
                let i = i % len;
                let end = (i + n).min(bytes.len());
                let chunk: Vec<u8> = bytes.get(i..end).unwrap_or(&[]).to_vec();
                bytes.splice(i..i, chunk);
            }
        }
    }
    bytes
}

proptest! {
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        exercise(&bytes);
    }

    #[test]
    fn json_shaped_noise_never_panics(s in r#"[\[\]{}",:0-9a-zA-Z \n\-\.]{0,300}"#) {
        exercise(s.as_bytes());
    }

    #[test]
    fn mutated_fixtures_never_panic(seed in 0usize..64, muts in prop::collection::vec(mutation(), 1..6)) {
        let seeds = seeds();
        let base = seeds[seed % seeds.len()].clone();
        exercise(&apply(base, &muts));
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let deep = "[".repeat(100_000);
    exercise(deep.as_bytes());
    let deep_obj = "{\"ID\":\"a\",\"TaskGroup\":\"g\",\"Job\":".to_string() + &"[".repeat(50_000);
    exercise(deep_obj.as_bytes());
}
