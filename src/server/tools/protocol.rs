//! Toolset `protocol`: projects and their progress through the DEP phases.

use crate::domain::project::{self, ProjectStatus, ProjectStatusParams, StartProjectParams};
use crate::server::tool::{DanaTool, Hints, ToolCtx, ToolError};

/// `start_project`.
pub struct StartProject;

impl DanaTool for StartProject {
    const NAME: &'static str = "start_project";
    const TOOLSET: &'static str = "protocol";
    const TITLE: &'static str = "Start a project";
    const DESCRIPTION: &'static str = "Create a dana project that moves through the DEP phases discover → model → build → optimize → govern, each closed by a human-approved gate. Returns the phase tracker. Pass its id as `project` to other tools to record their results.";
    const HINTS: Hints = Hints {
        read_only: false,
        destructive: false,
        idempotent: false,
        open_world: false,
    };
    type Params = StartProjectParams;
    type Output = ProjectStatus;

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
    const DESCRIPTION: &'static str =
        "The DEP phase tracker of a project: each phase's state and gate.";
    const HINTS: Hints = Hints::READ_ONLY;
    type Params = ProjectStatusParams;
    type Output = ProjectStatus;

    async fn call(ctx: ToolCtx, params: Self::Params) -> Result<Self::Output, ToolError> {
        Ok(project::status(&ctx.app, &params.project).await?)
    }
}
