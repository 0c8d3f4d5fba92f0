//! Export and share what the list shows: the filtered, sorted allocations as CSV or JSON
//! (a download made in the browser; nothing is sent anywhere), and a link that reproduces
//! the view. A link can name a source URL but never a local file or a token.

use crate::clock::Clock;
use crate::components::copy_button::CopyButton;
use crate::local::download;
use crate::store::{ListData, Shared, StoreContext};
use allocscope_model::{export, paths};
use std::rc::Rc;
use yew::prelude::*;
use yew_router::prelude::*;

/// Whether this app owns the page URL (standalone or iframe: hash routing), so a link to
/// the page reproduces the view. A custom element lives in a portal's page and does not.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OwnsPageUrl(pub bool);

#[derive(Properties, PartialEq)]
pub struct ExportBarProps {
    pub data: Shared<ListData>,
    /// Indices into `data.allocs`, in display order.
    pub rows: Rc<Vec<usize>>,
}

/// The page's address without query or fragment.
fn page_base() -> Option<String> {
    let loc = web_sys::window()?.location();
    Some(format!("{}{}", loc.origin().ok()?, loc.pathname().ok()?))
}

#[component]
pub fn ExportBar(props: &ExportBarProps) -> Html {
    // Optional, so the list view still renders on its own (SSR tests): no store, no link.
    let store = use_context::<StoreContext>();
    let clock = use_context::<Clock>().unwrap_or_default();
    let owns_url = use_context::<OwnsPageUrl>().unwrap_or_default();
    let location = use_location();
    let failed = use_state(|| None::<String>);
    let save = |ext: &'static str, mime: &'static str| {
        let (data, rows, failed, now) = (props.data.clone(), props.rows.clone(), failed.clone(), clock.now);
        Callback::from(move |_: MouseEvent| {
            let text = if ext == "csv" {
                export::csv(&data.allocs, &rows)
            } else {
                export::json(&data.allocs, &rows)
            };
            let name = export::file_name("allocations", now, ext);
            failed.set(download(&name, mime, &text).err());
        })
    };
    let link = if store.as_ref().is_none_or(|s| s.0.local.is_some()) {
        Err("A link cannot carry a local file: share the file itself, or a snapshot made with allocscope snapshot")
    } else if !owns_url.0 {
        Err("Embedded in a portal: the portal's own page address holds no allocscope view")
    } else {
        match (page_base(), &location, &store) {
            (Some(page), Some(l), Some(store)) => {
                let source = (!store.0.source.is_demo()).then_some(store.0.source.base.as_str());
                Ok(paths::permalink(&page, source, &format!("{}{}", l.path(), l.query_str())))
            }
            _ => Err("The page address is not available"),
        }
    };
    let n = props.rows.len();
    html! {
        <span class="export-bar">
            <button type="button" class="export" data-format="csv" onclick={save("csv", "text/csv")}
                title={format!("Download the {n} allocations shown as CSV")}>{"CSV"}</button>
            <button type="button" class="export" data-format="json" onclick={save("json", "application/json")}
                title={format!("Download the {n} allocations shown as JSON (opens again in allocscope)")}>{"JSON"}</button>
            {
                match link {
                    Ok(url) => html! {
                        <span class="permalink" data-url={url.clone()}>
                            <CopyButton text={AttrValue::from(url)} what="link to this view" />
                        </span>
                    },
                    Err(why) => html! { <span class="permalink muted" title={why}>{"no link"}</span> },
                }
            }
            if let Some(e) = &*failed { <span class="muted" role="alert">{ format!("Export failed: {e}") }</span> }
        </span>
    }
}
