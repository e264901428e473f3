//! Golden files: the retail model's DDL and SCD loads in all eight dialects.

use super::{all_dialects, ddl, retail, scd};

#[test]
fn retail_in_every_dialect() {
    let model = retail();
    for d in all_dialects() {
        let out = ddl(&model, d, None);
        let mut text = out.script.clone();
        text.push_str("\n-- notes\n");
        for note in &out.notes {
            text.push_str(&format!("-- {note}\n"));
        }
        for (dim, staging, effective) in [
            ("dim_customers", "stg_customers", Some("changed_at")),
            ("dim_stores", "stg_stores", None),
        ] {
            let dimension = model
                .dimensions
                .iter()
                .find(|x| x.name == dim)
                .expect("fixture dimension");
            let load = scd(dimension, d, model.schema.as_deref(), staging, effective);
            text.push_str(&format!("\n-- SCD load of {dim} ({:?})\n", load.strategy));
            for s in &load.statements {
                text.push_str(&format!(
                    "-- step {}: {}\n{};\n\n",
                    s.step, s.purpose, s.sql
                ));
            }
        }
        insta::with_settings!({ snapshot_path => "../snapshots", prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!(format!("modeling_retail_{}", d.name()), text);
        });
    }
}
