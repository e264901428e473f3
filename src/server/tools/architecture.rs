//! Toolset `discovery`: `assess_architecture`.

use crate::domain::architecture::{self, ArchitectureAssessment, AssessArchitectureParams};
use crate::server::tool::{DanaTool, Hints, ToolCtx, ToolError};

/// `assess_architecture`.
pub struct AssessArchitecture;

impl DanaTool for AssessArchitecture {
    const NAME: &'static str = "assess_architecture";
    const TOOLSET: &'static str = "discovery";
    const TITLE: &'static str = "Assess architecture brief";
    const DESCRIPTION: &'static str = "Validate an architecture brief (missing answers come back as questions), pick the architecture pattern(s) from the decision matrix and one technology per layer (orchestration, processing, storage) with the rule id and facts behind each pick, warn on tools the brief names that hit an avoid-when rule, and list the guardrails that apply.";
    const HINTS: Hints = Hints::GENERATOR;
    type Params = AssessArchitectureParams;
    type Output = ArchitectureAssessment;

    async fn call(ctx: ToolCtx, params: Self::Params) -> Result<Self::Output, ToolError> {
        Ok(architecture::assess(
            &ctx.app.playbooks.architecture,
            &params,
        )?)
    }

    fn render(ctx: &ToolCtx, output: &Self::Output) -> Option<String> {
        ctx.app
            .templates
            .render("architecture/assessment.md.j2", output)
            .ok()
    }
}
