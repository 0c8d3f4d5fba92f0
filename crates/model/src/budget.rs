//! Attempt budgets: restarts used against the group's restart policy, reschedules used
//! against its reschedule policy, and what Nomad will do next. Policies come from the
//! allocation's embedded job, which only full allocations carry; without it the budget
//! says so instead of guessing.

use crate::allocation::{short_id, Allocation};
use crate::enums::{ClientStatus, DesiredStatus, TaskEventType as T};
use crate::job::{ReschedulePolicy, RestartPolicy};
use crate::times::go_duration;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RestartBudget {
    pub task: String,
    /// `TaskState.Restarts`: all restarts of this task in this allocation.
    pub used: u64,
    /// Restarts inside the policy's interval before the task's last event, counted from
    /// the `Restarting` events Nomad kept (it keeps only the last 10 per task).
    pub used_in_interval: usize,
    pub policy: Option<RestartPolicy>,
    /// Nomad gave up restarting (a `Not Restarting` event).
    pub exhausted: bool,
}

impl RestartBudget {
    /// `2 of 2 restarts used in 30m0s (mode fail)`, or what is known without a policy.
    pub fn describe(&self) -> String {
        match &self.policy {
            Some(p) => format!(
                "{} of {} restarts used in {} (mode {}){}",
                self.used_in_interval,
                p.attempts,
                go_duration(p.interval),
                if p.mode.is_empty() { "?" } else { &p.mode },
                if self.used as usize > self.used_in_interval {
                    format!("; {} in all", self.used)
                } else {
                    String::new()
                }
            ),
            None => format!("{} restarts (the restart policy is not in the data)", self.used),
        }
    }
}

/// Restart budgets of every task, in lifecycle order.
pub fn restart_budgets(a: &Allocation) -> Vec<RestartBudget> {
    let policy = a.job.as_ref().and_then(|j| j.restart_policy(&a.task_group));
    a.tasks_in_order()
        .into_iter()
        .map(|(name, t)| {
            let restarts: Vec<i64> = t
                .events
                .iter()
                .filter(|e| e.r#type == T::Restarting)
                .filter_map(|e| e.known_time())
                .collect();
            let counted = match (&policy, t.events.iter().rev().find_map(|e| e.known_time())) {
                (Some(p), Some(last)) if p.interval > 0 => {
                    restarts.iter().filter(|&&r| r > last - p.interval).count()
                }
                _ => restarts.len(),
            };
            // With no Restarting event left in the window, the total is the best estimate.
            let used_in_interval =
                if restarts.is_empty() { t.restarts as usize } else { counted.min(t.restarts as usize) };
            RestartBudget {
                task: name.to_owned(),
                used: t.restarts,
                used_in_interval,
                policy: policy.clone(),
                exhausted: t.events.iter().any(|e| e.r#type == T::NotRestarting),
            }
        })
        .collect()
}

/// What Nomad will do about this allocation next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outlook {
    /// Still pending or running: no reschedule in question.
    Live,
    /// Already replaced by another allocation.
    Replaced { by: String },
    /// A follow-up evaluation will reschedule it after `delay` (estimated from the policy),
    /// at about `eta` (Unix ns).
    Pending { eval: String, delay: i64, eta: i64 },
    /// Nomad will not reschedule it, and why.
    Stopped { reason: String },
    /// Not failed (completed, stopped): rescheduling does not apply.
    NotApplicable,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RescheduleBudget {
    /// Reschedules recorded in this allocation's tracker (its predecessors).
    pub used: usize,
    /// Of those, inside the policy's interval before this allocation ended.
    pub used_in_interval: usize,
    pub policy: Option<ReschedulePolicy>,
    pub outlook: Outlook,
}

impl RescheduleBudget {
    pub fn describe_policy(&self) -> String {
        match &self.policy {
            None => "the reschedule policy is not in the data (list entries do not carry the job)".to_owned(),
            Some(p) if p.unlimited => format!(
                "unlimited reschedules, {} delay from {} up to {}",
                p.delay_function,
                go_duration(p.delay),
                go_duration(p.max_delay)
            ),
            Some(p) if p.attempts == 0 => "no reschedules allowed".to_owned(),
            Some(p) => format!(
                "{} reschedule{} in {}, {} delay from {}{}",
                p.attempts,
                if p.attempts == 1 { "" } else { "s" },
                go_duration(p.interval),
                p.delay_function,
                go_duration(p.delay),
                if p.max_delay > 0 { format!(" up to {}", go_duration(p.max_delay)) } else { String::new() }
            ),
        }
    }

    /// `3 used (unlimited)`, `1 of 2 used in 1h0m0s`.
    pub fn describe_used(&self) -> String {
        match &self.policy {
            Some(p) if p.unlimited => format!("{} used (unlimited)", self.used),
            Some(p) => {
                format!("{} of {} used in {}", self.used_in_interval, p.attempts, go_duration(p.interval))
            }
            None => format!("{} recorded", self.used),
        }
    }

    pub fn describe_outlook(&self) -> String {
        match &self.outlook {
            Outlook::Live => "running: no reschedule in question".to_owned(),
            Outlook::Replaced { by } => format!("rescheduled or replaced by {}", short_id(by)),
            Outlook::Pending { delay, .. } => {
                format!(
                    "Nomad will reschedule it after about {} (a follow-up evaluation is pending)",
                    go_duration(*delay)
                )
            }
            Outlook::Stopped { reason } => format!("Nomad has stopped rescheduling: {reason}"),
            Outlook::NotApplicable => "it did not fail: rescheduling does not apply".to_owned(),
        }
    }
}

/// The delay Nomad would use for the next reschedule (`NextDelay` in Nomad's scheduler).
pub fn next_delay(p: &ReschedulePolicy, previous_delays: &[i64]) -> i64 {
    let cap = |d: i64| if p.max_delay > 0 { d.min(p.max_delay) } else { d };
    let last = previous_delays.last().copied().filter(|d| *d > 0);
    match (p.delay_function.as_str(), last) {
        (_, None) => p.delay,
        ("exponential", Some(d)) => cap(d.saturating_mul(2)),
        ("fibonacci", Some(d)) => {
            let before = previous_delays.iter().rev().nth(1).copied().unwrap_or(0);
            cap(if before == 0 { d } else { d.saturating_add(before) })
        }
        (_, Some(_)) => p.delay,
    }
}

pub fn reschedule_budget(a: &Allocation) -> RescheduleBudget {
    let policy = a.job.as_ref().and_then(|j| j.reschedule_policy(&a.task_group));
    let events = a.reschedule_tracker.as_ref().map(|t| t.events.as_slice()).unwrap_or(&[]);
    let used = events.len();
    let end = if a.modify_time > 0 { a.modify_time } else { a.create_time };
    let used_in_interval = match &policy {
        Some(p) if p.interval > 0 => events.iter().filter(|e| e.reschedule_time > end - p.interval).count(),
        _ => used,
    };
    let job_type = a.job_type();
    let outlook = if !a.next_allocation.is_empty() {
        Outlook::Replaced { by: a.next_allocation.clone() }
    } else {
        match a.client_status {
            ClientStatus::Pending | ClientStatus::Running | ClientStatus::Unknown => Outlook::Live,
            ClientStatus::Failed | ClientStatus::Lost => {
                if !a.followup_eval_id.is_empty() {
                    let delays: Vec<i64> = events.iter().map(|e| e.delay).collect();
                    let delay = policy.as_ref().map(|p| next_delay(p, &delays)).unwrap_or(0);
                    Outlook::Pending {
                        eval: a.followup_eval_id.clone(),
                        delay,
                        eta: end.saturating_add(delay),
                    }
                } else {
                    Outlook::Stopped { reason: stop_reason(a, job_type, policy.as_ref(), used_in_interval) }
                }
            }
            _ => Outlook::NotApplicable,
        }
    };
    RescheduleBudget { used, used_in_interval, policy, outlook }
}

fn stop_reason(
    a: &Allocation,
    job_type: &str,
    policy: Option<&ReschedulePolicy>,
    used_in_interval: usize,
) -> String {
    if a.reschedule_failed_to_place() {
        return "the last reschedule found no node to place it on".to_owned();
    }
    if matches!(job_type, "system" | "sysbatch") {
        return format!("{job_type} jobs are not rescheduled; they run wherever their constraints match");
    }
    if matches!(a.desired_status, DesiredStatus::Stop | DesiredStatus::Evict)
        && a.desired_description != "alloc was rescheduled because it failed"
    {
        let why = if a.desired_description.is_empty() {
            "the scheduler stopped it"
        } else {
            a.desired_description.as_str()
        };
        return format!("it is no longer wanted ({why})");
    }
    if a.client_status == ClientStatus::Lost {
        return "lost allocations are replaced by the scheduler, not rescheduled; no replacement is recorded"
            .to_owned();
    }
    match policy {
        Some(p) if !p.unlimited && p.attempts == 0 => {
            "the reschedule policy allows no reschedules".to_owned()
        }
        Some(p) if !p.unlimited && used_in_interval as i64 >= p.attempts => format!(
            "all {} reschedule attempt{} within {} are used",
            p.attempts,
            if p.attempts == 1 { "" } else { "s" },
            go_duration(p.interval)
        ),
        Some(_) => "no follow-up evaluation or replacement is recorded".to_owned(),
        None => {
            "no follow-up evaluation or replacement is recorded (the policy is not in the data)".to_owned()
        }
    }
}
