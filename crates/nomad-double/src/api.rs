//! The Nomad endpoints the double serves (nomad-model.md §4): `GET /v1/allocations`,
//! `/v1/allocation/:id`, `/v1/job/:id/allocations` and `/v1/node/:id/allocations`, with
//! Nomad's parameters, blocking queries, headers and plain-text errors.

use crate::query::{
    id_has_prefix, parse_bool, parse_go_duration, percent_decode, sanitize_prefix, Filter, Query,
};
use crate::server::{Reply, Shared};
use crate::store::Entry;
use allocscope_model::AllocListStub;
use serde_json::Value;
use std::time::Duration;

/// Nomad's `MaxBlockingRPCQueryTime` and default wait.
pub const MAX_WAIT: Duration = Duration::from_secs(300);

enum Route {
    List,
    Alloc(String),
    JobAllocs(String),
    NodeAllocs(String),
}

fn route(path: &str) -> Option<Route> {
    if path == "/v1/allocations" {
        return Some(Route::List);
    }
    if let Some(rest) = path.strip_prefix("/v1/allocation/") {
        return (!rest.is_empty() && !rest.contains('/')).then(|| Route::Alloc(percent_decode(rest, false)));
    }
    if let Some(job) = path.strip_prefix("/v1/job/").and_then(|r| r.strip_suffix("/allocations")) {
        // Job IDs may hold `/` (dispatched jobs), encoded or not.
        return (!job.is_empty()).then(|| Route::JobAllocs(percent_decode(job, false)));
    }
    if let Some(node) = path.strip_prefix("/v1/node/").and_then(|r| r.strip_suffix("/allocations")) {
        return (!node.is_empty() && !node.contains('/'))
            .then(|| Route::NodeAllocs(percent_decode(node, false)));
    }
    None
}

/// Parameters every endpoint parses before its RPC (Nomad's `http.go parse()`).
struct Common {
    min_index: u64,
    wait: Duration,
    namespace: String,
    pretty: bool,
}

fn common(q: &Query) -> Result<Common, (u16, String)> {
    let bad = |m: &str| Err((400, m.to_owned()));
    let wait = match q.get("wait") {
        None => MAX_WAIT,
        Some(s) => match parse_go_duration(s) {
            None => return bad("Invalid wait time"),
            Some(ns) if ns <= 0 => MAX_WAIT,
            Some(ns) => Duration::from_nanos(ns.min(MAX_WAIT.as_nanos() as i128) as u64),
        },
    };
    let min_index = match q.get("index") {
        None => 0,
        Some(s) => match s.parse::<u64>() {
            Ok(n) => n,
            Err(_) => return bad("Invalid index"),
        },
    };
    if let Some(s) = q.get("stale") {
        if parse_bool(s).is_none() {
            return bad("Expect `true` or `false` for `stale` query string parameter");
        }
    }
    if let Some(s) = q.get("per_page") {
        if s.parse::<i32>().is_err() {
            return bad("Expect a number for `per_page` query string parameter");
        }
    }
    if let Some(region) = q.get("region") {
        if region != "global" {
            return Err((500, "No path to region".into()));
        }
    }
    let pretty = q.has("pretty") && q.get("pretty").is_none_or(|v| parse_bool(v) != Some(false));
    Ok(Common { min_index, wait, namespace: q.get("namespace").unwrap_or("default").to_owned(), pretty })
}

fn bool_param(q: &Query, name: &str, default: bool) -> Result<bool, (u16, String)> {
    match q.get(name) {
        None => Ok(default),
        Some(v) => parse_bool(v).ok_or_else(|| {
            (400, format!("Failed to parse value of {name:?} ({v}) as a bool: strconv.ParseBool: parsing {v:?}: invalid syntax"))
        }),
    }
}

fn json_reply<T: serde::Serialize + ?Sized>(v: &T, pretty: bool, index: u64) -> Reply {
    let body = if pretty { serde_json::to_vec_pretty(v) } else { serde_json::to_vec(v) };
    match body {
        Ok(b) => Reply::json(200, b).nomad_meta(index),
        Err(e) => Reply::text(500, &e.to_string()).nomad_meta(index),
    }
}

/// Answer one `/v1/...` request. `authorized` says whether the token check passed.
pub(crate) fn handle(shared: &Shared, method: &str, path: &str, q: &Query, authorized: bool) -> Reply {
    let error = |(code, msg): (u16, String)| Reply::text(code, &msg).nomad_meta(shared.current_index());
    let Some(route) = route(path) else {
        return error((
            404,
            "404 page not found (nomad-double, a test double, serves only GET /v1/allocations, \
             /v1/allocation/:id, /v1/job/:id/allocations and /v1/node/:id/allocations)"
                .into(),
        ));
    };
    if method != "GET" {
        return error((405, "Invalid method".into()));
    }
    let c = match common(q) {
        Ok(c) => c,
        Err(e) => return error(e),
    };
    if !authorized {
        return error((403, "Permission denied".into()));
    }
    let result = match route {
        Route::List => list(shared, q, &c),
        Route::Alloc(id) => {
            let store = shared.wait_for(c.min_index, c.wait, |s| {
                s.allocs.get(&id).map(|e| e.alloc.modify_index).unwrap_or(s.index)
            });
            match store.allocs.get(&id) {
                // Nomad answers with the allocation's own ModifyIndex.
                Some(e) => Ok(json_reply(&e.raw, c.pretty, e.alloc.modify_index.max(1))),
                None => Err((404, "alloc not found".into())),
            }
        }
        Route::JobAllocs(job) => {
            let store = shared.wait_for(c.min_index, c.wait, |s| s.index);
            let stubs: Vec<AllocListStub> = store
                .allocs
                .values()
                .filter(|e| e.alloc.job_id == job && e.alloc.namespace_or_default() == c.namespace)
                .map(|e| AllocListStub::from_allocation(&e.alloc, false))
                .collect();
            Ok(json_reply(&stubs, c.pretty, store.index))
        }
        Route::NodeAllocs(node) => {
            let store = shared.wait_for(c.min_index, c.wait, |s| s.index);
            let full: Vec<&Value> =
                store.allocs.values().filter(|e| e.alloc.node_id == node).map(|e| &e.raw).collect();
            Ok(json_reply(&full, c.pretty, store.index))
        }
    };
    result.unwrap_or_else(error)
}

/// `GET /v1/allocations`.
fn list(shared: &Shared, q: &Query, c: &Common) -> Result<Reply, (u16, String)> {
    let resources = bool_param(q, "resources", false)?;
    let task_states = bool_param(q, "task_states", true)?;
    let per_page =
        q.get("per_page").and_then(|s| s.parse::<i32>().ok()).filter(|n| *n > 0).map(|n| n as usize);
    let next_token = q.get("next_token");
    let reverse = q.get("reverse") == Some("true");
    // The RPC's own checks come after authentication, and before any blocking.
    let prefix = match q.get("prefix") {
        None => None,
        Some(p) => Some(sanitize_prefix(p).map_err(|m| (400, m))?),
    };
    let filter = match q.get("filter") {
        None => None,
        Some(f) => {
            Some(Filter::parse(f).map_err(|m| (400, format!("failed to read filter expression: {m}")))?)
        }
    };

    let store = shared.wait_for(c.min_index, c.wait, |s| s.index);
    let all_ns = c.namespace == "*";
    let by_id = prefix.is_some();
    let key =
        |e: &Entry| if by_id { (0, e.alloc.id.clone()) } else { (e.alloc.create_index, e.alloc.id.clone()) };
    let mut items: Vec<&Entry> = store
        .allocs
        .values()
        .filter(|e| all_ns || e.alloc.namespace_or_default() == c.namespace)
        .filter(|e| prefix.as_deref().is_none_or(|p| id_has_prefix(&e.alloc.id, p)))
        .filter(|e| filter.as_ref().is_none_or(|f| f.matches(&e.alloc)))
        .collect();
    items.sort_by_key(|e| key(e));
    if reverse {
        items.reverse();
    }

    // The token names the first item of the page: `<CreateIndex>.<ID>`, or the ID when
    // ordered by ID. Skip what comes before it in the current order.
    let token_of = |e: &Entry| {
        if by_id {
            e.alloc.id.clone()
        } else {
            format!("{}.{}", e.alloc.create_index, e.alloc.id)
        }
    };
    if let Some(tok) = next_token {
        let parsed = if by_id {
            Some((0u64, tok.to_owned()))
        } else {
            tok.split_once('.').and_then(|(ci, id)| ci.parse::<u64>().ok().map(|ci| (ci, id.to_owned())))
        };
        let start = match parsed {
            Some(t) => items.iter().position(|e| if reverse { key(e) <= t } else { key(e) >= t }),
            None => items.iter().position(|e| e.alloc.id == tok),
        };
        items.drain(..start.unwrap_or(items.len()));
    }
    let mut next = None;
    if let Some(n) = per_page {
        if items.len() > n {
            next = Some(token_of(items[n]));
            items.truncate(n);
        }
    }
    let stubs: Vec<AllocListStub> = items
        .iter()
        .map(|e| {
            let mut s = AllocListStub::from_allocation(&e.alloc, resources);
            if !task_states {
                s.task_states = None;
            }
            s
        })
        .collect();
    let mut reply = json_reply(&stubs, c.pretty, store.index);
    if let Some(t) = next {
        reply = reply.header("X-Nomad-NextToken", &t);
    }
    Ok(reply)
}
