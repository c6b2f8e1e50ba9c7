//! Accounts and sign-in hardening against the real server and PostgreSQL: rate limits per
//! address, lockout, clinic self-registration, plan limits (REST and sync push), staff
//! accounts with temporary passwords, sessions ended at once (tokens and WebSocket), role
//! changes, TOTP with recovery codes, and the clinic's second-factor policy.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use anyhow::Context;
use futures_util::StreamExt;
use medoffice_e2e::{Http, System, TestServer, PASSWORD};
use reqwest::Method;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;
use uuid::Uuid;

const BAD_LOGIN: &str = "Wrong clinic code, username or password";

/// Signs in with an optional second factor; answers (status, body).
async fn login(
    http: &Http,
    tenant: &str,
    username: &str,
    password: &str,
    totp_code: Option<&str>,
) -> anyhow::Result<(u16, Value)> {
    let mut body = json!({"tenant": tenant, "username": username, "password": password});
    if let Some(c) = totp_code {
        body["totp_code"] = json!(c);
    }
    http.call(Method::POST, "/api/v1/auth/login", None, Some(body))
        .await
}

fn access(tokens: &Value) -> String {
    tokens["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

fn new_patient() -> Value {
    json!({"id": Uuid::new_v4(), "given_name": "Ada", "family_name": "Lovelace", "date_of_birth": "1956-12-10", "sex": "female"})
}

/// The TOTP of an enrolment answer, as an authenticator app would hold it.
fn app_totp(setup: &Value) -> anyhow::Result<totp_rs::Totp> {
    let secret =
        totp_rs::Secret::try_from_base32(setup["secret_base32"].as_str().context("secret_base32")?)
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    totp_rs::Builder::new()
        .with_secret(secret.as_bytes().to_vec())
        .build()
        .map_err(|e| anyhow::anyhow!("{e}"))
}

/// The code the app shows `steps_ahead` 30-second steps from now.
fn code(totp: &totp_rs::Totp, steps_ahead: i64) -> String {
    let now = chrono::Utc::now().timestamp() + 30 * steps_ahead;
    totp.generate(u64::try_from(now).unwrap_or_default())
        .to_string()
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Opens the live-change socket with `token` and reads its `hello`.
async fn open_socket(server: &TestServer, token: &str) -> anyhow::Result<Socket> {
    let mut req = format!("ws://{}/api/v1/sync/ws", server.addr).into_client_request()?;
    req.headers_mut()
        .insert("authorization", format!("Bearer {token}").parse()?);
    let (mut ws, _) = tokio_tungstenite::connect_async(req).await?;
    let hello = next_message(&mut ws).await?.context("no hello")?;
    anyhow::ensure!(hello["type"] == "hello", "first message {hello}");
    Ok(ws)
}

/// The next JSON message of a socket; `None` when it closed. Bounded so a broken server
/// fails the test instead of hanging it.
async fn next_message(ws: &mut Socket) -> anyhow::Result<Option<Value>> {
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(30), ws.next())
            .await
            .context("socket stayed silent")?;
        match msg {
            None | Some(Ok(Message::Close(_))) | Some(Err(_)) => return Ok(None),
            Some(Ok(Message::Text(t))) => return Ok(Some(serde_json::from_str(&t)?)),
            Some(Ok(_)) => {}
        }
    }
}

/// Reads until the server says it is closing; answers the reason.
async fn closing_reason(ws: &mut Socket) -> anyhow::Result<Option<String>> {
    while let Some(m) = next_message(ws).await? {
        if m["type"] == "closing" {
            return Ok(m["reason"].as_str().map(str::to_owned));
        }
    }
    Ok(None)
}

/// The audit entries of `action` in `tenant`, as (entity_id, outcome, username).
async fn audit_entries(
    sys: &System,
    tenant: Uuid,
    action: &str,
) -> anyhow::Result<Vec<(Option<Uuid>, String, Option<String>)>> {
    let mut tx = medoffice_server::db::tenant_tx(&sys.pool, tenant).await?;
    let rows = sqlx::query_as(
        "SELECT entity_id, outcome, username FROM audit_log WHERE action = $1 ORDER BY id",
    )
    .bind(action)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(rows)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sign_in_is_rate_limited_per_address_and_other_routes_are_not() -> anyhow::Result<()> {
    let sys = System::start().await?;
    sys.clinic("rates", "UTC").await?;
    let mut config = medoffice_server::ServeConfig::for_tests();
    config.auth_rate_per_minute = 1;
    config.auth_rate_burst = 3;
    let url = sys.database_url.clone();
    let strict =
        tokio::task::spawn_blocking(move || TestServer::start_with(&url, 0, config)).await??;
    let http = Http::new(&strict.url());

    // the burst passes (right or wrong passwords alike), then the address waits
    let (s, tokens) = login(&http, "rates", "nurse", PASSWORD, None).await?;
    assert_eq!(s, 200, "{tokens}");
    let token = access(&tokens);
    assert_eq!(
        login(&http, "rates", "nurse", "wrong password!", None)
            .await?
            .0,
        401
    );
    assert_eq!(
        login(&http, "rates", "doctor", PASSWORD, None).await?.0,
        200
    );
    let r = http
        .client
        .post(format!("{}/api/v1/auth/login", strict.url()))
        .json(&json!({"tenant": "rates", "username": "nurse", "password": PASSWORD}))
        .send()
        .await?;
    assert_eq!(r.status().as_u16(), 429);
    let retry_after: u64 = r
        .headers()
        .get("retry-after")
        .context("Retry-After")?
        .to_str()?
        .parse()?;
    assert!(retry_after >= 1);
    let body: Value = r.json().await?;
    assert_eq!(body["code"], "rate_limited");
    assert_eq!(body["status"], 429);
    assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));
    // registration shares the limit
    let (s, e) = http
        .call(Method::POST, "/api/v1/tenants", None, Some(json!({})))
        .await?;
    assert_eq!((s, e["code"].as_str()), (429, Some("rate_limited")));

    // the same address keeps working on everything else with the token it has
    for _ in 0..5 {
        let (s, _) = http
            .call(Method::GET, "/api/v1/patients", Some(&token), None)
            .await?;
        assert_eq!(s, 200);
    }
    // and another address signs in unhindered
    let other = Http {
        client: reqwest::Client::builder()
            .local_address(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2)))
            .build()?,
        base: strict.url(),
    };
    assert_eq!(
        login(&other, "rates", "nurse", PASSWORD, None).await?.0,
        200
    );
    // the test server of the harness is generous: the suites sign in all day from 127.0.0.1
    let relaxed = Http::new(&sys.server.url());
    for _ in 0..10 {
        assert_eq!(
            login(&relaxed, "rates", "nurse", PASSWORD, None).await?.0,
            200
        );
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn lockout_self_registration_and_plan_limits() -> anyhow::Result<()> {
    let sys = System::start().await?;
    let tenant = sys.clinic("locks", "UTC").await?;
    let http = Http::new(&sys.server.url());

    // lockout: five wrong passwords, then the right one gets the same answer
    for _ in 0..5 {
        let (s, e) = login(&http, "locks", "nurse", "not the password", None).await?;
        assert_eq!((s, e["message"].as_str()), (401, Some(BAD_LOGIN)));
    }
    let (s, e) = login(&http, "locks", "nurse", PASSWORD, None).await?;
    assert_eq!((s, e["message"].as_str()), (401, Some(BAD_LOGIN)), "locked");
    assert!(
        e.get("code").is_none(),
        "a locked account is not told apart"
    );
    let outcomes = audit_entries(&sys, tenant, "auth.login_failed").await?;
    assert_eq!(
        outcomes.iter().filter(|o| o.1 == "locked").count(),
        1,
        "{outcomes:?}"
    );
    // an admin's password reset lifts the lock
    let admin = http.token("locks", "admin").await?;
    let (_, users) = http
        .call(Method::GET, "/api/v1/users", Some(&admin), None)
        .await?;
    let nurse = users["data"]
        .as_array()
        .and_then(|u| u.iter().find(|u| u["username"] == "nurse"))
        .context("nurse")?
        .clone();
    assert!(nurse["locked_until"].is_string(), "{nurse}");
    let (s, reset) = http
        .call(
            Method::POST,
            &format!(
                "/api/v1/users/{}/reset-password",
                nurse["id"].as_str().unwrap_or_default()
            ),
            Some(&admin),
            None,
        )
        .await?;
    assert_eq!(s, 200, "{reset}");
    let temporary = reset["temporary_password"].as_str().context("temporary")?;
    assert_eq!(
        login(&http, "locks", "nurse", temporary, None).await?.0,
        200
    );

    // self-registration is off unless the server allows it
    let clinic = json!({"code": "Hillside", "name": "Hillside Clinic", "time_zone": "Europe/Paris",
        "admin_username": "boss", "admin_full_name": "Bea Boss", "admin_password": "hillside admin pass"});
    let (s, e) = http
        .call(Method::POST, "/api/v1/tenants", None, Some(clinic.clone()))
        .await?;
    assert_eq!(
        (s, e["code"].as_str()),
        (403, Some("self_registration_disabled"))
    );

    let mut config = medoffice_server::ServeConfig::for_tests();
    config.allow_self_registration = true;
    config.default_max_users = medoffice_server::config::PlanLimit(Some(2));
    config.default_max_patients = medoffice_server::config::PlanLimit(Some(1));
    let url = sys.database_url.clone();
    let open =
        tokio::task::spawn_blocking(move || TestServer::start_with(&url, 0, config)).await??;
    let http = Http::new(&open.url());
    // every field is checked
    let (s, e) = http
        .call(
            Method::POST,
            "/api/v1/tenants",
            None,
            Some(
                json!({"code": "-x", "name": " ", "time_zone": "Mars/Olympus",
                "admin_username": "b", "admin_full_name": "", "admin_password": "short"}),
            ),
        )
        .await?;
    assert_eq!(s, 422, "{e}");
    for field in [
        "code",
        "name",
        "time_zone",
        "admin_username",
        "admin_full_name",
        "admin_password",
    ] {
        assert!(e["errors"][field].is_array(), "{field}: {e}");
    }
    let (s, e) = http
        .call(
            Method::POST,
            "/api/v1/tenants",
            None,
            Some(json!({"code": "pwclinic", "name": "P", "time_zone": "UTC",
                "admin_username": "carefulboss", "admin_full_name": "C", "admin_password": "CarefulBoss"})),
        )
        .await?;
    assert_eq!(s, 422);
    assert_eq!(e["errors"]["admin_password"][0], "must not be the username");
    let (s, made) = http
        .call(Method::POST, "/api/v1/tenants", None, Some(clinic.clone()))
        .await?;
    assert_eq!(s, 201, "{made}");
    assert_eq!(made["tenant"]["code"], "hillside");
    assert_eq!(made["tenant"]["time_zone"], "Europe/Paris");
    assert_eq!(made["tenant"]["max_users"], 2);
    assert_eq!(made["tenant"]["max_patients"], 1);
    assert_eq!(made["admin"]["role"], "admin");
    let hillside: Uuid = serde_json::from_value(made["tenant"]["id"].clone())?;
    let (s, e) = http
        .call(Method::POST, "/api/v1/tenants", None, Some(clinic.clone()))
        .await?;
    assert_eq!(s, 409, "{e}");
    assert!(e["errors"]["code"].is_array(), "{e}");
    let registered = audit_entries(&sys, hillside, "tenant.register").await?;
    assert_eq!(registered.len(), 1);
    assert_eq!(registered[0].2.as_deref(), Some("boss"));

    // plan limits: users
    let (s, tokens) = login(&http, "hillside", "boss", "hillside admin pass", None).await?;
    assert_eq!(s, 200, "{tokens}");
    let boss = access(&tokens);
    let (s, first) = http
        .call(
            Method::POST,
            "/api/v1/users",
            Some(&boss),
            Some(json!({"username": "rita", "full_name": "Rita R", "role": "receptionist"})),
        )
        .await?;
    assert_eq!(s, 201, "{first}");
    let (s, e) = http
        .call(
            Method::POST,
            "/api/v1/users",
            Some(&boss),
            Some(json!({"username": "nora", "full_name": "Nora N", "role": "nurse"})),
        )
        .await?;
    assert_eq!((s, e["code"].as_str()), (403, Some("plan_limit")), "{e}");
    assert!(
        e["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("This clinic's plan allows 2 active users")),
        "{e}"
    );
    // a deactivated account frees its place
    let rita = first["user"]["id"].as_str().context("id")?;
    let (s, _) = http
        .call(
            Method::PATCH,
            &format!("/api/v1/users/{rita}"),
            Some(&boss),
            Some(json!({"active": false})),
        )
        .await?;
    assert_eq!(s, 200);
    let (s, _) = http
        .call(
            Method::POST,
            "/api/v1/users",
            Some(&boss),
            Some(json!({"username": "nora", "full_name": "Nora N", "role": "nurse"})),
        )
        .await?;
    assert_eq!(s, 201);
    // and reactivating counts against the plan
    let (s, e) = http
        .call(
            Method::PATCH,
            &format!("/api/v1/users/{rita}"),
            Some(&boss),
            Some(json!({"active": true})),
        )
        .await?;
    assert_eq!((s, e["code"].as_str()), (403, Some("plan_limit")));

    // plan limits: patients, over REST and through the outbox push
    let (s, p) = http
        .call(
            Method::POST,
            "/api/v1/patients",
            Some(&boss),
            Some(new_patient()),
        )
        .await?;
    assert_eq!(s, 201, "{p}");
    let (s, again) = http
        .call(
            Method::POST,
            "/api/v1/patients",
            Some(&boss),
            Some(
                json!({"id": p["id"], "given_name": "Ada", "family_name": "Lovelace",
                "date_of_birth": "1956-12-10", "sex": "female"}),
            ),
        )
        .await?;
    assert_eq!(s, 200, "a replayed create is not a new patient: {again}");
    let (s, e) = http
        .call(
            Method::POST,
            "/api/v1/patients",
            Some(&boss),
            Some(new_patient()),
        )
        .await?;
    assert_eq!((s, e["code"].as_str()), (403, Some("plan_limit")));
    let limit_message = e["message"].as_str().context("message")?.to_owned();
    assert!(limit_message.starts_with("This clinic's plan allows 1 patients"));
    let extra = new_patient();
    let (s, pushed) = http
        .call(
            Method::POST,
            "/api/v1/sync/push",
            Some(&boss),
            Some(json!({"mutations": [
                {"mutation_id": Uuid::new_v4(), "entity": "patient", "op": "create",
                 "id": extra["id"], "data": extra},
                {"mutation_id": Uuid::new_v4(), "entity": "vital_signs", "op": "create",
                 "id": Uuid::new_v4(), "data": {"patient_id": p["id"],
                 "measured_at": chrono::Utc::now(), "heart_rate_bpm": 72}},
            ]})),
        )
        .await?;
    assert_eq!(s, 200, "{pushed}");
    let results = &pushed["results"];
    assert_eq!(results[0]["status"], "rejected", "{pushed}");
    assert_eq!(results[0]["error"]["code"], "plan_limit");
    assert_eq!(results[0]["error"]["message"], limit_message.as_str());
    assert_eq!(results[1]["status"], "applied", "{pushed}");

    // the operator raises the plan
    let mut owner = medoffice_server::db::owner_connection(&sys.database_url).await?;
    let t = medoffice_server::tenants::set_plan(&mut owner, "hillside", None, Some(None)).await?;
    assert_eq!((t.max_users, t.max_patients), (Some(2), None));
    let (s, _) = http
        .call(
            Method::POST,
            "/api/v1/patients",
            Some(&boss),
            Some(new_patient()),
        )
        .await?;
    assert_eq!(s, 201);
    // clinics made by the operator have no limits until one is set
    let (_, me) = Http::new(&sys.server.url())
        .call(Method::GET, "/api/v1/tenant", Some(&admin), None)
        .await?;
    assert_eq!(
        (me["max_users"].clone(), me["code"].clone()),
        (Value::Null, json!("locks"))
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn staff_accounts_and_sessions_that_end_at_once() -> anyhow::Result<()> {
    let sys = System::start().await?;
    let tenant = sys.clinic("staff", "UTC").await?;
    sys.clinic("other", "UTC").await?;
    let http = Http::new(&sys.server.url());
    let admin = http.token("staff", "admin").await?;
    let user_id = |users: &Value, name: &str| -> anyhow::Result<String> {
        Ok(users["data"]
            .as_array()
            .and_then(|u| u.iter().find(|u| u["username"] == name))
            .and_then(|u| u["id"].as_str())
            .with_context(|| format!("no {name}"))?
            .to_owned())
    };
    let (_, users) = http
        .call(Method::GET, "/api/v1/users", Some(&admin), None)
        .await?;

    // only admins manage staff
    let nurse = http.token("staff", "nurse").await?;
    let (s, _) = http
        .call(
            Method::POST,
            "/api/v1/users",
            Some(&nurse),
            Some(json!({"username": "x-user", "full_name": "X", "role": "nurse"})),
        )
        .await?;
    assert_eq!(s, 403);

    // an admin creates an account; the server makes up its temporary password
    let (s, made) = http
        .call(
            Method::POST,
            "/api/v1/users",
            Some(&admin),
            Some(json!({"username": "pat.physician", "full_name": "Pat Physician", "role": "physician"})),
        )
        .await?;
    assert_eq!(s, 201, "{made}");
    assert_eq!(made["user"]["must_change_password"], true);
    let temporary = made["temporary_password"]
        .as_str()
        .context("temporary_password")?
        .to_owned();
    assert!(temporary.len() >= 16, "{temporary}");
    let created = audit_entries(&sys, tenant, "user.create").await?;
    assert_eq!(
        created.last().and_then(|e| e.0).map(|id| id.to_string()),
        made["user"]["id"].as_str().map(str::to_owned)
    );

    // the temporary password signs in to a session that can only change it
    let (s, first) = login(&http, "staff", "pat.physician", &temporary, None).await?;
    assert_eq!(s, 200, "{first}");
    assert_eq!(first["password_change_required"], true);
    let (_, second) = login(&http, "staff", "pat.physician", &temporary, None).await?;
    let limited = access(&first);
    let (s, e) = http
        .call(Method::GET, "/api/v1/patients", Some(&limited), None)
        .await?;
    assert_eq!(
        (s, e["code"].as_str()),
        (403, Some("password_change_required"))
    );
    let (s, e) = http
        .call(Method::GET, "/api/v1/sync/changes", Some(&limited), None)
        .await?;
    assert_eq!(
        (s, e["code"].as_str()),
        (403, Some("password_change_required"))
    );
    let (s, me) = http
        .call(Method::GET, "/api/v1/auth/me", Some(&limited), None)
        .await?;
    assert_eq!((s, me["must_change_password"].as_bool()), (200, Some(true)));
    // each rule of the policy is named
    for (new, rule) in [
        ("short", "must be at least 10 characters"),
        ("Pat.Physician", "must not be the username"),
        (temporary.as_str(), "must differ from the current password"),
    ] {
        let (s, e) = http
            .call(
                Method::POST,
                "/api/v1/auth/password",
                Some(&limited),
                Some(json!({"current_password": temporary, "new_password": new})),
            )
            .await?;
        assert_eq!(s, 422, "{e}");
        assert_eq!(e["errors"]["new_password"][0], rule, "{e}");
    }
    let (s, e) = http
        .call(
            Method::POST,
            "/api/v1/auth/password",
            Some(&limited),
            Some(json!({"current_password": "not it at all", "new_password": "a brand new password"})),
        )
        .await?;
    assert_eq!(s, 422);
    assert!(e["errors"]["current_password"].is_array(), "{e}");
    let (s, changed) = http
        .call(
            Method::POST,
            "/api/v1/auth/password",
            Some(&limited),
            Some(json!({"current_password": temporary, "new_password": "a brand new password"})),
        )
        .await?;
    assert_eq!(s, 200, "{changed}");
    assert_eq!(changed["password_change_required"], false);
    assert_eq!(changed["user"]["must_change_password"], false);
    let full = access(&changed);
    let (s, _) = http
        .call(Method::GET, "/api/v1/patients", Some(&full), None)
        .await?;
    assert_eq!(s, 200);
    // every other session of the user ended: both access tokens, the other refresh token
    for old in [&limited, &access(&second)] {
        let (s, e) = http
            .call(Method::GET, "/api/v1/auth/me", Some(old), None)
            .await?;
        assert_eq!((s, e["code"].as_str()), (401, Some("session_ended")));
    }
    let (s, _) = http
        .call(
            Method::POST,
            "/api/v1/auth/refresh",
            None,
            Some(json!({"refresh_token": second["refresh_token"]})),
        )
        .await?;
    assert_eq!(s, 401);
    assert_eq!(
        login(
            &http,
            "staff",
            "pat.physician",
            "a brand new password",
            None
        )
        .await?
        .0,
        200
    );

    // reset-password: a token valid a moment ago stops working, and its socket closes
    let nurse_id = user_id(&users, "nurse")?;
    let (s, _) = http
        .call(Method::GET, "/api/v1/patients", Some(&nurse), None)
        .await?;
    assert_eq!(s, 200);
    let mut socket = open_socket(&sys.server, &nurse).await?;
    let (s, reset) = http
        .call(
            Method::POST,
            &format!("/api/v1/users/{nurse_id}/reset-password"),
            Some(&admin),
            None,
        )
        .await?;
    assert_eq!(s, 200, "{reset}");
    let (s, e) = http
        .call(Method::GET, "/api/v1/patients", Some(&nurse), None)
        .await?;
    assert_eq!((s, e["code"].as_str()), (401, Some("session_ended")));
    assert_eq!(
        closing_reason(&mut socket).await?.as_deref(),
        Some("session_ended")
    );
    assert!(
        next_message(&mut socket).await?.is_none(),
        "the socket is closed"
    );
    let (s, t) = login(
        &http,
        "staff",
        "nurse",
        reset["temporary_password"].as_str().unwrap_or_default(),
        None,
    )
    .await?;
    assert_eq!(
        (s, t["password_change_required"].as_bool()),
        (200, Some(true))
    );
    assert_eq!(login(&http, "staff", "nurse", PASSWORD, None).await?.0, 401);

    // deactivation: the same, and the account cannot sign in
    let doctor_id = user_id(&users, "doctor")?;
    let (_, doctor_tokens) = login(&http, "staff", "doctor", PASSWORD, None).await?;
    let doctor = access(&doctor_tokens);
    let mut socket = open_socket(&sys.server, &doctor).await?;
    let (s, off) = http
        .call(
            Method::PATCH,
            &format!("/api/v1/users/{doctor_id}"),
            Some(&admin),
            Some(json!({"active": false})),
        )
        .await?;
    assert_eq!((s, off["active"].as_bool()), (200, Some(false)), "{off}");
    let (s, e) = http
        .call(Method::GET, "/api/v1/patients", Some(&doctor), None)
        .await?;
    assert_eq!((s, e["code"].as_str()), (401, Some("session_ended")));
    assert_eq!(
        closing_reason(&mut socket).await?.as_deref(),
        Some("session_ended")
    );
    let (s, e) = login(&http, "staff", "doctor", PASSWORD, None).await?;
    assert_eq!((s, e["message"].as_str()), (401, Some(BAD_LOGIN)));
    let (s, _) = http
        .call(
            Method::POST,
            "/api/v1/auth/refresh",
            None,
            Some(json!({"refresh_token": doctor_tokens["refresh_token"]})),
        )
        .await?;
    assert_eq!(s, 401);
    let (s, _) = http
        .call(
            Method::PATCH,
            &format!("/api/v1/users/{doctor_id}"),
            Some(&admin),
            Some(json!({"active": true})),
        )
        .await?;
    assert_eq!(s, 200);
    assert_eq!(
        login(&http, "staff", "doctor", PASSWORD, None).await?.0,
        200
    );
    assert_eq!(
        audit_entries(&sys, tenant, "user.deactivate").await?.len(),
        1
    );

    // a role change takes effect on the next request and is audited old->new
    let reception_id = user_id(&users, "reception")?;
    let reception = http.token("staff", "reception").await?;
    let (_, p) = http
        .call(
            Method::POST,
            "/api/v1/patients",
            Some(&reception),
            Some(new_patient()),
        )
        .await?;
    let vitals = |token: String| {
        let path = format!(
            "/api/v1/patients/{}/vitals",
            p["id"].as_str().unwrap_or_default()
        );
        let http = &http;
        async move {
            http.call(
                Method::POST,
                &path,
                Some(&token),
                Some(json!({"measured_at": chrono::Utc::now(), "heart_rate_bpm": 70})),
            )
            .await
        }
    };
    assert_eq!(vitals(reception.clone()).await?.0, 403);
    let (s, promoted) = http
        .call(
            Method::PATCH,
            &format!("/api/v1/users/{reception_id}"),
            Some(&admin),
            Some(json!({"role": "nurse", "full_name": "Rex Nurse"})),
        )
        .await?;
    assert_eq!(s, 200, "{promoted}");
    assert_eq!(
        (promoted["role"].as_str(), promoted["full_name"].as_str()),
        (Some("nurse"), Some("Rex Nurse"))
    );
    assert!(promoted["permissions"]
        .as_array()
        .is_some_and(|p| p.contains(&json!("vital_signs_write"))));
    assert_eq!(vitals(reception.clone()).await?.0, 201);
    let changes = audit_entries(&sys, tenant, "user.role_change").await?;
    assert_eq!(changes.len(), 1);
    assert_eq!(
        changes[0].0.map(|u| u.to_string()),
        Some(reception_id.clone())
    );
    assert_eq!(changes[0].1, "receptionist->nurse");
    assert_eq!(changes[0].2.as_deref(), Some("admin"));

    // the last active admin can neither leave nor step down
    let admin_id = user_id(&users, "admin")?;
    for (body, field) in [
        (json!({"active": false}), "active"),
        (json!({"role": "nurse"}), "role"),
    ] {
        let (s, e) = http
            .call(
                Method::PATCH,
                &format!("/api/v1/users/{admin_id}"),
                Some(&admin),
                Some(body),
            )
            .await?;
        assert_eq!(s, 422, "{e}");
        assert!(e["errors"][field].is_array(), "{e}");
    }
    // with a second admin it can
    let (s, _) = http
        .call(
            Method::PATCH,
            &format!("/api/v1/users/{reception_id}"),
            Some(&admin),
            Some(json!({"role": "admin"})),
        )
        .await?;
    assert_eq!(s, 200);
    let (s, e) = http
        .call(
            Method::PATCH,
            &format!("/api/v1/users/{admin_id}"),
            Some(&admin),
            Some(json!({"role": "physician"})),
        )
        .await?;
    assert_eq!(s, 200, "{e}");
    let (s, _) = http
        .call(Method::GET, "/api/v1/users", Some(&admin), None)
        .await?;
    assert_eq!(s, 403, "no longer an admin, at once");

    // another clinic's users are not found
    let other_admin = http.token("other", "admin").await?;
    let (_, others) = http
        .call(Method::GET, "/api/v1/users", Some(&other_admin), None)
        .await?;
    let foreign = user_id(&others, "nurse")?;
    let manager = http.token("staff", "reception").await?;
    for (method, path, body) in [
        (
            Method::PATCH,
            format!("/api/v1/users/{foreign}"),
            Some(json!({"active": false})),
        ),
        (
            Method::POST,
            format!("/api/v1/users/{foreign}/reset-password"),
            None,
        ),
        (
            Method::POST,
            format!("/api/v1/users/{foreign}/reset-totp"),
            None,
        ),
        (
            Method::PATCH,
            format!("/api/v1/users/{}", Uuid::new_v4()),
            Some(json!({})),
        ),
    ] {
        let (s, e) = http.call(method, &path, Some(&manager), body).await?;
        assert_eq!(s, 404, "{path}: {e}");
    }
    assert_eq!(login(&http, "other", "nurse", PASSWORD, None).await?.0, 200);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn totp_enrolment_sign_in_replay_recovery_and_clinic_policy() -> anyhow::Result<()> {
    let sys = System::start().await?;
    let tenant = sys.clinic("totp", "UTC").await?;
    let http = Http::new(&sys.server.url());
    let nurse = http.token("totp", "nurse").await?;

    // enrol: setup hands out a pending secret; a wrong code does not confirm it
    let (s, setup) = http
        .call(Method::POST, "/api/v1/auth/totp/setup", Some(&nurse), None)
        .await?;
    assert_eq!(s, 200, "{setup}");
    let uri = setup["otpauth_uri"].as_str().context("uri")?;
    assert!(uri.starts_with("otpauth://totp/"), "{uri}");
    assert!(uri.contains("issuer=medoffice"), "{uri}");
    let app = app_totp(&setup)?;
    assert_eq!(
        login(&http, "totp", "nurse", PASSWORD, None).await?.0,
        200,
        "pending only"
    );
    let wrong = if code(&app, 0) == "000000" {
        "111111"
    } else {
        "000000"
    };
    let (s, e) = http
        .call(
            Method::POST,
            "/api/v1/auth/totp/confirm",
            Some(&nurse),
            Some(json!({"code": wrong})),
        )
        .await?;
    assert_eq!(s, 422);
    assert!(e["errors"]["code"].is_array(), "{e}");
    let (s, confirmed) = http
        .call(
            Method::POST,
            "/api/v1/auth/totp/confirm",
            Some(&nurse),
            Some(json!({"code": code(&app, 0)})),
        )
        .await?;
    assert_eq!(s, 200, "{confirmed}");
    let recovery: Vec<String> = serde_json::from_value(confirmed["recovery_codes"].clone())?;
    assert_eq!(recovery.len(), 10);
    assert!(recovery
        .iter()
        .all(|c| c.len() == 9 && c.as_bytes()[4] == b'-'));
    let (s, _) = http
        .call(Method::POST, "/api/v1/auth/totp/setup", Some(&nurse), None)
        .await?;
    assert_eq!(s, 409, "on already");

    // sign-in now needs the code
    let (s, e) = login(&http, "totp", "nurse", PASSWORD, None).await?;
    assert_eq!((s, e["code"].as_str()), (401, Some("totp_required")));
    let (s, e) = login(&http, "totp", "nurse", PASSWORD, Some(wrong)).await?;
    assert_eq!((s, e["message"].as_str()), (401, Some(BAD_LOGIN)));
    assert!(e.get("code").is_none());
    let failed: i32 = {
        let mut tx = medoffice_server::db::tenant_tx(&sys.pool, tenant).await?;
        let n = sqlx::query_scalar("SELECT failed_logins FROM users WHERE username = 'nurse'")
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        n
    };
    assert_eq!(failed, 1, "a wrong code counts toward lockout");
    // the wrong password with a right code is the uniform failure too
    let (s, e) = login(
        &http,
        "totp",
        "nurse",
        "not the password",
        Some(&code(&app, 1)),
    )
    .await?;
    assert_eq!((s, e["message"].as_str()), (401, Some(BAD_LOGIN)));
    // the confirming code was spent: the next step's code signs in, once
    let next = code(&app, 1);
    let (s, t) = login(&http, "totp", "nurse", PASSWORD, Some(&next)).await?;
    assert_eq!(s, 200, "{t}");
    assert_eq!(t["user"]["totp_enabled"], true);
    let (s, e) = login(&http, "totp", "nurse", PASSWORD, Some(&next)).await?;
    assert_eq!(
        (s, e["message"].as_str()),
        (401, Some(BAD_LOGIN)),
        "replay refused"
    );
    // a recovery code works once, however it is typed
    let typed = format!(" {} ", recovery[0].to_uppercase());
    assert_eq!(
        login(&http, "totp", "nurse", PASSWORD, Some(&typed))
            .await?
            .0,
        200
    );
    assert_eq!(
        login(&http, "totp", "nurse", PASSWORD, Some(&recovery[0]))
            .await?
            .0,
        401,
        "spent"
    );
    assert_eq!(
        login(&http, "totp", "nurse", PASSWORD, Some(&recovery[1]))
            .await?
            .0,
        200
    );
    let second_factors = audit_entries(&sys, tenant, "auth.second_factor").await?;
    let outcomes: Vec<&str> = second_factors.iter().map(|e| e.1.as_str()).collect();
    assert_eq!(outcomes, ["totp", "recovery_code", "recovery_code"]);

    // turning it off needs the password
    let (s, e) = http
        .call(
            Method::POST,
            "/api/v1/auth/totp/disable",
            Some(&nurse),
            Some(json!({"password": "not the password"})),
        )
        .await?;
    assert_eq!(s, 422);
    assert!(e["errors"]["password"].is_array());
    let (s, _) = http
        .call(
            Method::POST,
            "/api/v1/auth/totp/disable",
            Some(&nurse),
            Some(json!({"password": PASSWORD})),
        )
        .await?;
    assert_eq!(s, 204);
    assert_eq!(login(&http, "totp", "nurse", PASSWORD, None).await?.0, 200);

    // clinic policy: every signed-in user reads it; turning it on needs the admin's own TOTP
    let (s, info) = http
        .call(Method::GET, "/api/v1/tenant", Some(&nurse), None)
        .await?;
    assert_eq!(
        (s, info["require_admin_totp"].as_bool()),
        (200, Some(false))
    );
    let (s, _) = http
        .call(
            Method::PATCH,
            "/api/v1/tenant",
            Some(&nurse),
            Some(json!({"require_admin_totp": true})),
        )
        .await?;
    assert_eq!(s, 403);
    let admin = http.token("totp", "admin").await?;
    let (s, e) = http
        .call(
            Method::PATCH,
            "/api/v1/tenant",
            Some(&admin),
            Some(json!({"require_admin_totp": true, "time_zone": "Nowhere/Else"})),
        )
        .await?;
    assert_eq!(s, 422);
    assert!(e["errors"]["require_admin_totp"].is_array(), "{e}");
    assert!(e["errors"]["time_zone"].is_array(), "{e}");
    let (_, admin_setup) = http
        .call(Method::POST, "/api/v1/auth/totp/setup", Some(&admin), None)
        .await?;
    let admin_app = app_totp(&admin_setup)?;
    let (s, _) = http
        .call(
            Method::POST,
            "/api/v1/auth/totp/confirm",
            Some(&admin),
            Some(json!({"code": code(&admin_app, 0)})),
        )
        .await?;
    assert_eq!(s, 200);
    let (s, info) = http
        .call(
            Method::PATCH,
            "/api/v1/tenant",
            Some(&admin),
            Some(json!({"require_admin_totp": true, "name": "TOTP Clinic"})),
        )
        .await?;
    assert_eq!(s, 200, "{info}");
    assert_eq!(
        (info["require_admin_totp"].as_bool(), info["name"].as_str()),
        (Some(true), Some("TOTP Clinic"))
    );
    let (s, e) = http
        .call(
            Method::POST,
            "/api/v1/auth/totp/disable",
            Some(&admin),
            Some(json!({"password": PASSWORD})),
        )
        .await?;
    assert_eq!(
        (s, e["code"].as_str()),
        (403, Some("totp_required_by_clinic"))
    );

    // a second admin without TOTP is sent to enrolment
    let (s, made) = http
        .call(
            Method::POST,
            "/api/v1/users",
            Some(&admin),
            Some(
                json!({"username": "second.admin", "full_name": "Sec Ond", "role": "admin",
                "temporary_password": "temporary password 1"}),
            ),
        )
        .await?;
    assert_eq!(s, 201, "{made}");
    assert_eq!(made["temporary_password"], "temporary password 1");
    let (_, t) = login(&http, "totp", "second.admin", "temporary password 1", None).await?;
    assert_eq!(
        t["password_change_required"], true,
        "a temporary password first"
    );
    let (s, e) = http
        .call(
            Method::POST,
            "/api/v1/auth/totp/setup",
            Some(&access(&t)),
            None,
        )
        .await?;
    assert_eq!(
        (s, e["code"].as_str()),
        (403, Some("password_change_required"))
    );
    let (s, t) = http
        .call(
            Method::POST,
            "/api/v1/auth/password",
            Some(&access(&t)),
            Some(json!({"current_password": "temporary password 1", "new_password": "second admin's own"})),
        )
        .await?;
    assert_eq!(s, 200, "{t}");
    assert_eq!(
        (
            t["password_change_required"].as_bool(),
            t["totp_enrollment_required"].as_bool()
        ),
        (Some(false), Some(true))
    );
    let (s, t) = login(&http, "totp", "second.admin", "second admin's own", None).await?;
    assert_eq!(
        (s, t["totp_enrollment_required"].as_bool()),
        (200, Some(true))
    );
    let enrolling = access(&t);
    for (method, path) in [
        (Method::GET, "/api/v1/patients"),
        (Method::GET, "/api/v1/users"),
        (Method::GET, "/api/v1/tenant"),
    ] {
        let (s, e) = http.call(method, path, Some(&enrolling), None).await?;
        assert_eq!(
            (s, e["code"].as_str()),
            (403, Some("totp_enrollment_required")),
            "{path}"
        );
    }
    let (s, e) = http
        .call(
            Method::POST,
            "/api/v1/auth/password",
            Some(&enrolling),
            Some(json!({"current_password": "second admin's own", "new_password": "yet another one"})),
        )
        .await?;
    assert_eq!(
        (s, e["code"].as_str()),
        (403, Some("totp_enrollment_required"))
    );
    let (s, _) = http
        .call(Method::GET, "/api/v1/auth/me", Some(&enrolling), None)
        .await?;
    assert_eq!(s, 200);
    let (_, second_setup) = http
        .call(
            Method::POST,
            "/api/v1/auth/totp/setup",
            Some(&enrolling),
            None,
        )
        .await?;
    let second_app = app_totp(&second_setup)?;
    let (s, _) = http
        .call(
            Method::POST,
            "/api/v1/auth/totp/confirm",
            Some(&enrolling),
            Some(json!({"code": code(&second_app, 0)})),
        )
        .await?;
    assert_eq!(s, 200);
    let (s, _) = http
        .call(Method::GET, "/api/v1/patients", Some(&enrolling), None)
        .await?;
    assert_eq!(s, 200, "enrolled: the session is whole");
    let (s, t) = http
        .call(
            Method::POST,
            "/api/v1/auth/refresh",
            None,
            Some(json!({"refresh_token": t["refresh_token"]})),
        )
        .await?;
    assert_eq!(
        (s, t["totp_enrollment_required"].as_bool()),
        (200, Some(false))
    );

    // an admin resets a lost second factor; the clinic sends that admin back to enrolment
    let second_id = made["user"]["id"].as_str().context("id")?;
    let (s, reset) = http
        .call(
            Method::POST,
            &format!("/api/v1/users/{second_id}/reset-totp"),
            Some(&admin),
            None,
        )
        .await?;
    assert_eq!(
        (s, reset["totp_enabled"].as_bool()),
        (200, Some(false)),
        "{reset}"
    );
    let resets = audit_entries(&sys, tenant, "user.totp_reset").await?;
    assert_eq!(resets.len(), 1);
    assert_eq!(
        resets[0].0.map(|u| u.to_string()).as_deref(),
        Some(second_id)
    );
    let (s, t) = login(&http, "totp", "second.admin", "second admin's own", None).await?;
    assert_eq!(
        (s, t["totp_enrollment_required"].as_bool()),
        (200, Some(true))
    );
    // staff other than admins are not asked
    let (s, t) = login(&http, "totp", "doctor", PASSWORD, None).await?;
    assert_eq!(
        (s, t["totp_enrollment_required"].as_bool()),
        (200, Some(false))
    );

    // the OpenAPI document lists the new routes
    let (_, doc) = http
        .call(Method::GET, "/api/v1/openapi.json", None, None)
        .await?;
    for path in [
        "/api/v1/tenants",
        "/api/v1/tenant",
        "/api/v1/auth/password",
        "/api/v1/auth/totp/setup",
        "/api/v1/auth/totp/confirm",
        "/api/v1/auth/totp/disable",
        "/api/v1/users/{id}",
        "/api/v1/users/{id}/reset-password",
        "/api/v1/users/{id}/reset-totp",
    ] {
        assert!(doc["paths"].get(path).is_some(), "OpenAPI lacks {path}");
    }
    assert!(doc["components"]["schemas"].get("ApiErrorCode").is_some());
    Ok(())
}

/// Turning two-factor sign-in off is confirmed with the password, so it is a place to guess
/// passwords with a stolen access token: each wrong password counts toward the lockout like a
/// failed sign-in, and a locked account cannot turn it off, even with the right password.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn totp_disable_counts_toward_and_honours_lockout() -> anyhow::Result<()> {
    let sys = System::start().await?;
    let tenant = sys.clinic("tlock", "UTC").await?;
    let http = Http::new(&sys.server.url());
    let nurse = http.token("tlock", "nurse").await?;
    let (s, setup) = http
        .call(Method::POST, "/api/v1/auth/totp/setup", Some(&nurse), None)
        .await?;
    assert_eq!(s, 200, "{setup}");
    let app = app_totp(&setup)?;
    let (s, confirmed) = http
        .call(
            Method::POST,
            "/api/v1/auth/totp/confirm",
            Some(&nurse),
            Some(json!({"code": code(&app, 0)})),
        )
        .await?;
    assert_eq!(s, 200, "{confirmed}");
    let state = || async {
        let mut tx = medoffice_server::db::tenant_tx(&sys.pool, tenant).await?;
        let row: (i32, bool, bool) = sqlx::query_as(
            "SELECT failed_logins, locked_until > now() IS TRUE, totp_secret IS NOT NULL \
             FROM users WHERE username = 'nurse'",
        )
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        anyhow::Ok(row)
    };

    // five wrong passwords (the threshold) lock the account
    for n in 1..=5 {
        let (s, e) = http
            .call(
                Method::POST,
                "/api/v1/auth/totp/disable",
                Some(&nurse),
                Some(json!({"password": "not the password"})),
            )
            .await?;
        assert_eq!(s, 422, "{e}");
        assert!(e["errors"]["password"].is_array(), "{e}");
        assert_eq!(state().await?.0, n, "failure {n} counted");
    }
    let (failed, locked, on) = state().await?;
    assert_eq!((failed, locked, on), (5, true, true));
    // locked: signing in is refused, and so is turning the second factor off with the right
    // password, with the same answer as a wrong one and nothing changed
    let (s, e) = login(&http, "tlock", "nurse", PASSWORD, Some(&code(&app, 1))).await?;
    assert_eq!((s, e["message"].as_str()), (401, Some(BAD_LOGIN)));
    let (s, e) = http
        .call(
            Method::POST,
            "/api/v1/auth/totp/disable",
            Some(&nurse),
            Some(json!({"password": PASSWORD})),
        )
        .await?;
    assert_eq!(s, 422, "refused while locked: {e}");
    assert!(e["errors"]["password"].is_array(), "{e}");
    assert_eq!(state().await?, (5, true, true), "still on, still locked");
    let outcomes: Vec<String> = audit_entries(&sys, tenant, "user.totp_disable")
        .await?
        .into_iter()
        .map(|e| e.1)
        .collect();
    assert_eq!(outcomes, vec!["rejected"; 6], "every refusal audited");
    Ok(())
}
