//! One module per route. Each page is a container (reads the route, asks the store for
//! data) around a view that renders from props alone.

pub mod allocation;
pub mod allocation_list;
pub mod not_found;
pub mod task;
