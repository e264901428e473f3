//! Architecture assessment: validates the brief (missing answers become questions),
//! derives facts from it, and walks the playbook's pattern matrix, technology candidates
//! (with their "avoid when" rules) and guardrails. Every pick carries the rule id that
//! made it and the facts that satisfied it.

use std::collections::BTreeSet;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::error::{Error, Result};
use crate::playbook::architecture::{ArchitectureBook, Candidate, Category, ZONES};
use crate::playbook::conditions::{self, Facts};

/// Params of `assess_architecture`: the architecture brief. Leave unknown answers out; they become questions.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AssessArchitectureParams {
    /// What business decision or product the data serves.
    pub business_context: Option<String>,
    /// Who consumes the data.
    #[serde(default)]
    pub data_consumers: Vec<Consumer>,
    /// Source systems.
    #[serde(default)]
    pub sources: Vec<SourceSystem>,
    /// Where data lives today (e.g. `postgresql`, `s3`, `snowflake`).
    #[serde(default)]
    pub storage: Vec<String>,
    /// What is broken, slow or unreliable today.
    #[serde(default)]
    pub pain_points: Vec<String>,
    /// Volume, growth and retention.
    pub volume: Option<Volume>,
    /// Budget, team and compliance.
    pub constraints: Option<Constraints>,
    /// Tools under consideration; each is checked against its avoid-when rules.
    #[serde(default)]
    pub considering: Vec<String>,
    /// Project id: record the result in this project.
    pub project: Option<String>,
}

// A consumer of the data.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Consumer {
    /// Team name.
    pub team: String,
    /// What they use the data for.
    pub use_case: UseCase,
    /// How fresh the data must be.
    pub latency: Option<Latency>,
    /// How they query it.
    pub query_pattern: Option<QueryPattern>,
}

// Consumer use case.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum UseCase {
    // Analytics.
    Analytics,
    // Machine learning.
    Ml,
    // Operational systems.
    Operational,
    // Reporting.
    Reporting,
    // Reverse ETL into SaaS tools.
    ReverseEtl,
}

// Required freshness.
#[derive(
    Debug, Clone, Copy, Deserialize, Serialize, JsonSchema, PartialEq, Eq, PartialOrd, Ord,
)]
#[serde(rename_all = "snake_case")]
pub enum Latency {
    // Under one second.
    RealTime,
    // Under five minutes.
    NearRealTime,
    // Hourly or slower.
    Batch,
}

// How a consumer queries.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum QueryPattern {
    // Ad-hoc SQL.
    AdHoc,
    // Scheduled jobs.
    Scheduled,
    // Through an API.
    Api,
    // Dashboards.
    Dashboard,
}

// A source system.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SourceSystem {
    /// Name.
    pub name: String,
    /// Kind of source.
    pub kind: SourceKind,
    /// Stream: history kept long enough to replay from the start.
    pub replayable: Option<bool>,
    /// Database: its change log is readable by CDC.
    pub cdc: Option<bool>,
}

// Kind of source system.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    // A database.
    Database,
    // An HTTP API.
    Api,
    // Files (S3, SFTP, email).
    Files,
    // A stream (Kafka, Kinesis, Pub/Sub).
    Stream,
}

// Volume figures.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Volume {
    /// GB of new data per day.
    pub current_gb_per_day: Option<f64>,
    /// Yearly growth in percent.
    pub growth_rate_percent: Option<f64>,
    /// Months of history to keep.
    pub retention_months: Option<f64>,
}

// Constraints.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Constraints {
    /// Monthly budget in USD.
    pub budget_monthly_usd: Option<f64>,
    /// Data engineers on the team.
    pub team_size: Option<u32>,
    /// Team skill level.
    pub skill_level: Option<Skill>,
    /// Compliance regimes (GDPR, HIPAA, SOX, PCI); `[]` or `[none]` for none.
    pub compliance: Option<Vec<String>>,
    /// Cloud provider.
    pub cloud_provider: Option<Cloud>,
}

// Team skill level.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Skill {
    // Junior.
    Junior,
    // Mid-level.
    Mid,
    // Senior.
    Senior,
    // Mixed.
    Mixed,
}

// Cloud provider.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Cloud {
    // Amazon Web Services.
    Aws,
    // Google Cloud.
    Gcp,
    // Microsoft Azure.
    Azure,
    // Several clouds.
    Multi,
    // On premises.
    OnPrem,
}

/// The assessment.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ArchitectureAssessment {
    /// Open questions about the brief (empty when it is complete).
    pub questions: Vec<OpenQuestion>,
    /// Facts derived from the brief that the decisions read.
    pub facts: Facts,
    /// Chosen architecture patterns with the signal that chose each.
    pub patterns: Vec<PatternPick>,
    /// Technology pick per layer.
    pub technology: Vec<LayerPick>,
    /// Avoid-when warnings for tools named in the brief (storage, considering).
    pub warnings: Vec<ToolWarning>,
    /// Guardrails that apply.
    pub guardrails: Vec<GuardrailNote>,
    /// Pain points from the brief, echoed for the phase document.
    pub pain_points: Vec<String>,
    /// The brief's business context, echoed for the phase document.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub business_context: Option<String>,
    /// The brief's consumers and the freshness each needs, echoed for the phase
    /// document's success metrics.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub consumers: Vec<Consumer>,
    /// The project the result is recorded under.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
}

/// A question for a missing answer, shared by every tool that asks instead of assuming.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct OpenQuestion {
    /// Stable id.
    pub id: String,
    /// The input field that answers it.
    pub field: String,
    /// The question.
    pub ask: String,
    /// The decision under each answer (when the answer changes a decision).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub answers: Vec<AnswerDecision>,
}

/// One answer of an [`OpenQuestion`] and what dana decides under it.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct AnswerDecision {
    /// The answer.
    pub answer: String,
    /// The decision it leads to.
    pub decision: String,
}

impl OpenQuestion {
    /// A question with the decision under each answer.
    pub fn with_answers(
        id: &str,
        field: &str,
        ask: &str,
        answers: impl IntoIterator<Item = (String, String)>,
    ) -> Self {
        OpenQuestion {
            id: id.to_string(),
            field: field.to_string(),
            ask: ask.to_string(),
            answers: answers
                .into_iter()
                .map(|(answer, decision)| AnswerDecision { answer, decision })
                .collect(),
        }
    }
}

/// A chosen pattern.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct PatternPick {
    /// Rule id.
    pub id: String,
    /// Pattern key.
    pub pattern: String,
    /// Title.
    pub title: String,
    /// The signal of the matrix row.
    pub signal: String,
    /// The facts that satisfied it.
    pub evidence: String,
    /// The trade-off.
    pub tradeoff: String,
    /// Chosen by default because no row matched (reason id in `evidence`).
    pub default: bool,
}

/// The pick for one technology layer (and data path).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct LayerPick {
    /// Layer (`ingestion`, `storage`, `processing`, `transformation`, `orchestration`,
    /// `quality`, `catalog`, `serving`).
    pub layer: String,
    /// Data path (`batch` or `stream`) for layers decided per path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Lakehouse zone (`raw`, `cleaned`, `curated`) for layers decided per zone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone: Option<String>,
    /// Data mesh: `platform` (shared by every domain) or `domain` (each domain picks).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// Candidate id.
    pub id: String,
    /// Tool.
    pub tool: String,
    /// What it is best for.
    pub best_for: String,
    /// Why it was picked (facts that satisfied its pick rule).
    pub reason: String,
    /// Avoid-when rules it still hits (only when every candidate hit one).
    pub warnings: Vec<AvoidHit>,
    /// Preferred candidates passed over, with the avoid rules that ruled them out.
    pub passed_over: Vec<PassedOver>,
    /// The next candidate that would be picked without this one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runner_up: Option<RunnerUp>,
}

/// The runner-up of a layer pick.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct RunnerUp {
    /// Candidate id.
    pub id: String,
    /// Tool.
    pub tool: String,
    /// Why it is eligible (facts that satisfied its pick rule).
    pub reason: String,
    /// Avoid-when rules it hits.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<AvoidHit>,
}

/// An avoid-when rule that fired.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct AvoidHit {
    /// Rule id.
    pub id: String,
    /// The warning.
    pub warning: String,
}

/// A candidate ruled out.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct PassedOver {
    /// Tool.
    pub tool: String,
    /// Why.
    pub avoid: Vec<AvoidHit>,
}

/// A warning about a tool named in the brief.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ToolWarning {
    /// The name as given.
    pub tool: String,
    /// Where it was named (`storage` or `considering`).
    pub named_in: String,
    /// The data path the rule concerns, when it is scoped to one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The lakehouse zone the rule concerns, when it is scoped to one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone: Option<String>,
    /// Rule id (`UNKNOWN-TOOL` when dana has no entry for it).
    pub id: String,
    /// The warning.
    pub warning: String,
}

/// A guardrail that applies.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct GuardrailNote {
    /// Stable id.
    pub id: String,
    /// The rule.
    pub rule: String,
    /// What to do.
    pub advice: String,
}

/// Assesses a brief against the architecture playbook.
pub fn assess(
    book: &ArchitectureBook,
    brief: &AssessArchitectureParams,
) -> Result<ArchitectureAssessment> {
    validate(brief)?;
    let facts = facts(book, brief);
    let decided = decide(book, &facts);
    let mut warnings = Vec::new();
    let named = brief
        .storage
        .iter()
        .map(|t| (t, "storage"))
        .chain(brief.considering.iter().map(|t| (t, "considering")));
    for (tool, named_in) in named {
        let candidate = book
            .categories
            .iter()
            .flat_map(|cat| cat.candidates.iter().map(move |c| (cat, c)))
            .find(|(_, c)| c.is_named(tool));
        match candidate {
            Some((cat, cand)) => {
                for (hit, Scope { path, zone }) in named_hits(cat, cand, &facts, &decided) {
                    warnings.push(ToolWarning {
                        tool: tool.clone(),
                        named_in: named_in.to_string(),
                        path,
                        zone,
                        id: hit.id,
                        warning: hit.warning,
                    });
                }
            }
            None if named_in == "considering" => warnings.push(ToolWarning {
                tool: tool.clone(),
                named_in: named_in.to_string(),
                path: None,
                zone: None,
                id: "UNKNOWN-TOOL".to_string(),
                warning: "dana's technology playbook has no entry for this tool; judge it against the facts above".to_string(),
            }),
            None => {}
        }
    }
    let guardrails = book
        .guardrails
        .iter()
        .filter(|g| conditions::holds(&g.when, &facts))
        .map(|g| GuardrailNote {
            id: g.id.clone(),
            rule: g.rule.clone(),
            advice: g.advice.clone(),
        })
        .collect();
    let mut questions = questions(book, brief);
    questions.extend(decision_questions(book, &facts, &decided));
    Ok(ArchitectureAssessment {
        questions,
        facts,
        patterns: decided.patterns,
        technology: decided.technology,
        warnings,
        guardrails,
        pain_points: brief.pain_points.clone(),
        business_context: brief.business_context.clone(),
        consumers: brief.data_consumers.clone(),
        project: brief.project.clone(),
    })
}

/// Patterns, active paths and zones, and layer picks for a set of facts.
struct Decided {
    patterns: Vec<PatternPick>,
    paths: Vec<&'static str>,
    zones: Vec<&'static str>,
    technology: Vec<LayerPick>,
}

/// Where a layer is decided: the data path and lakehouse zone (either may be none).
#[derive(Debug, Clone, Default, PartialEq)]
struct Scope {
    path: Option<String>,
    zone: Option<String>,
}

impl Scope {
    /// The facts with `path` and `zone` set for this scope.
    fn facts(&self, facts: &Facts) -> Facts {
        let mut f = facts.clone();
        for (key, value) in [("path", &self.path), ("zone", &self.zone)] {
            if let Some(v) = value {
                f.insert(key.into(), json!(v));
            }
        }
        f
    }
}

fn decide(book: &ArchitectureBook, facts: &Facts) -> Decided {
    let mut patterns: Vec<PatternPick> = book
        .patterns
        .iter()
        .filter(|p| conditions::holds(&p.when, facts))
        .map(|p| PatternPick {
            id: p.id.clone(),
            pattern: p.pattern.clone(),
            title: p.title.clone(),
            signal: p.signal.clone(),
            evidence: conditions::explain(&p.when, facts),
            tradeoff: p.tradeoff.clone(),
            default: false,
        })
        .collect();
    if patterns.is_empty()
        && let Some(p) = book.patterns.iter().find(|p| p.id == book.default_pattern)
    {
        patterns.push(PatternPick {
            id: p.id.clone(),
            pattern: p.pattern.clone(),
            title: p.title.clone(),
            signal: p.signal.clone(),
            evidence: format!(
                "no matrix row matched the known facts; default per {}",
                book.default_reason
            ),
            tradeoff: p.tradeoff.clone(),
            default: true,
        });
    }
    let paths = active_paths(facts, &patterns);
    let has = |pattern: &str| patterns.iter().any(|p| p.pattern == pattern);
    let zones: Vec<&'static str> = if has("lakehouse") {
        ZONES.to_vec()
    } else {
        Vec::new()
    };
    let mesh = has("data_mesh");
    let mut technology = Vec::new();
    for cat in &book.categories {
        for scope in layer_scopes(cat, &paths, &zones) {
            if let Some(mut pick) = pick_layer(&cat.id, &cat.candidates, &scope.facts(facts)) {
                if mesh {
                    pick.scope = Some(cat.mesh.scope.clone());
                    pick.reason = format!(
                        "{}; data mesh, {}: {}",
                        pick.reason, cat.mesh.scope, cat.mesh.note
                    );
                }
                pick.path = scope.path;
                pick.zone = scope.zone;
                technology.push(pick);
            }
        }
    }
    Decided {
        patterns,
        paths,
        zones,
        technology,
    }
}

/// Where a layer is decided: once, or once per active path it has; in a lakehouse, a zoned
/// layer once per zone it has (on the batch path only when it is also decided per path).
fn layer_scopes(cat: &Category, paths: &[&str], zones: &[&str]) -> Vec<Scope> {
    let paths: Vec<Option<&str>> = if cat.paths.is_empty() {
        vec![None]
    } else {
        paths
            .iter()
            .filter(|p| cat.paths.iter().any(|c| c == *p))
            .map(|p| Some(*p))
            .collect()
    };
    let mut out = Vec::new();
    for path in paths {
        let layer_zones: Vec<&str> = zones
            .iter()
            .filter(|z| cat.zones.iter().any(|c| c == *z))
            .copied()
            .collect();
        if layer_zones.is_empty() || path.is_some_and(|p| p != "batch") {
            out.push(Scope {
                path: path.map(str::to_string),
                zone: None,
            });
            continue;
        }
        for zone in layer_zones {
            out.push(Scope {
                path: path.map(str::to_string),
                zone: Some(zone.to_string()),
            });
        }
    }
    out
}

/// The data paths a design has: `stream` when a consumer needs sub-second data; `batch`
/// for every other consumer (and while latencies are unknown), except in a Kappa design,
/// where the replayable stream serves batch consumers too.
fn active_paths(facts: &Facts, patterns: &[PatternPick]) -> Vec<&'static str> {
    let is = |fact: &str| facts.get(fact) == Some(&json!(true));
    let kappa = patterns.iter().any(|p| p.pattern == "kappa");
    let stream = is("has_real_time");
    let batch = !kappa && (!stream || is("has_batch") || is("has_near_real_time"));
    let mut paths = Vec::new();
    if batch {
        paths.push("batch");
    }
    if stream {
        paths.push("stream");
    }
    paths
}

/// Avoid rules a named tool hits: unscoped rules once; a rule scoped to a path or zone on
/// each path and zone its layer is decided for in this design.
fn named_hits(
    cat: &Category,
    cand: &Candidate,
    facts: &Facts,
    decided: &Decided,
) -> Vec<(AvoidHit, Scope)> {
    let mut scopes = layer_scopes(cat, &decided.paths, &decided.zones);
    if scopes.is_empty() {
        scopes.push(Scope::default());
    }
    let mut out: Vec<(AvoidHit, Scope)> = Vec::new();
    for rule in &cand.avoid {
        let mut seen: Vec<Scope> = Vec::new();
        for s in &scopes {
            // Only the scope keys the rule names matter.
            let scope = Scope {
                path: s.path.clone().filter(|_| rule.when.contains_key("path")),
                zone: s.zone.clone().filter(|_| rule.when.contains_key("zone")),
            };
            if seen.contains(&scope) {
                continue;
            }
            seen.push(scope.clone());
            if conditions::holds(&rule.when, &scope.facts(facts)) {
                out.push((hit(rule), scope));
            }
        }
    }
    out
}

fn hit(rule: &crate::playbook::architecture::AvoidRule) -> AvoidHit {
    AvoidHit {
        id: rule.id.clone(),
        warning: rule.warning.clone(),
    }
}

impl LayerPick {
    /// `layer`, `layer (path)`, `layer [zone]` or `layer (path) [zone]`.
    pub fn key(&self) -> String {
        let mut key = self.layer.clone();
        if let Some(p) = &self.path {
            key.push_str(&format!(" ({p})"));
        }
        if let Some(z) = &self.zone {
            key.push_str(&format!(" [{z}]"));
        }
        key
    }
}

/// One line per decision, keyed for comparison: `pattern` → ids, `layer/path` → tool.
fn decision_lines(d: &Decided) -> Vec<(String, String)> {
    let mut lines = vec![(
        "pattern".to_string(),
        d.patterns
            .iter()
            .map(|p| p.title.clone())
            .collect::<Vec<_>>()
            .join(" + "),
    )];
    for t in &d.technology {
        lines.push((t.key(), t.tool.clone()));
    }
    lines
}

/// Questions for unknown facts whose answers change a decision, with what changes.
fn decision_questions(
    book: &ArchitectureBook,
    facts: &Facts,
    decided: &Decided,
) -> Vec<OpenQuestion> {
    let relevant = |fact: &str| -> bool {
        match fact {
            // Only asked when there is something to settle.
            "database_cdc" => facts.get("has_database_source") == Some(&json!(true)),
            "stream_replayable" => facts.get("has_stream_source") == Some(&json!(true)),
            _ => true,
        }
    };
    let mut out = Vec::new();
    for q in &book.decision_questions {
        if facts.get(&q.fact).is_some_and(|v| !v.is_null()) || !relevant(&q.fact) {
            continue;
        }
        let per_answer: Vec<(String, Vec<(String, String)>)> = q
            .answers
            .iter()
            .map(|a| {
                let mut f = facts.clone();
                f.insert(q.fact.clone(), a.value.clone());
                (a.answer.clone(), decision_lines(&decide(book, &f)))
            })
            .collect();
        let now = decision_lines(decided);
        let keys: BTreeSet<&String> = per_answer
            .iter()
            .flat_map(|(_, l)| l.iter().map(|(k, _)| k))
            .chain(now.iter().map(|(k, _)| k))
            .collect();
        let value_of = |lines: &[(String, String)], key: &str| {
            lines
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.clone())
                .unwrap_or_else(|| "none".to_string())
        };
        let differing: Vec<&String> = keys
            .into_iter()
            .filter(|k| {
                let first = value_of(&per_answer[0].1, k);
                per_answer.iter().any(|(_, l)| value_of(l, k) != first)
            })
            .collect();
        if differing.is_empty() {
            continue;
        }
        out.push(OpenQuestion::with_answers(
            &q.id,
            &q.field,
            &q.ask,
            per_answer.iter().map(|(answer, lines)| {
                let decision = differing
                    .iter()
                    .map(|k| format!("{k}: {}", value_of(lines, k)))
                    .collect::<Vec<_>>()
                    .join("; ");
                (answer.clone(), decision)
            }),
        ));
    }
    out
}

fn validate(brief: &AssessArchitectureParams) -> Result<()> {
    for (i, c) in brief.data_consumers.iter().enumerate() {
        if c.team.trim().is_empty() {
            return Err(Error::invalid(format!(
                "data_consumers[{i}].team: must not be empty"
            )));
        }
    }
    if let Some(v) = &brief.volume {
        for (name, x) in [
            ("current_gb_per_day", v.current_gb_per_day),
            ("growth_rate_percent", v.growth_rate_percent),
            ("retention_months", v.retention_months),
        ] {
            if let Some(x) = x
                && (!x.is_finite() || x < 0.0)
            {
                return Err(Error::invalid(format!(
                    "volume.{name}: `{x}` must be a number >= 0"
                )));
            }
        }
    }
    if let Some(b) = brief
        .constraints
        .as_ref()
        .and_then(|c| c.budget_monthly_usd)
        && (!b.is_finite() || b < 0.0)
    {
        return Err(Error::invalid(format!(
            "constraints.budget_monthly_usd: `{b}` must be a number >= 0"
        )));
    }
    Ok(())
}

fn questions(book: &ArchitectureBook, brief: &AssessArchitectureParams) -> Vec<OpenQuestion> {
    let v = brief.volume.clone().unwrap_or_default();
    let c = brief.constraints.clone().unwrap_or_default();
    let missing = |field: &str| -> bool {
        match field {
            "business_context" => brief
                .business_context
                .as_deref()
                .is_none_or(|s| s.trim().is_empty()),
            "data_consumers" => brief.data_consumers.is_empty(),
            "data_consumers.latency" => brief.data_consumers.iter().any(|c| c.latency.is_none()),
            "sources" => brief.sources.is_empty(),
            "storage" => brief.storage.is_empty(),
            "volume.current_gb_per_day" => v.current_gb_per_day.is_none(),
            "volume.growth_rate_percent" => v.growth_rate_percent.is_none(),
            "volume.retention_months" => v.retention_months.is_none(),
            "constraints.budget_monthly_usd" => c.budget_monthly_usd.is_none(),
            "constraints.team_size" => c.team_size.is_none(),
            "constraints.skill_level" => c.skill_level.is_none(),
            "constraints.compliance" => c.compliance.is_none(),
            "constraints.cloud_provider" => c.cloud_provider.is_none(),
            _ => false,
        }
    };
    book.questions
        .iter()
        .filter(|q| missing(&q.field))
        .map(|q| OpenQuestion {
            id: q.id.clone(),
            field: q.field.clone(),
            ask: q.ask.clone(),
            answers: Vec::new(),
        })
        .collect()
}

/// The facts the playbook's conditions read, derived from the brief. Unknown facts are absent.
pub fn facts(book: &ArchitectureBook, brief: &AssessArchitectureParams) -> Facts {
    let mut f = Facts::new();
    let consumers = &brief.data_consumers;
    if !consumers.is_empty() {
        let latencies: Vec<Latency> = consumers.iter().filter_map(|c| c.latency).collect();
        if let Some(fastest) = latencies.iter().min() {
            f.insert(
                "fastest_latency".into(),
                serde_json::to_value(fastest).unwrap_or(Value::Null),
            );
        }
        let has = |l: Latency| json!(latencies.contains(&l));
        f.insert("has_real_time".into(), has(Latency::RealTime));
        f.insert("has_near_real_time".into(), has(Latency::NearRealTime));
        f.insert("has_batch".into(), has(Latency::Batch));
        let ml = consumers
            .iter()
            .filter(|c| c.use_case == UseCase::Ml)
            .count();
        f.insert(
            "ml_share".into(),
            json!(round2(ml as f64 / consumers.len() as f64)),
        );
        let teams: BTreeSet<String> = consumers
            .iter()
            .map(|c| c.team.trim().to_lowercase())
            .collect();
        f.insert("domain_teams".into(), json!(teams.len()));
        f.insert(
            "has_reverse_etl".into(),
            json!(consumers.iter().any(|c| c.use_case == UseCase::ReverseEtl)),
        );
        f.insert(
            "has_realtime_dashboard".into(),
            json!(consumers.iter().any(|c| {
                c.latency == Some(Latency::RealTime)
                    && matches!(
                        c.query_pattern,
                        Some(QueryPattern::AdHoc | QueryPattern::Dashboard)
                    )
            })),
        );
    }
    if !brief.sources.is_empty() {
        let of_kind = |k: SourceKind| -> Vec<&SourceSystem> {
            brief.sources.iter().filter(|s| s.kind == k).collect()
        };
        let streams = of_kind(SourceKind::Stream);
        let databases = of_kind(SourceKind::Database);
        f.insert("has_stream_source".into(), json!(!streams.is_empty()));
        f.insert("has_database_source".into(), json!(!databases.is_empty()));
        f.insert(
            "has_api_source".into(),
            json!(!of_kind(SourceKind::Api).is_empty()),
        );
        f.insert(
            "only_file_sources".into(),
            json!(of_kind(SourceKind::Files).len() == brief.sources.len()),
        );
        // Unknown stays unknown: one `true` settles replay, one `false` settles CDC.
        if streams.is_empty() || streams.iter().any(|s| s.replayable == Some(true)) {
            f.insert("stream_replayable".into(), json!(!streams.is_empty()));
        } else if streams.iter().all(|s| s.replayable == Some(false)) {
            f.insert("stream_replayable".into(), json!(false));
        }
        if databases.iter().any(|s| s.cdc == Some(false)) {
            f.insert("database_cdc".into(), json!(false));
        } else if !databases.is_empty() && databases.iter().all(|s| s.cdc == Some(true)) {
            f.insert("database_cdc".into(), json!(true));
        }
        f.insert("source_count".into(), json!(brief.sources.len()));
    }
    if !brief.storage.is_empty() && !consumers.is_empty() {
        let object_store = book
            .categories
            .iter()
            .flat_map(|c| &c.candidates)
            .find(|c| c.tool == "object_storage");
        let has_lake = brief
            .storage
            .iter()
            .any(|s| object_store.is_some_and(|c| c.is_named(s)));
        let sql = consumers.iter().any(|c| {
            matches!(
                c.query_pattern,
                Some(QueryPattern::AdHoc | QueryPattern::Dashboard)
            )
        });
        f.insert("lake_and_sql".into(), json!(has_lake && sql));
    }
    let c = brief.constraints.clone().unwrap_or_default();
    if let Some(n) = c.team_size {
        f.insert("team_size".into(), json!(n));
    }
    if let Some(s) = c.skill_level {
        f.insert(
            "skill_level".into(),
            serde_json::to_value(s).unwrap_or(Value::Null),
        );
    }
    if let Some(b) = c.budget_monthly_usd {
        f.insert("budget_monthly_usd".into(), json!(b));
    }
    if let Some(cloud) = c.cloud_provider {
        f.insert(
            "cloud".into(),
            serde_json::to_value(cloud).unwrap_or(Value::Null),
        );
    }
    if let Some(list) = &c.compliance {
        let any = list
            .iter()
            .any(|x| !x.trim().is_empty() && !x.trim().eq_ignore_ascii_case("none"));
        f.insert("has_compliance".into(), json!(any));
    }
    let v = brief.volume.clone().unwrap_or_default();
    if let Some(daily) = v.current_gb_per_day {
        f.insert("daily_gb".into(), json!(daily));
        if let Some(months) = v.retention_months {
            let grown = daily * (1.0 + v.growth_rate_percent.unwrap_or(0.0) / 100.0);
            f.insert("stored_gb".into(), json!(round2(grown * 30.4 * months)));
        }
    }
    f
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn avoid_hits(cand: &Candidate, facts: &Facts) -> Vec<AvoidHit> {
    cand.avoid
        .iter()
        .filter(|a| conditions::holds(&a.when, facts))
        .map(|a| AvoidHit {
            id: a.id.clone(),
            warning: a.warning.clone(),
        })
        .collect()
}

/// Picks the first candidate whose pick rule holds and that hits no avoid rule; when every
/// eligible candidate hits one, the first eligible is returned with its warnings. The
/// runner-up is the candidate that would be picked if the pick were struck out.
pub fn pick_layer(layer: &str, candidates: &[Candidate], facts: &Facts) -> Option<LayerPick> {
    let eligible: Vec<(&Candidate, Vec<AvoidHit>)> = candidates
        .iter()
        .filter(|c| {
            c.pick_when
                .as_ref()
                .is_some_and(|w| conditions::holds(w, facts))
        })
        .map(|c| (c, avoid_hits(c, facts)))
        .collect();
    let choose = |skip: Option<&str>| {
        let rest = || eligible.iter().filter(|(c, _)| Some(c.id.as_str()) != skip);
        rest()
            .find(|(_, hits)| hits.is_empty())
            .or_else(|| rest().next())
    };
    let (cand, hits) = choose(None)?;
    let clean = hits.is_empty();
    let reason = conditions::explain(cand.pick_when.as_ref()?, facts);
    // Clean pick: the preferred candidates ruled out before it; least-bad pick: the others.
    let at = eligible.iter().position(|(c, _)| c.id == cand.id)?;
    let passed_over = eligible
        .iter()
        .enumerate()
        .filter(|(i, (_, h))| *i != at && !h.is_empty() && (!clean || *i < at))
        .map(|(_, (c, h))| PassedOver {
            tool: c.tool.clone(),
            avoid: h.clone(),
        })
        .collect::<Vec<_>>();
    let runner_up = choose(Some(&cand.id)).map(|(c, h)| RunnerUp {
        id: c.id.clone(),
        tool: c.tool.clone(),
        reason: c
            .pick_when
            .as_ref()
            .map(|w| conditions::explain(w, facts))
            .unwrap_or_default(),
        warnings: h.clone(),
    });
    Some(LayerPick {
        layer: layer.to_string(),
        path: None,
        zone: None,
        scope: None,
        id: cand.id.clone(),
        tool: cand.tool.clone(),
        best_for: cand.best_for.clone(),
        reason: if clean {
            reason
        } else {
            format!(
                "{reason}; every eligible candidate hits an avoid rule, so this is the least-bad choice"
            )
        },
        warnings: if clean { Vec::new() } else { hits.clone() },
        passed_over,
        runner_up,
    })
}
