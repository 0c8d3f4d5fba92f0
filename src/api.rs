//! The one HTTP client module: GET a source path, with download progress, and turn every
//! way it can fail into a `FetchError` that says what failed and what to do. Nomad answers
//! errors with plain-text bodies (docs/nomad-live.md §5), which are kept and shown as text.

use allocscope_model::DecodeError;
use std::fmt;

/// Bodies beyond this are refused before decoding: the browser tab would run out of memory
/// long before the table became useful.
pub const MAX_BODY_BYTES: u64 = 512 * 1024 * 1024;

/// How much of an error body is kept for display.
const MAX_ERROR_BODY_CHARS: usize = 2000;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    pub received: u64,
    /// From `Content-Length`, when the server sent one.
    pub total: Option<u64>,
}

impl Progress {
    pub fn describe(&self) -> String {
        match self.total {
            Some(t) if t > 0 => format!("{} of {}", bytes(self.received), bytes(t)),
            _ => bytes(self.received),
        }
    }

    pub fn percent(&self) -> Option<u8> {
        self.total.filter(|t| *t > 0).map(|t| ((self.received.min(t) * 100) / t) as u8)
    }
}

/// `1.5 MB`-style sizes.
pub fn bytes(n: u64) -> String {
    if n < 1024 {
        format!("{n} B")
    } else if n < 1024 * 1024 {
        format!("{:.1} KB", n as f64 / 1024.0)
    } else {
        format!("{:.1} MB", n as f64 / (1024.0 * 1024.0))
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct FetchError {
    pub url: String,
    pub kind: FetchErrorKind,
}

#[derive(Clone, Debug, PartialEq)]
pub enum FetchErrorKind {
    /// No HTTP answer at all: connection refused, DNS, CORS, offline.
    Network(String),
    /// An HTTP error status with the server's text.
    /// `retry_after_s`: the server's `Retry-After` in seconds on a 503 or 429 (allocscope
    /// serve sends it when its upstream requests are all in use).
    Http { status: u16, status_text: String, body: String, retry_after_s: Option<u32> },
    /// The body is larger than the app will hold.
    TooLarge { bytes: u64 },
    /// The request was cancelled (the view was left); not shown to anyone.
    Cancelled,
    /// The body arrived but is not allocation JSON; `excerpt` is the start of a body that
    /// is not JSON at all (an HTML page, a proxy's text), so the user sees what came back.
    Decode { error: DecodeError, excerpt: Option<String> },
    /// A local file (or one capture of a debug bundle) does not hold what the view asks for:
    /// an allocation it never captured, or a capture that failed. `url` names the file.
    NotInFile { detail: String, not_found: bool },
}

impl FetchError {
    /// The body of `url` did not decode.
    pub fn decode(url: &str, error: DecodeError, body: &[u8]) -> FetchError {
        let not_json =
            error.kind == allocscope_model::DecodeErrorKind::Syntax && error.line <= 1 && error.column <= 1;
        let excerpt = not_json.then(|| {
            let text = String::from_utf8_lossy(&body[..body.len().min(300)]).trim().to_owned();
            if body.len() > 300 {
                format!("{text} …")
            } else {
                text
            }
        });
        FetchError { url: url.to_owned(), kind: FetchErrorKind::Decode { error, excerpt } }
    }

    pub fn network(url: &str, detail: impl Into<String>) -> FetchError {
        FetchError { url: url.to_owned(), kind: FetchErrorKind::Network(detail.into()) }
    }

    pub fn http(url: &str, status: u16, status_text: &str, body: &str) -> FetchError {
        let body = body.trim();
        let mut shown: String = body.chars().take(MAX_ERROR_BODY_CHARS).collect();
        if shown.len() < body.len() {
            shown.push_str(" …");
        }
        FetchError {
            url: url.to_owned(),
            kind: FetchErrorKind::Http {
                status,
                status_text: status_text.to_owned(),
                body: shown,
                retry_after_s: None,
            },
        }
    }

    /// What an opened file lacks; `not_found` when it is one missing allocation.
    pub fn not_in_file(file: &str, detail: impl Into<String>, not_found: bool) -> FetchError {
        FetchError {
            url: file.to_owned(),
            kind: FetchErrorKind::NotInFile { detail: detail.into(), not_found },
        }
    }

    pub fn is_not_found(&self) -> bool {
        matches!(
            self.kind,
            FetchErrorKind::Http { status: 404, .. } | FetchErrorKind::NotInFile { not_found: true, .. }
        )
    }

    pub fn status(&self) -> Option<u16> {
        match self.kind {
            FetchErrorKind::Http { status, .. } => Some(status),
            _ => None,
        }
    }

    /// One line: what happened.
    pub fn headline(&self) -> String {
        match &self.kind {
            FetchErrorKind::Network(_) => "The source could not be reached".to_owned(),
            FetchErrorKind::Http { status, status_text, .. } => {
                let text = if status_text.is_empty() { reason(*status) } else { status_text.as_str() };
                format!("The source answered {status} {text}").trim_end().to_owned()
            }
            FetchErrorKind::TooLarge { bytes: n } => format!("The response is too large ({})", bytes(*n)),
            FetchErrorKind::Cancelled => "The request was cancelled".to_owned(),
            FetchErrorKind::Decode { .. } => "The response is not allocation JSON".to_owned(),
            FetchErrorKind::NotInFile { not_found: true, .. } => "Not in the opened file".to_owned(),
            FetchErrorKind::NotInFile { .. } => "This capture cannot be shown".to_owned(),
        }
    }

    /// The detail a user needs to act: the server's own text, or the decoder's position.
    pub fn detail(&self) -> String {
        match &self.kind {
            FetchErrorKind::Network(d) => d.clone(),
            FetchErrorKind::Http { body, .. } if body.starts_with('<') => {
                "(the server sent an HTML error page)".to_owned()
            }
            FetchErrorKind::Http { body, .. } => body.clone(),
            FetchErrorKind::TooLarge { .. } | FetchErrorKind::Cancelled => String::new(),
            FetchErrorKind::Decode { error, excerpt: Some(x) } => format!("{error}\nThe response began: {x}"),
            FetchErrorKind::Decode { error, excerpt: None } => error.to_string(),
            FetchErrorKind::NotInFile { detail, .. } => detail.clone(),
        }
    }

    /// What to do about it.
    pub fn advice(&self) -> String {
        match &self.kind {
            FetchErrorKind::Network(_) => "Check that the address is right and the server is up. A Nomad agent on another origin needs a same-origin proxy or CORS headers (see the README).".to_owned(),
            FetchErrorKind::Http { status: 404, .. } => "Nothing is at this path: the allocation or job may have been garbage-collected, or the source URL is wrong.".to_owned(),
            FetchErrorKind::Http { status: 403, .. } => "Nomad refused the request: the ACL token is missing or lacks read-job on this namespace.".to_owned(),
            FetchErrorKind::Http { status: 400, .. } => "Nomad rejected the request's parameters; its message above says which.".to_owned(),
            FetchErrorKind::Http { retry_after_s: Some(s), .. } => format!("The server is busy; allocscope asks again in {s} s by itself."),
            FetchErrorKind::Http { status: 500..=599, .. } => "The server failed. Nomad's message above says why (no leader, unknown region, …); retry once it recovers.".to_owned(),
            FetchErrorKind::Http { .. } => "The request failed; retry, or check the source URL.".to_owned(),
            FetchErrorKind::Cancelled => String::new(),
            FetchErrorKind::TooLarge { .. } => format!("allocscope holds at most {} per response; scope the view to a job or a node.", bytes(MAX_BODY_BYTES)),
            FetchErrorKind::Decode { error, .. } => error
                .hint()
                .map(str::to_owned)
                .unwrap_or_else(|| "Point the source at a Nomad API or a snapshot folder.".to_owned()),
            FetchErrorKind::NotInFile { not_found: true, .. } => "A file holds only what was captured: open another capture or file, or close the file to go back to the live source.".to_owned(),
            FetchErrorKind::NotInFile { .. } => "Pick another capture in the header, or open another file.".to_owned(),
        }
    }
}

impl fmt::Display for FetchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}): {}", self.headline(), self.url, self.detail())
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "",
    }
}

/// A successful response body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fetched {
    pub bytes: Vec<u8>,
    /// `X-Nomad-Index`: present on a live agent, absent on a static snapshot.
    pub nomad_index: Option<u64>,
    /// `X-Nomad-NextToken`: another page of a paginated list exists.
    pub next_token: Option<String>,
}

/// GET `url` (with the ACL token, if any), reporting progress while the body streams in.
pub async fn get(
    url: &str,
    token: Option<&str>,
    on_progress: &dyn Fn(Progress),
) -> Result<Fetched, FetchError> {
    get_with(url, token, None, None, on_progress).await
}

/// `get`, cancellable through `abort` and given up after `timeout_ms`. The timeout is the
/// browser's own `AbortSignal.timeout`, combined with the caller's signal, so no timer
/// callback outlives the request.
pub async fn get_with(
    url: &str,
    token: Option<&str>,
    abort: Option<&web_sys::AbortController>,
    timeout_ms: Option<u32>,
    on_progress: &dyn Fn(Progress),
) -> Result<Fetched, FetchError> {
    get_into(url, token, abort, timeout_ms, on_progress, None, true).await
}

/// `get_with`, handing each chunk of the body to `on_chunk` as it arrives instead of
/// collecting it: the returned `Fetched` has an empty `bytes`. For bodies too large to hold
/// whole (a list of 100,000 allocations), decoded as they stream in. The size limit still
/// holds, counted as the bytes arrive (a compressed answer has no Content-Length).
pub async fn get_streaming(
    url: &str,
    token: Option<&str>,
    abort: Option<&web_sys::AbortController>,
    timeout_ms: Option<u32>,
    on_progress: &dyn Fn(Progress),
    on_chunk: &mut dyn FnMut(&[u8], Option<u64>),
) -> Result<Fetched, FetchError> {
    get_into(url, token, abort, timeout_ms, on_progress, Some(on_chunk), true).await
}

/// An event stream: chunks to `on_chunk` as they arrive, for as long as the server keeps
/// the response open, with no timeout and no size limit (it is never held whole).
pub async fn get_event_stream(
    url: &str,
    token: Option<&str>,
    abort: Option<&web_sys::AbortController>,
    on_chunk: &mut dyn FnMut(&[u8], Option<u64>),
) -> Result<Fetched, FetchError> {
    get_into(url, token, abort, None, &|_| {}, Some(on_chunk), false).await
}

/// Where a body's chunks go when it is streamed rather than collected.
/// Each chunk comes with the body's announced size (Content-Length), when there is one.
type ChunkSink<'a> = Option<&'a mut dyn FnMut(&[u8], Option<u64>)>;

async fn get_into(
    url: &str,
    token: Option<&str>,
    abort: Option<&web_sys::AbortController>,
    timeout_ms: Option<u32>,
    on_progress: &dyn Fn(Progress),
    on_chunk: ChunkSink<'_>,
    limit: bool,
) -> Result<Fetched, FetchError> {
    use web_sys::AbortSignal;
    let signal = match (abort, timeout_ms) {
        (Some(ctl), Some(ms)) => {
            Some(AbortSignal::any(&js_sys::Array::of2(&ctl.signal(), &AbortSignal::timeout_with_u32(ms))))
        }
        (Some(ctl), None) => Some(ctl.signal()),
        (None, Some(ms)) => Some(AbortSignal::timeout_with_u32(ms)),
        (None, None) => None,
    };
    let result = send(url, token, signal.as_ref(), on_progress, on_chunk, limit).await;
    match (result, signal) {
        (Err(e), Some(sig)) if sig.aborted() => {
            let reason = js_sys::Reflect::get(&sig.reason(), &"name".into()).ok().and_then(|v| v.as_string());
            if reason.as_deref() == Some("TimeoutError") {
                Err(FetchError::network(
                    url,
                    format!("no answer within {} s: the request timed out", timeout_ms.unwrap_or(0) / 1000),
                ))
            } else {
                let _ = e;
                Err(FetchError { url: url.to_owned(), kind: FetchErrorKind::Cancelled })
            }
        }
        (other, _) => other,
    }
}

/// Wait `ms` milliseconds.
pub async fn sleep(ms: u32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms as i32);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

async fn send(
    url: &str,
    token: Option<&str>,
    signal: Option<&web_sys::AbortSignal>,
    on_progress: &dyn Fn(Progress),
    on_chunk: ChunkSink<'_>,
    limit: bool,
) -> Result<Fetched, FetchError> {
    let mut req = gloo_net::http::Request::get(url);
    if let Some(t) = token.filter(|t| !t.is_empty()) {
        req = req.header("X-Nomad-Token", t);
    }
    req = req.abort_signal(signal);
    let resp = req.send().await.map_err(|e| FetchError::network(url, e.to_string()))?;
    let headers = resp.headers();
    let nomad_index = headers.get("X-Nomad-Index").and_then(|v| v.trim().parse().ok());
    if !resp.ok() {
        let body = resp.text().await.unwrap_or_default();
        let mut e = FetchError::http(url, resp.status(), &resp.status_text(), &body);
        if let FetchErrorKind::Http { status: 429 | 503, retry_after_s, .. } = &mut e.kind {
            // Only the delay-seconds form: an HTTP date would need the server's clock.
            *retry_after_s = headers.get("Retry-After").and_then(|v| v.trim().parse().ok());
        }
        return Err(e);
    }
    let next_token = headers.get("X-Nomad-NextToken").filter(|t| !t.is_empty());
    // Nomad compresses whatever the browser accepts, and sends no Content-Length then
    // (docs/nomad-live.md §2); a Content-Length with Content-Encoding counts the
    // compressed bytes, while the body read below is already decompressed.
    let compressed =
        headers.get("Content-Encoding").is_some_and(|e| !e.trim().eq_ignore_ascii_case("identity"));
    let total =
        headers.get("Content-Length").and_then(|v| v.trim().parse::<u64>().ok()).filter(|_| !compressed);
    if let Some(t) = total.filter(|t| *t > MAX_BODY_BYTES) {
        return Err(FetchError { url: url.to_owned(), kind: FetchErrorKind::TooLarge { bytes: t } });
    }
    let limit = limit.then_some(MAX_BODY_BYTES);
    let bytes = read_body(url, resp.body(), total, limit, on_progress, on_chunk).await?;
    Ok(Fetched { bytes, nomad_index, next_token })
}

/// Read a body chunk by chunk so a large download shows progress; into a buffer, or chunk
/// by chunk into `on_chunk` (the buffer then stays empty).
async fn read_body(
    url: &str,
    body: Option<web_sys::ReadableStream>,
    total: Option<u64>,
    limit: Option<u64>,
    on_progress: &dyn Fn(Progress),
    mut on_chunk: ChunkSink<'_>,
) -> Result<Vec<u8>, FetchError> {
    use wasm_bindgen::JsCast;
    let Some(stream) = body else {
        return Ok(Vec::new());
    };
    let reader: web_sys::ReadableStreamDefaultReader = stream.get_reader().unchecked_into();
    let streaming = on_chunk.is_some();
    let capacity = if streaming { 0 } else { total.unwrap_or(0).min(MAX_BODY_BYTES) as usize };
    let mut buf: Vec<u8> = Vec::with_capacity(capacity);
    // Bytes received, and (when streaming) the one chunk being handed on.
    let mut received = 0u64;
    let mut chunk_buf: Vec<u8> = Vec::new();
    let mut reported = 0u64;
    on_progress(Progress { received: 0, total });
    loop {
        let result = wasm_bindgen_futures::JsFuture::from(reader.read())
            .await
            .map_err(|e| FetchError::network(url, format!("the download broke off: {}", js_text(&e))))?;
        let done =
            js_sys::Reflect::get(&result, &"done".into()).ok().and_then(|v| v.as_bool()).unwrap_or(true);
        if done {
            break;
        }
        let value = js_sys::Reflect::get(&result, &"value".into()).unwrap_or_default();
        let chunk = js_sys::Uint8Array::new(&value);
        let n = chunk.length() as usize;
        if limit.is_some_and(|l| received + n as u64 > l) {
            let _ = reader.cancel();
            return Err(FetchError {
                url: url.to_owned(),
                kind: FetchErrorKind::TooLarge { bytes: received + n as u64 },
            });
        }
        received += n as u64;
        match on_chunk.as_mut() {
            Some(sink) => {
                chunk_buf.resize(n, 0);
                chunk.copy_to(&mut chunk_buf);
                sink(&chunk_buf, total);
            }
            None => {
                let at = buf.len();
                buf.resize(at + n, 0);
                chunk.copy_to(&mut buf[at..]);
            }
        }
        // Re-rendering on every chunk would cost more than the download; report the first
        // chunk (so a body without Content-Length shows its bytes at once), then every 256 KB.
        if reported == 0 || received - reported >= 256 * 1024 {
            reported = received;
            on_progress(Progress { received: reported, total });
        }
    }
    // Grown without a size hint, the buffer may hold up to twice what arrived.
    buf.shrink_to_fit();
    Ok(buf)
}

fn js_text(v: &wasm_bindgen::JsValue) -> String {
    v.as_string()
        .or_else(|| js_sys::JSON::stringify(v).ok().and_then(|s| s.as_string()))
        .unwrap_or_else(|| "unknown error".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_say_what_happened_and_what_to_do() {
        let e = FetchError::http("demo/v1/allocation/x", 500, "", "No cluster leader\n");
        assert_eq!(e.headline(), "The source answered 500 Internal Server Error");
        assert_eq!(e.detail(), "No cluster leader");
        assert!(e.advice().contains("no leader"));
        let e = FetchError::http("u", 404, "File not found", "<!DOCTYPE HTML><html>…");
        assert!(e.is_not_found());
        assert_eq!(e.headline(), "The source answered 404 File not found");
        assert_eq!(e.detail(), "(the server sent an HTML error page)");
        let e = FetchError::http("u", 403, "Forbidden", "Permission denied");
        assert!(e.advice().contains("ACL token"));
        let long = "x".repeat(5000);
        let e = FetchError::http("u", 500, "", &long);
        assert!(e.detail().len() < 2100);
        assert_eq!(bytes(1536), "1.5 KB");
        assert_eq!(Progress { received: 50, total: Some(200) }.percent(), Some(25));
    }
}
