//! Toolset `modeling`: dimensional and Data Vault models, their DDL and their loads.

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
    const DESCRIPTION: &'static str = "Check a Kimball or Data Vault model: normalized model, findings with stable IDs (grain, additivity, naming, methodology) and a Mermaid ERD for generate_ddl.";
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
    const DESCRIPTION: &'static str = "A model's CREATE statements in one dialect, in dependency order (keys, SCD/vault columns, constraints, indexes, partitions, comments, unknown members), or a dbt project.";
    const HINTS: Hints = Hints::GENERATOR;
    type Params = GenerateDdlParams;
    type Output = DdlOutput;
    const TEMPLATE: &'static str = "modeling/ddl.md.j2";

    async fn call(ctx: ToolCtx, params: Self::Params) -> Result<Self::Output, ToolError> {
        let dialect = modeling::resolve_dialect(&ctx.app, params.dialect.as_deref())?;
        if params.format == Some(modeling::ddl::DdlFormat::Dbt) {
            return Ok(modeling::ddl::generate_dbt(&ctx.app, &params, dialect)?);
        }
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
    const DESCRIPTION: &'static str = "SQL loading one table from staging in one dialect: an SCD 1/2/3/4/6 dimension or an insert-only Data Vault hub/link/satellite. Re-runs change nothing.";
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
