//! MySQL and MariaDB: backtick identifiers (64 characters, BMP only), InnoDB enforces
//! keys and checks, inline `COMMENT`, `INSERT ... ON DUPLICATE KEY UPDATE`, no MERGE.

use std::sync::LazyLock;

use super::ident::{Fold, IdentRules, LengthUnit, StringEscape};
use super::{
    CommentStyle, IntervalUnit, LayoutRequest, RowColumn, RowKey, SqlDialect, SurrogateColumn,
    SurrogateKeyStyle, TableLayout, TableName, UpdateStyle, UpsertStyle, unsupported_hints,
};
use crate::dialect::types::{LogicalType, PhysicalType};
use crate::error::{Error, Result};

/// MySQL 8 and MariaDB 10.5+.
#[derive(Debug, Clone, Copy)]
pub struct MySql;

/// Reserved words beyond the SQL standard's: every MariaDB word of
/// `information_schema.KEYWORDS` that fails unquoted as a column or table name (checked
/// against the engine by `tests/it/modeling/keywords.rs`), plus MySQL 8.4's reserved words
/// (<https://dev.mysql.com/doc/refman/8.4/en/keywords.html>, those marked (R)).
const RESERVED: &[&str] = &[
    "ACCESSIBLE",
    "ADD",
    "ANALYZE",
    "ASC",
    "BEFORE",
    "CASCADE",
    "CHANGE",
    "CONTINUE",
    "CUME_DIST",
    "DATABASE",
    "DATABASES",
    "DAY_HOUR",
    "DAY_MICROSECOND",
    "DAY_MINUTE",
    "DAY_SECOND",
    "DELAYED",
    "DELETE_DOMAIN_ID",
    "DENSE_RANK",
    "DESC",
    "DISTINCTROW",
    "DIV",
    "DO_DOMAIN_IDS",
    "DUAL",
    "ELSEIF",
    "EMPTY",
    "ENCLOSED",
    "ESCAPED",
    "EXCEPT",
    "EXIT",
    "EXPLAIN",
    "FIRST_VALUE",
    "FLOAT4",
    "FLOAT8",
    "FORCE",
    "FULLTEXT",
    "GENERATED",
    "GROUPING",
    "GROUPS",
    "HIGH_PRIORITY",
    "HOUR_MICROSECOND",
    "HOUR_MINUTE",
    "HOUR_SECOND",
    "IF",
    "IGNORE",
    "IGNORE_DOMAIN_IDS",
    "INDEX",
    "INFILE",
    "INT1",
    "INT2",
    "INT3",
    "INT4",
    "INT8",
    "INTERSECT",
    "IO_AFTER_GTIDS",
    "IO_BEFORE_GTIDS",
    "ITERATE",
    "JSON_TABLE",
    "KEY",
    "KEYS",
    "KILL",
    "LAG",
    "LAST_VALUE",
    "LATERAL",
    "LEAD",
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
    "MANUAL",
    "MASTER_BIND",
    "MASTER_DEMOTE_TO_REPLICA",
    "MASTER_DEMOTE_TO_SLAVE",
    "MASTER_SSL_VERIFY_SERVER_CERT",
    "MAXVALUE",
    "MEDIUMBLOB",
    "MEDIUMINT",
    "MEDIUMTEXT",
    "MIDDLEINT",
    "MINUTE_MICROSECOND",
    "MINUTE_SECOND",
    "NO_WRITE_TO_BINLOG",
    "NTH_VALUE",
    "NTILE",
    "OF",
    "OFFSET",
    "OPTIMIZE",
    "OPTIMIZER_COSTS",
    "OPTION",
    "OPTIONALLY",
    "OUTFILE",
    "OVER",
    "PAGE_CHECKSUM",
    "PARALLEL",
    "PARSE_VCOL_EXPR",
    "PERCENT_RANK",
    "PURGE",
    "QUALIFY",
    "RANK",
    "READ",
    "READ_WRITE",
    "RECURSIVE",
    "REF_SYSTEM_ID",
    "REGEXP",
    "RENAME",
    "REPEAT",
    "REPLACE",
    "REQUIRE",
    "RESIGNAL",
    "RESTRICT",
    "RETURNING",
    "RLIKE",
    "ROW",
    "ROWS",
    "ROW_NUMBER",
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
    "STATS_AUTO_RECALC",
    "STATS_PERSISTENT",
    "STATS_SAMPLE_PAGES",
    "STORED",
    "STRAIGHT_JOIN",
    "SYSTEM",
    "TABLESAMPLE",
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
    "WINDOW",
    "WRITE",
    "XOR",
    "YEAR_MONTH",
    "ZEROFILL",
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
            LogicalType::String(Some(n)) if *n > MAX_VARCHAR_CHARS => PhysicalType::approx(
                "MEDIUMTEXT",
                format!(
                    "MySQL VARCHAR holds at most {MAX_VARCHAR_CHARS} utf8mb4 characters: string(n) longer than that is MEDIUMTEXT (unindexable)"
                ),
            ),
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
    fn surrogate_key(
        &self,
        _table: &TableName,
        _column: &str,
        _sequence: &TableName,
    ) -> Result<SurrogateColumn> {
        Ok(SurrogateColumn {
            type_sql: "BIGINT".into(),
            key_type: LogicalType::BigInt,
            options: "NOT NULL AUTO_INCREMENT".into(),
            inline_primary_key: false,
            before: Vec::new(),
            unknown_member_key: "-1".into(),
        })
    }
    fn inline_indexes(&self) -> bool {
        true
    }
    fn fit_row(
        &self,
        table: &str,
        columns: &mut [RowColumn],
        keys: &[RowKey],
    ) -> Result<Vec<String>> {
        fit_row(table, columns, keys)
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
    fn hash_input(&self, expr: &str) -> String {
        format!("COALESCE(CAST({expr} AS CHAR), '')")
    }
    // `||` is OR unless PIPES_AS_CONCAT is set.
    fn concat(&self, parts: &[String]) -> String {
        format!("CONCAT({})", parts.join(", "))
    }
}

/// Longest VARCHAR in utf8mb4 characters (65,535 bytes / 4, less the length bytes).
const MAX_VARCHAR_CHARS: u32 = 16_383;
/// Bytes per character reserved by utf8mb4.
const BYTES_PER_CHAR: u64 = 4;
/// Largest row, not counting BLOB/TEXT contents (error 1118).
const MAX_ROW_BYTES: u64 = 65_535;
/// Largest index key of InnoDB's DYNAMIC row format (error 1071).
const MAX_KEY_BYTES: u64 = 3_072;

/// Whether the physical type is stored off-row (BLOB, TEXT, JSON).
fn off_row(sql: &str) -> bool {
    sql.ends_with("TEXT") || sql.ends_with("BLOB") || sql == "JSON"
}

/// Bytes a DECIMAL's digits take (4 per 9 digits, fewer for the rest).
fn decimal_digits_bytes(digits: u8) -> u64 {
    const REST: [u64; 9] = [0, 1, 1, 2, 2, 3, 3, 4, 4];
    u64::from(digits / 9) * 4 + REST[usize::from(digits % 9)]
}

/// Bytes a column takes toward the 65,535-byte row limit.
fn row_bytes(column: &RowColumn) -> u64 {
    if off_row(&column.sql) {
        return 12;
    }
    match column.logical {
        LogicalType::String(n) => {
            let bytes = u64::from(n.unwrap_or(255)) * BYTES_PER_CHAR;
            bytes + if bytes > 255 { 2 } else { 1 }
        }
        LogicalType::Uuid => 36 * BYTES_PER_CHAR,
        LogicalType::SmallInt => 2,
        LogicalType::Integer => 4,
        LogicalType::BigInt
        | LogicalType::Float
        | LogicalType::Timestamp
        | LogicalType::TimestampTz => 8,
        LogicalType::Decimal(p, s) => decimal_digits_bytes(p - s) + decimal_digits_bytes(s),
        LogicalType::Boolean => 1,
        LogicalType::Date | LogicalType::Time => 3,
        LogicalType::Text | LogicalType::Json | LogicalType::Binary => 12,
    }
}

/// Bytes a column takes in an index key, or `None` when it cannot be a key column whole.
fn key_bytes(column: &RowColumn) -> Option<u64> {
    if off_row(&column.sql) {
        return None;
    }
    Some(match column.logical {
        LogicalType::String(n) => u64::from(n.unwrap_or(255)) * BYTES_PER_CHAR,
        _ => row_bytes(column),
    })
}

/// MySQL/InnoDB limits: every key fits 3,072 bytes and holds no off-row column (a prefix
/// index would make a primary or unique key check only the prefix: refused instead), and
/// the row fits 65,535 bytes (the longest strings outside keys move to TEXT, with a note).
fn fit_row(table: &str, columns: &mut [RowColumn], keys: &[RowKey]) -> Result<Vec<String>> {
    let mut in_key = vec![false; columns.len()];
    for key in keys {
        let mut total = 0;
        for &i in &key.columns {
            in_key[i] = true;
            let column = &columns[i];
            let Some(bytes) = key_bytes(column) else {
                return Err(Error::invalid(format!(
                    "column `{}` ({}, {} in MySQL) is part of the {}: MySQL keys cannot hold TEXT, BLOB or JSON columns whole; use string(n) with n at most {}",
                    column.name,
                    column.logical,
                    column.sql,
                    key.what,
                    MAX_KEY_BYTES / BYTES_PER_CHAR
                )));
            };
            total += bytes;
        }
        if total > MAX_KEY_BYTES {
            let names: Vec<String> = key
                .columns
                .iter()
                .map(|&i| format!("`{}` ({})", columns[i].name, columns[i].logical))
                .collect();
            return Err(Error::invalid(format!(
                "{} over {} needs {total} bytes in utf8mb4 (4 per character); MySQL keys hold at most {MAX_KEY_BYTES}: shorten the strings",
                key.what,
                names.join(", ")
            )));
        }
    }
    let mut notes = Vec::new();
    let nullable = columns.iter().filter(|c| c.nullable).count() as u64;
    let total = |columns: &[RowColumn]| -> u64 {
        columns.iter().map(row_bytes).sum::<u64>() + nullable.div_ceil(8)
    };
    while total(columns) > MAX_ROW_BYTES {
        let longest = columns
            .iter()
            .enumerate()
            .filter(|(i, c)| {
                !in_key[*i] && !off_row(&c.sql) && matches!(c.logical, LogicalType::String(_))
            })
            .max_by_key(|(_, c)| row_bytes(c))
            .map(|(i, _)| i);
        let Some(i) = longest else {
            return Err(Error::invalid(format!(
                "the row needs {} bytes; MySQL rows hold at most {MAX_ROW_BYTES} bytes besides TEXT/BLOB contents: split the table or shorten its key strings",
                total(columns)
            )));
        };
        let column = &mut columns[i];
        notes.push(format!(
            "{table}.{}: {} became TEXT to keep the row under MySQL's {MAX_ROW_BYTES}-byte limit (utf8mb4 reserves 4 bytes per character)",
            column.name, column.logical
        ));
        column.sql = "TEXT".into();
    }
    Ok(notes)
}
