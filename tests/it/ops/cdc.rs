//! CDC design of `design_pipeline`: the Debezium connector configuration uses only the
//! properties Debezium defines for that connector (fixture extracted from Debezium's source,
//! see fixtures/debezium), with required properties present and enum values allowed; the
//! statements applying a staged batch of change events run on PostgreSQL, MariaDB/MySQL and
//! SQLite with the latest event per key winning (deletes included) and re-run idempotently.

use std::collections::BTreeMap;

use dana::dialect::{self, TableName};
use dana::domain::cdc::{self, Apply, CdcDesign};
use dana::domain::pipeline::{self, DesignPipelineParams, PipelineDesign};
use serde_json::{Value, json};
use sqlx::Row;

use super::{books, question};
use crate::common::{mysql_url, postgres_url, unique_name};

const FIXTURE: &str = include_str!("fixtures/debezium/debezium_properties.json");

fn design(source_system: &str, object: &str, target: Value) -> PipelineDesign {
    let p: DesignPipelineParams = serde_json::from_value(json!({
        "name": "orders_cdc",
        "source": {"system": source_system, "kind": "database", "object": object, "supports_cdc": true, "rows": 5_000_000},
        "target": target,
        "alert_channels": ["#data-alerts"],
    }))
    .expect("params");
    pipeline::design(&books().pipeline, &p).expect("design")
}

fn orders_target(system: &str, table: &str, track_deletes: bool) -> Value {
    json!({"system": system, "table": table, "data_kind": "mutable_fact",
           "merge_keys": ["order_id"], "columns": ["status", "amount"], "track_deletes": track_deletes})
}

fn cdc_of(d: &PipelineDesign) -> &CdcDesign {
    d.cdc.as_ref().unwrap_or_else(|| panic!("cdc in {d:?}"))
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|s| s.as_str().expect("string").to_string())
        .collect()
}

#[test]
fn connector_config_uses_only_documented_debezium_properties() {
    let fixture: Value = serde_json::from_str(FIXTURE).expect("fixture");
    let framework = strings(&fixture["kafka_connect"]);
    for (system, object, class, required) in [
        (
            "postgres-orders",
            "sales.orders",
            "io.debezium.connector.postgresql.PostgresConnector",
            &[
                "plugin.name",
                "slot.name",
                "publication.name",
                "database.dbname",
            ][..],
        ),
        (
            "mysql-orders",
            "sales.orders",
            "io.debezium.connector.mysql.MySqlConnector",
            &[
                "database.server.id",
                "database.include.list",
                "schema.history.internal.kafka.bootstrap.servers",
                "schema.history.internal.kafka.topic",
            ][..],
        ),
        (
            "mariadb-orders",
            "sales.orders",
            "io.debezium.connector.mariadb.MariaDbConnector",
            &["database.server.id", "schema.history.internal.kafka.topic"][..],
        ),
    ] {
        let out = design(
            system,
            object,
            orders_target("postgres", "fct_orders", false),
        );
        assert_eq!(out.extraction.strategy, "cdc");
        let cdc = cdc_of(&out);
        let config = cdc.connector["config"].as_object().expect("config");
        assert_eq!(config["connector.class"], class);
        let documented = strings(&fixture["connectors"][class]["properties"]);
        for key in config.keys() {
            assert!(
                documented.contains(key) || framework.contains(key),
                "{class}: `{key}` is not a documented property"
            );
        }
        for key in required.iter().chain(&[
            "topic.prefix",
            "table.include.list",
            "snapshot.mode",
            "tombstones.on.delete",
            "heartbeat.interval.ms",
            "database.hostname",
            "database.password",
            "key.converter",
            "value.converter",
        ]) {
            assert!(config.contains_key(*key), "{class}: `{key}` missing");
        }
        let modes = strings(&fixture["connectors"][class]["snapshot_mode"]);
        let mode = config["snapshot.mode"].as_str().expect("mode");
        assert!(modes.iter().any(|m| m == mode), "{mode} in {modes:?}");
        assert!(["true", "false"].contains(&config["tombstones.on.delete"].as_str().unwrap()));
        if class.contains("postgresql") {
            assert_eq!(config["plugin.name"], "pgoutput");
            assert_eq!(config["table.include.list"], "sales\\.orders");
        } else {
            let id: u64 = config["database.server.id"]
                .as_str()
                .unwrap()
                .parse()
                .expect("server id is a number");
            assert!(id > 0);
        }
        // No secret or host is a value: each comes from the file config provider.
        for key in ["database.hostname", "database.user", "database.password"] {
            let v = config[key].as_str().unwrap();
            assert!(v.starts_with("${file:") && v.ends_with('}'), "{key}: {v}");
        }
        assert_eq!(
            cdc.topics,
            [format!(
                "{}.sales.orders",
                config["topic.prefix"].as_str().unwrap()
            )]
        );
        // The landing connector's flattening uses the SMT's own properties.
        let smt = &fixture["extract_new_record_state"];
        let smt_props = strings(&smt["properties"]);
        for key in cdc.unwrap.as_object().unwrap().keys() {
            assert!(key == "type" || smt_props.contains(key), "unwrap `{key}`");
        }
        let handling = cdc.unwrap["delete.tombstone.handling.mode"]
            .as_str()
            .unwrap();
        assert!(
            strings(&smt["delete_tombstone_handling_mode"])
                .iter()
                .any(|m| m == handling)
        );
        assert!(
            cdc.unwrap["add.fields"]
                .as_str()
                .unwrap()
                .split(',')
                .map(|f| format!("__{f}"))
                .filter(|f| f != "__op")
                .eq(cdc.order_by.iter().cloned()),
            "order_by comes from add.fields: {:?}",
            cdc.unwrap
        );
        assert_eq!(cdc.apply_sql.len(), 2, "{:?}", cdc.notes);
    }
}

#[test]
fn cdc_inputs_are_asked_or_refused_with_the_field() {
    // The engine cannot be read from the name: asked, no config guessed.
    let out = design(
        "orders_db",
        "sales.orders",
        orders_target("postgres", "fct_orders", false),
    );
    assert!(out.cdc.is_none());
    let q = question(&out.questions, cdc::ENGINE_QUESTION);
    assert_eq!(q.field, "source.system");
    assert_eq!(q.answers.len(), 3);
    // The captured table omitted: asked.
    let p: DesignPipelineParams = serde_json::from_value(json!({
        "name": "orders", "source": {"system": "orders_pg", "kind": "database", "supports_cdc": true},
        "target": orders_target("postgres", "fct_orders", false)
    }))
    .expect("params");
    let out = pipeline::design(&books().pipeline, &p).expect("design");
    assert!(out.cdc.is_none());
    assert_eq!(
        question(&out.questions, cdc::OBJECT_QUESTION).field,
        "source.object"
    );
    // Not CDC: no cdc part.
    let p: DesignPipelineParams = serde_json::from_value(json!({
        "name": "orders", "source": {"system": "postgres-orders", "kind": "database", "object": "orders",
        "supports_cdc": false, "updated_at_column": "updated_at", "rows": 10},
        "target": orders_target("postgres", "fct_orders", false)
    }))
    .expect("params");
    assert!(
        pipeline::design(&books().pipeline, &p)
            .expect("design")
            .cdc
            .is_none()
    );
    // A MySQL table needs its database; a key listed as a column is refused.
    let p: DesignPipelineParams = serde_json::from_value(json!({
        "name": "orders", "source": {"system": "mysql-orders", "kind": "database", "object": "orders", "supports_cdc": true},
        "target": orders_target("postgres", "fct_orders", false)
    }))
    .expect("params");
    let err = pipeline::design(&books().pipeline, &p).expect_err("unqualified");
    assert!(err.to_string().contains("source.object"), "{err}");
    let mut t = orders_target("postgres", "fct_orders", false);
    t["columns"] = json!(["order_id", "status"]);
    let p: DesignPipelineParams = serde_json::from_value(json!({
        "name": "orders", "source": {"system": "postgres-orders", "kind": "database", "object": "orders", "supports_cdc": true},
        "target": t
    }))
    .expect("params");
    let err = pipeline::design(&books().pipeline, &p).expect_err("key as column");
    assert!(err.to_string().contains("target.columns"), "{err}");
    // Without columns the config is still given, the apply statements are not.
    let mut t = orders_target("postgres", "fct_orders", false);
    t["columns"] = json!([]);
    let out = design("postgres-orders", "orders", t);
    let cdc = cdc_of(&out);
    assert!(cdc.apply_sql.is_empty());
    assert!(cdc.notes.iter().any(|n| n.contains("target.columns")));
    assert_eq!(
        cdc.connector["config"]["table.include.list"],
        "public\\.orders"
    );
}

#[test]
fn apply_statements_parse_in_every_dialect_and_quote_hostile_names() {
    let hostile = "line \"no\"; DROP TABLE x; --";
    for d in dialect::all() {
        for (second_key, soft_delete) in [("line_no", false), ("line_no", true), (hostile, false)] {
            for order_by in [
                vec!["__lsn".to_string()],
                vec!["__file".into(), "__pos".into(), "__row".into()],
            ] {
                let sql = cdc::apply_statements(
                    d,
                    &Apply {
                        target: &TableName::new(Some("analytics"), "orders"),
                        staging: &TableName::new(Some("analytics"), "orders_changes"),
                        keys: &["order_id".into(), second_key.into()],
                        columns: &["status".into()],
                        order_by: &order_by,
                        soft_delete,
                    },
                );
                let sql = match sql {
                    Ok(sql) => sql,
                    // Engines whose names cannot hold the characters refuse, naming the field.
                    Err(e)
                        if second_key == hostile && !["postgres", "mysql"].contains(&d.name()) =>
                    {
                        assert!(e.to_string().contains("target.merge_keys"), "{e}");
                        continue;
                    }
                    Err(e) => panic!("{}: {e}", d.name()),
                };
                assert_eq!(sql.len(), 2);
                for s in &sql {
                    // One statement each: the hostile name stayed one quoted identifier.
                    dialect::parse::check(d, s)
                        .unwrap_or_else(|e| panic!("{}: {e}\n{s}", d.name()));
                }
            }
        }
    }
}

/// (order_id, status, amount, op, position) of the staged batch, in arrival order (not
/// position order). Key 1: two updates; key 2: update then delete; key 3: delete then
/// re-insert; key 4: insert then update, its update delivered twice (at-least-once);
/// key 6: insert then delete; key 5 untouched.
const EVENTS: &[(i64, &str, i64, &str, i64)] = &[
    (1, "paid", 11, "u", 30),
    (2, "open", 20, "u", 20),
    (6, "new", 60, "c", 12),
    (1, "open", 10, "u", 10),
    (3, "shipped", 33, "c", 50),
    (4, "paid", 41, "u", 25),
    (4, "paid", 41, "u", 25),
    (2, "open", 20, "d", 40),
    (3, "new", 30, "d", 15),
    (4, "new", 40, "c", 5),
    (6, "new", 60, "d", 35),
];

#[derive(Clone, Copy, PartialEq)]
enum Engine {
    Postgres,
    MySql,
    Sqlite,
}

impl Engine {
    fn cast(self, e: &str) -> String {
        match self {
            Engine::MySql => format!("CAST({e} AS CHAR)"),
            _ => format!("CAST({e} AS TEXT)"),
        }
    }
}

/// The staged batch as an INSERT; the position becomes `__lsn` or (`__file`, `__pos`, `__row`).
fn staged_rows(table: &str, binlog: bool) -> String {
    let rows: Vec<String> = EVENTS
        .iter()
        .map(|(k, s, a, op, n)| {
            let pos = if binlog {
                format!(
                    "'mysql-bin.{:06}', {}, {}",
                    n / 20 + 1,
                    (n % 20) / 4 * 100,
                    n % 4
                )
            } else {
                format!("{}", 1_000_000 + n)
            };
            format!("({k}, '{s}', {a}, '{op}', {pos})")
        })
        .collect();
    let cols = if binlog {
        "__file, __pos, __row"
    } else {
        "__lsn"
    };
    format!(
        "INSERT INTO {table} (order_id, status, amount, __op, {cols}) VALUES {};",
        rows.join(", ")
    )
}

type Rows = BTreeMap<String, Vec<String>>;

async fn target_rows(pool: &sqlx::AnyPool, e: Engine, table: &str, soft: bool) -> Rows {
    let mut cols = vec![e.cast("order_id"), e.cast("status"), e.cast("amount")];
    if soft {
        cols.push(e.cast("is_deleted"));
        cols.push(e.cast("deleted_at"));
    }
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {} FROM {table}",
        cols.join(", ")
    )))
    .fetch_all(pool)
    .await
    .expect("select");
    rows.iter()
        .map(|r| {
            let mut v: Vec<String> = (0..r.len())
                .map(|i| {
                    r.try_get::<Option<String>, _>(i)
                        .expect("text")
                        .unwrap_or_else(|| "NULL".into())
                })
                .collect();
            let key = v.remove(0);
            if soft {
                v[2] = match v[2].as_str() {
                    "true" | "1" => "deleted".into(),
                    _ => "live".into(),
                };
            }
            (key, v)
        })
        .collect()
}

fn expected(soft: bool) -> Vec<(&'static str, Vec<&'static str>)> {
    let mut rows = vec![
        ("1", vec!["paid", "11"]),
        ("3", vec!["shipped", "33"]),
        ("4", vec!["paid", "41"]),
        ("5", vec!["new", "50"]),
    ];
    if soft {
        for r in &mut rows {
            r.1.push("live");
        }
        rows.insert(1, ("2", vec!["new", "20", "deleted"]));
    }
    rows
}

/// Runs the apply statements of a design on `pool` twice and checks the target each time.
async fn apply_and_check(pool: &sqlx::AnyPool, e: Engine, schema: Option<&str>, soft: bool) {
    let source = if e == Engine::MySql {
        "mariadb-orders"
    } else {
        "postgres-orders"
    };
    let q = |t: &str| match schema {
        Some(s) => format!("{s}.{t}"),
        None => t.to_string(),
    };
    let target_system = match e {
        Engine::Postgres => "postgres",
        Engine::MySql => "mysql",
        Engine::Sqlite => "sqlite",
    };
    let out = design(
        source,
        "sales.orders",
        orders_target(target_system, &q("orders"), soft),
    );
    let cdc = cdc_of(&out);
    assert_eq!(cdc.staging_table, q("orders_changes"));
    let (text, boolean, ts) = match e {
        Engine::MySql => ("VARCHAR(40)", "BOOLEAN", "DATETIME(6)"),
        Engine::Postgres => ("TEXT", "BOOLEAN", "TIMESTAMPTZ"),
        Engine::Sqlite => ("TEXT", "INTEGER", "TEXT"),
    };
    let soft_cols = if soft {
        format!(", is_deleted {boolean} NOT NULL DEFAULT FALSE, deleted_at {ts} NULL")
    } else {
        String::new()
    };
    let position = if e == Engine::MySql {
        format!("__file {text}, __pos BIGINT, __row INTEGER")
    } else {
        "__lsn BIGINT".to_string()
    };
    let setup = format!(
        "CREATE TABLE {t} (order_id BIGINT PRIMARY KEY, status {text}, amount BIGINT{soft_cols});
         INSERT INTO {t} (order_id, status, amount) VALUES (1, 'new', 10), (2, 'new', 20), (3, 'new', 30), (5, 'new', 50);
         CREATE TABLE {s} (order_id BIGINT, status {text}, amount BIGINT, __op {text}, {position});
         {rows}",
        t = q("orders"),
        s = q("orders_changes"),
        rows = staged_rows(&q("orders_changes"), e == Engine::MySql),
    );
    sqlx::raw_sql(sqlx::AssertSqlSafe(setup))
        .execute(pool)
        .await
        .expect("setup");
    let mut first: Option<Rows> = None;
    for run in 0..2 {
        for s in &cdc.apply_sql {
            sqlx::raw_sql(sqlx::AssertSqlSafe(s.clone()))
                .execute(pool)
                .await
                .unwrap_or_else(|err| panic!("run {run}: {err}\n{s}"));
        }
        let rows = target_rows(pool, e, &q("orders"), soft).await;
        let got: Vec<(&str, Vec<&str>)> = rows
            .iter()
            .map(|(k, v)| {
                let mut v: Vec<&str> = v.iter().map(String::as_str).collect();
                if soft {
                    // deleted_at is set exactly on deleted rows.
                    let deleted_at = v.pop().unwrap();
                    assert_eq!(deleted_at != "NULL", v[2] == "deleted", "{k}: {v:?}");
                }
                (k.as_str(), v)
            })
            .collect();
        assert_eq!(got, expected(soft), "run {run} soft={soft}");
        match &first {
            None => first = Some(rows),
            Some(f) => assert_eq!(f, &rows, "re-run changes nothing (deleted_at included)"),
        }
    }
}

async fn any_pool(url: &str) -> sqlx::AnyPool {
    sqlx::any::install_default_drivers();
    sqlx::any::AnyPoolOptions::new()
        .max_connections(1)
        .connect(url)
        .await
        .expect("connect")
}

#[tokio::test]
async fn change_events_apply_on_postgres() {
    let Some(url) = postgres_url() else { return };
    let pool = any_pool(&url).await;
    for soft in [false, true] {
        let schema = unique_name("ops_cdc_pg");
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
            .execute(&pool)
            .await
            .expect("schema");
        apply_and_check(&pool, Engine::Postgres, Some(&schema), soft).await;
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
            .execute(&pool)
            .await
            .expect("drop");
    }
}

#[tokio::test]
async fn change_events_apply_on_mariadb() {
    let Some(url) = mysql_url() else { return };
    let pool = any_pool(&url).await;
    for soft in [false, true] {
        let db = unique_name("ops_cdc_my");
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {db}")))
            .execute(&pool)
            .await
            .expect("db");
        apply_and_check(&pool, Engine::MySql, Some(&db), soft).await;
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP DATABASE {db}")))
            .execute(&pool)
            .await
            .expect("drop");
    }
}

#[tokio::test]
async fn change_events_apply_on_sqlite() {
    for soft in [false, true] {
        let dir = tempfile::tempdir().expect("dir");
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("w.db").display());
        let pool = any_pool(&url).await;
        apply_and_check(&pool, Engine::Sqlite, None, soft).await;
    }
}

#[tokio::test]
async fn design_pipeline_tool_returns_the_cdc_part() {
    let h = crate::common::Harness::new().await;
    let out = h
        .ok(
            "design_pipeline",
            json!({
                "name": "orders_cdc",
                "source": {"system": "app-postgres", "kind": "database", "object": "sales.orders", "supports_cdc": true, "rows": 5_000_000},
                "target": orders_target("postgres", "analytics.fct_orders", true),
            }),
        )
        .await;
    let cdc: CdcDesign = serde_json::from_value(out["cdc"].clone()).expect("cdc");
    assert_eq!(cdc.engine, "postgres");
    assert_eq!(cdc.staging_table, "analytics.fct_orders_changes");
    assert_eq!(cdc.topics, ["app-postgres.sales.orders"]);
    assert!(
        cdc.apply_sql[0].starts_with("UPDATE analytics.fct_orders SET is_deleted = TRUE"),
        "{:?}",
        cdc.apply_sql
    );
}
