//! MySQL and MariaDB: backtick identifiers (64 characters, BMP only), InnoDB enforces
//! keys and checks, inline `COMMENT`, `INSERT ... ON DUPLICATE KEY UPDATE`, no MERGE.

use std::sync::LazyLock;

use super::ident::{Fold, IdentRules, LengthUnit, StringEscape};
use super::{
    CommentStyle, IntervalUnit, LayoutRequest, SqlDialect, SurrogateColumn, SurrogateKeyStyle,
    TableLayout, TableName, UpdateStyle, UpsertStyle, unsupported_hints,
};
use crate::dialect::types::{LogicalType, PhysicalType};
use crate::error::Result;

/// MySQL 8 and MariaDB 10.5+.
#[derive(Debug, Clone, Copy)]
pub struct MySql;

/// Reserved words beyond the SQL standard's.
const RESERVED: &[&str] = &[
    "ACCESSIBLE",
    "ADD",
    "ANALYZE",
    "ASC",
    "BEFORE",
    "CASCADE",
    "CHANGE",
    "DATABASE",
    "DATABASES",
    "DAY_HOUR",
    "DAY_MICROSECOND",
    "DAY_MINUTE",
    "DAY_SECOND",
    "DELAYED",
    "DESC",
    "DISTINCTROW",
    "DIV",
    "DUAL",
    "ELSEIF",
    "ENCLOSED",
    "ESCAPED",
    "EXIT",
    "EXPLAIN",
    "FLOAT4",
    "FLOAT8",
    "FORCE",
    "FULLTEXT",
    "GENERATED",
    "HIGH_PRIORITY",
    "HOUR_MICROSECOND",
    "HOUR_MINUTE",
    "HOUR_SECOND",
    "IF",
    "IGNORE",
    "INDEX",
    "INFILE",
    "INT1",
    "INT2",
    "INT3",
    "INT4",
    "INT8",
    "ITERATE",
    "KEY",
    "KEYS",
    "KILL",
    "LEAVE",
    "LIMIT",
    "LINEAR",
    "LINES",
    "LOAD",
    "LOCK",
    "LONG",
    "LONGBLOB",
    "LONGTEXT",
    "LOOP",
    "LOW_PRIORITY",
    "MEDIUMBLOB",
    "MEDIUMINT",
    "MEDIUMTEXT",
    "MIDDLEINT",
    "MINUTE_MICROSECOND",
    "MINUTE_SECOND",
    "NO_WRITE_TO_BINLOG",
    "OPTIMIZE",
    "OPTION",
    "OPTIONALLY",
    "OUTFILE",
    "PURGE",
    "READ",
    "READ_WRITE",
    "REGEXP",
    "RENAME",
    "REPEAT",
    "REPLACE",
    "REQUIRE",
    "RESIGNAL",
    "RESTRICT",
    "RLIKE",
    "SCHEMA",
    "SCHEMAS",
    "SECOND_MICROSECOND",
    "SEPARATOR",
    "SIGNAL",
    "SPATIAL",
    "SQL_BIG_RESULT",
    "SQL_CALC_FOUND_ROWS",
    "SQL_SMALL_RESULT",
    "SSL",
    "STARTING",
    "STORED",
    "STRAIGHT_JOIN",
    "TERMINATED",
    "TINYBLOB",
    "TINYINT",
    "TINYTEXT",
    "UNDO",
    "UNLOCK",
    "UNSIGNED",
    "USAGE",
    "USE",
    "UTC_DATE",
    "UTC_TIME",
    "UTC_TIMESTAMP",
    "VARCHARACTER",
    "VIRTUAL",
    "WHILE",
    "WRITE",
    "XOR",
    "YEAR_MONTH",
    "ZEROFILL",
    "OFFSET",
    "RETURNING",
];

static RULES: LazyLock<IdentRules> = LazyLock::new(|| {
    let mut rules = IdentRules::standard(
        "MySQL",
        '`',
        Fold::Preserve,
        64,
        LengthUnit::Chars,
        RESERVED,
    );
    rules.bmp_only = true;
    rules
});

impl SqlDialect for MySql {
    fn name(&self) -> &'static str {
        "mysql"
    }
    fn title(&self) -> &'static str {
        "MySQL/MariaDB"
    }
    fn aliases(&self) -> &'static [&'static str] {
        &["mariadb", "mysql8"]
    }
    fn parser_dialect(&self) -> Box<dyn sqlparser::dialect::Dialect> {
        Box::new(sqlparser::dialect::MySqlDialect {})
    }
    fn ident_rules(&self) -> &'static IdentRules {
        &RULES
    }
    fn string_escape(&self) -> StringEscape {
        StringEscape::DoubleQuoteAndBackslash
    }
    fn physical_type(&self, logical: &LogicalType) -> PhysicalType {
        match logical {
            LogicalType::String(Some(n)) => PhysicalType::exact(format!("VARCHAR({n})")),
            LogicalType::String(None) => PhysicalType::approx(
                "VARCHAR(255)",
                "MySQL needs a length on indexable strings: `string` became VARCHAR(255); give string(n) to choose",
            ),
            LogicalType::Text => PhysicalType::exact("TEXT"),
            LogicalType::SmallInt => PhysicalType::exact("SMALLINT"),
            LogicalType::Integer => PhysicalType::exact("INT"),
            LogicalType::BigInt => PhysicalType::exact("BIGINT"),
            LogicalType::Decimal(p, s) => PhysicalType::exact(format!("DECIMAL({p}, {s})")),
            LogicalType::Float => PhysicalType::exact("DOUBLE"),
            LogicalType::Boolean => PhysicalType::exact("BOOLEAN"),
            LogicalType::Date => PhysicalType::exact("DATE"),
            LogicalType::Time => PhysicalType::exact("TIME"),
            LogicalType::Timestamp => PhysicalType::exact("DATETIME(6)"),
            LogicalType::TimestampTz => PhysicalType::approx(
                "DATETIME(6)",
                "MySQL has no time-zone-aware timestamp: timestamptz columns are DATETIME(6) holding UTC",
            ),
            LogicalType::Json => PhysicalType::exact("JSON"),
            LogicalType::Binary => PhysicalType::exact("LONGBLOB"),
            LogicalType::Uuid => PhysicalType::approx(
                "CHAR(36)",
                "MySQL has no UUID type: uuid columns are CHAR(36)",
            ),
        }
    }
    fn surrogate_key_style(&self) -> SurrogateKeyStyle {
        SurrogateKeyStyle::AutoIncrement
    }
    fn surrogate_key(&self, _table: &TableName, _column: &str) -> Result<SurrogateColumn> {
        Ok(SurrogateColumn {
            type_sql: "BIGINT".into(),
            key_type: LogicalType::BigInt,
            options: "NOT NULL AUTO_INCREMENT".into(),
            inline_primary_key: false,
            before: Vec::new(),
            unknown_member_key: "-1".into(),
        })
    }
    fn table_layout(&self, _table: &TableName, request: &LayoutRequest<'_>) -> Result<TableLayout> {
        let mut layout = TableLayout::default();
        if request.partition.is_some() {
            layout.notes.push(
                "MySQL partitioned tables cannot have foreign keys and need the partition column in every unique key: partition hint left out".into(),
            );
        }
        unsupported_hints(
            "MySQL (InnoDB clusters rows by primary key)",
            request,
            false,
            true,
            true,
            &mut layout,
        );
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
    fn upsert_style(&self) -> UpsertStyle {
        UpsertStyle::OnDuplicateKey
    }
    fn supports_merge(&self) -> bool {
        false
    }
    fn update_style(&self) -> UpdateStyle {
        UpdateStyle::Exists
    }
    fn null_safe_ne(&self, a: &str, b: &str) -> String {
        format!("NOT ({a} <=> {b})")
    }
    fn current_timestamp(&self) -> &'static str {
        "UTC_TIMESTAMP(6)"
    }
    fn timestamp_ago(&self, amount: u32, unit: IntervalUnit) -> String {
        format!("UTC_TIMESTAMP(6) - INTERVAL {amount} {}", unit.keyword())
    }
    fn regex_match(&self, expr: &str, pattern: &str) -> Result<Option<String>> {
        Ok(Some(format!(
            "{expr} REGEXP {}",
            self.string_literal(pattern)?
        )))
    }
    fn cast_to_text(&self, expr: &str) -> String {
        format!("CAST({expr} AS CHAR)")
    }
}
