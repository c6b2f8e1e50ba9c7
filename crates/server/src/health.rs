//! `GET /health`: liveness and database reachability, for load balancers and monitoring.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use serde::{Deserialize, Serialize};

use crate::AppState;

/// `GET /health` answer.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Health {
    /// `ok`.
    pub status: String,
    /// `ok` or `unreachable`.
    pub database: String,
    /// Server version.
    pub version: String,
}

/// Liveness and database reachability: 503 with `"database": "unreachable"` when PostgreSQL is down.
#[utoipa::path(get, path = "/health", tag = "health", responses((status = 200, body = Health), (status = 503, body = Health)))]
pub async fn health(State(st): State<AppState>) -> impl IntoResponse {
    let ok = tokio::time::timeout(
        std::time::Duration::from_secs(2),
        sqlx::query("SELECT 1").execute(&st.pool),
    )
    .await
    .is_ok_and(|r| r.is_ok());
    let body = Health {
        status: "ok".into(),
        database: if ok { "ok" } else { "unreachable" }.into(),
        version: env!("CARGO_PKG_VERSION").into(),
    };
    (
        if ok {
            StatusCode::OK
        } else {
            StatusCode::SERVICE_UNAVAILABLE
        },
        Json(body),
    )
}
