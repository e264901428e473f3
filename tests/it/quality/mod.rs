//! Live datasources, profiling and quality checks on the real engines.

mod cli;
mod collation;
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

/// PostgreSQL's loose text for the tests that need it: the `citext` extension and
/// `public.dana_ci`, an ICU case-insensitive nondeterministic collation. Idempotent, and
/// tolerant of another test creating them at the same moment.
pub async fn pg_loose_text(admin: &sqlx::PgPool) {
    let script = "CREATE EXTENSION IF NOT EXISTS citext; \
        CREATE COLLATION IF NOT EXISTS public.dana_ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false)";
    for attempt in 0..3 {
        match sqlx::raw_sql(script).execute(admin).await {
            Ok(_) => return,
            Err(e) if attempt < 2 => {
                tracing::debug!("creating citext/dana_ci raced: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            Err(e) => panic!("citext / dana_ci collation: {e}"),
        }
    }
}
