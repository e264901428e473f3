//! Toolset `scoring`: the 0-100 infrastructure rubric.

use crate::domain::scoring::{self, ScoreInfrastructureParams, ScoreReport};
use crate::server::tool::{DanaTool, Hints, ToolCtx, ToolError};

/// `score_infrastructure`.
pub struct ScoreInfrastructure;

impl DanaTool for ScoreInfrastructure {
    const NAME: &'static str = "score_infrastructure";
    const TOOLSET: &'static str = "scoring";
    const TITLE: &'static str = "Score infrastructure (0-100)";
    const DESCRIPTION: &'static str = "Score data infrastructure 0-100 on the weighted rubric (reliability 20, data_quality 20, performance 15, monitoring 15, documentation 10, testing 10, cost_efficiency 10) from `points` or `evidence` per dimension (facts: dana://playbooks/rubric). Returns points with rationale, band, improvements by points gained; with `project`, the change since the last score.";
    const HINTS: Hints = Hints {
        read_only: false,
        destructive: false,
        idempotent: false,
        open_world: false,
    };
    type Params = ScoreInfrastructureParams;
    type Output = ScoreReport;
    const TEMPLATE: &'static str = "reports/score.md.j2";

    async fn call(ctx: ToolCtx, params: Self::Params) -> Result<Self::Output, ToolError> {
        Ok(scoring::score_and_store(&ctx.app, &params).await?)
    }
}
