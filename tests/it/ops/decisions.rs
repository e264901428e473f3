//! Decision tables: for every matrix and tree, inputs that reach every branch, with the
//! expected pick and rule id. Coverage assertions make a new playbook row without a case
//! fail here.

use std::collections::BTreeSet;

use dana::domain::architecture::{self, AssessArchitectureParams, pick_layer};
use dana::domain::costs::{self, ReviewCostsParams};
use dana::domain::operations::{self, PipelineRef, PlanTestsParams};
use dana::domain::pipeline::{self, DesignPipelineParams};
use dana::playbook::conditions::Facts;
use serde_json::{Value, json};

use super::books;

fn brief(v: Value) -> AssessArchitectureParams {
    serde_json::from_value(v).expect("brief")
}

fn facts(v: Value) -> Facts {
    serde_json::from_value(v).expect("facts")
}

fn teams(n: usize) -> Value {
    (0..n)
        .map(|i| json!({"team": format!("team{i}"), "use_case": "analytics", "latency": "batch"}))
        .collect()
}

#[test]
fn pattern_matrix_reaches_every_row() {
    let book = books().architecture;
    let batch = json!({"team": "finance", "use_case": "reporting", "latency": "batch", "query_pattern": "dashboard"});
    let cases: Vec<(&str, Value, Vec<&str>)> = vec![
        (
            "all batch",
            json!({"data_consumers": [batch]}),
            vec!["ARCH-PAT-BATCH"],
        ),
        (
            "near real time",
            json!({"data_consumers": [batch, {"team": "ops", "use_case": "operational", "latency": "near_real_time"}]}),
            vec!["ARCH-PAT-MICRO-BATCH"],
        ),
        (
            "real time + batch, no replayable stream",
            json!({"data_consumers": [batch, {"team": "risk", "use_case": "operational", "latency": "real_time"}],
                   "sources": [{"name": "payments", "kind": "database"}]}),
            vec!["ARCH-PAT-STREAMING", "ARCH-PAT-LAMBDA"],
        ),
        (
            "real time only, replayable stream",
            json!({"data_consumers": [{"team": "risk", "use_case": "operational", "latency": "real_time"}],
                   "sources": [{"name": "events", "kind": "stream", "replayable": true}]}),
            vec!["ARCH-PAT-STREAMING", "ARCH-PAT-KAPPA"],
        ),
        (
            "lake queried with SQL",
            json!({"data_consumers": [batch], "storage": ["s3"]}),
            vec!["ARCH-PAT-BATCH", "ARCH-PAT-LAKEHOUSE"],
        ),
        (
            "six domain teams, large org",
            json!({"data_consumers": teams(6),
                   "constraints": {"team_size": 25}}),
            vec!["ARCH-PAT-BATCH", "ARCH-PAT-DATA-MESH"],
        ),
        (
            "five teams is not a mesh",
            json!({"data_consumers": teams(5),
                   "constraints": {"team_size": 25}}),
            vec!["ARCH-PAT-BATCH"],
        ),
        (
            "ML is the main consumer",
            json!({"data_consumers": [batch, {"team": "ds", "use_case": "ml", "latency": "batch"}, {"team": "recs", "use_case": "ml", "latency": "batch"}]}),
            vec!["ARCH-PAT-BATCH", "ARCH-PAT-FEATURE-STORE"],
        ),
        ("nothing known: default", json!({}), vec!["ARCH-PAT-BATCH"]),
    ];
    let mut reached = BTreeSet::new();
    for (name, input, expected) in cases {
        let out = architecture::assess(&book, &brief(input)).expect(name);
        let got: Vec<&str> = out.patterns.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(got, expected, "{name}");
        assert_eq!(
            out.patterns[0].default,
            name.starts_with("nothing"),
            "{name}"
        );
        reached.extend(got.iter().map(|s| s.to_string()));
    }
    let all: BTreeSet<String> = book.patterns.iter().map(|p| p.id.clone()).collect();
    assert_eq!(reached, all, "every pattern row needs a case");
}

#[test]
fn technology_picks_reach_every_candidate_and_avoid_rule() {
    let book = books().architecture;
    let cat = |id: &str| {
        book.categories
            .iter()
            .find(|c| c.id == id)
            .expect("category")
            .candidates
            .clone()
    };
    // (layer, facts, expected pick, expected passed-over avoid ids, expected warnings on the pick)
    let cases: Vec<(&str, Value, &str, Vec<&str>, Vec<&str>)> = vec![
        (
            "ingestion",
            json!({"path": "batch", "only_file_sources": true, "team_size": 2}),
            "ING-BULK-LOAD",
            vec![],
            vec![],
        ),
        (
            "ingestion",
            json!({"path": "batch", "only_file_sources": false, "team_size": 2, "budget_monthly_usd": 3000, "daily_gb": 2}),
            "ING-FIVETRAN",
            vec![],
            vec![],
        ),
        (
            "ingestion",
            json!({"path": "batch", "team_size": 4, "budget_monthly_usd": 3000, "daily_gb": 200}),
            "ING-AIRBYTE",
            vec!["AVOID-FIVETRAN-VOLUME"],
            vec![],
        ),
        (
            "ingestion",
            json!({"path": "batch", "team_size": 3, "budget_monthly_usd": 5000, "daily_gb": 5, "cloud": "on_prem"}),
            "ING-AIRBYTE",
            vec!["AVOID-FIVETRAN-ONPREM"],
            vec![],
        ),
        (
            "ingestion",
            json!({"path": "batch", "team_size": 1, "budget_monthly_usd": 300, "source_count": 2}),
            "ING-CUSTOM",
            vec![],
            vec![],
        ),
        (
            "ingestion",
            json!({"path": "batch", "team_size": 1, "budget_monthly_usd": 300, "source_count": 6}),
            "ING-CUSTOM",
            vec![],
            vec!["AVOID-CUSTOM-MANY"],
        ),
        (
            "ingestion",
            json!({"path": "stream", "has_database_source": true, "database_cdc": true, "cloud": "aws", "team_size": 4}),
            "ING-DEBEZIUM",
            vec![],
            vec![],
        ),
        (
            "ingestion",
            json!({"path": "stream", "has_database_source": true, "database_cdc": false, "cloud": "aws", "team_size": 4}),
            "ING-KINESIS",
            vec![],
            vec![],
        ),
        (
            "ingestion",
            json!({"path": "stream", "cloud": "gcp", "team_size": 9}),
            "ING-PUBSUB",
            vec![],
            vec![],
        ),
        (
            "ingestion",
            json!({"path": "stream", "cloud": "azure", "team_size": 9}),
            "ING-EVENT-HUBS",
            vec![],
            vec![],
        ),
        (
            "ingestion",
            json!({"path": "stream", "cloud": "on_prem", "team_size": 6}),
            "ING-KAFKA",
            vec![],
            vec![],
        ),
        (
            "ingestion",
            json!({"path": "stream", "cloud": "on_prem", "team_size": 2}),
            "ING-KAFKA",
            vec![],
            vec!["AVOID-KAFKA-SELF-MANAGED-SMALL"],
        ),
        (
            "orchestration",
            json!({"source_count": 2, "team_size": 1}),
            "ORCH-CRON",
            vec![],
            vec![],
        ),
        (
            "orchestration",
            json!({"skill_level": "senior", "source_count": 3, "team_size": 6}),
            "ORCH-DAGSTER",
            vec![],
            vec![],
        ),
        (
            "orchestration",
            json!({"skill_level": "mid", "cloud": "aws", "team_size": 4, "source_count": 5, "fastest_latency": "real_time"}),
            "ORCH-PREFECT",
            vec![],
            vec![],
        ),
        (
            "orchestration",
            json!({"skill_level": "mid", "cloud": "on_prem", "team_size": 8, "source_count": 10}),
            "ORCH-AIRFLOW",
            vec![],
            vec![],
        ),
        (
            "orchestration",
            json!({"source_count": 2, "team_size": 5, "skill_level": "junior", "cloud": "on_prem", "fastest_latency": "real_time"}),
            "ORCH-AIRFLOW",
            vec![],
            vec!["AVOID-AIRFLOW-SIMPLE"],
        ),
        (
            "processing",
            json!({"path": "stream", "has_real_time": true, "team_size": 5, "daily_gb": 50}),
            "PROC-FLINK",
            vec![],
            vec![],
        ),
        (
            "processing",
            json!({"path": "stream", "has_real_time": true, "team_size": 2, "cloud": "aws", "daily_gb": 200}),
            "PROC-MANAGED-STREAM",
            vec![],
            vec![],
        ),
        (
            "processing",
            json!({"path": "stream", "has_real_time": true, "team_size": 2, "cloud": "on_prem", "daily_gb": 200}),
            "PROC-FLINK",
            vec![],
            vec!["AVOID-FLINK-SMALL-TEAM"],
        ),
        (
            // Lambda: the stream path's Spark rule does not touch the batch path.
            "processing",
            json!({"path": "batch", "has_real_time": true, "has_batch": true, "team_size": 6, "daily_gb": 200}),
            "PROC-SPARK",
            vec![],
            vec![],
        ),
        (
            "processing",
            json!({"path": "batch", "has_real_time": false, "daily_gb": 500}),
            "PROC-SPARK",
            vec![],
            vec![],
        ),
        (
            "processing",
            json!({"path": "batch", "has_real_time": false, "ml_share": 0.6, "daily_gb": 20}),
            "PROC-POLARS",
            vec![],
            vec![],
        ),
        (
            "processing",
            json!({"path": "batch", "has_real_time": false, "budget_monthly_usd": 300, "daily_gb": 5}),
            "PROC-DUCKDB",
            vec![],
            vec![],
        ),
        (
            "processing",
            json!({"path": "batch", "has_real_time": false, "budget_monthly_usd": 5000, "daily_gb": 50, "ml_share": 0.0}),
            "PROC-WAREHOUSE-SQL",
            vec![],
            vec![],
        ),
        (
            "processing",
            json!({"path": "batch", "has_real_time": false, "ml_share": 0.7, "daily_gb": 80}),
            "PROC-WAREHOUSE-SQL",
            vec![],
            vec!["AVOID-SQL-ML"],
        ),
        (
            "processing",
            json!({"path": "batch", "has_real_time": false, "has_near_real_time": false, "daily_gb": 5, "budget_monthly_usd": 5000}),
            "PROC-WAREHOUSE-SQL",
            vec![],
            vec![],
        ),
        (
            "transformation",
            json!({"path": "batch", "ml_share": 0.0, "source_count": 4}),
            "TRANS-DBT",
            vec![],
            vec![],
        ),
        (
            "transformation",
            json!({"path": "batch", "ml_share": 0.6}),
            "TRANS-DATAFRAME",
            vec![],
            vec![],
        ),
        (
            "transformation",
            json!({"path": "batch", "source_count": 1}),
            "TRANS-SQL-SCRIPTS",
            vec![],
            vec![],
        ),
        (
            "transformation",
            json!({"path": "batch", "source_count": 3}),
            "TRANS-SQL-SCRIPTS",
            vec![],
            vec!["AVOID-SQL-SCRIPTS-MANY"],
        ),
        (
            "transformation",
            json!({"path": "stream", "ml_share": 0.0}),
            "TRANS-STREAM-SQL",
            vec![],
            vec![],
        ),
        (
            "quality",
            json!({"ml_share": 0.6, "team_size": 4}),
            "QUAL-GREAT-EXPECTATIONS",
            vec![],
            vec![],
        ),
        (
            "quality",
            json!({"ml_share": 0.6, "team_size": 2, "skill_level": "junior", "source_count": 5}),
            "QUAL-SODA",
            vec!["AVOID-GX-JUNIOR-SMALL"],
            vec![],
        ),
        (
            "quality",
            json!({"ml_share": 0.0, "source_count": 2}),
            "QUAL-SQL-CHECKS",
            vec![],
            vec![],
        ),
        (
            "catalog",
            json!({"domain_teams": 5, "team_size": 6, "cloud": "aws"}),
            "CAT-DATAHUB",
            vec![],
            vec![],
        ),
        (
            "catalog",
            json!({"domain_teams": 5, "team_size": 2, "cloud": "aws"}),
            "CAT-GLUE",
            vec!["AVOID-DATAHUB-SMALL-TEAM"],
            vec![],
        ),
        (
            "catalog",
            json!({"domain_teams": 1, "cloud": "gcp"}),
            "CAT-DATAPLEX",
            vec![],
            vec![],
        ),
        (
            "catalog",
            json!({"domain_teams": 1, "cloud": "azure"}),
            "CAT-PURVIEW",
            vec![],
            vec![],
        ),
        (
            "catalog",
            json!({"domain_teams": 1, "cloud": "on_prem"}),
            "CAT-DOCS",
            vec![],
            vec![],
        ),
        (
            "catalog",
            json!({"domain_teams": 4, "team_size": 2, "cloud": "on_prem", "has_compliance": true}),
            "CAT-DATAHUB",
            vec!["AVOID-CATALOG-REPO-COMPLIANCE"],
            vec!["AVOID-DATAHUB-SMALL-TEAM"],
        ),
        (
            "serving",
            json!({"path": "batch", "ml_share": 0.6}),
            "SERVE-FEATURE-STORE",
            vec![],
            vec![],
        ),
        (
            "serving",
            json!({"path": "batch", "ml_share": 0.0, "has_reverse_etl": true}),
            "SERVE-REVERSE-ETL",
            vec![],
            vec![],
        ),
        (
            "serving",
            json!({"path": "batch", "ml_share": 0.0, "has_reverse_etl": false}),
            "SERVE-WAREHOUSE-BI",
            vec![],
            vec![],
        ),
        (
            "serving",
            json!({"path": "stream", "ml_share": 0.0, "has_realtime_dashboard": true}),
            "SERVE-REALTIME-OLAP",
            vec![],
            vec![],
        ),
        (
            "serving",
            json!({"path": "stream", "ml_share": 0.0, "has_realtime_dashboard": false}),
            "SERVE-KEY-VALUE",
            vec![],
            vec![],
        ),
        (
            "storage",
            json!({"stored_gb": 200, "has_real_time": false}),
            "STOR-POSTGRES",
            vec![],
            vec![],
        ),
        (
            "storage",
            json!({"ml_share": 0.6, "stored_gb": 5000}),
            "STOR-DATABRICKS",
            vec![],
            vec![],
        ),
        (
            "storage",
            json!({"lake_and_sql": true, "stored_gb": 5000, "ml_share": 0.0}),
            "STOR-TABLE-FORMAT",
            vec![],
            vec![],
        ),
        (
            "storage",
            json!({"cloud": "gcp", "stored_gb": 5000}),
            "STOR-BIGQUERY",
            vec![],
            vec![],
        ),
        (
            "storage",
            json!({"cloud": "aws", "budget_monthly_usd": 3000, "stored_gb": 5000}),
            "STOR-REDSHIFT",
            vec![],
            vec![],
        ),
        (
            "storage",
            json!({"cloud": "azure", "budget_monthly_usd": 8000, "stored_gb": 5000}),
            "STOR-SNOWFLAKE",
            vec![],
            vec![],
        ),
        (
            "storage",
            json!({"cloud": "azure", "budget_monthly_usd": 500, "stored_gb": 5000}),
            "STOR-SNOWFLAKE",
            vec![],
            vec!["AVOID-SNOWFLAKE-BUDGET"],
        ),
        (
            "storage",
            json!({"cloud": "azure", "budget_monthly_usd": 8000, "stored_gb": 5000, "has_real_time": true}),
            "STOR-SNOWFLAKE",
            vec![],
            vec!["AVOID-SNOWFLAKE-OLTP"],
        ),
        // Lakehouse zones: the raw zone keeps files as landed; curated tables are built in SQL.
        (
            "storage",
            json!({"zone": "raw", "lake_and_sql": true, "stored_gb": 5000}),
            "STOR-OBJECT",
            vec![],
            vec![],
        ),
        (
            "processing",
            json!({"path": "batch", "zone": "curated", "daily_gb": 300, "ml_share": 0.0, "budget_monthly_usd": 30000}),
            "PROC-WAREHOUSE-SQL",
            vec!["AVOID-SPARK-CURATED"],
            vec![],
        ),
    ];
    let mut picked = BTreeSet::new();
    let mut avoided = BTreeSet::new();
    for (i, (layer, f, expected, passed, warned)) in cases.into_iter().enumerate() {
        let pick = pick_layer(layer, &cat(layer), &facts(f))
            .unwrap_or_else(|| panic!("case {i}: no pick"));
        assert_eq!(pick.id, expected, "case {i}: {}", pick.reason);
        let got_passed: Vec<&str> = pick
            .passed_over
            .iter()
            .flat_map(|p| p.avoid.iter().map(|a| a.id.as_str()))
            .collect();
        assert_eq!(got_passed, passed, "case {i}");
        let got_warn: Vec<&str> = pick.warnings.iter().map(|w| w.id.as_str()).collect();
        assert_eq!(got_warn, warned, "case {i}");
        picked.insert(pick.id.clone());
        avoided.extend(got_passed.iter().chain(&got_warn).map(|s| s.to_string()));
    }
    // Avoid rules of tools named in a brief (including never-picked candidates).
    let named: Vec<(Value, &str)> = vec![
        (
            json!({"sources": [{"name":"a","kind":"database"},{"name":"b","kind":"api"},{"name":"c","kind":"files"}], "considering": ["cron"]}),
            "AVOID-CRON-DEPS",
        ),
        (
            json!({"data_consumers": [{"team":"r","use_case":"operational","latency":"real_time"}], "considering": ["dbt"]}),
            "AVOID-DBT-STREAMING",
        ),
        (
            json!({"data_consumers": [{"team":"ds","use_case":"ml","latency":"batch"}], "considering": ["dbt"]}),
            "AVOID-DBT-NON-SQL",
        ),
        (
            json!({"constraints": {"team_size": 2}, "considering": ["temporal"]}),
            "AVOID-TEMPORAL-SMALL",
        ),
        (
            json!({"constraints": {"skill_level": "junior"}, "considering": ["dagster"]}),
            "AVOID-DAGSTER-JUNIOR",
        ),
        (
            json!({"constraints": {"cloud_provider": "on_prem"}, "considering": ["prefect"]}),
            "AVOID-PREFECT-ONPREM",
        ),
        (
            json!({"data_consumers": [{"team":"f","use_case":"reporting","latency":"batch"}], "considering": ["flink"]}),
            "AVOID-FLINK-BATCH",
        ),
        (
            json!({"volume": {"current_gb_per_day": 2}, "considering": ["spark"]}),
            "AVOID-SPARK-SMALL",
        ),
        (
            json!({"volume": {"current_gb_per_day": 80}, "considering": ["polars"]}),
            "AVOID-POLARS-LARGE",
        ),
        (
            json!({"volume": {"current_gb_per_day": 300}, "considering": ["duckdb"]}),
            "AVOID-DUCKDB-DISTRIBUTED",
        ),
        (
            json!({"data_consumers": [{"team":"r","use_case":"operational","latency":"real_time"}], "considering": ["duckdb"]}),
            "AVOID-DUCKDB-STREAMING",
        ),
        (
            json!({"volume": {"current_gb_per_day": 20}, "considering": ["pandas"]}),
            "AVOID-PANDAS-PRODUCTION",
        ),
        (
            json!({"volume": {"current_gb_per_day": 50, "retention_months": 12}, "storage": ["postgres"]}),
            "AVOID-PG-LARGE",
        ),
        (
            json!({"volume": {"current_gb_per_day": 0.1, "retention_months": 12}, "considering": ["databricks"]}),
            "AVOID-DATABRICKS-SMALL",
        ),
        (
            json!({"data_consumers": [{"team":"f","use_case":"reporting","latency":"batch","query_pattern":"dashboard"}], "storage": ["snowflake"], "considering": ["iceberg"]}),
            "AVOID-TABLE-FORMAT-NO-LAKE",
        ),
        (
            json!({"constraints": {"cloud_provider": "aws"}, "considering": ["bigquery"]}),
            "AVOID-BQ-MULTICLOUD",
        ),
        (
            json!({"constraints": {"cloud_provider": "multi"}, "considering": ["redshift"]}),
            "AVOID-REDSHIFT-MULTICLOUD",
        ),
        (
            json!({"data_consumers": [{"team":"f","use_case":"analytics","latency":"batch","query_pattern":"ad_hoc"}], "storage": ["s3"]}),
            "AVOID-OBJECT-DIRECT-SQL",
        ),
        (
            json!({"data_consumers": [{"team":"r","use_case":"operational","latency":"real_time"}], "considering": ["spark"]}),
            "AVOID-SPARK-REALTIME",
        ),
        (
            json!({"constraints": {"team_size": 1}, "considering": ["airbyte"]}),
            "AVOID-AIRBYTE-SOLO",
        ),
    ];
    for (input, expected) in named {
        let out = architecture::assess(&book, &brief(input.clone())).expect("assess");
        assert!(
            out.warnings.iter().any(|w| w.id == expected),
            "{expected} for {input}: {:?}",
            out.warnings
        );
        avoided.insert(expected.to_string());
    }
    let pickable: BTreeSet<String> = book
        .categories
        .iter()
        .flat_map(|c| &c.candidates)
        .filter(|c| c.pick_when.is_some())
        .map(|c| c.id.clone())
        .collect();
    assert_eq!(picked, pickable, "every pickable candidate needs a case");
    let rules: BTreeSet<String> = book
        .categories
        .iter()
        .flat_map(|c| &c.candidates)
        .flat_map(|c| c.avoid.iter().map(|a| a.id.clone()))
        .collect();
    assert_eq!(avoided, rules, "every avoid rule needs a case");
}

#[test]
fn brief_questions_and_guardrails() {
    let book = books().architecture;
    let empty = architecture::assess(&book, &brief(json!({}))).expect("empty brief");
    // Every field is asked for, except per-consumer latency when there are no consumers yet.
    assert_eq!(empty.questions.len(), book.questions.len() - 1);
    assert!(!empty.questions.iter().any(|q| q.id == "ARCH-Q-LATENCY"));
    let no_latency = architecture::assess(
        &book,
        &brief(json!({"data_consumers": [{"team": "bi", "use_case": "analytics"}]})),
    )
    .expect("brief");
    assert!(
        no_latency
            .questions
            .iter()
            .any(|q| q.id == "ARCH-Q-LATENCY")
    );
    let guard: Vec<&str> = empty.guardrails.iter().map(|g| g.id.as_str()).collect();
    assert_eq!(
        guard,
        [
            "ARCH-GRD-BATCH-FIRST",
            "ARCH-GRD-INCREMENTAL",
            "ARCH-GRD-SQL-FIRST",
            "ARCH-GRD-QUALITY-FIRST"
        ]
    );
    let full = brief(json!({
        "business_context": "Daily revenue reporting",
        "data_consumers": [{"team": "finance", "use_case": "reporting", "latency": "batch", "query_pattern": "dashboard"}],
        "sources": [{"name": "shop", "kind": "database"}],
        "storage": ["postgresql"],
        "volume": {"current_gb_per_day": 1, "growth_rate_percent": 20, "retention_months": 24},
        "constraints": {"budget_monthly_usd": 500, "team_size": 2, "skill_level": "mid", "compliance": ["GDPR"], "cloud_provider": "aws"}
    }));
    let out = architecture::assess(&book, &full).expect("full brief");
    assert!(out.questions.is_empty(), "{:?}", out.questions);
    let guard: Vec<&str> = out.guardrails.iter().map(|g| g.id.as_str()).collect();
    assert!(
        guard.contains(&"ARCH-GRD-START-SIMPLE") && guard.contains(&"ARCH-GRD-COMPLIANCE"),
        "{guard:?}"
    );
    let no_compliance = brief(json!({"constraints": {"compliance": ["none"], "team_size": 10}}));
    let out = architecture::assess(&book, &no_compliance).expect("none");
    assert!(
        !out.guardrails
            .iter()
            .any(|g| g.id == "ARCH-GRD-COMPLIANCE" || g.id == "ARCH-GRD-START-SIMPLE")
    );
    // stored volume: 1 GB/day grown 20% over 24 months ≈ 875 GB
    assert_eq!(
        architecture::facts(&book, &full)["stored_gb"],
        json!(875.52)
    );
    let bad = brief(json!({"volume": {"current_gb_per_day": -1}}));
    let err = architecture::assess(&book, &bad).expect_err("negative");
    assert!(
        err.to_string().contains("volume.current_gb_per_day"),
        "{err}"
    );
}

fn pipeline_params(v: Value) -> DesignPipelineParams {
    let mut base = json!({
        "name": "orders_sync",
        "source": {"system": "shop_pg", "kind": "database", "object": "orders", "supports_cdc": false, "updated_at_column": ""},
        "target": {"system": "snowflake", "table": "fct_orders", "data_kind": "mutable_fact", "merge_keys": ["order_id"], "track_deletes": false},
        "alert_channels": ["#data-alerts"],
        "rerun_tested": true,
        "reconciliation": true
    });
    merge(&mut base, v);
    serde_json::from_value(base).expect("pipeline params")
}

fn merge(base: &mut Value, patch: Value) {
    match (base, patch) {
        (Value::Object(b), Value::Object(p)) => {
            for (k, v) in p {
                match b.get_mut(&k) {
                    Some(slot) if v.is_object() => merge(slot, v),
                    _ => {
                        b.insert(k, v);
                    }
                }
            }
        }
        (b, p) => *b = p,
    }
}

#[test]
fn extraction_tree_reaches_every_leaf() {
    let book = books().pipeline;
    let cases: Vec<(Value, &str)> = vec![
        (json!({"source": {"supports_cdc": true}}), "EXT-CDC"),
        (
            json!({"source": {"updated_at_column": "updated_at"}}),
            "EXT-INCREMENTAL",
        ),
        (json!({"source": {"rows": 5000}}), "EXT-FULL"),
        (
            json!({"source": {"kind": "api", "supports_webhooks": true, "has_cursor": true}}),
            "EXT-API-WEBHOOK",
        ),
        (
            json!({"source": {"kind": "api", "supports_webhooks": false, "has_cursor": true}}),
            "EXT-API-CURSOR",
        ),
        (
            json!({"source": {"kind": "api", "supports_webhooks": false, "has_cursor": false}}),
            "EXT-API-FULL",
        ),
        (json!({"source": {"kind": "files"}}), "EXT-FILE-EVENT"),
        (
            json!({"source": {"kind": "stream"}, "target": {"data_kind": "event"}}),
            "EXT-STREAM-OFFSET",
        ),
    ];
    let mut reached = BTreeSet::new();
    for (patch, expected) in cases {
        let out = pipeline::design(&book, &pipeline_params(patch.clone())).expect("design");
        assert_eq!(out.extraction.id, expected, "{patch}");
        reached.insert(expected.to_string());
    }
    let all: BTreeSet<String> = book.extraction.iter().map(|r| r.id.clone()).collect();
    assert_eq!(reached, all);
    let forced = pipeline::design(
        &book,
        &pipeline_params(json!({"extraction": "full", "source": {"supports_cdc": true}})),
    )
    .expect("forced");
    assert_eq!(forced.extraction.id, "GIVEN");
    assert!(
        forced.extraction.rationale.contains("`cdc`"),
        "{}",
        forced.extraction.rationale
    );
    let err = pipeline::design(&book, &pipeline_params(json!({"extraction": "magic"})))
        .expect_err("unknown");
    assert!(
        err.to_string()
            .starts_with("extraction: unknown strategy `magic`"),
        "{err}"
    );
}

#[test]
fn load_table_reaches_every_row() {
    let book = books().pipeline;
    let cases: Vec<(Value, &str)> = vec![
        (
            json!({"target": {"track_deletes": true}}),
            "LOAD-SOFT-DELETE",
        ),
        (
            json!({"source": {"rows": 500}, "target": {"data_kind": "reference"}}),
            "LOAD-TRUNCATE-RELOAD",
        ),
        (
            json!({"target": {"data_kind": "immutable_fact", "partition_key": "order_date"}}),
            "LOAD-PARTITION-SWAP",
        ),
        (json!({"target": {"data_kind": "event"}}), "LOAD-APPEND"),
        (json!({"target": {"data_kind": "dimension"}}), "LOAD-MERGE"),
        (
            json!({"source": {"rows": 5_000_000}, "target": {"data_kind": "reference"}}),
            "LOAD-MERGE",
        ),
    ];
    let mut reached = BTreeSet::new();
    for (patch, expected) in cases {
        let out = pipeline::design(&book, &pipeline_params(patch.clone())).expect("design");
        assert_eq!(out.load.id, expected, "{patch}");
        reached.insert(expected.to_string());
    }
    let all: BTreeSet<String> = book.load.iter().map(|r| r.id.clone()).collect();
    assert_eq!(reached, all);
}

#[test]
fn idempotency_rules_and_traps_each_fire_and_a_clean_design_passes() {
    let book = books().pipeline;
    let clean = pipeline::design(
        &book,
        &pipeline_params(json!({"source": {"supports_cdc": true}})),
    )
    .expect("clean");
    assert!(clean.findings.is_empty(), "{:?}", clean.findings);
    assert!(clean.idempotency.iter().all(|r| r.passed));
    let cases: Vec<(Value, &str)> = vec![
        (json!({"load_strategy": "append"}), "IDEM-01"),
        (
            json!({"target": {"data_kind": "event", "merge_keys": []}, "late_window_hours": 2}),
            "IDEM-02",
        ),
        (
            json!({"source": {"updated_at_column": "updated_at"}, "watermark_storage": "in_code"}),
            "IDEM-03",
        ),
        (json!({"target": {"merge_keys": []}}), "IDEM-04"),
        (json!({"rerun_tested": false}), "IDEM-05"),
        (
            json!({"source": {"supports_cdc": false, "updated_at_column": "updated_at"}, "reconciliation": false}),
            "TRAP-HARD-DELETES",
        ),
        (
            json!({"source": {"supports_cdc": false, "rows": 40_000_000}}),
            "TRAP-FULL-LARGE",
        ),
        (
            json!({"time_semantics": "processing_time"}),
            "TRAP-PROCESSING-TIME",
        ),
        (
            json!({"source": {"kind": "stream"}, "target": {"data_kind": "event"}}),
            "TRAP-NO-LATE-WINDOW",
        ),
        (json!({"pre_load_checks": []}), "TRAP-NO-QUALITY-GATES"),
        (json!({"post_load_checks": []}), "TRAP-NO-QUALITY-GATES"),
        (json!({"alert_channels": []}), "TRAP-SILENT-FAILURE"),
        (
            json!({"source": {"kind": "api", "supports_webhooks": false, "has_cursor": false}}),
            "TRAP-API-FULL-PULL",
        ),
        (
            json!({"target": {"data_kind": "event", "track_deletes": true}, "late_window_hours": 2}),
            "TRAP-DELETES-IMMUTABLE",
        ),
    ];
    let mut fired = BTreeSet::new();
    for (patch, expected) in cases {
        let mut p = json!({"source": {"supports_cdc": true}});
        merge(&mut p, patch.clone());
        let out = pipeline::design(&book, &pipeline_params(p)).expect("design");
        let ids: Vec<&str> = out.findings.iter().map(|f| f.id.as_str()).collect();
        assert!(ids.contains(&expected), "{expected} for {patch}: {ids:?}");
        fired.insert(expected.to_string());
        if expected.starts_with("IDEM") {
            assert!(
                out.idempotency
                    .iter()
                    .any(|r| r.id == expected && !r.passed)
            );
        }
    }
    let all: BTreeSet<String> = book
        .idempotency
        .iter()
        .chain(&book.traps)
        .map(|r| r.id.clone())
        .collect();
    assert_eq!(fired, all);
    // Near misses: late window given, external watermark, full extraction of a small table.
    let near = pipeline::design(
        &book,
        &pipeline_params(json!({"source": {"kind": "stream"}, "target": {"data_kind": "event", "merge_keys": ["event_id"]}, "late_window_hours": 6})),
    )
    .expect("near");
    assert!(near.findings.is_empty(), "{:?}", near.findings);
    let small = pipeline::design(
        &book,
        &pipeline_params(json!({"source": {"rows": 900_000}})),
    )
    .expect("small");
    assert!(!small.findings.iter().any(|f| f.id == "TRAP-FULL-LARGE"));
    let err = pipeline::design(&book, &pipeline_params(json!({"tier": 4}))).expect_err("tier");
    assert!(err.to_string().contains("tier: `4`"), "{err}");
    let err =
        pipeline::design(&book, &pipeline_params(json!({"schedule": "hourly"}))).expect_err("cron");
    assert!(err.to_string().contains("schedule: `hourly`"), "{err}");
}

#[test]
fn test_plan_tailors_cases_to_the_pipeline() {
    let ops = books().operations;
    let plan = |pipe: Value| {
        let p = PlanTestsParams {
            pipeline: serde_json::from_value::<PipelineRef>(pipe).expect("pipe"),
            project: None,
        };
        operations::plan_tests(&ops, &p).expect("plan")
    };
    let stream = plan(
        json!({"name": "events", "table": "fct_events", "source": "kafka.events", "source_kind": "stream", "load_strategy": "partition_swap", "partition_key": "event_date", "sla_minutes": 30}),
    );
    let all: Vec<String> = stream.layers.iter().flat_map(|l| l.tests.clone()).collect();
    assert!(all.iter().any(|t| t.contains("kill the consumer")));
    assert!(
        all.iter()
            .any(|t| t.contains("every other partition of fct_events"))
    );
    assert!(all.iter().any(|t| t.contains("80% of the 30-minute SLA")));
    assert!(
        !all.iter().any(|t| t.contains("{")),
        "placeholders filled: {all:?}"
    );
    let api = plan(
        json!({"name": "crm", "source_kind": "api", "load_strategy": "merge", "merge_keys": ["account_id"], "engine": "dbt"}),
    );
    let all: Vec<String> = api.layers.iter().flat_map(|l| l.tests.clone()).collect();
    assert!(all.iter().any(|t| t.contains("rate-limit")));
    assert!(all.iter().any(|t| t.contains("dbt unit tests")));
    assert!(all.iter().any(|t| t.contains("account_id unique")));
    assert!(
        !all.iter()
            .any(|t| t.contains("kill the consumer") || t.contains("SLA-minute"))
    );
    assert_eq!(api.layers.len(), 6);
}

#[test]
fn cost_red_flags_each_fire_and_rank_by_saving() {
    let book = books().optimization;
    let p: ReviewCostsParams = serde_json::from_value(json!({
        "pipelines": [
            {"name": "clickstream", "compute_usd": 6000, "storage_usd": 1500, "egress_usd": 900, "rows_processed": 3.0e9,
             "previous_cost_per_row": 2.0e-6, "business_value": "product analytics", "largest_full_scan_gb": 2500, "compressed": false, "cross_region": true,
             "workload": "batch", "capacity": "on_demand", "tiered_storage": false},
            {"name": "orders", "compute_usd": 800, "storage_usd": 200, "rows_processed": 1.0e8, "previous_cost_per_row": 1.0e-5, "business_value": "revenue reporting", "compressed": true,
             "workload": "batch", "capacity": "spot", "tiered_storage": true},
            {"name": "legacy_export", "compute_usd": 300, "storage_usd": 50, "business_value": "none"},
            {"name": "fraud_stream", "compute_usd": 900, "business_value": "fraud losses avoided", "workload": "steady", "capacity": "on_demand"}
        ],
        "tables": [{"name": "tmp_backfill_2023", "days_since_last_query": 120, "storage_usd": 400}, {"name": "fct_orders", "days_since_last_query": 0, "storage_usd": 100}],
        "environments": [{"name": "staging", "always_on": true, "monthly_usd": 1200}, {"name": "dev", "always_on": false, "monthly_usd": 300}],
        "budget_monthly_usd": 10000
    }))
    .expect("params");
    let out = costs::review(&book, &p).expect("review");
    let flags: BTreeSet<String> = out.red_flags.iter().map(|f| f.id.clone()).collect();
    let all: BTreeSet<String> = book.cost.red_flags.iter().map(|f| f.id.clone()).collect();
    assert_eq!(flags, all, "every red flag fires once in this fixture");
    // Near misses: orders (cost per row fell, compressed, valued) and fct_orders (queried) and dev (not always on).
    assert!(
        !out.red_flags
            .iter()
            .any(|f| f.subject == "orders" || f.subject == "fct_orders" || f.subject == "dev"),
        "{:?}",
        out.red_flags
    );
    assert_eq!(
        out.total_monthly_usd,
        6000.0 + 1500.0 + 900.0 + 1000.0 + 350.0 + 900.0 + 1500.0
    );
    // Every strategy of the playbook is reachable from a red flag or an input.
    let strategies: BTreeSet<String> = out
        .opportunities
        .iter()
        .map(|o| o.strategy.clone())
        .collect();
    let all: BTreeSet<String> = book.cost.strategies.iter().map(|s| s.id.clone()).collect();
    assert_eq!(strategies, all, "every strategy needs a path to it");
    assert!(out.questions.is_empty(), "{:?}", out.questions);
    super::assert_ranked_by_saving(&out.opportunities);
    assert_eq!(out.opportunities[0].priority, 1);
    assert_eq!(out.opportunities[0].subject, "clickstream");
    let err = costs::review(
        &book,
        &serde_json::from_value(json!({"pipelines": []})).expect("p"),
    )
    .expect_err("empty");
    assert!(err.to_string().starts_with("pipelines:"), "{err}");
}
