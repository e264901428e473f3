//! Profiling a live datasource: schema introspection plus, per table, ONE full scan and
//! one bounded sample read. Anomalies are flagged with the playbook's IDs and checks are
//! suggested from what the data shows.
//!
//! The scan computes row count, null counts, min/max, means, text lengths and future
//! timestamps exactly, whatever the table's size (unless `exact_stats_max_rows` is set:
//! above it means, text statistics and unindexed numeric min/max come from the sample,
//! listed in `estimated`, for a scan about four times cheaper). Distinct counts are exact up to
//! `exact_distinct_max_rows` (catalog estimate); above it, where COUNT(DISTINCT) would
//! sort every column and forbid a parallel plan, they are estimated from the sample
//! (Haas-Stokes) and each column lists `distinct_count` in `estimated`, except key-like
//! columns (named like a key, or with no repeated value in the sample), which get an exact
//! uniqueness test of their own (`profile/duplicates.sql.j2`). On such large
//! tables the min/max of columns an index leads with come from both ends of the index,
//! future timestamps are counted by a second statement only when the latest value is
//! after now, and the sample is read while the scan runs. The catalog's NOT NULL proves
//! a null count of 0 without an aggregate. The sample reads at most `sample_rows`,
//! bounded by `row_cap`.
//!
//! Columns the governance playbook's PII detectors classify (from the names, types and
//! sampled values) show `***` for min/max and top values: no raw personal value leaves
//! through a profile, and no suggestion is learned from one.

use std::collections::HashMap;
use std::time::Instant;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::Progress;
use super::checks::{self, CheckOrigin, QualityCheck};
use super::run::MASK;
use super::spec::{FreshnessSpec, TableSpec, TypeFamily, VolumeSpec};
use crate::App;
use crate::dialect::{LogicalType, TableName};
use crate::error::{Error, Result};
use crate::live::{self, Cell, Datasource};
use crate::playbook::QualityBook;

/// Params of `profile_datasource`.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfileDatasourceParams {
    /// Datasource name from dana.toml (list: list_datasources).
    pub datasource: String,
    /// Tables to profile (default: every table of the datasource's schema).
    #[serde(default)]
    pub tables: Option<Vec<String>>,
    /// Project id: record the result here; its latest profile is the drift baseline.
    #[serde(default)]
    pub project: Option<String>,
    /// Earlier profile to measure drift against.
    #[serde(default)]
    #[schemars(with = "Option<serde_json::Map<String, serde_json::Value>>")]
    pub baseline: Option<Box<DatasourceProfile>>,
}

/// A value and how often it occurs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TopValue {
    /// The value as text (`null` for NULL).
    pub value: Option<String>,
    /// Rows holding it (in the sample when the table was sampled).
    pub count: u64,
    /// Percent of rows read.
    pub share_pct: f64,
}

/// Statistics of one column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ColumnProfile {
    /// Column name.
    pub name: String,
    /// Declared type.
    pub data_type: String,
    /// Type family.
    pub family: TypeFamily,
    /// NULL rows.
    pub null_count: u64,
    /// NULL rows / rows.
    pub null_ratio: f64,
    /// Distinct non-NULL values.
    pub distinct_count: Option<u64>,
    /// Whether `distinct_count` is estimated from the sample.
    pub distinct_estimated: bool,
    /// Statistics of this column taken from the sample rather than every row:
    /// `distinct_count` above `exact_distinct_max_rows`; `mean`, `min`, `max`,
    /// `min_length`, `max_length` above `exact_stats_max_rows` (unset by default).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub estimated: Vec<String>,
    /// Smallest value (text).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min: Option<String>,
    /// Largest value (text); for timestamps the freshness (latest value).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<String>,
    /// Mean of numeric columns.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mean: Option<f64>,
    /// Shortest text, in characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_length: Option<u64>,
    /// Longest text, in characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_length: Option<u64>,
    /// Rows with a timestamp after now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub future_count: Option<u64>,
    /// Personal data (declared, or classified from the name and sampled values): `min`,
    /// `max` and top values show `***`, and `all_values` is left out.
    #[serde(skip_serializing_if = "std::ops::Not::not", default)]
    pub pii: bool,
    /// Most frequent values (low-cardinality columns only).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub top_values: Vec<TopValue>,
    /// Every distinct value, when the whole table was read and there are few.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub all_values: Option<Vec<String>>,
}

/// An anomaly found while profiling.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Finding {
    /// Anomaly id (`PROF-CONSTANT`).
    pub id: String,
    /// Severity P0-P3.
    pub severity: String,
    /// Column, when it concerns one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    /// What was seen.
    pub message: String,
}

/// Profile of one table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TableProfile {
    /// The introspected table (columns, types, keys).
    pub table: TableSpec,
    /// Exact row count.
    pub row_count: u64,
    /// `exact` (every statistic from every row) or `estimated`: above
    /// `exact_distinct_max_rows` distinct counts come from the sample.
    pub distinct_method: String,
    /// `full` (every row), `block_sample` (a fraction of pages), `row_sample` (a fraction
    /// of rows, when too few pages came back) or `first_rows`.
    pub sample_method: String,
    /// Rows read for top values.
    pub sample_rows: u64,
    /// Most rows the sample may read: `sample_rows` of dana.toml, bounded by `row_cap`.
    #[serde(default)]
    pub sample_limit: u64,
    /// What bounded or approximated this profile (row cap, estimated statistics).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub notes: Vec<String>,
    /// Per column.
    pub columns: Vec<ColumnProfile>,
    /// Anomalies.
    pub anomalies: Vec<Finding>,
    /// Changes since the baseline profile (each also a PROF-DRIFT anomaly).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub drift: Vec<super::drift::Drift>,
    /// When the baseline was profiled, when there was one.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub baseline_profiled_at: Option<String>,
    /// Milliseconds spent on this table.
    pub duration_ms: u64,
}

/// Profile of a datasource.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct DatasourceProfile {
    /// Datasource name.
    pub datasource: String,
    /// Engine.
    pub engine: String,
    /// Schema or database profiled.
    pub schema: String,
    /// RFC 3339 UTC.
    pub profiled_at: String,
    /// Tables.
    pub tables: Vec<TableProfile>,
    /// Total milliseconds.
    pub duration_ms: u64,
}

/// Profiles `params.tables` (or all tables) of the datasource, reporting progress per table.
pub async fn profile<P: Progress>(
    app: &App,
    params: &ProfileDatasourceParams,
    progress: &P,
) -> Result<DatasourceProfile> {
    let ds = app.live.get(&params.datasource).await?;
    let started = Instant::now();
    let profiled_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let schema = crate::live::introspect::resolve_schema(&ds).await?;
    let specs = crate::live::introspect(&ds, params.tables.as_deref()).await?;
    let total = specs.len();
    let mut tables = Vec::with_capacity(total);
    for (i, spec) in specs.into_iter().enumerate() {
        if progress.cancelled() {
            return Err(Error::invalid("cancelled by the client"));
        }
        progress
            .report(
                i,
                total,
                format!("profiling `{}` ({}/{total})", spec.name, i + 1),
            )
            .await;
        let name = spec.name.clone();
        let table = profile_table(app, &ds, spec).await.map_err(|e| {
            live::context(
                e,
                &format!("while profiling `{name}` (table {} of {total})", i + 1),
            )
        })?;
        tables.push(table);
    }
    progress.report(total, total, "done".to_string()).await;
    let baseline = match (&params.baseline, &params.project) {
        (Some(b), _) => Some((**b).clone()),
        (None, Some(project)) => super::drift::previous(app, project, &ds.name).await?,
        (None, None) => None,
    };
    if let Some(baseline) = &baseline {
        for table in &mut tables {
            super::drift::compare(&app.playbooks.quality, baseline, table);
        }
    }
    Ok(DatasourceProfile {
        datasource: ds.name.clone(),
        engine: ds.engine.dialect().to_string(),
        schema,
        profiled_at,
        tables,
        duration_ms: started.elapsed().as_millis() as u64,
    })
}

fn family_name(f: TypeFamily) -> &'static str {
    match f {
        TypeFamily::Numeric => "numeric",
        TypeFamily::Text => "text",
        TypeFamily::Temporal => "temporal",
        TypeFamily::Boolean => "boolean",
        TypeFamily::Other => "other",
    }
}

/// Where a column's statistics come from.
struct Plan {
    /// Quoted column name.
    quoted: String,
    /// The catalog proves it NOT NULL.
    not_null: bool,
    /// Min/max from both ends of an index.
    by_index: bool,
}

/// Profiles one table: one scan, one bounded sample read (and, on large tables, the ends
/// of the indexes that lead with a numeric or temporal column).
pub async fn profile_table(app: &App, ds: &Datasource, spec: TableSpec) -> Result<TableProfile> {
    let started = Instant::now();
    let book = &app.playbooks.quality;
    let dialect = crate::dialect::by_name(ds.engine.dialect())?;
    let table = dialect.qualified_name(&TableName::new(spec.schema.as_deref(), &spec.name))?;
    let double = dialect.physical_type(&LogicalType::Float).sql;
    let within = |limit: u64| {
        spec.estimated_rows
            .is_none_or(|n| n <= 0 || (n as u64) <= limit)
    };
    // `exact`: distinct counts in the scan. `exact_stats`: min/max, means and lengths too
    // (always, unless `exact_stats_max_rows` is set and the table is larger).
    let exact = within(ds.limits.exact_distinct_max_rows);
    let exact_stats = exact || within(ds.limits.exact_stats_max_rows.unwrap_or(u64::MAX));
    let indexed = if exact {
        Vec::new()
    } else {
        crate::live::introspect::leading_index_columns(ds, &spec).await?
    };
    // 1. The scan (and the index ends).
    let mut exprs: Vec<(String, String)> = Vec::new();
    let mut bounds: Vec<(String, String, bool)> = Vec::new();
    let mut plans = Vec::new();
    for (i, col) in spec.columns.iter().enumerate() {
        let quoted = dialect.quote_ident(&col.name)?;
        let family = col.family();
        let by_index = !exact
            && matches!(family, TypeFamily::Numeric | TypeFamily::Temporal)
            && indexed.contains(&col.name);
        let not_null = col.nullable == Some(false);
        let stats = app.templates.render(
            "profile/column_stats.j2",
            json!({
                "col": quoted, "family": family_name(family), "full": exact,
                "stats": exact_stats, "double": double,
                "dialect": dialect.name(), "now": dialect.current_timestamp(),
                "nullable": !not_null, "by_index": by_index,
            }),
        )?;
        for line in stats.lines().map(str::trim).filter(|l| !l.is_empty()) {
            if let Some((name, sql)) = line.split_once('=') {
                exprs.push((format!("c{i}_{name}"), sql.to_string()));
            }
        }
        if by_index {
            bounds.push((
                format!("c{i}"),
                quoted.clone(),
                family == TypeFamily::Numeric,
            ));
        }
        plans.push(Plan {
            quoted,
            not_null,
            by_index,
        });
    }
    let scan_sql = app.templates.render(
        "profile/scan.sql.j2",
        json!({"table": table, "exprs": exprs}),
    )?;
    let bounds_sql = if bounds.is_empty() {
        None
    } else {
        Some(app.templates.render(
            "profile/bounds.sql.j2",
            json!({"table": table, "cols": bounds, "double": double, "now": dialect.current_timestamp()}),
        )?)
    };
    // 2. The sample: how, for a table of `rows` rows.
    let sample_limit = ds.limits.sample_rows.min(ds.limits.row_cap);
    let plan_sample = |rows: u64| {
        if rows <= sample_limit {
            ("full", None)
        } else if dialect.name() == "postgres" {
            let pct = ((sample_limit as f64 / rows as f64) * 150.0).clamp(0.0001, 100.0);
            ("block_sample", Some(format!("{pct:.4}")))
        } else {
            ("first_rows", None)
        }
    };
    let cols: Vec<&str> = plans.iter().map(|p| p.quoted.as_str()).collect();
    let read = |method: &'static str, pct: Option<String>| {
        let sql = app.templates.render(
            "profile/sample.sql.j2",
            json!({"cols": cols, "table": table, "pct": pct, "method": method, "dialect": dialect.name(), "limit": dialect.limit_clause(sample_limit)}),
        );
        let empty = cols.is_empty();
        async move {
            if empty {
                return Ok(live::Rows::default());
            }
            ds.fetch_capped(sql?.trim(), &[], sample_limit).await
        }
    };
    let (scan, ends, early) = if exact {
        (
            ds.fetch(scan_sql.trim(), &[]).await?,
            live::Rows::default(),
            None,
        )
    } else {
        // Large tables: the sample (planned from the catalog estimate) and the index ends
        // are read while the scan runs, on other pooled connections.
        let estimate = spec.estimated_rows.unwrap_or(0).max(0) as u64;
        let (method, pct) = plan_sample(estimate);
        let ends = async {
            match &bounds_sql {
                Some(sql) => ds.fetch(sql.trim(), &[]).await,
                None => Ok(live::Rows::default()),
            }
        };
        let (scan, ends, sample) =
            tokio::try_join!(ds.fetch(scan_sql.trim(), &[]), ends, read("SYSTEM", pct))?;
        (scan, ends, Some((method, sample.rows)))
    };
    let get = |alias: &str| {
        scan.first(alias)
            .or_else(|| ends.first(alias))
            .cloned()
            .unwrap_or(Cell::Null)
    };
    let rows = get("dana_rows").as_i64().unwrap_or(0).max(0) as u64;
    let (mut sample_method, mut sample) = match early {
        // The estimate said the sample holds every row; the scan says otherwise.
        Some(("full", sample)) if rows > sample.len() as u64 => ("first_rows", sample),
        Some(early) => early,
        None => {
            let (method, pct) = plan_sample(rows);
            let sample = if rows > 0 {
                read("SYSTEM", pct).await?.rows
            } else {
                Vec::new()
            };
            (method, sample)
        }
    };
    if sample_method == "block_sample" && (sample.len() as u64) < sample_limit.min(rows) / 2 {
        // Too few pages for whole pages to give the sample (a small cap or a small
        // table): pick rows on every page instead, aiming at four times the limit.
        let pct = ((sample_limit as f64 * 400.0) / rows.max(1) as f64).clamp(0.0001, 100.0);
        sample = read("BERNOULLI", Some(format!("{pct:.4}"))).await?.rows;
        sample_method = "row_sample";
    }
    let n = sample.len() as u64;
    let pii = pii_columns(app, &spec, &sample)?;
    // Above the exact-distinct threshold, key-like columns still get an exact test.
    let exact_repeats = if exact {
        HashMap::new()
    } else {
        key_repeats(app, ds, &spec, &table, &sample, &plans).await?
    };
    let settings = &book.profile;
    let mut columns = Vec::new();
    let mut anomalies = Vec::new();
    for ((i, col), plan) in spec.columns.iter().enumerate().zip(&plans) {
        let null_count = if plan.not_null {
            0
        } else {
            get(&format!("c{i}_nulls")).as_i64().unwrap_or(0).max(0) as u64
        };
        let nonnull = rows.saturating_sub(null_count);
        // Counts of the sample's values.
        let mut counts: HashMap<Option<String>, u64> = HashMap::new();
        for row in &sample {
            *counts
                .entry(row.get(i).and_then(Cell::as_text))
                .or_default() += 1;
        }
        let sample_distinct = counts.keys().filter(|k| k.is_some()).count() as u64;
        let (distinct_count, distinct_estimated) = if exact {
            (
                get(&format!("c{i}_distinct"))
                    .as_i64()
                    .map(|d| d.max(0) as u64),
                false,
            )
        } else {
            // Haas-Stokes (Duj1) estimator over the non-NULL sample values.
            let n_nonnull: u64 = counts
                .iter()
                .filter(|(k, _)| k.is_some())
                .map(|(_, c)| c)
                .sum();
            let f1 = counts
                .iter()
                .filter(|(k, c)| k.is_some() && **c == 1)
                .count() as f64;
            let est = if n_nonnull == 0 {
                0.0
            } else {
                let nn = n_nonnull as f64;
                let big_n = nonnull.max(1) as f64;
                let d = sample_distinct as f64;
                (nn * d / (nn - f1 + f1 * nn / big_n)).min(big_n).max(d)
            };
            (Some(est.round() as u64), true)
        };
        let (distinct_count, distinct_estimated) = match exact_repeats.get(&i) {
            Some(extra) => (Some(nonnull.saturating_sub(*extra)), false),
            None => (distinct_count, distinct_estimated),
        };
        let low_card = distinct_count.is_some_and(|d| d <= settings.low_cardinality_max_distinct);
        let mut top: Vec<(Option<String>, u64)> = counts.clone().into_iter().collect();
        top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let top_values = if low_card && n > 0 {
            top.iter()
                .take(settings.top_values)
                .map(|(v, c)| TopValue {
                    value: v.clone(),
                    count: *c,
                    share_pct: round2(*c as f64 * 100.0 / n as f64),
                })
                .collect()
        } else {
            Vec::new()
        };
        let all_values = (sample_method == "full" && low_card).then(|| {
            let mut v: Vec<String> = counts.keys().flatten().cloned().collect();
            v.sort();
            v
        });
        let text = |name: &str| get(&format!("c{i}_{name}")).as_text();
        let uint = |name: &str| {
            get(&format!("c{i}_{name}"))
                .as_i64()
                .map(|v| v.max(0) as u64)
        };
        let (mut min, mut max, mut min_length, mut max_length) =
            (text("min"), text("max"), uint("minlen"), uint("maxlen"));
        let mut mean = get(&format!("c{i}_mean")).as_f64();
        let mut estimated: Vec<String> = Vec::new();
        if distinct_estimated {
            estimated.push("distinct_count".to_string());
        }
        // Above `exact_stats_max_rows` (opt-in): what the scan left to the sample.
        let values = || counts.keys().flatten();
        if !exact_stats && col.family() == TypeFamily::Text {
            min = values().min().cloned();
            max = values().max().cloned();
            min_length = values().map(|v| v.chars().count() as u64).min();
            max_length = values().map(|v| v.chars().count() as u64).max();
            estimated.extend(["min", "max", "min_length", "max_length"].map(String::from));
        }
        if !exact_stats && col.family() == TypeFamily::Numeric {
            let numbers: Vec<(f64, u64)> = counts
                .iter()
                .filter_map(|(k, c)| {
                    k.as_deref()
                        .and_then(|v| v.parse::<f64>().ok())
                        .map(|v| (v, *c))
                })
                .collect();
            let (sum, n) = numbers
                .iter()
                .fold((0.0, 0u64), |(s, n), (v, c)| (s + v * *c as f64, n + c));
            mean = (n > 0).then(|| sum / n as f64);
            estimated.push("mean".to_string());
            if !plan.by_index {
                min = numbers
                    .iter()
                    .map(|(v, _)| *v)
                    .reduce(f64::min)
                    .map(|v| v.to_string());
                max = numbers
                    .iter()
                    .map(|(v, _)| *v)
                    .reduce(f64::max)
                    .map(|v| v.to_string());
                estimated.extend(["min", "max"].map(String::from));
            }
        }
        // Large tables: future rows are counted only when the latest value is after now.
        let future_count = match get(&format!("c{i}_after_now")).as_i64() {
            Some(0) => Some(0),
            Some(_) => {
                let sql = app.templates.render(
                    "profile/future.sql.j2",
                    json!({"table": table, "col": plan.quoted, "now": dialect.current_timestamp()}),
                )?;
                let counted = ds.fetch(sql.trim(), &[]).await?;
                counted
                    .first("n")
                    .and_then(Cell::as_i64)
                    .map(|n| n.max(0) as u64)
            }
            None => uint("future"),
        };
        // PII: the column's values never leave the database through a profile.
        let personal = pii.contains(&col.name);
        let (mut top_values, mut all_values) = (top_values, all_values);
        if personal {
            let masked = |v: Option<String>| v.map(|_| MASK.to_string());
            min = masked(min);
            max = masked(max);
            for t in &mut top_values {
                t.value = masked(t.value.take());
            }
            all_values = None;
        }
        let profile = ColumnProfile {
            name: col.name.clone(),
            pii: personal,
            data_type: col.data_type.clone().unwrap_or_default(),
            family: col.family(),
            null_count,
            null_ratio: if rows == 0 {
                0.0
            } else {
                round4(null_count as f64 / rows as f64)
            },
            distinct_count,
            distinct_estimated,
            estimated,
            min,
            max,
            mean,
            min_length,
            max_length,
            future_count,
            top_values,
            all_values,
        };
        flag(book, &spec, &profile, rows, &counts, &mut anomalies);
        columns.push(profile);
    }
    let suggest = &settings.suggest;
    if let Some((column, latest)) = latest_timestamp(&columns)
        && let Some(age) = age_hours(&latest, chrono::Utc::now().naive_utc())
        && age > f64::from(suggest.stale_after_hours)
    {
        anomalies.push(finding(
            book,
            "PROF-STALE-DATA",
            Some(&column),
            format!(
                "the newest `{column}` is `{latest}`, {:.0} days old (over {} hours): the data is stale, so no freshness check is suggested; load recent data or declare the SLA it should meet",
                age / 24.0,
                suggest.stale_after_hours
            ),
        ));
    }
    if rows == 0 {
        anomalies.insert(
            0,
            finding(
                book,
                "PROF-EMPTY-TABLE",
                None,
                format!("`{}` has no rows", spec.name),
            ),
        );
    }
    let mut notes = Vec::new();
    if rows > n && sample_limit < ds.limits.sample_rows {
        notes.push(format!(
            "the sample is bounded by `row_cap` = {} (`sample_rows` = {}): top values and sample-based statistics come from {n} of {rows} rows",
            ds.limits.row_cap, ds.limits.sample_rows
        ));
    }
    if !exact {
        notes.push(format!(
            "above `exact_distinct_max_rows` = {} (catalog estimate {} rows): distinct counts are estimated from the {sample_method} of {n} rows (Haas-Stokes)",
            ds.limits.exact_distinct_max_rows,
            spec.estimated_rows.unwrap_or_default()
        ));
    }
    if !exact_stats {
        notes.push(format!(
            "above `exact_stats_max_rows` = {}: means, text min/max/lengths and the min/max of numeric columns no index leads with come from the sample too (each column lists them in `estimated`)",
            ds.limits.exact_stats_max_rows.unwrap_or_default()
        ));
    }
    let mut spec = spec;
    for col in &mut spec.columns {
        col.pii |= pii.contains(&col.name);
    }
    Ok(TableProfile {
        table: spec,
        row_count: rows,
        distinct_method: if exact { "exact" } else { "estimated" }.to_string(),
        sample_method: sample_method.to_string(),
        sample_rows: n,
        sample_limit,
        notes,
        columns,
        anomalies,
        drift: Vec::new(),
        baseline_profiled_at: None,
        duration_ms: started.elapsed().as_millis() as u64,
    })
}

/// Exact repeats (rows beyond the first per repeated non-NULL value) of the key-like
/// columns of a table whose distinct counts are otherwise estimated: columns named like
/// a key (see [`suspected_key`]) and columns whose sample holds no repeated value, unless
/// a single-column primary key or unique constraint already guarantees them. One
/// grouping statement per column, run concurrently on the pool.
async fn key_repeats(
    app: &App,
    ds: &Datasource,
    spec: &TableSpec,
    table: &str,
    sample: &[Vec<Cell>],
    plans: &[Plan],
) -> Result<HashMap<usize, u64>> {
    let book = &app.playbooks.quality;
    let dialect = crate::dialect::by_name(ds.engine.dialect())?;
    let double = dialect.physical_type(&LogicalType::Float).sql;
    let mut statements = Vec::new();
    for ((i, col), plan) in spec.columns.iter().enumerate().zip(plans) {
        let declared = spec.primary_key.len() == 1 && spec.primary_key[0] == col.name
            || spec
                .unique_keys
                .iter()
                .any(|k| k.len() == 1 && k[0] == col.name);
        if declared || matches!(col.family(), TypeFamily::Boolean | TypeFamily::Other) {
            continue;
        }
        let mut seen = std::collections::HashSet::new();
        let mut values = 0usize;
        let mut repeated = false;
        for v in sample
            .iter()
            .filter_map(|r| r.get(i).and_then(Cell::as_text))
        {
            values += 1;
            repeated |= !seen.insert(v);
        }
        let unique_looking = values >= 2 && !repeated;
        if !(suspected_key(book, spec, &col.name) || unique_looking) {
            continue;
        }
        let sql = app.templates.render(
            "profile/duplicates.sql.j2",
            json!({"table": table, "col": plan.quoted, "double": double}),
        )?;
        statements.push((i, sql));
    }
    let runs = statements.iter().map(|(i, sql)| async move {
        let rows = ds.fetch(sql.trim(), &[]).await?;
        let extra = rows
            .first("extra")
            .and_then(Cell::as_f64)
            .unwrap_or(0.0)
            .max(0.0) as u64;
        Ok::<_, Error>((*i, extra))
    });
    Ok(futures::future::try_join_all(runs)
        .await?
        .into_iter()
        .collect())
}

/// Columns whose values are personal data: declared `pii`, or classified so by the
/// governance playbook's detectors from the column names, types and sampled values (at
/// most the playbook's `classification.sample_rows` values per column).
fn pii_columns(app: &App, spec: &TableSpec, sample: &[Vec<Cell>]) -> Result<Vec<String>> {
    use crate::domain::governance::{classify, source};
    let book = &app.playbooks.governance;
    let per_column = book.classification.sample_rows as usize;
    let mut samples = std::collections::BTreeMap::new();
    for (i, col) in spec.columns.iter().enumerate() {
        let values: Vec<String> = sample
            .iter()
            .filter_map(|r| r.get(i).and_then(Cell::as_text))
            .take(per_column)
            .collect();
        samples.insert(col.name.clone(), values);
    }
    let classified = classify::classify(
        book,
        &source::from_table_spec(spec),
        &samples,
        Some("datasource"),
        &classify::Lineage::default(),
        chrono::Utc::now().date_naive(),
    )?;
    let mut out: Vec<String> = spec.pii_columns().into_iter().map(str::to_string).collect();
    for c in classified.pii_columns {
        if !out.contains(&c) {
            out.push(c);
        }
    }
    Ok(out)
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

fn round4(v: f64) -> f64 {
    (v * 10_000.0).round() / 10_000.0
}

fn finding(book: &QualityBook, id: &str, column: Option<&str>, message: String) -> Finding {
    Finding {
        id: id.to_string(),
        severity: book
            .anomaly(id)
            .map(|a| a.severity.clone())
            .unwrap_or_else(|| "P3".to_string()),
        column: column.map(str::to_string),
        message,
    }
}

/// Whether a column looks like a key: declared, `id`, `<table>_id` or a key suffix.
pub fn suspected_key(book: &QualityBook, spec: &TableSpec, column: &str) -> bool {
    let lower = column.to_ascii_lowercase();
    let table = spec.name.to_ascii_lowercase();
    let singular = table.strip_suffix('s').unwrap_or(&table);
    spec.primary_key.len() == 1 && spec.primary_key[0] == column
        || spec
            .unique_keys
            .iter()
            .any(|k| k.len() == 1 && k[0] == column)
        || lower == "id"
        || lower == format!("{table}_id")
        || lower == format!("{singular}_id")
        || book
            .profile
            .key_suffixes
            .iter()
            .any(|s| lower.ends_with(s.as_str()))
}

fn flag(
    book: &QualityBook,
    spec: &TableSpec,
    p: &ColumnProfile,
    rows: u64,
    sample_counts: &HashMap<Option<String>, u64>,
    out: &mut Vec<Finding>,
) {
    let name = p.name.as_str();
    if rows > 0 && p.null_count == rows {
        out.push(finding(
            book,
            "PROF-ALL-NULL",
            Some(name),
            format!("`{name}` is NULL in all {rows} rows"),
        ));
    } else if rows > 1 && p.distinct_count == Some(1) && p.null_count == 0 {
        let value = p
            .min
            .clone()
            .or_else(|| p.top_values.first().and_then(|t| t.value.clone()))
            .unwrap_or_default();
        out.push(finding(
            book,
            "PROF-CONSTANT",
            Some(name),
            format!("`{name}` holds the single value `{value}`"),
        ));
    }
    if suspected_key(book, spec, name) && rows > 0 {
        let nonnull = rows - p.null_count;
        let repeats = match (p.distinct_estimated, p.distinct_count) {
            (false, Some(d)) if d < nonnull => Some(format!(
                "{} of {nonnull} non-NULL values repeat",
                nonnull - d
            )),
            (true, _) => {
                let dup = sample_counts
                    .iter()
                    .filter(|(k, c)| k.is_some() && **c > 1)
                    .count();
                (dup > 0).then(|| format!("{dup} values repeat within the sample"))
            }
            _ => None,
        };
        if let Some(what) = repeats {
            out.push(finding(
                book,
                "PROF-KEY-NOT-UNIQUE",
                Some(name),
                format!("`{name}` looks like a key but {what}"),
            ));
        }
    }
    if let Some(f) = p.future_count.filter(|f| *f > 0) {
        out.push(finding(
            book,
            "PROF-FUTURE-TIMESTAMP",
            Some(name),
            format!(
                "`{name}` has {f} rows after now (latest `{}`)",
                p.max.clone().unwrap_or_default()
            ),
        ));
    }
}

/// The suggested range of a numeric column: the observed min/max widened by
/// `tolerance_pct` of their span (at least 1 when the span is 0), rounded outwards; a
/// non-negative column keeps a floor of 0 at most. Bounds the profile estimated from the
/// sample are not suggested, except the floor of 0 (no row seen below it is no proof, so
/// only when the minimum is exact).
fn observed_range(tolerance_pct: f64, p: &ColumnProfile) -> (Option<f64>, Option<f64>) {
    let exact = |what: &str| !p.estimated.iter().any(|e| e == what);
    let number = |v: &Option<String>| v.as_deref().and_then(|v| v.trim().parse::<f64>().ok());
    let (Some(lo), Some(hi)) = (number(&p.min), number(&p.max)) else {
        return (None, None);
    };
    if !(lo.is_finite() && hi.is_finite()) {
        return (None, None);
    }
    let span = hi - lo;
    let margin = if span > 0.0 {
        span * tolerance_pct.max(0.0) / 100.0
    } else {
        hi.abs().max(1.0) * tolerance_pct.max(0.0) / 100.0
    };
    let outward = |v: f64, down: bool| {
        let step = if span >= 10.0 { 1.0 } else { 100.0 };
        if span >= 10.0 {
            if down { v.floor() } else { v.ceil() }
        } else if down {
            (v * step).floor() / step
        } else {
            (v * step).ceil() / step
        }
    };
    let min = exact("min").then(|| {
        if lo >= 0.0 {
            outward(lo - margin, true).max(0.0)
        } else {
            outward(lo - margin, true)
        }
    });
    let max = exact("max").then(|| outward(hi + margin, false));
    (min, max)
}

/// The most recent timestamp column with no row in the future, with its latest value.
fn latest_timestamp(columns: &[ColumnProfile]) -> Option<(String, String)> {
    let mut latest: Option<(String, chrono::NaiveDateTime, String)> = None;
    for p in columns {
        if p.family != TypeFamily::Temporal || p.future_count != Some(0) || p.pii {
            continue;
        }
        let Some(max) = &p.max else { continue };
        let Some(at) = parse_timestamp(max) else {
            continue;
        };
        if latest.as_ref().is_none_or(|(_, t, _)| at > *t) {
            latest = Some((p.name.clone(), at, max.clone()));
        }
    }
    latest.map(|(name, _, max)| (name, max))
}

/// A timestamp as the profile shows it (`2020-01-01 00:00:00`, with fractions, a `T`,
/// a `+00`/`Z` offset, or a bare date), in UTC.
fn parse_timestamp(text: &str) -> Option<chrono::NaiveDateTime> {
    let t = text.trim();
    if let Ok(at) = chrono::DateTime::parse_from_rfc3339(t) {
        return Some(at.naive_utc());
    }
    let t = t.trim_end_matches('Z');
    let t = t
        .strip_suffix("+00:00")
        .or_else(|| t.strip_suffix("+00"))
        .unwrap_or(t);
    for format in ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"] {
        if let Ok(at) = chrono::NaiveDateTime::parse_from_str(t, format) {
            return Some(at);
        }
    }
    chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
}

/// Hours since `latest` at `now` (negative in the future).
fn age_hours(latest: &str, now: chrono::NaiveDateTime) -> Option<f64> {
    parse_timestamp(latest).map(|at| (now - at).num_seconds() as f64 / 3600.0)
}

/// The freshness SLA to suggest for a newest row at `latest`: `freshness_hours` when the
/// row is that recent, the age plus half of it (in whole days) up to `stale_after_hours`,
/// `None` beyond (stale data: no SLA it meets is worth checking).
fn freshness_window(
    settings: &crate::playbook::SuggestSettings,
    latest: String,
    now: chrono::NaiveDateTime,
) -> Option<f64> {
    let age = age_hours(&latest, now)?;
    let base = f64::from(settings.freshness_hours);
    if age <= base * 0.5 {
        Some(base)
    } else if age <= f64::from(settings.stale_after_hours) {
        Some(((age * 1.5 / 24.0).ceil() * 24.0).max(base))
    } else {
        None
    }
}

/// Checks suggested by a profile: declared keys and foreign keys, columns never NULL,
/// unique suspected keys, small enums (when the whole table was read), non-negative
/// numbers, freshness of the latest timestamp column and a volume floor.
pub fn suggest(book: &QualityBook, profile: &TableProfile) -> Result<Vec<QualityCheck>> {
    let settings = &book.profile.suggest;
    let mut spec = profile.table.clone();
    let enough = profile.row_count >= settings.min_rows;
    for col in &mut spec.columns {
        let Some(p) = profile.columns.iter().find(|p| p.name == col.name) else {
            continue;
        };
        if enough && p.null_count == 0 {
            col.nullable = Some(false);
        }
        let nonnull = profile.row_count - p.null_count;
        let key = suspected_key(book, &profile.table, &col.name);
        if enough && key && !p.distinct_estimated && p.distinct_count == Some(nonnull) {
            col.unique = true;
        }
        if enough
            && p.family == TypeFamily::Text
            && !key
            && !p.pii
            && let Some(values) = &p.all_values
            && !values.is_empty()
            && values.len() as u64 <= settings.accepted_values_max_distinct
        {
            col.accepted_values = Some(values.clone());
        }
        // Timestamps that never ran ahead of the clock must not start to.
        if enough
            && p.family == TypeFamily::Temporal
            && p.null_count < profile.row_count
            && p.future_count.unwrap_or(0) == 0
        {
            col.no_future = true;
        }
        if enough && p.family == TypeFamily::Numeric && !key && !p.pii {
            let (min, max) = observed_range(settings.range_tolerance_pct, p);
            col.min = min;
            col.max = max;
        }
    }
    // Freshness: an SLA the data meets now, or nothing when the data is stale (the
    // profile flags PROF-STALE-DATA instead).
    let now = chrono::Utc::now().naive_utc();
    if let Some((column, latest)) = latest_timestamp(&profile.columns)
        && let Some(hours) = freshness_window(settings, latest, now)
    {
        spec.freshness = Some(FreshnessSpec {
            column,
            max_age_hours: hours,
        });
    }
    if enough {
        // Row count drifted since the baseline: the floor follows the drift threshold
        // below today's count, so a further drop of that size fails.
        let floor_pct = if profile.drift.iter().any(|d| d.metric == "row_count") {
            (100.0_f64 - book.profile.drift.row_count_pct).clamp(0.0, 100.0)
        } else {
            f64::from(settings.volume_floor_pct)
        };
        spec.volume = Some(VolumeSpec {
            min_rows: Some((profile.row_count as f64 * floor_pct / 100.0).floor() as u64),
            ..VolumeSpec::default()
        });
    }
    checks::from_spec(book, &spec, CheckOrigin::Suggested)
}
