//! Resources: `AllocatedResources` (0.9+, authoritative) and the legacy `Resources`,
//! `TaskResources` and `SharedResources` that old data carries and that Nomad still fills
//! in (nomad-model.md §2.11). `IOPS` is accepted and ignored: deprecated in 0.9 and never
//! meaningful, it only survives as `"IOPS": 0`.

use crate::serde_util::null_default;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AllocatedResources {
    #[serde(default, deserialize_with = "null_default")]
    pub tasks: BTreeMap<String, AllocatedTaskResources>,
    #[serde(default, deserialize_with = "null_default")]
    pub shared: AllocatedSharedResources,
    /// Lifecycle per task name (0.11+); `None` for a main task.
    #[serde(default, deserialize_with = "null_default")]
    pub task_lifecycles: BTreeMap<String, Option<TaskLifecycle>>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TaskLifecycle {
    /// `prestart`, `poststart` or `poststop`.
    #[serde(default, deserialize_with = "null_default")]
    pub hook: String,
    #[serde(default, deserialize_with = "null_default")]
    pub sidecar: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AllocatedTaskResources {
    #[serde(default, deserialize_with = "null_default")]
    pub cpu: AllocatedCpu,
    #[serde(default, deserialize_with = "null_default")]
    pub memory: AllocatedMemory,
    #[serde(default, deserialize_with = "null_default")]
    pub networks: Vec<NetworkResource>,
    #[serde(default, deserialize_with = "null_default")]
    pub devices: Vec<AllocatedDevice>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AllocatedCpu {
    #[serde(default, deserialize_with = "null_default")]
    pub cpu_shares: i64,
    #[serde(default, deserialize_with = "null_default")]
    pub reserved_cores: Vec<u64>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AllocatedMemory {
    #[serde(rename = "MemoryMB", default, deserialize_with = "null_default")]
    pub memory_mb: i64,
    #[serde(rename = "MemoryMaxMB", default, deserialize_with = "null_default")]
    pub memory_max_mb: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AllocatedDevice {
    #[serde(default, deserialize_with = "null_default")]
    pub vendor: String,
    #[serde(default, deserialize_with = "null_default")]
    pub r#type: String,
    #[serde(default, deserialize_with = "null_default")]
    pub name: String,
    #[serde(rename = "DeviceIDs", default, deserialize_with = "null_default")]
    pub device_ids: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AllocatedSharedResources {
    #[serde(rename = "DiskMB", default, deserialize_with = "null_default")]
    pub disk_mb: i64,
    #[serde(default, deserialize_with = "null_default")]
    pub networks: Vec<NetworkResource>,
    #[serde(default, deserialize_with = "null_default")]
    pub ports: Vec<PortMapping>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PortMapping {
    #[serde(default, deserialize_with = "null_default")]
    pub label: String,
    #[serde(default, deserialize_with = "null_default")]
    pub value: i64,
    #[serde(default, deserialize_with = "null_default")]
    pub to: i64,
    #[serde(rename = "HostIP", default, deserialize_with = "null_default")]
    pub host_ip: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct NetworkResource {
    #[serde(default, deserialize_with = "null_default")]
    pub mode: String,
    #[serde(default, deserialize_with = "null_default")]
    pub device: String,
    #[serde(rename = "CIDR", default, deserialize_with = "null_default")]
    pub cidr: String,
    #[serde(rename = "IP", default, deserialize_with = "null_default")]
    pub ip: String,
    #[serde(default, deserialize_with = "null_default")]
    pub hostname: String,
    #[serde(rename = "MBits", default, deserialize_with = "null_default")]
    pub mbits: i64,
    #[serde(default, deserialize_with = "null_default")]
    pub reserved_ports: Vec<Port>,
    #[serde(default, deserialize_with = "null_default")]
    pub dynamic_ports: Vec<Port>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Port {
    #[serde(default, deserialize_with = "null_default")]
    pub label: String,
    #[serde(default, deserialize_with = "null_default")]
    pub value: i64,
    #[serde(default, deserialize_with = "null_default")]
    pub to: i64,
    #[serde(default, deserialize_with = "null_default")]
    pub host_network: String,
}

/// The legacy resources block (`Resources`, `SharedResources`, `TaskResources[name]`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Resources {
    #[serde(rename = "CPU", default, deserialize_with = "null_default")]
    pub cpu: i64,
    #[serde(rename = "Cores", default, deserialize_with = "null_default")]
    pub cores: i64,
    #[serde(rename = "MemoryMB", default, deserialize_with = "null_default")]
    pub memory_mb: i64,
    #[serde(rename = "MemoryMaxMB", default, deserialize_with = "null_default")]
    pub memory_max_mb: i64,
    #[serde(rename = "DiskMB", default, deserialize_with = "null_default")]
    pub disk_mb: i64,
    #[serde(rename = "Networks", default, deserialize_with = "null_default")]
    pub networks: Vec<NetworkResource>,
}

impl AllocatedResources {
    /// Sum of CPU shares and memory over all tasks, as the Nomad UI shows them.
    pub fn totals(&self) -> (i64, i64, i64) {
        let cpu = self.tasks.values().map(|t| t.cpu.cpu_shares).sum();
        let mem = self.tasks.values().map(|t| t.memory.memory_mb).sum();
        (cpu, mem, self.shared.disk_mb)
    }

    pub fn lifecycle(&self, task: &str) -> Option<&TaskLifecycle> {
        self.task_lifecycles.get(task).and_then(Option::as_ref)
    }
}
