//! Reschedule and replacement chains (nomad-model.md §7). Three sources describe the same
//! chain and each can be missing: `PreviousAllocation` (full allocations only),
//! `NextAllocation` (written onto the old allocation; on stubs only from 1.6) and
//! `RescheduleTracker.Events` (a windowed copy of earlier reschedules, with times and
//! delays). The chain is built from whatever subset of them the data holds, walked in both
//! directions from one allocation; attempts that are referenced but not in the data become
//! gaps, and cycles or self-links end the walk instead of looping.

use crate::allocation::{Allocation, Shape};
use std::collections::{HashMap, HashSet};

/// How one attempt led to the next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Hop {
    /// A reschedule recorded in a tracker: when it happened and how long Nomad waited.
    Rescheduled { at: i64, delay: i64 },
    /// A replacement without a tracker event: a destructive update, a migration, a lost
    /// node's replacement, a system job's placement.
    Replaced,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attempt {
    pub id: String,
    /// Index into the slice given to `lineage`; `None` for a gap (referenced, not in the
    /// data: garbage-collected, or never loaded).
    pub alloc: Option<usize>,
    /// The node, from the allocation or, for a gap, from the tracker's `PrevNodeID`.
    pub node_id: String,
    /// How this attempt led to the next one; `None` on the newest attempt.
    pub hop_to_next: Option<Hop>,
}

impl Attempt {
    pub fn is_gap(&self) -> bool {
        self.alloc.is_none()
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lineage {
    /// Oldest first.
    pub attempts: Vec<Attempt>,
    /// Position of the allocation the chain was built for.
    pub current: usize,
    /// There may be attempts before the oldest one shown: it is a gap, or only its list
    /// stub is known (stubs never carry `PreviousAllocation`).
    pub earlier_unknown: bool,
    /// IDs of gaps worth fetching as full allocations, nearest first.
    pub missing: Vec<String>,
}

impl Lineage {
    /// Number of reschedules recorded along the chain.
    pub fn reschedules(&self) -> usize {
        self.attempts.iter().filter(|a| matches!(a.hop_to_next, Some(Hop::Rescheduled { .. }))).count()
    }
}

#[derive(Clone, Debug)]
struct Link {
    at: i64,
    delay: i64,
    node: String,
}

/// The chain of `id` within `allocs`, or `None` when `id` is not among them.
pub fn lineage(allocs: &[Allocation], id: &str) -> Option<Lineage> {
    let mut index: HashMap<&str, usize> = HashMap::new();
    for (i, a) in allocs.iter().enumerate() {
        // The same allocation may be present as a stub and as a full allocation; the full
        // one knows more (PreviousAllocation), so it wins.
        match index.get(a.id.as_str()) {
            Some(&j) if allocs[j].shape() == Shape::Full || a.shape() != Shape::Full => {}
            _ => {
                index.insert(&a.id, i);
            }
        }
    }
    let &start = index.get(id)?;

    let mut prev_of: HashMap<&str, &str> = HashMap::new();
    let mut next_of: HashMap<&str, &str> = HashMap::new();
    let mut tracked: HashMap<&str, Link> = HashMap::new();
    // Direct fields first: they are authoritative and override what trackers imply.
    for a in allocs {
        if !a.previous_allocation.is_empty() && a.previous_allocation != a.id {
            prev_of.insert(&a.id, &a.previous_allocation);
            next_of.entry(&a.previous_allocation).or_insert(&a.id);
        }
        if !a.next_allocation.is_empty() && a.next_allocation != a.id {
            next_of.insert(&a.id, &a.next_allocation);
            prev_of.entry(&a.next_allocation).or_insert(&a.id);
        }
    }
    for a in allocs {
        let Some(t) = &a.reschedule_tracker else { continue };
        // Events are oldest first; the last one's PrevAllocID is `a`'s direct predecessor.
        let mut successor: &str = &a.id;
        for ev in t.events.iter().rev() {
            let prev = ev.prev_alloc_id.as_str();
            if prev.is_empty() || prev == successor {
                break;
            }
            prev_of.entry(successor).or_insert(prev);
            next_of.entry(prev).or_insert(successor);
            tracked.entry(prev).or_insert(Link {
                at: ev.reschedule_time,
                delay: ev.delay,
                node: ev.prev_node_id.clone(),
            });
            successor = prev;
        }
    }

    let attempt = |aid: &str| -> Attempt {
        let alloc = index.get(aid).copied();
        let node_id = match alloc {
            Some(i) => allocs[i].node_id.clone(),
            None => tracked.get(aid).map(|l| l.node.clone()).unwrap_or_default(),
        };
        let hop_to_next = next_of.get(aid).map(|_| match tracked.get(aid) {
            Some(l) => Hop::Rescheduled { at: l.at, delay: l.delay },
            None => Hop::Replaced,
        });
        Attempt { id: aid.to_owned(), alloc, node_id, hop_to_next }
    };

    let start_id = allocs[start].id.as_str();
    let mut seen: HashSet<&str> = HashSet::from([start_id]);
    let mut older = Vec::new();
    let mut cur = start_id;
    while let Some(&p) = prev_of.get(cur) {
        if !seen.insert(p) {
            break;
        }
        older.push(p);
        cur = p;
    }
    let mut newer = Vec::new();
    let mut cur = start_id;
    while let Some(&n) = next_of.get(cur) {
        if !seen.insert(n) {
            break;
        }
        newer.push(n);
        cur = n;
    }

    let mut attempts: Vec<Attempt> = older.iter().rev().map(|a| attempt(a)).collect();
    let current = attempts.len();
    attempts.push(attempt(start_id));
    attempts.extend(newer.iter().map(|a| attempt(a)));
    // The forward walk only stops early on a cycle; the newest attempt leads nowhere.
    if let Some(last) = attempts.last_mut() {
        last.hop_to_next = None;
    }

    let oldest = &attempts[0];
    let earlier_unknown = match oldest.alloc {
        None => true,
        Some(i) => allocs[i].shape() != Shape::Full && !prev_of.contains_key(oldest.id.as_str()),
    };

    // Gaps are worth fetching, nearest first: walk outwards from the current attempt. (The
    // oldest attempt known only as a list stub is not fetched: its reschedule tracker
    // already names its predecessor when it had one, and a job list that carries the links
    // then resolves the whole lineage in one request.)
    let mut missing = Vec::new();
    let mut order: Vec<(usize, usize)> = (0..attempts.len()).map(|k| (k.abs_diff(current), k)).collect();
    crate::sort::sort(&mut order);
    for (_, k) in order {
        let a = &attempts[k];
        if a.alloc.is_none() && !missing.contains(&a.id) {
            missing.push(a.id.clone());
        }
    }

    Some(Lineage { attempts, current, earlier_unknown, missing })
}
