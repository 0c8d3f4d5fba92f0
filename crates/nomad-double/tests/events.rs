//! The event stream as Nomad serves it (docs/nomad-live.md §3): the
//! bounded buffer and where a subscription starts, garbage collection without an event, a
//! reset, and the refusals of Nomad 1.10 and 2.0. Each expectation is written from Nomad's
//! behaviour, not from the double's code.

use nomad_double::{DoubleServer, NomadVersion, Options};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::time::Duration;

const EXPORTER: &str = "35d83f45-3cb3-0148-4824-81959f269dd7"; // node-exporter, default namespace
const PAYMENTS: &str = "211a8252-a89f-2b2b-a5af-d530920bcc3a"; // checkout-api, payments namespace

fn start(f: impl FnOnce(&mut Options)) -> DoubleServer {
    let mut o = Options::new(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../www/demo"), "127.0.0.1:0");
    f(&mut o);
    DoubleServer::start(o).expect("the double starts")
}

fn connect(s: &DoubleServer, path: &str, headers: &[(&str, &str)]) -> BufReader<TcpStream> {
    let mut c = TcpStream::connect(s.addr()).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let mut req = format!("GET {path} HTTP/1.1\r\nHost: x\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    c.write_all(req.as_bytes()).unwrap();
    BufReader::new(c)
}

/// The status line and headers.
fn head(r: &mut BufReader<TcpStream>) -> (String, Vec<String>) {
    let mut status = String::new();
    r.read_line(&mut status).unwrap();
    let mut headers = Vec::new();
    loop {
        let mut l = String::new();
        r.read_line(&mut l).unwrap();
        if l.trim().is_empty() {
            return (status.trim().to_owned(), headers);
        }
        headers.push(l.trim().to_owned());
    }
}

/// The next `n` NDJSON lines of a chunked body (chunk sizes skipped).
fn chunked_lines(r: &mut BufReader<TcpStream>, n: usize) -> Vec<Value> {
    let mut out = Vec::new();
    while out.len() < n {
        let mut size = String::new();
        r.read_line(&mut size).unwrap();
        let len = usize::from_str_radix(size.trim(), 16).unwrap();
        let mut buf = vec![0; len + 2];
        r.read_exact(&mut buf).unwrap();
        for line in String::from_utf8_lossy(&buf[..len]).lines().filter(|l| !l.trim().is_empty()) {
            out.push(serde_json::from_str(line).unwrap());
        }
    }
    out
}

/// The next `n` lines of a body that runs until the connection closes (Nomad 2.0's framing).
fn raw_lines(r: &mut BufReader<TcpStream>, n: usize) -> Vec<Value> {
    (0..n)
        .map(|_| {
            let mut l = String::new();
            r.read_line(&mut l).unwrap();
            serde_json::from_str(l.trim()).unwrap()
        })
        .collect()
}

fn post(s: &DoubleServer, path: &str, body: Value) -> Value {
    let mut c = TcpStream::connect(s.addr()).unwrap();
    let body = body.to_string();
    write!(
        c,
        "POST {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut text = String::new();
    c.read_to_string(&mut text).unwrap();
    serde_json::from_str(text.split_once("\r\n\r\n").unwrap().1).unwrap_or(Value::Null)
}

fn get_status(s: &DoubleServer, path: &str) -> (u16, String) {
    get_status_with(s, path, &[])
}

/// Status and body (de-chunked: answers over 2 KB are chunked, as Go sends them).
fn get_status_with(s: &DoubleServer, path: &str, headers: &[(&str, &str)]) -> (u16, String) {
    let mut all = vec![("Connection", "close")];
    all.extend_from_slice(headers);
    let mut r = connect(s, path, &all);
    let (status, headers) = head(&mut r);
    let mut body = Vec::new();
    if headers.iter().any(|h| h.eq_ignore_ascii_case("Transfer-Encoding: chunked")) {
        loop {
            let mut size = String::new();
            r.read_line(&mut size).unwrap();
            let len = usize::from_str_radix(size.trim(), 16).unwrap();
            let mut buf = vec![0; len + 2];
            r.read_exact(&mut buf).unwrap();
            if len == 0 {
                break;
            }
            body.extend_from_slice(&buf[..len]);
        }
    } else {
        let _ = r.read_to_end(&mut body);
    }
    (status.split(' ').nth(1).unwrap().parse().unwrap(), String::from_utf8(body).unwrap())
}

/// Five changes to one allocation, each its own raft index; returns the indexes.
fn five_changes(s: &DoubleServer) -> Vec<u64> {
    (0..5)
        .map(|i| {
            let r = post(
                s,
                &format!("/_double/alloc/{EXPORTER}/event"),
                json!({"Type": "Driver", "DriverMessage": format!("c{i}")}),
            );
            r["Index"].as_u64().unwrap()
        })
        .collect()
}

fn frame_indexes(frames: &[Value]) -> Vec<u64> {
    frames.iter().map(|f| f["Index"].as_u64().unwrap_or(0)).collect()
}

#[test]
fn a_subscription_starts_at_the_closest_buffered_item_and_loses_what_fell_out() {
    let s = start(|o| {
        o.event_buffer = Some(3);
        o.nomad_version = NomadVersion::parse("1.10.5");
    });
    let idx = five_changes(&s);
    let sub = |index: &str| {
        let mut r = connect(&s, &format!("/v1/event/stream?topic=Allocation&index={index}"), &[]);
        let (status, _) = head(&mut r);
        assert!(status.starts_with("HTTP/1.1 200"), "{status}");
        r
    };
    // `{}` first, then the buffer from the oldest of its 3 items: the first two changes are gone.
    let mut r = sub(&idx[0].to_string());
    let lines = chunked_lines(&mut r, 4);
    assert_eq!(lines[0], json!({}));
    assert_eq!(frame_indexes(&lines[1..]), idx[2..].to_vec());
    // Inclusive: the item at the index asked for is sent again.
    let mut r = sub(&idx[3].to_string());
    assert_eq!(frame_indexes(&chunked_lines(&mut r, 3)[1..]), idx[3..].to_vec());
    // No index: the whole buffer.
    let mut r = sub("0");
    assert_eq!(frame_indexes(&chunked_lines(&mut r, 4)[1..]), idx[2..].to_vec());
    // Past the newest item: that item, older than asked, is sent again.
    let mut r = sub(&(idx[4] + 100).to_string());
    assert_eq!(frame_indexes(&chunked_lines(&mut r, 2)[1..]), vec![idx[4]]);
    // A running subscription loses nothing, however many changes come at once.
    let later = five_changes(&s);
    assert_eq!(frame_indexes(&chunked_lines(&mut r, 5)), later);
    // Each frame is one raft index; its events carry Nomad's fields, the payload without Job.
    let e = &chunked_lines(&mut sub(&later[4].to_string()), 2)[1]["Events"][0];
    assert_eq!(
        (e["Topic"].as_str(), e["Type"].as_str(), e["Key"].as_str()),
        (Some("Allocation"), Some("AllocationUpdated"), Some(EXPORTER))
    );
    assert_eq!(e["FilterKeys"], json!(["node-exporter", ""]));
    assert!(e["Payload"]["Allocation"].get("Job").is_none());
    // `nomad alloc stop` is a desired transition: its own event type, the index raised.
    let stopped = post(&s, &format!("/_double/alloc/{EXPORTER}/stop"), json!({}))["Index"].as_u64().unwrap();
    let f = &chunked_lines(&mut sub(&stopped.to_string()), 2)[1];
    assert_eq!(f["Index"].as_u64(), Some(stopped));
    let e = &f["Events"][0];
    assert_eq!(e["Type"].as_str(), Some("AllocationUpdateDesiredStatus"));
    let a = &e["Payload"]["Allocation"];
    assert_eq!(
        (a["DesiredTransition"]["Migrate"].as_bool(), a["ModifyIndex"].as_u64()),
        (Some(true), Some(stopped))
    );
}

#[test]
fn garbage_collection_sends_no_event_raises_the_index_and_the_allocation_is_gone() {
    let s = start(|o| o.nomad_version = NomadVersion::parse("1.10.5"));
    let mut r = connect(&s, "/v1/event/stream?topic=Allocation", &[]);
    head(&mut r);
    assert_eq!(chunked_lines(&mut r, 1), vec![json!({})]);
    let index_before = post(&s, "/_double/reset", json!({}))["Index"].as_u64().unwrap();
    let gc = post(&s, "/_double/gc", json!({"IDs": [EXPORTER]}));
    assert!(gc["Index"].as_u64().unwrap() > index_before);
    let (status, body) = get_status(&s, &format!("/v1/allocation/{EXPORTER}"));
    assert_eq!((status, body.as_str()), (404, "alloc not found"));
    let (_, list) = get_status(&s, "/v1/allocations?namespace=*");
    assert!(!list.contains(EXPORTER));
    // The next event that arrives is the next change, not the GC.
    let mut r = connect(&s, "/v1/event/stream?topic=Allocation", &[]);
    head(&mut r);
    chunked_lines(&mut r, 1);
    let other = "2421ceeb-532e-127d-e0bb-54b06d5fcaeb";
    let changed = post(&s, &format!("/_double/alloc/{other}/fail"), json!({}))["Index"].as_u64().unwrap();
    let frame = &chunked_lines(&mut r, 1)[0];
    assert_eq!(frame["Index"].as_u64(), Some(changed));
    assert_eq!(frame["Events"][0]["Key"].as_str(), Some(other));
    assert_eq!(post(&s, "/_double/gc", json!({"IDs": ["nope"]})), Value::Null);
}

#[test]
fn reset_puts_back_the_snapshot_and_its_index() {
    let s = start(|_| {});
    let (_, list_before) = get_status(&s, "/v1/allocations?namespace=*");
    let first = post(&s, "/_double/reset", json!({}))["Index"].as_u64().unwrap();
    post(&s, &format!("/_double/alloc/{EXPORTER}/replace"), json!({}));
    post(&s, "/_double/gc", json!({"IDs": [PAYMENTS]}));
    assert_eq!(post(&s, "/_double/reset", json!({}))["Index"].as_u64(), Some(first));
    let (_, list_after) = get_status(&s, "/v1/allocations?namespace=*");
    assert_eq!(list_after, list_before);
}

#[test]
fn nomad_1_10_refuses_a_stream_with_403_and_2_0_with_a_200_and_silence() {
    for v in ["1.10.5", "2.0.5"] {
        let s = start(|o| {
            o.nomad_version = NomadVersion::parse(v);
            o.acl_tokens = vec![("default-only".into(), vec!["default".into()])];
        });
        let token = [("X-Nomad-Token", "default-only")];
        // Its own namespace: allowed.
        let mut r = connect(&s, "/v1/event/stream?topic=Allocation&namespace=default", &token);
        let (status, headers) = head(&mut r);
        assert!(status.starts_with("HTTP/1.1 200"), "{v}: {status}");
        let first = if v == "2.0.5" { raw_lines(&mut r, 1) } else { chunked_lines(&mut r, 1) };
        assert_eq!(first, vec![json!({})], "{v}");
        assert_eq!(headers.iter().any(|h| h == "Connection: close"), v == "2.0.5", "{v}: {headers:?}");
        // `*`: read-job in every namespace is needed, and the token has it in one.
        let mut r = connect(&s, "/v1/event/stream?topic=Allocation&namespace=*", &token);
        let (status, _) = head(&mut r);
        if v == "1.10.5" {
            assert!(status.starts_with("HTTP/1.1 403"), "{status}");
        } else {
            assert!(status.starts_with("HTTP/1.1 200"), "{status}");
            // Nothing follows, not even `{}`, and the connection stays open.
            r.get_ref().set_read_timeout(Some(Duration::from_millis(1500))).unwrap();
            let mut byte = [0u8; 1];
            let e = r.read(&mut byte).expect_err("no byte, no close");
            assert!(
                matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut),
                "{e:?}"
            );
        }
        // No token at all: refused the same way.
        let mut r = connect(&s, "/v1/event/stream?topic=Allocation", &[]);
        let (status, _) = head(&mut r);
        assert!(
            status.starts_with(if v == "1.10.5" { "HTTP/1.1 403" } else { "HTTP/1.1 200" }),
            "{v}: {status}"
        );
        // Parameters are checked before anything is written, in both.
        assert_eq!(get_status(&s, "/v1/event/stream?index=x").0, 400);
        assert_eq!(get_status(&s, "/v1/event/stream?topic=Allocation:a:b").0, 400);
        // The list with `*` is filtered to what the token may read.
        let (status, body) = get_status_with(&s, "/v1/allocations?namespace=*", &token);
        assert_eq!(status, 200);
        let list: Vec<Value> = serde_json::from_str(&body).unwrap();
        assert_eq!(list.len(), 33, "{v}");
        assert!(list.iter().all(|a| a["Namespace"] == "default"));
        s.shutdown();
    }
}
