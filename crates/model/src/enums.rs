//! Open enumerations. Nomad adds statuses and event types in almost every release and
//! drivers emit types that are not constants at all (nomad-model.md §0.10, §3.2), so every
//! enum keeps the text it did not recognise instead of failing or dropping it.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

macro_rules! open_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $($variant,)*
            /// A value this version of allocscope does not know, kept verbatim.
            /// `Other("")` is what an absent or `null` field decodes to.
            Other(String),
        }

        impl $name {
            /// Every known variant, in the order Nomad documents them.
            pub const KNOWN: &'static [$name] = &[$($name::$variant,)*];

            pub fn as_str(&self) -> &str {
                match self {
                    $($name::$variant => $text,)*
                    $name::Other(s) => s,
                }
            }

            pub fn is_known(&self) -> bool {
                !matches!(self, $name::Other(_))
            }

            pub fn is_empty(&self) -> bool {
                matches!(self, $name::Other(s) if s.is_empty())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                $name::Other(String::new())
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                match s {
                    $($text => $name::$variant,)*
                    other => $name::Other(other.to_owned()),
                }
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> Self {
                match s.as_str() {
                    $($text => $name::$variant,)*
                    _ => $name::Other(s),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
                ser.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
                let s: Option<std::borrow::Cow<'de, str>> = Option::deserialize(de)?;
                Ok(s.map(|s| $name::from(s.as_ref())).unwrap_or_default())
            }
        }
    };
}

open_enum!(
    /// `Allocation.ClientStatus`: what the client reports.
    ClientStatus {
        Pending => "pending",
        Running => "running",
        Complete => "complete",
        Failed => "failed",
        Lost => "lost",
        Unknown => "unknown",
    }
);

impl ClientStatus {
    /// Nomad's `terminalAllocationStatuses`.
    pub fn is_terminal(&self) -> bool {
        matches!(self, ClientStatus::Complete | ClientStatus::Failed | ClientStatus::Lost)
    }

    /// The order Nomad's UI sorts statuses in (`statusIndex`): live first, bad last.
    pub fn rank(&self) -> u8 {
        match self {
            ClientStatus::Pending => 0,
            ClientStatus::Running => 1,
            ClientStatus::Complete => 2,
            ClientStatus::Unknown => 3,
            ClientStatus::Failed => 4,
            ClientStatus::Lost => 5,
            ClientStatus::Other(_) => 6,
        }
    }
}

open_enum!(
    /// `Allocation.DesiredStatus`: what the scheduler wants.
    DesiredStatus {
        Run => "run",
        Stop => "stop",
        Evict => "evict",
    }
);

open_enum!(
    /// `TaskState.State`.
    TaskStateKind {
        Pending => "pending",
        Running => "running",
        Dead => "dead",
    }
);

open_enum!(
    /// `TaskEvent.Type`, including the types emitted without a constant (`Alloc Unhealthy`,
    /// `Template`).
    TaskEventType {
        SetupFailure => "Setup Failure",
        DriverFailure => "Driver Failure",
        Received => "Received",
        FailedValidation => "Failed Validation",
        Started => "Started",
        Terminated => "Terminated",
        Killing => "Killing",
        Killed => "Killed",
        Restarting => "Restarting",
        NotRestarting => "Not Restarting",
        RestartSignaled => "Restart Signaled",
        Signaling => "Signaling",
        DownloadingArtifacts => "Downloading Artifacts",
        FailedArtifactDownload => "Failed Artifact Download",
        BuildingTaskDirectory => "Building Task Directory",
        TaskSetup => "Task Setup",
        DiskResourcesExceeded => "Disk Resources Exceeded",
        SiblingTaskFailed => "Sibling Task Failed",
        Driver => "Driver",
        LeaderTaskDead => "Leader Task Dead",
        TaskHookFailed => "Task hook failed",
        FailedRestoringTask => "Failed Restoring Task",
        PluginUnhealthy => "Plugin became unhealthy",
        PluginHealthy => "Plugin became healthy",
        MainTasksDead => "Main Tasks Dead",
        Reconnected => "Reconnected",
        TaskHookMessage => "Task hook message",
        WaitingForShutdownDelay => "Waiting for shutdown delay",
        SkippingShutdownDelay => "Skipping shutdown delay",
        Pausing => "Pausing",
        Running => "Running",
        AllocUnhealthy => "Alloc Unhealthy",
        Template => "Template",
    }
);

open_enum!(
    /// `RescheduleTracker.LastReschedule` (1.8.1+).
    LastReschedule {
        Ok => "ok",
        NoPlacement => "no placement",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_values_are_kept_verbatim() {
        let s: ClientStatus = serde_json::from_str("\"draining-ish\"").unwrap();
        assert_eq!(s, ClientStatus::Other("draining-ish".into()));
        assert_eq!(serde_json::to_string(&s).unwrap(), "\"draining-ish\"");
        let t: TaskEventType = serde_json::from_str("\"Alloc Unhealthy\"").unwrap();
        assert_eq!(t, TaskEventType::AllocUnhealthy);
        let n: ClientStatus = serde_json::from_str("null").unwrap();
        assert!(n.is_empty());
    }
}
