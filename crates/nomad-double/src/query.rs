//! Query-string parsing the way Nomad's agent (Go's `net/url`, `strconv`, `time`) does it,
//! and the small piece of go-bexpr the double understands.

use allocscope_model::Allocation;
use serde_json::Value;

/// Decoded query parameters, in order. `get` returns the first value, like Go's
/// `url.Values.Get`.
#[derive(Clone, Debug, Default)]
pub struct Query(Vec<(String, String)>);

impl Query {
    /// Parse `a=1&b=x+y&c=%2F` (`+` is a space, as in Go's `url.ParseQuery`).
    pub fn parse(qs: &str) -> Query {
        Query(
            qs.split('&')
                .filter(|p| !p.is_empty())
                .map(|p| {
                    let (k, v) = p.split_once('=').unwrap_or((p, ""));
                    (percent_decode(k, true), percent_decode(v, true))
                })
                .collect(),
        )
    }

    /// The first value of `key`; `None` when absent *or empty* (Nomad checks `!= ""`).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str()).filter(|v| !v.is_empty())
    }

    pub fn has(&self, key: &str) -> bool {
        self.0.iter().any(|(k, _)| k == key)
    }

    /// Every value of `key` (a repeated parameter, like Go's `url.Values[key]`).
    pub fn all(&self, key: &str) -> Vec<&str> {
        self.0.iter().filter(|(k, _)| k == key).map(|(_, v)| v.as_str()).collect()
    }
}

/// Percent-decode; with `plus_is_space`, `+` becomes a space (query strings only).
/// Invalid escapes are kept as they are.
pub fn percent_decode(s: &str, plus_is_space: bool) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' if i + 2 < b.len() => match (hex(b[i + 1]), hex(b[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b'+' if plus_is_space => out.push(b' '),
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

/// Go's `strconv.ParseBool`.
pub fn parse_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// Go's `time.ParseDuration`, in nanoseconds: `300ms`, `1.5h`, `2h45m`, `-1s`, `0`.
pub fn parse_go_duration(s: &str) -> Option<i128> {
    let (neg, mut rest) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if rest == "0" {
        return Some(0);
    }
    if rest.is_empty() {
        return None;
    }
    let mut total: f64 = 0.0;
    while !rest.is_empty() {
        let num_len = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
        let num = &rest[..num_len];
        if num.is_empty() || num == "." || num.matches('.').count() > 1 {
            return None;
        }
        let value: f64 = num.parse().ok()?;
        rest = &rest[num_len..];
        let unit_len = rest.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(rest.len());
        let unit = match &rest[..unit_len] {
            "ns" => 1.0,
            "us" | "\u{b5}s" | "\u{3bc}s" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return None, // a missing or unknown unit
        };
        rest = &rest[unit_len..];
        total += value * unit;
    }
    if total > i64::MAX as f64 {
        return None; // Go: "invalid duration" on overflow
    }
    let ns = total.round() as i128;
    Some(if neg { -ns } else { ns })
}

/// Go's `strconv.ParseUint(s, 10, 64)`: ASCII digits only (no sign, no `_`).
pub fn parse_go_uint(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Go's `%q`, shared with the model's event messages.
pub use allocscope_model::message::go_quote;

/// Go's `%#U` for one byte taken as a rune (`encoding/hex`'s `InvalidByteError`):
/// `U+007A 'z'`, or `U+0000` when the rune is not printable.
fn go_rune_u(b: u8) -> String {
    let printable = (0x20..=0x7e).contains(&b) || (b >= 0xa1 && b != 0xad);
    if printable {
        format!("U+{b:04X} '{}'", b as char)
    } else {
        format!("U+{b:04X}")
    }
}

/// go-memdb's `UUIDFieldIndex.parseString` (go-memdb v1.3.4/v1.3.5 `index.go`; Nomad's
/// `allocs` table indexes `ID` with it, `nomad/state/schema.go`): with `exact`, the ID
/// lookup (`FromArgs`, exactly 36 characters); without, a prefix (`PrefixFromArgs`, at
/// most 36). At most 4 hyphens, anywhere; without them an even number of hex digits,
/// decoded to bytes, so case does not matter. Returns those digits, lower-cased: two
/// strings name the same allocation (or prefix) when these are equal. The error is
/// memdb's text; Nomad wraps it (see `api.rs`).
pub fn parse_uuid(s: &str, exact: bool) -> Result<String, String> {
    let l = s.len();
    if exact && l != 36 {
        return Err("UUID must be 36 characters".into());
    } else if l > 36 {
        return Err(format!("Invalid UUID length. UUID have 36 characters; got {l}"));
    }
    let hyphens = s.matches('-').count();
    if hyphens > 4 {
        return Err(format!("UUID should have maximum of 4 \"-\"; got {hyphens}"));
    }
    let sanitized = s.replace('-', "");
    if sanitized.len() % 2 != 0 {
        return Err("Input (without hyphens) must be even length".into());
    }
    // encoding/hex reports the first byte (not character) that is not a hex digit.
    if let Some(&b) = sanitized.as_bytes().iter().find(|b| !b.is_ascii_hexdigit()) {
        return Err(format!("Invalid UUID: encoding/hex: invalid byte: {}", go_rune_u(b)));
    }
    Ok(sanitized.to_ascii_lowercase())
}

/// An allocation-ID prefix, validated as memdb's prefix index does: [`parse_uuid`] without
/// `exact`.
pub fn sanitize_prefix(prefix: &str) -> Result<String, String> {
    parse_uuid(prefix, false)
}

/// Whether allocation `id` starts with a prefix returned by `sanitize_prefix`.
pub fn id_has_prefix(id: &str, sanitized: &str) -> bool {
    uuid_key(id).starts_with(sanitized)
}

/// An ID as memdb's UUID index holds it (hex digits, lower case, no hyphens).
pub fn uuid_key(id: &str) -> String {
    id.chars().filter(|c| *c != '-').collect::<String>().to_ascii_lowercase()
}

/// The fields a filter may name (all plain strings of the full allocation).
const FILTER_FIELDS: &[&str] = &[
    "ID",
    "Name",
    "Namespace",
    "JobID",
    "TaskGroup",
    "ClientStatus",
    "DesiredStatus",
    "NodeID",
    "NodeName",
    "EvalID",
    "DeploymentID",
];

#[derive(Clone, Debug, PartialEq, Eq)]
struct Clause {
    /// A selector: `ClientStatus`, or `Job.Name` (a path, as go-bexpr reads it).
    field: String,
    equal: bool,
    value: String,
}

/// A tiny subset of go-bexpr: `Field == "value"` and `Field != "value"` clauses joined by
/// `and`, over the string fields in `FILTER_FIELDS`. Other syntax is rejected when parsed,
/// so a test that relies on more fails loudly instead of silently matching everything.
/// A selector naming no field of an allocation fails when evaluated, as go-bexpr's does;
/// one naming a field outside `FILTER_FIELDS` fails then too, with the double's note.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Filter(Vec<Clause>);

#[derive(Debug, PartialEq)]
enum Tok {
    Ident(String),
    Str(String),
    Eq,
    Ne,
}

fn tokenize(s: &str) -> Result<Vec<Tok>, String> {
    let mut out = Vec::new();
    let mut chars = s.char_indices().peekable();
    while let Some(&(i, c)) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
        } else if c.is_ascii_alphabetic() || c == '_' {
            let mut id = String::new();
            while let Some(&(_, c)) = chars.peek() {
                if c.is_ascii_alphanumeric() || c == '_' || c == '.' {
                    id.push(c);
                    chars.next();
                } else {
                    break;
                }
            }
            out.push(Tok::Ident(id));
        } else if c == '"' {
            chars.next();
            let mut v = String::new();
            let mut closed = false;
            while let Some((_, c)) = chars.next() {
                match c {
                    '"' => {
                        closed = true;
                        break;
                    }
                    '\\' => match chars.next() {
                        Some((_, e)) => v.push(e),
                        None => break,
                    },
                    c => v.push(c),
                }
            }
            if !closed {
                return Err(format!("1:{}: unterminated string", i + 1));
            }
            out.push(Tok::Str(v));
        } else if s[i..].starts_with("==") {
            out.push(Tok::Eq);
            chars.next();
            chars.next();
        } else if s[i..].starts_with("!=") {
            out.push(Tok::Ne);
            chars.next();
            chars.next();
        } else {
            return Err(format!("1:{}: unexpected {c:?}", i + 1));
        }
    }
    Ok(out)
}

/// What the double says of syntax or fields beyond its subset.
fn unsupported(expr: &str) -> String {
    format!(
        "nomad-double supports only `Field == \"value\"` / `Field != \"value\"` joined by `and`, \
         with Field one of {}; got {expr:?}",
        FILTER_FIELDS.join(", ")
    )
}

impl Filter {
    /// Parse, as `bexpr.CreateEvaluator` does when Nomad builds its paginator; the error
    /// is the parser's (Nomad prefixes it, see `api.rs`).
    pub fn parse(expr: &str) -> Result<Filter, String> {
        let toks = tokenize(expr).map_err(|e| format!("{e} ({})", unsupported(expr)))?;
        let mut clauses = Vec::new();
        let mut it = toks.into_iter();
        loop {
            let (Some(Tok::Ident(field)), Some(op), Some(Tok::Str(value))) =
                (it.next(), it.next(), it.next())
            else {
                return Err(unsupported(expr));
            };
            let equal = match op {
                Tok::Eq => true,
                Tok::Ne => false,
                _ => return Err(unsupported(expr)),
            };
            if field.is_empty() || field.split('.').any(str::is_empty) {
                return Err(unsupported(expr));
            }
            clauses.push(Clause { field, equal, value });
            match it.next() {
                None => break,
                Some(Tok::Ident(kw)) if kw == "and" => continue,
                Some(_) => return Err(unsupported(expr)),
            }
        }
        Ok(Filter(clauses))
    }

    /// Evaluate against one allocation (`raw` is the full allocation, `a` the same
    /// decoded), left to right with `and`'s short circuit, as go-bexpr does. A selector
    /// whose first part is no field of the allocation is go-bexpr's error
    /// (`evaluate.go` `getValue`, with mitchellh/pointerstructure's `getStruct` text); a
    /// field the allocation has but the double does not compare is the double's.
    pub fn matches(&self, raw: &Value, a: &Allocation) -> Result<bool, String> {
        for c in &self.0 {
            let actual: &str = match c.field.as_str() {
                "ID" => &a.id,
                "Name" => &a.name,
                "Namespace" => a.namespace_or_default(),
                "JobID" => &a.job_id,
                "TaskGroup" => &a.task_group,
                "ClientStatus" => a.client_status.as_str(),
                "DesiredStatus" => a.desired_status.as_str(),
                "NodeID" => &a.node_id,
                "NodeName" => &a.node_name,
                "EvalID" => &a.eval_id,
                "DeploymentID" => &a.deployment_id,
                other => {
                    let first = other.split('.').next().unwrap_or(other);
                    if raw.get(first).is_some() {
                        return Err(unsupported(&format!(
                            "{} {} {:?}",
                            c.field,
                            if c.equal { "==" } else { "!=" },
                            c.value
                        )));
                    }
                    let pointer: String = other.split('.').map(|p| format!("/{p}")).collect();
                    return Err(format!(
                        "error finding value in datum: {pointer} at part 0: couldn't find struct field with name {}",
                        go_quote(first)
                    ));
                }
            };
            if (actual == c.value) != c.equal {
                return Ok(false);
            }
        }
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_go_duration("5s"), Some(5_000_000_000));
        assert_eq!(parse_go_duration("1m30s"), Some(90_000_000_000));
        assert_eq!(parse_go_duration("1.5h"), Some(5_400_000_000_000));
        assert_eq!(parse_go_duration("300ms"), Some(300_000_000));
        assert_eq!(parse_go_duration("0"), Some(0));
        assert_eq!(parse_go_duration("-2s"), Some(-2_000_000_000));
        for bad in ["", "5", "s", "5x", "1..2s", "abc", "-"] {
            assert_eq!(parse_go_duration(bad), None, "{bad}");
        }
    }

    #[test]
    fn queries() {
        let q = Query::parse("a=1&a=2&b=x+y&c=%2Fz&d=&e");
        assert_eq!(q.get("a"), Some("1"));
        assert_eq!(q.get("b"), Some("x y"));
        assert_eq!(q.get("c"), Some("/z"));
        assert_eq!(q.get("d"), None);
        assert!(q.has("e") && q.has("d") && !q.has("f"));
        assert_eq!(percent_decode("100%", false), "100%");
        assert_eq!(percent_decode("%zz%4", false), "%zz%4");
    }

    #[test]
    fn prefixes() {
        assert_eq!(sanitize_prefix("AB-cd").unwrap(), "abcd");
        assert_eq!(sanitize_prefix("abc").unwrap_err(), "Input (without hyphens) must be even length");
        assert_eq!(
            sanitize_prefix("zz").unwrap_err(),
            "Invalid UUID: encoding/hex: invalid byte: U+007A 'z'"
        );
        // encoding/hex names the first bad byte, as a Latin-1 rune, quoted only if printable.
        assert_eq!(
            sanitize_prefix("\u{e9}").unwrap_err(),
            "Invalid UUID: encoding/hex: invalid byte: U+00C3 '\u{c3}'"
        );
        assert_eq!(
            sanitize_prefix("0\u{1}").unwrap_err(),
            "Invalid UUID: encoding/hex: invalid byte: U+0001"
        );
        assert_eq!(sanitize_prefix("a-b-c-d-e-f").unwrap_err(), "UUID should have maximum of 4 \"-\"; got 5");
        assert_eq!(
            sanitize_prefix(&"a".repeat(38)).unwrap_err(),
            "Invalid UUID length. UUID have 36 characters; got 38"
        );
        assert!(id_has_prefix("abcd1234-0000", "abcd12340000"));
        // The ID lookup wants exactly 36 characters; hyphens may sit anywhere.
        assert_eq!(parse_uuid("abcd", true).unwrap_err(), "UUID must be 36 characters");
        let id = "0739ce08-d01e-8b22-bb1f-a44967fc92a4";
        assert_eq!(parse_uuid(id, true).unwrap(), uuid_key(id));
        assert_eq!(parse_uuid(&id.to_uppercase(), true).unwrap(), uuid_key(id));
        assert_eq!(parse_uuid("0739ce08d01e8b22-bb1f-a44967fc92a4--", true).unwrap(), uuid_key(id));
    }

    #[test]
    fn go_numbers_and_quotes() {
        assert_eq!(parse_go_uint("42"), Some(42));
        for bad in ["", "+1", "-1", "1_000", " 1", "0x10", "18446744073709551616"] {
            assert_eq!(parse_go_uint(bad), None, "{bad}");
        }
        assert_eq!(go_quote("x"), "\"x\"");
        assert_eq!(go_quote("a\"b\\\n\u{0}\u{e9}"), "\"a\\\"b\\\\\\n\\x00\u{e9}\"");
    }

    #[test]
    fn filters() {
        let f = Filter::parse(r#"ClientStatus == "failed" and JobID != "x""#).unwrap();
        let a = Allocation { client_status: "failed".into(), job_id: "y".into(), ..Default::default() };
        let raw = serde_json::json!({"ID": "a", "ClientStatus": "failed", "JobID": "y", "JobVersion": 3});
        assert_eq!(f.matches(&raw, &a), Ok(true));
        for bad in
            ["ClientStatus", "ClientStatus == failed", "A == \"x\" or B == \"y\"", "\"x", "A. == \"x\""]
        {
            assert!(Filter::parse(bad).is_err(), "{bad}");
        }
        // A selector naming no field fails when evaluated, with go-bexpr's text.
        let f = Filter::parse(r#"Foo.Bar == "x""#).unwrap();
        assert_eq!(
            f.matches(&raw, &a).unwrap_err(),
            r#"error finding value in datum: /Foo/Bar at part 0: couldn't find struct field with name "Foo""#
        );
        // A real field the double does not compare: the double says so.
        let f = Filter::parse(r#"JobVersion == "3""#).unwrap();
        assert!(f.matches(&raw, &a).unwrap_err().starts_with("nomad-double supports only"));
        // `and` stops at the first false clause, before an unknown field.
        let f = Filter::parse(r#"ClientStatus == "running" and Foo == "x""#).unwrap();
        assert_eq!(f.matches(&raw, &a), Ok(false));
    }
}
