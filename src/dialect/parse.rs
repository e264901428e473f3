//! Parses generated SQL with the dialect's `sqlparser` dialect. Generators' tests run
//! every statement they produce through [`check`] for every dialect.

use sqlparser::ast::Statement;
use sqlparser::parser::Parser;

use super::SqlDialect;
use crate::error::{Error, Result};

/// Parses `sql` (one or more statements) with the dialect's parser.
pub fn parse(dialect: &dyn SqlDialect, sql: &str) -> Result<Vec<Statement>> {
    let parser = dialect.parser_dialect();
    Parser::parse_sql(parser.as_ref(), sql).map_err(|e| {
        Error::invalid(format!(
            "{} parser rejects the SQL: {e}\n{sql}",
            dialect.name()
        ))
    })
}

/// Checks that `sql` is exactly one statement the dialect's parser accepts.
pub fn check(dialect: &dyn SqlDialect, sql: &str) -> Result<()> {
    let statements = parse(dialect, sql)?;
    if statements.len() != 1 {
        return Err(Error::invalid(format!(
            "expected one {} statement, parsed {}:\n{sql}",
            dialect.name(),
            statements.len()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dialect::{IntervalUnit, all};

    #[test]
    fn expressions_parse_in_every_dialect() {
        for d in all() {
            let table = d
                .qualified_name(&crate::dialect::TableName::new(Some("analytics"), "order"))
                .unwrap_or_default();
            let col = d
                .quote_ident("Email Address")
                .unwrap_or_else(|_| d.quote_ident("email_address").unwrap_or_default());
            let mut conditions = vec![format!(
                "loaded_at < {}",
                d.timestamp_ago(2, IntervalUnit::Hour)
            )];
            if let Ok(Some(re)) = d.regex_match(&col, r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$") {
                conditions.push(re);
            }
            conditions.push(d.null_safe_ne("a", "b"));
            conditions.push(format!(
                "x = {}",
                d.string_literal("it's a \\ 'test'\n").unwrap_or_default()
            ));
            let sql = format!(
                "SELECT {col}, {} AS now FROM {table} WHERE {} {}",
                d.current_timestamp(),
                conditions.join(" AND "),
                d.limit_clause(10)
            );
            if let Err(e) = check(d, &sql) {
                panic!("{e}");
            }
        }
    }

    #[test]
    fn every_reserved_word_quoted_parses_as_column() {
        for d in all() {
            let mut words: Vec<&str> = d.ident_rules().reserved.iter().copied().collect();
            words.sort_unstable();
            for word in words {
                let name = word.to_ascii_lowercase();
                let Ok(col) = d.quote_ident(&name) else {
                    continue;
                };
                let sql = format!("CREATE TABLE t ({col} INTEGER)");
                if let Err(e) = check(d, &sql) {
                    panic!("{e}");
                }
            }
        }
    }

    #[test]
    fn surrogate_keys_parse() {
        for d in all() {
            let table = crate::dialect::TableName::new(Some("s"), "dim_x");
            let sequence = crate::dialect::TableName::new(Some("s"), "seq_dim_x");
            let Ok(key) = d.surrogate_key(&table, "x_key", &sequence) else {
                panic!("{}", d.name())
            };
            for before in &key.before {
                if let Err(e) = check(d, before) {
                    panic!("{e}");
                }
            }
            let pk = if key.inline_primary_key {
                String::new()
            } else {
                ", PRIMARY KEY (x_key)".to_string()
            };
            let sql = format!(
                "CREATE TABLE s.dim_x (x_key {} {}, a INTEGER{pk})",
                key.type_sql, key.options
            );
            if let Err(e) = check(d, &sql) {
                panic!("{e}");
            }
        }
    }
}
