//! `allocscope decode` as a user runs it: real process, real files, exit codes and output.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn allocscope(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_allocscope")).args(args).output().expect("run allocscope")
}

fn model_fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../model/tests/fixtures").join(name).display().to_string()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("allocscope-cli-test-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn one_line_per_allocation() {
    let out = allocscope(&[
        "decode",
        &model_fixture("v1-list-stubs.json"),
        &model_fixture("v1-full-allocation.json"),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 5);
    assert_eq!(
        lines[0],
        "b1a0f9e8\tcheckout-api.api[0]\tfailed\tstop\tnomad-client-eu-1a-01\t1 tasks\t0 restarts\t3 events"
    );
    assert_eq!(
        lines[4],
        "d3a1c2b4\tcheckout-api.api[0]\trunning\trun\tnomad-client-eu-1a-03\t2 tasks\t1 restarts\t8 events"
    );
    assert!(text(&out.stderr).contains("4 allocations (JSON array)"));
}

#[test]
fn json_output_uses_nomads_field_names_and_decodes_again() {
    let out = allocscope(&["decode", "--json", &model_fixture("bundle-allocations.ndjson")]);
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let arr = v.as_array().unwrap();
    assert_eq!(arr.len(), 3);
    assert_eq!(arr[0]["ID"], "b1a0f9e8-7d6c-4b5a-4938-271605f4e3d2");
    assert_eq!(arr[0]["TaskStates"]["api"]["Events"][1]["Details"]["oom_killed"], "true");
    assert_eq!(arr[2]["CreateTime"], 1_763_974_800_123_456_789i64);
    // The output is itself valid input.
    let dir = scratch("json");
    let f = dir.join("out.json");
    std::fs::write(&f, &out.stdout).unwrap();
    let again = allocscope(&["decode", f.to_str().unwrap()]);
    assert!(again.status.success());
    assert_eq!(text(&again.stdout).lines().count(), 3);
}

#[test]
fn bad_input_is_one_line_and_exit_1() {
    let dir = scratch("bad");
    let cases = [
        ("trunc.json", &b"[{\"ID\": \"a\", \"TaskGroup\": \"g\""[..], "EOF"),
        ("type.json", b"[{\"ID\": \"a\", \"TaskGroup\": \"g\", \"ClientStatus\": 5}]", "$[0].ClientStatus"),
        ("garbage.bin", b"\x00\x01\x02\xff", "line 1, column 1"),
        ("empty.json", b"", "empty"),
        ("error.json", b"{\"Error\": \"No cluster leader\"}", "No cluster leader"),
    ];
    for (name, bytes, needle) in cases {
        let f = dir.join(name);
        std::fs::write(&f, bytes).unwrap();
        let out = allocscope(&["decode", f.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(1), "{name}");
        let err = text(&out.stderr);
        assert_eq!(err.lines().count(), 1, "{name}: {err}");
        assert!(err.starts_with(&f.display().to_string()), "{name}: names the file: {err}");
        assert!(err.contains(needle), "{name}: {err}");
        assert!(!err.contains("panicked") && !err.contains("RUST_BACKTRACE"), "{name}: {err}");
    }
    let out = allocscope(&["decode", "/nonexistent/allocs.json"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("cannot read the file"));
}

#[test]
fn a_field_of_another_type_outside_identity_decodes_with_a_warning_that_says_where() {
    let dir = scratch("newer");
    let f = dir.join("newer.json");
    std::fs::write(&f, b"[{\"ID\": \"a1\", \"TaskGroup\": \"g\", \"CreateTime\": \"soon\"}]").unwrap();
    let out = allocscope(&["decode", f.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(text(&out.stdout).lines().count(), 1);
    let err = text(&out.stderr);
    let warning = err.lines().find(|l| l.contains("warning")).unwrap_or_else(|| panic!("no warning: {err}"));
    assert!(warning.contains("$[0].CreateTime") && warning.contains("a string"), "{warning}");
}

#[test]
fn good_files_still_decode_when_one_fails() {
    let dir = scratch("mixed");
    let bad = dir.join("bad.json");
    std::fs::write(&bad, "{").unwrap();
    let out = allocscope(&["decode", bad.to_str().unwrap(), &model_fixture("v1-full-allocation.json")]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stdout).lines().count(), 1);
}

#[test]
fn lenient_mode_prints_each_repair() {
    let f = model_fixture("hand-edited.json.txt");
    let strict = allocscope(&["decode", &f]);
    assert_eq!(strict.status.code(), Some(1));
    assert!(text(&strict.stderr).contains("line 16, column 8, at $.RescheduleTracker.Events: trailing comma"));
    let lenient = allocscope(&["decode", "--lenient", &f]);
    assert!(lenient.status.success());
    let err = text(&lenient.stderr);
    assert_eq!(err.matches(": warning: ").count(), 6, "{err}");
    assert!(err.contains("duplicate key `PreviousAllocation`"));
    assert!(err.contains("1 allocation (single allocation, 6 repairs)"));
}

/// The JSON blocks after each "Sample Response" heading of the seed page (Nomad's
/// allocations API docs as text).
fn seed_samples(seed: &str) -> Vec<String> {
    let lines: Vec<&str> = seed.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if lines[i].trim() == "Sample Response" {
            let start = i + 1;
            let mut depth: i64 = 0;
            let mut j = start;
            while j < lines.len() {
                let mut in_str = false;
                let mut esc = false;
                for c in lines[j].chars() {
                    match (in_str, esc, c) {
                        (true, true, _) => esc = false,
                        (true, false, '\\') => esc = true,
                        (true, false, '"') => in_str = false,
                        (false, _, '"') => in_str = true,
                        (false, _, '[' | '{') => depth += 1,
                        (false, _, ']' | '}') => depth -= 1,
                        _ => {}
                    }
                }
                j += 1;
                if depth <= 0 {
                    break;
                }
            }
            out.push(lines[start..j].join("\n"));
            i = j;
        } else {
            i += 1;
        }
    }
    out
}

#[test]
fn seed_samples_need_lenient_mode() {
    let seed_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/seed");
    let Ok(entries) = std::fs::read_dir(&seed_dir) else {
        println!("../shared/seed is absent: skipped");
        return;
    };
    let dir = scratch("seed");
    let mut files = Vec::new();
    for entry in entries {
        let seed = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        for (n, sample) in seed_samples(&seed).into_iter().enumerate() {
            let f = dir.join(format!("sample-{n}.json"));
            std::fs::write(&f, sample).unwrap();
            files.push(f.display().to_string());
        }
    }
    assert_eq!(files.len(), 2, "the seed has a list and a read sample");
    let mut args = vec!["decode", "--lenient"];
    args.extend(files.iter().map(String::as_str));
    let ok = allocscope(&args);
    assert!(ok.status.success(), "{}", text(&ok.stderr));
    assert_eq!(text(&ok.stdout).lines().count(), 2);
    assert!(text(&ok.stdout).contains("a8198d79\texample.cache[0]\trunning\trun"));
    for f in &files {
        let strict = allocscope(&["decode", f]);
        assert_eq!(strict.status.code(), Some(1));
        let err = text(&strict.stderr);
        assert!(err.contains(": trailing comma ("), "the message itself names the trailing comma: {err}");
        assert!(err.contains("lenient"), "{err}");
        println!("{}", err.trim());
    }
}
