//! MCP prompts, defined in the `prompts` playbook and rendered from templates.

use std::collections::BTreeMap;

use rmcp::model::{ErrorData, GetPromptRequestParams, GetPromptResult, Prompt, PromptArgument, PromptMessage, Role};

use crate::App;

pub(super) fn list(app: &App) -> Vec<Prompt> {
    app.playbooks
        .prompts
        .prompts
        .iter()
        .map(|p| {
            let args = p
                .arguments
                .iter()
                .map(|a| {
                    let mut arg = PromptArgument::new(a.name.clone()).with_description(a.description.clone());
                    arg = arg.with_required(a.required);
                    arg
                })
                .collect();
            let mut prompt = Prompt::new(p.name.clone(), Some(p.description.clone()), Some(args));
            prompt.title = Some(p.title.clone());
            prompt
        })
        .collect()
}

pub(super) fn get(app: &App, request: &GetPromptRequestParams) -> Result<GetPromptResult, ErrorData> {
    let books = &app.playbooks;
    let Some(def) = books.prompts.prompt(&request.name) else {
        let names: Vec<&str> = books.prompts.prompts.iter().map(|p| p.name.as_str()).collect();
        return Err(ErrorData::invalid_params(
            format!("unknown prompt `{}`; valid: {}", request.name, names.join(", ")),
            None,
        ));
    };
    let given: BTreeMap<String, String> = request
        .arguments
        .clone()
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| {
            let text = match v {
                serde_json::Value::String(s) => s,
                other => other.to_string(),
            };
            (k, text)
        })
        .collect();
    if let Some(unknown) = given.keys().find(|k| !def.arguments.iter().any(|a| &a.name == *k)) {
        return Err(ErrorData::invalid_params(
            format!("prompt `{}` has no argument `{unknown}`", def.name),
            None,
        ));
    }
    let mut context = serde_json::Map::new();
    for arg in &def.arguments {
        match given.get(&arg.name).filter(|v| !v.trim().is_empty()) {
            Some(v) => {
                context.insert(arg.name.clone(), serde_json::Value::String(v.clone()));
            }
            None if arg.required => {
                return Err(ErrorData::invalid_params(
                    format!("prompt `{}` needs argument `{}` ({})", def.name, arg.name, arg.description),
                    None,
                ));
            }
            None => {
                context.insert(arg.name.clone(), serde_json::Value::Null);
            }
        }
    }
    let playbooks = serde_json::json!({
        "rubric": books.rubric,
        "phases": books.phases,
    });
    if let serde_json::Value::Object(map) = playbooks {
        context.extend(map);
    }
    let text = app
        .templates
        .render(&def.template, &context)
        .map_err(|e| ErrorData::internal_error(format!("{e:#}"), None))?;
    Ok(GetPromptResult::new(vec![PromptMessage::new_text(Role::User, text)]).with_description(def.description.clone()))
}
