//! The demo clinic the README's one command loads (`medoffice-server demo`): real sample
//! patients, opening and working hours, rooms, a recurring series, and a day whose waiting room
//! follows the clock; a second run adds nothing.

#![allow(clippy::unwrap_used, clippy::panic)]

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Duration, Utc};
use medoffice_e2e::{server_bin_path, Http, System};
use reqwest::Method;
use serde_json::{json, Value};

fn demo(sys: &System) -> anyhow::Result<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/synthea-ma27");
    let out = std::process::Command::new(server_bin_path()?)
        .arg("demo")
        .arg("--dir")
        .arg(dir)
        .env("DATABASE_URL", &sys.database_url)
        .output()?;
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "demo failed: {said}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(said)
}

fn at(v: &Value) -> DateTime<Utc> {
    v.as_str().unwrap().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_clinic_has_hours_rooms_a_series_and_a_day_under_way() -> anyhow::Result<()> {
    let sys = System::start().await?;
    let before = Utc::now();
    let said = demo(&sys)?;
    let after = Utc::now();
    assert!(said.contains("opening hours"), "{said}");
    let http = Http::new(&sys.server.url());
    let (_, login) = http.login("demo", "admin", "demo-password").await?;
    let admin = login["access_token"].as_str().unwrap().to_owned();
    let get = |path: String| {
        let (http, admin) = (&http, &admin);
        async move {
            let (s, v) = http.call(Method::GET, &path, Some(admin), None).await?;
            assert_eq!(s, 200, "{path}: {v}");
            anyhow::Ok(v)
        }
    };

    // a US clinic writes dates month first, on a 12-hour clock, weeks from Sunday; its admin
    // can change that, and every sign-in carries it
    let clinic = get("/api/v1/tenant".into()).await?;
    assert_eq!(
        (
            &clinic["date_order"],
            &clinic["hour_cycle"],
            &clinic["week_start"]
        ),
        (&json!("month_day_year"), &json!("h12"), &json!("sunday")),
        "{clinic}"
    );
    let uk = json!({"date_order": "day_month_year", "hour_cycle": "h23", "week_start": "monday"});
    let (s, changed) = http
        .call(
            Method::PATCH,
            "/api/v1/tenant",
            Some(&admin),
            Some(uk.clone()),
        )
        .await?;
    assert_eq!(s, 200, "{changed}");
    let (_, again) = http.login("demo", "nurse", "demo-password").await?;
    for key in ["date_order", "hour_cycle", "week_start"] {
        assert_eq!(changed[key], uk[key], "{changed}");
        assert_eq!(again["user"]["tenant"][key], uk[key], "{again}");
    }
    let (s, refused) = http
        .call(
            Method::PATCH,
            "/api/v1/tenant",
            Some(&admin),
            Some(json!({"date_order": "day_first"})),
        )
        .await?;
    assert_eq!(s, 422, "{refused}");
    let (s, nurse_try) = http
        .call(
            Method::PATCH,
            "/api/v1/tenant",
            Some(again["access_token"].as_str().unwrap()),
            Some(json!({"date_order": "month_day_year"})),
        )
        .await?;
    assert_eq!(s, 403, "{nurse_try}");
    assert_eq!(
        get("/api/v1/tenant".into()).await?["date_order"],
        uk["date_order"]
    );

    // the clinic's week: closed on Sunday
    let hours = get("/api/v1/availability".into()).await?;
    let clinic = hours["availability"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["provider_id"].is_null())
        .unwrap_or_else(|| panic!("no clinic hours: {hours}"));
    let days: Vec<&str> = clinic["available_time"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["day_of_week"].as_str().unwrap())
        .collect();
    assert!(days.contains(&"sat") && !days.contains(&"sun"), "{clinic}");
    let rooms = get("/api/v1/rooms".into()).await?;
    assert_eq!(rooms.as_array().unwrap().len(), 3, "{rooms}");

    // one recurring series: the weekly blood-pressure check, one patient, same weekday and time
    let all = get(format!(
        "/api/v1/appointments?from={}&to={}",
        (before - Duration::days(1)).format("%Y-%m-%dT%H:%M:%SZ"),
        (before + Duration::days(70)).format("%Y-%m-%dT%H:%M:%SZ")
    ))
    .await?;
    let mut series: BTreeMap<String, Vec<&Value>> = BTreeMap::new();
    for a in all["data"].as_array().unwrap() {
        if let Some(id) = a["series_id"].as_str() {
            series.entry(id.to_owned()).or_default().push(a);
        }
    }
    assert_eq!(series.len(), 1, "{series:?}");
    let visits = series.values().next().unwrap();
    assert!((2..=6).contains(&visits.len()), "{visits:?}");
    let tz: chrono_tz::Tz = "America/New_York".parse().unwrap();
    let first = at(&visits[0]["starts_at"]).with_timezone(&tz);
    for v in visits {
        let t = at(&v["starts_at"]).with_timezone(&tz);
        assert_eq!(v["patient_id"], visits[0]["patient_id"]);
        assert_eq!(
            (t.weekday(), t.time()),
            (first.weekday(), first.time()),
            "{v}"
        );
        assert_eq!(
            (t.date_naive() - first.date_naive()).num_days() % 7,
            0,
            "{v}"
        );
    }
    let (s, by_series) = http
        .call(
            Method::GET,
            &format!(
                "/api/v1/appointments?series_id={}",
                series.keys().next().unwrap()
            ),
            Some(&admin),
            None,
        )
        .await?;
    assert_eq!(s, 200);
    assert_eq!(by_series["data"].as_array().unwrap().len(), visits.len());

    // the schedule's day; when it is today, the board follows the clock at the demo's run:
    // what was over is done, what was far off is expected, and someone due within the hour
    // has arrived
    let day = first.date_naive();
    let board = get(format!("/api/v1/flow-board?date={day}")).await?;
    let on_board = board["visits"].as_array().unwrap();
    assert!(on_board.len() >= 8, "{board}");
    if day == before.with_timezone(&tz).date_naive() {
        let mut due_soon = false;
        for v in on_board {
            let a = &v["appointment"];
            let start = at(&a["starts_at"]);
            let end = start + Duration::minutes(a["duration_minutes"].as_i64().unwrap());
            if end <= before {
                assert_eq!(v["state"], "done", "{v}");
            } else if start > after + Duration::minutes(60) {
                assert_eq!(v["state"], "expected", "{v}");
            }
            due_soon |= start > after && start <= before + Duration::minutes(60);
        }
        if due_soon {
            assert!(
                on_board
                    .iter()
                    .any(|v| v["state"] == "waiting" || v["state"] == "in_room"),
                "someone due within the hour has arrived: {board}"
            );
        }
    } else {
        assert!(
            on_board.iter().all(|v| v["state"] == "expected"),
            "a later day is untouched: {board}"
        );
    }

    // a second run adds nothing
    let again = demo(&sys)?;
    assert!(again.contains(": 0 appointments booked"), "{again}");
    let all_again = get(format!(
        "/api/v1/appointments?from={}&to={}",
        (before - Duration::days(1)).format("%Y-%m-%dT%H:%M:%SZ"),
        (before + Duration::days(70)).format("%Y-%m-%dT%H:%M:%SZ")
    ))
    .await?;
    assert_eq!(all_again["data"], all["data"]);

    // a run on a later day finds its slots taken by an earlier run's series (seen here as
    // bookings under other tags): it books around them, never fails on the overlap
    use sqlx::Connection;
    let mut owner = sqlx::PgConnection::connect(&sys.database_url).await?;
    sqlx::query(
        "UPDATE appointments SET source_id = 'earlier-' || source_id WHERE source_id LIKE 'demo:%'",
    )
    .execute(&mut owner)
    .await?;
    let later = demo(&sys)?;
    assert!(
        later.contains(": 0 appointments booked"),
        "every slot was taken: {later}"
    );
    Ok(())
}
