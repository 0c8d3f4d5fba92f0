//! Tests against a fake dist/ in a folder under target/, checked with data the tests make
//! themselves: bytes read back from disk, decoders, and SHA-256 computed here.

use super::*;
use sha2::{Digest, Sha256};
use std::io::Read;

/// The real loader scripts, so a change in how they import the app is caught here.
const BOOT_JS: &str = include_str!("../../../../www/boot.js");
const ELEMENT_JS: &str = include_str!("../../../../www/allocscope-element.js");
const BR_GZIP: Option<&str> = Some("gzip, deflate, br");

/// A throw-away site folder under target/, removed when dropped.
pub(super) struct FakeDist(pub(super) PathBuf);

impl FakeDist {
    pub(super) fn new(name: &str, files: &[(&str, Vec<u8>)]) -> FakeDist {
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"));
        let dir = target.join("site-tests").join(format!("{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for (path, data) in files {
            let path = dir.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, data).unwrap();
        }
        FakeDist(dir)
    }

    /// The standard fake: what trunk writes, plus files for the edge cases.
    pub(super) fn standard(name: &str) -> FakeDist {
        FakeDist::new(
            name,
            &[
                ("index.html", INDEX_HTML.as_bytes().to_vec()),
                ("boot.js", BOOT_JS.as_bytes().to_vec()),
                ("allocscope-element.js", ELEMENT_JS.as_bytes().to_vec()),
                ("allocscope-app.js", fake_glue()),
                ("allocscope-app_bg.wasm", fake_wasm(40_000, 1)),
                ("app.css", ".row { display: flex; gap: 4px; }\n".repeat(100).into_bytes()),
                ("favicon.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>".to_vec()),
                (
                    "demo/v1/allocations",
                    format!("[{}]", r#"{"ID":"a","JobID":"web"},"#.repeat(200)).into_bytes(),
                ),
                ("sub/index.html", b"<p>sub</p>".to_vec()),
                ("sub/a b.js", b"x".to_vec()),
                ("noise.txt", noise(4096, 7)),
                ("logo.png", [b"\x89PNG\r\n\x1a\n".as_slice(), &vec![0u8; 4000]].concat()),
                (".hidden", b"secret".to_vec()),
            ],
        )
    }

    pub(super) fn read(&self, path: &str) -> Vec<u8> {
        std::fs::read(self.0.join(path)).unwrap()
    }
}

impl Drop for FakeDist {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Like trunk's output with `inject_scripts = false`, plus a preload link as a hand-made page
/// may hold.
const INDEX_HTML: &str = r#"<!DOCTYPE html><html><head><link rel="stylesheet" href="./app.css">
<link rel="modulepreload" href="./allocscope-app.js"><script type="module" src="boot.js"></script>
</head><body></body></html>"#;

fn fake_glue() -> Vec<u8> {
    (0..400)
        .map(|i| format!("export function f{i}(a, b) {{ return wasm.__wbg_f{i}(a, b); }}\n"))
        .collect::<String>()
        .into_bytes()
}

/// Bytes that compress somewhat, as code does: runs of a small alphabet and repeats.
pub(super) fn fake_wasm(len: usize, seed: u64) -> Vec<u8> {
    let mut rng = Rng(seed);
    let mut out = b"\0asm\x01\0\0\0".to_vec();
    while out.len() < len {
        if out.len() > 64 && rng.next() % 2 == 0 {
            let start = (rng.next() as usize) % (out.len() - 32);
            out.extend_from_within(start..start + 32);
        } else {
            out.extend((0..8).map(|_| (rng.next() % 48) as u8));
        }
    }
    out.truncate(len);
    out
}

pub(super) fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut rng = Rng(seed);
    (0..len).map(|_| rng.next() as u8).collect()
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn sha_prefix(data: &[u8]) -> String {
    Sha256::digest(data).iter().take(8).map(|b| format!("{b:02x}")).collect()
}

/// The site in `dist`, once its background thread has computed every coded form: a request
/// meanwhile may be answered with another form, by design, which would make tests flaky.
pub(super) fn loaded(dist: &FakeDist) -> Site {
    let site = Site::load(Some(&dist.0)).unwrap();
    wait_until_coded(&site);
    site
}

/// Waits until every coded form of `site` is computed.
pub(super) fn wait_until_coded(site: &Site) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while !site.inner.bodies.iter().filter(|b| b.codable()).all(|b| b.coded.iter().all(Coded::is_done)) {
        assert!(std::time::Instant::now() < deadline, "the background thread did not finish");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

fn get(site: &Site, url: &str, accept: Option<&str>) -> SiteAnswer {
    site.answer(false, url, accept, None)
}

fn unbrotli(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    brotli::Decompressor::new(data, 4096).read_to_end(&mut out).unwrap();
    out
}

fn gunzip(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(data).read_to_end(&mut out).unwrap();
    out
}

#[test]
fn coded_forms_decode_to_the_file_bytes() {
    let dist = FakeDist::standard("decode");
    let site = loaded(&dist);
    for path in ["allocscope-app.js", "allocscope-app_bg.wasm", "app.css", "demo/v1/allocations"] {
        let file = dist.read(path);
        let url = format!("/{path}");
        let br = get(&site, &url, Some("br"));
        assert_eq!(br.header("Content-Encoding"), Some("br"), "{path}");
        assert!(br.body.len() < file.len(), "{path}");
        assert_eq!(unbrotli(&br.body), file, "{path}");
        assert!(br.header("ETag").unwrap().ends_with("-br\""), "{path}");
        let gz = get(&site, &url, Some("gzip"));
        assert_eq!(gz.header("Content-Encoding"), Some("gzip"), "{path}");
        assert_eq!(gunzip(&gz.body), file, "{path}");
        assert!(gz.header("ETag").unwrap().ends_with("-gz\""), "{path}");
        let plain = get(&site, &url, None);
        assert_eq!(plain.header("Content-Encoding"), None, "{path}");
        assert_eq!(plain.body, file, "{path}");
        for a in [&br, &gz, &plain] {
            assert_eq!(a.status, 200);
            assert_eq!(a.header("Content-Length"), Some(a.body.len().to_string().as_str()));
            assert_eq!(a.header("Vary"), Some("Accept-Encoding"));
            assert_eq!(a.header("X-Content-Type-Options"), Some("nosniff"));
        }
        // Three forms, three entity-tags.
        let tags = [&br, &gz, &plain].map(|a| a.header("ETag").unwrap().to_owned());
        assert!(tags[0] != tags[1] && tags[1] != tags[2] && tags[0] != tags[2], "{tags:?}");
    }
    assert_eq!(get(&site, "/app.css", None).header("Content-Type"), Some("text/css; charset=utf-8"));
    assert_eq!(get(&site, "/demo/v1/allocations", None).header("Content-Type"), Some("application/json"));
}

#[test]
fn accept_encoding_follows_q_values() {
    let dist = FakeDist::standard("accept");
    let site = loaded(&dist);
    let cases: &[(Option<&str>, Option<&str>)] = &[
        (None, None),
        (Some(""), None),
        (Some("identity"), None),
        (Some("gzip, deflate, br"), Some("br")),
        (Some("BR"), Some("br")),
        (Some("br;q=0, gzip"), Some("gzip")),
        (Some("br; q=0.000, gzip;q=0"), None),
        (Some("gzip;q=1, br;q=0.5"), Some("gzip")),
        (Some("gzip;q=0.5, br;q=0.5"), Some("br")),
        (Some("*"), Some("br")),
        (Some("*;q=0"), None),
        (Some("br;q=0, *"), Some("gzip")),
        (Some("gzip;q=0.4, *;q=0.9"), Some("br")),
        (Some("br;q=oops, x-gzip"), Some("gzip")),
        (Some("deflate, identity;q=0"), None),
    ];
    for (accept, want) in cases {
        let a = get(&site, "/app.css", *accept);
        assert_eq!(a.header("Content-Encoding"), *want, "Accept-Encoding: {accept:?}");
    }
}

#[test]
fn if_none_match_answers_304_for_the_served_tag() {
    let dist = FakeDist::standard("etag");
    let site = loaded(&dist);
    let first = get(&site, "/allocscope-app.js", BR_GZIP);
    let tag = first.header("ETag").unwrap().to_owned();
    let plain_tag = get(&site, "/allocscope-app.js", None).header("ETag").unwrap().to_owned();
    let weak = format!("W/{tag}");
    let listed = format!("\"0000\", W/\"x,y\", {tag}");
    for inm in [tag.as_str(), &weak, &listed, "*"] {
        for head in [false, true] {
            let a = site.answer(head, "/allocscope-app.js", BR_GZIP, Some(inm));
            assert_eq!(a.status, 304, "If-None-Match: {inm}");
            assert!(a.body.is_empty());
            assert_eq!(a.header("ETag"), Some(tag.as_str()));
            assert_eq!(a.header("Cache-Control"), Some("no-cache"));
            assert_eq!(a.header("Vary"), Some("Accept-Encoding"));
            assert_eq!(a.header("Content-Length"), None);
        }
    }
    // Another tag, the tag of another form, a malformed list: the whole answer.
    for inm in ["\"0000\"", plain_tag.as_str(), "\"unterminated", "nonsense"] {
        let a = site.answer(false, "/allocscope-app.js", BR_GZIP, Some(inm));
        assert_eq!(a.status, 200, "If-None-Match: {inm}");
        assert_eq!(a.body, first.body);
    }
    // The uncoded form's tag matches when uncoded is what is served.
    assert_eq!(site.answer(false, "/allocscope-app.js", None, Some(&plain_tag)).status, 304);
    // An entity-tag is the file's own hash, not something else that happens to be stable.
    let app = dist.read("allocscope-app.js");
    assert_eq!(plain_tag, format!("\"{}\"", sha_prefix(&app)));
}

#[test]
fn head_is_get_without_the_body() {
    let dist = FakeDist::standard("head");
    let site = loaded(&dist);
    for (url, accept) in
        [("/", None), ("/allocscope-app_bg.wasm", BR_GZIP), ("/favicon.svg", BR_GZIP), ("/nope", None)]
    {
        let g = site.answer(false, url, accept, None);
        let h = site.answer(true, url, accept, None);
        assert_eq!(g.status, h.status, "{url}");
        assert_eq!(g.headers, h.headers, "{url}");
        assert!(h.body.is_empty() && !g.body.is_empty(), "{url}");
        assert_eq!(h.header("Content-Length"), Some(g.body.len().to_string().as_str()), "{url}");
    }
}

#[test]
fn big_assets_are_served_under_their_content_hash_as_immutable() {
    let dist = FakeDist::standard("hashed");
    let site = loaded(&dist);
    // A known SHA-256 (FIPS 180-2, "abc"), so the hash is the real one.
    assert_eq!(hashed::short_hash(b"abc"), "ba7816bf8f01cfea");
    for (name, stem, ext) in [
        ("allocscope-app_bg.wasm", "allocscope-app_bg", "wasm"),
        ("allocscope-app.js", "allocscope-app", "js"),
    ] {
        let file = dist.read(name);
        let hashed_url = format!("/{stem}.{}.{ext}", sha_prefix(&file));
        for accept in [None, BR_GZIP] {
            let hashed = get(&site, &hashed_url, accept);
            let plain = get(&site, &format!("/{name}"), accept);
            assert_eq!(hashed.status, 200, "{hashed_url}");
            assert_eq!(hashed.body, plain.body, "{hashed_url}");
            assert_eq!(hashed.header("ETag"), plain.header("ETag"));
            assert_eq!(hashed.header("Content-Type"), plain.header("Content-Type"));
            assert_eq!(hashed.header("Cache-Control"), Some("public, max-age=31536000, immutable"));
            assert_eq!(plain.header("Cache-Control"), Some("no-cache"));
        }
        assert_eq!(get(&site, &hashed_url, None).body, file);
        assert_eq!(get(&site, &format!("/{stem}.0123456789abcdef.{ext}"), None).status, 404);
    }
}

#[test]
fn loaders_import_the_hashed_names() {
    let dist = FakeDist::standard("loaders");
    let site = loaded(&dist);
    let js = format!("allocscope-app.{}.js", sha_prefix(&dist.read("allocscope-app.js")));
    let wasm = format!("allocscope-app_bg.{}.wasm", sha_prefix(&dist.read("allocscope-app_bg.wasm")));
    for (url, original) in [("/boot.js", BOOT_JS), ("/allocscope-element.js", ELEMENT_JS)] {
        let a = get(&site, url, None);
        let text = std::str::from_utf8(&a.body).unwrap();
        let expected = original
            .replace("'./allocscope-app.js'", &format!("'./{js}'"))
            .replace("'./allocscope-app_bg.wasm'", &format!("'./{wasm}'"));
        assert_ne!(expected, original, "{url} no longer imports the app as './allocscope-app.js'");
        assert_eq!(text, expected, "{url}");
        assert!(text.contains(&format!("from './{js}'")), "{url}: {text}");
        assert_eq!(a.header("Cache-Control"), Some("no-cache"), "{url}");
        assert_eq!(a.header("ETag").unwrap(), format!("\"{}\"", sha_prefix(&a.body)), "{url}");
        // What the rewritten loader imports is there, and is the app itself.
        for (name, hashed_name) in [("allocscope-app.js", &js), ("allocscope-app_bg.wasm", &wasm)] {
            assert_eq!(get(&site, &format!("/{hashed_name}"), None).body, dist.read(name));
        }
    }
    let index = get(&site, "/", None);
    let index = std::str::from_utf8(&index.body).unwrap();
    assert!(index.contains(&format!("href=\"./{js}\"")), "{index}");
    assert!(index.contains("src=\"boot.js\""), "{index}");
    assert!(site.warnings().is_empty(), "{:?}", site.warnings());
}

#[test]
fn loaders_without_the_expected_references_are_served_unmodified() {
    let boot = b"import init from '/static/app.js';\nawait init();\n".to_vec();
    let dist = FakeDist::new(
        "unmatched",
        &[
            ("index.html", b"<script type=module src=boot.js></script>".to_vec()),
            ("boot.js", boot.clone()),
            ("allocscope-element.js", vec![0xff, 0xfe, b'x']),
            ("allocscope-app.js", fake_glue()),
            ("allocscope-app_bg.wasm", fake_wasm(5000, 3)),
        ],
    );
    let site = loaded(&dist);
    assert_eq!(get(&site, "/boot.js", None).body, boot);
    assert_eq!(get(&site, "/allocscope-element.js", None).body, vec![0xff, 0xfe, b'x']);
    assert_eq!(get(&site, "/index.html", None).body, dist.read("index.html"));
    let warnings = site.warnings().join("\n");
    assert!(warnings.contains("boot.js holds no reference to './allocscope-app.js'"), "{warnings}");
    assert!(warnings.contains("allocscope-element.js is not UTF-8"), "{warnings}");
    // The hashed names are served all the same.
    let hashed = format!("/allocscope-app_bg.{}.wasm", sha_prefix(&dist.read("allocscope-app_bg.wasm")));
    assert_eq!(get(&site, &hashed, None).status, 200);
}
