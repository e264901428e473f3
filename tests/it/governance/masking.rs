//! PII controls as SQL (`classify_data` with `masking`): the generated view, grants,
//! column privileges and row-level security run on PostgreSQL and MariaDB, and a
//! restricted reader sees only masked values (no raw value in any cell it can read) and
//! cannot read the base table. Hostile table and column names stay quoted: the SQL runs
//! and a sentinel table survives.

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Value, json};
use sqlx::{Connection, Executor, Row};

use crate::common::{Harness, mysql_url, postgres_url, unique_name};

/// Raw PII values of the seeded rows.
const RAW: &[&str] = &[
    "amelie.roux@example.org",
    "bjorn.falk@example.net",
    "4111 1111 1111 1111",
    "5500-0000-0000-0004",
    "Amelie Roux",
    "Bjorn Falk",
    "123-45-6789",
    "234-56-7890",
];

fn spec(table: &str, extra: &[&str]) -> Value {
    let mut columns = vec![
        json!({"name": "id", "type": "integer", "nullable": false}),
        json!({"name": "email", "type": "varchar(200)"}),
        json!({"name": "card_number", "type": "varchar(40)"}),
        json!({"name": "full_name", "type": "varchar(100)"}),
        json!({"name": "ssn", "type": "varchar(20)"}),
        json!({"name": "city", "type": "varchar(60)"}),
    ];
    for e in extra {
        columns.push(json!({"name": e, "type": "varchar(80)"}));
    }
    json!({"name": table, "primary_key": ["id"], "columns": columns})
}

fn statements(result: &Value) -> Vec<String> {
    result["masking"]["statements"]
        .as_array()
        .expect("masking.statements")
        .iter()
        .map(|s| s.as_str().expect("statement").to_string())
        .collect()
}

fn assert_masked(cells: &[Option<String>]) {
    for cell in cells.iter().flatten() {
        for raw in RAW {
            assert!(!cell.contains(raw), "raw value {raw:?} visible: {cell:?}");
        }
    }
}

fn check_masked_row(email: &str, card: &str, name: &str, ssn: &str) {
    assert!(
        email == "***@example.org" || email == "***@example.net",
        "{email}"
    );
    assert!(card == "****1111" || card == "****0004", "{card}");
    use sha2::Digest;
    let hex = |v: &str| {
        sha2::Sha256::digest(v.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    };
    assert!(
        name == hex("Amelie Roux") || name == hex("Bjorn Falk"),
        "not the SHA-256 hex of a name: {name}"
    );
    assert!(
        ssn == hex("123-45-6789") || ssn == hex("234-56-7890"),
        "not the SHA-256 hex of an SSN: {ssn}"
    );
}

const INSERT: &str = "(1, 'amelie.roux@example.org', '4111 1111 1111 1111', 'Amelie Roux', '123-45-6789', 'Paris', {owner}), \
     (2, 'bjorn.falk@example.net', '5500-0000-0000-0004', 'Bjorn Falk', '234-56-7890', 'Oslo', 'someone_else')";

#[tokio::test]
async fn postgres_reader_sees_only_masked_values() {
    let Some(url) = postgres_url() else { return };
    let h = Harness::new().await;
    let schema = unique_name("mask_pg");
    let role = unique_name("mask_reader");
    let result = h
        .ok(
            "classify_data",
            json!({
                "table": {"spec": spec("customers", &["account_manager"])},
                "masking": {"dialect": "postgres", "schema": schema, "reader_role": role,
                            "row_filter": "account_manager"}
            }),
        )
        .await;
    let mut admin = sqlx::PgConnection::connect(&url).await.expect("connect");
    let setup = format!(
        "CREATE SCHEMA {schema}; CREATE ROLE {role} NOLOGIN; \
         CREATE TABLE {schema}.customers (id integer PRIMARY KEY, email varchar(200), card_number varchar(40), \
         full_name varchar(100), ssn varchar(20), city varchar(60), account_manager varchar(80)); \
         INSERT INTO {schema}.customers VALUES {}",
        INSERT.replace("{owner}", &format!("'{role}'"))
    );
    admin
        .execute(sqlx::AssertSqlSafe(setup))
        .await
        .expect("setup");
    for s in statements(&result) {
        admin
            .execute(sqlx::AssertSqlSafe(s.clone()))
            .await
            .unwrap_or_else(|e| panic!("{s}: {e}"));
    }
    admin
        .execute(sqlx::AssertSqlSafe(format!("SET ROLE {role}")))
        .await
        .expect("set role");
    let base = admin
        .fetch_all(sqlx::AssertSqlSafe(format!(
            "SELECT * FROM {schema}.customers"
        )))
        .await;
    let denied = base.expect_err("reader read the base table");
    assert!(denied.to_string().contains("permission denied"), "{denied}");
    let plain = admin
        .fetch_all(sqlx::AssertSqlSafe(format!(
            "SELECT id, city FROM {schema}.customers"
        )))
        .await
        .expect("column privileges on the non-PII columns");
    assert_eq!(plain.len(), 1, "row-level security keeps the reader's rows");
    let rows = admin
        .fetch_all(sqlx::AssertSqlSafe(format!(
            "SELECT CAST(id AS text), email, card_number, full_name, ssn, city FROM {schema}.customers_masked"
        )))
        .await
        .expect("reader reads the view");
    assert_eq!(rows.len(), 1, "the view carries the row filter");
    for row in &rows {
        let cells: Vec<Option<String>> = (0..6).map(|i| row.get(i)).collect();
        assert_masked(&cells);
        let c = |i: usize| cells[i].clone().expect("value");
        check_masked_row(&c(1), &c(2), &c(3), &c(4));
        assert_eq!(c(5), "Paris");
    }
    admin.execute("RESET ROLE").await.expect("reset");
    admin
        .execute(sqlx::AssertSqlSafe(format!(
            "DROP SCHEMA {schema} CASCADE; DROP OWNED BY {role}; DROP ROLE {role}"
        )))
        .await
        .expect("cleanup");
}

#[tokio::test]
async fn mariadb_reader_sees_only_masked_values() {
    let Some(url) = mysql_url() else { return };
    let h = Harness::new().await;
    let db = unique_name("mask_my");
    let user = unique_name("mask_u");
    let result = h
        .ok(
            "classify_data",
            json!({
                "table": {"spec": spec("customers", &["account_manager"])},
                "masking": {"dialect": "mariadb", "schema": db, "reader_role": user}
            }),
        )
        .await;
    let mut admin = sqlx::MySqlConnection::connect(&url).await.expect("connect");
    for s in [
        format!("CREATE DATABASE {db}"),
        format!("CREATE USER '{user}'@'%' IDENTIFIED BY 'pw-{user}'"),
        format!(
            "CREATE TABLE {db}.customers (id integer PRIMARY KEY, email varchar(200), card_number varchar(40), \
             full_name varchar(100), ssn varchar(20), city varchar(60), account_manager varchar(80))"
        ),
        format!(
            "INSERT INTO {db}.customers VALUES {}",
            INSERT.replace("{owner}", "'x'")
        ),
    ]
    .into_iter()
    .chain(statements(&result))
    {
        admin
            .execute(sqlx::AssertSqlSafe(s.clone()))
            .await
            .unwrap_or_else(|e| panic!("{s}: {e}"));
    }
    let host = url
        .split('@')
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .expect("host in DANA_TEST_MYSQL_URL");
    let mut reader =
        sqlx::MySqlConnection::connect(&format!("mysql://{user}:pw-{user}@{host}/{db}"))
            .await
            .expect("connect as the reader");
    let denied = reader
        .fetch_all(sqlx::AssertSqlSafe(format!("SELECT * FROM {db}.customers")))
        .await
        .expect_err("reader read the base table");
    assert!(denied.to_string().contains("denied"), "{denied}");
    let plain = reader
        .fetch_all(sqlx::AssertSqlSafe(format!(
            "SELECT id, city FROM {db}.customers"
        )))
        .await
        .expect("column privileges on the non-PII columns");
    assert_eq!(plain.len(), 2);
    let rows = reader
        .fetch_all(sqlx::AssertSqlSafe(format!(
            "SELECT CAST(id AS CHAR), email, card_number, full_name, ssn, city FROM {db}.customers_masked"
        )))
        .await
        .expect("reader reads the view");
    assert_eq!(rows.len(), 2);
    for row in &rows {
        let cells: Vec<Option<String>> = (0..6).map(|i| row.get(i)).collect();
        assert_masked(&cells);
        let c = |i: usize| cells[i].clone().expect("value");
        check_masked_row(&c(1), &c(2), &c(3), &c(4));
    }
    reader.close().await.ok();
    admin
        .execute(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE {db}; DROP USER '{user}'@'%'"
        )))
        .await
        .expect("cleanup");
}

/// Pieces of hostile names: quotes of every engine, separators, comment markers,
/// reserved words, Unicode.
const FRAGMENTS: &[&str] = &[
    "\"",
    "`",
    "'",
    ";",
    "--",
    "/*",
    "*/",
    " ",
    "select",
    "ORDER",
    "Ünï",
    "名前",
    "\\",
    "DROP TABLE s",
    "x",
];

fn hostile() -> impl Strategy<Value = (String, String)> {
    let part =
        || prop::collection::vec(prop::sample::select(FRAGMENTS), 1..4).prop_map(|v| v.concat());
    (part(), part())
}

/// The generated SQL for hostile names runs on an engine, keeps the names (the view has
/// the hostile column) and drops nothing (the sentinel table stays).
#[tokio::test]
async fn hostile_names_stay_quoted_on_postgres_and_mariadb() {
    let pg = postgres_url();
    let my = mysql_url();
    if pg.is_none() && my.is_none() {
        return;
    }
    let h = Harness::new().await;
    let mut runner = TestRunner::new(Config::with_cases(12));
    let strategy = hostile();
    let pg_schema = unique_name("mask_hostile_pg");
    let my_db = unique_name("mask_hostile_my");
    let mut pg_conn = match &pg {
        Some(url) => {
            let mut c = sqlx::PgConnection::connect(url).await.expect("connect");
            c.execute(sqlx::AssertSqlSafe(format!(
                "CREATE SCHEMA {pg_schema}; CREATE TABLE {pg_schema}.s (x integer); CREATE TABLE {pg_schema}.sentinel (x integer)"
            )))
            .await
            .expect("pg setup");
            Some(c)
        }
        None => None,
    };
    let mut my_conn = match &my {
        Some(url) => {
            let mut c = sqlx::MySqlConnection::connect(url).await.expect("connect");
            c.execute(sqlx::AssertSqlSafe(format!(
                "CREATE DATABASE {my_db}; CREATE TABLE {my_db}.s (x integer); CREATE TABLE {my_db}.sentinel (x integer)"
            )))
            .await
            .expect("mysql setup");
            Some(c)
        }
        None => None,
    };
    for case in 0..12 {
        let (t, c) = strategy.new_tree(&mut runner).expect("case").current();
        let table = format!("t{case}_{t}_");
        let column = format!("c_{c}_");
        let emails: Vec<String> = (0..6).map(|i| format!("user{i}@example.org")).collect();
        let mut samples = serde_json::Map::new();
        samples.insert(column.clone(), json!(emails));
        let args = |dialect: &str, schema: &str| {
            json!({
                "table": {"spec": {"name": table, "columns": [
                    {"name": "id", "type": "integer"},
                    {"name": column, "type": "varchar(100)"}
                ]}},
                "samples": samples,
                "masking": {"dialect": dialect, "schema": schema}
            })
        };
        for (dialect, schema) in [("postgres", &pg_schema), ("mysql", &my_db)] {
            let present = if dialect == "postgres" {
                pg_conn.is_some()
            } else {
                my_conn.is_some()
            };
            if !present {
                continue;
            }
            let result = h.ok("classify_data", args(dialect, schema)).await;
            let masked: Vec<&Value> = result["masking"]["columns"]
                .as_array()
                .expect("columns")
                .iter()
                .filter(|m| m["rule"] == "keep_domain")
                .collect();
            assert_eq!(masked.len(), 1, "{table:?}.{column:?}: {result}");
            let d = dana::dialect::by_name(dialect).expect("dialect");
            let q = |n: &str| d.quote_ident(n).expect("quotable");
            let create = format!(
                "CREATE TABLE {}.{} ({} integer, {} varchar(100))",
                q(schema),
                q(&table),
                q("id"),
                q(&column)
            );
            let insert = format!(
                "INSERT INTO {}.{} VALUES (1, 'user0@example.org')",
                q(schema),
                q(&table)
            );
            let select = format!(
                "SELECT {} FROM {}.{}",
                q(&column),
                q(schema),
                q(&format!("{table}_masked"))
            );
            let mut sql = vec![create, insert];
            for s in statements(&result) {
                assert!(s.contains(&q(&table)), "table not quoted in {s}");
                if s.starts_with("CREATE") {
                    assert!(s.contains(&q(&column)), "column not quoted in {s}");
                }
                sql.push(s);
            }
            let value: String = if dialect == "postgres" {
                let conn = pg_conn.as_mut().expect("pg");
                for s in &sql {
                    conn.execute(sqlx::AssertSqlSafe(s.clone()))
                        .await
                        .unwrap_or_else(|e| panic!("{s}: {e}"));
                }
                conn.fetch_one(sqlx::AssertSqlSafe(select))
                    .await
                    .expect("select")
                    .get(0)
            } else {
                let conn = my_conn.as_mut().expect("mysql");
                for s in &sql {
                    conn.execute(sqlx::AssertSqlSafe(s.clone()))
                        .await
                        .unwrap_or_else(|e| panic!("{s}: {e}"));
                }
                conn.fetch_one(sqlx::AssertSqlSafe(select))
                    .await
                    .expect("select")
                    .get(0)
            };
            assert_eq!(value, "***@example.org", "{dialect} {table:?}.{column:?}");
        }
    }
    if let Some(conn) = pg_conn.as_mut() {
        let n: i64 = conn
            .fetch_one(sqlx::AssertSqlSafe(format!(
                "SELECT count(*) FROM {pg_schema}.sentinel"
            )))
            .await
            .expect("sentinel survives")
            .get(0);
        assert_eq!(n, 0);
        conn.execute(sqlx::AssertSqlSafe(format!(
            "DROP SCHEMA {pg_schema} CASCADE"
        )))
        .await
        .expect("cleanup");
    }
    if let Some(conn) = my_conn.as_mut() {
        let n: i64 = conn
            .fetch_one(sqlx::AssertSqlSafe(format!(
                "SELECT count(*) FROM {my_db}.sentinel"
            )))
            .await
            .expect("sentinel survives")
            .get(0);
        assert_eq!(n, 0);
        conn.execute(sqlx::AssertSqlSafe(format!("DROP DATABASE {my_db}")))
            .await
            .expect("cleanup");
    }
}

#[tokio::test]
async fn masking_input_errors_name_the_field() {
    let h = Harness::new().await;
    for (masking, needle) in [
        (json!({"dialect": "oracle"}), "masking.dialect"),
        (
            json!({"dialect": "sqlite", "reader_role": "r"}),
            "masking.reader_role",
        ),
        (
            json!({"dialect": "mysql", "reader_role": "r", "row_filter": "city"}),
            "masking.row_filter",
        ),
        (
            json!({"dialect": "postgres", "reader_role": "r", "row_filter": "nope"}),
            "masking.row_filter",
        ),
        (json!({"dialect": "redshift"}), "masking.dialect"),
    ] {
        let err = h
            .err(
                "classify_data",
                json!({"table": {"spec": spec("customers", &[])}, "masking": masking}),
            )
            .await;
        assert!(err.contains(needle), "{needle}: {err}");
    }
    for dialect in ["sqlite", "duckdb", "snowflake", "bigquery"] {
        let out = h
            .ok(
                "classify_data",
                json!({"table": {"spec": spec("customers", &[])}, "masking": {"dialect": dialect}}),
            )
            .await;
        let sql = statements(&out);
        assert!(
            sql.iter().any(|s| s.contains("customers_masked")),
            "{dialect}: {sql:?}"
        );
        assert!(
            !out["masking"]["notes"]
                .as_array()
                .expect("notes")
                .is_empty()
        );
        if dialect == "snowflake" {
            assert!(
                sql.iter().any(|s| s.starts_with("CREATE MASKING POLICY")),
                "{sql:?}"
            );
            assert!(
                sql.iter().any(|s| s.contains("SET MASKING POLICY")),
                "{sql:?}"
            );
        }
    }
}

/// SQLite: the view runs (SHA-256 falls back to redaction, with a note) and the rendered
/// answer carries the statements.
#[tokio::test]
async fn sqlite_view_masks_and_the_answer_shows_the_sql() {
    let h = Harness::new().await;
    let args = json!({"table": {"spec": spec("customers", &[])}, "masking": {"dialect": "sqlite"}});
    let result = h.ok("classify_data", args.clone()).await;
    let server = dana::server::DanaServer::new(h.app.clone(), None).expect("server");
    let rendered = server
        .call_detached("classify_data", args)
        .await
        .expect("call")
        .rendered
        .expect("markdown rendering");
    let sql = statements(&result);
    for s in &sql {
        assert!(
            rendered.contains(&format!("{s};")),
            "rendered answer lacks {s}: {rendered}"
        );
    }
    let mut conn = sqlx::SqliteConnection::connect("sqlite::memory:")
        .await
        .expect("sqlite");
    conn.execute(
        "CREATE TABLE customers (id integer PRIMARY KEY, email text, card_number text, full_name text, ssn text, city text)",
    )
    .await
    .expect("create");
    conn.execute(sqlx::AssertSqlSafe(format!(
        "INSERT INTO customers VALUES {}",
        INSERT
            .replace(", {owner})", ")")
            .replace(", 'someone_else')", ")")
    )))
    .await
    .expect("insert");
    for s in &sql {
        conn.execute(sqlx::AssertSqlSafe(s.clone()))
            .await
            .unwrap_or_else(|e| panic!("{s}: {e}"));
    }
    let rows = conn
        .fetch_all("SELECT CAST(id AS TEXT), email, card_number, full_name, ssn, city FROM customers_masked")
        .await
        .expect("select");
    assert_eq!(rows.len(), 2);
    for row in &rows {
        let cells: Vec<Option<String>> = (0..6).map(|i| row.get(i)).collect();
        assert_masked(&cells);
        assert!(matches!(
            cells[1].as_deref(),
            Some("***@example.org" | "***@example.net")
        ));
        assert!(matches!(cells[2].as_deref(), Some("****1111" | "****0004")));
        assert_eq!(cells[3].as_deref(), Some("***"));
        assert_eq!(cells[4].as_deref(), Some("***"));
    }
    let notes = result["masking"]["notes"].to_string();
    assert!(notes.contains("SHA-256"), "{notes}");
}

/// DuckDB (the PyPI package): the view runs and hashes with SHA-256.
#[tokio::test]
async fn duckdb_view_masks() {
    let Some(python) = crate::modeling::engines::sql_python() else {
        return;
    };
    let h = Harness::new().await;
    let result = h
        .ok(
            "classify_data",
            json!({"table": {"spec": spec("customers", &[])}, "masking": {"dialect": "duckdb"}}),
        )
        .await;
    let mut script = vec![
        "CREATE TABLE customers (id integer PRIMARY KEY, email varchar, card_number varchar, full_name varchar, ssn varchar, city varchar)".to_string(),
        format!(
            "INSERT INTO customers VALUES {}",
            INSERT
                .replace(", {owner})", ")")
                .replace(", 'someone_else')", ")")
        ),
    ];
    script.extend(statements(&result));
    let program = r#"
import duckdb, json, sys
con = duckdb.connect()
for s in json.load(sys.stdin):
    con.execute(s)
rows = con.execute("SELECT CAST(id AS VARCHAR), email, card_number, full_name, ssn, city FROM customers_masked ORDER BY id").fetchall()
print(json.dumps(rows))
"#;
    let mut child = std::process::Command::new(&python)
        .args(["-c", program])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin
            .write_all(json!(script).to_string().as_bytes())
            .expect("write");
    }
    let out = child.wait_with_output().expect("python ran");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Vec<Vec<Option<String>>> = serde_json::from_slice(&out.stdout).expect("rows as JSON");
    assert_eq!(rows.len(), 2);
    for cells in &rows {
        assert_masked(cells);
        let c = |i: usize| cells[i].clone().expect("value");
        check_masked_row(&c(1), &c(2), &c(3), &c(4));
    }
}
