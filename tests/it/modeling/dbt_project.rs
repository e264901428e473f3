//! generate_ddl with `format: dbt`: the demo's model as a dbt project.
//! - golden files of the demo's project (DuckDB), every YAML file parsed, every file
//!   parsed and rendered as Jinja with stand-ins for dbt's functions;
//! - hostile names (keywords, quotes, backslashes, `{{`, `{%`, Unicode): the project
//!   still parses and every name comes back exactly;
//! - bad input: errors naming the field;
//! - with `DANA_TEST_DBT`: `dbt build` on DuckDB and PostgreSQL over the demo's sample
//!   with its planted defects: every model builds, exactly the planted defects' source
//!   tests warn, the marts' columns and types are generate_ddl's, and a second run (the
//!   incremental SCD2 path) versions a changed customer.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use dana::App;
use dana::dialect::{self, SqlDialect, ident};
use dana::domain::modeling::ddl::generate_dbt;
use dana::domain::modeling::{GenerateDdlParams, ModelSpec};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Value, json};

use crate::common::{Harness, engine, postgres_url, unique_name};

fn embedded_yaml(name: &str) -> Value {
    serde_norway::from_str(dana::render::embedded(name).expect("embedded")).expect("yaml")
}

/// The declared checks of the demo's expectations, as the demo generates them.
async fn demo_checks(h: &Harness, yesterday: &str) -> Vec<Value> {
    let text = h
        .app
        .templates
        .render("demo/expectations.yaml.j2", json!({"yesterday": yesterday}))
        .expect("expectations");
    let tables: Vec<Value> = serde_norway::from_str(&text).expect("expectations yaml");
    let mut checks = Vec::new();
    for table in tables {
        let out = h
            .ok(
                "generate_quality_checks",
                json!({"table": table, "dialect": "duckdb"}),
            )
            .await;
        checks.extend(out["checks"].as_array().expect("checks").iter().cloned());
    }
    checks
}

/// The demo's dbt inputs with `checks`, for `dialect` (PostgreSQL spells the calendar
/// functions differently).
fn demo_inputs(checks: &[Value], dialect: &str) -> Value {
    let mut inputs = embedded_yaml("demo/dbt.yaml");
    inputs["checks"] = json!(checks);
    if dialect == "postgres" {
        inputs["tables"]["dim_dates"]["columns"] = json!({
            "calendar_date": "order_date",
            "day_of_week": "to_char(order_date, 'FMDay')",
            "month_name": "to_char(order_date, 'FMMonth')",
            "quarter_number": "extract(quarter from order_date)",
            "year_number": "extract(year from order_date)",
            "is_weekend": "extract(isodow from order_date) in (6, 7)",
        });
    }
    inputs
}

async fn project(h: &Harness, dialect: &str, inputs: Value) -> Vec<(String, String)> {
    let out = h
        .ok(
            "generate_ddl",
            json!({"model": embedded_yaml("demo/model.yaml"), "dialect": dialect, "format": "dbt", "dbt": inputs}),
        )
        .await;
    files(&out)
}

fn files(out: &Value) -> Vec<(String, String)> {
    out["files"]
        .as_array()
        .expect("files")
        .iter()
        .map(|f| {
            (
                f["path"].as_str().expect("path").to_string(),
                f["content"].as_str().expect("content").to_string(),
            )
        })
        .collect()
}

/// A Jinja environment with stand-ins for dbt's `ref`, `source`, `config`,
/// `is_incremental` and `this`: `ref('m')` renders `<ref:m>`, `source('s', 't')`
/// `<source:s.t>`.
fn jinja(incremental: bool) -> minijinja::Environment<'static> {
    let mut env = minijinja::Environment::new();
    env.add_function("ref", |m: String| format!("<ref:{m}>"));
    env.add_function("source", |s: String, t: String| format!("<source:{s}.{t}>"));
    env.add_function("config", |_: minijinja::value::Kwargs| String::new());
    env.add_function("is_incremental", move || incremental);
    env.add_global("this", "<this>");
    env
}

fn render(text: &str, incremental: bool) -> String {
    jinja(incremental)
        .render_str(text, minijinja::context! {})
        .unwrap_or_else(|e| panic!("{e:#}\n{text}"))
}

/// Every YAML file parses; every SQL file parses and renders as Jinja both ways; every
/// string of a YAML file renders as Jinja. Returns the parsed YAML files by path.
fn check_parses(files: &[(String, String)]) -> BTreeMap<String, Value> {
    let mut docs = BTreeMap::new();
    for (path, text) in files {
        if path.ends_with(".yml") {
            let doc: Value =
                serde_norway::from_str(text).unwrap_or_else(|e| panic!("{path}: {e}\n{text}"));
            render_strings(&doc);
            docs.insert(path.clone(), doc);
        } else if path.ends_with(".sql") && !path.starts_with("tests/generic") {
            render(text, false);
            render(text, true);
        }
    }
    docs
}

fn render_strings(value: &Value) {
    match value {
        Value::String(s) => {
            render(s, false);
        }
        Value::Array(items) => items.iter().for_each(render_strings),
        Value::Object(map) => map.values().for_each(render_strings),
        _ => {}
    }
}

#[tokio::test]
async fn demo_project_is_golden_and_parses() {
    let h = Harness::new().await;
    let checks = demo_checks(&h, "2026-01-01").await;
    let files = project(&h, "duckdb", demo_inputs(&checks, "duckdb")).await;
    let docs = check_parses(&files);
    let paths: Vec<&str> = files.iter().map(|(p, _)| p.as_str()).collect();
    for expected in [
        "dbt_project.yml",
        "models/staging/_sources.yml",
        "models/staging/stg_dim_customers.sql",
        "models/staging/stg_fct_order_lines.sql",
        "models/marts/dim_customers.sql",
        "models/marts/fct_order_lines.sql",
        "models/marts/_marts.yml",
        "models/exposures.yml",
        "tests/generic/dana_tests.sql",
    ] {
        assert!(paths.contains(&expected), "{expected} missing: {paths:?}");
    }
    // Every declared check of a source table is a named test there.
    let sources = &docs["models/staging/_sources.yml"];
    let text = serde_json::to_string(sources).expect("json");
    for check in &checks {
        let id = check["id"].as_str().expect("id");
        let kind = check["kind"].as_str().expect("kind");
        if kind != "DQ-CUSTOM-SQL" {
            assert!(
                text.contains(&format!("\"{}\"", ident::ascii_word(id))),
                "{id} not a test: {text}"
            );
        }
    }
    let mut all = String::new();
    for (path, text) in &files {
        all.push_str(&format!("==> {path} <==\n{text}\n"));
    }
    insta::with_settings!({ snapshot_path => "../snapshots", prepend_module_to_snapshot => false }, {
        insta::assert_snapshot!("modeling_dbt_demo_duckdb", all);
    });
}

#[tokio::test]
async fn bad_dbt_input_names_the_field() {
    let h = Harness::new().await;
    let model = embedded_yaml("demo/model.yaml");
    let good = demo_inputs(&[], "duckdb");
    let call = |dialect: &str, dbt: Value| json!({"model": model, "dialect": dialect, "format": "dbt", "dbt": dbt});
    let err = h.err("generate_ddl", call("mysql", good.clone())).await;
    assert!(
        err.contains("dialect") && err.contains("duckdb, postgres"),
        "{err}"
    );
    let mut missing = good.clone();
    missing["tables"]
        .as_object_mut()
        .expect("tables")
        .remove("dim_products");
    let err = h.err("generate_ddl", call("duckdb", missing)).await;
    assert!(
        err.contains("dbt.tables") && err.contains("dim_products"),
        "{err}"
    );
    let mut unknown = good.clone();
    unknown["tables"]["dim_nowhere"] = json!({"from": "x"});
    let err = h.err("generate_ddl", call("duckdb", unknown)).await;
    assert!(
        err.contains("dbt.tables") && err.contains("dim_nowhere"),
        "{err}"
    );
    let mut column = good.clone();
    column["tables"]["dim_products"]["columns"] = json!({"no_such_column": "1"});
    let err = h.err("generate_ddl", call("duckdb", column)).await;
    assert!(err.contains("no_such_column"), "{err}");
    let mut load = good.clone();
    load["tables"]["fct_order_lines"]["load"] = json!("upsert_somehow");
    let err = h.err("generate_ddl", call("duckdb", load)).await;
    assert!(
        err.contains("load") && err.contains("upsert_somehow"),
        "{err}"
    );
    let mut exposure = good.clone();
    exposure["exposures"][0]["depends_on"] = json!(["fct_nowhere"]);
    let err = h.err("generate_ddl", call("duckdb", exposure)).await;
    assert!(err.contains("exposures[0].depends_on"), "{err}");
    let err = h
        .err(
            "generate_ddl",
            json!({"model": model, "dialect": "duckdb", "dbt": good}),
        )
        .await;
    assert!(err.contains("dbt") && err.contains("format"), "{err}");
}

/// Pieces of hostile names.
const PIECES: &[&str] = &[
    "select", "from", "order", "user", "true", "null", "\"", "'", "\\", "{{", "}}", "{%", "%}",
    "{#", "#}", "\"\"\"", "é", "∑", "😀", " ", "-", "a", "b_", "Mixed", "$1",
];

fn hostile() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(PIECES), 1..4).prop_map(|p| p.concat())
}

/// A star with hostile names: one SCD2 dimension and one fact.
fn hostile_model(names: &[String; 6]) -> (ModelSpec, Value) {
    let [dim, key, attr, fact, measure, description] = names;
    let model: ModelSpec = serde_json::from_value(json!({
        "name": format!("m{description}"),
        "dimensions": [{
            "name": dim, "description": description, "scd_type": 2,
            "natural_key": [{"name": key, "type": "integer", "description": description}],
            "attributes": [{"name": attr, "type": "string(20)", "description": description}],
            "unknown_member": true,
        }],
        "facts": [{
            "name": fact, "description": description, "grain": "one row per thing",
            "foreign_keys": [{"dimension": dim}],
            "measures": [{"name": measure, "type": "integer", "additivity": "additive", "aggregation": "sum"}],
        }],
    }))
    .expect("model spec");
    let inputs = json!({
        "source_schema": description,
        "tables": {
            dim: {"from": format!("{dim} src")},
            fact: {"from": format!("{fact} src"), "columns": {measure: format!("{{{{ '{measure}' }}}}")}},
        },
        "exposures": [{"name": description, "owner": description, "depends_on": [fact]}],
    });
    (model, inputs)
}

#[test]
fn hostile_names_parse_and_come_back_exactly() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let h = runtime.block_on(Harness::new());
    let app: Arc<App> = h.app.clone();
    let cases = std::env::var("DANA_PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(64);
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let built = std::sync::atomic::AtomicUsize::new(0);
    let strategy = (
        hostile(),
        hostile(),
        hostile(),
        hostile(),
        hostile(),
        hostile(),
    );
    runner
        .run(&strategy, |(a, b, c, d, e, f)| {
            let names = [a, b, c, d, e, f];
            for d in ["duckdb", "postgres"] {
                let dialect = dialect::by_name(d).expect("dialect");
                if hostile_case(&app, dialect, &names) {
                    built.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
            }
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        built.load(std::sync::atomic::Ordering::Relaxed) > 0,
        "every hostile case was refused: the property tested nothing"
    );
}

/// One case: refused with an error, or a project that parses with every name intact.
fn hostile_case(app: &App, dialect: &dyn SqlDialect, names: &[String; 6]) -> bool {
    let (model, inputs) = hostile_model(names);
    let params: GenerateDdlParams = serde_json::from_value(json!({
        "model": model, "format": "dbt", "dbt": inputs,
    }))
    .expect("params");
    let Ok(out) = generate_dbt(app, &params, dialect) else {
        return false;
    };
    let files: Vec<(String, String)> = out
        .files
        .iter()
        .map(|f| (f.path.clone(), f.content.clone()))
        .collect();
    let docs = check_parses(&files);
    let [dim, key, attr, fact, measure, description] = names;
    // Column names and descriptions in the marts' YAML render back exactly (dbt renders
    // both with Jinja).
    let marts = &docs["models/marts/_marts.yml"]["models"];
    let columns: Vec<String> = marts
        .as_array()
        .expect("models")
        .iter()
        .flat_map(|m| m["columns"].as_array().expect("columns"))
        .map(|c| render(c["name"].as_str().expect("name"), false))
        .collect();
    for name in [key, attr, measure] {
        assert!(columns.contains(name), "{name:?} not in {columns:?}");
    }
    let rendered = render(
        marts[0]["description"].as_str().expect("description"),
        false,
    );
    assert_eq!(&rendered, description);
    // The SQL, rendered, holds each name quoted by the dialect, and the aliases.
    let sql: String = files
        .iter()
        .filter(|(p, _)| p.starts_with("models/") && p.ends_with(".sql"))
        .map(|(_, t)| render(t, true) + &render(t, false))
        .collect();
    for name in [key, attr, measure] {
        let quoted = dialect.quote_ident(name).expect("quoted");
        assert!(sql.contains(&quoted), "{quoted} missing:\n{sql}");
    }
    assert!(sql.contains(&format!(
        "<source:{}.{dim} src>",
        ident::ascii_word(description)
    )));
    assert!(sql.contains(&format!(
        "<source:{}.{fact} src>",
        ident::ascii_word(description)
    )));
    // The measure's expression was printed, not evaluated.
    assert!(sql.contains(&format!("({{{{ '{measure}' }}}})")), "{sql}");
    true
}

/// `dbt parse` accepts a project with hostile names (a few fixed cases; the property
/// above covers many with a Jinja parser).
#[tokio::test]
async fn dbt_parses_hostile_projects() {
    let Some(dbt) = engine("DANA_TEST_DBT") else {
        return;
    };
    let h = Harness::new().await;
    let dialect = dialect::by_name("duckdb").expect("duckdb");
    for names in [
        [
            "{{ dim }}",
            "select",
            "{% if %}",
            "fct \"q\"",
            "o'brien",
            "{# é #}",
        ],
        ["dim\\x", "order", "user", "fct{{", "%}m", "😀 ∑"],
    ] {
        let names = names.map(str::to_string);
        let (model, inputs) = hostile_model(&names);
        let params: GenerateDdlParams = serde_json::from_value(json!({
            "model": model, "format": "dbt", "dbt": inputs,
        }))
        .expect("params");
        let out =
            generate_dbt(&h.app, &params, dialect).unwrap_or_else(|e| panic!("{names:?}: {e}"));
        let dir = tempfile::tempdir().expect("tempdir");
        let files: Vec<(String, String)> = out
            .files
            .iter()
            .map(|f| (f.path.clone(), f.content.clone()))
            .collect();
        write_project(
            dir.path(),
            &files,
            &duckdb_profile(&files, &dir.path().join("p.duckdb"), "main"),
        );
        let out = dbt_command(&dbt, dir.path(), &["parse"]);
        assert!(out.0, "{names:?}\n{}", out.1);
    }
}

fn profile_name(files: &[(String, String)]) -> String {
    let project = files
        .iter()
        .find(|(p, _)| p == "dbt_project.yml")
        .expect("dbt_project.yml");
    let doc: Value = serde_norway::from_str(&project.1).expect("yaml");
    doc["profile"].as_str().expect("profile").to_string()
}

fn duckdb_profile(files: &[(String, String)], path: &Path, schema: &str) -> String {
    dana::codegen::yaml::to_string(&json!({ profile_name(files): {
        "target": "test",
        "outputs": {"test": {"type": "duckdb", "path": path.to_str().expect("utf-8"), "schema": schema, "threads": 1}},
    }}))
    .expect("profile")
}

/// A dbt-postgres profile for `url` (`postgres://user[:password]@host[:port]/db`).
fn postgres_profile(files: &[(String, String)], url: &str, schema: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let (auth, rest) = rest.rsplit_once('@').unwrap_or(("postgres", rest));
    let (user, password) = auth.split_once(':').unwrap_or((auth, ""));
    let (host_port, db) = rest.split_once('/').unwrap_or((rest, "postgres"));
    let db = db.split('?').next().unwrap_or(db);
    let (host, port) = host_port.split_once(':').unwrap_or((host_port, "5432"));
    dana::codegen::yaml::to_string(&json!({ profile_name(files): {
        "target": "test",
        "outputs": {"test": {
            "type": "postgres", "host": host, "port": port.parse::<u16>().expect("port"),
            "user": user, "password": password, "dbname": db, "schema": schema, "threads": 1,
        }},
    }}))
    .expect("profile")
}

fn write_project(dir: &Path, files: &[(String, String)], profile: &str) {
    for (path, text) in files {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, text).expect("write");
    }
    std::fs::write(dir.join("profiles.yml"), profile).expect("profiles.yml");
}

/// Runs dbt in the project folder; (success, stdout and stderr).
fn dbt_command(dbt: &str, dir: &Path, args: &[&str]) -> (bool, String) {
    let out = Command::new(dbt)
        .args(args)
        .args(["--profiles-dir", dir.to_str().expect("utf-8")])
        .current_dir(dir)
        .env("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
        .env("DO_NOT_TRACK", "1")
        .output()
        .expect("run dbt");
    (
        out.status.success(),
        format!(
            "{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// The dbt venv's python (beside its `dbt`), running tests/it/modeling/dbt_runner.py.
fn runner(dbt: &str, args: &[&str]) -> String {
    let python = Path::new(dbt).with_file_name("python");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/modeling/dbt_runner.py");
    let out = Command::new(python)
        .arg(script)
        .args(args)
        .output()
        .expect("run dbt_runner.py");
    assert!(
        out.status.success(),
        "dbt_runner.py {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Test statuses of `target/run_results.json`: (name, status), and the models' statuses.
fn run_results(dir: &Path) -> (Vec<(String, String)>, Vec<(String, String)>) {
    let text = std::fs::read_to_string(dir.join("target/run_results.json")).expect("run_results");
    let doc: Value = serde_json::from_str(&text).expect("json");
    let mut tests = Vec::new();
    let mut models = Vec::new();
    for r in doc["results"].as_array().expect("results") {
        let id = r["unique_id"].as_str().expect("id");
        let status = r["status"].as_str().expect("status").to_string();
        let name = id.splitn(3, '.').nth(2).unwrap_or_default();
        if id.starts_with("test.") {
            let name = match name.rsplit_once('.') {
                Some((n, hash)) if hash.chars().all(|c| c.is_ascii_hexdigit()) => n,
                _ => name,
            };
            tests.push((name.to_string(), status));
        } else if id.starts_with("model.") {
            models.push((name.to_string(), status));
        }
    }
    (tests, models)
}

/// The demo's project built on one engine; see the module comment.
async fn build_on(
    engine_name: &str,
    target: &str,
    schema: &str,
    profile: impl Fn(&[(String, String)]) -> String,
) {
    let Some(dbt) = engine("DANA_TEST_DBT") else {
        return;
    };
    let h = Harness::new().await;
    let raw = format!("{schema}_raw");
    let seed = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates/demo/warehouse.sql");
    runner(
        &dbt,
        &[
            "load",
            engine_name,
            target,
            &raw,
            seed.to_str().expect("utf-8"),
        ],
    );
    let yesterday = runner(
        &dbt,
        &[
            "query",
            engine_name,
            target,
            &format!("SELECT max(order_date) + 2 FROM \"{raw}\".orders"),
        ],
    );
    let yesterday: String = serde_json::from_str(yesterday.trim()).expect("date");
    let yesterday = yesterday.split(' ').next().unwrap_or_default().to_string();
    let checks = demo_checks(&h, &yesterday).await;
    let mut inputs = demo_inputs(&checks, engine_name);
    inputs["source_schema"] = json!(raw);
    let files = project(&h, engine_name, inputs).await;
    let dir = tempfile::tempdir().expect("tempdir");
    write_project(dir.path(), &files, &profile(&files));

    let (ok, log) = dbt_command(&dbt, dir.path(), &["build"]);
    assert!(ok, "dbt build failed:\n{log}");
    let (tests, models) = run_results(dir.path());
    assert_eq!(models.len(), 8, "{models:?}");
    assert!(
        models.iter().all(|(_, s)| s == "success"),
        "{models:?}\n{log}"
    );
    let mut warned: Vec<String> = tests
        .iter()
        .filter(|(_, s)| s != "pass")
        .map(|(n, s)| {
            assert_eq!(s, "warn", "{n}: {s}\n{log}");
            n.clone()
        })
        .collect();
    warned.sort();
    let defects: Vec<Value> =
        serde_norway::from_str(dana::render::embedded("demo/defects.yaml").expect("defects"))
            .expect("yaml");
    let mut planted: Vec<String> = defects
        .iter()
        .map(|d| ident::ascii_word(d["check"].as_str().expect("check")))
        .collect();
    planted.sort();
    assert_eq!(warned, planted, "{log}");

    // The marts' columns and types are generate_ddl's.
    let ddl_schema = format!("{schema}_ddl");
    let ddl = h
        .ok(
            "generate_ddl",
            json!({"model": embedded_yaml("demo/model.yaml"), "dialect": engine_name, "schema": ddl_schema}),
        )
        .await;
    let mut script = format!("CREATE SCHEMA \"{ddl_schema}\";\n");
    for s in ddl["statements"].as_array().expect("statements") {
        script.push_str(s["sql"].as_str().expect("sql"));
        script.push_str(";\n");
    }
    let script_path = dir.path().join("ddl.sql");
    std::fs::write(&script_path, script).expect("ddl.sql");
    runner(
        &dbt,
        &[
            "exec",
            engine_name,
            target,
            script_path.to_str().expect("utf-8"),
        ],
    );
    let columns = |s: &str| -> BTreeMap<String, Value> {
        let mut all: BTreeMap<String, Value> =
            serde_json::from_str(&runner(&dbt, &["columns", engine_name, target, s]))
                .expect("json");
        // The model's tables (PostgreSQL's DDL adds the fact's default partition).
        all.retain(|t, _| {
            [
                "dim_dates",
                "dim_customers",
                "dim_products",
                "fct_order_lines",
            ]
            .contains(&t.as_str())
        });
        all
    };
    let built = columns(schema);
    assert_eq!(built.len(), 4, "{built:?}");
    assert_eq!(built, columns(&ddl_schema));

    // A second run takes the incremental path: nothing changes without new data; a
    // customer whose segment changed gets a new current version, the old one closed.
    let count = |sql: &str| {
        runner(&dbt, &["query", engine_name, target, sql])
            .trim()
            .to_string()
    };
    let versions = format!("SELECT count(*) FROM \"{schema}\".dim_customers");
    let before = count(&versions);
    let (ok, log) = dbt_command(&dbt, dir.path(), &["build", "--select", "dim_customers"]);
    assert!(ok, "{log}");
    assert_eq!(count(&versions), before);
    let change = dir.path().join("change.sql");
    std::fs::write(
        &change,
        format!("UPDATE \"{raw}\".customers SET segment = 'enterprise' WHERE customer_id = 1;\n"),
    )
    .expect("write");
    runner(
        &dbt,
        &["exec", engine_name, target, change.to_str().expect("utf-8")],
    );
    let (ok, log) = dbt_command(
        &dbt,
        dir.path(),
        &["build", "--select", "stg_dim_customers", "dim_customers"],
    );
    assert!(ok, "{log}");
    let after: u64 = serde_json::from_str::<String>(&count(&versions))
        .expect("n")
        .parse()
        .expect("n");
    let before: u64 = serde_json::from_str::<String>(&before)
        .expect("n")
        .parse()
        .expect("n");
    assert_eq!(after, before + 1);
    let current = count(&format!(
        "SELECT customer_segment FROM \"{schema}\".dim_customers WHERE customer_id = 1 AND is_current"
    ));
    assert_eq!(current, "\"enterprise\"");
    let closed = count(&format!(
        "SELECT count(*) FROM \"{schema}\".dim_customers WHERE customer_id = 1 AND NOT is_current AND valid_to < TIMESTAMP '9000-01-01'"
    ));
    assert_eq!(closed, "\"1\"");
}

#[tokio::test]
async fn demo_project_builds_on_duckdb() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("warehouse.duckdb");
    let target = path.to_str().expect("utf-8").to_string();
    build_on("duckdb", &target, "main", |files| {
        duckdb_profile(files, &path, "main")
    })
    .await;
}

#[tokio::test]
async fn demo_project_builds_on_postgres() {
    let Some(url) = postgres_url() else {
        return;
    };
    let schema = unique_name("dbt");
    build_on("postgres", &url, &schema, |files| {
        postgres_profile(files, &url, &schema)
    })
    .await;
    // The run's three schemas: the built project, the raw sources, generate_ddl's tables.
    let admin = sqlx::PgPool::connect(&url).await.expect("connect");
    for name in [
        schema.clone(),
        format!("{schema}_raw"),
        format!("{schema}_ddl"),
    ] {
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "DROP SCHEMA IF EXISTS \"{name}\" CASCADE"
        )))
        .execute(&admin)
        .await
        .expect("drop schema");
    }
}
