//! medoffice central API server.
//!
//! axum routes over PostgreSQL (sqlx). Every query runs as the role `medoffice_app` inside a
//! transaction scoped to the caller's clinic, so row-level security keeps clinics apart.
//! Changes fan out to workstations over WebSocket from one `LISTEN` per process ([`hub`]).
//! The HTTP contract is API.md; the OpenAPI document is served at `/api/v1/openapi.json`.

pub mod audit;
pub mod audit_chain;
pub mod audit_log;
pub mod auth;
pub mod clinical;
pub mod config;
pub mod db;
pub mod error;
pub mod feed;
pub mod fhir_api;
pub mod health;
pub mod hub;
pub mod import;
pub mod import_fhir;
pub mod legacy;
pub mod lockout;
pub mod metrics;
pub mod plan;
pub mod progress;
pub mod ratelimit;
pub mod signin;
pub mod sync;
pub mod tenants;
pub mod transport;
pub mod twofactor;
pub mod users;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, FromRequest};
use axum::routing::{get, post};
use axum::{Json, Router};
use sqlx::PgPool;
use utoipa::OpenApi;

use clinical::{appointments, availability, patients, rooms, visit_types, vitals};
pub use config::ServeConfig;
use error::AppError;

/// Shared state of the handlers.
#[derive(Clone)]
pub struct AppState {
    /// Pool of `medoffice_app` connections.
    pub pool: PgPool,
    /// Settings.
    pub config: Arc<ServeConfig>,
    /// Token keys.
    pub keys: auth::Keys,
    /// Live change fan-out.
    pub hub: hub::Hub,
    /// Group commit of a clinic's concurrent vital-sign sets.
    pub vitals: clinical::batch::VitalsBatcher,
    /// This process's Prometheus metrics (`/metrics`).
    pub metrics: Arc<metrics::Metrics>,
}

/// A JSON body whose rejections become [`AppError`] (400 malformed, 413 too large, 422 field).
#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(AppError))]
pub struct ApiJson<T>(pub T);

/// The OpenAPI document, generated from the handlers and wire types.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "medoffice central API",
        version = "1",
        description = "See API.md for the behaviour every route shares."
    ),
    paths(
        health::health,
        metrics::scrape,
        signin::login,
        signin::refresh,
        signin::logout,
        signin::me,
        signin::change_password,
        twofactor::setup,
        twofactor::confirm,
        twofactor::disable,
        tenants::register,
        tenants::get_tenant,
        tenants::patch_tenant,
        patients::rest::list_patients,
        patients::rest::create_patient,
        patients::rest::get_patient,
        patients::rest::patch_patient,
        patients::rest::delete_patient,
        vitals::rest::list_vitals,
        vitals::rest::create_vitals,
        vitals::rest::correct_vitals,
        patients::rest::merge_patient,
        appointments::rest::list_appointments,
        appointments::rest::create_appointment,
        appointments::rest::patch_appointment,
        availability::list,
        availability::put_clinic,
        availability::delete_clinic,
        availability::put_provider,
        availability::delete_provider,
        availability::create_block,
        availability::delete_block,
        rooms::list,
        rooms::create,
        rooms::patch,
        rooms::flow_board,
        visit_types::list,
        visit_types::create,
        visit_types::patch,
        users::list_users,
        users::create_user,
        users::patch_user,
        users::reset_password,
        users::reset_totp,
        sync::changes,
        sync::push,
        sync::ws,
        audit_log::list,
        audit_log::export,
        audit_log::report_access,
    ),
    components(schemas(
        medoffice_model::ServerMessage,
        medoffice_model::Change,
        medoffice_model::ApiErrorCode,
        medoffice_model::AuditFilter
    ))
)]
pub struct ApiDoc;

async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

/// Runs each request's handler to its end in a task of its own, even when the client goes
/// away (a workstation killed mid-push, a dropped link). hyper drops a request's future when its
/// connection closes; a handler dropped between `BEGIN` and its end could hand its pooled
/// connection back inside the open transaction, where the next request's `BEGIN` found "a
/// transaction in progress" and answered 500 (seen under the kill test, tests/tests/faults.rs).
/// A push that completes unanswered is sent again and answered from its record: exactly once.
async fn run_to_completion(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    match tokio::spawn(next.run(req)).await {
        Ok(response) => response,
        Err(e) => {
            AppError::Internal(anyhow::anyhow!("the request's task failed: {e}")).into_response()
        }
    }
}

async fn not_found() -> AppError {
    AppError::NotFound("route")
}

async fn method_not_allowed() -> axum::response::Response {
    use axum::response::IntoResponse;
    let mut body = AppError::BadRequest("Method not allowed on this route".into()).body();
    body.status = 405;
    (axum::http::StatusCode::METHOD_NOT_ALLOWED, Json(body)).into_response()
}

/// The application router; `/api/v1/auth/*` and `/api/v1/tenants` are rate-limited per client
/// address by `limiter` ([`ratelimit`]).
pub fn app(state: AppState, limiter: Arc<ratelimit::Config>) -> Router {
    let max_body = state.config.max_body_bytes;
    let transport = state.config.transport.clone();
    let limited = Router::new()
        .route("/api/v1/auth/login", post(signin::login))
        .route("/api/v1/auth/refresh", post(signin::refresh))
        .route("/api/v1/auth/logout", post(signin::logout))
        .route("/api/v1/auth/me", get(signin::me))
        .route("/api/v1/auth/password", post(signin::change_password))
        .route("/api/v1/auth/totp/setup", post(twofactor::setup))
        .route("/api/v1/auth/totp/confirm", post(twofactor::confirm))
        .route("/api/v1/auth/totp/disable", post(twofactor::disable))
        .route("/api/v1/tenants", post(tenants::register))
        .route_layer(ratelimit::layer(limiter));
    let routes = Router::new()
        .merge(limited)
        .route("/health", get(health::health))
        .route("/api/v1/openapi.json", get(openapi))
        .route(
            "/api/v1/tenant",
            get(tenants::get_tenant).patch(tenants::patch_tenant),
        )
        .route(
            "/api/v1/patients",
            get(patients::rest::list_patients).post(patients::rest::create_patient),
        )
        .route(
            "/api/v1/patients/{id}",
            get(patients::rest::get_patient)
                .patch(patients::rest::patch_patient)
                .delete(patients::rest::delete_patient),
        )
        .route(
            "/api/v1/patients/{id}/merge",
            post(patients::rest::merge_patient),
        )
        .route(
            "/api/v1/patients/{id}/vitals",
            get(vitals::rest::list_vitals).post(vitals::rest::create_vitals),
        )
        .route(
            "/api/v1/vitals/{id}/correction",
            post(vitals::rest::correct_vitals),
        )
        .route(
            "/api/v1/appointments",
            get(appointments::rest::list_appointments).post(appointments::rest::create_appointment),
        )
        .route(
            "/api/v1/appointments/{id}",
            axum::routing::patch(appointments::rest::patch_appointment),
        )
        .route("/api/v1/availability", get(availability::list))
        .route(
            "/api/v1/availability/clinic",
            axum::routing::put(availability::put_clinic).delete(availability::delete_clinic),
        )
        .route(
            "/api/v1/availability/providers/{id}",
            axum::routing::put(availability::put_provider).delete(availability::delete_provider),
        )
        .route("/api/v1/schedule-blocks", post(availability::create_block))
        .route(
            "/api/v1/schedule-blocks/{id}",
            axum::routing::delete(availability::delete_block),
        )
        .route("/api/v1/rooms", get(rooms::list).post(rooms::create))
        .route("/api/v1/rooms/{id}", axum::routing::patch(rooms::patch))
        .route("/api/v1/flow-board", get(rooms::flow_board))
        .route(
            "/api/v1/visit-types",
            get(visit_types::list).post(visit_types::create),
        )
        .route(
            "/api/v1/visit-types/{id}",
            axum::routing::patch(visit_types::patch),
        )
        .route(
            "/api/v1/users",
            get(users::list_users).post(users::create_user),
        )
        .route(
            "/api/v1/users/{id}",
            axum::routing::patch(users::patch_user),
        )
        .route(
            "/api/v1/users/{id}/reset-password",
            post(users::reset_password),
        )
        .route("/api/v1/users/{id}/reset-totp", post(users::reset_totp))
        .route("/api/v1/sync/changes", get(sync::changes))
        .route("/api/v1/sync/push", post(sync::push))
        .route("/api/v1/sync/ws", get(sync::ws))
        .route("/api/v1/audit", get(audit_log::list))
        .route("/api/v1/audit/export", get(audit_log::export))
        .route("/api/v1/audit/access", post(audit_log::report_access))
        .route("/metrics", get(metrics::scrape))
        .nest("/fhir/r4", fhir_api::router())
        // every route above, counted and timed by its template
        .route_layer(axum::middleware::from_fn_with_state(
            state.metrics.clone(),
            metrics::track,
        ))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn(run_to_completion))
        .layer(DefaultBodyLimit::max(max_body))
        .layer(axum::middleware::from_fn_with_state(
            state.hub.clone(),
            hub::announce_writes,
        ))
        .with_state(state);
    transport::layers(routes, &transport).layer(tower_http::trace::TraceLayer::new_for_http())
}

/// A running server.
pub struct RunningServer {
    /// Where it listens.
    pub addr: SocketAddr,
    /// The serving task (ends on error).
    pub task: tokio::task::JoinHandle<std::io::Result<()>>,
    /// The change listener task.
    pub listener_task: tokio::task::JoinHandle<()>,
    /// The task that forgets quiet addresses of the rate limiter.
    pub limiter_task: tokio::task::JoinHandle<()>,
    /// The audit chain's sealer ([`audit_chain::spawn_sealer`]).
    pub sealer_task: tokio::task::JoinHandle<()>,
}

/// Checks the settings, connects, migrates nothing, binds `config.bind`, and serves (HTTPS
/// when a certificate is configured) until the runtime stops. Refuses a missing signing key,
/// an unsafe secret file, plain HTTP beyond loopback, and unusable TLS files.
pub async fn start(config: ServeConfig, database_url: &str) -> anyhow::Result<RunningServer> {
    let key = config.signing_key()?;
    let limiter = ratelimit::config(&config)?;
    config.transport.check(config.bind)?;
    config.check_dev_bind()?;
    if let (Some(cert), Some(key)) = (&config.transport.tls_cert, &config.transport.tls_key) {
        // fail before binding, with the file named
        transport::tls_server_config(cert, key)?;
    }
    let pool = db::connect_serving(database_url, 16).await?;
    let hub = hub::Hub::new(pool.clone());
    let listener_task = hub.spawn_listener();
    let metrics = Arc::new(metrics::Metrics::new());
    let sealer_task = audit_chain::spawn_sealer(pool.clone(), metrics.clone());
    let vitals = clinical::batch::VitalsBatcher::new(pool.clone());
    let tcp = std::net::TcpListener::bind(config.bind)?;
    let addr = tcp.local_addr()?;
    let transport = config.transport.clone();
    let state = AppState {
        pool,
        config: Arc::new(config),
        keys: auth::Keys::new(&key),
        hub,
        vitals,
        metrics,
    };
    let limiter_task = ratelimit::spawn_sweeper(limiter.clone());
    let router = app(state, limiter);
    let task = transport::serve(tcp, router, &transport).await?;
    tracing::info!(%addr, tls = transport.serves_tls(), "medoffice server listening");
    Ok(RunningServer {
        addr,
        task,
        listener_task,
        limiter_task,
        sealer_task,
    })
}

#[cfg(test)]
mod openapi_tests {
    use super::ApiDoc;
    use utoipa::OpenApi;

    /// Every `$ref` in the served document names a schema it holds: a type added to a wire
    /// struct (a clinic's date conventions, a patient's identifiers) is described, not dangling.
    #[test]
    fn every_schema_reference_resolves() {
        let doc = serde_json::to_value(ApiDoc::openapi()).expect("serialises");
        let schemas = doc["components"]["schemas"]
            .as_object()
            .expect("components.schemas")
            .clone();
        let mut refs = Vec::new();
        fn walk(v: &serde_json::Value, out: &mut Vec<String>) {
            match v {
                serde_json::Value::Object(m) => {
                    if let Some(serde_json::Value::String(r)) = m.get("$ref") {
                        out.push(r.clone());
                    }
                    m.values().for_each(|x| walk(x, out));
                }
                serde_json::Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
                _ => {}
            }
        }
        walk(&doc, &mut refs);
        assert!(refs.len() > 50, "{} references", refs.len());
        for r in &refs {
            let name = r.trim_start_matches("#/components/schemas/");
            assert!(
                schemas.contains_key(name),
                "{r} is not in components.schemas"
            );
        }
        for name in [
            "DateOrder",
            "HourCycle",
            "WeekStart",
            "PatientIdentifier",
            "IdentifierKind",
            "KinRelationship",
        ] {
            assert!(schemas.contains_key(name), "{name} is not described");
        }
    }
}
