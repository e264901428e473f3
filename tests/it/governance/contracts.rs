//! Data contracts: generated for the retail model and for live tables, validated by the
//! `open-data-contract-standard` package (its pydantic model and JSON schema, through the
//! Python named by `DANA_TEST_ODCS_PYTHON`), round-tripped through `diff_schemas`, and
//! bad input refused clearly.

use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};

use super::{harness_in, retail, sqlite_file};
use crate::common::{Harness, postgres_url, unique_name};

/// Validates contract YAML files with the ODCS package; skipped when
/// `DANA_TEST_ODCS_PYTHON` is unset (`.ci/run` sets it).
fn validate_odcs(files: &[std::path::PathBuf]) {
    let Some(python) = std::env::var("DANA_TEST_ODCS_PYTHON")
        .ok()
        .filter(|p| !p.is_empty())
    else {
        eprintln!("DANA_TEST_ODCS_PYTHON unset: ODCS validation skipped");
        return;
    };
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/governance/validate_odcs.py");
    let out = Command::new(python)
        .arg(script)
        .args(files)
        .output()
        .expect("run the ODCS validator");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "ODCS validation failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(stdout.matches("VALID ").count(), files.len(), "{stdout}");
}

fn save(dir: &Path, name: &str, yaml: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, yaml).expect("write contract");
    path
}

#[tokio::test]
async fn retail_contracts_validate_and_round_trip() {
    let h = Harness::new().await;
    let out = tempfile::tempdir().expect("dir");
    let mut files = Vec::new();
    for (i, spec) in retail().into_iter().enumerate() {
        let policy = ["notify-30-days", "version-bump", "never-break"][i % 3];
        let name = spec["name"].as_str().expect("name").to_string();
        let contract = h
            .ok(
                "generate_data_contract",
                json!({
                    "table": {"spec": spec},
                    "owner": "team-commerce",
                    "consumers": ["finance-bi", "marketing-analytics"],
                    "version": "1.2.0",
                    "policy": policy,
                    "domain": "sales",
                    "notification_channel": "#data-contracts",
                    "sla": {"freshness_hours": 6, "availability_percent": 99.9, "support_hours": "24x7", "freshness_column": if name == "fct_orders" { json!("loaded_at") } else { Value::Null }},
                }),
            )
            .await;
        let yaml = contract["yaml"].as_str().expect("yaml").to_string();
        assert!(
            yaml.contains("apiVersion: v3.2.0") && yaml.contains("kind: DataContract"),
            "{yaml}"
        );
        assert!(yaml.contains(&format!("value: {policy}")), "{yaml}");
        assert!(
            contract["questions"]
                .as_array()
                .expect("questions")
                .is_empty()
        );
        files.push(save(out.path(), &format!("{name}.yaml"), &yaml));

        // Round trip: the contract against itself reports no change.
        let same = h
            .ok(
                "diff_schemas",
                json!({"old": {"contract": yaml}, "new": {"contract": yaml}}),
            )
            .await;
        assert_eq!(same["verdict"], "no_change", "{name}: {same:#}");
        assert_eq!(same["policy"]["policy"], policy);
        assert_eq!(same["policy"]["source"], "old contract");
        // ... and against the spec it came from (the contract adds PII flags and levels only).
        let vs_spec = h
            .ok(
                "diff_schemas",
                json!({"old": {"contract": yaml}, "new": {"spec": retail()[i]}}),
            )
            .await;
        assert_eq!(vs_spec["verdict"], "no_change", "{name}: {vs_spec:#}");
    }
    validate_odcs(&files);

    // What the fact contract says.
    let fact = h
        .ok(
            "generate_data_contract",
            json!({"table": {"spec": retail()[0]}, "owner": "team-commerce", "consumers": ["finance-bi"]}),
        )
        .await;
    let doc = &document(&fact);
    let props = doc["schema"][0]["properties"]
        .as_array()
        .expect("properties");
    let amount = props
        .iter()
        .find(|p| p["name"] == "net_amount")
        .expect("net_amount");
    assert_eq!(amount["physicalType"], "decimal(12,2)");
    assert_eq!(amount["logicalType"], "number");
    assert_eq!(amount["required"], true);
    assert_eq!(
        amount["customProperties"][1]["property"],
        "businessDefinition"
    );
    let status = props
        .iter()
        .find(|p| p["name"] == "order_status")
        .expect("status");
    assert_eq!(status["enum"].as_array().map(Vec::len), Some(4));
    assert_eq!(status["logicalTypeOptions"]["maxLength"], 20);
    let key = props
        .iter()
        .find(|p| p["name"] == "line_number")
        .expect("key");
    assert_eq!(
        (key["primaryKey"].clone(), key["primaryKeyPosition"].clone()),
        (json!(true), json!(2))
    );
    let customer = props
        .iter()
        .find(|p| p["name"] == "customer_key")
        .expect("fk");
    assert_eq!(
        customer["relationships"][0]["to"],
        "dim_customers.customer_key"
    );
    assert_eq!(fact["policy"], "version-bump", "playbook default");
    assert_eq!(fact["version"], "1.0.0");
    assert_eq!(fact["classification"], "internal");
    assert!(
        fact["questions"][0]
            .as_str()
            .expect("q")
            .contains("notification_channel")
    );

    // The customer dimension: PII from names, with levels and tags.
    let dim = h
        .ok(
            "generate_data_contract",
            json!({"table": {"spec": retail()[1]}}),
        )
        .await;
    let pii: Vec<&str> = dim["pii_columns"]
        .as_array()
        .expect("pii")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(pii, ["email", "full_name", "phone_number", "birth_date"]);
    assert_eq!(dim["classification"], "confidential");
    let yaml = dim["yaml"].as_str().expect("yaml");
    assert!(
        yaml.contains("pii:email") && yaml.contains("classification: confidential"),
        "{yaml}"
    );
    assert_eq!(
        dim["questions"].as_array().map(Vec::len),
        Some(3),
        "owner, consumers, channel asked"
    );
}

const SEED: &str = "
CREATE TABLE customers (
  customer_id INTEGER PRIMARY KEY,
  email VARCHAR(255) NOT NULL,
  full_name VARCHAR(120),
  status VARCHAR(12) NOT NULL,
  credit_limit DECIMAL(10,2),
  signed_up_at TIMESTAMP
);
INSERT INTO customers VALUES
 (1, 'amelie.roux@example.org', 'Amelie Roux', 'active', 1500.00, '2024-01-02 10:00:00'),
 (2, 'bjorn.falk@example.net', 'Bjorn Falk', 'active', 800.50, '2024-02-03 11:00:00'),
 (3, 'chen.wei@example.com', 'Chen Wei', 'churned', NULL, '2024-03-04 12:00:00'),
 (4, 'dara.okafor@example.com', 'Dara Okafor', 'active', 2300.00, '2024-04-05 13:00:00'),
 (5, 'elif.sahin@example.org', 'Elif Sahin', 'active', 950.25, '2024-05-06 14:00:00'),
 (6, 'farid.nasser@example.net', 'Farid Nasser', 'paused', 400.00, '2024-06-07 15:00:00');
";

async fn live_contract(h: &Harness, datasource: &str, dir: &Path, file: &str) -> Value {
    let contract = h
        .ok(
            "generate_data_contract",
            json!({"table": {"datasource": datasource, "table": "customers"}, "owner": "crm", "consumers": ["support"], "policy": "never-break", "notification_channel": "#crm"}),
        )
        .await;
    let yaml = contract["yaml"].as_str().expect("yaml").to_string();
    validate_odcs(&[save(dir, file, &yaml)]);
    let text = contract.to_string();
    for raw in [
        "amelie.roux@example.org",
        "Amelie Roux",
        "Dara Okafor",
        "chen.wei",
    ] {
        assert!(
            !text.contains(raw),
            "raw sampled value `{raw}` in the contract"
        );
    }
    // The contract and the live table it came from: no change.
    let same = h
        .ok(
            "diff_schemas",
            json!({"old": {"contract": yaml}, "new": {"datasource": datasource, "table": "customers"}}),
        )
        .await;
    assert_eq!(same["verdict"], "no_change", "{same:#}");
    contract
}

#[tokio::test]
async fn live_sqlite_contract_validates_and_matches_the_table() {
    let dir = tempfile::tempdir().expect("dir");
    sqlite_file(&dir.path().join("crm.db"), SEED).await;
    let h = harness_in(dir, "[datasources.crm]\npath = \"crm.db\"\n").await;
    let out = tempfile::tempdir().expect("dir");
    let contract = live_contract(&h, "crm", out.path(), "crm_sqlite.yaml").await;
    let pii: Vec<&str> = contract["pii_columns"]
        .as_array()
        .expect("pii")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(pii, ["email", "full_name"]);
    let props = document(&contract)["schema"][0]["properties"]
        .as_array()
        .expect("props")
        .clone();
    let email = props.iter().find(|p| p["name"] == "email").expect("email");
    assert_eq!(email["physicalType"], "varchar(255)");
    assert_eq!(email["required"], true);
    let id = props
        .iter()
        .find(|p| p["name"] == "customer_id")
        .expect("id");
    assert_eq!(id["primaryKey"], true);

    // A schema change on the live table against the never-break contract is refused.
    let yaml = contract["yaml"].as_str().expect("yaml");
    let mut narrowed: dana::domain::governance::TableSchema =
        serde_json::from_value(json!({"name": "customers", "columns": []})).expect("spec");
    let parsed = h
        .ok(
            "diff_schemas",
            json!({"old": {"contract": yaml}, "new": {"contract": yaml}}),
        )
        .await;
    assert_eq!(parsed["verdict"], "no_change");
    narrowed.columns = serde_json::from_value(json!([
        {"name": "customer_id", "type": "integer", "nullable": false},
        {"name": "email", "type": "varchar(100)", "nullable": false},
        {"name": "status", "type": "varchar(12)", "nullable": false},
        {"name": "credit_limit", "type": "decimal(10,2)"},
        {"name": "signed_up_at", "type": "timestamp"}
    ]))
    .expect("columns");
    narrowed.primary_key = vec!["customer_id".into()];
    let refused = h
        .ok(
            "diff_schemas",
            json!({"old": {"contract": yaml}, "new": {"spec": narrowed}}),
        )
        .await;
    assert_eq!(refused["verdict"], "breaking");
    assert_eq!(refused["policy"]["decision"], "refused");
    let rules: Vec<&str> = refused["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .filter_map(|c| c["rule"].as_str())
        .collect();
    assert!(
        rules.contains(&"CHG-TYPE-NARROWED") && rules.contains(&"CHG-COL-REMOVED"),
        "{rules:?}"
    );
}

#[tokio::test]
async fn live_postgres_contract_validates_and_matches_the_table() {
    let Some(url) = postgres_url() else { return };
    let schema = unique_name("gov_pg");
    let admin = sqlx::PgPool::connect(&url).await.expect("connect");
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "CREATE SCHEMA {schema}; SET search_path TO {schema}; {SEED}"
    )))
    .execute(&admin)
    .await
    .expect("seed");
    let dir = tempfile::tempdir().expect("dir");
    let h = harness_in(
        dir,
        &format!("[datasources.pg]\nurl_env = \"DANA_TEST_POSTGRES_URL\"\nallow_write_capable_role = true\nschema = \"{schema}\"\n"),
    )
    .await;
    let out = tempfile::tempdir().expect("dir");
    let contract = live_contract(&h, "pg", out.path(), "crm_pg.yaml").await;
    let props = document(&contract)["schema"][0]["properties"]
        .as_array()
        .expect("props")
        .clone();
    let limit = props
        .iter()
        .find(|p| p["name"] == "credit_limit")
        .expect("credit_limit");
    assert_eq!(limit["physicalType"], "decimal(10,2)");
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
        .execute(&admin)
        .await
        .expect("drop");
}

#[tokio::test]
async fn bad_input_gets_clear_errors() {
    let h = Harness::new().await;
    let spec = retail()[2].clone();
    let err = h
        .err(
            "generate_data_contract",
            json!({"table": {"spec": spec}, "policy": "break-on-fridays"}),
        )
        .await;
    assert!(
        err.contains("policy: unknown breaking-change policy `break-on-fridays`")
            && err.contains("`version-bump`"),
        "{err}"
    );
    let err = h
        .err(
            "generate_data_contract",
            json!({"table": {"spec": spec}, "version": "v1"}),
        )
        .await;
    assert!(
        err.contains("version: `v1` is not a semantic version"),
        "{err}"
    );
    let err = h
        .err(
            "diff_schemas",
            json!({"old": {"spec": spec}, "new": {"spec": spec}, "policy": "nope"}),
        )
        .await;
    assert!(
        err.contains("`nope`") && err.contains("`never-break`"),
        "{err}"
    );

    // Not ODCS.
    let dbt = "version: 2\nmodels:\n  - name: orders\n    columns: [{name: id}]\n";
    let err = h
        .err(
            "diff_schemas",
            json!({"old": {"contract": dbt}, "new": {"spec": spec}}),
        )
        .await;
    assert!(
        err.contains("old.contract.kind: not an ODCS data contract"),
        "{err}"
    );
    let odcs2 = "apiVersion: v2.2.2\nkind: DataContract\nid: x\nversion: 1.0.0\nschema: []\n";
    let err = h
        .err(
            "diff_schemas",
            json!({"old": {"contract": odcs2}, "new": {"spec": spec}}),
        )
        .await;
    assert!(err.contains("`v2.2.2` is not ODCS v3"), "{err}");
    let err = h
        .err(
            "diff_schemas",
            json!({"old": {"contract": "a: [unclosed"}, "new": {"spec": spec}}),
        )
        .await;
    assert!(err.contains("old.contract: not valid YAML"), "{err}");
    let no_type = "apiVersion: v3.1.0\nkind: DataContract\nid: x\nversion: 1.0.0\nschema:\n  - name: t\n    properties:\n      - name: a\n";
    let err = h
        .err(
            "diff_schemas",
            json!({"old": {"contract": no_type}, "new": {"spec": spec}}),
        )
        .await;
    assert!(
        err.contains("old.contract.schema[0].properties[0]: give `physicalType` or `logicalType`"),
        "{err}"
    );

    // Table missing: in a contract, in a datasource, or no source at all.
    let contract = h
        .ok("generate_data_contract", json!({"table": {"spec": spec}}))
        .await;
    let yaml = contract["yaml"].as_str().expect("yaml");
    let err = h
        .err(
            "diff_schemas",
            json!({"old": {"contract": yaml, "table": "dim_nothing"}, "new": {"spec": spec}}),
        )
        .await;
    assert!(
        err.contains("`dim_nothing` not found") && err.contains("`dim_products`"),
        "{err}"
    );
    let err = h
        .err("diff_schemas", json!({"old": {}, "new": {"spec": spec}}))
        .await;
    assert!(err.contains("old: give exactly one of"), "{err}");
    let err = h
        .err(
            "diff_schemas",
            json!({"old": {"spec": spec, "contract": yaml}, "new": {"spec": spec}}),
        )
        .await;
    assert!(err.contains("(got spec, contract)"), "{err}");
    let err = h
        .err(
            "classify_data",
            json!({"table": {"datasource": "warehouse", "table": "x"}}),
        )
        .await;
    assert!(err.contains("datasource `warehouse` not found"), "{err}");
    let err = h
        .err("generate_data_contract", json!({"table": {"spec": {"name": "t", "columns": [{"name": "a", "type": "int; drop table t"}]}}}))
        .await;
    assert!(err.contains("table.spec.columns[0].type"), "{err}");
    let err = h
        .err(
            "generate_data_contract",
            json!({"table": {"spec": spec}, "sla": {"support_hours": "whenever"}}),
        )
        .await;
    assert!(
        err.contains("sla.support_hours: unknown `whenever`"),
        "{err}"
    );
}

#[tokio::test]
async fn missing_live_table_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("dir");
    sqlite_file(&dir.path().join("crm.db"), SEED).await;
    let h = harness_in(dir, "[datasources.crm]\npath = \"crm.db\"\n").await;
    let err = h
        .err(
            "generate_data_contract",
            json!({"table": {"datasource": "crm", "table": "orders"}}),
        )
        .await;
    assert!(
        err.contains("no table `orders`") && err.contains("`customers`"),
        "{err}"
    );
}

fn retail_model() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/modeling/fixtures/retail.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("retail fixture")).expect("json")
}

#[tokio::test]
async fn retail_model_contracts_validate_and_match_the_model() {
    let h = Harness::new().await;
    let model = retail_model();
    let design = h
        .ok("design_dimensional_model", json!({"model": model}))
        .await;
    let tables: Vec<String> = design["model"]["tables"]
        .as_array()
        .expect("tables")
        .iter()
        .filter_map(|t| t["name"].as_str().map(str::to_string))
        .collect();
    assert!(tables.len() >= 4, "{tables:?}");
    let out = tempfile::tempdir().expect("dir");
    let mut files = Vec::new();
    for table in &tables {
        let contract = h
            .ok(
                "generate_data_contract",
                json!({"table": {"model": model, "table": table}, "owner": "analytics-eng", "consumers": ["bi"], "notification_channel": "#dw"}),
            )
            .await;
        let yaml = contract["yaml"].as_str().expect("yaml").to_string();
        files.push(save(out.path(), &format!("{table}.yaml"), &yaml));
        let same = h
            .ok(
                "diff_schemas",
                json!({"old": {"contract": yaml}, "new": {"model": model, "table": table}}),
            )
            .await;
        assert_eq!(same["verdict"], "no_change", "{table}: {same:#}");
    }
    validate_odcs(&files);

    // A whole-model diff: drop a dimension attribute in v2 of the model.
    let mut v2 = model.clone();
    let dims = v2["dimensions"].as_array_mut().expect("dimensions");
    let customers = dims
        .iter_mut()
        .find(|d| d["name"] == "dim_customers")
        .expect("dim_customers");
    let attrs = customers["attributes"].as_array_mut().expect("attributes");
    let dropped = attrs.remove(0)["name"].as_str().expect("name").to_string();
    let diff = h
        .ok(
            "diff_schemas",
            json!({"old": {"model": model}, "new": {"model": v2}}),
        )
        .await;
    assert_eq!(diff["verdict"], "breaking");
    assert!(
        diff["changes"]
            .to_string()
            .contains(&format!("column `{dropped}` removed")),
        "{diff:#}"
    );
    assert_eq!(diff["policy"]["source"], "default");

    // Classification of the customer dimension follows the model's foreign keys.
    let class = h
        .ok(
            "classify_data",
            json!({"table": {"model": model, "table": "dim_customers"}}),
        )
        .await;
    let targets = class["deletion"]["propagate_to"].to_string();
    assert!(targets.contains("fct_"), "{class:#}");
}

#[tokio::test]
async fn quality_checks_flow_into_the_contract() {
    let dir = tempfile::tempdir().expect("dir");
    sqlite_file(&dir.path().join("crm.db"), SEED).await;
    let h = harness_in(dir, "[datasources.crm]\npath = \"crm.db\"\n").await;
    let checks = h
        .ok(
            "generate_quality_checks",
            json!({"table": {"name": "customers", "primary_key": ["customer_id"], "columns": [
                {"name": "customer_id", "data_type": "integer", "nullable": false},
                {"name": "email", "data_type": "varchar(255)", "nullable": false, "unique": true},
                {"name": "status", "data_type": "varchar(12)", "accepted_values": ["active", "churned", "paused"]},
                {"name": "credit_limit", "data_type": "decimal(10,2)", "min": 0, "max": 100000}
            ]}, "dialect": "sqlite", "formats": ["odcs"]}),
        )
        .await;
    let odcs_quality = checks["odcs_quality"].as_str().expect("odcs_quality");
    let contract = h
        .ok(
            "generate_data_contract",
            json!({"table": {"datasource": "crm", "table": "customers"}, "odcs_quality": odcs_quality, "owner": "crm", "consumers": ["support"]}),
        )
        .await;
    let imported = checks["checks"].as_array().map_or(0, Vec::len);
    assert!(imported >= 4, "{checks:#}");
    let own = document(&contract)["schema"][0]["quality"]
        .as_array()
        .map_or(0, Vec::len);
    assert!(own >= imported, "{contract:#}");
    let yaml = contract["yaml"].as_str().expect("yaml");
    assert!(
        yaml.contains("type: sql") && yaml.contains("SELECT"),
        "{yaml}"
    );
    let out = tempfile::tempdir().expect("dir");
    validate_odcs(&[save(out.path(), "with_checks.yaml", yaml)]);
    // Still the same table: the contract diffs clean against it.
    let same = h
        .ok(
            "diff_schemas",
            json!({"old": {"contract": yaml}, "new": {"datasource": "crm", "table": "customers"}}),
        )
        .await;
    assert_eq!(same["verdict"], "no_change", "{same:#}");
    let err = h
        .err("generate_data_contract", json!({"table": {"datasource": "crm", "table": "customers"}, "odcs_quality": "rules: []"}))
        .await;
    assert!(
        err.contains("odcs_quality: expected a `quality:` list"),
        "{err}"
    );
}

/// The ODCS document of a `generate_data_contract` answer (given once, as YAML).
fn document(answer: &Value) -> Value {
    serde_norway::from_str(answer["yaml"].as_str().expect("yaml")).expect("contract YAML parses")
}
