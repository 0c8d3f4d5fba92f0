//! Loading, with download progress on long fetches.

use crate::api::Progress;
use yew::prelude::*;

pub fn loading(what: &str, progress: Option<Progress>) -> Html {
    let p = progress.unwrap_or_default();
    html! {
        <div class="loading" role="status" aria-live="polite">
            <span class="spinner" aria-hidden="true"></span>
            {"Loading "}{ what }{"…"}
            if p.received > 0 {
                <span class="progress-text">{" "}{ p.describe() }</span>
            }
            if let Some(pct) = p.percent() {
                <progress max="100" value={pct.to_string()}></progress>
            }
        </div>
    }
}
