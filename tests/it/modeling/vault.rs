//! Data Vault 2.0 on real engines: hubs, a link over a hub with a composite business key,
//! and satellites on a hub and on the link are created (twice: the DDL is re-runnable)
//! and loaded from two staging batches, then the second batch is loaded again. Checked:
//! one hub row per business key ever seen, one link row per combination, one satellite
//! row per change (an unchanged member, NULLs included, adds none), hash keys equal to
//! the MD5 of the keys (the joined text on SQLite), every link and satellite row joining
//! its hub, the first batch's rows kept (insert-only), a re-run inserting nothing, and a
//! dangling hub reference refused where the engine enforces foreign keys.

use dana::dialect::{Enforcement, LogicalType};
use dana::domain::modeling::{
    AttributeSpec, ColumnSpec, DimensionSpec, GenerateDdlParams, GenerateScdMergeParams, ModelSpec,
    StatementKind, VaultKind, generate_ddl, generate_scd_merge,
};

use dana::dialect::parse::check;

use super::engines::{Engine, PyRunner, sql_python};
use super::{all_dialects, env};

fn column(name: &str, t: LogicalType) -> ColumnSpec {
    ColumnSpec {
        name: name.into(),
        logical_type: t,
        nullable: false,
        description: None,
    }
}

fn attribute(name: &str, t: LogicalType) -> AttributeSpec {
    AttributeSpec {
        name: name.into(),
        logical_type: t,
        scd_type: None,
        source: None,
        nullable: true,
        description: None,
    }
}

fn vault(name: &str, kind: VaultKind, parents: &[&str]) -> DimensionSpec {
    DimensionSpec {
        name: name.into(),
        kind: Some(kind),
        parents: parents.iter().map(|p| p.to_string()).collect(),
        ..DimensionSpec::default()
    }
}

pub fn model() -> ModelSpec {
    let mut hub_customer = vault("hub_customer", VaultKind::Hub, &[]);
    hub_customer.natural_key = vec![column("customer_id", LogicalType::String(Some(20)))];
    let mut hub_product = vault("hub_product", VaultKind::Hub, &[]);
    hub_product.natural_key = vec![
        column("product_code", LogicalType::String(Some(40))),
        column("variant_number", LogicalType::Integer),
    ];
    let link = vault(
        "link_order_line",
        VaultKind::Link,
        &["hub_customer", "hub_product"],
    );
    let mut sat_customer = vault("sat_customer", VaultKind::Satellite, &["hub_customer"]);
    sat_customer.attributes = vec![
        attribute("customer_name", LogicalType::String(Some(100))),
        attribute("tier", LogicalType::String(Some(20))),
        attribute("score", LogicalType::Decimal(8, 2)),
    ];
    let mut sat_line = vault("sat_order_line", VaultKind::Satellite, &["link_order_line"]);
    sat_line.attributes = vec![attribute("quantity_count", LogicalType::Integer)];
    ModelSpec {
        name: "vault".into(),
        // Satellites listed first: the normalized model orders hubs, links, satellites.
        dimensions: vec![sat_line, sat_customer, link, hub_product, hub_customer],
        ..ModelSpec::default()
    }
}

fn table(model: &ModelSpec, name: &str) -> DimensionSpec {
    model
        .dimensions
        .iter()
        .find(|d| d.name == name)
        .cloned()
        .expect("vault table")
}

/// The tables a table's load needs in `parents`.
fn parents(model: &ModelSpec, name: &str) -> Vec<DimensionSpec> {
    match name {
        "link_order_line" => vec![table(model, "hub_customer"), table(model, "hub_product")],
        "sat_customer" => vec![table(model, "hub_customer")],
        "sat_order_line" => vec![
            table(model, "hub_customer"),
            table(model, "hub_product"),
            table(model, "link_order_line"),
        ],
        _ => Vec::new(),
    }
}

async fn load(engine: &Engine, model: &ModelSpec, name: &str, staging: &str, effective: bool) {
    let (books, templates) = env();
    let out = generate_scd_merge(
        &GenerateScdMergeParams {
            dimension: table(model, name),
            staging_table: staging.into(),
            parents: parents(model, name),
            dialect: None,
            schema: Some(engine.schema.clone()),
            staging_schema: None,
            effective_from_column: effective.then(|| "changed_at".to_string()),
            project: None,
        },
        engine.dialect,
        &books,
        &templates,
    )
    .unwrap_or_else(|e| panic!("{} load of {name}: {e}", engine.dialect.name()));
    assert_eq!(out.statements.len(), 1);
    engine.exec(&out.statements[0].sql).await;
}

/// Loads every vault table from the two staging tables, hubs first.
async fn load_all(engine: &Engine, model: &ModelSpec, effective: bool) {
    load(engine, model, "hub_customer", "stg_customers", effective).await;
    load(engine, model, "hub_customer", "stg_lines", effective).await;
    load(engine, model, "hub_product", "stg_lines", effective).await;
    load(engine, model, "link_order_line", "stg_lines", effective).await;
    load(engine, model, "sat_customer", "stg_customers", effective).await;
    load(engine, model, "sat_order_line", "stg_lines", effective).await;
}

async fn count(engine: &Engine, sql: &str) -> i64 {
    engine.texts(sql).await[0][0]
        .as_deref()
        .unwrap_or_default()
        .parse()
        .expect("count")
}

async fn counts(engine: &Engine) -> Vec<i64> {
    let mut out = Vec::new();
    for t in [
        "hub_customer",
        "hub_product",
        "link_order_line",
        "sat_customer",
        "sat_order_line",
    ] {
        out.push(
            count(
                engine,
                &format!(
                    "SELECT {} FROM {}",
                    engine.text("COUNT(*)"),
                    engine.table(t)
                ),
            )
            .await,
        );
    }
    out
}

fn hashed(engine: &Engine, text: &str) -> String {
    if engine.dialect.md5_hex("x").is_none() {
        return text.to_string();
    }
    let md5 = match text {
        "C1" => "1a2ddc2db4693cfd16d534cde5572cc1",
        "P1||1" => "74c08c3f30263fdb806ef8bc01bc1c25",
        "C1||P1||1" => "fbd2d8aecda1659e2ba27cf65de1afca",
        other => panic!("no MD5 for {other}"),
    };
    md5.to_string()
}

#[tokio::test]
async fn vault_loads_are_insert_only_and_rerun_without_change() {
    let model = model();
    let (books, templates) = env();
    for effective in [true, false] {
        for engine in Engine::all(if effective { "dv" } else { "dvnow" }).await {
            let name = engine.dialect.name();
            engine.create(&model).await;
            engine.create(&model).await;
            engine
                .staging(
                    "stg_customers",
                    &[
                        ("customer_id", LogicalType::String(Some(20))),
                        ("customer_name", LogicalType::String(Some(100))),
                        ("tier", LogicalType::String(Some(20))),
                        ("score", LogicalType::Decimal(8, 2)),
                        ("changed_at", LogicalType::TimestampTz),
                    ],
                )
                .await;
            engine
                .staging(
                    "stg_lines",
                    &[
                        ("customer_id", LogicalType::String(Some(20))),
                        ("product_code", LogicalType::String(Some(40))),
                        ("variant_number", LogicalType::Integer),
                        ("quantity_count", LogicalType::Integer),
                        ("changed_at", LogicalType::TimestampTz),
                    ],
                )
                .await;
            let at = |day: &str| {
                engine
                    .dialect
                    .timestamp_literal(&format!("2024-{day} 00:00:00"))
                    .expect("timestamp")
            };
            let (a, b) = (at("01-01"), at("02-01"));
            engine
                .stage(
                    "stg_customers",
                    &[
                        &format!("'C1', 'Alice', 'gold', 1.5, {a}"),
                        &format!("'C2', 'Bob', NULL, NULL, {a}"),
                    ],
                )
                .await;
            engine
                .stage(
                    "stg_lines",
                    &[
                        &format!("'C1', 'P1', 1, 2, {a}"),
                        &format!("'C1', 'P2', 1, 3, {a}"),
                        &format!("'C2', 'P1', 1, 1, {a}"),
                    ],
                )
                .await;
            load_all(&engine, &model, effective).await;
            assert_eq!(counts(&engine).await, [2, 2, 3, 2, 3], "{name}: batch A");
            if !effective {
                // The load time keys satellite rows: SQLite's clock ticks in seconds.
                tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
            }
            engine
                .stage(
                    "stg_customers",
                    &[
                        &format!("'C1', 'Alice', 'platinum', 1.5, {b}"),
                        &format!("'C2', 'Bob', NULL, NULL, {b}"),
                        &format!("'C3', 'Carol', 'silver', 2, {b}"),
                    ],
                )
                .await;
            engine
                .stage(
                    "stg_lines",
                    &[
                        &format!("'C1', 'P1', 1, 5, {b}"),
                        &format!("'C3', 'P3', 2, 1, {b}"),
                    ],
                )
                .await;
            load_all(&engine, &model, effective).await;
            let after = counts(&engine).await;
            assert_eq!(after, [3, 3, 4, 4, 5], "{name}: batch B");
            load_all(&engine, &model, effective).await;
            assert_eq!(counts(&engine).await, after, "{name}: re-run inserted rows");

            let q = |t: &str| engine.table(t);
            let text = |e: &str| engine.text(e);
            let hk = engine
                .texts(&format!(
                    "SELECT {} FROM {} WHERE customer_id = 'C1'",
                    text("customer_hk"),
                    q("hub_customer")
                ))
                .await;
            assert_eq!(
                hk[0][0].as_deref(),
                Some(hashed(&engine, "C1").as_str()),
                "{name}"
            );
            let hk = engine
                .texts(&format!(
                    "SELECT {} FROM {} WHERE product_code = 'P1' AND variant_number = 1",
                    text("product_hk"),
                    q("hub_product")
                ))
                .await;
            assert_eq!(
                hk[0][0].as_deref(),
                Some(hashed(&engine, "P1||1").as_str()),
                "{name}"
            );
            let links = engine
                .texts(&format!(
                    "SELECT {} FROM {} AS l JOIN {} AS c ON c.customer_hk = l.customer_hk JOIN {} AS p ON p.product_hk = l.product_hk WHERE c.customer_id = 'C1' AND p.product_code = 'P1'",
                    text("l.order_line_hk"),
                    q("link_order_line"),
                    q("hub_customer"),
                    q("hub_product")
                ))
                .await;
            assert_eq!(links.len(), 1, "{name}: {links:?}");
            assert_eq!(
                links[0][0].as_deref(),
                Some(hashed(&engine, "C1||P1||1").as_str()),
                "{name}"
            );
            // Every link and satellite row joins its parent.
            for (child, parent, key) in [
                ("link_order_line", "hub_customer", "customer_hk"),
                ("link_order_line", "hub_product", "product_hk"),
                ("sat_customer", "hub_customer", "customer_hk"),
                ("sat_order_line", "link_order_line", "order_line_hk"),
            ] {
                let orphans = count(
                    &engine,
                    &format!(
                        "SELECT {} FROM {} AS c WHERE NOT EXISTS (SELECT 1 FROM {} AS p WHERE p.{key} = c.{key})",
                        text("COUNT(*)"),
                        q(child),
                        q(parent)
                    ),
                )
                .await;
                assert_eq!(orphans, 0, "{name}: {child} rows without their {parent}");
            }
            // C1's tier history: gold then platinum, both kept; C2 (NULLs unchanged) once.
            let tiers = engine
                .texts(&format!(
                    "SELECT s.tier, {} FROM {} AS s JOIN {} AS h ON h.customer_hk = s.customer_hk WHERE h.customer_id = 'C1' ORDER BY s.load_date",
                    text("s.load_date"),
                    q("sat_customer"),
                    q("hub_customer")
                ))
                .await;
            let tier: Vec<Option<&str>> = tiers.iter().map(|r| r[0].as_deref()).collect();
            assert_eq!(tier, [Some("gold"), Some("platinum")], "{name}");
            if effective {
                let loaded: Vec<String> = tiers
                    .iter()
                    .map(|r| r[1].clone().unwrap_or_default().chars().take(10).collect())
                    .collect();
                assert_eq!(loaded, ["2024-01-01", "2024-02-01"], "{name}");
            }
            let c2 = count(
                &engine,
                &format!(
                    "SELECT {} FROM {} AS s JOIN {} AS h ON h.customer_hk = s.customer_hk WHERE h.customer_id = 'C2'",
                    text("COUNT(*)"),
                    q("sat_customer"),
                    q("hub_customer")
                ),
            )
            .await;
            assert_eq!(c2, 1, "{name}: unchanged member got a new satellite row");
            // A link row pointing at no hub is refused where foreign keys are enforced.
            if engine.dialect.constraints().foreign_key == Enforcement::Enforced || name == "sqlite"
            {
                let dangling = engine
                    .try_exec(&format!(
                        "INSERT INTO {} (order_line_hk, customer_hk, product_hk, load_date, record_source) VALUES ('x', 'nobody', 'nothing', {a}, 'test')",
                        q("link_order_line")
                    ))
                    .await;
                assert!(dangling.is_err(), "{name}: dangling hub reference accepted");
            }
            engine.cleanup().await;
        }
    }
    // The DDL of the model in every dialect: hubs, then links, then satellites, and
    // satellites keyed by (parent hash key, load_date).
    let glot = sql_python().map(|p| PyRunner::start(&p));
    for d in all_dialects() {
        let out = generate_ddl(
            &GenerateDdlParams {
                model: model.clone(),
                dialect: None,
                schema: Some("vault".into()),
                comments: None,
                format: None,
                dbt: None,
                project: None,
            },
            d,
            &books,
            &templates,
        )
        .unwrap_or_else(|e| panic!("{}: {e}", d.name()));
        let order: Vec<&str> = out
            .statements
            .iter()
            .filter(|s| s.kind == StatementKind::CreateTable)
            .map(|s| s.table.as_str())
            .collect();
        assert_eq!(
            order,
            [
                "hub_product",
                "hub_customer",
                "link_order_line",
                "sat_order_line",
                "sat_customer"
            ],
            "{}",
            d.name()
        );
        let mut sql: Vec<String> = out.statements.into_iter().map(|s| s.sql).collect();
        for t in &model.dimensions {
            let load = generate_scd_merge(
                &GenerateScdMergeParams {
                    dimension: t.clone(),
                    staging_table: "stg_lines".into(),
                    parents: parents(&model, &t.name),
                    dialect: None,
                    schema: Some("vault".into()),
                    staging_schema: None,
                    effective_from_column: None,
                    project: None,
                },
                d,
                &books,
                &templates,
            )
            .unwrap_or_else(|e| panic!("{} load of {}: {e}", d.name(), t.name));
            sql.extend(load.statements.into_iter().map(|s| s.sql));
        }
        for s in &sql {
            check(d, s).unwrap_or_else(|e| panic!("sqlparser {}: {e}\n{s}", d.name()));
            if let Some(glot) = &glot
                && ["snowflake", "bigquery", "redshift", "databricks"].contains(&d.name())
            {
                glot.parse(d.name(), s)
                    .await
                    .unwrap_or_else(|e| panic!("sqlglot {}: {e}\n{s}", d.name()));
            }
        }
    }
}

/// A link or satellite load without its hubs is refused naming `parents`; a satellite
/// without a parent, a link of one hub and a hub with attributes are findings that
/// block the DDL.
/// Rows of `sat_event` (matching `filter`, a WHERE clause or "").
async fn sat_rows(engine: &Engine, filter: &str) -> i64 {
    count(
        engine,
        &format!(
            "SELECT {} FROM {}{filter}",
            engine.text("COUNT(*)"),
            engine.table("sat_event")
        ),
    )
    .await
}

/// A satellite over a `timestamptz` attribute: the hashdiff must not depend on the session's
/// time zone, or a load run under another TimeZone adds a row for every unchanged key.
#[tokio::test]
async fn a_timestamptz_hashdiff_does_not_depend_on_the_session_time_zone() {
    let mut hub = vault("hub_event", VaultKind::Hub, &[]);
    hub.natural_key = vec![column("event_id", LogicalType::String(Some(20)))];
    let mut sat = vault("sat_event", VaultKind::Satellite, &["hub_event"]);
    sat.attributes = vec![
        attribute("status", LogicalType::String(Some(20))),
        attribute("seen_at", LogicalType::TimestampTz),
    ];
    let model = ModelSpec {
        name: "events".into(),
        dimensions: vec![hub.clone(), sat.clone()],
        ..ModelSpec::default()
    };
    let (books, templates) = env();
    let mut checked = 0;
    for engine in Engine::all("dvtz").await {
        if engine.dialect.name() != "postgres" {
            engine.cleanup().await;
            continue;
        }
        engine.create(&model).await;
        engine
            .staging(
                "stg_events",
                &[
                    ("event_id", LogicalType::String(Some(20))),
                    ("status", LogicalType::String(Some(20))),
                    ("seen_at", LogicalType::TimestampTz),
                ],
            )
            .await;
        engine
            .stage(
                "stg_events",
                &["'E1', 'ok', TIMESTAMPTZ '2024-01-01 00:00:00+00'"],
            )
            .await;
        let sql = |dimension: &DimensionSpec, parents: Vec<DimensionSpec>| {
            generate_scd_merge(
                &GenerateScdMergeParams {
                    dimension: dimension.clone(),
                    staging_table: "stg_events".into(),
                    parents,
                    dialect: None,
                    schema: Some(engine.schema.clone()),
                    staging_schema: None,
                    effective_from_column: None,
                    project: None,
                },
                engine.dialect,
                &books,
                &templates,
            )
            .expect("load")
            .statements[0]
                .sql
                .clone()
        };
        let hub_load = sql(&hub, Vec::new());
        let sat_load = sql(&sat, vec![hub.clone()]);
        // One connection per batch: SET LOCAL holds for this transaction only.
        for zone in ["UTC", "Asia/Kolkata", "America/St_Johns"] {
            engine
                .exec(&format!(
                    "BEGIN; SET LOCAL TimeZone = '{zone}'; {hub_load}; {sat_load}; COMMIT"
                ))
                .await;
        }
        let rows = sat_rows(&engine, "").await;
        assert_eq!(rows, 1, "a new session time zone added satellite rows");
        // The hashed text is the UTC instant in a fixed format.
        let hit = sat_rows(
            &engine,
            " WHERE hashdiff = md5('ok||2024-01-01 00:00:00.000000')",
        )
        .await;
        assert_eq!(hit, 1);
        // A real change still adds a row.
        engine
            .stage(
                "stg_events",
                &["'E1', 'ok', TIMESTAMPTZ '2024-01-01 00:00:01+00'"],
            )
            .await;
        engine
            .exec(&format!(
                "BEGIN; SET LOCAL TimeZone = 'Asia/Kolkata'; {sat_load}; COMMIT"
            ))
            .await;
        let rows = sat_rows(&engine, "").await;
        assert_eq!(rows, 2);
        engine.cleanup().await;
        checked += 1;
    }
    if std::env::var_os("DANA_TEST_POSTGRES_URL").is_some() {
        assert_eq!(checked, 1, "PostgreSQL took part");
    }
}

#[tokio::test]
async fn vault_shape_errors_name_the_problem() {
    let (books, templates) = env();
    let model = model();
    let err = generate_scd_merge(
        &GenerateScdMergeParams {
            dimension: table(&model, "sat_order_line"),
            staging_table: "stg".into(),
            parents: vec![table(&model, "link_order_line")],
            dialect: None,
            schema: None,
            staging_schema: None,
            effective_from_column: None,
            project: None,
        },
        dana::dialect::by_name("postgres").expect("postgres"),
        &books,
        &templates,
    )
    .expect_err("hubs missing");
    assert!(
        err.to_string().contains("MOD-VAULT-PARENT") && err.to_string().contains("hub_customer"),
        "{err}"
    );
    let mut bad = model.clone();
    for d in &mut bad.dimensions {
        match d.name.as_str() {
            "sat_customer" => d.parents.clear(),
            "link_order_line" => d.parents.truncate(1),
            "hub_product" => d.attributes = vec![attribute("colour", LogicalType::Text)],
            _ => {}
        }
    }
    let out = dana::domain::modeling::design(&bad, &books, &templates).expect("design");
    let shapes: Vec<(&str, bool)> = out
        .findings
        .iter()
        .filter(|f| f.id == "MOD-VAULT-SHAPE")
        .map(|f| (f.table.as_deref().unwrap_or_default(), f.blocks_ddl))
        .collect();
    for t in ["sat_customer", "link_order_line", "hub_product"] {
        assert!(shapes.contains(&(t, true)), "{t}: {shapes:?}");
    }
}
