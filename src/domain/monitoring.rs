//! `generate_monitoring`: the pipeline-health metrics with their thresholds filled in for
//! one pipeline, alert routing P0-P3 by tier, the run-log record as a JSON Schema, and
//! freshness and volume monitor SQL written through the dialect layer.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::dialect::{IntervalUnit, SqlDialect, TableName};
use crate::error::{Error, Result};
use crate::playbook::operations::OperationsBook;

use super::architecture::OpenQuestion;
use super::operations::{PipelineRef, severity_for};

/// Params of `generate_monitoring`.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GenerateMonitoringParams {
    /// The pipeline to monitor (`table` is the monitored table).
    pub pipeline: PipelineRef,
    /// SQL dialect.
    pub dialect: String,
    /// Schema of the table.
    #[serde(default)]
    pub schema: Option<String>,
    /// Load or event timestamp column for freshness and volume.
    pub timestamp_column: String,
    /// Freshness SLA, minutes (none given = asked).
    pub freshness_minutes: Option<u32>,
    /// Or hours.
    pub freshness_hours: Option<f64>,
    /// Project id: record the result in this project.
    #[serde(default)]
    pub project: Option<String>,
}

/// Monitoring for one pipeline.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Monitoring {
    /// Pipeline name.
    pub pipeline: String,
    /// Unknown facts that change the monitoring, with the decision under each answer.
    #[serde(default)]
    pub questions: Vec<OpenQuestion>,
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
    /// Kinds of channel this severity goes to (P0 pages; P3 never does).
    pub routes_to: Vec<String>,
    /// The pipeline's channels of those kinds.
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
    let freshness_minutes = freshness_minutes(p)?;
    let freshness_q = &ops.freshness_question;
    let freshness = match freshness_minutes {
        Some(m) => duration(m),
        None => format!("the freshness SLA ({})", freshness_q.id),
    };
    if let Some(t) = pipe.tier
        && !(1..=3).contains(&t)
    {
        return Err(Error::invalid(format!(
            "pipeline.tier: `{t}` is not allowed; allowed: 1, 2, 3"
        )));
    }
    let tier = pipe.tier.unwrap_or(2);
    let sla_warn = pipe
        .sla_minutes
        .map(|m| (m * 4).div_ceil(5).to_string())
        .unwrap_or_else(|| "SLA".to_string());
    let kind = pipe
        .source_kind
        .and_then(|k| serde_json::to_value(k).ok())
        .and_then(|v| v.as_str().map(str::to_string));
    let applies = |m: &crate::playbook::operations::Metric, kind: Option<&str>| {
        m.source_kinds.is_empty() || kind.is_some_and(|k| m.source_kinds.iter().any(|x| x == k))
    };
    let metrics = ops
        .metrics
        .iter()
        .filter(|m| applies(m, kind.as_deref()))
        .map(|m| {
            let fill = |t: &str| {
                t.replace("{freshness}", &freshness)
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
    let mut questions = Vec::new();
    let kind_of = |channel: &str| -> Option<&str> {
        let c = channel.trim().to_lowercase();
        ops.channel_kinds
            .iter()
            .find(|k| {
                k.prefixes.iter().any(|pre| {
                    if pre == "@" {
                        c.contains('@')
                    } else {
                        c.starts_with(pre.as_str())
                    }
                })
            })
            .map(|k| k.kind.as_str())
    };
    let routing = ops
        .severities
        .iter()
        .map(|s| Route {
            severity: s.id.clone(),
            condition: s.condition.clone(),
            response_minutes: s.response_minutes,
            response: s.response.clone(),
            routes_to: s.routes_to.clone(),
            channels: pipe
                .alert_channels
                .iter()
                .filter(|c| kind_of(c).is_some_and(|k| s.routes_to.iter().any(|r| r == k)))
                .cloned()
                .collect(),
        })
        .collect();
    let receives = |kind: &str| -> String {
        let sev: Vec<&str> = ops
            .severities
            .iter()
            .filter(|s| s.routes_to.iter().any(|r| r == kind))
            .map(|s| s.id.as_str())
            .collect();
        if sev.is_empty() {
            "receives no alert".to_string()
        } else {
            format!("receives {}", sev.join(", "))
        }
    };
    for (i, c) in pipe.alert_channels.iter().enumerate() {
        if kind_of(c).is_none() {
            questions.push(OpenQuestion::with_answers(
                "MON-Q-CHANNEL",
                &format!("pipeline.alert_channels[{i}]"),
                &format!(
                    "Is `{c}` a pager, a chat channel, a ticket queue or an e-mail address? Name it with its prefix (e.g. `pagerduty:`, `#`, `jira:`, `email:`)."
                ),
                ops.channel_kinds
                    .iter()
                    .map(|k| (k.kind.clone(), format!("`{c}` {}", receives(&k.kind)))),
            ));
        }
    }
    if pipe.source_kind.is_none() {
        let lag: Vec<&str> = ops
            .metrics
            .iter()
            .filter(|m| !m.source_kinds.is_empty())
            .map(|m| m.id.as_str())
            .collect();
        if !lag.is_empty() {
            questions.push(OpenQuestion::with_answers(
                "MON-Q-SOURCE-KIND",
                "pipeline.source_kind",
                "What kind of source feeds the pipeline (database, api, files, stream)?",
                ["stream", "database", "api", "files"].into_iter().map(|k| {
                    let add: Vec<&str> = ops
                        .metrics
                        .iter()
                        .filter(|m| !m.source_kinds.is_empty() && applies(m, Some(k)))
                        .map(|m| m.id.as_str())
                        .collect();
                    let d = if add.is_empty() {
                        "no source-specific metric".to_string()
                    } else {
                        format!("adds {}", add.join(", "))
                    };
                    (k.to_string(), d)
                }),
            ));
        }
    }
    if pipe.tier.is_none() {
        questions.push(OpenQuestion::with_answers(
            "MON-Q-TIER",
            "pipeline.tier",
            "How critical is the pipeline: tier 1 critical, 2 important, 3 nice-to-have?",
            (1u8..=3).map(|t| {
                (
                    t.to_string(),
                    format!(
                        "failed run {}, stale data {}",
                        severity_for(ops, "MON-FAILED-RUNS", t, pipe.revenue_or_compliance),
                        severity_for(ops, "MON-FRESHNESS", t, pipe.revenue_or_compliance)
                    ),
                )
            }),
        ));
    }
    let name = TableName::new(p.schema.as_deref(), table);
    let mut monitors = Vec::new();
    match freshness_minutes {
        Some(m) => monitors.push(freshness_monitor(dialect, &name, &p.timestamp_column, m)?),
        // Unknown SLA: asked, never assumed; everything else is still produced.
        None => questions.push(OpenQuestion::with_answers(
            &freshness_q.id,
            "freshness_minutes",
            &freshness_q.ask,
            freshness_q.answers_minutes.iter().map(|&m| {
                (
                    format!("{m} min"),
                    format!(
                        "MON-FRESHNESS alerts when the newest `{}` is older than {}, with its monitor SQL",
                        p.timestamp_column,
                        duration(m)
                    ),
                )
            }),
        )),
    }
    monitors.push(volume_monitor(ops, dialect, &name, &p.timestamp_column)?);
    Ok(Monitoring {
        pipeline: pipe.name.clone(),
        questions,
        metrics,
        routing,
        run_log_schema: run_log_schema(ops),
        monitors,
        project: p.project.clone(),
    })
}

/// `2 h` for whole hours, else `90 min`.
fn duration(minutes: u32) -> String {
    if minutes.is_multiple_of(60) {
        format!("{} h", minutes / 60)
    } else {
        format!("{minutes} min")
    }
}

/// The freshness SLA in whole minutes, from `freshness_minutes` or `freshness_hours`;
/// `None` when neither is given.
fn freshness_minutes(p: &GenerateMonitoringParams) -> Result<Option<u32>> {
    match (p.freshness_minutes, p.freshness_hours) {
        (Some(_), Some(_)) => Err(Error::invalid(
            "freshness_minutes: give either freshness_minutes or freshness_hours, not both",
        )),
        (Some(0), None) => Err(Error::invalid("freshness_minutes: must be at least 1")),
        (Some(m), None) => Ok(Some(m)),
        (None, Some(h)) => {
            let minutes = h * 60.0;
            if !minutes.is_finite() || minutes < 1.0 || minutes > f64::from(u32::MAX) {
                return Err(Error::invalid(format!(
                    "freshness_hours: `{h}` must be at least 1 minute (1/60 h); for sub-hour SLAs give freshness_minutes"
                )));
            }
            if (minutes - minutes.round()).abs() > 1e-6 {
                return Err(Error::invalid(format!(
                    "freshness_hours: `{h}` h is {minutes:.2} minutes; give a whole number of minutes in freshness_minutes"
                )));
            }
            Ok(Some(minutes.round() as u32))
        }
        (None, None) => Ok(None),
    }
}

/// Freshness and volume monitors. Identifiers are quoted by the dialect; the only other
/// inputs are integers.
pub fn monitor_sql(
    ops: &OperationsBook,
    d: &dyn SqlDialect,
    table: &TableName,
    timestamp_column: &str,
    freshness_minutes: u32,
) -> Result<Vec<MonitorSql>> {
    Ok(vec![
        freshness_monitor(d, table, timestamp_column, freshness_minutes)?,
        volume_monitor(ops, d, table, timestamp_column)?,
    ])
}

/// FAIL when the newest timestamp is older than the SLA.
fn freshness_monitor(
    d: &dyn SqlDialect,
    table: &TableName,
    timestamp_column: &str,
    freshness_minutes: u32,
) -> Result<MonitorSql> {
    let t = d.qualified_name(table)?;
    let ts = d.quote_ident(timestamp_column)?;
    let ago = if freshness_minutes.is_multiple_of(60) {
        d.timestamp_ago(freshness_minutes / 60, IntervalUnit::Hour)
    } else {
        d.timestamp_ago(freshness_minutes, IntervalUnit::Minute)
    };
    Ok(MonitorSql {
        metric: "MON-FRESHNESS".to_string(),
        reading: format!(
            "FAIL when the newest `{timestamp_column}` is older than {} (or the table is empty)",
            duration(freshness_minutes)
        ),
        sql: format!(
            "SELECT MAX({ts}) AS newest_at, CASE WHEN MAX({ts}) >= {ago} THEN 'PASS' ELSE 'FAIL' END AS freshness_status FROM {t}"
        ),
    })
}

/// Rows of the last day against the daily average of the baseline days.
fn volume_monitor(
    ops: &OperationsBook,
    d: &dyn SqlDialect,
    table: &TableName,
    timestamp_column: &str,
) -> Result<MonitorSql> {
    let t = d.qualified_name(table)?;
    let ts = d.quote_ident(timestamp_column)?;
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
    Ok(MonitorSql {
        metric: "MON-VOLUME".to_string(),
        reading: format!(
            "rows of the last 24 h against the daily average of the {} days before; WARN above {}% variance, FAIL above {}% or when nothing arrived",
            v.baseline_days, v.warn_pct, v.alert_pct
        ),
        sql: volume,
    })
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
