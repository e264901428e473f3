//! The normalized model: every table with its full column list (surrogate keys, SCD2
//! housekeeping, Type 3 previous-value columns and foreign keys added), keys and
//! physical hints, in dependency order (dimensions before the facts that reference
//! them). DDL, SCD loads, contracts and schema diffs are all built from it.

use std::collections::{BTreeSet, HashMap};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::spec::{
    Additivity, Aggregation, AttributeSpec, BusRow, ColumnSpec, DimensionSpec, FactSpec,
    ForeignKeySpec, HierarchySpec, MeasureSpec, ModelNeeds, ModelSpec, PhysicalHints, VaultKind,
};
use crate::dialect::LogicalType;
use crate::error::{Error, Result};
use crate::playbook::NamingBook;

/// A normalized dimensional model.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Model {
    /// Model name.
    pub name: String,
    /// Schema the tables live in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// Tables in dependency order: dimensions, then facts.
    pub tables: Vec<Table>,
    /// The bus matrix as given.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bus_matrix: Vec<BusRow>,
    /// What the model is for, as given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub needs: Option<ModelNeeds>,
}

/// Fact or dimension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TableKind {
    /// A fact table.
    Fact,
    /// A dimension table.
    Dimension,
    /// The SCD Type 4 history of a dimension (one row per change of its Type 4
    /// attributes); generated from the dimension, never written by hand.
    History,
    /// Data Vault hub: hash key, business key, load date, record source.
    Hub,
    /// Data Vault link: hash key of the combined business keys and the hubs' hash keys.
    Link,
    /// Data Vault satellite: parent hash key, load date, hashdiff and attributes.
    Satellite,
}

/// One table of the model.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Table {
    /// Table name.
    pub name: String,
    /// Fact or dimension.
    pub kind: TableKind,
    /// What the table holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Grain statement (facts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grain: Option<String>,
    /// Highest SCD type among attributes (dimensions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scd_type: Option<u8>,
    /// Every column, in DDL order.
    pub columns: Vec<Column>,
    /// Primary key columns.
    #[serde(default)]
    pub primary_key: Vec<String>,
    /// Natural (business) key columns (dimensions).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub natural_key: Vec<String>,
    /// Unique keys besides the primary key.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unique_keys: Vec<Vec<String>>,
    /// Foreign keys to dimensions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub foreign_keys: Vec<ForeignKey>,
    /// Hierarchies (dimensions).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hierarchies: Vec<HierarchySpec>,
    /// Whether an unknown-member row is added.
    #[serde(default)]
    pub unknown_member: bool,
    /// Physical hints.
    #[serde(default)]
    pub physical: PhysicalHints,
}

/// What a column is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ColumnRole {
    /// Warehouse-generated key of a dimension.
    SurrogateKey,
    /// Business key from the source.
    NaturalKey,
    /// Descriptive attribute.
    Attribute,
    /// SCD Type 3 previous value of an attribute.
    PreviousValue,
    /// SCD2 row validity start.
    ValidFrom,
    /// SCD2 row validity end.
    ValidTo,
    /// SCD2 current-row flag.
    IsCurrent,
    /// SCD Type 6 current value of an attribute, the same on every version of a member.
    CurrentValue,
    /// Version number of a Type 4 history row.
    Version,
    /// Data Vault hash key of a hub or link.
    HashKey,
    /// Data Vault hash key of the hub or link a link or satellite references.
    ParentKey,
    /// Data Vault load time.
    LoadDate,
    /// Data Vault record source.
    RecordSource,
    /// Data Vault hash of a satellite row's attributes.
    HashDiff,
    /// Reference to a dimension's surrogate key.
    ForeignKey,
    /// Identifier kept on a fact.
    DegenerateDimension,
    /// Numeric measure.
    Measure,
    /// Any other column.
    Column,
}

impl ColumnRole {
    /// snake_case name (as used by naming rules).
    pub fn as_str(self) -> &'static str {
        match self {
            ColumnRole::SurrogateKey => "surrogate_key",
            ColumnRole::NaturalKey => "natural_key",
            ColumnRole::Attribute => "attribute",
            ColumnRole::PreviousValue => "previous_value",
            ColumnRole::ValidFrom => "valid_from",
            ColumnRole::ValidTo => "valid_to",
            ColumnRole::IsCurrent => "is_current",
            ColumnRole::CurrentValue => "current_value",
            ColumnRole::Version => "version",
            ColumnRole::HashKey => "hash_key",
            ColumnRole::ParentKey => "parent_key",
            ColumnRole::LoadDate => "load_date",
            ColumnRole::RecordSource => "record_source",
            ColumnRole::HashDiff => "hashdiff",
            ColumnRole::ForeignKey => "foreign_key",
            ColumnRole::DegenerateDimension => "degenerate_dimension",
            ColumnRole::Measure => "measure",
            ColumnRole::Column => "column",
        }
    }

    /// Whether dana generated the column (its name follows `naming.generated`).
    pub fn is_generated(self) -> bool {
        matches!(
            self,
            ColumnRole::SurrogateKey
                | ColumnRole::PreviousValue
                | ColumnRole::ValidFrom
                | ColumnRole::ValidTo
                | ColumnRole::IsCurrent
                | ColumnRole::CurrentValue
                | ColumnRole::Version
                | ColumnRole::HashKey
                | ColumnRole::ParentKey
                | ColumnRole::LoadDate
                | ColumnRole::RecordSource
                | ColumnRole::HashDiff
                | ColumnRole::ForeignKey
        )
    }
}

/// One column.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Column {
    /// Column name.
    pub name: String,
    /// Logical type.
    #[serde(rename = "type")]
    pub logical_type: LogicalType,
    /// Whether NULL is allowed.
    pub nullable: bool,
    /// What the column is for.
    pub role: ColumnRole,
    /// SCD type of an attribute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scd_type: Option<u8>,
    /// Additivity of a measure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additivity: Option<Additivity>,
    /// Aggregation of a measure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aggregation: Option<Aggregation>,
    /// What the column holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Staging column it loads from (attributes and natural keys).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// The attribute a previous-value or current-value column tracks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracks: Option<String>,
    /// The dimension a foreign key references.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub references: Option<String>,
}

impl Column {
    fn new(name: &str, logical_type: LogicalType, nullable: bool, role: ColumnRole) -> Self {
        Column {
            name: name.to_string(),
            logical_type,
            nullable,
            role,
            scd_type: None,
            additivity: None,
            aggregation: None,
            description: None,
            source: None,
            tracks: None,
            references: None,
        }
    }

    fn described(mut self, description: Option<&String>) -> Self {
        self.description = description.cloned();
        self
    }

    /// The staging column this column loads from.
    pub fn source_name(&self) -> &str {
        self.source.as_deref().unwrap_or(&self.name)
    }
}

/// A foreign key.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ForeignKey {
    /// Columns on this table.
    pub columns: Vec<String>,
    /// Referenced table.
    pub references: String,
    /// Referenced columns.
    pub referenced_columns: Vec<String>,
}

impl TableKind {
    /// snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            TableKind::Fact => "fact",
            TableKind::Dimension => "dimension",
            TableKind::History => "history",
            TableKind::Hub => "hub",
            TableKind::Link => "link",
            TableKind::Satellite => "satellite",
        }
    }

    /// The Data Vault kind, if this is a vault table.
    pub fn vault(self) -> Option<VaultKind> {
        match self {
            TableKind::Hub => Some(VaultKind::Hub),
            TableKind::Link => Some(VaultKind::Link),
            TableKind::Satellite => Some(VaultKind::Satellite),
            _ => None,
        }
    }
}

impl Table {
    /// The column with this name.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// Columns with this role.
    pub fn columns_with(&self, role: ColumnRole) -> impl Iterator<Item = &Column> {
        self.columns.iter().filter(move |c| c.role == role)
    }

    /// Whether the dimension keeps history (has SCD2 housekeeping columns).
    pub fn is_scd2(&self) -> bool {
        self.columns.iter().any(|c| c.role == ColumnRole::IsCurrent)
    }

    /// The surrogate key column, if any.
    pub fn surrogate_key(&self) -> Option<&Column> {
        self.columns
            .iter()
            .find(|c| c.role == ColumnRole::SurrogateKey)
    }
}

impl Model {
    /// The table with this name.
    pub fn table(&self, name: &str) -> Option<&Table> {
        self.tables.iter().find(|t| t.name == name)
    }

    /// The spec this model normalizes from: what `design_dimensional_model` returns can
    /// be passed as-is to `generate_ddl` (the columns dana generates are dropped and
    /// generated again).
    pub fn to_spec(&self) -> ModelSpec {
        let mut spec = ModelSpec {
            name: self.name.clone(),
            schema: self.schema.clone(),
            bus_matrix: self.bus_matrix.clone(),
            needs: self.needs.clone(),
            ..ModelSpec::default()
        };
        for table in &self.tables {
            match table.kind {
                TableKind::Dimension | TableKind::Hub | TableKind::Link | TableKind::Satellite => {
                    spec.dimensions.push(table.to_dimension_spec())
                }
                TableKind::Fact => spec.facts.push(table.to_fact_spec()),
                // Generated again from its dimension's Type 4 attributes.
                TableKind::History => {}
            }
        }
        spec
    }
}

impl Column {
    fn to_column_spec(&self) -> ColumnSpec {
        ColumnSpec {
            name: self.name.clone(),
            logical_type: self.logical_type,
            nullable: self.nullable,
            description: self.description.clone(),
        }
    }
}

impl Table {
    fn physical_spec(&self) -> Option<PhysicalHints> {
        (self.physical != PhysicalHints::default()).then(|| self.physical.clone())
    }

    /// The dimension spec of a normalized dimension table.
    pub fn to_dimension_spec(&self) -> DimensionSpec {
        DimensionSpec {
            name: self.name.clone(),
            description: self.description.clone(),
            scd_type: None,
            natural_key: self
                .columns_with(ColumnRole::NaturalKey)
                .map(Column::to_column_spec)
                .collect(),
            surrogate_key: self.surrogate_key().map(|c| c.name.clone()),
            attributes: self
                .columns_with(ColumnRole::Attribute)
                .map(|c| AttributeSpec {
                    name: c.name.clone(),
                    logical_type: c.logical_type,
                    scd_type: c.scd_type,
                    source: c.source.clone(),
                    nullable: c.nullable,
                    description: c.description.clone(),
                })
                .collect(),
            hierarchies: self.hierarchies.clone(),
            unknown_member: self.unknown_member,
            physical: self.physical_spec(),
            kind: self.kind.vault(),
            parents: self
                .foreign_keys
                .iter()
                .filter(|_| self.kind.vault().is_some())
                .map(|fk| fk.references.clone())
                .collect(),
        }
    }

    /// The fact spec of a normalized fact table.
    pub fn to_fact_spec(&self) -> FactSpec {
        FactSpec {
            name: self.name.clone(),
            description: self.description.clone(),
            grain: self.grain.clone(),
            measures: self
                .columns_with(ColumnRole::Measure)
                .map(|c| MeasureSpec {
                    name: c.name.clone(),
                    logical_type: c.logical_type,
                    additivity: c.additivity.unwrap_or(Additivity::Additive),
                    aggregation: c.aggregation.unwrap_or(Aggregation::Sum),
                    description: c.description.clone(),
                })
                .collect(),
            degenerate_dimensions: self
                .columns_with(ColumnRole::DegenerateDimension)
                .map(Column::to_column_spec)
                .collect(),
            foreign_keys: self
                .columns_with(ColumnRole::ForeignKey)
                .map(|c| ForeignKeySpec {
                    dimension: c.references.clone().unwrap_or_default(),
                    column: Some(c.name.clone()),
                    description: c.description.clone(),
                })
                .collect(),
            columns: self
                .columns
                .iter()
                .filter(|c| {
                    !c.role.is_generated()
                        && !matches!(
                            c.role,
                            ColumnRole::Measure
                                | ColumnRole::DegenerateDimension
                                | ColumnRole::NaturalKey
                                | ColumnRole::Attribute
                        )
                })
                .map(Column::to_column_spec)
                .collect(),
            primary_key: self.primary_key.clone(),
            physical: self.physical_spec(),
        }
    }
}

/// A problem found while normalizing, before playbook text is attached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawFinding {
    /// Check id.
    pub id: &'static str,
    /// Table concerned.
    pub table: Option<String>,
    /// Column concerned.
    pub column: Option<String>,
    /// Extra detail for the message.
    pub detail: Option<String>,
}

impl RawFinding {
    /// A finding about a table (and optionally a column).
    pub fn new(
        id: &'static str,
        table: &str,
        column: Option<&str>,
        detail: Option<String>,
    ) -> Self {
        RawFinding {
            id,
            table: Some(table.to_string()),
            column: column.map(str::to_string),
            detail,
        }
    }
}

/// The default surrogate key name of a dimension: `dim_customers` → `customer_key`.
pub fn default_surrogate_key(dimension: &str, naming: &NamingBook) -> String {
    let prefix = naming.prefix("dimension").unwrap_or("dim_");
    let entity = dimension.strip_prefix(prefix).unwrap_or(dimension);
    let singular = if let Some(stem) = entity.strip_suffix("ies") {
        format!("{stem}y")
    } else if entity.ends_with("ss") || entity.ends_with("us") || entity.ends_with("is") {
        entity.to_string()
    } else if let Some(stem) = entity.strip_suffix('s') {
        stem.to_string()
    } else {
        entity.to_string()
    };
    format!("{singular}{}", naming.generated.surrogate_key_suffix)
}

/// Longest name dana derives for a column (PostgreSQL's 63 bytes, the shortest limit of
/// the engines).
const DERIVED_NAME_BYTES: usize = 63;

/// `<prefix><attribute>` (`previous_tier`, `current_tier`), shortened with a hash of the
/// full name when it would be longer than any engine accepts.
pub(crate) fn derived_name(prefix: &str, attribute: &str) -> String {
    let full = format!("{prefix}{attribute}");
    if full.len() <= DERIVED_NAME_BYTES {
        return full;
    }
    let digest = Sha256::digest(full.as_bytes());
    let tag = hex::encode(&digest[..4]);
    let mut stem = full;
    while stem.len() + 1 + tag.len() > DERIVED_NAME_BYTES {
        stem.pop();
    }
    format!("{stem}_{tag}")
}

/// Checks a physical partition window: both ends or none, ISO dates, from before to.
fn check_window(field: &str, physical: &PhysicalHints) -> Result<()> {
    let parse = |end: &str, value: &str| {
        chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d").map_err(|_| {
            Error::invalid(format!(
                "{field}.physical.{end}: `{value}` is not an ISO date (YYYY-MM-DD)"
            ))
        })
    };
    match (
        physical.partition_from.as_deref(),
        physical.partition_to.as_deref(),
    ) {
        (None, None) => Ok(()),
        (Some(from), Some(to)) => {
            if parse("partition_from", from)? >= parse("partition_to", to)? {
                return Err(Error::invalid(format!(
                    "{field}.physical.partition_to: `{to}` must be after partition_from `{from}`"
                )));
            }
            if physical.partition_by.is_none() {
                return Err(Error::invalid(format!(
                    "{field}.physical.partition_from: a partition window needs partition_by"
                )));
            }
            Ok(())
        }
        (Some(_), None) => Err(Error::invalid(format!(
            "{field}.physical.partition_to: required with partition_from"
        ))),
        (None, Some(_)) => Err(Error::invalid(format!(
            "{field}.physical.partition_from: required with partition_to"
        ))),
    }
}

fn check_name(field: &str, name: &str) -> Result<()> {
    if name.trim().is_empty() {
        return Err(Error::invalid(format!("{field}: name is empty")));
    }
    Ok(())
}

fn check_scd(field: &str, scd: Option<u8>) -> Result<()> {
    match scd {
        None | Some(1..=4 | 6) => Ok(()),
        Some(other) => Err(Error::invalid(format!(
            "{field}: scd_type `{other}` is not supported; allowed: 1 (overwrite), 2 (history), 3 (previous value), 4 (history table), 6 (2 plus current_ columns)"
        ))),
    }
}

/// Normalizes a model spec. Input that cannot be read at all is an error naming the
/// field; design problems (unknown dimensions, duplicates, …) become findings.
pub fn normalize(spec: &ModelSpec, naming: &NamingBook) -> Result<(Model, Vec<RawFinding>)> {
    check_name("name", &spec.name)?;
    let mut findings = Vec::new();
    let mut seen = BTreeSet::new();
    let mut tables = Vec::new();
    let mut keys: HashMap<&str, String> = HashMap::new();
    for (i, dim) in spec.dimensions.iter().enumerate() {
        let (table, history) = match dim.kind {
            Some(kind) => (normalize_vault(dim, kind, i, naming, &mut findings)?, None),
            None => normalize_dimension(dim, i, naming, &mut findings)?,
        };
        if let Some(key) = table.surrogate_key() {
            keys.entry(dim.name.as_str())
                .or_insert_with(|| key.name.clone());
        }
        if !seen.insert(table.name.to_lowercase()) {
            findings.push(RawFinding::new(
                "MOD-DUPLICATE-TABLE",
                &table.name,
                None,
                None,
            ));
        }
        tables.push(table);
        if let Some(history) = history {
            if !seen.insert(history.name.to_lowercase()) {
                findings.push(RawFinding::new(
                    "MOD-DUPLICATE-TABLE",
                    &history.name,
                    None,
                    Some(format!("the Type 4 history of `{}`", dim.name)),
                ));
            }
            tables.push(history);
        }
    }
    for (i, fact) in spec.facts.iter().enumerate() {
        let table = normalize_fact(fact, i, &keys, &mut findings)?;
        if !seen.insert(table.name.to_lowercase()) {
            findings.push(RawFinding::new(
                "MOD-DUPLICATE-TABLE",
                &table.name,
                None,
                None,
            ));
        }
        tables.push(table);
    }
    check_vault(&tables, &mut findings);
    // Hubs before the links and satellites that reference them, links before their
    // satellites (a stable sort: dimensions and facts keep their order).
    tables.sort_by_key(|t| match t.kind {
        TableKind::Link => 1,
        TableKind::Satellite => 2,
        TableKind::Fact => 3,
        _ => 0,
    });
    for table in &tables {
        check_columns(table, &mut findings);
    }
    Ok((
        Model {
            name: spec.name.clone(),
            schema: spec.schema.clone(),
            tables,
            bus_matrix: spec.bus_matrix.clone(),
            needs: spec.needs.clone(),
        },
        findings,
    ))
}

fn plain(spec: &ColumnSpec, role: ColumnRole, force_not_null: bool) -> Column {
    Column::new(
        &spec.name,
        spec.logical_type,
        spec.nullable && !force_not_null,
        role,
    )
    .described(spec.description.as_ref())
}

/// Whether attributes of this SCD type are versioned (new row per change).
pub fn is_versioned(scd: u8) -> bool {
    matches!(scd, 2 | 6)
}

fn normalize_dimension(
    dim: &DimensionSpec,
    index: usize,
    naming: &NamingBook,
    findings: &mut Vec<RawFinding>,
) -> Result<(Table, Option<Table>)> {
    let field = format!("dimensions[{index}]");
    check_name(&format!("{field}.name"), &dim.name)?;
    check_scd(&format!("{field}.scd_type"), dim.scd_type)?;
    let default_scd = dim.scd_type.unwrap_or(1);
    let generated = &naming.generated;
    let key_name = dim
        .surrogate_key
        .clone()
        .unwrap_or_else(|| default_surrogate_key(&dim.name, naming));
    let mut columns = vec![
        Column::new(
            &key_name,
            LogicalType::BigInt,
            false,
            ColumnRole::SurrogateKey,
        )
        .described(Some(&format!("Surrogate key of {}", dim.name))),
    ];
    if dim.natural_key.is_empty() {
        findings.push(RawFinding::new(
            "MOD-NATURAL-KEY-MISSING",
            &dim.name,
            None,
            None,
        ));
    }
    let mut keys = Vec::new();
    for (j, nk) in dim.natural_key.iter().enumerate() {
        check_name(&format!("{field}.natural_key[{j}].name"), &nk.name)?;
        keys.push(plain(nk, ColumnRole::NaturalKey, true));
    }
    columns.extend(keys.iter().cloned());
    let mut max_scd = 1;
    let mut history_attributes = Vec::new();
    for (j, attr) in dim.attributes.iter().enumerate() {
        check_name(&format!("{field}.attributes[{j}].name"), &attr.name)?;
        check_scd(&format!("{field}.attributes[{j}].scd_type"), attr.scd_type)?;
        let scd = attr.scd_type.unwrap_or(default_scd);
        max_scd = max_scd.max(scd);
        let mut column = attribute_column(attr);
        column.scd_type = Some(scd);
        columns.push(column.clone());
        let tracking = |prefix: &str, role: ColumnRole, nullable: bool, what: &str| {
            let mut c = Column::new(
                &derived_name(prefix, &attr.name),
                attr.logical_type,
                nullable,
                role,
            );
            c.tracks = Some(attr.name.clone());
            c.description = Some(format!("{what} of {}", attr.name));
            c
        };
        match scd {
            3 => columns.push(tracking(
                &generated.previous_prefix,
                ColumnRole::PreviousValue,
                true,
                "Previous value",
            )),
            6 => columns.push(tracking(
                &generated.current_prefix,
                ColumnRole::CurrentValue,
                attr.nullable,
                "Current value (on every version)",
            )),
            4 => history_attributes.push(column),
            _ => {}
        }
    }
    let has_type2 = dim
        .attributes
        .iter()
        .any(|a| is_versioned(a.scd_type.unwrap_or(default_scd)));
    if is_versioned(default_scd) && !has_type2 {
        findings.push(RawFinding::new("MOD-SCD2-UNTRACKED", &dim.name, None, None));
    }
    let valid_from = Column::new(
        &generated.valid_from,
        LogicalType::TimestampTz,
        false,
        ColumnRole::ValidFrom,
    );
    if has_type2 {
        columns.push(
            valid_from
                .clone()
                .described(Some(&"When this version became current".to_string())),
        );
        columns.push(
            Column::new(
                &generated.valid_to,
                LogicalType::TimestampTz,
                false,
                ColumnRole::ValidTo,
            )
            .described(Some(
                &"When this version stopped being current (far future while current)".to_string(),
            )),
        );
        columns.push(
            Column::new(
                &generated.is_current,
                LogicalType::Boolean,
                false,
                ColumnRole::IsCurrent,
            )
            .described(Some(&"Whether this is the current version".to_string())),
        );
    }
    let natural_key: Vec<String> = dim.natural_key.iter().map(|c| c.name.clone()).collect();
    let unique_keys = if has_type2 || natural_key.is_empty() {
        Vec::new()
    } else {
        vec![natural_key.clone()]
    };
    let attributes: BTreeSet<&str> = dim.attributes.iter().map(|a| a.name.as_str()).collect();
    for h in &dim.hierarchies {
        for level in &h.levels {
            if !attributes.contains(level.as_str()) && !natural_key.contains(level) {
                findings.push(RawFinding::new(
                    "MOD-HIERARCHY-LEVEL",
                    &dim.name,
                    Some(level),
                    None,
                ));
            }
        }
    }
    let physical = dim.physical.clone().unwrap_or_default();
    check_window(&field, &physical)?;
    if physical.partition_by.is_some() {
        findings.push(RawFinding::new(
            "MOD-PARTITION-DIMENSION",
            &dim.name,
            None,
            None,
        ));
    }
    // Type 4: the changes of the Type 4 attributes, one row per member and change,
    // numbered per member (the number, not the time, keys the row: two loads within
    // one tick of the engine's clock stay distinct).
    let history = (!history_attributes.is_empty()).then(|| {
        let mut columns = keys.clone();
        columns.extend(history_attributes);
        columns.push(valid_from.clone().described(Some(
            &"When the change was loaded or took effect".to_string(),
        )));
        columns.push(
            Column::new(
                &generated.version,
                LogicalType::Integer,
                false,
                ColumnRole::Version,
            )
            .described(Some(&"Change number of the member, from 1".to_string())),
        );
        let mut primary_key = natural_key.clone();
        primary_key.push(generated.version.clone());
        Table {
            name: derived_name(&dim.name, &generated.history_suffix),
            kind: TableKind::History,
            description: Some(format!("History of the Type 4 attributes of {}", dim.name)),
            grain: None,
            scd_type: Some(4),
            columns,
            primary_key,
            natural_key: natural_key.clone(),
            unique_keys: Vec::new(),
            foreign_keys: Vec::new(),
            hierarchies: Vec::new(),
            unknown_member: false,
            physical: PhysicalHints::default(),
        }
    });
    let table = Table {
        name: dim.name.clone(),
        kind: TableKind::Dimension,
        description: dim.description.clone(),
        grain: None,
        // Versioned dimensions are Type 2 (or 6 with current_ columns) whatever else
        // they mix in; others take their highest type (1, 3 or 4).
        scd_type: Some(match (has_type2, max_scd) {
            (true, 6) => 6,
            (true, _) => 2,
            (false, scd) => scd,
        }),
        columns,
        primary_key: vec![key_name],
        natural_key,
        unique_keys,
        foreign_keys: Vec::new(),
        hierarchies: dim.hierarchies.clone(),
        unknown_member: dim.unknown_member,
        physical,
    };
    Ok((table, history))
}

/// The hash key name of a vault table: `hub_customer` → `customer_hk`.
pub fn hash_key_name(table: &str, naming: &NamingBook) -> String {
    let generated = &naming.generated;
    let entity = generated
        .vault_prefixes
        .iter()
        .find_map(|p| table.strip_prefix(p.as_str()).filter(|e| !e.is_empty()))
        .unwrap_or(table);
    derived_name(entity, &generated.hash_key_suffix)
}

/// Type of hash keys and hashdiffs: lowercase hex MD5.
const HASH_TYPE: LogicalType = LogicalType::String(Some(32));

fn normalize_vault(
    dim: &DimensionSpec,
    kind: VaultKind,
    index: usize,
    naming: &NamingBook,
    findings: &mut Vec<RawFinding>,
) -> Result<Table> {
    let field = format!("dimensions[{index}]");
    check_name(&format!("{field}.name"), &dim.name)?;
    let generated = &naming.generated;
    let shape = |findings: &mut Vec<RawFinding>, detail: &str| {
        findings.push(RawFinding::new(
            "MOD-VAULT-SHAPE",
            &dim.name,
            None,
            Some(detail.to_string()),
        ))
    };
    let kind_name = match kind {
        VaultKind::Hub => TableKind::Hub,
        VaultKind::Link => TableKind::Link,
        VaultKind::Satellite => TableKind::Satellite,
    };
    if dim.scd_type.is_some() || dim.surrogate_key.is_some() || dim.unknown_member {
        shape(
            findings,
            "scd_type, surrogate_key and unknown_member do not apply to Data Vault tables",
        );
    }
    let mut columns = Vec::new();
    let mut foreign_keys = Vec::new();
    let mut primary_key = Vec::new();
    let hash_key = |name: String, role: ColumnRole, what: String| {
        Column::new(&name, HASH_TYPE, false, role).described(Some(&what))
    };
    match kind {
        VaultKind::Hub | VaultKind::Link => {
            let hk = hash_key_name(&dim.name, naming);
            let what = if kind == VaultKind::Hub {
                "Hash of the business key"
            } else {
                "Hash of the business keys of the linked hubs"
            };
            columns.push(hash_key(hk.clone(), ColumnRole::HashKey, what.to_string()));
            primary_key.push(hk);
        }
        VaultKind::Satellite => {}
    }
    match kind {
        VaultKind::Hub => {
            if dim.natural_key.is_empty() {
                shape(findings, "a hub needs its business key in natural_key");
            }
            if !dim.parents.is_empty() {
                shape(findings, "a hub has no parents");
            }
            for (j, nk) in dim.natural_key.iter().enumerate() {
                check_name(&format!("{field}.natural_key[{j}].name"), &nk.name)?;
                columns.push(plain(nk, ColumnRole::NaturalKey, true));
            }
        }
        VaultKind::Link => {
            if dim.parents.len() < 2 {
                shape(findings, "a link joins at least two hubs (parents)");
            }
            if !dim.natural_key.is_empty() {
                shape(
                    findings,
                    "a link takes its business keys from its hubs: leave natural_key empty",
                );
            }
        }
        VaultKind::Satellite => {
            if dim.parents.len() != 1 {
                shape(
                    findings,
                    "a satellite describes exactly one hub or link (parents)",
                );
            }
            if dim.attributes.is_empty() {
                shape(findings, "a satellite needs attributes");
            }
            if !dim.natural_key.is_empty() {
                shape(
                    findings,
                    "a satellite takes its key from its parent: leave natural_key empty",
                );
            }
        }
    }
    if kind != VaultKind::Hub {
        for (j, parent) in dim.parents.iter().enumerate() {
            check_name(&format!("{field}.parents[{j}]"), parent)?;
            let hk = hash_key_name(parent, naming);
            let mut column = hash_key(
                hk.clone(),
                ColumnRole::ParentKey,
                format!("Hash key of {parent}"),
            );
            column.references = Some(parent.clone());
            columns.push(column);
            foreign_keys.push(ForeignKey {
                columns: vec![hk.clone()],
                references: parent.clone(),
                referenced_columns: vec![hk.clone()],
            });
            if kind == VaultKind::Satellite {
                primary_key.push(hk);
            }
        }
    }
    columns.push(
        Column::new(
            &generated.load_date,
            LogicalType::TimestampTz,
            false,
            ColumnRole::LoadDate,
        )
        .described(Some(&"When the row was loaded".to_string())),
    );
    if kind == VaultKind::Satellite {
        primary_key.push(generated.load_date.clone());
        columns.push(hash_key(
            generated.hashdiff.clone(),
            ColumnRole::HashDiff,
            "Hash of the attributes, to detect changes".to_string(),
        ));
        for (j, attr) in dim.attributes.iter().enumerate() {
            check_name(&format!("{field}.attributes[{j}].name"), &attr.name)?;
            columns.push(attribute_column(attr));
        }
    } else if !dim.attributes.is_empty() {
        shape(
            findings,
            "hubs and links hold no attributes: put them in a satellite",
        );
    }
    columns.push(
        Column::new(
            &generated.record_source,
            LogicalType::String(Some(255)),
            false,
            ColumnRole::RecordSource,
        )
        .described(Some(&"Source the row was loaded from".to_string())),
    );
    let physical = dim.physical.clone().unwrap_or_default();
    check_window(&field, &physical)?;
    Ok(Table {
        name: dim.name.clone(),
        kind: kind_name,
        description: dim.description.clone(),
        grain: None,
        scd_type: None,
        columns,
        primary_key,
        natural_key: dim.natural_key.iter().map(|c| c.name.clone()).collect(),
        unique_keys: Vec::new(),
        foreign_keys,
        hierarchies: Vec::new(),
        unknown_member: false,
        physical,
    })
}

/// The business-key columns a vault table's hash key is computed from: a hub's own, a
/// link's hubs' in parent order, a satellite's parent's. `None` when a parent is not a
/// hub or link of the model (reported by [`check_vault`]).
pub fn business_keys<'a>(tables: &'a [Table], table: &'a Table) -> Option<Vec<&'a Column>> {
    fn walk<'a>(tables: &'a [Table], table: &'a Table, depth: u8) -> Option<Vec<&'a Column>> {
        match table.kind {
            TableKind::Hub => Some(table.columns_with(ColumnRole::NaturalKey).collect()),
            TableKind::Link | TableKind::Satellite if depth < 2 => {
                let mut keys = Vec::new();
                for fk in &table.foreign_keys {
                    let parent = tables.iter().find(|t| t.name == fk.references)?;
                    let allowed = match table.kind {
                        TableKind::Link => parent.kind == TableKind::Hub,
                        _ => matches!(parent.kind, TableKind::Hub | TableKind::Link),
                    };
                    if !allowed {
                        return None;
                    }
                    keys.extend(walk(tables, parent, depth + 1)?);
                }
                Some(keys)
            }
            _ => None,
        }
    }
    walk(tables, table, 0)
}

/// Links and satellites reference hubs (and links) of the model, and the staging
/// columns a link or satellite reads its business keys from are distinct.
fn check_vault(tables: &[Table], findings: &mut Vec<RawFinding>) {
    for table in tables
        .iter()
        .filter(|t| matches!(t.kind, TableKind::Link | TableKind::Satellite))
    {
        let Some(keys) = business_keys(tables, table) else {
            let wanted = if table.kind == TableKind::Link {
                "hubs"
            } else {
                "a hub or a link"
            };
            let parents: Vec<&str> = table
                .foreign_keys
                .iter()
                .map(|fk| fk.references.as_str())
                .collect();
            findings.push(RawFinding::new(
                "MOD-VAULT-PARENT",
                &table.name,
                None,
                Some(format!(
                    "`{}` must name {wanted} of the model",
                    parents.join("`, `")
                )),
            ));
            continue;
        };
        let mut seen = BTreeSet::new();
        for key in keys {
            if !seen.insert(key.source_name().to_lowercase()) {
                findings.push(RawFinding::new(
                    "MOD-VAULT-SHAPE",
                    &table.name,
                    Some(key.source_name()),
                    Some(format!(
                        "two of its hubs read business key `{}` from staging: give one a distinct name, or a source",
                        key.source_name()
                    )),
                ));
            }
        }
    }
}

fn normalize_fact(
    fact: &FactSpec,
    index: usize,
    keys: &HashMap<&str, String>,
    findings: &mut Vec<RawFinding>,
) -> Result<Table> {
    let field = format!("facts[{index}]");
    check_name(&format!("{field}.name"), &fact.name)?;
    let mut columns = Vec::new();
    let mut foreign_keys = Vec::new();
    for (j, fk) in fact.foreign_keys.iter().enumerate() {
        check_name(
            &format!("{field}.foreign_keys[{j}].dimension"),
            &fk.dimension,
        )?;
        let Some(key) = keys.get(fk.dimension.as_str()) else {
            findings.push(RawFinding::new(
                "MOD-FK-UNKNOWN-DIMENSION",
                &fact.name,
                fk.column.as_deref(),
                Some(fk.dimension.clone()),
            ));
            continue;
        };
        let name = fk.column.clone().unwrap_or_else(|| key.clone());
        check_name(&format!("{field}.foreign_keys[{j}].column"), &name)?;
        let mut column = Column::new(&name, LogicalType::BigInt, false, ColumnRole::ForeignKey);
        column.references = Some(fk.dimension.clone());
        column.description = fk
            .description
            .clone()
            .or_else(|| Some(format!("References {}", fk.dimension)));
        columns.push(column);
        foreign_keys.push(ForeignKey {
            columns: vec![name],
            references: fk.dimension.clone(),
            referenced_columns: vec![key.clone()],
        });
    }
    for (j, dd) in fact.degenerate_dimensions.iter().enumerate() {
        check_name(
            &format!("{field}.degenerate_dimensions[{j}].name"),
            &dd.name,
        )?;
        columns.push(plain(dd, ColumnRole::DegenerateDimension, false));
    }
    for (j, m) in fact.measures.iter().enumerate() {
        check_name(&format!("{field}.measures[{j}].name"), &m.name)?;
        let mut column = Column::new(&m.name, m.logical_type, true, ColumnRole::Measure)
            .described(m.description.as_ref());
        column.additivity = Some(m.additivity);
        column.aggregation = Some(m.aggregation);
        columns.push(column);
    }
    for (j, c) in fact.columns.iter().enumerate() {
        check_name(&format!("{field}.columns[{j}].name"), &c.name)?;
        columns.push(plain(c, ColumnRole::Column, false));
    }
    let physical = fact.physical.clone().unwrap_or_default();
    check_window(&field, &physical)?;
    let table = Table {
        name: fact.name.clone(),
        kind: TableKind::Fact,
        description: fact.description.clone(),
        grain: fact.grain.clone(),
        scd_type: None,
        columns,
        primary_key: fact.primary_key.clone(),
        natural_key: Vec::new(),
        unique_keys: Vec::new(),
        foreign_keys,
        hierarchies: Vec::new(),
        unknown_member: false,
        physical,
    };
    if table.columns.is_empty() {
        findings.push(RawFinding::new(
            "MOD-TABLE-NO-COLUMNS",
            &table.name,
            None,
            None,
        ));
    }
    for column in &table.primary_key {
        if table.column(column).is_none() {
            findings.push(RawFinding::new(
                "MOD-HINT-COLUMN",
                &table.name,
                Some(column),
                Some("primary key".into()),
            ));
        }
    }
    Ok(table)
}

/// The column of a declared attribute (role, type, nullability, description, source).
fn attribute_column(attr: &AttributeSpec) -> Column {
    let mut column = Column::new(
        &attr.name,
        attr.logical_type,
        attr.nullable,
        ColumnRole::Attribute,
    )
    .described(attr.description.as_ref());
    column.source = attr.source.clone();
    column
}

/// Columns whose names are equal ignoring case clash: engines fold or compare column
/// names case-insensitively (MySQL, SQLite, DuckDB, unquoted PostgreSQL), so dana refuses
/// them everywhere.
fn check_columns(table: &Table, findings: &mut Vec<RawFinding>) {
    let mut seen: HashMap<String, &Column> = HashMap::new();
    for c in &table.columns {
        if let Some(first) = seen.insert(c.name.to_lowercase(), c) {
            let detail = if first.name == c.name {
                format!("{} and {}", first.role.as_str(), c.role.as_str())
            } else {
                format!(
                    "{} `{}` and {} `{}` differ only by case",
                    first.role.as_str(),
                    first.name,
                    c.role.as_str(),
                    c.name
                )
            };
            findings.push(RawFinding::new(
                "MOD-DUPLICATE-COLUMN",
                &table.name,
                Some(&c.name),
                Some(detail),
            ));
        }
    }
    let p = &table.physical;
    let mut hinted: Vec<(&str, &str)> = Vec::new();
    if let Some(c) = &p.partition_by {
        hinted.push((c, "partition"));
    }
    hinted.extend(p.cluster_by.iter().map(|c| (c.as_str(), "cluster")));
    if let Some(c) = &p.dist_key {
        hinted.push((c, "distribution key"));
    }
    hinted.extend(p.sort_key.iter().map(|c| (c.as_str(), "sort key")));
    for (column, what) in hinted {
        if table.column(column).is_none() {
            findings.push(RawFinding::new(
                "MOD-HINT-COLUMN",
                &table.name,
                Some(column),
                Some(what.to_string()),
            ));
        }
    }
}
