//! Phase documents (`phase1_data_discovery.md` … `phase5_data_operations.md`), rendered
//! from the recorded artifacts and gate decisions with the template `phases.yaml`
//! names. A document is a DRAFT until its gate is approved; then it carries the
//! decision record. Written files stay inside the workspace.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::artifact::ArtifactView;
use super::gate::{self, DecisionRecord, GateState};
use crate::App;
use crate::error::{Error, Result};

/// Params of `render_phase_document`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RenderPhaseDocumentParams {
    /// Project id.
    pub project: String,
    /// Phase: discover, model, build, optimize or govern.
    pub phase: String,
    /// Also write the document to a file in the workspace.
    #[serde(default)]
    pub write: bool,
    /// File path relative to the workspace (default `docs/dana/<project>/<file>`); must stay inside it.
    #[serde(default)]
    pub path: Option<String>,
}

/// Result of `render_phase_document`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct PhaseDocument {
    /// Project id.
    pub project: String,
    /// Phase id.
    pub phase: String,
    /// Document file name.
    pub file: String,
    /// `draft` until the gate is approved, then `approved`.
    pub status: String,
    /// Artifact kinds of this phase not recorded yet.
    pub missing: Vec<String>,
    /// Where it was written (relative to the workspace), with `write`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub written_to: Option<String>,
    /// The Markdown document.
    pub markdown: String,
}

/// Renders (and optionally writes) a phase document.
pub async fn render(app: &App, params: &RenderPhaseDocumentParams) -> Result<PhaseDocument> {
    let project_id = params.project.trim();
    let book = &app.playbooks.phases;
    let store = app.store().await?;
    let project = store.require_project(project_id).await?;
    let phase = gate::require_phase(book, params.phase.trim())?;
    let rows = store.protocol_rows(project_id).await?;
    let evals = gate::evaluate(book, &rows);
    let eval = evals.iter().find(|e| e.phase == phase.id).ok_or_else(|| {
        Error::not_found(
            "phase",
            &phase.id,
            book.phases.iter().map(|p| p.id.as_str()),
        )
    })?;

    let mut artifacts: BTreeMap<String, Value> = BTreeMap::new();
    let mut producers: BTreeMap<String, String> = BTreeMap::new();
    for a in book.phases.iter().flat_map(|p| p.artifacts.iter()) {
        artifacts.insert(a.kind.clone(), Value::Null);
        producers.insert(a.kind.clone(), a.tool.clone());
    }
    let mut counts: BTreeMap<&str, i64> = BTreeMap::new();
    let mut latest: BTreeMap<&str, &crate::store::protocol::ArtifactRow> = BTreeMap::new();
    for a in &rows.artifacts {
        *counts.entry(a.kind.as_str()).or_default() += 1;
        let slot = latest.entry(a.kind.as_str()).or_insert(a);
        if a.version > slot.version {
            *slot = a;
        }
    }
    for (kind, row) in latest {
        let view = ArtifactView::from(row);
        artifacts.insert(
            kind.to_string(),
            json!({
                "kind": view.kind,
                "version": view.version,
                "versions": counts.get(kind).copied().unwrap_or(1),
                "tool": view.tool,
                "recorded_at": view.recorded_at,
                "content": view.content,
                "rendered": view.rendered.as_deref().map(|r| nest_headings(r).trim_end().to_string()),
            }),
        );
    }
    let missing: Vec<String> = phase
        .artifacts
        .iter()
        .filter(|a| artifacts.get(&a.kind).is_none_or(Value::is_null))
        .map(|a| a.kind.clone())
        .collect();
    let decisions: Vec<DecisionRecord> = rows
        .decisions
        .iter()
        .filter(|d| d.phase == phase.id)
        .map(DecisionRecord::from)
        .collect();
    let approved = eval.state == GateState::Approved;
    let context = json!({
        "project": { "id": project.id, "name": project.name, "description": project.description },
        "phase": {
            "id": phase.id, "number": phase.number, "title": phase.title, "objective": phase.objective,
            "steps": phase.steps, "sections": phase.document.sections, "file": phase.document.file,
            "artifacts": phase.artifacts,
        },
        "gate": {
            "id": phase.gate.id,
            "state": eval.state.as_str(),
            "approved": approved,
            "approval": eval.approval,
            "criteria": eval.criteria,
            "decisions": decisions,
            "questions": eval.questions,
        },
        "artifacts": artifacts,
        "producers": producers,
        "draft": !approved,
        "generated_at": crate::store::now(),
    });
    let markdown = app.templates.render(&phase.document.template, &context)?;
    let written_to = if params.write {
        let rel = match &params.path {
            Some(p) => PathBuf::from(p),
            None => {
                let docs = app.workspace.docs_dir();
                let docs_rel = docs
                    .strip_prefix(&app.workspace.root)
                    .map(Path::to_path_buf)
                    .map_err(|_| {
                        Error::invalid(format!(
                            "docs_dir: `{}` is outside the workspace `{}`",
                            docs.display(),
                            app.workspace.root.display()
                        ))
                    })?;
                docs_rel.join(&project.id).join(&phase.document.file)
            }
        };
        Some(write_inside(&app.workspace.root, &rel, &markdown)?)
    } else {
        None
    };
    Ok(PhaseDocument {
        project: project.id,
        phase: phase.id.clone(),
        file: phase.document.file.clone(),
        status: if approved { "approved" } else { "draft" }.to_string(),
        missing,
        written_to,
        markdown,
    })
}

/// Writes `text` to `root/rel` atomically (temp file + rename), refusing any path that
/// leaves the workspace (`..`, absolute paths elsewhere, symlinked folders).
pub fn write_inside(root: &Path, rel: &Path, text: &str) -> Result<String> {
    let shown = rel.display().to_string();
    let rel = if rel.is_absolute() {
        rel.strip_prefix(root)
            .map_err(|_| Error::invalid(format!("path: `{shown}` is outside the workspace")))?
            .to_path_buf()
    } else {
        rel.to_path_buf()
    };
    if rel
        .components()
        .any(|c| !matches!(c, Component::Normal(_) | Component::CurDir))
        || rel.file_name().is_none()
    {
        return Err(Error::invalid(format!(
            "path: `{shown}` is outside the workspace or not a file path; give a path relative to the workspace without `..`"
        )));
    }
    let target = root.join(&rel);
    let parent = target
        .parent()
        .ok_or_else(|| Error::invalid(format!("path: `{shown}` has no folder")))?;
    std::fs::create_dir_all(parent).map_err(|e| Error::io("create", parent, e))?;
    let real_parent = parent
        .canonicalize()
        .map_err(|e| Error::io("resolve", parent, e))?;
    let real_root = root
        .canonicalize()
        .map_err(|e| Error::io("resolve", root, e))?;
    if !real_parent.starts_with(&real_root) {
        return Err(Error::invalid(format!(
            "path: `{shown}` resolves outside the workspace"
        )));
    }
    let file = real_parent.join(target.file_name().unwrap_or_default());
    if file.is_symlink() {
        return Err(Error::invalid(format!(
            "path: `{shown}` is a symbolic link; refusing to write through it"
        )));
    }
    let tmp = real_parent.join(format!(
        ".{}.tmp-{}",
        file.file_name().and_then(|f| f.to_str()).unwrap_or("doc"),
        std::process::id()
    ));
    std::fs::write(&tmp, text).map_err(|e| Error::io("write", &tmp, e))?;
    std::fs::rename(&tmp, &file).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        Error::io("rename", &file, e)
    })?;
    Ok(rel.display().to_string())
}

/// Pushes Markdown headings two levels down (outside code fences) so a tool's own
/// rendering nests under the document's `##` sections.
fn nest_headings(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len() + 64);
    let mut fenced = false;
    for line in markdown.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
        }
        if !fenced && line.starts_with('#') {
            out.push_str("##");
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_nest_outside_fences() {
        let md = "# Title\ntext\n```sql\n# not a heading\n```\n## Sub\n";
        assert_eq!(
            nest_headings(md),
            "### Title\ntext\n```sql\n# not a heading\n```\n#### Sub\n"
        );
    }

    #[test]
    fn paths_outside_the_workspace_are_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().canonicalize().expect("canonical");
        for bad in ["../x.md", "/etc/passwd", "a/../../x.md", ""] {
            let err = write_inside(&root, Path::new(bad), "x").expect_err(bad);
            assert!(err.to_string().starts_with("path:"), "{bad}: {err}");
        }
        let ok = write_inside(&root, Path::new("docs/dana/p/phase1.md"), "hello").expect("inside");
        assert_eq!(ok, "docs/dana/p/phase1.md");
        assert_eq!(
            std::fs::read_to_string(root.join(ok)).expect("read"),
            "hello"
        );
        let abs = root.join("docs/x.md");
        assert_eq!(
            write_inside(&root, &abs, "y").expect("absolute inside"),
            "docs/x.md"
        );
    }
}
