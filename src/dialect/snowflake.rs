//! Snowflake: identifiers folded to upper case, only NOT NULL enforced (keys are
//! declared for tools and optimizers), automatic micro-partitions plus `CLUSTER BY`,
//! inline comments, `MERGE`.

use std::sync::LazyLock;

use super::ident::{Fold, IdentRules, LengthUnit, StringEscape};
use super::{
    CommentStyle, ConstraintSupport, Enforcement, IntervalUnit, LayoutRequest, SqlDialect,
    SurrogateColumn, TableLayout, TableName, UpdateStyle, unsupported_hints,
};
use crate::dialect::types::{LogicalType, PhysicalType};
use crate::error::Result;

/// Snowflake.
#[derive(Debug, Clone, Copy)]
pub struct Snowflake;

/// Reserved words beyond the SQL standard's, from Snowflake's published list
/// (<https://docs.snowflake.com/en/sql-reference/reserved-keywords>); no engine here to
/// derive them from.
/// Also quoted: words sqlglot, the independent parser the tests use, reads as keywords
/// in this dialect (`if`, `notnull`, `partitioned_by`, `uncache`, `xor`); quoting a name is always safe.
const RESERVED: &[&str] = &[
    "ACCOUNT",
    "CONNECTION",
    "DATABASE",
    "FOLLOWING",
    "GSCLUSTER",
    "IF",
    "ILIKE",
    "INCREMENT",
    "ISSUE",
    "LIMIT",
    "MINUS",
    "NOTNULL",
    "ORGANIZATION",
    "PARTITIONED_BY",
    "QUALIFY",
    "REGEXP",
    "RLIKE",
    "SAMPLE",
    "SCHEMA",
    "TRY_CAST",
    "UNCACHE",
    "VIEW",
    "XOR",
];

static RULES: LazyLock<IdentRules> = LazyLock::new(|| {
    IdentRules::standard(
        "Snowflake",
        '"',
        Fold::Upper,
        255,
        LengthUnit::Chars,
        RESERVED,
    )
});

impl SqlDialect for Snowflake {
    fn name(&self) -> &'static str {
        "snowflake"
    }
    fn title(&self) -> &'static str {
        "Snowflake"
    }
    fn aliases(&self) -> &'static [&'static str] {
        &["snow", "sf"]
    }
    fn parser_dialect(&self) -> Box<dyn sqlparser::dialect::Dialect> {
        Box::new(sqlparser::dialect::SnowflakeDialect)
    }
    fn ident_rules(&self) -> &'static IdentRules {
        &RULES
    }
    fn string_escape(&self) -> StringEscape {
        StringEscape::DoubleQuoteAndBackslash
    }
    fn physical_type(&self, logical: &LogicalType) -> PhysicalType {
        PhysicalType::exact(match logical {
            LogicalType::String(Some(n)) => format!("VARCHAR({n})"),
            LogicalType::String(None) | LogicalType::Text => "VARCHAR".into(),
            LogicalType::SmallInt => "SMALLINT".into(),
            LogicalType::Integer => "INTEGER".into(),
            LogicalType::BigInt => "BIGINT".into(),
            LogicalType::Decimal(p, s) => format!("NUMBER({p}, {s})"),
            LogicalType::Float => "FLOAT".into(),
            LogicalType::Boolean => "BOOLEAN".into(),
            LogicalType::Date => "DATE".into(),
            LogicalType::Time => "TIME".into(),
            LogicalType::Timestamp => "TIMESTAMP_NTZ".into(),
            LogicalType::TimestampTz => "TIMESTAMP_TZ".into(),
            LogicalType::Json => "VARIANT".into(),
            LogicalType::Binary => "BINARY".into(),
            LogicalType::Uuid => "VARCHAR(36)".into(),
        })
    }
    fn surrogate_key(
        &self,
        _table: &TableName,
        _column: &str,
        _sequence: &TableName,
    ) -> Result<SurrogateColumn> {
        Ok(SurrogateColumn {
            type_sql: "BIGINT".into(),
            key_type: LogicalType::BigInt,
            options: "IDENTITY(1, 1)".into(),
            inline_primary_key: false,
            before: Vec::new(),
            unknown_member_key: "-1".into(),
        })
    }
    fn has_indexes(&self) -> bool {
        false
    }
    fn constraints(&self) -> ConstraintSupport {
        ConstraintSupport {
            primary_key: Enforcement::Declared,
            unique: Enforcement::Declared,
            foreign_key: Enforcement::Declared,
            check: Enforcement::Unsupported,
            not_null: Enforcement::Enforced,
        }
    }
    fn table_layout(&self, _table: &TableName, request: &LayoutRequest<'_>) -> Result<TableLayout> {
        let mut layout = TableLayout::default();
        let mut keys: Vec<String> = Vec::new();
        if let Some((column, _, _)) = request.partition {
            keys.push(column.to_string());
            layout.notes.push(format!(
                "Snowflake micro-partitions automatically: the partition column {column} leads the clustering key instead"
            ));
        }
        for column in request.cluster {
            if !keys.contains(column) {
                keys.push(column.clone());
            }
        }
        if !keys.is_empty() {
            layout
                .clauses
                .push(format!("CLUSTER BY ({})", keys.join(", ")));
        }
        let rest = LayoutRequest {
            partition: None,
            cluster: &[],
            ..request.clone()
        };
        unsupported_hints(self.title(), &rest, false, false, true, &mut layout);
        if let Some(comment) = request.comment {
            layout
                .clauses
                .push(format!("COMMENT = {}", self.string_literal(comment)?));
        }
        Ok(layout)
    }
    fn comment_style(&self) -> CommentStyle {
        CommentStyle::Inline
    }
    fn update_style(&self) -> UpdateStyle {
        UpdateStyle::From
    }
    fn current_timestamp(&self) -> &'static str {
        "CURRENT_TIMESTAMP()"
    }
    fn timestamp_ago(&self, amount: u32, unit: IntervalUnit) -> String {
        format!(
            "DATEADD({}, -{amount}, CURRENT_TIMESTAMP())",
            unit.keyword().to_ascii_lowercase()
        )
    }
    fn regex_match(&self, expr: &str, pattern: &str) -> Result<Option<String>> {
        // REGEXP_LIKE anchors the whole string; REGEXP_INSTR finds a match anywhere.
        Ok(Some(format!(
            "REGEXP_INSTR({expr}, {}) > 0",
            self.string_literal(pattern)?
        )))
    }
}
