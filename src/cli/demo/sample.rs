//! The demo's two SQLite files, written through their own read-write connections: the
//! sample warehouse (seeded from `templates/demo/warehouse.sql`, then only ever read by
//! dana through its read-only datasource) and `model.db`, where the generated DDL runs.
//! The datasource layer is read-only by construction, so these writes happen here.

use std::path::Path;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode};
use sqlx::{ConnectOptions, Connection, SqliteConnection};

use crate::domain::modeling::{DdlStatement, StatementKind};
use crate::error::{Error, Result};

/// The seed script: tables, rows and planted defects.
const SEED: &str = "demo/warehouse.sql";

/// Row counts of the sample tables, in seed order.
const COUNTS: [(&str, &str); 4] = [
    ("customers", "SELECT count(*) FROM customers"),
    ("products", "SELECT count(*) FROM products"),
    ("orders", "SELECT count(*) FROM orders"),
    ("order_items", "SELECT count(*) FROM order_items"),
];

/// What the seed produced.
#[derive(Debug)]
pub struct Warehouse {
    /// (table, rows), in seed order.
    pub tables: Vec<(&'static str, i64)>,
    /// The day before the seed ran (UTC, `YYYY-MM-DD`), as SQLite computed it.
    pub yesterday: String,
}

/// Creates and seeds the sample warehouse at `path` (which must not exist).
pub async fn create_warehouse(path: &Path) -> Result<Warehouse> {
    let fail =
        |e: sqlx::Error| Error::invalid(format!("sample warehouse `{}`: {e}", path.display()));
    let seed = crate::render::embedded(SEED)
        .ok_or_else(|| Error::invalid(format!("embedded sample `{SEED}` missing")))?;
    let mut conn = open(path).await.map_err(fail)?;
    let mut tx = conn.begin().await.map_err(fail)?;
    sqlx::raw_sql(seed).execute(&mut *tx).await.map_err(fail)?;
    tx.commit().await.map_err(fail)?;
    let mut tables = Vec::with_capacity(COUNTS.len());
    for (table, sql) in COUNTS {
        let rows: i64 = sqlx::query_scalar(sql)
            .fetch_one(&mut conn)
            .await
            .map_err(fail)?;
        tables.push((table, rows));
    }
    let yesterday: String = sqlx::query_scalar("SELECT date('now', '-1 day')")
        .fetch_one(&mut conn)
        .await
        .map_err(fail)?;
    conn.close().await.map_err(fail)?;
    Ok(Warehouse { tables, yesterday })
}

/// What running the DDL left in `model.db`.
#[derive(Debug)]
pub struct Executed {
    /// Statements run.
    pub statements: usize,
    /// Tables in the database afterwards, by name.
    pub tables: Vec<String>,
    /// Unknown-member rows inserted.
    pub unknown_members: u64,
}

/// Runs generated DDL statements, in order and in one transaction, in a new SQLite file.
pub async fn execute_ddl(path: &Path, statements: &[DdlStatement]) -> Result<Executed> {
    let fail = |e: sqlx::Error| Error::invalid(format!("`{}`: {e}", path.display()));
    let mut conn = open(path).await.map_err(fail)?;
    let mut tx = conn.begin().await.map_err(fail)?;
    let mut unknown_members = 0;
    for statement in statements {
        // dana generated this text through the dialect layer (quoted identifiers,
        // escaped literals), which is what `assert_sql_safe` requires.
        let sql = crate::dialect::ident::assert_sql_safe(statement.sql.clone());
        let done = sqlx::query(sql).execute(&mut *tx).await.map_err(|e| {
            Error::invalid(format!(
                "`{}`: generated DDL for `{}` failed: {e}",
                path.display(),
                statement.table
            ))
        })?;
        if statement.kind == StatementKind::InsertUnknownMember {
            unknown_members += done.rows_affected();
        }
    }
    tx.commit().await.map_err(fail)?;
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
    )
    .fetch_all(&mut conn)
    .await
    .map_err(fail)?;
    conn.close().await.map_err(fail)?;
    Ok(Executed {
        statements: statements.len(),
        tables,
        unknown_members,
    })
}

/// A read-write connection that creates the file, with a rollback journal (no `-wal`
/// files left beside it once closed).
async fn open(path: &Path) -> std::result::Result<SqliteConnection, sqlx::Error> {
    SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Delete)
        .foreign_keys(true)
        .connect()
        .await
}

/// The sample tables as CSV files (header row, NULL as an empty field), in seed order:
/// the seeds of the demo's dbt project.
pub async fn export_csv(path: &Path) -> Result<Vec<(&'static str, String)>> {
    use sqlx::Row;
    let fail = |e: sqlx::Error| Error::invalid(format!("`{}`: {e}", path.display()));
    let mut conn = open(path).await.map_err(fail)?;
    let mut out = Vec::with_capacity(COUNTS.len());
    let sqlite = crate::dialect::by_name("sqlite")?;
    let safe = crate::dialect::ident::assert_sql_safe;
    for (table, _) in COUNTS {
        let list = format!(
            "SELECT name FROM pragma_table_info({}) ORDER BY cid",
            sqlite.string_literal(table)?
        );
        let columns: Vec<String> = sqlx::query_scalar(safe(list))
            .fetch_all(&mut conn)
            .await
            .map_err(fail)?;
        let select: Vec<String> = columns
            .iter()
            .map(|c| Ok(format!("CAST({} AS TEXT)", sqlite.quote_ident(c)?)))
            .collect::<Result<_>>()?;
        let query = format!(
            "SELECT {} FROM {}",
            select.join(", "),
            sqlite.quote_ident(table)?
        );
        let rows = sqlx::query(safe(query))
            .fetch_all(&mut conn)
            .await
            .map_err(fail)?;
        let mut csv = columns.join(",");
        csv.push('\n');
        for row in rows {
            let fields: Vec<String> = (0..columns.len())
                .map(|i| {
                    let value: Option<String> = row.try_get(i)?;
                    Ok(value.map(|v| csv_field(&v)).unwrap_or_default())
                })
                .collect::<std::result::Result<_, sqlx::Error>>()
                .map_err(fail)?;
            csv.push_str(&fields.join(","));
            csv.push('\n');
        }
        out.push((table, csv));
    }
    conn.close().await.map_err(fail)?;
    Ok(out)
}

/// One CSV field, quoted when it holds a separator, a quote or a line break.
fn csv_field(value: &str) -> String {
    if value.contains([',', '"', '\n', '\r']) || value.is_empty() {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_string()
    }
}
