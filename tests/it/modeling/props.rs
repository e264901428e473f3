//! Property test: randomly generated valid models (names, types, SCD types, hints)
//! produce DDL and SCD loads that parse in all eight dialects, and DDL that executes on
//! SQLite, PostgreSQL and MariaDB (the latter two when configured).

use dana::dialect::LogicalType;
use dana::dialect::parse::check;
use dana::domain::modeling::{
    Additivity, Aggregation, AttributeSpec, ColumnSpec, DimensionSpec, FactSpec, ForeignKeySpec,
    MeasureSpec, ModelSpec, PhysicalHints,
};
use proptest::prelude::*;

use super::engines::Engine;
use super::{all_dialects, ddl, scd};

fn word() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-z][a-z0-9_]{0,10}",
        1 => prop::sample::select(vec!["order", "select", "user", "date", "key", "group", "value", "Mixed"]).prop_map(str::to_string),
    ]
}

fn any_type() -> impl Strategy<Value = LogicalType> {
    prop_oneof![
        (1u32..200).prop_map(|n| LogicalType::String(Some(n))),
        Just(LogicalType::String(None)),
        Just(LogicalType::Text),
        Just(LogicalType::SmallInt),
        Just(LogicalType::Integer),
        Just(LogicalType::BigInt),
        (1u8..38)
            .prop_flat_map(|p| (Just(p), 0..=p))
            .prop_map(|(p, s)| LogicalType::Decimal(p, s)),
        Just(LogicalType::Float),
        Just(LogicalType::Boolean),
        Just(LogicalType::Date),
        Just(LogicalType::Time),
        Just(LogicalType::Timestamp),
        Just(LogicalType::TimestampTz),
        Just(LogicalType::Json),
        Just(LogicalType::Uuid),
    ]
}

fn key_type() -> impl Strategy<Value = LogicalType> {
    prop_oneof![
        (1u32..120).prop_map(|n| LogicalType::String(Some(n))),
        Just(LogicalType::Integer),
        Just(LogicalType::BigInt),
        Just(LogicalType::Date),
    ]
}

fn measure_type() -> impl Strategy<Value = LogicalType> {
    prop_oneof![
        Just(LogicalType::Integer),
        Just(LogicalType::BigInt),
        Just(LogicalType::Float),
        (1u8..30)
            .prop_flat_map(|p| (Just(p), 0..=p))
            .prop_map(|(p, s)| LogicalType::Decimal(p, s)),
    ]
}

type DimParts = (
    String,
    Vec<LogicalType>,
    Vec<(String, LogicalType, u8, bool)>,
    Option<u8>,
    bool,
);

fn dimension() -> impl Strategy<Value = DimParts> {
    (
        word(),
        prop::collection::vec(key_type(), 1..3),
        prop::collection::vec((word(), any_type(), 1u8..=3, any::<bool>()), 0..5),
        prop::option::of(1u8..=2),
        any::<bool>(),
    )
}

type FactParts = (
    String,
    Vec<prop::sample::Index>,
    Vec<(String, LogicalType)>,
    Vec<(String, LogicalType)>,
    bool,
    u8,
);

fn fact() -> impl Strategy<Value = FactParts> {
    (
        word(),
        prop::collection::vec(any::<prop::sample::Index>(), 0..3),
        prop::collection::vec((word(), measure_type()), 0..4),
        prop::collection::vec((word(), any_type()), 0..3),
        any::<bool>(),
        0u8..3,
    )
}

fn build(dims: Vec<DimParts>, facts: Vec<FactParts>) -> ModelSpec {
    let dimensions: Vec<DimensionSpec> = dims
        .into_iter()
        .enumerate()
        .map(|(i, (name, keys, attrs, scd, unknown))| DimensionSpec {
            name: format!("dim_{i}_{name}"),
            scd_type: scd,
            natural_key: keys
                .into_iter()
                .enumerate()
                .map(|(j, t)| ColumnSpec {
                    name: format!("nk{j}_id"),
                    logical_type: t,
                    nullable: false,
                    description: None,
                })
                .collect(),
            attributes: attrs
                .into_iter()
                .enumerate()
                .map(|(j, (n, t, s, nullable))| AttributeSpec {
                    name: format!("{n}_a{j}"),
                    logical_type: t,
                    scd_type: Some(s),
                    source: None,
                    nullable: nullable || s == 3,
                    description: (j % 2 == 0).then(|| format!("attribute {j} of '{n}'")),
                })
                .collect(),
            unknown_member: unknown,
            ..DimensionSpec::default()
        })
        .collect();
    let facts: Vec<FactSpec> = facts
        .into_iter()
        .enumerate()
        .map(|(i, (name, fks, measures, columns, partition, cluster))| {
            let mut fk_specs: Vec<ForeignKeySpec> = Vec::new();
            if !dimensions.is_empty() {
                for (j, idx) in fks.iter().enumerate() {
                    let dim = &dimensions[idx.index(dimensions.len())];
                    fk_specs.push(ForeignKeySpec {
                        dimension: dim.name.clone(),
                        column: Some(format!("fk{j}_key")),
                        description: None,
                    });
                }
            }
            let mut extra: Vec<ColumnSpec> = columns
                .into_iter()
                .enumerate()
                .map(|(j, (n, t))| ColumnSpec {
                    name: format!("{n}_c{j}"),
                    logical_type: t,
                    nullable: true,
                    description: None,
                })
                .collect();
            if partition {
                extra.push(ColumnSpec {
                    name: "event_date".into(),
                    logical_type: LogicalType::Date,
                    nullable: false,
                    description: None,
                });
            }
            let cluster_by: Vec<String> = fk_specs
                .iter()
                .take(cluster as usize)
                .filter_map(|f| f.column.clone())
                .collect();
            FactSpec {
                name: format!("fct_{i}_{name}"),
                grain: Some(format!("One row per {name} event per day")),
                description: Some(format!("fact {i}")),
                measures: measures
                    .into_iter()
                    .enumerate()
                    .map(|(j, (n, t))| MeasureSpec {
                        name: format!("{n}_m{j}"),
                        logical_type: t,
                        additivity: Additivity::Additive,
                        aggregation: Aggregation::Sum,
                        description: None,
                    })
                    .collect(),
                foreign_keys: fk_specs,
                columns: extra,
                physical: Some(PhysicalHints {
                    partition_by: partition.then(|| "event_date".to_string()),
                    cluster_by,
                    ..PhysicalHints::default()
                }),
                ..FactSpec::default()
            }
        })
        .collect();
    // A fact needs columns (MOD-TABLE-NO-COLUMNS); give empty ones a count column.
    let facts: Vec<FactSpec> = facts
        .into_iter()
        .map(|mut f: FactSpec| {
            if f.measures.is_empty() && f.foreign_keys.is_empty() && f.columns.is_empty() {
                f.columns.push(ColumnSpec {
                    name: "event_count".into(),
                    logical_type: LogicalType::Integer,
                    nullable: true,
                    description: None,
                });
            }
            f
        })
        .collect();
    ModelSpec {
        name: "random".into(),
        schema: None,
        dimensions,
        facts,
        bus_matrix: Vec::new(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, .. ProptestConfig::default() })]

    #[test]
    fn random_models_parse_everywhere_and_execute(
        dims in prop::collection::vec(dimension(), 0..4),
        facts in prop::collection::vec(fact(), 0..3),
    ) {
        let model = build(dims, facts);
        for d in all_dialects() {
            for s in ddl(&model, d, Some("warehouse")).statements {
                if let Err(e) = check(d, &s.sql) {
                    panic!("{e}");
                }
            }
            for dim in &model.dimensions {
                for s in scd(dim, d, Some("warehouse"), "stg_random", Some("changed_at")).statements {
                    if let Err(e) = check(d, &s.sql) {
                        panic!("{e}");
                    }
                }
            }
        }
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        runtime.block_on(async {
            for engine in Engine::all("prop").await {
                engine.create(&model).await;
                engine.cleanup().await;
            }
        });
    }
}
