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
    const DESCRIPTION: &'static str = "Monitoring for one pipeline: health metrics with formulas, targets, alert thresholds and the P0-P3 severity for its tier, severity routing with response times, the structured run-log record as a JSON Schema, and freshness and volume monitor SQL for the dialect.";
    const HINTS: Hints = Hints::GENERATOR;
    type Params = GenerateMonitoringParams;
    type Output = Monitoring;

    async fn call(ctx: ToolCtx, params: Self::Params) -> Result<Self::Output, ToolError> {
        Ok(monitoring::generate(
            &ctx.app.playbooks.operations,
            &params,
        )?)
    }

    fn render(ctx: &ToolCtx, output: &Self::Output) -> Option<String> {
        ctx.app
            .templates
            .render("operations/monitoring.md.j2", output)
            .ok()
    }
}

/// `generate_runbook`.
pub struct GenerateRunbook;

impl DanaTool for GenerateRunbook {
    const NAME: &'static str = "generate_runbook";
    const TOOLSET: &'static str = "govern";
    const TITLE: &'static str = "Generate a runbook";
    const DESCRIPTION: &'static str = "An operational runbook in Markdown: failure_triage, schema_change, disaster_recovery (RPO/RTO table) or backfill, tailored to a pipeline (owner, tier severity, alert channels, safe re-run for its load strategy) when one is given.";
    const HINTS: Hints = Hints::GENERATOR;
    type Params = GenerateRunbookParams;
    type Output = Runbook;

    async fn call(ctx: ToolCtx, params: Self::Params) -> Result<Self::Output, ToolError> {
        Ok(operations::runbook(
            &ctx.app.playbooks,
            &ctx.app.templates,
            &params,
        )?)
    }

    fn render(_ctx: &ToolCtx, output: &Self::Output) -> Option<String> {
        Some(output.markdown.clone())
    }
}

/// `triage_failure`.
pub struct TriageFailure;

impl DanaTool for TriageFailure {
    const NAME: &'static str = "triage_failure";
    const TOOLSET: &'static str = "govern";
    const TITLE: &'static str = "Triage a pipeline failure";
    const DESCRIPTION: &'static str = "Classify a pipeline error message (connection timeout, permission denied, schema mismatch, duplicate key, quality check failed, out of memory, SLA/statement timeout) into its branch of the triage tree and return the diagnosis, impact and fix steps; with the pipeline, also its alert severity and how to re-run it safely.";
    const HINTS: Hints = Hints::GENERATOR;
    type Params = TriageFailureParams;
    type Output = Triage;

    async fn call(ctx: ToolCtx, params: Self::Params) -> Result<Self::Output, ToolError> {
        Ok(operations::triage(&ctx.app.playbooks.operations, &params)?)
    }

    fn render(ctx: &ToolCtx, output: &Self::Output) -> Option<String> {
        ctx.app
            .templates
            .render("operations/triage.md.j2", output)
            .ok()
    }
}
