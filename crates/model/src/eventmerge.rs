//! Task histories past Nomad's cap. A Nomad client keeps only the 10 most recent events per
//! task (nomad-model.md §2.3), so every capture of an allocation (a list stub in a debug
//! bundle, a `GET /v1/allocation/:id`) shows at most 10. The event stream sends the whole
//! allocation again on every change, each time with the 10 events of that moment; a stream
//! recorded over a while therefore holds events that no single copy has any more. This
//! module puts them back together.
//!
//! Two copies of one event are told apart from two events by `(Type, Time, Message)`, with
//! `Time` compared at `f64` precision: `nomad operator debug` decodes each event into a Go
//! `map[string]interface{}` before writing it to `cluster/eventstream.json`, so every number
//! in a payload went through a float64 and nanosecond times lost their last two or three
//! digits (api/event_stream.go, command/operator_debug.go). The copy from the capture, with
//! exact times and the server's `DisplayMessage`, is the one kept.

use crate::allocation::Allocation;
use crate::task::TaskEvent;
use std::collections::{BTreeMap, HashSet};

/// What a merge changed, for a one-line summary.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MergeReport {
    /// Task events added to the allocations beyond what they already held.
    pub events_added: usize,
    /// Allocations whose status and task states came from a newer event-stream payload.
    pub allocations_updated: usize,
    /// Allocations the stream knows but the input list does not (left out; see
    /// [`merge_events`]).
    pub stream_only: usize,
}

/// The event-stream payloads of each allocation ID, in stream order.
pub fn payloads_by_id(streamed: &[Allocation]) -> BTreeMap<&str, Vec<&Allocation>> {
    let mut by_id: BTreeMap<&str, Vec<&Allocation>> = BTreeMap::new();
    for a in streamed {
        if !a.id.is_empty() {
            by_id.entry(a.id.as_str()).or_default().push(a);
        }
    }
    by_id
}

/// Merge event-stream allocation payloads (`streamed`, in stream order) into a list of
/// allocations, typically one debug-bundle capture's stubs.
///
/// For each allocation of `list`, every distinct task event seen in any payload with its ID
/// is added to that task's history, in time order, so histories reach past the 10-event cap.
/// When the newest payload is newer than the list's copy (a higher `ModifyIndex`), the
/// allocation's changing fields (client and desired status, task states, deployment status,
/// next allocation, modify index and time) are taken from it.
///
/// Allocations that appear only in the stream are **not** added: a capture is what the
/// cluster listed at one moment, and an allocation placed after it (or garbage-collected
/// before it) does not belong to that moment. They are counted in
/// [`MergeReport::stream_only`].
pub fn merge_events(list: &[Allocation], streamed: &[Allocation]) -> (Vec<Allocation>, MergeReport) {
    let by_id = payloads_by_id(streamed);
    let mut report = MergeReport::default();
    let listed: HashSet<&str> = list.iter().map(|a| a.id.as_str()).collect();
    report.stream_only = by_id.keys().filter(|id| !listed.contains(*id)).count();
    let merged = list
        .iter()
        .map(|a| match by_id.get(a.id.as_str()) {
            Some(payloads) => {
                let (m, added, updated) = merge_one(a, payloads);
                report.events_added += added;
                report.allocations_updated += usize::from(updated);
                m
            }
            None => a.clone(),
        })
        .collect();
    (merged, report)
}

/// One allocation and its payloads: see [`merge_events`]. Returns the merged allocation,
/// the number of events added, and whether a newer payload's status was taken.
pub fn merge_one(base: &Allocation, payloads: &[&Allocation]) -> (Allocation, usize, bool) {
    let mut out = base.clone();
    // The newest payload; on equal indexes the later one in the stream.
    let newest = payloads.iter().copied().rev().max_by_key(|p| p.modify_index);
    let updated = match newest {
        Some(n) if n.modify_index > base.modify_index => {
            take_changing_fields(&mut out, n);
            true
        }
        _ => false,
    };
    // The capture's copies first: they have exact times and the server's DisplayMessage.
    let sources: Vec<&Allocation> = std::iter::once(base).chain(payloads.iter().copied()).collect();
    merge_task_events(&mut out, &sources);
    let added = out.event_count().saturating_sub(base.event_count());
    (out, added, updated)
}

/// The full allocation to show for one ID: the newest event-stream payload (a full
/// allocation without its `Job`) with every task event of `stub` and of all payloads, or
/// `stub` itself when the stream has nothing for it. When `stub` is newer than every payload,
/// its status and task states win.
pub fn detail_allocation(stub: &Allocation, payloads: &[&Allocation]) -> Allocation {
    let Some(newest) = payloads.iter().copied().rev().max_by_key(|p| p.modify_index) else {
        return stub.clone();
    };
    let mut out = newest.clone();
    if stub.modify_index > newest.modify_index {
        take_changing_fields(&mut out, stub);
    }
    let sources: Vec<&Allocation> = std::iter::once(stub).chain(payloads.iter().copied()).collect();
    merge_task_events(&mut out, &sources);
    out
}

/// Give each of `out`'s tasks the union of that task's events in `sources`, whose copies win
/// in the order given. (`out`'s own events are always one of the sources' already.)
fn merge_task_events(out: &mut Allocation, sources: &[&Allocation]) {
    for (task, state) in out.task_states.iter_mut() {
        let histories: Vec<&[TaskEvent]> =
            sources.iter().filter_map(|s| s.task_states.get(task)).map(|t| t.events.as_slice()).collect();
        if !histories.is_empty() {
            state.events = merge_histories(&histories);
        }
    }
}

/// The fields that change over an allocation's life and that both a stub and a payload
/// carry. Placement fields (node, job, group, resources, create index) never change.
pub(crate) fn take_changing_fields(out: &mut Allocation, newer: &Allocation) {
    out.client_status = newer.client_status.clone();
    out.client_description = newer.client_description.clone();
    out.desired_status = newer.desired_status.clone();
    out.desired_description = newer.desired_description.clone();
    out.desired_transition = newer.desired_transition.clone();
    out.task_states = newer.task_states.clone();
    out.deployment_status = newer.deployment_status.clone();
    out.next_allocation = newer.next_allocation.clone();
    out.followup_eval_id = newer.followup_eval_id.clone();
    out.reschedule_tracker = newer.reschedule_tracker.clone().or(out.reschedule_tracker.take());
    out.preempted_by_allocation = newer.preempted_by_allocation.clone();
    if !newer.alloc_states.is_empty() {
        out.alloc_states = newer.alloc_states.clone();
    }
    out.modify_index = newer.modify_index;
    out.modify_time = newer.modify_time;
    if newer.alloc_modify_index > 0 {
        out.alloc_modify_index = newer.alloc_modify_index;
    }
}

/// Union of several windows of one task's history, first copies kept, in time order.
pub fn merge_histories(histories: &[&[TaskEvent]]) -> Vec<TaskEvent> {
    let mut seen: HashSet<(String, i64, String)> = HashSet::new();
    let mut kept: Vec<(i64, usize, TaskEvent)> = Vec::new();
    for history in histories {
        // An event with no real time (a driver reporting Go's zero time) sorts with the
        // event before it in its own history, not at the very start.
        let mut carried = i64::MIN;
        for ev in history.iter() {
            if let Some(t) = ev.known_time() {
                carried = t;
            }
            if seen.insert(event_key(ev)) {
                let order = kept.len();
                kept.push((carried, order, ev.clone()));
            }
        }
    }
    // Stable on equal times: first-seen order, which is each history's own order.
    crate::sort::sort_by_key(&mut kept, |(t, order, _)| (*t, *order));
    kept.into_iter().map(|(_, _, ev)| ev).collect()
}

/// The identity of an event across copies; see the module comment for the `f64`.
fn event_key(ev: &TaskEvent) -> (String, i64, String) {
    (ev.r#type.as_str().to_owned(), float_rounded(ev.time), ev.message.to_string())
}

/// A nanosecond time as it comes back from a Go float64.
fn float_rounded(ns: i64) -> i64 {
    ns as f64 as i64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::enums::TaskEventType;
    use crate::task::TaskState;

    fn ev(kind: &str, time: i64) -> TaskEvent {
        TaskEvent { r#type: TaskEventType::from(kind), time, ..TaskEvent::default() }
    }

    fn alloc(id: &str, modify_index: u64, status: &str, events: Vec<TaskEvent>) -> Allocation {
        let mut a = Allocation {
            id: id.into(),
            task_group: "g".into(),
            modify_index,
            client_status: crate::enums::ClientStatus::from(status),
            ..Allocation::default()
        };
        a.task_states.insert("t", TaskState { events, ..TaskState::default() });
        a
    }

    fn times(a: &Allocation) -> Vec<i64> {
        a.task_states["t"].events.iter().map(|e| e.time).collect()
    }

    #[test]
    fn windows_are_joined_in_time_order_and_copies_are_dropped() {
        let full: Vec<TaskEvent> = (1..=14).map(|i| ev("Restarting", i * 1_000_000_000)).collect();
        let stub = alloc("a", 20, "running", full[4..].to_vec());
        let early = alloc("a", 10, "running", full[..10].to_vec());
        let late = alloc("a", 20, "running", full[4..].to_vec());
        let (merged, report) = merge_events(&[stub], &[early, late]);
        assert_eq!(times(&merged[0]), (1..=14).map(|i| i * 1_000_000_000).collect::<Vec<_>>());
        assert_eq!(report.events_added, 4);
        assert_eq!(report.allocations_updated, 0);
    }

    #[test]
    fn float_rounded_copies_are_the_same_event_and_the_exact_one_is_kept() {
        let exact = 1_795_251_620_042_693_332;
        let rounded = 1_795_251_620_042_693_400; // what Go's float64 encoder writes back
        let stub = alloc("a", 5, "running", vec![ev("Started", exact)]);
        let payload = alloc("a", 5, "running", vec![ev("Started", rounded)]);
        let (merged, report) = merge_events(&[stub], &[payload]);
        assert_eq!(times(&merged[0]), vec![exact]);
        assert_eq!(report.events_added, 0);
    }

    #[test]
    fn a_newer_payload_brings_its_status_and_an_older_one_does_not() {
        let stub = alloc("a", 5, "running", vec![ev("Started", 10)]);
        let older = alloc("a", 4, "pending", vec![ev("Received", 5)]);
        let (m, _) = merge_events(std::slice::from_ref(&stub), &[older]);
        assert_eq!(m[0].client_status.as_str(), "running");
        assert_eq!(times(&m[0]), vec![5, 10]);

        let newer = alloc("a", 9, "failed", vec![ev("Started", 10), ev("Terminated", 20)]);
        let (m, report) = merge_events(&[stub], &[newer]);
        assert_eq!(m[0].client_status.as_str(), "failed");
        assert_eq!(m[0].modify_index, 9);
        assert_eq!(times(&m[0]), vec![10, 20]);
        assert_eq!(report.allocations_updated, 1);
        assert_eq!(report.events_added, 1);
    }

    #[test]
    fn stream_only_allocations_are_counted_not_added() {
        let stub = alloc("a", 5, "running", vec![]);
        let other = alloc("b", 9, "pending", vec![]);
        let (m, report) = merge_events(&[stub], &[other]);
        assert_eq!(m.len(), 1);
        assert_eq!(report.stream_only, 1);
    }

    #[test]
    fn an_event_without_a_time_stays_after_its_predecessor() {
        let h1 = [ev("Received", 10), ev("Driver", -6_795_364_578_871_345_152), ev("Started", 30)];
        let h2 = [ev("Started", 30), ev("Terminated", 40)];
        let merged = merge_histories(&[&h1, &h2]);
        let kinds: Vec<String> = merged.iter().map(|e| e.r#type.as_str().to_owned()).collect();
        assert_eq!(kinds, ["Received", "Driver", "Started", "Terminated"]);
    }

    #[test]
    fn detail_is_the_newest_payload_with_the_whole_history() {
        let stub = alloc("a", 5, "running", vec![ev("Started", 10)]);
        let mut p = alloc("a", 7, "failed", vec![ev("Started", 10), ev("Terminated", 20)]);
        p.previous_allocation = "z".into();
        let d = detail_allocation(&stub, &[&p]);
        assert_eq!(d.previous_allocation, "z");
        assert_eq!(d.client_status.as_str(), "failed");
        assert_eq!(times(&d), vec![10, 20]);
        assert_eq!(detail_allocation(&stub, &[]), stub);
    }
}
