//! The one audited place where input becomes SQL text: identifier validation and
//! quoting, string-literal escaping, and the wrapper that hands dynamic SQL to sqlx.
//!
//! Policy:
//! - A name is written bare only when it is a plain lower-case identifier
//!   (`[a-z_][a-z0-9_]*`) that is not a reserved word of the engine. Anything else (mixed
//!   case, spaces, punctuation, Unicode, reserved words) is quoted, with the quote
//!   character doubled inside.
//! - A plain name that is a reserved word is quoted in the engine's folded case, so it
//!   means exactly what the bare name would (`"DATE"` on Snowflake, `"date"` on PostgreSQL).
//! - A name that cannot be made safe is refused: empty, NUL or other control characters,
//!   leading or trailing whitespace, over the engine's length limit, or characters the
//!   engine does not accept even quoted.
//! - String literals are escaped for the engine's rules (doubling quotes, and escaping
//!   backslashes where the engine treats them as escapes); NUL is refused.

use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hasher};

use crate::error::{Error, Result};

/// Reserved words of the SQL standard (SQL:2016), quoted by every dialect. Quoting a
/// word an engine does not reserve is harmless: it is quoted in the engine's folded case.
pub const SQL_RESERVED: &[&str] = &[
    "ABS",
    "ALL",
    "ALLOCATE",
    "ALTER",
    "AND",
    "ANY",
    "ARE",
    "ARRAY",
    "AS",
    "ASENSITIVE",
    "ASYMMETRIC",
    "AT",
    "ATOMIC",
    "AUTHORIZATION",
    "AVG",
    "BEGIN",
    "BETWEEN",
    "BIGINT",
    "BINARY",
    "BLOB",
    "BOOLEAN",
    "BOTH",
    "BY",
    "CALL",
    "CALLED",
    "CARDINALITY",
    "CASCADED",
    "CASE",
    "CAST",
    "CEIL",
    "CEILING",
    "CHAR",
    "CHARACTER",
    "CHAR_LENGTH",
    "CHARACTER_LENGTH",
    "CHECK",
    "CLOB",
    "CLOSE",
    "COALESCE",
    "COLLATE",
    "COLLECT",
    "COLUMN",
    "COMMIT",
    "CONDITION",
    "CONNECT",
    "CONSTRAINT",
    "CONVERT",
    "CORR",
    "CORRESPONDING",
    "COUNT",
    "COVAR_POP",
    "COVAR_SAMP",
    "CREATE",
    "CROSS",
    "CUBE",
    "CUME_DIST",
    "CURRENT",
    "CURRENT_CATALOG",
    "CURRENT_DATE",
    "CURRENT_PATH",
    "CURRENT_ROLE",
    "CURRENT_ROW",
    "CURRENT_SCHEMA",
    "CURRENT_TIME",
    "CURRENT_TIMESTAMP",
    "CURRENT_USER",
    "CURSOR",
    "CYCLE",
    "DATE",
    "DAY",
    "DEALLOCATE",
    "DEC",
    "DECIMAL",
    "DECLARE",
    "DEFAULT",
    "DELETE",
    "DENSE_RANK",
    "DEREF",
    "DESCRIBE",
    "DETERMINISTIC",
    "DISCONNECT",
    "DISTINCT",
    "DOUBLE",
    "DROP",
    "DYNAMIC",
    "EACH",
    "ELEMENT",
    "ELSE",
    "END",
    "ESCAPE",
    "EVERY",
    "EXCEPT",
    "EXEC",
    "EXECUTE",
    "EXISTS",
    "EXP",
    "EXTERNAL",
    "EXTRACT",
    "FALSE",
    "FETCH",
    "FILTER",
    "FIRST_VALUE",
    "FLOAT",
    "FLOOR",
    "FOR",
    "FOREIGN",
    "FREE",
    "FROM",
    "FULL",
    "FUNCTION",
    "FUSION",
    "GET",
    "GLOBAL",
    "GRANT",
    "GROUP",
    "GROUPING",
    "GROUPS",
    "HAVING",
    "HOLD",
    "HOUR",
    "IDENTITY",
    "IN",
    "INDICATOR",
    "INNER",
    "INOUT",
    "INSENSITIVE",
    "INSERT",
    "INT",
    "INTEGER",
    "INTERSECT",
    "INTERSECTION",
    "INTERVAL",
    "INTO",
    "IS",
    "JOIN",
    "LAG",
    "LANGUAGE",
    "LARGE",
    "LAST_VALUE",
    "LATERAL",
    "LEAD",
    "LEADING",
    "LEFT",
    "LIKE",
    "LIKE_REGEX",
    "LN",
    "LOCAL",
    "LOCALTIME",
    "LOCALTIMESTAMP",
    "LOWER",
    "MATCH",
    "MAX",
    "MEMBER",
    "MERGE",
    "METHOD",
    "MIN",
    "MINUTE",
    "MOD",
    "MODIFIES",
    "MODULE",
    "MONTH",
    "MULTISET",
    "NATIONAL",
    "NATURAL",
    "NCHAR",
    "NCLOB",
    "NEW",
    "NO",
    "NONE",
    "NORMALIZE",
    "NOT",
    "NTH_VALUE",
    "NTILE",
    "NULL",
    "NULLIF",
    "NUMERIC",
    "OCTET_LENGTH",
    "OF",
    "OFFSET",
    "OLD",
    "ON",
    "ONLY",
    "OPEN",
    "OR",
    "ORDER",
    "OUT",
    "OUTER",
    "OVER",
    "OVERLAPS",
    "OVERLAY",
    "PARAMETER",
    "PARTITION",
    "PERCENT",
    "PERCENT_RANK",
    "PERCENTILE_CONT",
    "PERCENTILE_DISC",
    "PERIOD",
    "PORTION",
    "POSITION",
    "POWER",
    "PRECISION",
    "PREPARE",
    "PRIMARY",
    "PROCEDURE",
    "RANGE",
    "RANK",
    "READS",
    "REAL",
    "RECURSIVE",
    "REF",
    "REFERENCES",
    "REFERENCING",
    "RELEASE",
    "RESULT",
    "RETURN",
    "RETURNS",
    "REVOKE",
    "RIGHT",
    "ROLLBACK",
    "ROLLUP",
    "ROW",
    "ROW_NUMBER",
    "ROWS",
    "SAVEPOINT",
    "SCOPE",
    "SCROLL",
    "SEARCH",
    "SECOND",
    "SELECT",
    "SENSITIVE",
    "SESSION_USER",
    "SET",
    "SHOW",
    "SIMILAR",
    "SMALLINT",
    "SOME",
    "SPECIFIC",
    "SPECIFICTYPE",
    "SQL",
    "SQLEXCEPTION",
    "SQLSTATE",
    "SQLWARNING",
    "SQRT",
    "START",
    "STATIC",
    "STDDEV_POP",
    "STDDEV_SAMP",
    "SUBMULTISET",
    "SUBSTRING",
    "SUM",
    "SYMMETRIC",
    "SYSTEM",
    "SYSTEM_USER",
    "TABLE",
    "TABLESAMPLE",
    "THEN",
    "TIME",
    "TIMESTAMP",
    "TIMEZONE_HOUR",
    "TIMEZONE_MINUTE",
    "TO",
    "TRAILING",
    "TRANSLATE",
    "TRANSLATION",
    "TREAT",
    "TRIGGER",
    "TRIM",
    "TRUE",
    "TRUNCATE",
    "UESCAPE",
    "UNION",
    "UNIQUE",
    "UNKNOWN",
    "UNNEST",
    "UPDATE",
    "UPPER",
    "USER",
    "USING",
    "VALUE",
    "VALUES",
    "VAR_POP",
    "VAR_SAMP",
    "VARBINARY",
    "VARCHAR",
    "VARYING",
    "WHEN",
    "WHENEVER",
    "WHERE",
    "WIDTH_BUCKET",
    "WINDOW",
    "WITH",
    "WITHIN",
    "WITHOUT",
    "YEAR",
];

/// How unquoted identifiers are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fold {
    /// Folded to lower case (PostgreSQL, Redshift, DuckDB).
    Lower,
    /// Folded to upper case (Snowflake).
    Upper,
    /// Case kept, compared case-insensitively (MySQL, SQLite, BigQuery, Databricks).
    Preserve,
}

/// How identifier length is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LengthUnit {
    /// UTF-8 bytes.
    Bytes,
    /// Characters.
    Chars,
}

/// FNV-1a, for word sets fixed at startup: a reserved-word lookup runs for every
/// identifier of every generated statement, and nothing untrusted is ever inserted, so
/// SipHash's resistance to crafted collisions buys nothing here.
#[derive(Debug, Clone, Copy)]
pub struct WordHasher(u64);

impl Default for WordHasher {
    fn default() -> Self {
        WordHasher(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for WordHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}

/// A fixed set of words (upper case) with the [`WordHasher`].
pub type WordSet = HashSet<&'static str, BuildHasherDefault<WordHasher>>;

/// An engine's identifier rules.
#[derive(Debug)]
pub struct IdentRules {
    /// Engine name used in messages.
    pub engine: &'static str,
    /// Quote character (the same opens and closes).
    pub quote: char,
    /// Case folding of unquoted names.
    pub fold: Fold,
    /// Longest accepted identifier.
    pub max_len: usize,
    /// Unit of `max_len`.
    pub len_unit: LengthUnit,
    /// Reserved words, upper case.
    pub reserved: WordSet,
    /// Characters refused even inside quotes, with the reason shown in the error.
    pub forbidden: &'static [char],
    /// Why `forbidden` characters are refused.
    pub forbidden_reason: &'static str,
    /// Only `[A-Za-z0-9_]` accepted (BigQuery).
    pub ascii_word_only: bool,
    /// Only Basic Multilingual Plane characters (MySQL).
    pub bmp_only: bool,
}

impl IdentRules {
    /// Rules with standard double-quote quoting.
    pub fn new(
        engine: &'static str,
        quote: char,
        fold: Fold,
        max_len: usize,
        len_unit: LengthUnit,
        reserved: &[&'static str],
    ) -> Self {
        IdentRules {
            engine,
            quote,
            fold,
            max_len,
            len_unit,
            reserved: reserved.iter().copied().collect(),
            forbidden: &[],
            forbidden_reason: "",
            ascii_word_only: false,
            bmp_only: false,
        }
    }

    /// Rules whose reserved words are the SQL standard's plus `extra`.
    pub fn standard(
        engine: &'static str,
        quote: char,
        fold: Fold,
        max_len: usize,
        len_unit: LengthUnit,
        extra: &[&'static str],
    ) -> Self {
        let mut rules = Self::new(engine, quote, fold, max_len, len_unit, SQL_RESERVED);
        rules.reserved.extend(extra.iter().copied());
        rules
    }

    /// Whether `upper` (an upper-cased plain name) is reserved.
    pub fn is_reserved(&self, upper: &str) -> bool {
        self.reserved.contains(upper)
    }
}

/// A table name, optionally in a schema (dataset, database).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TableName {
    /// Schema, dataset or database.
    pub schema: Option<String>,
    /// Table name.
    pub name: String,
}

impl TableName {
    /// A table name.
    pub fn new(schema: Option<&str>, name: &str) -> Self {
        TableName {
            schema: schema.map(str::to_string),
            name: name.to_string(),
        }
    }

    /// A sibling name in the same schema (`<name><suffix>`).
    pub fn with_suffix(&self, suffix: &str) -> Self {
        TableName {
            schema: self.schema.clone(),
            name: format!("{}{suffix}", self.name),
        }
    }
}

/// Why a name cannot be used, or `None` when it can.
pub fn problem(rules: &IdentRules, name: &str) -> Option<String> {
    // Fast path for the common case: `[a-z_][a-z0-9_]*` within the limit has none of the
    // problems below (no control characters, whitespace, non-word or astral characters;
    // its byte length is its character count; no rule forbids a letter, digit or `_`).
    if is_plain(name)
        && name.len() <= rules.max_len
        && !rules
            .forbidden
            .iter()
            .any(|c| c.is_ascii_alphanumeric() || *c == '_')
    {
        return None;
    }
    if name.is_empty() {
        return Some("identifier is empty".into());
    }
    if let Some(c) = name.chars().find(|c| c.is_control()) {
        let what = if c == '\0' {
            "NUL".to_string()
        } else {
            format!("control character U+{:04X}", c as u32)
        };
        return Some(format!(
            "identifier `{}` contains {what}",
            name.escape_debug()
        ));
    }
    if name.starts_with(char::is_whitespace) || name.ends_with(char::is_whitespace) {
        return Some(format!(
            "identifier `{name}` starts or ends with whitespace"
        ));
    }
    let len = match rules.len_unit {
        LengthUnit::Bytes => name.len(),
        LengthUnit::Chars => name.chars().count(),
    };
    if len > rules.max_len {
        let unit = match rules.len_unit {
            LengthUnit::Bytes => "bytes",
            LengthUnit::Chars => "characters",
        };
        let shown: String = name.chars().take(24).collect();
        return Some(format!(
            "identifier `{shown}…` is {len} {unit}; {} allows at most {}",
            rules.engine, rules.max_len
        ));
    }
    if rules.ascii_word_only && !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Some(format!(
            "identifier `{name}`: {} names may contain only letters, digits and underscores",
            rules.engine
        ));
    }
    if rules.bmp_only && name.chars().any(|c| c as u32 > 0xFFFF) {
        return Some(format!(
            "identifier `{name}`: {} does not accept characters outside the Basic Multilingual Plane (such as emoji)",
            rules.engine
        ));
    }
    if let Some(c) = name.chars().find(|c| rules.forbidden.contains(c)) {
        return Some(format!(
            "identifier `{name}` contains `{c}`: {}",
            rules.forbidden_reason
        ));
    }
    None
}

/// Checks a name against the rules.
pub fn validate(rules: &IdentRules, name: &str) -> Result<()> {
    match problem(rules, name) {
        Some(message) => Err(Error::invalid(message)),
        None => Ok(()),
    }
}

/// Whether `name` is a plain lower-case identifier (`[a-z_][a-z0-9_]*`).
pub fn is_plain(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// Validates `name` and returns it as SQL text, quoted when it needs it.
pub fn quote(rules: &IdentRules, name: &str) -> Result<String> {
    validate(rules, name)?;
    if is_plain(name) {
        if !reserved_plain(rules, name) {
            return Ok(name.to_string());
        }
        let folded = match rules.fold {
            Fold::Upper => name.to_ascii_uppercase(),
            Fold::Lower | Fold::Preserve => name.to_string(),
        };
        return Ok(wrap(rules.quote, &folded));
    }
    Ok(wrap(rules.quote, name))
}

/// Whether the plain (ASCII) `name` is a reserved word, upper-cased on the stack: quoting
/// runs for every identifier of every statement, and no keyword is longer than 64 bytes.
fn reserved_plain(rules: &IdentRules, name: &str) -> bool {
    let mut buf = [0u8; 64];
    let Some(slot) = buf.get_mut(..name.len()) else {
        return false;
    };
    slot.copy_from_slice(name.as_bytes());
    slot.make_ascii_uppercase();
    std::str::from_utf8(slot).is_ok_and(|upper| rules.is_reserved(upper))
}

/// `text` as a plain word: ASCII letters and digits lower-cased, everything else `_`
/// (file names and slot names derived from user text).
pub fn ascii_word(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect()
}

/// Validates `name` and returns it always quoted (for callers that need a stable form).
pub fn quote_always(rules: &IdentRules, name: &str) -> Result<String> {
    validate(rules, name)?;
    Ok(wrap(rules.quote, name))
}

fn wrap(quote: char, name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 2);
    out.push(quote);
    for c in name.chars() {
        if c == quote {
            out.push(quote);
        }
        out.push(c);
    }
    out.push(quote);
    out
}

/// `schema.table` or `table`, each part validated and quoted.
pub fn qualified(rules: &IdentRules, table: &TableName) -> Result<String> {
    let name = quote(rules, &table.name)?;
    match table.schema.as_deref() {
        Some(schema) => Ok(format!("{}.{name}", quote(rules, schema)?)),
        None => Ok(name),
    }
}

/// How an engine escapes string literals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StringEscape {
    /// `'` doubled; backslash is an ordinary character (PostgreSQL, SQLite, DuckDB).
    Standard,
    /// `'` doubled and backslash escaped (MySQL, Snowflake, Redshift).
    DoubleQuoteAndBackslash,
    /// `\'` and `\\`; newlines and tabs escaped (BigQuery, Databricks).
    Backslash,
}

/// A string literal for the engine; NUL is refused.
pub fn string_literal(style: StringEscape, value: &str) -> Result<String> {
    if value.contains('\0') {
        return Err(Error::invalid(
            "string value contains NUL, which no SQL engine stores in text",
        ));
    }
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    for c in value.chars() {
        match (style, c) {
            (_, '\'') if style != StringEscape::Backslash => out.push_str("''"),
            (StringEscape::Backslash, '\'') => out.push_str("\\'"),
            (StringEscape::DoubleQuoteAndBackslash | StringEscape::Backslash, '\\') => {
                out.push_str("\\\\")
            }
            (StringEscape::Backslash, '\n') => out.push_str("\\n"),
            (StringEscape::Backslash, '\r') => out.push_str("\\r"),
            (StringEscape::Backslash, '\t') => out.push_str("\\t"),
            _ => out.push(c),
        }
    }
    out.push('\'');
    Ok(out)
}

/// Hands SQL text assembled from quoted identifiers and escaped literals to sqlx. This is
/// the only place dana wraps dynamic SQL in `AssertSqlSafe`: callers must have built the
/// text with this module.
pub fn assert_sql_safe(sql: String) -> sqlx::AssertSqlSafe<String> {
    sqlx::AssertSqlSafe(sql)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The allocation-free paths agree with the plain definitions for every reserved word
    /// of every dialect (lower-, upper- and mixed-case) and for plain names near them.
    #[test]
    fn fast_paths_agree_with_the_definitions() {
        for dialect in crate::dialect::all() {
            let rules = dialect.ident_rules();
            for word in &rules.reserved {
                assert!(
                    word.len() <= 64,
                    "{}: `{word}` is longer than 64 bytes",
                    rules.engine
                );
                let lower = word.to_ascii_lowercase();
                for name in [lower.clone(), format!("{lower}_x"), format!("x{lower}")] {
                    if !is_plain(&name) {
                        continue;
                    }
                    assert_eq!(
                        reserved_plain(rules, &name),
                        rules.is_reserved(&name.to_ascii_uppercase()),
                        "{}: `{name}`",
                        rules.engine
                    );
                    let slow_ok = {
                        let len = match rules.len_unit {
                            LengthUnit::Bytes => name.len(),
                            LengthUnit::Chars => name.chars().count(),
                        };
                        len <= rules.max_len
                    };
                    assert_eq!(
                        problem(rules, &name).is_none(),
                        slow_ok,
                        "{}: `{name}`",
                        rules.engine
                    );
                }
                assert_ne!(
                    quote(rules, &lower).ok().as_deref(),
                    Some(lower.as_str()),
                    "{}: reserved `{lower}` left unquoted",
                    rules.engine
                );
            }
            let long = "a".repeat(rules.max_len + 1);
            assert!(problem(rules, &long).is_some(), "{}", rules.engine);
            assert!(
                !reserved_plain(rules, &"select".repeat(20)),
                "{}",
                rules.engine
            );
        }
    }

    fn pg() -> IdentRules {
        IdentRules::new(
            "PostgreSQL",
            '"',
            Fold::Lower,
            63,
            LengthUnit::Bytes,
            &["ORDER", "USER", "SELECT"],
        )
    }

    #[test]
    fn quoting() {
        let r = pg();
        assert_eq!(
            quote(&r, "customer_id").ok().as_deref(),
            Some("customer_id")
        );
        assert_eq!(quote(&r, "order").ok().as_deref(), Some("\"order\""));
        assert_eq!(
            quote(&r, "CustomerId").ok().as_deref(),
            Some("\"CustomerId\"")
        );
        assert_eq!(quote(&r, "a\"b").ok().as_deref(), Some("\"a\"\"b\""));
        assert_eq!(
            quote(&r, "x; DROP TABLE y --").ok().as_deref(),
            Some("\"x; DROP TABLE y --\"")
        );
        assert_eq!(quote(&r, "1st").ok().as_deref(), Some("\"1st\""));
        let upper = IdentRules::new(
            "Snowflake",
            '"',
            Fold::Upper,
            255,
            LengthUnit::Chars,
            &["ORDER"],
        );
        assert_eq!(quote(&upper, "order").ok().as_deref(), Some("\"ORDER\""));
    }

    #[test]
    fn refusals() {
        let r = pg();
        for bad in ["", "a\0b", "a\nb", " a", "a ", &"x".repeat(64)] {
            assert!(quote(&r, bad).is_err(), "{bad:?}");
        }
        assert!(quote(&r, &"é".repeat(31)).is_ok());
        assert!(quote(&r, &"é".repeat(32)).is_err());
    }

    #[test]
    fn literals() {
        let lit = |s, v| string_literal(s, v).ok();
        assert_eq!(
            lit(StringEscape::Standard, "it's \\").as_deref(),
            Some("'it''s \\'")
        );
        assert_eq!(
            lit(StringEscape::DoubleQuoteAndBackslash, "it's \\").as_deref(),
            Some("'it''s \\\\'")
        );
        assert_eq!(
            lit(StringEscape::Backslash, "it's \\\n").as_deref(),
            Some("'it\\'s \\\\\\n'")
        );
        assert!(string_literal(StringEscape::Standard, "a\0").is_err());
    }
}
