//! Toolsets `quality` and `discovery` (live side): datasources, profiling, quality checks.

use crate::domain::datasource::{self, DatasourceList, ListDatasourcesParams};
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
    const DESCRIPTION: &'static str = "The named read-only datasources of dana.toml with engine, reachability, server version and limits (timeout, row cap). Pass a name as `datasource` to profile_datasource or run_quality_checks. Never shows URLs.";
    const HINTS: Hints = LIVE_READ;
    type Params = ListDatasourcesParams;
    type Output = DatasourceList;

    async fn call(ctx: ToolCtx, _params: Self::Params) -> Result<Self::Output, ToolError> {
        Ok(datasource::list(&ctx.app).await)
    }
}
