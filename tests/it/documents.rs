//! Phase documents are for people: every phase's document renders, through the tool, the
//! resource and `dana render`, in every state a gate goes through (not started, pending,
//! clarify with an open question, answered, rejected, approved), and reads as a report:
//! tables and links to the full artifacts, never a JSON dump.

use std::path::Path;

use rmcp::model::{ReadResourceRequestParams, ResourceContents};
use serde_json::json;

use crate::answers::demo_harness;
use crate::cli::dana;
use crate::common::{Harness, text};

const PHASES: [&str; 5] = ["discover", "model", "build", "optimize", "govern"];

/// The discover document's Markdown, through the tool.
async fn discover(h: &Harness) -> String {
    h.ok(
        "render_phase_document",
        json!({"project": "retail", "phase": "discover"}),
    )
    .await["markdown"]
        .as_str()
        .expect("markdown")
        .to_string()
}

/// A `dana gate` command; decisions get `--yes` (no terminal here to confirm on).
fn gate(workspace: &Path, args: &[&str]) {
    let yes: &[&str] = if args[0] == "answer" { &[] } else { &["--yes"] };
    let out = dana(workspace, &[&["gate"], args, yes].concat());
    assert!(
        out.status.success(),
        "dana gate {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Renders every phase three ways and checks each document; `state` is the discover
/// gate's state, shown in the discover document.
async fn every_phase_renders(h: &Harness, state: &str) {
    let workspace = h.app.workspace.root.clone();
    for phase in PHASES {
        let doc = h
            .call(
                "render_phase_document",
                json!({"project": "retail", "phase": phase}),
            )
            .await;
        assert_ne!(doc.is_error, Some(true), "{state}/{phase}: {}", text(&doc));
        let tool_md = doc.structured_content.expect("structured")["markdown"]
            .as_str()
            .expect("markdown")
            .to_string();
        let read = h
            .client
            .read_resource(ReadResourceRequestParams::new(format!(
                "dana://projects/retail/documents/{phase}"
            )))
            .await
            .unwrap_or_else(|e| panic!("{state}/{phase}: resource: {e}"));
        let ResourceContents::TextResourceContents {
            text: resource_md, ..
        } = &read.contents[0]
        else {
            panic!("text");
        };
        let cli = dana(&workspace, &["render", "retail", phase]);
        assert!(
            cli.status.success(),
            "{state}/{phase}: dana render: {}",
            String::from_utf8_lossy(&cli.stderr)
        );
        let cli_md = String::from_utf8(cli.stdout).expect("utf8");
        for (how, md) in [
            ("tool", &tool_md),
            ("resource", resource_md),
            ("cli", &cli_md),
        ] {
            assert!(md.starts_with("# "), "{state}/{phase}/{how}: {md:.200}");
            assert!(
                !md.contains("```json"),
                "{state}/{phase}/{how}: a JSON dump in a document for people"
            );
            assert!(md.contains("## Quality Gate"), "{state}/{phase}/{how}");
        }
        if phase == "discover" {
            assert!(
                tool_md.contains(&format!("`{state}`")) || state == "approved",
                "{state}: the discover document shows the gate state: {tool_md:.600}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn phase_documents_render_in_every_gate_state() {
    let h = demo_harness().await;
    let ws = h.app.workspace.root.clone();
    // After the demo: discover pending a human, the others not started.
    every_phase_renders(&h, "pending_human").await;
    let md = discover(&h).await;
    for section in [
        "## Source Inventory",
        "## Data Dictionary",
        "## Quality Assessment",
        "## Architecture Vision",
        "## Success Metrics",
        "| `customers` | 243 |",
        "dana://projects/retail/artifacts/source_profile",
        "**46/100, Functional but fragile**",
        "Freshness for finance (reporting)",
    ] {
        assert!(md.contains(section), "missing `{section}` in\n{md}");
    }
    assert!(
        md.len() < 12_000,
        "phase 1 of the demo is {} bytes",
        md.len()
    );

    gate(
        &ws,
        &[
            "clarify",
            "retail",
            "discover",
            "--reviewer",
            "ana",
            "--question",
            "Which sources are out of scope?",
        ],
    );
    every_phase_renders(&h, "clarify").await;
    let md = discover(&h).await;
    assert!(
        md.contains("Which sources are out of scope?") && md.contains("*Open.*"),
        "{md}"
    );

    gate(
        &ws,
        &[
            "answer",
            "retail",
            "discover",
            "--text",
            "The CRM export",
            "--reviewer",
            "bo",
        ],
    );
    every_phase_renders(&h, "awaiting_review").await;

    h.ok(
        "request_gate_review",
        json!({"project": "retail", "phase": "discover"}),
    )
    .await;
    gate(
        &ws,
        &[
            "reject",
            "retail",
            "discover",
            "--reviewer",
            "ana",
            "--comment",
            "profile the CRM export too",
        ],
    );
    every_phase_renders(&h, "rejected").await;

    h.ok(
        "request_gate_review",
        json!({"project": "retail", "phase": "discover"}),
    )
    .await;
    gate(&ws, &["approve", "retail", "discover", "--reviewer", "ana"]);
    every_phase_renders(&h, "approved").await;
    let md = discover(&h).await;
    assert!(
        md.contains("> **APPROVED**: gate GATE-DISCOVER approved by ana"),
        "{md:.400}"
    );
    assert!(
        md.contains("profile the CRM export too"),
        "the decision record keeps the rejection"
    );
}
