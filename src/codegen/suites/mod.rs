//! Quality suites in the formats teams already run: a Great Expectations (GX Core 1.x)
//! expectation suite as JSON ([`gx`]) and a Soda (SodaCL 3.x) check file as YAML
//! ([`soda`]), both from the same generated checks. A check becomes the engine's own
//! expectation or metric where that has dana's semantics (playbook keys `gx` and `soda` of
//! each kind), else the engine's SQL form over the check's own SQL; a check neither can
//! express gets a note, never silence.

pub mod gx;
pub mod soda;

use crate::dialect::SqlDialect;
use crate::domain::quality::{QualityCheck, TableSpec, Threshold};
use crate::error::Result;
use crate::playbook::QualityBook;
use crate::render::Templates;

/// What the suites are generated from.
pub struct SuiteInput<'a> {
    /// Templates of the check SQL.
    pub templates: &'a Templates,
    /// The quality playbook.
    pub book: &'a QualityBook,
    /// Dialect of the SQL forms.
    pub dialect: &'a dyn SqlDialect,
    /// The checked table.
    pub spec: &'a TableSpec,
    /// The generated checks (with their SQL attached).
    pub checks: &'a [QualityCheck],
}

/// A generated suite and the notes on checks it could not express natively or at all.
#[derive(Debug, Clone)]
pub struct Suite {
    /// The suite's text, `None` when nothing could be generated.
    pub text: Option<String>,
    /// One note per check not expressed, prefixed with the engine.
    pub notes: Vec<String>,
}

/// Whether the engines' own forms may stand for a check of kind `kind_name` on `dialect`.
/// Kinds that compare text (keys, allowed values, patterns, parent keys) run natively only
/// where the engine compares text byte for byte as dana's SQL does: MySQL/MariaDB compare
/// under the column's collation (`USA` = `usa ` under `_ci` PAD SPACE) and SQLite under a
/// column's `NOCASE`/`RTRIM`, so there the check's own SQL (which compares exactly) runs.
pub(crate) fn native_allowed(dialect: &dyn SqlDialect, kind_name: &str) -> bool {
    let compares_text = matches!(
        kind_name,
        "unique" | "unique_combination" | "accepted_values" | "pattern" | "relationships"
    );
    !compares_text || !matches!(dialect.name(), "mysql" | "sqlite")
}

/// `v` as SQL or YAML number text: integers without a fraction.
pub(crate) fn number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

/// A query returning one row with the check's observed number (NULL read as 0, as
/// `run_quality_checks` reads it), from the check's own statement.
pub(crate) fn observed_query(standalone: &str) -> String {
    format!("SELECT COALESCE(dana_m.observed, 0) AS observed FROM ({standalone}) dana_m")
}

/// A query returning the one observed row when it is outside the threshold, else nothing.
pub(crate) fn outside_query(standalone: &str, threshold: &Threshold) -> Option<String> {
    let v = "COALESCE(dana_m.observed, 0)";
    let fails = match (threshold.min, threshold.max) {
        (Some(a), Some(b)) => format!("{v} < {} OR {v} > {}", number(a), number(b)),
        (Some(a), None) => format!("{v} < {}", number(a)),
        (None, Some(b)) => format!("{v} > {}", number(b)),
        (None, None) => return None,
    };
    Some(format!(
        "SELECT dana_m.observed FROM ({standalone}) dana_m WHERE {fails}"
    ))
}

/// The check's kind and its SQL parts for the dialect, or why a suite has no entry for it.
pub(crate) fn kind_and_sql<'b>(
    input: &SuiteInput<'b>,
    check: &QualityCheck,
) -> Result<
    std::result::Result<
        (
            &'b crate::playbook::CheckKind,
            crate::domain::quality::checks::CheckSql,
        ),
        String,
    >,
> {
    let Some(kind) = input.book.kind(&check.kind) else {
        return Ok(Err(format!("unknown check kind `{}`", check.kind)));
    };
    Ok(crate::domain::quality::checks::render(
        input.templates,
        input.book,
        input.dialect,
        check,
        10,
    )?
    .map(|sql| (kind, sql)))
}
