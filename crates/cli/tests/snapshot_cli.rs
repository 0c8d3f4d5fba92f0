//! `allocscope snapshot` against the Nomad API test double (crates/nomad-double): the
//! snapshot holds what the double serves, at Nomad's paths, and decodes like it.

use allocscope_model::{decode, paths, DecodeOptions};
use nomad_double::{DoubleServer, Options};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn demo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../www/demo")
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("allocscope-snapshot-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn snapshot(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_allocscope"))
        .arg("snapshot")
        .args(args)
        .output()
        .expect("run allocscope")
}

fn read(dir: &Path, rel: &str) -> Vec<allocscope_model::Allocation> {
    let bytes = std::fs::read(dir.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
    decode(&bytes, DecodeOptions::STRICT).unwrap_or_else(|e| panic!("{rel}: {e}")).allocations
}

#[test]
fn captures_every_allocation_and_the_lists_at_nomads_paths() {
    let double = DoubleServer::start(Options::new(demo(), "127.0.0.1:0")).unwrap();
    let out = scratch("all");
    let o = snapshot(&["--nomad", &double.url(), "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let said = String::from_utf8_lossy(&o.stdout);
    assert!(said.contains("53 allocations, 17 jobs, 8 nodes"), "{said}");

    let list = read(&out, "v1/allocations");
    assert_eq!(list.len(), 53);
    assert!(list.iter().all(|a| a.shape() == allocscope_model::Shape::Stub));
    for stub in &list {
        let full = read(&out, &paths::allocation(&stub.id));
        assert_eq!(full[0].id, stub.id);
        assert_eq!(full[0].shape(), allocscope_model::Shape::Full);
        // The same allocation as the demo the double serves.
        let original = read(&demo(), &paths::allocation(&stub.id));
        assert_eq!(full[0], original[0], "{}", stub.id);
    }
    let job = read(&out, "v1/job/checkout-api/allocations");
    assert_eq!(job.len(), 5);
    assert!(job.iter().all(|a| a.job_id == "checkout-api"));
    let lineage = allocscope_model::lineage(&job, "211a8252-a89f-2b2b-a5af-d530920bcc3a").unwrap();
    assert_eq!(lineage.attempts.len(), 4, "the job list still carries the chain's links");
    let node_lists: usize = std::fs::read_dir(out.join("v1/node")).unwrap().count();
    assert_eq!(node_lists, 8);
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn token_namespace_and_job_scopes() {
    let mut opts = Options::new(demo(), "127.0.0.1:0");
    opts.token = Some("snap-secret".into());
    let double = DoubleServer::start(opts).unwrap();
    let out = scratch("token");
    // Without the token: Nomad's 403, named, exit 1.
    let o = snapshot(&["--nomad", &double.url(), "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("403 Permission denied"), "{err}");
    assert!(!err.contains("snap-secret"));

    let token = scratch("token-file");
    std::fs::write(&token, "snap-secret\n").unwrap();
    let o = snapshot(&[
        "--nomad",
        &double.url(),
        "--out",
        out.to_str().unwrap(),
        "--token-file",
        token.to_str().unwrap(),
        "--namespace",
        "payments",
        "--job",
        "checkout-api",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(read(&out, "v1/allocations").len(), 5);
    assert!(!String::from_utf8_lossy(&o.stdout).contains("snap-secret"));

    let o = snapshot(&["--nomad", &double.url(), "--out", out.to_str().unwrap(), "--job", "x"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--job needs --namespace"));
    let _ = std::fs::remove_dir_all(&out);
    let _ = std::fs::remove_file(&token);
}

#[test]
fn an_unreachable_agent_is_named() {
    let out = scratch("down");
    let o = snapshot(&["--nomad", "http://127.0.0.1:9", "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("GET http://127.0.0.1:9/v1/allocations"), "{err}");
}

// `--from-bundle`: the fixtures of crates/model/tests/fixtures/bundles (scripts/gen_bundle.py).

fn bundle_fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../model/tests/fixtures/bundles").join(name)
}

/// `allocscope snapshot --from-bundle BUNDLE [--capture N] --out OUT`.
fn from_bundle(bundle: &Path, out: &Path, capture: Option<&str>) -> Output {
    let mut args = vec!["--from-bundle", bundle.to_str().unwrap()];
    if let Some(n) = capture {
        args.extend(["--capture", n]);
    }
    args.extend(["--out", out.to_str().unwrap()]);
    snapshot(&args)
}

/// The capture's allocation IDs, read with the model directly.
fn capture_ids(name: &str, interval: u32) -> Vec<String> {
    use std::io::Read;
    let gz = std::fs::read(bundle_fixture(name)).unwrap();
    let mut tar = Vec::new();
    flate2::read::GzDecoder::new(gz.as_slice()).read_to_end(&mut tar).unwrap();
    let b = allocscope_model::read_bundle(&tar, DecodeOptions::STRICT).unwrap();
    ids_of(b.capture(interval).unwrap().allocations().unwrap())
}

fn ids_of(list: &[allocscope_model::Allocation]) -> Vec<String> {
    let mut ids: Vec<String> = list.iter().map(|a| a.id.clone()).collect();
    ids.sort();
    ids
}

#[test]
fn from_bundle_writes_the_newest_capture_with_the_event_stream_merged() {
    let out = scratch("bundle-newest");
    let bundle = bundle_fixture("nomad-debug-ndjson.tar.gz");
    let o = from_bundle(&bundle, &out, None);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let said = String::from_utf8_lossy(&o.stdout);
    assert!(said.contains("2 captures found"), "{said}");
    assert!(said.contains("interval/0001/allocations.json"), "{said}");
    assert!(said.contains("54 allocations"), "{said}");
    assert!(said.contains("4 task events merged from 5 allocation events"), "{said}");
    assert_eq!(said.lines().count(), 1, "{said}");

    let list = read(&out, "v1/allocations");
    assert_eq!(ids_of(&list), capture_ids("nomad-debug-ndjson.tar.gz", 1));
    assert!(list.iter().all(|a| a.shape() == allocscope_model::Shape::Stub));
    let long = read(&out, &paths::allocation("211a8252-a89f-2b2b-a5af-d530920bcc3a"));
    assert_eq!(long[0].task_states["api"].events.len(), 14, "past the 10-event cap");
    assert_eq!(long[0].shape(), allocscope_model::Shape::Partial, "the stream's full copy, without Job");
    let replacement = read(&out, &paths::allocation("7f3c2a91-5d4e-4b8a-9c1f-2e6d8b0a4c57"));
    assert_eq!(replacement[0].previous_allocation[..8], *"c923c518");
    for stub in &list {
        assert!(out.join(paths::allocation(&stub.id)).is_file(), "{}", stub.id);
    }
    let job = read(&out, "v1/job/search-indexer/allocations");
    assert!(job.iter().any(|a| a.id.starts_with("7f3c2a91")));
    let per_node: usize = std::fs::read_dir(out.join("v1/node"))
        .unwrap()
        .map(|d| {
            read(&out, &format!("v1/node/{}/allocations", d.unwrap().file_name().to_str().unwrap())).len()
        })
        .sum();
    assert_eq!(per_node, list.iter().filter(|a| !a.node_id.is_empty()).count());
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn from_bundle_capture_picks_an_interval() {
    let out = scratch("bundle-capture0");
    let bundle = bundle_fixture("nomad-debug-ndjson.tar.gz");
    let o = from_bundle(&bundle, &out, Some("0"));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let list = read(&out, "v1/allocations");
    assert_eq!(ids_of(&list), capture_ids("nomad-debug-ndjson.tar.gz", 0));
    assert_eq!(list.len(), 53, "the replacement placed later is not added to capture 0000");
    // The state at capture 0000's time, as the app shows it: the OOM kill streamed after
    // that capture is not in it, neither in the list nor in the allocation's own file.
    let oom = list.iter().find(|a| a.id.starts_with("c923c518")).expect("c923c518 in capture 0000");
    assert_eq!(oom.client_status.as_str(), "running");
    let own = read(&out, &format!("v1/allocation/{}", oom.id));
    assert_eq!(own[0].client_status.as_str(), "running");
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn from_bundle_skips_a_failed_capture_and_names_it_when_asked_for() {
    let bundle = bundle_fixture("nomad-debug-error.tar.gz");
    let out = scratch("bundle-error");
    let o = from_bundle(&bundle, &out, None);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let said = String::from_utf8_lossy(&o.stdout);
    assert!(said.contains("2 captures found, 1 failed"), "{said}");
    assert!(said.contains("interval/0001/allocations.json"), "{said}");
    assert_eq!(read(&out, "v1/allocations").len(), 53);

    let o = from_bundle(&bundle, &out, Some("0"));
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("capture 0000 cannot be used"), "{err}");
    assert!(err.contains("interval/0000/allocations.json"), "{err}");
    assert!(err.contains("403 (Permission denied)"), "{err}");

    let o = from_bundle(&bundle, &out, Some("7"));
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no capture 0007; the bundle has 0000, 0001"));
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn from_bundle_refuses_what_is_not_a_bundle_with_a_clear_message() {
    let out = scratch("bundle-bad");
    let not_bundle = bundle_fixture("not-a-bundle.tar.gz");
    let o = from_bundle(&not_bundle, &out, None);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("not-a-bundle.tar.gz"), "{err}");
    assert!(err.contains("no allocations capture"), "{err}");
    assert!(!out.exists(), "nothing is written");

    let garbage = std::env::temp_dir().join(format!("allocscope-garbage-{}.tar.gz", std::process::id()));
    std::fs::write(&garbage, b"<html>not found</html>").unwrap();
    let o = from_bundle(&garbage, &out, None);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("not a tar archive"), "{err}");
    assert!(err.contains(garbage.to_str().unwrap()), "{err}");

    // A .tar.gz cut off in the middle.
    let gz = std::fs::read(bundle_fixture("nomad-debug-ndjson.tar.gz")).unwrap();
    std::fs::write(&garbage, &gz[..gz.len() / 2]).unwrap();
    let o = from_bundle(&garbage, &out, None);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("copy it again"), "{err}");
    let _ = std::fs::remove_file(&garbage);

    let o = from_bundle(Path::new("/nonexistent/bundle.tar.gz"), &out, None);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("cannot read /nonexistent/bundle.tar.gz"));
}

#[test]
fn from_bundle_and_nomad_are_exclusive() {
    let bundle = bundle_fixture("nomad-debug-ndjson.tar.gz");
    let o =
        snapshot(&["--from-bundle", bundle.to_str().unwrap(), "--nomad", "http://127.0.0.1:1", "--out", "x"]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("cannot be used with"));
    let o = snapshot(&["--out", "x"]);
    assert!(!o.status.success());
    let o = snapshot(&["--nomad", "http://127.0.0.1:1", "--capture", "1", "--out", "x"]);
    assert!(!o.status.success(), "--capture needs --from-bundle");
}
