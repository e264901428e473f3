//! Live datasources, profiling and quality checks on the real engines.

mod cli;
mod engines;
mod generate;
mod hardening;
mod live;
mod pii;
mod property;
mod sample;
mod seeds;
mod semantics;
mod suggest;
mod suites;

use std::sync::Arc;

use dana::App;

use crate::common::Harness;

/// A harness whose workspace has `dana_toml` written before the app opens.
pub async fn harness_with(dana_toml: &str, _setup: impl FnOnce(&std::path::Path)) -> Harness {
    harness_in(tempfile::tempdir().expect("temp dir"), dana_toml).await
}

/// Like [`harness_with`] in a folder the test prepared (SQLite files).
pub async fn harness_in(dir: tempfile::TempDir, dana_toml: &str) -> Harness {
    std::fs::write(dir.path().join("dana.toml"), dana_toml).expect("write dana.toml");
    let store = dana::store::Store::open_sqlite(&dir.path().join("state.db"))
        .await
        .expect("sqlite store");
    let app: Arc<App> = App::with_store(dir.path(), store).expect("open app");
    Harness::start(dir, app, (), None).await
}

/// Creates a SQLite file and runs `script` on it (writable; dana itself opens it read-only).
pub async fn sqlite_file(path: &std::path::Path, script: &str) {
    use sqlx::ConnectOptions;
    let mut conn = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .connect()
        .await
        .expect("create sqlite");
    sqlx::raw_sql(sqlx::AssertSqlSafe(script.to_string()))
        .execute(&mut conn)
        .await
        .expect("seed sqlite");
}
