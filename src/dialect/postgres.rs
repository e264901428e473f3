//! PostgreSQL: double-quoted identifiers folded to lower case (63 bytes), every
//! constraint enforced, declarative partitioning, `COMMENT ON`, `INSERT ... ON CONFLICT`.

use std::sync::LazyLock;

use super::ident::{Fold, IdentRules, LengthUnit};
use super::{
    LayoutRequest, SqlDialect, TableLayout, TableName, UpdateStyle, UpsertStyle, unsupported_hints,
};
use crate::dialect::types::{LogicalType, PhysicalType};
use crate::error::Result;

/// PostgreSQL.
#[derive(Debug, Clone, Copy)]
pub struct Postgres;

/// Reserved words beyond the SQL standard's: `pg_get_keywords()` words of category R
/// (reserved) and T (type/function names), the ones that fail as unquoted column or table
/// names (checked against the engine by `tests/it/modeling/keywords.rs`).
const RESERVED: &[&str] = &[
    "ANALYSE",
    "ANALYZE",
    "ASC",
    "COLLATION",
    "CONCURRENTLY",
    "DEFERRABLE",
    "DESC",
    "DO",
    "FREEZE",
    "ILIKE",
    "INITIALLY",
    "ISNULL",
    "LIMIT",
    "NOTNULL",
    "OFFSET",
    "PLACING",
    "RETURNING",
    "VARIADIC",
    "VERBOSE",
];

static RULES: LazyLock<IdentRules> = LazyLock::new(|| {
    IdentRules::standard(
        "PostgreSQL",
        '"',
        Fold::Lower,
        63,
        LengthUnit::Bytes,
        RESERVED,
    )
});

impl SqlDialect for Postgres {
    fn distinct_in_shared_scan(&self) -> bool {
        false
    }
    fn name(&self) -> &'static str {
        "postgres"
    }
    fn title(&self) -> &'static str {
        "PostgreSQL"
    }
    fn aliases(&self) -> &'static [&'static str] {
        &["postgresql", "pg", "pgsql"]
    }
    fn parser_dialect(&self) -> Box<dyn sqlparser::dialect::Dialect> {
        Box::new(sqlparser::dialect::PostgreSqlDialect {})
    }
    fn ident_rules(&self) -> &'static IdentRules {
        &RULES
    }
    fn physical_type(&self, logical: &LogicalType) -> PhysicalType {
        PhysicalType::exact(match logical {
            LogicalType::String(Some(n)) => format!("VARCHAR({n})"),
            LogicalType::String(None) | LogicalType::Text => "TEXT".into(),
            LogicalType::SmallInt => "SMALLINT".into(),
            LogicalType::Integer => "INTEGER".into(),
            LogicalType::BigInt => "BIGINT".into(),
            LogicalType::Decimal(p, s) => format!("NUMERIC({p}, {s})"),
            LogicalType::Float => "DOUBLE PRECISION".into(),
            LogicalType::Boolean => "BOOLEAN".into(),
            LogicalType::Date => "DATE".into(),
            LogicalType::Time => "TIME".into(),
            LogicalType::Timestamp => "TIMESTAMP".into(),
            LogicalType::TimestampTz => "TIMESTAMPTZ".into(),
            LogicalType::Json => "JSONB".into(),
            LogicalType::Binary => "BYTEA".into(),
            LogicalType::Uuid => "UUID".into(),
        })
    }
    fn partition_keys_must_cover(&self) -> bool {
        true
    }
    fn creates_partitions(&self) -> bool {
        true
    }
    fn table_layout(&self, table: &TableName, request: &LayoutRequest<'_>) -> Result<TableLayout> {
        let mut layout = TableLayout::default();
        if let Some((column, _, grain)) = request.partition {
            layout
                .clauses
                .push(format!("PARTITION BY RANGE ({column})"));
            let parent = self.qualified_name(table)?;
            let mut ranges = 0;
            for partition in request.partitions {
                let name = self.qualified_name(&partition.name)?;
                let bounds = match &partition.range {
                    Some((from, to)) => {
                        ranges += 1;
                        format!(
                            "FOR VALUES FROM ({}) TO ({})",
                            self.string_literal(from)?,
                            self.string_literal(to)?
                        )
                    }
                    None => "DEFAULT".to_string(),
                };
                layout.after.push(format!(
                    "CREATE TABLE IF NOT EXISTS {name} PARTITION OF {parent} {bounds}"
                ));
            }
            layout.notes.push(if ranges == 0 {
                format!(
                    "{}: range-partitioned on {column}; rows land in the DEFAULT partition until you attach one partition per {} (CREATE TABLE ... PARTITION OF {parent} FOR VALUES FROM (...) TO (...)) or set physical.partition_from/partition_to",
                    table.name,
                    grain_word(grain)
                )
            } else {
                format!(
                    "{}: range-partitioned on {column}: {ranges} partitions of one {} each for the window, plus a DEFAULT partition for rows outside it",
                    table.name,
                    grain_word(grain)
                )
            });
        }
        let rest = LayoutRequest {
            partition: None,
            ..request.clone()
        };
        unsupported_hints(self.title(), &rest, false, true, true, &mut layout);
        Ok(layout)
    }
    fn upsert_style(&self) -> UpsertStyle {
        UpsertStyle::OnConflict
    }
    fn update_style(&self) -> UpdateStyle {
        UpdateStyle::From
    }
    fn load_timestamp(&self) -> &'static str {
        "now()"
    }
    fn timestamp_ago(&self, amount: u32, unit: super::IntervalUnit) -> String {
        format!("CURRENT_TIMESTAMP - INTERVAL '{amount} {}'", unit.plural())
    }
    // timestamptz as text follows the session TimeZone: hash the UTC instant in a fixed format.
    fn typed_hash_input(&self, expr: &str, ty: LogicalType) -> String {
        match ty {
            LogicalType::TimestampTz => format!(
                "COALESCE(to_char(CAST({expr} AS TIMESTAMPTZ) AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'), '')"
            ),
            _ => self.hash_input(expr),
        }
    }
}

pub(super) fn grain_word(grain: super::TimeGrain) -> &'static str {
    match grain {
        super::TimeGrain::Day => "day",
        super::TimeGrain::Month => "month",
        super::TimeGrain::Year => "year",
    }
}
