//! Operations: the test pyramid tailored to a pipeline, failure triage over the playbook's
//! tree, and runbooks rendered from templates with the pipeline's details filled in.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::error::{Error, Result};
use crate::playbook::Playbooks;
use crate::playbook::conditions::{self, Facts};
use crate::playbook::operations::OperationsBook;
use crate::render::Templates;

use super::architecture::SourceKind;

// The pipeline a plan or runbook is about (fields of a `design_pipeline` spec).
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PipelineRef {
    /// Pipeline name.
    pub name: String,
    /// Target table.
    pub table: Option<String>,
    /// Source system.
    pub source: Option<String>,
    /// Kind of source.
    pub source_kind: Option<SourceKind>,
    /// Load strategy (append, merge, partition_swap, truncate_reload, soft_delete).
    pub load_strategy: Option<String>,
    /// Transform engine (sql, dbt, spark, python).
    pub engine: Option<String>,
    /// Natural/merge key columns.
    #[serde(default)]
    pub merge_keys: Vec<String>,
    /// Partition column.
    pub partition_key: Option<String>,
    /// 1 critical, 2 important, 3 nice-to-have.
    pub tier: Option<u8>,
    /// SLA in minutes.
    pub sla_minutes: Option<u32>,
    /// Owning team.
    pub owner: Option<String>,
    /// Alert channels.
    #[serde(default)]
    pub alert_channels: Vec<String>,
    /// Failures affect revenue or compliance (escalates alerts).
    #[serde(default)]
    pub revenue_or_compliance: bool,
}

impl PipelineRef {
    fn check(&self, field: &str) -> Result<()> {
        if self.name.trim().is_empty() {
            return Err(Error::invalid(format!("{field}.name: must not be empty")));
        }
        if let Some(t) = self.tier
            && !(1..=3).contains(&t)
        {
            return Err(Error::invalid(format!(
                "{field}.tier: `{t}` is not allowed; allowed: 1, 2, 3"
            )));
        }
        Ok(())
    }

    fn table_or_name(&self) -> String {
        self.table
            .clone()
            .unwrap_or_else(|| format!("the target of {}", self.name))
    }

    /// Severity of a failed run for this pipeline (from the playbook's MON-FAILED-RUNS routing).
    pub fn failure_severity(&self, ops: &OperationsBook) -> String {
        severity_for(
            ops,
            "MON-FAILED-RUNS",
            self.tier.unwrap_or(2),
            self.revenue_or_compliance,
        )
    }
}

/// Severity of a metric's alert for a tier, escalated for revenue/compliance tier-1 pipelines.
pub fn severity_for(ops: &OperationsBook, metric: &str, tier: u8, critical: bool) -> String {
    let base = ops
        .metrics
        .iter()
        .find(|m| m.id == metric)
        .and_then(|m| m.severity_by_tier.get(usize::from(tier.clamp(1, 3)) - 1))
        .cloned()
        .unwrap_or_else(|| "P2".to_string());
    if critical && tier == 1 && base == "P1" {
        ops.escalate_critical_to.clone()
    } else {
        base
    }
}

/// Params of `plan_tests`.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanTestsParams {
    /// The pipeline to test.
    pub pipeline: PipelineRef,
    /// Project id: record the result in this project.
    pub project: Option<String>,
}

/// The test plan.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct TestPlan {
    /// Pipeline name.
    pub pipeline: String,
    /// Layers bottom to top.
    pub layers: Vec<TestLayerPlan>,
    /// The project the result is recorded under.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
}

/// One layer of the pyramid.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct TestLayerPlan {
    /// Stable id.
    pub id: String,
    /// Layer.
    pub layer: String,
    /// What it covers.
    pub what: String,
    /// How.
    pub how: String,
    /// When it runs.
    pub when: String,
    /// Tests for this pipeline.
    pub tests: Vec<String>,
}

/// Tailors the test pyramid to a pipeline.
pub fn plan_tests(ops: &OperationsBook, p: &PlanTestsParams) -> Result<TestPlan> {
    p.pipeline.check("pipeline")?;
    let pipe = &p.pipeline;
    let mut facts = Facts::new();
    if let Some(k) = pipe.source_kind {
        facts.insert(
            "source_kind".into(),
            serde_json::to_value(k).unwrap_or_default(),
        );
    }
    if let Some(l) = &pipe.load_strategy {
        facts.insert("load_strategy".into(), json!(l));
    }
    if let Some(e) = &pipe.engine {
        facts.insert("engine".into(), json!(e.to_lowercase()));
    }
    facts.insert("has_merge_keys".into(), json!(!pipe.merge_keys.is_empty()));
    facts.insert(
        "has_partition_key".into(),
        json!(pipe.partition_key.is_some()),
    );
    facts.insert("has_sla".into(), json!(pipe.sla_minutes.is_some()));
    facts.insert("tier".into(), json!(pipe.tier.unwrap_or(2)));
    let values = placeholders(pipe);
    let layers = ops
        .test_pyramid
        .iter()
        .map(|layer| TestLayerPlan {
            id: layer.id.clone(),
            layer: layer.layer.clone(),
            what: layer.what.clone(),
            how: layer.how.clone(),
            when: layer.when.clone(),
            tests: layer
                .cases
                .iter()
                .filter(|c| conditions::holds(&c.when, &facts))
                .map(|c| fill(&c.test, &values))
                .collect(),
        })
        .collect();
    Ok(TestPlan {
        pipeline: pipe.name.clone(),
        layers,
        project: p.project.clone(),
    })
}

fn placeholders(pipe: &PipelineRef) -> BTreeMap<&'static str, String> {
    BTreeMap::from([
        ("name", pipe.name.clone()),
        ("table", pipe.table_or_name()),
        (
            "source",
            pipe.source
                .clone()
                .unwrap_or_else(|| "the source".to_string()),
        ),
        (
            "keys",
            if pipe.merge_keys.is_empty() {
                "the natural key".to_string()
            } else {
                pipe.merge_keys.join(", ")
            },
        ),
        (
            "partition_key",
            pipe.partition_key
                .clone()
                .unwrap_or_else(|| "partition".to_string()),
        ),
        (
            "sla_minutes",
            pipe.sla_minutes
                .map(|m| m.to_string())
                .unwrap_or_else(|| "SLA".to_string()),
        ),
    ])
}

/// Replaces `{name}` placeholders with their values; unknown ones stay as written.
pub fn fill(text: &str, values: &BTreeMap<&'static str, String>) -> String {
    let mut out = text.to_string();
    for (k, v) in values {
        out = out.replace(&format!("{{{k}}}"), v);
    }
    out
}

/// Params of `triage_failure`.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TriageFailureParams {
    /// The error message or log excerpt.
    pub error: String,
    /// The failed pipeline, for severity and re-run advice.
    pub pipeline: Option<PipelineRef>,
    /// Project id: record the result in this project.
    pub project: Option<String>,
}

/// The triage result.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Triage {
    /// Branch id of the triage tree (`TRI-UNKNOWN` when no code or phrase matched).
    pub branch: String,
    /// Branch title.
    pub title: String,
    /// The strongest signal that matched, with the pattern.
    pub matched: Option<String>,
    /// Other branches with a code or phrase match, best first.
    pub also_matched: Vec<String>,
    /// Branches ranked by score, with the evidence (also for an unclassified message).
    pub candidates: Vec<TriageCandidate>,
    /// Fix class and what it means.
    pub fix_class: String,
    /// Steps to confirm the cause.
    pub diagnose: Vec<String>,
    /// Impact questions.
    pub impact: Vec<String>,
    /// Steps to fix.
    pub fix: Vec<String>,
    /// How to re-run safely (with a pipeline and its load strategy).
    pub rerun: Option<String>,
    /// Steps after the fix.
    pub post_fix: Vec<String>,
    /// Alert severity and response time (with a pipeline).
    pub severity: Option<String>,
    /// The project the result is recorded under.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
}

/// A branch the message points at, with what pointed there.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct TriageCandidate {
    /// Branch id.
    pub branch: String,
    /// Branch title.
    pub title: String,
    /// Sum of the signals: code 3, phrase 2, word 1.
    pub score: u32,
    /// Whether a code or phrase matched (a branch is only chosen on those).
    pub decisive: bool,
    /// The signals that matched, e.g. "code `57014`", "word `timeout`".
    pub evidence: Vec<String>,
}

/// Candidates listed in the answer.
const MAX_CANDIDATES: usize = 4;
/// Characters of matched text quoted in evidence.
const MAX_QUOTE: usize = 80;

/// Classifies an error message into a branch of the triage tree.
pub fn triage(ops: &OperationsBook, p: &TriageFailureParams) -> Result<Triage> {
    if p.error.trim().is_empty() {
        return Err(Error::invalid(
            "error: must not be empty (paste the error message or log excerpt)",
        ));
    }
    if let Some(pipe) = &p.pipeline {
        pipe.check("pipeline")?;
    }
    let ranked = rank(ops, &p.error)?;
    let class_action = |id: &str| {
        ops.triage
            .fix_classes
            .iter()
            .find(|c| c.id == id)
            .map(|c| format!("{id}: {}", c.action))
            .unwrap_or_else(|| id.to_string())
    };
    let rerun = p.pipeline.as_ref().and_then(|pipe| {
        pipe.load_strategy
            .as_ref()
            .and_then(|l| ops.rerun_by_load.get(l).cloned())
    });
    let severity = p.pipeline.as_ref().map(|pipe| {
        let sev = pipe.failure_severity(ops);
        match ops.severity(&sev) {
            Some(s) => format!(
                "{sev} ({}): respond within {} min; {}",
                s.name, s.response_minutes, s.response
            ),
            None => sev,
        }
    });
    let candidates: Vec<TriageCandidate> = ranked
        .iter()
        .take(MAX_CANDIDATES)
        .map(|r| r.candidate(ops))
        .collect();
    let base = match ranked.first().filter(|r| r.decisive()) {
        Some(best) => {
            let b = &ops.triage.branches[best.branch];
            Triage {
                branch: b.id.clone(),
                title: b.title.clone(),
                matched: best.strongest.clone(),
                also_matched: ranked
                    .iter()
                    .skip(1)
                    .filter(|r| r.decisive())
                    .map(|r| ops.triage.branches[r.branch].id.clone())
                    .collect(),
                candidates,
                fix_class: class_action(&b.fix_class),
                diagnose: b.diagnose.clone(),
                impact: Vec::new(),
                fix: b.fix.clone(),
                rerun: None,
                post_fix: Vec::new(),
                severity: None,
                project: None,
            }
        }
        None => {
            let f = &ops.triage.fallback;
            let mut diagnose = Vec::new();
            match ranked.first() {
                Some(closest) => {
                    let b = &ops.triage.branches[closest.branch];
                    diagnose.push(format!(
                        "No engine code or known phrase matched; the words point closest at {} (`{}`, score {}: {}). Start there: {}",
                        b.title,
                        b.id,
                        closest.score,
                        closest.evidence.join(", "),
                        b.diagnose.first().map(String::as_str).unwrap_or("read its steps")
                    ));
                }
                None => diagnose.push(
                    "No engine code, known phrase or telling word matched: paste the first error line with its code (SQLSTATE, error number, exit code or exception class)".to_string(),
                ),
            }
            diagnose.extend(f.diagnose.iter().cloned());
            Triage {
                branch: f.id.clone(),
                title: f.title.clone(),
                matched: None,
                also_matched: Vec::new(),
                candidates,
                fix_class: "unknown: classify after diagnosis".to_string(),
                diagnose,
                impact: Vec::new(),
                fix: f.fix.clone(),
                rerun: None,
                post_fix: Vec::new(),
                severity: None,
                project: None,
            }
        }
    };
    Ok(Triage {
        impact: ops.triage.impact.clone(),
        post_fix: ops.triage.post_fix.clone(),
        rerun,
        severity,
        project: p.project.clone(),
        ..base
    })
}

/// One branch's score on a message.
struct Ranked {
    branch: usize,
    score: u32,
    /// Points from codes and phrases only.
    strong: u32,
    evidence: Vec<String>,
    /// The heaviest code or phrase that matched, as "`text` (pattern `p`)".
    strongest: Option<String>,
}

impl Ranked {
    fn decisive(&self) -> bool {
        self.strong > 0
    }

    fn candidate(&self, ops: &OperationsBook) -> TriageCandidate {
        let b = &ops.triage.branches[self.branch];
        TriageCandidate {
            branch: b.id.clone(),
            title: b.title.clone(),
            score: self.score,
            decisive: self.decisive(),
            evidence: self.evidence.clone(),
        }
    }
}

/// Scores every branch on `text`, best first: branches decided by a code or phrase
/// before those with words only, then by score, then in tree order.
fn rank(ops: &OperationsBook, text: &str) -> Result<Vec<Ranked>> {
    let compiled = ops
        .triage
        .signals()
        .as_ref()
        .map_err(|e| Error::invalid(format!("operations playbook: {e}")))?;
    let mut by_branch: Vec<Option<Ranked>> = (0..ops.triage.branches.len()).map(|_| None).collect();
    let mut strongest_kind: Vec<Option<crate::playbook::operations::SignalKind>> =
        vec![None; ops.triage.branches.len()];
    for i in compiled.set.matches(text).iter() {
        let signal = &compiled.signals[i];
        let Some(found) = signal.regex.find(text) else {
            continue;
        };
        let quoted = quote(found.as_str());
        let entry = by_branch[signal.branch].get_or_insert_with(|| Ranked {
            branch: signal.branch,
            score: 0,
            strong: 0,
            evidence: Vec::new(),
            strongest: None,
        });
        let weight = signal.kind.weight();
        entry.score += weight;
        entry
            .evidence
            .push(format!("{} `{quoted}`", signal.kind.label()));
        if signal.kind > crate::playbook::operations::SignalKind::Hint {
            entry.strong += weight;
            if strongest_kind[signal.branch].is_none_or(|k| signal.kind > k) {
                strongest_kind[signal.branch] = Some(signal.kind);
                entry.strongest = Some(format!("`{quoted}` (pattern `{}`)", signal.source));
            }
        }
    }
    let mut ranked: Vec<Ranked> = by_branch.into_iter().flatten().collect();
    ranked.sort_by(|a, b| {
        b.decisive()
            .cmp(&a.decisive())
            .then(b.strong.cmp(&a.strong))
            .then(b.score.cmp(&a.score))
            .then(a.branch.cmp(&b.branch))
    });
    Ok(ranked)
}

/// The matched text on one line, cut to `MAX_QUOTE` characters.
fn quote(text: &str) -> String {
    let one_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() > MAX_QUOTE {
        let cut: String = one_line.chars().take(MAX_QUOTE).collect();
        format!("{cut}…")
    } else {
        one_line
    }
}

// Runbook kinds.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RunbookKind {
    // Pipeline failure triage.
    FailureTriage,
    // Source schema change.
    SchemaChange,
    // Disaster recovery (RPO/RTO).
    DisasterRecovery,
    // Backfill.
    Backfill,
}

impl RunbookKind {
    fn key(self) -> &'static str {
        match self {
            RunbookKind::FailureTriage => "failure_triage",
            RunbookKind::SchemaChange => "schema_change",
            RunbookKind::DisasterRecovery => "disaster_recovery",
            RunbookKind::Backfill => "backfill",
        }
    }
}

/// Params of `generate_runbook`.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GenerateRunbookParams {
    /// Which runbook.
    pub kind: RunbookKind,
    /// Tailor it to this pipeline.
    pub pipeline: Option<PipelineRef>,
    /// Project id: record the result in this project.
    pub project: Option<String>,
}

/// A runbook.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Runbook {
    /// Kind.
    pub kind: RunbookKind,
    /// Pipeline it is tailored to.
    pub pipeline: Option<String>,
    /// Suggested file name.
    pub file: String,
    /// The runbook (Markdown).
    pub markdown: String,
    /// The project the result is recorded under.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
}

/// Renders a runbook.
pub fn runbook(
    books: &Playbooks,
    templates: &Templates,
    p: &GenerateRunbookParams,
) -> Result<Runbook> {
    if let Some(pipe) = &p.pipeline {
        pipe.check("pipeline")?;
    }
    let ops = &books.operations;
    let pipe = p.pipeline.as_ref();
    let rerun = pipe
        .and_then(|x| x.load_strategy.as_ref())
        .and_then(|l| ops.rerun_by_load.get(l));
    let severity = pipe.map(|x| x.failure_severity(ops));
    let backfill_steps: Vec<serde_json::Value> = books
        .pipeline
        .backfill
        .steps
        .iter()
        .map(|s| {
            let values = BTreeMap::from([
                (
                    "table",
                    pipe.map(PipelineRef::table_or_name)
                        .unwrap_or_else(|| "<table>".to_string()),
                ),
                ("start", "<start>".to_string()),
                ("end", "<end>".to_string()),
                ("grain", "<grain>".to_string()),
                ("partition_count", "<n>".to_string()),
                ("first_partition", "<end>".to_string()),
                ("last_partition", "<start>".to_string()),
                ("downstream_clause", String::new()),
                ("downstream_list", String::new()),
            ]);
            json!({ "id": s.id, "title": s.title, "action": fill(&s.action, &values) })
        })
        .collect();
    let context = json!({
        "pipeline": pipe,
        "table": pipe.map(PipelineRef::table_or_name),
        "rerun": rerun,
        "severity": severity.as_ref().and_then(|s| ops.severity(s)),
        "ops": ops,
        "backfill_steps": backfill_steps,
    });
    let key = p.kind.key();
    let markdown = templates.render(&format!("runbooks/{key}.md.j2"), &context)?;
    let file = match pipe {
        Some(x) => format!("runbook_{key}_{}.md", x.name),
        None => format!("runbook_{key}.md"),
    };
    Ok(Runbook {
        kind: p.kind,
        pipeline: pipe.map(|x| x.name.clone()),
        file,
        markdown,
        project: p.project.clone(),
    })
}
