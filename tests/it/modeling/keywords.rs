//! Reserved words derived from the engines, not kept by hand: every keyword an engine
//! refuses unquoted as a column or table name must be in dana's list for that dialect, so
//! that dana quotes it. PostgreSQL lists its keywords in `pg_get_keywords()`, MariaDB in
//! `information_schema.KEYWORDS`, DuckDB in `duckdb_keywords()`; SQLite documents its
//! list (<https://www.sqlite.org/lang_keywords.html>). Each word is tried unquoted on the
//! engine; the ones that fail must be reserved in dana. Snowflake, BigQuery, Redshift and
//! Databricks cite their vendors' published lists in `src/dialect/`.

use super::engines::Engine;

/// SQLite's documented keywords.
const SQLITE_KEYWORDS: &str = "ABORT ACTION ADD AFTER ALL ALTER ALWAYS ANALYZE AND AS ASC ATTACH AUTOINCREMENT BEFORE BEGIN BETWEEN BY CASCADE CASE CAST CHECK COLLATE COLUMN COMMIT CONFLICT CONSTRAINT CREATE CROSS CURRENT CURRENT_DATE CURRENT_TIME CURRENT_TIMESTAMP DATABASE DEFAULT DEFERRABLE DEFERRED DELETE DESC DETACH DISTINCT DO DROP EACH ELSE END ESCAPE EXCEPT EXCLUDE EXCLUSIVE EXISTS EXPLAIN FAIL FILTER FIRST FOLLOWING FOR FOREIGN FROM FULL GENERATED GLOB GROUP GROUPS HAVING IF IGNORE IMMEDIATE IN INDEX INDEXED INITIALLY INNER INSERT INSTEAD INTERSECT INTO IS ISNULL JOIN KEY LAST LEFT LIKE LIMIT MATCH MATERIALIZED NATURAL NO NOT NOTHING NOTNULL NULL NULLS OF OFFSET ON OR ORDER OTHERS OUTER OVER PARTITION PLAN PRAGMA PRECEDING PRIMARY QUERY RAISE RANGE RECURSIVE REFERENCES REGEXP REINDEX RELEASE RENAME REPLACE RESTRICT RETURNING RIGHT ROLLBACK ROW ROWS SAVEPOINT SELECT SET TABLE TEMP TEMPORARY THEN TIES TO TRANSACTION TRIGGER UNBOUNDED UNION UNIQUE UPDATE USING VACUUM VALUES VIEW VIRTUAL WHEN WHERE WINDOW WITH WITHOUT";

/// The engine's own keyword list, lower case, plain words only.
pub async fn engine_keywords(engine: &Engine) -> Vec<String> {
    let sql = match engine.dialect.name() {
        "postgres" => "SELECT word FROM pg_get_keywords()",
        "mysql" => "SELECT word FROM information_schema.KEYWORDS",
        "duckdb" => "SELECT keyword_name FROM duckdb_keywords()",
        _ => {
            return SQLITE_KEYWORDS
                .split_whitespace()
                .map(str::to_ascii_lowercase)
                .collect();
        }
    };
    let mut words: Vec<String> = engine
        .texts(sql)
        .await
        .into_iter()
        .filter_map(|row| row.into_iter().next().flatten())
        .map(|w| w.to_ascii_lowercase())
        .filter(|w| dana::dialect::ident::is_plain(w))
        .collect();
    words.sort();
    words.dedup();
    words
}

/// Whether the engine refuses `word` unquoted as a table name or as a column in the
/// statements dana generates (CREATE, INSERT column lists, qualified references, SET).
async fn refused(engine: &Engine, word: &str, i: usize) -> bool {
    let schema = &engine.schema;
    let table = format!("{schema}.kw_{i}");
    let bare_table = match engine.dialect.name() {
        "postgres" => format!("SET search_path TO {schema}; CREATE TABLE {word} (x INTEGER)"),
        "mysql" => format!("USE {schema}; CREATE TABLE {word} (x INTEGER)"),
        "duckdb" => format!("SET schema = '{schema}'; CREATE TABLE {word} (x INTEGER)"),
        _ => format!("CREATE TABLE {word} (x INTEGER)"),
    };
    for sql in [
        bare_table,
        format!("CREATE TABLE {table} ({word} INTEGER)"),
        format!("INSERT INTO {table} ({word}) SELECT 1"),
        format!("SELECT t.{word} FROM {table} AS t"),
        format!("UPDATE {table} SET {word} = 2"),
    ] {
        if engine.try_exec(&sql).await.is_err() {
            return true;
        }
    }
    false
}

#[tokio::test]
async fn every_keyword_an_engine_refuses_bare_is_quoted_by_dana() {
    for engine in Engine::all("kw").await {
        let name = engine.dialect.name();
        let words = engine_keywords(&engine).await;
        assert!(words.len() > 100, "{name}: only {} keywords", words.len());
        let mut missing = Vec::new();
        let mut refused_count = 0;
        for (i, word) in words.iter().enumerate() {
            if refused(&engine, word, i).await {
                refused_count += 1;
                if !engine
                    .dialect
                    .ident_rules()
                    .is_reserved(&word.to_ascii_uppercase())
                {
                    missing.push(word.clone());
                }
            }
        }
        assert!(
            missing.is_empty(),
            "{name} refuses these words unquoted but dana leaves them bare; add them to src/dialect/{name}.rs: {missing:?}"
        );
        assert!(refused_count > 20, "{name}: only {refused_count} refused");
        // Every keyword, as dana quotes it, is a valid column name.
        for (i, word) in words.iter().enumerate() {
            let quoted = engine.dialect.quote_ident(word).expect("quotable");
            engine
                .exec(&format!(
                    "CREATE TABLE {}.kwq_{i} ({quoted} INTEGER)",
                    engine.schema
                ))
                .await;
        }
        engine.cleanup().await;
    }
}

/// sqlparser (the parser dana's own checks use) must read every name dana leaves bare, in
/// every statement shape dana generates, for every dialect: a word its dialect treats as a
/// keyword there is quoted too (quoting a name is always safe).
#[test]
fn every_word_dana_leaves_bare_parses_with_sqlparser() {
    use dana::dialect::parse::check;
    let mut words: std::collections::BTreeSet<String> = sqlparser::keywords::ALL_KEYWORDS
        .iter()
        .map(|w| w.to_ascii_lowercase())
        .collect();
    for d in super::all_dialects() {
        words.extend(
            d.ident_rules()
                .reserved
                .iter()
                .map(|w| w.to_ascii_lowercase()),
        );
    }
    let mut missing = Vec::new();
    for d in super::all_dialects() {
        for w in &words {
            if !dana::dialect::ident::is_plain(w) {
                continue;
            }
            let Ok(q) = d.quote_ident(w) else { continue };
            if q != *w {
                continue;
            }
            let mut shapes = vec![
                format!("CREATE TABLE s.{w} (x INTEGER)"),
                format!("CREATE TABLE s.t ({w} INTEGER, a INTEGER, PRIMARY KEY ({w}))"),
                format!("CREATE TABLE s.t (a INTEGER, {w} INTEGER)"),
                format!("INSERT INTO s.t ({w}) SELECT s.{w} FROM s.x AS s"),
                format!(
                    "INSERT INTO s.t (a, {w}) SELECT -1, '-' FROM (SELECT 1 AS seed) AS seed WHERE NOT EXISTS (SELECT 1 FROM s.t AS u WHERE u.{w} = -1)"
                ),
                format!("UPDATE s.t AS t SET {w} = 1, a = t.{w} WHERE t.{w} = 2"),
                format!(
                    "SELECT x.{w} AS dana_key_1, ROW_NUMBER() OVER (PARTITION BY x.{w} ORDER BY x.{w} DESC) AS v FROM s.t AS x"
                ),
                format!("CREATE INDEX IF NOT EXISTS ix ON s.t ({w})"),
            ];
            if d.supports_merge() {
                shapes.push(format!(
                    "MERGE INTO s.t AS t USING s.x AS s ON t.a = s.a WHEN MATCHED THEN UPDATE SET {w} = s.{w} WHEN NOT MATCHED THEN INSERT (a, {w}) VALUES (s.a, s.{w})"
                ));
            }
            if d.upsert_style() == dana::dialect::UpsertStyle::OnConflict {
                shapes.push(format!(
                    "INSERT INTO s.t (a, {w}) SELECT s.a, s.{w} FROM s.x AS s WHERE s.a IS NOT NULL ON CONFLICT (a, {w}) DO UPDATE SET {w} = EXCLUDED.{w}"
                ));
            }
            if shapes.iter().any(|sql| check(d, sql).is_err()) {
                missing.push(format!("{}:{w}", d.name()));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "sqlparser reads these bare names as keywords; add them to the dialect's list: {missing:?}"
    );
}
