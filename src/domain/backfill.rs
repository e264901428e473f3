//! `plan_backfill`: the playbook's nine-step protocol tailored to one table and window,
//! the partitions listed most recent first, and validation queries for the dialect
//! (window profile, duplicate keys, rows per partition) to run before and after.

use std::collections::BTreeMap;

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::dialect::{LogicalType, SqlDialect, TableName};
use crate::error::{Error, Result};
use crate::playbook::pipeline::PipelineBook;

use super::operations::fill;

/// Params of `plan_backfill`.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanBackfillParams {
    /// Table to backfill.
    pub table: String,
    /// Its schema.
    pub schema: Option<String>,
    /// SQL dialect of the table.
    pub dialect: String,
    /// Column the partitions are cut on.
    pub date_column: String,
    /// date (default), timestamp or timestamptz.
    pub column_type: Option<TemporalType>,
    /// First day of the window (YYYY-MM-DD).
    pub start: String,
    /// Last day of the window, inclusive (YYYY-MM-DD).
    pub end: String,
    /// Partition grain.
    pub grain: Grain,
    /// Natural key columns (duplicate check).
    #[serde(default)]
    pub key_columns: Vec<String>,
    /// Numeric columns summed before and after.
    #[serde(default)]
    pub metric_columns: Vec<String>,
    /// Models and dashboards reading the table.
    #[serde(default)]
    pub downstream: Vec<String>,
    /// Project id: record the result in this project.
    pub project: Option<String>,
}

// Type of the partition column.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum TemporalType {
    // DATE.
    Date,
    // TIMESTAMP without time zone.
    Timestamp,
    // TIMESTAMP WITH TIME ZONE.
    Timestamptz,
}

// Partition grain.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Grain {
    // One partition per hour (needs a timestamp column).
    Hour,
    // Per day.
    Day,
    // Per ISO week (Monday start).
    Week,
    // Per month.
    Month,
}

/// The plan.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct BackfillPlan {
    /// Table.
    pub table: String,
    /// Window start (inclusive).
    pub start: String,
    /// Window end (exclusive bound used in queries).
    pub end_exclusive: String,
    /// Grain.
    pub grain: Grain,
    /// Partitions, most recent first (the execution order).
    pub partitions: Vec<Partition>,
    /// The protocol steps, tailored.
    pub steps: Vec<PlanStep>,
    /// Validation queries: run before (baseline) and after, compare.
    pub validation: Vec<ValidationQuery>,
    /// The project the result is recorded under.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
}

/// A partition: `[start, end)`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Partition {
    /// Label.
    pub label: String,
    /// Start (inclusive).
    pub start: String,
    /// End (exclusive).
    pub end: String,
}

/// A tailored step.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct PlanStep {
    /// Stable id.
    pub id: String,
    /// Title.
    pub title: String,
    /// What to do.
    pub action: String,
}

/// A validation query.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ValidationQuery {
    /// Stable id.
    pub id: String,
    /// What it shows and how to compare.
    pub purpose: String,
    /// The query.
    pub sql: String,
}

/// Partitions per rows-per-partition query (one year of days).
const PARTITIONS_PER_QUERY: usize = 366;

/// Plans a backfill.
pub fn plan(book: &PipelineBook, p: &PlanBackfillParams) -> Result<BackfillPlan> {
    let dialect = crate::dialect::by_name(&p.dialect)?;
    let start = date(&p.start, "start")?;
    let end = date(&p.end, "end")?;
    if end < start {
        return Err(Error::invalid(format!(
            "end: `{}` is before start `{}`",
            p.end, p.start
        )));
    }
    let column_type = p.column_type.unwrap_or(TemporalType::Date);
    if p.grain == Grain::Hour && column_type == TemporalType::Date {
        return Err(Error::invalid(
            "grain: `hour` needs a timestamp column; set column_type to timestamp or timestamptz",
        ));
    }
    let mut partitions = partitions(start, end, p.grain);
    let max = book.backfill.max_partitions;
    if partitions.len() > max {
        return Err(Error::invalid(format!(
            "grain: {} {:?} partitions exceed the limit of {max}; use a coarser grain or split the window",
            partitions.len(),
            p.grain
        )));
    }
    partitions.reverse();
    let (Some(first), Some(last)) = (partitions.first(), partitions.last()) else {
        return Err(Error::invalid("start/end: the window holds no partition"));
    };
    let window_start = last.start.clone();
    let window_end = first.end.clone();
    let table_label = match &p.schema {
        Some(s) => format!("{s}.{}", p.table),
        None => p.table.clone(),
    };
    let grain_word = match p.grain {
        Grain::Hour => "hourly",
        Grain::Day => "daily",
        Grain::Week => "weekly",
        Grain::Month => "monthly",
    };
    let values = BTreeMap::from([
        ("table", table_label.clone()),
        ("start", p.start.clone()),
        ("end", p.end.clone()),
        ("grain", grain_word.to_string()),
        ("partition_count", partitions.len().to_string()),
        ("first_partition", first.label.clone()),
        ("last_partition", last.label.clone()),
        (
            "downstream_clause",
            if p.downstream.is_empty() {
                String::new()
            } else {
                format!(" and its consumers {}", p.downstream.join(", "))
            },
        ),
        (
            "downstream_list",
            if p.downstream.is_empty() {
                " (none given: find them in lineage)".to_string()
            } else {
                format!(" ({})", p.downstream.join(", "))
            },
        ),
    ]);
    let steps = book
        .backfill
        .steps
        .iter()
        .map(|s| PlanStep {
            id: s.id.clone(),
            title: s.title.clone(),
            action: fill(&s.action, &values),
        })
        .collect();
    let table = TableName::new(p.schema.as_deref(), &p.table);
    let validation = validation_sql(
        dialect,
        &table,
        p,
        column_type,
        &window_start,
        &window_end,
        &partitions,
    )?;
    Ok(BackfillPlan {
        table: table_label,
        start: window_start,
        end_exclusive: window_end,
        grain: p.grain,
        partitions,
        steps,
        validation,
        project: p.project.clone(),
    })
}

fn date(text: &str, field: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map_err(|_| Error::invalid(format!("{field}: `{text}` is not a date (YYYY-MM-DD)")))
}

/// Partitions covering `[start, end]` in chronological order.
fn partitions(start: NaiveDate, end: NaiveDate, grain: Grain) -> Vec<Partition> {
    let mut out = Vec::new();
    let fmt_day = |d: NaiveDate| d.format("%Y-%m-%d").to_string();
    match grain {
        Grain::Hour => {
            let mut t: NaiveDateTime = start.and_hms_opt(0, 0, 0).unwrap_or_default();
            let stop = (end + Duration::days(1))
                .and_hms_opt(0, 0, 0)
                .unwrap_or_default();
            while t < stop && out.len() <= 100_000 {
                let next = t + Duration::hours(1);
                out.push(Partition {
                    label: t.format("%Y-%m-%d %H:00").to_string(),
                    start: t.format("%Y-%m-%d %H:%M:%S").to_string(),
                    end: next.format("%Y-%m-%d %H:%M:%S").to_string(),
                });
                t = next;
            }
        }
        Grain::Day => {
            let mut d = start;
            while d <= end && out.len() <= 100_000 {
                let next = d + Duration::days(1);
                out.push(Partition {
                    label: fmt_day(d),
                    start: fmt_day(d),
                    end: fmt_day(next),
                });
                d = next;
            }
        }
        Grain::Week => {
            let mut d = start - Duration::days(i64::from(start.weekday().num_days_from_monday()));
            while d <= end && out.len() <= 100_000 {
                let next = d + Duration::days(7);
                let iso = d.iso_week();
                out.push(Partition {
                    label: format!("{}-W{:02}", iso.year(), iso.week()),
                    start: fmt_day(d),
                    end: fmt_day(next),
                });
                d = next;
            }
        }
        Grain::Month => {
            let mut d = NaiveDate::from_ymd_opt(start.year(), start.month(), 1).unwrap_or(start);
            while d <= end && out.len() <= 100_000 {
                let next = if d.month() == 12 {
                    NaiveDate::from_ymd_opt(d.year() + 1, 1, 1)
                } else {
                    NaiveDate::from_ymd_opt(d.year(), d.month() + 1, 1)
                }
                .unwrap_or(d + Duration::days(31));
                out.push(Partition {
                    label: d.format("%Y-%m").to_string(),
                    start: fmt_day(d),
                    end: fmt_day(next),
                });
                d = next;
            }
        }
    }
    out
}

/// Validation queries. Identifiers go through the dialect's quoting and bounds through its
/// string-literal escaping, cast to the dialect's physical type of the column.
fn validation_sql(
    d: &dyn SqlDialect,
    table: &TableName,
    p: &PlanBackfillParams,
    column_type: TemporalType,
    start: &str,
    end: &str,
    partitions: &[Partition],
) -> Result<Vec<ValidationQuery>> {
    let logical = match column_type {
        TemporalType::Date => LogicalType::Date,
        TemporalType::Timestamp => LogicalType::Timestamp,
        TemporalType::Timestamptz => LogicalType::TimestampTz,
    };
    let ty = d.physical_type(&logical).sql;
    let lit = |v: &str| -> Result<String> {
        let v = if column_type == TemporalType::Date {
            v.get(..10).unwrap_or(v)
        } else {
            v
        };
        Ok(format!("CAST({} AS {ty})", d.string_literal(v)?))
    };
    let t = d.qualified_name(table)?;
    let col = d.quote_ident(&p.date_column)?;
    let range = format!("{col} >= {} AND {col} < {}", lit(start)?, lit(end)?);
    let keys: Vec<String> = p
        .key_columns
        .iter()
        .map(|k| d.quote_ident(k))
        .collect::<Result<_>>()?;
    let metrics: Vec<String> = p
        .metric_columns
        .iter()
        .map(|m| d.quote_ident(m))
        .collect::<Result<_>>()?;

    let mut profile = vec![
        "COUNT(*) AS row_count".to_string(),
        format!("MIN({col}) AS min_value"),
        format!("MAX({col}) AS max_value"),
    ];
    if let [key] = keys.as_slice() {
        profile.push(format!("COUNT(DISTINCT {key}) AS distinct_keys"));
    }
    for (m, raw) in metrics.iter().zip(&p.metric_columns) {
        profile.push(format!(
            "SUM({m}) AS {}",
            d.quote_ident(&format!("sum_{raw}"))?
        ));
    }
    let mut out = vec![ValidationQuery {
        id: "BF-V-PROFILE".to_string(),
        purpose: "Row count, bounds, distinct keys and metric sums of the whole window; must match the source after the backfill".to_string(),
        sql: format!("SELECT {} FROM {t} WHERE {range}", profile.join(", ")),
    }];
    if !keys.is_empty() {
        let k = keys.join(", ");
        out.push(ValidationQuery {
            id: "BF-V-DUPLICATES".to_string(),
            purpose: "Natural keys present more than once in the window; must return no row after each partition".to_string(),
            sql: format!(
                "SELECT {k}, COUNT(*) AS copies FROM {t} WHERE {range} GROUP BY {k} HAVING COUNT(*) > 1 ORDER BY copies DESC {}",
                d.limit_clause(100)
            ),
        });
    }
    let chunks: Vec<&[Partition]> = partitions.chunks(PARTITIONS_PER_QUERY).collect();
    for (i, chunk) in chunks.iter().enumerate() {
        let mut rows = Vec::new();
        for part in chunk.iter() {
            rows.push(format!(
                "SELECT {} AS partition_label, {} AS partition_start, {} AS partition_end",
                d.string_literal(&part.label)?,
                lit(&part.start)?,
                lit(&part.end)?
            ));
        }
        let id = if chunks.len() == 1 {
            "BF-V-PARTITIONS".to_string()
        } else {
            format!("BF-V-PARTITIONS-{}", i + 1)
        };
        out.push(ValidationQuery {
            id,
            purpose: "Rows per partition, most recent first; compare before and after, and watch for empty or doubled partitions".to_string(),
            sql: format!(
                "SELECT p.partition_label, COUNT(x.{col}) AS row_count FROM ({}) AS p LEFT JOIN {t} AS x ON x.{col} >= p.partition_start AND x.{col} < p.partition_end GROUP BY p.partition_label, p.partition_start ORDER BY p.partition_start DESC",
                rows.join(" UNION ALL ")
            ),
        });
    }
    Ok(out)
}
