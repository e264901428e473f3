//! Property tests over every tool's params: arbitrary JSON (and near-valid objects built
//! from each tool's own input schema) never panics, never hangs, and always gets either a
//! result or an error that says what is wrong.

use std::time::Duration;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use rmcp::model::CallToolRequestParams;
use serde_json::{Map, Value, json};

use crate::common::Harness;

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        (-1e12f64..1e12).prop_map(|n| json!(n)),
        ".{0,24}".prop_map(Value::String),
        Just(json!("")),
        Just(json!("\u{0}")),
        Just(json!("'; DROP TABLE x; --")),
        Just(json!("../../etc/passwd")),
        Just(json!("retail")),
        Just(json!("postgres")),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,12}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// An object using the tool's real property names with arbitrary values.
fn near_valid(schema: &Map<String, Value>) -> impl Strategy<Value = Value> + use<> {
    let names: Vec<String> = schema
        .get("properties")
        .and_then(Value::as_object)
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default();
    prop::collection::vec((0..names.len().max(1), arb_json()), 0..6).prop_map(move |pairs| {
        let mut object = Map::new();
        for (i, value) in pairs {
            if let Some(name) = names.get(i) {
                object.insert(name.clone(), value);
            }
        }
        Value::Object(object)
    })
}

async fn call_bounded(h: &Harness, tool: &str, args: Value) -> Result<(), String> {
    let Value::Object(args) = args else {
        return Ok(());
    };
    let request = CallToolRequestParams::new(tool.to_string()).with_arguments(args.clone());
    match tokio::time::timeout(Duration::from_secs(20), h.client.call_tool(request)).await {
        Err(_) => Err(format!("{tool} hung on {}", Value::Object(args))),
        Ok(Err(e)) => Err(format!(
            "{tool} broke the protocol on {}: {e}",
            Value::Object(args)
        )),
        Ok(Ok(result)) => {
            if result.is_error == Some(true) {
                let text = crate::common::text(&result);
                if text.trim().is_empty() {
                    return Err(format!("{tool}: empty error for {}", Value::Object(args)));
                }
                if text.contains("internal error") {
                    return Err(format!(
                        "{tool} panicked on {}: {text}",
                        Value::Object(args)
                    ));
                }
            }
            Ok(())
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn arbitrary_arguments_never_panic_or_hang() {
    let h = Harness::new().await;
    let tools = h.client.list_all_tools().await.unwrap();
    let cases: u32 = std::env::var("DANA_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(48);
    for tool in tools {
        let name = tool.name.to_string();
        let mut runner = TestRunner::new(Config {
            cases,
            failure_persistence: None,
            ..Config::default()
        });
        let mut inputs = Vec::new();
        let strategy = prop_oneof![arb_json(), near_valid(&tool.input_schema)];
        for _ in 0..cases {
            let tree = strategy.new_tree(&mut runner).unwrap();
            inputs.push(proptest::strategy::ValueTree::current(&tree));
        }
        for input in inputs {
            if let Err(problem) = call_bounded(&h, &name, input).await {
                panic!("{problem}");
            }
        }
    }
}
