//! Load-test statistics for `GET /_double/stats` (not Nomad's): `/v1` requests being
//! answered. A held blocking query and an open event stream are in flight until their
//! answer is written (or the stream ends).

use serde_json::{json, Value};
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Debug, Default)]
pub(crate) struct Stats {
    in_flight: AtomicU64,
    peak_in_flight: AtomicU64,
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

    /// Peaks back to the current values.
    pub fn reset(&self) {
        self.peak_in_flight.store(self.in_flight.load(Ordering::SeqCst), Ordering::SeqCst);
    }

    /// The JSON of `GET /_double/stats`.
    pub fn json(&self) -> Value {
        let load = |a: &AtomicU64| a.load(Ordering::SeqCst);
        json!({
            "in_flight": load(&self.in_flight),
            "peak_in_flight": load(&self.peak_in_flight),
        })
    }
}
