//! Keeping views current. A live Nomad agent answers with `X-Nomad-Index`; each view then
//! long-polls its one resource with `?index=<last>&wait=5m` (a blocking query), resets the
//! index when it goes backwards (a restored cluster), backs off exponentially on errors, and
//! stops when the view is left. A static snapshot has no index and is fetched once. The
//! cluster-wide list is paginated (`per_page`, `next_token`), and rows show as pages arrive.

use crate::api::{self, FetchError, FetchErrorKind, Fetched, Progress};
use crate::store::{
    local_alloc, local_list, use_store, Action, AllocData, Entry, ListData, Shared, StoreContext,
};
use allocscope_model::live_events::EventStreamReader;
use allocscope_model::stream::ListStream;
use allocscope_model::{decode, paths, Allocation, DecodeOptions};
use std::cell::{Cell, RefCell};
use std::collections::HashSet;
use std::rc::Rc;
use yew::prelude::*;

/// Allocations in the first page of `v1/allocations`: the server builds a page whole before
/// sending it, so a small first page shows the first rows soon.
pub const FIRST_PAGE_SIZE: u32 = 500;
/// Allocations in each later page: each page is a round trip, so they are large. Reading
/// 12,843 allocations from the Nomad API double took 3.0 to 3.6 s in pages of 500, and
/// 1.4 s in pages of 5,000.
pub const PAGE_SIZE: u32 = 5000;
/// Rows that came with later pages are shown at most this often while pages are still
/// coming: each showing copies the list so far, which at one per page grew with the square
/// of the list.
const SHOW_PAGES_EVERY_MS: f64 = 1000.0;
/// The `wait` of a blocking query; Nomad caps it at 5 minutes.
const WAIT: &str = "5m";
/// Above `wait` plus Nomad's jitter (wait/16).
const BLOCKING_TIMEOUT_MS: u32 = 330_000;
const FIRST_LOAD_TIMEOUT_MS: u32 = 30_000;
/// Never start two polls of one view closer than this, whatever the server does.
const MIN_POLL_INTERVAL_MS: u32 = 1_000;
const MAX_BACKOFF_MS: u32 = 30_000;

/// What the header shows about the data's freshness.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum LiveStatus {
    #[default]
    Idle,
    /// A static snapshot: fetched once, never polled.
    Snapshot,
    /// Blocking queries are running; `updated` is the browser time (ms) of the last answer.
    Live {
        updated: f64,
    },
    /// The last request failed; the next try is after `retry_in_ms`.
    Reconnecting {
        attempt: u32,
        retry_in_ms: u32,
    },
    Paused,
}

/// Exponential backoff: 1 s, 2 s, 4 s, … up to 30 s.
pub fn backoff_ms(failures: u32) -> u32 {
    1000u32.saturating_mul(1 << failures.saturating_sub(1).min(5)).min(MAX_BACKOFF_MS)
}

/// One running poll loop; dropping the view stops it and aborts its request.
#[derive(Default)]
struct Poll {
    stopped: Cell<bool>,
    current: RefCell<Option<web_sys::AbortController>>,
}

impl Poll {
    fn stop(&self) {
        self.stopped.set(true);
        if let Some(c) = self.current.borrow_mut().take() {
            c.abort();
        }
    }

    fn controller(&self) -> Option<web_sys::AbortController> {
        let c = web_sys::AbortController::new().ok()?;
        *self.current.borrow_mut() = Some(c.clone());
        Some(c)
    }
}

fn now_ms() -> f64 {
    #[cfg(target_arch = "wasm32")]
    return js_sys::Date::now();
    #[cfg(not(target_arch = "wasm32"))]
    0.0
}

/// What a loop fetches and where its results go.
#[derive(Clone, PartialEq, Eq)]
enum Target {
    List(String),
    Alloc(String),
}

async fn fetch_once(
    store: &StoreContext,
    poll: &Poll,
    path: &str,
    extra: &[(&str, String)],
    timeout: u32,
    progress: &dyn Fn(Progress),
) -> Result<(String, Fetched), FetchError> {
    let url = store.0.url_with(path, extra);
    let ctl = poll.controller();
    let fetched =
        api::get_with(&url, store.0.connection.token.as_deref(), ctl.as_ref(), Some(timeout), progress)
            .await?;
    Ok((url, fetched))
}

/// GET a list whole and decode it (strict): a blocking query's answer, a later page, or a
/// body the streaming decoder could not read (so `decode` says exactly what is wrong).
async fn fetch_list_whole(
    store: &StoreContext,
    poll: &Poll,
    path: &str,
    extra: &[(&str, String)],
    timeout: u32,
    progress: &dyn Fn(Progress),
) -> Result<(Fetched, Vec<Allocation>), FetchError> {
    let (url, fetched) = fetch_once(store, poll, path, extra, timeout, progress).await?;
    let allocs = decode(&fetched.bytes, DecodeOptions::STRICT)
        .map_err(|e| FetchError::decode(&url, e, &fetched.bytes))?
        .allocations;
    Ok((fetched, allocs))
}

/// Whether an error may go away by itself (a server or network failure), as opposed to one
/// that needs the user (a wrong path, a missing token, bad data).
fn transient(e: &FetchError) -> bool {
    match e.kind {
        FetchErrorKind::Network(_) => true,
        FetchErrorKind::Http { status, .. } => status >= 500 || status == 408 || status == 429,
        _ => false,
    }
}

/// What the store already holds for a view: nothing, a snapshot's data, or live data at an
/// index (the loop then starts blocking from there instead of fetching again).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Known {
    Nothing,
    Snapshot,
    Live(u64),
}

impl Known {
    /// From the index of the data held, if any (`None` inside: a snapshot's data).
    fn of(held: Option<Option<u64>>) -> Known {
        match held {
            None => Known::Nothing,
            Some(None) => Known::Snapshot,
            Some(Some(n)) => Known::Live(n),
        }
    }
}

async fn run(store: StoreContext, poll: Rc<Poll>, target: Target, known: Known) {
    let dispatch = store.0.dispatcher();
    // An opened file answers from memory, once.
    if let Some(local) = &store.0.local {
        match &target {
            Target::List(path) => dispatch.dispatch(Action::ListDone(path.clone(), local_list(local))),
            Target::Alloc(id) => dispatch.dispatch(Action::AllocDone(id.clone(), local_alloc(local, id))),
        }
        dispatch.dispatch(Action::Live(LiveStatus::Snapshot));
        return;
    }
    let mut index: u64 = match known {
        Known::Snapshot => {
            dispatch.dispatch(Action::Live(LiveStatus::Snapshot));
            return;
        }
        Known::Live(n) => n,
        Known::Nothing => 0,
    };
    let mut failures: u32 = 0;
    let mut last_start = 0.0;
    // Rows are on screen (held when the loop started, or loaded since): a reload (a retry
    // after a failure, a refresh) replaces them once complete, never with a partial list.
    let mut rows_shown = match &target {
        Target::List(path) => store.0.list(path).data.is_some(),
        Target::Alloc(_) => false,
    };
    // Automatic retries are for a source known to be a live agent; a first load that fails
    // waits for the user's Retry (it may be a wrong URL or a static host).
    let mut seen_live = index > 0;
    // The allocations of the list last read, and whether the agent's event stream can keep
    // it current (until it answers with an error status, garbles or holds back the stream).
    let mut list_ids: HashSet<String> = HashSet::new();
    let mut events_usable = true;
    loop {
        if poll.stopped.get() {
            return;
        }
        let since = now_ms() - last_start;
        if since < MIN_POLL_INTERVAL_MS as f64 {
            api::sleep(MIN_POLL_INTERVAL_MS - since as u32).await;
        }
        last_start = now_ms();
        let mut extra: Vec<(&str, String)> = Vec::new();
        if index > 0 {
            extra.push(("index", index.to_string()));
            extra.push(("wait", WAIT.to_owned()));
        }
        let timeout = if index > 0 { BLOCKING_TIMEOUT_MS } else { FIRST_LOAD_TIMEOUT_MS };
        let outcome = match &target {
            Target::List(path) => {
                let paged = path.split('?').next() == Some("v1/allocations");
                if paged {
                    extra.push(("per_page", FIRST_PAGE_SIZE.to_string()));
                }
                let progress = {
                    let (d, p) = (dispatch.clone(), path.clone());
                    move |pr: Progress| d.dispatch(Action::ListProgress(p.clone(), pr))
                };
                let partial = !rows_shown;
                load_list(&store, &poll, path, &extra, timeout, &progress, paged, partial).await.map(
                    |(index, ids)| {
                        list_ids = ids;
                        index
                    },
                )
            }
            Target::Alloc(id) => {
                let path = paths::allocation(id);
                match fetch_once(&store, &poll, &path, &extra, timeout, &|_| {}).await {
                    Ok((url, f)) => AllocData::decode(&url, &f).map(|d| {
                        dispatch.dispatch(Action::AllocDone(id.clone(), Ok(d)));
                        f.nomad_index
                    }),
                    Err(e) => Err(e),
                }
            }
        };
        if poll.stopped.get() {
            return;
        }
        match outcome {
            Ok(None) => {
                dispatch.dispatch(Action::Live(LiveStatus::Snapshot));
                return;
            }
            Ok(Some(n)) => {
                failures = 0;
                seen_live = true;
                rows_shown = true;
                dispatch.dispatch(Action::Live(LiveStatus::Live { updated: now_ms() }));
                // A lower index means the cluster's state was restored: start over.
                index = if n < index { 0 } else { n };
                // A list is kept current from the event stream, where the agent has one: a
                // change then costs one event, not the whole list again. When the stream
                // ends, the blocking query below reads the list again (at once, when
                // anything changed since `n`).
                let events = match &target {
                    Target::List(path) if events_usable => paths::list_events(path, n).map(|e| (path, e)),
                    _ => None,
                };
                if let Some((path, events_path)) = events {
                    match follow_events(&store, &poll, path, &events_path, &list_ids).await {
                        Followed::Cancelled => return,
                        Followed::Unavailable => events_usable = false,
                        Followed::Reload => {}
                    }
                }
            }
            Err(e) if e.kind == FetchErrorKind::Cancelled => return,
            Err(e) => {
                failures += 1;
                let again = seen_live && transient(&e);
                match &target {
                    Target::List(path) => dispatch.dispatch(Action::ListDone(path.clone(), Err(e))),
                    Target::Alloc(id) => dispatch.dispatch(Action::AllocDone(id.clone(), Err(e))),
                }
                if !again {
                    // Retrying by itself would not help; the Retry button restarts the loop.
                    dispatch.dispatch(Action::Live(LiveStatus::Idle));
                    return;
                }
                // The retry asks without `index`: a blocking query would wait for the next change
                // (minutes) before showing that the agent is back.
                index = 0;
                let wait = backoff_ms(failures);
                dispatch.dispatch(Action::Live(LiveStatus::Reconnecting {
                    attempt: failures,
                    retry_in_ms: wait,
                }));
                api::sleep(wait).await;
            }
        }
    }
}

/// How following a list through the event stream ended.
enum Followed {
    /// The agent answered the stream with an error status (Nomad before 1.0, the event
    /// broker disabled, a token without the right), or what arrived was not an event
    /// stream: keep the list current with blocking queries instead.
    Unavailable,
    /// The list must be read again: a new allocation appeared (a payload lacks what a list
    /// entry holds), or the stream ended or broke.
    Reload,
    /// The view went away.
    Cancelled,
}

/// Changes from the event stream are applied at most this often: each application copies
/// the list and indexes it again.
const APPLY_EVENTS_EVERY_MS: f64 = 1000.0;
/// Nomad sends a heartbeat every 30 s. A stream silent for longer is held back on the way
/// (a buffering proxy), so changes would show late or never: blocking queries instead.
const EVENTS_SILENCE_MS: f64 = 75_000.0;

/// Keep the list at `path` current from the event stream at `events_path` until the stream
/// ends, a new allocation appears, or the view goes away. `ids`: the list's allocations.
async fn follow_events(
    store: &StoreContext,
    poll: &Rc<Poll>,
    path: &str,
    events_path: &str,
    ids: &HashSet<String>,
) -> Followed {
    let url = store.0.url(events_path);
    let dispatch = store.0.dispatcher();
    let pending: Rc<RefCell<Vec<Allocation>>> = Rc::default();
    let last_applied = Rc::new(Cell::new(0.0));
    let apply_scheduled = Rc::new(Cell::new(false));
    let apply = {
        let (pending, last_applied, dispatch, path) =
            (pending.clone(), last_applied.clone(), dispatch.clone(), path.to_owned());
        Rc::new(move || {
            let batch = std::mem::take(&mut *pending.borrow_mut());
            if !batch.is_empty() {
                last_applied.set(now_ms());
                dispatch.dispatch(Action::ListUpdates(path.clone(), batch));
                dispatch.dispatch(Action::Live(LiveStatus::Live { updated: now_ms() }));
            }
        })
    };
    let mut reader = EventStreamReader::new();
    let mut reload = false;
    let mut broken = false;
    let ctl = poll.controller();
    let (last_bytes, silent, ended) =
        (Rc::new(Cell::new(now_ms())), Rc::new(Cell::new(false)), Rc::new(Cell::new(false)));
    {
        let (last_bytes, silent, ended, ctl) =
            (last_bytes.clone(), silent.clone(), ended.clone(), ctl.clone());
        wasm_bindgen_futures::spawn_local(async move {
            while !ended.get() {
                api::sleep(15_000).await;
                if !ended.get() && now_ms() - last_bytes.get() > EVENTS_SILENCE_MS {
                    silent.set(true);
                    if let Some(c) = &ctl {
                        c.abort();
                    }
                }
            }
        });
    }
    let mut on_chunk = |chunk: &[u8], _total: Option<u64>| {
        last_bytes.set(now_ms());
        if reload || broken {
            return;
        }
        match reader.feed(chunk) {
            Ok(updates) if updates.iter().any(|a| !ids.contains(&a.id)) => reload = true,
            Ok(updates) if updates.is_empty() => return,
            Ok(updates) => pending.borrow_mut().extend(updates),
            Err(_) => broken = true,
        }
        if reload || broken {
            if let Some(c) = &ctl {
                c.abort();
            }
            return;
        }
        let wait = APPLY_EVENTS_EVERY_MS - (now_ms() - last_applied.get());
        if wait <= 0.0 {
            apply();
        } else if !apply_scheduled.replace(true) {
            let (apply, scheduled, poll) = (apply.clone(), apply_scheduled.clone(), poll.clone());
            wasm_bindgen_futures::spawn_local(async move {
                api::sleep(wait as u32).await;
                scheduled.set(false);
                if !poll.stopped.get() {
                    apply();
                }
            });
        }
    };
    let token = store.0.connection.token.clone();
    let result = api::get_streaming(&url, token.as_deref(), ctl.as_ref(), None, &|_| {}, &mut on_chunk).await;
    ended.set(true);
    if poll.stopped.get() {
        return Followed::Cancelled;
    }
    apply();
    match result {
        _ if reload => Followed::Reload,
        // Something between the agent and the browser changed or held back the stream: do
        // without it.
        _ if broken || silent.get() => Followed::Unavailable,
        Err(FetchError { kind: FetchErrorKind::Http { .. }, .. }) => Followed::Unavailable,
        _ => Followed::Reload,
    }
}

/// Rows decoded before the first of them are shown while the rest streams in.
const FIRST_ROWS: usize = 50;

/// GET a list, decoding the array as it streams in and showing its first rows early (see
/// `allocscope_model::stream`). A body that is not one well-formed array is fetched again
/// whole, so `decode` can say exactly what is wrong with it (or read its other form).
async fn fetch_list_streaming(
    store: &StoreContext,
    poll: &Poll,
    path: &str,
    extra: &[(&str, String)],
    timeout: u32,
    progress: &dyn Fn(Progress),
    partial: bool,
) -> Result<(Fetched, Vec<Allocation>), FetchError> {
    let url = store.0.url_with(path, extra);
    let dispatch = store.0.dispatcher();
    let mut stream = ListStream::new();
    let mut shown = !partial;
    let mut on_chunk = |chunk: &[u8], total: Option<u64>| {
        stream.expect_bytes(total);
        if stream.feed(chunk).is_err() || shown || stream.allocations().len() < FIRST_ROWS {
            return;
        }
        shown = true;
        let first = ListData::partial(stream.allocations().to_vec(), None);
        dispatch.dispatch(Action::ListDone(path.to_owned(), Ok(Shared::new(first))));
    };
    let ctl = poll.controller();
    let fetched = api::get_streaming(
        &url,
        store.0.connection.token.as_deref(),
        ctl.as_ref(),
        Some(timeout),
        progress,
        &mut on_chunk,
    )
    .await?;
    match stream.finish() {
        Ok(allocs) => Ok((fetched, allocs)),
        Err(_) => fetch_list_whole(store, poll, path, extra, timeout, progress).await,
    }
}

/// Fetch a list (every page of it); returns the index (`None` for a static snapshot) and
/// the IDs of the allocations in it.
/// `partial`: show rows before the whole list is in (when none are on screen yet).
#[allow(clippy::too_many_arguments)]
async fn load_list(
    store: &StoreContext,
    poll: &Poll,
    path: &str,
    extra: &[(&str, String)],
    timeout: u32,
    progress: &dyn Fn(Progress),
    paged: bool,
    partial: bool,
) -> Result<(Option<u64>, HashSet<String>), FetchError> {
    let dispatch = store.0.dispatcher();
    // A blocking query answers only when something changed, and then quickly; streaming is
    // for first loads, where a large list shows its first rows long before its last byte.
    let blocking = extra.iter().any(|(k, _)| *k == "index");
    let (first, mut allocs) = if blocking {
        fetch_list_whole(store, poll, path, extra, timeout, progress).await?
    } else {
        fetch_list_streaming(store, poll, path, extra, timeout, progress, partial).await?
    };
    let url = store.0.url_with(path, extra);
    let index = first.nomad_index;
    let mut next = if paged { first.next_token.clone() } else { None };
    let mut shown_at: Option<f64> = None;
    while let Some(token) = next.take() {
        if poll.stopped.get() {
            return Err(FetchError { url, kind: FetchErrorKind::Cancelled });
        }
        // Rows show as pages arrive (marked as partial until the last page) on a first load;
        // a refresh keeps showing the whole previous list until the new one is complete.
        if partial && shown_at.is_none_or(|t| now_ms() - t >= SHOW_PAGES_EVERY_MS) {
            shown_at = Some(now_ms());
            dispatch.dispatch(Action::ListDone(
                path.to_owned(),
                Ok(Shared::new(ListData::partial(allocs.clone(), index))),
            ));
        }
        let page_params = [("per_page", PAGE_SIZE.to_string()), ("next_token", token)];
        let (page, more) =
            fetch_list_whole(store, poll, path, &page_params, FIRST_LOAD_TIMEOUT_MS, &|_| {}).await?;
        allocs.extend(more);
        next = page.next_token;
    }
    let ids = allocs.iter().map(|a| a.id.clone()).collect();
    dispatch.dispatch(Action::ListDone(path.to_owned(), Ok(Shared::new(ListData::new(allocs, index)))));
    Ok((index, ids))
}

/// Run a loop for `target` while the calling view is mounted (and not paused); returns a
/// callback that restarts it at once (a Retry button).
#[hook]
fn use_poll(target: Option<Target>, known: Known) -> Callback<()> {
    let store = use_store();
    let generation = use_state(|| 0u32);
    let paused = store.0.paused;
    let epoch = store.0.epoch;
    {
        let store = store.clone();
        // `known` is read when the loop starts, not a dependency: new data must not restart it.
        let latest = use_mut_ref(|| known);
        *latest.borrow_mut() = known;
        use_effect_with((target, *generation, paused, epoch), move |deps| {
            let poll = Rc::new(Poll::default());
            if let (Some(t), false) = (deps.0.clone(), deps.2) {
                // A Retry (generation > 0) always fetches.
                let start = if deps.1 > 0 { Known::Nothing } else { *latest.borrow() };
                wasm_bindgen_futures::spawn_local(run(store, poll.clone(), t, start));
            }
            move || poll.stop()
        });
    }
    Callback::from(move |_| generation.set(*generation + 1))
}

/// A list kept current; and a retry callback.
#[hook]
pub fn use_live_list(path: Option<String>) -> (Entry<Shared<ListData>>, Callback<()>) {
    let store = use_store();
    let entry = path.as_deref().map(|p| store.0.list(p)).unwrap_or_default();
    let known = Known::of(entry.data.as_ref().map(|d| d.nomad_index));
    let retry = use_poll(path.map(Target::List), known);
    (entry, retry)
}

/// One allocation kept current; and a retry callback.
#[hook]
pub fn use_live_alloc(id: String) -> (Entry<Shared<AllocData>>, Callback<()>) {
    let store = use_store();
    let entry = store.0.alloc(&id);
    let known = Known::of(entry.data.as_ref().map(|d| d.nomad_index));
    let retry = use_poll(Some(Target::Alloc(id)), known);
    (entry, retry)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_a_cap() {
        let b: Vec<u32> = (1..=8).map(backoff_ms).collect();
        assert_eq!(b, vec![1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
    }
}
