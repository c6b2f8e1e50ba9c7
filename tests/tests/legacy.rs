//! The legacy single-user import: a messy SQLite file from the old application goes into a
//! clinic on the real PostgreSQL with exactly the patients and vitals it implies, every row or
//! value not taken is reported with its reason, and a second import adds nothing.

use std::path::Path;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use medoffice_e2e::System;
use medoffice_server::legacy::{
    import_legacy, DateOrder, IssueOutcome, LegacyOptions, LegacyReport, UNKNOWN_BIRTH_DATE,
    UNKNOWN_GIVEN_NAME,
};
use uuid::Uuid;

/// One row of the old application's table: name, phone, systolic, diastolic, SpO2, heart
/// rate, first seen (as SQLite values, since the old application stored what it got).
type Row = (
    Option<&'static str>,
    Option<&'static str>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    rusqlite::types::Value,
);

fn text(s: &str) -> rusqlite::types::Value {
    rusqlite::types::Value::Text(s.to_owned())
}

/// Writes the old application's schema (plus a column this import does not read) and `rows`.
fn legacy_file(path: &Path, rows: &[Row]) -> anyhow::Result<()> {
    let db = rusqlite::Connection::open(path)?;
    db.execute_batch(
        "CREATE TABLE patients (id INTEGER PRIMARY KEY, name TEXT, phone_number TEXT, \
         blood_pressure_systolic INTEGER, blood_pressure_diastolic INTEGER, oxygen_saturation INTEGER, \
         heart_rate INTEGER, first_seen_date TEXT, remarks TEXT)",
    )?;
    for r in rows {
        db.execute(
            "INSERT INTO patients (name, phone_number, blood_pressure_systolic, blood_pressure_diastolic, \
             oxygen_saturation, heart_rate, first_seen_date, remarks) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'x')",
            rusqlite::params![r.0, r.1, r.2, r.3, r.4, r.5, r.6],
        )?;
    }
    Ok(())
}

async fn admin_of(sys: &System, tenant: Uuid) -> anyhow::Result<Uuid> {
    let mut tx = medoffice_server::db::tenant_tx(&sys.pool, tenant).await?;
    Ok(
        sqlx::query_scalar("SELECT id FROM users WHERE username = 'admin'")
            .fetch_one(&mut *tx)
            .await?,
    )
}

async fn counts(sys: &System, tenant: Uuid) -> anyhow::Result<(i64, i64)> {
    let mut tx = medoffice_server::db::tenant_tx(&sys.pool, tenant).await?;
    Ok(
        sqlx::query_as(
            "SELECT (SELECT count(*) FROM patients), (SELECT count(*) FROM vital_signs)",
        )
        .fetch_one(&mut *tx)
        .await?,
    )
}

fn new_york(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    chrono_tz::America::New_York
        .with_ymd_and_hms(y, m, d, h, min, 0)
        .single()
        .expect("a New York time")
        .with_timezone(&Utc)
}

/// given, family, phone, date of birth, sex, first seen, notes.
type PatientRow = (
    String,
    String,
    Option<String>,
    NaiveDate,
    String,
    Option<NaiveDate>,
    Option<String>,
);

/// (row, column, outcome) of every issue, to compare whole reports at once.
fn issue_list(r: &LegacyReport) -> Vec<(usize, Option<&str>, IssueOutcome)> {
    r.issues
        .iter()
        .map(|i| (i.row, i.column.as_deref(), i.outcome))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn legacy_import_takes_what_it_can_reports_the_rest_and_is_idempotent() -> anyhow::Result<()>
{
    let sys = System::start().await?;
    let tenant = sys.clinic("legacy", "America/New_York").await?;
    let admin = admin_of(&sys, tenant).await?;
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("clinic.sqlite");
    let null = rusqlite::types::Value::Null;
    let int = rusqlite::types::Value::Integer;
    #[rustfmt::skip]
    let rows: Vec<Row> = vec![
        // 1: a good row, family name first
        (Some("Smith, John"), Some("(555) 010-2000"), Some(128), Some(82), Some(97), Some(72), text("2019-03-04")),
        // 2: title and particles; a timestamp whose day (25) shows the file is day first
        (Some("Dr. Maria de la Cruz"), Some("+1 555 010 3000"), Some(142), Some(91), Some(95), Some(88), text("25/12/2019 09:15")),
        // 3: capitals only, a suffix, a phone with spaces around it, an ambiguous date
        (Some("JOHN O'BRIEN JR."), Some("  555-010-4000  "), Some(118), Some(76), Some(99), Some(64), text("03/04/2020")),
        // 4: not a phone number, an impossible SpO2
        (Some("Ann   Lee"), Some("call her daughter"), Some(120), Some(80), Some(140), Some(70), text("2021-06-01 14:30:00")),
        // 5: no name
        (Some("   "), Some("555-010-5000"), Some(120), Some(80), Some(98), Some(70), text("2020-01-01")),
        // 6: a date nobody can read
        (Some("Tom Baker"), Some("555 010 6000"), Some(130), Some(85), Some(98), Some(75), text("last tuesday")),
        // 7: row 1 entered twice
        (Some("Smith, John"), Some("(555) 010-2000"), Some(128), Some(82), Some(97), Some(72), text("2019-03-04")),
        // 8: one word, nothing measured
        (Some("Madonna"), None, None, None, None, None, text("2018-07-01")),
        // 9: zeros for "not measured", the date stored as a number
        (Some("Ana Souza"), Some("555-010-9000"), Some(0), Some(0), Some(96), Some(0), int(20200115)),
        // 10: another John Smith
        (Some("Smith, John"), Some("(555) 010-2001"), Some(122), Some(80), Some(98), Some(70), text("2020-02-02")),
        // 11: a null name and nothing else
        (None, None, None, None, None, None, null),
    ];
    legacy_file(&file, &rows)?;

    let report = import_legacy(&sys.pool, tenant, admin, &file, &LegacyOptions::default()).await?;
    println!("{}", report.summary());
    assert_eq!(report.rows_read, 11);
    assert_eq!(report.patients_imported, 8);
    assert_eq!(report.patients_already_present, 0);
    assert_eq!(report.duplicate_rows, 1);
    assert_eq!(report.rows_not_imported, 2);
    assert_eq!(report.vital_sign_sets_imported, 6);
    assert_eq!(report.birth_dates_unknown, 8);
    assert_eq!(report.date_order, Some(DateOrder::DayFirst));
    assert!(report.date_order_detected);
    assert_eq!(report.ignored_columns, ["remarks"]);
    use IssueOutcome::*;
    assert_eq!(
        issue_list(&report),
        [
            (4, Some("phone_number"), ValueLeftOut),
            (4, Some("oxygen_saturation"), ValueLeftOut),
            (5, Some("name"), RowNotImported),
            (6, Some("first_seen_date"), ValueLeftOut),
            (7, None, RowNotImported),
            (8, Some("name"), Review),
            (10, Some("name"), Review),
            (11, Some("name"), RowNotImported),
        ]
    );
    let reason = |row: usize, col: &str| {
        report
            .issues
            .iter()
            .find(|i| i.row == row && i.column.as_deref() == Some(col))
            .map(|i| (i.legacy_id.clone(), i.value.clone(), i.reason.clone()))
            .expect("an issue")
    };
    let (id, value, why) = reason(4, "oxygen_saturation");
    assert_eq!((id.as_deref(), value.as_deref()), (Some("4"), Some("140")));
    assert_eq!(why, "spo2_pct must be between 20 and 100 %");
    let (_, value, why) = reason(4, "phone_number");
    assert_eq!(value.as_deref(), Some("call her daughter"));
    assert!(why.starts_with("not a phone number"), "{why}");
    assert!(reason(5, "name").2.starts_with("name is empty"));
    let (_, value, why) = reason(6, "first_seen_date");
    assert_eq!(value.as_deref(), Some("last tuesday"));
    assert!(
        why.starts_with("first_seen_date is not a date in a known format"),
        "{why}"
    );
    assert!(why.contains("not charted"), "{why}");
    assert_eq!(
        report.issues[4].reason,
        "same values as row 1, which is imported once"
    );
    assert!(reason(10, "name").2.starts_with("same name as row 1"));
    // The report as JSON, as `import-legacy --json` prints it.
    let json = serde_json::to_value(&report)?;
    assert_eq!(json["issues"][1]["outcome"], "value_left_out");
    assert_eq!(json["issues"][1]["column"], "oxygen_saturation");
    assert_eq!(json["date_order"], "day_first");

    // What the clinic now holds.
    let mut tx = medoffice_server::db::tenant_tx(&sys.pool, tenant).await?;
    let patients: Vec<PatientRow> =
        sqlx::query_as(
            "SELECT given_name, family_name, phone, date_of_birth, sex, first_seen_at, notes FROM patients",
        )
        .fetch_all(&mut *tx)
        .await?;
    let mut names: Vec<(&str, &str, Option<&str>)> = patients
        .iter()
        .map(|p| (p.0.as_str(), p.1.as_str(), p.2.as_deref()))
        .collect();
    // byte order, not the cluster's collation
    names.sort_by_key(|n| (n.1, n.0, n.2));
    assert_eq!(
        names,
        [
            ("Tom", "Baker", Some("555 010 6000")),
            ("Ann", "Lee", None),
            (UNKNOWN_GIVEN_NAME, "Madonna", None),
            ("John", "O'Brien Jr.", Some("555-010-4000")),
            ("John", "Smith", Some("(555) 010-2000")),
            ("John", "Smith", Some("(555) 010-2001")),
            ("Ana", "Souza", Some("555-010-9000")),
            ("Maria", "de la Cruz", Some("+1 555 010 3000")),
        ]
    );
    for p in &patients {
        assert_eq!(
            (p.3, p.4.as_str()),
            (UNKNOWN_BIRTH_DATE, "unknown"),
            "{p:?}"
        );
        let notes = p.6.as_deref().unwrap_or_default();
        assert!(notes.contains("placeholder"), "{notes}");
    }
    let by_family = |f: &str| patients.iter().find(|p| p.1 == f).expect("a patient");
    assert_eq!(by_family("Madonna").5, NaiveDate::from_ymd_opt(2018, 7, 1));
    let lee = by_family("Lee").6.clone().unwrap_or_default();
    assert!(lee.contains("\"call her daughter\""), "{lee}");
    assert!(lee.contains("oxygen_saturation 140"), "{lee}");
    let baker = by_family("Baker");
    let today: NaiveDate =
        sqlx::query_scalar("SELECT (now() AT TIME ZONE 'America/New_York')::date")
            .fetch_one(&mut *tx)
            .await?;
    assert_eq!(
        baker.5,
        Some(today),
        "an unreadable first-seen date becomes the import day"
    );
    let baker_notes = baker.6.as_deref().unwrap_or_default();
    assert!(
        baker_notes.contains("\"last tuesday\"")
            && baker_notes.contains("blood_pressure_systolic 130"),
        "{baker_notes}"
    );

    type VitalsRow = (
        String,
        DateTime<Utc>,
        Option<i32>,
        Option<i32>,
        Option<i32>,
        Option<i32>,
        Vec<String>,
    );
    let vitals: Vec<VitalsRow> = sqlx::query_as(
        "SELECT p.family_name, v.measured_at, v.systolic_mmhg, v.diastolic_mmhg, v.spo2_pct, v.heart_rate_bpm, v.flags \
         FROM vital_signs v JOIN patients p ON p.id = v.patient_id ORDER BY v.measured_at",
    )
    .fetch_all(&mut *tx)
    .await?;
    let got: Vec<_> = vitals
        .iter()
        .map(|v| (v.0.as_str(), v.1, v.2, v.3, v.4, v.5))
        .collect();
    assert_eq!(
        got,
        [
            // a bare date is charted at noon clinic time
            (
                "Smith",
                new_york(2019, 3, 4, 12, 0),
                Some(128),
                Some(82),
                Some(97),
                Some(72)
            ),
            (
                "de la Cruz",
                new_york(2019, 12, 25, 9, 15),
                Some(142),
                Some(91),
                Some(95),
                Some(88)
            ),
            (
                "Souza",
                new_york(2020, 1, 15, 12, 0),
                None,
                None,
                Some(96),
                None
            ),
            (
                "Smith",
                new_york(2020, 2, 2, 12, 0),
                Some(122),
                Some(80),
                Some(98),
                Some(70)
            ),
            (
                "O'Brien Jr.",
                new_york(2020, 4, 3, 12, 0),
                Some(118),
                Some(76),
                Some(99),
                Some(64)
            ),
            // SpO2 140 left out, the rest of the set kept
            (
                "Lee",
                new_york(2021, 6, 1, 14, 30),
                Some(120),
                Some(80),
                None,
                Some(70)
            ),
        ]
    );
    // unknown age: adult bands apply
    assert!(
        vitals[1].6.contains(&"systolic_mmhg:high".to_owned()),
        "{:?}",
        vitals[1].6
    );
    tx.commit().await?;

    // Importing again adds nothing and reports the same rows.
    let again = import_legacy(&sys.pool, tenant, admin, &file, &LegacyOptions::default()).await?;
    assert_eq!(
        (
            again.patients_imported,
            again.patients_already_present,
            again.vital_sign_sets_imported,
            again.vital_sign_sets_already_present,
            again.duplicate_rows,
            again.rows_not_imported,
        ),
        (0, 8, 0, 6, 1, 2)
    );
    assert_eq!(issue_list(&again), issue_list(&report));
    assert_eq!(counts(&sys, tenant).await?, (8, 6));
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ambiguous_dates_need_the_date_order_and_nothing_is_written_before() -> anyhow::Result<()> {
    let sys = System::start().await?;
    let tenant = sys.clinic("legacy2", "UTC").await?;
    let admin = admin_of(&sys, tenant).await?;
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("old.db");
    #[rustfmt::skip]
    let rows: Vec<Row> = vec![
        (Some("Ada Lovelace"), Some("555-0100"), Some(120), Some(80), Some(98), Some(70), text("03/04/2019")),
        (Some("Alan Turing"), None, None, None, None, Some(60), text("05/06/2019")),
    ];
    legacy_file(&file, &rows)?;
    let err = import_legacy(&sys.pool, tenant, admin, &file, &LegacyOptions::default())
        .await
        .expect_err("ambiguous");
    assert!(err.to_string().contains("--date-order"), "{err}");
    assert_eq!(counts(&sys, tenant).await?, (0, 0));

    let options = LegacyOptions {
        date_order: Some(DateOrder::MonthFirst),
    };
    let report = import_legacy(&sys.pool, tenant, admin, &file, &options).await?;
    assert_eq!(
        (report.patients_imported, report.vital_sign_sets_imported),
        (2, 2)
    );
    assert!(report.issues.is_empty(), "{:?}", report.issues);
    assert!(!report.date_order_detected);
    let mut tx = medoffice_server::db::tenant_tx(&sys.pool, tenant).await?;
    let seen: Vec<Option<NaiveDate>> =
        sqlx::query_scalar("SELECT first_seen_at FROM patients ORDER BY mrn")
            .fetch_all(&mut *tx)
            .await?;
    assert_eq!(
        seen,
        [
            NaiveDate::from_ymd_opt(2019, 3, 4),
            NaiveDate::from_ymd_opt(2019, 5, 6)
        ]
    );

    // Not a legacy file: a clear error, nothing written.
    let other = dir.path().join("other.db");
    rusqlite::Connection::open(&other)?.execute_batch("CREATE TABLE visits (id INTEGER)")?;
    let err = import_legacy(&sys.pool, tenant, admin, &other, &options)
        .await
        .expect_err("no patients table");
    assert!(err.to_string().contains("no `patients` table"), "{err}");
    Ok(())
}
