//! The protocol under load and under failure: 50 concurrent sessions recording artifacts
//! and requesting reviews on one project (SQLite and PostgreSQL, several store pools as
//! several server processes would have), concurrent approvals, and a `dana serve`
//! process killed with SIGKILL in the middle of writes.

use std::path::Path;
use std::sync::Arc;

use dana::App;
use dana::protocol::gate::{self, Decision, HumanAnswer, Provenance};
use rmcp::ServiceExt;
use rmcp::model::CallToolRequestParams;
use rmcp::service::{RoleClient, RunningService};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use crate::common::text;
use crate::protocol::{PgDb, dana, discover_ready, state_db};

const SESSIONS: usize = 50;
const RECORDS_PER_SESSION: usize = 4;
/// Store handles (pools), like separate `dana serve` processes sharing one database.
const POOLS: usize = 5;

async fn connect(app: Arc<App>) -> RunningService<RoleClient, ()> {
    let server = dana::server::DanaServer::new(app, None).expect("server");
    let (server_io, client_io) = tokio::io::duplex(1024 * 1024);
    tokio::spawn(async move {
        if let Ok(running) = server.serve(server_io).await {
            let _ = running.waiting().await;
        }
    });
    ().serve(client_io).await.expect("client")
}

fn score_args(project: &str) -> serde_json::Map<String, Value> {
    json!({
        "project": project,
        "dimensions": {
            "reliability": {"points": 20}, "data_quality": {"points": 10}, "performance": {"points": 8},
            "documentation": {"points": 5}, "monitoring": {"points": 8}, "testing": {"points": 5},
            "cost_efficiency": {"points": 5}
        }
    })
    .as_object()
    .cloned()
    .expect("object")
}

async fn fifty_sessions(apps: Vec<Arc<App>>) {
    let first = apps[0].clone();
    discover_ready(&first, "busy").await;
    let mut clients = Vec::new();
    for i in 0..SESSIONS {
        clients.push(connect(apps[i % apps.len()].clone()).await);
    }
    let work = clients.iter().enumerate().map(|(i, client)| async move {
        let mut errors = Vec::new();
        for n in 0..RECORDS_PER_SESSION {
            if n == i % RECORDS_PER_SESSION {
                let review = client
                    .call_tool(
                        CallToolRequestParams::new("request_gate_review").with_arguments(
                            json!({"project": "busy", "phase": "discover"})
                                .as_object()
                                .cloned()
                                .expect("object"),
                        ),
                    )
                    .await
                    .expect("review call");
                if review.is_error == Some(true) {
                    errors.push(text(&review));
                } else {
                    let outcome = review.structured_content.expect("structured")["outcome"].clone();
                    assert_eq!(outcome, "pending_human");
                }
            }
            let result = client
                .call_tool(
                    CallToolRequestParams::new("score_infrastructure")
                        .with_arguments(score_args("busy")),
                )
                .await
                .expect("score call");
            if result.is_error == Some(true) {
                errors.push(text(&result));
            }
        }
        errors
    });
    let errors: Vec<String> = futures::future::join_all(work)
        .await
        .into_iter()
        .flatten()
        .collect();
    assert!(
        errors.is_empty(),
        "{} calls failed, first: {}",
        errors.len(),
        errors[0]
    );

    let store = first.store().await.expect("store");
    let rows = store.protocol_rows("busy").await.expect("rows");
    let mut versions: Vec<i64> = rows
        .artifacts
        .iter()
        .filter(|a| a.kind == "infrastructure_score")
        .map(|a| a.version)
        .collect();
    versions.sort_unstable();
    let expected: Vec<i64> = (1..=(SESSIONS * RECORDS_PER_SESSION) as i64).collect();
    assert_eq!(versions, expected, "no lost or duplicated version");
    let audit = store.audit_rows(None).await.expect("audit");
    let recorded = audit
        .iter()
        .filter(|r| r.event == "artifact_recorded")
        .count();
    assert_eq!(
        recorded,
        SESSIONS * RECORDS_PER_SESSION + 2,
        "one audit row per artifact"
    );
    let pending = audit.iter().filter(|r| r.event == "gate_pending").count();
    assert_eq!(
        pending,
        rows.requests.len(),
        "one audit row per pending request"
    );
    assert!((1..=SESSIONS).contains(&pending), "{pending}");
    let report = dana::protocol::audit::verify(&first, None)
        .await
        .expect("verify");
    assert!(report.ok, "{:?}", report.first_bad);
    assert_eq!(report.rows as usize, audit.len());
    let status = dana::domain::project::status(&first, "busy")
        .await
        .expect("status");
    assert_eq!(status.phases[0].state, "pending_human");

    // 50 humans approve at once: exactly one approval is recorded.
    let approvals = (0..SESSIONS).map(|i| {
        let app = apps[i % apps.len()].clone();
        async move {
            gate::decide(
                &app,
                "busy",
                "discover",
                None,
                None,
                HumanAnswer {
                    decision: Decision::Yes,
                    reviewer: format!("reviewer-{i}"),
                    comment: String::new(),
                    questions: Vec::new(),
                },
                &Provenance {
                    channel: "terminal",
                    os_user: "test".into(),
                    interactive: false,
                    signature: None,
                },
            )
            .await
        }
    });
    let results = futures::future::join_all(approvals).await;
    let ok = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(ok, 1, "exactly one approval");
    for r in results.iter().filter_map(|r| r.as_ref().err()) {
        assert!(r.to_string().contains("already approved"), "{r}");
    }
    let rows = store.protocol_rows("busy").await.expect("rows");
    assert_eq!(
        rows.decisions
            .iter()
            .filter(|d| d.decision == "approved")
            .count(),
        1
    );
    let report = dana::protocol::audit::verify(&first, None)
        .await
        .expect("verify");
    assert!(report.ok, "{:?}", report.first_bad);
    for client in clients {
        let _ = client.cancel().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_sessions_on_sqlite() {
    let dir = tempfile::tempdir().expect("dir");
    let path = state_db(dir.path());
    let mut apps = Vec::new();
    for _ in 0..POOLS {
        let store = dana::store::Store::open_sqlite(&path).await.expect("store");
        apps.push(App::with_store(dir.path(), store).expect("app"));
    }
    fifty_sessions(apps).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_sessions_on_postgres() {
    let Some(db) = PgDb::create().await else {
        return;
    };
    let dir = tempfile::tempdir().expect("dir");
    let mut apps = Vec::new();
    for _ in 0..POOLS {
        let store = dana::store::Store::connect(&db.url).await.expect("store");
        apps.push(App::with_store(dir.path(), store).expect("app"));
    }
    fifty_sessions(apps.clone()).await;
    for app in apps {
        app.store().await.expect("store").pool().close().await;
    }
    db.drop_db().await;
}

/// Drives `dana serve` over stdio with pipelined writes and kills it with SIGKILL once
/// some have been acknowledged: every acknowledged artifact must be in the store and
/// the chain must verify.
async fn killed_mid_write(dir: &Path, database_url: Option<&str>) {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_dana"));
    cmd.arg("--workspace").arg(dir).arg("serve");
    match database_url {
        Some(url) => cmd.env("DANA_DATABASE_URL", url),
        None => cmd.env_remove("DANA_DATABASE_URL"),
    };
    let mut child = cmd
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn dana serve");
    let mut stdin = child.stdin.take().expect("stdin");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let send = |v: Value| format!("{v}\n");
    stdin
        .write_all(
            send(json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
                "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "killer", "version": "1"}
            }}))
            .as_bytes(),
        )
        .await
        .expect("write");
    let init = lines
        .next_line()
        .await
        .expect("read")
        .expect("initialize answer");
    assert!(init.contains("\"id\":0"), "{init}");
    stdin
        .write_all(
            send(json!({"jsonrpc": "2.0", "method": "notifications/initialized"})).as_bytes(),
        )
        .await
        .expect("write");
    let total = 400;
    let mut batch = String::new();
    for id in 1..=total {
        batch.push_str(&send(
            json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": {
                "name": "score_infrastructure", "arguments": score_args("victim")
            }}),
        ));
    }
    stdin
        .write_all(batch.as_bytes())
        .await
        .expect("write calls");
    let mut acknowledged: Vec<i64> = Vec::new();
    while acknowledged.len() < 40 {
        let line = lines
            .next_line()
            .await
            .expect("read")
            .expect("an answer before the kill");
        let v: Value = serde_json::from_str(&line).expect("json-rpc");
        let result = &v["result"];
        assert_ne!(result["isError"], true, "{line}");
        if let Some(version) = result["_meta"]["dana/artifact"]["version"].as_i64() {
            acknowledged.push(version);
        }
    }
    child.start_kill().expect("SIGKILL");
    let status = child.wait().await.expect("wait");
    assert!(!status.success(), "the server was killed");

    // Reopen the store the way a new process would.
    let store = match database_url {
        Some(url) => dana::store::Store::connect(url).await.expect("store"),
        None => dana::store::Store::open_sqlite(&dir.join(".dana/state.db"))
            .await
            .expect("store"),
    };
    let rows = store.protocol_rows("victim").await.expect("rows");
    let mut versions: Vec<i64> = rows.artifacts.iter().map(|a| a.version).collect();
    versions.sort_unstable();
    for v in &acknowledged {
        assert!(versions.contains(v), "acknowledged version {v} was lost");
    }
    let contiguous: Vec<i64> = (1..=versions.len() as i64).collect();
    assert_eq!(versions, contiguous, "versions have no holes");
    assert!(
        versions.len() < total as usize,
        "the kill happened mid-run ({} of {total})",
        versions.len()
    );
    let audit = store.audit_rows(Some("victim")).await.expect("audit");
    assert_eq!(audit[0].event, "project_started");
    assert_eq!(
        audit.len() - 1,
        versions.len(),
        "every artifact has exactly its audit row"
    );
    store.pool().close().await;
    let (code, out, err) = dana(dir, &["audit", "verify"], database_url);
    assert_eq!(code, 0, "chain must verify after the kill: {out}{err}");
    assert!(
        out.contains(&format!("{} rows", versions.len() + 1)),
        "{out}"
    );
}

fn start_victim(dir: &Path, database_url: Option<&str>) {
    let (code, out, err) = dana(
        dir,
        &[
            "call",
            "start_project",
            "--args",
            r#"{"name": "Victim", "id": "victim"}"#,
        ],
        database_url,
    );
    assert_eq!(code, 0, "{out}{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_mid_write_loses_nothing_committed_on_sqlite() {
    let dir = tempfile::tempdir().expect("dir");
    start_victim(dir.path(), None);
    killed_mid_write(dir.path(), None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_mid_write_loses_nothing_committed_on_postgres() {
    let Some(db) = PgDb::create().await else {
        return;
    };
    let dir = tempfile::tempdir().expect("dir");
    start_victim(dir.path(), Some(&db.url));
    killed_mid_write(dir.path(), Some(&db.url)).await;
    db.drop_db().await;
}
