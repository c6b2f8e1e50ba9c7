//! Transport security and request limits: TLS (rustls), the refusal to serve plain HTTP
//! beyond loopback, security headers, CORS, the request time limit, header size limits, the
//! client address behind a TLS proxy, and JSON bodies on every error answer.
//!
//! It owns how bytes reach the router, never what the routes do.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::extract::{ConnectInfo, Request};
use axum::http::{header, HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::set_header::SetResponseHeaderLayer;

use crate::error::AppError;

/// How the server is reached: TLS, proxy, CORS and limits (flattened into `serve`'s flags;
/// each flag also reads the environment variable named).
#[derive(Debug, Clone, clap::Args)]
pub struct TransportConfig {
    /// PEM file of the TLS certificate chain (leaf first). With `--tls-key`, the server
    /// speaks HTTPS and WSS only.
    #[arg(long, env = "MEDOFFICE_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM file of the TLS private key (PKCS#8, PKCS#1 or SEC1).
    #[arg(long, env = "MEDOFFICE_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// A TLS-terminating proxy (nginx, a load balancer) stands in front: plain HTTP is then
    /// allowed on a non-loopback address, HSTS is sent, and the client address of a request
    /// that came through a trusted proxy (`--trusted-proxy`) is taken from the last
    /// `X-Forwarded-For` entry (the one the proxy adds). Only reachable from the proxy: bind to
    /// loopback or a private interface.
    #[arg(long, env = "MEDOFFICE_TLS_TERMINATED_BY_PROXY")]
    pub tls_terminated_by_proxy: bool,
    /// An address or network (`10.0.0.5`, `10.0.0.0/24`) of the proxy whose `X-Forwarded-For`
    /// is believed; repeatable, or comma-separated in the environment. From any other peer the
    /// header is ignored (anyone can send it), so the audit log and the sign-in limits see the
    /// real peer. None given: the loopback addresses (a proxy on the same machine).
    #[arg(
        long = "trusted-proxy",
        env = "MEDOFFICE_TRUSTED_PROXIES",
        value_delimiter = ',',
        value_parser = parse_proxy
    )]
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// A web origin allowed to call the API from a browser (`https://host[:port]`);
    /// repeatable, or comma-separated in the environment. None: no cross-origin access (the
    /// desktop talks to the server from its Rust core, not from its webview).
    #[arg(
        long = "cors-origin",
        env = "MEDOFFICE_CORS_ORIGINS",
        value_delimiter = ','
    )]
    pub cors_origins: Vec<String>,
    /// Longest time a request may take until its answer starts, seconds (503 after). Not
    /// applied to a WebSocket once upgraded, nor to the streaming of an answer's body.
    #[arg(long, env = "MEDOFFICE_REQUEST_TIMEOUT_SECONDS", default_value_t = 30)]
    pub request_timeout_seconds: u64,
    /// Largest request head (request line and headers), bytes; at least 8192. Beyond it an
    /// HTTP/1 request is refused (431, or the connection is closed before the client reads
    /// it), an HTTP/2 stream is reset.
    #[arg(long, env = "MEDOFFICE_MAX_HEADER_BYTES", default_value_t = 16 * 1024)]
    pub max_header_bytes: usize,
}

/// A proxy's address (`10.0.0.5`, one host) or network (`10.0.0.0/24`); an IPv4-mapped IPv6
/// form is read as the IPv4 it maps, as peers are.
pub fn parse_proxy(s: &str) -> Result<ipnet::IpNet, String> {
    let s = s.trim();
    let net = match s.parse::<ipnet::IpNet>() {
        Ok(n) => n,
        Err(_) => s
            .parse::<std::net::IpAddr>()
            .map(ipnet::IpNet::from)
            .map_err(|_| format!("{s:?} is not an address or a network (10.0.0.5, 10.0.0.0/24)"))?,
    };
    Ok(match net {
        ipnet::IpNet::V6(v6) => match v6.addr().to_ipv4_mapped() {
            Some(v4) if v6.prefix_len() >= 96 => {
                ipnet::Ipv4Net::new(v4, v6.prefix_len() - 96).map_or(net, ipnet::IpNet::V4)
            }
            _ => net,
        },
        v4 => v4,
    })
}

impl TransportConfig {
    /// Plain HTTP on loopback, no CORS, the default limits.
    pub fn for_tests() -> Self {
        Self {
            tls_cert: None,
            tls_key: None,
            tls_terminated_by_proxy: false,
            trusted_proxies: Vec::new(),
            cors_origins: Vec::new(),
            request_timeout_seconds: 30,
            max_header_bytes: 16 * 1024,
        }
    }

    /// The proxies whose `X-Forwarded-For` is believed: those configured, or loopback.
    pub fn trusted_proxy_networks(&self) -> Vec<ipnet::IpNet> {
        if self.trusted_proxies.is_empty() {
            ["127.0.0.0/8", "::1/128"]
                .iter()
                .filter_map(|n| n.parse().ok())
                .collect()
        } else {
            self.trusted_proxies.clone()
        }
    }

    /// True when this process speaks TLS itself.
    pub fn serves_tls(&self) -> bool {
        self.tls_cert.is_some() && self.tls_key.is_some()
    }

    /// True when clients reach the server over TLS (its own, or a proxy's).
    pub fn clients_use_tls(&self) -> bool {
        self.serves_tls() || self.tls_terminated_by_proxy
    }

    /// Refuses settings that would expose the API unsafely or cannot work: plain HTTP on a
    /// non-loopback address without a TLS proxy, half a TLS pair, a header limit under 8 KiB,
    /// a malformed or wildcard CORS origin, a zero time limit.
    pub fn check(&self, bind: SocketAddr) -> anyhow::Result<()> {
        if self.tls_cert.is_some() != self.tls_key.is_some() {
            anyhow::bail!(
                "TLS needs both --tls-cert and --tls-key (MEDOFFICE_TLS_CERT, MEDOFFICE_TLS_KEY)"
            );
        }
        if !bind.ip().is_loopback() && !self.clients_use_tls() {
            anyhow::bail!(
                "refusing to serve plain HTTP on {bind}, which is not a loopback address: patient data would cross the network unencrypted. \
                 Give --tls-cert and --tls-key (MEDOFFICE_TLS_CERT, MEDOFFICE_TLS_KEY), or, when a TLS proxy stands in front, \
                 --tls-terminated-by-proxy (MEDOFFICE_TLS_TERMINATED_BY_PROXY=true)"
            );
        }
        if self.max_header_bytes < 8192 {
            anyhow::bail!("--max-header-bytes must be at least 8192");
        }
        if self.request_timeout_seconds == 0 {
            anyhow::bail!("--request-timeout-seconds must be at least 1");
        }
        for o in &self.cors_origins {
            cors_origin(o)?;
        }
        Ok(())
    }
}

/// Checks one `--cors-origin`: `http(s)://host[:port]`, nothing after.
fn cors_origin(o: &str) -> anyhow::Result<HeaderValue> {
    let o = o.trim();
    let rest = o
        .strip_prefix("https://")
        .or_else(|| o.strip_prefix("http://"))
        .with_context(|| format!("--cors-origin {o:?} must start with https:// or http://"))?;
    if rest.is_empty() || rest.contains(['/', '*', ' ', '?', '#']) {
        anyhow::bail!(
            "--cors-origin {o:?} must be an origin like https://clinic.example.org (no path, no wildcard)"
        );
    }
    HeaderValue::from_str(o).with_context(|| format!("--cors-origin {o:?} is not a valid origin"))
}

/// The rustls configuration from PEM files (ring provider, TLS 1.2 and 1.3, ALPN h2 and
/// http/1.1). Errors name the file and what is wrong with it.
pub fn tls_server_config(
    cert: &PathBuf,
    key: &PathBuf,
) -> anyhow::Result<Arc<rustls::ServerConfig>> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs = CertificateDer::pem_file_iter(cert)
        .with_context(|| format!("reading the TLS certificate {}", cert.display()))?
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("{} is not a PEM certificate chain", cert.display()))?;
    if certs.is_empty() {
        anyhow::bail!("{} holds no PEM certificate", cert.display());
    }
    let key = PrivateKeyDer::from_pem_file(key)
        .with_context(|| format!("{} holds no readable PEM private key", key.display()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .context("the TLS certificate and key do not form a usable pair")?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// Wraps the router in the transport layers (outermost first): security headers, CORS
/// (when origins are configured), the client address behind a proxy, JSON error bodies, and
/// the request time limit.
pub fn layers(router: Router, config: &TransportConfig) -> Router {
    let timeout = Duration::from_secs(config.request_timeout_seconds);
    let mut r = router
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            timeout,
        ))
        .layer(axum::middleware::from_fn(json_error_bodies));
    if config.tls_terminated_by_proxy {
        r = r.layer(axum::middleware::from_fn_with_state(
            Arc::new(config.trusted_proxy_networks()),
            forwarded_client_address,
        ));
    }
    let origins: Vec<HeaderValue> = config
        .cors_origins
        .iter()
        .filter_map(|o| cors_origin(o).ok())
        .collect();
    if !origins.is_empty() {
        r = r.layer(
            CorsLayer::new()
                .allow_origin(AllowOrigin::list(origins))
                .allow_methods([Method::GET, Method::POST, Method::PATCH, Method::DELETE])
                .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
                .max_age(Duration::from_secs(600)),
        );
    }
    let fixed: [(HeaderName, &'static str); 5] = [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; frame-ancestors 'none'",
        ),
        // patient data must not linger in caches; nothing this server answers is cacheable
        (header::CACHE_CONTROL, "no-store"),
    ];
    for (name, value) in fixed {
        r = r.layer(SetResponseHeaderLayer::overriding(
            name,
            HeaderValue::from_static(value),
        ));
    }
    if config.clients_use_tls() {
        r = r.layer(SetResponseHeaderLayer::overriding(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        ));
    }
    r
}

/// Behind a TLS proxy the peer is the proxy: the client is the last `X-Forwarded-For` entry
/// (nginx's `$proxy_add_x_forwarded_for` appends the address it saw). Replaces the
/// connection's address for the handlers (audit log, rate limits), only when the peer is one
/// of the `trusted` proxies; anyone else's header is ignored.
async fn forwarded_client_address(
    axum::extract::State(trusted): axum::extract::State<Arc<Vec<ipnet::IpNet>>>,
    mut req: Request,
    next: Next,
) -> Response {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_canonical());
    if !peer.is_some_and(|ip| trusted.iter().any(|n| n.contains(&ip))) {
        return next.run(req).await;
    }
    // the entry the proxy appended is the last one; when it is not an address (`unknown`),
    // the client is not known and the peer stands, never an earlier entry the client wrote
    let forwarded = req
        .headers()
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .next_back()
        .and_then(|s| s.trim().parse::<std::net::IpAddr>().ok());
    if let Some(ip) = forwarded {
        let port = req
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(0, |c| c.0.port());
        req.extensions_mut()
            .insert(ConnectInfo(SocketAddr::new(ip, port)));
    }
    next.run(req).await
}

/// Every answer with status ≥ 400 carries the JSON error body (API.md), also those made by
/// layers and extractors that answer in plain text or not at all (the time limit, a path
/// parameter that does not parse, a plain GET on the WebSocket route).
async fn json_error_bodies(req: Request, next: Next) -> Response {
    let res = next.run(req).await;
    let status = res.status();
    if status.as_u16() < 400 {
        return res;
    }
    let is_json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        // the FHIR routes answer errors as OperationOutcomes, JSON of their own media type
        .is_some_and(|v| {
            v.starts_with("application/json") || v.starts_with("application/fhir+json")
        });
    if is_json {
        return res;
    }
    let (parts, body) = res.into_parts();
    let text = axum::body::to_bytes(body, 2048)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_owned())
        .unwrap_or_default();
    let message = if status == StatusCode::SERVICE_UNAVAILABLE && text.is_empty() {
        "The server took too long to answer; try again.".to_owned()
    } else if status.is_server_error() || text.is_empty() {
        status
            .canonical_reason()
            .unwrap_or("Request failed")
            .to_owned()
    } else {
        text
    };
    let mut body = AppError::BadRequest(message).body();
    body.status = status.as_u16();
    let mut out = (status, axum::Json(body)).into_response();
    // keep what the layer said besides the body (e.g. Allow, WWW-Authenticate)
    for (name, value) in parts.headers.iter() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            out.headers_mut().insert(name.clone(), value.clone());
        }
    }
    out
}

/// Serves `router` on `listener` until the runtime stops: TLS when configured, HTTP/1.1 and
/// HTTP/2, WebSocket upgrades, the header limits and a time limit on reading a request head.
pub async fn serve(
    listener: std::net::TcpListener,
    router: Router,
    config: &TransportConfig,
) -> anyhow::Result<tokio::task::JoinHandle<std::io::Result<()>>> {
    listener.set_nonblocking(true)?;
    let make = router.into_make_service_with_connect_info::<SocketAddr>();
    let head_limit = config.max_header_bytes;
    let head_timeout = Duration::from_secs(config.request_timeout_seconds);
    let tune = |b: &mut hyper_util::server::conn::auto::Builder<hyper_util::rt::TokioExecutor>| {
        b.http1()
            .max_buf_size(head_limit)
            .timer(hyper_util::rt::TokioTimer::new())
            .header_read_timeout(head_timeout);
        b.http2()
            .max_header_list_size(u32::try_from(head_limit).unwrap_or(u32::MAX));
    };
    let task = match (&config.tls_cert, &config.tls_key) {
        (Some(cert), Some(key)) => {
            let tls =
                axum_server::tls_rustls::RustlsConfig::from_config(tls_server_config(cert, key)?);
            let mut server = axum_server::from_tcp_rustls(listener, tls)?;
            tune(server.http_builder());
            tokio::spawn(async move { server.serve(make).await })
        }
        _ => {
            let mut server = axum_server::from_tcp(listener)?;
            tune(server.http_builder());
            tokio::spawn(async move { server.serve(make).await })
        }
    };
    Ok(task)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(s: &str) -> SocketAddr {
        s.parse()
            .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    #[test]
    fn a_trusted_proxy_is_an_address_or_a_network_read_as_peers_are() {
        let net = |s: &str| parse_proxy(s).map(|n| n.to_string());
        assert_eq!(net("10.0.0.5"), Ok("10.0.0.5/32".into()));
        assert_eq!(net(" 10.0.0.0/24 "), Ok("10.0.0.0/24".into()));
        assert_eq!(net("fd00::1"), Ok("fd00::1/128".into()));
        // an IPv4-mapped form matches the IPv4 peers it means
        assert_eq!(net("::ffff:10.0.0.0/104"), Ok("10.0.0.0/8".into()));
        assert_eq!(net("::ffff:10.0.0.5"), Ok("10.0.0.5/32".into()));
        assert!(net("proxy.local").is_err());
        assert!(net("10.0.0.0/33").is_err());
        let peer: std::net::IpAddr = "::ffff:10.0.0.5"
            .parse()
            .unwrap_or(std::net::IpAddr::from([0, 0, 0, 0]));
        let trusted = parse_proxy("10.0.0.0/24").map(|n| n.contains(&peer.to_canonical()));
        assert_eq!(trusted, Ok(true));
    }

    #[test]
    fn plain_http_only_on_loopback_unless_a_proxy_terminates_tls() {
        let mut c = TransportConfig::for_tests();
        assert!(c.check(addr("127.0.0.1:8080")).is_ok());
        assert!(c.check(addr("[::1]:8080")).is_ok());
        assert!(c.check(addr("0.0.0.0:8080")).is_err());
        assert!(c.check(addr("192.168.1.10:8080")).is_err());
        c.tls_terminated_by_proxy = true;
        assert!(c.check(addr("0.0.0.0:8080")).is_ok());
    }

    #[test]
    fn limits_and_origins_are_checked() {
        let mut c = TransportConfig::for_tests();
        c.max_header_bytes = 4096;
        assert!(c.check(addr("127.0.0.1:1")).is_err());
        let mut c = TransportConfig::for_tests();
        c.tls_cert = Some("cert.pem".into());
        assert!(c.check(addr("127.0.0.1:1")).is_err(), "half a TLS pair");
        for bad in [
            "*",
            "clinic.example",
            "https://clinic.example/app",
            "ftp://x",
        ] {
            assert!(cors_origin(bad).is_err(), "{bad}");
        }
        assert!(cors_origin("https://clinic.example:8443").is_ok());
    }
}
