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

/// Where a link to the current view points.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum LinkPage {
    /// This page: the app owns the page URL (standalone or iframe, hash routing).
    ThisPage,
    /// The standalone app at this address: a custom element lives in a portal's page,
    /// whose URL holds no allocscope view, so its links open the app itself (by default
    /// the folder `allocscope-element.js` was loaded from; the `app-url` attribute).
    App(String),
    /// No link can be made (a view rendered outside any page, as in tests).
    #[default]
    Nowhere,
}

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

/// `url` resolved against this page's address (unchanged where that fails).
fn absolute(url: &str) -> String {
    let here = web_sys::window().and_then(|w| w.location().href().ok());
    here.and_then(|h| web_sys::Url::new_with_base(url, &h).ok()).map_or_else(|| url.to_owned(), |u| u.href())
}

#[component]
pub fn ExportBar(props: &ExportBarProps) -> Html {
    // Optional, so the list view still renders on its own (SSR tests): no store, no link.
    let store = use_context::<StoreContext>();
    let clock = use_context::<Clock>().unwrap_or_default();
    let link_page = use_context::<LinkPage>().unwrap_or_default();
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
    } else {
        let page = match &link_page {
            LinkPage::ThisPage => page_base(),
            LinkPage::App(url) => Some(url.clone()),
            LinkPage::Nowhere => None,
        };
        match (page, &location, &store) {
            (Some(page), Some(l), Some(store)) => {
                let source = &store.0.source;
                // The app at another address resolves a relative source against its own
                // page; the link names it in full, as this page resolved it.
                let source = match &link_page {
                    LinkPage::App(_) => Some(absolute(&source.base)),
                    _ => (!source.is_demo()).then(|| source.base.clone()),
                };
                Ok(paths::permalink(&page, source.as_deref(), &format!("{}{}", l.path(), l.query_str())))
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
