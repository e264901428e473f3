//! The table spec: a table's columns, keys and declared expectations. Introspection of
//! a live datasource produces one (without expectations); a user or another tool
//! (modeling, contracts) writes one by hand. Checks are generated from it.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A table with its columns, keys and expectations.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TableSpec {
    /// Table name.
    pub name: String,
    /// Schema (PostgreSQL) or database (MySQL); default the datasource's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// Columns in table order.
    #[serde(default)]
    pub columns: Vec<ColumnSpec>,
    /// Primary key columns (checked unique and not null).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub primary_key: Vec<String>,
    /// Other unique keys, each a list of columns (compound keys allowed).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unique_keys: Vec<Vec<String>>,
    /// Foreign keys (checked for orphans).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub foreign_keys: Vec<ForeignKeySpec>,
    /// Freshness SLA on a timestamp column.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub freshness: Option<FreshnessSpec>,
    /// Expected row count range, optionally for one partition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume: Option<VolumeSpec>,
    /// Cross-table reconciliations (count or sum within a tolerance).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reconciliations: Vec<ReconciliationSpec>,
    /// Custom checks: a read-only SELECT returning the observed number, with its bounds.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub custom_checks: Vec<CustomCheckSpec>,
    /// Estimated row count from the catalog (introspection only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub estimated_rows: Option<i64>,
}

/// A column and its expectations.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ColumnSpec {
    /// Column name.
    pub name: String,
    /// Declared type as the engine spells it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_type: Option<String>,
    /// `false`: the column must have no NULL (a not-null check).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nullable: Option<bool>,
    /// Values must be unique (a single-column unique check).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unique: bool,
    /// The only values allowed (text compared exactly, numbers and dates by value).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accepted_values: Option<Vec<String>>,
    /// Smallest allowed numeric value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    /// Largest allowed numeric value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// Regular expression every non-null value must match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    /// No single value may hold more than this share of rows, in percent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_share_pct: Option<f64>,
    /// Timestamps must not lie in the future (a no-future check, against the run's clock).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub no_future: bool,
    /// Personal data: masked in failing-row samples.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub pii: bool,
}

/// A foreign key.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ForeignKeySpec {
    /// Referencing columns of this table.
    pub columns: Vec<String>,
    /// Referenced table.
    pub ref_table: String,
    /// Referenced table's schema; default this table's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ref_schema: Option<String>,
    /// Referenced columns, same order.
    pub ref_columns: Vec<String>,
}

/// Freshness SLA.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FreshnessSpec {
    /// Timestamp column whose latest value must be recent.
    pub column: String,
    /// Maximum age of the latest value, in hours.
    pub max_age_hours: f64,
}

/// Expected volume.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VolumeSpec {
    /// Fewest rows expected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_rows: Option<u64>,
    /// Most rows expected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_rows: Option<u64>,
    /// Count only rows whose `partition_column` equals `partition_value` (a run date).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition_column: Option<String>,
    /// The partition value (text compared exactly, numbers and dates by value). Prefer
    /// `window_days`: a literal date goes stale the day after it is written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition_value: Option<String>,
    /// Count only rows whose `partition_column` (a date or timestamp) falls in the last
    /// `window_days` days before the run (a window relative to the run date).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window_days: Option<u32>,
}

/// A custom check: one read-only SELECT returning one row with a numeric column
/// `observed` (`SELECT SUM(amount) / NULLIF(COUNT(*), 0) AS observed FROM orders`), run
/// under the datasource's read-only session, timeout and row cap.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomCheckSpec {
    /// Short name, unique in the table: the check id is `DQ-CUSTOM-SQL:<table>.<name>`.
    pub name: String,
    /// The SELECT (tables named as on the datasource).
    pub sql: String,
    /// Lowest passing value of `observed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    /// Highest passing value of `observed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// Severity P0-P3 (default P1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<String>,
    /// What is checked, in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// What a reconciliation compares.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Measure {
    /// Row counts.
    #[default]
    Count,
    /// Sum of a column.
    Sum,
}

/// This table against another, within a tolerance.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReconciliationSpec {
    /// `count` or `sum`.
    #[serde(default)]
    pub measure: Measure,
    /// Column summed in this table (for `sum`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    /// The other table (the source of truth).
    pub other_table: String,
    /// The other table's schema; default this table's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub other_schema: Option<String>,
    /// Column summed in the other table (default: `column`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub other_column: Option<String>,
    /// Largest allowed difference, in percent of the other table's figure.
    pub tolerance_pct: f64,
    /// Compare partition by partition (a date or key column of this table): the observed
    /// value is the worst partition's difference, a partition missing on either side 100%.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition_column: Option<String>,
    /// The other table's partition column (default: `partition_column`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub other_partition_column: Option<String>,
}

/// Broad family of a column type, from its declared name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum TypeFamily {
    /// Integers and decimals.
    Numeric,
    /// Character data.
    Text,
    /// Date or timestamp.
    Temporal,
    /// Boolean.
    Boolean,
    /// Anything else (binary, JSON, arrays…).
    Other,
}

impl TypeFamily {
    /// Classifies a declared type (`integer`, `varchar(20)`, `timestamp with time zone`…).
    pub fn of(data_type: &str) -> Self {
        let t = data_type.to_ascii_lowercase();
        let t = t.trim();
        let has = |words: &[&str]| words.iter().any(|w| t.contains(w));
        if has(&["bool"]) || t == "bit" || t == "tinyint(1)" {
            TypeFamily::Boolean
        } else if has(&["timestamp", "datetime", "date"]) {
            TypeFamily::Temporal
        } else if has(&[
            "int", "numeric", "decimal", "real", "double", "float", "number", "serial", "money",
        ]) {
            TypeFamily::Numeric
        } else if has(&["char", "text", "string", "clob", "enum", "uuid", "citext"]) || t.is_empty()
        {
            TypeFamily::Text
        } else {
            TypeFamily::Other
        }
    }
}

impl TableSpec {
    /// The column with this name.
    pub fn column(&self, name: &str) -> Option<&ColumnSpec> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// Names of columns marked PII.
    pub fn pii_columns(&self) -> Vec<&str> {
        self.columns
            .iter()
            .filter(|c| c.pii)
            .map(|c| c.name.as_str())
            .collect()
    }
}

impl ColumnSpec {
    /// The column's type family (text when the type is unknown).
    pub fn family(&self) -> TypeFamily {
        TypeFamily::of(self.data_type.as_deref().unwrap_or(""))
    }
}
