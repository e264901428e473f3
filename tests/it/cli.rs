//! The `dana` binary as an engineer uses it: score, call, serve over a real stdio
//! pipe (stdout carries only JSON-RPC, logs go to stderr), and startup errors.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

const DANA: &str = env!("CARGO_BIN_EXE_dana");

pub fn dana(workspace: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(DANA)
        .arg("--workspace")
        .arg(workspace)
        .args(args)
        .env_remove("DANA_DATABASE_URL")
        .output()
        .expect("run dana")
}

const INPUT: &str = r#"
dimensions:
  reliability:   { evidence: { success_rate_pct: 99.2, auto_retry: true } }
  data_quality:  { evidence: { check_kinds: [not_null, unique, freshness, volume], coverage_pct: 60 } }
  performance:   { points: 8 }
  documentation: { evidence: { readme: true } }
  monitoring:    { evidence: { failure_alerts: true, dashboards: true } }
  testing:       { evidence: { test_layers: [unit, data_quality] } }
  cost_efficiency: { evidence: { cost_tracked: true } }
"#;

#[test]
fn score_prints_table_json_and_markdown() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("score.yaml");
    std::fs::write(&file, INPUT).unwrap();
    let file = file.to_str().unwrap();
    // 15 + 15 + 8 + 5 + 8 + 5 + 5 = 61
    let table = dana(dir.path(), &["score", file]);
    assert!(
        table.status.success(),
        "{}",
        String::from_utf8_lossy(&table.stderr)
    );
    let text = String::from_utf8(table.stdout).unwrap();
    assert!(
        text.starts_with("Infrastructure score: 61/100  [BAND-SOLID Solid]"),
        "{text}"
    );
    assert!(text.contains("Improvements, most points first:"), "{text}");

    let json = dana(dir.path(), &["score", file, "--format", "json"]);
    let value: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(value["total"], 61);

    let md = dana(dir.path(), &["score", file, "--format", "md"]);
    assert!(
        String::from_utf8(md.stdout)
            .unwrap()
            .starts_with("# Infrastructure score: 61/100")
    );

    std::fs::write(
        dir.path().join("bad.yaml"),
        "dimensions:\n  reliability: { points: 99 }\n",
    )
    .unwrap();
    let bad = dana(
        dir.path(),
        &["score", dir.path().join("bad.yaml").to_str().unwrap()],
    );
    assert!(!bad.status.success());
    let err = String::from_utf8(bad.stderr).unwrap();
    assert!(
        err.contains("unknown") || err.contains("missing") || err.contains("out of range"),
        "{err}"
    );
}

#[test]
fn score_with_project_tracks_change() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("score.yaml");
    std::fs::write(&file, INPUT).unwrap();
    let file = file.to_str().unwrap();
    let created = dana(
        dir.path(),
        &["call", "start_project", "--args", r#"{"name":"p"}"#],
    );
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    assert!(
        dana(dir.path(), &["score", file, "--project", "p"])
            .status
            .success()
    );
    let second = dana(dir.path(), &["score", file, "--project", "p"]);
    let text = String::from_utf8(second.stdout).unwrap();
    assert!(text.contains(": +0 (was 61)"), "{text}");
    assert!(dir.path().join(".dana/state.db").exists());
}

#[test]
fn call_prints_structured_results_and_errors() {
    let dir = tempfile::tempdir().unwrap();
    let list = dana(dir.path(), &["call", "--list"]);
    assert!(
        String::from_utf8(list.stdout)
            .unwrap()
            .contains("score_infrastructure")
    );
    let bad = dana(
        dir.path(),
        &["call", "project_status", "--args", r#"{"project":"nope"}"#],
    );
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        String::from_utf8(bad.stderr)
            .unwrap()
            .contains("project `nope` not found")
    );
    let malformed = dana(dir.path(), &["call", "project_status", "--args", "{"]);
    assert!(!malformed.status.success());
}

#[test]
fn serve_stdio_speaks_only_json_rpc_on_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(DANA)
        .arg("--workspace")
        .arg(dir.path())
        .args(["--log", "debug", "serve"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    // Drain stderr concurrently: debug logs can outgrow the pipe buffer.
    let mut stderr_pipe = child.stderr.take().unwrap();
    let stderr_reader = std::thread::spawn(move || {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut stderr_pipe, &mut text).unwrap();
        text
    });
    let messages = [
        r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"0"}}}"#,
        r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
        r#"{"jsonrpc":"2.0","id":2,"method":"tools/list"}"#,
    ];
    let mut answers = Vec::new();
    for msg in messages {
        writeln!(stdin, "{msg}").unwrap();
        stdin.flush().unwrap();
        if msg.contains("\"id\"") {
            let mut line = String::new();
            stdout.read_line(&mut line).unwrap();
            answers.push(line);
        }
    }
    drop(stdin);
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut rest).unwrap();
    child.wait().unwrap();
    for line in answers.iter().chain(
        rest.lines()
            .map(|l| l.to_string())
            .collect::<Vec<_>>()
            .iter(),
    ) {
        let value: serde_json::Value = serde_json::from_str(line.trim())
            .unwrap_or_else(|_| panic!("non-JSON on stdout: {line}"));
        assert_eq!(value["jsonrpc"], "2.0");
    }
    let init: serde_json::Value = serde_json::from_str(&answers[0]).unwrap();
    assert_eq!(init["result"]["serverInfo"]["name"], "dana");
    assert!(answers[1].contains("score_infrastructure"));
    let stderr = stderr_reader.join().unwrap();
    assert!(!stderr.is_empty(), "debug logs go to stderr");
}

#[test]
fn serve_refuses_unknown_toolsets_and_bad_playbook_overrides() {
    let dir = tempfile::tempdir().unwrap();
    let out = dana(dir.path(), &["serve", "--toolsets", "scoring,wizardry"]);
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("unknown toolset `wizardry`; valid: `protocol`"),
        "{err}"
    );

    std::fs::create_dir(dir.path().join("playbooks")).unwrap();
    std::fs::write(
        dir.path().join("playbooks/rubric.yaml"),
        "version: 1\ndimensions: 7\n",
    )
    .unwrap();
    let out = dana(dir.path(), &["serve"]);
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("playbooks/rubric.yaml:2"), "{err}");
}

/// A workspace made by `dana demo` (datasource `warehouse`, project `retail`), inside a
/// temporary folder.
pub fn demo_workspace() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("ws");
    let out = Command::new(DANA)
        .args(["demo", "--dir"])
        .arg(&ws)
        .env_remove("DANA_DATABASE_URL")
        .output()
        .expect("demo");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (dir, ws)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `dana check`, the documented CI gate, in each format: 0 when every check passes, 1
/// when one fails, 2 on bad input; the Markdown and table reports render for both.
#[test]
fn check_exit_codes_in_every_format() {
    let (_dir, ws) = demo_workspace();
    let passing = ws.join("passing.yaml");
    std::fs::write(
        &passing,
        "tables:\n  - name: products\n    columns:\n      - {name: product_id, nullable: false}\n",
    )
    .unwrap();
    let failing = ws.join("failing.yaml");
    std::fs::write(
        &failing,
        "tables:\n  - name: customers\n    columns:\n      - {name: customer_id, unique: true}\n      - {name: email, nullable: false}\n",
    )
    .unwrap();
    for format in ["md", "json", "table"] {
        let ok = dana(
            &ws,
            &[
                "check",
                "warehouse",
                passing.to_str().unwrap(),
                "--format",
                format,
            ],
        );
        assert_eq!(
            ok.status.code(),
            Some(0),
            "{format}: {}{}",
            text(&ok.stdout),
            text(&ok.stderr)
        );
        let bad = dana(
            &ws,
            &[
                "check",
                "warehouse",
                failing.to_str().unwrap(),
                "--format",
                format,
            ],
        );
        assert_eq!(
            bad.status.code(),
            Some(1),
            "{format}: {}{}",
            text(&bad.stdout),
            text(&bad.stderr)
        );
        let out = text(&bad.stdout);
        match format {
            "md" => {
                assert!(out.starts_with("# Quality run on `warehouse`"), "{out}");
                assert!(out.contains("FAILED: 0/2 passed"), "{out}");
                assert!(out.contains("Failing keys (customer_id"), "{out}");
            }
            "json" => {
                let v: serde_json::Value = serde_json::from_str(&out).unwrap();
                assert_eq!(v["summary"]["failed"], 2);
            }
            _ => {
                assert!(out.starts_with("FAILED: 0/2 passed"), "{out}");
                assert!(
                    out.contains("CHECK") && out.contains("DQ-UNIQUE:customers.customer_id"),
                    "{out}"
                );
                assert!(!out.contains('|'), "a terminal table, not Markdown: {out}");
            }
        }
        // Bad input: a missing file, an unknown datasource, a file that is not YAML.
        let missing = dana(
            &ws,
            &["check", "warehouse", "nope.yaml", "--format", format],
        );
        assert_eq!(missing.status.code(), Some(2), "{format}");
        let err = text(&missing.stderr);
        assert_eq!(
            err.matches("No such file or directory").count(),
            1,
            "said once: {err}"
        );
        let unknown = dana(
            &ws,
            &[
                "check",
                "lake",
                passing.to_str().unwrap(),
                "--format",
                format,
            ],
        );
        assert_eq!(
            unknown.status.code(),
            Some(2),
            "{format}: {}",
            text(&unknown.stderr)
        );
        std::fs::write(ws.join("broken.yaml"), "tables: [").unwrap();
        let broken = dana(
            &ws,
            &[
                "check",
                "warehouse",
                ws.join("broken.yaml").to_str().unwrap(),
            ],
        );
        assert_eq!(broken.status.code(), Some(2));
    }
}

/// `dana profile` in each format, on tables without a primary key and columns without
/// top values (the sample warehouse has both).
#[test]
fn profile_in_every_format() {
    let (_dir, ws) = demo_workspace();
    for format in ["md", "json", "table"] {
        let out = dana(&ws, &["profile", "warehouse", "--format", format]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{format}: {}",
            text(&out.stderr)
        );
        let stdout = text(&out.stdout);
        match format {
            "md" => {
                assert!(stdout.contains("| `customers` | 243 | 6 |"), "{stdout}");
                assert!(stdout.contains("PROF-KEY-NOT-UNIQUE"), "{stdout}");
            }
            "json" => {
                let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
                assert_eq!(v["tables"].as_array().map(Vec::len), Some(4));
            }
            _ => {
                assert!(
                    stdout.contains("TABLE") && stdout.contains("customers"),
                    "{stdout}"
                );
                assert!(!stdout.contains('|'), "{stdout}");
            }
        }
        let one = dana(
            &ws,
            &[
                "profile",
                "warehouse",
                "--table",
                "products",
                "--format",
                format,
            ],
        );
        assert_eq!(one.status.code(), Some(0), "{format}");
    }
    let unknown = dana(&ws, &["profile", "lake"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(
        text(&unknown.stderr).contains("`lake`"),
        "{}",
        text(&unknown.stderr)
    );
}

/// `dana call --format md` prints each tool's Markdown (never JSON in its place); `table`
/// is refused with the formats that exist.
#[test]
fn call_prints_markdown_for_every_tool() {
    let (_dir, ws) = demo_workspace();
    let corpus: serde_json::Value =
        serde_json::from_str(include_str!("../clients/calls.json")).unwrap();
    let mut seen = std::collections::HashSet::new();
    for call in corpus["calls"].as_array().unwrap() {
        let tool = call["tool"].as_str().unwrap();
        if call.get("error").is_some() || !seen.insert(tool) {
            continue;
        }
        let args = call["args"].to_string();
        let md = dana(&ws, &["call", tool, "--args", &args, "--format", "md"]);
        assert_eq!(md.status.code(), Some(0), "{tool}: {}", text(&md.stderr));
        let out = text(&md.stdout);
        assert!(
            !out.trim_start().starts_with('{'),
            "{tool}: --format md printed JSON: {out:.200}"
        );
        assert!(!out.trim().is_empty(), "{tool}: empty Markdown");
    }
    let table = dana(&ws, &["call", "list_datasources", "--format", "table"]);
    assert_eq!(table.status.code(), Some(2));
    assert!(
        text(&table.stderr).contains("use `json`"),
        "{}",
        text(&table.stderr)
    );
}

/// `dana render`, `dana gate status` and `dana audit` in their formats; the audit log's
/// JSON carries each payload as an object, and logs are plain text off a terminal.
#[test]
fn render_gate_and_audit_commands() {
    let (_dir, ws) = demo_workspace();
    let doc = dana(&ws, &["render", "retail", "discover"]);
    assert_eq!(doc.status.code(), Some(0), "{}", text(&doc.stderr));
    assert!(text(&doc.stdout).contains("## Data Dictionary"));
    let written = dana(&ws, &["render", "retail", "discover", "--write"]);
    assert_eq!(written.status.code(), Some(0));
    assert!(
        ws.join("docs/dana/retail/phase1_data_discovery.md")
            .is_file()
    );
    for format in ["table", "json", "md"] {
        let status = dana(
            &ws,
            &["gate", "status", "retail", "discover", "--format", format],
        );
        assert_eq!(
            status.status.code(),
            Some(0),
            "{format}: {}",
            text(&status.stderr)
        );
        let verify = dana(&ws, &["audit", "verify", "--format", format]);
        assert_eq!(verify.status.code(), Some(0), "{format}");
        let log = dana(&ws, &["audit", "log", "retail", "--format", format]);
        assert_eq!(log.status.code(), Some(0), "{format}");
        if format == "json" {
            let rows: serde_json::Value = serde_json::from_slice(&log.stdout).unwrap();
            let first = &rows.as_array().unwrap()[0];
            assert!(
                first["payload"].is_object(),
                "payload is JSON, not a string: {first}"
            );
        }
    }
    let logged = dana(&ws, &["--log", "debug", "call", "list_datasources"]);
    assert!(
        !text(&logged.stderr).contains('\u{1b}'),
        "ANSI colours in a log file"
    );
    assert!(!text(&logged.stderr).is_empty(), "debug logs go to stderr");
}
