//! The test control API under `/_double/`. Nothing here exists in Nomad: it lets a test
//! count requests and connections, change allocations (which raises the index and wakes
//! blocked queries) and force errors or delays.

use crate::query::Query;
use crate::server::{Reply, Shared};
use serde_json::{json, Value};

fn body_json(body: &[u8]) -> Result<Value, Reply> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(json!({}));
    }
    serde_json::from_slice(body)
        .map_err(|e| Reply::text(400, &format!("nomad-double: the body is not JSON: {e}")))
}

fn done(r: Result<Value, (u16, String)>) -> Reply {
    match r {
        Ok(v) => Reply::json_value(200, &v),
        Err((code, msg)) => Reply::text(code, &msg),
    }
}

fn mode_json(shared: &Shared) -> Value {
    let m = shared.mode();
    json!({"status": m.status, "body": m.body, "delay_ms": m.delay_ms})
}

pub(crate) fn handle(shared: &Shared, method: &str, path: &str, q: &Query, body: &[u8]) -> Reply {
    let rest = path.trim_start_matches("/_double").trim_matches('/');
    let segs: Vec<&str> = rest.split('/').collect();
    let post = method == "POST" || method == "PUT";
    match segs.as_slice() {
        ["counts"] if method == "GET" => {
            let counts = shared.counts();
            let mut m = serde_json::Map::new();
            for (k, v) in counts.iter() {
                m.insert(k.clone(), json!(v));
            }
            m.insert("total".into(), json!(counts.values().sum::<u64>()));
            Reply::json_value(200, &Value::Object(m))
        }
        ["counts", "reset"] if post => {
            shared.counts().clear();
            Reply::json_value(200, &json!({"total": 0}))
        }
        ["index"] if method == "GET" => Reply::json_value(200, &json!({"Index": shared.current_index()})),
        ["stats"] if method == "GET" => Reply::json_value(200, &shared.stats.json(shared.tls)),
        ["stats", "reset"] if post => {
            shared.stats.reset();
            Reply::json_value(200, &shared.stats.json(shared.tls))
        }
        ["mode"] if method == "GET" => Reply::json_value(200, &mode_json(shared)),
        ["mode"] if post => {
            let v = match body_json(body) {
                Ok(v) => v,
                Err(r) => return r,
            };
            {
                let mut m = shared.mode();
                if let Some(s) = v.get("status") {
                    match s {
                        Value::Null => {
                            m.status = None;
                            m.body.clear();
                        }
                        s => match s.as_u64().filter(|n| (100..=599).contains(n)) {
                            Some(n) => {
                                m.status = Some(n as u16);
                                m.body = match v.get("body").and_then(Value::as_str) {
                                    Some(b) => b.to_owned(),
                                    None if n == 500 => "No cluster leader".into(),
                                    None if n == 403 => "Permission denied".into(),
                                    None => String::new(),
                                };
                            }
                            None => {
                                return Reply::text(
                                    400,
                                    "nomad-double: \"status\" must be an HTTP status or null",
                                )
                            }
                        },
                    }
                } else if let Some(b) = v.get("body").and_then(Value::as_str) {
                    m.body = b.to_owned();
                }
                if let Some(d) = v.get("delay_ms") {
                    m.delay_ms = d.as_u64().unwrap_or(0);
                }
            }
            Reply::json_value(200, &mode_json(shared))
        }
        ["alloc", id, action] if post => {
            let v = match body_json(body) {
                Ok(v) => v,
                Err(r) => return r,
            };
            let id = crate::query::percent_decode(id, false);
            match *action {
                "event" => done(shared.mutate(|s| s.append_event(&id, q.get("task"), &v))),
                "fail" => {
                    let code = v.get("ExitCode").and_then(Value::as_i64).unwrap_or(1);
                    done(shared.mutate(|s| s.fail(&id, code)))
                }
                "replace" => done(shared.mutate(|s| s.replace(&id, &v))),
                "stop" => done(shared.mutate(|s| s.stop(&id, &v))),
                _ => Reply::text(404, "nomad-double: unknown control action (event, fail, replace, stop)"),
            }
        }
        ["gc"] if post => {
            let v = match body_json(body) {
                Ok(v) => v,
                Err(r) => return r,
            };
            let ids: Option<Vec<String>> = v
                .get("IDs")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect());
            match ids {
                Some(ids) if !ids.is_empty() => done(shared.mutate(|s| s.gc(&ids))),
                _ => Reply::text(400, "nomad-double: the body must be {\"IDs\": [\"<alloc id>\", ...]}"),
            }
        }
        ["reset"] if post => {
            shared.reset();
            Reply::json_value(200, &json!({"Index": shared.current_index()}))
        }
        ["shutdown"] if post => {
            shared.request_shutdown();
            Reply::json_value(200, &json!({"shutdown": true}))
        }
        ["counts"]
        | ["counts", "reset"]
        | ["index"]
        | ["stats"]
        | ["stats", "reset"]
        | ["mode"]
        | ["alloc", _, _]
        | ["gc"]
        | ["reset"]
        | ["shutdown"] => Reply::text(405, "Invalid method"),
        _ => Reply::text(
            404,
            "nomad-double: unknown control path; see GET /_double/counts, POST /_double/counts/reset, \
             GET /_double/index, GET /_double/stats, POST /_double/stats/reset, GET|POST /_double/mode, POST /_double/alloc/:id/{event,fail,replace,stop}, \
             POST /_double/gc, POST /_double/reset, POST /_double/shutdown",
        ),
    }
}
