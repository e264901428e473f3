//! PostgreSQL columns whose equality is not byte for byte: an ICU nondeterministic
//! collation (`USA` = `usa`) and the `citext` type. Checks compare them as every other
//! engine compares text (byte for byte), so uniqueness, accepted values, patterns and
//! referential checks find the same defects as on MariaDB and SQLite; columns with a
//! deterministic collation are untouched.

use serde_json::{Value, json};

use crate::common::{postgres_url, unique_name};

fn result<'a>(run: &'a Value, id: &str) -> &'a Value {
    run["results"]
        .as_array()
        .and_then(|r| r.iter().find(|x| x["id"] == id))
        .unwrap_or_else(|| panic!("no result `{id}` in {run:#}"))
}

#[tokio::test]
async fn loose_text_columns_compare_byte_for_byte_on_postgres() {
    let Some(url) = postgres_url() else { return };
    let schema = unique_name("dq_loose");
    let admin = sqlx::PgPool::connect(&url).await.expect("connect");
    super::pg_loose_text(&admin).await;
    let script = format!(
        "CREATE SCHEMA {schema};
         CREATE TABLE {schema}.countries (code TEXT COLLATE public.dana_ci, name CITEXT);
         INSERT INTO {schema}.countries VALUES ('usa', 'United States'), ('fra', 'France');
         CREATE TABLE {schema}.customers (id INTEGER, country TEXT COLLATE public.dana_ci, email CITEXT, tag TEXT);
         INSERT INTO {schema}.customers VALUES
           (1, 'usa', 'a@x.io', 'ok'), (2, 'USA', 'A@x.io', 'ok'), (3, 'fra', 'b@x.io', 'ok'),
           (4, 'Fra', 'c@x.io', 'ok'), (5, 'fra', 'c@x.io', 'OK'), (6, 'fra', 'c@x.io', 'ok');"
    );
    sqlx::raw_sql(sqlx::AssertSqlSafe(script))
        .execute(&admin)
        .await
        .expect("seed");
    let h = super::harness_with(
        &format!("[datasources.db]\nurl_env = \"DANA_TEST_POSTGRES_URL\"\nallow_write_capable_role = true\nschema = \"{schema}\"\n"),
        |_| {},
    )
    .await;
    let tables = json!([{
        "name": "customers",
        "primary_key": ["id"],
        "columns": [
            {"name": "id", "unique": true},
            {"name": "country", "accepted_values": ["usa", "fra"], "pattern": "^[a-z]+$"},
            {"name": "email", "unique": true},
            {"name": "tag", "accepted_values": ["ok"]}
        ],
        "unique_keys": [["country", "email"]],
        "foreign_keys": [{"columns": ["country"], "ref_table": "countries", "ref_columns": ["code"]}]
    }]);
    let run = h
        .ok(
            "run_quality_checks",
            json!({"datasource": "db", "tables": tables}),
        )
        .await;
    let observed = |id: &str| {
        let r = result(&run, id);
        assert_eq!(
            r["status"],
            json!(if r["passed"] == json!(true) {
                "pass"
            } else {
                "fail"
            }),
            "{id}: {r:#}"
        );
        r["observed"]
            .as_f64()
            .unwrap_or_else(|| panic!("{id}: {r:#}"))
    };
    // `USA` and `Fra` are not among the accepted values, byte for byte.
    assert_eq!(observed("DQ-ACCEPTED-VALUES:customers.country"), 2.0);
    // The pattern runs at all (PostgreSQL refuses regular expressions under a
    // nondeterministic collation) and finds the two upper-case codes.
    assert_eq!(observed("DQ-PATTERN:customers.country"), 2.0);
    // `a@x.io` and `A@x.io` differ (citext would call them one); `c@x.io` is there 3 times.
    assert_eq!(observed("DQ-UNIQUE:customers.email"), 2.0);
    // (fra, c@x.io) twice; (Fra, c@x.io) and (USA, A@x.io) are pairs of their own.
    assert_eq!(
        observed("DQ-UNIQUE-COMBINATION:customers.country+email"),
        1.0
    );
    // `USA` and `Fra` have no parent byte for byte.
    assert_eq!(observed("DQ-REFERENTIAL:customers.country->countries"), 2.0);
    // A deterministic column is compared as before: `OK` is outside ['ok'].
    assert_eq!(observed("DQ-ACCEPTED-VALUES:customers.tag"), 1.0);
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
        .execute(&admin)
        .await
        .expect("drop");
}
