//! A table of schema changes, each classified by hand, run through the diff engine;
//! policies and their required actions; the CLI's exit codes as a CI gate.

use std::process::Command;

use dana::domain::governance::TableSchema;
use dana::domain::governance::diff::{self, Decision, Facets, Overall, Side};
use dana::playbook::{ChangeKind as K, Playbooks, Verdict as V};
use serde_json::{Value, json};

fn table(columns: Value) -> TableSchema {
    table_with(columns, json!([]))
}

fn table_with(columns: Value, key: Value) -> TableSchema {
    serde_json::from_value(json!({ "name": "orders", "columns": columns, "primary_key": key }))
        .expect("spec")
}

fn side(tables: Vec<TableSchema>, version: Option<&str>) -> Side {
    Side {
        kind: "spec".into(),
        label: "spec".into(),
        version: version.map(str::to_string),
        policy: None,
        consumers: vec!["finance".into()],
        tables: tables.into_iter().map(TableSchema::normalized).collect(),
        facets: Facets::ALL,
    }
}

fn today() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2026, 11, 25).expect("date")
}

struct Case {
    name: &'static str,
    old: Vec<TableSchema>,
    new: Vec<TableSchema>,
    /// Every change expected: (kind, column, verdict), in any order.
    expect: Vec<(K, Option<&'static str>, V)>,
    overall: Overall,
}

fn c(
    name: &'static str,
    old: Value,
    new: Value,
    expect: Vec<(K, Option<&'static str>, V)>,
    overall: Overall,
) -> Case {
    Case {
        name,
        old: vec![table(old)],
        new: vec![table(new)],
        expect,
        overall,
    }
}

fn col(name: &str, ty: &str) -> Value {
    json!({ "name": name, "type": ty })
}

fn req(name: &str, ty: &str) -> Value {
    json!({ "name": name, "type": ty, "nullable": false })
}

fn cases() -> Vec<Case> {
    let id = req("order_id", "bigint");
    vec![
        c(
            "int to bigint widens",
            json!([id, col("qty", "int")]),
            json!([id, col("qty", "bigint")]),
            vec![(K::TypeWidened, Some("qty"), V::NonBreaking)],
            Overall::NonBreaking,
        ),
        c(
            "varchar(100) to varchar(50) narrows",
            json!([id, col("note", "varchar(100)")]),
            json!([id, col("note", "varchar(50)")]),
            vec![(K::TypeNarrowed, Some("note"), V::Breaking)],
            Overall::Breaking,
        ),
        c(
            "nullable to not null breaks producers",
            json!([id, col("city", "text")]),
            json!([id, req("city", "text")]),
            vec![(K::NullabilityTightened, Some("city"), V::Breaking)],
            Overall::Breaking,
        ),
        c(
            "not null to nullable needs review",
            json!([id, req("city", "text")]),
            json!([id, col("city", "text")]),
            vec![(K::NullabilityRelaxed, Some("city"), V::NeedsReview)],
            Overall::NeedsReview,
        ),
        c(
            "rename guessed from type, position and name",
            json!([
                id,
                col("email_address", "varchar(255)"),
                col("city", "text")
            ]),
            json!([id, col("email", "varchar(255)"), col("city", "text")]),
            vec![(K::ColumnRenamed, Some("email"), V::Breaking)],
            Overall::Breaking,
        ),
        c(
            "rename with a widening type, moved by one",
            json!([id, col("cust_id", "integer"), col("a", "text")]),
            json!([id, col("a", "text"), col("customer_id", "bigint")]),
            vec![
                (K::ColumnRenamed, Some("customer_id"), V::Breaking),
                (K::TypeWidened, Some("customer_id"), V::NonBreaking),
            ],
            Overall::Breaking,
        ),
        c(
            "enum value removed",
            json!([id, {"name": "status", "type": "varchar(20)", "enum_values": ["placed", "shipped", "cancelled"]}]),
            json!([id, {"name": "status", "type": "varchar(20)", "enum_values": ["placed", "shipped"]}]),
            vec![(K::EnumValueRemoved, Some("status"), V::Breaking)],
            Overall::Breaking,
        ),
        c(
            "enum value added",
            json!([id, {"name": "status", "type": "varchar(20)", "enum_values": ["placed"]}]),
            json!([id, {"name": "status", "type": "varchar(20)", "enum_values": ["placed", "held"]}]),
            vec![(K::EnumValueAdded, Some("status"), V::NeedsReview)],
            Overall::NeedsReview,
        ),
        c(
            "nullable column added",
            json!([id]),
            json!([id, col("coupon", "varchar(20)")]),
            vec![(K::ColumnAddedNullable, Some("coupon"), V::NonBreaking)],
            Overall::NonBreaking,
        ),
        c(
            "not null column added",
            json!([id]),
            json!([id, req("channel", "varchar(20)")]),
            vec![(K::ColumnAddedRequired, Some("channel"), V::Breaking)],
            Overall::Breaking,
        ),
        c(
            "unrelated column swap is a removal plus an addition",
            json!([id, col("fax", "varchar(20)")]),
            json!([id, col("loyalty_points", "integer")]),
            vec![
                (K::ColumnRemoved, Some("fax"), V::Breaking),
                (
                    K::ColumnAddedNullable,
                    Some("loyalty_points"),
                    V::NonBreaking,
                ),
            ],
            Overall::Breaking,
        ),
        c(
            "similar names but incompatible types are not a rename",
            json!([id, col("amount", "varchar(20)")]),
            json!([id, col("amount_eur", "decimal(12,2)")]),
            vec![
                (K::ColumnRemoved, Some("amount"), V::Breaking),
                (K::ColumnAddedNullable, Some("amount_eur"), V::NonBreaking),
            ],
            Overall::Breaking,
        ),
        c(
            "varchar to text widens",
            json!([id, col("note", "varchar(50)")]),
            json!([id, col("note", "text")]),
            vec![(K::TypeWidened, Some("note"), V::NonBreaking)],
            Overall::NonBreaking,
        ),
        c(
            "decimal precision grows",
            json!([id, col("amt", "decimal(10,2)")]),
            json!([id, col("amt", "numeric(12,2)")]),
            vec![(K::TypeWidened, Some("amt"), V::NonBreaking)],
            Overall::NonBreaking,
        ),
        c(
            "decimal scale grows at the same precision narrows",
            json!([id, col("amt", "decimal(10,2)")]),
            json!([id, col("amt", "decimal(10,4)")]),
            vec![(K::TypeNarrowed, Some("amt"), V::Breaking)],
            Overall::Breaking,
        ),
        c(
            "integer to varchar changes family",
            json!([id, col("zip", "integer")]),
            json!([id, col("zip", "varchar(10)")]),
            vec![(K::TypeChanged, Some("zip"), V::Breaking)],
            Overall::Breaking,
        ),
        c(
            "timestamp to timestamptz needs review",
            json!([id, col("at", "timestamp")]),
            json!([id, col("at", "timestamptz")]),
            vec![(K::TypeChangedReview, Some("at"), V::NeedsReview)],
            Overall::NeedsReview,
        ),
        c(
            "date to timestamp needs review",
            json!([id, col("day", "date")]),
            json!([id, col("day", "timestamp")]),
            vec![(K::TypeChangedReview, Some("day"), V::NeedsReview)],
            Overall::NeedsReview,
        ),
        c(
            "bigint to int narrows",
            json!([id, col("n", "bigint")]),
            json!([id, col("n", "int")]),
            vec![(K::TypeNarrowed, Some("n"), V::Breaking)],
            Overall::Breaking,
        ),
        c(
            "int to decimal(5,0) narrows",
            json!([id, col("n", "int")]),
            json!([id, col("n", "decimal(5,0)")]),
            vec![(K::TypeNarrowed, Some("n"), V::Breaking)],
            Overall::Breaking,
        ),
        c(
            "int to decimal(12,2) widens",
            json!([id, col("n", "int")]),
            json!([id, col("n", "decimal(12,2)")]),
            vec![(K::TypeWidened, Some("n"), V::NonBreaking)],
            Overall::NonBreaking,
        ),
        c(
            "real to double widens",
            json!([id, col("x", "real")]),
            json!([id, col("x", "double precision")]),
            vec![(K::TypeWidened, Some("x"), V::NonBreaking)],
            Overall::NonBreaking,
        ),
        c(
            "unique added needs review",
            json!([id, col("sku", "text")]),
            json!([id, {"name": "sku", "type": "text", "unique": true}]),
            vec![(K::UniqueAdded, Some("sku"), V::NeedsReview)],
            Overall::NeedsReview,
        ),
        c(
            "enum constraint added breaks producers",
            json!([id, col("status", "text")]),
            json!([id, {"name": "status", "type": "text", "enum_values": ["a", "b"]}]),
            vec![(K::EnumConstraintAdded, Some("status"), V::Breaking)],
            Overall::Breaking,
        ),
        c(
            "enum constraint dropped needs review",
            json!([id, {"name": "status", "type": "text", "enum_values": ["a"]}]),
            json!([id, col("status", "text")]),
            vec![(K::EnumConstraintRemoved, Some("status"), V::NeedsReview)],
            Overall::NeedsReview,
        ),
        c(
            "foreign key target changed",
            json!([id, {"name": "customer_key", "type": "bigint", "references": "dim_customer.customer_key"}]),
            json!([id, {"name": "customer_key", "type": "bigint", "references": "dim_client.client_key"}]),
            vec![(K::ForeignKeyChanged, Some("customer_key"), V::NeedsReview)],
            Overall::NeedsReview,
        ),
        c(
            "classification raised",
            json!([id, {"name": "email", "type": "text", "classification": "internal"}]),
            json!([id, {"name": "email", "type": "text", "classification": "confidential"}]),
            vec![(K::ClassificationRaised, Some("email"), V::NeedsReview)],
            Overall::NeedsReview,
        ),
        c(
            "description only",
            json!([id, {"name": "qty", "type": "int", "description": "units"}]),
            json!([id, {"name": "qty", "type": "int", "description": "units ordered"}]),
            vec![(K::DescriptionChanged, Some("qty"), V::NonBreaking)],
            Overall::NonBreaking,
        ),
        c(
            "synonyms and case are no change",
            json!([
                req("Order_ID", "int8"),
                col("qty", "integer"),
                col("amt", "numeric(10, 2)")
            ]),
            json!([
                req("order_id", "bigint"),
                col("QTY", "int4"),
                col("amt", "decimal(10,2)")
            ]),
            vec![],
            Overall::NoChange,
        ),
        Case {
            name: "primary key extended",
            old: vec![table_with(
                json!([id, col("line", "int")]),
                json!(["order_id"]),
            )],
            new: vec![table_with(
                json!([id, req("line", "int")]),
                json!(["order_id", "line"]),
            )],
            expect: vec![
                (K::PrimaryKeyChanged, None, V::Breaking),
                (K::NullabilityTightened, Some("line"), V::Breaking),
            ],
            overall: Overall::Breaking,
        },
        Case {
            name: "table removed and table added",
            old: vec![table(json!([id]))],
            new: vec![
                serde_json::from_value(json!({"name": "orders_v2", "columns": [id]}))
                    .expect("spec"),
            ],
            expect: vec![
                (K::TableRemoved, None, V::Breaking),
                (K::TableAdded, None, V::NonBreaking),
            ],
            overall: Overall::Breaking,
        },
    ]
}

#[test]
fn hand_classified_cases() {
    let books = Playbooks::embedded().expect("playbooks");
    let cases = cases();
    assert!(cases.len() >= 20, "{} cases", cases.len());
    for case in &cases {
        let result = diff::diff(
            &books.governance,
            &side(case.old.clone(), Some("1.0.0")),
            &side(case.new.clone(), Some("1.0.0")),
            None,
            today(),
        )
        .unwrap_or_else(|e| panic!("{}: {e}", case.name));
        let got: Vec<(K, Option<String>, V)> = result
            .changes
            .iter()
            .map(|c| (c.kind, c.column.clone(), c.verdict))
            .collect();
        let mut want: Vec<(K, Option<String>, V)> = case
            .expect
            .iter()
            .map(|(k, c, v)| (*k, c.map(str::to_string), *v))
            .collect();
        let mut got_sorted = got.clone();
        got_sorted.sort_by_key(|x| format!("{x:?}"));
        want.sort_by_key(|x| format!("{x:?}"));
        assert_eq!(
            got_sorted, want,
            "case `{}`: changes {:#?}",
            case.name, result.changes
        );
        assert_eq!(result.verdict, case.overall, "case `{}`", case.name);
        for change in &result.changes {
            assert!(change.rule.starts_with("CHG-"), "{}", change.rule);
            assert!(
                !change.evidence.is_empty(),
                "case `{}`: no evidence",
                case.name
            );
        }
    }
}

#[test]
fn renames_are_guesses_with_evidence() {
    let books = Playbooks::embedded().expect("playbooks");
    let old = side(
        vec![table(json!([
            req("order_id", "bigint"),
            col("email_address", "varchar(255)")
        ]))],
        None,
    );
    let new = side(
        vec![table(json!([
            req("order_id", "bigint"),
            col("email", "varchar(255)")
        ]))],
        None,
    );
    let result = diff::diff(&books.governance, &old, &new, None, today()).expect("diff");
    let rename = &result.changes[0];
    assert!(rename.guess);
    let confidence = rename.confidence.expect("confidence");
    assert!((0.65..=1.0).contains(&confidence), "{confidence}");
    let evidence = rename.evidence.join(" | ");
    assert!(evidence.contains("same type `varchar(255)`"), "{evidence}");
    assert!(evidence.contains("same position (2)"), "{evidence}");
    assert!(evidence.contains("name similarity"), "{evidence}");
    assert!(evidence.contains("a guess"), "{evidence}");
    assert!(
        rename
            .summary
            .contains("`email_address` probably renamed to `email`"),
        "{}",
        rename.summary
    );
}

#[test]
fn policies_decide_and_say_what_to_do() {
    let books = Playbooks::embedded().expect("playbooks");
    let g = &books.governance;
    let old_t = table(json!([
        req("order_id", "bigint"),
        col("note", "varchar(100)")
    ]));
    let new_t = table(json!([
        req("order_id", "bigint"),
        col("note", "varchar(50)")
    ]));
    let add_t = table(json!([
        req("order_id", "bigint"),
        col("note", "varchar(100)"),
        col("coupon", "text")
    ]));

    // never-break refuses.
    let r = diff::diff(
        g,
        &side(vec![old_t.clone()], Some("1.4.2")),
        &side(vec![new_t.clone()], Some("2.0.0")),
        Some("never-break"),
        today(),
    )
    .expect("diff");
    assert_eq!(r.policy.decision, Decision::Refused);
    assert!(r.policy.refused);
    assert_eq!(r.policy.source, "argument");

    // version-bump: refused without a major bump, with the version to use.
    let r = diff::diff(
        g,
        &side(vec![old_t.clone()], Some("1.4.2")),
        &side(vec![new_t.clone()], Some("1.5.0")),
        Some("version-bump"),
        today(),
    )
    .expect("diff");
    assert_eq!(r.policy.decision, Decision::Refused);
    assert_eq!(r.policy.required_version.as_deref(), Some("2.0.0"));
    // ... accepted with one.
    let r = diff::diff(
        g,
        &side(vec![old_t.clone()], Some("1.4.2")),
        &side(vec![new_t.clone()], Some("2.0.0")),
        Some("version-bump"),
        today(),
    )
    .expect("diff");
    assert_eq!(r.policy.decision, Decision::Allowed);
    assert!(!r.policy.refused);

    // notify-30-days: allowed after notice, with the date and the consumers.
    let r = diff::diff(
        g,
        &side(vec![old_t.clone()], Some("1.4.2")),
        &side(vec![new_t], Some("1.4.2")),
        Some("notify-30-days"),
        today(),
    )
    .expect("diff");
    assert_eq!(r.policy.decision, Decision::AllowedAfterNotice);
    assert_eq!(r.policy.effective_not_before.as_deref(), Some("2026-12-25"));
    assert!(
        r.policy
            .required_actions
            .iter()
            .any(|a| a.contains("finance")),
        "{:?}",
        r.policy.required_actions
    );
    assert_eq!(r.policy.required_version.as_deref(), Some("2.0.0"));

    // Additive change: allowed, minor version.
    let r = diff::diff(
        g,
        &side(vec![old_t.clone()], Some("1.4.2")),
        &side(vec![add_t], Some("1.4.2")),
        Some("never-break"),
        today(),
    )
    .expect("diff");
    assert_eq!(r.policy.decision, Decision::Allowed);
    assert_eq!(r.policy.required_version.as_deref(), Some("1.5.0"));

    // The old contract's policy applies when none is given; the default otherwise.
    let mut old = side(vec![old_t.clone()], Some("1.0.0"));
    old.policy = Some("never-break".into());
    let r = diff::diff(
        g,
        &old,
        &side(vec![old_t.clone()], Some("1.0.0")),
        None,
        today(),
    )
    .expect("diff");
    assert_eq!(
        (r.policy.policy.as_str(), r.policy.source.as_str()),
        ("never-break", "old contract")
    );
    assert_eq!(r.verdict, Overall::NoChange);

    // Unknown policy: a clear error listing the valid ones.
    let err = diff::diff(
        g,
        &side(vec![old_t.clone()], None),
        &side(vec![old_t], None),
        Some("yolo"),
        today(),
    )
    .expect_err("unknown policy")
    .to_string();
    assert!(
        err.contains("`yolo`") && err.contains("`never-break`") && err.contains("`notify-30-days`"),
        "{err}"
    );
}

fn write(dir: &std::path::Path, name: &str, value: &Value) -> String {
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_string_pretty(value).expect("json")).expect("write");
    path.display().to_string()
}

fn dana(dir: &std::path::Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_dana"))
        .arg("--workspace")
        .arg(dir)
        .args(args)
        .output()
        .expect("run dana");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn cli_diff_is_a_ci_gate() {
    let dir = tempfile::tempdir().expect("dir");
    let d = dir.path();
    let base = json!({"name": "orders", "columns": [req("order_id", "bigint"), col("note", "varchar(100)")]});
    let narrowed = json!({"name": "orders", "columns": [req("order_id", "bigint"), col("note", "varchar(50)")]});
    let added = json!({"name": "orders", "columns": [req("order_id", "bigint"), col("note", "varchar(100)"), col("coupon", "text")]});
    let (a, b, c) = (
        write(d, "a.json", &base),
        write(d, "b.json", &narrowed),
        write(d, "c.json", &added),
    );

    let (code, stdout, _) = dana(d, &["diff", &a, &b, "--policy", "never-break"]);
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains("CHG-TYPE-NARROWED") && stdout.contains("REFUSED"),
        "{stdout}"
    );

    let (code, stdout, _) = dana(d, &["diff", &a, &c, "--policy", "never-break"]);
    assert_eq!(code, 0, "{stdout}");

    let (code, stdout, _) = dana(d, &["diff", &a, &b, "--policy", "notify-30-days"]);
    assert_eq!(code, 0, "notify allows after notice: {stdout}");
    let (code, _, _) = dana(
        d,
        &[
            "diff",
            &a,
            &b,
            "--policy",
            "notify-30-days",
            "--fail-on",
            "breaking",
        ],
    );
    assert_eq!(code, 1);

    let (code, stdout, _) = dana(d, &["diff", &a, &a, "--format", "json"]);
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&stdout).expect("json output");
    assert_eq!(v["verdict"], "no_change");

    let (code, _, stderr) = dana(d, &["diff", &a, &b, "--policy", "sometimes-break"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("`sometimes-break`") && stderr.contains("`version-bump`"),
        "{stderr}"
    );

    let bogus = write(d, "bogus.json", &json!({"models": [{"name": "x"}]}));
    let (code, _, stderr) = dana(d, &["diff", &bogus, &a]);
    assert_eq!(code, 2);
    assert!(stderr.contains("neither an ODCS contract"), "{stderr}");
}
