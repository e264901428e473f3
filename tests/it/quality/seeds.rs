//! Checks that follow the seeds, on PostgreSQL, MariaDB and SQLite: volume in a window
//! relative to the run date (never a literal date), reconciliation per partition, no
//! future timestamps, severity from the share of rows affected; and drift between two
//! profiles of the same datasource.

use serde_json::{Value, json};

use super::{harness_in, sqlite_file};
use crate::common::{Harness, mysql_url, postgres_url, unique_name};

/// Setup statements; `ago(h)` spells "h hours before now" for the engine.
fn statements(ago: &dyn Fn(i32) -> String, ts: &str) -> Vec<String> {
    let events: Vec<String> = [1, 5, 30, 80, 200]
        .iter()
        .enumerate()
        .map(|(i, h)| format!("({}, {})", i + 1, ago(*h)))
        .chain(std::iter::once(format!("(6, {})", ago(-48))))
        .collect();
    vec![
        format!("CREATE TABLE events (id INTEGER, at {ts})"),
        format!("INSERT INTO events VALUES {}", events.join(", ")),
        "CREATE TABLE sales (id INTEGER, day VARCHAR(10), amount DECIMAL(10,2))".to_string(),
        "CREATE TABLE ledger (id INTEGER, day VARCHAR(10), amount DECIMAL(10,2))".to_string(),
        "INSERT INTO sales VALUES (1, '2025-01-01', 10), (2, '2025-01-01', 10), (3, '2025-01-02', 5), \
         (4, '2025-01-02', 5), (5, '2025-01-02', 5), (6, '2025-01-03', 7)"
            .to_string(),
        "INSERT INTO ledger VALUES (1, '2025-01-01', 10), (2, '2025-01-01', 10), (3, '2025-01-02', 5), \
         (4, '2025-01-02', 5), (6, '2025-01-03', 7)"
            .to_string(),
    ]
}

fn result<'a>(run: &'a Value, id: &str) -> &'a Value {
    run["results"]
        .as_array()
        .and_then(|r| r.iter().find(|x| x["id"] == id))
        .unwrap_or_else(|| panic!("no result `{id}` in {run:#}"))
}

async fn exercise(h: &Harness, engine: &str) {
    let tables = json!([
        {
            "name": "events",
            "primary_key": ["id"],
            "columns": [{"name": "id"}, {"name": "at", "no_future": true}],
            "volume": {"partition_column": "at", "window_days": 2, "min_rows": 3, "max_rows": 3}
        },
        {
            "name": "sales",
            "columns": [{"name": "id"}, {"name": "day"}, {"name": "amount"}],
            "reconciliations": [
                {"measure": "count", "other_table": "ledger", "tolerance_pct": 25},
                {"measure": "count", "other_table": "ledger", "tolerance_pct": 25, "partition_column": "day"},
                {"measure": "sum", "column": "amount", "other_table": "ledger", "tolerance_pct": 60, "partition_column": "day"}
            ]
        }
    ]);
    let generated = h
        .ok(
            "generate_quality_checks",
            json!({"table": tables[0], "dialect": engine}),
        )
        .await;
    let sql = generated.to_string();
    assert!(
        !sql.contains("2025-") && !sql.contains("2026-"),
        "{engine}: a literal date in a windowed volume check: {sql}"
    );
    let run = h
        .ok(
            "run_quality_checks",
            json!({"datasource": "db", "tables": tables}),
        )
        .await;
    // 3 rows in the last two days (1 h, 5 h, 30 h ago); the future one is not counted.
    let volume = result(&run, "DQ-VOLUME:events.at");
    assert_eq!(volume["observed"], json!(3.0), "{engine}: {volume:#}");
    assert_eq!(volume["passed"], json!(true), "{engine}");
    // One of 6 rows is in the future: 16.7% of rows, P1 by the share rule.
    let future = result(&run, "DQ-NO-FUTURE:events.at");
    assert_eq!(future["observed"], json!(1.0), "{engine}: {future:#}");
    assert_eq!(future["severity"], json!("P1"), "{engine}: {future:#}");
    assert!(
        future["affected_pct"]
            .as_f64()
            .is_some_and(|p| (p - 16.667).abs() < 0.01),
        "{engine}: {future:#}"
    );
    assert_eq!(future["failing_sample"]["rows"], json!([["6"]]), "{engine}");
    // Totals agree within 25% (6 vs 5: 20%); day 2 does not (3 vs 2: 50%).
    let total = result(&run, "DQ-RECONCILE:sales=ledger");
    assert_eq!(total["passed"], json!(true), "{engine}: {total:#}");
    let per_day = result(&run, "DQ-RECONCILE:sales=ledger@day");
    assert_eq!(per_day["observed"], json!(50.0), "{engine}: {per_day:#}");
    assert_eq!(per_day["passed"], json!(false), "{engine}");
    // Sums per day: day 2 is 15 vs 10 (50%), within 60%.
    let sums = result(&run, "DQ-RECONCILE:sales.amount=ledger@day");
    assert_eq!(sums["observed"], json!(50.0), "{engine}: {sums:#}");
    assert_eq!(sums["passed"], json!(true), "{engine}");

    // Suggested from a profile: no-future on a timestamp column without future values.
    let profile = h
        .ok(
            "profile_datasource",
            json!({"datasource": "db", "tables": ["sales"]}),
        )
        .await;
    assert!(profile["tables"][0]["drift"].is_null());
}

#[tokio::test]
async fn seeds_checks_on_sqlite() {
    let dir = tempfile::tempdir().expect("dir");
    let ago = |h: i32| format!("datetime('now', '{} hours')", -h);
    sqlite_file(
        &dir.path().join("s.db"),
        &statements(&ago, "TIMESTAMP").join(";\n"),
    )
    .await;
    let h = harness_in(dir, "[datasources.db]\npath = \"s.db\"\n").await;
    exercise(&h, "sqlite").await;
}

#[tokio::test]
async fn seeds_checks_on_postgres() {
    let Some(url) = postgres_url() else { return };
    let schema = unique_name("dq_seeds");
    let admin = sqlx::PgPool::connect(&url).await.expect("connect");
    let ago = |h: i32| format!("CURRENT_TIMESTAMP - INTERVAL '{h} hours'");
    let mut script = vec![
        format!("CREATE SCHEMA {schema}"),
        format!("SET search_path TO {schema}"),
    ];
    script.extend(statements(&ago, "TIMESTAMPTZ"));
    sqlx::raw_sql(sqlx::AssertSqlSafe(script.join(";\n")))
        .execute(&admin)
        .await
        .expect("seed");
    let h = super::harness_with(
        &format!("[datasources.db]\nurl_env = \"DANA_TEST_POSTGRES_URL\"\nallow_write_capable_role = true\nschema = \"{schema}\"\n"),
        |_| {},
    )
    .await;
    exercise(&h, "postgres").await;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
        .execute(&admin)
        .await
        .expect("drop");
}

#[tokio::test]
async fn seeds_checks_on_mariadb() {
    let Some(url) = mysql_url() else { return };
    let db = unique_name("dq_seeds");
    let admin = sqlx::MySqlPool::connect(&url).await.expect("connect");
    let ago = |h: i32| format!("UTC_TIMESTAMP() - INTERVAL {h} HOUR");
    let mut conn = admin.acquire().await.expect("conn");
    let mut script = vec![format!("CREATE DATABASE {db}"), format!("USE {db}")];
    script.extend(statements(&ago, "DATETIME"));
    for stmt in script {
        sqlx::raw_sql(sqlx::AssertSqlSafe(stmt))
            .execute(&mut *conn)
            .await
            .expect("seed");
    }
    drop(conn);
    let h = super::harness_with(
        &format!("[datasources.db]\nurl_env = \"DANA_TEST_MYSQL_URL\"\nallow_write_capable_role = true\nschema = \"{db}\"\n"),
        |_| {},
    )
    .await;
    exercise(&h, "mysql").await;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP DATABASE {db}")))
        .execute(&admin)
        .await
        .expect("drop");
}

/// Drift: a profile compared with the previous one (recorded in the project, or given
/// as `baseline`), with PROF-DRIFT anomalies and a volume floor that follows the drift.
#[tokio::test]
async fn drift_between_profiles() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("d.db");
    let rows: Vec<String> = (1..=40)
        .map(|i| format!("({i}, 'c{}', {}, {})", i % 4, i * 10, i % 7))
        .collect();
    sqlite_file(
        &path,
        &format!(
            "CREATE TABLE items (item_id INTEGER, code TEXT, price INTEGER, legacy INTEGER);
             INSERT INTO items VALUES {}",
            rows.join(", ")
        ),
    )
    .await;
    let h = harness_in(dir, "[datasources.db]\npath = \"d.db\"\n").await;
    h.ok("start_project", json!({"name": "Drift", "id": "drift"}))
        .await;
    let first = h
        .ok(
            "profile_datasource",
            json!({"datasource": "db", "project": "drift"}),
        )
        .await;
    assert!(first["tables"][0]["drift"].is_null(), "{first:#}");
    // Half the rows go, NULL codes arrive, prices jump, a column comes and one goes.
    sqlite_file(
        &path,
        "DELETE FROM items WHERE item_id > 20;
         UPDATE items SET code = NULL WHERE item_id <= 5;
         UPDATE items SET price = 5000 WHERE item_id = 1;
         ALTER TABLE items ADD COLUMN origin TEXT;
         ALTER TABLE items DROP COLUMN legacy;",
    )
    .await;
    let second = h
        .ok(
            "profile_datasource",
            json!({"datasource": "db", "project": "drift"}),
        )
        .await;
    let table = &second["tables"][0];
    let drift: Vec<(String, String)> = table["drift"]
        .as_array()
        .unwrap_or_else(|| panic!("no drift: {table:#}"))
        .iter()
        .map(|d| {
            (
                d["metric"].as_str().unwrap_or_default().to_string(),
                d["column"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    for expected in [
        ("row_count", ""),
        ("null_rate", "code"),
        ("max", "price"),
        ("column_added", "origin"),
        ("column_removed", "legacy"),
    ] {
        assert!(
            drift.contains(&(expected.0.to_string(), expected.1.to_string())),
            "missing {expected:?} in {drift:?}"
        );
    }
    let anomalies = table["anomalies"].as_array().expect("anomalies");
    assert_eq!(
        anomalies.iter().filter(|a| a["id"] == "PROF-DRIFT").count(),
        drift.len(),
        "{table:#}"
    );
    // The same comparison from an explicit baseline, without a project.
    let again = h
        .ok(
            "profile_datasource",
            json!({"datasource": "db", "baseline": first}),
        )
        .await;
    assert_eq!(again["tables"][0]["drift"], table["drift"]);
    // Suggested checks: the volume floor sits 20% below today's 20 rows, and they pass.
    let generated = h
        .ok("generate_quality_checks", json!({"profile": table}))
        .await;
    let volume = generated["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .find(|c| c["kind"] == "DQ-VOLUME")
        .cloned()
        .expect("volume check");
    assert_eq!(volume["threshold"]["min"], json!(16.0), "{volume:#}");
    let run = h
        .ok(
            "run_quality_checks",
            json!({"datasource": "db", "checks": generated["checks"]}),
        )
        .await;
    assert_eq!(run["passed"], json!(true), "{run:#}");
}
