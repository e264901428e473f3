//! `prompts.yaml`: the MCP prompts, each a template rendered with the client's arguments.

use serde::{Deserialize, Serialize};

use super::Issues;

/// The whole `prompts.yaml`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PromptsBook {
    /// Schema version of the file.
    pub version: u32,
    /// Prompts in listing order.
    pub prompts: Vec<PromptDef>,
}

/// One prompt.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PromptDef {
    /// Prompt name (snake_case).
    pub name: String,
    /// Human title.
    pub title: String,
    /// What the prompt does.
    pub description: String,
    /// Template under `templates/`.
    pub template: String,
    /// Arguments (strings).
    #[serde(default)]
    pub arguments: Vec<PromptArg>,
}

/// A prompt argument.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PromptArg {
    /// Argument name.
    pub name: String,
    /// What to pass.
    pub description: String,
    /// Whether it must be given.
    #[serde(default)]
    pub required: bool,
}

impl PromptsBook {
    /// The prompt with this name.
    pub fn prompt(&self, name: &str) -> Option<&PromptDef> {
        self.prompts.iter().find(|p| p.name == name)
    }

    pub(super) fn validate(&self) -> Issues {
        let mut issues = Issues::default();
        issues.unique_ids("prompt", self.prompts.iter().map(|p| p.name.as_str()));
        for prompt in &self.prompts {
            issues.unique_ids("argument", prompt.arguments.iter().map(|a| a.name.as_str()));
        }
        issues
    }
}
