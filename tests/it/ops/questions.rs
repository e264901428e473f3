//! Questions instead of assumptions: an omitted fact that changes a decision comes back
//! as a structured question with the decision under each answer (pipeline design, costs,
//! monitoring), and source-kind-appropriate advice.

use dana::domain::architecture::OpenQuestion;
use dana::domain::pipeline::{self, DesignPipelineParams, PipelineDesign};
use serde_json::{Value, json};

use super::books;

fn design(v: Value) -> PipelineDesign {
    let p: DesignPipelineParams = serde_json::from_value(v).expect("params");
    pipeline::design(&books().pipeline, &p).expect("design")
}

fn answers(q: &OpenQuestion) -> Vec<(&str, &str)> {
    q.answers
        .iter()
        .map(|a| (a.answer.as_str(), a.decision.as_str()))
        .collect()
}

fn question<'a>(qs: &'a [OpenQuestion], id: &str) -> &'a OpenQuestion {
    qs.iter()
        .find(|q| q.id == id)
        .unwrap_or_else(|| panic!("question {id} in {qs:?}"))
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

const ORDERS: &str = r#"{"system": "snowflake", "table": "fct_orders", "data_kind": "mutable_fact", "merge_keys": ["order_id"]}"#;

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
    let q = question(&out.questions, "SRC-Q-CDC");
    assert_eq!(q.field, "source.supports_cdc");
    assert_eq!(
        answers(q),
        [
            ("yes", "extraction cdc (EXT-CDC)"),
            ("no", "extraction full (EXT-FULL)")
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
        json!({"system": "orders_pg", "kind": "database", "rows": 80_000_000, "supports_cdc": false}),
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
        json!({"system": "erp", "kind": "database", "supports_cdc": false}),
        json!({"system": "snowflake", "table": "ref_country", "data_kind": "reference", "merge_keys": ["code"]}),
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
        json!({"system": "erp", "kind": "database", "supports_cdc": false, "rows": 250}),
        json!({"system": "snowflake", "table": "ref_country", "data_kind": "reference", "merge_keys": ["code"]}),
    ));
    assert_eq!(out.load.id, "LOAD-TRUNCATE-RELOAD");
    assert!(out.questions.is_empty(), "{:?}", out.questions);
}
