//! `GET /v1/event/stream` (nomad-model.md §4.8), Allocation topic only: NDJSON frames
//! `{"Events": [...], "Index": N}` for every change after `index`, and `{}` heartbeats, on
//! a chunked response that stays open until the client goes, the double stops, or it is
//! told to fail. Each changed allocation is sent whole, without its `Job`, as Nomad does.

use crate::query::Query;
use crate::server::Shared;
use serde_json::{json, Value};
use std::io::Write;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// Nomad's heartbeat period (`nomad/event_endpoint.go`).
const HEARTBEAT: Duration = Duration::from_secs(30);

/// Which allocations a stream sends: `topic=Allocation` (all) or `topic=Allocation:<key>`
/// (the allocation with that ID, or those of that job or deployment), in `namespace`.
struct Filter {
    keys: Vec<Option<String>>,
    namespace: String,
}

impl Filter {
    fn parse(q: &Query) -> Result<Filter, String> {
        let mut keys = Vec::new();
        for t in q.all("topic") {
            match t.split_once(':') {
                None if t == "Allocation" || t == "*" => keys.push(None),
                Some(("Allocation", "*")) => keys.push(None),
                Some(("Allocation", key)) => keys.push(Some(key.to_owned())),
                // Other topics are valid for Nomad; the double has no such events.
                _ if !t.is_empty() => {}
                _ => return Err(format!("Invalid topic format: {t:?}")),
            }
        }
        if q.all("topic").is_empty() {
            keys.push(None); // every topic (Nomad wants a management token for that)
        }
        Ok(Filter { keys, namespace: q.get("namespace").unwrap_or("default").to_owned() })
    }

    fn wants(&self, a: &allocscope_model::Allocation) -> bool {
        let ns_ok = self.namespace == "*" || a.namespace_or_default() == self.namespace;
        ns_ok
            && self.keys.iter().any(|k| match k {
                None => true,
                Some(k) => {
                    *k == a.id || *k == a.job_id || (!a.deployment_id.is_empty() && *k == a.deployment_id)
                }
            })
    }
}

/// Parse the request; `Err` is a plain-text 400 for the caller to send.
pub(crate) fn check(q: &Query) -> Result<(), String> {
    if let Some(s) = q.get("index") {
        s.parse::<u64>().map_err(|_| "Invalid index".to_owned())?;
    }
    Filter::parse(q).map(|_| ())
}

/// Answer the request on `req` until the client goes away or the double stops.
pub(crate) fn serve(shared: &Shared, req: tiny_http::Request, q: &Query) {
    let Ok(filter) = Filter::parse(q) else { return };
    let mut after = q.get("index").and_then(|s| s.parse::<u64>().ok()).unwrap_or(0);
    let mut out = req.into_writer();
    let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nCache-Control: no-cache\r\n\
                Transfer-Encoding: chunked\r\n\r\n";
    if out.write_all(head.as_bytes()).and_then(|_| out.flush()).is_err() {
        return;
    }
    let mut chunk = |text: &str| -> bool {
        write!(out, "{:x}\r\n{text}\r\n", text.len()).and_then(|_| out.flush()).is_ok()
    };
    // Nothing buffered is sent from before `index`: without one, only what changes from now.
    if after == 0 {
        after = shared.current_index();
    }
    let mut last_sent = Instant::now();
    loop {
        let frame = {
            let store = shared.wait_for(after, HEARTBEAT.saturating_sub(last_sent.elapsed()), |s| s.index);
            if shared.shutdown.load(Ordering::SeqCst) {
                break;
            }
            let events: Vec<Value> = store
                .allocs
                .values()
                .filter(|e| e.alloc.modify_index > after && filter.wants(&e.alloc))
                .map(|e| {
                    let mut payload = e.raw.clone();
                    if let Some(o) = payload.as_object_mut() {
                        o.remove("Job");
                    }
                    json!({
                        "Topic": "Allocation",
                        "Type": "AllocationUpdated",
                        "Key": e.alloc.id,
                        "Namespace": e.alloc.namespace_or_default(),
                        "FilterKeys": [e.alloc.job_id, e.alloc.deployment_id],
                        "Index": e.alloc.modify_index,
                        "Payload": {"Allocation": payload},
                    })
                })
                .collect();
            let index = store.index;
            after = after.max(index);
            (!events.is_empty()).then(|| json!({"Events": events, "Index": index}).to_string())
        };
        // A failing agent (the control API's forced status) ends its streams, as Nomad's do
        // when it loses its leader; the client's next request then meets the failure.
        if shared.mode().status.is_some() {
            break;
        }
        let sent = match frame {
            Some(f) => chunk(&(f + "\n")),
            None if last_sent.elapsed() >= HEARTBEAT => chunk("{}\n"),
            None => continue,
        };
        if !sent {
            break; // the client went away
        }
        last_sent = Instant::now();
    }
    let _ = out.write_all(b"0\r\n\r\n").and_then(|_| out.flush());
}
