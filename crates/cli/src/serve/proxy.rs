//! Requests under `/v1/`: forwarded to Nomad with the injected token, region and namespace
//! where the browser's request carries none, identical GETs sharing one upstream request
//! (`flight.rs`), and every answer streamed back chunk by chunk (blocking queries hold a
//! request for minutes; `/v1/event/stream` never ends).

use super::flight::{Chunk, Flight, Head, Key, Share, Subscription};
use super::{ServeBody, State};
use crate::nomad::{Upstream, TOKEN_HEADER};
use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::{Body, Frame};
use hyper::header::{HeaderName, HeaderValue};
use hyper::{HeaderMap, Method, Request, Response};
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::sync::{broadcast, mpsc};

/// Blocking queries wait up to 10 minutes (Nomad caps `wait` there) plus jitter before
/// Nomad answers.
const HEAD_TIMEOUT: Duration = Duration::from_secs(11 * 60);
/// Headers of Nomad's answer that the app reads and that are passed back unchanged.
const PASSED_BACK: &[&str] = &[
    "content-type",
    "content-length",
    "content-encoding",
    "x-nomad-index",
    "x-nomad-knownleader",
    "x-nomad-lastcontact",
    "x-nomad-nexttoken",
    "location",
];
/// How long a refused browser should wait before asking again.
pub const RETRY_AFTER_S: u32 = 3;

pub fn text(status: u16, body: String) -> Response<ServeBody> {
    Response::builder()
        .status(status)
        .header("Content-Type", "text/plain; charset=utf-8")
        .header("Cache-Control", "no-store")
        .body(full(Bytes::from(body)))
        .expect("valid response")
}

pub fn full(b: Bytes) -> ServeBody {
    http_body_util::Full::new(b).map_err(|never| match never {}).boxed()
}

/// The request's path and query with `region` and `namespace` added where missing, as
/// Nomad's API client adds its configured ones (`newRequest` in `api/api.go`).
pub fn with_defaults(path_query: &str, region: Option<&str>, namespace: Option<&str>) -> String {
    let query = path_query.split_once('?').map(|(_, q)| q).unwrap_or("");
    let has = |k: &str| query.split('&').any(|p| p.split('=').next() == Some(k));
    let mut out = path_query.to_owned();
    for (k, v) in [("region", region), ("namespace", namespace)] {
        if let Some(v) = v.filter(|v| !v.is_empty()) {
            if !has(k) {
                out = allocscope_model::paths::with_params(&out, &[(k, v)]);
            }
        }
    }
    out
}

/// A GET or HEAD under `/v1/` (the caller answers other methods).
pub async fn handle(state: &State, rq: Request<hyper::body::Incoming>) -> Response<ServeBody> {
    let conn = &state.upstream.conn;
    let raw = rq.uri().path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let path_query = with_defaults(raw, conn.region.as_deref(), state.namespace.as_deref());
    // The browser's credentials go as they came (X-Nomad-Token, or Authorization: Bearer,
    // which Nomad also reads); only a request with neither gets the injected token.
    let mut headers = HeaderMap::new();
    for name in ["x-nomad-token", "authorization"] {
        if let Some(v) = rq.headers().get(name).filter(|v| !v.as_bytes().trim_ascii().is_empty()) {
            headers.insert(name, v.clone());
        }
    }
    if headers.is_empty() {
        if let Some(v) = conn.token.as_ref().and_then(|t| HeaderValue::from_str(&t.secret).ok()) {
            headers.insert(TOKEN_HEADER, v);
        }
    }
    // Nomad compresses what the browser accepts (docs/nomad-live.md §2), which matters for a
    // large list over a VPN.
    for name in ["accept", "accept-encoding"] {
        if let Some(v) = rq.headers().get(name) {
            headers.insert(name, v.clone());
        }
    }
    let head = *rq.method() == Method::HEAD;
    // Two requests are the same when everything sent upstream is.
    let mut sent: Vec<(String, Vec<u8>)> =
        headers.iter().map(|(k, v)| (k.as_str().to_owned(), v.as_bytes().to_vec())).collect();
    sent.sort();
    let key = Key { path_query: format!("{}{path_query}", if head { "HEAD " } else { "" }), headers: sent };
    let sub = match state.flights.join_or_start(&key) {
        Share::Joined(s) => s,
        Share::Started(s, permit) => {
            let flights = Arc::clone(&state.flights);
            let upstream = Arc::clone(&state.upstream);
            let flight = Arc::clone(&s.flight);
            let method = if head { Method::HEAD } else { Method::GET };
            tokio::spawn(async move {
                // In a task of its own, so that even a panic in it ends the flight with an
                // answer instead of leaving joiners waiting for a head that never comes.
                let leader = tokio::spawn({
                    let flight = Arc::clone(&flight);
                    async move { lead(&upstream, &flight, method, &path_query, headers).await }
                });
                if leader.await.is_err() {
                    flight.fail_if_headless(
                        "allocscope serve: the request to Nomad failed unexpectedly; try again",
                    );
                    flight.push(Err(Arc::from("the request to Nomad failed unexpectedly")));
                }
                flights.finish(&key, &flight);
                drop(permit);
            });
            s
        }
        Share::Refused => {
            let mut r = text(
                503,
                format!(
                    "allocscope serve: {} requests to Nomad are already open (the --max-upstream limit, below Nomad's 100 connections per client address). Try again in a few seconds.",
                    state.flights.max
                ),
            );
            r.headers_mut().insert("Retry-After", HeaderValue::from(RETRY_AFTER_S));
            return r;
        }
    };
    respond(sub, head).await
}

/// The upstream side of one flight: send, publish the head, then every chunk, until the
/// answer ends or no browser waits for it any more.
async fn lead(upstream: &Upstream, flight: &Flight, method: Method, path_query: &str, headers: HeaderMap) {
    let send = upstream.send(method, path_query, headers, HEAD_TIMEOUT);
    tokio::pin!(send);
    let answer = loop {
        tokio::select! {
            a = &mut send => break a,
            _ = flight.idle.notified() => if flight.abandon_if_unwatched() { return },
        }
    };
    let answer = match answer {
        Ok(a) => a,
        Err(e) => {
            flight.set_head(Head::Failed { status: e.status(), text: format!("allocscope serve: {e}") });
            return;
        }
    };
    let mut passed = Vec::new();
    for name in PASSED_BACK {
        for v in answer.headers().get_all(*name) {
            passed.push((HeaderName::from_static(name), v.clone()));
        }
    }
    flight.set_head(Head::Answer { status: answer.status().as_u16(), headers: passed });
    let mut body = answer.into_body();
    loop {
        tokio::select! {
            frame = body.frame() => match frame {
                None => return,
                Some(Ok(f)) => {
                    if let Ok(data) = f.into_data() {
                        // Backpressure: the slowest browser paces the upstream read (Nomad
                        // then holds the rest, as it would for that browser alone).
                        while flight.must_wait() {
                            tokio::time::sleep(Duration::from_millis(5)).await;
                            if flight.abandon_if_unwatched() {
                                return;
                            }
                        }
                        flight.push(Ok(data));
                    }
                }
                Some(Err(e)) => {
                    flight.push(Err(Arc::from(format!("the answer from Nomad was cut short: {}", upstream.map_hyper(&e)))));
                    return;
                }
            },
            _ = flight.idle.notified() => if flight.abandon_if_unwatched() { return },
        }
    }
}

/// One browser's answer from its share of a flight.
async fn respond(sub: Subscription, head: bool) -> Response<ServeBody> {
    let h = sub.head().await;
    let (status, headers) = match &*h {
        Head::Failed { status, text: t } => return text(*status, t.clone()),
        Head::Answer { status, headers } => (*status, headers.clone()),
    };
    let mut r = Response::builder().status(status);
    for (k, v) in headers {
        r = r.header(k, v);
    }
    r = r.header("Cache-Control", "no-store");
    let body = if head || matches!(status, 204 | 304) { full(Bytes::new()) } else { relay(sub) };
    r.body(body).expect("valid response")
}

/// The body fed from the flight: what was sent before this browser joined, then the rest as
/// it arrives. The relay stops (and leaves the flight) as soon as the browser goes away.
fn relay(mut sub: Subscription) -> ServeBody {
    let (tx, rx) = mpsc::channel::<Result<Bytes, io::Error>>(8);
    tokio::spawn(async move {
        for b in std::mem::take(&mut sub.prefix) {
            if tx.send(Ok(b)).await.is_err() {
                return;
            }
        }
        loop {
            let next: Chunk = tokio::select! {
                r = sub.rx.recv() => match r {
                    Ok(c) => c,
                    Err(broadcast::error::RecvError::Closed) => return,
                    Err(broadcast::error::RecvError::Lagged(_)) => Err(Arc::from("this browser fell behind the stream from Nomad")),
                },
                _ = tx.closed() => return,
            };
            let failed = next.is_err();
            if tx.send(next.map_err(|e| io::Error::other(e.to_string()))).await.is_err() || failed {
                return;
            }
        }
    });
    BodyExt::boxed(ChannelBody { rx })
}

struct ChannelBody {
    rx: mpsc::Receiver<Result<Bytes, io::Error>>,
}

impl Body for ChannelBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        self.rx.poll_recv(cx).map(|o| o.map(|r| r.map(Frame::data)))
    }
}

#[cfg(test)]
mod tests {
    use super::with_defaults;

    #[test]
    fn region_and_namespace_are_added_only_where_missing() {
        assert_eq!(with_defaults("/v1/allocations", Some("eu"), None), "/v1/allocations?region=eu");
        assert_eq!(
            with_defaults("/v1/allocations?namespace=*", Some("eu"), Some("web")),
            "/v1/allocations?namespace=*&region=eu"
        );
        assert_eq!(with_defaults("/v1/allocations?region=us", Some("eu"), None), "/v1/allocations?region=us");
        assert_eq!(with_defaults("/v1/x?regionx=1", Some("eu"), None), "/v1/x?regionx=1&region=eu");
    }
}
