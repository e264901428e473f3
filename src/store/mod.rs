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
                redact(&e)
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
        store.migrate().await?;
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
        let row = ProjectRow {
            id: id.to_string(),
            name: name.to_string(),
            description: description.to_string(),
            created_at: now(),
        };
        // Under the protocol lock: the project row and its audit row land together.
        let mut tx = self.begin_locked().await?;
        tx.insert_project(&row).await?;
        tx.append_audit(
            Some(id),
            None,
            "project_started",
            "start_project",
            &serde_json::json!({"name": name, "description": description}),
        )
        .await?;
        tx.commit().await?;
        Ok(row)
    }

    /// The project with this id, if any.
    pub async fn project(&self, id: &str) -> Result<Option<ProjectRow>> {
        let row =
            sqlx::query("SELECT id, name, description, created_at FROM projects WHERE id = $1")
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
            "SELECT id, name, description, created_at FROM projects ORDER BY created_at, id",
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
    })
}

/// Current UTC time, RFC 3339 with milliseconds (sorts as text).
pub fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// An error's text with anything that looks like a URL credential removed.
fn redact(e: &dyn std::fmt::Display) -> String {
    let text = e.to_string();
    let re = regex::Regex::new(r"[a-zA-Z][a-zA-Z0-9+.-]*://[^\s@/]*@").expect("static regex");
    re.replace_all(&text, "<redacted>@").into_owned()
}
