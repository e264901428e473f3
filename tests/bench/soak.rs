//! Soak (not a test): open SESSIONS streamable-HTTP sessions against a release
//! `dana serve --http`, abandon every one without DELETE, and report resident memory as
//! they pile up and after the idle timeout has closed them; then prove an abandoned
//! session is gone (404). Run with `cargo bench --bench soak`.
#![allow(clippy::print_stdout)] // a benchmark prints its figures on stdout

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const SESSIONS: usize = 10_000;
const CONCURRENCY: usize = 16;
const IDLE_SECS: u64 = 5;

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn initialize() -> serde_json::Value {
    serde_json::json!({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"soak","version":"0"}}})
}

#[tokio::main]
async fn main() {
    let workspace = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        workspace.path().join("dana.toml"),
        format!("[http]\nsession_idle_secs = {IDLE_SECS}\nmax_concurrency = 256\n"),
    )
    .expect("dana.toml");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("port")
        .local_addr()
        .expect("addr")
        .port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_dana"))
        .arg("--workspace")
        .arg(workspace.path())
        .args(["serve", "--http", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn dana");
    let pid = child.id();
    let url = format!("http://127.0.0.1:{port}/mcp");
    let client = reqwest::Client::new();
    for _ in 0..100 {
        if client.get(&url).send().await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let baseline = rss_kib(pid);
    println!(
        "dana HTTP soak: {SESSIONS} sessions opened and abandoned (no DELETE), {CONCURRENCY} at a time, idle timeout {IDLE_SECS}s"
    );
    println!("  RSS at start            {:>8} KiB", baseline);
    let started = Instant::now();
    let mut first_session = None;
    let mut opened = 0;
    let step = SESSIONS / 4;
    while opened < SESSIONS {
        let batch: Vec<_> = (0..CONCURRENCY.min(SESSIONS - opened))
            .map(|_| {
                let client = client.clone();
                let url = url.clone();
                tokio::spawn(async move {
                    let response = client
                        .post(&url)
                        .header("accept", "application/json, text/event-stream")
                        .json(&initialize())
                        .send()
                        .await
                        .expect("initialize");
                    assert_eq!(response.status(), 200);
                    let id = response
                        .headers()
                        .get("mcp-session-id")
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_string);
                    let _ = response.bytes().await;
                    id
                })
            })
            .collect();
        for task in batch {
            let id = task.await.expect("task");
            if first_session.is_none() {
                first_session = id;
            }
            opened += 1;
            if opened % step == 0 {
                println!(
                    "  RSS after {:>6} sessions {:>8} KiB  ({:.0} sessions/s)",
                    opened,
                    rss_kib(pid),
                    opened as f64 / started.elapsed().as_secs_f64()
                );
            }
        }
    }
    let peak = rss_kib(pid);
    tokio::time::sleep(Duration::from_secs(IDLE_SECS * 2 + 2)).await;
    let after = rss_kib(pid);
    println!(
        "  RSS {}s after the last  {:>8} KiB",
        IDLE_SECS * 2 + 2,
        after
    );
    let stale = client
        .post(&url)
        .header("accept", "application/json, text/event-stream")
        .header("mcp-session-id", first_session.unwrap_or_default())
        .json(&serde_json::json!({"jsonrpc":"2.0","id":2,"method":"tools/list"}))
        .send()
        .await
        .expect("stale request");
    println!(
        "  abandoned session after the idle timeout: HTTP {}",
        stale.status()
    );
    println!(
        "  growth at peak {:.1} KiB/session; after expiry {:+} KiB vs start",
        (peak.saturating_sub(baseline)) as f64 / SESSIONS as f64,
        after as i64 - baseline as i64
    );
    let _ = child.kill();
    let _ = child.wait();
}
