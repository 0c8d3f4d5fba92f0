//! The allocation as the source sent it, pretty-printed, with a copy button.

use crate::components::copy_button::CopyButton;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct RawJsonProps {
    pub raw: AttrValue,
}

#[component]
pub fn RawJson(props: &RawJsonProps) -> Html {
    let pretty = use_memo(props.raw.clone(), |raw| {
        serde_json::from_str::<serde_json::Value>(raw)
            .ok()
            .and_then(|v| serde_json::to_string_pretty(&v).ok())
            .unwrap_or_else(|| raw.to_string())
    });
    html! {
        <details class="raw-json">
            <summary>{"Raw JSON"}</summary>
            <CopyButton text={AttrValue::from((*pretty).clone())} what="the allocation JSON" />
            <pre>{ (*pretty).clone() }</pre>
        </details>
    }
}
