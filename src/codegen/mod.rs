//! Code dana hands over to other engines: a dbt project, orchestrator code (Airflow,
//! Dagster, Prefect), quality suites (Great Expectations, Soda). Every identifier or string
//! that comes from user input reaches generated text through exactly one escaping module per
//! target language: SQL through [`crate::dialect::ident`], YAML through [`yaml`], Python
//! through [`python`], Jinja through [`jinja`]. Generated files are returned as
//! [`GeneratedFile`]s (a path relative to the project folder and its text), never written by
//! the tool itself.

pub mod dbt;
pub mod jinja;
pub mod orchestrate;
pub mod python;
pub mod suites;
pub mod yaml;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One generated file: where it goes in the target project and what it holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct GeneratedFile {
    /// Path relative to the project folder, `/`-separated (e.g. `models/staging/stg_orders.sql`).
    pub path: String,
    /// The file's text.
    pub content: String,
}
