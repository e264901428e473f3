//! Where governance tools get a table from: a table written out, a quality table spec
//! (hand-written or introspected), an ODCS contract, or a live datasource table read
//! through `crate::live`. Each becomes a [`Side`] holding [`TableSchema`]s and saying
//! which facets it knows.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::contract::{self, ParsedContract};
use super::diff::{Facets, Side};
use super::schema::{ColumnSchema, TableSchema};
use crate::App;
use crate::dialect::{self, TableName};
use crate::domain::modeling::{self, ModelSpec};
use crate::domain::quality::{TableProfile, TableSpec};
use crate::error::{Error, Result};
use crate::live::Cell;

/// A table (or tables) to govern: give exactly one of `spec`, `table_spec`, `profile`,
/// `model`, `contract` or `datasource`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TableSource {
    /// A table written out: name, columns (name, type, nullable, enum_values, pii, ...), primary_key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spec: Option<TableSchema>,
    /// A quality table spec (the `table` of generate_quality_checks).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<serde_json::Map<String, serde_json::Value>>")]
    pub table_spec: Option<serde_json::Value>,
    /// One table of a profile_datasource result (`tables[i]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<serde_json::Map<String, serde_json::Value>>")]
    pub profile: Option<serde_json::Value>,
    /// A dimensional model (design_dimensional_model's `model` input); pick the table with `table`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<serde_json::Map<String, serde_json::Value>>")]
    pub model: Option<serde_json::Value>,
    /// An ODCS v3 data contract, as YAML text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contract: Option<String>,
    /// A datasource named in dana.toml (read-only); pick the table with `table`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub datasource: Option<String>,
    /// Table name within the model, datasource or contract.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table: Option<String>,
}

/// A resolved source: the side plus what a contract said.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// Tables with provenance.
    pub side: Side,
    /// The contract, when the source was one.
    pub contract: Option<ParsedContract>,
    /// The datasource, when live.
    pub datasource: Option<String>,
    /// Foreign keys into each table known from a model: table → (referencing table, column).
    pub referenced_by: BTreeMap<String, Vec<(String, String)>>,
}

impl TableSource {
    fn given(&self) -> Vec<&'static str> {
        let mut v = Vec::new();
        if self.spec.is_some() {
            v.push("spec");
        }
        if self.table_spec.is_some() {
            v.push("table_spec");
        }
        if self.profile.is_some() {
            v.push("profile");
        }
        if self.model.is_some() {
            v.push("model");
        }
        if self.contract.is_some() {
            v.push("contract");
        }
        if self.datasource.is_some() {
            v.push("datasource");
        }
        v
    }
}

/// What an introspected table knows: types, nullability, keys; no enums, levels or docs.
const LIVE_FACETS: Facets = Facets {
    enums: false,
    classification: false,
    descriptions: false,
    unique: true,
    references: true,
};

/// Turns a normalized model table into the governance schema.
pub fn from_model_table(table: &modeling::Table) -> TableSchema {
    let columns = table
        .columns
        .iter()
        .map(|c| {
            let mut column = ColumnSchema::new(c.name.clone(), c.logical_type.to_string());
            column.nullable = c.nullable;
            column.primary_key = table.primary_key.contains(&c.name);
            column.unique = table
                .unique_keys
                .iter()
                .any(|k| k.len() == 1 && k[0] == c.name);
            column.description = c.description.clone();
            column.references = table
                .foreign_keys
                .iter()
                .find(|fk| fk.columns.len() == 1 && fk.columns[0] == c.name)
                .and_then(|fk| {
                    fk.referenced_columns
                        .first()
                        .map(|rc| format!("{}.{rc}", fk.references))
                });
            column
        })
        .collect();
    let description = match (&table.description, &table.grain) {
        (Some(d), Some(g)) => Some(format!("{d} Grain: {g}")),
        (Some(d), None) => Some(d.clone()),
        (None, Some(g)) => Some(format!("Grain: {g}")),
        (None, None) => None,
    };
    TableSchema {
        name: table.name.clone(),
        description,
        columns,
        primary_key: table.primary_key.clone(),
        classification: None,
        sources: Vec::new(),
        downstream: Vec::new(),
    }
    .normalized()
}

/// Turns a quality table spec into the governance schema.
pub fn from_table_spec(spec: &TableSpec) -> TableSchema {
    let mut columns = Vec::new();
    for c in &spec.columns {
        let mut column = ColumnSchema::new(
            c.name.clone(),
            c.data_type.clone().unwrap_or_else(|| "text".to_string()),
        );
        column.nullable = c.nullable.unwrap_or(true);
        column.primary_key = spec.primary_key.iter().any(|k| k == &c.name);
        column.unique = c.unique
            || spec
                .unique_keys
                .iter()
                .any(|k| k.len() == 1 && k[0] == c.name);
        column.enum_values = c.accepted_values.clone();
        if c.pii {
            column.pii = Some(true);
        }
        if let Some(fk) = spec
            .foreign_keys
            .iter()
            .find(|fk| fk.columns.len() == 1 && fk.columns[0] == c.name)
            && let Some(rc) = fk.ref_columns.first()
        {
            column.references = Some(format!("{}.{rc}", fk.ref_table));
        }
        columns.push(column);
    }
    TableSchema {
        name: spec.name.clone(),
        description: None,
        columns,
        primary_key: spec.primary_key.clone(),
        classification: None,
        sources: Vec::new(),
        downstream: Vec::new(),
    }
    .normalized()
}

/// Decodes a JSON value into its type, naming the failing field under `field`.
fn typed<T: serde::de::DeserializeOwned>(value: &serde_json::Value, field: &str) -> Result<T> {
    serde_path_to_error::deserialize(value.clone()).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if path == "." || path.is_empty() {
            Error::invalid(format!("{field}: {inner}"))
        } else {
            Error::invalid(format!("{field}.{path}: {inner}"))
        }
    })
}

/// Resolves a source; `field` names it in errors (`old`, `new`, `table`).
pub async fn resolve(app: &App, source: &TableSource, field: &str) -> Result<Resolved> {
    let given = source.given();
    if given.len() != 1 {
        return Err(Error::invalid(format!(
            "{field}: give exactly one of `spec`, `table_spec`, `profile`, `model`, `contract`, `datasource` (got {})",
            if given.is_empty() {
                "none".to_string()
            } else {
                given.join(", ")
            }
        )));
    }
    if let Some(spec) = &source.spec {
        spec.validate(&format!("{field}.spec"))?;
        return Ok(Resolved {
            side: Side {
                kind: "spec".into(),
                label: format!("spec `{}`", spec.name),
                version: None,
                policy: None,
                consumers: Vec::new(),
                tables: vec![spec.clone().normalized()],
                facets: Facets::ALL,
            },
            contract: None,
            datasource: None,
            referenced_by: BTreeMap::new(),
        });
    }
    if let Some(value) = &source.table_spec {
        let spec: TableSpec = typed(value, &format!("{field}.table_spec"))?;
        let spec = &spec;
        let table = from_table_spec(spec);
        table.validate(&format!("{field}.table_spec"))?;
        return Ok(Resolved {
            side: Side {
                kind: "spec".into(),
                label: format!("table spec `{}`", spec.name),
                version: None,
                policy: None,
                consumers: Vec::new(),
                tables: vec![table],
                facets: Facets {
                    enums: true,
                    classification: false,
                    descriptions: false,
                    unique: true,
                    references: true,
                },
            },
            contract: None,
            datasource: None,
            referenced_by: BTreeMap::new(),
        });
    }
    if let Some(value) = &source.profile {
        let profile: TableProfile = typed(value, &format!("{field}.profile"))?;
        let table = from_table_spec(&profile.table);
        table.validate(&format!("{field}.profile.table"))?;
        return Ok(Resolved {
            side: Side {
                kind: "profile".into(),
                label: format!("profile of `{}`", profile.table.name),
                version: None,
                policy: None,
                consumers: Vec::new(),
                tables: vec![table],
                facets: LIVE_FACETS,
            },
            contract: None,
            datasource: None,
            referenced_by: BTreeMap::new(),
        });
    }
    if let Some(value) = &source.model {
        let spec: ModelSpec = typed(value, &format!("{field}.model"))?;
        let model = modeling::buildable_model(&spec, &app.playbooks)
            .map_err(|e| Error::invalid(format!("{field}.model: {e}")))?;
        let mut tables: Vec<TableSchema> = model.tables.iter().map(from_model_table).collect();
        let mut referenced_by: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
        for t in &model.tables {
            for fk in &t.foreign_keys {
                if let Some(col) = fk.columns.first() {
                    referenced_by
                        .entry(fk.references.clone())
                        .or_default()
                        .push((t.name.clone(), col.clone()));
                }
            }
        }
        if let Some(name) = &source.table {
            tables.retain(|t| t.name.eq_ignore_ascii_case(name));
            if tables.is_empty() {
                return Err(Error::not_found(
                    "table in model",
                    name.clone(),
                    model.tables.iter().map(|t| t.name.clone()),
                ));
            }
        }
        return Ok(Resolved {
            side: Side {
                kind: "model".into(),
                label: format!("model `{}`", model.name),
                version: None,
                policy: None,
                consumers: Vec::new(),
                tables,
                facets: Facets {
                    enums: false,
                    classification: false,
                    descriptions: true,
                    unique: true,
                    references: true,
                },
            },
            contract: None,
            datasource: None,
            referenced_by,
        });
    }
    if let Some(text) = &source.contract {
        let parsed = contract::parse(text, &format!("{field}.contract"))?;
        let mut tables = parsed.tables.clone();
        if let Some(name) = &source.table {
            tables.retain(|t| t.name.eq_ignore_ascii_case(name));
            if tables.is_empty() {
                return Err(Error::not_found(
                    "table in contract",
                    name.clone(),
                    parsed.tables.iter().map(|t| t.name.clone()),
                ));
            }
        }
        return Ok(Resolved {
            side: Side {
                kind: "contract".into(),
                label: format!("contract `{}` {}", parsed.id, parsed.version),
                version: Some(parsed.version.clone()),
                policy: parsed.policy.clone(),
                consumers: parsed.consumers.clone(),
                tables,
                facets: Facets::ALL,
            },
            contract: Some(parsed),
            datasource: None,
            referenced_by: BTreeMap::new(),
        });
    }
    let name = source.datasource.clone().unwrap_or_default();
    let ds = app.live.get(&name).await?;
    let only = source.table.clone().map(|t| vec![t]);
    let specs = crate::live::introspect(&ds, only.as_deref()).await?;
    let tables: Vec<TableSchema> = specs.iter().map(from_table_spec).collect();
    let label = match &source.table {
        Some(t) => format!("live `{name}`.`{t}`"),
        None => format!("live `{name}`"),
    };
    Ok(Resolved {
        side: Side {
            kind: "live".into(),
            label,
            version: None,
            policy: None,
            consumers: Vec::new(),
            tables,
            facets: LIVE_FACETS,
        },
        contract: None,
        datasource: Some(name),
        referenced_by: BTreeMap::new(),
    })
}

/// The single table of a resolved source (tools that work on one table).
pub fn single(resolved: &Resolved, field: &str) -> Result<TableSchema> {
    match resolved.side.tables.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(Error::invalid(format!("{field}: no table found"))),
        many => Err(Error::invalid(format!(
            "{field}: {} tables found ({}); name one with `table`",
            many.len(),
            many.iter()
                .map(|t| format!("`{}`", t.name))
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

/// Reads up to `rows` values of every column of a live table, as text. Identifiers are
/// quoted by the datasource's dialect; the statement is a single SELECT run read-only.
pub async fn sample(
    app: &App,
    datasource: &str,
    table: &TableSchema,
    rows: u64,
) -> Result<BTreeMap<String, Vec<String>>> {
    let ds = app.live.get(datasource).await?;
    let dialect = dialect::by_name(ds.engine.dialect())?;
    let mut select = Vec::new();
    for (i, c) in table.columns.iter().enumerate() {
        let quoted = dialect.quote_ident(&c.name)?;
        select.push(format!(
            "{} AS {}",
            dialect.cast_to_text(&quoted),
            dialect.quote_ident(&format!("c{i}"))?
        ));
    }
    let name = dialect.qualified_name(&TableName::new(ds.schema.as_deref(), &table.name))?;
    let sql = format!(
        "SELECT {} FROM {name} {}",
        select.join(", "),
        dialect.limit_clause(rows)
    );
    let result = ds.fetch_capped(&sql, &[], rows).await?;
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for row in &result.rows {
        for (i, c) in table.columns.iter().enumerate() {
            if let Some(text) = row.get(i).and_then(Cell::as_text) {
                out.entry(c.name.clone()).or_default().push(text);
            }
        }
    }
    Ok(out)
}
