//! A deployment's `config.json` (beside `index.html`): default source, title, default
//! namespace, link templates and the parent origins allowed to configure an embedded
//! instance. Edited by hand by deployers, so parsing is strict about types but names the
//! exact place of any mistake, and unknown keys are reported rather than ignored silently.

use crate::allocation::Allocation;
use crate::paths::segment;
use crate::scan::{line_col, path_at};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// The default source when the page URL names none.
    pub source: Option<String>,
    /// The page title.
    pub title: Option<String>,
    /// The default namespace.
    pub namespace: Option<String>,
    pub links: Links,
    /// Origins (`https://portal.example.com`) allowed to configure the app by `postMessage`
    /// when it runs in an iframe, and to receive its height and route.
    pub allowed_parent_origins: Vec<String>,
    /// A live list that follows the agent's event stream is read again in full this often
    /// (seconds; default 300, 0 never), which also drops allocations the cluster
    /// garbage-collected: Nomad sends no event for that (docs/nomad-live.md).
    pub resync_seconds: Option<u64>,
}

/// `resync_seconds` when `config.json` does not say.
pub const DEFAULT_RESYNC_SECONDS: u64 = 300;

impl Config {
    /// The live lists' full re-read period, in milliseconds (0: never).
    pub fn resync_ms(&self) -> f64 {
        self.resync_seconds.unwrap_or(DEFAULT_RESYNC_SECONDS) as f64 * 1000.0
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Links {
    /// Shown on the allocation page.
    pub allocation: Vec<LinkTemplate>,
    /// Shown on the task page (and per task on the allocation page).
    pub task: Vec<LinkTemplate>,
}

/// `{"label": "Logs", "url": "https://logs.example.com/?alloc={alloc_id}&task={task}"}`
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkTemplate {
    pub label: String,
    pub url: String,
}

/// Placeholders a link template may use.
pub const PLACEHOLDERS: &[&str] = &[
    "alloc_id",
    "alloc_short",
    "alloc_name",
    "job_id",
    "group",
    "task",
    "namespace",
    "node_id",
    "node_name",
];

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    pub line: usize,
    pub column: usize,
    pub path: String,
    pub message: String,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "config.json, line {}, column {}, at {}: {}",
            self.line, self.column, self.path, self.message
        )
    }
}

impl Config {
    /// Parse and check a config file.
    pub fn parse(bytes: &[u8]) -> Result<Config, ConfigError> {
        let config: Config = serde_json::from_slice(bytes).map_err(|e| {
            let offset = crate::scan::locate_line_col(bytes, e.line(), e.column());
            ConfigError {
                line: e.line(),
                column: e.column(),
                path: path_at(bytes, offset).to_string(),
                message: clean(&e),
            }
        })?;
        for (kind, list) in [("allocation", &config.links.allocation), ("task", &config.links.task)] {
            for (i, l) in list.iter().enumerate() {
                check_template(&l.url).map_err(|message| {
                    let path = format!("$.links.{kind}[{i}].url");
                    let (line, column) = find(bytes, &l.url);
                    ConfigError { line, column, path, message }
                })?;
            }
        }
        for (i, o) in config.allowed_parent_origins.iter().enumerate() {
            if !(o.starts_with("https://") || o.starts_with("http://"))
                || o.trim_end_matches('/').matches('/').count() != 2
            {
                let (line, column) = find(bytes, o);
                return Err(ConfigError {
                    line,
                    column,
                    path: format!("$.allowed_parent_origins[{i}]"),
                    message: format!("\"{o}\" is not an origin: write scheme, host and port only, like https://portal.example.com"),
                });
            }
        }
        Ok(config)
    }

    /// Whether a `postMessage` from `origin` may configure the app.
    pub fn allows_origin(&self, origin: &str) -> bool {
        self.allowed_parent_origins.iter().any(|o| o.trim_end_matches('/') == origin)
    }
}

fn clean(e: &serde_json::Error) -> String {
    let s = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    s.strip_suffix(&suffix).map(str::to_owned).unwrap_or(s)
}

fn find(bytes: &[u8], needle: &str) -> (usize, usize) {
    let hay = String::from_utf8_lossy(bytes);
    hay.find(needle).map(|i| line_col(bytes, i)).unwrap_or((1, 1))
}

/// A template must be an absolute http(s) URL or a relative one, and use known
/// placeholders only.
fn check_template(url: &str) -> Result<(), String> {
    let lower = url.trim().to_ascii_lowercase();
    let scheme = lower
        .split_once(':')
        .map(|(s, _)| s)
        .filter(|s| s.chars().all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c)));
    if let Some(s) = scheme {
        if s != "http" && s != "https" && !lower.starts_with("//") {
            return Err(format!("links may only use http or https URLs, not \"{s}:\""));
        }
    }
    let mut rest = url;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else {
            return Err("a `{` without its `}`".to_owned());
        };
        let name = &rest[open + 1..open + close];
        if !PLACEHOLDERS.contains(&name) {
            return Err(format!("unknown placeholder {{{name}}}; known: {}", PLACEHOLDERS.join(", ")));
        }
        rest = &rest[open + close + 1..];
    }
    Ok(())
}

/// Fill a template for an allocation (and a task). Every value is percent-encoded, so data
/// cannot change the URL's structure or scheme.
pub fn expand(template: &str, a: &Allocation, task: Option<&str>) -> String {
    let mut out = String::with_capacity(template.len() + 64);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let Some(close) = rest[open..].find('}') else { break };
        let name = &rest[open + 1..open + close];
        let value: &str = match name {
            "alloc_id" => &a.id,
            "alloc_short" => a.short_id(),
            "alloc_name" => &a.name,
            "job_id" => &a.job_id,
            "group" => &a.task_group,
            "task" => task.unwrap_or(""),
            "namespace" => a.namespace_or_default(),
            "node_id" => &a.node_id,
            "node_name" => &a.node_name,
            _ => "",
        };
        out.push_str(&segment(value));
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_full_config_and_expands_links_encoded() {
        let src = br#"{
  "source": "https://nomad.example.com:4646",
  "title": "Prod allocations",
  "namespace": "payments",
  "resync_seconds": 60,
  "links": {
    "allocation": [{"label": "Metrics", "url": "https://grafana.example.com/d/x?var-alloc={alloc_id}&var-job={job_id}"}],
    "task": [{"label": "Logs", "url": "https://logs.example.com/?alloc={alloc_id}&task={task}&job={job_id}"}]
  },
  "allowed_parent_origins": ["https://portal.example.com"]
}"#;
        let c = Config::parse(src).unwrap();
        assert_eq!(c.namespace.as_deref(), Some("payments"));
        assert_eq!(c.resync_ms(), 60_000.0);
        assert_eq!(Config::default().resync_ms(), 300_000.0);
        let e = Config::parse(b"{\"resync_seconds\": \"5m\"}").unwrap_err();
        assert_eq!(e.path, "$.resync_seconds");
        assert!(c.allows_origin("https://portal.example.com"));
        assert!(!c.allows_origin("https://evil.example.com"));
        let a = Allocation {
            id: "a8198d79-cfdb".into(),
            job_id: "web/dispatch-1 x".into(),
            ..Default::default()
        };
        let url = expand(&c.links.task[0].url, &a, Some("envoy.proxy&x=<y>"));
        assert_eq!(url, "https://logs.example.com/?alloc=a8198d79-cfdb&task=envoy.proxy%26x%3D%3Cy%3E&job=web%2Fdispatch-1%20x");
    }

    #[test]
    fn mistakes_are_named_with_their_place() {
        let e = Config::parse(b"{\n  \"source\": 42\n}").unwrap_err();
        assert_eq!((e.line, e.path.as_str()), (2, "$.source"));
        assert!(e.to_string().starts_with("config.json, line 2"), "{e}");
        let e = Config::parse(b"{\"sorce\": \"x\"}").unwrap_err();
        assert!(e.message.contains("unknown field `sorce`"), "{}", e.message);
        let e =
            Config::parse(br#"{"links": {"task": [{"label": "x", "url": "javascript:alert(1)//{task}"}]}}"#)
                .unwrap_err();
        assert_eq!(e.path, "$.links.task[0].url");
        assert!(e.message.contains("http or https"));
        let e = Config::parse(br#"{"links": {"allocation": [{"label": "x", "url": "https://x/{alloc}"}]}}"#)
            .unwrap_err();
        assert!(e.message.contains("unknown placeholder {alloc}"));
        let e =
            Config::parse(br#"{"allowed_parent_origins": ["https://portal.example.com/app"]}"#).unwrap_err();
        assert!(e.message.contains("is not an origin"));
        let e = Config::parse(b"{\"title\": \"x\",}").unwrap_err();
        assert!(e.message.contains("trailing comma"));
        assert_eq!(Config::parse(b"{}").unwrap(), Config::default());
        assert!(
            Config::parse(br#"{"links": {"task": [{"label": "rel", "url": "/logs?task={task}"}]}}"#).is_ok()
        );
    }
}
