//! DuckDB: PostgreSQL-like SQL, sequences for surrogate keys, enforced keys, no table
//! partitioning in DDL (it partitions on write), `INSERT ... ON CONFLICT`.

use std::sync::LazyLock;

use super::ident::{Fold, IdentRules, LengthUnit};
use super::{
    LayoutRequest, SqlDialect, SurrogateColumn, SurrogateKeyStyle, TableLayout, TableName,
    UpdateStyle, UpsertStyle, unsupported_hints,
};
use crate::dialect::types::{LogicalType, PhysicalType};
use crate::error::Result;

/// DuckDB 1.x.
#[derive(Debug, Clone, Copy)]
pub struct DuckDb;

/// Reserved words beyond the SQL standard's.
const RESERVED: &[&str] = &[
    "ANALYSE",
    "ANALYZE",
    "ASC",
    "COLLATION",
    "DEFERRABLE",
    "DESC",
    "DESCRIBE",
    "DO",
    "ILIKE",
    "INITIALLY",
    "LIMIT",
    "OFFSET",
    "PIVOT",
    "PIVOT_LONGER",
    "PIVOT_WIDER",
    "PLACING",
    "QUALIFY",
    "RETURNING",
    "SHOW",
    "SUMMARIZE",
    "UNPIVOT",
    "VARIADIC",
];

static RULES: LazyLock<IdentRules> = LazyLock::new(|| {
    IdentRules::standard(
        "DuckDB (dana's limit; DuckDB has none)",
        '"',
        Fold::Preserve,
        1024,
        LengthUnit::Chars,
        RESERVED,
    )
});

impl SqlDialect for DuckDb {
    fn name(&self) -> &'static str {
        "duckdb"
    }
    fn title(&self) -> &'static str {
        "DuckDB"
    }
    fn aliases(&self) -> &'static [&'static str] {
        &["duck", "motherduck"]
    }
    fn parser_dialect(&self) -> Box<dyn sqlparser::dialect::Dialect> {
        Box::new(sqlparser::dialect::DuckDbDialect {})
    }
    fn ident_rules(&self) -> &'static IdentRules {
        &RULES
    }
    fn physical_type(&self, logical: &LogicalType) -> PhysicalType {
        PhysicalType::exact(match logical {
            LogicalType::String(Some(n)) => format!("VARCHAR({n})"),
            LogicalType::String(None) | LogicalType::Text => "VARCHAR".into(),
            LogicalType::SmallInt => "SMALLINT".into(),
            LogicalType::Integer => "INTEGER".into(),
            LogicalType::BigInt => "BIGINT".into(),
            LogicalType::Decimal(p, s) => format!("DECIMAL({p}, {s})"),
            LogicalType::Float => "DOUBLE".into(),
            LogicalType::Boolean => "BOOLEAN".into(),
            LogicalType::Date => "DATE".into(),
            LogicalType::Time => "TIME".into(),
            LogicalType::Timestamp => "TIMESTAMP".into(),
            LogicalType::TimestampTz => "TIMESTAMPTZ".into(),
            LogicalType::Json => "JSON".into(),
            LogicalType::Binary => "BLOB".into(),
            LogicalType::Uuid => "UUID".into(),
        })
    }
    fn surrogate_key_style(&self) -> SurrogateKeyStyle {
        SurrogateKeyStyle::Sequence
    }
    fn surrogate_key(&self, table: &TableName, _column: &str) -> Result<SurrogateColumn> {
        let sequence = TableName {
            schema: table.schema.clone(),
            name: format!("seq_{}", table.name),
        };
        let quoted = self.qualified_name(&sequence)?;
        Ok(SurrogateColumn {
            type_sql: "BIGINT".into(),
            key_type: LogicalType::BigInt,
            options: format!("DEFAULT nextval({})", self.string_literal(&quoted)?),
            inline_primary_key: false,
            before: vec![format!("CREATE SEQUENCE IF NOT EXISTS {quoted} START 1")],
            unknown_member_key: "-1".into(),
        })
    }
    fn table_layout(&self, _table: &TableName, request: &LayoutRequest<'_>) -> Result<TableLayout> {
        let mut layout = TableLayout::default();
        if request.partition.is_some() {
            layout.notes.push(
                "DuckDB partitions files on write (COPY ... TO ... (PARTITION_BY (...))), not tables: partition hint left out".into(),
            );
        }
        unsupported_hints(self.title(), request, false, true, true, &mut layout);
        Ok(layout)
    }
    fn upsert_style(&self) -> UpsertStyle {
        UpsertStyle::OnConflict
    }
    fn update_style(&self) -> UpdateStyle {
        UpdateStyle::From
    }
    fn timestamp_ago(&self, amount: u32, unit: super::IntervalUnit) -> String {
        format!("CURRENT_TIMESTAMP - INTERVAL '{amount} {}'", unit.plural())
    }
    fn regex_match(&self, expr: &str, pattern: &str) -> Result<Option<String>> {
        Ok(Some(format!(
            "regexp_matches({expr}, {})",
            self.string_literal(pattern)?
        )))
    }
}
