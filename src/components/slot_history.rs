//! Slot history as SVG: a lane per allocation name, a bar per attempt coloured by how it
//! ended, job-version boundaries as dashed lines. Clicking a bar opens that attempt.

use crate::clock::Clock;
use crate::routes::Route;
use allocscope_model::slots::SlotHistory;
use allocscope_model::times::format_unix_nanos_utc;
use yew::prelude::*;
use yew_router::prelude::*;

const WIDTH: f64 = 1000.0;
const LABEL: f64 = 220.0;
const LANE: f64 = 22.0;
const TOP: f64 = 18.0;
const MIN_BAR: f64 = 6.0;

#[derive(Properties, PartialEq)]
pub struct SlotHistoryProps {
    pub history: SlotHistory,
}

#[component]
pub fn SlotHistoryView(props: &SlotHistoryProps) -> Html {
    let navigator = use_navigator();
    let clock = use_context::<Clock>().unwrap_or_default();
    let h = &props.history;
    if h.lanes.is_empty() {
        return html! {};
    }
    let span = (h.end - h.start).max(1) as f64;
    let x = |t: i64| LABEL + (t - h.start) as f64 / span * (WIDTH - LABEL - 10.0);
    let height = TOP + LANE * h.lanes.len() as f64 + 6.0;
    let versions = h.versions.iter().skip(1).map(|(t, v)| {
        let vx = x(*t);
        html! {
            <g class="version">
                <line x1={format!("{vx:.1}")} x2={format!("{vx:.1}")} y1="12" y2={format!("{height:.1}")} />
                <text x={format!("{:.1}", vx + 3.0)} y="11">{ format!("v{v}") }</text>
            </g>
        }
    });
    let lanes = h.lanes.iter().enumerate().map(|(i, lane)| {
        let y = TOP + LANE * i as f64;
        // Attempts of a slot follow each other. A five-minute attempt next to a three-day
        // one would be a sliver under its neighbour, so each bar gets at least MIN_BAR
        // pixels and starts after the previous one ends: every attempt stays visible and
        // clickable, at the cost of a few pixels of time accuracy.
        let mut right_edge = f64::MIN;
        let placed: Vec<(f64, f64, &allocscope_model::slots::Bar)> = lane
            .bars
            .iter()
            .map(|b| {
                let x0 = x(b.start).max(right_edge + 1.0);
                let x1 = x(b.end).max(x0 + MIN_BAR);
                right_edge = x1;
                (x0, x1 - x0, b)
            })
            .collect();
        let bars = placed.into_iter().map(|(x0, w, b)| {
            let title = format!(
                "{} {}: {} → {}{}",
                &b.id[..b.id.len().min(8)],
                b.outcome.as_str(),
                clock.local(b.start).or_else(|| format_unix_nanos_utc(b.start)).unwrap_or_default(),
                clock.local(b.end).unwrap_or_default(),
                b.job_version.map(|v| format!(" (v{v})")).unwrap_or_default()
            );
            let open = {
                let (navigator, id) = (navigator.clone(), b.id.clone());
                move || {
                    if let Some(n) = &navigator {
                        n.push(&Route::Allocation { id: id.clone() });
                    }
                }
            };
            let onclick = {
                let open = open.clone();
                Callback::from(move |_: MouseEvent| open())
            };
            let onkeydown = Callback::from(move |e: KeyboardEvent| {
                if e.key() == "Enter" || e.key() == " " {
                    e.prevent_default();
                    open();
                }
            });
            html! {
                <g class={classes!("bar", format!("o-{}", b.outcome.as_str()))} data-id={b.id.clone()} {onclick} {onkeydown} role="link" tabindex="0" aria-label={format!("attempt {}: {}", &b.id[..b.id.len().min(8)], b.outcome.as_str())}>
                    <title>{ title }</title>
                    <rect x={format!("{x0:.1}")} y={format!("{:.1}", y + 3.0)} width={format!("{w:.1}")} height={format!("{:.1}", LANE - 6.0)} rx="2" />
                </g>
            }
        });
        html! {
            <g class="lane" data-lane={lane.name.clone()}>
                <text class="lane-name" x="4" y={format!("{:.1}", y + LANE * 0.68)}>{ lane.name.clone() }</text>
                { for bars }
            </g>
        }
    });
    html! {
        <section class="slot-history" aria-label="Slot history">
            <h2>{"Slot history"}</h2>
            <svg viewBox={format!("0 0 {WIDTH} {height:.1}")} width="100%" role="img" aria-label="One lane per allocation slot, one bar per attempt">
                { for versions }
                { for lanes }
            </svg>
            <p class="legend">
                { for ["running", "pending", "completed", "failed", "lost", "unknown", "stopped", "preempted"].iter().map(|o| html! {
                    <span class={classes!("key", format!("o-{o}"))}>{ *o }</span>
                }) }
            </p>
        </section>
    }
}
