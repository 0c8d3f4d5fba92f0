//! `allocscope decode`: every file is decoded independently; a bad file is reported in one
//! line (file, position, JSON path, reason) and the others are still decoded.

use allocscope_model::{decode, short_id, Allocation, DecodeOptions};
use clap::Args;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args)]
pub struct DecodeArgs {
    /// Repair hand-edited JSON (trailing commas, duplicate keys, Python literals, numbers
    /// written as strings); every repair is printed as a warning.
    #[arg(long)]
    lenient: bool,
    /// Print the decoded allocations as one JSON array with Nomad's field names.
    #[arg(long)]
    json: bool,
    /// Files to decode; `-` reads standard input.
    #[arg(required = true)]
    files: Vec<PathBuf>,
}

pub fn run(args: &DecodeArgs) -> ExitCode {
    let opts = DecodeOptions { lenient: args.lenient };
    let mut all: Vec<Allocation> = Vec::new();
    let mut failed = false;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for file in &args.files {
        let name = file.display().to_string();
        let bytes = match read(file) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("{name}: cannot read the file: {e}");
                failed = true;
                continue;
            }
        };
        match decode(&bytes, opts) {
            Ok(decoded) => {
                for w in &decoded.warnings {
                    eprintln!("{name}: warning: {w}");
                }
                // A field of another type than allocscope reads (a newer Nomad) is stepped
                // over, not an error; say where, so nothing passes unnoticed.
                for n in &decoded.type_notes {
                    eprintln!("{name}: warning: {n}");
                }
                if decoded.type_notes_omitted > 0 {
                    eprintln!("{name}: warning: {} more fields of another type", decoded.type_notes_omitted);
                }
                eprintln!(
                    "{name}: {} allocation{} ({}{})",
                    decoded.allocations.len(),
                    if decoded.allocations.len() == 1 { "" } else { "s" },
                    decoded.form.describe(),
                    if decoded.warnings.is_empty() {
                        String::new()
                    } else {
                        format!(
                            ", {} repair{}",
                            decoded.warnings.len(),
                            if decoded.warnings.len() == 1 { "" } else { "s" }
                        )
                    }
                );
                if args.json {
                    all.extend(decoded.allocations);
                } else {
                    for a in &decoded.allocations {
                        if writeln!(out, "{}", line(a)).is_err() {
                            // The reader went away (`| head`): stop quietly.
                            return if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS };
                        }
                    }
                }
            }
            Err(e) => {
                failed = true;
                match e.hint() {
                    Some(h) => eprintln!("{name}: {e} ({h})"),
                    None => eprintln!("{name}: {e}"),
                }
            }
        }
    }
    if args.json {
        match serde_json::to_string_pretty(&all) {
            Ok(s) => {
                let _ = writeln!(out, "{s}");
            }
            Err(e) => {
                eprintln!("cannot encode the allocations as JSON: {e}");
                failed = true;
            }
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn read(file: &PathBuf) -> std::io::Result<Vec<u8>> {
    if file.as_os_str() == "-" {
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut buf)?;
        Ok(buf)
    } else {
        std::fs::read(file)
    }
}

/// `ID NAME CLIENT DESIRED NODE TASKS RESTARTS EVENTS`, tab-separated so it pipes into
/// `column -t`, `cut` and `awk`.
fn line(a: &Allocation) -> String {
    let node = if a.node_name.is_empty() { short_id(&a.node_id) } else { &a.node_name };
    format!(
        "{}\t{}\t{}\t{}\t{}\t{} tasks\t{} restarts\t{} events",
        a.short_id(),
        or_dash(&a.name),
        or_dash(a.client_status.as_str()),
        or_dash(a.desired_status.as_str()),
        or_dash(node),
        a.task_states.len(),
        a.total_restarts(),
        a.event_count()
    )
}

fn or_dash(s: &str) -> &str {
    if s.is_empty() {
        "-"
    } else {
        s
    }
}
