//! `dana reviewer add NAME [--endorsed-by EXISTING]` registers a reviewer: the passphrase
//! is typed at the terminal (twice), an ed25519 key is derived from it and its public half
//! stored, bound to the audit chain. `dana reviewer list` shows who is registered.

use std::path::Path;
use std::process::ExitCode;

use clap::{Args, Subcommand};

use super::out;
use crate::App;
use crate::error::{Error, Result};
use crate::protocol::reviewer;
use crate::sanitize::sanitize_line as clean;

/// Arguments of `dana reviewer`.
#[derive(Debug, Args)]
pub struct ReviewerArgs {
    #[command(subcommand)]
    command: ReviewerCommand,
}

#[derive(Debug, Subcommand)]
enum ReviewerCommand {
    /// Register a reviewer; from then on every gate decision needs a reviewer's passphrase.
    Add {
        /// The reviewer's name (what `dana gate approve --reviewer` takes).
        name: String,
        /// An existing reviewer who vouches for the new one (required once one exists);
        /// their passphrase is asked too.
        #[arg(long, value_name = "EXISTING")]
        endorsed_by: Option<String>,
    },
    /// List registered reviewers.
    List,
}

pub(super) async fn run(workspace: &Path, args: ReviewerArgs) -> Result<ExitCode> {
    let app = App::open(workspace)?;
    match args.command {
        ReviewerCommand::Add { name, endorsed_by } => {
            let (pass, typed) = reviewer::read_passphrase(&format!(
                "New passphrase for reviewer `{}`: ",
                clean(&name)
            ))?;
            if typed {
                let (again, _) = reviewer::read_passphrase("Type it again: ")?;
                if again != pass {
                    return Err(Error::invalid(
                        "passphrase: the two entries differ; nothing was recorded",
                    ));
                }
            }
            let endorser_pass = match &endorsed_by {
                Some(by) => Some(
                    reviewer::read_passphrase(&format!(
                        "Passphrase of endorsing reviewer `{}`: ",
                        clean(by)
                    ))?
                    .0,
                ),
                None => None,
            };
            let endorser = endorsed_by.as_deref().zip(endorser_pass.as_deref());
            let row = reviewer::add(&app, &name, &pass, endorser).await?;
            out(&format!(
                "reviewer `{}` registered (key {}…, audit row {}); from now on gate decisions are signed with a reviewer's passphrase",
                clean(&row.name),
                &row.public_key[..16],
                row.audit_seq
            ))?;
            Ok(ExitCode::SUCCESS)
        }
        ReviewerCommand::List => {
            let rows = app.store().await?.reviewers().await?;
            if rows.is_empty() {
                out(
                    "no reviewer registered: gate decisions are recorded without a signature (see README, security model)",
                )?;
            }
            let mut s = String::new();
            for r in rows {
                s.push_str(&format!(
                    "{:<24} key {}…  added {} by {}{}\n",
                    clean(&r.name),
                    &r.public_key[..16.min(r.public_key.len())],
                    clean(&r.created_at),
                    clean(&r.os_user),
                    r.endorsed_by
                        .map(|e| format!(", endorsed by {}", clean(&e)))
                        .unwrap_or_default()
                ));
            }
            if !s.is_empty() {
                out(&s)?;
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
