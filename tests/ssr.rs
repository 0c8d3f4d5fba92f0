//! Every page view and component rendered natively (`yew::LocalServerRenderer`), from the
//! bundled demo snapshot and the model's fixtures, asserting on the HTML a user would get.
#![cfg(feature = "ssr")]

use allocscope::api::{FetchError, Progress};
use allocscope::clock::Clock;
use allocscope::components::badges::indicators;
use allocscope::components::error_panel::ErrorPanel;
use allocscope::components::events_table::events_table;
use allocscope::components::loading::loading;
use allocscope::pages::allocation::{AllocationView, ChainInput};
use allocscope::pages::allocation_list::AllocationListView;
use allocscope::pages::not_found::not_found;
use allocscope::pages::task::TaskView;
use allocscope::store::{ListData, Shared};
use allocscope_model::{decode, lineage, paths, Allocation, DecodeOptions, ListQuery, SortKey};
use std::path::Path;
use std::rc::Rc;
use yew::prelude::*;
use yew_router::history::{AnyHistory, MemoryHistory};
use yew_router::Router;

/// 2026-11-25T09:00:00Z, a day after the demo's newest events; UTC+1.
const CLOCK: Clock = Clock { now: 1_795_597_200_000_000_000, offset_minutes: 60 };

const B: &str = "e3991c99-d379-5b31-e231-de6097d64245";
const C: &str = "e263482b-3b07-460c-2ef4-3d163ab9ea29";
const D: &str = "211a8252-a89f-2b2b-a5af-d530920bcc3a";

#[derive(Properties, PartialEq)]
struct HarnessProps {
    children: Html,
    /// The in-app path the router starts at.
    #[prop_or(AttrValue::Static("/"))]
    path: AttrValue,
}

#[component]
fn Harness(props: &HarnessProps) -> Html {
    let history = AnyHistory::from(MemoryHistory::with_entries([props.path.to_string()]));
    html! {
        <Router {history}>
            <ContextProvider<Clock> context={CLOCK}>{ props.children.clone() }</ContextProvider<Clock>>
        </Router>
    }
}

async fn render(children: Html) -> String {
    render_at("/", children).await
}

async fn render_at(path: &'static str, children: Html) -> String {
    yew::LocalServerRenderer::<Harness>::with_props(HarnessProps { children, path: AttrValue::Static(path) })
        .hydratable(false)
        .render()
        .await
}

fn read(path: &Path) -> Vec<Allocation> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    decode(&bytes, DecodeOptions::STRICT).unwrap().allocations
}

fn demo(path: &str) -> Vec<Allocation> {
    read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("www/demo").join(path))
}

fn hostile(path: &str) -> Vec<Allocation> {
    read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("e2e/fixtures/hostile").join(path))
}

fn model_fixture(name: &str) -> Vec<Allocation> {
    read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/model/tests/fixtures").join(name))
}

fn list_view(allocs: Vec<Allocation>, query: ListQuery) -> Html {
    let data = Shared::new(ListData::new(allocs, None));
    html! { <AllocationListView {data} {query} on_query={Callback::noop()} on_search={Callback::noop()} /> }
}

fn rows(html: &str) -> usize {
    html.matches("<tr data-id=").count()
}

#[tokio::test]
async fn list_shows_every_demo_allocation_with_facets() {
    let html = render(list_view(demo("v1/allocations"), ListQuery::default())).await;
    assert_eq!(rows(&html), 53);
    assert!(html.contains("53 of 53 allocations"));
    for (status, n) in
        [("running", 30), ("complete", 13), ("failed", 6), ("lost", 2), ("pending", 1), ("unknown", 1)]
    {
        let facet = format!(r#">{status} <span class="count">{n}</span></button>"#);
        assert!(html.contains(&facet), "facet {status} {n}");
    }
    // Newest first by default, with the sort marked for assistive tech.
    assert!(html.contains(r#"aria-sort="descending""#));
    assert!(html.contains("Created ▾"));
    // Rows link to the allocation and carry the row indicators.
    assert!(
        html.contains(&format!(r##"href="#/allocations/{D}""##))
            || html.contains(&format!(r#"href="/allocations/{D}""#))
    );
    assert!(html.contains(">rescheduled</span>"));
    assert!(html.contains(">preempted</span>"));
    assert!(html.contains(">not rescheduled</span>"));
    assert!(html.contains(">reschedule pending</span>"));
    assert!(html.contains("1d ago"), "relative times against the clock");
}

#[tokio::test]
async fn list_filters_search_sort_and_scope_from_the_query() {
    let all = demo("v1/allocations");
    let q = ListQuery { q: "checkout".into(), ..Default::default() };
    let html = render(list_view(all.clone(), q)).await;
    // B, C, D and the two healthy slots; attempt A was garbage-collected.
    assert_eq!(rows(&html), 5);
    assert!(html.contains("5 of 53 allocations"));
    assert!(html.contains(r#"value="checkout""#));

    let q = ListQuery { status: "failed,lost".into(), ..Default::default() };
    let html = render(list_view(all.clone(), q)).await;
    assert_eq!(rows(&html), 8);
    assert_eq!(html.matches(r#"aria-pressed="true""#).count(), 2);

    let q = ListQuery { job: "checkout-api".into(), ..Default::default() }.sorted_by(SortKey::Name);
    let html = render(list_view(all.clone(), q)).await;
    assert_eq!(rows(&html), 5);
    assert!(html.contains(r#"class="chip""#) && html.contains("<strong>checkout-api</strong>"));
    assert!(html.contains("Name ▴"));
    let first = html.find("checkout-api.api[0]").unwrap();
    let third = html.find("checkout-api.api[2]").unwrap();
    assert!(first < third, "ascending by name");

    let q = ListQuery { q: "no-such-thing".into(), ..Default::default() };
    let html = render(list_view(all, q)).await;
    assert_eq!(rows(&html), 0);
    assert!(html.contains("No allocation matches these filters."));
    let html = render(list_view(Vec::new(), ListQuery::default())).await;
    assert!(html.contains("The source has no allocations."));
}

fn chain_for(id: &str) -> (Allocation, Option<ChainInput>) {
    let alloc = demo(&paths::allocation(id)).remove(0);
    let mut set = demo(&paths::job_allocations(&alloc.job_id));
    set.push(alloc.clone());
    let l = lineage(&set, id).unwrap();
    (alloc, Some(ChainInput { lineage: l, allocs: Rc::new(set), gaps: Vec::new() }))
}

#[tokio::test]
async fn allocation_page_shows_summary_tasks_and_the_whole_chain() {
    let (alloc, chain) = chain_for(D);
    // The raw text holds a field in a type a newer Nomad might send.
    let raw = r#"{"ID":"x<y","TaskGroup":"api","AllocStates":[{"Field":"client"}]}"#;
    let html =
        render(html! { <AllocationView alloc={alloc} raw={Some(AttrValue::from(raw))} {chain} /> }).await;
    assert!(html.contains("<code>AllocStates[0].Field</code>: Nomad sent a string where allocscope expects an integer from 0 to 255; kept as raw JSON above"));
    assert!(html.contains("<h1>checkout-api.api[0]</h1>"));
    assert!(html.contains(D));
    assert!(html.contains("payments"));
    assert!(html.contains("nomad-client-eu-1b-01"));
    // Tasks in lifecycle order, the dotted name linked to its page.
    let pos = |t: &str| html.find(&format!("/tasks/{t}\"")).unwrap_or_else(|| panic!("no link to {t}"));
    let (m, s, a) = (pos("db-migrate"), pos("envoy.proxy"), pos("api"));
    assert!(m < a && s < a);
    assert!(html.contains("prestart sidecar"));
    assert!(html.contains("/tasks/envoy.proxy"));
    // The chain: gap A, B OOM, C pull failure, D current, with the delays.
    let count = |c: &str| html.matches(&format!("class=\"{c}\"")).count();
    assert_eq!((count("attempt gap"), count("attempt"), count("attempt current")), (1, 2, 1));
    assert!(html.contains("not in the data: garbage-collected"));
    assert!(html.contains("api was OOM killed (exit code 137)"));
    assert!(html.contains("api could not start: the image pull failed"));
    assert!(
        html.contains("after a 30s delay")
            && html.contains("after a 1m0s delay")
            && html.contains("after a 2m0s delay")
    );
    assert!(html.contains(r#"aria-current="true""#) && html.contains("this allocation"));
    let (pos_b, pos_d) = (html.find(&B[..8]).unwrap(), html.find("this allocation").unwrap());
    assert!(pos_b < pos_d, "oldest first");
    // Resources, placement and the raw JSON, escaped.
    assert!(html.contains("MHz CPU"));
    assert!(html.contains("Nodes evaluated"));
    assert!(html.contains("x&lt;y"));
}

#[tokio::test]
async fn chain_gap_states_and_replacements() {
    let (alloc, chain) = chain_for(C);
    let mut chain = chain.unwrap();
    chain.gaps = vec![(
        "375d9fec-56f4-4304-097f-dbc51563b433".into(),
        allocscope::components::chain::GapState::NotFound,
    )];
    let html = render(html! { <AllocationView alloc={alloc} chain={Some(chain)} /> }).await;
    assert!(html.contains("not found at the source: garbage-collected"));
    assert!(html.contains("this allocation"));

    let lost = demo(&paths::allocation("0cfe9036-7562-9a01-b5c0-677596670bf7")).remove(0);
    let l = lineage(std::slice::from_ref(&lost), &lost.id).unwrap();
    let chain = ChainInput { lineage: l, allocs: Rc::new(vec![lost.clone()]), gaps: Vec::new() };
    let html = render(html! { <AllocationView alloc={lost} chain={Some(chain)} /> }).await;
    assert!(html.contains("↓ replaced"));
    assert!(html.contains("Its node stopped heartbeating; Nomad marked the allocation lost"));
    assert!(html.contains(">lost</span>"));
}

#[tokio::test]
async fn old_data_shows_legacy_resources_and_no_chain() {
    let alloc = model_fixture("v08-full-allocation.json").remove(0);
    let html = render(html! { <AllocationView {alloc} /> }).await;
    assert!(html.contains("Legacy resources"));
    assert!(html.contains("500 MHz CPU, 256 MB memory, 300 MB disk"));
    assert!(html.contains("neither rescheduled nor replaced"));
    assert!(html.contains(">default<"), "0.8 data falls back to the default namespace");
}

#[tokio::test]
async fn task_page_lists_every_event_newest_first_with_a_toggle() {
    let alloc = demo(&paths::allocation(D)).remove(0);
    let events = alloc.task_states["api"].events.clone();
    let html = render(html! { <TaskView alloc={alloc.clone()} task="api" newest_first=true on_toggle={Callback::noop()} /> }).await;
    assert!(html.contains("<h1>api</h1>"));
    assert!(html.contains(&format!("Events ({})", events.len())));
    assert_eq!(html.matches("<tr class=").count() + html.matches("<tr>").count() - 1, events.len());
    assert!(html.contains("Newest first ▾"));
    assert!(html.contains("Task restarting in"));
    let newest = html.find(&format!(">{}</td>", events.len())).unwrap();
    let oldest = html.find(">1</td>").unwrap();
    assert!(newest < oldest, "newest first");
    let html = render(html! { <TaskView alloc={alloc.clone()} task="api" newest_first=false on_toggle={Callback::noop()} /> }).await;
    assert!(html.find(">1</td>").unwrap() < html.find(&format!(">{}</td>", events.len())).unwrap());
    assert!(html.contains("Oldest first ▴"));

    let html = render(html! { <TaskView alloc={alloc} task="no.such.task" newest_first=true on_toggle={Callback::noop()} /> }).await;
    assert!(
        html.contains("has no task named &quot;no.such.task&quot;")
            || html.contains("has no task named \"no.such.task\"")
    );
    assert!(html.contains("Its tasks: api, db-migrate, envoy.proxy."));
}

#[tokio::test]
async fn events_show_exit_codes_details_deltas_and_unknown_times() {
    let b = demo(&paths::allocation(B)).remove(0);
    let events = b.task_states["api"].events.clone();
    let html = render(events_table(&events, false)).await;
    assert!(html.contains(">137<"));
    assert!(html.contains(r#"<span class="dk">oom_killed</span>=<span class="dv">true</span>"#));
    assert!(html.contains("+"), "time since the previous event");
    let with_zero_time = model_fixture("v1-full-allocation.json").remove(0);
    let html = render(events_table(&with_zero_time.task_states["api"].events, false)).await;
    assert!(html.contains("unknown-time"));
    assert!(html.contains(">unknown<"));
    assert!(!html.contains("1754"), "Go's zero time is never shown as a date");
}

#[tokio::test]
async fn errors_say_what_failed_and_offer_a_retry() {
    let e = FetchError::http("demo/v1/allocations", 500, "Internal Server Error", "No cluster leader");
    let html = render(html! { <ErrorPanel error={e} on_retry={Some(Callback::noop())} /> }).await;
    assert!(html.contains(r#"role="alert""#) && html.contains(r#"data-status="500""#));
    assert!(html.contains("The source answered 500 Internal Server Error"));
    assert!(html.contains("<code>demo/v1/allocations</code>"));
    assert!(html.contains("No cluster leader"));
    assert!(html.contains(">Retry</button>"));

    let decode_err = decode(b"[{\"ID\": \"a\", \"TaskGroup\": \"g\"", DecodeOptions::STRICT).unwrap_err();
    let e = FetchError::decode("x/v1/allocations", decode_err, b"[{");
    let html = render(html! { <ErrorPanel error={e} /> }).await;
    assert!(html.contains("The response is not allocation JSON"));
    assert!(html.contains("line 1, column"));
    assert!(html.contains("cut off"));
    assert!(!html.contains("Retry"));

    let html_body = b"<html><body><h1>502 Bad Gateway</h1></body></html>";
    let e = FetchError::decode(
        "x/v1/allocations",
        decode(html_body, DecodeOptions::STRICT).unwrap_err(),
        html_body,
    );
    let html = render(html! { <ErrorPanel error={e} /> }).await;
    assert!(
        html.contains("The response began: &lt;html&gt;&lt;body&gt;&lt;h1&gt;502 Bad Gateway"),
        "the body is shown, as text"
    );
    assert!(html.contains("not JSON at all"));

    let e = FetchError::network("http://127.0.0.1:9/v1/allocations", "TypeError: Failed to fetch");
    let html = render(html! { <ErrorPanel error={e} /> }).await;
    assert!(html.contains("The source could not be reached"));
}

#[tokio::test]
async fn loading_shows_progress() {
    let p = Progress { received: 3 * 1024 * 1024, total: Some(12 * 1024 * 1024) };
    let html = render(loading("allocations", Some(p))).await;
    assert!(html.contains("Loading allocations…"));
    assert!(html.contains("3.0 MB of 12.0 MB"));
    assert!(html.contains(r#"value="25""#));
}

#[tokio::test]
async fn hostile_strings_render_as_text() {
    let all = hostile("v1/allocations");
    let html = render(list_view(all.clone(), ListQuery::default())).await;
    assert!(!html.contains("<img"), "no element from data");
    assert!(!html.contains("<script"));
    assert!(!html.contains("<svg"));
    assert!(html.contains("&lt;img") || html.contains("&lt;script"));
    for a in &all {
        let full = hostile(&paths::allocation(&a.id)).remove(0);
        let html = render(html! { <AllocationView alloc={full.clone()} raw={Some(AttrValue::from("<script>x</script>"))} /> }).await;
        assert!(!html.contains("<img") && !html.contains("<script") && !html.contains("<svg"), "{}", a.id);
        assert!(!html.contains("href=\"javascript:"), "{}", a.id);
        for task in full.task_states.keys() {
            let html = render(html! { <TaskView alloc={full.clone()} task={task.to_owned()} newest_first=true on_toggle={Callback::noop()} /> }).await;
            assert!(!html.contains("<img") && !html.contains("<script") && !html.contains("<svg"), "{task}");
        }
    }
}

#[tokio::test]
async fn indicators_and_not_found_page() {
    let victim = demo(&paths::allocation("c60c21f5-2d70-520c-b284-8fcd2739ac5d")).remove(0);
    let html = render(indicators(&victim)).await;
    assert!(html.contains("Preempted by allocation 88024b75-7a22-0cf4-8a4a-14bba94aed3e"));
    let html = render(not_found()).await;
    assert!(html.contains("No such page"));
    assert!(html.contains("Show all allocations"));
}

#[tokio::test]
async fn cause_card_budget_timeline_and_incident_on_the_allocation_page() {
    let (b, chain) = chain_for(B);
    let html = render(html! { <AllocationView alloc={b} {chain} /> }).await;
    assert!(html.contains("Why this allocation ended"));
    assert!(html
        .contains(r#"<span class="badge cause-kind">OOM killed</span> api was OOM killed (exit code 137)"#));
    assert!(html.contains(
        r#"<span class="ev-source">task api, Details.oom_killed</span>: <span class="ev-text">true</span>"#
    ));
    assert!(html.contains("Attempt budget"));
    assert!(html.contains("Reschedules"));
    assert!(html.contains("Timeline of every attempt"));
    assert!(html.contains("Incident summary (Markdown)"));
    assert!(html.contains("### Attempt 2 (`e3991c99`): api was OOM killed (exit code 137)"));

    let (d, chain) = chain_for(D);
    let html = render(html! { <AllocationView alloc={d} {chain} /> }).await;
    assert!(!html.contains("Why this allocation ended"), "a running allocation has not ended");
    assert!(html.contains("2 of 2 restarts used in 30m0s (mode fail)"), "restarts used of allowed");
    assert!(html.contains("3 used (unlimited)"));
    assert!(html.contains("unlimited reschedules, exponential delay from 30s up to 1h0m0s"));
    // The timeline holds events from attempts 2, 3 and 4, in that order.
    let pos = |attempt: usize| {
        html.find(&format!(r#"data-attempt="{attempt}""#)).unwrap_or_else(|| panic!("no attempt {attempt}"))
    };
    assert!(pos(2) < pos(3) && pos(3) < pos(4));
    assert!(html.contains("rescheduled as e263482b after a 1m0s delay, moved from"));

    let exceeded = demo(&paths::allocation("5fd9d9fd-8d18-fb58-8acb-ec615ec4078e")).remove(0);
    let html = render(html! { <AllocationView alloc={exceeded} /> }).await;
    assert!(html.contains("restarts exhausted"));
    assert!(html.contains(r#"class="outlook stopped""#));
    assert!(html.contains("Nomad has stopped rescheduling: the reschedule policy allows no reschedules"));
}

#[tokio::test]
async fn task_page_has_the_task_cause_and_list_rows_have_cause_labels() {
    let c = demo(&paths::allocation(C)).remove(0);
    let html =
        render(html! { <TaskView alloc={c} task="api" newest_first=true on_toggle={Callback::noop()} /> })
            .await;
    assert!(html.contains("Why this task ended"));
    assert!(html.contains("api could not start: the image pull failed"));
    let html = render(list_view(demo("v1/allocations"), ListQuery::default())).await;
    assert!(html.contains(r#"title="api was OOM killed (exit code 137)""#));
    assert!(html.contains(r#"class="cause-label">api: OOM killed</span>"#));
    assert!(html.contains(">node lost</span>"));
}

#[tokio::test]
async fn job_scoped_list_draws_the_slot_history() {
    let q = ListQuery { job: "checkout-api".into(), ..Default::default() };
    let html = render(list_view(demo("v1/allocations"), q)).await;
    assert!(html.contains("Slot history"));
    assert_eq!(html.matches(r#"class="lane""#).count(), 3);
    assert!(html.contains(r#"data-lane="checkout-api.api[0]""#));
    assert_eq!(html.matches(r#"class="bar o-failed""#).count(), 2);
    assert!(html.contains(&format!(r#"data-id="{D}""#)));
    let html = render(list_view(demo("v1/allocations"), ListQuery::default())).await;
    assert!(!html.contains("Slot history"), "only for one job");
}

#[tokio::test]
async fn app_root_applies_theme_density_and_shows_a_config_error() {
    use allocscope::app::AppRoot;
    use allocscope::source::Source;
    use allocscope::theme::{Density, Theme};
    let html = render_at("/allocations", html! {
        <AppRoot source={Source::new("demo/")} clock={CLOCK} theme={Theme::Dark} density={Density::Compact}
            config_error={Some("config.json, line 2, column 13, at $.source: invalid type: integer `42`, expected a string. Using the defaults until it is fixed.".to_owned())}
            on_prefs={Some(Callback::noop())} standalone=true />
    })
    .await;
    assert!(html.contains(r#"data-theme="dark""#) && html.contains(r#"data-density="compact""#));
    assert!(html.contains("config.json, line 2, column 13, at $.source"));
    assert!(html.contains("theme: dark"));
    assert!(html.contains("demo snapshot (bundled)"));
    assert!(html.contains("Loading allocations"), "the list route renders; fetching starts in the browser");
    assert!(!html.contains(" style="), "no inline styles: the page must work under style-src 'self'");
}

#[tokio::test]
async fn link_templates_from_the_config_are_encoded() {
    use allocscope::app::ConfigContext;
    use allocscope::components::links::ExternalLinks;
    use allocscope_model::config::Config;
    let config = Config::parse(br#"{"links": {
        "allocation": [{"label": "Metrics", "url": "https://grafana.example.com/d/a?alloc={alloc_id}&job={job_id}"}],
        "task": [{"label": "Logs", "url": "https://logs.example.com/?alloc={alloc_id}&task={task}"}]}}"#)
    .unwrap();
    let ctx = ConfigContext(Rc::new(config));
    let d = demo(&paths::allocation(D)).remove(0);
    let html = render(html! {
        <ContextProvider<ConfigContext> context={ctx.clone()}>
            <ExternalLinks alloc={d.clone()} />
            <ExternalLinks alloc={d.clone()} task={Some("envoy.proxy".to_owned())} />
        </ContextProvider<ConfigContext>>
    })
    .await;
    assert!(html.contains(&format!("https://grafana.example.com/d/a?alloc={D}&amp;job=checkout-api")));
    assert!(html.contains(&format!("https://logs.example.com/?alloc={D}&amp;task=envoy.proxy")));
    assert!(html.contains(r#"rel="noopener noreferrer""#));
    let evil = hostile("v1/allocations").remove(0);
    let html = render(html! {
        <ContextProvider<ConfigContext> context={ctx}>
            <ExternalLinks alloc={evil} task={Some("<img src=x onerror=alert(1)>".to_owned())} />
        </ContextProvider<ConfigContext>>
    })
    .await;
    assert!(html.contains("task=%3Cimg%20src%3Dx%20onerror%3Dalert%281%29%3E"));
    assert!(!html.contains("<img"));
}
