//! Attempt budgets: restarts used of allowed per task, reschedules used of allowed, and
//! what Nomad will do next.

use crate::components::time::Time;
use allocscope_model::{reschedule_budget, restart_budgets, Allocation, Outlook};
use yew::prelude::*;

pub fn budget_view(a: &Allocation) -> Html {
    let restarts = restart_budgets(a);
    let r = reschedule_budget(a);
    let outlook_class = match r.outlook {
        Outlook::Stopped { .. } => "outlook stopped",
        Outlook::Pending { .. } => "outlook pending",
        _ => "outlook",
    };
    html! {
        <section class="budget" aria-label="Attempt budget">
            <h2>{"Attempt budget"}</h2>
            <dl class="kv">
                { for restarts.iter().map(|b| html! {
                    <>
                        <dt>{ format!("Restarts of {}", b.task) }</dt>
                        <dd class={classes!("restart-budget", b.exhausted.then_some("exhausted"))}>
                            { b.describe() }
                            if b.exhausted { <span class="badge st-failed">{"exhausted"}</span> }
                        </dd>
                    </>
                }) }
                <dt>{"Reschedules"}</dt><dd class="reschedule-used">{ r.describe_used() }</dd>
                <dt>{"Reschedule policy"}</dt><dd>{ r.describe_policy() }</dd>
                <dt>{"Next"}</dt>
                <dd class={outlook_class}>
                    { r.describe_outlook() }
                    if let Outlook::Pending { eta, .. } = r.outlook { {" — about "}<Time ns={Some(eta)} />{" (estimated from the policy)"} }
                </dd>
            </dl>
        </section>
    }
}
