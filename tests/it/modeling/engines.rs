//! Generated DDL and SCD loads executed on real engines: SQLite always, PostgreSQL and
//! MariaDB when `DANA_TEST_POSTGRES_URL` / `DANA_TEST_MYSQL_URL` are set, DuckDB through
//! the PyPI package (`DANA_TEST_SQL_PYTHON`, see [`sql_python`]). SCD loads are
//! tested by behaviour: history rows, current flags, dates, Type 1/3 overwrites, and a
//! re-run that changes nothing.

use dana::dialect::ident::assert_sql_safe;
use dana::dialect::{self, LogicalType, SqlDialect, TableName};
use dana::domain::modeling::{DimensionSpec, ModelSpec};
use sqlx::mysql::MySqlPoolOptions;
use sqlx::postgres::PgPoolOptions;
use sqlx::sqlite::SqlitePoolOptions;
use sqlx::{MySqlPool, PgPool, Row, SqlitePool};

use super::{ddl, fixtures, retail, scd};
use crate::common::{mysql_url, postgres_url, unique_name};

enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
    MySql(MySqlPool),
    DuckDb(Box<PyRunner>),
}

/// The Python interpreter with the PyPI `duckdb` and `sqlglot` packages: the one named by
/// `DANA_TEST_SQL_PYTHON` (`.ci/run` sets it), else `python3` when it has them.
pub fn sql_python() -> Option<String> {
    if let Ok(python) = std::env::var("DANA_TEST_SQL_PYTHON")
        && !python.trim().is_empty()
    {
        return Some(python);
    }
    static FOUND: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    FOUND
        .get_or_init(|| {
            let ok = std::process::Command::new("python3")
                .args(["-c", "import duckdb, sqlglot"])
                .output()
                .is_ok_and(|o| o.status.success());
            if !ok {
                eprintln!(
                    "DANA_TEST_SQL_PYTHON unset and python3 lacks duckdb/sqlglot: DuckDB and sqlglot checks skipped"
                );
            }
            ok.then(|| "python3".to_string())
        })
        .clone()
}

/// One `sql_runner.py` process: DuckDB in memory and sqlglot, one JSON line per request.
pub struct PyRunner {
    io: tokio::sync::Mutex<(
        tokio::process::ChildStdin,
        tokio::io::BufReader<tokio::process::ChildStdout>,
    )>,
    _child: tokio::process::Child,
}

impl PyRunner {
    pub fn start(python: &str) -> PyRunner {
        let script = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/it/modeling/sql_runner.py"
        );
        let mut child = tokio::process::Command::new(python)
            .arg(script)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("{python} {script}: {e}"));
        let stdin = child.stdin.take().expect("stdin");
        let stdout = tokio::io::BufReader::new(child.stdout.take().expect("stdout"));
        PyRunner {
            io: tokio::sync::Mutex::new((stdin, stdout)),
            _child: child,
        }
    }

    pub async fn request(&self, request: serde_json::Value) -> serde_json::Value {
        use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
        let mut io = self.io.lock().await;
        let mut line = request.to_string();
        line.push('\n');
        io.0.write_all(line.as_bytes()).await.expect("runner stdin");
        io.0.flush().await.expect("runner flush");
        let mut answer = String::new();
        io.1.read_line(&mut answer).await.expect("runner stdout");
        serde_json::from_str(&answer).unwrap_or_else(|e| panic!("runner answer {answer:?}: {e}"))
    }

    /// sqlglot's reading of `sql` in `dialect`: Ok(statement count) or its error.
    pub async fn parse(&self, dialect: &str, sql: &str) -> Result<u64, String> {
        let answer = self
            .request(serde_json::json!({"parse": dialect, "sql": sql}))
            .await;
        match answer.get("error") {
            Some(e) => Err(e.as_str().unwrap_or_default().to_string()),
            None => Ok(answer["statements"].as_u64().unwrap_or_default()),
        }
    }
}

/// One engine with its own schema (an attached database on SQLite, a database on MariaDB).
pub struct Engine {
    pool: Pool,
    pub dialect: &'static dyn SqlDialect,
    pub schema: String,
}

impl Engine {
    pub async fn all(prefix: &str) -> Vec<Engine> {
        let schema = unique_name(&format!("sql_{prefix}"));
        let mut engines = Vec::new();
        let sqlite = SqlitePoolOptions::new()
            .max_connections(1)
            .connect("sqlite::memory:")
            .await
            .expect("sqlite");
        let engine = Engine {
            pool: Pool::Sqlite(sqlite),
            dialect: dialect::by_name("sqlite").expect("sqlite"),
            schema: schema.clone(),
        };
        engine
            .exec(&format!("ATTACH DATABASE ':memory:' AS {schema}"))
            .await;
        engine.exec("PRAGMA foreign_keys = ON").await;
        engines.push(engine);
        if let Some(url) = postgres_url() {
            let pool = PgPoolOptions::new()
                .max_connections(2)
                .connect(&url)
                .await
                .expect("postgres");
            let engine = Engine {
                pool: Pool::Postgres(pool),
                dialect: dialect::by_name("postgres").expect("postgres"),
                schema: schema.clone(),
            };
            engine.exec(&format!("CREATE SCHEMA {schema}")).await;
            engines.push(engine);
        }
        if let Some(url) = mysql_url() {
            let pool = MySqlPoolOptions::new()
                .max_connections(2)
                .connect(&url)
                .await
                .expect("mysql");
            let engine = Engine {
                pool: Pool::MySql(pool),
                dialect: dialect::by_name("mysql").expect("mysql"),
                schema: schema.clone(),
            };
            engine.exec(&format!("CREATE DATABASE {schema}")).await;
            engines.push(engine);
        }
        if let Some(python) = sql_python() {
            let engine = Engine {
                pool: Pool::DuckDb(Box::new(PyRunner::start(&python))),
                dialect: dialect::by_name("duckdb").expect("duckdb"),
                schema: schema.clone(),
            };
            engine.exec(&format!("CREATE SCHEMA {schema}")).await;
            engines.push(engine);
        }
        let expected = 1
            + usize::from(postgres_url().is_some())
            + usize::from(mysql_url().is_some())
            + usize::from(sql_python().is_some());
        assert_eq!(
            engines.len(),
            expected,
            "every configured engine takes part"
        );
        engines
    }

    pub async fn try_exec(&self, sql: &str) -> Result<(), sqlx::Error> {
        let query = sqlx::raw_sql(assert_sql_safe(sql.to_string()));
        match &self.pool {
            Pool::Sqlite(p) => query.execute(p).await.map(|_| ()),
            Pool::Postgres(p) => query.execute(p).await.map(|_| ()),
            Pool::MySql(p) => query.execute(p).await.map(|_| ()),
            Pool::DuckDb(r) => {
                let answer = r.request(serde_json::json!({"sql": sql})).await;
                match answer.get("error") {
                    Some(e) => Err(sqlx::Error::Protocol(
                        e.as_str().unwrap_or_default().to_string(),
                    )),
                    None => Ok(()),
                }
            }
        }
    }

    pub async fn exec(&self, sql: &str) {
        if let Err(e) = self.try_exec(sql).await {
            panic!("{} rejected:\n{sql}\n{e}", self.dialect.name());
        }
    }

    /// Rows of a query whose columns are all text.
    pub async fn texts(&self, sql: &str) -> Vec<Vec<Option<String>>> {
        let to_texts =
            |n: usize, get: &dyn Fn(usize) -> Option<String>| (0..n).map(get).collect::<Vec<_>>();
        let result: Result<Vec<Vec<Option<String>>>, sqlx::Error> = match &self.pool {
            Pool::Sqlite(p) => sqlx::query(assert_sql_safe(sql.to_string()))
                .fetch_all(p)
                .await
                .map(|rows| {
                    rows.iter()
                        .map(|r| {
                            to_texts(r.len(), &|i| {
                                r.try_get::<Option<String>, _>(i).ok().flatten()
                            })
                        })
                        .collect()
                }),
            Pool::Postgres(p) => sqlx::query(assert_sql_safe(sql.to_string()))
                .fetch_all(p)
                .await
                .map(|rows| {
                    rows.iter()
                        .map(|r| {
                            to_texts(r.len(), &|i| {
                                r.try_get::<Option<String>, _>(i).ok().flatten()
                            })
                        })
                        .collect()
                }),
            Pool::MySql(p) => sqlx::query(assert_sql_safe(sql.to_string()))
                .fetch_all(p)
                .await
                .map(|rows| {
                    rows.iter()
                        .map(|r| {
                            to_texts(r.len(), &|i| {
                                r.try_get::<Option<String>, _>(i).ok().flatten()
                            })
                        })
                        .collect()
                }),
            Pool::DuckDb(r) => {
                let answer = r
                    .request(serde_json::json!({"sql": sql, "fetch": true}))
                    .await;
                match answer.get("error") {
                    Some(e) => Err(sqlx::Error::Protocol(
                        e.as_str().unwrap_or_default().to_string(),
                    )),
                    None => Ok(serde_json::from_value(answer["rows"].clone())
                        .unwrap_or_else(|e| panic!("duckdb rows: {e}"))),
                }
            }
        };
        result.unwrap_or_else(|e| panic!("{} rejected:\n{sql}\n{e}", self.dialect.name()))
    }

    /// `CAST(expr AS <text>)`.
    pub fn text(&self, expr: &str) -> String {
        match self.pool {
            Pool::MySql(_) => format!("CAST({expr} AS CHAR)"),
            _ => format!("CAST({expr} AS TEXT)"),
        }
    }

    pub fn table(&self, name: &str) -> String {
        self.dialect
            .qualified_name(&TableName::new(Some(&self.schema), name))
            .expect("table name")
    }

    /// Drops this engine's schema with everything in it and creates it again, empty.
    pub async fn renew(&self) {
        let schema = &self.schema;
        match &self.pool {
            Pool::Sqlite(_) => {
                self.exec(&format!("DETACH DATABASE {schema}")).await;
                self.exec(&format!("ATTACH DATABASE ':memory:' AS {schema}"))
                    .await;
            }
            Pool::MySql(_) => {
                self.exec(&format!("DROP DATABASE {schema}")).await;
                self.exec(&format!("CREATE DATABASE {schema}")).await;
            }
            Pool::Postgres(_) | Pool::DuckDb(_) => {
                self.exec(&format!("DROP SCHEMA {schema} CASCADE")).await;
                self.exec(&format!("CREATE SCHEMA {schema}")).await;
            }
        }
    }

    pub async fn cleanup(self) {
        match &self.pool {
            Pool::Sqlite(_) => {}
            Pool::Postgres(_) => {
                self.exec(&format!("DROP SCHEMA {} CASCADE", self.schema))
                    .await
            }
            Pool::MySql(_) => self.exec(&format!("DROP DATABASE {}", self.schema)).await,
            Pool::DuckDb(_) => {
                self.exec(&format!("DROP SCHEMA {} CASCADE", self.schema))
                    .await
            }
        }
    }

    /// Runs every DDL statement of `model` in this engine's schema.
    pub async fn create(&self, model: &ModelSpec) {
        for s in ddl(model, self.dialect, Some(&self.schema)).statements {
            self.exec(&s.sql).await;
        }
    }

    /// Creates a staging table with text-ish columns typed by the dialect.
    pub async fn staging(&self, name: &str, columns: &[(&str, LogicalType)]) {
        let cols: Vec<String> = columns
            .iter()
            .map(|(c, t)| {
                format!(
                    "{} {}",
                    self.dialect.quote_ident(c).expect("column"),
                    self.dialect.physical_type(t).sql
                )
            })
            .collect();
        self.exec(&format!(
            "CREATE TABLE {} ({})",
            self.table(name),
            cols.join(", ")
        ))
        .await;
    }

    /// Replaces the staging rows (values are SQL literals).
    pub async fn stage(&self, name: &str, rows: &[&str]) {
        self.exec(&format!("DELETE FROM {}", self.table(name)))
            .await;
        for row in rows {
            self.exec(&format!("INSERT INTO {} VALUES ({row})", self.table(name)))
                .await;
        }
    }

    /// Runs the whole SCD load of `dimension` (optionally only its first `steps` statements).
    pub async fn load(
        &self,
        dimension: &DimensionSpec,
        staging: &str,
        effective: Option<&str>,
        steps: Option<usize>,
    ) {
        let out = scd(
            dimension,
            self.dialect,
            Some(&self.schema),
            staging,
            effective,
        );
        for s in out.statements.iter().take(steps.unwrap_or(usize::MAX)) {
            self.exec(&s.sql).await;
        }
    }
}

fn dimension(model: &ModelSpec, name: &str) -> DimensionSpec {
    model
        .dimensions
        .iter()
        .find(|d| d.name == name)
        .cloned()
        .expect("fixture dimension")
}

#[tokio::test]
async fn fixture_ddl_executes_twice_and_enforces_keys() {
    for engine in Engine::all("ddl").await {
        for (name, model) in fixtures() {
            engine.create(&model).await;
            // Idempotent: a second run creates nothing and adds no second unknown member.
            engine.create(&model).await;
            for dim in model.dimensions.iter().filter(|d| d.unknown_member) {
                let rows = engine
                    .texts(&format!(
                        "SELECT {} FROM {}",
                        engine.text("COUNT(*)"),
                        engine.table(&dim.name)
                    ))
                    .await;
                assert_eq!(
                    rows[0][0].as_deref(),
                    Some("1"),
                    "{name}/{}/{}",
                    engine.dialect.name(),
                    dim.name
                );
            }
        }
        // Facts load against unknown members; a dangling key is refused (FKs enforced).
        let fact = engine.table("fct_orders");
        let ok =
            "-1, -1, -1, -1, 'SO-1', 1, 2, 20.00, 0.00, 10.00, '2024-03-01', '2024-03-01 10:00:00'";
        engine
            .exec(&format!("INSERT INTO {fact} VALUES ({ok})"))
            .await;
        let dangling = "-1, 999, -1, -1, 'SO-1', 2, 2, 20.00, 0.00, 10.00, '2024-03-01', '2024-03-01 10:00:00'";
        let refused = engine
            .try_exec(&format!("INSERT INTO {fact} VALUES ({dangling})"))
            .await;
        assert!(
            refused.is_err(),
            "{}: dangling foreign key accepted",
            engine.dialect.name()
        );
        engine.cleanup().await;
    }
}

const CUSTOMER_STAGING: &[(&str, LogicalType)] = &[
    ("customer_id", LogicalType::String(Some(36))),
    ("name", LogicalType::String(Some(200))),
    ("email_address", LogicalType::String(Some(320))),
    ("customer_segment", LogicalType::String(Some(30))),
    ("loyalty_tier", LogicalType::String(Some(20))),
    ("city", LogicalType::String(Some(100))),
    ("country_code", LogicalType::String(Some(2))),
    ("signed_up_at", LogicalType::TimestampTz),
    ("changed_at", LogicalType::TimestampTz),
];

/// (customer_id, name, segment, tier, previous tier, current, valid_from[..19], valid_to[..19], key)
async fn customers(engine: &Engine) -> Vec<Vec<Option<String>>> {
    let sql = format!(
        "SELECT customer_id, customer_name, customer_segment, loyalty_tier, previous_loyalty_tier, \
         CASE WHEN is_current THEN 'Y' ELSE 'N' END, {}, {}, {} FROM {} WHERE customer_key <> -1 \
         ORDER BY customer_id, valid_from",
        engine.text("valid_from"),
        engine.text("valid_to"),
        engine.text("customer_key"),
        engine.table("dim_customers")
    );
    engine
        .texts(&sql)
        .await
        .into_iter()
        .map(|mut row| {
            for v in row.iter_mut().skip(6).take(2) {
                *v = v.as_ref().map(|s| s.chars().take(19).collect());
            }
            row
        })
        .collect()
}

fn row(values: &[Option<&str>]) -> Vec<Option<String>> {
    values.iter().map(|v| v.map(str::to_string)).collect()
}

#[tokio::test]
async fn scd2_load_keeps_history_and_reruns_without_change() {
    let model = retail();
    let dim = dimension(&model, "dim_customers");
    for engine in Engine::all("scd2").await {
        let name = engine.dialect.name();
        engine.create(&model).await;
        engine.staging("stg_customers", CUSTOMER_STAGING).await;
        let v1 = [
            "'C1', 'Alice', 'a@example.com', 'retail', 'silver', 'Paris', 'FR', '2023-05-01 08:00:00', '2024-01-01 00:00:00'",
            "'C2', 'Bob', 'b@example.com', 'b2b', 'gold', 'Berlin', 'DE', '2023-06-01 08:00:00', '2024-01-01 00:00:00'",
        ];
        engine.stage("stg_customers", &v1).await;
        engine
            .load(&dim, "stg_customers", Some("changed_at"), None)
            .await;
        let after_v1 = customers(&engine).await;
        assert_eq!(after_v1.len(), 2, "{name}: {after_v1:?}");

        // v2: C1 changes segment (Type 2), name (Type 1) and tier (Type 3); C2 unchanged; C3 new.
        let v2 = [
            "'C1', 'Alice Smith', 'a@example.com', 'vip', 'platinum', 'Paris', 'FR', '2023-05-01 08:00:00', '2024-02-01 00:00:00'",
            "'C2', 'Bob', 'b@example.com', 'b2b', 'gold', 'Berlin', 'DE', '2023-06-01 08:00:00', '2024-02-01 00:00:00'",
            "'C3', 'Carol', NULL, 'retail', 'bronze', 'Lyon', 'FR', '2024-01-20 08:00:00', '2024-02-01 00:00:00'",
        ];
        engine.stage("stg_customers", &v2).await;
        engine
            .load(&dim, "stg_customers", Some("changed_at"), None)
            .await;
        let after_v2 = customers(&engine).await;
        let expected = [
            row(&[
                Some("C1"),
                Some("Alice Smith"),
                Some("retail"),
                Some("platinum"),
                Some("silver"),
                Some("N"),
                Some("2024-01-01 00:00:00"),
                Some("2024-02-01 00:00:00"),
            ]),
            row(&[
                Some("C1"),
                Some("Alice Smith"),
                Some("vip"),
                Some("platinum"),
                Some("silver"),
                Some("Y"),
                Some("2024-02-01 00:00:00"),
                Some("9999-12-31 00:00:00"),
            ]),
            row(&[
                Some("C2"),
                Some("Bob"),
                Some("b2b"),
                Some("gold"),
                None,
                Some("Y"),
                Some("2024-01-01 00:00:00"),
                Some("9999-12-31 00:00:00"),
            ]),
            row(&[
                Some("C3"),
                Some("Carol"),
                Some("retail"),
                Some("bronze"),
                None,
                Some("Y"),
                Some("2024-02-01 00:00:00"),
                Some("9999-12-31 00:00:00"),
            ]),
        ];
        let without_keys: Vec<Vec<Option<String>>> =
            after_v2.iter().map(|r| r[..8].to_vec()).collect();
        assert_eq!(without_keys, expected, "{name}");
        // The C1 history keeps its first surrogate key; the new version has a new one.
        assert_eq!(
            after_v2[0][8], after_v1[0][8],
            "{name}: first version keeps its key"
        );
        assert_ne!(
            after_v2[1][8], after_v2[0][8],
            "{name}: new version gets a new key"
        );

        // Re-running the same load changes nothing.
        engine
            .load(&dim, "stg_customers", Some("changed_at"), None)
            .await;
        assert_eq!(
            customers(&engine).await,
            after_v2,
            "{name}: re-run changed rows"
        );

        // A load interrupted after closing versions completes when re-run.
        let v3 = [
            "'C1', 'Alice Smith', 'a@example.com', 'vip', 'platinum', 'Paris', 'FR', '2023-05-01 08:00:00', '2024-02-01 00:00:00'",
            "'C2', 'Bob', 'b@example.com', 'b2b', 'gold', 'Munich', 'DE', '2023-06-01 08:00:00', '2024-03-01 00:00:00'",
        ];
        engine.stage("stg_customers", &v3).await;
        let steps = scd(
            &dim,
            engine.dialect,
            Some(&engine.schema),
            "stg_customers",
            Some("changed_at"),
        )
        .statements
        .len();
        engine
            .load(&dim, "stg_customers", Some("changed_at"), Some(steps - 1))
            .await;
        engine
            .load(&dim, "stg_customers", Some("changed_at"), None)
            .await;
        let c2: Vec<Vec<Option<String>>> = customers(&engine)
            .await
            .into_iter()
            .filter(|r| r[0].as_deref() == Some("C2"))
            .collect();
        assert_eq!(c2.len(), 2, "{name}: {c2:?}");
        assert_eq!(
            (c2[0][5].as_deref(), c2[1][5].as_deref()),
            (Some("N"), Some("Y")),
            "{name}"
        );
        assert_eq!(
            c2[0][7], c2[1][6],
            "{name}: closed valid_to equals the new valid_from"
        );
        engine.cleanup().await;
    }
}

#[tokio::test]
async fn scd2_load_without_effective_column_chains_versions() {
    let model = retail();
    let dim = dimension(&model, "dim_customers");
    for engine in Engine::all("scd2now").await {
        let name = engine.dialect.name();
        engine.create(&model).await;
        engine.staging("stg_customers", CUSTOMER_STAGING).await;
        let v1 = ["'C1', 'Alice', NULL, 'retail', 'silver', 'Paris', 'FR', NULL, NULL"];
        engine.stage("stg_customers", &v1).await;
        engine.load(&dim, "stg_customers", None, None).await;
        let v2 = ["'C1', 'Alice', NULL, 'vip', 'silver', 'Paris', 'FR', NULL, NULL"];
        engine.stage("stg_customers", &v2).await;
        engine.load(&dim, "stg_customers", None, None).await;
        let rows = customers(&engine).await;
        assert_eq!(rows.len(), 2, "{name}: {rows:?}");
        assert_eq!(
            (rows[0][5].as_deref(), rows[1][5].as_deref()),
            (Some("N"), Some("Y")),
            "{name}"
        );
        assert_eq!(
            rows[0][7], rows[1][6],
            "{name}: the new version starts when the old one ended"
        );
        engine.load(&dim, "stg_customers", None, None).await;
        assert_eq!(
            customers(&engine).await,
            rows,
            "{name}: re-run changed rows"
        );
        engine.cleanup().await;
    }
}

#[tokio::test]
async fn scd1_upsert_overwrites_and_reruns_without_change() {
    let model = retail();
    let dim = dimension(&model, "dim_stores");
    let staging: &[(&str, LogicalType)] = &[
        ("store_code", LogicalType::String(Some(10))),
        ("store_name", LogicalType::String(Some(100))),
        ("region", LogicalType::String(Some(50))),
        ("city", LogicalType::String(Some(100))),
        ("is_online", LogicalType::Boolean),
        ("opened_date", LogicalType::Date),
    ];
    for engine in Engine::all("scd1").await {
        let name = engine.dialect.name();
        engine.create(&model).await;
        engine.staging("stg_stores", staging).await;
        let select = format!(
            "SELECT store_code, store_name, region, city, {} FROM {} ORDER BY store_code",
            engine.text("store_key"),
            engine.table("dim_stores")
        );
        engine
            .stage(
                "stg_stores",
                &[
                    "'S1', 'Central', 'North', 'Lille', FALSE, '2020-01-01'",
                    "'S2', 'Web', 'Online', NULL, TRUE, NULL",
                ],
            )
            .await;
        engine.load(&dim, "stg_stores", None, None).await;
        let v1 = engine.texts(&select).await;
        assert_eq!(v1.len(), 3, "{name}: unknown member + 2 stores: {v1:?}");
        engine
            .stage(
                "stg_stores",
                &[
                    "'S1', 'Central', 'Hauts-de-France', 'Lille', FALSE, '2020-01-01'",
                    "'S2', 'Web', 'Online', NULL, TRUE, NULL",
                    "'S3', 'Harbour', 'West', 'Brest', FALSE, NULL",
                ],
            )
            .await;
        engine.load(&dim, "stg_stores", None, None).await;
        let v2 = engine.texts(&select).await;
        assert_eq!(v2.len(), 4, "{name}: {v2:?}");
        assert_eq!(
            v2[1][2].as_deref(),
            Some("Hauts-de-France"),
            "{name}: region overwritten"
        );
        assert_eq!(v2[1][4], v1[1][4], "{name}: S1 keeps its key");
        assert_eq!(v2[3][0].as_deref(), Some("S3"), "{name}");
        engine.load(&dim, "stg_stores", None, None).await;
        assert_eq!(
            engine.texts(&select).await,
            v2,
            "{name}: re-run changed rows"
        );
        engine.cleanup().await;
    }
}

#[tokio::test]
async fn every_fixture_dimension_loads_on_every_engine() {
    for engine in Engine::all("loads").await {
        for (_, model) in fixtures() {
            engine.create(&model).await;
            for dim in &model.dimensions {
                let staging = format!("stg_{}", dim.name);
                let mut columns: Vec<(&str, LogicalType)> = dim
                    .natural_key
                    .iter()
                    .map(|c| (c.name.as_str(), c.logical_type))
                    .collect();
                for a in &dim.attributes {
                    columns.push((a.source.as_deref().unwrap_or(&a.name), a.logical_type));
                }
                engine.staging(&staging, &columns).await;
                // Empty staging, then the load twice: nothing to do, nothing may fail.
                engine.load(dim, &staging, None, None).await;
                engine.load(dim, &staging, None, None).await;
            }
        }
        engine.cleanup().await;
    }
}
