//! Live datasources: the user's own databases, named in `dana.toml` and reached through
//! sqlx, strictly read-only.
//!
//! Read-only by construction, at the database, not by trusting the SQL:
//! - PostgreSQL: every session starts with `default_transaction_read_only=on` (sent in
//!   the startup packet) and a `statement_timeout`.
//! - MySQL/MariaDB: every session runs `SET SESSION TRANSACTION READ ONLY` and a
//!   statement time limit (`max_statement_time` on MariaDB, `max_execution_time` on MySQL).
//! - SQLite: the file is opened `mode=ro` with `PRAGMA query_only = ON` (and a `REGEXP`
//!   function registered for pattern checks).
//!
//! On top of that only one statement that parses as a query (or an EXPLAIN of one) is
//! accepted, results stop at the row cap, and a client-side deadline backs the server's
//! timeout. The agent passes names, never URLs; a URL (and its password) never appears in
//! a result, an error or a log line: every database message is redacted here.

mod decode;
pub mod introspect;

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::TryStreamExt;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sqlx::mysql::{MySqlConnectOptions, MySqlPool, MySqlPoolOptions, MySqlRow};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions, PgRow};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions, SqliteRow};
use sqlx::{Column, Executor, Row, ValueRef as _};
use tokio::sync::Mutex;

use crate::config::{DatasourceConfig, Workspace};
use crate::error::{Error, Result};

pub use introspect::introspect;

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
            let (engine, result) = match self.get(name).await {
                Ok(ds) => (Some(ds.engine), ds.ping().await),
                Err(e) => (None, Err(e)),
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
                            let version: String = sqlx::query_scalar("SELECT VERSION()")
                                .fetch_one(&mut *conn)
                                .await?;
                            // Integers only: the audited dynamic text of this module.
                            let limit = if version.to_ascii_lowercase().contains("mariadb") {
                                format!(
                                    "SET SESSION max_statement_time = {}.{:03}",
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

    /// `SELECT 1` and the server version.
    pub async fn ping(&self) -> Result<String> {
        let sql = match self.engine {
            Engine::Postgres => "SELECT version() AS v",
            Engine::Mysql => "SELECT VERSION() AS v",
            Engine::Sqlite => "SELECT 'SQLite ' || sqlite_version() AS v",
        };
        let rows = self.run(sql.to_string(), &[], 1).await?;
        Ok(rows.first("v").and_then(Cell::as_text).unwrap_or_default())
    }

    /// Runs one query dana generated and returns at most `row_cap` rows. The text must
    /// be a single query (or EXPLAIN of one); anything else is refused before it is sent.
    pub async fn fetch(&self, sql: &str, binds: &[Bind]) -> Result<Rows> {
        ensure_single_query(self.engine, sql).map_err(|message| Error::Datasource {
            name: self.name.clone(),
            message,
            failure: Failure::Statement,
        })?;
        self.run(sql.to_string(), binds, self.limits.row_cap).await
    }

    /// Like [`Datasource::fetch`] with a smaller cap (samples, failing keys); the row cap
    /// still bounds it.
    pub async fn fetch_capped(&self, sql: &str, binds: &[Bind], cap: u64) -> Result<Rows> {
        ensure_single_query(self.engine, sql).map_err(|message| Error::Datasource {
            name: self.name.clone(),
            message,
            failure: Failure::Statement,
        })?;
        self.run(sql.to_string(), binds, cap.min(self.limits.row_cap))
            .await
    }

    /// Introspection and internal statements (static text or checked by the caller).
    pub(crate) async fn run(&self, sql: String, binds: &[Bind], cap: u64) -> Result<Rows> {
        let started = Instant::now();
        // Client-side deadline backing the server's own timeout (SQLite has none).
        let deadline = Duration::from_millis(self.limits.statement_timeout_ms + 2_000);
        let work = self.run_inner(sql, binds, cap);
        let result = match tokio::time::timeout(deadline, work).await {
            Ok(result) => result,
            Err(_) => Err(self.timeout_error()),
        };
        tracing::debug!(datasource = %self.name, ms = started.elapsed().as_millis() as u64, ok = result.is_ok(), "live query");
        result
    }

    async fn run_inner(&self, sql: String, binds: &[Bind], cap: u64) -> Result<Rows> {
        macro_rules! fetch {
            ($pool:expr, $decode:ident) => {{
                // dana-generated SQL (identifiers and literals from the dialect layer),
                // checked by `ensure_single_query` or static introspection text.
                let mut query = sqlx::query(crate::dialect::ident::assert_sql_safe(sql));
                for bind in binds {
                    query = match bind {
                        Bind::Text(t) => query.bind(t.clone()),
                        Bind::Int(i) => query.bind(*i),
                    };
                }
                let mut stream = query.fetch($pool);
                let mut out = Rows::default();
                while let Some(row) = stream.try_next().await.map_err(|e| self.db_error(e))? {
                    if out.columns.is_empty() {
                        out.columns = row.columns().iter().map(|c| c.name().to_string()).collect();
                    }
                    if out.rows.len() as u64 >= cap {
                        out.truncated = true;
                        break;
                    }
                    let mut cells = Vec::with_capacity(row.len());
                    for i in 0..row.len() {
                        cells.push($decode(&row, i).map_err(|m| Error::Datasource {
                            name: self.name.clone(),
                            message: m,
                            failure: Failure::Statement,
                        })?);
                    }
                    out.rows.push(cells);
                }
                Ok(out)
            }};
        }
        match &self.pool {
            Pool::Postgres(pool) => fetch!(pool, decode_pg),
            Pool::Mysql(pool) => fetch!(pool, decode_mysql),
            Pool::Sqlite(pool) => fetch!(pool, decode_sqlite),
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
            if code == "57014" && message.contains("statement timeout")
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

/// Refuses anything but one query (or one EXPLAIN of a query), parsed with the engine's
/// dialect.
pub fn ensure_single_query(engine: Engine, sql: &str) -> std::result::Result<(), String> {
    use sqlparser::ast::Statement;
    let dialect = crate::dialect::by_name(engine.dialect()).map_err(|e| e.to_string())?;
    let parsed = crate::dialect::parse::parse(dialect, sql).map_err(|e| {
        format!(
            "refused: the statement does not parse as {} SQL: {e}",
            engine.dialect()
        )
    })?;
    match parsed.as_slice() {
        [Statement::Query(_)] => Ok(()),
        [Statement::Explain { statement, .. }] if matches!(**statement, Statement::Query(_)) => {
            Ok(())
        }
        [_] => Err(
            "refused: only a query (SELECT/WITH) or an EXPLAIN of one runs on a datasource"
                .to_string(),
        ),
        _ => Err(format!(
            "refused: exactly one statement runs at a time, got {}",
            parsed.len()
        )),
    }
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
    fn only_single_queries_pass() {
        assert!(ensure_single_query(Engine::Postgres, "SELECT 1").is_ok());
        assert!(ensure_single_query(Engine::Postgres, "EXPLAIN SELECT 1").is_ok());
        assert!(ensure_single_query(Engine::Postgres, "SELECT 1; DROP TABLE x").is_err());
        assert!(ensure_single_query(Engine::Postgres, "COMMIT").is_err());
        assert!(ensure_single_query(Engine::Mysql, "DELETE FROM t").is_err());
        assert!(ensure_single_query(Engine::Sqlite, "INSERT INTO t VALUES (1)").is_err());
        // The profile's block sample.
        let sample = "SELECT CAST(a AS TEXT) FROM s.t t TABLESAMPLE SYSTEM (0.6000) LIMIT 10";
        assert!(
            ensure_single_query(Engine::Postgres, sample).is_ok(),
            "{:?}",
            ensure_single_query(Engine::Postgres, sample)
        );
    }
}
