//! The Nomad endpoints the double serves (docs/nomad-live.md §1, §5): `GET /v1/allocations`,
//! `/v1/allocation/:id`, `/v1/job/:id/allocations` and `/v1/node/:id/allocations`, with
//! Nomad's parameters, blocking queries, headers and plain-text errors.
//!
//! Each behaviour is read from Nomad's source (v1.6.10, v1.10.5, v1.11.2 and v2.0.5 agree
//! on all of it unless a comment says otherwise): the agent's handlers in
//! `command/agent/http.go` (`wrap`, `parse`, `parseBool`, `setMeta`, the mux),
//! `alloc_endpoint.go`, `job_endpoint.go` and `node_endpoint.go`; the RPCs in
//! `nomad/alloc_endpoint.go`, `nomad/job_endpoint.go`, `nomad/node_endpoint.go` and
//! `nomad/rpc.go` (`blockingRPC`); the state store in `nomad/state/state_store.go`,
//! `schema.go` and `paginator/`. In the order Nomad checks:
//!
//! 1. the mux: a path no pattern matches gets `handleRootFallthrough`'s empty 404;
//! 2. the handler: a shape `AllocSpecificRequest` refuses (404 `resource not found`), then
//!    the method (405 `Invalid method`);
//! 3. `parse`: `stale`, `per_page`, `wait`, `index` (400, written by `parse` itself);
//! 4. the handler's own parameters (`resources`, `task_states`: `parseBool`'s plain error,
//!    so 500);
//! 5. the RPC: region forwarding (500 `No path to region`), then the token (403);
//! 6. the RPC's query, run at once and again after each wake of a blocking query: the
//!    state store's errors (an invalid ID or prefix: 500), the paginator's (400).
//!
//! `setMeta` (`X-Nomad-Index`, `X-Nomad-KnownLeader`, `X-Nomad-LastContact`,
//! `X-Nomad-NextToken`) runs only after a successful RPC, so errors carry none of these
//! headers, except `alloc not found`, which the handler returns after `setMeta`.

use crate::query::{
    go_quote, id_has_prefix, parse_bool, parse_go_duration, parse_go_uint, parse_uuid, percent_decode,
    sanitize_prefix, uuid_key, Filter, Query,
};
use crate::server::{Access, Reply, Shared};
use crate::store::{Entry, Store};
use allocscope_model::AllocListStub;
use serde_json::Value;
use std::cmp::Ordering;
use std::time::Duration;

/// Nomad's `MaxBlockingRPCQueryTime` and default wait.
pub const MAX_WAIT: Duration = Duration::from_secs(300);

/// Every `/v1` pattern Nomad v2.0.5's agent registers on its mux (`command/agent/http.go`
/// `registerHandlers`, and the Enterprise-only ones in `http_ce.go`). A path matching none
/// of them reaches `handleRootFallthrough`. A pattern ending in `/` matches its subtree;
/// the longest match wins, as in Go's `ServeMux`.
const NOMAD_V1_PATTERNS: &[&str] = &[
    "/v1/acl/auth-method",
    "/v1/acl/auth-method/",
    "/v1/acl/auth-methods",
    "/v1/acl/binding-rule",
    "/v1/acl/binding-rule/",
    "/v1/acl/binding-rules",
    "/v1/acl/bootstrap",
    "/v1/acl/identity/client-introduction-token",
    "/v1/acl/login",
    "/v1/acl/oidc/auth-url",
    "/v1/acl/oidc/complete-auth",
    "/v1/acl/policies",
    "/v1/acl/policy/",
    "/v1/acl/role",
    "/v1/acl/role/",
    "/v1/acl/roles",
    "/v1/acl/token",
    "/v1/acl/token/",
    "/v1/acl/token/onetime",
    "/v1/acl/token/onetime/exchange",
    "/v1/acl/tokens",
    "/v1/agent/force-leave",
    "/v1/agent/health",
    "/v1/agent/host",
    "/v1/agent/join",
    "/v1/agent/keyring/",
    "/v1/agent/members",
    "/v1/agent/monitor",
    "/v1/agent/monitor/export",
    "/v1/agent/pprof/",
    "/v1/agent/reload",
    "/v1/agent/schedulers",
    "/v1/agent/schedulers/config",
    "/v1/agent/self",
    "/v1/agent/servers",
    "/v1/allocation/",
    "/v1/allocations",
    "/v1/client/allocation/",
    "/v1/client/fs/",
    "/v1/client/gc",
    "/v1/client/identity",
    "/v1/client/identity/renew",
    "/v1/client/metadata",
    "/v1/client/stats",
    "/v1/deployment/",
    "/v1/deployments",
    "/v1/evaluation/",
    "/v1/evaluations",
    "/v1/evaluations/count",
    "/v1/event/stream",
    "/v1/job/",
    "/v1/jobs",
    "/v1/jobs/parse",
    "/v1/jobs/statuses",
    "/v1/metrics",
    "/v1/namespace",
    "/v1/namespace/",
    "/v1/namespaces",
    "/v1/node/",
    "/v1/node/pool/",
    "/v1/node/pools",
    "/v1/nodes",
    "/v1/operator/autopilot/configuration",
    "/v1/operator/autopilot/health",
    "/v1/operator/keyring/",
    "/v1/operator/license",
    "/v1/operator/raft/",
    "/v1/operator/scheduler/configuration",
    "/v1/operator/snapshot",
    "/v1/operator/upgrade-check/",
    "/v1/operator/utilization",
    "/v1/plugin/csi/",
    "/v1/plugins",
    "/v1/quota",
    "/v1/quota-usages",
    "/v1/quota/",
    "/v1/quotas",
    "/v1/recommendation",
    "/v1/recommendation/",
    "/v1/recommendations",
    "/v1/recommendations/apply",
    "/v1/regions",
    "/v1/scaling/policies",
    "/v1/scaling/policy/",
    "/v1/search",
    "/v1/search/fuzzy",
    "/v1/sentinel/policies",
    "/v1/sentinel/policy/",
    "/v1/service/",
    "/v1/services",
    "/v1/status/leader",
    "/v1/status/peers",
    "/v1/system/gc",
    "/v1/system/reconcile/summaries",
    "/v1/validate/job",
    "/v1/var/",
    "/v1/vars",
    "/v1/volume/csi/",
    "/v1/volume/host/",
    "/v1/volumes",
    "/v1/volumes/claim/",
    "/v1/volumes/claims",
    "/v1/volumes/external",
    "/v1/volumes/snapshot",
];

/// The Nomad pattern that serves `path` (decoded), if any.
fn nomad_pattern(path: &str) -> Option<&'static str> {
    NOMAD_V1_PATTERNS
        .iter()
        .filter(|p| if p.ends_with('/') { path.starts_with(**p) } else { path == **p })
        .max_by_key(|p| p.len())
        .copied()
}

/// Whether Go's `ServeMux` would take `path` as it is: no empty, `.` or `..` segments.
/// Others it redirects to the cleaned path (`findHandler`), which the double does not
/// imitate: the status depends on the Go version a Nomad release was built with.
fn is_clean(path: &str) -> bool {
    let Some(rest) = path.strip_prefix('/') else { return false };
    let segments: Vec<&str> = rest.split('/').collect();
    let last = segments.len() - 1;
    segments.iter().enumerate().all(|(i, s)| *s != "." && *s != ".." && (!s.is_empty() || i == last))
}

enum Route {
    List,
    Alloc(String),
    JobAllocs(String),
    NodeAllocs(String),
    /// Served by `events.rs`; here only for its method check.
    EventStream,
    /// `AllocSpecificRequest`'s own 404 (`command/agent/alloc_endpoint.go`): more than one
    /// segment after the ID, or an action it does not know.
    ResourceNotFound,
    /// A path Nomad serves and the double does not.
    Unimplemented,
    /// A path Go's `ServeMux` would redirect: not clean (see [`is_clean`]), or `/tree`
    /// where only `/tree/` is registered (`matchOrRedirect`).
    Redirect,
    /// No Nomad pattern matches: `handleRootFallthrough` (`command/agent/http.go`) answers
    /// `w.WriteHeader(http.StatusNotFound)`: 404, empty body, no `Content-Type`.
    Fallthrough,
}

/// Route a raw request path. The handlers see it decoded (Go's `URL.Path`), so an encoded
/// `/` in an ID splits it there.
fn route(raw_path: &str) -> Route {
    if !is_clean(raw_path) {
        return Route::Redirect;
    }
    let path = percent_decode(raw_path, false);
    let exact = NOMAD_V1_PATTERNS.contains(&path.as_str());
    if !exact && !path.ends_with('/') && NOMAD_V1_PATTERNS.contains(&format!("{path}/").as_str()) {
        return Route::Redirect;
    }
    let Some(pattern) = nomad_pattern(&path) else { return Route::Fallthrough };
    let rest = &path[pattern.len()..];
    match pattern {
        "/v1/allocations" => Route::List,
        "/v1/event/stream" => Route::EventStream,
        // `AllocSpecificRequest`: the ID, then at most one action.
        "/v1/allocation/" => match rest.split('/').collect::<Vec<_>>().as_slice() {
            [id] => Route::Alloc((*id).to_owned()),
            [_, "checks" | "stop" | "services"] => Route::Unimplemented,
            _ => Route::ResourceNotFound,
        },
        // `JobSpecificRequest` and `NodeSpecificRequest` switch on the path's suffix; before
        // `/allocations` they test only `/evaluate`, which cannot also match. The ID is the
        // rest, `/` included.
        "/v1/job/" => match rest.strip_suffix("/allocations") {
            Some(job) => Route::JobAllocs(job.to_owned()),
            None => Route::Unimplemented,
        },
        "/v1/node/" => match rest.strip_suffix("/allocations") {
            Some(node) => Route::NodeAllocs(node.to_owned()),
            None => Route::Unimplemented,
        },
        _ => Route::Unimplemented,
    }
}

/// An error answer: a status and Nomad's message.
type Failure = (u16, String);

/// Parameters every endpoint parses before its RPC (`command/agent/http.go` `parse`).
struct Common {
    min_index: u64,
    wait: Duration,
    namespace: String,
    per_page: i32,
    pretty: bool,
    /// The namespaces the token may read (`None`: all of them).
    readable: Option<Vec<String>>,
}

impl Common {
    fn may_read(&self, namespace: &str) -> bool {
        self.readable.as_ref().is_none_or(|r| r.iter().any(|n| n == namespace))
    }

    /// A list in `namespace`: a token without read-job there is refused (`*` is refused
    /// only when it may read no namespace at all; otherwise it is narrowed to those it may
    /// read, silently: `allowedNSes` in `nomad/alloc_endpoint.go`, docs/nomad-live.md).
    fn check_list_namespace(&self) -> Result<(), Failure> {
        let refused = match &self.readable {
            None => false,
            Some(r) if self.namespace == "*" => r.is_empty(),
            Some(_) => !self.may_read(&self.namespace),
        };
        if refused {
            return Err((403, "Permission denied".into()));
        }
        Ok(())
    }
}

/// `parse`, in its order: `parseConsistency` (`stale`), `parsePagination` (`per_page`),
/// `parseWait` (`wait`, then `index`); each writes its 400 itself.
fn common(q: &Query) -> Result<Common, Failure> {
    let bad = |m: &str| Err((400, m.to_owned()));
    if let Some(s) = q.get("stale") {
        if parse_bool(s).is_none() {
            return bad("Expect `true` or `false` for `stale` query string parameter");
        }
    }
    let per_page = match q.get("per_page") {
        None => 0,
        // strconv.ParseInt(s, 10, 32)
        Some(s) => match s.parse::<i32>() {
            Ok(n) => n,
            Err(_) => return bad("Expect a number for `per_page` query string parameter"),
        },
    };
    // `QueryOptions.TimeToBlock`: no wait, or one of 0 or less, is the default; the cap
    // is MaxBlockingRPCQueryTime. (`blockingRPC` adds up to wait/16 of jitter; the double
    // does not.)
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
        Some(s) => match parse_go_uint(s) {
            Some(n) => n,
            None => return bad("Invalid index"),
        },
    };
    // `wrap`: `pretty` present, with an empty value or any value but `0`.
    let pretty = q.has("pretty") && q.all("pretty").first().is_some_and(|v| *v != "0");
    Ok(Common {
        min_index,
        wait,
        namespace: q.get("namespace").unwrap_or("default").to_owned(),
        per_page,
        pretty,
        readable: None,
    })
}

/// `parseBool` (`command/agent/http.go`): an unparsable value is a plain `fmt.Errorf`, which
/// `wrap` answers with 500.
fn bool_param(q: &Query, name: &str) -> Result<Option<bool>, Failure> {
    match q.get(name) {
        None => Ok(None),
        Some(v) => parse_bool(v).map(Some).ok_or_else(|| {
            (
                500,
                format!(
                    "Failed to parse value of {} ({v}) as a bool: strconv.ParseBool: parsing {}: invalid syntax",
                    go_quote(name),
                    go_quote(v)
                ),
            )
        }),
    }
}

/// The RPC's first checks: forwarding to another region fails (`nomad/rpc.go`
/// `findRegionServer`: `structs.ErrNoRegionPath`, a plain error), then authentication.
fn rpc_prelude(q: &Query, access: &Access) -> Result<(), Failure> {
    if let Some(region) = q.get("region") {
        if region != "global" {
            return Err((500, "No path to region".into()));
        }
    }
    if *access == Access::Denied {
        return Err((403, "Permission denied".into()));
    }
    Ok(())
}

/// `wrap`'s JSON: `structs.JsonHandlePretty` (4-space indent, then a newline) or compact.
fn json_body<T: serde::Serialize + ?Sized>(v: &T, pretty: bool) -> Result<Vec<u8>, Failure> {
    let body = if pretty {
        let mut out = Vec::new();
        let fmt = serde_json::ser::PrettyFormatter::with_indent(b"    ");
        let mut ser = serde_json::Serializer::with_formatter(&mut out, fmt);
        v.serialize(&mut ser).map(|_| {
            out.push(b'\n');
            out
        })
    } else {
        serde_json::to_vec(v)
    };
    body.map_err(|e| (500, e.to_string()))
}

/// A successful answer, with `setMeta`'s headers. The index is Nomad's, and may be 0 (an
/// `allocs` table never written).
fn ok_reply<T: serde::Serialize + ?Sized>(v: &T, c: &Common, index: u64) -> Result<Reply, Failure> {
    Ok(Reply::json(200, json_body(v, c.pretty)?).nomad_meta(index))
}

/// `blockingRPC` (`nomad/rpc.go`): run the query; with `index > 0`, while the index it
/// answers with is not above it, wait for a change (or the wait time) and run it again.
/// An error ends it at once.
fn blocking<T>(
    shared: &Shared,
    c: &Common,
    run: impl Fn(&Store) -> Result<(T, u64), Failure>,
) -> Result<(T, u64), Failure> {
    let store = shared.wait_for(c.min_index, c.wait, |s| run(s).map_or(u64::MAX, |(_, index)| index));
    run(&store)
}

/// Answer one `/v1/...` request, for a token with `access`.
pub(crate) fn handle(shared: &Shared, method: &str, path: &str, q: &Query, access: &Access) -> Reply {
    let route = route(path);
    let unimplemented = |why: &str| {
        Reply::text(
            404,
            &format!(
                "nomad-double (a test double of Nomad's HTTP API) does not serve {path}{why}; it serves only \
                 GET /v1/allocations, /v1/allocation/:id, /v1/job/:id/allocations, /v1/node/:id/allocations \
                 and /v1/event/stream"
            ),
        )
    };
    match route {
        Route::Fallthrough => {
            return Reply { status: 404, content_type: "", body: Vec::new(), headers: Vec::new() };
        }
        Route::Redirect => return unimplemented(" (Go's ServeMux would redirect it)"),
        Route::Unimplemented => return unimplemented(" (Nomad does)"),
        Route::ResourceNotFound => return Reply::text(404, "resource not found"),
        _ if method != "GET" => return Reply::text(405, "Invalid method"),
        Route::EventStream => return unimplemented(" here"),
        _ => {}
    }
    let readable = match access {
        Access::Namespaces(n) => Some(n.clone()),
        _ => None,
    };
    let authorized = access;
    let result = common(q).map(|c| Common { readable, ..c }).and_then(|c| match route {
        Route::List => list(shared, q, &c, authorized),
        Route::Alloc(id) => alloc(shared, q, &c, authorized, &id),
        Route::JobAllocs(job) => job_allocs(shared, q, &c, authorized, &job),
        Route::NodeAllocs(node) => node_allocs(shared, q, &c, authorized, &node),
        _ => unreachable!("answered above"),
    });
    result.unwrap_or_else(|(code, msg)| Reply::text(code, &msg))
}

/// `GET /v1/allocation/:id`: `allocGet`, RPC `Alloc.GetAlloc`. The ID goes to memdb's UUID
/// index as it is: not 36 characters (or not hex) is the state store's error
/// (`AllocByID`: `alloc lookup failed: index error: ...`), a 500; case and where the
/// hyphens sit do not matter. Found: the allocation's `ModifyIndex`; not found: the
/// table's index, then the handler's 404, after `setMeta`.
fn alloc(shared: &Shared, q: &Query, c: &Common, authorized: &Access, id: &str) -> Result<Reply, Failure> {
    rpc_prelude(q, authorized)?;
    let key = parse_uuid(id, true).map_err(|e| (500, format!("alloc lookup failed: index error: {e}")))?;
    let find = |s: &Store| -> Option<Entry> {
        match s.allocs.get(id) {
            Some(e) => Some(e.clone()),
            None => s.allocs.values().find(|e| uuid_key(&e.alloc.id) == key).cloned(),
        }
    };
    let (found, index) = blocking(shared, c, |s| {
        let e = find(s);
        let index = e.as_ref().map_or(s.index, |e| e.alloc.modify_index);
        Ok((e.map(|e| e.raw), index))
    })?;
    match found {
        // `Alloc.GetAlloc` refuses an allocation in a namespace the token may not read
        // with a plain error, a 500 (docs/nomad-live.md §5).
        Some(raw) if !c.may_read(raw.get("Namespace").and_then(Value::as_str).unwrap_or("default")) => {
            Err((500, format!("Unknown allocation {}", go_quote(id))))
        }
        Some(raw) => ok_reply(&raw, c, index),
        None => Ok(Reply::text(404, "alloc not found").nomad_meta(index)),
    }
}

/// `GET /v1/allocations`: `AllocsRequest`, RPC `Alloc.List`.
fn list(shared: &Shared, q: &Query, c: &Common, authorized: &Access) -> Result<Reply, Failure> {
    // `resources` then `task_states`, before the RPC; `NewAllocStubFields` defaults.
    let resources = bool_param(q, "resources")?.unwrap_or(false);
    let task_states = bool_param(q, "task_states")?.unwrap_or(true);
    rpc_prelude(q, authorized)?;
    c.check_list_namespace()?;
    // `parseReverse`: exactly `true`; anything else is false, never an error.
    let reverse = q.get("reverse") == Some("true");
    let next_token = q.get("next_token");
    let prefix = q.get("prefix");
    let ((stubs, next), index) = blocking(shared, c, |s| {
        // The iterator first (`AllocsByIDPrefix`: memdb's prefix error, a plain 500) ...
        let prefix = match prefix {
            None => None,
            Some(p) => Some(
                sanitize_prefix(p).map_err(|e| (500, format!("alloc lookup failed: index error: {e}")))?,
            ),
        };
        // ... then the paginator, whose filter errors are 400s (`nomad/alloc_endpoint.go`).
        let filter = match q.get("filter") {
            None => None,
            Some(f) => Some(Filter::parse(f).map_err(|e| {
                (400, format!("failed to create result paginator: failed to read filter expression: {e}"))
            })?),
        };
        let (items, next) = page(s, c, prefix.as_deref(), filter.as_ref(), next_token, reverse)
            .map_err(|e| (400, format!("failed to read result page: {e}")))?;
        let stubs: Vec<AllocListStub> = items
            .iter()
            .map(|e| {
                let mut stub = AllocListStub::from_allocation(&e.alloc, resources);
                if !task_states {
                    stub.task_states = None;
                }
                stub
            })
            .collect();
        Ok(((stubs, next), s.index))
    })?;
    let mut reply = ok_reply(&stubs, c, index)?;
    if let Some(t) = next {
        reply = reply.header("X-Nomad-NextToken", &t);
    }
    Ok(reply)
}

/// One page of `Alloc.List`, as `nomad/state/paginator` makes it. The iterator: by ID with
/// a prefix (`AllocsByIDPrefix`, in the namespace or all of them for `*`), else by
/// `CreateIndex` then ID (`AllocsByNamespaceOrdered`, or `Allocs` for `*`); reversed
/// with `reverse=true`. Then for each item: skip it while it comes before `next_token`
/// (compared by `IDTokenizer` or `CreateIndexAndIDTokenizer`); evaluate the filter (its
/// error ends the page); count it, and when the count passes `per_page` (when not 0; a
/// negative one passes at once) stop, that item's token being the next token.
fn page<'s>(
    s: &'s Store,
    c: &Common,
    prefix: Option<&str>,
    filter: Option<&Filter>,
    next_token: Option<&str>,
    reverse: bool,
) -> Result<(Vec<&'s Entry>, Option<String>), String> {
    let all_ns = c.namespace == "*";
    let mut items: Vec<&Entry> = s
        .allocs
        .values()
        .filter(|e| all_ns || e.alloc.namespace_or_default() == c.namespace)
        .filter(|e| c.may_read(e.alloc.namespace_or_default()))
        .filter(|e| prefix.is_none_or(|p| id_has_prefix(&e.alloc.id, p)))
        .collect();
    // Each key is built once per item, not once per comparison: at 20,000 allocations a
    // page took 0.25 s more than it does now.
    match prefix {
        Some(_) => items.sort_by_cached_key(|e| uuid_key(&e.alloc.id)),
        None => items.sort_by_cached_key(|e| (e.alloc.create_index, uuid_key(&e.alloc.id))),
    }
    if reverse {
        items.reverse();
    }
    let token_of = |e: &Entry| match prefix {
        Some(_) => e.alloc.id.clone(),
        None => format!("{}.{}", e.alloc.create_index, e.alloc.id),
    };
    let compare = |e: &Entry, target: &str| -> Ordering {
        match prefix {
            Some(_) => e.alloc.id.as_str().cmp(target),
            None => create_index_and_id_cmp(e.alloc.create_index, &e.alloc.id, target),
        }
    };
    let mut out = Vec::new();
    let mut found_token = next_token.is_none();
    let mut count: i64 = 0;
    for e in items {
        // Items before the token in the current order are skipped until the first one
        // included (`nextTokenFound`); after that every item is past the token anyway.
        let passed = match next_token {
            Some(t) if !found_token => {
                compare(e, t) == if reverse { Ordering::Greater } else { Ordering::Less }
            }
            _ => false,
        };
        if passed {
            continue;
        }
        if let Some(f) = filter {
            if !f.matches(&e.raw, &e.alloc)? {
                continue;
            }
        }
        found_token = true;
        count += 1;
        if c.per_page != 0 && count > i64::from(c.per_page) {
            return Ok((out, Some(token_of(e))));
        }
        out.push(e);
    }
    Ok((out, None))
}

/// `paginator.CreateIndexAndIDTokenizer`'s comparison of an item with the target token.
fn create_index_and_id_cmp(create_index: u64, id: &str, target: &str) -> Ordering {
    let token = || format!("{create_index}.{id}");
    let Some((index, target_id)) = target.split_once('.') else { return token().as_str().cmp(target) };
    // strconv.Atoi, then uint64(): a negative index wraps, as in Go.
    match index.parse::<i64>() {
        Ok(t) => create_index.cmp(&(t as u64)).then_with(|| id.cmp(target_id)),
        Err(_) => token().as_str().cmp(target),
    }
}

/// `GET /v1/job/:job/allocations`: `jobAllocations`, RPC `Job.Allocations`, state
/// `AllocsByJob`. The job's allocations in `namespace` (exact, case-sensitive; `*` is no
/// namespace here). Without `all=true` (`strconv.ParseBool`, errors ignored), allocations
/// whose `Job.CreateIndex` differs from the current job's are left out: those of an older
/// job that had the same ID (purged and registered again), not those of older versions,
/// which keep the job's `CreateIndex`. The double has no jobs table: the current job is
/// the newest instance among the allocations' jobs. The index is the `allocs` table's.
fn job_allocs(
    shared: &Shared,
    q: &Query,
    c: &Common,
    authorized: &Access,
    job: &str,
) -> Result<Reply, Failure> {
    let all = q.get("all").and_then(parse_bool).unwrap_or(false);
    rpc_prelude(q, authorized)?;
    c.check_list_namespace()?;
    let job_create_index =
        |e: &Entry| e.raw.get("Job").and_then(|j| j.get("CreateIndex")).and_then(Value::as_u64);
    let (stubs, index) = blocking(shared, c, |s| {
        let of_job: Vec<&Entry> = s
            .allocs
            .values()
            .filter(|e| e.alloc.job_id == job && e.alloc.namespace_or_default() == c.namespace)
            .collect();
        let current = of_job.iter().filter_map(|e| job_create_index(e)).max();
        let stubs: Vec<AllocListStub> = of_job
            .into_iter()
            .filter(|e| all || current.is_none() || job_create_index(e).is_none_or(|ci| Some(ci) == current))
            .map(|e| AllocListStub::from_allocation(&e.alloc, false))
            .collect();
        Ok((stubs, s.index))
    })?;
    ok_reply(&stubs, c, index)
}

/// `GET /v1/node/:node/allocations`: `nodeAllocations`, RPC `Node.GetAllocs`, state
/// `AllocsByNode`. That lookup uses the `allocs` table's `node_prefix` index (`NodeID`
/// lower-cased, then whether the allocation is terminal): the node ID is matched as a
/// case-insensitive **prefix**, and the allocations come ordered by node ID, running
/// before terminal, then by ID. Every namespace. The index is the largest `ModifyIndex`
/// among them ("subsequent requests need to start from the latest index"), or, with none,
/// the table's, at least 1.
fn node_allocs(
    shared: &Shared,
    q: &Query,
    c: &Common,
    authorized: &Access,
    node: &str,
) -> Result<Reply, Failure> {
    rpc_prelude(q, authorized)?;
    let node = node.to_lowercase();
    let (full, index) = blocking(shared, c, |s| {
        let mut on: Vec<&Entry> =
            s.allocs.values().filter(|e| e.alloc.node_id.to_lowercase().starts_with(&node)).collect();
        // The index counts every allocation on the node; the answer only those the token may
        // read (`Node.GetAllocs` filters each by its namespace).
        let index = on.iter().map(|e| e.alloc.modify_index).max();
        on.retain(|e| c.may_read(e.alloc.namespace_or_default()));
        let terminal = |e: &Entry| {
            matches!(e.alloc.desired_status.as_str(), "stop" | "evict")
                || matches!(e.alloc.client_status.as_str(), "complete" | "failed" | "lost")
        };
        on.sort_by_cached_key(|e| (e.alloc.node_id.to_lowercase(), terminal(e), uuid_key(&e.alloc.id)));
        let index = match index {
            Some(max) => max,
            None => s.index.max(1),
        };
        Ok((on.into_iter().map(|e| e.raw.clone()).collect::<Vec<Value>>(), index))
    })?;
    ok_reply(&full, c, index)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        let kind = |p: &str| match route(p) {
            Route::List => "list".to_owned(),
            Route::Alloc(id) => format!("alloc {id}"),
            Route::JobAllocs(j) => format!("job {j}"),
            Route::NodeAllocs(n) => format!("node {n}"),
            Route::EventStream => "events".into(),
            Route::ResourceNotFound => "resource not found".into(),
            Route::Unimplemented => "unimplemented".into(),
            Route::Redirect => "redirect".into(),
            Route::Fallthrough => "fallthrough".into(),
        };
        for (path, want) in [
            ("/v1/allocations", "list"),
            ("/v1/allocations/", "fallthrough"),
            ("/v1/allocation/abc", "alloc abc"),
            ("/v1/allocation/", "alloc "),
            ("/v1/allocation/a%2Fb", "resource not found"),
            ("/v1/allocation/a/b/c", "resource not found"),
            ("/v1/allocation/a/bogus", "resource not found"),
            ("/v1/allocation/a/stop", "unimplemented"),
            ("/v1/job/web/allocations", "job web"),
            ("/v1/job/a/b/allocations", "job a/b"),
            ("/v1/job/a%2Fb/allocations", "job a/b"),
            ("/v1/job/allocations", "unimplemented"),
            ("/v1/job/web", "unimplemented"),
            ("/v1/node/5e/allocations", "node 5e"),
            ("/v1/node/pool/x/allocations", "unimplemented"),
            ("/v1/nodes", "unimplemented"),
            ("/v1/event/stream", "events"),
            ("/v1/nope", "fallthrough"),
            ("/v1", "fallthrough"),
            ("/v1/", "fallthrough"),
            ("/v1/job//allocations", "redirect"),
            ("/v1/allocation/../allocations", "redirect"),
            ("/v1/allocation", "redirect"),
            ("/v1/node/pool", "redirect"),
            ("/v1/job/x/", "unimplemented"),
        ] {
            assert_eq!(kind(path), want, "{path}");
        }
    }

    #[test]
    fn tokens_compare_like_go() {
        assert_eq!(create_index_and_id_cmp(12, "b", "102.a"), Ordering::Less, "numbers, not text");
        assert_eq!(create_index_and_id_cmp(102, "b", "102.a"), Ordering::Greater);
        assert_eq!(create_index_and_id_cmp(102, "a", "102.a"), Ordering::Equal);
        // Not `<index>.<id>`: the whole token compared as text.
        assert_eq!(create_index_and_id_cmp(5, "a", "zzz"), Ordering::Less);
        assert_eq!(create_index_and_id_cmp(5, "a", "x.y"), Ordering::Less);
    }
}
