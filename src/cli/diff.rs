//! `dana diff OLD NEW`: the breaking-change check as a CI gate. Each side is a contract
//! or table spec file (YAML/JSON, `-` for stdin) or `live:DATASOURCE[/TABLE]`. Exit code
//! 0 when the gate passes, 1 when it fails (by default: the policy refuses the change),
//! 2 on bad input.

use std::path::Path;
use std::process::ExitCode;

use clap::{Args, ValueEnum};

use super::{Format, json, out};
use crate::App;
use crate::domain::governance::diff::{Decision, Overall, SchemaDiff};
use crate::domain::governance::{self, DiffSchemasParams, TableSchema, TableSource};
use crate::domain::quality::TableSpec;
use crate::error::{Error, Result};
use crate::server::tool::decode;

/// When `dana diff` exits non-zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    /// Only when the policy refuses the change.
    Refused,
    /// On any breaking change, even one the policy allows.
    Breaking,
    /// On any breaking change or change that needs review.
    Review,
}

/// Arguments of `dana diff`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// Old schema: a contract or table spec file (YAML/JSON), `-` for stdin, or `live:DATASOURCE[/TABLE]`.
    pub old: String,
    /// New schema, same forms.
    pub new: String,
    /// Only this table (of a contract or datasource).
    #[arg(long)]
    pub table: Option<String>,
    /// Policy instead of the old contract's: notify-30-days, version-bump, never-break.
    #[arg(long)]
    pub policy: Option<String>,
    /// When to exit 1.
    #[arg(long, value_enum, default_value = "refused")]
    pub fail_on: FailOn,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
}

/// Turns one command-line side into a source.
pub fn side(arg: &str, table: Option<&str>, field: &str) -> Result<TableSource> {
    if let Some(rest) = arg.strip_prefix("live:") {
        let (ds, t) = match rest.split_once('/') {
            Some((ds, t)) => (ds, Some(t.to_string())),
            None => (rest, table.map(str::to_string)),
        };
        if ds.is_empty() {
            return Err(Error::invalid(format!(
                "{field}: `{arg}` names no datasource (use `live:DATASOURCE` or `live:DATASOURCE/TABLE`)"
            )));
        }
        return Ok(TableSource {
            datasource: Some(ds.to_string()),
            table: t,
            ..TableSource::default()
        });
    }
    let text = if arg == "-" {
        std::io::read_to_string(std::io::stdin()).map_err(|e| Error::io("read", "stdin", e))?
    } else {
        std::fs::read_to_string(arg).map_err(|e| Error::io("read", arg, e))?
    };
    let value: serde_json::Value = serde_norway::from_str(&text)
        .map_err(|e| Error::invalid(format!("{field}: `{arg}` is not valid YAML or JSON: {e}")))?;
    let is_contract = value.get("kind").is_some() || value.get("apiVersion").is_some();
    if is_contract {
        return Ok(TableSource {
            contract: Some(text),
            table: table.map(str::to_string),
            ..TableSource::default()
        });
    }
    if value.get("columns").is_none() {
        return Err(Error::invalid(format!(
            "{field}: `{arg}` is neither an ODCS contract (`kind: DataContract`) nor a table spec (`name`, `columns`)"
        )));
    }
    match decode::<TableSchema>(value.clone()) {
        Ok(spec) => Ok(TableSource {
            spec: Some(spec),
            ..TableSource::default()
        }),
        Err(schema_err) => match decode::<TableSpec>(value.clone()) {
            Ok(_) => Ok(TableSource {
                table_spec: Some(value),
                ..TableSource::default()
            }),
            Err(_) => Err(Error::invalid(format!("{field}: `{arg}`: {schema_err}"))),
        },
    }
}

/// Whether the gate fails for this diff.
pub fn fails(diff: &SchemaDiff, fail_on: FailOn) -> bool {
    match fail_on {
        FailOn::Refused => diff.policy.refused,
        FailOn::Breaking => diff.policy.refused || diff.verdict == Overall::Breaking,
        FailOn::Review => {
            diff.policy.refused || matches!(diff.verdict, Overall::Breaking | Overall::NeedsReview)
        }
    }
}

pub(super) async fn run(workspace: &Path, args: DiffArgs) -> Result<ExitCode> {
    let app = App::open(workspace)?;
    let params = DiffSchemasParams {
        old: side(&args.old, args.table.as_deref(), "OLD")?,
        new: side(&args.new, args.table.as_deref(), "NEW")?,
        policy: args.policy.clone(),
        project: None,
    };
    let diff = governance::diff_schemas(&app, &params).await?;
    let text = match args.format {
        Format::Json => {
            json(&serde_json::to_value(&diff).map_err(|e| Error::invalid(e.to_string()))?)
        }
        Format::Md => app.templates.render("governance/diff.md.j2", &diff)?,
        Format::Table => table(&diff),
    };
    out(&text)?;
    Ok(if fails(&diff, args.fail_on) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// The diff as aligned text.
pub fn table(diff: &SchemaDiff) -> String {
    let mut s = format!("{} -> {}\n", diff.old.label, diff.new.label);
    let verdict = serde_json::to_value(diff.verdict)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    s.push_str(&format!(
        "verdict: {verdict} ({} breaking, {} to review, {} non-breaking)\n",
        diff.counts.breaking, diff.counts.needs_review, diff.counts.non_breaking
    ));
    if !diff.changes.is_empty() {
        s.push('\n');
        s.push_str(&format!("{:<13} {:<24} {}\n", "VERDICT", "RULE", "CHANGE"));
        for c in &diff.changes {
            let guess = if c.guess {
                format!(" [guess {:.2}]", c.confidence.unwrap_or_default())
            } else {
                String::new()
            };
            s.push_str(&format!(
                "{:<13} {:<24} {}: {}{}\n",
                c.verdict.as_str(),
                c.rule,
                c.table,
                c.summary,
                guess
            ));
        }
    }
    let decision = match diff.policy.decision {
        Decision::Allowed => "allowed",
        Decision::AllowedAfterReview => "allowed after review",
        Decision::AllowedAfterNotice => "allowed after notice",
        Decision::Refused => "REFUSED",
    };
    s.push_str(&format!(
        "\npolicy {} ({}, from {}): {decision}\n",
        diff.policy.policy, diff.policy.code, diff.policy.source
    ));
    for a in &diff.policy.required_actions {
        s.push_str(&format!("  - {a}\n"));
    }
    s
}
