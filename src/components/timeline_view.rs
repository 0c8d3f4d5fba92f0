//! One timeline across every attempt of the slot: task events and allocation markers.

use crate::components::time::Time;
use allocscope_model::timeline::{Entry, EntryKind};
use allocscope_model::times::human_duration;
use yew::prelude::*;

pub fn timeline_view(entries: &[Entry]) -> Html {
    if entries.is_empty() {
        return html! { <p class="empty">{"No events in the data."}</p> };
    }
    html! {
        <table class="timeline">
            <thead><tr><th>{"Time"}</th><th>{"+Δ"}</th><th>{"Attempt"}</th><th>{"What"}</th><th>{"Detail"}</th></tr></thead>
            <tbody>
            { for entries.iter().map(|e| {
                let (what, class) = match &e.kind {
                    EntryKind::TaskEvent { task, event_type, fails_task } => {
                        (format!("{task}: {event_type}"), if *fails_task { "tl-event fails" } else { "tl-event" })
                    }
                    EntryKind::Created => ("created".to_owned(), "tl-marker"),
                    EntryKind::StatusChange => ("status".to_owned(), "tl-marker"),
                    EntryKind::Ended => ("ended".to_owned(), "tl-marker"),
                    EntryKind::Rescheduled => ("rescheduled".to_owned(), "tl-marker tl-hop"),
                    EntryKind::Replaced => ("replaced".to_owned(), "tl-marker tl-hop"),
                };
                html! {
                    <tr class={classes!(class, (!e.time_known).then_some("unknown-time"))} data-attempt={(e.attempt + 1).to_string()}>
                        <td>
                            if e.time_known { <Time ns={Some(e.time)} /> }
                            else { <span class="muted" title="the source gave no valid time; placed by its order">{"unknown time"}</span> }
                        </td>
                        <td class="num">{ e.since_previous.map(|d| format!("+{}", human_duration(d))).unwrap_or_default() }</td>
                        <td class="num">{ format!("#{}", e.attempt + 1) }</td>
                        <td class="tl-what">{ what }</td>
                        <td>{ e.text.clone() }</td>
                    </tr>
                }
            }) }
            </tbody>
        </table>
    }
}
