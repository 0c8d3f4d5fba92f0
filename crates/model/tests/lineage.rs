//! Reschedule chains built from every combination of what the data holds.

mod common;

use allocscope_model::{lineage, Allocation, DecodeOptions, Hop};
use common::*;

const B: &str = "b1a0f9e8-7d6c-4b5a-4938-271605f4e3d2";
const C: &str = "c2b1a0f9-8e7d-4c6b-5a49-382716054f3e";
const D: &str = "d3a1c2b4-5e6f-4a7b-8c9d-0e1f2a3b4c5d";

fn ids(l: &allocscope_model::Lineage) -> Vec<&str> {
    l.attempts.iter().map(|a| a.id.as_str()).collect()
}

fn stubs() -> Vec<Allocation> {
    decode_fixture("v1-list-stubs.json", DecodeOptions::STRICT)
}

fn full_d() -> Allocation {
    decode_fixture("v1-full-allocation.json", DecodeOptions::STRICT).remove(0)
}

#[test]
fn job_list_alone_gives_the_whole_chain_from_any_attempt() {
    let all = stubs();
    for (from, current) in [(B, 0), (C, 1), (D, 2)] {
        let l = lineage(&all, from).unwrap();
        assert_eq!(ids(&l), vec![B, C, D], "from {from}");
        assert_eq!(l.current, current);
        assert_eq!(
            l.attempts[0].hop_to_next,
            Some(Hop::Rescheduled { at: 1_763_971_200_000_000_001, delay: 30_000_000_000 })
        );
        assert_eq!(
            l.attempts[1].hop_to_next,
            Some(Hop::Rescheduled { at: 1_763_974_740_555_000_000, delay: 60_000_000_000 })
        );
        assert_eq!(l.attempts[2].hop_to_next, None);
        assert!(l.attempts.iter().all(|a| !a.is_gap()));
        assert_eq!(l.reschedules(), 2);
        // The oldest is a stub: only its full form could say whether it replaced another
        // allocation, but no reschedule led to it (its tracker is empty): nothing to fetch.
        assert!(l.earlier_unknown);
        assert!(l.missing.is_empty());
    }
}

#[test]
fn a_single_full_allocation_shows_its_gaps_from_the_tracker() {
    let only = vec![full_d()];
    let l = lineage(&only, D).unwrap();
    assert_eq!(ids(&l), vec![B, C, D]);
    assert_eq!(l.current, 2);
    assert!(l.attempts[0].is_gap() && l.attempts[1].is_gap());
    assert_eq!(l.attempts[0].node_id, "1a2b3c4d-5e6f-4708-9a1b-2c3d4e5f6071", "gap node from PrevNodeID");
    assert_eq!(l.attempts[1].node_id, "2b3c4d5e-6f70-4819-a2b3-c4d5e6f70812");
    assert!(l.earlier_unknown);
    assert_eq!(l.missing, vec![C.to_string(), B.to_string()], "nearest first");
}

#[test]
fn full_and_stub_copies_of_one_allocation_prefer_the_full_one() {
    let mut all = stubs();
    all.push(full_d());
    let l = lineage(&all, D).unwrap();
    assert_eq!(l.attempts[2].alloc, Some(4), "the full allocation, not the stub at index 2");
}

fn alloc(id: &str, prev: &str, next: &str) -> Allocation {
    Allocation {
        id: id.into(),
        task_group: "g".into(),
        previous_allocation: prev.into(),
        next_allocation: next.into(),
        job: Some(Box::new(allocscope_model::Job(serde_json::json!({"ID": "j"})))),
        ..Default::default()
    }
}

#[test]
fn replacements_without_a_tracker_are_replaced_hops() {
    let all = vec![alloc("a", "", "b"), alloc("b", "a", "")];
    let l = lineage(&all, "b").unwrap();
    assert_eq!(ids(&l), vec!["a", "b"]);
    assert_eq!(l.attempts[0].hop_to_next, Some(Hop::Replaced));
    assert!(!l.earlier_unknown, "a full allocation with no PreviousAllocation starts the chain");
    assert!(l.missing.is_empty());
}

#[test]
fn garbage_collected_predecessor_is_a_gap_and_worth_fetching() {
    let all = vec![alloc("b", "gone", "")];
    let l = lineage(&all, "b").unwrap();
    assert_eq!(ids(&l), vec!["gone", "b"]);
    assert!(l.attempts[0].is_gap());
    assert_eq!(l.missing, vec!["gone".to_string()]);
    // A gap in the future direction too.
    let all = vec![alloc("a", "", "next")];
    let l = lineage(&all, "a").unwrap();
    assert_eq!(ids(&l), vec!["a", "next"]);
    assert_eq!(l.missing, vec!["next".to_string()]);
}

#[test]
fn cycles_and_self_links_terminate() {
    let all = vec![alloc("a", "b", "b"), alloc("b", "a", "a")];
    let l = lineage(&all, "a").unwrap();
    assert_eq!(l.attempts.len(), 2);
    assert_eq!(l.attempts.last().unwrap().hop_to_next, None);
    let all = vec![alloc("s", "s", "s")];
    let l = lineage(&all, "s").unwrap();
    assert_eq!(ids(&l), vec!["s"]);
    let mut looped = alloc("x", "", "");
    looped.reschedule_tracker = Some(Box::new(allocscope_model::RescheduleTracker {
        events: vec![
            allocscope_model::RescheduleEvent { prev_alloc_id: "x".into(), ..Default::default() },
            allocscope_model::RescheduleEvent { prev_alloc_id: "y".into(), ..Default::default() },
        ],
        ..Default::default()
    }));
    let l = lineage(&[looped], "x").unwrap();
    assert_eq!(ids(&l), vec!["y", "x"]);
}

#[test]
fn absent_allocation_has_no_lineage() {
    assert!(lineage(&stubs(), "nope").is_none());
}

#[test]
fn a_ten_attempt_chain_from_list_stubs() {
    // Nomad 1.6+ job list: every stub has NextAllocation, trackers windowed to the last 5.
    let mut all = Vec::new();
    for i in 0usize..10 {
        let mut a = Allocation {
            id: format!("{i:08}-0000-4000-8000-000000000000"),
            task_group: "g".into(),
            job_version: Some(1),
            node_id: format!("node-{i}"),
            ..Default::default()
        };
        if i < 9 {
            a.next_allocation = format!("{:08}-0000-4000-8000-000000000000", i + 1);
        }
        let window = i.saturating_sub(5)..i;
        let events = window
            .map(|p| allocscope_model::RescheduleEvent {
                prev_alloc_id: format!("{p:08}-0000-4000-8000-000000000000"),
                prev_node_id: format!("node-{p}"),
                reschedule_time: 1_000 + p as i64,
                delay: 5_000_000_000 << p.min(6),
            })
            .collect();
        a.reschedule_tracker =
            Some(Box::new(allocscope_model::RescheduleTracker { events, ..Default::default() }));
        all.push(a);
    }
    let l = lineage(&all, "00000009-0000-4000-8000-000000000000").unwrap();
    assert_eq!(l.attempts.len(), 10);
    assert_eq!(l.reschedules(), 9);
    assert_eq!(l.attempts[3].hop_to_next, Some(Hop::Rescheduled { at: 1_003, delay: 40_000_000_000 }));
    assert!(l.missing.is_empty(), "the job list alone resolves the lineage: no further request");
}
