#![allow(clippy::print_stdout)] // a benchmark prints its figures on stdout
//! Benchmark (not a test): `triage_failure` in-process, over error messages that hit an
//! early branch, a late one and none. Prints the median per call of RUNS rounds. The
//! playbook's 48 patterns used to be compiled on every call; they are now compiled on
//! the first and kept, so the first call is shown apart.
//! Run with `cargo bench --bench triage`; `DANA_TRIAGE_CALLS=N` runs N calls and nothing
//! else (for `valgrind --tool=callgrind`: instructions of N calls minus those of 1).

use std::time::{Duration, Instant};

use dana::domain::operations::{TriageFailureParams, triage};

const RUNS: usize = 300;

const ERRORS: &[&str] = &[
    "psycopg2.OperationalError: could not connect to server: Connection refused",
    "java.lang.OutOfMemoryError: Java heap space",
    "duplicate key value violates unique constraint \"fct_orders_pkey\"",
    "something odd happened that no branch knows about",
];

fn params(error: &str) -> TriageFailureParams {
    serde_json::from_value(serde_json::json!({"error": error})).expect("params")
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let books = dana::playbook::Playbooks::embedded().expect("playbooks");
    let ops = &books.operations;
    if let Some(calls) = std::env::var("DANA_TRIAGE_CALLS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
    {
        for i in 0..calls {
            triage(ops, &params(ERRORS[i % ERRORS.len()])).expect("triage");
        }
        return;
    }
    let first = Instant::now();
    triage(ops, &params(ERRORS[0])).expect("triage");
    println!("first call (compiles the patterns): {:?}", first.elapsed());
    for error in ERRORS {
        let p = params(error);
        let times: Vec<Duration> = (0..RUNS)
            .map(|_| {
                let start = Instant::now();
                let out = triage(ops, &p).expect("triage");
                std::hint::black_box(out);
                start.elapsed()
            })
            .collect();
        println!("{:>10.1?}  {error}", median(times));
    }
}
