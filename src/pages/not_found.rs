use crate::routes::Route;
use yew::prelude::*;
use yew_router::prelude::*;

pub fn not_found() -> Html {
    html! {
        <section class="page not-found">
            <h1>{"No such page"}</h1>
            <p>{"This link does not point at an allocscope view. "}
                <Link<Route> to={Route::Allocations}>{"Show all allocations"}</Link<Route>></p>
        </section>
    }
}
