//! Where the data comes from (design contract 2 and 3): a base URL, chosen with the page's
//! `?source=` parameter, defaulting to the bundled demo snapshot. Tokens never travel in
//! the URL.

/// The bundled demo snapshot, relative to `index.html`.
pub const DEMO_SOURCE: &str = "demo/";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Source {
    /// Base URL, relative to the page or absolute.
    pub base: String,
}

impl Source {
    pub fn new(base: impl Into<String>) -> Source {
        let base = base.into();
        Source { base: if base.trim().is_empty() { DEMO_SOURCE.to_owned() } else { base.trim().to_owned() } }
    }

    pub fn is_demo(&self) -> bool {
        self.base.trim_end_matches('/') == DEMO_SOURCE.trim_end_matches('/')
    }

    /// From a page query string such as `?source=https%3A%2F%2Fnomad%3A4646&x=1`.
    pub fn from_query(search: &str) -> Source {
        let search = search.trim_start_matches('?');
        for pair in search.split('&') {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            if k == "source" {
                return Source::new(percent_decode(v));
            }
        }
        Source::new(DEMO_SOURCE)
    }

    /// The source named in the page's URL.
    #[cfg(target_arch = "wasm32")]
    pub fn from_page() -> Source {
        let search = web_sys::window().and_then(|w| w.location().search().ok()).unwrap_or_default();
        Source::from_query(&search)
    }

    #[cfg(not(target_arch = "wasm32"))]
    pub fn from_page() -> Source {
        Source::new(DEMO_SOURCE)
    }

    /// Whether the page URL names a source explicitly (it wins over `config.json`).
    #[cfg(target_arch = "wasm32")]
    pub fn page_names_source() -> bool {
        let search = web_sys::window().and_then(|w| w.location().search().ok()).unwrap_or_default();
        search.trim_start_matches('?').split('&').any(|p| p == "source" || p.starts_with("source="))
    }

    #[cfg(not(target_arch = "wasm32"))]
    pub fn page_names_source() -> bool {
        false
    }

    /// The full URL of a source path such as `v1/allocations`.
    pub fn url(&self, path: &str) -> String {
        allocscope_model::paths::join(&self.base, path)
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 3 <= bytes.len() => {
                match u8::from_str_radix(std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("zz"), 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_from_the_page_query() {
        assert_eq!(Source::from_query("").base, "demo/");
        assert!(Source::from_query("?x=1").is_demo());
        assert_eq!(
            Source::from_query("?source=https%3A%2F%2Fnomad.example%3A4646").base,
            "https://nomad.example:4646"
        );
        assert_eq!(Source::from_query("?a=b&source=snapshots/prod/").base, "snapshots/prod/");
        assert_eq!(Source::from_query("?source=").base, "demo/");
        assert_eq!(Source::from_query("?source=%zz%4").base, "%zz%4");
        assert_eq!(Source::new("demo").url("v1/allocations"), "demo/v1/allocations");
    }
}
