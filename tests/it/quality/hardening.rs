//! Datasources under stress, through the MCP server: a connection that goes away
//! mid-profile, a lock that holds a check past its timeout, a table far larger than the
//! row cap. Each must give a clear error (naming the datasource, never its URL), leave the
//! server serving the next call, and record nothing half in the project.

use std::time::Duration;

use serde_json::{Value, json};
use sqlx::Connection;

use super::{harness_in, sqlite_file};
use crate::common::{Harness, mysql_url, postgres_url, text, unique_name};

/// The embedded phases with `run_quality_checks` recorded in the first phase, so a
/// fresh project can record a quality run without approving earlier gates.
pub(super) fn phases_with_quality_run_in_discover() -> String {
    let phases = include_str!("../../../playbooks/phases.yaml");
    let entry = "      - kind: quality_run\n        tool: run_quality_checks\n        description: The results of a quality-check run on a datasource.\n";
    let anchor = "      - kind: source_profile\n";
    assert!(
        phases.contains(entry) && phases.contains(anchor),
        "phases.yaml changed shape"
    );
    phases
        .replace(entry, "")
        .replace(anchor, &format!("{entry}{anchor}"))
}

/// A workspace whose project `hard` records profiles and quality runs, with `datasource`
/// (a `[datasources.NAME]` block) in dana.toml.
async fn workspace(datasource: &str) -> Harness {
    let dir = tempfile::tempdir().expect("dir");
    std::fs::create_dir(dir.path().join("playbooks")).expect("playbooks dir");
    std::fs::write(
        dir.path().join("playbooks/phases.yaml"),
        phases_with_quality_run_in_discover(),
    )
    .expect("phases override");
    let h = harness_in(dir, &format!("playbooks_dir = \"playbooks\"\n{datasource}")).await;
    h.ok("start_project", json!({"name": "Hardening", "id": "hard"}))
        .await;
    h
}

/// Artifacts recorded in the store (all projects).
async fn artifacts(h: &Harness) -> usize {
    h.app
        .store()
        .await
        .expect("store")
        .all_rows()
        .await
        .expect("artifacts")
        .protocol
        .artifacts
        .len()
}

/// The audit chain and the state tables still agree.
async fn assert_audit_verifies(h: &Harness) {
    let report = dana::protocol::audit::verify(&h.app, None)
        .await
        .expect("verify");
    assert!(report.ok, "audit chain broken: {:?}", report.first_bad);
}

/// No URL, host:port or user name of the test servers in a message.
fn assert_no_credentials(message: &str) {
    for secret in [
        "postgres://",
        "mysql://",
        "127.0.0.1:5432",
        "127.0.0.1:3306",
        "root@",
    ] {
        assert!(!message.contains(secret), "leaked `{secret}`: {message}");
    }
}

/// Polls until `find` returns a value (the statement to interrupt is running); panics
/// after a generous bound so a broken test fails instead of hanging.
async fn wait_for<T, F, Fut>(what: &str, mut find: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    for _ in 0..600 {
        if let Some(found) = find().await {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{what} never showed up");
}

#[tokio::test]
async fn postgres_backend_terminated_mid_profile() {
    let Some(url) = postgres_url() else { return };
    let schema = unique_name("hard_pg_kill");
    let admin = sqlx::PgPool::connect(&url).await.expect("connect");
    // `a_small` profiles first and fine; `b_slow` takes 30 s unless interrupted.
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "CREATE SCHEMA {schema};
         CREATE TABLE {schema}.a_small (id int PRIMARY KEY, name text);
         INSERT INTO {schema}.a_small SELECT g, 'n' || g FROM generate_series(1, 10) g;
         CREATE VIEW {schema}.b_slow AS SELECT g AS id FROM generate_series(1, 60) g, LATERAL pg_sleep(0.5) s;"
    )))
    .execute(&admin)
    .await
    .expect("seed");
    let h = workspace(&format!(
        "[datasources.pg]\nurl_env = \"DANA_TEST_POSTGRES_URL\"\nallow_write_capable_role = true\nschema = \"{schema}\"\nstatement_timeout_ms = 120000\n"
    ))
    .await;
    let pattern = format!("%{schema}%b_slow%");
    let kill = async {
        let pid: i32 = wait_for("the profile scan of b_slow", || async {
            sqlx::query_scalar(
                "SELECT pid FROM pg_stat_activity WHERE application_name = 'dana' \
                 AND state = 'active' AND query LIKE $1 AND pid <> pg_backend_pid()",
            )
            .bind(&pattern)
            .fetch_optional(&admin)
            .await
            .expect("pg_stat_activity")
        })
        .await;
        let done: bool = sqlx::query_scalar("SELECT pg_terminate_backend($1)")
            .bind(pid)
            .fetch_one(&admin)
            .await
            .expect("terminate");
        assert!(done, "backend {pid} not terminated");
    };
    let (result, ()) = tokio::join!(
        h.call(
            "profile_datasource",
            json!({"datasource": "pg", "project": "hard"})
        ),
        kill
    );
    assert_eq!(result.is_error, Some(true), "{result:?}");
    let message = text(&result);
    assert!(message.contains("datasource `pg`"), "{message}");
    assert!(message.contains("`b_slow`"), "{message}");
    assert!(message.contains("connection"), "{message}");
    assert_no_credentials(&message);
    // Nothing recorded, the chain intact.
    assert_eq!(artifacts(&h).await, 0);
    assert_audit_verifies(&h).await;
    // Still serving: the pool replaces the dead connection.
    let profile = h
        .ok(
            "profile_datasource",
            json!({"datasource": "pg", "tables": ["a_small"], "project": "hard"}),
        )
        .await;
    assert_eq!(profile["tables"][0]["row_count"], json!(10));
    assert_eq!(artifacts(&h).await, 1);
    assert_audit_verifies(&h).await;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
        .execute(&admin)
        .await
        .expect("drop");
}

#[tokio::test]
async fn mariadb_connection_killed_mid_profile() {
    let Some(url) = mysql_url() else { return };
    let db = unique_name("hard_my_kill");
    let admin = sqlx::MySqlPool::connect(&url).await.expect("connect");
    for stmt in [
        format!("CREATE DATABASE {db}"),
        format!("CREATE TABLE {db}.a_small (id INT PRIMARY KEY, name VARCHAR(20))"),
        format!("INSERT INTO {db}.a_small VALUES (1, 'a'), (2, 'b'), (3, 'c')"),
        format!("CREATE VIEW {db}.b_slow AS SELECT SLEEP(30) AS s"),
    ] {
        sqlx::raw_sql(sqlx::AssertSqlSafe(stmt))
            .execute(&admin)
            .await
            .expect("seed");
    }
    let h = workspace(&format!(
        "[datasources.my]\nurl_env = \"DANA_TEST_MYSQL_URL\"\nallow_write_capable_role = true\nschema = \"{db}\"\nstatement_timeout_ms = 120000\n"
    ))
    .await;
    let pattern = format!("%{db}%b_slow%");
    let kill = async {
        let id: i64 = wait_for("the profile scan of b_slow", || async {
            sqlx::query_scalar(
                "SELECT ID FROM information_schema.PROCESSLIST WHERE INFO LIKE ? \
                 AND INFO LIKE '%dana_rows%' AND ID <> CONNECTION_ID()",
            )
            .bind(&pattern)
            .fetch_optional(&admin)
            .await
            .expect("processlist")
        })
        .await;
        // Integers only in the statement text.
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("KILL CONNECTION {id}")))
            .execute(&admin)
            .await
            .expect("kill");
    };
    let (result, ()) = tokio::join!(
        h.call(
            "profile_datasource",
            json!({"datasource": "my", "project": "hard"})
        ),
        kill
    );
    assert_eq!(result.is_error, Some(true), "{result:?}");
    let message = text(&result);
    assert!(message.contains("datasource `my`"), "{message}");
    assert!(message.contains("`b_slow`"), "{message}");
    assert!(message.contains("connection"), "{message}");
    assert_no_credentials(&message);
    assert_eq!(artifacts(&h).await, 0);
    assert_audit_verifies(&h).await;
    let profile = h
        .ok(
            "profile_datasource",
            json!({"datasource": "my", "tables": ["a_small"], "project": "hard"}),
        )
        .await;
    assert_eq!(profile["tables"][0]["row_count"], json!(3));
    assert_eq!(artifacts(&h).await, 1);
    assert_audit_verifies(&h).await;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP DATABASE {db}")))
        .execute(&admin)
        .await
        .expect("drop");
}

/// The declared checks of `orders` (all pass on the seeded data).
fn orders_spec() -> Value {
    json!([{
        "name": "orders",
        "primary_key": ["id"],
        "columns": [
            {"name": "id"},
            {"name": "status", "nullable": false, "accepted_values": ["new", "paid"]}
        ],
        "volume": {"min_rows": 1}
    }])
}

/// What a lock held past the timeout must give: a clear error, nothing recorded, a
/// server that answers, and a successful run once the lock is gone.
async fn assert_lock_times_out(h: &Harness, datasource: &str) {
    let message = h
        .err(
            "run_quality_checks",
            json!({"datasource": datasource, "tables": orders_spec(), "project": "hard"}),
        )
        .await;
    assert!(
        message.contains(&format!("datasource `{datasource}`")),
        "{message}"
    );
    assert!(message.contains("timeout of 500 ms"), "{message}");
    assert!(message.contains("`orders`"), "{message}");
    assert_no_credentials(&message);
    let message = h
        .err(
            "profile_datasource",
            json!({"datasource": datasource, "tables": ["orders"], "project": "hard"}),
        )
        .await;
    assert!(message.contains("timeout of 500 ms"), "{message}");
    assert!(message.contains("`orders`"), "{message}");
    assert_eq!(artifacts(h).await, 0);
    assert_audit_verifies(h).await;
    // Still serving while the lock is held.
    let list = h.ok("list_datasources", json!({})).await;
    assert_eq!(list["datasources"][0]["reachable"], json!(true), "{list}");
}

/// Once the lock is gone the same checks pass and are recorded: one artifact, the audit
/// chain intact.
async fn assert_checks_pass_once_unlocked(h: &Harness, datasource: &str) {
    let run = h
        .ok(
            "run_quality_checks",
            json!({"datasource": datasource, "tables": orders_spec(), "project": "hard"}),
        )
        .await;
    assert_eq!(run["passed"], json!(true), "{run:#}");
    assert_eq!(artifacts(h).await, 1);
    assert_audit_verifies(h).await;
}

#[tokio::test]
async fn postgres_lock_holds_checks_past_the_timeout() {
    let Some(url) = postgres_url() else { return };
    let schema = unique_name("hard_pg_lock");
    let admin = sqlx::PgPool::connect(&url).await.expect("connect");
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "CREATE SCHEMA {schema};
         CREATE TABLE {schema}.orders (id int PRIMARY KEY, status text NOT NULL);
         INSERT INTO {schema}.orders SELECT g, CASE WHEN g % 2 = 0 THEN 'new' ELSE 'paid' END FROM generate_series(1, 100) g;"
    )))
    .execute(&admin)
    .await
    .expect("seed");
    let h = workspace(&format!(
        "[datasources.pg]\nurl_env = \"DANA_TEST_POSTGRES_URL\"\nallow_write_capable_role = true\nschema = \"{schema}\"\nstatement_timeout_ms = 500\n"
    ))
    .await;
    let mut locker = sqlx::PgConnection::connect(&url).await.expect("locker");
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "BEGIN; LOCK TABLE {schema}.orders IN ACCESS EXCLUSIVE MODE"
    )))
    .execute(&mut locker)
    .await
    .expect("lock");
    assert_lock_times_out(&h, "pg").await;
    sqlx::raw_sql("ROLLBACK")
        .execute(&mut locker)
        .await
        .expect("unlock");
    assert_checks_pass_once_unlocked(&h, "pg").await;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
        .execute(&admin)
        .await
        .expect("drop");
}

#[tokio::test]
async fn mariadb_lock_holds_checks_past_the_timeout() {
    let Some(url) = mysql_url() else { return };
    let db = unique_name("hard_my_lock");
    let admin = sqlx::MySqlPool::connect(&url).await.expect("connect");
    let rows: Vec<String> = (1..=100)
        .map(|i| format!("({i}, '{}')", if i % 2 == 0 { "new" } else { "paid" }))
        .collect();
    for stmt in [
        format!("CREATE DATABASE {db}"),
        format!("CREATE TABLE {db}.orders (id INT PRIMARY KEY, status VARCHAR(10) NOT NULL)"),
        format!("INSERT INTO {db}.orders VALUES {}", rows.join(", ")),
    ] {
        sqlx::raw_sql(sqlx::AssertSqlSafe(stmt))
            .execute(&admin)
            .await
            .expect("seed");
    }
    let h = workspace(&format!(
        "[datasources.my]\nurl_env = \"DANA_TEST_MYSQL_URL\"\nallow_write_capable_role = true\nschema = \"{db}\"\nstatement_timeout_ms = 500\n"
    ))
    .await;
    let mut locker = sqlx::MySqlConnection::connect(&url).await.expect("locker");
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "LOCK TABLES {db}.orders WRITE"
    )))
    .execute(&mut locker)
    .await
    .expect("lock");
    assert_lock_times_out(&h, "my").await;
    sqlx::raw_sql("UNLOCK TABLES")
        .execute(&mut locker)
        .await
        .expect("unlock");
    assert_checks_pass_once_unlocked(&h, "my").await;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP DATABASE {db}")))
        .execute(&admin)
        .await
        .expect("drop");
}

/// Rows of the big table: 30,000; `status` is `bad` on every tenth row, `amount` NULL on
/// every hundredth.
const BIG_ROWS: u64 = 30_000;

/// Profile and checks of the big table under `row_cap = 25`: true counts from the
/// aggregates, every row list bounded by the cap, and the output saying so.
async fn assert_capped(h: &Harness, datasource: &str) {
    let profile = h
        .ok(
            "profile_datasource",
            json!({"datasource": datasource, "tables": ["big"]}),
        )
        .await;
    let big = &profile["tables"][0];
    assert_eq!(big["row_count"], json!(BIG_ROWS), "{big:#}");
    assert_eq!(big["sample_limit"], json!(25), "{big:#}");
    // The sample fills up to the cap, never past it.
    assert_eq!(big["sample_rows"], json!(25), "{big:#}");
    let notes = big["notes"].to_string();
    assert!(
        notes.contains("row_cap"),
        "the cap is not reported: {big:#}"
    );
    let col = |name: &str| {
        big["columns"]
            .as_array()
            .and_then(|c| c.iter().find(|x| x["name"] == name))
            .cloned()
            .unwrap_or_else(|| panic!("no column {name}: {big:#}"))
    };
    // Aggregates see every row.
    assert_eq!(
        col("amount")["null_count"],
        json!(BIG_ROWS / 100),
        "{big:#}"
    );
    assert_eq!(col("id")["distinct_count"], json!(BIG_ROWS), "{big:#}");
    // Top values come from the bounded sample and never list every value.
    let top = col("status")["top_values"].clone();
    let counted: u64 = top
        .as_array()
        .map(|t| t.iter().filter_map(|v| v["count"].as_u64()).sum())
        .unwrap_or(0);
    assert_eq!(counted, 25, "top values counted {counted} rows: {top:#}");
    assert!(col("status").get("all_values").is_none(), "{big:#}");

    let run = h
        .ok(
            "run_quality_checks",
            json!({"datasource": datasource, "sample_rows": 100, "tables": [{
                "name": "big", "primary_key": ["id"],
                "columns": [{"name": "id"}, {"name": "status", "accepted_values": ["ok"]}]
            }]}),
        )
        .await;
    let check = run["results"]
        .as_array()
        .and_then(|r| {
            r.iter()
                .find(|x| x["id"] == "DQ-ACCEPTED-VALUES:big.status")
        })
        .cloned()
        .unwrap_or_else(|| panic!("no accepted-values result: {run:#}"));
    assert_eq!(
        check["observed"].as_f64(),
        Some((BIG_ROWS / 10) as f64),
        "{check:#}"
    );
    let sample = &check["failing_sample"];
    assert_eq!(sample["limit"], json!(25), "{check:#}");
    assert_eq!(
        sample["rows"].as_array().map(Vec::len),
        Some(25),
        "{check:#}"
    );
}

#[tokio::test]
async fn postgres_huge_table_under_the_row_cap() {
    let Some(url) = postgres_url() else { return };
    let schema = unique_name("hard_pg_cap");
    let admin = sqlx::PgPool::connect(&url).await.expect("connect");
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "CREATE SCHEMA {schema};
         CREATE TABLE {schema}.big (id bigint PRIMARY KEY, status text, amount int);
         INSERT INTO {schema}.big SELECT g, CASE WHEN g % 10 = 0 THEN 'bad' ELSE 'ok' END,
           CASE WHEN g % 100 = 0 THEN NULL ELSE g % 1000 END FROM generate_series(1, {BIG_ROWS}) g;"
    )))
    .execute(&admin)
    .await
    .expect("seed");
    let h = super::harness_with(
        &format!(
            "[datasources.pg]\nurl_env = \"DANA_TEST_POSTGRES_URL\"\nallow_write_capable_role = true\nschema = \"{schema}\"\nrow_cap = 25\n"
        ),
        |_| {},
    )
    .await;
    assert_capped(&h, "pg").await;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
        .execute(&admin)
        .await
        .expect("drop");
}

#[tokio::test]
async fn sqlite_huge_table_under_the_row_cap() {
    let dir = tempfile::tempdir().expect("dir");
    sqlite_file(
        &dir.path().join("big.db"),
        &format!(
            "CREATE TABLE big (id INTEGER PRIMARY KEY, status TEXT, amount INTEGER);
             WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < {BIG_ROWS})
             INSERT INTO big SELECT n, CASE WHEN n % 10 = 0 THEN 'bad' ELSE 'ok' END,
               CASE WHEN n % 100 = 0 THEN NULL ELSE n % 1000 END FROM g;"
        ),
    )
    .await;
    let h = harness_in(dir, "[datasources.lite]\npath = \"big.db\"\nrow_cap = 25\n").await;
    assert_capped(&h, "lite").await;
}
