//! `generate_monitoring`: the pipeline-health metrics with their thresholds filled in for
//! one pipeline, alert routing P0-P3 by tier, the run-log record as a JSON Schema, and
//! freshness and volume monitor SQL written through the dialect layer.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::dialect::{IntervalUnit, SqlDialect, TableName};
use crate::error::{Error, Result};
use crate::playbook::operations::OperationsBook;

use super::operations::{PipelineRef, severity_for};

/// Params of `generate_monitoring`.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GenerateMonitoringParams {
    /// The pipeline to monitor (`table` is the monitored table).
    pub pipeline: PipelineRef,
    /// SQL dialect of the monitored table.
    pub dialect: String,
    /// Schema of the table.
    #[serde(default)]
    pub schema: Option<String>,
    /// Load or event timestamp column for freshness and volume.
    pub timestamp_column: String,
    /// Freshness SLA in hours (data older than this alerts).
    pub freshness_hours: u32,
    /// Project id: record the result in this project.
    #[serde(default)]
    pub project: Option<String>,
}

/// Monitoring for one pipeline.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Monitoring {
    /// Pipeline name.
    pub pipeline: String,
    /// Health metrics with targets, thresholds and alert severity.
    pub metrics: Vec<MetricPlan>,
    /// Severity levels with response times.
    pub routing: Vec<Route>,
    /// JSON Schema of the structured run-log record.
    pub run_log_schema: Value,
    /// Monitor queries for the dialect.
    pub monitors: Vec<MonitorSql>,
    /// The project the result is recorded under.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
}

/// A metric tailored to the pipeline.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct MetricPlan {
    /// Stable id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Formula.
    pub formula: String,
    /// Target.
    pub target: String,
    /// Alert threshold.
    pub alert: String,
    /// Severity of the alert for this pipeline.
    pub severity: String,
}

/// A severity level.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Route {
    /// P0-P3.
    pub severity: String,
    /// When it applies.
    pub condition: String,
    /// Response time in minutes.
    pub response_minutes: u32,
    /// What to do.
    pub response: String,
    /// Alert channels (the pipeline's).
    pub channels: Vec<String>,
}

/// A monitor query.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct MonitorSql {
    /// Metric id it measures.
    pub metric: String,
    /// What the result means.
    pub reading: String,
    /// The query (one SELECT returning one row).
    pub sql: String,
}

/// Generates monitoring for a pipeline.
pub fn generate(ops: &OperationsBook, p: &GenerateMonitoringParams) -> Result<Monitoring> {
    let dialect = crate::dialect::by_name(&p.dialect)?;
    let pipe = &p.pipeline;
    if pipe.name.trim().is_empty() {
        return Err(Error::invalid("pipeline.name: must not be empty"));
    }
    let Some(table) = pipe.table.as_deref().filter(|t| !t.trim().is_empty()) else {
        return Err(Error::invalid("pipeline.table: give the table to monitor"));
    };
    if p.freshness_hours == 0 {
        return Err(Error::invalid("freshness_hours: must be at least 1"));
    }
    let tier = pipe.tier.unwrap_or(2);
    if !(1..=3).contains(&tier) {
        return Err(Error::invalid(format!(
            "pipeline.tier: `{tier}` is not allowed; allowed: 1, 2, 3"
        )));
    }
    let sla_warn = pipe
        .sla_minutes
        .map(|m| (m * 4).div_ceil(5).to_string())
        .unwrap_or_else(|| "SLA".to_string());
    let metrics = ops
        .metrics
        .iter()
        .map(|m| {
            let fill = |t: &str| {
                t.replace("{freshness_hours}", &p.freshness_hours.to_string())
                    .replace("{sla_warn_minutes}", &sla_warn)
            };
            MetricPlan {
                id: m.id.clone(),
                name: m.name.clone(),
                formula: m.formula.clone(),
                target: fill(&m.target),
                alert: fill(&m.alert),
                severity: severity_for(ops, &m.id, tier, pipe.revenue_or_compliance),
            }
        })
        .collect();
    let routing = ops
        .severities
        .iter()
        .map(|s| Route {
            severity: s.id.clone(),
            condition: s.condition.clone(),
            response_minutes: s.response_minutes,
            response: s.response.clone(),
            channels: pipe.alert_channels.clone(),
        })
        .collect();
    let name = TableName::new(p.schema.as_deref(), table);
    let monitors = monitor_sql(ops, dialect, &name, &p.timestamp_column, p.freshness_hours)?;
    Ok(Monitoring {
        pipeline: pipe.name.clone(),
        metrics,
        routing,
        run_log_schema: run_log_schema(ops),
        monitors,
        project: p.project.clone(),
    })
}

/// Freshness and volume monitors. Identifiers are quoted by the dialect; the only other
/// inputs are integers.
pub fn monitor_sql(
    ops: &OperationsBook,
    d: &dyn SqlDialect,
    table: &TableName,
    timestamp_column: &str,
    freshness_hours: u32,
) -> Result<Vec<MonitorSql>> {
    let t = d.qualified_name(table)?;
    let ts = d.quote_ident(timestamp_column)?;
    let freshness = format!(
        "SELECT MAX({ts}) AS newest_at, CASE WHEN MAX({ts}) >= {ago} THEN 'PASS' ELSE 'FAIL' END AS freshness_status FROM {t}",
        ago = d.timestamp_ago(freshness_hours, IntervalUnit::Hour)
    );
    let v = &ops.volume_monitor;
    let day = d.timestamp_ago(1, IntervalUnit::Day);
    let window = d.timestamp_ago(v.baseline_days + 1, IntervalUnit::Day);
    let variance = "ABS(rows_recent - avg_rows_baseline) * 100.0 / avg_rows_baseline";
    let volume = format!(
        "SELECT rows_recent, avg_rows_baseline, CASE \
WHEN avg_rows_baseline = 0 THEN CASE WHEN rows_recent = 0 THEN 'FAIL' ELSE 'WARN' END \
WHEN {variance} > {alert} THEN 'FAIL' \
WHEN {variance} > {warn} THEN 'WARN' \
ELSE 'PASS' END AS volume_status \
FROM (SELECT COALESCE(SUM(CASE WHEN {ts} >= {day} THEN 1 ELSE 0 END), 0) AS rows_recent, \
COALESCE(SUM(CASE WHEN {ts} < {day} THEN 1 ELSE 0 END), 0) / {days}.0 AS avg_rows_baseline \
FROM {t} WHERE {ts} >= {window}) AS volume_window",
        alert = v.alert_pct,
        warn = v.warn_pct,
        days = v.baseline_days,
    );
    Ok(vec![
        MonitorSql {
            metric: "MON-FRESHNESS".to_string(),
            reading: format!(
                "FAIL when the newest `{timestamp_column}` is older than {freshness_hours} h (or the table is empty)"
            ),
            sql: freshness,
        },
        MonitorSql {
            metric: "MON-VOLUME".to_string(),
            reading: format!(
                "rows of the last 24 h against the daily average of the {} days before; WARN above {}% variance, FAIL above {}% or when nothing arrived",
                v.baseline_days, v.warn_pct, v.alert_pct
            ),
            sql: volume,
        },
    ])
}

/// The run-log record as a JSON Schema (draft 2020-12).
pub fn run_log_schema(ops: &OperationsBook) -> Value {
    let mut props = Map::new();
    let mut required = Vec::new();
    for f in &ops.run_log {
        let mut prop = Map::new();
        prop.insert("type".into(), json!(f.kind));
        prop.insert("description".into(), json!(f.description));
        if let Some(fmt) = &f.format {
            prop.insert("format".into(), json!(fmt));
        }
        if let Some(values) = &f.values {
            prop.insert("enum".into(), json!(values));
        }
        if f.kind == "integer" {
            prop.insert("minimum".into(), json!(0));
        }
        props.insert(f.field.clone(), Value::Object(prop));
        if f.required {
            required.push(f.field.clone());
        }
    }
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Pipeline run log record",
        "type": "object",
        "properties": props,
        "required": required,
        "additionalProperties": false,
    })
}
