//! allocscope-model: a lenient serde model of HashiCorp Nomad's allocation JSON, from
//! Nomad 0.8 to 2.0, and the pure logic a viewer needs on it: decoding any form Nomad or
//! its tools write, event messages, reschedule chains, and list filtering and sorting.
//!
//! No web, async or I/O dependency: everything here is a function of bytes or decoded
//! values and is tested with plain `cargo test`.

pub mod allocation;
pub mod budget;
pub mod bundle;
pub mod cause;
pub mod config;
pub mod decode;
pub mod enums;
pub mod eventmerge;
pub mod export;
pub mod forward;
pub mod incident;
pub mod job;
pub mod lenient;
pub mod lineage;
pub mod live_events;
pub mod live_sync;
pub mod message;
pub mod metrics;
pub mod opened;
pub mod paths;
pub mod query;
pub mod resources;
pub mod scan;
mod serde_util;
pub mod slots;
pub mod sort;
pub mod sorted_map;
pub mod stream;
pub mod stub;
pub mod task;
pub mod text;
pub mod timeline;
pub mod times;

pub use allocation::{
    short_id, AllocDeploymentStatus, AllocNetworkStatus, AllocState, Allocation, DesiredTransition,
    RescheduleEvent, RescheduleTracker, Shape,
};
pub use budget::{reschedule_budget, restart_budgets, Outlook, RescheduleBudget, RestartBudget};
pub use bundle::{read_bundle, Bundle, BundleError, BundleErrorKind, Capture, EventStream};
pub use cause::{allocation_cause, task_cause, Cause, CauseKind, Evidence};
pub use decode::{decode, DecodeError, DecodeErrorKind, DecodeOptions, Decoded, Form};
pub use enums::{ClientStatus, DesiredStatus, LastReschedule, TaskEventType, TaskStateKind};
pub use forward::TypeNote;
pub use incident::incident_markdown;
pub use job::{Job, ReschedulePolicy, RestartPolicy};
pub use lenient::Warning;
pub use lineage::{lineage, Attempt, Hop, Lineage};
pub use message::event_message;
pub use metrics::{AllocMetric, NodeScoreMeta};
pub use query::{select, status_facets, ListIndex, ListQuery, SortKey};
pub use resources::{AllocatedResources, Resources};
pub use slots::{slot_history, SlotHistory};
pub use sorted_map::SortedMap;
pub use stub::AllocListStub;
pub use task::{TaskEvent, TaskEventExtra, TaskState};
pub use text::Text;
pub use timeline::timeline;
pub use times::NomadTime;
