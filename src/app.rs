//! The app shell: the store and the clock in context, a header naming the source, and the
//! routes.

use crate::clock::Clock;
use crate::pages::allocation::AllocationPage;
use crate::pages::allocation_list::AllocationListPage;
use crate::pages::not_found::NotFound;
use crate::pages::task::TaskPage;
use crate::routes::Route;
use crate::source::Source;
use crate::store::{Store, StoreContext};
use yew::prelude::*;
use yew_router::prelude::*;

/// The standalone app: hash routing, so `dist/` works from any sub-path.
#[component]
pub fn App() -> Html {
    let source = use_memo((), |_| Source::from_page());
    html! {
        <HashRouter>
            <Shell source={(*source).clone()} clock={Clock::browser()} />
        </HashRouter>
    }
}

#[derive(Properties, PartialEq)]
pub struct ShellProps {
    pub source: Source,
    /// The clock at mount; refreshed every 30 s in the browser.
    pub clock: Clock,
}

/// Everything inside the router; mounted by the app and, in tests, under a memory router.
#[component]
pub fn Shell(props: &ShellProps) -> Html {
    let store = use_reducer({
        let source = props.source.clone();
        move || Store::new(source)
    });
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
    let source_label =
        if props.source.is_demo() { "demo snapshot (bundled)".to_owned() } else { props.source.base.clone() };
    html! {
        <ContextProvider<StoreContext> context={StoreContext(store)}>
            <ContextProvider<Clock> context={*clock}>
                <header class="app-header">
                    <Link<Route> to={Route::Allocations} classes="brand">{"allocscope"}</Link<Route>>
                    <span class="source" title="The source: a Nomad API or a snapshot folder, chosen with ?source= in the page URL">
                        {"source: "}<span class="mono">{ source_label }</span>
                    </span>
                </header>
                <main>
                    <Switch<Route> render={switch} />
                </main>
            </ContextProvider<Clock>>
        </ContextProvider<StoreContext>>
    }
}

fn switch(route: Route) -> Html {
    match route {
        Route::Home => html! { <Redirect<Route> to={Route::Allocations} /> },
        Route::Allocations => html! { <AllocationListPage /> },
        Route::Allocation { id } => html! { <AllocationPage {id} /> },
        Route::Task { id, task } => html! { <TaskPage {id} {task} /> },
        Route::NotFound => html! { <NotFound /> },
    }
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
