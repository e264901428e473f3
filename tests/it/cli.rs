//! The `dana` binary as an engineer uses it: score, call, serve over a real stdio
//! pipe (stdout carries only JSON-RPC, logs go to stderr), and startup errors.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

const DANA: &str = env!("CARGO_BIN_EXE_dana");

fn dana(workspace: &std::path::Path, args: &[&str]) -> std::process::Output {
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
