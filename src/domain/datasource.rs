//! The datasources view: names, engines, reachability and limits, never URLs.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::App;
use crate::live::DatasourceInfo;

/// Params of `list_datasources`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListDatasourcesParams {}

/// The configured datasources.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct DatasourceList {
    /// One entry per `[datasources.NAME]` in dana.toml.
    pub datasources: Vec<DatasourceInfo>,
}

/// Lists the workspace's datasources, pinging each.
pub async fn list(app: &App) -> DatasourceList {
    DatasourceList {
        datasources: app.live.list().await,
    }
}
