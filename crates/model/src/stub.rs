//! `AllocListStub`: what Nomad's list endpoints return. Unlike the full allocation it has
//! no struct-level omitempty, so every field is always written, with `""`, `0` or `null`
//! (nomad-model.md §2.2). Built from an `Allocation` the way Nomad's `Allocation.Stub()`
//! does, for writing snapshots and serving list paths.

use crate::allocation::{AllocDeploymentStatus, Allocation, RescheduleTracker};
use crate::enums::{ClientStatus, DesiredStatus};
use crate::resources::AllocatedResources;
use crate::sorted_map::SortedMap;
use crate::task::TaskState;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AllocListStub {
    #[serde(rename = "ID")]
    pub id: String,
    #[serde(rename = "EvalID")]
    pub eval_id: String,
    pub name: String,
    pub namespace: String,
    #[serde(rename = "NodeID")]
    pub node_id: String,
    pub node_name: String,
    #[serde(rename = "JobID")]
    pub job_id: String,
    pub job_type: String,
    pub job_version: u64,
    pub task_group: String,
    /// Only with `?resources=true`; omitted otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allocated_resources: Option<Box<AllocatedResources>>,
    pub desired_status: DesiredStatus,
    pub desired_description: String,
    pub desired_transition: StubDesiredTransition,
    pub client_status: ClientStatus,
    pub client_description: String,
    pub task_states: Option<SortedMap<TaskState>>,
    pub deployment_status: Option<AllocDeploymentStatus>,
    #[serde(rename = "FollowupEvalID")]
    pub followup_eval_id: String,
    pub next_allocation: String,
    pub reschedule_tracker: Option<Box<RescheduleTracker>>,
    pub preempted_allocations: Option<Vec<String>>,
    pub preempted_by_allocation: String,
    pub create_index: u64,
    pub modify_index: u64,
    pub create_time: i64,
    pub modify_time: i64,
}

/// Stubs write every transition key, `null` when unset.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct StubDesiredTransition {
    pub migrate: Option<bool>,
    pub reschedule: Option<bool>,
    pub force_reschedule: Option<bool>,
    pub no_shutdown_delay: Option<bool>,
    pub migrate_disable_placement: Option<bool>,
}

impl AllocListStub {
    /// Nomad's `Allocation.Stub()`; `with_resources` mirrors `?resources=true`.
    pub fn from_allocation(a: &Allocation, with_resources: bool) -> AllocListStub {
        let t = &a.desired_transition;
        AllocListStub {
            id: a.id.clone(),
            eval_id: a.eval_id.clone(),
            name: a.name.clone(),
            namespace: a.namespace_or_default().to_owned(),
            node_id: a.node_id.clone(),
            node_name: a.node_name.clone(),
            job_id: a.job_id.clone(),
            job_type: a.job_type().to_owned(),
            job_version: a.job_version().unwrap_or(0),
            task_group: a.task_group.clone(),
            allocated_resources: if with_resources { a.allocated_resources.clone() } else { None },
            desired_status: a.desired_status.clone(),
            desired_description: a.desired_description.clone(),
            desired_transition: StubDesiredTransition {
                migrate: t.migrate,
                reschedule: t.reschedule,
                force_reschedule: t.force_reschedule,
                no_shutdown_delay: t.no_shutdown_delay,
                migrate_disable_placement: t.migrate_disable_placement,
            },
            client_status: a.client_status.clone(),
            client_description: a.client_description.clone(),
            task_states: (!a.task_states.is_empty()).then(|| a.task_states.clone()),
            deployment_status: a.deployment_status.clone(),
            followup_eval_id: a.followup_eval_id.clone(),
            next_allocation: a.next_allocation.clone(),
            reschedule_tracker: a.reschedule_tracker.clone(),
            preempted_allocations: (!a.preempted_allocations.is_empty())
                .then(|| a.preempted_allocations.clone()),
            preempted_by_allocation: a.preempted_by_allocation.clone(),
            create_index: a.create_index,
            modify_index: a.modify_index,
            create_time: a.create_time,
            modify_time: a.modify_time,
        }
    }
}
