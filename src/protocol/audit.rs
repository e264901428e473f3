//! The audit chain: every artifact record, review request, decision, question and
//! answer appends one row whose hash covers the previous row's hash and the row's
//! canonical content. [`verify`] walks the chain in order and names the first row that
//! does not fit; then it checks every row of every state table (projects, artifacts,
//! review requests, decisions, questions, reviewers) against the audit row that vouches
//! for it (its digest is listed there), that every row the chain lists still exists, and
//! that decisions are signed by a registered reviewer once reviewers exist.

use std::collections::HashMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::App;
use crate::error::Result;
use crate::store::protocol::{AllRows, AuditRow, GENESIS_HASH, RowDigest};

/// Result of `dana audit verify`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct VerifyReport {
    /// Whether the whole chain and every state row hold.
    pub ok: bool,
    /// Audit rows checked.
    pub rows: i64,
    /// State rows checked against the chain (projects, artifacts, requests, decisions,
    /// questions, reviewers).
    pub state_rows: i64,
    /// Hash of the last row (record it elsewhere to detect a rewritten chain later).
    pub head: String,
    /// The first problem, naming the row.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_bad: Option<BadRow>,
}

/// A row that does not verify.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct BadRow {
    /// Audit sequence number (for a state row: the audit row it is bound to, or 0).
    pub seq: i64,
    /// The state table, when the bad row is a state row (`audit_log` otherwise).
    pub table: String,
    /// The row's id in that table.
    pub id: String,
    /// What is wrong.
    pub reason: String,
}

impl BadRow {
    fn audit(seq: i64, reason: impl Into<String>) -> Self {
        BadRow {
            seq,
            table: "audit_log".to_string(),
            id: seq.to_string(),
            reason: reason.into(),
        }
    }
}

/// Verifies the whole chain, then every state row against it. `expect_head`: a head
/// hash recorded earlier that must still be in the chain.
pub async fn verify(app: &App, expect_head: Option<&str>) -> Result<VerifyReport> {
    let store = app.store().await?;
    let mut snapshot = store.begin_snapshot().await?;
    let mut report = verify_conn(app, &mut snapshot).await?;
    if report.ok
        && let Some(expected) = expect_head
    {
        let rows = crate::store::protocol::audit_all(&mut snapshot).await?;
        if !rows.iter().any(|r| r.hash == expected) {
            report.ok = false;
            report.first_bad = Some(BadRow::audit(
                report.rows,
                format!(
                    "the recorded head `{expected}` is no longer in the chain: rows were rewritten or removed"
                ),
            ));
        }
    }
    Ok(report)
}

/// Fails unless the store verifies: the gate state machine computes no state from rows
/// the chain does not vouch for.
pub async fn require_verified(app: &App, conn: &mut sqlx::AnyConnection) -> Result<()> {
    let report = verify_conn(app, conn).await?;
    match report.first_bad {
        None => Ok(()),
        Some(bad) => Err(crate::error::Error::Protocol(format!(
            "the state store does not verify: {} row `{}` (audit row {}): {}. No gate state is computed from it; \
             run `dana audit verify` and restore the store from a backup",
            bad.table, bad.id, bad.seq, bad.reason
        ))),
    }
}

/// [`verify`] on one connection (inside a write lock, when the caller holds one).
pub async fn verify_conn(app: &App, conn: &mut sqlx::AnyConnection) -> Result<VerifyReport> {
    let rows = crate::store::protocol::audit_all(conn).await?;
    let all = crate::store::protocol::load_all(conn).await?;
    let head = rows
        .last()
        .map(|r| r.hash.clone())
        .unwrap_or_else(|| GENESIS_HASH.to_string());
    let state_rows = (all.projects.len()
        + all.protocol.artifacts.len()
        + all.protocol.requests.len()
        + all.protocol.decisions.len()
        + all.protocol.clarifications.len()
        + all.reviewers.len()) as i64;
    let first_bad = check_chain(&rows)
        .or_else(|| check_state(&rows, &all))
        .or_else(|| super::reviewer::check_signatures(app, &rows, &all));
    Ok(VerifyReport {
        ok: first_bad.is_none(),
        rows: rows.len() as i64,
        state_rows,
        head,
        first_bad,
    })
}

/// The first state row the chain does not vouch for, or the first row the chain lists
/// that is gone. The latest audit row listing a (table, id) is the one that vouches for
/// it; the row must point at exactly that audit row and match the digest it lists.
pub fn check_state(audit: &[AuditRow], all: &AllRows) -> Option<BadRow> {
    // (table, id) -> seq of the latest audit row listing it, and the digest it lists.
    let mut listed: HashMap<(String, String), (i64, String)> = HashMap::new();
    for row in audit {
        if !row.payload.contains("\"rows\"") {
            continue;
        }
        let payload: Value = serde_json::from_str(&row.payload).unwrap_or(Value::Null);
        for e in payload["rows"].as_array().into_iter().flatten() {
            if let (Some(t), Some(id), Some(sha)) =
                (e["table"].as_str(), e["id"].as_str(), e["sha256"].as_str())
            {
                listed.insert((t.to_string(), id.to_string()), (row.seq, sha.to_string()));
            }
        }
    }
    let by_seq: HashMap<i64, &AuditRow> = audit.iter().map(|r| (r.seq, r)).collect();
    let mut seen: std::collections::HashSet<(String, String)> = std::collections::HashSet::new();
    let mut first: Option<BadRow> = None;
    fn check<R: RowDigest>(
        rows: &[R],
        listed: &HashMap<(String, String), (i64, String)>,
        by_seq: &HashMap<i64, &AuditRow>,
        seen: &mut std::collections::HashSet<(String, String)>,
        first: &mut Option<BadRow>,
    ) {
        for r in rows {
            let key = (R::TABLE.to_string(), r.row_id());
            let bound = r.binding().0;
            let audit = bound.and_then(|seq| by_seq.get(&seq).copied());
            let reason = match listed.get(&key) {
                None => Some(format!(
                    "{} row `{}` is in no audit row: it was inserted outside dana",
                    R::TABLE,
                    key.1
                )),
                Some((seq, _)) if bound != Some(*seq) => Some(format!(
                    "{} row `{}` points at audit row {}, but audit row {seq} is the one that recorded it: it was rebound to another row's record",
                    R::TABLE,
                    key.1,
                    bound.map_or("none".to_string(), |b| b.to_string()),
                )),
                Some(_) => crate::store::protocol::unvouched(r, audit),
            };
            seen.insert(key.clone());
            if let Some(reason) = reason {
                let candidate = BadRow {
                    seq: bound.unwrap_or(0),
                    table: key.0,
                    id: key.1,
                    reason,
                };
                // Report the earliest in chain order.
                if first.as_ref().is_none_or(|f| candidate.seq < f.seq) {
                    *first = Some(candidate);
                }
            }
        }
    }
    check(&all.projects, &listed, &by_seq, &mut seen, &mut first);
    check(
        &all.protocol.artifacts,
        &listed,
        &by_seq,
        &mut seen,
        &mut first,
    );
    check(
        &all.protocol.requests,
        &listed,
        &by_seq,
        &mut seen,
        &mut first,
    );
    check(
        &all.protocol.decisions,
        &listed,
        &by_seq,
        &mut seen,
        &mut first,
    );
    check(
        &all.protocol.clarifications,
        &listed,
        &by_seq,
        &mut seen,
        &mut first,
    );
    check(&all.reviewers, &listed, &by_seq, &mut seen, &mut first);
    for ((table, id), (seq, _)) in &listed {
        if !seen.contains(&(table.clone(), id.clone())) {
            let candidate = BadRow {
                seq: *seq,
                table: table.clone(),
                id: id.clone(),
                reason: format!(
                    "{table} row `{id}`, recorded by audit row {seq}, is missing: it was deleted"
                ),
            };
            if first.as_ref().is_none_or(|f| candidate.seq < f.seq) {
                first = Some(candidate);
            }
        }
    }
    first
}

/// The first row whose position, link or hash is wrong.
pub fn check_chain(rows: &[AuditRow]) -> Option<BadRow> {
    let mut prev = GENESIS_HASH.to_string();
    for (i, row) in rows.iter().enumerate() {
        let expected_seq = i as i64 + 1;
        if row.seq != expected_seq {
            return Some(BadRow::audit(
                row.seq,
                format!("expected row {expected_seq} here: rows are missing or out of order"),
            ));
        }
        if row.prev_hash != prev {
            return Some(BadRow::audit(
                row.seq,
                "its previous-hash does not match the row before it: rows were reordered, removed or rewritten",
            ));
        }
        if row.compute_hash() != row.hash {
            return Some(BadRow::audit(
                row.seq,
                "its content does not match its hash: the row was edited",
            ));
        }
        if serde_json::from_str::<Value>(&row.payload).is_err() {
            return Some(BadRow::audit(row.seq, "its payload is not JSON"));
        }
        prev = row.hash.clone();
    }
    None
}

/// One project's audit rows, in chain order.
pub async fn log(app: &App, project: &str) -> Result<Vec<AuditRow>> {
    let store = app.store().await?;
    store.require_project(project).await?;
    store.audit_rows(Some(project)).await
}
