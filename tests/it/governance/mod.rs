//! Governance: data contracts validated by the ODCS package, schema diffs (a table of
//! hand-classified cases and the CI exit codes), PII classification on seeded SQLite and
//! PostgreSQL tables with precision and recall, catalog entries, and bad input.

mod catalog;
mod classify;
mod contracts;
mod diff_cases;
mod golden;
mod masking;
mod public_sample;

use std::sync::Arc;

use dana::App;
use serde_json::{Value, json};

use crate::common::Harness;

/// A harness whose workspace has `dana_toml` (and any files the test put in `dir`).
pub async fn harness_in(dir: tempfile::TempDir, dana_toml: &str) -> Harness {
    std::fs::write(dir.path().join("dana.toml"), dana_toml).expect("write dana.toml");
    let store = dana::store::Store::open_sqlite(&dir.path().join("state.db"))
        .await
        .expect("sqlite store");
    let app: Arc<App> = App::with_store(dir.path(), store).expect("open app");
    Harness::start(dir, app, (), None).await
}

/// Creates a SQLite file and runs `script` on it (dana opens it read-only).
pub async fn sqlite_file(path: &std::path::Path, script: &str) {
    use sqlx::ConnectOptions;
    let mut conn = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .connect()
        .await
        .expect("create sqlite");
    sqlx::raw_sql(sqlx::AssertSqlSafe(script.to_string()))
        .execute(&mut conn)
        .await
        .expect("seed sqlite");
}

/// The retail model's tables as governance specs.
pub fn retail() -> Vec<Value> {
    vec![
        json!({
            "name": "fct_orders",
            "description": "One row per order line.",
            "primary_key": ["order_id", "line_number"],
            "columns": [
                {"name": "order_id", "type": "bigint", "nullable": false, "description": "Order number from the shop."},
                {"name": "line_number", "type": "integer", "nullable": false},
                {"name": "customer_key", "type": "bigint", "nullable": false, "references": "dim_customers.customer_key"},
                {"name": "product_key", "type": "bigint", "nullable": false, "references": "dim_products.product_key"},
                {"name": "store_key", "type": "integer", "nullable": false, "references": "dim_stores.store_key"},
                {"name": "order_date_key", "type": "integer", "nullable": false, "references": "dim_dates.date_key"},
                {"name": "quantity", "type": "integer", "nullable": false, "business_definition": "Units ordered on the line, before returns."},
                {"name": "net_amount", "type": "decimal(12,2)", "nullable": false, "business_definition": "Line revenue after discounts, before tax, in EUR."},
                {"name": "order_status", "type": "varchar(20)", "nullable": false, "enum_values": ["placed", "shipped", "delivered", "returned"]},
                {"name": "loaded_at", "type": "timestamp with time zone", "nullable": false}
            ]
        }),
        json!({
            "name": "dim_customers",
            "description": "One row per customer version (SCD2).",
            "primary_key": ["customer_key"],
            "columns": [
                {"name": "customer_key", "type": "bigint", "nullable": false},
                {"name": "customer_id", "type": "varchar(36)", "nullable": false, "unique": false},
                {"name": "email", "type": "varchar(255)", "nullable": true},
                {"name": "full_name", "type": "varchar(200)"},
                {"name": "phone_number", "type": "varchar(30)"},
                {"name": "birth_date", "type": "date"},
                {"name": "city", "type": "varchar(100)"},
                {"name": "segment", "type": "varchar(20)", "enum_values": ["consumer", "business"]},
                {"name": "valid_from", "type": "timestamp", "nullable": false},
                {"name": "valid_to", "type": "timestamp", "nullable": false},
                {"name": "is_current", "type": "boolean", "nullable": false}
            ]
        }),
        json!({
            "name": "dim_products",
            "primary_key": ["product_key"],
            "columns": [
                {"name": "product_key", "type": "bigint", "nullable": false},
                {"name": "sku", "type": "varchar(40)", "nullable": false, "unique": true},
                {"name": "product_name", "type": "varchar(200)", "nullable": false},
                {"name": "category", "type": "varchar(80)"},
                {"name": "list_price", "type": "decimal(10,2)"}
            ]
        }),
        json!({
            "name": "dim_stores",
            "primary_key": ["store_key"],
            "columns": [
                {"name": "store_key", "type": "integer", "nullable": false},
                {"name": "store_name", "type": "varchar(120)", "nullable": false},
                {"name": "region", "type": "varchar(60)"},
                {"name": "opened_on", "type": "date"}
            ]
        }),
        json!({
            "name": "dim_dates",
            "primary_key": ["date_key"],
            "columns": [
                {"name": "date_key", "type": "integer", "nullable": false},
                {"name": "calendar_date", "type": "date", "nullable": false, "unique": true},
                {"name": "day_of_week", "type": "smallint", "nullable": false},
                {"name": "is_weekend", "type": "boolean", "nullable": false}
            ]
        }),
    ]
}
