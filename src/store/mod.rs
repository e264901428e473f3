//! The state store: projects and rubric scores now; artifacts, gates and the audit log
//! with the protocol. SQLite at `<workspace>/.dana/state.db` (WAL) by default;
//! `DANA_DATABASE_URL=postgres://…` moves it to PostgreSQL with the same schema. Every
//! write runs in a transaction; migrations are embedded.

pub mod protocol;

use std::path::Path;
use std::str::FromStr;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Row};

use crate::error::{Error, Result};

/// Environment variable that points the store at PostgreSQL.
pub const DATABASE_URL_ENV: &str = "DANA_DATABASE_URL";

/// Which engine holds the state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite file (the default).
    Sqlite,
    /// PostgreSQL, for teams and several `dana serve --http` instances.
    Postgres,
}

/// Handle to the state store.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
}

/// A project row.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ProjectRow {
    /// Project id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Free description.
    pub description: String,
    /// RFC 3339 UTC.
    pub created_at: String,
    /// The audit row vouching for this row (see `protocol::RowDigest`).
    #[serde(skip)]
    pub bound_seq: Option<i64>,
    /// That audit row's hash.
    #[serde(skip)]
    pub bound_hash: Option<String>,
}

/// A stored rubric score.
#[derive(Debug, Clone)]
pub struct ScoreRow {
    /// Row id (increasing).
    pub id: i64,
    /// Total 0-100.
    pub total: i64,
    /// Band id.
    pub band: String,
    /// The full result as JSON.
    pub result: serde_json::Value,
    /// RFC 3339 UTC.
    pub created_at: String,
}

impl Store {
    /// Opens the store for a workspace: `DANA_DATABASE_URL` when set, else the SQLite
    /// file under `<workspace>/.dana/`.
    pub async fn open_for_workspace(state_dir: &Path) -> Result<Self> {
        match std::env::var(DATABASE_URL_ENV) {
            Ok(url) if !url.trim().is_empty() => Self::connect(&url).await,
            _ => {
                std::fs::create_dir_all(state_dir)
                    .map_err(|e| Error::io("create", state_dir, e))?;
                Self::open_sqlite(&state_dir.join("state.db")).await
            }
        }
    }

    /// Opens (creating if needed) a SQLite store file.
    pub async fn open_sqlite(path: &Path) -> Result<Self> {
        let url = format!("sqlite://{}?mode=rwc", path.display());
        Self::connect(&url).await
    }

    /// Connects to `sqlite://…` or `postgres://…` and applies pending migrations.
    pub async fn connect(url: &str) -> Result<Self> {
        // From here on, no error text carries this URL or its password.
        register_secrets(url);
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err(Error::invalid(format!(
                "{DATABASE_URL_ENV}: unsupported scheme (use `postgres://…` or `sqlite://…`)"
            )));
        };
        let options = AnyConnectOptions::from_str(url).map_err(|e| {
            // Never echo the URL: it may hold a password.
            Error::invalid(format!(
                "{DATABASE_URL_ENV}: malformed URL ({})",
                redact(&e.to_string())
            ))
        })?;
        let pool = AnyPoolOptions::new()
            .max_connections(if backend == Backend::Sqlite { 4 } else { 8 })
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        sqlx::query("PRAGMA journal_mode = WAL")
                            .execute(&mut *conn)
                            .await?;
                        sqlx::query("PRAGMA busy_timeout = 10000")
                            .execute(&mut *conn)
                            .await?;
                        sqlx::query("PRAGMA foreign_keys = ON")
                            .execute(&mut *conn)
                            .await?;
                        sqlx::query("PRAGMA synchronous = FULL")
                            .execute(&mut *conn)
                            .await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        let store = Store { pool, backend };
        // Whether this open applies the migration that binds every state row to the chain
        // (`0003_bind_rows`): only then are the rows already there bound, once. A row found
        // unbound later was written outside dana, and `dana audit verify` says so.
        let upgrading = sqlx::query("SELECT 1 FROM _sqlx_migrations WHERE version = 3")
            .fetch_optional(&store.pool)
            .await
            .map_or(true, |row| row.is_none());
        store.migrate().await?;
        let mut bound = 0;
        if upgrading {
            let mut tx = store.begin_locked().await?;
            bound = tx.bind_legacy().await?;
            tx.commit().await?;
        }
        if bound > 0 {
            tracing::info!(
                rows = bound,
                "bound rows written before the binding migration to the audit chain"
            );
        }
        Ok(store)
    }

    async fn migrate(&self) -> Result<()> {
        match self.backend {
            Backend::Sqlite => {
                sqlx::migrate!("src/store/migrations/sqlite")
                    .run(&self.pool)
                    .await?
            }
            Backend::Postgres => {
                sqlx::migrate!("src/store/migrations/postgres")
                    .run(&self.pool)
                    .await?
            }
        }
        Ok(())
    }

    /// The engine behind the store.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The connection pool, for modules that add their own tables.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Creates a project; an existing id is an error.
    pub async fn create_project(
        &self,
        id: &str,
        name: &str,
        description: &str,
    ) -> Result<ProjectRow> {
        let mut row = ProjectRow {
            id: id.to_string(),
            name: name.to_string(),
            description: description.to_string(),
            created_at: now(),
            bound_seq: None,
            bound_hash: None,
        };
        // Under the protocol lock: the project row and its audit row land together.
        let mut tx = self.begin_locked().await?;
        tx.insert_project(
            &mut row,
            protocol::Audit {
                project: Some(id),
                phase: None,
                event: "project_started",
                actor: "start_project",
                payload: serde_json::json!({"name": name, "description": description}),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(row)
    }

    /// The project with this id, if any.
    pub async fn project(&self, id: &str) -> Result<Option<ProjectRow>> {
        let row =
            sqlx::query("SELECT id, name, description, created_at, bound_seq, bound_hash FROM projects WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
        row.map(|r| project_from_row(&r)).transpose()
    }

    /// The project with this id, or a not-found error listing the known ids.
    pub async fn require_project(&self, id: &str) -> Result<ProjectRow> {
        match self.project(id).await? {
            Some(p) => Ok(p),
            None => {
                let known: Vec<String> = self.projects().await?.into_iter().map(|p| p.id).collect();
                Err(Error::not_found("project", id, known))
            }
        }
    }

    /// All projects, oldest first.
    pub async fn projects(&self) -> Result<Vec<ProjectRow>> {
        let rows = sqlx::query(
            "SELECT id, name, description, created_at, bound_seq, bound_hash FROM projects ORDER BY created_at, id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(project_from_row).collect()
    }

    /// Stores a rubric score for a project.
    pub async fn insert_score(
        &self,
        project: &str,
        total: u32,
        band: &str,
        result: &serde_json::Value,
    ) -> Result<i64> {
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query(
            "INSERT INTO scores (project_id, total, band, result, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(project)
        .bind(i64::from(total))
        .bind(band)
        .bind(result.to_string())
        .bind(now())
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(row.try_get(0)?)
    }

    /// The latest score of a project.
    pub async fn latest_score(&self, project: &str) -> Result<Option<ScoreRow>> {
        let row = sqlx::query(
            "SELECT id, total, band, result, created_at FROM scores WHERE project_id = $1 ORDER BY id DESC LIMIT 1",
        )
        .bind(project)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            let result: String = r.try_get(3)?;
            Ok(ScoreRow {
                id: r.try_get(0)?,
                total: r.try_get(1)?,
                band: r.try_get(2)?,
                result: serde_json::from_str(&result)
                    .map_err(|e| Error::invalid(format!("stored score is not JSON: {e}")))?,
                created_at: r.try_get(4)?,
            })
        })
        .transpose()
    }
}

fn project_from_row(r: &sqlx::any::AnyRow) -> Result<ProjectRow> {
    Ok(ProjectRow {
        id: r.try_get(0)?,
        name: r.try_get(1)?,
        description: r.try_get(2)?,
        created_at: r.try_get(3)?,
        bound_seq: r.try_get(4)?,
        bound_hash: r.try_get(5)?,
    })
}

/// Current UTC time, RFC 3339 with milliseconds (sorts as text).
pub fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Secrets of the store URLs connected to in this process (the URL itself, its
/// password raw and percent-decoded): [`redact`] removes them from any text.
static SECRETS: std::sync::RwLock<Vec<String>> = std::sync::RwLock::new(Vec::new());

/// Remembers a store URL's secrets so that [`redact`] can take them out of messages.
pub fn register_secrets(url: &str) {
    let mut found = Vec::new();
    if let Some((_, rest)) = url.split_once("://") {
        let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
        if let Some((userinfo, _)) = authority.rsplit_once('@')
            && let Some((_, password)) = userinfo.split_once(':')
        {
            found.push(url.to_string());
            found.push(password.to_string());
            found.push(percent_decode(password));
        }
    }
    // Key-value forms (`?password=…`, `sslpassword=…`).
    let re = regex::Regex::new(r"(?i)password=([^&\s]+)").expect("static regex");
    for c in re.captures_iter(url) {
        found.push(url.to_string());
        found.push(c[1].to_string());
        found.push(percent_decode(&c[1]));
    }
    // Very short values would garble every message they occur in by chance.
    found.retain(|s| s.chars().count() >= 3);
    if let Ok(mut secrets) = SECRETS.write() {
        for s in found {
            if !secrets.contains(&s) {
                secrets.push(s);
            }
        }
        // Longest first, so a URL goes before the password inside it.
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    }
}

/// `text` without the registered store secrets, without the credentials of any URL
/// (`scheme://user:password@` becomes `scheme://<redacted>@`) and without
/// `password=…` values. Applied to every state-store error before it reaches any output.
pub fn redact(text: &str) -> String {
    let mut text = text.to_string();
    if let Ok(secrets) = SECRETS.read() {
        for s in secrets.iter() {
            if text.contains(s.as_str()) {
                text = text.replace(s.as_str(), "<redacted>");
            }
        }
    }
    let url = regex::Regex::new(r"[a-zA-Z][a-zA-Z0-9+.-]*://[^\s@/]*@").expect("static regex");
    let text = url.replace_all(&text, "<redacted>@");
    let kv = regex::Regex::new(r"(?i)(password\s*[=:]\s*)('[^']*'|\S+)").expect("static regex");
    kv.replace_all(&text, "${1}<redacted>").into_owned()
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && s.is_char_boundary(i + 1)
            && s.is_char_boundary(i + 3)
            && let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16)
        {
            out.push(v);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_survive_redaction() {
        register_secrets("postgres://dana:s3cr%40t-pw@db.example:5432/state?sslpassword=kv-secret");
        let text = "error connecting to postgres://dana:s3cr%40t-pw@db.example:5432/state: \
                    server said: bad password s3cr@t-pw; also kv-secret and password=hunter22";
        let out = redact(text);
        for secret in ["s3cr%40t-pw", "s3cr@t-pw", "kv-secret", "hunter22"] {
            assert!(!out.contains(secret), "{secret} in {out}");
        }
        assert!(out.contains("<redacted>"), "{out}");
    }
}
