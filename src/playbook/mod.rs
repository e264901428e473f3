//! Playbooks: the methodology as data. YAML files compiled into the binary and
//! overridable, file by file, from the workspace's playbooks folder. Every playbook is
//! parsed into typed structs at startup and every override is validated; a bad override
//! fails with the file, the line and what is wrong. The embedded playbooks are validated
//! by the test suite (`Playbooks::validate_all`), not on every start.

pub mod architecture;
pub mod conditions;
mod governance;
mod modeling;
mod naming;
pub mod operations;
pub mod optimization;
mod phases;
pub mod pipeline;
mod prompts;
mod quality;
mod rubric;

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

use crate::error::{Error, Result};

pub use governance::{
    Affects, CatalogField, ChangeKind, ChangeRule, GovernanceBook, Level, MaskRule,
    MaskingSettings, OnBreaking, PiiDetector, Policy, ValueCheck, Verdict, change_kind_name,
};
pub use modeling::{
    Approach, GrainRules, MethodQuestions, MethodRule, MethodWhen, MethodologyBook, ModelCheck,
    ModelingBook, SERVES, ScdSteps, ScdText, Severity, TenantRules,
};
pub use naming::{ColumnRule, GeneratedNames, LayerRule, NamingBook, UnknownMemberValues};
pub use phases::{Artifact, Check, Document, Gate, GateCriterion, Phase, PhasesBook, Step};
pub use prompts::{PromptArg, PromptDef, PromptsBook};
pub use quality::{
    Anomaly, Bounds, CheckKind, DriftSettings, ProfileSettings, QualityBook, QualityDimension,
    Severity as QualitySeverity, Shape, SuggestSettings,
};
pub use rubric::{Band, Condition, Criterion, Dimension, Fact, FactType, RubricBook};

/// The playbooks compiled into the binary: (name, YAML text).
pub const EMBEDDED: &[(&str, &str)] = &[
    ("phases", include_str!("../../playbooks/phases.yaml")),
    ("rubric", include_str!("../../playbooks/rubric.yaml")),
    ("prompts", include_str!("../../playbooks/prompts.yaml")),
    ("naming", include_str!("../../playbooks/naming.yaml")),
    ("modeling", include_str!("../../playbooks/modeling.yaml")),
    ("quality", include_str!("../../playbooks/quality.yaml")),
    (
        "architecture",
        include_str!("../../playbooks/architecture.yaml"),
    ),
    ("pipeline", include_str!("../../playbooks/pipeline.yaml")),
    (
        "optimization",
        include_str!("../../playbooks/optimization.yaml"),
    ),
    (
        "operations",
        include_str!("../../playbooks/operations.yaml"),
    ),
    (
        "governance",
        include_str!("../../playbooks/governance.yaml"),
    ),
];

/// Where a playbook's text came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// Compiled into the binary.
    Embedded,
    /// Read from a workspace override file.
    Override(PathBuf),
}

/// One playbook's source text.
#[derive(Debug, Clone)]
pub struct Source {
    /// YAML text.
    pub text: String,
    /// Embedded or overridden.
    pub origin: Origin,
}

impl Source {
    /// The file name shown in errors.
    pub fn display_name(&self, name: &str) -> String {
        match &self.origin {
            Origin::Embedded => format!("playbooks/{name}.yaml (embedded)"),
            Origin::Override(path) => path.display().to_string(),
        }
    }
}

/// All playbooks, parsed and validated.
#[derive(Debug, Clone)]
pub struct Playbooks {
    /// The DEP phases, their steps, artifacts and gates.
    pub phases: PhasesBook,
    /// The 0-100 infrastructure rubric.
    pub rubric: RubricBook,
    /// MCP prompts.
    pub prompts: PromptsBook,
    /// Classification, PII detectors, change verdicts, policies, catalog fields.
    pub governance: GovernanceBook,
    /// Naming conventions.
    pub naming: NamingBook,
    /// Dimensional model checks.
    pub modeling: ModelingBook,
    /// Data quality: dimensions, severities, check kinds, profiling thresholds.
    pub quality: QualityBook,
    /// Architecture patterns, technology picks and guardrails.
    pub architecture: architecture::ArchitectureBook,
    /// Extraction tree, load table, idempotency rules, traps and backfill protocol.
    pub pipeline: pipeline::PipelineBook,
    /// SQL anti-pattern rules, plan rules, cost red flags and savings.
    pub optimization: optimization::OptimizationBook,
    /// Monitoring, severities, run log, triage, runbooks and the test pyramid.
    pub operations: operations::OperationsBook,
    sources: BTreeMap<String, Source>,
}

impl Playbooks {
    /// The embedded playbooks only.
    pub fn embedded() -> Result<Self> {
        Self::load(None)
    }

    /// Embedded playbooks, each replaced by `<dir>/<name>.yaml` when that file exists.
    /// A YAML file in `dir` that matches no playbook is an error (a typo would otherwise
    /// be silently ignored).
    pub fn load(override_dir: Option<&Path>) -> Result<Self> {
        let mut sources: BTreeMap<String, Source> = EMBEDDED
            .iter()
            .map(|(name, text)| {
                let source = Source {
                    text: (*text).to_string(),
                    origin: Origin::Embedded,
                };
                ((*name).to_string(), source)
            })
            .collect();
        if let Some(dir) = override_dir.filter(|d| d.is_dir()) {
            apply_overrides(dir, &mut sources)?;
        }
        let phases: PhasesBook = parse(&sources, "phases")?;
        let rubric: RubricBook = parse(&sources, "rubric")?;
        let prompts: PromptsBook = parse(&sources, "prompts")?;
        let naming: NamingBook = parse(&sources, "naming")?;
        let modeling: ModelingBook = parse(&sources, "modeling")?;
        let quality: QualityBook = parse(&sources, "quality")?;
        let architecture: architecture::ArchitectureBook = parse(&sources, "architecture")?;
        let pipeline: pipeline::PipelineBook = parse(&sources, "pipeline")?;
        let optimization: optimization::OptimizationBook = parse(&sources, "optimization")?;
        let operations: operations::OperationsBook = parse(&sources, "operations")?;
        let governance: GovernanceBook = parse(&sources, "governance")?;
        let books = Playbooks {
            phases,
            rubric,
            prompts,
            naming,
            modeling,
            quality,
            architecture,
            pipeline,
            optimization,
            operations,
            governance,
            sources,
        };
        books.validate(false)?;
        Ok(books)
    }

    /// Workspace override files in effect: (path, SHA-256 of its text), by playbook name.
    pub fn overridden(&self) -> Vec<(String, String)> {
        self.sources
            .values()
            .filter_map(|s| match &s.origin {
                Origin::Override(path) => Some((
                    path.display().to_string(),
                    crate::store::protocol::sha256_hex(&s.text),
                )),
                Origin::Embedded => None,
            })
            .collect()
    }

    /// SHA-256 over every playbook's name and text as loaded (embedded or overridden):
    /// recorded with each gate decision, so the chain shows what the human approved against.
    pub fn effective_sha256(&self) -> String {
        let parts: Vec<serde_json::Value> = self
            .sources
            .iter()
            .map(|(name, s)| serde_json::json!([name, crate::store::protocol::sha256_hex(&s.text)]))
            .collect();
        crate::store::protocol::sha256_hex(&serde_json::Value::Array(parts).to_string())
    }

    /// Names of all playbooks.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.sources.keys().map(String::as_str)
    }

    /// The source of one playbook.
    pub fn source(&self, name: &str) -> Result<&Source> {
        self.sources
            .get(name)
            .ok_or_else(|| Error::not_found("playbook", name, self.names()))
    }

    /// Validates every playbook, embedded ones included (the test suite runs this; at
    /// startup only overrides are validated, the embedded ones being fixed at build time).
    pub fn validate_all(&self) -> Result<()> {
        self.validate(true)
    }

    fn validate(&self, embedded_too: bool) -> Result<()> {
        let check = |name: &str, issues: &dyn Fn() -> Issues| -> Result<()> {
            if !embedded_too && self.sources[name].origin == Origin::Embedded {
                return Ok(());
            }
            match issues().into_iter().next() {
                None => Ok(()),
                Some(issue) => {
                    let source = &self.sources[name];
                    let location = issue
                        .anchor
                        .as_deref()
                        .and_then(|a| line_of(&source.text, a, issue.last))
                        .map(|line| format!(":{line}"))
                        .unwrap_or_default();
                    Err(Error::Playbook {
                        file: source.display_name(name),
                        location,
                        message: issue.message,
                    })
                }
            }
        };
        check("phases", &|| self.phases.validate())?;
        check("rubric", &|| self.rubric.validate())?;
        check("prompts", &|| self.prompts.validate())?;
        check("naming", &|| self.naming.validate())?;
        check("modeling", &|| self.modeling.validate())?;
        check("quality", &|| self.quality.validate())?;
        check("architecture", &|| self.architecture.validate())?;
        check("pipeline", &|| self.pipeline.validate())?;
        check("optimization", &|| self.optimization.validate())?;
        check("operations", &|| self.operations.validate())?;
        check("governance", &|| self.governance.validate())?;
        Ok(())
    }
}

fn apply_overrides(dir: &Path, sources: &mut BTreeMap<String, Source>) -> Result<()> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io("read", dir, e))?;
    for entry in entries {
        let path = entry.map_err(|e| Error::io("read", dir, e))?.path();
        let is_yaml = matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml")
        );
        if !is_yaml {
            continue;
        }
        let Some(name) = path.file_stem().and_then(|s| s.to_str()) else {
            continue;
        };
        let Some(slot) = sources.get_mut(name) else {
            let valid: Vec<String> = sources.keys().map(|k| format!("{k}.yaml")).collect();
            return Err(Error::Playbook {
                file: path.display().to_string(),
                location: String::new(),
                message: format!(
                    "no playbook is named `{name}`; overridable files: {}",
                    valid.join(", ")
                ),
            });
        };
        let text = std::fs::read_to_string(&path).map_err(|e| Error::io("read", &path, e))?;
        *slot = Source {
            text,
            origin: Origin::Override(path),
        };
    }
    Ok(())
}

include!(concat!(env!("OUT_DIR"), "/embedded_playbooks_json.rs"));

/// An embedded playbook as src/build.rs converted it to JSON (`None` if it could not).
fn embedded_json(name: &str) -> Option<&'static str> {
    EMBEDDED_JSON
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, json)| *json)
        .filter(|json| !json.is_empty())
}

/// Parses one playbook. Embedded ones come from their build-time JSON (YAML parsing was
/// three quarters of the work before `initialize` could be answered); an override, or an
/// embedded text the JSON does not type-check for, is parsed as YAML, whose errors carry
/// line and column. A unit test proves both paths give the same playbooks.
fn parse<T: DeserializeOwned>(sources: &BTreeMap<String, Source>, name: &str) -> Result<T> {
    let source = &sources[name];
    if source.origin == Origin::Embedded
        && let Some(parsed) = embedded_json(name).and_then(|j| serde_json::from_str(j).ok())
    {
        return Ok(parsed);
    }
    parse_yaml(source, name)
}

fn parse_yaml<T: DeserializeOwned>(source: &Source, name: &str) -> Result<T> {
    serde_norway::from_str(&source.text).map_err(|e| {
        let location = e
            .location()
            .map(|l| format!(":{}:{}", l.line(), l.column()))
            .unwrap_or_default();
        Error::Playbook {
            file: source.display_name(name),
            location,
            message: e.to_string(),
        }
    })
}

/// A validation problem: the message, and a text to find in the file for its line.
#[derive(Debug)]
pub struct Issue {
    message: String,
    anchor: Option<String>,
    last: bool,
}

/// Collects validation problems for one playbook.
#[derive(Debug, Default)]
pub struct Issues(Vec<Issue>);

impl Issues {
    /// Records a problem, anchored at the first line containing `anchor`.
    pub fn push(&mut self, anchor: impl Into<Option<String>>, message: impl Into<String>) {
        self.0.push(Issue {
            message: message.into(),
            anchor: anchor.into(),
            last: false,
        });
    }

    /// Records an error for every ID seen twice.
    pub fn unique_ids<'a>(&mut self, what: &str, ids: impl IntoIterator<Item = &'a str>) {
        let mut seen = HashSet::new();
        for id in ids {
            if !seen.insert(id) {
                self.0.push(Issue {
                    message: format!("duplicate {what} id `{id}`"),
                    anchor: Some(id.to_string()),
                    last: true,
                });
            }
        }
    }

    fn into_vec(self) -> Vec<Issue> {
        self.0
    }
}

impl IntoIterator for Issues {
    type Item = Issue;
    type IntoIter = std::vec::IntoIter<Issue>;
    fn into_iter(self) -> Self::IntoIter {
        self.into_vec().into_iter()
    }
}

/// 1-based line of the first (or last, for duplicates) line containing `needle`.
fn line_of(text: &str, needle: &str, last: bool) -> Option<usize> {
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, line)| line.contains(needle))
        .map(|(i, _)| i + 1);
    if last { lines.last() } else { lines.next() }
}

#[cfg(test)]
mod tests {
    use serde::Serialize;

    use super::*;

    /// The build-time JSON of every embedded playbook type-checks and gives exactly what
    /// its YAML gives (so startup never silently falls back to YAML, and never differs).
    #[test]
    fn build_time_json_equals_yaml() {
        fn same<T: DeserializeOwned + Serialize>(name: &str) {
            let (_, yaml) = EMBEDDED
                .iter()
                .find(|(n, _)| *n == name)
                .expect("embedded playbook");
            let json = embedded_json(name)
                .unwrap_or_else(|| panic!("src/build.rs did not convert {name}.yaml to JSON"));
            let from_json: T = serde_json::from_str(json)
                .unwrap_or_else(|e| panic!("{name}: the JSON does not type-check: {e}"));
            let from_yaml: T = serde_norway::from_str(yaml).expect("YAML parses");
            assert_eq!(
                serde_json::to_value(&from_json).expect("serialize"),
                serde_json::to_value(&from_yaml).expect("serialize"),
                "{name}: JSON and YAML give different playbooks"
            );
        }
        same::<PhasesBook>("phases");
        same::<RubricBook>("rubric");
        same::<PromptsBook>("prompts");
        same::<NamingBook>("naming");
        same::<ModelingBook>("modeling");
        same::<QualityBook>("quality");
        same::<architecture::ArchitectureBook>("architecture");
        same::<pipeline::PipelineBook>("pipeline");
        same::<optimization::OptimizationBook>("optimization");
        same::<operations::OperationsBook>("operations");
        same::<GovernanceBook>("governance");
        assert_eq!(EMBEDDED.len(), EMBEDDED_JSON.len(), "a playbook is missing");
    }
}
