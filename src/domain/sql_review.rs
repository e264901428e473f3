//! `review_sql`: parses SQL with sqlparser and walks the AST (its `Visitor`) for the
//! optimization checklist's anti-patterns. Each finding carries the playbook rule id, the
//! line and column it was found at, and the playbook's fix. Detection is code; the rule
//! text, severity and fix are playbook data.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::ops::ControlFlow;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sqlparser::ast::{
    BinaryOperator, Distinct, Expr, InTarget, JoinConstraint, JoinOperator, ObjectName, Query,
    Select, SelectItem, SetExpr, Spanned, Statement, TableFactor, Visit, Visitor,
};
use sqlparser::parser::Parser;
use sqlparser::tokenizer::Span;

use crate::error::{Error, Result};
use crate::playbook::optimization::OptimizationBook;
use crate::playbook::pipeline::Severity;

/// Params of `review_sql`.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewSqlParams {
    /// The SQL to review (one or more statements).
    pub sql: String,
    /// SQL dialect: postgres, mysql, sqlite, duckdb, snowflake, bigquery, redshift, databricks.
    pub dialect: String,
    /// Partition key per table (`{"fct_orders": "order_date"}`), to flag reads without a partition filter.
    #[serde(default)]
    pub partition_keys: BTreeMap<String, String>,
    /// Named datasource (dana.toml): also EXPLAIN the query (a single SELECT; plan only, never ANALYZE).
    #[serde(default)]
    pub datasource: Option<String>,
    /// Project id: record the result in this project.
    #[serde(default)]
    pub project: Option<String>,
}

/// The review.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct SqlReview {
    /// Dialect used to parse.
    pub dialect: String,
    /// Statements parsed.
    pub statements: usize,
    /// Findings, errors first, then by position.
    pub findings: Vec<SqlFinding>,
    /// EXPLAIN result (with `datasource`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan: Option<PlanReview>,
    /// The project the result is recorded under.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
}

/// One anti-pattern found.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct SqlFinding {
    /// Rule id (`SQL-SELECT-STAR`, `PLAN-SEQ-SCAN-LARGE`, ...).
    pub rule: String,
    /// error, warning or info.
    pub severity: Severity,
    /// Rule title.
    pub title: String,
    /// 1-based line (0 when unknown).
    pub line: u64,
    /// 1-based column (0 when unknown).
    pub column: u64,
    /// What was found here.
    pub message: String,
    /// How to fix it.
    pub fix: String,
}

/// What EXPLAIN showed.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct PlanReview {
    /// Datasource name.
    pub datasource: String,
    /// Engine.
    pub engine: String,
    /// The plan as the engine returned it (JSON for PostgreSQL/MySQL, rows for SQLite).
    pub plan: serde_json::Value,
    /// Plan findings (also included in `findings`).
    pub findings: Vec<SqlFinding>,
    /// Why no plan was asked for (the review is lint-only), when none was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The sqlparser dialect for a dana dialect name (aliases accepted).
pub fn parser_dialect(name: &str) -> Result<Box<dyn sqlparser::dialect::Dialect>> {
    Ok(crate::dialect::by_name(name)?.parser_dialect())
}

/// Parses `sql`; a parse error names the parser's message and position.
pub fn parse(sql: &str, dialect: &str) -> Result<Vec<Statement>> {
    let d = parser_dialect(dialect)?;
    let statements = Parser::parse_sql(d.as_ref(), sql).map_err(|e| {
        let text = e.to_string();
        let text = text
            .strip_prefix("sql parser error: ")
            .unwrap_or(&text)
            .to_string();
        Error::invalid(format!("sql: does not parse as {dialect}: {text}"))
    })?;
    if statements.is_empty() {
        return Err(Error::invalid("sql: no statement found"));
    }
    Ok(statements)
}

/// Lints parsed statements against the playbook's SQL rules.
pub fn lint(
    book: &OptimizationBook,
    statements: &[Statement],
    partition_keys: &BTreeMap<String, String>,
) -> Vec<SqlFinding> {
    let mut v = Lint {
        partition_keys: partition_keys
            .iter()
            .map(|(k, c)| (k.to_lowercase(), c.to_lowercase()))
            .collect(),
        ..Lint::default()
    };
    for s in statements {
        let _ = s.visit(&mut v);
    }
    // Repeated scans: a table read by two or more SELECT blocks (EXISTS probes excluded).
    let scans = std::mem::take(&mut v.scans);
    for (table, spans) in &scans {
        if spans.len() >= 2 {
            v.hit(
                "SQL-REPEATED-SCAN",
                spans[1],
                format!(
                    "`{table}` is scanned by {} separate SELECT blocks",
                    spans.len()
                ),
            );
        }
    }
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    for h in v.hits {
        if !seen.insert((h.rule, h.span.start.line, h.span.start.column)) {
            continue;
        }
        let Some(rule) = book.sql_rule(h.rule) else {
            continue;
        };
        out.push(SqlFinding {
            rule: rule.id.clone(),
            severity: rule.severity,
            title: rule.title.clone(),
            line: h.span.start.line,
            column: h.span.start.column,
            message: h.message,
            fix: rule.fix.clone(),
        });
    }
    sort_findings(&mut out);
    out
}

/// Errors first, then by position.
pub fn sort_findings(findings: &mut [SqlFinding]) {
    findings.sort_by(|a, b| {
        (a.severity as u8, a.line, a.column).cmp(&(b.severity as u8, b.line, b.column))
    });
}

struct Hit {
    rule: &'static str,
    span: Span,
    message: String,
}

/// One SELECT block being visited.
struct Scope {
    /// Table names and aliases its FROM clause defines (lowercase).
    qualifiers: HashSet<String>,
    /// How the block is used: `top`, `scalar`, `in`, `exists`, `derived`.
    kind: &'static str,
    /// Already reported as correlated.
    correlated: bool,
    span: Span,
}

#[derive(Default)]
struct Lint {
    partition_keys: HashMap<String, String>,
    /// Kind of each SELECT block reached through an expression, by address.
    kinds: HashMap<*const Select, &'static str>,
    scopes: Vec<Scope>,
    /// Table → spans of the SELECT blocks that scan it.
    scans: BTreeMap<String, Vec<Span>>,
    hits: Vec<Hit>,
}

impl Lint {
    fn hit(&mut self, rule: &'static str, span: Span, message: String) {
        self.hits.push(Hit {
            rule,
            span,
            message,
        });
    }
}

fn select_of(q: &Query) -> Option<&Select> {
    match q.body.as_ref() {
        SetExpr::Select(s) => Some(s),
        _ => None,
    }
}

fn last_ident(name: &ObjectName) -> String {
    name.0
        .last()
        .and_then(|p| p.as_ident())
        .map(|i| i.value.to_lowercase())
        .unwrap_or_default()
}

/// Qualifiers (names and aliases) and plain tables a FROM clause defines.
/// A table read by a SELECT: (name, alias, where it is named), lowercase.
type TableRef = (String, Option<String>, Span);

fn from_names(select: &Select) -> (HashSet<String>, Vec<TableRef>) {
    let mut quals = HashSet::new();
    let mut tables = Vec::new();
    let factors = select
        .from
        .iter()
        .flat_map(|t| std::iter::once(&t.relation).chain(t.joins.iter().map(|j| &j.relation)));
    for f in factors {
        match f {
            TableFactor::Table { name, alias, .. } => {
                let table = last_ident(name);
                let alias = alias.as_ref().map(|a| a.name.value.to_lowercase());
                quals.insert(alias.clone().unwrap_or_else(|| table.clone()));
                quals.insert(table.clone());
                tables.push((table, alias, name.span()));
            }
            TableFactor::Derived { alias: Some(a), .. } => {
                quals.insert(a.name.value.to_lowercase());
            }
            _ => {}
        }
    }
    (quals, tables)
}

/// Column references in an expression: (qualifier, column), lowercase.
fn column_refs(expr: &Expr) -> Vec<(Option<String>, String)> {
    let mut out = Vec::new();
    let _ = sqlparser::ast::visit_expressions(expr, |e| {
        match e {
            Expr::Identifier(i) => out.push((None, i.value.to_lowercase())),
            Expr::CompoundIdentifier(parts) if parts.len() >= 2 => {
                let col = parts[parts.len() - 1].value.to_lowercase();
                let q = parts[parts.len() - 2].value.to_lowercase();
                out.push((Some(q), col));
            }
            _ => {}
        }
        ControlFlow::<()>::Continue(())
    });
    out
}

fn is_column(e: &Expr) -> bool {
    matches!(e, Expr::Identifier(_) | Expr::CompoundIdentifier(_))
}

/// A function-like wrapper around a column (defeats indexes and pruning).
fn wrapped_column(e: &Expr) -> bool {
    let wrapper = matches!(
        e,
        Expr::Function(_)
            | Expr::Cast { .. }
            | Expr::Extract { .. }
            | Expr::Substring { .. }
            | Expr::Trim { .. }
            | Expr::Ceil { .. }
            | Expr::Floor { .. }
            | Expr::AtTimeZone { .. }
    );
    wrapper && !column_refs(e).is_empty() && !contains_subquery(e)
}

fn contains_subquery(e: &Expr) -> bool {
    let mut found = false;
    let _ = sqlparser::ast::visit_expressions(e, |x| {
        if matches!(
            x,
            Expr::Subquery(_)
                | Expr::Exists { .. }
                | Expr::In {
                    target: InTarget::Subquery(_),
                    ..
                }
        ) {
            found = true;
        }
        ControlFlow::<()>::Continue(())
    });
    found
}

fn is_comparison(op: &BinaryOperator) -> bool {
    matches!(
        op,
        BinaryOperator::Eq
            | BinaryOperator::NotEq
            | BinaryOperator::Lt
            | BinaryOperator::LtEq
            | BinaryOperator::Gt
            | BinaryOperator::GtEq
    )
}

/// Whether the subquery's single output column is provably non-null: a literal, a
/// COUNT, or a column the subquery filters with `IS NOT NULL`.
fn provably_not_null(q: &Query) -> bool {
    let Some(s) = select_of(q) else { return false };
    let [item] = s.projection.as_slice() else {
        return false;
    };
    let expr = match item {
        SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } => e,
        _ => return false,
    };
    match expr {
        Expr::Value(v) => !matches!(v.value, sqlparser::ast::Value::Null),
        Expr::Function(f) => f.name.to_string().eq_ignore_ascii_case("count"),
        Expr::Identifier(_) | Expr::CompoundIdentifier(_) => {
            let col = column_refs(expr).pop().map(|(_, c)| c);
            let mut guarded = false;
            if let Some(sel) = &s.selection {
                let _ = sqlparser::ast::visit_expressions(sel, |e| {
                    if let Expr::IsNotNull(inner) = e
                        && column_refs(inner).pop().map(|(_, c)| c) == col
                    {
                        guarded = true;
                    }
                    ControlFlow::<()>::Continue(())
                });
            }
            guarded
        }
        _ => false,
    }
}

/// Whether a WHERE clause equates columns of two different qualifiers.
fn links_tables(selection: Option<&Expr>) -> bool {
    let Some(sel) = selection else { return false };
    let mut linked = false;
    let _ = sqlparser::ast::visit_expressions(sel, |e| {
        if let Expr::BinaryOp {
            left,
            op: BinaryOperator::Eq,
            right,
        } = e
            && is_column(left)
            && is_column(right)
        {
            let l = column_refs(left).pop().and_then(|(q, _)| q);
            let r = column_refs(right).pop().and_then(|(q, _)| q);
            if l.is_none() || r.is_none() || l != r {
                linked = true;
            }
        }
        ControlFlow::<()>::Continue(())
    });
    linked
}

fn trivially_true(e: &Expr) -> bool {
    match e {
        Expr::Value(v) => matches!(v.value, sqlparser::ast::Value::Boolean(true)),
        Expr::BinaryOp {
            left,
            op: BinaryOperator::Eq,
            right,
        } => {
            matches!((left.as_ref(), right.as_ref()), (Expr::Value(a), Expr::Value(b)) if a.value == b.value)
        }
        Expr::Nested(inner) => trivially_true(inner),
        _ => false,
    }
}

impl Visitor for Lint {
    type Break = ();

    fn pre_visit_query(&mut self, q: &Query) -> ControlFlow<()> {
        if q.order_by.is_some() && q.limit_clause.is_none() && q.fetch.is_none() {
            let span = q
                .order_by
                .as_ref()
                .map(|o| o.span())
                .unwrap_or_else(|| q.span());
            self.hit(
                "SQL-ORDER-NO-LIMIT",
                span,
                "ORDER BY sorts the whole result and no LIMIT bounds it".to_string(),
            );
        }
        // Derived tables (FROM (SELECT ...)) are their own scope, never correlated.
        if let Some(s) = select_of(q) {
            for t in &s.from {
                for f in std::iter::once(&t.relation).chain(t.joins.iter().map(|j| &j.relation)) {
                    if let TableFactor::Derived {
                        subquery,
                        lateral: false,
                        ..
                    } = f
                        && let Some(inner) = select_of(subquery)
                    {
                        self.kinds.insert(inner as *const Select, "derived");
                    }
                }
            }
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_select(&mut self, s: &Select) -> ControlFlow<()> {
        let span = s.select_token.0.span;
        let kind = self
            .kinds
            .get(&(s as *const Select))
            .copied()
            .unwrap_or("top");
        let (qualifiers, tables) = from_names(s);

        // SELECT * (not inside EXISTS, where the projection is never read).
        if kind != "exists" {
            for item in &s.projection {
                if matches!(
                    item,
                    SelectItem::Wildcard(_) | SelectItem::QualifiedWildcard(..)
                ) {
                    self.hit(
                        "SQL-SELECT-STAR",
                        item.span(),
                        format!("`{item}` reads every column"),
                    );
                }
            }
        }

        // DISTINCT over a join.
        let joined = s.from.len() > 1 || s.from.iter().any(|t| !t.joins.is_empty());
        if joined && matches!(s.distinct, Some(Distinct::Distinct) | Some(Distinct::On(_))) {
            self.hit(
                "SQL-DISTINCT-DEDUP",
                span,
                "DISTINCT is applied to the result of a join".to_string(),
            );
        }

        // Cartesian products: comma joins without a linking predicate, joins without a condition.
        if s.from.len() > 1 && !links_tables(s.selection.as_ref()) {
            self.hit(
                "SQL-CARTESIAN-JOIN",
                s.from[1].relation.span(),
                format!(
                    "{} tables are listed in FROM with no condition joining them",
                    s.from.len()
                ),
            );
        }
        for t in &s.from {
            for j in &t.joins {
                let constraint = match &j.join_operator {
                    JoinOperator::Join(c)
                    | JoinOperator::Inner(c)
                    | JoinOperator::Left(c)
                    | JoinOperator::LeftOuter(c)
                    | JoinOperator::Right(c)
                    | JoinOperator::RightOuter(c)
                    | JoinOperator::FullOuter(c) => Some(c),
                    _ => None,
                };
                let bad = match constraint {
                    Some(JoinConstraint::None) => true,
                    Some(JoinConstraint::On(e)) => trivially_true(e),
                    _ => false,
                };
                if bad {
                    self.hit(
                        "SQL-CARTESIAN-JOIN",
                        j.relation.span(),
                        format!("join to `{}` has no real join condition", j.relation),
                    );
                }
            }
        }

        // Functions on columns in WHERE.
        if let Some(sel) = &s.selection {
            let mut found = Vec::new();
            let _ = sqlparser::ast::visit_expressions(sel, |e| {
                let sides: Vec<&Expr> = match e {
                    Expr::BinaryOp { left, op, right } if is_comparison(op) => vec![left, right],
                    Expr::Between { expr, .. }
                    | Expr::Like { expr, .. }
                    | Expr::ILike { expr, .. } => vec![expr],
                    Expr::In {
                        expr,
                        target: InTarget::List(_),
                        ..
                    } => vec![expr],
                    _ => vec![],
                };
                for side in sides {
                    if wrapped_column(side) {
                        found.push((side.span(), side.to_string()));
                    }
                }
                ControlFlow::<()>::Continue(())
            });
            for (sp, text) in found {
                self.hit(
                    "SQL-FUNC-ON-COLUMN",
                    sp,
                    format!("`{text}` wraps a column in the filter"),
                );
            }
        }

        // Partition filter.
        for (table, alias, tspan) in &tables {
            let Some(key) = self.partition_keys.get(table).cloned() else {
                continue;
            };
            let refs = s.selection.as_ref().map(column_refs).unwrap_or_default();
            let filtered = refs.iter().any(|(q, c)| {
                c == &key
                    && q.as_ref()
                        .is_none_or(|q| q == table || Some(q) == alias.as_ref())
            });
            if !filtered {
                self.hit(
                    "SQL-NO-PARTITION-FILTER",
                    *tspan,
                    format!(
                        "`{table}` is partitioned on `{key}` but this SELECT does not filter on it"
                    ),
                );
            }
        }

        // Scans per table (for repeated scans).
        if kind != "exists" {
            for (table, _, _) in &tables {
                let spans = self.scans.entry(table.clone()).or_default();
                if !spans.contains(&span) {
                    spans.push(span);
                }
            }
        }

        self.scopes.push(Scope {
            qualifiers,
            kind,
            correlated: false,
            span,
        });
        ControlFlow::Continue(())
    }

    fn post_visit_select(&mut self, _s: &Select) -> ControlFlow<()> {
        self.scopes.pop();
        ControlFlow::Continue(())
    }

    fn pre_visit_expr(&mut self, e: &Expr) -> ControlFlow<()> {
        match e {
            Expr::Subquery(q) => {
                if let Some(s) = select_of(q) {
                    self.kinds.insert(s as *const Select, "scalar");
                }
            }
            Expr::Exists { subquery, .. } => {
                if let Some(s) = select_of(subquery) {
                    self.kinds.insert(s as *const Select, "exists");
                }
            }
            Expr::In {
                expr,
                target: InTarget::Subquery(q),
                negated,
                ..
            } => {
                if let Some(s) = select_of(q) {
                    self.kinds.insert(s as *const Select, "in");
                }
                if *negated && !provably_not_null(q) {
                    self.hit(
                        "SQL-NOT-IN-NULLABLE",
                        e.span(),
                        format!("`{expr} NOT IN (SELECT ...)`: the subquery's column is not provably NOT NULL"),
                    );
                }
            }
            Expr::CompoundIdentifier(parts) if parts.len() >= 2 => {
                let q = parts[parts.len() - 2].value.to_lowercase();
                let n = self.scopes.len();
                if n >= 2 {
                    let inner = &self.scopes[n - 1];
                    let outer_defines = self.scopes[..n - 1]
                        .iter()
                        .any(|s| s.qualifiers.contains(&q));
                    if !inner.qualifiers.contains(&q)
                        && outer_defines
                        && matches!(inner.kind, "scalar" | "in")
                        && !inner.correlated
                    {
                        let span = inner.span;
                        let kind = inner.kind;
                        if let Some(scope) = self.scopes.last_mut() {
                            scope.correlated = true;
                        }
                        let what = if kind == "scalar" {
                            "scalar subquery"
                        } else {
                            "IN subquery"
                        };
                        self.hit(
                            "SQL-CORRELATED-SUBQUERY",
                            span,
                            format!("{what} refers to the outer query's `{q}` and runs once per outer row"),
                        );
                    }
                }
            }
            _ => {}
        }
        ControlFlow::Continue(())
    }
}

/// Reviews SQL without a datasource (the EXPLAIN part is added by the caller).
pub fn review(book: &OptimizationBook, p: &ReviewSqlParams) -> Result<SqlReview> {
    if p.sql.trim().is_empty() {
        return Err(Error::invalid("sql: must not be empty"));
    }
    for (t, c) in &p.partition_keys {
        if t.trim().is_empty() || c.trim().is_empty() {
            return Err(Error::invalid(format!(
                "partition_keys: `{t}` → `{c}`: table and column must not be empty"
            )));
        }
    }
    let statements = parse(&p.sql, &p.dialect)?;
    let findings = lint(book, &statements, &p.partition_keys);
    Ok(SqlReview {
        dialect: p.dialect.clone(),
        statements: statements.len(),
        findings,
        plan: None,
        project: p.project.clone(),
    })
}

/// Refuses anything but exactly one SELECT (a query statement without data-modifying
/// parts) before it can reach a database. Returns the statement text to EXPLAIN.
pub fn single_select(sql: &str, dialect: &str) -> Result<String> {
    let statements = parse(sql, dialect)?;
    let [statement] = statements.as_slice() else {
        return Err(Error::invalid(format!(
            "sql: EXPLAIN accepts exactly one SELECT statement; found {} statements",
            statements.len()
        )));
    };
    let Statement::Query(q) = statement else {
        return Err(Error::invalid(format!(
            "sql: EXPLAIN accepts only a SELECT; found `{}`",
            statement
                .to_string()
                .split_whitespace()
                .next()
                .unwrap_or("?")
                .to_uppercase()
        )));
    };
    // Data-modifying CTEs (WITH x AS (DELETE ...)) and SELECT ... INTO / FOR UPDATE are refused too.
    let mut modifying = false;
    let _ = sqlparser::ast::visit_statements(q, |_| {
        modifying = true;
        ControlFlow::<()>::Continue(())
    });
    if let Some(with) = &q.with {
        for cte in &with.cte_tables {
            if !matches!(
                cte.query.body.as_ref(),
                SetExpr::Select(_)
                    | SetExpr::Query(_)
                    | SetExpr::SetOperation { .. }
                    | SetExpr::Values(_)
            ) {
                modifying = true;
            }
        }
    }
    if !q.locks.is_empty() || select_of(q).is_some_and(|s| s.into.is_some()) {
        modifying = true;
    }
    if modifying
        || !matches!(
            q.body.as_ref(),
            SetExpr::Select(_) | SetExpr::Query(_) | SetExpr::SetOperation { .. }
        )
    {
        return Err(Error::invalid(
            "sql: EXPLAIN accepts only a read-only SELECT (no data-modifying CTE, INTO or locking clause)",
        ));
    }
    Ok(statement.to_string())
}

/// Runs EXPLAIN (plan only, never ANALYZE) of a single SELECT on a named read-only
/// datasource and flags large sequential scans and nested loops. Anything but one
/// read-only SELECT is refused before a connection is even opened.
pub async fn explain(
    app: &crate::App,
    book: &OptimizationBook,
    datasource: &str,
    sql: &str,
) -> Result<PlanReview> {
    use crate::live::{Bind, Cell, Engine};
    // Refuse first with the generic parser, so a bad statement never reaches a pool.
    single_select(sql, "postgres")
        .or_else(|_| single_select(sql, "mysql"))
        .or_else(|_| single_select(sql, "sqlite"))?;
    let ds = app.live.get(datasource).await?;
    let select = single_select(sql, ds.engine.dialect())?;
    if ds.engine == Engine::Mysql
        && let Some(reason) = crate::live::guard::mysql_explain_refusal(&select)
    {
        // MariaDB evaluates constant subqueries and functions while planning: EXPLAIN
        // would run them (issue 13 item 3). The review stays lint-only.
        return Ok(PlanReview {
            datasource: datasource.to_string(),
            engine: ds.engine.dialect().to_string(),
            plan: serde_json::Value::Null,
            findings: Vec::new(),
            note: Some(format!(
                "no EXPLAIN on MySQL/MariaDB: {reason}; the review is lint-only"
            )),
        });
    }
    let seq = book.plan_rule("PLAN-SEQ-SCAN-LARGE");
    let nested = book.plan_rule("PLAN-NESTED-LOOP-LARGE");
    let mut findings = Vec::new();
    let mut add =
        |rule: Option<&crate::playbook::optimization::PlanRule>, rows: f64, message: String| {
            if let Some(r) = rule
                && rows >= r.min_rows
            {
                findings.push(SqlFinding {
                    rule: r.id.clone(),
                    severity: r.severity,
                    title: r.title.clone(),
                    line: 0,
                    column: 0,
                    message,
                    fix: r.fix.clone(),
                });
            }
        };
    let plan = match ds.engine {
        Engine::Postgres => {
            let rows = ds.fetch(&format!("EXPLAIN {select}"), &[]).await?;
            let lines: Vec<String> = rows
                .rows
                .iter()
                .filter_map(|r| r.first().and_then(Cell::as_text))
                .collect();
            let scan = regex::Regex::new(
                r"(?:Parallel )?Seq Scan on (\S+)(?: \S+)?\s+\(cost=\S+ rows=(\d+)",
            )
            .map_err(|e| Error::invalid(format!("plan pattern: {e}")))?;
            let nl = regex::Regex::new(r"Nested Loop.*\(cost=\S+ rows=(\d+)")
                .map_err(|e| Error::invalid(format!("plan pattern: {e}")))?;
            for line in &lines {
                if let Some(c) = scan.captures(line) {
                    let table = c[1].trim_matches('"').to_string();
                    let estimated: f64 = c[2].parse().unwrap_or(0.0);
                    let stats = ds
                        .fetch_catalog(
                            "SELECT MAX(c.reltuples)::float8 AS n FROM pg_class c WHERE c.relname = $1 AND c.relkind IN ('r', 'p', 'm')",
                            &[Bind::Text(table.clone())],
                        )
                        .await?;
                    let total = stats
                        .first("n")
                        .and_then(Cell::as_f64)
                        .unwrap_or(0.0)
                        .max(estimated);
                    add(
                        seq,
                        total,
                        format!(
                            "sequential scan of `{table}` (about {total:.0} rows; plan: `{}`)",
                            line.trim()
                        ),
                    );
                }
                if let Some(c) = nl.captures(line) {
                    let est: f64 = c[1].parse().unwrap_or(0.0);
                    add(
                        nested,
                        est,
                        format!(
                            "nested loop producing about {est:.0} rows (plan: `{}`)",
                            line.trim()
                        ),
                    );
                }
            }
            serde_json::json!(lines)
        }
        Engine::Mysql => {
            let rows = ds.fetch(&format!("EXPLAIN {select}"), &[]).await?;
            let col = |name: &str| {
                rows.columns
                    .iter()
                    .position(|c| c.eq_ignore_ascii_case(name))
            };
            let (t, ty, n) = (col("table"), col("type"), col("rows"));
            let mut out = Vec::new();
            for r in &rows.rows {
                let get = |i: Option<usize>| i.and_then(|i| r.get(i));
                let table = get(t).and_then(Cell::as_text).unwrap_or_default();
                let access = get(ty).and_then(Cell::as_text).unwrap_or_default();
                let est = get(n).and_then(Cell::as_f64).unwrap_or(0.0);
                if access.eq_ignore_ascii_case("ALL") {
                    add(
                        seq,
                        est,
                        format!("full table scan of `{table}` (about {est:.0} rows examined)"),
                    );
                }
                out.push(serde_json::json!({ "table": table, "type": access, "rows": est }));
            }
            serde_json::json!(out)
        }
        Engine::Sqlite => {
            let rows = ds
                .fetch(&format!("EXPLAIN QUERY PLAN {select}"), &[])
                .await?;
            let details: Vec<String> = rows
                .rows
                .iter()
                .filter_map(|r| r.last().and_then(Cell::as_text))
                .collect();
            let d = crate::dialect::by_name("sqlite")?;
            for detail in &details {
                let Some(rest) = detail.strip_prefix("SCAN ") else {
                    continue;
                };
                if rest.contains("USING") {
                    continue;
                }
                let table = rest
                    .split_whitespace()
                    .next()
                    .unwrap_or_default()
                    .to_string();
                let count_sql = format!("SELECT COUNT(*) AS n FROM {}", d.quote_ident(&table)?);
                let n = ds
                    .fetch(&count_sql, &[])
                    .await?
                    .first("n")
                    .and_then(Cell::as_f64)
                    .unwrap_or(0.0);
                add(seq, n, format!("full scan of `{table}` ({n:.0} rows)"));
            }
            serde_json::json!(details)
        }
    };
    Ok(PlanReview {
        datasource: datasource.to_string(),
        engine: ds.engine.dialect().to_string(),
        plan,
        findings,
        note: None,
    })
}
