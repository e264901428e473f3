-- Every state-bearing row is bound to the audit chain: `bound_seq` is the audit row whose
-- payload lists this row (table, id and SHA-256 of its columns), `bound_hash` that audit
-- row's hash. `dana audit verify` checks every row of every table against the chain, and
-- the gate state machine refuses a store that does not verify. Rows written before this
-- migration are bound once, on the first open after it, by one `legacy_rows_bound` row.
--
-- Also: the session a review was sent to (answers must come back on it), reviewers with
-- their public keys (`dana reviewer add`), and the reviewer's signature on decisions.

ALTER TABLE projects ADD COLUMN bound_seq INTEGER;
ALTER TABLE projects ADD COLUMN bound_hash TEXT;
ALTER TABLE artifacts ADD COLUMN bound_seq INTEGER;
ALTER TABLE artifacts ADD COLUMN bound_hash TEXT;
ALTER TABLE gate_requests ADD COLUMN bound_seq INTEGER;
ALTER TABLE gate_requests ADD COLUMN bound_hash TEXT;
ALTER TABLE gate_requests ADD COLUMN session TEXT;
ALTER TABLE gate_decisions ADD COLUMN bound_seq INTEGER;
ALTER TABLE gate_decisions ADD COLUMN bound_hash TEXT;
ALTER TABLE gate_decisions ADD COLUMN signer TEXT;
ALTER TABLE gate_decisions ADD COLUMN signature TEXT;
ALTER TABLE clarifications ADD COLUMN bound_seq INTEGER;
ALTER TABLE clarifications ADD COLUMN bound_hash TEXT;

CREATE TABLE reviewers (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL UNIQUE,
    public_key   TEXT NOT NULL,                -- ed25519, hex
    salt         TEXT NOT NULL,                -- argon2id salt, hex
    kdf          TEXT NOT NULL,                -- argon2id parameters, JSON
    endorsed_by  TEXT,                         -- the reviewer who vouched for this one
    endorsement  TEXT,                         -- their signature over this reviewer's key
    os_user      TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    audit_seq    INTEGER NOT NULL REFERENCES audit_log(seq),
    bound_seq    INTEGER,
    bound_hash   TEXT
);
