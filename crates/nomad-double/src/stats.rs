//! Load-test statistics for `GET /_double/stats` (not Nomad's): `/v1` requests being
//! answered, and in TLS mode the connections on the TLS port.
//!
//! A held blocking query and an open event stream are in flight until their answer is
//! written (or the stream ends). Connections are counted from accept to close, handshakes
//! included, as Nomad's agent counts them for its `nomad.agent.http.connections` gauge
//! (`makeConnState`, `command/agent/http.go`, v2.0.5: `StateNew` adds one, `StateClosed`
//! takes it away).

use serde_json::{json, Value};
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Debug, Default)]
pub(crate) struct Stats {
    in_flight: AtomicU64,
    peak_in_flight: AtomicU64,
    open_connections: AtomicU64,
    peak_connections: AtomicU64,
    connections_total: AtomicU64,
    handshakes_failed: AtomicU64,
    plain_http_refused: AtomicU64,
}

/// Counts one in a gauge while it lives.
pub(crate) struct Held<'a> {
    gauge: &'a AtomicU64,
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        self.gauge.fetch_sub(1, Ordering::SeqCst);
    }
}

fn enter<'a>(gauge: &'a AtomicU64, peak: &AtomicU64) -> Held<'a> {
    let now = gauge.fetch_add(1, Ordering::SeqCst) + 1;
    peak.fetch_max(now, Ordering::SeqCst);
    Held { gauge }
}

impl Stats {
    /// A `/v1` request is being answered until the guard drops.
    pub fn request(&self) -> Held<'_> {
        enter(&self.in_flight, &self.peak_in_flight)
    }

    /// A TCP connection was accepted on the TLS port; it is open until the guard drops.
    pub fn connection(&self) -> Held<'_> {
        self.connections_total.fetch_add(1, Ordering::SeqCst);
        enter(&self.open_connections, &self.peak_connections)
    }

    pub fn handshake_failed(&self) {
        self.handshakes_failed.fetch_add(1, Ordering::SeqCst);
    }

    pub fn plain_http_refused(&self) {
        self.plain_http_refused.fetch_add(1, Ordering::SeqCst);
    }

    /// Peaks back to the current values, totals to 0.
    pub fn reset(&self) {
        let load = |a: &AtomicU64| a.load(Ordering::SeqCst);
        self.peak_in_flight.store(load(&self.in_flight), Ordering::SeqCst);
        self.peak_connections.store(load(&self.open_connections), Ordering::SeqCst);
        self.connections_total.store(0, Ordering::SeqCst);
        self.handshakes_failed.store(0, Ordering::SeqCst);
        self.plain_http_refused.store(0, Ordering::SeqCst);
    }

    /// The JSON of `GET /_double/stats`; the connection fields only in TLS mode.
    pub fn json(&self, tls: bool) -> Value {
        let load = |a: &AtomicU64| a.load(Ordering::SeqCst);
        let mut v = json!({
            "in_flight": load(&self.in_flight),
            "peak_in_flight": load(&self.peak_in_flight),
        });
        if tls {
            v["open_connections"] = json!(load(&self.open_connections));
            v["peak_connections"] = json!(load(&self.peak_connections));
            v["connections_total"] = json!(load(&self.connections_total));
            v["handshakes_failed"] = json!(load(&self.handshakes_failed));
            v["plain_http_refused"] = json!(load(&self.plain_http_refused));
        }
        v
    }
}
