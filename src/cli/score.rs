//! `dana score FILE.yaml`: the rubric from the shell, same input as the tool.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;

use super::{Format, json, out};
use crate::App;
use crate::domain::scoring::{ScoreInfrastructureParams, ScoreReport};
use crate::error::{Error, Result};
use crate::server::DanaServer;
use crate::server::tool::decode;

/// Arguments of `dana score`.
#[derive(Debug, Args)]
pub struct ScoreArgs {
    /// YAML (or JSON) file with `dimensions:` (points or evidence per dimension); `-` for stdin.
    pub file: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
    /// Record the score in this project (as an artifact, like the tool) and show the change since the previous one.
    #[arg(long)]
    pub project: Option<String>,
}

pub(super) async fn run(workspace: &Path, args: ScoreArgs) -> Result<ExitCode> {
    let app = App::open(workspace)?;
    let text = if args.file.as_os_str() == "-" {
        std::io::read_to_string(std::io::stdin()).map_err(|e| Error::io("read", "stdin", e))?
    } else {
        std::fs::read_to_string(&args.file).map_err(|e| Error::io("read", &args.file, e))?
    };
    let mut value: serde_json::Value = serde_norway::from_str(&text)
        .map_err(|e| Error::invalid(format!("`{}` is not valid YAML: {e}", args.file.display())))?;
    if let (Some(project), Some(object)) = (&args.project, value.as_object_mut()) {
        object.insert("project".into(), serde_json::Value::String(project.clone()));
    }
    // Decoded here first so that a bad file is named in the error.
    let _: ScoreInfrastructureParams = decode(value.clone())
        .map_err(|e| Error::invalid(format!("`{}`: {e}", args.file.display())))?;
    // The server's own dispatch: with a project the score is gate-checked and recorded
    // as an artifact, exactly as over MCP.
    let server = DanaServer::new(app.clone(), None)?;
    let outcome = server.call_detached("score_infrastructure", value).await?;
    let report: ScoreReport = serde_json::from_value(outcome.structured)
        .map_err(|e| Error::invalid(format!("score result: {e}")))?;
    let text = match args.format {
        Format::Json => {
            json(&serde_json::to_value(&report).map_err(|e| Error::invalid(e.to_string()))?)
        }
        Format::Md => app.templates.render("reports/score.md.j2", &report)?,
        Format::Table => table(&report),
    };
    out(&text)?;
    Ok(ExitCode::SUCCESS)
}

/// The report as aligned text.
pub fn table(report: &ScoreReport) -> String {
    let mut s = String::new();
    s.push_str(&format!(
        "Infrastructure score: {}/100  [{} {}]\n{}\n\n",
        report.total, report.band.id, report.band.label, report.band.guidance
    ));
    s.push_str(&format!(
        "{:<22} {:>6}  {:<12} {}\n",
        "DIMENSION", "POINTS", "LEVEL", "WHY"
    ));
    for d in &report.dimensions {
        let points = format!("{}/{}", d.points, d.weight);
        let why = d
            .rationale
            .split_once(": ")
            .map_or(d.rationale.as_str(), |(_, rest)| rest);
        s.push_str(&format!(
            "{:<22} {:>6}  {:<12} {}\n",
            d.title, points, d.criterion, why
        ));
    }
    s.push_str(&format!(
        "{:<22} {:>6}\n",
        "TOTAL",
        format!("{}/100", report.total)
    ));
    if let Some(change) = &report.change {
        s.push_str(&format!(
            "\nSince {}: {:+} (was {})\n",
            change.previous_at, change.delta, change.previous_total
        ));
        for d in &change.dimensions {
            s.push_str(&format!(
                "  {:<20} {} -> {} ({:+})\n",
                d.id, d.previous, d.current, d.delta
            ));
        }
    }
    if !report.improvements.is_empty() {
        s.push_str("\nImprovements, most points first:\n");
        for (i, imp) in report.improvements.iter().enumerate() {
            let focus = if imp.band_focus { " [band focus]" } else { "" };
            s.push_str(&format!(
                "{:>2}. +{:<3} {:<16} {} -> {} ({}){focus}: {}\n",
                i + 1,
                imp.gain,
                imp.dimension,
                imp.from,
                imp.to,
                imp.criterion,
                imp.action
            ));
            for need in &imp.requires {
                s.push_str(&format!("        needs {need}\n"));
            }
        }
    }
    s
}
