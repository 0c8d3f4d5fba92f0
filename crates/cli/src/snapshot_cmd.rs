//! `allocscope snapshot`: capture a live cluster's allocations into a snapshot folder at
//! Nomad's paths (design contract 2), which any static file server can host and the app
//! opens with `?source=`. The list and every allocation are read with the agent's own
//! answers; job and node lists are derived from the full allocations, as the agent would
//! answer them.
//!
//! `--from-bundle` writes the same folder from a `nomad operator debug` archive instead: one
//! capture's list stubs with the archive's event stream up to the capture's time merged in
//! (task histories past Nomad's 10-event cap), and as each allocation the newest full copy
//! the stream holds by then.

use crate::nomad::{process_env, ConnArgs, Upstream, TOKEN_HEADER};
use allocscope_model::bundle::{read_bundle, Bundle};
use allocscope_model::{decode, paths, AllocListStub, Allocation, DecodeOptions};
use clap::Args;
use http_body_util::BodyExt;
use hyper::header::HeaderValue;
use hyper::{HeaderMap, Method};
use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

#[derive(Args)]
pub struct SnapshotArgs {
    #[command(flatten)]
    conn: ConnArgs,
    /// Read a `nomad operator debug` archive (.tar.gz, or an uncompressed .tar) instead of
    /// a live agent.
    #[arg(long, value_name = "BUNDLE", conflicts_with = "nomad")]
    from_bundle: Option<PathBuf>,
    /// With --from-bundle: the capture interval to write (the NNNN of interval/NNNN/);
    /// default the newest capture that is readable.
    #[arg(long, value_name = "N", requires = "from_bundle")]
    capture: Option<u32>,
    /// The folder to write the snapshot to (created; existing files are overwritten).
    #[arg(long)]
    out: PathBuf,
    /// The namespace to capture; `*` is every namespace the token may read
    /// [env: NOMAD_NAMESPACE; default *].
    #[arg(long)]
    namespace: Option<String>,
    /// Capture only this job's allocations (needs a namespace other than `*`).
    #[arg(long)]
    job: Option<String>,
}

const PAGE: &str = "500";
/// One request, blocking queries aside (none are made here), is answered well within this.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(120);

/// Why one GET failed: Nomad's answer with its status, or no usable answer.
enum GetError {
    Status { url: String, status: u16, text: String },
    Failed(String),
}

impl std::fmt::Display for GetError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            GetError::Status { url, status, text } => write!(f, "GET {url}: {status} {text}"),
            GetError::Failed(m) => f.write_str(m),
        }
    }
}

impl From<GetError> for String {
    fn from(e: GetError) -> String {
        e.to_string()
    }
}

struct Client {
    upstream: Upstream,
    rt: tokio::runtime::Runtime,
}

impl Client {
    /// GET a path (with the region, when one is set, as Nomad's client adds it); the body on
    /// 2xx, else an error naming the URL, the status and Nomad's text.
    fn get(&self, path: &str) -> Result<(Vec<u8>, Option<String>), GetError> {
        let conn = &self.upstream.conn;
        let path = format!("/{}", path.trim_start_matches('/'));
        let path = match &conn.region {
            Some(r) => paths::with_params(&path, &[("region", r.as_str())]),
            None => path,
        };
        let url = format!("{}{path}", conn.address);
        let mut headers = HeaderMap::new();
        if let Some(t) = &conn.token {
            let v = HeaderValue::from_str(&t.secret)
                .map_err(|_| GetError::Failed(format!("{}: not a valid header value", t.from)))?;
            headers.insert(TOKEN_HEADER, v);
        }
        self.rt.block_on(async {
            let answer = self
                .upstream
                .send(Method::GET, &path, headers, REQUEST_TIMEOUT)
                .await
                .map_err(|e| GetError::Failed(format!("GET {url}: {e}")))?;
            let status = answer.status().as_u16();
            let next =
                answer.headers().get("X-Nomad-NextToken").and_then(|v| v.to_str().ok()).map(str::to_owned);
            let body = tokio::time::timeout(REQUEST_TIMEOUT, answer.into_body().collect())
                .await
                .map_err(|_| {
                    GetError::Failed(format!(
                        "GET {url}: the answer did not finish in {} s",
                        REQUEST_TIMEOUT.as_secs()
                    ))
                })?
                .map_err(|e| {
                    GetError::Failed(format!(
                        "GET {url}: reading the answer: {}",
                        self.upstream.map_hyper(&e)
                    ))
                })?
                .to_bytes()
                .to_vec();
            if !(200..300).contains(&status) {
                let text = String::from_utf8_lossy(&body).trim().to_owned();
                return Err(GetError::Status { url, status, text });
            }
            Ok((body, next))
        })
    }
}

pub fn run(args: &SnapshotArgs) -> ExitCode {
    let result = match &args.from_bundle {
        Some(bundle) => from_bundle(bundle, args),
        None => capture(args),
    };
    match result {
        Ok(summary) => {
            println!("{summary}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("allocscope snapshot: {e}");
            ExitCode::FAILURE
        }
    }
}

fn capture(args: &SnapshotArgs) -> Result<String, String> {
    let conn = args.conn.resolve(&process_env)?;
    for w in &conn.warnings {
        eprintln!("allocscope snapshot: {w}");
    }
    let namespace =
        args.namespace.clone().or_else(|| conn.env_namespace.clone()).unwrap_or_else(|| "*".into());
    if args.job.is_some() && namespace == "*" {
        return Err(
            "--job needs --namespace (or NOMAD_NAMESPACE): a job ID is unique within one namespace".into()
        );
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the I/O runtime: {e}"))?;
    let client = Client { upstream: Upstream::new(conn, "allocscope-snapshot"), rt };

    // 1. The list: one job's, or every page of the cluster's.
    let mut stubs: Vec<Allocation> = Vec::new();
    let ns = [("namespace", namespace.as_str())];
    match &args.job {
        Some(job) => {
            let (body, _) = client.get(&paths::with_params(&paths::job_allocations(job), &ns))?;
            stubs = decode_list(&body, "the job's allocation list")?;
        }
        None => {
            let mut next: Option<String> = None;
            loop {
                let mut params = vec![("namespace", namespace.as_str()), ("per_page", PAGE)];
                if let Some(t) = &next {
                    params.push(("next_token", t.as_str()));
                }
                let (body, token) = client.get(&paths::with_params(&paths::allocations(), &params))?;
                stubs.extend(decode_list(&body, "the allocation list")?);
                match token {
                    Some(t) if next.as_deref() == Some(t.as_str()) => {
                        return Err(format!("the agent answered the page after {t} with the same next_token again; the capture stops rather than loop (is a proxy caching the answers?)"));
                    }
                    Some(t) if !t.is_empty() => next = Some(t),
                    _ => break,
                }
            }
        }
    }

    // 2. Every allocation, as the agent answers it.
    let out = &args.out;
    let mut full: Vec<Allocation> = Vec::new();
    let mut gone = 0;
    for s in &stubs {
        match client.get(&paths::allocation(&s.id)) {
            Ok((body, _)) => {
                let mut d =
                    decode(&body, DecodeOptions::STRICT).map_err(|e| format!("allocation {}: {e}", s.id))?;
                let a = d
                    .allocations
                    .pop()
                    .ok_or_else(|| format!("allocation {}: no allocation in the answer", s.id))?;
                write(out, &paths::allocation(&a.id), &body)?;
                full.push(a);
            }
            // Garbage-collected between the list and the read.
            Err(GetError::Status { status: 404, .. }) => gone += 1,
            Err(e) => return Err(e.into()),
        }
    }
    full.sort_by_key(|a| (a.create_index, a.id.clone()));

    // 3. Lists derived from the full allocations, in Nomad's stub shape.
    let pairs: Vec<(&Allocation, &Allocation)> = full.iter().map(|a| (a, a)).collect();
    let (jobs, nodes) = write_lists(out, &pairs)?;
    let gone_note =
        if gone > 0 { format!(" ({gone} garbage-collected while capturing)") } else { String::new() };
    Ok(format!(
        "allocscope snapshot: {} allocations, {} jobs, {} nodes from {} into {}{gone_note}; open it with ?source=<URL of {}>",
        full.len(),
        jobs,
        nodes,
        client.upstream.address(),
        out.display(),
        out.display()
    ))
}

/// `v1/allocations` and the per-job lists (stubs built from the first of each pair) and the
/// per-node lists (the second of each pair, full allocations as Nomad answers them), in
/// `CreateIndex` order. Returns the number of jobs and nodes written.
fn write_lists(out: &Path, listed: &[(&Allocation, &Allocation)]) -> Result<(usize, usize), String> {
    let mut listed = listed.to_vec();
    listed.sort_by(|a, b| (a.0.create_index, &a.0.id).cmp(&(b.0.create_index, &b.0.id)));
    let stubs_of = |list: &[&Allocation]| -> Result<Vec<u8>, String> {
        let v: Vec<AllocListStub> = list.iter().map(|a| AllocListStub::from_allocation(a, false)).collect();
        serde_json::to_vec(&v).map_err(|e| e.to_string())
    };
    let all: Vec<&Allocation> = listed.iter().map(|p| p.0).collect();
    write(out, &paths::allocations(), &stubs_of(&all)?)?;
    let mut by_job: BTreeMap<&str, Vec<&Allocation>> = BTreeMap::new();
    let mut by_node: BTreeMap<&str, Vec<&Allocation>> = BTreeMap::new();
    for (stub, full) in &listed {
        by_job.entry(&stub.job_id).or_default().push(stub);
        if !full.node_id.is_empty() {
            by_node.entry(&full.node_id).or_default().push(full);
        }
    }
    for (job, list) in &by_job {
        write(out, &format!("v1/job/{}/allocations", safe_segment(job)), &stubs_of(list)?)?;
    }
    for (node, list) in &by_node {
        let body = serde_json::to_vec(list).map_err(|e| e.to_string())?;
        write(out, &format!("v1/node/{}/allocations", safe_segment(node)), &body)?;
    }
    Ok((by_job.len(), by_node.len()))
}

/// `--from-bundle`: one capture of a debug archive, with its event stream merged in.
fn from_bundle(file: &Path, args: &SnapshotArgs) -> Result<String, String> {
    let name = file.display();
    let raw = std::fs::read(file).map_err(|e| format!("cannot read {name}: {e}"))?;
    // Nomad writes .tar.gz; an archive someone already gunzipped is read as it is.
    let tar = if raw.starts_with(&[0x1f, 0x8b]) {
        let mut tar = Vec::new();
        flate2::read::MultiGzDecoder::new(raw.as_slice()).read_to_end(&mut tar).map_err(|e| {
            format!("{name}: cannot gunzip it ({e}); the file is damaged or cut off, copy it again")
        })?;
        tar
    } else {
        raw
    };
    let bundle = read_bundle(&tar, DecodeOptions::STRICT).map_err(|e| format!("{name}: {e}"))?;
    let capture = pick_capture(&bundle, args.capture).map_err(|e| format!("{name}: {e}"))?;
    let (list, report) = bundle.merged(capture).map_err(|e| format!("{name}: {e}"))?;
    let details = bundle.details(capture, &list);
    let out = &args.out;
    for d in &details {
        let body = serde_json::to_vec(d).map_err(|e| e.to_string())?;
        write(out, &paths::allocation(&d.id), &body)?;
    }
    let pairs: Vec<(&Allocation, &Allocation)> = list.iter().zip(&details).collect();
    let (jobs, nodes) = write_lists(out, &pairs)?;
    let good = bundle.captures.iter().filter(|c| c.result.is_ok()).count();
    let failed = bundle.captures.len() - good;
    let failed_note = if failed > 0 { format!(", {failed} failed") } else { String::new() };
    let streamed = bundle.streamed().len();
    let stream_note = match &bundle.events {
        None => "no event stream".to_owned(),
        Some(ev) => {
            let bad = if ev.warnings.is_empty() {
                String::new()
            } else {
                format!(", {} unreadable lines skipped (first: {})", ev.warnings.len(), ev.warnings[0])
            };
            format!(
                "{} task events merged from {streamed} allocation events, {} allocations updated{bad}",
                report.events_added, report.allocations_updated
            )
        }
    };
    Ok(format!(
        "allocscope snapshot: {} captures found{failed_note}; used {} ({}); {} allocations, {jobs} jobs, {nodes} nodes into {}; {stream_note}",
        bundle.captures.len(),
        capture.entry,
        capture.time.map(|t| format!("written at Unix time {t}")).unwrap_or_else(|| "time unknown".into()),
        list.len(),
        out.display(),
    ))
}

/// The capture `--capture` names, else the newest readable one.
fn pick_capture(bundle: &Bundle, wanted: Option<u32>) -> Result<&allocscope_model::Capture, String> {
    let list = || bundle.captures.iter().map(|c| format!("{:04}", c.interval)).collect::<Vec<_>>().join(", ");
    match wanted {
        Some(n) => {
            let c =
                bundle.capture(n).ok_or_else(|| format!("no capture {n:04}; the bundle has {}", list()))?;
            match &c.result {
                Ok(_) => Ok(c),
                Err(e) => Err(format!("capture {n:04} cannot be used: {e}")),
            }
        }
        None => bundle.newest().ok_or_else(|| {
            let first = bundle.captures.iter().find_map(|c| c.result.as_ref().err());
            format!(
                "none of the {} captures can be read{}",
                bundle.captures.len(),
                first.map(|e| format!("; the first: {e}")).unwrap_or_default()
            )
        }),
    }
}

fn decode_list(body: &[u8], what: &str) -> Result<Vec<Allocation>, String> {
    decode(body, DecodeOptions::STRICT).map(|d| d.allocations).map_err(|e| format!("{what}: {e}"))
}

/// A file name for an ID or job name as a static server will look for it: the server
/// percent-decodes the URL, so a `/` in a job ID is a folder; `..` and empty parts are not
/// allowed to climb out of the snapshot.
fn safe_segment(s: &str) -> String {
    s.split('/')
        .map(|p| if p.is_empty() || p == "." || p == ".." { "_" } else { p })
        .collect::<Vec<_>>()
        .join("/")
}

fn write(out: &Path, rel: &str, body: &[u8]) -> Result<(), String> {
    let path = out.join(rel);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    std::fs::write(&path, body).map_err(|e| format!("cannot write {}: {e}", path.display()))
}
