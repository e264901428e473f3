//! Toolsets: tools grouped so a client loads only what it needs (`--toolsets`,
//! `toolsets = [...]` in `dana.toml`).

use crate::error::{Error, Result};

/// Every toolset: (name, what it holds).
pub const TOOLSETS: &[(&str, &str)] = &[
    ("protocol", "projects, phases, gates and phase documents"),
    ("discovery", "architecture assessment and source profiling"),
    ("modeling", "dimensional models, DDL and SCD loads"),
    ("pipeline", "pipeline design, backfills and test plans"),
    ("quality", "quality checks, data contracts and schema diffs"),
    ("optimize", "SQL review and cost review"),
    ("govern", "classification, catalog, monitoring, runbooks and triage"),
    ("scoring", "the 0-100 infrastructure rubric"),
];

/// Parses a list of toolset names (`None` or empty = all); an unknown name is an error
/// listing the valid ones.
pub fn resolve(names: Option<&[String]>) -> Result<Vec<&'static str>> {
    let all: Vec<&'static str> = TOOLSETS.iter().map(|(n, _)| *n).collect();
    let Some(names) = names.filter(|n| !n.is_empty()) else {
        return Ok(all);
    };
    let mut enabled = Vec::new();
    for name in names {
        let name = name.trim();
        if name == "all" {
            return Ok(all);
        }
        match all.iter().find(|n| **n == name) {
            Some(n) => {
                if !enabled.contains(n) {
                    enabled.push(*n);
                }
            }
            None => {
                return Err(Error::invalid(format!(
                    "unknown toolset `{name}`; valid: {}, or `all`",
                    all.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
                )));
            }
        }
    }
    Ok(enabled)
}
