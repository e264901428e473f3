//! The command line: `serve`, `call`, `score`, `demo`. Each command is a thin wrapper
//! over the same domain functions the MCP tools call.

mod audit;
mod call;
mod check;
mod demo;
mod diff;
mod gate;
mod profile;
mod render;
mod reviewer;
mod score;
mod serve;
mod table;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use crate::error::Result;

/// dana — the Data Architecture Navigator: an MCP server for data engineering.
#[derive(Debug, Parser)]
#[command(name = "dana", version, about, long_about = None)]
pub struct Cli {
    /// Workspace folder (holds dana.toml, .dana/state.db, playbook and template overrides).
    #[arg(long, global = true, env = "DANA_WORKSPACE", default_value = ".")]
    pub workspace: PathBuf,
    /// Log filter for stderr (e.g. `info`, `dana=debug`). The default keeps sqlx's
    /// slow-statement warnings (which print the whole statement) out; `sqlx=warn` shows them.
    #[arg(
        long,
        global = true,
        env = "DANA_LOG",
        default_value = "warn,sqlx::query=error"
    )]
    pub log: String,
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the MCP server over stdio (default) or streamable HTTP.
    Serve(serve::ServeArgs),
    /// Call any tool through the server's dispatch and print its structured result.
    Call(call::CallArgs),
    /// Score infrastructure from a YAML file with the 0-100 rubric.
    Score(score::ScoreArgs),
    /// Show what dana does, on an embedded sample, in a folder it creates.
    Demo(demo::DemoArgs),
    /// Human decisions on quality gates: status, approve, reject, clarify, answer.
    Gate(gate::GateArgs),
    /// Verify the hash-chained audit log, or print a project's rows.
    Audit(audit::AuditArgs),
    /// Register reviewers whose passphrase signs every gate decision.
    Reviewer(reviewer::ReviewerArgs),
    /// Render a phase document from a project's artifacts and decisions.
    Render(render::RenderArgs),
    /// Diff two schemas (contract, table spec or live table) and gate on breaking changes.
    Diff(diff::DiffArgs),
    /// Profile a named datasource (progress on stderr).
    Profile(profile::ProfileArgs),
    /// Run quality checks from a file on a named datasource; exit 1 when one fails.
    Check(check::CheckArgs),
}

/// Output format of commands that print a result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Aligned text for a terminal.
    Table,
    /// The structured result as JSON.
    Json,
    /// Markdown.
    Md,
}

/// Parses the command line and runs it.
pub fn run() -> Result<ExitCode> {
    let cli = Cli::parse();
    init_tracing(&cli.log);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| crate::Error::io("start", "tokio runtime", e))?;
    runtime.block_on(async move {
        match cli.command {
            Command::Serve(args) => serve::run(&cli.workspace, args).await,
            Command::Call(args) => call::run(&cli.workspace, args).await,
            Command::Score(args) => score::run(&cli.workspace, args).await,
            Command::Demo(args) => demo::run(args).await,
            Command::Gate(args) => gate::run(&cli.workspace, args).await,
            Command::Audit(args) => audit::run(&cli.workspace, args).await,
            Command::Reviewer(args) => reviewer::run(&cli.workspace, args).await,
            Command::Render(args) => render::run(&cli.workspace, args).await,
            Command::Diff(args) => diff::run(&cli.workspace, args).await,
            Command::Profile(args) => profile::run(&cli.workspace, args).await,
            Command::Check(args) => check::run(&cli.workspace, args).await,
        }
    })
}

/// Logs go to stderr only: stdout belongs to JSON-RPC in `serve`.
fn init_tracing(filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_new(filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    // Colours only for a person at a terminal, never in a log file or a pipe.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .try_init();
}

/// Writes command output to stdout (CLI paths only; never in `serve`).
pub(crate) fn out(text: &str) -> Result<()> {
    // Whatever reaches the human's terminal carries no escape sequence (see `sanitize`).
    let text = &crate::sanitize::sanitize(text);
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(text.as_bytes())
        .and_then(|()| {
            if text.ends_with('\n') {
                Ok(())
            } else {
                stdout.write_all(b"\n")
            }
        })
        .and_then(|()| stdout.flush())
        .map_err(|e| crate::Error::io("write", "stdout", e))
}

/// Pretty JSON.
pub(crate) fn json(value: &serde_json::Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string())
}
