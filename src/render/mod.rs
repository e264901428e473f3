//! The minijinja environment: templates compiled into the binary (every file under
//! `templates/`), overridable file by file from the workspace's templates folder.
//! Undefined values are errors when printed, iterated or looked into, never empty strings;
//! `{% if x %}` on an absent value is false (tool results leave absent values out, see
//! `crate::server::answer`), so templates test optional values without ceremony.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use minijinja::{Environment, UndefinedBehavior};
use serde::Serialize;

use crate::error::{Error, Result};

include!(concat!(env!("OUT_DIR"), "/embedded_templates.rs"));

/// Renders embedded or overridden templates.
#[derive(Clone)]
pub struct Templates {
    env: Arc<Environment<'static>>,
    /// Every name that can be loaded: the embedded templates and the override folder's
    /// files, so that `exists` (asked for every dialect-specific statement) neither scans
    /// the embedded list nor touches the disk.
    names: Arc<HashSet<String>>,
}

impl std::fmt::Debug for Templates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Templates").finish_non_exhaustive()
    }
}

impl Templates {
    /// Embedded templates, each replaced by `<override_dir>/<name>` where that file exists.
    pub fn new(override_dir: Option<&Path>) -> Self {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::SemiStrict);
        env.set_trim_blocks(true);
        env.set_lstrip_blocks(true);
        env.set_keep_trailing_newline(true);
        let dir: Option<PathBuf> = override_dir.filter(|d| d.is_dir()).map(Path::to_path_buf);
        let mut names: HashSet<String> = EMBEDDED_TEMPLATES
            .iter()
            .map(|(name, _)| (*name).to_string())
            .collect();
        if let Some(dir) = &dir {
            override_names(dir, "", &mut names);
        }
        env.set_loader(move |name: &str| {
            if let Some(dir) = &dir {
                // Refuse anything that could climb out of the override folder.
                let safe = !name.split('/').any(|part| part == ".." || part.is_empty());
                let path = dir.join(name);
                if safe && path.is_file() {
                    return std::fs::read_to_string(&path).map(Some).map_err(|e| {
                        minijinja::Error::new(
                            minijinja::ErrorKind::InvalidOperation,
                            format!("cannot read `{}`: {e}", path.display()),
                        )
                    });
                }
            }
            Ok(embedded(name).map(str::to_string))
        });
        env.add_filter("yaml_str", yaml_str);
        env.add_filter("md_cell", md_cell);
        env.add_filter("clip", clip);
        Templates {
            env: Arc::new(env),
            names: Arc::new(names),
        }
    }

    /// Renders template `name` with `context`.
    pub fn render<S: Serialize>(&self, name: &str, context: S) -> Result<String> {
        let template = self
            .env
            .get_template(name)
            .map_err(|source| Error::Template {
                name: name.to_string(),
                source,
            })?;
        template.render(context).map_err(|source| Error::Template {
            name: name.to_string(),
            source,
        })
    }

    /// Whether a template with this name exists (embedded, or a file of the override
    /// folder when the templates were set up).
    pub fn exists(&self, name: &str) -> bool {
        self.names.contains(name)
    }
}

/// The files below the override folder, as template names (`ddl/postgres/x.sql.j2`).
fn override_names(dir: &Path, prefix: &str, names: &mut HashSet<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let Ok(file) = entry.file_name().into_string() else {
            continue;
        };
        let name = format!("{prefix}{file}");
        let path = entry.path();
        if path.is_dir() {
            override_names(&path, &format!("{name}/"), names);
        } else if path.is_file() {
            names.insert(name);
        }
    }
}

/// Workspace template overrides in `dir` (files named like an embedded template):
/// (path, SHA-256 of the file).
pub fn overridden(dir: &Path) -> Vec<(String, String)> {
    EMBEDDED_TEMPLATES
        .iter()
        .filter_map(|(name, _)| {
            let path = dir.join(name);
            let text = std::fs::read(&path).ok()?;
            Some((
                path.display().to_string(),
                hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&text)),
            ))
        })
        .collect()
}

/// The embedded text of a template.
pub fn embedded(name: &str) -> Option<&'static str> {
    EMBEDDED_TEMPLATES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, text)| *text)
}

/// Quotes a value as a YAML double-quoted string.
fn yaml_str(value: String) -> String {
    serde_json::to_string(&value).unwrap_or_else(|_| "\"\"".to_string())
}

/// Shortens a text to at most `max` characters, ending with `…` when cut.
fn clip(value: String, max: usize) -> String {
    if value.chars().count() <= max {
        return value;
    }
    let mut out: String = value.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// Makes a value safe inside a Markdown table cell.
fn md_cell(value: String) -> String {
    value.replace('|', "\\|").replace('\n', " ")
}
