//! Generated checks: every statement parses in every dialect, golden output, dbt accepts
//! the schema.yml.

use serde_json::{Value, json};

use crate::common::Harness;

fn spec() -> Value {
    json!({
        "name": "fct_orders",
        "schema": "analytics",
        "primary_key": ["order_id"],
        "unique_keys": [["source_system", "source_order_id"]],
        "columns": [
            {"name": "order_id", "data_type": "bigint"},
            {"name": "source_system"}, {"name": "source_order_id"},
            {"name": "customer_id", "nullable": false},
            {"name": "order_amount", "min": 0, "max": 1000000},
            {"name": "order_status", "accepted_values": ["pending", "shipped", "it's done"], "max_share_pct": 80},
            {"name": "order_code", "pattern": "^[A-Z]{3}-[0-9]+$"},
            {"name": "order_date"},
            {"name": "loaded_at"}
        ],
        "foreign_keys": [{"columns": ["customer_id"], "ref_table": "dim_customers", "ref_columns": ["customer_id"]}],
        "freshness": {"column": "loaded_at", "max_age_hours": 2},
        "volume": {"min_rows": 1000, "max_rows": 5000000, "partition_column": "order_date", "partition_value": "2026-01-31"},
        "reconciliations": [{"measure": "sum", "column": "order_amount", "other_table": "stg_orders", "tolerance_pct": 1}]
    })
}

#[tokio::test]
async fn every_check_parses_in_every_dialect() {
    let h = Harness::new().await;
    for dialect in dana::dialect::NAMES {
        let out = h
            .ok(
                "generate_quality_checks",
                json!({"table": spec(), "dialect": dialect}),
            )
            .await;
        let checks = out["checks"].as_array().expect("checks");
        assert_eq!(checks.len(), 12, "{dialect}: {out:#}");
        let d = dana::dialect::by_name(dialect).expect("dialect");
        for check in checks {
            match check["sql"].as_str() {
                Some(sql) => {
                    dana::dialect::parse::check(d, sql).unwrap_or_else(|e| panic!("{dialect}: {e}"))
                }
                None => assert!(check["unsupported"].is_string(), "{dialect}: {check:#}"),
            }
        }
    }
}

#[tokio::test]
async fn generated_postgres_output_is_stable() {
    let h = Harness::new().await;
    let out = h
        .ok(
            "generate_quality_checks",
            json!({"table": spec(), "dialect": "postgres", "formats": ["dbt", "odcs"]}),
        )
        .await;
    // The checks carry their SQL; the script is what `dana demo` and a reader assemble.
    let checks: Vec<dana::domain::quality::QualityCheck> =
        serde_json::from_value(out["checks"].clone()).expect("checks");
    insta::assert_snapshot!(
        "quality_checks_postgres_sql",
        dana::domain::quality::outputs::sql_script(&checks)
    );
    insta::assert_snapshot!(
        "quality_checks_postgres_dbt",
        out["dbt_schema_yml"].as_str().unwrap_or_default()
    );
    insta::assert_snapshot!(
        "quality_checks_postgres_odcs",
        out["odcs_quality"].as_str().unwrap_or_default()
    );
}

#[tokio::test]
async fn bad_specs_name_the_field() {
    let h = Harness::new().await;
    let err = h
        .err(
            "generate_quality_checks",
            json!({"table": {"name": "t", "columns": [{"name": "a"}], "primary_key": ["b"]}}),
        )
        .await;
    assert!(
        err.contains("table.primary_key[0]") && err.contains("`b`"),
        "{err}"
    );
    let err = h
        .err(
            "generate_quality_checks",
            json!({"table": {"name": "t", "columns": [{"name": "a", "pattern": "("}]}}),
        )
        .await;
    assert!(err.contains("table.columns[0].pattern"), "{err}");
    let err = h
        .err("generate_quality_checks", json!({"table": {"name": "t", "columns": [{"name": "", "nullable": false}]}, "dialect": "postgres"}))
        .await;
    assert!(err.contains("table.columns[0].name"), "{err}");
    let err = h
        .err(
            "generate_quality_checks",
            json!({"table": {"name": "t"}, "dialect": "oracle"}),
        )
        .await;
    assert!(
        err.contains("dialect") && err.contains("`postgres`"),
        "{err}"
    );
}

/// `dbt parse` accepts the generated schema.yml (with dana's generic tests) in a minimal
/// dbt-duckdb project. Needs `DANA_TEST_DBT` = path of the `dbt` binary; skipped when unset.
#[tokio::test]
async fn dbt_parse_accepts_the_schema_yml() {
    let Some(dbt) = std::env::var("DANA_TEST_DBT")
        .ok()
        .filter(|s| !s.is_empty())
    else {
        return;
    };
    let h = Harness::new().await;
    let out = h
        .ok(
            "generate_quality_checks",
            json!({"table": spec(), "dialect": "duckdb", "formats": ["dbt"]}),
        )
        .await;
    let dir = tempfile::tempdir().expect("dir");
    let root = dir.path();
    for sub in ["models", "tests/generic"] {
        std::fs::create_dir_all(root.join(sub)).expect("mkdir");
    }
    std::fs::write(
        root.join("dbt_project.yml"),
        "name: dana_check\nversion: '1.0'\nconfig-version: 2\nprofile: dana_check\nmodel-paths: ['models']\ntest-paths: ['tests']\n",
    )
    .expect("project");
    std::fs::write(
        root.join("profiles.yml"),
        format!("dana_check:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: '{}'\n", root.join("x.duckdb").display()),
    )
    .expect("profiles");
    for model in ["fct_orders", "dim_customers", "stg_orders"] {
        std::fs::write(
            root.join(format!("models/{model}.sql")),
            "select 1 as order_id",
        )
        .expect("model");
    }
    std::fs::write(
        root.join("models/schema.yml"),
        out["dbt_schema_yml"].as_str().expect("yml"),
    )
    .expect("yml");
    std::fs::write(
        root.join("tests/generic/dana_tests.sql"),
        out["dbt_generic_tests"].as_str().expect("tests"),
    )
    .expect("tests");
    let output = std::process::Command::new(&dbt)
        .args(["parse", "--no-partial-parse", "--project-dir"])
        .arg(root)
        .arg("--profiles-dir")
        .arg(root)
        .env("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
        .output()
        .expect("run dbt");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "dbt parse failed:\n{text}");
    // Every test was registered: the manifest lists them.
    let manifest = std::fs::read_to_string(root.join("target/manifest.json")).expect("manifest");
    let manifest: Value = serde_json::from_str(&manifest).expect("json");
    let tests = manifest["nodes"]
        .as_object()
        .expect("nodes")
        .keys()
        .filter(|k| k.starts_with("test."))
        .count();
    assert!(tests >= 11, "only {tests} dbt tests registered:\n{text}");
}

/// The dbt export of a live PostgreSQL table (a dbt `source`), run by `dbt test` on the
/// same data: every test agrees with dana's run of the same checks.
#[tokio::test]
async fn dbt_test_on_postgres_agrees_with_dana() {
    use std::str::FromStr;
    let (Some(dbt), Some(url)) = (
        std::env::var("DANA_TEST_DBT")
            .ok()
            .filter(|s| !s.is_empty()),
        crate::common::postgres_url(),
    ) else {
        return;
    };
    let schema = crate::common::unique_name("dq_dbt_pg");
    let admin = sqlx::PgPool::connect(&url).await.expect("connect");
    // Defects: order 5 twice, 2 NULL customers, 1 orphan, 3 negative amounts, 2 unknown
    // statuses, 1 bad code; rows placed now (fresh).
    let rows: Vec<String> = (1..=30)
        .map(|i| {
            let id = if i == 30 { 5 } else { i };
            let customer = match i {
                3 | 4 => "NULL".to_string(),
                7 => "99".to_string(),
                _ => (1 + i % 5).to_string(),
            };
            let amount = if i <= 3 { -1.5 } else { f64::from(i) * 2.25 };
            let status = match i {
                10 | 11 => "lost",
                _ if i % 2 == 0 => "paid",
                _ => "new",
            };
            let code = if i == 12 { "bad" } else { "AB-12" };
            format!(
                "({id}, {customer}, {amount}, '{status}', '{code}', now() - interval '{i} minutes')"
            )
        })
        .collect();
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "CREATE SCHEMA {schema};
         CREATE TABLE {schema}.customers (id int PRIMARY KEY);
         INSERT INTO {schema}.customers SELECT g FROM generate_series(1, 5) g;
         CREATE TABLE {schema}.orders (order_id int, customer_id int, amount numeric(10,2), status text, code text, placed_at timestamptz);
         INSERT INTO {schema}.orders VALUES {};",
        rows.join(", ")
    )))
    .execute(&admin)
    .await
    .expect("seed");
    let spec = json!({
        "name": "orders", "schema": schema,
        "unique_keys": [["order_id", "status"]],
        "columns": [
            {"name": "order_id", "nullable": false, "unique": true},
            {"name": "customer_id", "nullable": false},
            {"name": "amount", "min": 0, "max": 1000},
            {"name": "status", "accepted_values": ["new", "paid"], "max_share_pct": 60},
            {"name": "code", "pattern": "^[A-Z]{2}-[0-9]+$"},
            {"name": "placed_at"}
        ],
        "foreign_keys": [{"columns": ["customer_id"], "ref_table": "customers", "ref_columns": ["id"]}],
        "freshness": {"column": "placed_at", "max_age_hours": 24},
        "volume": {"min_rows": 10, "max_rows": 1000},
        "custom_checks": [{"name": "mean_amount", "sql": format!("SELECT AVG(amount) AS observed FROM {schema}.orders"), "min": 10, "max": 100}]
    });
    let h = super::harness_with(
        &format!("[datasources.db]\nurl_env = \"DANA_TEST_POSTGRES_URL\"\nallow_write_capable_role = true\nschema = \"{schema}\"\n"),
        |_| {},
    )
    .await;
    let run = h
        .ok(
            "run_quality_checks",
            json!({"datasource": "db", "tables": [spec]}),
        )
        .await;
    let out = h
        .ok(
            "generate_quality_checks",
            json!({"table": spec, "dialect": "postgres", "formats": ["dbt"]}),
        )
        .await;
    let yml = out["dbt_schema_yml"].as_str().expect("yml");
    assert!(
        yml.contains("sources:") && yml.contains("arguments:"),
        "{yml}"
    );
    let dir = tempfile::tempdir().expect("dir");
    let root = dir.path();
    for sub in ["models", "tests/generic"] {
        std::fs::create_dir_all(root.join(sub)).expect("mkdir");
    }
    std::fs::write(
        root.join("dbt_project.yml"),
        "name: dana_pg\nversion: '1.0'\nconfig-version: 2\nprofile: dana_pg\nmodel-paths: ['models']\ntest-paths: ['tests']\n",
    )
    .expect("project");
    let options = sqlx::postgres::PgConnectOptions::from_str(&url).expect("url");
    std::fs::write(
        root.join("profiles.yml"),
        format!(
            "dana_pg:\n  target: dev\n  outputs:\n    dev:\n      type: postgres\n      host: '{}'\n      port: {}\n      user: '{}'\n      password: \"{{{{ env_var('PGPASSWORD', '') }}}}\"\n      dbname: '{}'\n      schema: '{schema}'\n      threads: 1\n",
            options.get_host(),
            options.get_port(),
            options.get_username(),
            options.get_database().unwrap_or("postgres"),
        ),
    )
    .expect("profiles");
    std::fs::write(root.join("models/schema.yml"), yml).expect("yml");
    std::fs::write(
        root.join("tests/generic/dana_tests.sql"),
        out["dbt_generic_tests"].as_str().expect("generic"),
    )
    .expect("generic");
    for (path, sql) in out["dbt_singular_tests"]
        .as_object()
        .expect("singular tests")
    {
        std::fs::write(root.join(path), sql.as_str().expect("sql")).expect("singular");
    }
    let output = std::process::Command::new(&dbt)
        .args(["test", "--no-partial-parse", "--project-dir"])
        .arg(root)
        .arg("--profiles-dir")
        .arg(root)
        .env("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
        .output()
        .expect("run dbt");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let results: Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("target/run_results.json"))
            .unwrap_or_else(|e| panic!("no run_results.json ({e}):\n{text}")),
    )
    .expect("run results");
    let count = |status: &str| {
        results["results"]
            .as_array()
            .expect("results")
            .iter()
            .filter(|r| r["status"] == status)
            .count()
    };
    assert_eq!(count("error"), 0, "dbt errors:\n{text}");
    assert_eq!(
        (count("pass"), count("fail")),
        (
            run["summary"]["passed"].as_u64().unwrap_or(0) as usize,
            run["summary"]["failed"].as_u64().unwrap_or(0) as usize
        ),
        "dbt and dana disagree:\n{text}\n{run:#}"
    );
    assert_eq!(count("fail"), 6, "{text}");
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
        .execute(&admin)
        .await
        .expect("drop");
}
