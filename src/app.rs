//! The app: `App` is the standalone page (hash routing, `config.json`, iframe messaging);
//! `AppRoot` is what every mode renders inside its router: the store, the clock, the
//! theme, the header and the routes.

use crate::api;
use crate::clock::Clock;
use crate::components::connection_panel::ConnectionPanel;
use crate::components::export_bar::LinkPage;
use crate::components::live_indicator::LiveIndicator;
use crate::components::local_file::{use_file_drop, LocalFileControls, LocalFileNotice};
use crate::connection::{self, Connection};
use crate::embed::{use_iframe_bridge, IframeCommand};
use crate::pages::allocation::AllocationPage;
use crate::pages::allocation_list::AllocationListPage;
use crate::pages::not_found::not_found;
use crate::pages::task::TaskPage;
use crate::routes::Route;
use crate::source::Source;
use crate::store::{Store, StoreContext};
use crate::theme::{load_preferences, save_preferences, Density, Theme};
use allocscope_model::config::Config;
use std::rc::Rc;
use yew::prelude::*;
use yew_router::prelude::*;

/// The deployment's configuration, for views that need it (link templates).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ConfigContext(pub Rc<Config>);

/// Opens the connection settings (the error panel's "enter a token" on a 403).
#[derive(Clone, PartialEq)]
pub struct TokenPrompt(pub Callback<()>);

/// What the app tells its host (a portal page around a custom element).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HostEvent {
    /// The in-app route changed, e.g. `/allocations/<id>`.
    Navigate { route: String },
    /// An allocation was opened.
    Select { allocation: String },
}

/// `config.json` as loaded at start: the config, or defaults and what was wrong.
#[derive(Clone, Debug, PartialEq)]
enum Boot {
    Loading,
    Ready { config: Rc<Config>, error: Option<String> },
}

async fn load_config() -> (Config, Option<String>) {
    match api::get("config.json", None, &|_| {}).await {
        Ok(f) => match Config::parse(&f.bytes) {
            Ok(c) => (c, None),
            Err(e) => (Config::default(), Some(format!("{e}. Using the defaults until it is fixed."))),
        },
        // No config.json is a normal deployment: defaults apply.
        Err(e) if e.is_not_found() => (Config::default(), None),
        Err(e) => (
            Config::default(),
            Some(format!("config.json could not be read: {}. Using the defaults.", e.headline())),
        ),
    }
}

/// The standalone app: loads `config.json`, then routes with the URL's hash so `dist/`
/// works from any sub-path.
#[component]
pub fn App() -> Html {
    let boot = use_state(|| Boot::Loading);
    {
        let boot = boot.clone();
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                let (config, error) = load_config().await;
                boot.set(Boot::Ready { config: Rc::new(config), error });
            });
        });
    }
    match &*boot {
        Boot::Loading => html! { <div class="as-root boot" aria-busy="true"></div> },
        Boot::Ready { config, error } => html! {
            <HashRouter>
                <Standalone config={config.clone()} config_error={error.clone()} />
            </HashRouter>
        },
    }
}

#[derive(Properties, PartialEq)]
struct StandaloneProps {
    config: Rc<Config>,
    config_error: Option<String>,
}

#[component]
fn Standalone(props: &StandaloneProps) -> Html {
    let page_source = use_memo(props.config.clone(), |config| {
        let from_page = Source::from_page();
        match (&config.source, from_page.is_demo()) {
            (Some(s), true) if !Source::page_names_source() => Source::new(s.clone()),
            _ => from_page,
        }
    });
    let source = use_state(|| (*page_source).clone());
    let conn = use_state(|| connection::load(&page_source.base));
    let prefs = use_state(load_preferences);
    let navigator = use_navigator();
    if let Some(title) = &props.config.title {
        if let Some(doc) = web_sys::window().and_then(|w| w.document()) {
            doc.set_title(title);
        }
    }
    let on_command = {
        let (source, conn, prefs, navigator) =
            (source.clone(), conn.clone(), prefs.clone(), navigator.clone());
        Callback::from(move |cmd: IframeCommand| {
            if let Some(s) = cmd.source {
                source.set(Source::new(s));
            }
            if let Some(t) = cmd.token {
                conn.set(Connection { token: (!t.is_empty()).then_some(t), ..(*conn).clone() });
            }
            if let Some(t) = cmd.theme {
                prefs.set((Theme::parse(&t), prefs.1));
            }
            if let (Some(route), Some(n)) = (cmd.route, &navigator) {
                if let Some(r) = Route::recognize(&route) {
                    n.push(&r);
                }
            }
        })
    };
    let reporter = use_iframe_bridge(props.config.clone(), on_command);
    let on_prefs = {
        let prefs = prefs.clone();
        Callback::from(move |(t, d): (Theme, Density)| {
            save_preferences(t, d);
            prefs.set((t, d));
        })
    };
    let on_connection = {
        let (conn, source) = (conn.clone(), source.clone());
        Callback::from(move |c: Connection| {
            connection::save(&source.base, &c);
            conn.set(c);
        })
    };
    // A new source, token, namespace or region starts from an empty store.
    let key = format!("{}|{}", source.base, conn.cache_key());
    html! {
        <AppRoot {key} source={(*source).clone()} clock={Clock::browser()} config={props.config.clone()}
            config_error={props.config_error.clone()} theme={prefs.0} density={prefs.1} on_prefs={Some(on_prefs)}
            connection={(*conn).clone()} on_connection={Some(on_connection)} on_event={reporter} standalone=true />
    }
}

#[derive(Properties, PartialEq)]
pub struct AppRootProps {
    pub source: Source,
    /// The clock at mount; refreshed every 30 s in the browser.
    pub clock: Clock,
    #[prop_or_default]
    pub config: Rc<Config>,
    #[prop_or_default]
    pub config_error: Option<String>,
    #[prop_or_default]
    pub theme: Theme,
    #[prop_or_default]
    pub density: Density,
    /// Present when the user may switch theme and density (the standalone page).
    #[prop_or_default]
    pub on_prefs: Option<Callback<(Theme, Density)>>,
    /// Token (sent as `X-Nomad-Token`), namespace and region.
    #[prop_or_default]
    pub connection: Connection,
    /// Present when the user may change the connection (the standalone page).
    #[prop_or_default]
    pub on_connection: Option<Callback<Connection>>,
    #[prop_or_default]
    pub on_event: Option<Callback<HostEvent>>,
    /// The standalone page fills the window.
    #[prop_or_default]
    pub standalone: bool,
    /// Embedded (not standalone): the standalone app's address, for links to a view.
    #[prop_or_default]
    pub app_url: Option<String>,
}

/// Everything inside the router; the same in every mode.
#[component]
pub fn AppRoot(props: &AppRootProps) -> Html {
    let store = use_reducer({
        let (source, connection) = (props.source.clone(), props.connection.clone());
        let resync_ms = props.config.resync_ms();
        move || Store::new(source).with_connection(connection).with_resync_ms(resync_ms)
    });
    let panel_open = use_state(|| false);
    let open_panel = {
        let panel_open = panel_open.clone();
        Callback::from(move |_| panel_open.set(true))
    };
    let clock = use_state(|| props.clock);
    {
        let clock = clock.clone();
        use_effect_with((), move |_| {
            // Held by the cleanup closure; dropping it (on unmount) stops the timer.
            let timer = start_clock(move || clock.set(Clock::browser()));
            move || {
                let _stop = timer;
            }
        });
    }
    let link_page = match (&props.app_url, props.standalone) {
        (_, true) => LinkPage::ThisPage,
        (Some(url), false) if !url.is_empty() => LinkPage::App(url.clone()),
        _ => LinkPage::Nowhere,
    };
    let source_label = match &store.local {
        Some(local) => format!("file {}", local.file.name),
        None if props.source.is_demo() => "demo snapshot (bundled)".to_owned(),
        None => props.source.base.clone(),
    };
    let drop = use_file_drop(StoreContext(store.clone()));
    let prefs = props.on_prefs.as_ref().map(|cb| {
        let (theme, density) = (props.theme, props.density);
        let (cb1, cb2) = (cb.clone(), cb.clone());
        html! {
            <span class="prefs">
                <button type="button" class="pref-theme" title="Theme: automatic follows the system setting"
                    onclick={move |_| cb1.emit((theme.next(), density))}>{ format!("theme: {}", theme.as_str()) }</button>
                <button type="button" class="pref-density" aria-pressed={(density == Density::Compact).to_string()}
                    onclick={move |_| cb2.emit((theme, density.toggled()))}>{"compact"}</button>
            </span>
        }
    });
    html! {
        <ContextProvider<StoreContext> context={StoreContext(store)}>
            <ContextProvider<Clock> context={*clock}>
            <ContextProvider<LinkPage> context={link_page}>
            <ContextProvider<ConfigContext> context={ConfigContext(props.config.clone())}>
            <ContextProvider<Option<TokenPrompt>> context={props.on_connection.as_ref().map(|_| TokenPrompt(open_panel.clone()))}>
                <div class={classes!("as-root", props.standalone.then_some("standalone"), drop.dragging.then_some("dropping"))}
                    data-theme={props.theme.as_str()} data-density={props.density.as_str()}
                    ondragover={drop.ondragover} ondragleave={drop.ondragleave} ondrop={drop.ondrop}>
                    <header class="app-header">
                        <Link<Route> to={Route::Allocations} classes="brand">{"allocscope"}</Link<Route>>
                        <span class="source" title="The source: a Nomad API or a snapshot folder, chosen with ?source= in the page URL">
                            {"source: "}<span class="mono">{ source_label }</span>
                        </span>
                        <LiveIndicator />
                        <LocalFileControls />
                        if props.on_connection.is_some() {
                            <button type="button" class="connection-button" onclick={open_panel.reform(|_: MouseEvent| ())}>
                                { connection_label(&props.connection) }
                            </button>
                        }
                        { prefs }
                    </header>
                    if let (true, Some(apply)) = (*panel_open, &props.on_connection) {
                        <ConnectionPanel connection={props.connection.clone()}
                            on_apply={apply.clone()} on_close={{ let p = panel_open.clone(); Callback::from(move |_| p.set(false)) }} />
                    }
                    <LocalFileNotice />
                    if let Some(e) = &props.config_error {
                        <p class="notice config-error" role="alert">{ e.clone() }</p>
                    }
                    <main>
                        <Switch<Route> render={switch} />
                    </main>
                    <RouteReporter on_event={props.on_event.clone()} />
                </div>
            </ContextProvider<Option<TokenPrompt>>>
            </ContextProvider<ConfigContext>>
            </ContextProvider<LinkPage>>
            </ContextProvider<Clock>>
        </ContextProvider<StoreContext>>
    }
}

fn connection_label(c: &Connection) -> String {
    let mut parts = vec![if c.token.is_some() { "token set".to_owned() } else { "no token".to_owned() }];
    if !c.namespace.is_empty() {
        parts.push(format!("ns {}", c.namespace));
    }
    if !c.region.is_empty() {
        parts.push(format!("region {}", c.region));
    }
    parts.join(" · ")
}

fn switch(route: Route) -> Html {
    match route {
        Route::Home => html! { <Redirect<Route> to={Route::Allocations} /> },
        Route::Allocations => html! { <AllocationListPage /> },
        Route::Allocation { id } => html! { <AllocationPage {id} /> },
        Route::Task { id, task } => html! { <TaskPage {id} {task} /> },
        Route::NotFound => not_found(),
    }
}

#[derive(Properties, PartialEq)]
struct RouteReporterProps {
    on_event: Option<Callback<HostEvent>>,
}

/// Tells the host about navigation and selection.
#[component]
fn RouteReporter(props: &RouteReporterProps) -> Html {
    let location = use_location();
    let path = location.map(|l| format!("{}{}", l.path(), l.query_str())).unwrap_or_default();
    let on_event = props.on_event.clone();
    use_effect_with(path, move |path| {
        if let Some(cb) = on_event {
            cb.emit(HostEvent::Navigate { route: path.clone() });
            let bare = path.split('?').next().unwrap_or("");
            if let Some(Route::Allocation { id }) = Route::recognize(bare) {
                cb.emit(HostEvent::Select { allocation: id });
            }
        }
    });
    html! {}
}

/// Refresh relative times every 30 s; the returned guard stops the timer when dropped.
#[cfg(target_arch = "wasm32")]
fn start_clock(tick: impl Fn() + 'static) -> Option<ClockTimer> {
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;
    let window = web_sys::window()?;
    let closure = Closure::<dyn Fn()>::new(tick);
    let id = window
        .set_interval_with_callback_and_timeout_and_arguments_0(closure.as_ref().unchecked_ref(), 30_000)
        .ok()?;
    Some(ClockTimer { id, _closure: closure })
}

#[cfg(not(target_arch = "wasm32"))]
fn start_clock(_tick: impl Fn() + 'static) -> Option<ClockTimer> {
    None
}

pub struct ClockTimer {
    #[cfg(target_arch = "wasm32")]
    id: i32,
    #[cfg(target_arch = "wasm32")]
    _closure: wasm_bindgen::closure::Closure<dyn Fn()>,
}

#[cfg(target_arch = "wasm32")]
impl Drop for ClockTimer {
    fn drop(&mut self) {
        if let Some(w) = web_sys::window() {
            w.clear_interval_with_handle(self.id);
        }
    }
}
