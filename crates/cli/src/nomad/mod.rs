//! Talking to a Nomad agent, for `serve` and `snapshot`: the address and TLS settings from
//! flags and the `nomad` CLI's environment (`args`, `address`, `tls`), one request per
//! connection over plain TCP or rustls (`client`), and errors that say what to change
//! (`error`).

pub mod address;
pub mod args;
pub mod client;
pub mod error;
pub mod tls;

pub use args::{process_env, Conn, ConnArgs};
pub use client::{Upstream, TOKEN_HEADER};
