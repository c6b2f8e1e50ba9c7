//! `medoffice-server import-fhir` (issue 14) against the real server and PostgreSQL: the FHIR
//! specification's own examples (data/fhir-r4-examples) are taken as far as they map and every
//! other resource or value is reported by reason; a second run adds nothing; and the Synthea
//! sample round-trips: imported into one clinic, read back through the FHIR API as a Bundle,
//! imported into another clinic, it gives the same patients, identifiers and vital signs.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use medoffice_e2e::{server_bin_path, Http, System};
use reqwest::Method;
use serde_json::{json, Value};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Runs an import subcommand with `--json`; its report.
fn import(sys: &System, args: &[&str]) -> anyhow::Result<Value> {
    let out = std::process::Command::new(server_bin_path()?)
        .args(args)
        .arg("--json")
        .env("DATABASE_URL", &sys.database_url)
        .output()?;
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    anyhow::ensure!(
        out.status.success(),
        "{args:?} failed: {said}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(serde_json::from_str(&said)?)
}

async fn fhir(base: &str, token: &str, path: &str) -> anyhow::Result<Value> {
    let res = reqwest::Client::new()
        .get(format!("{base}{path}"))
        .bearer_auth(token)
        .send()
        .await?;
    anyhow::ensure!(res.status().is_success(), "{path}: {}", res.status());
    Ok(serde_json::from_slice(&res.bytes().await?)?)
}

/// Every resource of a search, following `next` links.
async fn every(base: &str, token: &str, first: &str) -> anyhow::Result<Vec<Value>> {
    let mut out = Vec::new();
    let mut path = first.to_owned();
    loop {
        let page = fhir(base, token, &path).await?;
        out.extend(
            page["entry"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|e| e["resource"].clone()),
        );
        match page["link"]
            .as_array()
            .and_then(|l| l.iter().find(|l| l["relation"] == "next"))
        {
            Some(next) => {
                let url = next["url"].as_str().unwrap();
                path = url[url.find("/fhir/r4").unwrap()..].to_owned();
            }
            None => return Ok(out),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_specifications_examples_are_taken_or_reported_and_not_twice() -> anyhow::Result<()> {
    let sys = System::start().await?;
    sys.clinic("examples", "Australia/Melbourne").await?;
    let dir = root().join("data/fhir-r4-examples");
    let dir = dir.to_str().unwrap();
    let r = import(&sys, &["import-fhir", "--tenant", "examples", dir])?;
    assert_eq!(r["files_read"], 20, "{r:#}");
    assert_eq!(r["patients_imported"], 1, "{r:#}");
    // 1999-07-02: heart rate, respiratory rate, temperature, height; 2012-09-17: blood
    // pressure (two values); 2014-12-05: SpO2; 2016-03-28: weight
    assert_eq!(r["vital_sign_observations_mapped"], 8, "{r:#}");
    assert_eq!(r["vital_sign_sets_imported"], 4, "{r:#}");
    let skipped = r["not_imported"].as_object().unwrap();
    for reason in [
        "Observation: BMI (39156-5) is derived from weight and height, not stored",
        "Observation: head circumference (9843-4) is not a measure kept here",
        "Observation: vital sign without a field here (85353-1)",
        "Patient: another system's medical record number (this clinic assigns its own MRN)",
        "Appointment: not a kind of record imported here",
        "Slot: not a kind of record imported here",
        "Schedule: not a kind of record imported here",
        "Encounter: no period start",
    ] {
        assert!(
            skipped.contains_key(reason),
            "{reason:?} not reported: {r:#}"
        );
    }
    let read = r["resources_read"].as_u64().unwrap();
    let accounted = r["patients_imported"].as_u64().unwrap()
        + r["vital_sign_observations_mapped"].as_u64().unwrap()
        + skipped.values().map(|n| n.as_u64().unwrap()).sum::<u64>();
    assert!(
        accounted >= read,
        "every resource is taken or reported: {r:#}"
    );

    // what was taken, as the clinic sees it
    let http = Http::new(&sys.server.url());
    let nurse = http.token("examples", "nurse").await?;
    let (_, list) = http
        .call(
            Method::GET,
            "/api/v1/patients?q=chalmers",
            Some(&nurse),
            None,
        )
        .await?;
    let p = &list["data"][0];
    assert_eq!(
        (p["given_name"].as_str(), p["date_of_birth"].as_str()),
        (Some("Peter James"), Some("1974-12-25")),
        "{list}"
    );
    assert_eq!(
        (p["city"].as_str(), p["next_of_kin_name"].as_str()),
        (Some("PleasantVille"), Some("Bénédicte du Marché"))
    );
    let (_, sets) = http
        .call(
            Method::GET,
            &format!("/api/v1/patients/{}/vitals", p["id"].as_str().unwrap()),
            Some(&nurse),
            None,
        )
        .await?;
    let by_field = |field: &str| -> Vec<Value> {
        sets["data"]
            .as_array()
            .or(sets.as_array())
            .into_iter()
            .flatten()
            .filter_map(|s| Some(s[field].clone()).filter(|v| !v.is_null()))
            .collect()
    };
    assert_eq!(by_field("weight_kg"), [json!(83.9)], "185 lb: {sets}");
    assert_eq!(by_field("height_cm"), [json!(169.9)], "66.9 in");
    assert_eq!(by_field("systolic_mmhg"), [json!(107)]);

    // another system's "Patient/example", another person: reported, not merged into Peter
    let other = tempfile::tempdir()?;
    let file = other.path().join("other.json");
    std::fs::write(
        &file,
        serde_json::to_vec(
            &json!({"resourceType": "Patient", "id": "example", "gender": "female",
            "name": [{"family": "Okafor", "given": ["Ada"]}], "birthDate": "1990-01-01"}),
        )?,
    )?;
    let clash = import(
        &sys,
        &[
            "import-fhir",
            "--tenant",
            "examples",
            file.to_str().unwrap(),
        ],
    )?;
    assert_eq!(clash["patients_imported"], 0, "{clash:#}");
    assert!(
        clash["not_imported"]
            .as_object()
            .unwrap()
            .keys()
            .any(|k| k.contains("was imported before as another person")),
        "{clash:#}"
    );

    // again: nothing new
    let again = import(&sys, &["import-fhir", "--tenant", "examples", dir])?;
    assert_eq!(
        (
            again["patients_imported"].as_u64(),
            again["patients_already_present"].as_u64()
        ),
        (Some(0), Some(1)),
        "{again:#}"
    );
    assert_eq!(
        (
            again["vital_sign_sets_imported"].as_u64(),
            again["vital_sign_sets_already_present"].as_u64()
        ),
        (Some(0), Some(4))
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_synthea_sample_round_trips_through_fhir() -> anyhow::Result<()> {
    let sys = System::start().await?;
    sys.clinic("source", "America/New_York").await?;
    sys.clinic("copy", "America/New_York").await?;
    let synthea = root().join("data/synthea-ma27");
    import(
        &sys,
        &[
            "import-synthea",
            "--tenant",
            "source",
            "--dir",
            synthea.to_str().unwrap(),
        ],
    )?;
    let base = sys.server.url();
    let http = Http::new(&base);
    let source = http.token("source", "doctor").await?;

    // the clinic as FHIR: every patient and every vital sign, as one collection Bundle
    let patients = every(&base, &source, "/fhir/r4/Patient?_count=100").await?;
    assert_eq!(patients.len(), 27);
    let mut entries: Vec<Value> = Vec::new();
    for p in &patients {
        let id = p["id"].as_str().unwrap();
        entries.push(json!({"fullUrl": format!("urn:uuid:{id}"), "resource": p}));
        for o in every(
            &base,
            &source,
            &format!("/fhir/r4/Observation?patient={id}&_count=100"),
        )
        .await?
        {
            let mut o = o;
            o["subject"]["reference"] = json!(format!("urn:uuid:{id}"));
            entries.push(json!({"fullUrl": format!("urn:uuid:obs-{}", o["id"].as_str().unwrap()), "resource": o}));
        }
    }
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("clinic.json");
    std::fs::write(
        &file,
        serde_json::to_vec(
            &json!({"resourceType": "Bundle", "type": "collection", "entry": entries}),
        )?,
    )?;
    let r = import(
        &sys,
        &["import-fhir", "--tenant", "copy", file.to_str().unwrap()],
    )?;
    assert_eq!(r["patients_imported"], 27, "{r:#}");
    let skipped = r["not_imported"].as_object().unwrap();
    // left behind: the derived BMI, and the source clinic's MRNs (the copy assigns its own)
    assert!(
        skipped.keys().all(|k| k.starts_with("Observation: BMI")
            || k.starts_with("Patient: another system's medical record number")),
        "{r:#}"
    );

    // the same people, identifiers and measurements on both sides
    let copy = http.token("copy", "doctor").await?;
    let summary = |token: String| {
        let (http, base) = (&http, &base);
        async move {
            let mut out = BTreeMap::new();
            let (_, list) = http
                .call(
                    Method::GET,
                    "/api/v1/patients?limit=200",
                    Some(&token),
                    None,
                )
                .await?;
            for p in list["data"].as_array().unwrap() {
                let (_, sets) = http
                    .call(
                        Method::GET,
                        &format!(
                            "/api/v1/patients/{}/vitals?limit=1000",
                            p["id"].as_str().unwrap()
                        ),
                        Some(&token),
                        None,
                    )
                    .await?;
                let mut ms: Vec<String> = sets["data"]
                    .as_array()
                    .or(sets.as_array())
                    .into_iter()
                    .flatten()
                    .filter_map(|s| {
                        // the R4 vital-signs profile has no pain score, ACVPU or oxygen flag: a
                        // set of those alone does not travel
                        let m: BTreeMap<&str, &Value> = [
                            "systolic_mmhg",
                            "diastolic_mmhg",
                            "heart_rate_bpm",
                            "respiratory_rate_bpm",
                            "temperature_c",
                            "spo2_pct",
                            "weight_kg",
                            "height_cm",
                        ]
                        .into_iter()
                        .map(|f| (f, &s[f]))
                        .filter(|(_, v)| !v.is_null())
                        .collect();
                        (!m.is_empty()).then(|| format!("{} {m:?}", s["measured_at"]))
                    })
                    .collect();
                ms.sort();
                let key = format!(
                    "{} {} {}",
                    p["family_name"], p["given_name"], p["date_of_birth"]
                );
                out.insert(
                    key,
                    json!({"identifiers": p["identifiers"], "city": p["city"], "sets": ms}),
                );
            }
            let _ = base;
            anyhow::Ok(out)
        }
    };
    let (a, b) = (summary(source.clone()).await?, summary(copy).await?);
    assert_eq!(a.len(), 27);
    let sets: usize = a
        .values()
        .map(|v| v["sets"].as_array().unwrap().len())
        .sum();
    assert!(sets > 27, "the sample has vital signs ({sets} sets)");
    assert_eq!(a, b, "the copy differs from the source");
    Ok(())
}
