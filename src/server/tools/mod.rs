//! Every tool, one file per toolset. Each tool is a few lines that hand over to
//! `crate::domain`.

mod governance;
mod modeling;
mod protocol;
mod quality;
mod scoring;

use super::tool::{ToolEntry, entry};

/// All tools dana has, in no particular order (listing sorts by name).
pub fn all() -> Vec<ToolEntry> {
    vec![
        entry::<protocol::StartProject>(),
        entry::<protocol::ProjectStatusTool>(),
        entry::<scoring::ScoreInfrastructure>(),
        entry::<quality::ListDatasources>(),
        entry::<governance::GenerateDataContract>(),
        entry::<governance::DiffSchemas>(),
        entry::<governance::ClassifyData>(),
        entry::<governance::GenerateCatalogEntry>(),
        entry::<modeling::DesignDimensionalModel>(),
        entry::<modeling::GenerateDdl>(),
        entry::<modeling::GenerateScdMerge>(),
        entry::<quality::ProfileDatasource>(),
        entry::<quality::GenerateQualityChecks>(),
        entry::<quality::RunQualityChecks>(),
    ]
}
