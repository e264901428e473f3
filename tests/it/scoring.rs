//! `score_infrastructure` against hand-computed cases, band edges, evidence rules,
//! bad inputs, and stored scores with the change since the previous one.

use serde_json::{Value, json};

use crate::common::Harness;

const DIMS: [&str; 7] = [
    "reliability",
    "data_quality",
    "performance",
    "documentation",
    "monitoring",
    "testing",
    "cost_efficiency",
];

fn points(values: [u32; 7]) -> Value {
    let mut dims = serde_json::Map::new();
    for (dim, p) in DIMS.iter().zip(values) {
        dims.insert((*dim).to_string(), json!({ "points": p }));
    }
    json!({ "dimensions": dims })
}

fn top_evidence() -> Value {
    json!({ "dimensions": {
        "reliability": { "evidence": { "success_rate_pct": 99.9, "auto_retry": true } },
        "data_quality": { "evidence": { "check_kinds": ["not_null", "unique", "freshness", "referential", "volume"], "coverage_pct": 90, "contracts": true } },
        "performance": { "evidence": { "sla_met_pct": 100, "runtime_pct_of_sla": 30, "optimized": true } },
        "documentation": { "evidence": { "readme": true, "catalog_coverage_pct": 95, "lineage": true, "business_definitions": true } },
        "monitoring": { "evidence": { "failure_alerts": true, "dashboards": true, "anomaly_detection": true } },
        "testing": { "evidence": { "test_layers": ["unit", "integration", "contract", "e2e"] } },
        "cost_efficiency": { "evidence": { "cost_tracked": true, "optimized": true, "roi_per_pipeline": true } }
    }})
}

fn zero_evidence() -> Value {
    json!({ "dimensions": {
        "reliability": { "evidence": { "success_rate_pct": 80, "auto_retry": false } },
        "data_quality": { "evidence": { "check_kinds": [] } },
        "performance": { "evidence": { "sla_met_pct": 60 } },
        "documentation": { "evidence": { "readme": false } },
        "monitoring": { "evidence": { "failure_alerts": false } },
        "testing": { "evidence": { "test_layers": [] } },
        "cost_efficiency": { "evidence": { "cost_tracked": false } }
    }})
}

#[tokio::test]
async fn all_top_evidence_scores_100() {
    let h = Harness::new().await;
    let r = h.ok("score_infrastructure", top_evidence()).await;
    assert_eq!(r["total"], 100);
    assert_eq!(r["band"]["id"], "BAND-EXCELLENT");
    assert_eq!(r["improvements"].as_array().unwrap().len(), 0);
    let criteria: Vec<&str> = r["dimensions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["criterion"].as_str().unwrap())
        .collect();
    assert_eq!(
        criteria,
        [
            "RUB-REL-20",
            "RUB-DQ-20",
            "RUB-PERF-15",
            "RUB-DOC-10",
            "RUB-MON-15",
            "RUB-TEST-10",
            "RUB-COST-10"
        ]
    );
}

#[tokio::test]
async fn all_zero_evidence_scores_0() {
    let h = Harness::new().await;
    let r = h.ok("score_infrastructure", zero_evidence()).await;
    assert_eq!(r["total"], 0);
    assert_eq!(r["band"]["id"], "BAND-CRITICAL");
    // The first improvements are the biggest steps: 10 points (reliability, data quality).
    let first = &r["improvements"][0];
    assert_eq!(first["gain"], 10);
    assert_eq!(first["band_focus"], true);
    assert!(["reliability", "data_quality"].contains(&first["dimension"].as_str().unwrap()));
}

#[tokio::test]
async fn mixed_evidence_matches_hand_computation() {
    // reliability 96.5% no retry → 10; checks not_null+unique → 10; SLA 97% → 8;
    // README only → 5; failure alerts only → 8; smoke tests → 5; no cost tracking → 0.
    let h = Harness::new().await;
    let input: Value =
        serde_norway::from_str(dana::render::embedded("demo/score_before.yaml").unwrap()).unwrap();
    let r = h.ok("score_infrastructure", input).await;
    let got: Vec<u64> = r["dimensions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["points"].as_u64().unwrap())
        .collect();
    assert_eq!(got, [10, 10, 8, 5, 8, 5, 0]);
    assert_eq!(r["total"], 46);
    assert_eq!(r["band"]["id"], "BAND-FRAGILE");
    // Improvements sorted by gain, then band focus.
    let gains: Vec<u64> = r["improvements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["gain"].as_u64().unwrap())
        .collect();
    let mut sorted = gains.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(gains, sorted);
    assert_eq!(
        r["improvements"][0]["dimension"], "monitoring",
        "7 points and in the band's focus"
    );
    let perf = r["improvements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["dimension"] == "performance")
        .unwrap();
    let needs: Vec<&str> = perf["requires"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(
        needs.contains(&"runtime_pct_of_sla ≤ 50 (now 70)"),
        "{needs:?}"
    );
}

#[tokio::test]
async fn mixed_points_and_evidence() {
    let h = Harness::new().await;
    let mut input = top_evidence();
    input["dimensions"]["reliability"] = json!({ "points": 12 });
    input["dimensions"]["testing"] = json!({ "points": 0 });
    let r = h.ok("score_infrastructure", input).await;
    assert_eq!(r["total"], 100 - 8 - 10);
    assert_eq!(r["dimensions"][0]["source"], "points");
    assert_eq!(
        r["dimensions"][0]["criterion"], "RUB-REL-10",
        "nearest level at or below 12"
    );
}

#[tokio::test]
async fn band_edges() {
    let h = Harness::new().await;
    let cases = [
        ([20, 20, 0, 0, 0, 0, 0], 40, "BAND-CRITICAL"),
        ([20, 20, 1, 0, 0, 0, 0], 41, "BAND-FRAGILE"),
        ([20, 20, 10, 10, 0, 0, 0], 60, "BAND-FRAGILE"),
        ([20, 20, 11, 10, 0, 0, 0], 61, "BAND-SOLID"),
        ([20, 20, 15, 10, 15, 0, 0], 80, "BAND-SOLID"),
        ([20, 20, 15, 10, 15, 1, 0], 81, "BAND-EXCELLENT"),
        ([20, 20, 15, 10, 15, 10, 10], 100, "BAND-EXCELLENT"),
        ([0, 0, 0, 0, 0, 0, 0], 0, "BAND-CRITICAL"),
    ];
    for (values, total, band) in cases {
        let r = h.ok("score_infrastructure", points(values)).await;
        assert_eq!(r["total"], total, "{values:?}");
        assert_eq!(r["band"]["id"], band, "{values:?}");
    }
}

#[tokio::test]
async fn bad_inputs_name_the_field() {
    let h = Harness::new().await;
    let cases: Vec<(Value, &str)> = vec![
        (
            points([21, 0, 0, 0, 0, 0, 0]),
            "dimensions.reliability.points: `21` is out of range; allowed 0-20",
        ),
        (
            points([0, 0, 16, 0, 0, 0, 0]),
            "dimensions.performance.points: `16` is out of range; allowed 0-15",
        ),
        (
            {
                let mut v = points([0; 7]);
                v["dimensions"]["reliability"]["points"] = json!(-1);
                v
            },
            "dimensions.reliability.points",
        ),
        (
            {
                let mut v = points([0; 7]);
                v["dimensions"]["speed"] = json!({ "points": 1 });
                v
            },
            "unknown dimension `speed`",
        ),
        (
            {
                let mut v = points([0; 7]);
                v["dimensions"].as_object_mut().unwrap().remove("testing");
                v
            },
            "dimensions: missing `testing`",
        ),
        (
            {
                let mut v = points([0; 7]);
                v["dimensions"]["testing"] = json!({ "points": 1, "evidence": {} });
                v
            },
            "dimensions.testing: give either `points` or `evidence`, not both",
        ),
        (
            {
                let mut v = points([0; 7]);
                v["dimensions"]["testing"] = json!({});
                v
            },
            "dimensions.testing: give `points` (0-10) or `evidence`",
        ),
        (
            {
                let mut v = zero_evidence();
                v["dimensions"]["reliability"]["evidence"]
                    .as_object_mut()
                    .unwrap()
                    .remove("success_rate_pct");
                v
            },
            "dimensions.reliability.evidence.success_rate_pct: missing evidence",
        ),
        (
            {
                let mut v = zero_evidence();
                v["dimensions"]["reliability"]["evidence"]["uptime"] = json!(1);
                v
            },
            "dimensions.reliability.evidence: unknown fact `uptime`",
        ),
        (
            {
                let mut v = zero_evidence();
                v["dimensions"]["reliability"]["evidence"]["success_rate_pct"] = json!(120);
                v
            },
            "dimensions.reliability.evidence.success_rate_pct: `120` is not valid; expected a number 0-100",
        ),
        (
            {
                let mut v = zero_evidence();
                v["dimensions"]["testing"]["evidence"]["test_layers"] = json!(["unit", "vibes"]);
                v
            },
            "dimensions.testing.evidence.test_layers: unknown item `vibes`",
        ),
        (
            {
                let mut v = zero_evidence();
                v["dimensions"]["monitoring"]["evidence"]["failure_alerts"] = json!("yes");
                v
            },
            "expected true or false",
        ),
        (
            json!({ "dimensions": {}, "extra": 1 }),
            "unknown field `extra`",
        ),
        (json!({}), "missing field `dimensions`"),
    ];
    for (input, expected) in cases {
        let err = h.err("score_infrastructure", input.clone()).await;
        assert!(
            err.contains(expected),
            "input {input}\nexpected `{expected}` in `{err}`"
        );
    }
}

#[tokio::test]
async fn stored_scores_report_the_change() {
    let h = Harness::new().await;
    h.ok(
        "start_project",
        json!({ "name": "Retail analytics", "id": "retail" }),
    )
    .await;
    let mut first = zero_evidence();
    first["project"] = json!("retail");
    let r1 = h.ok("score_infrastructure", first).await;
    assert!(r1.get("change").is_none(), "no previous score");
    let mut second = top_evidence();
    second["project"] = json!("retail");
    let r2 = h.ok("score_infrastructure", second).await;
    assert_eq!(r2["change"]["previous_total"], 0);
    assert_eq!(r2["change"]["delta"], 100);
    assert_eq!(r2["change"]["dimensions"].as_array().unwrap().len(), 7);
    let status = h.ok("project_status", json!({ "project": "retail" })).await;
    assert_eq!(status["latest_score"], 100);

    let mut unknown = top_evidence();
    unknown["project"] = json!("nope");
    let err = h.err("score_infrastructure", unknown).await;
    assert!(
        err.contains("project `nope` not found; valid: `retail`"),
        "{err}"
    );
}

#[tokio::test]
async fn markdown_rendering_lists_improvements() {
    let h = Harness::new().await;
    let report: dana::domain::scoring::ScoreReport =
        serde_json::from_value(h.ok("score_infrastructure", zero_evidence()).await).unwrap();
    let md = h
        .app
        .templates
        .render("reports/score.md.j2", &report)
        .unwrap();
    assert!(
        md.starts_with("# Infrastructure score: 0/100 — Critical gaps"),
        "{md}"
    );
    assert!(
        md.contains("| **Total** | **0** | **100** | BAND-CRITICAL |"),
        "{md}"
    );
    assert!(md.contains("## Improvements, most points first"), "{md}");
}
