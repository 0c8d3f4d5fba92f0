//! The double's state: the snapshot's full allocations, kept as the JSON they were loaded
//! from (so `GET /v1/allocation/:id` answers exactly that) plus the decoded
//! `allocscope_model::Allocation` (for stubs, filters and ordering), and one raft-like
//! index that every change raises.

use allocscope_model::budget::next_delay;
use allocscope_model::message::computed_message;
use allocscope_model::times::{from_unix_nanos, NomadTime};
use allocscope_model::{decode, Allocation, DecodeOptions, TaskEvent, TaskState};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

/// Nomad's client keeps only the last 10 events of a task.
pub const MAX_TASK_EVENTS: usize = 10;

#[derive(Clone, Debug)]
pub struct Entry {
    /// The full allocation as served by `GET /v1/allocation/:id`.
    pub raw: Value,
    /// The same, decoded.
    pub alloc: Allocation,
}

impl Entry {
    pub fn new(raw: Value) -> Result<Entry, String> {
        let alloc = serde_json::from_value(raw.clone()).map_err(|e| e.to_string())?;
        Ok(Entry { raw, alloc })
    }

    fn refresh(&mut self) -> Result<(), String> {
        self.alloc = serde_json::from_value(self.raw.clone()).map_err(|e| e.to_string())?;
        Ok(())
    }

    fn obj(&mut self) -> &mut Map<String, Value> {
        self.raw.as_object_mut().expect("allocations are JSON objects")
    }

    /// `TaskStates` as a mutable map, created when absent or `null`.
    fn task_states(&mut self) -> &mut Map<String, Value> {
        let obj = self.obj();
        if !obj.get("TaskStates").is_some_and(Value::is_object) {
            obj.insert("TaskStates".into(), Value::Object(Map::new()));
        }
        obj.get_mut("TaskStates").and_then(Value::as_object_mut).expect("just made")
    }
}

/// An error for the control API: HTTP status and text.
pub type ControlError = (u16, String);

/// Nomad's default `event_buffer_size` (`command/agent/config.go`, v2.0.5; see
/// docs/nomad-live.md).
pub const DEFAULT_EVENT_BUFFER: usize = 100;

/// One raft index's events, as Nomad's event buffer holds them (`nomad/stream/event_buffer.go`,
/// v2.0.5: one item per raft apply, every event of that apply in it).
#[derive(Clone, Debug)]
pub struct EventItem {
    pub index: u64,
    /// Whole Nomad `Event` objects (`Topic`, `Type`, `Key`, `Namespace`, `FilterKeys`,
    /// `Index`, `Payload`).
    pub events: Vec<Value>,
}

#[derive(Clone, Debug, Default)]
pub struct Store {
    /// The raft-like index: the `allocs` table index Nomad would report for lists.
    pub index: u64,
    /// By allocation ID.
    pub allocs: BTreeMap<String, Entry>,
    /// Every item published, oldest first. A new subscription sees only the last
    /// `buffer_size` of them ([`Store::retained`]): Nomad's buffer drops older items. One
    /// already subscribed keeps every item after its position, since Nomad's subscription
    /// holds a pointer into the buffer's linked list, which keeps the items after it alive
    /// (`nomad/stream/event_buffer.go`, v2.0.5, on `bufferItem`). The log starts empty, as a
    /// server's buffer does when it starts or becomes leader: it is memory only.
    pub log: Vec<EventItem>,
    pub buffer_size: usize,
}

pub fn now_nanos() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos() as i64).unwrap_or(0)
}

fn rfc3339(ns: i64) -> Value {
    NomadTime(from_unix_nanos(ns)).to_rfc3339().map(Value::String).unwrap_or(Value::Null)
}

/// A random version-4 UUID from std's randomly keyed hasher (no extra dependency).
pub fn new_uuid() -> String {
    use std::collections::hash_map::RandomState;
    use std::hash::{BuildHasher, Hasher};
    let word = |salt: u64| {
        let mut h = RandomState::new().build_hasher();
        h.write_i64(now_nanos());
        h.write_u64(salt);
        h.finish()
    };
    let mut b = [0u8; 16];
    b[..8].copy_from_slice(&word(1).to_le_bytes());
    b[8..].copy_from_slice(&word(2).to_le_bytes());
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..])
}

/// A posted event, completed the way Nomad writes one: every `TaskEvent` field present,
/// `Time` now when missing, `DisplayMessage` computed when empty. Unknown fields are kept.
pub fn normalize_event(posted: &Value, now: i64) -> Result<Value, String> {
    let obj = posted.as_object().ok_or("a TaskEvent must be a JSON object")?;
    let mut ev: TaskEvent =
        serde_json::from_value(posted.clone()).map_err(|e| format!("not a TaskEvent: {e}"))?;
    if ev.r#type.is_empty() {
        return Err("the event needs a \"Type\" (e.g. \"Restarting\", \"Terminated\")".into());
    }
    if ev.time == 0 {
        ev.time = now;
    }
    if ev.display_message.is_empty() {
        ev.display_message = computed_message(&ev).into();
    }
    let mut out = match serde_json::to_value(&ev) {
        Ok(Value::Object(m)) => m,
        _ => return Err("could not encode the event".into()),
    };
    for (k, v) in obj {
        out.entry(k.clone()).or_insert_with(|| v.clone());
    }
    Ok(Value::Object(out))
}

fn new_task_state() -> Value {
    let t = TaskState { state: "pending".into(), ..Default::default() };
    serde_json::to_value(t).unwrap_or_else(|_| json!({"State": "pending"}))
}

impl Store {
    /// Load `DIR/v1/allocation/*` (each file one full allocation, or an array of them).
    pub fn load(dir: &Path, index: Option<u64>) -> Result<Store, String> {
        let adir = dir.join("v1").join("allocation");
        let rd = std::fs::read_dir(&adir).map_err(|e| {
            format!(
                "cannot read {}: {e} (expected a snapshot folder with v1/allocation/<id> files)",
                adir.display()
            )
        })?;
        let mut files: Vec<_> = rd
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.is_file() && !p.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.')))
            .collect();
        files.sort();
        let mut allocs = BTreeMap::new();
        for path in files {
            let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            decode(&bytes, DecodeOptions::STRICT).map_err(|e| format!("{}: {e}", path.display()))?;
            let value: Value =
                serde_json::from_slice(&bytes).map_err(|e| format!("{}: {e}", path.display()))?;
            let values = match value {
                Value::Array(v) => v,
                v => vec![v],
            };
            for raw in values {
                let entry = Entry::new(raw).map_err(|e| format!("{}: {e}", path.display()))?;
                if entry.alloc.looks_like_allocation() {
                    allocs.insert(entry.alloc.id.clone(), entry);
                }
            }
        }
        let max_modify = allocs.values().map(|e| e.alloc.modify_index).max().unwrap_or(0);
        Ok(Store {
            index: index.unwrap_or(max_modify).max(1),
            allocs,
            log: Vec::new(),
            buffer_size: DEFAULT_EVENT_BUFFER,
        })
    }

    /// Publish the Allocation events of the change at `index` (every allocation in `ids`, as
    /// it is now), and drop the oldest items past the buffer's size. Nomad strips `Job` from
    /// the payload (`nomad/state/events.go`, v2.0.5: "remove job info to help keep size of
    /// alloc event down"); `FilterKeys` are the job and deployment IDs.
    fn publish(&mut self, index: u64, event_type: &str, ids: &[&str]) {
        let events: Vec<Value> = ids
            .iter()
            .filter_map(|id| self.allocs.get(*id))
            .map(|e| {
                let mut payload = e.raw.clone();
                if let Some(o) = payload.as_object_mut() {
                    o.remove("Job");
                }
                json!({
                    "Topic": "Allocation",
                    "Type": event_type,
                    "Key": e.alloc.id,
                    "Namespace": e.alloc.namespace_or_default(),
                    "FilterKeys": [e.alloc.job_id, e.alloc.deployment_id],
                    "Index": index,
                    "Payload": {"Allocation": payload},
                })
            })
            .collect();
        if events.is_empty() || self.buffer_size == 0 {
            return;
        }
        self.log.push(EventItem { index, events });
    }

    /// What a new subscription can still be sent: the last `buffer_size` items.
    pub fn retained(&self) -> &[EventItem] {
        &self.log[self.log.len().saturating_sub(self.buffer_size)..]
    }

    /// The items from raft index `from` on, for a subscription already running.
    pub fn items_from(&self, from: u64) -> &[EventItem] {
        &self.log[self.log.partition_point(|i| i.index < from)..]
    }

    /// The raft index of the newest item, or 0.
    pub fn newest_item(&self) -> u64 {
        self.log.last().map(|i| i.index).unwrap_or(0)
    }

    /// Where a subscription at `index` starts, as `StartAtClosest` in
    /// `nomad/stream/event_buffer.go` (v2.0.5) picks it, called from `Subscribe` in
    /// `nomad/stream/event_broker.go`: `index` 0 is the whole buffer; otherwise the first item
    /// at or after `index` (inclusive), the oldest item when `index` is older than the buffer
    /// (no error: what fell out is simply not sent), and the newest item when `index` is past
    /// them all (so that item, older than asked, is sent again). An empty buffer sends
    /// what comes next. Returns the raft index of the first item to send.
    pub fn start_at_closest(&self, index: u64) -> u64 {
        let retained = self.retained();
        let next = self.index + 1;
        match retained.first() {
            None => next,
            Some(first) if index == 0 => first.index,
            Some(_) => match retained.iter().find(|item| item.index >= index) {
                Some(item) => item.index,
                None => retained.last().map(|i| i.index).unwrap_or(next),
            },
        }
    }

    /// Garbage-collect allocations, as Nomad's core GC does (`nomad/core_sched.go` reaps
    /// them through `EvalReap`): they leave every list, the `allocs` index rises, and no
    /// event is published (the reap's message type has no entry in `MsgTypeEvents`,
    /// `nomad/state/events.go`, v2.0.5). Unknown IDs are an error, and nothing changes.
    pub fn gc(&mut self, ids: &[String]) -> Result<Value, ControlError> {
        if let Some(missing) = ids.iter().find(|id| !self.allocs.contains_key(*id)) {
            return Err((404, format!("alloc not found: {missing}")));
        }
        let index = self.bump();
        for id in ids {
            self.allocs.remove(id);
        }
        Ok(json!({"GarbageCollected": ids, "Index": index}))
    }

    fn bump(&mut self) -> u64 {
        self.index += 1;
        self.index
    }

    fn entry(&mut self, id: &str) -> Result<&mut Entry, ControlError> {
        self.allocs.get_mut(id).ok_or((404, "alloc not found".into()))
    }

    /// Mark `id` modified by a client update at a new index.
    fn touch(&mut self, id: &str, now: i64, server_side: bool) -> Result<u64, ControlError> {
        let index = self.bump();
        let e = self.entry(id)?;
        let obj = e.obj();
        obj.insert("ModifyIndex".into(), json!(index));
        obj.insert("ModifyTime".into(), json!(now));
        if server_side {
            obj.insert("AllocModifyIndex".into(), json!(index));
        }
        e.refresh().map_err(|m| (500, m))?;
        Ok(index)
    }

    /// Append a task event. `body` is a TaskEvent, or `{"Task": name, "Event": {...}}` with
    /// optional `"State"`, `"Failed"`, `"ClientStatus"`, `"ClientDescription"`.
    pub fn append_event(
        &mut self,
        id: &str,
        task: Option<&str>,
        body: &Value,
    ) -> Result<Value, ControlError> {
        let bad = |m: String| (400, m);
        let wrapped = body.get("Event").is_some_and(Value::is_object);
        let (event, task) = if wrapped {
            (&body["Event"], body.get("Task").and_then(Value::as_str).or(task))
        } else {
            (body, task)
        };
        let now = now_nanos();
        let event = normalize_event(event, now).map_err(bad)?;
        let e = self.entry(id)?;
        let task = match task {
            Some(t) => t.to_owned(),
            None => {
                let order = e.alloc.tasks_in_order();
                let main = order.iter().find(|(n, _)| e.alloc.task_lifecycle(n).0 == "main");
                match main.or(order.first()) {
                    Some((n, _)) => (*n).to_owned(),
                    None => {
                        return Err(bad("the allocation has no tasks yet: say which with \"Task\"".into()))
                    }
                }
            }
        };
        let etype = event["Type"].as_str().unwrap_or_default().to_owned();
        let etime = event["Time"].as_i64().unwrap_or(now);
        let states = e.task_states();
        let ts = states.entry(task.clone()).or_insert_with(new_task_state);
        let ts = ts.as_object_mut().ok_or((500, "TaskStates entry is not an object".into()))?;
        match etype.as_str() {
            "Started" => {
                ts.insert("State".into(), json!("running"));
                if ts.get("StartedAt").is_none_or(Value::is_null) {
                    ts.insert("StartedAt".into(), rfc3339(etime));
                }
            }
            "Restarting" => {
                let n = ts.get("Restarts").and_then(Value::as_u64).unwrap_or(0);
                ts.insert("Restarts".into(), json!(n + 1));
                ts.insert("LastRestart".into(), rfc3339(etime));
            }
            _ => {}
        }
        if wrapped {
            if let Some(s) = body.get("State").and_then(Value::as_str) {
                ts.insert("State".into(), json!(s));
                if s == "dead" {
                    ts.insert("FinishedAt".into(), rfc3339(etime));
                }
            }
            if let Some(f) = body.get("Failed").and_then(Value::as_bool) {
                ts.insert("Failed".into(), json!(f));
            }
        }
        let events = ts.entry("Events").or_insert_with(|| json!([]));
        if !events.is_array() {
            *events = json!([]);
        }
        let list = events.as_array_mut().expect("just made");
        list.push(event);
        let excess = list.len().saturating_sub(MAX_TASK_EVENTS);
        list.drain(..excess);
        if wrapped {
            for key in ["ClientStatus", "ClientDescription"] {
                if let Some(v) = body.get(key).filter(|v| v.is_string()) {
                    e.obj().insert(key.into(), v.clone());
                }
            }
        }
        let index = self.touch(id, now, false)?;
        self.publish(index, "AllocationUpdated", &[id]);
        Ok(json!({"ID": id, "Task": task, "Index": index}))
    }

    /// The allocation fails: every task still live (or, when none is, every task) ends
    /// dead and failed with a `Terminated` event, and `ClientStatus` becomes `failed`.
    pub fn fail(&mut self, id: &str, exit_code: i64) -> Result<Value, ControlError> {
        let now = now_nanos();
        let terminated = normalize_event(
            &json!({
                "Type": "Terminated",
                "Time": now,
                "ExitCode": exit_code,
                "Details": {"exit_code": exit_code.to_string(), "signal": "0", "oom_killed": "false"},
            }),
            now,
        )
        .map_err(|m| (500, m))?;
        let e = self.entry(id)?;
        let live: Vec<String> = e
            .alloc
            .task_states
            .iter()
            .filter(|(_, t)| t.state.as_str() != "dead")
            .map(|(n, _)| n.to_owned())
            .collect();
        let targets: Vec<String> =
            if live.is_empty() { e.alloc.task_states.keys().map(str::to_owned).collect() } else { live };
        let states = e.task_states();
        for name in &targets {
            let Some(ts) = states.get_mut(name).and_then(Value::as_object_mut) else { continue };
            ts.insert("State".into(), json!("dead"));
            ts.insert("Failed".into(), json!(true));
            ts.insert("FinishedAt".into(), rfc3339(now));
            let events = ts.entry("Events").or_insert_with(|| json!([]));
            if !events.is_array() {
                *events = json!([]);
            }
            let list = events.as_array_mut().expect("just made");
            list.push(terminated.clone());
            let excess = list.len().saturating_sub(MAX_TASK_EVENTS);
            list.drain(..excess);
        }
        let obj = e.obj();
        obj.insert("ClientStatus".into(), json!("failed"));
        obj.insert("ClientDescription".into(), json!("Failed tasks"));
        let index = self.touch(id, now, false)?;
        self.publish(index, "AllocationUpdated", &[id]);
        Ok(json!({"ID": id, "Index": index}))
    }

    /// `nomad alloc stop`: `Alloc.Stop` (`nomad/alloc_endpoint.go`, v2.0.5) commits a desired
    /// transition, `Migrate` (and `Reschedule` from the body's `"Reschedule": true`), merged
    /// into the allocation's `DesiredTransition` with `ModifyIndex` and `AllocModifyIndex` at
    /// the new index (`UpdateAllocDesiredTransitionTxn`, `nomad/state/state_store.go`); its
    /// event is `AllocationUpdateDesiredStatus`. The scheduler stopping it afterwards is a
    /// later plan, which the double does not run.
    pub fn stop(&mut self, id: &str, body: &Value) -> Result<Value, ControlError> {
        let index = self.bump();
        let reschedule = body.get("Reschedule").and_then(Value::as_bool).unwrap_or(false);
        let e = self.entry(id)?;
        let obj = e.obj();
        let transition = obj.entry("DesiredTransition").or_insert_with(|| json!({}));
        if !transition.is_object() {
            *transition = json!({});
        }
        let t = transition.as_object_mut().expect("just made");
        t.insert("Migrate".into(), json!(true));
        t.insert("NoShutdownDelay".into(), json!(false));
        t.insert("Reschedule".into(), json!(reschedule));
        obj.insert("ModifyIndex".into(), json!(index));
        obj.insert("AllocModifyIndex".into(), json!(index));
        e.refresh().map_err(|m| (500, m))?;
        self.publish(index, "AllocationUpdateDesiredStatus", &[id]);
        Ok(json!({"ID": id, "Index": index}))
    }

    /// The scheduler replaces `id`: a new pending allocation in the same slot (same job,
    /// group and name), `PreviousAllocation` = `id`, the reschedule tracker carried forward
    /// with one more event; the old one gets `NextAllocation`. `body` may override
    /// `NodeID` / `NodeName`.
    pub fn replace(&mut self, id: &str, body: &Value) -> Result<Value, ControlError> {
        let now = now_nanos();
        let old = self.entry(id)?.clone();
        let new_id = new_uuid();
        let index = self.bump();
        let a = &old.alloc;
        let mut events: Vec<Value> = old
            .raw
            .get("RescheduleTracker")
            .and_then(|t| t.get("Events"))
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let previous_delays: Vec<i64> = a
            .reschedule_tracker
            .as_ref()
            .map(|t| t.events.iter().map(|e| e.delay).collect())
            .unwrap_or_default();
        let delay = a
            .job
            .as_ref()
            .and_then(|j| j.reschedule_policy(&a.task_group))
            .map(|p| next_delay(&p, &previous_delays))
            .unwrap_or(0);
        events
            .push(json!({"RescheduleTime": now, "PrevAllocID": id, "PrevNodeID": a.node_id, "Delay": delay}));

        let mut raw = old.raw.clone();
        let obj = raw.as_object_mut().expect("allocations are JSON objects");
        for key in [
            "NextAllocation",
            "TaskStates",
            "AllocStates",
            "DeploymentStatus",
            "FollowupEvalID",
            "NetworkStatus",
            "PreemptedByAllocation",
            "ClientDescription",
            "DesiredDescription",
            "DesiredTransition",
        ] {
            obj.remove(key);
        }
        obj.insert("ID".into(), json!(new_id));
        obj.insert("EvalID".into(), json!(new_uuid()));
        obj.insert("PreviousAllocation".into(), json!(id));
        obj.insert("ClientStatus".into(), json!("pending"));
        obj.insert("DesiredStatus".into(), json!("run"));
        obj.insert("RescheduleTracker".into(), json!({"Events": events}));
        for key in ["CreateIndex", "ModifyIndex", "AllocModifyIndex"] {
            obj.insert(key.into(), json!(index));
        }
        obj.insert("CreateTime".into(), json!(now));
        obj.insert("ModifyTime".into(), json!(now));
        for key in ["NodeID", "NodeName"] {
            if let Some(v) = body.get(key).filter(|v| v.is_string()) {
                obj.insert(key.into(), v.clone());
            }
        }
        let entry = Entry::new(raw).map_err(|m| (500, m))?;
        self.allocs.insert(new_id.clone(), entry);

        let e = self.entry(id)?;
        let obj = e.obj();
        obj.insert("NextAllocation".into(), json!(new_id));
        obj.remove("FollowupEvalID");
        obj.insert("ModifyIndex".into(), json!(index));
        obj.insert("AllocModifyIndex".into(), json!(index));
        obj.insert("ModifyTime".into(), json!(now));
        e.refresh().map_err(|m| (500, m))?;
        // The scheduler's plan places the new allocation and updates the old one in one
        // raft apply: one item, two `PlanResult` events.
        self.publish(index, "PlanResult", &[id, &new_id]);
        Ok(json!({"ID": new_id, "Index": index}))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_are_v4_and_distinct() {
        let (a, b) = (new_uuid(), new_uuid());
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "4");
    }

    #[test]
    fn events_are_completed() {
        let e = normalize_event(&json!({"Type": "Restarting", "X": 1}), 5).unwrap();
        assert_eq!(e["Time"], 5);
        assert_eq!(e["X"], 1);
        assert!(!e["DisplayMessage"].as_str().unwrap().is_empty());
        assert!(normalize_event(&json!({"Message": "no type"}), 5).is_err());
        assert!(normalize_event(&json!([1]), 5).is_err());
    }
}
