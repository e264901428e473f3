//! `dana check DATASOURCE FILE`: run quality checks from a YAML/JSON file (`checks:` from
//! generate_quality_checks and/or `tables:` specs). Exit code 0 when no check fails,
//! 1 when one fails (or errors; a check the engine cannot express is reported as
//! unsupported, not a failure), 2 on bad input (unreadable file, unknown datasource).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;

use super::profile::StderrBar;
use super::table::aligned;
use super::{Format, json, out};
use crate::App;
use crate::domain::quality::{QualityRun, RunQualityChecksParams, run};
use crate::error::{Error, Result};
use crate::server::answer;
use crate::server::tool::decode;

/// Arguments of `dana check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Datasource name from dana.toml.
    pub datasource: String,
    /// YAML or JSON file with `checks:` and/or `tables:`; `-` for stdin.
    pub file: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value = "md")]
    pub format: Format,
}

pub(super) async fn run(workspace: &Path, args: CheckArgs) -> Result<ExitCode> {
    let app = App::open(workspace)?;
    let text = if args.file.as_os_str() == "-" {
        std::io::read_to_string(std::io::stdin()).map_err(|e| Error::io("read", "stdin", e))?
    } else {
        std::fs::read_to_string(&args.file).map_err(|e| Error::io("read", &args.file, e))?
    };
    let mut value: serde_json::Value = serde_norway::from_str(&text)
        .map_err(|e| Error::invalid(format!("`{}` is not valid YAML: {e}", args.file.display())))?;
    // Accept a whole generate_quality_checks result: keep only what the run reads.
    if let serde_json::Value::Object(map) = &mut value {
        map.retain(|k, _| matches!(k.as_str(), "checks" | "tables" | "sample_rows"));
        map.insert(
            "datasource".into(),
            serde_json::Value::String(args.datasource.clone()),
        );
    }
    let params: RunQualityChecksParams =
        decode(value).map_err(|e| Error::invalid(format!("`{}`: {e}", args.file.display())))?;
    let result = run::run(&app, &params, &StderrBar).await?;
    let answer = answer::structured(&result).map_err(|e| Error::invalid(e.to_string()))?;
    let text = match args.format {
        Format::Json => json(&answer),
        Format::Md => app.templates.render("reports/quality_run.md.j2", &answer)?,
        Format::Table => table(&result),
    };
    out(&text)?;
    Ok(if result.passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The run as aligned text: the verdict, then one line per check.
fn table(run: &QualityRun) -> String {
    let mut s = format!(
        "{}: {}/{} passed, {} failed, {} errors, {} unsupported; {} statements in {} ms\n\n",
        if run.passed { "PASSED" } else { "FAILED" },
        run.summary.passed,
        run.summary.total,
        run.summary.failed,
        run.summary.errors,
        run.summary.unsupported,
        run.statements,
        run.duration_ms
    );
    let rows: Vec<Vec<String>> = run
        .results
        .iter()
        .map(|r| {
            vec![
                r.id.clone(),
                r.severity.clone(),
                format!("{:?}", r.status).to_lowercase(),
                r.observed
                    .map_or_else(|| "-".to_string(), |o| o.to_string()),
                r.threshold.describe(),
            ]
        })
        .collect();
    s.push_str(&aligned(
        &["CHECK", "SEV", "STATUS", "OBSERVED", "PASS IF"],
        &rows,
    ));
    for r in run.results.iter().filter(|r| r.error.is_some()) {
        s.push_str(&format!(
            "\n{}: {}",
            r.id,
            r.error.as_deref().unwrap_or_default()
        ));
    }
    s
}
