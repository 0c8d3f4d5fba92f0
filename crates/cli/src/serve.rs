//! `allocscope serve`: the built site and a same-origin proxy to a Nomad agent.
//!
//! Nomad sends no CORS headers (and answers preflights with 405), so a browser page on
//! another origin cannot call its API. This command serves the static site and forwards
//! every `GET`/`HEAD` under `/v1/` to the Nomad address, streaming the answer back chunk by
//! chunk: blocking queries hold a request for minutes and `/v1/event/stream` never ends.
//!
//! One thread per request (tiny_http's connection threads plus one handler thread per
//! request), so a pending long-poll never blocks the site or another query.

use clap::Args;
use std::fs::File;
use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::path::{Component, Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tiny_http::{Header, Method, Request, Response, Server};

/// Blocking queries wait up to 5 minutes plus jitter before Nomad answers, and the event
/// stream sends a heartbeat every few seconds: one read may legitimately take this long.
const UPSTREAM_READ_TIMEOUT: Duration = Duration::from_secs(7 * 60);
const UPSTREAM_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Headers of Nomad's answer that the app reads and that are passed back unchanged.
const PASSED_BACK: &[&str] = &[
    "Content-Type",
    "Content-Length",
    "X-Nomad-Index",
    "X-Nomad-KnownLeader",
    "X-Nomad-LastContact",
    "X-Nomad-NextToken",
    "Location",
];
const TOKEN_HEADER: &str = "X-Nomad-Token";

#[derive(Args)]
pub struct ServeArgs {
    /// The Nomad agent's HTTP address, e.g. http://127.0.0.1:4646; requests under /v1/ are
    /// forwarded to it.
    #[arg(long, value_name = "URL")]
    nomad: String,
    /// Address to listen on (port 0 picks a free port; the start line names it).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    listen: String,
    /// The built site (the output of `trunk build --release`).
    #[arg(long, value_name = "DIR", default_value = "dist")]
    dist: PathBuf,
    /// A file holding a Nomad ACL token, sent as X-Nomad-Token on requests that carry none.
    #[arg(long, value_name = "F")]
    token_file: Option<PathBuf>,
    /// Print one line per request on standard error (tokens are never printed).
    #[arg(long)]
    verbose: bool,
}

struct Ctx {
    /// Nomad's base URL without a trailing slash.
    nomad: String,
    token: Option<String>,
    /// Canonical path of the site directory.
    root: PathBuf,
    agent: ureq::Agent,
    verbose: bool,
}

pub fn run(args: &ServeArgs) -> ExitCode {
    match start(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("allocscope serve: {msg}");
            ExitCode::FAILURE
        }
    }
}

fn start(args: &ServeArgs) -> Result<(), String> {
    let nomad = nomad_base(&args.nomad)?;
    let index = args.dist.join("index.html");
    if !index.is_file() {
        return Err(format!(
            "{} not found: build the site first with trunk build --release",
            index.display()
        ));
    }
    let root = args.dist.canonicalize().map_err(|e| format!("{}: {e}", args.dist.display()))?;
    let token = match &args.token_file {
        Some(f) => Some(read_token(f)?),
        None => None,
    };
    let server = Server::http(&args.listen).map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
    let addr = server.server_addr().to_ip().map(|a| a.to_string()).unwrap_or_else(|| args.listen.clone());
    if token.is_some() && !is_loopback(server.server_addr().to_ip()) {
        eprintln!(
            "allocscope serve: warning: listening on {addr} with --token-file: anyone who can \
             reach this address uses Nomad with that token"
        );
    }
    println!("allocscope serve: http://{addr}/ (site from {}, API proxied to {nomad})", args.dist.display());
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_resolve(Some(UPSTREAM_CONNECT_TIMEOUT))
        .timeout_connect(Some(UPSTREAM_CONNECT_TIMEOUT))
        .timeout_per_read(Some(UPSTREAM_READ_TIMEOUT))
        .user_agent("allocscope-serve")
        .build()
        .into();
    let ctx = Arc::new(Ctx { nomad, token, root, agent, verbose: args.verbose });
    for rq in server.incoming_requests() {
        let ctx = Arc::clone(&ctx);
        std::thread::spawn(move || handle(&ctx, rq));
    }
    Ok(())
}

/// `http://host:port` with the trailing slash removed; only plain HTTP is supported.
fn nomad_base(url: &str) -> Result<String, String> {
    let base = url.trim().trim_end_matches('/');
    let rest = base.strip_prefix("http://").ok_or_else(|| {
        if base.starts_with("https://") {
            format!("--nomad {base}: https is not supported by allocscope serve; use the agent's plain HTTP address or a TLS-terminating proxy")
        } else {
            format!("--nomad {base}: expected an address such as http://127.0.0.1:4646")
        }
    })?;
    if rest.is_empty() || rest.contains(['/', '?', '#']) {
        return Err(format!(
            "--nomad {base}: expected scheme, host and port only, such as http://127.0.0.1:4646"
        ));
    }
    Ok(base.to_owned())
}

fn read_token(file: &Path) -> Result<String, String> {
    let name = file.display();
    let raw = std::fs::read_to_string(file)
        .map_err(|e| format!("--token-file {name}: cannot read the file: {e}"))?;
    let token = raw.trim();
    if token.is_empty() {
        return Err(format!("--token-file {name}: the file is empty"));
    }
    if token.chars().any(|c| c.is_control()) {
        return Err(format!(
            "--token-file {name}: the token holds line breaks or control characters; the file should hold only the token"
        ));
    }
    Ok(token.to_owned())
}

fn is_loopback(addr: Option<SocketAddr>) -> bool {
    addr.is_some_and(|a| a.ip().is_loopback())
}

fn handle(ctx: &Ctx, rq: Request) {
    let started = Instant::now();
    let method = rq.method().clone();
    let url = rq.url().to_owned();
    let status = if url.starts_with("/v1/") { proxy(ctx, rq) } else { serve_file(ctx, rq) };
    if ctx.verbose {
        eprintln!("{method} {url} -> {status} ({} ms)", started.elapsed().as_millis());
    }
}

fn is_read_method(m: &Method) -> bool {
    matches!(m, Method::Get | Method::Head)
}

fn plain(status: u16, text: &str) -> Response<io::Cursor<Vec<u8>>> {
    Response::from_string(text)
        .with_status_code(status)
        .with_header(header("Content-Type", "text/plain; charset=utf-8"))
}

fn header(name: &str, value: &str) -> Header {
    Header::from_bytes(name.as_bytes(), value.as_bytes()).expect("valid header")
}

fn method_not_allowed(rq: Request) -> u16 {
    let _ = rq.respond(plain(405, "Invalid method").with_header(header("Allow", "GET, HEAD")));
    405
}

// ---- static site ----

fn serve_file(ctx: &Ctx, rq: Request) -> u16 {
    if !is_read_method(rq.method()) {
        return method_not_allowed(rq);
    }
    let Some(path) = site_path(&ctx.root, rq.url()) else {
        let _ = rq.respond(plain(404, "Not found"));
        return 404;
    };
    let file = match File::open(&path) {
        Ok(f) => f,
        Err(_) => {
            let _ = rq.respond(plain(404, "Not found"));
            return 404;
        }
    };
    let response = Response::from_file(file)
        .with_header(header("Content-Type", content_type(&path)))
        .with_header(header("Cache-Control", "no-cache"))
        .with_header(header("X-Content-Type-Options", "nosniff"));
    let _ = rq.respond(response);
    200
}

/// The file under `root` that a request URL names, or `None` when it is outside `root`
/// (`..`, symlinks leading out), not a file, or malformed.
fn site_path(root: &Path, url: &str) -> Option<PathBuf> {
    let path = url.split(['?', '#']).next().unwrap_or("");
    let decoded = percent_decode(path)?;
    if decoded.contains(['\\', '\0']) {
        return None;
    }
    let mut rel = PathBuf::new();
    for part in decoded.split('/') {
        match part {
            "" | "." => {}
            ".." => return None,
            p => {
                // A component such as `C:` must not turn into an absolute path.
                if !matches!(Path::new(p).components().next(), Some(Component::Normal(_))) {
                    return None;
                }
                rel.push(p);
            }
        }
    }
    let mut full = root.join(rel);
    if full.is_dir() {
        full.push("index.html");
    }
    let full = full.canonicalize().ok()?;
    (full.starts_with(root) && full.is_file()).then_some(full)
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn content_type(path: &Path) -> &'static str {
    let ext = path.extension().and_then(|e| e.to_str()).map(|e| e.to_ascii_lowercase());
    match ext.as_deref() {
        // The demo snapshot mirrors the Nomad API: `demo/v1/allocations` is JSON.
        None => "application/json",
        Some("html" | "htm") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("wasm") => "application/wasm",
        Some("svg") => "image/svg+xml",
        Some("json" | "map") => "application/json",
        Some("ndjson") => "application/x-ndjson",
        Some("txt") => "text/plain; charset=utf-8",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("woff2") => "font/woff2",
        Some(_) => "application/octet-stream",
    }
}

// ---- proxy ----

fn request_header<'a>(rq: &'a Request, name: &'static str) -> Option<&'a str> {
    rq.headers().iter().find(|h| h.field.equiv(name)).map(|h| h.value.as_str())
}

fn proxy(ctx: &Ctx, rq: Request) -> u16 {
    if !is_read_method(rq.method()) {
        return method_not_allowed(rq);
    }
    let head = *rq.method() == Method::Head;
    let target = format!("{}{}", ctx.nomad, rq.url());
    let mut builder = if head { ctx.agent.head(&target) } else { ctx.agent.get(&target) };
    let client_token = request_header(&rq, TOKEN_HEADER).filter(|t| !t.trim().is_empty());
    if let Some(token) = client_token.or(ctx.token.as_deref()) {
        builder = builder.header(TOKEN_HEADER, token);
    }
    if let Some(accept) = request_header(&rq, "Accept") {
        builder = builder.header("Accept", accept);
    }
    let answer = match builder.call() {
        Ok(a) => a,
        Err(e) => return upstream_failed(ctx, rq, e),
    };
    let status = answer.status().as_u16();
    let reason = answer.status().canonical_reason().unwrap_or("");
    let mut headers: Vec<(&str, String)> = Vec::new();
    for name in PASSED_BACK {
        if let Some(v) = answer.headers().get(*name).and_then(|v| v.to_str().ok()) {
            headers.push((name, v.to_owned()));
        }
    }
    let length_known = headers.iter().any(|(n, _)| *n == "Content-Length");
    let http11 = rq.http_version() == &tiny_http::HTTPVersion(1, 1);
    let close = !http11 || request_header(&rq, "Connection").is_some_and(|c| c.eq_ignore_ascii_case("close"));
    // tiny_http's `respond` buffers small writes and chunks; the raw writer lets every
    // chunk from Nomad be flushed to the browser as soon as it arrives.
    let chunked = !head && !length_known && http11 && !matches!(status, 204 | 304);
    let mut out = rq.into_writer();
    let mut head_text = format!("HTTP/1.1 {status} {reason}\r\n");
    for (name, value) in &headers {
        head_text.push_str(&format!("{name}: {value}\r\n"));
    }
    head_text.push_str("Cache-Control: no-store\r\n");
    if chunked {
        head_text.push_str("Transfer-Encoding: chunked\r\n");
    }
    if close || (!chunked && !length_known && !head) {
        head_text.push_str("Connection: close\r\n");
    }
    head_text.push_str("\r\n");
    if out.write_all(head_text.as_bytes()).is_err() || out.flush().is_err() {
        return status;
    }
    if head || matches!(status, 204 | 304) {
        return status;
    }
    let mut body = answer.into_body().into_reader();
    if let Err(e) = copy_streaming(&mut body, &mut out, chunked) {
        if ctx.verbose {
            eprintln!("allocscope serve: response from {} cut short: {e}", ctx.nomad);
        }
    }
    status
}

/// Copies the body chunk by chunk, flushing each one. An upstream failure mid-body ends
/// a chunked answer with an invalid chunk so the browser sees an error, not a short body.
fn copy_streaming(body: &mut impl Read, out: &mut impl Write, chunked: bool) -> io::Result<()> {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match body.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                if chunked {
                    let _ = out.write_all(b"upstream-failed\r\n");
                    let _ = out.flush();
                }
                return Err(e);
            }
        };
        if chunked {
            write!(out, "{n:x}\r\n")?;
            out.write_all(&buf[..n])?;
            out.write_all(b"\r\n")?;
        } else {
            out.write_all(&buf[..n])?;
        }
        out.flush()?;
    }
    if chunked {
        out.write_all(b"0\r\n\r\n")?;
    }
    out.flush()
}

fn upstream_failed(ctx: &Ctx, rq: Request, e: ureq::Error) -> u16 {
    let (status, text) = match &e {
        ureq::Error::Timeout(_) => (
            504,
            format!(
                "allocscope serve: Nomad at {} did not answer in time ({e}). Check that the agent is healthy and not overloaded.",
                ctx.nomad
            ),
        ),
        _ => (
            502,
            format!(
                "allocscope serve: could not reach Nomad at {} ({e}). Check that the Nomad agent is running and that --nomad names its HTTP address (scheme, host and port, e.g. http://127.0.0.1:4646).",
                ctx.nomad
            ),
        ),
    };
    let _ = rq.respond(plain(status, &text));
    status
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nomad_addresses() {
        assert_eq!(nomad_base("http://127.0.0.1:4646/").unwrap(), "http://127.0.0.1:4646");
        assert!(nomad_base("https://nomad:4646").unwrap_err().contains("https"));
        assert!(nomad_base("nomad:4646").is_err());
        assert!(nomad_base("http://nomad:4646/v1").is_err());
    }

    #[test]
    fn content_types() {
        assert_eq!(content_type(Path::new("a/allocscope_bg.wasm")), "application/wasm");
        assert_eq!(content_type(Path::new("demo/v1/allocations")), "application/json");
        assert_eq!(content_type(Path::new("app.CSS")), "text/css; charset=utf-8");
    }

    #[test]
    fn paths_stay_inside_the_root() {
        let dir = std::env::temp_dir().join(format!("allocscope-serve-unit-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        std::fs::write(dir.join("index.html"), "x").unwrap();
        std::fs::write(dir.join("sub/a b.js"), "x").unwrap();
        let root = dir.canonicalize().unwrap();
        assert_eq!(site_path(&root, "/"), Some(root.join("index.html")));
        assert_eq!(site_path(&root, "/?x=1"), Some(root.join("index.html")));
        assert_eq!(site_path(&root, "/sub/a%20b.js"), Some(root.join("sub/a b.js")));
        assert_eq!(site_path(&root, "/../etc/passwd"), None);
        assert_eq!(site_path(&root, "/%2e%2e/%2e%2e/etc/passwd"), None);
        assert_eq!(site_path(&root, "/sub/..%5c..%5cx"), None);
        assert_eq!(site_path(&root, "/missing"), None);
        assert_eq!(site_path(&root, "/%zz"), None);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
