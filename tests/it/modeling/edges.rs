//! The edges, one by one: MySQL string, row and key limits, names equal under
//! case folding, derived names that would collide or overflow, PostgreSQL partition
//! windows and unpartitioned dimensions, BigQuery's unnamed primary key, indexes on
//! facts' foreign keys.

use dana::dialect::{self, LogicalType};
use dana::domain::modeling::{Additivity, Aggregation};
use dana::domain::modeling::{
    AttributeSpec, ColumnSpec, DimensionSpec, FactSpec, ForeignKeySpec, GenerateDdlParams,
    MeasureSpec, ModelSpec, PhysicalHints, generate_ddl,
};

use super::engines::Engine;
use super::env;

fn col(name: &str, t: LogicalType) -> ColumnSpec {
    ColumnSpec {
        name: name.into(),
        logical_type: t,
        nullable: false,
        description: None,
    }
}

fn attr(name: &str, t: LogicalType, scd: u8) -> AttributeSpec {
    AttributeSpec {
        name: name.into(),
        logical_type: t,
        scd_type: Some(scd),
        source: None,
        nullable: true,
        description: None,
    }
}

fn dim(name: &str, key: LogicalType, attrs: Vec<AttributeSpec>) -> DimensionSpec {
    DimensionSpec {
        name: name.into(),
        natural_key: vec![col("code", key)],
        attributes: attrs,
        unknown_member: true,
        ..DimensionSpec::default()
    }
}

fn fact(name: &str, fks: &[(&str, &str)]) -> FactSpec {
    FactSpec {
        name: name.into(),
        grain: Some("One row per order line per day".into()),
        foreign_keys: fks
            .iter()
            .map(|(d, c)| ForeignKeySpec {
                dimension: d.to_string(),
                column: Some(c.to_string()),
                description: None,
            })
            .collect(),
        measures: vec![MeasureSpec {
            name: "amount".into(),
            logical_type: LogicalType::Decimal(12, 2),
            additivity: Additivity::Additive,
            aggregation: Aggregation::Sum,
            description: None,
        }],
        ..FactSpec::default()
    }
}

fn model(dimensions: Vec<DimensionSpec>, facts: Vec<FactSpec>) -> ModelSpec {
    ModelSpec {
        name: "edges".into(),
        dimensions,
        facts,
        ..ModelSpec::default()
    }
}

fn generate(
    model: &ModelSpec,
    dialect: &str,
    schema: Option<&str>,
) -> Result<dana::domain::modeling::DdlOutput, String> {
    let (books, templates) = env();
    let params = GenerateDdlParams {
        model: model.clone(),
        dialect: None,
        schema: schema.map(str::to_string),
        comments: None,
        format: None,
        dbt: None,
        project: None,
    };
    generate_ddl(
        &params,
        dialect::by_name(dialect).expect("dialect"),
        &books,
        &templates,
    )
    .map_err(|e| e.to_string())
}

async fn runs(engine: &Engine, model: &ModelSpec) -> dana::domain::modeling::DdlOutput {
    let out = generate(model, engine.dialect.name(), Some(&engine.schema))
        .unwrap_or_else(|e| panic!("{}: {e}", engine.dialect.name()));
    for s in &out.statements {
        engine.exec(&s.sql).await;
    }
    out
}

#[tokio::test]
async fn mysql_limits_at_the_edges() {
    let engines = Engine::all("edge_my").await;
    for engine in &engines {
        engine.renew().await;
        // 16,383 characters is the longest VARCHAR, 16,384 becomes MEDIUMTEXT; many long
        // strings in one row move to TEXT; 768-character keys fit.
        let mut attrs = vec![
            attr("at_limit", LogicalType::String(Some(16_383)), 1),
            attr("over_limit", LogicalType::String(Some(16_384)), 2),
        ];
        for i in 0..20 {
            attrs.push(attr(
                &format!("long_{i}"),
                LogicalType::String(Some(1000)),
                1,
            ));
        }
        let out = runs(
            engine,
            &model(
                vec![dim("dim_wide", LogicalType::String(Some(768)), attrs)],
                vec![],
            ),
        )
        .await;
        if engine.dialect.name() == "mysql" {
            assert!(
                out.script.contains("over_limit MEDIUMTEXT"),
                "{}",
                out.script
            );
            assert!(
                out.notes.iter().any(|n| n.contains("became TEXT")),
                "{:?}",
                out.notes
            );
        }
    }
    // Keys the engine cannot index whole are refused, naming the column.
    for (key, wanted) in [
        (LogicalType::String(Some(769)), "code"),
        (LogicalType::Text, "code"),
        (LogicalType::Json, "code"),
    ] {
        let m = model(
            vec![dim(
                "dim_key",
                key,
                vec![attr("a", LogicalType::Integer, 1)],
            )],
            vec![],
        );
        let err = generate(&m, "mysql", None).err().unwrap_or_default();
        assert!(
            err.contains(&format!("`{wanted}`")) && err.contains("key"),
            "{key}: {err}"
        );
        for other in ["postgres", "sqlite", "duckdb"] {
            assert!(generate(&m, other, None).is_ok(), "{other}: {key}");
        }
    }
    for engine in engines {
        engine.cleanup().await;
    }
}

#[test]
fn names_equal_under_case_folding_are_refused_naming_them() {
    let cases = [
        model(
            vec![dim(
                "dim_a",
                LogicalType::Integer,
                vec![
                    attr("Status", LogicalType::Text, 1),
                    attr("status", LogicalType::Text, 1),
                ],
            )],
            vec![],
        ),
        model(
            vec![dim(
                "dim_a",
                LogicalType::Integer,
                vec![
                    attr("segment", LogicalType::Text, 2),
                    attr("Valid_From", LogicalType::Text, 1),
                ],
            )],
            vec![],
        ),
        model(
            vec![
                dim(
                    "dim_a",
                    LogicalType::Integer,
                    vec![attr("x", LogicalType::Text, 1)],
                ),
                dim(
                    "DIM_A",
                    LogicalType::Integer,
                    vec![attr("x", LogicalType::Text, 1)],
                ),
            ],
            vec![],
        ),
    ];
    for (m, name) in cases.iter().zip(["status", "Valid_From", "DIM_A"]) {
        for d in dialect::NAMES {
            let err = generate(m, d, None).err().unwrap_or_default();
            assert!(err.contains(&format!("`{name}`")), "{d}: {err}");
        }
    }
}

#[tokio::test]
async fn derived_names_never_collide_or_overflow() {
    let long = "d".repeat(60);
    let m = model(
        vec![
            dim(
                "dim_a",
                LogicalType::Integer,
                vec![attr(&long, LogicalType::Integer, 3)],
            ),
            dim("dim_item", LogicalType::Integer, vec![]),
            dim("pk_dim_a", LogicalType::Integer, vec![]),
        ],
        vec![
            fact("fct_order", &[("dim_item", "line_item_key")]),
            fact("fct_order_line", &[("dim_item", "item_key")]),
        ],
    );
    let engines = Engine::all("edge_names").await;
    for engine in &engines {
        engine.renew().await;
        runs(engine, &m).await;
        // Both tables named like a derived name exist and load.
        let rows = engine
            .texts(&format!(
                "SELECT {} FROM {}",
                engine.text("COUNT(*)"),
                engine.table("pk_dim_a")
            ))
            .await;
        assert_eq!(
            rows[0][0].as_deref(),
            Some("1"),
            "{}",
            engine.dialect.name()
        );
    }
    for engine in engines {
        engine.cleanup().await;
    }
}

#[tokio::test]
async fn postgres_partitions_a_window_and_leaves_dimensions_whole() {
    let mut f = fact("fct_sales", &[("dim_a", "a_key")]);
    f.columns.push(col("sale_date", LogicalType::Date));
    f.physical = Some(PhysicalHints {
        partition_by: Some("sale_date".into()),
        partition_grain: dialect::TimeGrain::Month,
        partition_from: Some("2024-01-01".into()),
        partition_to: Some("2024-04-01".into()),
        ..PhysicalHints::default()
    });
    let mut d = dim(
        "dim_a",
        LogicalType::Integer,
        vec![attr("x", LogicalType::Text, 1)],
    );
    d.physical = Some(PhysicalHints {
        partition_by: Some("x".into()),
        ..PhysicalHints::default()
    });
    let m = model(vec![d], vec![f]);
    let out = generate(&m, "postgres", Some("s")).expect("ddl");
    let partitions: Vec<&str> = out
        .statements
        .iter()
        .filter(|s| s.sql.contains("PARTITION OF"))
        .map(|s| s.sql.as_str())
        .collect();
    assert_eq!(partitions.len(), 4, "{partitions:?}");
    assert!(
        partitions[0].contains("fct_sales_p202401")
            && partitions[0].contains("FROM ('2024-01-01') TO ('2024-02-01')")
    );
    assert!(partitions[3].contains("DEFAULT"));
    assert!(
        out.notes
            .iter()
            .any(|n| n.contains("dim_a: dimension not partitioned")),
        "{:?}",
        out.notes
    );
    assert!(out.statements.iter().any(|s| {
        s.sql
            .starts_with("CREATE INDEX IF NOT EXISTS ix_fct_sales_a_key")
    }));
    for engine in Engine::all("edge_part").await {
        runs(&engine, &m).await;
        if engine.dialect.name() == "postgres" {
            engine
                .exec(&format!(
                    "INSERT INTO {} (a_key, amount, sale_date) VALUES (-1, 1, '2024-02-10'), (-1, 2, '2030-01-01')",
                    engine.table("fct_sales")
                ))
                .await;
            let rows = engine
                .texts(&format!(
                    "SELECT {} FROM {}",
                    engine.text("COUNT(*)"),
                    engine.table("fct_sales_p202402")
                ))
                .await;
            assert_eq!(rows[0][0].as_deref(), Some("1"));
        }
        engine.cleanup().await;
    }
    // A window without partition_by, or backwards, is refused naming the field.
    let mut bad = m.clone();
    if let Some(p) = bad.facts[0].physical.as_mut() {
        p.partition_to = Some("2023-01-01".into());
    }
    let err = generate(&bad, "postgres", None).err().unwrap_or_default();
    assert!(err.contains("facts[0].physical.partition_to"), "{err}");
}

#[test]
fn bigquery_primary_keys_are_unnamed_and_indexless_engines_get_a_note() {
    let m = model(
        vec![dim(
            "dim_a",
            LogicalType::Integer,
            vec![attr("x", LogicalType::Text, 1)],
        )],
        vec![fact("fct_a", &[("dim_a", "a_key")])],
    );
    let out = generate(&m, "bigquery", Some("ds")).expect("ddl");
    assert!(
        out.script.contains("    PRIMARY KEY (a_key) NOT ENFORCED"),
        "{}",
        out.script
    );
    assert!(!out.script.contains("CONSTRAINT pk_"), "{}", out.script);
    for d in ["bigquery", "snowflake", "redshift", "databricks"] {
        let out = generate(&m, d, Some("ds")).expect("ddl");
        assert!(
            out.notes.iter().any(|n| n.contains("no secondary indexes")),
            "{d}: {:?}",
            out.notes
        );
    }
    let my = generate(&m, "mysql", None).expect("ddl");
    assert!(
        my.script.contains("KEY `ix_fct_a_a_key` (a_key)")
            || my.script.contains("KEY ix_fct_a_a_key (a_key)"),
        "{}",
        my.script
    );
}
