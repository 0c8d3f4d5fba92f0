//! allocscope, the web app: fetches allocation JSON from a source (a live Nomad agent or a
//! static snapshot), decodes it with `allocscope-model`, keeps it in a store, and renders
//! it. All logic on decoded data lives in the model crate; this crate fetches, holds state
//! and renders. Pages are split into a container (fetching, effects) and a view (pure
//! props), so every view renders natively in tests with `LocalServerRenderer`.

pub mod api;
pub mod app;
pub mod clock;
pub mod components;
pub mod connection;
pub mod embed;
pub mod field_value;
pub mod live;
pub mod local;
pub mod pages;
pub mod routes;
pub mod source;
pub mod store;
pub mod theme;
