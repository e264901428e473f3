//! PII classification on a seeded table with known PII columns and decoys, on SQLite and
//! PostgreSQL: precision and recall of the column verdicts, masked evidence, no raw
//! sampled value in any output (structured or rendered), controls and deletion hints.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::{harness_in, sqlite_file};
use crate::common::{Harness, postgres_url, text, unique_name};

/// Columns of the seeded table that hold PII (ground truth, by hand).
const PII: &[&str] = &[
    "customer_email",
    "phone_number",
    "ssn",
    "card_number",
    "last_login_ip",
    "date_of_birth",
    "street_address",
    "full_name",
    "contact",
    "secondary_contact",
];

/// Columns that do not (decoys included).
const NOT_PII: &[&str] = &[
    "customer_id",
    "email_opt_in",
    "notes",
    "order_total",
    "created_at",
    "product_name",
    "status",
    "tracking_code",
    "card_type",
    "login_count",
];

const ROWS: &[[&str; 20]] = &[
    [
        "1",
        "amelie.roux@example.org",
        "+33 6 12 34 56 78",
        "123-45-6789",
        "4111 1111 1111 1111",
        "192.168.10.21",
        "1984-03-02",
        "12 Rue de Rivoli",
        "Amelie Roux",
        "amelie.r@mailbox.example",
        "+44 20 7946 0958",
        "1",
        "Call back after 5pm",
        "129.90",
        "2025-01-02 10:00:00",
        "Blue Widget",
        "enabled",
        "10000001",
        "visa",
        "17",
    ],
    [
        "2",
        "bjorn.falk@example.net",
        "(555) 010-4477",
        "234-56-7890",
        "5500-0000-0000-0004",
        "10.0.0.7",
        "1979-11-30",
        "221B Baker Street",
        "Bjorn Falk",
        "bjorn.falk@inbox.example",
        "+1 212 555 0188",
        "0",
        "Prefers email: bjorn.f@work.example",
        "45.00",
        "2025-01-03 11:00:00",
        "Red Gadget",
        "enabled",
        "10000002",
        "mastercard",
        "3",
    ],
    [
        "3",
        "chen.wei@example.com",
        "+86 10 6552 9988",
        "345-67-8901",
        "340000000000009",
        "172.16.4.9",
        "1990-06-15",
        "88 Queen Road",
        "Chen Wei",
        "chen.w@mailbox.example",
        "(555) 019-2231",
        "1",
        "Left parcel at the door",
        "310.10",
        "2025-01-04 12:00:00",
        "Green Gizmo",
        "lapsed",
        "10000003",
        "amex",
        "0",
    ],
    [
        "4",
        "dara.okafor@example.com",
        "+234 802 555 0199",
        "456-78-9012",
        "6011 0000 0000 0004",
        "203.0.113.5",
        "2001-09-09",
        "5 Marina Avenue",
        "Dara Okafor",
        "dara.o@inbox.example",
        "+49 30 901820",
        "0",
        "VIP, ship express",
        "12.99",
        "2025-01-05 13:00:00",
        "Yellow Thing",
        "frozen",
        "10000004",
        "dinersclub",
        "42",
    ],
    [
        "5",
        "elif.sahin@example.org",
        "+90 212 555 01 02",
        "567-89-0123",
        "4012 8888 8888 1881",
        "198.51.100.23",
        "1968-12-24",
        "17 Istiklal Street",
        "Elif Sahin",
        "elif.s@mailbox.example",
        "+90 216 555 0303",
        "1",
        "no notes",
        "78.40",
        "2025-01-06 14:00:00",
        "Purple Doohickey",
        "enabled",
        "10000005",
        "visa",
        "9",
    ],
    [
        "6",
        "farid.nasser@example.net",
        "+971 4 555 0100",
        "678-90-1234",
        "5105 1051 0510 5100",
        "100.64.2.2",
        "1995-04-01",
        "9 Palm Drive",
        "Farid Nasser",
        "farid.n@inbox.example",
        "+971 50 555 0111",
        "0",
        "asked to contact farid.home@private.example only",
        "5.00",
        "2025-01-07 15:00:00",
        "Orange Whatsit",
        "enabled",
        "10000006",
        "mastercard",
        "1",
    ],
];

const COLUMNS: [(&str, &str); 20] = [
    ("customer_id", "INTEGER PRIMARY KEY"),
    ("customer_email", "VARCHAR(255)"),
    ("phone_number", "VARCHAR(40)"),
    ("ssn", "VARCHAR(11)"),
    ("card_number", "VARCHAR(25)"),
    ("last_login_ip", "VARCHAR(45)"),
    ("date_of_birth", "DATE"),
    ("street_address", "VARCHAR(200)"),
    ("full_name", "VARCHAR(120)"),
    ("contact", "VARCHAR(120)"),
    ("secondary_contact", "VARCHAR(40)"),
    ("email_opt_in", "BOOLEAN"),
    ("notes", "TEXT"),
    ("order_total", "DECIMAL(10,2)"),
    ("created_at", "TIMESTAMP"),
    ("product_name", "VARCHAR(120)"),
    ("status", "VARCHAR(12)"),
    ("tracking_code", "VARCHAR(20)"),
    ("card_type", "VARCHAR(20)"),
    ("login_count", "INTEGER"),
];

fn seed_sql(boolean: fn(&str) -> &'static str) -> String {
    let cols: Vec<String> = COLUMNS.iter().map(|(n, t)| format!("{n} {t}")).collect();
    let mut sql = format!("CREATE TABLE customers ({});\n", cols.join(", "));
    for row in ROWS {
        let values: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(i, v)| match COLUMNS[i].1 {
                "INTEGER PRIMARY KEY" | "INTEGER" | "DECIMAL(10,2)" => (*v).to_string(),
                "BOOLEAN" => boolean(v).to_string(),
                _ => format!("'{}'", v.replace('\'', "''")),
            })
            .collect();
        sql.push_str(&format!(
            "INSERT INTO customers VALUES ({});\n",
            values.join(", ")
        ));
    }
    sql
}

/// Every sampled value that must never come back (booleans and small numbers excluded:
/// they occur in any JSON).
fn raw_values() -> Vec<&'static str> {
    ROWS.iter()
        .flat_map(|r| r.iter().copied())
        .filter(|v| v.len() >= 5 && v.parse::<f64>().is_err() || v.len() >= 8)
        .collect()
}

fn assert_no_raw_value(output: &str, what: &str) {
    for raw in raw_values() {
        assert!(
            !output.contains(raw),
            "{what} echoes the raw sampled value `{raw}`"
        );
    }
}

/// Precision and recall of the `pii` verdicts against the hand labels.
fn score(result: &Value) -> (f64, f64, Vec<String>) {
    let flagged: BTreeSet<&str> = result["pii_columns"]
        .as_array()
        .expect("pii_columns")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let truth: BTreeSet<&str> = PII.iter().copied().collect();
    let tp = flagged.intersection(&truth).count() as f64;
    let precision = if flagged.is_empty() {
        0.0
    } else {
        tp / flagged.len() as f64
    };
    let recall = tp / truth.len() as f64;
    let mut misses = Vec::new();
    for c in truth.difference(&flagged) {
        misses.push(format!("missed {c}"));
    }
    for c in flagged.difference(&truth) {
        misses.push(format!("false positive {c}"));
    }
    (precision, recall, misses)
}

async fn check(h: &Harness, datasource: &str, engine: &str) {
    let args = json!({
        "table": {"datasource": datasource, "table": "customers"},
        "downstream": ["mrt_customer_ltv"],
        "referenced_by": [{"table": "fct_orders", "column": "customer_id"}],
    });
    let raw = h.call("classify_data", args.clone()).await;
    assert_ne!(raw.is_error, Some(true), "{}", text(&raw));
    let result = raw.structured_content.clone().expect("structured");
    let all_columns: usize = result["columns"].as_array().map_or(0, Vec::len);
    assert_eq!(all_columns, PII.len() + NOT_PII.len());
    let (precision, recall, misses) = score(&result);
    eprintln!("PII on {engine}: precision {precision:.2}, recall {recall:.2} ({misses:?})");
    assert!(
        precision >= 0.99 && recall >= 0.99,
        "{engine}: precision {precision}, recall {recall}: {misses:?}"
    );

    // Nothing raw anywhere: structured content, text content, and the Markdown rendering.
    assert_no_raw_value(&result.to_string(), "structured result");
    assert_no_raw_value(&text(&raw), "text content");
    let outcome = h.app.clone();
    let md = dana::server::DanaServer::new(outcome, None)
        .expect("server")
        .call_detached("classify_data", args)
        .await
        .expect("call");
    let rendered = md.rendered.expect("markdown");
    assert!(
        rendered.contains("| customer_email | yes | email | confidential |"),
        "{rendered}"
    );
    assert_no_raw_value(&rendered, "markdown rendering");

    let col = |name: &str| -> Value {
        result["columns"]
            .as_array()
            .expect("columns")
            .iter()
            .find(|c| c["column"] == name)
            .cloned()
            .expect(name)
    };
    // Evidence is masked and says what was seen.
    let email = col("customer_email");
    assert_eq!(email["detections"][0]["basis"], "name_and_values");
    let evidence = email["detections"][0]["evidence"].to_string();
    assert!(
        evidence.contains("6/6 sampled values look like email"),
        "{evidence}"
    );
    assert!(evidence.contains("xxxxxx.xxxx@xxxxxxx.org"), "{evidence}");
    assert_eq!(col("card_number")["level"], "restricted");
    assert_eq!(col("ssn")["kind"], "national_id");
    assert_eq!(col("contact")["detections"][0]["basis"], "values");
    assert_eq!(col("contact")["kind"], "email");
    assert_eq!(col("secondary_contact")["kind"], "phone");
    assert_eq!(col("email_opt_in")["pii"], false);
    assert_eq!(col("tracking_code")["pii"], false);
    assert_eq!(col("notes")["pii"], false);
    // The decoys are explained.
    let warnings = result["warnings"].to_string();
    assert!(
        warnings.contains("notes")
            && warnings.contains("2/6 sampled values contain what looks like email"),
        "{warnings}"
    );
    assert!(
        !warnings.contains("email_opt_in"),
        "the opt-in flag is excluded by name: {warnings}"
    );
    // The table is restricted (SSN, cards) with the playbook's controls.
    assert_eq!(result["level"], "restricted");
    let controls: Vec<&str> = result["controls"]
        .as_array()
        .expect("controls")
        .iter()
        .filter_map(|c| c["id"].as_str())
        .collect();
    assert!(
        controls.contains(&"CTL-TOKENIZE")
            && controls.contains(&"CTL-AUDIT-EVERY")
            && controls.contains(&"CTL-RETENTION"),
        "{controls:?}"
    );
    // Right to delete follows the lineage.
    let deletion = &result["deletion"];
    assert_eq!(deletion["subject_keys"], json!(["customer_id"]));
    let targets: Vec<&str> = deletion["propagate_to"]
        .as_array()
        .expect("targets")
        .iter()
        .filter_map(|t| t["table"].as_str())
        .collect();
    assert_eq!(targets, ["fct_orders", "mrt_customer_ltv"]);
    assert_eq!(result["sampled"]["rows"], 6);

    // Contracts and catalog entries from the same live table leak nothing either.
    let contract = h
        .ok(
            "generate_data_contract",
            json!({"table": {"datasource": datasource, "table": "customers"}}),
        )
        .await;
    assert_no_raw_value(&contract.to_string(), "contract");
    assert_eq!(contract["pii_columns"], result["pii_columns"]);
    let entry = h
        .ok(
            "generate_catalog_entry",
            json!({"table": {"datasource": datasource, "table": "customers"}}),
        )
        .await;
    assert_no_raw_value(&entry.to_string(), "catalog entry");
    assert_eq!(
        super::catalog::dataset(&entry)["access"]["pii_columns"],
        result["pii_columns"]
    );
}

#[tokio::test]
async fn pii_on_seeded_sqlite_table() {
    let dir = tempfile::tempdir().expect("dir");
    sqlite_file(
        &dir.path().join("crm.db"),
        &seed_sql(|v| if v == "1" { "1" } else { "0" }),
    )
    .await;
    let h = harness_in(dir, "[datasources.crm]\npath = \"crm.db\"\n").await;
    check(&h, "crm", "SQLite").await;
}

#[tokio::test]
async fn pii_on_seeded_postgres_table() {
    let Some(url) = postgres_url() else { return };
    let schema = unique_name("gov_pii");
    let admin = sqlx::PgPool::connect(&url).await.expect("connect");
    let seed = seed_sql(|v| if v == "1" { "TRUE" } else { "FALSE" });
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "CREATE SCHEMA {schema}; SET search_path TO {schema}; {seed}"
    )))
    .execute(&admin)
    .await
    .expect("seed");
    let h = harness_in(
        tempfile::tempdir().expect("dir"),
        &format!("[datasources.pg]\nurl_env = \"DANA_TEST_POSTGRES_URL\"\nallow_write_capable_role = true\nschema = \"{schema}\"\n"),
    )
    .await;
    check(&h, "pg", "PostgreSQL").await;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
        .execute(&admin)
        .await
        .expect("drop");
}

#[tokio::test]
async fn names_only_and_given_samples() {
    let h = Harness::new().await;
    let spec = json!({
        "name": "dim_customers",
        "primary_key": ["customer_key"],
        "columns": [
            {"name": "customer_key", "type": "bigint", "nullable": false},
            {"name": "email", "type": "varchar(255)"},
            {"name": "email_opt_in", "type": "boolean"},
            {"name": "has_phone", "type": "boolean"},
            {"name": "store_name", "type": "varchar(100)"},
            {"name": "password_hash", "type": "varchar(100)"}
        ]
    });
    let r = h
        .ok("classify_data", json!({"table": {"spec": spec}}))
        .await;
    assert_eq!(r["pii_columns"], json!(["email", "password_hash"]));
    assert_eq!(r["columns"][1]["detections"][0]["basis"], "name");
    assert_eq!(r["columns"][1]["confidence"], 0.7);
    assert_eq!(r["level"], "restricted");
    assert!(
        r["deletion"]["steps"]
            .to_string()
            .contains("no lineage is known"),
        "{r:#}"
    );
    assert!(r.get("sampled").is_none());

    // Given samples: values that contradict the name drop the detection.
    let spec2 = json!({"name": "t", "columns": [{"name": "email", "type": "text"}, {"name": "misc", "type": "text"}]});
    let samples = json!({
        "email": ["yes", "no", "yes", "no", "yes"],
        "misc": ["4111111111111111", "5500000000000004", "340000000000009", "6011000000000004", "4012888888881881"]
    });
    let r = h
        .ok(
            "classify_data",
            json!({"table": {"spec": spec2}, "samples": samples}),
        )
        .await;
    assert_eq!(r["pii_columns"], json!(["misc"]));
    assert_eq!(r["columns"][1]["kind"], "payment_card");
    let out = r.to_string();
    assert!(
        !out.contains("4111111111111111") && !out.contains("5500000000000004"),
        "{out}"
    );
    assert!(
        r["warnings"]
            .to_string()
            .contains("only 0/5 sampled values"),
        "{r:#}"
    );

    // Luhn matters: the same shape without a valid checksum is not a card.
    let bad = json!({"misc": ["4111111111111112", "5500000000000005", "340000000000001", "6011000000000003", "4012888888881882"]});
    let spec3 = json!({"name": "t", "columns": [{"name": "misc", "type": "text"}]});
    let r = h
        .ok(
            "classify_data",
            json!({"table": {"spec": spec3}, "samples": bad}),
        )
        .await;
    assert_eq!(r["pii_columns"], json!([]));
    assert_eq!(r["level"], "internal");

    let err = h
        .err(
            "classify_data",
            json!({"table": {"spec": spec3}, "samples": {"nope": ["x"]}}),
        )
        .await;
    assert!(
        err.contains("samples: `nope` is not a column of `t`"),
        "{err}"
    );
}
