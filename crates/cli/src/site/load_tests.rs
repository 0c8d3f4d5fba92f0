//! Tests of what is served at all (paths, loading, errors) and of computing each coded
//! form once. The fake site is the one of `tests.rs`.

use super::tests::{fake_wasm, loaded, noise, wait_until_coded, FakeDist};
use super::*;
use std::time::Instant;

#[test]
fn site_is_send_and_sync() {
    fn shared<T: Send + Sync>() {}
    shared::<Site>();
    shared::<Arc<Site>>();
}

#[test]
fn paths_name_files_of_the_site_only() {
    let outside = FakeDist::new("outside", &[("secret.txt", b"secret".to_vec())]);
    let dist = FakeDist::standard("paths");
    #[cfg(unix)]
    std::os::unix::fs::symlink(outside.0.join("secret.txt"), dist.0.join("link.txt")).unwrap();
    let site = Site::load(Some(&dist.0)).unwrap();
    let body = |url: &str| site.answer(false, url, None, None).body;
    let index = body("/index.html");
    assert!(index.starts_with(b"<!DOCTYPE html>"));
    assert_eq!(body("/"), index);
    assert_eq!(body("/?x=1"), index);
    assert_eq!(body("/index.html?x=1#top"), index);
    assert_eq!(body("/sub/"), dist.read("sub/index.html"));
    assert_eq!(body("/sub"), dist.read("sub/index.html"));
    assert_eq!(body("/./sub//index.html"), dist.read("sub/index.html"));
    assert_eq!(body("/sub/a%20b.js"), dist.read("sub/a b.js"));
    for url in [
        "/../index.html",
        "/sub/../index.html",
        "/%2e%2e/index.html",
        "/%2E%2E/%2e%2e/etc/passwd",
        "/sub/..%5c..%5cindex.html",
        "/sub%5cindex.html",
        "/C:/Windows/win.ini",
        "/c%3a/index.html",
        "/index.html%00",
        "/%zz",
        "/%e2%28",
        "index.html",
        "*",
        "/missing",
        "/demo/",
        "/.hidden",
        "/link.txt",
        "/secret.txt",
    ] {
        let a = site.answer(false, url, None, None);
        assert_eq!(a.status, 404, "{url}");
        assert_eq!(a.body, "Not found", "{url}");
        assert_eq!(a.header("Content-Type"), Some("text/plain; charset=utf-8"), "{url}");
        assert_eq!(a.header("X-Content-Type-Options"), Some("nosniff"), "{url}");
    }
}

#[test]
fn small_incompressible_and_binary_files_are_sent_as_they_are() {
    let dist = FakeDist::standard("uncoded");
    let site = loaded(&dist);
    let br = Some("br, gzip");
    // Under 1 KB: not worth coding; the answer does not vary.
    let svg = site.answer(false, "/favicon.svg", br, None);
    assert_eq!((svg.header("Content-Encoding"), svg.header("Vary")), (None, None));
    assert_eq!(svg.header("Content-Type"), Some("image/svg+xml"));
    // Random bytes: coded forms are tried and are not smaller, so the file goes as it is.
    let txt = site.answer(false, "/noise.txt", br, None);
    assert_eq!(txt.header("Content-Encoding"), None);
    assert_eq!(txt.body, dist.read("noise.txt"));
    // An image: never coded.
    let png = site.answer(false, "/logo.png", br, None);
    assert_eq!((png.header("Content-Encoding"), png.header("Vary")), (None, None));
    assert_eq!(png.header("Content-Type"), Some("image/png"));
}

#[test]
fn each_coded_form_is_computed_once() {
    let dist = FakeDist::standard("once");
    let site = Arc::new(Site::load(Some(&dist.0)).unwrap());
    let urls =
        ["/allocscope-app_bg.wasm", "/allocscope-app.js", "/app.css", "/boot.js", "/demo/v1/allocations"];
    let threads: Vec<_> = (0..6)
        .map(|t| {
            let site = Arc::clone(&site);
            std::thread::spawn(move || {
                for round in 0..5 {
                    for url in urls {
                        let accept = if (t + round) % 2 == 0 { "br" } else { "gzip" };
                        assert_eq!(site.answer(false, url, Some(accept), None).status, 200);
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    wait_until_coded(&site);
    let bodies = &site.inner.bodies;
    for body in bodies {
        for coded in &body.coded {
            let runs = coded.runs.load(Ordering::SeqCst);
            assert_eq!(
                runs,
                usize::from(body.codable()),
                "{} ({} bytes)",
                body.content_type,
                body.data.len()
            );
        }
    }
}

#[test]
fn a_form_computed_elsewhere_is_not_waited_for() {
    let files = vec![
        ("index.html".to_owned(), Bytes::from_static(b"<p>x</p>")),
        ("small.js".to_owned(), Bytes::from("let x = 1;\n".repeat(500))),
        ("big.wasm".to_owned(), Bytes::from(fake_wasm(INLINE_LIMIT + 1, 5))),
    ];
    let site = Site::build(SiteSource::Dir("fake".into()), files, false);
    let small = &site.inner.bodies[1];
    // Brotli of small.js is being computed by someone else: gzip is served meanwhile.
    small.coded(Coding::Br).claim_for_test();
    let a = site.answer(false, "/small.js", Some("br, gzip"), None);
    assert_eq!(a.header("Content-Encoding"), Some("gzip"));
    assert_eq!(small.coded(Coding::Br).runs.load(Ordering::SeqCst), 0);
    // A big file is left to the background thread, while there is one.
    site.inner.background.store(true, Ordering::SeqCst);
    let a = site.answer(false, "/big.wasm", Some("br, gzip"), None);
    assert_eq!(a.header("Content-Encoding"), None);
    assert_eq!(a.header("Vary"), Some("Accept-Encoding"));
    let big = &site.inner.bodies[2];
    assert!(big.coded.iter().all(|c| c.runs.load(Ordering::SeqCst) == 0));
    // Without one, the first request computes it.
    site.inner.background.store(false, Ordering::SeqCst);
    let a = site.answer(false, "/big.wasm", Some("br, gzip"), None);
    assert_eq!(a.header("Content-Encoding"), Some("br"));
}

#[test]
fn load_errors_say_what_to_do() {
    let empty = FakeDist::new("empty", &[("readme.txt", b"no site".to_vec())]);
    let err = Site::load(Some(&empty.0)).err().unwrap().to_string();
    assert!(err.contains("index.html not found: build the site first with trunk build --release"), "{err}");
    assert!(err.contains(&empty.0.join("index.html").display().to_string()), "{err}");
    let err = Site::from_embedded(&[], false).err().unwrap().to_string();
    assert!(err.contains("built without the site"), "{err}");
    assert!(err.contains("trunk build --release") && err.contains("--dist DIR"), "{err}");
    // A table without index.html is no site either.
    static NO_INDEX: [(&str, &[u8]); 1] = [("boot.js", b"x")];
    assert!(matches!(Site::from_embedded(&NO_INDEX, false), Err(SiteError::NotEmbedded)));
}

#[test]
fn embedded_and_folder_sites_describe_themselves() {
    static TABLE: [(&str, &[u8]); 2] = [("index.html", b"<p>embedded</p>"), ("demo/v1/jobs", b"[]")];
    let site = Site::from_embedded(&TABLE, false).unwrap();
    assert_eq!(site.source(), &SiteSource::Embedded);
    assert_eq!(site.describe(), "the site built into this binary (2 files, 17 bytes)");
    assert_eq!(site.answer(false, "/", None, None).body, "<p>embedded</p>");
    assert_eq!(
        site.answer(false, "/demo/v1/jobs", None, None).header("Content-Type"),
        Some("application/json")
    );

    let dist =
        FakeDist::new("describe", &[("index.html", vec![b'x'; 1500]), ("big.bin", noise(1_500_000, 2))]);
    let site = Site::load(Some(&dist.0)).unwrap();
    assert_eq!(site.source(), &SiteSource::Dir(dist.0.clone()));
    assert_eq!(site.describe(), format!("the site in {} (2 files, 1.5 MB)", dist.0.display()));
    // Whatever build.rs embedded (or not) loads or says why not; it must not panic.
    match Site::from_embedded(files::embedded(), false) {
        Ok(site) => assert!(site.describe().starts_with("the site built into this binary")),
        Err(e) => assert!(matches!(e, SiteError::NotEmbedded), "{e}"),
    }
}

/// What build.rs embedded is the folder it names, file for file (when the binary was built
/// with a site: `ALLOCSCOPE_SITE_DIR` or a dist/ at the workspace root).
#[test]
fn the_embedded_site_is_the_folder_it_came_from() {
    let (table, from) = (files::embedded(), files::embedded_from());
    if table.is_empty() {
        assert_eq!(from, "");
        return;
    }
    let on_disk = files::read_dir(Path::new(from)).unwrap();
    let names: Vec<&str> = table.iter().map(|(n, _)| *n).collect();
    let disk_names: Vec<&str> = on_disk.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, disk_names, "rebuild to re-embed {from}");
    for ((name, data), (_, disk)) in table.iter().zip(&on_disk) {
        assert!(*data == &disk[..], "{name} differs from {from}/{name}");
    }
}

#[test]
fn content_types() {
    assert_eq!(content_type(Path::new("a/allocscope_bg.wasm")), "application/wasm");
    assert_eq!(content_type(Path::new("demo/v1/allocations")), "application/json");
    assert_eq!(content_type(Path::new("app.CSS")), "text/css; charset=utf-8");
    assert_eq!(content_type(Path::new("x.ndjson")), "application/x-ndjson");
    assert_eq!(content_type(Path::new("x.weird")), "application/octet-stream");
}

/// Prints how long each coding takes on a file: `ALLOCSCOPE_CODING_SAMPLE=app_bg.wasm cargo
/// test -p allocscope-cli --bin allocscope -- --ignored --nocapture coding_time` (a debug
/// build is slow at brotli unless the profile overrides of the report are in place).
#[test]
#[ignore = "a measurement, not a check"]
fn coding_time() {
    let sample = std::env::var_os("ALLOCSCOPE_CODING_SAMPLE").map(PathBuf::from);
    let data = sample.map(|p| std::fs::read(p).unwrap()).unwrap_or_else(|| fake_wasm(1 << 20, 9));
    let t = Instant::now();
    let tag = hashed::short_hash(&data);
    eprintln!("{} bytes; sha-256 {tag} in {:.2} s", data.len(), t.elapsed().as_secs_f64());
    for coding in [Coding::Gzip, Coding::Br] {
        let t = Instant::now();
        let out = coding.encode(&data).unwrap();
        eprintln!("{}: {} bytes in {:.2} s", coding.token(), out.len(), t.elapsed().as_secs_f64());
    }
}
