//! MCP resources: every playbook as `dana://playbooks/{name}`.

use rmcp::model::{ErrorData, ReadResourceResult, Resource, ResourceContents, ResourceTemplate};

use crate::App;

const PLAYBOOK_PREFIX: &str = "dana://playbooks/";

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
        ResourceTemplate::new(format!("{PLAYBOOK_PREFIX}{{name}}"), "playbook")
            .with_description("A methodology playbook (YAML)")
            .with_mime_type("application/yaml"),
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
    Err(ErrorData::resource_not_found(
        format!("unknown resource `{uri}`; dana serves {PLAYBOOK_PREFIX}{{name}}"),
        None,
    ))
}
