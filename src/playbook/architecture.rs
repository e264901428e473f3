//! `architecture.yaml`: brief questions, the pattern matrix, technology candidates per
//! layer with their "avoid when" rules, and the guardrails.

use serde::{Deserialize, Serialize};

use super::Issues;
use super::conditions::{self, FactQuestion, When};

/// The whole `architecture.yaml`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArchitectureBook {
    /// Schema version of the file.
    pub version: u32,
    /// Facts the conditions may read (derived from the brief by dana).
    pub facts: Vec<FactDoc>,
    /// Questions asked when a brief field is missing.
    pub questions: Vec<Question>,
    /// Questions asked when an unknown fact changes a decision.
    #[serde(default)]
    pub decision_questions: Vec<FactQuestion>,
    /// The pattern decision matrix.
    pub patterns: Vec<Pattern>,
    /// Pattern used when no row matches.
    pub default_pattern: String,
    /// Reason id given for the default.
    pub default_reason: String,
    /// Technology layers, each with candidates in preference order.
    pub categories: Vec<Category>,
    /// Guardrails shown when their condition holds.
    pub guardrails: Vec<Guardrail>,
}

/// A documented fact.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FactDoc {
    /// Fact name.
    pub id: String,
    /// What it means.
    pub description: String,
}

/// A question for a missing brief field.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Question {
    /// Stable id.
    pub id: String,
    /// Brief field (dotted path).
    pub field: String,
    /// The question.
    pub ask: String,
}

/// A row of the pattern matrix.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pattern {
    /// Stable id.
    pub id: String,
    /// Pattern key.
    pub pattern: String,
    /// Title.
    pub title: String,
    /// The signal that selects it.
    pub signal: String,
    /// Conditions.
    pub when: When,
    /// The trade-off.
    pub tradeoff: String,
}

/// A technology layer.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Category {
    /// Key (`orchestration`).
    pub id: String,
    /// Title.
    pub title: String,
    /// Data paths (`batch`, `stream`) the layer is decided for, once each; empty = once.
    #[serde(default)]
    pub paths: Vec<String>,
    /// Lakehouse zones (`raw`, `cleaned`, `curated`) the layer is decided for in a lakehouse
    /// design, once each (on the batch path of a per-path layer); empty = not zoned.
    #[serde(default)]
    pub zones: Vec<String>,
    /// In a data-mesh design: whether the pick is shared platform or chosen per domain.
    pub mesh: MeshScope,
    /// Candidates in preference order; the first whose `pick_when` holds and no avoid rule fires is picked.
    pub candidates: Vec<Candidate>,
}

/// Who owns a layer's pick in a data mesh.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MeshScope {
    /// `platform` (one pick shared by every domain) or `domain` (each domain team picks).
    pub scope: String,
    /// What that means for this layer.
    pub note: String,
}

/// A technology candidate.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Candidate {
    /// Stable id.
    pub id: String,
    /// Tool key.
    pub tool: String,
    /// Other names that refer to it in a brief.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// What it is best for.
    pub best_for: String,
    /// When to pick it; `null` = never picked, only checked when named in the brief.
    pub pick_when: Option<When>,
    /// Avoid-when rules.
    #[serde(default)]
    pub avoid: Vec<AvoidRule>,
}

/// An "avoid when" rule.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AvoidRule {
    /// Stable id.
    pub id: String,
    /// Conditions.
    pub when: When,
    /// The warning.
    pub warning: String,
}

/// A guardrail.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Guardrail {
    /// Stable id.
    pub id: String,
    /// The rule.
    pub rule: String,
    /// When it applies (empty = always).
    pub when: When,
    /// What to do.
    pub advice: String,
}

impl Candidate {
    /// Whether `name` (case-insensitive) names this candidate.
    pub fn is_named(&self, name: &str) -> bool {
        let name = name.trim().to_lowercase();
        self.tool.to_lowercase() == name || self.aliases.iter().any(|a| a.to_lowercase() == name)
    }
}

/// The data paths a layer may be decided for.
pub const PATHS: &[&str] = &["batch", "stream"];

/// Lakehouse zones, in the order data flows through them.
pub const ZONES: &[&str] = &["raw", "cleaned", "curated"];

/// Owners of a layer's pick in a data mesh.
pub const MESH_SCOPES: &[&str] = &["platform", "domain"];

/// Brief fields a question may name.
pub const BRIEF_FIELDS: &[&str] = &[
    "business_context",
    "data_consumers",
    "data_consumers.latency",
    "sources",
    "storage",
    "volume.current_gb_per_day",
    "volume.growth_rate_percent",
    "volume.retention_months",
    "constraints.budget_monthly_usd",
    "constraints.team_size",
    "constraints.skill_level",
    "constraints.compliance",
    "constraints.cloud_provider",
];

impl ArchitectureBook {
    pub(super) fn validate(&self) -> Issues {
        let mut issues = Issues::default();
        let known: Vec<&str> = self.facts.iter().map(|f| f.id.as_str()).collect();
        issues.unique_ids("fact", known.iter().copied());
        issues.unique_ids("question", self.questions.iter().map(|q| q.id.as_str()));
        issues.unique_ids("pattern", self.patterns.iter().map(|p| p.id.as_str()));
        issues.unique_ids("category", self.categories.iter().map(|c| c.id.as_str()));
        issues.unique_ids("guardrail", self.guardrails.iter().map(|g| g.id.as_str()));
        let candidates = self.categories.iter().flat_map(|c| &c.candidates);
        issues.unique_ids("candidate", candidates.clone().map(|c| c.id.as_str()));
        issues.unique_ids(
            "avoid rule",
            candidates
                .clone()
                .flat_map(|c| c.avoid.iter().map(|a| a.id.as_str())),
        );
        for q in &self.questions {
            if !BRIEF_FIELDS.contains(&q.field.as_str()) {
                issues.push(
                    q.id.clone(),
                    format!(
                        "`{}`: unknown brief field `{}`; known: {}",
                        q.id,
                        q.field,
                        BRIEF_FIELDS.join(", ")
                    ),
                );
            }
        }
        for p in &self.patterns {
            conditions::check(&mut issues, &p.id, &p.when, &known);
        }
        if !self.patterns.iter().any(|p| p.id == self.default_pattern) {
            issues.push(
                "default_pattern".to_string(),
                format!(
                    "default_pattern: unknown pattern `{}`",
                    self.default_pattern
                ),
            );
        }
        if !self.guardrails.iter().any(|g| g.id == self.default_reason) {
            issues.push(
                "default_reason".to_string(),
                format!(
                    "default_reason: unknown guardrail `{}`",
                    self.default_reason
                ),
            );
        }
        conditions::check_questions(&mut issues, &self.decision_questions, &known);
        for cat in &self.categories {
            for path in &cat.paths {
                if !PATHS.contains(&path.as_str()) {
                    issues.push(
                        cat.id.clone(),
                        format!(
                            "category `{}`: unknown path `{path}`; allowed: {}",
                            cat.id,
                            PATHS.join(", ")
                        ),
                    );
                }
            }
            for zone in &cat.zones {
                if !ZONES.contains(&zone.as_str()) {
                    issues.push(
                        cat.id.clone(),
                        format!(
                            "category `{}`: unknown zone `{zone}`; allowed: {}",
                            cat.id,
                            ZONES.join(", ")
                        ),
                    );
                }
            }
            if !MESH_SCOPES.contains(&cat.mesh.scope.as_str()) {
                issues.push(
                    cat.id.clone(),
                    format!(
                        "category `{}`: unknown mesh scope `{}`; allowed: {}",
                        cat.id,
                        cat.mesh.scope,
                        MESH_SCOPES.join(", ")
                    ),
                );
            }
            // A fallback: a candidate whose pick rule names no fact but `path` (per path).
            let fallback_for = |path: Option<&str>| {
                cat.candidates.iter().any(|c| {
                    c.pick_when.as_ref().is_some_and(|w| {
                        w.iter().all(|(fact, cond)| {
                            fact == "path"
                                && path
                                    .is_some_and(|p| cond.holds(Some(&serde_json::Value::from(p))))
                        })
                    })
                })
            };
            let missing: Vec<String> = if cat.paths.is_empty() {
                (!fallback_for(None))
                    .then(|| "{}".to_string())
                    .into_iter()
                    .collect()
            } else {
                cat.paths
                    .iter()
                    .filter(|p| !fallback_for(Some(p)))
                    .map(|p| format!("{{path: {p}}}"))
                    .collect()
            };
            for m in missing {
                issues.push(
                    cat.id.clone(),
                    format!(
                        "category `{}` needs a fallback candidate with `pick_when: {m}`",
                        cat.id
                    ),
                );
            }
            for cand in &cat.candidates {
                if let Some(w) = &cand.pick_when {
                    conditions::check(&mut issues, &cand.id, w, &known);
                }
                for rule in &cand.avoid {
                    conditions::check(&mut issues, &rule.id, &rule.when, &known);
                }
            }
        }
        for g in &self.guardrails {
            conditions::check(&mut issues, &g.id, &g.when, &known);
        }
        issues
    }
}
