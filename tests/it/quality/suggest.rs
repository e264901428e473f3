//! Suggestions pass on the data they were learned from (stale data gets an anomaly, not a
//! freshness check that fails at once; ranges follow the observed bounds), key-like
//! columns get an exact uniqueness test above the exact-distinct threshold, and batching
//! holds at the edges: more checks than a select list takes, and one failing check among
//! many.

use serde_json::{Value, json};

use super::{harness_in, harness_with, sqlite_file};
use crate::common::{Harness, mysql_url, postgres_url, unique_name};

/// `events`: stale (newest row in 2021), amounts from -20.5 to 980.25, a status enum.
/// `visits`: fresh (rows of the last hours).
fn seed(prefix: &str, text: &str, ts: &str, hours_ago: &dyn Fn(u32) -> String) -> Vec<String> {
    let events: Vec<String> = (1..=40)
        .map(|i| {
            let amount = match i {
                1 => "-20.5".to_string(),
                2 => "980.25".to_string(),
                _ => format!("{}.5", i * 3),
            };
            let status = ["new", "paid", "shipped"][(i % 3) as usize];
            format!(
                "({i}, {amount}, '{status}', '2021-0{}-1{} 10:00:00')",
                1 + i % 9,
                i % 10
            )
        })
        .collect();
    let visits: Vec<String> = (1..=30)
        .map(|i| format!("({i}, {}, {})", i % 7, hours_ago(i % 5)))
        .collect();
    vec![
        format!(
            "CREATE TABLE {prefix}events (event_id INTEGER PRIMARY KEY, amount DECIMAL(10,2), status {text}, happened_at {ts})"
        ),
        format!("INSERT INTO {prefix}events VALUES {}", events.join(", ")),
        format!("CREATE TABLE {prefix}visits (visit_id INTEGER, pages INTEGER, seen_at {ts})"),
        format!("INSERT INTO {prefix}visits VALUES {}", visits.join(", ")),
    ]
}

fn table<'a>(profile: &'a Value, name: &str) -> &'a Value {
    profile["tables"]
        .as_array()
        .and_then(|t| t.iter().find(|x| x["table"]["name"] == name))
        .unwrap_or_else(|| panic!("no table {name}: {profile:#}"))
}

async fn exercise(h: &Harness, engine: &str) {
    let profile = h
        .ok("profile_datasource", json!({"datasource": "db"}))
        .await;
    let events = table(&profile, "events");
    assert!(
        events["anomalies"]
            .as_array()
            .is_some_and(|a| a.iter().any(|x| x["id"] == "PROF-STALE-DATA")),
        "{engine}: stale data not flagged: {:#}",
        events["anomalies"]
    );
    let mut all = Vec::new();
    for name in ["events", "visits"] {
        let generated = h
            .ok(
                "generate_quality_checks",
                json!({"profile": table(&profile, name), "dialect": engine}),
            )
            .await;
        let checks = generated["checks"].as_array().cloned().unwrap_or_default();
        let kinds: Vec<&str> = checks.iter().filter_map(|c| c["kind"].as_str()).collect();
        match name {
            "events" => {
                assert!(!kinds.contains(&"DQ-FRESHNESS"), "{engine}: {kinds:?}");
                let range = checks
                    .iter()
                    .find(|c| c["id"] == "DQ-RANGE:events.amount")
                    .unwrap_or_else(|| panic!("{engine}: no range on amount: {kinds:?}"));
                let (min, max) = (
                    range["params"]["min"].as_f64().expect("min"),
                    range["params"]["max"].as_f64().expect("max"),
                );
                assert!(min <= -20.5 && min > -200.0, "{engine}: {range:#}");
                assert!((980.25..1200.0).contains(&max), "{engine}: {range:#}");
            }
            _ => assert!(kinds.contains(&"DQ-FRESHNESS"), "{engine}: {kinds:?}"),
        }
        all.extend(checks);
    }
    let run = h
        .ok(
            "run_quality_checks",
            json!({"datasource": "db", "checks": all}),
        )
        .await;
    assert_eq!(run["summary"]["failed"], json!(0), "{engine}: {run:#}");
    assert_eq!(run["summary"]["errors"], json!(0), "{engine}: {run:#}");
    assert_eq!(run["passed"], json!(true), "{engine}");
}

#[tokio::test]
async fn sqlite_suggestions_pass_on_their_data() {
    let dir = tempfile::tempdir().expect("dir");
    let ago = |h: u32| format!("datetime('now', '-{h} hours')");
    sqlite_file(
        &dir.path().join("s.db"),
        &seed("", "TEXT", "TIMESTAMP", &ago).join(";\n"),
    )
    .await;
    let h = harness_in(dir, "[datasources.db]\npath = \"s.db\"\n").await;
    exercise(&h, "sqlite").await;
}

#[tokio::test]
async fn postgres_suggestions_pass_on_their_data() {
    let Some(url) = postgres_url() else { return };
    let schema = unique_name("dq_sug_pg");
    let admin = sqlx::PgPool::connect(&url).await.expect("connect");
    let ago = |h: u32| format!("CURRENT_TIMESTAMP - INTERVAL '{h} hours'");
    let mut script = vec![format!("CREATE SCHEMA {schema}")];
    script.extend(seed(&format!("{schema}."), "TEXT", "TIMESTAMPTZ", &ago));
    sqlx::raw_sql(sqlx::AssertSqlSafe(script.join(";\n")))
        .execute(&admin)
        .await
        .expect("seed");
    let h = harness_with(
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
async fn mariadb_suggestions_pass_on_their_data() {
    let Some(url) = mysql_url() else { return };
    let db = unique_name("dq_sug_my");
    let admin = sqlx::MySqlPool::connect(&url).await.expect("connect");
    let ago = |h: u32| format!("NOW() - INTERVAL {h} HOUR");
    let mut script = vec![format!("CREATE DATABASE {db}")];
    script.extend(seed(&format!("{db}."), "VARCHAR(20)", "DATETIME", &ago));
    for stmt in script {
        sqlx::raw_sql(sqlx::AssertSqlSafe(stmt))
            .execute(&admin)
            .await
            .expect("seed");
    }
    let h = harness_with(
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

/// Above `exact_distinct_max_rows`, a key-like column that repeats is still caught with
/// its exact count, and a unique-looking one gets an exact distinct count.
#[tokio::test]
async fn postgres_key_like_columns_get_an_exact_uniqueness_test() {
    let Some(url) = postgres_url() else { return };
    let schema = unique_name("dq_key_pg");
    let admin = sqlx::PgPool::connect(&url).await.expect("connect");
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "CREATE SCHEMA {schema};
         CREATE TABLE {schema}.orders (order_id int, code text, qty int);
         INSERT INTO {schema}.orders SELECT g, 'c' || g, g % 3 FROM generate_series(1, 20000) g;
         INSERT INTO {schema}.orders SELECT g, 'd' || g, 1 FROM generate_series(1, 1800) g;
         ANALYZE {schema}.orders;"
    )))
    .execute(&admin)
    .await
    .expect("seed");
    let h = harness_with(
        &format!(
            "[datasources.db]\nurl_env = \"DANA_TEST_POSTGRES_URL\"\nallow_write_capable_role = true\nschema = \"{schema}\"\nexact_distinct_max_rows = 1000\nsample_rows = 500\n"
        ),
        |_| {},
    )
    .await;
    let profile = h
        .ok("profile_datasource", json!({"datasource": "db"}))
        .await;
    let orders = table(&profile, "orders");
    assert_eq!(orders["distinct_method"], json!("estimated"), "{orders:#}");
    let col = |name: &str| {
        orders["columns"]
            .as_array()
            .and_then(|c| c.iter().find(|x| x["name"] == name))
            .cloned()
            .expect("column")
    };
    assert_eq!(
        col("order_id")["distinct_count"],
        json!(20000),
        "{orders:#}"
    );
    assert_eq!(col("order_id")["distinct_estimated"], json!(false));
    assert_eq!(col("code")["distinct_count"], json!(21800), "{orders:#}");
    assert!(
        orders["anomalies"].as_array().is_some_and(|a| a
            .iter()
            .any(|x| x["id"] == "PROF-KEY-NOT-UNIQUE"
                && x["column"] == "order_id"
                && x["message"].as_str().is_some_and(|m| m.contains("1800")))),
        "{:#}",
        orders["anomalies"]
    );
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
        .execute(&admin)
        .await
        .expect("drop");
}

/// `n` range checks on `t.v`, one of them (index `bad`) on a text column when `bad` is set.
fn many_checks(n: usize, bad: Option<usize>) -> Vec<Value> {
    (0..n)
        .map(|i| {
            let column = if Some(i) == bad { "label" } else { "v" };
            json!({"id": format!("r{i}"), "kind": "DQ-RANGE", "table": "t", "columns": [column],
                   "params": {"min": -(i as f64), "max": 1000}})
        })
        .collect()
}

/// `run_quality_checks` of `checks` on datasource `db`, in-process, as JSON.
async fn run_direct(h: &Harness, checks: Vec<Value>) -> Value {
    let params: dana::domain::quality::RunQualityChecksParams =
        serde_json::from_value(json!({"datasource": "db", "checks": checks})).expect("params");
    let run = dana::domain::quality::run::run(&h.app, &params, &dana::domain::quality::NoProgress)
        .await
        .expect("run");
    serde_json::to_value(run).expect("json")
}

#[tokio::test]
async fn sqlite_more_checks_than_a_select_list_takes() {
    let dir = tempfile::tempdir().expect("dir");
    sqlite_file(
        &dir.path().join("b.db"),
        "CREATE TABLE t (v INTEGER, label TEXT); INSERT INTO t VALUES (1, 'a'), (2, 'b');",
    )
    .await;
    let h = harness_in(dir, "[datasources.db]\npath = \"b.db\"\n").await;
    let run = run_direct(&h, many_checks(2100, None)).await;
    assert_eq!(run["summary"]["passed"], json!(2100));
    assert_eq!(run["statements"], json!(3), "one scan per 1,000 checks");
}

#[tokio::test]
async fn postgres_one_failing_check_does_not_split_every_other() {
    let Some(url) = postgres_url() else { return };
    let schema = unique_name("dq_batch_pg");
    let admin = sqlx::PgPool::connect(&url).await.expect("connect");
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "CREATE SCHEMA {schema}; CREATE TABLE {schema}.t (v int, label text);
         INSERT INTO {schema}.t VALUES (1, 'a'), (2, 'b');"
    )))
    .execute(&admin)
    .await
    .expect("seed");
    let h = harness_with(
        &format!("[datasources.db]\nurl_env = \"DANA_TEST_POSTGRES_URL\"\nallow_write_capable_role = true\nschema = \"{schema}\"\n"),
        |_| {},
    )
    .await;
    // 2,000 checks: beyond PostgreSQL's 1,664 select-list entries in one statement (run
    // in-process: the tool's answer would be cut at 64 KiB).
    let run = run_direct(&h, many_checks(2000, Some(700))).await;
    assert_eq!(
        run["summary"]["passed"],
        json!(1999),
        "{:#}",
        run["summary"]
    );
    assert_eq!(run["summary"]["errors"], json!(1));
    let bad = run["results"]
        .as_array()
        .and_then(|r| r.iter().find(|x| x["id"] == "r700"))
        .expect("r700");
    assert_eq!(bad["status"], json!("error"), "{bad:#}");
    let statements = run["statements"].as_u64().expect("statements");
    assert!(
        statements <= 2 + 2 * 10 + 1,
        "{statements} statements: the failing chunk is bisected, not run check by check"
    );
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
        .execute(&admin)
        .await
        .expect("drop");
}
