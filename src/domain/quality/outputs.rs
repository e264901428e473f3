//! The three renderings of generated checks: a SQL script, a dbt `schema.yml` (with
//! dana's generic tests for kinds dbt lacks) and the `quality` section of an ODCS v3
//! contract.

use serde_json::{Map, Value, json};

use super::checks::{self, QualityCheck};
use super::spec::TableSpec;
use crate::App;
use crate::codegen::jinja;
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

/// Where the checked table lives for dbt: a model dbt builds (`models:`, referenced with
/// `ref()`), or a table dbt only reads (`sources:`, referenced with `source()`).
#[derive(Debug, Clone)]
pub enum DbtTarget {
    /// A dbt model.
    Model,
    /// A dbt source: its name and the database schema it stands for.
    Source {
        /// Source name.
        name: String,
        /// Database schema (dbt defaults it to the source name).
        schema: Option<String>,
    },
}

/// dbt `schema.yml` for the table, as a model or a source; generic-test arguments are
/// nested under `arguments:` (dbt >= 1.10).
pub fn dbt_schema(
    app: &App,
    book: &QualityBook,
    dialect: &dyn SqlDialect,
    spec: &TableSpec,
    checks: &[QualityCheck],
    origin: &str,
    target: &DbtTarget,
) -> Result<String> {
    let DbtTableTests {
        entry: model,
        referenced,
        skipped,
    } = dbt_table_tests(app, book, dialect, spec, checks, target, false)?;
    let body = match target {
        DbtTarget::Model => yaml(&jinja::texts(
            json!({"version": 2, "models": [Value::Object(model)]}),
        ))?,
        DbtTarget::Source { name, schema } => {
            // Tables the relationships point at are declared too, so `source()` resolves.
            let mut tables = vec![Value::Object(model)];
            tables.extend(referenced.iter().map(|t| json!({"name": t})));
            let mut source = Map::new();
            source.insert("name".into(), json!(name));
            if let Some(schema) = schema {
                source.insert("schema".into(), json!(schema));
            }
            source.insert("tables".into(), Value::Array(tables));
            yaml(&jinja::texts(
                json!({"version": 2, "sources": [Value::Object(source)]}),
            ))?
        }
    };
    app.templates.render(
        "checks/dbt_schema.j2",
        json!({"table": spec.name, "origin": origin, "skipped": skipped, "body": body}),
    )
}

/// One table's dbt entry (a `models:` or `sources:` `tables:` item) with its checks as
/// tests, the other tables its `relationships` tests point at, and the checks left out.
/// Its strings are not yet Jinja-safe: pass the finished document through
/// [`jinja::texts`].
pub struct DbtTableTests {
    /// `name`, `data_tests` and `columns` of the table.
    pub entry: Map<String, Value>,
    /// Source tables the `relationships` tests point at (sources only).
    pub referenced: Vec<String>,
    /// Checks dbt cannot run, each with why.
    pub skipped: Vec<String>,
}

/// The tests of one table. With `named`, every test carries `name:` (the check id as a
/// plain word), so a dbt test result maps back to the dana check that made it.
pub fn dbt_table_tests(
    app: &App,
    book: &QualityBook,
    dialect: &dyn SqlDialect,
    spec: &TableSpec,
    checks: &[QualityCheck],
    target: &DbtTarget,
    named: bool,
) -> Result<DbtTableTests> {
    let args = |a: Value, id: &str| {
        let mut config = Map::new();
        if named {
            config.insert("name".into(), json!(crate::dialect::ident::ascii_word(id)));
        }
        config.insert("arguments".into(), a);
        Value::Object(config)
    };
    let bare = |test: &str, id: &str| {
        if named {
            json!({ test: {"name": crate::dialect::ident::ascii_word(id)} })
        } else {
            json!(test)
        }
    };
    let mut referenced: Vec<String> = Vec::new();
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
            // Written as a singular test of its own (see `dbt_singular_tests`).
            "singular" => {}
            "not_null" | "unique" => add_column_test(&column, bare(test, &check.id)),
            "accepted_values" => add_column_test(
                &column,
                json!({"accepted_values": args(json!({"values": check.params.values.clone().unwrap_or_default()}), &check.id)}),
            ),
            "relationships" => {
                let refs = check.params.ref_columns.clone().unwrap_or_default();
                if check.columns.len() != 1 || refs.len() != 1 {
                    skipped.push(format!("{} (compound foreign key)", check.id));
                    continue;
                }
                let to = check.params.ref_table.clone().unwrap_or_default();
                let to_expr = match target {
                    DbtTarget::Model => format!("ref({})", jinja::string_literal(&to)),
                    DbtTarget::Source { name, .. } => {
                        if to != spec.name && !referenced.contains(&to) {
                            referenced.push(to.clone());
                        }
                        format!(
                            "source({}, {})",
                            jinja::string_literal(name),
                            jinja::string_literal(&to)
                        )
                    }
                };
                add_column_test(
                    &column,
                    json!({"relationships": args(json!({"to": to_expr, "field": refs[0]}), &check.id)}),
                );
            }
            "dana_expect" => {
                let predicate = sql.predicate.unwrap_or_default();
                add_column_test(
                    &column,
                    json!({"dana_expect": args(json!({"condition": format!("NOT ({predicate})")}), &check.id)}),
                );
            }
            "dana_max_share" => add_column_test(
                &column,
                json!({"dana_max_share": args(json!({"max_pct": check.threshold.max.unwrap_or(100.0)}), &check.id)}),
            ),
            "dana_unique_combination" => {
                let cols: Vec<String> = check
                    .columns
                    .iter()
                    .map(|c| dialect.quote_ident(c))
                    .collect::<Result<_>>()?;
                model_tests
                    .push(json!({"dana_unique_combination": args(json!({"combination": cols}), &check.id)}));
            }
            "dana_metric" => {
                let mut metric = Map::new();
                metric.insert(
                    "expression".into(),
                    json!(sql.expression.unwrap_or_default()),
                );
                if let Some(min) = check.threshold.min {
                    metric.insert("min_value".into(), json!(min));
                }
                if let Some(max) = check.threshold.max {
                    metric.insert("max_value".into(), json!(max));
                }
                model_tests.push(json!({ "dana_metric": args(Value::Object(metric), &check.id) }));
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
    Ok(DbtTableTests {
        entry: model,
        referenced,
        skipped,
    })
}

/// dbt singular tests (file path under the dbt project -> SQL returning the failing
/// row) for the custom checks: the user's SELECT, failing when `observed` is out of range.
pub fn dbt_singular_tests(
    app: &App,
    book: &QualityBook,
    dialect: &dyn SqlDialect,
    checks: &[QualityCheck],
) -> Result<std::collections::BTreeMap<String, String>> {
    let mut out = std::collections::BTreeMap::new();
    for check in checks {
        if book.kind(&check.kind).and_then(|k| k.dbt.as_deref()) != Some("singular") {
            continue;
        }
        let sql = checks::custom_sql(dialect, check)?;
        let number = |v: f64| {
            if v.fract() == 0.0 && v.abs() < 1e15 {
                format!("{}", v as i64)
            } else {
                format!("{v}")
            }
        };
        let body = app.templates.render(
            "checks/custom_sql.sql.j2",
            json!({"part": "singular", "sql": sql, "min": check.threshold.min.map(number), "max": check.threshold.max.map(number)}),
        )?;
        let file = crate::dialect::ident::ascii_word(&check.id);
        out.insert(
            format!("tests/{file}.sql"),
            format!(
                "-- {}: {} (observed {}). Generated by dana.\n{}\n",
                check.id,
                check.description,
                check.threshold.describe(),
                body.trim()
            ),
        );
    }
    Ok(out)
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
