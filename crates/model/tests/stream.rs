//! The streaming list decoder agrees with the whole-body decode on every list we have (the
//! demo snapshot, our fixtures, the shared docs fixtures), however the bytes are chunked,
//! and gives up (so the caller falls back) wherever the whole-body decode fails.

mod common;

use allocscope_model::stream::ListStream;
use allocscope_model::{decode, DecodeOptions};
use common::*;

fn streamed(bytes: &[u8], chunk: usize) -> Option<Vec<allocscope_model::Allocation>> {
    let mut s = ListStream::new();
    for c in bytes.chunks(chunk) {
        s.feed(c).ok()?;
    }
    s.finish().ok()
}

#[test]
fn streaming_matches_the_whole_body_decode() {
    let demo =
        std::fs::read(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../www/demo/v1/allocations"))
            .unwrap();
    let mut inputs = vec![("demo".to_owned(), demo)];
    for (name, _) in own_fixtures() {
        inputs.push((name.clone(), fixture(&name)));
    }
    let mut lists = 0;
    for (name, bytes) in &inputs {
        let whole = decode(bytes, DecodeOptions::STRICT);
        let is_list = bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[');
        for chunk in [61, 4096, usize::MAX / 2] {
            let s = streamed(bytes, chunk.min(bytes.len().max(1)));
            match (&whole, is_list) {
                (Ok(d), true) if d.warnings.is_empty() => {
                    assert_eq!(s.as_ref(), Some(&d.allocations), "{name} in chunks of {chunk}")
                }
                // Other forms, and lists the whole decode rejects, must fall back.
                (Err(_), _) | (_, false) => assert_eq!(s, None, "{name} must fall back"),
                _ => {}
            }
        }
        lists += usize::from(is_list && whole.is_ok());
    }
    assert!(lists >= 3, "only {lists} lists among the inputs");
}
