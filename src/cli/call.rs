//! `dana call TOOL --args JSON`: any tool through the server's dispatch.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;

use super::{Format, json, out};
use crate::App;
use crate::error::{Error, Result};
use crate::server::DanaServer;

/// Arguments of `dana call`.
#[derive(Debug, Args)]
pub struct CallArgs {
    /// Tool name (see `dana call --list`).
    #[arg(required_unless_present = "list")]
    pub tool: Option<String>,
    /// Arguments as a JSON object.
    #[arg(long, default_value = "{}", conflicts_with = "args_file")]
    pub args: String,
    /// Read the arguments from a JSON or YAML file (`-` for stdin).
    #[arg(long, value_name = "FILE")]
    pub args_file: Option<PathBuf>,
    /// `json` (default) or `md` (the tool's Markdown rendering, where it has one).
    #[arg(long, value_enum, default_value = "json")]
    pub format: Format,
    /// List the tools instead.
    #[arg(long)]
    pub list: bool,
}

pub(super) async fn run(workspace: &Path, args: CallArgs) -> Result<ExitCode> {
    let app = App::open(workspace)?;
    let server = DanaServer::new(app, None)?;
    if args.list {
        let mut text = String::new();
        for tool in server.tool_list() {
            let title = tool.title.clone().unwrap_or_default();
            text.push_str(&format!("{:<28} {title}\n", tool.name));
        }
        out(&text)?;
        return Ok(ExitCode::SUCCESS);
    }
    let tool = args.tool.as_deref().unwrap_or_default();
    let raw = match &args.args_file {
        Some(path) if path.as_os_str() == "-" => {
            std::io::read_to_string(std::io::stdin()).map_err(|e| Error::io("read", "stdin", e))?
        }
        Some(path) => std::fs::read_to_string(path).map_err(|e| Error::io("read", path, e))?,
        None => args.args.clone(),
    };
    let value: serde_json::Value = serde_norway::from_str(&raw)
        .map_err(|e| Error::invalid(format!("--args: not valid JSON or YAML: {e}")))?;
    if args.format == Format::Table {
        return Err(Error::invalid(
            "--format: `table` is not available for `dana call`; use `json` (the structured result) or `md` (its Markdown)",
        ));
    }
    match server.call_detached(tool, value).await {
        Ok(outcome) => {
            match (args.format, &outcome.rendered) {
                (Format::Md, Some(md)) => out(md)?,
                (Format::Md, None) => {
                    return Err(Error::invalid(format!(
                        "`{tool}` returned no Markdown (a bug in dana, please report it)"
                    )));
                }
                _ => out(&json(&outcome.structured))?,
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("error: {}", crate::sanitize::sanitize(&format!("{e}")));
            Ok(ExitCode::from(1))
        }
    }
}
