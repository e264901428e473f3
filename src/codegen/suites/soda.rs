//! A Soda check file (SodaCL 3.x, `soda scan`) as YAML, built as a `serde_json::Value` and
//! written by [`crate::codegen::yaml`]. Kinds whose Soda metric has dana's semantics
//! become that metric with a `fail` or `warn` alert (the severity's `soda` level) — when
//! every name is a plain identifier SodaCL's grammar reads as is and every literal is one
//! Soda writes into SQL safely; the others a user-defined metric whose query is the
//! check's own statement, returning dana's observed number. Soda renders any text holding
//! `$` as a Jinja template (`${…}`), so such text is escaped here ([`jinja_text`]).

use serde_json::{Map, Value, json};

use super::{Suite, SuiteInput, kind_and_sql, number, observed_query};
use crate::domain::quality::{QualityCheck, Threshold};
use crate::error::Result;

/// The check file for the input's checks, with a note per check it cannot express.
pub fn checks(input: &SuiteInput<'_>) -> Result<Suite> {
    let mut notes = Vec::new();
    if !plain(input, &input.spec.name) {
        notes.push(format!(
            "soda: table `{}` is not a plain lower-case name SodaCL can address (`checks for <name>`): no Soda checks generated",
            input.spec.name
        ));
        return Ok(Suite { text: None, notes });
    }
    let mut list = Vec::new();
    // Soda shares missing/valid configuration per column: one native validity check each.
    let mut validity_columns: Vec<String> = Vec::new();
    for (i, check) in input.checks.iter().enumerate() {
        match entry(input, check, i, &mut validity_columns)? {
            Ok(e) => list.push(e),
            Err(why) => notes.push(format!("soda: {}: {why}", check.id)),
        }
    }
    let mut doc = Map::new();
    doc.insert(
        format!("checks for {}", input.spec.name),
        Value::Array(list),
    );
    Ok(Suite {
        text: Some(crate::codegen::yaml::to_string(&Value::Object(doc))?),
        notes,
    })
}

/// Whether `name` reads the same in SodaCL and in SQL unquoted: plain lower-case ASCII and
/// no word the dialect must quote.
fn plain(input: &SuiteInput<'_>, name: &str) -> bool {
    crate::dialect::ident::is_plain(name)
        && input.dialect.quote_ident(name).is_ok_and(|q| q == name)
}

/// A literal Soda writes into SQL unescaped (`'…'`, backslashes doubled) and leaves
/// alone: no quote, backslash, `$` or `{` (Soda renders a statement holding `${` as Jinja).
fn safe_literal(text: &str) -> bool {
    !text.contains(['\'', '\\', '$', '{'])
}

/// A regular expression Soda writes into SQL as is (`col ~ '…'`) and leaves alone: no
/// quote, and nothing Jinja reads (`${`, `{%`, `{#`).
fn safe_regex(pattern: &str) -> bool {
    !pattern.contains('\'') && !["${", "{%", "{#"].iter().any(|t| pattern.contains(t))
}

/// The alert condition failing outside `threshold` (`when > 0`), `None` without bounds.
fn condition(threshold: &Threshold) -> Option<String> {
    match (threshold.min, threshold.max) {
        (Some(a), Some(b)) if a == b => Some(format!("when != {}", number(a))),
        (Some(a), Some(b)) => Some(format!("when not between {} and {}", number(a), number(b))),
        (Some(a), None) => Some(format!("when < {}", number(a))),
        (None, Some(b)) => Some(format!("when > {}", number(b))),
        (None, None) => None,
    }
}

/// One list entry of `checks for <table>`, or why the check has none.
fn entry(
    input: &SuiteInput<'_>,
    check: &QualityCheck,
    index: usize,
    validity_columns: &mut Vec<String>,
) -> Result<std::result::Result<Value, String>> {
    let (kind, sql) = match kind_and_sql(input, check)? {
        Ok(found) => found,
        Err(why) => return Ok(Err(why)),
    };
    let level = input
        .book
        .severity(&check.severity)
        .map_or("fail", |s| s.soda.as_str());
    let Some(when) = condition(&check.threshold) else {
        return Ok(Err(
            "no threshold: the check only reports its number".to_string()
        ));
    };
    let mut config = Map::new();
    config.insert("name".into(), json!(jinja_text(&check.id)));
    let names_plain = check.columns.iter().all(|c| plain(input, c));
    let column = check.columns.first().cloned().unwrap_or_default();
    let native: Option<String> = match kind.soda.as_deref() {
        _ if !names_plain || !super::native_allowed(input.dialect, &kind.name) => None,
        Some("missing_count") => Some(format!("missing_count({column})")),
        Some("duplicate_count") => Some(format!("duplicate_count({})", check.columns.join(", "))),
        Some("invalid_count") if !validity_columns.contains(&column) => {
            let p = &check.params;
            let config_ok = match (&p.values, &p.pattern) {
                (Some(values), _) => values.iter().all(|v| safe_literal(v)).then(|| {
                    config.insert("valid values".into(), json!(values));
                }),
                (None, Some(pattern)) => safe_regex(pattern).then(|| {
                    config.insert("valid regex".into(), json!(pattern));
                }),
                (None, None) if p.min.is_some() || p.max.is_some() => {
                    if let Some(min) = p.min {
                        config.insert("valid min".into(), json!(min));
                    }
                    if let Some(max) = p.max {
                        config.insert("valid max".into(), json!(max));
                    }
                    Some(())
                }
                (None, None) => None,
            };
            config_ok.map(|()| {
                validity_columns.push(column.clone());
                format!("invalid_count({column})")
            })
        }
        Some("row_count") if check.params.partition_column.is_none() => Some("row_count".into()),
        Some("reference") => {
            let refs = check.params.ref_columns.clone().unwrap_or_default();
            let to = check.params.ref_table.clone().unwrap_or_default();
            (check.columns.len() == 1
                && refs.len() == 1
                && plain(input, &refs[0])
                && plain(input, &to)
                && check.params.ref_schema == check.schema
                && level == "fail")
                .then(|| format!("values in ({column}) must exist in {to} ({})", refs[0]))
        }
        _ => None,
    };
    let key = match native {
        // Reference checks fail on any orphan and take no alert condition.
        Some(key) if kind.soda.as_deref() == Some("reference") => key,
        Some(key) => {
            config.insert(level.into(), json!(when));
            key
        }
        None => {
            let metric = format!(
                "dana_{}_{index}",
                crate::dialect::ident::ascii_word(&kind.name)
            );
            let query = observed_query(&sql.standalone);
            crate::dialect::parse::check(input.dialect, &query)?;
            config.insert(format!("{metric} query"), json!(jinja_query(&query)));
            config.insert(level.into(), json!(when));
            metric
        }
    };
    let mut entry = Map::new();
    entry.insert(key, Value::Object(config));
    Ok(Ok(Value::Object(entry)))
}

/// `text` as Soda reads it back exactly: Soda renders text holding `$` as a Jinja template
/// with `${…}` for expressions (and `{%`, `{#` for blocks and comments), so in such text
/// every `$` and `{` is written as an expression yielding itself, and a final line break
/// (which Jinja drops) as one yielding it.
pub fn jinja_text(text: &str) -> String {
    if !text.contains('$') {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '$' => out.push_str("${'$'}"),
            '{' => out.push_str("${'{'}"),
            c => out.push(c),
        }
    }
    if out.ends_with('\n') {
        out.pop();
        out.push_str("${'\\n'}");
    }
    out
}

/// A user-defined metric's query as Soda runs it: Soda renders it when the check is built
/// and again when the query is, so text that still holds `${` after the first rendering is
/// escaped twice.
pub fn jinja_query(sql: &str) -> String {
    if sql.contains("${") {
        jinja_text(&jinja_text(sql))
    } else {
        jinja_text(sql)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jinja_text_escapes_only_templated_text() {
        assert_eq!(jinja_text("SELECT 1"), "SELECT 1");
        assert_eq!(jinja_text("{% x %}"), "{% x %}");
        assert_eq!(jinja_text("a$b{%c"), "a${'$'}b${'{'}%c");
    }
}
