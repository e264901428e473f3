//! Data contracts in the Open Data Contract Standard (ODCS v3): generated from a
//! [`TableSchema`] with classification, quality rules, SLA, owner, consumers, version and
//! breaking-change policy; and read back into tables (any ODCS v3 document, not only
//! dana's), so a contract can be diffed against a model, a live table or another
//! contract.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::schema::{ColumnSchema, ColumnType, TableSchema, TypeFamily};
use crate::error::{Error, Result};
use crate::playbook::GovernanceBook;

/// Custom property names dana writes (and reads back).
const CP_POLICY: &str = "breakingChangePolicy";
const CP_CONSUMERS: &str = "consumers";
const CP_OWNER: &str = "owner";
const CP_CHANNEL: &str = "notificationChannel";
const CP_PII: &str = "pii";
const CP_PII_KIND: &str = "piiKind";
const CP_BUSINESS: &str = "businessDefinition";

/// SLA of a contract.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Sla {
    /// Data is at most this many hours old.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub freshness_hours: Option<f64>,
    /// Timestamp column freshness is measured on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub freshness_column: Option<String>,
    /// Availability in percent (e.g. 99.9).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub availability_percent: Option<f64>,
    /// `business-hours` or `24x7`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub support_hours: Option<String>,
}

/// A quality rule in a contract (ODCS `quality` entry, library or SQL).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct QualityRule {
    /// Stable id (letters, digits, `_`, `-`).
    pub id: String,
    /// Column the rule is on; none = table-level.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    /// What it checks.
    pub description: String,
    /// ODCS dimension: accuracy, completeness, conformity, consistency, coverage, timeliness, uniqueness.
    pub dimension: String,
    /// ODCS library metric (nullValues, missingValues, invalidValues, duplicateValues, rowCount); none with `query`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metric: Option<String>,
    /// SQL returning one number (instead of `metric`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
    /// Comparison: mustBe, mustBeLessOrEqualTo, mustBeGreaterThan, mustBeGreaterOrEqualTo, mustBeLessThan.
    pub operator: String,
    /// Threshold of the comparison.
    pub threshold: f64,
    /// Extra metric arguments (e.g. `validValues`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arguments: Option<serde_json::Map<String, Value>>,
    /// Severity (P0-P3 or error/warning/info).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<String>,
}

/// Everything a contract says besides the table.
#[derive(Debug, Clone, PartialEq)]
pub struct ContractMeta {
    /// Contract id.
    pub id: String,
    /// Version.
    pub version: String,
    /// Status.
    pub status: String,
    /// Owning team.
    pub owner: Option<String>,
    /// Consuming teams.
    pub consumers: Vec<String>,
    /// Domain.
    pub domain: Option<String>,
    /// Breaking-change policy id.
    pub policy: String,
    /// Where changes are announced.
    pub notification_channel: Option<String>,
    /// SLA.
    pub sla: Sla,
    /// Quality rules (dana's own from the schema, plus any given).
    pub quality: Vec<QualityRule>,
    /// ODCS rules imported as they are (from generate_quality_checks), table-level.
    pub imported_quality: Vec<Value>,
}

/// A contract read back from YAML.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedContract {
    /// Contract id.
    pub id: String,
    /// Version.
    pub version: String,
    /// Breaking-change policy, when declared.
    pub policy: Option<String>,
    /// Consumers, when declared.
    pub consumers: Vec<String>,
    /// Owner, when declared.
    pub owner: Option<String>,
    /// Domain.
    pub domain: Option<String>,
    /// Tables.
    pub tables: Vec<TableSchema>,
    /// Quality rules per table name.
    pub quality: Vec<(String, Vec<QualityRule>)>,
    /// SLA.
    pub sla: Sla,
}

/// Quality rules implied by the schema: keys and not-null columns have no nulls,
/// keys and unique columns no duplicates, enumerations no other values, and the table
/// is not empty.
pub fn schema_rules(table: &TableSchema) -> Vec<QualityRule> {
    let mut rules = vec![QualityRule {
        id: stable_id(&format!("{}_row_count", table.name)),
        column: None,
        description: format!("`{}` has rows", table.name),
        dimension: "completeness".to_string(),
        metric: Some("rowCount".to_string()),
        query: None,
        operator: "mustBeGreaterThan".to_string(),
        threshold: 0.0,
        arguments: None,
        severity: Some("error".to_string()),
    }];
    for c in &table.columns {
        if !c.nullable || c.primary_key {
            rules.push(QualityRule {
                id: stable_id(&format!("{}_{}_not_null", table.name, c.name)),
                column: Some(c.name.clone()),
                description: format!("`{}` is never null", c.name),
                dimension: "completeness".to_string(),
                metric: Some("nullValues".to_string()),
                query: None,
                operator: "mustBe".to_string(),
                threshold: 0.0,
                arguments: None,
                severity: Some("error".to_string()),
            });
        }
        let single_key = c.primary_key && table.key_columns().len() == 1;
        if c.unique || single_key {
            rules.push(QualityRule {
                id: stable_id(&format!("{}_{}_unique", table.name, c.name)),
                column: Some(c.name.clone()),
                description: format!("`{}` has no duplicates", c.name),
                dimension: "uniqueness".to_string(),
                metric: Some("duplicateValues".to_string()),
                query: None,
                operator: "mustBe".to_string(),
                threshold: 0.0,
                arguments: None,
                severity: Some("error".to_string()),
            });
        }
        if let Some(values) = &c.enum_values {
            let mut args = serde_json::Map::new();
            args.insert("validValues".to_string(), json!(values));
            rules.push(QualityRule {
                id: stable_id(&format!("{}_{}_accepted_values", table.name, c.name)),
                column: Some(c.name.clone()),
                description: format!("`{}` holds only its accepted values", c.name),
                dimension: "conformity".to_string(),
                metric: Some("invalidValues".to_string()),
                query: None,
                operator: "mustBe".to_string(),
                threshold: 0.0,
                arguments: Some(args),
                severity: Some("warning".to_string()),
            });
        }
    }
    rules
}

/// Reads the `quality:` list of an ODCS quality section (as generate_quality_checks
/// writes it) and checks each rule has what ODCS needs.
pub fn import_quality(text: &str, field: &str) -> Result<Vec<Value>> {
    let doc: Value = serde_norway::from_str(text)
        .map_err(|e| Error::invalid(format!("{field}: not valid YAML: {e}")))?;
    let rules = doc
        .get("quality")
        .and_then(Value::as_array)
        .ok_or_else(|| {
            Error::invalid(format!("{field}: expected a `quality:` list of ODCS rules"))
        })?;
    let mut out = Vec::new();
    for (i, rule) in rules.iter().enumerate() {
        let Some(obj) = rule.as_object() else {
            return Err(Error::invalid(format!(
                "{field}.quality[{i}]: must be a mapping"
            )));
        };
        let kind = obj.get("type").and_then(Value::as_str).unwrap_or("library");
        match kind {
            "sql" if obj.get("query").and_then(Value::as_str).is_some() => {}
            "library" if obj.get("metric").and_then(Value::as_str).is_some() => {}
            "text" | "custom" => {}
            other => {
                return Err(Error::invalid(format!(
                    "{field}.quality[{i}]: rule of type `{other}` lacks its `query` or `metric`"
                )));
            }
        }
        if let Some(d) = obj.get("dimension").and_then(Value::as_str)
            && !DIMENSIONS.contains(&d)
        {
            return Err(Error::invalid(format!(
                "{field}.quality[{i}].dimension: unknown `{d}`; allowed: {}",
                DIMENSIONS.join(", ")
            )));
        }
        out.push(rule.clone());
    }
    Ok(out)
}

/// Makes a StableId (`^[A-Za-z0-9_-]+$`) from any text.
pub fn stable_id(text: &str) -> String {
    let s: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if s.is_empty() { "id".to_string() } else { s }
}

const DIMENSIONS: &[&str] = &[
    "accuracy",
    "completeness",
    "conformity",
    "consistency",
    "coverage",
    "timeliness",
    "uniqueness",
];
const METRICS: &[&str] = &[
    "nullValues",
    "missingValues",
    "invalidValues",
    "duplicateValues",
    "rowCount",
];
const OPERATORS: &[&str] = &[
    "mustBe",
    "mustNotBe",
    "mustBeGreaterThan",
    "mustBeGreaterOrEqualTo",
    "mustBeLessThan",
    "mustBeLessOrEqualTo",
];

/// Checks a quality rule against what ODCS accepts.
pub fn validate_rule(rule: &QualityRule, field: &str, table: &TableSchema) -> Result<()> {
    if rule.id.is_empty() || rule.id != stable_id(&rule.id) {
        return Err(Error::invalid(format!(
            "{field}.id: `{}` must be letters, digits, `_` or `-`",
            rule.id
        )));
    }
    if !DIMENSIONS.contains(&rule.dimension.as_str()) {
        return Err(Error::invalid(format!(
            "{field}.dimension: unknown `{}`; allowed: {}",
            rule.dimension,
            DIMENSIONS.join(", ")
        )));
    }
    if !OPERATORS.contains(&rule.operator.as_str()) {
        return Err(Error::invalid(format!(
            "{field}.operator: unknown `{}`; allowed: {}",
            rule.operator,
            OPERATORS.join(", ")
        )));
    }
    match (&rule.metric, &rule.query) {
        (Some(m), None) if METRICS.contains(&m.as_str()) => {}
        (Some(m), None) => {
            return Err(Error::invalid(format!(
                "{field}.metric: unknown `{m}`; allowed: {}",
                METRICS.join(", ")
            )));
        }
        (None, Some(q)) if !q.trim().is_empty() => {}
        _ => {
            return Err(Error::invalid(format!(
                "{field}: give exactly one of `metric` and `query`"
            )));
        }
    }
    if let Some(column) = &rule.column
        && table.column(column).is_none()
    {
        return Err(Error::invalid(format!(
            "{field}.column: `{column}` is not a column of `{}`",
            table.name
        )));
    }
    Ok(())
}

fn rule_json(rule: &QualityRule) -> Value {
    let mut m = serde_json::Map::new();
    m.insert("id".into(), json!(rule.id));
    m.insert("description".into(), json!(rule.description));
    m.insert("dimension".into(), json!(rule.dimension));
    match (&rule.metric, &rule.query) {
        (Some(metric), _) => {
            m.insert("type".into(), json!("library"));
            m.insert("metric".into(), json!(metric));
        }
        (None, Some(query)) => {
            m.insert("type".into(), json!("sql"));
            m.insert("query".into(), json!(query));
        }
        (None, None) => {}
    }
    if let Some(args) = &rule.arguments {
        m.insert("arguments".into(), Value::Object(args.clone()));
    }
    m.insert(rule.operator.clone(), number(rule.threshold));
    if let Some(sev) = &rule.severity {
        m.insert("severity".into(), json!(sev));
    }
    Value::Object(m)
}

fn number(x: f64) -> Value {
    if x.fract() == 0.0 && x.abs() < 9.0e15 {
        json!(x as i64)
    } else {
        json!(x)
    }
}

fn custom(property: &str, value: Value) -> Value {
    json!({ "property": property, "value": value })
}

fn property_json(table: &TableSchema, c: &ColumnSchema, rules: &[&QualityRule]) -> Result<Value> {
    let t = ColumnType::parse(&c.data_type)
        .map_err(|e| Error::invalid(format!("columns `{}`.type: {e}", c.name)))?;
    let mut m = serde_json::Map::new();
    m.insert("name".into(), json!(c.name));
    m.insert("physicalName".into(), json!(c.name));
    m.insert("logicalType".into(), json!(t.odcs_logical()));
    m.insert("physicalType".into(), json!(t.to_string()));
    let mut options = serde_json::Map::new();
    match t.family {
        TypeFamily::String => {
            if let Some(n) = t.length {
                options.insert("maxLength".into(), json!(n));
            }
        }
        TypeFamily::Uuid => {
            options.insert("format".into(), json!("uuid"));
        }
        TypeFamily::Integer => {
            let format = match t.bits.unwrap_or(32) {
                8 => "i8",
                16 => "i16",
                24 | 32 => "i32",
                64 => "i64",
                _ => "i128",
            };
            options.insert("format".into(), json!(format));
        }
        TypeFamily::Float => {
            options.insert(
                "format".into(),
                json!(if t.bits == Some(32) { "f32" } else { "f64" }),
            );
        }
        TypeFamily::TimestampTz => {
            options.insert("timezone".into(), json!(true));
        }
        TypeFamily::Timestamp => {
            options.insert("timezone".into(), json!(false));
        }
        _ => {}
    }
    if !options.is_empty() {
        m.insert("logicalTypeOptions".into(), Value::Object(options));
    }
    m.insert("required".into(), json!(!c.nullable || c.primary_key));
    if c.unique {
        m.insert("unique".into(), json!(true));
    }
    if c.primary_key {
        let keys = table.key_columns();
        let pos = keys
            .iter()
            .position(|k| k.eq_ignore_ascii_case(&c.name))
            .map_or(1, |p| p + 1);
        m.insert("primaryKey".into(), json!(true));
        m.insert("primaryKeyPosition".into(), json!(pos));
    }
    if let Some(d) = &c.description {
        m.insert("description".into(), json!(d));
    }
    if let Some(level) = &c.classification {
        m.insert("classification".into(), json!(level));
    }
    if c.pii == Some(true) {
        let mut tags = vec![json!("pii")];
        if let Some(kind) = &c.pii_kind {
            tags.push(json!(format!("pii:{kind}")));
        }
        m.insert("tags".into(), Value::Array(tags));
    }
    if let Some(values) = &c.enum_values {
        let items: Vec<Value> = values.iter().map(|v| json!({ "value": v })).collect();
        m.insert("enum".into(), Value::Array(items));
    }
    if let Some(target) = c.references.as_ref().filter(|r| is_shorthand_reference(r)) {
        m.insert(
            "relationships".into(),
            json!([{ "type": "foreignKey", "to": target }]),
        );
    }
    let quality: Vec<Value> = rules.iter().map(|r| rule_json(r)).collect();
    if !quality.is_empty() {
        m.insert("quality".into(), Value::Array(quality));
    }
    let mut cps = Vec::new();
    if let Some(pii) = c.pii {
        cps.push(custom(CP_PII, json!(pii)));
    }
    if let Some(kind) = &c.pii_kind {
        cps.push(custom(CP_PII_KIND, json!(kind)));
    }
    if let Some(b) = &c.business_definition {
        cps.push(custom(CP_BUSINESS, json!(b)));
    }
    if !cps.is_empty() {
        m.insert("customProperties".into(), Value::Array(cps));
    }
    Ok(Value::Object(m))
}

/// Whether a reference can be written as an ODCS shorthand (`table.column`).
pub fn is_shorthand_reference(r: &str) -> bool {
    let part_ok = |p: &str| {
        let mut chars = p.chars();
        matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    };
    let parts: Vec<&str> = r.split('.').collect();
    parts.len() >= 2 && parts.iter().all(|p| part_ok(p))
}

/// Builds the ODCS document for one table.
pub fn build(book: &GovernanceBook, table: &TableSchema, meta: &ContractMeta) -> Result<Value> {
    let mut doc = serde_json::Map::new();
    doc.insert("apiVersion".into(), json!(book.contracts.api_version));
    doc.insert("kind".into(), json!("DataContract"));
    doc.insert("id".into(), json!(meta.id));
    doc.insert("name".into(), json!(table.name));
    doc.insert("version".into(), json!(meta.version));
    doc.insert("status".into(), json!(meta.status));
    if let Some(domain) = &meta.domain {
        doc.insert("domain".into(), json!(domain));
    }
    let purpose = table
        .description
        .clone()
        .unwrap_or_else(|| format!("Contract for `{}`", table.name));
    doc.insert("description".into(), json!({ "purpose": purpose }));
    let mut object = serde_json::Map::new();
    object.insert("name".into(), json!(table.name));
    object.insert("physicalName".into(), json!(table.name));
    object.insert("physicalType".into(), json!("table"));
    object.insert("logicalType".into(), json!("object"));
    if let Some(d) = &table.description {
        object.insert("description".into(), json!(d));
    }
    let mut properties = Vec::new();
    for c in &table.columns {
        let rules: Vec<&QualityRule> = meta
            .quality
            .iter()
            .filter(|r| {
                r.column
                    .as_deref()
                    .is_some_and(|n| n.eq_ignore_ascii_case(&c.name))
            })
            .collect();
        properties.push(property_json(table, c, &rules)?);
    }
    object.insert("properties".into(), Value::Array(properties));
    let table_rules: Vec<Value> = meta
        .quality
        .iter()
        .filter(|r| r.column.is_none())
        .map(rule_json)
        .chain(meta.imported_quality.iter().cloned())
        .collect();
    if !table_rules.is_empty() {
        object.insert("quality".into(), Value::Array(table_rules));
    }
    let mut object_cps = Vec::new();
    if let Some(level) = &table.classification {
        object_cps.push(custom("classification", json!(level)));
    }
    if !object_cps.is_empty() {
        object.insert("customProperties".into(), Value::Array(object_cps));
    }
    doc.insert("schema".into(), json!([Value::Object(object)]));
    if let Some(owner) = &meta.owner {
        doc.insert(
            "team".into(),
            json!({ "name": owner, "description": "Produces this dataset and answers for the contract." }),
        );
    }
    if let Some(channel) = &meta.notification_channel {
        doc.insert(
            "support".into(),
            json!([{ "channel": channel, "scope": "announcements", "description": "Where breaking changes are announced." }]),
        );
    }
    let mut sla = Vec::new();
    if let Some(h) = meta.sla.freshness_hours {
        let mut p = serde_json::Map::new();
        p.insert("property".into(), json!("latency"));
        p.insert("value".into(), number(h));
        p.insert("unit".into(), json!("h"));
        if let Some(col) = &meta.sla.freshness_column {
            p.insert("element".into(), json!(format!("{}.{col}", table.name)));
        }
        p.insert("description".into(), json!("Data is at most this old."));
        sla.push(Value::Object(p));
    }
    if let Some(a) = meta.sla.availability_percent {
        sla.push(json!({ "property": "availability", "value": number(a), "unit": "percent" }));
    }
    if let Some(s) = &meta.sla.support_hours {
        sla.push(json!({ "property": "supportHours", "value": s }));
    }
    if !sla.is_empty() {
        doc.insert("slaProperties".into(), Value::Array(sla));
    }
    let mut cps = vec![custom(CP_POLICY, json!(meta.policy))];
    if let Some(owner) = &meta.owner {
        cps.push(custom(CP_OWNER, json!(owner)));
    }
    cps.push(custom(CP_CONSUMERS, json!(meta.consumers)));
    if let Some(channel) = &meta.notification_channel {
        cps.push(custom(CP_CHANNEL, json!(channel)));
    }
    doc.insert("customProperties".into(), Value::Array(cps));
    Ok(Value::Object(doc))
}

/// The document as YAML.
pub fn to_yaml(doc: &Value) -> Result<String> {
    serde_norway::to_string(doc)
        .map_err(|e| Error::invalid(format!("contract is not serializable: {e}")))
}

fn str_at<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

fn customs(v: &Value) -> Vec<(&str, &Value)> {
    v.get("customProperties")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|cp| Some((str_at(cp, "property")?, cp.get("value")?)))
                .collect()
        })
        .unwrap_or_default()
}

fn custom_str(v: &Value, key: &str) -> Option<String> {
    customs(v)
        .into_iter()
        .find(|(k, _)| *k == key)
        .and_then(|(_, v)| v.as_str().map(str::to_string))
}

/// Reads an ODCS v3 contract (YAML or JSON text). `field` names the argument in errors.
pub fn parse(text: &str, field: &str) -> Result<ParsedContract> {
    let doc: Value = serde_norway::from_str(text)
        .map_err(|e| Error::invalid(format!("{field}: not valid YAML: {e}")))?;
    if !doc.is_object() {
        return Err(Error::invalid(format!(
            "{field}: not an ODCS data contract (expected a mapping with `apiVersion`, `kind: DataContract`, `id`, `version`, `schema`)"
        )));
    }
    let kind = str_at(&doc, "kind");
    if kind != Some("DataContract") {
        return Err(Error::invalid(format!(
            "{field}.kind: not an ODCS data contract: `kind` is {}, expected `DataContract`",
            kind.map_or("missing".to_string(), |k| format!("`{k}`"))
        )));
    }
    let api = str_at(&doc, "apiVersion").ok_or_else(|| {
        Error::invalid(format!(
            "{field}.apiVersion: missing (ODCS needs e.g. `v3.1.0`)"
        ))
    })?;
    if !api.starts_with("v3.") {
        return Err(Error::invalid(format!(
            "{field}.apiVersion: `{api}` is not ODCS v3 (v3.0.0 to v3.2.0 are read)"
        )));
    }
    let id = str_at(&doc, "id")
        .ok_or_else(|| Error::invalid(format!("{field}.id: missing (ODCS requires it)")))?
        .to_string();
    let version = match doc.get("version") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => {
            return Err(Error::invalid(format!(
                "{field}.version: missing (ODCS requires it)"
            )));
        }
    };
    let objects = match doc.get("schema") {
        Some(Value::Array(a)) if !a.is_empty() => a,
        Some(Value::Array(_)) | None => {
            return Err(Error::invalid(format!(
                "{field}.schema: the contract describes no table"
            )));
        }
        Some(_) => {
            return Err(Error::invalid(format!(
                "{field}.schema: must be a list of objects (tables)"
            )));
        }
    };
    let mut tables = Vec::new();
    let mut quality = Vec::new();
    for (i, object) in objects.iter().enumerate() {
        let path = format!("{field}.schema[{i}]");
        let (table, rules) = parse_object(object, &path)?;
        quality.push((table.name.clone(), rules));
        tables.push(table);
    }
    let consumers = customs(&doc)
        .into_iter()
        .find(|(k, _)| *k == CP_CONSUMERS)
        .and_then(|(_, v)| v.as_array().cloned())
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let owner = custom_str(&doc, CP_OWNER).or_else(|| {
        doc.get("team")
            .and_then(|t| str_at(t, "name"))
            .map(str::to_string)
    });
    let mut sla = Sla::default();
    if let Some(props) = doc.get("slaProperties").and_then(Value::as_array) {
        for p in props {
            match str_at(p, "property") {
                Some("latency") => {
                    let hours = p.get("value").and_then(Value::as_f64);
                    let factor = match str_at(p, "unit").unwrap_or("h") {
                        "d" | "day" | "days" => 24.0,
                        "m" | "min" | "minutes" => 1.0 / 60.0,
                        _ => 1.0,
                    };
                    sla.freshness_hours = hours.map(|h| h * factor);
                    sla.freshness_column = str_at(p, "element")
                        .and_then(|e| e.rsplit_once('.'))
                        .map(|(_, c)| c.to_string());
                }
                Some("availability") => {
                    sla.availability_percent = p.get("value").and_then(Value::as_f64)
                }
                Some("supportHours") => {
                    sla.support_hours = str_at(p, "value").map(str::to_string);
                }
                _ => {}
            }
        }
    }
    Ok(ParsedContract {
        id,
        version,
        policy: custom_str(&doc, CP_POLICY),
        consumers,
        owner,
        domain: str_at(&doc, "domain").map(str::to_string),
        tables,
        quality,
        sla,
    })
}

fn parse_object(object: &Value, path: &str) -> Result<(TableSchema, Vec<QualityRule>)> {
    let name = str_at(object, "name")
        .ok_or_else(|| Error::invalid(format!("{path}.name: missing")))?
        .to_string();
    let props = object
        .get("properties")
        .and_then(Value::as_array)
        .ok_or_else(|| {
            Error::invalid(format!(
                "{path}.properties: table `{name}` lists no properties"
            ))
        })?;
    let mut columns = Vec::new();
    let mut keys: Vec<(i64, String)> = Vec::new();
    let mut rules = Vec::new();
    for (j, p) in props.iter().enumerate() {
        let ppath = format!("{path}.properties[{j}]");
        let cname = str_at(p, "name")
            .ok_or_else(|| Error::invalid(format!("{ppath}.name: missing")))?
            .to_string();
        let data_type = property_type(p, &ppath)?;
        let required = p.get("required").and_then(Value::as_bool).unwrap_or(false);
        let primary_key = p
            .get("primaryKey")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        if primary_key {
            let pos = p
                .get("primaryKeyPosition")
                .and_then(Value::as_i64)
                .unwrap_or(-1);
            keys.push((if pos < 0 { i64::MAX } else { pos }, cname.clone()));
        }
        let mut enum_values: Option<Vec<String>> =
            p.get("enum").and_then(Value::as_array).map(|a| {
                a.iter()
                    .filter_map(|e| e.get("value").or(Some(e)).map(scalar_text))
                    .collect()
            });
        let mut column_rules = Vec::new();
        if let Some(q) = p.get("quality").and_then(Value::as_array) {
            for rule in q {
                if let Some(r) = parse_rule(rule, Some(&cname)) {
                    if enum_values.is_none() && r.metric.as_deref() == Some("invalidValues") {
                        enum_values = r
                            .arguments
                            .as_ref()
                            .and_then(|a| a.get("validValues"))
                            .and_then(Value::as_array)
                            .map(|a| a.iter().map(scalar_text).collect());
                    }
                    column_rules.push(r);
                }
            }
        }
        rules.extend(column_rules);
        let cps = customs(p);
        let pii = cps
            .iter()
            .find(|(k, _)| *k == CP_PII)
            .and_then(|(_, v)| v.as_bool())
            .or_else(|| {
                p.get("tags")
                    .and_then(Value::as_array)
                    .filter(|t| t.iter().any(|t| t.as_str() == Some("pii")))
                    .map(|_| true)
            });
        let references = p
            .get("relationships")
            .and_then(Value::as_array)
            .and_then(|a| a.first())
            .and_then(|r| r.get("to"))
            .and_then(Value::as_str)
            .map(str::to_string);
        columns.push(ColumnSchema {
            name: cname,
            data_type,
            nullable: !required && !primary_key,
            primary_key,
            unique: p.get("unique").and_then(Value::as_bool).unwrap_or(false),
            enum_values,
            description: str_at(p, "description").map(str::to_string),
            business_definition: custom_str(p, CP_BUSINESS),
            pii,
            pii_kind: custom_str(p, CP_PII_KIND),
            classification: str_at(p, "classification").map(str::to_string),
            references,
        });
    }
    if let Some(q) = object.get("quality").and_then(Value::as_array) {
        for rule in q {
            if let Some(r) = parse_rule(rule, None) {
                rules.push(r);
            }
        }
    }
    keys.sort();
    let table = TableSchema {
        name,
        description: str_at(object, "description").map(str::to_string),
        columns,
        primary_key: keys.into_iter().map(|(_, k)| k).collect(),
        classification: custom_str(object, "classification"),
        sources: Vec::new(),
        downstream: Vec::new(),
    };
    table.validate(path)?;
    Ok((table, rules))
}

fn scalar_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The column type of an ODCS property: its physical type, else one derived from the
/// logical type and its options.
fn property_type(p: &Value, path: &str) -> Result<String> {
    if let Some(physical) = str_at(p, "physicalType") {
        ColumnType::parse(physical)
            .map_err(|e| Error::invalid(format!("{path}.physicalType: {e}")))?;
        return Ok(physical.to_string());
    }
    let logical = str_at(p, "logicalType")
        .ok_or_else(|| Error::invalid(format!("{path}: give `physicalType` or `logicalType`")))?;
    let options = p.get("logicalTypeOptions");
    let opt = |k: &str| options.and_then(|o| o.get(k));
    let t = match logical {
        "string" => match opt("maxLength").and_then(Value::as_u64) {
            Some(n) => format!("varchar({n})"),
            None => "text".to_string(),
        },
        "integer" => match opt("format").and_then(Value::as_str) {
            Some("i8") => "tinyint",
            Some("i16") => "smallint",
            Some("i64" | "u32") => "bigint",
            Some("i128" | "u64" | "u128") => "hugeint",
            _ => "integer",
        }
        .to_string(),
        "number" => match opt("format").and_then(Value::as_str) {
            Some("f32") => "real",
            _ => "double",
        }
        .to_string(),
        "boolean" => "boolean".to_string(),
        "date" => "date".to_string(),
        "time" => "time".to_string(),
        "timestamp" => match opt("timezone").and_then(Value::as_bool) {
            Some(true) => "timestamp with time zone",
            _ => "timestamp",
        }
        .to_string(),
        "object" | "map" => "json".to_string(),
        "array" => "array".to_string(),
        other => {
            return Err(Error::invalid(format!(
                "{path}.logicalType: unknown `{other}`; allowed: string, date, timestamp, time, number, integer, object, array, boolean, map"
            )));
        }
    };
    Ok(t)
}

fn parse_rule(rule: &Value, column: Option<&str>) -> Option<QualityRule> {
    let (operator, threshold) = OPERATORS
        .iter()
        .find_map(|op| {
            rule.get(*op)
                .and_then(Value::as_f64)
                .map(|v| (op.to_string(), v))
        })
        .or_else(|| {
            let between = rule.get("mustBeBetween")?.as_array()?;
            Some(("mustBeBetween".to_string(), between.first()?.as_f64()?))
        })?;
    Some(QualityRule {
        id: str_at(rule, "id")
            .or_else(|| str_at(rule, "name"))
            .map_or_else(
                || {
                    stable_id(&format!(
                        "{}_{}",
                        column.unwrap_or("table"),
                        str_at(rule, "metric").unwrap_or("rule")
                    ))
                },
                stable_id,
            ),
        column: column.map(str::to_string),
        description: str_at(rule, "description").unwrap_or_default().to_string(),
        dimension: str_at(rule, "dimension")
            .unwrap_or("consistency")
            .to_string(),
        metric: str_at(rule, "metric").map(str::to_string),
        query: str_at(rule, "query").map(str::to_string),
        operator,
        threshold,
        arguments: rule.get("arguments").and_then(Value::as_object).cloned(),
        severity: str_at(rule, "severity").map(str::to_string),
    })
}
