//! The retail sample (fixtures/sample): a 5-table schema with foreign keys, loaded as a
//! clean copy and a defect copy on PostgreSQL, MariaDB and SQLite. Declared checks find
//! every planted defect of defects.yaml with its exact count and failing keys; checks
//! suggested from the clean copy's profile find every defect their kinds cover; nothing
//! else fails, and the clean copy passes everything.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use super::{harness_in, sqlite_file};
use crate::common::{Harness, mysql_url, postgres_url, unique_name};

const SCHEMA: &str = include_str!("fixtures/sample/schema.sql");
const CLEAN: &str = include_str!("fixtures/sample/clean.sql");
const DEFECTS: &str = include_str!("fixtures/sample/defects.yaml");

fn fixture() -> Value {
    serde_norway::from_str(DEFECTS).expect("defects.yaml")
}

/// The statements loading one copy: schema (keys enforced only in the clean copy), clean
/// rows, and for the defect copy every defect's `plant` statements.
pub fn load_statements(defects: bool, mysql: bool) -> Vec<String> {
    let schema: String = SCHEMA
        .lines()
        .filter(|l| !(defects && l.trim_start().starts_with(", CONSTRAINT")))
        .map(|l| {
            if mysql {
                l.replace(" TIMESTAMP", " DATETIME")
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let mut out: Vec<String> = [schema.as_str(), CLEAN]
        .iter()
        .flat_map(|s| s.split(";\n"))
        .map(|s| {
            s.lines()
                .filter(|l| !l.trim_start().starts_with("--"))
                .collect::<Vec<_>>()
                .join("\n")
        })
        .map(|s| s.trim().trim_end_matches(';').to_string())
        .filter(|s| !s.is_empty())
        .collect();
    if defects {
        for d in fixture()["defects"].as_array().expect("defects") {
            for p in d["plant"].as_array().expect("plant") {
                out.push(p.as_str().expect("statement").to_string());
            }
        }
    }
    out
}

fn results(run: &Value) -> &Vec<Value> {
    run["results"].as_array().expect("results")
}

/// Failing keys of a result: the first `width` cells of each sampled row, `|`-joined.
fn keys(result: &Value, width: usize) -> BTreeSet<String> {
    result["failing_sample"]["rows"]
        .as_array()
        .map(|rows| {
            rows.iter()
                .map(|r| {
                    r.as_array()
                        .expect("row")
                        .iter()
                        .take(width)
                        .map(|c| match c {
                            Value::String(s) => s.clone(),
                            other => other.to_string(),
                        })
                        .collect::<Vec<_>>()
                        .join("|")
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Every defect whose `field` names a check fails it with the exact count and keys, and
/// no other check of the run fails.
fn assert_found(engine: &str, run: &Value, field: &str) {
    let fixture = fixture();
    let mut expected: BTreeMap<String, &Value> = BTreeMap::new();
    for d in fixture["defects"].as_array().expect("defects") {
        if let Some(id) = d[field].as_str() {
            expected.insert(id.to_string(), d);
        }
    }
    let by_id: BTreeMap<&str, &Value> = results(run)
        .iter()
        .map(|r| (r["id"].as_str().expect("id"), r))
        .collect();
    for (id, d) in &expected {
        let r = by_id
            .get(id.as_str())
            .unwrap_or_else(|| panic!("{engine} {field}: no check `{id}` ({})", d["id"]));
        assert_eq!(
            r["passed"],
            json!(false),
            "{engine} {field}: {} not found: {r:#}",
            d["id"]
        );
        assert_eq!(
            r["observed"].as_f64(),
            d["count"].as_f64(),
            "{engine} {field}: {} count: {r:#}",
            d["id"]
        );
        if field == "declared" {
            assert_eq!(
                r["severity"], d["severity"],
                "{engine}: {} severity from the share of rows: {r:#}",
                d["id"]
            );
        }
        let want: BTreeSet<String> = d["failing_keys"]
            .as_array()
            .expect("keys")
            .iter()
            .map(|k| k.as_str().expect("key").to_string())
            .collect();
        let width = want.iter().next().map_or(1, |k| k.split('|').count());
        assert_eq!(
            keys(r, width),
            want,
            "{engine} {field}: {} failing keys: {r:#}",
            d["id"]
        );
    }
    let unexpected: Vec<&Value> = results(run)
        .iter()
        .filter(|r| r["passed"] != json!(true))
        .filter(|r| !expected.contains_key(r["id"].as_str().unwrap_or_default()))
        .collect();
    assert!(
        unexpected.is_empty(),
        "{engine} {field}: checks failing without a planted defect: {unexpected:#?}"
    );
}

async fn exercise(h: &Harness, engine: &str) {
    let tables = fixture()["tables"].clone();
    // Declared checks: every defect on the defect copy, nothing on the clean copy.
    let run = h
        .ok(
            "run_quality_checks",
            json!({"datasource": "defect", "tables": tables}),
        )
        .await;
    assert_found(engine, &run, "declared");
    let clean = h
        .ok(
            "run_quality_checks",
            json!({"datasource": "clean", "tables": tables}),
        )
        .await;
    assert_eq!(
        clean["passed"],
        json!(true),
        "{engine}: clean copy failed: {clean:#}"
    );

    // Suggested checks learned from the clean copy's profile.
    let profile = h
        .ok("profile_datasource", json!({"datasource": "clean"}))
        .await;
    let mut checks = Vec::new();
    for table in profile["tables"].as_array().expect("tables") {
        let generated = h
            .ok(
                "generate_quality_checks",
                json!({"profile": table, "dialect": engine}),
            )
            .await;
        checks.extend(
            generated["checks"]
                .as_array()
                .expect("checks")
                .iter()
                .cloned(),
        );
    }
    let clean = h
        .ok(
            "run_quality_checks",
            json!({"datasource": "clean", "checks": checks}),
        )
        .await;
    assert_eq!(
        clean["passed"],
        json!(true),
        "{engine}: suggested checks fail on the data they came from: {clean:#}"
    );
    let run = h
        .ok(
            "run_quality_checks",
            json!({"datasource": "defect", "checks": checks}),
        )
        .await;
    assert_found(engine, &run, "suggested");
}

#[tokio::test]
async fn sample_defects_found_on_sqlite() {
    let dir = tempfile::tempdir().expect("dir");
    for (file, defects) in [("clean.db", false), ("defect.db", true)] {
        let script = load_statements(defects, false).join(";\n");
        sqlite_file(&dir.path().join(file), &script).await;
    }
    let h = harness_in(
        dir,
        "[datasources.clean]\npath = \"clean.db\"\n[datasources.defect]\npath = \"defect.db\"\n",
    )
    .await;
    exercise(&h, "sqlite").await;
}

#[tokio::test]
async fn sample_defects_found_on_postgres() {
    let Some(url) = postgres_url() else { return };
    let admin = sqlx::PgPool::connect(&url).await.expect("connect");
    let (clean, defect) = (
        unique_name("dq_sample_clean"),
        unique_name("dq_sample_defect"),
    );
    for (schema, defects) in [(&clean, false), (&defect, true)] {
        let mut script = vec![
            format!("CREATE SCHEMA {schema}"),
            format!("SET search_path TO {schema}"),
        ];
        script.extend(load_statements(defects, false));
        sqlx::raw_sql(sqlx::AssertSqlSafe(script.join(";\n")))
            .execute(&admin)
            .await
            .expect("load");
    }
    let h = super::harness_with(
        &format!(
            "[datasources.clean]\nurl_env = \"DANA_TEST_POSTGRES_URL\"\nallow_write_capable_role = true\nschema = \"{clean}\"\n\
             [datasources.defect]\nurl_env = \"DANA_TEST_POSTGRES_URL\"\nallow_write_capable_role = true\nschema = \"{defect}\"\n"
        ),
        |_| {},
    )
    .await;
    exercise(&h, "postgres").await;
    for schema in [&clean, &defect] {
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
            .execute(&admin)
            .await
            .expect("drop");
    }
}

#[tokio::test]
async fn sample_defects_found_on_mariadb() {
    let Some(url) = mysql_url() else { return };
    let admin = sqlx::MySqlPool::connect(&url).await.expect("connect");
    let (clean, defect) = (
        unique_name("dq_sample_clean"),
        unique_name("dq_sample_defect"),
    );
    for (db, defects) in [(&clean, false), (&defect, true)] {
        let mut conn = admin.acquire().await.expect("conn");
        let mut script = vec![format!("CREATE DATABASE {db}"), format!("USE {db}")];
        script.extend(load_statements(defects, true));
        for stmt in script {
            sqlx::raw_sql(sqlx::AssertSqlSafe(stmt))
                .execute(&mut *conn)
                .await
                .expect("load");
        }
    }
    let h = super::harness_with(
        &format!(
            "[datasources.clean]\nurl_env = \"DANA_TEST_MYSQL_URL\"\nallow_write_capable_role = true\nschema = \"{clean}\"\n\
             [datasources.defect]\nurl_env = \"DANA_TEST_MYSQL_URL\"\nallow_write_capable_role = true\nschema = \"{defect}\"\n"
        ),
        |_| {},
    )
    .await;
    exercise(&h, "mysql").await;
    for db in [&clean, &defect] {
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP DATABASE {db}")))
            .execute(&admin)
            .await
            .expect("drop");
    }
}
