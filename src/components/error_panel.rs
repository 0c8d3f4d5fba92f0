//! A failed fetch: what failed (URL, status), the server's own text, what to do, and a retry.

use crate::api::FetchError;
use crate::app::TokenPrompt;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ErrorPanelProps {
    pub error: FetchError,
    #[prop_or_default]
    pub on_retry: Option<Callback<()>>,
    /// A failed refresh with older data still on screen is shown smaller.
    #[prop_or_default]
    pub compact: bool,
}

#[component]
pub fn ErrorPanel(props: &ErrorPanelProps) -> Html {
    let e = &props.error;
    let detail = e.detail();
    // A 403 asks for a token where the page can take one.
    let prompt = use_context::<Option<TokenPrompt>>().flatten().filter(|_| e.status() == Some(403)).map(|p| {
        let cb = p.0;
        html! { <button type="button" class="enter-token" onclick={move |_| cb.emit(())}>{"Enter an ACL token"}</button> }
    });
    let retry = props.on_retry.as_ref().map(|cb| {
        let cb = cb.clone();
        html! { <button type="button" class="retry" onclick={move |_| cb.emit(())}>{"Retry"}</button> }
    });
    html! {
        <div class={classes!("error-panel", props.compact.then_some("compact"))} role="alert" data-status={e.status().map(|s| s.to_string())}>
            <p class="error-headline">{ e.headline() }</p>
            <p class="error-url">{"GET "}<code>{ e.url.clone() }</code></p>
            if !detail.is_empty() {
                <pre class="error-detail">{ detail }</pre>
            }
            <p class="error-advice">{ e.advice() }</p>
            { prompt }
            { retry }
        </div>
    }
}
