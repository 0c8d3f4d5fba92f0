//! Copy a value to the clipboard, with feedback.

use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct CopyButtonProps {
    pub text: AttrValue,
    /// What is copied, for the button's accessible name ("Copy allocation ID").
    pub what: AttrValue,
}

#[component]
pub fn CopyButton(props: &CopyButtonProps) -> Html {
    // None: not tried; Some(true): the clipboard took it; Some(false): it refused.
    let outcome = use_state(|| None::<bool>);
    // A list row is reused for another allocation after a filter: forget the last outcome.
    {
        let outcome = outcome.clone();
        use_effect_with(props.text.clone(), move |_| {
            if outcome.is_some() {
                outcome.set(None);
            }
        });
    }
    let onclick = {
        let text = props.text.clone();
        let outcome = outcome.clone();
        Callback::from(move |e: MouseEvent| {
            e.stop_propagation();
            let Some(clipboard) = web_sys::window().map(|w| w.navigator().clipboard()) else {
                outcome.set(Some(false));
                return;
            };
            let promise = clipboard.write_text(&text);
            let outcome = outcome.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let ok = wasm_bindgen_futures::JsFuture::from(promise).await.is_ok();
                outcome.set(Some(ok));
            });
        })
    };
    let label = format!("Copy {}", props.what);
    let (text, title) = match *outcome {
        Some(true) => ("copied", label.clone()),
        Some(false) => (
            "copy failed",
            "The browser refused clipboard access; select the text and copy it by hand".to_owned(),
        ),
        None => ("copy", label.clone()),
    };
    html! {
        <button type="button" class="copy" {title} aria-label={label} {onclick}>{ text }</button>
    }
}
