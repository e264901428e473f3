//! `operations.yaml`: health metrics, severities, the run-log record, the triage tree,
//! schema-change classes, disaster-recovery scenarios and the test pyramid.

use serde::{Deserialize, Serialize};

use super::Issues;

/// The whole `operations.yaml`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OperationsBook {
    /// Schema version of the file.
    pub version: u32,
    /// Pipeline-health metrics.
    pub metrics: Vec<Metric>,
    /// Thresholds of the generated volume monitor.
    pub volume_monitor: VolumeMonitor,
    /// Severities P0-P3.
    pub severities: Vec<SeverityLevel>,
    /// Alert channel kinds, recognised by name prefix.
    #[serde(default)]
    pub channel_kinds: Vec<ChannelKind>,
    /// Asked when no freshness SLA is given.
    pub freshness_question: FreshnessQuestion,
    /// Severity a tier-1 revenue/compliance pipeline's P1 alerts escalate to.
    pub escalate_critical_to: String,
    /// Fields of the structured run log.
    pub run_log: Vec<LogField>,
    /// The failure-triage tree.
    pub triage: Triage,
    /// Schema-change management.
    pub schema_changes: SchemaChanges,
    /// Disaster-recovery scenarios.
    pub disaster_recovery: Vec<DrScenario>,
    /// Re-run instruction per load strategy.
    pub rerun_by_load: std::collections::BTreeMap<String, String>,
    /// Facts test cases may read.
    pub test_facts: Vec<String>,
    /// Test pyramid layers, bottom first.
    pub test_pyramid: Vec<TestLayer>,
    /// Technology-specific symptoms and fixes.
    pub technology_issues: Vec<TechnologyIssues>,
}

/// Symptoms and fixes of one technology.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TechnologyIssues {
    /// Technology key.
    pub technology: String,
    /// Other names.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Issues.
    pub issues: Vec<TechIssue>,
}

/// A symptom and its fix.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TechIssue {
    /// Stable id.
    pub id: String,
    /// What the user sees.
    pub symptom: String,
    /// What to do.
    pub fix: String,
}

/// A health metric; `{placeholders}` in target/alert are filled from the pipeline.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Metric {
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
    /// Alert severity for tiers 1, 2, 3.
    pub severity_by_tier: Vec<String>,
    /// Source kinds it applies to (empty = every pipeline).
    #[serde(default)]
    pub source_kinds: Vec<String>,
}

/// Thresholds of the volume monitor SQL.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VolumeMonitor {
    /// Days averaged as the baseline.
    pub baseline_days: u32,
    /// Variance (percent) from which the status is WARN.
    pub warn_pct: u32,
    /// Variance (percent) from which the status is FAIL.
    pub alert_pct: u32,
}

/// A severity level.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeverityLevel {
    /// P0-P3.
    pub id: String,
    /// Name.
    pub name: String,
    /// When it applies.
    pub condition: String,
    /// Response time.
    pub response_minutes: u32,
    /// What to do.
    pub response: String,
    /// Example.
    pub example: String,
    /// Kinds of channel an alert of this severity goes to (`page`, `chat`, `ticket`, `email`).
    #[serde(default)]
    pub routes_to: Vec<String>,
}

/// A kind of alert channel, recognised by the prefixes of the channel names.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelKind {
    /// `page`, `chat`, `ticket` or `email`.
    pub kind: String,
    /// Case-insensitive prefixes (or `@` anywhere for e-mail).
    pub prefixes: Vec<String>,
}

/// The question for a missing freshness SLA, with the usual targets as answers.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FreshnessQuestion {
    /// Stable id.
    pub id: String,
    /// The question.
    pub ask: String,
    /// Typical targets in minutes, each offered as an answer.
    pub answers_minutes: Vec<u32>,
}

/// A run-log field.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogField {
    /// Field name.
    pub field: String,
    /// JSON type.
    #[serde(rename = "type")]
    pub kind: String,
    /// JSON Schema format.
    #[serde(default)]
    pub format: Option<String>,
    /// Allowed values.
    #[serde(default, rename = "enum")]
    pub values: Option<Vec<String>>,
    /// Required.
    pub required: bool,
    /// Meaning.
    pub description: String,
}

/// The triage tree.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Triage {
    /// Branches; on equal scores the earlier one wins.
    pub branches: Vec<TriageBranch>,
    /// When nothing matches.
    pub fallback: TriageFallback,
    /// Impact questions.
    pub impact: Vec<String>,
    /// Fix classes.
    pub fix_classes: Vec<FixClass>,
    /// Steps after the fix.
    pub post_fix: Vec<String>,
    /// Every branch's signals compiled on first use and kept: the playbooks live as long
    /// as the server, and compiling them was nearly all of a triage call.
    #[serde(skip)]
    pub compiled: std::sync::OnceLock<CompiledTriage>,
}

/// A triage branch.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TriageBranch {
    /// Stable id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Regular expressions for what an engine prints as an identifier of the failure:
    /// error codes, SQLSTATEs, exit codes, signals, exception classes (weight 3).
    #[serde(default)]
    pub codes: Vec<String>,
    /// Regular expressions for distinctive wording engines print (weight 2).
    #[serde(default)]
    pub phrases: Vec<String>,
    /// Words that point at the branch without deciding it (weight 1): they rank the
    /// closest branches of an unclassified message.
    #[serde(default)]
    pub hints: Vec<String>,
    /// Fix class id.
    pub fix_class: String,
    /// Diagnosis steps.
    pub diagnose: Vec<String>,
    /// Fix steps.
    pub fix: Vec<String>,
}

/// How much a signal of each kind adds to its branch's score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum SignalKind {
    /// A `hints` word.
    Hint = 1,
    /// A `phrases` regex.
    Phrase = 2,
    /// A `codes` regex.
    Code = 3,
}

impl SignalKind {
    /// Points added to the branch's score.
    pub fn weight(self) -> u32 {
        self as u32
    }

    /// Name used in evidence.
    pub fn label(self) -> &'static str {
        match self {
            SignalKind::Hint => "word",
            SignalKind::Phrase => "phrase",
            SignalKind::Code => "code",
        }
    }
}

/// One compiled signal.
#[derive(Debug, Clone)]
pub struct Signal {
    /// Index of the branch in `Triage::branches`.
    pub branch: usize,
    /// Its kind (and weight).
    pub kind: SignalKind,
    /// The regex as written in the playbook (hints: the word).
    pub source: String,
    /// The compiled regex, to extract what matched.
    pub regex: regex::Regex,
}

/// The tree's signals compiled into one set (or the first one that does not compile).
pub type CompiledTriage = std::result::Result<TriageSignals, String>;

/// Every signal of every branch, with a `RegexSet` that finds the matching ones in a
/// single pass over the text.
#[derive(Debug, Clone)]
pub struct TriageSignals {
    /// All signals, in branch order.
    pub signals: Vec<Signal>,
    /// The same regexes as one set.
    pub set: regex::RegexSet,
}

impl Triage {
    /// The compiled signals (compiled on the first call).
    pub fn signals(&self) -> &CompiledTriage {
        self.compiled.get_or_init(|| {
            let mut signals = Vec::new();
            for (i, b) in self.branches.iter().enumerate() {
                let kinds = [
                    (SignalKind::Code, &b.codes),
                    (SignalKind::Phrase, &b.phrases),
                ];
                for (kind, list) in kinds {
                    for pattern in list {
                        signals.push((i, kind, pattern.clone(), pattern.clone()));
                    }
                }
                for word in &b.hints {
                    signals.push((
                        i,
                        SignalKind::Hint,
                        word.clone(),
                        format!("(?i)\\b{}\\b", regex::escape(word)),
                    ));
                }
            }
            let compiled = signals
                .into_iter()
                .map(|(branch, kind, source, pattern)| {
                    regex::Regex::new(&pattern)
                        .map(|regex| Signal {
                            branch,
                            kind,
                            source,
                            regex,
                        })
                        .map_err(|e| {
                            format!("`{}` pattern `{pattern}`: {e}", self.branches[branch].id)
                        })
                })
                .collect::<std::result::Result<Vec<_>, String>>()?;
            let set = regex::RegexSetBuilder::new(compiled.iter().map(|s| s.regex.as_str()))
                .size_limit(64 << 20)
                .build()
                .map_err(|e| format!("triage patterns as one set: {e}"))?;
            Ok(TriageSignals {
                signals: compiled,
                set,
            })
        })
    }
}

/// The fallback branch.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TriageFallback {
    /// Stable id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Diagnosis steps.
    pub diagnose: Vec<String>,
    /// Fix steps.
    pub fix: Vec<String>,
}

/// A fix class.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FixClass {
    /// Key.
    pub id: String,
    /// What to do.
    pub action: String,
}

/// Schema-change management.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SchemaChanges {
    /// Steps.
    pub steps: Vec<super::pipeline::ProtocolStep>,
    /// Change classes.
    pub classes: Vec<ChangeClass>,
}

/// A schema-change class.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangeClass {
    /// Stable id.
    pub id: String,
    /// Change key.
    pub change: String,
    /// Title.
    pub title: String,
    /// Severity.
    pub severity: String,
    /// What to do.
    pub action: String,
}

/// A disaster-recovery scenario.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DrScenario {
    /// Stable id.
    pub id: String,
    /// Scenario.
    pub scenario: String,
    /// Recovery point objective.
    pub rpo: String,
    /// Recovery time objective.
    pub rto: String,
    /// Steps.
    pub steps: Vec<String>,
}

/// A test pyramid layer.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestLayer {
    /// Stable id.
    pub id: String,
    /// Layer key.
    pub layer: String,
    /// What to test.
    pub what: String,
    /// How.
    pub how: String,
    /// When.
    pub when: String,
    /// Tests tailored to a pipeline.
    pub cases: Vec<TestCase>,
}

/// A tailored test: included when `when` holds on the pipeline facts.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestCase {
    /// Conditions.
    pub when: super::conditions::When,
    /// The test, with placeholders.
    pub test: String,
}

/// Placeholders a test case may use.
pub const TEST_PLACEHOLDERS: &[&str] = &[
    "name",
    "table",
    "source",
    "keys",
    "partition_key",
    "sla_minutes",
];

impl OperationsBook {
    /// The severity with this id.
    pub fn severity(&self, id: &str) -> Option<&SeverityLevel> {
        self.severities.iter().find(|s| s.id == id)
    }

    pub(super) fn validate(&self) -> Issues {
        let mut issues = Issues::default();
        issues.unique_ids("metric", self.metrics.iter().map(|m| m.id.as_str()));
        issues.unique_ids("severity", self.severities.iter().map(|s| s.id.as_str()));
        let kinds: Vec<&str> = self.channel_kinds.iter().map(|k| k.kind.as_str()).collect();
        let fq = &self.freshness_question;
        if fq.answers_minutes.len() < 2 || fq.answers_minutes.contains(&0) {
            issues.push(
                fq.id.clone(),
                format!(
                    "`{}`: answers_minutes needs two or more targets of at least 1 minute",
                    fq.id
                ),
            );
        }
        for sev in &self.severities {
            for k in &sev.routes_to {
                if !kinds.contains(&k.as_str()) {
                    issues.push(
                        sev.id.clone(),
                        format!(
                            "severity `{}`: unknown channel kind `{k}`; known: {}",
                            sev.id,
                            kinds.join(", ")
                        ),
                    );
                }
            }
        }
        issues.unique_ids(
            "run-log field",
            self.run_log.iter().map(|f| f.field.as_str()),
        );
        issues.unique_ids(
            "triage branch",
            self.triage
                .branches
                .iter()
                .map(|b| b.id.as_str())
                .chain([self.triage.fallback.id.as_str()]),
        );
        issues.unique_ids(
            "schema-change id",
            self.schema_changes
                .classes
                .iter()
                .map(|c| c.id.as_str())
                .chain(self.schema_changes.steps.iter().map(|s| s.id.as_str())),
        );
        issues.unique_ids(
            "dr scenario",
            self.disaster_recovery.iter().map(|d| d.id.as_str()),
        );
        issues.unique_ids(
            "test layer",
            self.test_pyramid.iter().map(|t| t.id.as_str()),
        );
        issues.unique_ids(
            "technology",
            self.technology_issues.iter().map(|t| t.technology.as_str()),
        );
        issues.unique_ids(
            "technology issue",
            self.technology_issues
                .iter()
                .flat_map(|t| t.issues.iter().map(|i| i.id.as_str())),
        );
        let known: Vec<&str> = self.test_facts.iter().map(String::as_str).collect();
        for layer in &self.test_pyramid {
            for case in &layer.cases {
                super::conditions::check(&mut issues, &layer.id, &case.when, &known);
                for name in super::pipeline::placeholders(&case.test) {
                    if !TEST_PLACEHOLDERS.contains(&name) {
                        issues.push(
                            layer.id.clone(),
                            format!("`{}`: unknown placeholder `{{{name}}}`", layer.id),
                        );
                    }
                }
            }
        }
        let sev_ok = |s: &str| self.severities.iter().any(|x| x.id == s);
        for m in &self.metrics {
            if m.severity_by_tier.len() != 3 {
                issues.push(
                    m.id.clone(),
                    format!(
                        "`{}`: severity_by_tier needs 3 entries (tiers 1, 2, 3)",
                        m.id
                    ),
                );
            }
            for s in &m.severity_by_tier {
                if !sev_ok(s) {
                    issues.push(m.id.clone(), format!("`{}`: unknown severity `{s}`", m.id));
                }
            }
        }
        if !sev_ok(&self.escalate_critical_to) {
            issues.push(
                "escalate_critical_to".to_string(),
                format!(
                    "escalate_critical_to: unknown severity `{}`",
                    self.escalate_critical_to
                ),
            );
        }
        for c in &self.schema_changes.classes {
            if !sev_ok(&c.severity) {
                issues.push(
                    c.id.clone(),
                    format!("`{}`: unknown severity `{}`", c.id, c.severity),
                );
            }
        }
        for f in &self.run_log {
            if !["string", "integer", "number", "boolean"].contains(&f.kind.as_str()) {
                issues.push(
                    f.field.clone(),
                    format!(
                        "run_log `{}`: type must be string, integer, number or boolean",
                        f.field
                    ),
                );
            }
        }
        for b in &self.triage.branches {
            if !self.triage.fix_classes.iter().any(|c| c.id == b.fix_class) {
                issues.push(
                    b.id.clone(),
                    format!("`{}`: unknown fix_class `{}`", b.id, b.fix_class),
                );
            }
            if b.codes.is_empty() && b.phrases.is_empty() {
                issues.push(
                    b.id.clone(),
                    format!("`{}`: needs at least one code or phrase", b.id),
                );
            }
            for p in b.codes.iter().chain(&b.phrases) {
                // Syntax only: compiling every automaton here was 78 % of startup.
                if let Err(e) = regex_syntax::Parser::new().parse(p) {
                    issues.push(
                        b.id.clone(),
                        format!("`{}`: invalid pattern `{p}`: {e}", b.id),
                    );
                }
            }
        }
        issues
    }
}
