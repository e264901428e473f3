//! Gate criteria, evaluated generically against a project's artifacts. Each criterion
//! of `phases.yaml` names a [`Check`]; this module reads artifact content by dot paths
//! and says, per criterion, whether it holds and what is missing. No tool-specific code.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::playbook::{Check, Gate, PhasesBook};

/// The artifacts of a project: kind → contents of every version, oldest first.
#[derive(Debug, Clone, Default)]
pub struct ArtifactSet {
    by_kind: BTreeMap<String, Vec<(i64, Value)>>,
}

impl ArtifactSet {
    /// Adds one version of a kind (call in version order).
    pub fn push(&mut self, kind: &str, version: i64, content: Value) {
        self.by_kind
            .entry(kind.to_string())
            .or_default()
            .push((version, content));
    }

    /// The latest version of a kind: (version, content).
    pub fn latest(&self, kind: &str) -> Option<(i64, &Value)> {
        self.by_kind
            .get(kind)
            .and_then(|v| v.last())
            .map(|(n, c)| (*n, c))
    }

    /// Every version of a kind.
    pub fn all(&self, kind: &str) -> impl Iterator<Item = &Value> {
        self.by_kind.get(kind).into_iter().flatten().map(|(_, c)| c)
    }
}

/// The result of one criterion.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct CriterionResult {
    /// Stable criterion id (`GATE-MODEL-02`).
    pub id: String,
    /// What must hold.
    pub description: String,
    /// Whether it holds now.
    pub passed: bool,
    /// What was found, or what is missing.
    pub detail: String,
    /// Tools that produce the artifacts this criterion reads.
    pub tools: Vec<String>,
}

/// Evaluates every criterion of a gate.
pub fn evaluate(book: &PhasesBook, gate: &Gate, artifacts: &ArtifactSet) -> Vec<CriterionResult> {
    gate.criteria
        .iter()
        .map(|c| {
            let (passed, detail) = check(book, &c.check, artifacts);
            let tools = c
                .check
                .artifacts()
                .into_iter()
                .filter_map(|kind| producer(book, kind))
                .map(str::to_string)
                .collect();
            CriterionResult {
                id: c.id.clone(),
                description: c.description.clone(),
                passed,
                detail,
                tools,
            }
        })
        .collect()
}

/// The tool that records an artifact kind.
pub fn producer<'a>(book: &'a PhasesBook, kind: &str) -> Option<&'a str> {
    book.phases
        .iter()
        .flat_map(|p| p.artifacts.iter())
        .find(|a| a.kind == kind)
        .map(|a| a.tool.as_str())
}

fn missing(book: &PhasesBook, kind: &str) -> String {
    match producer(book, kind) {
        Some(tool) => {
            format!("no `{kind}` artifact yet; call `{tool}` with `project` to record one")
        }
        None => format!("no `{kind}` artifact yet"),
    }
}

fn check(book: &PhasesBook, check: &Check, artifacts: &ArtifactSet) -> (bool, String) {
    match check {
        Check::ArtifactExists { artifact } => match artifacts.latest(artifact) {
            Some((version, _)) => (true, format!("`{artifact}` v{version} recorded")),
            None => (false, missing(book, artifact)),
        },
        Check::FieldEmpty { artifact, path } => {
            let Some((version, content)) = artifacts.latest(artifact) else {
                return (false, missing(book, artifact));
            };
            let found: Vec<&Value> = flatten(values_at(content, path))
                .into_iter()
                .filter(|v| !is_empty(v))
                .collect();
            if found.is_empty() {
                (true, format!("`{artifact}` v{version}: `{path}` is empty"))
            } else {
                (
                    false,
                    format!(
                        "`{artifact}` v{version}: `{path}` has {} entr{}: {}",
                        found.len(),
                        if found.len() == 1 { "y" } else { "ies" },
                        preview(&found)
                    ),
                )
            }
        }
        Check::NoneMatch {
            artifact,
            path,
            filter,
        } => {
            let Some((version, content)) = artifacts.latest(artifact) else {
                return (false, missing(book, artifact));
            };
            let matching: Vec<&Value> = flatten(values_at(content, path))
                .into_iter()
                .filter(|item| matches(item, filter))
                .collect();
            if matching.is_empty() {
                (
                    true,
                    format!(
                        "`{artifact}` v{version}: no entry of `{path}` matches {}",
                        show_filter(filter)
                    ),
                )
            } else {
                (
                    false,
                    format!(
                        "`{artifact}` v{version}: {} entr{} of `{path}` match {}: {}",
                        matching.len(),
                        if matching.len() == 1 { "y" } else { "ies" },
                        show_filter(filter),
                        preview(&matching)
                    ),
                )
            }
        }
        Check::Covers { artifact, path, of } => {
            let Some((version, target)) = artifacts.latest(&of.artifact) else {
                return (false, missing(book, &of.artifact));
            };
            let required: Vec<String> = scalars(flatten(values_at(target, &of.path)));
            if required.is_empty() {
                return (
                    true,
                    format!(
                        "`{}` v{version} has nothing at `{}` to cover",
                        of.artifact, of.path
                    ),
                );
            }
            let covering: Vec<String> = artifacts
                .all(artifact)
                .flat_map(|c| scalars(flatten(values_at(c, path))))
                .collect();
            let uncovered: Vec<&String> = required
                .iter()
                .filter(|r| !covering.iter().any(|c| c.eq_ignore_ascii_case(r)))
                .collect();
            if uncovered.is_empty() {
                (
                    true,
                    format!(
                        "all {} of `{}.{}` covered by `{artifact}`",
                        required.len(),
                        of.artifact,
                        of.path
                    ),
                )
            } else {
                let list: Vec<String> = uncovered.iter().map(|u| format!("`{u}`")).collect();
                let how = match producer(book, artifact) {
                    Some(tool) => format!("; call `{tool}` with `project` for each"),
                    None => String::new(),
                };
                (
                    false,
                    format!("not covered by any `{artifact}`: {}{how}", list.join(", ")),
                )
            }
        }
    }
}

/// Values at a dot path; a list met along the way is walked element by element.
pub fn values_at<'v>(root: &'v Value, path: &str) -> Vec<&'v Value> {
    let mut current = vec![root];
    for segment in path.split('.').filter(|s| !s.is_empty()) {
        let mut next = Vec::new();
        for value in current {
            match value {
                Value::Array(items) => next.extend(items.iter().filter_map(|i| i.get(segment))),
                Value::Object(map) => next.extend(map.get(segment)),
                _ => {}
            }
        }
        current = next;
    }
    current
}

/// Lists expanded into their elements (recursively).
fn flatten(values: Vec<&Value>) -> Vec<&Value> {
    let mut out = Vec::new();
    for v in values {
        match v {
            Value::Array(items) => out.extend(flatten(items.iter().collect())),
            other => out.push(other),
        }
    }
    out
}

fn scalars(values: Vec<&Value>) -> Vec<String> {
    values
        .into_iter()
        .filter_map(|v| match v {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        })
        .collect()
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

fn matches(item: &Value, filter: &BTreeMap<String, Value>) -> bool {
    filter.iter().all(|(field, expected)| {
        let actual = values_at(item, field);
        let Some(actual) = actual.first() else {
            return false;
        };
        match expected {
            Value::Array(options) => options.iter().any(|o| same(actual, o)),
            single => same(actual, single),
        }
    })
}

fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::String(x), Value::String(y)) => x.eq_ignore_ascii_case(y),
        _ => a == b,
    }
}

fn show_filter(filter: &BTreeMap<String, Value>) -> String {
    let parts: Vec<String> = filter.iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!("`{}`", parts.join(", "))
}

/// A short preview of matching entries: their `name`/`id`/`message` when they have one.
fn preview(values: &[&Value]) -> String {
    let shown: Vec<String> = values
        .iter()
        .take(5)
        .map(|v| {
            let label = ["id", "name", "table", "check", "message", "rule"]
                .iter()
                .find_map(|k| v.get(*k).and_then(Value::as_str));
            match (label, v) {
                (Some(l), _) => format!("`{l}`"),
                (None, Value::String(s)) => format!("`{s}`"),
                (None, other) => {
                    let text = other.to_string();
                    let short: String = text.chars().take(80).collect();
                    format!("`{short}`")
                }
            }
        })
        .collect();
    let more = if values.len() > 5 {
        format!(" and {} more", values.len() - 5)
    } else {
        String::new()
    };
    format!("{}{more}", shown.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn book() -> PhasesBook {
        crate::playbook::Playbooks::embedded()
            .expect("embedded playbooks")
            .phases
    }

    fn gate<'a>(book: &'a PhasesBook, phase: &str) -> &'a Gate {
        &book.phase(phase).expect("phase").gate
    }

    #[test]
    fn missing_artifacts_fail_naming_the_tool() {
        let book = book();
        let results = evaluate(&book, gate(&book, "discover"), &ArtifactSet::default());
        assert!(results.iter().all(|r| !r.passed));
        assert!(
            results[0].detail.contains("assess_architecture"),
            "{}",
            results[0].detail
        );
        assert_eq!(results[1].tools, vec!["profile_datasource".to_string()]);
    }

    #[test]
    fn field_empty_reads_the_latest_version() {
        let book = book();
        let mut set = ArtifactSet::default();
        set.push(
            "architecture_assessment",
            1,
            json!({"questions": ["what latency?"]}),
        );
        set.push("source_profile", 1, json!({}));
        let r = evaluate(&book, gate(&book, "discover"), &set);
        assert!(r[0].passed && r[1].passed);
        assert!(
            !r[2].passed && r[2].detail.contains("what latency?"),
            "{}",
            r[2].detail
        );
        set.push("architecture_assessment", 2, json!({"questions": []}));
        let r = evaluate(&book, gate(&book, "discover"), &set);
        assert!(r.iter().all(|c| c.passed), "{r:?}");
    }

    #[test]
    fn none_match_and_covers() {
        let book = book();
        let mut set = ArtifactSet::default();
        set.push(
            "pipeline_spec",
            1,
            json!({"findings": [{"severity": "warning", "message": "x"}]}),
        );
        set.push(
            "dimensional_model",
            1,
            json!({"facts": [{"name": "fct_sales"}, {"name": "fct_returns"}]}),
        );
        set.push("quality_checks", 1, json!({"table": "fct_sales"}));
        set.push(
            "quality_run",
            1,
            json!({"results": [
                {"check": "not_null_id", "passed": false, "severity": "P2"},
                {"check": "unique_id", "passed": true, "severity": "P0"}
            ]}),
        );
        let r = evaluate(&book, gate(&book, "build"), &set);
        assert!(r[0].passed && r[1].passed, "{r:?}");
        assert!(
            !r[2].passed
                && r[2].detail.contains("fct_returns")
                && !r[2].detail.contains("`fct_sales`"),
            "{}",
            r[2].detail
        );
        assert!(r[3].passed, "{}", r[3].detail);
        set.push("quality_checks", 2, json!({"table": "FCT_RETURNS"}));
        set.push(
            "quality_run",
            2,
            json!({"results": [{"check": "fk_customer", "passed": false, "severity": "P1"}]}),
        );
        let r = evaluate(&book, gate(&book, "build"), &set);
        assert!(r[2].passed, "{}", r[2].detail);
        assert!(
            !r[3].passed && r[3].detail.contains("fk_customer"),
            "{}",
            r[3].detail
        );
    }

    #[test]
    fn paths_walk_lists() {
        let v = json!({"facts": [{"name": "a"}, {"name": "b"}], "x": {"y": 1}});
        assert_eq!(values_at(&v, "facts.name"), vec![&json!("a"), &json!("b")]);
        assert_eq!(values_at(&v, "x.y"), vec![&json!(1)]);
        assert!(values_at(&v, "nope.y").is_empty());
    }
}
