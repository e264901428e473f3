//! Registered reviewers: what makes a human decision something an agent cannot record.
//!
//! `dana reviewer add NAME` reads a passphrase from the terminal, derives an ed25519 key
//! from it with argon2id (the salt and parameters are stored, the passphrase and the
//! private key never are) and records the public key in the store, bound to the audit
//! chain. Once a reviewer exists, every approval, rejection and Clarify is signed: `dana
//! gate approve|reject|clarify` asks for the reviewer's passphrase and stores the
//! signature over the decision's canonical payload (project, phase, gate, verdict,
//! comment, the snapshot with the artifacts' content hashes and the effective playbooks'
//! hash, and the time). `dana audit verify` checks every signature; an unsigned decision
//! after the first reviewer was registered does not verify. A further reviewer must be
//! endorsed by an existing one (their signature over the new name and key).
//!
//! An agent that does not know a reviewer's passphrase cannot sign, whatever it runs
//! (a pseudo-terminal included) and whatever it writes into the store.

use std::io::BufRead;

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde_json::{Value, json};

use super::audit::BadRow;
use crate::App;
use crate::error::{Error, Result};
use crate::store::protocol::{
    AllRows, Audit, AuditRow, GateDecisionRow, ReviewerRow, canonical_json,
};

/// Environment variable naming a file descriptor to read the passphrase from (one line),
/// instead of the terminal: for tests and scripted setups. Whoever sets it still needs
/// to know the passphrase.
pub const PASSPHRASE_FD_ENV: &str = "DANA_REVIEWER_PASSPHRASE_FD";

/// argon2id parameters (OWASP's minimum for argon2id: 19 MiB, 2 passes, 1 lane).
const KDF_MEMORY_KIB: u32 = 19 * 1024;
const KDF_PASSES: u32 = 2;
const KDF_LANES: u32 = 1;

/// Decisions that must carry a signature once reviewers exist.
pub fn must_be_signed(decision: &str) -> bool {
    matches!(decision, "approved" | "rejected" | "clarify")
}

/// Whether any reviewer is registered.
pub async fn any(app: &App) -> Result<bool> {
    Ok(!app.store().await?.reviewers().await?.is_empty())
}

/// Reads a passphrase: from the descriptor in [`PASSPHRASE_FD_ENV`] when set, else from
/// the terminal (never echoed). Refuses when there is no terminal. Returns the passphrase
/// and whether it was typed at a terminal.
pub fn read_passphrase(prompt: &str) -> Result<(String, bool)> {
    if let Ok(fd) = std::env::var(PASSPHRASE_FD_ENV) {
        let fd: u32 = fd.trim().parse().map_err(|_| {
            Error::invalid(format!(
                "{PASSPHRASE_FD_ENV}: `{fd}` is not a file descriptor number"
            ))
        })?;
        let path = format!("/proc/self/fd/{fd}");
        let file = std::fs::File::open(&path).map_err(|e| Error::io("read", &path, e))?;
        let mut line = String::new();
        std::io::BufReader::new(file)
            .read_line(&mut line)
            .map_err(|e| Error::io("read", &path, e))?;
        return Ok((line.trim_end_matches(['\n', '\r']).to_string(), false));
    }
    use std::io::IsTerminal;
    if !std::io::stdin().is_terminal() {
        return Err(Error::invalid(
            "stdin is not a terminal: a reviewer's passphrase is typed by the reviewer at a terminal",
        ));
    }
    let pass = rpassword::prompt_password(prompt).map_err(|e| Error::io("read", "/dev/tty", e))?;
    Ok((pass, true))
}

fn kdf_params() -> Value {
    json!({"alg": "argon2id", "m_kib": KDF_MEMORY_KIB, "t": KDF_PASSES, "p": KDF_LANES, "v": 19})
}

/// The signing key a passphrase gives with this salt and these parameters.
pub fn derive_key(passphrase: &str, salt: &[u8], kdf: &str) -> Result<SigningKey> {
    let p: Value = serde_json::from_str(kdf)
        .map_err(|e| Error::invalid(format!("reviewer key parameters are not JSON: {e}")))?;
    let num = |k: &str| p[k].as_u64().and_then(|v| u32::try_from(v).ok());
    let (Some(m), Some(t), Some(lanes)) = (num("m_kib"), num("t"), num("p")) else {
        return Err(Error::invalid("reviewer key parameters are incomplete"));
    };
    let params = argon2::Params::new(m, t, lanes, Some(32))
        .map_err(|e| Error::invalid(format!("reviewer key parameters: {e}")))?;
    let argon = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let mut seed = [0u8; 32];
    argon
        .hash_password_into(passphrase.as_bytes(), salt, &mut seed)
        .map_err(|e| Error::invalid(format!("deriving the reviewer key: {e}")))?;
    Ok(SigningKey::from_bytes(&seed))
}

/// The key of a registered reviewer, from their passphrase; a wrong passphrase is an error.
pub fn unlock(reviewer: &ReviewerRow, passphrase: &str) -> Result<SigningKey> {
    let salt =
        hex::decode(&reviewer.salt).map_err(|_| Error::invalid("reviewer salt is not hex"))?;
    let key = derive_key(passphrase, &salt, &reviewer.kdf)?;
    if hex::encode(key.verifying_key().to_bytes()) != reviewer.public_key {
        return Err(Error::invalid(format!(
            "passphrase: wrong passphrase for reviewer `{}`; nothing was recorded",
            crate::sanitize::sanitize_line(&reviewer.name)
        )));
    }
    Ok(key)
}

/// Signs a message; hex signature.
pub fn sign(key: &SigningKey, message: &str) -> String {
    hex::encode(key.sign(message.as_bytes()).to_bytes())
}

/// Whether `signature` (hex) is `public_key`'s (hex) over `message`.
pub fn verify_signature(public_key: &str, message: &str, signature: &str) -> bool {
    let (Ok(pk), Ok(sig)) = (hex::decode(public_key), hex::decode(signature)) else {
        return false;
    };
    let (Ok(pk), Ok(sig)) = (
        <[u8; 32]>::try_from(pk.as_slice()),
        <[u8; 64]>::try_from(sig.as_slice()),
    ) else {
        return false;
    };
    let Ok(vk) = VerifyingKey::from_bytes(&pk) else {
        return false;
    };
    vk.verify(message.as_bytes(), &Signature::from_bytes(&sig))
        .is_ok()
}

/// What a reviewer signs for a decision: canonical JSON of the fields that decide a gate.
#[allow(clippy::too_many_arguments)]
pub fn decision_message(
    project: &str,
    phase: &str,
    gate: &str,
    decision: &str,
    reviewer: &str,
    comment: &str,
    snapshot: &Value,
    signed_at: &str,
) -> String {
    canonical_json(&json!({
        "dana": "gate-decision/v1",
        "project": project,
        "phase": phase,
        "gate": gate,
        "decision": decision,
        "reviewer": reviewer,
        "comment": comment,
        "snapshot": snapshot,
        "signed_at": signed_at,
    }))
}

fn decision_message_of(d: &GateDecisionRow) -> String {
    let snapshot: Value = serde_json::from_str(&d.snapshot).unwrap_or(Value::Null);
    decision_message(
        &d.project_id,
        &d.phase,
        &d.gate_id,
        &d.decision,
        &d.reviewer,
        &d.comment,
        &snapshot,
        &d.created_at,
    )
}

fn endorsement_message(name: &str, public_key: &str) -> String {
    canonical_json(
        &json!({"dana": "reviewer-endorsement/v1", "name": name, "public_key": public_key}),
    )
}

/// Registers a reviewer. `endorser`: an existing reviewer and their passphrase (required
/// once any reviewer exists).
pub async fn add(
    app: &App,
    name: &str,
    passphrase: &str,
    endorser: Option<(&str, &str)>,
) -> Result<ReviewerRow> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(Error::invalid(
            "name: give the reviewer's name (1 to 200 characters)",
        ));
    }
    if name.chars().any(|c| c.is_control()) {
        return Err(Error::invalid("name: control characters are not allowed"));
    }
    if passphrase.chars().count() < 12 {
        return Err(Error::invalid(
            "passphrase: at least 12 characters (it is all that stands between an agent and an approval)",
        ));
    }
    let store = app.store().await?;
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt)
        .map_err(|e| Error::invalid(format!("no randomness available: {e}")))?;
    let kdf = canonical_json(&kdf_params());
    let key = derive_key(passphrase, &salt, &kdf)?;
    let public_key = hex::encode(key.verifying_key().to_bytes());
    let mut tx = store.begin_locked().await?;
    super::audit::require_verified(app, tx.conn()).await?;
    let existing = crate::store::protocol::reviewer_rows(tx.conn()).await?;
    if existing.iter().any(|r| r.name == name) {
        return Err(Error::invalid(format!(
            "name: reviewer `{name}` already exists"
        )));
    }
    let (endorsed_by, endorsement) = match (existing.is_empty(), endorser) {
        (true, _) => (None, None),
        (false, None) => {
            return Err(Error::invalid(format!(
                "endorsed-by: reviewers exist ({}); a new one must be endorsed by one of them with `--endorsed-by NAME` and their passphrase",
                existing
                    .iter()
                    .map(|r| format!("`{}`", r.name))
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        (false, Some((by, by_pass))) => {
            let by_row = existing.iter().find(|r| r.name == by).ok_or_else(|| {
                Error::not_found("reviewer", by, existing.iter().map(|r| r.name.as_str()))
            })?;
            let by_key = unlock(by_row, by_pass)?;
            (
                Some(by_row.name.clone()),
                Some(sign(&by_key, &endorsement_message(name, &public_key))),
            )
        }
    };
    let os_user = super::gate::os_user();
    let mut row = ReviewerRow {
        id: 0,
        name: name.to_string(),
        public_key: public_key.clone(),
        salt: hex::encode(salt),
        kdf,
        endorsed_by: endorsed_by.clone(),
        endorsement,
        os_user: os_user.clone(),
        created_at: crate::store::now(),
        audit_seq: 0,
        bound_seq: None,
        bound_hash: None,
    };
    tx.insert_reviewer(
        &mut row,
        Audit {
            project: None,
            phase: None,
            event: "reviewer_added",
            actor: &os_user,
            payload: json!({"name": name, "public_key": public_key, "endorsed_by": endorsed_by}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(row)
}

/// The reviewers whose registration holds: the first one, then each one endorsed (with a
/// valid signature) by an earlier one that holds.
pub fn trusted(reviewers: &[ReviewerRow]) -> Vec<ReviewerRow> {
    let mut sorted: Vec<&ReviewerRow> = reviewers.iter().collect();
    sorted.sort_by_key(|r| r.audit_seq);
    let mut out: Vec<ReviewerRow> = Vec::new();
    for r in sorted {
        let ok = out.is_empty()
            || r.endorsed_by.as_deref().is_some_and(|by| {
                out.iter().any(|e| {
                    e.name == by
                        && r.endorsement.as_deref().is_some_and(|sig| {
                            verify_signature(
                                &e.public_key,
                                &endorsement_message(&r.name, &r.public_key),
                                sig,
                            )
                        })
                })
            });
        if ok {
            out.push(r.clone());
        }
    }
    out
}

/// Whether a decision is acceptable given the registered reviewers: signed by one of
/// them registered before it, over what it records; or unsigned and not a human verdict
/// recorded after the first reviewer.
pub fn decision_ok(d: &GateDecisionRow, reviewers: &[ReviewerRow]) -> bool {
    match (&d.signer, &d.signature) {
        (Some(signer), Some(sig)) => reviewers.iter().any(|k| {
            &k.name == signer
                && k.audit_seq < d.audit_seq
                && d.reviewer == k.name
                && verify_signature(&k.public_key, &decision_message_of(d), sig)
        }),
        _ => {
            let first = reviewers.iter().map(|r| r.audit_seq).min();
            !(first.is_some_and(|f| d.audit_seq > f) && must_be_signed(&d.decision))
        }
    }
}

/// The first decision or reviewer whose signature does not hold: reviewers after the
/// first need a valid endorsement by an earlier one; once the first reviewer exists,
/// every approval, rejection and Clarify recorded after it is signed by a registered
/// reviewer whose name it carries.
pub fn check_signatures(_app: &App, audit: &[AuditRow], all: &AllRows) -> Option<BadRow> {
    let _ = audit;
    let mut reviewers: Vec<&ReviewerRow> = all.reviewers.iter().collect();
    reviewers.sort_by_key(|r| r.audit_seq);
    let bad = |table: &str, id: String, seq: i64, reason: String| BadRow {
        seq,
        table: table.to_string(),
        id,
        reason,
    };
    for (i, r) in reviewers.iter().enumerate() {
        if i == 0 {
            continue;
        }
        let endorser = r
            .endorsed_by
            .as_deref()
            .and_then(|by| reviewers[..i].iter().find(|e| e.name == by));
        let ok = match (endorser, &r.endorsement) {
            (Some(e), Some(sig)) => verify_signature(
                &e.public_key,
                &endorsement_message(&r.name, &r.public_key),
                sig,
            ),
            _ => false,
        };
        if !ok {
            return Some(bad(
                "reviewers",
                r.id.to_string(),
                r.audit_seq,
                format!(
                    "reviewer `{}` carries no valid endorsement by an earlier reviewer: it was not added with `dana reviewer add --endorsed-by`",
                    r.name
                ),
            ));
        }
    }
    let first = reviewers.first().map(|r| r.audit_seq)?;
    let mut decisions: Vec<&GateDecisionRow> = all.protocol.decisions.iter().collect();
    decisions.sort_by_key(|d| d.audit_seq);
    for d in decisions {
        if let (Some(signer), Some(sig)) = (&d.signer, &d.signature) {
            let key = reviewers
                .iter()
                .find(|r| &r.name == signer && r.audit_seq < d.audit_seq);
            let ok = key.is_some_and(|k| {
                d.reviewer == k.name
                    && verify_signature(&k.public_key, &decision_message_of(d), sig)
            });
            if !ok {
                return Some(bad(
                    "gate_decisions",
                    d.id.to_string(),
                    d.audit_seq,
                    format!(
                        "decision `{}` on gate `{}` of project `{}` carries a signature that is not reviewer `{signer}`'s over what it records",
                        d.decision, d.gate_id, d.project_id
                    ),
                ));
            }
        } else if d.audit_seq > first && must_be_signed(&d.decision) {
            return Some(bad(
                "gate_decisions",
                d.id.to_string(),
                d.audit_seq,
                format!(
                    "decision `{}` on gate `{}` of project `{}` is not signed, though reviewers were registered before it: it was not made by a reviewer",
                    d.decision, d.gate_id, d.project_id
                ),
            ));
        }
    }
    None
}
