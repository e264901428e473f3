//! `pipeline.yaml`: the extraction decision tree, the load-strategy table, the five
//! idempotency rules, known traps, pipeline defaults and the backfill protocol.

use serde::{Deserialize, Serialize};

use super::Issues;
use super::architecture::FactDoc;
use super::conditions::{self, FactQuestion, When};

/// The whole `pipeline.yaml`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PipelineBook {
    /// Schema version of the file.
    pub version: u32,
    /// Facts the conditions may read.
    pub facts: Vec<FactDoc>,
    /// Questions asked when an unknown fact changes a decision.
    #[serde(default)]
    pub questions: Vec<FactQuestion>,
    /// Extraction tree flattened into ordered leaves (first match wins).
    pub extraction: Vec<ExtractionRule>,
    /// Load-strategy table (first match wins).
    pub load: Vec<LoadRule>,
    /// The idempotency rules.
    pub idempotency: Vec<CheckRule>,
    /// Known traps.
    pub traps: Vec<CheckRule>,
    /// Defaults of a pipeline spec.
    pub defaults: Defaults,
    /// The backfill protocol.
    pub backfill: BackfillBook,
    /// Facts for generated orchestrator code.
    pub orchestration: OrchestrationBook,
}

/// A leaf of the extraction tree.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExtractionRule {
    /// Stable id.
    pub id: String,
    /// Strategy key.
    pub strategy: String,
    /// Reads only changes since a stored position (needs a watermark or offset).
    pub incremental: bool,
    /// The answers that lead to this leaf.
    pub path: Vec<String>,
    /// Conditions.
    pub when: When,
    /// Why.
    pub rationale: String,
    /// Typical tools.
    pub tools: Vec<String>,
    /// The trade-off.
    pub tradeoff: String,
}

/// A row of the load table.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoadRule {
    /// Stable id.
    pub id: String,
    /// Strategy key.
    pub strategy: String,
    /// Conditions.
    pub when: When,
    /// Why.
    pub rationale: String,
    /// The trade-off.
    pub tradeoff: String,
}

/// An idempotency rule or trap: fires when any `violated_when` map holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckRule {
    /// Stable id.
    pub id: String,
    /// The rule (idempotency).
    #[serde(default)]
    pub rule: Option<String>,
    /// The title (traps).
    #[serde(default)]
    pub title: Option<String>,
    /// `error` or `warning`.
    pub severity: Severity,
    /// Any of these maps holding is a violation.
    pub violated_when: Vec<When>,
    /// How to fix it.
    pub fix: String,
}

impl CheckRule {
    /// The rule or title text.
    pub fn text(&self) -> &str {
        self.rule
            .as_deref()
            .or(self.title.as_deref())
            .unwrap_or(&self.id)
    }
}

/// Finding severity.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Must be fixed (blocks a gate).
    Error,
    /// Should be fixed.
    Warning,
    /// For information.
    Info,
}

/// Pipeline defaults.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Defaults {
    /// Transform stages.
    pub transform_stages: Vec<Stage>,
    /// Checks before load.
    pub pre_load: Vec<GateCheck>,
    /// Checks after load.
    pub post_load: Vec<GateCheck>,
    /// Error handling.
    pub error_handling: ErrorDefaults,
}

/// A transform stage.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stage {
    /// Stage name.
    pub name: String,
    /// Operations.
    pub operations: Vec<String>,
}

/// A default quality gate check.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GateCheck {
    /// Stable id.
    pub id: String,
    /// What it checks.
    pub check: String,
}

/// Error-handling defaults.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorDefaults {
    /// Retries.
    pub max_retries: u32,
    /// Delay between retries.
    pub retry_delay_seconds: u32,
    /// Strategy per tier.
    pub by_tier: Vec<TierStrategy>,
}

/// Error strategy of a tier.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TierStrategy {
    /// Tier 1-3.
    pub tier: u8,
    /// Strategy.
    pub strategy: String,
    /// Why.
    pub reason: String,
}

/// The backfill protocol.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackfillBook {
    /// Most partitions a plan may list.
    pub max_partitions: usize,
    /// The steps, in order.
    pub steps: Vec<ProtocolStep>,
}

/// A protocol step; `action` may hold `{placeholders}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProtocolStep {
    /// Stable id.
    pub id: String,
    /// Title.
    pub title: String,
    /// What to do.
    pub action: String,
}

/// Facts for generated orchestrator code (Airflow, Dagster, Prefect).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrchestrationBook {
    /// Cron schedule when the design has none.
    pub default_schedule: String,
    /// First window of generated schedules and partitions (`YYYY-MM-DD`).
    pub start_date: String,
    /// Each retry waits this many times longer than the one before.
    pub backoff_factor: u32,
    /// Longest wait between retries.
    pub max_retry_delay_seconds: u32,
    /// Share of the SLA at which a run is reported slow (MON-RUNTIME).
    pub sla_warn_pct: u32,
    /// Extraction strategies no scheduled batch can carry, each with the reason.
    pub unscheduled: Vec<Unscheduled>,
    /// A note said with the code of every orchestrator, by extraction strategy.
    #[serde(default)]
    pub strategy_notes: std::collections::BTreeMap<String, String>,
    /// What each orchestrator cannot express and how to backfill with it.
    pub orchestrators: Vec<OrchestratorNotes>,
    /// Note for a cron without a fixed period; `{schedule}` is filled in.
    pub irregular_schedule: String,
}

impl OrchestrationBook {
    /// The start date is `YYYY-MM-DD`, every orchestrator has its notes, backoff grows.
    fn validate(&self, issues: &mut Issues) {
        let parts: Vec<&str> = self.start_date.split('-').collect();
        let date_ok = parts.len() == 3
            && parts
                .iter()
                .zip([4, 2, 2])
                .all(|(p, n)| p.len() == n && p.chars().all(|c| c.is_ascii_digit()));
        if !date_ok {
            issues.push(
                "orchestration".to_string(),
                format!(
                    "orchestration.start_date: `{}` is not YYYY-MM-DD",
                    self.start_date
                ),
            );
        }
        for id in ["airflow", "dagster", "prefect"] {
            if !self.orchestrators.iter().any(|o| o.id == id) {
                issues.push(
                    "orchestration".to_string(),
                    format!("orchestration.orchestrators: no entry `{id}`"),
                );
            }
        }
        if self.backoff_factor < 1 {
            issues.push(
                "orchestration".to_string(),
                "orchestration.backoff_factor: must be at least 1",
            );
        }
    }
}

/// An extraction strategy without generated code.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Unscheduled {
    /// Extraction strategy.
    pub strategy: String,
    /// Why it is no scheduled job.
    pub why: String,
}

/// Notes of one orchestrator; `{name}`, `{start}`, `{end}` are filled in.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrchestratorNotes {
    /// `airflow`, `dagster` or `prefect`.
    pub id: String,
    /// Notes, in order.
    pub notes: Vec<String>,
}

/// Placeholders a backfill step may use.
pub const BACKFILL_PLACEHOLDERS: &[&str] = &[
    "table",
    "start",
    "end",
    "grain",
    "partition_count",
    "first_partition",
    "last_partition",
    "downstream_clause",
    "downstream_list",
];

impl PipelineBook {
    pub(super) fn validate(&self) -> Issues {
        let mut issues = Issues::default();
        let known: Vec<&str> = self.facts.iter().map(|f| f.id.as_str()).collect();
        issues.unique_ids("fact", known.iter().copied());
        issues.unique_ids("extraction", self.extraction.iter().map(|r| r.id.as_str()));
        issues.unique_ids("load", self.load.iter().map(|r| r.id.as_str()));
        conditions::check_questions(&mut issues, &self.questions, &known);
        issues.unique_ids(
            "rule",
            self.idempotency
                .iter()
                .chain(&self.traps)
                .map(|r| r.id.as_str()),
        );
        issues.unique_ids(
            "backfill step",
            self.backfill.steps.iter().map(|s| s.id.as_str()),
        );
        for r in &self.extraction {
            conditions::check(&mut issues, &r.id, &r.when, &known);
        }
        for r in &self.load {
            conditions::check(&mut issues, &r.id, &r.when, &known);
        }
        if !self.load.last().is_some_and(|r| r.when.is_empty()) {
            issues.push(
                "load".to_string(),
                "load: the last rule must have `when: {}` (the fallback)",
            );
        }
        for r in self.idempotency.iter().chain(&self.traps) {
            if r.violated_when.is_empty() {
                issues.push(r.id.clone(), format!("`{}`: violated_when is empty", r.id));
            }
            for w in &r.violated_when {
                conditions::check(&mut issues, &r.id, w, &known);
            }
        }
        self.orchestration.validate(&mut issues);
        for step in &self.backfill.steps {
            for name in placeholders(&step.action) {
                if !BACKFILL_PLACEHOLDERS.contains(&name) {
                    issues.push(
                        step.id.clone(),
                        format!(
                            "`{}`: unknown placeholder `{{{name}}}`; known: {}",
                            step.id,
                            BACKFILL_PLACEHOLDERS.join(", ")
                        ),
                    );
                }
            }
        }
        issues
    }
}

/// The `{name}` placeholders in a text.
pub fn placeholders(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else { break };
        out.push(&after[..close]);
        rest = &after[close + 1..];
    }
    out
}
