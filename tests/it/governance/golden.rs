//! Golden files of the governance generators and templates (review the .snap files by eye).

use serde_json::json;

use super::retail;
use crate::common::Harness;

async fn rendered(h: &Harness, tool: &str, args: serde_json::Value) -> String {
    let server = dana::server::DanaServer::new(h.app.clone(), None).expect("server");
    let outcome = server.call_detached(tool, args).await.expect("call");
    outcome.rendered.expect("markdown rendering")
}

#[tokio::test]
async fn golden_outputs() {
    let h = Harness::new().await;
    let contract = h
        .ok(
            "generate_data_contract",
            json!({"table": {"spec": retail()[0]}, "owner": "team-commerce", "consumers": ["finance-bi"], "version": "2.1.0", "policy": "notify-30-days", "notification_channel": "#data-contracts", "domain": "sales", "sla": {"freshness_hours": 6, "freshness_column": "loaded_at"}}),
        )
        .await;
    insta::assert_snapshot!(
        "contract_fct_orders_yaml",
        contract["yaml"].as_str().expect("yaml")
    );

    let old = json!({"name": "orders", "columns": [
        {"name": "order_id", "type": "bigint", "nullable": false},
        {"name": "email_address", "type": "varchar(255)"},
        {"name": "status", "type": "varchar(20)", "enum_values": ["placed", "shipped", "cancelled"]},
        {"name": "qty", "type": "int"},
        {"name": "note", "type": "varchar(100)"}
    ], "primary_key": ["order_id"]});
    let new = json!({"name": "orders", "columns": [
        {"name": "order_id", "type": "bigint", "nullable": false},
        {"name": "email", "type": "varchar(255)"},
        {"name": "status", "type": "varchar(20)", "enum_values": ["placed", "shipped", "held"]},
        {"name": "qty", "type": "bigint"},
        {"name": "note", "type": "varchar(50)", "nullable": false},
        {"name": "coupon", "type": "text"}
    ], "primary_key": ["order_id"]});
    let md = rendered(
        &h,
        "diff_schemas",
        json!({"old": {"spec": old}, "new": {"spec": new}, "policy": "never-break"}),
    )
    .await;
    insta::assert_snapshot!("diff_orders_md", md);

    let spec = json!({"name": "contacts", "primary_key": ["contact_id"], "columns": [
        {"name": "contact_id", "type": "integer", "nullable": false},
        {"name": "email", "type": "text"},
        {"name": "phone", "type": "text"},
        {"name": "card_number", "type": "text"},
        {"name": "note", "type": "text"},
        {"name": "email_opt_in", "type": "boolean"}
    ]});
    let samples = json!({
        "email": ["ana@example.com", "bo@example.org", "cy@example.net", "di@example.com", "ed@example.com"],
        "phone": ["+1 555 010 1000", "+1 555 010 1001", "+1 555 010 1002", "+1 555 010 1003", "+1 555 010 1004"],
        "card_number": ["4111111111111111", "5500000000000004", "340000000000009", "6011000000000004", "4012888888881881"],
        "note": ["call me", "mail ana@example.com", "ok", "fine", "later"]
    });
    let md = rendered(
        &h,
        "classify_data",
        json!({"table": {"spec": spec}, "samples": samples, "downstream": ["mrt_contacts"]}),
    )
    .await;
    insta::assert_snapshot!("classification_contacts_md", md);

    let entry = h
        .ok("generate_catalog_entry", json!({"table": {"spec": retail()[1]}, "facts": {"owner_team": "crm", "schedule": "daily 02:00 UTC"}}))
        .await;
    insta::assert_snapshot!(
        "catalog_dim_customers_yaml",
        entry["yaml"].as_str().expect("yaml")
    );
}
