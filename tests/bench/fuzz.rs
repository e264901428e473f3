//! Fuzz (not a test): a million frames against a release `dana serve` over stdio, the way
//! a hostile or broken client writes them. Every frame is a request with an id: either a
//! tool call whose arguments are generated from that tool's own input schema (near-valid
//! objects, wrong types, hostile strings), or a call whose params are mangled bytes
//! (random bytes, truncation, nesting up to 200,000 deep, lone surrogates, `1e999`,
//! invalid UTF-8, params of the wrong JSON type). Checked: every id is answered exactly
//! once, no answer reports a panic, the server is alive at the end, and its resident
//! memory stays bounded (figures printed at intervals).
//!
//! `cargo bench --bench fuzz`; `DANA_FUZZ_FRAMES` (default 1,000,000), `DANA_FUZZ_SEED`,
//! `DANA_FUZZ_WINDOW` (requests in flight, default 64).
#![allow(clippy::print_stdout)] // a benchmark prints its figures on stdout

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Map, Value, json};

fn env_u64(name: &str, default: u64) -> u64 {
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

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("finite", |n| n.is_finite())
            .prop_map(|n| json!(n)),
        ".{0,40}".prop_map(Value::String),
        Just(json!("'; DROP TABLE x; --")),
        Just(json!("\u{1b}[2J\u{202e}")),
        Just(json!("../../.dana/state.db")),
        Just(json!("retail")),
        Just(json!("postgres")),
    ];
    leaf.prop_recursive(5, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,14}", inner, 0..8)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Objects using the tool's own property names with arbitrary values.
fn near_valid(schema: &Map<String, Value>) -> BoxedStrategy<Value> {
    let names: Vec<String> = schema
        .get("properties")
        .and_then(Value::as_object)
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default();
    prop::collection::vec((0..names.len().max(1), arb_json()), 0..8)
        .prop_map(move |pairs| {
            let mut object = Map::new();
            for (i, value) in pairs {
                if let Some(name) = names.get(i) {
                    object.insert(name.clone(), value);
                }
            }
            Value::Object(object)
        })
        .boxed()
}

/// Params bytes that no JSON parser accepts, or that are the wrong shape.
fn mangled_params() -> BoxedStrategy<Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..128),
        (1usize..200_000).prop_map(|depth| {
            let mut v = b"{\"name\":\"triage_failure\",\"arguments\":{\"error\":".to_vec();
            v.extend(std::iter::repeat_n(b'[', depth));
            v.extend(std::iter::repeat_n(b']', depth));
            v.extend_from_slice(b"}}");
            v
        }),
        Just(br#"{"name":"triage_failure","arguments":{"error":"\ud800"}}"#.to_vec()),
        Just(br#"{"name":"triage_failure","arguments":{"error":"\udfff\ud800"}}"#.to_vec()),
        Just(br#"{"name":"x","arguments":{"n":1e999}}"#.to_vec()),
        Just(b"{\"name\":\"triage_failure\",\"arguments\":{\"error\":\"\xff\xfe\"}}".to_vec()),
        Just(b"[1,2,3]".to_vec()),
        Just(b"\"params\"".to_vec()),
        Just(b"null".to_vec()),
        Just(br#"{"name":"triage_failure","arguments":[]}"#.to_vec()),
        Just(br#"{"name":"triage_failure","arguments":{"error":"x""#.to_vec()),
    ]
    .boxed()
}

/// A ChaCha seed from a number: the same number gives the same frames.
fn seed_bytes(seed: u64) -> [u8; 32] {
    let mut bytes = [0u8; 32];
    for chunk in bytes.chunks_mut(8) {
        chunk.copy_from_slice(&seed.to_le_bytes());
    }
    bytes
}

fn main() {
    let frames = env_u64("DANA_FUZZ_FRAMES", 1_000_000);
    let window = env_u64("DANA_FUZZ_WINDOW", 64);
    let seed = env_u64("DANA_FUZZ_SEED", 20261129);
    let status = Command::new(env!("CARGO"))
        .args(["build", "--release", "--quiet", "--bin", "dana"])
        .status()
        .expect("cargo build");
    assert!(status.success(), "release build failed");
    let bin = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/release/dana");
    let workspace = tempfile::tempdir().unwrap();
    let mut child = Command::new(&bin)
        .arg("--workspace")
        .arg(workspace.path())
        .arg("serve")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start dana");
    let pid = child.id();
    let mut stdin = child.stdin.take().unwrap();
    let stdout = BufReader::new(child.stdout.take().unwrap());

    // Answers are read on a thread of their own; the writer keeps `window` in flight.
    let answered = Arc::new(AtomicU64::new(0));
    let progress = Arc::new((Mutex::new(()), Condvar::new()));
    let panics = Arc::new(AtomicU64::new(0));
    let reader = {
        let answered = answered.clone();
        let progress = progress.clone();
        let panics = panics.clone();
        std::thread::spawn(move || {
            let mut seen = HashSet::new();
            let mut codes = std::collections::BTreeMap::<i64, u64>::new();
            for line in stdout.lines() {
                let Ok(line) = line else { break };
                let answer: Value = serde_json::from_str(&line).expect("answers are JSON");
                let Some(id) = answer["id"].as_u64().filter(|id| *id > 0) else {
                    continue; // the initialize answer (id 0)
                };
                assert!(seen.insert(id), "id {id} answered twice");
                if let Some(code) = answer["error"]["code"].as_i64() {
                    *codes.entry(code).or_default() += 1;
                }
                if line.contains("panicked") || line.contains("internal error") {
                    panics.fetch_add(1, Ordering::Relaxed);
                    eprintln!("panic reported: {line}");
                }
                answered.fetch_add(1, Ordering::Release);
                progress.1.notify_all();
            }
            (seen, codes)
        })
    };

    let init = json!({"jsonrpc":"2.0","id":0,"method":"initialize","params":{
        "protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"fuzz","version":"0"}}});
    writeln!(stdin, "{init}").unwrap();
    writeln!(
        stdin,
        r#"{{"jsonrpc":"2.0","method":"notifications/initialized"}}"#
    )
    .unwrap();

    // The tools and their schemas, read from the server's own listing.
    let listing: Vec<Value> =
        serde_json::from_str(include_str!("../../src/server/listing.json")).unwrap();
    let tools: Vec<(String, BoxedStrategy<Value>)> = listing
        .iter()
        .map(|t| {
            let schema = t["inputSchema"].as_object().cloned().unwrap_or_default();
            let strategy = prop_oneof![arb_json(), near_valid(&schema)].boxed();
            (t["name"].as_str().unwrap().to_string(), strategy)
        })
        .collect();
    let mangled = mangled_params();
    let mut runner = TestRunner::new_with_rng(
        Config {
            failure_persistence: None,
            ..Config::default()
        },
        proptest::test_runner::TestRng::from_seed(
            proptest::test_runner::RngAlgorithm::ChaCha,
            &seed_bytes(seed),
        ),
    );

    println!(
        "fuzz: {frames} frames, {} tools, window {window}, seed {seed}",
        tools.len()
    );
    let started = Instant::now();
    let mut peak = 0;
    let (mut mangled_sent, mut calls_sent) = (0u64, 0u64);
    let mut rss_at = Vec::new();
    for id in 1..=frames {
        let mut frame =
            format!(r#"{{"jsonrpc":"2.0","id":{id},"method":"tools/call","params":"#).into_bytes();
        if id % 5 < 2 {
            let mut params = mangled.new_tree(&mut runner).unwrap().current();
            for b in &mut params {
                if *b == b'\n' || *b == b'\r' {
                    *b = b' ';
                }
            }
            frame.extend_from_slice(&params);
            mangled_sent += 1;
        } else {
            let (name, strategy) = &tools[(id as usize) % tools.len()];
            let arguments = strategy.new_tree(&mut runner).unwrap().current();
            let params = json!({"name": name, "arguments": arguments});
            frame.extend_from_slice(params.to_string().as_bytes());
            calls_sent += 1;
        }
        frame.extend_from_slice(b"}\n");
        stdin.write_all(&frame).expect("dana is alive");
        // Keep at most `window` requests in flight.
        let (lock, ready) = &*progress;
        let mut guard = lock.lock().unwrap();
        while id - answered.load(Ordering::Acquire) > window {
            let (g, timeout) = ready.wait_timeout(guard, Duration::from_secs(30)).unwrap();
            guard = g;
            assert!(
                !timeout.timed_out() || id - answered.load(Ordering::Acquire) <= window,
                "no answer for 30 s at frame {id}: the server hangs"
            );
        }
        drop(guard);
        if id % (frames / 10).max(1) == 0 {
            let rss = rss_kib(pid);
            peak = peak.max(rss);
            rss_at.push((id, rss));
            println!(
                "  {id:>8} frames  {:>6.1} s  RSS {:>6.1} MiB",
                started.elapsed().as_secs_f64(),
                rss as f64 / 1024.0
            );
        }
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while answered.load(Ordering::Acquire) < frames && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    let elapsed = started.elapsed();
    let alive = child.try_wait().unwrap().is_none();
    drop(stdin);
    let (seen, codes) = reader.join().unwrap();
    let _ = child.wait();
    let missing = frames - seen.len() as u64;
    println!(
        "fuzz: {frames} frames ({calls_sent} tool calls, {mangled_sent} mangled) in {:.1} s ({:.0}/s)",
        elapsed.as_secs_f64(),
        frames as f64 / elapsed.as_secs_f64()
    );
    println!(
        "  answered {} (missing {missing}); error codes {codes:?}",
        seen.len()
    );
    println!(
        "  panics reported {}; alive at the end: {alive}; peak RSS {:.1} MiB",
        panics.load(Ordering::Relaxed),
        peak as f64 / 1024.0
    );
    let growth = match (rss_at.get(1), rss_at.last()) {
        (Some((_, early)), Some((_, last))) => *last as i64 - *early as i64,
        _ => 0,
    };
    println!(
        "  RSS growth from 20 % to the end: {:.1} MiB",
        growth as f64 / 1024.0
    );
    assert_eq!(missing, 0, "every request is answered");
    assert_eq!(panics.load(Ordering::Relaxed), 0, "no panic");
    assert!(alive, "the server survived");
    assert!(growth < 64 * 1024, "memory stays bounded");
}
