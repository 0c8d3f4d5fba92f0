//! "Why it ended": the cause of an allocation's (or a task's) end with its evidence.

use crate::components::time::Time;
use allocscope_model::Cause;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct CauseCardProps {
    pub cause: Cause,
    /// `allocation` or `task`, for the heading.
    #[prop_or(AttrValue::Static("allocation"))]
    pub subject: AttrValue,
}

#[component]
pub fn CauseCard(props: &CauseCardProps) -> Html {
    let c = &props.cause;
    let class = classes!("cause-card", if c.kind.is_failure() { "failure" } else { "benign" });
    html! {
        <section class={class} aria-label="Why it ended">
            <h2>{ format!("Why this {} ended", props.subject) }</h2>
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
