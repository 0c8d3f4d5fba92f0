//! The notice for an allocation the agent no longer has: it answered 404 after the view had
//! read it live. Nomad garbage-collects terminal allocations without any event
//! (docs/nomad-live.md §1, "GC and the allocs index"), so this is how a viewer learns of it.

use allocscope_model::short_id;
use yew::prelude::*;

pub fn gone_notice(id: &str) -> Html {
    html! {
        <div class="notice gone" role="alert">
            <p class="error-headline">{ format!("Allocation {} is gone: the agent no longer has it.", short_id(id)) }</p>
            <p>{"Nomad garbage-collects terminal allocations (by default an hour after they stop, or sooner under pressure). What is shown below is its last known state; it is no longer updated, and it has left the lists."}</p>
        </div>
    }
}
