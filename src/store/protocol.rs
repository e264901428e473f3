//! Protocol tables: artifacts, gate requests and decisions, clarifications and the
//! hash-chained audit log. Every write goes through a [`Locked`] transaction: one writer
//! at a time across processes (`BEGIN IMMEDIATE` on SQLite, a transaction-scoped
//! advisory lock on PostgreSQL), so the audit chain never forks and gate state is read
//! and changed atomically. A crash before `commit` leaves nothing behind.

use sqlx::any::AnyRow;
use sqlx::{Any, AnyConnection, Row, Transaction};

use super::{Backend, Store, now};
use crate::error::{Error, Result};

/// Key of the PostgreSQL advisory lock that serializes protocol writes ("dana" + 1).
const PG_LOCK_KEY: i64 = 0x6461_6e61_0001;

/// Hash of the row before the first one.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One audit row.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AuditRow {
    /// Position in the chain, from 1, without gaps.
    pub seq: i64,
    /// Project, when the event concerns one.
    pub project_id: Option<String>,
    /// Phase, when the event concerns one.
    pub phase: Option<String>,
    /// Event name (`artifact_recorded`, `gate_approved`, …).
    pub event: String,
    /// Who caused it (tool name, reviewer, OS user).
    pub actor: String,
    /// Canonical JSON text of the event's content.
    pub payload: String,
    /// RFC 3339 UTC.
    pub created_at: String,
    /// Hash of the previous row.
    pub prev_hash: String,
    /// SHA-256 of this row's canonical content and `prev_hash`.
    pub hash: String,
}

impl AuditRow {
    /// The hash this row must carry: SHA-256 over a JSON array of every field but the
    /// hash itself (arrays keep their order, strings are escaped: unambiguous).
    pub fn compute_hash(&self) -> String {
        use sha2::{Digest, Sha256};
        let envelope = serde_json::json!([
            self.seq,
            self.prev_hash,
            self.created_at,
            self.project_id,
            self.phase,
            self.event,
            self.actor,
            self.payload,
        ]);
        hex::encode(Sha256::digest(envelope.to_string().as_bytes()))
    }
}

/// One recorded artifact version.
#[derive(Debug, Clone)]
pub struct ArtifactRow {
    /// Row id.
    pub id: i64,
    /// Project.
    pub project_id: String,
    /// Phase it belongs to.
    pub phase: String,
    /// Artifact kind.
    pub kind: String,
    /// Version within (project, kind), from 1.
    pub version: i64,
    /// Tool that produced it.
    pub tool: String,
    /// Structured content (JSON text).
    pub content: String,
    /// Markdown rendering, when the tool has one.
    pub rendered: Option<String>,
    /// SHA-256 of `content`.
    pub content_sha256: String,
    /// RFC 3339 UTC.
    pub created_at: String,
    /// The audit row that recorded it.
    pub audit_seq: i64,
}

/// A request for a human decision on a gate.
#[derive(Debug, Clone)]
pub struct GateRequestRow {
    /// Row id.
    pub id: i64,
    /// Project.
    pub project_id: String,
    /// Phase.
    pub phase: String,
    /// Gate id.
    pub gate_id: String,
    /// `elicitation`, `input_required` or `pending`.
    pub channel: String,
    /// Random handle echoed by 2026-07-28 clients as `requestState`.
    pub token: String,
    /// What the reviewer was shown (JSON text).
    pub snapshot: String,
    /// RFC 3339 UTC.
    pub created_at: String,
    /// Audit row.
    pub audit_seq: i64,
}

/// A decision (or a declined / cancelled attempt) on a gate.
#[derive(Debug, Clone)]
pub struct GateDecisionRow {
    /// Row id.
    pub id: i64,
    /// Project.
    pub project_id: String,
    /// Phase.
    pub phase: String,
    /// Gate id.
    pub gate_id: String,
    /// The request it answers, if any.
    pub request_id: Option<i64>,
    /// `approved`, `rejected`, `clarify`, `declined`, `cancelled`.
    pub decision: String,
    /// Reviewer name as given.
    pub reviewer: String,
    /// Reviewer's comment or reasons.
    pub comment: String,
    /// OS user of the process that recorded it.
    pub os_user: String,
    /// Whether a human confirmed interactively.
    pub interactive: bool,
    /// `elicitation`, `input_required`, `terminal`.
    pub channel: String,
    /// Artifacts and criteria the decision was made on (JSON text).
    pub snapshot: String,
    /// RFC 3339 UTC.
    pub created_at: String,
    /// Audit row.
    pub audit_seq: i64,
}

/// A question asked with a Clarify decision, and its answer.
#[derive(Debug, Clone)]
pub struct ClarificationRow {
    /// Row id (what `dana gate answer --question` takes).
    pub id: i64,
    /// Project.
    pub project_id: String,
    /// Phase.
    pub phase: String,
    /// The Clarify decision.
    pub decision_id: i64,
    /// The question.
    pub question: String,
    /// Who asked.
    pub asked_by: String,
    /// RFC 3339 UTC.
    pub asked_at: String,
    /// Audit row of the question.
    pub audit_seq: i64,
    /// The answer, once given.
    pub answer: Option<String>,
    /// Who answered.
    pub answered_by: Option<String>,
    /// When.
    pub answered_at: Option<String>,
    /// Audit row of the answer.
    pub answer_audit_seq: Option<i64>,
}

/// Everything the protocol knows about one project.
#[derive(Debug, Clone, Default)]
pub struct ProtocolRows {
    /// Artifacts, oldest first.
    pub artifacts: Vec<ArtifactRow>,
    /// Gate requests, oldest first.
    pub requests: Vec<GateRequestRow>,
    /// Decisions, oldest first.
    pub decisions: Vec<GateDecisionRow>,
    /// Clarifications, oldest first.
    pub clarifications: Vec<ClarificationRow>,
}

/// A new decision to insert.
#[derive(Debug, Clone)]
pub struct NewDecision<'a> {
    /// Project.
    pub project_id: &'a str,
    /// Phase.
    pub phase: &'a str,
    /// Gate id.
    pub gate_id: &'a str,
    /// Request answered, if any.
    pub request_id: Option<i64>,
    /// Decision.
    pub decision: &'a str,
    /// Reviewer.
    pub reviewer: &'a str,
    /// Comment.
    pub comment: &'a str,
    /// OS user.
    pub os_user: &'a str,
    /// Interactive confirmation.
    pub interactive: bool,
    /// Channel.
    pub channel: &'a str,
    /// Snapshot JSON text.
    pub snapshot: &'a str,
}

impl Store {
    /// Starts the one-writer-at-a-time transaction every protocol write uses.
    pub async fn begin_locked(&self) -> Result<Locked> {
        let tx = match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => {
                let mut tx = self.pool.begin().await?;
                sqlx::query("SELECT 1 FROM (SELECT pg_advisory_xact_lock($1)) AS l")
                    .bind(PG_LOCK_KEY)
                    .fetch_one(&mut *tx)
                    .await?;
                tx
            }
        };
        Ok(Locked { tx })
    }

    /// All protocol rows of a project (no lock; a consistent snapshot per table).
    pub async fn protocol_rows(&self, project: &str) -> Result<ProtocolRows> {
        let mut conn = self.pool.acquire().await?;
        load_rows(&mut conn, project).await
    }

    /// Phases of a project whose gate is approved (cheap: no artifact content).
    pub async fn approved_phases(&self, project: &str) -> Result<Vec<String>> {
        let mut conn = self.pool.acquire().await?;
        approved(&mut conn, project).await
    }

    /// The audit log, whole (`None`) or one project's rows, in chain order.
    pub async fn audit_rows(&self, project: Option<&str>) -> Result<Vec<AuditRow>> {
        let rows = match project {
            None => sqlx::query(
                "SELECT seq, project_id, phase, event, actor, payload, created_at, prev_hash, hash \
                     FROM audit_log ORDER BY seq",
            )
            .fetch_all(&self.pool)
            .await?,
            Some(p) => sqlx::query(
                "SELECT seq, project_id, phase, event, actor, payload, created_at, prev_hash, hash \
                     FROM audit_log WHERE project_id = $1 ORDER BY seq",
            )
            .bind(p)
            .fetch_all(&self.pool)
            .await?,
        };
        rows.iter().map(audit_from_row).collect()
    }

    /// Every artifact of every project: (id, project, kind, version, content SHA-256
    /// recomputed from the stored content, audit seq), for `dana audit verify`.
    pub async fn artifact_digests(&self) -> Result<Vec<(i64, String, String, i64, String, i64)>> {
        use sha2::{Digest, Sha256};
        let rows = sqlx::query(
            "SELECT id, project_id, kind, version, content, audit_seq FROM artifacts ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let content: String = r.try_get(4)?;
                Ok((
                    r.try_get(0)?,
                    r.try_get(1)?,
                    r.try_get(2)?,
                    r.try_get(3)?,
                    hex::encode(Sha256::digest(content.as_bytes())),
                    r.try_get(5)?,
                ))
            })
            .collect()
    }

    /// Every decision: (id, decision, reviewer, audit seq), for `dana audit verify`.
    pub async fn decision_digests(&self) -> Result<Vec<(i64, String, String, i64)>> {
        let rows =
            sqlx::query("SELECT id, decision, reviewer, audit_seq FROM gate_decisions ORDER BY id")
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?)))
            .collect()
    }
}

/// The serialized write transaction. Dropping it without [`Locked::commit`] rolls back.
pub struct Locked {
    tx: Transaction<'static, Any>,
}

impl std::fmt::Debug for Locked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Locked").finish_non_exhaustive()
    }
}

impl Locked {
    /// Commits every write of the transaction at once.
    pub async fn commit(self) -> Result<()> {
        self.tx.commit().await?;
        Ok(())
    }

    /// Inserts a new project; an existing id is an error.
    pub async fn insert_project(&mut self, row: &super::ProjectRow) -> Result<()> {
        let exists = sqlx::query("SELECT 1 FROM projects WHERE id = $1")
            .bind(&row.id)
            .fetch_optional(&mut *self.tx)
            .await?;
        if exists.is_some() {
            return Err(Error::invalid(format!(
                "project `{}` already exists",
                row.id
            )));
        }
        sqlx::query(
            "INSERT INTO projects (id, name, description, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(&row.id)
        .bind(&row.name)
        .bind(&row.description)
        .bind(&row.created_at)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// The project's protocol rows as seen inside the lock.
    pub async fn rows(&mut self, project: &str) -> Result<ProtocolRows> {
        load_rows(&mut self.tx, project).await
    }

    /// Phases of a project whose gate is approved, as seen inside the lock.
    pub async fn approved_phases(&mut self, project: &str) -> Result<Vec<String>> {
        approved(&mut self.tx, project).await
    }

    /// Appends one audit row after the current head; returns (seq, hash).
    pub async fn append_audit(
        &mut self,
        project_id: Option<&str>,
        phase: Option<&str>,
        event: &str,
        actor: &str,
        payload: &serde_json::Value,
    ) -> Result<(i64, String)> {
        let head = sqlx::query("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
            .fetch_optional(&mut *self.tx)
            .await?;
        let (prev_seq, prev_hash) = match head {
            Some(r) => (r.try_get::<i64, _>(0)?, r.try_get::<String, _>(1)?),
            None => (0, GENESIS_HASH.to_string()),
        };
        let mut row = AuditRow {
            seq: prev_seq + 1,
            project_id: project_id.map(str::to_string),
            phase: phase.map(str::to_string),
            event: event.to_string(),
            actor: actor.to_string(),
            payload: canonical_json(payload),
            created_at: now(),
            prev_hash,
            hash: String::new(),
        };
        row.hash = row.compute_hash();
        sqlx::query(
            "INSERT INTO audit_log (seq, project_id, phase, event, actor, payload, created_at, prev_hash, hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(row.seq)
        .bind(&row.project_id)
        .bind(&row.phase)
        .bind(&row.event)
        .bind(&row.actor)
        .bind(&row.payload)
        .bind(&row.created_at)
        .bind(&row.prev_hash)
        .bind(&row.hash)
        .execute(&mut *self.tx)
        .await?;
        Ok((row.seq, row.hash))
    }

    /// Inserts the next version of an artifact kind; returns (id, version, created_at).
    #[allow(clippy::too_many_arguments)]
    pub async fn insert_artifact(
        &mut self,
        project_id: &str,
        phase: &str,
        kind: &str,
        tool: &str,
        content: &str,
        rendered: Option<&str>,
        content_sha256: &str,
        audit_seq: i64,
    ) -> Result<(i64, i64, String)> {
        let version: i64 = sqlx::query(
            "SELECT COALESCE(MAX(version), 0) + 1 FROM artifacts WHERE project_id = $1 AND kind = $2",
        )
        .bind(project_id)
        .bind(kind)
        .fetch_one(&mut *self.tx)
        .await?
        .try_get(0)?;
        let created_at = now();
        let row = sqlx::query(
            "INSERT INTO artifacts (project_id, phase, kind, version, tool, content, rendered, content_sha256, created_at, audit_seq) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .bind(project_id)
        .bind(phase)
        .bind(kind)
        .bind(version)
        .bind(tool)
        .bind(content)
        .bind(rendered)
        .bind(content_sha256)
        .bind(&created_at)
        .bind(audit_seq)
        .fetch_one(&mut *self.tx)
        .await?;
        Ok((row.try_get(0)?, version, created_at))
    }

    /// The next artifact version of a kind (for the audit payload written first).
    pub async fn next_artifact_version(&mut self, project_id: &str, kind: &str) -> Result<i64> {
        Ok(sqlx::query(
            "SELECT COALESCE(MAX(version), 0) + 1 FROM artifacts WHERE project_id = $1 AND kind = $2",
        )
        .bind(project_id)
        .bind(kind)
        .fetch_one(&mut *self.tx)
        .await?
        .try_get(0)?)
    }

    /// Inserts a gate request; returns its id.
    #[allow(clippy::too_many_arguments)]
    pub async fn insert_request(
        &mut self,
        project_id: &str,
        phase: &str,
        gate_id: &str,
        channel: &str,
        token: &str,
        snapshot: &str,
        audit_seq: i64,
    ) -> Result<i64> {
        let row = sqlx::query(
            "INSERT INTO gate_requests (project_id, phase, gate_id, channel, token, snapshot, created_at, audit_seq) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(project_id)
        .bind(phase)
        .bind(gate_id)
        .bind(channel)
        .bind(token)
        .bind(snapshot)
        .bind(now())
        .bind(audit_seq)
        .fetch_one(&mut *self.tx)
        .await?;
        Ok(row.try_get(0)?)
    }

    /// Inserts a decision; returns its id.
    pub async fn insert_decision(&mut self, d: &NewDecision<'_>, audit_seq: i64) -> Result<i64> {
        let row = sqlx::query(
            "INSERT INTO gate_decisions (project_id, phase, gate_id, request_id, decision, reviewer, comment, os_user, interactive, channel, snapshot, created_at, audit_seq) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id",
        )
        .bind(d.project_id)
        .bind(d.phase)
        .bind(d.gate_id)
        .bind(d.request_id)
        .bind(d.decision)
        .bind(d.reviewer)
        .bind(d.comment)
        .bind(d.os_user)
        .bind(i64::from(d.interactive))
        .bind(d.channel)
        .bind(d.snapshot)
        .bind(now())
        .bind(audit_seq)
        .fetch_one(&mut *self.tx)
        .await?;
        Ok(row.try_get(0)?)
    }

    /// Inserts an open question; returns its id.
    pub async fn insert_clarification(
        &mut self,
        project_id: &str,
        phase: &str,
        decision_id: i64,
        question: &str,
        asked_by: &str,
        audit_seq: i64,
    ) -> Result<i64> {
        let row = sqlx::query(
            "INSERT INTO clarifications (project_id, phase, decision_id, question, asked_by, asked_at, audit_seq) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(project_id)
        .bind(phase)
        .bind(decision_id)
        .bind(question)
        .bind(asked_by)
        .bind(now())
        .bind(audit_seq)
        .fetch_one(&mut *self.tx)
        .await?;
        Ok(row.try_get(0)?)
    }

    /// Records the answer to an open question (only while it is open).
    pub async fn answer_clarification(
        &mut self,
        id: i64,
        answer: &str,
        by: &str,
        audit_seq: i64,
    ) -> Result<()> {
        let done = sqlx::query(
            "UPDATE clarifications SET answer = $1, answered_by = $2, answered_at = $3, answer_audit_seq = $4 \
             WHERE id = $5 AND answer IS NULL",
        )
        .bind(answer)
        .bind(by)
        .bind(now())
        .bind(audit_seq)
        .bind(id)
        .execute(&mut *self.tx)
        .await?;
        if done.rows_affected() != 1 {
            return Err(Error::invalid(format!("question `{id}` is not open")));
        }
        Ok(())
    }
}

async fn approved(conn: &mut AnyConnection, project: &str) -> Result<Vec<String>> {
    let rows = sqlx::query(
        "SELECT DISTINCT phase FROM gate_decisions WHERE project_id = $1 AND decision = 'approved'",
    )
    .bind(project)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
}

async fn load_rows(conn: &mut AnyConnection, project: &str) -> Result<ProtocolRows> {
    let artifacts = sqlx::query(
        "SELECT id, project_id, phase, kind, version, tool, content, rendered, content_sha256, created_at, audit_seq \
         FROM artifacts WHERE project_id = $1 ORDER BY id",
    )
    .bind(project)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| {
        Ok(ArtifactRow {
            id: r.try_get(0)?,
            project_id: r.try_get(1)?,
            phase: r.try_get(2)?,
            kind: r.try_get(3)?,
            version: r.try_get(4)?,
            tool: r.try_get(5)?,
            content: r.try_get(6)?,
            rendered: r.try_get(7)?,
            content_sha256: r.try_get(8)?,
            created_at: r.try_get(9)?,
            audit_seq: r.try_get(10)?,
        })
    })
    .collect::<Result<Vec<_>>>()?;
    let requests = sqlx::query(
        "SELECT id, project_id, phase, gate_id, channel, token, snapshot, created_at, audit_seq \
         FROM gate_requests WHERE project_id = $1 ORDER BY id",
    )
    .bind(project)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| {
        Ok(GateRequestRow {
            id: r.try_get(0)?,
            project_id: r.try_get(1)?,
            phase: r.try_get(2)?,
            gate_id: r.try_get(3)?,
            channel: r.try_get(4)?,
            token: r.try_get(5)?,
            snapshot: r.try_get(6)?,
            created_at: r.try_get(7)?,
            audit_seq: r.try_get(8)?,
        })
    })
    .collect::<Result<Vec<_>>>()?;
    let decisions = sqlx::query(
        "SELECT id, project_id, phase, gate_id, request_id, decision, reviewer, comment, os_user, interactive, channel, snapshot, created_at, audit_seq \
         FROM gate_decisions WHERE project_id = $1 ORDER BY id",
    )
    .bind(project)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| {
        Ok(GateDecisionRow {
            id: r.try_get(0)?,
            project_id: r.try_get(1)?,
            phase: r.try_get(2)?,
            gate_id: r.try_get(3)?,
            request_id: r.try_get(4)?,
            decision: r.try_get(5)?,
            reviewer: r.try_get(6)?,
            comment: r.try_get(7)?,
            os_user: r.try_get(8)?,
            interactive: r.try_get::<i64, _>(9)? != 0,
            channel: r.try_get(10)?,
            snapshot: r.try_get(11)?,
            created_at: r.try_get(12)?,
            audit_seq: r.try_get(13)?,
        })
    })
    .collect::<Result<Vec<_>>>()?;
    let clarifications = sqlx::query(
        "SELECT id, project_id, phase, decision_id, question, asked_by, asked_at, audit_seq, answer, answered_by, answered_at, answer_audit_seq \
         FROM clarifications WHERE project_id = $1 ORDER BY id",
    )
    .bind(project)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| {
        Ok(ClarificationRow {
            id: r.try_get(0)?,
            project_id: r.try_get(1)?,
            phase: r.try_get(2)?,
            decision_id: r.try_get(3)?,
            question: r.try_get(4)?,
            asked_by: r.try_get(5)?,
            asked_at: r.try_get(6)?,
            audit_seq: r.try_get(7)?,
            answer: r.try_get(8)?,
            answered_by: r.try_get(9)?,
            answered_at: r.try_get(10)?,
            answer_audit_seq: r.try_get(11)?,
        })
    })
    .collect::<Result<Vec<_>>>()?;
    Ok(ProtocolRows {
        artifacts,
        requests,
        decisions,
        clarifications,
    })
}

fn audit_from_row(r: &AnyRow) -> Result<AuditRow> {
    Ok(AuditRow {
        seq: r.try_get(0)?,
        project_id: r.try_get(1)?,
        phase: r.try_get(2)?,
        event: r.try_get(3)?,
        actor: r.try_get(4)?,
        payload: r.try_get(5)?,
        created_at: r.try_get(6)?,
        prev_hash: r.try_get(7)?,
        hash: r.try_get(8)?,
    })
}

/// JSON text with object keys sorted at every level, no insignificant whitespace: the
/// same value always gives the same text, whatever order it was built in.
pub fn canonical_json(value: &serde_json::Value) -> String {
    fn sorted(value: &serde_json::Value) -> serde_json::Value {
        match value {
            serde_json::Value::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort();
                let mut out = serde_json::Map::new();
                for k in keys {
                    out.insert(k.clone(), sorted(&map[k]));
                }
                serde_json::Value::Object(out)
            }
            serde_json::Value::Array(items) => {
                serde_json::Value::Array(items.iter().map(sorted).collect())
            }
            other => other.clone(),
        }
    }
    sorted(value).to_string()
}
