//! "Copy as Markdown": an allocation's lineage, causes, budgets and key events as a ticket
//! comment. Times are UTC (a ticket is read in many zones); data text is escaped so a task
//! name or message cannot break the Markdown tables.

use crate::allocation::{short_id, Allocation};
use crate::budget::{reschedule_budget, restart_budgets};
use crate::cause::allocation_cause;
use crate::lineage::{Hop, Lineage};
use crate::timeline::{timeline, EntryKind};
use crate::times::{format_unix_nanos_utc, go_duration, human_duration};

fn cell(s: &str) -> String {
    s.replace('\\', "\\\\").replace('|', "\\|").replace(['\n', '\r'], " ")
}

fn utc(ns: i64) -> String {
    format_unix_nanos_utc(ns).unwrap_or_else(|| "unknown time".to_owned())
}

fn node_of(a: &Allocation) -> String {
    if a.node_name.is_empty() {
        short_id(&a.node_id).to_owned()
    } else {
        a.node_name.clone()
    }
}

/// The Markdown summary of `lineage` (indices into `allocs`), centred on its current attempt.
pub fn incident_markdown(allocs: &[Allocation], lineage: &Lineage) -> String {
    let Some(current) =
        lineage.attempts.get(lineage.current).and_then(|a| a.alloc).and_then(|i| allocs.get(i))
    else {
        return String::new();
    };
    let mut md = String::new();
    md.push_str(&format!(
        "# {} (job {}, namespace {})\n\n",
        cell(&current.name),
        cell(&current.job_id),
        cell(current.namespace_or_default())
    ));
    let state = match allocation_cause(current) {
        Some(c) => format!("{}: {}", current.client_status, c.summary),
        None => format!("{} on {}", current.client_status, node_of(current)),
    };
    md.push_str(&format!("Allocation `{}` is {}.\n\n", current.id, cell(&state)));

    md.push_str("## Attempts\n\n| # | Allocation | Node | Status | Created (UTC) | Ended (UTC) | Cause | Next |\n|---|---|---|---|---|---|---|---|\n");
    for (k, at) in lineage.attempts.iter().enumerate() {
        let next = match &at.hop_to_next {
            Some(Hop::Rescheduled { delay, .. }) => format!("rescheduled after {}", go_duration(*delay)),
            Some(Hop::Replaced) => "replaced".to_owned(),
            None => String::new(),
        };
        let marker = if k == lineage.current { " (this one)" } else { "" };
        match at.alloc.and_then(|i| allocs.get(i)) {
            Some(a) => {
                let cause = allocation_cause(a).map(|c| c.summary).unwrap_or_default();
                let ended = a.ended_at().map(utc).unwrap_or_default();
                md.push_str(&format!(
                    "| {} | `{}`{} | {} | {} | {} | {} | {} | {} |\n",
                    k + 1,
                    a.short_id(),
                    marker,
                    cell(&node_of(a)),
                    cell(a.client_status.as_str()),
                    utc(a.create_time),
                    ended,
                    cell(&cause),
                    next
                ));
            }
            None => md.push_str(&format!(
                "| {} | `{}` | {} | not in the data (garbage-collected?) |  |  |  | {} |\n",
                k + 1,
                short_id(&at.id),
                cell(short_id(&at.node_id)),
                next
            )),
        }
    }
    if lineage.earlier_unknown {
        md.push_str("\nEarlier attempts may exist: the oldest one shown does not say what it replaced.\n");
    }

    md.push_str("\n## Causes\n");
    let mut any = false;
    for (k, at) in lineage.attempts.iter().enumerate() {
        let Some(a) = at.alloc.and_then(|i| allocs.get(i)) else { continue };
        let Some(c) = allocation_cause(a) else { continue };
        any = true;
        md.push_str(&format!("\n### Attempt {} (`{}`): {}\n\n", k + 1, a.short_id(), cell(&c.summary)));
        for e in &c.evidence {
            let when = e.time.map(|t| format!("{} ", utc(t))).unwrap_or_default();
            md.push_str(&format!("- {when}{}: {}\n", cell(&e.source), cell(&e.text)));
        }
    }
    if !any {
        md.push_str("\nNo attempt has ended yet.\n");
    }

    md.push_str("\n## Budgets\n\n");
    for b in restart_budgets(current) {
        md.push_str(&format!(
            "- Restarts of {}: {}{}\n",
            cell(&b.task),
            b.describe(),
            if b.exhausted { " (exhausted)" } else { "" }
        ));
    }
    let r = reschedule_budget(current);
    md.push_str(&format!(
        "- Reschedules: {}; policy: {}\n- Next: {}\n",
        r.describe_used(),
        r.describe_policy(),
        r.describe_outlook()
    ));

    md.push_str("\n## Key events\n\n| Time (UTC) | +Δ | Attempt | Event |\n|---|---|---|---|\n");
    // +Δ is between the rows shown, not the whole timeline's neighbours.
    let mut previous: Option<i64> = None;
    for e in timeline(allocs, lineage) {
        let key = match &e.kind {
            EntryKind::TaskEvent { event_type, fails_task, .. } => {
                *fails_task
                    || matches!(
                        event_type.as_str(),
                        "Terminated"
                            | "Driver Failure"
                            | "Not Restarting"
                            | "Restarting"
                            | "Setup Failure"
                            | "Failed Artifact Download"
                            | "Task hook failed"
                            | "Killing"
                            | "Sibling Task Failed"
                            | "Alloc Unhealthy"
                    )
            }
            _ => true,
        };
        if !key {
            continue;
        }
        let what = match &e.kind {
            EntryKind::TaskEvent { task, event_type, .. } => format!("{task} {event_type}: {}", e.text),
            _ => e.text.clone(),
        };
        let time = if e.time_known { utc(e.time) } else { "unknown time".to_owned() };
        let delta = match (e.time_known, previous) {
            (true, Some(p)) => format!("+{}", human_duration(e.time - p)),
            _ => String::new(),
        };
        if e.time_known {
            previous = Some(e.time);
        }
        md.push_str(&format!("| {time} | {delta} | {} | {} |\n", e.attempt + 1, cell(&what)));
    }
    md
}
