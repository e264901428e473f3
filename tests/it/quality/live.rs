//! Datasources: read-only at the database, timeouts, unknown names, no credentials.

use std::process::Command;

use serde_json::json;

use super::{harness_in, harness_with, sqlite_file};
use crate::common::{mysql_url, postgres_url, unique_name};

#[tokio::test]
async fn unknown_datasource_lists_configured_names() {
    let h = harness_with(
        "[datasources.warehouse]\nurl_env = \"DANA_TEST_POSTGRES_URL\"\nallow_write_capable_role = true\n[datasources.lake]\npath = \"lake.db\"\n",
        |_| {},
    )
    .await;
    let err = format!("{:#}", h.app.live.get("nope").await.expect_err("unknown"));
    assert!(err.contains("datasource `nope` not found"), "{err}");
    assert!(
        err.contains("`lake`") && err.contains("`warehouse`"),
        "{err}"
    );
}

#[tokio::test]
async fn sqlite_datasource_refuses_writes_at_the_database() {
    let dir = tempfile::tempdir().expect("dir");
    sqlite_file(
        &dir.path().join("lite.db"),
        "CREATE TABLE t (id INTEGER PRIMARY KEY); INSERT INTO t VALUES (1), (2), (3);",
    )
    .await;
    let h = harness_in(dir, "[datasources.lite]\npath = \"lite.db\"\n").await;
    let ds = h.app.live.get("lite").await.expect("datasource");
    let err = ds
        .execute_unguarded_for_tests("INSERT INTO t (id) VALUES (99)")
        .await
        .expect_err("write must fail");
    let text = format!("{err:#}");
    assert!(
        text.contains("readonly") || text.contains("read-only") || text.contains("read only"),
        "{text}"
    );
    let err = ds
        .execute_unguarded_for_tests("CREATE TABLE u (x INTEGER)")
        .await
        .expect_err("ddl must fail");
    assert!(
        format!("{err:#}").contains("readonly") || format!("{err:#}").contains("read"),
        "{err:#}"
    );
    // The guard refuses before sending, too.
    let err = ds.fetch("DELETE FROM t", &[]).await.expect_err("guard");
    assert!(format!("{err:#}").contains("refused"), "{err:#}");
    let rows = ds
        .fetch("SELECT count(*) AS n FROM t", &[])
        .await
        .expect("read");
    assert_eq!(rows.first("n").and_then(|c| c.as_i64()), Some(3));
}

#[tokio::test]
async fn postgres_datasource_refuses_writes_and_times_out() {
    let Some(url) = postgres_url() else { return };
    let schema = unique_name("live_pg");
    let admin = sqlx::PgPool::connect(&url).await.expect("connect");
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "CREATE SCHEMA {schema}; CREATE TABLE {schema}.t (id int primary key); INSERT INTO {schema}.t VALUES (1);"
    )))
    .execute(&admin)
    .await
    .expect("seed");
    let h = harness_with(
        &format!("[datasources.pg]\nurl_env = \"DANA_TEST_POSTGRES_URL\"\nallow_write_capable_role = true\nschema = \"{schema}\"\nstatement_timeout_ms = 400\n"),
        |_| {},
    )
    .await;
    let ds = h.app.live.get("pg").await.expect("datasource");
    for write in [
        "INSERT INTO t VALUES (2)",
        "CREATE TABLE public.dana_should_not_exist (x int)",
        "UPDATE pg_settings SET setting = 'off' WHERE name = 'default_transaction_read_only'",
    ] {
        let write = write.replace("INTO t", &format!("INTO {schema}.t"));
        let err = ds
            .execute_unguarded_for_tests(Box::leak(write.into_boxed_str()))
            .await
            .expect_err("write must fail");
        assert!(
            format!("{err:#}").contains("read-only transaction"),
            "{err:#}"
        );
    }
    let started = std::time::Instant::now();
    let err = ds
        // pg_sleep never passes the query gate: real work instead.
        .fetch(
            "SELECT COUNT(*) AS n FROM generate_series(1, 2000000000) g",
            &[],
        )
        .await
        .expect_err("timeout");
    assert!(format!("{err:#}").contains("timeout of 400 ms"), "{err:#}");
    assert!(started.elapsed() < std::time::Duration::from_secs(4));
    // Still serving: the pool and the MCP server answer.
    let rows = ds
        .fetch(&format!("SELECT count(*) AS n FROM {schema}.t"), &[])
        .await
        .expect("read after timeout");
    assert_eq!(rows.first("n").and_then(|c| c.as_i64()), Some(1));
    let list = h.ok("list_datasources", json!({})).await;
    assert_eq!(list["datasources"][0]["reachable"], json!(true), "{list}");
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
        .execute(&admin)
        .await
        .expect("drop");
}

#[tokio::test]
async fn mysql_datasource_refuses_writes_and_times_out() {
    let Some(url) = mysql_url() else { return };
    let db = unique_name("live_my");
    let admin = sqlx::MySqlPool::connect(&url).await.expect("connect");
    for stmt in [
        format!("CREATE DATABASE {db}"),
        format!("CREATE TABLE {db}.t (id int primary key)"),
        format!("INSERT INTO {db}.t VALUES (1)"),
        format!("CREATE TABLE {db}.nums (n int)"),
        format!(
            "INSERT INTO {db}.nums WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 1000) SELECT n FROM c"
        ),
    ] {
        sqlx::raw_sql(sqlx::AssertSqlSafe(stmt))
            .execute(&admin)
            .await
            .expect("seed");
    }
    let h = harness_with(
        &format!("[datasources.my]\nurl_env = \"DANA_TEST_MYSQL_URL\"\nallow_write_capable_role = true\nschema = \"{db}\"\nstatement_timeout_ms = 500\n"),
        |_| {},
    )
    .await;
    let ds = h.app.live.get("my").await.expect("datasource");
    let insert = format!("INSERT INTO {db}.t VALUES (2)");
    let err = ds
        .execute_unguarded_for_tests(Box::leak(insert.into_boxed_str()))
        .await
        .expect_err("write must fail");
    assert!(
        format!("{err:#}").to_lowercase().contains("read only"),
        "{err:#}"
    );
    let create = format!("CREATE TABLE {db}.u (x int)");
    let err = ds
        .execute_unguarded_for_tests(Box::leak(create.into_boxed_str()))
        .await
        .expect_err("ddl must fail");
    assert!(
        format!("{err:#}").to_lowercase().contains("read only"),
        "{err:#}"
    );
    // A statement heavy enough to pass 500 ms.
    // (information_schema is never a target: a cross join of the test's own table.)
    let slow = format!("SELECT COUNT(*) AS n FROM {db}.nums a, {db}.nums b, {db}.nums c");
    let err = ds.fetch(&slow, &[]).await.expect_err("timeout");
    assert!(format!("{err:#}").contains("timeout of 500 ms"), "{err:#}");
    let rows = ds
        .fetch(&format!("SELECT COUNT(*) AS n FROM {db}.t"), &[])
        .await
        .expect("read after timeout");
    assert_eq!(rows.first("n").and_then(|c| c.as_i64()), Some(1));
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP DATABASE {db}")))
        .execute(&admin)
        .await
        .expect("drop");
}

/// Credentials never reach stdout, stderr (trace-level logs) or a tool result.
#[test]
fn credentials_never_appear_in_results_errors_or_logs() {
    let dir = tempfile::tempdir().expect("dir");
    let secret = "Sup3r-Secret-Pw";
    std::fs::write(
        dir.path().join("dana.toml"),
        "[datasources.down]\nurl_env = \"DANA_SECRET_URL_DOWN\"\n\
         [datasources.badauth]\nurl_env = \"DANA_SECRET_URL_AUTH\"\n\
         [datasources.badmy]\nurl_env = \"DANA_SECRET_URL_MY\"\n",
    )
    .expect("toml");
    let bin = env!("CARGO_BIN_EXE_dana");
    for (tool, args, expect) in [
        ("list_datasources", "{}", "does not exist"),
        (
            "profile_datasource",
            r#"{"datasource":"badauth"}"#,
            "does not exist",
        ),
        (
            "profile_datasource",
            r#"{"datasource":"badmy"}"#,
            "Access denied",
        ),
        (
            "run_quality_checks",
            r#"{"datasource":"down","tables":[{"name":"t"}],"checks":[{"id":"x","kind":"DQ-VOLUME","table":"t","threshold":{"min":1}}]}"#,
            "could not get a connection",
        ),
    ] {
        let output = Command::new(bin)
            .args([
                "--workspace",
                dir.path().to_str().expect("utf8"),
                "--log",
                "trace",
                "call",
                tool,
                "--args",
                args,
            ])
            .env(
                "DANA_SECRET_URL_DOWN",
                format!("postgres://dana:{secret}@127.0.0.1:1/x?connect_timeout=2"),
            )
            .env(
                "DANA_SECRET_URL_AUTH",
                format!("postgres://no_such_role_dana:{secret}@127.0.0.1:5432/test"),
            )
            .env(
                "DANA_SECRET_URL_MY",
                format!("mysql://no_such_user_dana:{secret}@127.0.0.1:3306/test"),
            )
            .output()
            .expect("run dana");
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(!all.contains(secret), "{tool} leaked the password:\n{all}");
        assert!(
            !all.contains("127.0.0.1:1/x"),
            "{tool} leaked the URL:\n{all}"
        );
        assert!(
            all.contains(expect),
            "{tool}: expected `{expect}` in:\n{all}"
        );
    }
}

/// A check that runs past the timeout fails the run with a clear error through the tool;
/// the server keeps serving the next calls.
#[tokio::test]
async fn slow_check_times_out_and_the_server_keeps_serving() {
    let Some(url) = postgres_url() else { return };
    let schema = unique_name("live_slow");
    let admin = sqlx::PgPool::connect(&url).await.expect("connect");
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "CREATE SCHEMA {schema}; CREATE VIEW {schema}.slow AS SELECT g AS id FROM generate_series(1, 3) g, LATERAL pg_sleep(1) s;"
    )))
    .execute(&admin)
    .await
    .expect("seed");
    let h = harness_with(
        &format!("[datasources.pg]\nurl_env = \"DANA_TEST_POSTGRES_URL\"\nallow_write_capable_role = true\nschema = \"{schema}\"\nstatement_timeout_ms = 300\n"),
        |_| {},
    )
    .await;
    // The whole run fails (no half run to record), naming what timed out.
    let message = h
        .err("run_quality_checks", json!({"datasource": "pg", "tables": [{"name": "slow", "columns": [{"name": "id", "nullable": false}]}]}))
        .await;
    assert!(message.contains("datasource `pg`"), "{message}");
    assert!(message.contains("timeout of 300 ms"), "{message}");
    assert!(message.contains("shared scan of `slow`"), "{message}");
    let list = h.ok("list_datasources", json!({})).await;
    assert_eq!(list["datasources"][0]["reachable"], json!(true), "{list}");
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
        .execute(&admin)
        .await
        .expect("drop");
}
