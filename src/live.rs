//! Keeping views current: the thin async driver around `allocscope_model::live_sync`, which
//! makes every decision (when to read, follow, back off, re-sync; see its module docs). The
//! driver runs the machine's commands (reads, the event stream, timers, store updates) as
//! tasks that report back on one channel, and feeds each outcome to the machine. A static
//! snapshot has no index and is fetched once. The cluster-wide list is paginated
//! (`per_page`, `next_token`), and rows show as pages arrive.

use crate::api::{self, FetchError, FetchErrorKind, Fetched, Progress};
use crate::store::{
    local_alloc, local_list, use_store, Action, AllocData, Entry, ListData, Shared, StoreContext,
};
use allocscope_model::live_events::{EventStreamReader, StreamItem};
use allocscope_model::live_sync::{
    Command, Held, Input, Known, LiveSync, Policy, ReadFailure, StreamEnd, SyncStatus, ViewKind,
};
use allocscope_model::stream::ListStream;
use allocscope_model::{decode, paths, Allocation, DecodeOptions};
use futures::channel::mpsc::{unbounded, UnboundedSender};
use futures::StreamExt;
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

/// What the header shows about the data's freshness.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum LiveStatus {
    #[default]
    Idle,
    /// A static snapshot: fetched once, never polled.
    Snapshot,
    /// The view is current; `updated` is the browser time (ms) of the last answer.
    Live {
        updated: f64,
    },
    /// A list on screen is being read again because a change may have been missed (or for
    /// the periodic re-sync): what is shown may be behind until it is in.
    Resyncing,
    /// The last request failed; the next try is after `retry_in_ms`.
    Reconnecting {
        attempt: u32,
        retry_in_ms: u32,
    },
    Paused,
}

impl LiveStatus {
    fn of(s: SyncStatus) -> LiveStatus {
        match s {
            SyncStatus::Live => LiveStatus::Live { updated: now_ms() },
            SyncStatus::Resyncing => LiveStatus::Resyncing,
            SyncStatus::Reconnecting { attempt, retry_in_ms } => {
                LiveStatus::Reconnecting { attempt, retry_in_ms }
            }
            SyncStatus::Snapshot => LiveStatus::Snapshot,
            SyncStatus::Idle => LiveStatus::Idle,
        }
    }
}

/// What a loop's tasks report to it.
enum Msg {
    Input(Input),
    /// From the event stream opened as the `n`-th subscription: dropped when a newer one
    /// has replaced it.
    Stream(u32, Input),
    /// The view went away.
    Stopped,
}

/// One running loop; dropping the view stops it and aborts its requests.
#[derive(Default)]
struct Poll {
    stopped: Cell<bool>,
    read: RefCell<Option<web_sys::AbortController>>,
    stream: RefCell<Option<web_sys::AbortController>>,
    wake: RefCell<Option<UnboundedSender<Msg>>>,
}

impl Poll {
    fn stop(&self) {
        self.stopped.set(true);
        for slot in [&self.read, &self.stream] {
            if let Some(c) = slot.borrow_mut().take() {
                c.abort();
            }
        }
        if let Some(tx) = self.wake.borrow_mut().take() {
            let _ = tx.unbounded_send(Msg::Stopped);
        }
    }

    /// A new controller for the read, or the stream (aborting the one it replaces).
    fn controller(slot: &RefCell<Option<web_sys::AbortController>>) -> Option<web_sys::AbortController> {
        let c = web_sys::AbortController::new().ok()?;
        if let Some(old) = slot.borrow_mut().replace(c.clone()) {
            old.abort();
        }
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
    ctl: Option<&web_sys::AbortController>,
    path: &str,
    extra: &[(&str, String)],
    timeout: u32,
    progress: &dyn Fn(Progress),
) -> Result<(String, Fetched), FetchError> {
    let url = store.0.url_with(path, extra);
    let fetched =
        api::get_with(&url, store.0.connection.token.as_deref(), ctl, Some(timeout), progress).await?;
    Ok((url, fetched))
}

/// GET a list whole and decode it (strict): a blocking query's answer, a later page, or a
/// body the streaming decoder could not read (so `decode` says exactly what is wrong).
async fn fetch_list_whole(
    store: &StoreContext,
    ctl: Option<&web_sys::AbortController>,
    path: &str,
    extra: &[(&str, String)],
    timeout: u32,
    progress: &dyn Fn(Progress),
) -> Result<(Fetched, Vec<Allocation>), FetchError> {
    let (url, fetched) = fetch_once(store, ctl, path, extra, timeout, progress).await?;
    let allocs = decode(&fetched.bytes, DecodeOptions::STRICT)
        .map_err(|e| FetchError::decode(&url, e, &fetched.bytes))?
        .allocations;
    Ok((fetched, allocs))
}

/// How a read failed, for the machine.
fn failure(e: &FetchError) -> ReadFailure {
    match e.kind {
        FetchErrorKind::Cancelled => ReadFailure::Cancelled,
        FetchErrorKind::Network(_) => ReadFailure::Network,
        FetchErrorKind::Http { retry_after_s: Some(s), .. } => {
            ReadFailure::Busy { retry_after_ms: s.saturating_mul(1000) }
        }
        FetchErrorKind::Http { status, .. } => ReadFailure::Status(status),
        _ => ReadFailure::Unusable,
    }
}

/// The loop's shared parts, handed to the tasks it starts.
#[derive(Clone)]
struct Driver {
    store: StoreContext,
    poll: Rc<Poll>,
    target: Target,
    tx: UnboundedSender<Msg>,
    /// Updates from the stream not yet folded into the list.
    held: Rc<RefCell<Held>>,
    /// The IDs of the list last read, to tell a placement (an update for an allocation the
    /// list lacks) from a change.
    ids: Rc<RefCell<HashSet<String>>>,
    /// Which subscription is current.
    generation: Rc<Cell<u32>>,
}

async fn run(store: StoreContext, poll: Rc<Poll>, target: Target, known: Known, resync_ms: f64) {
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
    let kind = match &target {
        Target::List(path) => ViewKind::List { follow: paths::list_events(path, 1).is_some() },
        Target::Alloc(_) => ViewKind::Alloc,
    };
    let mut machine = LiveSync::new(kind, Policy { resync_ms, ..Policy::default() });
    let (tx, mut rx) = unbounded::<Msg>();
    *poll.wake.borrow_mut() = Some(tx.clone());
    let ids = match &target {
        Target::List(path) => {
            store.0.list(path).data.map(|d| d.allocs.iter().map(|a| a.id.clone()).collect())
        }
        Target::Alloc(_) => None,
    };
    let driver = Driver {
        store,
        poll: poll.clone(),
        target,
        tx,
        held: Rc::default(),
        ids: Rc::new(RefCell::new(ids.unwrap_or_default())),
        generation: Rc::default(),
    };
    let mut commands = machine.step(Input::Start(known), now_ms());
    loop {
        for c in commands.drain(..) {
            driver.run(c);
        }
        if machine.is_stopped() || poll.stopped.get() {
            break;
        }
        let input = match rx.next().await {
            None | Some(Msg::Stopped) => break,
            Some(Msg::Input(i)) => i,
            Some(Msg::Stream(n, i)) if n == driver.generation.get() => i,
            Some(Msg::Stream(..)) => continue,
        };
        if poll.stopped.get() {
            break;
        }
        commands = machine.step(input, now_ms());
    }
    if let Some(c) = poll.stream.borrow_mut().take() {
        c.abort();
    }
}

impl Driver {
    fn send(&self, input: Input) {
        let _ = self.tx.unbounded_send(Msg::Input(input));
    }

    fn run(&self, command: Command) {
        let dispatch = self.store.0.dispatcher();
        match command {
            Command::Read { blocking_from, resync } => {
                let d = self.clone();
                wasm_bindgen_futures::spawn_local(async move { d.read(blocking_from, resync).await });
            }
            Command::Subscribe { index } => {
                let generation = self.generation.get().wrapping_add(1);
                self.generation.set(generation);
                let d = self.clone();
                wasm_bindgen_futures::spawn_local(async move { d.follow(index, generation).await });
            }
            Command::CloseStream => {
                self.generation.set(self.generation.get().wrapping_add(1));
                if let Some(c) = self.poll.stream.borrow_mut().take() {
                    c.abort();
                }
            }
            Command::Apply => {
                let Target::List(path) = &self.target else { return };
                let updates = self.held.borrow_mut().take();
                if !updates.is_empty() {
                    dispatch.dispatch(Action::ListUpdates(path.clone(), updates));
                }
            }
            Command::WakeAt(at) => {
                let tx = self.tx.clone();
                let wait = (at - now_ms()).max(0.0).min(u32::MAX as f64) as u32;
                wasm_bindgen_futures::spawn_local(async move {
                    api::sleep(wait).await;
                    let _ = tx.unbounded_send(Msg::Input(Input::Tick));
                });
            }
            Command::Status(s) => dispatch.dispatch(Action::Live(LiveStatus::of(s))),
            Command::Gone => {
                if let Target::Alloc(id) = &self.target {
                    dispatch.dispatch(Action::Gone(id.clone()));
                }
            }
            Command::Stop => {}
        }
    }

    /// One read: a list's every page, or the allocation. Reports `FirstPage` (lists) and
    /// `ReadDone`.
    async fn read(&self, blocking_from: Option<u64>, resync: bool) {
        let dispatch = self.store.0.dispatcher();
        let mut extra: Vec<(&str, String)> = Vec::new();
        if let Some(n) = blocking_from {
            // An agent that never wrote an allocation answers index 0, and `index=0` would not
            // block (docs/nomad-live.md §1): ask from 1 at least.
            extra.push(("index", n.max(1).to_string()));
            extra.push(("wait", WAIT.to_owned()));
        }
        let timeout = if blocking_from.is_some() { BLOCKING_TIMEOUT_MS } else { FIRST_LOAD_TIMEOUT_MS };
        let ctl = Poll::controller(&self.poll.read);
        match &self.target {
            Target::List(path) => {
                let paged = path.split('?').next() == Some("v1/allocations");
                if paged {
                    extra.push(("per_page", FIRST_PAGE_SIZE.to_string()));
                }
                let progress = {
                    let (d, p) = (dispatch.clone(), path.clone());
                    move |pr: Progress| d.dispatch(Action::ListProgress(p.clone(), pr))
                };
                // Rows on screen (a re-sync, a retry) stay whole until the new list is in.
                let partial = !resync && self.store.0.list(path).data.is_none();
                self.held.borrow_mut().read_started();
                let first_page = |index: Option<u64>| self.send(Input::FirstPage { index });
                let read = load_list(
                    &self.store,
                    ctl.as_ref(),
                    path,
                    &extra,
                    timeout,
                    &progress,
                    paged,
                    partial,
                    &first_page,
                )
                .await;
                match read {
                    Ok((index, mut allocs)) => {
                        let missed = self.held.borrow_mut().read_done(&mut allocs);
                        *self.ids.borrow_mut() = allocs.iter().map(|a| a.id.clone()).collect();
                        let data = ListData::new(allocs, index);
                        dispatch.dispatch(Action::ListDone(path.clone(), Ok(Shared::new(data))));
                        self.send(Input::ReadDone { result: Ok(index), missed: missed > 0 });
                    }
                    Err(e) => {
                        self.held.borrow_mut().read_failed();
                        let f = failure(&e);
                        if f != ReadFailure::Cancelled {
                            dispatch.dispatch(Action::ListDone(path.clone(), Err(e)));
                        }
                        self.send(Input::ReadDone { result: Err(f), missed: false });
                    }
                }
            }
            Target::Alloc(id) => {
                let path = paths::allocation(id);
                let read = fetch_once(&self.store, ctl.as_ref(), &path, &extra, timeout, &|_| {})
                    .await
                    .and_then(|(url, f)| AllocData::decode(&url, &f).map(|d| (d, f.nomad_index)));
                match read {
                    Ok((data, index)) => {
                        dispatch.dispatch(Action::AllocDone(id.clone(), Ok(data)));
                        self.send(Input::ReadDone { result: Ok(index), missed: false });
                    }
                    Err(e) => {
                        let f = failure(&e);
                        if f != ReadFailure::Cancelled {
                            dispatch.dispatch(Action::AllocDone(id.clone(), Err(e)));
                        }
                        self.send(Input::ReadDone { result: Err(f), missed: false });
                    }
                }
            }
        }
    }

    /// Follow the event stream from `index`, holding its updates, until it ends or is closed.
    async fn follow(&self, index: u64, generation: u32) {
        let Target::List(path) = &self.target else { return };
        let Some(events_path) = paths::list_events(path, index) else { return };
        let url = self.store.0.url(&events_path);
        let report = |input: Input| {
            let _ = self.tx.unbounded_send(Msg::Stream(generation, input));
        };
        let ctl = Poll::controller(&self.poll.stream);
        let mut reader = EventStreamReader::new();
        let mut garbled = false;
        let mut on_chunk = |chunk: &[u8], _total: Option<u64>| {
            if garbled {
                return;
            }
            match reader.feed(chunk) {
                Ok(items) => {
                    for item in items {
                        match item {
                            StreamItem::Heartbeat => report(Input::Heartbeat),
                            StreamItem::Events { index, allocations } => {
                                let unknown = {
                                    let ids = self.ids.borrow();
                                    allocations.iter().any(|a| !ids.contains(&a.id))
                                };
                                self.held.borrow_mut().hold(allocations);
                                report(Input::Frame { index, unknown });
                            }
                        }
                    }
                }
                Err(_) => {
                    // Something between the agent and the browser changed the stream.
                    garbled = true;
                    if let Some(c) = &ctl {
                        c.abort();
                    }
                }
            }
        };
        let token = self.store.0.connection.token.clone();
        let result = api::get_event_stream(&url, token.as_deref(), ctl.as_ref(), &mut on_chunk).await;
        let end = match result {
            _ if garbled => StreamEnd::Garbled,
            Ok(_) => StreamEnd::Closed,
            Err(FetchError { kind: FetchErrorKind::Http { status, .. }, .. }) => StreamEnd::Refused(status),
            Err(FetchError { kind: FetchErrorKind::Cancelled, .. }) => return,
            Err(FetchError { kind: FetchErrorKind::Decode { .. }, .. }) => StreamEnd::Garbled,
            Err(_) => StreamEnd::Broken,
        };
        report(Input::StreamEnded(end));
    }
}

/// Rows decoded before the first of them are shown while the rest streams in.
const FIRST_ROWS: usize = 50;

/// GET a list, decoding the array as it streams in and showing its first rows early (see
/// `allocscope_model::stream`). A body that is not one well-formed array is fetched again
/// whole, so `decode` can say exactly what is wrong with it (or read its other form).
async fn fetch_list_streaming(
    store: &StoreContext,
    ctl: Option<&web_sys::AbortController>,
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
    let fetched = api::get_streaming(
        &url,
        store.0.connection.token.as_deref(),
        ctl,
        Some(timeout),
        progress,
        &mut on_chunk,
    )
    .await?;
    match stream.finish() {
        Ok(allocs) => Ok((fetched, allocs)),
        Err(_) => fetch_list_whole(store, ctl, path, extra, timeout, progress).await,
    }
}

/// Fetch a list (every page of it); returns the index (`None` for a static snapshot) and
/// the allocations. `first_page` is told the first page's index as soon as it is in, so the
/// event stream can be opened there while the other pages are read.
/// `partial`: show rows before the whole list is in (when none are on screen yet).
#[allow(clippy::too_many_arguments)]
async fn load_list(
    store: &StoreContext,
    ctl: Option<&web_sys::AbortController>,
    path: &str,
    extra: &[(&str, String)],
    timeout: u32,
    progress: &dyn Fn(Progress),
    paged: bool,
    partial: bool,
    first_page: &dyn Fn(Option<u64>),
) -> Result<(Option<u64>, Vec<Allocation>), FetchError> {
    let dispatch = store.0.dispatcher();
    // A blocking query answers only when something changed, and then quickly; streaming is
    // for first loads, where a large list shows its first rows long before its last byte.
    let blocking = extra.iter().any(|(k, _)| *k == "index");
    let (first, mut allocs) = if blocking {
        fetch_list_whole(store, ctl, path, extra, timeout, progress).await?
    } else {
        fetch_list_streaming(store, ctl, path, extra, timeout, progress, partial).await?
    };
    let index = first.nomad_index;
    first_page(index);
    let mut next = if paged { first.next_token.clone() } else { None };
    let mut shown_at: Option<f64> = None;
    while let Some(token) = next.take() {
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
            fetch_list_whole(store, ctl, path, &page_params, FIRST_LOAD_TIMEOUT_MS, &|_| {}).await?;
        allocs.extend(more);
        next = page.next_token;
    }
    Ok((index, allocs))
}

/// Run a loop for `target` while the calling view is mounted (and not paused); returns a
/// callback that restarts it at once (a Retry button).
#[hook]
fn use_poll(target: Option<Target>, known: Known) -> Callback<()> {
    let store = use_store();
    let resync_ms = store.0.resync_ms;
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
                wasm_bindgen_futures::spawn_local(run(store, poll.clone(), t, start, resync_ms));
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
    let known = Known::of_held(entry.data.as_ref().map(|d| d.nomad_index));
    let retry = use_poll(path.map(Target::List), known);
    (entry, retry)
}

/// One allocation kept current; and a retry callback.
#[hook]
pub fn use_live_alloc(id: String) -> (Entry<Shared<AllocData>>, Callback<()>) {
    let store = use_store();
    let entry = store.0.alloc(&id);
    let known = Known::of_held(entry.data.as_ref().map(|d| d.nomad_index));
    let retry = use_poll(Some(Target::Alloc(id)), known);
    (entry, retry)
}
