//! "Why it ended": the cause of an allocation's (or a task's) end with its evidence.

use crate::components::time::Time;
use allocscope_model::Cause;
use yew::prelude::*;

/// `subject` is `allocation` or `task`, for the heading.
pub fn cause_card(c: &Cause, subject: &str) -> Html {
    let class = classes!("cause-card", if c.kind.is_failure() { "failure" } else { "benign" });
    html! {
        <section class={class} aria-label="Why it ended">
            <h2>{ format!("Why this {subject} ended") }</h2>
            <p class="cause-summary"><span class="badge cause-kind">{ c.kind.label() }</span>{" "}{ c.summary.clone() }</p>
            <ul class="evidence">
                { for c.evidence.iter().map(|e| html! {
                    <li>
                        if e.time.is_some() { <Time ns={e.time} />{" "} }
                        <span class="ev-source">{ e.source.clone() }</span>{": "}
                        <span class="ev-text">{ e.text.clone() }</span>
                    </li>
                }) }
            </ul>
        </section>
    }
}
