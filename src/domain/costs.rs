//! `review_costs`: cost per pipeline and per row, the playbook's red flags, and savings
//! opportunities ranked by estimated saving (then effort). Thresholds and savings ranges
//! are playbook data; estimates are the playbook's share of the cost the strategy reduces.

use std::collections::{BTreeMap, HashSet};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::playbook::optimization::{CostPart, Effort, OptimizationBook};

pub use super::architecture::OpenQuestion;

/// Params of `review_costs`.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewCostsParams {
    /// Monthly cost per pipeline.
    pub pipelines: Vec<PipelineCost>,
    /// Table usage (for unqueried tables).
    #[serde(default)]
    pub tables: Vec<TableUsage>,
    /// Non-production environments.
    #[serde(default)]
    pub environments: Vec<Environment>,
    /// Monthly budget in USD.
    pub budget_monthly_usd: Option<f64>,
    /// Project id: record the result in this project.
    pub project: Option<String>,
}

// One pipeline's monthly cost.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PipelineCost {
    /// Pipeline name.
    pub name: String,
    /// Compute USD per month.
    pub compute_usd: f64,
    /// Storage USD per month.
    #[serde(default)]
    pub storage_usd: f64,
    /// Egress USD per month.
    #[serde(default)]
    pub egress_usd: f64,
    /// Rows processed per month.
    pub rows_processed: Option<f64>,
    /// Cost per row last month, to detect a rising trend.
    pub previous_cost_per_row: Option<f64>,
    /// The revenue or decision it enables.
    pub business_value: Option<String>,
    /// Largest table it scans in full, in GB.
    pub largest_full_scan_gb: Option<f64>,
    /// Whether its stored data is compressed (false = uncompressed).
    pub compressed: Option<bool>,
    /// Reads or writes across cloud regions.
    #[serde(default)]
    pub cross_region: bool,
    /// How the compute runs: interruptible batch or steady 24/7.
    pub workload: Option<Workload>,
    /// Capacity it runs on.
    pub capacity: Option<Capacity>,
    /// Old data moves to cheaper storage tiers (false = all hot).
    pub tiered_storage: Option<bool>,
}

// How a pipeline's compute runs.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Workload {
    // Scheduled runs that can be retried if interrupted.
    Batch,
    // Round-the-clock, predictable load.
    Steady,
}

// Capacity a pipeline's compute runs on.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Capacity {
    // On-demand prices.
    OnDemand,
    // Spot or preemptible.
    Spot,
    // Reserved or committed use.
    Reserved,
}

// A table's usage.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TableUsage {
    /// Table name.
    pub name: String,
    /// Days since its last query.
    pub days_since_last_query: u32,
    /// Storage USD per month.
    #[serde(default)]
    pub storage_usd: f64,
    /// Pipeline that builds it.
    pub pipeline: Option<String>,
}

// A non-production environment.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Environment {
    /// Name (dev, staging).
    pub name: String,
    /// Runs 24/7.
    pub always_on: bool,
    /// USD per month.
    pub monthly_usd: f64,
}

/// The review.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct CostReview {
    /// Unknown inputs that change a saving, with the decision under each answer.
    #[serde(default)]
    pub questions: Vec<OpenQuestion>,
    /// Total USD per month (pipelines + environments).
    pub total_monthly_usd: f64,
    /// Total as a share of the budget (with a budget).
    pub budget_used: Option<f64>,
    /// Per-pipeline breakdown, most expensive first.
    pub pipelines: Vec<PipelineBreakdown>,
    /// Red flags found.
    pub red_flags: Vec<RedFlagHit>,
    /// Opportunities, biggest estimated saving first.
    pub opportunities: Vec<Opportunity>,
    /// The project the result is recorded under.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
}

/// A pipeline's cost.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct PipelineBreakdown {
    /// Name.
    pub name: String,
    /// Compute + storage + egress.
    pub total_usd: f64,
    /// Share of total spend.
    pub share: f64,
    /// USD per row processed.
    pub cost_per_row: Option<f64>,
    /// Business value as given.
    pub business_value: Option<String>,
}

/// A red flag.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct RedFlagHit {
    /// Rule id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Pipeline, table or environment.
    pub subject: String,
    /// The numbers behind it.
    pub evidence: String,
}

/// A savings opportunity.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Opportunity {
    /// 1 = do first.
    pub priority: usize,
    /// Strategy id.
    pub strategy: String,
    /// What to do.
    pub title: String,
    /// Pipeline, table or environment.
    pub subject: String,
    /// Red flag it addresses.
    pub flag: String,
    /// Monthly USD the saving applies to: what is left of the subject's cost after the
    /// bigger savings on it (savings on one subject never add up to more than its cost).
    pub base_usd: f64,
    /// Estimated monthly saving, low end.
    pub savings_low_usd: f64,
    /// Estimated monthly saving, high end.
    pub savings_high_usd: f64,
    /// Effort.
    pub effort: Effort,
}

struct Subject<'a> {
    name: String,
    compute: f64,
    storage: f64,
    egress: f64,
    flag: &'a str,
}

/// Reviews costs.
pub fn review(book: &OptimizationBook, p: &ReviewCostsParams) -> Result<CostReview> {
    validate(p)?;
    let env_total: f64 = p.environments.iter().map(|e| e.monthly_usd).sum();
    let pipe_total: f64 = p
        .pipelines
        .iter()
        .map(|x| x.compute_usd + x.storage_usd + x.egress_usd)
        .sum();
    let total = pipe_total + env_total;
    let threshold = |id: &str| book.red_flag(id).map(|f| f.threshold).unwrap_or_default();
    let mut flags: Vec<RedFlagHit> = Vec::new();
    let mut subjects: Vec<Subject> = Vec::new();
    let flag = |id: &'static str, subject: &str, evidence: String, flags: &mut Vec<RedFlagHit>| {
        if let Some(f) = book.red_flag(id) {
            flags.push(RedFlagHit {
                id: f.id.clone(),
                title: f.title.clone(),
                subject: subject.to_string(),
                evidence,
            });
        }
    };
    let mut pipelines = Vec::new();
    let mut questions = Vec::new();
    for (i, x) in p.pipelines.iter().enumerate() {
        let t = x.compute_usd + x.storage_usd + x.egress_usd;
        let share = if total > 0.0 { t / total } else { 0.0 };
        let cpr = x.rows_processed.filter(|r| *r > 0.0).map(|r| t / r);
        let sub = |flag: &'static str| Subject {
            name: x.name.clone(),
            compute: x.compute_usd,
            storage: x.storage_usd,
            egress: x.egress_usd,
            flag,
        };
        if p.pipelines.len() > 1 && share > threshold("COST-DOMINANT-PIPELINE") {
            flag(
                "COST-DOMINANT-PIPELINE",
                &x.name,
                format!("{:.0}% of {} USD/month", share * 100.0, money(total)),
                &mut flags,
            );
            subjects.push(sub("COST-DOMINANT-PIPELINE"));
        }
        if let (Some(now), Some(before)) = (cpr, x.previous_cost_per_row)
            && now > before * (1.0 + threshold("COST-PER-ROW-RISING"))
        {
            flag(
                "COST-PER-ROW-RISING",
                &x.name,
                format!("{now:.3e} USD/row now vs {before:.3e} last month"),
                &mut flags,
            );
            subjects.push(sub("COST-PER-ROW-RISING"));
        }
        if let Some(gb) = x.largest_full_scan_gb
            && gb > threshold("COST-FULL-SCAN-LARGE")
        {
            flag(
                "COST-FULL-SCAN-LARGE",
                &x.name,
                format!("scans {gb:.0} GB in full"),
                &mut flags,
            );
            subjects.push(sub("COST-FULL-SCAN-LARGE"));
        }
        if x.compressed == Some(false) {
            flag(
                "COST-UNCOMPRESSED",
                &x.name,
                format!("{} USD/month of uncompressed storage", money(x.storage_usd)),
                &mut flags,
            );
            subjects.push(sub("COST-UNCOMPRESSED"));
        }
        if x.cross_region {
            flag(
                "COST-CROSS-REGION",
                &x.name,
                format!("{} USD/month egress", money(x.egress_usd)),
                &mut flags,
            );
            subjects.push(sub("COST-CROSS-REGION"));
        }
        let value = x.business_value.as_deref().map(str::trim).unwrap_or("");
        if value.eq_ignore_ascii_case("none") {
            flag(
                "COST-NO-VALUE",
                &x.name,
                format!("{} USD/month; business value stated as none", money(t)),
                &mut flags,
            );
            subjects.push(sub("COST-NO-VALUE"));
        } else if value.is_empty() {
            let retire = book
                .strategy("SAVE-ELIMINATE")
                .map(|st| {
                    format!(
                        "COST-NO-VALUE: retire it ({}), about {}-{} USD/month",
                        st.id,
                        money(t * st.savings_low),
                        money(t * st.savings_high)
                    )
                })
                .unwrap_or_else(|| "COST-NO-VALUE: retire it".to_string());
            questions.push(OpenQuestion::with_answers(
                "COST-Q-VALUE",
                &format!("pipelines[{i}].business_value"),
                &format!(
                    "What revenue or decision does `{}` serve ({} USD/month)? Answer `none` if nothing relies on it.",
                    x.name,
                    money(t)
                ),
                [
                    ("none".to_string(), retire),
                    (
                        "names a use".to_string(),
                        "kept; no retirement saving".to_string(),
                    ),
                ],
            ));
        }
        match (x.workload, x.capacity) {
            (Some(Workload::Batch), Some(Capacity::OnDemand)) => {
                flag(
                    "COST-BATCH-ON-DEMAND",
                    &x.name,
                    format!(
                        "{} USD/month of batch compute at on-demand prices",
                        money(x.compute_usd)
                    ),
                    &mut flags,
                );
                subjects.push(sub("COST-BATCH-ON-DEMAND"));
            }
            (Some(Workload::Steady), Some(Capacity::OnDemand)) => {
                flag(
                    "COST-STEADY-ON-DEMAND",
                    &x.name,
                    format!(
                        "{} USD/month of steady compute at on-demand prices",
                        money(x.compute_usd)
                    ),
                    &mut flags,
                );
                subjects.push(sub("COST-STEADY-ON-DEMAND"));
            }
            (Some(w), None) if x.compute_usd > 0.0 => {
                let sid = if w == Workload::Batch {
                    "SAVE-SPOT"
                } else {
                    "SAVE-RESERVED"
                };
                let saving = book
                    .strategy(sid)
                    .map(|st| {
                        format!(
                            "{sid}: about {}-{} USD/month",
                            money(x.compute_usd * st.savings_low),
                            money(x.compute_usd * st.savings_high)
                        )
                    })
                    .unwrap_or_else(|| sid.to_string());
                questions.push(OpenQuestion::with_answers(
                    "COST-Q-CAPACITY",
                    &format!("pipelines[{i}].capacity"),
                    &format!(
                        "Does `{}` run on on-demand, spot or reserved capacity?",
                        x.name
                    ),
                    [
                        ("on_demand".to_string(), saving),
                        ("spot".to_string(), "no capacity saving".to_string()),
                        ("reserved".to_string(), "no capacity saving".to_string()),
                    ],
                ));
            }
            _ => {}
        }
        if x.tiered_storage == Some(false) && x.storage_usd > 0.0 {
            flag(
                "COST-NO-LIFECYCLE",
                &x.name,
                format!(
                    "{} USD/month of storage, all in the hot tier",
                    money(x.storage_usd)
                ),
                &mut flags,
            );
            subjects.push(sub("COST-NO-LIFECYCLE"));
        }
        pipelines.push(PipelineBreakdown {
            name: x.name.clone(),
            total_usd: round2(t),
            share: round4(share),
            cost_per_row: cpr,
            business_value: x.business_value.clone(),
        });
    }
    for t in &p.tables {
        if f64::from(t.days_since_last_query) >= threshold("COST-UNQUERIED-TABLE") {
            flag(
                "COST-UNQUERIED-TABLE",
                &t.name,
                format!(
                    "no query for {} days; {} USD/month storage",
                    t.days_since_last_query,
                    money(t.storage_usd)
                ),
                &mut flags,
            );
            subjects.push(Subject {
                name: t.name.clone(),
                compute: 0.0,
                storage: t.storage_usd,
                egress: 0.0,
                flag: "COST-UNQUERIED-TABLE",
            });
        }
    }
    for e in &p.environments {
        if e.always_on {
            flag(
                "COST-DEV-ALWAYS-ON",
                &e.name,
                format!("runs 24/7 for {} USD/month", money(e.monthly_usd)),
                &mut flags,
            );
            subjects.push(Subject {
                name: e.name.clone(),
                compute: e.monthly_usd,
                storage: 0.0,
                egress: 0.0,
                flag: "COST-DEV-ALWAYS-ON",
            });
        }
    }
    // Raw opportunities: every strategy of every flag on its subject, once.
    struct Raw {
        subject: usize,
        strategy: String,
        title: String,
        flag: String,
        parts: Vec<usize>,
        low: f64,
        high: f64,
        effort: Effort,
    }
    let mut raw: Vec<Raw> = Vec::new();
    let mut seen = HashSet::new();
    let mut by_name: BTreeMap<String, usize> = BTreeMap::new();
    for s in &subjects {
        let Some(f) = book.red_flag(s.flag) else {
            continue;
        };
        let next = by_name.len();
        let subject = *by_name.entry(s.name.clone()).or_insert(next);
        for sid in &f.strategies {
            let Some(st) = book.strategy(sid) else {
                continue;
            };
            if !seen.insert((st.id.clone(), s.name.clone())) {
                continue;
            }
            raw.push(Raw {
                subject,
                strategy: st.id.clone(),
                title: st.title.clone(),
                flag: f.id.clone(),
                parts: match st.applies_to {
                    CostPart::Compute => vec![0],
                    CostPart::Storage => vec![1],
                    CostPart::Egress => vec![2],
                    CostPart::Total => vec![0, 1, 2],
                },
                low: st.savings_low,
                high: st.savings_high,
                effort: st.effort,
            });
        }
    }
    // The cost of each subject by part (compute, storage, egress), from its first flag.
    let mut cost: Vec<[f64; 3]> = vec![[0.0; 3]; by_name.len()];
    for (name, &i) in &by_name {
        if let Some(s) = subjects.iter().find(|s| &s.name == name) {
            cost[i] = [s.compute, s.storage, s.egress];
        }
    }
    let full = |r: &Raw| -> f64 { r.parts.iter().map(|&k| cost[r.subject][k]).sum() };
    // Biggest first on each subject; each saving applies to what the ones before it left,
    // so the savings on one subject compound and never exceed its cost.
    raw.sort_by(|a, b| {
        let mid = |r: &Raw| full(r) * (r.low + r.high);
        a.subject
            .cmp(&b.subject)
            .then(mid(b).total_cmp(&mid(a)))
            .then(a.effort.cmp(&b.effort))
    });
    // One remaining cost per subject, reduced by each saving's high end: the high ends add
    // up to at most the subject's cost, and each low end stays below its high end.
    let mut left = cost.clone();
    let names: BTreeMap<usize, String> = by_name.iter().map(|(n, &i)| (i, n.clone())).collect();
    let mut opportunities = Vec::new();
    for r in &raw {
        let base: f64 = r.parts.iter().map(|&k| left[r.subject][k]).sum();
        if base <= 0.0 {
            continue;
        }
        for &k in &r.parts {
            left[r.subject][k] *= 1.0 - r.high;
        }
        opportunities.push(Opportunity {
            priority: 0,
            strategy: r.strategy.clone(),
            title: r.title.clone(),
            subject: names.get(&r.subject).cloned().unwrap_or_default(),
            flag: r.flag.clone(),
            base_usd: round2(base),
            savings_low_usd: round2(base * r.low),
            savings_high_usd: round2(base * r.high),
            effort: r.effort,
        });
    }
    opportunities.sort_by(|a, b| {
        let mid = |o: &Opportunity| o.savings_low_usd + o.savings_high_usd;
        mid(b)
            .total_cmp(&mid(a))
            .then(a.effort.cmp(&b.effort))
            .then(a.subject.cmp(&b.subject))
    });
    for (i, o) in opportunities.iter_mut().enumerate() {
        o.priority = i + 1;
    }
    pipelines.sort_by(|a, b| b.total_usd.total_cmp(&a.total_usd));
    Ok(CostReview {
        questions,
        total_monthly_usd: round2(total),
        budget_used: p
            .budget_monthly_usd
            .filter(|b| *b > 0.0)
            .map(|b| round4(total / b)),
        pipelines,
        red_flags: flags,
        opportunities,
        project: p.project.clone(),
    })
}

fn validate(p: &ReviewCostsParams) -> Result<()> {
    if p.pipelines.is_empty() {
        return Err(Error::invalid(
            "pipelines: give at least one pipeline with its monthly costs",
        ));
    }
    let bad = |x: f64| !x.is_finite() || x < 0.0;
    for (i, x) in p.pipelines.iter().enumerate() {
        for (field, v) in [
            ("compute_usd", x.compute_usd),
            ("storage_usd", x.storage_usd),
            ("egress_usd", x.egress_usd),
        ] {
            if bad(v) {
                return Err(Error::invalid(format!(
                    "pipelines[{i}].{field}: `{v}` must be a number >= 0"
                )));
            }
        }
        for (field, v) in [
            ("rows_processed", x.rows_processed),
            ("previous_cost_per_row", x.previous_cost_per_row),
            ("largest_full_scan_gb", x.largest_full_scan_gb),
        ] {
            if let Some(v) = v
                && bad(v)
            {
                return Err(Error::invalid(format!(
                    "pipelines[{i}].{field}: `{v}` must be a number >= 0"
                )));
            }
        }
    }
    for (i, e) in p.environments.iter().enumerate() {
        if bad(e.monthly_usd) {
            return Err(Error::invalid(format!(
                "environments[{i}].monthly_usd: `{}` must be a number >= 0",
                e.monthly_usd
            )));
        }
    }
    for (i, t) in p.tables.iter().enumerate() {
        if bad(t.storage_usd) {
            return Err(Error::invalid(format!(
                "tables[{i}].storage_usd: `{}` must be a number >= 0",
                t.storage_usd
            )));
        }
    }
    Ok(())
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn round4(x: f64) -> f64 {
    (x * 10000.0).round() / 10000.0
}

fn money(x: f64) -> String {
    format!("{x:.0}")
}
