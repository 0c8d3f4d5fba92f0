//! Lenient mode: repairs for hand-edited JSON (Nomad's own docs samples, the seed page,
//! pasted Python literals). Each repair is reported as a `Warning`; nothing is fixed
//! silently. Repairs keep every byte offset (a removed comma becomes a space, `None` becomes
//! `null`), so line and column numbers of later errors still point into the original text.

use crate::scan::{line_col, scan, Event, JsonPath, Seg};
use serde_json::Value;
use std::fmt;

/// A repair lenient mode made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Warning {
    pub line: usize,
    pub column: usize,
    pub path: String,
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line > 0 {
            write!(f, "line {}, column {}: ", self.line, self.column)?;
        }
        write!(f, "{} at {}", self.message, self.path)
    }
}

/// Text-level repairs: trailing commas, Python literals; duplicate keys are only reported
/// here (serde_json's `Value` keeps the last one, which is what the docs samples mean).
pub fn repair_text(bytes: &[u8]) -> (Vec<u8>, Vec<Warning>) {
    let mut out = bytes.to_vec();
    let mut warnings = Vec::new();
    scan(bytes, &mut |ev| {
        match ev {
            Event::TrailingComma { path, offset } => {
                out[offset] = b' ';
                warnings.push(warning(bytes, offset, path, "removed a trailing comma".into()));
            }
            Event::DuplicateKey { path, key, offset } => {
                warnings.push(warning(
                    bytes,
                    offset,
                    path,
                    format!("duplicate key `{key}`: the last value was kept"),
                ));
            }
            Event::PythonLiteral { path, word, offset } => {
                let json: &[u8] = match word {
                    "None" => b"null",
                    "True" => b"true",
                    _ => b"false",
                };
                out[offset..offset + json.len()].copy_from_slice(json);
                warnings.push(warning(
                    bytes,
                    offset,
                    path,
                    format!("read Python literal `{word}` as JSON `{}`", String::from_utf8_lossy(json)),
                ));
            }
            Event::Value { .. } => {}
        }
        true
    });
    (out, warnings)
}

fn warning(bytes: &[u8], offset: usize, path: &[Seg], message: String) -> Warning {
    let (line, column) = line_col(bytes, offset);
    Warning { line, column, path: JsonPath(path.to_vec()).to_string(), message }
}

/// Integer fields (nanosecond times and durations, indexes, codes) that hand-edited files
/// write as strings, e.g. the docs' `"Delay": "5000000000"`.
const INTEGER_FIELDS: &[&str] = &[
    "Delay",
    "KillTimeout",
    "StartDelay",
    "AllocationTime",
    "RescheduleTime",
    "CreateTime",
    "ModifyTime",
    "Time",
    "CreateIndex",
    "ModifyIndex",
    "AllocModifyIndex",
    "JobVersion",
    "ExitCode",
    "Signal",
    "DiskLimit",
    "Restarts",
];

const MAX_LOCATED: usize = 64;

/// Turn numeric strings in integer fields into numbers. `Job` and `Details` are left alone:
/// the job is kept verbatim and `Details` values are strings by definition.
///
/// `path` is where `value` sits inside its record (used with `position` to find line and
/// column); `prefix` is prepended for display, e.g. the line's index in NDJSON.
pub fn repair_numeric_strings(
    value: &mut Value,
    path: &[Seg],
    prefix: &[Seg],
    position: &dyn Fn(&[Seg]) -> (usize, usize),
    warnings: &mut Vec<Warning>,
) {
    let mut path = path.to_vec();
    let mut located = 0;
    walk(value, &mut path, prefix, position, &mut located, warnings);
}

fn walk(
    value: &mut Value,
    path: &mut Vec<Seg>,
    prefix: &[Seg],
    position: &dyn Fn(&[Seg]) -> (usize, usize),
    located: &mut usize,
    warnings: &mut Vec<Warning>,
) {
    match value {
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                if key == "Job" || key == "Details" {
                    continue;
                }
                path.push(Seg::Key(key.clone()));
                if INTEGER_FIELDS.contains(&key.as_str()) {
                    if let Value::String(s) = v {
                        if let Ok(n) = s.trim().parse::<i64>() {
                            // Locating is a scan of the input; a hostile file with thousands
                            // of these must not turn decoding quadratic.
                            let (line, column) = if *located < MAX_LOCATED {
                                *located += 1;
                                position(path)
                            } else {
                                (0, 0)
                            };
                            let mut shown = prefix.to_vec();
                            shown.extend(path.iter().cloned());
                            warnings.push(Warning {
                                line,
                                column,
                                path: JsonPath(shown).to_string(),
                                message: format!("read the string \"{s}\" as the integer {n}"),
                            });
                            *v = Value::from(n);
                        }
                    }
                }
                walk(v, path, prefix, position, located, warnings);
                path.pop();
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter_mut().enumerate() {
                path.push(Seg::Index(i));
                walk(v, path, prefix, position, located, warnings);
                path.pop();
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repairs_keep_offsets_and_report_each_fix() {
        let src = b"[\n {\"A\": None, \"B\": [1,],},\n]";
        let (fixed, w) = repair_text(src);
        assert_eq!(fixed.len(), src.len());
        let v: Value = serde_json::from_slice(&fixed).unwrap();
        assert_eq!(v, serde_json::json!([{"A": null, "B": [1]}]));
        let texts: Vec<String> = w.iter().map(|w| w.to_string()).collect();
        assert_eq!(
            texts,
            vec![
                "line 2, column 8: read Python literal `None` as JSON `null` at $[0].A",
                "line 2, column 21: removed a trailing comma at $[0].B",
                "line 2, column 23: removed a trailing comma at $[0]",
                "line 2, column 25: removed a trailing comma at $",
            ]
        );
    }

    #[test]
    fn numeric_strings_become_integers_outside_job_and_details() {
        let src = br#"{"RescheduleTracker": {"Events": [{"Delay": "5000000000"}]}, "Job": {"Delay": "7"}, "TaskStates": {"t": {"Events": [{"Details": {"Time": "1"}}]}}}"#;
        let mut v: Value = serde_json::from_slice(src).unwrap();
        let mut w = Vec::new();
        let position = |p: &[Seg]| crate::scan::locate(src, p).map(|o| line_col(src, o)).unwrap_or((0, 0));
        repair_numeric_strings(&mut v, &[], &[], &position, &mut w);
        assert_eq!(v["RescheduleTracker"]["Events"][0]["Delay"], 5_000_000_000i64);
        assert_eq!(v["Job"]["Delay"], "7");
        assert_eq!(v["TaskStates"]["t"]["Events"][0]["Details"]["Time"], "1");
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].path, "$.RescheduleTracker.Events[0].Delay");
        assert_eq!((w[0].line, w[0].column), (1, 45));
    }
}
