//! Toolset `discovery`: `assess_architecture`.

use crate::domain::architecture::{self, ArchitectureAssessment, AssessArchitectureParams};
use crate::server::tool::{DanaTool, Hints, ToolCtx, ToolError};

/// `assess_architecture`.
pub struct AssessArchitecture;

impl DanaTool for AssessArchitecture {
    const NAME: &'static str = "assess_architecture";
    const TOOLSET: &'static str = "discovery";
    const TITLE: &'static str = "Assess architecture brief";
    const DESCRIPTION: &'static str = "Architecture brief to patterns, one tool per layer and data path (ingestion to serving) with evidence and runner-up, avoid-when warnings, guardrails; unknowns that matter become questions.";
    const HINTS: Hints = Hints::GENERATOR;
    type Params = AssessArchitectureParams;
    type Output = ArchitectureAssessment;
    const TEMPLATE: &'static str = "architecture/assessment.md.j2";

    async fn call(ctx: ToolCtx, params: Self::Params) -> Result<Self::Output, ToolError> {
        Ok(architecture::assess(
            &ctx.app.playbooks.architecture,
            &params,
        )?)
    }
}
