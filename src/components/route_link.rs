//! A link to an in-app route as a plain function, for rows rendered by the hundred: the same
//! markup and behaviour as yew-router's `Link` (an `href` that opens in a new tab, a click
//! that navigates in place, modifier clicks left to the browser) without a component, its
//! context subscription and its lifecycle per link.

use crate::routes::Route;
use allocscope_model::ListQuery;
use yew::prelude::*;
use yew_router::navigator::NavigatorKind;
use yew_router::prelude::*;

/// `<a href=…>` for `route` (with `query`) that navigates with `navigator` when clicked.
pub fn route_link(
    navigator: &Navigator,
    route: Route,
    query: Option<ListQuery>,
    class: &'static str,
    children: Html,
) -> Html {
    let mut path = navigator.basename().unwrap_or("").to_owned() + &route.to_path();
    if let Some(q) = query.as_ref().and_then(|q| serde_urlencoded::to_string(q).ok()) {
        if !q.is_empty() {
            path.push('?');
            path.push_str(&q);
        }
    }
    if navigator.kind() == NavigatorKind::Hash {
        path.insert(0, '#');
    }
    let onclick = {
        let navigator = navigator.clone();
        Callback::from(move |e: MouseEvent| {
            if e.meta_key() || e.ctrl_key() || e.shift_key() || e.alt_key() {
                return;
            }
            e.prevent_default();
            match &query {
                Some(q) => {
                    let _ = navigator.push_with_query(&route, q);
                }
                None => navigator.push(&route),
            }
        })
    };
    let class = (!class.is_empty()).then_some(class);
    html! { <a {class} href={path} {onclick}>{ children }</a> }
}
