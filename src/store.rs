//! The app's data: every list and allocation fetched from the source, with its loading and
//! error state. A failed refresh keeps what was already shown (the error is shown beside
//! it). The reducer is plain Rust; fetching is started by the hooks at the bottom.

use crate::api::{self, FetchError, Progress};
use crate::connection::Connection;
use crate::live::LiveStatus;
use crate::local::{LocalData, Reading};
use crate::source::Source;
use allocscope_model::opened::OpenedFile;
use allocscope_model::{decode, Allocation, DecodeOptions, ListIndex};
use std::collections::HashMap;
use std::rc::Rc;
use yew::prelude::*;

/// A shared, immutable value compared by identity, so props and contexts holding large
/// data compare in O(1).
#[derive(Debug)]
pub struct Shared<T>(pub Rc<T>);

impl<T> Clone for Shared<T> {
    fn clone(&self) -> Self {
        Shared(self.0.clone())
    }
}

impl<T> PartialEq for Shared<T> {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl<T> std::ops::Deref for Shared<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> Shared<T> {
    pub fn new(v: T) -> Self {
        Shared(Rc::new(v))
    }
}

/// A decoded allocation list with its search index.
#[derive(Debug, PartialEq)]
pub struct ListData {
    pub allocs: Vec<Allocation>,
    pub index: ListIndex,
    /// `X-Nomad-Index` when the source is a live agent.
    pub nomad_index: Option<u64>,
    /// The first rows of a list still streaming in; the rest follows.
    pub partial: bool,
}

impl ListData {
    pub fn new(allocs: Vec<Allocation>, nomad_index: Option<u64>) -> ListData {
        let index = ListIndex::new(&allocs);
        ListData { allocs, index, nomad_index, partial: false }
    }

    /// The first rows (or pages) of a list whose download goes on.
    pub fn partial(allocs: Vec<Allocation>, nomad_index: Option<u64>) -> ListData {
        ListData { partial: true, ..ListData::new(allocs, nomad_index) }
    }
}

/// One allocation as read from `v1/allocation/<id>`, with the text it came as.
#[derive(Debug, PartialEq)]
pub struct AllocData {
    pub alloc: Allocation,
    pub raw: String,
    /// `X-Nomad-Index` when the source is a live agent.
    pub nomad_index: Option<u64>,
}

impl AllocData {
    /// The answer to `v1/allocation/<id>`, which must hold exactly one allocation.
    pub fn decode(url: &str, f: &api::Fetched) -> Result<Shared<AllocData>, FetchError> {
        let mut decoded =
            decode(&f.bytes, DecodeOptions::STRICT).map_err(|e| FetchError::decode(url, e, &f.bytes))?;
        if decoded.allocations.len() != 1 {
            return Err(FetchError::http(url, 200, "OK", "expected one allocation in the response"));
        }
        let alloc = decoded.allocations.remove(0);
        Ok(Shared::new(AllocData {
            alloc,
            raw: String::from_utf8_lossy(&f.bytes).into_owned(),
            nomad_index: f.nomad_index,
        }))
    }
}

/// What is known about one remote resource.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry<T> {
    pub data: Option<T>,
    pub loading: Option<Progress>,
    pub error: Option<FetchError>,
}

impl<T> Entry<T> {
    fn start(&mut self) {
        self.loading = Some(Progress::default());
    }

    /// A fetch ended: new data replaces the old; a failure keeps the old data beside the error.
    fn finish(&mut self, result: Result<T, FetchError>) {
        self.loading = None;
        match result {
            Ok(d) => {
                self.data = Some(d);
                self.error = None;
            }
            Err(err) => self.error = Some(err),
        }
    }
}

impl<T> Default for Entry<T> {
    fn default() -> Self {
        Entry { data: None, loading: None, error: None }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Store {
    pub source: Source,
    /// Token, namespace and region for every request.
    pub connection: Connection,
    /// How fresh the data is (live, reconnecting, snapshot, paused).
    pub live: LiveStatus,
    /// The user paused live updates.
    pub paused: bool,
    pub lists: HashMap<String, Entry<Shared<ListData>>>,
    pub allocs: HashMap<String, Entry<Shared<AllocData>>>,
    /// A file the user opened: while set, it is the source and nothing is fetched.
    pub local: Option<Shared<LocalData>>,
    /// A file being read, or why the last one could not be opened.
    pub reading: Option<Reading>,
    /// Bumped whenever the data behind every view is replaced (a file opened or closed, a
    /// capture switched), so views load again from the new data.
    pub epoch: u32,
    /// How often a followed live list is read again whole (`config.json`'s `resync_seconds`).
    pub resync_ms: f64,
}

impl Store {
    pub fn new(source: Source) -> Store {
        Store {
            source,
            connection: Connection::default(),
            live: LiveStatus::Idle,
            paused: false,
            lists: HashMap::new(),
            allocs: HashMap::new(),
            local: None,
            reading: None,
            epoch: 0,
            resync_ms: allocscope_model::config::DEFAULT_RESYNC_SECONDS as f64 * 1000.0,
        }
    }

    pub fn with_resync_ms(mut self, ms: f64) -> Store {
        self.resync_ms = ms;
        self
    }

    pub fn with_connection(mut self, mut connection: Connection) -> Store {
        connection.token = connection.token.filter(|t| !t.is_empty());
        self.connection = connection;
        self
    }

    /// `path` with the connection's query parameters.
    pub fn url(&self, path: &str) -> String {
        self.url_with(path, &[])
    }

    /// `path` with the connection's query parameters, then `extra`. A parameter the path
    /// names itself (a job list's own namespace) wins over the connection's.
    pub fn url_with(&self, path: &str, extra: &[(&str, String)]) -> String {
        let named = |k: &str| path.contains(&format!("?{k}=")) || path.contains(&format!("&{k}="));
        let params = self.connection.params();
        let refs: Vec<(&str, &str)> = params
            .iter()
            .filter(|(k, _)| !named(k))
            .chain(extra.iter())
            .map(|(k, v)| (*k, v.as_str()))
            .collect();
        self.source.url(&allocscope_model::paths::with_params(path, &refs))
    }

    /// Every view loads again: from the opened file, or from the source.
    fn replace_data(&mut self) {
        self.lists.clear();
        self.allocs.clear();
        self.epoch = self.epoch.wrapping_add(1);
    }

    pub fn list(&self, path: &str) -> Entry<Shared<ListData>> {
        self.lists.get(path).cloned().unwrap_or_default()
    }

    pub fn alloc(&self, id: &str) -> Entry<Shared<AllocData>> {
        self.allocs.get(id).cloned().unwrap_or_default()
    }
}

pub enum Action {
    Live(LiveStatus),
    SetPaused(bool),
    ListProgress(String, Progress),
    ListDone(String, Result<Shared<ListData>, FetchError>),
    /// Allocations changed, from a live agent's event stream: applied to the list held.
    ListUpdates(String, Vec<Allocation>),
    /// The agent no longer has this allocation (it answers 404 after it was seen live:
    /// garbage-collected). Its page keeps the last state read; its rows leave every list.
    Gone(String),
    AllocStarted(String),
    AllocDone(String, Result<Shared<AllocData>, FetchError>),
    /// Reading a file: progress, or why it failed (what is shown stays).
    Reading(Option<Reading>),
    /// A file was read and opened: it replaces the source, showing `capture`.
    OpenLocal(Shared<OpenedFile>, usize),
    /// Show another capture of the opened file.
    SelectCapture(usize),
    /// Close the file and go back to the page's source.
    CloseLocal,
}

impl Reducible for Store {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            Action::Live(status) => {
                if next.paused || next.live == status {
                    return self;
                }
                next.live = status;
            }
            Action::SetPaused(p) => {
                next.paused = p;
                next.live = if p { LiveStatus::Paused } else { LiveStatus::Idle };
            }
            Action::ListProgress(path, p) => {
                // Download progress matters while nothing is on screen yet.
                let e = next.lists.entry(path).or_default();
                if e.data.is_none() {
                    e.loading = Some(p);
                }
            }
            Action::ListDone(path, result) => next.lists.entry(path).or_default().finish(result),
            Action::ListUpdates(path, updates) => {
                let Some(held) = next.lists.get(&path).and_then(|e| e.data.clone()) else { return self };
                let applied = allocscope_model::live_events::apply_updates(&held.allocs, &updates);
                if applied.changed == 0 {
                    return self;
                }
                let data = ListData::new(applied.allocations, held.nomad_index);
                next.lists.entry(path).or_default().data = Some(Shared::new(data));
            }
            Action::Gone(id) => {
                let mut changed = false;
                for entry in next.lists.values_mut() {
                    let Some(held) = &entry.data else { continue };
                    if !held.allocs.iter().any(|a| a.id == id) {
                        continue;
                    }
                    let kept: Vec<Allocation> = held.allocs.iter().filter(|a| a.id != id).cloned().collect();
                    entry.data = Some(Shared::new(ListData {
                        partial: held.partial,
                        ..ListData::new(kept, held.nomad_index)
                    }));
                    changed = true;
                }
                if !changed {
                    return self;
                }
            }
            Action::AllocStarted(id) => next.allocs.entry(id).or_default().start(),
            Action::AllocDone(id, result) => next.allocs.entry(id).or_default().finish(result),
            Action::Reading(r) => next.reading = r,
            Action::OpenLocal(file, capture) => {
                next.local = Some(Shared::new(LocalData::new(file, capture)));
                next.reading = None;
                next.replace_data();
            }
            Action::SelectCapture(capture) => {
                let Some(local) = &next.local else { return self };
                if local.capture == capture {
                    return self;
                }
                next.local = Some(Shared::new(LocalData::new(local.file.clone(), capture)));
                next.replace_data();
            }
            Action::CloseLocal => {
                if next.local.is_none() {
                    return self;
                }
                next.local = None;
                next.replace_data();
                next.live = LiveStatus::Idle;
            }
        }
        Rc::new(next)
    }
}

/// The store in context. Yew compares handles by the state each was rendered with (not
/// the live state a handle derefs to), and `Store` compares cheaply: its large values are
/// `Shared`, compared by identity.
#[derive(Clone, PartialEq)]
pub struct StoreContext(pub UseReducerHandle<Store>);

/// Fetch one full allocation into the store.
pub fn fetch_alloc(store: &StoreContext, id: String) {
    let dispatcher = store.0.dispatcher();
    if let Some(local) = &store.0.local {
        dispatcher.dispatch(Action::AllocDone(id.clone(), local_alloc(local, &id)));
        return;
    }
    let url = store.0.url(&allocscope_model::paths::allocation(&id));
    let token = store.0.connection.token.clone();
    dispatcher.dispatch(Action::AllocStarted(id.clone()));
    wasm_bindgen_futures::spawn_local(async move {
        let result =
            api::get(&url, token.as_deref(), &|_| {}).await.and_then(|f| AllocData::decode(&url, &f));
        dispatcher.dispatch(Action::AllocDone(id, result));
    });
}

/// One allocation from the opened file, or why it is not there.
pub fn local_alloc(local: &LocalData, id: &str) -> Result<Shared<AllocData>, FetchError> {
    local.allocation(id).ok_or_else(|| {
        let place = local.describe();
        FetchError::not_in_file(&place, format!("Allocation {id} is not in {place}."), true)
    })
}

/// The opened file's list for any list view (job and node scopes filter it, as for a
/// snapshot), or why the capture cannot be shown.
pub fn local_list(local: &LocalData) -> Result<Shared<ListData>, FetchError> {
    match &local.error {
        None => Ok(local.list.clone()),
        Some(e) => Err(FetchError::not_in_file(&local.describe(), e.clone(), false)),
    }
}

#[hook]
pub fn use_store() -> StoreContext {
    use_context::<StoreContext>().expect("the App provides the store")
}

/// Full allocations from the store, each fetched the first time a view asks for it.
#[hook]
pub fn use_allocs(ids: Vec<String>) -> Vec<Entry<Shared<AllocData>>> {
    let store = use_store();
    let entries = ids.iter().map(|id| store.0.alloc(id)).collect();
    {
        let store = store.clone();
        use_effect_with(ids, move |ids| {
            for id in ids {
                if !store.0.allocs.contains_key(id) {
                    fetch_alloc(&store, id.clone());
                }
            }
        });
    }
    entries
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opening_a_file_replaces_the_data_and_closing_it_goes_back() {
        let json = br#"[{"ID":"a1","TaskGroup":"g","ClientStatus":"running","DesiredStatus":"run"}]"#;
        let file = Shared::new(allocscope_model::opened::open("a.json", json).unwrap());
        let store = Rc::new(Store::new(Source::new("demo/")));
        let data = Shared::new(ListData::new(Vec::new(), None));
        let store = store.reduce(Action::ListDone("v1/allocations".into(), Ok(data)));
        let store = store.reduce(Action::Reading(Some(Reading::Failed("x".into()))));
        let opened = store.clone().reduce(Action::OpenLocal(file, 0));
        // The source's lists are gone (views load again, from the file), the error too.
        assert!(opened.lists.is_empty());
        assert_eq!((opened.epoch, opened.reading.clone()), (store.epoch + 1, None));
        let local = opened.local.clone().unwrap();
        assert_eq!(local.list.allocs[0].id, "a1");
        assert!(local_alloc(&local, "a1").is_ok());
        assert!(local_alloc(&local, "zz").unwrap_err().is_not_found());
        // Selecting the capture already shown changes nothing.
        let same = opened.clone().reduce(Action::SelectCapture(0));
        assert!(Rc::ptr_eq(&same, &opened));
        let closed = opened.clone().reduce(Action::CloseLocal);
        assert!(closed.local.is_none());
        assert_eq!(closed.epoch, opened.epoch + 1);
    }

    #[test]
    fn a_gone_allocation_leaves_every_list_that_holds_it_and_nothing_else_changes() {
        let list = |json: &str| {
            let allocs = decode(json.as_bytes(), DecodeOptions::STRICT).unwrap().allocations;
            Ok(Shared::new(ListData::new(allocs, Some(7))))
        };
        let store = Rc::new(Store::new(Source::new("/")));
        let store = store.reduce(Action::ListDone(
            "v1/allocations".into(),
            list(r#"[{"ID":"a1","TaskGroup":"g"},{"ID":"b2","TaskGroup":"g"}]"#),
        ));
        let store = store.reduce(Action::ListDone(
            "v1/job/j/allocations".into(),
            list(r#"[{"ID":"b2","TaskGroup":"g"}]"#),
        ));
        let gone = store.clone().reduce(Action::Gone("b2".into()));
        let ids = |path: &str| -> Vec<String> {
            gone.list(path).data.unwrap().allocs.iter().map(|a| a.id.clone()).collect()
        };
        assert_eq!(ids("v1/allocations"), ["a1"]);
        assert!(ids("v1/job/j/allocations").is_empty());
        assert_eq!(gone.list("v1/allocations").data.unwrap().nomad_index, Some(7));
        let same = gone.clone().reduce(Action::Gone("zz".into()));
        assert!(Rc::ptr_eq(&same, &gone), "an allocation no list holds changes nothing");
    }

    #[test]
    fn progress_shows_until_the_list_arrives_and_a_failed_refresh_keeps_the_data() {
        let store = Rc::new(Store::new(Source::new("demo/")));
        let p = Progress { received: 1024, total: Some(4096) };
        let store = store.reduce(Action::ListProgress("v1/allocations".into(), p));
        assert_eq!(store.list("v1/allocations").loading, Some(p));
        let data = Shared::new(ListData::new(Vec::new(), None));
        let store = store.reduce(Action::ListDone("v1/allocations".into(), Ok(data.clone())));
        let e = store.list("v1/allocations");
        assert_eq!((e.loading, e.data.as_ref()), (None, Some(&data)));
        let store = store.reduce(Action::ListDone(
            "v1/allocations".into(),
            Err(FetchError::http("demo/v1/allocations", 500, "", "No cluster leader")),
        ));
        let e = store.list("v1/allocations");
        assert_eq!(e.data.as_ref(), Some(&data), "the data already shown stays");
        assert_eq!(e.error.unwrap().status(), Some(500));
    }
}
