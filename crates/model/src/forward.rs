//! Forward compatibility: a field whose JSON type is not the one allocscope reads (a newer
//! Nomad's, most likely: `AllocStates[].Field` as a string, `Resources.CPU` as an object)
//! does not make its allocation unreadable. The field is read as its default, and a
//! `TypeNote` says where it was, what was expected and what came, with the value as sent.
//!
//! Nothing here runs on the happy path. Decoding is strict and typed as always; only when a
//! typed decode fails with a type error does `typed_alloc` look at the path, and, outside the
//! fields that identify an allocation or give its state (`identifies`), replace the value
//! by `null` in a copy of that one allocation's bytes and decode it again.

use crate::allocation::Allocation;
use crate::decode::typed;
use crate::scan::{locate_line_col, JsonPath, Seg};
use std::borrow::Cow;
use std::fmt;

/// A field read as its default because its JSON type was not the expected one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TypeNote {
    /// Index of the allocation in `Decoded::allocations`.
    pub allocation: usize,
    /// Where in the document, e.g. `$[3].AllocStates[0].Field`.
    pub path: String,
    /// Where in the allocation, e.g. `AllocStates[0].Field`.
    pub field: String,
    /// 1-based; 0 when not located (only the first notes are: locating is a scan).
    pub line: usize,
    pub column: usize,
    /// What allocscope reads there: `a string`, `an integer`, `an object`, ...
    pub expected: String,
    /// What the data holds there: `a number`, `an object`, ...
    pub found: &'static str,
    /// The value as the source sent it, as JSON text.
    pub raw: String,
}

impl TypeNote {
    /// `Nomad sent a number where allocscope expects a string`.
    pub fn describe(&self) -> String {
        format!("Nomad sent {} where allocscope expects {}", self.found, self.expected)
    }
}

impl fmt::Display for TypeNote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line > 0 {
            write!(f, "line {}, column {}: ", self.line, self.column)?;
        }
        write!(f, "{} at {}; the field is left at its default", self.describe(), self.path)
    }
}

/// Whether `path` (inside one allocation) is, or holds, a field the allocation is known by
/// or whose state it shows. A type change there stays an error: a default would show another
/// allocation, or a wrong state, rather than a missing detail.
pub(crate) fn identifies(path: &[Seg]) -> bool {
    let is = |s: &Seg, names: &[&str]| matches!(s, Seg::Key(k) if names.contains(&k.as_str()));
    const TOP: &[&str] =
        &["ID", "Name", "JobID", "Namespace", "TaskGroup", "ClientStatus", "DesiredStatus", "TaskStates"];
    let task = |s: &Seg| is(s, &["TaskStates"]);
    match path {
        [] => true,
        [top] => is(top, TOP),
        [ts, _] => task(ts),
        [ts, _, field] => task(ts) && is(field, &["State", "Events"]),
        [ts, _, ev, Seg::Index(_)] => task(ts) && is(ev, &["Events"]),
        [ts, _, ev, Seg::Index(_), field] => task(ts) && is(ev, &["Events"]) && is(field, &["Type", "Time"]),
        _ => false,
    }
}

/// A type (or range) error, as serde words it: `invalid type: integer `3`, expected a string`.
pub(crate) fn is_type_error(e: &serde_json::Error) -> bool {
    if e.classify() != serde_json::error::Category::Data {
        return false;
    }
    let m = e.to_string();
    m.starts_with("invalid type: ") || m.starts_with("invalid value: ")
}

/// What serde expected, in a reader's words, and that type's empty value as JSON.
fn expected(e: &serde_json::Error) -> (String, &'static [u8]) {
    let m = e.to_string();
    let m = m.rsplit_once(" at line ").map_or(m.as_str(), |(m, _)| m);
    let what = m.rsplit_once(", expected ").map_or("", |(_, x)| x);
    let (words, empty): (&str, &'static [u8]) = match what {
        "a string" => ("a string", b"\"\""),
        "i64" | "i32" | "i16" | "i8" => ("an integer", b"0"),
        "u64" | "u32" | "u16" | "usize" => ("a non-negative integer", b"0"),
        "u8" => ("an integer from 0 to 255", b"0"),
        "f64" | "f32" => ("a number", b"0"),
        "a boolean" => ("a boolean", b"false"),
        "a sequence" => ("an array", b"[]"),
        "a map" => ("an object", b"{}"),
        x if x.starts_with("struct ") => ("an object", b"{}"),
        x => (x, b"null"),
    };
    (words.to_owned(), empty)
}

/// What a JSON value is, from its first byte.
fn found(raw: &[u8]) -> &'static str {
    match raw.first() {
        Some(b'"') => "a string",
        Some(b'{') => "an object",
        Some(b'[') => "an array",
        Some(b't' | b'f') => "a boolean",
        Some(b'n') => "null",
        _ => "a number",
    }
}

/// The byte offset of the value a data error `e` rejected. serde_json's position is just
/// past what it read: the last byte of a scalar it consumed, or, for an array or object it
/// only peeked at, the byte before the bracket (so the bracket itself is taken then).
pub(crate) fn rejected_at(bytes: &[u8], e: &serde_json::Error) -> usize {
    let next = locate_line_col(bytes, e.line(), e.column() + 1);
    match bytes.get(next) {
        Some(b'{' | b'[') => next,
        _ => locate_line_col(bytes, e.line(), e.column()),
    }
}

/// Where the JSON value that starts at `start` ends. (Through the `str` reader, as every
/// typed decode, so no other reader's code is added to the wasm.)
pub(crate) fn value_end(text: &str, start: usize) -> Option<usize> {
    let mut values =
        serde_json::Deserializer::from_str(text.get(start..)?).into_iter::<serde::de::IgnoredAny>();
    match values.next() {
        Some(Ok(_)) => Some(start + values.byte_offset()),
        _ => None,
    }
}

/// A field of one allocation stepped over: its path inside the allocation.
pub(crate) struct Step {
    pub path: Vec<Seg>,
    pub expected: String,
    pub found: &'static str,
    pub raw: String,
}

/// Each field stepped over costs a decode of the whole allocation again; this bounds what
/// that costs one allocation (between 64 and 4,096 fields). Past that it is not a newer
/// Nomad's allocation but something else, and the error stands.
const STEP_BUDGET_BYTES: usize = 64 << 20;

/// A typed decode of the one allocation in `bytes`, stepping over type errors outside the
/// fields that identify it: the value is replaced by `null` (which every optional field
/// reads as its default) or, where `null` is refused too (a list element, a map value), by
/// the expected type's empty value, and the decode is retried. On an error that stands, the
/// error comes with the bytes it was found in (a patched copy when a field was stepped over).
pub(crate) fn typed_alloc<'a>(
    bytes: &'a [u8],
    steps: &mut Vec<Step>,
) -> Result<Allocation, (serde_json::Error, Cow<'a, [u8]>)> {
    let mut cur = Cow::Borrowed(bytes);
    // The path last replaced, and whether by `null` (refused there too, it is tried once
    // more with the expected type's empty value).
    let mut last: Option<(Vec<Seg>, bool)> = None;
    let max_steps = (STEP_BUDGET_BYTES / bytes.len().max(1)).clamp(64, 4096);
    for _ in 0..=max_steps * 2 {
        let e = match typed::<Allocation>(&cur) {
            Ok(a) => return Ok(a),
            Err(e) => e,
        };
        if !is_type_error(&e) {
            return Err((e, cur));
        }
        let Some((path, start)) = value_at(&cur, rejected_at(&cur, &e)) else {
            return Err((e, cur));
        };
        if identifies(&path) {
            return Err((e, cur));
        }
        let Some(end) = std::str::from_utf8(&cur).ok().and_then(|text| value_end(text, start)) else {
            return Err((e, cur));
        };
        let replacement: &[u8] = match &last {
            Some((p, true)) if *p == path => match expected(&e).1 {
                b"null" => return Err((e, cur)),
                empty => {
                    last = Some((path, false));
                    empty
                }
            },
            Some((p, false)) if *p == path => return Err((e, cur)),
            _ if steps.len() >= max_steps => return Err((e, cur)),
            _ => {
                let raw = &cur[start..end];
                steps.push(Step {
                    path: path.clone(),
                    expected: expected(&e).0,
                    found: found(raw),
                    raw: String::from_utf8_lossy(raw).into_owned(),
                });
                last = Some((path, true));
                b"null"
            }
        };
        let mut next = Vec::with_capacity(cur.len());
        next.extend_from_slice(&cur[..start]);
        next.extend_from_slice(replacement);
        next.extend_from_slice(&cur[end..]);
        cur = Cow::Owned(next);
    }
    // Not reached: each pass returns, adds a step (at most `max_steps`) or empties the last.
    typed::<Allocation>(&cur).map_err(|e| (e, cur))
}

/// The path and start of the value the byte at `offset` is in: the last value that starts
/// at or before it, as `scan::path_at` finds it, in one pass and without the scanner's
/// duplicate-key bookkeeping (a newer Nomad's list can take one look-up per task event).
fn value_at(bytes: &[u8], offset: usize) -> Option<(Vec<Seg>, usize)> {
    #[derive(Clone, Copy)]
    enum Frame {
        /// An object, with the span of the current key (quotes included).
        Object {
            key: (usize, usize),
            expect_key: bool,
        },
        Array {
            index: usize,
        },
    }
    let mut stack: Vec<Frame> = Vec::new();
    let mut last: Vec<Frame> = Vec::new();
    let mut last_start = None;
    let mut i = 0;
    while i < bytes.len() && i <= offset {
        let start = i;
        match bytes[i] {
            b' ' | b'\t' | b'\n' | b'\r' => i += 1,
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
                if let Some(Frame::Object { key, expect_key: true }) = stack.last_mut() {
                    *key = (start, i.min(bytes.len()));
                    continue;
                }
            }
            b'{' | b'[' => {
                i += 1;
            }
            b'}' | b']' => {
                stack.pop();
                i += 1;
                continue;
            }
            b':' | b',' => {
                match stack.last_mut() {
                    Some(Frame::Object { expect_key, .. }) => *expect_key = bytes[i] == b',',
                    Some(Frame::Array { index }) if bytes[i] == b',' => *index += 1,
                    _ => {}
                }
                i += 1;
                continue;
            }
            _ => {
                while i < bytes.len()
                    && !matches!(bytes[i], b',' | b'}' | b']' | b':' | b' ' | b'\t' | b'\n' | b'\r')
                {
                    i += 1;
                }
            }
        }
        if bytes[start].is_ascii_whitespace() {
            continue;
        }
        // A value starts at `start`.
        last.clear();
        last.extend_from_slice(&stack);
        last_start = Some(start);
        match bytes[start] {
            b'{' => stack.push(Frame::Object { key: (0, 0), expect_key: true }),
            b'[' => stack.push(Frame::Array { index: 0 }),
            _ => {}
        }
    }
    let key = |(s, e): (usize, usize)| {
        let quoted = bytes.get(s..e).unwrap_or_default();
        match std::str::from_utf8(quoted) {
            Ok(q) if q.contains('\\') => serde_json::from_str::<String>(q).unwrap_or_default(),
            Ok(q) => q.get(1..q.len().saturating_sub(1)).unwrap_or_default().to_owned(),
            Err(_) => String::from_utf8_lossy(quoted).into_owned(),
        }
    };
    let path = last
        .iter()
        .map(|f| match *f {
            Frame::Object { key: span, .. } => Seg::Key(key(span)),
            Frame::Array { index } => Seg::Index(index),
        })
        .collect();
    Some((path, last_start?))
}

/// `AllocStates[0].Field` for a path inside an allocation.
pub(crate) fn field_name(path: &[Seg]) -> String {
    let s = JsonPath(path.to_vec()).to_string();
    match s.strip_prefix("$.") {
        Some(rest) => rest.to_owned(),
        None => s.strip_prefix('$').unwrap_or(&s).to_owned(),
    }
}
