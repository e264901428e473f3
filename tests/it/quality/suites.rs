//! Great Expectations and Soda suites from generate_quality_checks (`formats: ["gx",
//! "soda"]`): run by their own engines against the retail sample on PostgreSQL (clean and
//! defect copies), every check's verdict equals dana's run, and so does its count where the
//! engine counts what dana counts; golden files; hostile names survive both formats; bad
//! input names the field.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

use proptest::prelude::*;
use serde_json::{Value, json};

use crate::common::{Harness, engine, postgres_url, unique_name};

const DEFECTS: &str = include_str!("fixtures/sample/defects.yaml");

/// The sample's declared table specs in `schema`, and one more spec on `orders` with the
/// kinds the sample does not declare (distribution, freshness, windowed volume,
/// reconciliation, custom SQL whose text holds `:x`, `{1}` and `$` for the engines' own
/// template and bind syntax).
fn specs(schema: &str) -> Vec<Value> {
    let fixture: Value = serde_norway::from_str(DEFECTS).expect("defects.yaml");
    let mut specs: Vec<Value> = fixture["tables"]
        .as_array()
        .expect("tables")
        .iter()
        .map(|t| {
            let mut t = t.clone();
            t["schema"] = json!(schema);
            t
        })
        .collect();
    specs.push(json!({
        "name": "orders",
        "schema": schema,
        "columns": [{"name": "status", "max_share_pct": 40}, {"name": "ordered_at"}, {"name": "order_id"}],
        "freshness": {"column": "ordered_at", "max_age_hours": 24},
        "volume": {"partition_column": "ordered_at", "window_days": 36500, "min_rows": 60},
        "reconciliations": [{"other_table": "orders", "measure": "count", "tolerance_pct": 0}],
        "custom_checks": [{
            "name": "odd_status",
            "sql": format!("SELECT COUNT(*) AS observed FROM \"{schema}\".orders WHERE status IN ('Shipped', ':x{{1}}$y')"),
            "max": 0,
            "severity": "P2"
        }]
    }));
    specs
}

/// Where one engine run's files and results go.
struct Run {
    dir: PathBuf,
    gx_suites: Vec<PathBuf>,
    soda_files: Vec<PathBuf>,
}

/// Writes each generated file of `out` under `dir/<index>/`.
fn write_files(run: &mut Run, index: usize, out: &Value) {
    for file in out["suite_files"].as_array().expect("suite_files") {
        let path = run
            .dir
            .join(index.to_string())
            .join(file["path"].as_str().expect("path"));
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, file["content"].as_str().expect("content")).expect("write");
        match path.extension().and_then(|e| e.to_str()) {
            Some("json") => run.gx_suites.push(path),
            Some("yml") => run.soda_files.push(path),
            _ => {}
        }
    }
}

/// One engine's verdict on a check: passed, and the count when it counts what dana does.
#[derive(Debug, Clone, PartialEq)]
struct Verdict {
    passed: bool,
    count: Option<f64>,
}

/// Runs every suite in one GX process (the shipped runner, imported), `url` a SQLAlchemy URL.
fn run_gx(python: &str, run: &Run, url: &str) -> BTreeMap<String, Verdict> {
    let runner_dir = run.gx_suites[0].parent().expect("gx dir");
    let mut driver = String::from(
        "import sys, json\nsys.path.insert(0, sys.argv[1])\nimport run_suite\nfor i in range(3, len(sys.argv)):\n    code = run_suite.main(['run_suite', sys.argv[i], sys.argv[2], sys.argv[i] + '.result'])\n    assert code in (0, 1), code\n",
    );
    driver.push('\n');
    let driver_path = run.dir.join("gx_driver.py");
    std::fs::write(&driver_path, driver).expect("driver");
    let output = Command::new(python)
        .arg(&driver_path)
        .arg(runner_dir)
        .arg(url)
        .args(&run.gx_suites)
        .current_dir(&run.dir)
        .env("HOME", &run.dir)
        .output()
        .expect("run gx");
    assert!(
        output.status.success(),
        "gx failed: {}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let mut verdicts = BTreeMap::new();
    for suite in &run.gx_suites {
        let text = std::fs::read_to_string(suite.with_extension("json.result")).expect("result");
        let result: Value = serde_json::from_str(&text).expect("result json");
        for r in result["results"].as_array().expect("results") {
            assert!(
                r["exception_info"]["raised_exception"] != json!(true),
                "gx raised: {r:#}"
            );
            let config = &r["expectation_config"];
            let id = config["meta"]["dana_id"]
                .as_str()
                .expect("dana_id")
                .to_string();
            let same = config["meta"]["dana_counts"] == json!("same");
            let count = same
                .then(|| {
                    r["result"]["unexpected_count"]
                        .as_f64()
                        .or_else(|| r["result"]["observed_value"].as_f64())
                })
                .flatten();
            verdicts.insert(
                id,
                Verdict {
                    passed: r["success"] == json!(true),
                    count,
                },
            );
        }
    }
    verdicts
}

/// The pieces of a `postgres://user[:password]@host[:port]/database` URL.
fn url_parts(url: &str) -> (String, String, String, String, String) {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let (auth, rest) = rest.split_once('@').unwrap_or(("postgres", rest));
    let (user, password) = auth.split_once(':').unwrap_or((auth, ""));
    let (host_port, database) = rest.split_once('/').unwrap_or((rest, "postgres"));
    let database = database.split('?').next().unwrap_or_default();
    let (host, port) = host_port.split_once(':').unwrap_or((host_port, "5432"));
    (
        user.into(),
        password.into(),
        host.into(),
        port.into(),
        database.into(),
    )
}

/// Runs every Soda file in one `soda scan` on `schema`; `None` counts where Soda's metric
/// counts otherwise than dana (`duplicate_count`: repeated values, not extra rows).
fn run_soda(python: &str, run: &Run, url: &str, schema: &str) -> BTreeMap<String, Verdict> {
    let (user, password, host, port, database) = url_parts(url);
    let config = json!({"data_source dana": {
        "type": "postgres", "host": host, "port": port, "username": user,
        "password": password, "database": database, "schema": schema,
    }});
    let config_path = run.dir.join("configuration.yml");
    std::fs::write(
        &config_path,
        dana::codegen::yaml::to_string(&config).expect("yaml"),
    )
    .expect("config");
    // Soda's global config lives under HOME: keep it in the temp dir, telemetry off.
    std::fs::create_dir_all(run.dir.join(".soda")).expect("mkdir");
    std::fs::write(
        run.dir.join(".soda/config.yml"),
        "send_anonymous_usage_stats: false\n",
    )
    .expect("soda config");
    let results = run.dir.join("soda_results.json");
    let output = Command::new(python)
        .args(["-m", "soda", "scan", "-d", "dana", "-c"])
        .arg(&config_path)
        .arg("-srf")
        .arg(&results)
        .args(&run.soda_files)
        .current_dir(&run.dir)
        .env("HOME", &run.dir)
        .output()
        .expect("run soda");
    let log = format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let text = std::fs::read_to_string(&results).unwrap_or_else(|_| panic!("soda: {log}"));
    let scan: Value = serde_json::from_str(&text).expect("soda json");
    assert_eq!(scan["hasErrors"], json!(false), "soda errors: {log}");
    let mut verdicts = BTreeMap::new();
    for check in scan["checks"].as_array().expect("checks") {
        let id = check["name"].as_str().expect("name").to_string();
        let outcome = check["outcome"].as_str().unwrap_or_default();
        assert!(
            ["pass", "warn", "fail"].contains(&outcome),
            "soda {id}: outcome `{outcome}`: {log}"
        );
        let duplicates = check["definition"]
            .as_str()
            .is_some_and(|d| d.contains("duplicate_count("));
        verdicts.insert(
            id,
            Verdict {
                passed: outcome == "pass",
                count: (!duplicates)
                    .then(|| check["diagnostics"]["value"].as_f64())
                    .flatten(),
            },
        );
    }
    verdicts
}

/// Asserts every dana check has the same verdict (and count, where given) in `engine`.
fn assert_same(
    copy: &str,
    engine: &str,
    dana: &BTreeMap<String, Verdict>,
    other: &BTreeMap<String, Verdict>,
) {
    let mut differ = Vec::new();
    for (id, want) in dana {
        match other.get(id) {
            None => differ.push(format!("{id}: missing in {engine}")),
            Some(got) => {
                if got.passed != want.passed {
                    differ.push(format!(
                        "{id}: dana passed={} {engine} passed={}",
                        want.passed, got.passed
                    ));
                }
                if let (Some(a), Some(b)) = (want.count, got.count)
                    && a != b
                {
                    differ.push(format!("{id}: dana observed {a}, {engine} {b}"));
                }
            }
        }
    }
    assert!(
        differ.is_empty(),
        "{copy}: {engine} disagrees with dana:\n{}",
        differ.join("\n")
    );
}

async fn load(admin: &sqlx::PgPool, schema: &str, defects: bool) {
    let mut script = vec![
        format!("CREATE SCHEMA {schema}"),
        format!("SET search_path TO {schema}"),
    ];
    script.extend(super::sample::load_statements(defects, false));
    sqlx::raw_sql(sqlx::AssertSqlSafe(script.join(";\n")))
        .execute(admin)
        .await
        .expect("load");
}

/// Generates the suites of `specs`, runs dana, GX and Soda on `datasource` (`schema`)
/// and asserts they agree; returns the ids dana failed.
async fn compare(
    h: &Harness,
    copy: &str,
    schema: &str,
    specs: Vec<Value>,
    url: &str,
    gx: &str,
    soda: &str,
) -> Vec<String> {
    let dir = tempfile::tempdir().expect("dir");
    let mut run = Run {
        dir: dir.path().to_path_buf(),
        gx_suites: Vec::new(),
        soda_files: Vec::new(),
    };
    let mut checks = Vec::new();
    let mut soda_ids: Vec<String> = Vec::new();
    for (i, spec) in specs.into_iter().enumerate() {
        let out = h
            .ok(
                "generate_quality_checks",
                json!({"table": spec, "dialect": "postgres", "formats": ["gx", "soda"]}),
            )
            .await;
        checks.extend(out["checks"].as_array().expect("checks").iter().cloned());
        // Checks of a table Soda cannot address are left out of its file, with a note.
        if out["suite_files"].as_array().is_some_and(|f| {
            f.iter()
                .any(|f| f["path"].as_str().is_some_and(|p| p.starts_with("soda/")))
        }) {
            soda_ids.extend(
                out["checks"]
                    .as_array()
                    .expect("checks")
                    .iter()
                    .map(|c| c["id"].as_str().expect("id").to_string()),
            );
        }
        write_files(&mut run, i, &out);
    }
    let result = h
        .ok(
            "run_quality_checks",
            json!({"datasource": copy, "checks": checks}),
        )
        .await;
    let dana: BTreeMap<String, Verdict> = result["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| {
            (
                r["id"].as_str().expect("id").to_string(),
                Verdict {
                    passed: r["passed"] == json!(true),
                    count: r["observed"].as_f64(),
                },
            )
        })
        .collect();
    let gx_url = url.replacen("postgres://", "postgresql+psycopg2://", 1);
    let gx_verdicts = run_gx(gx, &run, &gx_url);
    assert_same(copy, "gx", &dana, &gx_verdicts);
    if !run.soda_files.is_empty() {
        let soda_verdicts = run_soda(soda, &run, url, schema);
        let planned: BTreeMap<String, Verdict> = dana
            .iter()
            .filter(|(id, _)| soda_ids.contains(id))
            .map(|(id, v)| (id.clone(), v.clone()))
            .collect();
        assert_same(copy, "soda", &planned, &soda_verdicts);
    }
    dana.into_iter()
        .filter(|(_, v)| !v.passed)
        .map(|(id, _)| id)
        .collect()
}

#[tokio::test]
async fn gx_and_soda_agree_with_dana_on_the_sample() {
    let Some(url) = postgres_url() else { return };
    let (Some(gx), Some(soda)) = (
        engine("DANA_TEST_GX_PYTHON"),
        engine("DANA_TEST_SODA_PYTHON"),
    ) else {
        return;
    };
    let admin = sqlx::PgPool::connect(&url).await.expect("connect");
    let (clean, defect) = (
        unique_name("dq_suite_clean"),
        unique_name("dq_suite_defect"),
    );
    load(&admin, &clean, false).await;
    load(&admin, &defect, true).await;
    let h = super::harness_with(
        &format!(
            "[datasources.clean]\nurl_env = \"DANA_TEST_POSTGRES_URL\"\nallow_write_capable_role = true\nschema = \"{clean}\"\n\
             [datasources.defect]\nurl_env = \"DANA_TEST_POSTGRES_URL\"\nallow_write_capable_role = true\nschema = \"{defect}\"\n"
        ),
        |_| {},
    )
    .await;
    let clean_failed = compare(&h, "clean", &clean, specs(&clean), &url, &gx, &soda).await;
    let defect_failed = compare(&h, "defect", &defect, specs(&defect), &url, &gx, &soda).await;
    for schema in [&clean, &defect] {
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
            .execute(&admin)
            .await
            .expect("drop");
    }
    // The clean copy fails only the extra spec's stale-by-design freshness SLA.
    assert_eq!(
        clean_failed,
        vec!["DQ-FRESHNESS:orders.ordered_at".to_string()],
        "clean copy"
    );
    for want in [
        "DQ-NOT-NULL:customers.email",
        "DQ-UNIQUE:customers.customer_id",
        "DQ-UNIQUE-COMBINATION:order_items.order_id+line_no",
        "DQ-PATTERN:products.sku",
        "DQ-REFERENTIAL:orders.customer_id->customers",
        "DQ-NO-FUTURE:orders.ordered_at",
        "DQ-VOLUME:orders.ordered_at",
        "DQ-CUSTOM-SQL:orders.odd_status",
    ] {
        assert!(
            defect_failed.iter().any(|id| id == want),
            "defect copy: {want} passed: {defect_failed:?}"
        );
    }
}

/// Column names GX and Soda must keep exactly: a keyword, quotes, the engines' own template
/// and bind syntax (`{{`, `${`, `{%`, `:b`), non-ASCII, a backslash.
const HOSTILE: [&str; 5] = [
    "select",
    "Mixed \"Quote\"",
    "a:b {{x}} ${y} {%z%}",
    "名前 é",
    "it's \\ back",
];

#[tokio::test]
async fn hostile_names_run_in_gx_and_soda() {
    let Some(url) = postgres_url() else { return };
    let (Some(gx), Some(soda)) = (
        engine("DANA_TEST_GX_PYTHON"),
        engine("DANA_TEST_SODA_PYTHON"),
    ) else {
        return;
    };
    let pg = dana::dialect::by_name("postgres").expect("postgres");
    let q = |n: &str| pg.quote_ident(n).expect("quote");
    let lit = |v: &str| pg.string_literal(v).expect("literal");
    let admin = sqlx::PgPool::connect(&url).await.expect("connect");
    let schema = unique_name("dq_suite_hostile");
    let weird = "Weird \"T\" {{t}} ${t} :t";
    let [c_sel, c_mixed, c_num, c_uni, c_ts] = HOSTILE;
    let mut script = vec![format!("CREATE SCHEMA {schema}")];
    for table in ["t_hostile", weird] {
        script.push(format!(
            "CREATE TABLE {schema}.{} (id INTEGER, {} TEXT, {} TEXT, {} INTEGER, {} TEXT, {} TIMESTAMP)",
            q(table),
            q(c_sel),
            q(c_mixed),
            q(c_num),
            q(c_uni),
            q(c_ts)
        ));
        for (id, sel, mixed, num, uni, ts) in [
            (1, "a", "abc", "1", "x", "2020-01-01"),
            (2, "it's", "abc", "5", "y", "2020-01-01"),
            (3, "${x}", "Abc", "11", "x", "2099-01-01"),
            (4, "B", "abc", "NULL", "z", "2020-01-01"),
        ] {
            script.push(format!(
                "INSERT INTO {schema}.{} VALUES ({id}, {}, {}, {num}, {}, {})",
                q(table),
                lit(sel),
                lit(mixed),
                lit(uni),
                lit(ts)
            ));
        }
    }
    sqlx::raw_sql(sqlx::AssertSqlSafe(script.join(";\n")))
        .execute(&admin)
        .await
        .expect("load");
    let h = super::harness_with(
        &format!(
            "[datasources.hostile]\nurl_env = \"DANA_TEST_POSTGRES_URL\"\nallow_write_capable_role = true\nschema = \"{schema}\"\n"
        ),
        |_| {},
    )
    .await;
    let spec = |table: &str| {
        json!({
            "name": table,
            "schema": schema,
            "primary_key": ["id"],
            "unique_keys": [[c_sel, c_uni]],
            "columns": [
                {"name": "id"},
                {"name": c_sel, "accepted_values": ["a", "it's", "${x}", "{%y%}"]},
                {"name": c_mixed, "pattern": "^[a-z]+$"},
                {"name": c_num, "min": 0, "max": 10, "nullable": false},
                {"name": c_uni, "unique": true},
                {"name": c_ts, "no_future": true}
            ],
            "volume": {"min_rows": 4},
            "foreign_keys": [{"columns": ["id"], "ref_table": table, "ref_columns": ["id"]}],
            "custom_checks": [{
                "name": "dollar",
                "sql": format!("SELECT COUNT(*) AS observed FROM {schema}.{} WHERE {} = '${{x}}'", q(table), q(c_sel)),
                "max": 0
            }]
        })
    };
    let failed = compare(
        &h,
        "hostile",
        &schema,
        vec![spec("t_hostile"), spec(weird)],
        &url,
        &gx,
        &soda,
    )
    .await;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
        .execute(&admin)
        .await
        .expect("drop");
    // Every planted violation fails in both tables (the engines agreed, see `compare`).
    assert_eq!(failed.len(), 2 * 7, "{failed:#?}");
}

/// A spec touching every kind, with text the formats must escape.
fn golden_spec() -> Value {
    json!({
        "name": "fct_orders",
        "schema": "analytics",
        "primary_key": ["order_id"],
        "unique_keys": [["source_system", "source_order_id"]],
        "columns": [
            {"name": "order_id"},
            {"name": "source_system"}, {"name": "source_order_id"},
            {"name": "customer_id", "nullable": false},
            {"name": "order_amount", "min": 0, "max": 1000000},
            {"name": "order_status", "accepted_values": ["pending", "shipped", "it's done"], "max_share_pct": 80},
            {"name": "order_code", "pattern": "^[A-Z]{3}-[0-9]+$"},
            {"name": "order_date"},
            {"name": "loaded_at", "no_future": true}
        ],
        "foreign_keys": [{"columns": ["customer_id"], "ref_table": "dim_customers", "ref_columns": ["customer_id"]}],
        "freshness": {"column": "loaded_at", "max_age_hours": 2},
        "volume": {"min_rows": 1000, "partition_column": "order_date", "window_days": 7},
        "reconciliations": [{"measure": "sum", "column": "order_amount", "other_table": "stg_orders", "tolerance_pct": 1}],
        "custom_checks": [{"name": "price_tag", "sql": "SELECT COUNT(*) AS observed FROM analytics.fct_orders WHERE order_code LIKE '${%}:x'", "max": 0, "severity": "P3"}]
    })
}

#[tokio::test]
async fn gx_and_soda_output_is_stable() {
    let h = Harness::new().await;
    let out = h
        .ok(
            "generate_quality_checks",
            json!({"table": golden_spec(), "dialect": "postgres", "formats": ["gx", "soda"]}),
        )
        .await;
    let file = |path: &str| -> String {
        out["suite_files"]
            .as_array()
            .expect("suite_files")
            .iter()
            .find(|f| f["path"] == json!(path))
            .unwrap_or_else(|| panic!("no {path}: {out:#}"))["content"]
            .as_str()
            .expect("content")
            .to_string()
    };
    insta::assert_snapshot!("suites_gx_fct_orders", file("gx/fct_orders.json"));
    insta::assert_snapshot!("suites_soda_fct_orders", file("soda/fct_orders.yml"));
    assert!(file("gx/run_suite.py").contains("ExpectationSuite(**doc)"));
    // The Markdown rendering shows every file in a fence of its language.
    let md = h
        .app
        .templates
        .render("reports/quality_checks.md.j2", &out)
        .expect("render");
    for head in [
        "## `gx/fct_orders.json`\n\n````json\n{",
        "## `gx/run_suite.py`\n\n````python\n\"\"\"",
        "## `soda/fct_orders.yml`\n\n````yaml\nchecks for fct_orders:",
    ] {
        assert!(md.contains(head), "{head}: {md}");
    }
}

#[tokio::test]
async fn unknown_format_names_the_field() {
    let h = Harness::new().await;
    let err = h
        .err(
            "generate_quality_checks",
            json!({"table": golden_spec(), "formats": ["great_expectations"]}),
        )
        .await;
    assert!(
        err.starts_with("formats[0]:") && err.contains("`great_expectations`"),
        "{err}"
    );
    assert!(err.contains("`gx`") && err.contains("`soda`"), "{err}");
}

/// `text` as Soda's Jinja renders it back once: text without `$` is left alone, else every
/// `${'c'}` (the only expressions dana writes) yields `c`.
fn unjinja(text: &str) -> String {
    if !text.contains('$') {
        return text.to_string();
    }
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find("${'") {
        out.push_str(&rest[..i]);
        let tail = &rest[i + 3..];
        let (c, len) = if tail.starts_with("\\n'}") {
            ('\n', 4)
        } else {
            let c = tail.chars().next().expect("escaped char");
            assert!(
                tail[c.len_utf8()..].starts_with("'}"),
                "not dana's escape: {rest}"
            );
            (c, c.len_utf8() + 2)
        };
        out.push(c);
        rest = &tail[len..];
    }
    out.push_str(rest);
    out
}

fn app() -> &'static std::sync::Arc<dana::App> {
    static APP: std::sync::OnceLock<(tempfile::TempDir, std::sync::Arc<dana::App>)> =
        std::sync::OnceLock::new();
    &APP.get_or_init(|| {
        let dir = tempfile::tempdir().expect("dir");
        let app = dana::App::open(dir.path()).expect("app");
        (dir, app)
    })
    .1
}

fn hostile_name() -> impl Strategy<Value = String> {
    let piece = prop::sample::select(vec![
        "select", "ORDER", "user", "from", "\"", "'", "\\", "{{", "}}", "{%", "${", "}", ":x",
        "::", "\"\"\"", "é", "名前", "😀", " ", "-", "$", "#", "a", "_b",
    ]);
    prop::collection::vec(piece, 1..4)
        .prop_map(|p| p.concat().trim().to_string())
        .prop_filter("a valid PostgreSQL name", |n| {
            dana::dialect::by_name("postgres")
                .expect("postgres")
                .quote_ident(n)
                .is_ok()
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Hostile table and column names: the GX suite is JSON and the Soda file YAML that
    /// read back to exactly those names, values and parsing SQL.
    #[test]
    fn hostile_names_round_trip(
        table in prop_oneof![Just("orders".to_string()), hostile_name()],
        cols in prop::collection::btree_set(hostile_name(), 3),
        value in hostile_name(),
    ) {
        let cols: Vec<String> = cols.into_iter().collect();
        prop_assume!(!cols.contains(&"id".to_string()));
        let values = vec![value.clone(), "plain".to_string()];
        let spec = json!({
            "name": table,
            "primary_key": ["id"],
            "unique_keys": [[cols[0], cols[1]]],
            "columns": [
                {"name": "id"},
                {"name": cols[0], "accepted_values": values, "nullable": false},
                {"name": cols[1], "pattern": format!("^{}$", regex::escape(&value))},
                {"name": cols[2], "min": 0, "no_future": true}
            ],
            "foreign_keys": [{"columns": [cols[0]], "ref_table": table, "ref_columns": [cols[1]]}],
        });
        let params: dana::domain::quality::GenerateQualityChecksParams =
            serde_json::from_value(json!({"table": spec, "dialect": "postgres", "formats": ["gx", "soda"]}))
                .expect("params");
        let out = dana::domain::quality::generate(app(), &params).expect("generate");
        let ids: Vec<&str> = out.checks.iter().map(|c| c.id.as_str()).collect();
        let pg = dana::dialect::by_name("postgres").expect("postgres");
        let gx = out.suite_files.iter().find(|f| f.path.ends_with(".json")).expect("gx file");
        let suite: Value = serde_json::from_str(&gx.content).expect("gx json");
        prop_assert_eq!(&suite["meta"]["dana"]["table"], &json!(table));
        let mut names: Vec<String> = cols.clone();
        names.push("id".into());
        for e in suite["expectations"].as_array().expect("expectations") {
            prop_assert!(ids.contains(&e["meta"]["dana_id"].as_str().expect("id")));
            if let Some(c) = e["kwargs"]["column"].as_str() {
                prop_assert!(names.iter().any(|n| n == c), "{}", c);
            }
            if let Some(set) = e["kwargs"]["value_set"].as_array() {
                prop_assert_eq!(set, &vec![json!(value), json!("plain")]);
            }
        }
        let soda = out.suite_files.iter().find(|f| f.path.ends_with(".yml"));
        let plain = dana::dialect::ident::is_plain(&table) && pg.quote_ident(&table).expect("q") == table;
        prop_assert_eq!(soda.is_some(), plain);
        if let Some(soda) = soda {
            let doc: Value = serde_norway::from_str(&soda.content).expect("soda yaml");
            let list = doc[format!("checks for {table}")].as_array().expect("checks list");
            prop_assert_eq!(list.len(), out.checks.len());
            for entry in list {
                let (key, config) = entry.as_object().expect("entry").iter().next().expect("one key");
                prop_assert!(ids.contains(&unjinja(config["name"].as_str().expect("name")).as_str()));
                if let Some(query) = config.get(format!("{key} query").as_str()) {
                    let sql = unjinja(&unjinja(query.as_str().expect("query")));
                    dana::dialect::parse::check(pg, &sql).expect("query parses");
                }
                if let Some(set) = config.get("valid values") {
                    prop_assert_eq!(set, &json!([value, "plain"]));
                }
            }
        } else {
            prop_assert!(out.notes.iter().any(|n| n.starts_with("soda: table")), "{:?}", out.notes);
        }
    }
}

#[tokio::test]
async fn suites_generate_for_every_dialect() {
    let h = Harness::new().await;
    for dialect in dana::dialect::NAMES {
        let out = h
            .ok(
                "generate_quality_checks",
                json!({"table": golden_spec(), "dialect": dialect, "formats": ["gx", "soda"]}),
            )
            .await;
        let files = out["suite_files"].as_array().expect("suite_files");
        assert_eq!(files.len(), 3, "{dialect}: {out:#}");
        for f in files {
            let text = f["content"].as_str().expect("content");
            match f["path"].as_str().expect("path") {
                p if p.ends_with(".json") => {
                    let suite: Value = serde_json::from_str(text).expect("gx json");
                    let n = suite["expectations"]
                        .as_array()
                        .expect("expectations")
                        .len();
                    let unsupported = out["checks"]
                        .as_array()
                        .expect("checks")
                        .iter()
                        .filter(|c| c["unsupported"].is_string())
                        .count();
                    assert_eq!(n + unsupported, 14, "{dialect}: {text}");
                }
                p if p.ends_with(".yml") => {
                    let _: Value = serde_norway::from_str(text).expect("soda yaml");
                }
                _ => {}
            }
        }
    }
}
