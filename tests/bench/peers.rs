//! Benchmark against peers (not a test), side by side on this machine with one client:
//! dana, the reference TypeScript server (`@modelcontextprotocol/server-everything`) and
//! the Python reference SQLite server (`mcp-server-sqlite`, `mcp<2`). Measures cold start
//! (spawn → initialize answered), `tools/list`, a typical tool call over stdio, calls/s
//! over streamable HTTP with 8 and 32 concurrent clients, and resident memory.
//!
//! Fairness: one client (this process) for every server, the same request shapes over
//! kept-alive connections (one `reqwest::Client`, so one connection, per simulated client),
//! SSE responses on both HTTP servers, servers' stdout sent to /dev/null (server-everything
//! logs every POST), and each figure a median of several rounds. The machine's load
//! average is printed before and after: on a shared machine it moves the absolute figures.
//!
//! Peers come from `DANA_PEER_EVERYTHING` (path to server-everything's `dist/index.js`)
//! and `DANA_PEER_SQLITE` (path to the `mcp-server-sqlite` executable); a missing peer is
//! reported and skipped. `tests/bench/peers.sh` installs both and runs this.
#![allow(clippy::print_stdout)] // a benchmark prints its figures on stdout

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const STDIO_RUNS: usize = 20;
const CALLS: usize = 200;
const HTTP_SECONDS: u64 = 5;
const HTTP_ROUNDS: usize = 3;

struct Peer {
    name: &'static str,
    stdio: Vec<String>,
    http: Option<(Vec<String>, Vec<(String, String)>)>,
    call: (&'static str, Value),
}

fn main() {
    let workspace = tempfile::tempdir().expect("temp dir");
    let ws = workspace.path().to_string_lossy().into_owned();
    let dana = env!("CARGO_BIN_EXE_dana").to_string();
    let score = json!({ "dimensions": {
        "reliability": { "evidence": { "success_rate_pct": 96.5, "auto_retry": false } },
        "data_quality": { "evidence": { "check_kinds": ["not_null", "unique"], "coverage_pct": 30 } },
        "performance": { "evidence": { "sla_met_pct": 97 } },
        "documentation": { "evidence": { "readme": true } },
        "monitoring": { "evidence": { "failure_alerts": true } },
        "testing": { "evidence": { "test_layers": ["smoke"] } },
        "cost_efficiency": { "evidence": { "cost_tracked": false } }
    }});
    let mut peers = vec![Peer {
        name: "dana",
        stdio: vec![
            dana.clone(),
            "--workspace".into(),
            ws.clone(),
            "serve".into(),
        ],
        http: Some((
            vec![
                dana,
                "--workspace".into(),
                ws.clone(),
                "serve".into(),
                "--http".into(),
                "127.0.0.1:{port}".into(),
            ],
            vec![],
        )),
        call: ("score_infrastructure", score),
    }];
    match std::env::var("DANA_PEER_EVERYTHING")
        .ok()
        .filter(|p| std::path::Path::new(p).exists())
    {
        Some(path) => peers.push(Peer {
            name: "server-everything (TypeScript)",
            stdio: vec!["node".into(), path.clone(), "stdio".into()],
            http: Some((
                vec!["node".into(), path, "streamableHttp".into()],
                vec![("PORT".into(), "{port}".into())],
            )),
            call: ("echo", json!({ "message": "hello" })),
        }),
        None => println!("(skipping server-everything: set DANA_PEER_EVERYTHING)"),
    }
    match std::env::var("DANA_PEER_SQLITE")
        .ok()
        .filter(|p| std::path::Path::new(p).exists())
    {
        Some(path) => peers.push(Peer {
            name: "mcp-server-sqlite (Python)",
            stdio: vec![path, "--db-path".into(), format!("{ws}/peer.db")],
            http: None,
            call: ("list_tables", json!({})),
        }),
        None => println!("(skipping mcp-server-sqlite: set DANA_PEER_SQLITE)"),
    }

    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let load_before = loadavg();
    let mut rows = Vec::new();
    for peer in &peers {
        let stdio = stdio_figures(peer);
        let http = peer
            .http
            .as_ref()
            .map(|(cmd, env)| runtime.block_on(http_figures(cmd, env, &peer.call)));
        rows.push((peer.name, stdio, http));
    }
    println!(
        "\nPeers, medians ({STDIO_RUNS} cold starts, {CALLS} calls; HTTP {HTTP_ROUNDS} rounds of {HTTP_SECONDS}s per level); {} cores, load average before {load_before}, after {}:",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        loadavg()
    );
    println!(
        "{:<32} {:>10} {:>11} {:>10} {:>9} {:>11} {:>11} {:>9}",
        "server",
        "start ms",
        "list ms",
        "call ms",
        "RSS MiB",
        "http c=8/s",
        "http c=32/s",
        "RSS MiB"
    );
    for (name, s, h) in &rows {
        let (c8, c32, hrss) = match h {
            Some(h) => (
                format!("{:.0}", h.0),
                format!("{:.0}", h.1),
                format!("{:.1}", h.2),
            ),
            None => ("n/a".into(), "n/a".into(), "n/a".into()),
        };
        println!(
            "{:<32} {:>10.2} {:>11.3} {:>10.3} {:>9.1} {:>11} {:>11} {:>9}",
            name, s.start_ms, s.list_ms, s.call_ms, s.rss_mib, c8, c32, hrss
        );
    }
    if let Some((_, dana, dana_http)) = rows.first() {
        for (name, s, h) in rows.iter().skip(1) {
            print!(
                "dana vs {name}: cold start {:.1}x faster, call {:.1}x faster, RSS {:.1}x smaller",
                s.start_ms / dana.start_ms,
                s.call_ms / dana.call_ms,
                s.rss_mib / dana.rss_mib
            );
            if let (Some(d), Some(p)) = (dana_http, h) {
                print!(
                    ", HTTP calls/s {:.1}x (c=8) {:.1}x (c=32)",
                    d.0 / p.0,
                    d.1 / p.1
                );
            }
            println!();
        }
    }
    println!(
        "\n| server (call) | spawn → initialize | `tools/list` | typical call | RSS | HTTP calls/s, 8 clients | 32 clients | RSS after load |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    for ((name, s, h), peer) in rows.iter().zip(&peers) {
        let (c8, c32, hrss) = match h {
            Some(h) => (
                format!("{:.0}", h.0),
                format!("{:.0}", h.1),
                format!("{:.0} MiB", h.2),
            ),
            None => ("n/a".into(), "n/a".into(), "n/a".into()),
        };
        println!(
            "| {name} (`{}`) | {:.1} ms | {:.2} ms | {:.2} ms | {:.0} MiB | {c8} | {c32} | {hrss} |",
            peer.call.0, s.start_ms, s.list_ms, s.call_ms, s.rss_mib
        );
    }
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

struct StdioFigures {
    start_ms: f64,
    list_ms: f64,
    call_ms: f64,
    rss_mib: f64,
}

fn spawn(cmd: &[String], env: &[(String, String)], port: u16, stdout: Stdio) -> Child {
    let args: Vec<String> = cmd
        .iter()
        .map(|a| a.replace("{port}", &port.to_string()))
        .collect();
    let mut command = Command::new(&args[0]);
    command
        .args(&args[1..])
        .stdin(Stdio::piped())
        .stdout(stdout)
        .stderr(Stdio::null());
    for (k, v) in env {
        command.env(k, v.replace("{port}", &port.to_string()));
    }
    command
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {}: {e}", args[0]))
}

fn stdio_figures(peer: &Peer) -> StdioFigures {
    let mut start = Vec::new();
    let mut list = Vec::new();
    let mut call = Vec::new();
    let mut rss = 0.0;
    for run in 0..STDIO_RUNS {
        let t = Instant::now();
        let mut child = spawn(&peer.stdio, &[], 0, Stdio::piped());
        let mut stdin = child.stdin.take().expect("stdin");
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let mut id = 0;
        let mut rpc =
            |stdin: &mut std::process::ChildStdin, method: &str, params: Value| -> Value {
                id += 1;
                writeln!(
                    stdin,
                    "{}",
                    json!({"jsonrpc":"2.0","id":id,"method":method,"params":params})
                )
                .expect("write");
                stdin.flush().expect("flush");
                loop {
                    let mut line = String::new();
                    if stdout.read_line(&mut line).expect("read") == 0 {
                        panic!("{} closed stdout", peer.name);
                    }
                    let Ok(value) = serde_json::from_str::<Value>(&line) else {
                        continue;
                    };
                    if value["id"] == json!(id) {
                        assert!(
                            value.get("result").is_some(),
                            "{}: {method} failed: {line}",
                            peer.name
                        );
                        return value;
                    }
                }
            };
        rpc(
            &mut stdin,
            "initialize",
            json!({"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"bench","version":"0"}}),
        );
        start.push(t.elapsed());
        writeln!(
            stdin,
            "{}",
            json!({"jsonrpc":"2.0","method":"notifications/initialized"})
        )
        .expect("write");
        let t = Instant::now();
        rpc(&mut stdin, "tools/list", json!({}));
        list.push(t.elapsed());
        if run == 0 {
            for _ in 0..CALLS {
                let t = Instant::now();
                rpc(
                    &mut stdin,
                    "tools/call",
                    json!({"name": peer.call.0, "arguments": peer.call.1}),
                );
                call.push(t.elapsed());
            }
            rss = rss_mib(child.id());
        }
        drop(stdin);
        let _ = child.kill();
        let _ = child.wait();
    }
    StdioFigures {
        start_ms: median_ms(&mut start),
        list_ms: median_ms(&mut list),
        call_ms: median_ms(&mut call),
        rss_mib: rss,
    }
}

/// calls/s with 8 clients, with 32 clients, and RSS after the load.
async fn http_figures(
    cmd: &[String],
    env: &[(String, String)],
    call: &(&'static str, Value),
) -> (f64, f64, f64) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("port")
        .local_addr()
        .expect("addr")
        .port();
    // stdout to /dev/null: an unread pipe would stall a server that logs each request.
    let mut child = spawn(cmd, env, port, Stdio::null());
    let url = format!("http://127.0.0.1:{port}/mcp");
    let probe = reqwest::Client::new();
    for _ in 0..200 {
        if probe.get(&url).send().await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut c8 = Vec::new();
    let mut c32 = Vec::new();
    for _ in 0..HTTP_ROUNDS {
        c8.push(load(&url, 8, call).await);
        c32.push(load(&url, 32, call).await);
    }
    let (c8, c32) = (median(&mut c8), median(&mut c32));
    let rss = rss_mib(child.id());
    let _ = child.kill();
    let _ = child.wait();
    (c8, c32, rss)
}

async fn load(url: &str, clients: usize, call: &(&'static str, Value)) -> f64 {
    let deadline = Instant::now() + Duration::from_secs(HTTP_SECONDS);
    let tasks: Vec<_> = (0..clients)
        .map(|_| {
            let url = url.to_string();
            let call = call.clone();
            tokio::spawn(async move {
                let client = reqwest::Client::new();
                let post = |body: Value, session: Option<String>| {
                    let mut r = client
                        .post(&url)
                        .header("accept", "application/json, text/event-stream")
                        .header("mcp-protocol-version", "2025-06-18")
                        .json(&body);
                    if let Some(s) = session {
                        r = r.header("mcp-session-id", s);
                    }
                    r.send()
                };
                let init = post(json!({"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"load","version":"0"}}}), None).await.expect("initialize");
                let session = init.headers().get("mcp-session-id").and_then(|v| v.to_str().ok()).map(str::to_string);
                let _ = init.bytes().await;
                let _ = post(json!({"jsonrpc":"2.0","method":"notifications/initialized"}), session.clone()).await.map(|r| r.bytes());
                let mut done = 0u64;
                let mut id = 1u64;
                while Instant::now() < deadline {
                    id += 1;
                    let response = post(json!({"jsonrpc":"2.0","id":id,"method":"tools/call","params":{"name":call.0,"arguments":call.1}}), session.clone()).await.expect("call");
                    let body = response.text().await.expect("body");
                    assert!(body.contains("\"result\""), "call failed: {body}");
                    done += 1;
                }
                done
            })
        })
        .collect();
    let started = Instant::now();
    let mut total = 0;
    for t in tasks {
        total += t.await.expect("client");
    }
    total as f64 / started.elapsed().as_secs_f64()
}

fn rss_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse::<f64>().ok())
        .map_or(0.0, |kib| kib / 1024.0)
}

fn median(samples: &mut [f64]) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

fn median_ms(samples: &mut [Duration]) -> f64 {
    samples.sort();
    samples[samples.len() / 2].as_secs_f64() * 1000.0
}
