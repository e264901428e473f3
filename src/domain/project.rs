//! Projects: a named piece of work that moves through the DEP phases.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::App;
use crate::error::{Error, Result};

/// Params of `start_project`.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StartProjectParams {
    /// Display name, e.g. "Retail analytics".
    pub name: String,
    /// Project id used by every later call: lowercase letters, digits, `-`, `_`, 1-64 chars. Default: derived from `name`.
    #[serde(default)]
    pub id: Option<String>,
    /// What the project is for.
    #[serde(default)]
    pub description: Option<String>,
}

/// Params of `project_status`.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectStatusParams {
    /// Project id.
    pub project: String,
}

/// A project and where it stands.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ProjectStatus {
    /// Project id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Creation time (RFC 3339, UTC).
    pub created_at: String,
    /// The phase to work on now.
    pub current_phase: String,
    /// Every phase in order.
    pub phases: Vec<PhaseStatus>,
    /// Latest rubric score, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latest_score: Option<i64>,
}

/// One phase of a project.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct PhaseStatus {
    /// Phase id.
    pub id: String,
    /// Position, from 1.
    pub number: u32,
    /// Title.
    pub title: String,
    /// not_started | in_progress | awaiting_review | pending_human | approved | rejected | clarify
    pub state: String,
    /// Gate id.
    pub gate: String,
}

/// Checks a project id (1-64 of `a-z 0-9 - _`, starting with a letter or digit).
pub fn validate_id(id: &str) -> Result<()> {
    let ok = !id.is_empty()
        && id.len() <= 64
        && id.as_bytes()[0].is_ascii_alphanumeric()
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(format!(
            "id: `{id}` is not a valid project id; use 1-64 of lowercase letters, digits, `-`, `_`, starting with a letter or digit"
        )))
    }
}

/// Derives an id from a display name: lowercase, runs of other characters become `-`.
pub fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.trim().chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let mut out: String = out.trim_end_matches('-').chars().take(64).collect();
    while out.ends_with('-') {
        out.pop();
    }
    out
}

/// Creates a project.
pub async fn start(app: &App, params: &StartProjectParams) -> Result<ProjectStatus> {
    let name = params.name.trim();
    if name.is_empty() {
        return Err(Error::invalid("name: must not be empty"));
    }
    let id = match &params.id {
        Some(id) => id.clone(),
        None => slug(name),
    };
    validate_id(&id)?;
    let store = app.store().await?;
    store
        .create_project(&id, name, params.description.as_deref().unwrap_or(""))
        .await?;
    status(app, &id).await
}

/// Where a project stands.
pub async fn status(app: &App, id: &str) -> Result<ProjectStatus> {
    let store = app.store().await?;
    let project = store.require_project(id).await?;
    let latest_score = store.latest_score(id).await?.map(|s| s.total);
    let phases: Vec<PhaseStatus> = app
        .playbooks
        .phases
        .phases
        .iter()
        .enumerate()
        .map(|(i, p)| PhaseStatus {
            id: p.id.clone(),
            number: p.number,
            title: p.title.clone(),
            state: if i == 0 { "in_progress" } else { "not_started" }.to_string(),
            gate: p.gate.id.clone(),
        })
        .collect();
    Ok(ProjectStatus {
        id: project.id,
        name: project.name,
        description: project.description,
        created_at: project.created_at,
        current_phase: phases.first().map(|p| p.id.clone()).unwrap_or_default(),
        phases,
        latest_score,
    })
}
