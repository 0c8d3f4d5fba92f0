//! Response compression and body framing the way a Nomad agent writes them.
//!
//! Nomad's agent serves its whole mux through gorilla/handlers' `CompressHandler`
//! (`command/agent/http.go`, `Handler: handlers.CompressHandler(srv.mux)`, in v1.6.10,
//! v1.10.5, v1.11.2 and v2.0.5; gorilla/handlers v1.5.1 in v1.6.10's `go.mod`, v1.5.2 from
//! v1.10). What that handler does, read from gorilla's `compress.go` (v1.5.1 and v1.5.2
//! differ only in names):
//!
//! - It takes the request's (first) `Accept-Encoding` header, splits it at `,`, trims each
//!   part and picks the **first** part that is exactly `gzip` or `deflate`. There is no
//!   q-value parsing and no preference of its own: `deflate, gzip` gets deflate, and a part
//!   with parameters (`gzip;q=1.0`) or in another case (`GZIP`) is not recognised at all.
//! - It always adds `Vary: Accept-Encoding`, compressed or not.
//! - A request with an `Upgrade` header is not compressed.
//! - Otherwise it sets `Content-Encoding`, deletes `Content-Length` and writes through
//!   Go's `compress/gzip` or `compress/flate` at the default level. `deflate` is a raw
//!   DEFLATE stream (`flate.NewWriter`), not zlib-wrapped.
//! - Its `Flush` flushes the compressor (a sync flush) and then the HTTP response.
//!
//! Then Go's `net/http` frames the body (`src/net/http/server.go`: `response.w` is a
//! `bufio.Writer` of `bufferBeforeChunkingSize` = 2048 bytes in front of `chunkWriter`,
//! whose `writeHeader` sets `Content-Length` only when the handler has returned before that
//! buffer ever filled): a body of at most 2048 bytes, compressed or not, gets an exact
//! `Content-Length`; a longer one goes out chunked. Nomad's `wrap` writes a JSON answer in
//! one `Write` without a `Content-Length` of its own, so this rule is what a client sees.

use crate::server::Reply;
use flate2::write::{DeflateEncoder, GzEncoder};
use flate2::Compression;
use std::io::{self, Cursor, Write};
use tiny_http::{Header, Response};

/// Go's `bufferBeforeChunkingSize`: a response body up to this long, written before the
/// handler returns, gets a `Content-Length`; a longer one is chunked.
pub(crate) const BUFFER_BEFORE_CHUNKING: usize = 2048;

/// A `Content-Encoding` gorilla's `CompressHandler` can choose.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Encoding {
    Gzip,
    Deflate,
}

impl Encoding {
    /// The `Content-Encoding` value.
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Gzip => "gzip",
            Encoding::Deflate => "deflate",
        }
    }
}

/// gorilla's choice from an `Accept-Encoding` value: the first comma-separated part that,
/// trimmed, is exactly `gzip` or `deflate`.
pub(crate) fn choose(accept_encoding: Option<&str>) -> Option<Encoding> {
    accept_encoding?.split(',').map(str::trim).find_map(|part| match part {
        "gzip" => Some(Encoding::Gzip),
        "deflate" => Some(Encoding::Deflate),
        _ => None,
    })
}

/// The encoding for a request: [`choose`] on its first `Accept-Encoding` header (Go's
/// `Header.Get`), none when it carries a non-empty `Upgrade` header.
pub(crate) fn for_request(headers: &[Header]) -> Option<Encoding> {
    let first = |name: &'static str| headers.iter().find(|h| h.field.equiv(name)).map(|h| h.value.as_str());
    if first("Upgrade").is_some_and(|v| !v.is_empty()) {
        return None;
    }
    choose(first("Accept-Encoding"))
}

enum Inner<W: Write> {
    Plain(W),
    Gzip(GzEncoder<W>),
    Deflate(DeflateEncoder<W>),
}

/// A writer that compresses what is written to it with the chosen encoding (or passes it
/// through, given `None`), at Go's default level. `flush` is gorilla's `Flush`: a sync
/// flush of the compressor, so everything written so far can be decoded, then the inner
/// writer's `flush`. `finish` ends the stream (the gzip trailer) and returns the inner
/// writer.
pub(crate) struct Compressed<W: Write> {
    inner: Inner<W>,
}

impl<W: Write> Compressed<W> {
    pub fn new(out: W, encoding: Option<Encoding>) -> Compressed<W> {
        // Go's gzip.DefaultCompression and flate.DefaultCompression are level 6.
        let level = Compression::new(6);
        let inner = match encoding {
            None => Inner::Plain(out),
            Some(Encoding::Gzip) => Inner::Gzip(GzEncoder::new(out, level)),
            Some(Encoding::Deflate) => Inner::Deflate(DeflateEncoder::new(out, level)),
        };
        Compressed { inner }
    }

    /// The inner writer, for tests to look at what has been written so far.
    #[cfg(test)]
    fn get_mut(&mut self) -> &mut W {
        match &mut self.inner {
            Inner::Plain(w) => w,
            Inner::Gzip(e) => e.get_mut(),
            Inner::Deflate(e) => e.get_mut(),
        }
    }

    /// Write what the compressor still holds and the stream's end; return the inner writer
    /// (not flushed).
    pub fn finish(self) -> io::Result<W> {
        match self.inner {
            Inner::Plain(w) => Ok(w),
            Inner::Gzip(e) => e.finish(),
            Inner::Deflate(e) => e.finish(),
        }
    }
}

impl<W: Write> Write for Compressed<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &mut self.inner {
            Inner::Plain(w) => w.write(buf),
            Inner::Gzip(e) => e.write(buf),
            Inner::Deflate(e) => e.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.inner {
            Inner::Plain(w) => w.flush(),
            Inner::Gzip(e) => e.flush(),
            Inner::Deflate(e) => e.flush(),
        }
    }
}

/// A whole body, compressed (or as it is, given `None`).
pub(crate) fn compress(encoding: Option<Encoding>, body: &[u8]) -> Vec<u8> {
    let mut c = Compressed::new(Vec::with_capacity(body.len() / 4 + 32), encoding);
    // Writing to a Vec cannot fail.
    let _ = c.write_all(body);
    c.finish().unwrap_or_default()
}

/// Go's `http.DetectContentType` for the only bodies the double leaves without a
/// `Content-Type` and then compresses (an empty body has none to sniff): gorilla hands the
/// compressed bytes to the response, so Go sniffs those.
fn sniff_compressed(body: &[u8]) -> &'static str {
    if body.starts_with(&[0x1f, 0x8b, 0x08]) {
        "application/x-gzip"
    } else if body
        .iter()
        .any(|&b| b <= 0x08 || b == 0x0b || (0x0e..=0x1a).contains(&b) || (0x1c..=0x1f).contains(&b))
    {
        "application/octet-stream"
    } else {
        "text/plain; charset=utf-8"
    }
}

/// The response for a finished `Reply`, as Nomad's agent would frame it: compressed when
/// `compressible` (a path behind Nomad's `CompressHandler`) and the request asks for it,
/// with `Vary: Accept-Encoding`, and with a `Content-Length` only for a body of at most
/// [`BUFFER_BEFORE_CHUNKING`] bytes (as sent, so compressed bytes when compressed);
/// longer bodies are chunked. A `Reply` with an empty `content_type` gets no
/// `Content-Type` (unless its compressed body is sniffed, as Go does).
pub(crate) fn response(
    reply: Reply,
    request_headers: &[Header],
    compressible: bool,
) -> Response<Cursor<Vec<u8>>> {
    let encoding = if compressible { for_request(request_headers) } else { None };
    let body = match encoding {
        Some(e) => compress(Some(e), &reply.body),
        None => reply.body,
    };
    let mut content_type = (!reply.content_type.is_empty()).then_some(reply.content_type);
    if content_type.is_none() && encoding.is_some() && !body.is_empty() {
        content_type = Some(sniff_compressed(&body));
    }
    let mut headers: Vec<(&str, &str)> = Vec::new();
    if let Some(ct) = content_type {
        headers.push(("Content-Type", ct));
    }
    if compressible {
        headers.push(("Vary", "Accept-Encoding"));
    }
    if let Some(e) = encoding {
        headers.push(("Content-Encoding", e.name()));
    }
    // tiny_http chunks a body whose length is at least the threshold, and otherwise sends
    // its Content-Length: Go's rule is "more than 2048 bytes".
    let mut resp = Response::from_data(body)
        .with_status_code(reply.status)
        .with_chunked_threshold(BUFFER_BEFORE_CHUNKING + 1);
    let extra = reply.headers.iter().map(|(k, v)| (k.as_str(), v.as_str()));
    for (k, v) in headers.into_iter().chain(extra) {
        if let Ok(h) = Header::from_bytes(k.as_bytes(), v.as_bytes()) {
            resp.add_header(h);
        }
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::read::{DeflateDecoder, GzDecoder};
    use std::io::Read;

    fn gunzip(b: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        GzDecoder::new(b).read_to_end(&mut out).expect("valid gzip");
        out
    }

    fn inflate(b: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        DeflateDecoder::new(b).read_to_end(&mut out).expect("valid raw deflate");
        out
    }

    #[test]
    fn choice_follows_gorilla() {
        use Encoding::*;
        for (header, want) in [
            (None, None),
            (Some(""), None),
            (Some("gzip"), Some(Gzip)),
            (Some("deflate"), Some(Deflate)),
            // The first recognised part wins; gorilla has no preference of its own.
            (Some("gzip, deflate, br, zstd"), Some(Gzip)),
            (Some("deflate, gzip, br, zstd"), Some(Deflate)),
            (Some("br,  deflate ,gzip"), Some(Deflate)),
            // No q-values: a part with parameters is not `gzip`.
            (Some("gzip;q=1.0, deflate;q=0.5"), None),
            (Some("gzip;q=0, deflate"), Some(Deflate)),
            (Some("br, zstd, identity, *"), None),
            (Some("GZIP"), None),
            (Some("x-gzip"), None),
        ] {
            assert_eq!(choose(header), want, "{header:?}");
        }
    }

    #[test]
    fn request_headers() {
        let h = |k: &str, v: &str| Header::from_bytes(k.as_bytes(), v.as_bytes()).unwrap();
        assert_eq!(for_request(&[h("accept-encoding", "gzip")]), Some(Encoding::Gzip));
        // Go's Header.Get: the first header of that name.
        assert_eq!(for_request(&[h("Accept-Encoding", "br"), h("Accept-Encoding", "gzip")]), None);
        assert_eq!(for_request(&[h("Accept-Encoding", "gzip"), h("Upgrade", "websocket")]), None);
        assert_eq!(for_request(&[]), None);
    }

    #[test]
    fn whole_bodies_round_trip() {
        let body = br#"[{"ID":"a","Name":"x"}]"#.repeat(200);
        assert_eq!(compress(None, &body), body);
        let gz = compress(Some(Encoding::Gzip), &body);
        assert!(gz.starts_with(&[0x1f, 0x8b, 0x08]));
        assert!(gz.len() < body.len() / 4);
        assert_eq!(gunzip(&gz), body);
        let df = compress(Some(Encoding::Deflate), &body);
        assert_ne!(&df[..2], &gz[..2]);
        assert_eq!(inflate(&df), body);
        // Raw DEFLATE, as Go's flate.NewWriter writes, not zlib (whose first byte is 0x78).
        assert_ne!(df[0], 0x78);
        assert_eq!(gunzip(&compress(Some(Encoding::Gzip), b"")), b"");
    }

    #[test]
    fn flush_makes_each_frame_decodable() {
        for enc in [Encoding::Gzip, Encoding::Deflate] {
            let mut w = Compressed::new(Vec::new(), Some(enc));
            w.write_all(b"{\"Index\":1}\n").unwrap();
            w.flush().unwrap();
            let first = w.get_mut().len();
            assert!(first > 0, "{enc:?}: a flush sends the frame");
            // What has arrived so far decodes to the first frame, before the stream ends.
            let so_far = w.get_mut().clone();
            let mut partial = Vec::new();
            let decoded = match enc {
                Encoding::Gzip => GzDecoder::new(&so_far[..]).read_to_end(&mut partial),
                Encoding::Deflate => DeflateDecoder::new(&so_far[..]).read_to_end(&mut partial),
            };
            // The stream has no end yet, so the decoder may report it; the frame is there.
            let _ = decoded;
            assert_eq!(partial, b"{\"Index\":1}\n", "{enc:?}");
            w.write_all(b"{}\n").unwrap();
            w.flush().unwrap();
            assert!(w.get_mut().len() > first);
            let all = w.finish().unwrap();
            let whole = match enc {
                Encoding::Gzip => gunzip(&all),
                Encoding::Deflate => inflate(&all),
            };
            assert_eq!(whole, b"{\"Index\":1}\n{}\n");
        }
        let mut plain = Compressed::new(Vec::new(), None);
        plain.write_all(b"abc").unwrap();
        plain.flush().unwrap();
        assert_eq!(plain.finish().unwrap(), b"abc");
    }

    #[test]
    fn sniffing() {
        assert_eq!(sniff_compressed(&compress(Some(Encoding::Gzip), b"")), "application/x-gzip");
        assert_eq!(sniff_compressed(&[0x03, 0x00]), "application/octet-stream");
        assert_eq!(sniff_compressed(b"abc"), "text/plain; charset=utf-8");
    }
}
