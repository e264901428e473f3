//! `governance.yaml`: classification levels and controls, PII detectors, the verdict of
//! every kind of schema change, breaking-change policies, contract defaults and the
//! catalog entry's fields.

use std::collections::HashSet;
use std::sync::OnceLock;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Issues;

/// The whole `governance.yaml`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GovernanceBook {
    /// Schema version of the file.
    pub version: u32,
    /// Controls that levels and detectors attach.
    pub controls: Vec<Control>,
    /// Classification levels, least sensitive first.
    pub levels: Vec<Level>,
    /// Thresholds of PII classification.
    pub classification: ClassificationSettings,
    /// PII detectors.
    pub pii_detectors: Vec<PiiDetector>,
    /// Verdict of every kind of schema change.
    pub changes: Vec<ChangeRule>,
    /// How renames are guessed.
    pub rename: RenameSettings,
    /// Breaking-change policies.
    pub policies: Vec<Policy>,
    /// Policy used when none is named.
    pub default_policy: String,
    /// Data contract defaults.
    pub contracts: ContractSettings,
    /// Catalog entry fields.
    pub catalog: CatalogSettings,
    /// How masked views hide each PII kind.
    pub masking: MaskingSettings,
}

/// How a masked value is computed from the raw one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum MaskRule {
    /// SHA-256 of the text, as lowercase hex: a stable pseudonym that still joins.
    Hash,
    /// `***@domain`: the part before `@` hidden, the domain kept.
    KeepDomain,
    /// `****` and the last four characters.
    Last4,
    /// The fixed text `***`.
    Redact,
    /// NULL: nothing of the value is shown.
    Drop,
}

impl MaskRule {
    /// The rule's name as written in the playbook.
    pub fn as_str(self) -> &'static str {
        match self {
            MaskRule::Hash => "hash",
            MaskRule::KeepDomain => "keep_domain",
            MaskRule::Last4 => "last4",
            MaskRule::Redact => "redact",
            MaskRule::Drop => "drop",
        }
    }
}

/// Masking rules of generated views and policies.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MaskingSettings {
    /// Rule for a PII column whose kind has no rule of its own.
    pub default_rule: MaskRule,
    /// Rule per PII kind (`email`, `payment_card`, ...).
    pub kinds: std::collections::BTreeMap<String, MaskRule>,
    /// Suffix of the masked view's name (`customers` -> `customers_masked`).
    pub view_suffix: String,
}

/// A control (masking, tokenization, ...).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Control {
    /// Stable id (`CTL-MASK`).
    pub id: String,
    /// Short title.
    pub title: String,
    /// What it means in practice.
    pub description: String,
}

/// A classification level.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Level {
    /// Level name (`confidential`).
    pub id: String,
    /// Stable code (`CLS-CONFIDENTIAL`).
    pub code: String,
    /// Sensitivity rank, 0 = least.
    pub rank: u32,
    /// What belongs here.
    pub description: String,
    /// Control ids that apply.
    pub controls: Vec<String>,
}

/// Thresholds of PII classification.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClassificationSettings {
    /// Level of tables and columns where nothing sensitive is found.
    pub default_level: String,
    /// Confidence from which a detection marks a column as PII.
    pub min_confidence: f64,
    /// Rows sampled per live table.
    pub sample_rows: u32,
    /// Confidence of a name match alone.
    pub name_only_confidence: f64,
    /// Confidence of a value match alone.
    pub value_only_confidence: f64,
    /// Confidence when name and values agree.
    pub name_and_value_confidence: f64,
    /// Share of non-null samples a value check must match.
    pub min_value_ratio: f64,
    /// Below this share the values contradict a name match.
    pub contradict_ratio: f64,
    /// Minimum non-null samples for values to count as evidence.
    pub min_samples: u32,
    /// Share of free-text values with an embedded match worth a warning.
    pub embedded_min_ratio: f64,
}

/// Value checks implemented in dana, named by detectors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ValueCheck {
    /// An e-mail address.
    Email,
    /// A phone number (7-15 digits with formatting, or a leading `+`).
    Phone,
    /// A US social security number with its area/group/serial rules.
    UsSsn,
    /// A UK national insurance number.
    UkNino,
    /// A payment card number passing the Luhn check.
    CardLuhn,
    /// An IPv4 address.
    Ipv4,
    /// An IPv6 address.
    Ipv6,
    /// A past date giving an age between 0 and 120 years.
    BirthDate,
    /// A street address (number, words, street suffix).
    StreetAddress,
    /// Two or more capitalized words.
    PersonName,
    /// An IBAN (ISO 13616: country, check digits passing mod 97, BBAN).
    Iban,
    /// No value check: names only.
    None,
}

/// A PII detector.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PiiDetector {
    /// Stable id (`PII-EMAIL`).
    pub id: String,
    /// PII kind reported (`email`).
    pub kind: String,
    /// Level a column with this PII gets.
    pub level: String,
    /// Regexes on the lower-cased column name.
    pub name_patterns: Vec<String>,
    /// Regexes that veto a name match.
    pub name_exclude: Vec<String>,
    /// Check applied to sampled values.
    pub value_check: ValueCheck,
    /// Whether matching values without a matching name suffice.
    pub values_alone: bool,
    /// Whether to report the pattern embedded in free text.
    pub embedded: bool,
    /// Whether a name match needs sampled values that look the part (ambiguous names
    /// such as `who` or `contact`): no classification from the name alone.
    #[serde(default)]
    pub name_needs_values: bool,
    /// `name_patterns` and `name_exclude` compiled on first use and kept: the playbooks
    /// live as long as the server, and compiling them was most of a classification.
    #[serde(skip)]
    pub compiled: OnceLock<CompiledNames>,
}

/// A detector's name regexes, compiled (or the first one that does not compile).
pub type CompiledNames = std::result::Result<(Vec<regex::Regex>, Vec<regex::Regex>), String>;

/// How bad a change is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Nothing that exists breaks.
    NonBreaking,
    /// A human must judge from how the data is used.
    NeedsReview,
    /// Existing producers or consumers break.
    Breaking,
}

impl Verdict {
    /// Snake-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::NonBreaking => "non_breaking",
            Verdict::NeedsReview => "needs_review",
            Verdict::Breaking => "breaking",
        }
    }
}

/// Whose code a change breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Affects {
    /// Nobody.
    None,
    /// Writers of the table.
    Producers,
    /// Readers of the table.
    Consumers,
    /// Both.
    Both,
}

/// Kinds of schema change dana detects.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// A table appeared.
    TableAdded,
    /// A table disappeared.
    TableRemoved,
    /// A nullable column appeared.
    ColumnAddedNullable,
    /// A non-null column appeared.
    ColumnAddedRequired,
    /// A column disappeared.
    ColumnRemoved,
    /// A column seems renamed (a guess, with evidence).
    ColumnRenamed,
    /// Every old value still fits.
    TypeWidened,
    /// Some old values may not fit.
    TypeNarrowed,
    /// A different type family.
    TypeChanged,
    /// Same family, different semantics.
    TypeChangedReview,
    /// Nullable became not null.
    NullabilityTightened,
    /// Not null became nullable.
    NullabilityRelaxed,
    /// The primary key columns changed.
    PrimaryKeyChanged,
    /// A uniqueness constraint appeared.
    UniqueAdded,
    /// A uniqueness constraint disappeared.
    UniqueRemoved,
    /// An accepted value was removed.
    EnumValueRemoved,
    /// An accepted value was added.
    EnumValueAdded,
    /// A list of accepted values now constrains the column.
    EnumConstraintAdded,
    /// The list of accepted values was dropped.
    EnumConstraintRemoved,
    /// The foreign key target changed.
    ForeignKeyChanged,
    /// The classification level went up.
    ClassificationRaised,
    /// The classification level went down.
    ClassificationLowered,
    /// The description changed.
    DescriptionChanged,
}

/// The verdict of one kind of change.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangeRule {
    /// Stable id (`CHG-COL-REMOVED`).
    pub id: String,
    /// Kind of change.
    pub kind: ChangeKind,
    /// Verdict.
    pub verdict: Verdict,
    /// Whose code breaks.
    pub affects: Affects,
    /// Why.
    pub rationale: String,
}

/// Rename guessing.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RenameSettings {
    /// Score from which a pair is reported as a rename.
    pub min_score: f64,
    /// Whether the types must be equal or widening.
    pub require_compatible_type: bool,
    /// Score weights.
    pub weights: RenameWeights,
}

/// Weights of the rename score (sum to 1).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RenameWeights {
    /// Same type.
    pub same_type: f64,
    /// Same position.
    pub same_position: f64,
    /// Name similarity (0-1) times this.
    pub name_similarity: f64,
    /// Same nullability.
    pub same_nullability: f64,
}

/// What a policy does with a breaking change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum OnBreaking {
    /// Allowed after notice to consumers.
    Notify,
    /// Allowed only in a new major version.
    RequireMajorVersion,
    /// Refused.
    Refuse,
}

/// A breaking-change policy.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Policy name used in contracts (`notify-30-days`).
    pub id: String,
    /// Stable code.
    pub code: String,
    /// What it means.
    pub description: String,
    /// What happens to a breaking change.
    pub on_breaking: OnBreaking,
    /// Notice period in days.
    pub notice_days: u32,
    /// Whether a breaking change also needs a new major version.
    pub major_bump_on_breaking: bool,
}

/// SLA defaults.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlaDefaults {
    /// Freshness in hours.
    pub freshness_hours: f64,
    /// Availability in percent.
    pub availability_percent: f64,
    /// Support hours.
    pub support_hours: String,
}

/// Contract defaults.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContractSettings {
    /// Version of a new contract.
    pub default_version: String,
    /// Status of a new contract.
    pub default_status: String,
    /// ODCS apiVersion written.
    pub api_version: String,
    /// SLA when none is given.
    pub default_sla: SlaDefaults,
    /// Accepted support hours.
    pub support_hours: Vec<String>,
}

/// A catalog field.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogField {
    /// Stable id.
    pub id: String,
    /// Dot path in the entry.
    pub path: String,
    /// Where dana fills it from.
    pub source: String,
    /// Question asked when it is unknown.
    pub question: String,
}

/// Tier from a name prefix.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TierPrefix {
    /// Table name prefix.
    pub prefix: String,
    /// Tier.
    pub tier: String,
}

/// Catalog settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogSettings {
    /// Fields of an entry.
    pub fields: Vec<CatalogField>,
    /// Tier by name prefix.
    pub tier_by_prefix: Vec<TierPrefix>,
    /// Valid tiers.
    pub tiers: Vec<String>,
    /// Suggested domains.
    pub domains: Vec<String>,
}

const CATALOG_SOURCES: &[&str] = &[
    "schema",
    "classification",
    "quality",
    "lineage",
    "model",
    "given",
];

impl GovernanceBook {
    /// The level with this id.
    pub fn level(&self, id: &str) -> Option<&Level> {
        self.levels.iter().find(|l| l.id == id)
    }

    /// The rule for a kind of change.
    pub fn change(&self, kind: ChangeKind) -> Option<&ChangeRule> {
        self.changes.iter().find(|c| c.kind == kind)
    }

    /// The policy with this id.
    pub fn policy(&self, id: &str) -> Option<&Policy> {
        self.policies.iter().find(|p| p.id == id)
    }

    /// The control with this id.
    pub fn control(&self, id: &str) -> Option<&Control> {
        self.controls.iter().find(|c| c.id == id)
    }

    pub(super) fn validate(&self) -> Issues {
        let mut issues = Issues::default();
        for kind in self.masking.kinds.keys() {
            if !self.pii_detectors.iter().any(|d| &d.kind == kind) {
                issues.push(
                    Some(kind.clone()),
                    format!("masking.kinds names `{kind}`, a kind no detector reports"),
                );
            }
        }
        if self.masking.view_suffix.is_empty() {
            issues.push(
                Some("view_suffix".to_string()),
                "masking.view_suffix is empty: the view would replace the table".to_string(),
            );
        }
        issues.unique_ids("control", self.controls.iter().map(|c| c.id.as_str()));
        issues.unique_ids("level", self.levels.iter().map(|l| l.id.as_str()));
        issues.unique_ids("level code", self.levels.iter().map(|l| l.code.as_str()));
        issues.unique_ids("detector", self.pii_detectors.iter().map(|d| d.id.as_str()));
        issues.unique_ids("change", self.changes.iter().map(|c| c.id.as_str()));
        issues.unique_ids("policy", self.policies.iter().map(|p| p.id.as_str()));
        issues.unique_ids("policy code", self.policies.iter().map(|p| p.code.as_str()));
        issues.unique_ids(
            "catalog field",
            self.catalog.fields.iter().map(|f| f.id.as_str()),
        );
        let controls: HashSet<&str> = self.controls.iter().map(|c| c.id.as_str()).collect();
        let mut ranks = HashSet::new();
        for (i, level) in self.levels.iter().enumerate() {
            if level.rank != i as u32 {
                issues.push(
                    Some(format!("id: {}", level.id)),
                    format!(
                        "level `{}` has rank {} but is listed at position {i} (least sensitive first, from 0)",
                        level.id, level.rank
                    ),
                );
            }
            ranks.insert(level.rank);
            for control in &level.controls {
                if !controls.contains(control.as_str()) {
                    issues.push(
                        Some(control.clone()),
                        format!("level `{}` names unknown control `{control}`", level.id),
                    );
                }
            }
        }
        if self.level(&self.classification.default_level).is_none() {
            issues.push(
                Some("default_level".to_string()),
                format!(
                    "classification.default_level `{}` is not a level",
                    self.classification.default_level
                ),
            );
        }
        let c = &self.classification;
        for (name, value) in [
            ("min_confidence", c.min_confidence),
            ("name_only_confidence", c.name_only_confidence),
            ("value_only_confidence", c.value_only_confidence),
            ("name_and_value_confidence", c.name_and_value_confidence),
            ("min_value_ratio", c.min_value_ratio),
            ("contradict_ratio", c.contradict_ratio),
            ("embedded_min_ratio", c.embedded_min_ratio),
        ] {
            if !(0.0..=1.0).contains(&value) {
                issues.push(
                    Some(name.to_string()),
                    format!("classification.{name} must be between 0 and 1, got {value}"),
                );
            }
        }
        for detector in &self.pii_detectors {
            if self.level(&detector.level).is_none() {
                issues.push(
                    Some(detector.id.clone()),
                    format!(
                        "detector `{}` has unknown level `{}`",
                        detector.id, detector.level
                    ),
                );
            }
            if detector.name_patterns.is_empty() {
                issues.push(
                    Some(detector.id.clone()),
                    format!("detector `{}` has no name_patterns", detector.id),
                );
            }
            for pattern in detector.name_patterns.iter().chain(&detector.name_exclude) {
                // Syntax only: compiling every automaton here was 78 % of startup.
                if let Err(e) = regex_syntax::Parser::new().parse(pattern) {
                    issues.push(
                        Some(detector.id.clone()),
                        format!("detector `{}`: bad regex `{pattern}`: {e}", detector.id),
                    );
                }
            }
            if detector.values_alone && detector.value_check == ValueCheck::None {
                issues.push(
                    Some(detector.id.clone()),
                    format!(
                        "detector `{}` has values_alone but no value_check",
                        detector.id
                    ),
                );
            }
        }
        let mut kinds = HashSet::new();
        for rule in &self.changes {
            if !kinds.insert(rule.kind) {
                issues.push(
                    Some(rule.id.clone()),
                    format!("change kind of `{}` is defined twice", rule.id),
                );
            }
        }
        for kind in ALL_CHANGE_KINDS {
            if !kinds.contains(kind) {
                issues.push(
                    None,
                    format!(
                        "changes: no rule for change kind `{}`",
                        change_kind_name(*kind)
                    ),
                );
            }
        }
        let w = &self.rename.weights;
        let sum = w.same_type + w.same_position + w.name_similarity + w.same_nullability;
        if (sum - 1.0).abs() > 1e-6 {
            issues.push(
                Some("weights".to_string()),
                format!("rename.weights must sum to 1, got {sum}"),
            );
        }
        if self.policy(&self.default_policy).is_none() {
            issues.push(
                Some("default_policy".to_string()),
                format!("default_policy `{}` is not a policy", self.default_policy),
            );
        }
        for field in &self.catalog.fields {
            if !CATALOG_SOURCES.contains(&field.source.as_str()) {
                issues.push(
                    Some(field.id.clone()),
                    format!(
                        "catalog field `{}` has unknown source `{}`; allowed: {}",
                        field.id,
                        field.source,
                        CATALOG_SOURCES.join(", ")
                    ),
                );
            }
        }
        for tp in &self.catalog.tier_by_prefix {
            if !self.catalog.tiers.contains(&tp.tier) {
                issues.push(
                    Some(tp.prefix.clone()),
                    format!(
                        "tier_by_prefix `{}` names unknown tier `{}`",
                        tp.prefix, tp.tier
                    ),
                );
            }
        }
        issues
    }
}

/// Every change kind (each must have a rule).
pub const ALL_CHANGE_KINDS: &[ChangeKind] = &[
    ChangeKind::TableAdded,
    ChangeKind::TableRemoved,
    ChangeKind::ColumnAddedNullable,
    ChangeKind::ColumnAddedRequired,
    ChangeKind::ColumnRemoved,
    ChangeKind::ColumnRenamed,
    ChangeKind::TypeWidened,
    ChangeKind::TypeNarrowed,
    ChangeKind::TypeChanged,
    ChangeKind::TypeChangedReview,
    ChangeKind::NullabilityTightened,
    ChangeKind::NullabilityRelaxed,
    ChangeKind::PrimaryKeyChanged,
    ChangeKind::UniqueAdded,
    ChangeKind::UniqueRemoved,
    ChangeKind::EnumValueRemoved,
    ChangeKind::EnumValueAdded,
    ChangeKind::EnumConstraintAdded,
    ChangeKind::EnumConstraintRemoved,
    ChangeKind::ForeignKeyChanged,
    ChangeKind::ClassificationRaised,
    ChangeKind::ClassificationLowered,
    ChangeKind::DescriptionChanged,
];

/// Snake-case name of a change kind.
pub fn change_kind_name(kind: ChangeKind) -> String {
    serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}
