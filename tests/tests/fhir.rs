//! The FHIR R4 read API (`/fhir/r4`, issue 14) against the real server and PostgreSQL: a clinic's
//! patient with her identifiers, vital signs (one set later entered in error) and appointment,
//! read and searched as FHIR; every answer is checked by an independent validator
//! (tests/fhir/validate.py: the fhir.resources models and the R4 vital-signs profile); errors
//! are OperationOutcomes; another clinic sees nothing; reads are in the audit log.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::path::{Path, PathBuf};

use medoffice_e2e::{Http, System};
use reqwest::Method;
use serde_json::{json, Value};

const FHIR_JSON: &str = "application/fhir+json";

/// GET `path` as FHIR: status, media type and body.
async fn get(base: &str, path: &str, token: Option<&str>) -> anyhow::Result<(u16, String, Value)> {
    let mut req = reqwest::Client::new().get(format!("{base}{path}"));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let res = req.header("accept", FHIR_JSON).send().await?;
    let status = res.status().as_u16();
    let media = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let body: Value = serde_json::from_slice(&res.bytes().await?)?;
    Ok((status, media, body))
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Runs the independent validator over every answer kept; its report on failure.
fn validate(files: &[PathBuf]) -> anyhow::Result<()> {
    let python = repo_root().join(".run/venv/bin/python");
    anyhow::ensure!(
        python.exists(),
        "{} is missing: scripts/test makes it (python3 -m venv .run/venv; pip install -r tests/fhir/requirements.txt)",
        python.display()
    );
    let out = std::process::Command::new(python)
        .arg(repo_root().join("tests/fhir/validate.py"))
        .args(files)
        .output()?;
    let said =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    println!("{said}");
    anyhow::ensure!(
        out.status.success(),
        "the FHIR validator refused what the server answered:\n{said}"
    );
    Ok(())
}

fn entries(bundle: &Value) -> Vec<Value> {
    bundle["entry"]
        .as_array()
        .map(|e| e.iter().map(|x| x["resource"].clone()).collect())
        .unwrap_or_default()
}

fn ids(bundle: &Value) -> Vec<String> {
    entries(bundle)
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_clinics_records_read_as_valid_fhir_r4() -> anyhow::Result<()> {
    let sys = System::start().await?;
    sys.clinic("fhir", "America/New_York").await?;
    sys.clinic("other", "America/New_York").await?;
    let base = sys.server.url();
    let http = Http::new(&base);
    let nurse = http.token("fhir", "nurse").await?;
    let admin = http.token("fhir", "admin").await?;
    let stranger = http.token("other", "nurse").await?;
    let (_, doctor_me) = http
        .login("fhir", "doctor", medoffice_e2e::PASSWORD)
        .await?;
    let doctor_id = doctor_me["user"]["id"].as_str().unwrap().to_owned();

    // a patient with identifiers, three sets (one entered in error), a booking
    let (s, p) = http
        .call(
            Method::POST,
            "/api/v1/patients",
            Some(&nurse),
            Some(json!({
                "given_name": "Ana Luísa", "family_name": "Souza", "date_of_birth": "1985-06-01", "sex": "female",
                "phone": "+1 617 555 0101", "address": "12 Harbor St\nApt 3", "city": "Boston", "state": "MA",
                "postal_code": "02110", "country": "US", "preferred_language": "pt-BR", "interpreter_required": true,
                "next_of_kin_name": "Rui Souza", "next_of_kin_relationship": "spouse",
                "emergency_contact_name": "Lia Souza", "emergency_contact_phone": "+1 617 555 0102",
                "identifiers": [
                    {"kind": "social_security", "system": "http://hl7.org/fhir/sid/us-ssn", "value": "999-17-5017"},
                    {"kind": "insurance_member", "system": "Blue Cross MA", "value": "XJH 100200"}
                ]
            })),
        )
        .await?;
    assert_eq!(s, 201, "{p}");
    let pid = p["id"].as_str().unwrap().to_owned();
    let mrn = p["mrn"].as_str().unwrap().to_owned();
    let mut sets = Vec::new();
    for (at, body) in [
        (
            "2026-03-05T14:30:00Z",
            json!({"systolic_mmhg": 152, "diastolic_mmhg": 96, "heart_rate_bpm": 88, "respiratory_rate_bpm": 16, "temperature_c": 37.2, "spo2_pct": 97, "weight_kg": 64.5, "height_cm": 162.0}),
        ),
        (
            "2026-04-10T15:00:00Z",
            json!({"heart_rate_bpm": 72, "spo2_pct": 91}),
        ),
        ("2026-04-11T15:00:00Z", json!({"heart_rate_bpm": 140})),
    ] {
        let mut b = body;
        b["measured_at"] = json!(at);
        let (s, v) = http
            .call(
                Method::POST,
                &format!("/api/v1/patients/{pid}/vitals"),
                Some(&nurse),
                Some(b),
            )
            .await?;
        assert_eq!(s, 201, "{v}");
        sets.push(v["id"].as_str().unwrap().to_owned());
    }
    let (s, v) = http
        .call(
            Method::POST,
            &format!("/api/v1/vitals/{}/correction", sets[2]),
            Some(&nurse),
            Some(json!({"patient_id": pid, "status": "entered-in-error", "reason": "another patient's"})),
        )
        .await?;
    assert_eq!(s, 200, "{v}");
    let (s, a) = http
        .call(
            Method::POST,
            "/api/v1/appointments",
            Some(&nurse),
            Some(json!({"patient_id": pid, "provider_id": doctor_id, "starts_at": "2026-05-06T14:00:00Z", "duration_minutes": 20, "kind": "follow_up", "reason": "Blood pressure review"})),
        )
        .await?;
    assert_eq!(s, 201, "{a}");
    let aid = a["id"].as_str().unwrap().to_owned();

    let dir = tempfile::tempdir()?;
    let mut kept = Vec::new();
    let mut keep = |name: &str, v: &Value| -> anyhow::Result<()> {
        let path = dir.path().join(format!("{name}.json"));
        std::fs::write(&path, serde_json::to_vec_pretty(v)?)?;
        kept.push(path);
        Ok(())
    };

    // the capability statement, without a token
    let (s, media, cap) = get(&base, "/fhir/r4/metadata", None).await?;
    assert_eq!((s, media.as_str()), (200, FHIR_JSON), "{cap}");
    assert_eq!(
        (cap["resourceType"].as_str(), cap["fhirVersion"].as_str()),
        (Some("CapabilityStatement"), Some("4.0.1"))
    );
    keep("metadata", &cap)?;

    // the patient
    let (s, media, patient) = get(&base, &format!("/fhir/r4/Patient/{pid}"), Some(&nurse)).await?;
    assert_eq!((s, media.as_str()), (200, FHIR_JSON), "{patient}");
    assert_eq!(patient["birthDate"], "1985-06-01");
    assert_eq!(patient["gender"], "female");
    assert_eq!(patient["name"][0]["family"], "Souza");
    assert_eq!(patient["name"][0]["given"], json!(["Ana", "Luísa"]));
    assert_eq!(
        patient["address"][0]["line"],
        json!(["12 Harbor St", "Apt 3"])
    );
    assert_eq!(patient["address"][0]["postalCode"], "02110");
    assert_eq!(
        patient["communication"][0]["language"]["coding"][0]["code"],
        "pt-BR"
    );
    assert_eq!(patient["extension"][0]["valueBoolean"], true);
    let id_values: Vec<&str> = patient["identifier"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["value"].as_str().unwrap())
        .collect();
    assert_eq!(id_values, [mrn.as_str(), "999-17-5017", "XJH 100200"]);
    assert_eq!(
        patient["identifier"][2]["assigner"]["display"], "Blue Cross MA",
        "an insurer's name is no URI"
    );
    keep("patient", &patient)?;

    // searches: by MRN with its system, by SSN without punctuation, by name, by birth date
    let mrn_system = patient["identifier"][0]["system"]
        .as_str()
        .unwrap()
        .to_owned();
    for q in [
        format!("identifier={mrn_system}|{mrn}"),
        "identifier=999175017".to_owned(),
        "identifier=http://hl7.org/fhir/sid/us-ssn|999-17-5017".to_owned(),
        "name=souz".to_owned(),
        "name=luisa&birthdate=eq1985-06-01".to_owned(),
        "birthdate=ge1985-01-01&birthdate=lt1986-01-01".to_owned(),
    ] {
        let (s, _, b) = get(
            &base,
            &format!("/fhir/r4/Patient?{}", q.replace('|', "%7C")),
            Some(&nurse),
        )
        .await?;
        assert_eq!(s, 200, "{q}: {b}");
        assert_eq!(ids(&b), [pid.as_str()], "{q}: {b}");
        assert_eq!(b["total"], 1);
    }
    for q in [
        "identifier=http://hl7.org/fhir/sid/passport-USA%7C999175017",
        "birthdate=lt1985-06-01",
        "name=nobody",
    ] {
        let (_, _, b) = get(&base, &format!("/fhir/r4/Patient?{q}"), Some(&nurse)).await?;
        assert_eq!(b["total"], 0, "{q}: {b}");
    }
    let (_, _, found) = get(&base, "/fhir/r4/Patient?name=souza", Some(&nurse)).await?;
    keep("patient-search", &found)?;

    // vital signs: one Observation per measure; entered in error kept and marked
    let (s, _, all) = get(
        &base,
        &format!("/fhir/r4/Observation?patient=Patient/{pid}&category=vital-signs&_count=100"),
        Some(&nurse),
    )
    .await?;
    assert_eq!(s, 200, "{all}");
    // set 1: bp, hr, rr, temp, spo2, weight, height, bmi; set 2: hr, spo2; set 3: hr
    assert_eq!(all["total"], 11, "{all}");
    keep("observations", &all)?;
    let obs = entries(&all);
    let bp = obs
        .iter()
        .find(|o| o["code"]["coding"][0]["code"] == "85354-9")
        .unwrap();
    assert_eq!(bp["component"][0]["valueQuantity"]["value"], 152);
    assert_eq!(
        bp["component"][0]["interpretation"][0]["coding"][0]["code"],
        "H"
    );
    let wrong = obs
        .iter()
        .find(|o| o["id"] == json!(format!("{}-hr", sets[2])))
        .unwrap();
    assert_eq!(wrong["status"], "entered-in-error");
    let low = obs
        .iter()
        .find(|o| o["id"] == json!(format!("{}-spo2", sets[1])))
        .unwrap();
    assert_eq!(low["interpretation"][0]["coding"][0]["code"], "L");
    // by code, by date, and a page at a time
    let (_, _, hr) = get(
        &base,
        &format!("/fhir/r4/Observation?patient={pid}&code=http://loinc.org%7C8867-4"),
        Some(&nurse),
    )
    .await?;
    assert_eq!(hr["total"], 3, "{hr}");
    let (_, _, april) = get(
        &base,
        &format!("/fhir/r4/Observation?patient={pid}&date=ge2026-04-01&date=lt2026-04-11"),
        Some(&nurse),
    )
    .await?;
    assert_eq!(april["total"], 2, "the second set's two measures: {april}");
    let (_, _, first) = get(
        &base,
        &format!("/fhir/r4/Observation?patient={pid}&_count=4"),
        Some(&nurse),
    )
    .await?;
    assert_eq!(entries(&first).len(), 4);
    let next = first["link"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["relation"] == "next")
        .unwrap()["url"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = &next[next.find("/fhir/r4").unwrap()..];
    let (_, _, second) = get(&base, path, Some(&nurse)).await?;
    assert_eq!(entries(&second).len(), 4);
    assert!(
        ids(&first).iter().all(|i| !ids(&second).contains(i)),
        "pages do not overlap"
    );
    keep("observations-page-2", &second)?;
    let (s, _, one) = get(
        &base,
        &format!("/fhir/r4/Observation/{}-temp", sets[0]),
        Some(&nurse),
    )
    .await?;
    assert_eq!(
        (s, one["valueQuantity"]["code"].as_str()),
        (200, Some("Cel")),
        "{one}"
    );
    keep("observation", &one)?;

    // the appointment and its practitioner
    let (s, _, appt) = get(&base, &format!("/fhir/r4/Appointment/{aid}"), Some(&nurse)).await?;
    assert_eq!(
        (s, appt["status"].as_str()),
        (200, Some("booked")),
        "{appt}"
    );
    assert_eq!(appt["minutesDuration"], 20);
    keep("appointment", &appt)?;
    for q in [
        format!("patient=Patient/{pid}"),
        format!("practitioner={doctor_id}"),
        "date=eq2026-05-06".to_owned(),
    ] {
        let (_, _, b) = get(&base, &format!("/fhir/r4/Appointment?{q}"), Some(&nurse)).await?;
        assert_eq!(ids(&b), [aid.as_str()], "{q}: {b}");
        keep("appointments", &b)?;
    }
    let (_, _, none) = get(
        &base,
        "/fhir/r4/Appointment?date=eq2026-05-07",
        Some(&nurse),
    )
    .await?;
    assert_eq!(none["total"], 0);
    let (s, _, doc) = get(
        &base,
        &format!("/fhir/r4/Practitioner/{doctor_id}"),
        Some(&nurse),
    )
    .await?;
    assert_eq!(
        (s, doc["name"][0]["text"].as_str()),
        (200, Some("Dr. Dora Doctor")),
        "{doc}"
    );
    keep("practitioner", &doc)?;
    let (_, _, docs) = get(&base, "/fhir/r4/Practitioner?name=dora", Some(&nurse)).await?;
    assert_eq!(ids(&docs), [doctor_id.as_str()]);
    keep("practitioners", &docs)?;

    // errors are OperationOutcomes: no token, another clinic, an unknown parameter or route
    for (path, token, status, code) in [
        (format!("/fhir/r4/Patient/{pid}"), None, 401, "login"),
        (
            format!("/fhir/r4/Patient/{pid}"),
            Some(stranger.as_str()),
            404,
            "not-found",
        ),
        (
            format!("/fhir/r4/Appointment/{aid}"),
            Some(stranger.as_str()),
            404,
            "not-found",
        ),
        (
            "/fhir/r4/Patient?colour=red".to_owned(),
            Some(nurse.as_str()),
            400,
            "invalid",
        ),
        (
            "/fhir/r4/Observation?category=vital-signs".to_owned(),
            Some(nurse.as_str()),
            400,
            "invalid",
        ),
        (
            "/fhir/r4/Encounter".to_owned(),
            Some(nurse.as_str()),
            404,
            "not-supported",
        ),
    ] {
        let (s, media, o) = get(&base, &path, token).await?;
        assert_eq!((s, media.as_str()), (status, FHIR_JSON), "{path}: {o}");
        assert_eq!(o["resourceType"], "OperationOutcome", "{path}: {o}");
        assert_eq!(o["issue"][0]["code"], code, "{path}: {o}");
        keep(&format!("outcome-{status}-{code}"), &o)?;
    }
    let (_, _, theirs) = get(
        &base,
        "/fhir/r4/Patient?identifier=999175017",
        Some(&stranger),
    )
    .await?;
    assert_eq!(theirs["total"], 0, "another clinic finds nobody: {theirs}");

    // every FHIR read of her record is in the clinic's audit log
    let (s, log) = http
        .call(
            Method::GET,
            &format!("/api/v1/audit?patient_id={pid}&limit=200"),
            Some(&admin),
            None,
        )
        .await?;
    assert_eq!(s, 200, "{log}");
    let actions: Vec<&str> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for a in [
        "fhir.patient.read",
        "fhir.observation.search",
        "fhir.observation.read",
        "fhir.appointment.read",
    ] {
        assert!(actions.contains(&a), "{a} not in {actions:?}");
    }

    validate(&kept)
}
