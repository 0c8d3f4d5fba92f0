//! Content codings (brotli, gzip): which one a request accepts, computing each at most
//! once, and entity-tag comparison for `If-None-Match`.

use bytes::Bytes;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

/// Brotli quality: 11 is the smallest output and the slowest (about 1.7 s for 1 MB of code
/// in an optimised build here); it is paid once per file, in the background, at start.
pub(super) const BROTLI_QUALITY: i32 = 11;
/// Brotli window (log2): 4 MiB, more than any file of the site.
const BROTLI_LGWIN: i32 = 22;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Coding {
    Br,
    Gzip,
}

impl Coding {
    /// The `Content-Encoding` value.
    pub(super) fn token(self) -> &'static str {
        match self {
            Coding::Br => "br",
            Coding::Gzip => "gzip",
        }
    }

    /// What the coding adds to the file's entity-tag.
    pub(super) fn tag_suffix(self) -> &'static str {
        match self {
            Coding::Br => "-br",
            Coding::Gzip => "-gz",
        }
    }

    pub(super) fn encode(self, data: &[u8]) -> Option<Vec<u8>> {
        match self {
            Coding::Br => {
                let params = brotli::enc::BrotliEncoderParams {
                    quality: BROTLI_QUALITY,
                    lgwin: BROTLI_LGWIN,
                    size_hint: data.len(),
                    ..Default::default()
                };
                let mut out = Vec::with_capacity(data.len() / 3);
                brotli::BrotliCompress(&mut &data[..], &mut out, &params).ok()?;
                Some(out)
            }
            Coding::Gzip => {
                let mut gz = flate2::write::GzEncoder::new(
                    Vec::with_capacity(data.len() / 3),
                    flate2::Compression::best(),
                );
                gz.write_all(data).ok()?;
                gz.finish().ok()
            }
        }
    }
}

/// The codings a request accepts besides identity, best first: by `q` value, brotli before
/// gzip on a tie, none with `q=0`. No header, or `identity`, accepts none of them.
pub(super) fn accepted(accept_encoding: Option<&str>) -> Vec<Coding> {
    let (mut br, mut gzip, mut any) = (None, None, None);
    for item in accept_encoding.unwrap_or("").split(',') {
        let mut params = item.split(';');
        let coding = params.next().unwrap_or("").trim().to_ascii_lowercase();
        let mut q = Some(1.0_f32);
        for p in params {
            let (name, value) = p.split_once('=').unwrap_or((p, ""));
            if name.trim().eq_ignore_ascii_case("q") {
                q = value.trim().parse::<f32>().ok().filter(|q| (0.0..=1.0).contains(q));
            }
        }
        // An unreadable q value: the item is ignored, as if it were not sent.
        let Some(q) = q else { continue };
        match coding.as_str() {
            "br" => br = Some(q),
            "gzip" | "x-gzip" => gzip = Some(q),
            "*" => any = Some(q),
            _ => {}
        }
    }
    let mut ranked: Vec<(Coding, f32)> =
        vec![(Coding::Br, br.or(any).unwrap_or(0.0)), (Coding::Gzip, gzip.or(any).unwrap_or(0.0))];
    // Stable: brotli stays first on equal q.
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
    ranked.into_iter().filter(|(_, q)| *q > 0.0).map(|(c, _)| c).collect()
}

/// One coded form of a file, computed at most once: whoever claims it first computes it,
/// and everyone else either finds it ready or does without it (never waits for it).
#[derive(Default)]
pub(super) struct Coded {
    claimed: AtomicBool,
    /// `Some(None)`: computed, and not smaller than the file, so never served.
    value: OnceLock<Option<Bytes>>,
    #[cfg(test)]
    pub(super) runs: std::sync::atomic::AtomicUsize,
}

impl Coded {
    /// The coded form if it is computed; `None` while it is not (yet), or not worth serving.
    pub(super) fn ready(&self) -> Option<&Bytes> {
        self.value.get().and_then(Option::as_ref)
    }

    pub(super) fn is_done(&self) -> bool {
        self.value.get().is_some()
    }

    /// Computes the coded form of `data` unless someone else has claimed that already.
    pub(super) fn compute(&self, coding: Coding, data: &[u8]) {
        if self.claimed.swap(true, Ordering::AcqRel) {
            return;
        }
        self.value.get_or_init(|| {
            #[cfg(test)]
            self.runs.fetch_add(1, Ordering::SeqCst);
            coding.encode(data).filter(|c| c.len() < data.len()).map(Bytes::from)
        });
    }

    /// Marks it as being computed elsewhere, so that requests do without it (for tests).
    #[cfg(test)]
    pub(super) fn claim_for_test(&self) {
        self.claimed.store(true, Ordering::SeqCst);
    }
}

/// Whether an `If-None-Match` value matches the entity-tag `etag` (written with its quotes)
/// by the weak comparison that RFC 9110 prescribes for it: `*`, or any listed tag with the
/// same opaque part, `W/` or not. A malformed list matches nothing past the fault.
pub(super) fn none_match(if_none_match: &str, etag: &str) -> bool {
    let value = if_none_match.trim();
    if value == "*" {
        return true;
    }
    let mine = etag.trim_start_matches("W/");
    let mut rest = value;
    loop {
        rest = rest.trim_start_matches([' ', '\t', ',']);
        if rest.is_empty() {
            return false;
        }
        let tag = rest.strip_prefix("W/").unwrap_or(rest);
        let Some(body) = tag.strip_prefix('"') else { return false };
        let Some(end) = body.find('"') else { return false };
        if &tag[..end + 2] == mine {
            return true;
        }
        rest = &body[end + 1..];
    }
}
