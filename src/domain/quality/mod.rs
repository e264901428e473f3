//! Data quality against the real database: table specs, profiles of live tables,
//! quality checks generated from either, and their execution on a named datasource.
//! The types here are public and reused by contracts and PII classification.

pub mod checks;
pub mod drift;
pub mod outputs;
pub mod profile;
pub mod run;
pub mod spec;

use std::future::Future;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use checks::{CheckOrigin, CheckParams, QualityCheck, Threshold};
pub use profile::{ColumnProfile, DatasourceProfile, ProfileDatasourceParams, TableProfile};
pub use run::{CheckResult, QualityRun, RunQualityChecksParams, Status};
pub use spec::{
    ColumnSpec, CustomCheckSpec, ForeignKeySpec, FreshnessSpec, Measure, ReconciliationSpec,
    TableSpec, TypeFamily, VolumeSpec,
};

use crate::App;
use crate::error::{Error, Result};

/// Progress and cancellation of long live work (MCP progress, a CLI bar, or nothing).
pub trait Progress: Send + Sync {
    /// Reports `done` of `total` steps.
    fn report(&self, done: usize, total: usize, message: String)
    -> impl Future<Output = ()> + Send;
    /// Whether the caller gave up.
    fn cancelled(&self) -> bool;
}

/// No progress reporting, never cancelled.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl Progress for NoProgress {
    async fn report(&self, _done: usize, _total: usize, _message: String) {}
    fn cancelled(&self) -> bool {
        false
    }
}

/// Params of `generate_quality_checks`.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GenerateQualityChecksParams {
    /// Table spec: column expectations, keys, freshness, volume, reconciliations, custom SQL checks.
    #[serde(default)]
    pub table: Option<TableSpec>,
    /// One entry of profile_datasource's `tables`, passed as is: checks are suggested from the observed data.
    #[serde(default)]
    #[schemars(with = "Option<serde_json::Map<String, serde_json::Value>>")]
    pub profile: Option<TableProfile>,
    /// SQL dialect (postgres, mysql, sqlite, duckdb, snowflake, bigquery, redshift, databricks); default from dana.toml, else postgres.
    #[serde(default)]
    pub dialect: Option<String>,
    /// Exports: `dbt` (schema.yml, `sources:` for a live table else `models:`; generic and singular tests), `odcs` (contract quality section), `gx` (Great Expectations suite + runner), `soda` (SodaCL checks). Default: none.
    #[serde(default)]
    pub formats: Vec<ExportFormat>,
    /// Project id: record the result in this project.
    #[serde(default)]
    pub project: Option<String>,
}

// An export of generated checks (plain comments: the schema stays a bare enum, the
// field's description says what each is).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    // dbt `schema.yml` tests and the generic tests they use.
    Dbt,
    // The `quality` section of an ODCS v3 data contract.
    Odcs,
    // A Great Expectations (GX Core 1.x) expectation suite and its runner.
    Gx,
    // A Soda (SodaCL 3.x) check file.
    Soda,
}

/// Generated checks, each with its SQL, and the exports asked for.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct QualityChecks {
    /// Table checked.
    pub table: String,
    /// Dialect of the SQL.
    pub dialect: String,
    /// The checks, each with its SQL (pass them to run_quality_checks).
    pub checks: Vec<QualityCheck>,
    /// dbt schema.yml with the checks as tests (with `formats: ["dbt"]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dbt_schema_yml: Option<String>,
    /// dbt generic tests the schema.yml uses, to save as tests/generic/dana_tests.sql (with `formats: ["dbt"]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dbt_generic_tests: Option<String>,
    /// dbt singular tests of the custom checks: file path in the dbt project -> SQL (with `formats: ["dbt"]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dbt_singular_tests: Option<std::collections::BTreeMap<String, String>>,
    /// The `quality` section of an ODCS v3 contract (with `formats: ["odcs"]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub odcs_quality: Option<String>,
    /// Suites (with `formats` gx, soda): `gx/<table>.json` + `gx/run_suite.py`, `soda/<table>.yml`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub suite_files: Vec<crate::codegen::GeneratedFile>,
    /// What could not be generated, and why.
    pub notes: Vec<String>,
}

/// Generates checks from a spec (declared) and/or a profile (suggested).
pub fn generate(app: &App, params: &GenerateQualityChecksParams) -> Result<QualityChecks> {
    let book = &app.playbooks.quality;
    let dialect_name = params
        .dialect
        .clone()
        .or_else(|| app.workspace.config.default_dialect.clone())
        .unwrap_or_else(|| "postgres".to_string());
    let dialect = crate::dialect::by_name(&dialect_name)
        .map_err(|e| Error::invalid(format!("dialect: {e}")))?;
    let (spec, mut checks) = match (&params.table, &params.profile) {
        (None, None) => {
            return Err(Error::invalid(
                "give `table` (a table spec) or `profile` (from profile_datasource), or both",
            ));
        }
        (Some(spec), profile) => {
            let mut checks = checks::from_spec(book, spec, CheckOrigin::Declared)?;
            if let Some(profile) = profile {
                for s in profile::suggest(book, profile)? {
                    if !checks.iter().any(|c| c.id == s.id) {
                        checks.push(s);
                    }
                }
            }
            (spec.clone(), checks)
        }
        (None, Some(profile)) => (profile.table.clone(), profile::suggest(book, profile)?),
    };
    checks::attach_sql(&app.templates, book, dialect, &mut checks)?;
    for check in &checks {
        if let Some(sql) = &check.sql {
            crate::dialect::parse::check(dialect, sql)?;
        }
    }
    let mut notes: Vec<String> = checks
        .iter()
        .filter_map(|c| c.unsupported.as_ref().map(|why| format!("{}: {why}", c.id)))
        .collect();
    let origin = if params.table.is_some() {
        "declared"
    } else {
        "suggested"
    };
    let suite_files = suite_files(app, dialect, &spec, &checks, &params.formats, &mut notes)?;
    let dbt = params.formats.contains(&ExportFormat::Dbt);
    let odcs = params.formats.contains(&ExportFormat::Odcs);
    Ok(QualityChecks {
        table: spec.name.clone(),
        dialect: dialect.name().to_string(),
        dbt_schema_yml: dbt
            .then(|| {
                // A live table (profiled, or naming its schema) is a dbt source: dbt reads
                // it as is. A hand-written spec without a schema is a model dbt builds.
                let target = match &spec.schema {
                    Some(schema) => outputs::DbtTarget::Source {
                        name: schema.clone(),
                        schema: Some(schema.clone()),
                    },
                    None if params.profile.is_some() => outputs::DbtTarget::Source {
                        name: "dana".to_string(),
                        schema: None,
                    },
                    None => outputs::DbtTarget::Model,
                };
                outputs::dbt_schema(app, book, dialect, &spec, &checks, origin, &target)
            })
            .transpose()?,
        dbt_generic_tests: dbt
            .then(|| {
                app.templates
                    .render("checks/dbt_generic_tests.sql.j2", serde_json::json!({}))
            })
            .transpose()?,
        dbt_singular_tests: if dbt {
            Some(outputs::dbt_singular_tests(app, book, dialect, &checks)?)
                .filter(|t| !t.is_empty())
        } else {
            None
        },
        odcs_quality: odcs
            .then(|| outputs::odcs_quality(app, book, dialect, &spec, &checks))
            .transpose()?,
        checks,
        suite_files,
        notes,
    })
}

/// The GX and Soda suites asked for in `formats`, their notes added to `notes`.
fn suite_files(
    app: &App,
    dialect: &dyn crate::dialect::SqlDialect,
    spec: &TableSpec,
    checks: &[QualityCheck],
    formats: &[ExportFormat],
    notes: &mut Vec<String>,
) -> Result<Vec<crate::codegen::GeneratedFile>> {
    use crate::codegen::{GeneratedFile, suites};
    let input = suites::SuiteInput {
        templates: &app.templates,
        book: &app.playbooks.quality,
        dialect,
        spec,
        checks,
    };
    let file = crate::dialect::ident::ascii_word(&spec.name);
    let mut out = Vec::new();
    if formats.contains(&ExportFormat::Gx) {
        let suite = suites::gx::suite(&input)?;
        notes.extend(suite.notes);
        if let Some(text) = suite.text {
            out.push(GeneratedFile {
                path: format!("gx/{file}.json"),
                content: text,
            });
            out.push(GeneratedFile {
                path: "gx/run_suite.py".to_string(),
                content: app
                    .templates
                    .render("suites/gx_run_suite.py", serde_json::json!({}))?,
            });
        }
    }
    if formats.contains(&ExportFormat::Soda) {
        let suite = suites::soda::checks(&input)?;
        notes.extend(suite.notes);
        if let Some(text) = suite.text {
            out.push(GeneratedFile {
                path: format!("soda/{file}.yml"),
                content: text,
            });
        }
    }
    Ok(out)
}
