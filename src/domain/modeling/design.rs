//! `design_dimensional_model`: normalize a Kimball model, run the modeling checks and
//! naming rules from the playbooks, and draw a Mermaid ERD.

use std::collections::BTreeSet;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::model::{ColumnRole, Model, RawFinding, Table, TableKind, normalize};
use super::spec::{Additivity, Aggregation, ModelSpec};
use crate::error::{Error, Result};
use crate::playbook::{NamingBook, Playbooks, Severity};
use crate::render::Templates;

/// Params of `design_dimensional_model`.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DesignDimensionalModelParams {
    /// The model.
    pub model: ModelSpec,
    /// Project id to record the result in.
    #[serde(default)]
    pub project: Option<String>,
}

/// One finding about the model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Finding {
    /// Stable check id (`MOD-GRAIN-MISSING`, `NAME-COL-BOOL`).
    pub id: String,
    /// error, warning or info.
    pub severity: Severity,
    /// Table concerned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table: Option<String>,
    /// Column concerned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub fix: String,
    /// Whether generate_ddl refuses the model until it is fixed.
    pub blocks_ddl: bool,
}

/// Counts of the model.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ModelSummary {
    /// Fact tables.
    pub facts: usize,
    /// Dimension tables.
    pub dimensions: usize,
    /// Columns over all tables.
    pub columns: usize,
    /// Findings by severity.
    pub errors: usize,
    /// Warnings.
    pub warnings: usize,
    /// Infos.
    pub infos: usize,
}

/// The result of `design_dimensional_model`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DesignOutput {
    /// The normalized model (full columns, keys, dependency order).
    pub model: Model,
    /// Findings, errors first.
    pub findings: Vec<Finding>,
    /// Mermaid `erDiagram` of the model.
    pub erd: String,
    /// Counts.
    pub summary: ModelSummary,
}

impl JsonSchema for DesignOutput {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "DesignOutput".into()
    }

    // Compact on purpose: the full nested schema of the normalized model would triple
    // the size of this tool in `tools/list`; the fields are documented on the Rust types.
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "object",
            "properties": {
                "model": { "type": "object", "description": "Normalized model: tables (dimensions, then facts) with every column (role, type, nullable, scd_type), keys and physical hints" },
                "findings": { "type": "array", "items": { "type": "object" }, "description": "id, severity, table, column, message, fix, blocks_ddl; errors first" },
                "erd": { "type": "string", "description": "Mermaid erDiagram" },
                "summary": { "type": "object", "description": "Counts of tables, columns and findings" }
            },
            "required": ["model", "findings", "erd", "summary"]
        })
    }
}

/// Designs the model: normalize, check, draw.
pub fn design(spec: &ModelSpec, books: &Playbooks, templates: &Templates) -> Result<DesignOutput> {
    let (model, mut raw) = normalize(spec, &books.naming)?;
    check_model(&model, books, &mut raw);
    super::methodology::check(&model, books, &mut raw);
    let mut findings = Vec::with_capacity(raw.len());
    for r in &raw {
        findings.push(to_finding(books, r)?);
    }
    findings.extend(naming_findings(&model, &books.naming));
    findings.sort_by_key(|a| a.severity);
    let erd = erd(&model, templates)?;
    let summary = ModelSummary {
        facts: model
            .tables
            .iter()
            .filter(|t| t.kind == TableKind::Fact)
            .count(),
        dimensions: model
            .tables
            .iter()
            .filter(|t| t.kind == TableKind::Dimension)
            .count(),
        columns: model.tables.iter().map(|t| t.columns.len()).sum(),
        errors: findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .count(),
        warnings: findings
            .iter()
            .filter(|f| f.severity == Severity::Warning)
            .count(),
        infos: findings
            .iter()
            .filter(|f| f.severity == Severity::Info)
            .count(),
    };
    Ok(DesignOutput {
        model,
        findings,
        erd,
        summary,
    })
}

/// Normalizes the model and refuses it when a finding blocks DDL.
pub fn buildable_model(spec: &ModelSpec, books: &Playbooks) -> Result<Model> {
    let (model, raw) = normalize(spec, &books.naming)?;
    let blocking: Vec<String> = raw
        .iter()
        .filter_map(|r| {
            let check = books.modeling.check(r.id)?;
            check
                .blocks_ddl
                .then(|| format!("{} {}", r.id, fill(&check.message, r)))
        })
        .collect();
    if blocking.is_empty() {
        Ok(model)
    } else {
        Err(Error::invalid(format!(
            "model: fix these first (design_dimensional_model lists them with fixes): {}",
            blocking.join("; ")
        )))
    }
}

fn fill(template: &str, r: &RawFinding) -> String {
    template
        .replace("{table}", r.table.as_deref().unwrap_or(""))
        .replace("{column}", r.column.as_deref().unwrap_or(""))
        .replace("{detail}", r.detail.as_deref().unwrap_or(""))
}

fn to_finding(books: &Playbooks, r: &RawFinding) -> Result<Finding> {
    let check = books.modeling.check(r.id).ok_or_else(|| {
        Error::not_found(
            "model check",
            r.id,
            books.modeling.checks.iter().map(|c| c.id.as_str()),
        )
    })?;
    Ok(Finding {
        id: check.id.clone(),
        severity: check.severity,
        table: r.table.clone(),
        column: r.column.clone(),
        message: fill(&check.message, r),
        fix: check.fix.clone(),
        blocks_ddl: check.blocks_ddl,
    })
}

fn check_model(model: &Model, books: &Playbooks, raw: &mut Vec<RawFinding>) {
    let grain_rules = &books.modeling.grain;
    for table in model.tables.iter().filter(|t| t.kind == TableKind::Fact) {
        match table
            .grain
            .as_deref()
            .map(str::trim)
            .filter(|g| !g.is_empty())
        {
            None => raw.push(RawFinding::new(
                "MOD-GRAIN-MISSING",
                &table.name,
                None,
                None,
            )),
            Some(grain) => {
                let lower = grain.to_lowercase();
                let words: Vec<&str> = lower
                    .split(|c: char| !c.is_alphanumeric() && c != '_')
                    .filter(|w| !w.is_empty())
                    .collect();
                let phrased = grain_rules
                    .phrases
                    .iter()
                    .any(|p| lower.contains(&p.to_lowercase()));
                let vague = words
                    .iter()
                    .any(|w| grain_rules.vague_words.iter().any(|v| v == w));
                if !phrased || vague || words.len() < grain_rules.min_words {
                    raw.push(RawFinding::new(
                        "MOD-GRAIN-VAGUE",
                        &table.name,
                        None,
                        Some(grain.to_string()),
                    ));
                }
            }
        }
        for m in table.columns_with(ColumnRole::Measure) {
            match (m.additivity, m.aggregation) {
                (Some(Additivity::NonAdditive), Some(Aggregation::Sum)) => {
                    raw.push(RawFinding::new(
                        "MOD-MEASURE-NONADDITIVE-SUMMED",
                        &table.name,
                        Some(&m.name),
                        None,
                    ))
                }
                (Some(Additivity::SemiAdditive), Some(Aggregation::Sum)) => {
                    raw.push(RawFinding::new(
                        "MOD-MEASURE-SEMIADDITIVE-SUMMED",
                        &table.name,
                        Some(&m.name),
                        None,
                    ))
                }
                _ => {}
            }
        }
        let has_fk = table.columns_with(ColumnRole::ForeignKey).next().is_some()
            || raw.iter().any(|r| {
                r.id == "MOD-FK-UNKNOWN-DIMENSION" && r.table.as_deref() == Some(&table.name)
            });
        if !has_fk {
            raw.push(RawFinding::new(
                "MOD-FACT-NO-DIMENSIONS",
                &table.name,
                None,
                None,
            ));
        }
        if table.columns_with(ColumnRole::Measure).next().is_none() {
            raw.push(RawFinding::new(
                "MOD-FACT-NO-MEASURES",
                &table.name,
                None,
                None,
            ));
        }
        if let Some(partition) = &table.physical.partition_by {
            let key_like = table.column(partition).is_some_and(|c| {
                matches!(
                    c.role,
                    ColumnRole::ForeignKey | ColumnRole::DegenerateDimension
                ) && !c.logical_type.is_temporal()
            }) || partition.ends_with("_id");
            if key_like {
                raw.push(RawFinding::new(
                    "MOD-PARTITION-KEY-COLUMN",
                    &table.name,
                    Some(partition),
                    None,
                ));
            }
        }
    }
    // Dimensions referenced by facts without an unknown member.
    let mut reported = BTreeSet::new();
    for fact in model.tables.iter().filter(|t| t.kind == TableKind::Fact) {
        for fk in &fact.foreign_keys {
            if let Some(dim) = model.table(&fk.references)
                && !dim.unknown_member
                && reported.insert(dim.name.clone())
            {
                raw.push(RawFinding::new(
                    "MOD-NO-UNKNOWN-MEMBER",
                    &dim.name,
                    fk.columns.first().map(String::as_str),
                    None,
                ));
            }
        }
    }
    for row in &model.bus_matrix {
        let fact = row.fact.as_deref().and_then(|f| model.table(f));
        if let Some(name) = row.fact.as_deref()
            && fact.is_none()
        {
            raw.push(RawFinding::new(
                "MOD-BUS-UNKNOWN-TABLE",
                name,
                None,
                Some(row.process.clone()),
            ));
        }
        for dim in &row.dimensions {
            if model.table(dim).is_none() {
                raw.push(RawFinding::new(
                    "MOD-BUS-UNKNOWN-TABLE",
                    dim,
                    None,
                    Some(row.process.clone()),
                ));
            } else if let Some(fact) = fact
                && !fact.foreign_keys.iter().any(|fk| &fk.references == dim)
            {
                raw.push(RawFinding::new(
                    "MOD-BUS-MISMATCH",
                    &fact.name,
                    Some(dim),
                    Some(row.process.clone()),
                ));
            }
        }
    }
}

/// Naming-convention findings (NAME-*) from the naming playbook.
pub fn naming_findings(model: &Model, naming: &NamingBook) -> Vec<Finding> {
    let mut out = Vec::new();
    let is_snake = |s: &str| {
        let mut chars = s.chars();
        matches!(chars.next(), Some(c) if c.is_ascii_lowercase())
            && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    };
    for table in &model.tables {
        let layer = match table.kind {
            TableKind::Fact => "fact",
            TableKind::Dimension | TableKind::History => "dimension",
            other => other.as_str(),
        };
        if let Some(rule) = naming.layers.iter().find(|l| l.layer == layer)
            && !table.name.starts_with(&rule.prefix)
        {
            out.push(Finding {
                id: rule.id.clone(),
                severity: Severity::Warning,
                table: Some(table.name.clone()),
                column: None,
                message: format!(
                    "{layer} `{}` should be named `{}`",
                    table.name, rule.pattern
                ),
                fix: format!(
                    "Rename it with the `{}` prefix, e.g. `{}`.",
                    rule.prefix, rule.example
                ),
                blocks_ddl: false,
            });
        }
        if !is_snake(&table.name) {
            out.push(case_finding(naming, table, None));
        }
        for column in table.columns.iter().filter(|c| !c.role.is_generated()) {
            if !is_snake(&column.name) {
                out.push(case_finding(naming, table, Some(&column.name)));
            }
            let base = column.logical_type.to_string();
            let base = base.split('(').next().unwrap_or_default();
            let role = column.role.as_str();
            for rule in &naming.columns {
                let applies = (rule.types.is_empty() || rule.types.iter().any(|t| t == base))
                    && !rule.exclude_types.iter().any(|t| t == base)
                    && (rule.roles.is_empty() || rule.roles.iter().any(|r| r == role))
                    && (rule.aggregations.is_empty()
                        || column
                            .aggregation
                            .is_some_and(|a| rule.aggregations.iter().any(|r| r == a.as_str())));
                if !applies {
                    continue;
                }
                let prefix_ok = rule.prefixes.is_empty()
                    || rule
                        .prefixes
                        .iter()
                        .any(|p| column.name.starts_with(p.as_str()));
                let suffix_ok = rule.suffixes.is_empty()
                    || rule
                        .suffixes
                        .iter()
                        .any(|s| column.name.ends_with(s.as_str()));
                if !(prefix_ok && suffix_ok) {
                    let wanted: Vec<String> = rule
                        .prefixes
                        .iter()
                        .map(|p| format!("`{p}…`"))
                        .chain(rule.suffixes.iter().map(|s| format!("`…{s}`")))
                        .collect();
                    out.push(Finding {
                        id: rule.id.clone(),
                        severity: Severity::Warning,
                        table: Some(table.name.clone()),
                        column: Some(column.name.clone()),
                        message: format!(
                            "`{}.{}` ({base} {role}): {}",
                            table.name,
                            column.name,
                            rule.title.to_lowercase()
                        ),
                        fix: format!(
                            "Rename it as {} (e.g. `{}`).",
                            wanted.join(" or "),
                            rule.example
                        ),
                        blocks_ddl: false,
                    });
                }
            }
        }
    }
    out
}

fn case_finding(naming: &NamingBook, table: &Table, column: Option<&str>) -> Finding {
    let what = match column {
        Some(c) => format!("`{}.{c}`", table.name),
        None => format!("`{}`", table.name),
    };
    Finding {
        id: naming.case.id.clone(),
        severity: Severity::Warning,
        table: Some(table.name.clone()),
        column: column.map(str::to_string),
        message: format!("{what}: {}", naming.case.title.to_lowercase()),
        fix: "Use lower snake_case so the name never needs quoting.".into(),
        blocks_ddl: false,
    }
}

#[derive(Serialize)]
struct ErdTable {
    name: String,
    columns: Vec<ErdColumn>,
}

#[derive(Serialize)]
struct ErdColumn {
    kind: String,
    name: String,
    key: &'static str,
    comment: String,
}

#[derive(Serialize)]
struct ErdRelation {
    parent: String,
    child: String,
    label: String,
}

/// A name Mermaid accepts as an entity or attribute name.
fn mermaid_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if cleaned.starts_with(|c: char| c.is_alphabetic()) {
        cleaned
    } else {
        format!("t_{cleaned}")
    }
}

/// The Mermaid ERD of a model.
pub fn erd(model: &Model, templates: &Templates) -> Result<String> {
    let tables: Vec<ErdTable> = model
        .tables
        .iter()
        .map(|t| ErdTable {
            name: mermaid_name(&t.name),
            columns: t
                .columns
                .iter()
                .map(|c| {
                    let key = match c.role {
                        ColumnRole::SurrogateKey | ColumnRole::HashKey => "PK",
                        ColumnRole::ForeignKey | ColumnRole::ParentKey => "FK",
                        ColumnRole::NaturalKey => "UK",
                        _ => "",
                    };
                    let mut comment = match c.role {
                        ColumnRole::Attribute => {
                            c.scd_type.map(|s| format!("SCD{s}")).unwrap_or_default()
                        }
                        ColumnRole::Measure => c
                            .aggregation
                            .map(|a| a.as_str().to_uppercase())
                            .unwrap_or_default(),
                        ColumnRole::DegenerateDimension => "degenerate".into(),
                        _ => String::new(),
                    };
                    comment.retain(|ch| ch != '"');
                    ErdColumn {
                        kind: mermaid_name(&c.logical_type.to_string().replace(',', "_")),
                        name: mermaid_name(&c.name),
                        key,
                        comment,
                    }
                })
                .collect(),
        })
        .collect();
    let relations: Vec<ErdRelation> = model
        .tables
        .iter()
        .flat_map(|t| {
            t.foreign_keys.iter().map(|fk| ErdRelation {
                parent: mermaid_name(&fk.references),
                child: mermaid_name(&t.name),
                label: fk.columns.join(", ").replace('"', ""),
            })
        })
        .collect();
    templates.render(
        "modeling/erd.mmd.j2",
        serde_json::json!({ "tables": tables, "relations": relations }),
    )
}
