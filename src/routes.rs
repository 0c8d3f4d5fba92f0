//! Hash routes (design contract 4): the same `dist/` works at any sub-path with no server
//! rules. Task names may contain dots and other characters; route parameters are
//! percent-encoded by `Route::to_path` and decoded on the way back.

use yew_router::prelude::*;

#[derive(Clone, Routable, PartialEq, Eq, Debug)]
pub enum Route {
    #[at("/")]
    Home,
    #[at("/allocations")]
    Allocations,
    #[at("/allocations/:id")]
    Allocation { id: String },
    #[at("/allocations/:id/tasks/:task")]
    Task { id: String, task: String },
    #[not_found]
    #[at("/not-found")]
    NotFound,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn task_names_with_special_characters_survive_the_route() {
        for task in ["envoy.proxy", "log shipper", "a/b", "x?y#z", "100%", "<img src=x>", "ünïcode"] {
            let r = Route::Task { id: "d3a1c2b4-5e6f-4a7b-8c9d-0e1f2a3b4c5d".into(), task: task.into() };
            let path = r.to_path();
            assert!(!path[1..].contains('#') && !path.contains('?'), "{task}: {path}");
            assert_eq!(Route::recognize(&path), Some(r), "{task}: {path}");
        }
    }
}
