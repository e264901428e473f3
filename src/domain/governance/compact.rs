//! Compact output schemas. `tools/list` must stay small (≈ 40 KB for every tool), and
//! the derived schemas of the governance results are tens of kilobytes each; the agent
//! reads the structured result itself, so each result announces its top-level fields
//! with one line each and leaves nested shapes out.

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};

use super::{CatalogEntry, Classification, DataContract, SchemaDiff};

macro_rules! compact {
    ($ty:ty, $name:literal, $schema:tt) => {
        impl JsonSchema for $ty {
            fn schema_name() -> Cow<'static, str> {
                Cow::Borrowed($name)
            }
            fn json_schema(_: &mut SchemaGenerator) -> Schema {
                json_schema!($schema)
            }
        }
    };
}

compact!(DataContract, "DataContract", {
    "type": "object",
    "description": "An ODCS v3 data contract for one table.",
    "properties": {
        "id": {"type": "string", "description": "Contract id."},
        "table": {"type": "string"},
        "version": {"type": "string"},
        "policy": {"type": "string", "description": "Breaking-change policy."},
        "classification": {"type": "string", "description": "Table level: public, internal, confidential, restricted."},
        "pii_columns": {"type": "array", "items": {"type": "string"}},
        "quality_rules": {"type": "integer"},
        "yaml": {"type": "string", "description": "The contract as ODCS YAML (save it as <table>.odcs.yaml)."},
        "questions": {"type": "array", "items": {"type": "string"}, "description": "Facts the contract lacks."}
    },
    "required": ["id", "table", "version", "policy", "classification", "pii_columns", "quality_rules", "yaml", "questions"]
});

compact!(SchemaDiff, "SchemaDiff", {
    "type": "object",
    "description": "Classified schema changes and the policy's decision.",
    "properties": {
        "old": {"type": "object", "description": "kind, label, version, tables."},
        "new": {"type": "object", "description": "kind, label, version, tables."},
        "verdict": {"type": "string", "enum": ["no_change", "non_breaking", "needs_review", "breaking"]},
        "counts": {"type": "object", "description": "breaking, needs_review, non_breaking."},
        "changes": {"type": "array", "items": {"type": "object"}, "description": "Per change: rule (CHG-…), kind, table, column, verdict, affects (producers/consumers/both/none), summary, evidence[], guess, confidence."},
        "policy": {"type": "object", "description": "policy, code, source, decision (allowed/allowed_after_review/allowed_after_notice/refused), refused, required_actions[], required_version, effective_not_before."}
    },
    "required": ["old", "new", "verdict", "counts", "changes", "policy"]
});

compact!(Classification, "Classification", {
    "type": "object",
    "description": "PII classification of a table; sampled values appear masked only.",
    "properties": {
        "table": {"type": "string"},
        "level": {"type": "string", "description": "Table level (the highest of its columns)."},
        "level_code": {"type": "string"},
        "controls": {"type": "array", "items": {"type": "object"}, "description": "id, title, description of each control of the level."},
        "pii_columns": {"type": "array", "items": {"type": "string"}},
        "columns": {"type": "array", "items": {"type": "object"}, "description": "Per column: column, pii, kind, level, confidence, controls[], detections[] (detector, kind, confidence, basis, evidence[])."},
        "warnings": {"type": "array", "items": {"type": "object"}, "description": "column, detector, message: embedded PII in free text, names contradicted by values or types."},
        "deletion": {"type": "object", "description": "Right to delete: subject_keys, propagate_to[] (table, via, source), lineage_known, steps[]."},
        "sampled": {"type": "object", "description": "source, rows."},
        "masking": {"type": "object", "description": "view, columns[] (column, rule), statements[], notes[]."}
    },
    "required": ["table", "level", "level_code", "controls", "pii_columns", "columns", "warnings"]
});

compact!(CatalogEntry, "CatalogEntry", {
    "type": "object",
    "description": "A catalog entry; unknown facts are questions, never invented.",
    "properties": {
        "yaml": {"type": "string", "description": "The entry as catalog YAML: dataset (name, description, owner_team, steward, domain, tier, lineage, refresh, quality, access, usage), open fields commented with their question."},
        "questions": {"type": "array", "items": {"type": "object"}, "description": "id (CAT-…), path, question."},
        "filled": {"type": "array", "items": {"type": "object"}, "description": "path, from (given, schema, contract, classification, name prefix)."}
    },
    "required": ["yaml", "questions", "filled"]
});
