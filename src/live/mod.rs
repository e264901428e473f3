//! Live datasources: the user's own databases, named in `dana.toml` and reached through
//! sqlx, strictly read-only.
//!
//! Read-only by construction, at the database, not by trusting the SQL:
//! - PostgreSQL: every session starts with `default_transaction_read_only=on` (sent in
//!   the startup packet) and a `statement_timeout`; every statement runs in its own
//!   `BEGIN READ ONLY` transaction with `SET LOCAL` limits after a session reset
//!   ([`session`]).
//! - MySQL/MariaDB: every session runs `SET SESSION TRANSACTION READ ONLY` and a
//!   statement time limit (`max_statement_time` on MariaDB, `max_execution_time` on MySQL);
//!   every statement runs in `START TRANSACTION READ ONLY`.
//! - SQLite: the file is opened `mode=ro` with `PRAGMA query_only = ON` (and a `REGEXP`
//!   function registered for pattern checks).
//! - A role that is a superuser or can write to the schema is refused unless the
//!   datasource sets `allow_write_capable_role = true` (logged, shown by list_datasources).
//!
//! On top of that every statement built from templates or given by the agent passes ONE
//! gate ([`guard::verify`]): one read-only query, no side-effect function, confined to the
//! configured schema(s). Results stop at the row cap, a client-side deadline backs the
//! server's timeout, and a statement dana stops waiting for is cancelled on the server.
//! The agent passes names, never URLs; a URL (and its password) never appears in
//! a result, an error or a log line: every database message is redacted here.

mod bind;
mod decode;
pub mod guard;
pub mod introspect;
pub mod session;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use futures::TryStreamExt;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sqlx::mysql::{MySqlConnectOptions, MySqlPool, MySqlPoolOptions, MySqlRow};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions, PgRow};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions, SqliteRow};
use sqlx::{Column, Executor, Row, ValueRef as _};
use tokio::sync::{Mutex, OnceCell};

use crate::config::{DatasourceConfig, Workspace};
use crate::error::{Error, Result};

pub use bind::bind_checks;
pub use introspect::introspect;
use session::{Cancel, Checkout, Conn, Facts};

/// Statement timeout when `dana.toml` gives none.
pub const DEFAULT_STATEMENT_TIMEOUT_MS: u64 = 30_000;
/// Row cap when `dana.toml` gives none. The profile's sample is a query like any other, so
/// the cap also bounds it: the default equals the default sample.
pub const DEFAULT_ROW_CAP: u64 = 10_000;
/// Tables up to this many rows get exact distinct counts by default.
pub const DEFAULT_EXACT_DISTINCT_MAX_ROWS: u64 = 1_000_000;
/// Rows sampled for top values and estimated distinct counts by default.
pub const DEFAULT_SAMPLE_ROWS: u64 = 10_000;
/// Pooled connections per datasource by default.
pub const DEFAULT_MAX_CONNECTIONS: u32 = 4;
/// How long to wait for a connection by default.
pub const DEFAULT_CONNECT_TIMEOUT_MS: u64 = 10_000;

/// The database engine behind a datasource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Engine {
    /// PostgreSQL.
    Postgres,
    /// MySQL or MariaDB.
    Mysql,
    /// SQLite.
    Sqlite,
}

impl Engine {
    /// The dialect name used for SQL generation.
    pub fn dialect(self) -> &'static str {
        match self {
            Engine::Postgres => "postgres",
            Engine::Mysql => "mysql",
            Engine::Sqlite => "sqlite",
        }
    }
}

/// What failed when a datasource statement failed: decides whether the rest of the work
/// can go on (one statement failed) or must stop (the datasource timed out or went away).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// One statement failed (refused, invalid, unreadable result); others may still run.
    Statement,
    /// The statement ran past a timeout: too much work, or a lock another session holds.
    Timeout,
    /// The datasource cannot be used: misconfigured, unreachable, or the connection was
    /// lost mid-statement (server restarted, backend terminated, network dropped).
    Unavailable,
}

/// The failure class of `e`, when it is a datasource error.
pub fn failure(e: &Error) -> Option<Failure> {
    match e {
        Error::Datasource { failure, .. } => Some(*failure),
        _ => None,
    }
}

/// `e` with `what` (the work that failed: `profiling \`orders\``) before its message.
pub fn context(e: Error, what: &str) -> Error {
    match e {
        Error::Datasource {
            name,
            message,
            failure,
        } => Error::Datasource {
            name,
            message: format!("{what}: {message}"),
            failure,
        },
        other => other,
    }
}

/// Limits applied to every statement of a datasource.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema)]
pub struct Limits {
    /// Statement timeout, milliseconds.
    pub statement_timeout_ms: u64,
    /// Most rows any query returns (samples and failing keys included).
    pub row_cap: u64,
    /// Tables up to this many rows get exact distinct counts.
    pub exact_distinct_max_rows: u64,
    /// Above this many rows, means, text statistics and unindexed numeric min/max come
    /// from the sample too; `None` (the default): always exact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exact_stats_max_rows: Option<u64>,
    /// Rows sampled for top values and estimated distinct counts (at most `row_cap`).
    pub sample_rows: u64,
    /// How long to wait for a connection, milliseconds.
    pub connect_timeout_ms: u64,
}

/// One cell of a result row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Cell {
    /// SQL NULL.
    Null,
    /// Boolean.
    Bool(bool),
    /// Integer.
    Int(i64),
    /// Floating point.
    Float(f64),
    /// Text (anything else is cast to text by the SQL dana generates).
    Text(String),
}

impl Cell {
    /// As a number, when it is one (or a numeric text).
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Cell::Int(i) => Some(*i as f64),
            Cell::Float(f) => Some(*f),
            Cell::Text(t) => t.trim().parse().ok(),
            Cell::Bool(b) => Some(f64::from(u8::from(*b))),
            Cell::Null => None,
        }
    }

    /// As an integer, when it is one.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Cell::Int(i) => Some(*i),
            Cell::Float(f) if f.fract() == 0.0 => Some(*f as i64),
            Cell::Text(t) => t.trim().parse().ok(),
            Cell::Bool(b) => Some(i64::from(*b)),
            _ => None,
        }
    }

    /// As text (numbers formatted), `None` for NULL.
    pub fn as_text(&self) -> Option<String> {
        match self {
            Cell::Null => None,
            Cell::Bool(b) => Some(b.to_string()),
            Cell::Int(i) => Some(i.to_string()),
            Cell::Float(f) => Some(f.to_string()),
            Cell::Text(t) => Some(t.clone()),
        }
    }
}

/// A bind parameter.
#[derive(Debug, Clone)]
pub enum Bind {
    /// Text value.
    Text(String),
    /// Integer value.
    Int(i64),
}

/// Rows returned by a query, capped.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct Rows {
    /// Column names.
    pub columns: Vec<String>,
    /// Rows, at most the row cap.
    pub rows: Vec<Vec<Cell>>,
    /// Whether more rows were available than the cap allowed.
    pub truncated: bool,
}

impl Rows {
    /// The cell of the first row in the named column.
    pub fn first(&self, column: &str) -> Option<&Cell> {
        let i = self
            .columns
            .iter()
            .position(|c| c.eq_ignore_ascii_case(column))?;
        self.rows.first().and_then(|r| r.get(i))
    }
}

/// What `list_datasources` shows of one datasource: never a URL.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct DatasourceInfo {
    /// Name in `dana.toml`.
    pub name: String,
    /// Engine, when known from the configuration.
    pub engine: Option<Engine>,
    /// Whether `SELECT 1` answered.
    pub reachable: bool,
    /// Server version, when reachable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_version: Option<String>,
    /// Why it is not reachable or not usable (redacted).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Limits applied to its statements.
    pub limits: Limits,
    /// Schemas (databases on MySQL) its statements are confined to, when known.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub schemas: Vec<String>,
    /// Why its role could write (superuser, CREATE on the schema, INSERT on a table),
    /// accepted because the datasource sets `allow_write_capable_role = true`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub write_capable_role: Option<String>,
}

enum Pool {
    Postgres(PgPool),
    Mysql(MySqlPool),
    Sqlite(SqlitePool),
}

/// An open (lazily connected) datasource.
pub struct Datasource {
    /// Name in `dana.toml`.
    pub name: String,
    /// Engine.
    pub engine: Engine,
    /// Limits.
    pub limits: Limits,
    /// Schema or database to introspect (`None`: the connection's current one).
    pub schema: Option<String>,
    /// More schemas statements may read (`schemas` in dana.toml).
    extra_schemas: Vec<String>,
    /// `allow_write_capable_role` in dana.toml.
    allow_write_capable_role: bool,
    /// Learned once: confinement and the role's write capability.
    facts: OnceCell<Arc<Facts>>,
    pool: Pool,
    /// Strings that must never leave this module (URL, password, user:password).
    secrets: Vec<String>,
}

impl std::fmt::Debug for Datasource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Datasource")
            .field("name", &self.name)
            .field("engine", &self.engine)
            .finish_non_exhaustive()
    }
}

/// The datasources of a workspace, opened on first use and pooled.
pub struct Registry {
    root: PathBuf,
    configs: BTreeMap<String, DatasourceConfig>,
    open: Mutex<HashMap<String, Arc<Datasource>>>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry")
            .field("names", &self.configs.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl Registry {
    /// The datasources configured in the workspace's `dana.toml`.
    pub fn new(workspace: &Workspace) -> Self {
        Registry {
            root: workspace.root.clone(),
            configs: workspace.config.datasources.clone(),
            open: Mutex::new(HashMap::new()),
        }
    }

    /// Configured names, sorted.
    pub fn names(&self) -> Vec<String> {
        self.configs.keys().cloned().collect()
    }

    /// The datasource called `name`; an unknown name is an error listing the configured ones.
    pub async fn get(&self, name: &str) -> Result<Arc<Datasource>> {
        let Some(config) = self.configs.get(name) else {
            if self.configs.is_empty() {
                return Err(Error::NotFound {
                    what: "datasource",
                    name: name.to_string(),
                    hint: "; no datasource is configured: add `[datasources.NAME]` with `url_env` or `path` to dana.toml".to_string(),
                });
            }
            return Err(Error::not_found("datasource", name, self.configs.keys()));
        };
        let mut open = self.open.lock().await;
        if let Some(ds) = open.get(name) {
            return Ok(ds.clone());
        }
        let ds = Arc::new(Datasource::open(&self.root, name, config)?);
        open.insert(name.to_string(), ds.clone());
        Ok(ds)
    }

    /// Every configured datasource with its engine and whether it answers (no URLs).
    /// Pings run concurrently.
    pub async fn list(&self) -> Vec<DatasourceInfo> {
        let pings = self.configs.iter().map(|(name, config)| async move {
            let limits = limits_of(config);
            let (engine, result, facts) = match self.get(name).await {
                Ok(ds) => {
                    let result = ds.ping().await;
                    (Some(ds.engine), result, ds.facts.get().cloned())
                }
                Err(e) => (None, Err(e), None),
            };
            let (reachable, server_version, error) = match result {
                Ok(version) => (true, Some(version), None),
                Err(e) => (false, None, Some(error_text(&e, name))),
            };
            DatasourceInfo {
                name: name.clone(),
                engine,
                reachable,
                server_version,
                error,
                limits,
                schemas: facts
                    .as_ref()
                    .map(|f| f.scope.schemas.clone())
                    .unwrap_or_default(),
                write_capable_role: facts.and_then(|f| f.write_capable.clone()),
            }
        });
        futures::future::join_all(pings).await
    }
}

/// The message of an error without the `datasource `x`: ` prefix.
fn error_text(e: &Error, name: &str) -> String {
    let text = format!("{e:#}");
    let prefix = format!("datasource `{name}`: ");
    text.strip_prefix(&prefix)
        .map(str::to_string)
        .unwrap_or(text)
}

fn limits_of(config: &DatasourceConfig) -> Limits {
    Limits {
        statement_timeout_ms: config
            .statement_timeout_ms
            .filter(|ms| *ms > 0)
            .unwrap_or(DEFAULT_STATEMENT_TIMEOUT_MS),
        row_cap: config.row_cap.filter(|n| *n > 0).unwrap_or(DEFAULT_ROW_CAP),
        exact_distinct_max_rows: config
            .exact_distinct_max_rows
            .unwrap_or(DEFAULT_EXACT_DISTINCT_MAX_ROWS),
        exact_stats_max_rows: config.exact_stats_max_rows,
        sample_rows: config
            .sample_rows
            .filter(|n| *n > 0)
            .unwrap_or(DEFAULT_SAMPLE_ROWS),
        connect_timeout_ms: config
            .connect_timeout_ms
            .filter(|n| *n > 0)
            .unwrap_or(DEFAULT_CONNECT_TIMEOUT_MS),
    }
}

impl Datasource {
    /// Builds the pool for `config` without connecting (the first query connects).
    pub fn open(root: &std::path::Path, name: &str, config: &DatasourceConfig) -> Result<Self> {
        let fail = |message: String| Error::Datasource {
            name: name.to_string(),
            message,
            failure: Failure::Unavailable,
        };
        let limits = limits_of(config);
        let max_connections = config
            .max_connections
            .filter(|n| *n > 0)
            .unwrap_or(DEFAULT_MAX_CONNECTIONS);
        let connect_timeout = Duration::from_millis(limits.connect_timeout_ms);
        let (url, secrets) = match (&config.url_env, &config.path) {
            (Some(_), Some(_)) => {
                return Err(fail(
                    "give either `url_env` or `path` in dana.toml, not both".to_string(),
                ));
            }
            (None, None) => {
                return Err(fail(
                    "needs `url_env = \"ENV_VAR\"` (PostgreSQL, MySQL/MariaDB) or `path = \"file.db\"` (SQLite) in dana.toml".to_string(),
                ));
            }
            (None, Some(path)) => {
                let path = if path.is_absolute() {
                    path.clone()
                } else {
                    root.join(path)
                };
                (format!("sqlite:{}", path.display()), Vec::new())
            }
            (Some(var), None) => {
                let url = std::env::var(var)
                    .ok()
                    .filter(|u| !u.trim().is_empty())
                    .ok_or_else(|| {
                        fail(format!(
                            "environment variable `{var}` (from `url_env`) is not set"
                        ))
                    })?;
                let secrets = secrets_of(&url);
                (url, secrets)
            }
        };
        let redact_all = |text: String| redact(&text, &secrets);
        let scheme = url
            .split(':')
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        let timeout_ms = limits.statement_timeout_ms;
        let (engine, pool) = match scheme.as_str() {
            "postgres" | "postgresql" => {
                let options = PgConnectOptions::from_str(&url)
                    .map_err(|e| {
                        fail(format!(
                            "invalid PostgreSQL URL: {}",
                            redact_all(e.to_string())
                        ))
                    })?
                    .application_name("dana")
                    .options([
                        ("default_transaction_read_only", "on".to_string()),
                        ("statement_timeout", timeout_ms.to_string()),
                        (
                            "idle_in_transaction_session_timeout",
                            timeout_ms.to_string(),
                        ),
                        // The session default whatever the role's: statements are parsed
                        // by the query gate as the server parses them (every transaction
                        // sets it again, locally).
                        ("standard_conforming_strings", "on".to_string()),
                        // `ROLLBACK` at checkout warns when no transaction is open.
                        ("client_min_messages", "error".to_string()),
                    ]);
                let pool = PgPoolOptions::new()
                    .max_connections(max_connections)
                    .acquire_timeout(connect_timeout)
                    .connect_lazy_with(options);
                (Engine::Postgres, Pool::Postgres(pool))
            }
            "mysql" | "mariadb" => {
                let url = if scheme == "mariadb" {
                    format!("mysql{}", &url["mariadb".len()..])
                } else {
                    url.clone()
                };
                let options = MySqlConnectOptions::from_str(&url).map_err(|e| {
                    fail(format!("invalid MySQL URL: {}", redact_all(e.to_string())))
                })?;
                let pool = MySqlPoolOptions::new()
                    .max_connections(max_connections)
                    .acquire_timeout(connect_timeout)
                    .after_connect(move |conn, _meta| {
                        Box::pin(async move {
                            conn.execute("SET SESSION TRANSACTION READ ONLY").await?;
                            // The query gate lexes strings and names as MySQL does by
                            // default: backslash escapes on, `"` a string quote.
                            let mode: String = sqlx::query_scalar("SELECT @@SESSION.sql_mode")
                                .fetch_one(&mut *conn)
                                .await?;
                            let kept: Vec<&str> = mode
                                .split(',')
                                .filter(|m| {
                                    !m.is_empty()
                                        && !matches!(
                                            m.to_ascii_uppercase().as_str(),
                                            "NO_BACKSLASH_ESCAPES" | "ANSI_QUOTES" | "ANSI"
                                        )
                                        && m.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                                })
                                .collect();
                            if kept.len() != mode.split(',').filter(|m| !m.is_empty()).count() {
                                // Mode names only ([A-Z_]), checked above.
                                conn.execute(crate::dialect::ident::assert_sql_safe(format!(
                                    "SET SESSION sql_mode = '{}'",
                                    kept.join(",")
                                )))
                                .await?;
                            }
                            let version: String = sqlx::query_scalar("SELECT VERSION()")
                                .fetch_one(&mut *conn)
                                .await?;
                            // Integers only: the audited dynamic text of this module.
                            // MariaDB's subquery cache looks a correlated subquery's result
                            // up by the outer value under the column's collation: the check
                            // for `Usa` would reuse the one for `usa`, though the checks
                            // compare text byte for byte (orphan keys miscounted). Off.
                            let limit = if version.to_ascii_lowercase().contains("mariadb") {
                                format!(
                                    "SET SESSION max_statement_time = {}.{:03}, optimizer_switch = 'subquery_cache=off'",
                                    timeout_ms / 1000,
                                    timeout_ms % 1000
                                )
                            } else {
                                format!("SET SESSION max_execution_time = {timeout_ms}")
                            };
                            conn.execute(crate::dialect::ident::assert_sql_safe(limit))
                                .await?;
                            Ok(())
                        })
                    })
                    .connect_lazy_with(options);
                (Engine::Mysql, Pool::Mysql(pool))
            }
            "sqlite" => {
                let path = url
                    .trim_start_matches("sqlite:")
                    .trim_start_matches("//")
                    .split('?')
                    .next()
                    .unwrap_or_default()
                    .to_string();
                if !std::path::Path::new(&path).is_file() {
                    return Err(fail(format!("SQLite file `{path}` does not exist")));
                }
                let options = SqliteConnectOptions::new()
                    .filename(&path)
                    .read_only(true)
                    .create_if_missing(false)
                    .pragma("query_only", "ON")
                    // `x REGEXP 'p'` for pattern checks (Rust `regex` syntax).
                    .with_regexp()
                    .busy_timeout(Duration::from_millis(timeout_ms.min(5_000)));
                let pool = SqlitePoolOptions::new()
                    .max_connections(max_connections)
                    .acquire_timeout(connect_timeout)
                    .connect_lazy_with(options);
                (Engine::Sqlite, Pool::Sqlite(pool))
            }
            other => {
                return Err(fail(format!(
                    "unsupported URL scheme `{other}`; supported: `postgres`, `postgresql`, `mysql`, `mariadb`, `sqlite`"
                )));
            }
        };
        Ok(Datasource {
            name: name.to_string(),
            engine,
            limits,
            schema: config.schema.clone(),
            extra_schemas: config.schemas.clone(),
            allow_write_capable_role: config.allow_write_capable_role,
            facts: OnceCell::new(),
            pool,
            secrets,
        })
    }

    /// Removes credentials from a message.
    pub fn redact(&self, text: &str) -> String {
        redact(text, &self.secrets)
    }

    fn db_error(&self, e: sqlx::Error) -> Error {
        let (failure, message) = classify(&e);
        if failure == Failure::Timeout && message.is_none() {
            return self.timeout_error();
        }
        let message = match &e {
            sqlx::Error::PoolTimedOut => format!(
                "could not get a connection in time ({} ms; is the server up and reachable?)",
                self.limits.connect_timeout_ms
            ),
            _ => message.unwrap_or_else(|| e.to_string()),
        };
        Error::Datasource {
            name: self.name.clone(),
            message: self.redact(&message),
            failure,
        }
    }

    fn timeout_error(&self) -> Error {
        Error::Datasource {
            name: self.name.clone(),
            message: format!(
                "statement cancelled after the timeout of {} ms (a lock held by another session, or too much work); narrow the work (fewer tables or checks), retry when the lock is released, or raise `statement_timeout_ms` in dana.toml",
                self.limits.statement_timeout_ms
            ),
            failure: Failure::Timeout,
        }
    }

    /// `SELECT 1` and the server version (after learning the datasource's facts, so a
    /// refused role shows here).
    pub async fn ping(&self) -> Result<String> {
        self.facts().await?;
        let sql = match self.engine {
            Engine::Postgres => "SELECT version() AS v",
            Engine::Mysql => "SELECT VERSION() AS v",
            Engine::Sqlite => "SELECT 'SQLite ' || sqlite_version() AS v",
        };
        let rows = self.run(sql.to_string(), &[], 1).await?;
        Ok(rows.first("v").and_then(Cell::as_text).unwrap_or_default())
    }

    /// Confinement and role facts, learned on first use. A role that could write is an
    /// error unless the configuration accepts it.
    pub async fn facts(&self) -> Result<Arc<Facts>> {
        self.facts
            .get_or_try_init(|| async { self.learn().await.map(Arc::new) })
            .await
            .cloned()
    }

    async fn learn(&self) -> Result<Facts> {
        let unusable = |message: String| Error::Datasource {
            name: self.name.clone(),
            message,
            failure: Failure::Unavailable,
        };
        let current = match self.engine {
            Engine::Postgres => "SELECT current_schema()::text AS s",
            Engine::Mysql => "SELECT DATABASE() AS s",
            Engine::Sqlite => "SELECT 'main' AS s",
        };
        let current = self
            .run(current.to_string(), &[], 1)
            .await?
            .first("s")
            .and_then(Cell::as_text);
        let schemas = if self.engine == Engine::Sqlite {
            vec!["main".to_string()]
        } else {
            let primary = self
                .schema
                .clone()
                .or_else(|| current.clone())
                .ok_or_else(|| {
                    unusable(
                        "the connection has no current schema/database; set `schema` in dana.toml"
                            .to_string(),
                    )
                })?;
            let mut schemas = vec![primary];
            for extra in &self.extra_schemas {
                if !schemas.contains(extra) {
                    schemas.push(extra.clone());
                }
            }
            for schema in &schemas {
                if guard::is_system_schema(schema) {
                    return Err(unusable(format!(
                        "`{schema}` in `schema`/`schemas` is a system catalog; dana never reads one: name the schema holding your tables"
                    )));
                }
            }
            schemas
        };
        let scope = guard::Scope::new(self.engine, schemas);
        let (write_capable, loose_text) = self.write_capability(&scope).await?;
        if let Some(reason) = &write_capable {
            if !self.allow_write_capable_role {
                return Err(unusable(format!(
                    "refused: the datasource's role {reason}; dana's read-only promise must not rest on dana alone. Connect with a role that can only read the schema (GRANT SELECT/USAGE), or set `allow_write_capable_role = true` under `[datasources.{}]` in dana.toml to accept it (logged and shown by list_datasources)",
                    self.name
                )));
            }
            tracing::warn!(datasource = %self.name, role = %reason, "write-capable role accepted by `allow_write_capable_role = true`");
        }
        Ok(Facts {
            scope,
            write_capable,
            loose_text,
        })
    }

    /// Why the connection's role could write (`None`: it cannot), and on PostgreSQL the
    /// columns in scope whose equality is not byte for byte (asked in the same round trip:
    /// [`Facts::loose_text`]).
    async fn write_capability(
        &self,
        scope: &guard::Scope,
    ) -> Result<(Option<String>, BTreeSet<(String, String, String)>)> {
        let schemas = scope.schemas.join("\u{1f}");
        match self.engine {
            Engine::Postgres => {
                let rows = self
                    .run(
                        "SELECT current_user::text AS who, r.rolsuper AS su, \
                         COALESCE((SELECT bool_or(has_schema_privilege(n.oid, 'CREATE')) FROM pg_namespace n \
                           WHERE n.nspname = ANY(string_to_array($1, chr(31)))), false) AS can_create, \
                         (SELECT min(n.nspname || '.' || c.relname) FROM pg_class c \
                           JOIN pg_namespace n ON n.oid = c.relnamespace \
                           WHERE n.nspname = ANY(string_to_array($1, chr(31))) AND c.relkind IN ('r', 'p', 'v', 'm', 'f') \
                           AND has_table_privilege(c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE')) AS writable, \
                         (pg_has_role('pg_write_server_files', 'MEMBER') OR pg_has_role('pg_execute_server_program', 'MEMBER')) AS files, \
                         (SELECT string_agg(n.nspname || chr(31) || c.relname || chr(31) || a.attname, chr(30)) \
                           FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid \
                           JOIN pg_namespace n ON n.oid = c.relnamespace \
                           JOIN pg_type t ON t.oid = a.atttypid \
                           LEFT JOIN pg_collation co ON co.oid = a.attcollation \
                           WHERE n.nspname = ANY(string_to_array($1, chr(31))) AND c.relkind IN ('r', 'p', 'v', 'm', 'f') \
                           AND a.attnum > 0 AND NOT a.attisdropped \
                           AND (t.typname = 'citext' OR NOT COALESCE(co.collisdeterministic, true))) AS loose \
                         FROM pg_roles r WHERE r.rolname = current_user"
                            .to_string(),
                        &[Bind::Text(schemas)],
                        1,
                    )
                    .await?;
                let who = rows
                    .first("who")
                    .and_then(Cell::as_text)
                    .unwrap_or_default();
                let yes = |c: &str| rows.first(c) == Some(&Cell::Bool(true));
                let loose = rows
                    .first("loose")
                    .and_then(Cell::as_text)
                    .unwrap_or_default()
                    .split('\u{1e}')
                    .filter_map(|entry| {
                        let mut parts = entry.split('\u{1f}').map(str::to_string);
                        Some((parts.next()?, parts.next()?, parts.next()?))
                    })
                    .collect();
                let why = if yes("su") {
                    Some(format!("`{who}` is a superuser"))
                } else if yes("files") {
                    Some(format!("`{who}` may write server files or run programs"))
                } else if yes("can_create") {
                    Some(format!("`{who}` may CREATE in the schema"))
                } else {
                    rows.first("writable")
                        .and_then(Cell::as_text)
                        .map(|t| format!("`{who}` may INSERT/UPDATE/DELETE/TRUNCATE `{t}`"))
                };
                Ok((why, loose))
            }
            Engine::Mysql => {
                let rows = self.run("SHOW GRANTS".to_string(), &[], u64::MAX).await?;
                for row in &rows.rows {
                    let Some(grant) = row.first().and_then(Cell::as_text) else {
                        continue;
                    };
                    if let Some(reason) = mysql_write_grant(&grant, &scope.schemas) {
                        return Ok((Some(reason), BTreeSet::new()));
                    }
                }
                Ok((None, BTreeSet::new()))
            }
            Engine::Sqlite => Ok((None, BTreeSet::new())),
        }
    }

    /// Runs one statement built by dana's templates (workspace overrides included) or
    /// given by the agent, and returns at most `row_cap` rows. It must pass the query
    /// gate ([`guard::verify`]): one read-only query confined to the configured schemas;
    /// anything else is refused before it is sent.
    pub async fn fetch(&self, sql: &str, binds: &[Bind]) -> Result<Rows> {
        self.fetch_capped(sql, binds, self.limits.row_cap).await
    }

    /// Like [`Datasource::fetch`] with a smaller cap (samples, failing keys); the row cap
    /// still bounds it.
    pub async fn fetch_capped(&self, sql: &str, binds: &[Bind], cap: u64) -> Result<Rows> {
        let facts = self.facts().await?;
        guard::verify(&facts.scope, sql).map_err(|message| Error::Datasource {
            name: self.name.clone(),
            message,
            failure: Failure::Statement,
        })?;
        self.session(
            sql.to_string(),
            binds,
            cap.min(self.limits.row_cap),
            Some(&facts.scope),
        )
        .await
    }

    /// A static catalog query of dana's own (plan statistics): not confined, since its
    /// text is fixed at compile time and only bind values vary.
    pub async fn fetch_catalog(&self, sql: &'static str, binds: &[Bind]) -> Result<Rows> {
        self.facts().await?;
        self.run(sql.to_string(), binds, self.limits.row_cap).await
    }

    /// Introspection and internal statements (static text with bind parameters).
    pub(crate) async fn run(&self, sql: String, binds: &[Bind], cap: u64) -> Result<Rows> {
        self.session(sql, binds, cap, None).await
    }

    async fn session(
        &self,
        sql: String,
        binds: &[Bind],
        cap: u64,
        scope: Option<&guard::Scope>,
    ) -> Result<Rows> {
        let started = Instant::now();
        // Client-side deadline backing the server's own timeout; when it hits, the
        // statement is cancelled on the server (see `session::Checkout`).
        let deadline = Duration::from_millis(self.limits.statement_timeout_ms + 2_000);
        let work = self.run_inner(sql, binds, cap, scope);
        let result = match tokio::time::timeout(deadline, work).await {
            Ok(result) => result,
            Err(_) => Err(self.timeout_error()),
        };
        tracing::debug!(datasource = %self.name, ms = started.elapsed().as_millis() as u64, ok = result.is_ok(), "live query");
        result
    }

    async fn run_inner(
        &self,
        sql: String,
        binds: &[Bind],
        cap: u64,
        scope: Option<&guard::Scope>,
    ) -> Result<Rows> {
        macro_rules! fetch {
            ($conn:expr, $decode:ident) => {{
                // dana-generated SQL (identifiers and literals from the dialect layer),
                // checked by the query gate, or static introspection text.
                let mut query = sqlx::query(crate::dialect::ident::assert_sql_safe(sql));
                for bind in binds {
                    query = match bind {
                        Bind::Text(t) => query.bind(t.clone()),
                        Bind::Int(i) => query.bind(*i),
                    };
                }
                let mut stream = query.fetch($conn);
                let mut out = Rows::default();
                let mut failed = None;
                loop {
                    let row = match stream.try_next().await {
                        Ok(Some(row)) => row,
                        Ok(None) => break,
                        Err(e) => {
                            failed = Some(self.db_error(e));
                            break;
                        }
                    };
                    if out.columns.is_empty() {
                        out.columns = row.columns().iter().map(|c| c.name().to_string()).collect();
                    }
                    if out.rows.len() as u64 >= cap {
                        out.truncated = true;
                        break;
                    }
                    let mut cells = Vec::with_capacity(row.len());
                    for i in 0..row.len() {
                        match $decode(&row, i) {
                            Ok(cell) => cells.push(cell),
                            Err(m) => {
                                failed = Some(Error::Datasource {
                                    name: self.name.clone(),
                                    message: m,
                                    failure: Failure::Statement,
                                });
                                break;
                            }
                        }
                    }
                    if failed.is_some() {
                        break;
                    }
                    out.rows.push(cells);
                }
                drop(stream);
                match failed {
                    Some(e) => Err(e),
                    None => Ok(out),
                }
            }};
        }
        let lost = |what: &str| Error::Datasource {
            name: self.name.clone(),
            message: lost(what),
            failure: Failure::Unavailable,
        };
        let mut checkout = Checkout {
            conn: None,
            cancel: None,
            name: self.name.clone(),
        };
        match &self.pool {
            Pool::Postgres(pool) => {
                let preamble = session::pg_preamble(&self.limits, scope)?;
                checkout.conn = Some(Conn::Postgres(
                    pool.acquire().await.map_err(|e| self.db_error(e))?,
                ));
                let Some(Conn::Postgres(conn)) = checkout.conn.as_mut() else {
                    return Err(lost("no connection"));
                };
                let ids = sqlx::raw_sql(crate::dialect::ident::assert_sql_safe(preamble))
                    .fetch_all(&mut **conn)
                    .await
                    .map_err(|e| self.db_error(e))?;
                let pid = ids
                    .last()
                    .and_then(|r| r.try_get::<i32, _>(0).ok())
                    .ok_or_else(|| lost("no backend pid"))?;
                checkout.cancel = Some(Cancel::Postgres {
                    options: pool.connect_options(),
                    pid,
                });
                let result = fetch!(&mut **conn, decode_pg);
                let ended = (&mut **conn).execute("ROLLBACK").await;
                checkout.cancel = None;
                if ended.is_err() {
                    conn.close_on_drop();
                } else {
                    checkout.release().await;
                }
                result
            }
            Pool::Mysql(pool) => {
                checkout.conn = Some(Conn::Mysql(
                    pool.acquire().await.map_err(|e| self.db_error(e))?,
                ));
                let Some(Conn::Mysql(conn)) = checkout.conn.as_mut() else {
                    return Err(lost("no connection"));
                };
                let preamble = session::mysql_preamble(scope)?;
                let ids = sqlx::raw_sql(crate::dialect::ident::assert_sql_safe(preamble))
                    .fetch_all(&mut **conn)
                    .await
                    .map_err(|e| self.db_error(e))?;
                let id = ids
                    .last()
                    .and_then(|r| {
                        r.try_get::<u64, _>(0)
                            .ok()
                            .or_else(|| r.try_get::<i64, _>(0).ok().map(|v| v as u64))
                    })
                    .ok_or_else(|| lost("no connection id"))?;
                checkout.cancel = Some(Cancel::Mysql {
                    options: pool.connect_options(),
                    id,
                });
                let result = fetch!(&mut **conn, decode_mysql);
                let ended = (&mut **conn).execute("ROLLBACK").await;
                checkout.cancel = None;
                if ended.is_err() {
                    conn.close_on_drop();
                } else {
                    checkout.release().await;
                }
                result
            }
            Pool::Sqlite(pool) => {
                checkout.conn = Some(Conn::Sqlite(
                    pool.acquire().await.map_err(|e| self.db_error(e))?,
                ));
                let Some(Conn::Sqlite(conn)) = checkout.conn.as_mut() else {
                    return Err(lost("no connection"));
                };
                let stop = Arc::new(AtomicBool::new(false));
                let until =
                    Instant::now() + Duration::from_millis(self.limits.statement_timeout_ms);
                conn.lock_handle()
                    .await
                    .map_err(|e| self.db_error(e))?
                    .set_progress_handler(1_000, session::sqlite_progress(stop.clone(), until));
                checkout.cancel = Some(Cancel::Sqlite(stop));
                let result = fetch!(&mut **conn, decode_sqlite);
                checkout.cancel = None;
                if let Ok(mut handle) = conn.lock_handle().await {
                    handle.remove_progress_handler();
                }
                checkout.release().await;
                result
            }
        }
    }

    /// Runs a statement through the datasource's connection without the query guard.
    /// Only for tests that prove the database itself refuses writes.
    #[doc(hidden)]
    pub async fn execute_unguarded_for_tests(&self, sql: &'static str) -> Result<()> {
        let result = match &self.pool {
            Pool::Postgres(pool) => pool.execute(sql).await.map(|_| ()),
            Pool::Mysql(pool) => pool.execute(sql).await.map(|_| ()),
            Pool::Sqlite(pool) => pool.execute(sql).await.map(|_| ()),
        };
        result.map_err(|e| self.db_error(e))
    }
}

/// `T` from column `i` when the value's type is one `T` reads (no error built otherwise).
fn read<'r, R, T>(row: &'r R, i: usize, ty: &<R::Database as sqlx::Database>::TypeInfo) -> Option<T>
where
    R: Row,
    T: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    usize: sqlx::ColumnIndex<R>,
{
    if T::compatible(ty) {
        row.try_get::<T, _>(i).ok()
    } else {
        None
    }
}

macro_rules! decoder {
    ($name:ident, $row:ty, $extra:expr) => {
        fn $name(row: &$row, i: usize) -> std::result::Result<Cell, String> {
            // The value's own type picks the decoder: a failed `try_get` formats an
            // error per call, which dominated reading a 20,000-row sample.
            let ty = match row.try_get_raw(i) {
                Ok(raw) if raw.is_null() => return Ok(Cell::Null),
                Ok(raw) => raw.type_info().into_owned(),
                Err(e) => return Err(e.to_string()),
            };
            if let Some(v) = read::<_, String>(row, i, &ty) {
                return Ok(Cell::Text(v));
            }
            if let Some(v) = read::<_, i64>(row, i, &ty) {
                return Ok(Cell::Int(v));
            }
            if let Some(v) = read::<_, i32>(row, i, &ty) {
                return Ok(Cell::Int(i64::from(v)));
            }
            if let Some(v) = read::<_, i16>(row, i, &ty) {
                return Ok(Cell::Int(i64::from(v)));
            }
            if let Some(v) = read::<_, f64>(row, i, &ty) {
                return Ok(Cell::Float(v));
            }
            if let Some(v) = read::<_, f32>(row, i, &ty) {
                return Ok(Cell::Float(f64::from(v)));
            }
            if let Some(v) = read::<_, bool>(row, i, &ty) {
                return Ok(Cell::Bool(v));
            }
            if let Some(v) = read::<_, chrono::DateTime<chrono::Utc>>(row, i, &ty) {
                return Ok(Cell::Text(v.format("%Y-%m-%d %H:%M:%S%.f+00").to_string()));
            }
            if let Some(v) = read::<_, chrono::NaiveDateTime>(row, i, &ty) {
                return Ok(Cell::Text(v.format("%Y-%m-%d %H:%M:%S%.f").to_string()));
            }
            if let Some(v) = read::<_, chrono::NaiveDate>(row, i, &ty) {
                return Ok(Cell::Text(v.to_string()));
            }
            if let Some(v) = read::<_, chrono::NaiveTime>(row, i, &ty) {
                return Ok(Cell::Text(v.to_string()));
            }
            let extra: fn(&$row, usize) -> Option<Cell> = $extra;
            if let Some(cell) = extra(row, i) {
                return Ok(cell);
            }
            let column = row
                .columns()
                .get(i)
                .map(|c| c.name().to_string())
                .unwrap_or_default();
            Err(format!(
                "column `{column}` has a type dana cannot read; cast it to text"
            ))
        }
    };
}

decoder!(decode_pg, PgRow, decode::pg_numeric);
decoder!(decode_sqlite, SqliteRow, |row, i| {
    row.try_get::<Option<Vec<u8>>, _>(i).ok().map(|v| {
        v.map_or(Cell::Null, |b| {
            Cell::Text(String::from_utf8_lossy(&b).into_owned())
        })
    })
});
decoder!(decode_mysql, MySqlRow, |row, i| {
    if let Some(cell) = decode::mysql_unsigned(row, i) {
        return Some(cell);
    }
    // DECIMAL and friends travel as text in the binary protocol.
    row.try_get_unchecked::<Option<String>, _>(i)
        .ok()
        .map(|v| v.map_or(Cell::Null, Cell::Text))
});

/// The failure class of a sqlx error, with the message to show when the error's own text
/// would not say enough (`None` with [`Failure::Timeout`]: the statement timeout).
fn classify(e: &sqlx::Error) -> (Failure, Option<String>) {
    match e {
        sqlx::Error::Database(db) => {
            let code = db.code().map(|c| c.to_string()).unwrap_or_default();
            let message = db.message();
            let number = db
                .try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>()
                .map(|m| m.number());
            // Statement timeouts: PostgreSQL 57014 (also used for cancel requests, hence
            // the message), MariaDB 1969, MySQL 3024.
            // SQLite 9 (SQLITE_INTERRUPT): the progress handler stopped it at the timeout.
            if code == "57014" && message.contains("statement timeout")
                || code == "9" && message.contains("interrupt")
                || matches!(number, Some(1969 | 3024))
                || message.contains("max_statement_time")
                || message.contains("maximum statement execution time")
            {
                return (Failure::Timeout, None);
            }
            let text = if code.is_empty() {
                message.to_string()
            } else {
                format!("{message} (SQLSTATE {code})")
            };
            // A lock wait past the server's own lock timeout: PostgreSQL 55P03, InnoDB 1205.
            if code == "55P03" || number == Some(1205) {
                return (
                    Failure::Timeout,
                    Some(format!(
                        "waited too long for a lock another session holds: {text}"
                    )),
                );
            }
            // Connection exceptions (class 08), shutdown or terminated backends (57P0x),
            // MySQL/MariaDB server shutdown, killed connection, server gone or lost.
            if code.starts_with("08")
                || matches!(code.as_str(), "57P01" | "57P02" | "57P03")
                || matches!(number, Some(1053 | 1927 | 2006 | 2013))
            {
                return (Failure::Unavailable, Some(lost(&text)));
            }
            // Refused credentials or an unknown database: PostgreSQL class 28 and 3D000,
            // MySQL/MariaDB 1044, 1045, 1049.
            if code.starts_with("28")
                || code == "3D000"
                || matches!(number, Some(1044 | 1045 | 1049))
            {
                return (
                    Failure::Unavailable,
                    Some(format!(
                        "{text}; check the user, password and database of the URL in `url_env`"
                    )),
                );
            }
            (Failure::Statement, Some(text))
        }
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::Configuration(_) => (Failure::Unavailable, Some(lost(&e.to_string()))),
        _ => (Failure::Statement, None),
    }
}

fn lost(detail: &str) -> String {
    format!(
        "the connection was lost or refused ({detail}); check that the database is up and reachable, then retry"
    )
}

/// Why a MySQL/MariaDB `SHOW GRANTS` line lets the role write to `schemas` (or anywhere:
/// `*.*`), `None` when it does not.
fn mysql_write_grant(grant: &str, schemas: &[String]) -> Option<String> {
    const WRITE: &[&str] = &[
        "ALL", "INSERT", "UPDATE", "DELETE", "CREATE", "DROP", "ALTER", "FILE", "SUPER",
    ];
    let rest = grant.strip_prefix("GRANT ")?;
    let (privileges, rest) = rest.split_once(" ON ")?;
    let target = rest.split(" TO ").next().unwrap_or_default().trim();
    let writes: Vec<&str> = privileges
        .split(',')
        .map(str::trim)
        .filter(|p| {
            let word = p.split([' ', '(']).next().unwrap_or_default();
            WRITE.contains(&word.to_ascii_uppercase().as_str())
        })
        .collect();
    if writes.is_empty() {
        return None;
    }
    let target = target
        .strip_prefix("FUNCTION ")
        .or_else(|| target.strip_prefix("PROCEDURE "))
        .unwrap_or(target);
    let database = target
        .split('.')
        .next()
        .unwrap_or_default()
        .trim_matches('`');
    let applies = database == "*"
        || schemas
            .iter()
            .any(|s| like(&database.replace("\\_", "\u{1}").replace("\\%", "\u{2}"), s));
    applies.then(|| format!("has `{}` on `{target}`", writes.join(", ")))
}

/// MySQL's LIKE for grant targets: `%` any run, `_` one character; `\u{1}`/`\u{2}` stand for
/// escaped `_`/`%`.
fn like(pattern: &str, text: &str) -> bool {
    fn go(p: &[char], t: &[char]) -> bool {
        match p.split_first() {
            None => t.is_empty(),
            Some(('%', rest)) => (0..=t.len()).any(|i| go(rest, &t[i..])),
            Some((c, rest)) => match t.split_first() {
                Some((d, more)) => {
                    let same = match c {
                        '_' => true,
                        '\u{1}' => *d == '_',
                        '\u{2}' => *d == '%',
                        c => c == d,
                    };
                    same && go(rest, more)
                }
                None => false,
            },
        }
    }
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    go(&p, &t)
}

/// The strings of a URL that must never be shown.
fn secrets_of(url: &str) -> Vec<String> {
    let mut secrets = vec![url.to_string()];
    if let Some((_, rest)) = url.split_once("://") {
        let authority = rest.split(['/', '?']).next().unwrap_or_default();
        if let Some((userinfo, _)) = authority.rsplit_once('@') {
            secrets.push(userinfo.to_string());
            if let Some((_, password)) = userinfo.split_once(':')
                && !password.is_empty()
            {
                secrets.push(password.to_string());
                if let Ok(decoded) = percent_decode(password) {
                    secrets.push(decoded);
                }
            }
        }
    }
    // Longest first so a password inside the URL does not leave URL fragments.
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    secrets.retain(|s| s.len() >= 3);
    secrets
}

fn percent_decode(text: &str) -> std::result::Result<String, ()> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).map_err(|_| ())?;
            out.push(u8::from_str_radix(hex, 16).map_err(|_| ())?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| ())
}

fn redact(text: &str, secrets: &[String]) -> String {
    let mut text = text.to_string();
    for secret in secrets {
        if text.contains(secret.as_str()) {
            text = text.replace(secret.as_str(), "***");
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_redacted() {
        let secrets = secrets_of("postgres://alice:p%40ss-w0rd@db.example:5432/x");
        let text = "failed for postgres://alice:p%40ss-w0rd@db.example:5432/x and p@ss-w0rd";
        let out = redact(text, &secrets);
        assert!(!out.contains("p%40ss-w0rd"), "{out}");
        assert!(!out.contains("p@ss-w0rd"), "{out}");
    }

    #[test]
    fn mysql_grants() {
        let shop = vec!["shop".to_string()];
        let root = "GRANT ALL PRIVILEGES ON *.* TO `root`@`localhost` WITH GRANT OPTION";
        assert!(mysql_write_grant(root, &shop).is_some());
        let reader = "GRANT SELECT ON `shop`.* TO `reader`@`%`";
        assert!(mysql_write_grant(reader, &shop).is_none());
        let usage = "GRANT USAGE ON *.* TO `reader`@`%`";
        assert!(mysql_write_grant(usage, &shop).is_none());
        let writer = "GRANT SELECT, INSERT ON `shop`.`orders` TO `w`@`%`";
        assert!(mysql_write_grant(writer, &shop).is_some());
        let elsewhere = "GRANT INSERT ON `scratch`.* TO `w`@`%`";
        assert!(mysql_write_grant(elsewhere, &shop).is_none());
        let wildcard = "GRANT UPDATE ON `sh%`.* TO `w`@`%`";
        assert!(mysql_write_grant(wildcard, &shop).is_some());
        let escaped = "GRANT UPDATE ON `sh\\_p`.* TO `w`@`%`";
        assert!(mysql_write_grant(escaped, &shop).is_none());
        let file = "GRANT FILE ON *.* TO `w`@`%`";
        assert!(mysql_write_grant(file, &shop).is_some());
    }
}
