//! `#/allocations/<id>`: one allocation: summary, tasks, reschedule chain (both ways),
//! resources, placement and raw JSON. The chain is built from the job's allocation list
//! (one request; on Nomad 1.6+ its stubs carry NextAllocation and tracker links for the
//! whole lineage) plus single-allocation fetches only for hops still missing.

use crate::api::FetchErrorKind;
use crate::components::badges::{client_status_badge, desired_status_badge, indicators};
use crate::components::budget::budget_view;
use crate::components::cause_card::cause_card;
use crate::components::chain::{chain, GapState};
use crate::components::copy_button::CopyButton;
use crate::components::error_panel::ErrorPanel;
use crate::components::links::ExternalLinks;
use crate::components::loading::loading;
use crate::components::placement::placement;
use crate::components::raw_json::RawJson;
use crate::components::resources::resources_view;
use crate::components::tasks_table::tasks_table;
use crate::components::time::Time;
use crate::components::timeline_view::timeline_view;
use crate::live::{use_live_alloc, use_live_list};
use crate::routes::Route;
use crate::store::{use_allocs, use_store, AllocData, ListData, Shared, Store};
use allocscope_model::{
    allocation_cause, incident_markdown, lineage, paths, short_id, timeline, Allocation, Lineage, ListQuery,
};
use std::rc::Rc;
use yew::prelude::*;
use yew_router::prelude::*;

/// Single-allocation fetches one chain may cost at most; a hostile or cyclic data set must
/// not turn into a request storm.
const MAX_CHAIN_FETCHES: usize = 25;

#[derive(Properties, PartialEq)]
pub struct AllocationPageProps {
    pub id: String,
}

/// The chain's inputs: the job list and every full allocation the store holds.
fn chain_set(job_list: Option<&Shared<ListData>>, fulls: &[Shared<AllocData>]) -> Vec<Allocation> {
    let mut set: Vec<Allocation> = fulls.iter().map(|d| d.alloc.clone()).collect();
    if let Some(list) = job_list {
        set.extend(list.allocs.iter().cloned());
    }
    set
}

fn full_allocs(store: &Store) -> Vec<Shared<AllocData>> {
    let mut v: Vec<(String, Shared<AllocData>)> =
        store.allocs.iter().filter_map(|(id, e)| e.data.clone().map(|d| (id.clone(), d))).collect();
    allocscope_model::sort::sort_by(&mut v, |a, b| a.0.cmp(&b.0));
    v.into_iter().map(|(_, d)| d).collect()
}

/// A list stub of `id` from any list already loaded (for a garbage-collected allocation).
fn stub_from_lists(store: &Store, id: &str) -> Option<Allocation> {
    store
        .lists
        .values()
        .find_map(|e| e.data.as_ref().and_then(|d| d.allocs.iter().find(|a| a.id == id).cloned()))
}

#[component]
pub fn AllocationPage(props: &AllocationPageProps) -> Html {
    let store = use_store();
    let (entry, on_retry) = use_live_alloc(props.id.clone());
    let stub = if entry.data.is_none() { stub_from_lists(&store.0, &props.id) } else { None };
    // The job's list in the allocation's own namespace (a job ID is unique per namespace).
    let job = entry
        .data
        .as_ref()
        .map(|d| (d.alloc.job_id.clone(), d.alloc.namespace_or_default().to_owned()))
        .or_else(|| stub.as_ref().map(|s| (s.job_id.clone(), s.namespace_or_default().to_owned())));
    let job_path = job
        .clone()
        .filter(|(j, _)| !j.is_empty())
        .map(|(j, ns)| paths::with_params(&paths::job_allocations(&j), &[("namespace", ns.as_str())]));
    let (job_entry, _) = use_live_list(job_path);
    let fulls = full_allocs(&store.0);
    let set =
        use_memo((job_entry.data.clone(), fulls.clone()), |(job, fulls)| chain_set(job.as_ref(), fulls));
    // A garbage-collected allocation known only from a list still anchors its chain.
    let chain_allocs: Rc<Vec<Allocation>> = match &stub {
        Some(s) => {
            let mut v = (*set).clone();
            v.push(s.clone());
            Rc::new(v)
        }
        None => set.clone(),
    };
    let chain: Option<Lineage> = lineage(&chain_allocs, &props.id).filter(|l| l.attempts.len() > 1);
    // Gaps are fetched only once the job list has answered: it usually fills them all.
    let job_settled = job_entry.data.is_some() || job_entry.error.is_some() || job.is_none();
    let missing: Vec<String> = chain
        .as_ref()
        .filter(|_| job_settled)
        .map(|l| l.missing.iter().filter(|id| **id != props.id).take(MAX_CHAIN_FETCHES).cloned().collect())
        .unwrap_or_default();
    let missing_entries = use_allocs(missing.clone());
    let gaps: Vec<(String, GapState)> = missing
        .iter()
        .zip(&missing_entries)
        .map(|(id, e)| {
            let state = match (&e.loading, &e.error) {
                (Some(_), _) => GapState::Loading,
                (None, Some(err)) if err.is_not_found() => GapState::NotFound,
                (None, Some(err)) => GapState::Failed(err.headline()),
                _ => GapState::Unknown,
            };
            (id.clone(), state)
        })
        .collect();
    let chain_view = chain.map(|l| ChainInput { lineage: l, allocs: chain_allocs, gaps });

    match (entry.data, entry.loading, entry.error) {
        (Some(d), _, Some(e)) if e.is_not_found() => html! {
            <>
                <section class="page">{ crate::components::gone::gone_notice(&props.id) }</section>
                <AllocationView alloc={d.alloc.clone()} raw={Some(AttrValue::from(d.raw.clone()))} chain={chain_view} />
            </>
        },
        (Some(d), _, _) => html! {
            <AllocationView alloc={d.alloc.clone()} raw={Some(AttrValue::from(d.raw.clone()))} chain={chain_view} />
        },
        (None, Some(progress), _) => html! {
            <section class="page">{ loading(&format!("allocation {}", short_id(&props.id)), Some(progress)) }</section>
        },
        (None, None, Some(e)) if e.is_not_found() => html! {
            <section class="page">
                <div class="notice not-found" role="alert">
                    if let FetchErrorKind::NotInFile { detail, .. } = &e.kind {
                        <p class="error-headline">{ detail.clone() }</p>
                        <p>{ e.advice() }</p>
                    } else {
                        <p class="error-headline">{ format!("Allocation {} was not found at the source.", props.id) }</p>
                        <p>{"Nomad garbage-collects terminal allocations (by default an hour after they stop, or sooner under pressure), and a snapshot holds only what it captured."}</p>
                    }
                    <p><Link<Route> to={Route::Allocations}>{"Back to all allocations"}</Link<Route>></p>
                </div>
                if let Some(s) = stub {
                    <AllocationView alloc={s} raw={None::<AttrValue>} chain={chain_view}
                        notice={Some(AttrValue::from("Only the list entry of this allocation is known; fields a list leaves out (placement, resources, the previous allocation) are missing."))} />
                }
            </section>
        },
        (None, None, Some(e)) => html! {
            <section class="page"><ErrorPanel error={e} on_retry={on_retry} /></section>
        },
        (None, None, None) => html! {
            <section class="page">{ loading(&format!("allocation {}", short_id(&props.id)), None) }</section>
        },
    }
}

/// What the chain view needs.
#[derive(Clone, Debug, PartialEq)]
pub struct ChainInput {
    pub lineage: Lineage,
    pub allocs: Rc<Vec<Allocation>>,
    pub gaps: Vec<(String, GapState)>,
}

#[derive(Properties, PartialEq)]
pub struct AllocationViewProps {
    pub alloc: Allocation,
    #[prop_or_default]
    pub raw: Option<AttrValue>,
    #[prop_or_default]
    pub chain: Option<ChainInput>,
    #[prop_or_default]
    pub notice: Option<AttrValue>,
}

fn health(a: &Allocation) -> Html {
    match &a.deployment_status {
        None => html! { <span class="muted">{"no deployment health"}</span> },
        Some(d) => {
            let (class, text) = match d.healthy {
                Some(true) => ("st-running", "healthy"),
                Some(false) => ("st-failed", "unhealthy"),
                None => ("st-pending", "health pending"),
            };
            html! {
                <>
                    <span class={classes!("badge", class)}>{ text }</span>
                    if d.canary { <span class="badge canary">{"canary"}</span> }
                    if let Some(ns) = d.timestamp.unix_nanos() { {" since "}<Time ns={Some(ns)} /> }
                </>
            }
        }
    }
}

fn alloc_link(id: &str) -> Html {
    html! { <Link<Route> to={Route::Allocation { id: id.to_owned() }} classes="mono">{ short_id(id).to_owned() }</Link<Route>> }
}

#[component]
pub fn AllocationView(props: &AllocationViewProps) -> Html {
    let a = &props.alloc;
    let job_q = ListQuery { job: a.job_id.clone(), ..Default::default() };
    let node_q = ListQuery { node: a.node_id.clone(), ..Default::default() };
    let node = if a.node_name.is_empty() { short_id(&a.node_id).to_owned() } else { a.node_name.clone() };
    let version = a.job_version().map(|v| format!(" v{v}")).unwrap_or_default();
    let cause = allocation_cause(a);
    // The timeline and the incident summary cover the chain, or this attempt alone.
    let (story_allocs, story) = match &props.chain {
        Some(c) => (c.allocs.clone(), Some(c.lineage.clone())),
        None => {
            let alone = Rc::new(vec![a.clone()]);
            let l = lineage(&alone, &a.id);
            (alone, l)
        }
    };
    let entries = story.as_ref().map(|l| timeline(&story_allocs, l)).unwrap_or_default();
    let markdown = story.as_ref().map(|l| incident_markdown(&story_allocs, l)).unwrap_or_default();
    html! {
        <section class="page alloc-page">
            <nav class="crumbs"><Link<Route> to={Route::Allocations}>{"Allocations"}</Link<Route>>{" / "}{ a.short_id().to_owned() }</nav>
            <div class="page-head">
                <h1>{ if a.name.is_empty() { a.id.clone() } else { a.name.clone() } }</h1>
                { client_status_badge(&a.client_status) }
                { indicators(a) }
            </div>
            if let Some(n) = &props.notice { <p class="notice">{ n.clone() }</p> }
            <ExternalLinks alloc={a.clone()} />
            if let Some(c) = cause { { cause_card(&c, "allocation") } }
            <dl class="kv summary">
                <dt>{"ID"}</dt><dd><span class="mono">{ a.id.clone() }</span><CopyButton text={AttrValue::from(a.id.clone())} what="allocation ID" /></dd>
                <dt>{"Job"}</dt><dd><Link<Route, ListQuery> to={Route::Allocations} query={Some(job_q)}>{ a.job_id.clone() }</Link<Route, ListQuery>>{ version }
                    if !a.job_type().is_empty() { <span class="muted">{ format!(" ({})", a.job_type()) }</span> }</dd>
                <dt>{"Task group"}</dt><dd>{ a.task_group.clone() }</dd>
                <dt>{"Node"}</dt><dd>
                    if a.node_id.is_empty() { <span class="muted">{"not placed"}</span> }
                    else { <Link<Route, ListQuery> to={Route::Allocations} query={Some(node_q)}>{ node }</Link<Route, ListQuery>>
                        <span class="mono muted">{ format!(" {}", a.node_id) }</span> }
                </dd>
                <dt>{"Namespace"}</dt><dd>{ a.namespace_or_default().to_owned() }</dd>
                <dt>{"Evaluation"}</dt><dd class="mono">{ if a.eval_id.is_empty() { "—".to_owned() } else { a.eval_id.clone() } }</dd>
                <dt>{"Deployment"}</dt><dd>
                    if a.deployment_id.is_empty() { <span class="muted">{"—"}</span>{" "} } else { <span class="mono">{ a.deployment_id.clone() }</span>{" "} }
                    { health(a) }
                </dd>
                <dt>{"Client status"}</dt><dd>{ client_status_badge(&a.client_status) }{" "}{ a.client_description.clone() }</dd>
                <dt>{"Desired status"}</dt><dd>{ desired_status_badge(&a.desired_status) }{" "}{ a.desired_description.clone() }</dd>
                <dt>{"Created"}</dt><dd><Time ns={Some(a.create_time)} />{" · "}<Time ns={Some(a.create_time)} relative=true /></dd>
                <dt>{"Modified"}</dt><dd><Time ns={Some(a.modify_time)} />{" · "}<Time ns={Some(a.modify_time)} relative=true /></dd>
                if !a.followup_eval_id.is_empty() {
                    <dt>{"Follow-up evaluation"}</dt><dd class="mono">{ a.followup_eval_id.clone() }</dd>
                }
                if !a.preempted_by_allocation.is_empty() {
                    <dt>{"Preempted by"}</dt><dd>{ alloc_link(&a.preempted_by_allocation) }</dd>
                }
                if !a.preempted_allocations.is_empty() {
                    <dt>{"Preempted"}</dt><dd>{ for a.preempted_allocations.iter().map(|id| html! { <span class="sep">{ alloc_link(id) }</span> }) }</dd>
                }
                if !a.alloc_states.is_empty() {
                    <dt>{"Status changes"}</dt><dd>{ for a.alloc_states.iter().map(|s| html! {
                        <div>{ s.value.clone() }{" at "}<Time ns={s.time.unix_nanos()} /></div>
                    }) }</dd>
                }
            </dl>

            { budget_view(a) }

            <h2>{"Tasks"}</h2>
            { tasks_table(a) }

            <h2>{"Reschedule chain"}</h2>
            { match &props.chain {
                Some(c) => chain(&c.lineage, &c.allocs, &c.gaps),
                None => html! { <p class="empty">{"This allocation was neither rescheduled nor replaced, as far as the data shows."}</p> },
            } }

            <h2>{ if props.chain.is_some() { "Timeline of every attempt" } else { "Timeline" } }</h2>
            { timeline_view(&entries) }

            <h2>{"Resources"}</h2>
            { resources_view(a) }

            <h2>{"Placement"}</h2>
            { match &a.metrics {
                Some(m) => placement(m),
                None => html! { <p class="empty">{"The source did not include placement metrics."}</p> },
            } }

            if !markdown.is_empty() {
                <details class="incident">
                    <summary>{"Incident summary (Markdown)"}</summary>
                    <CopyButton text={AttrValue::from(markdown.clone())} what="the incident summary as Markdown" />
                    <pre class="incident-md">{ markdown }</pre>
                </details>
            }
            if let Some(raw) = &props.raw { <RawJson raw={raw.clone()} download_as={format!("allocation-{}", a.id)} /> }
        </section>
    }
}
