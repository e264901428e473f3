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
        Some(write_document(&app.workspace, &rel, &markdown)?)
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

/// The line dana puts at the end of every document it writes. A file without it is
/// not dana's to overwrite (it may be the human's, or one of dana's own files an agent
/// pointed the path at).
pub const DOCUMENT_MARKER: &str =
    "<!-- written by dana (render_phase_document); regenerate it rather than edit it -->";

/// Writes a phase document: only a `.md` file, only under the configured documents
/// folder (`docs_dir`, default `docs/dana`), never over dana's own files (`.dana/**`,
/// `dana.toml`, the template and playbook folders, any `*.db*`), never through a symbolic
/// link, and never over a file dana did not write (see [`DOCUMENT_MARKER`]). `rel` is
/// relative to the workspace (an absolute path must lie inside it). Returns the path
/// written, relative to the workspace.
pub fn write_document(ws: &crate::config::Workspace, rel: &Path, text: &str) -> Result<String> {
    let root = ws
        .root
        .canonicalize()
        .map_err(|e| Error::io("resolve", &ws.root, e))?;
    // The documents folder: `docs_dir` when configured, else `docs/` (the default
    // `docs/dana/<project>/` lies inside it).
    let docs_root = match &ws.config.docs_dir {
        Some(_) => ws.docs_dir(),
        None => ws.root.join("docs"),
    };
    let docs = relative_inside(&root, &docs_root, "docs_dir")?;
    let protected = [
        relative_inside(&root, &ws.templates_dir(), "templates_dir").ok(),
        relative_inside(&root, &ws.playbooks_dir(), "playbooks_dir").ok(),
        Some(PathBuf::from(".dana")),
        Some(PathBuf::from("templates")),
        Some(PathBuf::from("playbooks")),
    ];
    if protected
        .iter()
        .flatten()
        .any(|p| docs.starts_with(p) || p.starts_with(&docs))
    {
        return Err(Error::invalid(format!(
            "docs_dir: `{}` overlaps dana's own files (`.dana`, templates, playbooks); configure a documents folder of its own",
            docs.display()
        )));
    }
    let rel = normalized(&root, rel)?;
    let shown = rel.display().to_string();
    if rel.extension().and_then(|e| e.to_str()) != Some("md") {
        return Err(Error::invalid(format!(
            "path: `{shown}` is not a Markdown file; a phase document is written as `*.md`"
        )));
    }
    if let Some(why) = dana_owned(&rel, &protected) {
        return Err(Error::invalid(format!(
            "path: `{shown}` is {why}; documents never overwrite dana's own files"
        )));
    }
    if !rel.starts_with(&docs) {
        return Err(Error::invalid(format!(
            "path: `{shown}` is outside the documents folder `{}` (docs_dir in dana.toml); give a path under it",
            docs.display()
        )));
    }
    // Create the folders one by one from the workspace root, refusing any symbolic link on
    // the way: nothing is created outside the workspace, even for a moment.
    let parent_rel = rel.parent().unwrap_or(Path::new(""));
    let mut dir = root.clone();
    for part in parent_rel.components() {
        dir.push(part);
        match std::fs::symlink_metadata(&dir) {
            Ok(meta) if meta.file_type().is_symlink() => {
                return Err(Error::invalid(format!(
                    "path: `{shown}` goes through the symbolic link `{}`; refusing to write through it",
                    dir.strip_prefix(&root).unwrap_or(&dir).display()
                )));
            }
            Ok(meta) if meta.is_dir() => {}
            Ok(_) => {
                return Err(Error::invalid(format!(
                    "path: `{}` is a file, not a folder",
                    dir.strip_prefix(&root).unwrap_or(&dir).display()
                )));
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                std::fs::create_dir(&dir).map_err(|e| Error::io("create", &dir, e))?;
            }
            Err(e) => return Err(Error::io("inspect", &dir, e)),
        }
    }
    let real_parent = dir
        .canonicalize()
        .map_err(|e| Error::io("resolve", &dir, e))?;
    if !real_parent.starts_with(root.join(&docs)) {
        return Err(Error::invalid(format!(
            "path: `{shown}` resolves outside the documents folder"
        )));
    }
    let file = real_parent.join(rel.file_name().unwrap_or_default());
    match std::fs::symlink_metadata(&file) {
        Ok(meta) if meta.file_type().is_symlink() => {
            return Err(Error::invalid(format!(
                "path: `{shown}` is a symbolic link; refusing to write through it"
            )));
        }
        Ok(meta) if !meta.is_file() => {
            return Err(Error::invalid(format!(
                "path: `{shown}` is not a regular file"
            )));
        }
        Ok(_) => {
            let existing = std::fs::read(&file).map_err(|e| Error::io("read", &file, e))?;
            let ours = String::from_utf8_lossy(&existing)
                .lines()
                .any(|l| l.trim_end() == DOCUMENT_MARKER);
            if !ours {
                return Err(Error::invalid(format!(
                    "path: `{shown}` exists and was not written by dana; refusing to overwrite it (move it away or choose another path)"
                )));
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(Error::io("inspect", &file, e)),
    }
    let mut body = text.trim_end().to_string();
    body.push_str("\n\n");
    body.push_str(DOCUMENT_MARKER);
    body.push('\n');
    let mut nonce = [0u8; 6];
    getrandom::fill(&mut nonce)
        .map_err(|e| Error::invalid(format!("no randomness available: {e}")))?;
    let tmp = real_parent.join(format!(".dana-doc-{}.tmp", hex::encode(nonce)));
    {
        use std::io::Write as _;
        // create_new: fails rather than follow anything already at that name.
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .map_err(|e| Error::io("create", &tmp, e))?;
        f.write_all(body.as_bytes())
            .and_then(|()| f.sync_all())
            .map_err(|e| {
                let _ = std::fs::remove_file(&tmp);
                Error::io("write", &tmp, e)
            })?;
    }
    std::fs::rename(&tmp, &file).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        Error::io("rename", &file, e)
    })?;
    Ok(rel.display().to_string())
}

/// `path` relative to the (canonical) workspace root, without `.`, `..` or a prefix;
/// `what` names the setting in errors.
fn relative_inside(root: &Path, path: &Path, what: &str) -> Result<PathBuf> {
    let rel = match path.strip_prefix(root) {
        Ok(r) => r.to_path_buf(),
        // The configured folder may exist under a symlinked spelling of the root.
        Err(_) => match path.canonicalize() {
            Ok(real) => real
                .strip_prefix(root)
                .map(Path::to_path_buf)
                .map_err(|_| {
                    Error::invalid(format!(
                        "{what}: `{}` is outside the workspace `{}`",
                        path.display(),
                        root.display()
                    ))
                })?,
            Err(_) => {
                return Err(Error::invalid(format!(
                    "{what}: `{}` is outside the workspace `{}`",
                    path.display(),
                    root.display()
                )));
            }
        },
    };
    if rel
        .components()
        .any(|c| !matches!(c, Component::Normal(_) | Component::CurDir))
    {
        return Err(Error::invalid(format!(
            "{what}: `{}` leaves the workspace",
            path.display()
        )));
    }
    Ok(rel.components().collect())
}

/// A user-given path, relative to the workspace root, normalized (no `.`); refuses `..`,
/// roots and prefixes, and absolute paths outside the workspace.
fn normalized(root: &Path, rel: &Path) -> Result<PathBuf> {
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
    {
        return Err(Error::invalid(format!(
            "path: `{shown}` is outside the workspace or not a file path; give a path relative to the workspace without `..`"
        )));
    }
    let clean: PathBuf = rel.components().collect();
    if clean.file_name().is_none() || clean.as_os_str().is_empty() {
        return Err(Error::invalid(format!(
            "path: `{shown}` is not a file path"
        )));
    }
    Ok(clean)
}

/// Why a workspace-relative path belongs to dana itself, if it does.
fn dana_owned(rel: &Path, protected: &[Option<PathBuf>]) -> Option<&'static str> {
    let name = rel.file_name()?.to_string_lossy().to_ascii_lowercase();
    if rel.components().any(|c| c.as_os_str() == ".dana") {
        return Some("inside `.dana/`, dana's state folder");
    }
    if rel == Path::new(crate::config::CONFIG_FILE) || name == crate::config::CONFIG_FILE {
        return Some("dana's configuration");
    }
    if name.contains(".db") {
        return Some("a database file");
    }
    if protected.iter().flatten().any(|p| rel.starts_with(p)) {
        return Some("inside a template or playbook folder");
    }
    None
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
    fn paths_outside_the_documents_folder_are_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let ws = crate::config::Workspace::open(dir.path()).expect("workspace");
        for bad in [
            "../x.md",
            "/etc/passwd",
            "a/../../x.md",
            "",
            "docs/dana/x.txt",
            "notes.md",
        ] {
            let err = write_document(&ws, Path::new(bad), "x").expect_err(bad);
            assert!(err.to_string().starts_with("path:"), "{bad}: {err}");
        }
        let ok = write_document(&ws, Path::new("docs/dana/p/phase1.md"), "hello").expect("inside");
        assert_eq!(ok, "docs/dana/p/phase1.md");
        let written = std::fs::read_to_string(ws.root.join(&ok)).expect("read");
        assert!(written.starts_with("hello\n") && written.contains(DOCUMENT_MARKER));
        let abs = ws.root.join("docs/dana/x.md");
        assert_eq!(
            write_document(&ws, &abs, "y").expect("absolute inside"),
            "docs/dana/x.md"
        );
        // Rewriting its own file is fine; a file without the marker is not dana's.
        write_document(&ws, Path::new("docs/dana/x.md"), "z").expect("rewrite");
        std::fs::write(ws.root.join("docs/dana/mine.md"), "human notes").expect("write");
        let err = write_document(&ws, Path::new("docs/dana/mine.md"), "z").expect_err("not ours");
        assert!(err.to_string().contains("not written by dana"), "{err}");
    }
}
