//! Reusable view pieces. Every one renders from props (and the clock context) alone.

pub mod alloc_table;
pub mod badges;
pub mod budget;
pub mod cause_card;
pub mod chain;
pub mod connection_panel;
pub mod copy_button;
pub mod error_panel;
pub mod events_table;
pub mod export_bar;
pub mod gone;
pub mod links;
pub mod live_indicator;
pub mod loading;
pub mod local_file;
pub mod placement;
pub mod raw_json;
pub mod resources;
pub mod route_link;
pub mod slot_history;
pub mod tasks_table;
pub mod time;
pub mod timeline_view;
