//! `dana profile DATASOURCE`: profile a datasource from the shell, progress on stderr.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use clap::Args;

use super::table::aligned;
use super::{Format, json, out};
use crate::App;
use crate::domain::quality::{DatasourceProfile, ProfileDatasourceParams, Progress, profile};
use crate::error::{Error, Result};
use crate::server::answer;

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
        baseline: None,
    };
    let result = profile::profile(&app, &params, &StderrBar).await?;
    let answer = answer::structured(&result).map_err(|e| Error::invalid(e.to_string()))?;
    let text = match args.format {
        Format::Json => json(&answer),
        Format::Md => app.templates.render("reports/profile.md.j2", &answer)?,
        Format::Table => table(&result),
    };
    out(&text)?;
    Ok(ExitCode::SUCCESS)
}

/// The profile as aligned text: one line per table, then the columns of each.
fn table(profile: &DatasourceProfile) -> String {
    let mut s = format!(
        "{} ({}, schema {}): {} tables in {} ms\n\n",
        profile.datasource,
        profile.engine,
        profile.schema,
        profile.tables.len(),
        profile.duration_ms
    );
    let rows: Vec<Vec<String>> = profile
        .tables
        .iter()
        .map(|t| {
            vec![
                t.table.name.clone(),
                t.row_count.to_string(),
                t.columns.len().to_string(),
                t.anomalies.len().to_string(),
            ]
        })
        .collect();
    s.push_str(&aligned(&["TABLE", "ROWS", "COLUMNS", "ANOMALIES"], &rows));
    for t in &profile.tables {
        s.push_str(&format!("\n{} ({} rows)\n", t.table.name, t.row_count));
        let rows: Vec<Vec<String>> = t
            .columns
            .iter()
            .map(|c| {
                vec![
                    c.name.clone(),
                    c.data_type.clone(),
                    format!("{:.1}%", c.null_ratio * 100.0),
                    c.distinct_count.map_or_else(
                        || "-".to_string(),
                        |d| format!("{d}{}", if c.distinct_estimated { "~" } else { "" }),
                    ),
                    c.min.clone().unwrap_or_else(|| "-".to_string()),
                    c.max.clone().unwrap_or_else(|| "-".to_string()),
                ]
            })
            .collect();
        s.push_str(&aligned(
            &["COLUMN", "TYPE", "NULLS", "DISTINCT", "MIN", "MAX"],
            &rows,
        ));
        for a in &t.anomalies {
            s.push_str(&format!("  {} [{}] {}\n", a.id, a.severity, a.message));
        }
    }
    s
}
