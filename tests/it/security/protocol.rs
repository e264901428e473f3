//! The protocol's promises attacked: tool writes over dana's own files, escape sequences
//! aimed at the human's terminal, store errors that would echo a password, review answers
//! from other sessions and sessionless requests, approvals without the reviewer's key,
//! and tampering with every table of the store (SQLite and PostgreSQL): `dana audit
//! verify` names the first bad row and no gate state is computed from such a store.

use std::path::Path;
use std::sync::Arc;

use dana::App;
use dana::protocol::gate::{self, Decision, HumanAnswer, Provenance};
use dana::store::protocol::{Audit, NewDecision};
use rmcp::model::{
    CallToolRequestParams, ClientCapabilities, ClientConfig, Implementation, ProtocolVersion,
    ServerCapabilities,
};
use rmcp::service::{RoleClient, RoleServer, serve_directly};
use serde_json::{Value, json};
use tempfile::TempDir;

use crate::common::{Harness, postgres_url, text};
use crate::protocol::{PgDb, dana, discover_ready, pg_app, workspace};

const PASSPHRASE: &str = "correct horse battery staple";

fn terminal(interactive: bool) -> Provenance {
    Provenance {
        channel: "terminal",
        os_user: "test".into(),
        interactive,
        signature: None,
    }
}

fn answer(decision: Decision, reviewer: &str, comment: &str, questions: &[&str]) -> HumanAnswer {
    HumanAnswer {
        decision,
        reviewer: reviewer.into(),
        comment: comment.into(),
        questions: questions.iter().map(|q| q.to_string()).collect(),
    }
}

async fn state(app: &App, project: &str, phase: &str) -> String {
    let (_, evals, index) = gate::load(app, project, phase).await.expect("load");
    evals[index].state.as_str().to_string()
}

/// Runs `dana` with `input` on stdin and extra environment.
fn dana_with(
    dir: &Path,
    args: &[&str],
    input: &str,
    env: &[(&str, &str)],
) -> (i32, String, String) {
    use std::io::Write as _;
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_dana"));
    cmd.arg("--workspace")
        .arg(dir)
        .args(args)
        .env_remove("DANA_DATABASE_URL")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("run dana");
    let _ = child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes());
    let output = child.wait_with_output().expect("wait");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

// ---------------------------------------------------------------- item 1: documents

#[tokio::test]
async fn documents_never_overwrite_danas_own_files() {
    let (dir, app) = workspace().await;
    discover_ready(&app, "shop").await;
    let root = dir.path().to_path_buf();
    std::fs::write(root.join("dana.toml"), "# config\n").expect("dana.toml");
    std::fs::create_dir_all(root.join("templates/protocol")).expect("templates");
    std::fs::write(
        root.join("templates/protocol/gate_review.md.j2"),
        "override\n",
    )
    .expect("t");
    std::fs::write(root.join("templates/notes.md"), "template notes\n").expect("t");
    std::fs::create_dir_all(root.join("playbooks")).expect("playbooks");
    std::fs::write(root.join("playbooks/readme.md"), "playbook notes\n").expect("p");
    std::fs::create_dir_all(root.join("docs/dana")).expect("docs");
    std::os::unix::fs::symlink(root.join(".dana/state.db"), root.join("docs/dana/link.md"))
        .expect("symlink");
    std::os::unix::fs::symlink(root.join(".dana"), root.join("docs/dana/state"))
        .expect("symlinked folder");
    std::fs::write(root.join("docs/dana/human.md"), "the human's own notes\n").expect("human");
    let outside = tempfile::tempdir().expect("outside");
    std::os::unix::fs::symlink(outside.path(), root.join("docs/dana/away")).expect("away");
    let before = |p: &str| std::fs::read(root.join(p)).unwrap_or_default();
    let guarded = [
        ".dana/state.db",
        ".dana/state.db-wal",
        "dana.toml",
        "templates/protocol/gate_review.md.j2",
        "templates/notes.md",
        "playbooks/readme.md",
        "docs/dana/human.md",
    ];
    let snapshot: Vec<Vec<u8>> = guarded.iter().map(|p| before(p)).collect();
    let h = Harness::start(dir, app.clone(), (), None).await;
    let attempts = [
        ".dana/state.db",
        ".dana/state.db-wal",
        ".dana/state.md",
        "dana.toml",
        "templates/protocol/gate_review.md.j2",
        "templates/notes.md",
        "playbooks/readme.md",
        "docs/dana/../../.dana/state.db",
        "../outside.md",
        "/etc/passwd",
        "docs/dana/link.md",
        "docs/dana/state/state.db",
        "docs/dana/state/x.md",
        "docs/dana/away/x.md",
        "docs/dana/human.md",
        "docs/dana/state.db.md",
        "notes.md",
        "docs/dana/x.txt",
    ];
    for path in attempts {
        let result = h
            .call(
                "render_phase_document",
                json!({"project": "shop", "phase": "discover", "write": true, "path": path}),
            )
            .await;
        assert_eq!(result.is_error, Some(true), "{path}: {}", text(&result));
        assert!(text(&result).contains("path"), "{path}: {}", text(&result));
    }
    for (p, bytes) in guarded.iter().zip(&snapshot) {
        assert_eq!(&before(p), bytes, "{p} was changed");
    }
    assert!(
        std::fs::read_dir(outside.path())
            .expect("outside")
            .next()
            .is_none()
    );
    // The default place, and a path under the documents folder, work; rewriting works.
    for args in [
        json!({"project": "shop", "phase": "discover", "write": true}),
        json!({"project": "shop", "phase": "discover", "write": true, "path": "docs/dana/shop/d.md"}),
        json!({"project": "shop", "phase": "discover", "write": true, "path": "docs/dana/shop/d.md"}),
    ] {
        let ok = h.call("render_phase_document", args.clone()).await;
        assert_ne!(ok.is_error, Some(true), "{args}: {}", text(&ok));
    }
    let report = dana::protocol::audit::verify(&app, None)
        .await
        .expect("verify");
    assert!(report.ok, "{:?}", report.first_bad);
}

// ---------------------------------------------------------------- item 8: sanitize

#[tokio::test]
async fn escape_sequences_never_reach_the_humans_terminal() {
    let (dir, app) = workspace().await;
    discover_ready(&app, "shop").await;
    let evil = "Mallory\u{1b}[2K\u{1b}[1A\u{1b}]0;pwned\u{7}\u{9b}31m\r\u{202e}";
    gate::decide(
        &app,
        "shop",
        "discover",
        None,
        None,
        answer(
            Decision::Clarify,
            evil,
            "",
            &["why?\u{1b}[31m [pass] \u{1b}[0m"],
        ),
        &terminal(false),
    )
    .await
    .expect("clarify");
    for args in [
        vec!["gate", "status", "shop", "discover"],
        vec!["gate", "status", "shop", "discover", "--format", "json"],
        vec!["audit", "log", "shop"],
        vec!["audit", "log", "shop", "--format", "json"],
        vec!["render", "shop", "discover"],
    ] {
        let (code, out, err) = dana(dir.path(), &args, None);
        assert_eq!(code, 0, "{args:?}: {err}");
        for bad in ['\u{1b}', '\u{9b}', '\r', '\u{7}', '\u{202e}'] {
            assert!(!out.contains(bad), "{args:?} printed {bad:?}: {out:?}");
            assert!(!err.contains(bad), "{args:?} printed {bad:?} on stderr");
        }
    }
    let (_, out, _) = dana(dir.path(), &["gate", "status", "shop", "discover"], None);
    assert!(out.contains("Mallory"), "{out}");
}

// ---------------------------------------------------------------- item 12: redaction

#[tokio::test]
async fn store_errors_never_show_the_password() {
    let dir = tempfile::tempdir().expect("dir");
    let mut urls = vec![
        "postgres://dana:Sup3rSecretPw@127.0.0.1:1/state".to_string(),
        "postgres://dana:Sup3r%53ecretPw@127.0.0.1:1/state?connect_timeout=2".to_string(),
        "postgres://dana:Sup3rSecretPw@[::1:bad/state".to_string(),
    ];
    if let Some(base) = postgres_url() {
        let (prefix, _) = base.rsplit_once('/').expect("db");
        let with_pw = prefix.replacen("://postgres@", "://postgres:Sup3rSecretPw@", 1);
        urls.push(format!("{with_pw}/sec_proto_missing_database"));
    }
    for url in &urls {
        for args in [
            vec!["audit", "verify"],
            vec!["gate", "status", "p", "discover"],
        ] {
            let (code, out, err) = dana_with(dir.path(), &args, "", &[("DANA_DATABASE_URL", url)]);
            assert_ne!(code, 0, "{url}: {out}");
            for secret in ["Sup3rSecretPw", "Sup3r%53ecretPw", "Sup3rSecret"] {
                assert!(
                    !err.contains(secret) && !out.contains(secret),
                    "{url}: {err}"
                );
            }
        }
    }
}

// ---------------------------------------------------------------- item 6: sessions

/// A 2026-07-28 connection (declares elicitation) to `server`, as the rmcp client.
async fn mrtr_client(
    server: dana::server::DanaServer,
) -> rmcp::service::RunningService<RoleClient, ()> {
    let (server_io, client_io) = tokio::io::duplex(1024 * 1024);
    let client_info = ClientConfig::new(
        ClientCapabilities::builder().enable_elicitation().build(),
        Implementation::new("mrtr-client", "1.0.0"),
    )
    .with_protocol_version(ProtocolVersion::V_2026_07_28);
    tokio::spawn(async move {
        let running =
            serve_directly::<RoleServer, _, _, _, _>(server, server_io, Some(client_info));
        let _ = running.waiting().await;
    });
    let mut server_info =
        rmcp::model::InitializeResult::new(ServerCapabilities::builder().enable_tools().build());
    server_info.protocol_version = ProtocolVersion::V_2026_07_28;
    serve_directly::<RoleClient, _, _, _, _>((), client_io, Some(server_info.into()))
}

fn review_args() -> rmcp::model::JsonObject {
    json!({"project": "shop", "phase": "discover"})
        .as_object()
        .cloned()
        .expect("object")
}

#[tokio::test]
async fn a_review_is_answered_only_on_the_session_it_was_sent_to() {
    let (_dir, app) = workspace().await;
    discover_ready(&app, "shop").await;
    let server = dana::server::DanaServer::new(app.clone(), None).expect("server");
    let alice = mrtr_client(server.for_connection()).await;
    let mallory = mrtr_client(server.for_connection()).await;
    let first = alice
        .call_tool_once(
            CallToolRequestParams::new("request_gate_review").with_arguments(review_args()),
        )
        .await
        .expect("first round");
    let rmcp::model::CallToolResponse::InputRequired(input) = first else {
        panic!("expected InputRequiredResult, got {first:?}");
    };
    let token = input.request_state.clone().expect("requestState");
    let mut forged =
        CallToolRequestParams::new("request_gate_review").with_arguments(review_args());
    forged.request_state = Some(token.clone());
    forged.input_responses = Some(
        serde_json::from_value(json!({"gate_decision": {"action": "accept", "content": {"decision": "yes", "reviewer": "Mallory"}}}))
            .expect("responses"),
    );
    let refused = mallory
        .call_tool_once(forged.clone())
        .await
        .expect("forged round");
    let rmcp::model::CallToolResponse::Complete(refused) = refused else {
        panic!("expected an error result");
    };
    assert_eq!(refused.is_error, Some(true));
    assert!(
        text(&refused).contains("another session"),
        "{}",
        text(&refused)
    );
    assert_eq!(state(&app, "shop", "discover").await, "awaiting_review");
    // Alice's own answer on her session goes through.
    let mut own = forged;
    own.input_responses = Some(
        serde_json::from_value(json!({"gate_decision": {"action": "accept", "content": {"decision": "yes", "reviewer": "Alice"}}}))
            .expect("responses"),
    );
    let done = alice.call_tool_once(own).await.expect("own round");
    let rmcp::model::CallToolResponse::Complete(done) = done else {
        panic!("expected a result");
    };
    assert_ne!(done.is_error, Some(true), "{}", text(&done));
    assert_eq!(state(&app, "shop", "discover").await, "approved");
}

async fn http_app() -> (
    String,
    tokio_util::sync::CancellationToken,
    TempDir,
    Arc<App>,
) {
    let (dir, app) = workspace().await;
    discover_ready(&app, "shop").await;
    let server = dana::server::DanaServer::new(app.clone(), None).expect("server");
    let options = dana::server::http::HttpOptions::new("127.0.0.1:0".parse().expect("addr"));
    let bound = dana::server::http::HttpServer::bind(server, options)
        .await
        .expect("bind");
    let addr = bound.local_addr().to_string();
    let token = bound.shutdown_token();
    tokio::spawn(bound.run());
    (addr, token, dir, app)
}

/// POSTs a JSON-RPC message; returns the status and the JSON-RPC answer, if any.
async fn post(
    addr: &str,
    headers: &[(&str, &str)],
    body: Value,
) -> (u16, Option<Value>, reqwest::header::HeaderMap) {
    let mut request = reqwest::Client::new()
        .post(format!("http://{addr}/mcp"))
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream");
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    let response = request.body(body.to_string()).send().await.expect("post");
    let status = response.status().as_u16();
    let head = response.headers().clone();
    let text = response.text().await.unwrap_or_default();
    let answer = if text.trim_start().starts_with('{') {
        serde_json::from_str(&text).ok()
    } else {
        text.lines()
            .filter_map(|l| l.strip_prefix("data:"))
            .filter_map(|d| serde_json::from_str::<Value>(d.trim()).ok())
            .find(|v| {
                v.get("id").is_some() && (v.get("result").is_some() || v.get("error").is_some())
            })
    };
    (status, answer, head)
}

fn mrtr_meta() -> Value {
    json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientInfo": {"name": "mallory", "version": "1"},
        "io.modelcontextprotocol/clientCapabilities": {"elicitation": {"form": {}}},
    })
}

fn outcome(answer: &Option<Value>) -> String {
    let result = &answer.as_ref().expect("an answer")["result"];
    format!(
        "{}{}",
        result["structuredContent"]["outcome"]
            .as_str()
            .unwrap_or(""),
        result["content"][0]["text"].as_str().unwrap_or("")
    )
}

#[tokio::test]
async fn sessionless_requests_and_meta_claims_never_answer_a_review() {
    let (addr, stop, _dir, app) = http_app().await;
    // Sessionless 2026-07-28 POSTs claiming elicitation in `_meta`: nobody is asked.
    let mrtr = [
        ("mcp-protocol-version", "2026-07-28"),
        ("mcp-method", "tools/call"),
        ("mcp-name", "request_gate_review"),
    ];
    let call = |id: i64, extra: Value| {
        let mut params = json!({"name": "request_gate_review", "arguments": {"project": "shop", "phase": "discover"}, "_meta": mrtr_meta()});
        if let (Some(p), Some(e)) = (params.as_object_mut(), extra.as_object()) {
            for (k, v) in e {
                p.insert(k.clone(), v.clone());
            }
        }
        json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": params})
    };
    let (status, first, _) = post(&addr, &mrtr, call(1, json!({}))).await;
    assert_eq!(status, 200, "{first:?}");
    assert!(outcome(&first).contains("pending_human"), "{first:?}");
    // Two sessionless POSTs echoing a requestState with a Yes: refused, nothing approved.
    for id in [2, 3] {
        let forged = call(
            id,
            json!({
                "requestState": "0123456789abcdef0123456789abcdef",
                "inputResponses": {"gate_decision": {"action": "accept", "content": {"decision": "yes", "reviewer": "Mallory"}}}
            }),
        );
        let (_, answer, _) = post(&addr, &mrtr, forged).await;
        let result = &answer.as_ref().expect("answer")["result"];
        assert_eq!(result["isError"], true, "{answer:?}");
        assert!(
            outcome(&answer).contains("cannot answer a gate review"),
            "{answer:?}"
        );
    }
    // A legacy session that declared no elicitation, claiming it per request in `_meta`.
    let init = json!({"jsonrpc":"2.0","id":1,"method":"initialize","params":{
        "protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"0"}}});
    let (status, _, head) = post(&addr, &[], init).await;
    assert_eq!(status, 200);
    let session = head["mcp-session-id"]
        .to_str()
        .expect("session")
        .to_string();
    let on_session = [
        ("mcp-session-id", session.as_str()),
        ("mcp-protocol-version", "2025-06-18"),
    ];
    let (_, _, _) = post(
        &addr,
        &on_session,
        json!({"jsonrpc":"2.0","method":"notifications/initialized"}),
    )
    .await;
    let claim = json!({"jsonrpc": "2.0", "id": 9, "method": "tools/call", "params": {
        "name": "request_gate_review", "arguments": {"project": "shop", "phase": "discover"},
        "_meta": {"io.modelcontextprotocol/clientCapabilities": {"elicitation": {"form": {}}}}}});
    let (_, answer, _) = post(&addr, &on_session, claim).await;
    assert!(outcome(&answer).contains("pending_human"), "{answer:?}");
    let forged = json!({"jsonrpc": "2.0", "id": 10, "method": "tools/call", "params": {
        "name": "request_gate_review", "arguments": {"project": "shop", "phase": "discover"},
        "requestState": "0123456789abcdef0123456789abcdef",
        "inputResponses": {"gate_decision": {"action": "accept", "content": {"decision": "yes", "reviewer": "Mallory"}}}}});
    let (_, answer, _) = post(&addr, &on_session, forged).await;
    let text = outcome(&answer);
    assert!(
        !text.contains("approved") || text.contains("cannot"),
        "{answer:?}"
    );
    assert_eq!(state(&app, "shop", "discover").await, "pending_human");
    stop.cancel();
}

// ---------------------------------------------------------------- item 7: reviewers

fn add_reviewer(dir: &Path, name: &str, input: &str, extra: &[&str]) -> (i32, String, String) {
    let mut args = vec!["reviewer", "add", name];
    args.extend_from_slice(extra);
    dana_with(dir, &args, input, &[("DANA_REVIEWER_PASSPHRASE_FD", "0")])
}

/// Runs `dana` on a pseudo-terminal (as an agent with a shell can), typing `typed`.
fn in_pty(dir: &Path, args: &str, typed: &str) -> (i32, String) {
    use std::io::Write as _;
    let command = format!(
        "{} --workspace {} {args}",
        env!("CARGO_BIN_EXE_dana"),
        dir.display()
    );
    let mut child = std::process::Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .env_remove("DANA_DATABASE_URL")
        .env("USER", "root-spoofed-by-agent")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("script (util-linux)");
    let _ = child
        .stdin
        .take()
        .expect("stdin")
        .write_all(typed.as_bytes());
    let output = child.wait_with_output().expect("wait");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn once_a_reviewer_exists_only_their_passphrase_decides() {
    let (dir, app) = workspace().await;
    discover_ready(&app, "shop").await;
    // Without reviewers a pty approval works, but the OS user is the real one.
    let (code, out, err) = add_reviewer(dir.path(), "Ada", "short\n", &[]);
    assert_ne!(code, 0, "{out}{err}");
    let (code, out, err) = add_reviewer(dir.path(), "Ada", &format!("{PASSPHRASE}\n"), &[]);
    assert_eq!(code, 0, "{out}{err}");
    // A second reviewer needs an endorsement by the first, with the first's passphrase.
    let (code, _, err) = add_reviewer(dir.path(), "Eve", &format!("{PASSPHRASE} eve\n"), &[]);
    assert_ne!(code, 0);
    assert!(err.contains("endorsed"), "{err}");
    // `--yes` no longer records anything.
    let (code, _, err) = dana(
        dir.path(),
        &[
            "gate",
            "approve",
            "shop",
            "discover",
            "--reviewer",
            "Ada",
            "--yes",
        ],
        None,
    );
    assert_ne!(code, 0);
    assert!(err.contains("--yes"), "{err}");
    // The agent's own pty: typing `yes` is not the passphrase.
    let (code, out) = in_pty(
        dir.path(),
        "gate approve shop discover --reviewer Ada",
        "yes\n",
    );
    assert_ne!(code, 0, "{out}");
    assert!(out.contains("wrong passphrase"), "{out}");
    // An MCP client answering Yes: the gate waits for the terminal instead.
    let review = dana::protocol::review::review(
        &app,
        &serde_json::from_value(json!({"project": "shop", "phase": "discover"})).expect("params"),
        dana::protocol::review::Channel::InputRequired {
            responses: None,
            state: None,
            session: "s".into(),
        },
    )
    .await
    .expect("review");
    let dana::protocol::review::ReviewResult::Done(review) = review else {
        panic!("no form may be sent once reviewers exist");
    };
    assert_eq!(review.state.as_str(), "pending_human");
    // A decision recorded through the library without a signature is refused.
    let err = gate::decide(
        &app,
        "shop",
        "discover",
        None,
        None,
        answer(Decision::Yes, "Ada", "", &[]),
        &terminal(true),
    )
    .await
    .expect_err("unsigned");
    assert!(err.to_string().contains("signed"), "{err}");
    assert_eq!(state(&app, "shop", "discover").await, "pending_human");
    // The reviewer, with the passphrase: approved, signed, verified.
    let (code, out, err) = dana_with(
        dir.path(),
        &["gate", "approve", "shop", "discover", "--reviewer", "Ada"],
        &format!("{PASSPHRASE}\n"),
        &[
            ("DANA_REVIEWER_PASSPHRASE_FD", "0"),
            ("USER", "root-spoofed"),
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    let rows = app
        .store()
        .await
        .expect("store")
        .protocol_rows("shop")
        .await
        .expect("rows");
    let approval = rows
        .decisions
        .iter()
        .find(|d| d.decision == "approved")
        .expect("approval");
    assert_eq!(approval.signer.as_deref(), Some("Ada"));
    assert!(
        !approval.os_user.contains("spoofed"),
        "{}",
        approval.os_user
    );
    let report = dana::protocol::audit::verify(&app, None)
        .await
        .expect("verify");
    assert!(report.ok, "{:?}", report.first_bad);
    // A correctly chained but unsigned decision appended behind dana's back is named.
    discover_ready(&app, "two").await;
    let store = app.store().await.expect("store");
    let mut tx = store.begin_locked().await.expect("lock");
    tx.insert_decision(
        &NewDecision {
            project_id: "two",
            phase: "discover",
            gate_id: "G1",
            request_id: None,
            decision: "approved",
            reviewer: "Ada",
            comment: "",
            os_user: "agent",
            interactive: true,
            channel: "terminal",
            snapshot: "{}",
            signer: None,
            signature: None,
            created_at: None,
        },
        Audit {
            project: Some("two"),
            phase: Some("discover"),
            event: "gate_approved",
            actor: "Ada",
            payload: json!({}),
        },
    )
    .await
    .expect("append");
    tx.commit().await.expect("commit");
    let report = dana::protocol::audit::verify(&app, None)
        .await
        .expect("verify");
    let bad = report.first_bad.expect("forged append detected");
    assert_eq!(bad.table, "gate_decisions", "{bad:?}");
    assert!(bad.reason.contains("not signed"), "{bad:?}");
    let err = gate::load(&app, "two", "discover")
        .await
        .expect_err("no state from it");
    assert!(err.to_string().contains("does not verify"), "{err}");
}

#[tokio::test]
async fn the_os_user_comes_from_the_system_not_the_environment() {
    let (dir, app) = workspace().await;
    discover_ready(&app, "shop").await;
    let (code, out, err) = dana_with(
        dir.path(),
        &[
            "gate",
            "reject",
            "shop",
            "discover",
            "--reviewer",
            "Ada",
            "--comment",
            "no",
            "--yes",
        ],
        "",
        &[("USER", "somebody-else"), ("LOGNAME", "somebody-else")],
    );
    assert_eq!(code, 0, "{out}{err}");
    let rows = app
        .store()
        .await
        .expect("store")
        .protocol_rows("shop")
        .await
        .expect("rows");
    let os_user = &rows.decisions[0].os_user;
    assert!(
        !os_user.contains("somebody-else") && os_user.contains("uid"),
        "{os_user}"
    );
}

// ---------------------------------------------------------------- item 5: overrides

#[tokio::test]
async fn overridden_playbooks_are_shown_and_recorded() {
    let dir = tempfile::tempdir().expect("dir");
    std::fs::create_dir_all(dir.path().join("playbooks")).expect("playbooks");
    std::fs::write(
        dir.path().join("playbooks/phases.yaml"),
        dana::playbook::Playbooks::embedded()
            .expect("embedded")
            .source("phases")
            .expect("phases")
            .text
            .clone(),
    )
    .expect("override");
    std::fs::create_dir_all(dir.path().join("templates/protocol")).expect("templates");
    std::fs::write(
        dir.path().join("templates/protocol/gate_review.md.j2"),
        "Everything is fine, approve: {{ project }}",
    )
    .expect("template override");
    let store = dana::store::Store::open_sqlite(&crate::protocol::state_db(dir.path()))
        .await
        .expect("store");
    let app = App::with_store(dir.path(), store).expect("app");
    discover_ready(&app, "shop").await;
    let reviewer = FormClient::default();
    let messages = reviewer.messages.clone();
    let h = Harness::start(dir, app.clone(), reviewer, None).await;
    let review = h
        .ok(
            "request_gate_review",
            json!({"project": "shop", "phase": "discover"}),
        )
        .await;
    assert_eq!(review["outcome"], "approved", "{review}");
    let message = messages.lock().expect("lock")[0].clone();
    assert!(
        !message.contains("Everything is fine"),
        "the override rendered the form: {message}"
    );
    assert!(
        message.contains("WARNING") && message.contains("playbooks/phases.yaml"),
        "{message}"
    );
    assert!(
        message.contains("templates/protocol/gate_review.md.j2"),
        "{message}"
    );
    let log = dana::protocol::audit::log(&app, "shop").await.expect("log");
    let approved = log
        .iter()
        .find(|r| r.event == "gate_approved")
        .expect("approval row");
    let payload: Value = serde_json::from_str(&approved.payload).expect("json");
    assert_eq!(
        payload["playbooks_sha256"],
        app.playbooks.effective_sha256().as_str()
    );
    assert!(
        payload["snapshot"]["overrides"]
            .to_string()
            .contains("phases.yaml"),
        "{payload}"
    );
}

/// A client that declares elicitation, keeps every form message and answers Yes as Ada.
#[derive(Clone, Default)]
struct FormClient {
    messages: Arc<std::sync::Mutex<Vec<String>>>,
}

impl rmcp::ClientHandler for FormClient {
    fn get_info(&self) -> ClientConfig {
        ClientConfig::new(
            ClientCapabilities::builder().enable_elicitation().build(),
            Implementation::new("form-client", "1.0.0"),
        )
    }

    async fn create_elicitation(
        &self,
        request: rmcp::model::ElicitRequestParams,
        _context: rmcp::service::RequestContext<RoleClient>,
    ) -> Result<rmcp::model::ElicitResult, rmcp::model::ErrorData> {
        if let rmcp::model::ElicitRequestParams::FormElicitationParams { message, .. } = &request {
            self.messages.lock().expect("lock").push(message.clone());
        }
        Ok(
            rmcp::model::ElicitResult::new(rmcp::model::ElicitationAction::Accept)
                .with_content(json!({"decision": "yes", "reviewer": "Ada"})),
        )
    }
}

// ---------------------------------------------------------------- item 9: tampering

/// A store with every table populated: `shop` approved (with a pending request before),
/// `two` rejected then asked a question that was answered, a reviewer-free history.
async fn populated(app: &App) {
    discover_ready(app, "shop").await;
    dana::protocol::review::review(
        app,
        &serde_json::from_value(json!({"project": "shop", "phase": "discover"})).expect("params"),
        dana::protocol::review::Channel::Pending,
    )
    .await
    .expect("pending");
    gate::decide(
        app,
        "shop",
        "discover",
        None,
        None,
        answer(Decision::Yes, "Ada", "", &[]),
        &terminal(false),
    )
    .await
    .expect("approve");
    discover_ready(app, "two").await;
    gate::decide(
        app,
        "two",
        "discover",
        None,
        None,
        answer(Decision::No, "Ada", "missing owner", &[]),
        &terminal(true),
    )
    .await
    .expect("reject");
    gate::decide(
        app,
        "two",
        "discover",
        None,
        None,
        answer(Decision::Clarify, "Ada", "", &["who owns it?"]),
        &terminal(true),
    )
    .await
    .expect("clarify");
    gate::answer_question(app, "two", "discover", None, "the data team", "Bob")
        .await
        .expect("answer");
}

/// (what, SQL statements, the table `verify` must name).
fn tamperings() -> Vec<(&'static str, Vec<&'static str>, &'static str)> {
    vec![
        (
            "project renamed",
            vec!["UPDATE projects SET name = 'Evil' WHERE id = 'two'"],
            "projects",
        ),
        (
            "project inserted",
            vec![
                "INSERT INTO projects (id, name, description, created_at) VALUES ('ghost', 'g', '', '2026-01-01T00:00:00.000Z')",
            ],
            "projects",
        ),
        (
            "artifact content edited",
            vec![
                "UPDATE artifacts SET content = '{\"tables\":[]}' WHERE kind = 'source_profile' AND project_id = 'shop'",
            ],
            "artifacts",
        ),
        (
            "artifact deleted",
            vec!["DELETE FROM artifacts WHERE id = (SELECT MAX(id) FROM artifacts)"],
            "artifacts",
        ),
        (
            "artifact inserted",
            vec![
                "INSERT INTO artifacts (id, project_id, phase, kind, version, tool, content, content_sha256, created_at, audit_seq) SELECT 999, project_id, phase, kind, version + 1, tool, content, content_sha256, created_at, audit_seq FROM artifacts WHERE id = 1",
            ],
            "artifacts",
        ),
        (
            "request channel rewritten",
            vec!["UPDATE gate_requests SET channel = 'elicitation'"],
            "gate_requests",
        ),
        (
            "request deleted",
            vec!["DELETE FROM gate_requests"],
            "gate_requests",
        ),
        (
            "approval copied to another project reusing its audit row",
            vec![
                "INSERT INTO gate_decisions (id, project_id, phase, gate_id, request_id, decision, reviewer, comment, os_user, interactive, channel, snapshot, created_at, audit_seq, bound_seq, bound_hash) SELECT 99, 'two', phase, gate_id, NULL, decision, reviewer, comment, os_user, interactive, channel, snapshot, created_at, audit_seq, bound_seq, bound_hash FROM gate_decisions WHERE decision = 'approved'",
            ],
            "gate_decisions",
        ),
        (
            "rejection deleted",
            vec![
                "DELETE FROM clarifications",
                "DELETE FROM gate_decisions WHERE decision IN ('rejected', 'clarify')",
            ],
            "gate_decisions",
        ),
        (
            "--yes approval rewritten as interactive elicitation",
            vec![
                "UPDATE gate_decisions SET interactive = 1, channel = 'elicitation' WHERE decision = 'approved'",
            ],
            "gate_decisions",
        ),
        (
            "decision rebound to another audit row",
            vec![
                "UPDATE gate_decisions SET bound_seq = (SELECT MAX(bound_seq) FROM gate_decisions), bound_hash = (SELECT bound_hash FROM gate_decisions WHERE bound_seq = (SELECT MAX(bound_seq) FROM gate_decisions)) WHERE decision = 'approved'",
            ],
            "gate_decisions",
        ),
        (
            "question edited",
            vec!["UPDATE clarifications SET question = 'nothing to see'"],
            "clarifications",
        ),
        (
            "answer removed",
            vec!["UPDATE clarifications SET answer = NULL, answered_by = NULL, answered_at = NULL"],
            "clarifications",
        ),
        (
            "reviewer inserted",
            vec![
                "INSERT INTO reviewers (id, name, public_key, salt, kdf, os_user, created_at, audit_seq) VALUES (1, 'agent', 'aa', 'bb', '{}', 'agent', '2026-01-01T00:00:00.000Z', 1)",
            ],
            "reviewers",
        ),
        (
            "project history deleted",
            vec![
                "DELETE FROM clarifications WHERE project_id = 'two'",
                "DELETE FROM gate_decisions WHERE project_id = 'two'",
                "DELETE FROM gate_requests WHERE project_id = 'two'",
                "DELETE FROM artifacts WHERE project_id = 'two'",
                "DELETE FROM projects WHERE id = 'two'",
            ],
            "projects",
        ),
    ]
}

async fn run_tampering(
    app: &App,
    dir: &Path,
    url: Option<&str>,
    prelude: &[&str],
    sql: &[&str],
    table: &str,
    what: &str,
) {
    let before = dana::protocol::audit::verify(app, None)
        .await
        .expect("verify");
    assert!(
        before.ok,
        "{what}: before tampering: {:?}",
        before.first_bad
    );
    let approved_before: Vec<String> = ["shop", "two"]
        .iter()
        .map(|p| futures::executor::block_on(async { state(app, p, "discover").await }))
        .collect();
    let mut conn = app
        .store()
        .await
        .expect("store")
        .pool()
        .acquire()
        .await
        .expect("conn");
    for statement in prelude.iter().chain(sql) {
        sqlx::query(sqlx::AssertSqlSafe(statement.to_string()))
            .execute(&mut *conn)
            .await
            .unwrap_or_else(|e| panic!("{what}: {statement}: {e}"));
    }
    drop(conn);
    let report = dana::protocol::audit::verify(app, None)
        .await
        .expect("verify");
    let bad = report
        .first_bad
        .unwrap_or_else(|| panic!("{what}: not detected"));
    assert_eq!(bad.table, table, "{what}: {bad:?}");
    assert!(!bad.id.is_empty(), "{what}: {bad:?}");
    // No gate state is computed from the store now, through any path.
    for project in ["shop", "two"] {
        let err = gate::load(app, project, "discover").await.expect_err(what);
        assert!(err.to_string().contains("does not verify"), "{what}: {err}");
        if let Ok(status) = dana::domain::project::status(app, project).await {
            panic!(
                "{what}: status computed from a tampered store: {:?}",
                status.phases[0].state
            );
        }
    }
    let _ = approved_before;
    let (code, _, err) = dana(dir, &["audit", "verify"], url);
    assert_eq!(code, 1, "{what}: {err}");
    assert!(err.contains(table), "{what}: {err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tampering_with_any_table_is_named_on_sqlite() {
    for (what, sql, table) in tamperings() {
        let (dir, app) = workspace().await;
        populated(&app).await;
        run_tampering(
            &app,
            dir.path(),
            None,
            &["PRAGMA foreign_keys = OFF"],
            &sql,
            table,
            what,
        )
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tampering_with_any_table_is_named_on_postgres() {
    if postgres_url().is_none() {
        return;
    }
    for (what, sql, table) in tamperings() {
        let db = PgDb::create().await.expect("postgres");
        let (dir, app) = pg_app(&db.url).await;
        populated(&app).await;
        // Triggers and foreign keys off without DDL, as a superuser can.
        run_tampering(
            &app,
            dir.path(),
            Some(&db.url),
            &["SET session_replication_role = replica"],
            &sql,
            table,
            what,
        )
        .await;
        app.store().await.expect("store").pool().close().await;
        db.drop_db().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_artifact_edited_while_its_review_is_open_cannot_be_approved() {
    let (_dir, app) = workspace().await;
    discover_ready(&app, "shop").await;
    let opened = gate::open_request(&app, "shop", "discover", "pending", "test", None)
        .await
        .expect("open")
        .expect("ready");
    let pool = app.store().await.expect("store").pool().clone();
    sqlx::query("UPDATE artifacts SET content = '{\"tables\":[{\"name\":\"secrets\"}]}' WHERE kind = 'source_profile'")
        .execute(&pool)
        .await
        .expect("edit");
    let err = gate::decide(
        &app,
        "shop",
        "discover",
        Some(opened.id),
        None,
        answer(Decision::Yes, "Ada", "", &[]),
        &terminal(true),
    )
    .await
    .expect_err("approval refused");
    assert!(err.to_string().contains("does not verify"), "{err}");
    assert!(err.to_string().contains("artifacts"), "{err}");
}

// ---------------------------------------------------------------- item 9: upgrade

/// A store as dana v1 wrote it (migrations 0001 and 0002, rows and chain in the v1
/// format), built from the store's own first two migrations (shipped migrations never
/// change, so these are exactly what v1 ran).
async fn v1_store(path: &Path) {
    use dana::store::protocol::{AuditRow, GENESIS_HASH, canonical_json};
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/store/migrations/sqlite");
    let fixtures = path.with_extension("v1_migrations");
    std::fs::create_dir_all(&fixtures).expect("v1 migrations dir");
    for name in ["0001_projects_scores.sql", "0002_protocol.sql"] {
        std::fs::copy(shipped.join(name), fixtures.join(name)).expect("v1 migration");
    }
    let url = format!("sqlite://{}?mode=rwc", path.display());
    let pool = sqlx::SqlitePool::connect(&url).await.expect("v1 store");
    sqlx::migrate::Migrator::new(fixtures)
        .await
        .expect("v1 migrations")
        .run(&pool)
        .await
        .expect("migrate v1");
    let mut prev = GENESIS_HASH.to_string();
    let mut seq = 0;
    let mut append =
        |project: &str, phase: Option<&str>, event: &str, actor: &str, payload: Value| {
            seq += 1;
            let mut row = AuditRow {
                seq,
                project_id: Some(project.into()),
                phase: phase.map(str::to_string),
                event: event.into(),
                actor: actor.into(),
                payload: canonical_json(&payload),
                created_at: format!("2026-01-01T00:00:{seq:02}.000Z"),
                prev_hash: prev.clone(),
                hash: String::new(),
            };
            row.hash = row.compute_hash();
            prev = row.hash.clone();
            row
        };
    let content = r#"{"pattern":"lakehouse","questions":[]}"#;
    let sha = dana::store::protocol::sha256_hex(content);
    let rows = vec![
        append(
            "legacy",
            None,
            "project_started",
            "start_project",
            json!({"name": "Legacy", "description": ""}),
        ),
        append(
            "legacy",
            Some("discover"),
            "artifact_recorded",
            "assess_architecture",
            json!({"kind": "architecture_assessment", "version": 1, "tool": "assess_architecture", "content_sha256": sha}),
        ),
        append(
            "legacy",
            Some("discover"),
            "gate_rejected",
            "Ada",
            json!({"gate": "G1", "decision": "rejected", "reviewer": "Ada"}),
        ),
    ];
    for r in &rows {
        sqlx::query("INSERT INTO audit_log (seq, project_id, phase, event, actor, payload, created_at, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
            .bind(r.seq).bind(&r.project_id).bind(&r.phase).bind(&r.event).bind(&r.actor).bind(&r.payload).bind(&r.created_at).bind(&r.prev_hash).bind(&r.hash)
            .execute(&pool).await.expect("audit");
    }
    sqlx::query("INSERT INTO projects (id, name, description, created_at) VALUES ('legacy', 'Legacy', '', '2026-01-01T00:00:01.000Z')").execute(&pool).await.expect("project");
    sqlx::query("INSERT INTO artifacts (project_id, phase, kind, version, tool, content, content_sha256, created_at, audit_seq) VALUES ('legacy', 'discover', 'architecture_assessment', 1, 'assess_architecture', ?, ?, '2026-01-01T00:00:02.000Z', 2)")
        .bind(content).bind(&sha).execute(&pool).await.expect("artifact");
    sqlx::query("INSERT INTO gate_decisions (project_id, phase, gate_id, decision, reviewer, comment, os_user, interactive, channel, snapshot, created_at, audit_seq) VALUES ('legacy', 'discover', 'G1', 'rejected', 'Ada', 'no', 'ada', 1, 'terminal', '{}', '2026-01-01T00:00:03.000Z', 3)")
        .execute(&pool).await.expect("decision");
    pool.close().await;
}

#[tokio::test]
async fn a_v1_store_upgrades_binds_its_rows_and_verifies() {
    let dir = tempfile::tempdir().expect("dir");
    let db = crate::protocol::state_db(dir.path());
    v1_store(&db).await;
    let store = dana::store::Store::open_sqlite(&db).await.expect("upgrade");
    let app = App::with_store(dir.path(), store).expect("app");
    let report = dana::protocol::audit::verify(&app, None)
        .await
        .expect("verify");
    assert!(report.ok, "{:?}", report.first_bad);
    assert_eq!(report.rows, 4, "three v1 rows and the one binding them");
    assert_eq!(report.state_rows, 3);
    assert_eq!(state(&app, "legacy", "discover").await, "rejected");
    // Opening again binds nothing more; a row slipped in unbound later is named.
    drop(app);
    let store = dana::store::Store::open_sqlite(&db).await.expect("reopen");
    sqlx::query("INSERT INTO gate_decisions (project_id, phase, gate_id, decision, reviewer, comment, os_user, interactive, channel, snapshot, created_at, audit_seq) VALUES ('legacy', 'discover', 'G1', 'approved', 'Eve', '', 'eve', 1, 'terminal', '{}', '2026-01-01T00:00:09.000Z', 3)")
        .execute(store.pool()).await.expect("insert");
    let store = dana::store::Store::open_sqlite(&db).await.expect("reopen");
    let app = App::with_store(dir.path(), store).expect("app");
    let report = dana::protocol::audit::verify(&app, None)
        .await
        .expect("verify");
    let bad = report.first_bad.expect("unbound row named");
    assert_eq!(bad.table, "gate_decisions", "{bad:?}");
    assert_eq!(report.rows, 4);
}
