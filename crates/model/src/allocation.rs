//! The allocation, as one type for both wire shapes: the full `Allocation` of
//! `/v1/allocation/:id` and `/v1/node/:id/allocations`, and the `AllocListStub` of the list
//! endpoints. Every field is optional on the wire (nomad-model.md §2.1, §2.2, §8), so one
//! lenient struct holds either, and `shape()` says which it came from. Encoding follows the
//! full allocation's rule since 0.9.2: empty top-level fields are left out.

use crate::enums::{ClientStatus, DesiredStatus, LastReschedule};
use crate::job::Job;
use crate::metrics::AllocMetric;
use crate::resources::{AllocatedResources, Resources};
use crate::serde_util::{is_zero_i64, is_zero_u64, null_default};
use crate::sorted_map::SortedMap;
use crate::task::TaskState;
use crate::times::NomadTime;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Fields that stubs never or seldom carry (the embedded job, resources, metrics, network
/// status, reschedule tracker) are boxed: a large list holds 100,000 of these, and inline
/// they made the struct 1,400 bytes where the boxes cost 8 each.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Allocation {
    #[serde(
        rename = "ID",
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub id: String,
    #[serde(default, deserialize_with = "null_default", skip_serializing_if = "String::is_empty")]
    pub namespace: String,
    #[serde(
        rename = "EvalID",
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub eval_id: String,
    /// `<job>.<group>[<index>]`
    #[serde(default, deserialize_with = "null_default", skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(
        rename = "NodeID",
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub node_id: String,
    #[serde(default, deserialize_with = "null_default", skip_serializing_if = "String::is_empty")]
    pub node_name: String,
    #[serde(
        rename = "JobID",
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub job_id: String,
    /// The job as it was when the allocation was placed. Full allocations only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job: Option<Box<Job>>,
    /// Stubs only: the job version and type (full allocations carry them inside `job`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_version: Option<u64>,
    #[serde(default, deserialize_with = "null_default", skip_serializing_if = "String::is_empty")]
    pub job_type: String,
    #[serde(default, deserialize_with = "null_default", skip_serializing_if = "String::is_empty")]
    pub task_group: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<Box<Resources>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shared_resources: Option<Box<Resources>>,
    #[serde(default, deserialize_with = "null_default", skip_serializing_if = "BTreeMap::is_empty")]
    pub task_resources: BTreeMap<String, Resources>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allocated_resources: Option<Box<AllocatedResources>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics: Option<Box<AllocMetric>>,
    #[serde(default, skip_serializing_if = "DesiredStatus::is_empty")]
    pub desired_status: DesiredStatus,
    #[serde(default, deserialize_with = "null_default", skip_serializing_if = "String::is_empty")]
    pub desired_description: String,
    #[serde(default, deserialize_with = "null_default", skip_serializing_if = "DesiredTransition::is_empty")]
    pub desired_transition: DesiredTransition,
    #[serde(default, skip_serializing_if = "ClientStatus::is_empty")]
    pub client_status: ClientStatus,
    #[serde(default, deserialize_with = "null_default", skip_serializing_if = "String::is_empty")]
    pub client_description: String,
    /// Keyed by task name (names may contain dots); sorted by name.
    #[serde(default, deserialize_with = "null_default", skip_serializing_if = "SortedMap::is_empty")]
    pub task_states: SortedMap<TaskState>,
    #[serde(default, deserialize_with = "null_default", skip_serializing_if = "Vec::is_empty")]
    pub alloc_states: Vec<AllocState>,
    /// Full allocations only: the allocation this one replaced.
    #[serde(default, deserialize_with = "null_default", skip_serializing_if = "String::is_empty")]
    pub previous_allocation: String,
    /// The allocation that replaced this one (stubs from 1.6).
    #[serde(default, deserialize_with = "null_default", skip_serializing_if = "String::is_empty")]
    pub next_allocation: String,
    #[serde(
        rename = "DeploymentID",
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub deployment_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployment_status: Option<AllocDeploymentStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reschedule_tracker: Option<Box<RescheduleTracker>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_status: Option<Box<AllocNetworkStatus>>,
    /// The evaluation that will reschedule this allocation later (a delayed reschedule).
    #[serde(
        rename = "FollowupEvalID",
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub followup_eval_id: String,
    #[serde(default, deserialize_with = "null_default", skip_serializing_if = "Vec::is_empty")]
    pub preempted_allocations: Vec<String>,
    #[serde(default, deserialize_with = "null_default", skip_serializing_if = "String::is_empty")]
    pub preempted_by_allocation: String,
    #[serde(
        rename = "SigningKeyID",
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub signing_key_id: String,
    #[serde(default, deserialize_with = "null_default", skip_serializing_if = "is_zero_u64")]
    pub create_index: u64,
    #[serde(default, deserialize_with = "null_default", skip_serializing_if = "is_zero_u64")]
    pub modify_index: u64,
    #[serde(default, deserialize_with = "null_default", skip_serializing_if = "is_zero_u64")]
    pub alloc_modify_index: u64,
    /// Unix nanoseconds.
    #[serde(default, deserialize_with = "null_default", skip_serializing_if = "is_zero_i64")]
    pub create_time: i64,
    /// Unix nanoseconds.
    #[serde(default, deserialize_with = "null_default", skip_serializing_if = "is_zero_i64")]
    pub modify_time: i64,
}

/// Which wire shape a decoded allocation came in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// A list stub: no `Job`, no `PreviousAllocation`, no metrics.
    Stub,
    /// A full allocation with its embedded `Job`.
    Full,
    /// A full allocation without `Job` (event-stream payloads), or data too old to tell.
    Partial,
}

impl Allocation {
    pub fn shape(&self) -> Shape {
        if self.job.is_some() {
            Shape::Full
        } else if self.job_version.is_some() || !self.job_type.is_empty() {
            Shape::Stub
        } else {
            Shape::Partial
        }
    }

    /// Whether a decoded object is an allocation at all, as opposed to another Nomad object
    /// that happens to have an `ID` (a service registration, an evaluation, `{}`).
    pub fn looks_like_allocation(&self) -> bool {
        !self.id.is_empty()
            && (!self.task_group.is_empty()
                || !self.client_status.is_empty()
                || !self.desired_status.is_empty())
    }

    /// The first 8 characters of the ID, as every Nomad tool shows it.
    pub fn short_id(&self) -> &str {
        short_id(&self.id)
    }

    /// The job version from the stub field, else from the embedded job.
    pub fn job_version(&self) -> Option<u64> {
        self.job_version.or_else(|| self.job.as_deref().and_then(Job::version))
    }

    /// The job type from the stub field, else from the embedded job.
    pub fn job_type(&self) -> &str {
        if !self.job_type.is_empty() {
            return &self.job_type;
        }
        self.job.as_deref().and_then(Job::job_type).unwrap_or("")
    }

    /// Namespace, falling back to the embedded job's, then to Nomad's `default` (0.8 data
    /// has no namespace field at all).
    pub fn namespace_or_default(&self) -> &str {
        if !self.namespace.is_empty() {
            return &self.namespace;
        }
        self.job
            .as_ref()
            .and_then(|j| j.str_field("Namespace"))
            .filter(|s| !s.is_empty())
            .unwrap_or("default")
    }

    /// Restarts summed over all tasks.
    pub fn total_restarts(&self) -> u64 {
        self.task_states.values().map(|t| t.restarts).sum()
    }

    /// Task events summed over all tasks.
    pub fn event_count(&self) -> usize {
        self.task_states.values().map(|t| t.events.len()).sum()
    }

    /// Tasks in a stable order: by lifecycle (prestart, main, poststart, poststop) when the
    /// data says, then by name.
    pub fn tasks_in_order(&self) -> Vec<(&str, &TaskState)> {
        let mut v: Vec<(&str, &TaskState)> = self.task_states.iter().collect();
        crate::sort::sort_by(&mut v, |a, b| {
            (self.lifecycle_rank(a.0), a.0).cmp(&(self.lifecycle_rank(b.0), b.0))
        });
        v
    }

    /// `prestart`, `poststart`, `poststop` or `main`, plus whether the task is a sidecar.
    pub fn task_lifecycle(&self, task: &str) -> (&str, bool) {
        let from_resources = self
            .allocated_resources
            .as_ref()
            .and_then(|r| r.lifecycle(task))
            .map(|l| (l.hook.as_str(), l.sidecar));
        match from_resources {
            Some((hook, sidecar)) if !hook.is_empty() => (hook, sidecar),
            _ => match self.job.as_deref().and_then(|j| j.task_lifecycle(&self.task_group, task)) {
                Some((hook, sidecar)) if !hook.is_empty() => (hook, sidecar),
                _ => ("main", false),
            },
        }
    }

    fn lifecycle_rank(&self, task: &str) -> u8 {
        match self.task_lifecycle(task).0 {
            "prestart" => 0,
            "main" => 1,
            "poststart" => 2,
            "poststop" => 3,
            _ => 4,
        }
    }

    /// `[index]` from the name `job.group[index]`.
    pub fn slot_index(&self) -> Option<u32> {
        let open = self.name.rfind('[')?;
        self.name[open + 1..].strip_suffix(']')?.parse().ok()
    }

    pub fn was_rescheduled(&self) -> bool {
        self.reschedule_tracker.as_ref().is_some_and(|t| !t.events.is_empty())
    }

    pub fn was_replaced(&self) -> bool {
        !self.next_allocation.is_empty()
    }

    pub fn was_preempted(&self) -> bool {
        !self.preempted_by_allocation.is_empty()
    }

    /// Failed, with no replacement and no follow-up evaluation: Nomad's UI calls this
    /// "Nomad has stopped attempting to reschedule this allocation".
    pub fn failed_without_reschedule(&self) -> bool {
        matches!(self.client_status, ClientStatus::Failed)
            && self.next_allocation.is_empty()
            && self.followup_eval_id.is_empty()
    }

    /// When a terminal allocation stopped running: its tasks' last `FinishedAt`, else
    /// `ModifyTime`. (`ModifyTime` alone moves on with later server-side updates, such as
    /// being marked as rescheduled, so it is only the fallback.) `None` while it is live.
    pub fn ended_at(&self) -> Option<i64> {
        if !self.client_status.is_terminal() {
            return None;
        }
        let finished = self.task_states.values().filter_map(|t| t.finished_at.unix_nanos()).max();
        finished.or((self.modify_time > 0).then_some(self.modify_time))
    }

    /// Placement failed for the reschedule (1.8.1+ tracker annotation).
    pub fn reschedule_failed_to_place(&self) -> bool {
        self.reschedule_tracker.as_ref().is_some_and(|t| t.last_reschedule == LastReschedule::NoPlacement)
    }
}

pub fn short_id(id: &str) -> &str {
    id.get(..8).unwrap_or(id)
}

/// Scheduler intents. Every field is `*bool` in Go: `None` means "not set".
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DesiredTransition {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub migrate: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reschedule: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub force_reschedule: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_shutdown_delay: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub migrate_disable_placement: Option<bool>,
}

impl DesiredTransition {
    pub fn is_empty(&self) -> bool {
        *self == DesiredTransition::default()
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AllocDeploymentStatus {
    /// `None`: health not determined yet.
    #[serde(default)]
    pub healthy: Option<bool>,
    #[serde(default)]
    pub timestamp: NomadTime,
    #[serde(default, deserialize_with = "null_default")]
    pub canary: bool,
    #[serde(default, deserialize_with = "null_default")]
    pub modify_index: u64,
}

/// A windowed history of earlier attempts, copied forward on every reschedule.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RescheduleTracker {
    #[serde(default, deserialize_with = "null_default")]
    pub events: Vec<RescheduleEvent>,
    #[serde(default, skip_serializing_if = "LastReschedule::is_empty")]
    pub last_reschedule: LastReschedule,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RescheduleEvent {
    /// Unix nanoseconds.
    #[serde(rename = "RescheduleTime", default, deserialize_with = "null_default")]
    pub reschedule_time: i64,
    #[serde(rename = "PrevAllocID", default, deserialize_with = "null_default")]
    pub prev_alloc_id: String,
    #[serde(rename = "PrevNodeID", default, deserialize_with = "null_default")]
    pub prev_node_id: String,
    /// Nanoseconds Nomad waited before placing the replacement. Server-only field.
    #[serde(rename = "Delay", default, deserialize_with = "null_default")]
    pub delay: i64,
}

/// A transition of the whole allocation (0.11.2+), e.g. to `lost` or `unknown`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AllocState {
    /// `0` = client status, the only field Nomad records.
    #[serde(default, deserialize_with = "null_default")]
    pub field: u8,
    #[serde(default, deserialize_with = "null_default")]
    pub value: String,
    #[serde(default)]
    pub time: NomadTime,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AllocNetworkStatus {
    #[serde(default, deserialize_with = "null_default")]
    pub interface_name: String,
    #[serde(default, deserialize_with = "null_default")]
    pub address: String,
    #[serde(
        rename = "AddressIPv6",
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub address_ipv6: String,
    #[serde(rename = "DNS", default, skip_serializing_if = "Option::is_none")]
    pub dns: Option<DnsConfig>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DnsConfig {
    #[serde(default, deserialize_with = "null_default")]
    pub servers: Vec<String>,
    #[serde(default, deserialize_with = "null_default")]
    pub searches: Vec<String>,
    #[serde(default, deserialize_with = "null_default")]
    pub options: Vec<String>,
}
