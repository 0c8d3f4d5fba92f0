//! Filtering, search, facets and sorting of allocation lists.

mod common;

use allocscope_model::*;
use common::*;

fn data() -> Vec<Allocation> {
    let mut all = decode_fixture("v1-list-stubs.json", DecodeOptions::STRICT);
    all.extend(decode_fixture("future-enums.json", DecodeOptions::STRICT));
    all
}

fn names(all: &[Allocation], rows: &[usize]) -> Vec<String> {
    rows.iter().map(|&i| all[i].short_id().to_owned()).collect()
}

#[test]
fn default_order_is_newest_first() {
    let all = data();
    let idx = ListIndex::new(&all);
    let rows = select(&all, &idx, &ListQuery::default());
    assert_eq!(names(&all, &rows), vec!["e4f5a6b7", "f0e1d2c3", "d3a1c2b4", "c2b1a0f9", "b1a0f9e8"]);
}

#[test]
fn free_text_and_field_terms() {
    let all = data();
    let idx = ListIndex::new(&all);
    let q = |s: &str| ListQuery { q: s.into(), ..Default::default() };
    assert_eq!(names(&all, &select(&all, &idx, &q("EU-1B"))), vec!["c2b1a0f9"], "case-insensitive node name");
    assert_eq!(select(&all, &idx, &q("checkout failed")).len(), 2, "all words must match");
    assert_eq!(names(&all, &select(&all, &idx, &q("status:pending"))), vec!["e4f5a6b7"]);
    assert_eq!(names(&all, &select(&all, &idx, &q("id:d3a1"))), vec!["d3a1c2b4"]);
    assert_eq!(select(&all, &idx, &q("task:api")).len(), 3);
    assert_eq!(select(&all, &idx, &q("ns:batch")).len(), 1);
    assert_eq!(
        names(&all, &select(&all, &idx, &q("hibernating"))),
        vec!["f0e1d2c3"],
        "unknown status searchable"
    );
    assert!(select(&all, &idx, &q("nothing-like-this")).is_empty());
    // A colon word with an unknown field is plain text.
    assert!(select(&all, &idx, &q("foo:bar")).is_empty());
}

#[test]
fn scopes_and_status_facets() {
    let all = data();
    let idx = ListIndex::new(&all);
    let q = ListQuery { job: "checkout-api".into(), ..Default::default() };
    assert_eq!(select(&all, &idx, &q).len(), 3);
    let facets = status_facets(&all, &idx, &q);
    let get = |s: ClientStatus| facets.iter().find(|(f, _)| *f == s).map(|(_, n)| *n);
    assert_eq!(get(ClientStatus::Failed), Some(2));
    assert_eq!(get(ClientStatus::Running), Some(1));
    assert_eq!(get(ClientStatus::Lost), Some(0), "known statuses keep a zero count");
    // Selecting a facet narrows the rows but not the facet counts.
    let failed = q.toggle_status(&ClientStatus::Failed);
    assert_eq!(failed.status, "failed");
    assert_eq!(select(&all, &idx, &failed).len(), 2);
    assert_eq!(status_facets(&all, &idx, &failed), facets);
    assert_eq!(failed.toggle_status(&ClientStatus::Failed).status, "");
    // Node scope takes an ID prefix or a name.
    let by_node = ListQuery { node: "nomad-client-eu-1a-03".into(), ..Default::default() };
    assert_eq!(names(&all, &select(&all, &idx, &by_node)), vec!["d3a1c2b4"]);
    let by_prefix = ListQuery { node: "2b3c4d5e".into(), ..Default::default() };
    assert_eq!(names(&all, &select(&all, &idx, &by_prefix)), vec!["c2b1a0f9"]);
    // Unknown statuses get their own facet after the known ones.
    let all_facets = status_facets(&all, &idx, &ListQuery::default());
    assert_eq!(all_facets.last().unwrap(), &(ClientStatus::Other("hibernating".into()), 1));
}

#[test]
fn sorting_toggles_direction_and_is_total() {
    let all = data();
    let idx = ListIndex::new(&all);
    let by_status = ListQuery::default().sorted_by(SortKey::Status);
    assert!(!by_status.descending());
    let rows = select(&all, &idx, &by_status);
    let statuses: Vec<&str> = rows.iter().map(|&i| all[i].client_status.as_str()).collect();
    assert_eq!(statuses, vec!["pending", "running", "failed", "failed", "hibernating"]);
    let flipped = by_status.sorted_by(SortKey::Status);
    assert_eq!(flipped.dir, "desc");
    let rows2 = select(&all, &idx, &flipped);
    assert_eq!(rows2.first(), rows.last());
    // Slot indices sort numerically.
    let mut two = vec![all[0].clone(), all[0].clone()];
    two[0].name = "web.g[10]".into();
    two[1].name = "web.g[2]".into();
    let i2 = ListIndex::new(&two);
    let rows = select(&two, &i2, &ListQuery::default().sorted_by(SortKey::Name));
    assert_eq!(rows, vec![1, 0]);
}

#[test]
fn query_survives_the_url() {
    let q = ListQuery {
        q: "oom <script>".into(),
        status: "failed,lost".into(),
        job: "checkout-api".into(),
        sort: Some(SortKey::Modified),
        dir: "asc".into(),
        ..Default::default()
    };
    let text = serde_json::to_value(&q).unwrap();
    assert_eq!(text.as_object().unwrap().len(), 5, "empty fields stay out of the URL");
    let back: ListQuery = serde_json::from_value(text).unwrap();
    assert_eq!(back, q);
    assert_eq!(back.statuses(), vec![ClientStatus::Failed, ClientStatus::Lost]);
    let empty: ListQuery = serde_json::from_str("{}").unwrap();
    assert_eq!(empty, ListQuery::default());
    assert_eq!(empty.sort_key(), SortKey::Created);
    assert!(empty.descending());
}

/// The list view filters a precomputed order and counts facets in the same pass; it must
/// give exactly what `select` and `status_facets` give, for every sort and kind of query.
#[test]
fn one_pass_selection_matches_select_and_facets() {
    use allocscope_model::query::{select_in_order, sorted_order};
    let all = data();
    let index = ListIndex::new(&all);
    let queries = [
        "",
        "q=checkout",
        "q=web&status=failed",
        "status=failed,lost",
        "q=task:api",
        "job=checkout-api",
        "namespace=payments&q=scorer",
        "q=node:nomad&sort=name&dir=desc",
        "sort=restarts",
        "q=zzz-nothing",
    ];
    for text in queries {
        let q: ListQuery = serde_urlencoded_like(text);
        for &key in SortKey::ALL {
            for dir in ["asc", "desc"] {
                let q = ListQuery { sort: Some(key), dir: dir.to_owned(), ..q.clone() };
                let order = sorted_order(&all, q.sort_key(), q.descending());
                let s = select_in_order(&all, &index, &order, &q);
                assert_eq!(s.rows, select(&all, &index, &q), "{text} {key:?} {dir}");
                assert_eq!(s.facets, status_facets(&all, &index, &q), "{text}");
            }
        }
    }
}

/// `a=1&b=2` into a query (the app reads the same pairs from its URL).
fn serde_urlencoded_like(text: &str) -> ListQuery {
    let mut q = ListQuery::default();
    for pair in text.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap();
        let v = v.to_owned();
        match k {
            "q" => q.q = v,
            "status" => q.status = v,
            "job" => q.job = v,
            "namespace" => q.namespace = v,
            "sort" => q.sort = SortKey::ALL.iter().copied().find(|s| s.as_str() == v),
            "dir" => q.dir = v,
            _ => panic!("{k}"),
        }
    }
    q
}

/// The index keeps every row's text in one string; a word must match within one row, never
/// across the boundary between two, and rows at either end must be found.
#[test]
fn free_text_matches_within_one_row_only() {
    let json = br#"[{"ID":"aaaa1111","TaskGroup":"g","ClientStatus":"running","DesiredStatus":"run","JobID":"first-job"},
                    {"ID":"bbbb2222","TaskGroup":"g","ClientStatus":"failed","DesiredStatus":"run","JobID":"second-job"}]"#;
    let all = decode(json, DecodeOptions::STRICT).unwrap().allocations;
    let index = ListIndex::new(&all);
    let ids = |q: &str| {
        let q = ListQuery { q: q.to_owned(), sort: Some(SortKey::Id), ..Default::default() };
        select(&all, &index, &q).into_iter().map(|i| all[i].id.clone()).collect::<Vec<_>>()
    };
    assert_eq!(ids("AAAA"), ["aaaa1111"]);
    assert_eq!(ids("second"), ["bbbb2222"]);
    assert_eq!(ids("job"), ["aaaa1111", "bbbb2222"]);
    // The first row's text ends with its task names (none) and the second starts with its
    // ID: "run" + "bbbb" exists only across the boundary.
    assert!(ids("runbbbb").is_empty());
    assert!(ids("run\u{0}bbbb").is_empty());
    assert_eq!(ids("first job"), ["aaaa1111"]);
    assert!(ids("first second").is_empty());
}

/// Typing, deleting and retyping with one search cache gives what a fresh search gives at
/// every step, and a cache used with another index forgets what it knew.
#[test]
fn a_kept_search_cache_never_changes_the_result() {
    use allocscope_model::query::{select_in_order, select_in_order_cached, sorted_order, SearchCache};
    let all = data();
    let index = ListIndex::new(&all);
    let order = sorted_order(&all, SortKey::Created, true);
    let mut cache = SearchCache::default();
    let mut steps: Vec<String> = Vec::new();
    for word in ["checkout-api", "nomad-client", "payments web", "zzz"] {
        for n in 1..=word.len() {
            steps.push(word[..n].to_owned());
        }
        for n in (0..word.len()).rev() {
            steps.push(word[..n].to_owned());
        }
    }
    steps.extend(["api checkout", "checkout api", "api"].map(str::to_owned));
    for q in &steps {
        let q = ListQuery { q: q.clone(), ..Default::default() };
        let cached = select_in_order_cached(&all, &index, &order, &q, &mut cache);
        assert_eq!(cached, select_in_order(&all, &index, &order, &q), "{:?}", q.q);
    }
    // Another data set with the same number of rows: nothing carries over.
    let mut other = all.clone();
    other.reverse();
    let other_index = ListIndex::new(&other);
    let q = ListQuery { q: "checkout".into(), ..Default::default() };
    let cached = select_in_order_cached(&other, &other_index, &order, &q, &mut cache);
    assert_eq!(cached, select_in_order(&other, &other_index, &order, &q));
}
