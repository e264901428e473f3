//! `dana audit verify` checks the hash chain (and that state rows match it) and exits
//! non-zero naming the first bad row; `dana audit log PROJECT` prints a project's rows.

use std::path::Path;
use std::process::ExitCode;

use clap::{Args, Subcommand};

use super::{Format, json, out};
use crate::App;
use crate::error::Result;
use crate::protocol::audit;

/// Arguments of `dana audit`.
#[derive(Debug, Args)]
pub struct AuditArgs {
    #[command(subcommand)]
    command: AuditCommand,
}

#[derive(Debug, Subcommand)]
enum AuditCommand {
    /// Verify the whole chain; exit 1 naming the first bad row.
    Verify {
        /// A head hash printed by an earlier verify, which must still be in the chain.
        #[arg(long)]
        head: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// Print the audit rows of a project.
    Log {
        /// Project id.
        project: String,
        /// Output format.
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
}

pub(super) async fn run(workspace: &Path, args: AuditArgs) -> Result<ExitCode> {
    let app = App::open(workspace)?;
    match args.command {
        AuditCommand::Verify { head, format } => {
            let report = audit::verify(&app, head.as_deref()).await?;
            match format {
                Format::Json => out(&json(&serde_json::to_value(&report).unwrap_or_default()))?,
                _ => match &report.first_bad {
                    None => out(&format!(
                        "audit chain ok: {} rows, {} state rows bound to it, head {}",
                        report.rows, report.state_rows, report.head
                    ))?,
                    Some(bad) => {
                        eprintln!(
                            "audit chain BROKEN at row {}: {} row `{}`: {}",
                            bad.seq,
                            bad.table,
                            crate::sanitize::sanitize_line(&bad.id),
                            crate::sanitize::sanitize(&bad.reason)
                        );
                    }
                },
            }
            Ok(if report.ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        AuditCommand::Log { project, format } => {
            let rows = audit::log(&app, &project).await?;
            match format {
                // Each payload is the JSON the chain hashed: shown as JSON, not as a string.
                Format::Json => {
                    let mut value = serde_json::to_value(&rows).unwrap_or_default();
                    for row in value.as_array_mut().into_iter().flatten() {
                        if let Some(payload) = row.get("payload").and_then(|p| p.as_str())
                            && let Ok(parsed) = serde_json::from_str::<serde_json::Value>(payload)
                        {
                            row["payload"] = parsed;
                        }
                    }
                    out(&json(&value))?
                }
                _ => {
                    let mut s = format!(
                        "{:>6}  {:<24}  {:<9}  {:<24}  {:<20}  {:<12}  {}\n",
                        "SEQ", "AT", "PHASE", "EVENT", "ACTOR", "HASH", "PAYLOAD"
                    );
                    use crate::sanitize::sanitize_line as clean;
                    for r in &rows {
                        let payload: String = clean(&r.payload).chars().take(100).collect();
                        s.push_str(&format!(
                            "{:>6}  {:<24}  {:<9}  {:<24}  {:<20}  {:<12}  {}{}\n",
                            r.seq,
                            r.created_at,
                            clean(r.phase.as_deref().unwrap_or("-")),
                            clean(&r.event),
                            clean(&r.actor),
                            &r.hash[..12.min(r.hash.len())],
                            payload,
                            if r.payload.chars().count() > 100 {
                                "…"
                            } else {
                                ""
                            }
                        ));
                    }
                    out(&s)?;
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
