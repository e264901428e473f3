//! The tool registry: every tool is a [`DanaTool`] (typed params, typed output, honest
//! annotations) erased into a [`ToolEntry`]. One dispatch path serves MCP `tools/call`
//! and `dana call`: arguments are decoded with the failing field named, the call runs
//! guarded (a panic becomes an error result, never a hung request) and cancellable.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;

use futures::FutureExt;
use rmcp::model::{
    CallToolResult, ClientCapabilities, ContentBlock, InputRequiredResult, InputResponses,
    JsonObject, MetaObject, ProgressNotificationParam, ProgressToken, Tool, ToolAnnotations,
};
use rmcp::service::{Peer, RoleServer};
use schemars::JsonSchema;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use super::{answer, schema};
use crate::App;
use crate::config::TextContent;
use crate::error::Error;

/// What a tool may use besides its params.
#[derive(Clone)]
pub struct ToolCtx {
    /// Workspace, playbooks, templates, store.
    pub app: Arc<App>,
    /// The MCP client, when called over MCP (absent for `dana call`).
    pub peer: Option<Peer<RoleServer>>,
    /// Cancelled when the client cancels the request.
    pub ct: CancellationToken,
    /// Token for progress notifications, when the client asked for progress.
    pub progress: Option<ProgressToken>,
    /// Answers to an earlier `InputRequiredResult` (protocol 2026-07-28 retries).
    pub input_responses: Option<InputResponses>,
    /// Opaque state echoed back from an earlier `InputRequiredResult`.
    pub request_state: Option<String>,
    /// Protocol version the client speaks, when known.
    pub protocol_version: Option<String>,
    /// What the client declared it supports (elicitation, …), when known. Per-request
    /// `_meta` may fill this in: never use it to decide who may answer a review.
    pub client_capabilities: Option<ClientCapabilities>,
    /// The session this call came on, when it is one a review answer may come back on:
    /// an MCP connection (stdio, an HTTP session). `None` for sessionless requests and
    /// `dana call`.
    pub session: Option<String>,
    /// Whether that session declared form elicitation when it opened (`initialize`),
    /// not in a request's `_meta`.
    pub session_elicitation: bool,
    /// Whether the Markdown rendering is wanted: a recorded artifact or the CLI keeps it,
    /// an MCP reply has no use for it (it was an eighth of a call's CPU over HTTP).
    pub render: bool,
}

impl ToolCtx {
    /// A context without a client (CLI, tests).
    pub fn detached(app: Arc<App>) -> Self {
        ToolCtx {
            app,
            peer: None,
            ct: CancellationToken::new(),
            progress: None,
            input_responses: None,
            request_state: None,
            protocol_version: None,
            client_capabilities: None,
            session: None,
            session_elicitation: false,
            render: true,
        }
    }

    /// Sends a progress notification if the client asked for progress; never fails.
    pub async fn progress(&self, done: f64, total: Option<f64>, message: impl Into<String>) {
        let (Some(peer), Some(token)) = (&self.peer, &self.progress) else {
            return;
        };
        let mut param =
            ProgressNotificationParam::new(token.clone(), done).with_message(message.into());
        if let Some(total) = total {
            param = param.with_total(total);
        }
        if let Err(e) = peer.notify_progress(param).await {
            tracing::debug!(error = %e, "progress notification not delivered");
        }
    }

    /// Fails with a clear error if the client cancelled the request.
    pub fn check_cancelled(&self) -> Result<(), ToolError> {
        if self.ct.is_cancelled() {
            Err(ToolError::Domain(Error::invalid("cancelled by the client")))
        } else {
            Ok(())
        }
    }
}

/// Why a tool did not produce its output.
#[derive(Debug)]
pub enum ToolError {
    /// A domain failure the agent can read and act on (`isError: true`).
    Domain(Error),
    /// The client must answer questions and retry (protocol 2026-07-28).
    InputRequired(Box<InputRequiredResult>),
}

impl From<Error> for ToolError {
    fn from(e: Error) -> Self {
        ToolError::Domain(e)
    }
}

/// Behaviour hints shown to clients; they must tell the truth.
#[derive(Debug, Clone, Copy)]
pub struct Hints {
    /// Does not modify anything (state store, files, databases).
    pub read_only: bool,
    /// May destroy or overwrite data.
    pub destructive: bool,
    /// Calling twice with the same params has no further effect.
    pub idempotent: bool,
    /// Talks to systems outside dana (a datasource).
    pub open_world: bool,
}

impl Hints {
    /// A pure function of its params (still records an artifact when given `project`,
    /// so not read-only in general).
    pub const GENERATOR: Hints = Hints {
        read_only: false,
        destructive: false,
        idempotent: false,
        open_world: false,
    };
    /// Reads only.
    pub const READ_ONLY: Hints = Hints {
        read_only: true,
        destructive: false,
        idempotent: true,
        open_world: false,
    };
}

/// A tool: typed params in, typed output out.
pub trait DanaTool: Send + Sync + 'static {
    /// Tool name (snake_case).
    const NAME: &'static str;
    /// Toolset it belongs to (see [`super::toolsets::TOOLSETS`]).
    const TOOLSET: &'static str;
    /// Human title.
    const TITLE: &'static str;
    /// What it does and when to call it, for the agent. Short.
    const DESCRIPTION: &'static str;
    /// Behaviour hints.
    const HINTS: Hints;
    /// Params, `deny_unknown_fields`, a doc comment on every field.
    type Params: DeserializeOwned + JsonSchema + Send + 'static;
    /// Structured result.
    type Output: Serialize + JsonSchema + Send + 'static;

    /// Runs the tool.
    fn call(
        ctx: ToolCtx,
        params: Self::Params,
    ) -> impl Future<Output = Result<Self::Output, ToolError>> + Send;

    /// The template that renders the structured content as Markdown (recorded with
    /// artifacts, printed by `dana call --format md`, sent as text when `[answers] text =
    /// "markdown"`). It sees the answer as clients do: absent values are undefined.
    const TEMPLATE: &'static str;
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;
type CallFn = dyn Fn(ToolCtx, Value) -> BoxFuture<Result<Outcome, ToolError>> + Send + Sync;

/// A successful call: the structured result and its optional Markdown rendering.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Structured content.
    pub structured: Value,
    /// Markdown rendering.
    pub rendered: Option<String>,
    /// Where the dispatcher recorded the result, when called with `project`.
    pub artifact: Option<crate::protocol::artifact::ArtifactRef>,
}

/// An erased tool.
#[derive(Clone)]
pub struct ToolEntry {
    /// Name.
    pub name: &'static str,
    /// Toolset.
    pub toolset: &'static str,
    /// Template rendering its structured content as Markdown.
    pub template: &'static str,
    describe: fn() -> Description,
    call: Arc<CallFn>,
}

/// What a tool publishes: its `tools/list` entry and its full schemas.
#[derive(Debug, Clone)]
pub struct Description {
    /// As listed: compact input schema, top-level output schema, annotations.
    pub tool: Tool,
    /// The full input schema, every nested field documented.
    pub input: JsonObject,
    /// The full output schema.
    pub output: JsonObject,
}

impl std::fmt::Debug for ToolEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ToolEntry")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// Builds a tool's schemas. `tools/list` is served from the snapshot of these
/// (`listing.json`); they are built at run time only for `dana://schemas/{tool}`, or when
/// the snapshot lacks a tool.
fn describe<T: DanaTool>() -> Description {
    let input = schema::full(&rmcp::handler::server::common::schema_for_type::<T::Params>());
    let output = schema::output(
        &rmcp::handler::server::common::schema_for_output::<T::Output>(),
        &rmcp::handler::server::common::schema_for_output::<answer::Truncation>(),
    );
    // The title is the tool's own `title`; repeating it in the annotations costs bytes.
    // readOnlyHint and idempotentHint default to false: sent only when true.
    // destructiveHint and openWorldHint default to true: always sent.
    let mut annotations = ToolAnnotations::new()
        .destructive(T::HINTS.destructive)
        .open_world(T::HINTS.open_world);
    if T::HINTS.read_only {
        annotations = annotations.read_only(true);
    }
    if T::HINTS.idempotent {
        annotations = annotations.idempotent(true);
    }
    let tool = Tool::new(
        T::NAME,
        T::DESCRIPTION,
        Arc::new(schema::listing_input(&input)),
    )
    .with_title(T::TITLE)
    .with_raw_output_schema(Arc::new(schema::listing_output(&output)))
    .with_annotations(annotations);
    Description {
        tool,
        input,
        output,
    }
}

/// Erases a [`DanaTool`].
pub fn entry<T: DanaTool>() -> ToolEntry {
    let call: Arc<CallFn> = Arc::new(|ctx: ToolCtx, args: Value| {
        Box::pin(async move {
            let params: T::Params = decode(args)?;
            let output = T::call(ctx.clone(), params).await?;
            let structured = answer::structured(&output)
                .map_err(|e| Error::invalid(format!("result of `{}` is not JSON: {e}", T::NAME)))?;
            // A template that fails is a bug in dana (or in an override): the call fails
            // with the template's name and the reason, never an empty or missing document.
            let rendered = if ctx.render {
                Some(ctx.app.templates.render(T::TEMPLATE, &structured)?)
            } else {
                None
            };
            Ok(Outcome {
                structured,
                rendered,
                artifact: None,
            })
        })
    });
    ToolEntry {
        name: T::NAME,
        toolset: T::TOOLSET,
        template: T::TEMPLATE,
        describe: describe::<T>,
        call,
    }
}

/// Decodes arguments, naming the field that failed (`dimensions.reliability.points: …`).
pub fn decode<P: DeserializeOwned>(args: Value) -> Result<P, Error> {
    serde_path_to_error::deserialize(args).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner().to_string();
        if path == "." || path.is_empty() {
            Error::invalid(format!("invalid arguments: {inner}"))
        } else {
            Error::invalid(format!("{path}: {inner}"))
        }
    })
}

impl ToolEntry {
    /// The tool's `tools/list` entry and full schemas (built on each call).
    pub fn describe(&self) -> Description {
        (self.describe)()
    }

    /// Runs the tool on JSON arguments: decode, run guarded against panics and
    /// cancellation, encode.
    pub async fn run(&self, ctx: ToolCtx, args: Option<JsonObject>) -> Result<Outcome, ToolError> {
        let args = Value::Object(args.unwrap_or_default());
        let ct = ctx.ct.clone();
        let guarded = AssertUnwindSafe((self.call)(ctx, args)).catch_unwind();
        tokio::select! {
            result = guarded => match result {
                Ok(result) => result,
                Err(panic) => {
                    let what = panic
                        .downcast_ref::<&str>()
                        .map(|s| s.to_string())
                        .or_else(|| panic.downcast_ref::<String>().cloned())
                        .unwrap_or_else(|| "unknown panic".to_string());
                    tracing::error!(tool = self.name, panic = %what, "tool panicked");
                    Err(ToolError::Domain(Error::invalid(format!(
                        "internal error in `{}` (a bug in dana, please report it): {what}",
                        self.name
                    ))))
                }
            },
            () = ct.cancelled() => Err(ToolError::Domain(Error::invalid("cancelled by the client"))),
        }
    }
}

/// Turns an outcome into the MCP result: the structured content, and as text what
/// `text` asks for (a summary by default; see [`answer`]). `link` is the full result of a
/// capped answer, sent as a `resource_link` too.
pub fn to_call_result(
    tool: &str,
    outcome: Result<Outcome, Error>,
    text: TextContent,
    link: Option<&str>,
) -> CallToolResult {
    let mut outcome = match outcome {
        Ok(outcome) => outcome,
        Err(e) => return CallToolResult::error(vec![ContentBlock::text(format!("{e:#}"))]),
    };
    let text = match (text, outcome.rendered.take()) {
        (TextContent::Markdown, Some(markdown)) => markdown,
        (TextContent::Json, _) => outcome.structured.to_string(),
        _ => answer::summary(tool, &outcome.structured),
    };
    let mut content = vec![ContentBlock::text(text)];
    if let Some(uri) = link {
        content.push(ContentBlock::resource_link(
            rmcp::model::Resource::new(uri, format!("{tool} result"))
                .with_description("The whole result; the answer was capped")
                .with_mime_type("application/json"),
        ));
    }
    let mut result = CallToolResult::structured(outcome.structured);
    result.content = content;
    // Where the result was recorded travels in `_meta`, outside the tool's own schema.
    if let Some(artifact) = &outcome.artifact
        && let Ok(value) = serde_json::to_value(artifact)
    {
        let mut meta = JsonObject::new();
        meta.insert("dana/artifact".to_string(), value);
        result.meta = Some(MetaObject(meta));
    }
    result
}
