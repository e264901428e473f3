//! Runs quality checks on a named datasource. The checks of one table that are row
//! predicates or aggregates share ONE scan (`templates/checks/scan.sql.j2`; one per
//! [`SCAN_CHUNK`] checks); grouping, join and cross-table kinds get one statement each.
//! Failing predicate and key checks get a small sample of offending keys, PII columns
//! (declared, or named or valued like personal data) never shown.
//!
//! A statement that fails on its own (a type the check does not fit) is that check's
//! `error` (a failing shared scan is split until the failing check stands alone); a datasource that times out or goes away fails the whole run with an error
//! naming what was running, so no half run is ever returned (or recorded in a project).

use std::collections::BTreeMap;
use std::time::Instant;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::Progress;
use super::checks::{self, CheckSql, QualityCheck, Threshold};
use super::spec::TableSpec;
use crate::App;
use crate::error::{Error, Result};
use crate::live::{self, Cell, Datasource, Failure};
use crate::playbook::Shape;

/// Masked value shown instead of a PII column.
pub const MASK: &str = "***";

/// Checks per shared scan statement: under every engine's select-list limit (PostgreSQL
/// 1,664 entries, SQLite 2,000 result columns, MySQL 4,096).
pub const SCAN_CHUNK: usize = 1_000;

/// Params of `run_quality_checks`.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RunQualityChecksParams {
    /// Datasource name from dana.toml (list: list_datasources).
    pub datasource: String,
    /// Checks as generate_quality_checks returned them (`sql` is regenerated for the engine).
    #[serde(default)]
    #[schemars(with = "Vec<serde_json::Map<String, serde_json::Value>>")]
    pub checks: Vec<QualityCheck>,
    /// Table specs whose declared checks run too (same shape as generate_quality_checks `table`).
    #[serde(default)]
    #[schemars(extend("x-brief" = true))]
    pub tables: Vec<TableSpec>,
    /// Failing keys sampled per failed check (default 5, at most 100).
    #[serde(default)]
    pub sample_rows: Option<u32>,
    /// Project id: record the run in this project.
    #[serde(default)]
    pub project: Option<String>,
}

/// Outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Observed value within the threshold.
    Pass,
    /// Observed value outside the threshold.
    Fail,
    /// The statement failed (message in `error`).
    Error,
    /// The engine cannot express the check.
    Unsupported,
}

/// Offending keys of a failed check.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct FailingSample {
    /// Column names (key columns; PII columns show `***`).
    pub columns: Vec<String>,
    /// Up to `limit` rows.
    pub rows: Vec<Vec<Cell>>,
    /// Most rows fetched: `sample_rows`, bounded by the datasource's `row_cap`.
    pub limit: u64,
}

/// Result of one check.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct CheckResult {
    /// Check id.
    pub id: String,
    /// Check kind.
    pub kind: String,
    /// Quality dimension.
    pub dimension: String,
    /// Severity P0-P3.
    pub severity: String,
    /// Table.
    pub table: String,
    /// Whether the check passed (false for errors and unsupported checks).
    pub passed: bool,
    /// pass, fail, error or unsupported.
    pub status: Status,
    /// The observed number.
    pub observed: Option<f64>,
    /// Pass range.
    pub threshold: Threshold,
    /// Milliseconds of the statement that computed it (shared by a table's scan checks).
    pub duration_ms: u64,
    /// `scan` (shared table scan) or `own` (its own statement).
    pub statement: String,
    /// Share of the table's rows the failure affects, in percent (row-counting checks
    /// that failed); the severity then follows the playbook's `severity_by_share`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub affected_pct: Option<f64>,
    /// Extra figures (reconciliation: both sides).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Offending keys, for failed row-level and key checks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failing_sample: Option<FailingSample>,
    /// Why it errored or is unsupported.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Counts of a run.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct RunSummary {
    /// Checks run.
    pub total: usize,
    /// Passed.
    pub passed: usize,
    /// Failed.
    pub failed: usize,
    /// Errored.
    pub errors: usize,
    /// Not expressible on the engine.
    pub unsupported: usize,
    /// Failed or errored checks per severity.
    pub failing_by_severity: BTreeMap<String, usize>,
}

/// A quality-check run.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct QualityRun {
    /// Datasource name.
    pub datasource: String,
    /// Engine.
    pub engine: String,
    /// RFC 3339 UTC start.
    pub started_at: String,
    /// Total milliseconds.
    pub duration_ms: u64,
    /// Whether no check failed or errored (checks the engine cannot express are counted
    /// in `summary.unsupported`, not as failures).
    pub passed: bool,
    /// Counts.
    pub summary: RunSummary,
    /// Statements sent (scans + own statements + samples).
    pub statements: usize,
    /// One entry per check, in input order.
    pub results: Vec<CheckResult>,
    /// Tables checked.
    pub tables: Vec<String>,
}

/// Resolves the checks of `params` (explicit checks, then the tables' declared ones).
pub fn collect_checks(app: &App, params: &RunQualityChecksParams) -> Result<Vec<QualityCheck>> {
    let book = &app.playbooks.quality;
    let mut out: Vec<QualityCheck> = Vec::new();
    for (i, check) in params.checks.iter().enumerate() {
        let mut check = check.clone();
        checks::complete(book, &mut check, &format!("checks[{i}]"))?;
        out.push(check);
    }
    for (i, spec) in params.tables.iter().enumerate() {
        let generated = checks::from_spec(book, spec, checks::CheckOrigin::Declared)
            .map_err(|e| Error::invalid(format!("tables[{i}]: {e}").replace(": table.", ".")))?;
        for check in generated {
            if !out.iter().any(|c| c.id == check.id) {
                out.push(check);
            }
        }
    }
    if out.is_empty() {
        return Err(Error::invalid(
            "checks: nothing to run; give `checks` (from generate_quality_checks) or `tables` (table specs)",
        ));
    }
    let mut seen = std::collections::HashSet::new();
    for check in &out {
        if !seen.insert(check.id.as_str()) {
            return Err(Error::invalid(format!(
                "checks: duplicate check id `{}`",
                check.id
            )));
        }
    }
    Ok(out)
}

/// Runs `params` on its datasource.
pub async fn run<P: Progress>(
    app: &App,
    params: &RunQualityChecksParams,
    progress: &P,
) -> Result<QualityRun> {
    let mut checks = collect_checks(app, params)?;
    let ds = app.live.get(&params.datasource).await?;
    live::bind_checks(&ds, &mut checks).await?;
    let sample_rows = u64::from(params.sample_rows.unwrap_or(5).clamp(1, 100));
    run_checks(app, &ds, &checks, sample_rows, progress).await
}

struct Planned<'a> {
    index: usize,
    check: &'a QualityCheck,
    sql: std::result::Result<CheckSql, String>,
}

/// Runs `checks` on `ds`, one shared scan per table plus one statement per query check.
pub async fn run_checks<P: Progress>(
    app: &App,
    ds: &Datasource,
    checks: &[QualityCheck],
    sample_rows: u64,
    progress: &P,
) -> Result<QualityRun> {
    let book = &app.playbooks.quality;
    let dialect = crate::dialect::by_name(ds.engine.dialect())?;
    let checks = &personal_by_name(app, checks)?;
    let started = Instant::now();
    let started_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    // Group by table, keeping input order of tables.
    let mut order: Vec<(Option<String>, String)> = Vec::new();
    let mut by_table: BTreeMap<(Option<String>, String), Vec<Planned<'_>>> = BTreeMap::new();
    for (index, check) in checks.iter().enumerate() {
        let sql = checks::render(&app.templates, book, dialect, check, sample_rows)
            .map_err(|e| Error::invalid(format!("checks[{index}] (`{}`): {e}", check.id)))?;
        let key = (check.schema.clone(), check.table.clone());
        if !by_table.contains_key(&key) {
            order.push(key.clone());
        }
        by_table
            .entry(key)
            .or_default()
            .push(Planned { index, check, sql });
    }
    let sample_limit = sample_rows.min(ds.limits.row_cap);
    let mut results: Vec<Option<CheckResult>> = vec![None; checks.len()];
    let mut statements = 0usize;
    let total_tables = order.len();
    for (t, key) in order.iter().enumerate() {
        if progress.cancelled() {
            return Err(Error::invalid("cancelled by the client"));
        }
        progress
            .report(t, total_tables, format!("checking `{}`", key.1))
            .await;
        let planned = by_table.remove(key).unwrap_or_default();
        // Unsupported first.
        for p in &planned {
            if let Err(reason) = &p.sql {
                results[p.index] = Some(result_of(
                    p.check,
                    Status::Unsupported,
                    None,
                    0,
                    "none",
                    None,
                    Some(reason.clone()),
                ));
            }
        }
        // The shared scan, in chunks under every engine's select-list limit. A chunk whose
        // statement fails is split in two until the failing check stands alone: the others
        // still share scans (about 2 log2(n) extra statements, not n).
        let scan: Vec<&Planned<'_>> = planned
            .iter()
            .filter(|p| matches!(&p.sql, Ok(s) if s.shape != Shape::Query))
            .collect();
        let table_sql =
            dialect.qualified_name(&crate::dialect::TableName::new(key.0.as_deref(), &key.1))?;
        // Rows of the table, from the shared scan (for the share of rows a failure affects).
        let mut table_rows: Option<f64> = None;
        let mut queue: Vec<(Vec<&Planned<'_>>, bool)> = scan
            .chunks(SCAN_CHUNK)
            .rev()
            .map(|c| (c.to_vec(), false))
            .collect();
        while let Some((group, split)) = queue.pop() {
            if progress.cancelled() {
                return Err(Error::invalid("cancelled by the client"));
            }
            let exprs: Vec<(String, String)> = group
                .iter()
                .enumerate()
                .filter_map(|(i, p)| {
                    p.sql
                        .as_ref()
                        .ok()
                        .and_then(|s| s.expression.clone())
                        .map(|e| (format!("dana_c{i}"), e))
                })
                .collect();
            let sql = app
                .templates
                .render(
                    "checks/scan.sql.j2",
                    json!({"table": table_sql, "exprs": exprs}),
                )?
                .trim()
                .to_string();
            let t0 = Instant::now();
            let outcome = ds.fetch(&sql, &[]).await;
            statements += 1;
            let ms = t0.elapsed().as_millis() as u64;
            let outcome = keep_going(outcome, || {
                format!("the shared scan of `{}` ({} checks)", key.1, group.len())
            })?;
            let statement = if split && group.len() == 1 {
                "own"
            } else {
                "scan"
            };
            match outcome {
                Ok(rows) => {
                    if table_rows.is_none() {
                        table_rows = rows.first("dana_rows").and_then(Cell::as_f64);
                    }
                    for (i, p) in group.iter().enumerate() {
                        let observed = rows.first(&format!("dana_c{i}")).and_then(Cell::as_f64);
                        results[p.index] = Some(judge(p.check, observed, ms, statement, None));
                    }
                }
                Err(e) if group.len() > 1 => {
                    tracing::debug!(table = %key.1, checks = group.len(), error = %e, "scan chunk failed; splitting it");
                    let (a, b) = group.split_at(group.len() / 2);
                    queue.push((b.to_vec(), true));
                    queue.push((a.to_vec(), true));
                }
                Err(e) => {
                    for p in &group {
                        results[p.index] = Some(result_of(
                            p.check,
                            Status::Error,
                            None,
                            ms,
                            statement,
                            None,
                            Some(error_message(&e)),
                        ));
                    }
                }
            }
        }
        // Own statements.
        for p in planned
            .iter()
            .filter(|p| matches!(&p.sql, Ok(s) if s.shape == Shape::Query))
        {
            if progress.cancelled() {
                return Err(Error::invalid("cancelled by the client"));
            }
            let Ok(sql) = &p.sql else { continue };
            // A combined statement brings count and failing keys at once, capped like a
            // sample; the others return one row with `observed`.
            let (statement_sql, cap) = match &sql.combined {
                Some(combined) => (combined, sample_limit),
                None => (&sql.standalone, ds.limits.row_cap),
            };
            let t0 = Instant::now();
            let outcome = ds.fetch_capped(statement_sql, &[], cap).await;
            statements += 1;
            let ms = t0.elapsed().as_millis() as u64;
            let outcome = keep_going(outcome, || format!("check `{}` on `{}`", p.check.id, key.1))?;
            let custom = book
                .kind(&p.check.kind)
                .is_some_and(|k| k.name == "custom_sql");
            results[p.index] = Some(match outcome {
                Ok(rows) if sql.combined.is_some() => {
                    combined_result(app, p.check, rows, ms, sample_limit)?
                }
                Ok(rows) if custom && rows.rows.len() > 1 => result_of(
                    p.check,
                    Status::Error,
                    None,
                    ms,
                    "own",
                    None,
                    Some(format!(
                        "the custom query returned {}{} rows; it must return one row with a column `observed`",
                        rows.rows.len(),
                        if rows.truncated { "+" } else { "" }
                    )),
                ),
                Ok(rows) => {
                    let detail = match (rows.first("this_value"), rows.first("other_value")) {
                        (Some(a), Some(b)) => Some(format!(
                            "this table: {}, other table: {}",
                            a.as_text().unwrap_or_else(|| "NULL".into()),
                            b.as_text().unwrap_or_else(|| "NULL".into())
                        )),
                        _ => None,
                    };
                    judge(
                        p.check,
                        rows.first("observed").and_then(Cell::as_f64),
                        ms,
                        "own",
                        detail,
                    )
                }
                Err(e) => result_of(
                    p.check,
                    Status::Error,
                    None,
                    ms,
                    "own",
                    None,
                    Some(error_message(&e)),
                ),
            });
        }
        // Severity from the share of rows a failed row-counting check affects.
        let counts_rows = |p: &Planned<'_>| {
            book.kind(&p.check.kind).is_some_and(|k| {
                k.shape == Shape::Predicate
                    || matches!(
                        k.name.as_str(),
                        "unique" | "unique_combination" | "relationships"
                    )
            })
        };
        let needs_rows = planned.iter().any(|p| {
            counts_rows(p)
                && results[p.index]
                    .as_ref()
                    .is_some_and(|r| r.status == Status::Fail)
        });
        if needs_rows && table_rows.is_none() {
            let sql = app
                .templates
                .render(
                    "checks/scan.sql.j2",
                    json!({"table": table_sql, "exprs": []}),
                )?
                .trim()
                .to_string();
            statements += 1;
            if let Ok(rows) = keep_going(ds.fetch(&sql, &[]).await, || {
                format!("the row count of `{}`", key.1)
            })? {
                table_rows = rows.first("dana_rows").and_then(Cell::as_f64);
            }
        }
        if let Some(rows) = table_rows.filter(|r| *r > 0.0) {
            for p in planned.iter().filter(|p| counts_rows(p)) {
                let Some(result) = results[p.index].as_mut() else {
                    continue;
                };
                let (Status::Fail, Some(observed)) = (result.status, result.observed) else {
                    continue;
                };
                let pct = (observed * 100.0 / rows).min(100.0);
                result.affected_pct = Some((pct * 1000.0).round() / 1000.0);
                let kind = book.kind(&p.check.kind);
                let own = kind.is_some_and(|k| k.severity != p.check.severity);
                let critical = p.check.severity == "P0";
                if !own
                    && !critical
                    && let Some(severity) = book.severity_for_share(pct)
                {
                    result.severity = severity.to_string();
                }
            }
        }
        // Samples of failing keys.
        for p in &planned {
            let Ok(sql) = &p.sql else { continue };
            if sql.combined.is_some() {
                continue;
            }
            let Some(sample_sql) = &sql.sample else {
                continue;
            };
            let Some(result) = results[p.index].as_mut() else {
                continue;
            };
            if result.status != Status::Fail {
                continue;
            }
            // A predicate check knows how many rows fail: asking for no more lets the
            // engine stop at the last one instead of scanning to the end of the table.
            // A referential check's failing keys on PostgreSQL: when no more rows fail than
            // the sample holds, asking for all of them keeps the parallel hash anti-join
            // (any LIMIT makes the planner probe the parent's index row by row, serially).
            let referential = sql.shape == Shape::Query && sql.predicate.is_some();
            let fewer = match result.observed {
                Some(o)
                    if sql.shape == Shape::Predicate && o >= 1.0 && (o as u64) < sample_limit =>
                {
                    Some(o as u64)
                }
                Some(o)
                    if referential
                        && dialect.name() == "postgres"
                        && o >= 1.0
                        && (o as u64) <= sample_limit =>
                {
                    Some(i64::MAX as u64)
                }
                _ => None,
            };
            let tighter = match fewer {
                Some(rows) => checks::render(&app.templates, book, dialect, p.check, rows)?
                    .ok()
                    .and_then(|s| s.sample),
                None => None,
            };
            let sample_sql = tighter.as_ref().unwrap_or(sample_sql);
            if progress.cancelled() {
                return Err(Error::invalid("cancelled by the client"));
            }
            statements += 1;
            match ds.fetch_capped(sample_sql, &[], sample_limit).await {
                Ok(rows) => {
                    result.failing_sample =
                        Some(mask(app, p.check, rows.columns, rows.rows, sample_limit)?);
                }
                // The check's own result stands; only its failing keys are missing.
                Err(e) if live::failure(&e) == Some(Failure::Unavailable) => {
                    return Err(live::context(
                        e,
                        &format!("failing keys of check `{}` on `{}`", p.check.id, key.1),
                    ));
                }
                Err(e) => {
                    result.detail =
                        Some(format!("failing keys not sampled: {}", error_message(&e)));
                }
            }
        }
    }
    progress
        .report(total_tables, total_tables, "done".to_string())
        .await;
    let results: Vec<CheckResult> = results.into_iter().flatten().collect();
    let mut summary = RunSummary {
        total: results.len(),
        ..RunSummary::default()
    };
    for r in &results {
        match r.status {
            Status::Pass => summary.passed += 1,
            Status::Fail => summary.failed += 1,
            Status::Error => summary.errors += 1,
            Status::Unsupported => summary.unsupported += 1,
        }
        if matches!(r.status, Status::Fail | Status::Error) {
            *summary
                .failing_by_severity
                .entry(r.severity.clone())
                .or_default() += 1;
        }
    }
    Ok(QualityRun {
        datasource: ds.name.clone(),
        engine: ds.engine.dialect().to_string(),
        started_at,
        duration_ms: started.elapsed().as_millis() as u64,
        passed: summary.failed == 0 && summary.errors == 0,
        summary,
        statements,
        results,
        tables: order.into_iter().map(|(_, t)| t).collect(),
    })
}

/// The result of a combined statement: the observed number is the last column of every
/// row (read by position: a key column may carry any name), no row means nothing failed,
/// and the other columns are the failing keys.
fn combined_result(
    app: &App,
    check: &QualityCheck,
    mut rows: live::Rows,
    ms: u64,
    sample_limit: u64,
) -> Result<CheckResult> {
    let observed = match rows.rows.first() {
        None => Some(0.0),
        Some(row) => row.last().and_then(Cell::as_f64),
    };
    let mut result = judge(check, observed, ms, "own", None);
    if result.status == Status::Fail && !rows.rows.is_empty() {
        rows.columns.pop();
        for row in &mut rows.rows {
            row.pop();
        }
        result.failing_sample = Some(mask(app, check, rows.columns, rows.rows, sample_limit)?);
    }
    Ok(result)
}

/// The outcome of one statement, kept (`Ok`) when it succeeded or only it failed (the
/// run goes on and reports the error), or `Err` naming `what` was running when the
/// datasource timed out or went away (the run stops).
fn keep_going(
    outcome: Result<live::Rows>,
    what: impl FnOnce() -> String,
) -> Result<Result<live::Rows>> {
    match outcome {
        Err(e)
            if matches!(
                live::failure(&e),
                Some(Failure::Timeout | Failure::Unavailable)
            ) =>
        {
            Err(live::context(e, &what()))
        }
        other => Ok(other),
    }
}

fn error_message(e: &Error) -> String {
    match e {
        Error::Datasource { message, .. } => message.clone(),
        other => format!("{other:#}"),
    }
}

/// `checks` with the columns whose names the governance playbook's PII detectors match
/// added to their `pii_columns`: a failing-key sample never selects them, whether or not
/// the caller marked them.
fn personal_by_name(app: &App, checks: &[QualityCheck]) -> Result<Vec<QualityCheck>> {
    let book = &app.playbooks.governance;
    let today = chrono::Utc::now().date_naive();
    let mut out = Vec::with_capacity(checks.len());
    for check in checks {
        let mut check = check.clone();
        let named: Vec<String> = check
            .columns
            .iter()
            .chain(&check.sample_columns)
            .cloned()
            .collect();
        for column in named {
            if !check.pii_columns.contains(&column)
                && crate::domain::governance::classify::looks_personal(book, &column, &[], today)?
            {
                check.pii_columns.push(column);
            }
        }
        out.push(check);
    }
    Ok(out)
}

/// Sample rows with PII columns (never selected) shown as `***` in key order; a key
/// column whose fetched values look like personal data (the governance playbook's value
/// checks) is shown as `***` too.
fn mask(
    app: &App,
    check: &QualityCheck,
    fetched_columns: Vec<String>,
    rows: Vec<Vec<Cell>>,
    limit: u64,
) -> Result<FailingSample> {
    let keys: Vec<&String> = check.sample_columns.iter().collect();
    let today = chrono::Utc::now().date_naive();
    let mut columns: Vec<String> = Vec::new();
    let mut out_rows: Vec<Vec<Cell>> = rows.iter().map(|_| Vec::new()).collect();
    // Sample statements select the key columns first, in order: read them by position
    // (a key may share its name with one of dana's own aliases), by name otherwise.
    for (k, key) in keys.iter().enumerate() {
        columns.push((*key).clone());
        let fetched = if fetched_columns.get(k) == Some(*key) {
            Some(k)
        } else {
            fetched_columns.iter().position(|c| c == *key)
        };
        let values: Vec<String> = fetched
            .map(|i| {
                rows.iter()
                    .filter_map(|r| r.get(i).and_then(Cell::as_text))
                    .collect()
            })
            .unwrap_or_default();
        let values: Vec<&str> = values.iter().map(String::as_str).collect();
        let personal = check.pii_columns.contains(key)
            || crate::domain::governance::classify::looks_personal(
                &app.playbooks.governance,
                key,
                &values,
                today,
            )?;
        for (row, out) in rows.iter().zip(out_rows.iter_mut()) {
            let cell = if personal {
                Cell::Text(MASK.to_string())
            } else {
                fetched
                    .and_then(|i| row.get(i).cloned())
                    .unwrap_or(Cell::Null)
            };
            out.push(cell);
        }
    }
    // The repeat count of uniqueness samples: the one column after the keys.
    if fetched_columns.len() == keys.len() + 1
        && fetched_columns.last().map(String::as_str) == Some("dana_rows")
    {
        let i = keys.len();
        columns.push("rows".to_string());
        for (row, out) in rows.iter().zip(out_rows.iter_mut()) {
            out.push(row.get(i).cloned().unwrap_or(Cell::Null));
        }
    }
    Ok(FailingSample {
        columns,
        rows: out_rows,
        limit,
    })
}

fn judge(
    check: &QualityCheck,
    observed: Option<f64>,
    ms: u64,
    statement: &str,
    detail: Option<String>,
) -> CheckResult {
    // No row, or NULL: an empty table has no freshest row (0 inside the window).
    let value = observed.unwrap_or(0.0);
    let status = if check.threshold.passes(value) {
        Status::Pass
    } else {
        Status::Fail
    };
    result_of(check, status, Some(value), ms, statement, detail, None)
}

fn result_of(
    check: &QualityCheck,
    status: Status,
    observed: Option<f64>,
    duration_ms: u64,
    statement: &str,
    detail: Option<String>,
    error: Option<String>,
) -> CheckResult {
    CheckResult {
        id: check.id.clone(),
        kind: check.kind.clone(),
        dimension: check.dimension.clone(),
        severity: check.severity.clone(),
        table: check.table.clone(),
        passed: status == Status::Pass,
        status,
        observed,
        threshold: check.threshold,
        duration_ms,
        statement: statement.to_string(),
        affected_pct: None,
        detail,
        failing_sample: None,
        error,
    }
}
