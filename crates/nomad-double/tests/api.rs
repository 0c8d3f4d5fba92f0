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
    body: String,
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
    let text = String::from_utf8(raw).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").expect("a full response");
    let mut lines = head.lines();
    let status = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    Resp { status, headers, body: body.to_owned() }
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
    let r = get(&s, "/v1/allocations?prefix=abc");
    assert_eq!(r.status, 400);
    assert_eq!(r.header("Content-Type"), Some("text/plain; charset=utf-8"));
    assert!(r.body.contains("even length"), "{}", r.body);
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
    for bad in ["ClientStatus+%3D%3D", "ClientStatus+matches+%22f.*%22", "Bogus+%3D%3D+%22x%22"] {
        let r = get(&s, &format!("/v1/allocations?filter={bad}"));
        assert_eq!(r.status, 400, "{bad}");
        assert!(r.body.starts_with("failed to read filter expression:"), "{}", r.body);
    }
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
