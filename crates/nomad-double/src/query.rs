//! Query-string parsing the way Nomad's agent (Go's `net/url`, `strconv`, `time`) does it,
//! and the small piece of go-bexpr the double understands.

use allocscope_model::Allocation;

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

/// Validate an allocation-ID prefix the way memdb's UUID index does: at most 36 characters,
/// hyphens allowed, and an even number of hex digits without them (the prefix is decoded
/// to bytes). Returns the prefix without hyphens, lower-cased, for comparison.
pub fn sanitize_prefix(prefix: &str) -> Result<String, String> {
    if prefix.len() > 36 {
        return Err(format!("Invalid UUID length. UUID have 36 characters; got {}", prefix.len()));
    }
    let hyphens = prefix.matches('-').count();
    if hyphens > 4 {
        return Err(format!("UUID should have maximum of 4 \"-\"; got {hyphens}"));
    }
    let sanitized: String = prefix.chars().filter(|c| *c != '-').collect();
    if sanitized.len() % 2 != 0 {
        return Err("Input (without hyphens) must be even length".into());
    }
    if let Some(bad) = sanitized.chars().find(|c| !c.is_ascii_hexdigit()) {
        return Err(format!("Invalid UUID: encoding/hex: invalid byte: U+{:04X} {bad:?}", bad as u32));
    }
    Ok(sanitized.to_ascii_lowercase())
}

/// Whether allocation `id` starts with a prefix returned by `sanitize_prefix`.
pub fn id_has_prefix(id: &str, sanitized: &str) -> bool {
    let id: String = id.chars().filter(|c| *c != '-').collect();
    id.to_ascii_lowercase().starts_with(sanitized)
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
    field: &'static str,
    equal: bool,
    value: String,
}

/// A tiny subset of go-bexpr: `Field == "value"` and `Field != "value"` clauses joined by
/// `and`, over the string fields in `FILTER_FIELDS`. Anything else is rejected, so a test
/// that relies on more fails loudly instead of silently matching everything.
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

impl Filter {
    pub fn parse(expr: &str) -> Result<Filter, String> {
        let unsupported = || {
            format!(
                "nomad-double supports only `Field == \"value\"` / `Field != \"value\"` joined by `and`, \
                 with Field one of {}; got {expr:?}",
                FILTER_FIELDS.join(", ")
            )
        };
        let toks = tokenize(expr).map_err(|e| format!("{e} ({})", unsupported()))?;
        let mut clauses = Vec::new();
        let mut it = toks.into_iter();
        loop {
            let (Some(Tok::Ident(field)), Some(op), Some(Tok::Str(value))) =
                (it.next(), it.next(), it.next())
            else {
                return Err(unsupported());
            };
            let equal = match op {
                Tok::Eq => true,
                Tok::Ne => false,
                _ => return Err(unsupported()),
            };
            let Some(field) = FILTER_FIELDS.iter().find(|f| **f == field) else {
                return Err(format!("error finding value in datum: /{field} ({})", unsupported()));
            };
            clauses.push(Clause { field, equal, value });
            match it.next() {
                None => break,
                Some(Tok::Ident(kw)) if kw == "and" => continue,
                Some(_) => return Err(unsupported()),
            }
        }
        Ok(Filter(clauses))
    }

    pub fn matches(&self, a: &Allocation) -> bool {
        self.0.iter().all(|c| {
            let actual: &str = match c.field {
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
                _ => "",
            };
            (actual == c.value) == c.equal
        })
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
        assert!(sanitize_prefix("abc").unwrap_err().contains("even length"));
        assert!(sanitize_prefix("zz").is_err());
        assert!(id_has_prefix("abcd1234-0000", "abcd12340000"));
    }

    #[test]
    fn filters() {
        let f = Filter::parse(r#"ClientStatus == "failed" and JobID != "x""#).unwrap();
        let a = Allocation { client_status: "failed".into(), job_id: "y".into(), ..Default::default() };
        assert!(f.matches(&a));
        for bad in
            ["ClientStatus", "ClientStatus == failed", "Foo == \"x\"", "A == \"x\" or B == \"y\"", "\"x"]
        {
            assert!(Filter::parse(bad).is_err(), "{bad}");
        }
    }
}
