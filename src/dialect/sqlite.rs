//! SQLite: dynamic typing (affinities), foreign keys enforced only with
//! `PRAGMA foreign_keys = ON`, no comments, no partitioning, `INSERT ... ON CONFLICT`.

use std::sync::LazyLock;

use sqlparser::ast::{DataType, Expr, Statement};
use sqlparser::dialect::{BindPlaceholderStyle, Dialect, Precedence, SQLiteDialect};
use sqlparser::keywords::Keyword;
use sqlparser::parser::{Parser, ParserError};

use super::ident::{Fold, IdentRules, LengthUnit};
use super::{
    CommentStyle, ConstraintSupport, Enforcement, IntervalUnit, LayoutRequest, SqlDialect,
    SurrogateColumn, SurrogateKeyStyle, TableLayout, TableName, UpdateStyle, UpsertStyle,
    unsupported_hints,
};
use crate::dialect::types::{LogicalType, PhysicalType};
use crate::error::Result;

/// SQLite 3.35+.
#[derive(Debug, Clone, Copy)]
pub struct Sqlite;

/// SQLite keywords beyond the SQL standard's reserved words: the documented list
/// (<https://www.sqlite.org/lang_keywords.html>; SQLite accepts many keywords bare, but
/// quoting every keyword is always safe). `tests/it/modeling/keywords.rs` tries each one
/// unquoted on the engine.
const RESERVED: &[&str] = &[
    "ABORT",
    "ACTION",
    "ADD",
    "AFTER",
    "ALWAYS",
    "ANALYZE",
    "ASC",
    "ATTACH",
    "AUTOINCREMENT",
    "BEFORE",
    "CASCADE",
    "CONFLICT",
    "DATABASE",
    "DEFERRABLE",
    "DEFERRED",
    "DESC",
    "DETACH",
    "DO",
    "EXCLUDE",
    "EXCLUSIVE",
    "EXPLAIN",
    "FAIL",
    "FIRST",
    "FOLLOWING",
    "GENERATED",
    "GLOB",
    "IF",
    "IGNORE",
    "IMMEDIATE",
    "INDEX",
    "INDEXED",
    "INITIALLY",
    "INSTEAD",
    "ISNULL",
    "KEY",
    "LAST",
    "LIMIT",
    "MATERIALIZED",
    "NOTHING",
    "NOTNULL",
    "NULLS",
    "OFFSET",
    "OTHERS",
    "PLAN",
    "PRAGMA",
    "PRECEDING",
    "QUERY",
    "RAISE",
    "REGEXP",
    "REINDEX",
    "RENAME",
    "REPLACE",
    "RESTRICT",
    "RETURNING",
    "TEMP",
    "TEMPORARY",
    "TIES",
    "TRANSACTION",
    "UNBOUNDED",
    "VACUUM",
    "VIEW",
    "VIRTUAL",
];

static RULES: LazyLock<IdentRules> = LazyLock::new(|| {
    IdentRules::standard(
        "SQLite (dana's limit; SQLite has none)",
        '"',
        Fold::Preserve,
        1024,
        LengthUnit::Chars,
        RESERVED,
    )
});

impl SqlDialect for Sqlite {
    fn name(&self) -> &'static str {
        "sqlite"
    }
    fn title(&self) -> &'static str {
        "SQLite"
    }
    fn aliases(&self) -> &'static [&'static str] {
        &["sqlite3"]
    }
    fn parser_dialect(&self) -> Box<dyn sqlparser::dialect::Dialect> {
        Box::new(SqliteParser(SQLiteDialect {}))
    }
    fn ident_rules(&self) -> &'static IdentRules {
        &RULES
    }
    fn physical_type(&self, logical: &LogicalType) -> PhysicalType {
        match logical {
            LogicalType::String(_) | LogicalType::Text | LogicalType::Uuid => {
                PhysicalType::exact("TEXT")
            }
            LogicalType::SmallInt
            | LogicalType::Integer
            | LogicalType::BigInt
            | LogicalType::Boolean => PhysicalType::exact("INTEGER"),
            LogicalType::Decimal(..) => PhysicalType::approx(
                "NUMERIC",
                "SQLite has no exact decimal: decimal columns have NUMERIC affinity (stored as integer or 8-byte float)",
            ),
            LogicalType::Float => PhysicalType::exact("REAL"),
            LogicalType::Date
            | LogicalType::Time
            | LogicalType::Timestamp
            | LogicalType::TimestampTz => PhysicalType::approx(
                "TEXT",
                "SQLite has no date/time types: dates and timestamps are ISO-8601 TEXT (UTC)",
            ),
            LogicalType::Json => PhysicalType::exact("TEXT"),
            LogicalType::Binary => PhysicalType::exact("BLOB"),
        }
    }
    fn date_literal(&self, iso: &str) -> Result<String> {
        self.string_literal(iso)
    }
    fn timestamp_literal(&self, iso: &str) -> Result<String> {
        self.string_literal(iso)
    }
    fn max_timestamp_literal(&self) -> &'static str {
        "'9999-12-31 00:00:00'"
    }
    fn surrogate_key_style(&self) -> SurrogateKeyStyle {
        SurrogateKeyStyle::AutoIncrement
    }
    fn surrogate_key(
        &self,
        _table: &TableName,
        _column: &str,
        _sequence: &TableName,
    ) -> Result<SurrogateColumn> {
        Ok(SurrogateColumn {
            type_sql: "INTEGER".into(),
            key_type: LogicalType::BigInt,
            options: "PRIMARY KEY AUTOINCREMENT".into(),
            inline_primary_key: true,
            before: Vec::new(),
            unknown_member_key: "-1".into(),
        })
    }
    fn create_index(&self, index: &TableName, table: &TableName, columns: &str) -> Result<String> {
        // SQLite qualifies the index, and the table must be in the index's schema.
        Ok(format!(
            "CREATE INDEX IF NOT EXISTS {} ON {} ({columns})",
            self.qualified_name(index)?,
            self.quote_ident(&table.name)?
        ))
    }
    fn reference_name(&self, table: &TableName) -> Result<String> {
        self.quote_ident(&table.name)
    }
    fn constraints(&self) -> ConstraintSupport {
        ConstraintSupport {
            foreign_key: Enforcement::EnforcedWhenEnabled,
            ..ConstraintSupport::ALL_ENFORCED
        }
    }
    fn table_layout(&self, _table: &TableName, request: &LayoutRequest<'_>) -> Result<TableLayout> {
        let mut layout = TableLayout::default();
        unsupported_hints(self.title(), request, true, true, true, &mut layout);
        Ok(layout)
    }
    fn comment_style(&self) -> CommentStyle {
        CommentStyle::Unsupported
    }
    fn upsert_style(&self) -> UpsertStyle {
        UpsertStyle::OnConflict
    }
    fn supports_merge(&self) -> bool {
        false
    }
    fn update_style(&self) -> UpdateStyle {
        UpdateStyle::Exists
    }
    fn null_safe_ne(&self, a: &str, b: &str) -> String {
        format!("{a} IS NOT {b}")
    }
    fn current_timestamp(&self) -> &'static str {
        "CURRENT_TIMESTAMP"
    }
    fn load_timestamp(&self) -> &'static str {
        "datetime('now')"
    }
    fn boolean_literal(&self, value: bool) -> &'static str {
        if value { "1" } else { "0" }
    }
    fn timestamp_ago(&self, amount: u32, unit: IntervalUnit) -> String {
        format!("datetime('now', '-{amount} {}')", unit.plural())
    }
    fn regex_match(&self, _expr: &str, _pattern: &str) -> Result<Option<String>> {
        Ok(None)
    }
    fn hash_input(&self, expr: &str) -> String {
        format!("COALESCE(CAST({expr} AS TEXT), '')")
    }
    // No hash function in SQLite's core.
    fn md5_hex(&self, _text: &str) -> Option<String> {
        None
    }
}

/// sqlparser's SQLite dialect plus `INSERT INTO t AS alias`, which SQLite has had since
/// 3.24 (upserts use it) and sqlparser 0.64 enables only for PostgreSQL and Oracle.
/// Everything else is delegated.
#[derive(Debug)]
struct SqliteParser(SQLiteDialect);

macro_rules! delegate {
    ($($name:ident($($arg:ident: $ty:ty),*) -> $ret:ty;)*) => {
        $(fn $name(&self, $($arg: $ty),*) -> $ret { self.0.$name($($arg),*) })*
    };
}

impl Dialect for SqliteParser {
    fn dialect(&self) -> std::any::TypeId {
        self.0.dialect()
    }
    fn supports_insert_table_alias(&self) -> bool {
        true
    }
    delegate! {
        is_delimited_identifier_start(ch: char) -> bool;
        identifier_quote_style(identifier: &str) -> Option<char>;
        ordered_bind_placeholder_style() -> Option<BindPlaceholderStyle>;
        is_identifier_start(ch: char) -> bool;
        supports_filter_during_aggregation() -> bool;
        supports_start_transaction_modifier() -> bool;
        is_identifier_part(ch: char) -> bool;
        parse_statement(parser: &mut Parser) -> Option<Result<Statement, ParserError>>;
        parse_data_type(parser: &mut Parser) -> Option<Result<DataType, ParserError>>;
        parse_infix(parser: &mut Parser, expr: &Expr, precedence: u8) -> Option<Result<Expr, ParserError>>;
        get_next_precedence(parser: &Parser) -> Option<Result<u8, ParserError>>;
        prec_value(prec: Precedence) -> u8;
        supports_in_empty_list() -> bool;
        supports_limit_comma() -> bool;
        supports_asc_desc_in_column_definition() -> bool;
        supports_dollar_placeholder() -> bool;
        supports_notnull_operator() -> bool;
        supports_is_operator() -> bool;
        supports_comma_separated_trim() -> bool;
        supports_numeric_literal_underscores() -> bool;
        supports_double_eq_assignment() -> bool;
        supports_string_literal_column_names() -> bool;
        supports_cast_empty_data_type_to_unspecified() -> bool;
        supports_national_string_literal() -> bool;
        supports_parens_around_table_factor() -> bool;
        supports_unterminated_block_comments() -> bool;
        is_column_alias(kw: &Keyword, parser: &mut Parser) -> bool;
        supports_over_keyword_as_column_alias() -> bool;
        supports_indexed_by() -> bool;
        is_table_alias(kw: &Keyword, parser: &mut Parser) -> bool;
        supports_comma_join_constraint() -> bool;
        supports_aggregate_order_by_with_empty_args() -> bool;
        supports_bitwise_shift_operators() -> bool;
        supports_in_table_expression() -> bool;
        is_table_factor(kw: &Keyword, parser: &mut Parser) -> bool;
        between_low_bound_precedence() -> u8;
    }
}
