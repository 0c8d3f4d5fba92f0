//! A forgiving, non-recursive JSON scanner that knows where it is. It does not build
//! values; it reports positions and paths, which serde_json cannot: where each value starts
//! (to put a line and column on an error found on a decoded `Value`), and the defects of
//! hand-edited JSON that lenient mode repairs (trailing commas, duplicate keys, Python's
//! `None`/`True`/`False`).

use std::collections::HashSet;
use std::fmt;

/// One step of a JSON path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Seg {
    Key(String),
    Index(usize),
}

/// A JSON path such as `$[3].TaskStates["envoy.proxy"].Events[2].Time`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct JsonPath(pub Vec<Seg>);

impl fmt::Display for JsonPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("$")?;
        for seg in &self.0 {
            match seg {
                Seg::Index(i) => write!(f, "[{i}]")?,
                Seg::Key(k) if is_plain_key(k) => write!(f, ".{k}")?,
                Seg::Key(k) => write!(f, "[{}]", serde_json::Value::String(k.clone()))?,
            }
        }
        Ok(())
    }
}

fn is_plain_key(k: &str) -> bool {
    !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// What the scanner saw.
#[derive(Debug)]
pub enum Event<'a> {
    /// A value starts at `offset`.
    Value { path: &'a [Seg], offset: usize },
    /// A comma directly before `]` or `}`.
    TrailingComma { path: &'a [Seg], offset: usize },
    /// An object key seen before in the same object.
    DuplicateKey { path: &'a [Seg], key: &'a str, offset: usize },
    /// A bare `None`, `True` or `False` (a Python literal pasted as JSON).
    PythonLiteral { path: &'a [Seg], word: &'a str, offset: usize },
}

struct Frame {
    is_object: bool,
    keys: HashSet<String>,
    expect_key: bool,
    index: usize,
}

/// Walk `bytes` (which may hold several top-level values, as NDJSON does) and report to
/// `visit`; return `false` from `visit` to stop early. Malformed input just ends the walk.
pub fn scan(bytes: &[u8], visit: &mut dyn FnMut(Event<'_>) -> bool) {
    let mut stack: Vec<Frame> = Vec::new();
    let mut path: Vec<Seg> = Vec::new();
    let mut i = 0;
    let n = bytes.len();
    while i < n {
        let c = bytes[i];
        match c {
            b' ' | b'\t' | b'\r' | b'\n' => i += 1,
            b'{' | b'[' => {
                if !visit(Event::Value { path: &path, offset: i }) {
                    return;
                }
                stack.push(Frame {
                    is_object: c == b'{',
                    keys: HashSet::new(),
                    expect_key: c == b'{',
                    index: 0,
                });
                path.push(if c == b'{' { Seg::Key(String::new()) } else { Seg::Index(0) });
                i += 1;
            }
            b'}' | b']' => {
                if stack.pop().is_none() {
                    return;
                }
                path.pop();
                i += 1;
            }
            b',' => {
                let j = skip_ws(bytes, i + 1);
                if j < n && (bytes[j] == b']' || bytes[j] == b'}') {
                    // Report the container's path, not the element after the comma.
                    let p = &path[..path.len().saturating_sub(1)];
                    if !visit(Event::TrailingComma { path: p, offset: i }) {
                        return;
                    }
                }
                if let Some(top) = stack.last_mut() {
                    if top.is_object {
                        top.expect_key = true;
                    } else {
                        top.index += 1;
                        if let Some(last) = path.last_mut() {
                            *last = Seg::Index(top.index);
                        }
                    }
                }
                i += 1;
            }
            b':' => {
                if let Some(top) = stack.last_mut() {
                    top.expect_key = false;
                }
                i += 1;
            }
            b'"' => {
                let end = string_end(bytes, i);
                let in_key = stack.last().is_some_and(|f| f.is_object && f.expect_key);
                if in_key {
                    let key = decode_key(&bytes[i..end.min(n)]);
                    let top = stack.last_mut().expect("checked above");
                    let dup = !top.keys.insert(key.clone());
                    if let Some(last) = path.last_mut() {
                        *last = Seg::Key(key.clone());
                    }
                    if dup {
                        let len = path.len();
                        if !visit(Event::DuplicateKey { path: &path[..len - 1], key: &key, offset: i }) {
                            return;
                        }
                    }
                } else if !visit(Event::Value { path: &path, offset: i }) {
                    return;
                }
                i = end;
            }
            _ => {
                let start = i;
                while i < n
                    && !matches!(
                        bytes[i],
                        b',' | b'}' | b']' | b':' | b' ' | b'\t' | b'\r' | b'\n' | b'"' | b'{' | b'['
                    )
                {
                    i += 1;
                }
                if i == start {
                    i += 1;
                    continue;
                }
                if !visit(Event::Value { path: &path, offset: start }) {
                    return;
                }
                let word = &bytes[start..i];
                if matches!(word, b"None" | b"True" | b"False") {
                    let w = std::str::from_utf8(word).unwrap_or("");
                    if !visit(Event::PythonLiteral { path: &path, word: w, offset: start }) {
                        return;
                    }
                }
            }
        }
    }
}

fn skip_ws(bytes: &[u8], mut i: usize) -> usize {
    while i < bytes.len() && matches!(bytes[i], b' ' | b'\t' | b'\r' | b'\n') {
        i += 1;
    }
    i
}

/// Index just past the closing quote of the string starting at `start`.
fn string_end(bytes: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    bytes.len()
}

fn decode_key(quoted: &[u8]) -> String {
    if quoted.contains(&b'\\') {
        if let Ok(s) = serde_json::from_slice::<String>(quoted) {
            return s;
        }
    }
    let inner = quoted.get(1..quoted.len().saturating_sub(1)).unwrap_or(&[]);
    String::from_utf8_lossy(inner).into_owned()
}

/// Byte offset of a 1-based line and column (serde_json's error position).
pub fn locate_line_col(bytes: &[u8], line: usize, column: usize) -> usize {
    let mut start = 0;
    for _ in 1..line {
        match bytes[start..].iter().position(|&b| b == b'\n') {
            Some(p) => start += p + 1,
            None => return bytes.len(),
        }
    }
    (start + column.saturating_sub(1)).min(bytes.len())
}

/// 1-based line and column of a byte offset, as serde_json counts them.
pub fn line_col(bytes: &[u8], offset: usize) -> (usize, usize) {
    let upto = &bytes[..offset.min(bytes.len())];
    let line = upto.iter().filter(|&&b| b == b'\n').count() + 1;
    let col = match upto.iter().rposition(|&b| b == b'\n') {
        Some(nl) => offset - nl,
        None => offset + 1,
    };
    (line, col)
}

/// The path of the innermost value that starts at or before `offset`: serde_json reports
/// errors just past the token it rejected, so this names the value that was rejected.
pub fn path_at(bytes: &[u8], offset: usize) -> JsonPath {
    let mut last: Vec<Seg> = Vec::new();
    scan(bytes, &mut |ev| {
        if let Event::Value { path, offset: at } = ev {
            if at > offset {
                return false;
            }
            last.clear();
            last.extend_from_slice(path);
        }
        true
    });
    JsonPath(last)
}

/// The path of the array or object that holds the trailing comma at `offset`.
pub fn trailing_comma_container(bytes: &[u8], offset: usize) -> Option<JsonPath> {
    let mut found = None;
    scan(bytes, &mut |ev| match ev {
        Event::TrailingComma { path, offset: at } if at == offset => {
            found = Some(JsonPath(path.to_vec()));
            false
        }
        Event::Value { offset: at, .. } if at > offset => false,
        _ => true,
    });
    found
}

/// Byte offset where the value at `target` starts, if the scanner finds it.
pub fn locate(bytes: &[u8], target: &[Seg]) -> Option<usize> {
    let mut found = None;
    scan(bytes, &mut |ev| {
        if let Event::Value { path, offset } = ev {
            if path == target {
                found = Some(offset);
                return false;
            }
        }
        true
    });
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(src: &str) -> Vec<String> {
        let mut out = Vec::new();
        scan(src.as_bytes(), &mut |ev| {
            match ev {
                Event::TrailingComma { path, offset } => {
                    out.push(format!("comma {} @{offset}", JsonPath(path.to_vec())))
                }
                Event::DuplicateKey { path, key, offset } => {
                    out.push(format!("dup {key} in {} @{offset}", JsonPath(path.to_vec())))
                }
                Event::PythonLiteral { path, word, .. } => {
                    out.push(format!("py {word} {}", JsonPath(path.to_vec())))
                }
                Event::Value { .. } => {}
            }
            true
        });
        out
    }

    #[test]
    fn finds_trailing_commas_duplicates_and_python_literals() {
        let src = r#"[{"A": 1, "B": [1, 2,], "A": 2, "C": None, "D": "x,]"},]"#;
        assert_eq!(
            events(src),
            vec![
                "comma $[0].B @20".to_string(),
                "dup A in $[0] @24".to_string(),
                "py None $[0].C".to_string(),
                "comma $ @54".to_string(),
            ]
        );
    }

    #[test]
    fn locates_values_by_path() {
        let src = "{\n  \"TaskStates\": {\"envoy.proxy\": {\"Events\": [{}, {\"Time\": \"x\"}]}}\n}";
        let path = [
            Seg::Key("TaskStates".into()),
            Seg::Key("envoy.proxy".into()),
            Seg::Key("Events".into()),
            Seg::Index(1),
            Seg::Key("Time".into()),
        ];
        let off = locate(src.as_bytes(), &path).unwrap();
        assert_eq!(&src[off..off + 3], "\"x\"");
        assert_eq!(line_col(src.as_bytes(), off), (2, 58));
        assert_eq!(JsonPath(path.to_vec()).to_string(), "$.TaskStates[\"envoy.proxy\"].Events[1].Time");
    }
}
