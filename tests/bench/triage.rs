#![allow(clippy::print_stdout)] // a benchmark prints its figures on stdout
//! Benchmark (not a test): `triage_failure` in-process, over real error messages of
//! several branches, a long log excerpt and one that only words point at. Prints the
//! median per call of RUNS rounds. The playbook's signals (codes, phrases and words of
//! 13 branches) are compiled into one `RegexSet` on the first call and kept, so the first
//! call is shown apart.
//! Run with `cargo bench --bench triage`; `DANA_TRIAGE_CALLS=N` runs N calls and nothing
//! else (for `valgrind --tool=callgrind`: instructions of N calls minus those of 1).

use std::time::{Duration, Instant};

use dana::domain::operations::{TriageFailureParams, triage};

const RUNS: usize = 300;

const ERRORS: &[&str] = &[
    "psycopg2.OperationalError: could not connect to server: Connection refused",
    "java.lang.OutOfMemoryError: Java heap space",
    "duplicate key value violates unique constraint \"fct_orders_pkey\"",
    "ProgrammingError: 000630 (57014): Statement reached its statement or warehouse timeout of 120 second(s) and was canceled.",
    "org.apache.kafka.common.errors.TimeoutException: Topic orders not present in metadata after 60000 ms.",
    LOG,
    "something odd happened that no branch knows about",
];

/// A 40-line task log with the error at the end.
const LOG: &str = concat!(
    "[2026-03-17 02:14:01] {taskinstance.py:1262} INFO - Executing <Task(PythonOperator): load_orders>\n",
    "[2026-03-17 02:14:01] {base.py:73} INFO - Using connection ID 'warehouse' for task execution.\n",
    "[2026-03-17 02:14:02] {load.py:88} INFO - Extracting window 2026-03-16T00:00:00 .. 2026-03-17T00:00:00\n",
    "[2026-03-17 02:14:05] {load.py:97} INFO - 1,204,311 rows read from app_postgres.orders\n",
    "[2026-03-17 02:14:09] {load.py:120} INFO - Writing batch 1 of 25 to analytics.fct_orders\n",
    "[2026-03-17 02:19:44] {load.py:120} INFO - Writing batch 25 of 25 to analytics.fct_orders\n",
    "[2026-03-17 02:19:45] {taskinstance.py:1482} ERROR - Task failed with exception\n",
    "Traceback (most recent call last):\n",
    "  File \"/opt/airflow/dags/load.py\", line 131, in merge_batch\n",
    "    cursor.execute(MERGE_SQL)\n",
    "psycopg2.errors.DeadlockDetected: deadlock detected\n",
    "DETAIL:  Process 974074 waits for ShareLock on transaction 2274650; blocked by process 974077.\n",
    "HINT:  See server log for query details.\n",
    "[2026-03-17 02:19:45] {taskinstance.py:1332} INFO - Marking task as UP_FOR_RETRY.\n",
);

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
