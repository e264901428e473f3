//! `optimization.yaml`: SQL anti-pattern rules, plan rules, cost red flags and savings
//! strategies. Detection is code keyed by rule id; text, severity and thresholds are here.

use serde::{Deserialize, Serialize};

use super::Issues;
use super::pipeline::Severity;

/// Rule ids `review_sql` knows how to detect.
pub const SQL_RULE_IDS: &[&str] = &[
    "SQL-SELECT-STAR",
    "SQL-NOT-IN-NULLABLE",
    "SQL-ORDER-NO-LIMIT",
    "SQL-CORRELATED-SUBQUERY",
    "SQL-DISTINCT-DEDUP",
    "SQL-FUNC-ON-COLUMN",
    "SQL-REPEATED-SCAN",
    "SQL-NO-PARTITION-FILTER",
    "SQL-CARTESIAN-JOIN",
];

/// Plan rule ids the EXPLAIN reader knows.
pub const PLAN_RULE_IDS: &[&str] = &["PLAN-SEQ-SCAN-LARGE", "PLAN-NESTED-LOOP-LARGE"];

/// Red flag ids `review_costs` knows how to detect.
pub const RED_FLAG_IDS: &[&str] = &[
    "COST-DOMINANT-PIPELINE",
    "COST-PER-ROW-RISING",
    "COST-UNQUERIED-TABLE",
    "COST-DEV-ALWAYS-ON",
    "COST-FULL-SCAN-LARGE",
    "COST-UNCOMPRESSED",
    "COST-CROSS-REGION",
    "COST-NO-VALUE",
    "COST-BATCH-ON-DEMAND",
    "COST-STEADY-ON-DEMAND",
    "COST-NO-LIFECYCLE",
];

/// The whole `optimization.yaml`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OptimizationBook {
    /// Schema version of the file.
    pub version: u32,
    /// SQL anti-pattern rules.
    pub sql_rules: Vec<SqlRule>,
    /// EXPLAIN plan rules.
    pub plan_rules: Vec<PlanRule>,
    /// Cost review data.
    pub cost: CostBook,
}

/// A SQL anti-pattern rule.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SqlRule {
    /// Stable id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Severity.
    pub severity: Severity,
    /// How to fix it.
    pub fix: String,
    /// Expected impact.
    pub impact: String,
}

/// A plan rule.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanRule {
    /// Stable id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Severity.
    pub severity: Severity,
    /// Estimated rows from which it fires.
    pub min_rows: f64,
    /// How to fix it.
    pub fix: String,
}

/// Cost review data.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CostBook {
    /// Red flags.
    pub red_flags: Vec<RedFlag>,
    /// Savings strategies.
    pub strategies: Vec<Strategy>,
}

/// A cost red flag.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RedFlag {
    /// Stable id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Threshold (share, days or GB depending on the flag).
    pub threshold: f64,
    /// Strategies that address it.
    pub strategies: Vec<String>,
}

/// A savings strategy.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Strategy {
    /// Stable id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Which cost it reduces: compute, storage, egress or total.
    pub applies_to: CostPart,
    /// Low end of the saving (share of that cost).
    pub savings_low: f64,
    /// High end.
    pub savings_high: f64,
    /// low, medium or high.
    pub effort: Effort,
}

/// A part of a pipeline's cost.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CostPart {
    /// Compute.
    Compute,
    /// Storage.
    Storage,
    /// Network egress.
    Egress,
    /// Everything.
    Total,
}

/// Effort of a change.
#[derive(
    Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Effort {
    /// Low.
    Low,
    /// Medium.
    Medium,
    /// High.
    High,
}

impl OptimizationBook {
    /// The SQL rule with this id.
    pub fn sql_rule(&self, id: &str) -> Option<&SqlRule> {
        self.sql_rules.iter().find(|r| r.id == id)
    }

    /// The plan rule with this id.
    pub fn plan_rule(&self, id: &str) -> Option<&PlanRule> {
        self.plan_rules.iter().find(|r| r.id == id)
    }

    /// The red flag with this id.
    pub fn red_flag(&self, id: &str) -> Option<&RedFlag> {
        self.cost.red_flags.iter().find(|r| r.id == id)
    }

    /// The strategy with this id.
    pub fn strategy(&self, id: &str) -> Option<&Strategy> {
        self.cost.strategies.iter().find(|s| s.id == id)
    }

    pub(super) fn validate(&self) -> Issues {
        let mut issues = Issues::default();
        issues.unique_ids("sql rule", self.sql_rules.iter().map(|r| r.id.as_str()));
        issues.unique_ids("plan rule", self.plan_rules.iter().map(|r| r.id.as_str()));
        issues.unique_ids(
            "red flag",
            self.cost.red_flags.iter().map(|r| r.id.as_str()),
        );
        issues.unique_ids(
            "strategy",
            self.cost.strategies.iter().map(|r| r.id.as_str()),
        );
        let required = [
            (
                "sql rule",
                SQL_RULE_IDS,
                self.sql_rules
                    .iter()
                    .map(|r| r.id.as_str())
                    .collect::<Vec<_>>(),
            ),
            (
                "plan rule",
                PLAN_RULE_IDS,
                self.plan_rules.iter().map(|r| r.id.as_str()).collect(),
            ),
            (
                "red flag",
                RED_FLAG_IDS,
                self.cost.red_flags.iter().map(|r| r.id.as_str()).collect(),
            ),
        ];
        for (what, ids, present) in required {
            for id in ids {
                if !present.contains(id) {
                    issues.push(
                        None,
                        format!("missing {what} `{id}` (dana detects it and needs its text)"),
                    );
                }
            }
            for id in &present {
                if !ids.contains(id) {
                    issues.push(
                        id.to_string(),
                        format!(
                            "unknown {what} `{id}`: dana has no detector for it; known: {}",
                            ids.join(", ")
                        ),
                    );
                }
            }
        }
        for flag in &self.cost.red_flags {
            for s in &flag.strategies {
                if self.strategy(s).is_none() {
                    issues.push(
                        flag.id.clone(),
                        format!("`{}`: unknown strategy `{s}`", flag.id),
                    );
                }
            }
        }
        for s in &self.cost.strategies {
            if !(0.0..=1.0).contains(&s.savings_low)
                || !(0.0..=1.0).contains(&s.savings_high)
                || s.savings_low > s.savings_high
            {
                issues.push(
                    s.id.clone(),
                    format!("`{}`: savings_low <= savings_high, both within 0..1", s.id),
                );
            }
        }
        issues
    }
}
