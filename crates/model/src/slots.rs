//! Slot history: one lane per allocation name (`job.group[index]`), one bar per attempt,
//! coloured by how it ended, with the times the job's version changed. The app draws it as
//! SVG; this module decides what to draw.

use crate::allocation::Allocation;
use crate::cause::{allocation_cause, CauseKind};
use crate::enums::ClientStatus;
use crate::query::natural_cmp;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Running,
    Pending,
    Completed,
    Failed,
    Lost,
    Unknown,
    Stopped,
    Preempted,
}

impl Outcome {
    pub fn as_str(&self) -> &'static str {
        match self {
            Outcome::Running => "running",
            Outcome::Pending => "pending",
            Outcome::Completed => "completed",
            Outcome::Failed => "failed",
            Outcome::Lost => "lost",
            Outcome::Unknown => "unknown",
            Outcome::Stopped => "stopped",
            Outcome::Preempted => "preempted",
        }
    }
}

pub fn outcome(a: &Allocation) -> Outcome {
    match a.client_status {
        ClientStatus::Running => Outcome::Running,
        ClientStatus::Pending => Outcome::Pending,
        ClientStatus::Failed => Outcome::Failed,
        ClientStatus::Lost => Outcome::Lost,
        ClientStatus::Unknown => Outcome::Unknown,
        _ => match allocation_cause(a).map(|c| c.kind) {
            Some(CauseKind::Preempted) => Outcome::Preempted,
            Some(CauseKind::Completed) | None => Outcome::Completed,
            Some(k) if k.is_failure() => Outcome::Failed,
            Some(_) => Outcome::Stopped,
        },
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bar {
    /// Index into the allocations given to `slot_history`.
    pub alloc: usize,
    pub id: String,
    pub start: i64,
    /// The last modification for terminal attempts, `now` for live ones.
    pub end: i64,
    pub outcome: Outcome,
    pub job_version: Option<u64>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lane {
    pub name: String,
    /// Oldest first.
    pub bars: Vec<Bar>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SlotHistory {
    pub lanes: Vec<Lane>,
    pub start: i64,
    pub end: i64,
    /// When each job version first appeared (its first allocation's creation), oldest first.
    pub versions: Vec<(i64, u64)>,
}

/// The slot history of a set of allocations (normally one job's), with `now` closing live
/// bars. Allocations without a creation time are left out.
pub fn slot_history(allocs: &[Allocation], now: i64) -> SlotHistory {
    let mut lanes: Vec<Lane> = Vec::new();
    let mut versions: Vec<(i64, u64)> = Vec::new();
    let (mut start, mut end) = (i64::MAX, i64::MIN);
    for (i, a) in allocs.iter().enumerate() {
        if a.create_time <= 0 {
            continue;
        }
        let o = outcome(a);
        let live = matches!(o, Outcome::Running | Outcome::Pending | Outcome::Unknown);
        let bar_end = if live {
            now.max(a.modify_time)
        } else {
            a.ended_at().unwrap_or(a.modify_time).max(a.create_time)
        };
        start = start.min(a.create_time);
        end = end.max(bar_end);
        let bar = Bar {
            alloc: i,
            id: a.id.clone(),
            start: a.create_time,
            end: bar_end,
            outcome: o,
            job_version: a.job_version(),
        };
        match lanes.iter_mut().find(|l| l.name == a.name) {
            Some(l) => l.bars.push(bar),
            None => lanes.push(Lane { name: a.name.clone(), bars: vec![bar] }),
        }
        if let Some(v) = a.job_version() {
            match versions.iter_mut().find(|(_, vv)| *vv == v) {
                Some(entry) => entry.0 = entry.0.min(a.create_time),
                None => versions.push((a.create_time, v)),
            }
        }
    }
    for l in &mut lanes {
        crate::sort::sort_by_key(&mut l.bars, |b| (b.start, b.end));
    }
    crate::sort::sort_by(&mut lanes, |a, b| natural_cmp(&a.name, &b.name));
    crate::sort::sort(&mut versions);
    if start > end {
        (start, end) = (0, 0);
    }
    SlotHistory { lanes, start, end, versions }
}
