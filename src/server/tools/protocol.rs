//! Toolset `protocol`: projects and their progress through the DEP phases.

use crate::domain::project::{self, ProjectStatus, ProjectStatusParams, StartProjectParams};
use crate::protocol::document::{self, PhaseDocument, RenderPhaseDocumentParams};
use crate::protocol::review::{self, Channel, GateReview, RequestGateReviewParams, ReviewResult};
use crate::server::tool::{DanaTool, Hints, ToolCtx, ToolError};

/// `start_project`.
pub struct StartProject;

impl DanaTool for StartProject {
    const NAME: &'static str = "start_project";
    const TOOLSET: &'static str = "protocol";
    const TITLE: &'static str = "Start a project";
    const DESCRIPTION: &'static str = "Create a project that moves through the phases discover → model → build → optimize → govern, each closed by a human-approved gate. Pass its id as `project` to other tools to record their results.";
    const HINTS: Hints = Hints {
        read_only: false,
        destructive: false,
        idempotent: false,
        open_world: false,
    };
    type Params = StartProjectParams;
    type Output = ProjectStatus;
    const TEMPLATE: &'static str = "protocol/status.md.j2";

    async fn call(ctx: ToolCtx, params: Self::Params) -> Result<Self::Output, ToolError> {
        Ok(project::start(&ctx.app, &params).await?)
    }
}

/// `project_status`.
pub struct ProjectStatusTool;

impl DanaTool for ProjectStatusTool {
    const NAME: &'static str = "project_status";
    const TOOLSET: &'static str = "protocol";
    const TITLE: &'static str = "Project status";
    const DESCRIPTION: &'static str = "A project's phase tracker: per phase its state, gate criteria results, artifacts, open questions and latest decision, plus the next recommended calls.";
    const HINTS: Hints = Hints::READ_ONLY;
    type Params = ProjectStatusParams;
    type Output = ProjectStatus;
    const TEMPLATE: &'static str = "protocol/status.md.j2";

    async fn call(ctx: ToolCtx, params: Self::Params) -> Result<Self::Output, ToolError> {
        Ok(project::status(&ctx.app, &params.project).await?)
    }
}

/// `request_gate_review`.
pub struct RequestGateReview;

impl DanaTool for RequestGateReview {
    const NAME: &'static str = "request_gate_review";
    const TOOLSET: &'static str = "protocol";
    const TITLE: &'static str = "Request a gate review";
    const DESCRIPTION: &'static str = "Evaluate a phase's gate. Failing criteria come back (what is missing, which tool produces it). If all pass, the human is asked Yes / No / Clarify (elicitation); without elicitation the gate waits for `dana gate` at a terminal. Only a human can approve.";
    const HINTS: Hints = Hints {
        read_only: false,
        destructive: false,
        idempotent: false,
        open_world: false,
    };
    type Params = RequestGateReviewParams;
    type Output = GateReview;
    const TEMPLATE: &'static str = "protocol/review.md.j2";

    async fn call(ctx: ToolCtx, params: Self::Params) -> Result<Self::Output, ToolError> {
        match review::review(&ctx.app, &params, review_channel(&ctx)?).await? {
            ReviewResult::Done(review) => Ok(*review),
            ReviewResult::InputRequired(question) => Err(ToolError::InputRequired(question)),
        }
    }
}

/// How this client can reach its human: elicitation request (≤ 2025-11-25),
/// `InputRequiredResult` (2026-07-28), or nobody (pending). Only a session that declared
/// form elicitation when it opened is asked; a sessionless request, or capabilities
/// claimed in one request's `_meta` on a session that declared none, never are.
fn review_channel(ctx: &ToolCtx) -> Result<Channel, ToolError> {
    let stateless = ctx
        .protocol_version
        .as_deref()
        .is_some_and(|v| v >= "2026-07-28");
    let session = match (&ctx.session, ctx.session_elicitation) {
        (Some(s), true) => s.clone(),
        _ if ctx.request_state.is_some() || ctx.input_responses.is_some() => {
            return Err(ToolError::Domain(crate::error::Error::Protocol(
                "this request cannot answer a gate review: answers are accepted only on the session the review form was sent to, and only from a session that declared elicitation when it opened; call `request_gate_review` again from that session, or let the human use `dana gate`".to_string(),
            )));
        }
        _ => return Ok(Channel::Pending),
    };
    Ok(match (&ctx.peer, stateless) {
        (_, true) => Channel::InputRequired {
            responses: ctx.input_responses.clone(),
            state: ctx.request_state.clone(),
            session,
        },
        (Some(peer), false) => Channel::Elicit(peer.clone()),
        _ => Channel::Pending,
    })
}

/// `render_phase_document`.
pub struct RenderPhaseDocument;

impl DanaTool for RenderPhaseDocument {
    const NAME: &'static str = "render_phase_document";
    const TOOLSET: &'static str = "protocol";
    const TITLE: &'static str = "Render a phase document";
    const DESCRIPTION: &'static str = "Render a phase's document (Markdown) from the project's recorded artifacts and gate decisions. Missing sections say so; DRAFT until the gate is approved. `write: true` also writes it inside the workspace.";
    const HINTS: Hints = Hints {
        read_only: false,
        destructive: true,
        idempotent: true,
        open_world: false,
    };
    type Params = RenderPhaseDocumentParams;
    type Output = PhaseDocument;
    const TEMPLATE: &'static str = "protocol/document.md.j2";

    async fn call(ctx: ToolCtx, params: Self::Params) -> Result<Self::Output, ToolError> {
        Ok(document::render(&ctx.app, &params).await?)
    }
}
