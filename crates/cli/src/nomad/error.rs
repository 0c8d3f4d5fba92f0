//! Why a request to Nomad got no answer, each case with the fix. `serve` answers these as 502
//! (504 for a timeout) with the text, which the app's error panel shows; `snapshot` prints the
//! text and exits 1.

use super::address::Address;
use std::error::Error as StdError;
use std::fmt;
use std::io;

#[derive(Debug)]
pub enum UpstreamError {
    /// No TCP connection (refused, unreachable, no such host).
    Connect { address: String, detail: String },
    /// The connection or the answer took longer than allowed.
    Timeout { address: String, what: &'static str },
    /// The agent's certificate was signed by a CA we do not trust.
    UnknownCa { address: String, roots: String },
    /// The agent's certificate does not name the host we checked it against.
    NameMismatch { address: String, expected: String, presented: Vec<String> },
    /// The agent demands a client certificate (verify_https_client) and none was sent.
    ClientCertRequired { address: String },
    /// A client certificate was sent and the agent refused it.
    ClientCertRefused { address: String, alert: String },
    /// `http://` to an agent that serves HTTPS.
    PlainToTls { address: Address },
    /// `https://` to an agent that serves plain HTTP.
    TlsToPlain { address: Address },
    /// The TLS handshake got no answer: usually a plain-HTTP agent waiting for a request line.
    HandshakeTimeout { address: Address },
    /// Any other TLS failure.
    Tls { address: String, detail: String },
    /// The connection broke or the answer was not HTTP.
    Protocol { address: String, detail: String },
}

impl UpstreamError {
    pub fn status(&self) -> u16 {
        match self {
            UpstreamError::Timeout { .. } | UpstreamError::HandshakeTimeout { .. } => 504,
            _ => 502,
        }
    }
}

impl fmt::Display for UpstreamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use UpstreamError::*;
        match self {
            Connect { address, detail } => write!(
                f,
                "could not connect to Nomad at {address} ({detail}). Check that the agent is running and that --nomad or NOMAD_ADDR names its HTTP address, e.g. https://nomad.example.com:4646"
            ),
            Timeout { address, what } => write!(
                f,
                "Nomad at {address} did not {what} in time. Check that the agent is healthy and reachable from here"
            ),
            UnknownCa { address, roots } => write!(
                f,
                "the certificate of {address} is signed by a CA that is not trusted (checked against {roots}). Pass --ca-cert FILE or set NOMAD_CACERT to the CA that signed the agent's certificate (often nomad-agent-ca.pem)"
            ),
            NameMismatch { address, expected, presented } => {
                let suggestion = presented
                    .iter()
                    .find(|n| n.starts_with("server.") && n.ends_with(".nomad"))
                    .or_else(|| presented.first())
                    .cloned()
                    .unwrap_or_else(|| "server.global.nomad".into());
                let names = if presented.is_empty() { "other names".into() } else { presented.join(", ") };
                write!(
                    f,
                    "the certificate of {address} is not valid for {expected}: it names {names}. Nomad's certificates name server.<region>.nomad; pass --tls-server-name {suggestion} or set NOMAD_TLS_SERVER_NAME={suggestion}"
                )
            }
            ClientCertRequired { address } => write!(
                f,
                "Nomad at {address} requires a client certificate (verify_https_client). Pass --client-cert FILE and --client-key FILE, or set NOMAD_CLIENT_CERT and NOMAD_CLIENT_KEY"
            ),
            ClientCertRefused { address, alert } => write!(
                f,
                "Nomad at {address} refused the client certificate ({alert}). Use a certificate signed by the cluster's CA, e.g. one from nomad tls cert create -cli, with --client-cert/--client-key or NOMAD_CLIENT_CERT/NOMAD_CLIENT_KEY"
            ),
            PlainToTls { address } => write!(
                f,
                "Nomad at {address} serves HTTPS, not plain HTTP. Use {} in --nomad or NOMAD_ADDR",
                address.with_other_scheme()
            ),
            TlsToPlain { address } => write!(
                f,
                "Nomad at {address} answered without TLS: the agent serves plain HTTP. Use {} in --nomad or NOMAD_ADDR",
                address.with_other_scheme()
            ),
            HandshakeTimeout { address } => write!(
                f,
                "Nomad at {address} did not answer the TLS handshake. If the agent serves plain HTTP, use {} in --nomad or NOMAD_ADDR; otherwise check that the agent is healthy",
                address.with_other_scheme()
            ),
            Tls { address, detail } => write!(f, "TLS with Nomad at {address} failed: {detail}"),
            Protocol { address, detail } => write!(
                f,
                "the connection to Nomad at {address} failed ({detail}). Check that --nomad or NOMAD_ADDR names the agent's HTTP API, not another service"
            ),
        }
    }
}

impl StdError for UpstreamError {}

/// The rustls error somewhere in a chain of errors (tokio-rustls and hyper wrap it in
/// `io::Error`, whose `source()` skips the wrapped error, so each `io::Error` is opened too).
pub fn find_rustls<'a>(err: &'a (dyn StdError + 'static)) -> Option<&'a rustls::Error> {
    let mut cur: Option<&'a (dyn StdError + 'static)> = Some(err);
    while let Some(e) = cur {
        if let Some(r) = e.downcast_ref::<rustls::Error>() {
            return Some(r);
        }
        if let Some(io) = e.downcast_ref::<io::Error>() {
            if let Some(inner) = io.get_ref() {
                if let Some(r) = find_rustls(inner) {
                    return Some(r);
                }
            }
        }
        cur = e.source();
    }
    None
}

/// What a TLS failure means for the user.
pub fn classify_tls(err: &rustls::Error, address: &Address, roots: &str, sent_cert: bool) -> UpstreamError {
    use rustls::{AlertDescription as A, CertificateError as C, Error as E};
    let addr = address.to_string();
    match err {
        E::InvalidCertificate(C::UnknownIssuer) => {
            UpstreamError::UnknownCa { address: addr, roots: roots.to_owned() }
        }
        E::InvalidCertificate(C::NotValidForNameContext { expected, presented }) => {
            UpstreamError::NameMismatch {
                address: addr,
                expected: expected.to_str().into_owned(),
                presented: presented.iter().map(|p| presented_name(p)).collect(),
            }
        }
        E::InvalidCertificate(C::NotValidForName) => UpstreamError::NameMismatch {
            address: addr,
            expected: address.host.clone(),
            presented: Vec::new(),
        },
        // TLS 1.3 servers send certificate_required; Go's TLS 1.2 server sends bad_certificate.
        E::AlertReceived(A::CertificateRequired) => UpstreamError::ClientCertRequired { address: addr },
        E::AlertReceived(a @ (A::BadCertificate | A::UnknownCA | A::CertificateUnknown | A::HandshakeFailure))
            if sent_cert =>
        {
            UpstreamError::ClientCertRefused { address: addr, alert: format!("{a:?}") }
        }
        E::AlertReceived(A::BadCertificate) => UpstreamError::ClientCertRequired { address: addr },
        // Go's TLS 1.2 server may say this for a missing client certificate, and for no
        // version or cipher suite in common.
        E::AlertReceived(A::HandshakeFailure) => UpstreamError::Tls {
            address: addr,
            detail: "the agent ended the handshake (handshake_failure). It may require a client certificate: pass --client-cert and --client-key, or set NOMAD_CLIENT_CERT and NOMAD_CLIENT_KEY; or it accepts none of the TLS versions and cipher suites offered (TLS 1.2 and 1.3 with ECDHE and AES-GCM or ChaCha20)".into(),
        },
        E::InvalidMessage(_) | E::InappropriateMessage { .. } | E::InappropriateHandshakeMessage { .. } => {
            UpstreamError::TlsToPlain { address: address.clone() }
        }
        other => UpstreamError::Tls { address: addr, detail: other.to_string() },
    }
}

/// A name as rustls reports it (`DnsName("server.global.nomad")`, `IpAddress(V4(..))`).
fn presented_name(p: &str) -> String {
    match (p.find('"'), p.rfind('"')) {
        (Some(a), Some(b)) if b > a => p[a + 1..b].to_owned(),
        _ => p.to_owned(),
    }
}

/// The body Go's net/http writes, as `HTTP/1.0 400`, to a plain request on a TLS port.
pub const GO_PLAIN_TO_TLS: &str = "Client sent an HTTP request to an HTTPS server.";
