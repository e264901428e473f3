//! MCP resources: every playbook as `dana://playbooks/{name}`; per project its status,
//! artifacts and phase documents as resource templates.

use rmcp::model::{ErrorData, ReadResourceResult, Resource, ResourceContents, ResourceTemplate};

use crate::App;

const PLAYBOOK_PREFIX: &str = "dana://playbooks/";
pub(super) const PROJECT_PREFIX: &str = "dana://projects/";
/// Full tool schemas (answered by the server, which knows the enabled tools).
pub(super) const SCHEMA_PREFIX: &str = "dana://schemas/";

pub(super) fn list(app: &App) -> Vec<Resource> {
    app.playbooks
        .names()
        .map(|name| {
            Resource::new(
                format!("{PLAYBOOK_PREFIX}{name}"),
                format!("playbook {name}"),
            )
            .with_description(format!("The `{name}` playbook (YAML)"))
            .with_mime_type("application/yaml")
        })
        .collect()
}

pub(super) fn templates() -> Vec<ResourceTemplate> {
    vec![
        ResourceTemplate::new(format!("{SCHEMA_PREFIX}{{tool}}"), "tool schema")
            .with_description("A tool's full input and output JSON Schema, every nested field documented (tools/list abbreviates nested types)")
            .with_mime_type("application/schema+json"),
        ResourceTemplate::new(format!("{}{{id}}", super::answer::RESULTS_PREFIX), "capped result")
            .with_description("The whole result of a tool call whose answer was capped (JSON; the answer's `truncated.resource` names it)")
            .with_mime_type("application/json"),
        ResourceTemplate::new(format!("{PLAYBOOK_PREFIX}{{name}}"), "playbook")
            .with_description("A methodology playbook (YAML)")
            .with_mime_type("application/yaml"),
        ResourceTemplate::new(format!("{PROJECT_PREFIX}{{id}}/status"), "project status")
            .with_description("A project's DEP phase tracker (JSON, same as project_status)")
            .with_mime_type("application/json"),
        ResourceTemplate::new(format!("{PROJECT_PREFIX}{{id}}/artifacts/{{kind}}"), "project artifact")
            .with_description("The latest version of an artifact kind of a project (JSON); append `/v{n}` for an older version")
            .with_mime_type("application/json"),
        ResourceTemplate::new(format!("{PROJECT_PREFIX}{{id}}/documents/{{phase}}"), "phase document")
            .with_description("The phase document of a project (Markdown; DRAFT until the gate is approved)")
            .with_mime_type("text/markdown"),
    ]
}

pub(super) async fn read(app: &App, uri: &str) -> Result<ReadResourceResult, ErrorData> {
    if let Some(name) = uri.strip_prefix(PLAYBOOK_PREFIX) {
        return match app.playbooks.source(name) {
            Ok(source) => Ok(ReadResourceResult::new(vec![
                ResourceContents::text(source.text.clone(), uri).with_mime_type("application/yaml"),
            ])),
            Err(e) => Err(ErrorData::resource_not_found(format!("{e:#}"), None)),
        };
    }
    if let Some(rest) = uri.strip_prefix(PROJECT_PREFIX) {
        return read_project(app, uri, rest).await;
    }
    Err(ErrorData::resource_not_found(
        format!(
            "unknown resource `{uri}`; dana serves {PLAYBOOK_PREFIX}{{name}}, {SCHEMA_PREFIX}{{tool}}, {PROJECT_PREFIX}{{id}}/status, \
             {PROJECT_PREFIX}{{id}}/artifacts/{{kind}} and {PROJECT_PREFIX}{{id}}/documents/{{phase}}"
        ),
        None,
    ))
}

async fn read_project(app: &App, uri: &str, rest: &str) -> Result<ReadResourceResult, ErrorData> {
    let parts: Vec<&str> = rest.split('/').collect();
    let not_found = |e: crate::Error| match e {
        crate::Error::NotFound { .. } => ErrorData::resource_not_found(format!("{e:#}"), None),
        crate::Error::Invalid(_) | crate::Error::Protocol(_) => {
            ErrorData::invalid_params(format!("{e:#}"), None)
        }
        other => ErrorData::internal_error(format!("{other:#}"), None),
    };
    let json = |value: serde_json::Value| {
        let text = serde_json::to_string_pretty(&value).unwrap_or_else(|_| value.to_string());
        ReadResourceResult::new(vec![
            ResourceContents::text(text, uri).with_mime_type("application/json"),
        ])
    };
    match parts.as_slice() {
        [id, "status"] => {
            let status = crate::domain::project::status(app, id)
                .await
                .map_err(not_found)?;
            Ok(json(serde_json::to_value(status).unwrap_or_default()))
        }
        [id, "artifacts", kind] | [id, "artifacts", kind, _] => {
            let version = match parts.get(3) {
                Some(v) => Some(
                    v.strip_prefix('v')
                        .and_then(|n| n.parse::<i64>().ok())
                        .ok_or_else(|| {
                            ErrorData::invalid_params(
                                format!("`{v}` is not a version; use `v1`, `v2`, …"),
                                None,
                            )
                        })?,
                ),
                None => None,
            };
            let artifact = crate::protocol::artifact::get(app, id, kind, version)
                .await
                .map_err(not_found)?;
            Ok(json(serde_json::to_value(artifact).unwrap_or_default()))
        }
        [id, "documents", phase] => {
            let params = crate::protocol::document::RenderPhaseDocumentParams {
                project: (*id).to_string(),
                phase: (*phase).to_string(),
                write: false,
                path: None,
            };
            let doc = crate::protocol::document::render(app, &params)
                .await
                .map_err(not_found)?;
            Ok(ReadResourceResult::new(vec![
                ResourceContents::text(doc.markdown, uri).with_mime_type("text/markdown"),
            ]))
        }
        _ => Err(ErrorData::resource_not_found(
            format!(
                "unknown project resource `{uri}`; use {PROJECT_PREFIX}{{id}}/status, {PROJECT_PREFIX}{{id}}/artifacts/{{kind}} or {PROJECT_PREFIX}{{id}}/documents/{{phase}}"
            ),
            None,
        )),
    }
}
