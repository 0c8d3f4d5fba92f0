//! The reschedule chain: every known attempt of an allocation slot, oldest first, with the
//! hop between attempts (rescheduled after a delay, or replaced), gaps where an attempt is
//! referenced but not in the data, and the current attempt marked.

use crate::components::badges::client_status_badge;
use crate::components::time::Time;
use crate::routes::Route;
use allocscope_model::times::go_duration;
use allocscope_model::{allocation_cause, short_id, Allocation, Hop, Lineage};
use yew::prelude::*;
use yew_router::prelude::*;

/// Why a gap is a gap, as far as the app knows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GapState {
    /// Not fetched (yet).
    Unknown,
    Loading,
    /// The source answered 404: garbage-collected.
    NotFound,
    /// Fetching failed otherwise.
    Failed(String),
}

/// `allocs` are the allocations the lineage's indices point into; `gaps` the state of each
/// gap, by allocation ID.
pub fn chain(l: &Lineage, allocs: &[Allocation], gaps: &[(String, GapState)]) -> Html {
    let gap_state =
        |id: &str| gaps.iter().find(|(g, _)| g == id).map(|(_, s)| s.clone()).unwrap_or(GapState::Unknown);
    let mut rows: Vec<Html> = Vec::new();
    if l.earlier_unknown {
        rows.push(html! {
            <li class="chain-note">{"Earlier attempts may exist: the oldest known attempt does not say what it replaced."}</li>
        });
    }
    for (i, attempt) in l.attempts.iter().enumerate() {
        let current = i == l.current;
        let number = format!("#{}", i + 1);
        let body = match attempt.alloc.and_then(|k| allocs.get(k)) {
            Some(a) => {
                let node = if a.node_name.is_empty() {
                    short_id(&a.node_id).to_owned()
                } else {
                    a.node_name.clone()
                };
                let ended = allocation_cause(a)
                    .map(|c| c.summary)
                    .unwrap_or_else(|| format!("{} now", a.client_status));
                html! {
                    <>
                        <span class="attempt-no">{ number }</span>
                        <Link<Route> to={Route::Allocation { id: a.id.clone() }} classes="mono">{ a.short_id().to_owned() }</Link<Route>>
                        { client_status_badge(&a.client_status) }
                        <span class="attempt-node" title={a.node_id.clone()}>{"on "}{ node }</span>
                        <span class="attempt-times">{"created "}<Time ns={Some(a.create_time)} />{" · modified "}<Time ns={Some(a.modify_time)} relative=true /></span>
                        <span class="attempt-end">{ ended }</span>
                        if current { <span class="current-marker">{"this allocation"}</span> }
                    </>
                }
            }
            None => {
                let why = match gap_state(&attempt.id) {
                    GapState::Loading => "loading…".to_owned(),
                    GapState::NotFound => "not found at the source: garbage-collected".to_owned(),
                    GapState::Failed(e) => format!("could not be fetched: {e}"),
                    GapState::Unknown => {
                        "not in the data: garbage-collected, or outside the reschedule tracker's window"
                            .to_owned()
                    }
                };
                let node = (!attempt.node_id.is_empty()).then(|| {
                    html! { <span class="attempt-node" title={attempt.node_id.clone()}>{"on node "}{ short_id(&attempt.node_id).to_owned() }</span> }
                });
                html! {
                    <>
                        <span class="attempt-no">{ number }</span>
                        <span class="mono" title={attempt.id.clone()}>{ short_id(&attempt.id).to_owned() }</span>
                        { node }
                        <span class="gap-why">{ why }</span>
                    </>
                }
            }
        };
        let class = classes!("attempt", current.then_some("current"), attempt.is_gap().then_some("gap"));
        rows.push(html! { <li class={class} aria-current={current.then_some("true")}>{ body }</li> });
        if let Some(hop) = &attempt.hop_to_next {
            rows.push(match hop {
                Hop::Rescheduled { at, delay } => html! {
                    <li class="hop hop-rescheduled">
                        {"↓ rescheduled "}<Time ns={Some(*at)} />{" after a "}{ go_duration(*delay) }{" delay"}
                    </li>
                },
                Hop::Replaced => html! { <li class="hop hop-replaced">{"↓ replaced (no reschedule event: an update, migration or lost node)"}</li> },
            });
        }
    }
    html! {
        <ol class="chain" aria-label="Reschedule chain, oldest first">{ for rows }</ol>
    }
}
