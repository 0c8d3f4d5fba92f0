//! # nomad-double: a test double of HashiCorp Nomad's HTTP API
//!
//! **This is not Nomad.** It is a small HTTP server that imitates the parts of Nomad's
//! HTTP API that allocscope reads, so that allocscope's tests can run without a Nomad
//! agent. It serves a snapshot folder (allocscope's layout, `DIR/v1/allocation/<id>`) on
//!
//! - `GET /v1/allocations` (stubs; `namespace`, `prefix`, `per_page`, `next_token`,
//!   `filter` (a tiny subset of go-bexpr), `reverse`, `resources`, `task_states`),
//! - `GET /v1/allocation/:id`,
//! - `GET /v1/job/:id/allocations`,
//! - `GET /v1/node/:id/allocations`,
//! - `GET /v1/event/stream` (the Allocation topic: `topic`, `index`, `namespace`; frames
//!   from a bounded event buffer with Nomad's start-at-closest rule, `{}` at once and every
//!   30 s, errors and framing as the chosen `--nomad-version` writes them),
//!
//! with Nomad's blocking queries (`index`, `wait`), headers (`X-Nomad-Index`,
//! `X-Nomad-KnownLeader`, `X-Nomad-LastContact`, `X-Nomad-NextToken`), plain-text errors
//! and status codes, and token checks (`X-Nomad-Token`, `Authorization: Bearer`), as
//! read from Nomad's source and described in docs/nomad-live.md.
//!
//! A control API under `/_double/` (clearly not Nomad's) lets a test count requests (and
//! those in flight, and TLS connections), append task events, fail or replace allocations
//! (each raises the index and wakes blocked queries) and force errors or delays. See the
//! crate's README.md.
//!
//! With [`Options::tls_cert`] and [`Options::tls_key`] it serves HTTPS only, as an agent with
//! `tls { http = true }`, and with [`Options::tls_client_ca`] it demands client certificates,
//! as `verify_https_client = true` (docs/nomad-live.md §6). [`certs::generate`] makes a CA
//! and Nomad's server, client and CLI certificates for tests.
//!
//! ```no_run
//! use nomad_double::{DoubleServer, Options};
//! let server = DoubleServer::start(Options::new("www/demo", "127.0.0.1:0")).unwrap();
//! println!("{}", server.url()); // http://127.0.0.1:PORT
//! ```

mod api;
pub mod certs;
mod compress;
mod control;
mod events;
pub mod query;
mod server;
mod stats;
pub mod store;
mod tls;
mod ui;

pub use server::DoubleServer;
pub use store::Store;
pub use tls::PLAIN_HTTP_ANSWER;

use std::path::PathBuf;

/// How to run the double (the binary's flags).
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// The snapshot folder: `DIR/v1/allocation/<id>` files of full allocations.
    pub snapshot: PathBuf,
    /// `HOST:PORT`; port 0 picks a free one.
    pub listen: String,
    /// When set, `/v1` requests need this token (`X-Nomad-Token` or `Authorization: Bearer`).
    pub token: Option<String>,
    /// A static directory served under `/ui/`.
    pub ui: Option<PathBuf>,
    /// The starting index; default: the largest `ModifyIndex` in the snapshot.
    pub index: Option<u64>,
    /// Log one line per request to stderr.
    pub verbose: bool,
    /// Extra headers on every `/v1` answer, like Nomad's `http_api_response_headers`.
    pub headers: Vec<(String, String)>,
    /// Items the event buffer keeps for new subscriptions (`event_buffer_size`); default 100.
    pub event_buffer: Option<usize>,
    /// Which Nomad's behaviour to show where versions differ; default 2.0.
    pub nomad_version: Option<NomadVersion>,
    /// Tokens with read-job in some namespaces only: `(secret, namespaces)`.
    pub acl_tokens: Vec<(String, Vec<String>)>,
    /// TLS mode (both or neither): serve HTTPS only with this PEM certificate (chain) and
    /// key, like an agent with `tls { http = true }`. RSA or ECDSA keys, as Nomad takes.
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    /// With TLS: require a client certificate that chains to this PEM CA, like
    /// `verify_https_client = true` (Go's `tls.RequireAndVerifyClientCert`).
    pub tls_client_ca: Option<PathBuf>,
}

/// The Nomad version the double imitates where versions differ (docs/nomad-live.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct NomadVersion {
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
}

impl Default for NomadVersion {
    fn default() -> Self {
        NomadVersion { major: 2, minor: 0, patch: 5 }
    }
}

impl NomadVersion {
    /// `1.10`, `1.11.2`, `2.0`, `v2.0.5`.
    pub fn parse(s: &str) -> Option<NomadVersion> {
        let mut it = s.trim().trim_start_matches('v').split('.');
        let major = it.next()?.parse().ok()?;
        let minor = it.next().unwrap_or("0").parse().ok()?;
        let patch = it.next().unwrap_or("0").parse().ok()?;
        it.next().is_none().then_some(NomadVersion { major, minor, patch })
    }

    /// From 1.11.2 the agent hijacks the event stream's connection and writes `200 OK`
    /// before the RPC can refuse (`command/agent/event_endpoint.go`, v1.11.2 and v2.0.5).
    pub fn hijacks_event_stream(&self) -> bool {
        *self >= NomadVersion { major: 1, minor: 11, patch: 2 }
    }
}

impl Options {
    pub fn new(snapshot: impl Into<PathBuf>, listen: &str) -> Options {
        Options { snapshot: snapshot.into(), listen: listen.to_owned(), ..Default::default() }
    }
}
