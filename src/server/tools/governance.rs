//! Governance tools: data contracts and schema diffs (toolset `quality`), PII
//! classification and catalog entries (toolset `govern`).

use crate::domain::governance::{
    self, CatalogEntry, Classification, ClassifyDataParams, DataContract, DiffSchemasParams,
    GenerateCatalogEntryParams, GenerateDataContractParams, SchemaDiff,
};
use crate::server::tool::{DanaTool, Hints, ToolCtx, ToolError};

/// Generators that may read a live datasource (and record an artifact with `project`).
const GOVERN: Hints = Hints {
    read_only: false,
    destructive: false,
    idempotent: false,
    open_world: true,
};

/// `generate_data_contract`.
pub struct GenerateDataContract;

impl DanaTool for GenerateDataContract {
    const NAME: &'static str = "generate_data_contract";
    const TOOLSET: &'static str = "quality";
    const TITLE: &'static str = "Generate an ODCS data contract";
    const DESCRIPTION: &'static str = "ODCS v3 data contract (YAML) for one table: types, nullability, keys, descriptions, definitions, PII, classification, quality rules, SLA, owner, consumers, version, change policy. Missing facts come back as questions.";
    const HINTS: Hints = GOVERN;
    type Params = GenerateDataContractParams;
    type Output = DataContract;
    const TEMPLATE: &'static str = "governance/contract.md.j2";

    async fn call(ctx: ToolCtx, params: Self::Params) -> Result<Self::Output, ToolError> {
        Ok(governance::generate_contract(&ctx.app, &params).await?)
    }
}

/// `diff_schemas`.
pub struct DiffSchemas;

impl DanaTool for DiffSchemas {
    const NAME: &'static str = "diff_schemas";
    const TOOLSET: &'static str = "quality";
    const TITLE: &'static str = "Diff schemas (breaking-change check)";
    const DESCRIPTION: &'static str = "Compare an old and a new schema: every change classified breaking / needs_review / non_breaking with evidence (renames are guessed and say so), a verdict, and the action the policy requires. Same as `dana diff OLD NEW` in CI.";
    const HINTS: Hints = GOVERN;
    type Params = DiffSchemasParams;
    type Output = SchemaDiff;
    const TEMPLATE: &'static str = "governance/diff.md.j2";

    async fn call(ctx: ToolCtx, params: Self::Params) -> Result<Self::Output, ToolError> {
        Ok(governance::diff_schemas(&ctx.app, &params).await?)
    }
}

/// `classify_data`.
pub struct ClassifyData;

impl DanaTool for ClassifyData {
    const NAME: &'static str = "classify_data";
    const TOOLSET: &'static str = "govern";
    const TITLE: &'static str = "Classify data (PII)";
    const DESCRIPTION: &'static str = "Find PII in a table from column names and sampled values: masked evidence and confidence per column, the level and its controls, right-to-delete propagation, optional masking SQL (view, grants, policies).";
    const HINTS: Hints = GOVERN;
    type Params = ClassifyDataParams;
    type Output = Classification;
    const TEMPLATE: &'static str = "governance/classification.md.j2";

    async fn call(ctx: ToolCtx, params: Self::Params) -> Result<Self::Output, ToolError> {
        Ok(governance::classify_data(&ctx.app, &params).await?)
    }
}

/// `generate_catalog_entry`.
pub struct GenerateCatalogEntry;

impl DanaTool for GenerateCatalogEntry {
    const NAME: &'static str = "generate_catalog_entry";
    const TOOLSET: &'static str = "govern";
    const TITLE: &'static str = "Generate a catalog entry";
    const DESCRIPTION: &'static str = "Catalog entry for a table (owner, steward, domain, tier, lineage, SLA, quality, classification, PII, usage) from the schema, contract, classification and given facts; unknowns come back as questions, never invented.";
    const HINTS: Hints = GOVERN;
    type Params = GenerateCatalogEntryParams;
    type Output = CatalogEntry;
    const TEMPLATE: &'static str = "governance/catalog_entry.md.j2";

    async fn call(ctx: ToolCtx, params: Self::Params) -> Result<Self::Output, ToolError> {
        Ok(governance::generate_catalog_entry(&ctx.app, &params).await?)
    }
}
