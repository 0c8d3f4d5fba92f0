//! `AllocMetric`: how the scheduler placed the allocation (nomad-model.md §2.10).

use crate::serde_util::null_default;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AllocMetric {
    #[serde(default, deserialize_with = "null_default")]
    pub nodes_evaluated: i64,
    #[serde(default, deserialize_with = "null_default")]
    pub nodes_filtered: i64,
    #[serde(default, deserialize_with = "null_default")]
    pub nodes_in_pool: i64,
    #[serde(default, deserialize_with = "null_default")]
    pub node_pool: String,
    #[serde(default, deserialize_with = "null_default")]
    pub nodes_available: BTreeMap<String, i64>,
    #[serde(default, deserialize_with = "null_default")]
    pub class_filtered: BTreeMap<String, i64>,
    #[serde(default, deserialize_with = "null_default")]
    pub constraint_filtered: BTreeMap<String, i64>,
    #[serde(default, deserialize_with = "null_default")]
    pub nodes_exhausted: i64,
    #[serde(default, deserialize_with = "null_default")]
    pub class_exhausted: BTreeMap<String, i64>,
    #[serde(default, deserialize_with = "null_default")]
    pub dimension_exhausted: BTreeMap<String, i64>,
    #[serde(default, deserialize_with = "null_default")]
    pub quota_exhausted: Vec<String>,
    /// Per-task resources that did not fit; kept loose (a map of legacy `Resources`).
    #[serde(default)]
    pub resources_exhausted: Option<serde_json::Value>,
    /// Deprecated in 0.9; usually `null`.
    #[serde(default, deserialize_with = "null_default")]
    pub scores: BTreeMap<String, f64>,
    #[serde(default, deserialize_with = "null_default")]
    pub score_meta_data: Vec<NodeScoreMeta>,
    /// Nanoseconds the scheduler spent.
    #[serde(default, deserialize_with = "null_default")]
    pub allocation_time: i64,
    #[serde(default, deserialize_with = "null_default")]
    pub coalesced_failures: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct NodeScoreMeta {
    #[serde(rename = "NodeID", default, deserialize_with = "null_default")]
    pub node_id: String,
    #[serde(rename = "Scores", default, deserialize_with = "null_default")]
    pub scores: BTreeMap<String, f64>,
    #[serde(rename = "NormScore", default, deserialize_with = "null_default")]
    pub norm_score: f64,
}
