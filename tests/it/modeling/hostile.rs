//! Hostile names: quotes, statement separators, comment markers, reserved words, Unicode,
//! very long names. Each either yields SQL that parses as exactly one statement per
//! statement and runs on the engines here (creating exactly the named objects, dropping
//! nothing), or a clear error. Never injected SQL.

use dana::dialect::LogicalType;
use dana::dialect::parse::parse;
use dana::domain::modeling::{
    AttributeSpec, ColumnSpec, DimensionSpec, FactSpec, ForeignKeySpec, ModelSpec,
};

use super::engines::Engine;
use super::{all_dialects, env};
use dana::domain::modeling::{GenerateDdlParams, generate_ddl};

const HOSTILE: &[&str] = &[
    "a\"b",
    "x; DROP TABLE sentinel; --",
    "/* c */ d",
    "select",
    "order",
    "Ünïcödé_名前",
    "with space",
    "'quote",
    "back`tick",
    "-- dash",
    "CamelCase",
    "1starts_with_digit",
    "a\0b",
    "line\nbreak",
    "trailing ",
    "🦀crab",
];

fn long(n: usize) -> String {
    "n".repeat(n)
}

fn model(table: &str, column: &str, fact: &str) -> ModelSpec {
    let text = |name: &str| ColumnSpec {
        name: name.to_string(),
        logical_type: LogicalType::String(Some(40)),
        nullable: true,
        description: Some("it's -- a 'comment'; DROP TABLE sentinel; /*".into()),
    };
    ModelSpec {
        name: "hostile".into(),
        schema: None,
        dimensions: vec![DimensionSpec {
            name: table.to_string(),
            description: Some("O'Brien \\ \"quoted\" ; --".into()),
            scd_type: Some(2),
            natural_key: vec![text("code_id")],
            surrogate_key: Some("sk".into()),
            attributes: vec![AttributeSpec {
                name: column.to_string(),
                logical_type: LogicalType::String(Some(40)),
                scd_type: Some(2),
                source: None,
                nullable: true,
                description: Some("x'); DROP TABLE sentinel; --".into()),
            }],
            unknown_member: true,
            ..DimensionSpec::default()
        }],
        facts: vec![FactSpec {
            name: fact.to_string(),
            grain: Some("One row per hostile event per day".into()),
            foreign_keys: vec![ForeignKeySpec {
                dimension: table.to_string(),
                column: None,
                description: None,
            }],
            degenerate_dimensions: vec![text(column)],
            ..FactSpec::default()
        }],
        bus_matrix: Vec::new(),
        needs: None,
    }
}

#[tokio::test]
async fn hostile_names_are_quoted_or_refused() {
    let (books, templates) = env();
    let mut names: Vec<String> = HOSTILE.iter().map(|s| s.to_string()).collect();
    names.extend([
        long(63),
        long(64),
        long(127),
        long(128),
        long(255),
        long(256),
        long(1100),
    ]);
    let engines = Engine::all("hostile").await;
    for engine in &engines {
        engine
            .exec(&format!(
                "CREATE TABLE {} (x INTEGER)",
                engine.table("sentinel")
            ))
            .await;
    }
    let mut accepted = 0;
    let mut refused = 0;
    for (i, name) in names.iter().enumerate() {
        for d in all_dialects() {
            for (v, (table, column)) in [
                (format!("dim_{i}_{name}"), "plain_col".to_string()),
                (format!("dim_c{i}"), name.clone()),
            ]
            .into_iter()
            .enumerate()
            {
                let mut spec = model(&table, &column, &format!("fct_{i}_{v}"));
                let engine = engines.iter().find(|e| e.dialect.name() == d.name());
                spec.schema = engine.map(|e| e.schema.clone());
                let params = GenerateDdlParams {
                    model: spec.clone(),
                    dialect: None,
                    schema: None,
                    comments: None,
                    format: None,
                    dbt: None,
                    project: None,
                };
                match generate_ddl(&params, d, &books, &templates) {
                    Err(e) => {
                        let msg = format!("{e:#}");
                        assert!(
                            msg.contains("identifier"),
                            "{}: unclear refusal for {name:?}: {msg}",
                            d.name()
                        );
                        refused += 1;
                    }
                    Ok(out) => {
                        accepted += 1;
                        for s in &out.statements {
                            let parsed = parse(d, &s.sql).unwrap_or_else(|e| panic!("{e}"));
                            assert_eq!(
                                parsed.len(),
                                1,
                                "{}: {name:?} split a statement:\n{}",
                                d.name(),
                                s.sql
                            );
                        }
                        let Some(engine) = engine else { continue };
                        for s in &out.statements {
                            engine.exec(&s.sql).await;
                        }
                        let staging = format!("stg_{i}_{v}");
                        engine
                            .staging(
                                &staging,
                                &[
                                    ("code_id", LogicalType::String(Some(40))),
                                    (column.as_str(), LogicalType::String(Some(40))),
                                ],
                            )
                            .await;
                        engine.stage(&staging, &["'K1', 'v1'"]).await;
                        engine.load(&spec.dimensions[0], &staging, None, None).await;
                        engine.stage(&staging, &["'K1', 'v2'"]).await;
                        engine.load(&spec.dimensions[0], &staging, None, None).await;
                        let count = engine
                            .texts(&format!(
                                "SELECT {} FROM {}",
                                engine.text("COUNT(*)"),
                                engine.table(&table)
                            ))
                            .await;
                        assert_eq!(
                            count[0][0].as_deref(),
                            Some("3"),
                            "{}: {name:?}: unknown member + 2 versions",
                            d.name()
                        );
                    }
                }
            }
        }
    }
    for engine in engines {
        // The sentinel survived every name.
        engine
            .exec(&format!("SELECT x FROM {}", engine.table("sentinel")))
            .await;
        engine.cleanup().await;
    }
    assert!(
        accepted > 100 && refused > 20,
        "accepted {accepted}, refused {refused}"
    );
    // Specific expectations.
    let pg = dana::dialect::by_name("postgres").expect("pg");
    assert!(pg.quote_ident(&long(63)).is_ok() && pg.quote_ident(&long(64)).is_err());
    let bq = dana::dialect::by_name("bigquery").expect("bq");
    assert!(bq.quote_ident("with space").is_err() && bq.quote_ident("a\"b").is_err());
    let my = dana::dialect::by_name("mysql").expect("mysql");
    assert!(my.quote_ident("🦀crab").is_err() && my.quote_ident("Ünïcödé_名前").is_ok());
    for d in all_dialects() {
        assert!(d.quote_ident("a\0b").is_err(), "{}", d.name());
        assert!(d.quote_ident("select").is_ok(), "{}", d.name());
        assert_ne!(
            d.quote_ident("select").ok().as_deref(),
            Some("select"),
            "{}: reserved word left bare",
            d.name()
        );
    }
}
