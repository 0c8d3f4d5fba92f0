//! Opening local files: the header's "Open file…" button, the capture switcher of an opened
//! debug bundle, and the notice that shows reading progress, what went wrong, and what the
//! opened file holds. Dropping a file anywhere on the app does the same as the button (see
//! `use_file_drop`).

use crate::api::Progress;
use crate::local::Reading;
use crate::routes::Route;
use crate::store::{use_store, Action, Shared, StoreContext};
use allocscope_model::opened::{open, OpenedKind};
use yew::prelude::*;
use yew_router::prelude::*;

/// Read `file`, open it, and make it the source; a failure leaves what is shown as it is.
pub fn open_file(store: &StoreContext, file: web_sys::File, navigator: Option<Navigator>) {
    let dispatch = store.0.dispatcher();
    let name = file.name();
    dispatch.dispatch(Action::Reading(Some(Reading::Progress {
        name: name.clone(),
        progress: Progress::default(),
    })));
    wasm_bindgen_futures::spawn_local(async move {
        let progress = {
            let (d, name) = (dispatch.clone(), name.clone());
            move |p: Progress| {
                d.dispatch(Action::Reading(Some(Reading::Progress { name: name.clone(), progress: p })))
            }
        };
        #[cfg(target_arch = "wasm32")]
        let bytes = crate::local::read_file(&file, &progress).await;
        #[cfg(not(target_arch = "wasm32"))]
        let bytes: Result<Vec<u8>, String> = {
            let _ = (&file, &progress);
            Err("reading files needs a browser".to_owned())
        };
        let opened = bytes.and_then(|b| open(&name, &b).map_err(|e| e.to_string()));
        match opened {
            Ok(f) => {
                let capture = f.default_capture;
                dispatch.dispatch(Action::OpenLocal(Shared::new(f), capture));
                if let Some(n) = navigator {
                    n.push(&Route::Allocations);
                }
            }
            Err(e) => dispatch.dispatch(Action::Reading(Some(Reading::Failed(e)))),
        }
    });
}

/// The first file of a file list (picker or drop).
fn first_file(files: Option<web_sys::FileList>) -> Option<web_sys::File> {
    files.and_then(|f| f.get(0))
}

/// Drop handlers for the app's root element: a dropped file opens like a picked one.
pub struct FileDrop {
    pub ondragover: Callback<DragEvent>,
    pub ondragleave: Callback<DragEvent>,
    pub ondrop: Callback<DragEvent>,
    pub dragging: bool,
}

#[hook]
pub fn use_file_drop(store: StoreContext) -> FileDrop {
    let dragging = use_state(|| false);
    let navigator = use_navigator();
    let ondragover = {
        let dragging = dragging.clone();
        Callback::from(move |e: DragEvent| {
            // Only files are droppable; text or links dragged over the page are left alone.
            let files = e.data_transfer().map(|d| d.types().includes(&"Files".into(), 0)).unwrap_or(false);
            if files {
                e.prevent_default();
                if !*dragging {
                    dragging.set(true);
                }
            }
        })
    };
    let ondragleave = {
        let dragging = dragging.clone();
        Callback::from(move |e: DragEvent| {
            // Leaving for a child element is not leaving the app.
            if e.related_target().is_none() {
                dragging.set(false);
            }
        })
    };
    let ondrop = {
        let dragging = dragging.clone();
        Callback::from(move |e: DragEvent| {
            let Some(file) = first_file(e.data_transfer().and_then(|d| d.files())) else {
                return;
            };
            e.prevent_default();
            dragging.set(false);
            open_file(&store, file, navigator.clone());
        })
    };
    FileDrop { ondragover, ondragleave, ondrop, dragging: *dragging }
}

/// "Open file…", and for an opened file its name, capture switcher and a way back.
#[component]
pub fn LocalFileControls() -> Html {
    let store = use_store();
    let navigator = use_navigator();
    let onchange = {
        let store = store.clone();
        Callback::from(move |e: Event| {
            let input: web_sys::HtmlInputElement = e.target_unchecked_into();
            if let Some(file) = first_file(input.files()) {
                open_file(&store, file, navigator.clone());
            }
            // The same file can be picked again after a change.
            input.set_value("");
        })
    };
    let picker = html! {
        <label class="open-file" title="Open allocation JSON, an NDJSON allocations.json, or a nomad operator debug bundle (.tar.gz); or drop it on the page. Nothing is uploaded.">
            {"open file…"}
            <input type="file" class="file-input" accept=".json,.ndjson,.gz,.tgz,.tar,application/json,application/gzip"
                aria-label="Open a file of allocations or a debug bundle" {onchange} />
        </label>
    };
    let Some(local) = store.0.local.clone() else {
        return picker;
    };
    let file = &local.file;
    let switcher = (file.captures.len() > 1).then(|| {
        let d = store.0.dispatcher();
        let onchange = Callback::from(move |e: Event| {
            let select: web_sys::HtmlSelectElement = e.target_unchecked_into();
            if let Ok(i) = select.value().parse::<usize>() {
                d.dispatch(Action::SelectCapture(i));
            }
        });
        html! {
            <select class="capture-select" aria-label="Capture of the debug bundle" {onchange}>
                { for file.captures.iter().enumerate().map(|(i, c)| html! {
                    <option value={i.to_string()} selected={i == local.capture}>
                        { c.describe() }{ if i == file.default_capture { " (newest)" } else { "" } }
                    </option>
                }) }
            </select>
        }
    });
    let close = {
        let d = store.0.dispatcher();
        Callback::from(move |_: MouseEvent| d.dispatch(Action::CloseLocal))
    };
    html! {
        <span class="local-file">
            { picker }
            { for switcher }
            <button type="button" class="close-file" onclick={close} title="Close the file and show the page's source again">{"close file"}</button>
        </span>
    }
}

/// Reading progress, a file that could not be opened, and what the opened one holds.
#[component]
pub fn LocalFileNotice() -> Html {
    let store = use_store();
    let dismiss = {
        let d = store.0.dispatcher();
        Callback::from(move |_: MouseEvent| d.dispatch(Action::Reading(None)))
    };
    let reading = match &store.0.reading {
        Some(Reading::Progress { name, progress }) => html! {
            <p class="notice reading" role="status" aria-live="polite">
                { format!("Reading {name}: {}", progress.describe()) }
                if let Some(pct) = progress.percent() { { format!(" ({pct}%)") } }
            </p>
        },
        Some(Reading::Failed(e)) => html! {
            <div class="error-panel compact open-error" role="alert">
                <strong>{"The file could not be opened. "}</strong>{ e.clone() }
                <p class="muted">{"What was shown before is unchanged. Open allocation JSON (a list, one allocation or NDJSON) or a nomad operator debug bundle (.tar.gz)."}</p>
                <button type="button" class="retry" onclick={dismiss}>{"dismiss"}</button>
            </div>
        },
        None => html! {},
    };
    let summary = store.0.local.as_ref().map(|local| {
        let file = &local.file;
        let what = match file.kind {
            OpenedKind::Bundle => {
                let meta = file.meta.clone().unwrap_or_default();
                let mut parts = vec![format!("debug bundle with {} captures", file.captures.len())];
                if let Some(v) = meta.nomad_version {
                    parts.push(format!("Nomad {v}"));
                }
                if let Some(r) = meta.region {
                    parts.push(format!("region {r}"));
                }
                parts.join(", ")
            }
            OpenedKind::Json => "allocation JSON".to_owned(),
        };
        let merged = local.current().map(|c| c.events_merged).unwrap_or(0);
        html! {
            <div class="notice local-summary" data-capture={local.current().map(|c| c.label.clone()).unwrap_or_default()}>
                { format!("Opened {} ({what}); showing ", file.name) }
                <strong>{ local.current().map(|c| c.describe()).unwrap_or_default() }</strong>
                if merged > 0 { { format!("; {merged} task events added from the event stream") } }
                {"."}
                if !file.notes.is_empty() {
                    <details class="open-notes">
                        <summary>{ match file.notes.len() { 1 => "1 note".to_owned(), n => format!("{n} notes") } }</summary>
                        <ul>{ for file.notes.iter().take(50).map(|n| html! { <li>{ n.clone() }</li> }) }</ul>
                    </details>
                }
            </div>
        }
    });
    html! { <>{ reading }{ for summary }</> }
}
