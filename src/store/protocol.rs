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
    /// The audit row vouching for this row's columns (see [`RowDigest`]).
    pub bound_seq: Option<i64>,
    /// That audit row's hash.
    pub bound_hash: Option<String>,
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
    /// The session the review was sent to (`input_required`): answers must come on it.
    pub session: Option<String>,
    /// The audit row vouching for this row's columns.
    pub bound_seq: Option<i64>,
    /// That audit row's hash.
    pub bound_hash: Option<String>,
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
    /// The registered reviewer who signed it, when reviewers exist.
    pub signer: Option<String>,
    /// Their ed25519 signature (hex) over the decision's canonical payload.
    pub signature: Option<String>,
    /// The audit row vouching for this row's columns.
    pub bound_seq: Option<i64>,
    /// That audit row's hash.
    pub bound_hash: Option<String>,
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
    /// The audit row vouching for this row's columns (the answer's, once answered).
    pub bound_seq: Option<i64>,
    /// That audit row's hash.
    pub bound_hash: Option<String>,
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
    /// Registered reviewer who signed, if any.
    pub signer: Option<&'a str>,
    /// Signature (hex), if signed.
    pub signature: Option<&'a str>,
    /// The decision's time (the signing time, when signed); now when `None`.
    pub created_at: Option<&'a str>,
}

/// The audit row a write appends: the row's binding (`rows`) is added to `payload`.
#[derive(Debug, Clone)]
pub struct Audit<'a> {
    /// Project, when the event concerns one.
    pub project: Option<&'a str>,
    /// Phase, when the event concerns one.
    pub phase: Option<&'a str>,
    /// Event name.
    pub event: &'a str,
    /// Who caused it.
    pub actor: &'a str,
    /// The event's content.
    pub payload: serde_json::Value,
}

/// A state row's binding to the chain: SHA-256 over its table name and every column but
/// the binding itself. The audit row that recorded (or last changed) the row lists this
/// digest in its payload's `rows`.
pub trait RowDigest {
    /// Table name.
    const TABLE: &'static str;
    /// Row id (as text: projects have text ids).
    fn row_id(&self) -> String;
    /// The project it belongs to.
    fn project(&self) -> Option<&str>;
    /// The columns hashed, in a fixed order.
    fn columns(&self) -> serde_json::Value;
    /// (bound_seq, bound_hash).
    fn binding(&self) -> (Option<i64>, Option<&str>);
    /// SHA-256 (hex) of `[table, columns…]` as canonical JSON.
    fn digest(&self) -> String {
        sha256_hex(&canonical_json(&serde_json::json!([
            Self::TABLE,
            self.columns()
        ])))
    }
}

/// SHA-256 of a text, hex.
pub fn sha256_hex(text: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(text.as_bytes()))
}

impl RowDigest for super::ProjectRow {
    const TABLE: &'static str = "projects";
    fn row_id(&self) -> String {
        self.id.clone()
    }
    fn project(&self) -> Option<&str> {
        Some(&self.id)
    }
    fn columns(&self) -> serde_json::Value {
        serde_json::json!([self.id, self.name, self.description, self.created_at])
    }
    fn binding(&self) -> (Option<i64>, Option<&str>) {
        (self.bound_seq, self.bound_hash.as_deref())
    }
}

impl RowDigest for ArtifactRow {
    const TABLE: &'static str = "artifacts";
    fn row_id(&self) -> String {
        self.id.to_string()
    }
    fn project(&self) -> Option<&str> {
        Some(&self.project_id)
    }
    fn columns(&self) -> serde_json::Value {
        // The content itself is hashed here, not only the stored `content_sha256`.
        serde_json::json!([
            self.id,
            self.project_id,
            self.phase,
            self.kind,
            self.version,
            self.tool,
            sha256_hex(&self.content),
            self.rendered.as_deref().map(sha256_hex),
            self.content_sha256,
            self.created_at,
            self.audit_seq
        ])
    }
    fn binding(&self) -> (Option<i64>, Option<&str>) {
        (self.bound_seq, self.bound_hash.as_deref())
    }
}

impl RowDigest for GateRequestRow {
    const TABLE: &'static str = "gate_requests";
    fn row_id(&self) -> String {
        self.id.to_string()
    }
    fn project(&self) -> Option<&str> {
        Some(&self.project_id)
    }
    fn columns(&self) -> serde_json::Value {
        serde_json::json!([
            self.id,
            self.project_id,
            self.phase,
            self.gate_id,
            self.channel,
            self.token,
            self.snapshot,
            self.created_at,
            self.audit_seq,
            self.session
        ])
    }
    fn binding(&self) -> (Option<i64>, Option<&str>) {
        (self.bound_seq, self.bound_hash.as_deref())
    }
}

impl RowDigest for GateDecisionRow {
    const TABLE: &'static str = "gate_decisions";
    fn row_id(&self) -> String {
        self.id.to_string()
    }
    fn project(&self) -> Option<&str> {
        Some(&self.project_id)
    }
    fn columns(&self) -> serde_json::Value {
        serde_json::json!([
            self.id,
            self.project_id,
            self.phase,
            self.gate_id,
            self.request_id,
            self.decision,
            self.reviewer,
            self.comment,
            self.os_user,
            self.interactive,
            self.channel,
            self.snapshot,
            self.created_at,
            self.audit_seq,
            self.signer,
            self.signature
        ])
    }
    fn binding(&self) -> (Option<i64>, Option<&str>) {
        (self.bound_seq, self.bound_hash.as_deref())
    }
}

impl RowDigest for ClarificationRow {
    const TABLE: &'static str = "clarifications";
    fn row_id(&self) -> String {
        self.id.to_string()
    }
    fn project(&self) -> Option<&str> {
        Some(&self.project_id)
    }
    fn columns(&self) -> serde_json::Value {
        serde_json::json!([
            self.id,
            self.project_id,
            self.phase,
            self.decision_id,
            self.question,
            self.asked_by,
            self.asked_at,
            self.audit_seq,
            self.answer,
            self.answered_by,
            self.answered_at,
            self.answer_audit_seq
        ])
    }
    fn binding(&self) -> (Option<i64>, Option<&str>) {
        (self.bound_seq, self.bound_hash.as_deref())
    }
}

impl RowDigest for ReviewerRow {
    const TABLE: &'static str = "reviewers";
    fn row_id(&self) -> String {
        self.id.to_string()
    }
    fn project(&self) -> Option<&str> {
        None
    }
    fn columns(&self) -> serde_json::Value {
        serde_json::json!([
            self.id,
            self.name,
            self.public_key,
            self.salt,
            self.kdf,
            self.endorsed_by,
            self.endorsement,
            self.os_user,
            self.created_at,
            self.audit_seq
        ])
    }
    fn binding(&self) -> (Option<i64>, Option<&str>) {
        (self.bound_seq, self.bound_hash.as_deref())
    }
}

/// A registered reviewer (`dana reviewer add`).
#[derive(Debug, Clone, serde::Serialize)]
pub struct ReviewerRow {
    /// Row id.
    pub id: i64,
    /// Name, unique.
    pub name: String,
    /// ed25519 public key, hex.
    pub public_key: String,
    /// argon2id salt, hex.
    pub salt: String,
    /// argon2id parameters (JSON text).
    pub kdf: String,
    /// The reviewer who vouched for this one.
    pub endorsed_by: Option<String>,
    /// Their signature (hex) over this reviewer's name and key.
    pub endorsement: Option<String>,
    /// OS user that added it.
    pub os_user: String,
    /// RFC 3339 UTC.
    pub created_at: String,
    /// Audit row.
    pub audit_seq: i64,
    /// The audit row vouching for this row's columns.
    pub bound_seq: Option<i64>,
    /// That audit row's hash.
    pub bound_hash: Option<String>,
}

/// Every state row of every table, for `dana audit verify`.
#[derive(Debug, Clone, Default)]
pub struct AllRows {
    /// Projects.
    pub projects: Vec<super::ProjectRow>,
    /// Protocol rows of all projects.
    pub protocol: ProtocolRows,
    /// Reviewers.
    pub reviewers: Vec<ReviewerRow>,
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

    /// A read-only transaction on one snapshot of the store (REPEATABLE READ on
    /// PostgreSQL; a deferred transaction holds one WAL snapshot on SQLite): what
    /// `dana audit verify` reads, so writers committing meanwhile cannot make state rows
    /// and audit rows disagree.
    pub async fn begin_snapshot(&self) -> Result<Transaction<'static, Any>> {
        Ok(match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN").await?,
            Backend::Postgres => {
                self.pool
                    .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                    .await?
            }
        })
    }

    /// All protocol rows of a project (no lock; a consistent snapshot per table).
    pub async fn protocol_rows(&self, project: &str) -> Result<ProtocolRows> {
        let mut conn = self.pool.acquire().await?;
        load_rows(&mut conn, Some(project)).await
    }

    /// Every row of every state table (no lock), for `dana audit verify`.
    pub async fn all_rows(&self) -> Result<AllRows> {
        let mut conn = self.pool.acquire().await?;
        load_all(&mut conn).await
    }

    /// Registered reviewers.
    pub async fn reviewers(&self) -> Result<Vec<ReviewerRow>> {
        let mut conn = self.pool.acquire().await?;
        reviewer_rows(&mut conn).await
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

    /// The connection inside the lock (for reads that must see the same state).
    pub fn conn(&mut self) -> &mut AnyConnection {
        &mut self.tx
    }

    /// Inserts a new project with its `project_started` audit row; an existing id is an error.
    pub async fn insert_project(
        &mut self,
        row: &mut super::ProjectRow,
        audit: Audit<'_>,
    ) -> Result<i64> {
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
        let (seq, hash) = self.vouch(row, audit).await?;
        row.bound_seq = Some(seq);
        row.bound_hash = Some(hash);
        sqlx::query(
            "INSERT INTO projects (id, name, description, created_at, bound_seq, bound_hash) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&row.id)
        .bind(&row.name)
        .bind(&row.description)
        .bind(&row.created_at)
        .bind(row.bound_seq)
        .bind(&row.bound_hash)
        .execute(&mut *self.tx)
        .await?;
        Ok(seq)
    }

    /// The project's protocol rows as seen inside the lock.
    pub async fn rows(&mut self, project: &str) -> Result<ProtocolRows> {
        load_rows(&mut self.tx, Some(project)).await
    }

    /// Phases of a project whose gate is approved, as seen inside the lock.
    pub async fn approved_phases(&mut self, project: &str) -> Result<Vec<String>> {
        approved(&mut self.tx, project).await
    }

    /// The seq the next audit row will get.
    async fn next_seq(&mut self) -> Result<i64> {
        let head = sqlx::query("SELECT COALESCE(MAX(seq), 0) FROM audit_log")
            .fetch_one(&mut *self.tx)
            .await?;
        Ok(head.try_get::<i64, _>(0)? + 1)
    }

    /// The next id of a table (ids are assigned here, under the lock, so the digest the
    /// audit row carries covers them).
    async fn next_id(&mut self, table: &'static str) -> Result<i64> {
        let sql = match table {
            "artifacts" => "SELECT COALESCE(MAX(id), 0) + 1 FROM artifacts",
            "gate_requests" => "SELECT COALESCE(MAX(id), 0) + 1 FROM gate_requests",
            "gate_decisions" => "SELECT COALESCE(MAX(id), 0) + 1 FROM gate_decisions",
            "clarifications" => "SELECT COALESCE(MAX(id), 0) + 1 FROM clarifications",
            "reviewers" => "SELECT COALESCE(MAX(id), 0) + 1 FROM reviewers",
            other => return Err(Error::invalid(format!("no id sequence for `{other}`"))),
        };
        Ok(sqlx::query(sql)
            .fetch_one(&mut *self.tx)
            .await?
            .try_get::<i64, _>(0)?)
    }

    /// Appends the audit row that vouches for `row` (its digest under `rows`).
    async fn vouch<R: RowDigest>(&mut self, row: &R, audit: Audit<'_>) -> Result<(i64, String)> {
        let mut payload = audit.payload;
        let entry =
            serde_json::json!({"table": R::TABLE, "id": row.row_id(), "sha256": row.digest()});
        match payload.as_object_mut() {
            Some(map) => {
                map.insert("rows".to_string(), serde_json::json!([entry]));
            }
            None => payload = serde_json::json!({"value": payload, "rows": [entry]}),
        }
        self.append_audit(
            audit.project,
            audit.phase,
            audit.event,
            audit.actor,
            &payload,
        )
        .await
    }

    /// Appends one audit row after the current head; returns (seq, hash). A row that
    /// records a state change goes through the insert methods instead, which bind it.
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

    /// Inserts the next version of an artifact kind with its audit row; returns
    /// (id, version, audit seq).
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
        audit: Audit<'_>,
    ) -> Result<(i64, i64, i64)> {
        let version = self.next_artifact_version(project_id, kind).await?;
        let mut row = ArtifactRow {
            id: self.next_id("artifacts").await?,
            project_id: project_id.to_string(),
            phase: phase.to_string(),
            kind: kind.to_string(),
            version,
            tool: tool.to_string(),
            content: content.to_string(),
            rendered: rendered.map(str::to_string),
            content_sha256: content_sha256.to_string(),
            created_at: now(),
            audit_seq: self.next_seq().await?,
            bound_seq: None,
            bound_hash: None,
        };
        let (seq, hash) = self.vouch(&row, audit).await?;
        check_planned(row.audit_seq, seq)?;
        row.bound_seq = Some(seq);
        row.bound_hash = Some(hash);
        sqlx::query(
            "INSERT INTO artifacts (id, project_id, phase, kind, version, tool, content, rendered, content_sha256, created_at, audit_seq, bound_seq, bound_hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind(row.id)
        .bind(&row.project_id)
        .bind(&row.phase)
        .bind(&row.kind)
        .bind(row.version)
        .bind(&row.tool)
        .bind(&row.content)
        .bind(&row.rendered)
        .bind(&row.content_sha256)
        .bind(&row.created_at)
        .bind(row.audit_seq)
        .bind(row.bound_seq)
        .bind(&row.bound_hash)
        .execute(&mut *self.tx)
        .await?;
        Ok((row.id, version, seq))
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

    /// Inserts a gate request with its audit row; returns (id, audit seq).
    #[allow(clippy::too_many_arguments)]
    pub async fn insert_request(
        &mut self,
        project_id: &str,
        phase: &str,
        gate_id: &str,
        channel: &str,
        token: &str,
        snapshot: &str,
        session: Option<&str>,
        audit: Audit<'_>,
    ) -> Result<(i64, i64)> {
        let mut row = GateRequestRow {
            id: self.next_id("gate_requests").await?,
            project_id: project_id.to_string(),
            phase: phase.to_string(),
            gate_id: gate_id.to_string(),
            channel: channel.to_string(),
            token: token.to_string(),
            snapshot: snapshot.to_string(),
            created_at: now(),
            audit_seq: self.next_seq().await?,
            session: session.map(str::to_string),
            bound_seq: None,
            bound_hash: None,
        };
        let (seq, hash) = self.vouch(&row, audit).await?;
        check_planned(row.audit_seq, seq)?;
        row.bound_seq = Some(seq);
        row.bound_hash = Some(hash);
        sqlx::query(
            "INSERT INTO gate_requests (id, project_id, phase, gate_id, channel, token, snapshot, created_at, audit_seq, session, bound_seq, bound_hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(row.id)
        .bind(&row.project_id)
        .bind(&row.phase)
        .bind(&row.gate_id)
        .bind(&row.channel)
        .bind(&row.token)
        .bind(&row.snapshot)
        .bind(&row.created_at)
        .bind(row.audit_seq)
        .bind(&row.session)
        .bind(row.bound_seq)
        .bind(&row.bound_hash)
        .execute(&mut *self.tx)
        .await?;
        Ok((row.id, seq))
    }

    /// Inserts a decision with its audit row; returns (id, audit seq).
    pub async fn insert_decision(
        &mut self,
        d: &NewDecision<'_>,
        audit: Audit<'_>,
    ) -> Result<(i64, i64)> {
        let mut row = GateDecisionRow {
            id: self.next_id("gate_decisions").await?,
            project_id: d.project_id.to_string(),
            phase: d.phase.to_string(),
            gate_id: d.gate_id.to_string(),
            request_id: d.request_id,
            decision: d.decision.to_string(),
            reviewer: d.reviewer.to_string(),
            comment: d.comment.to_string(),
            os_user: d.os_user.to_string(),
            interactive: d.interactive,
            channel: d.channel.to_string(),
            snapshot: d.snapshot.to_string(),
            created_at: d.created_at.map_or_else(now, str::to_string),
            audit_seq: self.next_seq().await?,
            signer: d.signer.map(str::to_string),
            signature: d.signature.map(str::to_string),
            bound_seq: None,
            bound_hash: None,
        };
        let (seq, hash) = self.vouch(&row, audit).await?;
        check_planned(row.audit_seq, seq)?;
        row.bound_seq = Some(seq);
        row.bound_hash = Some(hash);
        sqlx::query(
            "INSERT INTO gate_decisions (id, project_id, phase, gate_id, request_id, decision, reviewer, comment, os_user, interactive, channel, snapshot, created_at, audit_seq, signer, signature, bound_seq, bound_hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)",
        )
        .bind(row.id)
        .bind(&row.project_id)
        .bind(&row.phase)
        .bind(&row.gate_id)
        .bind(row.request_id)
        .bind(&row.decision)
        .bind(&row.reviewer)
        .bind(&row.comment)
        .bind(&row.os_user)
        .bind(i64::from(row.interactive))
        .bind(&row.channel)
        .bind(&row.snapshot)
        .bind(&row.created_at)
        .bind(row.audit_seq)
        .bind(&row.signer)
        .bind(&row.signature)
        .bind(row.bound_seq)
        .bind(&row.bound_hash)
        .execute(&mut *self.tx)
        .await?;
        Ok((row.id, seq))
    }

    /// Inserts an open question with its audit row; returns (id, audit seq).
    pub async fn insert_clarification(
        &mut self,
        project_id: &str,
        phase: &str,
        decision_id: i64,
        question: &str,
        asked_by: &str,
        audit: Audit<'_>,
    ) -> Result<(i64, i64)> {
        let mut row = ClarificationRow {
            id: self.next_id("clarifications").await?,
            project_id: project_id.to_string(),
            phase: phase.to_string(),
            decision_id,
            question: question.to_string(),
            asked_by: asked_by.to_string(),
            asked_at: now(),
            audit_seq: self.next_seq().await?,
            answer: None,
            answered_by: None,
            answered_at: None,
            answer_audit_seq: None,
            bound_seq: None,
            bound_hash: None,
        };
        let (seq, hash) = self.vouch(&row, audit).await?;
        check_planned(row.audit_seq, seq)?;
        row.bound_seq = Some(seq);
        row.bound_hash = Some(hash);
        sqlx::query(
            "INSERT INTO clarifications (id, project_id, phase, decision_id, question, asked_by, asked_at, audit_seq, bound_seq, bound_hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(row.id)
        .bind(&row.project_id)
        .bind(&row.phase)
        .bind(row.decision_id)
        .bind(&row.question)
        .bind(&row.asked_by)
        .bind(&row.asked_at)
        .bind(row.audit_seq)
        .bind(row.bound_seq)
        .bind(&row.bound_hash)
        .execute(&mut *self.tx)
        .await?;
        Ok((row.id, seq))
    }

    /// Records the answer to an open question (only while it is open), with its audit
    /// row, which then vouches for the whole row; returns the audit seq.
    pub async fn answer_clarification(
        &mut self,
        current: &ClarificationRow,
        answer: &str,
        by: &str,
        audit: Audit<'_>,
    ) -> Result<i64> {
        if current.answer.is_some() {
            return Err(Error::invalid(format!(
                "question `{}` is not open",
                current.id
            )));
        }
        let mut row = current.clone();
        row.answer = Some(answer.to_string());
        row.answered_by = Some(by.to_string());
        row.answered_at = Some(now());
        row.answer_audit_seq = Some(self.next_seq().await?);
        let (seq, hash) = self.vouch(&row, audit).await?;
        check_planned(row.answer_audit_seq.unwrap_or(0), seq)?;
        let done = sqlx::query(
            "UPDATE clarifications SET answer = $1, answered_by = $2, answered_at = $3, answer_audit_seq = $4, bound_seq = $5, bound_hash = $6 \
             WHERE id = $7 AND answer IS NULL",
        )
        .bind(&row.answer)
        .bind(&row.answered_by)
        .bind(&row.answered_at)
        .bind(row.answer_audit_seq)
        .bind(seq)
        .bind(&hash)
        .bind(row.id)
        .execute(&mut *self.tx)
        .await?;
        if done.rows_affected() != 1 {
            return Err(Error::invalid(format!("question `{}` is not open", row.id)));
        }
        Ok(seq)
    }

    /// Registers a reviewer with its audit row; returns the audit seq.
    pub async fn insert_reviewer(
        &mut self,
        row: &mut ReviewerRow,
        audit: Audit<'_>,
    ) -> Result<i64> {
        row.id = self.next_id("reviewers").await?;
        row.audit_seq = self.next_seq().await?;
        let (seq, hash) = self.vouch(&*row, audit).await?;
        check_planned(row.audit_seq, seq)?;
        row.bound_seq = Some(seq);
        row.bound_hash = Some(hash);
        sqlx::query(
            "INSERT INTO reviewers (id, name, public_key, salt, kdf, endorsed_by, endorsement, os_user, created_at, audit_seq, bound_seq, bound_hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(row.id)
        .bind(&row.name)
        .bind(&row.public_key)
        .bind(&row.salt)
        .bind(&row.kdf)
        .bind(&row.endorsed_by)
        .bind(&row.endorsement)
        .bind(&row.os_user)
        .bind(&row.created_at)
        .bind(row.audit_seq)
        .bind(row.bound_seq)
        .bind(&row.bound_hash)
        .execute(&mut *self.tx)
        .await?;
        Ok(seq)
    }

    /// Every row of every state table, inside the lock.
    pub async fn all_rows(&mut self) -> Result<AllRows> {
        load_all(&mut self.tx).await
    }

    /// Every audit row, inside the lock.
    pub async fn audit_rows(&mut self) -> Result<Vec<AuditRow>> {
        audit_all(&mut self.tx).await
    }

    /// Binds rows written before the binding migration: one `legacy_rows_bound` audit row
    /// lists the digest of each, and each row points at it. Returns how many were bound.
    pub async fn bind_legacy(&mut self) -> Result<usize> {
        let all = load_all(&mut self.tx).await?;
        let mut entries: Vec<serde_json::Value> = Vec::new();
        fn pending<R: RowDigest>(rows: &[R], out: &mut Vec<serde_json::Value>) {
            for r in rows.iter().filter(|r| r.binding().0.is_none()) {
                out.push(
                    serde_json::json!({"table": R::TABLE, "id": r.row_id(), "sha256": r.digest()}),
                );
            }
        }
        pending(&all.projects, &mut entries);
        pending(&all.protocol.artifacts, &mut entries);
        pending(&all.protocol.requests, &mut entries);
        pending(&all.protocol.decisions, &mut entries);
        pending(&all.protocol.clarifications, &mut entries);
        pending(&all.reviewers, &mut entries);
        if entries.is_empty() {
            return Ok(0);
        }
        let count = entries.len();
        let (seq, hash) = self
            .append_audit(
                None,
                None,
                "legacy_rows_bound",
                "dana",
                &serde_json::json!({
                    "note": "rows written before dana bound every state row to the chain; vouched for as they were at this upgrade",
                    "rows": entries,
                }),
            )
            .await?;
        for sql in [
            "UPDATE projects SET bound_seq = $1, bound_hash = $2 WHERE bound_seq IS NULL",
            "UPDATE artifacts SET bound_seq = $1, bound_hash = $2 WHERE bound_seq IS NULL",
            "UPDATE gate_requests SET bound_seq = $1, bound_hash = $2 WHERE bound_seq IS NULL",
            "UPDATE gate_decisions SET bound_seq = $1, bound_hash = $2 WHERE bound_seq IS NULL",
            "UPDATE clarifications SET bound_seq = $1, bound_hash = $2 WHERE bound_seq IS NULL",
            "UPDATE reviewers SET bound_seq = $1, bound_hash = $2 WHERE bound_seq IS NULL",
        ] {
            sqlx::query(sql)
                .bind(seq)
                .bind(&hash)
                .execute(&mut *self.tx)
                .await?;
        }
        Ok(count)
    }
}

fn check_planned(planned: i64, got: i64) -> Result<()> {
    if planned != got {
        return Err(Error::invalid(format!(
            "audit row number changed under the write lock ({planned} → {got})"
        )));
    }
    Ok(())
}

/// Phases whose gate is approved, counting only approvals the chain vouches for: each
/// approval row's digest must be the one its audit row lists, and that audit row's hash
/// must be its content's. (A full `dana audit verify` runs where gates are decided.)
async fn approved(conn: &mut AnyConnection, project: &str) -> Result<Vec<String>> {
    let rows = load_rows(conn, Some(project)).await?;
    let registered = reviewer_rows(conn).await?;
    let mut reviewers = crate::protocol::reviewer::trusted(&registered);
    // Decisions after the first registration must be signed even if it does not hold.
    if reviewers.is_empty() && !registered.is_empty() {
        reviewers = registered;
    }
    let mut phases: Vec<String> = Vec::new();
    for d in rows.decisions.iter().filter(|d| d.decision == "approved") {
        if !crate::protocol::reviewer::decision_ok(d, &reviewers) {
            return Err(Error::Protocol(format!(
                "the state store does not verify (gate_decisions row `{}` is an approval no registered reviewer signed); \
                 no gate state is computed from it. Run `dana audit verify` and restore the store from a backup",
                d.id
            )));
        }
        let audit = match d.bound_seq {
            Some(seq) => sqlx::query(
                "SELECT seq, project_id, phase, event, actor, payload, created_at, prev_hash, hash \
                 FROM audit_log WHERE seq = $1",
            )
            .bind(seq)
            .fetch_optional(&mut *conn)
            .await?
            .map(|r| audit_from_row(&r))
            .transpose()?,
            None => None,
        };
        if let Some(reason) = unvouched(d, audit.as_ref()) {
            return Err(Error::Protocol(format!(
                "the state store does not verify ({reason}); no gate state is computed from it. \
                 Run `dana audit verify` and restore the store from a backup"
            )));
        }
        if !phases.contains(&d.phase) {
            phases.push(d.phase.clone());
        }
    }
    Ok(phases)
}

/// Why `row` is not vouched for by `audit` (its binding audit row), if it is not.
pub fn unvouched<R: RowDigest>(row: &R, audit: Option<&AuditRow>) -> Option<String> {
    let name = format!("{} row `{}`", R::TABLE, row.row_id());
    let (bound_seq, bound_hash) = row.binding();
    let Some(seq) = bound_seq else {
        return Some(format!(
            "{name} is not bound to the audit chain: it was written outside dana"
        ));
    };
    let Some(audit) = audit.filter(|a| a.seq == seq) else {
        return Some(format!(
            "{name} is bound to audit row {seq}, which does not exist"
        ));
    };
    if Some(audit.hash.as_str()) != bound_hash || audit.compute_hash() != audit.hash {
        return Some(format!(
            "{name} is bound to audit row {seq}, whose hash does not match: one of them was rewritten"
        ));
    }
    if audit.event != "legacy_rows_bound" && audit.project_id.as_deref() != row.project() {
        return Some(format!(
            "{name} belongs to project `{}` but audit row {seq} records project `{}`",
            row.project().unwrap_or("-"),
            audit.project_id.as_deref().unwrap_or("-")
        ));
    }
    let payload: serde_json::Value = serde_json::from_str(&audit.payload).unwrap_or_default();
    let digest = row.digest();
    let id = row.row_id();
    let listed = payload["rows"].as_array().is_some_and(|rows| {
        rows.iter().any(|e| {
            e["table"] == R::TABLE
                && e["id"].as_str() == Some(id.as_str())
                && e["sha256"].as_str() == Some(digest.as_str())
        })
    });
    if !listed {
        return Some(format!(
            "{name} does not match what audit row {seq} recorded: it was changed, or inserted reusing another row's audit row"
        ));
    }
    None
}

async fn load_rows(conn: &mut AnyConnection, project: Option<&str>) -> Result<ProtocolRows> {
    macro_rules! fetch {
        ($base:expr) => {
            match project {
                Some(p) => {
                    sqlx::query(concat!($base, " WHERE project_id = $1 ORDER BY id"))
                        .bind(p)
                        .fetch_all(&mut *conn)
                        .await?
                }
                None => {
                    sqlx::query(concat!($base, " ORDER BY id"))
                        .fetch_all(&mut *conn)
                        .await?
                }
            }
        };
    }
    let artifacts = fetch!("SELECT id, project_id, phase, kind, version, tool, content, rendered, content_sha256, created_at, audit_seq, bound_seq, bound_hash FROM artifacts")
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
                bound_seq: r.try_get(11)?,
                bound_hash: r.try_get(12)?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let requests = fetch!("SELECT id, project_id, phase, gate_id, channel, token, snapshot, created_at, audit_seq, session, bound_seq, bound_hash FROM gate_requests")
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
                session: r.try_get(9)?,
                bound_seq: r.try_get(10)?,
                bound_hash: r.try_get(11)?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let decisions = fetch!("SELECT id, project_id, phase, gate_id, request_id, decision, reviewer, comment, os_user, interactive, channel, snapshot, created_at, audit_seq, signer, signature, bound_seq, bound_hash FROM gate_decisions")
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
                signer: r.try_get(14)?,
                signature: r.try_get(15)?,
                bound_seq: r.try_get(16)?,
                bound_hash: r.try_get(17)?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let clarifications = fetch!("SELECT id, project_id, phase, decision_id, question, asked_by, asked_at, audit_seq, answer, answered_by, answered_at, answer_audit_seq, bound_seq, bound_hash FROM clarifications")
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
                bound_seq: r.try_get(12)?,
                bound_hash: r.try_get(13)?,
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

/// Every row of every state table.
pub async fn load_all(conn: &mut AnyConnection) -> Result<AllRows> {
    let projects = sqlx::query(
        "SELECT id, name, description, created_at, bound_seq, bound_hash FROM projects ORDER BY id",
    )
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(super::project_from_row)
    .collect::<Result<Vec<_>>>()?;
    let protocol = load_rows(conn, None).await?;
    let reviewers = reviewer_rows(conn).await?;
    Ok(AllRows {
        projects,
        protocol,
        reviewers,
    })
}

/// Every registered reviewer, oldest first.
pub async fn reviewer_rows(conn: &mut AnyConnection) -> Result<Vec<ReviewerRow>> {
    sqlx::query(
        "SELECT id, name, public_key, salt, kdf, endorsed_by, endorsement, os_user, created_at, audit_seq, bound_seq, bound_hash FROM reviewers ORDER BY id",
    )
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| {
        Ok(ReviewerRow {
            id: r.try_get(0)?,
            name: r.try_get(1)?,
            public_key: r.try_get(2)?,
            salt: r.try_get(3)?,
            kdf: r.try_get(4)?,
            endorsed_by: r.try_get(5)?,
            endorsement: r.try_get(6)?,
            os_user: r.try_get(7)?,
            created_at: r.try_get(8)?,
            audit_seq: r.try_get(9)?,
            bound_seq: r.try_get(10)?,
            bound_hash: r.try_get(11)?,
        })
    })
    .collect()
}

pub async fn audit_all(conn: &mut AnyConnection) -> Result<Vec<AuditRow>> {
    sqlx::query(
        "SELECT seq, project_id, phase, event, actor, payload, created_at, prev_hash, hash \
         FROM audit_log ORDER BY seq",
    )
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(audit_from_row)
    .collect()
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
