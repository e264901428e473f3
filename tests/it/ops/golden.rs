//! Golden files: one realistic call per tool; the structured result and its Markdown
//! rendering are snapshotted (tests/it/snapshots/ops_*.snap) and reviewed by eye.

use dana::server::DanaServer;
use serde_json::{Value, json};

use crate::common::Harness;

async fn golden(tool: &str, args: Value) {
    let h = Harness::new().await;
    let structured = h.ok(tool, args.clone()).await;
    let server = DanaServer::new(h.app.clone(), None).expect("server");
    let outcome = server
        .call_detached(tool, args)
        .await
        .expect("detached call");
    assert_eq!(outcome.structured, structured, "MCP and CLI paths agree");
    let rendered = outcome
        .rendered
        .unwrap_or_else(|| panic!("{tool} renders Markdown"));
    insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false}, {
        insta::assert_yaml_snapshot!(format!("ops_{tool}"), structured);
        insta::assert_snapshot!(format!("ops_{tool}_md"), rendered);
    });
}

#[tokio::test]
async fn golden_assess_architecture() {
    golden(
        "assess_architecture",
        json!({
            "business_context": "Subscription analytics and fraud scoring for a European e-commerce marketplace",
            "data_consumers": [
                {"team": "finance", "use_case": "reporting", "latency": "batch", "query_pattern": "dashboard"},
                {"team": "growth", "use_case": "analytics", "latency": "batch", "query_pattern": "ad_hoc"},
                {"team": "risk", "use_case": "operational", "latency": "real_time", "query_pattern": "api"}
            ],
            "sources": [
                {"name": "orders_postgres", "kind": "database"},
                {"name": "stripe", "kind": "api"},
                {"name": "clickstream", "kind": "stream", "replayable": true}
            ],
            "storage": ["postgresql", "s3"],
            "pain_points": ["nightly full reload of orders takes 5 hours", "no alert when the Stripe sync fails"],
            "volume": {"current_gb_per_day": 40, "growth_rate_percent": 60, "retention_months": 36},
            "constraints": {"budget_monthly_usd": 6000, "team_size": 3, "skill_level": "mid", "compliance": ["GDPR", "PCI"], "cloud_provider": "aws"},
            "considering": ["spark", "airflow", "kafka"]
        }),
    )
    .await;
}

#[tokio::test]
async fn golden_design_pipeline() {
    golden(
        "design_pipeline",
        json!({
            "name": "customers_sync",
            "owner": "data-platform",
            "schedule": "0 * * * *",
            "sla_minutes": 20,
            "tier": 1,
            "source": {"system": "app_postgres", "kind": "database", "object": "public.customers", "rows": 2000000, "updated_at_column": "updated_at", "supports_cdc": false},
            "target": {"system": "snowflake", "table": "dim_customer", "data_kind": "dimension", "merge_keys": ["customer_id"], "clustering_keys": ["country_code"], "track_deletes": false},
            "transform_engine": "dbt",
            "alert_channels": ["#data-alerts", "pagerduty:data-oncall"]
        }),
    )
    .await;
}

#[tokio::test]
async fn golden_plan_backfill() {
    golden(
        "plan_backfill",
        json!({
            "table": "fct_orders", "schema": "analytics", "dialect": "snowflake",
            "date_column": "order_date", "start": "2024-03-01", "end": "2024-03-14", "grain": "day",
            "key_columns": ["order_id"], "metric_columns": ["order_amount"],
            "downstream": ["mrt_sales_daily", "Executive revenue dashboard"]
        }),
    )
    .await;
}

#[tokio::test]
async fn golden_plan_tests() {
    golden(
        "plan_tests",
        json!({"pipeline": {
            "name": "events_ingest", "table": "fct_events", "source": "kafka topic app.events", "source_kind": "stream",
            "load_strategy": "partition_swap", "engine": "spark", "merge_keys": ["event_id"], "partition_key": "event_date",
            "tier": 1, "sla_minutes": 15
        }}),
    )
    .await;
}

#[tokio::test]
async fn golden_review_sql() {
    golden(
        "review_sql",
        json!({
            "dialect": "postgres",
            "partition_keys": {"fct_orders": "order_date"},
            "sql": "SELECT DISTINCT c.*,\n  (SELECT SUM(f.amount) FROM fct_orders f WHERE f.customer_id = c.customer_id) AS lifetime_value\nFROM dim_customer c\nJOIN fct_orders o ON o.customer_id = c.customer_id\nWHERE LOWER(c.email) LIKE '%@example.com'\n  AND c.customer_id NOT IN (SELECT customer_id FROM churned_customers)\nORDER BY lifetime_value DESC"
        }),
    )
    .await;
}

#[tokio::test]
async fn golden_review_costs() {
    golden(
        "review_costs",
        json!({
            "pipelines": [
                {"name": "clickstream_ingest", "compute_usd": 5200, "storage_usd": 1800, "egress_usd": 650, "rows_processed": 2.4e9,
                 "previous_cost_per_row": 2.9e-6, "business_value": "product analytics and experiment readouts", "largest_full_scan_gb": 3100,
                 "compressed": false, "cross_region": true},
                {"name": "orders_sync", "compute_usd": 900, "storage_usd": 120, "rows_processed": 4.0e7, "previous_cost_per_row": 2.6e-5,
                 "business_value": "revenue reporting", "compressed": true},
                {"name": "marketing_export", "compute_usd": 410, "storage_usd": 35}
            ],
            "tables": [{"name": "tmp_orders_backfill_2023", "days_since_last_query": 212, "storage_usd": 260}],
            "environments": [{"name": "staging", "always_on": true, "monthly_usd": 1400}],
            "budget_monthly_usd": 10000
        }),
    )
    .await;
}

#[tokio::test]
async fn golden_generate_monitoring() {
    golden(
        "generate_monitoring",
        json!({
            "pipeline": {"name": "payments_sync", "table": "fct_payments", "source_kind": "database", "tier": 1, "sla_minutes": 30, "owner": "payments-data",
                         "alert_channels": ["pagerduty:payments", "#payments-data", "jira:PAY"], "revenue_or_compliance": true},
            "dialect": "postgres", "schema": "analytics", "timestamp_column": "loaded_at", "freshness_hours": 2
        }),
    )
    .await;
}

#[tokio::test]
async fn golden_generate_runbook() {
    golden(
        "generate_runbook",
        json!({
            "kind": "failure_triage",
            "pipeline": {"name": "orders_sync", "table": "analytics.fct_orders", "source": "app_postgres", "load_strategy": "merge",
                         "tier": 1, "sla_minutes": 20, "owner": "data-platform", "alert_channels": ["#data-alerts"]}
        }),
    )
    .await;
}

#[tokio::test]
async fn golden_triage_failure() {
    golden(
        "triage_failure",
        json!({
            "error": "[2026-03-17 02:14:09] task load_fct_orders failed: psycopg2.errors.UniqueViolation: duplicate key value violates unique constraint \"fct_orders_pkey\"\nDETAIL: Key (order_id)=(88412) already exists.",
            "pipeline": {"name": "orders_sync", "table": "analytics.fct_orders", "load_strategy": "append", "tier": 2}
        }),
    )
    .await;
}

#[tokio::test]
async fn every_runbook_kind_renders_with_and_without_a_pipeline() {
    let h = Harness::new().await;
    for kind in [
        "failure_triage",
        "schema_change",
        "disaster_recovery",
        "backfill",
    ] {
        let bare = h.ok("generate_runbook", json!({"kind": kind})).await;
        let md = bare["markdown"].as_str().expect("markdown");
        assert!(md.starts_with("# Runbook"), "{kind}: {md}");
        let tailored = h
            .ok("generate_runbook", json!({"kind": kind, "pipeline": {"name": "orders_sync", "table": "fct_orders", "load_strategy": "partition_swap", "tier": 1}}))
            .await;
        let md = tailored["markdown"].as_str().expect("markdown");
        assert!(
            md.contains("orders_sync") && md.contains("fct_orders"),
            "{kind}: {md}"
        );
        assert_eq!(
            tailored["file"],
            json!(format!("runbook_{kind}_orders_sync.md"))
        );
    }
    let dr = h
        .ok("generate_runbook", json!({"kind": "disaster_recovery"}))
        .await;
    assert!(
        dr["markdown"]
            .as_str()
            .is_some_and(|m| m.contains("| RPO | RTO |") && m.contains("DR-CREDENTIALS"))
    );
}
