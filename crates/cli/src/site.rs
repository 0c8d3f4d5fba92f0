//! The web app that `allocscope serve` serves: the `dist/` folder that `trunk build
//! --release` writes, held in memory, answered with compression and cache validators.
//!
//! Pure and synchronous (no server types): the server calls [`Site::answer`] for each
//! `GET`/`HEAD` outside `/v1/` and writes out the [`SiteAnswer`].
//!
//! - The site is the one built into the binary (build.rs embeds `dist/`) or a folder named
//!   with `--dist`, read fully at start; requests never touch the disk.
//! - brotli and gzip forms are computed once per file, in a background thread started by
//!   [`Site::load`] (largest files first) or by the first request for a small file. A
//!   request never waits for a form another thread is computing: it is answered with the
//!   next acceptable form that is ready, or uncompressed.
//! - Every form has a strong entity-tag; `If-None-Match` is answered with 304.
//! - `allocscope-app.js` and `allocscope-app_bg.wasm` are served also under content-hashed
//!   names, cacheable for a year, and boot.js, allocscope-element.js and index.html are
//!   served rewritten to load those names. Those three keep their stable URLs (portals
//!   include `/allocscope-element.js` by URL) and are revalidated on every use.

mod encoding;
mod files;
mod hashed;
#[cfg(test)]
mod load_tests;
#[cfg(test)]
mod tests;

use bytes::Bytes;
use encoding::{Coded, Coding};
use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};

pub use files::content_type;

/// Files smaller than this are sent as they are: coding them saves next to nothing.
const MIN_COMPRESS: usize = 1024;
/// A request computes a missing coded form itself only for a file up to this size; larger
/// ones are left to the background thread (the visitor gets another form meanwhile).
const INLINE_LIMIT: usize = 128 * 1024;
const NO_CACHE: &str = "no-cache";
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// Where the site came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SiteSource {
    /// Built into this binary by build.rs.
    Embedded,
    /// Read from this folder (as given with `--dist`) at start.
    Dir(PathBuf),
}

#[derive(Debug)]
pub enum SiteError {
    /// The binary was built without a site and no `--dist` was given.
    NotEmbedded,
    /// The folder holds no index.html.
    NoIndex(PathBuf),
    /// A file or folder of the site could not be read.
    Read(PathBuf, std::io::Error),
}

impl fmt::Display for SiteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SiteError::NotEmbedded => write!(
                f,
                "this binary was built without the site: run trunk build --release before building \
                 the CLI (cargo build then embeds dist/, or the folder named by ALLOCSCOPE_SITE_DIR), \
                 or pass --dist DIR with the folder trunk build --release wrote"
            ),
            SiteError::NoIndex(dir) => write!(
                f,
                "{} not found: build the site first with trunk build --release, or pass --dist \
                 with the folder it wrote",
                dir.join("index.html").display()
            ),
            SiteError::Read(path, e) => write!(f, "cannot read the site file {}: {e}", path.display()),
        }
    }
}

impl std::error::Error for SiteError {}

/// What to send for one request. `body` is empty for `HEAD` and 304; a `HEAD` answer keeps
/// the `Content-Length` of the `GET` answer. The headers are complete: the server adds only
/// its own (`Date`, `Connection`, …).
#[derive(Debug)]
pub struct SiteAnswer {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: Bytes,
}

impl SiteAnswer {
    /// The value of the header `name` (compared ignoring case), if the answer has it.
    #[cfg(test)]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// The site, in memory. `Send + Sync`: share one behind an `Arc`.
pub struct Site {
    source: SiteSource,
    inner: Arc<Inner>,
    files: usize,
    bytes: u64,
    warnings: Vec<String>,
}

struct Inner {
    bodies: Vec<Body>,
    /// Site-relative path (hashed names included) to what it serves.
    routes: HashMap<String, Route>,
    /// Whether a background thread computes the coded forms.
    background: AtomicBool,
}

#[derive(Clone, Copy)]
struct Route {
    body: usize,
    immutable: bool,
}

/// One file's contents, as served, and its coded forms.
struct Body {
    content_type: &'static str,
    data: Bytes,
    /// Short SHA-256 of `data`: the entity-tag of the uncoded form, and the stem of the
    /// coded forms' tags.
    tag: String,
    coded: [Coded; 2],
}

impl Body {
    fn new(name: &str, data: Bytes) -> Body {
        let tag = hashed::short_hash(&data);
        Body { content_type: content_type(Path::new(name)), data, tag, coded: Default::default() }
    }

    /// Whether coded forms are offered for this file at all (and answers vary by them).
    fn codable(&self) -> bool {
        self.data.len() >= MIN_COMPRESS && files::compressible(self.content_type)
    }

    fn coded(&self, coding: Coding) -> &Coded {
        &self.coded[coding as usize]
    }
}

impl Site {
    /// The site built into this binary (`dist: None`), or the folder given with `--dist`,
    /// read fully into memory now. Starts the thread that computes the compressed forms.
    pub fn load(dist: Option<&Path>) -> Result<Site, SiteError> {
        match dist {
            None => Site::from_embedded(files::embedded(), true),
            Some(dir) => {
                let files = files::read_dir(dir)?;
                Ok(Site::build(SiteSource::Dir(dir.to_path_buf()), files, true))
            }
        }
    }

    fn from_embedded(
        table: &'static [(&'static str, &'static [u8])],
        background: bool,
    ) -> Result<Site, SiteError> {
        if !table.iter().any(|(name, _)| *name == "index.html") {
            return Err(SiteError::NotEmbedded);
        }
        let files = table.iter().map(|(name, data)| ((*name).to_owned(), Bytes::from_static(data))).collect();
        Ok(Site::build(SiteSource::Embedded, files, background))
    }

    fn build(source: SiteSource, mut files: Vec<(String, Bytes)>, background: bool) -> Site {
        let count = files.len();
        let bytes = files.iter().map(|(_, d)| d.len() as u64).sum();
        let mut warnings = Vec::new();
        let position = |files: &[(String, Bytes)], name: &str| files.iter().position(|(n, _)| n == name);

        let mut renames: Vec<(&str, String, usize)> = Vec::new();
        for asset in hashed::ASSETS {
            if let Some(i) = position(&files, asset) {
                renames.push((asset, hashed::hashed_name(asset, &hashed::short_hash(&files[i].1)), i));
            }
        }
        let pairs: Vec<(&str, &str)> = renames.iter().map(|(old, new, _)| (*old, new.as_str())).collect();
        for (referrer, expected) in hashed::REFERRERS.into_iter().filter(|_| !pairs.is_empty()) {
            let Some(i) = position(&files, referrer) else { continue };
            let Ok(text) = std::str::from_utf8(&files[i].1) else {
                warnings.push(format!("{referrer} is not UTF-8 text; served as it is"));
                continue;
            };
            let (rewritten, found) = hashed::rewrite(text, &pairs);
            for ((old, _), found) in pairs.iter().zip(found) {
                if expected && !found {
                    warnings.push(format!(
                        "{referrer} holds no reference to './{old}'; it loads the unhashed name"
                    ));
                }
            }
            if rewritten != text {
                files[i].1 = Bytes::from(rewritten);
            }
        }

        let mut routes = HashMap::with_capacity(files.len() + renames.len());
        let mut bodies = Vec::with_capacity(files.len());
        for (i, (name, data)) in files.into_iter().enumerate() {
            bodies.push(Body::new(&name, data));
            routes.insert(name, Route { body: i, immutable: false });
        }
        for (_, hashed_name, i) in renames {
            // A file of that very name in the folder wins over the alias.
            routes.entry(hashed_name).or_insert(Route { body: i, immutable: true });
        }
        let inner = Arc::new(Inner { bodies, routes, background: AtomicBool::new(false) });
        if background {
            let weak = Arc::downgrade(&inner);
            let spawned = std::thread::Builder::new()
                .name("site-compress".into())
                .spawn(move || compress_all(&weak))
                .is_ok();
            inner.background.store(spawned, Ordering::Release);
        }
        Site { source, inner, files: count, bytes, warnings }
    }

    #[cfg(test)]
    pub fn source(&self) -> &SiteSource {
        &self.source
    }

    /// For the start line: "the site built into this binary (23 files, 1.4 MB)".
    pub fn describe(&self) -> String {
        let what = match &self.source {
            SiteSource::Embedded => "the site built into this binary".to_owned(),
            SiteSource::Dir(dir) => format!("the site in {}", dir.display()),
        };
        let s = if self.files == 1 { "" } else { "s" };
        format!("{what} ({} file{s}, {})", self.files, human_size(self.bytes))
    }

    /// What did not go as expected while loading (a loader script whose references to the
    /// app were not found, so it loads the unhashed names): for the server to print.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Answers a `GET` (`head == false`) or `HEAD` for the URL path and query `url` (e.g.
    /// `/`, `/index.html?x=1`, `/allocscope-app_bg.3f2a9c1d5e6f7a8b.wasm`), given the
    /// request's `Accept-Encoding` and `If-None-Match` (several header lines joined by `, `).
    pub fn answer(
        &self,
        head: bool,
        url: &str,
        accept_encoding: Option<&str>,
        if_none_match: Option<&str>,
    ) -> SiteAnswer {
        let Some(route) = files::url_key(url).and_then(|key| self.inner.lookup(&key)) else {
            return not_found(head);
        };
        let body = &self.inner.bodies[route.body];
        let (data, etag, coding) = self.inner.select(body, accept_encoding);
        let cache = if route.immutable { IMMUTABLE } else { NO_CACHE };
        let mut headers = Vec::with_capacity(7);
        if if_none_match.is_some_and(|v| encoding::none_match(v, &etag)) {
            headers.push(("ETag", etag));
            headers.push(("Cache-Control", cache.to_owned()));
            if body.codable() {
                headers.push(("Vary", "Accept-Encoding".to_owned()));
            }
            headers.push(("X-Content-Type-Options", "nosniff".to_owned()));
            return SiteAnswer { status: 304, headers, body: Bytes::new() };
        }
        headers.push(("Content-Type", body.content_type.to_owned()));
        headers.push(("Content-Length", data.len().to_string()));
        if let Some(coding) = coding {
            headers.push(("Content-Encoding", coding.token().to_owned()));
        }
        headers.push(("ETag", etag));
        headers.push(("Cache-Control", cache.to_owned()));
        if body.codable() {
            headers.push(("Vary", "Accept-Encoding".to_owned()));
        }
        headers.push(("X-Content-Type-Options", "nosniff".to_owned()));
        SiteAnswer { status: 200, headers, body: if head { Bytes::new() } else { data } }
    }
}

impl Inner {
    /// The route for a site-relative path; a folder (or the root, `""`) answers its
    /// index.html.
    fn lookup(&self, key: &str) -> Option<Route> {
        if let Some(route) = self.routes.get(key).filter(|_| !key.is_empty()) {
            return Some(*route);
        }
        let index = if key.is_empty() { "index.html".to_owned() } else { format!("{key}/index.html") };
        self.routes.get(&index).copied()
    }

    /// The form of `body` to send: the best accepted coding that is ready (computing it
    /// here if nobody has started it and the file is small), else the file as it is.
    fn select(&self, body: &Body, accept_encoding: Option<&str>) -> (Bytes, String, Option<Coding>) {
        if body.codable() {
            let inline_ok = body.data.len() <= INLINE_LIMIT || !self.background.load(Ordering::Acquire);
            for coding in encoding::accepted(accept_encoding) {
                let coded = body.coded(coding);
                if inline_ok && !coded.is_done() {
                    coded.compute(coding, &body.data);
                }
                if let Some(data) = coded.ready() {
                    return (data.clone(), format!("\"{}{}\"", body.tag, coding.tag_suffix()), Some(coding));
                }
            }
        }
        (body.data.clone(), format!("\"{}\"", body.tag), None)
    }
}

/// The background thread: every coded form, gzip first (fast) then brotli, largest file
/// first. Stops when the site is dropped.
fn compress_all(site: &Weak<Inner>) {
    let order: Vec<usize> = {
        let Some(inner) = site.upgrade() else { return };
        let mut order: Vec<usize> = (0..inner.bodies.len()).filter(|&i| inner.bodies[i].codable()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(inner.bodies[i].data.len()));
        order
    };
    for coding in [Coding::Gzip, Coding::Br] {
        for &i in &order {
            let Some(inner) = site.upgrade() else { return };
            let body = &inner.bodies[i];
            body.coded(coding).compute(coding, &body.data);
        }
    }
}

fn not_found(head: bool) -> SiteAnswer {
    const TEXT: &str = "Not found";
    SiteAnswer {
        status: 404,
        headers: vec![
            ("Content-Type", "text/plain; charset=utf-8".to_owned()),
            ("Content-Length", TEXT.len().to_string()),
            ("Cache-Control", NO_CACHE.to_owned()),
            ("X-Content-Type-Options", "nosniff".to_owned()),
        ],
        body: if head { Bytes::new() } else { Bytes::from_static(TEXT.as_bytes()) },
    }
}

fn human_size(bytes: u64) -> String {
    match bytes {
        0..1_000 => format!("{bytes} bytes"),
        1_000..1_000_000 => format!("{:.1} KB", bytes as f64 / 1e3),
        _ => format!("{:.1} MB", bytes as f64 / 1e6),
    }
}
