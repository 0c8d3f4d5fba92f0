//! `allocscope serve` end to end: the real binary on a free port, a temporary site
//! directory and a fake Nomad agent (a std TcpListener answering canned responses and
//! recording what it was sent). The HTTP client is a few lines over TcpStream too, so the
//! tests see exactly what travels on the wire (chunk timing included).

mod common;

use common::Serve;
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_allocscope");
const WASM_BYTES: &[u8] = b"\0asm\x01\0\0\0";

// ---------- fake Nomad ----------

/// One request as the fake Nomad received it.
#[derive(Clone, Debug)]
struct Recorded {
    method: String,
    target: String,
    /// Header names lower-cased.
    headers: HashMap<String, String>,
}

type Handler = dyn Fn(&Recorded, &mut TcpStream) + Send + Sync;

/// A fake Nomad HTTP API: every connection gets its own thread, the request head is
/// recorded, and `handler` writes the whole answer (then the connection is closed).
struct FakeNomad {
    addr: String,
    seen: Arc<Mutex<Vec<Recorded>>>,
}

impl FakeNomad {
    fn start(handler: impl Fn(&Recorded, &mut TcpStream) + Send + Sync + 'static) -> FakeNomad {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let handler: Arc<Handler> = Arc::new(handler);
        let seen2 = Arc::clone(&seen);
        thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(mut conn) = conn else { return };
                let (seen, handler) = (Arc::clone(&seen2), Arc::clone(&handler));
                thread::spawn(move || {
                    let Some(rec) = read_request_head(&mut conn) else { return };
                    seen.lock().unwrap().push(rec.clone());
                    handler(&rec, &mut conn);
                    let _ = conn.flush();
                    let _ = conn.shutdown(Shutdown::Both);
                });
            }
        });
        FakeNomad { addr, seen }
    }

    /// The usual answer: a JSON body with the Nomad headers the app reads.
    fn json() -> FakeNomad {
        FakeNomad::start(|_, conn| {
            let body = r#"[{"ID":"a1"}]"#;
            let _ = write!(
                conn,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Nomad-Index: 42\r\n\
                 X-Nomad-KnownLeader: true\r\nX-Nomad-LastContact: 0\r\nX-Nomad-NextToken: next-7\r\n\
                 X-Secret-Internal: no\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        })
    }

    fn seen(&self) -> Vec<Recorded> {
        self.seen.lock().unwrap().clone()
    }
}

fn read_request_head(conn: &mut TcpStream) -> Option<Recorded> {
    let mut reader = BufReader::new(conn.try_clone().ok()?);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let (method, target) = (parts.next()?.to_owned(), parts.next()?.to_owned());
    let mut headers = HashMap::new();
    loop {
        let mut h = String::new();
        reader.read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (k, v) = h.split_once(':')?;
        headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_owned());
    }
    Some(Recorded { method, target, headers })
}

// ---------- the server under test ----------

/// `allocscope serve` in front of `nomad`, on a free port, once it accepts connections.
fn start_serve(nomad: &str, dist: &Path, extra: &[&str]) -> Serve {
    let mut cmd = Command::new(BIN);
    cmd.args(["serve", "--nomad", nomad, "--listen", "127.0.0.1:0", "--dist"]).arg(dist).args(extra);
    let serve = common::Serve::spawn(cmd);
    let first = &serve.start_line;
    assert!(first.starts_with("allocscope serve: http://"), "unexpected start line {first:?}");
    assert!(first.contains(&format!("/v1/ proxied to {nomad} (plain HTTP")), "start line {first:?}");
    wait_for_port(&serve.addr);
    serve
}

/// Waits until something accepts connections on `addr` (at most 10 s).
fn wait_for_port(addr: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(addr).is_err() {
        assert!(Instant::now() < deadline, "nothing listens on {addr}");
        thread::sleep(Duration::from_millis(20));
    }
}

/// A temporary site directory, removed when dropped.
struct Site(PathBuf);

impl Site {
    fn new(name: &str) -> Site {
        let dir = std::env::temp_dir().join(format!("allocscope-serve-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("demo/v1")).unwrap();
        std::fs::write(dir.join("index.html"), "<!doctype html><title>allocscope</title>").unwrap();
        std::fs::write(dir.join("allocscope-app_bg.wasm"), WASM_BYTES).unwrap();
        std::fs::write(dir.join("app.js"), "export {};").unwrap();
        std::fs::write(dir.join("app.css"), "body{}").unwrap();
        std::fs::write(dir.join("demo/v1/allocations"), "[]").unwrap();
        Site(dir)
    }
}

impl Drop for Site {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

// ---------- a small HTTP client ----------

struct Answer {
    status: u16,
    /// Header names lower-cased.
    headers: HashMap<String, String>,
    body: Vec<u8>,
}

impl Answer {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(&name.to_ascii_lowercase()).map(String::as_str)
    }
}

/// Sends one request (`Connection: close`) and reads the whole answer.
fn request(addr: &str, method: &str, target: &str, headers: &[(&str, &str)]) -> Answer {
    let mut conn = send(addr, method, target, headers);
    let mut raw = Vec::new();
    conn.read_to_end(&mut raw).unwrap();
    parse_answer(&raw, method == "HEAD")
}

fn send(addr: &str, method: &str, target: &str, headers: &[(&str, &str)]) -> TcpStream {
    let mut conn = TcpStream::connect(addr).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut head = format!("{method} {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    conn.write_all(head.as_bytes()).unwrap();
    conn
}

fn parse_answer(raw: &[u8], head_only: bool) -> Answer {
    let end = find(raw, b"\r\n\r\n").expect("complete response head");
    let head = String::from_utf8_lossy(&raw[..end]).into_owned();
    let mut lines = head.split("\r\n");
    let status: u16 = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
    let headers: HashMap<String, String> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let rest = &raw[end + 4..];
    let body = if head_only {
        Vec::new()
    } else if headers.get("transfer-encoding").is_some_and(|t| t.eq_ignore_ascii_case("chunked")) {
        dechunk(rest)
    } else {
        rest.to_vec()
    };
    Answer { status, headers, body }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let line_end = find(data, b"\r\n").expect("chunk size line");
        let size = usize::from_str_radix(std::str::from_utf8(&data[..line_end]).unwrap(), 16)
            .expect("hex chunk size");
        if size == 0 {
            return out;
        }
        let start = line_end + 2;
        out.extend_from_slice(&data[start..start + size]);
        data = &data[start + size + 2..];
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// A port on which nothing listens (bound, then released).
fn closed_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

// ---------- tests ----------

#[test]
fn serves_the_site_with_content_types() {
    let site = Site::new("static");
    let nomad = FakeNomad::json();
    let serve = start_serve(&nomad.addr, &site.0, &[]);

    let index = request(&serve.addr, "GET", "/", &[]);
    assert_eq!(index.status, 200);
    assert_eq!(index.header("content-type"), Some("text/html; charset=utf-8"));
    assert!(index.text().contains("<title>allocscope</title>"));

    let wasm = request(&serve.addr, "GET", "/allocscope-app_bg.wasm", &[]);
    assert_eq!(wasm.status, 200);
    assert_eq!(wasm.header("content-type"), Some("application/wasm"));
    assert_eq!(wasm.body, WASM_BYTES);

    for (path, ty) in [
        ("/app.js", "text/javascript; charset=utf-8"),
        ("/app.css", "text/css; charset=utf-8"),
        ("/demo/v1/allocations", "application/json"),
        ("/index.html?source=%2F", "text/html; charset=utf-8"),
    ] {
        let a = request(&serve.addr, "GET", path, &[]);
        assert_eq!((a.status, a.header("content-type")), (200, Some(ty)), "{path}");
    }

    let head = request(&serve.addr, "HEAD", "/allocscope-app_bg.wasm", &[]);
    assert_eq!(head.status, 200);
    assert_eq!(head.header("content-length"), Some("8"));

    assert_eq!(request(&serve.addr, "GET", "/missing.js", &[]).status, 404);
    for evil in ["/../Cargo.toml", "/%2e%2e/%2e%2e/etc/passwd", "/demo/..%2f..%2f..%2fetc/passwd"] {
        assert_eq!(request(&serve.addr, "GET", evil, &[]).status, 404, "{evil}");
    }
    assert_eq!(request(&serve.addr, "POST", "/index.html", &[]).status, 405);
    assert!(nomad.seen().is_empty(), "static requests must not reach Nomad");
}

#[test]
fn proxies_v1_with_query_and_headers() {
    let site = Site::new("proxy");
    let nomad = FakeNomad::json();
    let serve = start_serve(&nomad.addr, &site.0, &[]);

    let target = "/v1/allocations?namespace=*&resources=true&filter=ClientStatus%20%3D%3D%20%22running%22";
    let a = request(&serve.addr, "GET", target, &[("X-Nomad-Token", "client-secret")]);
    assert_eq!(a.status, 200);
    assert_eq!(a.text(), r#"[{"ID":"a1"}]"#);
    assert_eq!(a.header("content-type"), Some("application/json"));
    assert_eq!(a.header("x-nomad-index"), Some("42"));
    assert_eq!(a.header("x-nomad-knownleader"), Some("true"));
    assert_eq!(a.header("x-nomad-lastcontact"), Some("0"));
    assert_eq!(a.header("x-nomad-nexttoken"), Some("next-7"));
    assert_eq!(a.header("content-length"), Some("13"));
    assert_eq!(a.header("x-secret-internal"), None, "only the listed headers pass back");

    let seen = nomad.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].method, "GET");
    assert_eq!(seen[0].target, target, "path and query string unchanged");
    assert_eq!(seen[0].headers.get("x-nomad-token").map(String::as_str), Some("client-secret"));

    let head = request(&serve.addr, "HEAD", "/v1/allocations", &[]);
    assert_eq!(head.status, 200);
    assert_eq!(head.header("x-nomad-index"), Some("42"));
    assert_eq!(nomad.seen()[1].method, "HEAD");
    assert!(!nomad.seen()[1].headers.contains_key("x-nomad-token"));

    for method in ["POST", "PUT", "DELETE", "OPTIONS"] {
        let a = request(&serve.addr, method, "/v1/jobs", &[]);
        assert_eq!(a.status, 405, "{method}");
        assert_eq!(a.text(), "Invalid method");
        assert!(a.header("content-type").unwrap().starts_with("text/plain"));
    }
    assert_eq!(nomad.seen().len(), 2, "refused methods never reach Nomad");
}

#[test]
fn passes_nomad_errors_through() {
    let site = Site::new("errors");
    let nomad = FakeNomad::start(|_, conn| {
        let _ = conn.write_all(
            b"HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: 17\r\n\r\nPermission denied",
        );
    });
    let serve = start_serve(&nomad.addr, &site.0, &[]);
    let a = request(&serve.addr, "GET", "/v1/job/web", &[]);
    assert_eq!(a.status, 403);
    assert_eq!(a.text(), "Permission denied");
}

#[test]
fn token_file_is_injected_and_a_client_token_wins() {
    let site = Site::new("token");
    let token_file = site.0.join("nomad-token");
    std::fs::write(&token_file, "  file-secret-123\n").unwrap();
    let nomad = FakeNomad::json();
    let serve =
        start_serve(&nomad.addr, &site.0, &["--token-file", token_file.to_str().unwrap(), "--verbose"]);

    assert_eq!(request(&serve.addr, "GET", "/v1/jobs", &[]).status, 200);
    let a = request(&serve.addr, "GET", "/v1/nodes", &[("X-Nomad-Token", "client-wins")]);
    assert_eq!(a.status, 200);

    let seen = nomad.seen();
    let token_for = |target: &str| {
        seen.iter().find(|r| r.target == target).and_then(|r| r.headers.get("x-nomad-token").cloned())
    };
    assert_eq!(token_for("/v1/jobs").as_deref(), Some("file-secret-123"));
    assert_eq!(token_for("/v1/nodes").as_deref(), Some("client-wins"));

    // --verbose logs each request but never a token.
    let deadline = Instant::now() + Duration::from_secs(5);
    while !serve.log().contains("/v1/nodes") {
        assert!(Instant::now() < deadline, "no verbose line");
        thread::sleep(Duration::from_millis(20));
    }
    let log = serve.log();
    assert!(!log.contains("file-secret") && !log.contains("client-wins"), "{log}");
}

#[test]
fn bad_token_file_and_missing_site_are_clear_errors() {
    let site = Site::new("badstart");
    let empty = site.0.join("empty-token");
    std::fs::write(&empty, " \n").unwrap();
    let run = |args: &[&str]| {
        let out = Command::new(BIN)
            .args(["serve", "--nomad", "http://127.0.0.1:4646", "--listen", "127.0.0.1:0"])
            .args(args)
            .output()
            .unwrap();
        assert!(!out.status.success());
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let dist = site.0.to_str().unwrap();
    let err = run(&["--dist", dist, "--token-file", empty.to_str().unwrap()]);
    assert!(err.contains("empty"), "{err}");
    let err = run(&["--dist", dist, "--token-file", "/nonexistent/token"]);
    assert!(err.contains("cannot read"), "{err}");

    let nowhere = site.0.join("no-site");
    std::fs::create_dir_all(&nowhere).unwrap();
    let err = run(&["--dist", nowhere.to_str().unwrap()]);
    assert!(err.contains("index.html not found: build the site first with trunk build --release"), "{err}");
}

#[test]
fn unreachable_nomad_is_a_502_naming_the_address() {
    let site = Site::new("unreachable");
    let nomad = format!("http://127.0.0.1:{}", closed_port());
    let serve = start_serve(&nomad, &site.0, &[]);
    let a = request(&serve.addr, "GET", "/v1/allocations", &[]);
    assert_eq!(a.status, 502);
    assert!(a.header("content-type").unwrap().starts_with("text/plain"));
    assert!(a.text().contains(&nomad), "{}", a.text());
    assert!(
        a.text().contains("Check that the agent is running and that --nomad or NOMAD_ADDR names"),
        "{}",
        a.text()
    );
}

#[test]
fn a_streamed_answer_arrives_chunk_by_chunk() {
    let site = Site::new("stream");
    let second_sent = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&second_sent);
    // Like /v1/event/stream: chunked NDJSON, with a pause between the events.
    let nomad = FakeNomad::start(move |_, conn| {
        let _ = conn.write_all(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
        );
        let first = b"{\"Index\":1}\n";
        let _ = write!(conn, "{:x}\r\n", first.len());
        let _ = conn.write_all(first);
        let _ = conn.write_all(b"\r\n");
        let _ = conn.flush();
        thread::sleep(Duration::from_secs(1));
        flag.store(true, Ordering::SeqCst);
        let second = b"{\"Index\":2}\n";
        let _ = write!(conn, "{:x}\r\n{}\r\n0\r\n\r\n", second.len(), String::from_utf8_lossy(second));
    });
    let serve = start_serve(&nomad.addr, &site.0, &[]);

    let started = Instant::now();
    let mut conn = send(&serve.addr, "GET", "/v1/event/stream?topic=Allocation", &[]);
    let mut raw = Vec::new();
    let mut buf = [0u8; 4096];
    while find(&raw, b"{\"Index\":1}\n").is_none() {
        let n = conn.read(&mut buf).unwrap();
        assert!(n > 0, "closed before the first event");
        raw.extend_from_slice(&buf[..n]);
    }
    let first_at = started.elapsed();
    assert!(
        !second_sent.load(Ordering::SeqCst),
        "the first event must be readable before Nomad sends the second"
    );
    conn.read_to_end(&mut raw).unwrap();
    let total = started.elapsed();
    let a = parse_answer(&raw, false);
    assert_eq!(a.status, 200);
    assert_eq!(a.text(), "{\"Index\":1}\n{\"Index\":2}\n");
    assert!(first_at < Duration::from_millis(900), "first event after {first_at:?}");
    assert!(total >= Duration::from_secs(1), "whole answer after {total:?}");
    eprintln!("streaming: first event after {first_at:?}, whole answer after {total:?}");
}

#[test]
fn a_pending_long_poll_does_not_block_other_requests() {
    let site = Site::new("concurrent");
    let release = Arc::new(AtomicBool::new(false));
    let gate = Arc::clone(&release);
    let nomad = FakeNomad::start(move |rq, conn| {
        if rq.target.contains("index=") {
            // A blocking query: Nomad answers when the index moves (here: when released).
            let deadline = Instant::now() + Duration::from_secs(20);
            while !gate.load(Ordering::SeqCst) && Instant::now() < deadline {
                thread::sleep(Duration::from_millis(10));
            }
            let _ =
                conn.write_all(b"HTTP/1.1 200 OK\r\nX-Nomad-Index: 43\r\nContent-Length: 6\r\n\r\n\"poll\"");
        } else {
            let _ =
                conn.write_all(b"HTTP/1.1 200 OK\r\nX-Nomad-Index: 42\r\nContent-Length: 6\r\n\r\n\"fast\"");
        }
    });
    let serve = start_serve(&nomad.addr, &site.0, &[]);

    let addr = serve.addr.clone();
    let poll = thread::spawn(move || request(&addr, "GET", "/v1/allocations?index=42&wait=5m", &[]));
    // Wait until the long-poll is pending at the fake Nomad.
    let deadline = Instant::now() + Duration::from_secs(10);
    while !nomad.seen().iter().any(|r| r.target.contains("index=42")) {
        assert!(Instant::now() < deadline, "long-poll never reached Nomad");
        thread::sleep(Duration::from_millis(10));
    }
    let started = Instant::now();
    let site_answer = request(&serve.addr, "GET", "/", &[]);
    let api_answer = request(&serve.addr, "GET", "/v1/jobs", &[]);
    let while_pending = started.elapsed();
    assert_eq!(site_answer.status, 200);
    assert_eq!((api_answer.status, api_answer.text().as_str()), (200, "\"fast\""));
    assert!(!poll.is_finished(), "the long-poll should still be pending");
    assert!(while_pending < Duration::from_secs(2), "{while_pending:?}");

    release.store(true, Ordering::SeqCst);
    let polled = poll.join().unwrap();
    assert_eq!(polled.status, 200);
    assert_eq!(polled.header("x-nomad-index"), Some("43"));
    assert_eq!(polled.text(), "\"poll\"");
    eprintln!("concurrency: site and API answered in {while_pending:?} while a long-poll was pending");
}
