//! `rubric.yaml`: seven weighted dimensions (weights sum to 100), the evidence facts
//! each reads, the criteria that turn facts into points, and the four score bands.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::Issues;

/// The whole `rubric.yaml`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RubricBook {
    /// Schema version of the file.
    pub version: u32,
    /// Dimensions, in display order.
    pub dimensions: Vec<Dimension>,
    /// Bands covering 0..=100 without gaps.
    pub bands: Vec<Band>,
}

/// One scored dimension.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dimension {
    /// Key used in inputs (`reliability`).
    pub id: String,
    /// Stable code (`RUB-REL`).
    pub code: String,
    /// Human title.
    pub title: String,
    /// Maximum points.
    pub weight: u32,
    /// Evidence facts read by the criteria.
    pub facts: Vec<Fact>,
    /// Criteria, best first; the last has no conditions.
    pub criteria: Vec<Criterion>,
}

/// A piece of evidence a dimension reads.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fact {
    /// Key in the evidence object.
    pub id: String,
    /// Value type.
    #[serde(rename = "type")]
    pub kind: FactType,
    /// Smallest accepted number.
    pub min: Option<f64>,
    /// Largest accepted number.
    pub max: Option<f64>,
    /// Accepted list items.
    pub values: Option<Vec<String>>,
    /// Used when the fact is not given; without it the fact is required.
    pub default: Option<serde_json::Value>,
    /// What the fact means.
    pub description: String,
}

/// The type of a fact's value.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum FactType {
    /// A number.
    Number,
    /// true or false.
    Bool,
    /// A list of strings from `values`.
    List,
}

/// A level of a dimension.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Criterion {
    /// Stable id (`RUB-REL-20`).
    pub id: String,
    /// Points awarded when the conditions hold.
    pub points: u32,
    /// What earns these points.
    pub description: String,
    /// Fact → condition; all must hold. Empty for the floor.
    #[serde(default)]
    pub when: BTreeMap<String, Condition>,
}

/// A condition on one fact: a plain value means equality.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum Condition {
    /// Operators, all of which must hold.
    Ops(Ops),
    /// Equal to this value.
    Equals(serde_json::Value),
}

/// Operators of a condition.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Ops {
    /// Number at least this.
    pub gte: Option<f64>,
    /// Number at most this.
    pub lte: Option<f64>,
    /// List has at least this many items.
    pub count_gte: Option<usize>,
    /// List contains all of these.
    pub includes_all: Option<Vec<String>>,
    /// List contains at least one of these.
    pub includes_any: Option<Vec<String>>,
}

/// A score band.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Band {
    /// Stable id (`BAND-SOLID`).
    pub id: String,
    /// Lowest total in the band.
    pub min: u32,
    /// Highest total in the band.
    pub max: u32,
    /// Short label.
    pub label: String,
    /// What to do in this band.
    pub guidance: String,
    /// Dimensions to improve first in this band.
    pub focus: Vec<String>,
}

impl RubricBook {
    /// The dimension with this id.
    pub fn dimension(&self, id: &str) -> Option<&Dimension> {
        self.dimensions.iter().find(|d| d.id == id)
    }

    /// The band containing `total`.
    pub fn band(&self, total: u32) -> Option<&Band> {
        self.bands.iter().find(|b| b.min <= total && total <= b.max)
    }

    pub(super) fn validate(&self) -> Issues {
        let mut issues = Issues::default();
        issues.unique_ids("dimension", self.dimensions.iter().map(|d| d.id.as_str()));
        issues.unique_ids(
            "dimension code",
            self.dimensions.iter().map(|d| d.code.as_str()),
        );
        issues.unique_ids(
            "criterion",
            self.dimensions
                .iter()
                .flat_map(|d| d.criteria.iter().map(|c| c.id.as_str())),
        );
        issues.unique_ids("band", self.bands.iter().map(|b| b.id.as_str()));
        let total: u32 = self.dimensions.iter().map(|d| d.weight).sum();
        if total != 100 {
            issues.push(
                Some("weight:".to_string()),
                format!("dimension weights sum to {total}, not 100"),
            );
        }
        for dim in &self.dimensions {
            validate_dimension(dim, &mut issues);
        }
        // Bands: sorted, contiguous, covering 0..=100.
        let mut next = 0;
        for band in &self.bands {
            if band.min != next || band.max < band.min {
                issues.push(
                    Some(band.id.clone()),
                    format!(
                        "band `{}` covers {}-{} but must start at {next} and end at or after its start",
                        band.id, band.min, band.max
                    ),
                );
            }
            for focus in &band.focus {
                if self.dimension(focus).is_none() {
                    issues.push(
                        Some(band.id.clone()),
                        format!("band `{}` focuses on unknown dimension `{focus}`", band.id),
                    );
                }
            }
            next = band.max + 1;
        }
        if next != 101 {
            issues.push(None, "bands must cover 0 to 100 without gaps".to_string());
        }
        issues
    }
}

fn validate_dimension(dim: &Dimension, issues: &mut Issues) {
    let anchor = Some(format!("id: {}", dim.id));
    issues.unique_ids("fact", dim.facts.iter().map(|f| f.id.as_str()));
    if dim.criteria.is_empty() {
        issues.push(anchor.clone(), format!("dimension `{}` has no criteria", dim.id));
        return;
    }
    let mut previous = u32::MAX;
    for (i, criterion) in dim.criteria.iter().enumerate() {
        let at = Some(criterion.id.clone());
        if criterion.points > dim.weight {
            issues.push(
                at.clone(),
                format!(
                    "criterion `{}` awards {} points, above the weight {} of `{}`",
                    criterion.id, criterion.points, dim.weight, dim.id
                ),
            );
        }
        if criterion.points >= previous {
            issues.push(
                at.clone(),
                format!(
                    "criteria of `{}` must be listed best first (strictly decreasing points)",
                    dim.id
                ),
            );
        }
        previous = criterion.points;
        let is_last = i + 1 == dim.criteria.len();
        if is_last && !criterion.when.is_empty() {
            issues.push(
                at.clone(),
                format!("the last criterion of `{}` must have no conditions", dim.id),
            );
        }
        if !is_last && criterion.when.is_empty() {
            issues.push(
                at.clone(),
                format!("criterion `{}` has no conditions but is not the last", criterion.id),
            );
        }
        for (fact_id, condition) in &criterion.when {
            let Some(fact) = dim.facts.iter().find(|f| &f.id == fact_id) else {
                issues.push(
                    at.clone(),
                    format!(
                        "criterion `{}` reads undeclared fact `{fact_id}`",
                        criterion.id
                    ),
                );
                continue;
            };
            if let Err(message) = condition_fits(fact, condition) {
                issues.push(at.clone(), format!("criterion `{}`: {message}", criterion.id));
            }
        }
    }
    let top = dim.criteria.first().map(|c| c.points).unwrap_or(0);
    if top != dim.weight {
        issues.push(
            anchor.clone(),
            format!("the best criterion of `{}` must award the full weight {}", dim.id, dim.weight),
        );
    }
    if dim.criteria.last().map(|c| c.points) != Some(0) {
        issues.push(anchor, format!("the last criterion of `{}` must award 0", dim.id));
    }
}

fn condition_fits(fact: &Fact, condition: &Condition) -> Result<(), String> {
    match (fact.kind, condition) {
        (FactType::Bool, Condition::Equals(v)) if v.is_boolean() => Ok(()),
        (FactType::Number, Condition::Ops(ops))
            if ops.count_gte.is_none() && ops.includes_all.is_none() && ops.includes_any.is_none() =>
        {
            Ok(())
        }
        (FactType::List, Condition::Ops(ops)) if ops.gte.is_none() && ops.lte.is_none() => {
            let allowed = fact.values.as_deref().unwrap_or_default();
            let named = ops
                .includes_all
                .iter()
                .chain(ops.includes_any.iter())
                .flatten();
            for item in named {
                if !allowed.contains(item) {
                    return Err(format!("`{item}` is not a value of fact `{}`", fact.id));
                }
            }
            Ok(())
        }
        _ => Err(format!(
            "condition on `{}` does not fit its type {:?}",
            fact.id, fact.kind
        )),
    }
}
