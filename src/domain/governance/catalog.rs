//! Catalog entries: the catalog template of the methodology filled from what dana knows
//! about a table (its schema, contract, classification, name prefix and the facts the
//! caller gives). A field dana cannot fill is left empty and asked as a question; it is
//! never invented.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::classify::Classification;
use super::contract::ParsedContract;
use super::schema::TableSchema;
use crate::error::{Error, Result};
use crate::playbook::GovernanceBook;

/// Facts the caller knows (all optional).
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CatalogFacts {
    /// One-sentence description of the dataset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Team producing it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_team: Option<String>,
    /// Person responsible for its quality.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub steward: Option<String>,
    /// Business domain (sales, marketing, finance, product, engineering, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    /// gold, silver or bronze.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tier: Option<String>,
    /// Upstream datasets or systems.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<String>,
    /// Key transformations, briefly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transformations: Option<String>,
    /// Downstream consumers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub downstream: Vec<String>,
    /// Refresh schedule (cron or words).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<String>,
    /// Freshness SLA in hours.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sla_hours: Option<f64>,
    /// Last successful load (ISO 8601).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_successful_run: Option<String>,
    /// Quality checks guarding it (names or ids).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tests: Vec<String>,
    /// Last quality score, 0-100.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_score: Option<f64>,
    /// Known data issues.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub known_issues: Vec<String>,
    /// How to request access.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_request_process: Option<String>,
    /// Average queries per day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avg_daily_queries: Option<f64>,
    /// Heaviest users.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub top_consumers: Vec<String>,
    /// Monthly cost in USD.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_monthly_usd: Option<f64>,
}

/// Lineage of an entry.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CatalogLineage {
    /// Upstream datasets or systems.
    pub sources: Vec<String>,
    /// Key transformations.
    pub transformations: Option<String>,
    /// Consumers.
    pub downstream: Vec<String>,
}

/// Refresh of an entry.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CatalogRefresh {
    /// Schedule.
    pub schedule: Option<String>,
    /// Freshness SLA, hours.
    pub sla_hours: Option<f64>,
    /// Last successful run.
    pub last_successful_run: Option<String>,
}

/// Quality of an entry.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CatalogQuality {
    /// Checks guarding the dataset.
    pub tests: Vec<String>,
    /// Last score 0-100.
    pub last_score: Option<f64>,
    /// Known issues.
    pub known_issues: Vec<String>,
}

/// Access of an entry.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CatalogAccess {
    /// public, internal, confidential or restricted.
    pub classification: Option<String>,
    /// Columns with personal data.
    pub pii_columns: Vec<String>,
    /// How to request access.
    pub access_request_process: Option<String>,
}

/// Usage of an entry.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CatalogUsage {
    /// Queries per day.
    pub avg_daily_queries: Option<f64>,
    /// Heaviest users.
    pub top_consumers: Vec<String>,
    /// Monthly cost, USD.
    pub cost_monthly_usd: Option<f64>,
}

/// A catalog entry (the methodology's template).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CatalogDataset {
    /// Dataset name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Owning team.
    pub owner_team: Option<String>,
    /// Steward.
    pub steward: Option<String>,
    /// Domain.
    pub domain: Option<String>,
    /// Tier.
    pub tier: Option<String>,
    /// Lineage.
    pub lineage: CatalogLineage,
    /// Refresh.
    pub refresh: CatalogRefresh,
    /// Quality.
    pub quality: CatalogQuality,
    /// Access.
    pub access: CatalogAccess,
    /// Usage.
    pub usage: CatalogUsage,
}

/// A field dana could not fill.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CatalogQuestion {
    /// Field id (`CAT-OWNER`).
    pub id: String,
    /// Dot path in the entry.
    pub path: String,
    /// The question to ask.
    pub question: String,
}

/// Where a filled field came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct FilledField {
    /// Dot path.
    pub path: String,
    /// `given`, `schema`, `contract`, `classification`, `name prefix`.
    pub from: String,
}

/// The result of `generate_catalog_entry`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CatalogEntry {
    /// The entry as catalog YAML (top-level `dataset:`), unknown fields marked with their
    /// question: the file to save, given once.
    pub yaml: String,
    /// Fields left empty, as questions.
    pub questions: Vec<CatalogQuestion>,
    /// Where each filled field came from.
    pub filled: Vec<FilledField>,
}

fn pick<T: Clone>(
    filled: &mut Vec<FilledField>,
    path: &str,
    options: &[(Option<T>, &str)],
) -> Option<T> {
    for (value, from) in options {
        if let Some(v) = value {
            filled.push(FilledField {
                path: path.to_string(),
                from: (*from).to_string(),
            });
            return Some(v.clone());
        }
    }
    None
}

fn non_empty(v: &[String]) -> Option<Vec<String>> {
    (!v.is_empty()).then(|| v.to_vec())
}

/// Builds the entry; `classification` from `classify`, `contract` when the table came
/// from one.
pub fn build(
    book: &GovernanceBook,
    table: &TableSchema,
    facts: &CatalogFacts,
    classification: &Classification,
    contract: Option<&ParsedContract>,
) -> Result<(CatalogDataset, Vec<CatalogQuestion>, Vec<FilledField>)> {
    let settings = &book.catalog;
    if let Some(tier) = &facts.tier
        && !settings.tiers.contains(tier)
    {
        return Err(Error::invalid(format!(
            "facts.tier: unknown `{tier}`; allowed: {}",
            settings.tiers.join(", ")
        )));
    }
    if let Some(score) = facts.last_score
        && !(0.0..=100.0).contains(&score)
    {
        return Err(Error::invalid(format!(
            "facts.last_score: {score} is outside 0-100"
        )));
    }
    let mut filled = vec![FilledField {
        path: "name".into(),
        from: "schema".into(),
    }];
    let lname = table.name.to_lowercase();
    let tier_by_name = settings
        .tier_by_prefix
        .iter()
        .find(|t| lname.starts_with(&t.prefix))
        .map(|t| t.tier.clone());
    let contract_tests: Vec<String> = contract
        .map(|c| {
            c.quality
                .iter()
                .filter(|(t, _)| t.eq_ignore_ascii_case(&table.name))
                .flat_map(|(_, rules)| rules.iter().map(|r| r.id.clone()))
                .collect()
        })
        .unwrap_or_default();
    let d = CatalogDataset {
        name: table.name.clone(),
        description: pick(
            &mut filled,
            "description",
            &[
                (facts.description.clone(), "given"),
                (table.description.clone(), "schema"),
            ],
        ),
        owner_team: pick(
            &mut filled,
            "owner_team",
            &[
                (facts.owner_team.clone(), "given"),
                (contract.and_then(|c| c.owner.clone()), "contract"),
            ],
        ),
        steward: pick(&mut filled, "steward", &[(facts.steward.clone(), "given")]),
        domain: pick(
            &mut filled,
            "domain",
            &[
                (facts.domain.clone(), "given"),
                (contract.and_then(|c| c.domain.clone()), "contract"),
            ],
        ),
        tier: pick(
            &mut filled,
            "tier",
            &[(facts.tier.clone(), "given"), (tier_by_name, "name prefix")],
        ),
        lineage: CatalogLineage {
            sources: pick(
                &mut filled,
                "lineage.sources",
                &[
                    (non_empty(&facts.sources), "given"),
                    (non_empty(&table.sources), "schema"),
                ],
            )
            .unwrap_or_default(),
            transformations: pick(
                &mut filled,
                "lineage.transformations",
                &[(facts.transformations.clone(), "given")],
            ),
            downstream: pick(
                &mut filled,
                "lineage.downstream",
                &[
                    (non_empty(&facts.downstream), "given"),
                    (non_empty(&table.downstream), "schema"),
                    (contract.and_then(|c| non_empty(&c.consumers)), "contract"),
                ],
            )
            .unwrap_or_default(),
        },
        refresh: CatalogRefresh {
            schedule: pick(
                &mut filled,
                "refresh.schedule",
                &[(facts.schedule.clone(), "given")],
            ),
            sla_hours: pick(
                &mut filled,
                "refresh.sla_hours",
                &[
                    (facts.sla_hours, "given"),
                    (contract.and_then(|c| c.sla.freshness_hours), "contract"),
                ],
            ),
            last_successful_run: pick(
                &mut filled,
                "refresh.last_successful_run",
                &[(facts.last_successful_run.clone(), "given")],
            ),
        },
        quality: CatalogQuality {
            tests: pick(
                &mut filled,
                "quality.tests",
                &[
                    (non_empty(&facts.tests), "given"),
                    (non_empty(&contract_tests), "contract"),
                ],
            )
            .unwrap_or_default(),
            last_score: pick(
                &mut filled,
                "quality.last_score",
                &[(facts.last_score, "given")],
            ),
            known_issues: pick(
                &mut filled,
                "quality.known_issues",
                &[(non_empty(&facts.known_issues), "given")],
            )
            .unwrap_or_default(),
        },
        access: CatalogAccess {
            classification: pick(
                &mut filled,
                "access.classification",
                &[(Some(classification.level.clone()), "classification")],
            ),
            pii_columns: {
                filled.push(FilledField {
                    path: "access.pii_columns".into(),
                    from: "classification".into(),
                });
                classification.pii_columns.clone()
            },
            access_request_process: pick(
                &mut filled,
                "access.access_request_process",
                &[(facts.access_request_process.clone(), "given")],
            ),
        },
        usage: CatalogUsage {
            avg_daily_queries: pick(
                &mut filled,
                "usage.avg_daily_queries",
                &[(facts.avg_daily_queries, "given")],
            ),
            top_consumers: pick(
                &mut filled,
                "usage.top_consumers",
                &[(non_empty(&facts.top_consumers), "given")],
            )
            .unwrap_or_default(),
            cost_monthly_usd: pick(
                &mut filled,
                "usage.cost_monthly_usd",
                &[(facts.cost_monthly_usd, "given")],
            ),
        },
    };
    let questions = settings
        .fields
        .iter()
        .filter(|f| !filled.iter().any(|x| x.path == f.path))
        .map(|f| CatalogQuestion {
            id: f.id.clone(),
            path: f.path.clone(),
            question: f.question.clone(),
        })
        .collect();
    Ok((d, questions, filled))
}
