//! Profiling and checks on real engines, seeded with known defects: every defect found
//! with its exact count, clean data passes, PII never leaves the database.

use serde_json::{Value, json};

use super::{harness_in, sqlite_file};
use crate::common::{Harness, mysql_url, postgres_url, unique_name};

/// Row `i` (1..=40) of `orders`, with planted defects:
/// 2 duplicate order_id, 3 NULL customer_id, 2 orphans (99), 5 amounts outside [0, 1000],
/// 2 unknown statuses, `delivered` on 70% of rows, 3 bad coupons, all orders from 2020,
/// `channel` constant, `notes` all NULL, one `shipped_at` in 2099.
fn order_row(i: u32) -> String {
    let order_id = match i {
        39 => 5,
        40 => 6,
        _ => i,
    };
    let customer = match i {
        3 | 7 | 11 => "NULL".to_string(),
        13 | 17 => "99".to_string(),
        _ => ((i % 10) + 1).to_string(),
    };
    let amount = match i {
        2 | 4 | 6 | 8 => "-5.00".to_string(),
        10 => "2000.00".to_string(),
        _ => format!("{}.50", 10 + i),
    };
    let status = match i {
        12 | 14 => "lost",
        1..=30 => "delivered",
        _ if i % 2 == 1 => "pending",
        _ => "shipped",
    };
    let coupon = match i {
        1..=3 => "'bad1'".to_string(),
        20 => "NULL".to_string(),
        _ => "'ABCD12'".to_string(),
    };
    let shipped = if i == 1 {
        "'2099-01-01 00:00:00'"
    } else {
        "'2020-02-01 00:00:00'"
    };
    format!(
        "({order_id}, {customer}, {amount}, '{status}', {coupon}, 'buyer{i}@example.com', 'web', NULL, '2020-01-01 {:02}:00:00', {shipped})",
        i % 24
    )
}

fn seed_statements(prefix: &str, text: &str, ts: &str) -> Vec<String> {
    let rows: Vec<String> = (1..=40).map(order_row).collect();
    let customers: Vec<String> = (1..=10)
        .map(|i| {
            let country = ["DE", "FR", "US"][(i % 3) as usize];
            let created = if i % 2 == 0 {
                "CURRENT_TIMESTAMP"
            } else {
                "'2021-06-01 00:00:00'"
            };
            format!("({i}, 'person{i}@example.com', '{country}', {created})")
        })
        .collect();
    vec![
        format!(
            "CREATE TABLE {prefix}customers (id INTEGER PRIMARY KEY, email {text} NOT NULL, country {text}, created_at {ts})"
        ),
        format!(
            "CREATE TABLE {prefix}orders (order_id INTEGER, customer_id INTEGER, amount DECIMAL(10,2), status {text}, \
             coupon {text}, customer_email {text}, channel {text}, notes {text}, ordered_at {ts}, shipped_at {ts})"
        ),
        format!(
            "INSERT INTO {prefix}customers VALUES {}",
            customers.join(", ")
        ),
        format!("INSERT INTO {prefix}orders VALUES {}", rows.join(", ")),
    ]
}

fn specs() -> Value {
    json!([
        {
            "name": "orders",
            "columns": [
                {"name": "order_id", "unique": true, "nullable": false},
                {"name": "customer_id", "nullable": false},
                {"name": "amount", "min": 0, "max": 1000},
                {"name": "status", "accepted_values": ["pending", "shipped", "delivered"], "max_share_pct": 50},
                {"name": "coupon", "pattern": "^[A-Z]{4}[0-9]{2}$"},
                {"name": "customer_email", "pii": true},
                {"name": "channel"}, {"name": "notes"}, {"name": "ordered_at"}, {"name": "shipped_at"}
            ],
            "foreign_keys": [{"columns": ["customer_id"], "ref_table": "customers", "ref_columns": ["id"]}],
            "freshness": {"column": "ordered_at", "max_age_hours": 24},
            "volume": {"min_rows": 50},
            "reconciliations": [{"measure": "count", "other_table": "customers", "tolerance_pct": 1}]
        },
        {
            "name": "customers",
            "primary_key": ["id"],
            "columns": [
                {"name": "id"},
                {"name": "email", "nullable": false, "pii": true, "pattern": "^[^@]+@[^@]+$"},
                {"name": "country", "accepted_values": ["DE", "FR", "US"]},
                {"name": "created_at"}
            ],
            "freshness": {"column": "created_at", "max_age_hours": 24},
            "volume": {"min_rows": 5, "max_rows": 20}
        }
    ])
}

fn result<'a>(run: &'a Value, id: &str) -> &'a Value {
    run["results"]
        .as_array()
        .and_then(|r| r.iter().find(|x| x["id"] == id))
        .unwrap_or_else(|| panic!("no result `{id}` in {run:#}"))
}

fn observed(run: &Value, id: &str) -> f64 {
    result(run, id)["observed"]
        .as_f64()
        .unwrap_or_else(|| panic!("`{id}` has no observed value: {run:#}"))
}

/// The shared assertions, engine by engine.
async fn exercise(h: &Harness, engine: &str, regex: bool) {
    // Profiling: counts and anomalies.
    let profile = h
        .ok("profile_datasource", json!({"datasource": "db"}))
        .await;
    let tables = profile["tables"].as_array().expect("tables");
    assert_eq!(tables.len(), 2, "{profile:#}");
    let orders = tables
        .iter()
        .find(|t| t["table"]["name"] == "orders")
        .expect("orders");
    assert_eq!(orders["row_count"], json!(40));
    let col = |name: &str| column(orders, name);
    assert_eq!(col("customer_id")["null_count"], json!(3));
    assert_eq!(col("order_id")["distinct_count"], json!(38));
    assert_eq!(col("coupon")["null_count"], json!(1));
    assert_eq!(col("notes")["null_count"], json!(40));
    assert_eq!(col("status")["top_values"][0]["value"], json!("delivered"));
    assert_eq!(col("status")["top_values"][0]["count"], json!(28));
    assert_eq!(
        col("amount")["min"]
            .as_str()
            .and_then(|m| m.parse::<f64>().ok()),
        Some(-5.0),
        "{:#}",
        col("amount")
    );
    let anomalies: Vec<(String, String)> = orders["anomalies"]
        .as_array()
        .expect("anomalies")
        .iter()
        .map(|a| {
            (
                a["id"].as_str().unwrap_or_default().to_string(),
                a["column"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    for expected in [
        ("PROF-KEY-NOT-UNIQUE", "order_id"),
        ("PROF-ALL-NULL", "notes"),
        ("PROF-CONSTANT", "channel"),
        ("PROF-FUTURE-TIMESTAMP", "shipped_at"),
    ] {
        assert!(
            anomalies.contains(&(expected.0.to_string(), expected.1.to_string())),
            "{engine}: missing {expected:?} in {anomalies:?}"
        );
    }
    let customers = tables
        .iter()
        .find(|t| t["table"]["name"] == "customers")
        .expect("customers");
    assert_eq!(
        customers["anomalies"],
        json!([]),
        "{engine}: clean table flagged: {:#}",
        customers["anomalies"]
    );

    // Declared checks with known defects.
    let run = h
        .ok("run_quality_checks", json!({"datasource": "db", "tables": specs(), "checks": [{
            "id": "pii-sample", "kind": "DQ-ACCEPTED-VALUES", "table": "orders", "columns": ["status"],
            "params": {"values": ["pending", "shipped", "delivered"]},
            "sample_columns": ["order_id", "customer_email"], "pii_columns": ["customer_email"]
        }]}))
        .await;
    let expect = [
        ("DQ-UNIQUE:orders.order_id", 2.0),
        ("DQ-NOT-NULL:orders.customer_id", 3.0),
        ("DQ-NOT-NULL:orders.order_id", 0.0),
        ("DQ-REFERENTIAL:orders.customer_id->customers", 2.0),
        ("DQ-RANGE:orders.amount", 5.0),
        ("DQ-ACCEPTED-VALUES:orders.status", 2.0),
        ("DQ-DISTRIBUTION:orders.status", 70.0),
        ("DQ-FRESHNESS:orders.ordered_at", 0.0),
        ("DQ-VOLUME:orders", 40.0),
        ("DQ-RECONCILE:orders=customers", 300.0),
    ];
    for (id, value) in expect {
        let got = observed(&run, id);
        assert!(
            (got - value).abs() < 1e-6,
            "{engine}: {id} observed {got}, expected {value}"
        );
        let passed = result(&run, id)["passed"].as_bool();
        assert_eq!(
            passed,
            Some(id == "DQ-NOT-NULL:orders.order_id"),
            "{engine}: {id}"
        );
    }
    if regex {
        assert_eq!(observed(&run, "DQ-PATTERN:orders.coupon"), 3.0, "{engine}");
    } else {
        assert_eq!(
            result(&run, "DQ-PATTERN:orders.coupon")["status"],
            json!("unsupported")
        );
    }
    // Failing keys: the duplicated ids, with their repeat counts.
    let sample = &result(&run, "DQ-UNIQUE:orders.order_id")["failing_sample"];
    assert_eq!(
        sample["rows"].as_array().map(Vec::len),
        Some(2),
        "{sample:#}"
    );
    // PII masked, never fetched.
    let pii = &result(&run, "pii-sample")["failing_sample"];
    assert_eq!(pii["columns"], json!(["order_id", "customer_email"]));
    for row in pii["rows"].as_array().expect("rows") {
        assert_eq!(row[1], json!("***"), "{pii:#}");
    }
    assert!(
        !run.to_string().contains("buyer12@example.com"),
        "{engine}: PII leaked"
    );
    // Clean data passes.
    for r in run["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter(|r| r["table"] == "customers")
    {
        let ok = r["passed"] == json!(true) || (!regex && r["status"] == json!("unsupported"));
        assert!(ok, "{engine}: clean check failed: {r:#}");
    }
    // Batching: orders' 8 scan checks + customers' scan checks in one scan each.
    let scans: Vec<&Value> = run["results"]
        .as_array()
        .expect("r")
        .iter()
        .filter(|r| r["statement"] == "scan")
        .collect();
    assert!(scans.len() >= 12, "{engine}: {} scan checks", scans.len());

    // Suggestions from the profile of the clean table all pass on it.
    let generated = h
        .ok(
            "generate_quality_checks",
            json!({"profile": customers, "dialect": engine}),
        )
        .await;
    let kinds: Vec<&str> = generated["checks"]
        .as_array()
        .expect("c")
        .iter()
        .filter_map(|c| c["kind"].as_str())
        .collect();
    for k in ["DQ-UNIQUE", "DQ-NOT-NULL", "DQ-FRESHNESS"] {
        assert!(
            kinds.contains(&k),
            "{engine}: no suggested {k} in {kinds:?}"
        );
    }
    let run = h
        .ok(
            "run_quality_checks",
            json!({"datasource": "db", "checks": generated["checks"]}),
        )
        .await;
    assert_eq!(
        run["passed"],
        json!(true),
        "{engine}: suggested checks failed on clean data: {run:#}"
    );

    // Every generated statement runs on the engine: the declared orders checks.
    let generated = h
        .ok(
            "generate_quality_checks",
            json!({"table": specs()[0], "dialect": engine, "formats": ["dbt"]}),
        )
        .await;
    assert!(
        generated["dbt_schema_yml"]
            .as_str()
            .is_some_and(|s| s.contains("dana_expect"))
    );
}

#[tokio::test]
async fn sqlite_defects_found_with_exact_counts() {
    let dir = tempfile::tempdir().expect("dir");
    let script = seed_statements("", "TEXT", "TIMESTAMP").join(";\n");
    sqlite_file(&dir.path().join("shop.db"), &script).await;
    let h = harness_in(dir, "[datasources.db]\npath = \"shop.db\"\n").await;
    exercise(&h, "sqlite", true).await;
}

/// The profile of table `orders` in PostgreSQL schema `schema`, with extra datasource
/// settings (`dana.toml` lines).
async fn profile_pg_orders(schema: &str, settings: &str) -> Value {
    let h = super::harness_with(
        &format!(
            "[datasources.db]\nurl_env = \"DANA_TEST_POSTGRES_URL\"\nallow_write_capable_role = true\nschema = \"{schema}\"\n{settings}"
        ),
        |_| {},
    )
    .await;
    let profile = h
        .ok(
            "profile_datasource",
            json!({"datasource": "db", "tables": ["orders"]}),
        )
        .await;
    profile["tables"][0].clone()
}

/// A column of a table profile, by name.
fn column(table: &Value, name: &str) -> Value {
    table["columns"]
        .as_array()
        .and_then(|c| c.iter().find(|x| x["name"] == name))
        .cloned()
        .expect("column")
}

#[tokio::test]
async fn postgres_defects_found_with_exact_counts() {
    let Some(url) = postgres_url() else { return };
    let schema = unique_name("dq_pg");
    let admin = sqlx::PgPool::connect(&url).await.expect("connect");
    let mut script = vec![format!("CREATE SCHEMA {schema}")];
    script.extend(seed_statements(
        &format!("{schema}."),
        "VARCHAR(100)",
        "TIMESTAMP",
    ));
    sqlx::raw_sql(sqlx::AssertSqlSafe(script.join(";\n")))
        .execute(&admin)
        .await
        .expect("seed");
    let h = super::harness_with(
        &format!("[datasources.db]\nurl_env = \"DANA_TEST_POSTGRES_URL\"\nallow_write_capable_role = true\nschema = \"{schema}\"\n"),
        |_| {},
    )
    .await;
    exercise(&h, "postgres", true).await;
    // Above `exact_distinct_max_rows` (catalog estimate after ANALYZE): distinct counts and
    // text statistics come from the sample, which here covers the whole table.
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "ANALYZE {schema}.orders; ANALYZE {schema}.customers"
    )))
    .execute(&admin)
    .await
    .expect("analyze");
    let orders = profile_pg_orders(&schema, "exact_distinct_max_rows = 10\n").await;
    assert_eq!(orders["distinct_method"], json!("estimated"), "{orders:#}");
    let col = |name: &str| column(&orders, name);
    assert_eq!(col("order_id")["distinct_count"], json!(38));
    // A key-like column gets an exact uniqueness test above the threshold too.
    assert_eq!(col("order_id")["distinct_estimated"], json!(false));
    assert_eq!(col("coupon")["distinct_estimated"], json!(true));
    assert_eq!(col("status")["min"], json!("delivered"));
    assert_eq!(col("customer_email")["max_length"], json!(19));
    assert_eq!(col("customer_id")["null_count"], json!(3));
    // Exact even above the threshold: future rows (counted because the latest value is
    // after now), temporal min/max, numeric min/max and means, text lengths.
    assert_eq!(col("shipped_at")["future_count"], json!(1), "{orders:#}");
    assert_eq!(col("ordered_at")["future_count"], json!(0), "{orders:#}");
    assert_eq!(
        col("shipped_at")["max"].as_str().map(|m| &m[..4]),
        Some("2099")
    );
    assert_eq!(col("amount")["estimated"], json!(["distinct_count"]));
    assert!(
        col("amount")["min"]
            .as_str()
            .is_some_and(|m| m.parse::<f64>() == Ok(-5.0)),
        "{orders:#}"
    );
    assert!(
        orders["anomalies"]
            .as_array()
            .is_some_and(|a| a.iter().any(|x| x["id"] == "PROF-FUTURE-TIMESTAMP")),
        "{orders:#}"
    );
    // A 3-row sample cannot show them: min/max, means and lengths still come from every row.
    let orders =
        profile_pg_orders(&schema, "exact_distinct_max_rows = 10\nsample_rows = 3\n").await;
    assert_eq!(orders["sample_rows"], json!(3), "{orders:#}");
    let col = |name: &str| column(&orders, name);
    let (min, max, mean): (f64, f64, f64) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT min(amount)::float8, max(amount)::float8, avg(amount)::float8 FROM {schema}.orders"
    )))
    .fetch_one(&admin)
    .await
    .expect("exact amount");
    let number = |v: &Value| v.as_str().and_then(|m| m.parse::<f64>().ok());
    assert_eq!(number(&col("amount")["min"]), Some(min), "{orders:#}");
    assert_eq!(number(&col("amount")["max"]), Some(max), "{orders:#}");
    assert!(
        col("amount")["mean"]
            .as_f64()
            .is_some_and(|m| (m - mean).abs() < 1e-9),
        "{orders:#}"
    );
    assert_eq!(col("customer_email")["max_length"], json!(19));
    assert_eq!(col("status")["min"], json!("delivered"));
    // Opt-in: above `exact_stats_max_rows` means, text statistics and unindexed numeric
    // min/max come from the sample (here the whole table), and say so.
    let orders = profile_pg_orders(
        &schema,
        "exact_distinct_max_rows = 10\nexact_stats_max_rows = 10\n",
    )
    .await;
    let col = |name: &str| column(&orders, name);
    assert_eq!(
        col("amount")["estimated"],
        json!(["distinct_count", "mean", "min", "max"]),
        "{orders:#}"
    );
    assert_eq!(number(&col("amount")["min"]), Some(min), "{orders:#}");
    // Every e-mail is distinct in the sample: unique-looking, so its count is exact.
    assert_eq!(
        col("customer_email")["estimated"],
        json!(["min", "max", "min_length", "max_length"])
    );
    assert!(
        orders["notes"]
            .as_array()
            .is_some_and(|n| n.iter().any(|x| x
                .as_str()
                .is_some_and(|x| x.contains("exact_stats_max_rows")))),
        "{orders:#}"
    );
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
        .execute(&admin)
        .await
        .expect("drop");
}

#[tokio::test]
async fn mariadb_defects_found_with_exact_counts() {
    let Some(url) = mysql_url() else { return };
    let db = unique_name("dq_my");
    let admin = sqlx::MySqlPool::connect(&url).await.expect("connect");
    let mut script = vec![format!("CREATE DATABASE {db}")];
    script.extend(seed_statements(
        &format!("{db}."),
        "VARCHAR(100)",
        "DATETIME",
    ));
    for stmt in script {
        sqlx::raw_sql(sqlx::AssertSqlSafe(stmt))
            .execute(&admin)
            .await
            .expect("seed");
    }
    let h = super::harness_with(
        &format!("[datasources.db]\nurl_env = \"DANA_TEST_MYSQL_URL\"\nallow_write_capable_role = true\nschema = \"{db}\"\n"),
        |_| {},
    )
    .await;
    exercise(&h, "mysql", true).await;
    // Above `exact_distinct_max_rows`: the same exact counts where the scan keeps them,
    // and the primary key's min/max from the index.
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "ANALYZE TABLE {db}.orders, {db}.customers"
    )))
    .execute(&admin)
    .await
    .expect("analyze");
    let h = super::harness_with(
        &format!(
            "[datasources.db]\nurl_env = \"DANA_TEST_MYSQL_URL\"\nallow_write_capable_role = true\nschema = \"{db}\"\nexact_distinct_max_rows = 5\n"
        ),
        |_| {},
    )
    .await;
    let profile = h
        .ok("profile_datasource", json!({"datasource": "db"}))
        .await;
    let table = |name: &str| {
        profile["tables"]
            .as_array()
            .and_then(|t| t.iter().find(|x| x["table"]["name"] == name))
            .cloned()
            .expect("table")
    };
    let col = column;
    let (orders, customers) = (table("orders"), table("customers"));
    assert_eq!(orders["distinct_method"], json!("estimated"), "{orders:#}");
    assert_eq!(col(&orders, "customer_id")["null_count"], json!(3));
    assert_eq!(col(&orders, "notes")["null_count"], json!(40));
    assert_eq!(col(&orders, "shipped_at")["future_count"], json!(1));
    assert_eq!(
        col(&customers, "id")["min"].as_str(),
        Some("1"),
        "{customers:#}"
    );
    assert_eq!(
        col(&customers, "id")["max"].as_str(),
        Some("10"),
        "{customers:#}"
    );
    assert_eq!(
        col(&customers, "id")["estimated"],
        json!(["distinct_count"])
    );
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP DATABASE {db}")))
        .execute(&admin)
        .await
        .expect("drop");
}
