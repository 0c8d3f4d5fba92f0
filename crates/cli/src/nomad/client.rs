//! One HTTP/1.1 request to Nomad on a connection of its own: TCP, then TLS when the address
//! is https, then hyper's client connection. One connection per request keeps the count of
//! open upstream connections equal to the requests in flight (what `serve` bounds), and a
//! connection ends when its answer is read or dropped.

use super::address::Address;
use super::args::Conn;
use super::error::{classify_tls, find_rustls, UpstreamError, GO_PLAIN_TO_TLS};
use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Full};
use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper::{HeaderMap, Method, Request, Response};
use hyper_util::rt::TokioIo;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::task::JoinHandle;
use tokio_rustls::TlsConnector;

pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
pub const TOKEN_HEADER: &str = "X-Nomad-Token";

pub struct Upstream {
    pub conn: Arc<Conn>,
    connector: Option<TlsConnector>,
    user_agent: &'static str,
}

/// An answer's body; dropping it closes the upstream connection.
pub struct UpBody {
    inner: UpInner,
    conn_task: Option<JoinHandle<()>>,
}

enum UpInner {
    Incoming(Incoming),
    /// A small body read ahead (to recognise Go's plain-HTTP-to-TLS answer).
    Buffered(Full<Bytes>),
}

impl Drop for UpBody {
    fn drop(&mut self) {
        if let Some(t) = self.conn_task.take() {
            t.abort();
        }
    }
}

impl Body for UpBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        match &mut self.inner {
            UpInner::Incoming(b) => Pin::new(b).poll_frame(cx),
            UpInner::Buffered(b) => Pin::new(b).poll_frame(cx).map_err(|never| match never {}),
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.inner {
            UpInner::Incoming(b) => b.is_end_stream(),
            UpInner::Buffered(b) => b.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.inner {
            UpInner::Incoming(b) => b.size_hint(),
            UpInner::Buffered(b) => b.size_hint(),
        }
    }
}

trait Io: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send {}
impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send> Io for T {}

impl Upstream {
    pub fn new(conn: Conn, user_agent: &'static str) -> Upstream {
        let connector = conn.tls.as_ref().map(|t| TlsConnector::from(Arc::clone(&t.config)));
        Upstream { conn: Arc::new(conn), connector, user_agent }
    }

    pub fn address(&self) -> &Address {
        &self.conn.address
    }

    /// Sends `method path_query` with `headers` (Host and User-Agent are set here). The
    /// response head must arrive within `head_timeout`.
    pub async fn send(
        &self,
        method: Method,
        path_query: &str,
        headers: HeaderMap,
        head_timeout: Duration,
    ) -> Result<Response<UpBody>, UpstreamError> {
        let address = &self.conn.address;
        let addr = address.to_string();
        let connecting = TcpStream::connect((address.host.as_str(), address.port));
        let tcp = tokio::time::timeout(CONNECT_TIMEOUT, connecting)
            .await
            .map_err(|_| UpstreamError::Timeout { address: addr.clone(), what: "accept the connection" })?
            .map_err(|e| UpstreamError::Connect { address: addr.clone(), detail: e.to_string() })?;
        let _ = tcp.set_nodelay(true);
        let io: Box<dyn Io> = match (&self.connector, &self.conn.tls) {
            (Some(c), Some(tls)) => {
                let handshake = c.connect(tls.server_name.clone(), tcp);
                let stream = tokio::time::timeout(CONNECT_TIMEOUT, handshake)
                    .await
                    .map_err(|_| UpstreamError::HandshakeTimeout { address: address.clone() })?
                    .map_err(|e| self.map_io(&e))?;
                Box::new(stream)
            }
            _ => Box::new(tcp),
        };
        let (mut sender, connection) =
            hyper::client::conn::http1::handshake(TokioIo::new(io)).await.map_err(|e| self.map_hyper(&e))?;
        let conn_task = tokio::spawn(async move {
            let _ = connection.await;
        });
        let mut rq = Request::builder().method(method).uri(path_query);
        for (k, v) in &headers {
            rq = rq.header(k, v);
        }
        let rq = rq
            .header(hyper::header::HOST, address.authority())
            .header(hyper::header::USER_AGENT, self.user_agent)
            .body(Empty::<Bytes>::new())
            .map_err(|e| UpstreamError::Protocol {
                address: addr.clone(),
                detail: format!("bad request target: {e}"),
            })?;
        let answer = tokio::time::timeout(head_timeout, sender.send_request(rq)).await;
        let answer = match answer {
            Err(_) => {
                conn_task.abort();
                return Err(UpstreamError::Timeout { address: addr, what: "answer" });
            }
            Ok(Err(e)) => {
                conn_task.abort();
                return Err(self.map_hyper(&e));
            }
            Ok(Ok(a)) => a,
        };
        let (parts, body) = answer.into_parts();
        // Go answers a plain request on its TLS port with a bare HTTP/1.0 400 and this text.
        if !address.https && parts.status == 400 && !parts.headers.contains_key(hyper::header::CONTENT_TYPE) {
            // Go's text is 48 bytes; a longer 400 from Nomad is read up to a limit.
            let limited = http_body_util::Limited::new(body, 64 * 1024);
            let bytes = match tokio::time::timeout(CONNECT_TIMEOUT, limited.collect()).await {
                Ok(Ok(c)) => c.to_bytes(),
                _ => {
                    conn_task.abort();
                    let detail = "a 400 answer whose body could not be read".into();
                    return Err(UpstreamError::Protocol { address: addr, detail });
                }
            };
            if String::from_utf8_lossy(&bytes).contains(GO_PLAIN_TO_TLS) {
                conn_task.abort();
                return Err(UpstreamError::PlainToTls { address: address.clone() });
            }
            let mut parts = parts;
            parts.headers.insert(hyper::header::CONTENT_LENGTH, bytes.len().into());
            let body = UpBody { inner: UpInner::Buffered(Full::new(bytes)), conn_task: Some(conn_task) };
            return Ok(Response::from_parts(parts, body));
        }
        Ok(Response::from_parts(parts, UpBody { inner: UpInner::Incoming(body), conn_task: Some(conn_task) }))
    }

    fn tls_error(&self, r: &rustls::Error) -> UpstreamError {
        let tls = self.conn.tls.as_ref();
        let roots = tls.map(|t| t.roots.clone()).unwrap_or_default();
        classify_tls(r, &self.conn.address, &roots, tls.is_some_and(|t| t.client_cert.is_some()))
    }

    fn map_io(&self, e: &std::io::Error) -> UpstreamError {
        if let Some(r) = find_rustls(e) {
            return self.tls_error(r);
        }
        let addr = self.conn.address.to_string();
        if self.conn.address.https && e.kind() == std::io::ErrorKind::UnexpectedEof {
            // A plain HTTP server closes on a ClientHello it cannot parse.
            return UpstreamError::TlsToPlain { address: self.conn.address.clone() };
        }
        UpstreamError::Protocol { address: addr, detail: e.to_string() }
    }

    pub fn map_hyper(&self, e: &hyper::Error) -> UpstreamError {
        if let Some(r) = find_rustls(e) {
            return self.tls_error(r);
        }
        let mut detail = e.to_string();
        let mut src = std::error::Error::source(e);
        while let Some(s) = src {
            detail.push_str(": ");
            detail.push_str(&s.to_string());
            src = s.source();
        }
        UpstreamError::Protocol { address: self.conn.address.to_string(), detail }
    }
}
