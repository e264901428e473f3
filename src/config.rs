//! The workspace (a folder, default the current one) and its optional `dana.toml`.
//! A missing file means defaults; an unknown key is an error naming it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::{Error, Result};

/// Name of the configuration file inside a workspace.
pub const CONFIG_FILE: &str = "dana.toml";

/// `dana.toml`, every key optional.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Toolsets to enable; all when absent.
    pub toolsets: Option<Vec<String>>,
    /// Dialect used when a tool is called without one.
    pub default_dialect: Option<String>,
    /// Folder whose YAML files override the embedded playbooks (default `playbooks/`).
    pub playbooks_dir: Option<PathBuf>,
    /// Folder whose files override the embedded templates (default `templates/`).
    pub templates_dir: Option<PathBuf>,
    /// Folder, inside the workspace, where phase documents are written (default `docs/dana`).
    pub docs_dir: Option<PathBuf>,
    /// Named read-only datasources.
    #[serde(default)]
    pub datasources: BTreeMap<String, DatasourceConfig>,
    /// Streamable HTTP settings.
    #[serde(default)]
    pub http: HttpConfig,
    /// How tool results are sent to MCP clients.
    #[serde(default)]
    pub answers: AnswersConfig,
}

/// `[answers]`: what an MCP tool result carries besides its structured content, and how
/// large it may get.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnswersConfig {
    /// The text content of a result (default `summary`).
    #[serde(default)]
    pub text: TextContent,
    /// Structured content above this many bytes is capped, the full result a resource
    /// away (default 65536).
    pub max_bytes: Option<usize>,
}

impl AnswersConfig {
    /// Default cap of a result's structured content: 64 KiB, about 16,000 tokens.
    pub const DEFAULT_MAX_BYTES: usize = 65_536;

    /// The cap in force (never below 4 KiB: a cap must leave room for an answer).
    pub fn max_bytes(&self) -> usize {
        self.max_bytes.unwrap_or(Self::DEFAULT_MAX_BYTES).max(4_096)
    }
}

/// What the text content of a tool result holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TextContent {
    /// One line: the tool, its scalar facts, the size of its lists (clients that read
    /// structured content, as current agents do, get each fact once).
    #[default]
    Summary,
    /// The structured content again, serialized (MCP's backwards-compatible form, for
    /// clients that read only text).
    Json,
    /// The result's Markdown rendering.
    Markdown,
}

/// One `[datasources.NAME]` table. Exactly one of `url_env` and `path`.
///
/// ```toml
/// [datasources.warehouse]
/// url_env = "WAREHOUSE_URL"      # postgres://…, mysql://…, mariadb://… or sqlite:…
/// schema = "analytics"           # default: the connection's current schema/database
/// schemas = ["reference"]        # more schemas statements may read (default: none)
/// statement_timeout_ms = 30000
/// row_cap = 10000
/// ```
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatasourceConfig {
    /// Environment variable holding the connection URL (never the URL itself).
    pub url_env: Option<String>,
    /// A SQLite database file, relative to the workspace.
    pub path: Option<PathBuf>,
    /// Schema (PostgreSQL) or database (MySQL) to introspect; default the connection's own.
    /// Every statement is confined to it (and `schemas`); system catalogs never qualify.
    pub schema: Option<String>,
    /// More schemas (databases on MySQL) statements may read besides `schema`.
    #[serde(default)]
    pub schemas: Vec<String>,
    /// Accept a role that is a superuser or can write to the schema (refused by default:
    /// read-only then rests on dana alone). Logged as a warning and shown by
    /// `list_datasources`.
    #[serde(default)]
    pub allow_write_capable_role: bool,
    /// Statement timeout in milliseconds.
    pub statement_timeout_ms: Option<u64>,
    /// Maximum rows any query returns (the profile's sample and failing keys included).
    pub row_cap: Option<u64>,
    /// Above this many rows, distinct counts are estimated from a sample.
    pub exact_distinct_max_rows: Option<u64>,
    /// Above this many rows, means, text min/max/lengths and the min/max of numeric
    /// columns no index leads with come from the sample too (default: always exact).
    pub exact_stats_max_rows: Option<u64>,
    /// Rows read for top values and estimated distinct counts (at most `row_cap`).
    pub sample_rows: Option<u64>,
    /// Maximum pooled connections.
    pub max_connections: Option<u32>,
    /// How long to wait for a connection, in milliseconds.
    pub connect_timeout_ms: Option<u64>,
}

/// `[http]`: extra allowed hosts and origins, limits.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpConfig {
    /// Host names (or host:port) accepted besides loopback.
    #[serde(default)]
    pub allowed_hosts: Vec<String>,
    /// Browser origins accepted (`scheme://host:port`); none by default.
    #[serde(default)]
    pub allowed_origins: Vec<String>,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: Option<usize>,
    /// Most requests served at once.
    pub max_concurrency: Option<usize>,
    /// Seconds after which an idle session is closed (default 300).
    pub session_idle_secs: Option<u64>,
    /// Most live sessions; opening one more closes the least recently active (default 1000).
    pub max_sessions: Option<usize>,
    /// Seconds allowed for a request's headers to arrive (default 10).
    pub header_timeout_secs: Option<u64>,
    /// Seconds allowed for a request body to arrive after its headers (default 10).
    pub body_timeout_secs: Option<u64>,
    /// Most open connections from one client address (default 256).
    pub max_connections_per_client: Option<usize>,
    /// Most live sessions of one non-loopback client address (default 100).
    pub max_sessions_per_client: Option<usize>,
    /// Seconds a session stays safe from being closed for another after its last
    /// activity (default 60).
    pub session_protect_secs: Option<u64>,
}

/// A workspace folder with its configuration.
#[derive(Debug, Clone)]
pub struct Workspace {
    /// Absolute path of the workspace folder.
    pub root: PathBuf,
    /// Parsed `dana.toml` (defaults when absent).
    pub config: Config,
}

impl Workspace {
    /// Opens the workspace at `root` (it must exist), reading `dana.toml` if present.
    pub fn open(root: &Path) -> Result<Self> {
        let root = root
            .canonicalize()
            .map_err(|e| Error::io("open workspace", root, e))?;
        let path = root.join(CONFIG_FILE);
        let config = match std::fs::read_to_string(&path) {
            Ok(text) => toml::from_str(&text).map_err(|e| Error::Config {
                path: path.clone(),
                message: e.to_string().trim_end().to_string(),
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Config::default(),
            Err(e) => return Err(Error::io("read", &path, e)),
        };
        Ok(Workspace { root, config })
    }

    /// The playbook override folder.
    pub fn playbooks_dir(&self) -> PathBuf {
        self.resolve(self.config.playbooks_dir.as_deref(), "playbooks")
    }

    /// The template override folder.
    pub fn templates_dir(&self) -> PathBuf {
        self.resolve(self.config.templates_dir.as_deref(), "templates")
    }

    /// Where phase documents are written.
    pub fn docs_dir(&self) -> PathBuf {
        self.resolve(self.config.docs_dir.as_deref(), "docs/dana")
    }

    /// dana's private folder (`.dana/`), holding the default state store.
    pub fn state_dir(&self) -> PathBuf {
        self.root.join(".dana")
    }

    fn resolve(&self, configured: Option<&Path>, default: &str) -> PathBuf {
        match configured {
            Some(p) if p.is_absolute() => p.to_path_buf(),
            Some(p) => self.root.join(p),
            None => self.root.join(default),
        }
    }
}
