//! Building the demo's dbt project with the `dbt` the user has: `dbt seed`, then
//! `dbt build` without the seeds, inside the project folder (its profile, DuckDB file,
//! `target/` and `logs/` all stay there), then a one-line verdict from
//! `target/run_results.json`. A missing or failing dbt never fails the demo.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::dialect::ident;
use crate::error::Result;

/// Runs the build and says what happened: models built, tests passed, and the source
/// tests that warn compared with the checks dana's own run found failing (`failing`).
pub fn build(dbt: &Path, root: &Path, failing: &[String]) -> Result<String> {
    for args in [
        &["seed"][..],
        &["build", "--exclude", "resource_type:seed"][..],
    ] {
        let out = Command::new(dbt)
            .args(args)
            .current_dir(root)
            .env("DBT_PROFILES_DIR", root)
            .env("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
            .env("DO_NOT_TRACK", "1")
            .output();
        let out = match out {
            Ok(out) => out,
            Err(e) => return Ok(format!("could not run `{}`: {e}", dbt.display())),
        };
        if !out.status.success() {
            let tail: Vec<String> = String::from_utf8_lossy(&out.stdout)
                .lines()
                .filter(|l| l.contains("ERROR") || l.contains("Error"))
                .take(3)
                .map(str::to_string)
                .collect();
            return Ok(format!(
                "`dbt {}` failed (see dbt/logs/dbt.log): {}",
                args.join(" "),
                tail.join(" | ")
            ));
        }
    }
    let path = root.join("target/run_results.json");
    let results: Value = match std::fs::read_to_string(&path)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
    {
        Some(v) => v,
        None => return Ok("dbt build passed (no target/run_results.json to summarize)".into()),
    };
    Ok(verdict(&results, failing))
}

/// The one-line verdict of a `run_results.json`.
fn verdict(results: &Value, failing: &[String]) -> String {
    let mut models = 0;
    let mut passed = 0;
    let mut warned: Vec<String> = Vec::new();
    for r in results["results"].as_array().into_iter().flatten() {
        let id = r["unique_id"].as_str().unwrap_or_default();
        let status = r["status"].as_str().unwrap_or_default();
        if id.starts_with("model.") && status == "success" {
            models += 1;
        } else if id.starts_with("test.") {
            match status {
                "pass" => passed += 1,
                "warn" | "fail" => warned.push(test_name(id)),
                _ => {}
            }
        }
    }
    warned.sort();
    let mut expected: Vec<String> = failing.iter().map(|id| ident::ascii_word(id)).collect();
    expected.sort();
    let agree = if warned == expected {
        "exactly the checks dana's run found failing".to_string()
    } else {
        format!(
            "dana's run found {} failing checks; they differ (a bug in dana: please report it)",
            expected.len()
        )
    };
    format!(
        "dbt build passed: {models} models built, {passed} tests pass, {} source tests warn on the planted defects: {agree}",
        warned.len()
    )
}

/// A test's name from its unique id (`test.<project>.<name>[.<hash>]`).
fn test_name(unique_id: &str) -> String {
    let mut parts = unique_id.splitn(3, '.').skip(2);
    let rest = parts.next().unwrap_or_default();
    match rest.rsplit_once('.') {
        Some((name, hash)) if hash.chars().all(|c| c.is_ascii_hexdigit()) => name.to_string(),
        _ => rest.to_string(),
    }
}
