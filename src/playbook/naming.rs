//! `naming.yaml`: table-layer prefixes, column naming rules, the names of the columns
//! dana generates, and the unknown-member placeholder values.

use serde::{Deserialize, Serialize};

use super::Issues;

/// The whole `naming.yaml`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NamingBook {
    /// Schema version of the file.
    pub version: u32,
    /// Table prefixes per layer.
    pub layers: Vec<LayerRule>,
    /// Column rules.
    pub columns: Vec<ColumnRule>,
    /// The lower snake_case rule.
    pub case: CaseRule,
    /// Names of generated columns.
    pub generated: GeneratedNames,
    /// Placeholder values of unknown-member rows.
    pub unknown_member: UnknownMemberValues,
}

/// A table layer and its prefix.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LayerRule {
    /// Stable id (`NAME-LAYER-FCT`).
    pub id: String,
    /// Layer (`fact`, `dimension`, `staging`, …).
    pub layer: String,
    /// Required prefix.
    pub prefix: String,
    /// Naming pattern.
    pub pattern: String,
    /// Example name.
    pub example: String,
}

/// A column naming rule: which columns it applies to and the required affixes.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnRule {
    /// Stable id (`NAME-COL-BOOL`).
    pub id: String,
    /// What the rule says.
    pub title: String,
    /// Logical type names it applies to (any when empty).
    #[serde(default)]
    pub types: Vec<String>,
    /// Logical type names it never applies to.
    #[serde(default)]
    pub exclude_types: Vec<String>,
    /// Column roles it applies to (any when empty): natural_key, attribute, measure, degenerate_dimension.
    #[serde(default)]
    pub roles: Vec<String>,
    /// Measure aggregations it applies to (any when empty).
    #[serde(default)]
    pub aggregations: Vec<String>,
    /// Accepted prefixes (one must match when given).
    #[serde(default)]
    pub prefixes: Vec<String>,
    /// Accepted suffixes (one must match when given).
    #[serde(default)]
    pub suffixes: Vec<String>,
    /// Example name.
    pub example: String,
}

/// The case rule.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseRule {
    /// Stable id.
    pub id: String,
    /// What the rule says.
    pub title: String,
}

/// Names of the columns dana adds.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GeneratedNames {
    /// Suffix of default surrogate key names (`customer` + `_key`).
    pub surrogate_key_suffix: String,
    /// Prefix of SCD Type 3 previous-value columns.
    pub previous_prefix: String,
    /// SCD2 row validity start.
    pub valid_from: String,
    /// SCD2 row validity end.
    pub valid_to: String,
    /// SCD2 current-row flag.
    pub is_current: String,
    /// Prefix of SCD Type 6 current-value columns.
    #[serde(default = "default_current_prefix")]
    pub current_prefix: String,
    /// Suffix of the SCD Type 4 history table of a dimension.
    #[serde(default = "default_history_suffix")]
    pub history_suffix: String,
    /// Version number of a Type 4 history row (1 for a member's first row).
    #[serde(default = "default_version")]
    pub version: String,
    /// Data Vault: table-name prefixes stripped to name a hash key (`hub_customer` → `customer_hk`).
    #[serde(default = "default_vault_prefixes")]
    pub vault_prefixes: Vec<String>,
    /// Data Vault: suffix of hash keys.
    #[serde(default = "default_hash_key_suffix")]
    pub hash_key_suffix: String,
    /// Data Vault: when a row was loaded.
    #[serde(default = "default_load_date")]
    pub load_date: String,
    /// Data Vault: where a row came from.
    #[serde(default = "default_record_source")]
    pub record_source: String,
    /// Data Vault: hash of a satellite row's attributes.
    #[serde(default = "default_hashdiff")]
    pub hashdiff: String,
}

fn default_vault_prefixes() -> Vec<String> {
    ["hub_", "lnk_", "link_", "sat_"]
        .into_iter()
        .map(str::to_string)
        .collect()
}

fn default_hash_key_suffix() -> String {
    "_hk".into()
}

fn default_load_date() -> String {
    "load_date".into()
}

fn default_record_source() -> String {
    "record_source".into()
}

fn default_hashdiff() -> String {
    "hashdiff".into()
}

fn default_current_prefix() -> String {
    "current_".into()
}

fn default_history_suffix() -> String {
    "_history".into()
}

fn default_version() -> String {
    "version_number".into()
}

/// Values of unknown-member rows.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnknownMemberValues {
    /// Text attributes.
    pub text: String,
    /// Text natural keys.
    pub natural_key_text: String,
    /// Numeric natural keys.
    pub natural_key_number: i64,
    /// Dates (ISO).
    pub date: String,
    /// Timestamps (ISO, UTC).
    pub timestamp: String,
}

impl NamingBook {
    pub(super) fn validate(&self) -> Issues {
        let mut issues = Issues::default();
        let ids = self
            .layers
            .iter()
            .map(|l| l.id.as_str())
            .chain(self.columns.iter().map(|c| c.id.as_str()))
            .chain(std::iter::once(self.case.id.as_str()));
        issues.unique_ids("naming rule", ids);
        for rule in &self.columns {
            if rule.prefixes.is_empty() && rule.suffixes.is_empty() {
                issues.push(
                    Some(rule.id.clone()),
                    format!("rule `{}` needs prefixes or suffixes", rule.id),
                );
            }
            for t in rule.types.iter().chain(&rule.exclude_types) {
                if !KNOWN_TYPES.contains(&t.as_str()) {
                    issues.push(
                        Some(rule.id.clone()),
                        format!(
                            "rule `{}`: unknown type `{t}`; valid: {}",
                            rule.id,
                            KNOWN_TYPES.join(", ")
                        ),
                    );
                }
            }
            for r in &rule.roles {
                if !KNOWN_ROLES.contains(&r.as_str()) {
                    issues.push(
                        Some(rule.id.clone()),
                        format!(
                            "rule `{}`: unknown role `{r}`; valid: {}",
                            rule.id,
                            KNOWN_ROLES.join(", ")
                        ),
                    );
                }
            }
        }
        for layer in ["fact", "dimension"] {
            if !self.layers.iter().any(|l| l.layer == layer) {
                issues.push(None, format!("layers: a `{layer}` layer is required"));
            }
        }
        issues
    }

    /// The prefix of a layer (`fact` → `fct_`).
    pub fn prefix(&self, layer: &str) -> Option<&str> {
        self.layers
            .iter()
            .find(|l| l.layer == layer)
            .map(|l| l.prefix.as_str())
    }
}

/// Base names of logical types rules may name.
pub const KNOWN_TYPES: &[&str] = &[
    "string",
    "text",
    "smallint",
    "integer",
    "bigint",
    "decimal",
    "float",
    "boolean",
    "date",
    "time",
    "timestamp",
    "timestamptz",
    "json",
    "binary",
    "uuid",
];

/// Column roles rules may name.
pub const KNOWN_ROLES: &[&str] = &[
    "natural_key",
    "attribute",
    "measure",
    "degenerate_dimension",
    "column",
];
