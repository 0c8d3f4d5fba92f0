//! The allocation as the source sent it, pretty-printed, with a copy button, and a line for
//! each field a newer Nomad sent in a JSON type allocscope does not read (shown at its
//! default elsewhere on the page; the value is here).

use crate::clock::Clock;
use crate::components::copy_button::CopyButton;
use crate::local::download;
use allocscope_model::{decode, export, DecodeOptions};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct RawJsonProps {
    pub raw: AttrValue,
    /// What a download of it is called (`allocation-<id>`).
    pub download_as: AttrValue,
}

#[component]
pub fn RawJson(props: &RawJsonProps) -> Html {
    let pretty = use_memo(props.raw.clone(), |raw| {
        serde_json::from_str::<serde_json::Value>(raw)
            .ok()
            .and_then(|v| serde_json::to_string_pretty(&v).ok())
            .unwrap_or_else(|| raw.to_string())
    });
    // The store keeps the allocation and its text, not the decode's notes: decode this one
    // allocation again (only this page does, and only when the text changes).
    let notes = use_memo(props.raw.clone(), |raw| {
        decode(raw.as_bytes(), DecodeOptions::STRICT).map(|d| d.type_notes).unwrap_or_default()
    });
    let now = use_context::<Clock>().unwrap_or_default().now;
    let failed = use_state(|| None::<String>);
    let save = {
        let (pretty, name, failed) = (pretty.clone(), props.download_as.clone(), failed.clone());
        Callback::from(move |_: MouseEvent| {
            failed.set(download(&export::file_name(&name, now, "json"), "application/json", &pretty).err());
        })
    };
    html! {
        <>
        <details class="raw-json">
            <summary>{"Raw JSON"}</summary>
            <CopyButton text={AttrValue::from((*pretty).clone())} what="the allocation JSON" />
            <button type="button" class="copy download-json" onclick={save} title="Download this allocation as a JSON file">{"download"}</button>
            if let Some(e) = &*failed { <span class="muted" role="alert">{ format!(" Download failed: {e}") }</span> }
            <pre>{ (*pretty).clone() }</pre>
        </details>
        if !notes.is_empty() {
            <ul class="type-notes muted">{ for notes.iter().map(|n| html! {
                <li><code>{ n.field.clone() }</code>{ format!(": {}; kept as raw JSON above", n.describe()) }</li>
            }) }</ul>
        }
        </>
    }
}
