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
    let copied = use_state(|| false);
    let onclick = {
        let text = props.text.clone();
        let copied = copied.clone();
        Callback::from(move |e: MouseEvent| {
            e.stop_propagation();
            if let Some(clipboard) = web_sys::window().map(|w| w.navigator().clipboard()) {
                let _ = clipboard.write_text(&text);
                copied.set(true);
            }
        })
    };
    let label = format!("Copy {}", props.what);
    html! {
        <button type="button" class="copy" title={label.clone()} aria-label={label} {onclick}>
            { if *copied { "copied" } else { "copy" } }
        </button>
    }
}
