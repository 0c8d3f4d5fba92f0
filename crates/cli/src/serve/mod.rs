//! `allocscope serve`: the site and a same-origin proxy to a Nomad agent, for a team.
//!
//! Nomad sends no CORS headers (and answers preflights with 405), so a page on another
//! origin cannot call its API. This command serves the site (built into the binary, or
//! `--dist`; `crate::site` compresses and validates it) and forwards every `GET`/`HEAD` under
//! `/v1/` to Nomad (`proxy.rs`), over plain HTTP or TLS (`crate::nomad`), with identical
//! requests sharing one upstream request and the total bounded (`flight.rs`). Browsers may
//! connect over HTTPS (`browser_tls.rs`).
//!
//! A token given to `serve` (a file or `NOMAD_TOKEN`) is added to requests that carry none,
//! so anyone who can reach the port acts with it: `serve` then listens on loopback only
//! unless `--allow-remote-token` says otherwise.

mod browser_tls;
mod flight;
mod proxy;

use crate::nomad::{process_env, ConnArgs, Upstream};
use crate::site::Site;
use bytes::Bytes;
use clap::Args;
use flight::Flights;
use hyper::service::service_fn;
use hyper::{Method, Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use std::convert::Infallible;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

pub type ServeBody = http_body_util::combinators::BoxBody<Bytes, std::io::Error>;

#[derive(Args)]
pub struct ServeArgs {
    #[command(flatten)]
    conn: ConnArgs,
    /// Address to listen on (port 0 picks a free port; the start line names it).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    listen: String,
    /// Serve this built site (the output of `trunk build --release`) instead of the one
    /// built into this binary.
    #[arg(long, value_name = "DIR")]
    dist: Option<PathBuf>,
    /// The namespace added to API requests that name none [env: NOMAD_NAMESPACE].
    #[arg(long, value_name = "NS")]
    namespace: Option<String>,
    /// Serve browsers over HTTPS with this PEM certificate (chain) ...
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// ... and this PEM private key.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Listen beyond loopback although a token is injected: anyone who can reach the
    /// address then uses Nomad with that token.
    #[arg(long)]
    allow_remote_token: bool,
    /// At most this many requests to Nomad open at once (identical ones are shared); more
    /// are answered 503 with Retry-After. Nomad allows 100 connections per client address.
    #[arg(long, value_name = "N", default_value_t = 64, value_parser = clap::value_parser!(u16).range(1..=1000))]
    max_upstream: u16,
    /// Print one line per request on standard error (tokens are never printed).
    #[arg(long)]
    verbose: bool,
}

pub struct State {
    site: Site,
    upstream: Arc<Upstream>,
    flights: Arc<Flights>,
    namespace: Option<String>,
    verbose: bool,
}

pub fn run(args: &ServeArgs) -> ExitCode {
    let rt = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("allocscope serve: cannot start the I/O runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(start(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("allocscope serve: {msg}");
            ExitCode::FAILURE
        }
    }
}

async fn start(args: &ServeArgs) -> Result<(), String> {
    let conn = args.conn.resolve(&process_env)?;
    let site = Site::load(args.dist.as_deref()).map_err(|e| e.to_string())?;
    let browser_tls = match (&args.tls_cert, &args.tls_key) {
        (Some(c), Some(k)) => Some(tokio_rustls::TlsAcceptor::from(browser_tls::server_config(c, k)?)),
        _ => None,
    };
    let std_listener = std::net::TcpListener::bind(&args.listen)
        .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
    let local = std_listener.local_addr().map_err(|e| e.to_string())?;
    if let Some(t) = &conn.token {
        if !local.ip().is_loopback() && !args.allow_remote_token {
            return Err(format!(
                "refusing to listen on {local} with the token from {}: anyone who can reach that address would use Nomad with it. Listen on 127.0.0.1 (and reach it through an SSH tunnel), let each user send their own token (no --token-file, NOMAD_TOKEN unset), or pass --allow-remote-token if that is intended",
                t.from
            ));
        }
    }
    std_listener.set_nonblocking(true).map_err(|e| e.to_string())?;
    let listener = tokio::net::TcpListener::from_std(std_listener).map_err(|e| e.to_string())?;
    for w in conn.warnings.iter().chain(site.warnings()) {
        eprintln!("allocscope serve: {w}");
    }
    if conn.token.is_some() && !local.ip().is_loopback() {
        eprintln!("allocscope serve: warning: listening on {local} with an injected token (--allow-remote-token): anyone who can reach this address uses Nomad with that token");
    }
    let namespace = args.namespace.clone().or_else(|| conn.env_namespace.clone());
    println!(
        "{}",
        start_line(local, browser_tls.is_some(), &site, &conn, namespace.as_deref(), args.max_upstream)
    );
    let state = Arc::new(State {
        site,
        upstream: Arc::new(Upstream::new(conn, "allocscope-serve")),
        flights: Arc::new(Flights::new(usize::from(args.max_upstream))),
        namespace,
        verbose: args.verbose,
    });
    loop {
        let (tcp, _peer) = match listener.accept().await {
            Ok(c) => c,
            Err(e) => {
                // Out of file descriptors or similar: wait a moment rather than spin.
                eprintln!("allocscope serve: accepting a connection failed: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                continue;
            }
        };
        let _ = tcp.set_nodelay(true);
        let state = Arc::clone(&state);
        let tls = browser_tls.clone();
        tokio::spawn(async move {
            // A connection that completes no TLS handshake, or sends no byte, within this
            // is closed: idle sockets must not run the process out of file descriptors.
            const FIRST_BYTES: std::time::Duration = std::time::Duration::from_secs(30);
            if tokio::time::timeout(FIRST_BYTES, tcp.readable()).await.is_err() {
                return;
            }
            let svc = service_fn(move |rq| {
                let state = Arc::clone(&state);
                async move { Ok::<_, Infallible>(handle(&state, rq).await) }
            });
            let mut builder = auto::Builder::new(TokioExecutor::new());
            // With a timer, a connection that sends no complete request head in 30 s is closed.
            builder.http1().timer(hyper_util::rt::TokioTimer::new());
            match tls {
                Some(acceptor) => {
                    if let Ok(Ok(stream)) = tokio::time::timeout(FIRST_BYTES, acceptor.accept(tcp)).await {
                        let _ = builder.serve_connection(TokioIo::new(stream), svc).await;
                    }
                }
                None => {
                    let _ = builder.serve_connection(TokioIo::new(tcp), svc).await;
                }
            }
        });
    }
}

fn start_line(
    local: std::net::SocketAddr,
    https: bool,
    site: &Site,
    conn: &crate::nomad::Conn,
    namespace: Option<&str>,
    max_upstream: u16,
) -> String {
    let scheme = if https { "https" } else { "http" };
    let browsers = if https { "browsers over HTTPS (HTTP/2 or 1.1)" } else { "browsers over plain HTTP" };
    let nomad_tls = match &conn.tls {
        Some(t) => t.describe(),
        None => "plain HTTP".into(),
    };
    let token = match &conn.token {
        Some(t) => format!("the token from {} is added to requests that carry none", t.from),
        None => "no token is added (each browser sends its own)".into(),
    };
    let mut extra = String::new();
    if let Some(r) = &conn.region {
        extra.push_str(&format!(", region {r}"));
    }
    if let Some(n) = namespace {
        extra.push_str(&format!(", namespace {n}"));
    }
    format!(
        "allocscope serve: {scheme}://{local}/ ({browsers}) serving {}; /v1/ proxied to {} ({nomad_tls}{extra}); {token}; at most {max_upstream} requests to Nomad at once",
        site.describe(),
        conn.address
    )
}

async fn handle(state: &State, rq: Request<hyper::body::Incoming>) -> Response<ServeBody> {
    let started = Instant::now();
    let method = rq.method().clone();
    let target = rq.uri().path_and_query().map(|p| p.as_str().to_owned()).unwrap_or_default();
    // Read-only by design, the site and the API alike.
    let response = if !matches!(method, Method::GET | Method::HEAD) {
        let mut r = proxy::text(405, "Invalid method".into());
        r.headers_mut().insert("Allow", hyper::header::HeaderValue::from_static("GET, HEAD"));
        r
    } else if rq.uri().path().starts_with("/v1/") {
        proxy::handle(state, rq).await
    } else {
        site_answer(state, &rq)
    };
    if state.verbose {
        eprintln!(
            "{method} {target} -> {} ({} ms; {} requests to Nomad open)",
            response.status().as_u16(),
            started.elapsed().as_millis(),
            state.flights.open()
        );
    }
    response
}

fn site_answer(state: &State, rq: &Request<hyper::body::Incoming>) -> Response<ServeBody> {
    // A header sent on several lines is one comma-separated list (RFC 9110 §5.3).
    let header = |n: &str| {
        let lines: Vec<&str> = rq.headers().get_all(n).iter().filter_map(|v| v.to_str().ok()).collect();
        (!lines.is_empty()).then(|| lines.join(", "))
    };
    let target = rq.uri().path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let (encodings, tags) = (header("accept-encoding"), header("if-none-match"));
    let a = state.site.answer(*rq.method() == Method::HEAD, target, encodings.as_deref(), tags.as_deref());
    let mut r = Response::builder().status(a.status);
    for (k, v) in &a.headers {
        r = r.header(*k, v.as_str());
    }
    r.body(proxy::full(a.body))
        .unwrap_or_else(|_| proxy::text(500, "allocscope serve: a header of this file is not valid".into()))
}
