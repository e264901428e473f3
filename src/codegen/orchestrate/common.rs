//! The part of every generated file that holds the design as data, the hooks the user
//! fills in and the steps the orchestrator's tasks call (each with its dry-run path).

use serde_json::{Value, json};

use super::Context;
use crate::codegen::python::{self, Names};
use crate::domain::pipeline::PipelineSpec;

/// File name (without `.py`) for a pipeline: its name as a Python module name.
pub fn file_stem(spec: &PipelineSpec) -> String {
    Names::new(&[]).ident(&spec.name)
}

/// A check of the spec as `(id, text)`: `QG-PRE-SCHEMA: text` keeps its id, a free-text
/// check is numbered (`PRE-LOAD-1`).
pub fn checks(list: &[String], prefix: &str) -> Vec<(String, String)> {
    list.iter()
        .enumerate()
        .map(|(i, c)| match c.split_once(": ") {
            Some((id, text))
                if !id.is_empty()
                    && id
                        .chars()
                        .all(|ch| ch.is_ascii_uppercase() || ch.is_ascii_digit() || ch == '-') =>
            {
                (id.to_string(), text.to_string())
            }
            _ => (format!("{prefix}-{}", i + 1), c.clone()),
        })
        .collect()
}

/// The design as data: `PIPELINE`, the checks, the load statements and the period.
fn data(ctx: &Context) -> String {
    let spec = ctx.input.spec;
    let (e, l) = (&spec.extract, &spec.load);
    let cdc = ctx.input.cdc;
    let entries: Vec<(&str, Value)> = vec![
        ("name", json!(spec.name)),
        ("owner", json!(spec.owner)),
        ("tier", json!(spec.tier)),
        ("on_error", json!(spec.error_handling.strategy)),
        ("source", json!(e.source_system)),
        ("source_object", json!(e.object)),
        ("extraction", json!(e.strategy)),
        ("extraction_rule", json!(ctx.input.extraction_rule)),
        ("incremental_key", json!(e.incremental_key)),
        (
            "watermark",
            serde_json::to_value(e.watermark_storage).unwrap_or_default(),
        ),
        (
            "late_window_hours",
            json!(e.late_window_hours.unwrap_or(0.0)),
        ),
        ("staging_table", json!(cdc.map(|c| &c.staging_table))),
        ("target", json!(l.target_system)),
        ("target_table", json!(l.target_table)),
        ("load", json!(l.strategy)),
        ("load_rule", json!(ctx.input.load_rule)),
        ("merge_keys", json!(l.merge_keys)),
        ("partition_key", json!(l.partition_key)),
        ("schedule", json!(ctx.schedule)),
        ("sla_minutes", json!(spec.sla_minutes)),
        ("alert_channels", json!(spec.error_handling.alert_channels)),
    ];
    let mut out = String::from("PIPELINE = {\n");
    for (k, v) in entries {
        out.push_str(&format!(
            "    {}: {},\n",
            python::string(k),
            python::literal(&v)
        ));
    }
    out.push_str("}\n");
    let gates = &spec.quality_gates;
    for (name, list) in [
        ("PRE_LOAD_CHECKS", checks(&gates.pre_load, "PRE-LOAD")),
        ("POST_LOAD_CHECKS", checks(&gates.post_load, "POST-LOAD")),
    ] {
        out.push_str(&format!("{name}: list[tuple[str, str]] = [\n"));
        for (id, text) in list {
            out.push_str(&format!(
                "    ({}, {}),\n",
                python::string(&id),
                python::string(&text)
            ));
        }
        out.push_str("]\n");
    }
    let statements = cdc.map(|c| c.apply_sql.as_slice()).unwrap_or_default();
    out.push_str(
        "# Statements the load runs in order (the design's CDC apply statements); when empty,\n",
    );
    out.push_str("# load_window() does the load.\n");
    if statements.is_empty() {
        out.push_str("LOAD_SQL: list[str] = []\n");
    } else {
        out.push_str("LOAD_SQL: list[str] = [\n");
        for s in statements {
            out.push_str(&format!("    {},\n", python::string(s)));
        }
        out.push_str("]\n");
    }
    out.push_str(&format!(
        "# One run covers one period of the schedule.\nPERIOD = {}\n",
        ctx.period.timedelta()
    ));
    out
}

/// Hooks and steps, identical in every file.
const STEPS: &str = r#"

def window(start: datetime | None, end: datetime | None) -> dict[str, str]:
    """The run's window, widened back by the late window: re-running a window reads the same rows."""
    if start is None or end is None:
        raise ValueError("the run has no window: give it a start and an end (a data interval or partition)")
    lookback = timedelta(hours=PIPELINE["late_window_hours"])
    return {"start": (start - lookback).isoformat(), "end": end.isoformat()}


# Hooks: fill these in. They are called only when dry_run is False; a dry run logs what
# each step would do instead.


def extract_window(win: dict[str, str]) -> int:
    """Land the window's rows of PIPELINE["source_object"] in staging; return the row count.

    Read rows whose PIPELINE["incremental_key"] (or event time) falls in [start, end), or the
    whole object for a full extraction; for CDC confirm the connector has landed the window
    in PIPELINE["staging_table"].
    """
    raise NotImplementedError("extract_window: land the window's source rows in staging")


def load_window(win: dict[str, str]) -> int:
    """Write the staged window to PIPELINE["target_table"] by PIPELINE["load"]; return rows loaded.

    merge: upsert on PIPELINE["merge_keys"]; partition_swap: replace the window's partitions of
    PIPELINE["partition_key"]; append: delete the window first; truncate_reload: swap in one
    transaction. Not called when LOAD_SQL holds the statements.
    """
    raise NotImplementedError("load_window: write the staged window to the target")


def run_sql(statement: str) -> None:
    """Run one statement on PIPELINE["target"]."""
    raise NotImplementedError("run_sql: run one statement on the target")


def run_check(check_id: str, check: str, win: dict[str, str]) -> bool:
    """Evaluate one quality check for the window; True when it passes."""
    raise NotImplementedError("run_check: evaluate one quality check for the window")


def send_alert(channel: str, message: str) -> None:
    """Deliver an alert to one of PIPELINE["alert_channels"]; replace the log line with your client."""
    log.error("alert for %s: %s", channel, message)


# Steps the orchestrator's tasks call.


def alert(message: str) -> None:
    for channel in PIPELINE["alert_channels"]:
        send_alert(channel, message)


def extract(win: dict[str, str], dry_run: bool) -> int:
    if dry_run:
        log.info(
            "dry run: extract %s from %s by %s (%s) for %s",
            PIPELINE["source_object"],
            PIPELINE["source"],
            PIPELINE["extraction"],
            PIPELINE["extraction_rule"],
            win,
        )
        return 0
    return extract_window(win)


def check(checks: list[tuple[str, str]], win: dict[str, str], dry_run: bool) -> list[str]:
    """Run the checks; return the failed ids. A failure stops the run unless the pipeline's
    error strategy is skip-and-alert, which alerts and goes on."""
    failed = []
    for check_id, text in checks:
        if dry_run:
            log.info("dry run: check %s (%s) for %s", check_id, text, win)
        elif not run_check(check_id, text, win):
            failed.append(check_id)
    if failed:
        message = f"{PIPELINE['name']}: checks failed for {win}: {', '.join(failed)}"
        if PIPELINE["on_error"] != "skip-and-alert":
            raise RuntimeError(message)
        alert(message)
    return failed


def load(win: dict[str, str], dry_run: bool) -> int:
    for statement in LOAD_SQL:
        if dry_run:
            log.info("dry run: run on %s: %s", PIPELINE["target"], statement)
        else:
            run_sql(statement)
    if LOAD_SQL:
        return 0
    if dry_run:
        log.info(
            "dry run: load the staged window into %s by %s (%s) on %s for %s",
            PIPELINE["target_table"],
            PIPELINE["load"],
            PIPELINE["load_rule"],
            PIPELINE["merge_keys"] or PIPELINE["partition_key"],
            win,
        )
        return 0
    return load_window(win)
"#;

/// The docstring, imports, data, hooks and steps of a file: `doc` is its static
/// docstring, `imports` its import lines after `logging` and `datetime`.
pub fn head(ctx: &Context, doc: &str, datetime_names: &str, imports: &str) -> String {
    format!(
        "\"\"\"{doc}\n\nGenerated by dana from the pipeline's design_pipeline spec (PIPELINE below). Every run\ncovers one window of the schedule and can be re-run or backfilled by window. dry_run (on\nby default) runs every step end to end, logging the window and what it would do; fill in\nthe hooks below, then run with dry_run off.\n\"\"\"\n\nimport logging\nfrom datetime import {datetime_names}\n\n{imports}\nlog = logging.getLogger(__name__)\n\n{}{STEPS}",
        data(ctx)
    )
}
