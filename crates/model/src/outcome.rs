//! How an allocation ended, in one line, for chains and lists. (The full cause analysis
//! with evidence builds on this.)

use crate::allocation::{short_id, Allocation};
use crate::enums::{ClientStatus, DesiredStatus, TaskEventType as T};
use crate::message::event_message;
use crate::task::{TaskEvent, TaskState};

/// `None` while the allocation is still pending or running.
pub fn end_summary(a: &Allocation) -> Option<String> {
    if a.was_preempted() {
        return Some(format!("preempted by {}", short_id(&a.preempted_by_allocation)));
    }
    match &a.client_status {
        ClientStatus::Pending | ClientStatus::Running => None,
        ClientStatus::Failed => Some(failed_summary(a)),
        ClientStatus::Lost => Some(match a.desired_description.as_str() {
            "" => "lost: its node stopped responding".to_owned(),
            d => format!("lost: {d}"),
        }),
        ClientStatus::Unknown => Some(match a.client_description.as_str() {
            "" => "unknown: its node is disconnected".to_owned(),
            d => format!("unknown: {d}"),
        }),
        ClientStatus::Complete => {
            Some(if a.desired_status != DesiredStatus::Run && !a.desired_description.is_empty() {
                format!("stopped: {}", a.desired_description)
            } else if a.client_description.is_empty() {
                "completed".to_owned()
            } else {
                format!("completed: {}", a.client_description)
            })
        }
        ClientStatus::Other(s) if s.is_empty() => None,
        ClientStatus::Other(s) => Some(s.clone()),
    }
}

fn failed_summary(a: &Allocation) -> String {
    // The first task that failed, in lifecycle order, explains the allocation.
    let failed = a.tasks_in_order().into_iter().find(|(_, t)| t.failed);
    match failed {
        Some((name, t)) => match decisive_event(t) {
            Some(e) => format!("{name}: {}", describe(e)),
            None => format!("{name} failed"),
        },
        None if !a.client_description.is_empty() => format!("failed: {}", a.client_description),
        None => "failed".to_owned(),
    }
}

/// The event that best says why a task died: a failure event, else its last exit.
pub fn decisive_event(t: &TaskState) -> Option<&TaskEvent> {
    let failure = t.events.iter().rev().find(|e| {
        matches!(
            e.r#type,
            T::DriverFailure
                | T::SetupFailure
                | T::FailedArtifactDownload
                | T::TaskHookFailed
                | T::FailedValidation
                | T::DiskResourcesExceeded
                | T::SiblingTaskFailed
                | T::LeaderTaskDead
        )
    });
    failure
        .or_else(|| t.events.iter().rev().find(|e| e.r#type == T::Terminated))
        .or_else(|| t.events.iter().rev().find(|e| e.fails_task))
        .or_else(|| t.events.last())
}

fn describe(e: &TaskEvent) -> String {
    if e.r#type == T::Terminated {
        let mut s =
            if e.oom_killed() { "OOM killed".to_owned() } else { format!("exit code {}", e.exit_code) };
        if e.oom_killed() {
            s.push_str(&format!(" (exit code {})", e.exit_code));
        }
        if e.signal != 0 {
            s.push_str(&format!(", signal {}", e.signal));
        }
        return s;
    }
    event_message(e)
}
