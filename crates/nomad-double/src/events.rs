//! `GET /v1/event/stream`, Allocation topic, as Nomad serves it (docs/nomad-live.md §3).
//! Frames come from the store's bounded event buffer, one frame per raft
//! index (`{"Events": [...], "Index": N}`), never rebuilt from the current allocations, so
//! a subscription that starts behind the buffer loses events silently, as on a real agent.
//! A hijacked (1.11.2+) stream that ends is left open and silent, as Nomad leaves it (its
//! close only marks the writer closed); tiny_http could not close it anyway.
//!
//! What each part mirrors:
//! - parsing `index` and `topic`, the 400s, and the response's framing:
//!   `command/agent/event_endpoint.go` (v1.10.5: the agent's own `ResponseWriter`, flushed
//!   per frame, so gzip'd when the client asks; v1.11.2 and v2.0.5: the connection is
//!   hijacked, `200 OK` is written with `Connection: close` and no `Content-Encoding`, and
//!   the body runs until the connection closes);
//! - authentication and `namespace=*` needing read-job in every namespace:
//!   `nomad/event_endpoint.go` (`validateACL`, v1.10.5 and v2.0.5). Before 1.11.2 a refusal
//!   is an HTTP 403; from 1.11.2 the 200 is already written, so the client sees 200 and
//!   then nothing, not even `{}` (the connection is not closed);
//! - where a subscription starts (`Store::start_at_closest`): `nomad/stream/event_broker.go`
//!   and `event_buffer.go`, v2.0.5;
//! - `{}` first, at once, then every 30 s: `nomad/stream/ndjson.go` (`NewJsonStream` puts
//!   the first heartbeat on the channel before anything else) and `nomad/event_endpoint.go`.

use crate::compress::{self, Compressed};
use crate::query::Query;
use crate::server::{Access, Shared};
use crate::store::Store;
use serde_json::{json, Value};
use std::io::Write;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// Nomad's heartbeat period (`nomad/event_endpoint.go`, `NewJsonStream(ctx, 30*time.Second)`).
const HEARTBEAT: Duration = Duration::from_secs(30);
/// How long a refused stream of Nomad 1.11.2+ is held open and silent.
const REFUSED_HOLD: Duration = Duration::from_secs(120);

/// Which events a stream sends: `topic=Allocation` (all) or `topic=Allocation:<key>` (the
/// events whose `Key` or one of whose `FilterKeys` is `<key>`: an allocation, job or
/// deployment ID), in `namespace` (`nomad/stream/subscription.go`, `filter`).
struct Filter {
    /// `None`: every key.
    keys: Vec<Option<String>>,
    namespaces: Namespaces,
}

enum Namespaces {
    All,
    Only(Vec<String>),
}

/// `parseTopic`, `command/agent/event_endpoint.go` (v2.0.5): `Topic` or `Topic:Key`; a value
/// with more than one `:` is refused.
fn parse_topics(q: &Query) -> Result<Vec<(String, String)>, String> {
    let raw = q.all("topic");
    if raw.is_empty() {
        return Ok(vec![("*".into(), "*".into())]);
    }
    raw.iter()
        .map(|t| {
            let parts: Vec<&str> = t.split(':').collect();
            match parts.as_slice() {
                [topic] => Ok(((*topic).to_owned(), "*".to_owned())),
                [topic, key] => Ok(((*topic).to_owned(), (*key).to_owned())),
                _ => Err(format!(
                    "Invalid topic query: error parsing topics: Invalid key value pair for topic, topic: {t}"
                )),
            }
        })
        .collect()
}

/// Checked before anything is written (both framings): a 400 with Nomad's text.
pub(crate) fn check(q: &Query) -> Result<(), String> {
    if let Some(s) = q.get("index").filter(|s| !s.is_empty()) {
        // Go's strconv.Atoi error text.
        s.parse::<i64>()
            .map_err(|_| format!("Unable to parse index: strconv.Atoi: parsing {s:?}: invalid syntax"))?;
    }
    parse_topics(q).map(|_| ())
}

impl Filter {
    fn new(q: &Query) -> Filter {
        let mut keys = Vec::new();
        for (topic, key) in parse_topics(q).unwrap_or_default() {
            if topic == "Allocation" || topic == "*" {
                keys.push((key != "*").then_some(key));
            }
            // Other topics are valid for Nomad; the double has no such events.
        }
        let namespaces = match q.get("namespace").unwrap_or("default") {
            "*" => Namespaces::All,
            ns => Namespaces::Only(vec![ns.to_owned()]),
        };
        Filter { keys, namespaces }
    }

    fn wants(&self, event: &Value) -> bool {
        let ns = event["Namespace"].as_str().unwrap_or("default");
        let ns_ok = match &self.namespaces {
            Namespaces::All => true,
            Namespaces::Only(list) => list.iter().any(|n| n == ns),
        };
        let key = event["Key"].as_str().unwrap_or("");
        let filter_keys: Vec<&str> = event["FilterKeys"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        ns_ok
            && event["Topic"] == "Allocation"
            && self.keys.iter().any(|k| match k {
                None => true,
                Some(k) => k == key || filter_keys.iter().any(|f| !f.is_empty() && f == k),
            })
    }
}

/// Whether `access` may subscribe: read-job in the namespace asked, or in every namespace
/// for `*` (`validateACL`).
fn permitted(shared: &Shared, access: &Access, q: &Query) -> bool {
    let asked = q.get("namespace").unwrap_or("default");
    match access {
        Access::Denied => false,
        Access::All => true,
        Access::Namespaces(allowed) => {
            let needed = if asked == "*" { shared.namespaces() } else { vec![asked.to_owned()] };
            needed.iter().all(|ns| allowed.contains(ns))
        }
    }
}

/// Answer the request until the client goes, the double stops or is told to fail.
pub(crate) fn serve(shared: &Shared, req: tiny_http::Request, q: &Query, access: Access) {
    let hijacks = shared.version.hijacks_event_stream();
    if !permitted(shared, &access, q) {
        if hijacks {
            // 200 is on the wire before the RPC refuses, and the refusal cannot be written.
            // Nor is the connection closed: the handler's close only marks its flushing
            // writer closed (docs/nomad-live.md §3, "How errors reach the HTTP client"), so the client sees
            // a 200 and then nothing. The double holds it silent until it is reset or
            // stops, or for `REFUSED_HOLD` (Go would close it when the connection is
            // garbage-collected, at no set time).
            let mut out = req.into_writer();
            let _ = out.write_all(head(shared, None, true).as_bytes()).and_then(|_| out.flush());
            let resets = shared.resets.load(Ordering::SeqCst);
            let until = Instant::now() + REFUSED_HOLD;
            while Instant::now() < until
                && !shared.shutdown.load(Ordering::SeqCst)
                && shared.resets.load(Ordering::SeqCst) == resets
            {
                drop(shared.wait_for(u64::MAX, Duration::from_secs(1), |_| 0));
            }
        } else {
            // Errors carry no X-Nomad-* headers: `setMeta` runs only after a successful call.
            let mut reply = crate::server::Reply::text(403, "Permission denied");
            reply.headers.extend(shared.extra_headers.iter().cloned());
            crate::server::respond(shared, req, reply);
        }
        return;
    }
    let encoding = if hijacks { None } else { compress::for_request(req.headers()) };
    let filter = Filter::new(q);
    let index: u64 = q.get("index").and_then(|s| s.parse::<i64>().ok()).unwrap_or(0).max(0) as u64;
    let mut raw = req.into_writer();
    if raw
        .write_all(head(shared, encoding.map(|e| e.name()), hijacks).as_bytes())
        .and_then(|_| raw.flush())
        .is_err()
    {
        return;
    }
    let mut body = Body::new(raw, hijacks, encoding);
    // The first heartbeat goes out before any event (`NewJsonStream`).
    if !body.send(b"{}\n") {
        return;
    }
    let mut last_sent = Instant::now();
    // The position in the buffer of the next item to send, tracked by raft index so that
    // evictions at the front do not shift it.
    let mut next_index = shared.read(|s| s.start_at_closest(index));
    let resets = shared.resets.load(Ordering::SeqCst);
    loop {
        let frames: Vec<String> = {
            let wait = HEARTBEAT.saturating_sub(last_sent.elapsed());
            let store = shared.wait_for(next_index.saturating_sub(1).max(1), wait, Store::newest_item);
            if shared.shutdown.load(Ordering::SeqCst) || shared.resets.load(Ordering::SeqCst) != resets {
                break;
            }
            let mut frames = Vec::new();
            for item in store.items_from(next_index) {
                let events: Vec<&Value> = item.events.iter().filter(|e| filter.wants(e)).collect();
                if !events.is_empty() {
                    frames.push(json!({"Events": events, "Index": item.index}).to_string());
                }
                next_index = item.index + 1;
            }
            frames
        };
        // A failing agent (the control API's forced status) ends its streams, as Nomad's do
        // when it loses its leader; the client's next request then meets the failure.
        if shared.mode().status.is_some() {
            break;
        }
        let mut ok = true;
        for f in &frames {
            ok = ok && body.send(format!("{f}\n").as_bytes());
        }
        if frames.is_empty() && last_sent.elapsed() >= HEARTBEAT {
            ok = body.send(b"{}\n");
        } else if frames.is_empty() {
            continue;
        }
        if !ok {
            break; // the client went away
        }
        last_sent = Instant::now();
    }
    body.finish();
}

/// The status line and headers. Nomad's `http_api_response_headers` are on both framings
/// (v1.11.2+ merges them into the hijacked response explicitly).
fn head(shared: &Shared, encoding: Option<&str>, hijacks: bool) -> String {
    // 1.11.2 wrote the hijacked response without a protocol version (`HTTP/0.0`), which
    // clients refuse; 1.11.3 and 2.0.0 write the request's (docs/nomad-live.md).
    let v = shared.version;
    let proto = if (v.major, v.minor, v.patch) == (1, 11, 2) { "HTTP/0.0" } else { "HTTP/1.1" };
    let mut h = format!("{proto} 200 OK\r\nContent-Type: application/json\r\nCache-Control: no-cache\r\n");
    // The compression handler adds `Vary` before the endpoint runs, and the hijacked response
    // is built from a clone of those headers.
    h.push_str("Vary: Accept-Encoding\r\n");
    if hijacks {
        h.push_str("Connection: close\r\n");
    } else {
        h.push_str("Transfer-Encoding: chunked\r\n");
        if let Some(e) = encoding {
            h.push_str(&format!("Content-Encoding: {e}\r\n"));
        }
    }
    for (k, v) in &shared.extra_headers {
        h.push_str(&format!("{k}: {v}\r\n"));
    }
    h.push_str("\r\n");
    h
}

/// The body's framing: chunked (and maybe compressed, flushed per frame) before 1.11.2, raw
/// bytes until close after.
struct Body {
    out: Option<Compressed<Chunked>>,
}

/// HTTP/1.1 chunked framing over the raw socket, or the bytes as they are.
struct Chunked {
    out: Box<dyn Write + Send>,
    chunked: bool,
}

impl Write for Chunked {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        if self.chunked {
            write!(self.out, "{:x}\r\n", buf.len())?;
            self.out.write_all(buf)?;
            self.out.write_all(b"\r\n")?;
        } else {
            self.out.write_all(buf)?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

impl Body {
    fn new(out: Box<dyn Write + Send>, hijacked: bool, encoding: Option<compress::Encoding>) -> Body {
        Body { out: Some(Compressed::new(Chunked { out, chunked: !hijacked }, encoding)) }
    }

    /// Write and flush one frame; false when the client has gone.
    fn send(&mut self, bytes: &[u8]) -> bool {
        match self.out.as_mut() {
            Some(w) => w.write_all(bytes).and_then(|_| w.flush()).is_ok(),
            None => false,
        }
    }

    fn finish(&mut self) {
        if let Some(w) = self.out.take() {
            if let Ok(mut inner) = w.finish() {
                if inner.chunked {
                    let _ = inner.out.write_all(b"0\r\n\r\n");
                }
                let _ = inner.out.flush();
            }
        }
    }
}
