//! The HTTP contract of API.md, against the real server and PostgreSQL.

use medoffice_e2e::{Http, System, PASSWORD};
use reqwest::Method;
use serde_json::{json, Value};
use uuid::Uuid;

fn new_patient(id: Uuid) -> Value {
    json!({"id": id, "given_name": "Grace", "family_name": "Hopper", "date_of_birth": "1906-12-09", "sex": "female", "phone": "555-0100"})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_api_contract_holds() -> anyhow::Result<()> {
    let sys = System::start().await?;
    sys.clinic("contract", "America/Chicago").await?;
    let http = Http::new(&sys.server.url());

    // health and the generated OpenAPI document
    let (s, h) = http.call(Method::GET, "/health", None, None).await?;
    assert_eq!((s, h["database"].as_str()), (200, Some("ok")));
    let (s, doc) = http
        .call(Method::GET, "/api/v1/openapi.json", None, None)
        .await?;
    assert_eq!(s, 200);
    for path in [
        "/api/v1/patients",
        "/api/v1/sync/changes",
        "/api/v1/sync/push",
        "/api/v1/patients/{id}/vitals",
    ] {
        assert!(doc["paths"].get(path).is_some(), "OpenAPI lacks {path}");
    }

    // errors are JSON everywhere, unknown routes and methods included
    let (s, e) = http.call(Method::GET, "/api/v1/nope", None, None).await?;
    assert_eq!((s, e["status"].as_u64()), (404, Some(404)));
    let (s, e) = http.call(Method::PUT, "/health", None, None).await?;
    assert_eq!((s, e["status"].as_u64()), (405, Some(405)));
    let (s, e) = http
        .call(Method::GET, "/api/v1/patients", None, None)
        .await?;
    assert_eq!(s, 401);
    assert!(e["timestamp"].is_string());

    // login: unknown clinic, unknown user and wrong password answer alike
    let (s1, e1) = http.login("nowhere", "nurse", PASSWORD).await?;
    let (s2, e2) = http.login("contract", "ghost", PASSWORD).await?;
    let (s3, e3) = http.login("contract", "nurse", "wrong password!").await?;
    assert_eq!((s1, s2, s3), (401, 401, 401));
    assert_eq!(e1["message"], e2["message"]);
    assert_eq!(e2["message"], e3["message"]);
    let (s, tokens) = http.login("contract", "reception", PASSWORD).await?;
    assert_eq!(s, 200);
    assert_eq!(tokens["user"]["role"], "receptionist");
    assert!(tokens["user"]["permissions"]
        .as_array()
        .is_some_and(|p| !p.contains(&json!("vital_signs_write"))));
    let rec = tokens["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let nurse = http.token("contract", "nurse").await?;

    // refresh rotates, for the workstation the session was signed in on
    let login_at = |device: &'static str| {
        http.call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"tenant": "contract", "username": "reception", "password": PASSWORD, "device_id": device})),
        )
    };
    let refresh = |t: &Value, device: &str| {
        http.call(
            Method::POST,
            "/api/v1/auth/refresh",
            None,
            Some(json!({ "refresh_token": t, "device_id": device })),
        )
    };
    let (_, session) = login_at("desk-1").await?;
    let r0 = session["refresh_token"].clone();
    let (s, t1) = refresh(&r0, "desk-1").await?;
    assert_eq!(s, 200);
    let r1 = t1["refresh_token"].clone();
    assert_ne!(r0, r1);
    // the answer to that refresh was lost: the same workstation retrying with the spent token
    // at once replaces the unused new one instead of ending the session
    let (s, t2) = refresh(&r0, "desk-1").await?;
    assert_eq!(s, 200, "a prompt retry is not treated as theft");
    let r2 = t2["refresh_token"].clone();
    let (s, t3) = refresh(&r2, "desk-1").await?;
    assert_eq!(s, 200);
    let r3 = t3["refresh_token"].clone();
    // the replaced token never reached its workstation: whoever presents it holds a copy, and
    // the family ends (a thief who replayed the spent one first is signed out with it)
    assert_eq!(
        refresh(&r1, "laptop-9").await?.0,
        401,
        "the replaced token is void"
    );
    assert_eq!(
        refresh(&r3, "desk-1").await?.0,
        401,
        "and its family is revoked"
    );
    // a spent token from another workstation, even at once, is theft too
    let (_, session) = login_at("desk-1").await?;
    let r0 = session["refresh_token"].clone();
    let (_, t1) = refresh(&r0, "desk-1").await?;
    let r1 = t1["refresh_token"].clone();
    assert_eq!(
        refresh(&r0, "laptop-9").await?.0,
        401,
        "not the workstation it was issued to"
    );
    assert_eq!(
        refresh(&r1, "desk-1").await?.0,
        401,
        "and its family is revoked"
    );
    let clinic: Uuid = tokens["user"]["tenant_id"]
        .as_str()
        .map(Uuid::parse_str)
        .transpose()?
        .unwrap_or_default();
    let replays: Vec<(String, Option<String>)> = {
        use sqlx::Connection;
        let mut owner = sqlx::PgConnection::connect(&sys.database_url).await?;
        sqlx::query_as(
            "SELECT outcome, device_id FROM audit_log WHERE tenant_id = $1 AND action = 'auth.refresh_reuse' ORDER BY id",
        )
        .bind(clinic)
        .fetch_all(&mut owner)
        .await?
    };
    assert_eq!(
        replays,
        vec![
            ("replaced".to_owned(), Some("desk-1".to_owned())),
            ("family_revoked".to_owned(), Some("laptop-9".to_owned())),
            ("family_revoked".to_owned(), Some("laptop-9".to_owned())),
        ],
        "every replay audited, under the workstation that presented it (a token of a family \
         already ended is only old: not again)"
    );
    // reuse after the grace period is theft, from the right workstation too
    let (_, session) = login_at("desk-1").await?;
    let r0 = session["refresh_token"].clone();
    let (_, t1) = refresh(&r0, "desk-1").await?;
    let r1 = t1["refresh_token"].clone();
    let mut tx = medoffice_server::db::tenant_tx(&sys.pool, clinic).await?;
    sqlx::query("UPDATE refresh_tokens SET spent_at = spent_at - interval '5 minutes' WHERE spent_at IS NOT NULL")
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    assert_eq!(
        refresh(&r0, "desk-1").await?.0,
        401,
        "a spent token is refused"
    );
    assert_eq!(
        refresh(&r1, "desk-1").await?.0,
        401,
        "and its family is revoked"
    );

    // create with a client-made id: 201, same body 200, other body 409
    let id = Uuid::new_v4();
    let (s, p) = http
        .call(
            Method::POST,
            "/api/v1/patients",
            Some(&rec),
            Some(new_patient(id)),
        )
        .await?;
    assert_eq!(s, 201, "{p}");
    assert_eq!(p["mrn"], "000001");
    let (s, again) = http
        .call(
            Method::POST,
            "/api/v1/patients",
            Some(&rec),
            Some(new_patient(id)),
        )
        .await?;
    assert_eq!((s, &again["mrn"]), (200, &p["mrn"]));
    let mut other = new_patient(id);
    other["given_name"] = json!("Someone Else");
    let (s, _) = http
        .call(Method::POST, "/api/v1/patients", Some(&rec), Some(other))
        .await?;
    assert_eq!(s, 409);

    // validation names the field
    let (s, e) = http
        .call(Method::POST, "/api/v1/patients", Some(&rec), Some(json!({"given_name": "", "family_name": "X", "date_of_birth": "2999-01-01", "sex": "male"})))
        .await?;
    assert_eq!(s, 422);
    assert!(
        e["errors"]["given_name"].is_array() && e["errors"]["date_of_birth"].is_array(),
        "{e}"
    );
    let (s, e) = http.call(Method::POST, "/api/v1/patients", Some(&rec), Some(json!({"given_name": "A", "family_name": "B", "date_of_birth": "2000-01-01", "sex": "robot"}))).await?;
    assert_eq!(s, 422);
    assert!(e["errors"]["sex"].is_array(), "{e}");

    // search: name prefix in any order, MRN, phone digits, date of birth
    for q in ["hop gra", "000001", "5550100", "1906-12-09", "09/12/1906"] {
        let (s, l) = http
            .call(
                Method::GET,
                &format!("/api/v1/patients?q={q}"),
                Some(&rec),
                None,
            )
            .await?;
        assert_eq!((s, l["meta"]["total"].as_i64()), (200, Some(1)), "q={q}");
    }

    // vitals: receptionists may not record; impossible values are field errors; abnormal flagged
    let vitals_path = format!("/api/v1/patients/{id}/vitals");
    let (s, _) = http
        .call(
            Method::POST,
            &vitals_path,
            Some(&rec),
            Some(json!({"measured_at": chrono::Utc::now(), "heart_rate_bpm": 70})),
        )
        .await?;
    assert_eq!(s, 403);
    let (s, e) = http
        .call(Method::POST, &vitals_path, Some(&nurse), Some(json!({"measured_at": chrono::Utc::now(), "systolic_mmhg": 400, "diastolic_mmhg": 80, "spo2_pct": 101})))
        .await?;
    assert_eq!(s, 422);
    assert!(
        e["errors"]["systolic_mmhg"].is_array() && e["errors"]["spo2_pct"].is_array(),
        "{e}"
    );
    let full = json!({"measured_at": chrono::Utc::now(), "systolic_mmhg": 150, "diastolic_mmhg": 92, "heart_rate_bpm": 115,
        "respiratory_rate_bpm": 22, "spo2_pct": 93, "on_oxygen": false, "consciousness": "alert", "temperature_c": 38.4});
    let (s, v) = http
        .call(Method::POST, &vitals_path, Some(&nurse), Some(full))
        .await?;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["news2"], 7, "RR 22 (2) + SpO2 93 (2) + air (0) + sys 150 (0) + HR 115 (2) + alert (0) + 38.4 °C (1): {v}");
    let flags: Vec<String> = serde_json::from_value(v["flags"].clone())?;
    assert!(flags.contains(&"systolic_mmhg:high".into()) && flags.contains(&"spo2_pct:low".into()));
    assert_eq!(
        v["recorded_by"],
        json!(http.login("contract", "nurse", PASSWORD).await?.1["user"]["id"])
    );

    // age for thresholds is counted on the clinic's date (America/Chicago here): the evening before
    // a 16th birthday is still a child's reading (AAP 2017: 120/80 and over needs evaluation from
    // 13), the small hours after it an adult's (NICE: 140/90)
    let teen = Uuid::new_v4();
    let (s, _) = http
        .call(
            Method::POST,
            "/api/v1/patients",
            Some(&rec),
            Some(json!({"id": teen, "given_name": "Sam", "family_name": "Teen", "date_of_birth": "2010-06-01", "sex": "male"})),
        )
        .await?;
    assert_eq!(s, 201);
    let teen_vitals = format!("/api/v1/patients/{teen}/vitals");
    for (at, child) in [
        ("2026-06-01T03:00:00Z", true),
        ("2026-06-01T06:00:00Z", false),
    ] {
        let (s, v) = http
            .call(
                Method::POST,
                &teen_vitals,
                Some(&nurse),
                Some(json!({"measured_at": at, "systolic_mmhg": 135, "diastolic_mmhg": 85})),
            )
            .await?;
        assert_eq!(s, 201, "{v}");
        let flagged = v["flags"]
            .as_array()
            .is_some_and(|f| f.contains(&json!("systolic_mmhg:high")));
        assert_eq!(flagged, child, "measured {at}: {v}");
    }

    // the children: a 12-year-old boy at 168 systolic and 112/min, a 2-year-old girl at
    // 190/min, flagged by the children's bands (AAP 2017, APLS), with no NEWS2
    for (born, sex, set, expected) in [
        (
            "2014-01-10",
            "male",
            json!({"systolic_mmhg": 168, "diastolic_mmhg": 70, "heart_rate_bpm": 112, "respiratory_rate_bpm": 18,
                   "spo2_pct": 98, "on_oxygen": false, "consciousness": "alert", "temperature_c": 37.0}),
            vec!["systolic_mmhg:high", "heart_rate_bpm:high"],
        ),
        (
            "2024-02-10",
            "female",
            json!({"heart_rate_bpm": 190}),
            vec!["heart_rate_bpm:high"],
        ),
    ] {
        let child = Uuid::new_v4();
        let (s, _) = http
            .call(
                Method::POST,
                "/api/v1/patients",
                Some(&rec),
                Some(json!({"id": child, "given_name": "Kim", "family_name": "Child", "date_of_birth": born, "sex": sex})),
            )
            .await?;
        assert_eq!(s, 201);
        let mut body = set.clone();
        body["measured_at"] = json!("2026-11-20T15:00:00Z");
        let (s, v) = http
            .call(
                Method::POST,
                &format!("/api/v1/patients/{child}/vitals"),
                Some(&nurse),
                Some(body),
            )
            .await?;
        assert_eq!(s, 201, "{v}");
        assert_eq!(v["flags"], json!(expected), "born {born}: {v}");
        assert_eq!(v["news2"], json!(null), "no NEWS2 under 16: {v}");
    }

    // appointments: overlap refused naming the other booking; back-to-back fine
    let (_, me) = http
        .call(Method::GET, "/api/v1/auth/me", Some(&nurse), None)
        .await?;
    let provider = me["id"].clone();
    let book = |start: &str, minutes: i32| json!({"patient_id": id, "provider_id": provider, "starts_at": start, "duration_minutes": minutes, "kind": "follow_up"});
    let (s, first) = http
        .call(
            Method::POST,
            "/api/v1/appointments",
            Some(&rec),
            Some(book("2030-05-06T14:00:00Z", 30)),
        )
        .await?;
    assert_eq!(s, 201, "{first}");
    let (s, clash) = http
        .call(
            Method::POST,
            "/api/v1/appointments",
            Some(&rec),
            Some(book("2030-05-06T14:15:00Z", 30)),
        )
        .await?;
    assert_eq!(s, 409);
    assert_eq!(clash["details"]["conflicting_appointment_id"], first["id"]);
    let (s, _) = http
        .call(
            Method::POST,
            "/api/v1/appointments",
            Some(&rec),
            Some(book("2030-05-06T14:30:00Z", 15)),
        )
        .await?;
    assert_eq!(s, 201, "back-to-back is fine");
    // an overbooking needs a reason and the permission, and so does moving one
    let doctor = http.token("contract", "doctor").await?;
    let mut over = book("2030-05-06T14:10:00Z", 10);
    over["overbooked"] = json!(true);
    let (s, _) = http
        .call(
            Method::POST,
            "/api/v1/appointments",
            Some(&doctor),
            Some(over.clone()),
        )
        .await?;
    assert_eq!(s, 422, "an overbooking without a reason");
    over["reason"] = json!("Urgent: chest pain");
    let (s, _) = http
        .call(
            Method::POST,
            "/api/v1/appointments",
            Some(&rec),
            Some(over.clone()),
        )
        .await?;
    assert_eq!(s, 403, "receptionists may not overbook");
    let (s, ob) = http
        .call(
            Method::POST,
            "/api/v1/appointments",
            Some(&doctor),
            Some(over),
        )
        .await?;
    assert_eq!(s, 201, "{ob}");
    let (s, _) = http
        .call(
            Method::PATCH,
            &format!(
                "/api/v1/appointments/{}",
                ob["id"].as_str().unwrap_or_default()
            ),
            Some(&rec),
            Some(json!({"base_revision": ob["revision"], "starts_at": "2030-05-06T14:20:00Z"})),
        )
        .await?;
    assert_eq!(s, 403, "moving an overbooked visit is overbooking again");
    let (s, checked) = http
        .call(
            Method::PATCH,
            &format!(
                "/api/v1/appointments/{}",
                first["id"].as_str().unwrap_or_default()
            ),
            Some(&rec),
            Some(json!({"base_revision": first["revision"], "status": "checked_in"})),
        )
        .await?;
    assert_eq!((s, &checked["status"]), (200, &json!("checked_in")));
    let (s, e) = http
        .call(
            Method::PATCH,
            &format!(
                "/api/v1/appointments/{}",
                first["id"].as_str().unwrap_or_default()
            ),
            Some(&rec),
            Some(json!({"base_revision": checked["revision"], "status": "no_show"})),
        )
        .await?;
    assert_eq!(s, 422, "checked-in cannot become no-show: {e}");

    // push: in order, idempotent, one rejection does not block the rest
    let m1 = Uuid::new_v4();
    let pid2 = Uuid::new_v4();
    let batch = json!({"mutations": [
        {"mutation_id": m1, "entity": "patient", "op": "create", "id": pid2, "data": {"given_name": "Alan", "family_name": "Turing", "date_of_birth": "1912-06-23", "sex": "male"}},
        {"mutation_id": Uuid::new_v4(), "entity": "vital_signs", "op": "create", "id": Uuid::new_v4(), "data": {"patient_id": pid2, "measured_at": chrono::Utc::now(), "heart_rate_bpm": 500}},
        {"mutation_id": Uuid::new_v4(), "entity": "vital_signs", "op": "create", "id": Uuid::new_v4(), "data": {"patient_id": pid2, "measured_at": chrono::Utc::now(), "heart_rate_bpm": 64}}
    ]});
    let (s, r) = http
        .call(
            Method::POST,
            "/api/v1/sync/push",
            Some(&nurse),
            Some(batch.clone()),
        )
        .await?;
    assert_eq!(s, 200, "{r}");
    let statuses: Vec<&str> = r["results"]
        .as_array()
        .map(|a| a.iter().filter_map(|x| x["status"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(statuses, ["applied", "rejected", "applied"]);
    assert!(r["results"][1]["error"]["errors"]["heart_rate_bpm"].is_array());
    let (s, r) = http
        .call(Method::POST, "/api/v1/sync/push", Some(&nurse), Some(batch))
        .await?;
    assert_eq!(s, 200);
    let statuses: Vec<&str> = r["results"]
        .as_array()
        .map(|a| a.iter().filter_map(|x| x["status"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(
        statuses,
        ["duplicate", "rejected", "duplicate"],
        "a replay answers the first result"
    );
    let (_, vs) = http
        .call(
            Method::GET,
            &format!("/api/v1/patients/{pid2}/vitals"),
            Some(&nurse),
            None,
        )
        .await?;
    assert_eq!(
        vs["data"].as_array().map(Vec::len),
        Some(1),
        "replayed mutations change nothing"
    );

    // a value the database cannot store rejects that mutation only, with a field error
    let (s, r) = http
        .call(
            Method::POST,
            "/api/v1/sync/push",
            Some(&nurse),
            Some(json!({"mutations": [
                {"mutation_id": Uuid::new_v4(), "entity": "vital_signs", "op": "create", "id": Uuid::new_v4(),
                 "data": {"patient_id": pid2, "measured_at": chrono::Utc::now(), "heart_rate_bpm": 70, "notes": "bad\u{0}byte"}},
                {"mutation_id": Uuid::new_v4(), "entity": "vital_signs", "op": "create", "id": Uuid::new_v4(),
                 "data": {"patient_id": pid2, "measured_at": chrono::Utc::now(), "heart_rate_bpm": 71}}
            ]})),
        )
        .await?;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["results"][0]["status"], "rejected");
    assert_eq!(r["results"][0]["error"]["status"], 422);
    assert_eq!(r["results"][1]["status"], "applied");

    // patient edits merge by field from a base revision
    let (_, g) = http
        .call(
            Method::GET,
            &format!("/api/v1/patients/{pid2}"),
            Some(&rec),
            None,
        )
        .await?;
    let base = g["revision"].clone();
    let (s, _) = http
        .call(
            Method::PATCH,
            &format!("/api/v1/patients/{pid2}"),
            Some(&rec),
            Some(json!({"base_revision": base, "phone": "555 0111"})),
        )
        .await?;
    assert_eq!(s, 200);
    let (s, merged) = http
        .call(
            Method::PATCH,
            &format!("/api/v1/patients/{pid2}"),
            Some(&nurse),
            Some(json!({"base_revision": base, "email": "alan@example.org"})),
        )
        .await?;
    assert_eq!(
        (s, &merged["phone"], &merged["email"]),
        (200, &json!("555 0111"), &json!("alan@example.org")),
        "different fields merge"
    );
    let (s, c) = http
        .call(
            Method::PATCH,
            &format!("/api/v1/patients/{pid2}"),
            Some(&nurse),
            Some(json!({"base_revision": base, "phone": "555 0999"})),
        )
        .await?;
    assert_eq!(
        s, 409,
        "the same field changed on both sides is a conflict: {c}"
    );
    assert_eq!(c["details"]["conflicts"][0]["field"], "phone");
    assert!(
        c["details"]["conflicts"][0]["changed_by"]
            .as_str()
            .is_some_and(|n| !n.is_empty())
            && c["details"]["conflicts"][0]["changed_at"].is_string(),
        "a conflict names who wrote the kept value, and when: {c}"
    );
    assert_eq!(
        c["details"]["server"]["phone"], "555 0111",
        "the server keeps its value"
    );

    // the feed is state in revision order, paged
    let (_, page) = http
        .call(
            Method::GET,
            "/api/v1/sync/changes?since=0&limit=3",
            Some(&nurse),
            None,
        )
        .await?;
    assert_eq!(page["has_more"], true);
    let revs: Vec<i64> = page["changes"]
        .as_array()
        .map(|a| a.iter().filter_map(|c| c["revision"].as_i64()).collect())
        .unwrap_or_default();
    assert_eq!(revs.len(), 3);
    assert!(revs.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(page["revision"].as_i64(), revs.last().copied());

    // every access to a record is audited
    let mut tx = sys.pool.begin().await?;
    let tenant: Uuid = me["tenant_id"]
        .as_str()
        .map(Uuid::parse_str)
        .transpose()?
        .unwrap_or_default();
    medoffice_server::db::set_tenant(&mut tx, tenant).await?;
    let actions: Vec<String> =
        sqlx::query_scalar("SELECT DISTINCT action FROM audit_log ORDER BY action")
            .fetch_all(&mut *tx)
            .await?;
    for a in [
        "auth.login",
        "auth.login_failed",
        "patient.create",
        "patient.read",
        "patient.update",
        "vital_signs.create",
        "appointment.create",
    ] {
        assert!(actions.contains(&a.to_owned()), "no {a} in {actions:?}");
    }
    // a token issued before the session epoch moved (a password change or deactivation that
    // raced it and missed it) is refused, and its family revoked
    let (_, session) = http
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"tenant": "contract", "username": "doctor", "password": PASSWORD, "device_id": "desk-1"})),
        )
        .await?;
    let r0 = session["refresh_token"].clone();
    let mut tx = medoffice_server::db::tenant_tx(&sys.pool, clinic).await?;
    sqlx::query("UPDATE users SET session_epoch = session_epoch + 1 WHERE username = 'doctor'")
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    let (s, e) = refresh(&r0, "desk-1").await?;
    assert_eq!((s, e["code"].as_str()), (401, Some("session_ended")), "{e}");
    let stale: i64 = {
        use sqlx::Connection;
        let mut owner = sqlx::PgConnection::connect(&sys.database_url).await?;
        sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = 'auth.refresh_stale' AND username = 'doctor'")
            .fetch_one(&mut owner)
            .await?
    };
    assert_eq!(stale, 1, "a stale token's refusal is audited");
    Ok(())
}
