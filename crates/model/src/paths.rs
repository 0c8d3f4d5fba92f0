//! The paths a source answers (design contract 2): a live Nomad agent and a static
//! snapshot folder serve the same ones, so one set of builders serves the app, the CLI and
//! the test double. IDs and names are percent-encoded as path segments: job IDs may hold
//! `/` (dispatched jobs) and any name may hold characters a URL gives meaning to.

/// `v1/allocations`
pub fn allocations() -> String {
    "v1/allocations".to_owned()
}

/// `v1/allocation/<id>`
pub fn allocation(id: &str) -> String {
    format!("v1/allocation/{}", segment(id))
}

/// `v1/job/<job>/allocations`
pub fn job_allocations(job_id: &str) -> String {
    format!("v1/job/{}/allocations", segment(job_id))
}

/// `v1/node/<node>/allocations`
pub fn node_allocations(node_id: &str) -> String {
    format!("v1/node/{}/allocations", segment(node_id))
}

/// A source base URL joined with a path: exactly one `/` between them, whatever the base
/// ends with (`demo`, `demo/`, `https://nomad:4646`, `/snapshots/x/`).
pub fn join(base: &str, path: &str) -> String {
    let path = path.trim_start_matches('/');
    if base.is_empty() {
        path.to_owned()
    } else if base.ends_with('/') {
        // `/` itself is the origin's root: a same-origin agent or proxy.
        format!("{base}{path}")
    } else {
        format!("{base}/{path}")
    }
}

/// A path with query parameters appended (empty values left out), each percent-encoded.
pub fn with_params(path: &str, params: &[(&str, &str)]) -> String {
    let mut out = path.to_owned();
    let mut sep = if path.contains('?') { '&' } else { '?' };
    for (k, v) in params.iter().filter(|(_, v)| !v.is_empty()) {
        out.push(sep);
        out.push_str(&segment(k));
        out.push('=');
        out.push_str(&segment(v));
        sep = '&';
    }
    out
}

/// A link that reproduces a view of the standalone app (design contracts 3 and 4): the
/// page's address without query or fragment, `?source=` when the view's source is not the
/// page's default, and the hash route with its query (filters, search, sort). Tokens are
/// never part of it.
pub fn permalink(page: &str, source: Option<&str>, route: &str) -> String {
    let page = page.split(['?', '#']).next().unwrap_or(page);
    let mut out = page.to_owned();
    if let Some(s) = source.filter(|s| !s.is_empty()) {
        out.push_str("?source=");
        out.push_str(&segment(s));
    }
    out.push('#');
    out.push_str(if route.starts_with('/') { route } else { "/" });
    if !route.starts_with('/') {
        out.push_str(route);
    }
    out
}

/// Percent-encode one path segment (RFC 3986 unreserved characters stay as they are).
pub fn segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permalinks_carry_page_source_and_route_but_nothing_else() {
        assert_eq!(
            permalink(
                "https://ops.example/allocscope/index.html?source=old#/x",
                Some("https://nomad.example:4646"),
                "/allocations?q=web&status=failed"
            ),
            "https://ops.example/allocscope/index.html?source=https%3A%2F%2Fnomad.example%3A4646#/allocations?q=web&status=failed"
        );
        assert_eq!(
            permalink("http://127.0.0.1:8080/", None, "/allocations/a1/tasks/web%2Eapi"),
            "http://127.0.0.1:8080/#/allocations/a1/tasks/web%2Eapi"
        );
        assert_eq!(permalink("http://h/", Some(""), "allocations"), "http://h/#/allocations");
    }

    #[test]
    fn paths_encode_segments() {
        assert_eq!(
            allocation("a8198d79-cfdb-6593-a999-1e9adabcba2e"),
            "v1/allocation/a8198d79-cfdb-6593-a999-1e9adabcba2e"
        );
        assert_eq!(
            job_allocations("batch/dispatch-1617658691-953e00d9"),
            "v1/job/batch%2Fdispatch-1617658691-953e00d9/allocations"
        );
        assert_eq!(job_allocations("a b?c#d"), "v1/job/a%20b%3Fc%23d/allocations");
        assert_eq!(node_allocations("é"), "v1/node/%C3%A9/allocations");
        assert_eq!(join("demo/", "v1/allocations"), "demo/v1/allocations");
        assert_eq!(
            join("https://nomad.example:4646", "/v1/allocations"),
            "https://nomad.example:4646/v1/allocations"
        );
        assert_eq!(join("", "v1/allocations"), "v1/allocations");
        assert_eq!(join("/", "v1/allocations"), "/v1/allocations");
        assert_eq!(join("demo", "v1/allocations"), "demo/v1/allocations");
        assert_eq!(
            with_params(
                "v1/allocations",
                &[("namespace", "*"), ("region", ""), ("filter", "ClientStatus == \"failed\"")]
            ),
            "v1/allocations?namespace=%2A&filter=ClientStatus%20%3D%3D%20%22failed%22"
        );
        assert_eq!(
            with_params("v1/allocations?per_page=2", &[("index", "7")]),
            "v1/allocations?per_page=2&index=7"
        );
    }
}
