//! The same checks mean the same thing on every engine: observed values read whatever
//! their SQL type (NUMERIC sums, DECIMAL, unsigned BIGINT), compound keys, and text
//! compared byte for byte (case and trailing spaces count on MariaDB as on PostgreSQL
//! and SQLite), pattern checks on SQLite through a registered `REGEXP`.

use serde_json::{Value, json};

use super::{harness_in, harness_with, sqlite_file};
use crate::common::{Harness, mysql_url, postgres_url, unique_name};

/// `codes(id, region, code, country, label)`: 2 rows beyond the first per repeated
/// (region, code), a NULL key part ignored; `country` has `USA` and `usa ` outside
/// {usa, fra}; `label` has `USA` and `ab1` outside `^[a-z ]+$` (`abc ` matches).
fn seed(prefix: &str, country_type: &str, label_type: &str) -> Vec<String> {
    vec![
        format!(
            "CREATE TABLE {prefix}codes (id INTEGER PRIMARY KEY, region {country_type}, code {country_type}, country {country_type}, label {label_type})"
        ),
        format!(
            "INSERT INTO {prefix}codes VALUES \
             (1, 'eu', 'A1', 'usa', 'abc'), (2, 'eu', 'A1', 'fra', 'xyz'), \
             (3, 'us', 'B2', 'usa', 'USA'), (4, 'us', 'B2', 'USA', 'ab1'), \
             (5, 'us', 'C3', 'usa ', 'abc '), (6, NULL, 'A1', 'fra', 'abc'), \
             (7, 'eu', 'D4', 'fra', 'abc')"
        ),
        // Key columns named like the aliases of dana's own statements: the count that
        // comes back with the failing keys is read by position, never by name.
        format!(
            "CREATE TABLE {prefix}taken (dana_observed INTEGER, dana_rows INTEGER, observed INTEGER)"
        ),
        format!(
            "INSERT INTO {prefix}taken VALUES (1, 1, 1), (1, 1, 1), (2, 5, 5), (9, 5, 5), (NULL, 7, 7)"
        ),
    ]
}

/// `taken`: `dana_observed` repeats 1 once and has the orphan 9; (dana_rows, observed)
/// repeats (1, 1) and (5, 5).
fn taken_spec() -> Value {
    json!({
        "name": "taken",
        "unique_keys": [["dana_rows", "observed"]],
        "columns": [{"name": "dana_observed", "unique": true}, {"name": "dana_rows"}, {"name": "observed"}],
        "foreign_keys": [{"columns": ["dana_observed"], "ref_table": "codes", "ref_columns": ["id"]}]
    })
}

fn spec(table: &str) -> Value {
    json!({
        "name": "codes",
        "primary_key": ["id"],
        "unique_keys": [["region", "code"]],
        "columns": [
            {"name": "id"}, {"name": "region"}, {"name": "code"},
            {"name": "country", "accepted_values": ["usa", "fra"]},
            {"name": "label", "pattern": "^[a-z ]+$"}
        ],
        "custom_checks": [
            {"name": "mean_id", "sql": format!("SELECT AVG(id) AS observed FROM {table}"), "min": 1, "max": 5},
            {"name": "row_count", "sql": format!("SELECT COUNT(*) AS observed FROM {table};"), "max": 5},
        ]
    })
}

fn result<'a>(run: &'a Value, id: &str) -> &'a Value {
    run["results"]
        .as_array()
        .and_then(|r| r.iter().find(|x| x["id"] == id))
        .unwrap_or_else(|| panic!("no result `{id}` in {run:#}"))
}

async fn exercise(h: &Harness, engine: &str, table: &str) {
    let run = h
        .ok(
            "run_quality_checks",
            json!({"datasource": "db", "tables": [spec(table)]}),
        )
        .await;
    for (id, expected) in [
        ("DQ-UNIQUE-COMBINATION:codes.region+code", 2.0),
        ("DQ-ACCEPTED-VALUES:codes.country", 2.0),
        ("DQ-PATTERN:codes.label", 2.0),
        ("DQ-UNIQUE:codes.id", 0.0),
        ("DQ-CUSTOM-SQL:codes.mean_id", 4.0),
        ("DQ-CUSTOM-SQL:codes.row_count", 7.0),
    ] {
        let r = result(&run, id);
        assert_eq!(
            r["status"],
            json!(if expected == 0.0 || id.ends_with("mean_id") {
                "pass"
            } else {
                "fail"
            }),
            "{engine}: {id}: {r:#}"
        );
        assert_eq!(
            r["observed"].as_f64(),
            Some(expected),
            "{engine}: {id}: {r:#}"
        );
    }
    // Failing keys: the repeated combinations, and the ids of the rows out of the set.
    let sample = &result(&run, "DQ-UNIQUE-COMBINATION:codes.region+code")["failing_sample"];
    let mut keys: Vec<String> = sample["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| {
            format!(
                "{}/{}/{}",
                r[0].as_str().unwrap_or("?"),
                r[1].as_str().unwrap_or("?"),
                r[2]
            )
        })
        .collect();
    keys.sort();
    assert_eq!(keys, ["eu/A1/2", "us/B2/2"], "{engine}: {sample:#}");
    let ids = |id: &str| -> Vec<String> {
        let mut v: Vec<String> = result(&run, id)["failing_sample"]["rows"]
            .as_array()
            .expect("rows")
            .iter()
            .map(|r| {
                r[0].as_str()
                    .map_or_else(|| r[0].to_string(), str::to_string)
            })
            .collect();
        v.sort();
        v
    };
    assert_eq!(
        ids("DQ-ACCEPTED-VALUES:codes.country"),
        ["4", "5"],
        "{engine}"
    );
    assert_eq!(ids("DQ-PATTERN:codes.label"), ["3", "4"], "{engine}");

    // Count and failing keys from one statement, whatever the key columns are called.
    let taken = h
        .ok(
            "run_quality_checks",
            json!({"datasource": "db", "tables": [taken_spec()]}),
        )
        .await;
    let keys_of = |id: &str| -> (f64, Vec<String>) {
        let r = result(&taken, id);
        assert_eq!(r["status"], json!("fail"), "{engine}: {id}: {r:#}");
        let mut keys: Vec<String> = r["failing_sample"]["rows"]
            .as_array()
            .unwrap_or_else(|| panic!("{engine}: {id}: no failing keys: {r:#}"))
            .iter()
            .map(|row| {
                row.as_array()
                    .expect("row")
                    .iter()
                    .map(|c| c.as_str().map_or_else(|| c.to_string(), str::to_string))
                    .collect::<Vec<_>>()
                    .join("/")
            })
            .collect();
        keys.sort();
        (r["observed"].as_f64().unwrap_or(-1.0), keys)
    };
    assert_eq!(
        keys_of("DQ-UNIQUE:taken.dana_observed"),
        (1.0, vec!["1/2".to_string()]),
        "{engine}"
    );
    assert_eq!(
        keys_of("DQ-UNIQUE-COMBINATION:taken.dana_rows+observed"),
        (2.0, vec!["1/1/2".to_string(), "5/5/2".to_string()]),
        "{engine}"
    );
    assert_eq!(
        keys_of("DQ-REFERENTIAL:taken.dana_observed->codes"),
        (1.0, vec!["9".to_string()]),
        "{engine}"
    );
    assert_eq!(run["summary"]["unsupported"], json!(0), "{engine}");
    // Custom checks: one row only, one read-only SELECT only.
    for (sql, expect) in [
        (
            format!("SELECT id AS observed FROM {table}"),
            "returned 7 rows",
        ),
        (format!("DELETE FROM {table}"), "params.sql"),
        (
            format!("SELECT 1 AS observed; DELETE FROM {table}"),
            "params.sql",
        ),
    ] {
        let check = json!({"id": "c", "kind": "DQ-CUSTOM-SQL", "table": "codes",
                           "params": {"sql": sql}, "threshold": {"max": 1}});
        let result = h
            .call(
                "run_quality_checks",
                json!({"datasource": "db", "checks": [check]}),
            )
            .await;
        let text = format!(
            "{}{:?}",
            crate::common::text(&result),
            result.structured_content
        );
        assert!(text.contains(expect), "{engine}: {sql}: {text}");
    }
    // Exports: a dbt singular test and an ODCS SQL rule.
    let generated = h
        .ok(
            "generate_quality_checks",
            json!({"table": spec(table), "dialect": engine, "formats": ["dbt", "odcs"]}),
        )
        .await;
    let singular = generated["dbt_singular_tests"]["tests/dq_custom_sql_codes_row_count.sql"]
        .as_str()
        .unwrap_or_else(|| panic!("{engine}: no singular test: {generated:#}"));
    assert!(singular.contains("observed, 0) > 5"), "{singular}");
    assert!(
        generated["odcs_quality"]
            .as_str()
            .is_some_and(|q| q.contains("DQ-CUSTOM-SQL:codes.mean_id")),
        "{generated:#}"
    );

    // Every observed type reads: exact decimals, big and unsigned integers, text.
    let ds = h.app.live.get("db").await.expect("datasource");
    let sql = match engine {
        "postgres" => format!(
            "SELECT CAST(12.50 AS NUMERIC(10,2)) AS d, SUM(CAST(id AS BIGINT)) AS s, CAST(9007199254740993 AS BIGINT) AS b, 'x' AS t FROM {table}"
        ),
        "mysql" => format!(
            "SELECT CAST(12.50 AS DECIMAL(10,2)) AS d, SUM(id) AS s, CAST(9007199254740993 AS UNSIGNED) AS b, 'x' AS t FROM {table}"
        ),
        _ => {
            format!("SELECT 12.50 AS d, SUM(id) AS s, 9007199254740993 AS b, 'x' AS t FROM {table}")
        }
    };
    let rows = ds.fetch(&sql, &[]).await.expect("typed observed values");
    let number = |c: &str| rows.first(c).and_then(dana::live::Cell::as_f64);
    assert_eq!(number("d"), Some(12.5), "{engine}: {rows:?}");
    assert_eq!(number("s"), Some(28.0), "{engine}: {rows:?}");
    assert_eq!(
        rows.first("b").and_then(dana::live::Cell::as_i64),
        Some(9_007_199_254_740_993),
        "{engine}: {rows:?}"
    );
    assert_eq!(
        rows.first("t")
            .and_then(dana::live::Cell::as_text)
            .as_deref(),
        Some("x")
    );
}

#[tokio::test]
async fn sqlite_compares_exactly_and_matches_patterns() {
    let dir = tempfile::tempdir().expect("dir");
    sqlite_file(
        &dir.path().join("c.db"),
        &seed("", "TEXT", "TEXT").join(";\n"),
    )
    .await;
    let h = harness_in(dir, "[datasources.db]\npath = \"c.db\"\n").await;
    exercise(&h, "sqlite", "codes").await;
}

#[tokio::test]
async fn postgres_compares_exactly_and_reads_numeric_sums() {
    let Some(url) = postgres_url() else { return };
    let schema = unique_name("dq_sem_pg");
    let admin = sqlx::PgPool::connect(&url).await.expect("connect");
    let mut script = vec![format!("CREATE SCHEMA {schema}")];
    script.extend(seed(&format!("{schema}."), "VARCHAR(20)", "TEXT"));
    sqlx::raw_sql(sqlx::AssertSqlSafe(script.join(";\n")))
        .execute(&admin)
        .await
        .expect("seed");
    let h = harness_with(
        &format!("[datasources.db]\nurl_env = \"DANA_TEST_POSTGRES_URL\"\nallow_write_capable_role = true\nschema = \"{schema}\"\n"),
        |_| {},
    )
    .await;
    exercise(&h, "postgres", &format!("{schema}.codes")).await;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
        .execute(&admin)
        .await
        .expect("drop");
}

#[tokio::test]
async fn mariadb_compares_case_and_trailing_spaces_exactly() {
    let Some(url) = mysql_url() else { return };
    let db = unique_name("dq_sem_my");
    let admin = sqlx::MySqlPool::connect(&url).await.expect("connect");
    let mut script = vec![format!("CREATE DATABASE {db}")];
    // Case-insensitive, PAD SPACE collations in two character sets.
    script.extend(seed(
        &format!("{db}."),
        "VARCHAR(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci",
        "VARCHAR(20) CHARACTER SET latin1 COLLATE latin1_swedish_ci",
    ));
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
    exercise(&h, "mysql", &format!("{db}.codes")).await;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP DATABASE {db}")))
        .execute(&admin)
        .await
        .expect("drop");
}
