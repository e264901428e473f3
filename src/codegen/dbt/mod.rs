//! `generate_ddl` with `format: dbt`: a dbt project that builds the model's tables from
//! source tables, for DuckDB (dbt-duckdb) or PostgreSQL (dbt-postgres).
//!
//! - `dbt_project.yml`; `models/staging/_sources.yml` declares the source tables, with
//!   dana's quality checks on them as tests (the same export as generate_quality_checks'
//!   `formats: [dbt]`, each test named after its check id so a dbt result maps back);
//! - `models/staging/stg_<table>.sql`: one view per model table, the source rows joined,
//!   renamed and cast to the model's types, one row per natural key (dimensions) or
//!   primary key (facts), as dana's SCD loads expect of a staging table;
//! - `models/marts/<table>.sql`: dimensions and facts ([`sql`]), with
//!   `models/marts/_marts.yml` holding descriptions and key tests;
//! - `tests/generic/dana_tests.sql` (dana's generic tests), `tests/*.sql` (singular tests
//!   of custom checks) and `models/exposures.yml` (known consumers).
//!
//! User text reaches the files only through [`crate::dialect::ident`] (SQL identifiers),
//! [`crate::codegen::jinja`] (anything dbt renders) and [`crate::codegen::yaml`].

mod sql;

use std::collections::{BTreeMap, BTreeSet};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::{GeneratedFile, jinja, yaml};
use crate::App;
use crate::dialect::{SqlDialect, ident};
use crate::domain::modeling::{Model, Table, TableKind};
use crate::domain::quality::QualityCheck;
use crate::domain::quality::outputs::{DbtTarget, dbt_singular_tests, dbt_table_tests};
use crate::domain::quality::spec::TableSpec;
use crate::error::{Error, Result};

/// Dialects the dbt project is generated for (the adapters it was built and tested on).
pub const DIALECTS: &[&str] = &["duckdb", "postgres"];

/// Inputs of the dbt project (`generate_ddl`'s `dbt`).
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DbtInputs {
    /// Schema of the source tables (default `raw`).
    #[serde(default)]
    pub source_schema: Option<String>,
    /// Source of each model table, by table name.
    #[serde(default)]
    pub tables: BTreeMap<String, TableSource>,
    /// Checks on the source tables (generate_quality_checks' `checks`): become dbt tests.
    #[serde(default)]
    #[schemars(with = "Vec<Map<String, Value>>")]
    pub checks: Vec<QualityCheck>,
    /// Known consumers: dbt exposures.
    #[serde(default)]
    pub exposures: Vec<ExposureSpec>,
}

/// Where one model table's rows come from.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TableSource {
    /// Source table.
    pub from: String,
    /// Source tables LEFT JOINed USING the listed columns.
    #[serde(default)]
    pub join: BTreeMap<String, Vec<String>>,
    /// SQL expression per model column (default: its `source`, else its name; for a foreign key, the dimension's natural key).
    #[serde(default)]
    pub columns: BTreeMap<String, String>,
    /// Fact load strategy, as design_pipeline names it: append, merge, partition_swap, truncate_reload (default merge with a primary key, else append).
    #[serde(default)]
    pub load: Option<String>,
}

/// A consumer of the model (a dbt exposure).
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExposureSpec {
    /// Name.
    pub name: String,
    /// dashboard, notebook, analysis, ml or application (default dashboard).
    #[serde(default)]
    pub r#type: Option<String>,
    /// Owner (team or person).
    pub owner: String,
    /// Tables it reads.
    pub depends_on: Vec<String>,
    /// What it is.
    #[serde(default)]
    pub description: Option<String>,
}

/// The generated project and what it could not express.
pub struct DbtProject {
    /// Files, relative to the project folder.
    pub files: Vec<GeneratedFile>,
    /// Notes (checks dbt cannot run, approximations).
    pub notes: Vec<String>,
}

/// The dbt model names of the model's tables: plain words (file names), unique.
pub(crate) struct Names {
    by_table: BTreeMap<String, String>,
}

impl Names {
    fn new(model: &Model) -> Self {
        let mut used = BTreeSet::new();
        let mut by_table = BTreeMap::new();
        for table in &model.tables {
            let word = ident::ascii_word(&table.name);
            let mut name = word.clone();
            let mut n = 1;
            while !used.insert(name.clone()) || used.contains(&format!("stg_{name}")) {
                n += 1;
                name = format!("{word}_{n}");
            }
            used.insert(format!("stg_{name}"));
            by_table.insert(table.name.clone(), name);
        }
        Names { by_table }
    }

    /// The mart model's name.
    pub(crate) fn mart(&self, table: &str) -> &str {
        self.by_table.get(table).map_or("", String::as_str)
    }

    /// The staging model's name.
    pub(crate) fn staging(&self, table: &str) -> String {
        format!("stg_{}", self.mart(table))
    }
}

/// The dbt project for `model` in `dialect`.
pub fn project(
    app: &App,
    model: &Model,
    dialect: &dyn SqlDialect,
    inputs: &DbtInputs,
) -> Result<DbtProject> {
    if !DIALECTS.contains(&dialect.name()) {
        return Err(Error::invalid(format!(
            "dialect: format dbt supports {}; `{}` is not one of them",
            DIALECTS.join(", "),
            dialect.name()
        )));
    }
    for table in &model.tables {
        if !matches!(table.kind, TableKind::Dimension | TableKind::Fact) {
            return Err(Error::invalid(format!(
                "model: table `{}` is a {}; format dbt builds dimensions (SCD type 1 and 2) and facts only (use generate_scd_merge for the others)",
                table.name,
                table.kind.as_str()
            )));
        }
        if !inputs.tables.contains_key(&table.name) {
            return Err(Error::invalid(format!(
                "dbt.tables: no source for `{}`; give `{{\"from\": <source table>}}`",
                table.name
            )));
        }
    }
    if let Some(unknown) = inputs.tables.keys().find(|t| model.table(t).is_none()) {
        return Err(Error::invalid(format!(
            "dbt.tables: `{unknown}` is not a table of the model"
        )));
    }
    let names = Names::new(model);
    let source = SourceRef::new(inputs.source_schema.as_deref().unwrap_or("raw"));
    let project = format!("dana_{}", ident::ascii_word(&model.name));
    // dbt reads ref() and source() of a model with a static parser that does not undo
    // backslash escapes in string literals: names holding one need Jinja's own parser.
    let escaped = model
        .tables
        .iter()
        .map(|t| t.name.as_str())
        .chain(inputs.tables.values().flat_map(|t| {
            std::iter::once(t.from.as_str()).chain(t.join.keys().map(String::as_str))
        }))
        .chain([source.name.as_str()])
        .any(|n| n.contains(['\\', '\'']));
    let mut files = vec![file("dbt_project.yml", dbt_project_yml(&project, escaped)?)];
    let mut notes = Vec::new();
    files.push(file(
        "models/staging/_sources.yml",
        sources_yml(app, dialect, model, inputs, &source, &mut notes)?,
    ));
    for table in &model.tables {
        let from = &inputs.tables[&table.name];
        let builder = sql::Builder {
            model,
            table,
            dialect,
            names: &names,
            source: &source,
            books: &app.playbooks,
        };
        files.push(file(
            &format!("models/staging/{}.sql", names.staging(&table.name)),
            builder
                .staging(from)
                .map_err(|e| Error::invalid(format!("dbt.tables.{}: {e}", table.name)))?,
        ));
        let mart = match table.kind {
            TableKind::Fact => builder.fact(from.load.as_deref()),
            _ => builder.dimension(),
        }
        .map_err(|e| Error::invalid(format!("table `{}`: {e}", table.name)))?;
        files.push(file(
            &format!("models/marts/{}.sql", names.mart(&table.name)),
            mart,
        ));
    }
    files.push(file(
        "models/marts/_marts.yml",
        marts_yml(model, dialect, &names)?,
    ));
    files.push(file(
        "tests/generic/dana_tests.sql",
        app.templates
            .render("checks/dbt_generic_tests.sql.j2", json!({}))?,
    ));
    let singular = dbt_singular_tests(app, &app.playbooks.quality, dialect, &inputs.checks)?;
    for (path, text) in singular {
        files.push(file(&path, text));
    }
    if !inputs.exposures.is_empty() {
        files.push(file(
            "models/exposures.yml",
            exposures_yml(model, &names, &inputs.exposures)?,
        ));
    }
    Ok(DbtProject { files, notes })
}

fn file(path: &str, content: String) -> GeneratedFile {
    GeneratedFile {
        path: path.to_string(),
        content,
    }
}

/// The dbt source the staging models read: its name and schema.
pub(crate) struct SourceRef {
    name: String,
    schema: String,
}

impl SourceRef {
    fn new(schema: &str) -> Self {
        SourceRef {
            name: ident::ascii_word(schema),
            schema: schema.to_string(),
        }
    }

    /// `{{ source('…', '…') }}` for a source table.
    pub(crate) fn call(&self, table: &str) -> String {
        format!(
            "{{{{ source({}, {}) }}}}",
            jinja::string_literal(&self.name),
            jinja::string_literal(table)
        )
    }
}

/// `{{ ref('…') }}`.
pub(crate) fn ref_call(model: &str) -> String {
    format!("{{{{ ref({}) }}}}", jinja::string_literal(model))
}

const HEADER: &str = "# Generated by dana (generate_ddl, format dbt).\n";

fn dbt_project_yml(project: &str, escaped_names: bool) -> Result<String> {
    let mut doc = json!({
        "name": project,
        "version": "1.0.0",
        "config-version": 2,
        "profile": project,
        "model-paths": ["models"],
        "test-paths": ["tests"],
        "seed-paths": ["seeds"],
        "models": { project: {
            "staging": {"+materialized": "view"},
            "marts": {"+materialized": "table"},
        }},
        // The checks on the sources warn: a defect in the raw data is reported without
        // stopping the models (dbt build skips whatever depends on a failing test).
        "data_tests": { project: { "staging": {"+severity": "warn"} } },
    });
    if escaped_names {
        doc["flags"] = json!({"static_parser": false});
    }
    dbt_yaml(doc)
}

/// A YAML file dbt renders with Jinja: every string made Jinja-safe, once.
fn dbt_yaml(doc: Value) -> Result<String> {
    Ok(format!("{HEADER}{}", yaml::to_string(&jinja::texts(doc))?))
}

/// The source tables: every table the staging models read, with the checks on it.
fn sources_yml(
    app: &App,
    dialect: &dyn SqlDialect,
    model: &Model,
    inputs: &DbtInputs,
    source: &SourceRef,
    notes: &mut Vec<String>,
) -> Result<String> {
    let mut tables: Vec<String> = Vec::new();
    let mut add = |t: &str| {
        if !tables.iter().any(|x| x == t) {
            tables.push(t.to_string());
        }
    };
    for table in &model.tables {
        let from = &inputs.tables[&table.name];
        add(&from.from);
        for joined in from.join.keys() {
            add(joined);
        }
    }
    for check in &inputs.checks {
        add(&check.table);
    }
    let target = DbtTarget::Source {
        name: source.name.clone(),
        schema: Some(source.schema.clone()),
    };
    let mut entries: Vec<Value> = Vec::new();
    let mut i = 0;
    while i < tables.len() {
        let name = tables[i].clone();
        let checks: Vec<QualityCheck> = inputs
            .checks
            .iter()
            .filter(|c| c.table == name)
            .cloned()
            .collect();
        let spec = TableSpec {
            name: name.clone(),
            ..TableSpec::default()
        };
        let tests = dbt_table_tests(
            app,
            &app.playbooks.quality,
            dialect,
            &spec,
            &checks,
            &target,
            true,
        )?;
        for r in tests.referenced {
            if !tables.contains(&r) {
                tables.push(r);
            }
        }
        notes.extend(tests.skipped);
        let mut entry = tests.entry;
        if let Some(Value::Array(columns)) = entry.get_mut("columns") {
            columns.iter_mut().for_each(quote_if_needed);
        }
        if entry.get("columns").is_some_and(|c| c == &json!([])) {
            entry.remove("columns");
        }
        entries.push(Value::Object(entry));
        i += 1;
    }
    dbt_yaml(json!({"version": 2, "sources": [{
        "name": source.name,
        "schema": source.schema,
        "tables": entries,
    }]}))
}

/// `quote: true` on a column entry whose name is not a plain lower-case word, so dbt's
/// tests quote it.
fn quote_if_needed(column: &mut Value) {
    let plain = column["name"].as_str().is_some_and(|n| {
        !n.is_empty()
            && n.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            && !n.starts_with(|c: char| c.is_ascii_digit())
    });
    if !plain && let Value::Object(map) = column {
        map.insert("quote".into(), json!(true));
    }
}

/// Descriptions, types and key tests of the mart models.
fn marts_yml(model: &Model, dialect: &dyn SqlDialect, names: &Names) -> Result<String> {
    let mut models = Vec::new();
    for table in &model.tables {
        let mut entry = Map::new();
        entry.insert("name".into(), json!(names.mart(&table.name)));
        if let Some(d) = &table.description {
            entry.insert("description".into(), json!(d));
        }
        let mut columns = Vec::new();
        for column in &table.columns {
            let mut c = Map::new();
            c.insert("name".into(), json!(column.name));
            if let Some(d) = &column.description {
                c.insert("description".into(), json!(d));
            }
            c.insert(
                "data_type".into(),
                json!(sql::column_type(model, column, dialect)?),
            );
            let mut tests = Vec::new();
            match column.role {
                crate::domain::modeling::ColumnRole::SurrogateKey => {
                    tests.push(json!("unique"));
                    tests.push(json!("not_null"));
                }
                crate::domain::modeling::ColumnRole::ForeignKey => {
                    tests.push(json!("not_null"));
                    if let Some(dim) = column.references.as_deref().and_then(|r| model.table(r))
                        && let Some(key) = dim.surrogate_key()
                    {
                        tests.push(json!({"relationships": {"arguments": {
                            "to": format!("ref({})", jinja::string_literal(names.mart(&dim.name))),
                            "field": dialect.quote_ident(&key.name)?,
                        }}}));
                    }
                }
                _ if !column.nullable => tests.push(json!("not_null")),
                _ => {}
            }
            if !tests.is_empty() {
                c.insert("data_tests".into(), Value::Array(tests));
            }
            let mut c = Value::Object(c);
            quote_if_needed(&mut c);
            columns.push(c);
        }
        if table.kind == TableKind::Fact && table.primary_key.len() > 1 {
            let cols: Vec<String> = table
                .primary_key
                .iter()
                .map(|c| dialect.quote_ident(c))
                .collect::<Result<_>>()?;
            entry.insert(
                "data_tests".into(),
                json!([{"dana_unique_combination": {"arguments": {"combination": cols}}}]),
            );
        }
        entry.insert("columns".into(), Value::Array(columns));
        models.push(Value::Object(entry));
    }
    dbt_yaml(json!({"version": 2, "models": models}))
}

fn exposures_yml(model: &Model, names: &Names, exposures: &[ExposureSpec]) -> Result<String> {
    const TYPES: &[&str] = &["dashboard", "notebook", "analysis", "ml", "application"];
    let mut list = Vec::new();
    for (i, e) in exposures.iter().enumerate() {
        let kind = e.r#type.as_deref().unwrap_or("dashboard");
        if !TYPES.contains(&kind) {
            return Err(Error::invalid(format!(
                "dbt.exposures[{i}].type: `{kind}` is not one of {}",
                TYPES.join(", ")
            )));
        }
        let mut depends = Vec::new();
        for t in &e.depends_on {
            if model.table(t).is_none() {
                return Err(Error::invalid(format!(
                    "dbt.exposures[{i}].depends_on: `{t}` is not a table of the model"
                )));
            }
            depends.push(json!(format!(
                "ref({})",
                jinja::string_literal(names.mart(t))
            )));
        }
        let mut entry = Map::new();
        entry.insert(
            "name".into(),
            json!(format!("{}_{}", ident::ascii_word(&e.name), i + 1)),
        );
        entry.insert("label".into(), json!(e.name));
        entry.insert("type".into(), json!(kind));
        entry.insert("owner".into(), json!({"name": e.owner}));
        if let Some(d) = &e.description {
            entry.insert("description".into(), json!(d));
        }
        entry.insert("depends_on".into(), Value::Array(depends));
        list.push(Value::Object(entry));
    }
    dbt_yaml(json!({"version": 2, "exposures": list}))
}

/// Used by [`sql`]: the table a column of `table` references.
pub(crate) fn referenced<'a>(model: &'a Model, table: &Table, column: &str) -> Option<&'a Table> {
    table
        .column(column)
        .and_then(|c| c.references.as_deref())
        .and_then(|r| model.table(r))
}
