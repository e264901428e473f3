//! Toolset `pipeline`: `design_pipeline`, `plan_backfill`, `plan_tests`.

use crate::domain::backfill::{self, BackfillPlan, PlanBackfillParams};
use crate::domain::operations::{self, PlanTestsParams, TestPlan};
use crate::domain::pipeline::{self, DesignPipelineParams, PipelineDesign};
use crate::server::tool::{DanaTool, Hints, ToolCtx, ToolError};

/// `design_pipeline`.
pub struct DesignPipeline;

impl DanaTool for DesignPipeline {
    const NAME: &'static str = "design_pipeline";
    const TOOLSET: &'static str = "pipeline";
    const TITLE: &'static str = "Design a pipeline";
    const DESCRIPTION: &'static str = "Pipeline spec (YAML): extraction/load strategies by rule id, gates, error handling, idempotency and trap findings, questions for unknown facts; optional Airflow/Dagster/Prefect code.";
    const HINTS: Hints = Hints::GENERATOR;
    type Params = DesignPipelineParams;
    type Output = PipelineDesign;
    const TEMPLATE: &'static str = "pipeline/design.md.j2";

    async fn call(ctx: ToolCtx, params: Self::Params) -> Result<Self::Output, ToolError> {
        Ok(pipeline::design(&ctx.app.playbooks.pipeline, &params)?)
    }
}

/// `plan_backfill`.
pub struct PlanBackfill;

impl DanaTool for PlanBackfill {
    const NAME: &'static str = "plan_backfill";
    const TOOLSET: &'static str = "pipeline";
    const TITLE: &'static str = "Plan a backfill";
    const DESCRIPTION: &'static str = "Backfill plan for a table and date range: the nine protocol steps, partitions newest first, before/after validation queries.";
    const HINTS: Hints = Hints::GENERATOR;
    type Params = PlanBackfillParams;
    type Output = BackfillPlan;
    const TEMPLATE: &'static str = "pipeline/backfill.md.j2";

    async fn call(ctx: ToolCtx, params: Self::Params) -> Result<Self::Output, ToolError> {
        Ok(backfill::plan(&ctx.app.playbooks.pipeline, &params)?)
    }
}

/// `plan_tests`.
pub struct PlanTests;

impl DanaTool for PlanTests {
    const NAME: &'static str = "plan_tests";
    const TOOLSET: &'static str = "pipeline";
    const TITLE: &'static str = "Plan pipeline tests";
    const DESCRIPTION: &'static str = "Test pyramid for one pipeline (unit to performance): what to test for its source, load strategy and keys, and when.";
    const HINTS: Hints = Hints::GENERATOR;
    type Params = PlanTestsParams;
    type Output = TestPlan;
    const TEMPLATE: &'static str = "pipeline/tests.md.j2";

    async fn call(ctx: ToolCtx, params: Self::Params) -> Result<Self::Output, ToolError> {
        Ok(operations::plan_tests(
            &ctx.app.playbooks.operations,
            &params,
        )?)
    }
}
