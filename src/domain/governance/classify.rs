//! PII classification: detectors from the governance playbook look at column names and
//! at sampled values, each detection carries a confidence and its evidence, and every
//! sampled value shown is masked to its shape (a raw sampled value never leaves this
//! module). Columns and the table get a classification level with the playbook's
//! controls, and right-to-delete hints follow the lineage where it is known.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::str::FromStr;
use std::sync::LazyLock;

use regex::Regex;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::schema::{ColumnType, TableSchema, TypeFamily};
use crate::error::{Error, Result};
use crate::playbook::{GovernanceBook, PiiDetector, ValueCheck};

/// A control attached to a level.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ControlRef {
    /// Stable id (`CTL-MASK`).
    pub id: String,
    /// Title.
    pub title: String,
    /// What it means.
    pub description: String,
}

/// One detector's finding on a column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Detection {
    /// Detector id (`PII-EMAIL`).
    pub detector: String,
    /// PII kind (`email`).
    pub kind: String,
    /// Confidence 0-1.
    pub confidence: f64,
    /// `name`, `values` or `name_and_values`.
    pub basis: String,
    /// Facts behind it; sampled values appear masked only.
    pub evidence: Vec<String>,
}

/// A column's classification.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ColumnClassification {
    /// Column name.
    pub column: String,
    /// Holds personal data.
    pub pii: bool,
    /// PII kind of the strongest detection.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Classification level.
    pub level: String,
    /// Confidence of the strongest detection (0 when none).
    pub confidence: f64,
    /// Control ids to apply.
    pub controls: Vec<String>,
    /// Detections at or above the reporting threshold, strongest first.
    pub detections: Vec<Detection>,
}

/// Something a human should look at that is not a PII column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ClassificationWarning {
    /// Column.
    pub column: String,
    /// Detector involved.
    pub detector: String,
    /// What was seen (masked).
    pub message: String,
}

/// A table that must follow a data-subject deletion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DeletionTarget {
    /// Downstream table or dataset.
    pub table: String,
    /// Column linking it to this table, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub via: Option<String>,
    /// Where the link comes from (`foreign key`, `lineage`).
    pub source: String,
}

/// Right-to-delete propagation hints.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DeletionHints {
    /// Columns identifying a data subject in this table.
    pub subject_keys: Vec<String>,
    /// Tables a deletion must propagate to.
    pub propagate_to: Vec<DeletionTarget>,
    /// Whether any lineage was known.
    pub lineage_known: bool,
    /// What to do.
    pub steps: Vec<String>,
}

/// Where sampled values came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SampleInfo {
    /// `datasource` or `given`.
    pub source: String,
    /// Rows sampled (most per column).
    pub rows: usize,
}

/// The result of `classify_data`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Classification {
    /// Table.
    pub table: String,
    /// Table level: the highest of its columns.
    pub level: String,
    /// Stable code of the level.
    pub level_code: String,
    /// Controls of the table's level.
    pub controls: Vec<ControlRef>,
    /// Columns holding PII.
    pub pii_columns: Vec<String>,
    /// Every column.
    pub columns: Vec<ColumnClassification>,
    /// Embedded PII in free text, names contradicted by values, types that veto a name.
    pub warnings: Vec<ClassificationWarning>,
    /// Right-to-delete propagation (when the table holds PII).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deletion: Option<DeletionHints>,
    /// Samples used, when any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sampled: Option<SampleInfo>,
    /// Masked view, grants and policies, when `masking` was asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub masking: Option<super::masking::MaskingSql>,
}

/// Lineage known beyond the table itself: `(table, column)` pairs whose column refers
/// to this table (foreign keys from a model), and downstream datasets.
#[derive(Debug, Clone, Default)]
pub struct Lineage {
    /// Tables with a foreign key to this table, with the referencing column.
    pub referenced_by: Vec<(String, String)>,
    /// Downstream datasets from lineage.
    pub downstream: Vec<String>,
}

struct Compiled<'a> {
    detector: &'a PiiDetector,
    names: &'a [Regex],
    excludes: &'a [Regex],
}

fn compile(book: &GovernanceBook) -> Result<Vec<Compiled<'_>>> {
    book.pii_detectors
        .iter()
        .map(|d| {
            let compiled = d.compiled.get_or_init(|| {
                let re = |p: &String| {
                    Regex::new(p).map_err(|e| {
                        format!(
                            "governance playbook: detector `{}`: bad regex `{p}`: {e}",
                            d.id
                        )
                    })
                };
                let names = d.name_patterns.iter().map(re).collect::<Result<_, _>>()?;
                let excludes = d.name_exclude.iter().map(re).collect::<Result<_, _>>()?;
                Ok((names, excludes))
            });
            match compiled {
                Ok((names, excludes)) => Ok(Compiled {
                    detector: d,
                    names,
                    excludes,
                }),
                Err(message) => Err(Error::invalid(message.clone())),
            }
        })
        .collect()
}

/// Column families a value check can live in.
fn type_allows(check: ValueCheck, family: TypeFamily) -> bool {
    use TypeFamily as F;
    let text = matches!(family, F::String | F::Other);
    match check {
        ValueCheck::Email
        | ValueCheck::UsSsn
        | ValueCheck::UkNino
        | ValueCheck::Ipv6
        | ValueCheck::StreetAddress
        | ValueCheck::PersonName
        | ValueCheck::Iban => text,
        ValueCheck::Phone | ValueCheck::CardLuhn => {
            text || matches!(family, F::Integer | F::Decimal)
        }
        ValueCheck::Ipv4 => text || matches!(family, F::Integer | F::Binary),
        ValueCheck::BirthDate => text || matches!(family, F::Date | F::Timestamp | F::TimestampTz),
        ValueCheck::None => text || matches!(family, F::Binary | F::Json),
    }
}

/// Classifies a table from its column names and, when given, sampled values per column.
pub fn classify(
    book: &GovernanceBook,
    table: &TableSchema,
    samples: &BTreeMap<String, Vec<String>>,
    sample_source: Option<&str>,
    lineage: &Lineage,
    today: chrono::NaiveDate,
) -> Result<Classification> {
    let settings = &book.classification;
    let detectors = compile(book)?;
    let default_level = settings.default_level.clone();
    let rank = |level: &str| book.level(level).map_or(0, |l| l.rank);
    let mut columns = Vec::new();
    let mut warnings = Vec::new();
    for column in &table.columns {
        let lname = column.name.to_lowercase();
        let family = ColumnType::parse(&column.data_type)
            .map(|t| t.family)
            .unwrap_or(TypeFamily::Other);
        let values: Vec<&str> = samples
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(&column.name))
            .map(|(_, v)| {
                v.iter()
                    .map(String::as_str)
                    .filter(|v| !v.trim().is_empty())
                    .collect()
            })
            .unwrap_or_default();
        let enough = values.len() >= settings.min_samples as usize;
        let mut detections = Vec::new();
        for c in &detectors {
            let d = c.detector;
            let pattern = c.names.iter().find(|r| r.is_match(&lname));
            let veto = c.excludes.iter().find(|r| r.is_match(&lname));
            let name_hit = pattern.is_some() && veto.is_none();
            if !type_allows(d.value_check, family) {
                if name_hit {
                    warnings.push(ClassificationWarning {
                        column: column.name.clone(),
                        detector: d.id.clone(),
                        message: format!(
                            "the name suggests {} but the column is `{}`, which cannot hold one",
                            d.kind, column.data_type
                        ),
                    });
                }
                continue;
            }
            let mut evidence = Vec::new();
            if let Some(p) = pattern {
                match veto {
                    None => evidence.push(format!(
                        "column name `{}` matches `{}`",
                        column.name,
                        p.as_str()
                    )),
                    Some(v) => evidence.push(format!(
                        "column name `{}` matches `{}` but also the exclusion `{}`",
                        column.name,
                        p.as_str(),
                        v.as_str()
                    )),
                }
            }
            let checked = enough && d.value_check != ValueCheck::None;
            let (ratio, examples) = if checked {
                let hits: Vec<&str> = values
                    .iter()
                    .copied()
                    .filter(|v| value_matches(d.value_check, v, today))
                    .collect();
                let ratio = hits.len() as f64 / values.len() as f64;
                evidence.push(format!(
                    "{}/{} sampled values look like {} (e.g. {})",
                    hits.len(),
                    values.len(),
                    d.kind,
                    masked_examples(&hits, d.value_check)
                ));
                (ratio, hits.len())
            } else {
                (0.0, 0)
            };
            let confidence = if checked {
                if name_hit && ratio >= settings.min_value_ratio {
                    Some((settings.name_and_value_confidence, "name_and_values"))
                } else if name_hit && d.name_needs_values {
                    // An ambiguous name (`who`, `contact`) only counts with values that
                    // look the part; values that do not are no contradiction.
                    None
                } else if name_hit && ratio < settings.contradict_ratio {
                    warnings.push(ClassificationWarning {
                        column: column.name.clone(),
                        detector: d.id.clone(),
                        message: format!(
                            "the name suggests {} but only {examples}/{} sampled values look like one",
                            d.kind,
                            values.len()
                        ),
                    });
                    None
                } else if name_hit {
                    Some((settings.name_only_confidence, "name"))
                } else if d.values_alone && ratio >= settings.min_value_ratio {
                    let span = (1.0 - settings.min_value_ratio).max(f64::EPSILON);
                    let extra = 0.15 * ((ratio - settings.min_value_ratio) / span);
                    Some(((settings.value_only_confidence + extra).min(0.95), "values"))
                } else {
                    None
                }
            } else if name_hit && !d.name_needs_values {
                Some((settings.name_only_confidence, "name"))
            } else {
                None
            };
            match confidence {
                Some((conf, basis)) if conf >= settings.min_confidence => {
                    detections.push(Detection {
                        detector: d.id.clone(),
                        kind: d.kind.clone(),
                        confidence: round2(conf),
                        basis: basis.to_string(),
                        evidence,
                    });
                }
                _ => {
                    if d.embedded && enough && family == TypeFamily::String {
                        let embedded: Vec<&str> = values
                            .iter()
                            .copied()
                            .filter(|v| {
                                !value_matches(d.value_check, v, today)
                                    && contains_embedded(d.value_check, v)
                            })
                            .collect();
                        let share = embedded.len() as f64 / values.len() as f64;
                        if !embedded.is_empty() && share >= settings.embedded_min_ratio {
                            warnings.push(ClassificationWarning {
                                column: column.name.clone(),
                                detector: d.id.clone(),
                                message: format!(
                                    "free text: {}/{} sampled values contain what looks like {} (e.g. {}); scrub it before loading or treat the column as {}",
                                    embedded.len(),
                                    values.len(),
                                    d.kind,
                                    masked_examples(&embedded, ValueCheck::None),
                                    d.level
                                ),
                            });
                        }
                    }
                }
            }
        }
        detections.sort_by(|a, b| b.confidence.total_cmp(&a.confidence));
        // Keep one detection per kind (the strongest).
        let mut seen = Vec::new();
        detections.retain(|d| {
            if seen.contains(&d.kind) {
                false
            } else {
                seen.push(d.kind.clone());
                true
            }
        });
        let pii = !detections.is_empty();
        let mut level = default_level.clone();
        for d in &detections {
            if let Some(det) = book.pii_detectors.iter().find(|x| x.id == d.detector)
                && rank(&det.level) > rank(&level)
            {
                level = det.level.clone();
            }
        }
        if let Some(declared) = &column.classification
            && book.level(declared).is_some()
            && rank(declared) > rank(&level)
        {
            level = declared.clone();
        }
        let controls = book
            .level(&level)
            .map(|l| l.controls.clone())
            .unwrap_or_default();
        columns.push(ColumnClassification {
            column: column.name.clone(),
            pii,
            kind: detections.first().map(|d| d.kind.clone()),
            level,
            confidence: detections.first().map_or(0.0, |d| d.confidence),
            controls,
            detections,
        });
    }
    let mut level = table
        .classification
        .clone()
        .filter(|l| book.level(l).is_some())
        .unwrap_or(default_level);
    for c in &columns {
        if rank(&c.level) > rank(&level) {
            level = c.level.clone();
        }
    }
    let def = book.level(&level).ok_or_else(|| {
        Error::invalid(format!(
            "classification level `{level}` is not in the governance playbook"
        ))
    })?;
    let controls = def
        .controls
        .iter()
        .filter_map(|id| book.control(id))
        .map(|c| ControlRef {
            id: c.id.clone(),
            title: c.title.clone(),
            description: c.description.clone(),
        })
        .collect();
    let pii_columns: Vec<String> = columns
        .iter()
        .filter(|c| c.pii)
        .map(|c| c.column.clone())
        .collect();
    let deletion = (!pii_columns.is_empty()).then(|| deletion_hints(table, &pii_columns, lineage));
    let rows = samples.values().map(Vec::len).max().unwrap_or(0);
    Ok(Classification {
        table: table.name.clone(),
        level: level.clone(),
        level_code: def.code.clone(),
        controls,
        pii_columns,
        columns,
        warnings,
        deletion,
        masking: None,
        sampled: sample_source.filter(|_| rows > 0).map(|s| SampleInfo {
            source: s.to_string(),
            rows,
        }),
    })
}

/// Whether values of `column` must be masked wherever they would be shown (profiles,
/// failing keys): a detector's name pattern matches the column name (and none of its
/// exclusions), or, for detectors that trust values alone, at least `min_value_ratio` of
/// the given non-empty values pass its value check, however few values there are.
pub fn looks_personal(
    book: &GovernanceBook,
    column: &str,
    values: &[&str],
    today: chrono::NaiveDate,
) -> Result<bool> {
    let detectors = compile(book)?;
    let lname = column.to_lowercase();
    let values: Vec<&str> = values
        .iter()
        .copied()
        .filter(|v| !v.trim().is_empty())
        .collect();
    for c in &detectors {
        if c.names.iter().any(|r| r.is_match(&lname))
            && !c.excludes.iter().any(|r| r.is_match(&lname))
        {
            return Ok(true);
        }
        let d = c.detector;
        if d.values_alone && d.value_check != ValueCheck::None && !values.is_empty() {
            let hits = values
                .iter()
                .filter(|v| value_matches(d.value_check, v, today))
                .count();
            if hits as f64 / values.len() as f64 >= book.classification.min_value_ratio {
                return Ok(true);
            }
        }
    }
    Ok(false)
}

fn deletion_hints(table: &TableSchema, pii: &[String], lineage: &Lineage) -> DeletionHints {
    let keys = table.key_columns();
    let subject_keys = if keys.is_empty() { pii.to_vec() } else { keys };
    let mut targets: Vec<DeletionTarget> = lineage
        .referenced_by
        .iter()
        .map(|(t, c)| DeletionTarget {
            table: t.clone(),
            via: Some(c.clone()),
            source: "foreign key".to_string(),
        })
        .collect();
    for d in lineage.downstream.iter().chain(&table.downstream) {
        if !targets.iter().any(|t| t.table.eq_ignore_ascii_case(d)) {
            targets.push(DeletionTarget {
                table: d.clone(),
                via: None,
                source: "lineage".to_string(),
            });
        }
    }
    let lineage_known = !targets.is_empty();
    let mut steps = vec![format!(
        "find the data subject's rows in `{}` by {}",
        table.name,
        subject_keys
            .iter()
            .map(|k| format!("`{k}`"))
            .collect::<Vec<_>>()
            .join(", ")
    )];
    for t in &targets {
        match &t.via {
            Some(col) => steps.push(format!(
                "delete or anonymize the rows of `{}` whose `{col}` points at them (or re-key them to an anonymous member)",
                t.table
            )),
            None => steps.push(format!(
                "propagate the deletion to `{}` (derived from it; rebuild or delete the subject's rows)",
                t.table
            )),
        }
    }
    steps.push(format!(
        "delete or anonymize the subject's row in `{}` ({}) last, then log the request id",
        table.name,
        pii.iter()
            .map(|k| format!("`{k}`"))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    if !lineage_known {
        steps.push(
            "no lineage is known: list the tables derived from this one (pass `downstream`) so the deletion reaches them too"
                .to_string(),
        );
    }
    DeletionHints {
        subject_keys,
        propagate_to: targets,
        lineage_known,
        steps,
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[A-Za-z0-9._%+'\-]+@[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}$")
        .expect("static regex")
});
static EMAIL_IN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
        .expect("static regex")
});
static PHONE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\+?[0-9][0-9 ().\-]{5,22}[0-9]$").expect("static regex"));
static SSN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(\d{3})-(\d{2})-(\d{4})$").expect("static regex"));
static SSN_IN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b(\d{3})-(\d{2})-(\d{4})\b").expect("static regex"));
static NINO: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^([A-CEGHJ-PR-TW-Z]{2}) ?\d{2} ?\d{2} ?\d{2} ?[A-D]$").expect("static regex")
});
static CARD_IN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b\d(?:[ \-]?\d){12,18}\b").expect("static regex"));
static ISO_DATE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\d{4}-\d{2}-\d{2}").expect("static regex"));
static STREET: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^\d+[a-z]?,?\s+([\w.'\-]+\s+){0,4}(st|street|ave|avenue|rd|road|blvd|boulevard|ln|lane|dr|drive|way|ct|court|pl|place|sq|square|ter|terrace|pkwy|parkway|hwy|highway|rue|strasse|straße|via|calle|close|crescent|row)\b\.?")
        .expect("static regex")
});
static PERSON: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[\p{L}][\p{L}'\-]*\.?(\s+[\p{L}][\p{L}'\-]*\.?){0,3}$").expect("static regex")
});

/// Luhn checksum of a digit string.
pub fn luhn(digits: &str) -> bool {
    let mut sum = 0;
    let mut double = false;
    for c in digits.chars().rev() {
        let Some(mut d) = c.to_digit(10) else {
            return false;
        };
        if double {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
        double = !double;
    }
    sum % 10 == 0
}

fn card(value: &str) -> bool {
    let digits: String = value.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    (13..=19).contains(&digits.len())
        && digits.chars().all(|c| c.is_ascii_digit())
        && !digits.chars().all(|c| digits.starts_with(c))
        && luhn(&digits)
}

fn ssn_parts_valid(area: &str, group: &str, serial: &str) -> bool {
    area != "000" && area != "666" && !area.starts_with('9') && group != "00" && serial != "0000"
}

fn birth_date(value: &str, today: chrono::NaiveDate) -> bool {
    use chrono::{Datelike, NaiveDate};
    let v = value.trim();
    let date = NaiveDate::parse_from_str(v.get(..10).unwrap_or(v), "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(v, "%d/%m/%Y"))
        .or_else(|_| NaiveDate::parse_from_str(v, "%m/%d/%Y"))
        .or_else(|_| NaiveDate::parse_from_str(v, "%d.%m.%Y"));
    match date {
        Ok(d) => d <= today && today.year() - d.year() <= 120,
        Err(_) => false,
    }
}

/// Whether a whole value passes a check.
pub fn value_matches(check: ValueCheck, value: &str, today: chrono::NaiveDate) -> bool {
    let v = value.trim();
    match check {
        ValueCheck::Email => EMAIL.is_match(v),
        ValueCheck::Phone => {
            let digits = v.chars().filter(char::is_ascii_digit).count();
            let formatted =
                v.starts_with('+') || v.chars().any(|c| matches!(c, ' ' | '-' | '(' | ')' | '.'));
            PHONE.is_match(v)
                && (7..=15).contains(&digits)
                && formatted
                && !ISO_DATE.is_match(v)
                && !SSN.is_match(v)
                && Ipv4Addr::from_str(v).is_err()
                && !v.contains(". ")
                && v.matches('.').count() != 1
                && !isbn(v)
                && !iban(v)
        }
        ValueCheck::Iban => iban(v),
        ValueCheck::UsSsn => SSN
            .captures(v)
            .is_some_and(|c| ssn_parts_valid(&c[1], &c[2], &c[3])),
        ValueCheck::UkNino => NINO
            .captures(&v.to_uppercase())
            .is_some_and(|c| !matches!(&c[1], "BG" | "GB" | "NK" | "KN" | "TN" | "NT" | "ZZ")),
        ValueCheck::CardLuhn => card(v),
        ValueCheck::Ipv4 => Ipv4Addr::from_str(v).is_ok(),
        ValueCheck::Ipv6 => v.contains(':') && Ipv6Addr::from_str(v).is_ok(),
        ValueCheck::BirthDate => birth_date(v, today),
        ValueCheck::StreetAddress => STREET.is_match(v),
        ValueCheck::PersonName => PERSON.is_match(v) && v.chars().any(char::is_uppercase),
        ValueCheck::None => false,
    }
}

/// An IBAN (ISO 13616): two letters, two check digits, up to 30 letters and digits
/// (spaces allowed between groups of four), whose rearranged number is 1 modulo 97.
pub fn iban(value: &str) -> bool {
    let compact: String = value.chars().filter(|c| *c != ' ').collect();
    let bytes = compact.as_bytes();
    if !(15..=34).contains(&bytes.len())
        || !bytes[..2].iter().all(u8::is_ascii_uppercase)
        || !bytes[2..4].iter().all(u8::is_ascii_digit)
        || !bytes[4..]
            .iter()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    {
        return false;
    }
    let mut rem: u32 = 0;
    for &b in bytes[4..].iter().chain(&bytes[..4]) {
        let n = if b.is_ascii_digit() {
            u32::from(b - b'0')
        } else {
            u32::from(b - b'A') + 10
        };
        rem = if n >= 10 {
            (rem * 100 + n) % 97
        } else {
            (rem * 10 + n) % 97
        };
    }
    rem == 1
}

/// An ISBN-13 (978/979 prefix, EAN check digit) or a hyphenated ISBN-10 (four groups,
/// mod-11 check digit, `X` for 10): never a phone number.
pub fn isbn(value: &str) -> bool {
    let v = value.trim();
    let v = v
        .strip_prefix("ISBN")
        .map(|r| r.trim_start_matches([':', ' ']))
        .unwrap_or(v);
    let chars: Vec<char> = v.chars().filter(|c| !matches!(c, '-' | ' ')).collect();
    if !v
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '-' | ' ' | 'X' | 'x'))
    {
        return false;
    }
    let digit = |c: char| c.to_digit(10);
    match chars.len() {
        13 => {
            let Some(d) = chars
                .iter()
                .map(|c| digit(*c))
                .collect::<Option<Vec<u32>>>()
            else {
                return false;
            };
            let prefix = d[0] == 9 && d[1] == 7 && (d[2] == 8 || d[2] == 9);
            let sum: u32 = d
                .iter()
                .enumerate()
                .map(|(i, x)| if i % 2 == 0 { *x } else { 3 * x })
                .sum();
            prefix && sum.is_multiple_of(10)
        }
        10 => {
            let groups = v.split(['-', ' ']).filter(|g| !g.is_empty()).count();
            let mut sum = 0;
            for (i, c) in chars.iter().enumerate() {
                let x = match (i, c) {
                    (9, 'X' | 'x') => 10,
                    (_, c) => match digit(*c) {
                        Some(x) => x,
                        None => return false,
                    },
                };
                sum += (10 - i as u32) * x;
            }
            groups == 4 && sum.is_multiple_of(11)
        }
        _ => false,
    }
}

/// Whether free text contains the pattern somewhere inside.
pub fn contains_embedded(check: ValueCheck, value: &str) -> bool {
    match check {
        ValueCheck::Email => EMAIL_IN.is_match(value),
        ValueCheck::UsSsn => SSN_IN
            .captures_iter(value)
            .any(|c| ssn_parts_valid(&c[1], &c[2], &c[3])),
        ValueCheck::CardLuhn => CARD_IN.find_iter(value).any(|m| card(m.as_str())),
        _ => false,
    }
}

/// A value reduced to its shape: letters become `x`/`X`, digits `9`, the rest is
/// kept; e-mail domains keep only their top-level domain; long values are cut. The
/// result never equals the input unless the input is already pure shape, in which
/// case a fixed placeholder is returned.
pub fn mask(value: &str, check: ValueCheck) -> String {
    let shape = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_digit() {
                    '9'
                } else if c.is_uppercase() {
                    'X'
                } else if c.is_alphabetic() {
                    'x'
                } else {
                    c
                }
            })
            .collect()
    };
    let masked = match (check, value.rsplit_once('@')) {
        (ValueCheck::Email, Some((local, domain))) => {
            let tld = domain.rsplit_once('.').map_or("", |(_, t)| t);
            format!(
                "{}@{}.{tld}",
                shape(local),
                shape(domain.rsplit_once('.').map_or(domain, |(d, _)| d))
            )
        }
        _ => shape(value),
    };
    let masked: String = if masked.chars().count() > 24 {
        let cut: String = masked.chars().take(24).collect();
        format!("{cut}…")
    } else {
        masked
    };
    if masked == value || value.contains(&masked) && masked.len() > 3 {
        "<masked>".to_string()
    } else {
        masked
    }
}

fn masked_examples(values: &[&str], check: ValueCheck) -> String {
    let mut out: Vec<String> = Vec::new();
    for v in values {
        let m = mask(v, check);
        if !out.contains(&m) {
            out.push(m);
        }
        if out.len() == 2 {
            break;
        }
    }
    if out.is_empty() {
        "none".to_string()
    } else {
        out.iter()
            .map(|m| format!("`{m}`"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> chrono::NaiveDate {
        chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap_or_default()
    }

    #[test]
    fn checks() {
        assert!(luhn("4111111111111111"));
        assert!(!luhn("4111111111111112"));
        assert!(value_matches(
            ValueCheck::CardLuhn,
            "4111 1111 1111 1111",
            today()
        ));
        assert!(!value_matches(
            ValueCheck::CardLuhn,
            "1234567812345678",
            today()
        ));
        assert!(value_matches(
            ValueCheck::Email,
            "ann.lee@example.co.uk",
            today()
        ));
        assert!(!value_matches(
            ValueCheck::Email,
            "call ann.lee@example.com",
            today()
        ));
        assert!(contains_embedded(
            ValueCheck::Email,
            "call ann.lee@example.com today"
        ));
        assert!(value_matches(
            ValueCheck::Phone,
            "+1 (555) 010-4477",
            today()
        ));
        assert!(!value_matches(ValueCheck::Phone, "2024-01-15", today()));
        assert!(!value_matches(ValueCheck::Phone, "10000001", today()));
        assert!(!value_matches(ValueCheck::Phone, "192.168.0.1", today()));
        assert!(value_matches(ValueCheck::UsSsn, "123-45-6789", today()));
        assert!(!value_matches(ValueCheck::UsSsn, "666-45-6789", today()));
        assert!(value_matches(ValueCheck::UkNino, "AB123456C", today()));
        assert!(value_matches(ValueCheck::Ipv4, "10.1.2.3", today()));
        assert!(!value_matches(ValueCheck::Ipv4, "10.1.2.300", today()));
        assert!(value_matches(ValueCheck::Ipv6, "2001:db8::1", today()));
        assert!(value_matches(ValueCheck::BirthDate, "1984-03-02", today()));
        assert!(!value_matches(ValueCheck::BirthDate, "2199-03-02", today()));
        assert!(value_matches(
            ValueCheck::StreetAddress,
            "221B Baker Street, London",
            today()
        ));
    }

    #[test]
    fn masks_never_echo() {
        for (v, c) in [
            ("ann.lee@example.com", ValueCheck::Email),
            ("4111 1111 1111 1111", ValueCheck::CardLuhn),
            ("123-45-6789", ValueCheck::UsSsn),
            ("Ann Lee", ValueCheck::PersonName),
            ("999-99-9999", ValueCheck::UsSsn),
        ] {
            let m = mask(v, c);
            assert_ne!(m, v);
            assert!(!m.contains(v), "{m}");
        }
        assert_eq!(
            mask("ann.lee@example.com", ValueCheck::Email),
            "xxx.xxx@xxxxxxx.com"
        );
    }
}
