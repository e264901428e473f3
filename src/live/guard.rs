//! The one gate every statement to a datasource passes after rendering, whatever template
//! (embedded or a workspace override) or tool produced it: parsed with the engine's
//! dialect, it must be exactly one read-only query confined to the datasource's schemas.
//!
//! Refused, with a message naming what and why:
//! - anything but one `SELECT`/`WITH`/`VALUES`/`TABLE` query, or an `EXPLAIN` (never
//!   `EXPLAIN ANALYZE`, which runs the statement) of one;
//! - a data-modifying statement nested anywhere (`WITH d AS (DELETE ... RETURNING *)`),
//!   `SELECT ... INTO`, locking clauses (`FOR UPDATE`/`FOR SHARE`), optimizer hints, MySQL
//!   executable comments (`/*! ... */`) and user-variable assignment (`@v := ...`);
//! - functions with side effects or that reach outside the schema (files, network,
//!   sessions, sequences, locks, SQL given as text): per-engine denylists below;
//! - a table outside the configured schema(s), a system catalog (`pg_catalog`,
//!   `information_schema`, `mysql`, `performance_schema`, `sys`, `sqlite_master`...), or
//!   a three-part name.
//!
//! Unqualified names are confined by how each engine resolves them: PostgreSQL runs every
//! statement with `search_path` set to the configured schemas then `pg_catalog` and
//! `pg_temp` (see `session`), and every relation of `pg_catalog` is named `pg_*`, which an
//! unqualified name may not start with; MySQL/MariaDB resolve them in the current
//! database, which every statement sets to the configured one (`USE`); SQLite in `main`
//! (and `temp`, which a read-only connection cannot fill), `sqlite_*` names refused.
//!
//! The session layer does not trust this gate alone: PostgreSQL statements run in a
//! `READ ONLY` transaction with `SET LOCAL` limits, MySQL/MariaDB in a read-only session
//! and transaction, SQLite on a read-only file with `query_only`.

use std::ops::ControlFlow;

use sqlparser::ast::{
    BinaryOperator, Expr, ObjectName, ObjectNamePart, Query, Select, SetExpr, Statement,
    TableFactor, Visit, Visitor,
};
use sqlparser::tokenizer::{Token, Tokenizer, Whitespace};

use super::Engine;

/// Schemas and databases that are never a target, whatever the configuration says.
pub const SYSTEM_SCHEMAS: &[&str] = &[
    "pg_catalog",
    "information_schema",
    "pg_toast",
    "mysql",
    "performance_schema",
    "sys",
    "temp",
];

/// SQLite's own tables (sqlite.org/schematab.html, sqlite.org/fileformat2.html).
const SQLITE_INTERNAL_PREFIX: &str = "sqlite_";

/// PostgreSQL functions refused by exact name. Sources: PostgreSQL 17 manual, §9.17
/// Sequence Manipulation Functions (nextval, setval, currval, lastval), §9.28.1
/// Configuration Settings Functions (set_config; current_setting is a read and stays
/// allowed), §35.4 Server-Side Large Object Functions (lo_*, loread, lowrite), §9.13.3
/// Text Search Functions (ts_stat and ts_rewrite run SQL given as text), §9.28.8 Index
/// Maintenance Functions (brin_*, gin_clean_pending_list write to indexes).
const PG_DENY: &[&str] = &[
    "nextval",
    "setval",
    "currval",
    "lastval",
    "set_config",
    "loread",
    "lowrite",
    "ts_stat",
    "ts_rewrite",
    "brin_summarize_new_values",
    "brin_summarize_range",
    "brin_desummarize_range",
    "gin_clean_pending_list",
];

/// PostgreSQL function name prefixes refused. `pg_`: the administration functions of
/// §9.27/§9.28 (pg_sleep*, pg_read_file, pg_read_binary_file, pg_ls_dir, pg_stat_file,
/// pg_terminate_backend, pg_cancel_backend, pg_advisory*, pg_reload_conf,
/// pg_create_*_replication_slot, pg_notify, ...); `lo_`: large objects (§35.4, lo_import,
/// lo_export, lo_from_bytea); `dblink`: the dblink extension (F.11); `txid_`: transaction
/// ids that assign one (§9.28.5); `*_to_xml*`: §9.15.4 mapping any table or query text to
/// XML (query_to_xml, table_to_xml, schema_to_xml, database_to_xml, cursor_to_xml).
const PG_DENY_PREFIX: &[&str] = &[
    "pg_",
    "lo_",
    "dblink",
    "txid_",
    "query_to_xml",
    "table_to_xml",
    "schema_to_xml",
    "database_to_xml",
    "cursor_to_xml",
];

/// `pg_*` functions that only describe a value and stay allowed.
const PG_ALLOW: &[&str] = &["pg_typeof"];

/// MySQL/MariaDB functions refused. Sources: MariaDB KB "String Functions" (LOAD_FILE
/// reads a server file), "Miscellaneous Functions" (SLEEP, BENCHMARK, GET_LOCK,
/// RELEASE_LOCK, RELEASE_ALL_LOCKS, IS_FREE_LOCK, IS_USED_LOCK, MASTER_POS_WAIT,
/// MASTER_GTID_WAIT), "Sequence Functions" (NEXTVAL, SETVAL, LASTVAL), "Information
/// Functions" (LAST_INSERT_ID(expr) sets session state); MySQL 8.4 manual §14.14 Locking
/// Functions, §14.18.2 GTID functions (WAIT_FOR_EXECUTED_GTID_SET, SOURCE_POS_WAIT); the
/// lib_mysqludf_sys UDFs (SYS_EXEC, SYS_EVAL) that run shell commands.
const MYSQL_DENY: &[&str] = &[
    "load_file",
    "sleep",
    "benchmark",
    "get_lock",
    "release_lock",
    "release_all_locks",
    "is_free_lock",
    "is_used_lock",
    "master_pos_wait",
    "master_gtid_wait",
    "source_pos_wait",
    "wait_for_executed_gtid_set",
    "wait_until_sql_thread_after_gtids",
    "sys_exec",
    "sys_eval",
    "nextval",
    "setval",
    "lastval",
    "last_insert_id",
];

/// SQLite functions refused. Sources: sqlite.org/lang_corefunc.html#load_extension,
/// the CLI's fileio extension (readfile, writefile, edit, sqlite.org/cli.html §13),
/// sqlite.org/fts3.html#f3tknzr (fts3_tokenizer), sqlite.org/dbpage.html, the zipfile
/// extension.
const SQLITE_DENY: &[&str] = &[
    "load_extension",
    "readfile",
    "writefile",
    "edit",
    "fts3_tokenizer",
    "sqlite_dbpage",
    "zipfile",
];

/// Table-valued pragmas (sqlite.org/pragma.html#pragfunc) read the schema of any
/// attached database: dana's introspection uses them, a datasource statement may not.
const SQLITE_DENY_PREFIX: &[&str] = &["pragma_"];

/// Functions allowed inside a MySQL/MariaDB EXPLAIN: deterministic, no I/O. MariaDB
/// evaluates constant subqueries and functions while planning, so EXPLAIN of anything
/// else could run it (issue 13 item 3).
const MYSQL_EXPLAIN_PURE: &[&str] = &[
    "abs",
    "avg",
    "ceil",
    "ceiling",
    "char_length",
    "character_length",
    "coalesce",
    "concat",
    "concat_ws",
    "count",
    "date",
    "day",
    "floor",
    "greatest",
    "if",
    "ifnull",
    "isnull",
    "least",
    "left",
    "length",
    "lower",
    "lcase",
    "ltrim",
    "max",
    "min",
    "month",
    "nullif",
    "right",
    "round",
    "rtrim",
    "substr",
    "substring",
    "sum",
    "trim",
    "ucase",
    "upper",
    "year",
];

/// Where a statement may read: the configured schemas, already resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    /// The engine (decides identifier folding and denylists).
    pub engine: Engine,
    /// Schemas (PostgreSQL), databases (MySQL/MariaDB) or `main` (SQLite); the first is
    /// where unqualified names resolve.
    pub schemas: Vec<String>,
}

impl Scope {
    /// The scope of a datasource reading `schemas`.
    pub fn new(engine: Engine, schemas: Vec<String>) -> Self {
        Scope { engine, schemas }
    }

    fn listed(&self) -> String {
        self.schemas
            .iter()
            .map(|s| format!("`{s}`"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Whether `name` is a system schema or database that no configuration may name.
pub fn is_system_schema(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    SYSTEM_SCHEMAS.contains(&lower.as_str()) || lower.starts_with("pg_")
}

/// Accepts `sql` when it is one read-only query (or a plain EXPLAIN of one) confined to
/// `scope`; otherwise says why not (`refused: ...`).
pub fn verify(scope: &Scope, sql: &str) -> Result<(), String> {
    let dialect = crate::dialect::by_name(scope.engine.dialect()).map_err(|e| e.to_string())?;
    let parser = dialect.parser_dialect();
    if scope.engine == Engine::Mysql {
        // MySQL and MariaDB run the text of `/*! ... */` comments and read `/*+ ... */`
        // as optimizer hints (MAX_EXECUTION_TIME among them); the parser sees comments.
        let tokens = Tokenizer::new(parser.as_ref(), sql)
            .tokenize()
            .map_err(|e| format!("refused: the statement does not tokenize: {e}"))?;
        for token in tokens {
            if let Token::Whitespace(Whitespace::MultiLineComment(c)) = token
                && (c.starts_with('!') || c.starts_with('+'))
            {
                return Err(
                    "refused: MySQL executable comments (`/*! ... */`) and optimizer hints (`/*+ ... */`) are not allowed"
                        .to_string(),
                );
            }
        }
    }
    let parsed = crate::dialect::parse::parse(dialect, sql).map_err(|e| {
        let text = e.to_string();
        let first = text.lines().next().unwrap_or_default().to_string();
        format!(
            "refused: the statement does not parse as {} SQL: {first}",
            scope.engine.dialect()
        )
    })?;
    let statement = match parsed.as_slice() {
        [one] => one,
        _ => {
            return Err(format!(
                "refused: exactly one statement runs at a time, got {}",
                parsed.len()
            ));
        }
    };
    let mut gate = Gate {
        scope,
        statements: 0,
        explain: false,
    };
    if let ControlFlow::Break(message) = statement.visit(&mut gate) {
        return Err(format!("refused: {message}"));
    }
    Ok(())
}

/// Why EXPLAIN of `sql` must not run on MySQL/MariaDB (`None`: it may). MariaDB evaluates
/// constant subqueries and functions while it plans, so EXPLAIN of a statement with a
/// subquery, a derived table, a CTE or a function outside a small pure set would run them.
pub fn mysql_explain_refusal(sql: &str) -> Option<String> {
    let dialect = crate::dialect::by_name("mysql").ok()?;
    let parsed = match crate::dialect::parse::parse(dialect, sql) {
        Ok(parsed) => parsed,
        Err(_) => return Some("the statement does not parse as MySQL SQL".to_string()),
    };
    let mut probe = ExplainProbe::default();
    for statement in &parsed {
        if let ControlFlow::Break(reason) = statement.visit(&mut probe) {
            return Some(reason);
        }
    }
    None
}

#[derive(Default)]
struct ExplainProbe {
    queries: usize,
}

impl Visitor for ExplainProbe {
    type Break = String;

    fn pre_visit_query(&mut self, query: &Query) -> ControlFlow<String> {
        self.queries += 1;
        if self.queries > 1 {
            return ControlFlow::Break(
                "it has a subquery, derived table or CTE, which MariaDB evaluates while planning"
                    .to_string(),
            );
        }
        if query.with.is_some() {
            return ControlFlow::Break(
                "it has a CTE, which MariaDB may evaluate while planning".to_string(),
            );
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_expr(&mut self, expr: &Expr) -> ControlFlow<String> {
        if let Expr::Function(f) = expr {
            let name = function_name(&f.name);
            if !MYSQL_EXPLAIN_PURE.contains(&name.as_str()) {
                return ControlFlow::Break(format!(
                    "it calls `{name}`, and MariaDB evaluates constant function calls while planning (allowed in a plan review: {})",
                    MYSQL_EXPLAIN_PURE.join(", ")
                ));
            }
        }
        ControlFlow::Continue(())
    }
}

struct Gate<'a> {
    scope: &'a Scope,
    statements: usize,
    explain: bool,
}

impl Gate<'_> {
    /// An identifier as the engine resolves it (PostgreSQL folds unquoted names to lower
    /// case; SQLite compares without case; MySQL database names are compared as written).
    fn fold(&self, ident: &sqlparser::ast::Ident) -> String {
        match self.scope.engine {
            Engine::Postgres if ident.quote_style.is_none() => ident.value.to_lowercase(),
            Engine::Sqlite => ident.value.to_lowercase(),
            _ => ident.value.clone(),
        }
    }

    fn parts(&self, name: &ObjectName) -> Result<Vec<String>, String> {
        name.0
            .iter()
            .map(|part| match part {
                ObjectNamePart::Identifier(ident) => Ok(self.fold(ident)),
                ObjectNamePart::Function(_) => Err(format!("computed name `{name}`")),
            })
            .collect()
    }

    fn schema_allowed(&self, schema: &str) -> Result<(), String> {
        let allowed = match self.scope.engine {
            Engine::Sqlite => self
                .scope
                .schemas
                .iter()
                .any(|s| s.eq_ignore_ascii_case(schema)),
            _ => self.scope.schemas.iter().any(|s| s == schema),
        };
        if allowed && !is_system_schema(schema) {
            return Ok(());
        }
        if is_system_schema(schema) {
            return Err(format!(
                "`{schema}` is a system catalog, never a target of a datasource statement"
            ));
        }
        Err(format!(
            "`{schema}` is outside the datasource's configured schema(s) {}; add it to `schemas` in dana.toml to read it",
            self.scope.listed()
        ))
    }

    fn relation(&self, name: &ObjectName) -> Result<(), String> {
        let parts = self.parts(name)?;
        match parts.as_slice() {
            [table] => self.unqualified(table),
            [schema, _] => self.schema_allowed(schema),
            _ => Err(format!(
                "`{name}`: three-part names reach other databases; name tables as `table` or `schema.table`"
            )),
        }
    }

    fn unqualified(&self, table: &str) -> Result<(), String> {
        let lower = table.to_ascii_lowercase();
        match self.scope.engine {
            // Every relation of pg_catalog is named `pg_*` (and the catalog is searched
            // after the configured schemas): such a name could reach it.
            Engine::Postgres if lower.starts_with("pg_") => Err(format!(
                "`{table}`: names starting with `pg_` resolve to the system catalog; qualify a table of the configured schema(s) {} as `schema.{table}`",
                self.scope.listed()
            )),
            Engine::Sqlite if lower.starts_with(SQLITE_INTERNAL_PREFIX) => Err(format!(
                "`{table}` is SQLite's own catalog, never a target of a datasource statement"
            )),
            _ => Ok(()),
        }
    }

    fn function(&self, name: &ObjectName) -> Result<(), String> {
        let parts = self.parts(name)?;
        let Some(last) = parts.last() else {
            return Ok(());
        };
        let lower = last.to_lowercase();
        if let [schema, _] = parts.as_slice() {
            let catalog = self.scope.engine == Engine::Postgres && schema == "pg_catalog";
            if !catalog {
                self.schema_allowed(schema)?;
            }
        } else if parts.len() > 2 {
            return Err(format!(
                "`{name}`: three-part function names are not allowed"
            ));
        }
        let (deny, prefixes, allow): (&[&str], &[&str], &[&str]) = match self.scope.engine {
            Engine::Postgres => (PG_DENY, PG_DENY_PREFIX, PG_ALLOW),
            Engine::Mysql => (MYSQL_DENY, &[], &[]),
            Engine::Sqlite => (SQLITE_DENY, SQLITE_DENY_PREFIX, &[]),
        };
        if allow.contains(&lower.as_str()) {
            return Ok(());
        }
        if deny.contains(&lower.as_str()) || prefixes.iter().any(|p| lower.starts_with(p)) {
            return Err(format!(
                "function `{last}` has side effects or reaches outside the datasource's schema (files, sessions, sequences, locks, other queries); it never runs on a datasource"
            ));
        }
        Ok(())
    }

    fn set_expr(&self, body: &SetExpr) -> Result<(), String> {
        match body {
            SetExpr::SetOperation { left, right, .. } => {
                self.set_expr(left)?;
                self.set_expr(right)
            }
            SetExpr::Table(table) => {
                let Some(name) = &table.table_name else {
                    return Err("`TABLE` without a name".to_string());
                };
                let mut parts = Vec::new();
                if let Some(schema) = &table.schema_name {
                    parts.push(ObjectNamePart::Identifier(schema.clone()));
                }
                parts.push(ObjectNamePart::Identifier(name.clone()));
                self.relation(&ObjectName(parts))
            }
            SetExpr::Insert(_) | SetExpr::Update(_) | SetExpr::Delete(_) | SetExpr::Merge(_) => {
                Err("a data-modifying statement inside the query (writable CTE)".to_string())
            }
            _ => Ok(()),
        }
    }
}

impl Visitor for Gate<'_> {
    type Break = String;

    fn pre_visit_statement(&mut self, statement: &Statement) -> ControlFlow<String> {
        self.statements += 1;
        let verdict = match (self.statements, statement) {
            (1, Statement::Query(_)) => Ok(()),
            (
                1,
                Statement::Explain {
                    analyze,
                    options,
                    statement,
                    ..
                },
            ) => {
                if *analyze
                    || options.as_ref().is_some_and(|o| {
                        o.iter()
                            .any(|u| !u.name.value.eq_ignore_ascii_case("format"))
                    })
                {
                    Err("EXPLAIN with ANALYZE or options runs the statement; only a plain EXPLAIN is allowed".to_string())
                } else if !matches!(**statement, Statement::Query(_)) {
                    Err("only an EXPLAIN of a query is allowed".to_string())
                } else if self.scope.engine == Engine::Mysql
                    && let Some(reason) = mysql_explain_refusal(&statement.to_string())
                {
                    Err(format!("EXPLAIN on MySQL/MariaDB: {reason}"))
                } else {
                    self.explain = true;
                    Ok(())
                }
            }
            (2, Statement::Query(_)) if self.explain => Ok(()),
            (1, _) => Err(
                "only a query (SELECT/WITH/VALUES) or an EXPLAIN of one runs on a datasource"
                    .to_string(),
            ),
            _ => Err("a data-modifying statement inside the query (writable CTE)".to_string()),
        };
        verdict.map_or_else(ControlFlow::Break, ControlFlow::Continue)
    }

    fn pre_visit_query(&mut self, query: &Query) -> ControlFlow<String> {
        let verdict = if !query.locks.is_empty() {
            Err("locking clauses (FOR UPDATE/FOR SHARE) are not allowed".to_string())
        } else if query.for_clause.is_some()
            || query.settings.is_some()
            || query.format_clause.is_some()
            || !query.pipe_operators.is_empty()
        {
            Err(
                "clauses outside a plain query (FOR/SETTINGS/FORMAT/pipes) are not allowed"
                    .to_string(),
            )
        } else {
            self.set_expr(&query.body)
        };
        verdict.map_or_else(ControlFlow::Break, ControlFlow::Continue)
    }

    fn pre_visit_select(&mut self, select: &Select) -> ControlFlow<String> {
        if select.into.is_some() {
            return ControlFlow::Break("`SELECT ... INTO` writes; not allowed".to_string());
        }
        if !select.optimizer_hints.is_empty() {
            return ControlFlow::Break("optimizer hints are not allowed".to_string());
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_table_factor(&mut self, factor: &TableFactor) -> ControlFlow<String> {
        let verdict = match factor {
            TableFactor::Table {
                name, args: None, ..
            } => self.relation(name),
            TableFactor::Table {
                name,
                args: Some(_),
                ..
            }
            | TableFactor::Function { name, .. } => self.function(name),
            _ => Ok(()),
        };
        verdict.map_or_else(ControlFlow::Break, ControlFlow::Continue)
    }

    fn pre_visit_expr(&mut self, expr: &Expr) -> ControlFlow<String> {
        let verdict = match expr {
            Expr::Function(f) => self.function(&f.name),
            Expr::BinaryOp {
                op: BinaryOperator::Assignment,
                ..
            } => Err("variable assignment (`:=`) is not allowed".to_string()),
            _ => Ok(()),
        };
        verdict.map_or_else(ControlFlow::Break, ControlFlow::Continue)
    }
}

fn function_name(name: &ObjectName) -> String {
    name.0
        .last()
        .and_then(|p| p.as_ident())
        .map(|i| i.value.to_lowercase())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pg() -> Scope {
        Scope::new(Engine::Postgres, vec!["shop".to_string()])
    }
    fn my() -> Scope {
        Scope::new(Engine::Mysql, vec!["shop".to_string()])
    }
    fn lite() -> Scope {
        Scope::new(Engine::Sqlite, vec!["main".to_string()])
    }

    #[test]
    fn queries_in_scope_pass() {
        for sql in [
            "SELECT 1",
            "SELECT COUNT(*) FROM shop.orders t",
            "SELECT COUNT(*) FROM \"shop\".\"orders\" t",
            "SELECT * FROM orders WHERE id IN (SELECT id FROM shop.items)",
            "WITH x AS (SELECT 1 AS a) SELECT a FROM x",
            "VALUES (1), (2)",
            "EXPLAIN SELECT * FROM orders",
            "SELECT current_setting('statement_timeout')",
            "SELECT pg_typeof(1)",
            "SELECT CAST(a AS TEXT) FROM shop.t t TABLESAMPLE SYSTEM (0.6000) LIMIT 10",
            "SELECT x FROM generate_series(1, 3) x",
            // A quote doubled after a backslash: one string when standard_conforming_strings
            // is on, which every transaction sets (see `session`).
            "SELECT * FROM shop.orders WHERE note IN ('x\\'' OR pg_sleep(1) IS NULL --')",
        ] {
            assert_eq!(verify(&pg(), sql), Ok(()), "{sql}");
        }
        assert_eq!(
            verify(&my(), "SELECT COUNT(*) FROM `shop`.`orders` t"),
            Ok(())
        );
        assert_eq!(
            verify(&my(), "EXPLAIN SELECT * FROM orders WHERE a = 1"),
            Ok(())
        );
        assert_eq!(verify(&lite(), "SELECT * FROM main.orders"), Ok(()));
        assert_eq!(
            verify(&lite(), "EXPLAIN QUERY PLAN SELECT * FROM orders"),
            Ok(())
        );
    }

    #[test]
    fn writes_and_side_effects_are_refused() {
        for sql in [
            "DELETE FROM shop.orders",
            "SELECT 1; SELECT 2",
            "WITH d AS (DELETE FROM shop.orders RETURNING *) SELECT COUNT(*) FROM d",
            "WITH d AS (UPDATE shop.orders SET a = 1 RETURNING *) SELECT 1",
            "WITH d AS (INSERT INTO shop.orders VALUES (1) RETURNING *) SELECT 1",
            "SELECT * INTO shop.copy FROM shop.orders",
            "SELECT * FROM shop.orders FOR UPDATE",
            "SELECT * FROM shop.orders FOR SHARE",
            "SELECT nextval('shop.s')",
            "SELECT setval('shop.s', 1)",
            "SELECT set_config('default_transaction_read_only', 'off', false)",
            "SELECT pg_catalog.set_config('statement_timeout', '0', false)",
            "SELECT pg_sleep(40)",
            "SELECT pg_read_file('/etc/passwd')",
            "SELECT pg_ls_dir('.')",
            "SELECT lo_from_bytea(0, 'x')",
            "SELECT lo_export(1, '/tmp/x')",
            "SELECT * FROM dblink('host=x', 'select 1') AS t(a int)",
            "SELECT pg_terminate_backend(1)",
            "SELECT pg_advisory_lock(1)",
            "SELECT txid_current()",
            "SELECT query_to_xml('select * from pg_authid', true, true, '')",
            "SELECT ts_stat('select 1')",
            "EXPLAIN ANALYZE SELECT 1",
            "EXPLAIN (ANALYZE) SELECT 1",
            "EXPLAIN DELETE FROM shop.orders",
            "COMMIT",
            "SET statement_timeout = 0",
        ] {
            assert!(verify(&pg(), sql).is_err(), "{sql}");
        }
        for sql in [
            "SELECT LOAD_FILE('/etc/hostname')",
            "SELECT SLEEP(10)",
            "SELECT BENCHMARK(1000000, MD5('x'))",
            "SELECT GET_LOCK('x', 1)",
            "SELECT RELEASE_LOCK('x')",
            "SELECT sys_exec('id')",
            "SELECT @a := 1",
            "SELECT 1 /*!, LOAD_FILE('/etc/hostname') */",
            "SELECT /*+ MAX_EXECUTION_TIME(0) */ 1",
            "SELECT * FROM shop.t INTO OUTFILE '/tmp/x'",
            "SELECT * FROM shop.t FOR UPDATE",
            "EXPLAIN SELECT (SELECT authentication_string FROM mysql.user LIMIT 1)",
            "EXPLAIN SELECT * FROM t WHERE a = (SELECT 1)",
            "EXPLAIN SELECT LOAD_FILE('/etc/hostname')",
            "EXPLAIN SELECT * FROM (SELECT 1) d",
        ] {
            assert!(verify(&my(), sql).is_err(), "{sql}");
        }
        for sql in [
            "SELECT load_extension('x')",
            "SELECT writefile('/tmp/x', 'y')",
            "SELECT readfile('/etc/passwd')",
            "SELECT * FROM pragma_table_info('t')",
            "INSERT INTO t VALUES (1)",
        ] {
            assert!(verify(&lite(), sql).is_err(), "{sql}");
        }
    }

    #[test]
    fn confinement() {
        for sql in [
            "SELECT * FROM pg_catalog.pg_authid",
            "SELECT * FROM pg_authid",
            "SELECT * FROM PG_SHADOW",
            "SELECT * FROM information_schema.tables",
            "SELECT * FROM other.secrets",
            "SELECT * FROM \"Shop\".orders",
            "SELECT * FROM test.other.secrets",
            "SELECT * FROM shop.orders o JOIN other.secrets s ON true",
            "SELECT (SELECT key FROM other.secrets LIMIT 1)",
            "WITH x AS (SELECT * FROM other.secrets) SELECT * FROM x",
            "TABLE other.secrets",
            "SELECT 1 UNION SELECT 1 FROM other.secrets",
            "SELECT other.f()",
        ] {
            let out = verify(&pg(), sql);
            assert!(out.is_err(), "{sql}");
        }
        for sql in [
            "SELECT * FROM mysql.user",
            "SELECT * FROM MYSQL.user",
            "SELECT * FROM information_schema.PROCESSLIST",
            "SELECT * FROM performance_schema.threads",
            "SELECT * FROM sys.version",
            "SELECT * FROM other.secrets",
            "SELECT * FROM Shop.orders",
        ] {
            assert!(verify(&my(), sql).is_err(), "{sql}");
        }
        for sql in [
            "SELECT * FROM sqlite_master",
            "SELECT * FROM sqlite_schema",
            "SELECT * FROM sqlite_temp_master",
            "SELECT * FROM temp.t",
            "SELECT * FROM other.t",
        ] {
            assert!(verify(&lite(), sql).is_err(), "{sql}");
        }
    }

    /// The one escaping routine per dialect and the gate's parser agree: any value, as a
    /// literal, parses back as that one string value and nothing else (PostgreSQL as the
    /// server reads it with `standard_conforming_strings = on`, which every transaction
    /// sets; MySQL with backslash escapes, which every session keeps on).
    mod literals {
        use proptest::prelude::*;
        use sqlparser::ast::{Expr, SelectItem, SetExpr, Statement, Value};

        use super::super::{Engine, Scope, verify};

        fn round_trip(engine: Engine, value: &str) -> Result<(), String> {
            let dialect = crate::dialect::by_name(engine.dialect()).map_err(|e| e.to_string())?;
            let literal = dialect.string_literal(value).map_err(|e| e.to_string())?;
            let sql = format!("SELECT {literal} AS v");
            verify(&Scope::new(engine, vec!["main".to_string()]), &sql)?;
            let parsed = crate::dialect::parse::parse(dialect, &sql).map_err(|e| e.to_string())?;
            let [Statement::Query(q)] = parsed.as_slice() else {
                return Err(format!("not one query: {sql}"));
            };
            let SetExpr::Select(select) = q.body.as_ref() else {
                return Err(format!("not a select: {sql}"));
            };
            match select.projection.as_slice() {
                [
                    SelectItem::ExprWithAlias {
                        expr: Expr::Value(v),
                        ..
                    },
                ] => match &v.value {
                    Value::SingleQuotedString(s) if s == value => Ok(()),
                    other => Err(format!("{sql} parsed as {other:?}")),
                },
                other => Err(format!("{sql} parsed as {other:?}")),
            }
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(2_000))]
            #[test]
            fn hostile_values_stay_one_string(value in "[a-z'\\\\;() \n\t\"-]{0,24}") {
                for engine in [Engine::Postgres, Engine::Mysql, Engine::Sqlite] {
                    prop_assert_eq!(round_trip(engine, &value), Ok(()), "{:?}", engine);
                }
            }
        }

        #[test]
        fn known_breakouts() {
            for value in [
                "x\\' OR pg_sleep(1) IS NULL --",
                "\\",
                "'",
                "\\'); DELETE FROM t; --",
                "a\\b",
            ] {
                for engine in [Engine::Postgres, Engine::Mysql, Engine::Sqlite] {
                    assert_eq!(round_trip(engine, value), Ok(()), "{engine:?} {value}");
                }
            }
        }
    }

    #[test]
    fn messages_say_why() {
        let e = verify(&pg(), "SELECT * FROM pg_catalog.pg_authid").unwrap_err();
        assert!(e.contains("system catalog"), "{e}");
        let e = verify(&pg(), "SELECT * FROM other.secrets").unwrap_err();
        assert!(e.contains("`other`") && e.contains("`shop`"), "{e}");
        let e = verify(&pg(), "WITH d AS (DELETE FROM shop.o RETURNING *) SELECT 1").unwrap_err();
        assert!(e.contains("writable CTE"), "{e}");
    }
}
