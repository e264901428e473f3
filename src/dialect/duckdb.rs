//! DuckDB: PostgreSQL-like SQL, sequences for surrogate keys, enforced keys, no table
//! partitioning in DDL (it partitions on write), `INSERT ... ON CONFLICT`.

use std::sync::LazyLock;

use sqlparser::dialect::{Dialect, DuckDbDialect};

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

/// Reserved words beyond the SQL standard's: every `duckdb_keywords()` word that fails
/// unquoted as a column or table name (checked against the engine by
/// `tests/it/modeling/keywords.rs`).
/// Also quoted: words sqlparser's duckdb dialect reads as keywords in the statements dana
/// generates (`cluster`, `distribute`, `exclude`, `explain`, `minus`, `sort`, `top`, `view`; checked by `tests/it/modeling/keywords.rs`).
const RESERVED: &[&str] = &[
    "ANALYSE",
    "ANALYZE",
    "ANTI",
    "ASC",
    "ASOF",
    "CLUSTER",
    "COLLATION",
    "COLUMNS",
    "CONCURRENTLY",
    "DEFERRABLE",
    "DESC",
    "DESCRIBE",
    "DISTRIBUTE",
    "DO",
    "EXCLUDE",
    "EXPLAIN",
    "FREEZE",
    "GENERATED",
    "GLOB",
    "ILIKE",
    "INITIALLY",
    "ISNULL",
    "LAMBDA",
    "LIMIT",
    "MAP",
    "MINUS",
    "NOTNULL",
    "OFFSET",
    "PIVOT",
    "PIVOT_LONGER",
    "PIVOT_WIDER",
    "PLACING",
    "POSITIONAL",
    "QUALIFY",
    "RETURNING",
    "SEMI",
    "SHOW",
    "SORT",
    "STRUCT",
    "SUMMARIZE",
    "TOP",
    "TRY_CAST",
    "TUPLE",
    "UNPACK",
    "UNPIVOT",
    "VARIADIC",
    "VERBOSE",
    "VIEW",
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
        Box::new(DuckDbParser(DuckDbDialect {}))
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
    fn surrogate_key(
        &self,
        _table: &TableName,
        _column: &str,
        sequence: &TableName,
    ) -> Result<SurrogateColumn> {
        let quoted = self.qualified_name(sequence)?;
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
    fn load_timestamp(&self) -> &'static str {
        "now()"
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

/// sqlparser's DuckDB dialect plus `COMMENT ON`, which DuckDB has had since 0.10, and
/// `INSERT INTO t AS alias` (upserts use it), which sqlparser 0.64 enables only for other
/// dialects. Everything else is delegated.
#[derive(Debug)]
struct DuckDbParser(DuckDbDialect);

macro_rules! delegate {
    ($($name:ident($($arg:ident: $ty:ty),*) -> $ret:ty;)*) => {
        $(fn $name(&self, $($arg: $ty),*) -> $ret { self.0.$name($($arg),*) })*
    };
}

impl Dialect for DuckDbParser {
    fn dialect(&self) -> std::any::TypeId {
        self.0.dialect()
    }
    fn supports_comment_on(&self) -> bool {
        true
    }
    fn supports_insert_table_alias(&self) -> bool {
        true
    }
    delegate! {
        supports_cte_materialization() -> bool;
        supports_string_literal_column_alias(explicit: bool) -> bool;
        supports_string_literal_table_alias(explicit: bool) -> bool;
        supports_trailing_commas() -> bool;
        is_identifier_start(ch: char) -> bool;
        is_identifier_part(ch: char) -> bool;
        identifier_quote_style(identifier: &str) -> Option<char>;
        supports_filter_during_aggregation() -> bool;
        supports_group_by_expr() -> bool;
        supports_bitwise_shift_operators() -> bool;
        supports_tilde_like_match_operator() -> bool;
        supports_aggregate_order_by_with_empty_args() -> bool;
        supports_comparison_in_between_low_bound() -> bool;
        supports_named_fn_args_with_eq_operator() -> bool;
        supports_named_fn_args_with_assignment_operator() -> bool;
        supports_dictionary_syntax() -> bool;
        support_map_literal_syntax() -> bool;
        supports_lambda_functions() -> bool;
        allow_extract_single_quotes() -> bool;
        supports_explain_with_utility_options() -> bool;
        supports_load_extension() -> bool;
        supports_array_typedef_with_brackets() -> bool;
        supports_from_first_select() -> bool;
        supports_order_by_all() -> bool;
        supports_select_wildcard_exclude() -> bool;
        supports_notnull_operator() -> bool;
        supports_install() -> bool;
        supports_detach() -> bool;
        supports_select_wildcard_replace() -> bool;
        supports_comma_separated_trim() -> bool;
        supports_numeric_literal_underscores() -> bool;
        supports_nested_comments() -> bool;
        supports_add_column_if_not_exists() -> bool;
    }
}
