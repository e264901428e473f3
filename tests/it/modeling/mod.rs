//! Modeling: design findings, DDL and SCD loads for eight dialects, parsed by sqlparser,
//! executed on SQLite, PostgreSQL and MariaDB, snapshotted, fuzzed and attacked with
//! hostile names.

mod dbt_project;
mod design;
mod edges;
pub mod engines;
mod golden;
mod hostile;
mod keywords;
mod methodology;
mod parse;
mod props;
mod scd_check;
mod vault;

use dana::dialect::{self, SqlDialect};
use dana::domain::modeling::{
    DdlOutput, DimensionSpec, GenerateDdlParams, GenerateScdMergeParams, ModelSpec, ScdMergeOutput,
    generate_ddl, generate_scd_merge,
};
use dana::playbook::Playbooks;
use dana::render::Templates;

/// The fixture models: (name, spec).
pub fn fixtures() -> Vec<(&'static str, ModelSpec)> {
    vec![
        (
            "retail",
            parse_fixture(include_str!("fixtures/retail.json")),
        ),
        ("edge", parse_fixture(include_str!("fixtures/edge.json"))),
    ]
}

pub fn retail() -> ModelSpec {
    parse_fixture(include_str!("fixtures/retail.json"))
}

fn parse_fixture(text: &str) -> ModelSpec {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("fixture: {e}"))
}

/// Embedded playbooks and templates.
pub fn env() -> (Playbooks, Templates) {
    (
        Playbooks::embedded().expect("playbooks"),
        Templates::new(None),
    )
}

/// DDL of `model` in `dialect`, with an optional schema override.
pub fn ddl(model: &ModelSpec, dialect: &dyn SqlDialect, schema: Option<&str>) -> DdlOutput {
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
    generate_ddl(&params, dialect, &books, &templates)
        .unwrap_or_else(|e| panic!("{} ddl: {e}", dialect.name()))
}

/// The SCD load of `dimension` from `staging`.
pub fn scd(
    dimension: &DimensionSpec,
    dialect: &dyn SqlDialect,
    schema: Option<&str>,
    staging: &str,
    effective: Option<&str>,
) -> ScdMergeOutput {
    let (books, templates) = env();
    let params = GenerateScdMergeParams {
        dimension: dimension.clone(),
        staging_table: staging.to_string(),
        parents: Vec::new(),
        dialect: None,
        schema: schema.map(str::to_string),
        staging_schema: None,
        effective_from_column: effective.map(str::to_string),
        project: None,
    };
    generate_scd_merge(&params, dialect, &books, &templates)
        .unwrap_or_else(|e| panic!("{} scd {}: {e}", dialect.name(), dimension.name))
}

pub fn all_dialects() -> Vec<&'static dyn SqlDialect> {
    dialect::all()
}
