//! `dana profile DATASOURCE`: profile a datasource from the shell, progress on stderr.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use clap::Args;

use super::{Format, json, out};
use crate::App;
use crate::domain::quality::{ProfileDatasourceParams, Progress, profile};
use crate::error::{Error, Result};

/// Arguments of `dana profile`.
#[derive(Debug, Args)]
pub struct ProfileArgs {
    /// Datasource name from dana.toml.
    pub datasource: String,
    /// Tables to profile (default: all).
    #[arg(long = "table", value_name = "TABLE")]
    pub tables: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "md")]
    pub format: Format,
}

/// A one-line progress bar on stderr.
pub(super) struct StderrBar;

impl Progress for StderrBar {
    async fn report(&self, done: usize, total: usize, message: String) {
        let width = 24;
        let filled = (done * width)
            .checked_div(total)
            .unwrap_or(width)
            .min(width);
        let mut err = std::io::stderr().lock();
        let _ = write!(
            err,
            "\r[{}{}] {done}/{total} {message:<48}",
            "#".repeat(filled),
            ".".repeat(width - filled)
        );
        if done >= total {
            let _ = writeln!(err);
        }
        let _ = err.flush();
    }
    fn cancelled(&self) -> bool {
        false
    }
}

pub(super) async fn run(workspace: &Path, args: ProfileArgs) -> Result<ExitCode> {
    let app = App::open(workspace)?;
    let params = ProfileDatasourceParams {
        datasource: args.datasource,
        tables: (!args.tables.is_empty()).then_some(args.tables),
        project: None,
    };
    let result = profile::profile(&app, &params, &StderrBar).await?;
    let text = match args.format {
        Format::Json => {
            json(&serde_json::to_value(&result).map_err(|e| Error::invalid(e.to_string()))?)
        }
        Format::Md | Format::Table => app.templates.render("reports/profile.md.j2", &result)?,
    };
    out(&text)?;
    Ok(ExitCode::SUCCESS)
}
