//! Rate limiting per client address of the routes that guess-and-check attacks aim at
//! (`/api/v1/auth/*`, `/api/v1/tenants`), with `tower_governor` (GCRA from `governor`):
//! `auth_rate_per_minute` sustained, `auth_rate_burst` at once. Beyond it: 429 with the usual
//! error body, code `rate_limited`, and `Retry-After` in seconds.
//!
//! The key is the TCP peer address. Behind a reverse proxy every client would share the
//! proxy's address; forwarded headers are not trusted because any client can send them.
//! The account lockout (`lockout_threshold`) is the second line: it holds across addresses.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::response::IntoResponse;
use governor::middleware::NoOpMiddleware;
use tower_governor::governor::{GovernorConfig, GovernorConfigBuilder};
use tower_governor::key_extractor::KeyExtractor;
use tower_governor::{GovernorError, GovernorLayer};

use crate::config::ServeConfig;
use crate::error::AppError;

/// The client's IP address; a request without connect info (an embedding that serves
/// without it) counts under `0.0.0.0` rather than failing.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr;

impl KeyExtractor for ClientAddr {
    type Key = IpAddr;

    fn extract<T>(&self, req: &axum::http::Request<T>) -> Result<Self::Key, GovernorError> {
        Ok(req
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip())
            .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED)))
    }
}

/// The limiter's settings.
pub type Config = GovernorConfig<ClientAddr, NoOpMiddleware>;

/// The limiter of `config` (rate and burst of at least 1).
pub fn config(config: &ServeConfig) -> anyhow::Result<Arc<Config>> {
    let per_minute = u64::from(config.auth_rate_per_minute.max(1));
    let period = Duration::from_nanos((60_000_000_000 / per_minute).max(1));
    GovernorConfigBuilder::default()
        .key_extractor(ClientAddr)
        .period(period)
        .burst_size(config.auth_rate_burst.max(1))
        .finish()
        .map(Arc::new)
        .ok_or_else(|| anyhow::anyhow!("invalid rate limit: {per_minute}/min"))
}

/// The layer to put on the limited routes; 429 answers carry the error body.
pub fn layer(config: Arc<Config>) -> GovernorLayer<ClientAddr, NoOpMiddleware, axum::body::Body> {
    GovernorLayer::new(config).error_handler(|e| match e {
        // the wait is whole seconds rounded down: one more is always enough
        GovernorError::TooManyRequests { wait_time, .. } => {
            AppError::RateLimited(wait_time + 1).into_response()
        }
        other => {
            tracing::warn!(error = %other, "rate limiter failed");
            AppError::Internal(anyhow::anyhow!("rate limiter: {other}")).into_response()
        }
    })
}

/// Forgets addresses that have been quiet long enough to be back at a full burst, once a
/// minute, so the table does not grow with every address ever seen.
pub fn spawn_sweeper(config: Arc<Config>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        loop {
            tick.tick().await;
            config.limiter().retain_recent();
        }
    })
}
