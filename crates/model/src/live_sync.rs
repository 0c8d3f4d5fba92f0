//! When a live view reads, follows, backs off and re-syncs: a pure state machine of
//! (state, what happened, now) → what to do next. The app's driver (`src/live.rs`) runs the
//! commands (HTTP requests, timers, store updates) and feeds their outcomes back; every
//! decision is here, so it is tested natively with table tests.
//!
//! A list that the agent's event stream can follow (`paths::list_events`) is read in full,
//! and the stream is opened at the first page's index while the other pages are still being
//! read, so nothing that changes during a long read is lost. What arrives is held and folded
//! into the list (the newest `ModifyIndex` wins, [`Held`]). The stream cannot say that it
//! lost events (docs/nomad-live.md §3): Nomad starts a subscription at the
//! oldest buffered item when the index asked for is older, without an error. So wherever a
//! loss cannot be ruled out the list is read again, and the header says re-syncing:
//! - the first event frame of a subscription is newer than the index subscribed at (the item
//!   at that index, which Nomad would have sent again, is no longer buffered, or was not an
//!   event of this list);
//! - an update names an allocation the list lacks (a placement: its event lacks the job's
//!   type and version that a list row has);
//! - the stream ended after it had worked (events sent while it was down are not replayed
//!   reliably).
//!
//! A list is also read in full every `resync_ms`: Nomad announces no garbage collection.
//! A stream that ends (or stays silent) before its first `{}` (Nomad 1.11.2+ refuses that
//! way, with a 200), answers an error status, or garbles is not tried again for that view:
//! blocking queries keep it current instead, as they do for one allocation and for lists
//! the stream cannot follow. One that worked and then goes silent past Nomad's heartbeats
//! has ended (1.11.2+ does not close it), and is handled as one that closed.

use crate::allocation::Allocation;
use crate::live_events::apply_updates_in_place;

/// The timings; [`Policy::default`] holds the app's.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Policy {
    /// A followed list is read again in full this often; 0: never.
    pub resync_ms: f64,
    /// Two reads of one view never start closer than this, whatever the server does.
    pub min_read_interval_ms: f64,
    pub max_backoff_ms: f64,
    /// Nomad sends `{}` every 30 s; a stream that worked and is then silent this long has
    /// ended without a close: from 1.11.2 Nomad leaves the hijacked connection open when the
    /// stream ends (a lost leader, an expired token), until Go collects it.
    pub silence_ms: f64,
    /// Held updates are folded into the list on screen at most this often: each fold copies
    /// the list and indexes it again.
    pub apply_every_ms: f64,
    /// A stream that worked but ended sooner than this counts as a failure for backoff.
    pub short_stream_ms: f64,
    /// Nomad sends `{}` as soon as a subscription starts. From 1.11.2 a refused one is a
    /// `200 OK` followed by nothing at all (the hijacked connection is left open): a stream
    /// without its `{}` this long after it was asked for is that refusal.
    pub first_heartbeat_ms: f64,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            resync_ms: 300_000.0,
            min_read_interval_ms: 1_000.0,
            max_backoff_ms: 30_000.0,
            silence_ms: 45_000.0,
            apply_every_ms: 1_000.0,
            short_stream_ms: 10_000.0,
            first_heartbeat_ms: 10_000.0,
        }
    }
}

impl Policy {
    /// 1 s, 2 s, 4 s, … up to `max_backoff_ms`, for the n-th failure in a row.
    pub fn backoff_ms(&self, failures: u32) -> f64 {
        (1000.0 * f64::from(1u32 << failures.saturating_sub(1).min(10))).min(self.max_backoff_ms)
    }
}

/// What a view shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ViewKind {
    /// A list; `follow`: the agent's event stream can keep it current.
    List { follow: bool },
    /// One allocation.
    Alloc,
}

/// What the app already holds for the view when it is opened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Known {
    Nothing,
    /// A static snapshot's data: never read again.
    Snapshot,
    /// Live data at this index.
    Live(u64),
}

impl Known {
    /// From the index of the data a view holds, if any (`None` inside: a snapshot's data).
    pub fn of_held(held: Option<Option<u64>>) -> Known {
        match held {
            None => Known::Nothing,
            Some(None) => Known::Snapshot,
            Some(Some(n)) => Known::Live(n),
        }
    }
}

/// How a read failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadFailure {
    /// The view was left.
    Cancelled,
    /// No HTTP answer (connection refused, reset, timed out).
    Network,
    Status(u16),
    /// A 503 or 429 with `Retry-After`: the server (allocscope serve at its upstream limit,
    /// or a proxy) is busy and says when to ask again. Retried even before the first answer.
    Busy {
        retry_after_ms: u32,
    },
    /// An answer that is not what was asked for (bad JSON, a wrong shape, too large).
    Unusable,
}

impl ReadFailure {
    /// Whether it may go away by itself (a server or network failure), as opposed to one that
    /// needs the user (a wrong path, a missing token, bad data).
    pub fn transient(self) -> bool {
        match self {
            ReadFailure::Network | ReadFailure::Busy { .. } => true,
            ReadFailure::Status(s) => s >= 500 || s == 408 || s == 429,
            ReadFailure::Cancelled | ReadFailure::Unusable => false,
        }
    }
}

/// How an event stream ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StreamEnd {
    /// The body ended (the server closed it).
    Closed,
    /// The connection broke.
    Broken,
    /// An HTTP error status (Nomad before 1.11.2 refusing; before 1.0, no such endpoint).
    Refused(u16),
    /// What arrived is not an event stream.
    Garbled,
}

/// What happened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    /// The view opened.
    Start(Known),
    /// A list read's first page arrived; `index`: its `X-Nomad-Index` (none: a snapshot).
    FirstPage {
        index: Option<u64>,
    },
    /// A read (a list's every page, or one allocation) ended; `Ok(index)` (none: a static
    /// snapshot). `missed`: updates held during the read name allocations the new list lacks.
    ReadDone {
        result: Result<Option<u64>, ReadFailure>,
        missed: bool,
    },
    /// `{}` arrived.
    Heartbeat,
    /// A frame of events at raft `index`; `unknown`: it holds an allocation the list on screen
    /// lacks.
    Frame {
        index: u64,
        unknown: bool,
    },
    StreamEnded(StreamEnd),
    /// A time asked for with [`Command::WakeAt`] has come.
    Tick,
}

/// What to do.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    /// Read the list (every page) or the allocation; `blocking_from`: as a blocking query
    /// from that index. `resync`: a list already on screen is read again whole.
    Read {
        blocking_from: Option<u64>,
        resync: bool,
    },
    /// Open the event stream at `index`.
    Subscribe {
        index: u64,
    },
    CloseStream,
    /// Fold the updates held into the list on screen.
    Apply,
    /// Send `Tick` at this time (ms, the same clock as `now`).
    WakeAt(f64),
    Status(SyncStatus),
    /// The allocation the view shows answers 404 after it was seen live: garbage-collected.
    Gone,
    /// Nothing more happens until the user retries.
    Stop,
}

/// What the header says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyncStatus {
    /// The view shows the agent's state as of now.
    Live,
    /// A list on screen is being read again (a possible loss, or the periodic re-sync).
    Resyncing,
    /// The last request failed; the next try is in `retry_in_ms`.
    Reconnecting { attempt: u32, retry_in_ms: u32 },
    /// A static snapshot: read once.
    Snapshot,
    /// Not kept current (stopped on an error the user must act on).
    Idle,
}

/// A read to start at `at`.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Planned {
    at: f64,
    blocking_from: Option<u64>,
    resync: bool,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Stream {
    /// Not open; may be opened.
    Off,
    /// Asked for at `at`; `heartbeat`: `{}` came; `checked`: the first frame was checked
    /// against `at`.
    Open { at: u64, since: f64, heartbeat: bool, checked: bool, last_bytes: f64 },
    /// Not to be used again for this view: blocking queries instead.
    Unusable,
}

/// The state of one live view. See the module docs.
#[derive(Clone, Debug, PartialEq)]
pub struct LiveSync {
    kind: ViewKind,
    policy: Policy,
    /// The index of the data held.
    index: u64,
    seen_live: bool,
    failures: u32,
    stream_failures: u32,
    reading: bool,
    /// The read running replaces a whole list already on screen (not a first load, whose
    /// pages are shown as they come): updates may be folded into the list meanwhile.
    reading_over_shown: bool,
    last_read_start: Option<f64>,
    stream: Stream,
    /// A full read is owed (a possible loss); it starts when the current read ends.
    resync_owed: bool,
    /// A read waiting for its time.
    scheduled: Option<Planned>,
    resync_at: Option<f64>,
    apply_owed: bool,
    last_apply: Option<f64>,
    /// The earliest `WakeAt` sent and not yet answered by a `Tick`.
    wake_at: Option<f64>,
    stopped: bool,
}

impl LiveSync {
    pub fn new(kind: ViewKind, policy: Policy) -> LiveSync {
        LiveSync {
            kind,
            policy,
            index: 0,
            seen_live: false,
            failures: 0,
            stream_failures: 0,
            reading: false,
            reading_over_shown: false,
            last_read_start: None,
            stream: Stream::Off,
            resync_owed: false,
            scheduled: None,
            resync_at: None,
            apply_owed: false,
            last_apply: None,
            wake_at: None,
            stopped: false,
        }
    }

    /// Whether the event stream keeps this view current (as opposed to blocking queries).
    pub fn following(&self) -> bool {
        matches!(self.kind, ViewKind::List { follow: true }) && self.stream != Stream::Unusable
    }

    pub fn is_stopped(&self) -> bool {
        self.stopped
    }

    /// Take in what happened at `now`; returns what to do, in order.
    pub fn step(&mut self, input: Input, now: f64) -> Vec<Command> {
        let mut out = Vec::new();
        if self.stopped {
            return out;
        }
        match input {
            Input::Start(known) => self.start(known, now, &mut out),
            Input::FirstPage { index } => {
                if let Some(n) = index.filter(|n| *n > 0) {
                    if self.following() && self.stream == Stream::Off {
                        self.subscribe(n, now, &mut out);
                    }
                }
            }
            Input::ReadDone { result, missed } => self.read_done(result, missed, now, &mut out),
            Input::Heartbeat => {
                if let Stream::Open { heartbeat, last_bytes, .. } = &mut self.stream {
                    *heartbeat = true;
                    *last_bytes = now;
                }
            }
            Input::Frame { index, unknown } => self.frame(index, unknown, now, &mut out),
            Input::StreamEnded(end) => self.stream_ended(end, now, &mut out),
            Input::Tick => {
                self.wake_at = self.wake_at.filter(|t| *t > now);
                self.tick(now, &mut out);
            }
        }
        if !self.stopped {
            self.schedule_wake(&mut out);
        }
        out
    }

    fn start(&mut self, known: Known, now: f64, out: &mut Vec<Command>) {
        match known {
            Known::Snapshot => {
                out.push(Command::Status(SyncStatus::Snapshot));
                self.stopped = true;
            }
            Known::Nothing => self.read(None, false, now, out),
            Known::Live(n) => {
                self.index = n;
                self.seen_live = true;
                out.push(Command::Status(SyncStatus::Live));
                if self.following() {
                    // Held data may be old: the gap rule decides whether to read it again.
                    self.subscribe(n, now, out);
                    self.resync_at = self.resync_after(now);
                } else {
                    self.read(Some(n), false, now, out);
                }
            }
        }
    }

    fn resync_after(&self, now: f64) -> Option<f64> {
        (self.policy.resync_ms > 0.0).then_some(now + self.policy.resync_ms)
    }

    /// Start a read now, or plan it for when the minimum interval allows.
    fn read(&mut self, blocking_from: Option<u64>, resync: bool, now: f64, out: &mut Vec<Command>) {
        let earliest = self.last_read_start.map(|t| t + self.policy.min_read_interval_ms).unwrap_or(now);
        self.plan(earliest.max(now), blocking_from, resync, now, out);
    }

    /// Start a read at `at` (now, if it has come).
    fn plan(&mut self, at: f64, blocking_from: Option<u64>, resync: bool, now: f64, out: &mut Vec<Command>) {
        let resync = resync && self.seen_live;
        if resync {
            out.push(Command::Status(SyncStatus::Resyncing));
        }
        if at > now {
            self.scheduled = Some(Planned { at, blocking_from, resync });
            return;
        }
        self.scheduled = None;
        self.reading = true;
        self.reading_over_shown = self.seen_live;
        self.last_read_start = Some(now);
        out.push(Command::Read { blocking_from, resync });
    }

    fn subscribe(&mut self, at: u64, now: f64, out: &mut Vec<Command>) {
        self.stream = Stream::Open { at, since: now, heartbeat: false, checked: false, last_bytes: now };
        out.push(Command::Subscribe { index: at });
    }

    fn read_done(
        &mut self,
        result: Result<Option<u64>, ReadFailure>,
        missed: bool,
        now: f64,
        out: &mut Vec<Command>,
    ) {
        self.reading = false;
        match result {
            Err(ReadFailure::Cancelled) => self.stopped = true,
            Ok(None) => {
                self.close_stream(out);
                out.push(Command::Status(SyncStatus::Snapshot));
                self.stopped = true;
            }
            Ok(Some(n)) => {
                self.failures = 0;
                self.seen_live = true;
                let restored = n < self.index;
                self.index = n;
                if self.following() {
                    // A cluster restored from a snapshot starts its indexes lower: subscribe
                    // again from there.
                    if restored && matches!(self.stream, Stream::Open { .. }) {
                        self.close_stream(out);
                    }
                    if self.stream == Stream::Off {
                        self.subscribe(n, now, out);
                    }
                    if std::mem::take(&mut self.resync_owed) || missed {
                        self.read(None, true, now, out);
                    } else {
                        out.push(Command::Status(SyncStatus::Live));
                        self.resync_at = self.resync_after(now);
                    }
                } else {
                    out.push(Command::Status(SyncStatus::Live));
                    self.resync_owed = false;
                    self.read(Some(n), false, now, out);
                }
            }
            Err(f) => {
                self.failures += 1;
                if self.kind == ViewKind::Alloc && f == ReadFailure::Status(404) && self.seen_live {
                    self.close_stream(out);
                    out.push(Command::Gone);
                    out.push(Command::Status(SyncStatus::Idle));
                    out.push(Command::Stop);
                    self.stopped = true;
                } else if (self.seen_live && f.transient()) || matches!(f, ReadFailure::Busy { .. }) {
                    // Everything is read again once the agent answers; a blocking query would
                    // wait for the next change before showing that it is back.
                    self.close_stream(out);
                    let asked = match f {
                        ReadFailure::Busy { retry_after_ms } => f64::from(retry_after_ms),
                        _ => 0.0,
                    };
                    let wait = self.policy.backoff_ms(self.failures).max(asked);
                    self.resync_owed = false;
                    out.push(Command::Status(SyncStatus::Reconnecting {
                        attempt: self.failures,
                        retry_in_ms: wait as u32,
                    }));
                    self.plan(now + wait, None, false, now, out);
                } else {
                    self.close_stream(out);
                    out.push(Command::Status(SyncStatus::Idle));
                    out.push(Command::Stop);
                    self.stopped = true;
                }
            }
        }
    }

    fn close_stream(&mut self, out: &mut Vec<Command>) {
        if matches!(self.stream, Stream::Open { .. }) {
            self.stream = Stream::Off;
            out.push(Command::CloseStream);
        }
    }

    fn frame(&mut self, index: u64, unknown: bool, now: f64, out: &mut Vec<Command>) {
        let Stream::Open { at, checked, last_bytes, heartbeat, .. } = &mut self.stream else { return };
        *last_bytes = now;
        *heartbeat = true;
        let gap = !*checked && index > *at;
        *checked = true;
        // Updates for allocations the list lacks are counted at the end of a read instead
        // (`missed`): the read may bring them.
        if gap || (unknown && !self.reading) {
            if self.reading {
                self.resync_owed = true;
            } else {
                self.read(None, true, now, out);
            }
        }
        if self.may_apply() {
            self.apply(now, out);
        }
    }

    /// Updates can be folded into the list on screen: no read runs, or one that replaces a
    /// list already whole on screen (so a change shows at once while a re-sync reads).
    fn may_apply(&self) -> bool {
        !self.reading || self.reading_over_shown
    }

    fn apply(&mut self, now: f64, out: &mut Vec<Command>) {
        match self.last_apply {
            Some(t) if now - t < self.policy.apply_every_ms => self.apply_owed = true,
            _ => {
                self.apply_owed = false;
                self.last_apply = Some(now);
                out.push(Command::Apply);
                // Current as of now, unless a read is owed because something may be missing.
                if self.scheduled.is_none() && !self.reading {
                    out.push(Command::Status(SyncStatus::Live));
                }
            }
        }
    }

    fn stream_ended(&mut self, end: StreamEnd, now: f64, out: &mut Vec<Command>) {
        let Stream::Open { heartbeat, since, .. } = self.stream else { return };
        let worked = heartbeat && matches!(end, StreamEnd::Closed | StreamEnd::Broken);
        if !worked {
            // An error status, garbage, or a close before the first `{}` (Nomad 1.11.2+'s
            // refusal): trying again would fail the same way, and read the list each time.
            self.stream = Stream::Unusable;
            if !self.reading && self.scheduled.is_none() {
                self.read(Some(self.index), false, now, out);
            }
            return;
        }
        self.stream = Stream::Off;
        if now - since < self.policy.short_stream_ms {
            self.stream_failures += 1;
        } else {
            self.stream_failures = 0;
        }
        // What changed while it was down may be lost: read again, then subscribe at the
        // read's index. A stream that keeps ending soon waits longer each time.
        if self.reading {
            self.resync_owed = true;
        } else if self.stream_failures > 1 {
            let wait = self.policy.backoff_ms(self.stream_failures - 1);
            self.plan(now + wait, None, true, now, out);
        } else {
            self.read(None, true, now, out);
        }
    }

    fn tick(&mut self, now: f64, out: &mut Vec<Command>) {
        if let Stream::Open { last_bytes, since, heartbeat, .. } = self.stream {
            // No `{}` at all: refused (or a proxy that holds the stream back), as if it had
            // ended before its first heartbeat. Silent after it worked: it ended.
            if !heartbeat && now - since >= self.policy.first_heartbeat_ms {
                out.push(Command::CloseStream);
                self.stream_ended(StreamEnd::Closed, now, out);
            } else if heartbeat && now - last_bytes >= self.policy.silence_ms {
                out.push(Command::CloseStream);
                self.stream_ended(StreamEnd::Broken, now, out);
            }
        }
        if self.apply_owed && self.may_apply() {
            self.apply(now, out);
        }
        if self.reading {
            return;
        }
        if let Some(p) = self.scheduled {
            if p.at <= now {
                // The stream may have become unusable since: a list then blocks from its index.
                let blocking_from = if self.following() || p.resync { None } else { p.blocking_from };
                self.plan(now, blocking_from, p.resync, now, out);
                return;
            }
        }
        if self.following() {
            if let Some(at) = self.resync_at {
                if at <= now {
                    self.resync_at = None;
                    self.read(None, true, now, out);
                }
            }
        }
    }

    fn schedule_wake(&mut self, out: &mut Vec<Command>) {
        let mut times: Vec<f64> = Vec::new();
        if let Some(p) = self.scheduled {
            times.push(p.at);
        }
        if !self.reading {
            if let Some(at) = self.resync_at.filter(|_| self.following()) {
                times.push(at);
            }
        }
        if self.apply_owed && self.may_apply() {
            times.push(self.last_apply.unwrap_or(0.0) + self.policy.apply_every_ms);
        }
        if let Stream::Open { last_bytes, since, heartbeat, .. } = self.stream {
            times.push(last_bytes + self.policy.silence_ms);
            if !heartbeat {
                times.push(since + self.policy.first_heartbeat_ms);
            }
        }
        let Some(earliest) = times.into_iter().reduce(f64::min) else { return };
        if self.wake_at.is_none_or(|w| earliest < w) {
            self.wake_at = Some(earliest);
            out.push(Command::WakeAt(earliest));
        }
    }
}

/// Updates from the event stream, held until they can be folded into the list: at once
/// while no read runs, and into the new list when a read ends (an update that arrived while
/// a page was being read may or may not be in that page; the newest `ModifyIndex` wins).
#[derive(Clone, Debug, Default)]
pub struct Held {
    before_read: Vec<Allocation>,
    during_read: Vec<Allocation>,
    reading: bool,
}

impl Held {
    pub fn new() -> Held {
        Held::default()
    }

    pub fn hold(&mut self, updates: Vec<Allocation>) {
        if self.reading {
            self.during_read.extend(updates);
        } else {
            self.before_read.extend(updates);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.before_read.is_empty() && self.during_read.is_empty()
    }

    /// A full read starts: what arrives from now on may be missing from its pages.
    pub fn read_started(&mut self) {
        self.reading = true;
    }

    /// The updates to fold into the list on screen now, forgotten once taken. While a read
    /// runs they are kept as well, for the new list.
    pub fn take(&mut self) -> Vec<Allocation> {
        if self.reading {
            self.before_read.iter().chain(&self.during_read).cloned().collect()
        } else {
            std::mem::take(&mut self.before_read)
        }
    }

    /// A full read ended with `list`: every update held is folded into it (in place); returns
    /// how many of the updates that arrived during the read name allocations the list lacks
    /// (a placement made after its page was read: read again). Updates from before the read
    /// for allocations it lacks are of allocations already gone, and are dropped.
    pub fn read_done(&mut self, list: &mut [Allocation]) -> usize {
        self.reading = false;
        let mut all = std::mem::take(&mut self.before_read);
        let during = std::mem::take(&mut self.during_read);
        let missed = {
            let ids: std::collections::HashSet<&str> = list.iter().map(|a| a.id.as_str()).collect();
            let mut missed: Vec<&str> =
                during.iter().map(|a| a.id.as_str()).filter(|id| !ids.contains(id)).collect();
            missed.sort_unstable();
            missed.dedup();
            missed.len()
        };
        all.extend(during);
        apply_updates_in_place(list, &all);
        missed
    }

    /// A read failed: what it would have taken stays held for the next.
    pub fn read_failed(&mut self) {
        self.reading = false;
        let during = std::mem::take(&mut self.during_read);
        self.before_read.extend(during);
    }
}

#[cfg(test)]
#[path = "live_sync_tests.rs"]
mod tests;
