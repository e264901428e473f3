//! The test harness: a dana server driven in-process over `tokio::io::duplex` by an
//! rmcp client, in a fresh temporary workspace.

use std::sync::Arc;

use dana::App;
use dana::server::DanaServer;
use rmcp::model::{CallToolRequestParams, CallToolResult};
use rmcp::service::{RoleClient, RunningService};
use rmcp::{ClientHandler, ServiceExt};
use serde_json::Value;
use tempfile::TempDir;

/// A server in a temporary workspace and a connected client.
pub struct Harness<C: ClientHandler = ()> {
    /// The workspace folder (deleted on drop).
    pub dir: TempDir,
    /// Shared application state of the server.
    pub app: Arc<App>,
    /// The connected client.
    pub client: RunningService<RoleClient, C>,
}

impl Harness<()> {
    /// All toolsets, plain client (no elicitation).
    pub async fn new() -> Self {
        Self::with_client(()).await
    }
}

impl<C: ClientHandler> Harness<C> {
    /// All toolsets, the given client handler.
    pub async fn with_client(handler: C) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = dana::store::Store::open_sqlite(&dir.path().join("state.db"))
            .await
            .expect("sqlite store");
        let app = App::with_store(dir.path(), store).expect("open app");
        Self::start(dir, app, handler, None).await
    }

    /// Starts a server for `app` and connects `handler` to it.
    pub async fn start(
        dir: TempDir,
        app: Arc<App>,
        handler: C,
        toolsets: Option<&[String]>,
    ) -> Self {
        let server = DanaServer::new(app.clone(), toolsets).expect("server");
        let (server_io, client_io) = tokio::io::duplex(1024 * 1024);
        tokio::spawn(async move {
            if let Ok(running) = server.serve(server_io).await {
                let _ = running.waiting().await;
            }
        });
        let client = handler.serve(client_io).await.expect("client handshake");
        Harness { dir, app, client }
    }

    /// Calls a tool; returns the raw result (check `is_error`).
    pub async fn call(&self, tool: &str, args: Value) -> CallToolResult {
        let args = match args {
            Value::Object(map) => map,
            other => panic!("tool args must be an object, got {other}"),
        };
        self.client
            .call_tool(CallToolRequestParams::new(tool.to_string()).with_arguments(args))
            .await
            .unwrap_or_else(|e| panic!("call {tool}: {e}"))
    }

    /// Calls a tool that must succeed; returns its structured content.
    pub async fn ok(&self, tool: &str, args: Value) -> Value {
        let result = self.call(tool, args).await;
        assert_ne!(
            result.is_error,
            Some(true),
            "{tool} failed: {}",
            text(&result)
        );
        result
            .structured_content
            .unwrap_or_else(|| panic!("{tool} returned no structured content"))
    }

    /// Calls a tool that must fail; returns the error text.
    pub async fn err(&self, tool: &str, args: Value) -> String {
        let result = self.call(tool, args).await;
        assert_eq!(
            result.is_error,
            Some(true),
            "{tool} should fail but returned {:?}",
            result.structured_content
        );
        text(&result)
    }
}

/// All text content of a result.
pub fn text(result: &CallToolResult) -> String {
    result
        .content
        .iter()
        .filter_map(|c| c.as_text().map(|t| t.text.clone()))
        .collect::<Vec<_>>()
        .join("\n")
}

/// PostgreSQL URL for engine tests, from `DANA_TEST_POSTGRES_URL`. `None` skips locally;
/// `.ci/run` sets it and fails if the server does not answer.
pub fn postgres_url() -> Option<String> {
    std::env::var("DANA_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty())
}

/// MySQL/MariaDB URL for engine tests, from `DANA_TEST_MYSQL_URL`.
pub fn mysql_url() -> Option<String> {
    std::env::var("DANA_TEST_MYSQL_URL")
        .ok()
        .filter(|u| !u.is_empty())
}

/// A unique, SQL-safe name for a test's own schema or database.
pub fn unique_name(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{prefix}_{}_{n}", std::process::id())
}

/// Path of an external engine for generated code (a venv's `python`, `ruff`, `dbt`) from
/// `var` (e.g. `DANA_TEST_AIRFLOW_PYTHON`). `None` skips locally; under CI (`CI` set, as
/// `.ci/run` runs) a missing engine fails the test, so generated code is never left untested.
pub fn engine(var: &str) -> Option<String> {
    let path = std::env::var(var).ok().filter(|p| !p.is_empty());
    if path.is_none() && std::env::var_os("CI").is_some() {
        panic!("{var} is not set: .ci/run installs this engine and must export it");
    }
    path
}
