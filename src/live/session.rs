//! What every statement runs inside, per engine, so that no statement can change the
//! conditions of the next one, and what stops a statement dana no longer waits for.
//!
//! - PostgreSQL: each call checks a connection out with one round trip that ends whatever
//!   the previous user left (`ROLLBACK; RESET ALL`), then opens `BEGIN READ ONLY` with
//!   `SET LOCAL` statement timeout, `standard_conforming_strings = on` (the setting the
//!   query gate parses with, whatever the role's default) and `search_path` = the
//!   configured schemas, `pg_catalog`, `pg_temp`; it ends with `ROLLBACK`.
//! - MySQL/MariaDB: the session is read-only with a statement time limit from connect
//!   (`after_connect`), and each call runs in `START TRANSACTION READ ONLY`.
//! - SQLite: read-only file and `query_only`; a progress handler interrupts a statement
//!   past its timeout or when the caller is gone.
//!
//! When a call is dropped (the MCP request was cancelled, or the client-side deadline hit)
//! while a statement runs, the statement is cancelled on the server: PostgreSQL
//! `pg_cancel_backend(pid)` and MySQL/MariaDB `KILL QUERY id` from a separate connection,
//! SQLite by the progress handler. The connection goes back to the pool only after that,
//! so the cancel never hits a statement of another call.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use sqlx::mysql::{MySql, MySqlConnectOptions, MySqlConnection};
use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnectOptions, PgConnection, Postgres};
use sqlx::sqlite::Sqlite;
use sqlx::{Connection, Executor};

use super::Limits;
use super::guard::Scope;

/// What dana learned about a datasource's connection once: where statements may read and
/// whether the role could write.
#[derive(Debug, Clone)]
pub struct Facts {
    /// The confinement of every statement.
    pub scope: Scope,
    /// Why the role could write (superuser, CREATE on the schema, INSERT on a table...),
    /// when it could and the configuration accepts it.
    pub write_capable: Option<String>,
    /// PostgreSQL columns (schema, table, column) whose equality is not byte for byte: a
    /// nondeterministic (ICU) collation or the `citext` type. Checks compare them as text
    /// under `"C"` so a check means the same as on every other engine.
    pub loose_text: std::collections::BTreeSet<(String, String, String)>,
}

impl Facts {
    /// The schema introspected: the configured (or current) one.
    pub fn schema(&self) -> &str {
        self.scope
            .schemas
            .first()
            .map(String::as_str)
            .unwrap_or("main")
    }
}

/// PostgreSQL's checkout: reset the session, open a read-only transaction with local
/// limits, return the backend pid. Only integers and identifiers quoted by the dialect
/// layer are spliced in.
pub fn pg_preamble(limits: &Limits, scope: Option<&Scope>) -> crate::error::Result<String> {
    let mut sql = format!(
        "ROLLBACK; RESET ALL; BEGIN READ ONLY; SET LOCAL statement_timeout = {}; SET LOCAL standard_conforming_strings = on; ",
        limits.statement_timeout_ms
    );
    if let Some(scope) = scope {
        let dialect = crate::dialect::by_name("postgres")?;
        let mut path = Vec::new();
        for schema in &scope.schemas {
            path.push(crate::dialect::ident::quote_always(
                dialect.ident_rules(),
                schema,
            )?);
        }
        path.push("pg_catalog".to_string());
        path.push("pg_temp".to_string());
        sql.push_str(&format!("SET LOCAL search_path = {}; ", path.join(", ")));
    }
    sql.push_str("SELECT pg_backend_pid()");
    Ok(sql)
}

/// MySQL/MariaDB's checkout: end what the previous user left, make the configured
/// database the current one (unqualified names resolve there), open a read-only
/// transaction, return the connection id.
pub fn mysql_preamble(scope: Option<&Scope>) -> crate::error::Result<String> {
    let mut sql = String::from("ROLLBACK; SET SESSION TRANSACTION READ ONLY; ");
    if let Some(schema) = scope.and_then(|s| s.schemas.first()) {
        let dialect = crate::dialect::by_name("mysql")?;
        sql.push_str(&format!(
            "USE {}; ",
            crate::dialect::ident::quote_always(dialect.ident_rules(), schema)?
        ));
    }
    sql.push_str("START TRANSACTION READ ONLY; SELECT CONNECTION_ID()");
    Ok(sql)
}

/// How to stop a running statement from outside it.
pub enum Cancel {
    /// `pg_cancel_backend(pid)` from a new connection.
    Postgres {
        /// The pool's connect options.
        options: Arc<PgConnectOptions>,
        /// Backend pid of the statement's connection.
        pid: i32,
    },
    /// `KILL QUERY id` from a new connection.
    Mysql {
        /// The pool's connect options.
        options: Arc<MySqlConnectOptions>,
        /// Connection id of the statement's connection.
        id: u64,
    },
    /// The progress handler's stop flag.
    Sqlite(Arc<AtomicBool>),
}

/// A pooled connection of any engine.
pub enum Conn {
    /// PostgreSQL.
    Postgres(PoolConnection<Postgres>),
    /// MySQL/MariaDB.
    Mysql(PoolConnection<MySql>),
    /// SQLite.
    Sqlite(PoolConnection<Sqlite>),
}

/// A checked-out connection with a statement that may be running. Dropped while armed
/// (the call was cancelled or timed out), it cancels the statement on the server, then
/// releases the connection.
pub struct Checkout {
    /// The connection (taken by `Drop` when it must cancel first).
    pub conn: Option<Conn>,
    /// Armed while a statement may run.
    pub cancel: Option<Cancel>,
    /// Datasource name, for logs.
    pub name: String,
}

impl Checkout {
    /// The statement ended normally: nothing to cancel.
    pub fn disarm(&mut self) {
        self.cancel = None;
    }
}

impl Checkout {
    /// Puts the connection back in the pool now rather than from the task its drop spawns
    /// (which pings it first): the next statement of the same call then finds it idle
    /// instead of opening a second connection, with its own TLS handshake, while the first
    /// is still on its way back.
    pub async fn release(&mut self) {
        match self.conn.take() {
            Some(Conn::Postgres(mut c)) => c.return_to_pool().await,
            Some(Conn::Mysql(mut c)) => c.return_to_pool().await,
            Some(Conn::Sqlite(mut c)) => c.return_to_pool().await,
            None => {}
        }
    }
}

impl Drop for Checkout {
    fn drop(&mut self) {
        let Some(cancel) = self.cancel.take() else {
            return;
        };
        let conn = self.conn.take();
        let name = std::mem::take(&mut self.name);
        match cancel {
            Cancel::Sqlite(flag) => {
                flag.store(true, Ordering::SeqCst);
                drop(conn);
            }
            cancel => {
                let Ok(runtime) = tokio::runtime::Handle::try_current() else {
                    return;
                };
                runtime.spawn(async move {
                    let started = Instant::now();
                    let outcome = cancel_on_server(&cancel).await;
                    match outcome {
                        Ok(()) => tracing::info!(datasource = %name, ms = started.elapsed().as_millis() as u64, "statement cancelled on the server (call dropped or timed out)"),
                        Err(e) => tracing::warn!(datasource = %name, error = %e, "could not cancel a statement on the server"),
                    }
                    // Back to the pool only now: the cancel cannot reach another call's
                    // statement. End the transaction first.
                    match conn {
                        Some(Conn::Postgres(mut c)) => {
                            let ended = (&mut *c).execute("ROLLBACK").await;
                            if ended.is_err() {
                                c.close_on_drop();
                            }
                        }
                        Some(Conn::Mysql(mut c)) => {
                            let ended = (&mut *c).execute("ROLLBACK").await;
                            if ended.is_err() {
                                c.close_on_drop();
                            }
                        }
                        _ => {}
                    }
                });
            }
        }
    }
}

async fn cancel_on_server(cancel: &Cancel) -> Result<(), sqlx::Error> {
    let within = Duration::from_secs(10);
    let work = async {
        match cancel {
            Cancel::Postgres { options, pid } => {
                let mut conn = PgConnection::connect_with(options).await?;
                sqlx::query("SELECT pg_cancel_backend($1)")
                    .bind(*pid)
                    .execute(&mut conn)
                    .await?;
                conn.close().await
            }
            Cancel::Mysql { options, id } => {
                let mut conn = MySqlConnection::connect_with(options).await?;
                // An integer only: the audited dynamic text of this module.
                conn.execute(crate::dialect::ident::assert_sql_safe(format!(
                    "KILL QUERY {id}"
                )))
                .await?;
                conn.close().await
            }
            Cancel::Sqlite(flag) => {
                flag.store(true, Ordering::SeqCst);
                Ok(())
            }
        }
    };
    tokio::time::timeout(within, work)
        .await
        .map_err(|_| sqlx::Error::PoolTimedOut)?
}

/// The progress handler of a SQLite statement: stop when `flag` is set or past `deadline`.
pub fn sqlite_progress(flag: Arc<AtomicBool>, deadline: Instant) -> impl FnMut() -> bool + Send {
    move || !flag.load(Ordering::Relaxed) && Instant::now() < deadline
}
