//! Benchmark: `generate_ddl` for a 30-table model (10 dimensions, 20 facts), per
//! dialect, in process. Prints the median and p90 of 300 runs (after 30 warm-up runs).
//! Target: median ≤ 2 ms. Run: `cargo bench --bench ddl`.

#![allow(clippy::print_stdout)]

use std::time::{Duration, Instant};

use dana::dialect::{self, LogicalType};
use dana::domain::modeling::{
    Additivity, Aggregation, AttributeSpec, ColumnSpec, DimensionSpec, FactSpec, ForeignKeySpec,
    GenerateDdlParams, MeasureSpec, ModelSpec, PhysicalHints, generate_ddl,
};
use dana::playbook::Playbooks;
use dana::render::Templates;

fn column(name: String, logical_type: LogicalType, nullable: bool) -> ColumnSpec {
    ColumnSpec {
        name,
        logical_type,
        nullable,
        description: Some("benchmark column".into()),
    }
}

fn model() -> ModelSpec {
    let types = [
        LogicalType::String(Some(100)),
        LogicalType::Integer,
        LogicalType::Decimal(12, 2),
        LogicalType::Date,
        LogicalType::TimestampTz,
        LogicalType::Boolean,
        LogicalType::Text,
        LogicalType::BigInt,
    ];
    let dimensions: Vec<DimensionSpec> = (0..10)
        .map(|i| DimensionSpec {
            name: format!("dim_entity{i}s"),
            description: Some(format!("Entity {i}")),
            scd_type: Some(if i % 2 == 0 { 2 } else { 1 }),
            natural_key: vec![column(
                format!("entity{i}_id"),
                LogicalType::String(Some(40)),
                false,
            )],
            attributes: (0..8)
                .map(|j| AttributeSpec {
                    name: format!("attribute_{j}"),
                    logical_type: types[j % types.len()],
                    scd_type: Some([1, 2, 3][j % 3]),
                    source: None,
                    nullable: true,
                    description: Some(format!("Attribute {j}")),
                })
                .collect(),
            unknown_member: true,
            ..DimensionSpec::default()
        })
        .collect();
    let facts: Vec<FactSpec> = (0..20)
        .map(|i| FactSpec {
            name: format!("fct_process{i}"),
            description: Some(format!("Process {i}")),
            grain: Some(format!("One row per process {i} event per day")),
            foreign_keys: (0..4)
                .map(|k| ForeignKeySpec {
                    dimension: format!("dim_entity{}s", (i + k) % 10),
                    column: Some(format!("entity{k}_key")),
                    description: None,
                })
                .collect(),
            degenerate_dimensions: vec![column(
                "document_number".into(),
                LogicalType::String(Some(20)),
                false,
            )],
            measures: (0..4)
                .map(|m| MeasureSpec {
                    name: format!("measure{m}_amount"),
                    logical_type: LogicalType::Decimal(14, 2),
                    additivity: Additivity::Additive,
                    aggregation: Aggregation::Sum,
                    description: Some(format!("Measure {m}")),
                })
                .collect(),
            columns: vec![
                column("event_date".into(), LogicalType::Date, false),
                column("loaded_at".into(), LogicalType::TimestampTz, false),
            ],
            primary_key: vec!["document_number".into()],
            physical: Some(PhysicalHints {
                partition_by: Some("event_date".into()),
                cluster_by: vec!["entity0_key".into(), "entity1_key".into()],
                dist_key: Some("entity0_key".into()),
                sort_key: vec!["event_date".into()],
                ..PhysicalHints::default()
            }),
        })
        .collect();
    ModelSpec {
        name: "bench".into(),
        schema: Some("analytics".into()),
        dimensions,
        facts,
        bus_matrix: Vec::new(),
        needs: None,
    }
}

fn main() {
    let books = Playbooks::embedded().expect("playbooks");
    let templates = Templates::new(None);
    let params = GenerateDdlParams {
        model: model(),
        dialect: None,
        schema: None,
        comments: None,
        format: None,
        dbt: None,
        project: None,
    };
    println!("generate_ddl, 30 tables (10 dimensions, 20 facts), 300 runs per dialect");
    println!(
        "{:<12} {:>10} {:>10} {:>12}",
        "dialect", "median", "p90", "statements"
    );
    for d in dialect::all() {
        let mut statements = 0;
        for _ in 0..30 {
            statements = generate_ddl(&params, d, &books, &templates)
                .expect("ddl")
                .statements
                .len();
        }
        let mut times: Vec<Duration> = (0..300)
            .map(|_| {
                let start = Instant::now();
                let out = generate_ddl(&params, d, &books, &templates).expect("ddl");
                let elapsed = start.elapsed();
                std::hint::black_box(out);
                elapsed
            })
            .collect();
        times.sort();
        let median = times[times.len() / 2];
        let p90 = times[times.len() * 9 / 10];
        println!(
            "{:<12} {:>8.3}ms {:>8.3}ms {:>12}",
            d.name(),
            median.as_secs_f64() * 1e3,
            p90.as_secs_f64() * 1e3,
            statements
        );
    }
}
