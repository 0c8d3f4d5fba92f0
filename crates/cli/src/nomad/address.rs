//! A Nomad agent's HTTP address, as `NOMAD_ADDR` and `-address` take it: a scheme (`http` or
//! `https`), a host and an optional port. Like Nomad's API client (`api/api.go`), the port
//! defaults to the scheme's; unlike it, a path is refused rather than silently dropped.

use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Address {
    pub https: bool,
    /// The host as written, without brackets for IPv6.
    pub host: String,
    pub port: u16,
}

impl Address {
    /// `what` names where the address came from (`--nomad` or `NOMAD_ADDR`).
    pub fn parse(raw: &str, what: &str) -> Result<Address, String> {
        let text = raw.trim();
        let base = text.trim_end_matches('/');
        let (https, rest) = if let Some(r) = base.strip_prefix("https://") {
            (true, r)
        } else if let Some(r) = base.strip_prefix("http://") {
            (false, r)
        } else if base.contains("://") {
            return Err(format!(
                "{what} {text}: only http:// and https:// addresses are supported, e.g. https://nomad.example.com:4646"
            ));
        } else {
            return Err(format!(
                "{what} {text}: give the scheme too, e.g. http://127.0.0.1:4646 or https://{base}"
            ));
        };
        if rest.is_empty() || rest.contains(['/', '?', '#', '@']) {
            return Err(format!(
                "{what} {text}: expected scheme, host and port only, such as https://nomad.example.com:4646"
            ));
        }
        let default_port = if https { 443 } else { 80 };
        let (host, port) = if let Some(v6) = rest.strip_prefix('[') {
            let (h, after) =
                v6.split_once(']').ok_or_else(|| format!("{what} {text}: an IPv6 host needs a closing ]"))?;
            let port = match after.strip_prefix(':') {
                Some(p) => parse_port(p, what, text)?,
                None if after.is_empty() => default_port,
                None => return Err(format!("{what} {text}: unexpected text after the IPv6 host")),
            };
            (h.to_owned(), port)
        } else {
            match rest.rsplit_once(':') {
                Some((h, p)) => (h.to_owned(), parse_port(p, what, text)?),
                None => (rest.to_owned(), default_port),
            }
        };
        if host.is_empty() {
            return Err(format!("{what} {text}: the host is missing"));
        }
        Ok(Address { https, host, port })
    }

    /// `host:port` as the Host header and the start line write it.
    pub fn authority(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    pub fn scheme(&self) -> &'static str {
        if self.https {
            "https"
        } else {
            "http"
        }
    }

    /// The same agent with the other scheme, for "use https:// instead" advice.
    pub fn with_other_scheme(&self) -> Address {
        Address { https: !self.https, ..self.clone() }
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}", self.scheme(), self.authority())
    }
}

fn parse_port(p: &str, what: &str, text: &str) -> Result<u16, String> {
    p.parse::<u16>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| format!("{what} {text}: the port {p:?} is not a number from 1 to 65535"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_as_nomad_writes_them() {
        let a = Address::parse("https://10.0.0.5:4646/", "--nomad").unwrap();
        assert_eq!((a.https, a.host.as_str(), a.port), (true, "10.0.0.5", 4646));
        assert_eq!(a.to_string(), "https://10.0.0.5:4646");
        assert_eq!(Address::parse("http://nomad.service", "x").unwrap().port, 80);
        assert_eq!(Address::parse("https://nomad.service", "x").unwrap().port, 443);
        let v6 = Address::parse("http://[::1]:4646", "x").unwrap();
        assert_eq!((v6.host.as_str(), v6.authority()), ("::1", "[::1]:4646".to_owned()));
        assert_eq!(v6.with_other_scheme().to_string(), "https://[::1]:4646");
    }

    #[test]
    fn addresses_refused_with_the_fix() {
        assert!(Address::parse("nomad:4646", "NOMAD_ADDR").unwrap_err().contains("https://nomad:4646"));
        assert!(Address::parse("unix:///tmp/n.sock", "x").unwrap_err().contains("only http"));
        assert!(Address::parse("http://nomad:4646/v1", "x").is_err());
        assert!(Address::parse("http://nomad:0", "x").unwrap_err().contains("port"));
        assert!(Address::parse("http://nomad:http", "x").is_err());
        assert!(Address::parse("http://:4646", "x").unwrap_err().contains("host"));
    }
}
