//! The connection settings: ACL token (memory only unless the user opts in), namespace and
//! region. Opened from the header, and from a 403 error.

use crate::connection::{Connection, Remember};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ConnectionPanelProps {
    pub connection: Connection,
    pub on_apply: Callback<Connection>,
    pub on_close: Callback<()>,
}

fn input_value(e: &Event) -> String {
    let t: web_sys::HtmlInputElement = e.target_unchecked_into();
    t.value()
}

#[component]
pub fn ConnectionPanel(props: &ConnectionPanelProps) -> Html {
    let draft = use_state(|| props.connection.clone());
    let set = |f: fn(&mut Connection, String)| {
        let draft = draft.clone();
        Callback::from(move |e: Event| {
            let mut c = (*draft).clone();
            f(&mut c, input_value(&e));
            draft.set(c);
        })
    };
    let on_token = set(|c, v| c.token = (!v.trim().is_empty()).then(|| v.trim().to_owned()));
    let on_namespace = set(|c, v| c.namespace = v.trim().to_owned());
    let on_region = set(|c, v| c.region = v.trim().to_owned());
    let on_remember = {
        let draft = draft.clone();
        Callback::from(move |e: Event| {
            let s: web_sys::HtmlSelectElement = e.target_unchecked_into();
            let mut c = (*draft).clone();
            c.remember = Remember::parse(&s.value());
            draft.set(c);
        })
    };
    let onsubmit = {
        let (draft, apply) = (draft.clone(), props.on_apply.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            apply.emit((*draft).clone());
        })
    };
    let close = props.on_close.clone();
    let d = &*draft;
    html! {
        <form class="connection-panel" aria-label="Connection settings" {onsubmit}>
            <label>{"ACL token "}
                <input type="password" name="token" autocomplete="off" placeholder="X-Nomad-Token (secret ID)"
                    value={d.token.clone().unwrap_or_default()} onchange={on_token} />
            </label>
            <label>{"Keep the token "}
                <select name="remember" onchange={on_remember}>
                    <option value="memory" selected={d.remember == Remember::Memory}>{"in memory only"}</option>
                    <option value="session" selected={d.remember == Remember::Session}>{"for this tab"}</option>
                    <option value="local" selected={d.remember == Remember::Local}>{"on this device"}</option>
                </select>
            </label>
            <label>{"Namespace "}
                <input type="text" name="namespace" placeholder="default (* for all)" value={d.namespace.clone()} onchange={on_namespace} />
            </label>
            <label>{"Region "}
                <input type="text" name="region" placeholder="the agent's region" value={d.region.clone()} onchange={on_region} />
            </label>
            <button type="submit" class="apply">{"Apply"}</button>
            <button type="button" class="link" onclick={move |_| close.emit(())}>{"Close"}</button>
            <p class="muted">{"The token is sent as X-Nomad-Token to the source only, never put in a URL, and kept in memory unless you choose otherwise."}</p>
        </form>
    }
}
