//! The three renderings of generated checks: a SQL script, a dbt `schema.yml` (with
//! dana's generic tests for kinds dbt lacks) and the `quality` section of an ODCS v3
//! contract.

use serde_json::{Map, Value, json};

use super::checks::{self, QualityCheck};
use super::spec::TableSpec;
use crate::App;
use crate::dialect::SqlDialect;
use crate::error::{Error, Result};
use crate::playbook::QualityBook;

/// Every check's statement, each preceded by a comment with its id and threshold.
pub fn sql_script(checks: &[QualityCheck]) -> String {
    let mut out = String::new();
    for check in checks {
        out.push_str(&format!(
            "-- {} [{} {}] {}: observed {}\n",
            check.id,
            check.severity,
            check.dimension,
            check.description,
            check.threshold.describe()
        ));
        match (&check.sql, &check.unsupported) {
            (Some(sql), _) => {
                out.push_str(sql);
                out.push_str(";\n\n");
            }
            (None, Some(why)) => out.push_str(&format!("-- not generated: {why}\n\n")),
            (None, None) => out.push('\n'),
        }
    }
    out
}

fn yaml(value: &Value) -> Result<String> {
    serde_norway::to_string(value).map_err(|e| Error::invalid(format!("cannot write YAML: {e}")))
}

/// dbt `schema.yml` for the table's model.
pub fn dbt_schema(
    app: &App,
    book: &QualityBook,
    dialect: &dyn SqlDialect,
    spec: &TableSpec,
    checks: &[QualityCheck],
    origin: &str,
) -> Result<String> {
    let mut column_tests: Vec<(String, Vec<Value>)> = spec
        .columns
        .iter()
        .map(|c| (c.name.clone(), Vec::new()))
        .collect();
    let mut model_tests: Vec<Value> = Vec::new();
    let mut skipped: Vec<String> = Vec::new();
    let mut add_column_test =
        |column: &str, test: Value| match column_tests.iter_mut().find(|(c, _)| c == column) {
            Some((_, tests)) => tests.push(test),
            None => column_tests.push((column.to_string(), vec![test])),
        };
    for check in checks {
        let Some(kind) = book.kind(&check.kind) else {
            continue;
        };
        let Some(test) = kind.dbt.as_deref() else {
            skipped.push(format!("{} (dbt has no cross-table test for it)", check.id));
            continue;
        };
        let sql = match checks::render(&app.templates, book, dialect, check, 10)? {
            Ok(sql) => sql,
            Err(why) => {
                skipped.push(format!("{}: {why}", check.id));
                continue;
            }
        };
        let column = check.columns.first().cloned().unwrap_or_default();
        match test {
            "not_null" | "unique" => add_column_test(&column, json!(test)),
            "accepted_values" => add_column_test(
                &column,
                json!({"accepted_values": {"values": check.params.values.clone().unwrap_or_default()}}),
            ),
            "relationships" => {
                let refs = check.params.ref_columns.clone().unwrap_or_default();
                if check.columns.len() != 1 || refs.len() != 1 {
                    skipped.push(format!("{} (compound foreign key)", check.id));
                    continue;
                }
                let to = check.params.ref_table.clone().unwrap_or_default();
                add_column_test(
                    &column,
                    json!({"relationships": {"to": format!("ref('{to}')"), "field": refs[0]}}),
                );
            }
            "dana_expect" => {
                let predicate = sql.predicate.unwrap_or_default();
                add_column_test(
                    &column,
                    json!({"dana_expect": {"condition": format!("NOT ({predicate})")}}),
                );
            }
            "dana_max_share" => add_column_test(
                &column,
                json!({"dana_max_share": {"max_pct": check.threshold.max.unwrap_or(100.0)}}),
            ),
            "dana_unique_combination" => {
                let cols: Vec<String> = check
                    .columns
                    .iter()
                    .map(|c| dialect.quote_ident(c))
                    .collect::<Result<_>>()?;
                model_tests.push(json!({"dana_unique_combination": {"combination": cols}}));
            }
            "dana_metric" => {
                let mut args = Map::new();
                args.insert(
                    "expression".into(),
                    json!(sql.expression.unwrap_or_default()),
                );
                if let Some(min) = check.threshold.min {
                    args.insert("min_value".into(), json!(min));
                }
                if let Some(max) = check.threshold.max {
                    args.insert("max_value".into(), json!(max));
                }
                model_tests.push(json!({ "dana_metric": args }));
            }
            other => skipped.push(format!(
                "{} (unknown dbt test `{other}` in the playbook)",
                check.id
            )),
        }
    }
    let columns: Vec<Value> = column_tests
        .into_iter()
        .map(|(name, tests)| {
            let mut c = Map::new();
            c.insert("name".into(), json!(name));
            if let Some(t) = spec.column(&name).and_then(|col| col.data_type.as_ref()) {
                c.insert("data_type".into(), json!(t));
            }
            if !tests.is_empty() {
                c.insert("data_tests".into(), Value::Array(tests));
            }
            Value::Object(c)
        })
        .collect();
    let mut model = Map::new();
    model.insert("name".into(), json!(spec.name));
    if !model_tests.is_empty() {
        model.insert("data_tests".into(), Value::Array(model_tests));
    }
    model.insert("columns".into(), Value::Array(columns));
    let body = yaml(&json!({"version": 2, "models": [Value::Object(model)]}))?;
    app.templates.render(
        "checks/dbt_schema.j2",
        json!({"table": spec.name, "origin": origin, "skipped": skipped, "body": body}),
    )
}

/// ODCS v3 `quality` rules (type `sql`), with dimension, severity and the pass bounds.
pub fn odcs_quality(
    app: &App,
    book: &QualityBook,
    dialect: &dyn SqlDialect,
    spec: &TableSpec,
    checks: &[QualityCheck],
) -> Result<String> {
    let mut rules = Vec::new();
    for check in checks {
        let Some(sql) = &check.sql else { continue };
        let mut rule = Map::new();
        rule.insert("name".into(), json!(check.id));
        rule.insert("description".into(), json!(check.description));
        let dimension = book
            .dimension(&check.dimension)
            .map(|d| d.odcs.clone())
            .unwrap_or_default();
        rule.insert("dimension".into(), json!(dimension));
        rule.insert("type".into(), json!("sql"));
        rule.insert("query".into(), json!(sql));
        match (check.threshold.min, check.threshold.max) {
            (Some(a), Some(b)) if a == b => {
                rule.insert("mustBe".into(), json!(a));
            }
            (Some(a), Some(b)) => {
                rule.insert("mustBeBetween".into(), json!([a, b]));
            }
            (Some(a), None) => {
                rule.insert("mustBeGreaterOrEqualTo".into(), json!(a));
            }
            (None, Some(b)) => {
                rule.insert("mustBeLessOrEqualTo".into(), json!(b));
            }
            (None, None) => {}
        }
        rule.insert("severity".into(), json!(check.severity));
        if !check.columns.is_empty() {
            rule.insert(
                "customProperties".into(),
                json!([
                    {"property": "danaKind", "value": check.kind},
                    {"property": "columns", "value": check.columns.join(",")},
                ]),
            );
        } else {
            rule.insert(
                "customProperties".into(),
                json!([{"property": "danaKind", "value": check.kind}]),
            );
        }
        rules.push(Value::Object(rule));
    }
    let body = yaml(&json!({"quality": rules}))?;
    app.templates.render(
        "checks/odcs_quality.j2",
        json!({"table": spec.name, "dialect": dialect.name(), "body": body}),
    )
}
