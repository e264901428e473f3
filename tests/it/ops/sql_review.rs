//! `review_sql`: for every rule a fixture that fires (with its position) and a near miss
//! that must not; parse errors with the parser's position; dialect handling.

use std::collections::{BTreeMap, BTreeSet};

use dana::domain::sql_review::{ReviewSqlParams, review};
use serde_json::json;

use super::books;
use crate::common::Harness;

fn rules(sql: &str, partition_keys: &[(&str, &str)]) -> Vec<(String, u64, u64)> {
    let p = ReviewSqlParams {
        sql: sql.to_string(),
        dialect: "postgres".to_string(),
        partition_keys: partition_keys
            .iter()
            .map(|(t, c)| (t.to_string(), c.to_string()))
            .collect::<BTreeMap<_, _>>(),
        datasource: None,
        project: None,
    };
    review(&books().optimization, &p)
        .expect("review")
        .findings
        .into_iter()
        .map(|f| (f.rule, f.line, f.column))
        .collect()
}

fn fires(rule: &str, sql: &str, keys: &[(&str, &str)]) -> (u64, u64) {
    let found = rules(sql, keys);
    found
        .iter()
        .find(|(r, _, _)| r == rule)
        .map(|(_, l, c)| (*l, *c))
        .unwrap_or_else(|| panic!("{rule} should fire on:\n{sql}\nfound: {found:?}"))
}

fn silent(rule: &str, sql: &str, keys: &[(&str, &str)]) {
    let found = rules(sql, keys);
    assert!(
        !found.iter().any(|(r, _, _)| r == rule),
        "{rule} must not fire on:\n{sql}\nfound: {found:?}"
    );
}

#[test]
fn every_rule_fires_on_its_fixture_and_not_on_its_near_miss() {
    let keys = [("fct_orders", "order_date")];
    // (rule, fixture, expected line:column, near miss)
    let cases: Vec<(&str, &str, (u64, u64), &str)> = vec![
        (
            "SQL-SELECT-STAR",
            "SELECT id,\n  *\nFROM customers WHERE id = 1",
            (2, 3),
            "SELECT COUNT(*) FROM customers c WHERE EXISTS (SELECT * FROM orders o WHERE o.customer_id = c.id)",
        ),
        (
            "SQL-NOT-IN-NULLABLE",
            "SELECT c.id FROM customers c\nWHERE c.id NOT IN (SELECT o.customer_id FROM orders o)",
            (2, 7),
            "SELECT c.id FROM customers c WHERE c.id NOT IN (SELECT o.customer_id FROM orders o WHERE o.customer_id IS NOT NULL)",
        ),
        (
            "SQL-ORDER-NO-LIMIT",
            "SELECT id, total FROM orders\nORDER BY total DESC",
            (2, 10),
            "SELECT id, total FROM orders ORDER BY total DESC LIMIT 10",
        ),
        (
            "SQL-CORRELATED-SUBQUERY",
            "SELECT c.id,\n  (SELECT SUM(o.total) FROM orders o WHERE o.customer_id = c.id) AS spend\nFROM customers c",
            (2, 4),
            "SELECT c.id, s.spend FROM customers c JOIN (SELECT customer_id, SUM(total) AS spend FROM orders GROUP BY customer_id) s ON s.customer_id = c.id",
        ),
        (
            "SQL-DISTINCT-DEDUP",
            "SELECT DISTINCT c.id, c.email\nFROM customers c JOIN orders o ON o.customer_id = c.id",
            (1, 1),
            "SELECT DISTINCT country FROM customers",
        ),
        (
            "SQL-FUNC-ON-COLUMN",
            "SELECT id FROM orders\nWHERE DATE(created_at) = '2024-01-01' AND total > 0",
            (2, 7),
            "SELECT id FROM orders WHERE created_at >= DATE '2024-01-01' AND created_at < CURRENT_DATE - INTERVAL '1 day'",
        ),
        (
            "SQL-REPEATED-SCAN",
            "SELECT (SELECT COUNT(*) FROM orders WHERE status = 'paid') AS paid,\n       (SELECT COUNT(*) FROM orders WHERE status = 'refunded') AS refunded",
            (2, 9),
            "SELECT COUNT(*) FILTER (WHERE status = 'paid') AS paid, SUM(CASE WHEN status = 'refunded' THEN 1 ELSE 0 END) AS refunded FROM orders",
        ),
        (
            "SQL-NO-PARTITION-FILTER",
            "SELECT SUM(f.amount)\nFROM fct_orders f WHERE f.customer_id = 7",
            (2, 6),
            "SELECT SUM(f.amount) FROM fct_orders f WHERE f.order_date >= '2024-01-01' AND f.customer_id = 7",
        ),
        (
            "SQL-CARTESIAN-JOIN",
            "SELECT c.id, o.id\nFROM customers c, orders o\nWHERE c.country = 'FR'",
            (2, 19),
            "SELECT c.id, o.id FROM customers c, orders o WHERE o.customer_id = c.id",
        ),
    ];
    let mut covered = BTreeSet::new();
    for (rule, fixture, at, near) in &cases {
        assert_eq!(fires(rule, fixture, &keys), *at, "{rule} position");
        silent(rule, near, &keys);
        covered.insert(rule.to_string());
    }
    let all: BTreeSet<String> = books()
        .optimization
        .sql_rules
        .iter()
        .map(|r| r.id.clone())
        .collect();
    assert_eq!(
        covered, all,
        "every SQL rule needs a fixture and a near miss"
    );
}

#[test]
fn more_near_misses_and_variants() {
    // Joins without a real condition.
    fires("SQL-CARTESIAN-JOIN", "SELECT * FROM a JOIN b ON 1 = 1", &[]);
    silent(
        "SQL-CARTESIAN-JOIN",
        "SELECT a.x, b.y FROM a CROSS JOIN b",
        &[],
    );
    // NOT IN over literals or a COUNT is fine; NOT EXISTS is the fix and is never flagged.
    silent(
        "SQL-NOT-IN-NULLABLE",
        "SELECT id FROM t WHERE id NOT IN (1, 2, 3)",
        &[],
    );
    silent(
        "SQL-NOT-IN-NULLABLE",
        "SELECT id FROM t WHERE NOT EXISTS (SELECT 1 FROM u WHERE u.id = t.id)",
        &[],
    );
    silent(
        "SQL-CORRELATED-SUBQUERY",
        "SELECT id FROM t WHERE NOT EXISTS (SELECT 1 FROM u WHERE u.id = t.id)",
        &[],
    );
    // Correlated IN subquery.
    fires(
        "SQL-CORRELATED-SUBQUERY",
        "SELECT t.id FROM t WHERE t.k IN (SELECT u.k FROM u WHERE u.owner = t.owner)",
        &[],
    );
    // Uncorrelated scalar subquery.
    silent(
        "SQL-CORRELATED-SUBQUERY",
        "SELECT id, (SELECT MAX(total) FROM orders) AS top FROM customers",
        &[],
    );
    // Self-join within one SELECT is not a repeated scan; UNION ALL branches are.
    silent(
        "SQL-REPEATED-SCAN",
        "SELECT a.id FROM orders a JOIN orders b ON a.parent_id = b.id",
        &[],
    );
    fires(
        "SQL-REPEATED-SCAN",
        "SELECT 'paid' AS s, COUNT(*) FROM orders WHERE status = 'paid' UNION ALL SELECT 'open', COUNT(*) FROM orders WHERE status = 'open'",
        &[],
    );
    // Function applied to the constant side, or LOWER() on a column.
    silent(
        "SQL-FUNC-ON-COLUMN",
        "SELECT id FROM users WHERE email = LOWER('A@B.C')",
        &[],
    );
    fires(
        "SQL-FUNC-ON-COLUMN",
        "SELECT id FROM users WHERE LOWER(email) = 'a@b.c'",
        &[],
    );
    fires(
        "SQL-FUNC-ON-COLUMN",
        "SELECT id FROM orders WHERE CAST(created_at AS DATE) BETWEEN '2024-01-01' AND '2024-01-31'",
        &[],
    );
    // Partition filter through an unqualified column; a table without a known key is ignored.
    silent(
        "SQL-NO-PARTITION-FILTER",
        "SELECT COUNT(*) FROM fct_orders WHERE order_date = '2024-05-01'",
        &[("fct_orders", "order_date")],
    );
    silent(
        "SQL-NO-PARTITION-FILTER",
        "SELECT COUNT(*) FROM dim_customer",
        &[("fct_orders", "order_date")],
    );
    // Statements other than SELECT are linted too (INSERT ... SELECT *).
    fires(
        "SQL-SELECT-STAR",
        "INSERT INTO archive SELECT * FROM orders WHERE created_at < '2020-01-01'",
        &[],
    );
    // FETCH FIRST counts as a limit.
    silent(
        "SQL-ORDER-NO-LIMIT",
        "SELECT id FROM t ORDER BY id FETCH FIRST 5 ROWS ONLY",
        &[],
    );
}

#[tokio::test]
async fn parse_errors_and_dialects_through_the_tool() {
    let h = Harness::new().await;
    let err = h
        .err(
            "review_sql",
            json!({"sql": "SELECT id FROM WHERE x = 1", "dialect": "postgres"}),
        )
        .await;
    assert!(err.starts_with("sql: does not parse as postgres:"), "{err}");
    assert!(
        err.contains("Line: 1, Column:"),
        "the parser's position: {err}"
    );
    let err = h
        .err(
            "review_sql",
            json!({"sql": "SELECT 1", "dialect": "oracle9"}),
        )
        .await;
    assert!(
        err.contains("dialect `oracle9` not found") && err.contains("`postgres`"),
        "{err}"
    );
    // MySQL backticks parse as MySQL, not as PostgreSQL.
    let ok = h
        .ok(
            "review_sql",
            json!({"sql": "SELECT * FROM `orders`", "dialect": "mysql"}),
        )
        .await;
    assert_eq!(ok["findings"][0]["rule"], json!("SQL-SELECT-STAR"));
    assert_eq!(ok["statements"], json!(1));
    let err = h
        .err(
            "review_sql",
            json!({"sql": "SELECT 1", "dialect": "postgres", "extra": true}),
        )
        .await;
    assert!(err.contains("unknown field `extra`"), "{err}");
}
