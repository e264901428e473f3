//! Orchestrator code from `design_pipeline` (`orchestrators`): every generated file
//! compiles and passes `ruff check`; the Airflow DAGs load in a DagBag with the designed
//! tasks, dependencies, schedule and retries; the Dagster definitions validate and their
//! dry run materializes every partition step; the Prefect flows run their dry path; the
//! demo pipeline's files are golden; hostile names keep the files valid and the names exact.

use std::path::{Path, PathBuf};
use std::process::Command;

use dana::codegen::orchestrate::OrchestratorCode;
use dana::domain::pipeline::{self, DesignPipelineParams};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use serde_json::{Value, json};

use super::books;
use crate::common::{Harness, engine};

/// The design for `v` with code for all three orchestrators.
fn code(mut v: Value) -> OrchestratorCode {
    v["orchestrators"] = json!(["airflow", "dagster", "prefect"]);
    let params: DesignPipelineParams = serde_json::from_value(v).expect("params");
    pipeline::design(&books().pipeline, &params)
        .expect("design")
        .code
        .expect("code")
}

/// The demo's pipeline: orders from the shop's PostgreSQL into the fact table, hourly.
fn demo() -> Value {
    json!({
        "name": "orders_to_fct_orders",
        "owner": "data-platform",
        "schedule": "0 * * * *",
        "sla_minutes": 30,
        "tier": 2,
        "source": {"system": "shop_postgres", "kind": "database", "object": "public.orders", "rows": 40000000, "supports_cdc": false, "updated_at_column": "updated_at"},
        "target": {"system": "snowflake", "table": "analytics.fct_orders", "data_kind": "mutable_fact", "merge_keys": ["order_id"], "clustering_keys": ["order_date"], "track_deletes": false},
        "late_window_hours": 2,
        "rerun_tested": true,
        "reconciliation": true,
        "alert_channels": ["#data-alerts", "pagerduty:data-oncall"]
    })
}

/// Representative designs: incremental with a watermark (the demo), CDC with merge
/// statements, a full reload of reference data, partitioned event data.
fn cases() -> Vec<(&'static str, Value)> {
    vec![
        ("incremental", demo()),
        (
            "cdc",
            json!({
                "name": "customers_cdc", "schedule": "*/15 * * * *", "tier": 1, "sla_minutes": 10,
                "source": {"system": "crm_postgres", "kind": "database", "object": "public.customers", "supports_cdc": true},
                "target": {"system": "postgres", "table": "dim_customer", "data_kind": "dimension", "merge_keys": ["customer_id"], "columns": ["email", "country"], "track_deletes": true},
                "alert_channels": ["pagerduty:crm"]
            }),
        ),
        (
            "full_reload",
            json!({
                "name": "currency_rates", "schedule": "30 2 * * *", "tier": 3,
                "source": {"system": "erp_mysql", "kind": "database", "object": "rates", "rows": 5000, "supports_cdc": false, "updated_at_column": ""},
                "target": {"system": "bigquery", "table": "ref_currency_rate", "data_kind": "reference", "track_deletes": false},
                "pre_load_checks": ["rate > 0 for every row"], "post_load_checks": []
            }),
        ),
        (
            "partitioned",
            json!({
                "name": "page_views", "schedule": "0 6 * * 1", "sla_minutes": 120, "max_retries": 5,
                "source": {"system": "events_pg", "kind": "database", "object": "page_views", "supports_cdc": false, "updated_at_column": "created_at"},
                "target": {"system": "snowflake", "table": "fct_page_view", "data_kind": "event", "partition_key": "view_date"},
                "late_window_hours": 6, "alert_channels": ["#web"]
            }),
        ),
    ]
}

/// Writes every case's files under `dir/<case>/`; returns `(case, orchestrator, path)`.
fn write_cases(dir: &Path, cases: &[(String, OrchestratorCode)]) -> Vec<(String, String, PathBuf)> {
    let mut out = Vec::new();
    for (case, code) in cases {
        for f in &code.files {
            let path = dir.join(case).join(&f.path);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(&path, &f.content).expect("write");
            let orchestrator = f.path.split('/').next().expect("orchestrator dir");
            out.push((case.clone(), orchestrator.to_string(), path));
        }
    }
    out
}

fn generated(dir: &Path) -> Vec<(String, String, PathBuf)> {
    let cases: Vec<(String, OrchestratorCode)> = cases()
        .into_iter()
        .map(|(name, v)| (name.to_string(), code(v)))
        .collect();
    write_cases(dir, &cases)
}

/// Runs a command; panics with its output unless it succeeds; returns stdout.
fn run(cmd: &mut Command, what: &str) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{what} failed\nstdout:\n{stdout}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// `py_compile` of every file with `python`, then `ruff check` with its default rules.
fn compile_and_lint(python: &str, ruff: &str, files: &[PathBuf]) {
    run(
        Command::new(python).args(["-m", "py_compile"]).args(files),
        "py_compile",
    );
    run(
        Command::new(ruff)
            .args(["check", "--isolated", "--no-cache", "--quiet"])
            .args(files),
        "ruff check",
    );
}

/// The last stdout line as JSON (engines log above it).
fn last_json(stdout: &str) -> Value {
    let line = stdout
        .lines()
        .rev()
        .find(|l| l.starts_with('{'))
        .unwrap_or("");
    serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

#[test]
fn generated_python_compiles_and_passes_ruff() {
    let (Some(python), Some(ruff)) = (engine("DANA_TEST_PREFECT_PYTHON"), engine("DANA_TEST_RUFF"))
    else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let files: Vec<PathBuf> = generated(dir.path())
        .into_iter()
        .map(|(_, _, p)| p)
        .collect();
    assert_eq!(files.len(), 12, "4 cases x 3 orchestrators");
    compile_and_lint(&python, &ruff, &files);
}

/// Loads each DAG file in a DagBag and prints, per file, its import errors and the DAG's
/// structure.
const AIRFLOW_PROBE: &str = r#"
import json, sys
from datetime import UTC, datetime
from airflow.dag_processing.dagbag import DagBag
out = {}

def dry_path(dag):
    """Each task's callable in order on one window with dry_run on (no scheduler, no DB)."""
    tasks = {t.task_id: t for t in dag.tasks}
    win = tasks["plan_window"].python_callable(
        data_interval_start=datetime(2024, 3, 1, tzinfo=UTC), data_interval_end=datetime(2024, 3, 1, 1, tzinfo=UTC))
    steps = ["extract_step", "pre_load_checks", "load_step", "post_load_checks"]
    return {"window": win, "results": [tasks[t].python_callable(win, params={"dry_run": True}) for t in steps]}

for path in sys.argv[1:]:
    bag = DagBag(dag_folder=path)
    dags = []
    for dag in bag.dags.values():
        t = dag.timetable
        dags.append({
            "dag_id": dag.dag_id,
            "description": dag.description,
            "cron": t.expression, "interval_s": t.interval.total_seconds(),
            "catchup": dag.catchup, "max_active_runs": dag.max_active_runs,
            "dagrun_timeout_s": dag.dagrun_timeout.total_seconds() if dag.dagrun_timeout else None,
            "fail_fast": dag.fail_fast,
            "dry_run": dag.params["dry_run"],
            "dry": dry_path(dag),
            "tasks": {task.task_id: {
                "upstream": sorted(task.upstream_task_ids),
                "retries": task.retries,
                "retry_delay_s": task.retry_delay.total_seconds(),
                "backoff": task.retry_exponential_backoff,
                "max_retry_delay_s": task.max_retry_delay.total_seconds(),
                "alerts": bool(task.on_failure_callback),
            } for task in dag.tasks},
        })
    out[path] = {"import_errors": {k: str(v) for k, v in bag.import_errors.items()}, "dags": dags}
print(json.dumps(out))
"#;

fn airflow_probe(python: &str, files: &[&PathBuf], home: &Path) -> Value {
    last_json(&run(
        Command::new(python)
            .arg("-c")
            .arg(AIRFLOW_PROBE)
            .args(files)
            .env("AIRFLOW_HOME", home)
            .env("AIRFLOW__CORE__LOAD_EXAMPLES", "false"),
        "airflow DagBag",
    ))
}

#[test]
fn airflow_dags_load_with_designed_structure() {
    let Some(python) = engine("DANA_TEST_AIRFLOW_PYTHON") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let files = generated(dir.path());
    let dags: Vec<&PathBuf> = files
        .iter()
        .filter(|f| f.1 == "airflow")
        .map(|f| &f.2)
        .collect();
    let out = airflow_probe(&python, &dags, dir.path());
    let by_case = |case: &str| {
        let path = dir.path().join(case).join("airflow");
        let (_, v) = out
            .as_object()
            .expect("object")
            .iter()
            .find(|(p, _)| Path::new(p).starts_with(&path))
            .unwrap_or_else(|| panic!("{case} in {out}"));
        assert_eq!(v["import_errors"], json!({}), "{case}");
        assert_eq!(v["dags"].as_array().expect("dags").len(), 1, "{case}");
        v["dags"][0].clone()
    };
    let chain = json!({
        "plan_window": [], "extract_step": ["plan_window"],
        "pre_load_checks": ["extract_step", "plan_window"], "load_step": ["plan_window", "pre_load_checks"],
        "post_load_checks": ["load_step", "plan_window"]
    });
    for (case, cron, interval, timeout, retries, fail_fast) in [
        ("incremental", "0 * * * *", 3600.0, json!(1800.0), 3, false),
        ("cdc", "*/15 * * * *", 86400.0, json!(600.0), 3, true),
        ("full_reload", "30 2 * * *", 86400.0, json!(null), 3, false),
        (
            "partitioned",
            "0 6 * * 1",
            604800.0,
            json!(7200.0),
            5,
            false,
        ),
    ] {
        let dag = by_case(case);
        assert_eq!(dag["cron"], cron, "{case}");
        assert_eq!(dag["interval_s"], interval, "{case}");
        assert_eq!(dag["dagrun_timeout_s"], timeout, "{case}");
        assert_eq!(dag["fail_fast"], fail_fast, "{case}");
        assert_eq!(dag["catchup"], false, "{case}");
        assert_eq!(dag["max_active_runs"], 1, "{case}");
        assert_eq!(dag["dry_run"], true, "{case}");
        let tasks = dag["tasks"].as_object().expect("tasks");
        for (id, upstream) in chain.as_object().expect("chain") {
            let t = &tasks[id];
            assert_eq!(&t["upstream"], upstream, "{case} {id}");
            assert_eq!(t["retries"], retries, "{case} {id}");
            assert_eq!(t["retry_delay_s"], 300.0, "{case} {id}");
            assert_eq!(t["backoff"], 2.0, "{case} {id}");
            assert_eq!(t["max_retry_delay_s"], 3600.0, "{case} {id}");
            assert_eq!(t["alerts"], true, "{case} {id}");
        }
        assert_eq!(tasks.len(), 5, "{case}");
    }
    let demo = by_case("incremental");
    assert_eq!(demo["dag_id"], "orders_to_fct_orders");
    // The dry path runs every step on the window widened back by the 2 h late window.
    assert_eq!(
        demo["dry"],
        json!({"window": {"start": "2024-02-29T22:00:00+00:00", "end": "2024-03-01T01:00:00+00:00"}, "results": [0, [], 0, []]})
    );
    assert_eq!(by_case("cdc")["dry"]["results"], json!([0, [], 0, []]));
}

/// Validates nothing itself: loads each definitions file, prints its asset graph and
/// checks, then runs the job's dry run for one partition.
const DAGSTER_PROBE: &str = r#"
import importlib.util, json, sys
import dagster as dg
out = {}
for i, path in enumerate(sys.argv[1:]):
    spec = importlib.util.spec_from_file_location(f"generated_{i}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    defs = module.defs
    graph = defs.resolve_asset_graph()
    assets = {k.to_user_string(): sorted(p.to_user_string() for p in graph.get(k).parent_keys) for k in graph.get_all_asset_keys()}
    job = defs.resolve_job_def(module.job.name)
    partitions = module.PARTITIONS.get_partition_keys()
    result = job.execute_in_process(partition_key=partitions[len(partitions) // 2], raise_on_error=False)
    checks = sorted(
        (e.asset_check_evaluation_data.asset_check_key.to_user_string(), e.asset_check_evaluation_data.passed)
        for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION")
    out[path] = {
        "assets": assets,
        "checks": sorted(k.to_user_string() for k in graph.asset_check_keys),
        "evaluated": checks,
        "success": result.success,
        "job": job.name, "tags": job.tags,
        "schedule": [s.cron_schedule for s in defs.schedules],
        "sensors": [s.name for s in defs.sensors],
        "retry": [module.RETRY.max_retries, module.RETRY.delay, module.RETRY.backoff.value],
        "pipeline": module.PIPELINE,
    }
print(json.dumps(out, default=str))
"#;

fn dagster_bin(python: &str) -> PathBuf {
    Path::new(python).with_file_name("dagster")
}

fn dagster_probe(python: &str, files: &[&PathBuf], home: &Path) -> Value {
    for f in files {
        run(
            Command::new(dagster_bin(python))
                .args(["definitions", "validate", "-f"])
                .arg(f)
                .env("DAGSTER_HOME", home),
            "dagster definitions validate",
        );
    }
    last_json(&run(
        Command::new(python)
            .arg("-c")
            .arg(DAGSTER_PROBE)
            .args(files)
            .env("DAGSTER_HOME", home),
        "dagster probe",
    ))
}

#[test]
fn dagster_definitions_validate_and_dry_run() {
    let Some(python) = engine("DANA_TEST_DAGSTER_PYTHON") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let files = generated(dir.path());
    let defs: Vec<&PathBuf> = files
        .iter()
        .filter(|f| f.1 == "dagster")
        .map(|f| &f.2)
        .collect();
    let out = dagster_probe(&python, &defs, dir.path());
    let by_case = |case: &str| {
        let path = dir.path().join(case);
        out.as_object()
            .expect("object")
            .iter()
            .find(|(p, _)| Path::new(p).starts_with(&path))
            .unwrap_or_else(|| panic!("{case} in {out}"))
            .1
            .clone()
    };
    let demo = by_case("incremental");
    assert_eq!(
        demo["assets"],
        json!({"orders_to_fct_orders_staged": [], "analytics_fct_orders": ["orders_to_fct_orders_staged"]})
    );
    assert_eq!(
        demo["checks"],
        json!([
            "analytics_fct_orders:qg_post_freshness",
            "analytics_fct_orders:qg_post_reconcile",
            "analytics_fct_orders:qg_post_unique",
            "orders_to_fct_orders_staged:qg_pre_required",
            "orders_to_fct_orders_staged:qg_pre_schema",
            "orders_to_fct_orders_staged:qg_pre_volume"
        ])
    );
    assert_eq!(demo["schedule"], json!(["0 * * * *"]));
    assert_eq!(demo["tags"]["dagster/max_runtime"], "1800");
    assert_eq!(demo["retry"], json!([3, 300, "EXPONENTIAL"]));
    assert_eq!(demo["sensors"], json!(["alert_on_failure"]));
    for case in ["incremental", "cdc", "full_reload", "partitioned"] {
        let v = by_case(case);
        assert_eq!(v["success"], true, "{case}: the dry run materializes: {v}");
        let evaluated = v["evaluated"].as_array().expect("evaluated");
        assert_eq!(
            evaluated.len(),
            v["checks"].as_array().expect("checks").len(),
            "{case}"
        );
    }
    assert_eq!(
        by_case("full_reload")["checks"],
        json!(["currency_rates_staged:pre_load_1"])
    );
    assert_eq!(by_case("partitioned")["schedule"], json!(["0 6 * * 1"]));
    assert_eq!(
        by_case("partitioned")["retry"],
        json!([5, 300, "EXPONENTIAL"])
    );
}

/// Runs each flow's dry path for one window (one process: the ephemeral API server starts
/// once) and prints the window each returned.
const PREFECT_PROBE: &str = r#"
import importlib.util, json, sys
from datetime import UTC, datetime
from prefect.flows import Flow
out = {}
for i, path in enumerate(sys.argv[1:]):
    spec = importlib.util.spec_from_file_location(f"generated_{i}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    flows = [v for v in vars(module).values() if isinstance(v, Flow)]
    assert len(flows) == 1, flows
    flow = flows[0]
    win = flow(window_start=datetime(2024, 3, 1, tzinfo=UTC), window_end=datetime(2024, 3, 2, tzinfo=UTC), dry_run=True)
    out[path] = {"name": flow.name, "window": win, "timeout": flow.timeout_seconds,
                 "retries": module.TASK_OPTIONS, "pipeline": module.PIPELINE}
print(json.dumps(out))
"#;

fn prefect_probe(python: &str, files: &[&PathBuf], home: &Path) -> Value {
    last_json(&run(
        Command::new(python)
            .arg("-c")
            .arg(PREFECT_PROBE)
            .args(files)
            .env("PREFECT_HOME", home)
            .env_remove("PREFECT_API_URL")
            .env("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120"),
        "prefect dry run",
    ))
}

#[test]
fn prefect_flows_run_their_dry_path() {
    let Some(python) = engine("DANA_TEST_PREFECT_PYTHON") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let files = generated(dir.path());
    let flows: Vec<&PathBuf> = files
        .iter()
        .filter(|f| f.1 == "prefect")
        .map(|f| &f.2)
        .collect();
    let out = prefect_probe(&python, &flows, dir.path());
    let runs: Vec<&Value> = out.as_object().expect("object").values().collect();
    assert_eq!(runs.len(), 4);
    let demo = runs
        .iter()
        .find(|r| r["name"] == "orders_to_fct_orders")
        .expect("demo flow");
    // The late window (2 h) widens the window back.
    assert_eq!(
        demo["window"],
        json!({"start": "2024-02-29T22:00:00+00:00", "end": "2024-03-02T00:00:00+00:00"})
    );
    assert_eq!(demo["timeout"], 1800.0);
    assert_eq!(
        demo["retries"],
        json!({"retries": 3, "retry_delay_seconds": [300, 600, 1200]})
    );
    let page_views = runs
        .iter()
        .find(|r| r["name"] == "page_views")
        .expect("page_views");
    assert_eq!(
        page_views["retries"]["retry_delay_seconds"],
        json!([300, 600, 1200, 2400, 3600]),
        "capped at the playbook's max delay"
    );
}

/// The demo's files, byte for byte (`DANA_UPDATE_GOLDEN=1` rewrites them).
#[test]
fn golden_demo_orchestrator_files() {
    let code = code(demo());
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/ops/fixtures/orchestrate");
    let update = std::env::var_os("DANA_UPDATE_GOLDEN").is_some();
    for f in &code.files {
        let path = dir.join(&f.path);
        if update {
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(&path, &f.content).expect("write golden");
            continue;
        }
        let want = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{}: {e} (DANA_UPDATE_GOLDEN=1 writes it)", path.display()));
        assert!(
            want == f.content,
            "{} differs; DANA_UPDATE_GOLDEN=1 rewrites it",
            f.path
        );
    }
    let notes = code.notes.join("\n");
    assert!(
        notes.contains("airflow backfill create --dag-id orders_to_fct_orders"),
        "{notes}"
    );
    assert!(notes.contains("dagster job backfill"), "{notes}");
}

#[test]
fn unscheduled_strategies_say_why() {
    let stream = code(json!({
        "name": "clicks", "source": {"system": "kafka", "kind": "stream", "object": "clicks"},
        "target": {"system": "snowflake", "table": "fct_click", "data_kind": "event"}
    }));
    assert!(stream.files.is_empty());
    assert!(
        stream.notes[0].contains("consumer group"),
        "{:?}",
        stream.notes
    );
    let undecided = code(json!({
        "name": "orders", "source": {"system": "pg", "kind": "database"},
        "target": {"system": "snowflake", "table": "fct_order", "data_kind": "mutable_fact"}
    }));
    assert!(undecided.files.is_empty());
    assert!(
        undecided.notes[0].contains("questions"),
        "{:?}",
        undecided.notes
    );
}

#[tokio::test]
async fn bad_orchestrator_names_the_field() {
    let h = Harness::new().await;
    let mut args = demo();
    args["orchestrators"] = json!(["luigi"]);
    let err = h.err("design_pipeline", args).await;
    assert!(err.contains("luigi") && err.contains("airflow"), "{err}");
    let mut args = demo();
    args["orchestrators"] = json!(["airflow", "airflow"]);
    let ok = h.ok("design_pipeline", args.clone()).await;
    assert_eq!(ok["code"]["files"].as_array().expect("files").len(), 1);
    let server = dana::server::DanaServer::new(h.app.clone(), None).expect("server");
    let outcome = server
        .call_detached("design_pipeline", args)
        .await
        .expect("detached call");
    let rendered = outcome.rendered.expect("markdown");
    assert!(
        rendered.contains("`airflow/orders_to_fct_orders.py`"),
        "{rendered}"
    );
}

/// Text that breaks naive code generation: quotes, backslashes, newlines, NUL and control
/// characters, triple quotes, Jinja and f-string braces, keywords, unicode.
fn hostile() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("\"\"\"".to_string()),
        Just("'''".to_string()),
        Just("\\".to_string()),
        Just("\n".to_string()),
        Just("\r\n".to_string()),
        Just("\0".to_string()),
        Just("{{ x }}".to_string()),
        Just("{%".to_string()),
        Just("{PIPELINE}".to_string()),
        Just("class".to_string()),
        Just("match".to_string()),
        Just("print".to_string()),
        Just("None".to_string()),
        Just("log".to_string()),
        Just("# ".to_string()),
        Just("\u{202e}".to_string()),
        Just("😀".to_string()),
        Just("ü".to_string()),
        "[a-z0-9_ .-]{1,6}",
        any::<char>().prop_map(String::from),
    ];
    proptest::collection::vec(piece, 1..6)
        .prop_map(|p| p.concat())
        .prop_filter("not blank", |s| !s.trim().is_empty())
}

/// A design whose every user-given name is hostile.
fn hostile_design(names: &[String]) -> Value {
    json!({
        "name": names[0], "owner": names[1], "schedule": "0 * * * *", "sla_minutes": 30,
        "source": {"system": names[2], "kind": "database", "object": names[3], "supports_cdc": false, "updated_at_column": "updated_at"},
        "target": {"system": names[4], "table": names[5], "data_kind": "mutable_fact", "merge_keys": [names[6]], "track_deletes": false},
        "pre_load_checks": [names[7]], "post_load_checks": [names[8], format!("QG-X: {}", names[9])],
        "alert_channels": [names[10]]
    })
}

/// Reads every file's `PIPELINE` and checks back with `ast` (no import), one process.
const NAMES_PROBE: &str = r#"
import ast, json, sys
out = {}
for path in sys.argv[1:]:
    tree = ast.parse(open(path, encoding="utf-8").read())
    found = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            found[node.targets[0].id] = node.value
        if isinstance(node, ast.AnnAssign):
            found[node.target.id] = node.value
    out[path] = {k: ast.literal_eval(found[k]) for k in ("PIPELINE", "PRE_LOAD_CHECKS", "POST_LOAD_CHECKS")}
print(json.dumps(out))
"#;

#[test]
fn hostile_names_compile_lint_and_stay_exact() {
    let (Some(python), Some(ruff)) = (engine("DANA_TEST_PREFECT_PYTHON"), engine("DANA_TEST_RUFF"))
    else {
        return;
    };
    let cases: u32 = std::env::var("DANA_FUZZ_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(64);
    let mut runner = TestRunner::deterministic();
    let strategy = proptest::collection::vec(hostile(), 11);
    let mut designs = Vec::new();
    for i in 0..cases {
        let names = strategy.new_tree(&mut runner).expect("names").current();
        designs.push((
            format!("case{i}"),
            names.clone(),
            code(hostile_design(&names)),
        ));
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let batch: Vec<(String, OrchestratorCode)> = designs
        .iter()
        .map(|(c, _, code)| (c.clone(), code.clone()))
        .collect();
    let files = write_cases(dir.path(), &batch);
    let paths: Vec<PathBuf> = files.iter().map(|f| f.2.clone()).collect();
    compile_and_lint(&python, &ruff, &paths);
    let read = last_json(&run(
        Command::new(&python)
            .arg("-c")
            .arg(NAMES_PROBE)
            .args(&paths),
        "read names back",
    ));
    for (case, _, path) in &files {
        let (_, names, _) = designs.iter().find(|d| &d.0 == case).expect("case");
        let got = &read[path.to_str().expect("utf-8 path")];
        let p = &got["PIPELINE"];
        assert_eq!(p["name"], names[0], "{case}");
        assert_eq!(p["owner"], names[1], "{case}");
        assert_eq!(p["source"], names[2], "{case}");
        assert_eq!(p["source_object"], names[3], "{case}");
        assert_eq!(p["target"], names[4], "{case}");
        assert_eq!(p["target_table"], names[5], "{case}");
        assert_eq!(p["merge_keys"], json!([names[6]]), "{case}");
        assert_eq!(
            got["PRE_LOAD_CHECKS"],
            json!([["PRE-LOAD-1", names[7]]]),
            "{case}"
        );
        assert_eq!(
            got["POST_LOAD_CHECKS"][1],
            json!(["QG-X", names[9]]),
            "{case}"
        );
        assert_eq!(p["alert_channels"], json!([names[10]]), "{case}");
    }
}

/// A few hostile designs through the engines themselves.
#[test]
fn hostile_names_load_in_the_engines() {
    let (Some(airflow), Some(dagster), Some(prefect)) = (
        engine("DANA_TEST_AIRFLOW_PYTHON"),
        engine("DANA_TEST_DAGSTER_PYTHON"),
        engine("DANA_TEST_PREFECT_PYTHON"),
    ) else {
        return;
    };
    let mut runner = TestRunner::deterministic();
    let strategy = proptest::collection::vec(hostile(), 11);
    let mut batch = Vec::new();
    let mut all_names = Vec::new();
    for i in 0..3 {
        let mut names = strategy.new_tree(&mut runner).expect("names").current();
        if i == 0 {
            names[0] = "class".to_string();
            names[5] = "target".to_string();
        }
        batch.push((format!("case{i}"), code(hostile_design(&names))));
        all_names.push(names);
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let files = write_cases(dir.path(), &batch);
    let of =
        |o: &str| -> Vec<&PathBuf> { files.iter().filter(|f| f.1 == o).map(|f| &f.2).collect() };
    let af = airflow_probe(&airflow, &of("airflow"), dir.path());
    for (path, v) in af.as_object().expect("object") {
        assert_eq!(v["import_errors"], json!({}), "{path}");
        assert_eq!(
            v["dags"][0]["tasks"].as_object().expect("tasks").len(),
            5,
            "{path}"
        );
    }
    let dg = dagster_probe(&dagster, &of("dagster"), dir.path());
    let pf = prefect_probe(&prefect, &of("prefect"), dir.path());
    for (i, names) in all_names.iter().enumerate() {
        let case = dir.path().join(format!("case{i}"));
        let pick = |out: &Value| {
            out.as_object()
                .expect("object")
                .iter()
                .find(|(p, _)| Path::new(p).starts_with(&case))
                .expect("case")
                .1
                .clone()
        };
        let d = pick(&dg);
        assert_eq!(d["success"], true, "{d}");
        assert_eq!(d["pipeline"]["name"], names[0]);
        assert_eq!(pick(&pf)["pipeline"]["target_table"], names[5]);
        let a = pick(&af);
        assert_eq!(a["dags"][0]["description"], names[0]);
    }
}
