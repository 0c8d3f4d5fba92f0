//! The allocation table, virtualized: whatever the number of matching allocations (100,000
//! on a large cluster), the DOM holds only the rows in view plus an overscan on each side,
//! with spacer rows standing in for the rest so the scroll bar stays true. Rows have one
//! fixed height (cells do not wrap), measured from the first rendered row, so the window
//! is plain arithmetic. Arrow keys, Page Up/Down, Home and End move through every row, not
//! only the rendered ones.

use crate::clock::Clock;
use crate::components::badges::{client_status_badge, desired_status_badge, indicators};
use crate::components::copy_button::CopyButton;
use crate::components::route_link::route_link;
use crate::components::time::time_view;
use crate::routes::Route;
use crate::store::{ListData, Shared};
use allocscope_model::{allocation_cause, short_id, Allocation, CauseKind, ListQuery, SortKey};
use std::rc::Rc;
use yew::prelude::*;
use yew_router::prelude::*;

/// Rows rendered beyond each edge of the viewport: enough to scroll a page without blank
/// rows, few enough that 100,000 rows stay cheap.
pub const OVERSCAN: usize = 12;
/// Lists up to this size render whole: cheap, and the browser's find-in-page, printing and
/// a small auto-sized iframe (whose scroll box may show only a few rows) then see them all.
pub const RENDER_ALL_UP_TO: usize = 200;
/// Until the first row is measured.
const DEFAULT_ROW_PX: f64 = 33.0;
/// Until the container is measured (it is capped at about this by the style sheet).
const DEFAULT_VIEWPORT_PX: f64 = 700.0;

/// The rows `[start, end)` to render for a scroll position.
pub fn window(total: usize, scroll_top: f64, viewport: f64, row_px: f64, overscan: usize) -> (usize, usize) {
    if total <= RENDER_ALL_UP_TO {
        return (0, total);
    }
    let row_px = if row_px.is_finite() && row_px >= 1.0 { row_px } else { DEFAULT_ROW_PX };
    let first_visible = (scroll_top.max(0.0) / row_px).floor() as usize;
    let visible = (viewport.max(0.0) / row_px).ceil() as usize + 1;
    let start = first_visible.saturating_sub(overscan).min(total);
    let end = first_visible.saturating_add(visible).saturating_add(overscan).min(total);
    (start, end.max(start))
}

/// Where the keyboard moves the active row, or `None` for keys the table leaves alone.
pub fn key_target(key: &str, active: Option<usize>, total: usize, page: usize) -> Option<usize> {
    if total == 0 {
        return None;
    }
    let last = total - 1;
    let cur = active.unwrap_or(0);
    let next = match key {
        "ArrowDown" | "j" => active.map_or(0, |a| (a + 1).min(last)),
        "ArrowUp" | "k" => cur.saturating_sub(1),
        "PageDown" => (cur + page.max(1)).min(last),
        "PageUp" => cur.saturating_sub(page.max(1)),
        "Home" => 0,
        "End" => last,
        _ => return None,
    };
    Some(next)
}

#[derive(Properties, PartialEq)]
pub struct AllocTableProps {
    pub data: Shared<ListData>,
    /// Indices into `data.allocs`, filtered and sorted.
    pub rows: Rc<Vec<usize>>,
    pub query: ListQuery,
    pub on_query: Callback<ListQuery>,
}

#[derive(Clone, Copy, PartialEq)]
struct Viewport {
    scroll_top: f64,
    height: f64,
    row_px: f64,
}

#[component]
pub fn AllocTable(props: &AllocTableProps) -> Html {
    let scroller = use_node_ref();
    let body = use_node_ref();
    let view =
        use_state(|| Viewport { scroll_top: 0.0, height: DEFAULT_VIEWPORT_PX, row_px: DEFAULT_ROW_PX });
    // The active row for keyboard navigation, as a position in `rows`.
    let active = use_state(|| None::<usize>);
    // Set when the keyboard moved: focus the active row's link once it is rendered.
    let focus_pending = use_mut_ref(|| false);
    let total = props.rows.len();

    // Measure the container and a rendered row after each render that may change them.
    {
        let (scroller, body, view) = (scroller.clone(), body.clone(), view.clone());
        use_effect_with(total, move |_| {
            measure(&scroller, &body, &view);
        });
    }
    // A new filter or sort starts at the top; new data for the same view (a live update)
    // keeps the place the user scrolled to.
    {
        let (scroller, active) = (scroller.clone(), active.clone());
        use_effect_with(props.query.clone(), move |_| {
            if let Some(el) = scroller.cast::<web_sys::Element>() {
                if el.scroll_top() != 0 {
                    el.set_scroll_top(0);
                }
            }
            if active.is_some() {
                active.set(None);
            }
        });
    }
    // The row may only be rendered after the scroll it caused: try again on each change of
    // the window until it is there.
    {
        let (body, focus_pending) = (body.clone(), focus_pending.clone());
        use_effect_with((*active, *view), move |(active, _)| {
            if *focus_pending.borrow() {
                if let Some(pos) = active {
                    if focus_row(&body, *pos) {
                        *focus_pending.borrow_mut() = false;
                    }
                }
            }
        });
    }

    let onscroll = {
        let (scroller, body, view) = (scroller.clone(), body.clone(), view.clone());
        Callback::from(move |_: Event| measure(&scroller, &body, &view))
    };
    let onkeydown = {
        let (active, view, scroller, focus_pending) =
            (active.clone(), view.clone(), scroller.clone(), focus_pending.clone());
        Callback::from(move |e: KeyboardEvent| {
            let page = (view.height / view.row_px).floor() as usize;
            let Some(next) = key_target(&e.key(), *active, total, page.saturating_sub(1)) else {
                return;
            };
            e.prevent_default();
            // Scroll just enough to show the row, so it is rendered before it is focused.
            if let Some(el) = scroller.cast::<web_sys::Element>() {
                let (top, bottom) = (next as f64 * view.row_px, (next + 1) as f64 * view.row_px);
                let head = view.row_px; // the sticky header covers one row's height
                let st = el.scroll_top() as f64;
                if top < st + head {
                    el.set_scroll_top((top - head).max(0.0) as i32);
                } else if bottom > st + view.height {
                    el.set_scroll_top((bottom - view.height) as i32);
                }
            }
            *focus_pending.borrow_mut() = true;
            active.set(Some(next));
        })
    };

    let ctx = RowContext { clock: use_context::<Clock>().unwrap_or_default(), navigator: use_navigator() };
    let Viewport { scroll_top, height, row_px } = *view;
    let (start, end) = window(total, scroll_top, height, row_px, OVERSCAN);
    let q = &props.query;
    let header = |key: SortKey, label: &str| -> Html {
        let is_active = q.sort_key() == key;
        let aria = is_active.then(|| if q.descending() { "descending" } else { "ascending" });
        let arrow = match (is_active, q.descending()) {
            (false, _) => "",
            (true, true) => " ▾",
            (true, false) => " ▴",
        };
        let (cb, next) = (props.on_query.clone(), q.sorted_by(key));
        html! {
            <th aria-sort={aria}>
                <button type="button" class="sort" data-sort={key.as_str()} onclick={move |_| cb.emit(next.clone())}>
                    { label.to_owned() }{ arrow }
                </button>
            </th>
        }
    };
    let all = &props.data.allocs;
    let spacer = |rows: usize| -> Html {
        if rows == 0 {
            return html! {};
        }
        html! { <tr class="spacer" aria-hidden="true" style={format!("height:{}px", rows as f64 * row_px)}></tr> }
    };
    html! {
        <div class="table-scroll virtual" ref={scroller} {onscroll} {onkeydown} tabindex="0"
            aria-label="Allocations: arrow keys move between rows, Enter opens one">
        <table class="allocs" aria-rowcount={(total + 1).to_string()}>
            <thead><tr>
                { header(SortKey::Id, "ID") }
                { header(SortKey::Name, "Name") }
                { header(SortKey::Job, "Job") }
                { header(SortKey::Group, "Group") }
                { header(SortKey::Namespace, "Namespace") }
                { header(SortKey::Node, "Node") }
                { header(SortKey::Status, "Status") }
                { header(SortKey::Desired, "Desired") }
                { header(SortKey::Version, "Version") }
                { header(SortKey::Restarts, "Restarts") }
                { header(SortKey::Created, "Created") }
                { header(SortKey::Modified, "Modified") }
                <th>{"Fate"}</th>
            </tr></thead>
            <tbody ref={body}>
                { spacer(start) }
                { for (start..end).map(|pos| row(&ctx, &all[props.rows[pos]], pos, *active == Some(pos))) }
                { spacer(total - end) }
            </tbody>
        </table>
        </div>
    }
}

/// What every row needs from context, read once per render of the table.
struct RowContext {
    clock: Clock,
    navigator: Option<Navigator>,
}

fn link(ctx: &RowContext, route: Route, query: Option<ListQuery>, class: &'static str, text: String) -> Html {
    match &ctx.navigator {
        Some(n) => route_link(n, route, query, class, html! { { text } }),
        None => html! { <span class={class}>{ text }</span> },
    }
}

fn row(ctx: &RowContext, a: &Allocation, pos: usize, active: bool) -> Html {
    let node = if a.node_name.is_empty() { short_id(&a.node_id).to_owned() } else { a.node_name.clone() };
    let job_q = ListQuery { job: a.job_id.clone(), ..Default::default() };
    let node_q = ListQuery { node: a.node_id.clone(), ..Default::default() };
    let cause = allocation_cause(a).filter(|c| c.kind.is_failure() || matches!(c.kind, CauseKind::Preempted));
    html! {
        // Keyed by position, not ID: after a new filter or sort the rendered rows are updated
        // in place (text and attributes) instead of ~35 rows of elements being removed and
        // created, which is most of a keystroke's cost.
        <tr key={pos} data-id={a.id.clone()} data-pos={pos.to_string()}
            aria-rowindex={(pos + 2).to_string()} class={classes!(active.then_some("active"))}>
            <td class="id">
                { link(ctx, Route::Allocation { id: a.id.clone() }, None, "mono", a.short_id().to_owned()) }
                <CopyButton text={AttrValue::from(a.id.clone())} what="allocation ID" />
            </td>
            <td title={a.name.clone()}>{ a.name.clone() }</td>
            <td title={a.job_id.clone()}>{ link(ctx, Route::Allocations, Some(job_q), "", a.job_id.clone()) }</td>
            <td>{ a.task_group.clone() }</td>
            <td>{ a.namespace_or_default().to_owned() }</td>
            <td>
                if a.node_id.is_empty() { <span class="muted">{"not placed"}</span> }
                else { { link(ctx, Route::Allocations, Some(node_q), "", node) } }
            </td>
            <td>{ client_status_badge(&a.client_status) }</td>
            <td>{ desired_status_badge(&a.desired_status) }</td>
            <td class="num">{ a.job_version().map(|v| v.to_string()).unwrap_or_default() }</td>
            <td class="num">{ a.total_restarts() }</td>
            <td>{ time_view(&ctx.clock, Some(a.create_time), true) }</td>
            <td>{ time_view(&ctx.clock, Some(a.modify_time), true) }</td>
            <td class="fate">
                if let Some(c) = cause {
                    <span class="cause-label" title={c.summary.clone()}>{ c.label() }</span>{" "}
                }
                { indicators(a) }
            </td>
        </tr>
    }
}

/// Read the scroll position, the container's height and a data row's height.
fn measure(scroller: &NodeRef, body: &NodeRef, view: &UseStateHandle<Viewport>) {
    let Some(el) = scroller.cast::<web_sys::Element>() else {
        return;
    };
    let mut next = **view;
    next.scroll_top = el.scroll_top() as f64;
    let h = el.client_height() as f64;
    if h > 0.0 {
        next.height = h;
    }
    let row = body.cast::<web_sys::Element>().and_then(|b| b.query_selector("tr[data-id]").ok().flatten());
    if let Some(tr) = row.and_then(|r| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(r).ok()) {
        let px = tr.offset_height() as f64;
        if px >= 1.0 {
            next.row_px = px;
        }
    }
    if next != **view {
        view.set(next);
    }
}

/// Focus the link of the row at `pos`; false when that row is not rendered (yet).
fn focus_row(body: &NodeRef, pos: usize) -> bool {
    let selector = format!("tr[data-pos=\"{pos}\"] td.id a");
    let link = body.cast::<web_sys::Element>().and_then(|b| b.query_selector(&selector).ok().flatten());
    match link.and_then(|a| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(a).ok()) {
        Some(a) => a.focus().is_ok(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_covers_the_viewport_plus_overscan_and_stays_in_bounds() {
        // Top of a 100,000-row list, 700 px high, 33 px rows: 22 rows and a part fit (23
        // touched by the viewport), then 40 below.
        assert_eq!(window(100_000, 0.0, 700.0, 33.0, 40), (0, 63));
        // Scrolled to row 1,000: 40 rows above it, 23 + 40 from it.
        assert_eq!(window(100_000, 33_000.0, 700.0, 33.0, 40), (960, 1063));
        // The end of the list.
        assert_eq!(window(100_000, 99_990.0 * 33.0, 700.0, 33.0, 40), (99_950, 100_000));
        // Small lists render whole; nonsense measurements fall back to defaults.
        assert_eq!(window(53, 0.0, 700.0, 33.0, 40), (0, 53));
        assert_eq!(window(0, 500.0, 700.0, 33.0, 40), (0, 0));
        assert_eq!(window(200, 5_000.0, 100.0, 33.0, 2), (0, 200));
        assert_eq!(window(201, 5_000.0, 100.0, 33.0, 2), (149, 158));
        assert_eq!(window(1000, -5.0, f64::NAN, 0.0, 2), (0, 3));
    }

    #[test]
    fn keys_move_the_active_row_within_the_list() {
        assert_eq!(key_target("ArrowDown", None, 10, 5), Some(0));
        assert_eq!(key_target("ArrowDown", Some(9), 10, 5), Some(9));
        assert_eq!(key_target("ArrowUp", Some(0), 10, 5), Some(0));
        assert_eq!(key_target("PageDown", Some(2), 10, 5), Some(7));
        assert_eq!(key_target("PageUp", Some(2), 10, 5), Some(0));
        assert_eq!(key_target("End", None, 10, 5), Some(9));
        assert_eq!(key_target("Home", Some(7), 10, 5), Some(0));
        assert_eq!(key_target("a", Some(7), 10, 5), None);
        assert_eq!(key_target("ArrowDown", None, 0, 5), None);
    }
}
