//! Findings about the model as a whole: which modeling approach fits what it is for
//! (Kimball, Inmon, Data Vault, one big table, activity schema), decided from
//! `needs` with the playbook's decision table, or the questions whose answers decide
//! it; the multi-tenant pattern; timestamps without a time zone.

use super::model::{ColumnRole, Model, RawFinding, TableKind};
use crate::dialect::LogicalType;
use crate::playbook::{MethodRule, MethodologyBook, Playbooks, SERVES};

/// What is known of the model's needs.
#[derive(Debug, Clone, Copy, Default)]
struct Known<'a> {
    serves: Option<&'a str>,
    sources: Option<u32>,
    audit: Option<bool>,
}

/// An input of the decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Input {
    Serves,
    Sources,
    Audit,
}

enum Outcome {
    Holds,
    Fails,
    Unknown(Vec<Input>),
}

fn evaluate(rule: &MethodRule, k: Known<'_>) -> Outcome {
    let mut unknown = Vec::new();
    let mut holds = true;
    if let Some(want) = &rule.when.serves {
        match k.serves {
            None => unknown.push(Input::Serves),
            Some(v) => holds &= v == want,
        }
    }
    if let Some(want) = rule.when.audit {
        match k.audit {
            None => unknown.push(Input::Audit),
            Some(v) => holds &= v == want,
        }
    }
    if let Some(min) = rule.when.min_sources {
        match k.sources {
            None => unknown.push(Input::Sources),
            Some(v) => holds &= v >= min,
        }
    }
    if !holds {
        Outcome::Fails
    } else if unknown.is_empty() {
        Outcome::Holds
    } else {
        Outcome::Unknown(unknown)
    }
}

/// The first rule that holds, and the missing inputs of the rules before it that might.
fn decide<'b>(book: &'b MethodologyBook, k: Known<'_>) -> (Option<&'b MethodRule>, Vec<Input>) {
    let mut missing = Vec::new();
    for rule in &book.rules {
        match evaluate(rule, k) {
            Outcome::Holds => return (Some(rule), missing),
            Outcome::Fails => {}
            Outcome::Unknown(inputs) => missing.extend(inputs),
        }
    }
    (None, missing)
}

/// The decision under `k`, with the earlier rules that other answers could still make
/// hold: `Kimball dimensional model (Data Vault 2.0 if audit required, 2+ sources)`.
fn conditional(book: &MethodologyBook, k: Known<'_>) -> String {
    let mut unless = Vec::new();
    for rule in &book.rules {
        match evaluate(rule, k) {
            Outcome::Holds if unless.is_empty() => return title(book, &rule.choose).to_string(),
            Outcome::Holds => {
                return format!("{} ({})", title(book, &rule.choose), unless.join("; "));
            }
            Outcome::Fails => {}
            Outcome::Unknown(_) => {
                unless.push(format!("{} if {}", title(book, &rule.choose), signal(rule)))
            }
        }
    }
    "depends on the other questions".to_string()
}

fn title<'b>(book: &'b MethodologyBook, id: &'b str) -> &'b str {
    book.approaches
        .iter()
        .find(|a| a.id == id)
        .map(|a| a.title.as_str())
        .unwrap_or(id)
}

/// The conditions of a rule, as the signal that chose it.
fn signal(rule: &MethodRule) -> String {
    let mut parts = Vec::new();
    if let Some(s) = &rule.when.serves {
        parts.push(format!("serves {s}"));
    }
    if let Some(a) = rule.when.audit {
        parts.push(if a { "audit required" } else { "no audit" }.to_string());
    }
    if let Some(n) = rule.when.min_sources {
        parts.push(format!("{n}+ sources"));
    }
    parts.join(", ")
}

/// Answers an input can take, as (label, known with that answer).
fn answers<'a>(input: Input, k: Known<'a>) -> Vec<(String, Known<'a>)> {
    match input {
        Input::Serves => SERVES
            .iter()
            .map(|s| {
                (
                    (*s).to_string(),
                    Known {
                        serves: Some(s),
                        ..k
                    },
                )
            })
            .collect(),
        Input::Sources => vec![
            (
                "1".into(),
                Known {
                    sources: Some(1),
                    ..k
                },
            ),
            (
                "2 or more".into(),
                Known {
                    sources: Some(2),
                    ..k
                },
            ),
        ],
        Input::Audit => vec![
            (
                "yes".into(),
                Known {
                    audit: Some(true),
                    ..k
                },
            ),
            (
                "no".into(),
                Known {
                    audit: Some(false),
                    ..k
                },
            ),
        ],
    }
}

fn model_finding(id: &'static str, detail: String) -> RawFinding {
    RawFinding {
        id,
        table: None,
        column: None,
        detail: Some(detail),
    }
}

/// Adds the methodology, multi-tenant and time-zone findings.
pub(super) fn check(model: &Model, books: &Playbooks, raw: &mut Vec<RawFinding>) {
    approach(model, &books.modeling.methodology, raw);
    tenant(model, &books.modeling.tenant.columns, raw);
    for table in &model.tables {
        for c in table
            .columns
            .iter()
            .filter(|c| !c.role.is_generated() && c.logical_type == LogicalType::Timestamp)
        {
            raw.push(RawFinding::new(
                "MOD-TIMESTAMP-NO-TZ",
                &table.name,
                Some(&c.name),
                None,
            ));
        }
    }
}

fn approach(model: &Model, book: &MethodologyBook, raw: &mut Vec<RawFinding>) {
    let needs = model.needs.clone().unwrap_or_default();
    let known = Known {
        serves: needs.serves.map(|s| s.as_str()),
        sources: needs.sources,
        audit: needs.audit,
    };
    let (rule, mut missing) = decide(book, known);
    missing.sort();
    missing.dedup();
    if !missing.is_empty() {
        for input in &missing {
            let question = match input {
                Input::Serves => &book.questions.serves,
                Input::Sources => &book.questions.sources,
                Input::Audit => &book.questions.audit,
            };
            let outcomes: Vec<String> = answers(*input, known)
                .into_iter()
                .map(|(label, k)| format!("{label} → {}", conditional(book, k)))
                .collect();
            raw.push(model_finding(
                "MOD-METHOD-QUESTION",
                format!("{question} {}", outcomes.join("; ")),
            ));
        }
        return;
    }
    let Some(rule) = rule else { return };
    raw.push(model_finding(
        "MOD-METHOD-CHOICE",
        format!(
            "{} fits ({}): {}. Runner-up: {}, for {}",
            title(book, &rule.choose),
            signal(rule),
            rule.because,
            title(book, &rule.runner_up),
            book.approaches
                .iter()
                .find(|a| a.id == rule.runner_up)
                .map(|a| a.best_for.as_str())
                .unwrap_or_default()
        ),
    ));
    let vault = model.tables.iter().any(|t| t.kind.vault().is_some());
    let star = model
        .tables
        .iter()
        .any(|t| matches!(t.kind, TableKind::Fact | TableKind::Dimension));
    let mismatch = match rule.choose.as_str() {
        "data_vault" if !vault && star => Some("has no hubs, links or satellites"),
        "kimball" if vault && !star => Some("has only Data Vault tables"),
        _ => None,
    };
    if let Some(what) = mismatch {
        raw.push(model_finding(
            "MOD-METHOD-SHAPE",
            format!(
                "{} fits the needs, but the model {what}",
                title(book, &rule.choose)
            ),
        ));
    }
}

fn tenant(model: &Model, names: &[String], raw: &mut Vec<RawFinding>) {
    let Some(tenant) = model.tables.iter().find_map(|t| {
        t.columns
            .iter()
            .find(|c| names.iter().any(|n| n.eq_ignore_ascii_case(&c.name)))
            .map(|c| c.name.clone())
    }) else {
        return;
    };
    for table in &model.tables {
        if !matches!(
            table.kind,
            TableKind::Fact | TableKind::Dimension | TableKind::Hub
        ) {
            continue;
        }
        let Some(column) = table.column(&tenant) else {
            raw.push(RawFinding::new(
                "MOD-TENANT-COLUMN",
                &table.name,
                Some(&tenant),
                None,
            ));
            continue;
        };
        match table.kind {
            TableKind::Fact => {
                let p = &table.physical;
                let laid_out = p.partition_by.as_deref() == Some(tenant.as_str())
                    || p.cluster_by.contains(&tenant)
                    || p.dist_key.as_deref() == Some(tenant.as_str())
                    || p.sort_key.contains(&tenant);
                if !laid_out {
                    raw.push(RawFinding::new(
                        "MOD-TENANT-LAYOUT",
                        &table.name,
                        Some(&tenant),
                        None,
                    ));
                }
            }
            _ if column.role != ColumnRole::NaturalKey => raw.push(RawFinding::new(
                "MOD-TENANT-KEY",
                &table.name,
                Some(&tenant),
                Some(table.natural_key.join(", ")),
            )),
            _ => {}
        }
    }
}
