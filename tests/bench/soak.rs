//! Soak (not a test): open streamable-HTTP sessions against a release `dana serve --http`
//! in waves, abandon every one without DELETE, and report resident memory as they pile up,
//! while they expire, and after a second wave (memory must plateau, not grow per wave);
//! then prove an abandoned session is gone (404). Run with `cargo bench --bench soak`.
//!
//! `DANA_SOAK_SESSIONS` (default 10,000 per wave), `DANA_SOAK_WAVES` (default 2) and
//! `DANA_SOAK_MAX_SESSIONS` (default: dana's own, 1,000; set it above the wave size to
//! watch every session stay live until the idle timeout) tune the run.
#![allow(clippy::print_stdout)] // a benchmark prints its figures on stdout

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const CONCURRENCY: usize = 16;
const IDLE_SECS: u64 = 5;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

fn initialize() -> serde_json::Value {
    serde_json::json!({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"soak","version":"0"}}})
}

/// Opens `count` sessions, `CONCURRENCY` at a time, printing RSS every tenth; returns the
/// first and last session ids.
async fn wave(
    client: &reqwest::Client,
    url: &str,
    pid: u32,
    count: usize,
) -> (Option<String>, Option<String>) {
    let started = Instant::now();
    let (mut first, mut last) = (None, None);
    let mut opened = 0;
    let step = (count / 10).max(1);
    while opened < count {
        let batch: Vec<_> = (0..CONCURRENCY.min(count - opened))
            .map(|_| {
                let client = client.clone();
                let url = url.to_string();
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
            if first.is_none() {
                first = id.clone();
            }
            last = id;
            opened += 1;
            if opened % step == 0 {
                println!(
                    "    {:>6} sessions  RSS {:>10}  ({:.0} sessions/s)",
                    opened,
                    mib(rss_kib(pid)),
                    opened as f64 / started.elapsed().as_secs_f64()
                );
            }
        }
    }
    (first, last)
}

async fn status_of(client: &reqwest::Client, url: &str, session: Option<String>) -> u16 {
    client
        .post(url)
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2025-06-18")
        .header("mcp-session-id", session.unwrap_or_default())
        .json(&serde_json::json!({"jsonrpc":"2.0","id":2,"method":"tools/list"}))
        .send()
        .await
        .expect("request on an abandoned session")
        .status()
        .as_u16()
}

#[tokio::main]
async fn main() {
    let sessions = env_usize("DANA_SOAK_SESSIONS", 10_000);
    let waves = env_usize("DANA_SOAK_WAVES", 2).max(1);
    let max_sessions = std::env::var("DANA_SOAK_MAX_SESSIONS").ok();
    let workspace = tempfile::tempdir().expect("temp dir");
    let mut config = format!("[http]\nsession_idle_secs = {IDLE_SECS}\nmax_concurrency = 256\n");
    if let Some(n) = &max_sessions {
        config.push_str(&format!("max_sessions = {n}\n"));
    }
    std::fs::write(workspace.path().join("dana.toml"), config).expect("dana.toml");
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
        "dana HTTP soak: {waves} waves of {sessions} sessions opened and abandoned (no DELETE), \
         {CONCURRENCY} at a time; idle timeout {IDLE_SECS}s; max_sessions {}",
        max_sessions.as_deref().unwrap_or("default (1000)")
    );
    println!("  RSS at start {:>10}", mib(baseline));
    let mut peaks = Vec::new();
    let mut settled = Vec::new();
    for n in 1..=waves {
        println!("  wave {n}:");
        let (first, last) = wave(&client, &url, pid, sessions).await;
        let peak = rss_kib(pid);
        peaks.push(peak);
        // The first session of the wave: evicted when the cap is below the wave size.
        let first_status = status_of(&client, &url, first).await;
        let wait = IDLE_SECS * 2 + 2;
        for s in (2..=wait).step_by(2) {
            tokio::time::sleep(Duration::from_secs(2)).await;
            println!("    +{s:>2}s idle      RSS {:>10}", mib(rss_kib(pid)));
        }
        let after = rss_kib(pid);
        settled.push(after);
        let last_status = status_of(&client, &url, last).await;
        println!(
            "    first session of the wave right after it: HTTP {first_status}; last session after the idle timeout: HTTP {last_status}"
        );
    }
    println!(
        "  summary: start {}; peak per wave {}; after expiry per wave {}; peak growth {:.1} KiB/session opened",
        mib(baseline),
        peaks
            .iter()
            .map(|k| mib(*k))
            .collect::<Vec<_>>()
            .join(" / "),
        settled
            .iter()
            .map(|k| mib(*k))
            .collect::<Vec<_>>()
            .join(" / "),
        peaks[0].saturating_sub(baseline) as f64 / sessions as f64
    );
    let _ = child.kill();
    let _ = child.wait();
}
