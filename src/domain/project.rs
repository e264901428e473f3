//! Projects: a named piece of work that moves through the DEP phases.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::App;
use crate::error::{Error, Result};
use crate::protocol::criteria::CriterionResult;
use crate::protocol::gate::{self, DecisionRecord, GateState, PhaseEval, Question};

/// Params of `start_project`.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StartProjectParams {
    /// Display name, e.g. "Retail analytics".
    pub name: String,
    /// Project id used by every later call: lowercase letters, digits, `-`, `_`, 1-64 chars. Default: derived from `name`.
    #[serde(default)]
    pub id: Option<String>,
    /// What the project is for.
    #[serde(default)]
    pub description: Option<String>,
}

/// Params of `project_status`.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectStatusParams {
    /// Project id.
    pub project: String,
}

/// A project and where it stands. Lean by design (it is read after every step): the
/// current phase in full, the other phases as one line each.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ProjectStatus {
    /// Project id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Description.
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub description: String,
    /// Creation time (RFC 3339, UTC).
    pub created_at: String,
    /// The phase to work on now.
    pub current_phase: String,
    /// Every phase in order.
    pub phases: Vec<PhaseStatus>,
    /// Latest rubric score, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latest_score: Option<i64>,
    /// Recommended next tool calls or human actions, for the current phase.
    pub next: Vec<String>,
}

/// One phase of a project.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct PhaseStatus {
    /// Phase id.
    pub id: String,
    /// Position, from 1.
    pub number: u32,
    /// Title.
    pub title: String,
    /// not_started | in_progress | awaiting_review | pending_human | approved | rejected | clarify
    pub state: String,
    /// Gate id.
    pub gate: String,
    /// Gate criteria that hold now.
    pub criteria_passed: usize,
    /// Gate criteria in all.
    pub criteria_total: usize,
    /// The gate criteria with their result, for the current phase and any started phase
    /// with a failing criterion (`request_gate_review` evaluates any phase's).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub criteria: Vec<CriterionResult>,
    /// Artifact kinds of the phase and the latest recorded version of each.
    pub artifacts: Vec<ArtifactSummary>,
    /// Clarify questions not answered yet.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub open_questions: Vec<Question>,
    /// The latest decision on the gate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision: Option<DecisionRecord>,
}

/// An artifact kind of a phase.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ArtifactSummary {
    /// Artifact kind.
    pub kind: String,
    /// Tool that records it (when called with `project`).
    pub tool: String,
    /// Latest version, when recorded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<i64>,
}

/// Checks a project id (1-64 of `a-z 0-9 - _`, starting with a letter or digit).
pub fn validate_id(id: &str) -> Result<()> {
    let ok = !id.is_empty()
        && id.len() <= 64
        && id.as_bytes()[0].is_ascii_alphanumeric()
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(format!(
            "id: `{id}` is not a valid project id; use 1-64 of lowercase letters, digits, `-`, `_`, starting with a letter or digit"
        )))
    }
}

/// Derives an id from a display name: lowercase, runs of other characters become `-`.
pub fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.trim().chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let mut out: String = out.trim_end_matches('-').chars().take(64).collect();
    while out.ends_with('-') {
        out.pop();
    }
    out
}

/// Creates a project.
pub async fn start(app: &App, params: &StartProjectParams) -> Result<ProjectStatus> {
    let name = params.name.trim();
    if name.is_empty() {
        return Err(Error::invalid("name: must not be empty"));
    }
    let id = match &params.id {
        Some(id) => id.clone(),
        None => slug(name),
    };
    validate_id(&id)?;
    let store = app.store().await?;
    store
        .create_project(&id, name, params.description.as_deref().unwrap_or(""))
        .await?;
    status(app, &id).await
}

/// Where a project stands: per phase its state, criteria, artifacts, open questions,
/// the latest decision and what to do next.
pub async fn status(app: &App, id: &str) -> Result<ProjectStatus> {
    let store = app.store().await?;
    // No gate state from a store the audit chain does not vouch for.
    {
        let mut snapshot = store.begin_snapshot().await?;
        crate::protocol::audit::require_verified(app, &mut snapshot).await?;
    }
    let project = store.require_project(id).await?;
    let latest_score = store.latest_score(id).await?.map(|s| s.total);
    let rows = store.protocol_rows(id).await?;
    let book = &app.playbooks.phases;
    let evals = gate::evaluate(book, &rows);
    let current = evals
        .iter()
        .find(|e| e.state != GateState::Approved)
        .or(evals.last())
        .map(|e| e.phase.clone())
        .unwrap_or_default();
    let phases: Vec<PhaseStatus> = book
        .phases
        .iter()
        .zip(&evals)
        .map(|(p, e)| PhaseStatus {
            id: p.id.clone(),
            number: p.number,
            title: p.title.clone(),
            state: e.state.as_str().to_string(),
            gate: p.gate.id.clone(),
            criteria_passed: e.criteria.iter().filter(|c| c.passed).count(),
            criteria_total: e.criteria.len(),
            // In full where there is something to do: the current phase, and any other
            // started phase with a failing criterion (not-started and approved phases are
            // summed up by the counts).
            criteria: if p.id == current
                || (e.state != GateState::NotStarted && e.criteria.iter().any(|c| !c.passed))
            {
                e.criteria.clone()
            } else {
                Vec::new()
            },
            artifacts: p
                .artifacts
                .iter()
                .map(|a| ArtifactSummary {
                    kind: a.kind.clone(),
                    tool: a.tool.clone(),
                    version: e
                        .artifact_versions
                        .iter()
                        .find(|(k, _)| *k == a.kind)
                        .map(|(_, v)| *v),
                })
                .collect(),
            open_questions: e.open_questions().into_iter().cloned().collect(),
            decision: e.last_decision.clone(),
        })
        .collect();
    let next = evals
        .iter()
        .find(|e| e.phase == current)
        .map(|e| next_steps(&project.id, e))
        .unwrap_or_default();
    Ok(ProjectStatus {
        id: project.id,
        name: project.name,
        description: project.description,
        created_at: project.created_at,
        current_phase: current,
        phases,
        latest_score,
        next,
    })
}

/// What to do next in a phase, as concrete calls.
fn next_steps(project: &str, e: &PhaseEval) -> Vec<String> {
    let phase = &e.phase;
    match e.state {
        GateState::NotStarted | GateState::InProgress => {
            // One call per tool, naming the criteria it serves (their detail is in the
            // phase's `criteria`).
            let mut calls: Vec<(&str, Vec<&str>)> = Vec::new();
            for c in e.criteria.iter().filter(|c| !c.passed) {
                for tool in &c.tools {
                    match calls.iter_mut().find(|(t, _)| t == tool) {
                        Some((_, ids)) => ids.push(&c.id),
                        None => calls.push((tool, vec![&c.id])),
                    }
                }
            }
            calls
                .into_iter()
                .map(|(tool, ids)| {
                    format!("call `{tool}` with project `{project}` ({})", ids.join(", "))
                })
                .collect()
        }
        GateState::AwaitingReview | GateState::Rejected => vec![format!(
            "call `request_gate_review` with project `{project}` and phase `{phase}`"
        )],
        GateState::PendingHuman => vec![format!(
            "ask the human to run `dana gate status {project} {phase}`, then `dana gate approve {project} {phase} --reviewer NAME` (or `reject` / `clarify`)"
        )],
        GateState::Clarify => e
            .open_questions()
            .iter()
            .map(|q| {
                format!(
                    "question #{}: {} (answered with `dana gate answer {project} {phase} --question {} --text ANSWER --reviewer NAME`)",
                    q.id, q.question, q.id
                )
            })
            .collect(),
        GateState::Approved => Vec::new(),
    }
}
