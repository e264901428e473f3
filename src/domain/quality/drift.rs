//! Drift: a table's profile compared with the previous profile of the same datasource
//! (the `baseline` param of profile_datasource, or the project's latest recorded
//! profile of it). Row count, null rate, distinct count, numeric range and columns
//! added or removed; each change past the playbook's `profile.drift` thresholds is a
//! `Drift` entry and a PROF-DRIFT anomaly. Masked (PII) bounds are never compared, so
//! drift shows no value a profile does not already show.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::profile::{ColumnProfile, DatasourceProfile, Finding, TableProfile};
use super::run::MASK;
use super::spec::TypeFamily;
use crate::App;
use crate::error::Result;
use crate::playbook::QualityBook;

/// One change since the baseline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Drift {
    /// `row_count`, `null_rate`, `distinct_count`, `min`, `max`, `column_added` or
    /// `column_removed`.
    pub metric: String,
    /// Column, when it concerns one.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub column: Option<String>,
    /// Baseline value.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub before: Option<String>,
    /// Current value.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub after: Option<String>,
}

/// The project's latest recorded profile of `datasource`, if any.
pub async fn previous(
    app: &App,
    project: &str,
    datasource: &str,
) -> Result<Option<DatasourceProfile>> {
    let store = app.store().await?;
    let rows = store.protocol_rows(project).await?;
    Ok(rows
        .artifacts
        .iter()
        .rev()
        .filter(|a| a.tool == "profile_datasource")
        .filter_map(|a| serde_json::from_str::<DatasourceProfile>(&a.content).ok())
        .find(|p| p.datasource == datasource))
}

fn pct_change(before: f64, after: f64) -> f64 {
    if before == 0.0 {
        if after == 0.0 { 0.0 } else { 100.0 }
    } else {
        (after - before).abs() * 100.0 / before.abs()
    }
}

fn number(v: &Option<String>) -> Option<f64> {
    v.as_deref()
        .filter(|s| *s != MASK)
        .and_then(|s| s.trim().parse::<f64>().ok())
}

/// Compares `table` with its baseline in `baseline` (same table name) and records the
/// changes in `table.drift` and `table.anomalies`.
pub fn compare(book: &QualityBook, baseline: &DatasourceProfile, table: &mut TableProfile) {
    let Some(before) = baseline
        .tables
        .iter()
        .find(|t| t.table.name == table.table.name)
    else {
        return;
    };
    let settings = &book.profile.drift;
    let mut out: Vec<Drift> = Vec::new();
    let mut push = |metric: &str, column: Option<&str>, b: Option<String>, a: Option<String>| {
        out.push(Drift {
            metric: metric.to_string(),
            column: column.map(str::to_string),
            before: b,
            after: a,
        });
    };
    if pct_change(before.row_count as f64, table.row_count as f64) > settings.row_count_pct {
        push(
            "row_count",
            None,
            Some(before.row_count.to_string()),
            Some(table.row_count.to_string()),
        );
    }
    for old in &before.columns {
        if !table.columns.iter().any(|c| c.name == old.name) {
            push(
                "column_removed",
                Some(&old.name),
                Some(old.data_type.clone()),
                None,
            );
        }
    }
    for col in &table.columns {
        let Some(old) = before.columns.iter().find(|c| c.name == col.name) else {
            push(
                "column_added",
                Some(&col.name),
                None,
                Some(col.data_type.clone()),
            );
            continue;
        };
        column_drift(settings, old, col, &mut push);
    }
    let severity = book
        .anomaly("PROF-DRIFT")
        .map_or_else(|| "P2".to_string(), |a| a.severity.clone());
    for d in &out {
        let what = match (&d.before, &d.after) {
            (Some(b), Some(a)) => format!("{} went from {b} to {a}", d.metric.replace('_', " ")),
            (None, Some(a)) => format!("new column (type {a})"),
            (Some(b), None) => format!("column removed (was {b})"),
            (None, None) => d.metric.replace('_', " "),
        };
        table.anomalies.push(Finding {
            id: "PROF-DRIFT".to_string(),
            severity: severity.clone(),
            column: d.column.clone(),
            message: format!("since the profile of {}: {what}", baseline.profiled_at),
        });
    }
    table.drift = out;
    table.baseline_profiled_at = Some(baseline.profiled_at.clone());
}

fn column_drift(
    settings: &crate::playbook::DriftSettings,
    old: &ColumnProfile,
    col: &ColumnProfile,
    push: &mut impl FnMut(&str, Option<&str>, Option<String>, Option<String>),
) {
    let name = Some(col.name.as_str());
    let points = (col.null_ratio - old.null_ratio).abs() * 100.0;
    if points > settings.null_rate_points {
        push(
            "null_rate",
            name,
            Some(format!("{:.1}%", old.null_ratio * 100.0)),
            Some(format!("{:.1}%", col.null_ratio * 100.0)),
        );
    }
    if let (Some(b), Some(a)) = (old.distinct_count, col.distinct_count)
        && pct_change(b as f64, a as f64) > settings.distinct_pct
    {
        push(
            "distinct_count",
            name,
            Some(b.to_string()),
            Some(a.to_string()),
        );
    }
    if col.family == TypeFamily::Numeric
        && !col.pii
        && !old.pii
        && let (Some(lo), Some(hi), Some(new_lo), Some(new_hi)) = (
            number(&old.min),
            number(&old.max),
            number(&col.min),
            number(&col.max),
        )
    {
        let margin = (hi - lo).abs().max(f64::EPSILON) * settings.range_pct / 100.0;
        if new_lo < lo - margin {
            push("min", name, old.min.clone(), col.min.clone());
        }
        if new_hi > hi + margin {
            push("max", name, old.max.clone(), col.max.clone());
        }
    }
}
