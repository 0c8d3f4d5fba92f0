//! Runs the double in-process on a free port and talks HTTP to it with a minimal client.

use nomad_double::{DoubleServer, Options};
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::time::{Duration, Instant};

fn demo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../www/demo")
}

fn start_with(f: impl FnOnce(&mut Options)) -> DoubleServer {
    let mut o = Options::new(demo(), "127.0.0.1:0");
    f(&mut o);
    DoubleServer::start(o).expect("the double starts")
}

fn start() -> DoubleServer {
    start_with(|_| {})
}

struct Resp {
    status: u16,
    headers: Vec<(String, String)>,
    /// The body as sent (de-chunked, still compressed if it was).
    bytes: Vec<u8>,
    /// The same as text (lossy), for answers that are not compressed.
    body: String,
    /// Whether it came with `Transfer-Encoding: chunked`.
    chunked: bool,
}

impl Resp {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
    fn index(&self) -> u64 {
        self.header("X-Nomad-Index").expect("X-Nomad-Index").parse().unwrap()
    }
    /// The body after undoing its `Content-Encoding`.
    fn decoded(&self) -> Vec<u8> {
        use flate2::read::{DeflateDecoder, GzDecoder};
        let mut out = Vec::new();
        match self.header("Content-Encoding") {
            None => out.clone_from(&self.bytes),
            Some("gzip") => {
                GzDecoder::new(&self.bytes[..]).read_to_end(&mut out).expect("a gzip body");
            }
            Some("deflate") => {
                DeflateDecoder::new(&self.bytes[..]).read_to_end(&mut out).expect("a raw deflate body");
            }
            Some(other) => panic!("unexpected Content-Encoding {other}"),
        }
        out
    }
}

/// Undo HTTP/1.1 chunked framing (trailers ignored).
fn dechunk(mut raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let line_end = raw.windows(2).position(|w| w == b"\r\n").expect("a chunk size line");
        let size_text = std::str::from_utf8(&raw[..line_end]).unwrap();
        let size = usize::from_str_radix(size_text.split(';').next().unwrap().trim(), 16).expect("hex size");
        raw = &raw[line_end + 2..];
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&raw[..size]);
        assert_eq!(&raw[size..size + 2], b"\r\n", "a chunk ends with CRLF");
        raw = &raw[size + 2..];
    }
}

fn request(s: &DoubleServer, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Resp {
    let mut c = TcpStream::connect(s.addr()).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n", s.addr());
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    c.write_all(req.as_bytes()).unwrap();
    let mut raw = Vec::new();
    c.read_to_end(&mut raw).unwrap();
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("a full response");
    let head = String::from_utf8(raw[..split].to_vec()).unwrap();
    let rest = &raw[split + 4..];
    let mut lines = head.lines();
    let status = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let chunked = headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("Transfer-Encoding") && v.eq_ignore_ascii_case("chunked"));
    let bytes = if chunked { dechunk(rest) } else { rest.to_vec() };
    // (A HEAD answer announces the length of the body it leaves out.)
    if let Some((_, n)) =
        headers.iter().find(|(k, _)| k.eq_ignore_ascii_case("Content-Length") && method != "HEAD")
    {
        assert_eq!(n.parse::<usize>().unwrap(), bytes.len(), "Content-Length is the body's length");
    }
    let body = String::from_utf8_lossy(&bytes).into_owned();
    Resp { status, headers, bytes, body, chunked }
}

fn get(s: &DoubleServer, path: &str) -> Resp {
    request(s, "GET", path, &[], "")
}

fn post(s: &DoubleServer, path: &str, body: Value) -> Resp {
    request(s, "POST", path, &[("Content-Type", "application/json")], &body.to_string())
}

fn ids(v: &Value) -> Vec<String> {
    v.as_array().unwrap().iter().map(|a| a["ID"].as_str().unwrap().to_owned()).collect()
}

const DEMO_INDEX: u64 = 1849909;

#[test]
fn list_and_headers() {
    let s = start();
    let r = get(&s, "/v1/allocations");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("Content-Type"), Some("application/json"));
    assert_eq!(r.index(), DEMO_INDEX);
    assert_eq!(r.header("X-Nomad-KnownLeader"), Some("true"));
    assert_eq!(r.header("X-Nomad-LastContact"), Some("0"));
    assert_eq!(r.header("X-Nomad-NextToken"), None);
    let list = r.json();
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 33, "the default namespace");
    let keys: Vec<(u64, String)> = list
        .iter()
        .map(|a| (a["CreateIndex"].as_u64().unwrap(), a["ID"].as_str().unwrap().to_owned()))
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted, "ordered by CreateIndex");
    // Stubs: every stub field written, no Job.
    assert!(list[0].get("Job").is_none());
    assert!(list[0].get("JobType").is_some() && list[0].get("FollowupEvalID").is_some());
    // reverse
    let rev = get(&s, "/v1/allocations?reverse=true").json();
    let mut back = ids(&rev);
    back.reverse();
    assert_eq!(back, ids(&r.json()));
}

#[test]
fn pagination_covers_every_allocation() {
    let s = start();
    let all = ids(&get(&s, "/v1/allocations?namespace=*").json());
    assert_eq!(all.len(), 53);
    for (per_page, reverse) in [(7, false), (10, true), (53, false), (1, false)] {
        let mut seen = Vec::new();
        let mut token: Option<String> = None;
        let mut pages = 0;
        loop {
            let mut path = format!("/v1/allocations?namespace=%2A&per_page={per_page}&reverse={reverse}");
            if let Some(t) = &token {
                path.push_str(&format!("&next_token={t}"));
            }
            let r = get(&s, &path);
            assert_eq!(r.status, 200);
            let page = ids(&r.json());
            assert!(page.len() <= per_page);
            seen.extend(page);
            pages += 1;
            match r.header("X-Nomad-NextToken") {
                Some(t) => token = Some(t.to_owned()),
                None => break,
            }
        }
        let mut expected = all.clone();
        if reverse {
            expected.reverse();
        }
        assert_eq!(seen, expected, "per_page={per_page} reverse={reverse}");
        assert_eq!(pages, 53usize.div_ceil(per_page));
    }
    let r = get(&s, "/v1/allocations?per_page=ten");
    assert_eq!(r.status, 400);
    assert_eq!(r.body, "Expect a number for `per_page` query string parameter");
}

#[test]
fn prefix() {
    let s = start();
    // memdb's prefix error comes out of the state store as a plain error: a 500
    // (`nomad/state/state_store.go` AllocsByIDPrefix, go-memdb `UUIDFieldIndex`).
    let r = get(&s, "/v1/allocations?prefix=abc");
    assert_eq!(r.status, 500);
    assert_eq!(r.header("Content-Type"), Some("text/plain; charset=utf-8"));
    assert_eq!(r.body, "alloc lookup failed: index error: Input (without hyphens) must be even length");
    assert_eq!(r.header("X-Nomad-Index"), None, "no setMeta on an RPC error");
    let r = get(&s, "/v1/allocations?prefix=zz");
    assert_eq!(
        (r.status, r.body.as_str()),
        (500, "alloc lookup failed: index error: Invalid UUID: encoding/hex: invalid byte: U+007A 'z'")
    );
    let all = ids(&get(&s, "/v1/allocations?namespace=*").json());
    let p = &all[0][..2];
    let r = get(&s, &format!("/v1/allocations?namespace=*&prefix={p}"));
    assert_eq!(r.status, 200);
    let got = ids(&r.json());
    let mut want: Vec<String> = all.iter().filter(|id| id.starts_with(p)).cloned().collect();
    want.sort();
    assert_eq!(got, want, "ordered by ID");
    // With a prefix the token is the next item's ID.
    if got.len() > 1 {
        let r = get(&s, &format!("/v1/allocations?namespace=*&prefix={p}&per_page=1"));
        assert_eq!(r.header("X-Nomad-NextToken"), Some(got[1].as_str()));
    }
}

#[test]
fn namespaces() {
    let s = start();
    let count = |q: &str| get(&s, &format!("/v1/allocations{q}")).json().as_array().unwrap().len();
    assert_eq!(count(""), 33);
    assert_eq!(count("?namespace=default"), 33);
    assert_eq!(count("?namespace=payments"), 11);
    assert_eq!(count("?namespace=batch-etl"), 9);
    assert_eq!(count("?namespace=*"), 53);
    let r = get(&s, "/v1/allocations?namespace=nope");
    assert_eq!((r.status, r.body.as_str()), (200, "[]"));
}

#[test]
fn filter_expressions() {
    let s = start();
    let r = get(&s, "/v1/allocations?namespace=*&filter=ClientStatus%20%3D%3D%20%22failed%22");
    assert_eq!(r.status, 200);
    let failed = r.json();
    let failed = failed.as_array().unwrap();
    assert!(!failed.is_empty());
    assert!(failed.iter().all(|a| a["ClientStatus"] == "failed"));
    let r = get(
        &s,
        "/v1/allocations?namespace=*&filter=ClientStatus+%3D%3D+%22failed%22+and+JobID+%3D%3D+%22checkout-api%22",
    );
    let v = r.json();
    let both = v.as_array().unwrap();
    assert!(!both.is_empty() && both.len() < failed.len());
    assert!(both.iter().all(|a| a["JobID"] == "checkout-api" && a["ClientStatus"] == "failed"));
    let r = get(&s, "/v1/allocations?filter=TaskGroup+%3D%3D+%22web%22");
    assert!(r.json().as_array().unwrap().iter().all(|a| a["TaskGroup"] == "web"));
    // A filter that does not parse: `NewPaginator`'s error, wrapped by Alloc.List.
    for bad in ["ClientStatus+%3D%3D", "ClientStatus+matches+%22f.*%22"] {
        let r = get(&s, &format!("/v1/allocations?filter={bad}"));
        assert_eq!(r.status, 400, "{bad}");
        assert!(
            r.body.starts_with("failed to create result paginator: failed to read filter expression:"),
            "{}",
            r.body
        );
    }
    // A selector naming no field fails when an allocation is evaluated: `Page`'s error.
    let r = get(&s, "/v1/allocations?filter=Bogus+%3D%3D+%22x%22");
    assert_eq!(
        (r.status, r.body.as_str()),
        (
            400,
            "failed to read result page: error finding value in datum: /Bogus at part 0: \
             couldn't find struct field with name \"Bogus\""
        )
    );
    // Nothing to evaluate, no error.
    let r = get(&s, "/v1/allocations?namespace=nope&filter=Bogus+%3D%3D+%22x%22");
    assert_eq!((r.status, r.body.as_str()), (200, "[]"));
}

#[test]
fn single_allocation_and_errors() {
    let s = start();
    let list = get(&s, "/v1/allocations?namespace=payments").json();
    let stub = &list[0];
    let id = stub["ID"].as_str().unwrap();
    let r = get(&s, &format!("/v1/allocation/{id}"));
    assert_eq!(r.status, 200);
    let a = r.json();
    assert_eq!(a["ID"], id);
    assert!(a["Job"].is_object(), "full allocation");
    assert_eq!(r.index(), a["ModifyIndex"].as_u64().unwrap(), "the allocation's own index");
    // namespace is ignored for an ID lookup
    assert_eq!(get(&s, &format!("/v1/allocation/{id}?namespace=default")).status, 200);

    let r = get(&s, "/v1/allocation/00000000-0000-0000-0000-000000000000");
    assert_eq!((r.status, r.body.as_str()), (404, "alloc not found"));
    assert_eq!(r.header("Content-Type"), Some("text/plain; charset=utf-8"));
    assert_eq!(r.index(), DEMO_INDEX);

    for m in ["OPTIONS", "POST", "DELETE"] {
        let r = request(&s, m, "/v1/allocations", &[], "");
        assert_eq!((r.status, r.body.as_str()), (405, "Invalid method"), "{m}");
    }
    assert_eq!(request(&s, "OPTIONS", &format!("/v1/allocation/{id}"), &[], "").status, 405);
    assert_eq!(get(&s, "/v1/allocations?index=x").body, "Invalid index");
    assert_eq!(get(&s, "/v1/allocations?wait=5").body, "Invalid wait time");
    assert_eq!(get(&s, "/v1/allocations?wait=soon").status, 400);
    assert_eq!(get(&s, "/v1/nope").status, 404);
}

#[test]
fn job_and_node_allocations() {
    let s = start();
    // checkout-api lives in the payments namespace: not found in `default`.
    assert_eq!(get(&s, "/v1/job/checkout-api/allocations").body, "[]");
    let r = get(&s, "/v1/job/checkout-api/allocations?namespace=payments");
    assert_eq!(r.status, 200);
    let v = r.json();
    let list = v.as_array().unwrap();
    assert!(!list.is_empty());
    assert!(list.iter().all(|a| a["JobID"] == "checkout-api" && a.get("Job").is_none()));
    assert_eq!(get(&s, "/v1/job/no-such-job/allocations").body, "[]");
    let node = list[0]["NodeID"].as_str().unwrap().to_owned();
    let v = get(&s, &format!("/v1/node/{node}/allocations")).json();
    let on_node = v.as_array().unwrap();
    assert!(!on_node.is_empty());
    assert!(on_node.iter().all(|a| a["NodeID"] == node.as_str() && a["Job"].is_object()));
}

#[test]
fn tokens() {
    let s = start_with(|o| o.token = Some("s3cret".into()));
    let r = get(&s, "/v1/allocations");
    assert_eq!((r.status, r.body.as_str()), (403, "Permission denied"));
    let r = request(&s, "GET", "/v1/allocations", &[("X-Nomad-Token", "wrong")], "");
    assert_eq!(r.status, 403);
    let r = request(&s, "GET", "/v1/allocations", &[("X-Nomad-Token", "s3cret")], "");
    assert_eq!(r.status, 200);
    let r = request(&s, "GET", "/v1/allocations", &[("Authorization", "bearer s3cret")], "");
    assert_eq!(r.status, 200);
    // The control API is not guarded.
    assert_eq!(get(&s, "/_double/counts").status, 200);
}

#[test]
fn blocking_query_wakes_on_event() {
    let s = start();
    let id = ids(&get(&s, "/v1/allocations").json())[0].clone();
    let before = get(&s, &format!("/v1/allocation/{id}"));
    let alloc_index = before.index();
    std::thread::scope(|scope| {
        let list = scope.spawn(|| {
            let t = Instant::now();
            (get(&s, &format!("/v1/allocations?index={DEMO_INDEX}&wait=30s")), t.elapsed())
        });
        let single = scope.spawn(|| {
            let t = Instant::now();
            (get(&s, &format!("/v1/allocation/{id}?index={alloc_index}&wait=30s")), t.elapsed())
        });
        std::thread::sleep(Duration::from_millis(400));
        let r = post(
            &s,
            &format!("/_double/alloc/{id}/event"),
            json!({"Type": "Restarting", "Message": "from the test"}),
        );
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.json()["Index"], DEMO_INDEX + 1);

        let (r, took) = list.join().unwrap();
        assert_eq!(r.status, 200);
        assert_eq!(r.index(), DEMO_INDEX + 1);
        assert!(took >= Duration::from_millis(300) && took < Duration::from_secs(10), "{took:?}");

        let (r, took) = single.join().unwrap();
        assert!(took < Duration::from_secs(10), "{took:?}");
        assert_eq!(r.index(), DEMO_INDEX + 1);
        let a = r.json();
        assert_eq!(a["ModifyIndex"], DEMO_INDEX + 1);
        let tasks = a["TaskStates"].as_object().unwrap();
        let last: Vec<&Value> = tasks.values().filter_map(|t| t["Events"].as_array()?.last()).collect();
        assert!(last.iter().any(|e| e["Message"] == "from the test" && e["Type"] == "Restarting"));
        assert!(last.iter().all(|e| e["Time"].as_i64().unwrap() > 0));
    });
}

#[test]
fn blocking_query_times_out() {
    let s = start();
    let t = Instant::now();
    let r = get(&s, &format!("/v1/allocations?index={DEMO_INDEX}&wait=1s"));
    let took = t.elapsed();
    assert_eq!(r.status, 200);
    assert_eq!(r.index(), DEMO_INDEX);
    assert!(took >= Duration::from_millis(950) && took < Duration::from_secs(4), "{took:?}");
    // An index below the current one answers at once.
    let t = Instant::now();
    get(&s, &format!("/v1/allocations?index={}&wait=10s", DEMO_INDEX - 1));
    assert!(t.elapsed() < Duration::from_millis(500));
}

#[test]
fn events_keep_the_last_ten() {
    let s = start();
    let id = ids(&get(&s, "/v1/allocations").json())[0].clone();
    let task = get(&s, &format!("/v1/allocation/{id}")).json()["TaskStates"]
        .as_object()
        .unwrap()
        .keys()
        .next()
        .unwrap()
        .clone();
    for i in 0..12 {
        let r = post(
            &s,
            &format!("/_double/alloc/{id}/event"),
            json!({"Task": task, "Event": {"Type": "Driver", "Message": format!("e{i}")}}),
        );
        assert_eq!(r.status, 200, "{}", r.body);
    }
    let a = get(&s, &format!("/v1/allocation/{id}")).json();
    let events = a["TaskStates"][&task]["Events"].as_array().unwrap();
    assert_eq!(events.len(), 10);
    assert_eq!(events.last().unwrap()["Message"], "e11");
    assert_eq!(events[0]["Message"], "e2");
    assert_eq!(get(&s, "/v1/allocations").index(), DEMO_INDEX + 12);
    let r = post(&s, "/_double/alloc/nope/event", json!({"Type": "Driver"}));
    assert_eq!(r.status, 404);
    let r = post(&s, &format!("/_double/alloc/{id}/event"), json!({"Message": "no type"}));
    assert_eq!(r.status, 400);
}

#[test]
fn fail_and_replace() {
    let s = start();
    let running: Vec<Value> = get(&s, "/v1/allocations?filter=ClientStatus+%3D%3D+%22running%22")
        .json()
        .as_array()
        .unwrap()
        .clone();
    let id = running[0]["ID"].as_str().unwrap().to_owned();
    assert_eq!(post(&s, &format!("/_double/alloc/{id}/fail"), json!({})).status, 200);
    let a = get(&s, &format!("/v1/allocation/{id}")).json();
    assert_eq!(a["ClientStatus"], "failed");
    let states = a["TaskStates"].as_object().unwrap();
    assert!(states.values().any(|t| t["State"] == "dead"
        && t["Failed"] == true
        && t["Events"].as_array().unwrap().last().unwrap()["Type"] == "Terminated"
        && t["Events"].as_array().unwrap().last().unwrap()["ExitCode"] == 1));

    let r = post(&s, &format!("/_double/alloc/{id}/replace"), json!({}));
    assert_eq!(r.status, 200);
    let new_id = r.json()["ID"].as_str().unwrap().to_owned();
    assert_ne!(new_id, id);
    let n = get(&s, &format!("/v1/allocation/{new_id}")).json();
    assert_eq!(n["PreviousAllocation"], id.as_str());
    assert_eq!(n["ClientStatus"], "pending");
    assert_eq!(n["Name"], a["Name"]);
    assert_eq!(n["JobID"], a["JobID"]);
    let before = a["RescheduleTracker"]["Events"].as_array().map(Vec::len).unwrap_or(0);
    let events = n["RescheduleTracker"]["Events"].as_array().unwrap();
    assert_eq!(events.len(), before + 1);
    assert_eq!(events.last().unwrap()["PrevAllocID"], id.as_str());
    assert_eq!(get(&s, &format!("/v1/allocation/{id}")).json()["NextAllocation"], new_id.as_str());
    let list = get(&s, "/v1/allocations").json();
    assert_eq!(ids(&list).last(), Some(&new_id), "the newest CreateIndex comes last");
    assert_eq!(get(&s, "/v1/allocations").index(), DEMO_INDEX + 2);
}

#[test]
fn counters() {
    let s = start();
    get(&s, "/v1/allocations");
    assert_eq!(post(&s, "/_double/counts/reset", json!({})).status, 200);
    get(&s, "/v1/allocations");
    get(&s, "/v1/allocations?namespace=*");
    get(&s, "/v1/allocation/x");
    request(&s, "OPTIONS", "/v1/allocations", &[], "");
    let c = get(&s, "/_double/counts").json();
    assert_eq!(c["GET /v1/allocations"], 2);
    assert_eq!(c["GET /v1/allocation/x"], 1);
    assert_eq!(c["OPTIONS /v1/allocations"], 1);
    assert_eq!(c["total"], 4);
    assert_eq!(get(&s, "/_double/counts").json()["total"], 4, "control calls are not counted");
}

#[test]
fn forced_errors_and_delays() {
    let s = start();
    let r = post(&s, "/_double/mode", json!({"status": 500, "body": "No cluster leader"}));
    assert_eq!(r.status, 200);
    let r = get(&s, "/v1/allocations");
    assert_eq!((r.status, r.body.as_str()), (500, "No cluster leader"));
    assert_eq!(r.header("Content-Type"), Some("text/plain; charset=utf-8"));
    assert!(r.header("X-Nomad-Index").is_some());
    post(&s, "/_double/mode", json!({"status": null, "delay_ms": 600}));
    let t = Instant::now();
    assert_eq!(get(&s, "/v1/allocations").status, 200);
    assert!(t.elapsed() >= Duration::from_millis(550));
    post(&s, "/_double/mode", json!({"delay_ms": 0}));
    assert_eq!(get(&s, "/_double/mode").json(), json!({"status": null, "body": "", "delay_ms": 0}));
}

#[test]
fn extra_headers_and_ui() {
    let dir = std::env::temp_dir().join(format!("nomad-double-ui-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("index.html"), "<!doctype html><title>app</title>").unwrap();
    std::fs::write(dir.join("app_bg.wasm"), b"\0asm").unwrap();
    std::fs::write(dir.join("app.js"), "export {}").unwrap();
    let s = start_with(|o| {
        o.ui = Some(dir.clone());
        o.headers = vec![("Access-Control-Allow-Origin".into(), "*".into())];
    });
    let r = get(&s, "/ui/");
    assert_eq!(r.status, 200);
    assert!(r.header("Content-Type").unwrap().starts_with("text/html"));
    assert!(r.body.contains("<title>app</title>"));
    assert_eq!(get(&s, "/ui/index.html?source=/").status, 200);
    assert_eq!(get(&s, "/ui/app_bg.wasm").header("Content-Type"), Some("application/wasm"));
    assert!(get(&s, "/ui/app.js").header("Content-Type").unwrap().starts_with("text/javascript"));
    assert_eq!(get(&s, "/ui/missing.js").status, 404);
    assert_eq!(get(&s, "/ui/../Cargo.toml").status, 404);
    assert_eq!(get(&s, "/ui/%2e%2e/x.txt").status, 404);
    assert_eq!(get(&s, "/v1/allocations").header("Access-Control-Allow-Origin"), Some("*"));
    assert_eq!(get(&s, "/v1/allocation/x").header("Access-Control-Allow-Origin"), Some("*"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn shutdown_releases_blocked_queries() {
    let s = start();
    std::thread::scope(|scope| {
        let blocked = scope.spawn(|| {
            let t = Instant::now();
            let r = get(&s, &format!("/v1/allocations?index={DEMO_INDEX}&wait=60s"));
            (r.status, t.elapsed())
        });
        std::thread::sleep(Duration::from_millis(300));
        assert_eq!(post(&s, "/_double/shutdown", json!({})).status, 200);
        let (status, took) = blocked.join().unwrap();
        assert_eq!(status, 200);
        assert!(took < Duration::from_secs(10));
    });
}

// ---- Compression (gorilla's CompressHandler) and Go's body framing ----

fn demo_alloc(id_prefix: &str) -> Value {
    let dir = demo().join("v1/allocation");
    let name = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .find(|n| n.starts_with(id_prefix))
        .unwrap_or_else(|| panic!("no demo allocation {id_prefix}"));
    serde_json::from_slice(&std::fs::read(dir.join(name)).unwrap()).unwrap()
}

/// A snapshot folder holding these allocations.
fn snapshot_of(name: &str, allocs: &[Value]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("nomad-double-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let adir = dir.join("v1").join("allocation");
    std::fs::create_dir_all(&adir).unwrap();
    for a in allocs {
        std::fs::write(adir.join(a["ID"].as_str().unwrap()), a.to_string()).unwrap();
    }
    dir
}

#[test]
fn compressed_answers_decode_to_the_plain_ones() {
    let s = start();
    let id = ids(&get(&s, "/v1/allocations").json())[0].clone();
    let paths = [
        "/v1/allocations?namespace=*".to_owned(),
        format!("/v1/allocation/{id}"),
        "/v1/job/checkout-api/allocations?namespace=payments".to_owned(),
        "/v1/allocations?prefix=00&per_page=1".to_owned(),
        "/v1/allocation/00000000-0000-0000-0000-000000000000".to_owned(),
        "/v1/allocations?index=x".to_owned(),
        "/v1/allocations?resources=yes".to_owned(),
    ];
    let (mut big, mut small) = (0, 0);
    for path in &paths {
        let plain = get(&s, path);
        assert_eq!(plain.header("Content-Encoding"), None);
        assert_eq!(plain.header("Vary"), Some("Accept-Encoding"), "gorilla always adds Vary: {path}");
        for enc in ["gzip", "deflate"] {
            let r = request(&s, "GET", path, &[("Accept-Encoding", enc)], "");
            assert_eq!(r.status, plain.status, "{path} {enc}");
            assert_eq!(r.header("Content-Encoding"), Some(enc), "{path}");
            assert_eq!(r.header("Vary"), Some("Accept-Encoding"), "{path}");
            assert_eq!(r.header("Content-Type"), plain.header("Content-Type"), "{path}");
            assert_eq!(r.header("X-Nomad-Index"), plain.header("X-Nomad-Index"), "{path}");
            assert_ne!(r.bytes, plain.bytes, "{path} {enc}: compressed");
            assert_eq!(r.decoded(), plain.bytes, "{path} {enc}: decodes to the plain answer");
            // Go's net/http: a Content-Length only for a body (as sent) of at most 2048 bytes.
            if r.bytes.len() > 2048 {
                big += 1;
                assert!(r.chunked && r.header("Content-Length").is_none(), "{path} {enc}: chunked");
            } else {
                small += 1;
                assert!(!r.chunked, "{path} {enc}");
                assert_eq!(
                    r.header("Content-Length"),
                    Some(r.bytes.len().to_string().as_str()),
                    "{path} {enc}"
                );
            }
        }
    }
    assert!(big >= 2 && small >= 2, "both framings seen: {big} {small}");
}

#[test]
fn bodies_over_2048_bytes_are_chunked() {
    let s = start();
    // Exactly at Go's bufferBeforeChunkingSize, and one byte over, plain and compressed.
    for (len, chunked) in [(2048, false), (2049, true)] {
        let body = "x".repeat(len);
        assert_eq!(post(&s, "/_double/mode", json!({"status": 500, "body": body})).status, 200);
        let r = get(&s, "/v1/allocations");
        assert_eq!((r.status, r.bytes.len()), (500, len));
        assert_eq!(r.chunked, chunked, "{len}");
        assert_eq!(r.header("Content-Length").is_some(), !chunked, "{len}");
    }
    post(&s, "/_double/mode", json!({"status": null}));
    // A big list is chunked without compression too (Nomad's `wrap` sets no length).
    let r = get(&s, "/v1/allocations?namespace=*");
    assert!(r.bytes.len() > 2048 && r.chunked && r.header("Content-Length").is_none());
    // A short answer has its exact length.
    let r = get(&s, "/v1/allocations?namespace=nope");
    assert_eq!((r.body.as_str(), r.header("Content-Length"), r.chunked), ("[]", Some("2"), false));
    // Highly compressible: 3000 bytes plain (chunked), far fewer gzip'd (with a length).
    post(&s, "/_double/mode", json!({"status": 500, "body": "y".repeat(3000)}));
    let r = request(&s, "GET", "/v1/allocations", &[("Accept-Encoding", "gzip")], "");
    assert_eq!(r.decoded().len(), 3000);
    assert!(r.bytes.len() < 100 && !r.chunked);
    assert_eq!(r.header("Content-Length"), Some(r.bytes.len().to_string().as_str()));
}

#[test]
fn accept_encoding_is_read_like_gorilla() {
    let s = start();
    let plain = get(&s, "/v1/allocations");
    let enc = |headers: &[(&str, &str)]| {
        let r = request(&s, "GET", "/v1/allocations", headers, "");
        assert_eq!(r.decoded(), plain.bytes, "{headers:?}");
        assert_eq!(r.header("Vary"), Some("Accept-Encoding"));
        r.header("Content-Encoding").map(str::to_owned)
    };
    // The first of gzip/deflate in the header wins; there is no preference of gorilla's own.
    assert_eq!(enc(&[("Accept-Encoding", "gzip, deflate, br, zstd")]).as_deref(), Some("gzip"));
    assert_eq!(enc(&[("Accept-Encoding", "deflate, gzip, br, zstd")]).as_deref(), Some("deflate"));
    assert_eq!(enc(&[("Accept-Encoding", "br , deflate")]).as_deref(), Some("deflate"));
    // No q-values: `gzip;q=1.0` is not `gzip`.
    assert_eq!(enc(&[("Accept-Encoding", "gzip;q=1.0, deflate;q=0.5")]), None);
    assert_eq!(enc(&[("Accept-Encoding", "gzip;q=0, deflate")]).as_deref(), Some("deflate"));
    assert_eq!(enc(&[("Accept-Encoding", "br, identity, *")]), None);
    assert_eq!(enc(&[("Accept-Encoding", "GZIP")]), None);
    assert_eq!(enc(&[]), None);
    // Upgrade requests are passed through uncompressed.
    assert_eq!(enc(&[("Accept-Encoding", "gzip"), ("Upgrade", "websocket")]), None);
    // The control API is not Nomad's: never compressed, no Vary.
    let r = request(&s, "GET", "/_double/counts", &[("Accept-Encoding", "gzip")], "");
    assert_eq!((r.status, r.header("Content-Encoding"), r.header("Vary")), (200, None, None));
    assert!(r.json().is_object());
}

// ---- Routing, status codes and texts ----

#[test]
fn paths_nomad_does_not_route_get_an_empty_404() {
    let s = start();
    for path in ["/v1/nope", "/v1", "/v1/", "/v1/allocations/", "/v1/allocations/x", "/v1/jobsx"] {
        for method in ["GET", "POST"] {
            let r = request(&s, method, path, &[], "");
            // `handleRootFallthrough`: w.WriteHeader(404) and nothing else.
            assert_eq!((r.status, r.body.as_str()), (404, ""), "{method} {path}");
            assert_eq!(r.header("Content-Type"), None, "{path}");
            assert_eq!(r.header("Content-Length"), Some("0"), "{path}");
            assert_eq!(r.header("X-Nomad-Index"), None, "{path}");
        }
    }
    // Compressed, the empty body is a gzip stream, which Go sniffs for a Content-Type.
    let r = request(&s, "GET", "/v1/nope", &[("Accept-Encoding", "gzip")], "");
    assert_eq!((r.status, r.header("Content-Encoding")), (404, Some("gzip")));
    assert_eq!(r.header("Content-Type"), Some("application/x-gzip"));
    assert_eq!(r.decoded(), b"");
    // Paths Nomad serves and the double does not: a 404 that says so.
    for path in ["/v1/jobs", "/v1/job/web", "/v1/node/pool/x/allocations", "/v1/allocation/x/stop"] {
        let r = get(&s, path);
        assert_eq!(r.status, 404, "{path}");
        assert!(r.body.starts_with("nomad-double (a test double"), "{path}: {}", r.body);
    }
    // AllocSpecificRequest's own 404, before it looks at the method.
    let id = ids(&get(&s, "/v1/allocations").json())[0].clone();
    for (method, path) in [
        ("GET", format!("/v1/allocation/{id}/bogus")),
        ("POST", format!("/v1/allocation/{id}/a/b")),
        ("GET", format!("/v1/allocation/{id}%2Fx")),
    ] {
        let r = request(&s, method, &path, &[], "");
        assert_eq!((r.status, r.body.as_str()), (404, "resource not found"), "{method} {path}");
        assert_eq!(r.header("Content-Type"), Some("text/plain; charset=utf-8"));
    }
}

#[test]
fn methods_other_than_get_are_refused() {
    let s = start();
    let id = ids(&get(&s, "/v1/allocations").json())[0].clone();
    let paths = [
        "/v1/allocations".to_owned(),
        format!("/v1/allocation/{id}"),
        "/v1/job/web/allocations".to_owned(),
        "/v1/node/abc/allocations".to_owned(),
        "/v1/event/stream".to_owned(),
    ];
    for path in &paths {
        for m in ["OPTIONS", "POST", "PUT", "DELETE", "PATCH"] {
            let r = request(&s, m, path, &[], "");
            assert_eq!((r.status, r.body.as_str()), (405, "Invalid method"), "{m} {path}");
            assert_eq!(r.header("Content-Type"), Some("text/plain; charset=utf-8"));
            assert_eq!(r.header("X-Nomad-Index"), None, "{m} {path}: no setMeta");
        }
        // HEAD: the same status and headers, no body.
        let r = request(&s, "HEAD", path, &[], "");
        assert_eq!((r.status, r.bytes.len()), (405, 0), "HEAD {path}");
    }
}

#[test]
fn parameter_errors_in_nomads_order() {
    let s = start();
    let text = |path: &str| {
        let r = get(&s, path);
        assert_eq!(r.header("X-Nomad-Index"), None, "{path}: errors carry no setMeta");
        (r.status, r.body)
    };
    // `parseBool` returns a plain error: 500.
    assert_eq!(
        text("/v1/allocations?resources=yes"),
        (500, r#"Failed to parse value of "resources" (yes) as a bool: strconv.ParseBool: parsing "yes": invalid syntax"#.into())
    );
    assert_eq!(text("/v1/allocations?task_states=nope").0, 500);
    // `parse` writes its own 400s, and runs first: stale, per_page, wait, index.
    assert_eq!(
        text("/v1/allocations?stale=maybe&resources=yes"),
        (400, "Expect `true` or `false` for `stale` query string parameter".into())
    );
    assert_eq!(
        text("/v1/allocations?index=x&per_page=y").1,
        "Expect a number for `per_page` query string parameter"
    );
    assert_eq!(text("/v1/allocations?index=x&wait=5").1, "Invalid wait time");
    assert_eq!(text("/v1/allocations?index=x&resources=yes").1, "Invalid index");
    assert_eq!(text("/v1/allocations?index=%2B5").1, "Invalid index", "ParseUint takes no sign");
    // Then the handler's booleans, then the RPC (region), then the RPC's query.
    assert_eq!(text("/v1/allocations?resources=yes&region=eu").0, 500);
    assert_eq!(text("/v1/allocations?region=eu&prefix=abc"), (500, "No path to region".into()));
    assert!(text("/v1/allocations?prefix=abc&filter=x").1.contains("even length"));
    // `stale` with no value is fine; `reverse` is never an error, only `true` reverses.
    assert_eq!(get(&s, "/v1/allocations?stale").status, 200);
    let forward = ids(&get(&s, "/v1/allocations").json());
    for not_true in ["yes", "True", "1", "maybe"] {
        let r = get(&s, &format!("/v1/allocations?reverse={not_true}"));
        assert_eq!(r.status, 200);
        assert_eq!(ids(&r.json()), forward, "reverse={not_true}");
    }
    // `pretty`: present and not `0`.
    let compact = get(&s, "/v1/allocations?namespace=nope&pretty=0");
    assert_eq!(compact.body, "[]");
    let pretty = get(&s, &format!("/v1/allocation/{}?pretty=false", forward[0]));
    assert!(pretty.body.starts_with("{\n    \"") && pretty.body.ends_with("}\n"), "{}", &pretty.body[..40]);
    assert!(get(&s, &format!("/v1/allocation/{}?pretty", forward[0])).body.ends_with("}\n"));
}

#[test]
fn allocation_ids_go_through_memdbs_uuid_index() {
    let s = start();
    let id = ids(&get(&s, "/v1/allocations").json())[0].clone();
    for bad in ["x", "", "abc"] {
        let r = get(&s, &format!("/v1/allocation/{bad}"));
        assert_eq!(
            (r.status, r.body.as_str()),
            (500, "alloc lookup failed: index error: UUID must be 36 characters"),
            "{bad:?}"
        );
        assert_eq!(r.header("X-Nomad-Index"), None);
    }
    let r = get(&s, &format!("/v1/allocation/{}", "z".repeat(36)));
    assert_eq!(r.status, 500);
    assert_eq!(
        r.body,
        "alloc lookup failed: index error: Invalid UUID: encoding/hex: invalid byte: U+007A 'z'"
    );
    // Hex is case-insensitive, and the hyphens may sit anywhere.
    let moved = format!("{}--", id.replace('-', "").get(..32).unwrap().to_owned() + "--");
    for same in [id.to_uppercase(), moved] {
        assert_eq!(same.len(), 36);
        let r = get(&s, &format!("/v1/allocation/{same}"));
        assert_eq!(r.status, 200, "{same}");
        assert_eq!(r.json()["ID"], id.as_str());
    }
    // Not found: the handler's 404, after setMeta (the table's index).
    let r = get(&s, "/v1/allocation/00000000-0000-0000-0000-000000000000");
    assert_eq!((r.status, r.body.as_str(), r.index()), (404, "alloc not found", DEMO_INDEX));
}

#[test]
fn job_allocations_leave_out_an_older_job_with_the_same_id() {
    // api-gateway: four allocations of versions 1 and 2 of one job (Job.CreateIndex
    // 1844454). Make one of them belong to an older job of the same ID.
    let mut allocs: Vec<Value> =
        ["29a67618", "bbb4def2", "0ed23e74", "662999a0"].iter().map(|p| demo_alloc(p)).collect();
    let older = allocs[0]["ID"].as_str().unwrap().to_owned();
    allocs[0]["Job"]["CreateIndex"] = json!(1000);
    let dir = snapshot_of("older-job", &allocs);
    let s = start_with(|o| o.snapshot = dir.clone());
    let listed = |q: &str| {
        let r = get(&s, &format!("/v1/job/api-gateway/allocations{q}"));
        assert_eq!(r.status, 200);
        let mut v = ids(&r.json());
        v.sort();
        v
    };
    let current = listed("");
    assert_eq!(current.len(), 3);
    assert!(!current.contains(&older));
    // Both versions of the current job are there: versions are not filtered.
    let versions: std::collections::BTreeSet<u64> = get(&s, "/v1/job/api-gateway/allocations")
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["JobVersion"].as_u64().unwrap())
        .collect();
    assert_eq!(versions.into_iter().collect::<Vec<_>>(), [1, 2]);
    assert_eq!(listed("?all=true").len(), 4);
    assert_eq!(listed("?all=1").len(), 4);
    // `all` is parsed with its error ignored.
    assert_eq!(listed("?all=yes"), current);
    // `namespace=*` is no namespace here.
    assert_eq!(get(&s, "/v1/job/api-gateway/allocations?namespace=*").body, "[]");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn node_allocations_match_a_prefix_and_carry_their_own_index() {
    let s = start();
    let all = get(&s, "/v1/allocations?namespace=*").json();
    let all = all.as_array().unwrap();
    // The demo has nodes 0d384e72-... and 05f586d8-...: prefix "0" matches both.
    let r = get(&s, "/v1/node/0/allocations");
    assert_eq!(r.status, 200);
    let on = r.json();
    let on = on.as_array().unwrap();
    let want = all.iter().filter(|a| a["NodeID"].as_str().unwrap().starts_with('0')).count();
    assert!(want > 0 && on.len() == want, "{} of {want}", on.len());
    let nodes: std::collections::BTreeSet<&str> = on.iter().map(|a| a["NodeID"].as_str().unwrap()).collect();
    assert_eq!(nodes.len(), 2, "{nodes:?}");
    assert!(on.iter().all(|a| a["Job"].is_object()), "full allocations");
    // Ordered by node, running before terminal, then by ID.
    let terminal = |a: &Value| {
        matches!(a["DesiredStatus"].as_str(), Some("stop" | "evict"))
            || matches!(a["ClientStatus"].as_str(), Some("complete" | "failed" | "lost"))
    };
    let keys: Vec<(String, bool, String)> = on
        .iter()
        .map(|a| {
            (a["NodeID"].as_str().unwrap().to_owned(), terminal(a), a["ID"].as_str().unwrap().to_owned())
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    assert!(keys.windows(2).any(|w| w[0].0 == w[1].0 && w[0].2 > w[1].2), "not simply by ID");
    // The index: the largest ModifyIndex among them, not the table's.
    let max = on.iter().map(|a| a["ModifyIndex"].as_u64().unwrap()).max().unwrap();
    assert_eq!(r.index(), max);
    assert!(max < DEMO_INDEX);
    // Case-insensitive; an unknown node: [] and the table's index.
    let node = on[0]["NodeID"].as_str().unwrap();
    assert_eq!(
        get(&s, &format!("/v1/node/{}/allocations", node.to_uppercase())).json().as_array().unwrap().len(),
        { on.iter().filter(|a| a["NodeID"] == node).count() }
    );
    let r = get(&s, "/v1/node/ffff/allocations");
    assert_eq!((r.body.as_str(), r.index()), ("[]", DEMO_INDEX));

    // Blocking on that index: a change on another node does not answer it.
    let elsewhere = all.iter().find(|a| !a["NodeID"].as_str().unwrap().starts_with('0')).unwrap();
    let here = &on[0];
    std::thread::scope(|scope| {
        let asked = requests_of(&s, "GET /v1/node/0/allocations");
        let blocked = scope.spawn(|| {
            let t = Instant::now();
            (get(&s, &format!("/v1/node/0/allocations?index={max}&wait=1500ms")), t.elapsed())
        });
        wait_for_requests(&s, "GET /v1/node/0/allocations", asked + 1);
        let id = elsewhere["ID"].as_str().unwrap();
        assert_eq!(
            post(&s, &format!("/_double/alloc/{id}/event"), json!({"Type": "Restarting"})).status,
            200
        );
        let (r, took) = blocked.join().unwrap();
        assert!(took >= Duration::from_millis(1400), "{took:?}: woken by another node's change");
        assert_eq!(r.index(), max);
    });
    std::thread::scope(|scope| {
        let asked = requests_of(&s, "GET /v1/node/0/allocations");
        let blocked = scope.spawn(|| {
            let t = Instant::now();
            (get(&s, &format!("/v1/node/0/allocations?index={max}&wait=20s")), t.elapsed())
        });
        wait_for_requests(&s, "GET /v1/node/0/allocations", asked + 1);
        let id = here["ID"].as_str().unwrap();
        let ev = post(&s, &format!("/_double/alloc/{id}/event"), json!({"Type": "Restarting"}));
        let (r, took) = blocked.join().unwrap();
        assert!(took < Duration::from_secs(10), "{took:?}");
        assert_eq!(r.index(), ev.json()["Index"].as_u64().unwrap());
    });
}

/// How many `key` requests (`"GET /v1/..."`) the double has counted.
fn requests_of(s: &DoubleServer, key: &str) -> u64 {
    get(s, "/_double/counts").json()[key].as_u64().unwrap_or(0)
}

/// Wait until the double has counted `n` `key` requests. A request is counted when it
/// arrives, just before it blocks: a change that lands in between answers it at once, which
/// the checks that use this allow (they ask what woke it, not that it waited).
fn wait_for_requests(s: &DoubleServer, key: &str, n: u64) {
    while requests_of(s, key) < n {
        std::thread::yield_now();
    }
}

#[test]
fn an_empty_cluster_answers_with_the_tables_index() {
    let dir = snapshot_of("empty", &[]);
    let s = start_with(|o| o.snapshot = dir.clone());
    let table = get(&s, "/_double/index").json()["Index"].as_u64().unwrap();
    // Alloc.List and Job.Allocations report state.Index("allocs") as it is (0 for a table
    // never written); Node.GetAllocs raises 0 to 1.
    let r = get(&s, "/v1/allocations");
    assert_eq!((r.status, r.body.as_str(), r.index()), (200, "[]", table));
    assert_eq!(get(&s, "/v1/job/x/allocations").index(), table);
    assert_eq!(get(&s, "/v1/allocation/00000000-0000-0000-0000-000000000000").index(), table);
    assert_eq!(get(&s, "/v1/node/x/allocations").index(), table.max(1));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn pages_follow_nomads_paginator() {
    let s = start();
    let all = ids(&get(&s, "/v1/allocations").json());
    // A negative per_page ends the page at the first item: nothing, and its token.
    let r = get(&s, "/v1/allocations?per_page=-1");
    assert_eq!(r.body, "[]");
    let first = get(&s, &format!("/v1/allocation/{}", all[0])).json();
    assert_eq!(
        r.header("X-Nomad-NextToken").map(str::to_owned),
        Some(format!("{}.{}", first["CreateIndex"], all[0]))
    );
    // A token that is not `<index>.<id>` is compared as text: every `<digits>.` token
    // sorts before `zzz`, so going forward all are skipped, and in reverse none.
    assert_eq!(get(&s, "/v1/allocations?next_token=zzz").body, "[]");
    assert_eq!(
        get(&s, "/v1/allocations?next_token=zzz&reverse=true").json().as_array().unwrap().len(),
        all.len()
    );
}

#[test]
fn stats_count_v1_requests_in_flight() {
    let s = start();
    let id = ids(&get(&s, "/v1/allocations?per_page=1").json())[0].clone();
    let index = get(&s, "/_double/index").json()["Index"].as_u64().unwrap();
    std::thread::scope(|scope| {
        let held = scope.spawn(|| get(&s, &format!("/v1/allocations?index={index}&wait=30s")));
        while get(&s, "/_double/stats").json()["in_flight"] != 1 {
            std::thread::yield_now();
        }
        // Without TLS there are no connection fields; /_double requests are not counted.
        assert_eq!(get(&s, "/_double/stats").json(), json!({"in_flight": 1, "peak_in_flight": 1}));
        post(&s, &format!("/_double/alloc/{id}/fail"), json!({}));
        assert_eq!(held.join().unwrap().status, 200);
    });
    while get(&s, "/_double/stats").json()["in_flight"] != 0 {
        std::thread::yield_now();
    }
    assert_eq!(get(&s, "/_double/stats").json()["peak_in_flight"], 1);
    let reset = post(&s, "/_double/stats/reset", json!({})).json();
    assert_eq!(reset, json!({"in_flight": 0, "peak_in_flight": 0}));
}
