//! `generate_ddl`: CREATE statements for a normalized model in one dialect, in
//! dependency order, with keys, constraints (enforced or declared as the engine allows),
//! physical layout, comments and unknown-member rows. Every identifier and literal goes
//! through the dialect's audited quoting; statement layout comes from `templates/ddl/`.

use std::collections::BTreeSet;

use chrono::{Datelike, Months, NaiveDate};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::design::buildable_model;
use super::model::{Column, ColumnRole, Model, Table, TableKind};
use super::spec::ModelSpec;
use crate::codegen::GeneratedFile;
use crate::codegen::dbt::DbtInputs;
use crate::dialect::{
    CommentStyle, Enforcement, LayoutRequest, LogicalType, PartitionSpec, RowColumn, RowKey,
    SqlDialect, SurrogateKeyStyle, TableName, TimeGrain, ident,
};
use crate::error::{Error, Result};
use crate::playbook::{Playbooks, UnknownMemberValues};
use crate::render::Templates;

/// Params of `generate_ddl`.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GenerateDdlParams {
    /// The model: design_dimensional_model's input or its `model`.
    #[schemars(schema_with = "super::spec::model_ref_schema")]
    #[serde(deserialize_with = "super::spec::model_or_normalized")]
    pub model: ModelSpec,
    /// SQL dialect (default from dana.toml).
    #[serde(default)]
    pub dialect: Option<String>,
    /// Schema of the tables (overrides the model's).
    #[serde(default)]
    pub schema: Option<String>,
    /// Comments from descriptions (default true).
    #[serde(default)]
    pub comments: Option<bool>,
    /// `dbt`: a dbt project in `files` (duckdb, postgres); default `sql`.
    #[serde(default)]
    pub format: Option<DdlFormat>,
    /// {tables: {<table>: {from, join, columns, load}}, source_schema, checks, exposures} (shape: dana://schemas/generate_ddl).
    #[serde(default)]
    #[schemars(extend("x-brief" = true))]
    pub dbt: Option<DbtInputs>,
    /// Project id to record the result in.
    #[serde(default)]
    pub project: Option<String>,
}

// What generate_ddl returns (plain comments: the schema stays a bare enum, the field's
// description says what each is).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum DdlFormat {
    // CREATE statements.
    Sql,
    // A dbt project.
    Dbt,
}

/// What a statement does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum StatementKind {
    // CREATE SEQUENCE for a surrogate key.
    CreateSequence,
    // CREATE TABLE.
    CreateTable,
    // CREATE TABLE ... PARTITION OF (PostgreSQL default partition).
    CreatePartition,
    // COMMENT ON.
    Comment,
    // INSERT of the unknown-member row.
    InsertUnknownMember,
    // CREATE INDEX (facts' foreign keys).
    CreateIndex,
}

/// One generated statement.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct DdlStatement {
    /// What it does.
    pub kind: StatementKind,
    /// Table it belongs to.
    pub table: String,
    /// SQL text, without the final semicolon.
    pub sql: String,
}

/// The result of `generate_ddl`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct DdlOutput {
    /// Canonical dialect name.
    pub dialect: String,
    /// All statements, separated by semicolons, ready to run in order. Not sent to
    /// clients: `statements` carry the same SQL (join them with `;` to get it).
    #[serde(skip_serializing, default)]
    pub script: String,
    /// The statements one by one.
    pub statements: Vec<DdlStatement>,
    /// What the dialect could not express, approximations and enforcement caveats.
    pub notes: Vec<String>,
    /// The dbt project (format dbt): path in the project folder and text.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<GeneratedFile>,
}

/// Options of [`generate`].
#[derive(Debug, Clone, Copy)]
pub struct DdlOptions {
    /// Emit comments.
    pub comments: bool,
}

impl Default for DdlOptions {
    fn default() -> Self {
        DdlOptions { comments: true }
    }
}

/// Renders `templates/ddl/<dialect>/<name>` when it exists, else `templates/ddl/base/<name>`.
pub fn render_sql<S: Serialize>(
    templates: &Templates,
    dialect: &dyn SqlDialect,
    name: &str,
    context: S,
) -> Result<String> {
    let specific = format!("ddl/{}/{name}", dialect.name());
    let chosen = if templates.exists(&specific) {
        specific
    } else {
        format!("ddl/base/{name}")
    };
    let text = templates.render(&chosen, context)?;
    Ok(text.trim().to_string())
}

/// The tool: normalize, refuse blocking findings, generate.
pub fn generate_ddl(
    params: &GenerateDdlParams,
    dialect: &dyn SqlDialect,
    books: &Playbooks,
    templates: &Templates,
) -> Result<DdlOutput> {
    if params.dbt.is_some() {
        return Err(Error::invalid("dbt: only with `format: dbt`"));
    }
    let mut model = buildable_model(&params.model, books)?;
    if let Some(schema) = &params.schema {
        model.schema = Some(schema.clone());
    }
    let options = DdlOptions {
        comments: params.comments.unwrap_or(true),
    };
    generate(&model, dialect, books, templates, options)
}

/// The tool with `format: dbt`: the dbt project of the normalized model.
pub fn generate_dbt(
    app: &crate::App,
    params: &GenerateDdlParams,
    dialect: &dyn SqlDialect,
) -> Result<DdlOutput> {
    let mut model = buildable_model(&params.model, &app.playbooks)?;
    if let Some(schema) = &params.schema {
        model.schema = Some(schema.clone());
    }
    let inputs = params.dbt.clone().unwrap_or_default();
    let project = crate::codegen::dbt::project(app, &model, dialect, &inputs)?;
    Ok(DdlOutput {
        dialect: dialect.name().to_string(),
        script: String::new(),
        statements: Vec::new(),
        notes: project.notes,
        files: project.files,
    })
}

/// Collects notes without duplicates, in first-seen order.
#[derive(Default)]
struct Notes {
    seen: BTreeSet<String>,
    list: Vec<String>,
}

impl Notes {
    fn push(&mut self, note: impl Into<String>) {
        let note = note.into();
        if self.seen.insert(note.clone()) {
            self.list.push(note);
        }
    }
}

/// The CREATE TABLE template's context: column and constraint lines joined (`body`), and
/// the clauses after the closing parenthesis, each on a new line (`tail`). Joined
/// here rather than looped in the template: this statement is rendered once per table of
/// every model. `lines` and `clauses` stay for workspace overrides written against them.
#[derive(Serialize)]
struct CreateTableContext<'a> {
    table: &'a str,
    body: String,
    tail: String,
    lines: &'a [String],
    clauses: &'a [String],
}

/// DDL for every table of a model, dimensions first.
pub fn generate(
    model: &Model,
    dialect: &dyn SqlDialect,
    books: &Playbooks,
    templates: &Templates,
    options: DdlOptions,
) -> Result<DdlOutput> {
    let mut statements = Vec::new();
    let mut notes = Notes::default();
    let mut names = DerivedNames::new(dialect, model);
    enforcement_notes(dialect, model, &mut notes);
    if dialect.md5_hex("x").is_none() && model.tables.iter().any(|t| t.kind.vault().is_some()) {
        notes.push(format!(
            "{} has no hash function: Data Vault hash keys and hashdiffs hold the '||'-joined key and attribute text itself (same joins and change detection, wider keys)",
            dialect.title()
        ));
    }
    for table in &model.tables {
        let mut out = Output {
            statements: &mut statements,
            notes: &mut notes,
            names: &mut names,
        };
        table_statements(model, table, dialect, books, templates, options, &mut out)
            .map_err(|e| Error::invalid(format!("table `{}`: {e}", table.name)))?;
    }
    let script = statements
        .iter()
        .map(|s| format!("{};\n", s.sql))
        .collect::<Vec<_>>()
        .join("\n");
    Ok(DdlOutput {
        dialect: dialect.name().to_string(),
        script,
        statements,
        notes: notes.list,
        files: Vec::new(),
    })
}

fn enforcement_notes(dialect: &dyn SqlDialect, model: &Model, notes: &mut Notes) {
    let support = dialect.constraints();
    let title = dialect.title();
    let has_fk = model.tables.iter().any(|t| !t.foreign_keys.is_empty());
    let has_unique = model.tables.iter().any(|t| !t.unique_keys.is_empty());
    let mut declared = Vec::new();
    let mut unsupported = Vec::new();
    for (what, e, used) in [
        ("PRIMARY KEY", support.primary_key, true),
        ("UNIQUE", support.unique, has_unique),
        ("FOREIGN KEY", support.foreign_key, has_fk),
    ] {
        match e {
            Enforcement::Declared if used => declared.push(what),
            Enforcement::Unsupported if used => unsupported.push(what),
            Enforcement::EnforcedWhenEnabled if used => {
                notes.push(format!("{title} checks {what} constraints only with `PRAGMA foreign_keys = ON` in each connection"))
            }
            _ => {}
        }
    }
    if !declared.is_empty() {
        notes.push(format!(
            "{title} records {} constraints but does not enforce them: keep the loads deduplicated and checked",
            declared.join("/")
        ));
    }
    if !unsupported.is_empty() {
        notes.push(format!(
            "{title} has no {} constraints: they are left out; test uniqueness in quality checks instead",
            unsupported.join("/")
        ));
    }
}

/// Names dana derives (constraints, indexes, sequences, partitions): unique in the schema
/// under case folding, never the name of a table of the model, and within the engine's
/// identifier limit (shortened with a hash of the wanted name when needed).
struct DerivedNames<'a> {
    dialect: &'a dyn SqlDialect,
    used: BTreeSet<String>,
}

impl<'a> DerivedNames<'a> {
    fn new(dialect: &'a dyn SqlDialect, model: &Model) -> Self {
        DerivedNames {
            dialect,
            used: model.tables.iter().map(|t| t.name.to_lowercase()).collect(),
        }
    }

    /// Claims a name close to `wanted` (raw, unquoted).
    fn claim(&mut self, wanted: &str) -> String {
        let rules = self.dialect.ident_rules();
        let mut salt = 0u32;
        let mut candidate = wanted.to_string();
        loop {
            if ident::problem(rules, &candidate).is_none()
                && self.used.insert(candidate.to_lowercase())
            {
                return candidate;
            }
            let mut hasher = Sha256::new();
            hasher.update(wanted.as_bytes());
            if salt > 0 {
                hasher.update(salt.to_le_bytes());
            }
            let tag = hex::encode(&hasher.finalize()[..4]);
            let mut stem: String = wanted
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            while !stem.is_empty() && ident::problem(rules, &format!("{stem}_{tag}")).is_some() {
                stem.pop();
            }
            candidate = format!("{stem}_{tag}");
            salt += 1;
        }
    }

    /// Claims a name and quotes it.
    fn quoted(&mut self, wanted: &str) -> Result<String> {
        let name = self.claim(wanted);
        self.dialect.quote_ident(&name)
    }
}

/// Where a table's statements, notes and derived names go.
struct Output<'a, 'b> {
    statements: &'a mut Vec<DdlStatement>,
    notes: &'a mut Notes,
    names: &'a mut DerivedNames<'b>,
}

fn quoted_list(dialect: &dyn SqlDialect, names: &[String]) -> Result<String> {
    let quoted: Result<Vec<String>> = names.iter().map(|n| dialect.quote_ident(n)).collect();
    Ok(quoted?.join(", "))
}

/// A column name quoted, or an error naming the column (and the attribute a generated
/// previous-value column tracks).
fn quote_column(dialect: &dyn SqlDialect, column: &Column) -> Result<String> {
    dialect.quote_ident(&column.name).map_err(|e| {
        let what = match &column.tracks {
            Some(attribute) => format!(
                "column `{}` (previous value of attribute `{attribute}`)",
                column.name
            ),
            None => format!("column `{}`", column.name),
        };
        Error::invalid(format!("{what}: {e}"))
    })
}

/// The `[from, to)` ranges of a partition window, one per grain step.
fn partition_ranges(table: &Table, grain: TimeGrain) -> Result<Vec<(String, String, String)>> {
    let (Some(from), Some(to)) = (
        table.physical.partition_from.as_deref(),
        table.physical.partition_to.as_deref(),
    ) else {
        return Ok(Vec::new());
    };
    let parse = |field: &str, text: &str| {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
            Error::invalid(format!(
                "physical.{field}: `{text}` is not an ISO date (YYYY-MM-DD)"
            ))
        })
    };
    let (from, to) = (parse("partition_from", from)?, parse("partition_to", to)?);
    let start = match grain {
        TimeGrain::Day => from,
        TimeGrain::Month => from.with_day(1).unwrap_or(from),
        TimeGrain::Year => from.with_ordinal(1).unwrap_or(from),
    };
    let mut ranges = Vec::new();
    let mut lower = start;
    while lower < to {
        let upper = match grain {
            TimeGrain::Day => lower.succ_opt(),
            TimeGrain::Month => lower.checked_add_months(Months::new(1)),
            TimeGrain::Year => lower.checked_add_months(Months::new(12)),
        }
        .ok_or_else(|| Error::invalid("physical.partition_to: date out of range"))?;
        let label = match grain {
            TimeGrain::Day => lower.format("%Y%m%d"),
            TimeGrain::Month => lower.format("%Y%m"),
            TimeGrain::Year => lower.format("%Y"),
        };
        ranges.push((
            label.to_string(),
            lower.format("%Y-%m-%d").to_string(),
            upper.format("%Y-%m-%d").to_string(),
        ));
        if ranges.len() > MAX_PARTITIONS {
            return Err(Error::invalid(format!(
                "physical.partition_from/partition_to: the window spans more than {MAX_PARTITIONS} partitions; use a coarser partition_grain or a shorter window"
            )));
        }
        lower = upper;
    }
    Ok(ranges)
}

/// Most partitions dana creates for one table.
const MAX_PARTITIONS: usize = 1_000;

fn table_statements(
    model: &Model,
    table: &Table,
    dialect: &dyn SqlDialect,
    books: &Playbooks,
    templates: &Templates,
    options: DdlOptions,
    out: &mut Output<'_, '_>,
) -> Result<()> {
    let name = TableName {
        schema: model.schema.clone(),
        name: table.name.clone(),
    };
    let qualified = dialect.qualified_name(&name)?;
    let support = dialect.constraints();
    let suffix = dialect.declared_constraint_suffix();
    let inline_comments = options.comments && dialect.comment_style() == CommentStyle::Inline;
    if options.comments
        && dialect.comment_style() == CommentStyle::Unsupported
        && (table.description.is_some() || table.columns.iter().any(|c| c.description.is_some()))
    {
        out.notes.push(format!(
            "{} stores no comments: descriptions left out",
            dialect.title()
        ));
    }

    // A partitioned PostgreSQL table needs the partition column in every key: a
    // dimension's key must stay its surrogate key alone (facts reference it, the SCD1
    // upsert conflicts on the natural key), so dimensions are not partitioned there.
    let mut partition = table.physical.partition_by.as_deref();
    if partition.is_some()
        && dialect.partition_keys_must_cover()
        && table.kind == TableKind::Dimension
    {
        out.notes.push(format!(
            "{}: dimension not partitioned: {} would need the partition column in its primary key, which facts reference alone",
            table.name,
            dialect.title()
        ));
        partition = None;
    }

    // Column types first, so that the engine's row and key limits can adjust them.
    let mut row: Vec<RowColumn> = Vec::with_capacity(table.columns.len());
    for column in &table.columns {
        let logical = match column.role {
            ColumnRole::ForeignKey => foreign_key_type(model, column, dialect, &name)?,
            _ => column.logical_type,
        };
        let physical = dialect.physical_type(&logical);
        if let Some(note) = physical.note
            && !matches!(
                column.role,
                ColumnRole::SurrogateKey | ColumnRole::ForeignKey
            )
        {
            out.notes.push(note);
        }
        row.push(RowColumn {
            name: column.name.clone(),
            logical,
            sql: physical.sql,
            nullable: column.nullable,
        });
    }
    let position = |n: &String| table.columns.iter().position(|c| &c.name == n);
    let cover = |cols: &[String], notes: &mut Notes| -> Vec<String> {
        let mut cols = cols.to_vec();
        if let Some(p) = partition
            && dialect.partition_keys_must_cover()
            && !cols.iter().any(|c| c == p)
        {
            notes.push(format!(
                "{}: {} keys of a partitioned table must include the partition column; `{p}` was added",
                table.name,
                dialect.title()
            ));
            cols.push(p.to_string());
        }
        cols
    };
    let primary_key = cover(&table.primary_key, out.notes);
    let unique_keys: Vec<Vec<String>> = table
        .unique_keys
        .iter()
        .map(|k| cover(k, out.notes))
        .collect();
    // Foreign keys of facts get an index where the engine has indexes, unless the
    // primary key already starts with the column.
    let indexed: Vec<&String> = table
        .foreign_keys
        .iter()
        .flat_map(|fk| fk.columns.first())
        .filter(|c| primary_key.first() != Some(*c))
        .collect();
    let mut keys = Vec::new();
    if support.primary_key.can_declare() && !primary_key.is_empty() {
        keys.push(RowKey {
            what: "primary key",
            columns: primary_key.iter().filter_map(position).collect(),
        });
    }
    if support.unique.can_declare() {
        for key in &unique_keys {
            keys.push(RowKey {
                what: "unique key",
                columns: key.iter().filter_map(position).collect(),
            });
        }
    }
    for notes in dialect.fit_row(&table.name, &mut row, &keys)? {
        out.notes.push(notes);
    }

    let mut lines = Vec::new();
    let mut inline_pk = false;
    let mut unknown_key = String::from("-1");
    let quoted_columns: Vec<String> = table
        .columns
        .iter()
        .map(|c| quote_column(dialect, c))
        .collect::<Result<_>>()?;
    for ((column, fitted), quoted) in table.columns.iter().zip(&row).zip(&quoted_columns) {
        let mut line = match column.role {
            ColumnRole::SurrogateKey => {
                let sequence = TableName {
                    schema: model.schema.clone(),
                    name: if dialect.surrogate_key_style() == SurrogateKeyStyle::Sequence {
                        out.names.claim(&format!("seq_{}", table.name))
                    } else {
                        String::new()
                    },
                };
                let key = dialect.surrogate_key(&name, quoted, &sequence)?;
                for before in &key.before {
                    out.statements.push(DdlStatement {
                        kind: StatementKind::CreateSequence,
                        table: table.name.clone(),
                        sql: before.clone(),
                    });
                }
                inline_pk = key.inline_primary_key;
                unknown_key = key.unknown_member_key.clone();
                let mut line = format!("{quoted} {} {}", key.type_sql, key.options);
                if !key.inline_primary_key && !key.options.contains("NOT NULL") {
                    line.push_str(" NOT NULL");
                }
                line
            }
            ColumnRole::ForeignKey => format!("{quoted} {} NOT NULL", fitted.sql),
            _ => {
                let null = if column.nullable { "" } else { " NOT NULL" };
                format!("{quoted} {}{null}", fitted.sql)
            }
        };
        if inline_comments && let Some(description) = &column.description {
            line.push(' ');
            line.push_str(&dialect.column_comment(description)?);
        }
        lines.push(line);
    }

    let declared = |e: Enforcement| {
        if e == Enforcement::Declared {
            suffix
        } else {
            ""
        }
    };
    if !primary_key.is_empty() && !inline_pk && support.primary_key.can_declare() {
        let constraint = if dialect.names_primary_key() {
            format!(
                "CONSTRAINT {} ",
                out.names.quoted(&format!("pk_{}", table.name))?
            )
        } else {
            String::new()
        };
        lines.push(format!(
            "{constraint}PRIMARY KEY ({}){}",
            quoted_list(dialect, &primary_key)?,
            declared(support.primary_key)
        ));
    }
    if support.unique.can_declare() {
        for (i, key) in unique_keys.iter().enumerate() {
            let cname = out.names.quoted(&format!("uq_{}_{}", table.name, i + 1))?;
            lines.push(format!(
                "CONSTRAINT {cname} UNIQUE ({}){}",
                quoted_list(dialect, key)?,
                declared(support.unique)
            ));
        }
    }
    if support.foreign_key.can_declare() {
        for fk in &table.foreign_keys {
            let cname = out
                .names
                .quoted(&format!("fk_{}_{}", table.name, fk.columns.join("_")))?;
            let target = dialect.reference_name(&TableName {
                schema: model.schema.clone(),
                name: fk.references.clone(),
            })?;
            lines.push(format!(
                "CONSTRAINT {cname} FOREIGN KEY ({}) REFERENCES {target} ({}){}",
                quoted_list(dialect, &fk.columns)?,
                quoted_list(dialect, &fk.referenced_columns)?,
                declared(support.foreign_key)
            ));
        }
    }
    let mut indexes = Vec::new();
    if !indexed.is_empty() {
        if dialect.has_indexes() {
            for column in &indexed {
                let index = out.names.claim(&format!("ix_{}_{column}", table.name));
                let cols = dialect.quote_ident(column)?;
                if dialect.inline_indexes() {
                    lines.push(format!("KEY {} ({cols})", dialect.quote_ident(&index)?));
                } else {
                    indexes.push(dialect.create_index(
                        &TableName {
                            schema: model.schema.clone(),
                            name: index,
                        },
                        &name,
                        &cols,
                    )?);
                }
            }
        } else {
            out.notes.push(format!(
                "{} has no secondary indexes: facts' foreign keys are not indexed; cluster or sort facts on the keys queries filter by (physical.cluster_by / sort_key)",
                dialect.title()
            ));
        }
    }

    // Physical layout and the table comment (when inline).
    let partition_column = match partition {
        Some(p) => Some((
            dialect.quote_ident(p)?,
            table
                .column(p)
                .map(|c| c.logical_type)
                .unwrap_or(LogicalType::Date),
        )),
        None => None,
    };
    let grain = table.physical.partition_grain;
    let mut partitions = Vec::new();
    if let Some((_, logical)) = &partition_column
        && dialect.creates_partitions()
    {
        let ranges = partition_ranges(table, grain)?;
        if !ranges.is_empty() && !logical.is_temporal() {
            return Err(Error::invalid(format!(
                "physical.partition_from/partition_to: a partition window needs a date or timestamp partition column; `{}` is {logical}",
                partition.unwrap_or_default()
            )));
        }
        for (label, from, to) in ranges {
            partitions.push(PartitionSpec {
                name: TableName {
                    schema: model.schema.clone(),
                    name: out.names.claim(&format!("{}_p{label}", table.name)),
                },
                range: Some((from, to)),
            });
        }
        partitions.push(PartitionSpec {
            name: TableName {
                schema: model.schema.clone(),
                name: out.names.claim(&format!("{}_default", table.name)),
            },
            range: None,
        });
    }
    let cluster: Vec<String> = table
        .physical
        .cluster_by
        .iter()
        .map(|c| dialect.quote_ident(c))
        .collect::<Result<_>>()?;
    let sort: Vec<String> = table
        .physical
        .sort_key
        .iter()
        .map(|c| dialect.quote_ident(c))
        .collect::<Result<_>>()?;
    let dist = table
        .physical
        .dist_key
        .as_deref()
        .map(|c| dialect.quote_ident(c))
        .transpose()?;
    let request = LayoutRequest {
        partition: partition_column
            .as_ref()
            .map(|(q, t)| (q.as_str(), t, grain)),
        partitions: &partitions,
        cluster: &cluster,
        dist_key: dist.as_deref(),
        sort_key: &sort,
        comment: if inline_comments {
            table.description.as_deref()
        } else {
            None
        },
    };
    let layout = dialect.table_layout(&name, &request)?;
    for note in layout.notes {
        out.notes.push(note);
    }
    let sql = render_sql(
        templates,
        dialect,
        "create_table.sql.j2",
        CreateTableContext {
            table: &qualified,
            body: lines.join(",\n    "),
            tail: layout
                .clauses
                .iter()
                .map(|clause| format!("\n{clause}"))
                .collect(),
            lines: &lines,
            clauses: &layout.clauses,
        },
    )?;
    out.statements.push(DdlStatement {
        kind: StatementKind::CreateTable,
        table: table.name.clone(),
        sql,
    });
    for after in layout.after {
        out.statements.push(DdlStatement {
            kind: StatementKind::CreatePartition,
            table: table.name.clone(),
            sql: after,
        });
    }
    for sql in indexes {
        out.statements.push(DdlStatement {
            kind: StatementKind::CreateIndex,
            table: table.name.clone(),
            sql,
        });
    }
    if options.comments && dialect.comment_style() == CommentStyle::CommentOn {
        if let Some(description) = &table.description {
            out.statements.push(DdlStatement {
                kind: StatementKind::Comment,
                table: table.name.clone(),
                sql: dialect.comment_on(&qualified, None, description)?,
            });
        }
        for (column, quoted) in table.columns.iter().zip(&quoted_columns) {
            if let Some(description) = &column.description {
                out.statements.push(DdlStatement {
                    kind: StatementKind::Comment,
                    table: table.name.clone(),
                    sql: dialect.comment_on(&qualified, Some(quoted), description)?,
                });
            }
        }
    }
    if table.unknown_member {
        out.statements.push(DdlStatement {
            kind: StatementKind::InsertUnknownMember,
            table: table.name.clone(),
            sql: unknown_member(
                table,
                &qualified,
                &unknown_key,
                dialect,
                &books.naming.unknown_member,
                templates,
            )?,
        });
    }
    Ok(())
}

fn foreign_key_type(
    model: &Model,
    column: &Column,
    dialect: &dyn SqlDialect,
    name: &TableName,
) -> Result<LogicalType> {
    let Some(dim) = column.references.as_deref().and_then(|r| model.table(r)) else {
        return Ok(LogicalType::BigInt);
    };
    let dim_name = TableName {
        schema: name.schema.clone(),
        name: dim.name.clone(),
    };
    let key = dim
        .surrogate_key()
        .map(|k| k.name.as_str())
        .unwrap_or_default();
    Ok(dialect
        .surrogate_key(&dim_name, &dialect.quote_ident(key)?, &dim_name)?
        .key_type)
}

#[derive(Serialize)]
struct UnknownMemberContext<'a> {
    table: &'a str,
    columns: Vec<String>,
    values: Vec<String>,
    key: String,
    key_value: &'a str,
}

fn unknown_member(
    table: &Table,
    qualified: &str,
    key_literal: &str,
    dialect: &dyn SqlDialect,
    values: &UnknownMemberValues,
    templates: &Templates,
) -> Result<String> {
    let mut columns = Vec::new();
    let mut literals = Vec::new();
    let mut key = String::new();
    for (column, literal) in
        table
            .columns
            .iter()
            .zip(unknown_member_values(table, key_literal, dialect, values)?)
    {
        let quoted = dialect.quote_ident(&column.name)?;
        if column.role == ColumnRole::SurrogateKey {
            key = quoted.clone();
        }
        columns.push(quoted);
        literals.push(literal);
    }
    render_sql(
        templates,
        dialect,
        "unknown_member.sql.j2",
        UnknownMemberContext {
            table: qualified,
            columns,
            values: literals,
            key,
            key_value: key_literal,
        },
    )
}

/// The unknown-member row's value of every column of `table`, in column order, as SQL
/// literals: the surrogate key `key_literal`, an open SCD2 version, placeholder natural key
/// and attributes (NULL for nullable non-text columns).
pub fn unknown_member_values(
    table: &Table,
    key_literal: &str,
    dialect: &dyn SqlDialect,
    values: &UnknownMemberValues,
) -> Result<Vec<String>> {
    table
        .columns
        .iter()
        .map(|column| {
            Ok(match column.role {
                ColumnRole::SurrogateKey => key_literal.to_string(),
                ColumnRole::ValidFrom => dialect.timestamp_literal(&values.timestamp)?,
                ColumnRole::ValidTo => dialect.max_timestamp_literal().to_string(),
                ColumnRole::IsCurrent => dialect.boolean_literal(true).to_string(),
                ColumnRole::NaturalKey => placeholder(dialect, column.logical_type, values, true)?,
                _ if column.nullable && !is_text(column.logical_type) => "NULL".to_string(),
                _ => placeholder(dialect, column.logical_type, values, false)?,
            })
        })
        .collect()
}

fn is_text(t: LogicalType) -> bool {
    matches!(t, LogicalType::String(_) | LogicalType::Text)
}

fn placeholder(
    dialect: &dyn SqlDialect,
    t: LogicalType,
    values: &UnknownMemberValues,
    key: bool,
) -> Result<String> {
    Ok(match t {
        LogicalType::String(limit) => {
            let text = if key {
                &values.natural_key_text
            } else {
                &values.text
            };
            let text: String = match limit {
                Some(n) => text.chars().take(n as usize).collect(),
                None => text.clone(),
            };
            dialect.string_literal(&text)?
        }
        LogicalType::Uuid => dialect.string_literal("00000000-0000-0000-0000-000000000000")?,
        LogicalType::Json => dialect.string_literal("{}")?,
        LogicalType::Text | LogicalType::Binary => dialect.string_literal(if key {
            &values.natural_key_text
        } else {
            &values.text
        })?,
        // A decimal without integer digits (decimal(2,2)) cannot hold -1: use zero.
        LogicalType::Decimal(precision, scale) if precision <= scale => "0".to_string(),
        LogicalType::SmallInt
        | LogicalType::Integer
        | LogicalType::BigInt
        | LogicalType::Decimal(..)
        | LogicalType::Float => values.natural_key_number.to_string(),
        LogicalType::Boolean => dialect.boolean_literal(false).to_string(),
        LogicalType::Date => dialect.date_literal(&values.date)?,
        LogicalType::Time => dialect.string_literal("00:00:00")?,
        LogicalType::Timestamp | LogicalType::TimestampTz => {
            dialect.timestamp_literal(&values.timestamp)?
        }
    })
}
