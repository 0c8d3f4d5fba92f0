//! Times as an operator reads them: local wall-clock or relative text, with the absolute
//! local and UTC times on hover. Unknown times (zero, negative) show as a dash, never as a
//! date in 1754.

use crate::clock::Clock;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct TimeProps {
    /// Unix nanoseconds; `None`, zero or negative is unknown.
    pub ns: Option<i64>,
    /// Show "3m ago" instead of the local time.
    #[prop_or_default]
    pub relative: bool,
}

#[component]
pub fn Time(props: &TimeProps) -> Html {
    let clock = use_context::<Clock>().unwrap_or_default();
    time_view(&clock, props.ns, props.relative)
}

/// [`Time`] as a plain function, for rows rendered by the hundred (the caller reads the
/// clock once).
pub fn time_view(clock: &Clock, ns: Option<i64>, relative: bool) -> Html {
    let Some(ns) = ns else {
        return html! { <span class="muted">{"—"}</span> };
    };
    let (Some(local), Some(utc)) = (clock.local(ns), clock.utc(ns)) else {
        return html! { <span class="muted" title="the source gave no valid time">{"unknown"}</span> };
    };
    let (text, title) = if relative {
        match clock.relative(ns) {
            Some(rel) => (rel, format!("{local} local · {utc}")),
            None => (local.clone(), utc),
        }
    } else {
        (local, utc)
    };
    html! { <time title={title}>{text}</time> }
}
