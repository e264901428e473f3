//! `quality.yaml`: quality dimensions, severities P0-P3, check kinds with stable IDs,
//! default thresholds and templates, and the profiling thresholds.

use serde::{Deserialize, Serialize};

use super::Issues;

/// The whole `quality.yaml`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QualityBook {
    /// Schema version of the file.
    pub version: u32,
    /// Quality dimensions.
    pub dimensions: Vec<QualityDimension>,
    /// Severities, most severe first.
    pub severities: Vec<Severity>,
    /// Check kinds.
    pub kinds: Vec<CheckKind>,
    /// Severity of a failed row-counting check from the share of rows it affects.
    #[serde(default)]
    pub severity_by_share: Vec<ShareRule>,
    /// Profiling and suggestion thresholds.
    pub profile: ProfileSettings,
    /// Anomalies a profile flags.
    pub anomalies: Vec<Anomaly>,
}

/// A quality dimension.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QualityDimension {
    /// Stable id (`completeness`).
    pub id: String,
    /// Title.
    pub title: String,
    /// What it means.
    pub meaning: String,
    /// The ODCS v3 dimension it maps to.
    pub odcs: String,
}

/// A severity level.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Severity {
    /// `P0` … `P3`.
    pub id: String,
    /// Title.
    pub title: String,
    /// When it applies.
    pub meaning: String,
    /// What to do.
    pub response: String,
    /// Great Expectations severity of an expectation at this level (`critical`, `warning`, `info`).
    pub gx: String,
    /// Soda alert level of a check at this level (`fail` or `warn`).
    pub soda: String,
}

/// How a check kind is computed.
/// One rule of `severity_by_share`: above this share of rows (percent), this severity.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShareRule {
    /// Share of the table's rows, in percent, the failure must exceed.
    pub above_pct: f64,
    /// Severity it gets.
    pub severity: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Shape {
    /// Row-level violation test, counted in the shared scan; failing keys sampled.
    Predicate,
    /// Aggregate expression over the shared scan.
    Expression,
    /// Its own statement.
    Query,
}

/// Default pass range of the observed number.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bounds {
    /// Lowest passing value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    /// Highest passing value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
}

/// A check kind.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckKind {
    /// Stable id (`DQ-NOT-NULL`).
    pub id: String,
    /// snake_case name used in specs and dbt (`not_null`).
    pub name: String,
    /// Title.
    pub title: String,
    /// Quality dimension id.
    pub dimension: String,
    /// Default severity id.
    pub severity: String,
    /// How it is computed.
    pub shape: Shape,
    /// What the observed number counts.
    pub observed: String,
    /// Default pass range.
    pub threshold: Bounds,
    /// Template under `templates/`.
    pub template: String,
    /// dbt generic test it becomes in schema.yml; `None` when dbt cannot express it.
    pub dbt: Option<String>,
    /// Great Expectations expectation it becomes; `None`: the SQL form
    /// (`unexpected_rows_expectation`).
    #[serde(default)]
    pub gx: Option<String>,
    /// Soda (SodaCL) metric it becomes; `None`: the SQL form (a user-defined metric query).
    #[serde(default)]
    pub soda: Option<String>,
}

/// Profiling thresholds.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileSettings {
    /// Columns with at most this many distinct values get top values.
    pub low_cardinality_max_distinct: u64,
    /// Number of top values shown.
    pub top_values: usize,
    /// Column-name suffixes marking a suspected key.
    pub key_suffixes: Vec<String>,
    /// Suggestion thresholds.
    pub suggest: SuggestSettings,
    /// Changes between two profiles of a datasource that are flagged PROF-DRIFT.
    #[serde(default)]
    pub drift: DriftSettings,
}

/// Thresholds for checks suggested from a profile.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SuggestSettings {
    /// Most distinct values for an accepted-values suggestion.
    pub accepted_values_max_distinct: u64,
    /// Fewest rows before anything is suggested from observed data.
    pub min_rows: u64,
    /// Freshness SLA suggested, in hours.
    pub freshness_hours: u32,
    /// Volume floor suggested, in percent of the rows seen.
    pub volume_floor_pct: u32,
    /// Suggested ranges widen the observed bounds by this share of their span, in percent.
    #[serde(default = "default_range_tolerance_pct")]
    pub range_tolerance_pct: f64,
    /// Newest row older than this many hours: the data is stale (an anomaly), and no
    /// freshness check is suggested; between `freshness_hours` and this, the suggested
    /// SLA covers the observed age with a margin.
    #[serde(default = "default_stale_after_hours")]
    pub stale_after_hours: u32,
}

/// Drift thresholds (profile to profile).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DriftSettings {
    /// Row count changed by more than this share of the baseline's, in percent.
    pub row_count_pct: f64,
    /// Null rate changed by more than this many percentage points.
    pub null_rate_points: f64,
    /// Distinct count changed by more than this share of the baseline's, in percent.
    pub distinct_pct: f64,
    /// Numeric min/max moved outside the baseline range by more than this share of its
    /// span, in percent.
    pub range_pct: f64,
}

impl Default for DriftSettings {
    fn default() -> Self {
        DriftSettings {
            row_count_pct: 20.0,
            null_rate_points: 5.0,
            distinct_pct: 25.0,
            range_pct: 10.0,
        }
    }
}

fn default_range_tolerance_pct() -> f64 {
    10.0
}

fn default_stale_after_hours() -> u32 {
    168
}

/// An anomaly kind.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Anomaly {
    /// Stable id (`PROF-CONSTANT`).
    pub id: String,
    /// Title.
    pub title: String,
    /// Severity id.
    pub severity: String,
}

impl QualityBook {
    /// The kind with this id.
    pub fn kind(&self, id: &str) -> Option<&CheckKind> {
        self.kinds.iter().find(|k| k.id == id)
    }

    /// The severity of a failure affecting `pct` percent of rows (`None`: no rule).
    pub fn severity_for_share(&self, pct: f64) -> Option<&str> {
        self.severity_by_share
            .iter()
            .find(|r| pct > r.above_pct)
            .map(|r| r.severity.as_str())
    }

    /// The severity with this id.
    pub fn severity(&self, id: &str) -> Option<&Severity> {
        self.severities.iter().find(|s| s.id == id)
    }

    /// The dimension with this id.
    pub fn dimension(&self, id: &str) -> Option<&QualityDimension> {
        self.dimensions.iter().find(|d| d.id == id)
    }

    /// The anomaly with this id.
    pub fn anomaly(&self, id: &str) -> Option<&Anomaly> {
        self.anomalies.iter().find(|a| a.id == id)
    }

    pub(super) fn validate(&self) -> Issues {
        let mut issues = Issues::default();
        issues.unique_ids("dimension", self.dimensions.iter().map(|d| d.id.as_str()));
        issues.unique_ids("severity", self.severities.iter().map(|s| s.id.as_str()));
        issues.unique_ids("kind", self.kinds.iter().map(|k| k.id.as_str()));
        issues.unique_ids("kind name", self.kinds.iter().map(|k| k.name.as_str()));
        issues.unique_ids("anomaly", self.anomalies.iter().map(|a| a.id.as_str()));
        let severity_ok = |s: &str| self.severities.iter().any(|v| v.id == s);
        for kind in &self.kinds {
            let anchor = Some(format!("id: {}", kind.id));
            if self.dimension(&kind.dimension).is_none() {
                issues.push(
                    anchor.clone(),
                    format!("kind `{}`: unknown dimension `{}`", kind.id, kind.dimension),
                );
            }
            if !severity_ok(&kind.severity) {
                issues.push(
                    anchor.clone(),
                    format!("kind `{}`: unknown severity `{}`", kind.id, kind.severity),
                );
            }
            if !kind.id.starts_with("DQ-") {
                issues.push(anchor, format!("kind `{}`: ids start with `DQ-`", kind.id));
            }
        }
        for severity in &self.severities {
            let anchor = Some(format!("id: {}", severity.id));
            if !["critical", "warning", "info"].contains(&severity.gx.as_str()) {
                issues.push(
                    anchor.clone(),
                    format!(
                        "severity `{}`: `gx` must be one of critical, warning, info",
                        severity.id
                    ),
                );
            }
            if !["fail", "warn"].contains(&severity.soda.as_str()) {
                issues.push(
                    anchor,
                    format!("severity `{}`: `soda` must be fail or warn", severity.id),
                );
            }
        }
        for rule in &self.severity_by_share {
            if !severity_ok(&rule.severity) {
                issues.push(
                    Some("severity_by_share".to_string()),
                    format!("severity_by_share: unknown severity `{}`", rule.severity),
                );
            }
        }
        for anomaly in &self.anomalies {
            if !severity_ok(&anomaly.severity) {
                issues.push(
                    Some(format!("id: {}", anomaly.id)),
                    format!(
                        "anomaly `{}`: unknown severity `{}`",
                        anomaly.id, anomaly.severity
                    ),
                );
            }
        }
        for dim in &self.dimensions {
            const ODCS: &[&str] = &[
                "accuracy",
                "completeness",
                "conformity",
                "consistency",
                "coverage",
                "timeliness",
                "uniqueness",
            ];
            if !ODCS.contains(&dim.odcs.as_str()) {
                issues.push(
                    Some(format!("id: {}", dim.id)),
                    format!(
                        "dimension `{}`: `odcs` must be one of {}",
                        dim.id,
                        ODCS.join(", ")
                    ),
                );
            }
        }
        issues
    }
}
