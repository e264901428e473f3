//! Dimensional modeling: design a Kimball model (normalize, check, draw), generate its
//! DDL for a dialect, and generate the SCD loads of its dimensions; Data Vault 2.0 hubs,
//! links and satellites ride in the same model (a dimension with a `kind`).
//!
//! The normalized [`Model`] (tables with every column, keys and hints) is the shared
//! currency: DDL, SCD loads, data contracts and schema diffs are built from it.

pub mod ddl;
pub mod design;
pub mod methodology;
pub mod model;
pub mod scd;
pub mod spec;
pub mod vault;

pub use ddl::{
    DdlOptions, DdlOutput, DdlStatement, GenerateDdlParams, StatementKind, generate, generate_ddl,
};
pub use design::{
    DesignDimensionalModelParams, DesignOutput, Finding, ModelSummary, buildable_model, design,
};
pub use model::{
    Column, ColumnRole, ForeignKey, Model, Table, TableKind, business_keys, hash_key_name,
    normalize,
};
pub use scd::{
    GenerateScdMergeParams, ScdMergeOutput, ScdStatement, ScdStrategy, generate_scd_merge,
};
pub use spec::{
    Additivity, Aggregation, AttributeSpec, BusRow, ColumnSpec, DimensionSpec, FactSpec,
    ForeignKeySpec, HierarchySpec, MeasureSpec, ModelNeeds, ModelSpec, PhysicalHints, Serves,
    VaultKind,
};

use crate::App;
use crate::dialect::{self, SqlDialect};
use crate::error::{Error, Result};

/// The dialect named in params, else the workspace's `default_dialect`.
pub fn resolve_dialect(app: &App, name: Option<&str>) -> Result<&'static dyn SqlDialect> {
    match name.or(app.workspace.config.default_dialect.as_deref()) {
        Some(name) => dialect::by_name(name).map_err(|e| Error::invalid(format!("dialect: {e}"))),
        None => Err(Error::invalid(format!(
            "dialect: required (no default_dialect in dana.toml); valid: {}",
            dialect::NAMES.join(", ")
        ))),
    }
}
