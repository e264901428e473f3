//! The MCP server: rmcp glue only. Tools come from [`tools::all`], prompts from the
//! `prompts` playbook, resources from the playbooks. All logic lives in `domain`.

pub mod answer;
pub mod framing;
pub mod http;
mod prompts;
mod resources;
pub mod schema;
pub mod stdio;
pub mod tool;
pub mod tools;
pub mod toolsets;

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use rmcp::ServerHandler;
use rmcp::model::ReadResourceResult;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, ErrorData, GetPromptRequestParams, GetPromptResponse,
    Implementation, InitializeResult, ListPromptsResult, ListResourceTemplatesResult,
    ListResourcesResult, ListToolsResult, PaginatedRequestParams, ReadResourceRequestParams,
    ReadResourceResponse, ServerCapabilities, Tool,
};
use rmcp::service::{RequestContext, RoleServer};
use serde_json::Value;

use crate::App;
use crate::config::TextContent;
use crate::error::{Error, Result};
use tool::{Outcome, ToolCtx, ToolEntry, ToolError, to_call_result};

/// The dana MCP server. Cheap to clone: one per HTTP session shares the same state.
#[derive(Clone)]
pub struct DanaServer {
    app: Arc<App>,
    tools: Arc<HashMap<&'static str, ToolEntry>>,
    /// Built on the first `tools/list`: starting the server never pays for schemas.
    listing: Arc<OnceLock<Vec<Tool>>>,
    /// Full results of capped stateless answers (`dana://results/{id}`).
    results: Arc<answer::Results>,
    /// This connection's identity (one per stdio process, per HTTP session, per
    /// sessionless HTTP request): a review request records it, and only a call on the same
    /// connection may answer it.
    connection: Arc<str>,
}

impl std::fmt::Debug for DanaServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DanaServer")
            .field("tools", &self.tools.len())
            .finish()
    }
}

/// Whether declared capabilities include form elicitation.
fn elicits_forms(caps: &rmcp::model::ClientCapabilities) -> bool {
    caps.elicitation
        .as_ref()
        .is_some_and(|e| e.form.is_some() || e.url.is_none())
}

/// A connection identity unique in this process and across processes.
fn new_connection_id() -> Arc<str> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static PROCESS: OnceLock<String> = OnceLock::new();
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let process = PROCESS.get_or_init(|| {
        let mut bytes = [0u8; 12];
        match getrandom::fill(&mut bytes) {
            Ok(()) => hex::encode(bytes),
            Err(_) => format!("{}-{}", std::process::id(), crate::store::now()),
        }
    });
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    Arc::from(format!("{process}-{n}"))
}

/// Every tool as `tools/list` shows it, built by [`ToolEntry::describe`] and written by the
/// unit test `listing_snapshot_is_current`, which fails (and rewrites the file) when a
/// tool's params, output, description or hints changed without it. Generating the schemas
/// costs ~29 M instructions (≈ 8 ms); parsing this costs a few hundred thousand.
const LISTING: &str = include_str!("listing.json");

/// The enabled tools from [`LISTING`]; `None` if it lacks one of them.
fn snapshot(tools: &HashMap<&'static str, ToolEntry>) -> Option<Vec<Tool>> {
    let all: Vec<Tool> = serde_json::from_str(LISTING).ok()?;
    let listing: Vec<Tool> = all
        .into_iter()
        .filter(|t| tools.contains_key(t.name.as_ref()))
        .collect();
    (listing.len() == tools.len()).then_some(listing)
}

impl DanaServer {
    /// A server exposing the tools of the enabled toolsets. `toolsets`: `None` means
    /// `dana.toml`'s list, or all.
    pub fn new(app: Arc<App>, toolsets: Option<&[String]>) -> Result<Self> {
        let configured = app.workspace.config.toolsets.clone();
        let enabled = toolsets::resolve(toolsets.or(configured.as_deref()))?;
        let tools: HashMap<&'static str, ToolEntry> = tools::all()
            .into_iter()
            .filter(|t| enabled.contains(&t.toolset))
            .map(|t| (t.name, t))
            .collect();
        Ok(DanaServer {
            app,
            tools: Arc::new(tools),
            listing: Arc::new(OnceLock::new()),
            // The last 32 capped results, at most 64 MiB of them.
            results: Arc::new(answer::Results::new(32, 64 << 20)),
            connection: new_connection_id(),
        })
    }

    /// The same server for a new connection (an HTTP session or a sessionless request):
    /// shared state, its own connection identity.
    pub fn for_connection(&self) -> Self {
        DanaServer {
            connection: new_connection_id(),
            ..self.clone()
        }
    }

    /// The session a call came on, and whether that session declared form elicitation
    /// when it opened. Per-request `_meta` counts only on a connection that never had a
    /// handshake and is not HTTP (a 2026-07-28 client on stdio, where the one connection
    /// is the session); sessionless HTTP requests have no session at all.
    fn session_of(&self, context: &RequestContext<RoleServer>) -> (Option<String>, bool) {
        let http = context.extensions.get::<axum::http::request::Parts>();
        let info = context.peer.peer_info();
        match (http, info) {
            (Some(parts), _) if !parts.headers.contains_key("mcp-session-id") => (None, false),
            // A handshake: what it declared. (rmcp gives a stateless HTTP request a
            // stand-in without capabilities.)
            (_, Some(info)) => (
                Some(self.connection.to_string()),
                elicits_forms(&info.capabilities),
            ),
            (Some(_), None) => (None, false),
            (None, None) => (
                Some(self.connection.to_string()),
                context
                    .meta
                    .client_capabilities()
                    .is_some_and(|c| elicits_forms(&c)),
            ),
        }
    }

    /// The shared application state.
    pub fn app(&self) -> &Arc<App> {
        &self.app
    }

    /// The enabled tools as `tools/list` shows them, sorted by name: from the snapshot
    /// compiled into the binary (`listing.json`), or built from the tools' schemas when the
    /// snapshot lacks one of them.
    pub fn tool_list(&self) -> &[Tool] {
        self.listing.get_or_init(|| {
            let mut listing = snapshot(&self.tools).unwrap_or_else(|| {
                tracing::debug!("listing.json lacks an enabled tool: building the schemas");
                self.tools.values().map(|t| t.describe().tool).collect()
            });
            listing.sort_by(|a, b| a.name.cmp(&b.name));
            listing
        })
    }

    /// Prepares the `tools/list` answer on a background thread (parsing the snapshot, or
    /// building schemas when it lacks a tool), so that `initialize` never waits for it and
    /// a `tools/list` arriving meanwhile waits only for the rest of it.
    pub fn warm(&self) {
        let server = self.clone();
        let spawned = std::thread::Builder::new()
            .name("dana-warm".into())
            .spawn(move || {
                server.tool_list();
            });
        if let Err(e) = spawned {
            tracing::debug!(error = %e, "no warm-up thread; tools/list builds on first use");
        }
    }

    /// How many tools are enabled.
    pub fn tool_count(&self) -> usize {
        self.tools.len()
    }

    /// The full input and output schemas of an enabled tool, every field documented
    /// (resource `dana://schemas/{tool}`).
    pub fn full_schema(&self, name: &str) -> Result<Value> {
        let Some(entry) = self.tools.get(name) else {
            let mut known: Vec<&str> = self.tools.keys().copied().collect();
            known.sort_unstable();
            return Err(Error::not_found("tool", name, known));
        };
        let described = entry.describe();
        Ok(serde_json::json!({
            "tool": name,
            "inputSchema": described.input,
            "outputSchema": described.output,
        }))
    }

    /// Runs a tool by name without an MCP client (`dana call`, the demo): the same
    /// dispatch as `tools/call`.
    pub async fn call_detached(&self, name: &str, args: Value) -> Result<Outcome> {
        let args = match args {
            Value::Object(map) => Some(map),
            Value::Null => None,
            other => {
                return Err(Error::invalid(format!(
                    "arguments must be a JSON object, not `{other}`"
                )));
            }
        };
        let ctx = ToolCtx::detached(self.app.clone());
        match self.dispatch(name, ctx, args).await {
            Ok(outcome) => Ok(outcome),
            Err(ToolError::Domain(e)) => Err(e),
            Err(ToolError::InputRequired(_)) => Err(Error::invalid(format!(
                "`{name}` needs answers from a human; run it from an MCP client or use `dana gate`"
            ))),
        }
    }

    async fn dispatch(
        &self,
        name: &str,
        ctx: ToolCtx,
        args: Option<rmcp::model::JsonObject>,
    ) -> std::result::Result<Outcome, ToolError> {
        let Some(entry) = self.tools.get(name) else {
            let mut known: Vec<&str> = self.tools.keys().copied().collect();
            known.sort_unstable();
            return Err(ToolError::Domain(Error::not_found("tool", name, known)));
        };
        // The one artifact mechanism: a call whose arguments carry `project` is checked
        // against the gates before the tool runs, and its result is recorded after, under
        // the kind and phase `phases.yaml` assigns to the tool.
        let project = args
            .as_ref()
            .and_then(|a| a.get("project"))
            .and_then(Value::as_str)
            .map(str::to_string);
        let assigned = match &project {
            Some(p) => crate::protocol::artifact::precheck(&self.app, p, name).await?,
            None => None,
        };
        let ctx = ToolCtx {
            render: ctx.render || assigned.is_some(),
            ..ctx
        };
        let mut outcome = entry.run(ctx, args).await?;
        if let (Some(p), Some((phase, kind))) = (&project, &assigned) {
            outcome.artifact = crate::protocol::artifact::record(
                &self.app,
                p,
                name,
                &outcome.structured,
                outcome.rendered.as_deref(),
            )
            .await
            .map_err(|e| {
                Error::Protocol(format!(
                    "`{name}` ran but its result was not recorded as `{kind}` in phase `{phase}` of project `{p}`: {e:#}"
                ))
            })?;
        }
        Ok(outcome)
    }
}

impl DanaServer {
    /// Caps an answer larger than `max_bytes` (see [`answer::cap`]); returns the URI of the
    /// whole result: the recorded artifact version, or a kept copy for a stateless call.
    fn cap(&self, outcome: &mut Outcome, max_bytes: usize) -> Option<String> {
        if answer::size(&outcome.structured) <= max_bytes {
            return None;
        }
        let uri = match &outcome.artifact {
            Some(a) => format!(
                "{}{}/artifacts/{}/v{}",
                resources::PROJECT_PREFIX,
                a.project,
                a.kind,
                a.version
            ),
            None => self.results.keep(&outcome.structured),
        };
        answer::cap(&mut outcome.structured, max_bytes, &uri)?;
        // The Markdown sent as text (`[answers] text = "markdown"`) is cut the same way.
        if let Some(markdown) = &mut outcome.rendered {
            let mut wrapper = serde_json::json!({ "markdown": std::mem::take(markdown) });
            answer::cap(&mut wrapper, max_bytes, &uri);
            if let Some(text) = wrapper.get("markdown").and_then(Value::as_str) {
                *markdown = text.to_string();
            }
        }
        Some(uri)
    }

    /// Instructions for the client, naming only tools this server has loaded.
    fn instructions(&self) -> String {
        let has = |tool: &str| self.tools.contains_key(tool);
        let mut text = String::from("dana turns the Data Engineering Protocol into tools.");
        if has("start_project") && has("project_status") {
            text.push_str(
                " Start with start_project, then follow project_status: each phase (discover, \
                 model, build, optimize, govern) ends with a gate only a human can approve.",
            );
        }
        text.push_str(
            " Tools work without `project` as stateless helpers. Nested parameter types are \
             shown as compact signatures; the resource dana://schemas/{tool} has a tool's full \
             JSON Schema. A result larger than the answer cap says so in `truncated` and names \
             the resource with the whole of it.",
        );
        text
    }
}

impl ServerHandler for DanaServer {
    fn get_info(&self) -> InitializeResult {
        // Logging is deprecated in the spec line rmcp follows but still negotiated by
        // clients; dana accepts a level and logs to stderr (tracing) either way.
        #[allow(deprecated)]
        let capabilities = ServerCapabilities::builder()
            .enable_tools()
            .enable_prompts()
            .enable_resources()
            .enable_logging()
            .build();
        InitializeResult::new(capabilities)
            .with_server_info(Implementation::new(
                env!("CARGO_PKG_NAME"),
                env!("CARGO_PKG_VERSION"),
            ))
            .with_instructions(self.instructions())
    }

    #[allow(deprecated)]
    async fn set_level(
        &self,
        request: rmcp::model::SetLevelRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> std::result::Result<(), ErrorData> {
        tracing::info!(level = ?request.level, "client set the log level");
        Ok(())
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> std::result::Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(self.tool_list().to_vec()))
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        self.tool_list().iter().find(|t| t.name == name).cloned()
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> std::result::Result<CallToolResponse, ErrorData> {
        if !self.tools.contains_key(request.name.as_ref()) {
            let mut known: Vec<&str> = self.tools.keys().copied().collect();
            known.sort_unstable();
            return Err(ErrorData::invalid_params(
                format!(
                    "unknown tool `{}`; valid: {}",
                    request.name,
                    known.join(", ")
                ),
                None,
            ));
        }
        let (session, session_elicitation) = self.session_of(&context);
        let ctx = ToolCtx {
            app: self.app.clone(),
            peer: Some(context.peer.clone()),
            ct: context.ct.clone(),
            progress: context.meta.get_progress_token(),
            input_responses: request.input_responses.clone(),
            request_state: request.request_state.clone(),
            protocol_version: context.protocol_version().map(|v| v.to_string()),
            client_capabilities: context.client_capabilities(),
            session,
            session_elicitation,
            // Rendered only when the client is sent the Markdown (or the result is recorded).
            render: self.app.workspace.config.answers.text == TextContent::Markdown,
        };
        let answers = &self.app.workspace.config.answers;
        match self.dispatch(&request.name, ctx, request.arguments).await {
            Ok(mut outcome) => {
                let link = self.cap(&mut outcome, answers.max_bytes());
                Ok(
                    to_call_result(&request.name, Ok(outcome), answers.text, link.as_deref())
                        .into(),
                )
            }
            Err(ToolError::Domain(e)) => {
                Ok(to_call_result(&request.name, Err(e), answers.text, None).into())
            }
            Err(ToolError::InputRequired(result)) => Ok(CallToolResponse::InputRequired(*result)),
        }
    }

    async fn list_prompts(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> std::result::Result<ListPromptsResult, ErrorData> {
        Ok(ListPromptsResult::with_all_items(prompts::list(&self.app)))
    }

    async fn get_prompt(
        &self,
        request: GetPromptRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> std::result::Result<GetPromptResponse, ErrorData> {
        prompts::get(&self.app, &request).map(Into::into)
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> std::result::Result<ListResourcesResult, ErrorData> {
        Ok(ListResourcesResult::with_all_items(resources::list(
            &self.app,
        )))
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> std::result::Result<ListResourceTemplatesResult, ErrorData> {
        Ok(ListResourceTemplatesResult::with_all_items(
            resources::templates(),
        ))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> std::result::Result<ReadResourceResponse, ErrorData> {
        if let Some(id) = request.uri.strip_prefix(answer::RESULTS_PREFIX) {
            let value = self.results.get(id).ok_or_else(|| {
                ErrorData::resource_not_found(
                    format!(
                        "result `{}` is no longer kept (this server keeps the last 32 capped results, in memory); call the tool again, or with `project` to record it",
                        request.uri
                    ),
                    None,
                )
            })?;
            let text = serde_json::to_string(&*value)
                .map_err(|e| ErrorData::internal_error(e.to_string(), None))?;
            return Ok(ReadResourceResult::new(vec![
                rmcp::model::ResourceContents::text(text, request.uri.clone())
                    .with_mime_type("application/json"),
            ])
            .into());
        }
        if let Some(tool) = request.uri.strip_prefix(resources::SCHEMA_PREFIX) {
            let schema = self
                .full_schema(tool)
                .map_err(|e| ErrorData::resource_not_found(format!("{e:#}"), None))?;
            let text = serde_json::to_string_pretty(&schema)
                .map_err(|e| ErrorData::internal_error(e.to_string(), None))?;
            return Ok(ReadResourceResult::new(vec![
                rmcp::model::ResourceContents::text(text, request.uri.clone())
                    .with_mime_type("application/schema+json"),
            ])
            .into());
        }
        resources::read(&self.app, &request.uri)
            .await
            .map(Into::into)
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    /// `listing.json` is exactly what the tools' schemas give. When it is not, the test
    /// rewrites it and fails: review the diff and commit the file.
    #[test]
    fn listing_snapshot_is_current() {
        let mut listing: Vec<Tool> = tools::all().iter().map(|t| t.describe().tool).collect();
        listing.sort_by(|a, b| a.name.cmp(&b.name));
        let fresh = serde_json::to_string_pretty(&listing).expect("serialize") + "\n";
        if LISTING != fresh {
            let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/server/listing.json");
            std::fs::write(&path, &fresh).expect("rewrite listing.json");
            panic!(
                "{} was out of date and has been rewritten: review `git diff` and commit it",
                path.display()
            );
        }
        let parsed: Vec<Tool> = serde_json::from_str(LISTING).expect("listing.json parses");
        assert_eq!(
            serde_json::to_value(&parsed).expect("serialize"),
            serde_json::to_value(&listing).expect("serialize"),
            "listing.json does not parse back into the same tools"
        );
    }
}
