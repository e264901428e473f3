//! `generate_ddl`: CREATE statements for a normalized model in one dialect, in
//! dependency order, with keys, constraints (enforced or declared as the engine allows),
//! physical layout, comments and unknown-member rows. Every identifier and literal goes
//! through the dialect's audited quoting; statement layout comes from `templates/ddl/`.

use std::collections::BTreeSet;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::design::buildable_model;
use super::model::{Column, ColumnRole, Model, Table};
use super::spec::ModelSpec;
use crate::dialect::{
    CommentStyle, Enforcement, LayoutRequest, LogicalType, SqlDialect, TableName, ident,
};
use crate::error::{Error, Result};
use crate::playbook::{Playbooks, UnknownMemberValues};
use crate::render::Templates;

/// Params of `generate_ddl`.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GenerateDdlParams {
    /// The Kimball model (same shape as design_dimensional_model's `model`).
    #[schemars(schema_with = "super::spec::model_ref_schema")]
    pub model: ModelSpec,
    /// SQL dialect (postgres, mysql, sqlite, duckdb, snowflake, bigquery, redshift, databricks); default from dana.toml.
    #[serde(default)]
    pub dialect: Option<String>,
    /// Schema/dataset for the tables; overrides the model's `schema`.
    #[serde(default)]
    pub schema: Option<String>,
    /// Emit table and column comments from descriptions (default true).
    #[serde(default)]
    pub comments: Option<bool>,
    /// Project id: record the result in this project.
    #[serde(default)]
    pub project: Option<String>,
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
    let mut model = buildable_model(&params.model, books)?;
    if let Some(schema) = &params.schema {
        model.schema = Some(schema.clone());
    }
    let options = DdlOptions {
        comments: params.comments.unwrap_or(true),
    };
    generate(&model, dialect, books, templates, options)
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

#[derive(Serialize)]
struct CreateTableContext<'a> {
    table: &'a str,
    lines: Vec<String>,
    clauses: Vec<String>,
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
    enforcement_notes(dialect, model, &mut notes);
    for table in &model.tables {
        table_statements(
            model,
            table,
            dialect,
            books,
            templates,
            options,
            &mut statements,
            &mut notes,
        )
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

/// A constraint name that fits the dialect's identifier limit (shortened with a hash).
fn constraint_name(dialect: &dyn SqlDialect, name: &str) -> Result<String> {
    let rules = dialect.ident_rules();
    if ident::problem(rules, name).is_none() {
        return dialect.quote_ident(name);
    }
    let digest = Sha256::digest(name.as_bytes());
    let tag = hex::encode(&digest[..4]);
    let mut stem: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    while !stem.is_empty() && ident::problem(rules, &format!("{stem}_{tag}")).is_some() {
        stem.pop();
    }
    dialect.quote_ident(&format!("{stem}_{tag}"))
}

fn quoted_list(dialect: &dyn SqlDialect, names: &[String]) -> Result<String> {
    let quoted: Result<Vec<String>> = names.iter().map(|n| dialect.quote_ident(n)).collect();
    Ok(quoted?.join(", "))
}

#[allow(clippy::too_many_arguments)]
fn table_statements(
    model: &Model,
    table: &Table,
    dialect: &dyn SqlDialect,
    books: &Playbooks,
    templates: &Templates,
    options: DdlOptions,
    out: &mut Vec<DdlStatement>,
    notes: &mut Notes,
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
        notes.push(format!(
            "{} stores no comments: descriptions left out",
            dialect.title()
        ));
    }
    let mut lines = Vec::new();
    let mut inline_pk = false;
    let mut unknown_key = String::from("-1");
    for column in &table.columns {
        let quoted = dialect.quote_ident(&column.name)?;
        let mut line = match column.role {
            ColumnRole::SurrogateKey => {
                let key = dialect.surrogate_key(&name, &quoted)?;
                for before in &key.before {
                    out.push(DdlStatement {
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
            ColumnRole::ForeignKey => {
                let key_type = foreign_key_type(model, column, dialect, &name)?;
                let physical = dialect.physical_type(&key_type);
                format!("{quoted} {} NOT NULL", physical.sql)
            }
            _ => {
                let physical = dialect.physical_type(&column.logical_type);
                if let Some(note) = physical.note {
                    notes.push(note);
                }
                let null = if column.nullable { "" } else { " NOT NULL" };
                format!("{quoted} {}{null}", physical.sql)
            }
        };
        if inline_comments && let Some(description) = &column.description {
            line.push(' ');
            line.push_str(&dialect.column_comment(description)?);
        }
        lines.push(line);
    }

    // Keys: a partitioned PostgreSQL table needs the partition column in every key.
    let partition = table.physical.partition_by.as_deref();
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
    let declared = |e: Enforcement| {
        if e == Enforcement::Declared {
            suffix
        } else {
            ""
        }
    };
    if !table.primary_key.is_empty() && !inline_pk && support.primary_key.can_declare() {
        let cols = cover(&table.primary_key, notes);
        let cname = constraint_name(dialect, &format!("pk_{}", table.name))?;
        lines.push(format!(
            "CONSTRAINT {cname} PRIMARY KEY ({}){}",
            quoted_list(dialect, &cols)?,
            declared(support.primary_key)
        ));
    }
    if support.unique.can_declare() {
        for (i, key) in table.unique_keys.iter().enumerate() {
            let cols = cover(key, notes);
            let cname = constraint_name(dialect, &format!("uq_{}_{}", table.name, i + 1))?;
            lines.push(format!(
                "CONSTRAINT {cname} UNIQUE ({}){}",
                quoted_list(dialect, &cols)?,
                declared(support.unique)
            ));
        }
    }
    if support.foreign_key.can_declare() {
        for fk in &table.foreign_keys {
            let cname = constraint_name(
                dialect,
                &format!("fk_{}_{}", table.name, fk.columns.join("_")),
            )?;
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
            .map(|(q, t)| (q.as_str(), t, table.physical.partition_grain)),
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
        notes.push(note);
    }
    let sql = render_sql(
        templates,
        dialect,
        "create_table.sql.j2",
        CreateTableContext {
            table: &qualified,
            lines,
            clauses: layout.clauses,
        },
    )?;
    out.push(DdlStatement {
        kind: StatementKind::CreateTable,
        table: table.name.clone(),
        sql,
    });
    for after in layout.after {
        out.push(DdlStatement {
            kind: StatementKind::CreatePartition,
            table: table.name.clone(),
            sql: after,
        });
    }
    if options.comments && dialect.comment_style() == CommentStyle::CommentOn {
        if let Some(description) = &table.description {
            out.push(DdlStatement {
                kind: StatementKind::Comment,
                table: table.name.clone(),
                sql: dialect.comment_on(&qualified, None, description)?,
            });
        }
        for column in &table.columns {
            if let Some(description) = &column.description {
                out.push(DdlStatement {
                    kind: StatementKind::Comment,
                    table: table.name.clone(),
                    sql: dialect.comment_on(
                        &qualified,
                        Some(&dialect.quote_ident(&column.name)?),
                        description,
                    )?,
                });
            }
        }
    }
    if table.unknown_member {
        out.push(DdlStatement {
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
        .surrogate_key(&dim_name, &dialect.quote_ident(key)?)?
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
    for column in &table.columns {
        let quoted = dialect.quote_ident(&column.name)?;
        let literal = match column.role {
            ColumnRole::SurrogateKey => {
                key = quoted.clone();
                key_literal.to_string()
            }
            ColumnRole::ValidFrom => dialect.timestamp_literal(&values.timestamp)?,
            ColumnRole::ValidTo => dialect.max_timestamp_literal().to_string(),
            ColumnRole::IsCurrent => dialect.boolean_literal(true).to_string(),
            ColumnRole::NaturalKey => placeholder(dialect, column.logical_type, values, true)?,
            _ if column.nullable && !is_text(column.logical_type) => "NULL".to_string(),
            _ => placeholder(dialect, column.logical_type, values, false)?,
        };
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
