//! Where the site's files come from (the table build.rs embedded, or a folder read at start)
//! and which file a request URL names.

use super::SiteError;
use bytes::Bytes;
use std::collections::HashSet;
use std::fs;
use std::path::{Component, Path};

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/site_files.rs"));
}

/// The files build.rs embedded: (path relative to the site, contents); empty when the
/// binary was built without a site.
pub(super) fn embedded() -> &'static [(&'static str, &'static [u8])] {
    embedded::FILES
}

/// The folder build.rs embedded the site from (`""` when none), for tests.
#[cfg(test)]
pub(super) fn embedded_from() -> &'static str {
    embedded::FROM
}

/// Deeper than any real site; stops a symlink loop that the visited set would not.
const MAX_DEPTH: usize = 32;

/// Every file under `root`, read into memory: (path relative to `root` with `/` separators,
/// contents). Symlinks are followed only while they stay inside `root`; dot-files and
/// dot-folders are left out, as build.rs leaves them out of the embedded site.
pub(super) fn read_dir(root: &Path) -> Result<Vec<(String, Bytes)>, SiteError> {
    if !root.join("index.html").is_file() {
        return Err(SiteError::NoIndex(root.to_path_buf()));
    }
    let canonical = root.canonicalize().map_err(|e| SiteError::Read(root.to_path_buf(), e))?;
    let mut files = Vec::new();
    let mut visited = HashSet::new();
    walk(&canonical, &canonical, "", 0, &mut visited, &mut files)?;
    files.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(files)
}

fn walk(
    root: &Path,
    dir: &Path,
    prefix: &str,
    depth: usize,
    visited: &mut HashSet<std::path::PathBuf>,
    files: &mut Vec<(String, Bytes)>,
) -> Result<(), SiteError> {
    if depth > MAX_DEPTH || !visited.insert(dir.to_path_buf()) {
        return Ok(());
    }
    let entries = fs::read_dir(dir).map_err(|e| SiteError::Read(dir.to_path_buf(), e))?;
    for entry in entries {
        let entry = entry.map_err(|e| SiteError::Read(dir.to_path_buf(), e))?;
        let Some(name) = entry.file_name().to_str().map(str::to_owned) else { continue };
        if name.starts_with('.') {
            continue;
        }
        // A symlink whose target is gone, or that leads out of the site, is not served.
        let Ok(real) = entry.path().canonicalize() else { continue };
        if !real.starts_with(root) {
            continue;
        }
        let rel = format!("{prefix}{name}");
        if real.is_dir() {
            walk(root, &real, &format!("{rel}/"), depth + 1, visited, files)?;
        } else if real.is_file() {
            let data = fs::read(&real).map_err(|e| SiteError::Read(real.clone(), e))?;
            files.push((rel, Bytes::from(data)));
        }
    }
    Ok(())
}

/// The site-relative path a request URL (path and query) names, with `/` separators and no
/// empty or `.` parts: `""` for the root. `None` for anything that could step outside the
/// site (`..`, also percent-encoded), a backslash or NUL, a `C:`-style part, or bad escapes.
pub(super) fn url_key(url: &str) -> Option<String> {
    let path = url.split(['?', '#']).next().unwrap_or("");
    if !path.starts_with('/') {
        return None;
    }
    let decoded = percent_decode(path)?;
    if decoded.contains(['\\', '\0']) {
        return None;
    }
    let mut parts = Vec::new();
    for part in decoded.split('/') {
        match part {
            "" | "." => {}
            ".." => return None,
            p => {
                // `C:` must not name a drive (on Windows `Path` sees it as a prefix).
                let drive = p.len() >= 2 && p.as_bytes()[0].is_ascii_alphabetic() && p.as_bytes()[1] == b':';
                if drive || !matches!(Path::new(p).components().next(), Some(Component::Normal(_))) {
                    return None;
                }
                parts.push(p);
            }
        }
    }
    Some(parts.join("/"))
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The Content-Type a site file is served with, by its extension.
pub fn content_type(path: &Path) -> &'static str {
    let ext = path.extension().and_then(|e| e.to_str()).map(|e| e.to_ascii_lowercase());
    match ext.as_deref() {
        // The demo snapshot mirrors the Nomad API: `demo/v1/allocations` is JSON.
        None => "application/json",
        Some("html" | "htm") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("wasm") => "application/wasm",
        Some("svg") => "image/svg+xml",
        Some("json" | "map") => "application/json",
        Some("ndjson") => "application/x-ndjson",
        Some("txt") => "text/plain; charset=utf-8",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("woff2") => "font/woff2",
        Some(_) => "application/octet-stream",
    }
}

/// Whether a content coding can make files of this type smaller: text, JSON, SVG and wasm;
/// not images or fonts that are compressed already.
pub(super) fn compressible(content_type: &str) -> bool {
    content_type.starts_with("text/")
        || matches!(
            content_type,
            "application/json" | "application/wasm" | "application/x-ndjson" | "image/svg+xml"
        )
}
