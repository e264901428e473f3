//! PII classification measured on tables dana did not write.
//!
//! `Customer` holds the first six rows of the Chinook sample database's `Customer` table,
//! columns and values as published (github.com/lerocha/chinook-database,
//! `ChinookDatabase/DataSources/Chinook_Sqlite.sql`, MIT licence). `payouts` is built
//! from published reference values: the IBANs are the example IBANs of the SWIFT IBAN
//! registry (ISO 13616), the ISBNs are the examples of the ISBN users' manual and of
//! Wikipedia's ISBN article, the names are those of Chinook's customers.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::{harness_in, sqlite_file};

const CHINOOK: &str = "
CREATE TABLE Customer (CustomerId INTEGER NOT NULL, FirstName NVARCHAR(40) NOT NULL,
  LastName NVARCHAR(20) NOT NULL, Company NVARCHAR(80), Address NVARCHAR(70), City NVARCHAR(40),
  State NVARCHAR(40), Country NVARCHAR(40), PostalCode NVARCHAR(10), Phone NVARCHAR(24),
  Fax NVARCHAR(24), Email NVARCHAR(60) NOT NULL, SupportRepId INTEGER,
  CONSTRAINT PK_Customer PRIMARY KEY (CustomerId));
INSERT INTO Customer VALUES
 (1, 'Luís', 'Gonçalves', 'Embraer - Empresa Brasileira de Aeronáutica S.A.', 'Av. Brigadeiro Faria Lima, 2170', 'São José dos Campos', 'SP', 'Brazil', '12227-000', '+55 (12) 3923-5555', '+55 (12) 3923-5566', 'luisg@embraer.com.br', 3),
 (2, 'Leonie', 'Köhler', NULL, 'Theodor-Heuss-Straße 34', 'Stuttgart', NULL, 'Germany', '70174', '+49 0711 2842222', NULL, 'leonekohler@surfeu.de', 5),
 (3, 'François', 'Tremblay', NULL, '1498 rue Bélanger', 'Montréal', 'QC', 'Canada', 'H2G 1A7', '+1 (514) 721-4711', NULL, 'ftremblay@gmail.com', 3),
 (4, 'Bjørn', 'Hansen', NULL, 'Ullevålsveien 14', 'Oslo', NULL, 'Norway', '0171', '+47 22 44 22 22', NULL, 'bjorn.hansen@yahoo.no', 4),
 (5, 'František', 'Wichterlová', 'JetBrains s.r.o.', 'Klanova 9/506', 'Prague', NULL, 'Czech Republic', '14700', '+420 2 4172 5555', '+420 2 4172 5555', 'frantisekw@jetbrains.com', 4),
 (6, 'Helena', 'Holý', NULL, 'Rilská 3174/6', 'Prague', NULL, 'Czech Republic', '14300', '+420 2 4177 0449', NULL, 'hholy@gmail.com', 5);
CREATE TABLE payouts (payout_id INTEGER, who TEXT, contact TEXT, iban TEXT,
  beneficiary_account TEXT, isbn TEXT, isbn10 TEXT, reference TEXT, amount DECIMAL(10,2));
INSERT INTO payouts VALUES
 (1, 'Luís Gonçalves', 'Leonie Köhler', 'GB29 NWBK 6016 1331 9268 19', 'DE89370400440532013000', '978-0-306-40615-7', '0-306-40615-2', 'royalties Q1', 120.50),
 (2, 'Leonie Köhler', 'François Tremblay', 'DE89 3704 0044 0532 0130 00', 'FR1420041010050500013M02606', '978-3-16-148410-0', '0-19-852663-6', 'royalties Q2', 80.00),
 (3, 'François Tremblay', 'Bjørn Hansen', 'FR14 2004 1010 0505 0001 3M02 606', 'NL91ABNA0417164300', '978-1-4028-9462-6', '0-8044-2957-X', 'advance', 1500.00),
 (4, 'Bjørn Hansen', 'Helena Holý', 'NL91 ABNA 0417 1643 00', 'BE68539007547034', '978-0-596-52068-7', '0-306-40615-2', 'royalties Q3', 95.25),
 (5, 'František Wichterlová', 'Luís Gonçalves', 'BE68 5390 0754 7034', 'ES9121000418450200051332', '978-0-306-40615-7', '0-19-852663-6', 'royalties Q4', 60.00),
 (6, 'Helena Holý', 'František Wichterlová', 'ES91 2100 0418 4502 0005 1332', 'GB29NWBK60161331926819', '978-3-16-148410-0', '0-8044-2957-X', 'bonus', 300.00);
";

/// Hand labels: (table, PII columns, the others).
const LABELS: &[(&str, &[&str], &[&str])] = &[
    (
        "Customer",
        &[
            "FirstName",
            "LastName",
            "Address",
            "PostalCode",
            "Phone",
            "Fax",
            "Email",
        ],
        &[
            "CustomerId",
            "Company",
            "City",
            "State",
            "Country",
            "SupportRepId",
        ],
    ),
    (
        "payouts",
        &["who", "contact", "iban", "beneficiary_account"],
        &["payout_id", "isbn", "isbn10", "reference", "amount"],
    ),
];

#[tokio::test]
async fn pii_precision_and_recall_on_public_samples() {
    let dir = tempfile::tempdir().expect("dir");
    sqlite_file(&dir.path().join("chinook.db"), CHINOOK).await;
    let h = harness_in(dir, "[datasources.chinook]\npath = \"chinook.db\"\n").await;
    let (mut tp, mut flagged_total, mut truth_total) = (0usize, 0usize, 0usize);
    let mut misses = Vec::new();
    for (table, pii, others) in LABELS {
        let result = h
            .ok(
                "classify_data",
                json!({"table": {"datasource": "chinook", "table": table}}),
            )
            .await;
        let columns = result["columns"].as_array().expect("columns");
        assert_eq!(columns.len(), pii.len() + others.len(), "{result:#}");
        let flagged: BTreeSet<&str> = result["pii_columns"]
            .as_array()
            .expect("pii_columns")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        let truth: BTreeSet<&str> = pii.iter().copied().collect();
        tp += flagged.intersection(&truth).count();
        flagged_total += flagged.len();
        truth_total += truth.len();
        misses.extend(
            truth
                .difference(&flagged)
                .map(|c| format!("missed {table}.{c}")),
        );
        misses.extend(
            flagged
                .difference(&truth)
                .map(|c| format!("false positive {table}.{c}")),
        );
        let kind = |name: &str| -> Value {
            columns
                .iter()
                .find(|c| c["column"] == name)
                .map(|c| c["kind"].clone())
                .unwrap_or(Value::Null)
        };
        if *table == "payouts" {
            assert_eq!(kind("iban"), json!("bank_account"), "{result:#}");
            assert_eq!(
                kind("beneficiary_account"),
                json!("bank_account"),
                "{result:#}"
            );
            assert_eq!(kind("who"), json!("person_name"), "{result:#}");
            assert_eq!(kind("contact"), json!("person_name"), "{result:#}");
            for isbn in ["isbn", "isbn10"] {
                assert_ne!(
                    kind(isbn),
                    json!("phone"),
                    "an ISBN is no phone: {result:#}"
                );
            }
        }
        // Nothing raw in the answer.
        for raw in [
            "GB29 NWBK",
            "Luís Gonçalves",
            "luisg@embraer.com.br",
            "3923-5555",
        ] {
            assert!(
                !result.to_string().contains(raw),
                "{table}: raw `{raw}` echoed"
            );
        }
    }
    let precision = tp as f64 / flagged_total.max(1) as f64;
    let recall = tp as f64 / truth_total as f64;
    eprintln!(
        "PII on public samples: precision {precision:.2}, recall {recall:.2} ({tp} of {flagged_total} flagged, {truth_total} labelled; {misses:?})"
    );
    assert!(
        precision >= 0.99 && recall >= 0.99,
        "precision {precision:.2}, recall {recall:.2}: {misses:?}"
    );
}

#[test]
fn iban_and_isbn_checksums() {
    use dana::domain::governance::classify::{iban, isbn};
    assert!(iban("GB29 NWBK 6016 1331 9268 19"));
    assert!(iban("DE89370400440532013000"));
    assert!(!iban("GB28 NWBK 6016 1331 9268 19"), "bad check digits");
    assert!(!iban("+44 20 7946 0958"));
    assert!(isbn("978-0-306-40615-7") && isbn("0-306-40615-2") && isbn("0-8044-2957-X"));
    assert!(!isbn("978-0-306-40615-8"), "bad check digit");
    assert!(!isbn("+44 20 7946 0958") && !isbn("555-123-4567"));
}
