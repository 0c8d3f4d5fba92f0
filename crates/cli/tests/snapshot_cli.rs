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
