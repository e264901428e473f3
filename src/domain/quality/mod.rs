//! Data quality against the real database: table specs, profiles of live tables,
//! quality checks generated from either, and their execution on a named datasource.
//! The types here are public and reused by contracts and PII classification.

pub mod spec;

pub use spec::{
    ColumnSpec, ForeignKeySpec, FreshnessSpec, Measure, ReconciliationSpec, TableSpec, TypeFamily,
    VolumeSpec,
};
