//! TLS mode: a front that accepts on the public address, terminates TLS as a Nomad agent
//! with `tls { http = true }` does, and relays each connection's bytes to the tiny_http
//! server on an internal loopback port. What each part mirrors (docs/nomad-live.md §6):
//!
//! - the listener: `tls.NewListener` over the agent's TCP listener, served by
//!   `http.Server.Serve` (`command/agent/http.go`, v1.6.10 to v2.0.5). Its
//!   `tls.Config` is `IncomingTLSConfig` (`helper/tlsutil/config.go`): no `NextProtos`, so no
//!   ALPN is chosen and every client speaks HTTP/1.1; `MinVersion` TLS 1.2 by default
//!   (`ParseMinVersion`); the TLS 1.2 suites of `defaultTLSCiphers` (ECDHE with AES-GCM or
//!   ChaCha20), which are exactly rustls's ring suites; with `verify_https_client`,
//!   `tls.RequireAndVerifyClientCert` against `ca_file`.
//! - the key: `ParseCiphers` refuses a certificate whose key is neither RSA nor ECDSA
//!   (`getSignatureAlgorithm`), so an Ed25519 key stops the agent from starting.
//! - the handshake deadline: `https_handshake_timeout`, 5 s by default
//!   (`nomad/structs/config/limits.go`), set when the connection is accepted and cleared
//!   when the first request bytes arrive (`makeConnState`, `StateNew` / `StateActive`).
//! - plain HTTP on the TLS port: Go's `net/http/server.go` (`conn.serve`): when the first
//!   record header is not TLS (`crypto/tls` `readRecordOrCCS`: type not handshake or alert,
//!   or version >= 0x1000) and its 5 bytes are one of `tlsRecordHeaderLooksLikeHTTP`'s,
//!   it writes [`PLAIN_HTTP_ANSWER`] on the raw connection and closes it; any other
//!   non-TLS start is closed with nothing written.

use crate::stats::Stats;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig, SignatureAlgorithm};
use std::net::SocketAddr;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tokio::time::{timeout_at, Instant};
use tokio_rustls::TlsAcceptor;

/// What Go's `net/http` writes to a plain-HTTP request on a TLS port, byte for byte.
pub const PLAIN_HTTP_ANSWER: &[u8] =
    b"HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n";

/// `https_handshake_timeout`'s default (`nomad/structs/config/limits.go`).
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(5);

/// Where the certificate, key and (for mutual TLS) the client CA are.
#[derive(Clone, Debug)]
pub(crate) struct TlsFiles<'a> {
    pub cert: &'a Path,
    pub key: &'a Path,
    pub client_ca: Option<&'a Path>,
}

fn certs_of(path: &Path, what: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs = CertificateDer::pem_file_iter(path)
        .and_then(|it| it.collect::<Result<Vec<_>, _>>())
        .map_err(|e| format!("{what} {}: {e}", path.display()))?;
    if certs.is_empty() {
        return Err(format!("{what} {}: no PEM CERTIFICATE block", path.display()));
    }
    Ok(certs)
}

/// The TLS configuration `opts` asks for, if any.
pub(crate) fn config_of(opts: &crate::Options) -> Result<Option<Arc<ServerConfig>>, String> {
    match (&opts.tls_cert, &opts.tls_key) {
        (Some(cert), Some(key)) => {
            let client_ca = opts.tls_client_ca.as_deref();
            server_config(&TlsFiles { cert, key, client_ca }).map(Some)
        }
        // `IncomingTLSConfig`, helper/tlsutil/config.go.
        (None, None) if opts.tls_client_ca.is_some() => {
            Err("VerifyIncoming set, and no Cert/Key pair provided!".into())
        }
        (None, None) => Ok(None),
        _ => Err("--tls-cert and --tls-key go together".into()),
    }
}

/// The rustls configuration of Nomad's HTTPS listener (see the module docs).
pub(crate) fn server_config(files: &TlsFiles<'_>) -> Result<Arc<ServerConfig>, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let chain = certs_of(files.cert, "--tls-cert")?;
    let key = PrivateKeyDer::from_pem_file(files.key)
        .map_err(|e| format!("--tls-key {}: {e}", files.key.display()))?;
    let signing = provider
        .key_provider
        .load_private_key(key.clone_key())
        .map_err(|e| format!("--tls-key {}: {e}", files.key.display()))?;
    if !matches!(signing.algorithm(), SignatureAlgorithm::RSA | SignatureAlgorithm::ECDSA) {
        // `getSignatureAlgorithm`, `helper/tlsutil/config.go`: the agent does not start.
        return Err(format!(
            "failed to initialize HTTP server TLS configuration: Unsupported signature algorithm \
             {}; RSA and ECDSA only are supported.",
            match signing.algorithm() {
                SignatureAlgorithm::ED25519 => "ed25519.PrivateKey",
                _ => "of this key",
            }
        ));
    }
    let builder = ServerConfig::builder_with_provider(Arc::clone(&provider))
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| e.to_string())?;
    let builder = match files.client_ca {
        None => builder.with_no_client_auth(),
        Some(ca) => {
            let mut roots = RootCertStore::empty();
            for cert in certs_of(ca, "--tls-client-ca")? {
                roots.add(cert).map_err(|e| format!("--tls-client-ca {}: {e}", ca.display()))?;
            }
            // Go's tls.RequireAndVerifyClientCert: a certificate is required and must chain
            // to the CA, with the clientAuth extended key usage.
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .map_err(|e| format!("--tls-client-ca {}: {e}", ca.display()))?;
            builder.with_client_cert_verifier(verifier)
        }
    };
    let mut config =
        builder.with_single_cert(chain, key).map_err(|e| format!("--tls-cert/--tls-key: {e}"))?;
    // No NextProtos in IncomingTLSConfig: no ALPN answer, HTTP/1.1 only.
    config.alpn_protocols = Vec::new();
    Ok(Arc::new(config))
}

/// The running front: a tokio runtime with the accept loop and one task per connection.
/// `stop` ends the accept loop; dropping the front drops every connection.
pub(crate) struct TlsFront {
    runtime: Option<tokio::runtime::Runtime>,
}

/// What the front needs besides the address it listens on.
pub(crate) struct FrontParts {
    pub backend: SocketAddr,
    pub config: Arc<ServerConfig>,
    pub stats: Arc<Stats>,
    pub stop: Arc<Notify>,
    pub verbose: bool,
}

impl TlsFront {
    /// Bind `listen` and relay every TLS connection to the backend.
    pub fn start(listen: &str, parts: FrontParts) -> Result<(TlsFront, SocketAddr), String> {
        let FrontParts { backend, config, stats, stop, verbose } = parts;
        let std_listener =
            std::net::TcpListener::bind(listen).map_err(|e| format!("cannot listen on {listen}: {e}"))?;
        let addr = std_listener.local_addr().map_err(|e| e.to_string())?;
        std_listener.set_nonblocking(true).map_err(|e| e.to_string())?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("nomad-double-tls")
            .enable_io()
            .enable_time()
            .build()
            .map_err(|e| format!("cannot start the TLS front: {e}"))?;
        let listener = {
            let _entered = runtime.enter();
            TcpListener::from_std(std_listener).map_err(|e| e.to_string())?
        };
        let acceptor = TlsAcceptor::from(config);
        runtime.spawn(async move {
            loop {
                let (tcp, peer) = tokio::select! {
                    _ = stop.notified() => break,
                    accepted = listener.accept() => match accepted {
                        Ok(c) => c,
                        Err(_) => continue,
                    },
                };
                let (acceptor, stats) = (acceptor.clone(), Arc::clone(&stats));
                tokio::spawn(async move {
                    if let Err(e) = serve(tcp, acceptor, backend, &stats).await {
                        if verbose {
                            // Go's `http: TLS handshake error from %s: %v` (net/http/server.go).
                            eprintln!("nomad-double: TLS handshake error from {peer}: {e}");
                        }
                    }
                });
            }
        });
        Ok((TlsFront { runtime: Some(runtime) }, addr))
    }
}

impl Drop for TlsFront {
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

/// crypto/tls's test on the first record header (`readRecordOrCCS`, `!c.haveVers`).
fn looks_like_tls(hdr: &[u8]) -> bool {
    let version = u16::from_be_bytes([hdr[1], hdr[2]]);
    matches!(hdr[0], 21 | 22) && version < 0x1000
}

/// net/http's `tlsRecordHeaderLooksLikeHTTP`: the only starts answered with the 400.
fn looks_like_http(hdr: &[u8]) -> bool {
    matches!(&hdr[..5], b"GET /" | b"HEAD " | b"POST " | b"PUT /" | b"OPTIO")
}

/// One connection: the record-header check, the handshake, then the relay. Returns why a
/// connection that never reached the relay ended.
async fn serve(
    mut tcp: TcpStream,
    acceptor: TlsAcceptor,
    backend: SocketAddr,
    stats: &Stats,
) -> Result<(), String> {
    let _open = stats.connection();
    let deadline = Instant::now() + HANDSHAKE_TIMEOUT;
    // Read what is there (Go reads its buffer's worth, at least the 5-byte header).
    let mut first = Vec::with_capacity(1024);
    while first.len() < 5 {
        let mut buf = [0u8; 1024];
        let n = match timeout_at(deadline, tcp.read(&mut buf)).await {
            Ok(Ok(0)) => return fail(stats, "EOF".into()),
            Ok(Ok(n)) => n,
            Ok(Err(e)) => return fail(stats, e.to_string()),
            Err(_) => return fail(stats, "i/o timeout".into()),
        };
        first.extend_from_slice(&buf[..n]);
    }
    if !looks_like_tls(&first) {
        if looks_like_http(&first) {
            stats.plain_http_refused();
            let _ = tcp.write_all(PLAIN_HTTP_ANSWER).await;
            let _ = tcp.shutdown().await;
            return Ok(());
        }
        return fail(stats, "tls: first record does not look like a TLS handshake".into());
    }
    let io = Prefixed { prefix: first, pos: 0, inner: tcp };
    let mut tls = match timeout_at(deadline, acceptor.accept(io)).await {
        Ok(Ok(tls)) => tls,
        Ok(Err(e)) => return fail(stats, e.to_string()),
        Err(_) => return fail(stats, "i/o timeout".into()),
    };
    // The deadline holds until the first request bytes (StateActive clears it).
    let mut buf = vec![0u8; 16 * 1024];
    let n = match timeout_at(deadline, tls.read(&mut buf)).await {
        Ok(Ok(n)) if n > 0 => n,
        _ => return Ok(()),
    };
    let mut back = TcpStream::connect(backend).await.map_err(|e| format!("backend: {e}"))?;
    back.write_all(&buf[..n]).await.map_err(|e| format!("backend: {e}"))?;
    drop(buf);
    let _ = tokio::io::copy_bidirectional(&mut tls, &mut back).await;
    Ok(())
}

fn fail(stats: &Stats, why: String) -> Result<(), String> {
    stats.handshake_failed();
    Err(why)
}

/// The bytes already read, then the connection: what the TLS acceptor reads from.
struct Prefixed {
    prefix: Vec<u8>,
    pos: usize,
    inner: TcpStream,
}

impl AsyncRead for Prefixed {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = &mut *self;
        if this.pos < this.prefix.len() {
            let n = (this.prefix.len() - this.pos).min(buf.remaining());
            buf.put_slice(&this.prefix[this.pos..this.pos + n]);
            this.pos += n;
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut this.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for Prefixed {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
