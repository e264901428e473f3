//! Typed inputs and outputs of every tool, and the pure functions that compute them.
//! One module per area; nothing here knows about MCP.

pub mod architecture;
pub mod backfill;
pub mod cdc;
pub mod costs;
pub mod datasource;
pub mod governance;
pub mod modeling;
pub mod monitoring;
pub mod operations;
pub mod pipeline;
pub mod project;
pub mod quality;
pub mod scoring;
pub mod sql_review;
