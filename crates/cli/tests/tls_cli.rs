//! `snapshot` and `serve` against the Nomad API test double in mutual-TLS mode (as an agent
//! with `tls { http = true, verify_https_client = true }`), configured the way `nomad` CLI
//! users configure it: `NOMAD_ADDR`, `NOMAD_CACERT`, `NOMAD_CLIENT_CERT`, `NOMAD_CLIENT_KEY`,
//! `NOMAD_TOKEN`. Certificates are made when the tests run (nomad_double::certs); nothing that
//! can expire is committed.

mod common;

use common::Serve;
use nomad_double::certs::{generate_with, CertPaths};
use nomad_double::{DoubleServer, Options};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_allocscope");
const TOKEN: &str = "5ec7e71d-tls-cli-token";
const NOMAD_VARS: &[&str] = &[
    "NOMAD_ADDR",
    "NOMAD_TOKEN",
    "NOMAD_REGION",
    "NOMAD_NAMESPACE",
    "NOMAD_CACERT",
    "NOMAD_CAPATH",
    "NOMAD_CLIENT_CERT",
    "NOMAD_CLIENT_KEY",
    "NOMAD_TLS_SERVER_NAME",
    "NOMAD_SKIP_VERIFY",
];

struct Pki {
    /// The cluster's CA, with an extra server leaf `lb` that names only server.global.nomad
    /// (an agent reached by IP or through a load balancer).
    ours: CertPaths,
    /// Another CA, for "wrong CA" and "foreign client certificate".
    other: CertPaths,
}

fn pki() -> &'static Pki {
    static PKI: OnceLock<Pki> = OnceLock::new();
    PKI.get_or_init(|| {
        let base = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("tls-cli-{}", std::process::id()));
        let lb = vec![("lb".to_owned(), vec!["server.global.nomad".to_owned()])];
        let ours = generate_with(&base.join("ours"), "global", &lb).expect("certificates");
        let other = generate_with(&base.join("other"), "global", &[]).expect("certificates");
        Pki { ours, other }
    })
}

fn demo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../www/demo")
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// The double serving HTTPS with `cert`/`key`, demanding client certificates of our CA.
fn mtls_double(cert: &Path, key: &Path) -> DoubleServer {
    let mut o = Options::new(demo(), "127.0.0.1:0");
    o.token = Some(TOKEN.into());
    o.tls_cert = Some(cert.into());
    o.tls_key = Some(key.into());
    o.tls_client_ca = Some(pki().ours.ca.clone());
    DoubleServer::start(o).expect("double")
}

fn server_double() -> DoubleServer {
    let s = &pki().ours.server;
    mtls_double(&s.cert, &s.key)
}

/// The environment a `nomad` CLI user has set for this double.
fn nomad_env(double: &DoubleServer) -> Vec<(&'static str, String)> {
    let o = &pki().ours;
    vec![
        ("NOMAD_ADDR", double.url()),
        ("NOMAD_CACERT", p(&o.ca).into()),
        ("NOMAD_CLIENT_CERT", p(&o.cli.cert).into()),
        ("NOMAD_CLIENT_KEY", p(&o.cli.key).into()),
        ("NOMAD_TOKEN", TOKEN.into()),
    ]
}

fn command(env: &[(&str, String)]) -> Command {
    let mut c = Command::new(BIN);
    for v in NOMAD_VARS {
        c.env_remove(v);
    }
    for (k, v) in env {
        c.env(k, v);
    }
    c
}

fn snapshot(env: &[(&str, String)], args: &[&str], out: &Path) -> Output {
    let _ = std::fs::remove_dir_all(out);
    command(env).arg("snapshot").args(args).args(["--out", p(out)]).output().expect("run allocscope")
}

fn scratch(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("tls-cli-{}-{name}", std::process::id()))
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn files_in(dir: &Path) -> usize {
    std::fs::read_dir(dir).map(|d| d.count()).unwrap_or(0)
}

#[test]
fn snapshot_with_only_the_nomad_environment_captures_the_cluster() {
    let double = server_double();
    let out = scratch("env");
    let o = snapshot(&nomad_env(&double), &[], &out);
    let said = text(&o);
    assert!(o.status.success(), "{said}");
    let want = files_in(&demo().join("v1/allocation"));
    assert!(want > 0);
    assert_eq!(files_in(&out.join("v1/allocation")), want, "{said}");
    assert!(said.contains(&format!("{want} allocations")), "{said}");
    assert!(!said.contains(TOKEN), "the token is never printed: {said}");
}

#[test]
fn a_flag_overrides_its_variable() {
    let double = server_double();
    let closed = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut env = nomad_env(&double);
    env.retain(|(k, _)| !matches!(*k, "NOMAD_ADDR" | "NOMAD_CACERT"));
    env.push(("NOMAD_ADDR", format!("https://127.0.0.1:{closed}")));
    env.push(("NOMAD_CACERT", p(&pki().other.ca).into()));
    let out = scratch("flags");
    // The variables alone point at a closed port.
    let o = snapshot(&env, &[], &out);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains(&format!("127.0.0.1:{closed}")), "{}", text(&o));
    // --nomad wins over NOMAD_ADDR; then the wrong NOMAD_CACERT is what fails ...
    let o = snapshot(&env, &["--nomad", &double.url()], &out);
    assert!(text(&o).contains("NOMAD_CACERT"), "{}", text(&o));
    // ... until --ca-cert wins over it.
    let o = snapshot(&env, &["--nomad", &double.url(), "--ca-cert", p(&pki().ours.ca)], &out);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(files_in(&out.join("v1/allocation")), files_in(&demo().join("v1/allocation")));
}

fn failing(env: &[(&str, String)], args: &[&str]) -> String {
    let o = snapshot(env, args, &scratch("fail"));
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let t = text(&o);
    assert!(!t.contains(TOKEN), "the token is never printed: {t}");
    t
}

#[test]
fn tls_failures_say_what_to_change() {
    let double = server_double();
    let env = nomad_env(&double);
    let with = |k: &'static str, v: String| -> Vec<(&'static str, String)> {
        let mut e: Vec<_> = env.iter().filter(|(n, _)| *n != k).cloned().collect();
        e.push((k, v));
        e
    };

    let t = failing(&with("NOMAD_CACERT", p(&pki().other.ca).into()), &[]);
    assert!(t.contains("not trusted") && t.contains("--ca-cert") && t.contains("NOMAD_CACERT"), "{t}");

    let no_cert: Vec<_> = env.iter().filter(|(k, _)| !k.starts_with("NOMAD_CLIENT_")).cloned().collect();
    let t = failing(&no_cert, &[]);
    assert!(t.contains("requires a client certificate"), "{t}");
    assert!(t.contains("--client-cert") && t.contains("NOMAD_CLIENT_CERT"), "{t}");

    let foreign = &pki().other.cli;
    let t = failing(&with("NOMAD_CLIENT_CERT", p(&foreign.cert).into()), &["--client-key", p(&foreign.key)]);
    assert!(t.contains("refused the client certificate"), "{t}");

    let only_cert = with("NOMAD_CLIENT_KEY", String::new());
    let t = failing(&only_cert, &[]);
    assert!(t.contains("needs both --client-cert and --client-key"), "{t}");

    let plain = double.url().replacen("https://", "http://", 1);
    let t = failing(&with("NOMAD_ADDR", plain), &[]);
    assert!(t.contains("serves HTTPS") && t.contains(&format!("Use {}", double.url())), "{t}");

    let plain_double = DoubleServer::start(Options::new(demo(), "127.0.0.1:0")).unwrap();
    let tls_to_plain = plain_double.url().replacen("http://", "https://", 1);
    let t = failing(&with("NOMAD_ADDR", tls_to_plain), &[]);
    // A plain-HTTP agent either answers the ClientHello with a 400 or waits for a request line.
    let named = t.contains("answered without TLS") || t.contains("did not answer the TLS handshake");
    assert!(named && t.to_lowercase().contains(&format!("use {}", plain_double.url())), "{t}");
}

#[test]
fn a_certificate_for_another_name_suggests_the_server_name_and_the_name_fixes_it() {
    let lb = &pki().ours.extra[0];
    let double = mtls_double(&lb.cert, &lb.key);
    let env = nomad_env(&double);
    let t = failing(&env, &[]);
    assert!(t.contains("not valid for 127.0.0.1"), "{t}");
    assert!(t.contains("--tls-server-name server.global.nomad"), "{t}");
    assert!(t.contains("NOMAD_TLS_SERVER_NAME=server.global.nomad"), "{t}");
    let mut named = env.clone();
    named.push(("NOMAD_TLS_SERVER_NAME", "server.global.nomad".into()));
    let out = scratch("named");
    let o = snapshot(&named, &[], &out);
    assert!(o.status.success(), "{}", text(&o));
    // A wrong name given explicitly fails the same way, naming what the certificate holds.
    let t = failing(&env, &["--tls-server-name", "server.eu.nomad"]);
    assert!(
        t.contains("not valid for server.eu.nomad") && t.contains("--tls-server-name server.global.nomad"),
        "{t}"
    );
}

// ---------- serve in front of the mutual-TLS double ----------

fn start_serve(env: &[(&str, String)], args: &[&str]) -> Serve {
    start_serve_in(Path::new("."), env, args)
}

fn start_serve_in(cwd: &Path, env: &[(&str, String)], args: &[&str]) -> Serve {
    let mut cmd = command(env);
    cmd.current_dir(cwd).args(["serve", "--verbose"]).args(args);
    Serve::spawn(cmd)
}

struct Answer {
    status: u16,
    head: String,
    body: Vec<u8>,
}

/// One request to serve over plain HTTP/1.1, the answer read to its end and de-chunked.
fn get(addr: &str, target: &str) -> Answer {
    let mut a = get_with(addr, target, "");
    if header(&a, "transfer-encoding") == Some("chunked") {
        a.body = dechunk(&a.body);
    }
    a
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = data.windows(2).position(|w| w == b"\r\n") {
        let n = usize::from_str_radix(std::str::from_utf8(&data[..eol]).unwrap().trim(), 16).unwrap();
        if n == 0 {
            break;
        }
        out.extend_from_slice(&data[eol + 2..eol + 2 + n]);
        data = &data[eol + 4 + n..];
    }
    out
}

fn index_of(a: &Answer) -> u64 {
    a.head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase().strip_prefix("x-nomad-index:").map(|v| v.trim().parse().unwrap())
        })
        .expect("X-Nomad-Index")
}

/// A control call to the double, which in TLS mode also wants our client certificate.
fn control(double: &DoubleServer, path: &str) -> String {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
    let o = &pki().ours;
    let mut roots = rustls::RootCertStore::empty();
    roots.add(CertificateDer::from_pem_file(&o.ca).unwrap()).unwrap();
    let chain = vec![CertificateDer::from_pem_file(&o.cli.cert).unwrap()];
    let key = PrivateKeyDer::from_pem_file(&o.cli.key).unwrap();
    let config =
        rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_client_auth_cert(chain, key)
            .unwrap();
    let name = ServerName::try_from("127.0.0.1").unwrap();
    let conn = rustls::ClientConnection::new(Arc::new(config), name).unwrap();
    let mut tls = rustls::StreamOwned::new(conn, TcpStream::connect(double.addr()).unwrap());
    write!(tls, "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").unwrap();
    let mut raw = Vec::new();
    let _ = tls.read_to_end(&mut raw);
    String::from_utf8_lossy(&raw).into_owned()
}

#[test]
fn serve_relays_a_list_an_allocation_a_blocking_query_and_the_event_stream_over_mutual_tls() {
    let double = server_double();
    let serve = start_serve(&nomad_env(&double), &["--listen", "127.0.0.1:0", "--dist", p(&site_dir())]);
    let list = get(&serve.addr, "/v1/allocations?namespace=*");
    assert_eq!(list.status, 200, "{}", String::from_utf8_lossy(&list.body));
    let stubs: Vec<serde_json::Value> = serde_json::from_slice(&list.body).unwrap();
    assert_eq!(stubs.len(), files_in(&demo().join("v1/allocation")));
    // Nomad compresses what the browser accepts; serve passes the encoding both ways.
    let gz = get_with(&serve.addr, "/v1/allocations?namespace=*", "Accept-Encoding: gzip\r\n");
    assert_eq!(header(&gz, "content-encoding"), Some("gzip"), "{}", gz.head);
    let body =
        if header(&gz, "transfer-encoding") == Some("chunked") { dechunk(&gz.body) } else { gz.body.clone() };
    let mut json = Vec::new();
    flate2::read::GzDecoder::new(body.as_slice()).read_to_end(&mut json).unwrap();
    assert_eq!(serde_json::from_slice::<Vec<serde_json::Value>>(&json).unwrap().len(), stubs.len());
    let id = stubs[0]["ID"].as_str().unwrap().to_owned();
    let one = get(&serve.addr, &format!("/v1/allocation/{id}"));
    assert_eq!(one.status, 200);
    let full: serde_json::Value = serde_json::from_slice(&one.body).unwrap();
    assert_eq!(full["ID"], stubs[0]["ID"]);
    assert!(full["TaskStates"].is_object(), "the full allocation, not a stub");

    let index = index_of(&list);
    let addr = serve.addr.clone();
    let blocking = std::thread::spawn(move || {
        get(&addr, &format!("/v1/allocations?namespace=*&index={index}&wait=120s"))
    });
    let mut stream = TcpStream::connect(&serve.addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(120))).unwrap();
    write!(
        stream,
        "GET /v1/event/stream?topic=Allocation&namespace=*&index={index} HTTP/1.1\r\nHost: x\r\n\r\n"
    )
    .unwrap();
    let mut seen = Vec::new();
    let mut buf = [0u8; 16384];
    // The first heartbeat says the subscription is open; then the change is sent.
    while !String::from_utf8_lossy(&seen).contains("{}") {
        let n = stream.read(&mut buf).unwrap();
        assert!(n > 0, "the stream ended: {}", String::from_utf8_lossy(&seen));
        seen.extend_from_slice(&buf[..n]);
    }
    assert!(control(&double, &format!("/_double/alloc/{id}/fail")).starts_with("HTTP/1.1 200"));
    while !String::from_utf8_lossy(&seen).contains(&id) {
        let n = stream.read(&mut buf).unwrap();
        assert!(n > 0, "the stream ended: {}", String::from_utf8_lossy(&seen));
        seen.extend_from_slice(&buf[..n]);
    }
    assert!(String::from_utf8_lossy(&seen).contains("\"Topic\":\"Allocation\""));
    let answered = blocking.join().unwrap();
    assert_eq!(answered.status, 200);
    assert!(index_of(&answered) > index, "the blocking query woke on the change");
    let log = serve.log();
    assert!(log.contains("the token from NOMAD_TOKEN is added"), "{log}");
    assert!(log.contains("client certificate from NOMAD_CLIENT_CERT"), "{log}");
    assert!(!log.contains(TOKEN), "the token is never printed or logged: {log}");
}

#[test]
fn serve_answers_a_tls_failure_as_502_naming_the_fix() {
    let double = server_double();
    let env: Vec<_> =
        nomad_env(&double).into_iter().filter(|(k, _)| !k.starts_with("NOMAD_CLIENT_")).collect();
    let serve = start_serve(&env, &["--listen", "127.0.0.1:0", "--dist", p(&site_dir())]);
    let a = get(&serve.addr, "/v1/allocations?namespace=*");
    assert_eq!(a.status, 502);
    let t = String::from_utf8_lossy(&a.body);
    assert!(t.contains("requires a client certificate") && t.contains("NOMAD_CLIENT_CERT"), "{t}");
}

#[test]
fn serve_refuses_to_share_an_injected_token_beyond_loopback_unless_told() {
    let env = vec![("NOMAD_TOKEN", TOKEN.to_owned())];
    let o =
        command(&env).args(["serve", "--listen", "0.0.0.0:0", "--dist", p(&site_dir())]).output().unwrap();
    assert!(!o.status.success());
    let t = text(&o);
    assert!(t.contains("refusing to listen on 0.0.0.0") && t.contains("--allow-remote-token"), "{t}");
    assert!(!t.contains(TOKEN), "{t}");
    let serve =
        start_serve(&env, &["--listen", "0.0.0.0:0", "--allow-remote-token", "--dist", p(&site_dir())]);
    assert!(serve.addr.starts_with("0.0.0.0:"), "{}", serve.addr);
    let log = serve.log();
    assert!(log.contains("anyone who can reach this address uses Nomad with that token"), "{log}");
}

/// A minimal site folder for the serve tests that do not look at the site.
fn site_dir() -> PathBuf {
    let d = scratch("site");
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(d.join("index.html"), "<!doctype html><title>t</title>").unwrap();
    d
}

// ---------- the site built into the binary ----------

/// One request with extra header lines, the answer's body as sent (chunked or not).
fn get_with(addr: &str, target: &str, headers: &str) -> Answer {
    let mut c = TcpStream::connect(addr).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(120))).unwrap();
    write!(c, "GET {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{headers}\r\n").unwrap();
    let mut raw = Vec::new();
    c.read_to_end(&mut raw).unwrap();
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("a head");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    Answer { status: head[9..12].parse().unwrap(), head, body: raw[split + 4..].to_vec() }
}

fn header<'a>(a: &'a Answer, name: &str) -> Option<&'a str> {
    a.head.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

#[test]
fn without_dist_serve_serves_the_site_built_into_it_compressed_and_cached() {
    let dist = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../dist");
    let embedded = dist.join("index.html").is_file();
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    let cwd = scratch("nowhere");
    std::fs::create_dir_all(&cwd).unwrap();
    if !embedded {
        assert!(!ci, "CI builds the site (trunk build --release) before the CLI, so it must be embedded");
        let o = command(&[]).current_dir(&cwd).args(["serve", "--listen", "127.0.0.1:0"]).output().unwrap();
        assert!(text(&o).contains("built without the site"), "{}", text(&o));
        return;
    }
    let serve = start_serve_in(&cwd, &[], &["--listen", "127.0.0.1:0"]);
    assert!(serve.log().contains("the site built into this binary"));
    // The first visit, as a browser asks for it.
    let mut first_visit = 0;
    let index = get_with(&serve.addr, "/", "Accept-Encoding: br, gzip\r\n");
    assert_eq!(index.status, 200);
    first_visit += index.body.len();
    let boot = get_with(&serve.addr, "/boot.js", "Accept-Encoding: gzip\r\n");
    assert_eq!(
        header(&boot, "content-encoding"),
        None,
        "boot.js is below the compression threshold or sent as is"
    );
    let boot_text = String::from_utf8_lossy(&boot.body).into_owned();
    first_visit += boot.body.len();
    let wasm_name = boot_text
        .split(['\'', '"'])
        .find(|s| {
            s.starts_with("./allocscope-app_bg.") && s.ends_with(".wasm") && *s != "./allocscope-app_bg.wasm"
        })
        .unwrap_or_else(|| panic!("boot.js imports a content-hashed wasm: {boot_text}"))
        .trim_start_matches("./")
        .to_owned();
    // serve compresses in the background when it starts and meanwhile sends what is ready.
    let wasm = loop {
        let a = get_with(&serve.addr, &format!("/{wasm_name}"), "Accept-Encoding: gzip, br\r\n");
        assert_eq!(a.status, 200);
        if header(&a, "content-encoding") == Some("br") {
            break a;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(header(&wasm, "cache-control"), Some("public, max-age=31536000, immutable"));
    let mut plain = Vec::new();
    brotli::Decompressor::new(wasm.body.as_slice(), 4096).read_to_end(&mut plain).unwrap();
    assert_eq!(
        plain,
        std::fs::read(dist.join("allocscope-app_bg.wasm")).unwrap(),
        "the built wasm, byte for byte"
    );
    first_visit += wasm.body.len();
    for other in ["/allocscope-app.js", "/app.css"] {
        let a = get_with(&serve.addr, other, "Accept-Encoding: br, gzip\r\n");
        assert_eq!(a.status, 200, "{other}");
        first_visit += a.body.len();
    }
    // A repeat visit revalidates and transfers no wasm.
    let tag = header(&wasm, "etag").expect("an ETag").to_owned();
    let again = get_with(
        &serve.addr,
        &format!("/{wasm_name}"),
        &format!("Accept-Encoding: gzip, br\r\nIf-None-Match: {tag}\r\n"),
    );
    assert_eq!((again.status, again.body.len()), (304, 0));
    eprintln!(
        "serve: first visit {first_visit} bytes compressed (wasm {} of {} bytes); repeat visit: 304, 0 wasm bytes",
        wasm.body.len(),
        plain.len()
    );
}

#[test]
fn a_ca_folder_is_trusted_file_by_file_subfolders_included() {
    let double = server_double();
    let dir = scratch("capath");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("cluster")).unwrap();
    std::fs::copy(&pki().other.ca, dir.join("other.pem")).unwrap();
    let mut env: Vec<_> = nomad_env(&double).into_iter().filter(|(k, _)| *k != "NOMAD_CACERT").collect();
    env.push(("NOMAD_CAPATH", p(&dir).into()));
    let t = failing(&env, &[]);
    assert!(t.contains("not trusted") && t.contains("NOMAD_CAPATH"), "{t}");
    std::fs::copy(&pki().ours.ca, dir.join("cluster/ca.pem")).unwrap();
    let o = snapshot(&env, &[], &scratch("capath-out"));
    assert!(o.status.success(), "{}", text(&o));
}
