//! PII never leaves the database raw: every tool and CLI command that reads a datasource
//! runs on a table of personal data (columns named as such, and one that only holds
//! e-mails), none marked `pii` by the caller, and no raw value appears in any output:
//! structured content, Markdown, text tables, recorded artifacts (the state database)
//! or the debug log, on every engine.

use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};

use super::sqlite_file;
use crate::common::{mysql_url, postgres_url, unique_name};

/// A person's name, unique for `i` in 1..=30.
fn full_name(i: u32) -> String {
    const FIRST: [&str; 6] = ["Alicia", "Bruno", "Chiara", "Dmitri", "Elena", "Farid"];
    const LAST: [&str; 5] = ["Quenneville", "Rasmussen", "Szabo", "Tremblay", "Urquhart"];
    format!(
        "{} {}",
        FIRST[(i % 6) as usize],
        LAST[((i - 1) / 6) as usize]
    )
}

/// Raw personal values seeded in `people` and `subscribers`.
fn raw_values() -> Vec<String> {
    let mut v = Vec::new();
    for i in 1..=30 {
        v.push(format!("person{i:02}@mail.example"));
        v.push(format!("contact{i:02}@corp.example"));
        v.push(full_name(i));
        v.push(format!("512-{:02}-{:04}", 10 + i, 3000 + i));
        v.push(format!("+33 6 12 34 56 {i:02}"));
    }
    v.push("4111111111111111".to_string());
    v.push("5500005555555559".to_string());
    v
}

fn seed(prefix: &str, text: &str) -> Vec<String> {
    let people: Vec<String> = (1..=30)
        .map(|i| {
            let card = if i % 2 == 0 {
                "4111111111111111"
            } else {
                "5500005555555559"
            };
            format!(
                "({i}, 'person{i:02}@mail.example', 'contact{i:02}@corp.example', '{}', '512-{:02}-{:04}', '{card}', '+33 6 12 34 56 {i:02}', '{}')",
                full_name(i),
                10 + i,
                3000 + i,
                ["FR", "DE"][(i % 2) as usize]
            )
        })
        .collect();
    // Subscribers keyed by e-mail (not marked PII): 3 unknown statuses, 2 repeated keys.
    let subscribers: Vec<String> = (1..=30)
        .map(|i| {
            let key = if i > 28 { i - 28 } else { i };
            let status = if i % 10 == 0 { "gone" } else { "active" };
            format!("('person{key:02}@mail.example', '{status}')")
        })
        .collect();
    vec![
        format!(
            "CREATE TABLE {prefix}people (id INTEGER PRIMARY KEY, email {text}, contact {text}, full_name {text}, ssn {text}, card_number {text}, phone {text}, country {text})"
        ),
        format!("INSERT INTO {prefix}people VALUES {}", people.join(", ")),
        format!("CREATE TABLE {prefix}subscribers (login {text}, status {text})"),
        format!(
            "INSERT INTO {prefix}subscribers VALUES {}",
            subscribers.join(", ")
        ),
    ]
}

/// Runs `dana` in the workspace with debug logs; returns stdout + stderr.
fn dana(ws: &Path, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_dana"))
        .arg("--workspace")
        .arg(ws)
        .args(["--log", "debug"])
        .args(args)
        .output()
        .expect("run dana");
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "dana {args:?} crashed: {text}"
    );
    text
}

fn call(ws: &Path, tool: &str, args: &Value, formats: &[&str]) -> String {
    let mut all = String::new();
    for format in formats {
        all.push_str(&dana(
            ws,
            &[
                "call",
                tool,
                "--format",
                format,
                "--args",
                &args.to_string(),
            ],
        ));
    }
    all
}

/// Every datasource-reading tool and command; asserts no raw value anywhere.
async fn exercise(ws: &Path, engine: &str) {
    let phases = super::hardening::phases_with_quality_run_in_discover();
    std::fs::create_dir_all(ws.join("playbooks")).expect("playbooks dir");
    std::fs::write(ws.join("playbooks/phases.yaml"), phases).expect("phases");
    let mut outputs = String::new();
    outputs.push_str(&call(
        ws,
        "start_project",
        &json!({"name": "Pii", "id": "pii"}),
        &["json"],
    ));
    outputs.push_str(&call(ws, "list_datasources", &json!({}), &["json", "md"]));
    let profile_text = dana(
        ws,
        &[
            "call",
            "profile_datasource",
            "--args",
            &json!({"datasource": "db", "project": "pii"}).to_string(),
        ],
    );
    outputs.push_str(&profile_text);
    let json_start = profile_text.find('{').expect("profile json");
    let profile: Value = serde_json::Deserializer::from_str(&profile_text[json_start..])
        .into_iter::<Value>()
        .next()
        .expect("one json value")
        .expect("profile json");
    outputs.push_str(&call(
        ws,
        "profile_datasource",
        &json!({"datasource": "db"}),
        &["md"],
    ));
    for format in ["md", "json", "table"] {
        outputs.push_str(&dana(ws, &["profile", "db", "--format", format]));
    }
    let people = profile["tables"]
        .as_array()
        .and_then(|t| t.iter().find(|x| x["table"]["name"] == "people"))
        .cloned()
        .expect("people profiled");
    for column in [
        "email",
        "contact",
        "full_name",
        "ssn",
        "card_number",
        "phone",
    ] {
        let c = people["columns"]
            .as_array()
            .and_then(|c| c.iter().find(|x| x["name"] == column))
            .expect("column");
        assert_eq!(
            c["pii"],
            json!(true),
            "{engine}: {column} not classified: {c:#}"
        );
        assert_eq!(c["min"], json!("***"), "{engine}: {column}: {c:#}");
    }
    let mut checks = Vec::new();
    for table in profile["tables"].as_array().expect("tables") {
        let generated = dana(
            ws,
            &[
                "call",
                "generate_quality_checks",
                "--args",
                &json!({"profile": table, "formats": ["dbt", "odcs"], "dialect": engine})
                    .to_string(),
            ],
        );
        outputs.push_str(&generated);
        let start = generated.find('{').expect("json");
        let value: Value = serde_json::Deserializer::from_str(&generated[start..])
            .into_iter::<Value>()
            .next()
            .expect("value")
            .expect("json");
        checks.extend(value["checks"].as_array().cloned().unwrap_or_default());
    }
    // Declared checks that fail with keys that are e-mails, nobody marked PII.
    let declared = json!([{
        "name": "subscribers",
        "columns": [
            {"name": "login", "unique": true},
            {"name": "status", "accepted_values": ["active"]}
        ],
        "unique_keys": [["login", "status"]]
    }, {
        "name": "people",
        "primary_key": ["email"],
        "columns": [{"name": "email"}, {"name": "country", "accepted_values": ["FR"]}]
    }]);
    let run = json!({"datasource": "db", "checks": checks, "tables": declared, "project": "pii"});
    let run_text = call(ws, "run_quality_checks", &run, &["json", "md"]);
    assert!(
        run_text.contains("\"failed\""),
        "{engine}: no run result: {run_text}"
    );
    assert!(
        run_text.contains("***"),
        "{engine}: failing e-mail keys not masked: {run_text}"
    );
    outputs.push_str(&run_text);
    std::fs::write(
        ws.join("checks.json"),
        json!({"tables": declared}).to_string(),
    )
    .expect("checks file");
    for format in ["md", "json", "table"] {
        outputs.push_str(&dana(
            ws,
            &[
                "check",
                "db",
                ws.join("checks.json").to_str().expect("utf-8 path"),
                "--format",
                format,
            ],
        ));
    }
    for table in ["people", "subscribers"] {
        let source = json!({"datasource": "db", "table": table});
        outputs.push_str(&call(
            ws,
            "classify_data",
            &json!({"table": source}),
            &["json", "md"],
        ));
        outputs.push_str(&call(
            ws,
            "generate_data_contract",
            &json!({"table": source}),
            &["json", "md"],
        ));
        outputs.push_str(&call(
            ws,
            "generate_catalog_entry",
            &json!({"table": source}),
            &["json", "md"],
        ));
        outputs.push_str(&call(
            ws,
            "diff_schemas",
            &json!({"old": source, "new": source}),
            &["json", "md"],
        ));
    }
    outputs.push_str(&call(
        ws,
        "review_sql",
        &json!({"sql": "SELECT id, country FROM people", "dialect": engine, "datasource": "db"}),
        &["json", "md"],
    ));
    outputs.push_str(&dana(ws, &["render", "pii", "discover"]));
    // The state database (recorded artifacts and the audit log), WAL included.
    for entry in std::fs::read_dir(ws.join(".dana")).expect("state dir") {
        let path = entry.expect("entry").path();
        outputs.push_str(&String::from_utf8_lossy(
            &std::fs::read(&path).expect("read state"),
        ));
    }
    assert!(
        outputs.contains("\"source_profile\"") || outputs.contains("source_profile"),
        "{engine}: the profile was not recorded"
    );
    for raw in raw_values() {
        if let Some(at) = outputs.find(&raw) {
            let from = at.saturating_sub(300);
            let to = (at + 300).min(outputs.len());
            panic!(
                "{engine}: raw `{raw}` leaked:\n…{}…",
                outputs.get(from..to).unwrap_or_default()
            );
        }
    }
}

#[tokio::test]
async fn sqlite_pii_never_raw() {
    let dir = tempfile::tempdir().expect("dir");
    sqlite_file(&dir.path().join("p.db"), &seed("", "TEXT").join(";\n")).await;
    std::fs::write(
        dir.path().join("dana.toml"),
        "playbooks_dir = \"playbooks\"\n[datasources.db]\npath = \"p.db\"\n",
    )
    .expect("toml");
    exercise(dir.path(), "sqlite").await;
}

#[tokio::test]
async fn postgres_pii_never_raw() {
    let Some(url) = postgres_url() else { return };
    let schema = unique_name("dq_pii_pg");
    let admin = sqlx::PgPool::connect(&url).await.expect("connect");
    let mut script = vec![format!("CREATE SCHEMA {schema}")];
    script.extend(seed(&format!("{schema}."), "VARCHAR(100)"));
    sqlx::raw_sql(sqlx::AssertSqlSafe(script.join(";\n")))
        .execute(&admin)
        .await
        .expect("seed");
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(
        dir.path().join("dana.toml"),
        format!("playbooks_dir = \"playbooks\"\n[datasources.db]\nurl_env = \"DANA_TEST_POSTGRES_URL\"\nallow_write_capable_role = true\nschema = \"{schema}\"\n"),
    )
    .expect("toml");
    exercise(dir.path(), "postgres").await;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
        .execute(&admin)
        .await
        .expect("drop");
}

#[tokio::test]
async fn mariadb_pii_never_raw() {
    let Some(url) = mysql_url() else { return };
    let db = unique_name("dq_pii_my");
    let admin = sqlx::MySqlPool::connect(&url).await.expect("connect");
    let mut script = vec![format!("CREATE DATABASE {db}")];
    script.extend(seed(&format!("{db}."), "VARCHAR(100)"));
    for stmt in script {
        sqlx::raw_sql(sqlx::AssertSqlSafe(stmt))
            .execute(&admin)
            .await
            .expect("seed");
    }
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(
        dir.path().join("dana.toml"),
        format!("playbooks_dir = \"playbooks\"\n[datasources.db]\nurl_env = \"DANA_TEST_MYSQL_URL\"\nallow_write_capable_role = true\nschema = \"{db}\"\n"),
    )
    .expect("toml");
    exercise(dir.path(), "mysql").await;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP DATABASE {db}")))
        .execute(&admin)
        .await
        .expect("drop");
}
