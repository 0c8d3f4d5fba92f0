//! The human text of a task event. Nomad's agent fills `DisplayMessage` in on its HTTP
//! responses, but not in event-stream payloads, evaluation allocation lists or very old
//! data, so the viewer computes what Nomad would have written (nomad-model.md §3.3,
//! `TaskEvent.PopulateEventDisplayMessage`).

use crate::enums::TaskEventType as T;
use crate::task::TaskEvent;
use crate::times::go_duration;

/// `DisplayMessage` when present, else the per-type text Nomad computes.
pub fn event_message(e: &TaskEvent) -> String {
    if !e.display_message.is_empty() {
        return e.display_message.to_string();
    }
    computed_message(e)
}

/// The text Nomad's `PopulateEventDisplayMessage` builds, ignoring `DisplayMessage`.
pub fn computed_message(e: &TaskEvent) -> String {
    let x = e.extra();
    let or = |s: &str, fallback: &str| if s.is_empty() { fallback.to_owned() } else { s.to_owned() };
    match &e.r#type {
        T::TaskSetup => e.message.to_string(),
        T::Started => "Task started by client".into(),
        T::Received => "Task received by client".into(),
        T::FailedValidation => or(&x.validation_error, "Validation of task failed"),
        T::SetupFailure => or(&x.setup_error, "Task setup failed"),
        T::DriverFailure => or(&x.driver_error, "Failed to start task"),
        T::DownloadingArtifacts => "Client is downloading artifacts".into(),
        T::FailedArtifactDownload => or(&x.download_error, "Failed to download artifacts"),
        T::Killing => {
            if !x.kill_reason.is_empty() {
                x.kill_reason.to_string()
            } else if x.kill_timeout != 0 {
                format!("Sent interrupt. Waiting {} before force killing", go_duration(x.kill_timeout))
            } else {
                "Sent interrupt".into()
            }
        }
        T::Killed => or(&x.kill_error, "Task successfully killed"),
        T::Terminated => {
            let mut parts = vec![format!("Exit Code: {}", x.exit_code)];
            if x.signal != 0 {
                parts.push(format!("Signal: {}", x.signal));
            }
            if !e.message.is_empty() {
                parts.push(format!("Exit Message: {}", go_quote(&e.message)));
            }
            parts.join(", ")
        }
        T::Restarting => {
            let base = format!("Task restarting in {}", go_duration(x.start_delay));
            if !x.restart_reason.is_empty() && &*x.restart_reason != "Restart within policy" {
                format!("{} - {base}", x.restart_reason)
            } else {
                base
            }
        }
        T::NotRestarting => or(&x.restart_reason, "Task exceeded restart policy"),
        T::SiblingTaskFailed => {
            if x.failed_sibling.is_empty() {
                "Task's sibling failed".into()
            } else {
                format!("Task's sibling {} failed", go_quote(&x.failed_sibling))
            }
        }
        T::Signaling => match (x.task_signal.is_empty(), x.task_signal_reason.is_empty()) {
            (true, true) => "Task being sent a signal".into(),
            (true, false) => x.task_signal_reason.to_string(),
            (false, true) => format!("Task being sent signal {}", x.task_signal),
            (false, false) => format!("Task being sent signal {}: {}", x.task_signal, x.task_signal_reason),
        },
        T::RestartSignaled => or(&x.restart_reason, "Task signaled to restart"),
        T::Driver => x.driver_message.to_string(),
        T::LeaderTaskDead => "Leader Task in Group dead".into(),
        T::MainTasksDead => "Main tasks in the group died".into(),
        T::Reconnected => "Client reconnected".into(),
        _ => e.message.to_string(),
    }
}

/// Go's `%q` (`strconv.Quote`): a double-quoted string with Go escapes. Nomad writes
/// messages with it, and so does the Nomad API test double for its error texts.
pub fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::enums::TaskEventType;

    fn ev(t: TaskEventType) -> TaskEvent {
        TaskEvent { r#type: t, ..Default::default() }
    }

    #[test]
    fn display_message_wins() {
        let mut e = ev(T::Started);
        e.display_message = "custom".into();
        assert_eq!(event_message(&e), "custom");
    }

    #[test]
    fn computed_messages_match_nomad() {
        let mut e = ev(T::Terminated);
        e.extra_mut().exit_code = 137;
        e.message = "OOM Killed".into();
        assert_eq!(event_message(&e), "Exit Code: 137, Exit Message: \"OOM Killed\"");
        e.extra_mut().signal = 9;
        e.message = "".into();
        assert_eq!(event_message(&e), "Exit Code: 137, Signal: 9");

        let mut e = ev(T::Restarting);
        e.extra_mut().start_delay = 16_732_000_000;
        e.extra_mut().restart_reason = "Restart within policy".into();
        assert_eq!(event_message(&e), "Task restarting in 16.732s");
        e.extra_mut().restart_reason = "Template with change_mode restart re-rendered".into();
        assert_eq!(
            event_message(&e),
            "Template with change_mode restart re-rendered - Task restarting in 16.732s"
        );

        let mut e = ev(T::Killing);
        e.extra_mut().kill_timeout = 5_000_000_000;
        assert_eq!(event_message(&e), "Sent interrupt. Waiting 5s before force killing");

        let mut e = ev(T::SiblingTaskFailed);
        e.extra_mut().failed_sibling = "web".into();
        assert_eq!(event_message(&e), "Task's sibling \"web\" failed");

        let mut e = ev(T::Signaling);
        e.extra_mut().task_signal = "SIGHUP".into();
        e.extra_mut().task_signal_reason = "Template re-rendered".into();
        assert_eq!(event_message(&e), "Task being sent signal SIGHUP: Template re-rendered");

        assert_eq!(event_message(&ev(T::NotRestarting)), "Task exceeded restart policy");
        assert_eq!(event_message(&ev(T::DriverFailure)), "Failed to start task");
        let mut e = ev(T::Other("Alloc Unhealthy, custom".into()));
        e.message = "Task not running by healthy_deadline of 5m0s".into();
        assert_eq!(event_message(&e), "Task not running by healthy_deadline of 5m0s");
    }
}
