//! Live, reconnecting, paused or snapshot, with the last update time and a pause toggle.

use crate::live::LiveStatus;
use crate::store::{use_store, Action};
use yew::prelude::*;

fn clock_text(ms: f64) -> String {
    #[cfg(target_arch = "wasm32")]
    {
        let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms));
        format!("{:02}:{:02}:{:02}", d.get_hours(), d.get_minutes(), d.get_seconds())
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let _ = ms;
        String::new()
    }
}

#[component]
pub fn LiveIndicator() -> Html {
    let store = use_store();
    let (class, text) = match &store.0.live {
        _ if store.0.local.is_some() => ("local", "local file (nothing is fetched)".to_owned()),
        LiveStatus::Idle => ("idle", "connecting…".to_owned()),
        LiveStatus::Snapshot => ("snapshot", "snapshot (static data)".to_owned()),
        LiveStatus::Live { updated } => ("live", format!("live · updated {}", clock_text(*updated))),
        LiveStatus::Resyncing => ("resyncing", "re-syncing (reading the list again)…".to_owned()),
        LiveStatus::Reconnecting { attempt, retry_in_ms } => {
            ("reconnecting", format!("reconnecting (attempt {attempt}, next in {} s)", retry_in_ms / 1000))
        }
        LiveStatus::Paused => ("paused", "paused".to_owned()),
    };
    let paused = store.0.paused;
    let toggle = {
        let d = store.0.dispatcher();
        Callback::from(move |_| d.dispatch(Action::SetPaused(!paused)))
    };
    let snapshot = store.0.live == LiveStatus::Snapshot || store.0.local.is_some();
    html! {
        <span class={classes!("live-indicator", class)} role="status" aria-live="polite">
            <span class="dot" aria-hidden="true"></span>{ text }
            if !snapshot {
                <button type="button" class="pause" onclick={toggle}>{ if paused { "resume" } else { "pause" } }</button>
            }
        </span>
    }
}
