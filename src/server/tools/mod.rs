//! Every tool, one file per toolset. Each tool is a few lines that hand over to
//! `crate::domain`.

mod architecture;
mod governance;
mod modeling;
mod operations;
mod optimize;
mod pipeline;
mod protocol;
mod quality;
mod scoring;

use super::tool::{ToolEntry, entry};

/// All tools dana has, in no particular order (listing sorts by name).
pub fn all() -> Vec<ToolEntry> {
    vec![
        entry::<protocol::StartProject>(),
        entry::<protocol::ProjectStatusTool>(),
        entry::<protocol::RequestGateReview>(),
        entry::<protocol::RenderPhaseDocument>(),
        entry::<scoring::ScoreInfrastructure>(),
        entry::<modeling::DesignDimensionalModel>(),
        entry::<modeling::GenerateDdl>(),
        entry::<modeling::GenerateScdMerge>(),
        entry::<quality::ListDatasources>(),
        entry::<quality::ProfileDatasource>(),
        entry::<quality::GenerateQualityChecks>(),
        entry::<quality::RunQualityChecks>(),
        entry::<architecture::AssessArchitecture>(),
        entry::<pipeline::DesignPipeline>(),
        entry::<pipeline::PlanBackfill>(),
        entry::<pipeline::PlanTests>(),
        entry::<optimize::ReviewSql>(),
        entry::<optimize::ReviewCosts>(),
        entry::<operations::GenerateMonitoring>(),
        entry::<operations::GenerateRunbook>(),
        entry::<operations::TriageFailure>(),
        entry::<governance::GenerateDataContract>(),
        entry::<governance::DiffSchemas>(),
        entry::<governance::ClassifyData>(),
        entry::<governance::GenerateCatalogEntry>(),
    ]
}
