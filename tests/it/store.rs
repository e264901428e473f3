//! The state store on SQLite and on the real PostgreSQL: migrations, projects, scores.

use dana::store::{Backend, Store};

use crate::common::{postgres_url, unique_name};

async fn exercise(store: &Store) {
    let p = store
        .create_project("p1", "Project one", "d")
        .await
        .unwrap();
    assert_eq!(p.id, "p1");
    assert!(store.create_project("p1", "again", "").await.is_err());
    assert_eq!(
        store.project("p1").await.unwrap().unwrap().name,
        "Project one"
    );
    assert!(store.project("p2").await.unwrap().is_none());
    let err = store.require_project("p2").await.unwrap_err().to_string();
    assert!(err.contains("project `p2` not found; valid: `p1`"), "{err}");
    assert!(store.latest_score("p1").await.unwrap().is_none());
    store
        .insert_score("p1", 46, "BAND-FRAGILE", &serde_json::json!({"total": 46}))
        .await
        .unwrap();
    let id = store
        .insert_score("p1", 71, "BAND-SOLID", &serde_json::json!({"total": 71}))
        .await
        .unwrap();
    let latest = store.latest_score("p1").await.unwrap().unwrap();
    assert_eq!(
        (latest.id, latest.total, latest.band.as_str()),
        (id, 71, "BAND-SOLID")
    );
    assert_eq!(latest.result["total"], 71);
}

#[tokio::test]
async fn sqlite_store_round_trips_and_uses_wal() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.db");
    let store = Store::open_sqlite(&path).await.unwrap();
    assert_eq!(store.backend(), Backend::Sqlite);
    exercise(&store).await;
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(mode.to_lowercase(), "wal");
    drop(store);
    // Reopening runs no migration twice and keeps the data.
    let again = Store::open_sqlite(&path).await.unwrap();
    assert_eq!(again.latest_score("p1").await.unwrap().unwrap().total, 71);
}

#[tokio::test]
async fn postgres_store_round_trips() {
    let Some(url) = postgres_url() else { return };
    let schema = unique_name("dana_store");
    let admin = sqlx::PgPool::connect(&url).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
        .execute(&admin)
        .await
        .unwrap();
    let sep = if url.contains('?') { '&' } else { '?' };
    let scoped = format!("{url}{sep}options=-c%20search_path%3D{schema}");
    let store = Store::connect(&scoped).await.unwrap();
    assert_eq!(store.backend(), Backend::Postgres);
    exercise(&store).await;
    // Reconnecting applies no migration twice.
    let again = Store::connect(&scoped).await.unwrap();
    assert_eq!(again.latest_score("p1").await.unwrap().unwrap().total, 71);
    drop((store, again));
    sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
        .execute(&admin)
        .await
        .unwrap();
}

#[tokio::test]
async fn bad_database_url_never_echoes_credentials() {
    let err = Store::connect("mysql://user:hunter2@localhost/x")
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("unsupported scheme"), "{err}");
    assert!(!err.contains("hunter2"), "{err}");
    let err = Store::connect("postgres://user:hunter2@127.0.0.1:1/x?sslmode=bogus")
        .await
        .unwrap_err()
        .to_string();
    assert!(!err.contains("hunter2"), "{err}");
}
