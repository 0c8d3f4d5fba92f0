//! The HTTP server: one accept loop on tiny_http, one thread per request (so many
//! long-polls can wait at once), and the shared state they use. In TLS mode tiny_http
//! listens on an internal loopback port behind the TLS front (src/tls.rs).

use crate::query::Query;
use crate::stats::Stats;
use crate::store::Store;
use crate::tls::{FrontParts, TlsFront};
use crate::{api, control, events, ui, NomadVersion, Options};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use tiny_http::{Header, Response};

/// One answer, before it is written.
#[derive(Clone, Debug)]
pub(crate) struct Reply {
    pub status: u16,
    pub content_type: &'static str,
    pub body: Vec<u8>,
    pub headers: Vec<(String, String)>,
}

impl Reply {
    pub fn json(status: u16, body: Vec<u8>) -> Reply {
        Reply { status, content_type: "application/json", body, headers: Vec::new() }
    }

    pub fn json_value(status: u16, v: &serde_json::Value) -> Reply {
        Reply::json(status, serde_json::to_vec(v).unwrap_or_default())
    }

    /// Nomad's error form: the plain message.
    pub fn text(status: u16, msg: &str) -> Reply {
        Reply {
            status,
            content_type: "text/plain; charset=utf-8",
            body: msg.as_bytes().to_vec(),
            headers: Vec::new(),
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> Reply {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// `setMeta` (`command/agent/http.go`): the blocking index and the leader headers. The
    /// index is whatever the RPC answered, 0 included (an `allocs` table never written).
    pub fn nomad_meta(self, index: u64) -> Reply {
        self.header("X-Nomad-Index", &index.to_string())
            .header("X-Nomad-KnownLeader", "true")
            .header("X-Nomad-LastContact", "0")
    }
}

/// What a request's token may read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Access {
    /// No token, or a wrong one, where the double wants one.
    Denied,
    /// Every namespace (the double without `--token`, or the `--token` secret).
    All,
    /// An `--acl-token`: read-job in these namespaces only.
    Namespaces(Vec<String>),
}

/// A forced answer or delay set through `POST /_double/mode`.
#[derive(Clone, Debug, Default)]
pub(crate) struct Mode {
    pub status: Option<u16>,
    pub body: String,
    pub delay_ms: u64,
}

pub(crate) struct Shared {
    pub store: Mutex<Store>,
    pub changed: Condvar,
    pub mode: Mutex<Mode>,
    pub counts: Mutex<BTreeMap<String, u64>>,
    token: Option<String>,
    /// `--acl-token SECRET=ns,...`: tokens with read-job in those namespaces only.
    acl_tokens: Vec<(String, Vec<String>)>,
    pub version: NomadVersion,
    /// The store as loaded, for `POST /_double/reset`.
    initial: Store,
    pub ui: Option<PathBuf>,
    verbose: bool,
    pub extra_headers: Vec<(String, String)>,
    pub shutdown: AtomicBool,
    /// Bumped by every reset: streams opened before it end.
    pub resets: AtomicU64,
    /// `GET /_double/stats`.
    pub stats: Arc<Stats>,
    /// Serving HTTPS (the TLS front is in front of tiny_http).
    pub tls: bool,
    /// Ends the TLS front's accept loop.
    tls_stop: Arc<tokio::sync::Notify>,
    server: Arc<tiny_http::Server>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Shared {
    pub fn current_index(&self) -> u64 {
        lock(&self.store).index
    }

    /// Read the store.
    pub fn read<T>(&self, f: impl FnOnce(&Store) -> T) -> T {
        f(&lock(&self.store))
    }

    /// Run a change to the store, then wake every blocked query.
    pub fn mutate<T>(&self, f: impl FnOnce(&mut Store) -> T) -> T {
        let out = f(&mut lock(&self.store));
        self.changed.notify_all();
        out
    }

    /// Nomad's blocking query: when `min_index > 0` and the relevant index is not above it,
    /// wait for a change or for `wait` to pass. Returns the store, locked, to answer from.
    pub fn wait_for(
        &self,
        min_index: u64,
        wait: Duration,
        relevant: impl Fn(&Store) -> u64,
    ) -> MutexGuard<'_, Store> {
        let mut g = lock(&self.store);
        if min_index == 0 {
            return g;
        }
        let deadline = Instant::now() + wait;
        while relevant(&g) <= min_index && !self.shutdown.load(Ordering::SeqCst) {
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            g = self
                .changed
                .wait_timeout(g, deadline - now)
                .map(|(g, _)| g)
                .unwrap_or_else(|p| p.into_inner().0);
        }
        g
    }

    pub fn mode(&self) -> MutexGuard<'_, Mode> {
        lock(&self.mode)
    }

    pub fn counts(&self) -> MutexGuard<'_, BTreeMap<String, u64>> {
        lock(&self.counts)
    }

    /// What the request's token may read (`X-Nomad-Token: <t>` or `Authorization: Bearer
    /// <t>`, the scheme case-insensitive). Without `--token` and `--acl-token` every
    /// request may read everything (an agent without ACLs).
    pub fn access(&self, headers: &[Header]) -> Access {
        if self.token.is_none() && self.acl_tokens.is_empty() {
            return Access::All;
        }
        let sent = headers.iter().find_map(|h| {
            let v = h.value.as_str();
            if h.field.equiv("X-Nomad-Token") {
                Some(v.trim().to_owned())
            } else if h.field.equiv("Authorization") {
                v.split_once(' ')
                    .filter(|(s, _)| s.eq_ignore_ascii_case("bearer"))
                    .map(|(_, t)| t.trim().to_owned())
            } else {
                None
            }
        });
        let Some(sent) = sent else { return Access::Denied };
        if self.token.as_deref() == Some(sent.as_str()) {
            return Access::All;
        }
        match self.acl_tokens.iter().find(|(t, _)| *t == sent) {
            Some((_, namespaces)) => Access::Namespaces(namespaces.clone()),
            None => Access::Denied,
        }
    }

    /// The cluster's namespaces: those its allocations are in (the double has no
    /// namespace table), and `default`, which always exists.
    pub fn namespaces(&self) -> Vec<String> {
        let store = lock(&self.store);
        let mut all: Vec<String> =
            store.allocs.values().map(|e| e.alloc.namespace_or_default().to_owned()).collect();
        all.push("default".into());
        all.sort();
        all.dedup();
        all
    }

    /// Put the store back as it was loaded (the index too), clear the counts and the
    /// forced mode, and end every open event stream.
    pub fn reset(&self) {
        *self.mode() = Mode::default();
        self.counts().clear();
        self.stats.reset();
        self.mutate(|s| *s = self.initial.clone());
        self.resets.fetch_add(1, Ordering::SeqCst);
    }

    pub fn request_shutdown(&self) {
        self.shutdown.store(true, Ordering::SeqCst);
        self.changed.notify_all();
        self.tls_stop.notify_one();
        self.server.unblock();
    }
}

/// A running double. Dropping it stops the accept loop.
pub struct DoubleServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
    /// In TLS mode; dropped after the accept loop ends.
    tls: Option<TlsFront>,
}

impl DoubleServer {
    /// Load the snapshot, bind, and serve in a background thread.
    pub fn start(opts: Options) -> Result<DoubleServer, String> {
        let mut store = Store::load(&opts.snapshot, opts.index)?;
        store.buffer_size = opts.event_buffer.unwrap_or(crate::store::DEFAULT_EVENT_BUFFER);
        if let Some(ui) = &opts.ui {
            if !ui.is_dir() {
                return Err(format!("--ui {}: not a directory", ui.display()));
            }
        }
        // TLS mode: the certificate is checked before anything listens, as the agent does.
        let tls_config = crate::tls::config_of(&opts)?;
        let inner = if tls_config.is_some() { "127.0.0.1:0" } else { opts.listen.as_str() };
        let server = tiny_http::Server::http(inner).map_err(|e| format!("cannot listen on {inner}: {e}"))?;
        let backend = server.server_addr().to_ip().ok_or("not an IP listener")?;
        let stats = Arc::new(Stats::default());
        let tls_stop = Arc::new(tokio::sync::Notify::new());
        let (tls, addr) = match tls_config {
            None => (None, backend),
            Some(config) => {
                let parts = FrontParts {
                    backend,
                    config,
                    stats: Arc::clone(&stats),
                    stop: Arc::clone(&tls_stop),
                    verbose: opts.verbose,
                };
                let (front, addr) = TlsFront::start(&opts.listen, parts)?;
                (Some(front), addr)
            }
        };
        let shared = Arc::new(Shared {
            initial: store.clone(),
            store: Mutex::new(store),
            changed: Condvar::new(),
            mode: Mutex::new(Mode::default()),
            counts: Mutex::new(BTreeMap::new()),
            token: opts.token,
            acl_tokens: opts.acl_tokens,
            version: opts.nomad_version.unwrap_or_default(),
            ui: opts.ui,
            verbose: opts.verbose,
            extra_headers: opts.headers,
            shutdown: AtomicBool::new(false),
            resets: AtomicU64::new(0),
            stats,
            tls: tls.is_some(),
            tls_stop,
            server: Arc::new(server),
        });
        let s = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("nomad-double-accept".into())
            .spawn(move || accept_loop(s))
            .map_err(|e| e.to_string())?;
        Ok(DoubleServer { addr, shared, thread: Some(thread), tls })
    }

    /// The address clients connect to (in TLS mode the TLS port).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`, or `https://127.0.0.1:PORT` in TLS mode.
    pub fn url(&self) -> String {
        let scheme = if self.shared.tls { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }

    /// Whether it serves HTTPS.
    pub fn is_tls(&self) -> bool {
        self.shared.tls
    }

    /// Stop accepting and release blocked queries.
    pub fn shutdown(&self) {
        self.shared.request_shutdown();
    }

    /// Block until the server stops (`POST /_double/shutdown`, or `shutdown()`).
    pub fn wait(mut self) {
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for DoubleServer {
    fn drop(&mut self) {
        self.shared.request_shutdown();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        self.tls.take();
    }
}

fn accept_loop(shared: Arc<Shared>) {
    loop {
        if shared.shutdown.load(Ordering::SeqCst) {
            break;
        }
        let Ok(req) = shared.server.recv() else { continue };
        let s = Arc::clone(&shared);
        let spawned =
            std::thread::Builder::new().name("nomad-double-request".into()).spawn(move || handle(&s, req));
        if spawned.is_err() {
            // Out of threads: nothing sensible to do but drop the request.
            continue;
        }
    }
}

fn handle(shared: &Shared, mut req: tiny_http::Request) {
    let method = req.method().as_str().to_owned();
    let url = req.url().to_owned();
    let (path, qs) = url.split_once('?').unwrap_or((&url, ""));
    let q = Query::parse(qs);
    // In flight until this function returns: the answer written, or the stream ended.
    let is_v1 = path.starts_with("/v1/") || path == "/v1";
    let _in_flight = is_v1.then(|| shared.stats.request());
    let reply = if path == "/_double" || path.starts_with("/_double/") {
        let mut body = Vec::new();
        let _ = req.as_reader().read_to_end(&mut body);
        control::handle(shared, &method, path, &q, &body)
    } else if path == "/ui" || path.starts_with("/ui/") {
        ui::handle(shared, &method, path)
    } else {
        *shared.counts().entry(format!("{method} {path}")).or_insert(0) += 1;
        if is_v1 {
            let (delay, forced) = {
                let m = shared.mode();
                (m.delay_ms, m.status.map(|s| (s, m.body.clone())))
            };
            if delay > 0 {
                std::thread::sleep(Duration::from_millis(delay));
            }
            let access = shared.access(req.headers());
            // The agent checks the method and its own parameters, then the RPC authenticates
            // (`command/agent/event_endpoint.go`, `nomad/event_endpoint.go`): a bad or
            // missing token reaches `events::serve`, which refuses it the version's way.
            if path == "/v1/event/stream" && forced.is_none() && method == "GET" {
                match events::check(&q) {
                    Ok(()) => return events::serve(shared, req, &q, access),
                    Err(msg) => {
                        let mut reply = Reply::text(400, &msg).nomad_meta(shared.current_index());
                        reply.headers.extend(shared.extra_headers.iter().cloned());
                        return respond(shared, req, reply);
                    }
                }
            }
            let mut reply = match forced {
                Some((status, body)) => Reply::text(status, &body).nomad_meta(shared.current_index()),
                None => api::handle(shared, &method, path, &q, &access),
            };
            // Like Nomad's `http_api_response_headers`: on every /v1 answer, errors too.
            reply.headers.extend(shared.extra_headers.iter().cloned());
            reply
        } else if path == "/" && shared.ui.is_some() {
            Reply::text(307, "").header("Location", "/ui/")
        } else {
            Reply::text(404, "404 page not found")
        }
    };
    if shared.verbose {
        // The URL carries no secret (Nomad takes tokens from headers only); headers are not logged.
        eprintln!("nomad-double: {method} {url} -> {}", reply.status);
    }
    respond(shared, req, reply);
}

/// Write one `Reply`.
pub(crate) fn respond(_shared: &Shared, req: tiny_http::Request, reply: Reply) {
    // Nomad's agent serves its whole mux through gorilla's CompressHandler, then Go's
    // net/http frames the body (src/compress.rs). The control API is not Nomad's.
    let path = req.url().split('?').next().unwrap_or("");
    let compressible = !(path == "/_double" || path.starts_with("/_double/"));
    let resp: Response<_> = crate::compress::response(reply, req.headers(), compressible);
    let _ = req.respond(resp);
}
