//! `--ui DIST_DIR`: the built app under `/ui/`, so a browser test can load it from the
//! same origin as the API (`/ui/index.html?source=/`).

use crate::query::percent_decode;
use crate::server::{Reply, Shared};
use std::path::PathBuf;

pub fn content_type(path: &std::path::Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
        Some("html" | "htm") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("wasm") => "application/wasm",
        Some("json" | "map") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("gif") => "image/gif",
        Some("ico") => "image/x-icon",
        Some("webp") => "image/webp",
        Some("woff") => "font/woff",
        Some("woff2") => "font/woff2",
        Some("txt" | "md") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

pub(crate) fn handle(shared: &Shared, method: &str, path: &str) -> Reply {
    let Some(root) = &shared.ui else {
        return Reply::text(
            404,
            "404 page not found (start nomad-double with --ui DIST_DIR to serve the app)",
        );
    };
    if method != "GET" && method != "HEAD" {
        return Reply::text(405, "Invalid method");
    }
    let rel = path.strip_prefix("/ui").unwrap_or("").trim_start_matches('/');
    let mut file = root.clone();
    let mut last_has_dot = false;
    for seg in rel.split('/').filter(|s| !s.is_empty()) {
        let seg = percent_decode(seg, false);
        if seg == ".." || seg == "." || seg.contains(['/', '\\', '\0']) {
            return Reply::text(404, "404 page not found");
        }
        last_has_dot = seg.contains('.');
        file.push(seg);
    }
    if file.is_dir() {
        file.push("index.html");
    } else if !file.is_file() && !last_has_dot {
        // A client-side route of the single-page app.
        file = root.join("index.html");
    }
    serve(file)
}

fn serve(file: PathBuf) -> Reply {
    match std::fs::read(&file) {
        Ok(body) => Reply { status: 200, content_type: content_type(&file), body, headers: Vec::new() }
            .header("Cache-Control", "no-cache"),
        Err(_) => Reply::text(404, "404 page not found"),
    }
}
