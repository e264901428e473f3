//! The gate state machine. A phase's state is derived from the stored rows (artifacts,
//! requests, decisions, clarifications), never stored itself, so it cannot drift from
//! the record. Every change — a review request, a decision, a question, an answer —
//! happens inside the store's serialized transaction, which re-reads the state first:
//! concurrent sessions see one order of events and one gate state.
//!
//! Who can approve: a human answering an elicitation form (MCP clients that support it)
//! or a human at a terminal (`dana gate approve`). No tool argument maps to a decision.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::criteria::{self, ArtifactSet, CriterionResult};
use crate::App;
use crate::error::{Error, Result};
use crate::playbook::{Phase, PhasesBook};
use crate::store::protocol::{
    Audit, ClarificationRow, GateDecisionRow, GateRequestRow, NewDecision, ProtocolRows,
};

/// Where a phase stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum GateState {
    /// An earlier gate is open and nothing was recorded here.
    NotStarted,
    /// Work under way; some criteria unmet.
    InProgress,
    /// All criteria met: call `request_gate_review`.
    AwaitingReview,
    /// A review was requested without elicitation: a human must run `dana gate`.
    PendingHuman,
    /// A human said Yes.
    Approved,
    /// A human said No; the reasons are in the decision.
    Rejected,
    /// A human asked questions that are not all answered.
    Clarify,
}

impl GateState {
    /// snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            GateState::NotStarted => "not_started",
            GateState::InProgress => "in_progress",
            GateState::AwaitingReview => "awaiting_review",
            GateState::PendingHuman => "pending_human",
            GateState::Approved => "approved",
            GateState::Rejected => "rejected",
            GateState::Clarify => "clarify",
        }
    }
}

/// A human's answer to a review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Approve the gate.
    Yes,
    /// Keep the phase open, with reasons.
    No,
    /// Ask questions; the gate can be reviewed again once they are answered.
    Clarify,
}

impl Decision {
    fn stored(self) -> &'static str {
        match self {
            Decision::Yes => "approved",
            Decision::No => "rejected",
            Decision::Clarify => "clarify",
        }
    }
}

/// What a human answered, from a form or a terminal.
#[derive(Debug, Clone)]
pub struct HumanAnswer {
    /// Yes / No / Clarify.
    pub decision: Decision,
    /// Reviewer name (required).
    pub reviewer: String,
    /// Comment; the reasons for No.
    pub comment: String,
    /// Questions for Clarify.
    pub questions: Vec<String>,
}

/// How the answer reached dana.
#[derive(Debug, Clone)]
pub struct Provenance {
    /// `elicitation`, `input_required` or `terminal`.
    pub channel: &'static str,
    /// OS user of the dana process that recorded it.
    pub os_user: String,
    /// Whether a human confirmed interactively (false for `--yes`).
    pub interactive: bool,
    /// The registered reviewer's signature, required once reviewers exist.
    pub signature: Option<Signed>,
}

/// A decision signed by a registered reviewer (see [`super::reviewer`]).
#[derive(Debug, Clone)]
pub struct Signed {
    /// Reviewer name (registered).
    pub signer: String,
    /// Signature (hex) over [`super::reviewer::decision_message`].
    pub signature: String,
    /// When it was signed (RFC 3339 UTC): the decision's time.
    pub signed_at: String,
}

/// A recorded decision, as shown to agents and in documents.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct DecisionRecord {
    /// `approved`, `rejected`, `clarify`, `declined`, `cancelled`.
    pub decision: String,
    /// Reviewer.
    pub reviewer: String,
    /// Comment or reasons.
    pub comment: String,
    /// OS user that recorded it.
    pub os_user: String,
    /// Whether a human confirmed interactively.
    pub interactive: bool,
    /// `elicitation`, `input_required`, `terminal`.
    pub channel: String,
    /// RFC 3339 UTC.
    pub decided_at: String,
    /// Audit row.
    pub audit_seq: i64,
}

impl From<&GateDecisionRow> for DecisionRecord {
    fn from(d: &GateDecisionRow) -> Self {
        DecisionRecord {
            decision: d.decision.clone(),
            reviewer: d.reviewer.clone(),
            comment: d.comment.clone(),
            os_user: d.os_user.clone(),
            interactive: d.interactive,
            channel: d.channel.clone(),
            decided_at: d.created_at.clone(),
            audit_seq: d.audit_seq,
        }
    }
}

/// A Clarify question.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Question {
    /// Id for `dana gate answer --question`.
    pub id: i64,
    /// The question.
    pub question: String,
    /// Who asked.
    pub asked_by: String,
    /// RFC 3339 UTC.
    pub asked_at: String,
    /// The answer, once given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answer: Option<String>,
    /// Who answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answered_by: Option<String>,
}

impl From<&ClarificationRow> for Question {
    fn from(c: &ClarificationRow) -> Self {
        Question {
            id: c.id,
            question: c.question.clone(),
            asked_by: c.asked_by.clone(),
            asked_at: c.asked_at.clone(),
            answer: c.answer.clone(),
            answered_by: c.answered_by.clone(),
        }
    }
}

/// One phase evaluated against the stored rows.
#[derive(Debug, Clone)]
pub struct PhaseEval {
    /// Phase id.
    pub phase: String,
    /// Gate id.
    pub gate: String,
    /// Derived state.
    pub state: GateState,
    /// Criteria results.
    pub criteria: Vec<CriterionResult>,
    /// The approval, when approved.
    pub approval: Option<DecisionRecord>,
    /// The latest decision of any kind.
    pub last_decision: Option<DecisionRecord>,
    /// Every question ever asked on this gate.
    pub questions: Vec<Question>,
    /// The open pending request, when `pending_human`.
    pub pending_request: Option<i64>,
    /// The first earlier gate that is not approved: (phase, gate).
    pub blocked_by: Option<(String, String)>,
    /// Latest version of each artifact kind recorded under this phase.
    pub artifact_versions: Vec<(String, i64)>,
}

impl PhaseEval {
    /// Whether every criterion holds.
    pub fn criteria_met(&self) -> bool {
        self.criteria.iter().all(|c| c.passed)
    }

    /// Open (unanswered) questions.
    pub fn open_questions(&self) -> Vec<&Question> {
        self.questions
            .iter()
            .filter(|q| q.answer.is_none())
            .collect()
    }
}

/// The artifacts of a project as an [`ArtifactSet`] (unparseable content counts as
/// an empty object, which fails content checks rather than hiding the artifact).
///
/// Only the latest version of each kind is parsed, except for kinds a `covers` check
/// reads across all versions: the criteria never look at anything else.
pub fn artifact_set(book: &PhasesBook, rows: &ProtocolRows) -> ArtifactSet {
    let every_version: Vec<&str> = book
        .phases
        .iter()
        .flat_map(|p| p.gate.criteria.iter())
        .filter_map(|c| match &c.check {
            crate::playbook::Check::Covers { artifact, .. } => Some(artifact.as_str()),
            _ => None,
        })
        .collect();
    let mut latest: std::collections::HashMap<&str, i64> = std::collections::HashMap::new();
    for a in &rows.artifacts {
        let slot = latest.entry(a.kind.as_str()).or_insert(a.version);
        *slot = (*slot).max(a.version);
    }
    let mut set = ArtifactSet::default();
    let mut wanted: Vec<_> = rows
        .artifacts
        .iter()
        .filter(|a| {
            every_version.contains(&a.kind.as_str())
                || latest.get(a.kind.as_str()) == Some(&a.version)
        })
        .collect();
    wanted.sort_by(|a, b| (a.kind.as_str(), a.version).cmp(&(b.kind.as_str(), b.version)));
    for a in wanted {
        let content = serde_json::from_str(&a.content).unwrap_or_else(|_| json!({}));
        set.push(&a.kind, a.version, content);
    }
    set
}

/// Evaluates every phase of a project from its rows.
pub fn evaluate(book: &PhasesBook, rows: &ProtocolRows) -> Vec<PhaseEval> {
    let set = artifact_set(book, rows);
    let mut out: Vec<PhaseEval> = Vec::new();
    let mut blocked_by: Option<(String, String)> = None;
    for phase in &book.phases {
        let eval = evaluate_phase(book, phase, rows, &set, blocked_by.clone());
        if blocked_by.is_none() && eval.state != GateState::Approved {
            blocked_by = Some((phase.id.clone(), phase.gate.id.clone()));
        }
        out.push(eval);
    }
    out
}

fn evaluate_phase(
    book: &PhasesBook,
    phase: &Phase,
    rows: &ProtocolRows,
    set: &ArtifactSet,
    blocked_by: Option<(String, String)>,
) -> PhaseEval {
    let criteria = criteria::evaluate(book, &phase.gate, set);
    let decisions: Vec<&GateDecisionRow> = rows
        .decisions
        .iter()
        .filter(|d| d.phase == phase.id)
        .collect();
    let approval = decisions
        .iter()
        .find(|d| d.decision == "approved")
        .map(|d| DecisionRecord::from(*d));
    let last_decision = decisions.last().map(|d| DecisionRecord::from(*d));
    let last_decisive = decisions
        .iter()
        .rev()
        .find(|d| d.decision == "rejected" || d.decision == "clarify");
    let questions: Vec<Question> = rows
        .clarifications
        .iter()
        .filter(|c| c.phase == phase.id)
        .map(Question::from)
        .collect();
    let pending_request = open_pending(rows, &phase.id).map(|r| r.id);
    let mut artifact_versions: Vec<(String, i64)> = Vec::new();
    for a in rows.artifacts.iter().filter(|a| a.phase == phase.id) {
        match artifact_versions.iter_mut().find(|(k, _)| *k == a.kind) {
            Some(slot) => slot.1 = slot.1.max(a.version),
            None => artifact_versions.push((a.kind.clone(), a.version)),
        }
    }
    let met = criteria.iter().all(|c| c.passed);
    let state = if approval.is_some() {
        GateState::Approved
    } else if questions.iter().any(|q| q.answer.is_none()) {
        GateState::Clarify
    } else if pending_request.is_some() {
        GateState::PendingHuman
    } else if last_decisive.is_some_and(|d| d.decision == "rejected") {
        GateState::Rejected
    } else if met && blocked_by.is_none() {
        GateState::AwaitingReview
    } else if blocked_by.is_none() || !artifact_versions.is_empty() {
        GateState::InProgress
    } else {
        GateState::NotStarted
    };
    PhaseEval {
        phase: phase.id.clone(),
        gate: phase.gate.id.clone(),
        state,
        criteria,
        approval,
        last_decision,
        questions,
        pending_request,
        blocked_by,
        artifact_versions,
    }
}

/// The latest `pending` request of a phase that no decision answered and that is newer
/// than the latest Yes/No/Clarify.
fn open_pending<'a>(rows: &'a ProtocolRows, phase: &str) -> Option<&'a GateRequestRow> {
    let last_decisive_seq = rows
        .decisions
        .iter()
        .filter(|d| {
            d.phase == phase && matches!(d.decision.as_str(), "approved" | "rejected" | "clarify")
        })
        .map(|d| d.audit_seq)
        .max()
        .unwrap_or(0);
    rows.requests
        .iter()
        .rev()
        .filter(|r| r.phase == phase && r.channel == "pending" && r.audit_seq > last_decisive_seq)
        .find(|r| !rows.decisions.iter().any(|d| d.request_id == Some(r.id)))
}

/// What the reviewer sees and approves: the latest version of every artifact kind of
/// this phase and the earlier ones with the SHA-256 of each one's content, and the hash of
/// the playbooks in effect (with the workspace overrides, if any). An approval is refused
/// when this changed between asking and answering; it is what a reviewer signs.
pub fn snapshot(app: &App, rows: &ProtocolRows, phase: &str) -> Value {
    let book = &app.playbooks.phases;
    let upto: Vec<&str> = book
        .phases
        .iter()
        .take_while(|p| p.id != phase)
        .chain(book.phase(phase))
        .map(|p| p.id.as_str())
        .collect();
    let mut latest: std::collections::BTreeMap<String, (i64, &str)> =
        std::collections::BTreeMap::new();
    for a in rows
        .artifacts
        .iter()
        .filter(|a| upto.contains(&a.phase.as_str()))
    {
        let slot = latest.entry(a.kind.clone()).or_insert((0, ""));
        if a.version > slot.0 {
            *slot = (a.version, a.content_sha256.as_str());
        }
    }
    let artifacts: Vec<String> = latest
        .iter()
        .map(|(k, (v, _))| format!("{k}@v{v}"))
        .collect();
    let content: serde_json::Map<String, Value> = latest
        .iter()
        .map(|(k, (_, sha))| (k.clone(), Value::from(*sha)))
        .collect();
    let overrides: Vec<Value> = overrides(app)
        .into_iter()
        .map(|(file, sha)| json!({"file": file, "sha256": sha}))
        .collect();
    json!({
        "artifacts": artifacts,
        "content_sha256": content,
        "playbooks_sha256": app.playbooks.effective_sha256(),
        "overrides": overrides,
    })
}

/// Workspace playbook and template overrides in effect: (file, SHA-256). Playbook
/// overrides can change what a gate criterion checks; the review form lists them.
pub fn overrides(app: &App) -> Vec<(String, String)> {
    let mut all = app.playbooks.overridden();
    all.extend(crate::render::overridden(&app.workspace.templates_dir()));
    let root = app.workspace.root.display().to_string();
    for (file, _) in &mut all {
        if let Some(rel) = file.strip_prefix(&root) {
            *file = rel.trim_start_matches('/').to_string();
        }
    }
    all
}

/// Finds a phase or fails listing the valid ones.
pub fn require_phase<'a>(book: &'a PhasesBook, phase: &str) -> Result<&'a Phase> {
    book.phase(phase)
        .ok_or_else(|| Error::not_found("phase", phase, book.phases.iter().map(|p| p.id.as_str())))
}

/// The error for a phase whose earlier gate is open.
pub fn out_of_order(
    project: &str,
    phase: &Phase,
    blocked: &(String, String),
    action: &str,
) -> Error {
    Error::Protocol(format!(
        "phase `{}` of project `{project}` cannot {action}: gate `{}` of the earlier phase `{}` is not approved; \
         finish that phase and call `request_gate_review` with project `{project}` and phase `{}`",
        phase.id, blocked.1, blocked.0, blocked.0
    ))
}

/// Loads and evaluates a project; fails on an unknown project or phase.
pub async fn load(
    app: &App,
    project: &str,
    phase: &str,
) -> Result<(ProtocolRows, Vec<PhaseEval>, usize)> {
    let book = &app.playbooks.phases;
    let store = app.store().await?;
    {
        let mut snapshot = store.begin_snapshot().await?;
        super::audit::require_verified(app, &mut snapshot).await?;
    }
    store.require_project(project).await?;
    require_phase(book, phase)?;
    let rows = store.protocol_rows(project).await?;
    let evals = evaluate(book, &rows);
    let index = book.phases.iter().position(|p| p.id == phase).unwrap_or(0);
    Ok((rows, evals, index))
}

/// A request just opened (or the pending one reused).
#[derive(Debug, Clone)]
pub struct OpenedRequest {
    /// Request id.
    pub id: i64,
    /// Token (requestState for 2026-07-28 clients).
    pub token: String,
    /// The snapshot shown to the reviewer.
    pub snapshot: Value,
    /// Criteria results at the time.
    pub criteria: Vec<CriterionResult>,
    /// Whether an existing pending request was reused.
    pub reused: bool,
}

/// Why a review cannot ask anybody now.
#[derive(Debug, Clone)]
pub enum NotReady {
    /// Already approved.
    Approved(PhaseEval),
    /// Some criteria fail.
    CriteriaUnmet(PhaseEval),
    /// Clarify questions are open.
    OpenQuestions(PhaseEval),
}

/// Opens a review request under the write lock: checks order, approval, open questions
/// and criteria, then inserts the request and its audit row. For `pending`, an open
/// pending request on the same snapshot is reused instead of adding another.
pub async fn open_request(
    app: &App,
    project: &str,
    phase_id: &str,
    channel: &'static str,
    actor: &str,
    session: Option<&str>,
) -> Result<std::result::Result<OpenedRequest, NotReady>> {
    let book = &app.playbooks.phases;
    let store = app.store().await?;
    store.require_project(project).await?;
    let phase = require_phase(book, phase_id)?;
    let mut tx = store.begin_locked().await?;
    super::audit::require_verified(app, tx.conn()).await?;
    let rows = tx.rows(project).await?;
    let evals = evaluate(book, &rows);
    let eval = find(&evals, phase_id)?;
    if let Some(blocked) = &eval.blocked_by {
        return Err(out_of_order(project, phase, blocked, "be reviewed"));
    }
    if eval.state == GateState::Approved {
        return Ok(Err(NotReady::Approved(eval.clone())));
    }
    if !eval.open_questions().is_empty() {
        return Ok(Err(NotReady::OpenQuestions(eval.clone())));
    }
    if !eval.criteria_met() {
        return Ok(Err(NotReady::CriteriaUnmet(eval.clone())));
    }
    let snap = snapshot(app, &rows, phase_id);
    if channel == "pending"
        && let Some(id) = eval.pending_request
        && let Some(existing) = rows.requests.iter().find(|r| r.id == id)
        && serde_json::from_str::<Value>(&existing.snapshot)
            .ok()
            .as_ref()
            == Some(&snap)
    {
        return Ok(Ok(OpenedRequest {
            id,
            token: existing.token.clone(),
            snapshot: snap,
            criteria: eval.criteria.clone(),
            reused: true,
        }));
    }
    let token = new_token()?;
    let event = if channel == "pending" {
        "gate_pending"
    } else {
        "gate_review_requested"
    };
    let payload = json!({
        "gate": phase.gate.id,
        "channel": channel,
        "snapshot": snap,
        "criteria": eval.criteria.iter().map(|c| &c.id).collect::<Vec<_>>(),
    });
    let snap_text = crate::store::protocol::canonical_json(&snap);
    let (id, _) = tx
        .insert_request(
            project,
            phase_id,
            &phase.gate.id,
            channel,
            &token,
            &snap_text,
            session,
            Audit {
                project: Some(project),
                phase: Some(phase_id),
                event,
                actor,
                payload,
            },
        )
        .await?;
    tx.commit().await?;
    Ok(Ok(OpenedRequest {
        id,
        token,
        snapshot: snap,
        criteria: eval.criteria.clone(),
        reused: false,
    }))
}

fn find<'a>(evals: &'a [PhaseEval], phase: &str) -> Result<&'a PhaseEval> {
    evals
        .iter()
        .find(|e| e.phase == phase)
        .ok_or_else(|| Error::not_found("phase", phase, evals.iter().map(|e| e.phase.as_str())))
}

/// Validates a human answer: reviewer present, reasons for No, questions for Clarify.
pub fn validate_answer(answer: &mut HumanAnswer) -> Result<()> {
    answer.reviewer = answer.reviewer.trim().to_string();
    answer.comment = answer.comment.trim().to_string();
    if answer.reviewer.is_empty() {
        return Err(Error::invalid(
            "reviewer: missing; a gate decision must name the human who made it",
        ));
    }
    if answer.reviewer.chars().count() > 200 {
        return Err(Error::invalid("reviewer: longer than 200 characters"));
    }
    answer.questions = answer
        .questions
        .iter()
        .map(|q| q.trim().to_string())
        .filter(|q| !q.is_empty())
        .collect();
    match answer.decision {
        Decision::Yes => {}
        Decision::No if answer.comment.is_empty() => {
            return Err(Error::invalid(
                "comment: missing; No needs the reasons the phase stays open",
            ));
        }
        Decision::No => {}
        Decision::Clarify => {
            if answer.questions.is_empty() && !answer.comment.is_empty() {
                answer.questions.push(answer.comment.clone());
            }
            if answer.questions.is_empty() {
                return Err(Error::invalid(
                    "questions: Clarify needs at least one question",
                ));
            }
        }
    }
    Ok(())
}

/// Records a human decision. `request`: the request it answers (its snapshot must still
/// hold for Yes); `None` from a terminal, where the human sees the current state
/// (`expected` is the snapshot they were shown).
pub async fn decide(
    app: &App,
    project: &str,
    phase_id: &str,
    request: Option<i64>,
    expected: Option<&Value>,
    mut answer: HumanAnswer,
    how: &Provenance,
) -> Result<PhaseEval> {
    validate_answer(&mut answer)?;
    let book = &app.playbooks.phases;
    let store = app.store().await?;
    store.require_project(project).await?;
    let phase = require_phase(book, phase_id)?;
    let mut tx = store.begin_locked().await?;
    super::audit::require_verified(app, tx.conn()).await?;
    let rows = tx.rows(project).await?;
    let evals = evaluate(book, &rows);
    let eval = find(&evals, phase_id)?;
    if let Some(blocked) = &eval.blocked_by {
        return Err(out_of_order(project, phase, blocked, "be decided"));
    }
    if eval.state == GateState::Approved {
        return Err(Error::Protocol(format!(
            "gate `{}` of project `{project}` is already approved; an approval is final",
            phase.gate.id
        )));
    }
    let open = eval.open_questions();
    if !open.is_empty() && answer.decision != Decision::Clarify {
        let ids: Vec<String> = open.iter().map(|q| format!("#{}", q.id)).collect();
        return Err(Error::Protocol(format!(
            "gate `{}` has open questions ({}); answer them with `dana gate answer {project} {phase_id}` first",
            phase.gate.id,
            ids.join(", ")
        )));
    }
    let current = snapshot(app, &rows, phase_id);
    let request_row = match request {
        Some(id) => {
            let row = rows
                .requests
                .iter()
                .find(|r| r.id == id && r.phase == phase_id)
                .ok_or_else(|| {
                    Error::Protocol(format!(
                        "review request `{id}` of gate `{}` not found",
                        phase.gate.id
                    ))
                })?;
            if rows.decisions.iter().any(|d| d.request_id == Some(id)) {
                return Err(Error::Protocol(format!(
                    "review request `{id}` of gate `{}` was already answered; call `request_gate_review` again",
                    phase.gate.id
                )));
            }
            Some(row)
        }
        // From a terminal: answer the open pending request, if there is one.
        None => eval
            .pending_request
            .and_then(|id| rows.requests.iter().find(|r| r.id == id)),
    };
    let shown: Option<Value> = match (request, expected) {
        (Some(_), _) => request_row.and_then(|r| serde_json::from_str(&r.snapshot).ok()),
        (None, Some(v)) => Some(v.clone()),
        (None, None) => None,
    };
    if answer.decision == Decision::Yes {
        if !eval.criteria_met() {
            let failing: Vec<String> = eval
                .criteria
                .iter()
                .filter(|c| !c.passed)
                .map(|c| format!("{} ({})", c.id, c.detail))
                .collect();
            return Err(Error::Protocol(format!(
                "gate `{}` cannot be approved: criteria unmet: {}",
                phase.gate.id,
                failing.join("; ")
            )));
        }
        if let Some(shown) = &shown
            && shown != &current
        {
            return Err(Error::Protocol(format!(
                "the artifacts of project `{project}` changed while the reviewer was deciding (shown {}, now {}); \
                 nothing was approved; review gate `{}` again",
                shown["artifacts"], current["artifacts"], phase.gate.id
            )));
        }
    }
    let stored = answer.decision.stored();
    // Once reviewers exist, a decision is a registered reviewer's signature or nothing.
    let reviewers = crate::store::protocol::reviewer_rows(tx.conn()).await?;
    if !reviewers.is_empty() {
        let Some(signed) = &how.signature else {
            return Err(Error::Protocol(format!(
                "reviewers are registered, so a decision on gate `{}` must be signed with a reviewer's passphrase: \
                 the human runs `dana gate approve|reject|clarify {project} {phase_id} --reviewer NAME` at a terminal; nothing was recorded",
                phase.gate.id
            )));
        };
        let key = reviewers
            .iter()
            .find(|r| r.name == signed.signer && r.name == answer.reviewer)
            .ok_or_else(|| {
                Error::not_found(
                    "reviewer",
                    &answer.reviewer,
                    reviewers.iter().map(|r| r.name.as_str()),
                )
            })?;
        if shown.as_ref() != Some(&current) {
            return Err(Error::Protocol(format!(
                "the artifacts or playbooks of project `{project}` changed while the reviewer was deciding; nothing was recorded; review gate `{}` again",
                phase.gate.id
            )));
        }
        let message = super::reviewer::decision_message(
            project,
            phase_id,
            &phase.gate.id,
            stored,
            &answer.reviewer,
            &answer.comment,
            &current,
            &signed.signed_at,
        );
        if !super::reviewer::verify_signature(&key.public_key, &message, &signed.signature) {
            return Err(Error::Protocol(format!(
                "the signature is not reviewer `{}`'s over this decision; nothing was recorded",
                crate::sanitize::sanitize_line(&answer.reviewer)
            )));
        }
        let age = chrono::DateTime::parse_from_rfc3339(&signed.signed_at)
            .map(|t| {
                (chrono::Utc::now() - t.with_timezone(&chrono::Utc))
                    .num_seconds()
                    .abs()
            })
            .unwrap_or(i64::MAX);
        if age > 600 {
            return Err(Error::Protocol(
                "the signature is older than 10 minutes (or not dated); sign the decision again"
                    .to_string(),
            ));
        }
    }
    let snap_text = crate::store::protocol::canonical_json(&current);
    let decision = NewDecision {
        project_id: project,
        phase: phase_id,
        gate_id: &phase.gate.id,
        request_id: request_row.map(|r| r.id),
        decision: stored,
        reviewer: &answer.reviewer,
        comment: &answer.comment,
        os_user: &how.os_user,
        interactive: how.interactive,
        channel: how.channel,
        snapshot: &snap_text,
        signer: how.signature.as_ref().map(|s| s.signer.as_str()),
        signature: how.signature.as_ref().map(|s| s.signature.as_str()),
        created_at: how.signature.as_ref().map(|s| s.signed_at.as_str()),
    };
    let payload = json!({
        "gate": phase.gate.id,
        "decision": stored,
        "signed_by": how.signature.as_ref().map(|s| s.signer.as_str()),
        "playbooks_sha256": current["playbooks_sha256"],
        "reviewer": answer.reviewer,
        "comment": answer.comment,
        "os_user": how.os_user,
        "interactive": how.interactive,
        "channel": how.channel,
        "request_id": decision.request_id,
        "snapshot": current,
        "criteria": eval.criteria.iter().map(|c| json!({"id": c.id, "passed": c.passed})).collect::<Vec<_>>(),
    });
    let event = format!("gate_{stored}");
    let (decision_id, _) = tx
        .insert_decision(
            &decision,
            Audit {
                project: Some(project),
                phase: Some(phase_id),
                event: &event,
                actor: &answer.reviewer,
                payload,
            },
        )
        .await?;
    if answer.decision == Decision::Clarify {
        for question in &answer.questions {
            let payload =
                json!({ "gate": phase.gate.id, "decision_id": decision_id, "question": question });
            tx.insert_clarification(
                project,
                phase_id,
                decision_id,
                question,
                &answer.reviewer,
                Audit {
                    project: Some(project),
                    phase: Some(phase_id),
                    event: "clarification_asked",
                    actor: &answer.reviewer,
                    payload,
                },
            )
            .await?;
        }
    }
    let after = tx.rows(project).await?;
    tx.commit().await?;
    let evals = evaluate(book, &after);
    Ok(find(&evals, phase_id)?.clone())
}

/// Records that a reviewer declined or cancelled: the attempt, nothing else.
pub async fn record_attempt(
    app: &App,
    project: &str,
    phase_id: &str,
    request: i64,
    outcome: &'static str,
    how: &Provenance,
) -> Result<PhaseEval> {
    let book = &app.playbooks.phases;
    let store = app.store().await?;
    let phase = require_phase(book, phase_id)?;
    let mut tx = store.begin_locked().await?;
    super::audit::require_verified(app, tx.conn()).await?;
    let rows = tx.rows(project).await?;
    if rows.decisions.iter().any(|d| d.request_id == Some(request)) {
        return Err(Error::Protocol(format!(
            "review request `{request}` of gate `{}` was already answered",
            phase.gate.id
        )));
    }
    let snap = snapshot(app, &rows, phase_id);
    let snap_text = crate::store::protocol::canonical_json(&snap);
    let decision = NewDecision {
        project_id: project,
        phase: phase_id,
        gate_id: &phase.gate.id,
        request_id: Some(request),
        decision: outcome,
        reviewer: "",
        comment: "",
        os_user: &how.os_user,
        interactive: how.interactive,
        channel: how.channel,
        snapshot: &snap_text,
        signer: None,
        signature: None,
        created_at: None,
    };
    let payload = json!({
        "gate": phase.gate.id,
        "decision": outcome,
        "reviewer": "",
        "channel": how.channel,
        "request_id": request,
    });
    let event = format!("gate_review_{outcome}");
    tx.insert_decision(
        &decision,
        Audit {
            project: Some(project),
            phase: Some(phase_id),
            event: &event,
            actor: "client",
            payload,
        },
    )
    .await?;
    let after = tx.rows(project).await?;
    tx.commit().await?;
    let evals = evaluate(book, &after);
    Ok(find(&evals, phase_id)?.clone())
}

/// Answers an open Clarify question. `question`: its id, or `None` when exactly one is open.
pub async fn answer_question(
    app: &App,
    project: &str,
    phase_id: &str,
    question: Option<i64>,
    text: &str,
    by: &str,
) -> Result<PhaseEval> {
    let text = text.trim();
    let by = by.trim();
    if text.is_empty() {
        return Err(Error::invalid("answer: missing; give the answer text"));
    }
    if by.is_empty() {
        return Err(Error::invalid("reviewer: missing; name who answers"));
    }
    let book = &app.playbooks.phases;
    let store = app.store().await?;
    store.require_project(project).await?;
    let phase = require_phase(book, phase_id)?;
    let mut tx = store.begin_locked().await?;
    super::audit::require_verified(app, tx.conn()).await?;
    let rows = tx.rows(project).await?;
    let open: Vec<&ClarificationRow> = rows
        .clarifications
        .iter()
        .filter(|c| c.phase == phase_id && c.answer.is_none())
        .collect();
    let target = match question {
        Some(id) => open.iter().find(|c| c.id == id).copied().ok_or_else(|| {
            Error::not_found(
                "open question",
                id.to_string(),
                open.iter().map(|c| c.id.to_string()).collect::<Vec<_>>(),
            )
        })?,
        None => match open.as_slice() {
            [one] => *one,
            [] => {
                return Err(Error::Protocol(format!(
                    "gate `{}` of project `{project}` has no open question",
                    phase.gate.id
                )));
            }
            many => {
                let ids: Vec<String> = many
                    .iter()
                    .map(|c| format!("#{} {}", c.id, c.question))
                    .collect();
                return Err(Error::invalid(format!(
                    "question: {} questions are open, pass `--question ID`: {}",
                    many.len(),
                    ids.join("; ")
                )));
            }
        },
    };
    let payload = json!({ "gate": phase.gate.id, "question_id": target.id, "question": target.question, "answer": text });
    tx.answer_clarification(
        target,
        text,
        by,
        Audit {
            project: Some(project),
            phase: Some(phase_id),
            event: "clarification_answered",
            actor: by,
            payload,
        },
    )
    .await?;
    let after = tx.rows(project).await?;
    tx.commit().await?;
    let evals = evaluate(book, &after);
    Ok(find(&evals, phase_id)?.clone())
}

/// Looks up a request by the token a 2026-07-28 client echoed; it must belong to this
/// project and phase and still be unanswered.
pub async fn request_by_token(
    app: &App,
    project: &str,
    phase_id: &str,
    token: &str,
    session: &str,
) -> Result<GateRequestRow> {
    let store = app.store().await?;
    let rows = store.protocol_rows(project).await?;
    let gate = require_phase(&app.playbooks.phases, phase_id)?
        .gate
        .id
        .clone();
    let row = rows
        .requests
        .iter()
        .find(|r| r.token == token && r.phase == phase_id && r.channel == "input_required")
        .ok_or_else(|| {
            Error::Protocol(format!(
                "requestState does not match a review of gate `{gate}` of project `{project}`; call `request_gate_review` again"
            ))
        })?;
    if row.session.as_deref() != Some(session) {
        return Err(Error::Protocol(format!(
            "review request `{}` of gate `{gate}` was sent to another session; answers are accepted only on the session the review form was sent to",
            row.id
        )));
    }
    if rows.decisions.iter().any(|d| d.request_id == Some(row.id)) {
        return Err(Error::Protocol(format!(
            "review request `{}` of gate `{gate}` was already answered; call `request_gate_review` again",
            row.id
        )));
    }
    Ok(row.clone())
}

/// The OS user running this process (for the audit record), from the operating system
/// (the real uid and the user database), never from `$USER`, which any caller can set.
pub fn os_user() -> String {
    let uid = uzers::get_current_uid();
    match uzers::get_user_by_uid(uid) {
        Some(user) => format!("{} (uid {uid})", user.name().to_string_lossy()),
        None => format!("uid {uid}"),
    }
}

/// 128 random bits, hex.
fn new_token() -> Result<String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes)
        .map_err(|e| Error::invalid(format!("no randomness available: {e}")))?;
    Ok(hex::encode(bytes))
}
