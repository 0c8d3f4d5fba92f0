//! Status badges and the row indicators (rescheduled, replaced, preempted, failed and not
//! rescheduled). CSS classes come from a fixed list, never from data.

use allocscope_model::{Allocation, ClientStatus, DesiredStatus, TaskStateKind};
use yew::prelude::*;

fn client_class(s: &ClientStatus) -> &'static str {
    match s {
        ClientStatus::Pending => "st-pending",
        ClientStatus::Running => "st-running",
        ClientStatus::Complete => "st-complete",
        ClientStatus::Failed => "st-failed",
        ClientStatus::Lost => "st-lost",
        ClientStatus::Unknown => "st-unknown",
        ClientStatus::Other(_) => "st-other",
    }
}

pub fn client_status_badge(status: &ClientStatus) -> Html {
    let text = if status.is_empty() { "—" } else { status.as_str() };
    html! { <span class={classes!("badge", client_class(status))}>{text}</span> }
}

pub fn desired_status_badge(status: &DesiredStatus) -> Html {
    let class = match status {
        DesiredStatus::Run => "ds-run",
        DesiredStatus::Stop => "ds-stop",
        DesiredStatus::Evict => "ds-evict",
        DesiredStatus::Other(_) => "ds-other",
    };
    let text = if status.is_empty() { "—" } else { status.as_str() };
    html! { <span class={classes!("badge", "desired", class)}>{text}</span> }
}

/// `dead` alone says nothing: a dead task either finished or failed.
pub fn task_state_badge(state: &TaskStateKind, failed: bool) -> Html {
    let (class, text) = match (state, failed) {
        (TaskStateKind::Dead, true) => ("st-failed", "dead (failed)".to_owned()),
        (TaskStateKind::Dead, false) => ("st-complete", "dead (finished)".to_owned()),
        (TaskStateKind::Running, _) => ("st-running", "running".to_owned()),
        (TaskStateKind::Pending, _) => ("st-pending", "pending".to_owned()),
        (TaskStateKind::Other(s), _) => ("st-other", if s.is_empty() { "—".to_owned() } else { s.clone() }),
    };
    html! { <span class={classes!("badge", class)}>{text}</span> }
}

/// The facts about an allocation's fate that a list row must not hide. A plain function,
/// not a component: a list row would otherwise clone the whole allocation into props.
pub fn indicators(a: &Allocation) -> Html {
    let mut items: Vec<(&str, &str, String)> = Vec::new();
    if a.was_rescheduled() {
        let n = a.reschedule_tracker.as_ref().map(|t| t.events.len()).unwrap_or(0);
        items.push((
            "ind-rescheduled",
            "rescheduled",
            format!("A reschedule of an earlier attempt ({n} recorded)"),
        ));
    }
    if a.was_replaced() {
        items.push(("ind-replaced", "replaced", format!("Replaced by allocation {}", a.next_allocation)));
    }
    if a.was_preempted() {
        items.push((
            "ind-preempted",
            "preempted",
            format!("Preempted by allocation {}", a.preempted_by_allocation),
        ));
    }
    if !a.preempted_allocations.is_empty() {
        items.push((
            "ind-preempter",
            "preempter",
            format!("Preempted {} allocation(s) to be placed", a.preempted_allocations.len()),
        ));
    }
    if a.failed_without_reschedule() {
        items.push(("ind-final", "not rescheduled", "Failed, and Nomad will not reschedule it".to_owned()));
    } else if a.client_status == ClientStatus::Failed && !a.followup_eval_id.is_empty() && !a.was_replaced() {
        items.push((
            "ind-pending",
            "reschedule pending",
            format!("Evaluation {} will reschedule it", a.followup_eval_id),
        ));
    }
    html! {
        <span class="indicators">
            { for items.into_iter().map(|(class, text, title)| html! {
                <span class={classes!("ind", class)} title={title}>{text}</span>
            }) }
        </span>
    }
}
