//! Benchmark (not a test): spawn `dana serve` over stdio and time, per run,
//! spawn → `initialize` answered, `tools/list`, and one `score_infrastructure` call.
//! Prints medians over RUNS runs. Run with `cargo bench --bench startup`.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const RUNS: usize = 30;

fn main() {
    let exe = env!("CARGO_BIN_EXE_dana");
    let workspace = tempfile::tempdir().expect("temp dir");
    let score_args = serde_json::json!({ "dimensions": {
        "reliability": { "evidence": { "success_rate_pct": 96.5, "auto_retry": false } },
        "data_quality": { "evidence": { "check_kinds": ["not_null", "unique"], "coverage_pct": 30 } },
        "performance": { "evidence": { "sla_met_pct": 97, "runtime_pct_of_sla": 70 } },
        "documentation": { "evidence": { "readme": true } },
        "monitoring": { "evidence": { "failure_alerts": true } },
        "testing": { "evidence": { "test_layers": ["smoke"] } },
        "cost_efficiency": { "evidence": { "cost_tracked": false } }
    }});
    let mut init = Vec::new();
    let mut list = Vec::new();
    let mut call = Vec::new();
    let mut list_bytes = 0;
    for _ in 0..RUNS {
        let started = Instant::now();
        let mut child = Command::new(exe)
            .args(["serve", "--workspace"])
            .arg(workspace.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn dana");
        let mut stdin = child.stdin.take().expect("stdin");
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let mut line = String::new();
        let mut rpc =
            |stdin: &mut std::process::ChildStdin, msg: serde_json::Value, wait: bool| -> usize {
                writeln!(stdin, "{msg}").expect("write");
                stdin.flush().expect("flush");
                if !wait {
                    return 0;
                }
                line.clear();
                stdout.read_line(&mut line).expect("read");
                assert!(line.contains("\"result\""), "unexpected answer: {line}");
                line.len()
            };
        rpc(
            &mut stdin,
            serde_json::json!({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"bench","version":"0"}}}),
            true,
        );
        init.push(started.elapsed());
        rpc(
            &mut stdin,
            serde_json::json!({"jsonrpc":"2.0","method":"notifications/initialized"}),
            false,
        );
        let t = Instant::now();
        list_bytes = rpc(
            &mut stdin,
            serde_json::json!({"jsonrpc":"2.0","id":2,"method":"tools/list"}),
            true,
        );
        list.push(t.elapsed());
        let t = Instant::now();
        rpc(
            &mut stdin,
            serde_json::json!({"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"score_infrastructure","arguments":score_args}}),
            true,
        );
        call.push(t.elapsed());
        drop(stdin);
        let _ = child.wait();
    }
    println!("dana stdio benchmark, {RUNS} runs (release build)");
    println!(
        "  spawn -> initialize answered  median {}",
        ms(median(&mut init))
    );
    println!(
        "  tools/list                    median {}  ({list_bytes} bytes)",
        ms(median(&mut list))
    );
    println!(
        "  score_infrastructure call     median {}",
        ms(median(&mut call))
    );
}

fn median(samples: &mut [Duration]) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1000.0)
}
