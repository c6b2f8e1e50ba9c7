//! Prometheus metrics of this server process: `GET /metrics` (OpenMetrics text), answered only
//! to the addresses of `--metrics-allow` (loopback by default; 403 otherwise).
//!
//! What is counted: requests by method, route template and status, with a latency histogram per
//! route; the database pool (connections in use, idle, the most allowed); open WebSockets; feed
//! pages pushed over them; pushed mutations by outcome; the audit chain's sealer (entries
//! sealed, failed passes, seconds since it last left nothing behind). Labels hold route
//! templates (`/api/v1/patients/{id}`) and fixed words only: never a path as requested, an id, a
//! patient's data, a user or a clinic, so a scrape tells nothing about who was seen.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

use crate::error::AppError;
use crate::AppState;

/// The labels of a request: method, route template, status code.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    /// HTTP method.
    pub method: String,
    /// The route template that matched (`/api/v1/patients/{id}`), or `unmatched`.
    pub route: String,
    /// Status code of the answer.
    pub status: u16,
}

/// The labels of a latency observation: method and route template.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    /// HTTP method.
    pub method: String,
    /// The route template that matched.
    pub route: String,
}

/// One label: a fixed word (`applied`, `idle`, ...).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct Kind {
    /// The word.
    pub kind: &'static str,
}

/// The metrics of one server process (one per [`AppState`], so servers in one test process
/// keep their own).
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram>,
    pool: Family<Kind, Gauge>,
    /// Open WebSockets of `/api/v1/sync/ws`.
    pub websockets: Gauge,
    /// Feed pages pushed over WebSockets.
    pub feed_pages_pushed: Counter,
    mutations: Family<Kind, Counter>,
    /// Audit entries chained by this process's sealer.
    pub audit_sealed: Counter,
    /// Sealer passes that failed (the database was away).
    pub audit_seal_failures: Counter,
    seal_lag: Gauge<f64, AtomicU64>,
    /// When the sealer last finished a pass with nothing left to seal, Unix milliseconds.
    last_clean_seal_ms: AtomicI64,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// A registry with every metric of the server, prefixed `medoffice_`.
    pub fn new() -> Self {
        let mut root = Registry::default();
        let registry = root.sub_registry_with_prefix("medoffice");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "Requests answered, by method, route template and status",
            requests.clone(),
        );
        let latency = Family::<RouteLabels, Histogram>::new_with_constructor(
            (|| Histogram::new(exponential_buckets(0.001, 2.0, 14))) as fn() -> Histogram,
        );
        registry.register(
            "http_request_duration_seconds",
            "Time to answer a request, by method and route template (1 ms to 8 s)",
            latency.clone(),
        );
        let pool = Family::<Kind, Gauge>::default();
        registry.register(
            "db_pool_connections",
            "Database pool connections: in use, idle, and the most allowed",
            pool.clone(),
        );
        let websockets = Gauge::default();
        registry.register(
            "websockets_open",
            "Open change-notification WebSockets",
            websockets.clone(),
        );
        let feed_pages_pushed = Counter::default();
        registry.register(
            "feed_pages_pushed",
            "Feed pages pushed to workstations over WebSockets",
            feed_pages_pushed.clone(),
        );
        let mutations = Family::<Kind, Counter>::default();
        registry.register(
            "sync_mutations",
            "Mutations pushed by workstations, by outcome (applied, duplicate, conflict, rejected)",
            mutations.clone(),
        );
        let audit_sealed = Counter::default();
        registry.register(
            "audit_entries_sealed",
            "Audit entries chained by this process's sealer",
            audit_sealed.clone(),
        );
        let audit_seal_failures = Counter::default();
        registry.register(
            "audit_seal_failures",
            "Sealer passes that failed",
            audit_seal_failures.clone(),
        );
        let seal_lag = Gauge::<f64, AtomicU64>::default();
        registry.register(
            "audit_seal_lag_seconds",
            "Seconds since the sealer last left no audit entry unchained (about 0.2 when healthy)",
            seal_lag.clone(),
        );
        Self {
            registry: root,
            requests,
            latency,
            pool,
            websockets,
            feed_pages_pushed,
            mutations,
            audit_sealed,
            audit_seal_failures,
            seal_lag,
            last_clean_seal_ms: AtomicI64::new(chrono::Utc::now().timestamp_millis()),
        }
    }

    /// Counts one pushed mutation's outcome.
    pub fn mutation(&self, outcome: &'static str) {
        self.mutations.get_or_create(&Kind { kind: outcome }).inc();
    }

    /// Notes a sealer pass: `sealed` entries chained, and whether it left nothing behind.
    pub fn sealed(&self, sealed: u64, clean: bool) {
        self.audit_sealed.inc_by(sealed);
        if clean {
            self.last_clean_seal_ms
                .store(chrono::Utc::now().timestamp_millis(), Ordering::Relaxed);
        }
    }

    /// The OpenMetrics text, with the pool's and the sealer's gauges read now.
    pub fn render(&self, pool: &sqlx::PgPool) -> String {
        let size = i64::from(pool.size());
        let idle = i64::try_from(pool.num_idle()).unwrap_or(i64::MAX);
        self.pool
            .get_or_create(&Kind { kind: "in_use" })
            .set((size - idle).max(0));
        self.pool.get_or_create(&Kind { kind: "idle" }).set(idle);
        self.pool
            .get_or_create(&Kind { kind: "max" })
            .set(i64::from(pool.options().get_max_connections()));
        let since =
            chrono::Utc::now().timestamp_millis() - self.last_clean_seal_ms.load(Ordering::Relaxed);
        self.seal_lag.set(since.max(0) as f64 / 1000.0);
        let mut out = String::new();
        // writing to a String cannot fail
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

/// Counts and times every request that matched a route (a `route_layer`, so the template is
/// known).
pub async fn track(State(m): State<Arc<Metrics>>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    // the method as sent is the client's to choose: only the ones the API has are labels
    let method = match req.method().as_str() {
        m @ ("GET" | "POST" | "PUT" | "PATCH" | "DELETE" | "HEAD" | "OPTIONS") => m,
        _ => "other",
    }
    .to_owned();
    let start = Instant::now();
    let res = next.run(req).await;
    m.latency
        .get_or_create(&RouteLabels {
            method: method.clone(),
            route: route.clone(),
        })
        .observe(start.elapsed().as_secs_f64());
    m.requests
        .get_or_create(&RequestLabels {
            method,
            route,
            status: res.status().as_u16(),
        })
        .inc();
    res
}

/// The metrics of this process (OpenMetrics text), for the addresses of `--metrics-allow`
/// only; 403 for others. The address is the connection's, or the client a trusted proxy names
/// in `X-Forwarded-For` (`--trusted-proxies`): behind a proxy that is not trusted every caller
/// is the proxy, so scrape the server directly, not through it.
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "OpenMetrics text (Prometheus)", content_type = "application/openmetrics-text", body = String),
              (status = 403, body = medoffice_model::ErrorBody)))]
pub async fn scrape(
    State(st): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
) -> Result<Response, AppError> {
    let ip = peer.ip().to_canonical();
    if !st.config.metrics_allow.iter().any(|n| n.contains(&ip)) {
        return Err(AppError::Forbidden);
    }
    Ok((
        [(
            CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        st.metrics.render(&st.pool),
    )
        .into_response())
}
