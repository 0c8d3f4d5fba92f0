//! Reusable view pieces. Every one renders from props (and the clock context) alone.

pub mod badges;
pub mod chain;
pub mod copy_button;
pub mod error_panel;
pub mod events_table;
pub mod loading;
pub mod placement;
pub mod raw_json;
pub mod resources;
pub mod tasks_table;
pub mod time;
