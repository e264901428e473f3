//! `dana serve`: stdio by default, `--http ADDR` for streamable HTTP.

use std::net::SocketAddr;
use std::path::Path;
use std::process::ExitCode;

use clap::Args;
use rmcp::ServiceExt;

use crate::App;
use crate::error::{Error, Result};
use crate::server::DanaServer;
use crate::server::http::{HttpOptions, HttpServer, TOKEN_ENV};

/// Arguments of `dana serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Serve streamable HTTP at http://ADDR/mcp instead of stdio (e.g. 127.0.0.1:8765).
    #[arg(long, value_name = "ADDR")]
    pub http: Option<SocketAddr>,
    /// Bearer token for HTTP; required when ADDR is not loopback.
    #[arg(long, env = TOKEN_ENV, hide_env_values = true)]
    pub token: Option<String>,
    /// Comma-separated toolsets to enable (default: dana.toml's list, or all).
    #[arg(long, value_delimiter = ',')]
    pub toolsets: Option<Vec<String>>,
}

pub(super) async fn run(workspace: &Path, args: ServeArgs) -> Result<ExitCode> {
    let app = App::open(workspace)?;
    let server = DanaServer::new(app.clone(), args.toolsets.as_deref())?;
    server.warm();
    match args.http {
        None => {
            tracing::info!(tools = server.tool_count(), "serving MCP over stdio");
            let running = server
                .serve(crate::server::stdio::stdio())
                .await
                .map_err(|e| Error::invalid(format!("stdio handshake failed: {e}")))?;
            running
                .waiting()
                .await
                .map_err(|e| Error::invalid(format!("stdio server stopped: {e}")))?;
        }
        Some(addr) => {
            let http = &app.workspace.config.http;
            let mut options = HttpOptions::new(addr);
            options.token = args.token;
            options.allowed_hosts = http.allowed_hosts.clone();
            options.allowed_origins = http.allowed_origins.clone();
            if let Some(bytes) = http.max_body_bytes {
                options.max_body_bytes = bytes;
            }
            if let Some(n) = http.max_concurrency {
                options.max_concurrency = n;
            }
            if let Some(secs) = http.session_idle_secs {
                options.session_idle = std::time::Duration::from_secs(secs.max(1));
            }
            if let Some(n) = http.max_sessions {
                options.max_sessions = n;
            }
            let secs = |s: u64| std::time::Duration::from_secs(s.max(1));
            if let Some(s) = http.header_timeout_secs {
                options.header_timeout = secs(s);
            }
            if let Some(s) = http.body_timeout_secs {
                options.body_timeout = secs(s);
            }
            if let Some(n) = http.max_connections_per_client {
                options.max_connections_per_client = n;
            }
            if let Some(n) = http.max_sessions_per_client {
                options.max_sessions_per_client = n;
            }
            if let Some(s) = http.session_protect_secs {
                options.session_protect = std::time::Duration::from_secs(s);
            }
            return_freed_memory();
            let bound = HttpServer::bind(server, options).await?;
            let token = bound.shutdown_token();
            tokio::spawn(async move {
                let _ = tokio::signal::ctrl_c().await;
                token.cancel();
            });
            eprintln!("dana: serving MCP at http://{}/mcp", bound.local_addr());
            bound.run().await?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A long-running HTTP server sees bursts of sessions: have jemalloc's background thread
/// purge freed pages (after ~10 s) so memory returns to the OS once sessions expire, even
/// when no further request arrives to trigger a purge.
fn return_freed_memory() {
    #[cfg(not(target_env = "msvc"))]
    if let Err(e) = tikv_jemalloc_ctl::background_thread::write(true) {
        tracing::debug!(error = %e, "jemalloc background purging not enabled");
    }
}
