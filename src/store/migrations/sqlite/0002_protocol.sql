-- The protocol: artifacts, gate requests and decisions, clarifications and the
-- hash-chained audit log. Every write happens in a `BEGIN IMMEDIATE` transaction that
-- also appends the audit row, so state and audit never disagree.

CREATE TABLE audit_log (
    seq         INTEGER PRIMARY KEY,           -- 1, 2, 3, … without gaps (assigned under the write lock)
    project_id  TEXT,
    phase       TEXT,
    event       TEXT NOT NULL,
    actor       TEXT NOT NULL,
    payload     TEXT NOT NULL,                 -- canonical JSON
    created_at  TEXT NOT NULL,
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL UNIQUE
);
CREATE INDEX audit_log_project ON audit_log(project_id, seq);

-- The audit log is insert-only.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is insert-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is insert-only');
END;

CREATE TABLE artifacts (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id     TEXT NOT NULL REFERENCES projects(id),
    phase          TEXT NOT NULL,
    kind           TEXT NOT NULL,
    version        INTEGER NOT NULL,
    tool           TEXT NOT NULL,
    content        TEXT NOT NULL,
    rendered       TEXT,
    content_sha256 TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    audit_seq      INTEGER NOT NULL REFERENCES audit_log(seq),
    UNIQUE (project_id, kind, version)
);
CREATE INDEX artifacts_project ON artifacts(project_id, phase, kind, version);

CREATE TABLE gate_requests (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id  TEXT NOT NULL REFERENCES projects(id),
    phase       TEXT NOT NULL,
    gate_id     TEXT NOT NULL,
    channel     TEXT NOT NULL CHECK (channel IN ('elicitation', 'input_required', 'pending')),
    token       TEXT NOT NULL UNIQUE,
    snapshot    TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    audit_seq   INTEGER NOT NULL REFERENCES audit_log(seq)
);
CREATE INDEX gate_requests_project ON gate_requests(project_id, phase, id);

CREATE TABLE gate_decisions (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id  TEXT NOT NULL REFERENCES projects(id),
    phase       TEXT NOT NULL,
    gate_id     TEXT NOT NULL,
    request_id  INTEGER REFERENCES gate_requests(id),
    decision    TEXT NOT NULL CHECK (decision IN ('approved', 'rejected', 'clarify', 'declined', 'cancelled')),
    reviewer    TEXT NOT NULL,
    comment     TEXT NOT NULL,
    os_user     TEXT NOT NULL,
    interactive INTEGER NOT NULL,
    channel     TEXT NOT NULL,
    snapshot    TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    audit_seq   INTEGER NOT NULL REFERENCES audit_log(seq)
);
CREATE INDEX gate_decisions_project ON gate_decisions(project_id, phase, id);
-- A request is answered at most once; a gate is approved at most once.
CREATE UNIQUE INDEX gate_decisions_one_answer ON gate_decisions(request_id) WHERE request_id IS NOT NULL;
CREATE UNIQUE INDEX gate_decisions_one_approval ON gate_decisions(project_id, phase) WHERE decision = 'approved';

CREATE TABLE clarifications (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id        TEXT NOT NULL REFERENCES projects(id),
    phase             TEXT NOT NULL,
    decision_id       INTEGER NOT NULL REFERENCES gate_decisions(id),
    question          TEXT NOT NULL,
    asked_by          TEXT NOT NULL,
    asked_at          TEXT NOT NULL,
    audit_seq         INTEGER NOT NULL REFERENCES audit_log(seq),
    answer            TEXT,
    answered_by       TEXT,
    answered_at       TEXT,
    answer_audit_seq  INTEGER REFERENCES audit_log(seq)
);
CREATE INDEX clarifications_project ON clarifications(project_id, phase, id);
