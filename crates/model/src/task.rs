//! `TaskState` and `TaskEvent` (nomad-model.md §2.3, §2.4).

use crate::enums::{TaskEventType, TaskStateKind};
use crate::serde_util::{is_zero_i64, null_default, null_default_exact, string_map};
use crate::sorted_map::SortedMap;
use crate::text::Text;
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
///
/// Most events set only their type, time, messages and details, so the ~20 other fields
/// live in `extra`, allocated only for an event that sets one of them: a large list holds
/// hundreds of thousands of events. Read them with `extra()`, which gives the defaults for
/// an event without. On the wire nothing changes: every field is read and written in
/// Nomad's order (see `TaskEventWire`).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(from = "TaskEventWire")]
pub struct TaskEvent {
    pub r#type: TaskEventType,
    /// Unix nanoseconds; negative or zero means the time is unknown (driver events).
    pub time: i64,
    pub message: Text,
    /// Computed server-side; empty in event-stream payloads. See `event_message`.
    pub display_message: Text,
    /// All values are strings on the wire; the map itself can be `null`. Keys sorted.
    pub details: Option<SortedMap<Text, Text>>,
    /// `None` when every field in it has its default; `extra()` reads either way.
    pub extra: Option<Box<TaskEventExtra>>,
}

/// The task event fields that most events leave at their defaults.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TaskEventExtra {
    pub fails_task: bool,
    pub restart_reason: Box<str>,
    pub setup_error: Box<str>,
    pub driver_error: Box<str>,
    pub exit_code: i64,
    pub signal: i64,
    /// Nanoseconds.
    pub kill_timeout: i64,
    pub kill_error: Box<str>,
    pub kill_reason: Box<str>,
    /// Nanoseconds.
    pub start_delay: i64,
    pub download_error: Box<str>,
    pub validation_error: Box<str>,
    pub disk_limit: i64,
    pub failed_sibling: Box<str>,
    pub vault_error: Box<str>,
    pub task_signal_reason: Box<str>,
    pub task_signal: Box<str>,
    pub driver_message: Box<str>,
    /// Written only when set.
    pub generic_source: Box<str>,
    /// Only the Go `api` client's copy has this (CLI `-json` output); the server never sends
    /// it. Written only when set.
    pub disk_size: i64,
}

impl TaskEventExtra {
    /// Every field at its default. (Field by field: a derived `==` against a default value
    /// calls `memcmp` for each empty string, which showed up as 20% of decoding.)
    pub fn is_default(&self) -> bool {
        !self.fails_task
            && self.exit_code == 0
            && self.signal == 0
            && self.kill_timeout == 0
            && self.start_delay == 0
            && self.disk_limit == 0
            && self.disk_size == 0
            && self.restart_reason.is_empty()
            && self.setup_error.is_empty()
            && self.driver_error.is_empty()
            && self.kill_error.is_empty()
            && self.kill_reason.is_empty()
            && self.download_error.is_empty()
            && self.validation_error.is_empty()
            && self.failed_sibling.is_empty()
            && self.vault_error.is_empty()
            && self.task_signal_reason.is_empty()
            && self.task_signal.is_empty()
            && self.driver_message.is_empty()
            && self.generic_source.is_empty()
    }
}

/// What `extra()` reads for an event without one. (Lazy: an empty `Box<str>` is not const.)
static NO_EXTRA: std::sync::LazyLock<TaskEventExtra> = std::sync::LazyLock::new(TaskEventExtra::default);

/// Events are equal when their fields are: an `extra` of all defaults equals none.
impl PartialEq for TaskEvent {
    fn eq(&self, other: &Self) -> bool {
        self.r#type == other.r#type
            && self.time == other.time
            && self.message == other.message
            && self.display_message == other.display_message
            && self.details == other.details
            && self.extra() == other.extra()
    }
}

/// The wire form, as decoded: every field of Nomad's `TaskEvent`, each as lenient as it
/// always was (`null` is the default).
#[derive(Deserialize)]
#[serde(rename = "TaskEvent", rename_all = "PascalCase")]
struct TaskEventWire {
    #[serde(default)]
    r#type: TaskEventType,
    #[serde(default, deserialize_with = "null_default")]
    time: i64,
    #[serde(default, deserialize_with = "null_default")]
    message: Text,
    #[serde(default, deserialize_with = "null_default")]
    display_message: Text,
    #[serde(default, deserialize_with = "string_map")]
    details: Option<SortedMap<Text, Text>>,
    #[serde(default, deserialize_with = "null_default")]
    fails_task: bool,
    #[serde(default, deserialize_with = "null_default")]
    restart_reason: String,
    #[serde(default, deserialize_with = "null_default")]
    setup_error: String,
    #[serde(default, deserialize_with = "null_default")]
    driver_error: String,
    #[serde(default, deserialize_with = "null_default")]
    exit_code: i64,
    #[serde(default, deserialize_with = "null_default")]
    signal: i64,
    #[serde(default, deserialize_with = "null_default")]
    kill_timeout: i64,
    #[serde(default, deserialize_with = "null_default")]
    kill_error: String,
    #[serde(default, deserialize_with = "null_default")]
    kill_reason: String,
    #[serde(default, deserialize_with = "null_default")]
    start_delay: i64,
    #[serde(default, deserialize_with = "null_default")]
    download_error: String,
    #[serde(default, deserialize_with = "null_default")]
    validation_error: String,
    #[serde(default, deserialize_with = "null_default")]
    disk_limit: i64,
    #[serde(default, deserialize_with = "null_default")]
    failed_sibling: String,
    #[serde(default, deserialize_with = "null_default")]
    vault_error: String,
    #[serde(default, deserialize_with = "null_default")]
    task_signal_reason: String,
    #[serde(default, deserialize_with = "null_default")]
    task_signal: String,
    #[serde(default, deserialize_with = "null_default")]
    driver_message: String,
    #[serde(default, deserialize_with = "null_default")]
    generic_source: String,
    #[serde(default, deserialize_with = "null_default")]
    disk_size: i64,
}

impl From<TaskEventWire> for TaskEvent {
    fn from(w: TaskEventWire) -> TaskEvent {
        let extra = TaskEventExtra {
            fails_task: w.fails_task,
            restart_reason: w.restart_reason.into(),
            setup_error: w.setup_error.into(),
            driver_error: w.driver_error.into(),
            exit_code: w.exit_code,
            signal: w.signal,
            kill_timeout: w.kill_timeout,
            kill_error: w.kill_error.into(),
            kill_reason: w.kill_reason.into(),
            start_delay: w.start_delay,
            download_error: w.download_error.into(),
            validation_error: w.validation_error.into(),
            disk_limit: w.disk_limit,
            failed_sibling: w.failed_sibling.into(),
            vault_error: w.vault_error.into(),
            task_signal_reason: w.task_signal_reason.into(),
            task_signal: w.task_signal.into(),
            driver_message: w.driver_message.into(),
            generic_source: w.generic_source.into(),
            disk_size: w.disk_size,
        };
        TaskEvent {
            r#type: w.r#type,
            time: w.time,
            message: w.message,
            display_message: w.display_message,
            details: w.details,
            extra: (!extra.is_default()).then(|| Box::new(extra)),
        }
    }
}

/// The wire form, as encoded: every field in Nomad's order, `GenericSource` and `DiskSize`
/// only when set.
#[derive(Serialize)]
#[serde(rename = "TaskEvent", rename_all = "PascalCase")]
struct TaskEventOut<'a> {
    r#type: &'a TaskEventType,
    time: i64,
    message: &'a str,
    display_message: &'a str,
    details: &'a Option<SortedMap<Text, Text>>,
    fails_task: bool,
    restart_reason: &'a str,
    setup_error: &'a str,
    driver_error: &'a str,
    exit_code: i64,
    signal: i64,
    kill_timeout: i64,
    kill_error: &'a str,
    kill_reason: &'a str,
    start_delay: i64,
    download_error: &'a str,
    validation_error: &'a str,
    disk_limit: i64,
    failed_sibling: &'a str,
    vault_error: &'a str,
    task_signal_reason: &'a str,
    task_signal: &'a str,
    driver_message: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    generic_source: &'a str,
    #[serde(skip_serializing_if = "is_zero_i64")]
    disk_size: i64,
}

impl Serialize for TaskEvent {
    fn serialize<S: serde::Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        let x = self.extra();
        TaskEventOut {
            r#type: &self.r#type,
            time: self.time,
            message: &self.message,
            display_message: &self.display_message,
            details: &self.details,
            fails_task: x.fails_task,
            restart_reason: &x.restart_reason,
            setup_error: &x.setup_error,
            driver_error: &x.driver_error,
            exit_code: x.exit_code,
            signal: x.signal,
            kill_timeout: x.kill_timeout,
            kill_error: &x.kill_error,
            kill_reason: &x.kill_reason,
            start_delay: x.start_delay,
            download_error: &x.download_error,
            validation_error: &x.validation_error,
            disk_limit: x.disk_limit,
            failed_sibling: &x.failed_sibling,
            vault_error: &x.vault_error,
            task_signal_reason: &x.task_signal_reason,
            task_signal: &x.task_signal,
            driver_message: &x.driver_message,
            generic_source: &x.generic_source,
            disk_size: x.disk_size,
        }
        .serialize(ser)
    }
}

impl TaskEvent {
    /// The less common fields, defaults included when the event has none set.
    pub fn extra(&self) -> &TaskEventExtra {
        self.extra.as_deref().unwrap_or(&NO_EXTRA)
    }

    /// The less common fields, to set one.
    pub fn extra_mut(&mut self) -> &mut TaskEventExtra {
        self.extra.get_or_insert_with(Box::default)
    }

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extra_is_allocated_only_for_events_that_set_a_rare_field() {
        let plain: TaskEvent =
            serde_json::from_str(r#"{"Type":"Started","Time":5,"ExitCode":0,"RestartReason":null}"#).unwrap();
        assert!(plain.extra.is_none());
        assert_eq!(plain.extra().exit_code, 0);
        let exit: TaskEvent = serde_json::from_str(r#"{"Type":"Terminated","ExitCode":137}"#).unwrap();
        assert_eq!(exit.extra.as_ref().map(|x| x.exit_code), Some(137));
        // An `extra` of defaults is the same event as none.
        let mut built = plain.clone();
        built.extra_mut();
        assert_eq!(built, plain);
        assert_eq!(serde_json::to_string(&built).unwrap(), serde_json::to_string(&plain).unwrap());
        // Each of the rare fields, set alone, keeps its box.
        let all = serde_json::to_value(&plain).unwrap();
        for (key, v) in all.as_object().unwrap() {
            if ["Type", "Time", "Message", "DisplayMessage", "Details"].contains(&key.as_str()) {
                continue;
            }
            let set = if v.is_boolean() {
                "true"
            } else if v.is_number() {
                "7"
            } else {
                "\"x\""
            };
            let e: TaskEvent = serde_json::from_str(&format!("{{\"{key}\":{set}}}")).unwrap();
            assert!(e.extra.is_some(), "{key}");
        }
        for key in ["GenericSource", "DiskSize"] {
            let set = if key == "DiskSize" { "7" } else { "\"x\"" };
            let e: TaskEvent = serde_json::from_str(&format!("{{\"{key}\":{set}}}")).unwrap();
            assert!(e.extra.is_some(), "{key}");
        }
    }
}
