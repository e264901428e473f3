//! SCD invariants checked on a real engine: a dimension is created, loaded from a first
//! staging table, loaded from a second one where one member changes every attribute
//! (including NULL to value and value to NULL), one stays, one is new and one is absent,
//! then loaded again from the second (a re-run). After the loads: one current row per
//! member, contiguous versions, one new version per Type 2 or 6 change, Type 1 (and
//! Type 4) overwritten in every version, Type 6 current_ columns equal to the last load
//! on every version of a member, Type 3 shifted only where the value changed, one Type 4
//! history row per member and change (numbered 1, 2, … with the latest equal to the last
//! load), and a re-run that changes nothing. Values are compared in SQL with the dialect's null-safe test, so no value
//! is read back as text except the version fingerprint.

use dana::dialect::LogicalType;
use dana::domain::modeling::{DimensionSpec, GenerateScdMergeParams, generate_scd_merge};

use super::engines::Engine;
use super::env;

/// A literal of `t` on `engine`: `variant` 0 and 1 are two different values; keys use
/// `key` 1..=4.
pub fn literal(engine: &Engine, t: LogicalType, variant: usize) -> String {
    let d = engine.dialect;
    let pick = |a: &str, b: &str| if variant == 0 { a } else { b }.to_string();
    match t {
        LogicalType::String(_) | LogicalType::Text => d
            .string_literal(if variant == 0 { "é" } else { "ü" })
            .expect("literal"),
        LogicalType::SmallInt | LogicalType::Integer | LogicalType::BigInt => pick("1", "2"),
        LogicalType::Decimal(p, s) if p == s => pick("0.1", "0.2"),
        LogicalType::Decimal(..) => pick("1", "2"),
        LogicalType::Float => pick("1.5", "2.5"),
        LogicalType::Boolean => d.boolean_literal(variant != 0).to_string(),
        LogicalType::Date => d
            .date_literal(if variant == 0 {
                "2024-01-01"
            } else {
                "2024-06-30"
            })
            .expect("date"),
        LogicalType::Time => pick("'10:00:00'", "'11:30:00'"),
        LogicalType::Timestamp | LogicalType::TimestampTz => d
            .timestamp_literal(if variant == 0 {
                "2024-01-01 10:00:00"
            } else {
                "2024-06-30 11:30:00"
            })
            .expect("timestamp"),
        LogicalType::Json => pick("'{\"a\": 1}'", "'{\"a\": 2}'"),
        LogicalType::Binary => {
            let hex = pick("01", "02");
            match d.name() {
                "postgres" => format!("decode('{hex}', 'hex')"),
                "duckdb" => format!("unhex('{hex}')"),
                _ => format!("X'{hex}'"),
            }
        }
        LogicalType::Uuid => pick(
            "'00000000-0000-0000-0000-00000000000a'",
            "'00000000-0000-0000-0000-00000000000b'",
        ),
    }
}

/// A natural-key literal for member `key` (1..=4), never the unknown member's.
pub fn key_literal(engine: &Engine, t: LogicalType, key: usize) -> String {
    let d = engine.dialect;
    match t {
        LogicalType::Date => d.date_literal(&format!("2024-03-0{key}")).expect("date"),
        LogicalType::Timestamp | LogicalType::TimestampTz => d
            .timestamp_literal(&format!("2024-03-0{key} 00:00:00"))
            .expect("timestamp"),
        LogicalType::SmallInt | LogicalType::Integer | LogicalType::BigInt => key.to_string(),
        LogicalType::Decimal(p, s) if p == s => format!("0.{key}"),
        LogicalType::Decimal(..) => key.to_string(),
        LogicalType::Float => format!("{key}.5"),
        LogicalType::Uuid => format!("'00000000-0000-0000-0000-00000000000{key}'"),
        LogicalType::Boolean => d.boolean_literal(key.is_multiple_of(2)).to_string(),
        _ => d.string_literal(&key.to_string()).expect("literal"),
    }
}

struct Attr {
    column: String,
    source: String,
    scd: u8,
    previous: Option<String>,
    current: Option<String>,
}

/// Runs the three loads and checks the invariants. `tag` keeps staging names unique in
/// the schema.
pub async fn check(
    engine: &Engine,
    dim: &DimensionSpec,
    tag: &str,
    effective: bool,
) -> Result<(), String> {
    let d = engine.dialect;
    let q = |n: &str| d.quote_ident(n).map_err(|e| e.to_string());
    let (books, templates) = env();
    let stg_a = format!("stg_{tag}_a");
    let stg_b = format!("stg_{tag}_b");
    let default_scd = dim.scd_type.unwrap_or(1);
    let mut attrs = Vec::new();
    for a in &dim.attributes {
        let scd = a.scd_type.unwrap_or(default_scd);
        attrs.push(Attr {
            column: q(&a.name)?,
            source: q(a.source.as_deref().unwrap_or(&a.name))?,
            scd,
            previous: None,
            current: None,
        });
    }
    let scd2 = attrs.iter().any(|a| matches!(a.scd, 2 | 6));
    // The load's own reading of the dimension: generated column names.
    let load = |staging: &str| {
        generate_scd_merge(
            &GenerateScdMergeParams {
                dimension: dim.clone(),
                staging_table: staging.to_string(),
                parents: Vec::new(),
                dialect: None,
                schema: Some(engine.schema.clone()),
                staging_schema: None,
                effective_from_column: effective.then(|| "dana_changed_at".to_string()),
                project: None,
            },
            d,
            &books,
            &templates,
        )
        .map_err(|e| format!("generate_scd_merge refused an accepted dimension: {e}"))
    };
    let spec_model = dana::domain::modeling::ModelSpec {
        name: "check".into(),
        dimensions: vec![dim.clone()],
        ..Default::default()
    };
    let (model, _) =
        dana::domain::modeling::normalize(&spec_model, &books.naming).map_err(|e| e.to_string())?;
    let table = &model.tables[0];
    for c in table.columns_with(dana::domain::modeling::ColumnRole::PreviousValue) {
        let tracked = q(c.tracks.as_deref().unwrap_or_default())?;
        if let Some(a) = attrs.iter_mut().find(|a| a.column == tracked) {
            a.previous = Some(q(&c.name)?);
        }
    }
    for c in table.columns_with(dana::domain::modeling::ColumnRole::CurrentValue) {
        let tracked = q(c.tracks.as_deref().unwrap_or_default())?;
        if let Some(a) = attrs.iter_mut().find(|a| a.column == tracked) {
            a.current = Some(q(&c.name)?);
        }
    }
    // The Type 4 history table: its name and version column.
    let history = model
        .tables
        .iter()
        .find(|t| t.kind == dana::domain::modeling::TableKind::History)
        .map(|h| {
            let version = h
                .columns_with(dana::domain::modeling::ColumnRole::Version)
                .next()
                .map(|c| q(&c.name))
                .transpose()?
                .unwrap_or_default();
            Ok::<_, String>((engine.table(&h.name), version))
        })
        .transpose()?;
    let generated = |role| {
        table
            .columns_with(role)
            .next()
            .map(|c| q(&c.name))
            .transpose()
    };
    use dana::domain::modeling::ColumnRole;
    let sk = generated(ColumnRole::SurrogateKey)?.unwrap_or_default();
    let valid_from = generated(ColumnRole::ValidFrom)?;
    let valid_to = generated(ColumnRole::ValidTo)?;
    let is_current = generated(ColumnRole::IsCurrent)?;

    // Staging tables.
    let mut cols = Vec::new();
    let mut types = Vec::new();
    for c in &dim.natural_key {
        cols.push(q(&c.name)?);
        types.push(c.logical_type);
    }
    for a in &dim.attributes {
        types.push(a.logical_type);
    }
    let nk_count = dim.natural_key.len();
    for a in &attrs {
        cols.push(a.source.clone());
    }
    if effective {
        cols.push("dana_changed_at".into());
        types.push(LogicalType::TimestampTz);
    }
    for staging in [&stg_a, &stg_b] {
        let defs: Vec<String> = cols
            .iter()
            .zip(&types)
            .map(|(c, t)| {
                // The staging table is the user's: on MySQL, long strings as TEXT keep
                // its row under 65,535 bytes.
                let sql = match t {
                    LogicalType::String(n) if d.name() == "mysql" && n.is_none_or(|n| n > 255) => {
                        "TEXT".to_string()
                    }
                    _ => d.physical_type(t).sql,
                };
                format!("{c} {sql}")
            })
            .collect();
        engine
            .try_exec(&format!(
                "CREATE TABLE {} ({})",
                engine.table(staging),
                defs.join(", ")
            ))
            .await
            .map_err(|e| format!("staging: {e}"))?;
    }
    // Attribute values: (A, B) of member 1 for attribute j.
    let value = |j: usize, t: LogicalType, nullable: bool, second: bool| -> String {
        match (nullable, j % 2, second) {
            (true, 0, false) | (true, 1, true) => literal(engine, t, 0),
            (true, _, _) => "NULL".into(),
            (false, _, false) => literal(engine, t, 0),
            (false, _, true) => literal(engine, t, 1),
        }
    };
    let row = |key: usize, second: bool, changed: bool| -> String {
        let mut v: Vec<String> = dim
            .natural_key
            .iter()
            .map(|c| key_literal(engine, c.logical_type, key))
            .collect();
        for (j, a) in dim.attributes.iter().enumerate() {
            v.push(value(j, a.logical_type, a.nullable, second && changed));
        }
        if effective {
            v.push(
                d.timestamp_literal(if second {
                    "2024-02-01 00:00:00"
                } else {
                    "2024-01-01 00:00:00"
                })
                .expect("timestamp"),
            );
        }
        v.join(", ")
    };
    let insert = |staging: &str, rows: Vec<String>| {
        rows.into_iter()
            .map(|r| format!("INSERT INTO {} VALUES ({r})", engine.table(staging)))
            .collect::<Vec<_>>()
    };
    let mut staged = insert(
        &stg_a,
        vec![
            row(1, false, true),
            row(2, false, false),
            row(4, false, false),
        ],
    );
    staged.extend(insert(
        &stg_b,
        vec![row(1, true, true), row(2, true, false), row(3, true, false)],
    ));
    for sql in staged {
        engine
            .try_exec(&sql)
            .await
            .map_err(|e| format!("staging insert {sql}: {e}"))?;
    }

    let run = |staging: String| async move {
        for s in load(&staging)?.statements {
            engine
                .try_exec(&s.sql)
                .await
                .map_err(|e| format!("{} rejected the load:\n{}\n{e}", d.name(), s.sql))?;
        }
        Ok::<(), String>(())
    };
    run(stg_a.clone()).await?;
    run(stg_b.clone()).await?;

    let target = engine.table(&dim.name);
    let nk: Vec<String> = cols[..nk_count].to_vec();
    let key_match = |a: &str, b: &str| {
        nk.iter()
            .map(|c| format!("{a}.{c} = {b}.{c}"))
            .collect::<Vec<_>>()
            .join(" AND ")
    };
    let staged_key = format!(
        "(EXISTS (SELECT 1 FROM {} AS dana_a WHERE {}) OR EXISTS (SELECT 1 FROM {} AS dana_b WHERE {}))",
        engine.table(&stg_a),
        key_match("dana_t", "dana_a"),
        engine.table(&stg_b),
        key_match("dana_t", "dana_b")
    );
    let ne = |a: &str, b: &str| d.null_safe_ne(a, b);
    let any_ne = |left: &str, right: &str, which: &dyn Fn(&Attr) -> bool| -> String {
        let parts: Vec<String> = attrs
            .iter()
            .filter(|a| which(a))
            .map(|a| {
                ne(
                    &format!("{left}.{}", a.column),
                    &format!("{right}.{}", a.source),
                )
            })
            .collect();
        if parts.is_empty() {
            "1 = 0".into()
        } else {
            format!("({})", parts.join(" OR "))
        }
    };
    let truth = d.boolean_literal(true);
    let falsity = d.boolean_literal(false);
    let count = |sql: String| async move {
        let rows = engine.texts(&sql).await;
        rows.first()
            .and_then(|r| r.first().cloned().flatten())
            .unwrap_or_default()
            .parse::<i64>()
            .unwrap_or(-1)
    };
    let expect = |what: &str, got: i64, want: i64| {
        if got == want {
            Ok(())
        } else {
            Err(format!("{}: {what}: got {got}, expected {want}", d.name()))
        }
    };
    let n = |expr: &str| engine.text(expr);
    let checks = || async {
        let rows = count(format!(
            "SELECT {} FROM {target} AS dana_t WHERE {staged_key}",
            n("COUNT(*)")
        ))
        .await;
        let changed_versions = i64::from(scd2);
        expect("rows of the four members", rows, 4 + changed_versions)?;
        if let (true, Some(cur), Some(from), Some(to)) = (scd2, &is_current, &valid_from, &valid_to)
        {
            let bad = count(format!(
                "SELECT {} FROM {} AS dana_b WHERE (SELECT COUNT(*) FROM {target} AS dana_t WHERE {} AND dana_t.{cur} = {truth}) <> 1",
                n("COUNT(*)"),
                engine.table(&stg_b),
                key_match("dana_t", "dana_b")
            ))
            .await;
            expect(
                "members of the last load without exactly one current row",
                bad,
                0,
            )?;
            let bad = count(format!(
                "SELECT {} FROM {target} AS dana_t WHERE {staged_key} AND dana_t.{cur} = {falsity} AND NOT EXISTS (SELECT 1 FROM {target} AS dana_m WHERE {} AND dana_m.{from} = dana_t.{to})",
                n("COUNT(*)"),
                key_match("dana_m", "dana_t")
            ))
            .await;
            expect(
                "closed versions not followed by a version starting when they end",
                bad,
                0,
            )?;
            let bad = count(format!(
                "SELECT {} FROM {target} AS dana_t WHERE {staged_key} AND (dana_t.{from} > dana_t.{to} OR (dana_t.{cur} = {truth} AND dana_t.{to} <> {}))",
                n("COUNT(*)"),
                d.max_timestamp_literal()
            ))
            .await;
            expect(
                "versions ending before they start, or current ones not open",
                bad,
                0,
            )?;
            let bad = count(format!(
                "SELECT {} FROM {target} AS dana_t JOIN {} AS dana_a ON {} WHERE dana_t.{cur} = {falsity} AND {}",
                n("COUNT(*)"),
                engine.table(&stg_a),
                key_match("dana_t", "dana_a"),
                any_ne("dana_t", "dana_a", &|a| matches!(a.scd, 2 | 6))
            ))
            .await;
            expect(
                "closed versions without the first load's Type 2 values",
                bad,
                0,
            )?;
        }
        let current = match &is_current {
            Some(cur) if scd2 => format!("dana_t.{cur} = {truth}"),
            _ => "1 = 1".into(),
        };
        let bad = count(format!(
            "SELECT {} FROM {target} AS dana_t JOIN {} AS dana_b ON {} WHERE {current} AND {}",
            n("COUNT(*)"),
            engine.table(&stg_b),
            key_match("dana_t", "dana_b"),
            any_ne("dana_t", "dana_b", &|_| true)
        ))
        .await;
        expect("current rows without the last load's values", bad, 0)?;
        let bad = count(format!(
            "SELECT {} FROM {target} AS dana_t JOIN {} AS dana_b ON {} WHERE {}",
            n("COUNT(*)"),
            engine.table(&stg_b),
            key_match("dana_t", "dana_b"),
            any_ne("dana_t", "dana_b", &|a| matches!(a.scd, 1 | 4))
        ))
        .await;
        expect(
            "versions whose Type 1 attributes were not overwritten",
            bad,
            0,
        )?;
        for a in &attrs {
            let Some(current) = &a.current else { continue };
            let bad = count(format!(
                "SELECT {} FROM {target} AS dana_t JOIN {} AS dana_b ON {} WHERE {}",
                n("COUNT(*)"),
                engine.table(&stg_b),
                key_match("dana_t", "dana_b"),
                ne(
                    &format!("dana_t.{current}"),
                    &format!("dana_b.{}", a.source)
                )
            ))
            .await;
            expect(
                &format!(
                    "versions whose Type 6 {current} differs from the last load",
                    current = current
                ),
                bad,
                0,
            )?;
        }
        if let Some((hist, version)) = &history {
            let type4 = |a: &Attr| a.scd == 4;
            let rows = count(format!(
                "SELECT {} FROM {hist} AS dana_t WHERE {staged_key}",
                n("COUNT(*)")
            ))
            .await;
            expect(
                "Type 4 history rows (one per member, one more for the changed one)",
                rows,
                5,
            )?;
            let bad = count(format!(
                "SELECT {} FROM {hist} AS dana_t WHERE {staged_key} AND (dana_t.{version} < 1 OR (dana_t.{version} > 1 AND NOT EXISTS (SELECT 1 FROM {hist} AS dana_m WHERE {} AND dana_m.{version} = dana_t.{version} - 1)))",
                n("COUNT(*)"),
                key_match("dana_m", "dana_t")
            ))
            .await;
            expect("history rows not numbered 1, 2, … per member", bad, 0)?;
            let bad = count(format!(
                "SELECT {} FROM {hist} AS dana_t JOIN {} AS dana_a ON {} WHERE dana_t.{version} = 1 AND {}",
                n("COUNT(*)"),
                engine.table(&stg_a),
                key_match("dana_t", "dana_a"),
                any_ne("dana_t", "dana_a", &type4)
            ))
            .await;
            expect("first history rows without the first load's values", bad, 0)?;
            let bad = count(format!(
                "SELECT {} FROM {} AS dana_b WHERE NOT EXISTS (SELECT 1 FROM {hist} AS dana_t WHERE {} AND NOT EXISTS (SELECT 1 FROM {hist} AS dana_m WHERE {} AND dana_m.{version} > dana_t.{version}) AND NOT {})",
                n("COUNT(*)"),
                engine.table(&stg_b),
                key_match("dana_t", "dana_b"),
                key_match("dana_m", "dana_t"),
                any_ne("dana_t", "dana_b", &type4)
            ))
            .await;
            expect(
                "members of the last load whose latest history row differs from it",
                bad,
                0,
            )?;
        }
        for a in &attrs {
            let Some(prev) = &a.previous else { continue };
            let changed = ne(
                &format!("dana_a.{}", a.source),
                &format!("dana_b.{}", a.source),
            );
            let bad = count(format!(
                "SELECT {} FROM {target} AS dana_t JOIN {} AS dana_a ON {} JOIN {} AS dana_b ON {} WHERE {current} AND (({changed} AND {}) OR (NOT ({changed}) AND dana_t.{prev} IS NOT NULL))",
                n("COUNT(*)"),
                engine.table(&stg_a),
                key_match("dana_t", "dana_a"),
                engine.table(&stg_b),
                key_match("dana_t", "dana_b"),
                ne(&format!("dana_t.{prev}"), &format!("dana_a.{}", a.source)),
            ))
            .await;
            expect(
                &format!("rows where Type 3 {} did not shift exactly once", a.column),
                bad,
                0,
            )?;
        }
        Ok::<(), String>(())
    };
    checks().await?;
    let fingerprint = format!(
        "SELECT {}{} FROM {target} AS dana_t WHERE {staged_key} ORDER BY dana_t.{sk}",
        n(&format!("dana_t.{sk}")),
        match (&valid_from, &valid_to) {
            (Some(f), Some(t)) => format!(
                ", {}, {}",
                n(&format!("dana_t.{f}")),
                n(&format!("dana_t.{t}"))
            ),
            _ => String::new(),
        }
    );
    let history_count = history.as_ref().map(|(hist, _)| {
        format!(
            "SELECT {} FROM {hist} AS dana_t WHERE {staged_key}",
            n("COUNT(*)")
        )
    });
    let before = engine.texts(&fingerprint).await;
    let history_before = match &history_count {
        Some(sql) => engine.texts(sql).await,
        None => Vec::new(),
    };
    run(stg_b.clone()).await?;
    let after = engine.texts(&fingerprint).await;
    let history_after = match &history_count {
        Some(sql) => engine.texts(sql).await,
        None => Vec::new(),
    };
    if history_before != history_after {
        return Err(format!(
            "{}: re-running the last load added history rows: {history_before:?} -> {history_after:?}",
            d.name()
        ));
    }
    if before != after {
        return Err(format!(
            "{}: re-running the last load changed versions: {before:?} -> {after:?}",
            d.name()
        ));
    }
    checks().await
}

/// A dimension with every SCD type (1, 2, 3, 4 and 6, nullable and not, several logical
/// types) keeps every invariant on every engine, with and without an effective-time
/// column.
#[tokio::test]
async fn every_scd_type_mix_keeps_its_invariants_on_every_engine() {
    use dana::domain::modeling::{AttributeSpec, ColumnSpec, ModelSpec};
    let attr = |name: &str, scd: u8, t: LogicalType, nullable: bool| AttributeSpec {
        name: name.to_string(),
        logical_type: t,
        scd_type: Some(scd),
        source: (scd == 4).then(|| format!("src_{name}")),
        nullable,
        description: None,
    };
    let dims = [
        (
            "dim_mix",
            vec![
                attr("segment", 6, LogicalType::String(Some(20)), true),
                attr("tier", 6, LogicalType::Integer, false),
                attr("city", 2, LogicalType::String(Some(40)), true),
                attr("email", 1, LogicalType::String(Some(80)), true),
                attr("score", 4, LogicalType::Decimal(8, 2), true),
                attr("band", 4, LogicalType::String(Some(10)), false),
                attr("prior", 3, LogicalType::Date, true),
            ],
        ),
        (
            "dim_type4_only",
            vec![
                attr("status", 4, LogicalType::String(Some(20)), true),
                attr("limit_amount", 4, LogicalType::BigInt, false),
                attr("label", 1, LogicalType::Text, true),
            ],
        ),
        (
            "dim_type6_only",
            vec![attr("region", 6, LogicalType::String(Some(30)), true)],
        ),
    ];
    for engine in super::engines::Engine::all("scd46").await {
        for (i, (name, attributes)) in dims.iter().enumerate() {
            for effective in [false, true] {
                engine.renew().await;
                let dim = DimensionSpec {
                    name: name.to_string(),
                    natural_key: vec![ColumnSpec {
                        name: "member_id".into(),
                        logical_type: LogicalType::String(Some(20)),
                        nullable: false,
                        description: None,
                    }],
                    attributes: attributes.clone(),
                    unknown_member: true,
                    ..DimensionSpec::default()
                };
                engine
                    .create(&ModelSpec {
                        name: "mix".into(),
                        dimensions: vec![dim.clone()],
                        ..ModelSpec::default()
                    })
                    .await;
                if let Err(e) = check(&engine, &dim, &format!("m{i}"), effective).await {
                    panic!("{name} (effective {effective}): {e}");
                }
            }
        }
        engine.cleanup().await;
    }
}
