//! Live datasources attacked as an agent that controls its client and can write files in
//! its workspace would (issue 13 items 2-5, issue 15 item 5, issue 16 item 1): hostile
//! literals under both `standard_conforming_strings` settings, writable CTEs and
//! side-effect functions through template overrides, catalog and cross-schema reads,
//! EXPLAIN oracles, session state left for the next call, cancelled calls. After each,
//! the database's fingerprint is unchanged and nothing outside the configured schema
//! came back.

use std::path::Path;
use std::time::{Duration, Instant};

use rmcp::model::{CallToolRequest, CallToolRequestParams, ClientRequest};
use rmcp::service::PeerRequestOptions;
use serde_json::{Value, json};

use crate::common::{Harness, mysql_url, postgres_url, text, unique_name};
use crate::quality::{harness_in, sqlite_file};

/// Marker of the secrets that live outside the configured schema.
const SECRET: &str = "sk-live-9f8e7d";

/// A harness on `dana_toml` whose workspace overrides `templates/checks/scan.sql.j2`.
async fn with_scan_override(
    dana_toml: &str,
    scan: Option<&str>,
    prepare: impl FnOnce(&Path),
) -> Harness {
    let dir = tempfile::tempdir().expect("dir");
    prepare(dir.path());
    if let Some(scan) = scan {
        let checks = dir.path().join("templates").join("checks");
        std::fs::create_dir_all(&checks).expect("templates dir");
        std::fs::write(checks.join("scan.sql.j2"), scan).expect("override");
    }
    harness_in(dir, dana_toml).await
}

/// One volume check on `table` through `run_quality_checks`: its result, or the tool's
/// error text.
async fn volume(h: &Harness, datasource: &str, table: &str) -> Result<Value, String> {
    let result = h
        .call(
            "run_quality_checks",
            json!({"datasource": datasource, "checks": [
                {"id": "vol", "kind": "DQ-VOLUME", "table": table, "threshold": {"min": 1}}
            ]}),
        )
        .await;
    if result.is_error == Some(true) {
        return Err(text(&result));
    }
    Ok(result.structured_content.unwrap_or_default())
}

/// Every statement an override renders is refused before it reaches the engine: the
/// check errors with `refused`, and nothing secret comes back.
fn assert_refused(what: &str, outcome: &Result<Value, String>) {
    let all = match outcome {
        Ok(run) => {
            assert_eq!(
                run["results"][0]["status"],
                json!("error"),
                "{what}: ran instead of being refused: {run:#}"
            );
            let error = run["results"][0]["error"].as_str().unwrap_or_default();
            assert!(error.contains("refused"), "{what}: {error}");
            run.to_string()
        }
        Err(message) => {
            assert!(message.contains("refused"), "{what}: {message}");
            message.clone()
        }
    };
    assert!(!all.contains(SECRET), "{what} leaked a secret: {all}");
    assert!(
        !all.contains("SCRAM-SHA-256$"),
        "{what} leaked a hash: {all}"
    );
}

async fn pg_exec(admin: &sqlx::PgPool, sql: String) {
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql.clone()))
        .execute(admin)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// Schema `schema` with `orders` (a backslash and a quote among the statuses) and a
/// sequence; schema `other` with an API key.
async fn pg_seed(admin: &sqlx::PgPool, schema: &str, other: &str) {
    pg_exec(
        admin,
        format!(
            "SET standard_conforming_strings = on; \
             CREATE SCHEMA {schema}; CREATE SCHEMA {other}; \
             CREATE SEQUENCE {schema}.orders_seq; \
             CREATE TABLE {schema}.orders (id int PRIMARY KEY DEFAULT nextval('{schema}.orders_seq'), status text NOT NULL); \
             INSERT INTO {schema}.orders (status) VALUES ('ok'), ('a\\b'), ('bad'), ('x''y'); \
             CREATE TABLE {other}.secrets (key text); INSERT INTO {other}.secrets VALUES ('{SECRET}');"
        ),
    )
    .await;
}

/// Row counts and a hash of every row of both schemas, the sequence's state, large
/// objects: anything an attack could change.
async fn pg_fingerprint(admin: &sqlx::PgPool, schema: &str, other: &str) -> String {
    let sql = format!(
        "SELECT concat_ws('|', (SELECT count(*) FROM {schema}.orders), \
         (SELECT md5(string_agg(o::text, ',' ORDER BY o.id)) FROM {schema}.orders o), \
         (SELECT last_value || ':' || is_called FROM {schema}.orders_seq), \
         (SELECT md5(string_agg(s::text, ',')) FROM {other}.secrets s), \
         (SELECT count(*) FROM pg_largeobject_metadata), \
         (SELECT count(*) FROM pg_tables WHERE schemaname IN ('{schema}', '{other}')))"
    );
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .fetch_one(admin)
        .await
        .expect("fingerprint")
}

#[tokio::test]
async fn postgres_write_capable_role_is_refused_without_the_opt_in() {
    let Some(url) = postgres_url() else { return };
    let schema = unique_name("sec_live_role");
    let admin = sqlx::PgPool::connect(&url).await.expect("connect");
    pg_exec(
        &admin,
        format!("CREATE SCHEMA {schema}; CREATE TABLE {schema}.t (id int)"),
    )
    .await;
    let toml =
        format!("[datasources.pg]\nurl_env = \"DANA_TEST_POSTGRES_URL\"\nschema = \"{schema}\"\n");
    let h = with_scan_override(&toml, None, |_| {}).await;
    let message = h
        .err("profile_datasource", json!({"datasource": "pg"}))
        .await;
    assert!(message.contains("superuser"), "{message}");
    assert!(
        message.contains("allow_write_capable_role = true"),
        "{message}"
    );
    let list = h.ok("list_datasources", json!({})).await;
    let error = list["datasources"][0]["error"].as_str().unwrap_or_default();
    assert!(error.contains("allow_write_capable_role"), "{list}");
    // With the opt-in: accepted, and shown.
    let toml = format!("{toml}allow_write_capable_role = true\n");
    let h = with_scan_override(&toml, None, |_| {}).await;
    let list = h.ok("list_datasources", json!({})).await;
    let shown = list["datasources"][0]["write_capable_role"]
        .as_str()
        .unwrap_or_default();
    assert!(shown.contains("superuser"), "{list}");
    assert_eq!(list["datasources"][0]["schemas"], json!([schema]), "{list}");
    pg_exec(&admin, format!("DROP SCHEMA {schema} CASCADE")).await;
}

#[tokio::test]
async fn postgres_overrides_literals_and_session_state_leave_the_database_unchanged() {
    let Some(url) = postgres_url() else { return };
    let schema = unique_name("sec_live_pg");
    let other = format!("{schema}_other");
    let admin = sqlx::PgPool::connect(&url).await.expect("connect");
    pg_seed(&admin, &schema, &other).await;
    let before = pg_fingerprint(&admin, &schema, &other).await;
    let toml = format!(
        "[datasources.pg]\nurl_env = \"DANA_TEST_POSTGRES_URL\"\nallow_write_capable_role = true\nschema = \"{schema}\"\nstatement_timeout_ms = 7000\nmax_connections = 1\n"
    );
    // Template overrides in the workspace: every rendered statement passes the gate.
    let attacks = [
        ("writable CTE", "WITH d AS (DELETE FROM {{ table }} RETURNING 1) SELECT COUNT(*) AS dana_rows FROM d".to_string()),
        ("update CTE", "WITH d AS (UPDATE {{ table }} SET status = 'x' RETURNING 1) SELECT COUNT(*) AS dana_rows FROM d".to_string()),
        ("set_config", "SELECT COUNT(*) AS dana_rows, set_config('default_transaction_read_only', 'off', false) AS dana_c0 FROM {{ table }} t".to_string()),
        ("nextval", format!("SELECT nextval('{schema}.orders_seq') AS dana_rows")),
        ("large object", "SELECT lo_from_bytea(0, 'x'::bytea) AS dana_rows".to_string()),
        ("lo_export", "SELECT lo_export(1, '/tmp/dana_sec_live_pwned') AS dana_rows".to_string()),
        ("server file", "SELECT length(pg_read_file('/etc/hostname')) AS dana_rows".to_string()),
        ("sleep", "SELECT COUNT(*) AS dana_rows FROM {{ table }} t, pg_sleep(30) s".to_string()),
        ("catalog", "SELECT COUNT(*) AS dana_rows, MIN(rolpassword) AS dana_c0 FROM pg_catalog.pg_authid".to_string()),
        ("catalog unqualified", "SELECT COUNT(*) AS dana_rows, MIN(rolpassword) AS dana_c0 FROM pg_authid".to_string()),
        ("information_schema", "SELECT COUNT(*) AS dana_rows FROM information_schema.tables".to_string()),
        ("other schema", format!("SELECT COUNT(*) AS dana_rows, MIN(key) AS dana_c0 FROM {other}.secrets")),
        ("other schema in a subquery", format!("SELECT (SELECT MIN(key) FROM {other}.secrets) AS dana_rows")),
        ("table to xml", "SELECT query_to_xml('select * from pg_authid', true, true, '') AS dana_rows".to_string()),
        ("two statements", "SELECT 1 AS dana_rows; DELETE FROM {{ table }}".to_string()),
        ("select into", format!("SELECT * INTO {schema}.stolen FROM {{{{ table }}}} t")),
        ("locking", "SELECT id AS dana_rows FROM {{ table }} t FOR UPDATE".to_string()),
        ("advisory lock", "SELECT pg_advisory_lock(42) AS dana_rows".to_string()),
    ];
    for (what, scan) in &attacks {
        let h = with_scan_override(&toml, Some(scan), |_| {}).await;
        assert_refused(what, &volume(&h, "pg", "orders").await);
    }
    // Checks that name another schema or the catalog: refused (no such table here to
    // rebind them to), naming both schemas.
    let h = with_scan_override(&toml, None, |_| {}).await;
    for (table, foreign) in [("secrets", other.as_str()), ("pg_authid", "pg_catalog")] {
        let message = h
            .err(
                "run_quality_checks",
                json!({"datasource": "pg", "checks": [{"id": "x", "kind": "DQ-NOT-NULL", "table": table, "schema": foreign, "columns": ["key"], "threshold": {"max": 0}}]}),
            )
            .await;
        assert!(
            message.contains(&format!("schema `{foreign}`")),
            "{message}"
        );
        assert!(message.contains("does not read"), "{message}");
        assert!(!message.contains(SECRET), "{message}");
    }
    // A check suggested from another datasource's profile (same table, other schema) is
    // rebound to this datasource: it counts this schema's rows.
    let run = h
        .ok(
            "run_quality_checks",
            json!({"datasource": "pg", "checks": [{"id": "v", "kind": "DQ-VOLUME", "table": "orders", "schema": "clean_db", "threshold": {"min": 1}}]}),
        )
        .await;
    assert_eq!(run["results"][0]["observed"], json!(4.0), "{run:#}");

    // Hostile literals: each stays one string value. Statuses not accepted: `bad` and
    // `x'y` (the backslash value matches its row exactly).
    let hostile = [
        "ok".to_string(),
        "a\\b".to_string(),
        "x\\' OR set_config('default_transaction_read_only', 'off', false) IS NOT NULL OR status <> \\'".to_string(),
        format!("'); DELETE FROM {schema}.orders; --"),
        "\\".to_string(),
        "x\\'); SELECT lo_from_bytea(0, 'x'::bytea); --".to_string(),
    ];
    let accepted = json!({"datasource": "pg", "checks": [{"id": "av", "kind": "DQ-ACCEPTED-VALUES", "table": "orders", "columns": ["status"], "params": {"values": hostile}, "threshold": {"max": 0}}]});
    let run = h.ok("run_quality_checks", accepted.clone()).await;
    assert_eq!(run["results"][0]["observed"], json!(2.0), "{run:#}");

    // Session state left on the pooled connection (one connection: the next call gets
    // it) never reaches the next statement: reset at checkout, limits per transaction.
    let ds = h.app.live.get("pg").await.expect("datasource");
    for persist in [
        "SET default_transaction_read_only = off",
        "SET statement_timeout = 0",
        "SET standard_conforming_strings = off",
        "SET search_path = pg_catalog",
        "SELECT set_config('default_transaction_read_only', 'off', false)",
    ] {
        ds.execute_unguarded_for_tests(persist)
            .await
            .unwrap_or_else(|e| panic!("{persist}: {e:#}"));
    }
    let rows = ds
        .fetch(
            "SELECT current_setting('transaction_read_only') AS ro, current_setting('statement_timeout') AS st, \
             current_setting('standard_conforming_strings') AS scs, current_setting('search_path') AS sp",
            &[],
        )
        .await
        .expect("settings");
    let get = |c: &str| rows.first(c).and_then(|v| v.as_text()).unwrap_or_default();
    assert_eq!(get("ro"), "on");
    assert_eq!(get("st"), "7s");
    assert_eq!(get("scs"), "on");
    assert!(get("sp").starts_with(schema.as_str()), "{}", get("sp"));
    // And the hostile literals again, with the session's setting switched off.
    ds.execute_unguarded_for_tests("SET standard_conforming_strings = off")
        .await
        .expect("scs off");
    let run = h.ok("run_quality_checks", accepted).await;
    assert_eq!(run["results"][0]["observed"], json!(2.0), "{run:#}");

    assert_eq!(pg_fingerprint(&admin, &schema, &other).await, before);
    pg_exec(
        &admin,
        format!("DROP SCHEMA {schema} CASCADE; DROP SCHEMA {other} CASCADE"),
    )
    .await;
}

/// A role that can only read, with `standard_conforming_strings = off` as its default (the
/// setting of issue 13 item 4): accepted without the opt-in, and its hostile literals stay
/// strings. Run through `dana call` so the role's URL travels in the environment.
#[tokio::test]
async fn postgres_reader_role_with_standard_conforming_strings_off() {
    let Some(url) = postgres_url() else { return };
    let schema = unique_name("sec_live_scs");
    let other = format!("{schema}_other");
    let role = format!("{schema}_reader");
    let admin = sqlx::PgPool::connect(&url).await.expect("connect");
    pg_seed(&admin, &schema, &other).await;
    pg_exec(
        &admin,
        format!(
            "CREATE ROLE {role} LOGIN PASSWORD 'reader-pw'; GRANT USAGE ON SCHEMA {schema} TO {role}; \
             GRANT SELECT ON ALL TABLES IN SCHEMA {schema} TO {role}; \
             ALTER ROLE {role} SET standard_conforming_strings = off"
        ),
    )
    .await;
    let authority = url.split_once("://").map(|(_, r)| r).unwrap_or_default();
    let host = authority.split_once('@').map_or(authority, |(_, h)| h);
    let role_url = format!("postgres://{role}:reader-pw@{host}");
    // The role's own sessions really start with the setting off.
    let probe = sqlx::PgPool::connect(&role_url)
        .await
        .expect("role connects");
    let scs: String = sqlx::query_scalar("SHOW standard_conforming_strings")
        .fetch_one(&probe)
        .await
        .expect("show");
    assert_eq!(scs, "off");
    probe.close().await;
    let before = pg_fingerprint(&admin, &schema, &other).await;
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(
        dir.path().join("dana.toml"),
        format!("[datasources.ro]\nurl_env = \"DANA_SEC_LIVE_ROLE_URL\"\nschema = \"{schema}\"\n"),
    )
    .expect("toml");
    let values = json!([
        "ok",
        "a\\b",
        "x\\' OR set_config('default_transaction_read_only', 'off', false) IS NOT NULL OR status <> \\'",
        "x\\'); SELECT nextval('orders_seq'); --",
    ]);
    let args = json!({"datasource": "ro", "checks": [{"id": "av", "kind": "DQ-ACCEPTED-VALUES", "table": "orders", "columns": ["status"], "params": {"values": values}, "threshold": {"max": 0}}]});
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_dana"))
        .args([
            "--workspace",
            dir.path().to_str().expect("utf8"),
            "call",
            "run_quality_checks",
            "--args",
            &args.to_string(),
        ])
        .env("DANA_SEC_LIVE_ROLE_URL", &role_url)
        .output()
        .expect("run dana");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let run: Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|_| panic!("{stdout}\n{}", String::from_utf8_lossy(&output.stderr)));
    assert_eq!(run["results"][0]["observed"], json!(2.0), "{run:#}");
    assert_eq!(pg_fingerprint(&admin, &schema, &other).await, before);
    pg_exec(
        &admin,
        format!("DROP SCHEMA {schema} CASCADE; DROP SCHEMA {other} CASCADE; DROP OWNED BY {role}; DROP ROLE {role}"),
    )
    .await;
}

async fn my_exec(admin: &sqlx::MySqlPool, sql: &str) {
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string()))
        .execute(admin)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

async fn my_fingerprint(admin: &sqlx::MySqlPool, db: &str, other: &str) -> String {
    let sql = format!(
        "SELECT CONCAT_WS('|', (SELECT COUNT(*) FROM {db}.orders), \
         (SELECT MD5(GROUP_CONCAT(CONCAT_WS(',', id, status) ORDER BY id)) FROM {db}.orders), \
         (SELECT MD5(GROUP_CONCAT(`key`)) FROM {other}.secrets), \
         (SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA IN ('{db}', '{other}')))"
    );
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .fetch_one(admin)
        .await
        .expect("fingerprint")
}

#[tokio::test]
async fn mariadb_overrides_catalogs_and_explain_oracles() {
    let Some(url) = mysql_url() else { return };
    let db = unique_name("sec_live_my");
    let other = format!("{db}_other");
    let admin = sqlx::MySqlPool::connect(&url).await.expect("connect");
    for sql in [
        format!("CREATE DATABASE {db}"),
        format!("CREATE DATABASE {other}"),
        format!("CREATE TABLE {db}.orders (id int PRIMARY KEY, status varchar(20) NOT NULL)"),
        format!("INSERT INTO {db}.orders VALUES (1, 'ok'), (2, 'a\\\\b'), (3, 'bad'), (4, 'x''y')"),
        format!("CREATE TABLE {other}.secrets (`key` varchar(40))"),
        format!("INSERT INTO {other}.secrets VALUES ('{SECRET}')"),
    ] {
        my_exec(&admin, &sql).await;
    }
    let before = my_fingerprint(&admin, &db, &other).await;
    let base = format!(
        "[datasources.my]\nurl_env = \"DANA_TEST_MYSQL_URL\"\nschema = \"{db}\"\nstatement_timeout_ms = 7000\n"
    );
    // root holds ALL PRIVILEGES: refused without the opt-in.
    let h = with_scan_override(&base, None, |_| {}).await;
    let message = h
        .err("profile_datasource", json!({"datasource": "my"}))
        .await;
    assert!(
        message.contains("allow_write_capable_role = true"),
        "{message}"
    );
    let toml = format!("{base}allow_write_capable_role = true\n");
    let attacks = [
        (
            "another database",
            format!("SELECT COUNT(*) AS dana_rows, MIN(`key`) AS dana_c0 FROM {other}.secrets"),
        ),
        (
            "mysql.user",
            "SELECT (SELECT MIN(authentication_string) FROM mysql.user) AS dana_rows".to_string(),
        ),
        (
            "processlist",
            "SELECT COUNT(*) AS dana_rows FROM information_schema.PROCESSLIST".to_string(),
        ),
        (
            "load_file",
            "SELECT LOAD_FILE('/etc/hostname') AS dana_rows".to_string(),
        ),
        ("sleep", "SELECT SLEEP(20) AS dana_rows".to_string()),
        (
            "benchmark",
            "SELECT BENCHMARK(100000000, MD5('x')) AS dana_rows".to_string(),
        ),
        (
            "lock",
            "SELECT GET_LOCK('dana', 10) AS dana_rows".to_string(),
        ),
        (
            "executable comment",
            format!(
                "SELECT COUNT(*) AS dana_rows /*!, (SELECT MIN(`key`) FROM {other}.secrets) AS dana_c0 */ FROM {{{{ table }}}} t"
            ),
        ),
        (
            "hint",
            "SELECT /*+ MAX_EXECUTION_TIME(0) */ COUNT(*) AS dana_rows FROM {{ table }} t"
                .to_string(),
        ),
        (
            "user variable",
            "SELECT @dana := COUNT(*) AS dana_rows FROM {{ table }} t".to_string(),
        ),
        (
            "outfile",
            "SELECT COUNT(*) AS dana_rows FROM {{ table }} t INTO OUTFILE '/tmp/dana_sec_live'"
                .to_string(),
        ),
        (
            "locking",
            "SELECT id AS dana_rows FROM {{ table }} t FOR UPDATE".to_string(),
        ),
        (
            "two statements",
            "SELECT 1 AS dana_rows; DELETE FROM {{ table }}".to_string(),
        ),
    ];
    for (what, scan) in &attacks {
        let h = with_scan_override(&toml, Some(scan), |_| {}).await;
        assert_refused(what, &volume(&h, "my", "orders").await);
    }
    let h = with_scan_override(&toml, None, |_| {}).await;
    let message = h
        .err(
            "run_quality_checks",
            json!({"datasource": "my", "checks": [{"id": "x", "kind": "DQ-NOT-NULL", "table": "user", "schema": "mysql", "columns": ["authentication_string"], "threshold": {"max": 0}}]}),
        )
        .await;
    assert!(message.contains("schema `mysql`"), "{message}");
    // Hostile literals (backslash escapes on in MySQL).
    let values = json!([
        "ok",
        "a\\b",
        "x\\' OR SLEEP(5) OR \\'",
        "'); DELETE FROM orders; --"
    ]);
    let run = h
        .ok(
            "run_quality_checks",
            json!({"datasource": "my", "checks": [{"id": "av", "kind": "DQ-ACCEPTED-VALUES", "table": "orders", "columns": ["status"], "params": {"values": values}, "threshold": {"max": 0}}]}),
        )
        .await;
    assert_eq!(run["results"][0]["observed"], json!(2.0), "{run:#}");
    // EXPLAIN oracles: MariaDB evaluates constant subqueries and functions while
    // planning. Such statements get a lint-only review; none reads anything.
    for sql in [
        format!(
            "SELECT * FROM orders WHERE id = (SELECT COUNT(*) FROM {other}.secrets WHERE `key` LIKE 'sk%')"
        ),
        "SELECT * FROM orders WHERE id = (SELECT MAX(id) FROM orders)".to_string(),
        "SELECT * FROM orders WHERE status = LOAD_FILE('/etc/hostname')".to_string(),
        "SELECT * FROM orders WHERE id = SLEEP(5)".to_string(),
    ] {
        let started = Instant::now();
        let review = h
            .call(
                "review_sql",
                json!({"sql": sql, "dialect": "mysql", "datasource": "my"}),
            )
            .await;
        let all = format!("{:?}{}", review.structured_content, text(&review));
        assert!(!all.contains(SECRET), "{sql}: {all}");
        if review.is_error != Some(true) {
            let plan = &review.structured_content.clone().unwrap_or_default()["plan"];
            assert_eq!(plan["plan"], Value::Null, "{sql}: EXPLAIN ran: {plan}");
            let note = plan["note"].as_str().unwrap_or_default();
            assert!(note.contains("lint-only"), "{sql}: {plan}");
        }
        assert!(started.elapsed() < Duration::from_secs(4), "{sql}: slept");
    }
    let review = h
        .ok("review_sql", json!({"sql": "SELECT id FROM orders WHERE id = 1", "dialect": "mysql", "datasource": "my"}))
        .await;
    assert!(review["plan"]["plan"].is_array(), "{review:#}");
    assert_eq!(my_fingerprint(&admin, &db, &other).await, before);
    my_exec(&admin, &format!("DROP DATABASE {db}")).await;
    my_exec(&admin, &format!("DROP DATABASE {other}")).await;
}

#[tokio::test]
async fn sqlite_overrides_never_reach_the_file() {
    let attacks = [
        ("catalog", "SELECT COUNT(*) AS dana_rows FROM sqlite_master"),
        (
            "schema table",
            "SELECT COUNT(*) AS dana_rows FROM sqlite_schema",
        ),
        (
            "pragma",
            "SELECT COUNT(*) AS dana_rows FROM pragma_table_info('orders')",
        ),
        (
            "extension",
            "SELECT load_extension('/tmp/dana_sec_live.so') AS dana_rows",
        ),
        (
            "writefile",
            "SELECT writefile('pwned.txt', 'x') AS dana_rows",
        ),
        ("readfile", "SELECT readfile('/etc/hostname') AS dana_rows"),
        (
            "two statements",
            "SELECT 1 AS dana_rows; DELETE FROM orders",
        ),
        ("attached", "SELECT COUNT(*) AS dana_rows FROM temp.orders"),
    ];
    for (what, scan) in attacks {
        let h = with_scan_override(
            "[datasources.lite]\npath = \"lite.db\"\n",
            Some(scan),
            |_| {},
        )
        .await;
        let db = h.dir.path().join("lite.db");
        sqlite_file(&db, "CREATE TABLE orders (id INTEGER PRIMARY KEY, status TEXT); INSERT INTO orders VALUES (1, 'ok');").await;
        let before = std::fs::read(&db).expect("read db");
        assert_refused(what, &volume(&h, "lite", "orders").await);
        assert_eq!(std::fs::read(&db).expect("read db"), before, "{what}");
        assert!(!h.dir.path().join("pwned.txt").exists(), "{what}");
    }
}

/// Sends `run_quality_checks` as a cancellable request, waits until `running` says the
/// engine runs it, cancels it (notifications/cancelled), and returns when cancelled.
async fn cancel_while_running<F, Fut>(h: &Harness, args: Value, running: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let Value::Object(args) = args else {
        panic!("object")
    };
    let request = ClientRequest::CallToolRequest(CallToolRequest::new(
        CallToolRequestParams::new("run_quality_checks").with_arguments(args),
    ));
    let handle = h
        .client
        .peer()
        .send_cancellable_request(request, PeerRequestOptions::no_options())
        .await
        .expect("send");
    let deadline = Instant::now() + Duration::from_secs(30);
    while !running().await {
        assert!(Instant::now() < deadline, "the statement never started");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    handle
        .cancel(Some("test".to_string()))
        .await
        .expect("cancel");
}

/// Polls `running` until false; the statement must stop on the engine within seconds
/// (it would run for minutes otherwise).
async fn assert_stops<F, Fut>(what: &str, running: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(10);
    while running().await {
        assert!(
            Instant::now() < deadline,
            "{what}: still running on the engine after cancel"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn cancelled_call_stops_the_postgres_statement() {
    let Some(url) = postgres_url() else { return };
    let schema = unique_name("sec_live_cancel");
    let admin = sqlx::PgPool::connect(&url).await.expect("connect");
    pg_exec(
        &admin,
        format!("CREATE SCHEMA {schema}; CREATE VIEW {schema}.slow AS SELECT a.x FROM generate_series(1, 2000000000) a(x)"),
    )
    .await;
    let h = with_scan_override(
        &format!("[datasources.pg]\nurl_env = \"DANA_TEST_POSTGRES_URL\"\nallow_write_capable_role = true\nschema = \"{schema}\"\nstatement_timeout_ms = 600000\n"),
        None,
        |_| {},
    )
    .await;
    let running = || {
        let admin = admin.clone();
        let pattern = format!("%{schema}%");
        async move {
            let n: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'dana' AND state = 'active' AND query LIKE $1",
            )
            .bind(pattern)
            .fetch_one(&admin)
            .await
            .expect("activity");
            n > 0
        }
    };
    cancel_while_running(
        &h,
        json!({"datasource": "pg", "checks": [{"id": "vol", "kind": "DQ-VOLUME", "table": "slow", "threshold": {"min": 1}}]}),
        running,
    )
    .await;
    assert_stops("postgres", running).await;
    // The pool still serves.
    let ds = h.app.live.get("pg").await.expect("ds");
    ds.fetch("SELECT 1 AS one", &[]).await.expect("serves");
    pg_exec(&admin, format!("DROP SCHEMA {schema} CASCADE")).await;
}

#[tokio::test]
async fn cancelled_call_stops_the_mariadb_statement() {
    let Some(url) = mysql_url() else { return };
    let db = unique_name("sec_live_cancel_my");
    let admin = sqlx::MySqlPool::connect(&url).await.expect("connect");
    for sql in [
        format!("CREATE DATABASE {db}"),
        format!("CREATE TABLE {db}.nums (n int)"),
        format!(
            "INSERT INTO {db}.nums WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 1000) SELECT n FROM c"
        ),
        format!("CREATE VIEW {db}.slow AS SELECT a.n FROM {db}.nums a, {db}.nums b, {db}.nums c"),
    ] {
        my_exec(&admin, &sql).await;
    }
    let h = with_scan_override(
        &format!("[datasources.my]\nurl_env = \"DANA_TEST_MYSQL_URL\"\nallow_write_capable_role = true\nschema = \"{db}\"\nstatement_timeout_ms = 600000\n"),
        None,
        |_| {},
    )
    .await;
    let running = || {
        let admin = admin.clone();
        let pattern = format!("%{db}%slow%");
        async move {
            let n: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE ? AND ID <> CONNECTION_ID()",
            )
            .bind(pattern)
            .fetch_one(&admin)
            .await
            .expect("processlist");
            n > 0
        }
    };
    cancel_while_running(
        &h,
        json!({"datasource": "my", "checks": [{"id": "vol", "kind": "DQ-VOLUME", "table": "slow", "threshold": {"min": 1}}]}),
        running,
    )
    .await;
    assert_stops("mariadb", running).await;
    my_exec(&admin, &format!("DROP DATABASE {db}")).await;
}

#[tokio::test]
async fn cancelled_call_stops_the_sqlite_statement() {
    let h = with_scan_override(
        "[datasources.lite]\npath = \"lite.db\"\nmax_connections = 1\nstatement_timeout_ms = 600000\n",
        None,
        |_| {},
    )
    .await;
    sqlite_file(
        &h.dir.path().join("lite.db"),
        "CREATE VIEW slow AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 100000000000) SELECT x FROM c;",
    )
    .await;
    let started = Instant::now();
    cancel_while_running(
        &h,
        json!({"datasource": "lite", "checks": [{"id": "vol", "kind": "DQ-VOLUME", "table": "slow", "threshold": {"min": 1}}]}),
        || async { started.elapsed() > Duration::from_millis(800) },
    )
    .await;
    // One connection: the next statement runs only once the engine stopped the scan
    // (10^11 rows would take hours).
    let ds = h.app.live.get("lite").await.expect("ds");
    let next =
        tokio::time::timeout(Duration::from_secs(20), ds.fetch("SELECT 1 AS one", &[])).await;
    assert!(
        matches!(next, Ok(Ok(_))),
        "the SQLite scan kept the connection: {next:?}"
    );
}
