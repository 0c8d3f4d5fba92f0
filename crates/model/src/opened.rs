//! A file the user opened in the app (dropped or picked), the third kind of source (design
//! contract 2): a JSON list, one allocation, an NDJSON `allocations.json`, or a whole
//! `nomad operator debug` bundle. The app reads the bytes (and gunzips them in the browser);
//! everything else (telling the forms apart, decoding, picking the capture to show) is here.
//!
//! A file holds one or more captures: a plain JSON file is one, a debug bundle has one per
//! `interval/NNNN/`. Each capture carries the list to show and, for bundles with an event
//! stream, fuller allocations for the allocation pages.

use crate::allocation::Allocation;
use crate::bundle::{read_bundle, Bundle, BundleMeta};
use crate::decode::{decode, DecodeOptions};
use crate::eventmerge::{detail_allocation, merge_events, payloads_by_id};
use crate::times::format_unix_nanos_utc;

/// What an opened file holds.
#[derive(Clone, Debug, PartialEq)]
pub struct OpenedFile {
    pub name: String,
    pub kind: OpenedKind,
    /// In order (a bundle's intervals, oldest first).
    pub captures: Vec<OpenedCapture>,
    /// The capture shown first: a bundle's newest good one.
    pub default_capture: usize,
    /// Things the user should know that did not stop the file from opening: lenient
    /// repairs, event-stream lines that could not be read.
    pub notes: Vec<String>,
    /// A bundle's metadata (version, region, time), when it is one.
    pub meta: Option<BundleMeta>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpenedKind {
    Json,
    Bundle,
}

#[derive(Clone, Debug, PartialEq)]
pub struct OpenedCapture {
    /// `interval/0001` for a bundle capture, the file name otherwise.
    pub label: String,
    /// The archive entry, for messages (`…/interval/0001/allocations.json`).
    pub entry: Option<String>,
    /// When it was captured (Unix seconds), when known.
    pub time: Option<i64>,
    /// The list, or why this capture cannot be shown (naming the entry).
    pub list: Result<Vec<Allocation>, String>,
    /// Fuller allocations than the list's, from the event stream (same IDs).
    pub details: Vec<Allocation>,
    /// Task events added from the event stream.
    pub events_merged: usize,
}

impl OpenedCapture {
    /// `interval/0001 · 2026-11-24 09:00:00 UTC · 54 allocations`, for the capture switcher.
    pub fn describe(&self) -> String {
        let mut s = self.label.clone();
        if let Some(t) = self.time.and_then(|t| t.checked_mul(1_000_000_000)).and_then(format_unix_nanos_utc)
        {
            s.push_str(" · ");
            s.push_str(&t);
        }
        match &self.list {
            Ok(l) if l.len() == 1 => s.push_str(" · 1 allocation"),
            Ok(l) => s.push_str(&format!(" · {} allocations", l.len())),
            Err(_) => s.push_str(" · failed"),
        }
        s
    }

    /// The allocation to show on its own page: the fullest version this capture has.
    pub fn allocation(&self, id: &str) -> Option<&Allocation> {
        self.details
            .iter()
            .find(|a| a.id == id)
            .or_else(|| self.list.as_ref().ok()?.iter().find(|a| a.id == id))
    }
}

/// Why a file cannot be opened at all; the message says what to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenError {
    pub file: String,
    pub message: String,
}

impl std::fmt::Display for OpenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.file, self.message)
    }
}

/// Whether the bytes are a tar archive (the `ustar` magic of POSIX and GNU headers).
pub fn is_tar(bytes: &[u8]) -> bool {
    bytes.len() >= 262 && &bytes[257..262] == b"ustar"
}

/// Whether the bytes are gzip-compressed (the app gunzips them before [`open`]).
pub fn is_gzip(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0x1f, 0x8b])
}

/// Open a file's (decompressed) bytes: a debug bundle's tar, or allocation JSON in any form
/// [`decode`] reads. JSON is read leniently, since saved files are often hand-edited; each
/// repair becomes a note.
pub fn open(name: &str, bytes: &[u8]) -> Result<OpenedFile, OpenError> {
    let fail = |message: String| OpenError { file: name.to_owned(), message };
    if is_tar(bytes) {
        let bundle = read_bundle(bytes, DecodeOptions::LENIENT).map_err(|e| fail(e.message))?;
        return Ok(from_bundle(name, &bundle));
    }
    if is_gzip(bytes) {
        return Err(fail(
            "the file is still gzip-compressed after one gunzip; decompress it and open what is inside"
                .into(),
        ));
    }
    let decoded = decode(bytes, DecodeOptions::LENIENT).map_err(|e| {
        let hint = e.hint().map(|h| format!(" ({h})")).unwrap_or_default();
        fail(format!("{e}{hint}"))
    })?;
    // Repairs, then fields read as their defaults (a newer Nomad's types).
    let notes = decoded
        .warnings
        .iter()
        .map(ToString::to_string)
        .chain(decoded.type_notes.iter().map(ToString::to_string))
        .collect();
    Ok(OpenedFile {
        name: name.to_owned(),
        kind: OpenedKind::Json,
        captures: vec![OpenedCapture {
            label: name.to_owned(),
            entry: None,
            time: None,
            list: Ok(decoded.allocations),
            details: Vec::new(),
            events_merged: 0,
        }],
        default_capture: 0,
        notes,
        meta: None,
    })
}

fn from_bundle(name: &str, bundle: &Bundle) -> OpenedFile {
    let captures: Vec<OpenedCapture> = bundle
        .captures
        .iter()
        .map(|c| {
            // `nomad-debug-…/interval/0001/allocations.json` → `interval/0001`.
            let dir = c.entry.strip_suffix("/allocations.json").unwrap_or(&c.entry);
            let label = dir.rmatch_indices('/').nth(1).map_or(dir, |(at, _)| &dir[at + 1..]).to_owned();
            let (list, details, events_merged) = match &c.result {
                Ok(decoded) => {
                    let streamed = bundle.stream_at(c);
                    let (list, report) = merge_events(&decoded.allocations, &streamed);
                    // Only the allocations the stream has fuller versions of; the others
                    // are shown from the list.
                    let by_id = payloads_by_id(&streamed);
                    let details = list
                        .iter()
                        .filter_map(|a| by_id.get(a.id.as_str()).map(|p| detail_allocation(a, p)))
                        .collect();
                    (Ok(list), details, report.events_added)
                }
                Err(e) => (Err(e.to_string()), Vec::new(), 0),
            };
            OpenedCapture { label, entry: Some(c.entry.clone()), time: c.time, list, details, events_merged }
        })
        .collect();
    let default_capture =
        captures.iter().rposition(|c| c.list.is_ok()).unwrap_or(captures.len().saturating_sub(1));
    let mut notes: Vec<String> = Vec::new();
    if let Some(events) = &bundle.events {
        notes.extend(events.warnings.iter().map(|w| w.to_string()));
    }
    OpenedFile {
        name: name.to_owned(),
        kind: OpenedKind::Bundle,
        captures,
        default_capture,
        notes,
        meta: Some(bundle.meta.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_opens_as_one_capture_named_after_the_file() {
        let f = open(
            "allocs.json",
            br#"[{"ID":"a1","TaskGroup":"g","ClientStatus":"running","DesiredStatus":"run",}]"#,
        )
        .unwrap();
        assert_eq!(f.kind, OpenedKind::Json);
        assert_eq!(f.captures.len(), 1);
        assert_eq!(f.captures[0].label, "allocs.json");
        assert_eq!(f.captures[0].list.as_ref().unwrap()[0].id, "a1");
        assert_eq!(f.captures[0].allocation("a1").map(|a| a.task_group.as_str()), Some("g"));
        assert!(f.notes[0].contains("trailing comma"), "{:?}", f.notes);
        assert!(f.captures[0].describe().ends_with("· 1 allocation"));
    }

    #[test]
    fn what_cannot_be_opened_names_the_file_and_says_why() {
        let e = open("notes.txt", b"hello").unwrap_err();
        assert_eq!(e.file, "notes.txt");
        assert!(e.to_string().starts_with("notes.txt: line 1, column 1"), "{e}");
        let e = open("x.json.gz", &[0x1f, 0x8b, 8, 0]).unwrap_err();
        assert!(e.message.contains("still gzip-compressed"), "{e}");
        let e = open("jobs.json", br#"[{"ID":"web","Type":"service"}]"#).unwrap_err();
        assert!(e.message.contains("not allocations"), "{e}");
    }
}
