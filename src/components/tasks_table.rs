//! The tasks of one allocation: lifecycle, state, restarts, times and the last event.

use crate::components::badges::task_state_badge;
use crate::components::time::Time;
use crate::routes::Route;
use allocscope_model::{event_message, task_cause, Allocation};
use yew::prelude::*;
use yew_router::prelude::*;

pub fn tasks_table(a: &Allocation) -> Html {
    if a.task_states.is_empty() {
        return html! { <p class="empty">{"No task states yet: the client has not reported on this allocation."}</p> };
    }
    html! {
        <table class="tasks">
            <thead><tr>
                <th>{"Task"}</th><th>{"Lifecycle"}</th><th>{"State"}</th><th>{"Restarts"}</th>
                <th>{"Last restart"}</th><th>{"Started"}</th><th>{"Finished"}</th><th>{"Last event"}</th>
            </tr></thead>
            <tbody>
            { for a.tasks_in_order().into_iter().map(|(name, t)| {
                let (hook, sidecar) = a.task_lifecycle(name);
                let lifecycle = if sidecar { format!("{hook} sidecar") } else { hook.to_owned() };
                let last = t.last_event().map(|e| html! {
                    <>
                        <span class="ev-type">{ e.r#type.as_str().to_owned() }</span>{": "}
                        <span class="ev-msg">{ event_message(e) }</span>{" "}
                        <Time ns={Some(e.time)} relative=true />
                    </>
                }).unwrap_or_else(|| html! { <span class="muted">{"no events"}</span> });
                html! {
                    <tr key={name.to_owned()}>
                        <td><Link<Route> to={Route::Task { id: a.id.clone(), task: name.to_owned() }}>{ name.to_owned() }</Link<Route>></td>
                        <td>{ lifecycle }</td>
                        <td>
                            { task_state_badge(&t.state, t.failed) }
                            if let Some(c) = task_cause(name, t).filter(|c| t.failed && c.kind.is_failure()) {
                                {" "}<span class="cause-label" title={c.summary.clone()}>{ c.kind.label() }</span>
                            }
                        </td>
                        <td class="num">{ t.restarts }</td>
                        <td><Time ns={t.last_restart.unix_nanos()} relative=true /></td>
                        <td><Time ns={t.started_at.unix_nanos()} /></td>
                        <td><Time ns={t.finished_at.unix_nanos()} /></td>
                        <td class="last-event">{ last }</td>
                    </tr>
                }
            }) }
            </tbody>
        </table>
    }
}
