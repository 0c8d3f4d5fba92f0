//! Filtering, free-text search and sorting of allocation lists, as pure functions over
//! decoded data. `ListQuery` is also the list view's URL state: it (de)serialises to flat
//! query parameters, so a link reproduces the view.

use crate::allocation::Allocation;
use crate::enums::ClientStatus;
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SortKey {
    /// Newest first by default: what an operator looking at a failure wants.
    #[default]
    Created,
    Modified,
    Id,
    Name,
    Job,
    Group,
    Namespace,
    Node,
    Status,
    Desired,
    Version,
    Restarts,
}

impl SortKey {
    pub const ALL: &'static [SortKey] = &[
        SortKey::Id,
        SortKey::Name,
        SortKey::Job,
        SortKey::Group,
        SortKey::Namespace,
        SortKey::Node,
        SortKey::Status,
        SortKey::Desired,
        SortKey::Version,
        SortKey::Restarts,
        SortKey::Created,
        SortKey::Modified,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            SortKey::Created => "created",
            SortKey::Modified => "modified",
            SortKey::Id => "id",
            SortKey::Name => "name",
            SortKey::Job => "job",
            SortKey::Group => "group",
            SortKey::Namespace => "namespace",
            SortKey::Node => "node",
            SortKey::Status => "status",
            SortKey::Desired => "desired",
            SortKey::Version => "version",
            SortKey::Restarts => "restarts",
        }
    }

    /// Times and counts read best largest first; text reads best A to Z.
    pub fn default_descending(&self) -> bool {
        matches!(self, SortKey::Created | SortKey::Modified | SortKey::Restarts | SortKey::Version)
    }
}

/// The list view's state. Every field is optional in the URL; an empty query lists all.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ListQuery {
    /// Free text; words must all match. `field:value` words match one field
    /// (`id`, `name`, `job`, `group`, `ns`, `node`, `status`, `desired`, `task`).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub q: String,
    /// Client statuses to keep, comma-separated (`failed,lost`); empty keeps all.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub status: String,
    /// Scope to one job ID.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub job: String,
    /// Scope to one node, by ID (or ID prefix) or name.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub node: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub namespace: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub group: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sort: Option<SortKey>,
    /// `asc` or `desc`; absent means the sort key's natural direction.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub dir: String,
    /// A Nomad filter expression (`ClientStatus == "failed"`), evaluated by a live agent.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub filter: String,
}

impl ListQuery {
    pub fn sort_key(&self) -> SortKey {
        self.sort.unwrap_or_default()
    }

    pub fn descending(&self) -> bool {
        match self.dir.as_str() {
            "asc" => false,
            "desc" => true,
            _ => self.sort_key().default_descending(),
        }
    }

    pub fn statuses(&self) -> Vec<ClientStatus> {
        self.status.split(',').map(str::trim).filter(|s| !s.is_empty()).map(ClientStatus::from).collect()
    }

    /// The same query with `status` toggled in or out of the facet selection.
    pub fn toggle_status(&self, status: &ClientStatus) -> ListQuery {
        let mut set = self.statuses();
        if let Some(i) = set.iter().position(|s| s == status) {
            set.remove(i);
        } else {
            set.push(status.clone());
        }
        let mut q = self.clone();
        q.status = set.iter().map(ClientStatus::as_str).collect::<Vec<_>>().join(",");
        q
    }

    /// The same query sorted by `key`; choosing the current key again flips the direction.
    pub fn sorted_by(&self, key: SortKey) -> ListQuery {
        let mut q = self.clone();
        if self.sort_key() == key {
            q.dir = if self.descending() { "asc".into() } else { "desc".into() };
        } else {
            q.dir.clear();
        }
        q.sort = Some(key);
        q
    }

    pub fn is_scoped(&self) -> bool {
        !self.job.is_empty() || !self.node.is_empty() || !self.namespace.is_empty() || !self.group.is_empty()
    }
}

/// Lower-cased search text of every allocation, built once per data set. All rows' text
/// sits in one string (rows separated by NUL), so a search word is found with one substring
/// scan of the whole text, not one search (and searcher set-up) per allocation: at 100,000
/// allocations that is the difference between a keystroke's filter taking about 25 ms and
/// a few.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ListIndex {
    /// Every row's text, each followed by `\0`.
    text: String,
    /// Where each row's text starts in `text`.
    starts: Vec<usize>,
    /// Per row, the lower-cased task names (for `task:` terms).
    tasks: Vec<String>,
}

/// One row's view of the index, for the per-row checks.
struct RowText<'a> {
    tasks: &'a str,
}

impl ListIndex {
    pub fn new(allocs: &[Allocation]) -> ListIndex {
        let mut index = ListIndex {
            text: String::new(),
            starts: Vec::with_capacity(allocs.len()),
            tasks: Vec::with_capacity(allocs.len()),
        };
        for a in allocs {
            let tasks = a.task_states.keys().map(|k| k.to_lowercase()).collect::<Vec<_>>().join("\n");
            let all = [
                a.id.as_str(),
                &a.name,
                &a.job_id,
                &a.task_group,
                a.namespace_or_default(),
                &a.node_id,
                &a.node_name,
                a.client_status.as_str(),
                a.desired_status.as_str(),
                &a.desired_description,
                &a.client_description,
                &tasks,
            ]
            .join("\n")
            .to_lowercase()
            // The separator must never be part of a row's text.
            .replace('\0', " ");
            index.starts.push(index.text.len());
            index.text.push_str(&all);
            index.text.push('\0');
            index.tasks.push(tasks);
        }
        index
    }

    pub fn len(&self) -> usize {
        self.starts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.starts.is_empty()
    }

    fn row(&self, i: usize) -> Option<RowText<'_>> {
        Some(RowText { tasks: self.tasks.get(i)? })
    }

    /// Which rows' text contains `word` (lower-case, without NUL): one scan of all text.
    fn rows_containing(&self, word: &str) -> Vec<bool> {
        let mut hit = vec![false; self.starts.len()];
        if word.is_empty() {
            hit.fill(true);
            return hit;
        }
        let finder = memchr::memmem::Finder::new(word.as_bytes());
        let text = self.text.as_bytes();
        let (mut row, mut pos) = (0usize, 0usize);
        while let Some(off) = text.get(pos..).and_then(|t| finder.find(t)) {
            let at = pos + off;
            // Matches come in text order, so the row only moves forward.
            while row + 1 < self.starts.len() && self.starts[row + 1] <= at {
                row += 1;
            }
            hit[row] = true;
            // One match is enough for a row: go on from the next row's start, so a short,
            // common word costs one search per row at most, not one per occurrence.
            match self.starts.get(row + 1) {
                Some(&next) => pos = next,
                None => break,
            }
        }
        hit
    }

    /// `rows_containing`, looking only at the rows `among` marks: a word that contains an
    /// earlier word can only be in rows that word was in (typing narrows the list).
    fn rows_containing_among(&self, word: &str, among: &[bool]) -> Vec<bool> {
        let finder = memchr::memmem::Finder::new(word.as_bytes());
        let text = self.text.as_bytes();
        (0..self.starts.len())
            .map(|i| {
                among.get(i).copied().unwrap_or(false) && {
                    let end = self.starts.get(i + 1).map_or(text.len(), |&next| next - 1);
                    finder.find(&text[self.starts[i]..end]).is_some()
                }
            })
            .collect()
    }
}

/// The rows each recent search word was found in, for one index. A view keeps one across
/// keystrokes: each new word is then searched only among the rows of the longest earlier
/// word it contains, so typing `checkout` scans the whole index once, at `c`.
#[derive(Debug, Default)]
pub struct SearchCache {
    /// The index the words were searched in (its text's address and length, and its row
    /// count): another index empties the cache.
    index: (usize, usize, usize),
    /// Most recent last; a few dozen words at most.
    words: Vec<(String, Vec<bool>)>,
}

impl SearchCache {
    const KEEP: usize = 32;

    fn hits(&mut self, index: &ListIndex, word: &str) -> Vec<bool> {
        let id = (index.text.as_ptr() as usize, index.text.len(), index.starts.len());
        if self.index != id {
            self.index = id;
            self.words.clear();
        }
        if let Some((_, h)) = self.words.iter().find(|(w, _)| w == word) {
            return h.clone();
        }
        let base = self.words.iter().filter(|(w, _)| word.contains(w.as_str())).max_by_key(|(w, _)| w.len());
        let hits = match base {
            Some((_, among)) => index.rows_containing_among(word, among),
            None => index.rows_containing(word),
        };
        if self.words.len() >= Self::KEEP {
            self.words.remove(0);
        }
        self.words.push((word.to_owned(), hits.clone()));
        hits
    }
}

/// A parsed search word.
enum Term {
    Any(String),
    Field(String, String),
}

fn terms(q: &str) -> Vec<Term> {
    q.split_whitespace()
        .map(|w| {
            let w = w.to_lowercase();
            match w.split_once(':') {
                Some((f, v)) if !v.is_empty() && FIELDS.contains(&f) => {
                    Term::Field(f.to_owned(), v.to_owned())
                }
                _ => Term::Any(w),
            }
        })
        .collect()
}

const FIELDS: &[&str] =
    &["id", "name", "job", "group", "ns", "namespace", "node", "status", "desired", "task"];

fn field_matches(a: &Allocation, row: &RowText<'_>, field: &str, v: &str) -> bool {
    let has = |s: &str| s.to_lowercase().contains(v);
    match field {
        "id" => a.id.to_lowercase().starts_with(v),
        "name" => has(&a.name),
        "job" => has(&a.job_id),
        "group" => has(&a.task_group),
        "ns" | "namespace" => has(a.namespace_or_default()),
        "node" => a.node_id.to_lowercase().starts_with(v) || has(&a.node_name),
        "status" => a.client_status.as_str().eq_ignore_ascii_case(v),
        "desired" => a.desired_status.as_str().eq_ignore_ascii_case(v),
        "task" => row.tasks.contains(v),
        _ => false,
    }
}

/// Free-text words resolved against the index once per query: for each, which rows hold it.
struct TextHits(Vec<Vec<bool>>);

impl TextHits {
    fn new(index: &ListIndex, terms: &[Term], cache: &mut SearchCache) -> TextHits {
        TextHits(
            terms
                .iter()
                .filter_map(|t| match t {
                    // A NUL can never match: it only separates rows.
                    Term::Any(w) if w.contains('\0') => Some(vec![false; index.len()]),
                    Term::Any(w) => Some(cache.hits(index, w)),
                    Term::Field(..) => None,
                })
                .collect(),
        )
    }

    fn all(&self, i: usize) -> bool {
        self.0.iter().all(|h| h.get(i).copied().unwrap_or(false))
    }
}

/// Everything but the status facet, so facet counts can show what a click would add.
fn matches_scope_and_text(
    a: &Allocation,
    i: usize,
    row: &RowText<'_>,
    q: &ListQuery,
    terms: &[Term],
    hits: &TextHits,
) -> bool {
    if !q.job.is_empty() && a.job_id != q.job {
        return false;
    }
    let on_node = a.node_id.starts_with(&q.node) || a.node_name == q.node;
    if !q.node.is_empty() && !on_node {
        return false;
    }
    if !q.namespace.is_empty() && q.namespace != "*" && a.namespace_or_default() != q.namespace {
        return false;
    }
    if !q.group.is_empty() && a.task_group != q.group {
        return false;
    }
    hits.all(i)
        && terms.iter().all(|t| match t {
            Term::Any(_) => true,
            Term::Field(f, v) => field_matches(a, row, f, v),
        })
}

/// Indices of the allocations the query keeps, in the query's order.
pub fn select(allocs: &[Allocation], index: &ListIndex, q: &ListQuery) -> Vec<usize> {
    let order = sorted_order(allocs, q.sort_key(), q.descending());
    select_in_order(allocs, index, &order, q).rows
}

/// Every allocation's index, sorted for a view's sort key and direction. A view computes it
/// once per data set and sort, so a keystroke in the search box only filters.
pub fn sorted_order(allocs: &[Allocation], key: SortKey, descending: bool) -> Vec<usize> {
    let mut order: Vec<usize> = (0..allocs.len()).collect();
    sort_indices(allocs, &mut order, key, descending);
    order
}

/// What the list shows for a query: the rows it keeps and the status facet counts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selection {
    /// Indices into the allocations, in display order.
    pub rows: Vec<usize>,
    /// As [`status_facets`].
    pub facets: Vec<(ClientStatus, usize)>,
}

/// Filter `order` (from [`sorted_order`] for the query's sort) by the query, counting the
/// status facets in the same pass: one scan of the search index per keystroke, no sorting.
pub fn select_in_order(
    allocs: &[Allocation],
    index: &ListIndex,
    order: &[usize],
    q: &ListQuery,
) -> Selection {
    select_in_order_cached(allocs, index, order, q, &mut SearchCache::default())
}

/// [`select_in_order`] with a [`SearchCache`] the caller keeps for this index between
/// queries (a new index needs a new cache).
pub fn select_in_order_cached(
    allocs: &[Allocation],
    index: &ListIndex,
    order: &[usize],
    q: &ListQuery,
    cache: &mut SearchCache,
) -> Selection {
    debug_assert_eq!(allocs.len(), index.len());
    let terms = terms(&q.q);
    let hits = TextHits::new(index, &terms, cache);
    let statuses = q.statuses();
    let mut counts: Vec<(ClientStatus, usize)> = ClientStatus::KNOWN.iter().map(|s| (s.clone(), 0)).collect();
    let mut rows = Vec::new();
    for &i in order {
        let (Some(a), Some(row)) = (allocs.get(i), index.row(i)) else { continue };
        if !matches_scope_and_text(a, i, &row, q, &terms, &hits) {
            continue;
        }
        match counts.iter_mut().find(|(s, _)| *s == a.client_status) {
            Some((_, n)) => *n += 1,
            None => counts.push((a.client_status.clone(), 1)),
        }
        if statuses.is_empty() || statuses.contains(&a.client_status) {
            rows.push(i);
        }
    }
    sort_facets(&mut counts);
    Selection { rows, facets: counts }
}

fn sort_facets(counts: &mut [(ClientStatus, usize)]) {
    crate::sort::sort_by(counts, |(a, _), (b, _)| {
        a.rank().cmp(&b.rank()).then_with(|| a.as_str().cmp(b.as_str()))
    });
}

/// Sort row indices by `key`; ties fall back to newest first, then ID, so the order is
/// total and stable across reloads.
pub fn sort_indices(allocs: &[Allocation], rows: &mut [usize], key: SortKey, descending: bool) {
    let cmp = |x: &usize, y: &usize| {
        let (a, b) = (&allocs[*x], &allocs[*y]);
        let primary = compare(a, b, key);
        let primary = if descending { primary.reverse() } else { primary };
        primary.then_with(|| b.create_time.cmp(&a.create_time)).then_with(|| a.id.cmp(&b.id))
    };
    crate::sort::sort_by(rows, cmp);
}

fn compare(a: &Allocation, b: &Allocation, key: SortKey) -> Ordering {
    match key {
        SortKey::Created => a.create_time.cmp(&b.create_time),
        SortKey::Modified => a.modify_time.cmp(&b.modify_time),
        SortKey::Id => a.id.cmp(&b.id),
        SortKey::Name => natural_cmp(&a.name, &b.name),
        SortKey::Job => a.job_id.cmp(&b.job_id),
        SortKey::Group => a.task_group.cmp(&b.task_group),
        SortKey::Namespace => a.namespace_or_default().cmp(b.namespace_or_default()),
        SortKey::Node => node_label(a).cmp(node_label(b)),
        SortKey::Status => a.client_status.rank().cmp(&b.client_status.rank()),
        SortKey::Desired => a.desired_status.as_str().cmp(b.desired_status.as_str()),
        SortKey::Version => a.job_version().cmp(&b.job_version()),
        SortKey::Restarts => a.total_restarts().cmp(&b.total_restarts()),
    }
}

fn node_label(a: &Allocation) -> &str {
    if a.node_name.is_empty() {
        &a.node_id
    } else {
        &a.node_name
    }
}

/// `web[2]` before `web[10]`: compare the slot index numerically when the prefixes match.
pub fn natural_cmp(a: &str, b: &str) -> Ordering {
    let split = |s: &str| -> (String, Option<u64>) {
        match s.rfind('[') {
            Some(i) if s.ends_with(']') => (s[..i].to_owned(), s[i + 1..s.len() - 1].parse().ok()),
            _ => (s.to_owned(), None),
        }
    };
    let (pa, na) = split(a);
    let (pb, nb) = split(b);
    pa.cmp(&pb).then(na.cmp(&nb)).then_with(|| a.cmp(b))
}

/// Client-status counts among the allocations that match everything except the status
/// facet: known statuses in Nomad's order, then unknown ones by name. Zero counts of
/// known statuses are kept, so the facet bar does not jump around.
pub fn status_facets(allocs: &[Allocation], index: &ListIndex, q: &ListQuery) -> Vec<(ClientStatus, usize)> {
    let terms = terms(&q.q);
    let mut counts: Vec<(ClientStatus, usize)> = ClientStatus::KNOWN.iter().map(|s| (s.clone(), 0)).collect();
    let hits = TextHits::new(index, &terms, &mut SearchCache::default());
    for (i, a) in allocs.iter().enumerate() {
        let Some(row) = index.row(i) else { continue };
        if !matches_scope_and_text(a, i, &row, q, &terms, &hits) {
            continue;
        }
        match counts.iter_mut().find(|(s, _)| *s == a.client_status) {
            Some((_, n)) => *n += 1,
            None => counts.push((a.client_status.clone(), 1)),
        }
    }
    sort_facets(&mut counts);
    counts
}
