//! `generate_scd_merge`: the load of one dimension from a staging table.
//!
//! Type 2 dimensions load in up to four statements, each idempotent on its own:
//! overwrite Type 1 attributes, shift Type 3 attributes, close current versions whose
//! Type 2 attributes changed, then insert a version for every staged member that has no
//! current row (new members and the ones just closed). The new version's `valid_from`
//! is read back from the closed version's `valid_to` (or taken from the staging
//! effective-time column), so no two statements need to see the same clock value, and a
//! load interrupted between the close and the insert completes correctly when re-run.
//! Type 1 dimensions load with one upsert (MERGE, ON CONFLICT or ON DUPLICATE KEY).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::ddl::render_sql;
use super::design::buildable_model;
use super::model::{ColumnRole, Table, TableKind, derived_name, is_versioned};
use super::spec::{DimensionSpec, ModelSpec};
use super::vault::VaultLoad;
use crate::dialect::{SqlDialect, TableName};
use crate::error::{Error, Result};
use crate::playbook::Playbooks;
use crate::render::Templates;

/// Params of `generate_scd_merge`.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GenerateScdMergeParams {
    /// A model's `dimensions[]` entry.
    #[schemars(schema_with = "super::spec::dimension_ref_schema")]
    #[serde(deserialize_with = "super::spec::dimension_or_normalized")]
    pub dimension: DimensionSpec,
    /// Staging table: latest source rows, one per key.
    pub staging_table: String,
    /// Vault link/satellite: its hubs (and link).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(schema_with = "super::spec::dimensions_ref_schema")]
    #[serde(deserialize_with = "super::spec::dimensions_or_normalized")]
    pub parents: Vec<DimensionSpec>,
    /// SQL dialect (default from dana.toml).
    #[serde(default)]
    pub dialect: Option<String>,
    /// Schema of the dimension table.
    #[serde(default)]
    pub schema: Option<String>,
    /// Staging table's schema (default: `schema`).
    #[serde(default)]
    pub staging_schema: Option<String>,
    /// Staging column: when each change took effect (default: load time).
    #[serde(default)]
    pub effective_from_column: Option<String>,
    /// Project id to record the result in.
    #[serde(default)]
    pub project: Option<String>,
}

/// How the dimension loads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ScdStrategy {
    // History kept: close and insert versions.
    Type2,
    // Overwrite in place: upsert.
    Type1,
    // Data Vault hub, link or satellite: insert only.
    InsertOnly,
}

/// One statement of the load.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ScdStatement {
    /// Position, from 1.
    pub step: u32,
    /// What it does.
    pub purpose: String,
    /// SQL text, without the final semicolon.
    pub sql: String,
}

/// The result of `generate_scd_merge`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ScdMergeOutput {
    /// Canonical dialect name.
    pub dialect: String,
    /// Dimension table.
    pub dimension: String,
    /// type2 or type1.
    pub strategy: ScdStrategy,
    /// Statements in order.
    pub statements: Vec<ScdStatement>,
    /// All statements, ready to run in order (in one transaction where the engine has them).
    pub script: String,
    /// Columns the staging table must have.
    pub staging_columns: Vec<String>,
    /// What the load assumes.
    pub assumptions: Vec<String>,
}

#[derive(Serialize)]
struct SetItem {
    column: String,
    staging: Option<String>,
    expr: Option<String>,
}

#[derive(Serialize)]
struct UpdateContext<'a> {
    target: &'a str,
    staging: &'a str,
    key_eq: &'a str,
    current: Option<String>,
    sets: Vec<SetItem>,
    condition: String,
}

#[derive(Serialize)]
struct InsertContext<'a> {
    target: &'a str,
    staging: &'a str,
    columns: Vec<String>,
    values: Vec<String>,
    history: Vec<String>,
    partition: Vec<String>,
    order: Vec<String>,
    history_join: String,
    not_null: String,
    current_join: String,
    current_missing: String,
}

#[derive(Serialize)]
struct HistoryContext<'a> {
    target: &'a str,
    staging: &'a str,
    columns: Vec<String>,
    values: Vec<String>,
    latest: Vec<String>,
    partition: Vec<String>,
    version: String,
    latest_join: String,
    not_null: &'a str,
    changed: String,
}

#[derive(Serialize)]
struct UpsertContext<'a> {
    target: &'a str,
    target_name: String,
    staging: &'a str,
    columns: Vec<String>,
    values: Vec<String>,
    natural_key: Vec<String>,
    key_eq: &'a str,
    not_null: String,
    updates: Vec<(String, String)>,
    conflict_condition: String,
    merge_condition: Option<String>,
}

/// Generates the load of one dimension.
pub fn generate_scd_merge(
    params: &GenerateScdMergeParams,
    dialect: &dyn SqlDialect,
    books: &Playbooks,
    templates: &Templates,
) -> Result<ScdMergeOutput> {
    let mut dimensions = params.parents.clone();
    dimensions.push(params.dimension.clone());
    let spec = ModelSpec {
        name: params.dimension.name.clone(),
        schema: params.schema.clone(),
        dimensions,
        ..ModelSpec::default()
    };
    let model =
        buildable_model(&spec, books).map_err(|e| Error::invalid(format!("dimension: {e}")))?;
    let Some(table) = model.table(&params.dimension.name) else {
        return Err(Error::invalid("dimension: nothing to load"));
    };
    let history_name = derived_name(&table.name, &books.naming.generated.history_suffix);
    let history = model
        .tables
        .iter()
        .find(|t| t.kind == TableKind::History && t.name == history_name);
    let history_target = history
        .map(|h| dialect.qualified_name(&TableName::new(params.schema.as_deref(), &h.name)))
        .transpose()?;
    if params.staging_table.trim().is_empty() {
        return Err(Error::invalid("staging_table: name is empty"));
    }
    let target = dialect.qualified_name(&TableName::new(params.schema.as_deref(), &table.name))?;
    let staging_schema = params
        .staging_schema
        .as_deref()
        .or(params.schema.as_deref());
    let staging = dialect
        .qualified_name(&TableName::new(staging_schema, &params.staging_table))
        .map_err(|e| Error::invalid(format!("staging_table: {e}")))?;
    let effective = params
        .effective_from_column
        .as_deref()
        .map(|c| {
            dialect
                .quote_ident(c)
                .map_err(|e| Error::invalid(format!("effective_from_column: {e}")))
        })
        .transpose()?;
    if table.kind.vault().is_some() {
        let record_source = match staging_schema {
            Some(schema) => format!("{schema}.{}", params.staging_table),
            None => params.staging_table.clone(),
        };
        return VaultLoad {
            model: &model,
            table,
            dialect,
            books,
            templates,
            target,
            staging,
            effective,
            raw_effective: params.effective_from_column.clone(),
            record_source,
        }
        .build();
    }
    Load {
        table,
        history: history.zip(history_target),
        dialect,
        books,
        templates,
        target,
        staging,
        effective,
        raw_effective: params.effective_from_column.clone(),
    }
    .build()
}

struct Load<'a> {
    table: &'a Table,
    /// The Type 4 history table and its qualified name.
    history: Option<(&'a Table, String)>,
    dialect: &'a dyn SqlDialect,
    books: &'a Playbooks,
    templates: &'a Templates,
    target: String,
    staging: String,
    effective: Option<String>,
    raw_effective: Option<String>,
}

/// A dimension column and the staging column it loads from, both quoted.
struct Pair {
    column: String,
    source: String,
}

impl Load<'_> {
    fn pairs(&self, wanted: impl Fn(ColumnRole, Option<u8>) -> bool) -> Result<Vec<Pair>> {
        self.table
            .columns
            .iter()
            .filter(|c| wanted(c.role, c.scd_type))
            .map(|c| {
                Ok(Pair {
                    column: self.dialect.quote_ident(&c.name)?,
                    source: self.dialect.quote_ident(c.source_name())?,
                })
            })
            .collect()
    }

    /// Type 6 current-value columns, each with the staging column of its attribute.
    fn current_pairs(&self) -> Result<Vec<Pair>> {
        self.table
            .columns_with(ColumnRole::CurrentValue)
            .map(|c| {
                let tracked = c
                    .tracks
                    .as_deref()
                    .and_then(|t| self.table.column(t))
                    .map(|a| a.source_name())
                    .unwrap_or_default();
                Ok(Pair {
                    column: self.dialect.quote_ident(&c.name)?,
                    source: self.dialect.quote_ident(tracked)?,
                })
            })
            .collect()
    }

    fn quote_generated(&self, role: ColumnRole) -> Result<Option<String>> {
        self.table
            .columns_with(role)
            .next()
            .map(|c| self.dialect.quote_ident(&c.name))
            .transpose()
    }

    fn diff(&self, pairs: &[Pair]) -> String {
        let parts: Vec<String> = pairs
            .iter()
            .map(|p| {
                self.dialect
                    .null_safe_ne(&format!("t.{}", p.column), &format!("s.{}", p.source))
            })
            .collect();
        format!("({})", parts.join(" OR "))
    }

    fn update(
        &self,
        key_eq: &str,
        current: Option<String>,
        sets: Vec<SetItem>,
        condition: String,
    ) -> Result<String> {
        let name = format!("update_{}.sql.j2", self.dialect.update_style().as_str());
        render_sql(
            self.templates,
            self.dialect,
            &name,
            UpdateContext {
                target: &self.target,
                staging: &self.staging,
                key_eq,
                current,
                sets,
                condition,
            },
        )
    }

    /// Type 4: a history row for every staged member whose Type 4 values differ from
    /// its latest history row (or that has none), numbered after that row. Re-running
    /// it finds the latest row equal to staging and inserts nothing.
    fn history_insert(
        &self,
        history: &Table,
        target: &str,
        nk: &[Pair],
        not_null: &str,
    ) -> Result<String> {
        let d = self.dialect;
        let version = history
            .columns_with(ColumnRole::Version)
            .next()
            .map(|c| d.quote_ident(&c.name))
            .transpose()?
            .unwrap_or_default();
        let mut columns = Vec::new();
        let mut values = Vec::new();
        let mut latest: Vec<String> = nk
            .iter()
            .enumerate()
            .map(|(i, p)| format!("x.{} AS dana_key_{}", p.column, i + 1))
            .collect();
        latest.push(format!("x.{version} AS dana_last_version"));
        let mut changed = Vec::new();
        for c in &history.columns {
            let quoted = d.quote_ident(&c.name)?;
            let value = match c.role {
                ColumnRole::NaturalKey => format!("s.{}", d.quote_ident(c.source_name())?),
                ColumnRole::Attribute => {
                    let source = format!("s.{}", d.quote_ident(c.source_name())?);
                    let alias = format!("dana_value_{}", changed.len() + 1);
                    latest.push(format!("x.{quoted} AS {alias}"));
                    changed.push(d.null_safe_ne(&format!("h.{alias}"), &source));
                    source
                }
                ColumnRole::ValidFrom => match &self.effective {
                    Some(eff) => format!("s.{eff}"),
                    None => d.load_timestamp().to_string(),
                },
                ColumnRole::Version => "COALESCE(h.dana_last_version, 0) + 1".to_string(),
                _ => continue,
            };
            columns.push(quoted);
            values.push(value);
        }
        let latest_join = nk
            .iter()
            .enumerate()
            .map(|(i, p)| format!("h.dana_key_{} = s.{}", i + 1, p.source))
            .collect::<Vec<_>>()
            .join(" AND ");
        render_sql(
            self.templates,
            d,
            "scd4_history_insert.sql.j2",
            HistoryContext {
                target,
                staging: &self.staging,
                columns,
                values,
                latest,
                partition: nk.iter().map(|p| format!("x.{}", p.column)).collect(),
                version: format!("x.{version}"),
                latest_join,
                not_null,
                changed: format!("h.dana_key_1 IS NULL OR {}", changed.join(" OR ")),
            },
        )
    }

    fn build(&self) -> Result<ScdMergeOutput> {
        let d = self.dialect;
        let nk = self.pairs(|role, _| role == ColumnRole::NaturalKey)?;
        // Type 4 attributes are overwritten in the dimension (their changes go to the
        // history table); Type 6 current_ columns are overwritten on every version.
        let mut type1 = self
            .pairs(|role, scd| role == ColumnRole::Attribute && matches!(scd, Some(1) | Some(4)))?;
        type1.extend(self.current_pairs()?);
        let type2 =
            self.pairs(|role, scd| role == ColumnRole::Attribute && scd.is_some_and(is_versioned))?;
        let type3 = self.pairs(|role, scd| role == ColumnRole::Attribute && scd == Some(3))?;
        let previous: Vec<(String, String)> = self
            .table
            .columns_with(ColumnRole::PreviousValue)
            .map(|c| {
                let tracked = c.tracks.as_deref().unwrap_or_default();
                Ok((d.quote_ident(&c.name)?, d.quote_ident(tracked)?))
            })
            .collect::<Result<_>>()?;
        let key_eq = nk
            .iter()
            .map(|p| format!("t.{} = s.{}", p.column, p.source))
            .collect::<Vec<_>>()
            .join(" AND ");
        let not_null = nk
            .iter()
            .map(|p| format!("s.{} IS NOT NULL", p.source))
            .collect::<Vec<_>>()
            .join(" AND ");
        let steps_text = &self.books.modeling.scd.steps;
        let mut statements: Vec<(String, String)> = Vec::new();

        if !type1.is_empty() && self.table.is_scd2() {
            let sets = type1
                .iter()
                .map(|p| SetItem {
                    column: p.column.clone(),
                    staging: Some(p.source.clone()),
                    expr: None,
                })
                .collect();
            statements.push((
                steps_text.type1_update.clone(),
                self.update(&key_eq, None, sets, self.diff(&type1))?,
            ));
        }
        // One statement per Type 3 attribute: an attribute that did not change keeps its
        // previous value even when another one of the row changed.
        for p in &type3 {
            let mut sets = Vec::new();
            if let Some((prev, _)) = previous.iter().find(|(_, tracked)| tracked == &p.column) {
                sets.push(SetItem {
                    column: prev.clone(),
                    staging: None,
                    expr: Some(format!("t.{}", p.column)),
                });
            }
            sets.push(SetItem {
                column: p.column.clone(),
                staging: Some(p.source.clone()),
                expr: None,
            });
            statements.push((
                steps_text.type3_update.clone(),
                self.update(&key_eq, None, sets, self.diff(std::slice::from_ref(p)))?,
            ));
        }

        let strategy = if self.table.is_scd2() {
            let valid_to = self
                .quote_generated(ColumnRole::ValidTo)?
                .unwrap_or_default();
            let is_current = self
                .quote_generated(ColumnRole::IsCurrent)?
                .unwrap_or_default();
            let current = format!("t.{is_current} = {}", d.boolean_literal(true));
            let close_sets = vec![
                match &self.effective {
                    Some(eff) => SetItem {
                        column: valid_to.clone(),
                        staging: Some(eff.clone()),
                        expr: None,
                    },
                    None => SetItem {
                        column: valid_to.clone(),
                        staging: None,
                        expr: Some(d.load_timestamp().to_string()),
                    },
                },
                SetItem {
                    column: is_current.clone(),
                    staging: None,
                    expr: Some(d.boolean_literal(false).to_string()),
                },
            ];
            statements.push((
                steps_text.close.clone(),
                self.update(&key_eq, Some(current), close_sets, self.diff(&type2))?,
            ));

            let mut columns = Vec::new();
            let mut values = Vec::new();
            for c in &self.table.columns {
                let quoted = d.quote_ident(&c.name)?;
                let value = match c.role {
                    ColumnRole::SurrogateKey => continue,
                    ColumnRole::NaturalKey | ColumnRole::Attribute => {
                        format!("s.{}", d.quote_ident(c.source_name())?)
                    }
                    ColumnRole::CurrentValue => {
                        let tracked = c
                            .tracks
                            .as_deref()
                            .and_then(|t| self.table.column(t))
                            .map(|a| a.source_name())
                            .unwrap_or_default();
                        format!("s.{}", d.quote_ident(tracked)?)
                    }
                    ColumnRole::PreviousValue => {
                        let i = previous
                            .iter()
                            .position(|(prev, _)| prev == &quoted)
                            .unwrap_or_default();
                        format!("h.dana_previous_{}", i + 1)
                    }
                    ColumnRole::ValidFrom => match &self.effective {
                        Some(eff) => format!("s.{eff}"),
                        None => {
                            format!("COALESCE(h.dana_last_valid_to, {})", d.load_timestamp())
                        }
                    },
                    ColumnRole::ValidTo => d.max_timestamp_literal().to_string(),
                    ColumnRole::IsCurrent => d.boolean_literal(true).to_string(),
                    _ => continue,
                };
                columns.push(quoted);
                values.push(value);
            }
            // The latest version of each member, picked by a window rather than MAX(): the
            // previous-value columns can be of types without max() (boolean, json, uuid,
            // bytea on PostgreSQL). Only dana-owned aliases leave the subquery, so no user
            // column name can clash with them.
            let valid_from = self
                .quote_generated(ColumnRole::ValidFrom)?
                .unwrap_or_default();
            let surrogate = self
                .quote_generated(ColumnRole::SurrogateKey)?
                .unwrap_or_default();
            let mut history: Vec<String> = nk
                .iter()
                .enumerate()
                .map(|(i, p)| format!("x.{} AS dana_key_{}", p.column, i + 1))
                .collect();
            history.push(format!("x.{valid_to} AS dana_last_valid_to"));
            history.extend(
                previous
                    .iter()
                    .enumerate()
                    .map(|(i, (prev, _))| format!("x.{prev} AS dana_previous_{}", i + 1)),
            );
            let partition: Vec<String> = nk.iter().map(|p| format!("x.{}", p.column)).collect();
            let order = vec![
                format!("x.{valid_to} DESC"),
                format!("x.{valid_from} DESC"),
                format!("x.{surrogate} DESC"),
            ];
            let history_join = nk
                .iter()
                .enumerate()
                .map(|(i, p)| format!("h.dana_key_{} = s.{}", i + 1, p.source))
                .collect::<Vec<_>>()
                .join(" AND ");
            // An anti-join rather than a correlated NOT EXISTS: inside a subquery DuckDB
            // reads `s.x` as field `x` of a column named `s` when the table has one.
            let current_join = nk
                .iter()
                .map(|p| format!("c.{} = s.{}", p.column, p.source))
                .chain(std::iter::once(format!(
                    "c.{is_current} = {}",
                    d.boolean_literal(true)
                )))
                .collect::<Vec<_>>()
                .join(" AND ");
            let current_missing = format!("c.{is_current} IS NULL");
            let sql = render_sql(
                self.templates,
                d,
                "scd2_insert.sql.j2",
                InsertContext {
                    target: &self.target,
                    staging: &self.staging,
                    columns,
                    values,
                    history,
                    partition,
                    order,
                    history_join,
                    not_null: not_null.clone(),
                    current_join,
                    current_missing,
                },
            )?;
            statements.push((steps_text.insert.clone(), sql));
            ScdStrategy::Type2
        } else {
            let mut columns = Vec::new();
            let mut values = Vec::new();
            for c in &self.table.columns {
                if matches!(c.role, ColumnRole::NaturalKey | ColumnRole::Attribute) {
                    columns.push(d.quote_ident(&c.name)?);
                    values.push(format!("s.{}", d.quote_ident(c.source_name())?));
                }
            }
            let target_name = d.quote_ident(&self.table.name)?;
            let conflict_condition = type1
                .iter()
                .map(|p| {
                    // The target is aliased `t`: a table named `excluded` would otherwise
                    // be ambiguous with the EXCLUDED row.
                    d.null_safe_ne(
                        &format!("t.{}", p.column),
                        &format!("EXCLUDED.{}", p.column),
                    )
                })
                .collect::<Vec<_>>()
                .join(" OR ");
            let merge_condition =
                (d.merge_matched_condition() && !type1.is_empty()).then(|| self.diff(&type1));
            let sql = render_sql(
                self.templates,
                d,
                &format!("upsert_{}.sql.j2", d.upsert_style().as_str()),
                UpsertContext {
                    target: &self.target,
                    target_name,
                    staging: &self.staging,
                    columns,
                    values,
                    natural_key: nk.iter().map(|p| p.column.clone()).collect(),
                    key_eq: &key_eq,
                    not_null: not_null.clone(),
                    updates: type1
                        .iter()
                        .map(|p| (p.column.clone(), p.source.clone()))
                        .collect(),
                    conflict_condition,
                    merge_condition,
                },
            )?;
            statements.push((steps_text.upsert.clone(), sql));
            ScdStrategy::Type1
        };

        if let Some((history, target)) = &self.history {
            statements.push((
                steps_text.history_insert.clone(),
                self.history_insert(history, target, &nk, &not_null)?,
            ));
        }

        let statements: Vec<ScdStatement> = statements
            .into_iter()
            .enumerate()
            .map(|(i, (purpose, sql))| ScdStatement {
                step: i as u32 + 1,
                purpose,
                sql,
            })
            .collect();
        let script = statements
            .iter()
            .map(|s| format!("{};\n", s.sql))
            .collect::<Vec<_>>()
            .join("\n");
        let mut staging_columns: Vec<String> = self
            .table
            .columns
            .iter()
            .filter(|c| matches!(c.role, ColumnRole::NaturalKey | ColumnRole::Attribute))
            .map(|c| c.source_name().to_string())
            .collect();
        if let Some(eff) = &self.raw_effective {
            staging_columns.push(eff.clone());
        }
        staging_columns.dedup();
        Ok(ScdMergeOutput {
            dialect: d.name().to_string(),
            dimension: self.table.name.clone(),
            strategy,
            statements,
            script,
            staging_columns,
            assumptions: self.books.modeling.scd.assumptions.clone(),
        })
    }
}
