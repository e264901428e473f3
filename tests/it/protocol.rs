//! The protocol end to end: artifacts recorded by the dispatcher, gate enforcement,
//! reviews through elicitation (accept, decline, cancel, clarify), the pending path
//! completed by `dana gate approve`, a 2026-07-28 client through `InputRequiredResult`,
//! audit tampering, phase documents, resources and bad input.

use std::path::Path;
use std::sync::{Arc, Mutex};

use dana::App;
use dana::protocol::artifact;
use rmcp::ClientHandler;
use rmcp::model::{
    CallToolRequestParams, ClientCapabilities, ClientConfig, ElicitRequestParams, ElicitResult,
    ElicitationAction, ErrorData, Implementation, ReadResourceRequestParams, ResourceContents,
};
use rmcp::service::{RequestContext, RoleClient};
use serde_json::{Value, json};
use tempfile::TempDir;

use crate::common::{Harness, postgres_url, text, unique_name};

/// A workspace whose state lives where the `dana` binary looks (`.dana/state.db`).
pub async fn workspace() -> (TempDir, Arc<App>) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = dana::store::Store::open_sqlite(&state_db(dir.path()))
        .await
        .expect("store");
    let app = App::with_store(dir.path(), store).expect("app");
    (dir, app)
}

pub fn state_db(dir: &Path) -> std::path::PathBuf {
    let state = dir.join(".dana");
    std::fs::create_dir_all(&state).expect("state dir");
    state.join("state.db")
}

/// Starts a project and records what the discover gate needs, through the same
/// recording function the dispatcher uses.
pub async fn discover_ready(app: &App, project: &str) {
    dana::domain::project::start(
        app,
        &serde_json::from_value(json!({"name": project, "id": project})).expect("params"),
    )
    .await
    .expect("start project");
    artifact::record(
        app,
        project,
        "assess_architecture",
        &json!({"pattern": "lakehouse", "questions": []}),
        Some("# Brief\nok"),
    )
    .await
    .expect("record assessment");
    artifact::record(
        app,
        project,
        "profile_datasource",
        &json!({"tables": [{"name": "orders", "rows": 10}]}),
        None,
    )
    .await
    .expect("record profile");
}

/// Runs the `dana` binary in a workspace; returns (exit code, stdout, stderr).
pub fn dana(dir: &Path, args: &[&str], database_url: Option<&str>) -> (i32, String, String) {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_dana"));
    cmd.arg("--workspace")
        .arg(dir)
        .args(args)
        .stdin(std::process::Stdio::null());
    match database_url {
        Some(url) => cmd.env("DANA_DATABASE_URL", url),
        None => cmd.env_remove("DANA_DATABASE_URL"),
    };
    let output = cmd.output().expect("run dana");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn score_args(project: &str) -> Value {
    json!({
        "project": project,
        "dimensions": {
            "reliability": {"points": 10}, "data_quality": {"points": 10}, "performance": {"points": 8},
            "documentation": {"points": 5}, "monitoring": {"points": 8}, "testing": {"points": 5},
            "cost_efficiency": {"points": 0}
        }
    })
}

/// How the test reviewer answers the form.
#[derive(Clone)]
enum Reply {
    Accept(Value),
    Decline,
    Cancel,
    /// The client declared elicitation but fails to show the form.
    Fail,
}

/// A client that declares elicitation and answers every form the same way.
#[derive(Clone)]
struct Reviewer {
    reply: Reply,
    messages: Arc<Mutex<Vec<String>>>,
}

impl Reviewer {
    fn new(reply: Reply) -> Self {
        Reviewer {
            reply,
            messages: Arc::new(Mutex::new(Vec::new())),
        }
    }
}

impl ClientHandler for Reviewer {
    fn get_info(&self) -> ClientConfig {
        ClientConfig::new(
            ClientCapabilities::builder().enable_elicitation().build(),
            Implementation::new("test-reviewer", "1.0.0"),
        )
    }

    async fn create_elicitation(
        &self,
        request: ElicitRequestParams,
        _context: RequestContext<RoleClient>,
    ) -> Result<ElicitResult, ErrorData> {
        if let ElicitRequestParams::FormElicitationParams {
            message,
            requested_schema,
            ..
        } = &request
        {
            let schema = serde_json::to_value(requested_schema).expect("schema");
            assert_eq!(
                schema["required"],
                json!(["decision", "reviewer"]),
                "{schema}"
            );
            self.messages.lock().expect("lock").push(message.clone());
        }
        Ok(match &self.reply {
            Reply::Accept(content) => {
                ElicitResult::new(ElicitationAction::Accept).with_content(content.clone())
            }
            Reply::Decline => ElicitResult::new(ElicitationAction::Decline),
            Reply::Fail => return Err(ErrorData::internal_error("no UI for forms", None)),
            Reply::Cancel => ElicitResult::new(ElicitationAction::Cancel),
        })
    }
}

async fn harness_with<C: ClientHandler>(client: C) -> Harness<C> {
    let (dir, app) = workspace().await;
    discover_ready(&app, "shop").await;
    Harness::start(dir, app, client, None).await
}

async fn state_of(app: &App, project: &str, phase: &str) -> String {
    let status = dana::domain::project::status(app, project)
        .await
        .expect("status");
    status
        .phases
        .iter()
        .find(|p| p.id == phase)
        .expect("phase")
        .state
        .clone()
}

async fn verify_ok(app: &App) {
    let report = dana::protocol::audit::verify(app, None)
        .await
        .expect("verify");
    assert!(report.ok, "audit chain broken: {:?}", report.first_bad);
}

#[tokio::test]
async fn tool_results_are_recorded_as_versioned_artifacts() {
    let h = Harness::new().await;
    h.ok("start_project", json!({"name": "Shop", "id": "shop"}))
        .await;
    for expected in 1..=3 {
        let result = h.call("score_infrastructure", score_args("shop")).await;
        assert_ne!(result.is_error, Some(true), "{}", text(&result));
        let meta = serde_json::to_value(result.meta.expect("meta")).expect("meta json");
        assert_eq!(meta["dana/artifact"]["kind"], "infrastructure_score");
        assert_eq!(meta["dana/artifact"]["version"], expected);
        assert_eq!(meta["dana/artifact"]["phase"], "discover");
    }
    // Without `project` nothing is recorded.
    let mut stateless = score_args("shop");
    stateless.as_object_mut().expect("object").remove("project");
    let result = h.call("score_infrastructure", stateless).await;
    assert!(result.meta.is_none());
    let status = h.ok("project_status", json!({"project": "shop"})).await;
    let discover = &status["phases"][0];
    let score = discover["artifacts"]
        .as_array()
        .expect("artifacts")
        .iter()
        .find(|a| a["kind"] == "infrastructure_score")
        .expect("kind");
    assert_eq!(score["version"], 3);
    assert_eq!(discover["state"], "in_progress");
    assert_eq!(status["current_phase"], "discover");
    assert!(
        status["next"][0]
            .as_str()
            .expect("next")
            .contains("assess_architecture"),
        "{}",
        status["next"]
    );
    // Every version is kept and readable as a resource.
    let v1 = read_resource(&h, "dana://projects/shop/artifacts/infrastructure_score/v1").await;
    let latest = read_resource(&h, "dana://projects/shop/artifacts/infrastructure_score").await;
    assert_eq!(
        serde_json::from_str::<Value>(&v1).expect("json")["version"],
        1
    );
    assert_eq!(
        serde_json::from_str::<Value>(&latest).expect("json")["version"],
        3
    );
    verify_ok(&h.app).await;
    let rows = h
        .app
        .store()
        .await
        .expect("store")
        .audit_rows(Some("shop"))
        .await
        .expect("audit");
    assert_eq!(
        rows.iter()
            .filter(|r| r.event == "artifact_recorded")
            .count(),
        3
    );
}

async fn read_resource<C: ClientHandler>(h: &Harness<C>, uri: &str) -> String {
    let result = h
        .client
        .read_resource(ReadResourceRequestParams::new(uri))
        .await
        .unwrap_or_else(|e| panic!("read {uri}: {e}"));
    match &result.contents[0] {
        ResourceContents::TextResourceContents { text, .. } => text.clone(),
        other => panic!("expected text, got {other:?}"),
    }
}

/// A workspace whose phases.yaml assigns `score_infrastructure` to the model phase, so
/// the dispatcher's refusal can be seen with a tool this crate has.
async fn workspace_with_scoring_in_model() -> (TempDir, Arc<App>) {
    let dir = tempfile::tempdir().expect("temp dir");
    let text = dana::playbook::EMBEDDED
        .iter()
        .find(|(n, _)| *n == "phases")
        .expect("phases")
        .1;
    let block = "      - kind: infrastructure_score\n        tool: score_infrastructure\n        description: The 0-100 rubric score of the current infrastructure.\n";
    assert!(text.contains(block));
    let moved = text.replacen(block, "", 1).replacen(
        "    artifacts:\n      - kind: dimensional_model\n",
        &format!("    artifacts:\n{block}      - kind: dimensional_model\n"),
        1,
    );
    std::fs::create_dir_all(dir.path().join("playbooks")).expect("mkdir");
    std::fs::write(dir.path().join("playbooks/phases.yaml"), moved).expect("write override");
    let store = dana::store::Store::open_sqlite(&state_db(dir.path()))
        .await
        .expect("store");
    let app = App::with_store(dir.path(), store).expect("app");
    assert_eq!(
        app.playbooks
            .phases
            .artifact_for_tool("score_infrastructure")
            .map(|(p, _)| p.id.as_str()),
        Some("model")
    );
    (dir, app)
}

#[tokio::test]
async fn later_phase_is_refused_before_the_tool_runs_and_stateless_calls_are_not() {
    let (dir, app) = workspace_with_scoring_in_model().await;
    discover_ready(&app, "shop").await;
    let h = Harness::start(dir, app.clone(), (), None).await;
    let err = h.err("score_infrastructure", score_args("shop")).await;
    assert!(err.contains("GATE-DISCOVER"), "{err}");
    assert!(err.contains("request_gate_review"), "{err}");
    assert!(err.contains("`discover`"), "{err}");
    // The tool did not run: score_infrastructure stores a score when it runs with a project.
    assert!(
        app.store()
            .await
            .expect("store")
            .latest_score("shop")
            .await
            .expect("score")
            .is_none()
    );
    // Stateless use is never blocked.
    let mut stateless = score_args("shop");
    stateless.as_object_mut().expect("object").remove("project");
    h.ok("score_infrastructure", stateless).await;
    // After approval the same call is recorded under the model phase.
    let (code, out, errout) = dana(
        h.dir.path(),
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
    assert_eq!(code, 0, "{out}{errout}");
    let result = h.call("score_infrastructure", score_args("shop")).await;
    assert_ne!(result.is_error, Some(true), "{}", text(&result));
    let meta = serde_json::to_value(result.meta.expect("meta")).expect("json");
    assert_eq!(meta["dana/artifact"]["phase"], "model");
    verify_ok(&app).await;
}

#[tokio::test]
async fn criteria_unmet_asks_nobody() {
    let reviewer = Reviewer::new(Reply::Accept(json!({"decision": "yes", "reviewer": "Ada"})));
    let messages = reviewer.messages.clone();
    let (dir, app) = workspace().await;
    let h = Harness::start(dir, app.clone(), reviewer, None).await;
    h.ok("start_project", json!({"name": "Shop", "id": "shop"}))
        .await;
    artifact::record(
        &app,
        "shop",
        "assess_architecture",
        &json!({"questions": ["which latency?"]}),
        None,
    )
    .await
    .expect("record");
    let review = h
        .ok(
            "request_gate_review",
            json!({"project": "shop", "phase": "discover"}),
        )
        .await;
    assert_eq!(review["outcome"], "criteria_unmet");
    let failing: Vec<&str> = review["criteria"]
        .as_array()
        .expect("criteria")
        .iter()
        .filter(|c| c["passed"] == false)
        .map(|c| c["id"].as_str().expect("id"))
        .collect();
    assert_eq!(failing, vec!["GATE-DISCOVER-02", "GATE-DISCOVER-03"]);
    assert!(review["criteria"][1]["tools"][0] == "profile_datasource");
    assert!(
        review["criteria"][2]["detail"]
            .as_str()
            .expect("detail")
            .contains("which latency?")
    );
    assert!(
        messages.lock().expect("lock").is_empty(),
        "nobody may be asked"
    );
    assert_eq!(state_of(&app, "shop", "discover").await, "in_progress");
}

#[tokio::test]
async fn elicitation_accept_yes_approves_and_unblocks() {
    let reviewer = Reviewer::new(Reply::Accept(
        json!({"decision": "yes", "reviewer": "Ada Lovelace", "comment": "sources look right"}),
    ));
    let messages = reviewer.messages.clone();
    let h = harness_with(reviewer).await;
    let review = h
        .ok(
            "request_gate_review",
            json!({"project": "shop", "phase": "discover"}),
        )
        .await;
    assert_eq!(review["outcome"], "approved", "{review}");
    assert_eq!(review["state"], "approved");
    assert_eq!(review["decision"]["reviewer"], "Ada Lovelace");
    assert_eq!(review["decision"]["channel"], "elicitation");
    let shown = messages.lock().expect("lock").clone();
    assert_eq!(shown.len(), 1);
    assert!(
        shown[0].contains("GATE-DISCOVER-01") && shown[0].contains("architecture_assessment@v1"),
        "{}",
        shown[0]
    );
    assert_eq!(state_of(&h.app, "shop", "discover").await, "approved");
    let status = h.ok("project_status", json!({"project": "shop"})).await;
    assert_eq!(status["current_phase"], "model");
    assert_eq!(status["phases"][1]["state"], "in_progress");
    // A second review does not ask again.
    let again = h
        .ok(
            "request_gate_review",
            json!({"project": "shop", "phase": "discover"}),
        )
        .await;
    assert_eq!(again["outcome"], "already_approved");
    assert_eq!(messages.lock().expect("lock").len(), 1);
    let rows = h
        .app
        .store()
        .await
        .expect("store")
        .audit_rows(Some("shop"))
        .await
        .expect("audit");
    let events: Vec<&str> = rows.iter().map(|r| r.event.as_str()).collect();
    assert_eq!(
        events,
        vec![
            "project_started",
            "artifact_recorded",
            "artifact_recorded",
            "gate_review_requested",
            "gate_approved"
        ]
    );
    verify_ok(&h.app).await;
}

#[tokio::test]
async fn elicitation_no_keeps_the_phase_open_with_reasons() {
    let h = harness_with(Reviewer::new(Reply::Accept(
        json!({"decision": "no", "reviewer": "Ada", "comment": "profile the CRM too"}),
    )))
    .await;
    let review = h
        .ok(
            "request_gate_review",
            json!({"project": "shop", "phase": "discover"}),
        )
        .await;
    assert_eq!(review["outcome"], "rejected");
    assert_eq!(review["state"], "rejected");
    assert!(
        review["next"]
            .as_str()
            .expect("next")
            .contains("profile the CRM too")
    );
    let status = h.ok("project_status", json!({"project": "shop"})).await;
    assert_eq!(
        status["phases"][0]["decision"]["comment"],
        "profile the CRM too"
    );
    assert_eq!(status["current_phase"], "discover");
    verify_ok(&h.app).await;
}

#[tokio::test]
async fn elicitation_decline_and_cancel_record_only_the_attempt() {
    for (reply, outcome) in [(Reply::Decline, "declined"), (Reply::Cancel, "cancelled")] {
        let h = harness_with(Reviewer::new(reply)).await;
        let review = h
            .ok(
                "request_gate_review",
                json!({"project": "shop", "phase": "discover"}),
            )
            .await;
        assert_eq!(review["outcome"], outcome);
        assert_eq!(review["state"], "awaiting_review", "{review}");
        assert!(review.get("decision").is_none());
        let rows = h
            .app
            .store()
            .await
            .expect("store")
            .audit_rows(Some("shop"))
            .await
            .expect("audit");
        let events: Vec<&str> = rows.iter().map(|r| r.event.as_str()).collect();
        assert_eq!(
            events[3..],
            ["gate_review_requested", &format!("gate_review_{outcome}")]
        );
        verify_ok(&h.app).await;
    }
}

#[tokio::test]
async fn elicitation_clarify_opens_questions_until_answered() {
    let h = harness_with(Reviewer::new(Reply::Accept(json!({
        "decision": "clarify",
        "reviewer": "Ada",
        "questions": "Which sources are out of scope?\nWho owns the CRM?"
    }))))
    .await;
    let review = h
        .ok(
            "request_gate_review",
            json!({"project": "shop", "phase": "discover"}),
        )
        .await;
    assert_eq!(review["outcome"], "clarify");
    assert_eq!(review["state"], "clarify");
    let questions = review["open_questions"].as_array().expect("questions");
    assert_eq!(questions.len(), 2);
    let status = h.ok("project_status", json!({"project": "shop"})).await;
    assert_eq!(
        status["phases"][0]["open_questions"]
            .as_array()
            .expect("open")
            .len(),
        2
    );
    // While questions are open nobody is asked again.
    let again = h
        .ok(
            "request_gate_review",
            json!({"project": "shop", "phase": "discover"}),
        )
        .await;
    assert_eq!(again["outcome"], "open_questions");
    // Several open: the CLI needs --question.
    let (code, _, err) = dana(
        h.dir.path(),
        &[
            "gate",
            "answer",
            "shop",
            "discover",
            "--text",
            "none",
            "--reviewer",
            "Bob",
        ],
        None,
    );
    assert_ne!(code, 0);
    assert!(err.contains("--question"), "{err}");
    for q in questions {
        let id = q["id"].as_i64().expect("id").to_string();
        let (code, out, err) = dana(
            h.dir.path(),
            &[
                "gate",
                "answer",
                "shop",
                "discover",
                "--question",
                &id,
                "--text",
                "answered",
                "--reviewer",
                "Bob",
            ],
            None,
        );
        assert_eq!(code, 0, "{out}{err}");
    }
    assert_eq!(
        state_of(&h.app, "shop", "discover").await,
        "awaiting_review"
    );
    // Reviewable again: this reviewer says Clarify again, so new questions open.
    let third = h
        .ok(
            "request_gate_review",
            json!({"project": "shop", "phase": "discover"}),
        )
        .await;
    assert_eq!(third["outcome"], "clarify");
    let rows = h
        .app
        .store()
        .await
        .expect("store")
        .audit_rows(Some("shop"))
        .await
        .expect("audit");
    assert_eq!(
        rows.iter()
            .filter(|r| r.event == "clarification_asked")
            .count(),
        4
    );
    assert_eq!(
        rows.iter()
            .filter(|r| r.event == "clarification_answered")
            .count(),
        2
    );
    verify_ok(&h.app).await;
}

#[tokio::test]
async fn elicitation_without_reviewer_is_refused_naming_it() {
    let h = harness_with(Reviewer::new(Reply::Accept(
        json!({"decision": "yes", "reviewer": "  "}),
    )))
    .await;
    let err = h
        .err(
            "request_gate_review",
            json!({"project": "shop", "phase": "discover"}),
        )
        .await;
    assert!(err.starts_with("reviewer: missing"), "{err}");
    assert_ne!(state_of(&h.app, "shop", "discover").await, "approved");
    let h = harness_with(Reviewer::new(Reply::Accept(
        json!({"decision": "maybe", "reviewer": "Ada"}),
    )))
    .await;
    let err = h
        .err(
            "request_gate_review",
            json!({"project": "shop", "phase": "discover"}),
        )
        .await;
    assert!(err.contains("decision: `maybe`"), "{err}");
    let h = harness_with(Reviewer::new(Reply::Accept(
        json!({"decision": "no", "reviewer": "Ada"}),
    )))
    .await;
    let err = h
        .err(
            "request_gate_review",
            json!({"project": "shop", "phase": "discover"}),
        )
        .await;
    assert!(err.starts_with("comment: missing"), "{err}");
}

#[tokio::test]
async fn no_elicitation_goes_pending_then_dana_gate_approve_completes() {
    let h = harness_with(()).await;
    let review = h
        .ok(
            "request_gate_review",
            json!({"project": "shop", "phase": "discover"}),
        )
        .await;
    assert_eq!(review["outcome"], "pending_human");
    assert_eq!(review["state"], "pending_human");
    assert!(
        review["next"]
            .as_str()
            .expect("next")
            .contains("dana gate approve shop discover")
    );
    // Asking again does not pile up requests.
    h.ok(
        "request_gate_review",
        json!({"project": "shop", "phase": "discover"}),
    )
    .await;
    let rows = h
        .app
        .store()
        .await
        .expect("store")
        .protocol_rows("shop")
        .await
        .expect("rows");
    assert_eq!(rows.requests.len(), 1);
    // No tool argument can approve.
    let err = h
        .err(
            "request_gate_review",
            json!({"project": "shop", "phase": "discover", "decision": "yes"}),
        )
        .await;
    assert!(err.contains("unknown field `decision`"), "{err}");
    // Scripts must say --yes; a non-terminal stdin cannot confirm.
    let (code, _, err) = dana(
        h.dir.path(),
        &["gate", "approve", "shop", "discover", "--reviewer", "Ada"],
        None,
    );
    assert_ne!(code, 0);
    assert!(err.contains("--yes"), "{err}");
    let (code, out, err) = dana(h.dir.path(), &["gate", "status", "shop", "discover"], None);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("pending_human")
            && out.contains("[pass] GATE-DISCOVER-01")
            && out.contains("architecture_assessment"),
        "{out}"
    );
    let (code, out, err) = dana(
        h.dir.path(),
        &[
            "gate",
            "approve",
            "shop",
            "discover",
            "--reviewer",
            "Ada",
            "--comment",
            "ok",
            "--yes",
        ],
        None,
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("approved") && out.contains("non-interactive"),
        "{out}"
    );
    let status = h.ok("project_status", json!({"project": "shop"})).await;
    let decision = &status["phases"][0]["decision"];
    assert_eq!(decision["decision"], "approved");
    assert_eq!(decision["channel"], "terminal");
    assert_eq!(decision["interactive"], false);
    assert!(!decision["os_user"].as_str().expect("os user").is_empty());
    let rows = h
        .app
        .store()
        .await
        .expect("store")
        .protocol_rows("shop")
        .await
        .expect("rows");
    assert_eq!(
        rows.decisions[0].request_id,
        Some(rows.requests[0].id),
        "the approval answers the pending request"
    );
    // Approval is final.
    let (code, _, err) = dana(
        h.dir.path(),
        &[
            "gate",
            "reject",
            "shop",
            "discover",
            "--reviewer",
            "Eve",
            "--comment",
            "no",
            "--yes",
        ],
        None,
    );
    assert_ne!(code, 0);
    assert!(err.contains("already approved"), "{err}");
    let (code, out, err) = dana(h.dir.path(), &["audit", "verify"], None);
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, _) = dana(h.dir.path(), &["audit", "log", "shop"], None);
    assert_eq!(code, 0);
    assert!(
        out.contains("gate_pending") && out.contains("gate_approved"),
        "{out}"
    );
}

#[tokio::test]
async fn bad_input_names_what_is_wrong() {
    let h = harness_with(()).await;
    let err = h
        .err(
            "request_gate_review",
            json!({"project": "nope", "phase": "discover"}),
        )
        .await;
    assert!(
        err.contains("project `nope` not found") && err.contains("`shop`"),
        "{err}"
    );
    let err = h
        .err(
            "request_gate_review",
            json!({"project": "shop", "phase": "deploy"}),
        )
        .await;
    assert!(
        err.contains("phase `deploy` not found") && err.contains("`discover`"),
        "{err}"
    );
    let err = h
        .err(
            "request_gate_review",
            json!({"project": "shop", "phase": "build"}),
        )
        .await;
    assert!(
        err.contains("GATE-DISCOVER") && err.contains("`build`"),
        "{err}"
    );
    let err = h
        .err("request_gate_review", json!({"project": "shop"}))
        .await;
    assert!(err.contains("phase"), "{err}");
    let err = h.err("score_infrastructure", score_args("nope")).await;
    assert!(err.contains("project `nope` not found"), "{err}");
    let err = h
        .err(
            "render_phase_document",
            json!({"project": "shop", "phase": "nope"}),
        )
        .await;
    assert!(err.contains("phase `nope` not found"), "{err}");
    let (code, _, err) = dana(
        h.dir.path(),
        &["gate", "approve", "shop", "discover", "--yes"],
        None,
    );
    assert_ne!(code, 0);
    assert!(err.contains("reviewer: missing"), "{err}");
    let (code, _, err) = dana(
        h.dir.path(),
        &[
            "gate",
            "approve",
            "shop",
            "model",
            "--reviewer",
            "Ada",
            "--yes",
        ],
        None,
    );
    assert_ne!(code, 0);
    assert!(err.contains("GATE-DISCOVER"), "{err}");
    let (code, _, err) = dana(h.dir.path(), &["gate", "status", "ghost", "discover"], None);
    assert_ne!(code, 0);
    assert!(err.contains("project `ghost` not found"), "{err}");
    let (code, _, err) = dana(
        h.dir.path(),
        &[
            "gate",
            "clarify",
            "shop",
            "discover",
            "--reviewer",
            "Ada",
            "--yes",
        ],
        None,
    );
    assert_ne!(code, 0);
    assert!(err.contains("questions:"), "{err}");
}

#[tokio::test]
async fn phase_documents_are_drafts_until_approved_and_stay_in_the_workspace() {
    let h = harness_with(()).await;
    let doc = h
        .ok(
            "render_phase_document",
            json!({"project": "shop", "phase": "discover"}),
        )
        .await;
    assert_eq!(doc["status"], "draft");
    assert_eq!(doc["file"], "phase1_data_discovery.md");
    let md = doc["markdown"].as_str().expect("markdown");
    for section in [
        "## Source Inventory",
        "## Data Dictionary",
        "## Quality Assessment",
        "## Architecture Vision",
        "## Success Metrics",
    ] {
        assert!(md.contains(section), "missing {section}:\n{md}");
    }
    assert!(md.contains("**DRAFT**"));
    assert!(
        md.contains("No `infrastructure_score` artifact has been recorded"),
        "{md}"
    );
    assert!(
        md.contains("### Brief"),
        "rendered artifact nests under the section:\n{md}"
    );
    assert_eq!(doc["missing"], json!(["infrastructure_score"]));
    let err = h
        .err(
            "render_phase_document",
            json!({"project": "shop", "phase": "discover", "write": true, "path": "../outside.md"}),
        )
        .await;
    assert!(err.starts_with("path:"), "{err}");
    let err = h
        .err(
            "render_phase_document",
            json!({"project": "shop", "phase": "discover", "write": true, "path": "/tmp/x.md"}),
        )
        .await;
    assert!(err.starts_with("path:"), "{err}");
    let (code, out, err) = dana(
        h.dir.path(),
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
    assert_eq!(code, 0, "{out}{err}");
    let doc = h
        .ok(
            "render_phase_document",
            json!({"project": "shop", "phase": "discover", "write": true}),
        )
        .await;
    assert_eq!(doc["status"], "approved");
    assert_eq!(doc["written_to"], "docs/dana/shop/phase1_data_discovery.md");
    let written =
        std::fs::read_to_string(h.dir.path().join("docs/dana/shop/phase1_data_discovery.md"))
            .expect("written");
    assert!(
        written.contains("**APPROVED**")
            && written.contains("approved by Ada")
            && written.contains("| approved | Ada | terminal |"),
        "{written}"
    );
    // Every phase's document renders, with every section marked missing.
    for (phase, file) in [
        ("model", "phase2_data_models.md"),
        ("build", "phase3_pipeline_implementation.md"),
        ("optimize", "phase4_optimization_report.md"),
        ("govern", "phase5_data_operations.md"),
    ] {
        let doc = h
            .ok(
                "render_phase_document",
                json!({"project": "shop", "phase": phase}),
            )
            .await;
        assert_eq!(doc["file"], file);
        let md = doc["markdown"].as_str().expect("md");
        let phase_def = h.app.playbooks.phases.phase(phase).expect("phase");
        for section in &phase_def.document.sections {
            assert!(
                md.contains(&format!("## {section}")),
                "{phase}: missing section {section}"
            );
        }
        assert!(md.contains("Not available yet"), "{phase}");
    }
    let (code, out, _) = dana(h.dir.path(), &["render", "shop", "discover"], None);
    assert_eq!(code, 0);
    assert!(out.contains("## Architecture Vision"));
    let via_resource = read_resource(&h, "dana://projects/shop/documents/discover").await;
    assert!(via_resource.contains("**APPROVED**"));
}

#[tokio::test]
async fn resources_prompt_and_tool_listing() {
    let h = harness_with(()).await;
    let templates = h
        .client
        .list_all_resource_templates()
        .await
        .expect("templates");
    let uris: Vec<String> = templates.iter().map(|t| t.uri_template.clone()).collect();
    for expected in [
        "dana://projects/{id}/status",
        "dana://projects/{id}/artifacts/{kind}",
        "dana://projects/{id}/documents/{phase}",
    ] {
        assert!(uris.iter().any(|u| u == expected), "{uris:?}");
    }
    let status: Value =
        serde_json::from_str(&read_resource(&h, "dana://projects/shop/status").await)
            .expect("json");
    assert_eq!(status["phases"][0]["state"], "awaiting_review");
    let err = h
        .client
        .read_resource(ReadResourceRequestParams::new(
            "dana://projects/shop/artifacts/nope",
        ))
        .await
        .expect_err("unknown kind");
    assert!(
        err.to_string().contains("artifact kind `nope` not found"),
        "{err}"
    );
    let prompt = h
        .client
        .get_prompt(
            rmcp::model::GetPromptRequestParams::new("run_protocol").with_arguments(
                serde_json::from_value(json!({"goal": "daily sales analytics"})).expect("args"),
            ),
        )
        .await
        .expect("prompt");
    let text = match &prompt.messages[0].content {
        rmcp::model::ContentBlock::Text(t) => t.text.clone(),
        other => panic!("{other:?}"),
    };
    assert!(
        text.contains("daily sales analytics")
            && text.contains("GATE-GOVERN-04")
            && text.contains("request_gate_review"),
        "{text}"
    );
    let tools = h.client.list_all_tools().await.expect("tools");
    let review = tools
        .iter()
        .find(|t| t.name == "request_gate_review")
        .expect("tool");
    let props = review.input_schema.get("properties").expect("properties");
    assert_eq!(
        props.as_object().expect("object").len(),
        2,
        "only project and phase: nothing can approve"
    );
}

#[tokio::test]
async fn a_2026_07_28_client_reviews_through_input_required() {
    use rmcp::model::{ProtocolVersion, ServerCapabilities};
    use rmcp::service::{RoleServer, serve_directly};
    let (dir, app) = workspace().await;
    discover_ready(&app, "shop").await;
    let server = dana::server::DanaServer::new(app.clone(), None).expect("server");
    let reviewer = Reviewer::new(Reply::Accept(
        json!({"decision": "yes", "reviewer": "Grace"}),
    ));
    let messages = reviewer.messages.clone();
    let (server_io, client_io) = tokio::io::duplex(1024 * 1024);
    let client_info = ClientConfig::new(
        ClientCapabilities::builder().enable_elicitation().build(),
        Implementation::new("mrtr-client", "1.0.0"),
    )
    .with_protocol_version(ProtocolVersion::V_2026_07_28);
    let server_task = tokio::spawn(async move {
        let running =
            serve_directly::<RoleServer, _, _, _, _>(server, server_io, Some(client_info));
        let _ = running.waiting().await;
    });
    let mut server_info =
        rmcp::model::InitializeResult::new(ServerCapabilities::builder().enable_tools().build());
    server_info.protocol_version = ProtocolVersion::V_2026_07_28;
    let client =
        serve_directly::<RoleClient, _, _, _, _>(reviewer, client_io, Some(server_info.into()));
    let args = json!({"project": "shop", "phase": "discover"})
        .as_object()
        .cloned()
        .expect("object");
    // One round by hand: the server answers with an InputRequiredResult and asks nobody yet.
    let first = client
        .call_tool_once(
            CallToolRequestParams::new("request_gate_review").with_arguments(args.clone()),
        )
        .await
        .expect("first round");
    let rmcp::model::CallToolResponse::InputRequired(input) = first else {
        panic!("expected InputRequiredResult, got {first:?}");
    };
    assert!(
        input
            .input_requests
            .as_ref()
            .expect("requests")
            .contains_key("gate_decision")
    );
    assert_eq!(state_of(&app, "shop", "discover").await, "awaiting_review");
    // A forged requestState is refused.
    let mut forged = CallToolRequestParams::new("request_gate_review").with_arguments(args.clone());
    forged.request_state = Some("0123456789abcdef".into());
    forged.input_responses = Some(
        serde_json::from_value(json!({"gate_decision": {"action": "accept", "content": {"decision": "yes", "reviewer": "Mallory"}}}))
            .expect("responses"),
    );
    let refused = client.call_tool_once(forged).await.expect("forged round");
    let rmcp::model::CallToolResponse::Complete(refused) = refused else {
        panic!("expected a complete (error) result");
    };
    assert_eq!(refused.is_error, Some(true));
    assert!(
        text(&refused).contains("requestState does not match"),
        "{}",
        text(&refused)
    );
    // The high-level call fulfils the form through the client handler and retries.
    let result = client
        .call_tool(CallToolRequestParams::new("request_gate_review").with_arguments(args))
        .await
        .expect("review");
    assert_ne!(result.is_error, Some(true), "{}", text(&result));
    let review = result.structured_content.expect("structured");
    assert_eq!(review["outcome"], "approved", "{review}");
    assert_eq!(review["decision"]["channel"], "input_required");
    assert_eq!(review["decision"]["reviewer"], "Grace");
    assert_eq!(messages.lock().expect("lock").len(), 1);
    assert_eq!(state_of(&app, "shop", "discover").await, "approved");
    verify_ok(&app).await;
    drop(client);
    server_task.abort();
    drop(dir);
}

/// Tampers with audit rows through raw SQL and checks `dana audit verify` names the row.
async fn tamper_cases(
    dir: &Path,
    app: &App,
    database_url: Option<&str>,
    sql: &[&str],
) -> (i32, String) {
    let _ = app;
    let (code, out, err) = dana(dir, &["audit", "verify"], database_url);
    assert_eq!(code, 0, "before tampering: {out}{err}");
    // One connection, so session settings (PRAGMA foreign_keys) hold for every statement.
    let mut conn = app
        .store()
        .await
        .expect("store")
        .pool()
        .acquire()
        .await
        .expect("connection");
    for statement in sql {
        sqlx::query(sqlx::AssertSqlSafe(statement.to_string()))
            .execute(&mut *conn)
            .await
            .unwrap_or_else(|e| panic!("{statement}: {e}"));
    }
    let (code, _, err) = dana(dir, &["audit", "verify"], database_url);
    (code, err)
}

async fn populated(app: &App) {
    discover_ready(app, "shop").await;
    dana::protocol::gate::decide(
        app,
        "shop",
        "discover",
        None,
        None,
        dana::protocol::gate::HumanAnswer {
            decision: dana::protocol::gate::Decision::Yes,
            reviewer: "Ada".into(),
            comment: String::new(),
            questions: Vec::new(),
        },
        &dana::protocol::gate::Provenance {
            channel: "terminal",
            os_user: "test".into(),
            interactive: false,
            signature: None,
        },
    )
    .await
    .expect("approve");
}

#[tokio::test]
async fn audit_tampering_is_detected_on_sqlite() {
    // The store refuses edits itself.
    let (dir, app) = workspace().await;
    populated(&app).await;
    let pool = app.store().await.expect("store").pool().clone();
    let err = sqlx::query("UPDATE audit_log SET actor = 'x' WHERE seq = 1")
        .execute(&pool)
        .await
        .expect_err("insert-only");
    assert!(err.to_string().contains("insert-only"), "{err}");
    let err = sqlx::query("DELETE FROM audit_log WHERE seq = 3")
        .execute(&pool)
        .await
        .expect_err("insert-only");
    assert!(err.to_string().contains("insert-only"), "{err}");
    // Content edited behind the triggers' back.
    let (code, err) = tamper_cases(
        dir.path(),
        &app,
        None,
        &["DROP TRIGGER audit_log_no_update", "UPDATE audit_log SET payload = replace(payload, 'Ada', 'Eve') WHERE event = 'gate_approved'"],
    )
    .await;
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("BROKEN at row 4") && err.contains("edited"),
        "{err}"
    );
    // Order: two rows swap places.
    let (dir, app) = workspace().await;
    populated(&app).await;
    let (code, err) = tamper_cases(
        dir.path(),
        &app,
        None,
        &[
            "PRAGMA foreign_keys = OFF",
            "DROP TRIGGER audit_log_no_update",
            "UPDATE audit_log SET seq = -1 WHERE seq = 1",
            "UPDATE audit_log SET seq = 1 WHERE seq = 2",
            "UPDATE audit_log SET seq = 2 WHERE seq = -1",
        ],
    )
    .await;
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("BROKEN at row 1"), "{err}");
    // A decision forged in the state table without its audit row.
    let (dir, app) = workspace().await;
    populated(&app).await;
    let (code, err) = tamper_cases(
        dir.path(),
        &app,
        None,
        &["UPDATE gate_decisions SET reviewer = 'Eve'"],
    )
    .await;
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("gate_decisions row `1`") && err.contains("changed"),
        "{err}"
    );
    // Artifact content rewritten.
    let (dir, app) = workspace().await;
    populated(&app).await;
    let (code, err) = tamper_cases(
        dir.path(),
        &app,
        None,
        &["UPDATE artifacts SET content = '{\"questions\":[]}' WHERE kind = 'source_profile'"],
    )
    .await;
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("artifacts row `2`"), "{err}");
}

/// A fresh PostgreSQL database for one test; dropped by [`PgDb::drop_db`].
pub struct PgDb {
    pub url: String,
    name: String,
    base: String,
}

impl PgDb {
    pub async fn create() -> Option<Self> {
        let base = postgres_url()?;
        let name = unique_name("dana_proto");
        let pool = sqlx::PgPool::connect(&base)
            .await
            .expect("connect postgres");
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&pool)
            .await
            .expect("create database");
        pool.close().await;
        let (prefix, _) = base.rsplit_once('/').expect("url with database");
        Some(PgDb {
            url: format!("{prefix}/{name}"),
            name,
            base,
        })
    }

    pub async fn drop_db(self) {
        if let Ok(pool) = sqlx::PgPool::connect(&self.base).await {
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            )))
            .execute(&pool)
            .await;
            pool.close().await;
        }
    }
}

pub async fn pg_app(url: &str) -> (TempDir, Arc<App>) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = dana::store::Store::connect(url)
        .await
        .expect("postgres store");
    let app = App::with_store(dir.path(), store).expect("app");
    (dir, app)
}

#[tokio::test]
async fn audit_tampering_is_detected_on_postgres() {
    let Some(db) = PgDb::create().await else {
        return;
    };
    let (dir, app) = pg_app(&db.url).await;
    populated(&app).await;
    let pool = app.store().await.expect("store").pool().clone();
    let err = sqlx::query("UPDATE audit_log SET actor = 'x' WHERE seq = 1")
        .execute(&pool)
        .await
        .expect_err("insert-only");
    assert!(err.to_string().contains("insert-only"), "{err}");
    let err = sqlx::query("TRUNCATE audit_log CASCADE")
        .execute(&pool)
        .await
        .expect_err("insert-only");
    assert!(err.to_string().contains("insert-only"), "{err}");
    let (code, err) = tamper_cases(
        dir.path(),
        &app,
        Some(&db.url),
        &["ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update", "UPDATE audit_log SET payload = replace(payload, 'Ada', 'Eve') WHERE event = 'gate_approved'"],
    )
    .await;
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("BROKEN at row 4") && err.contains("edited"),
        "{err}"
    );
    // Restore that row's neighbour order test on a second database.
    app.store().await.expect("store").pool().close().await;
    db.drop_db().await;

    let Some(db) = PgDb::create().await else {
        return;
    };
    let (dir, app) = pg_app(&db.url).await;
    populated(&app).await;
    let (code, err) = tamper_cases(
        dir.path(),
        &app,
        Some(&db.url),
        &[
            "ALTER TABLE audit_log DISABLE TRIGGER ALL",
            "ALTER TABLE artifacts DISABLE TRIGGER ALL",
            "ALTER TABLE gate_requests DISABLE TRIGGER ALL",
            "ALTER TABLE gate_decisions DISABLE TRIGGER ALL",
            "UPDATE audit_log SET seq = -1 WHERE seq = 1",
            "UPDATE audit_log SET seq = 1 WHERE seq = 2",
            "UPDATE audit_log SET seq = 2 WHERE seq = -1",
        ],
    )
    .await;
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("BROKEN at row 1"), "{err}");
    app.store().await.expect("store").pool().close().await;
    db.drop_db().await;
}

/// A reviewer who, while the form is open, sees another session record a new artifact
/// version, then says Yes: the approval must be refused (the human approved something
/// else than what is now recorded).
#[derive(Clone)]
struct RacingReviewer {
    app: Arc<App>,
}

impl ClientHandler for RacingReviewer {
    fn get_info(&self) -> ClientConfig {
        ClientConfig::new(
            ClientCapabilities::builder().enable_elicitation().build(),
            Implementation::new("racing-reviewer", "1.0.0"),
        )
    }

    async fn create_elicitation(
        &self,
        _request: ElicitRequestParams,
        _context: RequestContext<RoleClient>,
    ) -> Result<ElicitResult, ErrorData> {
        artifact::record(
            &self.app,
            "shop",
            "profile_datasource",
            &json!({"tables": [{"name": "orders", "rows": 11}]}),
            None,
        )
        .await
        .map_err(|e| ErrorData::internal_error(e.to_string(), None))?;
        Ok(ElicitResult::new(ElicitationAction::Accept)
            .with_content(json!({"decision": "yes", "reviewer": "Ada"})))
    }
}

#[tokio::test]
async fn approval_is_refused_when_artifacts_change_while_the_human_decides() {
    let (dir, app) = workspace().await;
    discover_ready(&app, "shop").await;
    let h = Harness::start(dir, app.clone(), RacingReviewer { app: app.clone() }, None).await;
    let err = h
        .err(
            "request_gate_review",
            json!({"project": "shop", "phase": "discover"}),
        )
        .await;
    assert!(
        err.contains("changed while the reviewer was deciding")
            && err.contains("source_profile@v2"),
        "{err}"
    );
    assert_eq!(state_of(&app, "shop", "discover").await, "awaiting_review");
    verify_ok(&app).await;
}

#[tokio::test]
async fn dana_gate_confirms_on_a_terminal_and_records_it_as_interactive() {
    let (dir, app) = workspace().await;
    discover_ready(&app, "shop").await;
    let run_in_pty = |answer: &str| {
        let command = format!(
            "{} --workspace {} gate approve shop discover --reviewer Ada",
            env!("CARGO_BIN_EXE_dana"),
            dir.path().display()
        );
        let mut child = std::process::Command::new("script")
            .args(["-qec", &command, "/dev/null"])
            .env_remove("DANA_DATABASE_URL")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("script (util-linux) runs dana on a pseudo-terminal");
        use std::io::Write as _;
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(answer.as_bytes())
            .expect("answer");
        let output = child.wait_with_output().expect("wait");
        (
            output.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&output.stdout).into_owned(),
        )
    };
    let (code, out) = run_in_pty("no\n");
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("[pass] GATE-DISCOVER-01") && out.contains("nothing was recorded"),
        "{out}"
    );
    assert_eq!(state_of(&app, "shop", "discover").await, "awaiting_review");
    let (code, out) = run_in_pty("yes\n");
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("confirmed interactively"), "{out}");
    let status = dana::domain::project::status(&app, "shop")
        .await
        .expect("status");
    let decision = status.phases[0].decision.as_ref().expect("decision");
    assert_eq!(decision.decision, "approved");
    assert!(decision.interactive);
    assert_eq!(decision.channel, "terminal");
}

#[tokio::test]
async fn a_failing_elicitation_falls_back_to_pending() {
    let h = harness_with(Reviewer::new(Reply::Fail)).await;
    let review = h
        .ok(
            "request_gate_review",
            json!({"project": "shop", "phase": "discover"}),
        )
        .await;
    assert_eq!(review["outcome"], "pending_human", "{review}");
    assert_eq!(state_of(&h.app, "shop", "discover").await, "pending_human");
    verify_ok(&h.app).await;
}
