//! `phases.yaml`: the five DEP phases with their steps, expected document, the artifact
//! kinds their tools record, and the gate criteria checked against those artifacts.

use std::collections::{BTreeMap, HashSet};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Issues;

/// The whole `phases.yaml`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhasesBook {
    /// Schema version of the file.
    pub version: u32,
    /// Phases in protocol order.
    pub phases: Vec<Phase>,
}

/// One DEP phase.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Phase {
    /// Stable phase id (`discover`, `model`, …).
    pub id: String,
    /// Position in the protocol, from 1.
    pub number: u32,
    /// Human title.
    pub title: String,
    /// What the phase is for.
    pub objective: String,
    /// Steps with sub-checkpoints.
    pub steps: Vec<Step>,
    /// The document the phase produces.
    pub document: Document,
    /// Artifact kinds recorded under this phase, and the tool producing each.
    pub artifacts: Vec<Artifact>,
    /// The quality gate that closes the phase.
    pub gate: Gate,
}

/// One step of a phase.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// Stable step id (`DISCOVER-S1`).
    pub id: String,
    /// Short title.
    pub title: String,
    /// What is done.
    pub activities: String,
    /// The sub-checkpoint that marks the step done.
    pub checkpoint: String,
}

/// The document a phase promises.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Document {
    /// File name (`phase1_data_discovery.md`).
    pub file: String,
    /// Template that renders it.
    pub template: String,
    /// Section titles.
    pub sections: Vec<String>,
}

/// An artifact kind recorded under a phase.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Artifact {
    /// Artifact kind (`source_profile`).
    pub kind: String,
    /// The tool whose result is recorded as this kind.
    pub tool: String,
    /// What it is.
    pub description: String,
}

/// A phase's quality gate.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Gate {
    /// Stable gate id (`GATE-MODEL`).
    pub id: String,
    /// Machine-checkable criteria.
    pub criteria: Vec<GateCriterion>,
}

/// One gate criterion.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GateCriterion {
    /// Stable criterion id (`GATE-MODEL-02`).
    pub id: String,
    /// What must hold, in words.
    pub description: String,
    /// How it is checked against the project's artifacts.
    pub check: Check,
}

/// How a criterion is checked. Paths are dot-separated; a list along the path is
/// walked element by element.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Check {
    /// At least one artifact of this kind exists.
    ArtifactExists {
        /// Artifact kind.
        artifact: String,
    },
    /// In the latest artifact of this kind, the value at `path` is absent, null or empty.
    FieldEmpty {
        /// Artifact kind.
        artifact: String,
        /// Dot path into the artifact content.
        path: String,
    },
    /// In the latest artifact of this kind, no element of the list at `path` matches
    /// `where` (field → value or list of accepted values). Fails when the artifact is
    /// missing.
    NoneMatch {
        /// Artifact kind.
        artifact: String,
        /// Dot path to a list.
        path: String,
        /// Field → value (or any of a list of values).
        #[serde(rename = "where")]
        filter: BTreeMap<String, serde_json::Value>,
    },
    /// Every value at `of.path` in the latest `of.artifact` appears at `path` in some
    /// artifact of kind `artifact` (any version).
    Covers {
        /// Artifact kind that must cover.
        artifact: String,
        /// Dot path of the covering value.
        path: String,
        /// What must be covered.
        of: CoverTarget,
    },
}

/// The values a `covers` check needs covered.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CoverTarget {
    /// Artifact kind.
    pub artifact: String,
    /// Dot path of the values.
    pub path: String,
}

impl Check {
    /// Every artifact kind this check reads.
    pub fn artifacts(&self) -> Vec<&str> {
        match self {
            Check::ArtifactExists { artifact }
            | Check::FieldEmpty { artifact, .. }
            | Check::NoneMatch { artifact, .. } => vec![artifact],
            Check::Covers { artifact, of, .. } => vec![artifact, &of.artifact],
        }
    }
}

impl Check {
    /// Every dot path this check reads.
    pub fn paths(&self) -> Vec<&str> {
        match self {
            Check::ArtifactExists { .. } => Vec::new(),
            Check::FieldEmpty { path, .. } | Check::NoneMatch { path, .. } => vec![path],
            Check::Covers { path, of, .. } => vec![path, &of.path],
        }
    }
}

impl PhasesBook {
    /// The phase with this id.
    pub fn phase(&self, id: &str) -> Option<&Phase> {
        self.phases.iter().find(|p| p.id == id)
    }

    /// The phase and artifact kind a tool's result is recorded under.
    pub fn artifact_for_tool(&self, tool: &str) -> Option<(&Phase, &Artifact)> {
        self.phases.iter().find_map(|phase| {
            phase
                .artifacts
                .iter()
                .find(|a| a.tool == tool)
                .map(|a| (phase, a))
        })
    }

    /// The phase an artifact kind belongs to.
    pub fn phase_of_kind(&self, kind: &str) -> Option<&Phase> {
        self.phases
            .iter()
            .find(|p| p.artifacts.iter().any(|a| a.kind == kind))
    }

    pub(super) fn validate(&self) -> Issues {
        let mut issues = Issues::default();
        if self.phases.is_empty() {
            issues.push(None, "no phases defined");
        }
        issues.unique_ids("phase", self.phases.iter().map(|p| p.id.as_str()));
        issues.unique_ids(
            "step",
            self.phases
                .iter()
                .flat_map(|p| p.steps.iter().map(|s| s.id.as_str())),
        );
        issues.unique_ids("gate", self.phases.iter().map(|p| p.gate.id.as_str()));
        issues.unique_ids(
            "gate criterion",
            self.phases
                .iter()
                .flat_map(|p| p.gate.criteria.iter().map(|c| c.id.as_str())),
        );
        issues.unique_ids(
            "artifact kind",
            self.phases
                .iter()
                .flat_map(|p| p.artifacts.iter().map(|a| a.kind.as_str())),
        );
        let kinds: HashSet<&str> = self
            .phases
            .iter()
            .flat_map(|p| p.artifacts.iter().map(|a| a.kind.as_str()))
            .collect();
        for (index, phase) in self.phases.iter().enumerate() {
            let expected = index as u32 + 1;
            if phase.number != expected {
                issues.push(
                    Some(format!("number: {}", phase.number)),
                    format!(
                        "phase `{}` has number {} but is listed at position {expected}",
                        phase.id, phase.number
                    ),
                );
            }
            if phase.gate.criteria.is_empty() {
                issues.push(
                    Some(phase.gate.id.clone()),
                    format!("gate `{}` has no criteria", phase.gate.id),
                );
            }
            for criterion in &phase.gate.criteria {
                if !criterion.id.starts_with(&phase.gate.id) {
                    issues.push(
                        Some(criterion.id.clone()),
                        format!(
                            "criterion `{}` must start with its gate id `{}`",
                            criterion.id, phase.gate.id
                        ),
                    );
                }
                for path in criterion.check.paths() {
                    if path.is_empty() || path.split('.').any(str::is_empty) {
                        issues.push(
                            Some(criterion.id.clone()),
                            format!(
                                "criterion `{}`: path `{path}` has an empty segment",
                                criterion.id
                            ),
                        );
                    }
                }
                if let Check::NoneMatch { filter, .. } = &criterion.check
                    && filter.is_empty()
                {
                    issues.push(
                        Some(criterion.id.clone()),
                        format!(
                            "criterion `{}`: `where` must name at least one field",
                            criterion.id
                        ),
                    );
                }
                for kind in criterion.check.artifacts() {
                    if !kinds.contains(kind) {
                        issues.push(
                            Some(criterion.id.clone()),
                            format!(
                                "criterion `{}` reads artifact kind `{kind}`, which no phase declares",
                                criterion.id
                            ),
                        );
                    }
                }
            }
        }
        issues
    }
}
