//! `dana demo`: what dana does, on embedded defaults, in a folder it creates and names.
//! Nothing is written outside that folder.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::out;
use super::score::table;
use crate::App;
use crate::domain::scoring::ScoreReport;
use crate::error::{Error, Result};
use crate::server::DanaServer;
use crate::store::Store;

/// Arguments of `dana demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Folder to create for the demo workspace (must not exist yet).
    #[arg(long, default_value = "dana-demo")]
    pub dir: PathBuf,
}

pub(super) async fn run(args: DemoArgs) -> Result<ExitCode> {
    if args.dir.exists() {
        return Err(Error::invalid(format!(
            "--dir: `{}` already exists; pick a new folder (the demo never writes into an existing one)",
            args.dir.display()
        )));
    }
    std::fs::create_dir_all(&args.dir).map_err(|e| Error::io("create", &args.dir, e))?;
    let dir = args.dir.canonicalize().map_err(|e| Error::io("open", &args.dir, e))?;
    let state = dir.join(".dana");
    std::fs::create_dir_all(&state).map_err(|e| Error::io("create", &state, e))?;
    // The demo always uses its own SQLite store, whatever DANA_DATABASE_URL says.
    let store = Store::open_sqlite(&state.join("state.db")).await?;
    let app = App::with_store(&dir, store)?;
    let server = DanaServer::new(app, None)?;

    out(&format!("dana demo — workspace {}\n", dir.display()))?;
    step(1, "start a project")?;
    let project = server
        .call_detached(
            "start_project",
            serde_json::json!({"name": "Retail analytics", "id": "retail", "description": "Demo project"}),
        )
        .await?;
    let phases: Vec<String> = project.structured["phases"]
        .as_array()
        .map(|a| a.iter().filter_map(|p| p["id"].as_str().map(str::to_string)).collect())
        .unwrap_or_default();
    out(&format!("   project `retail` created; phases: {}\n", phases.join(" → ")))?;

    step(2, "score the current infrastructure from evidence (rubric 0-100)")?;
    let before = score(&server, "demo/score_before.yaml").await?;
    out(&indent(&table(&before)))?;

    step(3, "score again after a quarter of improvements: dana reports the change")?;
    let after = score(&server, "demo/score_after.yaml").await?;
    out(&indent(&table(&after)))?;

    out(&format!(
        "Done. Everything the demo wrote is in {}.\nNext: connect an MCP client to `dana serve` (see README), or run `dana score FILE.yaml`.\n",
        dir.display()
    ))?;
    Ok(ExitCode::SUCCESS)
}

async fn score(server: &DanaServer, sample: &str) -> Result<ScoreReport> {
    let text = crate::render::embedded(sample)
        .ok_or_else(|| Error::invalid(format!("embedded sample `{sample}` missing")))?;
    let mut args: serde_json::Value =
        serde_norway::from_str(text).map_err(|e| Error::invalid(format!("{sample}: {e}")))?;
    args["project"] = serde_json::Value::String("retail".into());
    let outcome = server.call_detached("score_infrastructure", args).await?;
    serde_json::from_value(outcome.structured).map_err(|e| Error::invalid(format!("score result: {e}")))
}

fn step(n: u32, what: &str) -> Result<()> {
    out(&format!("\n[{n}] {what}"))
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("   {l}\n")).collect()
}
