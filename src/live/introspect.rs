//! Schema introspection: tables, columns, types, primary/unique/foreign keys and the
//! catalog's row estimate, from each engine's catalog. Static SQL with bind parameters.

use std::collections::BTreeMap;

use super::{Bind, Cell, Datasource, Engine, Rows};
use crate::domain::quality::spec::{ColumnSpec, ForeignKeySpec, TableSpec};
use crate::error::{Error, Result};

/// Separator of column lists aggregated in SQL (a control character no name holds).
const SEP: char = '\u{1f}';

/// The tables of the datasource's schema (all, or those named in `only`, in that order).
/// An unknown table name is an error listing the tables that exist.
pub async fn introspect(ds: &Datasource, only: Option<&[String]>) -> Result<Vec<TableSpec>> {
    let schema = resolve_schema(ds).await?;
    let mut tables = match ds.engine {
        Engine::Postgres => postgres(ds, &schema).await?,
        Engine::Mysql => mysql(ds, &schema).await?,
        Engine::Sqlite => sqlite(ds).await?,
    };
    for table in tables.values_mut() {
        if ds.engine != Engine::Sqlite {
            table.schema = Some(schema.clone());
        }
    }
    match only {
        None => Ok(tables.into_values().collect()),
        Some(names) => {
            let mut out = Vec::new();
            for (i, name) in names.iter().enumerate() {
                match tables.remove(name) {
                    Some(t) => out.push(t),
                    None => {
                        let valid: Vec<String> = tables.keys().map(|k| format!("`{k}`")).collect();
                        return Err(Error::invalid(format!(
                            "tables[{i}]: no table `{name}` in `{schema}` of datasource `{}`; valid: {}",
                            ds.name,
                            valid.join(", ")
                        )));
                    }
                }
            }
            Ok(out)
        }
    }
}

/// Columns of `table` that lead a usable b-tree index (valid, not partial): the engine
/// answers their min/max from the index ends. SQLite: none (its tables are profiled exactly).
pub async fn leading_index_columns(ds: &Datasource, table: &TableSpec) -> Result<Vec<String>> {
    let schema = match &table.schema {
        Some(schema) => schema.clone(),
        None => resolve_schema(ds).await?,
    };
    let sql = match ds.engine {
        Engine::Postgres => {
            "SELECT DISTINCT a.attname::text FROM pg_index i \
             JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
             JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_am am ON am.oid = ic.relam \
             JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0] \
             WHERE n.nspname = $1 AND c.relname = $2 AND am.amname = 'btree' AND i.indisvalid \
             AND i.indpred IS NULL"
        }
        Engine::Mysql => {
            "SELECT DISTINCT COLUMN_NAME FROM information_schema.STATISTICS \
             WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND SEQ_IN_INDEX = 1 AND INDEX_TYPE = 'BTREE'"
        }
        Engine::Sqlite => return Ok(Vec::new()),
    };
    let binds = [Bind::Text(schema), Bind::Text(table.name.clone())];
    let rows = ds.run(sql.to_string(), &binds, NO_CAP).await?;
    Ok((0..rows.rows.len()).map(|i| text(&rows, i, 0)).collect())
}

/// The schema (PostgreSQL) or database (MySQL) introspected: configured, or current
/// (learned once with the datasource's confinement).
pub async fn resolve_schema(ds: &Datasource) -> Result<String> {
    Ok(ds.facts().await?.schema().to_string())
}

fn text(rows: &Rows, row: usize, col: usize) -> String {
    rows.rows
        .get(row)
        .and_then(|r| r.get(col))
        .and_then(Cell::as_text)
        .unwrap_or_default()
}

fn int(rows: &Rows, row: usize, col: usize) -> Option<i64> {
    rows.rows
        .get(row)
        .and_then(|r| r.get(col))
        .and_then(Cell::as_i64)
}

const NO_CAP: u64 = u64::MAX;

/// A MySQL key being assembled: (type, columns, ref schema, ref table, ref columns).
type MysqlKey = (String, Vec<String>, String, String, Vec<String>);

async fn postgres(ds: &Datasource, schema: &str) -> Result<BTreeMap<String, TableSpec>> {
    let bind = [Bind::Text(schema.to_string())];
    let tables = ds
        .run(
            "SELECT c.relname::text, c.reltuples::bigint FROM pg_class c \
             JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'v', 'm', 'f') ORDER BY 1"
                .to_string(),
            &bind,
            NO_CAP,
        )
        .await?;
    let mut out = BTreeMap::new();
    for i in 0..tables.rows.len() {
        let name = text(&tables, i, 0);
        let estimate = int(&tables, i, 1).filter(|n| *n >= 0);
        out.insert(
            name.clone(),
            TableSpec {
                name,
                estimated_rows: estimate,
                ..TableSpec::default()
            },
        );
    }
    let columns = ds
        .run(
            "SELECT c.relname::text, a.attname::text, format_type(a.atttypid, a.atttypmod)::text, \
             (NOT a.attnotnull)::bool FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid \
             JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND a.attnum > 0 \
             AND NOT a.attisdropped ORDER BY c.relname, a.attnum"
                .to_string(),
            &bind,
            NO_CAP,
        )
        .await?;
    for i in 0..columns.rows.len() {
        if let Some(t) = out.get_mut(&text(&columns, i, 0)) {
            t.columns.push(ColumnSpec {
                name: text(&columns, i, 1),
                data_type: Some(text(&columns, i, 2)),
                nullable: Some(columns.rows[i].get(3) != Some(&Cell::Bool(false))),
                ..ColumnSpec::default()
            });
        }
    }
    let keys = ds
        .run(
            "SELECT c.relname::text, con.contype::text, \
             (SELECT string_agg(a.attname::text, chr(31) ORDER BY k.ord) FROM unnest(con.conkey) \
               WITH ORDINALITY k(attnum, ord) JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum), \
             fn.nspname::text, fc.relname::text, \
             (SELECT string_agg(a.attname::text, chr(31) ORDER BY k.ord) FROM unnest(con.confkey) \
               WITH ORDINALITY k(attnum, ord) JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum) \
             FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid \
             JOIN pg_namespace n ON n.oid = c.relnamespace \
             LEFT JOIN pg_class fc ON fc.oid = con.confrelid LEFT JOIN pg_namespace fn ON fn.oid = fc.relnamespace \
             WHERE n.nspname = $1 AND con.contype IN ('p', 'u', 'f') ORDER BY c.relname, con.conname"
                .to_string(),
            &bind,
            NO_CAP,
        )
        .await?;
    for i in 0..keys.rows.len() {
        let Some(t) = out.get_mut(&text(&keys, i, 0)) else {
            continue;
        };
        let cols = split(&text(&keys, i, 2));
        match text(&keys, i, 1).as_str() {
            "p" => t.primary_key = cols,
            "u" => t.unique_keys.push(cols),
            _ => {
                let ref_schema = text(&keys, i, 3);
                t.foreign_keys.push(ForeignKeySpec {
                    columns: cols,
                    ref_table: text(&keys, i, 4),
                    ref_schema: (ref_schema != schema).then_some(ref_schema),
                    ref_columns: split(&text(&keys, i, 5)),
                });
            }
        }
    }
    Ok(out)
}

async fn mysql(ds: &Datasource, schema: &str) -> Result<BTreeMap<String, TableSpec>> {
    let bind = [Bind::Text(schema.to_string())];
    let tables = ds
        .run(
            "SELECT TABLE_NAME, CAST(TABLE_ROWS AS SIGNED) FROM information_schema.TABLES \
             WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME"
                .to_string(),
            &bind,
            NO_CAP,
        )
        .await?;
    let mut out = BTreeMap::new();
    for i in 0..tables.rows.len() {
        let name = text(&tables, i, 0);
        out.insert(
            name.clone(),
            TableSpec {
                name,
                estimated_rows: int(&tables, i, 1),
                ..TableSpec::default()
            },
        );
    }
    let columns = ds
        .run(
            "SELECT TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE FROM information_schema.COLUMNS \
             WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME, ORDINAL_POSITION"
                .to_string(),
            &bind,
            NO_CAP,
        )
        .await?;
    for i in 0..columns.rows.len() {
        if let Some(t) = out.get_mut(&text(&columns, i, 0)) {
            t.columns.push(ColumnSpec {
                name: text(&columns, i, 1),
                data_type: Some(text(&columns, i, 2)),
                nullable: Some(text(&columns, i, 3) == "YES"),
                ..ColumnSpec::default()
            });
        }
    }
    let keys = ds
        .run(
            "SELECT k.TABLE_NAME, k.CONSTRAINT_NAME, t.CONSTRAINT_TYPE, k.COLUMN_NAME, \
             k.REFERENCED_TABLE_SCHEMA, k.REFERENCED_TABLE_NAME, k.REFERENCED_COLUMN_NAME \
             FROM information_schema.KEY_COLUMN_USAGE k JOIN information_schema.TABLE_CONSTRAINTS t \
             ON t.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND t.TABLE_NAME = k.TABLE_NAME \
             AND t.CONSTRAINT_NAME = k.CONSTRAINT_NAME \
             WHERE k.TABLE_SCHEMA = ? ORDER BY k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION"
                .to_string(),
            &bind,
            NO_CAP,
        )
        .await?;
    // (table, constraint) -> (type, columns, ref schema, ref table, ref columns)
    let mut grouped: BTreeMap<(String, String), MysqlKey> = BTreeMap::new();
    for i in 0..keys.rows.len() {
        let entry = grouped
            .entry((text(&keys, i, 0), text(&keys, i, 1)))
            .or_insert_with(|| {
                (
                    text(&keys, i, 2),
                    Vec::new(),
                    text(&keys, i, 4),
                    text(&keys, i, 5),
                    Vec::new(),
                )
            });
        entry.1.push(text(&keys, i, 3));
        let referenced = text(&keys, i, 6);
        if !referenced.is_empty() {
            entry.4.push(referenced);
        }
    }
    for ((table, _), (kind, cols, ref_schema, ref_table, ref_cols)) in grouped {
        let Some(t) = out.get_mut(&table) else {
            continue;
        };
        match kind.as_str() {
            "PRIMARY KEY" => t.primary_key = cols,
            "UNIQUE" => t.unique_keys.push(cols),
            "FOREIGN KEY" => t.foreign_keys.push(ForeignKeySpec {
                columns: cols,
                ref_table,
                ref_schema: (ref_schema != schema && !ref_schema.is_empty()).then_some(ref_schema),
                ref_columns: ref_cols,
            }),
            _ => {}
        }
    }
    Ok(out)
}

async fn sqlite(ds: &Datasource) -> Result<BTreeMap<String, TableSpec>> {
    let columns = ds
        .run(
            "SELECT m.name, p.name, p.type, p.\"notnull\", p.pk FROM sqlite_master m \
             JOIN pragma_table_info(m.name) p WHERE m.type IN ('table', 'view') \
             AND m.name NOT LIKE 'sqlite_%' ORDER BY m.name, p.cid"
                .to_string(),
            &[],
            NO_CAP,
        )
        .await?;
    let mut out: BTreeMap<String, TableSpec> = BTreeMap::new();
    let mut pks: BTreeMap<String, Vec<(i64, String)>> = BTreeMap::new();
    for i in 0..columns.rows.len() {
        let table = text(&columns, i, 0);
        let t = out.entry(table.clone()).or_insert_with(|| TableSpec {
            name: table.clone(),
            ..TableSpec::default()
        });
        let name = text(&columns, i, 1);
        let pk = int(&columns, i, 4).unwrap_or(0);
        if pk > 0 {
            pks.entry(table.clone())
                .or_default()
                .push((pk, name.clone()));
        }
        // Only NOT NULL and the rowid alias (a lone INTEGER PRIMARY KEY) keep NULLs out:
        // SQLite lets other primary key columns hold NULL.
        let data_type = text(&columns, i, 2);
        let not_null = int(&columns, i, 3) != Some(0);
        let rowid = pk > 0 && data_type.eq_ignore_ascii_case("integer");
        t.columns.push(ColumnSpec {
            name,
            data_type: Some(data_type),
            nullable: Some(!not_null && !rowid),
            ..ColumnSpec::default()
        });
    }
    for (table, mut cols) in pks {
        cols.sort();
        if let Some(t) = out.get_mut(&table) {
            if cols.len() > 1 {
                // A compound key is no rowid alias: its columns are as declared.
                for (_, name) in &cols {
                    if let Some(c) = t.columns.iter_mut().find(|c| &c.name == name) {
                        c.nullable = Some(!declared_not_null(&columns, &table, name));
                    }
                }
            }
            t.primary_key = cols.into_iter().map(|(_, c)| c).collect();
        }
    }
    let uniques = ds
        .run(
            "SELECT m.name, il.name, ii.name FROM sqlite_master m JOIN pragma_index_list(m.name) il \
             JOIN pragma_index_info(il.name) ii WHERE m.type = 'table' AND il.\"unique\" = 1 \
             AND il.origin <> 'pk' ORDER BY m.name, il.name, ii.seqno"
                .to_string(),
            &[],
            NO_CAP,
        )
        .await?;
    let mut grouped: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for i in 0..uniques.rows.len() {
        grouped
            .entry((text(&uniques, i, 0), text(&uniques, i, 1)))
            .or_default()
            .push(text(&uniques, i, 2));
    }
    for ((table, _), cols) in grouped {
        if let Some(t) = out.get_mut(&table) {
            t.unique_keys.push(cols);
        }
    }
    let fks = ds
        .run(
            "SELECT m.name, f.id, f.\"table\", f.\"from\", f.\"to\" FROM sqlite_master m \
             JOIN pragma_foreign_key_list(m.name) f WHERE m.type = 'table' ORDER BY m.name, f.id, f.seq"
                .to_string(),
            &[],
            NO_CAP,
        )
        .await?;
    let mut grouped: BTreeMap<(String, i64), ForeignKeySpec> = BTreeMap::new();
    for i in 0..fks.rows.len() {
        let fk = grouped
            .entry((text(&fks, i, 0), int(&fks, i, 1).unwrap_or(0)))
            .or_insert_with(|| ForeignKeySpec {
                ref_table: text(&fks, i, 2),
                ..ForeignKeySpec::default()
            });
        fk.columns.push(text(&fks, i, 3));
        fk.ref_columns.push(text(&fks, i, 4));
    }
    for ((table, _), mut fk) in grouped {
        if fk.ref_columns.iter().any(String::is_empty) {
            // `REFERENCES parent` without columns means the parent's primary key.
            fk.ref_columns = out
                .get(&fk.ref_table)
                .map(|p| p.primary_key.clone())
                .unwrap_or_default();
        }
        if let Some(t) = out.get_mut(&table) {
            t.foreign_keys.push(fk);
        }
    }
    Ok(out)
}

/// Whether the SQLite column `table.name` was declared NOT NULL (rows of `pragma_table_info`).
fn declared_not_null(columns: &Rows, table: &str, name: &str) -> bool {
    (0..columns.rows.len()).any(|i| {
        text(columns, i, 0) == table && text(columns, i, 1) == name && int(columns, i, 3) != Some(0)
    })
}

fn split(list: &str) -> Vec<String> {
    if list.is_empty() {
        Vec::new()
    } else {
        list.split(SEP).map(str::to_string).collect()
    }
}
