//! BigQuery: backtick identifiers of letters, digits and underscores, keys declared
//! `NOT ENFORCED`, no integer key generator (UUID keys), `PARTITION BY` / `CLUSTER BY`,
//! `OPTIONS(description = ...)`, `MERGE`.

use std::sync::LazyLock;

use super::ident::{Fold, IdentRules, LengthUnit, StringEscape};
use super::{
    CommentStyle, ConstraintSupport, Enforcement, IntervalUnit, LayoutRequest, SqlDialect,
    SurrogateColumn, SurrogateKeyStyle, TableLayout, TableName, TimeGrain, UpdateStyle,
    unsupported_hints,
};
use crate::dialect::types::{LogicalType, PhysicalType};
use crate::error::Result;

/// Google BigQuery (GoogleSQL).
#[derive(Debug, Clone, Copy)]
pub struct BigQuery;

/// Reserved words beyond the SQL standard's, from BigQuery's published list
/// (<https://cloud.google.com/bigquery/docs/reference/standard-sql/lexical#reserved_keywords>);
/// no engine here to derive them from.
/// Also quoted: words sqlglot, the independent parser the tests use, reads as keywords
/// in this dialect (`glob`, `ilike`, `notnull`, `partitioned_by`, `regexp`, `returning`, `rlike`, `uncache`, `xor`); quoting a name is always safe.
const RESERVED: &[&str] = &[
    "ASC",
    "ASSERT_ROWS_MODIFIED",
    "COLLATE",
    "CONTAINS",
    "DEFINE",
    "DESC",
    "ENUM",
    "EXCLUDE",
    "FOLLOWING",
    "GLOB",
    "GROUPS",
    "HASH",
    "IF",
    "IGNORE",
    "ILIKE",
    "LIMIT",
    "LOOKUP",
    "NOTNULL",
    "NULLS",
    "PARTITIONED_BY",
    "PRECEDING",
    "PROTO",
    "QUALIFY",
    "REGEXP",
    "RESPECT",
    "RETURNING",
    "RLIKE",
    "STRUCT",
    "UNBOUNDED",
    "UNCACHE",
    "XOR",
];

static RULES: LazyLock<IdentRules> = LazyLock::new(|| {
    let mut rules = IdentRules::standard(
        "BigQuery",
        '`',
        Fold::Preserve,
        300,
        LengthUnit::Chars,
        RESERVED,
    );
    rules.ascii_word_only = true;
    rules
});

impl SqlDialect for BigQuery {
    fn name(&self) -> &'static str {
        "bigquery"
    }
    fn title(&self) -> &'static str {
        "BigQuery"
    }
    fn aliases(&self) -> &'static [&'static str] {
        &["bq", "googlesql"]
    }
    fn parser_dialect(&self) -> Box<dyn sqlparser::dialect::Dialect> {
        Box::new(sqlparser::dialect::BigQueryDialect)
    }
    fn ident_rules(&self) -> &'static IdentRules {
        &RULES
    }
    fn string_escape(&self) -> StringEscape {
        StringEscape::Backslash
    }
    fn physical_type(&self, logical: &LogicalType) -> PhysicalType {
        match logical {
            LogicalType::String(Some(n)) => PhysicalType::exact(format!("STRING({n})")),
            LogicalType::String(None) | LogicalType::Text => PhysicalType::exact("STRING"),
            LogicalType::SmallInt | LogicalType::Integer | LogicalType::BigInt => {
                PhysicalType::exact("INT64")
            }
            LogicalType::Decimal(p, s) if *s <= 9 && p.saturating_sub(*s) <= 29 => {
                PhysicalType::exact(format!("NUMERIC({p}, {s})"))
            }
            LogicalType::Decimal(p, s) => PhysicalType::exact(format!("BIGNUMERIC({p}, {s})")),
            LogicalType::Float => PhysicalType::exact("FLOAT64"),
            LogicalType::Boolean => PhysicalType::exact("BOOL"),
            LogicalType::Date => PhysicalType::exact("DATE"),
            LogicalType::Time => PhysicalType::exact("TIME"),
            LogicalType::Timestamp => PhysicalType::exact("DATETIME"),
            LogicalType::TimestampTz => PhysicalType::exact("TIMESTAMP"),
            LogicalType::Json => PhysicalType::exact("JSON"),
            LogicalType::Binary => PhysicalType::exact("BYTES"),
            LogicalType::Uuid => PhysicalType::approx(
                "STRING",
                "BigQuery has no UUID type: uuid columns are STRING",
            ),
        }
    }
    fn surrogate_key_style(&self) -> SurrogateKeyStyle {
        SurrogateKeyStyle::Uuid
    }
    fn surrogate_key(
        &self,
        _table: &TableName,
        _column: &str,
        _sequence: &TableName,
    ) -> Result<SurrogateColumn> {
        Ok(SurrogateColumn {
            type_sql: "STRING".into(),
            key_type: LogicalType::String(None),
            options: "NOT NULL DEFAULT GENERATE_UUID()".into(),
            inline_primary_key: false,
            before: Vec::new(),
            unknown_member_key: "'-1'".into(),
        })
    }
    fn constraints(&self) -> ConstraintSupport {
        ConstraintSupport {
            primary_key: Enforcement::Declared,
            unique: Enforcement::Unsupported,
            foreign_key: Enforcement::Declared,
            check: Enforcement::Unsupported,
            not_null: Enforcement::Enforced,
        }
    }
    fn declared_constraint_suffix(&self) -> &'static str {
        " NOT ENFORCED"
    }
    fn names_primary_key(&self) -> bool {
        false
    }
    fn has_indexes(&self) -> bool {
        false
    }
    fn table_layout(&self, table: &TableName, request: &LayoutRequest<'_>) -> Result<TableLayout> {
        let mut layout = TableLayout::default();
        if table.schema.is_none() {
            layout.notes.push(format!(
                "{}: BigQuery tables live in a dataset; set `schema` to the dataset name",
                table.name
            ));
        }
        if let Some((column, logical, grain)) = request.partition {
            let unit = match grain {
                TimeGrain::Day => "DAY",
                TimeGrain::Month => "MONTH",
                TimeGrain::Year => "YEAR",
            };
            let expr = match logical {
                LogicalType::Date if grain == TimeGrain::Day => Some(column.to_string()),
                LogicalType::Date => Some(format!("DATE_TRUNC({column}, {unit})")),
                LogicalType::Timestamp => Some(format!("DATETIME_TRUNC({column}, {unit})")),
                LogicalType::TimestampTz => Some(format!("TIMESTAMP_TRUNC({column}, {unit})")),
                _ => None,
            };
            match expr {
                Some(expr) => layout.clauses.push(format!("PARTITION BY {expr}")),
                None => layout.notes.push(format!(
                    "{}: BigQuery partitions by a date/timestamp column or an integer RANGE_BUCKET with explicit bounds; {column} is {logical}, partition hint left out",
                    table.name
                )),
            }
        }
        if !request.cluster.is_empty() {
            let keep = request.cluster.len().min(4);
            if request.cluster.len() > 4 {
                layout.notes.push(format!(
                    "{}: BigQuery clusters on at most 4 columns; kept the first 4",
                    table.name
                ));
            }
            layout
                .clauses
                .push(format!("CLUSTER BY {}", request.cluster[..keep].join(", ")));
        }
        let rest = LayoutRequest {
            partition: None,
            cluster: &[],
            ..request.clone()
        };
        unsupported_hints(self.title(), &rest, false, false, true, &mut layout);
        if let Some(comment) = request.comment {
            layout.clauses.push(format!(
                "OPTIONS(description = {})",
                self.string_literal(comment)?
            ));
        }
        Ok(layout)
    }
    fn comment_style(&self) -> CommentStyle {
        CommentStyle::Inline
    }
    fn column_comment(&self, text: &str) -> Result<String> {
        Ok(format!(
            "OPTIONS(description = {})",
            self.string_literal(text)?
        ))
    }
    fn update_style(&self) -> UpdateStyle {
        UpdateStyle::From
    }
    fn current_timestamp(&self) -> &'static str {
        "CURRENT_TIMESTAMP()"
    }
    fn timestamp_ago(&self, amount: u32, unit: IntervalUnit) -> String {
        format!(
            "TIMESTAMP_SUB(CURRENT_TIMESTAMP(), INTERVAL {amount} {})",
            unit.keyword()
        )
    }
    fn regex_match(&self, expr: &str, pattern: &str) -> Result<Option<String>> {
        Ok(Some(format!(
            "REGEXP_CONTAINS({expr}, {})",
            self.string_literal(pattern)?
        )))
    }
    fn hash_input(&self, expr: &str) -> String {
        format!("COALESCE(CAST({expr} AS STRING), '')")
    }
    fn md5_hex(&self, text: &str) -> Option<String> {
        Some(format!("TO_HEX(MD5({text}))"))
    }
}
