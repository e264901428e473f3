//! Generated SQL on the real engines: monitor and backfill validation queries execute on
//! PostgreSQL, MySQL/MariaDB and SQLite with the expected answers and parse in every
//! dialect; EXPLAIN runs on PostgreSQL through the read-only datasource; anything but one
//! SELECT is refused before a connection is attempted.

use dana::dialect::{self, TableName};
use dana::domain::backfill::{self, PlanBackfillParams};
use dana::domain::monitoring::monitor_sql;
use serde_json::{Value, json};
use sqlx::Row;

use super::books;
use crate::common::{Harness, mysql_url, postgres_url, unique_name};
use crate::quality::harness_with;

/// Seed rows: (minutes ago) for `loaded_at`, as engine expressions.
fn arrivals() -> Vec<u32> {
    // 100 rows an hour ago, then 100 rows per day for the 7 days before.
    let mut out = vec![60; 100];
    for day in 1..=7u32 {
        out.extend(std::iter::repeat_n(day * 24 * 60 + 60, 100));
    }
    out
}

fn backfill_params(dialect: &str, schema: Option<&str>) -> PlanBackfillParams {
    serde_json::from_value(json!({
        "table": "fct_sales", "schema": schema, "dialect": dialect, "date_column": "sale_date",
        "start": "2024-01-03", "end": "2024-01-07", "grain": "day",
        "key_columns": ["sale_id"], "metric_columns": ["amount"]
    }))
    .expect("params")
}

/// 3 sales per day 2024-01-01..10 plus one duplicate of sale 5-1 on 2024-01-05.
fn sales_values() -> String {
    let mut rows = Vec::new();
    for day in 1..=10 {
        for n in 1..=3 {
            rows.push(format!("('{day}-{n}', '2024-01-{day:02}', {n})"));
        }
    }
    rows.push("('5-1', '2024-01-05', 1)".to_string());
    rows.join(", ")
}

fn check_backfill_answers(results: &[(String, Vec<Vec<String>>)]) {
    let by_id = |id: &str| {
        &results
            .iter()
            .find(|(i, _)| i == id)
            .unwrap_or_else(|| panic!("{id}"))
            .1
    };
    let profile = by_id("BF-V-PROFILE");
    assert_eq!(
        profile[0][0], "16",
        "5 days x 3 rows + 1 duplicate: {profile:?}"
    );
    assert_eq!(profile[0][3], "15", "distinct keys");
    let dups = by_id("BF-V-DUPLICATES");
    assert_eq!(dups.len(), 1, "{dups:?}");
    assert_eq!(dups[0][0], "5-1");
    let parts = by_id("BF-V-PARTITIONS");
    let got: Vec<(String, String)> = parts.iter().map(|r| (r[0].clone(), r[1].clone())).collect();
    assert_eq!(
        got,
        [
            ("2024-01-07", "3"),
            ("2024-01-06", "3"),
            ("2024-01-05", "4"),
            ("2024-01-04", "3"),
            ("2024-01-03", "3")
        ]
        .map(|(a, b)| (a.to_string(), b.to_string())),
        "rows per partition, most recent first"
    );
}

fn cell_pg(row: &sqlx::postgres::PgRow, i: usize) -> String {
    row.try_get::<Option<i64>, _>(i)
        .map(|v| v.map(|x| x.to_string()))
        .or_else(|_| row.try_get::<Option<String>, _>(i))
        .or_else(|_| {
            row.try_get::<Option<f64>, _>(i)
                .map(|v| v.map(|x| x.to_string()))
        })
        .or_else(|_| {
            row.try_get::<Option<chrono::NaiveDate>, _>(i)
                .map(|v| v.map(|x| x.to_string()))
        })
        .unwrap_or_default()
        .unwrap_or_default()
}

#[tokio::test]
async fn every_generated_statement_parses_in_every_dialect() {
    let ops = books().operations;
    for d in dialect::all() {
        let schema = if d.name() == "sqlite" {
            None
        } else {
            Some("analytics")
        };
        let plan =
            backfill::plan(&books().pipeline, &backfill_params(d.name(), schema)).expect("plan");
        for v in &plan.validation {
            dialect::parse::check(d, &v.sql)
                .unwrap_or_else(|e| panic!("{} {}: {e}", d.name(), v.id));
        }
        let monitors = monitor_sql(
            &ops,
            d,
            &TableName::new(schema, "fct_sales"),
            "loaded_at",
            90,
        )
        .expect("monitors");
        for m in monitors {
            dialect::parse::check(d, &m.sql)
                .unwrap_or_else(|e| panic!("{} {}: {e}", d.name(), m.metric));
        }
    }
    // A hostile name is quoted into one identifier (each query stays one statement); a name
    // that cannot be made safe is refused.
    let pg = dialect::by_name("postgres").expect("pg");
    let hostile = PlanBackfillParams {
        date_column: "sale_date\"; DROP TABLE x; --".to_string(),
        ..backfill_params("postgres", None)
    };
    for v in backfill::plan(&books().pipeline, &hostile)
        .expect("quoted")
        .validation
    {
        dialect::parse::check(pg, &v.sql).unwrap_or_else(|e| panic!("{e}"));
    }
    let bad = PlanBackfillParams {
        date_column: "sale\u{0}date".to_string(),
        ..backfill_params("postgres", None)
    };
    assert!(backfill::plan(&books().pipeline, &bad).is_err());
}

#[tokio::test]
async fn monitors_and_backfill_queries_answer_correctly_on_sqlite() {
    use sqlx::ConnectOptions;
    let dir = tempfile::tempdir().expect("dir");
    let mut conn = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(dir.path().join("w.db"))
        .create_if_missing(true)
        .connect()
        .await
        .expect("sqlite");
    let values: Vec<String> = arrivals()
        .iter()
        .map(|m| format!("(datetime('now', '-{m} minutes'))"))
        .collect();
    let seed = format!(
        "CREATE TABLE events (loaded_at TEXT NOT NULL); INSERT INTO events VALUES {};
         CREATE TABLE stale (loaded_at TEXT NOT NULL); INSERT INTO stale VALUES (datetime('now', '-3 days'));
         CREATE TABLE fct_sales (sale_id TEXT, sale_date TEXT, amount INTEGER); INSERT INTO fct_sales VALUES {};",
        values.join(", "),
        sales_values()
    );
    sqlx::raw_sql(sqlx::AssertSqlSafe(seed))
        .execute(&mut conn)
        .await
        .expect("seed");
    let d = dialect::by_name("sqlite").expect("sqlite");
    let ops = books().operations;
    for (table, expected) in [("events", ["PASS", "PASS"]), ("stale", ["FAIL", "FAIL"])] {
        let monitors =
            monitor_sql(&ops, d, &TableName::new(None, table), "loaded_at", 120).expect("sql");
        for (m, want) in monitors.iter().zip(expected) {
            let row = sqlx::query(sqlx::AssertSqlSafe(m.sql.clone()))
                .fetch_one(&mut conn)
                .await
                .expect(&m.sql);
            let status: String = row.try_get(row.len() - 1).expect("status");
            assert_eq!(status, want, "{table} {}", m.metric);
        }
    }
    let plan = backfill::plan(&books().pipeline, &backfill_params("sqlite", None)).expect("plan");
    let mut results = Vec::new();
    for v in &plan.validation {
        let rows = sqlx::query(sqlx::AssertSqlSafe(v.sql.clone()))
            .fetch_all(&mut conn)
            .await
            .expect(&v.sql);
        let text: Vec<Vec<String>> = rows
            .iter()
            .map(|r| {
                (0..r.len())
                    .map(|i| {
                        r.try_get::<Option<i64>, _>(i)
                            .map(|v| v.map(|x| x.to_string()))
                            .or_else(|_| r.try_get::<Option<String>, _>(i))
                            .unwrap_or_default()
                            .unwrap_or_default()
                    })
                    .collect()
            })
            .collect();
        results.push((v.id.clone(), text));
    }
    check_backfill_answers(&results);
}

#[tokio::test]
async fn monitors_and_backfill_queries_answer_correctly_on_postgres() {
    let Some(url) = postgres_url() else { return };
    let schema = unique_name("ops_pg");
    let pool = sqlx::PgPool::connect(&url).await.expect("connect");
    let values: Vec<String> = arrivals()
        .iter()
        .map(|m| format!("(now() - interval '{m} minutes')"))
        .collect();
    let seed = format!(
        "CREATE SCHEMA {schema};
         CREATE TABLE {schema}.events (loaded_at timestamptz NOT NULL); INSERT INTO {schema}.events VALUES {};
         CREATE TABLE {schema}.stale (loaded_at timestamptz NOT NULL); INSERT INTO {schema}.stale VALUES (now() - interval '3 days');
         CREATE TABLE {schema}.fct_sales (sale_id text, sale_date date, amount numeric(10,2)); INSERT INTO {schema}.fct_sales VALUES {};",
        values.join(", "),
        sales_values()
    );
    sqlx::raw_sql(sqlx::AssertSqlSafe(seed))
        .execute(&pool)
        .await
        .expect("seed");
    let d = dialect::by_name("postgres").expect("pg");
    let ops = books().operations;
    for (table, expected) in [("events", ["PASS", "PASS"]), ("stale", ["FAIL", "FAIL"])] {
        let monitors = monitor_sql(
            &ops,
            d,
            &TableName::new(Some(&schema), table),
            "loaded_at",
            120,
        )
        .expect("sql");
        for (m, want) in monitors.iter().zip(expected) {
            let row = sqlx::query(sqlx::AssertSqlSafe(m.sql.clone()))
                .fetch_one(&pool)
                .await
                .expect(&m.sql);
            let status: String = row.try_get(row.len() - 1).expect("status");
            assert_eq!(status, want, "{table} {}", m.metric);
        }
    }
    let plan = backfill::plan(
        &books().pipeline,
        &backfill_params("postgres", Some(&schema)),
    )
    .expect("plan");
    let mut results = Vec::new();
    for v in &plan.validation {
        let rows = sqlx::query(sqlx::AssertSqlSafe(v.sql.clone()))
            .fetch_all(&pool)
            .await
            .expect(&v.sql);
        results.push((
            v.id.clone(),
            rows.iter()
                .map(|r| (0..r.len()).map(|i| cell_pg(r, i)).collect())
                .collect(),
        ));
    }
    check_backfill_answers(&results);
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
        .execute(&pool)
        .await
        .expect("drop");
}

#[tokio::test]
async fn monitors_and_backfill_queries_answer_correctly_on_mysql() {
    let Some(url) = mysql_url() else { return };
    let db = unique_name("ops_my");
    let pool = sqlx::MySqlPool::connect(&url).await.expect("connect");
    let values: Vec<String> = arrivals()
        .iter()
        .map(|m| format!("(UTC_TIMESTAMP(6) - INTERVAL {m} MINUTE)"))
        .collect();
    let seed = format!(
        "CREATE DATABASE {db};
         CREATE TABLE {db}.events (loaded_at DATETIME(6) NOT NULL); INSERT INTO {db}.events VALUES {};
         CREATE TABLE {db}.stale (loaded_at DATETIME(6) NOT NULL); INSERT INTO {db}.stale VALUES (UTC_TIMESTAMP(6) - INTERVAL 3 DAY);
         CREATE TABLE {db}.fct_sales (sale_id VARCHAR(20), sale_date DATE, amount DECIMAL(10,2)); INSERT INTO {db}.fct_sales VALUES {};",
        values.join(", "),
        sales_values()
    );
    sqlx::raw_sql(sqlx::AssertSqlSafe(seed))
        .execute(&pool)
        .await
        .expect("seed");
    let d = dialect::by_name("mysql").expect("mysql");
    let ops = books().operations;
    for (table, expected) in [("events", ["PASS", "PASS"]), ("stale", ["FAIL", "FAIL"])] {
        let monitors =
            monitor_sql(&ops, d, &TableName::new(Some(&db), table), "loaded_at", 120).expect("sql");
        for (m, want) in monitors.iter().zip(expected) {
            let row = sqlx::query(sqlx::AssertSqlSafe(m.sql.clone()))
                .fetch_one(&pool)
                .await
                .expect(&m.sql);
            let status: String = row.try_get(row.len() - 1).expect("status");
            assert_eq!(status, want, "{table} {}", m.metric);
        }
    }
    let plan =
        backfill::plan(&books().pipeline, &backfill_params("mysql", Some(&db))).expect("plan");
    let mut results = Vec::new();
    for v in &plan.validation {
        let rows = sqlx::query(sqlx::AssertSqlSafe(v.sql.clone()))
            .fetch_all(&pool)
            .await
            .expect(&v.sql);
        let text = rows
            .iter()
            .map(|r| {
                (0..r.len())
                    .map(|i| {
                        r.try_get::<Option<i64>, _>(i)
                            .map(|v| v.map(|x| x.to_string()))
                            .or_else(|_| r.try_get::<Option<String>, _>(i))
                            .or_else(|_| {
                                r.try_get::<Option<chrono::NaiveDate>, _>(i)
                                    .map(|v| v.map(|x| x.to_string()))
                            })
                            .or_else(|_| r.try_get_unchecked::<Option<String>, _>(i))
                            .unwrap_or_default()
                            .unwrap_or_default()
                    })
                    .collect()
            })
            .collect();
        results.push((v.id.clone(), text));
    }
    check_backfill_answers(&results);
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP DATABASE {db}")))
        .execute(&pool)
        .await
        .expect("drop");
}

#[tokio::test]
async fn explain_on_postgres_flags_large_sequential_scans_only() {
    let Some(url) = postgres_url() else { return };
    let schema = unique_name("ops_explain");
    let admin = sqlx::PgPool::connect(&url).await.expect("connect");
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "CREATE SCHEMA {schema};
         CREATE TABLE {schema}.big_events AS SELECT g AS id, g % 100 AS kind FROM generate_series(1, 200000) g;
         CREATE UNIQUE INDEX ON {schema}.big_events (id);
         CREATE TABLE {schema}.tiny_lookup AS SELECT g AS id FROM generate_series(1, 50) g;
         ANALYZE {schema}.big_events; ANALYZE {schema}.tiny_lookup;"
    )))
    .execute(&admin)
    .await
    .expect("seed");
    // Statements are confined to the datasource's schema: name it.
    let h = harness_with(
        &format!("[datasources.pg]\nurl_env = \"DANA_TEST_POSTGRES_URL\"\nallow_write_capable_role = true\nschema = \"{schema}\"\n"),
        |_| {},
    )
    .await;
    let review = |sql: String| {
        let h = &h;
        async move {
            h.ok(
                "review_sql",
                json!({"sql": sql, "dialect": "postgres", "datasource": "pg"}),
            )
            .await
        }
    };
    let out = review(format!(
        "SELECT id, kind FROM {schema}.big_events WHERE kind = 3"
    ))
    .await;
    let plan_rules: Vec<&str> = out["plan"]["findings"]
        .as_array()
        .expect("plan findings")
        .iter()
        .filter_map(|f| f["rule"].as_str())
        .collect();
    assert_eq!(plan_rules, ["PLAN-SEQ-SCAN-LARGE"], "{out}");
    assert!(
        out["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .any(|f| f["rule"] == "PLAN-SEQ-SCAN-LARGE")
    );
    assert!(
        out["plan"]["plan"]
            .to_string()
            .contains("Seq Scan on big_events"),
        "{out}"
    );
    assert_eq!(out["plan"]["engine"], json!("postgres"));
    // Near misses: an index lookup on the big table, a scan of a tiny table.
    for sql in [
        format!("SELECT id, kind FROM {schema}.big_events WHERE id = 42"),
        format!("SELECT id FROM {schema}.tiny_lookup WHERE id = 3"),
    ] {
        let out = review(sql.clone()).await;
        assert_eq!(out["plan"]["findings"], json!([]), "{sql}: {out}");
    }
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
        .execute(&admin)
        .await
        .expect("drop");
}

#[tokio::test]
async fn explain_refuses_non_select_and_multiple_statements_before_the_database() {
    // The datasource points at a variable that is not set: any attempt to reach it fails
    // with a datasource error, so a refusal message proves nothing was sent.
    let h = harness_with(
        "[datasources.nowhere]\nurl_env = \"DANA_TEST_OPS_UNSET_URL\"\n",
        |_| {},
    )
    .await;
    let call = |sql: &str| {
        let h = &h;
        let args = json!({"sql": sql, "dialect": "postgres", "datasource": "nowhere"});
        async move { h.err("review_sql", args).await }
    };
    for (sql, expected) in [
        (
            "DELETE FROM orders WHERE id = 1",
            "EXPLAIN accepts only a SELECT",
        ),
        (
            "SELECT 1; SELECT 2",
            "exactly one SELECT statement; found 2",
        ),
        (
            "SELECT 1; DROP TABLE orders",
            "exactly one SELECT statement; found 2",
        ),
        (
            "WITH gone AS (DELETE FROM orders RETURNING *) SELECT * FROM gone",
            "read-only SELECT",
        ),
        ("SELECT * INTO backup FROM orders", "read-only SELECT"),
        ("SELECT * FROM orders FOR UPDATE", "read-only SELECT"),
        (
            "EXPLAIN ANALYZE SELECT * FROM orders",
            "EXPLAIN accepts only a SELECT",
        ),
    ] {
        let err = call(sql).await;
        assert!(err.contains(expected), "{sql}: {err}");
        assert!(
            !err.contains("DANA_TEST_OPS_UNSET_URL") && !err.contains("datasource `nowhere`"),
            "reached the datasource: {err}"
        );
    }
    // A plain SELECT does go for the datasource (and fails there), so the refusals above
    // really happen earlier.
    let err = call("SELECT 1").await;
    assert!(
        err.contains("nowhere") || err.contains("DANA_TEST_OPS_UNSET_URL"),
        "{err}"
    );
    let _: Value = json!(null);
    let _ = Harness::new;
}
