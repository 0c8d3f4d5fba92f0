#![allow(dead_code)]
//! Fixture loading shared by the integration tests.

use allocscope_model::{decode, Allocation, DecodeOptions};
use std::path::{Path, PathBuf};

pub fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

pub fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(fixture_dir().join(name)).unwrap_or_else(|e| panic!("fixture {name}: {e}"))
}

/// Every fixture file of ours except the README, with the options it needs.
pub fn own_fixtures() -> Vec<(String, DecodeOptions)> {
    let mut out: Vec<(String, DecodeOptions)> = std::fs::read_dir(fixture_dir())
        .unwrap()
        .map(|e| e.unwrap())
        // Subfolders (bundles/) hold archives, not JSON.
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n != "README.md" && n != "bundle-error.json")
        .map(|n| {
            let opts = if n.ends_with(".txt") { DecodeOptions::LENIENT } else { DecodeOptions::STRICT };
            (n, opts)
        })
        .collect();
    out.sort();
    out
}

pub fn decode_fixture(name: &str, opts: DecodeOptions) -> Vec<Allocation> {
    decode(&fixture(name), opts).unwrap_or_else(|e| panic!("{name}: {e}")).allocations
}

/// The shared fixture folders (`../shared/fixtures/...` beside the repository), when present.
pub fn shared_dir(name: &str) -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures").join(name);
    dir.is_dir().then_some(dir)
}

/// The uncompressed tar of a debug-bundle fixture (`tests/fixtures/bundles/<name>`, made by
/// scripts/gen_bundle.py): the model takes the tar; the browser and the CLI gunzip it.
pub fn bundle_tar(name: &str) -> Vec<u8> {
    use std::io::Read;
    let path = fixture_dir().join("bundles").join(name);
    let gz = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut tar = Vec::new();
    flate2::read::GzDecoder::new(gz.as_slice()).read_to_end(&mut tar).unwrap();
    tar
}
