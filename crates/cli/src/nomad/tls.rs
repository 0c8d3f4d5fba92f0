//! The TLS side of talking to Nomad, as Nomad's API client configures it (`ConfigureTLS` in
//! `api/api.go`, roots by go-rootcerts): the CA file, else every file of the CA folder, else the
//! system's roots; a client certificate and key given together or not at all; the name the
//! certificate is checked against (`TLSServerName`, the address's host otherwise); and
//! verification off only when asked. HTTP/1.1 only, as Nomad's client (ForceAttemptHTTP2 off).

use super::address::Address;
use crate::pem::{provider, read_certs, read_key};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};
use std::path::PathBuf;
use std::sync::Arc;

/// Each path with the flag or variable it came from, for messages.
#[derive(Default)]
pub struct TlsFiles {
    pub ca_cert: Option<(PathBuf, String)>,
    pub ca_path: Option<(PathBuf, String)>,
    pub client_cert: Option<(PathBuf, String)>,
    pub client_key: Option<(PathBuf, String)>,
    pub server_name: Option<(String, String)>,
    pub skip_verify: bool,
}

impl TlsFiles {
    /// The flags or variables that were given, for "ignored" warnings.
    pub fn named(&self) -> Vec<String> {
        let mut out: Vec<String> = [&self.ca_cert, &self.ca_path, &self.client_cert, &self.client_key]
            .into_iter()
            .flatten()
            .map(|(_, from)| from.clone())
            .collect();
        out.extend(self.server_name.iter().map(|(_, from)| from.clone()));
        if self.skip_verify {
            out.push("--tls-skip-verify".into());
        }
        out
    }
}

/// A ready client configuration and what it means, for the start line and error advice.
pub struct TlsSetup {
    pub config: Arc<ClientConfig>,
    pub server_name: ServerName<'static>,
    /// Where the trusted roots come from, e.g. "--ca-cert ca.pem" or "the system's roots".
    pub roots: String,
    /// The client certificate's source, when one is sent.
    pub client_cert: Option<String>,
    pub skip_verify: bool,
    /// Whether the name to check was given (--tls-server-name / NOMAD_TLS_SERVER_NAME).
    pub name_given: bool,
}

impl TlsSetup {
    pub fn build(files: &TlsFiles, address: &Address) -> Result<TlsSetup, String> {
        let provider = provider();
        let (roots, roots_from) = root_store(files)?;
        let builder = ClientConfig::builder_with_provider(Arc::clone(&provider))
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS set-up: {e}"))?;
        let builder = if files.skip_verify {
            builder.dangerous().with_custom_certificate_verifier(Arc::new(NoVerify(Arc::clone(&provider))))
        } else {
            builder.with_root_certificates(roots)
        };
        let (mut config, client_cert) = match (&files.client_cert, &files.client_key) {
            (Some((cert, cert_from)), Some((key, key_from))) => {
                let chain = read_certs(cert, cert_from)?;
                let key_der = read_key(key, key_from)?;
                let config = builder.with_client_auth_cert(chain, key_der).map_err(|e| {
                    format!("{cert_from} {} and {key_from} {}: {e}; give the key that belongs to the certificate", cert.display(), key.display())
                })?;
                (config, Some(format!("{cert_from} {}", cert.display())))
            }
            (None, None) => (builder.with_no_client_auth(), None),
            (Some((_, from)), None) | (None, Some((_, from))) => {
                return Err(format!(
                    "{from} is set but not its pair: a client certificate needs both --client-cert and --client-key (or NOMAD_CLIENT_CERT and NOMAD_CLIENT_KEY)"
                ))
            }
        };
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        let (name, name_given) = match &files.server_name {
            Some((n, _)) => (n.clone(), true),
            None => (address.host.clone(), false),
        };
        let server_name = ServerName::try_from(name.clone()).map_err(|_| match &files.server_name {
            Some((_, from)) => format!("{from} {name}: not a DNS name or IP address"),
            None => format!("{address}: the host {name} is not a DNS name or IP address"),
        })?;
        Ok(TlsSetup {
            config: Arc::new(config),
            server_name,
            roots: if files.skip_verify { "not verified".into() } else { roots_from },
            client_cert,
            skip_verify: files.skip_verify,
            name_given,
        })
    }

    /// For the start line: "TLS, CA from --ca-cert ca.pem, client certificate from ...".
    pub fn describe(&self) -> String {
        let mut s = if self.skip_verify {
            "TLS, certificate NOT verified".to_owned()
        } else {
            format!("TLS verified against {}", self.roots)
        };
        if self.name_given {
            s.push_str(&format!(" as {}", self.server_name.to_str()));
        }
        match &self.client_cert {
            Some(c) => s.push_str(&format!(", client certificate from {c}")),
            None => s.push_str(", no client certificate"),
        }
        s
    }
}

fn root_store(files: &TlsFiles) -> Result<(RootCertStore, String), String> {
    let mut store = RootCertStore::empty();
    // go-rootcerts: the CA file when given, else the folder, else the system's pool.
    if let Some((file, from)) = &files.ca_cert {
        for cert in read_certs(file, from)? {
            store.add(cert).map_err(|e| format!("{from} {}: {e}", file.display()))?;
        }
        return Ok((store, format!("{from} {}", file.display())));
    }
    if let Some((dir, from)) = &files.ca_path {
        let mut paths = Vec::new();
        files_below(dir, &mut paths)
            .map_err(|e| format!("{from} {}: cannot read the folder: {e}", dir.display()))?;
        paths.sort();
        for p in &paths {
            for cert in read_certs(p, from)? {
                store.add(cert).map_err(|e| format!("{from} {}: {e}", p.display()))?;
            }
        }
        if store.is_empty() {
            return Err(format!("{from} {}: the folder holds no PEM certificate", dir.display()));
        }
        let described = format!("{from} {} ({} certificates)", dir.display(), store.len());
        return Ok((store, described));
    }
    if files.skip_verify {
        // Nothing will be checked against them: not worth reading the system's store.
        return Ok((store, "nothing".into()));
    }
    let found = rustls_native_certs::load_native_certs();
    for cert in found.certs {
        let _ = store.add(cert);
    }
    if store.is_empty() {
        return Err(
            "no trusted CA certificates: the system has none installed (ca-certificates); pass --ca-cert FILE or set NOMAD_CACERT to the CA that signed the agent's certificate".into(),
        );
    }
    Ok((store, "the system's trusted roots".into()))
}

/// Every file in `dir` and its subfolders, as go-rootcerts' `LoadCAPath` walks it.
fn files_below(dir: &std::path::Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            files_below(&path, out)?;
        } else if path.is_file() {
            out.push(path);
        }
    }
    Ok(())
}

/// `--tls-skip-verify`: any certificate is accepted, but the handshake's signatures are still
/// checked, so the session is at least with the holder of the presented certificate's key.
#[derive(Debug)]
struct NoVerify(Arc<CryptoProvider>);

impl ServerCertVerifier for NoVerify {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
