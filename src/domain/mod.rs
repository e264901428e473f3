//! Typed inputs and outputs of every tool, and the pure functions that compute them.
//! One module per area; nothing here knows about MCP.

pub mod datasource;
pub mod governance;
pub mod modeling;
pub mod project;
pub mod quality;
pub mod scoring;
