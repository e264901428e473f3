#![allow(clippy::print_stdout)] // a benchmark prints its figures on stdout
//! Benchmark (not a test): governance generators in-process on a 30-table schema.
//! Prints medians over RUNS runs of: `diff_schemas` domain diff of 30 tables against a
//! changed copy, `generate_data_contract` for one table and for all 30, and
//! `classify_data` of a 20-column table with 200 sampled rows.
//! Run with `cargo bench --bench governance`.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use dana::domain::governance::diff::{self, Facets, Side};
use dana::domain::governance::{
    self, ClassifyDataParams, GenerateDataContractParams, TableSchema, TableSource,
};
use serde_json::json;

const RUNS: usize = 50;

fn table(i: usize) -> TableSchema {
    let mut columns =
        vec![json!({"name": format!("t{i}_key"), "type": "bigint", "nullable": false})];
    for c in 0..11 {
        let ty = [
            "varchar(100)",
            "integer",
            "decimal(12,2)",
            "timestamp",
            "boolean",
            "text",
        ][c % 6];
        columns.push(json!({"name": format!("col_{c}"), "type": ty, "description": "a column"}));
    }
    columns.push(json!({"name": "status", "type": "varchar(20)", "enum_values": ["a", "b", "c"]}));
    columns.push(json!({"name": "customer_email", "type": "varchar(255)"}));
    serde_json::from_value(json!({"name": format!("fct_table_{i}"), "columns": columns, "primary_key": [format!("t{i}_key")]}))
        .expect("table")
}

fn side(tables: Vec<TableSchema>) -> Side {
    Side {
        kind: "spec".into(),
        label: "spec".into(),
        version: Some("1.0.0".into()),
        policy: None,
        consumers: vec![],
        tables,
        facets: Facets::ALL,
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let books = dana::playbook::Playbooks::embedded().expect("playbooks");
    let old: Vec<TableSchema> = (0..30).map(table).collect();
    let mut new = old.clone();
    for t in &mut new {
        t.columns[1].data_type = "varchar(50)".into();
        t.columns[2].data_type = "bigint".into();
        t.columns.remove(5);
    }
    let (old_side, new_side) = (side(old.clone()), side(new));
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 25).expect("date");
    let mut diffs = Vec::new();
    for _ in 0..RUNS {
        let started = Instant::now();
        let d = diff::diff(
            &books.governance,
            &old_side,
            &new_side,
            Some("version-bump"),
            today,
        )
        .expect("diff");
        diffs.push(started.elapsed());
        assert_eq!(d.counts.breaking, 60);
    }

    let dir = tempfile::tempdir().expect("dir");
    let app = dana::App::open(dir.path()).expect("app");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("rt");
    let params: Vec<GenerateDataContractParams> = old
        .iter()
        .map(|t| GenerateDataContractParams {
            table: TableSource {
                spec: Some(t.clone()),
                ..TableSource::default()
            },
            owner: Some("team".into()),
            consumers: vec!["bi".into()],
            ..GenerateDataContractParams::default()
        })
        .collect();
    let mut one = Vec::new();
    let mut all = Vec::new();
    for _ in 0..RUNS {
        let started = Instant::now();
        rt.block_on(governance::generate_contract(&app, &params[0]))
            .expect("contract");
        one.push(started.elapsed());
        let started = Instant::now();
        for p in &params {
            rt.block_on(governance::generate_contract(&app, p))
                .expect("contract");
        }
        all.push(started.elapsed());
    }

    let mut wide = table(0);
    let kinds = ["email", "phone", "ssn", "ip_address", "card_number"];
    let mut samples: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (i, k) in kinds.iter().enumerate() {
        wide.columns.push(
            serde_json::from_value(json!({"name": format!("x_{k}"), "type": "text"})).expect("col"),
        );
        let values = (0..200)
            .map(|r| match i {
                0 => format!("user{r}@example.com"),
                1 => format!("+1 555 010 {:04}", r),
                2 => format!("123-45-{:04}", 1000 + r),
                3 => format!("10.0.{}.{}", r % 250, r % 200),
                _ => "4111 1111 1111 1111".to_string(),
            })
            .collect();
        samples.insert(format!("x_{k}"), values);
    }
    samples.insert(
        "col_0".into(),
        (0..200)
            .map(|r| format!("free text {r} with words"))
            .collect(),
    );
    let classify_params = ClassifyDataParams {
        table: TableSource {
            spec: Some(wide),
            ..TableSource::default()
        },
        samples: Some(samples),
        ..ClassifyDataParams::default()
    };
    let mut classify = Vec::new();
    for _ in 0..RUNS {
        let started = Instant::now();
        rt.block_on(governance::classify_data(&app, &classify_params))
            .expect("classify");
        classify.push(started.elapsed());
    }
    println!("governance benchmark, median of {RUNS} runs");
    println!(
        "diff_schemas, 30 tables x 14 columns (90 changes):  {:?}",
        median(diffs)
    );
    println!(
        "generate_data_contract, one table:                   {:?}",
        median(one)
    );
    println!(
        "generate_data_contract, 30 tables:                   {:?}",
        median(all)
    );
    println!(
        "classify_data, 20 columns x 200 sampled rows:        {:?}",
        median(classify)
    );
}
