//! What clients receive, checked as a strict client would: every tool is called with the
//! inputs of `tests/clients/calls.json` (typical, minimal and edge ones) and with inputs
//! generated from its own input schema, in a workspace made by `dana demo`. Every result
//! must validate, with an independent JSON Schema validator (the `jsonschema` crate),
//! against the output schema `tools/list` advertises and against the full one of
//! `dana://schemas/{tool}`; hold no `null` member (optional means omitted); render with
//! the tool's Markdown template; and come with a short text summary, not a second copy.

use std::collections::{BTreeMap, HashMap};

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};
use rmcp::model::{CallToolResult, ReadResourceRequestParams, ResourceContents};
use serde_json::{Map, Value, json};

use crate::common::{Harness, text};

/// The shared corpus, also run by `tests/clients/python_sdk.py` under the Python SDK.
const CALLS: &str = include_str!("../clients/calls.json");

/// A server in a workspace made by `dana demo` (datasource `warehouse`, project `retail`).
pub async fn demo_harness() -> Harness {
    let (dir, ws) = crate::cli::demo_workspace();
    let store = dana::store::Store::open_sqlite(&ws.join(".dana/state.db"))
        .await
        .expect("demo store");
    let app = dana::App::with_store(&ws, store).expect("app");
    Harness::start(dir, app, (), None).await
}

/// Validators of each tool's two output schemas, and its Markdown template.
pub struct Checker {
    listed: HashMap<String, jsonschema::Validator>,
    full: HashMap<String, jsonschema::Validator>,
    templates: HashMap<&'static str, &'static str>,
}

impl Checker {
    pub async fn new(h: &Harness) -> Self {
        let mut listed = HashMap::new();
        let mut full = HashMap::new();
        for tool in h.client.list_all_tools().await.expect("tools/list") {
            let name = tool.name.to_string();
            let schema = Value::Object((*tool.output_schema.expect("output schema")).clone());
            listed.insert(
                name.clone(),
                jsonschema::validator_for(&schema)
                    .unwrap_or_else(|e| panic!("{name}: listed output schema invalid: {e}")),
            );
            let read = h
                .client
                .read_resource(ReadResourceRequestParams::new(format!(
                    "dana://schemas/{name}"
                )))
                .await
                .expect("schema resource");
            let ResourceContents::TextResourceContents { text, .. } = &read.contents[0] else {
                panic!("{name}: schema resource is not text");
            };
            let resource: Value = serde_json::from_str(text).expect("schema json");
            full.insert(
                name.clone(),
                jsonschema::validator_for(&resource["outputSchema"])
                    .unwrap_or_else(|e| panic!("{name}: full output schema invalid: {e}")),
            );
        }
        let templates = dana::server::tools::all()
            .iter()
            .map(|t| (t.name, t.template))
            .collect();
        Checker {
            listed,
            full,
            templates,
        }
    }

    /// Everything a successful result must satisfy; the problems found, if any.
    pub fn check(&self, h: &Harness, tool: &str, result: &CallToolResult) -> Vec<String> {
        let mut problems = Vec::new();
        let Some(structured) = &result.structured_content else {
            return vec!["no structured content".into()];
        };
        for (which, validators) in [("listed", &self.listed), ("full", &self.full)] {
            let validator = &validators[tool];
            for error in validator.iter_errors(structured) {
                problems.push(format!(
                    "{which} output schema: {error} at `{}`",
                    error.instance_path()
                ));
            }
        }
        let mut nulls = Vec::new();
        null_members(structured, "", &mut nulls);
        if !nulls.is_empty() {
            problems.push(format!("`null` members (should be omitted): {nulls:?}"));
        }
        match h.app.templates.render(self.templates[tool], structured) {
            Ok(md) if md.trim().is_empty() => problems.push("empty Markdown".into()),
            Ok(_) => {}
            Err(e) => problems.push(format!("Markdown: {e:#}")),
        }
        let summary = text(result);
        if !summary.starts_with(&format!("{tool}:")) || summary.len() > 2_000 {
            problems.push(format!(
                "text content is not a short summary: {summary:.200}"
            ));
        }
        problems
    }
}

fn null_members(value: &Value, at: &str, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let path = format!("{at}.{k}");
                if v.is_null() {
                    out.push(path);
                } else {
                    null_members(v, &path, out);
                }
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                null_members(v, &format!("{at}[{i}]"), out);
            }
        }
        _ => {}
    }
}

/// The corpus: every call succeeds (or fails as it says) and every result passes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_tool_answers_what_its_schemas_promise_for_the_corpus() {
    let h = demo_harness().await;
    let checker = Checker::new(&h).await;
    let corpus: Value = serde_json::from_str(CALLS).expect("calls.json");
    let mut per_tool: BTreeMap<String, usize> = BTreeMap::new();
    let mut failures = Vec::new();
    for call in corpus["calls"].as_array().expect("calls") {
        let tool = call["tool"].as_str().expect("tool");
        let label = call["label"].as_str().unwrap_or("");
        let result = h.call(tool, call["args"].clone()).await;
        if let Some(expected) = call["error"].as_str() {
            let message = text(&result);
            if result.is_error != Some(true) || !message.contains(expected) {
                failures.push(format!(
                    "{tool} ({label}): expected an error with `{expected}`, got {message:.300}"
                ));
            }
            continue;
        }
        if result.is_error == Some(true) {
            failures.push(format!("{tool} ({label}) failed: {}", text(&result)));
            continue;
        }
        *per_tool.entry(tool.to_string()).or_default() += 1;
        for problem in checker.check(&h, tool, &result) {
            failures.push(format!("{tool} ({label}): {problem}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Several inputs per tool; one for a tool without params (`list_datasources`).
    for tool in h.client.list_all_tools().await.expect("tools") {
        let has_params = tool
            .input_schema
            .get("properties")
            .and_then(Value::as_object)
            .is_some_and(|p| !p.is_empty());
        let wanted = if has_params { 2 } else { 1 };
        let got = per_tool.get(tool.name.as_ref()).copied().unwrap_or(0);
        assert!(
            got >= wanted,
            "calls.json must give `{}` {wanted}+ succeeding inputs, has {got}",
            tool.name
        );
    }
}

/// Inputs generated from each tool's full input schema (many are refused by the domain's
/// checks, which is fine): every result that comes back passes the same checks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_inputs_give_answers_that_match_the_schemas() {
    let h = demo_harness().await;
    let checker = Checker::new(&h).await;
    let cases: u32 = std::env::var("DANA_ANSWER_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(40);
    let corpus: Value = serde_json::from_str(CALLS).expect("calls.json");
    let answer_seed: u64 = std::env::var("DANA_ANSWER_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20261129);
    eprintln!("DANA_ANSWER_SEED={answer_seed}");
    let mut failures = Vec::new();
    let mut answered: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for tool in dana::server::tools::all() {
        let schema = h
            .client
            .read_resource(ReadResourceRequestParams::new(format!(
                "dana://schemas/{}",
                tool.name
            )))
            .await
            .expect("schema");
        let ResourceContents::TextResourceContents { text: body, .. } = &schema.contents[0] else {
            panic!("text");
        };
        let full: Value = serde_json::from_str(body).expect("json");
        let input = &full["inputSchema"];
        let defs = input["$defs"].as_object().cloned().unwrap_or_default();
        // A quarter of the cases from the schema alone, the rest varied from the corpus's succeeding
        // inputs: a schema-shaped value rarely makes a valid dimensional model or rubric,
        // and the answers worth checking are the ones that get past the domain.
        let seeds: Vec<Value> = corpus["calls"]
            .as_array()
            .expect("calls")
            .iter()
            .filter(|c| c["tool"] == tool.name && c.get("error").is_none())
            .map(|c| c["args"].clone())
            .collect();
        let strategy = if seeds.is_empty() {
            arb_schema(input, &defs, "", 0)
        } else {
            let variants: Vec<BoxedStrategy<Value>> =
                seeds.into_iter().map(|s| arb_variant(s, "")).collect();
            prop_oneof![
                1 => arb_schema(input, &defs, "", 0),
                3 => proptest::strategy::Union::new(variants)
            ]
            .boxed()
        };
        // Seeded, so a run is reproducible and the reach floor below is not left to luck;
        // DANA_ANSWER_SEED explores other inputs.
        let mut seed = [0u8; 32];
        seed[..8].copy_from_slice(&answer_seed.to_le_bytes());
        let mut runner = TestRunner::new_with_rng(
            Config {
                cases,
                failure_persistence: None,
                ..Config::default()
            },
            proptest::test_runner::TestRng::from_seed(
                proptest::test_runner::RngAlgorithm::ChaCha,
                &seed,
            ),
        );
        for _ in 0..cases {
            let args = strategy.new_tree(&mut runner).expect("tree").current();
            let result = h.call(tool.name, args.clone()).await;
            let entry = answered.entry(tool.name.to_string()).or_default();
            entry.1 += 1;
            if result.is_error == Some(true) {
                let message = text(&result);
                if message.contains("internal error") || message.trim().is_empty() {
                    failures.push(format!("{}: {message} for {args}", tool.name));
                }
                continue;
            }
            entry.0 += 1;
            for problem in checker.check(&h, tool.name, &result) {
                failures.push(format!("{}: {problem}\n  input: {args}", tool.name));
            }
        }
    }
    for (tool, (ok, all)) in &answered {
        eprintln!("{tool:<26} {ok:>3} of {all} generated inputs answered");
        // A property test whose inputs all bounce off validation checks nothing.
        if *all >= 10 && ok * 5 < *all {
            failures.push(format!(
                "{tool}: only {ok} of {all} generated inputs answered; the generator must reach the domain"
            ));
        }
    }
    failures.dedup();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A value that fits `schema` (after `$ref`s), with strings drawn from names a data
/// engineer uses, so that a fair share of the generated calls get past the domain's
/// checks. `project` is never generated: these calls stay stateless.
fn arb_schema(
    schema: &Value,
    defs: &Map<String, Value>,
    name: &str,
    depth: u32,
) -> BoxedStrategy<Value> {
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        let key = reference.rsplit('/').next().unwrap_or_default();
        let def = defs.get(key).cloned().unwrap_or(json!({}));
        return arb_schema(&def, defs, name, depth + 1);
    }
    if let Some(Value::Array(values)) = schema.get("enum") {
        return proptest::sample::select(values.clone()).boxed();
    }
    if let Some(value) = schema.get("const") {
        return Just(value.clone()).boxed();
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(Value::Array(variants)) = schema.get(key) {
            let options: Vec<BoxedStrategy<Value>> = variants
                .iter()
                .filter(|v| v.get("type") != Some(&json!("null")))
                .map(|v| arb_schema(v, defs, name, depth + 1))
                .collect();
            if !options.is_empty() {
                return proptest::strategy::Union::new(options).boxed();
            }
        }
    }
    let kind = match schema.get("type") {
        Some(Value::String(t)) => t.clone(),
        Some(Value::Array(types)) => types
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .unwrap_or("null")
            .to_string(),
        _ if schema.get("properties").is_some() => "object".into(),
        _ => "any".into(),
    };
    match kind.as_str() {
        "object" => arb_object(schema, defs, name, depth),
        "array" => {
            let items = schema.get("items").cloned().unwrap_or(json!({}));
            let min = schema.get("minItems").and_then(Value::as_u64).unwrap_or(0) as usize;
            let max = if depth > 5 { min } else { min.max(3) };
            prop::collection::vec(arb_schema(&items, defs, name, depth + 1), min..=max)
                .prop_map(Value::Array)
                .boxed()
        }
        "string" => arb_string(name),
        "integer" => {
            let lo = schema.get("minimum").and_then(Value::as_i64).unwrap_or(0);
            let hi = schema
                .get("maximum")
                .and_then(Value::as_i64)
                .unwrap_or(lo + 100)
                .min(lo + 1_000_000);
            (lo..=hi).prop_map(|n| json!(n)).boxed()
        }
        "number" => prop_oneof![Just(0.0), 0.0..1_000.0f64, 1.0..1e9f64]
            .prop_map(|n| json!(n))
            .boxed(),
        "boolean" => any::<bool>().prop_map(Value::Bool).boxed(),
        _ => prop_oneof![Just(json!("x")), Just(json!(1)), Just(json!({}))].boxed(),
    }
}

fn arb_object(
    schema: &Value,
    defs: &Map<String, Value>,
    name: &str,
    depth: u32,
) -> BoxedStrategy<Value> {
    let required: Vec<String> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| {
            r.iter()
                .filter_map(Value::as_str)
                .map(String::from)
                .collect()
        })
        .unwrap_or_default();
    let mut fields: Vec<BoxedStrategy<Option<(String, Value)>>> = Vec::new();
    if let Some(Value::Object(props)) = schema.get("properties") {
        // A table given "from exactly one source": a spec, or a table of the datasource.
        if props.contains_key("spec") && props.contains_key("datasource") {
            let spec = arb_schema(&props["spec"], defs, "spec", depth + 1);
            return prop_oneof![
                spec.prop_map(|s| json!({ "spec": s })),
                proptest::sample::select(vec!["customers", "orders", "order_items", "products"])
                    .prop_map(|t| json!({"datasource": "warehouse", "table": t})),
            ]
            .boxed();
        }
        for (key, prop) in props {
            // Stateless calls only, but a tool that needs a project gets the demo's.
            if key == "project" && !required.contains(key) {
                continue;
            }
            let inner = arb_schema(prop, defs, key, depth + 1);
            let key = key.clone();
            if required.contains(&key) {
                fields.push(inner.prop_map(move |v| Some((key.clone(), v))).boxed());
            } else if depth <= 4 {
                fields.push(
                    proptest::option::weighted(0.5, inner)
                        .prop_map(move |v| v.map(|v| (key.clone(), v)))
                        .boxed(),
                );
            }
        }
    } else if let Some(values @ Value::Object(_)) = schema.get("additionalProperties") {
        let inner = arb_schema(values, defs, "", depth + 1);
        // Maps keyed by rubric dimension (`score_infrastructure`) or by table name.
        let keys = if name == "dimensions" {
            vec![
                "reliability",
                "data_quality",
                "performance",
                "documentation",
                "monitoring",
                "testing",
                "cost_efficiency",
            ]
        } else {
            vec!["orders", "customers", "order_id", "status"]
        };
        return prop::collection::btree_map(proptest::sample::select(keys), inner, 0..8)
            .prop_map(|m| Value::Object(m.into_iter().map(|(k, v)| (k.to_string(), v)).collect()))
            .boxed();
    }
    fields
        .prop_map(|pairs| Value::Object(pairs.into_iter().flatten().collect()))
        .boxed()
}

/// A variation of a succeeding input: optional parts dropped, lists cut to a subset,
/// enumerations (dialects, SCD types, logical types, rubric points) redrawn, names
/// renamed consistently enough to stay valid. Many variants are still refused (a
/// foreign key to a dropped dimension), which is fine; most are answered.
fn arb_variant(value: Value, key: &str) -> BoxedStrategy<Value> {
    let pick = |values: Vec<Value>| proptest::sample::select(values).boxed();
    match (key, &value) {
        ("dialect", Value::String(_)) => {
            return pick(
                [
                    "postgres",
                    "mysql",
                    "sqlite",
                    "duckdb",
                    "snowflake",
                    "bigquery",
                    "redshift",
                    "databricks",
                ]
                .map(|d| json!(d))
                .to_vec(),
            );
        }
        ("scd_type", Value::Number(_)) => return pick(vec![json!(1), json!(2), json!(3)]),
        ("type", Value::String(_)) => {
            return pick(
                [
                    "integer",
                    "bigint",
                    "string(20)",
                    "string(200)",
                    "text",
                    "decimal(12,2)",
                    "date",
                    "timestamp",
                    "timestamptz",
                    "boolean",
                    "uuid",
                    "json",
                    "float",
                ]
                .map(|d| json!(d))
                .to_vec(),
            );
        }
        // Every rubric dimension weighs 10 or more.
        ("points", Value::Number(_)) => return (0..=10i64).prop_map(|n| json!(n)).boxed(),
        ("tier", Value::Number(_)) => return pick(vec![json!(1), json!(2), json!(3)]),
        ("comments" | "unknown_member" | "nullable" | "unique", Value::Bool(_)) => {
            return any::<bool>().prop_map(Value::Bool).boxed();
        }
        _ => {}
    }
    // Keys without which the seed cannot stand: never dropped.
    const KEEP: &[&str] = &[
        "name",
        "model",
        "table",
        "dimension",
        "dimensions",
        "natural_key",
        "staging_table",
        "grain",
        "spec",
        "columns",
        "datasource",
        "points",
        "evidence",
        "additivity",
        "aggregation",
        "source",
        "target",
        "system",
        "kind",
        "data_kind",
        "old",
        "new",
    ];
    match value {
        Value::Object(map) => {
            let fields: Vec<BoxedStrategy<Option<(String, Value)>>> = map
                .into_iter()
                .map(|(k, v)| {
                    let inner = arb_variant(v, &k);
                    if KEEP.contains(&k.as_str()) || key == "dimensions" {
                        inner.prop_map(move |v| Some((k.clone(), v))).boxed()
                    } else {
                        proptest::option::weighted(0.75, inner)
                            .prop_map(move |v| v.map(|v| (k.clone(), v)))
                            .boxed()
                    }
                })
                .collect();
            fields
                .prop_map(|pairs| Value::Object(pairs.into_iter().flatten().collect()))
                .boxed()
        }
        Value::Array(items) if !items.is_empty() => {
            let len = items.len();
            let inner: Vec<BoxedStrategy<Value>> =
                items.into_iter().map(|v| arb_variant(v, "[]")).collect();
            (inner, prop::collection::vec(any::<bool>(), len))
                .prop_map(|(values, keep)| {
                    let kept: Vec<Value> = values
                        .iter()
                        .zip(&keep)
                        .filter(|(_, k)| **k)
                        .map(|(v, _)| v.clone())
                        .collect();
                    // Never empty: a list the seed had stays a list with something in it.
                    Value::Array(if kept.is_empty() {
                        values[..1].to_vec()
                    } else {
                        kept
                    })
                })
                .boxed()
        }
        other => Just(other).boxed(),
    }
}

/// Strings by what the field holds.
fn arb_string(name: &str) -> BoxedStrategy<Value> {
    let pick = |values: &[&str]| {
        proptest::sample::select(values.iter().map(|s| json!(s)).collect::<Vec<_>>()).boxed()
    };
    match name {
        "dialect" => pick(&[
            "postgres",
            "mysql",
            "sqlite",
            "duckdb",
            "snowflake",
            "bigquery",
        ]),
        "datasource" => pick(&["warehouse"]),
        "project" => pick(&["retail"]),
        "phase" => pick(&["discover", "model", "build", "optimize", "govern"]),
        "start" => pick(&["2024-01-01", "2024-02-28"]),
        "end" => pick(&["2024-01-31", "2024-03-15"]),
        "sql" => pick(&[
            "SELECT * FROM orders",
            "SELECT o.order_id, c.email FROM orders o JOIN customers c ON c.customer_id = o.customer_id WHERE o.order_date >= '2024-01-01'",
            "UPDATE orders SET status = 'x'",
        ]),
        "error" => pick(&[
            "connection refused",
            "permission denied for table orders",
            "column \"amount\" does not exist",
            "duplicate key value violates unique constraint",
            "Java heap space",
            "weird",
        ]),
        "type" | "data_type" | "column_type" => pick(&[
            "integer",
            "bigint",
            "string(20)",
            "text",
            "decimal(12,2)",
            "date",
            "timestamp",
            "timestamptz",
            "boolean",
        ]),
        "contract" | "odcs_quality" | "path" => pick(&["rules: []", "x"]),
        "version" => pick(&["1.0.0", "2.1.0"]),
        "schedule" => pick(&["0 * * * *", "daily"]),
        _ => pick(&[
            "orders",
            "customers",
            "order_id",
            "customer_id",
            "order_date",
            "status",
            "dim_customers",
            "fct_orders",
            "products",
        ]),
    }
}

/// `dana://results/{id}`: a capped answer names the resource with the whole result, and
/// the resource serves it.
#[tokio::test]
async fn capped_answers_point_to_the_whole_result() {
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(
        dir.path().join("dana.toml"),
        "[answers]\nmax_bytes = 8192\n",
    )
    .expect("toml");
    let store = dana::store::Store::open_sqlite(&dir.path().join("state.db"))
        .await
        .expect("store");
    let app = dana::App::with_store(dir.path(), store).expect("app");
    let h = Harness::start(dir, app, (), None).await;
    let dimensions: Vec<Value> = (0..120)
        .map(|i| json!({"name": format!("dim_table_{i}"), "natural_key": [{"name": format!("t{i}_id"), "type": "integer"}], "attributes": [{"name": "label", "type": "text"}]}))
        .collect();
    let args = json!({"dialect": "postgres", "model": {"name": "big", "dimensions": dimensions}});
    let result = h.call("generate_ddl", args).await;
    let structured = result.structured_content.clone().expect("structured");
    let bytes = serde_json::to_vec(&structured).expect("json").len();
    assert!(bytes <= 8192, "answer is {bytes} bytes, over the 8 KiB cap");
    let truncated = &structured["truncated"];
    let resource = truncated["resource"].as_str().expect("resource named");
    assert!(resource.starts_with("dana://results/"), "{resource}");
    assert_eq!(truncated["cut"][0]["path"], "statements");
    assert_eq!(truncated["cut"][0]["total"], 240);
    let linked = result
        .content
        .iter()
        .any(|c| c.as_resource_link().is_some_and(|l| l.uri == resource));
    assert!(
        linked,
        "a resource_link content block names it: {:?}",
        result.content
    );
    let read = h
        .client
        .read_resource(ReadResourceRequestParams::new(resource))
        .await
        .expect("read the whole result");
    let ResourceContents::TextResourceContents { text: body, .. } = &read.contents[0] else {
        panic!("text");
    };
    let whole: Value = serde_json::from_str(body).expect("json");
    assert_eq!(whole["statements"].as_array().map(Vec::len), Some(240));
    assert!(whole.get("truncated").is_none());
    // The capped answer still validates against the tool's schemas.
    let checker = Checker::new(&h).await;
    assert_eq!(
        checker.check(&h, "generate_ddl", &result),
        Vec::<String>::new()
    );
    let gone = h
        .client
        .read_resource(ReadResourceRequestParams::new("dana://results/0000"))
        .await
        .expect_err("unknown result");
    assert!(gone.to_string().contains("no longer kept"), "{gone}");
}

/// `[answers] text` switches the text content between the summary (default), a JSON copy
/// (MCP's backwards-compatible form) and the Markdown.
#[tokio::test]
async fn text_content_follows_the_configuration() {
    for (mode, expect) in [
        ("json", "{\"total\""),
        ("markdown", "# Infrastructure score"),
    ] {
        let dir = tempfile::tempdir().expect("dir");
        std::fs::write(
            dir.path().join("dana.toml"),
            format!("[answers]\ntext = \"{mode}\"\n"),
        )
        .expect("toml");
        let app = dana::App::open(dir.path()).expect("app");
        let h = Harness::start(dir, app, (), None).await;
        let result = h.call("score_infrastructure", score_args()).await;
        let body = text(&result);
        assert!(body.starts_with(expect), "{mode}: {body:.120}");
    }
    let h = Harness::new().await;
    let result = h.call("score_infrastructure", score_args()).await;
    let body = text(&result);
    assert!(body.starts_with("score_infrastructure: total 81"), "{body}");
    assert!(body.len() < 400, "{body}");
}

fn score_args() -> Value {
    json!({"dimensions": {
        "reliability": {"points": 20}, "data_quality": {"points": 20}, "performance": {"points": 15},
        "documentation": {"points": 10}, "monitoring": {"points": 15}, "testing": {"points": 0},
        "cost_efficiency": {"points": 1}}})
}

/// Bytes per tool for the corpus's first input of each (printed for the README with
/// `cargo test --test it answer_sizes -- --nocapture`), and a bound on the typical ones.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answer_sizes() {
    let h = demo_harness().await;
    let corpus: Value = serde_json::from_str(CALLS).expect("calls.json");
    let mut seen = std::collections::HashSet::new();
    for call in corpus["calls"].as_array().expect("calls") {
        let tool = call["tool"].as_str().expect("tool");
        if call.get("error").is_some() || !seen.insert(tool.to_string()) {
            continue;
        }
        let result = h.call(tool, call["args"].clone()).await;
        let structured = serde_json::to_vec(&result.structured_content)
            .expect("json")
            .len();
        let content: usize = text(&result).len();
        eprintln!(
            "| `{tool}` | {} | {structured} | {content} |",
            call["label"].as_str().unwrap_or("")
        );
        assert!(
            structured <= 30_000,
            "{tool}: {structured} bytes for a typical input"
        );
    }
}
