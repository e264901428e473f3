//! The MCP surface: server info, tools (schemas, annotations, descriptions), toolsets,
//! prompts, resources, the panic guard, and the HTTP transport's security on a real
//! listener.

use std::sync::Arc;

use dana::server::DanaServer;
use dana::server::http::{HttpOptions, HttpServer};
use dana::server::tool::{DanaTool, Hints, ToolCtx, ToolError, entry};
use rmcp::model::{GetPromptRequestParams, ReadResourceRequestParams};
use serde_json::{Value, json};

use crate::common::Harness;

#[tokio::test]
async fn server_info_names_dana_and_its_capabilities() {
    let h = Harness::new().await;
    let info = h.client.peer_info().expect("server info");
    let server = info.server_info.as_ref().expect("server info");
    assert_eq!(server.name, "dana");
    assert_eq!(server.version, env!("CARGO_PKG_VERSION"));
    assert!(info.capabilities.tools.is_some());
    assert!(info.capabilities.prompts.is_some());
    assert!(info.capabilities.resources.is_some());
}

/// Every property in a schema (and its `$defs`) carries a description.
fn undescribed(schema: &Value, at: &str, out: &mut Vec<String>) {
    if let Some(props) = schema.get("properties").and_then(Value::as_object) {
        for (name, prop) in props {
            let path = format!("{at}.{name}");
            let described = prop
                .get("description")
                .and_then(Value::as_str)
                .is_some_and(|d| !d.trim().is_empty());
            if !described {
                out.push(path.clone());
            }
            undescribed(prop, &path, out);
        }
    }
    for key in ["$defs", "definitions"] {
        if let Some(defs) = schema.get(key).and_then(Value::as_object) {
            for (name, def) in defs {
                undescribed(def, &format!("{at}#{name}"), out);
            }
        }
    }
    for key in ["items", "additionalProperties"] {
        if let Some(inner) = schema.get(key).filter(|v| v.is_object()) {
            undescribed(inner, at, out);
        }
    }
}

#[tokio::test]
async fn every_tool_is_typed_described_and_annotated() {
    let h = Harness::new().await;
    let tools = h.client.list_all_tools().await.unwrap();
    assert!(tools.len() >= 3);
    for tool in &tools {
        let name = tool.name.as_ref();
        let description = tool.description.as_deref().unwrap_or_default();
        assert!(description.len() >= 20, "{name}: description too short");
        assert!(tool.output_schema.is_some(), "{name}: no outputSchema");
        let annotations = tool
            .annotations
            .as_ref()
            .unwrap_or_else(|| panic!("{name}: no annotations"));
        // readOnlyHint and idempotentHint default to false and are sent only when true;
        // destructiveHint and openWorldHint default to true, so they are always explicit.
        assert_ne!(
            annotations.read_only_hint,
            Some(false),
            "{name}: readOnlyHint"
        );
        assert_ne!(
            annotations.idempotent_hint,
            Some(false),
            "{name}: idempotentHint"
        );
        assert!(
            annotations.destructive_hint.is_some(),
            "{name}: destructiveHint"
        );
        assert!(
            annotations.open_world_hint.is_some(),
            "{name}: openWorldHint"
        );
        for schema in [Some(&tool.input_schema), tool.output_schema.as_ref()]
            .into_iter()
            .flatten()
        {
            let text = serde_json::to_string(&**schema).unwrap();
            assert!(
                !text.contains("\"format\":\"uint")
                    && !text.contains("\"format\":\"int")
                    && !text.contains("\"format\":\"double\""),
                "{name}: non-standard format in {text}"
            );
        }
        let schema = Value::Object((*tool.input_schema).clone());
        assert_eq!(schema["type"], "object", "{name}");
        assert_eq!(
            schema["additionalProperties"], false,
            "{name}: unknown fields must be refused"
        );
        let mut missing = Vec::new();
        undescribed(&schema, name, &mut missing);
        assert!(
            missing.is_empty(),
            "fields without description: {missing:?}"
        );
    }
}

#[tokio::test]
async fn unknown_tool_and_malformed_arguments() {
    let h = Harness::new().await;
    let err = h
        .client
        .call_tool(rmcp::model::CallToolRequestParams::new("drop_everything"))
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("unknown tool `drop_everything`"),
        "{err}"
    );
    let text = h.err("start_project", json!({ "name": 5 })).await;
    assert!(
        text.contains("name: invalid type: integer `5`, expected a string"),
        "{text}"
    );
    let text = h
        .err("start_project", json!({ "name": "x", "id": "Bad Id" }))
        .await;
    assert!(
        text.contains("id: `Bad Id` is not a valid project id"),
        "{text}"
    );
    let text = h.err("project_status", json!({ "project": "ghost" })).await;
    assert!(text.contains("project `ghost` not found"), "{text}");
}

#[tokio::test]
async fn projects_start_once_and_list_phases() {
    let h = Harness::new().await;
    let p = h
        .ok("start_project", json!({ "name": "Retail Analytics!" }))
        .await;
    assert_eq!(p["id"], "retail-analytics");
    assert_eq!(p["phases"].as_array().unwrap().len(), 5);
    assert_eq!(p["phases"][0]["gate"], "GATE-DISCOVER");
    let err = h
        .err("start_project", json!({ "name": "Retail Analytics" }))
        .await;
    assert!(
        err.contains("project `retail-analytics` already exists"),
        "{err}"
    );
}

#[tokio::test]
async fn toolsets_select_tools_and_reject_unknown_names() {
    let dir = tempfile::tempdir().unwrap();
    let app = dana::App::open(dir.path()).unwrap();
    let only: Vec<String> = vec!["scoring".into()];
    let server = DanaServer::new(app.clone(), Some(&only)).unwrap();
    let names: Vec<&str> = server.tool_list().iter().map(|t| t.name.as_ref()).collect();
    assert_eq!(names, ["score_infrastructure"]);
    let bad: Vec<String> = vec!["scoring".into(), "magic".into()];
    let err = DanaServer::new(app.clone(), Some(&bad))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("unknown toolset `magic`; valid: `protocol`, `discovery`"),
        "{err}"
    );

    // dana.toml selects toolsets too.
    std::fs::write(dir.path().join("dana.toml"), "toolsets = [\"protocol\"]\n").unwrap();
    let app = dana::App::open(dir.path()).unwrap();
    let server = DanaServer::new(app, None).unwrap();
    assert!(
        server
            .tool_list()
            .iter()
            .all(|t| t.name != "score_infrastructure")
    );
    std::fs::write(dir.path().join("dana.toml"), "toolsets = [\"nope\"]\n").unwrap();
    let app = dana::App::open(dir.path()).unwrap();
    assert!(DanaServer::new(app, None).is_err());
    std::fs::write(dir.path().join("dana.toml"), "toolset = [\"scoring\"]\n").unwrap();
    let err = dana::App::open(dir.path()).unwrap_err().to_string();
    assert!(err.contains("unknown field `toolset`"), "{err}");
}

struct Panics;

#[derive(serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct PanicParams {
    /// Whether to panic.
    boom: bool,
}

impl DanaTool for Panics {
    const NAME: &'static str = "panics";
    const TOOLSET: &'static str = "scoring";
    const TITLE: &'static str = "Panics";
    const DESCRIPTION: &'static str = "A tool that panics, to prove the dispatch guard.";
    const HINTS: Hints = Hints::READ_ONLY;
    type Params = PanicParams;
    type Output = Value;
    const TEMPLATE: &'static str = "protocol/document.md.j2";

    async fn call(_ctx: ToolCtx, params: Self::Params) -> Result<Self::Output, ToolError> {
        if params.boom {
            panic!("kaboom");
        }
        Ok(json!({ "markdown": "ok" }))
    }
}

/// A tool whose template does not fit its output.
struct Misrendered;

impl DanaTool for Misrendered {
    const NAME: &'static str = "misrendered";
    const TOOLSET: &'static str = "scoring";
    const TITLE: &'static str = "Misrendered";
    const DESCRIPTION: &'static str = "A tool whose template cannot render its output.";
    const HINTS: Hints = Hints::READ_ONLY;
    type Params = PanicParams;
    type Output = Value;
    const TEMPLATE: &'static str = "reports/score.md.j2";

    async fn call(_ctx: ToolCtx, _params: Self::Params) -> Result<Self::Output, ToolError> {
        Ok(json!({ "total": 1 }))
    }
}

/// A template error is a bug that fails the call, naming the template; never an empty
/// or JSON stand-in for the Markdown.
#[tokio::test]
async fn a_template_error_fails_the_call() {
    let dir = tempfile::tempdir().unwrap();
    let app = dana::App::open(dir.path()).unwrap();
    let tool = entry::<Misrendered>();
    let rendered = tool
        .run(
            ToolCtx::detached(app.clone()),
            json!({ "boom": false }).as_object().cloned(),
        )
        .await;
    match rendered {
        Err(ToolError::Domain(e)) => assert!(
            e.to_string().starts_with("template `reports/score.md.j2`"),
            "{e}"
        ),
        other => panic!(
            "expected a template error, got {:?}",
            other.map(|o| o.rendered)
        ),
    }
    // Without a rendering asked for (an MCP reply), the template is not run.
    let ctx = ToolCtx {
        render: false,
        ..ToolCtx::detached(app)
    };
    assert!(
        tool.run(ctx, json!({ "boom": false }).as_object().cloned())
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn a_panicking_tool_becomes_an_error_result() {
    let dir = tempfile::tempdir().unwrap();
    let app = dana::App::open(dir.path()).unwrap();
    let tool = entry::<Panics>();
    let ctx = ToolCtx::detached(app.clone());
    let args = json!({ "boom": true }).as_object().cloned();
    match tool.run(ctx.clone(), args).await {
        Err(ToolError::Domain(e)) => {
            assert!(e.to_string().contains("internal error in `panics`"), "{e}")
        }
        other => panic!("expected an error, got {:?}", other.map(|o| o.structured)),
    }
    let ok = tool
        .run(ctx, json!({ "boom": false }).as_object().cloned())
        .await;
    assert!(ok.is_ok());
}

#[tokio::test]
async fn prompts_render_and_validate_arguments() {
    let h = Harness::new().await;
    let prompts = h.client.list_all_prompts().await.unwrap();
    assert!(prompts.iter().any(|p| p.name == "audit_infrastructure"));
    let mut args = serde_json::Map::new();
    args.insert("scope".into(), json!("the orders platform"));
    args.insert("project".into(), json!("retail"));
    let result = h
        .client
        .get_prompt(GetPromptRequestParams::new("audit_infrastructure").with_arguments(args))
        .await
        .unwrap();
    let text = serde_json::to_string(&result.messages).unwrap();
    assert!(text.contains("the orders platform"), "{text}");
    assert!(
        text.contains("success_rate_pct"),
        "facts come from the rubric playbook"
    );
    assert!(text.contains("project: \\\"retail\\\""), "{text}");

    let err = h
        .client
        .get_prompt(GetPromptRequestParams::new("nope"))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("unknown prompt `nope`"), "{err}");
    let mut bad = serde_json::Map::new();
    bad.insert("colour".into(), json!("red"));
    let err = h
        .client
        .get_prompt(GetPromptRequestParams::new("audit_infrastructure").with_arguments(bad))
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("has no argument `colour`"),
        "{err}"
    );
}

#[tokio::test]
async fn every_playbook_is_a_resource() {
    let h = Harness::new().await;
    let resources = h.client.list_all_resources().await.unwrap();
    let uris: Vec<&str> = resources.iter().map(|r| r.uri.as_str()).collect();
    for name in h.app.playbooks.names() {
        let uri = format!("dana://playbooks/{name}");
        assert!(uris.contains(&uri.as_str()), "{uri} listed");
        let read = h
            .client
            .read_resource(ReadResourceRequestParams::new(uri.clone()))
            .await
            .unwrap();
        let text = serde_json::to_string(&read.contents).unwrap();
        assert!(text.contains("version"), "{uri} has content");
    }
    let templates = h.client.list_all_resource_templates().await.unwrap();
    assert!(
        templates
            .iter()
            .any(|t| t.uri_template == "dana://playbooks/{name}")
    );
    let err = h
        .client
        .read_resource(ReadResourceRequestParams::new("dana://playbooks/nope"))
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("playbook `nope` not found"),
        "{err}"
    );
}

async fn http_server(
    options_for: impl FnOnce(std::net::SocketAddr) -> HttpOptions,
) -> (
    String,
    tokio_util::sync::CancellationToken,
    tempfile::TempDir,
) {
    let dir = tempfile::tempdir().unwrap();
    let app = dana::App::open(dir.path()).unwrap();
    let server = DanaServer::new(app, None).unwrap();
    let options = options_for("127.0.0.1:0".parse().unwrap());
    let bound = HttpServer::bind(server, options).await.unwrap();
    let url = format!("http://{}/mcp", bound.local_addr());
    let token = bound.shutdown_token();
    tokio::spawn(bound.run());
    (url, token, dir)
}

fn initialize_body() -> Value {
    json!({
        "jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": { "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": { "name": "t", "version": "0" } }
    })
}

async fn post(url: &str, headers: &[(&str, &str)], body: &Value) -> reqwest::Response {
    let mut request = reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream");
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    request.json(body).send().await.unwrap()
}

#[tokio::test]
async fn http_validates_origin_and_host() {
    let (url, stop, _dir) = http_server(HttpOptions::new).await;
    let ok = post(&url, &[], &initialize_body()).await;
    assert_eq!(ok.status(), 200);
    assert!(ok.headers().get("mcp-session-id").is_some());
    let foreign = post(
        &url,
        &[("origin", "https://evil.example")],
        &initialize_body(),
    )
    .await;
    assert_eq!(foreign.status(), 403);
    let rebound = post(&url, &[("host", "evil.example")], &initialize_body()).await;
    assert_eq!(rebound.status(), 403);
    stop.cancel();
}

#[tokio::test]
async fn http_token_is_required_when_configured_and_off_loopback() {
    let (url, stop, _dir) = http_server(|addr| {
        let mut o = HttpOptions::new(addr);
        o.token = Some("s3cret".into());
        o
    })
    .await;
    assert_eq!(post(&url, &[], &initialize_body()).await.status(), 401);
    assert_eq!(
        post(
            &url,
            &[("authorization", "Bearer wrong")],
            &initialize_body()
        )
        .await
        .status(),
        401
    );
    assert_eq!(
        post(
            &url,
            &[("authorization", "Bearer s3cret")],
            &initialize_body()
        )
        .await
        .status(),
        200
    );
    stop.cancel();

    // A non-loopback bind without a token never starts.
    let dir = tempfile::tempdir().unwrap();
    let app = dana::App::open(dir.path()).unwrap();
    let server = DanaServer::new(app, None).unwrap();
    let err = HttpServer::bind(server, HttpOptions::new("0.0.0.0:0".parse().unwrap()))
        .await
        .err()
        .expect("refused");
    assert!(err.to_string().contains("requires a bearer token"), "{err}");
}

#[tokio::test]
async fn http_bounds_body_size_and_concurrency() {
    let (url, stop, _dir) = http_server(|addr| {
        let mut o = HttpOptions::new(addr);
        o.max_body_bytes = 4096;
        o.max_concurrency = 1;
        o
    })
    .await;
    let mut big = initialize_body();
    big["params"]["clientInfo"]["name"] = json!("x".repeat(10_000));
    assert_eq!(post(&url, &[], &big).await.status(), 413);

    // Many simultaneous requests against a limit of one: some are turned away with 503,
    // none hang, and the server still answers afterwards.
    let requests: Vec<_> = (0..16)
        .map(|_| {
            let url = url.clone();
            tokio::spawn(async move { post(&url, &[], &initialize_body()).await.status().as_u16() })
        })
        .collect();
    let mut statuses = Vec::new();
    for r in requests {
        statuses.push(r.await.unwrap());
    }
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 503),
        "{statuses:?}"
    );
    assert_eq!(post(&url, &[], &initialize_body()).await.status(), 200);
    stop.cancel();
}

/// Opens a session (initialize + initialized) and returns its id.
async fn open_session(url: &str) -> String {
    let response = post(url, &[], &initialize_body()).await;
    assert_eq!(response.status(), 200);
    let id = response.headers()["mcp-session-id"]
        .to_str()
        .unwrap()
        .to_string();
    let _ = response.bytes().await;
    let initialized = json!({ "jsonrpc": "2.0", "method": "notifications/initialized" });
    let ack = post(url, &session_headers(&id), &initialized).await;
    assert_eq!(ack.status(), 202);
    id
}

fn session_headers(id: &str) -> [(&str, &str); 2] {
    [
        ("mcp-session-id", id),
        ("mcp-protocol-version", "2025-06-18"),
    ]
}

/// HTTP status of `tools/list` on session `id` (200 with a result while it lives).
async fn list_on(url: &str, id: &str) -> u16 {
    let list = json!({ "jsonrpc": "2.0", "id": 2, "method": "tools/list" });
    let response = post(url, &session_headers(id), &list).await;
    let status = response.status().as_u16();
    let body = response.text().await.unwrap();
    if status == 200 {
        assert!(body.contains("\"tools\""), "{body}");
    }
    status
}

#[tokio::test]
async fn http_idle_sessions_expire() {
    let (url, stop, _dir) = http_server(|addr| {
        let mut o = HttpOptions::new(addr);
        o.session_idle = std::time::Duration::from_secs(1);
        o
    })
    .await;
    let id = open_session(&url).await;
    assert_eq!(list_on(&url, &id).await, 200);
    // Abandoned (no DELETE): after the idle lifetime the session is gone. Each look is
    // activity that restarts the idle clock, so each wait is longer than the lifetime.
    let mut status = 200;
    for wait in [2, 4, 8] {
        tokio::time::sleep(std::time::Duration::from_secs(wait)).await;
        status = list_on(&url, &id).await;
        if status != 200 {
            break;
        }
    }
    assert_eq!(status, 404, "an idle session must expire");
    stop.cancel();
}

#[tokio::test]
async fn http_caps_live_sessions_by_closing_the_least_recently_active() {
    let (url, stop, _dir) = http_server(|addr| {
        let mut o = HttpOptions::new(addr);
        o.max_sessions = 2;
        // Any session may make room here; protection of active ones is tested in
        // security::availability.
        o.session_protect = std::time::Duration::ZERO;
        o
    })
    .await;
    let a = open_session(&url).await;
    let b = open_session(&url).await;
    // `a` is used after `b` was opened, so `b` is the least recently active.
    assert_eq!(list_on(&url, &a).await, 200);
    let c = open_session(&url).await;
    assert_eq!(list_on(&url, &b).await, 404, "the idle session makes room");
    assert_eq!(list_on(&url, &a).await, 200);
    assert_eq!(list_on(&url, &c).await, 200);
    // A flood of abandoned sessions never pushes the live count past the cap, and the
    // client still in use keeps its session... until it is the least recently active.
    for _ in 0..5 {
        open_session(&url).await;
        assert_eq!(list_on(&url, &c).await, 200);
    }
    assert_eq!(list_on(&url, &a).await, 404);
    stop.cancel();
}

#[tokio::test]
async fn dana_call_uses_the_same_dispatch() {
    let dir = tempfile::tempdir().unwrap();
    let store = dana::store::Store::open_sqlite(&dir.path().join("s.db"))
        .await
        .unwrap();
    let app = dana::App::with_store(dir.path(), store).unwrap();
    let server = DanaServer::new(Arc::clone(&app), None).unwrap();
    let out = server
        .call_detached("start_project", json!({ "name": "p" }))
        .await
        .unwrap();
    assert_eq!(out.structured["id"], "p");
    let err = server
        .call_detached("start_project", json!({ "nam": "p" }))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("unknown field `nam`"), "{err}");
    let err = server.call_detached("nope", json!({})).await.unwrap_err();
    assert!(err.to_string().contains("tool `nope` not found"), "{err}");
}
