//! Catalog entries: filled from the schema, contract, classification and given facts;
//! missing facts come back as questions, never invented; the YAML follows the template.

use serde_json::{Value, json};

use super::retail;
use crate::common::Harness;

#[tokio::test]
async fn unknown_facts_become_questions() {
    let h = Harness::new().await;
    let entry = h
        .ok(
            "generate_catalog_entry",
            json!({"table": {"spec": retail()[1]}}),
        )
        .await;
    let d = &dataset(&entry);
    assert_eq!(d["name"], "dim_customers");
    assert_eq!(d["description"], "One row per customer version (SCD2).");
    assert_eq!(d["tier"], "gold", "from the dim_ prefix");
    assert_eq!(d["owner_team"], Value::Null);
    assert_eq!(d["access"]["classification"], "confidential");
    assert_eq!(
        d["access"]["pii_columns"],
        json!(["email", "full_name", "phone_number", "birth_date"])
    );
    let asked: Vec<&str> = entry["questions"]
        .as_array()
        .expect("questions")
        .iter()
        .filter_map(|q| q["id"].as_str())
        .collect();
    for id in [
        "CAT-OWNER",
        "CAT-STEWARD",
        "CAT-DOMAIN",
        "CAT-LINEAGE-SOURCES",
        "CAT-REFRESH-SCHEDULE",
        "CAT-QUALITY-TESTS",
        "CAT-QUALITY-SCORE",
        "CAT-ACCESS-PROCESS",
        "CAT-USAGE-COST",
    ] {
        assert!(asked.contains(&id), "{id} not asked: {asked:?}");
    }
    for id in [
        "CAT-NAME",
        "CAT-DESCRIPTION",
        "CAT-TIER",
        "CAT-ACCESS-CLASS",
        "CAT-ACCESS-PII",
    ] {
        assert!(!asked.contains(&id), "{id} asked although known");
    }
    let yaml = entry["yaml"].as_str().expect("yaml");
    assert!(
        yaml.contains("  owner_team: none  # CAT-OWNER: Which team produces")
            || yaml.contains("  owner_team: null  # CAT-OWNER: Which team produces"),
        "{yaml}"
    );
    assert!(yaml.contains("  tier: \"gold\"\n"), "{yaml}");
    let parsed: Value = serde_norway::from_str(yaml).expect("catalog YAML parses");
    assert_eq!(parsed["dataset"]["access"]["pii_columns"][0], "email");
    assert_eq!(parsed["dataset"]["refresh"]["sla_hours"], Value::Null);
}

#[tokio::test]
async fn given_facts_and_contract_fill_the_entry() {
    let h = Harness::new().await;
    let contract = h
        .ok(
            "generate_data_contract",
            json!({"table": {"spec": retail()[0]}, "owner": "team-commerce", "consumers": ["finance-bi"], "domain": "sales", "sla": {"freshness_hours": 6}}),
        )
        .await;
    let entry = h
        .ok(
            "generate_catalog_entry",
            json!({
                "table": {"contract": contract["yaml"]},
                "facts": {"steward": "Ana Lima", "sources": ["shop.orders", "shop.order_lines"], "schedule": "hourly", "last_score": 92, "tier": "gold"}
            }),
        )
        .await;
    let d = &dataset(&entry);
    assert_eq!(d["owner_team"], "team-commerce");
    assert_eq!(d["domain"], "sales");
    assert_eq!(d["lineage"]["downstream"], json!(["finance-bi"]));
    assert_eq!(d["refresh"]["sla_hours"], 6.0);
    assert_eq!(d["quality"]["last_score"], 92.0);
    let tests = d["quality"]["tests"].as_array().expect("tests");
    assert!(
        tests.iter().any(|t| t == "fct_orders_row_count"),
        "{tests:?}"
    );
    let filled = entry["filled"].to_string();
    assert!(
        filled.contains("{\"from\":\"contract\",\"path\":\"owner_team\"}")
            || filled.contains("\"path\":\"owner_team\",\"from\":\"contract\""),
        "{filled}"
    );
    let asked: Vec<&str> = entry["questions"]
        .as_array()
        .expect("questions")
        .iter()
        .filter_map(|q| q["id"].as_str())
        .collect();
    assert!(
        !asked.contains(&"CAT-OWNER")
            && !asked.contains(&"CAT-STEWARD")
            && asked.contains(&"CAT-LINEAGE-TRANSFORMS"),
        "{asked:?}"
    );

    let err = h
        .err(
            "generate_catalog_entry",
            json!({"table": {"spec": retail()[0]}, "facts": {"tier": "platinum"}}),
        )
        .await;
    assert!(
        err.contains("facts.tier: unknown `platinum`; allowed: gold, silver, bronze"),
        "{err}"
    );
}

/// The dataset of a `generate_catalog_entry` answer (given once, as YAML).
pub fn dataset(entry: &Value) -> Value {
    let yaml = entry["yaml"].as_str().expect("yaml");
    let parsed: Value = serde_norway::from_str(yaml).expect("catalog YAML parses");
    parsed["dataset"].clone()
}
