//! Export of what the list shows: the filtered, sorted allocations as CSV (for a
//! spreadsheet or a ticket) or as JSON (Nomad's own shape, which this app and `allocscope
//! decode` read back), and one allocation as JSON. Nomad's UI has no export at all
//! (hashicorp/nomad#11454).

use crate::allocation::Allocation;
use crate::cause::allocation_cause;
use crate::times::{format_unix_nanos_rfc3339, format_unix_nanos_utc};

/// The CSV columns, in order.
pub const CSV_COLUMNS: [&str; 16] = [
    "ID",
    "Name",
    "Namespace",
    "JobID",
    "JobVersion",
    "TaskGroup",
    "NodeID",
    "NodeName",
    "ClientStatus",
    "DesiredStatus",
    "Restarts",
    "CreateTime",
    "ModifyTime",
    "Cause",
    "PreviousAllocation",
    "NextAllocation",
];

/// The allocations at `rows` (indices into `allocs`, in display order) as RFC 4180 CSV,
/// with times in UTC RFC 3339. Hand-rolled rather than the `csv` crate: writing is a dozen
/// lines, and every crate counts against the wasm budget.
pub fn csv(allocs: &[Allocation], rows: &[usize]) -> String {
    let mut out = String::with_capacity(64 + rows.len() * 256);
    push_record(&mut out, CSV_COLUMNS.iter().copied());
    for a in rows.iter().filter_map(|&i| allocs.get(i)) {
        let version = a.job_version().map(|v| v.to_string()).unwrap_or_default();
        let restarts = a.total_restarts().to_string();
        let created = format_unix_nanos_rfc3339(a.create_time).unwrap_or_default();
        let modified = format_unix_nanos_rfc3339(a.modify_time).unwrap_or_default();
        let cause = allocation_cause(a).map(|c| c.label()).unwrap_or_default();
        let fields: [&str; 16] = [
            &a.id,
            &a.name,
            a.namespace_or_default(),
            &a.job_id,
            &version,
            &a.task_group,
            &a.node_id,
            &a.node_name,
            a.client_status.as_str(),
            a.desired_status.as_str(),
            &restarts,
            &created,
            &modified,
            &cause,
            &a.previous_allocation,
            &a.next_allocation,
        ];
        push_record(&mut out, fields.into_iter());
    }
    out
}

fn push_record<'a>(out: &mut String, fields: impl Iterator<Item = &'a str>) {
    for (i, f) in fields.enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_field(out, f);
    }
    out.push_str("\r\n");
}

/// One CSV field. Quoted when it holds a comma, quote or line break. A field a spreadsheet
/// would run as a formula (`=`, `+`, `-`, `@`, tab, CR at the start: names and messages come
/// from whoever wrote the job) gets a leading `'`, as OWASP advises against CSV injection.
fn push_field(out: &mut String, f: &str) {
    let formula = f.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let quote = formula || f.contains([',', '"', '\n', '\r']);
    if quote {
        out.push('"');
    }
    if formula {
        out.push('\'');
    }
    for ch in f.chars() {
        if ch == '"' {
            out.push('"');
        }
        out.push(ch);
    }
    if quote {
        out.push('"');
    }
}

/// The allocations at `rows` as a JSON array in Nomad's field names, as decoded (so it
/// opens again in allocscope and decodes with `allocscope decode`).
pub fn json(allocs: &[Allocation], rows: &[usize]) -> String {
    let list: Vec<&Allocation> = rows.iter().filter_map(|&i| allocs.get(i)).collect();
    serde_json::to_string_pretty(&list).unwrap_or_else(|_| "[]".to_owned())
}

/// One allocation as pretty JSON.
pub fn allocation_json(a: &Allocation) -> String {
    serde_json::to_string_pretty(a).unwrap_or_else(|_| "{}".to_owned())
}

/// A file name for an export: `allocscope-<what>-<UTC time>.<ext>`, with characters a file
/// system may refuse replaced.
pub fn file_name(what: &str, now_ns: i64, ext: &str) -> String {
    let when = format_unix_nanos_utc(now_ns).unwrap_or_default();
    let when: String = when.chars().filter(|c| c.is_ascii_digit()).take(14).collect();
    let what: String = what
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' { c } else { '-' })
        .take(80)
        .collect();
    if when.is_empty() {
        format!("allocscope-{what}.{ext}")
    } else {
        format!("allocscope-{what}-{when}.{ext}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::{decode, DecodeOptions};

    fn allocs() -> Vec<Allocation> {
        let json = br#"[
          {"ID":"a1","Name":"web.api[0]","JobID":"web","TaskGroup":"api","Namespace":"prod",
           "NodeID":"n1","NodeName":"node-1","ClientStatus":"running","DesiredStatus":"run",
           "JobVersion":3,"CreateTime":1795510800000000000,"ModifyTime":1795510860000000000},
          {"ID":"b2","Name":"=HYPERLINK(\"http://evil\"),\"x\"\nline","JobID":"batch, \"q\"","TaskGroup":"g",
           "ClientStatus":"failed","DesiredStatus":"stop","TaskStates":{"t":{"State":"dead","Failed":true,
           "Restarts":2,"Events":[{"Type":"OOM Killed","Time":1795510800000000000}]}}}
        ]"#;
        decode(json, DecodeOptions::STRICT).unwrap().allocations
    }

    #[test]
    fn csv_has_a_header_one_record_per_row_in_row_order_and_escapes_fields() {
        let a = allocs();
        let out = csv(&a, &[1, 0]);
        let lines: Vec<&str> = out.split("\r\n").collect();
        assert_eq!(lines[0], CSV_COLUMNS.join(","));
        // Row order is the given order; b2's name is quoted, defused and keeps its newline.
        assert!(lines[1].starts_with(
            "b2,\"'=HYPERLINK(\"\"http://evil\"\"),\"\"x\"\"\nline\",default,\"batch, \"\"q\"\"\","
        ));
        assert!(lines[1].contains(",failed,stop,2,"), "{}", lines[1]);
        assert_eq!(
            lines[2],
            "a1,web.api[0],prod,web,3,api,n1,node-1,running,run,0,2026-11-24T09:00:00Z,2026-11-24T09:01:00Z,,,"
        );
        // The embedded newline is a bare LF inside quotes, so records still split on CRLF.
        assert_eq!(lines.len(), 4, "header, 2 records, trailing empty");
        assert_eq!(csv(&a, &[]), format!("{}\r\n", CSV_COLUMNS.join(",")));
    }

    #[test]
    fn json_export_decodes_back_to_the_same_rows() {
        let a = allocs();
        let out = json(&a, &[1]);
        let back = decode(out.as_bytes(), DecodeOptions::STRICT).unwrap().allocations;
        assert_eq!(back, vec![a[1].clone()]);
        let one = decode(allocation_json(&a[0]).as_bytes(), DecodeOptions::STRICT).unwrap().allocations;
        assert_eq!(one, vec![a[0].clone()]);
    }

    #[test]
    fn file_names_are_safe_and_dated() {
        assert_eq!(file_name("list", 1795510800000000000, "csv"), "allocscope-list-20261124090000.csv");
        // An unknown time (0) leaves the date out.
        assert_eq!(file_name("job/web <x>", 0, "json"), "allocscope-job-web--x-.json");
    }
}
