//! `request_gate_review`: evaluate the gate, and when every criterion holds, ask a human
//! for Yes / No / Clarify through whatever the client supports:
//! - protocol ≤ 2025-11-25 with the elicitation capability: an `elicitation/create`
//!   request sent while the tool call waits;
//! - protocol 2026-07-28 with the capability: an `InputRequiredResult` carrying the same
//!   form, answered on the client's retry (the echoed `requestState` is only a random
//!   handle to a stored request, checked against the store);
//! - otherwise: the gate becomes *pending* and a human decides with `dana gate`.
//!
//! The form's answer is the only input that can approve; tool arguments cannot.

use rmcp::model::{
    ElicitRequest, ElicitRequestParams, ElicitationSchema, InputRequest, InputRequests,
    InputRequiredResult, InputResponses,
};
use rmcp::service::{Peer, RoleServer};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::criteria::CriterionResult;
use super::gate::{
    self, Decision, DecisionRecord, GateState, HumanAnswer, NotReady, PhaseEval, Provenance,
    Question,
};
use crate::App;
use crate::error::{Error, Result};

/// Key of the elicitation inside `inputRequests` / `inputResponses`.
pub const INPUT_KEY: &str = "gate_decision";

/// Params of `request_gate_review`.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestGateReviewParams {
    /// Project id.
    pub project: String,
    /// Phase whose gate to review: discover, model, build, optimize or govern.
    pub phase: String,
}

/// What happened to the review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReviewOutcome {
    /// Some criteria fail; nobody was asked.
    CriteriaUnmet,
    /// Clarify questions are still open; nobody was asked.
    OpenQuestions,
    /// The gate was approved earlier.
    AlreadyApproved,
    /// The human said Yes.
    Approved,
    /// The human said No.
    Rejected,
    /// The human asked questions.
    Clarify,
    /// The human declined to answer; nothing was decided.
    Declined,
    /// The human cancelled; nothing was decided.
    Cancelled,
    /// The client cannot ask; a human must run `dana gate`.
    PendingHuman,
}

/// Result of `request_gate_review`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct GateReview {
    /// Project id.
    pub project: String,
    /// Phase id.
    pub phase: String,
    /// Gate id.
    pub gate: String,
    /// What happened.
    pub outcome: ReviewOutcome,
    /// The gate's state now.
    pub state: GateState,
    /// Every criterion with its result.
    pub criteria: Vec<CriterionResult>,
    /// The decision recorded by this review (or the earlier approval).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision: Option<DecisionRecord>,
    /// Questions still open.
    pub open_questions: Vec<Question>,
    /// What to do next.
    pub next: String,
}

/// How the client can reach the human.
#[derive(Debug, Clone)]
pub enum Channel {
    /// Protocol ≤ 2025-11-25 with elicitation: ask while the call waits.
    Elicit(Peer<RoleServer>),
    /// Protocol 2026-07-28 with elicitation: `InputRequiredResult`, answered on retry.
    InputRequired {
        /// Answers sent with the retry.
        responses: Option<InputResponses>,
        /// The echoed `requestState`.
        state: Option<String>,
        /// The session the call came on (the review is bound to it).
        session: String,
    },
    /// Nobody can be asked from here: the gate becomes pending.
    Pending,
}

/// The tool's result: a review, or questions for a 2026-07-28 client.
#[derive(Debug)]
pub enum ReviewResult {
    /// Finished (whatever the outcome).
    Done(Box<GateReview>),
    /// Ask the client to fill the form and retry.
    InputRequired(Box<InputRequiredResult>),
}

/// Runs a review over the given channel.
pub async fn review(
    app: &App,
    params: &RequestGateReviewParams,
    channel: Channel,
) -> Result<ReviewResult> {
    let project = params.project.trim();
    let phase = params.phase.trim();
    // Once reviewers are registered, only a reviewer's signature decides; an MCP client
    // cannot sign, so the gate waits for the human at a terminal.
    let channel = match channel {
        Channel::Elicit(_) | Channel::InputRequired { .. } if super::reviewer::any(app).await? => {
            Channel::Pending
        }
        other => other,
    };
    match channel {
        Channel::InputRequired {
            responses,
            state: Some(token),
            session,
        } => {
            let request = gate::request_by_token(app, project, phase, &token, &session).await?;
            let answer = responses
                .as_ref()
                .and_then(|r| r.get(INPUT_KEY))
                .ok_or_else(|| {
                    Error::invalid(format!(
                        "inputResponses: missing `{INPUT_KEY}`, the answer to the review form"
                    ))
                })?;
            let how = provenance("input_required");
            finish(app, project, phase, request.id, answer, &how)
                .await
                .map(done)
        }
        Channel::InputRequired {
            state: None,
            session,
            ..
        } => {
            match gate::open_request(
                app,
                project,
                phase,
                "input_required",
                "request_gate_review",
                Some(&session),
            )
            .await?
            {
                Err(not_ready) => Ok(done(not_ready_review(app, project, not_ready))),
                Ok(opened) => {
                    let message = message(app, project, phase, &opened.criteria, &opened.snapshot)?;
                    let mut requests = InputRequests::new();
                    requests.insert(
                        INPUT_KEY.to_string(),
                        InputRequest::Elicitation(ElicitRequest::new(form(message)?)),
                    );
                    Ok(ReviewResult::InputRequired(Box::new(
                        InputRequiredResult::new(Some(requests), Some(opened.token)),
                    )))
                }
            }
        }
        Channel::Elicit(peer) => {
            match gate::open_request(
                app,
                project,
                phase,
                "elicitation",
                "request_gate_review",
                None,
            )
            .await?
            {
                Err(not_ready) => Ok(done(not_ready_review(app, project, not_ready))),
                Ok(opened) => {
                    let message = message(app, project, phase, &opened.criteria, &opened.snapshot)?;
                    let result = match peer.create_elicitation(form(message)?).await {
                        Ok(result) => result,
                        Err(e) => {
                            // The client declared elicitation but could not carry it (a
                            // transport without server requests, a client bug): fall back
                            // to the pending path so a human can still decide at a terminal.
                            tracing::warn!(error = %e, "elicitation failed; the gate review falls back to pending");
                            return pending(app, project, phase).await;
                        }
                    };
                    let answer = serde_json::to_value(&result).map_err(|e| {
                        Error::invalid(format!("elicitation result is not JSON: {e}"))
                    })?;
                    let how = provenance("elicitation");
                    finish(app, project, phase, opened.id, &answer, &how)
                        .await
                        .map(done)
                }
            }
        }
        Channel::Pending => pending(app, project, phase).await,
    }
}

/// Makes the gate pending for a human at a terminal.
async fn pending(app: &App, project: &str, phase: &str) -> Result<ReviewResult> {
    match gate::open_request(app, project, phase, "pending", "request_gate_review", None).await? {
        Err(not_ready) => Ok(done(not_ready_review(app, project, not_ready))),
        Ok(_) => {
            let (_, evals, index) = gate::load(app, project, phase).await?;
            Ok(done(to_review(
                project,
                &evals[index],
                ReviewOutcome::PendingHuman,
                None,
            )))
        }
    }
}

fn done(review: GateReview) -> ReviewResult {
    ReviewResult::Done(Box::new(review))
}

fn provenance(channel: &'static str) -> Provenance {
    Provenance {
        channel,
        os_user: gate::os_user(),
        // The client put the form in front of its user; dana cannot see more than that.
        interactive: true,
        signature: None,
    }
}

/// Applies an `ElicitResult` (`{action, content}`) to a request.
async fn finish(
    app: &App,
    project: &str,
    phase: &str,
    request: i64,
    result: &Value,
    how: &Provenance,
) -> Result<GateReview> {
    let action = result.get("action").and_then(Value::as_str).unwrap_or("");
    match action {
        "accept" => {
            let content = result.get("content").cloned().unwrap_or(Value::Null);
            let answer = parse_answer(&content)?;
            let outcome = match answer.decision {
                Decision::Yes => ReviewOutcome::Approved,
                Decision::No => ReviewOutcome::Rejected,
                Decision::Clarify => ReviewOutcome::Clarify,
            };
            let eval = gate::decide(app, project, phase, Some(request), None, answer, how).await?;
            let decision = eval.last_decision.clone();
            Ok(to_review(project, &eval, outcome, decision))
        }
        "decline" | "cancel" => {
            let (stored, outcome) = if action == "decline" {
                ("declined", ReviewOutcome::Declined)
            } else {
                ("cancelled", ReviewOutcome::Cancelled)
            };
            let eval = gate::record_attempt(app, project, phase, request, stored, how).await?;
            Ok(to_review(project, &eval, outcome, None))
        }
        other => Err(Error::invalid(format!(
            "elicitation result: action `{other}` is not one of `accept`, `decline`, `cancel`"
        ))),
    }
}

/// Reads the form's content: `decision` (yes|no|clarify), `reviewer`, `comment`, `questions`.
pub fn parse_answer(content: &Value) -> Result<HumanAnswer> {
    let text = |k: &str| {
        content
            .get(k)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let decision = match text("decision").trim().to_ascii_lowercase().as_str() {
        "yes" => Decision::Yes,
        "no" => Decision::No,
        "clarify" => Decision::Clarify,
        "" => {
            return Err(Error::invalid(
                "decision: missing; answer `yes`, `no` or `clarify`",
            ));
        }
        other => {
            return Err(Error::invalid(format!(
                "decision: `{other}` is not one of `yes`, `no`, `clarify`"
            )));
        }
    };
    let questions = text("questions").lines().map(str::to_string).collect();
    Ok(HumanAnswer {
        decision,
        reviewer: text("reviewer"),
        comment: text("comment"),
        questions,
    })
}

/// The review form (flat, primitive fields only, as elicitation requires).
fn form(message: String) -> Result<ElicitRequestParams> {
    let schema: ElicitationSchema = serde_json::from_value(json!({
        "type": "object",
        "properties": {
            "decision": {
                "type": "string",
                "title": "Decision",
                "description": "Yes approves the gate (final); No keeps the phase open; Clarify asks questions first",
                "oneOf": [
                    { "const": "yes", "title": "Yes: approve the gate" },
                    { "const": "no", "title": "No: keep the phase open" },
                    { "const": "clarify", "title": "Clarify: ask questions first" }
                ]
            },
            "reviewer": {
                "type": "string",
                "title": "Reviewer",
                "description": "Your name, recorded in the audit log",
                "minLength": 1
            },
            "comment": {
                "type": "string",
                "title": "Comment",
                "description": "Reasons (required for No) or remarks"
            },
            "questions": {
                "type": "string",
                "title": "Questions",
                "description": "For Clarify: one question per line"
            }
        },
        "required": ["decision", "reviewer"]
    }))
    .map_err(|e| Error::invalid(format!("review form schema: {e}")))?;
    Ok(ElicitRequestParams::FormElicitationParams {
        meta: None,
        message,
        requested_schema: schema,
    })
}

/// The text shown with the form, from `templates/protocol/gate_review.md.j2`.
fn message(
    app: &App,
    project: &str,
    phase: &str,
    criteria: &[CriterionResult],
    snapshot: &Value,
) -> Result<String> {
    let def = gate::require_phase(&app.playbooks.phases, phase)?;
    // The form comes from the built-in template only: a workspace override (which an agent
    // may have written) never decides what the human reads before approving.
    let text = crate::render::Templates::new(None).render(
        "protocol/gate_review.md.j2",
        json!({
            "project": project,
            "phase": { "id": def.id, "number": def.number, "title": def.title, "objective": def.objective },
            "gate": def.gate.id,
            "criteria": criteria,
            "artifacts": snapshot["artifacts"],
            "overrides": snapshot["overrides"],
            "playbooks_sha256": snapshot["playbooks_sha256"],
        }),
    )?;
    // The client shows this to its human: no escape sequence gets through.
    Ok(crate::sanitize::sanitize(&text))
}

fn not_ready_review(app: &App, project: &str, not_ready: NotReady) -> GateReview {
    let _ = app;
    match not_ready {
        NotReady::Approved(eval) => {
            let approval = eval.approval.clone();
            to_review(project, &eval, ReviewOutcome::AlreadyApproved, approval)
        }
        NotReady::CriteriaUnmet(eval) => {
            to_review(project, &eval, ReviewOutcome::CriteriaUnmet, None)
        }
        NotReady::OpenQuestions(eval) => {
            to_review(project, &eval, ReviewOutcome::OpenQuestions, None)
        }
    }
}

/// Builds the tool result for a phase evaluation.
pub fn to_review(
    project: &str,
    eval: &PhaseEval,
    outcome: ReviewOutcome,
    decision: Option<DecisionRecord>,
) -> GateReview {
    let open: Vec<Question> = eval.open_questions().into_iter().cloned().collect();
    let phase = &eval.phase;
    let next = match outcome {
        ReviewOutcome::CriteriaUnmet => {
            let mut tools: Vec<String> = Vec::new();
            for tool in eval.criteria.iter().filter(|c| !c.passed).flat_map(|c| c.tools.iter()) {
                if !tools.contains(tool) {
                    tools.push(tool.clone());
                }
            }
            format!(
                "Nobody was asked. Meet the failing criteria (call {} with project `{project}`), then call request_gate_review again.",
                tools.iter().map(|t| format!("`{t}`")).collect::<Vec<_>>().join(", ")
            )
        }
        ReviewOutcome::OpenQuestions | ReviewOutcome::Clarify => {
            let ids: Vec<String> = open.iter().map(|q| format!("#{} {}", q.id, q.question)).collect();
            format!(
                "The reviewer's questions are open: {}. Prepare the answers with the human; they record them with `dana gate answer {project} {phase} --question ID --text ANSWER --reviewer NAME`. Then call request_gate_review again.",
                ids.join("; ")
            )
        }
        ReviewOutcome::AlreadyApproved | ReviewOutcome::Approved => {
            format!("Gate `{}` is approved. Continue with the next phase (see project_status).", eval.gate)
        }
        ReviewOutcome::Rejected => {
            let why = decision.as_ref().map(|d| d.comment.as_str()).unwrap_or("");
            format!(
                "The reviewer said No: {why}. Address the reasons (record new artifacts with project `{project}`), then call request_gate_review again."
            )
        }
        ReviewOutcome::Declined | ReviewOutcome::Cancelled => {
            "The reviewer did not decide; nothing was recorded but the attempt. Ask the human when to review again.".to_string()
        }
        ReviewOutcome::PendingHuman => format!(
            "This client cannot ask the human directly, so gate `{}` is pending. Ask the human to run, in the workspace: `dana gate status {project} {phase}`, then `dana gate approve {project} {phase} --reviewer NAME` (or `reject` with `--comment REASONS`, or `clarify` with `--question TEXT`). Then call project_status.",
            eval.gate
        ),
    };
    GateReview {
        project: project.to_string(),
        phase: phase.clone(),
        gate: eval.gate.clone(),
        outcome,
        state: eval.state,
        criteria: eval.criteria.clone(),
        decision,
        open_questions: open,
        next,
    }
}
