//! Toolsets `quality` and `discovery` (live side): datasources, profiling, quality checks.

use crate::domain::datasource::{self, DatasourceList, ListDatasourcesParams};
use crate::domain::quality::{
    self, DatasourceProfile, GenerateQualityChecksParams, ProfileDatasourceParams, Progress,
    QualityChecks, QualityRun, RunQualityChecksParams, profile, run,
};
use crate::server::tool::{DanaTool, Hints, ToolCtx, ToolError};

/// Reads a live datasource: no writes anywhere, talks to an outside system.
const LIVE_READ: Hints = Hints {
    read_only: true,
    destructive: false,
    idempotent: true,
    open_world: true,
};

/// `list_datasources`.
pub struct ListDatasources;

impl DanaTool for ListDatasources {
    const NAME: &'static str = "list_datasources";
    const TOOLSET: &'static str = "discovery";
    const TITLE: &'static str = "List datasources";
    const DESCRIPTION: &'static str = "The named read-only datasources of dana.toml: engine, reachability, version, timeout and row cap (never URLs). Pass a name as `datasource` to other tools.";
    const HINTS: Hints = LIVE_READ;
    type Params = ListDatasourcesParams;
    type Output = DatasourceList;
    const TEMPLATE: &'static str = "reports/datasources.md.j2";

    async fn call(ctx: ToolCtx, _params: Self::Params) -> Result<Self::Output, ToolError> {
        Ok(datasource::list(&ctx.app).await)
    }
}

impl Progress for ToolCtx {
    async fn report(&self, done: usize, total: usize, message: String) {
        self.progress(done as f64, Some(total as f64), message)
            .await;
    }
    fn cancelled(&self) -> bool {
        self.ct.is_cancelled()
    }
}

/// `profile_datasource`.
pub struct ProfileDatasource;

impl DanaTool for ProfileDatasource {
    const NAME: &'static str = "profile_datasource";
    const TOOLSET: &'static str = "discovery";
    const TITLE: &'static str = "Profile a datasource";
    const DESCRIPTION: &'static str = "Profile each table of a named datasource in one scan: rows, nulls, distinct counts, min/max, mean, lengths, top values (PII masked), freshness, drift; anomalies (PROF-*). Progress per table; cancellable. Feed a profile to generate_quality_checks.";
    const HINTS: Hints = Hints {
        read_only: false,
        ..LIVE_READ
    };
    type Params = ProfileDatasourceParams;
    type Output = DatasourceProfile;
    const TEMPLATE: &'static str = "reports/profile.md.j2";

    async fn call(ctx: ToolCtx, params: Self::Params) -> Result<Self::Output, ToolError> {
        Ok(profile::profile(&ctx.app, &params, &ctx).await?)
    }
}

/// `generate_quality_checks`.
pub struct GenerateQualityChecks;

impl DanaTool for GenerateQualityChecks {
    const NAME: &'static str = "generate_quality_checks";
    const TOOLSET: &'static str = "quality";
    const TITLE: &'static str = "Generate quality checks";
    const DESCRIPTION: &'static str = "Quality checks for a table from a spec (declared) and/or a profile (suggested): stable ids, dimension, severity P0-P3, threshold, SQL for the dialect (one row, `observed`); dbt, ODCS, GX, Soda exports.";
    const HINTS: Hints = Hints::GENERATOR;
    type Params = GenerateQualityChecksParams;
    type Output = QualityChecks;
    const TEMPLATE: &'static str = "reports/quality_checks.md.j2";

    async fn call(ctx: ToolCtx, params: Self::Params) -> Result<Self::Output, ToolError> {
        Ok(quality::generate(&ctx.app, &params)?)
    }
}

/// `run_quality_checks`.
pub struct RunQualityChecks;

impl DanaTool for RunQualityChecks {
    const NAME: &'static str = "run_quality_checks";
    const TOOLSET: &'static str = "quality";
    const TITLE: &'static str = "Run quality checks";
    const DESCRIPTION: &'static str = "Run checks (from generate_quality_checks or table specs) on a named read-only datasource, one shared scan per table where SQL allows. Per check: pass/fail, observed value, threshold, severity, duration; failing keys (PII masked).";
    const HINTS: Hints = Hints {
        read_only: false,
        ..LIVE_READ
    };
    type Params = RunQualityChecksParams;
    type Output = QualityRun;
    const TEMPLATE: &'static str = "reports/quality_run.md.j2";

    async fn call(ctx: ToolCtx, params: Self::Params) -> Result<Self::Output, ToolError> {
        Ok(run::run(&ctx.app, &params, &ctx).await?)
    }
}
