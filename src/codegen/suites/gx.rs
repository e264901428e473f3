//! A Great Expectations (GX Core 1.x) expectation suite as JSON: what
//! `ExpectationSuite(**json.load(f))` reads, run by the fixed runner
//! `templates/suites/gx_run_suite.py` (no user text goes into Python). Kinds whose GX
//! expectation has dana's semantics become that expectation (column names and values are
//! kwargs GX binds itself); the others an `unexpected_rows_expectation` whose query returns
//! the failing rows (row-level kinds: as many as dana counts) or the one observed number
//! when it is outside the threshold. The query text is the check's SQL from the dialect
//! layer, escaped here for GX (`str.format` braces) and SQLAlchemy `text()` (`:name` binds).

use serde_json::{Map, Value, json};

use super::{Suite, SuiteInput, kind_and_sql, outside_query};
use crate::domain::quality::QualityCheck;
use crate::error::Result;

/// How an expectation's count compares with dana's `observed`.
const SAME_COUNT: &str = "same";
const VERDICT_ONLY: &str = "verdict";

/// The suite for the input's checks, with a note per check it cannot express.
pub fn suite(input: &SuiteInput<'_>) -> Result<Suite> {
    let mut expectations = Vec::new();
    let mut notes = Vec::new();
    for check in input.checks {
        match expectation(input, check)? {
            Ok(e) => expectations.push(e),
            Err(why) => notes.push(format!("gx: {}: {why}", check.id)),
        }
    }
    let mut dana = Map::new();
    dana.insert("table".into(), json!(input.spec.name));
    if let Some(schema) = &input.spec.schema {
        dana.insert("schema".into(), json!(schema));
    }
    dana.insert("dialect".into(), json!(input.dialect.name()));
    let doc = json!({
        "name": format!("dana.{}", input.spec.name),
        "expectations": expectations,
        "meta": {"dana": Value::Object(dana)},
    });
    let text = serde_json::to_string_pretty(&doc)
        .map_err(|e| crate::error::Error::invalid(format!("cannot write the GX suite: {e}")))?;
    Ok(Suite {
        text: Some(text + "\n"),
        notes,
    })
}

/// One expectation, or why the check has none.
fn expectation(
    input: &SuiteInput<'_>,
    check: &QualityCheck,
) -> Result<std::result::Result<Value, String>> {
    let (kind, sql) = match kind_and_sql(input, check)? {
        Ok(found) => found,
        Err(why) => return Ok(Err(why)),
    };
    let column = check.columns.first().cloned().unwrap_or_default();
    let whole_table = check.params.partition_column.is_none();
    let native = kind
        .gx
        .as_deref()
        .filter(|_| super::native_allowed(input.dialect, &kind.name));
    let (kind_name, kwargs, counts) = match native {
        Some(t @ "expect_column_values_to_not_be_null") => {
            (t, json!({"column": column}), SAME_COUNT)
        }
        // GX counts every row of a repeated value, dana the rows beyond the first.
        Some(t @ "expect_column_values_to_be_unique") => {
            (t, json!({"column": column}), VERDICT_ONLY)
        }
        Some(t @ "expect_compound_columns_to_be_unique") => (
            t,
            json!({"column_list": check.columns, "ignore_row_if": "any_value_is_missing"}),
            VERDICT_ONLY,
        ),
        Some(t @ "expect_column_values_to_be_in_set") => (
            t,
            json!({"column": column, "value_set": check.params.values.clone().unwrap_or_default()}),
            SAME_COUNT,
        ),
        Some(t @ "expect_column_values_to_be_between") => {
            let mut kw = Map::new();
            kw.insert("column".into(), json!(column));
            if let Some(min) = check.params.min {
                kw.insert("min_value".into(), json!(min));
            }
            if let Some(max) = check.params.max {
                kw.insert("max_value".into(), json!(max));
            }
            (t, Value::Object(kw), SAME_COUNT)
        }
        Some(t @ "expect_column_values_to_match_regex") => (
            t,
            json!({"column": column, "regex": check.params.pattern.clone().unwrap_or_default()}),
            SAME_COUNT,
        ),
        Some(t @ "expect_table_row_count_to_be_between") if whole_table => {
            let mut kw = Map::new();
            if let Some(min) = check.threshold.min {
                kw.insert("min_value".into(), json!(min.ceil() as i64));
            }
            if let Some(max) = check.threshold.max {
                kw.insert("max_value".into(), json!(max.floor() as i64));
            }
            (t, Value::Object(kw), SAME_COUNT)
        }
        _ => {
            let table = input
                .dialect
                .qualified_name(&crate::dialect::TableName::new(
                    check.schema.as_deref(),
                    &check.table,
                ))?;
            let (query, counts) = match &sql.predicate {
                // Row-level: the failing rows themselves, as many as dana counts.
                Some(predicate) => (
                    format!("SELECT t.* FROM {table} t WHERE {predicate}"),
                    SAME_COUNT,
                ),
                None => match outside_query(&sql.standalone, &check.threshold) {
                    Some(q) => (q, VERDICT_ONLY),
                    None => {
                        return Ok(Err(
                            "no threshold: the check only reports its number".to_string()
                        ));
                    }
                },
            };
            crate::dialect::parse::check(input.dialect, &query)?;
            (
                "unexpected_rows_expectation",
                json!({"unexpected_rows_query": query_text(&query)}),
                counts,
            )
        }
    };
    let severity = input
        .book
        .severity(&check.severity)
        .map_or("critical", |s| s.gx.as_str());
    Ok(Ok(json!({
        "type": kind_name,
        "kwargs": kwargs,
        "meta": {
            "dana_id": check.id,
            "dana_kind": check.kind,
            "dimension": check.dimension,
            "dana_severity": check.severity,
            "dana_counts": counts,
        },
        "description": check.description,
        "severity": severity,
    })))
}

/// `sql` as GX and SQLAlchemy read it back exactly: braces doubled (GX fills `{batch}` with
/// `str.format`), and a backslash before every `:` that `text()` would take for a bind
/// parameter (`:name` after neither a word character, `:` nor `\`) or whose backslash it
/// would strip (`\:name`).
pub fn query_text(sql: &str) -> String {
    let chars: Vec<char> = sql.chars().collect();
    let word = |c: char| c.is_alphanumeric() || c == '_';
    let mut out = String::with_capacity(sql.len() + 8);
    for (i, &c) in chars.iter().enumerate() {
        match c {
            '{' => out.push_str("{{"),
            '}' => out.push_str("}}"),
            ':' => {
                let prev = i.checked_sub(1).map(|j| chars[j]);
                let run = chars[i + 1..].iter().take_while(|&&c| word(c)).count();
                let next = chars.get(i + 1 + run).copied();
                let ends = next != Some(':');
                let bind =
                    run > 0 && ends && prev.is_none_or(|p| p != ':' && p != '\\' && !word(p));
                let stripped = ends && prev == Some('\\');
                if bind || stripped {
                    out.push('\\');
                }
                out.push(':');
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_text_escapes_braces_and_binds() {
        assert_eq!(query_text("SELECT 1"), "SELECT 1");
        assert_eq!(query_text(r#"SELECT "{x}""#), r#"SELECT "{{x}}""#);
        assert_eq!(query_text("WHERE a = ':b'"), r"WHERE a = '\:b'");
        assert_eq!(query_text("x::text"), "x::text");
        assert_eq!(query_text(r"'\:b'"), r"'\\:b'");
        assert_eq!(query_text("\"a:b\""), "\"a:b\"");
        assert_eq!(query_text("' :a:'"), "' :a:'");
    }
}
