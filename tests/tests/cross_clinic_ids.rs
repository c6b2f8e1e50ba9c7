//! Client-chosen ids (issue 15, hardening): every create takes the id a workstation made, and
//! ids are unique across the whole database. An id that another clinic's record holds is hidden
//! from this clinic by row-level security, so the create's idempotency check cannot see it and
//! the insert meets the primary key. That must answer exactly as an id taken in this clinic by
//! another record does (409 on `id`), never a server error, and say nothing of the other clinic;
//! reads and edits of such an id answer as for any unknown id. A sync push of the same takes
//! its place among the refused changes, the rest of the batch applied.

#![allow(clippy::unwrap_used, clippy::panic)]

use medoffice_e2e::{new_patient, Http, System};
use reqwest::Method;
use serde_json::{json, Value};
use uuid::Uuid;

/// A create: what, its path, its body for an id, the id another clinic holds, one held here.
type Case = (&'static str, String, Box<dyn Fn(Uuid) -> Value>, Uuid, Uuid);

/// Status and body without the timestamp.
fn answer(s: u16, mut v: Value) -> (u16, Value) {
    if let Some(o) = v.as_object_mut() {
        o.remove("timestamp");
    }
    (s, v)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_id_another_clinic_holds_answers_like_one_taken_here_never_500() -> anyhow::Result<()> {
    let sys = System::start().await?;
    sys.clinic("alpha", "Europe/London").await?;
    sys.clinic("beta", "Europe/London").await?;
    let http = Http::new(&sys.server.url());
    let a = http.token("alpha", "admin").await?;
    let b = http.token("beta", "admin").await?;
    let call = |token: &str, m: Method, path: String, body: Option<Value>| {
        let (http, token) = (&http, token.to_owned());
        async move {
            let (s, v) = http.call(m, &path, Some(&token), body).await?;
            anyhow::Ok(answer(s, v))
        }
    };
    let id_of = |v: &Value| -> Uuid { serde_json::from_value(v["id"].clone()).unwrap() };
    let me = |token: &str| call(token, Method::GET, "/api/v1/auth/me".into(), None);
    let (doctor_a, doctor_b) = (id_of(&me(&a).await?.1), id_of(&me(&b).await?.1));

    // in each clinic: a patient; in alpha also a vital-sign set, a booking, a room, a visit type
    let patient = |token: &str, given: &'static str| {
        call(
            token,
            Method::POST,
            "/api/v1/patients".into(),
            Some(serde_json::to_value(new_patient(given, "Ids")).unwrap()),
        )
    };
    let pa = id_of(&patient(&a, "Ann").await?.1);
    let pb = id_of(&patient(&b, "Bea").await?.1);
    let vitals = |p: Uuid, id: Option<Uuid>, hr: i32| {
        (
            format!("/api/v1/patients/{p}/vitals"),
            json!({"id": id, "measured_at": "2026-01-01T10:00:00Z", "heart_rate_bpm": hr}),
        )
    };
    let booking = |p: Uuid, doctor: Uuid, id: Option<Uuid>, hour: u32| {
        json!({"id": id, "patient_id": p, "provider_id": doctor,
            "starts_at": format!("2030-01-07T{hour:02}:00:00Z"), "duration_minutes": 15, "kind": "follow_up"})
    };
    let (path, body) = vitals(pa, None, 70);
    let (s, v) = call(&a, Method::POST, path, Some(body)).await?;
    assert_eq!(s, 201, "{v}");
    let (s, ap) = call(
        &a,
        Method::POST,
        "/api/v1/appointments".into(),
        Some(booking(pa, doctor_a, None, 10)),
    )
    .await?;
    assert_eq!(s, 201, "{ap}");
    let (s, room) = call(
        &a,
        Method::POST,
        "/api/v1/rooms".into(),
        Some(json!({"name": "Room 1"})),
    )
    .await?;
    assert_eq!(s, 201, "{room}");
    let visit_type = |id: Option<Uuid>, name: &str| json!({"id": id, "name": name, "code": "BP-CHECK", "kind": "vitals_check", "default_minutes": 15, "colour": "teal"});
    let (s, vt) = call(
        &a,
        Method::POST,
        "/api/v1/visit-types".into(),
        Some(visit_type(None, "BP check")),
    )
    .await?;
    assert_eq!(s, 201, "{vt}");

    // each create in beta with alpha's id, beside the same create with an id beta itself holds
    // for another record: the same answer
    let (s, own_room) = call(
        &b,
        Method::POST,
        "/api/v1/rooms".into(),
        Some(json!({"name": "Own"})),
    )
    .await?;
    assert_eq!(s, 201);
    let (s, own_vt) = call(
        &b,
        Method::POST,
        "/api/v1/visit-types".into(),
        Some(visit_type(None, "Own type")),
    )
    .await?;
    assert_eq!(s, 201);
    let (path, body) = vitals(pb, None, 71);
    let (_, own_v) = call(&b, Method::POST, path, Some(body)).await?;
    let (_, own_ap) = call(
        &b,
        Method::POST,
        "/api/v1/appointments".into(),
        Some(booking(pb, doctor_b, None, 8)),
    )
    .await?;
    let cases: Vec<Case> = vec![
        (
            "patient",
            "/api/v1/patients".into(),
            Box::new(|id| {
                let mut p = serde_json::to_value(new_patient("Cy", "Ids")).unwrap();
                p["id"] = json!(id);
                p
            }),
            pa,
            pb,
        ),
        (
            "vital signs",
            format!("/api/v1/patients/{pb}/vitals"),
            Box::new(
                |id| json!({"id": id, "measured_at": "2026-02-01T10:00:00Z", "heart_rate_bpm": 90}),
            ),
            id_of(&v),
            id_of(&own_v),
        ),
        (
            "appointment",
            "/api/v1/appointments".into(),
            Box::new(move |id| booking(pb, doctor_b, Some(id), 12)),
            id_of(&ap),
            id_of(&own_ap),
        ),
        (
            "room",
            "/api/v1/rooms".into(),
            Box::new(|id| json!({"id": id, "name": "Room 9"})),
            id_of(&room),
            id_of(&own_room),
        ),
        (
            "visit type",
            "/api/v1/visit-types".into(),
            Box::new(move |id| visit_type(Some(id), "Other type")),
            id_of(&vt),
            id_of(&own_vt),
        ),
    ];
    for (what, path, body, theirs, ours) in &cases {
        let elsewhere = call(&b, Method::POST, path.clone(), Some(body(*theirs))).await?;
        let here = call(&b, Method::POST, path.clone(), Some(body(*ours))).await?;
        assert!(elsewhere.0 < 500, "{what}: {elsewhere:?}");
        assert_eq!(elsewhere.0, 409, "{what}: {elsewhere:?}");
        assert_eq!(
            elsewhere, here,
            "{what}: answered unlike an id taken in this clinic"
        );
    }

    // reads and edits: as for any unknown id
    let unknown = Uuid::now_v7();
    for (m, template, body) in [
        (Method::GET, "/api/v1/patients/{}", None),
        (
            Method::PATCH,
            "/api/v1/patients/{}",
            Some(json!({"base_revision": 1, "phone": "+1 617 555 0101"})),
        ),
        (Method::GET, "/api/v1/patients/{}/vitals", None),
    ] {
        let theirs = call(
            &b,
            m.clone(),
            template.replace("{}", &pa.to_string()),
            body.clone(),
        )
        .await?;
        let none = call(
            &b,
            m.clone(),
            template.replace("{}", &unknown.to_string()),
            body,
        )
        .await?;
        assert_eq!(theirs, none, "{m} {template}");
    }
    for (m, path, body) in [
        (
            Method::PATCH,
            format!("/api/v1/appointments/{}", id_of(&ap)),
            json!({"base_revision": 1, "status": "cancelled", "reason": "x"}),
        ),
        (
            Method::PATCH,
            format!("/api/v1/rooms/{}", id_of(&room)),
            json!({"name": "Mine now"}),
        ),
        (
            Method::PUT,
            format!("/api/v1/availability/providers/{doctor_a}"),
            json!({"available_time": []}),
        ),
    ] {
        let (s, r) = call(&b, m.clone(), path.clone(), Some(body)).await?;
        assert_eq!(s, 404, "{m} {path}: {r}");
    }

    // a push: the change holding alpha's id is refused like one holding beta's own, the one
    // beside it applied; nothing of alpha's changed
    let push = |id: Uuid| {
        json!({"mutations": [
            {"mutation_id": Uuid::now_v7(), "entity": "vital_signs", "op": "create", "id": id,
             "data": {"patient_id": pb, "measured_at": "2026-03-01T10:00:00Z", "heart_rate_bpm": 80}},
            {"mutation_id": Uuid::now_v7(), "entity": "vital_signs", "op": "create", "id": Uuid::now_v7(),
             "data": {"patient_id": pb, "measured_at": "2026-03-01T11:00:00Z", "heart_rate_bpm": 81}},
        ]})
    };
    let mut outcomes = Vec::new();
    for id in [id_of(&v), id_of(&own_v)] {
        let (s, r) = call(&b, Method::POST, "/api/v1/sync/push".into(), Some(push(id))).await?;
        assert_eq!(s, 200, "{r}");
        let mut first = r["results"][0].clone();
        first["error"]
            .as_object_mut()
            .map(|e| e.remove("timestamp"));
        first.as_object_mut().map(|o| o.remove("mutation_id"));
        assert_eq!(r["results"][1]["status"], "applied", "{r}");
        outcomes.push(first);
    }
    assert_eq!(outcomes[0]["status"], "rejected", "{outcomes:?}");
    assert_eq!(outcomes[0], outcomes[1]);
    let (_, mine) = call(
        &a,
        Method::GET,
        format!("/api/v1/patients/{pa}/vitals"),
        None,
    )
    .await?;
    assert_eq!(mine["data"].as_array().map(Vec::len), Some(1), "{mine}");
    assert_eq!(mine["data"][0]["heart_rate_bpm"], 70);
    Ok(())
}
