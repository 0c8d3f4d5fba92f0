//! HTTPS to the browser (`--tls-cert`, `--tls-key`): HTTP/2 and HTTP/1.1 offered by ALPN.
//! HTTP/2 matters here: a browser opens at most six HTTP/1.1 connections per origin, and each
//! open view holds one (a blocking query or an event stream).

use crate::pem::{provider, read_certs, read_key};
use rustls::ServerConfig;
use std::path::Path;
use std::sync::Arc;

pub fn server_config(cert: &Path, key: &Path) -> Result<Arc<ServerConfig>, String> {
    let chain = read_certs(cert, "--tls-cert")?;
    let key_der = read_key(key, "--tls-key")?;
    let mut config = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS set-up: {e}"))?
        .with_no_client_auth()
        .with_single_cert(chain, key_der)
        .map_err(|e| {
            format!(
                "--tls-cert {} and --tls-key {}: {e}; give the key that belongs to the certificate",
                cert.display(),
                key.display()
            )
        })?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}
