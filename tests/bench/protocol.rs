//! Protocol store benchmarks on SQLite (a temp workspace): recording one artifact (the
//! dispatcher's per-call overhead with `project`), evaluating `project_status`, and
//! verifying the audit chain and every state row against it (also at 10,000 audit rows,
//! in rows per second). Prints the median of N runs.

use std::time::{Duration, Instant};

use serde_json::json;

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let dir = tempfile::tempdir().expect("dir");
        let store = dana::store::Store::open_sqlite(&dir.path().join("state.db"))
            .await
            .expect("store");
        let app = dana::App::with_store(dir.path(), store).expect("app");
        dana::domain::project::start(
            &app,
            &serde_json::from_value(json!({"name": "Bench", "id": "bench"})).expect("params"),
        )
        .await
        .expect("project");
        let content = json!({"tables": (0..30).map(|i| json!({"name": format!("t{i}"), "rows": i * 1000, "columns": (0..12).map(|c| json!({"name": format!("c{c}"), "null_pct": 0.5})).collect::<Vec<_>>()})).collect::<Vec<_>>()});

        let n = 500;
        let mut record = Vec::with_capacity(n);
        for _ in 0..n {
            let start = Instant::now();
            dana::protocol::artifact::record(&app, "bench", "profile_datasource", &content, None)
                .await
                .expect("record");
            record.push(start.elapsed());
        }
        let mut precheck = Vec::with_capacity(50);
        for _ in 0..50 {
            let start = Instant::now();
            dana::protocol::artifact::precheck(&app, "bench", "profile_datasource")
                .await
                .expect("precheck");
            precheck.push(start.elapsed());
        }
        let mut status = Vec::with_capacity(50);
        for _ in 0..50 {
            let start = Instant::now();
            dana::domain::project::status(&app, "bench").await.expect("status");
            status.push(start.elapsed());
        }
        let mut verify = Vec::with_capacity(10);
        for _ in 0..10 {
            let start = Instant::now();
            let report = dana::protocol::audit::verify(&app, None).await.expect("verify");
            assert!(report.ok);
            verify.push(start.elapsed());
        }
        // Verify cost at 10k audit rows: every row rehashed, every state row's digest
        // recomputed and matched to the audit row that vouches for it.
        let small = json!({"tables": [{"name": "t", "rows": 1}]});
        let audit_rows = dana::protocol::audit::verify(&app, None).await.expect("verify").rows;
        for _ in audit_rows..10_000 {
            dana::protocol::artifact::record(&app, "bench", "profile_datasource", &small, None)
                .await
                .expect("record");
        }
        let mut verify_10k = Vec::with_capacity(5);
        let mut checked = (0, 0);
        for _ in 0..5 {
            let start = Instant::now();
            let report = dana::protocol::audit::verify(&app, None).await.expect("verify");
            assert!(report.ok);
            verify_10k.push(start.elapsed());
            checked = (report.rows, report.state_rows);
        }
        let verify_10k = median(verify_10k);
        let per_sec = (checked.0 + checked.1) as f64 / verify_10k.as_secs_f64();
        let report = [
            format!("protocol bench (SQLite, {n} artifacts of ~{} KB each)", content.to_string().len() / 1024),
            format!("  record artifact (lock + audit + insert + commit): median {:?} of {n}", median(record)),
            format!("  precheck before a tool runs ({n} artifacts stored): median {:?} of 50", median(precheck)),
            format!("  project_status ({n} artifacts): median {:?} of 50", median(status)),
            format!("  audit verify ({n} rows + every state row): median {:?} of 10", median(verify)),
            format!(
                "  audit verify at {} audit rows + {} state rows: median {verify_10k:?} of 5 ({per_sec:.0} rows/s)",
                checked.0, checked.1
            ),
        ];
        eprintln!("{}", report.join("\n"));
    });
}
