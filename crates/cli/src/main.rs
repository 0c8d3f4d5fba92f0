//! `allocscope`: the allocscope model on the command line.

mod decode_cmd;
mod serve;
#[allow(dead_code)]
mod site;
mod snapshot_cmd;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "allocscope", version, about = "Inspect HashiCorp Nomad allocation JSON")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Decode allocation JSON files in any form Nomad writes (a list, one allocation,
    /// NDJSON from a debug bundle) and print one line per allocation.
    Decode(decode_cmd::DecodeArgs),
    /// Serve the built site and proxy Nomad's API (/v1/) on the same origin.
    Serve(serve::ServeArgs),
    /// Capture a live cluster's allocations into a snapshot folder the app can open.
    Snapshot(snapshot_cmd::SnapshotArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Decode(args) => decode_cmd::run(&args),
        Command::Serve(args) => serve::run(&args),
        Command::Snapshot(args) => snapshot_cmd::run(&args),
    }
}
