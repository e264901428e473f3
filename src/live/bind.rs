//! Checks bind to the datasource they run on (issue 16 item 1). A check suggested from
//! another datasource's profile carries that datasource's schema (`"schema": "clean_db"`);
//! run elsewhere it would read the other schema (or be refused by the query gate). Such a
//! check is rebound to this datasource's schema when the table exists there, and refused
//! with a message naming both schemas otherwise. Checks without a schema get the
//! datasource's.

use std::collections::BTreeSet;

use super::{Datasource, Engine};
use crate::domain::quality::checks::QualityCheck;
use crate::error::{Error, Result};

/// Binds every check's `schema` (and `params.ref_schema`) to `ds`.
pub async fn bind_checks(ds: &Datasource, checks: &mut [QualityCheck]) -> Result<()> {
    let facts = ds.facts().await?;
    let home = match ds.engine {
        // SQLite names tables without a schema (`main` is the only one allowed).
        Engine::Sqlite => None,
        _ => Some(facts.schema().to_string()),
    };
    let inside = |schema: &str| match ds.engine {
        Engine::Sqlite => schema.eq_ignore_ascii_case("main"),
        _ => facts.scope.schemas.iter().any(|s| s == schema),
    };
    let mut tables: Option<BTreeSet<String>> = None;
    for (i, check) in checks.iter_mut().enumerate() {
        let targets = [
            (Some(check.table.clone()), check.schema.clone(), false),
            (
                check.params.ref_table.clone(),
                check.params.ref_schema.clone(),
                true,
            ),
        ];
        for (table, schema, is_ref) in targets {
            let Some(table) = table else { continue };
            let bound = match schema {
                None => home.clone(),
                Some(s) if inside(&s) => Some(s),
                Some(s) => {
                    if tables.is_none() {
                        let specs = super::introspect(ds, None).await?;
                        tables = Some(specs.into_iter().map(|t| t.name).collect());
                    }
                    let here = tables.as_ref().is_some_and(|t| t.contains(&table));
                    if !here {
                        return Err(Error::invalid(format!(
                            "checks[{i}] (`{}`): {} `{table}` is in schema `{s}`, which datasource `{}` does not read (its schema: `{}`), and `{}` has no table `{table}` to rebind it to; generate the check from this datasource's profile, or drop `schema` to use the datasource's",
                            check.id,
                            if is_ref { "referenced table" } else { "table" },
                            ds.name,
                            facts.schema(),
                            ds.name,
                        )));
                    }
                    tracing::info!(datasource = %ds.name, check = %check.id, from = %s, "check rebound to the datasource's schema");
                    home.clone()
                }
            };
            if let Some(schema) = &bound {
                let mut columns = if is_ref {
                    check.params.ref_columns.clone().unwrap_or_default()
                } else {
                    check.columns.clone()
                };
                let partition = if is_ref {
                    (check.params.other_partition_column.as_ref())
                        .or(check.params.partition_column.as_ref())
                } else {
                    check.params.partition_column.as_ref()
                };
                columns.extend(partition.cloned());
                for column in columns {
                    let key = (schema.clone(), table.clone(), column);
                    if facts.loose_text.contains(&key) && !check.loose_text.contains(&key.2) {
                        check.loose_text.push(key.2);
                    }
                }
            }
            if is_ref {
                check.params.ref_schema = bound;
            } else {
                check.schema = bound;
            }
        }
    }
    Ok(())
}
