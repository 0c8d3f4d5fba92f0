//! `nomad operator debug` bundles (nomad-model.md §4.9): the allocation captures and the
//! allocation event stream inside one, read from the bytes of the **uncompressed** tar. The
//! callers gunzip (the browser with `DecompressionStream`, the CLI with flate2), so the model
//! carries no gzip code.
//!
//! What Nomad writes (command/operator_debug.go, checked at HEAD):
//! - `TarCZF` walks the capture directory and writes one tar entry per regular file, no
//!   directory entries, each named `nomad-debug-<2006-01-02-150405Z>/<path>`, with the file's
//!   modification time as the entry's mtime (whole seconds). A capture's mtime is therefore
//!   the moment it was written. Bundles repacked by hand may lack the top folder; both work.
//! - `interval/NNNN/allocations.json` per capture interval (`nomad/NNNN/` in 0.12.2-1.1):
//!   NDJSON of list stubs from 1.4 (an empty file when there were none), a JSON array
//!   before, `{"Error":"..."}` when the API call failed.
//! - `cluster/eventstream.json` when `-event-topic` was given: one event per line. Frames
//!   (`{"Events":[...]}`) are accepted too.
//! - `index.json`: only the manifest, a JSON array of the relative file paths; no times.
//!   `index.html` lists the same paths under the bundle's timestamp.
//! - `cluster/agent-self.json`: the agent's `config` (with `Version`, `Region`,
//!   `Datacenter`) and `member` (with `Tags.build`, `Tags.region`).

use crate::allocation::Allocation;
use crate::decode::{decode, DecodeError, DecodeOptions, Decoded, Form};
use crate::eventmerge::{detail_allocation, merge_events, payloads_by_id, MergeReport};
use serde::Deserialize;
use serde_json::Value;
use std::borrow::Cow;
use std::fmt;
use std::io::Read;

/// A debug bundle's allocation data.
#[derive(Clone, Debug, PartialEq)]
pub struct Bundle {
    /// One per `allocations.json`, sorted by interval number.
    pub captures: Vec<Capture>,
    /// `cluster/eventstream.json`, when the bundle has one.
    pub events: Option<EventStream>,
    pub meta: BundleMeta,
}

/// One `interval/NNNN/allocations.json`.
#[derive(Clone, Debug, PartialEq)]
pub struct Capture {
    /// The entry's path in the archive, top folder included.
    pub entry: String,
    /// `NNNN`.
    pub interval: u32,
    /// Unix seconds the file was written (the tar entry's mtime); `None` when the archive
    /// does not say (mtime 0).
    pub time: Option<i64>,
    /// A capture that failed or does not decode is kept, with what went wrong.
    pub result: Result<Decoded, BundleEntryError>,
}

impl Capture {
    /// The capture's allocations, or `None` when it failed.
    pub fn allocations(&self) -> Option<&[Allocation]> {
        self.result.as_ref().ok().map(|d| d.allocations.as_slice())
    }
}

/// The allocation events of `cluster/eventstream.json`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EventStream {
    pub entry: String,
    /// Each `Allocation` event's payload (a full allocation without its `Job`), in stream
    /// order.
    pub allocations: Vec<Allocation>,
    /// Lines that were heartbeats or events of other topics.
    pub skipped: usize,
    /// Lines that could not be read; the rest of the stream is still used.
    pub warnings: Vec<BundleEntryError>,
}

/// What the bundle says about itself, where its files carry it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BundleMeta {
    /// The top folder, `nomad-debug-2024-05-01-093000Z`.
    pub name: Option<String>,
    /// Unix seconds of the bundle's timestamp (from the top folder's name or `index.html`).
    pub taken_at: Option<i64>,
    /// The version of the agent the bundle was taken from (`cluster/agent-self.json`).
    pub nomad_version: Option<String>,
    pub region: Option<String>,
    pub datacenter: Option<String>,
    /// `index.json`: every file the bundle holds, relative to the top folder.
    pub manifest: Vec<String>,
}

/// A problem with one file of the bundle: the entry's path and the decode error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BundleEntryError {
    pub entry: String,
    pub error: DecodeError,
}

impl fmt::Display for BundleEntryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.entry, self.error)
    }
}

impl std::error::Error for BundleEntryError {}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BundleErrorKind {
    Empty,
    /// Gzip bytes where the tar was expected.
    StillCompressed,
    NotTar,
    Truncated,
    /// A tar archive, but without any `allocations.json` capture.
    NoCaptures,
}

/// The bundle as a whole cannot be read. The message says what happened and what to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BundleError {
    pub kind: BundleErrorKind,
    pub message: String,
}

impl fmt::Display for BundleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for BundleError {}

impl Bundle {
    /// The newest capture that decoded, by interval number.
    pub fn newest(&self) -> Option<&Capture> {
        self.captures.iter().rev().find(|c| c.result.is_ok())
    }

    /// The capture of interval `n` (the `NNNN` of its path).
    pub fn capture(&self, interval: u32) -> Option<&Capture> {
        self.captures.iter().find(|c| c.interval == interval)
    }

    /// The event stream's allocation payloads (empty without a stream).
    pub fn streamed(&self) -> &[Allocation] {
        self.events.as_ref().map(|e| e.allocations.as_slice()).unwrap_or(&[])
    }

    /// The event-stream payloads that `capture` may take to show the state at its own
    /// time: those written by then (the capture's tar time, to the second). A bundle's
    /// stream runs over the whole capture period; the last capture takes every payload,
    /// since the stream may go on past it and its newest state is what matters. Without a
    /// capture time every payload is taken.
    pub fn stream_at(&self, capture: &Capture) -> Cow<'_, [Allocation]> {
        let last = self.captures.last().is_some_and(|c| std::ptr::eq(c, capture));
        let cutoff = capture.time.and_then(|t| t.checked_add(1)).and_then(|t| t.checked_mul(1_000_000_000));
        match cutoff {
            Some(cutoff) if !last => {
                Cow::Owned(self.streamed().iter().filter(|p| p.modify_time <= cutoff).cloned().collect())
            }
            _ => Cow::Borrowed(self.streamed()),
        }
    }

    /// `capture`'s allocations with the event stream up to the capture's time merged in (see
    /// [`Bundle::stream_at`] and [`crate::eventmerge::merge_events`]): task histories past
    /// the 10-event cap, and the status of a payload newer than the capture's copy.
    /// Allocations that appear only in the stream are not added to the capture.
    pub fn merged(&self, capture: &Capture) -> Result<(Vec<Allocation>, MergeReport), BundleEntryError> {
        let decoded = capture.result.as_ref().map_err(Clone::clone)?;
        Ok(merge_events(&decoded.allocations, &self.stream_at(capture)))
    }

    /// The full allocation to show for each of `list` (normally [`Bundle::merged`]'s output
    /// for `capture`): the newest event-stream payload up to the capture's time, with the
    /// whole task history, or the list entry itself when the stream has nothing for it.
    pub fn details(&self, capture: &Capture, list: &[Allocation]) -> Vec<Allocation> {
        let streamed = self.stream_at(capture);
        let by_id = payloads_by_id(&streamed);
        list.iter()
            .map(|a| match by_id.get(a.id.as_str()) {
                Some(p) => detail_allocation(a, p),
                None => a.clone(),
            })
            .collect()
    }
}

/// Read a debug bundle from the bytes of its (uncompressed) tar archive. Captures are
/// decoded with `opts`. A failed capture or a bad event-stream line is kept as an error or a
/// warning; only an archive that cannot be read, or one without any capture, is an error.
pub fn read_bundle(tar_bytes: &[u8], opts: DecodeOptions) -> Result<Bundle, BundleError> {
    let err = |kind, message: String| BundleError { kind, message };
    if tar_bytes.is_empty() {
        return Err(err(
            BundleErrorKind::Empty,
            "the bundle is empty (0 bytes); open the nomad-debug-<time>.tar.gz that `nomad operator debug` wrote"
                .into(),
        ));
    }
    if tar_bytes.starts_with(&[0x1f, 0x8b]) {
        return Err(err(
            BundleErrorKind::StillCompressed,
            "the archive is still gzip-compressed (was it compressed twice?); gunzip it and open the .tar inside"
                .into(),
        ));
    }
    let mut archive = tar::Archive::new(tar_bytes);
    let entries = archive.entries().map_err(|e| not_tar(&e))?;
    let mut bundle = Bundle { captures: Vec::new(), events: None, meta: BundleMeta::default() };
    let mut files = 0usize;
    let mut last = String::new();
    let mut index_html: Option<Vec<u8>> = None;
    for entry in entries {
        let mut entry = match entry {
            Ok(e) => e,
            Err(e) if files == 0 => return Err(not_tar(&e)),
            Err(e) => return Err(truncated(&last, files, &e.to_string())),
        };
        let path = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        last.clone_from(&path);
        let regular = entry.header().entry_type().is_file();
        files += 1;
        if !regular {
            continue;
        }
        let (prefix, rest) = split_prefix(&path);
        if bundle.meta.name.is_none() && !prefix.is_empty() {
            bundle.meta.name = Some(prefix.trim_end_matches('/').to_owned());
        }
        let wanted = match_entry(rest);
        if wanted == Wanted::Other {
            continue;
        }
        let size = entry.size();
        let mut body = Vec::with_capacity(usize::try_from(size).unwrap_or(0).min(tar_bytes.len()));
        if let Err(e) = entry.read_to_end(&mut body) {
            return Err(truncated(&path, files, &e.to_string()));
        }
        // The tar reader stops quietly at the end of the input; a short body is a cut file.
        if (body.len() as u64) < size {
            return Err(truncated(&path, files, &format!("{} of {size} bytes present", body.len())));
        }
        match wanted {
            Wanted::Capture(interval) => {
                let time = i64::try_from(entry.header().mtime().unwrap_or(0)).ok().filter(|&t| t > 0);
                let result = decode_capture(&body, opts)
                    .map_err(|error| BundleEntryError { entry: path.clone(), error });
                bundle.captures.push(Capture { entry: path, interval, time, result });
            }
            Wanted::EventStream => bundle.events = Some(read_event_stream(&path, &body, opts)),
            Wanted::Index => {
                bundle.meta.manifest = serde_json::from_slice::<Vec<String>>(&body).unwrap_or_default()
            }
            Wanted::IndexHtml => index_html = Some(body),
            Wanted::AgentSelf => read_agent_self(&body, &mut bundle.meta),
            Wanted::Other => {}
        }
    }
    if bundle.captures.is_empty() {
        let what = if files == 0 { "no files at all".to_owned() } else { format!("{files} files") };
        return Err(err(
            BundleErrorKind::NoCaptures,
            format!(
                "the archive holds no allocations capture (no interval/NNNN/allocations.json or nomad/NNNN/allocations.json among its {what}); it is not a `nomad operator debug` bundle from Nomad 0.12.2 or later, or the capture stopped before its first interval"
            ),
        ));
    }
    crate::sort::sort_by(&mut bundle.captures, |a, b| (a.interval, &a.entry).cmp(&(b.interval, &b.entry)));
    bundle.meta.taken_at = bundle
        .meta
        .name
        .as_deref()
        .and_then(timestamp_of_name)
        .or_else(|| index_html.as_deref().and_then(title_of).as_deref().and_then(timestamp_of_name));
    Ok(bundle)
}

fn not_tar(e: &std::io::Error) -> BundleError {
    BundleError {
        kind: BundleErrorKind::NotTar,
        message: format!(
            "this is not a tar archive ({e}); open the nomad-debug-<time>.tar.gz that `nomad operator debug` wrote"
        ),
    }
}

fn truncated(entry: &str, files: usize, why: &str) -> BundleError {
    let at = if entry.is_empty() { String::new() } else { format!(" at {entry}") };
    BundleError {
        kind: BundleErrorKind::Truncated,
        message: format!(
            "the archive ends early{at}, after {files} files ({why}): it was cut off while copying or downloading; copy it again"
        ),
    }
}

/// A capture's bytes. Nomad 1.4+ writes nothing at all when the cluster has no
/// allocations (NDJSON of an empty list), which is a capture of zero allocations, not an
/// empty-input error.
fn decode_capture(body: &[u8], opts: DecodeOptions) -> Result<Decoded, DecodeError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Decoded::new(Form::Ndjson));
    }
    decode(body, opts)
}

/// Names at the top of a bundle; anything else first in a path is the top folder.
const TOP_LEVEL: [&str; 7] = ["index.json", "index.html", "cluster", "interval", "nomad", "client", "server"];

/// `(top folder with its slash, the rest)`; the folder is `""` when there is none.
fn split_prefix(path: &str) -> (&str, &str) {
    let path = path.trim_start_matches("./").trim_start_matches('/');
    match path.split_once('/') {
        Some((first, rest)) if !TOP_LEVEL.contains(&first) => (&path[..first.len() + 1], rest),
        _ => ("", path),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Wanted {
    Capture(u32),
    EventStream,
    Index,
    IndexHtml,
    AgentSelf,
    Other,
}

fn match_entry(rest: &str) -> Wanted {
    match rest.split('/').collect::<Vec<_>>().as_slice() {
        ["interval" | "nomad", n, "allocations.json"]
            if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) =>
        {
            n.parse().map(Wanted::Capture).unwrap_or(Wanted::Other)
        }
        ["cluster", "eventstream.json"] => Wanted::EventStream,
        ["cluster", "agent-self.json"] => Wanted::AgentSelf,
        ["index.json"] => Wanted::Index,
        ["index.html"] => Wanted::IndexHtml,
        _ => Wanted::Other,
    }
}

/// Enough of an event-stream line to tell whether it holds allocations, without decoding
/// the payloads of other topics.
#[derive(Deserialize)]
struct Head {
    #[serde(rename = "Topic")]
    topic: Option<String>,
    #[serde(rename = "Events")]
    events: Option<Vec<HeadEvent>>,
}

#[derive(Deserialize)]
struct HeadEvent {
    #[serde(rename = "Topic")]
    topic: Option<String>,
}

fn read_event_stream(entry: &str, body: &[u8], opts: DecodeOptions) -> EventStream {
    let mut out = EventStream { entry: entry.to_owned(), ..EventStream::default() };
    for (i, line) in body.split(|&b| b == b'\n').enumerate() {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let is_alloc = |t: &Option<String>| t.as_deref() == Some("Allocation");
        if let Ok(head) = serde_json::from_slice::<Head>(line) {
            let any = is_alloc(&head.topic) || head.events.iter().flatten().any(|e| is_alloc(&e.topic));
            if !any {
                out.skipped += 1;
                continue;
            }
        }
        // Each line is its own document: decode it alone, and name the file's line number.
        match decode(line, opts) {
            Ok(d) => {
                out.skipped += d.skipped;
                out.allocations.extend(d.allocations);
            }
            Err(mut error) => {
                error.line = i + 1;
                out.warnings.push(BundleEntryError { entry: entry.to_owned(), error });
            }
        }
    }
    out
}

/// `{"config": {"Version": {"Version": "1.7.3", "VersionPrerelease": ""}, "Region": ...},
/// "member": {"Tags": {"build": "1.7.3", "region": ...}}}`. Agents before 0.9 wrote
/// `Version` as a string. A failed read (`{"Error": ...}`) leaves everything unknown.
fn read_agent_self(body: &[u8], meta: &mut BundleMeta) {
    let Ok(v) = serde_json::from_slice::<Value>(body) else { return };
    let text = |v: Option<&Value>| v.and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_owned);
    let config = v.get("config");
    let tags = v.get("member").and_then(|m| m.get("Tags"));
    meta.nomad_version = match config.and_then(|c| c.get("Version")) {
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        Some(obj @ Value::Object(_)) => {
            text(obj.get("Version")).map(|ver| match text(obj.get("VersionPrerelease")) {
                Some(pre) => format!("{ver}-{pre}"),
                None => ver,
            })
        }
        _ => None,
    }
    .or_else(|| text(tags.and_then(|t| t.get("build"))));
    meta.region =
        text(config.and_then(|c| c.get("Region"))).or_else(|| text(tags.and_then(|t| t.get("region"))));
    meta.datacenter =
        text(config.and_then(|c| c.get("Datacenter"))).or_else(|| text(tags.and_then(|t| t.get("dc"))));
}

/// `<title>nomad-debug-...</title>` in `index.html`. (Nomad puts the bare timestamp there;
/// both forms are read.)
fn title_of(html: &[u8]) -> Option<String> {
    let html = std::str::from_utf8(html).ok()?;
    let start = html.find("<title>")? + "<title>".len();
    let end = start + html[start..].find("</title>")?;
    Some(html[start..end].trim().to_owned())
}

/// Unix seconds of `nomad-debug-2006-01-02-150405Z` or `2006-01-02-150405Z` (Nomad's Go
/// layout, always UTC).
pub fn timestamp_of_name(name: &str) -> Option<i64> {
    let ts = name.strip_prefix("nomad-debug-").unwrap_or(name);
    let b = ts.as_bytes();
    if b.len() != 18 || b[4] != b'-' || b[7] != b'-' || b[10] != b'-' || b[17] != b'Z' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let s = ts.get(r)?;
        s.bytes().all(|c| c.is_ascii_digit()).then(|| s.parse().ok())?
    };
    let month = time::Month::try_from(u8::try_from(num(5..7)?).ok()?).ok()?;
    let date =
        time::Date::from_calendar_date(i32::try_from(num(0..4)?).ok()?, month, num(8..10)? as u8).ok()?;
    let t = time::Time::from_hms(num(11..13)? as u8, num(13..15)? as u8, num(15..17)? as u8).ok()?;
    Some(time::PrimitiveDateTime::new(date, t).assume_utc().unix_timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    const STUB: &str = r#"{"ID":"aaaaaaaa-0000-0000-0000-000000000001","TaskGroup":"g","ClientStatus":"running","DesiredStatus":"run","JobID":"j","JobType":"service","JobVersion":0,"ModifyIndex":5}"#;

    /// A tar built in memory with the tar crate's writer (available without features).
    fn tar_of(files: &[(&str, &[u8], u64)]) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        for (path, body, mtime) in files {
            let mut h = tar::Header::new_ustar();
            h.set_size(body.len() as u64);
            h.set_mode(0o644);
            h.set_mtime(*mtime);
            h.set_entry_type(tar::EntryType::Regular);
            b.append_data(&mut h, path, *body).unwrap();
        }
        b.into_inner().unwrap()
    }

    #[test]
    fn reads_captures_with_and_without_the_top_folder() {
        for prefix in ["nomad-debug-2024-05-01-093000Z/", "", "./"] {
            let ndjson = format!("{STUB}\n");
            let tar = tar_of(&[
                (&format!("{prefix}interval/0001/allocations.json"), ndjson.as_bytes(), 1_714_555_830),
                (&format!("{prefix}interval/0000/allocations.json"), b"[]", 1_714_555_800),
                (&format!("{prefix}interval/0000/jobs.json"), b"[]", 1_714_555_800),
            ]);
            let b = read_bundle(&tar, DecodeOptions::STRICT).unwrap();
            assert_eq!(b.captures.iter().map(|c| c.interval).collect::<Vec<_>>(), [0, 1], "{prefix:?}");
            assert_eq!(b.captures[1].time, Some(1_714_555_830));
            assert_eq!(b.newest().unwrap().allocations().unwrap().len(), 1);
            let named = prefix.starts_with("nomad-debug");
            assert_eq!(b.meta.name.is_some(), named, "{prefix:?}");
            assert_eq!(b.meta.taken_at, named.then_some(1_714_555_800));
        }
    }

    #[test]
    fn split_prefix_keeps_known_top_level_names() {
        assert_eq!(
            split_prefix("nomad-debug-x/interval/0000/a.json"),
            ("nomad-debug-x/", "interval/0000/a.json")
        );
        assert_eq!(split_prefix("cluster/eventstream.json"), ("", "cluster/eventstream.json"));
        assert_eq!(split_prefix("index.json"), ("", "index.json"));
        assert_eq!(match_entry("nomad/0012/allocations.json"), Wanted::Capture(12));
        assert_eq!(match_entry("client/abc/interval/0000/allocations.json"), Wanted::Other);
        assert_eq!(match_entry("interval/x1/allocations.json"), Wanted::Other);
    }

    #[test]
    fn an_empty_capture_is_zero_allocations() {
        let tar = tar_of(&[("interval/0000/allocations.json", b"", 1)]);
        let b = read_bundle(&tar, DecodeOptions::STRICT).unwrap();
        assert_eq!(b.captures[0].allocations(), Some(&[][..]));
    }

    #[test]
    fn a_truncated_archive_is_an_error_at_every_cut() {
        let big = format!("[{}]", vec![STUB; 40].join(","));
        let tar = tar_of(&[
            ("d/interval/0000/allocations.json", big.as_bytes(), 1),
            ("d/interval/0001/allocations.json", big.as_bytes(), 2),
        ]);
        assert!(read_bundle(&tar, DecodeOptions::STRICT).is_ok());
        // Every cut either fails cleanly or (at block boundaries before the end marker)
        // reads what is there; none panics.
        let mut truncated = 0;
        for cut in (1..tar.len()).step_by(97) {
            match read_bundle(&tar[..cut], DecodeOptions::STRICT) {
                Err(e) if e.kind == BundleErrorKind::Truncated => {
                    truncated += 1;
                    assert!(e.message.contains("copy it again"), "{e}");
                }
                Err(e) => {
                    assert!(matches!(e.kind, BundleErrorKind::NotTar | BundleErrorKind::NoCaptures), "{e}")
                }
                Ok(b) => assert!(!b.captures.is_empty()),
            }
        }
        assert!(truncated > 10, "{truncated}");
        let cut = read_bundle(&tar[..700], DecodeOptions::STRICT).unwrap_err();
        assert_eq!(cut.kind, BundleErrorKind::Truncated);
        assert!(cut.message.contains("d/interval/0000/allocations.json"), "{cut}");
    }

    #[test]
    fn not_a_tar_empty_and_gzip_say_so() {
        let e = read_bundle(b"[{\"ID\": \"x\"}]", DecodeOptions::STRICT).unwrap_err();
        assert_eq!(e.kind, BundleErrorKind::NotTar);
        let e = read_bundle(&[0u8; 0], DecodeOptions::STRICT).unwrap_err();
        assert_eq!(e.kind, BundleErrorKind::Empty);
        let e = read_bundle(&[0x1f, 0x8b, 8, 0], DecodeOptions::STRICT).unwrap_err();
        assert_eq!(e.kind, BundleErrorKind::StillCompressed);
        let e = read_bundle(&vec![b'x'; 2048], DecodeOptions::STRICT).unwrap_err();
        assert_eq!(e.kind, BundleErrorKind::NotTar, "{e}");
    }

    #[test]
    fn a_bad_event_line_is_a_warning_with_the_files_line_number() {
        let alloc_event = format!(
            r#"{{"Topic":"Allocation","Type":"AllocationUpdated","Key":"k","Index":6,"Payload":{{"Allocation":{STUB}}}}}"#
        );
        let stream = format!(
            "{{\"Topic\":\"Node\",\"Type\":\"NodeRegistration\",\"Payload\":{{\"Node\":{{}}}}}}\n{alloc_event}\n{{\"Topic\":\"Allocation\",\"Payload\":{{\"Allocation\":{{\"ID\":\"x\",\"TaskGroup\":7}}}}}}\n{{\"Topic\n"
        );
        let tar = tar_of(&[
            ("interval/0000/allocations.json", STUB.as_bytes(), 1),
            ("cluster/eventstream.json", stream.as_bytes(), 1),
        ]);
        let b = read_bundle(&tar, DecodeOptions::STRICT).unwrap();
        let ev = b.events.as_ref().unwrap();
        assert_eq!(ev.allocations.len(), 1);
        assert_eq!(ev.skipped, 1);
        assert_eq!(ev.warnings.len(), 2);
        let first = ev.warnings[0].to_string();
        assert!(first.starts_with("cluster/eventstream.json: line 3, column "), "{first}");
        assert!(first.contains("$.Payload.Allocation.TaskGroup"), "{first}");
        assert!(
            ev.warnings[1].to_string().starts_with("cluster/eventstream.json: line 4,"),
            "{}",
            ev.warnings[1]
        );
    }

    #[test]
    fn agent_self_gives_version_region_and_datacenter() {
        let mut m = BundleMeta::default();
        read_agent_self(
            br#"{"config":{"Region":"eu","Datacenter":"eu-1a","Version":{"Version":"1.7.3","VersionPrerelease":"beta.1"}},"member":{"Tags":{"build":"1.7.3"}}}"#,
            &mut m,
        );
        assert_eq!(m.nomad_version.as_deref(), Some("1.7.3-beta.1"));
        assert_eq!((m.region.as_deref(), m.datacenter.as_deref()), (Some("eu"), Some("eu-1a")));
        let mut m = BundleMeta::default();
        read_agent_self(br#"{"member":{"Tags":{"build":"0.12.3","region":"global","dc":"dc1"}}}"#, &mut m);
        assert_eq!(m.nomad_version.as_deref(), Some("0.12.3"));
        assert_eq!(m.region.as_deref(), Some("global"));
    }

    #[test]
    fn bundle_timestamps_parse_in_utc() {
        assert_eq!(timestamp_of_name("nomad-debug-2024-05-01-093000Z"), Some(1_714_555_800));
        assert_eq!(timestamp_of_name("2024-05-01-093000Z"), Some(1_714_555_800));
        assert_eq!(timestamp_of_name("nomad-debug-2024-13-01-093000Z"), None);
        assert_eq!(timestamp_of_name("nomad-debug-x"), None);
    }
}
