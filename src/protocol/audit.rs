//! The audit chain: every artifact record, review request, decision, question and
//! answer appends one row whose hash covers the previous row's hash and the row's
//! canonical content. [`verify`] walks the chain in order and names the first row that
//! does not fit; it also checks that every artifact and decision in the state tables is
//! backed by the audit row that recorded it.

use std::collections::HashMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::App;
use crate::error::Result;
use crate::store::protocol::{AuditRow, GENESIS_HASH};

/// Result of `dana audit verify`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct VerifyReport {
    /// Whether the whole chain and the state cross-checks hold.
    pub ok: bool,
    /// Rows checked.
    pub rows: i64,
    /// Hash of the last row (record it elsewhere to detect a rewritten chain later).
    pub head: String,
    /// The first problem, naming the row.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_bad: Option<BadRow>,
}

/// A row that does not verify.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct BadRow {
    /// Audit sequence number (or the state row's audit seq for cross-checks).
    pub seq: i64,
    /// What is wrong.
    pub reason: String,
}

/// Verifies the whole chain, then the state tables against it. `expect_head`: a head
/// hash recorded earlier that must still be in the chain.
pub async fn verify(app: &App, expect_head: Option<&str>) -> Result<VerifyReport> {
    let store = app.store().await?;
    let rows = store.audit_rows(None).await?;
    let head = rows
        .last()
        .map(|r| r.hash.clone())
        .unwrap_or_else(|| GENESIS_HASH.to_string());
    let count = rows.len() as i64;
    let mut report = VerifyReport {
        ok: true,
        rows: count,
        head,
        first_bad: None,
    };
    if let Some(bad) = check_chain(&rows) {
        report.ok = false;
        report.first_bad = Some(bad);
        return Ok(report);
    }
    if let Some(expected) = expect_head
        && !rows.iter().any(|r| r.hash == expected)
    {
        report.ok = false;
        report.first_bad = Some(BadRow {
            seq: count,
            reason: format!(
                "the recorded head `{expected}` is no longer in the chain: rows were rewritten or removed"
            ),
        });
        return Ok(report);
    }
    let by_seq: HashMap<i64, &AuditRow> = rows.iter().map(|r| (r.seq, r)).collect();
    for (id, project, kind, version, sha, seq) in store.artifact_digests().await? {
        let ok = by_seq.get(&seq).is_some_and(|row| {
            let p: Value = serde_json::from_str(&row.payload).unwrap_or(Value::Null);
            row.event == "artifact_recorded"
                && row.project_id.as_deref() == Some(project.as_str())
                && p["kind"] == kind.as_str()
                && p["version"] == version
                && p["content_sha256"] == sha.as_str()
        });
        if !ok {
            report.ok = false;
            report.first_bad = Some(BadRow {
                seq,
                reason: format!(
                    "artifact #{id} (`{kind}` v{version} of project `{project}`) does not match audit row {seq}: its content or identity was changed"
                ),
            });
            return Ok(report);
        }
    }
    for (id, decision, reviewer, seq) in store.decision_digests().await? {
        let ok = by_seq.get(&seq).is_some_and(|row| {
            let p: Value = serde_json::from_str(&row.payload).unwrap_or(Value::Null);
            p["decision"] == decision.as_str() && p["reviewer"] == reviewer.as_str()
        });
        if !ok {
            report.ok = false;
            report.first_bad = Some(BadRow {
                seq,
                reason: format!(
                    "gate decision #{id} (`{decision}` by `{reviewer}`) does not match audit row {seq}: it was changed or inserted outside dana"
                ),
            });
            return Ok(report);
        }
    }
    Ok(report)
}

/// The first row whose position, link or hash is wrong.
pub fn check_chain(rows: &[AuditRow]) -> Option<BadRow> {
    let mut prev = GENESIS_HASH.to_string();
    for (i, row) in rows.iter().enumerate() {
        let expected_seq = i as i64 + 1;
        if row.seq != expected_seq {
            return Some(BadRow {
                seq: row.seq,
                reason: format!(
                    "expected row {expected_seq} here: rows are missing or out of order"
                ),
            });
        }
        if row.prev_hash != prev {
            return Some(BadRow {
                seq: row.seq,
                reason: "its previous-hash does not match the row before it: rows were reordered, removed or rewritten".to_string(),
            });
        }
        if row.compute_hash() != row.hash {
            return Some(BadRow {
                seq: row.seq,
                reason: "its content does not match its hash: the row was edited".to_string(),
            });
        }
        if serde_json::from_str::<Value>(&row.payload).is_err() {
            return Some(BadRow {
                seq: row.seq,
                reason: "its payload is not JSON".to_string(),
            });
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
