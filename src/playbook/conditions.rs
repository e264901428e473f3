//! Conditions over named facts, shared by the decision playbooks (architecture,
//! pipeline): a value means equality, `{in: [..]}` membership, `{min, max, above, below}`
//! a numeric range. All conditions of a map must hold; a fact that is unknown (absent or
//! null) never satisfies a condition, so missing answers never trigger a pick.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::Issues;

/// Facts derived from a tool's input, by name.
pub type Facts = BTreeMap<String, Value>;

/// Fact name → condition; all must hold (an empty map always holds).
pub type When = BTreeMap<String, Cond>;

/// A condition on one fact.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum Cond {
    /// Numeric range; every bound given must hold.
    Range(Range),
    /// Membership in a list of values.
    OneOf(OneOf),
    /// Equality with a value.
    Equals(Value),
}

/// `{min, max, above, below}`: inclusive `min`/`max`, exclusive `above`/`below`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields)]
pub struct Range {
    /// At least this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    /// At most this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// Strictly more than this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub above: Option<f64>,
    /// Strictly less than this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub below: Option<f64>,
}

/// `{in: [..]}`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct OneOf {
    /// Accepted values.
    #[serde(rename = "in")]
    pub values: Vec<Value>,
}

impl Cond {
    /// Whether `value` satisfies the condition (`None`/null never does).
    pub fn holds(&self, value: Option<&Value>) -> bool {
        let Some(value) = value.filter(|v| !v.is_null()) else {
            return false;
        };
        match self {
            Cond::Equals(expected) => value == expected,
            Cond::OneOf(one_of) => one_of.values.contains(value),
            Cond::Range(r) => {
                let Some(x) = value.as_f64() else {
                    return false;
                };
                r.min.is_none_or(|m| x >= m)
                    && r.max.is_none_or(|m| x <= m)
                    && r.above.is_none_or(|m| x > m)
                    && r.below.is_none_or(|m| x < m)
            }
        }
    }

    /// Short text, e.g. `>= 3`, `in [aws, gcp]`, `= database`.
    pub fn describe(&self) -> String {
        match self {
            Cond::Equals(v) => format!("= {}", plain(v)),
            Cond::OneOf(o) => format!(
                "in [{}]",
                o.values.iter().map(plain).collect::<Vec<_>>().join(", ")
            ),
            Cond::Range(r) => {
                let mut parts = Vec::new();
                if let Some(m) = r.min {
                    parts.push(format!(">= {}", num(m)));
                }
                if let Some(m) = r.above {
                    parts.push(format!("> {}", num(m)));
                }
                if let Some(m) = r.max {
                    parts.push(format!("<= {}", num(m)));
                }
                if let Some(m) = r.below {
                    parts.push(format!("< {}", num(m)));
                }
                parts.join(" and ")
            }
        }
    }
}

/// Whether every condition of `when` holds on `facts`.
pub fn holds(when: &When, facts: &Facts) -> bool {
    when.iter().all(|(fact, cond)| cond.holds(facts.get(fact)))
}

/// Three-valued evaluation: `Some(false)` when a known fact fails its condition,
/// `None` when nothing known fails but some named fact is unknown, `Some(true)` when all hold.
pub fn eval(when: &When, facts: &Facts) -> Option<bool> {
    let mut unknown = false;
    for (fact, cond) in when {
        match facts.get(fact).filter(|v| !v.is_null()) {
            None => unknown = true,
            Some(v) => {
                if !cond.holds(Some(v)) {
                    return Some(false);
                }
            }
        }
    }
    if unknown { None } else { Some(true) }
}

/// The facts `when` names that are unknown, in name order.
pub fn unknown_facts<'a>(when: &'a When, facts: &Facts) -> Vec<&'a str> {
    when.keys()
        .filter(|k| facts.get(*k).is_none_or(Value::is_null))
        .map(String::as_str)
        .collect()
}

/// A question about one fact whose answer changes a decision: asked only when the fact is
/// unknown and the decisions under its answers differ.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FactQuestion {
    /// Stable id.
    pub id: String,
    /// The fact it settles.
    pub fact: String,
    /// The input field that answers it.
    pub field: String,
    /// The question.
    pub ask: String,
    /// The possible answers, each with the fact value it stands for.
    pub answers: Vec<AnswerValue>,
}

/// One answer of a [`FactQuestion`].
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnswerValue {
    /// The answer as the user gives it.
    pub answer: String,
    /// The fact value it means.
    pub value: Value,
}

/// Validates fact questions: known fact, at least two answers.
pub fn check_questions(issues: &mut Issues, questions: &[FactQuestion], known: &[&str]) {
    issues.unique_ids("decision question", questions.iter().map(|q| q.id.as_str()));
    for q in questions {
        if !known.contains(&q.fact.as_str()) {
            issues.push(
                q.id.clone(),
                format!(
                    "`{}`: unknown fact `{}`; known: {}",
                    q.id,
                    q.fact,
                    known.join(", ")
                ),
            );
        }
        if q.answers.len() < 2 {
            issues.push(
                q.id.clone(),
                format!("`{}`: needs at least two answers", q.id),
            );
        }
    }
}

/// `fact = value, fact >= n` with the actual values: the evidence for a decision.
pub fn explain(when: &When, facts: &Facts) -> String {
    if when.is_empty() {
        return "default (no condition)".to_string();
    }
    when.iter()
        .map(|(fact, cond)| {
            let actual = facts
                .get(fact)
                .map(plain)
                .unwrap_or_else(|| "unknown".into());
            match cond {
                Cond::Equals(_) | Cond::OneOf(_) => format!("{fact} {}", cond.describe()),
                Cond::Range(_) => format!("{fact} {} ({actual})", cond.describe()),
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Records an issue for every fact `when` names that is not in `known`, and for empty ranges.
pub fn check(issues: &mut Issues, anchor: &str, when: &When, known: &[&str]) {
    for (fact, cond) in when {
        if !known.contains(&fact.as_str()) {
            issues.push(
                anchor.to_string(),
                format!(
                    "`{anchor}`: unknown fact `{fact}`; known: {}",
                    known.join(", ")
                ),
            );
        }
        if let Cond::Range(r) = cond
            && r == &Range::default()
        {
            issues.push(
                anchor.to_string(),
                format!("`{anchor}`: empty range for `{fact}`"),
            );
        }
    }
}

fn plain(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn num(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{x}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn when(yaml: &str) -> When {
        serde_norway::from_str(yaml).expect("valid when")
    }

    #[test]
    fn conditions_cover_each_form() {
        let facts: Facts = [
            ("kind".to_string(), json!("database")),
            ("rows".to_string(), json!(10)),
            ("cdc".to_string(), json!(true)),
        ]
        .into();
        assert!(holds(&when("{ kind: database }"), &facts));
        assert!(!holds(&when("{ kind: api }"), &facts));
        assert!(holds(&when("{ kind: { in: [api, database] } }"), &facts));
        assert!(holds(&when("{ rows: { min: 10, below: 11 } }"), &facts));
        assert!(!holds(&when("{ rows: { above: 10 } }"), &facts));
        assert!(holds(&when("{ rows: { max: 10 }, cdc: true }"), &facts));
        assert!(
            !holds(&when("{ missing: false }"), &facts),
            "unknown facts never hold"
        );
        assert!(holds(&When::new(), &facts));
        assert_eq!(eval(&when("{ kind: database, x: 1 }"), &facts), None);
        assert_eq!(eval(&when("{ kind: api, x: 1 }"), &facts), Some(false));
        assert_eq!(eval(&when("{ kind: database }"), &facts), Some(true));
        assert_eq!(
            unknown_facts(&when("{ kind: database, x: 1 }"), &facts),
            ["x"]
        );
    }
}
