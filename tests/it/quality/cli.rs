//! `dana profile` and `dana check` from the shell, and the `setup_data_quality` prompt.

use std::process::Command;

use rmcp::model::GetPromptRequestParams;

use super::sqlite_file;
use crate::common::Harness;

#[tokio::test]
async fn profile_and_check_commands() {
    let dir = tempfile::tempdir().expect("dir");
    sqlite_file(
        &dir.path().join("shop.db"),
        "CREATE TABLE items (id INTEGER PRIMARY KEY, sku TEXT, price REAL);\
         INSERT INTO items VALUES (1, 'A', 10.0), (2, 'B', -1.0), (3, NULL, 5.0);",
    )
    .await;
    std::fs::write(
        dir.path().join("dana.toml"),
        "[datasources.shop]\npath = \"shop.db\"\n",
    )
    .expect("toml");
    std::fs::write(
        dir.path().join("checks.yaml"),
        "tables:\n  - name: items\n    primary_key: [id]\n    columns:\n      - {name: id}\n      - {name: sku, nullable: false}\n      - {name: price, min: 0}\n",
    )
    .expect("checks");
    let bin = env!("CARGO_BIN_EXE_dana");
    let ws = dir.path().to_str().expect("utf8");
    let profile = Command::new(bin)
        .args(["--workspace", ws, "profile", "shop"])
        .output()
        .expect("profile");
    let stdout = String::from_utf8_lossy(&profile.stdout);
    let stderr = String::from_utf8_lossy(&profile.stderr);
    assert!(profile.status.success(), "{stdout}{stderr}");
    assert!(stdout.contains("`items`: 3 rows"), "{stdout}");
    assert!(stderr.contains("1/1"), "no progress on stderr: {stderr}");
    let check = Command::new(bin)
        .args(["--workspace", ws, "check", "shop", "--format", "json"])
        .arg(dir.path().join("checks.yaml"))
        .output()
        .expect("check");
    let stdout = String::from_utf8_lossy(&check.stdout);
    assert_eq!(
        check.status.code(),
        Some(1),
        "{stdout}{}",
        String::from_utf8_lossy(&check.stderr)
    );
    let run: serde_json::Value = serde_json::from_str(&stdout).expect("json");
    assert_eq!(run["summary"]["failed"], serde_json::json!(2), "{run:#}");
}

#[tokio::test]
async fn setup_data_quality_prompt_renders() {
    let h = Harness::new().await;
    let mut args = serde_json::Map::new();
    args.insert("target".into(), "fct_orders".into());
    args.insert("datasource".into(), "warehouse".into());
    let prompt = h
        .client
        .get_prompt(GetPromptRequestParams::new("setup_data_quality").with_arguments(args))
        .await
        .expect("prompt");
    let text = format!("{:?}", prompt.messages);
    assert!(
        text.contains("fct_orders")
            && text.contains("DQ-NOT-NULL")
            && text.contains("PROF-CONSTANT")
            && text.contains("`gx`")
            && text.contains("`soda`"),
        "{text}"
    );
}
