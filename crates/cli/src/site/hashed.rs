//! Content-hashed names for the two big assets, so browsers may keep them for a year, and
//! the rewriting of the small files that load them (which keep their stable URLs).

use sha2::{Digest, Sha256};

/// The assets served also under a content-hashed name, in the order they are hashed.
pub(super) const ASSETS: [&str; 2] = ["allocscope-app_bg.wasm", "allocscope-app.js"];
/// The files whose references to [`ASSETS`] are rewritten to the hashed names, and whether
/// each is expected to hold one (trunk, with `inject_scripts = false`, writes none into
/// index.html; boot.js and allocscope-element.js import both assets).
pub(super) const REFERRERS: [(&str, bool); 3] =
    [("boot.js", true), ("allocscope-element.js", true), ("index.html", false)];
/// Hex digits of SHA-256 kept in names and entity-tags (64 bits).
const SHORT_HASH_LEN: usize = 16;

/// The first hex digits of the SHA-256 of `data`.
pub(super) fn short_hash(data: &[u8]) -> String {
    let digest = Sha256::digest(data);
    let mut hex = String::with_capacity(SHORT_HASH_LEN);
    for b in digest.iter().take(SHORT_HASH_LEN / 2) {
        hex.push_str(&format!("{b:02x}"));
    }
    hex
}

/// `allocscope-app_bg.wasm` -> `allocscope-app_bg.<hash>.wasm`.
pub(super) fn hashed_name(name: &str, hash: &str) -> String {
    match name.rsplit_once('.') {
        Some((stem, ext)) => format!("{stem}.{hash}.{ext}"),
        None => format!("{name}.{hash}"),
    }
}

/// `text` with every quoted reference to an old name (`'./allocscope-app.js'`,
/// `"allocscope-app.js"`, …) turned into the new name, and whether each rename found one.
/// Only whole quoted strings are replaced, so a name inside another name is left alone.
pub(super) fn rewrite(text: &str, renames: &[(&str, &str)]) -> (String, Vec<bool>) {
    let mut out = text.to_owned();
    let mut found = Vec::with_capacity(renames.len());
    for (old, new) in renames {
        let mut any = false;
        for quote in ['\'', '"'] {
            for prefix in ["./", ""] {
                let from = format!("{quote}{prefix}{old}{quote}");
                if out.contains(&from) {
                    out = out.replace(&from, &format!("{quote}{prefix}{new}{quote}"));
                    any = true;
                }
            }
        }
        found.push(any);
    }
    (out, found)
}
