//! Artifacts: any tool called with `project` has its result recorded, by the dispatcher,
//! as the next version of the artifact kind `phases.yaml` assigns to the tool. Nothing
//! is overwritten. Recording into phase N is refused while an earlier gate is open.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::gate::{self, GateState};
use crate::App;
use crate::error::{Error, Result};
use crate::store::protocol::{ArtifactRow, canonical_json};

/// Where a recorded result went.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ArtifactRef {
    /// Project.
    pub project: String,
    /// Phase.
    pub phase: String,
    /// Artifact kind.
    pub kind: String,
    /// Version, from 1.
    pub version: i64,
    /// Audit row.
    pub audit_seq: i64,
}

/// One artifact version as served to agents and documents.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ArtifactView {
    /// Artifact kind.
    pub kind: String,
    /// Phase.
    pub phase: String,
    /// Version.
    pub version: i64,
    /// Producing tool.
    pub tool: String,
    /// RFC 3339 UTC.
    pub recorded_at: String,
    /// SHA-256 of the content.
    pub content_sha256: String,
    /// Structured content.
    pub content: Value,
    /// Markdown rendering, when the tool has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rendered: Option<String>,
}

impl From<&ArtifactRow> for ArtifactView {
    fn from(a: &ArtifactRow) -> Self {
        ArtifactView {
            kind: a.kind.clone(),
            phase: a.phase.clone(),
            version: a.version,
            tool: a.tool.clone(),
            recorded_at: a.created_at.clone(),
            content_sha256: a.content_sha256.clone(),
            content: serde_json::from_str(&a.content).unwrap_or(Value::Null),
            rendered: a.rendered.clone(),
        }
    }
}

/// The (phase, kind) a tool's result is recorded under, if any.
pub fn assignment<'a>(app: &'a App, tool: &str) -> Option<(&'a str, &'a str)> {
    app.playbooks
        .phases
        .artifact_for_tool(tool)
        .map(|(phase, artifact)| (phase.id.as_str(), artifact.kind.as_str()))
}

/// Checks, before a tool runs, that its result may be recorded in `project`: the
/// project exists and every earlier gate is approved. `Ok(None)`: the tool records
/// nothing (not assigned in `phases.yaml`).
pub async fn precheck(app: &App, project: &str, tool: &str) -> Result<Option<(String, String)>> {
    let Some((phase_id, kind)) = assignment(app, tool) else {
        return Ok(None);
    };
    let store = app.store().await?;
    store.require_project(project).await?;
    let approved = store.approved_phases(project).await?;
    if let Err(e) = ensure_open(app, project, tool, phase_id, &approved) {
        return Err(explain_blocked(app, project, tool, phase_id)
            .await
            .unwrap_or(e));
    }
    Ok(Some((phase_id.to_string(), kind.to_string())))
}

/// Fails when a phase before `phase_id` has no approved gate (reads only the approvals).
fn ensure_open(
    app: &App,
    project: &str,
    tool: &str,
    phase_id: &str,
    approved: &[String],
) -> Result<()> {
    for phase in &app.playbooks.phases.phases {
        if phase.id == phase_id {
            return Ok(());
        }
        if !approved.contains(&phase.id) {
            return Err(blocked(
                project,
                tool,
                phase_id,
                &phase.gate.id,
                &phase.id,
                "not approved",
            ));
        }
    }
    Ok(())
}

/// The refusal with the blocking gate's full state (evaluated only on this error path).
async fn explain_blocked(app: &App, project: &str, tool: &str, phase_id: &str) -> Result<Error> {
    let store = app.store().await?;
    let rows = store.protocol_rows(project).await?;
    let evals = gate::evaluate(&app.playbooks.phases, &rows);
    let eval = evals
        .iter()
        .take_while(|e| e.phase != phase_id)
        .find(|e| e.state != GateState::Approved)
        .ok_or_else(|| Error::invalid("no blocking gate"))?;
    let state = eval.state.as_str().replace('_', " ");
    Ok(blocked(
        project,
        tool,
        phase_id,
        &eval.gate,
        &eval.phase,
        &state,
    ))
}

fn blocked(
    project: &str,
    tool: &str,
    phase_id: &str,
    gate: &str,
    phase: &str,
    state: &str,
) -> Error {
    Error::Protocol(format!(
        "`{tool}` records into phase `{phase_id}` of project `{project}`, but gate `{gate}` of the earlier phase `{phase}` is {state}; \
         finish that phase and call `request_gate_review` with project `{project}` and phase `{phase}`, \
         or call `{tool}` without `project` for a stateless result"
    ))
}

/// Records a tool's result as the next version of its artifact kind, with its audit
/// row, in one serialized transaction. `Ok(None)` when the tool is not assigned.
pub async fn record(
    app: &App,
    project: &str,
    tool: &str,
    structured: &Value,
    rendered: Option<&str>,
) -> Result<Option<ArtifactRef>> {
    use sha2::{Digest, Sha256};
    let Some((phase_id, kind)) = assignment(app, tool) else {
        return Ok(None);
    };
    let content = canonical_json(structured);
    let sha = hex::encode(Sha256::digest(content.as_bytes()));
    let store = app.store().await?;
    let mut tx = store.begin_locked().await?;
    let approved = tx.approved_phases(project).await?;
    ensure_open(app, project, tool, phase_id, &approved)?;
    let version = tx.next_artifact_version(project, kind).await?;
    let payload = json!({
        "kind": kind,
        "version": version,
        "tool": tool,
        "content_sha256": sha,
    });
    let (_, stored_version, seq) = tx
        .insert_artifact(
            project,
            phase_id,
            kind,
            tool,
            &content,
            rendered,
            &sha,
            crate::store::protocol::Audit {
                project: Some(project),
                phase: Some(phase_id),
                event: "artifact_recorded",
                actor: tool,
                payload,
            },
        )
        .await?;
    if stored_version != version {
        return Err(Error::invalid(format!(
            "artifact `{kind}` version changed under the write lock ({version} → {stored_version})"
        )));
    }
    tx.commit().await?;
    Ok(Some(ArtifactRef {
        project: project.to_string(),
        phase: phase_id.to_string(),
        kind: kind.to_string(),
        version,
        audit_seq: seq,
    }))
}

/// One artifact of a project: the latest version of `kind`, or `version`.
pub async fn get(
    app: &App,
    project: &str,
    kind: &str,
    version: Option<i64>,
) -> Result<ArtifactView> {
    let store = app.store().await?;
    store.require_project(project).await?;
    let known: Vec<&str> = app
        .playbooks
        .phases
        .phases
        .iter()
        .flat_map(|p| p.artifacts.iter().map(|a| a.kind.as_str()))
        .collect();
    if !known.contains(&kind) {
        return Err(Error::not_found("artifact kind", kind, known));
    }
    let rows = store.protocol_rows(project).await?;
    let mut versions: Vec<&ArtifactRow> =
        rows.artifacts.iter().filter(|a| a.kind == kind).collect();
    versions.sort_by_key(|a| a.version);
    let found = match version {
        Some(v) => versions.iter().find(|a| a.version == v).copied(),
        None => versions.last().copied(),
    };
    found.map(ArtifactView::from).ok_or_else(|| match version {
        Some(v) => Error::not_found(
            "artifact version",
            format!("{kind}@v{v}"),
            versions
                .iter()
                .map(|a| format!("{kind}@v{}", a.version))
                .collect::<Vec<_>>(),
        ),
        None => Error::NotFound {
            what: "artifact",
            name: kind.to_string(),
            hint: format!(" in project `{project}`; nothing recorded yet"),
        },
    })
}
