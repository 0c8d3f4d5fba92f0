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

/// Nomad's event stream of allocation changes (1.0+), from `index` on; only `job`'s
/// allocations when given (an Allocation event's filter keys are its job and deployment).
pub fn allocation_events(job: Option<&str>, index: u64) -> String {
    let topic = match job {
        Some(j) => format!("Allocation:{j}"),
        None => "Allocation".to_owned(),
    };
    with_params("v1/event/stream", &[("topic", &topic), ("index", &index.to_string())])
}

/// The event stream that follows the list at `list_path` from `index` on: the cluster's
/// list (`v1/allocations`) or a job's (`v1/job/<id>/allocations`). `None` for a list the
/// stream cannot follow: one narrowed by a Nomad filter expression (which only the agent
/// evaluates), or any other path.
pub fn list_events(list_path: &str, index: u64) -> Option<String> {
    if list_path == "v1/allocations" {
        return Some(allocation_events(None, index));
    }
    let job = list_path.strip_prefix("v1/job/")?.strip_suffix("/allocations")?;
    (!job.is_empty() && !job.contains(['/', '?'])).then(|| allocation_events(Some(&unsegment(job)), index))
}

/// Undo [`segment`] (any `%XX` escape; other text as it is).
fn unsegment(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        match (b[i], b.get(i + 1).and_then(|&c| hex(c)), b.get(i + 2).and_then(|&c| hex(c))) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (c, _, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
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
    fn list_events_follow_the_cluster_and_job_lists_only() {
        assert_eq!(
            list_events(&allocations(), 5).as_deref(),
            Some("v1/event/stream?topic=Allocation&index=5")
        );
        let job = job_allocations("batch/dispatch-1 x");
        assert_eq!(
            list_events(&job, 5).as_deref(),
            Some("v1/event/stream?topic=Allocation%3Abatch%2Fdispatch-1%20x&index=5")
        );
        let filtered = with_params(&allocations(), &[("filter", "ClientStatus == \"failed\"")]);
        assert_eq!(list_events(&filtered, 5), None);
        assert_eq!(list_events(&allocation("abc"), 5), None);
        assert_eq!(unsegment("a%2Fb%zz%4"), "a/b%zz%4");
    }

    #[test]
    fn allocation_events_names_the_topic_and_the_index() {
        assert_eq!(allocation_events(None, 42), "v1/event/stream?topic=Allocation&index=42");
        assert_eq!(
            allocation_events(Some("web api"), 7),
            "v1/event/stream?topic=Allocation%3Aweb%20api&index=7"
        );
    }

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
