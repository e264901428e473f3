//! Every generated statement, for every fixture model, parses with its dialect's
//! sqlparser dialect: DDL, and the SCD load of every dimension with and without an
//! effective-time column.

use dana::dialect::parse::check;

use super::{all_dialects, ddl, fixtures, scd};

#[test]
fn every_statement_parses_in_every_dialect() {
    let mut checked = 0;
    for (name, model) in fixtures() {
        for d in all_dialects() {
            let out = ddl(&model, d, Some("analytics"));
            assert!(!out.statements.is_empty());
            for s in &out.statements {
                if let Err(e) = check(d, &s.sql) {
                    panic!("{name}/{}: {e}", d.name());
                }
                checked += 1;
            }
            for dim in &model.dimensions {
                for effective in [None, Some("changed_at")] {
                    let load = scd(dim, d, Some("analytics"), "stg_input", effective);
                    for s in &load.statements {
                        if let Err(e) = check(d, &s.sql) {
                            panic!("{name}/{}/{}: {e}", d.name(), dim.name);
                        }
                        checked += 1;
                    }
                }
            }
        }
    }
    assert!(checked > 200, "only {checked} statements checked");
}
