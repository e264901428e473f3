//! The context budget of DESIGN.md: the full `tools/list` (all toolsets) stays within
//! 10,000 tokens ≈ 40,000 bytes of JSON, and so does every toolset alone. Sizes are
//! printed per tool (`cargo test --test it budget -- --nocapture`) to show where the
//! bytes go.

use dana::App;
use dana::server::DanaServer;
use dana::server::toolsets::TOOLSETS;
use rmcp::model::ListToolsResult;

/// DESIGN.md: "the full `tools/list` ≤ 10,000 tokens (≈ 40 KB of JSON)".
const BUDGET_BYTES: usize = 40_000;

fn listing_bytes(server: &DanaServer) -> usize {
    let result = ListToolsResult::with_all_items(server.tool_list().to_vec());
    serde_json::to_vec(&result).expect("json").len()
}

fn server(toolsets: Option<&[String]>) -> DanaServer {
    let dir = tempfile::tempdir().expect("dir");
    let app = App::open(dir.path()).expect("app");
    DanaServer::new(app, toolsets).expect("server")
}

#[test]
fn full_tools_list_fits_the_context_budget() {
    let all = server(None);
    let mut rows: Vec<(usize, usize, usize, String)> = all
        .tool_list()
        .iter()
        .map(|t| {
            let total = serde_json::to_vec(t).expect("json").len();
            let input = serde_json::to_vec(&t.input_schema).expect("json").len();
            let output = t
                .output_schema
                .as_ref()
                .map(|s| serde_json::to_vec(s).expect("json").len())
                .unwrap_or(0);
            (total, input, output, t.name.to_string())
        })
        .collect();
    rows.sort_by(|a, b| b.cmp(a));
    for (total, input, output, name) in &rows {
        eprintln!("{name:<28} {total:>6} bytes (input schema {input}, output schema {output})");
    }
    let bytes = listing_bytes(&all);
    eprintln!(
        "all toolsets: {} tools, {bytes} bytes ≈ {} tokens",
        all.tool_list().len(),
        bytes / 4
    );
    assert!(
        bytes <= BUDGET_BYTES,
        "tools/list is {bytes} bytes, over the {BUDGET_BYTES}-byte budget of DESIGN.md"
    );
}

#[test]
fn every_toolset_alone_fits_the_context_budget() {
    for (name, _) in TOOLSETS {
        let one = server(Some(&[name.to_string()]));
        let bytes = listing_bytes(&one);
        eprintln!(
            "{name:<10} {:>2} tools {bytes:>6} bytes ≈ {} tokens",
            one.tool_list().len(),
            bytes / 4
        );
        assert!(bytes <= BUDGET_BYTES, "toolset {name}: {bytes} bytes");
    }
}

#[test]
fn every_tool_is_registered_once() {
    let mut names: Vec<&str> = dana::server::tools::all().iter().map(|t| t.name).collect();
    let count = names.len();
    names.sort_unstable();
    names.dedup();
    assert_eq!(
        names.len(),
        count,
        "a tool is registered twice in tools::all()"
    );
}

/// What `tools/list` abbreviates is one resource read away, every nested field documented.
#[tokio::test]
async fn full_schemas_are_resources() {
    use rmcp::model::{ReadResourceRequestParams, ResourceContents};
    let h = crate::common::Harness::new().await;
    let listed = h.client.list_all_tools().await.expect("tools");
    let model = listed
        .iter()
        .find(|t| t.name == "design_dimensional_model")
        .expect("listed");
    let listed_text = serde_json::to_string(&model.input_schema).expect("json");
    // Listed: the nested model as a signature, not as JSON Schema definitions.
    assert!(!listed_text.contains("$defs"), "{listed_text}");
    assert!(
        listed_text.contains("measures?: {name: string"),
        "{listed_text}"
    );

    let read = h
        .client
        .read_resource(ReadResourceRequestParams::new(
            "dana://schemas/design_dimensional_model",
        ))
        .await
        .expect("schema resource");
    let ResourceContents::TextResourceContents { text, .. } = &read.contents[0] else {
        panic!("text contents expected");
    };
    let full: serde_json::Value = serde_json::from_str(text).expect("json");
    let defs = &full["inputSchema"]["$defs"];
    assert_eq!(
        defs["FactSpec"]["properties"]["grain"]["description"],
        "Grain: \"One row per <event> per <time grain>\"."
    );
    assert!(full["outputSchema"]["properties"]["findings"].is_object());

    let unknown = h
        .client
        .read_resource(ReadResourceRequestParams::new("dana://schemas/drop_tables"))
        .await
        .expect_err("unknown tool");
    let message = unknown.to_string();
    assert!(
        message.contains("drop_tables") && message.contains("generate_ddl"),
        "{message}"
    );
}
