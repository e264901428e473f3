//! What the agent sends: a Kimball model as facts, dimensions and an optional bus
//! matrix. [`super::model`] turns it into the normalized [`super::Model`].

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::dialect::{LogicalType, TimeGrain};

/// A dimensional model.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ModelSpec {
    /// Model (business domain) name, e.g. `retail`.
    pub name: String,
    /// Schema, dataset or database the tables live in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// Fact tables.
    #[serde(default)]
    pub facts: Vec<FactSpec>,
    /// Dimension tables.
    #[serde(default)]
    pub dimensions: Vec<DimensionSpec>,
    /// Business processes and the dimensions each uses (conformed-dimension check).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bus_matrix: Vec<BusRow>,
    /// What the model is for: decides the modeling approach (asked when missing).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub needs: Option<ModelNeeds>,
}

/// What a model is for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ModelNeeds {
    /// Main use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serves: Option<Serves>,
    /// Source systems feeding the model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sources: Option<u32>,
    /// Every row traceable to its source and load, history never overwritten.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit: Option<bool>,
}

/// The main use of a model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Serves {
    // Reporting and BI.
    Bi,
    // The enterprise's integrated record.
    Enterprise,
    // A few fast dashboards.
    Dashboards,
    // Product and event analytics.
    Events,
}

impl Serves {
    /// snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Serves::Bi => "bi",
            Serves::Enterprise => "enterprise",
            Serves::Dashboards => "dashboards",
            Serves::Events => "events",
        }
    }
}

/// A fact table.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FactSpec {
    /// Table name (`fct_<business_process>`).
    pub name: String,
    /// What the fact records.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Grain: "One row per <event> per <time grain>".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grain: Option<String>,
    /// Numeric measures.
    #[serde(default)]
    pub measures: Vec<MeasureSpec>,
    /// Identifiers kept on the fact without a dimension (order_number, invoice_id).
    #[serde(default)]
    pub degenerate_dimensions: Vec<ColumnSpec>,
    /// Links to dimensions.
    #[serde(default)]
    pub foreign_keys: Vec<ForeignKeySpec>,
    /// Other columns (e.g. loaded_at).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub columns: Vec<ColumnSpec>,
    /// Primary key columns, if the grain has one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub primary_key: Vec<String>,
    /// Physical hints: partitioning, clustering, distribution.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub physical: Option<PhysicalHints>,
}

/// A measure of a fact.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MeasureSpec {
    /// Column name (`order_amount`, `quantity_count`).
    pub name: String,
    /// Logical type, e.g. `decimal(12,2)`.
    #[serde(rename = "type")]
    pub logical_type: LogicalType,
    /// Whether the measure adds up across all dimensions, all but time, or none.
    pub additivity: Additivity,
    /// The aggregation analysts should use.
    pub aggregation: Aggregation,
    /// Business definition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// Additivity of a measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Additivity {
    // Sums across every dimension (sales amount).
    Additive,
    // Sums across some dimensions but not time (account balance).
    #[serde(alias = "semi-additive")]
    SemiAdditive,
    // Never sums (unit price, ratio).
    #[serde(alias = "non-additive")]
    NonAdditive,
}

/// Aggregation of a measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Aggregation {
    // SUM.
    #[serde(alias = "SUM")]
    Sum,
    // AVG.
    #[serde(alias = "AVG")]
    Avg,
    // COUNT.
    #[serde(alias = "COUNT")]
    Count,
    // COUNT DISTINCT.
    #[serde(alias = "COUNT DISTINCT", alias = "count distinct")]
    CountDistinct,
    // MIN.
    #[serde(alias = "MIN")]
    Min,
    // MAX.
    #[serde(alias = "MAX")]
    Max,
}

impl Aggregation {
    /// snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Aggregation::Sum => "sum",
            Aggregation::Avg => "avg",
            Aggregation::Count => "count",
            Aggregation::CountDistinct => "count_distinct",
            Aggregation::Min => "min",
            Aggregation::Max => "max",
        }
    }
}

/// A plain column.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ColumnSpec {
    /// Column name.
    pub name: String,
    /// Logical type, e.g. `string(50)`.
    #[serde(rename = "type")]
    pub logical_type: LogicalType,
    /// Whether NULL is allowed (default true; keys are always NOT NULL).
    #[serde(default = "yes")]
    pub nullable: bool,
    /// What the column holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

fn yes() -> bool {
    true
}

/// A fact's link to a dimension.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ForeignKeySpec {
    /// Dimension name.
    pub dimension: String,
    /// Column on the fact (default: the dimension's surrogate key name; set it for role-playing, e.g. ship_date_key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    /// What the link means.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// A dimension table.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DimensionSpec {
    /// Table name (`dim_<entity>`).
    pub name: String,
    /// What the dimension describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Default SCD type of attributes: 1 overwrite, 2 history, 3 previous value, 4 history table, 6 history plus current_ column (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scd_type: Option<u8>,
    /// Business key columns from the source.
    #[serde(default)]
    pub natural_key: Vec<ColumnSpec>,
    /// Surrogate key name (default `<entity>_key`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub surrogate_key: Option<String>,
    /// Descriptive attributes.
    #[serde(default)]
    pub attributes: Vec<AttributeSpec>,
    /// Drill paths, top level first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hierarchies: Vec<HierarchySpec>,
    /// Add a placeholder row (key -1, 'Unknown') for missing references.
    #[serde(default)]
    pub unknown_member: bool,
    /// Physical hints.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub physical: Option<PhysicalHints>,
    /// A Data Vault table instead of a dimension: hub (natural_key = business key), link
    /// or satellite (attributes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<VaultKind>,
    /// Data Vault: the hubs a link joins, or the one hub or link a satellite describes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parents: Vec<String>,
}

/// A Data Vault 2.0 table kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum VaultKind {
    // Business keys, one row per key ever seen.
    Hub,
    // A relationship between hubs, one row per combination ever seen.
    Link,
    // Descriptive attributes of a hub or link, one row per change.
    Satellite,
}

/// A dimension attribute.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AttributeSpec {
    /// Column name.
    pub name: String,
    /// Logical type.
    #[serde(rename = "type")]
    pub logical_type: LogicalType,
    /// SCD type 1, 2, 3, 4 or 6 (default: the dimension's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scd_type: Option<u8>,
    /// Staging column it loads from (default: same name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Whether NULL is allowed (default true).
    #[serde(default = "yes")]
    pub nullable: bool,
    /// What the attribute holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// A hierarchy of attributes.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HierarchySpec {
    /// Hierarchy name.
    pub name: String,
    /// Attribute names, top level first.
    pub levels: Vec<String>,
}

/// Physical design hints; each dialect honours what it can and notes the rest.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PhysicalHints {
    /// Partition column (a date or timestamp).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition_by: Option<String>,
    /// Partition granularity (default day).
    #[serde(default)]
    pub partition_grain: TimeGrain,
    /// First day (ISO date) of the partitions created with the table (PostgreSQL), with
    /// `partition_to`; rows outside the window land in a DEFAULT partition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition_from: Option<String>,
    /// Day (ISO date, exclusive) the created partitions end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition_to: Option<String>,
    /// Clustering columns.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cluster_by: Vec<String>,
    /// Distribution key (Redshift).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dist_key: Option<String>,
    /// Sort key columns (Redshift).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sort_key: Vec<String>,
}

/// A bus matrix row.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BusRow {
    /// Business process.
    pub process: String,
    /// Fact implementing it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fact: Option<String>,
    /// Dimensions it uses.
    pub dimensions: Vec<String>,
}

/// A compact schema for a model passed again after `design_dimensional_model` (the full
/// shape is in that tool's schema; keeping it once keeps `tools/list` small).
pub fn model_ref_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "type": "object",
        "description": "The model: the shape of design_dimensional_model's input, or the normalized `model` it returned, as-is"
    })
}

/// A compact schema for one dimension (same shape as a model's `dimensions[]` entry).
pub fn dimension_ref_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "type": "object",
        "description": "One dimension, same shape as a model's `dimensions[]` (name, natural_key, attributes with scd_type and source, surrogate_key, unknown_member), or a dimension of design_dimensional_model's `model.tables[]` as-is"
    })
}

/// A compact schema for the parents of a Data Vault load (dimension-shaped tables).
pub fn dimensions_ref_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "type": "array",
        "items": { "type": "object" }
    })
}

/// Several dimensions, each as [`dimension_or_normalized`] reads it.
pub fn dimensions_or_normalized<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<DimensionSpec>, D::Error> {
    let values = Vec::<serde_json::Value>::deserialize(deserializer)?;
    values
        .into_iter()
        .enumerate()
        .map(|(i, v)| {
            dimension_or_normalized(v)
                .map_err(|e: serde_json::Error| serde::de::Error::custom(format!("[{i}]: {e}")))
        })
        .collect()
}

/// Reads a value with its path in errors (`facts[0].measures[1].type: …`).
fn decode_with_path<T: serde::de::DeserializeOwned, E: serde::de::Error>(
    value: serde_json::Value,
) -> Result<T, E> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner().to_string();
        if path == "." || path.is_empty() {
            E::custom(inner)
        } else {
            E::custom(format!("{path}: {inner}"))
        }
    })
}

/// A model as the agent writes it, or the normalized model `design_dimensional_model`
/// returned (recognized by its `tables`), so that the documented chain works as-is.
pub fn model_or_normalized<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<ModelSpec, D::Error> {
    let value = serde_json::Value::deserialize(deserializer)?;
    if value.get("tables").is_some() {
        let model: super::model::Model = decode_with_path(value)?;
        Ok(model.to_spec())
    } else {
        decode_with_path(value)
    }
}

/// A dimension as a model's `dimensions[]` entry, or a normalized dimension table from
/// `design_dimensional_model`'s `model.tables[]` (recognized by its `columns`).
pub fn dimension_or_normalized<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<DimensionSpec, D::Error> {
    let value = serde_json::Value::deserialize(deserializer)?;
    if value.get("columns").is_some() {
        let table: super::model::Table = decode_with_path(value)?;
        if matches!(
            table.kind,
            super::model::TableKind::Fact | super::model::TableKind::History
        ) {
            return Err(serde::de::Error::custom(format!(
                "table `{}` is a {}, not a dimension (pass the dimension it belongs to)",
                table.name,
                table.kind.as_str()
            )));
        }
        Ok(table.to_dimension_spec())
    } else {
        decode_with_path(value)
    }
}
