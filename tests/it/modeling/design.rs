//! The three modeling tools through the MCP harness: findings with stable IDs, refusals
//! with clear messages, dialect aliases, and the `model_domain` prompt.

use rmcp::model::GetPromptRequestParams;
use serde_json::{Value, json};

use crate::common::Harness;

fn retail_json() -> Value {
    serde_json::from_str(include_str!("fixtures/retail.json")).expect("fixture")
}

fn ids(findings: &Value) -> Vec<String> {
    findings
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|f| f["id"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn retail_designs_cleanly_with_erd_and_normalized_tables() {
    let h = Harness::new().await;
    let out = h
        .ok(
            "design_dimensional_model",
            json!({ "model": retail_json() }),
        )
        .await;
    assert_eq!(out["summary"]["errors"], 0, "{}", out["findings"]);
    assert_eq!(out["summary"]["facts"], 1);
    assert_eq!(out["summary"]["dimensions"], 4);
    let tables: Vec<&str> = out["model"]["tables"]
        .as_array()
        .expect("tables")
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    assert_eq!(
        tables,
        [
            "dim_dates",
            "dim_customers",
            "dim_products",
            "dim_stores",
            "fct_orders"
        ]
    );
    let customers = &out["model"]["tables"][1];
    let columns: Vec<&str> = customers["columns"]
        .as_array()
        .expect("columns")
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect();
    for wanted in [
        "customer_key",
        "customer_id",
        "previous_loyalty_tier",
        "valid_from",
        "valid_to",
        "is_current",
    ] {
        assert!(
            columns.contains(&wanted),
            "{wanted} missing from {columns:?}"
        );
    }
    let erd = out["erd"].as_str().expect("erd");
    assert!(erd.starts_with("erDiagram"), "{erd}");
    assert!(
        erd.contains("dim_customers ||--o{ fct_orders : \"customer_key\""),
        "{erd}"
    );
    assert!(erd.contains("bigint customer_key PK"), "{erd}");
}

#[tokio::test]
async fn a_flawed_model_gets_each_finding_by_id() {
    let h = Harness::new().await;
    let model = json!({
        "name": "sales",
        "dimensions": [
            { "name": "dim_customers", "scd_type": 2,
              "natural_key": [{ "name": "customer_id", "type": "string(20)" }],
              "attributes": [
                  { "name": "active", "type": "boolean", "scd_type": 1 },
                  { "name": "created", "type": "timestamp", "scd_type": 1 }
              ],
              "hierarchies": [{ "name": "geo", "levels": ["country"] }] },
            { "name": "regions", "natural_key": [], "attributes": [{ "name": "region_name", "type": "string" }] }
        ],
        "facts": [
            { "name": "orders",
              "foreign_keys": [{ "dimension": "dim_customers" }, { "dimension": "dim_missing" }],
              "measures": [
                  { "name": "unit_price", "type": "decimal(10,2)", "additivity": "non_additive", "aggregation": "sum" },
                  { "name": "balance_amount", "type": "decimal(10,2)", "additivity": "semi_additive", "aggregation": "sum" },
                  { "name": "quantity", "type": "integer", "additivity": "additive", "aggregation": "sum" }
              ],
              "physical": { "partition_by": "customer_key", "cluster_by": ["nope"] } },
            { "name": "fct_visits", "grain": "visit data", "foreign_keys": [{ "dimension": "dim_customers" }] },
            { "name": "fct_empty", "grain": "One row per nothing at all really" }
        ],
        "bus_matrix": [{ "process": "ordering", "fact": "fct_visits", "dimensions": ["dim_customers", "regions", "dim_ghost"] }]
    });
    let out = h
        .ok("design_dimensional_model", json!({ "model": model }))
        .await;
    let found = ids(&out["findings"]);
    for wanted in [
        "MOD-GRAIN-MISSING",
        "MOD-GRAIN-VAGUE",
        "MOD-MEASURE-NONADDITIVE-SUMMED",
        "MOD-MEASURE-SEMIADDITIVE-SUMMED",
        "MOD-FK-UNKNOWN-DIMENSION",
        "MOD-NATURAL-KEY-MISSING",
        "MOD-SCD2-UNTRACKED",
        "MOD-HINT-COLUMN",
        "MOD-PARTITION-KEY-COLUMN",
        "MOD-FACT-NO-MEASURES",
        "MOD-HIERARCHY-LEVEL",
        "MOD-BUS-UNKNOWN-TABLE",
        "MOD-BUS-MISMATCH",
        "MOD-NO-UNKNOWN-MEMBER",
        "MOD-TABLE-NO-COLUMNS",
        "MOD-FACT-NO-DIMENSIONS",
        "NAME-LAYER-FCT",
        "NAME-LAYER-DIM",
        "NAME-COL-BOOL",
        "NAME-COL-TIMESTAMP",
        "NAME-COL-COUNT",
    ] {
        assert!(
            found.iter().any(|f| f == wanted),
            "{wanted} not in {found:?}"
        );
    }
    // The retail model has none of the naming problems.
    let clean = h
        .ok(
            "design_dimensional_model",
            json!({ "model": retail_json() }),
        )
        .await;
    let clean_ids = ids(&clean["findings"]);
    assert!(
        clean_ids.iter().all(|id| !id.starts_with("NAME-")),
        "{clean_ids:?}"
    );
    // Errors sort first and carry the blocking flag from the playbook.
    assert_eq!(out["findings"][0]["severity"], "error");
    let unknown = out["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|f| f["id"] == "MOD-FK-UNKNOWN-DIMENSION")
        .cloned()
        .unwrap_or_default();
    assert_eq!(unknown["blocks_ddl"], true);
    assert!(
        unknown["message"]
            .as_str()
            .unwrap_or_default()
            .contains("`dim_missing`"),
        "{unknown}"
    );

    // generate_ddl refuses the model and names what blocks it.
    let err = h
        .err(
            "generate_ddl",
            json!({ "model": model, "dialect": "postgres" }),
        )
        .await;
    assert!(
        err.contains("MOD-FK-UNKNOWN-DIMENSION") && err.contains("dim_missing"),
        "{err}"
    );
}

#[tokio::test]
async fn ddl_and_scd_tools_accept_aliases_and_reject_bad_input() {
    let h = Harness::new().await;
    for alias in ["pg", "PostgreSQL", "mariadb", "spark", "bq", "sqlite3"] {
        let out = h
            .ok(
                "generate_ddl",
                json!({ "model": retail_json(), "dialect": alias }),
            )
            .await;
        assert!(
            out["statements"][0]["sql"]
                .as_str()
                .unwrap_or_default()
                .contains("CREATE TABLE"),
            "{alias}"
        );
        assert!(out["statements"].as_array().is_some_and(|s| s.len() > 5));
    }
    let err = h
        .err(
            "generate_ddl",
            json!({ "model": retail_json(), "dialect": "oracle" }),
        )
        .await;
    assert!(
        err.contains("`oracle`") && err.contains("`postgres`") && err.contains("`mariadb`"),
        "{err}"
    );
    let err = h
        .err("generate_ddl", json!({ "model": retail_json() }))
        .await;
    assert!(err.contains("dialect: required"), "{err}");
    let mut bad = retail_json();
    bad["dimensions"][0]["scd_type"] = json!(5);
    let err = h
        .err(
            "generate_ddl",
            json!({ "model": bad, "dialect": "postgres" }),
        )
        .await;
    assert!(
        err.contains("dimensions[0].scd_type") && err.contains("`5`"),
        "{err}"
    );
    let mut bad = retail_json();
    bad["facts"][0]["measures"][0]["type"] = json!("money");
    let err = h
        .err(
            "generate_ddl",
            json!({ "model": bad, "dialect": "postgres" }),
        )
        .await;
    assert!(
        err.contains("model")
            && err.contains("facts[0].measures[0].type")
            && err.contains("`money`"),
        "{err}"
    );
    let err = h
        .err(
            "generate_ddl",
            json!({ "model": retail_json(), "dialect": "postgres", "colour": 1 }),
        )
        .await;
    assert!(err.contains("colour"), "{err}");

    let dimension = retail_json()["dimensions"][1].clone();
    let out = h
        .ok("generate_scd_merge", json!({ "dimension": dimension, "dialect": "snowflake", "staging_table": "stg_customers", "schema": "analytics" }))
        .await;
    assert_eq!(out["strategy"], "type2");
    assert_eq!(out["statements"].as_array().map(Vec::len), Some(4));
    assert!(
        out["staging_columns"]
            .as_array()
            .is_some_and(|c| c.iter().any(|x| x == "name"))
    );
    let err = h.err("generate_scd_merge", json!({ "dimension": dimension, "dialect": "postgres", "staging_table": "a\"; DROP TABLE x; --\u{0}" })).await;
    assert!(
        err.contains("staging_table") && err.contains("NUL"),
        "{err}"
    );
}

#[tokio::test]
async fn model_domain_prompt_walks_the_workflow() {
    let h = Harness::new().await;
    let mut args = serde_json::Map::new();
    args.insert("domain".into(), json!("retail orders"));
    args.insert("dialect".into(), json!("snowflake"));
    let result = h
        .client
        .get_prompt(GetPromptRequestParams::new("model_domain").with_arguments(args))
        .await
        .expect("prompt");
    let text = serde_json::to_string(&result.messages).expect("json");
    for wanted in [
        "retail orders",
        "design_dimensional_model",
        "generate_ddl",
        "generate_scd_merge",
        "fct_<business_process>",
        "is_active",
        "dialect: \\\"snowflake\\\"",
        "model.needs",
        "MOD-METHOD-CHOICE",
        "MOD-METHOD-QUESTION",
        "Data Vault",
        "kind: hub",
    ] {
        assert!(text.contains(wanted), "{wanted} not in {text}");
    }
    let missing = h
        .client
        .get_prompt(GetPromptRequestParams::new("model_domain"))
        .await;
    assert!(missing.is_err());
}

#[tokio::test]
async fn modeling_tools_stay_small_in_tools_list() {
    let h = Harness::new().await;
    let tools = h.client.list_all_tools().await.expect("tools");
    let mut total = 0;
    for name in [
        "design_dimensional_model",
        "generate_ddl",
        "generate_scd_merge",
    ] {
        let tool = tools
            .iter()
            .find(|t| t.name == name)
            .unwrap_or_else(|| panic!("{name} listed"));
        assert!(tool.output_schema.is_some(), "{name} has an output schema");
        total += serde_json::to_string(tool).expect("json").len();
    }
    // The whole tools/list must stay near 40 KB for ~30 tools; these three carry the
    // full model schema once (in design_dimensional_model) and refer to it elsewhere.
    assert!(
        total < 16_000,
        "modeling tools take {total} bytes of tools/list"
    );
}

/// The documented chain over MCP: the normalized model `design_dimensional_model` returns
/// goes as-is to `generate_ddl` (same DDL as from the spec), and each of its dimension
/// tables as-is to `generate_scd_merge`.
#[tokio::test]
async fn design_output_feeds_generate_ddl_and_scd_merge_as_is() {
    let h = Harness::new().await;
    let design = h
        .ok(
            "design_dimensional_model",
            json!({ "model": retail_json() }),
        )
        .await;
    let normalized = design["model"].clone();
    let from_design = h
        .ok(
            "generate_ddl",
            json!({ "model": normalized, "dialect": "postgres" }),
        )
        .await;
    let from_spec = h
        .ok(
            "generate_ddl",
            json!({ "model": retail_json(), "dialect": "postgres" }),
        )
        .await;
    assert_eq!(from_design["statements"], from_spec["statements"]);
    let tables = normalized["tables"].as_array().cloned().unwrap_or_default();
    let dims: Vec<&Value> = tables.iter().filter(|t| t["kind"] == "dimension").collect();
    assert!(!dims.is_empty());
    for dim in dims {
        h.ok(
            "generate_scd_merge",
            json!({ "dimension": dim, "staging_table": "stg_x", "dialect": "duckdb" }),
        )
        .await;
    }
    let fact = tables.iter().find(|t| t["kind"] == "fact").cloned();
    let err = h
        .err(
            "generate_scd_merge",
            json!({ "dimension": fact, "staging_table": "stg_x", "dialect": "duckdb" }),
        )
        .await;
    assert!(err.contains("dimension") && err.contains("fact"), "{err}");
}
