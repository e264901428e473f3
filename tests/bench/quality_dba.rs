//! Benchmark (not a test): `run_quality_checks` of 10 checks on one PostgreSQL table of
//! 1 million rows (`DANA_BENCH_ROWS`) against the minimal SQL a DBA would write for the
//! same checks, run directly on the same server: ONE scan for the row-level checks and
//! the volume (`count(*) FILTER (WHERE ...)` per check), one aggregate for the uniqueness
//! check and one anti-join for the referential check. Side by side in one run, medians
//! of `DANA_BENCH_RUNS` (default 7) alternating runs; both must observe the same numbers.
//! Target (issue 16): dana at most 1.5x the DBA's SQL.
//!
//! Run: `DANA_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test cargo bench --bench quality_dba`
//! The tables are created once in schema `dana_bench_dba` and reused while the row
//! count matches.
#![allow(clippy::print_stdout)] // a benchmark prints its figures on stdout

use std::time::{Duration, Instant};

use dana::App;
use dana::domain::quality::{NoProgress, QualityCheck, TableSpec, checks, run};

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "?".to_string())
}

/// The DBA's row-level scan: one pass, one FILTER per check, the row count for volume.
const DBA_SCAN: &str = "SELECT count(*) AS volume,
  count(*) FILTER (WHERE customer_id IS NULL) AS customer_id_null,
  count(*) FILTER (WHERE email IS NULL) AS email_null,
  count(*) FILTER (WHERE amount < 0 OR amount > 100000) AS amount_range,
  count(*) FILTER (WHERE quantity < 0 OR quantity > 9) AS quantity_range,
  count(*) FILTER (WHERE status NOT IN ('new', 'paid', 'shipped', 'done', 'void')) AS status_values,
  count(*) FILTER (WHERE country NOT IN ('DE', 'FR', 'US', 'GB')) AS country_values,
  count(*) FILTER (WHERE email !~ '^[^@]+@[^@]+$') AS email_pattern
FROM dana_bench_dba.orders";

/// Rows beyond the first per repeated order_id.
const DBA_UNIQUE: &str = "SELECT COALESCE(sum(n - 1), 0)::bigint AS dup FROM (SELECT count(*) AS n FROM dana_bench_dba.orders WHERE order_id IS NOT NULL GROUP BY order_id HAVING count(*) > 1) d";

/// Orphans: a non-NULL customer_id without a customer.
const DBA_ORPHANS: &str = "SELECT count(*) AS orphans FROM dana_bench_dba.orders o WHERE o.customer_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM dana_bench_dba.customers c WHERE c.customer_id = o.customer_id)";

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let Ok(url) = std::env::var("DANA_TEST_POSTGRES_URL") else {
        eprintln!("DANA_TEST_POSTGRES_URL is not set: nothing to benchmark");
        return;
    };
    let rows: i64 = std::env::var("DANA_BENCH_ROWS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let runs: usize = std::env::var("DANA_BENCH_RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(7);
    let admin = sqlx::PgPool::connect(&url).await.expect("connect");
    let exists: Option<i64> = sqlx::query_scalar("SELECT 1::bigint FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'dana_bench_dba' AND c.relname = 'orders'")
        .fetch_optional(&admin)
        .await
        .expect("catalog");
    let have: i64 = if exists.is_some() {
        sqlx::query_scalar("SELECT count(*) FROM dana_bench_dba.orders")
            .fetch_one(&admin)
            .await
            .expect("count")
    } else {
        0
    };
    if have != rows {
        eprintln!("creating dana_bench_dba.orders with {rows} rows ...");
        let t0 = Instant::now();
        // A few planted defects so failing checks fetch their failing keys as in real use.
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "DROP SCHEMA IF EXISTS dana_bench_dba CASCADE; CREATE SCHEMA dana_bench_dba;
             CREATE TABLE dana_bench_dba.customers (customer_id integer PRIMARY KEY, name text);
             INSERT INTO dana_bench_dba.customers SELECT g, 'customer ' || g FROM generate_series(0, 99999) g;
             CREATE TABLE dana_bench_dba.orders (
               order_id bigint, customer_id integer, amount numeric(12,2), quantity integer,
               status text, country char(2), email text, created_at timestamptz);
             INSERT INTO dana_bench_dba.orders SELECT g, CASE WHEN g % 100000 = 7 THEN 100000 + g ELSE g % 100000 END,
               (g % 100000) / 100.0, g % 10,
               (ARRAY['new','paid','shipped','done','void'])[1 + g % 5], (ARRAY['DE','FR','US','GB'])[1 + g % 4],
               CASE WHEN g % 250000 = 3 THEN NULL ELSE 'user' || (g % 500000) || '@example.com' END,
               now() - make_interval(secs => g)
             FROM generate_series(1, {rows}) g;
             UPDATE dana_bench_dba.orders SET order_id = 1 WHERE order_id IN (2, 3);
             ANALYZE dana_bench_dba.customers;"
        )))
        .execute(&admin)
        .await
        .expect("create bench tables");
        // VACUUM refuses to run inside the implicit transaction of a multi-statement batch.
        sqlx::raw_sql("VACUUM ANALYZE dana_bench_dba.orders")
            .execute(&admin)
            .await
            .expect("vacuum bench table");
        eprintln!("created in {:.1} s", t0.elapsed().as_secs_f64());
    }
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(
        dir.path().join("dana.toml"),
        "[datasources.bench]\nurl_env = \"DANA_TEST_POSTGRES_URL\"\nallow_write_capable_role = true\nschema = \"dana_bench_dba\"\nstatement_timeout_ms = 600000\n",
    )
    .expect("toml");
    let app = App::open(dir.path()).expect("app");
    let ds = app.live.get("bench").await.expect("datasource");
    let table: TableSpec = serde_json::from_value(serde_json::json!({
        "name": "orders", "schema": "dana_bench_dba",
        "columns": [
            {"name": "order_id", "unique": true},
            {"name": "customer_id", "nullable": false},
            {"name": "amount", "min": 0, "max": 100000},
            {"name": "quantity", "min": 0, "max": 9},
            {"name": "status", "accepted_values": ["new", "paid", "shipped", "done", "void"]},
            {"name": "country", "accepted_values": ["DE", "FR", "US", "GB"]},
            {"name": "email", "nullable": false, "pattern": "^[^@]+@[^@]+$"},
            {"name": "created_at"}
        ],
        "foreign_keys": [{"columns": ["customer_id"], "ref_table": "customers", "ref_columns": ["customer_id"]}],
        "volume": {"min_rows": 1000}
    }))
    .expect("spec");
    let checks: Vec<QualityCheck> = checks::from_spec(
        &app.playbooks.quality,
        &table,
        checks::CheckOrigin::Declared,
    )
    .expect("checks");
    assert_eq!(
        checks.len(),
        10,
        "{:?}",
        checks.iter().map(|c| &c.id).collect::<Vec<_>>()
    );
    // Warm both paths once.
    run::run_checks(&app, &ds, &checks, 5, &NoProgress)
        .await
        .expect("warm dana");
    sqlx::raw_sql(DBA_SCAN)
        .execute(&admin)
        .await
        .expect("warm dba");

    let load_before = load();
    let (mut dana_times, mut dba_times) = (Vec::new(), Vec::new());
    let mut statements = 0;
    let mut dana_observed = Vec::new();
    let mut dba_observed = Vec::new();
    for i in 0..runs {
        // Alternate which side goes first, so neither always gets the warmer cache.
        for side in if i % 2 == 0 { [0, 1] } else { [1, 0] } {
            let t0 = Instant::now();
            if side == 0 {
                let result = run::run_checks(&app, &ds, &checks, 5, &NoProgress)
                    .await
                    .expect("run");
                dana_times.push(t0.elapsed());
                statements = result.statements;
                assert_eq!(result.summary.errors, 0, "{result:?}");
                dana_observed = result
                    .results
                    .iter()
                    .map(|r| (r.id.clone(), r.observed.unwrap_or(-1.0)))
                    .collect();
            } else {
                let scan: (i64, i64, i64, i64, i64, i64, i64, i64) = sqlx::query_as(DBA_SCAN)
                    .fetch_one(&admin)
                    .await
                    .expect("scan");
                let dup: i64 = sqlx::query_scalar(DBA_UNIQUE)
                    .fetch_one(&admin)
                    .await
                    .expect("unique");
                let orphans: i64 = sqlx::query_scalar(DBA_ORPHANS)
                    .fetch_one(&admin)
                    .await
                    .expect("orphans");
                dba_times.push(t0.elapsed());
                dba_observed = vec![
                    scan.0, scan.1, scan.2, scan.3, scan.4, scan.5, scan.6, scan.7, dup, orphans,
                ];
            }
        }
    }
    let dana = median(dana_times);
    let dba = median(dba_times);
    let mut dana_sorted: Vec<i64> = dana_observed.iter().map(|(_, v)| *v as i64).collect();
    let mut dba_sorted = dba_observed.clone();
    dana_sorted.sort_unstable();
    dba_sorted.sort_unstable();
    assert_eq!(
        dana_sorted, dba_sorted,
        "dana and the DBA's SQL disagree: {dana_observed:?} vs {dba_observed:?}"
    );
    println!(
        "dana vs DBA SQL: PostgreSQL, dana_bench_dba.orders, {rows} rows, 10 checks, median of {runs} runs, load {load_before} -> {}",
        load()
    );
    println!(
        "  run_quality_checks ({statements} statements, failing keys included) {:>10.1} ms",
        ms(dana)
    );
    println!(
        "  DBA SQL (1 scan + 1 GROUP BY + 1 anti-join)          {:>10.1} ms",
        ms(dba)
    );
    println!(
        "  ratio dana / DBA {:.2}x (target <= 1.5x)",
        ms(dana) / ms(dba)
    );
}
