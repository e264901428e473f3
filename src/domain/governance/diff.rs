//! Schema diffs: every difference between an old and a new set of tables, classified by
//! the governance playbook (breaking / needs review / non-breaking, and whose code
//! breaks), renames guessed with their evidence, and the action the breaking-change
//! policy requires.

use std::collections::{BTreeMap, BTreeSet};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::schema::{ColumnSchema, ColumnType, TableSchema, TypeChange, compare_types};
use crate::error::{Error, Result};
use crate::playbook::{Affects, ChangeKind, GovernanceBook, OnBreaking, Policy, Verdict};

/// What one side of a comparison knows; facets a side does not know are not compared
/// (a live table has no enum lists or classifications to lose).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Facets {
    /// Accepted-value lists.
    pub enums: bool,
    /// Classification levels.
    pub classification: bool,
    /// Descriptions.
    pub descriptions: bool,
    /// Unique constraints besides the key.
    pub unique: bool,
    /// Foreign keys.
    pub references: bool,
}

impl Facets {
    /// Everything known (contracts, specs, models).
    pub const ALL: Facets = Facets {
        enums: true,
        classification: true,
        descriptions: true,
        unique: true,
        references: true,
    };
}

/// One side of a diff, already turned into tables.
#[derive(Debug, Clone)]
pub struct Side {
    /// Where it came from (`contract`, `model`, `live`, `spec`).
    pub kind: String,
    /// A label for humans (`contract orders 1.2.0`, `live warehouse.orders`).
    pub label: String,
    /// Contract version, when a contract.
    pub version: Option<String>,
    /// Breaking-change policy declared by the contract.
    pub policy: Option<String>,
    /// Consumers declared by the contract.
    pub consumers: Vec<String>,
    /// Tables.
    pub tables: Vec<TableSchema>,
    /// Facets this side knows.
    pub facets: Facets,
}

/// One classified change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Change {
    /// Rule id from the playbook (`CHG-TYPE-NARROWED`).
    pub rule: String,
    /// Kind of change.
    pub kind: ChangeKind,
    /// Table.
    pub table: String,
    /// Column (the new name for a rename), when column-level.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    /// Verdict.
    pub verdict: Verdict,
    /// Whose code breaks.
    pub affects: Affects,
    /// What changed.
    pub summary: String,
    /// Why this verdict, and the facts behind a guess.
    pub evidence: Vec<String>,
    /// True when the change is inferred (a rename), not observed.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub guess: bool,
    /// Confidence of a guess, 0-1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confidence: Option<f64>,
}

/// The overall verdict of a diff.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Overall {
    /// Nothing changed.
    NoChange,
    /// Only non-breaking changes.
    NonBreaking,
    /// No breaking change, but some need a human.
    NeedsReview,
    /// At least one breaking change.
    Breaking,
}

/// What the policy decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Go ahead.
    Allowed,
    /// Go ahead once a human reviewed the flagged changes.
    AllowedAfterReview,
    /// Go ahead after notifying consumers and waiting the notice period.
    AllowedAfterNotice,
    /// Refused: fix the change or the version.
    Refused,
}

/// The policy's verdict on a diff.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PolicyOutcome {
    /// Policy applied (`version-bump`).
    pub policy: String,
    /// Its stable code.
    pub code: String,
    /// Where the policy came from: `argument`, `old contract`, or `default`.
    pub source: String,
    /// Decision.
    pub decision: Decision,
    /// True when the policy refuses the change (the CLI exits non-zero).
    pub refused: bool,
    /// What must be done, in order.
    pub required_actions: Vec<String>,
    /// Version the new contract should carry, when a version is known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub required_version: Option<String>,
    /// Earliest date the change may go live (notice policies).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effective_not_before: Option<String>,
}

/// Counts by verdict.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Counts {
    /// Breaking changes.
    pub breaking: usize,
    /// Changes that need review.
    pub needs_review: usize,
    /// Non-breaking changes.
    pub non_breaking: usize,
}

/// Describes one side in the result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SideSummary {
    /// `contract`, `model`, `live` or `spec`.
    pub kind: String,
    /// Label.
    pub label: String,
    /// Contract version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Tables compared.
    pub tables: Vec<String>,
}

/// The result of `diff_schemas`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SchemaDiff {
    /// Old side.
    pub old: SideSummary,
    /// New side.
    pub new: SideSummary,
    /// Overall verdict (the worst change).
    pub verdict: Overall,
    /// Counts by verdict.
    pub counts: Counts,
    /// Every change, breaking first.
    pub changes: Vec<Change>,
    /// The policy's decision.
    pub policy: PolicyOutcome,
}

struct Ctx<'a> {
    book: &'a GovernanceBook,
    changes: Vec<Change>,
}

impl Ctx<'_> {
    fn push(
        &mut self,
        kind: ChangeKind,
        table: &str,
        column: Option<&str>,
        summary: String,
        mut evidence: Vec<String>,
    ) -> Result<()> {
        let rule = self.book.change(kind).ok_or_else(|| {
            Error::invalid(format!(
                "governance playbook has no rule for change kind `{}`",
                crate::playbook::change_kind_name(kind)
            ))
        })?;
        evidence.push(format!("{}: {}", rule.id, rule.rationale));
        self.changes.push(Change {
            rule: rule.id.clone(),
            kind,
            table: table.to_string(),
            column: column.map(str::to_string),
            verdict: rule.verdict,
            affects: rule.affects,
            summary,
            evidence,
            guess: false,
            confidence: None,
        });
        Ok(())
    }
}

/// Compares two sides and applies the policy (`policy` argument, else the old
/// contract's, else the playbook default). `today` dates notice periods (YYYY-MM-DD).
pub fn diff(
    book: &GovernanceBook,
    old: &Side,
    new: &Side,
    policy: Option<&str>,
    today: chrono::NaiveDate,
) -> Result<SchemaDiff> {
    let (policy, source) = resolve_policy(book, policy, old)?;
    let mut ctx = Ctx {
        book,
        changes: Vec::new(),
    };
    let facets = Facets {
        enums: old.facets.enums && new.facets.enums,
        classification: old.facets.classification && new.facets.classification,
        descriptions: old.facets.descriptions && new.facets.descriptions,
        unique: old.facets.unique && new.facets.unique,
        references: old.facets.references && new.facets.references,
    };
    let new_by_name: BTreeMap<String, &TableSchema> = new
        .tables
        .iter()
        .map(|t| (t.name.to_lowercase(), t))
        .collect();
    let old_names: BTreeSet<String> = old.tables.iter().map(|t| t.name.to_lowercase()).collect();
    for table in &old.tables {
        match new_by_name.get(&table.name.to_lowercase()) {
            Some(n) => diff_table(&mut ctx, table, n, facets)?,
            None => ctx.push(
                ChangeKind::TableRemoved,
                &table.name,
                None,
                format!("table `{}` removed", table.name),
                vec![format!(
                    "`{}` is in {} but not in {}",
                    table.name, old.label, new.label
                )],
            )?,
        }
    }
    for table in &new.tables {
        if !old_names.contains(&table.name.to_lowercase()) {
            ctx.push(
                ChangeKind::TableAdded,
                &table.name,
                None,
                format!("table `{}` added", table.name),
                vec![format!("`{}` is new in {}", table.name, new.label)],
            )?;
        }
    }
    let mut changes = ctx.changes;
    changes.sort_by_key(|c| std::cmp::Reverse(c.verdict));
    let mut counts = Counts::default();
    for c in &changes {
        match c.verdict {
            Verdict::Breaking => counts.breaking += 1,
            Verdict::NeedsReview => counts.needs_review += 1,
            Verdict::NonBreaking => counts.non_breaking += 1,
        }
    }
    let verdict = if counts.breaking > 0 {
        Overall::Breaking
    } else if counts.needs_review > 0 {
        Overall::NeedsReview
    } else if counts.non_breaking > 0 {
        Overall::NonBreaking
    } else {
        Overall::NoChange
    };
    let outcome = apply_policy(policy, &source, verdict, &changes, old, new, today);
    Ok(SchemaDiff {
        old: summary(old),
        new: summary(new),
        verdict,
        counts,
        changes,
        policy: outcome,
    })
}

fn summary(side: &Side) -> SideSummary {
    SideSummary {
        kind: side.kind.clone(),
        label: side.label.clone(),
        version: side.version.clone(),
        tables: side.tables.iter().map(|t| t.name.clone()).collect(),
    }
}

/// Finds the policy to apply and says where it came from.
pub fn resolve_policy<'a>(
    book: &'a GovernanceBook,
    given: Option<&str>,
    old: &Side,
) -> Result<(&'a Policy, String)> {
    let lookup = |name: &str, field: &str| {
        book.policy(name).ok_or_else(|| {
            let valid: Vec<String> = book
                .policies
                .iter()
                .map(|p| format!("`{}`", p.id))
                .collect();
            Error::invalid(format!(
                "{field}: unknown breaking-change policy `{name}`; valid: {}",
                valid.join(", ")
            ))
        })
    };
    if let Some(name) = given {
        return Ok((lookup(name, "policy")?, "argument".to_string()));
    }
    if let Some(name) = &old.policy {
        return Ok((
            lookup(name, "old.breakingChangePolicy")?,
            "old contract".to_string(),
        ));
    }
    Ok((
        lookup(&book.default_policy, "default_policy")?,
        "default".to_string(),
    ))
}

fn diff_table(
    ctx: &mut Ctx<'_>,
    old: &TableSchema,
    new: &TableSchema,
    facets: Facets,
) -> Result<()> {
    let table = new.name.as_str();
    let old_cols: BTreeMap<String, (usize, &ColumnSchema)> = super::schema::by_name(old);
    let new_cols: BTreeMap<String, (usize, &ColumnSchema)> = super::schema::by_name(new);
    let removed: Vec<(usize, &ColumnSchema)> = old
        .columns
        .iter()
        .enumerate()
        .filter(|(_, c)| !new_cols.contains_key(&c.name.to_lowercase()))
        .collect();
    let added: Vec<(usize, &ColumnSchema)> = new
        .columns
        .iter()
        .enumerate()
        .filter(|(_, c)| !old_cols.contains_key(&c.name.to_lowercase()))
        .collect();
    let renames = guess_renames(ctx.book, &removed, &added)?;
    let renamed_old: BTreeSet<String> = renames.iter().map(|r| r.old.name.to_lowercase()).collect();
    let renamed_new: BTreeSet<String> = renames.iter().map(|r| r.new.name.to_lowercase()).collect();
    // Old name → new name, for comparing keys after renames.
    let mut rename_map: BTreeMap<String, String> = BTreeMap::new();

    for (_, col) in &removed {
        if renamed_old.contains(&col.name.to_lowercase()) {
            continue;
        }
        ctx.push(
            ChangeKind::ColumnRemoved,
            table,
            Some(&col.name),
            format!("column `{}` removed", col.name),
            vec![format!(
                "`{}.{}` ({}) is gone",
                table, col.name, col.data_type
            )],
        )?;
    }
    for r in &renames {
        rename_map.insert(r.old.name.to_lowercase(), r.new.name.to_lowercase());
        let rule = ctx.book.change(ChangeKind::ColumnRenamed).ok_or_else(|| {
            Error::invalid("governance playbook has no rule for `column_renamed`")
        })?;
        let mut evidence = r.evidence.clone();
        evidence.push(format!(
            "a guess: if `{}` was dropped and `{}` is unrelated, read this as a removal plus an addition",
            r.old.name, r.new.name
        ));
        evidence.push(format!("{}: {}", rule.id, rule.rationale));
        ctx.changes.push(Change {
            rule: rule.id.clone(),
            kind: ChangeKind::ColumnRenamed,
            table: table.to_string(),
            column: Some(r.new.name.clone()),
            verdict: rule.verdict,
            affects: rule.affects,
            summary: format!(
                "column `{}` probably renamed to `{}`",
                r.old.name, r.new.name
            ),
            evidence,
            guess: true,
            confidence: Some(round2(r.score)),
        });
        diff_column(ctx, table, r.old, r.new, facets)?;
    }
    for (_, col) in &added {
        if renamed_new.contains(&col.name.to_lowercase()) {
            continue;
        }
        let (kind, what) = if col.nullable {
            (ChangeKind::ColumnAddedNullable, "nullable")
        } else {
            (ChangeKind::ColumnAddedRequired, "not null")
        };
        ctx.push(
            kind,
            table,
            Some(&col.name),
            format!("column `{}` added ({what})", col.name),
            vec![format!("`{}.{}` {} is new", table, col.name, col.data_type)],
        )?;
    }
    for (name, (_, old_col)) in &old_cols {
        if let Some((_, new_col)) = new_cols.get(name) {
            diff_column(ctx, table, old_col, new_col, facets)?;
        }
    }
    let old_key: Vec<String> = old
        .key_columns()
        .iter()
        .map(|k| {
            let k = k.to_lowercase();
            rename_map.get(&k).cloned().unwrap_or(k)
        })
        .collect();
    let new_key: Vec<String> = new.key_columns().iter().map(|k| k.to_lowercase()).collect();
    if old_key != new_key {
        ctx.push(
            ChangeKind::PrimaryKeyChanged,
            table,
            None,
            format!(
                "primary key ({}) -> ({})",
                old.key_columns().join(", "),
                new.key_columns().join(", ")
            ),
            vec![format!(
                "old key [{}], new key [{}]",
                old.key_columns().join(", "),
                new.key_columns().join(", ")
            )],
        )?;
    }
    if facets.descriptions
        && let (Some(a), Some(b)) = (&old.description, &new.description)
        && a.trim() != b.trim()
    {
        ctx.push(
            ChangeKind::DescriptionChanged,
            table,
            None,
            format!("description of table `{table}` changed"),
            vec![],
        )?;
    }
    Ok(())
}

fn diff_column(
    ctx: &mut Ctx<'_>,
    table: &str,
    old: &ColumnSchema,
    new: &ColumnSchema,
    facets: Facets,
) -> Result<()> {
    let column = Some(new.name.as_str());
    let name = &new.name;
    let old_type = ColumnType::parse(&old.data_type)
        .map_err(|e| Error::invalid(format!("old `{table}.{}`.type: {e}", old.name)))?;
    let new_type = ColumnType::parse(&new.data_type)
        .map_err(|e| Error::invalid(format!("new `{table}.{name}`.type: {e}")))?;
    let type_change = match compare_types(&old_type, &new_type) {
        TypeChange::Same => None,
        TypeChange::Widened(why) => Some((ChangeKind::TypeWidened, "widened", why)),
        TypeChange::Narrowed(why) => Some((ChangeKind::TypeNarrowed, "narrowed", why)),
        TypeChange::Changed(why) => Some((ChangeKind::TypeChanged, "changed", why)),
        TypeChange::Review(why) => Some((ChangeKind::TypeChangedReview, "changed", why)),
    };
    if let Some((kind, verb, why)) = type_change {
        ctx.push(
            kind,
            table,
            column,
            format!("type of `{name}` {verb}: {old_type} -> {new_type}"),
            vec![why],
        )?;
    }
    if old.nullable && !new.nullable {
        ctx.push(
            ChangeKind::NullabilityTightened,
            table,
            column,
            format!("`{name}` is now not null"),
            vec!["nullable -> not null".to_string()],
        )?;
    } else if !old.nullable && new.nullable {
        ctx.push(
            ChangeKind::NullabilityRelaxed,
            table,
            column,
            format!("`{name}` now accepts nulls"),
            vec!["not null -> nullable".to_string()],
        )?;
    }
    if facets.unique && !old.primary_key && !new.primary_key && old.unique != new.unique {
        let kind = if new.unique {
            ChangeKind::UniqueAdded
        } else {
            ChangeKind::UniqueRemoved
        };
        let verb = if new.unique {
            "must now be unique"
        } else {
            "no longer unique"
        };
        ctx.push(kind, table, column, format!("`{name}` {verb}"), vec![])?;
    }
    if facets.enums {
        match (&old.enum_values, &new.enum_values) {
            (None, Some(values)) => ctx.push(
                ChangeKind::EnumConstraintAdded,
                table,
                column,
                format!("`{name}` now only accepts {} values", values.len()),
                vec![format!("accepted: {}", quoted(values))],
            )?,
            (Some(values), None) => ctx.push(
                ChangeKind::EnumConstraintRemoved,
                table,
                column,
                format!("`{name}` no longer has a list of accepted values"),
                vec![format!("was: {}", quoted(values))],
            )?,
            (Some(a), Some(b)) => {
                let gone: Vec<String> = a.iter().filter(|v| !b.contains(v)).cloned().collect();
                let new_values: Vec<String> =
                    b.iter().filter(|v| !a.contains(v)).cloned().collect();
                if !gone.is_empty() {
                    ctx.push(
                        ChangeKind::EnumValueRemoved,
                        table,
                        column,
                        format!("`{name}` no longer accepts {}", quoted(&gone)),
                        vec![format!("old: {}; new: {}", quoted(a), quoted(b))],
                    )?;
                }
                if !new_values.is_empty() {
                    ctx.push(
                        ChangeKind::EnumValueAdded,
                        table,
                        column,
                        format!("`{name}` now also accepts {}", quoted(&new_values)),
                        vec![format!("old: {}; new: {}", quoted(a), quoted(b))],
                    )?;
                }
            }
            (None, None) => {}
        }
    }
    if facets.references {
        let norm = |r: &Option<String>| r.as_ref().map(|s| s.to_lowercase());
        if norm(&old.references) != norm(&new.references) {
            ctx.push(
                ChangeKind::ForeignKeyChanged,
                table,
                column,
                format!(
                    "`{name}` references {} -> {}",
                    old.references.as_deref().unwrap_or("nothing"),
                    new.references.as_deref().unwrap_or("nothing")
                ),
                vec![],
            )?;
        }
    }
    if facets.classification
        && let (Some(a), Some(b)) = (&old.classification, &new.classification)
    {
        let rank = |l: &str| ctx.book.level(l).map(|l| l.rank);
        match (rank(a), rank(b)) {
            (Some(x), Some(y)) if y > x => ctx.push(
                ChangeKind::ClassificationRaised,
                table,
                column,
                format!("`{name}` classification {a} -> {b}"),
                vec![],
            )?,
            (Some(x), Some(y)) if y < x => ctx.push(
                ChangeKind::ClassificationLowered,
                table,
                column,
                format!("`{name}` classification {a} -> {b}"),
                vec![],
            )?,
            _ => {}
        }
    }
    if facets.descriptions
        && let (Some(a), Some(b)) = (&old.description, &new.description)
        && a.trim() != b.trim()
    {
        ctx.push(
            ChangeKind::DescriptionChanged,
            table,
            column,
            format!("description of `{name}` changed"),
            vec![],
        )?;
    }
    Ok(())
}

fn quoted(values: &[String]) -> String {
    values
        .iter()
        .map(|v| format!("`{v}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

struct Rename<'a> {
    old: &'a ColumnSchema,
    new: &'a ColumnSchema,
    score: f64,
    evidence: Vec<String>,
}

/// Pairs removed and added columns that look like the same column under a new name,
/// best pairs first; each column is used at most once.
fn guess_renames<'a>(
    book: &GovernanceBook,
    removed: &[(usize, &'a ColumnSchema)],
    added: &[(usize, &'a ColumnSchema)],
) -> Result<Vec<Rename<'a>>> {
    let settings = &book.rename;
    let w = &settings.weights;
    let mut candidates = Vec::new();
    for (oi, old) in removed {
        for (ni, new) in added {
            let (Ok(ot), Ok(nt)) = (
                ColumnType::parse(&old.data_type),
                ColumnType::parse(&new.data_type),
            ) else {
                continue;
            };
            let type_change = compare_types(&ot, &nt);
            let compatible = matches!(type_change, TypeChange::Same | TypeChange::Widened(_));
            if settings.require_compatible_type && !compatible {
                continue;
            }
            let mut evidence = Vec::new();
            let mut score = 0.0;
            match type_change {
                TypeChange::Same => {
                    score += w.same_type;
                    evidence.push(format!("same type `{ot}`"));
                }
                TypeChange::Widened(_) => {
                    score += w.same_type / 2.0;
                    evidence.push(format!("compatible type `{ot}` -> `{nt}`"));
                }
                _ => {}
            }
            let distance = oi.abs_diff(*ni);
            if distance == 0 {
                score += w.same_position;
                evidence.push(format!("same position ({})", oi + 1));
            } else if distance == 1 {
                score += w.same_position / 2.0;
                evidence.push(format!("adjacent position ({} -> {})", oi + 1, ni + 1));
            }
            let similarity = name_similarity(&old.name, &new.name);
            score += w.name_similarity * similarity;
            evidence.push(format!(
                "name similarity {:.2} (`{}` vs `{}`)",
                similarity, old.name, new.name
            ));
            if old.nullable == new.nullable {
                score += w.same_nullability;
                evidence.push("same nullability".to_string());
            }
            if score >= settings.min_score {
                candidates.push(Rename {
                    old,
                    new,
                    score,
                    evidence,
                });
            }
        }
    }
    candidates.sort_by(|a, b| b.score.total_cmp(&a.score));
    let mut used_old = BTreeSet::new();
    let mut used_new = BTreeSet::new();
    let mut out = Vec::new();
    for c in candidates {
        if used_old.contains(&c.old.name) || used_new.contains(&c.new.name) {
            continue;
        }
        used_old.insert(c.old.name.clone());
        used_new.insert(c.new.name.clone());
        out.push(c);
    }
    Ok(out)
}

/// Similarity of two column names, 0-1: the better of edit-distance similarity and the
/// share of name parts that match (a part matches an equal part or one it abbreviates).
pub fn name_similarity(a: &str, b: &str) -> f64 {
    let (a, b) = (a.to_lowercase(), b.to_lowercase());
    let max = a.chars().count().max(b.chars().count());
    let edit = if max == 0 {
        1.0
    } else {
        1.0 - levenshtein(&a, &b) as f64 / max as f64
    };
    let pa: Vec<&str> = a.split('_').filter(|p| !p.is_empty()).collect();
    let pb: Vec<&str> = b.split('_').filter(|p| !p.is_empty()).collect();
    let matches = |x: &str, y: &str| {
        x == y || (x.len() >= 3 && y.len() >= 3 && (x.starts_with(y) || y.starts_with(x)))
    };
    let matched_a = pa
        .iter()
        .filter(|x| pb.iter().any(|y| matches(x, y)))
        .count();
    let matched_b = pb
        .iter()
        .filter(|y| pa.iter().any(|x| matches(x, y)))
        .count();
    let total = pa.len() + pb.len();
    let parts = if total == 0 {
        0.0
    } else {
        (matched_a + matched_b) as f64 / total as f64
    };
    edit.max(parts)
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// A parsed `MAJOR.MINOR.PATCH` (missing parts are 0).
fn semver(v: &str) -> Option<(u64, u64, u64)> {
    let v = v.trim().trim_start_matches('v');
    let core = v.split(['-', '+']).next()?;
    let mut parts = core.split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next().map_or(Some(0), |p| p.parse().ok())?;
    let patch = parts.next().map_or(Some(0), |p| p.parse().ok())?;
    Some((major, minor, patch))
}

fn apply_policy(
    policy: &Policy,
    source: &str,
    verdict: Overall,
    changes: &[Change],
    old: &Side,
    new: &Side,
    today: chrono::NaiveDate,
) -> PolicyOutcome {
    let old_v = old.version.as_deref().and_then(semver);
    let new_v = new.version.as_deref().and_then(semver);
    let mut actions = Vec::new();
    let mut required_version = None;
    let mut effective = None;
    let breaking: Vec<&Change> = changes
        .iter()
        .filter(|c| c.verdict == Verdict::Breaking)
        .collect();
    let review: Vec<&Change> = changes
        .iter()
        .filter(|c| c.verdict == Verdict::NeedsReview)
        .collect();
    let consumers = if old.consumers.is_empty() {
        "every consumer (the contract lists none)".to_string()
    } else {
        old.consumers.join(", ")
    };
    let decision = match verdict {
        Overall::NoChange => Decision::Allowed,
        Overall::NonBreaking | Overall::NeedsReview => {
            if let Some((ma, mi, _)) = old_v {
                let v = format!("{ma}.{}.0", mi + 1);
                actions.push(format!(
                    "publish the contract as version {v} (additive change)"
                ));
                required_version = Some(v);
            }
            if verdict == Overall::NeedsReview {
                actions.push(format!(
                    "a human reviews {} change(s): {}",
                    review.len(),
                    review
                        .iter()
                        .map(|c| c.summary.as_str())
                        .collect::<Vec<_>>()
                        .join("; ")
                ));
                Decision::AllowedAfterReview
            } else {
                Decision::Allowed
            }
        }
        Overall::Breaking => {
            let listed = breaking
                .iter()
                .map(|c| c.summary.as_str())
                .collect::<Vec<_>>()
                .join("; ");
            let next_major = old_v.map(|(ma, _, _)| format!("{}.0.0", ma + 1));
            let bumped = matches!((old_v, new_v), (Some((a, _, _)), Some((b, _, _))) if b > a);
            match policy.on_breaking {
                OnBreaking::Refuse => {
                    actions.push(format!(
                        "policy `{}` refuses breaking changes: undo them ({listed})",
                        policy.id
                    ));
                    actions.push(
                        "evolve additively instead: add a new nullable column or table, keep the old one, deprecate it in the contract"
                            .to_string(),
                    );
                    Decision::Refused
                }
                OnBreaking::RequireMajorVersion => {
                    if bumped {
                        actions.push(format!(
                            "new major version {} accepted: publish it next to the old one and migrate consumers ({consumers})",
                            new.version.clone().unwrap_or_default()
                        ));
                        Decision::Allowed
                    } else {
                        match &next_major {
                            Some(v) => {
                                actions.push(format!(
                                    "breaking changes need a new major version: publish the contract as {v}"
                                ));
                                required_version = Some(v.clone());
                            }
                            None => actions.push(
                                "breaking changes need a new major version of the contract, but the old side has no version: generate a contract for it first"
                                    .to_string(),
                            ),
                        }
                        actions.push(format!("breaking: {listed}"));
                        Decision::Refused
                    }
                }
                OnBreaking::Notify => {
                    let date = today + chrono::Days::new(u64::from(policy.notice_days));
                    let date = date.format("%Y-%m-%d").to_string();
                    actions.push(format!("notify {consumers} now of: {listed}"));
                    actions.push(format!(
                        "keep the old shape until {date} ({} days' notice), then deploy",
                        policy.notice_days
                    ));
                    if policy.major_bump_on_breaking
                        && !bumped
                        && let Some(v) = &next_major
                    {
                        actions.push(format!("publish the contract as {v}"));
                        required_version = Some(v.clone());
                    }
                    effective = Some(date);
                    Decision::AllowedAfterNotice
                }
            }
        }
    };
    PolicyOutcome {
        policy: policy.id.clone(),
        code: policy.code.clone(),
        source: source.to_string(),
        decision,
        refused: decision == Decision::Refused,
        required_actions: actions,
        required_version,
        effective_not_before: effective,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn similarity_and_semver() {
        assert!(name_similarity("cust_id", "customer_id") > 0.9);
        assert!(name_similarity("fax", "twitter") < 0.3);
        assert_eq!(semver("1.2.3"), Some((1, 2, 3)));
        assert_eq!(semver("v2"), Some((2, 0, 0)));
        assert_eq!(semver("x"), None);
    }
}
