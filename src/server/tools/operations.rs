//! Toolset `govern` (operations): `generate_monitoring`, `generate_runbook`, `triage_failure`.

use crate::domain::monitoring::{self, GenerateMonitoringParams, Monitoring};
use crate::domain::operations::{
    self, GenerateRunbookParams, Runbook, Triage, TriageFailureParams,
};
use crate::server::tool::{DanaTool, Hints, ToolCtx, ToolError};

/// `generate_monitoring`.
pub struct GenerateMonitoring;

impl DanaTool for GenerateMonitoring {
    const NAME: &'static str = "generate_monitoring";
    const TOOLSET: &'static str = "govern";
    const TITLE: &'static str = "Generate pipeline monitoring";
    const DESCRIPTION: &'static str = "Pipeline monitoring: metrics with tier severity (lag for streams), P0-P3 routing by channel kind, run-log JSON Schema, freshness and volume SQL.";
    const HINTS: Hints = Hints::GENERATOR;
    type Params = GenerateMonitoringParams;
    type Output = Monitoring;
    const TEMPLATE: &'static str = "operations/monitoring.md.j2";

    async fn call(ctx: ToolCtx, params: Self::Params) -> Result<Self::Output, ToolError> {
        Ok(monitoring::generate(
            &ctx.app.playbooks.operations,
            &params,
        )?)
    }
}

/// `generate_runbook`.
pub struct GenerateRunbook;

impl DanaTool for GenerateRunbook {
    const NAME: &'static str = "generate_runbook";
    const TOOLSET: &'static str = "govern";
    const TITLE: &'static str = "Generate a runbook";
    const DESCRIPTION: &'static str = "Runbook in Markdown: failure_triage, schema_change, disaster_recovery (RPO/RTO) or backfill; tailored to a pipeline when given.";
    const HINTS: Hints = Hints::GENERATOR;
    type Params = GenerateRunbookParams;
    type Output = Runbook;
    const TEMPLATE: &'static str = "runbooks/runbook.md.j2";

    async fn call(ctx: ToolCtx, params: Self::Params) -> Result<Self::Output, ToolError> {
        Ok(operations::runbook(
            &ctx.app.playbooks,
            &ctx.app.templates,
            &params,
        )?)
    }
}

/// `triage_failure`.
pub struct TriageFailure;

impl DanaTool for TriageFailure {
    const NAME: &'static str = "triage_failure";
    const TOOLSET: &'static str = "govern";
    const TITLE: &'static str = "Triage a pipeline failure";
    const DESCRIPTION: &'static str = "Classify an error message or log by the codes, signals and phrases engines print into the triage tree: ranked branches with evidence, diagnosis, impact and fix steps; severity and safe re-run for a given pipeline.";
    const HINTS: Hints = Hints::GENERATOR;
    type Params = TriageFailureParams;
    type Output = Triage;
    const TEMPLATE: &'static str = "operations/triage.md.j2";

    async fn call(ctx: ToolCtx, params: Self::Params) -> Result<Self::Output, ToolError> {
        Ok(operations::triage(&ctx.app.playbooks.operations, &params)?)
    }
}
