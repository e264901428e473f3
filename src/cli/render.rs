//! `dana render PROJECT PHASE`: the phase document, printed or written into the workspace.

use std::path::Path;
use std::process::ExitCode;

use clap::Args;

use super::out;
use crate::App;
use crate::error::Result;
use crate::protocol::document::{self, RenderPhaseDocumentParams};

/// Arguments of `dana render`.
#[derive(Debug, Args)]
pub struct RenderArgs {
    /// Project id.
    pub project: String,
    /// Phase: discover, model, build, optimize or govern.
    pub phase: String,
    /// Write the document into the workspace (docs/dana/<project>/ by default) instead of printing it.
    #[arg(long)]
    pub write: bool,
    /// File path relative to the workspace (with --write).
    #[arg(long, requires = "write")]
    pub path: Option<String>,
}

pub(super) async fn run(workspace: &Path, args: RenderArgs) -> Result<ExitCode> {
    let app = App::open(workspace)?;
    let params = RenderPhaseDocumentParams {
        project: args.project,
        phase: args.phase,
        write: args.write,
        path: args.path,
    };
    let doc = document::render(&app, &params).await?;
    match &doc.written_to {
        Some(path) => out(&format!("wrote {path} ({})", doc.status))?,
        None => out(&doc.markdown)?,
    }
    Ok(ExitCode::SUCCESS)
}
