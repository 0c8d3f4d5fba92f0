//! The embedded `Job`: large, version-dependent and mostly irrelevant to a viewer, so it is
//! kept as raw JSON (it round-trips exactly) with typed accessors for what allocscope reads.

use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Job(pub Value);

/// A task group's `restart` block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RestartPolicy {
    pub attempts: i64,
    /// Nanoseconds.
    pub interval: i64,
    /// Nanoseconds.
    pub delay: i64,
    /// `fail` or `delay`.
    pub mode: String,
}

/// A task group's `reschedule` block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReschedulePolicy {
    pub attempts: i64,
    /// Nanoseconds.
    pub interval: i64,
    /// Nanoseconds.
    pub delay: i64,
    /// `constant`, `exponential` or `fibonacci`.
    pub delay_function: String,
    /// Nanoseconds.
    pub max_delay: i64,
    pub unlimited: bool,
}

impl Job {
    pub fn str_field(&self, key: &str) -> Option<&str> {
        self.0.get(key)?.as_str()
    }

    pub fn id(&self) -> Option<&str> {
        self.str_field("ID")
    }

    pub fn version(&self) -> Option<u64> {
        self.0.get("Version")?.as_u64()
    }

    /// `service`, `batch`, `system` or `sysbatch`.
    pub fn job_type(&self) -> Option<&str> {
        self.str_field("Type")
    }

    pub fn priority(&self) -> Option<i64> {
        self.0.get("Priority")?.as_i64()
    }

    pub fn task_group(&self, name: &str) -> Option<&Value> {
        self.0
            .get("TaskGroups")?
            .as_array()?
            .iter()
            .find(|g| g.get("Name").and_then(Value::as_str) == Some(name))
    }

    pub fn restart_policy(&self, group: &str) -> Option<RestartPolicy> {
        let p = self.task_group(group)?.get("RestartPolicy")?;
        if !p.is_object() {
            return None;
        }
        Some(RestartPolicy {
            attempts: int(p, "Attempts"),
            interval: int(p, "Interval"),
            delay: int(p, "Delay"),
            mode: p.get("Mode").and_then(Value::as_str).unwrap_or("").to_owned(),
        })
    }

    pub fn reschedule_policy(&self, group: &str) -> Option<ReschedulePolicy> {
        let p = self.task_group(group)?.get("ReschedulePolicy")?;
        if !p.is_object() {
            return None;
        }
        Some(ReschedulePolicy {
            attempts: int(p, "Attempts"),
            interval: int(p, "Interval"),
            delay: int(p, "Delay"),
            delay_function: p.get("DelayFunction").and_then(Value::as_str).unwrap_or("").to_owned(),
            max_delay: int(p, "MaxDelay"),
            unlimited: p.get("Unlimited").and_then(Value::as_bool).unwrap_or(false),
        })
    }

    /// `(hook, sidecar)` of a task from the job spec's `Lifecycle` block.
    pub fn task_lifecycle(&self, group: &str, task: &str) -> Option<(&str, bool)> {
        let t = self
            .task_group(group)?
            .get("Tasks")?
            .as_array()?
            .iter()
            .find(|t| t.get("Name").and_then(Value::as_str) == Some(task))?;
        let l = t.get("Lifecycle")?;
        Some((
            l.get("Hook").and_then(Value::as_str).unwrap_or(""),
            l.get("Sidecar").and_then(Value::as_bool).unwrap_or(false),
        ))
    }
}

/// Integers in a job may be written as numbers or, in hand-edited files, numeric strings.
fn int(v: &Value, key: &str) -> i64 {
    match v.get(key) {
        Some(Value::Number(n)) => n.as_i64().unwrap_or(0),
        Some(Value::String(s)) => s.parse().unwrap_or(0),
        _ => 0,
    }
}
