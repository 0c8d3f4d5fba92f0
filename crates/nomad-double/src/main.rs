//! `nomad-double`: a test double of Nomad's HTTP API. See the library docs and README.md.

use nomad_double::{DoubleServer, NomadVersion, Options};
use std::process::ExitCode;

const HELP: &str = "\
nomad-double: a TEST DOUBLE of HashiCorp Nomad's HTTP API, for testing allocscope.
It is not Nomad: it serves a snapshot folder's allocations on Nomad's allocation
endpoints, with Nomad's parameters, blocking queries, headers and errors, plus a
test control API under /_double/.

Usage:
  nomad-double --snapshot DIR [--listen HOST:PORT] [--token SECRET] [--ui DIST_DIR]
               [--index N] [--header 'Name: value']... [--event-buffer N]
               [--nomad-version V] [--acl-token SECRET=NS,...]...
               [--tls-cert FILE --tls-key FILE [--tls-client-ca FILE]] [--verbose]
  nomad-double certs --out DIR [--region REGION] [--name NAME[=SAN,...]]...

Options:
  --snapshot DIR     snapshot folder with DIR/v1/allocation/<id> files (required)
  --listen ADDR      address to listen on (default 127.0.0.1:4646; port 0 = any free port)
  --token SECRET     require X-Nomad-Token: SECRET or Authorization: Bearer SECRET on /v1
                     (403 Permission denied otherwise); also read from NOMAD_DOUBLE_TOKEN
  --ui DIST_DIR      also serve DIST_DIR under /ui/ (index.html for /ui/)
  --index N          starting index (default: the largest ModifyIndex in the snapshot)
  --header 'K: V'    add a header to every /v1 answer (like http_api_response_headers)
  --event-buffer N   event buffer items kept for new subscriptions (event_buffer_size;
                     default 100); a subscription older than the buffer loses events
  --nomad-version V  where versions differ, behave as Nomad V (default 2.0.5): from
                     1.11.2 an event stream error arrives as 200 and a closed connection
  --acl-token S=NS,. a token with read-job in those namespaces only (repeatable)
  --tls-cert FILE    with --tls-key: serve HTTPS only, like an agent with tls { http = true }
  --tls-key FILE     (PEM; RSA or ECDSA keys, as Nomad takes; TLS 1.2 and 1.3; HTTP/1.1)
  --tls-client-ca F  also require a client certificate signed by this PEM CA, like
                     verify_https_client = true (tls.RequireAndVerifyClientCert)
  --verbose          log one line per request (and failed TLS handshake) to stderr
  -h, --help         this text
  -V, --version      the version

Nomad endpoints (GET only):
  /v1/allocations, /v1/allocation/:id, /v1/job/:id/allocations, /v1/node/:id/allocations,
  /v1/event/stream (Allocation topic only)

Certificates (nomad-double certs), made as nomad tls ca/cert create makes them, valid
for 30 days: DIR/ca.pem, ca-key.pem, and server, client, cli (each NAME.pem, NAME-key.pem
and NAME.spki, base64 SHA-256 of the public key for Chromium's
--ignore-certificate-errors-spki-list). --region (default global) names the leaves
<role>.<region>.nomad; --name NAME=SAN,... adds a leaf with those SANs (default NAME).

Control API (not Nomad):
  GET  /_double/counts               request counts per 'METHOD /path', plus total
  POST /_double/counts/reset
  GET  /_double/stats                {\"in_flight\", \"peak_in_flight\"}: /v1 requests being
                                     answered (held queries and streams too); with TLS also
                                     \"open_connections\", \"peak_connections\",
                                     \"connections_total\", \"handshakes_failed\",
                                     \"plain_http_refused\"
  POST /_double/stats/reset          peaks to the current values, totals to 0
  GET  /_double/index                {\"Index\": N}
  POST /_double/alloc/:id/event      body: a TaskEvent, or {\"Task\": \"api\", \"Event\": {...}}
  POST /_double/alloc/:id/fail       body (optional): {\"ExitCode\": 1}
  POST /_double/alloc/:id/replace    -> {\"ID\": \"<new id>\", \"Index\": N}
  POST /_double/alloc/:id/stop       a desired transition (Migrate), as nomad alloc stop
  POST /_double/gc                   body: {\"IDs\": [...]}: garbage-collect, no event
  POST /_double/reset                back to the snapshot as loaded (index, counts, mode)
  GET|POST /_double/mode             {\"status\": 500, \"body\": \"No cluster leader\"},
                                     {\"status\": null}, {\"delay_ms\": 2000}
  POST /_double/shutdown
";

/// `--flag=value` as (`--flag`, Some(value)); anything else as itself with no value.
fn split_flag(arg: &str) -> (String, Option<String>) {
    match arg.split_once('=') {
        Some((f, v)) if f.starts_with("--") => (f.to_owned(), Some(v.to_owned())),
        _ => (arg.to_owned(), None),
    }
}

fn parse(args: Vec<String>) -> Result<Option<Options>, String> {
    let mut o = Options { listen: "127.0.0.1:4646".into(), ..Default::default() };
    o.token = std::env::var("NOMAD_DOUBLE_TOKEN").ok().filter(|t| !t.is_empty());
    let mut snapshot = None;
    let mut it = args.into_iter();
    while let Some(arg) = it.next() {
        let (flag, inline) = split_flag(&arg);
        let mut value =
            |name: &str| inline.clone().or_else(|| it.next()).ok_or(format!("{name} needs a value"));
        match flag.as_str() {
            "-h" | "--help" => return Ok(None),
            "-V" | "--version" => {
                println!("nomad-double {} (a test double of Nomad's HTTP API)", env!("CARGO_PKG_VERSION"));
                std::process::exit(0);
            }
            "--snapshot" => snapshot = Some(value("--snapshot")?),
            "--listen" => o.listen = value("--listen")?,
            "--token" => o.token = Some(value("--token")?).filter(|t| !t.is_empty()),
            "--ui" => o.ui = Some(value("--ui")?.into()),
            "--index" => {
                let v = value("--index")?;
                o.index = Some(v.parse().map_err(|_| format!("--index: not a number: {v}"))?);
            }
            "--header" => {
                let v = value("--header")?;
                let (k, val) =
                    v.split_once(':').ok_or(format!("--header: expected 'Name: value', got {v:?}"))?;
                o.headers.push((k.trim().to_owned(), val.trim().to_owned()));
            }
            "--event-buffer" => {
                let v = value("--event-buffer")?;
                o.event_buffer = Some(v.parse().map_err(|_| format!("--event-buffer: not a number: {v}"))?);
            }
            "--nomad-version" => {
                let v = value("--nomad-version")?;
                o.nomad_version = Some(
                    NomadVersion::parse(&v)
                        .ok_or(format!("--nomad-version: expected like 1.10 or 2.0.5, got {v:?}"))?,
                );
            }
            "--acl-token" => {
                let v = value("--acl-token")?;
                let (secret, namespaces) =
                    v.split_once('=').ok_or(format!("--acl-token: expected SECRET=ns1,ns2, got {v:?}"))?;
                let namespaces =
                    namespaces.split(',').map(str::trim).filter(|n| !n.is_empty()).map(str::to_owned);
                o.acl_tokens.push((secret.to_owned(), namespaces.collect()));
            }
            "--tls-cert" => o.tls_cert = Some(value("--tls-cert")?.into()),
            "--tls-key" => o.tls_key = Some(value("--tls-key")?.into()),
            "--tls-client-ca" => o.tls_client_ca = Some(value("--tls-client-ca")?.into()),
            "--verbose" | "-v" => o.verbose = true,
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    o.snapshot = snapshot.ok_or("--snapshot DIR is required")?.into();
    Ok(Some(o))
}

/// `nomad-double certs --out DIR [--region R] [--name NAME[=SAN,...]]...`
fn certs(args: Vec<String>) -> Result<(), String> {
    let (mut out, mut region, mut extra) = (None, "global".to_owned(), Vec::new());
    let mut it = args.into_iter();
    while let Some(arg) = it.next() {
        let (flag, inline) = split_flag(&arg);
        let mut value =
            |name: &str| inline.clone().or_else(|| it.next()).ok_or(format!("{name} needs a value"));
        match flag.as_str() {
            "--out" => out = Some(std::path::PathBuf::from(value("--out")?)),
            "--region" => region = value("--region")?,
            "--name" => {
                let v = value("--name")?;
                let (name, sans) = v.split_once('=').unwrap_or((&v, ""));
                let sans = sans.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
                extra.push((name.to_owned(), sans.collect()));
            }
            other => return Err(format!("certs: unknown argument {other:?}")),
        }
    }
    let out = out.ok_or("certs: --out DIR is required")?;
    let p = nomad_double::certs::generate_with(&out, &region, &extra)?;
    println!("{}\n{}", p.ca.display(), p.ca_key.display());
    for leaf in [&p.server, &p.client, &p.cli].into_iter().chain(&p.extra) {
        println!("{}\n{}\n{}", leaf.cert.display(), leaf.key.display(), leaf.spki_file.display());
    }
    Ok(())
}

fn main() -> ExitCode {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("certs") {
        args.remove(0);
        return match certs(args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("nomad-double: {e}");
                ExitCode::from(2)
            }
        };
    }
    let opts = match parse(args) {
        Ok(Some(o)) => o,
        Ok(None) => {
            print!("{HELP}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("nomad-double: {e}\n\n{HELP}");
            return ExitCode::from(2);
        }
    };
    match DoubleServer::start(opts) {
        Ok(server) => {
            println!("nomad-double (a test double of Nomad's HTTP API) listening on {}", server.url());
            server.wait();
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("nomad-double: {e}");
            ExitCode::FAILURE
        }
    }
}
