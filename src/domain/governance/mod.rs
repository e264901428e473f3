//! Governance: ODCS data contracts, schema diffs with breaking-change verdicts and the
//! policy's required action, PII classification with masked evidence, and catalog
//! entries. Everything works on one normalized [`schema::TableSchema`]; `source`
//! turns specs, contracts and live tables into it.

pub mod catalog;
pub mod classify;
mod compact;
pub mod contract;
pub mod diff;
pub mod masking;
pub mod schema;
pub mod source;

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::App;
use crate::error::{Error, Result};

pub use catalog::{CatalogEntry, CatalogFacts};
pub use classify::Classification;
pub use contract::{QualityRule, Sla};
pub use diff::SchemaDiff;
pub use schema::{ColumnSchema, TableSchema};
pub use source::TableSource;

const STATUSES: &[&str] = &["proposed", "draft", "active", "deprecated", "retired"];

/// Params of `generate_data_contract`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GenerateDataContractParams {
    /// The table, from exactly one source (`datasource` needs `table`).
    pub table: TableSource,
    /// Team producing the data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// Teams consuming the data.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub consumers: Vec<String>,
    /// Contract version (semver, default 1.0.0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Breaking-change policy: notify-30-days, version-bump or never-break.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    /// Status: proposed, draft, active, deprecated, retired.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Business domain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    /// Where breaking changes are announced (channel name or URL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notification_channel: Option<String>,
    /// SLA; missing parts take the playbook defaults.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sla: Option<Sla>,
    /// Extra quality rules.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub quality: Vec<QualityRule>,
    /// The `odcs_quality` YAML of generate_quality_checks, merged into the contract.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub odcs_quality: Option<String>,
    /// Project id: record the result in this project.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
}

/// The result of `generate_data_contract`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DataContract {
    /// Contract id.
    pub id: String,
    /// Table.
    pub table: String,
    /// Version.
    pub version: String,
    /// Breaking-change policy.
    pub policy: String,
    /// Table classification level.
    pub classification: String,
    /// Columns flagged as PII.
    pub pii_columns: Vec<String>,
    /// Number of quality rules.
    pub quality_rules: usize,
    /// The ODCS v3 document as YAML: the file to save, given once (its facts above are
    /// the summary an agent acts on).
    pub yaml: String,
    /// Facts the contract lacks (owner, consumers), as questions.
    pub questions: Vec<String>,
}

fn check_semver(v: &str, field: &str) -> Result<()> {
    let parts: Vec<&str> = v
        .split(['-', '+'])
        .next()
        .unwrap_or_default()
        .split('.')
        .collect();
    if parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
    {
        Ok(())
    } else {
        Err(Error::invalid(format!(
            "{field}: `{v}` is not a semantic version (MAJOR.MINOR.PATCH, e.g. 1.0.0)"
        )))
    }
}

fn today() -> chrono::NaiveDate {
    chrono::Utc::now().date_naive()
}

/// Classifies a table by names (and samples for live tables) and writes the result
/// into the schema: declared PII flags and levels are kept, detections fill the rest.
async fn classified(
    app: &App,
    resolved: &source::Resolved,
    table: TableSchema,
) -> Result<(TableSchema, Classification)> {
    let book = &app.playbooks.governance;
    let samples = match &resolved.datasource {
        Some(ds) => {
            source::sample(app, ds, &table, u64::from(book.classification.sample_rows)).await?
        }
        None => BTreeMap::new(),
    };
    let origin = resolved.datasource.as_ref().map(|_| "datasource");
    let result = classify::classify(
        book,
        &table,
        &samples,
        origin,
        &classify::Lineage::default(),
        today(),
    )?;
    let mut table = table;
    for column in &mut table.columns {
        if let Some(c) = result.columns.iter().find(|c| c.column == column.name) {
            if column.pii.is_none() {
                column.pii = Some(c.pii);
            }
            if column.pii_kind.is_none() && column.pii == Some(true) {
                column.pii_kind = c.kind.clone();
            }
            if column.classification.is_none() {
                column.classification = Some(c.level.clone());
            }
        }
    }
    if table.classification.is_none() {
        table.classification = Some(result.level.clone());
    }
    Ok((table, result))
}

/// `generate_data_contract`.
pub async fn generate_contract(
    app: &App,
    params: &GenerateDataContractParams,
) -> Result<DataContract> {
    let book = &app.playbooks.governance;
    let policy = params
        .policy
        .clone()
        .unwrap_or_else(|| book.default_policy.clone());
    if book.policy(&policy).is_none() {
        let valid: Vec<String> = book
            .policies
            .iter()
            .map(|p| format!("`{}`", p.id))
            .collect();
        return Err(Error::invalid(format!(
            "policy: unknown breaking-change policy `{policy}`; valid: {}",
            valid.join(", ")
        )));
    }
    let version = params
        .version
        .clone()
        .unwrap_or_else(|| book.contracts.default_version.clone());
    check_semver(&version, "version")?;
    let status = params
        .status
        .clone()
        .unwrap_or_else(|| book.contracts.default_status.clone());
    if !STATUSES.contains(&status.as_str()) {
        return Err(Error::invalid(format!(
            "status: unknown `{status}`; allowed: {}",
            STATUSES.join(", ")
        )));
    }
    let defaults = &book.contracts.default_sla;
    let given = params.sla.clone().unwrap_or_default();
    let sla = Sla {
        freshness_hours: given.freshness_hours.or(Some(defaults.freshness_hours)),
        freshness_column: given.freshness_column.clone(),
        availability_percent: given
            .availability_percent
            .or(Some(defaults.availability_percent)),
        support_hours: given
            .support_hours
            .clone()
            .or(Some(defaults.support_hours.clone())),
    };
    if let Some(h) = sla.freshness_hours.filter(|h| !(h.is_finite() && *h > 0.0)) {
        return Err(Error::invalid(format!(
            "sla.freshness_hours: {h} must be above 0"
        )));
    }
    if let Some(a) = sla
        .availability_percent
        .filter(|a| !(0.0..=100.0).contains(a))
    {
        return Err(Error::invalid(format!(
            "sla.availability_percent: {a} must be within 0-100"
        )));
    }
    if let Some(s) = sla
        .support_hours
        .as_ref()
        .filter(|s| !book.contracts.support_hours.contains(s))
    {
        return Err(Error::invalid(format!(
            "sla.support_hours: unknown `{s}`; allowed: {}",
            book.contracts.support_hours.join(", ")
        )));
    }
    let resolved = source::resolve(app, &params.table, "table").await?;
    let table = source::single(&resolved, "table")?;
    if let Some(col) = &sla.freshness_column
        && table.column(col).is_none()
    {
        return Err(Error::invalid(format!(
            "sla.freshness_column: `{col}` is not a column of `{}`",
            table.name
        )));
    }
    let (table, result) = classified(app, &resolved, table).await?;
    let mut quality = contract::schema_rules(&table);
    for (i, rule) in params.quality.iter().enumerate() {
        contract::validate_rule(rule, &format!("quality[{i}]"), &table)?;
        if quality.iter().any(|r| r.id == rule.id) {
            return Err(Error::invalid(format!(
                "quality[{i}].id: `{}` is already used",
                rule.id
            )));
        }
        quality.push(rule.clone());
    }
    let imported = match &params.odcs_quality {
        Some(text) => contract::import_quality(text, "odcs_quality")?,
        None => Vec::new(),
    };
    let owner = params
        .owner
        .clone()
        .or_else(|| resolved.contract.as_ref().and_then(|c| c.owner.clone()));
    let consumers = if params.consumers.is_empty() {
        resolved
            .contract
            .as_ref()
            .map(|c| c.consumers.clone())
            .unwrap_or_default()
    } else {
        params.consumers.clone()
    };
    let meta = contract::ContractMeta {
        id: format!("urn:dana:contract:{}", contract::stable_id(&table.name)),
        version: version.clone(),
        status,
        owner: owner.clone(),
        consumers: consumers.clone(),
        domain: params.domain.clone(),
        policy: policy.clone(),
        notification_channel: params.notification_channel.clone(),
        sla,
        quality: quality.clone(),
        imported_quality: imported.clone(),
    };
    let doc = contract::build(book, &table, &meta)?;
    let yaml = contract::to_yaml(&doc)?;
    let mut questions = Vec::new();
    if owner.is_none() {
        questions.push("Which team owns (produces) this table? Pass `owner`.".to_string());
    }
    if consumers.is_empty() {
        questions.push(
            "Which teams consume this table? Pass `consumers` so breaking changes reach them."
                .to_string(),
        );
    }
    if params.notification_channel.is_none() {
        questions
            .push("Where are breaking changes announced? Pass `notification_channel`.".to_string());
    }
    Ok(DataContract {
        id: meta.id,
        table: table.name.clone(),
        version,
        policy,
        classification: result.level,
        pii_columns: result.pii_columns,
        quality_rules: quality.len() + imported.len(),
        yaml,
        questions,
    })
}

/// Params of `diff_schemas`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DiffSchemasParams {
    /// The old side, from exactly one source (`datasource` needs `table`).
    pub old: TableSource,
    /// The new side, same forms.
    pub new: TableSource,
    /// Policy to apply instead of the old contract's: notify-30-days, version-bump, never-break.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    /// Project id: record the result in this project.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
}

/// `diff_schemas`.
pub async fn diff_schemas(app: &App, params: &DiffSchemasParams) -> Result<SchemaDiff> {
    let old = source::resolve(app, &params.old, "old").await?;
    let new = source::resolve(app, &params.new, "new").await?;
    diff::diff(
        &app.playbooks.governance,
        &old.side,
        &new.side,
        params.policy.as_deref(),
        today(),
    )
}

/// A foreign key pointing at the classified table.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Reference {
    /// Referencing table.
    pub table: String,
    /// Referencing column.
    pub column: String,
}

/// Params of `classify_data`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClassifyDataParams {
    /// The table, from exactly one source (`datasource` + `table` samples live values).
    pub table: TableSource,
    /// Values per column (no datasource); never echoed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub samples: Option<BTreeMap<String, Vec<String>>>,
    /// Rows to sample (default from the playbook).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sample_rows: Option<u32>,
    /// Tables derived from this one (right to delete).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub downstream: Vec<String>,
    /// Foreign keys into this table.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub referenced_by: Vec<Reference>,
    /// Masking SQL (view, grants).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub masking: Option<masking::MaskingRequest>,
    /// Project id: record the result in this project.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
}

/// `classify_data`.
pub async fn classify_data(app: &App, params: &ClassifyDataParams) -> Result<Classification> {
    let book = &app.playbooks.governance;
    let resolved = source::resolve(app, &params.table, "table").await?;
    let table = source::single(&resolved, "table")?;
    let rows = params
        .sample_rows
        .unwrap_or(book.classification.sample_rows);
    if rows == 0 || rows > 100_000 {
        return Err(Error::invalid(format!(
            "sample_rows: {rows} is outside 1-100000"
        )));
    }
    let (samples, origin) = match (&resolved.datasource, &params.samples) {
        (Some(_), Some(_)) => {
            return Err(Error::invalid(
                "samples: a datasource table is sampled by dana; leave `samples` out",
            ));
        }
        (Some(ds), None) => (
            source::sample(app, ds, &table, u64::from(rows)).await?,
            Some("datasource"),
        ),
        (None, Some(s)) => {
            for name in s.keys() {
                if table.column(name).is_none() {
                    return Err(Error::invalid(format!(
                        "samples: `{name}` is not a column of `{}`",
                        table.name
                    )));
                }
            }
            (s.clone(), Some("given"))
        }
        (None, None) => (BTreeMap::new(), None),
    };
    let mut referenced_by: Vec<(String, String)> = params
        .referenced_by
        .iter()
        .map(|r| (r.table.clone(), r.column.clone()))
        .collect();
    for known in resolved
        .referenced_by
        .get(&table.name)
        .into_iter()
        .flatten()
    {
        if !referenced_by.contains(known) {
            referenced_by.push(known.clone());
        }
    }
    let lineage = classify::Lineage {
        referenced_by,
        downstream: params.downstream.clone(),
    };
    let mut result = classify::classify(book, &table, &samples, origin, &lineage, today())?;
    if let Some(request) = &params.masking {
        result.masking = Some(masking::build(book, &table, &result, request)?);
    }
    Ok(result)
}

/// Params of `generate_catalog_entry`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GenerateCatalogEntryParams {
    /// The table, from exactly one source (`datasource` needs `table`).
    pub table: TableSource,
    /// What you know (owner, steward, domain, tier, lineage, refresh, quality, usage); the rest becomes questions.
    #[serde(default)]
    pub facts: CatalogFacts,
    /// Project id: record the result in this project.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
}

/// `generate_catalog_entry`.
pub async fn generate_catalog_entry(
    app: &App,
    params: &GenerateCatalogEntryParams,
) -> Result<CatalogEntry> {
    let book = &app.playbooks.governance;
    let resolved = source::resolve(app, &params.table, "table").await?;
    let table = source::single(&resolved, "table")?;
    let (table, classification) = classified(app, &resolved, table).await?;
    let (dataset, questions, filled) = catalog::build(
        book,
        &table,
        &params.facts,
        &classification,
        resolved.contract.as_ref(),
    )?;
    let context = serde_json::json!({ "dataset": dataset, "questions": questions });
    let yaml = app
        .templates
        .render("governance/catalog_entry.yaml.j2", &context)?;
    Ok(CatalogEntry {
        yaml,
        questions,
        filled,
    })
}
