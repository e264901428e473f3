//! Architecture, pipelines, optimization, costs and operations: decision tables, SQL
//! review fixtures, engine runs of generated SQL and EXPLAIN, golden files, tool surface,
//! failure triage on real engine messages.

mod cdc;
mod decisions;
mod engines;
mod golden;
mod layers;
mod orchestrate;
mod questions;
mod sql_review;
mod surface;
mod triage;

use dana::domain::architecture::OpenQuestion;
use dana::playbook::Playbooks;

/// The embedded playbooks.
pub fn books() -> Playbooks {
    Playbooks::embedded().expect("embedded playbooks are valid")
}

/// The question with `id`, or a failure listing the questions there are.
pub fn question<'a>(qs: &'a [OpenQuestion], id: &str) -> &'a OpenQuestion {
    qs.iter()
        .find(|q| q.id == id)
        .unwrap_or_else(|| panic!("question {id} in {qs:?}"))
}

/// Each answer of a question with the decision under it.
pub fn answers(q: &OpenQuestion) -> Vec<(&str, &str)> {
    q.answers
        .iter()
        .map(|a| (a.answer.as_str(), a.decision.as_str()))
        .collect()
}

/// Asserts that the question `id` is asked through `field`, with these answers and the
/// decision under each.
pub fn assert_asked(qs: &[OpenQuestion], id: &str, field: &str, expected: &[(&str, &str)]) {
    let q = question(qs, id);
    assert_eq!(q.field, field, "{id}");
    assert_eq!(answers(q), expected, "{id}");
}

/// Savings come ranked, largest first (the midpoint of each range).
pub fn assert_ranked_by_saving(opportunities: &[dana::domain::costs::Opportunity]) {
    let mids: Vec<f64> = opportunities
        .iter()
        .map(|o| o.savings_low_usd + o.savings_high_usd)
        .collect();
    assert!(
        mids.windows(2).all(|w| w[0] >= w[1]),
        "ranked by saving: {mids:?}"
    );
}
