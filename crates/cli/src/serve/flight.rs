//! Identical requests to Nomad share one upstream connection.
//!
//! Every browser view holds a request open (a blocking query or an event stream), and Nomad
//! allows 100 concurrent connections per client address (`limits.http_max_conns_per_client`),
//! all of which come from this one process. So a GET that is already in flight with the same
//! path, query, token, Accept and Accept-Encoding headers is joined instead of sent again: the joiner gets the
//! answer's head and every body chunk from the first (the chunks so far are kept while they
//! fit in `PREFIX_CAP`), and the upstream request ends when its answer ends or when the last
//! browser waiting on it leaves. A new request beyond `max` open upstream requests is refused
//! with 503 and `Retry-After`, which the app retries (`ReadFailure::Busy` in the model).
//!
//! For one key the answer is the same for every joiner: a blocking query's answer depends
//! only on its index, and an event stream from an index replays the same events.

use bytes::Bytes;
use hyper::header::{HeaderName, HeaderValue};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::{broadcast, watch, Notify, OwnedSemaphorePermit, Semaphore};

/// Body bytes kept for late joiners; past this a flight takes no new joiners (a new identical
/// request starts its own), and what was kept is released.
pub const PREFIX_CAP: usize = 8 * 1024 * 1024;
/// Chunks the slowest browser may fall behind; past `LAG_CHUNKS - LAG_HEADROOM` the upstream
/// side waits for it (`must_wait`), so memory stays bounded and nobody is cut off.
const LAG_CHUNKS: usize = 64;
const LAG_HEADROOM: usize = 4;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Key {
    pub path_query: String,
    /// Every header sent upstream (credentials, Accept, Accept-Encoding), sorted.
    pub headers: Vec<(String, Vec<u8>)>,
}

/// How the upstream request began.
pub enum Head {
    Answer { status: u16, headers: Vec<(HeaderName, HeaderValue)> },
    Failed { status: u16, text: String },
}

pub type Chunk = Result<Bytes, Arc<str>>;

pub struct Flight {
    head_tx: watch::Sender<Option<Arc<Head>>>,
    state: Mutex<State>,
    /// Signalled when the last watcher leaves.
    pub idle: Notify,
}

struct State {
    /// The body so far, while late joiners are taken.
    prefix: Vec<Bytes>,
    prefix_bytes: usize,
    joinable: bool,
    tx: Option<broadcast::Sender<Chunk>>,
    watchers: usize,
}

/// One browser request's share of a flight.
pub struct Subscription {
    pub flight: Arc<Flight>,
    pub prefix: Vec<Bytes>,
    pub rx: broadcast::Receiver<Chunk>,
}

impl Drop for Subscription {
    fn drop(&mut self) {
        let mut st = self.flight.state.lock().unwrap();
        st.watchers -= 1;
        if st.watchers == 0 {
            self.flight.idle.notify_one();
        }
    }
}

impl Subscription {
    pub async fn head(&self) -> Arc<Head> {
        let mut rx = self.flight.head_tx.subscribe();
        let got = rx.wait_for(Option::is_some).await;
        match got {
            Ok(h) => Arc::clone(h.as_ref().expect("waited for Some")),
            Err(_) => Arc::new(Head::Failed {
                status: 502,
                text: "allocscope serve: the upstream request ended without an answer".into(),
            }),
        }
    }
}

pub struct Flights {
    map: Mutex<HashMap<Key, Arc<Flight>>>,
    permits: Arc<Semaphore>,
    pub max: usize,
}

/// What `join_or_start` gives: a share in a flight, and when this request started it, the
/// permit the caller's upstream task must hold until it ends.
pub enum Share {
    Joined(Subscription),
    Started(Subscription, OwnedSemaphorePermit),
    Refused,
}

impl Flights {
    pub fn new(max: usize) -> Flights {
        Flights { map: Mutex::new(HashMap::new()), permits: Arc::new(Semaphore::new(max)), max }
    }

    /// Upstream requests open now.
    pub fn open(&self) -> usize {
        self.max - self.permits.available_permits()
    }

    pub fn join_or_start(&self, key: &Key) -> Share {
        let mut map = self.map.lock().unwrap();
        if let Some(f) = map.get(key) {
            let mut st = f.state.lock().unwrap();
            if st.joinable {
                if let Some(tx) = &st.tx {
                    let rx = tx.subscribe();
                    st.watchers += 1;
                    let prefix = st.prefix.clone();
                    drop(st);
                    return Share::Joined(Subscription { flight: Arc::clone(f), prefix, rx });
                }
            }
        }
        let Ok(permit) = Arc::clone(&self.permits).try_acquire_owned() else {
            return Share::Refused;
        };
        let (tx, rx) = broadcast::channel(LAG_CHUNKS);
        let flight = Arc::new(Flight {
            head_tx: watch::channel(None).0,
            state: Mutex::new(State {
                prefix: Vec::new(),
                prefix_bytes: 0,
                joinable: true,
                tx: Some(tx),
                watchers: 1,
            }),
            idle: Notify::new(),
        });
        map.insert(key.clone(), Arc::clone(&flight));
        Share::Started(Subscription { flight, prefix: Vec::new(), rx }, permit)
    }

    /// The upstream request ended (or was abandoned): no one joins it any more, and the
    /// watchers get what is left, then the end.
    pub fn finish(&self, key: &Key, flight: &Arc<Flight>) {
        let mut map = self.map.lock().unwrap();
        if map.get(key).is_some_and(|f| Arc::ptr_eq(f, flight)) {
            map.remove(key);
        }
        let mut st = flight.state.lock().unwrap();
        st.joinable = false;
        st.prefix = Vec::new();
        st.tx = None;
    }
}

impl Flight {
    pub fn set_head(&self, head: Head) {
        self.head_tx.send_replace(Some(Arc::new(head)));
    }

    /// Whether the slowest watcher is so far behind that the next chunk must wait for it.
    pub fn must_wait(&self) -> bool {
        let st = self.state.lock().unwrap();
        st.tx.as_ref().is_some_and(|tx| tx.len() >= LAG_CHUNKS - LAG_HEADROOM)
    }

    /// Answers the joiners with `text` (502) if no head was published.
    pub fn fail_if_headless(&self, text: &str) {
        self.head_tx.send_if_modified(|h| {
            if h.is_some() {
                return false;
            }
            *h = Some(Arc::new(Head::Failed { status: 502, text: text.to_owned() }));
            true
        });
    }

    pub fn push(&self, chunk: Chunk) {
        let mut st = self.state.lock().unwrap();
        if st.joinable {
            match &chunk {
                Ok(b) if st.prefix_bytes + b.len() <= PREFIX_CAP => {
                    st.prefix_bytes += b.len();
                    // A copy: hyper's chunk is a slice of its whole read buffer, which a kept
                    // 3-byte heartbeat would otherwise hold alive (kilobytes per chunk).
                    st.prefix.push(Bytes::copy_from_slice(b));
                }
                _ => {
                    // Too long to replay (or failed): later identical requests start afresh.
                    st.joinable = false;
                    st.prefix = Vec::new();
                }
            }
        }
        if let Some(tx) = &st.tx {
            let _ = tx.send(chunk);
        }
    }

    /// Whether every watcher has left; if so, no one may join any more.
    pub fn abandon_if_unwatched(&self) -> bool {
        let mut st = self.state.lock().unwrap();
        if st.watchers == 0 {
            st.joinable = false;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(p: &str) -> Key {
        Key { path_query: p.into(), headers: Vec::new() }
    }

    #[tokio::test]
    async fn identical_requests_share_one_flight_and_a_late_joiner_gets_every_chunk() {
        let flights = Flights::new(2);
        let Share::Started(mut first, _permit) = flights.join_or_start(&key("/v1/a")) else {
            panic!("first starts")
        };
        first.flight.push(Ok(Bytes::from_static(b"one")));
        let Share::Joined(mut late) = flights.join_or_start(&key("/v1/a")) else { panic!("second joins") };
        assert_eq!(flights.open(), 1);
        assert_eq!(late.prefix, vec![Bytes::from_static(b"one")]);
        first.flight.push(Ok(Bytes::from_static(b"two")));
        flights.finish(&key("/v1/a"), &first.flight);
        assert_eq!(first.rx.recv().await.unwrap().unwrap(), "one");
        assert_eq!(first.rx.recv().await.unwrap().unwrap(), "two");
        assert_eq!(late.rx.recv().await.unwrap().unwrap(), "two");
        assert!(late.rx.recv().await.is_err(), "the end follows the last chunk");
    }

    #[tokio::test]
    async fn beyond_the_limit_a_new_request_is_refused_and_the_last_watcher_leaving_is_signalled() {
        let flights = Flights::new(1);
        let Share::Started(a, permit) = flights.join_or_start(&key("/v1/a")) else { panic!() };
        assert!(matches!(flights.join_or_start(&key("/v1/b")), Share::Refused));
        let flight = Arc::clone(&a.flight);
        drop(a);
        flight.idle.notified().await;
        assert!(flight.abandon_if_unwatched());
        assert!(
            matches!(flights.join_or_start(&key("/v1/a")), Share::Refused),
            "an abandoned flight is not joined"
        );
        flights.finish(&key("/v1/a"), &flight);
        drop(permit);
        assert!(matches!(flights.join_or_start(&key("/v1/b")), Share::Started(..)));
    }

    #[tokio::test]
    async fn the_upstream_waits_for_the_slowest_watcher_instead_of_cutting_it_off() {
        let flights = Flights::new(1);
        let Share::Started(mut a, _p) = flights.join_or_start(&key("/v1/a")) else { panic!() };
        for _ in 0..LAG_CHUNKS - LAG_HEADROOM - 1 {
            a.flight.push(Ok(Bytes::from_static(b"x")));
        }
        assert!(!a.flight.must_wait());
        a.flight.push(Ok(Bytes::from_static(b"x")));
        assert!(a.flight.must_wait(), "the watcher is at the limit");
        a.rx.recv().await.unwrap().unwrap();
        assert!(!a.flight.must_wait(), "it read one");
    }

    #[tokio::test]
    async fn a_flight_past_the_replay_cap_takes_no_joiners() {
        let flights = Flights::new(4);
        let Share::Started(a, _p) = flights.join_or_start(&key("/v1/a")) else { panic!() };
        a.flight.push(Ok(Bytes::from(vec![0u8; PREFIX_CAP + 1])));
        let second = flights.join_or_start(&key("/v1/a"));
        assert!(matches!(second, Share::Started(..)));
        assert_eq!(flights.open(), 2);
    }
}
