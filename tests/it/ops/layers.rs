//! Technology selection as layers: every candidate belongs to its layer (a table kept here,
//! independent of the playbook), realistic briefs (including Lambda, Kappa, lakehouse and
//! mesh designs) get one pick per layer and data path, avoid rules stay on the path they
//! concern, and unknown facts that change a pick come back as questions with the decision
//! under each answer.

use std::collections::{BTreeMap, BTreeSet};

use dana::domain::architecture::{self, ArchitectureAssessment, AssessArchitectureParams};
use serde_json::{Value, json};

use super::{assert_asked, books, question};

/// What each tool is, independent of the playbook: the layers it may be picked for.
fn layers_of(tool: &str) -> &'static [&'static str] {
    match tool {
        "warehouse_bulk_load"
        | "fivetran"
        | "airbyte"
        | "custom_extract"
        | "debezium"
        | "kinesis"
        | "pubsub"
        | "event_hubs"
        | "kafka" => &["ingestion"],
        "postgresql" | "databricks" | "iceberg_or_delta" | "bigquery" | "redshift"
        | "object_storage" | "snowflake" => &["storage"],
        "managed_stream_processing"
        | "flink"
        | "spark"
        | "polars"
        | "duckdb"
        | "pandas"
        | "warehouse_sql" => &["processing"],
        "dbt" | "dataframe_code" | "sql_scripts" | "streaming_sql" => &["transformation"],
        "cron" | "temporal" | "dagster" | "prefect" | "airflow" => &["orchestration"],
        "great_expectations" | "soda" | "sql_checks" => &["quality"],
        "datahub" | "aws_glue_catalog" | "dataplex" | "purview" | "catalog_in_repo" => &["catalog"],
        "feature_store" | "reverse_etl" | "warehouse_bi" | "realtime_olap" | "key_value_store" => {
            &["serving"]
        }
        _ => &[],
    }
}

const LAYERS: &[&str] = &[
    "ingestion",
    "storage",
    "processing",
    "transformation",
    "orchestration",
    "quality",
    "catalog",
    "serving",
];

fn assess(v: Value) -> ArchitectureAssessment {
    let brief: AssessArchitectureParams = serde_json::from_value(v).expect("brief");
    architecture::assess(&books().architecture, &brief).expect("assess")
}

/// `layer`, `layer (path)`, `layer [zone]` or `layer (path) [zone]` → tool.
fn picks(out: &ArchitectureAssessment) -> BTreeMap<String, String> {
    out.technology
        .iter()
        .map(|t| (t.key(), t.tool.clone()))
        .collect()
}

/// The picks of a batch-only design, layer by layer in `LAYERS` order.
fn batch(tools: [&'static str; 8]) -> Vec<(&'static str, &'static str)> {
    [
        "ingestion (batch)",
        "storage",
        "processing (batch)",
        "transformation (batch)",
        "orchestration",
        "quality",
        "catalog",
        "serving (batch)",
    ]
    .into_iter()
    .zip(tools)
    .collect()
}

#[test]
fn every_candidate_belongs_to_its_layer_and_every_layer_exists() {
    let book = books().architecture;
    let ids: Vec<&str> = book.categories.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(
        ids.iter().copied().collect::<BTreeSet<_>>(),
        LAYERS.iter().copied().collect()
    );
    for cat in &book.categories {
        for cand in &cat.candidates {
            assert!(
                layers_of(&cand.tool).contains(&cat.id.as_str()),
                "{} ({}) is listed under `{}` but belongs to {:?}",
                cand.id,
                cand.tool,
                cat.id,
                layers_of(&cand.tool)
            );
        }
    }
    // dbt transforms: it neither schedules nor extracts.
    let dbt_layers: Vec<&str> = book
        .categories
        .iter()
        .filter(|c| c.candidates.iter().any(|x| x.is_named("dbt")))
        .map(|c| c.id.as_str())
        .collect();
    assert_eq!(dbt_layers, ["transformation"]);
}

/// A grid of briefs over latency mixes, source kinds, team sizes, clouds, budgets and
/// volumes: no pick ever comes from another layer, every layer is decided, and per-path
/// layers are decided exactly for the design's paths.
#[test]
fn no_layer_ever_gets_a_tool_from_another_layer() {
    let latencies: [&[&str]; 5] = [
        &["batch"],
        &["near_real_time", "batch"],
        &["real_time"],
        &["real_time", "batch"],
        &[],
    ];
    let sources: [Value; 5] = [
        json!([{"name": "db", "kind": "database"}, {"name": "export", "kind": "files"}]),
        json!([{"name": "db", "kind": "database", "cdc": true}, {"name": "crm", "kind": "api"}, {"name": "ads", "kind": "api"}]),
        json!([{"name": "drops", "kind": "files"}]),
        json!([{"name": "events", "kind": "stream", "replayable": true}]),
        json!([{"name": "events", "kind": "stream", "replayable": false}, {"name": "db", "kind": "database", "cdc": false}]),
    ];
    let mut runs = 0;
    for lat in latencies {
        for src in &sources {
            for team in [1u32, 3, 8, 25] {
                for cloud in ["aws", "gcp", "azure", "on_prem"] {
                    for (budget, gb) in [(300.0, 2.0), (5000.0, 60.0), (40000.0, 500.0)] {
                        let consumers: Vec<Value> = lat
                            .iter()
                            .enumerate()
                            .map(|(i, l)| json!({"team": format!("t{i}"), "use_case": if i == 0 && team == 8 { "ml" } else { "analytics" }, "latency": l, "query_pattern": "dashboard"}))
                            .collect();
                        let out = assess(json!({
                            "data_consumers": consumers, "sources": src, "storage": ["s3"],
                            "volume": {"current_gb_per_day": gb, "retention_months": 12},
                            "constraints": {"team_size": team, "cloud_provider": cloud, "budget_monthly_usd": budget, "skill_level": "mid"}
                        }));
                        runs += 1;
                        for t in &out.technology {
                            assert!(
                                layers_of(&t.tool).contains(&t.layer.as_str()),
                                "{} picked for {} in {lat:?} {src} team {team} {cloud}",
                                t.tool,
                                t.layer
                            );
                            if let Some(r) = &t.runner_up {
                                assert!(layers_of(&r.tool).contains(&t.layer.as_str()));
                            }
                        }
                        // Zones only in a lakehouse, only for storage and batch processing, each zone once.
                        let lakehouse = out.patterns.iter().any(|p| p.pattern == "lakehouse");
                        let zoned: Vec<String> = out
                            .technology
                            .iter()
                            .filter(|t| t.zone.is_some())
                            .map(|t| t.key())
                            .collect();
                        let mut want_zoned = Vec::new();
                        if lakehouse {
                            for z in ["raw", "cleaned", "curated"] {
                                want_zoned.push(format!("storage [{z}]"));
                            }
                            let real_time = lat.contains(&"real_time");
                            if !kappa_of(&out) && (!real_time || lat.len() > 1) {
                                for z in ["cleaned", "curated"] {
                                    want_zoned.push(format!("processing (batch) [{z}]"));
                                }
                            }
                        }
                        assert_eq!(zoned, want_zoned, "{lat:?} {src}");
                        assert!(out.technology.iter().all(|t| t.scope.is_none()));
                        let layers: BTreeSet<&str> =
                            out.technology.iter().map(|t| t.layer.as_str()).collect();
                        assert_eq!(layers.len(), LAYERS.len(), "{:?}", picks(&out));
                        let stream = lat.contains(&"real_time");
                        let kappa = out.patterns.iter().any(|p| p.pattern == "kappa");
                        let batch = !kappa && (!stream || lat.len() > 1);
                        for layer in ["ingestion", "processing", "transformation", "serving"] {
                            let paths: BTreeSet<&str> = out
                                .technology
                                .iter()
                                .filter(|t| t.layer == layer)
                                .filter_map(|t| t.path.as_deref())
                                .collect();
                            let mut want = BTreeSet::new();
                            if batch {
                                want.insert("batch");
                            }
                            if stream {
                                want.insert("stream");
                            }
                            assert_eq!(paths, want, "{layer} in {lat:?} {src}");
                        }
                    }
                }
            }
        }
    }
    assert_eq!(runs, 5 * 5 * 4 * 4 * 3);
}

/// The warnings on a tool named in the brief: rule id, path and zone.
fn warned<'a>(
    out: &'a ArchitectureAssessment,
    tool: &str,
) -> Vec<(&'a str, Option<&'a str>, Option<&'a str>)> {
    out.warnings
        .iter()
        .filter(|w| w.tool == tool)
        .map(|w| (w.id.as_str(), w.path.as_deref(), w.zone.as_deref()))
        .collect()
}

fn kappa_of(out: &ArchitectureAssessment) -> bool {
    out.patterns.iter().any(|p| p.pattern == "kappa")
}

/// Realistic briefs, one per design shape; every pick per layer and path is checked.
#[test]
fn realistic_briefs_get_one_pick_per_layer_and_path() {
    let cases: Vec<(&str, Value, Vec<&str>, Vec<(&str, &str)>)> = vec![
        (
            "retail: a database plus a files export, two engineers on AWS (the demo brief)",
            json!({
                "business_context": "Daily sales reporting",
                "data_consumers": [
                    {"team": "finance", "use_case": "reporting", "latency": "batch", "query_pattern": "dashboard"},
                    {"team": "merchandising", "use_case": "analytics", "latency": "batch", "query_pattern": "ad_hoc"}],
                "sources": [{"name": "shop_db", "kind": "database"}, {"name": "crm_export", "kind": "files"}],
                "storage": ["postgresql"],
                "volume": {"current_gb_per_day": 2, "growth_rate_percent": 30, "retention_months": 36},
                "constraints": {"budget_monthly_usd": 3000, "team_size": 2, "skill_level": "mid", "compliance": ["GDPR"], "cloud_provider": "aws"}
            }),
            vec!["ARCH-PAT-BATCH"],
            batch([
                "fivetran",
                "redshift",
                "warehouse_sql",
                "dbt",
                "prefect",
                "sql_checks",
                "aws_glue_catalog",
                "warehouse_bi",
            ]),
        ),
        (
            "PostgreSQL plus two SaaS APIs on GCP, three engineers",
            json!({
                "data_consumers": [{"team": "growth", "use_case": "analytics", "latency": "batch", "query_pattern": "dashboard"}],
                "sources": [{"name": "app_pg", "kind": "database"}, {"name": "hubspot", "kind": "api"}, {"name": "stripe", "kind": "api"}],
                "volume": {"current_gb_per_day": 5, "retention_months": 24},
                "constraints": {"budget_monthly_usd": 4000, "team_size": 3, "skill_level": "mid", "cloud_provider": "gcp"}
            }),
            vec!["ARCH-PAT-BATCH"],
            batch([
                "fivetran",
                "bigquery",
                "warehouse_sql",
                "dbt",
                "prefect",
                "sql_checks",
                "dataplex",
                "warehouse_bi",
            ]),
        ),
        (
            "Lambda: real-time fraud scoring plus finance batch, senior team of six on AWS",
            json!({
                "data_consumers": [
                    {"team": "fraud", "use_case": "operational", "latency": "real_time", "query_pattern": "api"},
                    {"team": "finance", "use_case": "reporting", "latency": "batch", "query_pattern": "dashboard"}],
                "sources": [
                    {"name": "payments_db", "kind": "database", "cdc": true},
                    {"name": "card_events", "kind": "stream", "replayable": false},
                    {"name": "ledger_files", "kind": "files"}],
                "volume": {"current_gb_per_day": 200, "retention_months": 24},
                "constraints": {"budget_monthly_usd": 30000, "team_size": 6, "skill_level": "senior", "cloud_provider": "aws"}
            }),
            vec!["ARCH-PAT-STREAMING", "ARCH-PAT-LAMBDA"],
            vec![
                ("ingestion (batch)", "airbyte"),
                ("ingestion (stream)", "debezium"),
                ("storage", "snowflake"),
                ("processing (batch)", "spark"),
                ("processing (stream)", "flink"),
                ("transformation (batch)", "dbt"),
                ("transformation (stream)", "streaming_sql"),
                ("orchestration", "dagster"),
                ("quality", "sql_checks"),
                ("catalog", "aws_glue_catalog"),
                ("serving (batch)", "warehouse_bi"),
                ("serving (stream)", "key_value_store"),
            ],
        ),
        (
            "Kappa: replayable clickstream, live dashboards, three engineers on GCP",
            json!({
                "data_consumers": [
                    {"team": "ops", "use_case": "operational", "latency": "real_time", "query_pattern": "dashboard"},
                    {"team": "product", "use_case": "analytics", "latency": "batch", "query_pattern": "ad_hoc"}],
                "sources": [{"name": "clicks", "kind": "stream", "replayable": true}],
                "volume": {"current_gb_per_day": 80, "retention_months": 12},
                "constraints": {"budget_monthly_usd": 8000, "team_size": 3, "skill_level": "mid", "cloud_provider": "gcp"}
            }),
            vec!["ARCH-PAT-STREAMING", "ARCH-PAT-KAPPA"],
            vec![
                ("ingestion (stream)", "pubsub"),
                ("storage", "bigquery"),
                ("processing (stream)", "managed_stream_processing"),
                ("transformation (stream)", "streaming_sql"),
                ("orchestration", "prefect"),
                ("quality", "sql_checks"),
                ("catalog", "dataplex"),
                ("serving (stream)", "realtime_olap"),
            ],
        ),
        (
            "Lakehouse: a data lake on S3 queried ad hoc, 300 GB a day, eight engineers",
            json!({
                "data_consumers": [
                    {"team": "analytics", "use_case": "analytics", "latency": "batch", "query_pattern": "ad_hoc"},
                    {"team": "bi", "use_case": "reporting", "latency": "batch", "query_pattern": "dashboard"}],
                "sources": [{"name": "erp", "kind": "database"}, {"name": "logs", "kind": "files"}, {"name": "crm", "kind": "api"}],
                "storage": ["s3"],
                "volume": {"current_gb_per_day": 300, "retention_months": 24},
                "constraints": {"budget_monthly_usd": 30000, "team_size": 8, "skill_level": "mixed", "cloud_provider": "aws"}
            }),
            vec!["ARCH-PAT-BATCH", "ARCH-PAT-LAKEHOUSE"],
            vec![
                ("ingestion (batch)", "airbyte"),
                ("storage [raw]", "object_storage"),
                ("storage [cleaned]", "iceberg_or_delta"),
                ("storage [curated]", "iceberg_or_delta"),
                ("processing (batch) [cleaned]", "spark"),
                ("processing (batch) [curated]", "warehouse_sql"),
                ("transformation (batch)", "dbt"),
                ("orchestration", "airflow"),
                ("quality", "sql_checks"),
                ("catalog", "aws_glue_catalog"),
                ("serving (batch)", "warehouse_bi"),
            ],
        ),
        (
            "Mesh: six domain teams, 25 engineers, on-prem, regulated",
            json!({
                "data_consumers": (0..6).map(|i| json!({"team": format!("domain{i}"), "use_case": "analytics", "latency": "batch", "query_pattern": "dashboard"})).collect::<Vec<_>>(),
                "sources": (0..8).map(|i| json!({"name": format!("sys{i}"), "kind": "database"})).collect::<Vec<_>>(),
                "volume": {"current_gb_per_day": 40, "retention_months": 60},
                "constraints": {"budget_monthly_usd": 60000, "team_size": 25, "skill_level": "senior", "compliance": ["SOX"], "cloud_provider": "on_prem"}
            }),
            vec!["ARCH-PAT-BATCH", "ARCH-PAT-DATA-MESH"],
            batch([
                "airbyte",
                "snowflake",
                "warehouse_sql",
                "dbt",
                "dagster",
                "soda",
                "datahub",
                "warehouse_bi",
            ]),
        ),
        (
            "Feature store: ML is the main consumer, 20 GB a day",
            json!({
                "data_consumers": [
                    {"team": "recs", "use_case": "ml", "latency": "batch"},
                    {"team": "churn", "use_case": "ml", "latency": "batch"},
                    {"team": "bi", "use_case": "reporting", "latency": "batch", "query_pattern": "dashboard"}],
                "sources": [{"name": "events", "kind": "files"}, {"name": "app", "kind": "database"}],
                "volume": {"current_gb_per_day": 20, "retention_months": 12},
                "constraints": {"budget_monthly_usd": 10000, "team_size": 4, "skill_level": "mid", "cloud_provider": "azure"}
            }),
            vec!["ARCH-PAT-BATCH", "ARCH-PAT-FEATURE-STORE"],
            batch([
                "fivetran",
                "databricks",
                "polars",
                "dataframe_code",
                "prefect",
                "great_expectations",
                "purview",
                "feature_store",
            ]),
        ),
    ];
    for (name, brief, patterns, expected) in cases {
        let out = assess(brief);
        let got: Vec<&str> = out.patterns.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(got, patterns, "{name}");
        let want: BTreeMap<String, String> = expected
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        assert_eq!(picks(&out), want, "{name}");
        for t in &out.technology {
            assert!(!t.reason.is_empty(), "{name}: {} has no signal", t.layer);
        }
    }
}

#[test]
fn path_scoped_avoid_rules_stay_on_their_path() {
    // Lambda: Spark is named; its real-time rule concerns the stream path only, and the
    // batch path still picks Spark.
    let out = assess(json!({
        "data_consumers": [
            {"team": "fraud", "use_case": "operational", "latency": "real_time"},
            {"team": "finance", "use_case": "reporting", "latency": "batch"}],
        "sources": [{"name": "payments", "kind": "database", "cdc": true}],
        "volume": {"current_gb_per_day": 150},
        "constraints": {"team_size": 6, "cloud_provider": "on_prem"},
        "considering": ["spark", "dbt"]
    }));
    let p = picks(&out);
    assert_eq!(p["processing (batch)"], "spark");
    assert_eq!(p["processing (stream)"], "flink");
    assert_eq!(p["transformation (batch)"], "dbt");
    assert_eq!(
        warned(&out, "spark"),
        [("AVOID-SPARK-REALTIME", Some("stream"), None)]
    );
    assert_eq!(
        warned(&out, "dbt"),
        [("AVOID-DBT-STREAMING", Some("stream"), None)]
    );
    // The pick carries its runner-up.
    let batch = out
        .technology
        .iter()
        .find(|t| t.layer == "processing" && t.path.as_deref() == Some("batch"))
        .expect("batch processing");
    assert_eq!(
        batch.runner_up.as_ref().map(|r| r.tool.as_str()),
        Some("warehouse_sql")
    );
}

#[test]
fn unknown_facts_that_change_a_pick_become_questions_with_decisions() {
    // Lambda with a database whose CDC is unknown: the stream ingestion depends on it.
    let out = assess(json!({
        "data_consumers": [
            {"team": "fraud", "use_case": "operational", "latency": "real_time"},
            {"team": "finance", "use_case": "reporting", "latency": "batch"}],
        "sources": [{"name": "payments_pg", "kind": "database"}, {"name": "cards", "kind": "stream", "replayable": false}],
        "constraints": {"team_size": 4, "cloud_provider": "aws"}
    }));
    assert_asked(
        &out.questions,
        "ARCH-Q-CDC",
        "sources[].cdc",
        &[
            ("yes", "ingestion (stream): debezium"),
            ("no", "ingestion (stream): kinesis"),
        ],
    );
    // Answering it removes the question.
    let answered = assess(json!({
        "data_consumers": [
            {"team": "fraud", "use_case": "operational", "latency": "real_time"},
            {"team": "finance", "use_case": "reporting", "latency": "batch"}],
        "sources": [{"name": "payments_pg", "kind": "database", "cdc": false}, {"name": "cards", "kind": "stream", "replayable": false}],
        "constraints": {"team_size": 4, "cloud_provider": "aws"}
    }));
    assert!(!answered.questions.iter().any(|q| q.id == "ARCH-Q-CDC"));
    assert_eq!(picks(&answered)["ingestion (stream)"], "kinesis");

    // Replay unknown: Kappa or Lambda hangs on it.
    let out = assess(json!({
        "data_consumers": [
            {"team": "ops", "use_case": "operational", "latency": "real_time"},
            {"team": "finance", "use_case": "reporting", "latency": "batch"}],
        "sources": [{"name": "events", "kind": "stream"}],
        "constraints": {"team_size": 4, "cloud_provider": "gcp"}
    }));
    let q = question(&out.questions, "ARCH-Q-REPLAY");
    assert!(q.answers[0].decision.contains("Kappa"), "{:?}", q.answers);
    assert!(q.answers[1].decision.contains("Lambda"), "{:?}", q.answers);
    // The batch path exists only without Kappa: the decision says so.
    assert!(
        q.answers[0].decision.contains("processing (batch): none"),
        "{:?}",
        q.answers
    );

    // Batch only: CDC changes nothing, so nothing is asked about it.
    let out = assess(json!({
        "data_consumers": [{"team": "finance", "use_case": "reporting", "latency": "batch"}],
        "sources": [{"name": "shop_db", "kind": "database"}],
        "constraints": {"team_size": 2, "cloud_provider": "aws"}
    }));
    assert!(
        !out.questions.iter().any(|q| q.id == "ARCH-Q-CDC"),
        "{:?}",
        out.questions
    );
}

/// A lake on S3 queried by SQL: storage and batch processing are decided per zone, each
/// from its own layer; the stream path of a Lambda lakehouse is not zoned.
#[test]
fn lakehouse_designs_pick_storage_and_processing_per_zone() {
    let brief = |latencies: &[&str]| {
        json!({
            "data_consumers": latencies.iter().enumerate().map(|(i, l)| json!({"team": format!("t{i}"), "use_case": "analytics", "latency": l, "query_pattern": "ad_hoc"})).collect::<Vec<_>>(),
            "sources": [{"name": "erp", "kind": "database", "cdc": true}, {"name": "logs", "kind": "files"}, {"name": "clicks", "kind": "stream", "replayable": false}],
            "storage": ["s3"],
            "volume": {"current_gb_per_day": 300, "retention_months": 24},
            "constraints": {"budget_monthly_usd": 30000, "team_size": 8, "skill_level": "senior", "cloud_provider": "aws"}
        })
    };
    let out = assess(brief(&["batch"]));
    let p = picks(&out);
    assert_eq!(p["storage [raw]"], "object_storage");
    assert_eq!(p["storage [cleaned]"], "iceberg_or_delta");
    assert_eq!(p["storage [curated]"], "iceberg_or_delta");
    assert_eq!(p["processing (batch) [cleaned]"], "spark");
    assert_eq!(p["processing (batch) [curated]"], "warehouse_sql");
    assert!(!p.contains_key("storage") && !p.contains_key("processing (batch)"));
    // The curated zone passes Spark over for SQL, saying why.
    let curated = out
        .technology
        .iter()
        .find(|t| t.key() == "processing (batch) [curated]")
        .expect("curated processing");
    assert!(
        curated
            .passed_over
            .iter()
            .any(|x| x.tool == "spark" && x.avoid.iter().any(|a| a.id == "AVOID-SPARK-CURATED")),
        "{curated:?}"
    );
    // Object storage named in the brief: the SQL warning concerns the zones SQL reads, not raw.
    assert_eq!(
        warned(&out, "s3"),
        [
            ("AVOID-OBJECT-DIRECT-SQL", None, Some("cleaned")),
            ("AVOID-OBJECT-DIRECT-SQL", None, Some("curated"))
        ]
    );
    for t in &out.technology {
        assert!(layers_of(&t.tool).contains(&t.layer.as_str()), "{t:?}");
    }
    // Lambda lakehouse: the stream path keeps one pick per layer, without zones.
    let out = assess(brief(&["real_time", "batch"]));
    let p = picks(&out);
    assert_eq!(p["processing (stream)"], "flink");
    assert_eq!(p["processing (batch) [cleaned]"], "spark");
    assert!(
        out.technology
            .iter()
            .filter(|t| t.path.as_deref() == Some("stream"))
            .all(|t| t.zone.is_none())
    );
    // Kappa lakehouse: no batch path, so processing is not zoned and no curated-zone rule applies.
    let mut kappa = brief(&["real_time", "batch"]);
    kappa["sources"] = json!([{"name": "clicks", "kind": "stream", "replayable": true}]);
    kappa["considering"] = json!(["spark"]);
    let out = assess(kappa);
    assert!(kappa_of(&out), "{:?}", out.patterns);
    assert_eq!(
        warned(&out, "spark"),
        [("AVOID-SPARK-REALTIME", Some("stream"), None)]
    );
    assert!(
        out.technology
            .iter()
            .all(|t| t.zone.is_none() || t.layer == "storage")
    );
    // Without a lake there are no zones.
    let mut no_lake = brief(&["batch"]);
    no_lake["storage"] = json!(["snowflake"]);
    let out = assess(no_lake);
    assert!(out.patterns.iter().all(|p| p.pattern != "lakehouse"));
    assert!(out.technology.iter().all(|t| t.zone.is_none()));
}

/// A data mesh: every pick says whether the platform runs it for every domain or each
/// domain chooses; other designs say neither.
#[test]
fn mesh_designs_separate_platform_picks_from_domain_picks() {
    let mesh = json!({
        "data_consumers": (0..7).map(|i| json!({"team": format!("domain{i}"), "use_case": "analytics", "latency": "batch", "query_pattern": "dashboard"})).collect::<Vec<_>>(),
        "sources": (0..9).map(|i| json!({"name": format!("sys{i}"), "kind": "database"})).collect::<Vec<_>>(),
        "volume": {"current_gb_per_day": 60, "retention_months": 36},
        "constraints": {"budget_monthly_usd": 50000, "team_size": 30, "skill_level": "senior", "cloud_provider": "gcp"}
    });
    let out = assess(mesh);
    assert!(out.patterns.iter().any(|p| p.pattern == "data_mesh"));
    let mut by_scope: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for t in &out.technology {
        let scope = t.scope.clone().expect("every mesh pick has a scope");
        assert!(t.reason.contains("data mesh"), "{t:?}");
        by_scope.entry(scope).or_default().insert(t.layer.clone());
    }
    let set = |xs: &[&str]| xs.iter().map(|x| x.to_string()).collect::<BTreeSet<_>>();
    assert_eq!(
        by_scope["platform"],
        set(&[
            "catalog",
            "ingestion",
            "orchestration",
            "quality",
            "storage"
        ])
    );
    assert_eq!(
        by_scope["domain"],
        set(&["processing", "serving", "transformation"])
    );
    assert_eq!(by_scope.len(), 2);
    let out = assess(json!({
        "data_consumers": [{"team": "bi", "use_case": "reporting", "latency": "batch"}],
        "sources": [{"name": "db", "kind": "database"}],
        "constraints": {"team_size": 3, "cloud_provider": "gcp"}
    }));
    assert!(out.technology.iter().all(|t| t.scope.is_none()));
}
