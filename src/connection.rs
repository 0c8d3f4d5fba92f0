//! How to talk to a live source: the ACL token, the namespace and the region. Namespace and
//! region are remembered per source; the token is kept in memory unless the user opts in to
//! session or local storage, and it never goes into a URL, a log line or an error message.

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Remember {
    /// Forgotten when the page closes.
    #[default]
    Memory,
    /// Kept for this browser tab (sessionStorage).
    Session,
    /// Kept on this device (localStorage).
    Local,
}

impl Remember {
    pub fn as_str(&self) -> &'static str {
        match self {
            Remember::Memory => "memory",
            Remember::Session => "session",
            Remember::Local => "local",
        }
    }

    pub fn parse(s: &str) -> Remember {
        match s {
            "session" => Remember::Session,
            "local" => Remember::Local,
            _ => Remember::Memory,
        }
    }
}

#[derive(Clone, Default, PartialEq, Eq)]
pub struct Connection {
    pub token: Option<String>,
    pub remember: Remember,
    /// `""` means the agent's default; `*` means every namespace the token may read.
    pub namespace: String,
    pub region: String,
}

// Hand-written so a token can never reach a log through `{:?}`.
impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("token", &self.token.as_ref().map(|_| "(set)"))
            .field("remember", &self.remember)
            .field("namespace", &self.namespace)
            .field("region", &self.region)
            .finish()
    }
}

impl Connection {
    /// Query parameters every request to the source carries.
    pub fn params(&self) -> Vec<(&'static str, String)> {
        vec![("namespace", self.namespace.clone()), ("region", self.region.clone())]
    }

    /// A key that changes whenever cached data may no longer be valid: a different token,
    /// namespace or region. The token enters only as a hash (FNV-1a), never as itself.
    pub fn cache_key(&self) -> String {
        let token_hash = self.token.as_deref().map(|t| {
            t.bytes()
                .fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3))
        });
        format!("{:x}|{}|{}", token_hash.unwrap_or(0), self.namespace, self.region)
    }
}

fn key(kind: &str, source: &str) -> String {
    format!("allocscope.{kind}.{source}")
}

/// The saved connection for a source.
pub fn load(source: &str) -> Connection {
    #[cfg(target_arch = "wasm32")]
    {
        let w = web_sys::window();
        let local = w.as_ref().and_then(|w| w.local_storage().ok().flatten());
        let session = w.as_ref().and_then(|w| w.session_storage().ok().flatten());
        let get =
            |s: &Option<web_sys::Storage>, k: &str| s.as_ref().and_then(|s| s.get_item(k).ok().flatten());
        let mut c = Connection::default();
        if let Some(saved) = get(&local, &key("connection", source)) {
            let mut parts = saved.splitn(2, '\n');
            c.namespace = parts.next().unwrap_or("").to_owned();
            c.region = parts.next().unwrap_or("").to_owned();
        }
        if let Some(t) = get(&session, &key("token", source)) {
            c.token = Some(t);
            c.remember = Remember::Session;
        } else if let Some(t) = get(&local, &key("token", source)) {
            c.token = Some(t);
            c.remember = Remember::Local;
        }
        c
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let _ = key("connection", source);
        Connection::default()
    }
}

/// Save a connection for a source: namespace and region always, the token only where the
/// user asked for it (and removed everywhere else).
pub fn save(source: &str, c: &Connection) {
    #[cfg(target_arch = "wasm32")]
    {
        let w = web_sys::window();
        let local = w.as_ref().and_then(|w| w.local_storage().ok().flatten());
        let session = w.as_ref().and_then(|w| w.session_storage().ok().flatten());
        if let Some(l) = &local {
            let _ = l.set_item(&key("connection", source), &format!("{}\n{}", c.namespace, c.region));
        }
        for (store, wanted) in [(&session, Remember::Session), (&local, Remember::Local)] {
            if let Some(s) = store {
                match (&c.token, c.remember == wanted) {
                    (Some(t), true) => {
                        let _ = s.set_item(&key("token", source), t);
                    }
                    _ => {
                        let _ = s.remove_item(&key("token", source));
                    }
                }
            }
        }
    }
    #[cfg(not(target_arch = "wasm32"))]
    let _ = (source, c);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_never_prints() {
        let c = Connection { token: Some("s3cr3t".into()), namespace: "*".into(), ..Default::default() };
        assert!(!format!("{c:?}").contains("s3cr3t"));
        assert_eq!(c.params()[0], ("namespace", "*".to_owned()));
        assert_ne!(c.cache_key(), Connection::default().cache_key());
        // A corrected token of the same length is a new connection.
        let other = Connection { token: Some("s3cr3T".into()), ..c.clone() };
        assert_ne!(c.cache_key(), other.cache_key());
        assert!(!c.cache_key().contains("s3cr3t"));
    }
}
