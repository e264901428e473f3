//! The 0-100 infrastructure rubric: points per dimension, given directly or derived
//! from evidence by the playbook's criteria, the band, and the improvements that gain
//! the most points first.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{Error, Result};
use crate::playbook::{Condition, Criterion, Dimension, Fact, FactType, RubricBook};

/// Params of `score_infrastructure`.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScoreInfrastructureParams {
    /// One entry per rubric dimension (keys as in the description), each with `points` or `evidence`.
    pub dimensions: BTreeMap<String, DimensionInput>,
    /// Project id: store the score and report the change since the previous one.
    #[serde(default)]
    pub project: Option<String>,
}

/// Points or evidence for one dimension.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DimensionInput {
    /// Points awarded directly, 0 to the dimension's weight.
    #[serde(default)]
    pub points: Option<u32>,
    /// Facts from which dana derives the points (fact names: resource dana://playbooks/rubric).
    #[serde(default)]
    pub evidence: Option<serde_json::Map<String, Value>>,
}

/// The scored result.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ScoreReport {
    /// Total points, 0-100.
    pub total: u32,
    /// The band the total falls in.
    pub band: BandResult,
    /// Per-dimension points with the rationale.
    pub dimensions: Vec<DimensionScore>,
    /// Improvements ordered by points gained.
    pub improvements: Vec<Improvement>,
    /// Change since the project's previous score (with `project`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change: Option<ScoreChange>,
    /// The project the score was stored under.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
}

/// The band of a total.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct BandResult {
    /// Stable band id.
    pub id: String,
    /// Short label.
    pub label: String,
    /// Lowest total of the band.
    pub min: u32,
    /// Highest total of the band.
    pub max: u32,
    /// What to do in this band.
    pub guidance: String,
}

/// Points of one dimension.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct DimensionScore {
    /// Dimension id.
    pub id: String,
    /// Stable code.
    pub code: String,
    /// Title.
    pub title: String,
    /// Maximum points.
    pub weight: u32,
    /// Points awarded.
    pub points: u32,
    /// `points` (given directly) or `evidence` (derived).
    pub source: String,
    /// The criterion that matched (for given points: the highest level at or below them).
    pub criterion: String,
    /// Why these points.
    pub rationale: String,
}

/// One way to gain points.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Improvement {
    /// Dimension id.
    pub dimension: String,
    /// Current points.
    pub from: u32,
    /// Points after reaching the next level.
    pub to: u32,
    /// Points gained.
    pub gain: u32,
    /// The criterion to reach.
    pub criterion: String,
    /// What that level means.
    pub action: String,
    /// Conditions not met yet (empty when points were given directly and evidence is unknown).
    pub requires: Vec<String>,
    /// Whether the current band says to work on this dimension first.
    pub band_focus: bool,
}

/// Change since the previous score.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ScoreChange {
    /// Previous total.
    pub previous_total: u32,
    /// When it was scored.
    pub previous_at: String,
    /// Total now minus total then.
    pub delta: i64,
    /// Per-dimension deltas (only dimensions that changed).
    pub dimensions: Vec<DimensionDelta>,
}

/// A dimension whose points changed.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct DimensionDelta {
    /// Dimension id.
    pub id: String,
    /// Points then.
    pub previous: u32,
    /// Points now.
    pub current: u32,
    /// Now minus then.
    pub delta: i64,
}

/// Scores `params` against `rubric`. Pure: storing and comparing is the caller's job.
pub fn score(rubric: &RubricBook, params: &ScoreInfrastructureParams) -> Result<ScoreReport> {
    let valid: Vec<&str> = rubric.dimensions.iter().map(|d| d.id.as_str()).collect();
    if let Some(unknown) = params
        .dimensions
        .keys()
        .find(|k| rubric.dimension(k).is_none())
    {
        return Err(Error::invalid(format!(
            "dimensions: unknown dimension `{unknown}`; valid: {}",
            backticked(&valid)
        )));
    }
    let missing: Vec<&str> = valid
        .iter()
        .copied()
        .filter(|id| !params.dimensions.contains_key(*id))
        .collect();
    if !missing.is_empty() {
        return Err(Error::invalid(format!(
            "dimensions: missing {} (give `points` or `evidence` for each of the seven dimensions)",
            backticked(&missing)
        )));
    }
    let mut scores = Vec::new();
    let mut improvements = Vec::new();
    for dim in &rubric.dimensions {
        let input = &params.dimensions[&dim.id];
        let field = format!("dimensions.{}", dim.id);
        let (score, facts) = score_dimension(dim, input, &field)?;
        if let Some(improvement) = next_level(dim, &score, facts.as_ref()) {
            improvements.push(improvement);
        }
        scores.push(score);
    }
    let total: u32 = scores.iter().map(|s| s.points).sum();
    let band = rubric
        .band(total)
        .ok_or_else(|| Error::invalid(format!("rubric playbook has no band for total {total}")))?;
    for improvement in &mut improvements {
        improvement.band_focus = band.focus.contains(&improvement.dimension);
    }
    let weight_of = |id: &str| rubric.dimension(id).map(|d| d.weight).unwrap_or(0);
    improvements.sort_by(|a, b| {
        b.gain
            .cmp(&a.gain)
            .then(b.band_focus.cmp(&a.band_focus))
            .then(weight_of(&b.dimension).cmp(&weight_of(&a.dimension)))
            .then(a.dimension.cmp(&b.dimension))
    });
    Ok(ScoreReport {
        total,
        band: BandResult {
            id: band.id.clone(),
            label: band.label.clone(),
            min: band.min,
            max: band.max,
            guidance: band.guidance.clone(),
        },
        dimensions: scores,
        improvements,
        change: None,
        project: params.project.clone(),
    })
}

/// Compares a new report with a previous one.
pub fn change_since(
    previous: &ScoreReport,
    previous_at: &str,
    current: &ScoreReport,
) -> ScoreChange {
    let dimensions = current
        .dimensions
        .iter()
        .filter_map(|now| {
            let then = previous.dimensions.iter().find(|d| d.id == now.id)?;
            (then.points != now.points).then(|| DimensionDelta {
                id: now.id.clone(),
                previous: then.points,
                current: now.points,
                delta: i64::from(now.points) - i64::from(then.points),
            })
        })
        .collect();
    ScoreChange {
        previous_total: previous.total,
        previous_at: previous_at.to_string(),
        delta: i64::from(current.total) - i64::from(previous.total),
        dimensions,
    }
}

type Facts = BTreeMap<String, Value>;

fn score_dimension(
    dim: &Dimension,
    input: &DimensionInput,
    field: &str,
) -> Result<(DimensionScore, Option<Facts>)> {
    let base =
        |points: u32, source: &str, criterion: &Criterion, rationale: String| DimensionScore {
            id: dim.id.clone(),
            code: dim.code.clone(),
            title: dim.title.clone(),
            weight: dim.weight,
            points,
            source: source.to_string(),
            criterion: criterion.id.clone(),
            rationale,
        };
    match (input.points, &input.evidence) {
        (Some(_), Some(_)) => Err(Error::invalid(format!(
            "{field}: give either `points` or `evidence`, not both"
        ))),
        (None, None) => Err(Error::invalid(format!(
            "{field}: give `points` (0-{}) or `evidence` with facts {}",
            dim.weight,
            fact_list(dim)
        ))),
        (Some(points), None) => {
            if points > dim.weight {
                return Err(Error::invalid(format!(
                    "{field}.points: `{points}` is out of range; allowed 0-{}",
                    dim.weight
                )));
            }
            let level = dim
                .criteria
                .iter()
                .find(|c| c.points <= points)
                .unwrap_or_else(|| dim.criteria.last().expect("validated: criteria not empty"));
            let rationale = format!(
                "given directly: {points} of {}; nearest level {} ({})",
                dim.weight, level.id, level.description
            );
            Ok((base(points, "points", level, rationale), None))
        }
        (None, Some(evidence)) => {
            let facts = read_facts(dim, evidence, field)?;
            let criterion = dim
                .criteria
                .iter()
                .find(|c| unmet(c, &facts, dim).is_empty())
                .unwrap_or_else(|| dim.criteria.last().expect("validated: criteria not empty"));
            let used: Vec<String> = dim
                .facts
                .iter()
                .map(|f| format!("{} = {}", f.id, show(&facts[&f.id])))
                .collect();
            let rationale = format!(
                "{}: {} ({})",
                criterion.id,
                criterion.description,
                used.join(", ")
            );
            Ok((
                base(criterion.points, "evidence", criterion, rationale),
                Some(facts),
            ))
        }
    }
}

fn next_level(
    dim: &Dimension,
    score: &DimensionScore,
    facts: Option<&Facts>,
) -> Option<Improvement> {
    let next = dim
        .criteria
        .iter()
        .filter(|c| c.points > score.points)
        .min_by_key(|c| c.points)?;
    let requires = match facts {
        Some(facts) => unmet(next, facts, dim),
        None => next
            .when
            .iter()
            .map(|(fact, cond)| describe(fact, cond, None))
            .collect(),
    };
    Some(Improvement {
        dimension: dim.id.clone(),
        from: score.points,
        to: next.points,
        gain: next.points - score.points,
        criterion: next.id.clone(),
        action: next.description.clone(),
        requires,
        band_focus: false,
    })
}

/// Validates evidence against the dimension's declared facts and fills defaults.
fn read_facts(
    dim: &Dimension,
    evidence: &serde_json::Map<String, Value>,
    field: &str,
) -> Result<Facts> {
    if let Some(unknown) = evidence
        .keys()
        .find(|k| !dim.facts.iter().any(|f| &f.id == *k))
    {
        return Err(Error::invalid(format!(
            "{field}.evidence: unknown fact `{unknown}`; valid: {}",
            fact_list(dim)
        )));
    }
    let mut facts = Facts::new();
    for fact in &dim.facts {
        let at = format!("{field}.evidence.{}", fact.id);
        let value = match (evidence.get(&fact.id), &fact.default) {
            (Some(v), _) => v.clone(),
            (None, Some(default)) => default.clone(),
            (None, None) => {
                return Err(Error::invalid(format!(
                    "{at}: missing evidence ({}; {})",
                    fact.description,
                    type_hint(fact)
                )));
            }
        };
        check_fact(fact, &value, &at)?;
        facts.insert(fact.id.clone(), value);
    }
    Ok(facts)
}

fn check_fact(fact: &Fact, value: &Value, at: &str) -> Result<()> {
    let bad = || {
        Error::invalid(format!(
            "{at}: `{value}` is not valid; expected {}",
            type_hint(fact)
        ))
    };
    match fact.kind {
        FactType::Bool => value.as_bool().map(|_| ()).ok_or_else(bad),
        FactType::Number => {
            let n = value.as_f64().ok_or_else(bad)?;
            let below = fact.min.is_some_and(|min| n < min);
            let above = fact.max.is_some_and(|max| n > max);
            if below || above || !n.is_finite() {
                Err(bad())
            } else {
                Ok(())
            }
        }
        FactType::List => {
            let items = value.as_array().ok_or_else(bad)?;
            let allowed = fact.values.as_deref().unwrap_or_default();
            for item in items {
                let Some(s) = item.as_str() else {
                    return Err(bad());
                };
                if !allowed.is_empty() && !allowed.iter().any(|a| a == s) {
                    return Err(Error::invalid(format!(
                        "{at}: unknown item `{s}`; allowed: {}",
                        backticked(allowed)
                    )));
                }
            }
            Ok(())
        }
    }
}

/// The conditions of `criterion` that `facts` do not meet, in words.
fn unmet(criterion: &Criterion, facts: &Facts, dim: &Dimension) -> Vec<String> {
    let _ = dim;
    criterion
        .when
        .iter()
        .filter(|(fact, cond)| !holds(cond, &facts[fact.as_str()]))
        .map(|(fact, cond)| describe(fact, cond, facts.get(fact.as_str())))
        .collect()
}

fn holds(condition: &Condition, value: &Value) -> bool {
    match condition {
        Condition::Equals(expected) => value == expected,
        Condition::Ops(ops) => {
            let number = value.as_f64();
            let list: Vec<&str> = value
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            ops.gte.is_none_or(|min| number.is_some_and(|n| n >= min))
                && ops.lte.is_none_or(|max| number.is_some_and(|n| n <= max))
                && ops.count_gte.is_none_or(|min| list.len() >= min)
                && ops
                    .includes_all
                    .as_ref()
                    .is_none_or(|all| all.iter().all(|x| list.contains(&x.as_str())))
                && ops
                    .includes_any
                    .as_ref()
                    .is_none_or(|any| any.iter().any(|x| list.contains(&x.as_str())))
        }
    }
}

fn describe(fact: &str, condition: &Condition, now: Option<&Value>) -> String {
    let mut parts = Vec::new();
    match condition {
        Condition::Equals(v) => parts.push(format!("{fact} = {}", show(v))),
        Condition::Ops(ops) => {
            if let Some(v) = ops.gte {
                parts.push(format!("{fact} ≥ {v}"));
            }
            if let Some(v) = ops.lte {
                parts.push(format!("{fact} ≤ {v}"));
            }
            if let Some(v) = ops.count_gte {
                parts.push(format!("{fact} has at least {v} items"));
            }
            if let Some(v) = &ops.includes_all {
                parts.push(format!("{fact} includes all of [{}]", v.join(", ")));
            }
            if let Some(v) = &ops.includes_any {
                parts.push(format!("{fact} includes one of [{}]", v.join(", ")));
            }
        }
    }
    let text = parts.join(" and ");
    match now {
        Some(v) => format!("{text} (now {})", show(v)),
        None => text,
    }
}

fn show(value: &Value) -> String {
    match value {
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(show).collect();
            format!("[{}]", items.join(", "))
        }
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn type_hint(fact: &Fact) -> String {
    match fact.kind {
        FactType::Bool => "true or false".to_string(),
        FactType::Number => format!(
            "a number {}-{}",
            fact.min.map_or("-∞".to_string(), |v| v.to_string()),
            fact.max.map_or("∞".to_string(), |v| v.to_string())
        ),
        FactType::List => format!(
            "a list of {}",
            backticked(fact.values.as_deref().unwrap_or_default())
        ),
    }
}

fn fact_list(dim: &Dimension) -> String {
    let ids: Vec<&str> = dim.facts.iter().map(|f| f.id.as_str()).collect();
    backticked(&ids)
}

fn backticked<S: AsRef<str>>(items: &[S]) -> String {
    items
        .iter()
        .map(|s| format!("`{}`", s.as_ref()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Scores, and with `project` stores the score and reports the change since the
/// previous one.
pub async fn score_and_store(
    app: &crate::App,
    params: &ScoreInfrastructureParams,
) -> Result<ScoreReport> {
    let mut report = score(&app.playbooks.rubric, params)?;
    let Some(project) = &params.project else {
        return Ok(report);
    };
    let store = app.store().await?;
    store.require_project(project).await?;
    if let Some(previous) = store.latest_score(project).await? {
        // A stored report from an older rubric may not decode; then there is no comparison.
        if let Ok(previous_report) = serde_json::from_value::<ScoreReport>(previous.result.clone())
        {
            report.change = Some(change_since(
                &previous_report,
                &previous.created_at,
                &report,
            ));
        }
    }
    let value = serde_json::to_value(&report)
        .map_err(|e| Error::invalid(format!("score report is not JSON: {e}")))?;
    store
        .insert_score(project, report.total, &report.band.id, &value)
        .await?;
    Ok(report)
}
