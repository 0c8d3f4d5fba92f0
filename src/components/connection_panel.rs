//! The connection settings: ACL token (memory only unless the user opts in), namespace and
//! region. Opened from the header, and from a 403 error.

use crate::connection::{Connection, Remember};
use crate::field_value::use_field_value;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ConnectionPanelProps {
    pub connection: Connection,
    pub on_apply: Callback<Connection>,
    pub on_close: Callback<()>,
}

fn value(r: &NodeRef) -> String {
    r.cast::<web_sys::HtmlInputElement>().map(|i| i.value().trim().to_owned()).unwrap_or_default()
}

#[component]
pub fn ConnectionPanel(props: &ConnectionPanelProps) -> Html {
    let c = &props.connection;
    // The form is read when it is submitted, not kept in state from change events: a click
    // on Apply can arrive before the re-render that a field's change event asks for. The
    // fields carry no `value` (see `field_value`): the header re-renders this panel while a
    // list loads, and a `value` would wipe what the user typed meanwhile.
    let token = use_field_value(c.token.clone().unwrap_or_default());
    let namespace = use_field_value(c.namespace.clone());
    let region = use_field_value(c.region.clone());
    let remember = use_node_ref();
    let onsubmit = {
        let (token, namespace, region, remember) =
            (token.clone(), namespace.clone(), region.clone(), remember.clone());
        let apply = props.on_apply.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let t = value(&token);
            let kept = remember.cast::<web_sys::HtmlSelectElement>().map(|s| s.value()).unwrap_or_default();
            apply.emit(Connection {
                token: (!t.is_empty()).then_some(t),
                remember: Remember::parse(&kept),
                namespace: value(&namespace),
                region: value(&region),
            });
        })
    };
    let close = props.on_close.clone();
    html! {
        <form class="connection-panel" aria-label="Connection settings" {onsubmit}>
            <label>{"ACL token "}
                <input ref={token} type="password" name="token" autocomplete="off" placeholder="X-Nomad-Token (secret ID)" />
            </label>
            <label>{"Keep the token "}
                <select ref={remember} name="remember">
                    <option value="memory" selected={c.remember == Remember::Memory}>{"in memory only"}</option>
                    <option value="session" selected={c.remember == Remember::Session}>{"for this tab"}</option>
                    <option value="local" selected={c.remember == Remember::Local}>{"on this device"}</option>
                </select>
            </label>
            <label>{"Namespace "}
                <input ref={namespace} type="text" name="namespace" placeholder="default (* for all)" />
            </label>
            <label>{"Region "}
                <input ref={region} type="text" name="region" placeholder="the agent's region" />
            </label>
            <button type="submit" class="apply">{"Apply"}</button>
            <button type="button" class="link" onclick={move |_| close.emit(())}>{"Close"}</button>
            <p class="muted">{"The token is sent as X-Nomad-Token to the source only, never put in a URL, and kept in memory unless you choose otherwise."}</p>
        </form>
    }
}
