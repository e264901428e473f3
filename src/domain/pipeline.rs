//! Pipeline design: the universal spec with the extraction strategy from the playbook's
//! decision tree and the load strategy from its table, then the five idempotency rules and
//! the known traps checked against the result. Every decision and finding names its rule id.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::codegen::orchestrate::{self, Orchestrator, OrchestratorCode};
use crate::error::{Error, Result};
use crate::playbook::conditions::{self, Facts, When};
use crate::playbook::pipeline::{CheckRule, ExtractionRule, LoadRule, PipelineBook, Severity};

pub use super::architecture::{OpenQuestion, SourceKind};

/// Params of `design_pipeline`.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DesignPipelineParams {
    /// Pipeline name (snake_case).
    pub name: String,
    /// Owning team or person.
    pub owner: Option<String>,
    /// Cron schedule, e.g. `0 * * * *`.
    pub schedule: Option<String>,
    /// Maximum acceptable runtime in minutes.
    pub sla_minutes: Option<u32>,
    /// 1 critical, 2 important (default), 3 nice-to-have.
    #[serde(default = "default_tier")]
    pub tier: u8,
    /// Where the data comes from.
    pub source: PipelineSource,
    /// Where it goes.
    pub target: PipelineTarget,
    /// Force an extraction strategy (e.g. `full`).
    pub extraction: Option<String>,
    /// Force a load strategy instead of the table's pick.
    pub load_strategy: Option<String>,
    /// Transform engine (sql, dbt, spark, python); default sql.
    pub transform_engine: Option<String>,
    /// Watermark/offset store; default connector for CDC/streams, else control_table.
    pub watermark_storage: Option<WatermarkStorage>,
    /// Clock for partitions and windows; default event_time for event data.
    pub time_semantics: Option<TimeSemantics>,
    /// Allowed lateness of event data in hours.
    pub late_window_hours: Option<f64>,
    /// A periodic full reconciliation with the source is scheduled.
    #[serde(default)]
    pub reconciliation: bool,
    /// Re-running a window was tested to give identical output.
    #[serde(default)]
    pub rerun_tested: bool,
    /// Checks before load; omit for defaults, `[]` for none.
    pub pre_load_checks: Option<Vec<String>>,
    /// Checks after load; omit for defaults, `[]` for none.
    pub post_load_checks: Option<Vec<String>>,
    /// Alert channels (e.g. `#data-alerts`, `pagerduty:data`).
    #[serde(default)]
    pub alert_channels: Vec<String>,
    /// Retries on failure (default: playbook).
    pub max_retries: Option<u32>,
    /// Also write this orchestrator code (Python, dry run by default).
    #[serde(default)]
    pub orchestrators: Vec<Orchestrator>,
    /// Project id: record the result in this project.
    pub project: Option<String>,
}

fn default_tier() -> u8 {
    2
}

// The source side.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PipelineSource {
    /// System name (e.g. `postgres-orders`).
    pub system: String,
    /// Kind of source.
    pub kind: SourceKind,
    /// Table, endpoint, path or topic.
    pub object: Option<String>,
    /// Rows in the source table (drives full-extraction and reload rules).
    pub rows: Option<u64>,
    /// Database: a change log readable by CDC is available (omitted = asked).
    pub supports_cdc: Option<bool>,
    /// Database: reliable last-modified column, e.g. `updated_at`; `""` = none (omitted = asked).
    pub updated_at_column: Option<String>,
    /// API: pushes webhooks.
    pub supports_webhooks: Option<bool>,
    /// API: pages with a cursor/bookmark or an updated-since filter.
    pub has_cursor: Option<bool>,
}

// The target side.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PipelineTarget {
    /// System name (e.g. `snowflake`).
    pub system: String,
    /// Target table.
    pub table: String,
    /// What the rows are.
    pub data_kind: DataKind,
    /// Natural/merge key columns.
    #[serde(default)]
    pub merge_keys: Vec<String>,
    /// Other columns loaded (CDC merge).
    #[serde(default)]
    pub columns: Vec<String>,
    /// Partition column.
    pub partition_key: Option<String>,
    /// Clustering columns.
    #[serde(default)]
    pub clustering_keys: Vec<String>,
    /// Mutable data: consumers need an audit trail of deletions (omitted = asked).
    pub track_deletes: Option<bool>,
}

// What the loaded rows are.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum DataKind {
    // Immutable events or logs.
    Event,
    // Facts never updated after they are written.
    ImmutableFact,
    // Facts updated later (order status, amounts).
    MutableFact,
    // Dimension rows.
    Dimension,
    // Small reference/lookup data.
    Reference,
}

// Where a watermark is persisted.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum WatermarkStorage {
    // A control table in the warehouse.
    ControlTable,
    // The orchestrator's state store.
    Orchestrator,
    // The CDC connector or consumer group manages offsets.
    Connector,
    // Hard-coded or computed inside the pipeline code.
    InCode,
}

// Clock used for partitions and windows.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum TimeSemantics {
    // When the event happened.
    EventTime,
    // When the pipeline processed it.
    ProcessingTime,
}

/// The design.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct PipelineDesign {
    /// Pipeline name.
    pub name: String,
    /// Unknown source facts that change a decision, with the decision under each answer.
    #[serde(default)]
    pub questions: Vec<OpenQuestion>,
    /// The spec as YAML (universal pipeline template): the file to save, given once.
    pub spec_yaml: String,
    /// How the extraction strategy was chosen.
    pub extraction: Decision,
    /// How the load strategy was chosen.
    pub load: Decision,
    /// The five idempotency rules, each passed or not.
    pub idempotency: Vec<RuleStatus>,
    /// Idempotency violations and traps, errors first.
    pub findings: Vec<Finding>,
    /// CDC extraction from a database: connector config, topics, apply statements.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cdc: Option<super::cdc::CdcDesign>,
    /// Orchestrator code, when `orchestrators` was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<OrchestratorCode>,
    /// The project the result is recorded under.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
}

/// A decision with its rule.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Decision {
    /// Rule id (`GIVEN` when forced by the caller).
    pub id: String,
    /// Strategy.
    pub strategy: String,
    /// The answers that led here.
    pub path: Vec<String>,
    /// Why.
    pub rationale: String,
    /// The trade-off.
    pub tradeoff: String,
}

/// Status of one idempotency rule.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct RuleStatus {
    /// Rule id.
    pub id: String,
    /// The rule.
    pub rule: String,
    /// Whether the design satisfies it.
    pub passed: bool,
}

/// A finding.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Finding {
    /// Rule id.
    pub id: String,
    /// error, warning or info.
    pub severity: Severity,
    /// What is wrong.
    pub message: String,
    /// The facts that triggered it.
    pub evidence: String,
    /// How to fix it.
    pub fix: String,
}

/// The universal pipeline spec.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct PipelineSpec {
    /// Name.
    pub name: String,
    /// Owner.
    pub owner: Option<String>,
    /// Cron schedule.
    pub schedule: Option<String>,
    /// SLA in minutes.
    pub sla_minutes: Option<u32>,
    /// Tier 1-3.
    pub tier: u8,
    /// Extract.
    pub extract: ExtractSpec,
    /// Transform.
    pub transform: TransformSpec,
    /// Load.
    pub load: LoadSpec,
    /// Quality gates.
    pub quality_gates: QualityGates,
    /// Error handling.
    pub error_handling: ErrorHandling,
}

/// Extract section.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ExtractSpec {
    /// Source system.
    pub source_system: String,
    /// Kind.
    pub source_kind: SourceKind,
    /// Table, endpoint, path or topic.
    pub object: Option<String>,
    /// Strategy.
    pub strategy: String,
    /// Incremental column.
    pub incremental_key: Option<String>,
    /// Where the watermark lives.
    pub watermark_storage: Option<WatermarkStorage>,
    /// Clock for partitions and windows.
    pub time_semantics: Option<TimeSemantics>,
    /// Allowed lateness in hours.
    pub late_window_hours: Option<f64>,
}

/// Transform section.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct TransformSpec {
    /// Engine.
    pub engine: String,
    /// Stages.
    pub stages: Vec<StageSpec>,
}

/// A transform stage.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct StageSpec {
    /// Name.
    pub name: String,
    /// Operations.
    pub operations: Vec<String>,
}

/// Load section.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct LoadSpec {
    /// Target system.
    pub target_system: String,
    /// Target table.
    pub target_table: String,
    /// Strategy.
    pub strategy: String,
    /// Merge keys.
    pub merge_keys: Vec<String>,
    /// Partition key.
    pub partition_key: Option<String>,
    /// Clustering keys.
    pub clustering_keys: Vec<String>,
}

/// Quality gates.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct QualityGates {
    /// Before load.
    pub pre_load: Vec<String>,
    /// After load.
    pub post_load: Vec<String>,
}

/// Error handling.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ErrorHandling {
    /// fail-fast, retry, dead-letter or skip-and-alert.
    pub strategy: String,
    /// Why this strategy.
    pub reason: String,
    /// Retries.
    pub max_retries: u32,
    /// Delay between retries.
    pub retry_delay_seconds: u32,
    /// Alert channels.
    pub alert_channels: Vec<String>,
}

/// Designs a pipeline.
pub fn design(book: &PipelineBook, p: &DesignPipelineParams) -> Result<PipelineDesign> {
    validate(p)?;
    let mut facts = source_facts(p);
    let mut questions = Vec::new();
    let extraction = choose_extraction(book, p, &facts, &mut questions)?;
    let rule = book
        .extraction
        .iter()
        .find(|r| r.strategy == extraction.strategy);
    let incremental = rule.is_some_and(|r| r.incremental);
    if rule.is_some() {
        facts.insert("extraction".into(), json!(extraction.strategy));
        facts.insert("incremental".into(), json!(incremental));
    }
    let load = choose_load(book, p, &facts, &mut questions)?;
    let cdc = if extraction.strategy == "cdc" && p.source.kind == SourceKind::Database {
        let (cdc, question) = super::cdc::design(p)?;
        questions.extend(question);
        cdc
    } else {
        None
    };
    if load.strategy != UNDECIDED {
        facts.insert("load_strategy".into(), json!(load.strategy));
    }
    let default_watermark = if matches!(extraction.strategy.as_str(), "cdc" | "consumer_offsets") {
        WatermarkStorage::Connector
    } else {
        WatermarkStorage::ControlTable
    };
    let watermark = p
        .watermark_storage
        .or(incremental.then_some(default_watermark));
    if incremental {
        facts.insert(
            "watermark_external".into(),
            json!(watermark != Some(WatermarkStorage::InCode)),
        );
    }
    let is_event = facts.get("is_event_data") == Some(&json!(true));
    let time_semantics = p
        .time_semantics
        .or(is_event.then_some(TimeSemantics::EventTime));
    if let Some(t) = time_semantics {
        facts.insert(
            "time_semantics".into(),
            serde_json::to_value(t).unwrap_or_default(),
        );
    }
    let d = &book.defaults;
    let pre_load = p.pre_load_checks.clone().unwrap_or_else(|| {
        d.pre_load
            .iter()
            .map(|c| format!("{}: {}", c.id, c.check))
            .collect()
    });
    let post_load = p.post_load_checks.clone().unwrap_or_else(|| {
        d.post_load
            .iter()
            .map(|c| format!("{}: {}", c.id, c.check))
            .collect()
    });
    facts.insert("has_pre_checks".into(), json!(!pre_load.is_empty()));
    facts.insert("has_post_checks".into(), json!(!post_load.is_empty()));

    let mut findings = Vec::new();
    let mut idempotency = Vec::new();
    for rule in &book.idempotency {
        let fired = fire(rule, &facts);
        idempotency.push(RuleStatus {
            id: rule.id.clone(),
            rule: rule.text().to_string(),
            passed: fired.is_none(),
        });
        findings.extend(fired);
    }
    for trap in &book.traps {
        findings.extend(fire(trap, &facts));
    }
    for rule in book.idempotency.iter().chain(&book.traps) {
        ask_for_rule(book, rule, &facts, &mut questions);
    }
    findings.sort_by_key(|f| f.severity as u8);

    let tier_rule = d.error_handling.by_tier.iter().find(|t| t.tier == p.tier);
    let spec = PipelineSpec {
        name: p.name.clone(),
        owner: p.owner.clone(),
        schedule: p.schedule.clone(),
        sla_minutes: p.sla_minutes,
        tier: p.tier,
        extract: ExtractSpec {
            source_system: p.source.system.clone(),
            source_kind: p.source.kind,
            object: p.source.object.clone(),
            strategy: extraction.strategy.clone(),
            incremental_key: (extraction.strategy == "incremental_updated_at")
                .then(|| updated_at_column(&p.source))
                .flatten(),
            watermark_storage: watermark,
            time_semantics,
            late_window_hours: p.late_window_hours,
        },
        transform: TransformSpec {
            engine: p
                .transform_engine
                .clone()
                .unwrap_or_else(|| "sql".to_string()),
            stages: d
                .transform_stages
                .iter()
                .map(|s| StageSpec {
                    name: s.name.clone(),
                    operations: s.operations.clone(),
                })
                .collect(),
        },
        load: LoadSpec {
            target_system: p.target.system.clone(),
            target_table: p.target.table.clone(),
            strategy: load.strategy.clone(),
            merge_keys: p.target.merge_keys.clone(),
            partition_key: p.target.partition_key.clone(),
            clustering_keys: p.target.clustering_keys.clone(),
        },
        quality_gates: QualityGates {
            pre_load,
            post_load,
        },
        error_handling: ErrorHandling {
            strategy: tier_rule
                .map(|t| t.strategy.clone())
                .unwrap_or_else(|| "retry".to_string()),
            reason: tier_rule.map(|t| t.reason.clone()).unwrap_or_default(),
            max_retries: p.max_retries.unwrap_or(d.error_handling.max_retries),
            retry_delay_seconds: d.error_handling.retry_delay_seconds,
            alert_channels: p.alert_channels.clone(),
        },
    };
    let spec_yaml = serde_norway::to_string(&json!({ "pipeline": spec }))
        .map_err(|e| Error::invalid(format!("pipeline spec cannot be written as YAML: {e}")))?;
    let code = (!p.orchestrators.is_empty())
        .then(|| {
            let input = orchestrate::Input {
                spec: &spec,
                extraction_rule: &extraction.id,
                load_rule: &load.id,
                cdc: cdc.as_ref(),
            };
            orchestrate::generate(&book.orchestration, &input, &p.orchestrators)
        })
        .transpose()?;
    Ok(PipelineDesign {
        name: spec.name.clone(),
        questions,
        spec_yaml,
        extraction,
        load,
        idempotency,
        findings,
        cdc,
        code,
        project: p.project.clone(),
    })
}

fn validate(p: &DesignPipelineParams) -> Result<()> {
    if p.name.trim().is_empty() {
        return Err(Error::invalid("name: must not be empty"));
    }
    if !(1..=3).contains(&p.tier) {
        return Err(Error::invalid(format!(
            "tier: `{}` is not allowed; allowed: 1, 2, 3",
            p.tier
        )));
    }
    if p.target.table.trim().is_empty() {
        return Err(Error::invalid("target.table: must not be empty"));
    }
    if let Some(h) = p.late_window_hours
        && (!h.is_finite() || h < 0.0)
    {
        return Err(Error::invalid(format!(
            "late_window_hours: `{h}` must be a number >= 0"
        )));
    }
    if let Some(s) = &p.schedule
        && s.split_whitespace().count() != 5
        && !s.starts_with('@')
    {
        return Err(Error::invalid(format!(
            "schedule: `{s}` is not a cron expression (five fields, e.g. `0 * * * *`, or `@daily`)"
        )));
    }
    Ok(())
}

/// Facts known before any decision.
fn source_facts(p: &DesignPipelineParams) -> Facts {
    let s = &p.source;
    let t = &p.target;
    let mut f = Facts::new();
    f.insert(
        "source_kind".into(),
        serde_json::to_value(s.kind).unwrap_or_default(),
    );
    // Unknown stays unknown: a decision that needs it becomes a question. An empty
    // `updated_at_column` says there is no such column.
    for (fact, value) in [
        ("supports_cdc", s.supports_cdc),
        ("supports_webhooks", s.supports_webhooks),
        ("has_cursor", s.has_cursor),
        (
            "has_updated_at",
            s.updated_at_column
                .as_ref()
                .map(|_| updated_at_column(s).is_some()),
        ),
        ("track_deletes", t.track_deletes),
    ] {
        if let Some(v) = value {
            f.insert(fact.into(), json!(v));
        }
    }
    if let Some(rows) = s.rows {
        f.insert("source_rows".into(), json!(rows));
    }
    f.insert(
        "data_kind".into(),
        serde_json::to_value(t.data_kind).unwrap_or_default(),
    );
    let mutable = matches!(
        t.data_kind,
        DataKind::MutableFact | DataKind::Dimension | DataKind::Reference
    );
    f.insert("mutable".into(), json!(mutable));
    // Known either way: an explicit request the load table cannot honour is said, not dropped.
    f.insert(
        "deletes_on_immutable".into(),
        json!(!mutable && t.track_deletes == Some(true)),
    );
    f.insert(
        "is_event_data".into(),
        json!(t.data_kind == DataKind::Event || s.kind == SourceKind::Stream),
    );
    f.insert("has_partition_key".into(), json!(t.partition_key.is_some()));
    f.insert("has_merge_keys".into(), json!(!t.merge_keys.is_empty()));
    f.insert("rerun_tested".into(), json!(p.rerun_tested));
    f.insert("has_reconciliation".into(), json!(p.reconciliation));
    f.insert(
        "has_late_window".into(),
        json!(p.late_window_hours.is_some()),
    );
    f.insert("has_alerting".into(), json!(!p.alert_channels.is_empty()));
    f
}

/// The source's last-modified column; `None` when omitted or given empty (no such column).
fn updated_at_column(s: &PipelineSource) -> Option<String> {
    s.updated_at_column
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_string)
}

/// Strategy of a decision that waits for an answer.
pub const UNDECIDED: &str = "undecided";

/// A row of the extraction tree or the load table: a strategy taken when its conditions hold.
trait StrategyRow {
    fn id(&self) -> &str;
    fn strategy(&self) -> &str;
    fn when(&self) -> &When;
    fn tradeoff(&self) -> &str;
}

/// Both tables' rows carry the same four fields.
macro_rules! strategy_rows {
    ($($row:ty),*) => {$(
        impl StrategyRow for $row {
            fn id(&self) -> &str {
                &self.id
            }
            fn strategy(&self) -> &str {
                &self.strategy
            }
            fn when(&self) -> &When {
                &self.when
            }
            fn tradeoff(&self) -> &str {
                &self.tradeoff
            }
        }
    )*};
}

strategy_rows!(ExtractionRule, LoadRule);

/// The first row whose conditions hold, or the fact that must be answered first: a row
/// whose conditions cannot be settled because a fact with a question is unknown stops the
/// walk (an unknown fact without a question counts as not holding).
enum Walk<'a, T> {
    Row(&'a T),
    Ask(&'a str),
    Nothing,
}

fn walk<'a, T: StrategyRow>(book: &PipelineBook, rows: &'a [T], facts: &Facts) -> Walk<'a, T> {
    for row in rows {
        let w = row.when();
        match conditions::eval(w, facts) {
            Some(true) => return Walk::Row(row),
            Some(false) => {}
            None => {
                if let Some(fact) = conditions::unknown_facts(w, facts)
                    .into_iter()
                    .find(|f| book.questions.iter().any(|q| q.fact == *f))
                {
                    return Walk::Ask(fact);
                }
            }
        }
    }
    Walk::Nothing
}

/// What the table decides on `facts`, for the decision under an answer:
/// `{kind} {strategy} ({id})`, `then {question}` or `no {kind} rule`.
fn describe<T: StrategyRow>(book: &PipelineBook, kind: &str, rows: &[T], facts: &Facts) -> String {
    match walk(book, rows, facts) {
        Walk::Row(r) => format!("{kind} {} ({})", r.strategy(), r.id()),
        Walk::Ask(next) => format!("then {}", question_id(book, next)),
        Walk::Nothing => format!("no {kind} rule"),
    }
}

/// The table's own pick, for the rationale of a forced strategy.
fn pick_text<T: StrategyRow>(book: &PipelineBook, rows: &[T], facts: &Facts) -> String {
    match walk(book, rows, facts) {
        Walk::Row(r) => r.strategy().to_string(),
        Walk::Ask(fact) => format!("{UNDECIDED} until {} is answered", question_id(book, fact)),
        Walk::Nothing => "nothing".to_string(),
    }
}

/// A strategy forced by the caller through `field`: its row, or an error naming the allowed ones.
fn given_decision<T: StrategyRow>(
    book: &PipelineBook,
    (field, table): (&str, &str),
    rows: &[T],
    given: &str,
    facts: &Facts,
) -> Result<Decision> {
    let Some(rule) = rows.iter().find(|r| r.strategy() == given) else {
        let valid: Vec<&str> = rows.iter().map(|r| r.strategy()).collect();
        return Err(Error::invalid(format!(
            "{field}: unknown strategy `{given}`; allowed: {}",
            valid.join(", ")
        )));
    };
    Ok(Decision {
        id: "GIVEN".to_string(),
        strategy: rule.strategy().to_string(),
        path: vec!["given by the caller".to_string()],
        rationale: format!(
            "Forced by the caller; the {table} would pick `{}`.",
            pick_text(book, rows, facts)
        ),
        tradeoff: rule.tradeoff().to_string(),
    })
}

/// The decision that waits for the answer about `fact`.
fn ask_decision(book: &PipelineBook, kind: &str, fact: &str) -> Decision {
    let id = question_id(book, fact);
    Decision {
        id: "ASK".to_string(),
        strategy: UNDECIDED.to_string(),
        path: vec![format!("`{fact}` is not given")],
        rationale: format!(
            "The {kind} strategy depends on `{fact}`; answer {id} (see questions) instead of dana assuming it."
        ),
        tradeoff: String::new(),
    }
}

/// Adds (or extends) the question for `fact`, with the decision under each answer.
fn add_question(
    book: &PipelineBook,
    fact: &str,
    decide: impl Fn(&Facts) -> String,
    facts: &Facts,
    out: &mut Vec<OpenQuestion>,
) {
    let Some(q) = book.questions.iter().find(|q| q.fact == fact) else {
        return;
    };
    let answers: Vec<(String, String)> = q
        .answers
        .iter()
        .map(|a| {
            let mut f = facts.clone();
            f.insert(q.fact.clone(), a.value.clone());
            (a.answer.clone(), decide(&f))
        })
        .collect();
    if answers.iter().all(|(_, d)| *d == answers[0].1) {
        return;
    }
    match out.iter_mut().find(|o| o.id == q.id) {
        Some(existing) => {
            for (slot, (_, d)) in existing.answers.iter_mut().zip(&answers) {
                if !slot.decision.contains(d.as_str()) {
                    slot.decision = format!("{}; {d}", slot.decision);
                }
            }
        }
        None => out.push(OpenQuestion::with_answers(&q.id, &q.field, &q.ask, answers)),
    }
}

fn question_id(book: &PipelineBook, fact: &str) -> String {
    book.questions
        .iter()
        .find(|q| q.fact == fact)
        .map(|q| q.id.clone())
        .unwrap_or_else(|| fact.to_string())
}

/// Walks a table, asking about every unknown fact on the way (each answer's branch is
/// followed, so a follow-up question is asked too).
fn ask_table<T: StrategyRow>(
    book: &PipelineBook,
    kind: &str,
    rows: &[T],
    facts: &Facts,
    out: &mut Vec<OpenQuestion>,
) {
    let Walk::Ask(fact) = walk(book, rows, facts) else {
        return;
    };
    add_question(book, fact, |f| describe(book, kind, rows, f), facts, out);
    if let Some(q) = book.questions.iter().find(|q| q.fact == fact) {
        for a in &q.answers {
            let mut f = facts.clone();
            f.insert(q.fact.clone(), a.value.clone());
            ask_table(book, kind, rows, &f, out);
        }
    }
}

fn choose_extraction(
    book: &PipelineBook,
    p: &DesignPipelineParams,
    facts: &Facts,
    questions: &mut Vec<OpenQuestion>,
) -> Result<Decision> {
    let rows = &book.extraction;
    if let Some(given) = &p.extraction {
        return given_decision(book, ("extraction", "tree"), rows, given, facts);
    }
    match walk(book, rows, facts) {
        Walk::Row(rule) => Ok(Decision {
            id: rule.id.clone(),
            strategy: rule.strategy.clone(),
            path: rule.path.clone(),
            rationale: format!("{} Tools: {}.", rule.rationale, rule.tools.join(", ")),
            tradeoff: rule.tradeoff.clone(),
        }),
        Walk::Ask(fact) => {
            ask_table(book, "extraction", rows, facts, questions);
            Ok(ask_decision(book, "extraction", fact))
        }
        Walk::Nothing => Err(Error::invalid(
            "source: no extraction rule matches this source; check source.kind",
        )),
    }
}

fn choose_load(
    book: &PipelineBook,
    p: &DesignPipelineParams,
    facts: &Facts,
    questions: &mut Vec<OpenQuestion>,
) -> Result<Decision> {
    let rows = &book.load;
    if let Some(given) = &p.load_strategy {
        return given_decision(book, ("load_strategy", "load table"), rows, given, facts);
    }
    match walk(book, rows, facts) {
        Walk::Row(rule) => Ok(Decision {
            id: rule.id.clone(),
            strategy: rule.strategy.clone(),
            path: vec![conditions::explain(&rule.when, facts)],
            rationale: rule.rationale.clone(),
            tradeoff: rule.tradeoff.clone(),
        }),
        Walk::Ask(fact) => {
            ask_table(book, "load", rows, facts, questions);
            Ok(ask_decision(book, "load", fact))
        }
        Walk::Nothing => Err(Error::invalid(
            "pipeline playbook: the load table has no fallback rule",
        )),
    }
}

/// A rule or trap that cannot be settled because a fact with a question is unknown: the
/// question says what each answer means for it.
fn ask_for_rule(book: &PipelineBook, rule: &CheckRule, facts: &Facts, out: &mut Vec<OpenQuestion>) {
    if fire(rule, facts).is_some() {
        return;
    }
    for w in &rule.violated_when {
        if conditions::eval(w, facts).is_some() {
            continue;
        }
        for fact in conditions::unknown_facts(w, facts) {
            let describe = |f: &Facts| {
                if conditions::holds(w, f) {
                    format!("finding {} ({})", rule.id, rule.text())
                } else {
                    format!("no {} finding", rule.id)
                }
            };
            add_question(book, fact, describe, facts, out);
        }
    }
}

/// The finding of a rule when one of its `violated_when` maps holds.
fn fire(rule: &CheckRule, facts: &Facts) -> Option<Finding> {
    let hit: &When = rule
        .violated_when
        .iter()
        .find(|w| conditions::holds(w, facts))?;
    Some(Finding {
        id: rule.id.clone(),
        severity: rule.severity,
        message: rule.text().to_string(),
        evidence: conditions::explain(hit, facts),
        fix: rule.fix.clone(),
    })
}
