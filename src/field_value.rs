//! Text fields that are read when submitted (or on change) rather than on every keystroke.
//!
//! Yew re-applies an `<input value=…>` to the element on *every* render of its component,
//! comparing with the element's current text: any re-render while the user types (a list
//! page arriving, a live update, the 30 s clock) wipes what was typed since the value was
//! last stored. These fields therefore carry no `value` attribute; the text is set from
//! the stored value when the field mounts and whenever that value changes (a route
//! change, a reset), and is otherwise the user's.

use web_sys::HtmlInputElement;
use yew::prelude::*;

/// A ref for an `<input>` whose text follows `value` only when `value` changes.
#[hook]
pub fn use_field_value(value: String) -> NodeRef {
    let node = use_node_ref();
    {
        let node = node.clone();
        use_effect_with(value, move |value| {
            if let Some(input) = node.cast::<HtmlInputElement>() {
                if input.value() != *value {
                    input.set_value(value);
                }
            }
        });
    }
    node
}
