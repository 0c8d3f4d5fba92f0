//! Embedding: the `<allocscope-view>` custom element (in-memory routing, attributes as
//! props, events to the host) and iframe mode (configuration by `postMessage` from allowed
//! origins only; height and route reported to the parent).

use crate::app::{AppRoot, HostEvent};
use crate::clock::Clock;
use crate::routes::Route;
use crate::source::Source;
use crate::theme::Theme;
use allocscope_model::config::Config;
use allocscope_model::ListQuery;
use std::rc::Rc;
use yew::prelude::*;
use yew_router::history::{AnyHistory, History, MemoryHistory};
use yew_router::prelude::*;

/// What a parent page may set by `postMessage({type: "allocscope:config", ...})`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IframeCommand {
    pub source: Option<String>,
    pub route: Option<String>,
    pub theme: Option<String>,
    pub token: Option<String>,
}

/// In an iframe: accept configuration from allowed parent origins, report height and route
/// to them. Returns the callback the app reports its route with, or `None` when not framed.
#[hook]
pub fn use_iframe_bridge(
    config: Rc<Config>,
    on_command: Callback<IframeCommand>,
) -> Option<Callback<HostEvent>> {
    let framed = *use_memo((), |_| is_framed());
    {
        let config = config.clone();
        use_effect_with((), move |_| {
            let guard = if framed { bridge::start(config, on_command) } else { None };
            move || {
                let _stop = guard;
            }
        });
    }
    if !framed {
        return None;
    }
    Some(Callback::from(move |ev: HostEvent| {
        if let HostEvent::Navigate { route } = ev {
            bridge::post(&config, "allocscope:route", "route", &route.as_str().into());
        }
    }))
}

#[cfg(target_arch = "wasm32")]
fn is_framed() -> bool {
    let Some(w) = web_sys::window() else { return false };
    match w.parent() {
        Ok(Some(p)) => !js_sys::Object::is(&p, &w),
        _ => false,
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn is_framed() -> bool {
    false
}

#[cfg(target_arch = "wasm32")]
mod bridge {
    use super::IframeCommand;
    use allocscope_model::config::Config;
    use std::rc::Rc;
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::{JsCast, JsValue};
    use yew::Callback;

    /// The height observer and the closure it calls.
    type Observer = (web_sys::ResizeObserver, Closure<dyn Fn(js_sys::Array)>);

    pub struct Guard {
        _on_message: Closure<dyn Fn(web_sys::MessageEvent)>,
        _observer: Option<Observer>,
    }

    impl Drop for Guard {
        fn drop(&mut self) {
            if let Some((o, _)) = &self._observer {
                o.disconnect();
            }
            if let Some(w) = web_sys::window() {
                let _ = w.remove_event_listener_with_callback(
                    "message",
                    self._on_message.as_ref().unchecked_ref(),
                );
            }
        }
    }

    fn field(data: &JsValue, key: &str) -> Option<String> {
        js_sys::Reflect::get(data, &key.into()).ok().and_then(|v| v.as_string())
    }

    /// Post `{type, <key>: value}` to every allowed parent origin (the browser delivers it
    /// only where the parent's origin matches).
    pub fn post(config: &Config, kind: &str, key: &str, value: &JsValue) {
        let Some(parent) = web_sys::window().and_then(|w| w.parent().ok().flatten()) else { return };
        let msg = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&msg, &"type".into(), &kind.into());
        let _ = js_sys::Reflect::set(&msg, &key.into(), value);
        for origin in &config.allowed_parent_origins {
            let _ = parent.post_message(&msg, origin.trim_end_matches('/'));
        }
    }

    pub fn start(config: Rc<Config>, on_command: Callback<IframeCommand>) -> Option<Guard> {
        let window = web_sys::window()?;
        let cfg = config.clone();
        let on_message = Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |ev: web_sys::MessageEvent| {
            // Configuration is accepted only from the origins config.json allows.
            if !cfg.allows_origin(&ev.origin()) {
                return;
            }
            let data = ev.data();
            if field(&data, "type").as_deref() != Some("allocscope:config") {
                return;
            }
            on_command.emit(IframeCommand {
                source: field(&data, "source"),
                route: field(&data, "route"),
                theme: field(&data, "theme"),
                token: field(&data, "token"),
            });
        });
        window.add_event_listener_with_callback("message", on_message.as_ref().unchecked_ref()).ok()?;
        let cfg = config.clone();
        let observer = window.document().and_then(|d| d.document_element()).and_then(|root| {
            let report = Closure::<dyn Fn(js_sys::Array)>::new(move |_entries: js_sys::Array| {
                if let Some(h) = web_sys::window()
                    .and_then(|w| w.document())
                    .and_then(|d| d.document_element())
                    .map(|e| e.scroll_height())
                {
                    post(&cfg, "allocscope:height", "height", &JsValue::from(h));
                }
            });
            let o = web_sys::ResizeObserver::new(report.as_ref().unchecked_ref()).ok()?;
            o.observe(&root);
            Some((o, report))
        });
        post(&config, "allocscope:ready", "ready", &JsValue::TRUE);
        Some(Guard { _on_message: on_message, _observer: observer })
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod bridge {
    use super::IframeCommand;
    use allocscope_model::config::Config;
    use std::rc::Rc;
    use yew::Callback;

    pub struct Guard;

    pub fn post(_: &Config, _: &str, _: &str, _: &Value) {}

    /// Stands in for a JS value off the web.
    pub struct Value;

    impl From<&str> for Value {
        fn from(_: &str) -> Value {
            Value
        }
    }

    pub fn start(_: Rc<Config>, _: Callback<IframeCommand>) -> Option<Guard> {
        None
    }
}

/// The custom element's attributes (and its `token` property).
#[derive(Properties, Clone, Debug, Default, PartialEq)]
pub struct ElementProps {
    /// Base URL of the source; the loader passes the bundled demo when the attribute is absent.
    pub source: String,
    /// Open this allocation.
    #[prop_or_default]
    pub allocation: String,
    /// Or this job's allocations.
    #[prop_or_default]
    pub job: String,
    #[prop_or_default]
    pub namespace: String,
    #[prop_or_default]
    pub theme: String,
    #[prop_or_default]
    pub token: Option<String>,
    /// The standalone app's address, for links to a view (`app-url`; the element's loader
    /// passes the folder it was loaded from when the attribute is absent).
    #[prop_or_default]
    pub app_url: String,
    /// Dispatches CustomEvents on the host element.
    #[prop_or_default]
    pub emit: Option<Callback<HostEvent>>,
}

/// The in-app route (and list query) the attributes ask for.
pub fn initial_route(p: &ElementProps) -> (Route, Option<ListQuery>) {
    if !p.allocation.is_empty() {
        return (Route::Allocation { id: p.allocation.clone() }, None);
    }
    let q = ListQuery { job: p.job.clone(), namespace: p.namespace.clone(), ..Default::default() };
    (Route::Allocations, (q != ListQuery::default()).then_some(q))
}

/// The custom element's app: in-memory routing, so the host page's URL never changes.
#[component]
pub fn ElementApp(props: &ElementProps) -> Html {
    let history = use_memo((), {
        let (route, query) = initial_route(props);
        move |_| {
            let h = MemoryHistory::new();
            // The router's query-aware push; a query in the path itself is rejected.
            match query {
                Some(q) => {
                    let _ = h.push_with_query(route.to_path(), q);
                }
                None => h.push(route.to_path()),
            }
            AnyHistory::from(h)
        }
    });
    html! {
        <Router history={(*history).clone()}>
            <ElementInner ..props.clone() />
        </Router>
    }
}

#[component]
fn ElementInner(props: &ElementProps) -> Html {
    let navigator = use_navigator();
    let first = use_mut_ref(|| true);
    use_effect_with(initial_route(props), move |(route, query)| {
        // The first render already starts there; later attribute changes navigate.
        if std::mem::replace(&mut *first.borrow_mut(), false) {
            return;
        }
        if let Some(n) = navigator {
            match query {
                Some(q) => {
                    let _ = n.push_with_query(route, q);
                }
                None => n.push(route),
            }
        }
    });
    let source = Source::new(props.source.clone());
    let connection = crate::connection::Connection { token: props.token.clone(), ..Default::default() };
    let key = format!("{}|{}", source.base, connection.cache_key());
    html! {
        <AppRoot {key} {source} clock={Clock::browser()} theme={Theme::parse(&props.theme)}
            {connection} on_event={props.emit.clone()} app_url={Some(props.app_url.clone())} />
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_choose_the_initial_route() {
        let p =
            ElementProps { allocation: "211a8252-a89f-2b2b-a5af-d530920bcc3a".into(), ..Default::default() };
        assert_eq!(
            initial_route(&p),
            (Route::Allocation { id: "211a8252-a89f-2b2b-a5af-d530920bcc3a".into() }, None)
        );
        let p =
            ElementProps { job: "web/dispatch 1".into(), namespace: "payments".into(), ..Default::default() };
        let (r, q) = initial_route(&p);
        assert_eq!(r, Route::Allocations);
        assert_eq!(q.unwrap().job, "web/dispatch 1");
        assert_eq!(initial_route(&ElementProps::default()), (Route::Allocations, None));
    }
}
