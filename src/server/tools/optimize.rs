//! Toolset `optimize`: `review_sql`, `review_costs`.

use crate::domain::costs::{self, CostReview, ReviewCostsParams};
use crate::domain::sql_review::{self, ReviewSqlParams, SqlReview};
use crate::server::tool::{DanaTool, Hints, ToolCtx, ToolError};

/// `review_sql`.
pub struct ReviewSql;

impl DanaTool for ReviewSql {
    const NAME: &'static str = "review_sql";
    const TOOLSET: &'static str = "optimize";
    const TITLE: &'static str = "Review SQL";
    const DESCRIPTION: &'static str = "Lint SQL for optimization anti-patterns (SELECT *, NOT IN over a nullable subquery, ORDER BY without LIMIT, correlated subqueries, DISTINCT over joins, functions on filtered columns, repeated scans, missing partition filters, cartesian joins), each with rule id, line:column and fix. With `datasource`, also EXPLAIN a single SELECT (plan only, never ANALYZE) on the read-only connection and flag large sequential scans.";
    const HINTS: Hints = Hints {
        read_only: false,
        destructive: false,
        idempotent: false,
        open_world: true,
    };
    type Params = ReviewSqlParams;
    type Output = SqlReview;

    async fn call(ctx: ToolCtx, params: Self::Params) -> Result<Self::Output, ToolError> {
        let book = &ctx.app.playbooks.optimization;
        let mut review = sql_review::review(book, &params)?;
        if let Some(ds) = &params.datasource {
            let plan = sql_review::explain(&ctx.app, book, ds, &params.sql).await?;
            review.findings.extend(plan.findings.iter().cloned());
            sql_review::sort_findings(&mut review.findings);
            review.plan = Some(plan);
        }
        Ok(review)
    }

    fn render(ctx: &ToolCtx, output: &Self::Output) -> Option<String> {
        ctx.app
            .templates
            .render("optimize/sql_review.md.j2", output)
            .ok()
    }
}

/// `review_costs`.
pub struct ReviewCosts;

impl DanaTool for ReviewCosts {
    const NAME: &'static str = "review_costs";
    const TOOLSET: &'static str = "optimize";
    const TITLE: &'static str = "Review data costs";
    const DESCRIPTION: &'static str = "Cost per pipeline and per row from monthly compute/storage/egress figures, the red flags (one pipeline over 30% of spend, rising cost per row, tables unqueried for 30 days, dev running 24/7, full scans over 1 TB, uncompressed storage, cross-region transfer, no stated value) and savings opportunities ranked by estimated USD saved, then effort.";
    const HINTS: Hints = Hints::GENERATOR;
    type Params = ReviewCostsParams;
    type Output = CostReview;

    async fn call(ctx: ToolCtx, params: Self::Params) -> Result<Self::Output, ToolError> {
        Ok(costs::review(&ctx.app.playbooks.optimization, &params)?)
    }

    fn render(ctx: &ToolCtx, output: &Self::Output) -> Option<String> {
        ctx.app
            .templates
            .render("optimize/costs.md.j2", output)
            .ok()
    }
}
