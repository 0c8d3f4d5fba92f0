//! The connection flags `serve` and `snapshot` share, and the `nomad` CLI's environment
//! variables they fall back to, with the names and meanings of Nomad's API client
//! (`DefaultConfig` in `api/api.go`): a variable that is set but empty counts as unset, and
//! `NOMAD_SKIP_VERIFY` is read as Go's `strconv.ParseBool` reads it (a value it cannot read is
//! ignored). A flag always wins over its variable.

use super::address::Address;
use super::tls::{TlsFiles, TlsSetup};
use clap::Args;
use std::path::{Path, PathBuf};

pub const DEFAULT_ADDR: &str = "http://127.0.0.1:4646";

#[derive(Args, Clone, Debug, Default)]
pub struct ConnArgs {
    /// The Nomad agent's HTTP API address [env: NOMAD_ADDR; default http://127.0.0.1:4646].
    #[arg(long, value_name = "URL")]
    pub nomad: Option<String>,
    /// A file holding an ACL token (its secret ID), sent as X-Nomad-Token on requests that
    /// carry none [env: NOMAD_TOKEN holds the token itself].
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,
    /// The region to send requests to (added to requests that name none) [env: NOMAD_REGION].
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    /// PEM file of the CA that signed the agent's certificate [env: NOMAD_CACERT].
    #[arg(long, value_name = "FILE")]
    pub ca_cert: Option<PathBuf>,
    /// A folder of PEM CA certificates, every file trusted [env: NOMAD_CAPATH].
    #[arg(long, value_name = "DIR")]
    pub ca_path: Option<PathBuf>,
    /// PEM client certificate, for agents with verify_https_client [env: NOMAD_CLIENT_CERT].
    #[arg(long, value_name = "FILE")]
    pub client_cert: Option<PathBuf>,
    /// PEM private key of --client-cert (RSA, ECDSA or Ed25519) [env: NOMAD_CLIENT_KEY].
    #[arg(long, value_name = "FILE")]
    pub client_key: Option<PathBuf>,
    /// The name to verify the agent's certificate against, e.g. server.global.nomad when
    /// connecting by IP or through a load balancer [env: NOMAD_TLS_SERVER_NAME].
    #[arg(long, value_name = "NAME")]
    pub tls_server_name: Option<String>,
    /// Do not verify the agent's certificate (anyone on the path can read and change the
    /// traffic, token included) [env: NOMAD_SKIP_VERIFY].
    #[arg(long)]
    pub tls_skip_verify: bool,
}

/// A token and where it came from (never the token itself in any message).
#[derive(Clone)]
pub struct Token {
    pub secret: String,
    pub from: String,
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Token(from {})", self.from)
    }
}

/// Everything needed to talk to one agent, resolved from flags and environment.
pub struct Conn {
    pub address: Address,
    pub token: Option<Token>,
    pub region: Option<String>,
    /// `NOMAD_NAMESPACE` when set (commands apply their own flag first).
    pub env_namespace: Option<String>,
    pub tls: Option<TlsSetup>,
    /// Things the user should know at start (skip-verify, TLS settings an http:// address ignores).
    pub warnings: Vec<String>,
}

/// Where the process's environment comes from; a function so tests can give their own.
pub type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

/// The real environment; empty values count as unset, as in Nomad's client.
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// Go's `strconv.ParseBool`.
fn parse_go_bool(v: &str) -> Option<bool> {
    match v {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

fn pick_path(flag: &Option<PathBuf>, flag_name: &str, env: Env, var: &str) -> Option<(PathBuf, String)> {
    match flag {
        Some(p) => Some((p.clone(), flag_name.to_owned())),
        None => env(var).map(|v| (PathBuf::from(v), var.to_owned())),
    }
}

impl ConnArgs {
    pub fn resolve(&self, env: Env) -> Result<Conn, String> {
        let (raw, what) = match (&self.nomad, env("NOMAD_ADDR")) {
            (Some(a), _) => (a.clone(), "--nomad"),
            (None, Some(a)) => (a, "NOMAD_ADDR"),
            (None, None) => (DEFAULT_ADDR.to_owned(), "the default address"),
        };
        let address = Address::parse(&raw, what)?;
        let token = match (&self.token_file, env("NOMAD_TOKEN")) {
            (Some(f), _) => {
                Some(Token { secret: read_token(f)?, from: format!("--token-file {}", f.display()) })
            }
            (None, Some(t)) => {
                Some(Token { secret: check_token(t.trim(), "NOMAD_TOKEN")?, from: "NOMAD_TOKEN".into() })
            }
            (None, None) => None,
        };
        let region = self.region.clone().or_else(|| env("NOMAD_REGION"));
        let files = TlsFiles {
            ca_cert: pick_path(&self.ca_cert, "--ca-cert", env, "NOMAD_CACERT"),
            ca_path: pick_path(&self.ca_path, "--ca-path", env, "NOMAD_CAPATH"),
            client_cert: pick_path(&self.client_cert, "--client-cert", env, "NOMAD_CLIENT_CERT"),
            client_key: pick_path(&self.client_key, "--client-key", env, "NOMAD_CLIENT_KEY"),
            server_name: match &self.tls_server_name {
                Some(n) => Some((n.clone(), "--tls-server-name".to_owned())),
                None => env("NOMAD_TLS_SERVER_NAME").map(|n| (n, "NOMAD_TLS_SERVER_NAME".to_owned())),
            },
            skip_verify: self.tls_skip_verify
                || env("NOMAD_SKIP_VERIFY").and_then(|v| parse_go_bool(&v)).unwrap_or(false),
        };
        let mut warnings = Vec::new();
        let tls = if address.https {
            let setup = TlsSetup::build(&files, &address)?;
            if files.skip_verify {
                warnings.push(format!(
                    "warning: the certificate of {address} is not verified (--tls-skip-verify or NOMAD_SKIP_VERIFY): anyone on the network path can read and change the traffic, the token included"
                ));
            }
            Some(setup)
        } else {
            let ignored = files.named();
            if !ignored.is_empty() {
                warnings.push(format!(
                    "warning: {} ignored: {address} is plain HTTP; use https:// if the agent serves TLS",
                    ignored.join(", ")
                ));
            }
            None
        };
        Ok(Conn { address, token, region, env_namespace: env("NOMAD_NAMESPACE"), tls, warnings })
    }
}

/// The token in a `--token-file`: one line, no control characters (a stray line break would
/// otherwise end up inside an HTTP header).
pub fn read_token(file: &Path) -> Result<String, String> {
    let name = format!("--token-file {}", file.display());
    let raw = std::fs::read_to_string(file).map_err(|e| format!("{name}: cannot read the file: {e}"))?;
    check_token(raw.trim(), &name)
}

fn check_token(token: &str, name: &str) -> Result<String, String> {
    if token.is_empty() {
        return Err(format!("{name}: the token is empty"));
    }
    if token.chars().any(|c| c.is_control()) {
        return Err(format!(
            "{name}: the token holds line breaks or control characters; it should hold only the token's secret ID"
        ));
    }
    Ok(token.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let m: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        move |k| m.get(k).filter(|v| !v.is_empty()).cloned()
    }

    #[test]
    fn flags_win_over_the_environment_which_wins_over_the_default() {
        let none = env_of(&[]);
        let c = ConnArgs::default().resolve(&none).unwrap();
        assert_eq!(c.address.to_string(), "http://127.0.0.1:4646");
        let env = env_of(&[
            ("NOMAD_ADDR", "http://10.1.1.1:4646"),
            ("NOMAD_REGION", "eu"),
            ("NOMAD_TOKEN", " s3cret\n"),
        ]);
        let c = ConnArgs::default().resolve(&env).unwrap();
        assert_eq!((c.address.host.as_str(), c.region.as_deref()), ("10.1.1.1", Some("eu")));
        assert_eq!(c.token.as_ref().map(|t| t.secret.as_str()), Some("s3cret"));
        let args = ConnArgs {
            nomad: Some("http://10.2.2.2:4646".into()),
            region: Some("us".into()),
            ..Default::default()
        };
        let c = args.resolve(&env).unwrap();
        assert_eq!((c.address.host.as_str(), c.region.as_deref()), ("10.2.2.2", Some("us")));
    }

    #[test]
    fn an_empty_variable_is_unset_and_errors_name_the_variable() {
        let env = env_of(&[("NOMAD_ADDR", ""), ("NOMAD_TOKEN", "")]);
        let c = ConnArgs::default().resolve(&env).unwrap();
        assert_eq!(c.address.port, 4646);
        assert!(c.token.is_none());
        let env = env_of(&[("NOMAD_ADDR", "nomad:4646")]);
        assert!(ConnArgs::default().resolve(&env).err().unwrap().starts_with("NOMAD_ADDR nomad:4646"));
        let env = env_of(&[("NOMAD_TOKEN", "a\tb")]);
        assert!(ConnArgs::default().resolve(&env).err().unwrap().starts_with("NOMAD_TOKEN"));
    }

    #[test]
    fn tls_settings_on_a_plain_address_are_named_as_ignored() {
        let env = env_of(&[("NOMAD_CACERT", "/nowhere/ca.pem"), ("NOMAD_SKIP_VERIFY", "true")]);
        let c = ConnArgs::default().resolve(&env).unwrap();
        assert!(c.tls.is_none());
        assert!(c.warnings[0].contains("NOMAD_CACERT"), "{:?}", c.warnings);
    }

    #[test]
    fn go_booleans() {
        assert_eq!(parse_go_bool("T"), Some(true));
        assert_eq!(parse_go_bool("0"), Some(false));
        assert_eq!(parse_go_bool("yes"), None);
    }
}
