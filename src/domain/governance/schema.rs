//! The one table-schema type governance works on. Contracts, model tables and live
//! tables are all turned into a [`TableSchema`] first; diffs, classification and catalog
//! entries read only this. Column types are written as text (`varchar(100)`,
//! `decimal(12,2)`, `timestamp with time zone`) and parsed into a [`ColumnType`] that
//! knows its family, length, precision, scale and width.

use std::collections::{BTreeMap, HashSet};
use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// A table as governance sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TableSchema {
    /// Table name.
    pub name: String,
    /// What one row is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Columns in table order.
    pub columns: Vec<ColumnSchema>,
    /// Primary key columns in key order (or mark columns `primary_key`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub primary_key: Vec<String>,
    /// Classification level of the table, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub classification: Option<String>,
    /// Upstream datasets or systems, when known.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<String>,
    /// Downstream datasets or consumers, when known.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub downstream: Vec<String>,
}

/// A column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ColumnSchema {
    /// Column name.
    pub name: String,
    /// SQL type, e.g. `varchar(100)`, `bigint`, `decimal(12,2)`, `timestamp with time zone`.
    #[serde(rename = "type")]
    pub data_type: String,
    /// Whether nulls are allowed (default true).
    #[serde(default = "yes")]
    pub nullable: bool,
    /// Part of the primary key.
    #[serde(default, skip_serializing_if = "is_false")]
    pub primary_key: bool,
    /// Values are unique.
    #[serde(default, skip_serializing_if = "is_false")]
    pub unique: bool,
    /// Accepted values, when the column is an enumeration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enum_values: Option<Vec<String>>,
    /// Technical description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Business definition (what the value means to the business).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub business_definition: Option<String>,
    /// Holds personal data (true/false), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pii: Option<bool>,
    /// PII kind (`email`, `phone`, ...), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pii_kind: Option<String>,
    /// Classification level, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub classification: Option<String>,
    /// Referenced column as `table.column`, when a foreign key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub references: Option<String>,
}

fn yes() -> bool {
    true
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl ColumnSchema {
    /// A nullable column of this type with nothing else known.
    pub fn new(name: impl Into<String>, data_type: impl Into<String>) -> Self {
        ColumnSchema {
            name: name.into(),
            data_type: data_type.into(),
            nullable: true,
            primary_key: false,
            unique: false,
            enum_values: None,
            description: None,
            business_definition: None,
            pii: None,
            pii_kind: None,
            classification: None,
            references: None,
        }
    }
}

impl TableSchema {
    /// Checks names and types; `field` prefixes error paths (`old.columns[2].type`).
    pub fn validate(&self, field: &str) -> Result<()> {
        if self.name.trim().is_empty() {
            return Err(Error::invalid(format!("{field}.name: must not be empty")));
        }
        if self.columns.is_empty() {
            return Err(Error::invalid(format!(
                "{field}.columns: table `{}` has no columns",
                self.name
            )));
        }
        let mut seen = HashSet::new();
        for (i, column) in self.columns.iter().enumerate() {
            if column.name.trim().is_empty() {
                return Err(Error::invalid(format!(
                    "{field}.columns[{i}].name: must not be empty"
                )));
            }
            if !seen.insert(column.name.to_lowercase()) {
                return Err(Error::invalid(format!(
                    "{field}.columns[{i}].name: duplicate column `{}`",
                    column.name
                )));
            }
            ColumnType::parse(&column.data_type)
                .map_err(|e| Error::invalid(format!("{field}.columns[{i}].type: {e}")))?;
            if let Some(values) = &column.enum_values
                && values.is_empty()
            {
                return Err(Error::invalid(format!(
                    "{field}.columns[{i}].enum_values: give at least one value or leave it out"
                )));
            }
        }
        for key in &self.primary_key {
            if !self
                .columns
                .iter()
                .any(|c| c.name.eq_ignore_ascii_case(key))
            {
                return Err(Error::invalid(format!(
                    "{field}.primary_key: `{key}` is not a column of `{}`",
                    self.name
                )));
            }
        }
        Ok(())
    }

    /// Primary key columns: `primary_key` if given, else the columns marked as keys.
    pub fn key_columns(&self) -> Vec<String> {
        if !self.primary_key.is_empty() {
            return self.primary_key.clone();
        }
        self.columns
            .iter()
            .filter(|c| c.primary_key)
            .map(|c| c.name.clone())
            .collect()
    }

    /// The same schema with `primary_key` filled and each key column marked.
    pub fn normalized(mut self) -> Self {
        let keys = self.key_columns();
        for column in &mut self.columns {
            if keys.iter().any(|k| k.eq_ignore_ascii_case(&column.name)) {
                column.primary_key = true;
                column.nullable = false;
            }
        }
        self.primary_key = keys;
        self
    }

    /// Column by name (case-insensitive).
    pub fn column(&self, name: &str) -> Option<&ColumnSchema> {
        self.columns
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(name))
    }
}

/// The family of a column type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TypeFamily {
    /// Character data.
    String,
    /// Whole numbers.
    Integer,
    /// Exact decimals.
    Decimal,
    /// Floating point.
    Float,
    /// True/false.
    Boolean,
    /// Calendar date.
    Date,
    /// Time of day.
    Time,
    /// Timestamp without time zone.
    Timestamp,
    /// Timestamp with time zone.
    TimestampTz,
    /// JSON documents.
    Json,
    /// Bytes.
    Binary,
    /// UUIDs.
    Uuid,
    /// Anything else, compared by its text.
    Other,
}

/// A parsed column type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ColumnType {
    /// Family.
    pub family: TypeFamily,
    /// Maximum length of strings and binaries (none = unbounded).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub length: Option<u32>,
    /// Decimal precision.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub precision: Option<u32>,
    /// Decimal scale.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scale: Option<u32>,
    /// Width in bits of integers (8/16/32/64/128) and floats (32/64).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bits: Option<u32>,
    /// Fixed-length (`char(n)`): values are padded.
    #[serde(skip_serializing_if = "is_false")]
    pub fixed: bool,
    /// Lower-cased source text for `other` types.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

impl ColumnType {
    fn of(family: TypeFamily) -> Self {
        ColumnType {
            family,
            length: None,
            precision: None,
            scale: None,
            bits: None,
            fixed: false,
            text: None,
        }
    }

    fn int(bits: u32) -> Self {
        ColumnType {
            bits: Some(bits),
            ..Self::of(TypeFamily::Integer)
        }
    }

    fn float(bits: u32) -> Self {
        ColumnType {
            bits: Some(bits),
            ..Self::of(TypeFamily::Float)
        }
    }

    /// Parses a SQL type as written by any of dana's dialects (and ODCS logical names).
    pub fn parse(text: &str) -> Result<Self> {
        let lowered = text.trim().to_lowercase();
        let normalized: String = lowered.split_whitespace().collect::<Vec<_>>().join(" ");
        if normalized.is_empty() {
            return Err(Error::invalid("type must not be empty"));
        }
        if normalized
            .chars()
            .any(|c| !(c.is_ascii_alphanumeric() || " _(),.<>".contains(c)))
        {
            return Err(Error::invalid(format!(
                "`{text}` is not a SQL type (letters, digits, spaces, `_`, `(`, `)`, `,` only)"
            )));
        }
        let (base, args) = match normalized.find('(') {
            Some(open) => {
                let close = normalized
                    .rfind(')')
                    .ok_or_else(|| Error::invalid(format!("`{text}`: unbalanced parenthesis")))?;
                if close < open {
                    return Err(Error::invalid(format!("`{text}`: unbalanced parenthesis")));
                }
                let inner = &normalized[open + 1..close];
                let rest = normalized[close + 1..].trim();
                let base = format!("{} {}", normalized[..open].trim(), rest)
                    .trim()
                    .to_string();
                let args = inner
                    .split(',')
                    .map(|a| a.trim())
                    .filter(|a| !a.is_empty())
                    .map(|a| {
                        if a == "max" {
                            Ok(None)
                        } else {
                            a.parse::<u32>().map(Some).map_err(|_| {
                                Error::invalid(format!("`{text}`: `{a}` is not a number"))
                            })
                        }
                    })
                    .collect::<Result<Vec<Option<u32>>>>()?;
                (base, args)
            }
            None => (normalized.clone(), Vec::new()),
        };
        let arg = |i: usize| args.get(i).copied().flatten();
        let t = match base.as_str() {
            "varchar"
            | "character varying"
            | "nvarchar"
            | "varchar2"
            | "nvarchar2"
            | "string"
            | "text"
            | "clob"
            | "nclob"
            | "tinytext"
            | "mediumtext"
            | "longtext"
            | "citext"
            | "national character varying" => ColumnType {
                length: arg(0),
                ..Self::of(TypeFamily::String)
            },
            "char" | "character" | "nchar" | "bpchar" | "national character" => ColumnType {
                length: Some(arg(0).unwrap_or(1)),
                fixed: true,
                ..Self::of(TypeFamily::String)
            },
            "tinyint" | "int1" | "byteint" => Self::int(8),
            "smallint" | "int2" | "smallserial" | "serial2" | "short" => Self::int(16),
            "mediumint" | "int3" => Self::int(24),
            "int" | "integer" | "int4" | "serial" | "serial4" | "signed" => Self::int(32),
            "bigint" | "int8" | "bigserial" | "serial8" | "long" | "int64" => Self::int(64),
            "hugeint" | "int128" => Self::int(128),
            "decimal" | "numeric" | "number" | "dec" | "bignumeric" | "bigdecimal" => {
                match (arg(0), arg(1)) {
                    (Some(p), s) => ColumnType {
                        precision: Some(p),
                        scale: Some(s.unwrap_or(0)),
                        ..Self::of(TypeFamily::Decimal)
                    },
                    (None, _) => Self::of(TypeFamily::Decimal),
                }
            }
            "real" | "float4" | "float32" => Self::float(32),
            "double" | "double precision" | "float8" | "float64" => Self::float(64),
            "float" => match arg(0) {
                Some(p) if p <= 24 => Self::float(32),
                _ => Self::float(64),
            },
            "bool" | "boolean" | "bit" if arg(0).unwrap_or(1) == 1 => Self::of(TypeFamily::Boolean),
            "date" => Self::of(TypeFamily::Date),
            "time" | "time without time zone" => Self::of(TypeFamily::Time),
            "timestamp"
            | "timestamp without time zone"
            | "datetime"
            | "datetime2"
            | "timestamp_ntz"
            | "smalldatetime" => Self::of(TypeFamily::Timestamp),
            "timestamptz"
            | "timestamp with time zone"
            | "timestamp_tz"
            | "timestamp_ltz"
            | "datetimeoffset" => Self::of(TypeFamily::TimestampTz),
            "json" | "jsonb" | "variant" => Self::of(TypeFamily::Json),
            "binary" | "varbinary" | "bytea" | "blob" | "bytes" | "longblob" | "mediumblob"
            | "tinyblob" => ColumnType {
                length: arg(0),
                ..Self::of(TypeFamily::Binary)
            },
            "uuid" | "uniqueidentifier" => Self::of(TypeFamily::Uuid),
            _ => ColumnType {
                text: Some(normalized.clone()),
                ..Self::of(TypeFamily::Other)
            },
        };
        Ok(t)
    }

    /// Digits before the decimal point this type can hold (integers and decimals).
    pub fn integer_digits(&self) -> Option<u32> {
        match self.family {
            TypeFamily::Integer => Some(match self.bits.unwrap_or(32) {
                8 => 3,
                16 => 5,
                24 => 8,
                32 => 10,
                64 => 19,
                _ => 39,
            }),
            TypeFamily::Decimal => match (self.precision, self.scale) {
                (Some(p), Some(s)) => Some(p.saturating_sub(s)),
                _ => None,
            },
            _ => None,
        }
    }

    /// The ODCS logical type name.
    pub fn odcs_logical(&self) -> &'static str {
        match self.family {
            TypeFamily::String | TypeFamily::Uuid | TypeFamily::Binary => "string",
            TypeFamily::Integer => "integer",
            TypeFamily::Decimal | TypeFamily::Float => "number",
            TypeFamily::Boolean => "boolean",
            TypeFamily::Date => "date",
            TypeFamily::Time => "time",
            TypeFamily::Timestamp | TypeFamily::TimestampTz => "timestamp",
            TypeFamily::Json => "object",
            TypeFamily::Other => "string",
        }
    }
}

/// Canonical text of a type (the form dana writes into contracts).
impl fmt::Display for ColumnType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.family {
            TypeFamily::String if self.fixed => write!(f, "char({})", self.length.unwrap_or(1)),
            TypeFamily::String => match self.length {
                Some(n) => write!(f, "varchar({n})"),
                None => f.write_str("text"),
            },
            TypeFamily::Integer => f.write_str(match self.bits.unwrap_or(32) {
                8 => "tinyint",
                16 => "smallint",
                24 => "mediumint",
                32 => "integer",
                64 => "bigint",
                _ => "hugeint",
            }),
            TypeFamily::Decimal => match (self.precision, self.scale) {
                (Some(p), Some(s)) => write!(f, "decimal({p},{s})"),
                _ => f.write_str("decimal"),
            },
            TypeFamily::Float => f.write_str(if self.bits == Some(32) {
                "real"
            } else {
                "double"
            }),
            TypeFamily::Boolean => f.write_str("boolean"),
            TypeFamily::Date => f.write_str("date"),
            TypeFamily::Time => f.write_str("time"),
            TypeFamily::Timestamp => f.write_str("timestamp"),
            TypeFamily::TimestampTz => f.write_str("timestamp with time zone"),
            TypeFamily::Json => f.write_str("json"),
            TypeFamily::Binary => match self.length {
                Some(n) => write!(f, "varbinary({n})"),
                None => f.write_str("binary"),
            },
            TypeFamily::Uuid => f.write_str("uuid"),
            TypeFamily::Other => f.write_str(self.text.as_deref().unwrap_or("other")),
        }
    }
}

/// How a type change affects existing values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypeChange {
    /// Identical.
    Same,
    /// Every old value fits the new type.
    Widened(String),
    /// Some old values may not fit.
    Narrowed(String),
    /// Another family.
    Changed(String),
    /// Same family, semantics differ.
    Review(String),
}

/// Compares two column types.
pub fn compare_types(old: &ColumnType, new: &ColumnType) -> TypeChange {
    use TypeFamily as F;
    if old == new {
        return TypeChange::Same;
    }
    let (o, n) = (old.to_string(), new.to_string());
    match (old.family, new.family) {
        (F::String, F::String) => {
            if old.fixed != new.fixed {
                return TypeChange::Review(format!(
                    "`{o}` -> `{n}`: fixed-length values are padded, variable-length ones are not"
                ));
            }
            bound_change(old.length, new.length, "length", &o, &n)
        }
        (F::Binary, F::Binary) => bound_change(old.length, new.length, "length", &o, &n),
        (F::Integer, F::Integer) => bound_change(old.bits, new.bits, "width in bits", &o, &n),
        (F::Float, F::Float) => bound_change(old.bits, new.bits, "width in bits", &o, &n),
        (F::Decimal, F::Decimal) => decimal_change(old, new, &o, &n),
        (F::Integer, F::Decimal) => match (old.integer_digits(), new.integer_digits(), new.scale) {
            (Some(have), Some(room), _) if room >= have => TypeChange::Widened(format!(
                "`{o}` -> `{n}`: {room} integer digits hold every {o} value"
            )),
            (_, None, _) => TypeChange::Widened(format!(
                "`{o}` -> `{n}`: an unconstrained decimal holds every integer"
            )),
            (Some(have), Some(room), _) => TypeChange::Narrowed(format!(
                "`{o}` -> `{n}`: only {room} integer digits, {o} needs {have}"
            )),
            _ => TypeChange::Changed(format!("`{o}` -> `{n}`")),
        },
        (F::Integer, F::Float) => {
            let exact = match new.bits.unwrap_or(64) {
                32 => 24,
                _ => 53,
            };
            if old.bits.unwrap_or(32) < exact {
                TypeChange::Widened(format!("`{o}` -> `{n}`: every {o} value is exact in {n}"))
            } else {
                TypeChange::Review(format!(
                    "`{o}` -> `{n}`: large {o} values lose precision in a float"
                ))
            }
        }
        (F::Decimal, F::Float) | (F::Float, F::Decimal) => TypeChange::Review(format!(
            "`{o}` -> `{n}`: exact and floating-point numbers round differently"
        )),
        (F::Decimal, F::Integer) | (F::Float, F::Integer) => {
            TypeChange::Narrowed(format!("`{o}` -> `{n}`: fractional digits are lost"))
        }
        (F::Date, F::Timestamp) | (F::Date, F::TimestampTz) => TypeChange::Review(format!(
            "`{o}` -> `{n}`: readers comparing with dates now meet times of day"
        )),
        (F::Timestamp, F::TimestampTz) | (F::TimestampTz, F::Timestamp) => TypeChange::Review(
            format!("`{o}` -> `{n}`: the time zone interpretation of stored values changes"),
        ),
        (F::Timestamp, F::Date) | (F::TimestampTz, F::Date) => {
            TypeChange::Narrowed(format!("`{o}` -> `{n}`: the time of day is lost"))
        }
        (F::Other, F::Other) => TypeChange::Changed(format!("`{o}` -> `{n}`")),
        (F::Uuid, F::String) | (F::Json, F::String) => match new.length {
            None => TypeChange::Review(format!(
                "`{o}` -> `{n}`: values keep their text but lose type checks"
            )),
            Some(_) => TypeChange::Changed(format!("`{o}` -> `{n}`")),
        },
        _ => TypeChange::Changed(format!(
            "`{o}` -> `{n}`: {} becomes {}",
            family_name(old.family),
            family_name(new.family)
        )),
    }
}

fn family_name(f: TypeFamily) -> String {
    serde_json::to_value(f)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// A bounded size (length, bits): `None` is unbounded.
fn bound_change(old: Option<u32>, new: Option<u32>, what: &str, o: &str, n: &str) -> TypeChange {
    match (old, new) {
        (a, b) if a == b => TypeChange::Same,
        (Some(_), None) => TypeChange::Widened(format!("`{o}` -> `{n}`: {what} is now unbounded")),
        (None, Some(b)) => TypeChange::Narrowed(format!(
            "`{o}` -> `{n}`: {what} is now bounded at {b}; longer values no longer fit"
        )),
        (Some(a), Some(b)) if b > a => {
            TypeChange::Widened(format!("`{o}` -> `{n}`: {what} grows from {a} to {b}"))
        }
        (Some(a), Some(b)) => TypeChange::Narrowed(format!(
            "`{o}` -> `{n}`: {what} shrinks from {a} to {b}; existing values may not fit"
        )),
        _ => TypeChange::Same,
    }
}

fn decimal_change(old: &ColumnType, new: &ColumnType, o: &str, n: &str) -> TypeChange {
    match (old.precision, old.scale, new.precision, new.scale) {
        (Some(_), Some(_), None, _) => {
            TypeChange::Widened(format!("`{o}` -> `{n}`: precision is now unconstrained"))
        }
        (None, _, Some(_), _) => TypeChange::Narrowed(format!(
            "`{o}` -> `{n}`: precision is now bounded; large values may not fit"
        )),
        (Some(op), Some(os), Some(np), Some(ns)) => {
            let (oi, ni) = (op.saturating_sub(os), np.saturating_sub(ns));
            if ni >= oi && ns >= os {
                TypeChange::Widened(format!(
                    "`{o}` -> `{n}`: integer digits {oi} -> {ni}, fraction digits {os} -> {ns}"
                ))
            } else if ni < oi {
                TypeChange::Narrowed(format!(
                    "`{o}` -> `{n}`: integer digits shrink from {oi} to {ni}; large values no longer fit"
                ))
            } else {
                TypeChange::Narrowed(format!(
                    "`{o}` -> `{n}`: fraction digits shrink from {os} to {ns}; values are rounded"
                ))
            }
        }
        _ => TypeChange::Same,
    }
}

/// Lower-cased column name → column, for matching.
pub fn by_name(table: &TableSchema) -> BTreeMap<String, (usize, &ColumnSchema)> {
    table
        .columns
        .iter()
        .enumerate()
        .map(|(i, c)| (c.name.to_lowercase(), (i, c)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> ColumnType {
        ColumnType::parse(s).unwrap()
    }

    #[test]
    fn parses_and_prints_canonical_types() {
        for (input, canonical) in [
            ("VARCHAR(100)", "varchar(100)"),
            ("character varying(50)", "varchar(50)"),
            ("TEXT", "text"),
            ("int", "integer"),
            ("INT8", "bigint"),
            ("numeric(12, 2)", "decimal(12,2)"),
            ("timestamp with time zone", "timestamp with time zone"),
            ("TIMESTAMPTZ", "timestamp with time zone"),
            ("double precision", "double"),
            ("char(2)", "char(2)"),
            ("geography", "geography"),
            ("string(20)", "varchar(20)"),
        ] {
            assert_eq!(t(input).to_string(), canonical, "{input}");
            assert_eq!(t(canonical), t(input), "{input} round trip");
        }
        assert!(ColumnType::parse("int; drop table x").is_err());
        assert!(ColumnType::parse("").is_err());
        assert!(ColumnType::parse("varchar(abc)").is_err());
    }

    #[test]
    fn compares_types() {
        assert!(matches!(
            compare_types(&t("int"), &t("bigint")),
            TypeChange::Widened(_)
        ));
        assert!(matches!(
            compare_types(&t("bigint"), &t("int")),
            TypeChange::Narrowed(_)
        ));
        assert!(matches!(
            compare_types(&t("varchar(100)"), &t("varchar(50)")),
            TypeChange::Narrowed(_)
        ));
        assert!(matches!(
            compare_types(&t("varchar(50)"), &t("text")),
            TypeChange::Widened(_)
        ));
        assert!(matches!(
            compare_types(&t("decimal(10,2)"), &t("decimal(12,2)")),
            TypeChange::Widened(_)
        ));
        assert!(matches!(
            compare_types(&t("decimal(10,2)"), &t("decimal(10,4)")),
            TypeChange::Narrowed(_)
        ));
        assert!(matches!(
            compare_types(&t("int"), &t("varchar(10)")),
            TypeChange::Changed(_)
        ));
        assert!(matches!(
            compare_types(&t("timestamp"), &t("timestamptz")),
            TypeChange::Review(_)
        ));
        assert_eq!(compare_types(&t("integer"), &t("int4")), TypeChange::Same);
    }
}
