//! Toolset `modeling`: dimensional models, their DDL and their SCD loads.

use crate::domain::modeling::{
    self, DdlOutput, DesignDimensionalModelParams, DesignOutput, GenerateDdlParams,
    GenerateScdMergeParams, ScdMergeOutput,
};
use crate::server::tool::{DanaTool, Hints, ToolCtx, ToolError};

/// `design_dimensional_model`.
pub struct DesignDimensionalModel;

impl DanaTool for DesignDimensionalModel {
    const NAME: &'static str = "design_dimensional_model";
    const TOOLSET: &'static str = "modeling";
    const TITLE: &'static str = "Design a dimensional model";
    const DESCRIPTION: &'static str = "Check a Kimball model (facts, dimensions, optional bus matrix). Returns the normalized model (surrogate keys, SCD2 and previous_ columns added), findings with stable IDs (grain, additivity, unknown dimensions, naming) and a Mermaid ERD. Feed the model to generate_ddl.";
    const HINTS: Hints = Hints::GENERATOR;
    type Params = DesignDimensionalModelParams;
    type Output = DesignOutput;
    const TEMPLATE: &'static str = "modeling/model.md.j2";

    async fn call(ctx: ToolCtx, params: Self::Params) -> Result<Self::Output, ToolError> {
        Ok(modeling::design(
            &params.model,
            &ctx.app.playbooks,
            &ctx.app.templates,
        )?)
    }
}

/// `generate_ddl`.
pub struct GenerateDdl;

impl DanaTool for GenerateDdl {
    const NAME: &'static str = "generate_ddl";
    const TOOLSET: &'static str = "modeling";
    const TITLE: &'static str = "Generate DDL";
    const DESCRIPTION: &'static str = "CREATE statements for a dimensional model in one dialect, dimensions first: keys, SCD columns, constraints, indexes, partitioning/clustering, comments, unknown-member rows. Returns each statement and notes on what the dialect cannot express.";
    const HINTS: Hints = Hints::GENERATOR;
    type Params = GenerateDdlParams;
    type Output = DdlOutput;
    const TEMPLATE: &'static str = "modeling/ddl.md.j2";

    async fn call(ctx: ToolCtx, params: Self::Params) -> Result<Self::Output, ToolError> {
        let dialect = modeling::resolve_dialect(&ctx.app, params.dialect.as_deref())?;
        Ok(modeling::generate_ddl(
            &params,
            dialect,
            &ctx.app.playbooks,
            &ctx.app.templates,
        )?)
    }
}

/// `generate_scd_merge`.
pub struct GenerateScdMerge;

impl DanaTool for GenerateScdMerge {
    const NAME: &'static str = "generate_scd_merge";
    const TOOLSET: &'static str = "modeling";
    const TITLE: &'static str = "Generate an SCD load";
    const DESCRIPTION: &'static str = "SQL that loads one dimension from a staging table: SCD Type 2 (Type 1 overwrite, Type 3 shift, close changed versions, insert new ones) or a Type 1 upsert, in one dialect. Idempotent: re-running a load changes nothing.";
    const HINTS: Hints = Hints::GENERATOR;
    type Params = GenerateScdMergeParams;
    type Output = ScdMergeOutput;
    const TEMPLATE: &'static str = "modeling/scd.md.j2";

    async fn call(ctx: ToolCtx, params: Self::Params) -> Result<Self::Output, ToolError> {
        let dialect = modeling::resolve_dialect(&ctx.app, params.dialect.as_deref())?;
        Ok(modeling::generate_scd_merge(
            &params,
            dialect,
            &ctx.app.playbooks,
            &ctx.app.templates,
        )?)
    }
}
