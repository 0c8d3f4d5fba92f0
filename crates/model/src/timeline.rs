//! One timeline across all attempts of an allocation slot. Nomad keeps only the last 10
//! events per task, so a slot's history is spread over its attempts; merged, it tells the
//! whole story: every task event of every attempt in time order, with allocation-level
//! markers (created, status changes, ended, rescheduled after a delay, moved to another
//! node) and the time between entries. Events with unknown times (drivers can report Go's
//! zero time) keep their place in their task's emission order and are marked.

use crate::allocation::{short_id, Allocation};
use crate::lineage::{Hop, Lineage};
use crate::message::event_message;
use crate::times::go_duration;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EntryKind {
    Created,
    /// A client-status transition from `AllocStates`.
    StatusChange,
    /// The allocation reached a terminal status.
    Ended,
    Rescheduled,
    Replaced,
    /// A task event; `event_type` is Nomad's type text.
    TaskEvent {
        task: String,
        event_type: String,
        fails_task: bool,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Unix nanoseconds used for ordering. For an event with an unknown time this is the
    /// time of the entry it follows, and `time_known` is false.
    pub time: i64,
    pub time_known: bool,
    /// Position of the attempt in the lineage (0 = oldest).
    pub attempt: usize,
    pub alloc_id: String,
    pub kind: EntryKind,
    pub text: String,
    /// Time since the previous entry with a known time.
    pub since_previous: Option<i64>,
}

/// Merge the attempts of `lineage` (indices into `allocs`) into one timeline.
pub fn timeline(allocs: &[Allocation], lineage: &Lineage) -> Vec<Entry> {
    let mut entries: Vec<(i64, usize, Entry)> = Vec::new();
    let mut seq = 0usize;
    let mut push = |entries: &mut Vec<(i64, usize, Entry)>, e: Entry| {
        seq += 1;
        entries.push((e.time, seq, e));
    };
    for (k, attempt) in lineage.attempts.iter().enumerate() {
        let Some(a) = attempt.alloc.and_then(|i| allocs.get(i)) else { continue };
        let node = if a.node_name.is_empty() { short_id(&a.node_id).to_owned() } else { a.node_name.clone() };
        let base = |time: i64, known: bool, kind: EntryKind, text: String| Entry {
            time,
            time_known: known,
            attempt: k,
            alloc_id: a.id.clone(),
            kind,
            text,
            since_previous: None,
        };
        if a.create_time > 0 {
            push(
                &mut entries,
                base(
                    a.create_time,
                    true,
                    EntryKind::Created,
                    format!("allocation {} created on {node}", a.short_id()),
                ),
            );
        }
        for s in &a.alloc_states {
            if let Some(t) = s.time.unix_nanos() {
                push(
                    &mut entries,
                    base(t, true, EntryKind::StatusChange, format!("client status became {}", s.value)),
                );
            }
        }
        for (task, state) in a.tasks_in_order() {
            // Unknown times follow the previous event of the same task.
            let mut anchor = a.create_time.max(0);
            for e in &state.events {
                let (time, known) = match e.known_time() {
                    Some(t) => {
                        anchor = t;
                        (t, true)
                    }
                    None => (anchor, false),
                };
                let kind = EntryKind::TaskEvent {
                    task: task.to_owned(),
                    event_type: e.r#type.as_str().to_owned(),
                    fails_task: e.extra().fails_task,
                };
                push(&mut entries, base(time, known, kind, event_message(e)));
            }
        }
        if let Some(ended) = a.ended_at() {
            let mut text = format!("allocation {} ended: {}", a.short_id(), a.client_status);
            if !a.client_description.is_empty() {
                text.push_str(&format!(" ({})", a.client_description));
            }
            push(&mut entries, base(ended, true, EntryKind::Ended, text));
        }
        if let Some(hop) = &attempt.hop_to_next {
            let next = lineage.attempts.get(k + 1);
            let next_node = next.and_then(|n| n.alloc.and_then(|i| allocs.get(i))).map(|n| {
                if n.node_name.is_empty() {
                    short_id(&n.node_id).to_owned()
                } else {
                    n.node_name.clone()
                }
            });
            let moved = match &next_node {
                Some(nn) if *nn != node => format!(", moved from {node} to {nn}"),
                Some(_) => ", on the same node".to_owned(),
                None => String::new(),
            };
            let next_id = next.map(|n| short_id(&n.id).to_owned()).unwrap_or_default();
            match hop {
                Hop::Rescheduled { at, delay } => push(
                    &mut entries,
                    base(
                        *at,
                        *at > 0,
                        EntryKind::Rescheduled,
                        format!("rescheduled as {next_id} after a {} delay{moved}", go_duration(*delay)),
                    ),
                ),
                Hop::Replaced => {
                    let at = next
                        .and_then(|n| n.alloc.and_then(|i| allocs.get(i)))
                        .map(|n| n.create_time)
                        .unwrap_or(a.modify_time);
                    push(
                        &mut entries,
                        base(at, at > 0, EntryKind::Replaced, format!("replaced by {next_id}{moved}")),
                    );
                }
            }
        }
    }
    // Stable: equal times keep insertion order (attempt, then kind, then emission order).
    crate::sort::sort_by_key(&mut entries, |(t, seq, _)| (*t, *seq));
    let mut out: Vec<Entry> = entries.into_iter().map(|(_, _, e)| e).collect();
    let mut prev: Option<i64> = None;
    for e in &mut out {
        if e.time_known {
            e.since_previous = prev.map(|p| e.time - p);
            prev = Some(e.time);
        }
    }
    out
}
