//! The one way into the model: bytes in, allocations out. The form is detected from the
//! data, not from a file name or an endpoint, because the same viewer opens live responses,
//! snapshot files and debug-bundle captures:
//!
//! - a JSON array of allocations (list stubs or full allocations);
//! - one allocation object;
//! - NDJSON, one allocation per line (`nomad operator debug` from 1.4);
//! - `{"Error": "..."}`, a debug capture that failed, which is an error with Nomad's text;
//! - wrappers that hold allocations: `nomad operator client-state` output
//!   (`{"Allocations": {...}}`) and event-stream frames or events with an `Allocation`
//!   payload (`cluster/eventstream.json`).
//!
//! Strict mode is the fast path for live data: a list is decoded straight from the bytes
//! into typed structs. On failure the input is decoded again with path tracking, so the
//! error names the JSON path as well as the line and column. Lenient mode repairs
//! hand-edited JSON first (see `lenient`) and reports every repair.
//!
//! In either mode a type error in a field that does not identify the allocation (a newer
//! Nomad's type, see `forward`) is stepped over: the field is read as its default and a
//! `TypeNote` says so. A list is then decoded again element by element, so that only an
//! allocation with such a field is decoded more than once more.

use crate::allocation::Allocation;
use crate::forward::{field_name, is_type_error, rejected_at, typed_alloc, value_end, Step, TypeNote};
use crate::lenient::{repair_numeric_strings, repair_text, Warning};
use crate::scan::{line_col, locate, locate_line_col, path_at, trailing_comma_container, JsonPath, Seg};
use serde_json::Value;
use std::borrow::Cow;
use std::fmt;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct DecodeOptions {
    /// Repair trailing commas, duplicate keys, Python literals and numeric strings, with a
    /// warning for each repair.
    pub lenient: bool,
}

impl DecodeOptions {
    pub const STRICT: DecodeOptions = DecodeOptions { lenient: false };
    pub const LENIENT: DecodeOptions = DecodeOptions { lenient: true };
}

/// The form the input turned out to have.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Form {
    List,
    Single,
    Ndjson,
    ClientState,
    EventStream,
}

impl Form {
    pub fn describe(&self) -> &'static str {
        match self {
            Form::List => "JSON array",
            Form::Single => "single allocation",
            Form::Ndjson => "NDJSON (one allocation per line)",
            Form::ClientState => "nomad operator client-state output",
            Form::EventStream => "event stream",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Decoded {
    pub form: Form,
    pub allocations: Vec<Allocation>,
    /// Repairs made in lenient mode; always empty in strict mode.
    pub warnings: Vec<Warning>,
    /// Records that were valid but held no allocation (heartbeats, other event topics).
    pub skipped: usize,
    /// Fields read as their defaults because their JSON type was not the expected one, in
    /// document order; at most `MAX_TYPE_NOTES`.
    pub type_notes: Vec<TypeNote>,
    /// Such fields past the first `MAX_TYPE_NOTES`.
    pub type_notes_omitted: usize,
}

impl Decoded {
    pub(crate) fn new(form: Form) -> Decoded {
        Decoded {
            form,
            allocations: Vec::new(),
            warnings: Vec::new(),
            skipped: 0,
            type_notes: Vec::new(),
            type_notes_omitted: 0,
        }
    }
}

/// Type notes kept at most: a list where every event of a newer Nomad has a changed field
/// would otherwise hold millions.
pub const MAX_TYPE_NOTES: usize = 1000;

/// Type notes given a line and column at most: locating is a scan of the record.
const MAX_LOCATED: usize = 64;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DecodeErrorKind {
    /// Nothing but white space.
    Empty,
    /// Not JSON (or not JSON even after lenient repairs).
    Syntax,
    /// JSON, but a field has the wrong type.
    Data,
    /// Valid JSON that holds no allocations (another endpoint's response, `{}`, a number).
    NotAllocations,
    /// A debug-bundle capture that failed: `{"Error": "..."}`.
    CaptureFailed,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodeError {
    pub kind: DecodeErrorKind,
    /// Where in the document, e.g. `$[3].TaskStates.web.Events[2].Time`.
    pub path: String,
    /// 1-based; 0 when there is no position (empty input).
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl DecodeError {
    fn new(kind: DecodeErrorKind, path: String, (line, column): (usize, usize), message: String) -> Self {
        DecodeError { kind, path, line, column, message }
    }

    /// What a user can do about it, when there is something to say.
    pub fn hint(&self) -> Option<&'static str> {
        match self.kind {
            DecodeErrorKind::Syntax if self.message.contains("trailing comma") => {
                Some("this looks like hand-edited JSON (Nomad's docs samples have trailing commas); lenient mode repairs it")
            }
            DecodeErrorKind::Syntax if self.message.contains("EOF") => {
                Some("the data ends early: the download or copy was probably cut off")
            }
            DecodeErrorKind::Syntax if self.message.contains("recursion limit") => {
                Some("the JSON nests deeper than any Nomad response does (128 levels); this is not allocation data")
            }
            DecodeErrorKind::Syntax if self.message.contains("number out of range") => {
                Some("a number is too large for a 64-bit integer; no Nomad field holds such a value")
            }
            DecodeErrorKind::Syntax if self.line == 1 && self.column <= 1 => {
                Some("this is not JSON at all (an HTML page or plain text?); check that the URL points at the Nomad API or a snapshot")
            }
            DecodeErrorKind::Syntax => Some("this is not valid JSON; lenient mode repairs only trailing commas, duplicate keys and Python literals"),
            DecodeErrorKind::Data if self.message.contains("invalid type: string") => {
                Some("a number was written as a string, as in hand-edited files; lenient mode reads numeric strings")
            }
            DecodeErrorKind::Data if self.message.contains("duplicate field") => {
                Some("a key appears twice in one object, as in Nomad's docs samples; lenient mode keeps the last one")
            }
            DecodeErrorKind::NotAllocations => {
                Some("open a response of /v1/allocations, /v1/allocation/<id>, /v1/job/<id>/allocations or /v1/node/<id>/allocations, or a debug bundle's allocations.json")
            }
            DecodeErrorKind::CaptureFailed => {
                Some("the debug bundle could not capture allocations; check the token's ACL policy and the cluster's health when it was taken")
            }
            _ => None,
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            DecodeErrorKind::Empty => f.write_str(&self.message),
            DecodeErrorKind::CaptureFailed => write!(f, "{}", self.message),
            _ => {
                if self.line > 0 {
                    write!(
                        f,
                        "line {}, column {}, at {}: {}",
                        self.line, self.column, self.path, self.message
                    )
                } else {
                    write!(f, "at {}: {}", self.path, self.message)
                }
            }
        }
    }
}

impl std::error::Error for DecodeError {}

/// Decode allocations from the bytes of any supported form.
pub fn decode(bytes: &[u8], opts: DecodeOptions) -> Result<Decoded, DecodeError> {
    // Event text repeats across a list: share equal strings (see `Text`).
    let _pool = crate::text::PoolScope::enter();
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let Some(first) = body.iter().position(|b| !b.is_ascii_whitespace()) else {
        return Err(DecodeError::new(
            DecodeErrorKind::Empty,
            "$".into(),
            (0, 0),
            "the input is empty (a zero-byte file or response)".into(),
        ));
    };
    let mut warnings = Vec::new();
    let text: Cow<[u8]> = if opts.lenient {
        let (fixed, w) = repair_text(body);
        warnings = w;
        Cow::Owned(fixed)
    } else {
        Cow::Borrowed(body)
    };
    match body[first] {
        b'[' if !opts.lenient => decode_list_fast(&text),
        b'[' | b'{' => decode_records(&text, opts, warnings),
        _ => {
            // Let serde_json say what it is (a number, a string, garbage).
            match serde_json::from_slice::<Value>(&text) {
                Ok(v) => Err(DecodeError::new(
                    DecodeErrorKind::NotAllocations,
                    "$".into(),
                    line_col(&text, first),
                    format!("expected an array or object of allocations, found {}", kind_of(&v)),
                )),
                Err(e) => Err(syntax_error(&e, &text, first)),
            }
        }
    }
}

/// A typed decode through serde_json's `str` reader: valid UTF-8 (as JSON must be) is
/// checked once for the whole input, about a fifth faster than serde_json checking each
/// string as it reads it. Every typed decode goes through here so the allocation
/// deserializer exists once in the wasm (one reader type). Invalid UTF-8 is reported by the
/// byte reader, which says where.
pub(crate) fn typed<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> serde_json::Result<T> {
    match std::str::from_utf8(bytes) {
        Ok(s) => serde_json::from_str(s),
        Err(_) => match serde_json::from_slice::<Value>(bytes) {
            Err(e) => Err(e),
            // Not reachable for JSON (strings are checked); kept total rather than panicking.
            Ok(_) => serde_json::from_str(&String::from_utf8_lossy(bytes)),
        },
    }
}

/// Strict lists: typed decode straight from the bytes (the hot path for live data).
fn decode_list_fast(text: &[u8]) -> Result<Decoded, DecodeError> {
    match typed::<Vec<Allocation>>(text) {
        Ok(allocations) => {
            check_list(&allocations, text)?;
            Ok(Decoded { allocations, ..Decoded::new(Form::List) })
        }
        Err(e) => {
            // Perhaps a newer Nomad's type in a field that can be stepped over: decode the
            // elements one by one, which names the error that stands if there is one.
            let standing = if is_type_error(&e) {
                match decode_elements(text) {
                    Ok(d) => return Ok(d),
                    Err(err) => err,
                }
            } else {
                None
            };
            // Not-JSON is the more basic problem: report a syntax error before a type error
            // that happens to come earlier in the file.
            if let Err(syntax) = serde_json::from_slice::<Value>(text) {
                return Err(syntax_error(&syntax, text, 0));
            }
            Err(standing.unwrap_or_else(|| typed_error(&e, text, &[])))
        }
    }
}

/// A list decoded element by element, each from its own bytes. The error is `None` where
/// the text cannot be split into elements (not UTF-8, not JSON): the whole-list decode's
/// error says what is wrong then.
fn decode_elements(text: &[u8]) -> Result<Decoded, Option<DecodeError>> {
    let mut out = Decoded::new(Form::List);
    let utf8 = std::str::from_utf8(text).map_err(|_| None)?;
    let mut i = skip_ws(text, 0) + 1;
    loop {
        i = skip_ws(text, i);
        if text.get(i).is_none_or(|&b| b == b']') {
            break;
        }
        let end = value_end(utf8, i).ok_or(None)?;
        let prefix = [Seg::Index(out.allocations.len())];
        decode_bytes(text, i, end, &prefix, &mut out)?;
        i = skip_ws(text, end);
        if text.get(i) == Some(&b',') {
            i += 1;
        }
    }
    check_list(&out.allocations, text)?;
    Ok(out)
}

/// A typed decode of `text` failed with `e`: name the path from the position. (serde_json
/// knows the position but not the path; the scanner knows paths. Doing it this way keeps a
/// single instantiation of the allocation deserializer in the wasm bundle.)
fn typed_error(e: &serde_json::Error, text: &[u8], prefix: &[Seg]) -> DecodeError {
    let mut pos = (e.line(), e.column());
    let data = e.classify() == serde_json::error::Category::Data;
    let offset = if data { rejected_at(text, e) } else { locate_line_col(text, pos.0, pos.1) };
    let inner = path_at(text, offset).0;
    let kind = match e.classify() {
        serde_json::error::Category::Data => {
            // Point at the start of the rejected value, as lenient warnings do.
            if let Some(start) = locate(text, &inner) {
                pos = line_col(text, start);
            }
            DecodeErrorKind::Data
        }
        _ => DecodeErrorKind::Syntax,
    };
    let mut path = prefix.to_vec();
    path.extend(inner);
    DecodeError::new(kind, JsonPath(path).to_string(), pos, strip_position(e))
}

fn strip_position(e: &serde_json::Error) -> String {
    let s = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    s.strip_suffix(&suffix).map(str::to_owned).unwrap_or(s)
}

/// A syntax error in the record that starts at `record_start`.
fn syntax_error(e: &serde_json::Error, text: &[u8], record_start: usize) -> DecodeError {
    let kind = match e.classify() {
        serde_json::error::Category::Data => DecodeErrorKind::Data,
        _ => DecodeErrorKind::Syntax,
    };
    let mut pos = (e.line(), e.column());
    let offset = locate_line_col(text, pos.0, pos.1);
    let message = strip_position(e);
    let record = &text[record_start..];
    let mut path = path_at(record, offset.saturating_sub(record_start));
    if message.starts_with("trailing comma") {
        // serde_json stops at the bracket after the comma; point at the comma itself, and
        // name the array or object it sits in.
        if let Some(comma) = text[..offset].iter().rposition(|&b| b == b',') {
            pos = line_col(text, comma);
            if let Some(container) = trailing_comma_container(record, comma - record_start) {
                path = container;
            }
        }
    }
    DecodeError::new(kind, path.to_string(), pos, message)
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// One or more top-level JSON values, each classified and decoded.
fn decode_records(
    text: &[u8],
    opts: DecodeOptions,
    mut warnings: Vec<Warning>,
) -> Result<Decoded, DecodeError> {
    let mut records: Vec<(usize, usize, Value)> = Vec::new();
    let mut stream = serde_json::Deserializer::from_slice(text).into_iter::<Value>();
    let mut start = skip_ws(text, 0);
    loop {
        match stream.next() {
            None => break,
            Some(Ok(v)) => {
                let end = stream.byte_offset();
                records.push((start, end, v));
                start = skip_ws(text, end);
            }
            Some(Err(e)) => return Err(syntax_error(&e, text, start)),
        }
    }
    let form = match records.as_slice() {
        [(_, _, Value::Array(_))] => Form::List,
        [(_, _, _)] => Form::Single,
        _ => Form::Ndjson,
    };
    let mut out = Decoded::new(form);
    let multi = records.len() > 1;
    for (record_no, (offset, end, value)) in records.into_iter().enumerate() {
        // In NDJSON each line is its own document; name the line in the path.
        let base: Vec<Seg> = if multi { vec![Seg::Index(record_no)] } else { Vec::new() };
        let extracted = extract(value, offset, text, &mut out)?;
        for (rel_path, mut v) in extracted {
            if opts.lenient {
                let position = |p: &[Seg]| {
                    locate(&text[offset..], p).map(|o| line_col(text, offset + o)).unwrap_or((0, 0))
                };
                repair_numeric_strings(&mut v, &rel_path, &base, &position, &mut warnings);
            }
            decode_record(text, offset, end, &base, rel_path, v, opts.lenient, &mut out)?;
        }
    }
    // Text repairs and value repairs are found in two passes; report them in file order.
    crate::sort::sort_by_key(&mut warnings, |w| (w.line == 0, w.line, w.column));
    out.warnings = warnings;
    check_list(&out.allocations, text)?;
    if out.allocations.is_empty() && out.skipped > 0 && out.form != Form::List {
        return Err(DecodeError::new(
            DecodeErrorKind::NotAllocations,
            "$".into(),
            line_col(text, skip_ws(text, 0)),
            "the JSON holds no allocations".into(),
        ));
    }
    Ok(out)
}

/// Decode one allocation found at `rel_path` inside the record `text[start..end]` into
/// `out`, with the type notes of its fields.
///
/// A plain allocation record is decoded from its own bytes, so errors carry exact
/// positions. A value that was unwrapped from a container or repaired in lenient mode is
/// decoded from its re-encoding; an error's path is then found in that text and its line
/// and column by locating the same path in the original.
#[allow(clippy::too_many_arguments)]
fn decode_record(
    text: &[u8],
    start: usize,
    end: usize,
    prefix: &[Seg],
    rel_path: Vec<Seg>,
    value: Value,
    lenient: bool,
    out: &mut Decoded,
) -> Result<(), DecodeError> {
    if rel_path.is_empty() && !lenient {
        return decode_bytes(text, start, end, prefix, out);
    }
    let bytes = serde_json::to_vec(&value).unwrap_or_default();
    let mut steps = Vec::new();
    match typed_alloc(&bytes, &mut steps) {
        Ok(a) => {
            add_notes(out, steps, text, start, end, prefix, &rel_path);
            out.allocations.push(a);
            Ok(())
        }
        Err((e, bytes)) => Err(located_error(&e, &bytes, text, start, end, prefix, &rel_path)),
    }
}

/// Decode the allocation record `text[start..end]` from its own bytes into `out`.
fn decode_bytes(
    text: &[u8],
    start: usize,
    end: usize,
    prefix: &[Seg],
    out: &mut Decoded,
) -> Result<(), DecodeError> {
    let record = &text[start..end];
    let mut steps = Vec::new();
    match typed_alloc(record, &mut steps) {
        Ok(a) => {
            add_notes(out, steps, text, start, end, prefix, &[]);
            out.allocations.push(a);
            Ok(())
        }
        Err((e, Cow::Borrowed(_))) => {
            let mut err = typed_error(&e, record, prefix);
            // Positions inside the record are relative to it; make them absolute.
            let offset = locate_line_col(record, err.line, err.column);
            (err.line, err.column) = line_col(text, start + offset);
            Err(err)
        }
        // Found after a field was stepped over, in the patched copy.
        Err((e, Cow::Owned(bytes))) => Err(located_error(&e, &bytes, text, start, end, prefix, &[])),
    }
}

/// The error `e` of decoding `bytes` (the allocation at `rel_path` in the record
/// `text[start..end]`, re-encoded or patched): its path is found in `bytes`, its line and
/// column by locating that path in the original.
fn located_error(
    e: &serde_json::Error,
    bytes: &[u8],
    text: &[u8],
    start: usize,
    end: usize,
    prefix: &[Seg],
    rel_path: &[Seg],
) -> DecodeError {
    let offset = match e.classify() {
        serde_json::error::Category::Data => rejected_at(bytes, e),
        _ => locate_line_col(bytes, e.line(), e.column()),
    };
    let mut inner = rel_path.to_vec();
    inner.extend(path_at(bytes, offset).0);
    let pos = locate(&text[start..end], &inner)
        .map(|o| line_col(text, start + o))
        .unwrap_or_else(|| line_col(text, start));
    let mut full = prefix.to_vec();
    full.extend(inner);
    let kind = match e.classify() {
        serde_json::error::Category::Data => DecodeErrorKind::Data,
        _ => DecodeErrorKind::Syntax,
    };
    DecodeError::new(kind, JsonPath(full).to_string(), pos, strip_position(e))
}

/// The fields stepped over in the allocation about to be pushed to `out`, as notes.
fn add_notes(
    out: &mut Decoded,
    steps: Vec<Step>,
    text: &[u8],
    start: usize,
    end: usize,
    prefix: &[Seg],
    rel_path: &[Seg],
) {
    let first = out.type_notes.len();
    for step in steps {
        if out.type_notes.len() >= MAX_TYPE_NOTES {
            out.type_notes_omitted += 1;
            continue;
        }
        let mut inner = rel_path.to_vec();
        inner.extend(step.path.iter().cloned());
        let (line, column) = if out.type_notes.len() < MAX_LOCATED {
            locate(&text[start..end], &inner).map_or((0, 0), |o| line_col(text, start + o))
        } else {
            (0, 0)
        };
        let mut full = prefix.to_vec();
        full.extend(inner);
        out.type_notes.push(TypeNote {
            allocation: out.allocations.len(),
            path: JsonPath(full).to_string(),
            field: field_name(&step.path),
            line,
            column,
            expected: step.expected,
            found: step.found,
            raw: step.raw,
        });
    }
    // A re-encoded record has its keys sorted; report in the order of the original.
    crate::sort::sort_by_key(&mut out.type_notes[first..], |n| (n.line == 0, n.line, n.column));
}

/// Pull the allocation objects out of one top-level record, with their paths inside it.
fn extract(
    value: Value,
    offset: usize,
    text: &[u8],
    out: &mut Decoded,
) -> Result<Vec<(Vec<Seg>, Value)>, DecodeError> {
    let not_allocs = |what: String| {
        DecodeError::new(DecodeErrorKind::NotAllocations, "$".into(), line_col(text, offset), what)
    };
    match value {
        Value::Array(items) => {
            Ok(items.into_iter().enumerate().map(|(i, v)| (vec![Seg::Index(i)], v)).collect())
        }
        Value::Object(mut map) => {
            if map.is_empty() {
                // `{}`: an event-stream heartbeat, or an empty response body.
                out.skipped += 1;
                return Ok(Vec::new());
            }
            if let Some(Value::String(msg)) = map.get("Error") {
                if !map.contains_key("ID") {
                    return Err(DecodeError::new(
                        DecodeErrorKind::CaptureFailed,
                        "$.Error".into(),
                        line_col(text, offset),
                        format!("the capture failed; Nomad said: {msg}"),
                    ));
                }
            }
            if !map.contains_key("ID") {
                if let Some(allocs) = map.remove("Allocations") {
                    out.form = Form::ClientState;
                    return Ok(client_state(allocs));
                }
                if let Some(Value::Array(events)) = map.remove("Events") {
                    out.form = Form::EventStream;
                    let mut found = Vec::new();
                    for (i, ev) in events.into_iter().enumerate() {
                        match event_allocation(ev) {
                            Some(a) => found.push((
                                vec![
                                    Seg::Key("Events".into()),
                                    Seg::Index(i),
                                    Seg::Key("Payload".into()),
                                    Seg::Key("Allocation".into()),
                                ],
                                a,
                            )),
                            None => out.skipped += 1,
                        }
                    }
                    return Ok(found);
                }
                if map.contains_key("Topic") && map.contains_key("Payload") {
                    out.form = Form::EventStream;
                    return Ok(match event_allocation(Value::Object(map)) {
                        Some(a) => vec![(vec![Seg::Key("Payload".into()), Seg::Key("Allocation".into())], a)],
                        None => {
                            out.skipped += 1;
                            Vec::new()
                        }
                    });
                }
                let keys: Vec<&str> = map.keys().take(4).map(String::as_str).collect();
                return Err(not_allocs(format!(
                    "this object is not an allocation (it has no ID; its keys start with {})",
                    keys.join(", ")
                )));
            }
            Ok(vec![(Vec::new(), Value::Object(map))])
        }
        other => Err(not_allocs(format!("expected an allocation object, found {}", kind_of(&other)))),
    }
}

/// `nomad operator client-state`: `{"Allocations": {"<id>": {"Alloc": {...}, ...}}}`.
fn client_state(allocs: Value) -> Vec<(Vec<Seg>, Value)> {
    let base = Seg::Key("Allocations".into());
    match allocs {
        Value::Array(items) => {
            items.into_iter().enumerate().map(|(i, v)| (vec![base.clone(), Seg::Index(i)], v)).collect()
        }
        Value::Object(map) => map
            .into_iter()
            .filter_map(|(id, mut entry)| {
                let alloc = entry.get_mut("Alloc").map(Value::take)?;
                Some((vec![base.clone(), Seg::Key(id), Seg::Key("Alloc".into())], alloc))
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// The allocation in an event-stream event of topic `Allocation`.
fn event_allocation(mut ev: Value) -> Option<Value> {
    if ev.get("Topic").and_then(Value::as_str) != Some("Allocation") {
        return None;
    }
    let a = ev.get_mut("Payload")?.get_mut("Allocation")?.take();
    a.is_object().then_some(a)
}

/// Every element of a list must be an allocation; a list of something else (services,
/// evaluations) is the wrong file, not a list with bad rows.
fn check_list(allocs: &[Allocation], text: &[u8]) -> Result<(), DecodeError> {
    if allocs.is_empty() || allocs.iter().all(Allocation::looks_like_allocation) {
        return Ok(());
    }
    let start = line_col(text, skip_ws(text, 0));
    match allocs.iter().position(Allocation::looks_like_allocation) {
        None => Err(DecodeError::new(
            DecodeErrorKind::NotAllocations,
            "$".into(),
            start,
            "these objects are not allocations (they lack TaskGroup, ClientStatus and DesiredStatus)".into(),
        )),
        Some(_) => {
            let i = allocs.iter().position(|a| !a.looks_like_allocation()).unwrap_or(0);
            let path = [Seg::Index(i)];
            let pos = locate(text, &path).map(|o| line_col(text, o)).unwrap_or(start);
            Err(DecodeError::new(
                DecodeErrorKind::Data,
                JsonPath(path.to_vec()).to_string(),
                pos,
                "this element is not an allocation (it lacks an ID, or TaskGroup, ClientStatus and DesiredStatus)".into(),
            ))
        }
    }
}

pub(crate) fn skip_ws(text: &[u8], mut i: usize) -> usize {
    while i < text.len() && text[i].is_ascii_whitespace() {
        i += 1;
    }
    i
}
