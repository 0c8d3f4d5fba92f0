//! A task's whole event history: time, time since the previous event, type, message, exit
//! code, signal, fails-task and details. Events keep Nomad's emission order (times from
//! drivers can be bogus), shown newest or oldest first.

use crate::components::time::Time;
use allocscope_model::times::human_duration;
use allocscope_model::{event_message, TaskEvent};
use yew::prelude::*;

pub fn events_table(events: &[TaskEvent], newest_first: bool) -> Html {
    if events.is_empty() {
        return html! { <p class="empty">{"No events recorded for this task."}</p> };
    }
    // Time since the previous event in emission order, when both times are real.
    let mut rows: Vec<(usize, &TaskEvent, Option<i64>)> = Vec::new();
    let mut prev: Option<i64> = None;
    for (i, e) in events.iter().enumerate() {
        let delta = match (prev, e.known_time()) {
            (Some(p), Some(t)) => Some(t - p),
            _ => None,
        };
        if let Some(t) = e.known_time() {
            prev = Some(t);
        }
        rows.push((i, e, delta));
    }
    if newest_first {
        rows.reverse();
    }
    html! {
        <table class="events">
            <thead><tr>
                <th>{"#"}</th><th>{"Time"}</th><th>{"+Δ"}</th><th>{"Type"}</th><th>{"Message"}</th>
                <th>{"Exit"}</th><th>{"Signal"}</th><th>{"Fails task"}</th><th>{"Details"}</th>
            </tr></thead>
            <tbody>
            { for rows.into_iter().map(|(i, e, delta)| {
                let details = e.details.as_ref().map(|d| d.iter().map(|(k, v)| html! {
                    <div class="detail"><span class="dk">{ k.to_owned() }</span>{"="}<span class="dv">{ v.to_string() }</span></div>
                }).collect::<Html>());
                let unknown_time = e.known_time().is_none();
                let x = e.extra();
                html! {
                    <tr key={i} class={classes!(x.fails_task.then_some("fails"), unknown_time.then_some("unknown-time"))}>
                        <td class="num">{ i + 1 }</td>
                        <td><Time ns={Some(e.time)} /></td>
                        <td class="num">{ delta.map(|d| format!("+{}", human_duration(d))).unwrap_or_default() }</td>
                        <td class="ev-type">{ e.r#type.as_str().to_owned() }</td>
                        <td class="ev-msg">{ event_message(e) }</td>
                        <td class="num">{ if x.exit_code != 0 || e.r#type.as_str() == "Terminated" { x.exit_code.to_string() } else { String::new() } }</td>
                        <td class="num">{ if x.signal != 0 { x.signal.to_string() } else { String::new() } }</td>
                        <td>{ if x.fails_task { "yes" } else { "" } }</td>
                        <td class="details">{ details.unwrap_or_default() }</td>
                    </tr>
                }
            }) }
            </tbody>
        </table>
    }
}
