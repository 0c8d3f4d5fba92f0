//! Certificates and keys from PEM files, for both sides of `serve` and for `snapshot`: every
//! error names the file and the flag or variable it came from, so the message says what to fix.

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use std::path::Path;

/// Every certificate in a PEM file; `what` names where the path came from
/// (e.g. "--ca-cert" or "NOMAD_CACERT").
pub fn read_certs(path: &Path, what: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    let name = path.display();
    let bytes = std::fs::read(path).map_err(|e| format!("{what} {name}: cannot read the file: {e}"))?;
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<_, _>>()
        .map_err(|e| format!("{what} {name}: not a PEM certificate file ({e})"))?;
    if certs.is_empty() {
        return Err(format!(
            "{what} {name}: the file holds no PEM certificate (-----BEGIN CERTIFICATE-----)"
        ));
    }
    Ok(certs)
}

/// The private key in a PEM file: PKCS#8 (RSA, ECDSA or Ed25519), PKCS#1 RSA or SEC1 EC.
pub fn read_key(path: &Path, what: &str) -> Result<PrivateKeyDer<'static>, String> {
    let name = path.display();
    let bytes = std::fs::read(path).map_err(|e| format!("{what} {name}: cannot read the file: {e}"))?;
    PrivateKeyDer::from_pem_slice(&bytes).map_err(|e| {
        format!("{what} {name}: no PEM private key in the file ({e}); expected -----BEGIN PRIVATE KEY-----, RSA PRIVATE KEY or EC PRIVATE KEY")
    })
}

/// The crypto provider every TLS configuration here uses (ring: no C toolchain beyond cc,
/// no system OpenSSL).
pub fn provider() -> std::sync::Arc<rustls::crypto::CryptoProvider> {
    std::sync::Arc::new(rustls::crypto::ring::default_provider())
}
