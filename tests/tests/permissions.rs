//! The permission matrix (`medoffice_model::Role::permissions`) holds on every route, for every
//! role: a role that holds the route's permission gets past the check (no 401/403), one that does
//! not gets 403, and nobody without a token gets further than 401. The table below must name every
//! route of the OpenAPI document, so a new route cannot ship without its line here.

use std::collections::BTreeSet;

use medoffice_e2e::{Http, System};
use medoffice_model::{Permission, Role};
use reqwest::Method;
use serde_json::{json, Value};

/// Who may call a route.
#[derive(Debug, Clone, Copy)]
enum Need {
    /// Anyone, without a token.
    Public,
    /// Any signed-in user of the clinic.
    SignedIn,
    /// A role holding this permission.
    Perm(Permission),
}

/// One route, called with a body that passes validation, so only the permission decides.
struct Case {
    method: Method,
    /// The OpenAPI path template, e.g. `/api/v1/patients/{id}`.
    template: &'static str,
    need: Need,
}

fn case(method: Method, template: &'static str, need: Need) -> Case {
    Case {
        method,
        template,
        need,
    }
}

fn table() -> Vec<Case> {
    use Need::*;
    use Permission::*;
    vec![
        case(Method::GET, "/health", Public),
        case(Method::GET, "/api/v1/openapi.json", Public),
        // no token: reachable from --metrics-allow only (loopback here; tests/tests/metrics.rs)
        case(Method::GET, "/metrics", Public),
        case(Method::POST, "/api/v1/auth/login", Public),
        case(Method::POST, "/api/v1/auth/refresh", Public),
        // authenticated by the refresh token it revokes, so an expired access token can still log out
        case(Method::POST, "/api/v1/auth/logout", Public),
        case(Method::GET, "/api/v1/auth/me", SignedIn),
        case(Method::POST, "/api/v1/auth/password", SignedIn),
        case(Method::POST, "/api/v1/auth/totp/setup", SignedIn),
        case(Method::POST, "/api/v1/auth/totp/confirm", SignedIn),
        case(Method::POST, "/api/v1/auth/totp/disable", SignedIn),
        // clinic self-registration (switched on for this test's server)
        case(Method::POST, "/api/v1/tenants", Public),
        case(Method::GET, "/api/v1/tenant", SignedIn),
        case(Method::PATCH, "/api/v1/tenant", Perm(UserManage)),
        case(Method::GET, "/api/v1/patients", Perm(PatientRead)),
        case(Method::POST, "/api/v1/patients", Perm(PatientWrite)),
        case(Method::GET, "/api/v1/patients/{id}", Perm(PatientRead)),
        case(Method::PATCH, "/api/v1/patients/{id}", Perm(PatientWrite)),
        case(Method::DELETE, "/api/v1/patients/{id}", Perm(PatientDelete)),
        // PatientWrite and VitalSignsWrite: the roles holding the second hold the first
        case(
            Method::POST,
            "/api/v1/patients/{id}/merge",
            Perm(VitalSignsWrite),
        ),
        case(
            Method::GET,
            "/api/v1/patients/{id}/vitals",
            Perm(VitalSignsRead),
        ),
        case(
            Method::POST,
            "/api/v1/patients/{id}/vitals",
            Perm(VitalSignsWrite),
        ),
        // the role's permission; the set is the caller's own where the role may record one
        // (others' sets: the recorder-or-clinician rule, tests/tests/corrections.rs)
        case(
            Method::POST,
            "/api/v1/vitals/{id}/correction",
            Perm(VitalSignsWrite),
        ),
        case(Method::GET, "/api/v1/appointments", Perm(AppointmentRead)),
        case(Method::POST, "/api/v1/appointments", Perm(AppointmentWrite)),
        case(
            Method::PATCH,
            "/api/v1/appointments/{id}",
            Perm(AppointmentWrite),
        ),
        case(Method::GET, "/api/v1/availability", Perm(AppointmentRead)),
        case(
            Method::PUT,
            "/api/v1/availability/clinic",
            Perm(ScheduleManage),
        ),
        case(
            Method::DELETE,
            "/api/v1/availability/clinic",
            Perm(ScheduleManage),
        ),
        case(
            Method::PUT,
            "/api/v1/availability/providers/{id}",
            Perm(ScheduleManage),
        ),
        case(
            Method::DELETE,
            "/api/v1/availability/providers/{id}",
            Perm(ScheduleManage),
        ),
        case(
            Method::POST,
            "/api/v1/schedule-blocks",
            Perm(ScheduleManage),
        ),
        case(
            Method::DELETE,
            "/api/v1/schedule-blocks/{id}",
            Perm(ScheduleManage),
        ),
        case(Method::GET, "/api/v1/rooms", Perm(AppointmentRead)),
        case(Method::POST, "/api/v1/rooms", Perm(ScheduleManage)),
        case(Method::PATCH, "/api/v1/rooms/{id}", Perm(ScheduleManage)),
        case(Method::GET, "/api/v1/flow-board", Perm(AppointmentRead)),
        case(Method::GET, "/api/v1/visit-types", Perm(AppointmentRead)),
        case(Method::POST, "/api/v1/visit-types", Perm(ScheduleManage)),
        case(
            Method::PATCH,
            "/api/v1/visit-types/{id}",
            Perm(ScheduleManage),
        ),
        case(Method::GET, "/api/v1/users", Perm(UserManage)),
        case(Method::POST, "/api/v1/users", Perm(UserManage)),
        case(Method::PATCH, "/api/v1/users/{id}", Perm(UserManage)),
        case(
            Method::POST,
            "/api/v1/users/{id}/reset-password",
            Perm(UserManage),
        ),
        case(
            Method::POST,
            "/api/v1/users/{id}/reset-totp",
            Perm(UserManage),
        ),
        case(Method::GET, "/api/v1/sync/changes", SignedIn),
        case(Method::POST, "/api/v1/sync/push", SignedIn),
        case(Method::GET, "/api/v1/sync/ws", SignedIn),
        case(Method::GET, "/api/v1/audit", Perm(AuditRead)),
        case(Method::GET, "/api/v1/audit/export", Perm(AuditRead)),
        // chart opens read from a workstation's cache, reported for the audit log
        case(Method::POST, "/api/v1/audit/access", Perm(PatientRead)),
    ]
}

/// Fixtures made by the admin, fresh for each call that changes or removes them.
struct Fixtures<'a> {
    http: &'a Http,
    admin: String,
    doctor_id: String,
    n: std::cell::Cell<u32>,
}

impl Fixtures<'_> {
    fn next(&self) -> u32 {
        self.n.set(self.n.get() + 1);
        self.n.get()
    }

    async fn patient(&self) -> anyhow::Result<Value> {
        let n = self.next();
        let (s, p) = self
            .http
            .call(
                Method::POST,
                "/api/v1/patients",
                Some(&self.admin),
                Some(
                    json!({"given_name": format!("Perm{n}"), "family_name": "Matrix",
                    "date_of_birth": "1970-01-01", "sex": "female"}),
                ),
            )
            .await?;
        anyhow::ensure!(s == 201, "fixture patient: {s} {p}");
        Ok(p)
    }

    /// A new staff member's id, made by the admin.
    async fn staff_member(&self) -> anyhow::Result<String> {
        let n = self.next();
        let (s, u) = self
            .http
            .call(
                Method::POST,
                "/api/v1/users",
                Some(&self.admin),
                Some(json!({"username": format!("member{n}"), "full_name": format!("Member {n}"), "role": "receptionist"})),
            )
            .await?;
        anyhow::ensure!(s == 201, "fixture user: {s} {u}");
        Ok(u["user"]["id"].as_str().unwrap_or_default().to_owned())
    }

    /// A block of a new staff member's hour (bookings of the doctor stay bookable).
    async fn block(&self) -> anyhow::Result<Value> {
        let id = self.staff_member().await?;
        let starts = chrono::Utc::now() + chrono::Duration::days(400);
        Ok(
            json!({"provider_id": id, "starts_at": starts, "ends_at": starts + chrono::Duration::hours(1),
                  "kind": "meeting", "reason": "Matrix meeting"}),
        )
    }

    /// A booking body for a slot nobody else holds (each call a different day).
    async fn booking(&self, patient_id: &str) -> Value {
        let n = self.next() as i64;
        let starts = chrono::Utc::now().date_naive() + chrono::Duration::days(30 + n);
        json!({"patient_id": patient_id, "provider_id": self.doctor_id,
               "starts_at": format!("{starts}T15:00:00Z"), "duration_minutes": 15, "kind": "follow_up"})
    }

    /// The path and body for one call of `case`.
    async fn request(&self, case: &Case, login: &Value) -> anyhow::Result<(String, Option<Value>)> {
        let t = case.template;
        Ok(match (case.method.as_str(), t) {
            ("POST", "/api/v1/auth/login") => (
                t.into(),
                Some(
                    json!({"tenant": "perm", "username": "nurse", "password": medoffice_e2e::PASSWORD}),
                ),
            ),
            ("POST", "/api/v1/auth/refresh") => (
                t.into(),
                Some(json!({"refresh_token": login["refresh_token"]})),
            ),
            ("POST", "/api/v1/auth/logout") => (
                t.into(),
                Some(json!({"refresh_token": login["refresh_token"]})),
            ),
            ("POST", "/api/v1/patients") => {
                let n = self.next();
                (
                    t.into(),
                    Some(
                        json!({"given_name": format!("New{n}"), "family_name": "Matrix",
                        "date_of_birth": "1980-02-02", "sex": "male"}),
                    ),
                )
            }
            ("PATCH", "/api/v1/patients/{id}") => {
                let p = self.patient().await?;
                (
                    format!("/api/v1/patients/{}", p["id"].as_str().unwrap_or_default()),
                    Some(json!({"base_revision": p["revision"], "notes": "checked"})),
                )
            }
            ("GET" | "DELETE", "/api/v1/patients/{id}")
            | ("GET", "/api/v1/patients/{id}/vitals") => {
                let p = self.patient().await?;
                (
                    t.replace("{id}", p["id"].as_str().unwrap_or_default()),
                    None,
                )
            }
            ("POST", "/api/v1/patients/{id}/vitals") => {
                let p = self.patient().await?;
                (
                    t.replace("{id}", p["id"].as_str().unwrap_or_default()),
                    Some(json!({"measured_at": chrono::Utc::now(), "heart_rate_bpm": 72})),
                )
            }
            ("POST", "/api/v1/patients/{id}/merge") => {
                let (p, q) = (self.patient().await?, self.patient().await?);
                (
                    t.replace("{id}", p["id"].as_str().unwrap_or_default()),
                    Some(json!({"into": q["id"], "base_revision": q["revision"]})),
                )
            }
            ("POST", "/api/v1/vitals/{id}/correction") => {
                let p = self.patient().await?;
                let pid = p["id"].as_str().unwrap_or_default();
                let set = json!({"measured_at": chrono::Utc::now(), "heart_rate_bpm": 72});
                let own = login["access_token"].as_str().unwrap_or_default();
                let path = format!("/api/v1/patients/{pid}/vitals");
                let (mut s, mut v) = self
                    .http
                    .call(Method::POST, &path, Some(own), Some(set.clone()))
                    .await?;
                if s == 403 {
                    (s, v) = self
                        .http
                        .call(Method::POST, &path, Some(&self.admin), Some(set))
                        .await?;
                }
                anyhow::ensure!(s == 201, "fixture vital signs: {s} {v}");
                (
                    t.replace("{id}", v["id"].as_str().unwrap_or_default()),
                    Some(
                        json!({"patient_id": pid, "status": "entered-in-error", "reason": "matrix"}),
                    ),
                )
            }
            ("POST", "/api/v1/appointments") => {
                let p = self.patient().await?;
                (
                    t.into(),
                    Some(self.booking(p["id"].as_str().unwrap_or_default()).await),
                )
            }
            ("PATCH", "/api/v1/appointments/{id}") => {
                let p = self.patient().await?;
                let body = self.booking(p["id"].as_str().unwrap_or_default()).await;
                let (s, a) = self
                    .http
                    .call(
                        Method::POST,
                        "/api/v1/appointments",
                        Some(&self.admin),
                        Some(body),
                    )
                    .await?;
                anyhow::ensure!(s == 201, "fixture appointment: {s} {a}");
                (
                    t.replace("{id}", a["id"].as_str().unwrap_or_default()),
                    Some(json!({"base_revision": a["revision"], "status": "checked_in"})),
                )
            }
            ("GET", "/api/v1/appointments") => {
                let day = chrono::Utc::now().date_naive();
                (format!("{t}?from={day}T00:00:00Z&to={day}T23:59:59Z"), None)
            }
            ("POST", "/api/v1/users") => {
                let n = self.next();
                (
                    t.into(),
                    Some(
                        json!({"username": format!("staff{n}"), "full_name": format!("Staff Member {n}"),
                        "role": "nurse"}),
                    ),
                )
            }
            (
                "PATCH" | "POST",
                "/api/v1/users/{id}"
                | "/api/v1/users/{id}/reset-password"
                | "/api/v1/users/{id}/reset-totp",
            ) => {
                let id = self.staff_member().await?;
                let body =
                    (case.method == Method::PATCH).then(|| json!({"full_name": "Renamed Member"}));
                (t.replace("{id}", &id), body)
            }
            // the right current password and a new one the policy refuses: past the permission
            // check, and nobody's password changes
            ("POST", "/api/v1/auth/password") => (
                t.into(),
                Some(json!({"current_password": medoffice_e2e::PASSWORD, "new_password": "short"})),
            ),
            ("POST", "/api/v1/auth/totp/setup") => (t.into(), Some(json!({}))),
            ("POST", "/api/v1/auth/totp/confirm") => (t.into(), Some(json!({"code": "000000"}))),
            ("POST", "/api/v1/auth/totp/disable") => {
                (t.into(), Some(json!({"password": medoffice_e2e::PASSWORD})))
            }
            ("POST", "/api/v1/tenants") => {
                let n = self.next();
                (
                    t.into(),
                    Some(
                        json!({"code": format!("self-{n}"), "name": format!("Self Registered {n}"),
                        "time_zone": "Europe/Berlin", "admin_username": "owner",
                        "admin_full_name": "Olga Owner", "admin_password": "a long enough password"}),
                    ),
                )
            }
            // every day, all day: the bookings of this test stay inside the hours
            ("PUT", "/api/v1/availability/clinic" | "/api/v1/availability/providers/{id}") => {
                let week: Vec<Value> = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
                    .iter()
                    .map(|d| json!({"day_of_week": d, "start": "00:00", "end": "24:00"}))
                    .collect();
                let path = if t.contains("{id}") {
                    t.replace("{id}", &self.staff_member().await?)
                } else {
                    t.into()
                };
                (path, Some(json!({ "available_time": week })))
            }
            ("DELETE", "/api/v1/availability/providers/{id}") => {
                (t.replace("{id}", &self.staff_member().await?), None)
            }
            ("POST", "/api/v1/schedule-blocks") => (t.into(), Some(self.block().await?)),
            ("DELETE", "/api/v1/schedule-blocks/{id}") => {
                let body = self.block().await?;
                let (s, b) = self
                    .http
                    .call(
                        Method::POST,
                        "/api/v1/schedule-blocks",
                        Some(&self.admin),
                        Some(body),
                    )
                    .await?;
                anyhow::ensure!(s == 201, "fixture block: {s} {b}");
                (
                    t.replace("{id}", b["id"].as_str().unwrap_or_default()),
                    None,
                )
            }
            ("POST", "/api/v1/rooms") => {
                let n = self.next();
                (t.into(), Some(json!({ "name": format!("Room {n}") })))
            }
            ("PATCH", "/api/v1/rooms/{id}") => {
                let n = self.next();
                let (s, r) = self
                    .http
                    .call(
                        Method::POST,
                        "/api/v1/rooms",
                        Some(&self.admin),
                        Some(json!({ "name": format!("Fixture room {n}") })),
                    )
                    .await?;
                anyhow::ensure!(s == 201, "fixture room: {s} {r}");
                (
                    t.replace("{id}", r["id"].as_str().unwrap_or_default()),
                    Some(json!({ "name": format!("Renamed room {n}") })),
                )
            }
            ("POST", "/api/v1/visit-types") => {
                let n = self.next();
                (
                    t.into(),
                    Some(
                        json!({ "name": format!("Type {n}"), "code": format!("T{n}"), "kind": "other", "default_minutes": 15, "colour": "slate" }),
                    ),
                )
            }
            ("PATCH", "/api/v1/visit-types/{id}") => {
                let n = self.next();
                let (s, v) = self
                    .http
                    .call(
                        Method::POST,
                        "/api/v1/visit-types",
                        Some(&self.admin),
                        Some(json!({ "name": format!("Fixture type {n}"), "code": format!("F{n}"), "kind": "other", "default_minutes": 15, "colour": "slate" })),
                    )
                    .await?;
                anyhow::ensure!(s == 201, "fixture visit type: {s} {v}");
                (
                    t.replace("{id}", v["id"].as_str().unwrap_or_default()),
                    Some(json!({ "default_minutes": 20 })),
                )
            }
            ("PATCH", "/api/v1/tenant") => (t.into(), Some(json!({"name": "Clinic perm"}))),
            ("POST", "/api/v1/audit/access") => (t.into(), Some(json!({"events": []}))),
            ("POST", "/api/v1/sync/push") => (t.into(), Some(json!({"mutations": []}))),
            ("GET", "/api/v1/sync/changes") => (format!("{t}?since=0&limit=5"), None),
            _ => (t.into(), None),
        })
    }
}

/// Status and JSON body (null when the body is not JSON: the WebSocket route answers a plain
/// request that is no upgrade in axum's own words).
async fn call(
    http: &Http,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> anyhow::Result<(u16, Value)> {
    let mut req = http.client.request(method, format!("{}{path}", http.base));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let r = req.send().await?;
    let status = r.status().as_u16();
    Ok((
        status,
        serde_json::from_str(&r.text().await?).unwrap_or(Value::Null),
    ))
}

fn allowed(role: Role, need: Need) -> bool {
    match need {
        Need::Public | Need::SignedIn => true,
        Need::Perm(p) => role.can(p),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_route_enforces_the_permission_matrix_for_every_role() -> anyhow::Result<()> {
    let sys = System::start().await?;
    sys.clinic("perm", "UTC").await?;
    let mut config = medoffice_server::ServeConfig::for_tests();
    config.allow_self_registration = true;
    let url = sys.database_url.clone();
    let server =
        tokio::task::spawn_blocking(move || medoffice_e2e::TestServer::start_with(&url, 0, config))
            .await??;
    let http = Http::new(&server.url());
    let admin = http.token("perm", "admin").await?;
    let (_, users) = http
        .call(Method::GET, "/api/v1/users", Some(&admin), None)
        .await?;
    let doctor_id = users["data"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|u| u["username"] == "doctor")
        .and_then(|u| u["id"].as_str())
        .unwrap_or_default()
        .to_owned();
    anyhow::ensure!(!doctor_id.is_empty(), "doctor in {users}");
    let fx = Fixtures {
        http: &http,
        admin: admin.clone(),
        doctor_id,
        n: 0.into(),
    };

    // the table names every route of the OpenAPI document, and no route it does not have
    let (_, doc) = http
        .call(Method::GET, "/api/v1/openapi.json", None, None)
        .await?;
    let mut documented: BTreeSet<(String, String)> = doc["paths"]
        .as_object()
        .into_iter()
        .flatten()
        .flat_map(|(path, ops)| {
            ops.as_object()
                .into_iter()
                .flatten()
                .map(move |(m, _)| (m.to_uppercase(), path.clone()))
        })
        .collect();
    // the document does not list itself
    documented.insert(("GET".into(), "/api/v1/openapi.json".into()));
    let tabled: BTreeSet<(String, String)> = table()
        .iter()
        .map(|c| (c.method.to_string(), c.template.to_owned()))
        .collect();
    assert_eq!(
        documented, tabled,
        "routes in the OpenAPI document vs this test's table"
    );

    let mut checked = 0;
    for role in Role::ALL {
        let username = match role {
            Role::Admin => "admin",
            Role::Physician => "doctor",
            Role::Nurse => "nurse",
            Role::Receptionist => "reception",
        };
        for case in table() {
            // a fresh login per call: logout and refresh spend the session they are given
            let (s, login) = http
                .login("perm", username, medoffice_e2e::PASSWORD)
                .await?;
            anyhow::ensure!(s == 200, "login {username}: {s} {login}");
            let token = login["access_token"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            let (path, body) = fx.request(&case, &login).await?;
            let what = format!("{} {path} as {username}", case.method);

            let (status, answer) = call(
                &http,
                case.method.clone(),
                &path,
                Some(&token),
                body.clone(),
            )
            .await?;
            if allowed(role, case.need) {
                assert!(
                    !matches!(status, 401 | 403),
                    "{what}: the matrix allows it, the server said {status} {answer}"
                );
                assert!(status < 500, "{what}: {status} {answer}");
            } else {
                assert_eq!(status, 403, "{what}: the matrix forbids it: {answer}");
                assert_eq!(answer["status"], 403, "{what}: JSON error body");
            }
            checked += 1;

            // without a token: only public routes answer anything but 401
            if role == Role::Admin && !matches!(case.need, Need::Public) {
                let (path, body) = fx.request(&case, &login).await?;
                let (status, answer) = call(&http, case.method.clone(), &path, None, body).await?;
                assert_eq!(
                    status, 401,
                    "{} {path} without a token: {answer}",
                    case.method
                );
            }
        }
    }
    assert_eq!(checked, table().len() * Role::ALL.len());

    // a mutation pushed through sync is held to the same matrix: a receptionist cannot
    // record vitals that way either, and the refusal names the permission problem
    let reception = http.token("perm", "reception").await?;
    let p = fx.patient().await?;
    let (s, pushed) = http
        .call(
            Method::POST,
            "/api/v1/sync/push",
            Some(&reception),
            Some(json!({"mutations": [{"mutation_id": uuid::Uuid::new_v4(), "entity": "vital_signs",
                "op": "create", "id": uuid::Uuid::new_v4(),
                "data": {"patient_id": p["id"], "measured_at": chrono::Utc::now(), "heart_rate_bpm": 70}}]})),
        )
        .await?;
    assert_eq!(s, 200, "{pushed}");
    let result = &pushed["results"][0];
    assert_eq!(result["status"], "rejected", "{pushed}");
    assert_eq!(result["error"]["status"], 403, "{pushed}");
    Ok(())
}
