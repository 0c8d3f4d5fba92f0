//! `#/allocations`: the allocation list, with its filters, search and sort in the route's
//! query so a link reproduces the view. Scoped to a job (`job=`, fetched from the job's own
//! list) or a node (`node=`).

use crate::app::ConfigContext;
use crate::clock::Clock;
use crate::components::alloc_table::AllocTable;
use crate::components::error_panel::ErrorPanel;
use crate::components::export_bar::ExportBar;
use crate::components::loading::loading;
use crate::components::slot_history::SlotHistoryView;
use crate::field_value::use_field_value;
use crate::live::{use_live_list, LiveStatus};
use crate::routes::Route;
use crate::store::{use_store, ListData, Shared};
use allocscope_model::query::{select_in_order_cached, sorted_order, SearchCache};
use allocscope_model::{paths, slot_history, ListQuery};
use std::rc::Rc;
use yew::prelude::*;
use yew_router::prelude::*;

#[component]
pub fn AllocationListPage() -> Html {
    let location = use_location();
    let navigator = use_navigator();
    let mut query: ListQuery = location.and_then(|l| l.query::<ListQuery>().ok()).unwrap_or_default();
    // config.json's default namespace applies until the user picks another (`*` is all).
    let config = use_context::<ConfigContext>().unwrap_or_default();
    if query.namespace.is_empty() {
        if let Some(ns) = config.0.namespace.as_ref().filter(|ns| !ns.is_empty()) {
            query.namespace = ns.clone();
        }
    }
    let path = if query.job.is_empty() {
        // A Nomad filter expression is evaluated by the server (live sources only).
        paths::with_params(&paths::allocations(), &[("filter", query.filter.as_str())])
    } else {
        paths::job_allocations(&query.job)
    };
    let (entry, on_retry) = use_live_list(Some(path.clone()));
    let store = use_store();
    let on_query = {
        let navigator = navigator.clone();
        Callback::from(move |q: ListQuery| {
            if let Some(n) = &navigator {
                let _ = n.push_with_query(&Route::Allocations, &q);
            }
        })
    };
    let on_search = Callback::from(move |q: ListQuery| {
        if let Some(n) = &navigator {
            let _ = n.replace_with_query(&Route::Allocations, &q);
        }
    });
    let filter_ignored = !query.filter.is_empty() && store.0.live == LiveStatus::Snapshot;
    match (entry.data, entry.loading, entry.error) {
        (Some(data), loading, error) => html! {
            <>
                if let (Some(e), None) = (error, loading) { <ErrorPanel error={e} on_retry={on_retry} compact=true /> }
                if filter_ignored {
                    <p class="notice">{"Filter expressions are evaluated by a live Nomad API; this static snapshot ignores them."}</p>
                }
                <AllocationListView {data} {query} {on_query} {on_search} />
            </>
        },
        // A retry in flight shows as loading, not as the old error.
        (None, None, Some(e)) => html! {
            <section class="page"><h1>{"Allocations"}</h1><ErrorPanel error={e} on_retry={on_retry} /></section>
        },
        (None, progress, _) => html! {
            <section class="page"><h1>{"Allocations"}</h1>{ loading("allocations", progress) }</section>
        },
    }
}

#[derive(Properties, PartialEq)]
pub struct AllocationListViewProps {
    pub data: Shared<ListData>,
    pub query: ListQuery,
    /// Navigation that should be a history entry (facets, sort, scope).
    pub on_query: Callback<ListQuery>,
    /// Typing in the search box: replaces the history entry.
    pub on_search: Callback<ListQuery>,
}

#[component]
pub fn AllocationListView(props: &AllocationListViewProps) -> Html {
    let q = &props.query;
    // Sorted once per data set and sort; a keystroke then filters that order in one pass
    // that also counts the facets (no sort per keystroke: 100,000 rows stay responsive).
    let order = {
        let data = props.data.clone();
        use_memo((props.data.clone(), q.sort_key(), q.descending()), move |(_, key, desc)| {
            sorted_order(&data.allocs, *key, *desc)
        })
    };
    // Kept across keystrokes: each longer search word is looked for only among the rows
    // the shorter one matched (the cache resets itself for another index).
    let search_cache = use_mut_ref(SearchCache::default);
    let selection = {
        let data = props.data.clone();
        use_memo((props.data.clone(), q.clone(), order.clone()), move |(_, q, order)| {
            let s =
                select_in_order_cached(&data.allocs, &data.index, order, q, &mut search_cache.borrow_mut());
            (Rc::new(s.rows), s.facets)
        })
    };
    let (rows, facets) = (&selection.0, &selection.1);
    let all = &props.data.allocs;
    let selected = q.statuses();
    let clock = use_context::<Clock>().unwrap_or_default();
    // A job's slots over time; only for a job-scoped list, where lanes are that job's.
    let slots = {
        let (data, job, now) = (props.data.clone(), q.job.clone(), clock.now);
        use_memo((props.data.clone(), q.job.clone()), move |_| {
            (!job.is_empty()).then(|| {
                let mine: Vec<_> = data.allocs.iter().filter(|a| a.job_id == job).cloned().collect();
                slot_history(
                    &mine,
                    if now > 0 { now } else { mine.iter().map(|a| a.modify_time).max().unwrap_or(0) },
                )
            })
        })
    };

    let oninput = {
        let (q, cb) = (q.clone(), props.on_search.clone());
        Callback::from(move |e: InputEvent| {
            let input: web_sys::HtmlInputElement = e.target_unchecked_into();
            cb.emit(ListQuery { q: input.value(), ..q.clone() });
        })
    };
    let filter_field = use_field_value(q.filter.clone());
    let onfilter = {
        let (q, cb) = (q.clone(), props.on_query.clone());
        Callback::from(move |e: Event| {
            let input: web_sys::HtmlInputElement = e.target_unchecked_into();
            cb.emit(ListQuery { filter: input.value().trim().to_owned(), ..q.clone() });
        })
    };
    let scope_chip = |label: &str, value: &str, clear: ListQuery| -> Html {
        if value.is_empty() {
            return html! {};
        }
        let cb = props.on_query.clone();
        html! {
            <span class="chip">{ format!("{label}: ") }<strong>{ value.to_owned() }</strong>
                <button type="button" class="chip-clear" aria-label={format!("Remove the {label} scope")}
                    onclick={move |_| cb.emit(clear.clone())}>{"×"}</button>
            </span>
        }
    };
    let facet_buttons = facets.iter().map(|(status, count)| {
        let pressed = selected.contains(status);
        let (cb, next) = (props.on_query.clone(), q.toggle_status(status));
        let class = classes!("facet", pressed.then_some("on"), (*count == 0).then_some("zero"));
        html! {
            <button type="button" {class} aria-pressed={pressed.to_string()}
                data-status={if status.is_known() { status.as_str().to_owned() } else { "other".to_owned() }}
                onclick={move |_| cb.emit(next.clone())}>
                { status.as_str().to_owned() }{" "}<span class="count">{ *count }</span>
            </button>
        }
    });
    let body = if all.is_empty() {
        html! { <p class="empty">{"The source has no allocations."}</p> }
    } else if rows.is_empty() {
        let (cb, cleared) = (props.on_query.clone(), ListQuery { job: q.job.clone(), ..Default::default() });
        html! {
            <p class="empty">{"No allocation matches these filters. "}
                <button type="button" class="link" onclick={move |_| cb.emit(cleared.clone())}>{"Clear the filters"}</button>
            </p>
        }
    } else {
        html! { <AllocTable data={props.data.clone()} rows={rows.clone()} query={q.clone()} on_query={props.on_query.clone()} /> }
    };
    html! {
        <section class="page list-page">
            <div class="page-head">
                <h1>{"Allocations"}</h1>
                <span class="scopes">
                    { scope_chip("job", &q.job, ListQuery { job: String::new(), ..q.clone() }) }
                    { scope_chip("node", &q.node, ListQuery { node: String::new(), ..q.clone() }) }
                    { scope_chip("namespace", if q.namespace == "*" { "" } else { &q.namespace }, ListQuery { namespace: "*".into(), ..q.clone() }) }
                    { scope_chip("group", &q.group, ListQuery { group: String::new(), ..q.clone() }) }
                </span>
            </div>
            <div class="toolbar">
                <input type="search" id="search" class="search" aria-label="Search allocations"
                    placeholder="Search, or id: name: job: node: status: task: ns:" value={q.q.clone()} {oninput} />
                <span class="count-line" aria-live="polite">
                    { format!("{} of {} allocations", rows.len(), all.len()) }
                    if props.data.partial { <span class="muted still-loading">{" (more are loading…)"}</span> }
                </span>
                <ExportBar data={props.data.clone()} rows={rows.clone()} />
            </div>
            if let Some(h) = (*slots).clone() { <SlotHistoryView history={h} /> }
            <details class="advanced" open={!q.filter.is_empty()}>
                <summary>{"Nomad filter expression"}</summary>
                <input ref={filter_field} type="text" id="filter" class="search" aria-label="Nomad filter expression"
                    placeholder={r#"ClientStatus == "failed" and JobID == "web" (evaluated by a live Nomad agent)"#}
                    onchange={onfilter} />
            </details>
            <div class="facets" role="group" aria-label="Filter by client status">{ for facet_buttons }</div>
            { body }
        </section>
    }
}
