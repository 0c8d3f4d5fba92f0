//! Loading, with download progress on long fetches.

use crate::api::Progress;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct LoadingProps {
    pub what: AttrValue,
    #[prop_or_default]
    pub progress: Option<Progress>,
}

#[component]
pub fn Loading(props: &LoadingProps) -> Html {
    let p = props.progress.unwrap_or_default();
    html! {
        <div class="loading" role="status" aria-live="polite">
            <span class="spinner" aria-hidden="true"></span>
            {"Loading "}{ props.what.clone() }{"…"}
            if p.received > 0 {
                <span class="progress-text">{" "}{ p.describe() }</span>
            }
            if let Some(pct) = p.percent() {
                <progress max="100" value={pct.to_string()}></progress>
            }
        </div>
    }
}
