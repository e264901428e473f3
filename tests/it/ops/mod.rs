//! Architecture, pipelines, optimization, costs and operations: decision tables, SQL
//! review fixtures, engine runs of generated SQL and EXPLAIN, golden files, tool surface,
//! failure triage on real engine messages.

mod decisions;
mod engines;
mod golden;
mod layers;
mod questions;
mod sql_review;
mod surface;
mod triage;

use dana::playbook::Playbooks;

/// The embedded playbooks.
pub fn books() -> Playbooks {
    Playbooks::embedded().expect("embedded playbooks are valid")
}
