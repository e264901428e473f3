//! Questions instead of assumptions: an omitted fact that changes a decision comes back
//! as a structured question with the decision under each answer (pipeline design, costs,
//! monitoring), and source-kind-appropriate advice.

use dana::domain::pipeline::{self, DesignPipelineParams, PipelineDesign};
use serde_json::{Value, json};

use super::{answers, assert_asked, assert_ranked_by_saving, books, question};

fn design(v: Value) -> PipelineDesign {
    let p: DesignPipelineParams = serde_json::from_value(v).expect("params");
    pipeline::design(&books().pipeline, &p).expect("design")
}

fn base(source: Value, target: Value) -> Value {
    json!({
        "name": "orders_sync",
        "source": source,
        "target": target,
        "alert_channels": ["#data-alerts"],
        "rerun_tested": true,
        "reconciliation": true
    })
}

const ORDERS: &str = r#"{"system": "snowflake", "table": "fct_orders", "data_kind": "mutable_fact", "merge_keys": ["order_id"], "track_deletes": false}"#;

fn orders() -> Value {
    serde_json::from_str(ORDERS).expect("target")
}

#[test]
fn omitted_cdc_on_a_large_postgres_table_is_asked_not_read_as_false() {
    let out = design(base(
        json!({"system": "orders_pg", "kind": "database", "object": "orders", "rows": 80_000_000}),
        orders(),
    ));
    assert_eq!(out.extraction.strategy, "undecided");
    assert_eq!(out.extraction.id, "ASK");
    assert!(
        out.spec_yaml.contains("strategy: undecided"),
        "{}",
        out.spec_yaml
    );
    assert_asked(
        &out.questions,
        "SRC-Q-CDC",
        "source.supports_cdc",
        &[
            ("yes", "extraction cdc (EXT-CDC)"),
            ("no", "then SRC-Q-UPDATED-AT"),
        ],
    );
    // The follow-up is asked too, with its own decisions.
    assert_eq!(
        answers(question(&out.questions, "SRC-Q-UPDATED-AT")),
        [
            (
                "yes (its name)",
                "extraction incremental_updated_at (EXT-INCREMENTAL)"
            ),
            ("none (\"\")", "extraction full (EXT-FULL)")
        ]
    );
    // Nothing is concluded from the unknown: no full-extraction trap yet.
    assert!(
        !out.findings.iter().any(|f| f.id == "TRAP-FULL-LARGE"),
        "{:?}",
        out.findings
    );

    // With a reliable updated_at, "no" means incremental.
    let out = design(base(
        json!({"system": "orders_pg", "kind": "database", "rows": 80_000_000, "updated_at_column": "updated_at"}),
        orders(),
    ));
    assert_eq!(
        answers(question(&out.questions, "SRC-Q-CDC")),
        [
            ("yes", "extraction cdc (EXT-CDC)"),
            ("no", "extraction incremental_updated_at (EXT-INCREMENTAL)")
        ]
    );

    // Answered: decided, and nothing left to ask.
    let out = design(base(
        json!({"system": "orders_pg", "kind": "database", "rows": 80_000_000, "supports_cdc": false, "updated_at_column": ""}),
        orders(),
    ));
    assert_eq!(out.extraction.id, "EXT-FULL");
    assert!(out.questions.is_empty(), "{:?}", out.questions);
    assert!(out.findings.iter().any(|f| f.id == "TRAP-FULL-LARGE"));
}

#[test]
fn api_sources_get_api_questions_and_api_advice() {
    let out = design(base(
        json!({"system": "hubspot", "kind": "api", "object": "contacts", "rows": 5_000_000}),
        orders(),
    ));
    assert_eq!(out.extraction.strategy, "undecided");
    assert_eq!(
        answers(question(&out.questions, "SRC-Q-WEBHOOKS")),
        [
            ("yes", "extraction event_driven (EXT-API-WEBHOOK)"),
            ("no", "then SRC-Q-CURSOR")
        ]
    );
    assert_eq!(
        answers(question(&out.questions, "SRC-Q-CURSOR")),
        [
            ("yes", "extraction incremental_cursor (EXT-API-CURSOR)"),
            ("no", "extraction full_pull_rate_limited (EXT-API-FULL)")
        ]
    );
    assert!(!out.questions.iter().any(|q| q.id == "SRC-Q-CDC"));
    // Every answer combination: never database advice for an API.
    for (hooks, cursor) in [(true, true), (false, true), (false, false)] {
        let out = design(base(
            json!({"system": "hubspot", "kind": "api", "rows": 5_000_000, "supports_webhooks": hooks, "has_cursor": cursor}),
            orders(),
        ));
        assert!(out.questions.is_empty(), "{:?}", out.questions);
        for f in &out.findings {
            let text = format!("{} {}", f.message, f.fix).to_lowercase();
            assert!(
                !text.contains("updated_at") && !text.contains("cdc"),
                "API source got database advice: {f:?}"
            );
        }
        if !hooks && !cursor {
            let f = out
                .findings
                .iter()
                .find(|f| f.id == "TRAP-API-FULL-PULL")
                .expect("full API pull trap");
            assert!(
                f.fix.contains("cursor") && f.fix.contains("rate limit"),
                "{}",
                f.fix
            );
            assert!(!out.findings.iter().any(|f| f.id == "TRAP-FULL-LARGE"));
        }
    }
}

#[test]
fn omitted_row_counts_are_asked_where_they_decide() {
    // Reference data: the row count picks truncate-reload or merge.
    let out = design(base(
        json!({"system": "erp", "kind": "database", "supports_cdc": false, "updated_at_column": ""}),
        json!({"system": "snowflake", "table": "ref_country", "data_kind": "reference", "merge_keys": ["code"], "track_deletes": false}),
    ));
    assert_eq!(out.load.strategy, "undecided");
    let q = question(&out.questions, "SRC-Q-ROWS");
    assert_eq!(q.answers.len(), 2);
    assert!(
        q.answers[0]
            .decision
            .contains("load truncate_reload (LOAD-TRUNCATE-RELOAD)"),
        "{q:?}"
    );
    assert!(
        q.answers[1].decision.contains("load merge (LOAD-MERGE)"),
        "{q:?}"
    );
    // Full extraction: the row count decides whether the trap applies (one question, both decisions).
    assert!(
        q.answers[0].decision.contains("no TRAP-FULL-LARGE finding"),
        "{q:?}"
    );
    assert!(
        q.answers[1].decision.contains("finding TRAP-FULL-LARGE"),
        "{q:?}"
    );
    let out = design(base(
        json!({"system": "erp", "kind": "database", "supports_cdc": false, "updated_at_column": "", "rows": 250}),
        json!({"system": "snowflake", "table": "ref_country", "data_kind": "reference", "merge_keys": ["code"], "track_deletes": false}),
    ));
    assert_eq!(out.load.id, "LOAD-TRUNCATE-RELOAD");
    assert!(out.questions.is_empty(), "{:?}", out.questions);
}

/// The extraction of an 80M-row PostgreSQL table without CDC, by its last-modified column.
fn without_cdc(updated_at: Option<&str>) -> PipelineDesign {
    let mut source = json!({"system": "orders_pg", "kind": "database", "rows": 80_000_000, "supports_cdc": false});
    if let Some(c) = updated_at {
        source["updated_at_column"] = json!(c);
    }
    design(base(source, orders()))
}

#[test]
fn omitted_updated_at_is_asked_and_an_empty_one_means_none() {
    // Omitted: unknown, so asked with the decision under each answer; nothing concluded.
    let out = without_cdc(None);
    assert_eq!(
        (out.extraction.id.as_str(), out.extraction.strategy.as_str()),
        ("ASK", "undecided")
    );
    assert_asked(
        &out.questions,
        "SRC-Q-UPDATED-AT",
        "source.updated_at_column",
        &[
            (
                "yes (its name)",
                "extraction incremental_updated_at (EXT-INCREMENTAL)",
            ),
            ("none (\"\")", "extraction full (EXT-FULL)"),
        ],
    );
    assert!(
        !out.findings
            .iter()
            .any(|f| f.id == "TRAP-FULL-LARGE" || f.id == "TRAP-HARD-DELETES"),
        "{:?}",
        out.findings
    );
    // Named: incremental on it, nothing asked.
    let out = without_cdc(Some("updated_at"));
    assert_eq!(out.extraction.id, "EXT-INCREMENTAL");
    assert!(out.questions.is_empty(), "{:?}", out.questions);
    assert!(
        out.spec_yaml.contains("incremental_key: updated_at"),
        "{}",
        out.spec_yaml
    );
    // Empty (or blank): explicitly none, so a full copy, and the large-table trap fires.
    for none in ["", "  "] {
        let out = without_cdc(Some(none));
        assert_eq!(out.extraction.id, "EXT-FULL", "{none:?}");
        assert!(out.questions.is_empty(), "{:?}", out.questions);
        assert!(out.findings.iter().any(|f| f.id == "TRAP-FULL-LARGE"));
        assert!(
            out.spec_yaml.contains("incremental_key: null"),
            "{}",
            out.spec_yaml
        );
    }
    // Where it changes nothing it is not asked: CDC available (the captured table named),
    // or an API source.
    for source in [
        json!({"system": "orders_pg", "kind": "database", "object": "public.orders", "rows": 80_000_000, "supports_cdc": true}),
        json!({"system": "hubspot", "kind": "api", "supports_webhooks": false, "has_cursor": true}),
    ] {
        let out = design(base(source, orders()));
        assert!(out.questions.is_empty(), "{:?}", out.questions);
    }
}

/// A design of `data_kind` rows from a daily file drop, with `track_deletes` as given.
fn with_deletes(data_kind: &str, track_deletes: Option<bool>) -> PipelineDesign {
    let mut target =
        json!({"system": "snowflake", "table": "t", "data_kind": data_kind, "merge_keys": ["id"]});
    if let Some(t) = track_deletes {
        target["track_deletes"] = json!(t);
    }
    let mut p = base(
        json!({"system": "sftp", "kind": "files", "rows": 5000}),
        target,
    );
    p["late_window_hours"] = json!(24);
    design(p)
}

#[test]
fn omitted_track_deletes_is_asked_for_rows_that_change() {
    for kind in ["mutable_fact", "dimension"] {
        let out = with_deletes(kind, None);
        assert_eq!(
            (out.load.id.as_str(), out.load.strategy.as_str()),
            ("ASK", "undecided"),
            "{kind}"
        );
        assert_asked(
            &out.questions,
            "SRC-Q-DELETES",
            "target.track_deletes",
            &[
                ("yes", "load soft_delete (LOAD-SOFT-DELETE)"),
                ("no", "load merge (LOAD-MERGE)"),
            ],
        );
        assert!(
            !out.spec_yaml.contains("strategy: merge"),
            "{}",
            out.spec_yaml
        );
        assert_eq!(with_deletes(kind, Some(true)).load.id, "LOAD-SOFT-DELETE");
        assert_eq!(with_deletes(kind, Some(false)).load.id, "LOAD-MERGE");
        for given in [true, false] {
            assert!(with_deletes(kind, Some(given)).questions.is_empty());
        }
    }
    // Reference data: "no" leads on to the row count, which is asked too.
    let out = design(base(
        json!({"system": "erp", "kind": "files"}),
        json!({"system": "snowflake", "table": "ref_country", "data_kind": "reference", "merge_keys": ["code"]}),
    ));
    assert_eq!(
        answers(question(&out.questions, "SRC-Q-DELETES")),
        [
            ("yes", "load soft_delete (LOAD-SOFT-DELETE)"),
            ("no", "then SRC-Q-ROWS")
        ]
    );
    assert!(
        question(&out.questions, "SRC-Q-ROWS").answers[0]
            .decision
            .contains("LOAD-TRUNCATE-RELOAD")
    );
    // Append-only rows have nothing to mark deleted: never asked, the load stays an append,
    // and an explicit `true` the load cannot honour is said (TRAP-DELETES-IMMUTABLE).
    for kind in ["event", "immutable_fact"] {
        for given in [None, Some(true), Some(false)] {
            let out = with_deletes(kind, given);
            assert_eq!(out.load.id, "LOAD-APPEND", "{kind} {given:?}");
            assert!(
                !out.questions.iter().any(|q| q.id == "SRC-Q-DELETES"),
                "{:?}",
                out.questions
            );
            assert_eq!(
                out.findings
                    .iter()
                    .any(|f| f.id == "TRAP-DELETES-IMMUTABLE"),
                given == Some(true),
                "{kind} {given:?}: {:?}",
                out.findings
            );
        }
    }
    for kind in ["mutable_fact", "dimension"] {
        for given in [None, Some(true), Some(false)] {
            let out = with_deletes(kind, given);
            assert!(
                !out.findings
                    .iter()
                    .any(|f| f.id == "TRAP-DELETES-IMMUTABLE")
            );
        }
    }
}

fn review(v: Value) -> dana::domain::costs::CostReview {
    let p: dana::domain::costs::ReviewCostsParams = serde_json::from_value(v).expect("params");
    dana::domain::costs::review(&books().optimization, &p).expect("review")
}

#[test]
fn missing_business_value_is_asked_and_never_ranks_retirement_first() {
    let out = review(json!({
        "pipelines": [
            {"name": "orders", "compute_usd": 2000, "storage_usd": 300, "business_value": "revenue reporting", "largest_full_scan_gb": 3000},
            {"name": "mystery_sync", "compute_usd": 900, "storage_usd": 100}
        ],
        "tables": [{"name": "fct_orders", "days_since_last_query": 1, "storage_usd": 50}]
    }));
    assert!(
        !out.red_flags.iter().any(|f| f.id == "COST-NO-VALUE"),
        "{:?}",
        out.red_flags
    );
    assert!(
        !out.opportunities
            .iter()
            .any(|o| o.strategy == "SAVE-ELIMINATE")
    );
    assert_eq!(out.opportunities[0].subject, "orders");
    let q = question(&out.questions, "COST-Q-VALUE");
    assert_eq!(q.field, "pipelines[1].business_value");
    assert_eq!(q.answers[0].answer, "none");
    assert!(q.answers[0].decision.contains("SAVE-ELIMINATE"), "{q:?}");
    assert!(q.answers[0].decision.contains("900-1000"), "{q:?}");
    // Answered `none`: now it is a red flag with its saving.
    let out = review(json!({
        "pipelines": [{"name": "mystery_sync", "compute_usd": 900, "storage_usd": 100, "business_value": "none"}]
    }));
    assert!(out.red_flags.iter().any(|f| f.id == "COST-NO-VALUE"));
    assert_eq!(out.opportunities[0].strategy, "SAVE-ELIMINATE");
    assert!(out.questions.is_empty());
}

#[test]
fn capacity_unknown_is_asked_and_savings_never_exceed_the_cost() {
    let out = review(json!({
        "pipelines": [{"name": "nightly", "compute_usd": 1000, "storage_usd": 200, "business_value": "finance", "workload": "batch"}]
    }));
    let q = question(&out.questions, "COST-Q-CAPACITY");
    assert_eq!(
        answers(q),
        [
            ("on_demand", "SAVE-SPOT: about 600-800 USD/month"),
            ("spot", "no capacity saving"),
            ("reserved", "no capacity saving")
        ]
    );
    // Every flag at once on one pipeline: the savings compound on what is left.
    let out = review(json!({
        "pipelines": [
            {"name": "big", "compute_usd": 5000, "storage_usd": 2000, "egress_usd": 500, "rows_processed": 1.0e9,
             "previous_cost_per_row": 1.0e-6, "business_value": "clickstream analytics", "largest_full_scan_gb": 5000, "compressed": false,
             "cross_region": true, "workload": "batch", "capacity": "on_demand", "tiered_storage": false},
            {"name": "small", "compute_usd": 100, "business_value": "ops"}
        ],
        "tables": [{"name": "big_archive", "days_since_last_query": 90, "storage_usd": 2000}]
    }));
    let on_big: Vec<_> = out
        .opportunities
        .iter()
        .filter(|o| o.subject == "big")
        .collect();
    assert!(on_big.len() >= 6, "{on_big:?}");
    let high: f64 = on_big.iter().map(|o| o.savings_high_usd).sum();
    let low: f64 = on_big.iter().map(|o| o.savings_low_usd).sum();
    assert!(
        high <= 7500.0 + 0.05,
        "savings {high} exceed the 7,500 USD the pipeline costs"
    );
    assert!(low <= high);
    for o in &on_big {
        assert!(o.savings_low_usd <= o.savings_high_usd, "{o:?}");
    }
    assert_ranked_by_saving(&out.opportunities);
}

fn monitoring(v: Value) -> dana::domain::monitoring::Monitoring {
    let p: dana::domain::monitoring::GenerateMonitoringParams =
        serde_json::from_value(v).expect("params");
    dana::domain::monitoring::generate(&books().operations, &p).expect("monitoring")
}

#[test]
fn alerts_route_by_severity_and_a_p3_never_pages() {
    let out = monitoring(json!({
        "pipeline": {"name": "payments", "table": "fct_payments", "source_kind": "database", "tier": 1,
                     "alert_channels": ["pagerduty:data-oncall", "#data-alerts", "jira:DATA", "data-team@example.com"]},
        "dialect": "postgres", "timestamp_column": "loaded_at", "freshness_hours": 2
    }));
    let route = |sev: &str| -> Vec<String> {
        out.routing
            .iter()
            .find(|r| r.severity == sev)
            .expect("severity")
            .channels
            .clone()
    };
    assert_eq!(
        route("P0"),
        ["pagerduty:data-oncall", "#data-alerts", "jira:DATA"]
    );
    assert_eq!(route("P1"), ["#data-alerts", "jira:DATA"]);
    assert_eq!(route("P2"), ["jira:DATA"]);
    assert_eq!(route("P3"), ["jira:DATA", "data-team@example.com"]);
    // Whatever the playbook says, only P0 reaches a pager.
    for r in &out.routing {
        assert_eq!(
            r.channels.iter().any(|c| c.starts_with("pagerduty")),
            r.severity == "P0",
            "{r:?}"
        );
    }
    assert!(out.questions.is_empty(), "{:?}", out.questions);
    // An unrecognised channel is asked about, not sent everything.
    let out = monitoring(json!({
        "pipeline": {"name": "payments", "table": "fct_payments", "source_kind": "database", "tier": 2,
                     "alert_channels": ["data-oncall"]},
        "dialect": "postgres", "timestamp_column": "loaded_at", "freshness_minutes": 60
    }));
    assert!(out.routing.iter().all(|r| r.channels.is_empty()));
    let q = question(&out.questions, "MON-Q-CHANNEL");
    assert_eq!(q.answers[0].answer, "page");
    assert!(q.answers[0].decision.ends_with("receives P0"), "{q:?}");
}

#[test]
fn freshness_in_minutes_and_lag_for_streams() {
    let out = monitoring(json!({
        "pipeline": {"name": "clicks", "table": "clicks", "source_kind": "stream", "tier": 2, "alert_channels": ["#data"]},
        "dialect": "postgres", "timestamp_column": "event_at", "freshness_minutes": 5
    }));
    let fresh = out
        .metrics
        .iter()
        .find(|m| m.id == "MON-FRESHNESS")
        .expect("freshness");
    assert_eq!(fresh.alert, "> 5 min");
    let lag = out
        .metrics
        .iter()
        .find(|m| m.id == "MON-CONSUMER-LAG")
        .expect("consumer lag");
    assert!(lag.alert.contains("5 min"), "{lag:?}");
    let sql = &out.monitors[0].sql;
    assert!(
        sql.contains("5 MINUTE") || sql.contains("'5 minute") || sql.contains("MINUTE"),
        "{sql}"
    );
    // A fraction of an hour is accepted when it is whole minutes; otherwise refused clearly.
    let out = monitoring(json!({
        "pipeline": {"name": "clicks", "table": "clicks", "source_kind": "stream", "tier": 2},
        "dialect": "postgres", "timestamp_column": "event_at", "freshness_hours": 0.25
    }));
    assert_eq!(
        out.metrics
            .iter()
            .find(|m| m.id == "MON-FRESHNESS")
            .expect("f")
            .alert,
        "> 15 min"
    );
    for (args, field) in [
        (json!({"freshness_hours": 0.1234}), "freshness_hours"),
        (json!({"freshness_hours": 0.001}), "freshness_hours"),
        (json!({"freshness_minutes": 0}), "freshness_minutes"),
        (
            json!({"freshness_minutes": 5, "freshness_hours": 1}),
            "freshness_minutes",
        ),
    ] {
        let mut v = json!({"pipeline": {"name": "c", "table": "c", "tier": 2}, "dialect": "postgres", "timestamp_column": "t"});
        for (k, x) in args.as_object().expect("obj") {
            v[k] = x.clone();
        }
        let p: dana::domain::monitoring::GenerateMonitoringParams =
            serde_json::from_value(v).expect("params");
        let err = dana::domain::monitoring::generate(&books().operations, &p).expect_err("refused");
        assert!(err.to_string().starts_with(field), "{err}");
    }
    // Non-stream pipelines get no lag metric; an unknown source kind is asked.
    let out = monitoring(json!({
        "pipeline": {"name": "orders", "table": "orders", "alert_channels": ["#data"]},
        "dialect": "postgres", "timestamp_column": "loaded_at", "freshness_hours": 1
    }));
    assert!(!out.metrics.iter().any(|m| m.id == "MON-CONSUMER-LAG"));
    let q = question(&out.questions, "MON-Q-SOURCE-KIND");
    assert_eq!(
        q.answers[0],
        dana::domain::architecture::AnswerDecision {
            answer: "stream".into(),
            decision: "adds MON-CONSUMER-LAG".into()
        }
    );
    let q = question(&out.questions, "MON-Q-TIER");
    assert_eq!(
        answers(q),
        [
            ("1", "failed run P1, stale data P1"),
            ("2", "failed run P2, stale data P2"),
            ("3", "failed run P2, stale data P3")
        ]
    );
}

#[test]
fn a_missing_freshness_sla_is_asked_and_everything_else_is_produced() {
    let given = monitoring(json!({
        "pipeline": {"name": "clicks", "table": "clicks", "source_kind": "stream", "tier": 1, "alert_channels": ["#data"]},
        "dialect": "postgres", "timestamp_column": "event_at", "freshness_minutes": 60
    }));
    let out = monitoring(json!({
        "pipeline": {"name": "clicks", "table": "clicks", "source_kind": "stream", "tier": 1, "alert_channels": ["#data"]},
        "dialect": "postgres", "timestamp_column": "event_at"
    }));
    assert_asked(
        &out.questions,
        "MON-Q-FRESHNESS",
        "freshness_minutes",
        &[
            (
                "15 min",
                "MON-FRESHNESS alerts when the newest `event_at` is older than 15 min, with its monitor SQL",
            ),
            (
                "60 min",
                "MON-FRESHNESS alerts when the newest `event_at` is older than 1 h, with its monitor SQL",
            ),
            (
                "1440 min",
                "MON-FRESHNESS alerts when the newest `event_at` is older than 24 h, with its monitor SQL",
            ),
        ],
    );
    assert_eq!(out.questions.len(), 1, "{:?}", out.questions);
    // No threshold is invented: the freshness metrics point at the question, and only the
    // freshness monitor waits for it.
    for id in ["MON-FRESHNESS", "MON-CONSUMER-LAG"] {
        let m = out.metrics.iter().find(|m| m.id == id).expect("metric");
        assert!(
            m.alert.contains("the freshness SLA (MON-Q-FRESHNESS)"),
            "{m:?}"
        );
    }
    let monitors: Vec<&str> = out.monitors.iter().map(|m| m.metric.as_str()).collect();
    assert_eq!(monitors, ["MON-VOLUME"]);
    assert_eq!(out.monitors[0].sql, given.monitors[1].sql);
    // Everything else is what the answered call produces.
    let ids = |m: &dana::domain::monitoring::Monitoring| -> Vec<String> {
        m.metrics
            .iter()
            .map(|x| format!("{} {}", x.id, x.severity))
            .collect()
    };
    assert_eq!(ids(&out), ids(&given));
    assert_eq!(
        serde_json::to_value(&out.routing).expect("routing"),
        serde_json::to_value(&given.routing).expect("routing")
    );
    assert_eq!(out.run_log_schema, given.run_log_schema);
    assert!(given.questions.is_empty(), "{:?}", given.questions);
}
