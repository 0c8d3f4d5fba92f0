//! Why an allocation or a task ended: a classification with the evidence lines that
//! support it. Nomad never says this in one place (its UI does not even name an OOM kill);
//! the facts are spread over task events, `Details`, descriptions, `AllocStates` and
//! preemption fields, and this module reads them the way an operator would.

use crate::allocation::{short_id, Allocation};
use crate::enums::{ClientStatus, DesiredStatus, TaskEventType as T, TaskStateKind};
use crate::message::event_message;
use crate::task::{TaskEvent, TaskState};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CauseKind {
    /// The kernel's OOM killer ended a task (exit 137 with `oom_killed`).
    OomKilled,
    /// A task exited non-zero or was killed by a signal, and may be restarted.
    NonZeroExit,
    /// A task kept failing until its restart policy gave up.
    RestartsExhausted,
    /// The driver could not start the task (an image pull, a bad config).
    DriverFailure,
    /// Task setup failed (task directory, mounts).
    SetupFailure,
    /// An artifact could not be downloaded.
    ArtifactFailure,
    /// A template could not be rendered.
    TemplateFailure,
    /// A task hook failed (volumes, CSI, identity, Vault, ...).
    HookFailure,
    /// The task failed validation.
    ValidationFailure,
    /// The task used more disk than allowed.
    DiskExceeded,
    /// Killed because a sibling task failed.
    SiblingFailed,
    /// Killed because the group's leader task died.
    LeaderDied,
    /// The node stopped heartbeating: the allocation is lost.
    NodeLost,
    /// The node is disconnected: the allocation's state is unknown.
    NodeDisconnected,
    /// Evicted to make room for a higher-priority allocation.
    Preempted,
    /// Stopped or replaced because the job was updated.
    StoppedByJobUpdate,
    /// Stopped because its node was drained or the allocation migrated.
    StoppedByDrain,
    /// Stopped on request (`nomad alloc stop`, `nomad job stop`) or no longer needed.
    StoppedByUser,
    /// The deployment marked it unhealthy.
    DeploymentUnhealthy,
    /// Ran longer than the group's `max_run_duration` (Nomad 2.0.3+).
    MaxRunDuration,
    /// Every task finished successfully.
    Completed,
    /// Nothing fits; the raw facts are the evidence.
    Unknown,
}

impl CauseKind {
    /// A short label for list rows.
    pub fn label(&self) -> &'static str {
        match self {
            CauseKind::OomKilled => "OOM killed",
            CauseKind::NonZeroExit => "non-zero exit",
            CauseKind::RestartsExhausted => "restarts exhausted",
            CauseKind::DriverFailure => "driver failure",
            CauseKind::SetupFailure => "setup failure",
            CauseKind::ArtifactFailure => "artifact failure",
            CauseKind::TemplateFailure => "template failure",
            CauseKind::HookFailure => "hook failure",
            CauseKind::ValidationFailure => "invalid task",
            CauseKind::DiskExceeded => "disk exceeded",
            CauseKind::SiblingFailed => "sibling failed",
            CauseKind::LeaderDied => "leader died",
            CauseKind::NodeLost => "node lost",
            CauseKind::NodeDisconnected => "node disconnected",
            CauseKind::Preempted => "preempted",
            CauseKind::StoppedByJobUpdate => "job update",
            CauseKind::StoppedByDrain => "drain/migration",
            CauseKind::StoppedByUser => "stopped",
            CauseKind::DeploymentUnhealthy => "unhealthy",
            CauseKind::MaxRunDuration => "max run duration",
            CauseKind::Completed => "completed",
            CauseKind::Unknown => "unknown",
        }
    }

    /// Whether this ended in failure (as opposed to a stop, a completion, a node problem).
    pub fn is_failure(&self) -> bool {
        !matches!(
            self,
            CauseKind::Completed
                | CauseKind::StoppedByJobUpdate
                | CauseKind::StoppedByDrain
                | CauseKind::StoppedByUser
                | CauseKind::Preempted
                | CauseKind::Unknown
        )
    }
}

/// One fact supporting a cause.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Evidence {
    /// Unix nanoseconds, when the fact has a time.
    pub time: Option<i64>,
    /// Where the fact comes from: `task api, Terminated event`, `DesiredDescription`.
    pub source: String,
    pub text: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cause {
    pub kind: CauseKind,
    /// The task the cause is about, for task-level causes.
    pub task: Option<String>,
    /// One sentence: `api was OOM killed (exit code 137)`.
    pub summary: String,
    pub evidence: Vec<Evidence>,
}

impl Cause {
    /// The list-row label, naming the task when there is one: `api: OOM killed`.
    pub fn label(&self) -> String {
        match &self.task {
            Some(t) => format!("{t}: {}", self.kind.label()),
            None => self.kind.label().to_owned(),
        }
    }
}

fn event_evidence(task: &str, e: &TaskEvent) -> Evidence {
    let mut text = event_message(e);
    if text.is_empty() {
        text = e.r#type.as_str().to_owned();
    }
    Evidence { time: e.known_time(), source: format!("task {task}, {} event", e.r#type.as_str()), text }
}

fn field(source: &str, text: &str) -> Evidence {
    Evidence { time: None, source: source.to_owned(), text: text.to_owned() }
}

/// Why the allocation ended, or `None` while it is pending or running (and not lost,
/// disconnected or preempted).
pub fn allocation_cause(a: &Allocation) -> Option<Cause> {
    if a.was_preempted() || a.desired_description.starts_with("Preempted by alloc") {
        let by = &a.preempted_by_allocation;
        let mut ev = Vec::new();
        if !by.is_empty() {
            ev.push(field("PreemptedByAllocation", by));
        }
        if !a.desired_description.is_empty() {
            ev.push(field("DesiredDescription", &a.desired_description));
        }
        let summary = if by.is_empty() {
            "Preempted by a higher-priority allocation".to_owned()
        } else {
            format!("Preempted by allocation {} of higher priority", short_id(by))
        };
        return Some(Cause { kind: CauseKind::Preempted, task: None, summary, evidence: ev });
    }
    match &a.client_status {
        ClientStatus::Lost => {
            return Some(node_cause(
                a,
                CauseKind::NodeLost,
                "lost",
                "Its node stopped heartbeating; Nomad marked the allocation lost",
            ))
        }
        ClientStatus::Unknown => {
            return Some(node_cause(
                a,
                CauseKind::NodeDisconnected,
                "unknown",
                "Its node is disconnected; the allocation's state is unknown until it reconnects",
            ))
        }
        ClientStatus::Pending | ClientStatus::Running => return None,
        _ => {}
    }
    if a.client_description.contains("max_run_duration") {
        let ev = vec![field("ClientDescription", &a.client_description)];
        return Some(Cause {
            kind: CauseKind::MaxRunDuration,
            task: None,
            summary: "Ran longer than the group's max_run_duration".to_owned(),
            evidence: ev,
        });
    }
    let tasks = a.tasks_in_order();
    // The task whose failure explains the allocation: a sibling's kill points at the
    // sibling, so look for a failed task that is not a mere victim first.
    let failed: Vec<(&str, &TaskState)> = tasks.iter().copied().filter(|(_, t)| t.failed).collect();
    let primary = failed
        .iter()
        .map(|(n, t)| (*n, task_cause(n, t)))
        .find(|(_, c)| {
            !matches!(c.as_ref().map(|c| c.kind), Some(CauseKind::SiblingFailed | CauseKind::LeaderDied))
        })
        .or_else(|| failed.first().map(|(n, t)| (*n, task_cause(n, t))));
    if let Some((_, Some(cause))) = primary {
        let mut cause = cause;
        if a.deployment_status.as_ref().and_then(|d| d.healthy) == Some(false) {
            cause.evidence.push(field("DeploymentStatus", "the deployment marked this allocation unhealthy"));
        }
        return Some(cause);
    }
    if a.deployment_status.as_ref().and_then(|d| d.healthy) == Some(false) {
        let mut ev: Vec<Evidence> = tasks
            .iter()
            .flat_map(|(n, t)| {
                t.events.iter().filter(|e| e.r#type == T::AllocUnhealthy).map(move |e| event_evidence(n, e))
            })
            .collect();
        ev.push(field("DeploymentStatus.Healthy", "false"));
        return Some(Cause {
            kind: CauseKind::DeploymentUnhealthy,
            task: None,
            summary: "The deployment marked it unhealthy".to_owned(),
            evidence: ev,
        });
    }
    if a.desired_status != DesiredStatus::Run && !a.desired_status.is_empty() {
        return Some(stop_cause(a));
    }
    if a.client_status == ClientStatus::Complete {
        let ev = tasks
            .iter()
            .filter_map(|(n, t)| {
                t.events.iter().rev().find(|e| e.r#type == T::Terminated).map(|e| event_evidence(n, e))
            })
            .collect();
        return Some(Cause {
            kind: CauseKind::Completed,
            task: None,
            summary: "Every task finished successfully".to_owned(),
            evidence: ev,
        });
    }
    Some(unknown_cause(a))
}

fn node_cause(a: &Allocation, kind: CauseKind, state: &str, summary: &str) -> Cause {
    let mut ev: Vec<Evidence> = a
        .alloc_states
        .iter()
        .filter(|s| s.value == state)
        .map(|s| Evidence {
            time: s.time.unix_nanos(),
            source: "AllocStates".into(),
            text: format!("client status became {}", s.value),
        })
        .collect();
    ev.push(field("ClientStatus", a.client_status.as_str()));
    if !a.desired_description.is_empty() {
        ev.push(field("DesiredDescription", &a.desired_description));
    }
    if !a.client_description.is_empty() {
        ev.push(field("ClientDescription", &a.client_description));
    }
    let node = if a.node_name.is_empty() { short_id(&a.node_id).to_owned() } else { a.node_name.clone() };
    Cause { kind, task: None, summary: format!("{summary} (node {node})"), evidence: ev }
}

fn stop_cause(a: &Allocation) -> Cause {
    let d = a.desired_description.as_str();
    let (kind, summary) = if d.contains("job update") || d.contains("updating in-place") {
        (CauseKind::StoppedByJobUpdate, "Stopped because the job was updated")
    } else if d.contains("migrat") || d.contains("tainted") || d.contains("drain") {
        (CauseKind::StoppedByDrain, "Stopped because its node was drained or the allocation migrated")
    } else {
        (CauseKind::StoppedByUser, "Stopped on request, or no longer needed")
    };
    let mut ev = vec![field("DesiredStatus", a.desired_status.as_str())];
    if !d.is_empty() {
        ev.push(field("DesiredDescription", d));
    }
    if !a.next_allocation.is_empty() {
        ev.push(field("NextAllocation", &format!("replaced by {}", short_id(&a.next_allocation))));
    }
    Cause { kind, task: None, summary: summary.to_owned(), evidence: ev }
}

fn unknown_cause(a: &Allocation) -> Cause {
    let mut ev = vec![
        field("ClientStatus", a.client_status.as_str()),
        field("DesiredStatus", a.desired_status.as_str()),
    ];
    if !a.client_description.is_empty() {
        ev.push(field("ClientDescription", &a.client_description));
    }
    if !a.desired_description.is_empty() {
        ev.push(field("DesiredDescription", &a.desired_description));
    }
    for (n, t) in a.tasks_in_order() {
        if let Some(e) = t.last_event() {
            ev.push(event_evidence(n, e));
        }
    }
    Cause {
        kind: CauseKind::Unknown,
        task: None,
        summary: format!("Ended as {} with no recognisable cause", a.client_status),
        evidence: ev,
    }
}

/// Why a dead task ended; `None` while it runs or waits.
pub fn task_cause(name: &str, t: &TaskState) -> Option<Cause> {
    if t.state != TaskStateKind::Dead {
        return None;
    }
    let events = &t.events;
    let last = |ty: T| events.iter().rev().find(|e| e.r#type == ty);
    let not_restarting = last(T::NotRestarting);
    let mk = |kind: CauseKind, summary: String, mut evidence: Vec<Evidence>| {
        if let Some(nr) = not_restarting {
            if !evidence.iter().any(|e| e.source.contains("Not Restarting")) {
                evidence.push(event_evidence(name, nr));
            }
        }
        Some(Cause { kind, task: Some(name.to_owned()), summary, evidence })
    };
    // A failure event that prevents the task from running at all comes first.
    let blocking = events.iter().rev().find(|e| {
        matches!(
            e.r#type,
            T::DriverFailure
                | T::SetupFailure
                | T::FailedArtifactDownload
                | T::TaskHookFailed
                | T::FailedValidation
                | T::DiskResourcesExceeded
        ) || (e.r#type == T::Killing && e.display_message.starts_with("Template failed"))
    });
    if let Some(e) = blocking {
        let msg = event_message(e);
        let lower = msg.to_lowercase();
        let (kind, summary) = match e.r#type {
            T::DriverFailure if lower.contains("pull") || lower.contains("image") => {
                (CauseKind::DriverFailure, format!("{name} could not start: the image pull failed"))
            }
            T::DriverFailure => {
                (CauseKind::DriverFailure, format!("{name} could not start: the driver failed"))
            }
            T::SetupFailure => (CauseKind::SetupFailure, format!("{name} failed during setup")),
            T::FailedArtifactDownload => {
                (CauseKind::ArtifactFailure, format!("{name} could not download an artifact"))
            }
            T::TaskHookFailed if lower.contains("template") => {
                (CauseKind::TemplateFailure, format!("{name} could not render a template"))
            }
            T::TaskHookFailed => (CauseKind::HookFailure, format!("{name}: a task hook failed")),
            T::FailedValidation => (CauseKind::ValidationFailure, format!("{name} failed validation")),
            T::DiskResourcesExceeded => {
                (CauseKind::DiskExceeded, format!("{name} used more disk than allowed"))
            }
            _ => (CauseKind::TemplateFailure, format!("{name} was killed: a template failed")),
        };
        let mut ev = vec![event_evidence(name, e)];
        if let Some(d) = e.detail("driver_error").filter(|d| *d != msg) {
            ev.push(field(&format!("task {name}, Details.driver_error"), d));
        }
        return mk(kind, summary, ev);
    }
    if let Some(e) = last(T::SiblingTaskFailed) {
        let sib = if e.extra().failed_sibling.is_empty() {
            e.detail("failed_sibling").unwrap_or("").to_owned()
        } else {
            e.extra().failed_sibling.to_string()
        };
        let summary = if sib.is_empty() {
            format!("{name} was killed because a sibling task failed")
        } else {
            format!("{name} was killed because its sibling {sib} failed")
        };
        return mk(CauseKind::SiblingFailed, summary, vec![event_evidence(name, e)]);
    }
    if let Some(e) = last(T::LeaderTaskDead) {
        return mk(
            CauseKind::LeaderDied,
            format!("{name} was killed because the leader task died"),
            vec![event_evidence(name, e)],
        );
    }
    let exits: Vec<&TaskEvent> = events.iter().filter(|e| e.r#type == T::Terminated).collect();
    if let Some(e) = exits.last() {
        if e.oom_killed() {
            let mut ev = vec![event_evidence(name, e)];
            if e.detail("oom_killed") == Some("true") {
                ev.push(field(&format!("task {name}, Details.oom_killed"), "true"));
            }
            return mk(
                CauseKind::OomKilled,
                format!("{name} was OOM killed (exit code {})", e.extra().exit_code),
                ev,
            );
        }
        let x = e.extra();
        if x.exit_code != 0 || x.signal != 0 {
            let failing =
                exits.iter().map(|e| e.extra()).filter(|x| x.exit_code != 0 || x.signal != 0).count();
            let what = if x.signal != 0 {
                format!("signal {}", x.signal)
            } else {
                format!("exit code {}", x.exit_code)
            };
            let ev: Vec<Evidence> =
                exits.iter().rev().take(3).rev().map(|x| event_evidence(name, x)).collect();
            if not_restarting.is_some() {
                let times = if failing > 1 {
                    format!(", {failing} failing exits in the events kept")
                } else {
                    String::new()
                };
                return mk(
                    CauseKind::RestartsExhausted,
                    format!("{name} kept failing ({what}{times}) until its restart policy gave up"),
                    ev,
                );
            }
            return mk(CauseKind::NonZeroExit, format!("{name} exited with {what}"), ev);
        }
    }
    if let Some(nr) = not_restarting {
        return mk(
            CauseKind::RestartsExhausted,
            format!("{name} exceeded its restart policy"),
            vec![event_evidence(name, nr)],
        );
    }
    if t.failed {
        let ev = t.last_event().map(|e| vec![event_evidence(name, e)]).unwrap_or_default();
        return Some(Cause {
            kind: CauseKind::Unknown,
            task: Some(name.to_owned()),
            summary: format!("{name} failed"),
            evidence: ev,
        });
    }
    if let Some(e) = last(T::Killed) {
        return Some(Cause {
            kind: CauseKind::StoppedByUser,
            task: Some(name.to_owned()),
            summary: format!("{name} was stopped"),
            evidence: vec![event_evidence(name, e)],
        });
    }
    let ev = exits.last().map(|e| vec![event_evidence(name, e)]).unwrap_or_default();
    Some(Cause {
        kind: CauseKind::Completed,
        task: Some(name.to_owned()),
        summary: format!("{name} finished successfully"),
        evidence: ev,
    })
}
