//! The Synthea import yields exactly what the CSV implies, maps real values, and is idempotent.

use std::collections::HashSet;
use std::path::PathBuf;

use medoffice_e2e::System;
use medoffice_server::import::{import_synthea, BMI_LOINC, VITAL_SIGN_LOINC};

fn sample() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../data/synthea-ma27")
}

fn rows(file: &str) -> anyhow::Result<Vec<csv::StringRecord>> {
    let mut r = csv::Reader::from_path(sample().join(file))?;
    Ok(r.records().collect::<Result<_, _>>()?)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn synthea_import_yields_the_counts_the_csv_implies() -> anyhow::Result<()> {
    let sys = System::start().await?;
    let tenant = sys.clinic("synthea", "America/New_York").await?;
    let admin: uuid::Uuid = {
        let mut tx = medoffice_server::db::tenant_tx(&sys.pool, tenant).await?;
        sqlx::query_scalar("SELECT id FROM users WHERE username = 'admin'")
            .fetch_one(&mut *tx)
            .await?
    };

    // What the CSV implies, computed independently of the importer.
    let patients = rows("patients.csv")?;
    let observations = rows("observations.csv")?;
    let encounters = rows("encounters.csv")?;
    let codes: HashSet<&str> = VITAL_SIGN_LOINC.iter().map(|(c, _)| *c).collect();
    // observations.csv columns: DATE, PATIENT, ENCOUNTER, CATEGORY, CODE, ...
    let mapped: Vec<&csv::StringRecord> = observations
        .iter()
        .filter(|r| codes.contains(&r[4]))
        .collect();
    let sets: HashSet<(String, String)> = mapped
        .iter()
        .map(|r| (r[1].to_owned(), r[0].to_owned()))
        .collect();
    let bmi = observations.iter().filter(|r| &r[4] == BMI_LOINC).count();
    let providers: HashSet<&str> = encounters.iter().map(|r| &r[5]).collect();

    let report = import_synthea(&sys.pool, tenant, admin, &sample()).await?;
    println!("{}", report.summary());
    assert_eq!(report.patients_read, patients.len());
    assert_eq!(report.patients_imported, patients.len());
    assert_eq!(report.observations_read, observations.len());
    assert_eq!(report.vital_sign_observations_mapped, mapped.len());
    assert_eq!(report.vital_sign_sets_imported, sets.len());
    assert_eq!(report.encounters_read, encounters.len());
    assert_eq!(report.appointments_imported, encounters.len());
    assert_eq!(report.providers_created, providers.len());
    let not_imported: usize = report.not_imported.values().sum();
    assert_eq!(
        not_imported,
        observations.len() - mapped.len(),
        "every observation not taken is counted with a reason"
    );
    assert_eq!(
        report
            .not_imported
            .get("observation: BMI (39156-5) is derived from weight and height, not stored"),
        Some(&bmi)
    );

    // The database holds the same, with the real values.
    let mut tx = medoffice_server::db::tenant_tx(&sys.pool, tenant).await?;
    let (p, v, a): (i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM patients), (SELECT count(*) FROM vital_signs), (SELECT count(*) FROM appointments WHERE status = 'completed')",
    )
    .fetch_one(&mut *tx)
    .await?;
    assert_eq!(
        (p as usize, v as usize, a as usize),
        (patients.len(), sets.len(), encounters.len())
    );
    // one patient's blood pressure as in the CSV
    let first = mapped
        .iter()
        .find(|r| &r[4] == "8480-6")
        .expect("a systolic reading");
    let (pid, when) = (
        uuid::Uuid::parse_str(&first[1])?,
        chrono::DateTime::parse_from_rfc3339(&first[0])?,
    );
    let systolic: i32 = sqlx::query_scalar(
        "SELECT systolic_mmhg FROM vital_signs WHERE patient_id = $1 AND measured_at = $2",
    )
    .bind(pid)
    .bind(when)
    .fetch_one(&mut *tx)
    .await?;
    assert_eq!(systolic as f64, first[6].parse::<f64>()?.round());
    let name: String = sqlx::query_scalar("SELECT given_name FROM patients WHERE id = $1")
        .bind(pid)
        .fetch_one(&mut *tx)
        .await?;
    assert!(
        !name.chars().any(|c| c.is_ascii_digit()),
        "Synthea's name digits are dropped: {name}"
    );
    // children (under 16 at measurement) get no NEWS2 and no BMI flag, and their flags are the
    // children's bands at their age and sex (APLS, PALS, AAP 2017), as the model computes them
    let (children, adult_only): (i64, i64) = sqlx::query_as(
        "SELECT count(*), count(*) FILTER (WHERE news2 IS NOT NULL OR flags && ARRAY['bmi:low', 'bmi:high', \
         'diastolic_mmhg:low']) \
         FROM vital_signs v JOIN patients p ON p.id = v.patient_id \
         WHERE age(v.measured_at::date, p.date_of_birth) < interval '16 years'",
    )
    .fetch_one(&mut *tx)
    .await?;
    assert!(children > 0, "the sample has children");
    assert_eq!(adult_only, 0);
    type ChildRow = (
        chrono::NaiveDate,
        chrono::NaiveDate,
        String,
        Option<i32>,
        Option<i32>,
        Option<i32>,
        Option<i32>,
        Vec<String>,
    );
    let rows: Vec<ChildRow> = sqlx::query_as(
        "SELECT (v.measured_at AT TIME ZONE t.time_zone)::date, p.date_of_birth, p.sex, \
         v.systolic_mmhg, v.diastolic_mmhg, v.heart_rate_bpm, v.respiratory_rate_bpm, v.flags \
         FROM vital_signs v JOIN patients p ON p.id = v.patient_id JOIN tenants t ON t.id = v.tenant_id \
         WHERE age(v.measured_at::date, p.date_of_birth) < interval '15 years'",
    )
    .fetch_all(&mut *tx)
    .await?;
    let mut children_flagged = 0;
    for (day, born, sex, sys, dia, hr, rr, flags) in rows {
        let m = medoffice_model::Measurements {
            systolic_mmhg: sys,
            diastolic_mmhg: dia,
            heart_rate_bpm: hr,
            respiratory_rate_bpm: rr,
            ..Default::default()
        };
        let sex = medoffice_model::AdministrativeSex::parse(&sex).expect("a known sex");
        let expected = m.flags_for_age(Some(medoffice_model::AgeAt::on(born, day)), sex);
        let cardiorespiratory: Vec<String> = flags
            .into_iter()
            .filter(|f| {
                ["systolic", "diastolic", "heart_rate", "respiratory_rate"]
                    .iter()
                    .any(|p| f.starts_with(p))
            })
            .collect();
        assert_eq!(
            cardiorespiratory, expected,
            "a child measured on {day}, born {born}"
        );
        children_flagged += usize::from(!expected.is_empty());
    }
    println!("children's sets flagged by the children's bands: {children_flagged}");
    tx.commit().await?;

    // Importing again adds nothing.
    let again = import_synthea(&sys.pool, tenant, admin, &sample()).await?;
    assert_eq!(
        (
            again.patients_imported,
            again.vital_sign_sets_imported,
            again.appointments_imported,
            again.providers_created
        ),
        (0, 0, 0, 0)
    );
    assert_eq!(again.patients_already_present, patients.len());
    assert_eq!(again.vital_sign_sets_already_present, sets.len());
    assert_eq!(again.appointments_already_present, encounters.len());
    Ok(())
}

/// Readings repeated at one instant (issue 16) and measures without a field here (a child's
/// head circumference, LOINC 9843-4) are reported by reason, never dropped without a word.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_readings_and_head_circumference_are_reported_by_reason() -> anyhow::Result<()> {
    let sys = System::start().await?;
    let tenant = sys.clinic("repeats", "America/New_York").await?;
    let admin: uuid::Uuid = {
        let mut tx = medoffice_server::db::tenant_tx(&sys.pool, tenant).await?;
        sqlx::query_scalar("SELECT id FROM users WHERE username = 'admin'")
            .fetch_one(&mut *tx)
            .await?
    };
    // the sample, with a second heart rate at the instant of its first one (10 beats higher)
    let dir = tempfile::tempdir()?;
    for f in std::fs::read_dir(sample())? {
        let f = f?;
        std::fs::copy(f.path(), dir.path().join(f.file_name()))?;
    }
    let observations = rows("observations.csv")?;
    let first_hr = observations
        .iter()
        .find(|r| &r[4] == "8867-4")
        .expect("a heart rate");
    let mut again = first_hr
        .clone()
        .iter()
        .map(str::to_owned)
        .collect::<Vec<_>>();
    again[6] = (first_hr[6].parse::<f64>()? + 10.0).to_string();
    let mut w = csv::WriterBuilder::new().from_writer(
        std::fs::OpenOptions::new()
            .append(true)
            .open(dir.path().join("observations.csv"))?,
    );
    w.write_record(&again)?;
    w.flush()?;
    drop(w);
    let heads = observations.iter().filter(|r| &r[4] == "9843-4").count();

    let report = import_synthea(&sys.pool, tenant, admin, dir.path()).await?;
    println!("{}", report.summary());
    let repeated = format!(
        "observation: a second {} (8867-4) reading at the same instant; the first is kept",
        &first_hr[5]
    );
    assert_eq!(report.not_imported.get(&repeated), Some(&1), "{report:?}");
    assert!(heads > 0, "the sample has head circumferences");
    let head_reason = report
        .not_imported
        .iter()
        .find(|(k, _)| k.contains("9843-4"))
        .map(|(k, n)| (k.clone(), *n));
    assert_eq!(
        head_reason.as_ref().map(|h| h.1),
        Some(heads),
        "head circumference reported: {head_reason:?}"
    );
    // every row is accounted for: mapped or reported
    let reported: usize = report.not_imported.values().sum();
    assert_eq!(
        report.vital_sign_observations_mapped + reported,
        observations.len() + 1
    );
    // the first reading is the one kept
    let mut tx = medoffice_server::db::tenant_tx(&sys.pool, tenant).await?;
    let kept: i32 = sqlx::query_scalar(
        "SELECT heart_rate_bpm FROM vital_signs WHERE patient_id = $1 AND measured_at = $2",
    )
    .bind(uuid::Uuid::parse_str(&first_hr[1])?)
    .bind(chrono::DateTime::parse_from_rfc3339(&first_hr[0])?)
    .fetch_one(&mut *tx)
    .await?;
    assert_eq!(kept as f64, first_hr[6].parse::<f64>()?.round());
    tx.commit().await?;
    Ok(())
}

/// The import commands show their progress on a terminal (a bar a stage, with counts and the
/// time left) and nothing else where the output is read by a program: with `--json` the output
/// is the report alone, and a pipe gets no bar either.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imports_show_progress_on_a_terminal_and_stay_quiet_with_json() -> anyhow::Result<()> {
    let sys = System::start().await?;
    sys.clinic("bars", "UTC").await?;
    let bin = medoffice_e2e::server_bin_path()?;
    let dir = sample();
    let args = ["import-synthea", "--tenant", "bars", "--dir"];

    // --json, read by a program: the report as JSON on stdout, nothing on stderr
    let out = std::process::Command::new(&bin)
        .args(args)
        .arg(&dir)
        .arg("--json")
        .env("DATABASE_URL", &sys.database_url)
        .env("RUST_LOG", "warn")
        .output()?;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    assert!(
        report["patients_imported"].as_u64().is_some_and(|n| n > 0),
        "{report}"
    );
    assert_eq!(String::from_utf8_lossy(&out.stderr), "", "no bar on a pipe");

    // on a terminal (a pseudo-terminal from `script`): a bar per stage, then the summary
    let command = format!("{} {} {}", bin.display(), args.join(" "), dir.display());
    let out = std::process::Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .env("DATABASE_URL", &sys.database_url)
        .env("RUST_LOG", "warn")
        .output()?;
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{shown}");
    for stage in ["patients", "observations", "vital-sign sets", "past visits"] {
        assert!(
            shown.contains(stage),
            "no {stage} bar on the terminal: {shown}"
        );
    }
    assert!(shown.contains(" left"), "the time left is shown: {shown}");
    // run again, everything is already there: the summary says so
    assert!(shown.contains("already"), "{shown}");

    // not a terminal, no --json: the summary alone
    let out = std::process::Command::new(&bin)
        .args(args)
        .arg(&dir)
        .env("DATABASE_URL", &sys.database_url)
        .env("RUST_LOG", "warn")
        .output()?;
    assert!(out.status.success());
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("patients"),
        "no bar on a pipe"
    );
    Ok(())
}
