//! The clinic's own visit types (issue 12): a clinic starts with none (bookings use the kinds, and
//! its feed stays readable by the previous release), an admin adds its own (a name or code in use
//! refused by field), a booking carries its type, a retired type or another clinic's is refused,
//! and the types reach every workstation.

#![allow(clippy::unwrap_used, clippy::panic)]

use std::time::Duration;

use medoffice_client::view::ConnectionState;
use medoffice_e2e::{new_patient, wait_for, Http, System};
use reqwest::Method;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn visit_types_are_the_clinics_own_and_travel_with_bookings() -> anyhow::Result<()> {
    let sys = System::start().await?;
    sys.clinic("types", "Europe/London").await?;
    sys.clinic("others", "Europe/London").await?;
    let http = Http::new(&sys.server.url());
    let admin = http.token("types", "admin").await?;
    let (s, start) = http
        .call(Method::GET, "/api/v1/visit-types", Some(&admin), None)
        .await?;
    assert_eq!(s, 200);
    assert_eq!(start, json!([]), "none until the clinic adds them");

    let bp = json!({"name": "Weekly BP check", "code": "BP-CHECK", "kind": "vitals_check", "default_minutes": 10, "colour": "teal"});
    let (s, t) = http
        .call(
            Method::POST,
            "/api/v1/visit-types",
            Some(&admin),
            Some(bp.clone()),
        )
        .await?;
    assert_eq!(s, 201, "{t}");
    let (s, body) = http
        .call(Method::POST, "/api/v1/visit-types", Some(&admin), Some(json!({"name": "weekly bp CHECK", "code": "BP2", "kind": "vitals_check", "default_minutes": 10, "colour": "teal"})))
        .await?;
    assert_eq!(s, 409, "{body}");
    assert!(body["errors"]["name"].is_array(), "{body}");
    let (s, body) = http
        .call(Method::POST, "/api/v1/visit-types", Some(&admin), Some(json!({"name": "Another", "code": "BP-CHECK", "kind": "other", "default_minutes": 10, "colour": "rose"})))
        .await?;
    assert_eq!(s, 409, "{body}");
    assert!(body["errors"]["code"].is_array(), "{body}");
    let (s, body) = http
        .call(Method::POST, "/api/v1/visit-types", Some(&admin), Some(json!({"name": "Bad", "code": "bp", "kind": "other", "default_minutes": 2, "colour": "teal"})))
        .await?;
    assert_eq!(s, 422, "{body}");

    // a booking carries its type; another clinic's type, or a retired one, is refused
    let (_, p) = http
        .call(
            Method::POST,
            "/api/v1/patients",
            Some(&admin),
            Some(serde_json::to_value(new_patient("Ada", "Typed"))?),
        )
        .await?;
    let (_, me) = http
        .call(
            Method::GET,
            "/api/v1/auth/me",
            Some(&http.token("types", "nurse").await?),
            None,
        )
        .await?;
    let booking = |at: &str, t: &serde_json::Value| json!({"patient_id": p["id"], "provider_id": me["id"], "starts_at": at, "duration_minutes": 10, "kind": "vitals_check", "visit_type_id": t});
    let (s, a) = http
        .call(
            Method::POST,
            "/api/v1/appointments",
            Some(&admin),
            Some(booking("2031-06-02T09:00:00Z", &t["id"])),
        )
        .await?;
    assert_eq!(s, 201, "{a}");
    assert_eq!(a["visit_type_id"], t["id"]);
    let other_admin = http.token("others", "admin").await?;
    let (_, theirs) = http
        .call(Method::POST, "/api/v1/visit-types", Some(&other_admin), Some(json!({"name": "Theirs", "code": "THEIRS", "kind": "other", "default_minutes": 15, "colour": "rose"})))
        .await?;
    let theirs = json!([theirs]);
    let (s, body) = http
        .call(
            Method::POST,
            "/api/v1/appointments",
            Some(&admin),
            Some(booking("2031-06-02T10:00:00Z", &theirs[0]["id"])),
        )
        .await?;
    assert_eq!(s, 422, "{body}");
    assert_eq!(
        body["errors"]["visit_type_id"][0],
        "no such visit type in this clinic"
    );
    let (s, _) = http
        .call(
            Method::PATCH,
            &format!("/api/v1/visit-types/{}", t["id"].as_str().unwrap()),
            Some(&admin),
            Some(json!({"active": false})),
        )
        .await?;
    assert_eq!(s, 200);
    let (s, body) = http
        .call(
            Method::POST,
            "/api/v1/appointments",
            Some(&admin),
            Some(booking("2031-06-02T11:00:00Z", &t["id"])),
        )
        .await?;
    assert_eq!(s, 422, "{body}");

    // the types reach a workstation, as the server holds them
    let (desk, _d) = sys.workstation("types", "reception").await?;
    wait_for(Duration::from_secs(30), || async {
        desk.status().state == ConnectionState::Online
    })
    .await?;
    let cached = desk.visit_types().await.map_err(anyhow::Error::msg)?;
    assert_eq!(cached.len(), 1);
    assert!(cached.iter().any(|x| x.code == "BP-CHECK" && !x.active));
    assert_eq!(
        sys.server_rows("types", "admin").await?,
        medoffice_e2e::cache_rows(&desk).await?
    );
    Ok(())
}
