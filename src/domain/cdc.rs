//! Log-based CDC for a database source: the Debezium source connector's Kafka Connect
//! configuration (one topic per table, snapshot mode, schema history, tombstones, heartbeat,
//! schema-registry converters), the record flattening the landing connector applies, and the
//! statements that apply a landed batch of change events to the target — the latest event
//! per key wins, deletes included. Secrets and hosts are `${file:...}` placeholders, never values.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::dialect::{self, SqlDialect, TableName};
use crate::error::{Error, Result};

use super::architecture::OpenQuestion;
use super::pipeline::DesignPipelineParams;

/// Question id asked when the source engine cannot be read from `source.system`.
pub const ENGINE_QUESTION: &str = "CDC-Q-ENGINE";
/// Question id asked when `source.object` (the captured table) is omitted.
pub const OBJECT_QUESTION: &str = "CDC-Q-OBJECT";

/// The CDC part of a pipeline design.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct CdcDesign {
    /// Source engine: postgres, mysql or mariadb.
    pub engine: String,
    /// Kafka Connect connector (`name` and `config`), ready to POST to `/connectors`.
    pub connector: Value,
    /// One topic per captured table.
    pub topics: Vec<String>,
    /// Record format and schema registry.
    pub format: String,
    /// `transforms.unwrap.*` of the connector that lands the topic in the staging table.
    pub unwrap: Value,
    /// The staging table one batch of change events is landed in.
    pub staging_table: String,
    /// Staging columns that order the events of one key.
    pub order_by: Vec<String>,
    /// Statements applying the staged batch to the target, in order (empty without
    /// `target.columns` or for an unknown target engine; see notes).
    pub apply_sql: Vec<String>,
    /// What to know before running it.
    pub notes: Vec<String>,
}

/// A source engine Debezium reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Engine {
    Postgres,
    MySql,
    MariaDb,
}

impl Engine {
    fn name(self) -> &'static str {
        match self {
            Engine::Postgres => "postgres",
            Engine::MySql => "mysql",
            Engine::MariaDb => "mariadb",
        }
    }

    fn connector_class(self) -> &'static str {
        match self {
            Engine::Postgres => "io.debezium.connector.postgresql.PostgresConnector",
            Engine::MySql => "io.debezium.connector.mysql.MySqlConnector",
            Engine::MariaDb => "io.debezium.connector.mariadb.MariaDbConnector",
        }
    }

    /// Source fields that order one key's events (`add.fields` of the flattening SMT):
    /// the WAL position for PostgreSQL; binlog file, event position and row in the event
    /// for MySQL/MariaDB.
    fn position_fields(self) -> &'static [&'static str] {
        match self {
            Engine::Postgres => &["lsn"],
            Engine::MySql | Engine::MariaDb => &["file", "pos", "row"],
        }
    }

    /// The engine named in a system name such as `postgres-orders` or `orders_pg`.
    fn from_system(system: &str) -> Option<Engine> {
        let lower = system.to_ascii_lowercase();
        let words: Vec<&str> = lower
            .split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|w| !w.is_empty())
            .collect();
        if words.iter().any(|w| w.contains("mariadb")) {
            Some(Engine::MariaDb)
        } else if words.iter().any(|w| w.contains("mysql")) {
            Some(Engine::MySql)
        } else if words
            .iter()
            .any(|w| w.starts_with("postgres") || matches!(*w, "pg" | "pgsql"))
        {
            Some(Engine::Postgres)
        } else {
            None
        }
    }
}

/// The CDC design of a pipeline whose extraction is `cdc` from a database, or the question
/// that must be answered first.
pub fn design(p: &DesignPipelineParams) -> Result<(Option<CdcDesign>, Option<OpenQuestion>)> {
    let Some(engine) = Engine::from_system(&p.source.system) else {
        let answers = [Engine::Postgres, Engine::MySql, Engine::MariaDb].map(|e| {
            (
                e.name().to_string(),
                format!("Debezium {}", e.connector_class()),
            )
        });
        let q = OpenQuestion::with_answers(
            ENGINE_QUESTION,
            "source.system",
            "Which engine is the CDC source: PostgreSQL, MySQL or MariaDB? Name it in source.system (e.g. `postgres-orders`).",
            answers,
        );
        return Ok((None, Some(q)));
    };
    let object = p
        .source
        .object
        .as_deref()
        .map(str::trim)
        .filter(|o| !o.is_empty());
    let Some(object) = object else {
        let q = OpenQuestion::with_answers(
            OBJECT_QUESTION,
            "source.object",
            "Which table does CDC capture? Give source.object as `schema.table` (`database.table` on MySQL/MariaDB).",
            [(
                "the table".to_string(),
                format!("Debezium {} capturing it", engine.connector_class()),
            )],
        );
        return Ok((None, Some(q)));
    };
    let (namespace, table) = match object.split_once('.') {
        Some((n, t)) if !n.is_empty() && !t.is_empty() && !t.contains('.') => (n, t),
        None if engine == Engine::Postgres => ("public", object),
        _ => {
            return Err(Error::invalid(format!(
                "source.object: `{object}` must be `{}.table` for CDC",
                if engine == Engine::Postgres {
                    "schema"
                } else {
                    "database"
                }
            )));
        }
    };
    let prefix = topic_prefix(&p.source.system);
    let secrets = format!("/opt/kafka/secrets/{prefix}.properties");
    let secret = |key: &str| format!("${{file:{secrets}:{key}}}");
    let mut c = Map::new();
    let mut put = |k: &str, v: String| {
        c.insert(k.to_string(), Value::String(v));
    };
    put("connector.class", engine.connector_class().into());
    put("tasks.max", "1".into());
    put("database.hostname", secret("hostname"));
    put("database.port", secret("port"));
    put("database.user", secret("user"));
    put("database.password", secret("password"));
    put("topic.prefix", prefix.clone());
    put(
        "table.include.list",
        format!("{}\\.{}", regex_escape(namespace), regex_escape(table)),
    );
    let slot = slot_name(&prefix);
    match engine {
        Engine::Postgres => {
            put("database.dbname", secret("dbname"));
            put("plugin.name", "pgoutput".into());
            put("slot.name", slot.clone());
            put("publication.name", format!("{slot}_pub"));
            put("publication.autocreate.mode", "filtered".into());
        }
        Engine::MySql | Engine::MariaDb => {
            put("database.include.list", regex_escape(namespace));
            put("database.server.id", server_id(&prefix).to_string());
            put(
                "schema.history.internal.kafka.bootstrap.servers",
                secret("bootstrap_servers"),
            );
            put(
                "schema.history.internal.kafka.topic",
                format!("schema-history.{prefix}"),
            );
            put("include.schema.changes", "false".into());
        }
    }
    put("snapshot.mode", "initial".into());
    put("tombstones.on.delete", "true".into());
    put("heartbeat.interval.ms", "60000".into());
    for side in ["key", "value"] {
        put(
            &format!("{side}.converter"),
            "io.confluent.connect.avro.AvroConverter".into(),
        );
        put(
            &format!("{side}.converter.schema.registry.url"),
            secret("schema_registry_url"),
        );
    }
    let connector = json!({ "name": format!("{prefix}-cdc"), "config": Value::Object(c) });
    let topic = format!("{prefix}.{namespace}.{table}");
    let add_fields: Vec<&str> = std::iter::once("op")
        .chain(engine.position_fields().iter().copied())
        .collect();
    let unwrap = json!({
        "type": "io.debezium.transforms.ExtractNewRecordState",
        "add.fields": add_fields.join(","),
        "delete.tombstone.handling.mode": "rewrite",
    });
    let order_by: Vec<String> = engine
        .position_fields()
        .iter()
        .map(|f| format!("__{f}"))
        .collect();
    let (target_schema, target_table) = match p.target.table.split_once('.') {
        Some((s, t)) => (Some(s), t),
        None => (None, p.target.table.as_str()),
    };
    let staging = TableName::new(target_schema, &format!("{target_table}_changes"));
    let mut notes = vec![
        format!(
            "Secrets and hosts come from {secrets} through Kafka Connect's FileConfigProvider (worker: config.providers=file, config.providers.file.class=org.apache.kafka.common.config.provider.FileConfigProvider); no value is in the config."
        ),
        "snapshot.mode initial reads every captured row once, then streams; the apply statements are idempotent, so rows already in a backfilled target are rewritten unchanged. For a target backfilled after the connector's start position, no_data streams changes only.".to_string(),
        "Format: Avro with the Confluent Schema Registry (schemas evolve under its compatibility check). For JSON, use org.apache.kafka.connect.json.JsonConverter with schemas.enable=true on both sides.".to_string(),
        "tombstones.on.delete true: each delete is followed by a null-value record, so a compacted topic drops the key; the landing connector's unwrap (rewrite) turns deletes into rows with __op = 'd' and drops the tombstones.".to_string(),
        "heartbeat.interval.ms keeps the source position moving on quiet tables (on PostgreSQL the slot would otherwise hold WAL).".to_string(),
    ];
    match engine {
        Engine::Postgres => notes.push(format!(
            "PostgreSQL: wal_level=logical; the user needs REPLICATION and SELECT on {namespace}.{table}; give the table REPLICA IDENTITY FULL if delete events must carry the old row, not only the key."
        )),
        Engine::MySql | Engine::MariaDb => notes.push(
            "Binlog: binlog_format=ROW, binlog_row_image=FULL; database.server.id must differ from every server and connector in the replication topology.".to_string(),
        ),
    }
    let mut apply_sql = Vec::new();
    if p.target.columns.is_empty() {
        notes.push(
            "No apply statements: give target.columns (the columns loaded besides merge_keys)."
                .to_string(),
        );
    } else if p.target.merge_keys.is_empty() {
        notes.push("No apply statements: the merge needs target.merge_keys.".to_string());
    } else {
        match dialect::by_name(&p.target.system) {
            Ok(d) => {
                let target = TableName::new(target_schema, target_table);
                apply_sql = apply_statements(
                    d,
                    &Apply {
                        target: &target,
                        staging: &staging,
                        keys: &p.target.merge_keys,
                        columns: &p.target.columns,
                        order_by: &order_by,
                        soft_delete: p.target.track_deletes == Some(true),
                    },
                )?;
                notes.push(format!(
                    "Apply one landed batch, then empty {}: the latest event per key wins (ordered by {}); {}.",
                    d.qualified_name(&staging)?,
                    order_by.join(", "),
                    if p.target.track_deletes == Some(true) {
                        "a delete sets is_deleted and deleted_at, which the target needs (boolean, and a timestamp defaulting to NULL); a key created and deleted within one batch never reaches the target"
                    } else {
                        "a delete removes the row"
                    }
                ));
            }
            Err(_) => notes.push(format!(
                "No apply statements: target.system `{}` is not a SQL dialect dana writes ({}).",
                p.target.system,
                dialect::NAMES.join(", ")
            )),
        }
    }
    let staging_name = match target_schema {
        Some(s) => format!("{s}.{}", staging.name),
        None => staging.name.clone(),
    };
    Ok((
        Some(CdcDesign {
            engine: engine.name().to_string(),
            connector,
            topics: vec![topic],
            format: "avro (Confluent Schema Registry)".to_string(),
            unwrap,
            staging_table: staging_name,
            order_by,
            apply_sql,
            notes,
        }),
        None,
    ))
}

/// What the apply statements need.
pub struct Apply<'a> {
    /// Target table.
    pub target: &'a TableName,
    /// Staging table of change events.
    pub staging: &'a TableName,
    /// Merge key columns.
    pub keys: &'a [String],
    /// Columns loaded besides the keys.
    pub columns: &'a [String],
    /// Staging columns ordering one key's events, most significant first.
    pub order_by: &'a [String],
    /// Mark deleted rows (`is_deleted`, `deleted_at`) instead of removing them.
    pub soft_delete: bool,
}

/// Statements applying the staged change events (`__op` c/r/u/d) to the target: deletes
/// (or marks) the keys whose latest event is a delete, then upserts the others' latest row.
/// An event delivered twice (Kafka Connect delivers at least once) is one row after DISTINCT.
pub fn apply_statements(d: &dyn SqlDialect, a: &Apply<'_>) -> Result<Vec<String>> {
    let q = |c: &str| d.quote_ident(c);
    let target = d.qualified_name(a.target)?;
    let staging = d
        .qualified_name(a.staging)
        .map_err(|e| Error::invalid(format!("target.table: {e}")))?;
    let keys = a
        .keys
        .iter()
        .map(|k| q(k).map_err(|e| Error::invalid(format!("target.merge_keys: {e}"))))
        .collect::<Result<Vec<_>>>()?;
    let cols = a
        .columns
        .iter()
        .map(|k| q(k).map_err(|e| Error::invalid(format!("target.columns: {e}"))))
        .collect::<Result<Vec<_>>>()?;
    if let Some(k) = a.columns.iter().find(|c| a.keys.contains(c)) {
        return Err(Error::invalid(format!(
            "target.columns: `{k}` is a merge key; list only the other columns"
        )));
    }
    let order = a
        .order_by
        .iter()
        .map(|c| q(c))
        .collect::<Result<Vec<_>>>()?;
    let op = q("__op")?;
    let del = d.string_literal("d")?;
    // `l` is a later event of the same key than `s`.
    let same_key = keys
        .iter()
        .map(|k| format!("l.{k} = s.{k}"))
        .collect::<Vec<_>>()
        .join(" AND ");
    let later = later_than(&order);
    let latest = format!("NOT EXISTS (SELECT 1 FROM {staging} AS l WHERE {same_key} AND {later})");
    let on_target = keys
        .iter()
        .map(|k| format!("s.{k} = {target}.{k}"))
        .collect::<Vec<_>>()
        .join(" AND ");
    let deleted_latest = format!(
        "EXISTS (SELECT 1 FROM {staging} AS s WHERE s.{op} = {del} AND {on_target} AND {latest})"
    );
    let (is_deleted, deleted_at) = (q("is_deleted")?, q("deleted_at")?);
    let first = if a.soft_delete {
        format!(
            "UPDATE {target} SET {is_deleted} = {t}, {deleted_at} = {now} WHERE {is_deleted} = {f} AND {deleted_latest}",
            t = d.boolean_literal(true),
            f = d.boolean_literal(false),
            now = d.load_timestamp(),
        )
    } else {
        format!("DELETE FROM {target} WHERE {deleted_latest}")
    };
    let mut insert_cols: Vec<String> = keys.iter().chain(&cols).cloned().collect();
    let mut select: Vec<String> = insert_cols.iter().map(|c| format!("s.{c}")).collect();
    // Each updated column with a literal, or `None` for the incoming value. Literals stay out
    // of the DISTINCT (PostgreSQL would type a bare NULL there as text); `deleted_at` is left
    // to its NULL default on insert.
    let mut set_cols: Vec<(String, Option<String>)> =
        cols.iter().map(|c| (c.clone(), None)).collect();
    if a.soft_delete {
        let live = d.boolean_literal(false).to_string();
        insert_cols.push(is_deleted.clone());
        select.push(live.clone());
        set_cols.extend([
            (is_deleted, Some(live)),
            (deleted_at, Some("NULL".to_string())),
        ]);
    }
    let set = |incoming: &dyn Fn(&str) -> String| {
        set_cols
            .iter()
            .map(|(c, lit)| format!("{c} = {}", lit.clone().unwrap_or_else(|| incoming(c))))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let source = format!(
        "SELECT DISTINCT {} FROM {staging} AS s WHERE s.{op} <> {del} AND {latest}",
        select.join(", ")
    );
    let upsert = match d.upsert_style() {
        dialect::UpsertStyle::OnConflict => format!(
            "INSERT INTO {target} ({}) {source} ON CONFLICT ({}) {}",
            insert_cols.join(", "),
            keys.join(", "),
            if set_cols.is_empty() {
                "DO NOTHING".to_string()
            } else {
                format!("DO UPDATE SET {}", set(&|c| format!("EXCLUDED.{c}")))
            }
        ),
        dialect::UpsertStyle::OnDuplicateKey => {
            let first_key = &keys[0];
            let sets = if set_cols.is_empty() {
                format!("{first_key} = {first_key}")
            } else {
                set(&|c| format!("VALUES({c})"))
            };
            format!(
                "INSERT INTO {target} ({}) {source} ON DUPLICATE KEY UPDATE {sets}",
                insert_cols.join(", "),
            )
        }
        dialect::UpsertStyle::Merge => {
            let aliased: Vec<String> = select
                .iter()
                .zip(&insert_cols)
                .map(|(e, c)| format!("{e} AS {c}"))
                .collect();
            let on = keys
                .iter()
                .map(|k| format!("t.{k} = n.{k}"))
                .collect::<Vec<_>>()
                .join(" AND ");
            let matched = if set_cols.is_empty() {
                String::new()
            } else {
                format!(
                    " WHEN MATCHED THEN UPDATE SET {}",
                    set(&|c| format!("n.{c}"))
                )
            };
            format!(
                "MERGE INTO {target} AS t USING (SELECT DISTINCT {} FROM {staging} AS s WHERE s.{op} <> {del} AND {latest}) AS n ON {on}{matched} WHEN NOT MATCHED THEN INSERT ({}) VALUES ({})",
                aliased.join(", "),
                insert_cols.join(", "),
                insert_cols
                    .iter()
                    .map(|c| format!("n.{c}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
    };
    Ok(vec![first, upsert])
}

/// `l` comes after `s` in the lexicographic order of `order` (quoted columns).
fn later_than(order: &[String]) -> String {
    match order {
        [] => "1 = 0".to_string(),
        [c] => format!("l.{c} > s.{c}"),
        [c, rest @ ..] => format!(
            "(l.{c} > s.{c} OR (l.{c} = s.{c} AND {}))",
            later_than(rest)
        ),
    }
}

/// Debezium's topic prefix from the system name: letters, digits, `_` and `-` kept, any
/// other character (`.` included, the topic separator) becomes `_`.
fn topic_prefix(system: &str) -> String {
    let s: String = system
        .trim()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if s.is_empty() {
        "source".to_string()
    } else {
        s
    }
}

/// A replication slot name: lower-case letters, digits and `_`, at most 63 bytes.
fn slot_name(prefix: &str) -> String {
    let s = crate::dialect::ident::ascii_word(prefix);
    let mut name = format!("dana_{s}");
    name.truncate(59);
    name
}

/// A stable replica server id for the connector in 184000..194000 (FNV-1a of the prefix).
fn server_id(prefix: &str) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for b in prefix.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    184_000 + h % 10_000
}

/// `s` with the regular-expression metacharacters escaped (Debezium's include lists are regexes).
fn regex_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if "\\.^$|?*+()[]{}".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
