//! dana, the Data Architecture Navigator: an MCP server and CLI that turns a
//! data-engineering methodology (playbooks) into typed tools, prompts and
//! human-approved quality gates.
//!
//! Data flows one way: an MCP or CLI request becomes typed params, a domain function
//! computes the result from playbooks, dialects and templates, optionally touching a
//! live datasource or the state store, and returns a typed result. `server/` and `cli/`
//! hold no methodology logic.

pub mod app;
pub mod cli;
pub mod codegen;
pub mod config;
pub mod dialect;
pub mod domain;
pub mod error;
pub mod live;
pub mod playbook;
pub mod protocol;
pub mod render;
pub mod sanitize;
pub mod server;
pub mod store;

pub use app::App;
pub use error::{Error, Result};
