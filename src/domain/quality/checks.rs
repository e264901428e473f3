//! Quality checks: declared from a table spec or suggested from a profile, each with a
//! stable id, a dimension, a severity and a threshold from the `quality` playbook, and
//! rendered to SQL for a dialect through `templates/checks/` (identifiers and literals
//! from the dialect layer), to dbt `schema.yml` tests and to an ODCS quality section.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::spec::{Measure, TableSpec, TypeFamily};
use crate::dialect::{IntervalUnit, LogicalType, SqlDialect, TableName};
use crate::error::{Error, Result};
use crate::playbook::{CheckKind, QualityBook, Shape};
use crate::render::Templates;

/// Kind-specific parameters of a check (only those of its kind are set).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckParams {
    /// Allowed values (accepted values).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values: Option<Vec<String>>,
    /// Minimum (range).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    /// Maximum (range).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// Regular expression (pattern).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    /// SLA in hours (freshness).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_age_hours: Option<f64>,
    /// Partition column (volume).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition_column: Option<String>,
    /// Partition value (volume).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition_value: Option<String>,
    /// Window in days before the run on `partition_column` (volume).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window_days: Option<u32>,
    /// The other table's partition column (reconciliation per partition).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub other_partition_column: Option<String>,
    /// Referenced or other table (relationships, reconciliation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ref_table: Option<String>,
    /// Its schema.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ref_schema: Option<String>,
    /// Referenced columns, or the other table's summed column.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ref_columns: Option<Vec<String>>,
    /// `count` or `sum` (reconciliation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub measure: Option<Measure>,
    /// One read-only SELECT returning one row with a numeric column `observed` (custom_sql).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sql: Option<String>,
}

/// Pass range of the observed number (inclusive).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Threshold {
    /// Lowest passing value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    /// Highest passing value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
}

impl Threshold {
    /// Whether `observed` passes.
    pub fn passes(&self, observed: f64) -> bool {
        self.min.is_none_or(|m| observed >= m) && self.max.is_none_or(|m| observed <= m)
    }

    /// `<= 0`, `>= 1`, `between 10 and 20`.
    pub fn describe(&self) -> String {
        match (self.min, self.max) {
            (Some(a), Some(b)) => format!("between {a} and {b}"),
            (Some(a), None) => format!(">= {a}"),
            (None, Some(b)) => format!("<= {b}"),
            (None, None) => "any".to_string(),
        }
    }
}

/// Where a check came from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum CheckOrigin {
    /// Declared in a table spec.
    #[default]
    Declared,
    /// Suggested from a profile of the real data.
    Suggested,
}

/// One quality check. Self-contained: `run_quality_checks` regenerates its SQL for the
/// datasource's engine from these fields (`sql` is informational and ignored there).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct QualityCheck {
    /// Stable id: `<kind>:<table>.<columns>` (`DQ-NOT-NULL:orders.customer_id`).
    pub id: String,
    /// Check kind id (`DQ-NOT-NULL`; list: resource dana://playbooks/quality).
    pub kind: String,
    /// Quality dimension.
    #[serde(default)]
    pub dimension: String,
    /// Severity P0-P3.
    #[serde(default)]
    pub severity: String,
    /// Table checked.
    pub table: String,
    /// Its schema.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// Columns checked (empty for table-level kinds).
    #[serde(default)]
    pub columns: Vec<String>,
    /// Kind-specific parameters.
    #[serde(default)]
    pub params: CheckParams,
    /// Pass range of the observed number.
    #[serde(default)]
    pub threshold: Threshold,
    /// What is checked, in words.
    #[serde(default)]
    pub description: String,
    /// Declared or suggested.
    #[serde(default)]
    pub origin: CheckOrigin,
    /// Columns shown in failing-row samples (the table's key).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sample_columns: Vec<String>,
    /// PII columns: never selected into samples, shown as `***`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pii_columns: Vec<String>,
    /// The check's SQL for the requested dialect (one row, column `observed`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sql: Option<String>,
    /// Why the check cannot run on the dialect, when it cannot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unsupported: Option<String>,
    /// Columns (of the table or the referenced one) a PostgreSQL datasource compares
    /// loosely (nondeterministic collation, `citext`): set when the check is bound to the
    /// datasource, compared as text under `"C"`. Never read from or written to JSON.
    #[serde(skip)]
    #[schemars(skip)]
    pub loose_text: Vec<String>,
}

/// The SQL pieces of one check for one dialect.
#[derive(Debug, Clone)]
pub struct CheckSql {
    /// How it is computed.
    pub shape: Shape,
    /// Row-level violation test (predicate kinds, referential samples).
    pub predicate: Option<String>,
    /// Aggregate over the shared scan (predicate and expression kinds).
    pub expression: Option<String>,
    /// Standalone statement returning `observed`.
    pub standalone: String,
    /// Statement returning failing keys, when the kind has them.
    pub sample: Option<String>,
    /// One statement for an own-statement check that returns the failing keys with the
    /// observed number as the last column of every row (no row: 0), so a failing check
    /// costs one statement, not two. Replaces `standalone` and `sample` in a run.
    pub combined: Option<String>,
}

impl QualityCheck {
    /// A check of `kind` on `spec`'s table with the kind's defaults from the playbook.
    fn new(kind: &CheckKind, spec: &TableSpec, columns: Vec<String>, origin: CheckOrigin) -> Self {
        let mut id = format!("{}:{}", kind.id, spec.name);
        if !columns.is_empty() {
            id.push('.');
            id.push_str(&columns.join("+"));
        }
        let sample_columns = if spec.primary_key.is_empty() {
            columns.clone()
        } else {
            spec.primary_key.clone()
        };
        QualityCheck {
            id,
            kind: kind.id.clone(),
            dimension: kind.dimension.clone(),
            severity: kind.severity.clone(),
            table: spec.name.clone(),
            schema: spec.schema.clone(),
            columns,
            params: CheckParams::default(),
            threshold: Threshold {
                min: kind.threshold.min,
                max: kind.threshold.max,
            },
            description: String::new(),
            origin,
            sample_columns,
            pii_columns: spec.pii_columns().into_iter().map(str::to_string).collect(),
            sql: None,
            unsupported: None,
            loose_text: Vec::new(),
        }
    }
}

fn kind<'a>(book: &'a QualityBook, id: &str) -> Result<&'a CheckKind> {
    book.kind(id)
        .ok_or_else(|| Error::not_found("check kind", id, book.kinds.iter().map(|k| k.id.as_str())))
}

/// The checks a table spec declares. Column names are validated against the spec.
pub fn from_spec(
    book: &QualityBook,
    spec: &TableSpec,
    origin: CheckOrigin,
) -> Result<Vec<QualityCheck>> {
    if spec.name.trim().is_empty() {
        return Err(Error::invalid("table.name: must not be empty"));
    }
    let known = |field: &str, name: &str| -> Result<()> {
        if spec.columns.is_empty() || spec.column(name).is_some() {
            Ok(())
        } else {
            Err(Error::invalid(format!(
                "{field}: no column `{name}` in table `{}`; columns: {}",
                spec.name,
                spec.columns
                    .iter()
                    .map(|c| format!("`{}`", c.name))
                    .collect::<Vec<_>>()
                    .join(", ")
            )))
        }
    };
    let mut out = Vec::new();
    let push = |check: QualityCheck, out: &mut Vec<QualityCheck>| {
        if !out.iter().any(|c: &QualityCheck| c.id == check.id) {
            out.push(check);
        }
    };
    // Keys first: the primary key is unique and not null.
    if !spec.primary_key.is_empty() {
        for (i, c) in spec.primary_key.iter().enumerate() {
            known(&format!("table.primary_key[{i}]"), c)?;
            let mut check =
                QualityCheck::new(kind(book, "DQ-NOT-NULL")?, spec, vec![c.clone()], origin);
            check.description = format!("primary key column `{c}` is never NULL");
            push(check, &mut out);
        }
        push(
            unique_check(book, spec, &spec.primary_key, origin, "primary key")?,
            &mut out,
        );
    }
    for (i, key) in spec.unique_keys.iter().enumerate() {
        for (j, c) in key.iter().enumerate() {
            known(&format!("table.unique_keys[{i}][{j}]"), c)?;
        }
        if key.is_empty() {
            return Err(Error::invalid(format!(
                "table.unique_keys[{i}]: a key needs at least one column"
            )));
        }
        push(
            unique_check(book, spec, key, origin, "unique key")?,
            &mut out,
        );
    }
    for (i, col) in spec.columns.iter().enumerate() {
        let field = format!("table.columns[{i}]");
        if col.name.trim().is_empty() {
            return Err(Error::invalid(format!("{field}.name: must not be empty")));
        }
        let one = vec![col.name.clone()];
        if col.nullable == Some(false) {
            let mut check =
                QualityCheck::new(kind(book, "DQ-NOT-NULL")?, spec, one.clone(), origin);
            check.description = format!("`{}` is never NULL", col.name);
            push(check, &mut out);
        }
        if col.unique {
            push(unique_check(book, spec, &one, origin, "column")?, &mut out);
        }
        if let Some(values) = &col.accepted_values {
            if values.is_empty() {
                return Err(Error::invalid(format!(
                    "{field}.accepted_values: give at least one value"
                )));
            }
            let mut check =
                QualityCheck::new(kind(book, "DQ-ACCEPTED-VALUES")?, spec, one.clone(), origin);
            check.params.values = Some(values.clone());
            check.description = format!("`{}` is one of {}", col.name, values.join(", "));
            push(check, &mut out);
        }
        if col.min.is_some() || col.max.is_some() {
            if let (Some(a), Some(b)) = (col.min, col.max)
                && a > b
            {
                return Err(Error::invalid(format!(
                    "{field}: min `{a}` is above max `{b}`"
                )));
            }
            let mut check = QualityCheck::new(kind(book, "DQ-RANGE")?, spec, one.clone(), origin);
            check.params.min = col.min;
            check.params.max = col.max;
            check.description = format!(
                "`{}` is {}",
                col.name,
                Threshold {
                    min: col.min,
                    max: col.max
                }
                .describe()
            );
            push(check, &mut out);
        }
        if let Some(pattern) = &col.pattern {
            regex::Regex::new(pattern).map_err(|e| {
                Error::invalid(format!(
                    "{field}.pattern: not a valid regular expression: {e}"
                ))
            })?;
            let mut check = QualityCheck::new(kind(book, "DQ-PATTERN")?, spec, one.clone(), origin);
            check.params.pattern = Some(pattern.clone());
            check.description = format!("`{}` matches `{pattern}`", col.name);
            push(check, &mut out);
        }
        if col.no_future {
            let mut check =
                QualityCheck::new(kind(book, "DQ-NO-FUTURE")?, spec, one.clone(), origin);
            check.description = format!("no `{}` lies in the future", col.name);
            push(check, &mut out);
        }
        if let Some(share) = col.max_share_pct {
            if !(0.0..=100.0).contains(&share) {
                return Err(Error::invalid(format!(
                    "{field}.max_share_pct: must be between 0 and 100, got `{share}`"
                )));
            }
            let mut check =
                QualityCheck::new(kind(book, "DQ-DISTRIBUTION")?, spec, one.clone(), origin);
            check.threshold.max = Some(share);
            check.description = format!(
                "no value of `{}` holds more than {share}% of rows",
                col.name
            );
            push(check, &mut out);
        }
    }
    if let Some(f) = &spec.freshness {
        known("table.freshness.column", &f.column)?;
        if f.max_age_hours.is_nan() || f.max_age_hours <= 0.0 {
            return Err(Error::invalid(
                "table.freshness.max_age_hours: must be above 0",
            ));
        }
        let mut check = QualityCheck::new(
            kind(book, "DQ-FRESHNESS")?,
            spec,
            vec![f.column.clone()],
            origin,
        );
        check.params.max_age_hours = Some(f.max_age_hours);
        check.description = format!(
            "the latest `{}` is at most {} hours old",
            f.column, f.max_age_hours
        );
        push(check, &mut out);
    }
    if let Some(v) = &spec.volume {
        if v.min_rows.is_none() && v.max_rows.is_none() {
            return Err(Error::invalid(
                "table.volume: give `min_rows`, `max_rows` or both",
            ));
        }
        if v.partition_value.is_some() && v.window_days.is_some() {
            return Err(Error::invalid(
                "table.volume: give `partition_value` or `window_days`, not both",
            ));
        }
        if v.window_days == Some(0) {
            return Err(Error::invalid(
                "table.volume.window_days: must be 1 or more",
            ));
        }
        if v.partition_column.is_some() != (v.partition_value.is_some() || v.window_days.is_some())
        {
            return Err(Error::invalid(
                "table.volume: `partition_column` goes with `partition_value` or `window_days`",
            ));
        }
        let mut columns = Vec::new();
        if let Some(p) = &v.partition_column {
            known("table.volume.partition_column", p)?;
            columns.push(p.clone());
        }
        let mut check = QualityCheck::new(kind(book, "DQ-VOLUME")?, spec, columns, origin);
        check.params.partition_column = v.partition_column.clone();
        check.params.partition_value = v.partition_value.clone();
        check.params.window_days = v.window_days;
        check.threshold = Threshold {
            min: v.min_rows.map(|n| n as f64),
            max: v.max_rows.map(|n| n as f64),
        };
        check.description = match (&v.partition_column, &v.partition_value) {
            (Some(c), None) => format!(
                "rows whose `{c}` falls in the {} days before the run are {}",
                v.window_days.unwrap_or_default(),
                check.threshold.describe()
            ),
            (Some(c), Some(val)) => format!(
                "rows where `{c}` = `{val}` are {}",
                check.threshold.describe()
            ),
            _ => format!("row count is {}", check.threshold.describe()),
        };
        check.sample_columns.clear();
        push(check, &mut out);
    }
    for (i, fk) in spec.foreign_keys.iter().enumerate() {
        if fk.columns.is_empty() || fk.columns.len() != fk.ref_columns.len() {
            return Err(Error::invalid(format!(
                "table.foreign_keys[{i}]: `columns` and `ref_columns` must be non-empty and the same length"
            )));
        }
        for (j, c) in fk.columns.iter().enumerate() {
            known(&format!("table.foreign_keys[{i}].columns[{j}]"), c)?;
        }
        let mut check = QualityCheck::new(
            kind(book, "DQ-REFERENTIAL")?,
            spec,
            fk.columns.clone(),
            origin,
        );
        check.id.push_str(&format!("->{}", fk.ref_table));
        check.params.ref_table = Some(fk.ref_table.clone());
        check.params.ref_schema = fk.ref_schema.clone().or_else(|| spec.schema.clone());
        check.params.ref_columns = Some(fk.ref_columns.clone());
        check.description = format!(
            "every `{}` has a parent in `{}`",
            fk.columns.join(", "),
            fk.ref_table
        );
        push(check, &mut out);
    }
    for (i, r) in spec.reconciliations.iter().enumerate() {
        let field = format!("table.reconciliations[{i}]");
        if r.tolerance_pct.is_nan() || r.tolerance_pct < 0.0 {
            return Err(Error::invalid(format!(
                "{field}.tolerance_pct: must be 0 or more"
            )));
        }
        let columns = match (r.measure, &r.column) {
            (Measure::Sum, None) => {
                return Err(Error::invalid(format!(
                    "{field}.column: `sum` needs the column to sum"
                )));
            }
            (Measure::Sum, Some(c)) => {
                known(&format!("{field}.column"), c)?;
                vec![c.clone()]
            }
            (Measure::Count, _) => Vec::new(),
        };
        if let Some(p) = &r.partition_column {
            known(&format!("{field}.partition_column"), p)?;
        } else if r.other_partition_column.is_some() {
            return Err(Error::invalid(format!(
                "{field}.other_partition_column: give `partition_column` too"
            )));
        }
        let mut check = QualityCheck::new(kind(book, "DQ-RECONCILE")?, spec, columns, origin);
        check.id.push_str(&format!("={}", r.other_table));
        if let Some(p) = &r.partition_column {
            check.id.push_str(&format!("@{p}"));
        }
        check.params.partition_column = r.partition_column.clone();
        check.params.other_partition_column = r
            .other_partition_column
            .clone()
            .or_else(|| r.partition_column.clone());
        check.params.measure = Some(r.measure);
        check.params.ref_table = Some(r.other_table.clone());
        check.params.ref_schema = r.other_schema.clone().or_else(|| spec.schema.clone());
        if r.measure == Measure::Sum {
            check.params.ref_columns = Some(vec![
                r.other_column
                    .clone()
                    .or_else(|| r.column.clone())
                    .unwrap_or_default(),
            ]);
        }
        check.threshold = Threshold {
            min: None,
            max: Some(r.tolerance_pct),
        };
        check.description = format!(
            "{} of `{}` is within {}% of `{}`{}",
            match r.measure {
                Measure::Count => "the row count".to_string(),
                Measure::Sum => format!("the sum of `{}`", r.column.as_deref().unwrap_or_default()),
            },
            spec.name,
            r.tolerance_pct,
            r.other_table,
            match &r.partition_column {
                Some(p) => format!(", for every `{p}`"),
                None => String::new(),
            }
        );
        check.sample_columns.clear();
        push(check, &mut out);
    }
    for (i, c) in spec.custom_checks.iter().enumerate() {
        let field = format!("table.custom_checks[{i}]");
        let name = c.name.trim();
        if name.is_empty() || !name.chars().all(|ch| ch.is_alphanumeric() || ch == '_') {
            return Err(Error::invalid(format!(
                "{field}.name: give a short name of letters, digits and `_`, got `{}`",
                c.name
            )));
        }
        if c.min.is_none() && c.max.is_none() {
            return Err(Error::invalid(format!(
                "{field}: give `min`, `max` or both (the passing range of `observed`)"
            )));
        }
        if let (Some(a), Some(b)) = (c.min, c.max)
            && a > b
        {
            return Err(Error::invalid(format!(
                "{field}: min `{a}` is above max `{b}`"
            )));
        }
        if c.sql.trim().is_empty() {
            return Err(Error::invalid(format!(
                "{field}.sql: give one SELECT returning a column `observed`"
            )));
        }
        let mut check = QualityCheck::new(kind(book, "DQ-CUSTOM-SQL")?, spec, Vec::new(), origin);
        check.id = format!("DQ-CUSTOM-SQL:{}.{name}", spec.name);
        check.params.sql = Some(c.sql.clone());
        check.threshold = Threshold {
            min: c.min,
            max: c.max,
        };
        if let Some(severity) = &c.severity {
            check.severity = severity.clone();
        }
        check.description = c.description.clone().unwrap_or_else(|| {
            format!(
                "custom query `{name}` returns {}",
                check.threshold.describe()
            )
        });
        check.sample_columns.clear();
        push(check, &mut out);
    }
    Ok(out)
}

/// The user's SQL of a custom check, validated as exactly one read-only SELECT in
/// `dialect` (no data-modifying CTE, INTO or locking clause), without a final `;`.
pub fn custom_sql(dialect: &dyn SqlDialect, check: &QualityCheck) -> Result<String> {
    let sql = check.params.sql.as_deref().unwrap_or_default().trim();
    let sql = sql.trim_end_matches(';').trim();
    if sql.is_empty() {
        return Err(Error::invalid(format!(
            "check `{}`: params.sql: give one SELECT returning a column `observed`",
            check.id
        )));
    }
    crate::domain::sql_review::single_select(sql, dialect.name()).map_err(|e| {
        Error::invalid(format!(
            "check `{}`: params.sql: {}",
            check.id,
            e.to_string()
                .trim_start_matches("invalid input: ")
                .replace("sql: EXPLAIN accepts", "a custom check accepts")
        ))
    })?;
    Ok(sql.to_string())
}

fn unique_check(
    book: &QualityBook,
    spec: &TableSpec,
    key: &[String],
    origin: CheckOrigin,
    what: &str,
) -> Result<QualityCheck> {
    let id = if key.len() == 1 {
        "DQ-UNIQUE"
    } else {
        "DQ-UNIQUE-COMBINATION"
    };
    let mut check = QualityCheck::new(kind(book, id)?, spec, key.to_vec(), origin);
    check.sample_columns = key.to_vec();
    check.description = format!("{what} ({}) is unique", key.join(", "));
    Ok(check)
}

/// Fills in a check read from input: dimension, severity and threshold defaults from the
/// playbook when left empty; an unknown kind is an error naming the field.
pub fn complete(book: &QualityBook, check: &mut QualityCheck, field: &str) -> Result<()> {
    let kind = book.kind(&check.kind).ok_or_else(|| {
        Error::invalid(format!(
            "{field}.kind: unknown check kind `{}`; valid: {}",
            check.kind,
            book.kinds
                .iter()
                .map(|k| format!("`{}`", k.id))
                .collect::<Vec<_>>()
                .join(", ")
        ))
    })?;
    if check.dimension.is_empty() {
        check.dimension = kind.dimension.clone();
    }
    if check.severity.is_empty() {
        check.severity = kind.severity.clone();
    }
    if !book.severities.iter().any(|s| s.id == check.severity) {
        return Err(Error::invalid(format!(
            "{field}.severity: unknown severity `{}`; valid: P0, P1, P2, P3",
            check.severity
        )));
    }
    if check.threshold == Threshold::default() {
        check.threshold = Threshold {
            min: kind.threshold.min,
            max: kind.threshold.max,
        };
    }
    Ok(())
}

/// The SQL of `check` for `dialect`; `Ok(None)` when the dialect cannot express it
/// (the reason goes to `check.unsupported`).
pub fn render(
    templates: &Templates,
    book: &QualityBook,
    dialect: &dyn SqlDialect,
    check: &QualityCheck,
    sample_rows: u64,
) -> Result<std::result::Result<CheckSql, String>> {
    let kind = kind(book, &check.kind)?;
    let q = |name: &str| dialect.quote_ident(name);
    // How a column is compared and grouped: a PostgreSQL column whose equality is not byte
    // for byte (an ICU nondeterministic collation: `USA` = `usa`; `citext`) as text under
    // "C", as text compares on every other engine; any other column as itself. No
    // parentheses, so a `t.` prefix still qualifies it.
    let key = |name: &str| -> Result<String> {
        let quoted = q(name)?;
        Ok(
            if dialect.name() == "postgres" && check.loose_text.iter().any(|c| c == name) {
                format!("{quoted}::text COLLATE \"C\"")
            } else {
                quoted
            },
        )
    };
    let table = dialect.qualified_name(&TableName::new(check.schema.as_deref(), &check.table))?;
    let cols: Vec<String> = check.columns.iter().map(|c| q(c)).collect::<Result<_>>()?;
    let col = cols.first().cloned();
    let need_col = || {
        col.clone().ok_or_else(|| {
            Error::invalid(format!(
                "check `{}`: kind `{}` needs a column",
                check.id, check.kind
            ))
        })
    };
    let double = dialect.physical_type(&LogicalType::Float).sql;
    let limit = dialect.limit_clause(sample_rows);
    let mut ctx = serde_json::Map::new();
    ctx.insert("table".into(), json!(table));
    ctx.insert("cols".into(), json!(cols));
    ctx.insert("col".into(), json!(col));
    ctx.insert("double".into(), json!(double));
    ctx.insert("limit".into(), json!(limit));
    ctx.insert("dialect".into(), json!(dialect.name()));
    // Grouping and DISTINCT keys: text byte for byte on every engine. `keys` are the
    // columns as compared (what a grouped query selects), `cols` their names.
    let keys: Vec<String> = check
        .columns
        .iter()
        .map(|c| key(c))
        .collect::<Result<_>>()?;
    let groups: Vec<String> = keys.iter().map(|c| exact_key(dialect, c)).collect();
    ctx.insert("group".into(), json!(groups.first()));
    ctx.insert(
        "distinct".into(),
        json!(keys.first().map(|c| distinct_key(dialect, c))),
    );
    ctx.insert("groups".into(), json!(groups));
    ctx.insert("key".into(), json!(keys.first()));
    ctx.insert("keys".into(), json!(keys));
    let need_key = || {
        need_col()?;
        Ok::<_, Error>(keys[0].clone())
    };
    let number = |v: f64| -> String {
        if v.fract() == 0.0 && v.abs() < 1e15 {
            format!("{}", v as i64)
        } else {
            format!("{v}")
        }
    };
    match kind.name.as_str() {
        "not_null" | "unique" | "unique_combination" => {
            need_col()?;
        }
        "accepted_values" => {
            need_col()?;
            let values = check.params.values.as_deref().unwrap_or_default();
            if values.is_empty() {
                return Err(Error::invalid(format!(
                    "check `{}`: params.values is empty",
                    check.id
                )));
            }
            let literals: Vec<String> = values
                .iter()
                .map(|v| dialect.string_literal(v))
                .collect::<Result<_>>()?;
            ctx.insert(
                "outside".into(),
                json!(outside(dialect, &need_key()?, &literals.join(", "))),
            );
        }
        "range" => {
            need_col()?;
            if check.params.min.is_none() && check.params.max.is_none() {
                return Err(Error::invalid(format!(
                    "check `{}`: params needs `min` or `max`",
                    check.id
                )));
            }
            ctx.insert("min".into(), json!(check.params.min.map(number)));
            ctx.insert("max".into(), json!(check.params.max.map(number)));
        }
        "pattern" => {
            let c = need_key()?;
            let pattern = check.params.pattern.as_deref().unwrap_or_default();
            regex::Regex::new(pattern).map_err(|e| {
                Error::invalid(format!(
                    "check `{}`: params.pattern is not a valid regular expression: {e}",
                    check.id
                ))
            })?;
            match regex_match(dialect, &c, pattern)? {
                Some(matches) => {
                    ctx.insert("matches".into(), json!(matches));
                }
                None => {
                    return Ok(Err(format!(
                        "{} has no built-in regular expressions: pattern check not generated",
                        dialect.title()
                    )));
                }
            }
        }
        "freshness" => {
            need_col()?;
            let hours = check.params.max_age_hours.unwrap_or(24.0);
            let minutes = (hours * 60.0).round().clamp(1.0, f64::from(u32::MAX)) as u32;
            ctx.insert(
                "since".into(),
                json!(dialect.timestamp_ago(minutes, IntervalUnit::Minute)),
            );
        }
        "no_future" => {
            need_col()?;
            ctx.insert(
                "now".into(),
                json!(dialect.timestamp_ago(0, IntervalUnit::Minute)),
            );
        }
        "volume" => {
            match (
                &check.params.partition_column,
                &check.params.partition_value,
            ) {
                (Some(c), None) if check.params.window_days.is_some() => {
                    let days = check.params.window_days.unwrap_or(1).max(1);
                    ctx.insert("pcol".into(), json!(q(c)?));
                    ctx.insert(
                        "since".into(),
                        json!(dialect.timestamp_ago(days, IntervalUnit::Day)),
                    );
                    ctx.insert(
                        "now".into(),
                        json!(dialect.timestamp_ago(0, IntervalUnit::Minute)),
                    );
                }
                (Some(c), Some(v)) => {
                    ctx.insert("pcol".into(), json!(q(c)?));
                    ctx.insert(
                        "within".into(),
                        json!(equals(dialect, &key(c)?, &dialect.string_literal(v)?)),
                    );
                }
                _ => {
                    ctx.insert("pcol".into(), serde_json::Value::Null);
                }
            }
        }
        "relationships" => {
            let ref_table = check.params.ref_table.as_deref().unwrap_or_default();
            let ref_cols = check.params.ref_columns.clone().unwrap_or_default();
            if cols.is_empty() || ref_cols.len() != cols.len() {
                return Err(Error::invalid(format!(
                    "check `{}`: `columns` and `params.ref_columns` must pair up",
                    check.id
                )));
            }
            ctx.insert(
                "ref_table".into(),
                json!(dialect.qualified_name(&TableName::new(
                    check.params.ref_schema.as_deref(),
                    ref_table
                ))?),
            );
            let quoted: Vec<String> = ref_cols.iter().map(|c| q(c)).collect::<Result<_>>()?;
            ctx.insert("ref_cols".into(), json!(quoted));
            ctx.insert("fk_cols".into(), json!(cols));
            let ref_keys: Vec<String> = ref_cols.iter().map(|c| key(c)).collect::<Result<_>>()?;
            let joins: Vec<String> = ref_keys
                .iter()
                .zip(&keys)
                .map(|(r, c)| same_key(dialect, &format!("p.{r}"), &format!("t.{c}")))
                .collect();
            ctx.insert("joins".into(), json!(joins));
        }
        "distribution" => {
            need_col()?;
        }
        "custom_sql" => {
            ctx.insert("sql".into(), json!(custom_sql(dialect, check)?));
            ctx.insert("min".into(), json!(check.threshold.min.map(number)));
            ctx.insert("max".into(), json!(check.threshold.max.map(number)));
        }
        "reconciliation" => {
            let other = check.params.ref_table.as_deref().unwrap_or_default();
            ctx.insert(
                "other_table".into(),
                json!(
                    dialect.qualified_name(&TableName::new(
                        check.params.ref_schema.as_deref(),
                        other
                    ))?
                ),
            );
            let (this_expr, other_expr) = match check.params.measure.unwrap_or_default() {
                Measure::Count => ("COUNT(*)".to_string(), "COUNT(*)".to_string()),
                Measure::Sum => {
                    let c = need_col()?;
                    let oc = check
                        .params
                        .ref_columns
                        .as_ref()
                        .and_then(|v| v.first())
                        .cloned()
                        .unwrap_or_default();
                    (
                        format!("COALESCE(SUM({c}), 0)"),
                        format!("COALESCE(SUM({}), 0)", q(&oc)?),
                    )
                }
            };
            ctx.insert("this_expr".into(), json!(this_expr));
            ctx.insert("other_expr".into(), json!(other_expr));
            match (
                &check.params.partition_column,
                &check.params.other_partition_column,
            ) {
                (Some(p), other) => {
                    let other = other.as_deref().unwrap_or(p);
                    // Both sides' keys meet in one UNION: when either compares loosely,
                    // both compare as text under "C" (one collation for the grouping).
                    let (p_key, other_key) = match (key(p)?, key(other)?) {
                        (a, b) if a != q(p)? || b != q(other)? => (
                            format!("{}::text COLLATE \"C\"", q(p)?),
                            format!("{}::text COLLATE \"C\"", q(other)?),
                        ),
                        pair => pair,
                    };
                    let (p_key, other_key) = (format!("t.{p_key}"), format!("t.{other_key}"));
                    ctx.insert("pgroup".into(), json!(exact_key(dialect, &p_key)));
                    ctx.insert("other_pgroup".into(), json!(exact_key(dialect, &other_key)));
                    ctx.insert("pkey".into(), json!(p_key));
                    ctx.insert("other_pkey".into(), json!(other_key));
                    let (p, other) = (q(p)?, q(other)?);
                    ctx.insert("kgroup".into(), json!(exact_key(dialect, "u.k")));
                    ctx.insert("pcol".into(), json!(p));
                    ctx.insert("other_pcol".into(), json!(other));
                }
                _ => {
                    ctx.insert("pcol".into(), serde_json::Value::Null);
                }
            }
        }
        other => {
            return Err(Error::invalid(format!(
                "check kind `{}` (`{other}`) has no SQL renderer",
                kind.id
            )));
        }
    }
    let part = |ctx: &serde_json::Map<String, serde_json::Value>, part: &str| -> Result<String> {
        let mut ctx = ctx.clone();
        ctx.insert("part".into(), json!(part));
        Ok(templates.render(&kind.template, &ctx)?.trim().to_string())
    };
    let standalone_of = |expr: &str| -> Result<String> {
        Ok(templates
            .render(
                "checks/standalone.sql.j2",
                json!({"expr": expr, "table": table}),
            )?
            .trim()
            .to_string())
    };
    let sample_keys: Vec<String> = check
        .sample_columns
        .iter()
        .filter(|c| !check.pii_columns.contains(c))
        .map(|c| q(c))
        .collect::<Result<_>>()?;
    let sample_of = |predicate: &str, observed: bool| -> Result<Option<String>> {
        if sample_keys.is_empty() {
            return Ok(None);
        }
        Ok(Some(
            templates
                .render(
                    "checks/sample.sql.j2",
                    json!({"keys": sample_keys, "table": table, "predicate": predicate, "limit": limit, "dialect": dialect.name(), "observed": observed}),
                )?
                .trim()
                .to_string(),
        ))
    };
    // Key samples of unique checks show the key itself: none when a key part is PII.
    let pii_key = check.columns.iter().any(|c| check.pii_columns.contains(c));
    let sql = match kind.shape {
        Shape::Predicate => {
            let predicate = part(&ctx, "predicate")?;
            let expression = templates
                .render("checks/count_when.sql.j2", json!({"predicate": predicate}))?
                .trim()
                .to_string();
            CheckSql {
                shape: kind.shape,
                standalone: standalone_of(&expression)?,
                sample: sample_of(&predicate, false)?,
                predicate: Some(predicate),
                expression: Some(expression),
                combined: None,
            }
        }
        Shape::Expression if kind.name == "unique" && !dialect.distinct_in_shared_scan() => {
            CheckSql {
                shape: Shape::Query,
                standalone: part(&ctx, "query")?,
                sample: None,
                predicate: None,
                expression: None,
                combined: if pii_key {
                    None
                } else {
                    Some(part(&ctx, "combined")?)
                },
            }
        }
        Shape::Expression => {
            let expression = part(&ctx, "expression")?;
            let sample = if kind.name == "unique" && !pii_key {
                Some(part(&ctx, "sample")?)
            } else {
                None
            };
            CheckSql {
                shape: kind.shape,
                standalone: standalone_of(&expression)?,
                sample,
                predicate: None,
                expression: Some(expression),
                combined: None,
            }
        }
        Shape::Query => {
            let standalone = part(&ctx, "query")?;
            let (predicate, sample, combined) = match kind.name.as_str() {
                "relationships" => {
                    let predicate = part(&ctx, "predicate")?;
                    let sample = sample_of(&predicate, false)?;
                    // PostgreSQL runs neither a window count nor a LIMIT over the anti-join
                    // in parallel (1.1 s and 0.42 s against 0.18 s for the parallel count at
                    // 1M rows): there the count and the failing keys are two statements.
                    let combined = if dialect.name() == "postgres" {
                        None
                    } else {
                        sample_of(&predicate, true)?
                    };
                    (Some(predicate), sample, combined)
                }
                "unique_combination" if !pii_key => (
                    None,
                    Some(part(&ctx, "sample")?),
                    Some(part(&ctx, "combined")?),
                ),
                _ => (None, None, None),
            };
            CheckSql {
                shape: kind.shape,
                standalone,
                sample,
                predicate,
                expression: None,
                combined,
            }
        }
    };
    Ok(Ok(sql))
}

/// Whether non-NULL `col` is not one of `literals` (a comma-separated list): text byte
/// for byte, numbers and dates by value, on every engine. MySQL/MariaDB compare text under
/// the column's collation (`_ci`: `USA` = `usa`; PAD SPACE: `usa` = `usa `), so a text
/// value must also match converted to utf8mb4 (the connection's character set, that of
/// the literals) and cast to binary; a number or date (collation `binary`) is compared as
/// itself (`10.00` is `10`, as on PostgreSQL and SQLite, not the text `10.00`).
/// SQLite compares under the column's collation too (`NOCASE`, `RTRIM`): there the column
/// is compared `COLLATE BINARY` (numbers keep their affinity). PostgreSQL compares text
/// exactly already (deterministic collations).
fn outside(dialect: &dyn SqlDialect, col: &str, literals: &str) -> String {
    match dialect.name() {
        "mysql" => format!("NOT {}", mysql_in(col, literals)),
        _ => format!("{} NOT IN ({literals})", binary(dialect, col)),
    }
}

/// Whether `col` equals `literal`, compared as [`outside`] compares.
fn equals(dialect: &dyn SqlDialect, col: &str, literal: &str) -> String {
    match dialect.name() {
        "mysql" => mysql_in(col, literal),
        _ => format!("{} = {literal}", binary(dialect, col)),
    }
}

fn mysql_in(col: &str, literals: &str) -> String {
    format!(
        "({col} IN ({literals}) AND (COLLATION({col}) = 'binary' OR CAST(CONVERT({col} USING utf8mb4) AS BINARY) IN ({literals})))"
    )
}

/// The expressions that group or count `col` DISTINCT with text byte for byte. MySQL and
/// MariaDB group text under the column's collation (`USA`, `usa` and `usa ` are one value
/// under a `_ci` PAD SPACE collation), so a text column is grouped by its binary utf8mb4
/// form too; a number or date (collation `binary`) adds a constant, its own value groups it.
/// SQLite groups `COLLATE BINARY` (see [`binary`]).
fn exact_key(dialect: &dyn SqlDialect, col: &str) -> String {
    match dialect.name() {
        "mysql" => format!(
            "{col}, CASE WHEN COLLATION({col}) = 'binary' THEN '' ELSE CAST(CONVERT({col} USING utf8mb4) AS BINARY) END"
        ),
        _ => binary(dialect, col),
    }
}

/// `col` under a byte-for-byte collation where the engine would otherwise use the
/// column's own: SQLite (`NOCASE`, `RTRIM` columns); PostgreSQL's deterministic collations
/// already are.
fn binary(dialect: &dyn SqlDialect, col: &str) -> String {
    if dialect.name() == "sqlite" {
        format!("{col} COLLATE BINARY")
    } else {
        col.to_string()
    }
}

/// One expression whose DISTINCT values are `col`'s with text byte for byte (as
/// [`exact_key`] groups). On MySQL/MariaDB a text column counts its binary utf8mb4 form;
/// any other column its own value, as text (`COUNT(DISTINCT a, b)` with the two keys of
/// [`exact_key`] took 2.6 times as long on MariaDB text; this form costs about nothing on
/// text and a quarter more on integers).
fn distinct_key(dialect: &dyn SqlDialect, col: &str) -> String {
    match dialect.name() {
        "mysql" => format!(
            "CASE WHEN COLLATION({col}) = 'binary' THEN {col} ELSE CAST(CONVERT({col} USING utf8mb4) AS BINARY) END"
        ),
        _ => binary(dialect, col),
    }
}

/// Whether key `a` equals key `b` (a join), text byte for byte as [`exact_key`] groups:
/// on MySQL/MariaDB a text key must also match in binary; the plain equality stays first,
/// so an index on either side still serves the join.
fn same_key(dialect: &dyn SqlDialect, a: &str, b: &str) -> String {
    match dialect.name() {
        "mysql" => format!(
            "({a} = {b} AND (COLLATION({b}) = 'binary' OR CAST(CONVERT({a} USING utf8mb4) AS BINARY) = CAST(CONVERT({b} USING utf8mb4) AS BINARY)))"
        ),
        _ => format!("{} = {b}", binary(dialect, a)),
    }
}

/// A case-sensitive regular-expression match of `col`, `None` when the engine has none.
/// MySQL/MariaDB `REGEXP` follows the column's collation (case-insensitive under `_ci`):
/// the pattern starts with `(?-i)`, which PCRE (MariaDB) and ICU (MySQL 8) read as
/// "case-sensitive from here" (a pattern's own `(?i)` still wins). SQLite has `REGEXP`
/// once a function backs it: dana's datasources register one (Rust `regex` syntax).
pub fn regex_match(dialect: &dyn SqlDialect, col: &str, pattern: &str) -> Result<Option<String>> {
    match dialect.name() {
        "mysql" => dialect.regex_match(col, &format!("(?-i){pattern}")),
        "sqlite" => Ok(Some(format!(
            "{col} REGEXP {}",
            dialect.string_literal(pattern)?
        ))),
        _ => dialect.regex_match(col, pattern),
    }
}

/// Renders each check's standalone SQL for `dialect` into `check.sql` (or
/// `check.unsupported`).
pub fn attach_sql(
    templates: &Templates,
    book: &QualityBook,
    dialect: &dyn SqlDialect,
    checks: &mut [QualityCheck],
) -> Result<()> {
    for check in checks.iter_mut() {
        match render(templates, book, dialect, check, 10)? {
            Ok(sql) => {
                check.sql = Some(sql.standalone);
                check.unsupported = None;
            }
            Err(reason) => {
                check.sql = None;
                check.unsupported = Some(reason);
            }
        }
    }
    Ok(())
}

/// The family of a column, when the spec knows its type.
pub fn family_of(spec: &TableSpec, column: &str) -> Option<TypeFamily> {
    spec.column(column)
        .and_then(|c| c.data_type.as_deref())
        .map(TypeFamily::of)
}
