//! `TaskState` and `TaskEvent` (nomad-model.md §2.3, §2.4).

use crate::enums::{TaskEventType, TaskStateKind};
use crate::serde_util::{is_zero_i64, null_default, null_default_exact, string_map};
use crate::sorted_map::SortedMap;
use crate::times::NomadTime;
use serde::{Deserialize, Serialize};

/// The state of one task in an allocation, keyed by task name in `Allocation::task_states`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TaskState {
    #[serde(default)]
    pub state: TaskStateKind,
    /// `dead` with `failed == false` means the task finished successfully.
    #[serde(default, deserialize_with = "null_default")]
    pub failed: bool,
    #[serde(default, deserialize_with = "null_default")]
    pub restarts: u64,
    #[serde(default)]
    pub last_restart: NomadTime,
    #[serde(default)]
    pub started_at: NomadTime,
    #[serde(default)]
    pub finished_at: NomadTime,
    /// Emission order, oldest first. The client keeps only the last 10.
    #[serde(default, deserialize_with = "null_default_exact")]
    pub events: Vec<TaskEvent>,
    /// Enterprise task schedules (1.8+); `""` means "run".
    #[serde(default, deserialize_with = "null_default", skip_serializing_if = "String::is_empty")]
    pub paused: String,
}

impl TaskState {
    pub fn last_event(&self) -> Option<&TaskEvent> {
        self.events.last()
    }

    /// Dead and not failed: the task did its job.
    pub fn succeeded(&self) -> bool {
        self.state == TaskStateKind::Dead && !self.failed
    }
}

/// One task event. Every field is always on the wire (the struct has no omitempty), and the
/// deprecated typed fields duplicate `details` keys.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TaskEvent {
    #[serde(default)]
    pub r#type: TaskEventType,
    /// Unix nanoseconds; negative or zero means the time is unknown (driver events).
    #[serde(default, deserialize_with = "null_default")]
    pub time: i64,
    #[serde(default, deserialize_with = "null_default")]
    pub message: String,
    /// Computed server-side; empty in event-stream payloads. See `event_message`.
    #[serde(default, deserialize_with = "null_default")]
    pub display_message: String,
    /// All values are strings on the wire; the map itself can be `null`. Keys sorted.
    #[serde(default, deserialize_with = "string_map")]
    pub details: Option<SortedMap<Box<str>>>,
    #[serde(default, deserialize_with = "null_default")]
    pub fails_task: bool,
    #[serde(default, deserialize_with = "null_default")]
    pub restart_reason: String,
    #[serde(default, deserialize_with = "null_default")]
    pub setup_error: String,
    #[serde(default, deserialize_with = "null_default")]
    pub driver_error: String,
    #[serde(default, deserialize_with = "null_default")]
    pub exit_code: i64,
    #[serde(default, deserialize_with = "null_default")]
    pub signal: i64,
    /// Nanoseconds.
    #[serde(default, deserialize_with = "null_default")]
    pub kill_timeout: i64,
    #[serde(default, deserialize_with = "null_default")]
    pub kill_error: String,
    #[serde(default, deserialize_with = "null_default")]
    pub kill_reason: String,
    /// Nanoseconds.
    #[serde(default, deserialize_with = "null_default")]
    pub start_delay: i64,
    #[serde(default, deserialize_with = "null_default")]
    pub download_error: String,
    #[serde(default, deserialize_with = "null_default")]
    pub validation_error: String,
    #[serde(default, deserialize_with = "null_default")]
    pub disk_limit: i64,
    #[serde(default, deserialize_with = "null_default")]
    pub failed_sibling: String,
    #[serde(default, deserialize_with = "null_default")]
    pub vault_error: String,
    #[serde(default, deserialize_with = "null_default")]
    pub task_signal_reason: String,
    #[serde(default, deserialize_with = "null_default")]
    pub task_signal: String,
    #[serde(default, deserialize_with = "null_default")]
    pub driver_message: String,
    #[serde(default, deserialize_with = "null_default", skip_serializing_if = "String::is_empty")]
    pub generic_source: String,
    /// Only the Go `api` client's copy has this (CLI `-json` output); the server never sends it.
    #[serde(default, deserialize_with = "null_default", skip_serializing_if = "is_zero_i64")]
    pub disk_size: i64,
}

impl TaskEvent {
    /// A `details` value, treating a `null` map as empty.
    pub fn detail(&self, key: &str) -> Option<&str> {
        self.details.as_ref()?.get(key).map(|v| &**v)
    }

    /// True when the kernel's OOM killer ended the task: the `oom_killed` detail (0.9+), or
    /// the docker driver's "OOM Killed" exit message on older payloads.
    pub fn oom_killed(&self) -> bool {
        self.detail("oom_killed") == Some("true")
            || (self.r#type == TaskEventType::Terminated && self.message.eq_ignore_ascii_case("OOM Killed"))
    }

    /// The event time when it is a real time (positive Unix nanoseconds).
    pub fn known_time(&self) -> Option<i64> {
        crate::times::unix_nanos_known(self.time)
    }
}
