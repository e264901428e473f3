//! Benchmark (not a test): profiling and quality checks on PostgreSQL with a table of
//! 5 million rows and 12 columns.
//!
//! - profile time of the table vs `SELECT count(*)` on it (target: at most 3x), with the
//!   defaults (every statistic exact but distinct counts) and with the opt-in
//!   `exact_stats_max_rows` (means, text statistics, unindexed numeric min/max sampled);
//! - all checks of the table batched (one shared scan + the statements SQL needs) vs one
//!   query per check.
//!
//! Run: `DANA_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test cargo bench --bench quality`
//! (`DANA_BENCH_ROWS` to change the size, `DANA_BENCH_RUNS` the repetitions,
//! `DANA_BENCH_EXACT=1` to also time one profile with distinct counts exact too). The table is
//! created once in schema `dana_bench` and reused while it has the expected row count.
//! count(*) and the profile scan both run with the server's parallel workers (like with
//! like); the load average is printed so figures from a shared machine can be judged.
#![allow(clippy::print_stdout)] // a benchmark prints its figures on stdout

use std::time::{Duration, Instant};

use dana::App;
use dana::domain::quality::{NoProgress, QualityCheck, TableSpec, checks, profile, run};

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The 1-minute load average (Linux), for the record.
fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "?".to_string())
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let Ok(url) = std::env::var("DANA_TEST_POSTGRES_URL") else {
        eprintln!("DANA_TEST_POSTGRES_URL is not set: nothing to benchmark");
        return;
    };
    let rows: i64 = std::env::var("DANA_BENCH_ROWS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5_000_000);
    let runs: usize = std::env::var("DANA_BENCH_RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let admin = sqlx::PgPool::connect(&url).await.expect("connect");
    let existing: Option<i64> = sqlx::query_scalar("SELECT reltuples::bigint FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'dana_bench' AND c.relname = 'orders'")
        .fetch_optional(&admin)
        .await
        .expect("catalog");
    let have: i64 = match existing {
        Some(_) => sqlx::query_scalar("SELECT count(*) FROM dana_bench.orders")
            .fetch_one(&admin)
            .await
            .expect("count"),
        None => 0,
    };
    if have != rows {
        eprintln!("creating dana_bench.orders with {rows} rows ...");
        let t0 = Instant::now();
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "DROP SCHEMA IF EXISTS dana_bench CASCADE; CREATE SCHEMA dana_bench;
             CREATE TABLE dana_bench.customers (customer_id integer PRIMARY KEY, name text);
             INSERT INTO dana_bench.customers SELECT g, 'customer ' || g FROM generate_series(0, 99999) g;
             CREATE TABLE dana_bench.orders (
               order_id bigint PRIMARY KEY, customer_id integer, amount numeric(12,2), quantity integer,
               status text, country char(2), email text, created_at timestamptz, updated_at timestamptz,
               is_paid boolean, discount double precision, note text);
             INSERT INTO dana_bench.orders SELECT g, g % 100000, (g % 100000) / 100.0, g % 10,
               (ARRAY['new','paid','shipped','done','void'])[1 + g % 5], (ARRAY['DE','FR','US','GB'])[1 + g % 4],
               'user' || (g % 500000) || '@example.com', now() - make_interval(secs => g),
               now() - make_interval(secs => g / 2), g % 3 = 0, (g % 1000) / 1000.0,
               CASE WHEN g % 100 = 0 THEN 'note ' || g END
             FROM generate_series(1, {rows}) g;
             ANALYZE dana_bench.customers;"
        )))
        .execute(&admin)
        .await
        .expect("create bench table");
        // VACUUM refuses to run inside the implicit transaction of a multi-statement batch.
        sqlx::raw_sql("VACUUM ANALYZE dana_bench.orders")
            .execute(&admin)
            .await
            .expect("vacuum bench table");
        eprintln!("created in {:.1} s", t0.elapsed().as_secs_f64());
    }
    let load_before = load();
    let dir = tempfile::tempdir().expect("dir");
    // The documented defaults for profiling (exact up to 1,000,000 rows, a 20,000-row
    // sample), with a row cap that lets the sample have its 20,000 rows.
    std::fs::write(
        dir.path().join("dana.toml"),
        "[datasources.bench]\nurl_env = \"DANA_TEST_POSTGRES_URL\"\nallow_write_capable_role = true\nschema = \"dana_bench\"\nstatement_timeout_ms = 600000\n\
         row_cap = 20000\nsample_rows = 20000\n\
         [datasources.sampled]\nurl_env = \"DANA_TEST_POSTGRES_URL\"\nallow_write_capable_role = true\nschema = \"dana_bench\"\nstatement_timeout_ms = 600000\n\
         row_cap = 20000\nsample_rows = 20000\nexact_stats_max_rows = 1000000\n\
         [datasources.exact]\nurl_env = \"DANA_TEST_POSTGRES_URL\"\nallow_write_capable_role = true\nschema = \"dana_bench\"\nstatement_timeout_ms = 600000\n\
         row_cap = 20000\nexact_distinct_max_rows = 1000000000\n",
    )
    .expect("toml");
    let app = App::open(dir.path()).expect("app");
    let ds = app.live.get("bench").await.expect("datasource");
    // Warm the cache once.
    ds.fetch("SELECT count(*) AS n FROM dana_bench.orders", &[])
        .await
        .expect("warm");

    let sampled_ds = app.live.get("sampled").await.expect("datasource");
    let mut count_times = Vec::new();
    let mut profile_times = Vec::new();
    let mut sampled_times = Vec::new();
    let spec = dana::live::introspect(&ds, Some(&["orders".to_string()]))
        .await
        .expect("introspect")
        .remove(0);
    for _ in 0..runs {
        let t0 = Instant::now();
        ds.fetch("SELECT count(*) AS n FROM dana_bench.orders", &[])
            .await
            .expect("count");
        count_times.push(t0.elapsed());
        let t0 = Instant::now();
        let p = profile::profile_table(&app, &ds, spec.clone())
            .await
            .expect("profile");
        profile_times.push(t0.elapsed());
        assert_eq!(p.row_count as i64, rows);
        let t0 = Instant::now();
        profile::profile_table(&app, &sampled_ds, spec.clone())
            .await
            .expect("sampled profile");
        sampled_times.push(t0.elapsed());
    }
    let count = median(count_times);
    let prof = median(profile_times);
    let sampled = median(sampled_times);
    let mut sample_rows = 0;
    let mut estimated_columns = 0;
    if let Ok(p) = profile::profile_table(&app, &ds, spec.clone()).await {
        sample_rows = p.sample_rows;
        estimated_columns = p.columns.iter().filter(|c| !c.estimated.is_empty()).count();
    }
    let exact = if std::env::var("DANA_BENCH_EXACT").is_ok_and(|v| v == "1") {
        let exact_ds = app.live.get("exact").await.expect("datasource");
        let t0 = Instant::now();
        let p = profile::profile_table(&app, &exact_ds, spec.clone())
            .await
            .expect("exact profile");
        assert_eq!(p.distinct_method, "exact");
        Some(t0.elapsed())
    } else {
        None
    };

    let table: TableSpec = serde_json::from_value(serde_json::json!({
        "name": "orders", "schema": "dana_bench", "primary_key": ["order_id"],
        "columns": [
            {"name": "order_id"}, {"name": "customer_id", "nullable": false},
            {"name": "amount", "min": 0, "max": 100000}, {"name": "quantity", "min": 0, "max": 9},
            {"name": "status", "accepted_values": ["new", "paid", "shipped", "done", "void"]},
            {"name": "country", "accepted_values": ["DE", "FR", "US", "GB"]},
            {"name": "email", "nullable": false, "pattern": "^[^@]+@[^@]+$"},
            {"name": "created_at", "nullable": false}, {"name": "updated_at"},
            {"name": "is_paid", "nullable": false}, {"name": "discount", "min": 0, "max": 1}, {"name": "note"}
        ],
        "freshness": {"column": "created_at", "max_age_hours": 24},
        "volume": {"min_rows": 1000}
    }))
    .expect("spec");
    let checks: Vec<QualityCheck> = checks::from_spec(
        &app.playbooks.quality,
        &table,
        checks::CheckOrigin::Declared,
    )
    .expect("checks");
    let dialect = dana::dialect::by_name("postgres").expect("dialect");
    let mut batched_times = Vec::new();
    let mut single_times = Vec::new();
    let mut statements = 0;
    for _ in 0..runs {
        let t0 = Instant::now();
        let result = run::run_checks(&app, &ds, &checks, 5, &NoProgress)
            .await
            .expect("run");
        batched_times.push(t0.elapsed());
        statements = result.statements;
        assert_eq!(result.summary.errors, 0, "{result:?}");
        let t0 = Instant::now();
        for check in &checks {
            let sql = checks::render(&app.templates, &app.playbooks.quality, dialect, check, 5)
                .expect("render")
                .expect("supported");
            ds.fetch(&sql.standalone, &[]).await.expect("single");
        }
        single_times.push(t0.elapsed());
    }
    let batched = median(batched_times);
    let single = median(single_times);
    let scan_checks = checks.len();
    println!(
        "dana quality benchmark: PostgreSQL, dana_bench.orders, {rows} rows x 12 columns, median of {runs} runs, load {load_before} -> {}",
        load()
    );
    println!("  SELECT count(*)              {:>10.1} ms", ms(count));
    println!(
        "  profile, defaults            {:>10.1} ms   ratio {:.2}x count(*)  (target <= 3x; sample {sample_rows} rows, {estimated_columns} columns with estimated statistics)",
        ms(prof),
        ms(prof) / ms(count)
    );
    println!(
        "  profile, exact_stats 1M     {:>10.1} ms   ratio {:.2}x count(*)  (means, text statistics, unindexed numeric min/max from the sample)",
        ms(sampled),
        ms(sampled) / ms(count)
    );
    if let Some(exact) = exact {
        println!(
            "  profile, distinct exact too {:>10.1} ms   ratio {:.2}x count(*)  (one run)",
            ms(exact),
            ms(exact) / ms(count)
        );
    }
    println!(
        "  {scan_checks} checks batched ({statements} statements) {:>10.1} ms",
        ms(batched)
    );
    println!(
        "  {scan_checks} checks one query each      {:>10.1} ms   batched is {:.2}x faster",
        ms(single),
        ms(single) / ms(batched)
    );
}
