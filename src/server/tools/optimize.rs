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
    const DESCRIPTION: &'static str = "Lint SQL for optimization anti-patterns (rule id, line:column, fix). With `datasource`, also EXPLAIN one SELECT (plan only, never ANALYZE) read-only and flag large sequential scans.";
    const HINTS: Hints = Hints {
        read_only: false,
        destructive: false,
        idempotent: false,
        open_world: true,
    };
    type Params = ReviewSqlParams;
    type Output = SqlReview;
    const TEMPLATE: &'static str = "optimize/sql_review.md.j2";

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
}

/// `review_costs`.
pub struct ReviewCosts;

impl DanaTool for ReviewCosts {
    const NAME: &'static str = "review_costs";
    const TOOLSET: &'static str = "optimize";
    const TITLE: &'static str = "Review data costs";
    const DESCRIPTION: &'static str = "Cost per pipeline and per row, red flags, savings per strategy capped by each subject's cost, ranked by USD then effort; unknown value or capacity become questions.";
    const HINTS: Hints = Hints::GENERATOR;
    type Params = ReviewCostsParams;
    type Output = CostReview;
    const TEMPLATE: &'static str = "optimize/costs.md.j2";

    async fn call(ctx: ToolCtx, params: Self::Params) -> Result<Self::Output, ToolError> {
        Ok(costs::review(&ctx.app.playbooks.optimization, &params)?)
    }
}
