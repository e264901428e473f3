//! `dana check DATASOURCE FILE`: run quality checks from a YAML/JSON file (`checks:` from
//! generate_quality_checks and/or `tables:` specs). Exit code 1 when a check fails.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;

use super::profile::StderrBar;
use super::{Format, json, out};
use crate::App;
use crate::domain::quality::{RunQualityChecksParams, run};
use crate::error::{Error, Result};
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
    let text = match args.format {
        Format::Json => {
            json(&serde_json::to_value(&result).map_err(|e| Error::invalid(e.to_string()))?)
        }
        Format::Md | Format::Table => app.templates.render("reports/quality_run.md.j2", &result)?,
    };
    out(&text)?;
    Ok(if result.passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
