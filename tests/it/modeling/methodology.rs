//! The modeling-approach decision of `design_dimensional_model`: every rule of the
//! playbook's decision table reached by a realistic brief (including mixed ones), the
//! questions asked when a deciding input is missing (with the decision under each
//! answer), the shape check, the multi-tenant pattern and timestamps without time zone.

use dana::dialect::LogicalType;
use dana::domain::modeling::{
    AttributeSpec, ColumnSpec, DesignOutput, Finding, ModelNeeds, ModelSpec, Serves, design,
};

use super::{env, retail};

fn run(model: &ModelSpec) -> DesignOutput {
    let (books, templates) = env();
    design(model, &books, &templates).expect("design")
}

fn with(id: &str, out: &DesignOutput) -> Vec<Finding> {
    out.findings
        .iter()
        .filter(|f| f.id == id)
        .cloned()
        .collect()
}

fn needs(serves: Option<Serves>, sources: Option<u32>, audit: Option<bool>) -> ModelNeeds {
    ModelNeeds {
        serves,
        sources,
        audit,
    }
}

#[test]
fn every_rule_of_the_decision_table_is_reached() {
    // (brief, needs, chosen approach, runner-up, signal)
    let cases = [
        (
            "bank: ledger, CRM and card processor integrated, regulator audits every row",
            needs(Some(Serves::Bi), Some(3), Some(true)),
            "Data Vault 2.0",
            "Runner-up: Kimball dimensional model",
            "audit required, 2+ sources",
        ),
        (
            "mixed: product analytics, but 2 audited sources: the vault still comes first",
            needs(Some(Serves::Events), Some(2), Some(true)),
            "Data Vault 2.0",
            "Runner-up: Kimball dimensional model",
            "audit required, 2+ sources",
        ),
        (
            "group-wide record of finance, HR and sales subject areas",
            needs(Some(Serves::Enterprise), Some(5), Some(false)),
            "Inmon normalized (3NF) warehouse",
            "Runner-up: Data Vault 2.0",
            "serves enterprise",
        ),
        (
            "mobile app: funnels and retention from the click stream",
            needs(Some(Serves::Events), Some(1), Some(false)),
            "Activity schema",
            "Runner-up: Kimball dimensional model",
            "serves events",
        ),
        (
            "three executive dashboards on one sales table",
            needs(Some(Serves::Dashboards), Some(1), Some(false)),
            "One big table",
            "Runner-up: Kimball dimensional model",
            "serves dashboards",
        ),
        (
            "retail BI on orders, stock and returns from one ERP",
            needs(Some(Serves::Bi), Some(1), Some(false)),
            "Kimball dimensional model",
            "Runner-up: One big table",
            "serves bi",
        ),
        (
            "mixed: BI with audit but one source: a star with SCD2 suffices",
            needs(Some(Serves::Bi), Some(1), Some(true)),
            "Kimball dimensional model",
            "Runner-up: One big table",
            "serves bi",
        ),
    ];
    let (books, _) = env();
    let signals: std::collections::BTreeSet<&str> = cases.iter().map(|c| c.4).collect();
    assert_eq!(
        signals.len(),
        books.modeling.methodology.rules.len(),
        "one brief per rule of the playbook"
    );
    for (brief, needs, chosen, runner_up, signal) in cases {
        let mut model = retail();
        model.needs = Some(needs);
        let out = run(&model);
        assert!(with("MOD-METHOD-QUESTION", &out).is_empty(), "{brief}");
        let choice = with("MOD-METHOD-CHOICE", &out);
        assert_eq!(choice.len(), 1, "{brief}: {:?}", out.findings);
        let m = &choice[0].message;
        assert!(
            m.starts_with(&format!("{chosen} fits ({signal})")),
            "{brief}: {m}"
        );
        assert!(m.contains(runner_up), "{brief}: {m}");
    }
}

#[test]
fn the_use_is_asked_when_only_audit_and_sources_are_given() {
    // One audited source rules the vault out; the use decides the rest.
    let mut model = retail();
    model.needs = Some(needs(None, Some(1), Some(true)));
    let out = run(&model);
    let q = with("MOD-METHOD-QUESTION", &out);
    assert_eq!(q.len(), 1, "{:?}", out.findings);
    let m = &q[0].message;
    assert!(m.starts_with("What does the model mainly serve"), "{m}");
    for answer in [
        "bi → Kimball dimensional model",
        "enterprise → Inmon normalized (3NF) warehouse",
        "events → Activity schema",
        "dashboards → One big table",
    ] {
        assert!(m.contains(answer), "{answer}: {m}");
    }
    assert!(with("MOD-METHOD-CHOICE", &out).is_empty());
}

#[test]
fn missing_inputs_are_asked_with_the_decision_under_each_answer() {
    // Nothing given: the vault rule needs audit and sources, the rest the use.
    let out = run(&retail());
    let q: Vec<String> = with("MOD-METHOD-QUESTION", &out)
        .into_iter()
        .map(|f| f.message)
        .collect();
    assert_eq!(q.len(), 3, "{q:?}");
    assert!(
        q[0].contains(
            "bi → Kimball dimensional model (Data Vault 2.0 if audit required, 2+ sources)"
        ),
        "{q:?}"
    );
    assert!(q[1].contains("1 → depends on the other questions"), "{q:?}");
    // BI given, sources given (3), audit missing: audit decides vault vs Kimball.
    let mut model = retail();
    model.needs = Some(needs(Some(Serves::Bi), Some(3), None));
    let out = run(&model);
    let q = with("MOD-METHOD-QUESTION", &out);
    assert_eq!(q.len(), 1, "{:?}", out.findings);
    assert!(
        q[0].message.starts_with("Must every row stay traceable")
            && q[0].message.contains("yes → Data Vault 2.0")
            && q[0].message.contains("no → Kimball dimensional model"),
        "{}",
        q[0].message
    );
    assert!(
        with("MOD-METHOD-CHOICE", &out).is_empty(),
        "no assumed choice"
    );
    // Audit given, sources missing: the number of sources decides.
    model.needs = Some(needs(Some(Serves::Dashboards), None, Some(true)));
    let out = run(&model);
    let q = with("MOD-METHOD-QUESTION", &out);
    assert_eq!(q.len(), 1, "{:?}", out.findings);
    assert!(
        q[0].message.contains("1 → One big table")
            && q[0].message.contains("2 or more → Data Vault 2.0"),
        "{}",
        q[0].message
    );
    // Audit false: sources no longer matter.
    model.needs = Some(needs(Some(Serves::Dashboards), None, Some(false)));
    let out = run(&model);
    assert!(
        with("MOD-METHOD-QUESTION", &out).is_empty(),
        "{:?}",
        out.findings
    );
    assert_eq!(with("MOD-METHOD-CHOICE", &out).len(), 1);
}

#[test]
fn a_star_where_a_vault_fits_is_flagged_and_a_vault_passes() {
    let mut model = retail();
    model.needs = Some(needs(Some(Serves::Bi), Some(4), Some(true)));
    let out = run(&model);
    let shape = with("MOD-METHOD-SHAPE", &out);
    assert_eq!(shape.len(), 1, "{:?}", out.findings);
    assert!(shape[0].message.contains("no hubs, links or satellites"));
    let mut vault = super::vault::model();
    vault.needs = model.needs.clone();
    let out = run(&vault);
    assert!(
        with("MOD-METHOD-SHAPE", &out).is_empty(),
        "{:?}",
        out.findings
    );
    assert_eq!(with("MOD-METHOD-CHOICE", &out).len(), 1);
}

fn tenant_column() -> ColumnSpec {
    ColumnSpec {
        name: "tenant_id".into(),
        logical_type: LogicalType::String(Some(20)),
        nullable: false,
        description: None,
    }
}

#[test]
fn multi_tenant_models_carry_the_tenant_everywhere() {
    let mut model = retail();
    // dim_customers has the tenant in its key; dim_products only as an attribute; the
    // other tables not at all; fct_orders carries it without clustering on it.
    for d in &mut model.dimensions {
        match d.name.as_str() {
            "dim_customers" => d.natural_key.insert(0, tenant_column()),
            "dim_products" => d.attributes.push(AttributeSpec {
                name: "tenant_id".into(),
                logical_type: LogicalType::String(Some(20)),
                scd_type: None,
                source: None,
                nullable: false,
                description: None,
            }),
            _ => {}
        }
    }
    model.facts[0].columns.push(tenant_column());
    let out = run(&model);
    let tables = |id: &str| -> Vec<String> {
        let mut t: Vec<String> = with(id, &out).into_iter().filter_map(|f| f.table).collect();
        t.sort();
        t
    };
    assert_eq!(tables("MOD-TENANT-COLUMN"), ["dim_dates", "dim_stores"]);
    assert_eq!(tables("MOD-TENANT-KEY"), ["dim_products"]);
    assert_eq!(tables("MOD-TENANT-LAYOUT"), ["fct_orders"]);
    // Clustering the fact on the tenant satisfies the layout rule.
    if let Some(p) = model.facts[0].physical.as_mut() {
        p.cluster_by.insert(0, "tenant_id".into());
    }
    let out = run(&model);
    assert!(with("MOD-TENANT-LAYOUT", &out).is_empty());
    // No tenant column anywhere: no tenant findings.
    let out = run(&retail());
    assert!(
        out.findings.iter().all(|f| !f.id.starts_with("MOD-TENANT")),
        "{:?}",
        out.findings
    );
}

#[test]
fn timestamps_without_time_zone_are_flagged_with_the_fix() {
    let mut model = retail();
    model.facts[0].columns.push(ColumnSpec {
        name: "shipped_at".into(),
        logical_type: LogicalType::Timestamp,
        nullable: true,
        description: None,
    });
    let out = run(&model);
    let found = with("MOD-TIMESTAMP-NO-TZ", &out);
    assert_eq!(found.len(), 1, "{:?}", out.findings);
    assert_eq!(found[0].column.as_deref(), Some("shipped_at"));
    assert!(found[0].fix.contains("timestamptz") && found[0].fix.contains("UTC"));
    assert!(!found[0].blocks_ddl);
    // timestamptz and the generated validity columns are not flagged.
    assert!(with("MOD-TIMESTAMP-NO-TZ", &run(&retail())).is_empty());
}
