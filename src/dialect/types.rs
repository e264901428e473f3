//! Logical column types: what a model says (`string(100)`, `decimal(12,2)`,
//! `timestamptz`), independent of any engine. Each dialect maps them to a physical type.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::Error;

/// The accepted spellings, shown in errors and schemas.
pub const SPELLINGS: &str = "string, string(n), text, smallint, integer, bigint, decimal(p,s), float, boolean, date, time, timestamp, timestamptz, json, binary, uuid";

/// A column type independent of the engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LogicalType {
    /// Variable-length text with an optional maximum length in characters.
    String(Option<u32>),
    /// Unbounded text.
    Text,
    /// 16-bit integer.
    SmallInt,
    /// 32-bit integer.
    Integer,
    /// 64-bit integer.
    BigInt,
    /// Exact decimal with precision and scale.
    Decimal(u8, u8),
    /// Double-precision floating point.
    Float,
    /// true / false.
    Boolean,
    /// Calendar date.
    Date,
    /// Time of day.
    Time,
    /// Timestamp without time zone.
    Timestamp,
    /// Timestamp with time zone (an instant).
    TimestampTz,
    /// JSON document.
    Json,
    /// Bytes.
    Binary,
    /// UUID.
    Uuid,
}

impl LogicalType {
    /// Whether values are instants or dates (partitionable by time).
    pub fn is_temporal(self) -> bool {
        matches!(
            self,
            LogicalType::Date | LogicalType::Timestamp | LogicalType::TimestampTz
        )
    }

    /// Whether values are numbers.
    pub fn is_numeric(self) -> bool {
        matches!(
            self,
            LogicalType::SmallInt
                | LogicalType::Integer
                | LogicalType::BigInt
                | LogicalType::Decimal(..)
                | LogicalType::Float
        )
    }
}

impl fmt::Display for LogicalType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LogicalType::String(None) => f.write_str("string"),
            LogicalType::String(Some(n)) => write!(f, "string({n})"),
            LogicalType::Text => f.write_str("text"),
            LogicalType::SmallInt => f.write_str("smallint"),
            LogicalType::Integer => f.write_str("integer"),
            LogicalType::BigInt => f.write_str("bigint"),
            LogicalType::Decimal(p, s) => write!(f, "decimal({p},{s})"),
            LogicalType::Float => f.write_str("float"),
            LogicalType::Boolean => f.write_str("boolean"),
            LogicalType::Date => f.write_str("date"),
            LogicalType::Time => f.write_str("time"),
            LogicalType::Timestamp => f.write_str("timestamp"),
            LogicalType::TimestampTz => f.write_str("timestamptz"),
            LogicalType::Json => f.write_str("json"),
            LogicalType::Binary => f.write_str("binary"),
            LogicalType::Uuid => f.write_str("uuid"),
        }
    }
}

impl FromStr for LogicalType {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let unknown = || Error::invalid(format!("unknown type `{s}`; allowed: {SPELLINGS}"));
        let text = s.trim().to_ascii_lowercase();
        let (base, args) = match text.split_once('(') {
            Some((base, rest)) => {
                let inner = rest.strip_suffix(')').ok_or_else(unknown)?;
                let args: Vec<&str> = inner.split(',').map(str::trim).collect();
                (base.trim(), Some(args))
            }
            None => (text.as_str(), None),
        };
        let base = base.split_whitespace().collect::<Vec<_>>().join(" ");
        let number = |v: &str| v.parse::<u32>().map_err(|_| unknown());
        let t = match (base.as_str(), args.as_deref()) {
            ("string" | "varchar" | "character varying", None) => LogicalType::String(None),
            ("string" | "varchar" | "character varying", Some([n])) => {
                let n = number(n)?;
                if n == 0 || n > 65_535 {
                    return Err(Error::invalid(format!(
                        "type `{s}`: string length must be 1 to 65535"
                    )));
                }
                LogicalType::String(Some(n))
            }
            ("text", None) => LogicalType::Text,
            ("smallint" | "int16", None) => LogicalType::SmallInt,
            ("integer" | "int" | "int32", None) => LogicalType::Integer,
            ("bigint" | "int64" | "long", None) => LogicalType::BigInt,
            ("decimal" | "numeric", None) => LogicalType::Decimal(18, 2),
            ("decimal" | "numeric", Some(args)) => {
                let (p, sc) = match args {
                    [p] => (number(p)?, 0),
                    [p, sc] => (number(p)?, number(sc)?),
                    _ => return Err(unknown()),
                };
                if !(1..=38).contains(&p) || sc > p {
                    return Err(Error::invalid(format!(
                        "type `{s}`: decimal precision must be 1 to 38 and scale at most the precision"
                    )));
                }
                LogicalType::Decimal(p as u8, sc as u8)
            }
            ("float" | "double" | "double precision" | "float64", None) => LogicalType::Float,
            ("boolean" | "bool", None) => LogicalType::Boolean,
            ("date", None) => LogicalType::Date,
            ("time", None) => LogicalType::Time,
            ("timestamp" | "datetime" | "timestamp without time zone" | "timestamp_ntz", None) => {
                LogicalType::Timestamp
            }
            ("timestamptz" | "timestamp with time zone" | "timestamp_tz", None) => {
                LogicalType::TimestampTz
            }
            ("json" | "jsonb", None) => LogicalType::Json,
            ("binary" | "bytes" | "blob" | "varbinary", None) => LogicalType::Binary,
            ("uuid", None) => LogicalType::Uuid,
            _ => return Err(unknown()),
        };
        Ok(t)
    }
}

impl Serialize for LogicalType {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for LogicalType {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl JsonSchema for LogicalType {
    fn schema_name() -> Cow<'static, str> {
        "LogicalType".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        schemars::json_schema!({
            "type": "string",
            "description": format!("one of {SPELLINGS}"),
        })
    }
}

/// An engine type for a logical type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhysicalType {
    /// The type as SQL text.
    pub sql: String,
    /// Why this is an approximation, when it is one.
    pub note: Option<String>,
}

impl PhysicalType {
    /// An exact mapping.
    pub fn exact(sql: impl Into<String>) -> Self {
        PhysicalType {
            sql: sql.into(),
            note: None,
        }
    }

    /// An approximate mapping and why.
    pub fn approx(sql: impl Into<String>, note: impl Into<String>) -> Self {
        PhysicalType {
            sql: sql.into(),
            note: Some(note.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_round_trips() {
        for s in [
            "string",
            "string(100)",
            "decimal(12,2)",
            "timestamptz",
            "json",
            "bigint",
        ] {
            let t: LogicalType = s.parse().unwrap_or(LogicalType::Binary);
            assert_eq!(t.to_string(), s);
        }
        assert_eq!(
            "VARCHAR(20)".parse::<LogicalType>().ok(),
            Some(LogicalType::String(Some(20)))
        );
        assert_eq!(
            "numeric( 10 , 3 )".parse::<LogicalType>().ok(),
            Some(LogicalType::Decimal(10, 3))
        );
        assert_eq!(
            "timestamp with time zone".parse::<LogicalType>().ok(),
            Some(LogicalType::TimestampTz)
        );
        assert!("decimal(40,2)".parse::<LogicalType>().is_err());
        assert!("money".parse::<LogicalType>().is_err());
        assert!("string(0)".parse::<LogicalType>().is_err());
    }
}
