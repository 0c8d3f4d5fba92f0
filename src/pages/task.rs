//! `#/allocations/<id>/tasks/<task>`: one task's state and its whole event history.

use crate::components::badges::task_state_badge;
use crate::components::cause_card::cause_card;
use crate::components::error_panel::ErrorPanel;
use crate::components::events_table::events_table;
use crate::components::links::ExternalLinks;
use crate::components::loading::loading;
use crate::components::time::Time;
use crate::live::use_live_alloc;
use crate::routes::Route;
use allocscope_model::{short_id, task_cause, Allocation};
use serde::{Deserialize, Serialize};
use yew::prelude::*;
use yew_router::prelude::*;

/// The task view's URL state: `order=oldest` shows the history oldest first.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TaskQuery {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub order: String,
}

#[derive(Properties, PartialEq)]
pub struct TaskPageProps {
    pub id: String,
    pub task: String,
}

#[component]
pub fn TaskPage(props: &TaskPageProps) -> Html {
    let (entry, on_retry) = use_live_alloc(props.id.clone());
    let location = use_location();
    let navigator = use_navigator();
    let query: TaskQuery = location.and_then(|l| l.query::<TaskQuery>().ok()).unwrap_or_default();
    let newest_first = query.order != "oldest";
    let on_toggle = {
        let route = Route::Task { id: props.id.clone(), task: props.task.clone() };
        Callback::from(move |_| {
            let q = TaskQuery { order: if newest_first { "oldest".into() } else { String::new() } };
            if let Some(n) = &navigator {
                let _ = n.replace_with_query(&route, &q);
            }
        })
    };
    match (entry.data, entry.loading, entry.error) {
        (Some(d), _, Some(e)) if e.is_not_found() => html! {
            <>
                <section class="page">{ crate::components::gone::gone_notice(&props.id) }</section>
                <TaskView alloc={d.alloc.clone()} task={props.task.clone()} {newest_first} {on_toggle} />
            </>
        },
        (Some(d), _, _) => html! {
            <TaskView alloc={d.alloc.clone()} task={props.task.clone()} {newest_first} {on_toggle} />
        },
        (None, None, Some(e)) => {
            html! { <section class="page"><ErrorPanel error={e} on_retry={on_retry} /></section> }
        }
        (None, progress, _) => html! {
            <section class="page">{ loading(&format!("allocation {}", short_id(&props.id)), progress) }</section>
        },
    }
}

#[derive(Properties, PartialEq)]
pub struct TaskViewProps {
    pub alloc: Allocation,
    pub task: String,
    pub newest_first: bool,
    pub on_toggle: Callback<()>,
}

#[component]
pub fn TaskView(props: &TaskViewProps) -> Html {
    let a = &props.alloc;
    let crumbs = html! {
        <nav class="crumbs">
            <Link<Route> to={Route::Allocations}>{"Allocations"}</Link<Route>>{" / "}
            <Link<Route> to={Route::Allocation { id: a.id.clone() }}>{ if a.name.is_empty() { a.short_id().to_owned() } else { a.name.clone() } }</Link<Route>>
            {" / "}{ props.task.clone() }
        </nav>
    };
    let Some(t) = a.task_states.get(&props.task) else {
        let names = a.task_states.keys().collect::<Vec<_>>().join(", ");
        return html! {
            <section class="page task-page">
                { crumbs }
                <div class="notice" role="alert">
                    <p class="error-headline">{ format!("Allocation {} has no task named \"{}\".", a.short_id(), props.task) }</p>
                    <p>{ if names.is_empty() { "It has no task states yet.".to_owned() } else { format!("Its tasks: {names}.") } }</p>
                </div>
            </section>
        };
    };
    let (hook, sidecar) = a.task_lifecycle(&props.task);
    let toggle = props.on_toggle.clone();
    html! {
        <section class="page task-page">
            { crumbs }
            <div class="page-head">
                <h1>{ props.task.clone() }</h1>
                { task_state_badge(&t.state, t.failed) }
            </div>
            <ExternalLinks alloc={a.clone()} task={Some(props.task.clone())} />
            if let Some(c) = task_cause(&props.task, t) { { cause_card(&c, "task") } }
            <dl class="kv summary">
                <dt>{"Allocation"}</dt><dd><Link<Route> to={Route::Allocation { id: a.id.clone() }} classes="mono">{ a.id.clone() }</Link<Route>></dd>
                <dt>{"Lifecycle"}</dt><dd>{ if sidecar { format!("{hook} sidecar") } else { hook.to_owned() } }</dd>
                <dt>{"Restarts"}</dt><dd>{ t.restarts }</dd>
                <dt>{"Last restart"}</dt><dd><Time ns={t.last_restart.unix_nanos()} /></dd>
                <dt>{"Started"}</dt><dd><Time ns={t.started_at.unix_nanos()} /></dd>
                <dt>{"Finished"}</dt><dd><Time ns={t.finished_at.unix_nanos()} /></dd>
                if !t.paused.is_empty() { <dt>{"Schedule"}</dt><dd>{ t.paused.clone() }</dd> }
            </dl>
            <div class="events-head">
                <h2>{ format!("Events ({})", t.events.len()) }</h2>
                <button type="button" class="toggle-order" onclick={move |_| toggle.emit(())}>
                    { if props.newest_first { "Newest first ▾" } else { "Oldest first ▴" } }
                </button>
                if t.events.len() >= 10 {
                    <span class="muted">{"Nomad keeps only the last 10 events per task; earlier ones are gone."}</span>
                }
            </div>
            { events_table(&t.events, props.newest_first) }
        </section>
    }
}
