//! `modeling.yaml`: the checks `design_dimensional_model` runs, with severities, message
//! templates and fixes, and the rules for a usable grain statement.

use serde::{Deserialize, Serialize};

use super::Issues;

/// The whole `modeling.yaml`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelingBook {
    /// Schema version of the file.
    pub version: u32,
    /// What makes a grain statement specific.
    pub grain: GrainRules,
    /// Model checks.
    pub checks: Vec<ModelCheck>,
    /// SCD load step descriptions and assumptions.
    pub scd: ScdText,
    /// The modeling-approach decision.
    pub methodology: MethodologyBook,
    /// Multi-tenant detection.
    pub tenant: TenantRules,
}

/// The modeling-approach decision table.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MethodologyBook {
    /// The approaches.
    pub approaches: Vec<Approach>,
    /// Decision rules, first match wins.
    pub rules: Vec<MethodRule>,
    /// The question asked for each missing input.
    pub questions: MethodQuestions,
}

/// A modeling approach.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Approach {
    /// Stable id (`kimball`).
    pub id: String,
    /// Name.
    pub title: String,
    /// What it fits.
    pub best_for: String,
}

/// One rule of the decision table.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MethodRule {
    /// Conditions, all of which must hold.
    pub when: MethodWhen,
    /// Approach chosen.
    pub choose: String,
    /// Next best approach.
    pub runner_up: String,
    /// Why, in a sentence.
    pub because: String,
}

/// Conditions of a rule; absent ones hold always.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MethodWhen {
    /// What the model serves (`bi`, `enterprise`, `dashboards`, `events`).
    #[serde(default)]
    pub serves: Option<String>,
    /// Whether rows must be auditable.
    #[serde(default)]
    pub audit: Option<bool>,
    /// Fewest source systems.
    #[serde(default)]
    pub min_sources: Option<u32>,
}

/// Questions for missing inputs.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MethodQuestions {
    /// When `serves` is missing.
    pub serves: String,
    /// When `sources` is missing.
    pub sources: String,
    /// When `audit` is missing.
    pub audit: String,
}

/// Multi-tenant detection.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantRules {
    /// Column names that mark a tenant id.
    pub columns: Vec<String>,
}

/// Text of SCD loads.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScdText {
    /// What each step does.
    pub steps: ScdSteps,
    /// What the load assumes.
    pub assumptions: Vec<String>,
    /// What a Data Vault load assumes.
    pub vault_assumptions: Vec<String>,
}

/// Descriptions of the SCD load steps.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScdSteps {
    /// Type 1 overwrite.
    pub type1_update: String,
    /// Type 3 shift.
    pub type3_update: String,
    /// Type 2 close.
    pub close: String,
    /// Type 2 insert.
    pub insert: String,
    /// Type 1 upsert.
    pub upsert: String,
    /// Type 4 history insert.
    pub history_insert: String,
    /// Data Vault hub insert.
    pub hub_insert: String,
    /// Data Vault link insert.
    pub link_insert: String,
    /// Data Vault satellite insert.
    pub satellite_insert: String,
}

/// Grain statement rules.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GrainRules {
    /// One of these phrases must appear (case-insensitive).
    pub phrases: Vec<String>,
    /// Fewest words.
    pub min_words: usize,
    /// Words that make a grain vague.
    pub vague_words: Vec<String>,
}

/// Severity of a finding.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    // Wrong: fix before building on it.
    Error,
    // Probably wrong or against convention.
    Warning,
    // Worth knowing.
    Info,
}

/// One model check.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelCheck {
    /// Stable id (`MOD-GRAIN-MISSING`).
    pub id: String,
    /// Severity.
    pub severity: Severity,
    /// Whether generate_ddl refuses a model with this finding.
    #[serde(default)]
    pub blocks_ddl: bool,
    /// Short title.
    pub title: String,
    /// Message template ({table}, {column}, {detail}).
    pub message: String,
    /// How to fix it.
    pub fix: String,
}

/// Check IDs the code emits; each must exist in the playbook.
pub const REQUIRED_CHECKS: &[&str] = &[
    "MOD-GRAIN-MISSING",
    "MOD-GRAIN-VAGUE",
    "MOD-MEASURE-NONADDITIVE-SUMMED",
    "MOD-MEASURE-SEMIADDITIVE-SUMMED",
    "MOD-FK-UNKNOWN-DIMENSION",
    "MOD-NATURAL-KEY-MISSING",
    "MOD-SCD2-UNTRACKED",
    "MOD-DUPLICATE-TABLE",
    "MOD-DUPLICATE-COLUMN",
    "MOD-HINT-COLUMN",
    "MOD-PARTITION-DIMENSION",
    "MOD-PARTITION-KEY-COLUMN",
    "MOD-FACT-NO-DIMENSIONS",
    "MOD-FACT-NO-MEASURES",
    "MOD-HIERARCHY-LEVEL",
    "MOD-BUS-UNKNOWN-TABLE",
    "MOD-BUS-MISMATCH",
    "MOD-NO-UNKNOWN-MEMBER",
    "MOD-TABLE-NO-COLUMNS",
    "MOD-VAULT-SHAPE",
    "MOD-VAULT-PARENT",
    "MOD-METHOD-CHOICE",
    "MOD-METHOD-QUESTION",
    "MOD-METHOD-SHAPE",
    "MOD-TENANT-COLUMN",
    "MOD-TENANT-KEY",
    "MOD-TENANT-LAYOUT",
    "MOD-TIMESTAMP-NO-TZ",
];

/// Values `needs.serves` takes.
pub const SERVES: &[&str] = &["bi", "enterprise", "dashboards", "events"];

impl ModelingBook {
    /// The check with this id.
    pub fn check(&self, id: &str) -> Option<&ModelCheck> {
        self.checks.iter().find(|c| c.id == id)
    }

    pub(super) fn validate(&self) -> Issues {
        let mut issues = Issues::default();
        issues.unique_ids("check", self.checks.iter().map(|c| c.id.as_str()));
        for id in REQUIRED_CHECKS {
            if self.check(id).is_none() {
                issues.push(None, format!("checks: `{id}` is required (dana emits it)"));
            }
        }
        let approaches: Vec<&str> = self
            .methodology
            .approaches
            .iter()
            .map(|a| a.id.as_str())
            .collect();
        issues.unique_ids("approach", approaches.iter().copied());
        for (i, rule) in self.methodology.rules.iter().enumerate() {
            for id in [&rule.choose, &rule.runner_up] {
                if !approaches.contains(&id.as_str()) {
                    issues.push(
                        None,
                        format!("methodology.rules[{i}]: approach `{id}` is not listed"),
                    );
                }
            }
            if let Some(serves) = &rule.when.serves
                && !SERVES.contains(&serves.as_str())
            {
                issues.push(
                    None,
                    format!(
                        "methodology.rules[{i}].when.serves: `{serves}`; allowed: {}",
                        SERVES.join(", ")
                    ),
                );
            }
        }
        if self.grain.phrases.is_empty() {
            issues.push(
                Some("phrases".to_string()),
                "grain.phrases: give at least one phrase",
            );
        }
        issues
    }
}
