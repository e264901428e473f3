//! Amazon Redshift: PostgreSQL-derived, identifiers folded to lower case (127 bytes),
//! informational keys, `IDENTITY(seed, step)`, `DISTKEY` / `SORTKEY`, `COMMENT ON`,
//! `MERGE`, no `IS DISTINCT FROM`.

use std::sync::LazyLock;

use sqlparser::ast::{
    ColumnOption, IdentityParameters, IdentityProperty, IdentityPropertyFormatKind,
    IdentityPropertyKind,
};
use sqlparser::dialect::{Dialect, RedshiftSqlDialect};
use sqlparser::keywords::Keyword;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::Token;

use super::ident::{Fold, IdentRules, LengthUnit, StringEscape};
use super::{
    ConstraintSupport, Enforcement, IntervalUnit, LayoutRequest, SqlDialect, SurrogateColumn,
    TableLayout, TableName, UpdateStyle, unsupported_hints,
};
use crate::dialect::types::{LogicalType, PhysicalType};
use crate::error::Result;

/// Amazon Redshift.
#[derive(Debug, Clone, Copy)]
pub struct Redshift;

/// Reserved words beyond the SQL standard's, from Redshift's published list
/// (<https://docs.aws.amazon.com/redshift/latest/dg/r_pg_keywords.html>); no engine here
/// to derive them from.
/// Also quoted: words sqlglot, the independent parser the tests use, reads as keywords
/// in this dialect (`exclude`, `glob`, `if`, `partitioned_by`, `regexp`, `returning`, `rlike`, `uncache`, `variadic`, `xor`); quoting a name is always safe.
const RESERVED: &[&str] = &[
    "AES128",
    "AES256",
    "ALLOWOVERWRITE",
    "ANALYSE",
    "ANALYZE",
    "ASC",
    "AZ64",
    "BACKUP",
    "BLANKSASNULL",
    "BYTEDICT",
    "BZIP2",
    "CREDENTIALS",
    "CURRENT_USER_ID",
    "DEFERRABLE",
    "DEFLATE",
    "DEFRAG",
    "DELTA",
    "DELTA32K",
    "DESC",
    "DISABLE",
    "DO",
    "EMPTYASNULL",
    "ENABLE",
    "ENCODE",
    "ENCRYPT",
    "ENCRYPTION",
    "EXCLUDE",
    "EXPLICIT",
    "FREEZE",
    "GLOB",
    "GLOBALDICT256",
    "GLOBALDICT64K",
    "GZIP",
    "IF",
    "IGNORE",
    "ILIKE",
    "INITIALLY",
    "ISNULL",
    "LIMIT",
    "LUN",
    "LUNS",
    "LZO",
    "LZOP",
    "MINUS",
    "MOSTLY16",
    "MOSTLY32",
    "MOSTLY8",
    "NOTNULL",
    "NULLS",
    "OFF",
    "OFFLINE",
    "OFFSET",
    "OID",
    "PARALLEL",
    "PARTITIONED_BY",
    "PERMISSIONS",
    "PIVOT",
    "PLACING",
    "RAW",
    "READRATIO",
    "RECOVER",
    "REGEXP",
    "REJECTLOG",
    "RESORT",
    "RESPECT",
    "RESTORE",
    "RETURNING",
    "RLIKE",
    "SNAPSHOT",
    "SYSDATE",
    "TAG",
    "TDES",
    "TEXT255",
    "TEXT32K",
    "TOP",
    "TRUNCATECOLUMNS",
    "UNCACHE",
    "UNPIVOT",
    "VARIADIC",
    "VERBOSE",
    "WALLET",
    "XOR",
];

static RULES: LazyLock<IdentRules> = LazyLock::new(|| {
    IdentRules::standard(
        "Redshift",
        '"',
        Fold::Lower,
        127,
        LengthUnit::Bytes,
        RESERVED,
    )
});

impl SqlDialect for Redshift {
    fn name(&self) -> &'static str {
        "redshift"
    }
    fn title(&self) -> &'static str {
        "Redshift"
    }
    fn aliases(&self) -> &'static [&'static str] {
        &["aws_redshift", "redshift_serverless"]
    }
    fn parser_dialect(&self) -> Box<dyn sqlparser::dialect::Dialect> {
        Box::new(RedshiftParser(RedshiftSqlDialect {}))
    }
    fn ident_rules(&self) -> &'static IdentRules {
        &RULES
    }
    fn string_escape(&self) -> StringEscape {
        StringEscape::DoubleQuoteAndBackslash
    }
    fn physical_type(&self, logical: &LogicalType) -> PhysicalType {
        match logical {
            LogicalType::String(Some(n)) => {
                let bytes = (u64::from(*n) * 4).min(65_535);
                PhysicalType::approx(
                    format!("VARCHAR({bytes})"),
                    "Redshift VARCHAR lengths count bytes: string(n) reserves 4 bytes per character",
                )
            }
            LogicalType::String(None) | LogicalType::Text => PhysicalType::exact("VARCHAR(65535)"),
            LogicalType::SmallInt => PhysicalType::exact("SMALLINT"),
            LogicalType::Integer => PhysicalType::exact("INTEGER"),
            LogicalType::BigInt => PhysicalType::exact("BIGINT"),
            LogicalType::Decimal(p, s) => PhysicalType::exact(format!("DECIMAL({p}, {s})")),
            LogicalType::Float => PhysicalType::exact("DOUBLE PRECISION"),
            LogicalType::Boolean => PhysicalType::exact("BOOLEAN"),
            LogicalType::Date => PhysicalType::exact("DATE"),
            LogicalType::Time => PhysicalType::exact("TIME"),
            LogicalType::Timestamp => PhysicalType::exact("TIMESTAMP"),
            LogicalType::TimestampTz => PhysicalType::exact("TIMESTAMPTZ"),
            LogicalType::Json => PhysicalType::exact("SUPER"),
            LogicalType::Binary => PhysicalType::exact("VARBYTE"),
            LogicalType::Uuid => PhysicalType::approx(
                "CHAR(36)",
                "Redshift has no UUID type: uuid columns are CHAR(36)",
            ),
        }
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
            options: "GENERATED BY DEFAULT AS IDENTITY(1, 1)".into(),
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
    fn table_layout(&self, table: &TableName, request: &LayoutRequest<'_>) -> Result<TableLayout> {
        let mut layout = TableLayout::default();
        if let Some(column) = request.dist_key {
            layout.clauses.push("DISTSTYLE KEY".into());
            layout.clauses.push(format!("DISTKEY ({column})"));
        }
        let mut sort: Vec<String> = request.sort_key.to_vec();
        if sort.is_empty() {
            if let Some((column, _, _)) = request.partition {
                sort.push(column.to_string());
            }
            for column in request.cluster {
                if !sort.contains(column) {
                    sort.push(column.clone());
                }
            }
            if !sort.is_empty() {
                layout.notes.push(format!(
                    "{}: Redshift has no partitions or clustering: the partition/cluster columns became the sort key",
                    table.name
                ));
            }
        } else if request.partition.is_some() || !request.cluster.is_empty() {
            layout.notes.push(format!(
                "{}: Redshift has no partitions or clustering: partition/cluster hints ignored in favour of the sort key",
                table.name
            ));
        }
        if !sort.is_empty() {
            layout
                .clauses
                .push(format!("SORTKEY ({})", sort.join(", ")));
        }
        let rest = LayoutRequest {
            partition: None,
            cluster: &[],
            dist_key: None,
            sort_key: &[],
            ..request.clone()
        };
        unsupported_hints(self.title(), &rest, false, false, false, &mut layout);
        Ok(layout)
    }
    fn update_style(&self) -> UpdateStyle {
        UpdateStyle::From
    }
    fn merge_matched_condition(&self) -> bool {
        false
    }
    fn null_safe_ne(&self, a: &str, b: &str) -> String {
        format!("({a} <> {b} OR ({a} IS NULL) <> ({b} IS NULL))")
    }
    fn current_timestamp(&self) -> &'static str {
        "GETDATE()"
    }
    fn timestamp_ago(&self, amount: u32, unit: IntervalUnit) -> String {
        format!(
            "DATEADD({}, -{amount}, GETDATE())",
            unit.keyword().to_ascii_lowercase()
        )
    }
    // A bare VARCHAR is VARCHAR(256): long keys would be cut before hashing.
    fn hash_input(&self, expr: &str) -> String {
        format!("COALESCE(CAST({expr} AS VARCHAR(65535)), '')")
    }
}

/// sqlparser's Redshift dialect plus what it lacks in 0.64 and Redshift has:
/// `[GENERATED BY DEFAULT AS] IDENTITY(seed, step)` and `COMMENT ON`. Everything else is
/// delegated.
#[derive(Debug)]
struct RedshiftParser(RedshiftSqlDialect);

fn identity_params(parser: &mut Parser) -> Result<ColumnOption, ParserError> {
    parser.expect_token(&Token::LParen)?;
    let seed = parser.parse_number()?;
    parser.expect_token(&Token::Comma)?;
    let increment = parser.parse_number()?;
    parser.expect_token(&Token::RParen)?;
    Ok(ColumnOption::Identity(IdentityPropertyKind::Identity(
        IdentityProperty {
            parameters: Some(IdentityPropertyFormatKind::FunctionCall(
                IdentityParameters { seed, increment },
            )),
            order: None,
        },
    )))
}

macro_rules! delegate {
    ($($name:ident($($arg:ident: $ty:ty),*) -> $ret:ty;)*) => {
        $(fn $name(&self, $($arg: $ty),*) -> $ret { self.0.$name($($arg),*) })*
    };
}

impl Dialect for RedshiftParser {
    fn dialect(&self) -> std::any::TypeId {
        self.0.dialect()
    }
    fn supports_comment_on(&self) -> bool {
        true
    }
    fn parse_column_option(
        &self,
        parser: &mut Parser,
    ) -> Result<Option<Result<Option<ColumnOption>, ParserError>>, ParserError> {
        if parser.parse_keywords(&[
            Keyword::GENERATED,
            Keyword::BY,
            Keyword::DEFAULT,
            Keyword::AS,
            Keyword::IDENTITY,
        ]) || parser.parse_keyword(Keyword::IDENTITY)
        {
            return Ok(Some(identity_params(parser).map(Some)));
        }
        Ok(None)
    }
    fn peek_nested_delimited_identifier_quotes(
        &self,
        chars: std::iter::Peekable<std::str::Chars<'_>>,
    ) -> Option<(char, Option<char>)> {
        self.0.peek_nested_delimited_identifier_quotes(chars)
    }
    delegate! {
        ordered_bind_placeholder_style() -> Option<sqlparser::dialect::BindPlaceholderStyle>;
        is_nested_delimited_identifier_start(ch: char) -> bool;
        is_identifier_start(ch: char) -> bool;
        is_identifier_part(ch: char) -> bool;
        identifier_quote_style(identifier: &str) -> Option<char>;
        convert_type_before_value() -> bool;
        supports_connect_by() -> bool;
        supports_top_before_distinct() -> bool;
        supports_partiql() -> bool;
        supports_unpivot_expr() -> bool;
        supports_string_escape_constant() -> bool;
        supports_approximate_percentile_disc() -> bool;
        supports_geometric_types() -> bool;
        supports_bitwise_shift_operators() -> bool;
        supports_tilde_like_match_operator() -> bool;
        supports_array_typedef_with_brackets() -> bool;
        allow_extract_single_quotes() -> bool;
        supports_string_literal_backslash_escape() -> bool;
        supports_select_wildcard_exclude() -> bool;
        supports_select_wildcard_with_alias() -> bool;
        supports_left_associative_joins_without_parens() -> bool;
        supports_select_exclude() -> bool;
        supports_create_table_like_parenthesized() -> bool;
        supports_string_literal_concatenation_with_newline() -> bool;
        supports_window_function_null_treatment_arg() -> bool;
        is_reserved_for_identifier(kw: Keyword) -> bool;
    }
}
