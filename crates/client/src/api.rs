//! The HTTP client of the central server's API ([`ApiClient`], reqwest): login, refresh,
//! logout, feed, push. The account, admin and audit calls add their methods to it in
//! [`crate::account`], [`crate::admin`] and `access`. (This is the workstation's side of the
//! wire; the server's own handlers live in `crates/server`.)
//!
//! Plain `http://` is refused for any server but this computer itself (loopback), unless the
//! workstation allows it ([`Transport::allow_insecure_http`]): passwords, tokens and patient
//! records would cross the network readable. A clinic with its own certificate authority adds
//! its CA certificate ([`Transport::ca_certificate`]), trusted by both the HTTPS client and the
//! WebSocket of the live feed, besides the usual public roots.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use medoffice_model::{
    ChangesPage, ErrorBody, LoginRequest, Mutation, PushRequest, PushResponse, RefreshRequest,
    TokenResponse,
};
use reqwest::StatusCode;
use url::Url;

/// Why a request failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ApiError {
    /// The server could not be reached (or answered garbage): work offline.
    #[error("server unreachable: {0}")]
    Network(String),
    /// The workstation refuses to talk to this server as configured (plain HTTP to another
    /// computer, an unreadable CA certificate): a setting must change, retrying will not help.
    #[error("{0}")]
    Refused(String),
    /// The server answered, but with something this build cannot read (a kind of record or
    /// message a newer server sends): this workstation's app must be updated; retrying as it
    /// is will not help.
    #[error("the server sent something this version of medoffice cannot read ({0}); update this workstation's app")]
    Incompatible(String),
    /// The server answered an error.
    #[error("{}", .body.message)]
    Http {
        /// Status code.
        status: u16,
        /// The error body.
        body: ErrorBody,
    },
}

impl ApiError {
    /// True for 401.
    pub fn is_unauthorized(&self) -> bool {
        matches!(self, ApiError::Http { status: 401, .. })
    }
}

/// How this workstation may reach servers (from [`crate::WorkstationConfig`]).
#[derive(Debug, Clone, Default)]
pub struct Transport {
    /// Allow plain `http://` to a server on another computer (a closed clinic network without
    /// TLS). Loopback (`localhost`, 127.0.0.0/8, ::1) is always allowed.
    pub allow_insecure_http: bool,
    /// A PEM file of extra CA certificates to trust for `https://` and `wss://` (the clinic's
    /// own certificate authority).
    pub ca_certificate: Option<PathBuf>,
}

/// True for `localhost` and loopback addresses: plain HTTP never leaves this computer.
fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// The extra CA certificates of `path`, for reqwest and for rustls.
fn load_ca(
    path: &std::path::Path,
) -> Result<
    (
        Vec<reqwest::Certificate>,
        Vec<rustls::pki_types::CertificateDer<'static>>,
    ),
    ApiError,
> {
    use rustls::pki_types::pem::PemObject;
    let refused = |why: String| {
        ApiError::Refused(format!(
            "the CA certificate {} (ca_certificate, MEDOFFICE_CA_CERT) {why}",
            path.display()
        ))
    };
    let pem = std::fs::read(path).map_err(|e| refused(format!("cannot be read: {e}")))?;
    let der = rustls::pki_types::CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| refused(format!("is not a PEM certificate file: {e}")))?;
    if der.is_empty() {
        return Err(refused("holds no certificate".into()));
    }
    let certs = der
        .iter()
        .map(|d| reqwest::Certificate::from_der(d))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| refused(format!("is not usable: {e}")))?;
    Ok((certs, der))
}

/// A client of one server.
#[derive(Clone)]
pub struct ApiClient {
    http: reqwest::Client,
    base: Url,
    /// TLS settings of the WebSocket when extra CAs are trusted (`None`: the public roots).
    ws_tls: Option<Arc<rustls::ClientConfig>>,
    /// What every answer's `Date` header teaches about the server's time.
    clock: crate::clock::ServerClock,
}

impl ApiClient {
    /// A client of the server at `base` (e.g. `https://clinic.example:8443`), reached as
    /// `transport` allows: [`ApiError::Refused`] for plain HTTP to another computer when not
    /// allowed, or for an unusable CA file, naming the server or the file and the setting.
    pub fn new(base: &str, transport: &Transport) -> Result<Self, ApiError> {
        let base = Url::parse(base.trim_end_matches('/'))
            .map_err(|e| ApiError::Refused(format!("bad server URL: {e}")))?;
        if !matches!(base.scheme(), "http" | "https") {
            return Err(ApiError::Refused(
                "the server URL must start with https:// (or http:// for this computer)".into(),
            ));
        }
        if base.scheme() == "http" && !transport.allow_insecure_http && !is_loopback(&base) {
            return Err(ApiError::Refused(format!(
                "{} is plain http://: passwords and patient records would cross the network \
                 unencrypted. Use https://, or allow plain HTTP on this workstation \
                 (allow_insecure_http; MEDOFFICE_ALLOW_INSECURE_HTTP=1) on a closed network only",
                base.as_str().trim_end_matches('/')
            )));
        }
        let mut builder = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(30));
        let mut ws_tls = None;
        if let Some(path) = &transport.ca_certificate {
            let (certs, der) = load_ca(path)?;
            for c in certs {
                builder = builder.add_root_certificate(c);
            }
            let mut roots = rustls::RootCertStore::empty();
            roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
            for d in der {
                roots.add(d).map_err(|e| {
                    ApiError::Refused(format!(
                        "the CA certificate {} (ca_certificate, MEDOFFICE_CA_CERT) is not usable: {e}",
                        path.display()
                    ))
                })?;
            }
            let config = rustls::ClientConfig::builder_with_provider(Arc::new(
                rustls::crypto::ring::default_provider(),
            ))
            .with_safe_default_protocol_versions()
            .map_err(|e| ApiError::Refused(format!("TLS setup: {e}")))?
            .with_root_certificates(roots)
            .with_no_client_auth();
            ws_tls = Some(Arc::new(config));
        }
        let http = builder
            .build()
            .map_err(|e| ApiError::Refused(format!("HTTP client setup: {e}")))?;
        Ok(Self {
            http,
            base,
            ws_tls,
            clock: crate::clock::ServerClock::default(),
        })
    }

    /// This client, learning the server's time into `clock` (the workstation's, shared by
    /// every client it makes).
    pub fn with_clock(mut self, clock: crate::clock::ServerClock) -> Self {
        self.clock = clock;
        self
    }

    /// The server's clock as learned from this client's answers.
    pub fn clock(&self) -> &crate::clock::ServerClock {
        &self.clock
    }

    /// Sends `req`, learning the server's time from the answer's `Date` header.
    async fn send(
        &self,
        req: reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, reqwest::Error> {
        let sent = chrono::Utc::now();
        let resp = req.send().await?;
        if let Some(date) = resp
            .headers()
            .get(reqwest::header::DATE)
            .and_then(|v| v.to_str().ok())
        {
            self.clock.observe(sent, chrono::Utc::now(), date);
        }
        Ok(resp)
    }

    /// The TLS connector of the WebSocket: the extra CAs when configured, else the default.
    pub fn ws_connector(&self) -> Option<tokio_tungstenite::Connector> {
        self.ws_tls
            .clone()
            .map(tokio_tungstenite::Connector::Rustls)
    }

    /// The server's base URL.
    pub fn base(&self) -> &Url {
        &self.base
    }

    fn url(&self, path: &str) -> Url {
        let mut u = self.base.clone();
        u.set_path(path);
        u
    }

    /// The WebSocket URL of the live change stream.
    pub fn ws_url(&self) -> String {
        let mut u = self.url("/api/v1/sync/ws");
        let scheme = if self.base.scheme() == "https" {
            "wss"
        } else {
            "ws"
        };
        let _ = u.set_scheme(scheme);
        u.to_string()
    }

    async fn decode<T: serde::de::DeserializeOwned>(
        resp: Result<reqwest::Response, reqwest::Error>,
    ) -> Result<T, ApiError> {
        let resp = resp.map_err(|e| ApiError::Network(e.to_string()))?;
        let status = resp.status();
        if status.is_success() {
            let bytes = resp
                .bytes()
                .await
                .map_err(|e| ApiError::Network(format!("the answer broke off: {e}")))?;
            return serde_json::from_slice(&bytes).map_err(|e| match e.classify() {
                // well-formed JSON of a shape this build does not know: a newer server
                serde_json::error::Category::Data => ApiError::Incompatible(e.to_string()),
                // not JSON at all (a proxy's page, a cut answer): the server is not reached
                _ => ApiError::Network(format!("unreadable answer: {e}")),
            });
        }
        Err(Self::error_of(status, resp).await)
    }

    async fn error_of(status: StatusCode, resp: reqwest::Response) -> ApiError {
        let text = resp.text().await.unwrap_or_default();
        let body = serde_json::from_str::<ErrorBody>(&text).unwrap_or_else(|_| ErrorBody {
            message: format!("the server answered {status}"),
            status: status.as_u16(),
            errors: None,
            code: None,
            details: None,
            timestamp: chrono::Utc::now(),
        });
        if status.is_server_error() && status != StatusCode::SERVICE_UNAVAILABLE {
            return ApiError::Http {
                status: status.as_u16(),
                body,
            };
        }
        if status == StatusCode::SERVICE_UNAVAILABLE || status == StatusCode::BAD_GATEWAY {
            return ApiError::Network(body.message);
        }
        ApiError::Http {
            status: status.as_u16(),
            body,
        }
    }

    /// `GET /health`: `Ok(())` when the server and its database answer; a network error
    /// naming the cause otherwise (503: the server is up but cannot reach PostgreSQL).
    pub async fn health(&self) -> Result<(), ApiError> {
        let resp = self
            .send(
                self.http
                    .get(self.url("/health"))
                    .timeout(std::time::Duration::from_secs(5)),
            )
            .await
            .map_err(|e| ApiError::Network(e.to_string()))?;
        match resp.status() {
            s if s.is_success() => Ok(()),
            StatusCode::SERVICE_UNAVAILABLE => Err(ApiError::Network(
                "the server cannot reach its database".into(),
            )),
            s => Err(Self::error_of(s, resp).await),
        }
    }

    /// A request to `path` with the access token (the account, admin and audit calls build on
    /// it; see [`crate::account`]).
    pub(crate) fn authed(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
    ) -> reqwest::RequestBuilder {
        self.http.request(method, self.url(path)).bearer_auth(token)
    }

    /// Sends `req` and reads a JSON answer, or the error body.
    pub(crate) async fn send_json<T: serde::de::DeserializeOwned>(
        &self,
        req: reqwest::RequestBuilder,
    ) -> Result<T, ApiError> {
        Self::decode(self.send(req).await).await
    }

    /// Sends `req` for its status only (204 answers), or the error body.
    pub(crate) async fn send_no_content(
        &self,
        req: reqwest::RequestBuilder,
    ) -> Result<(), ApiError> {
        let resp = self
            .send(req)
            .await
            .map_err(|e| ApiError::Network(e.to_string()))?;
        let status = resp.status();
        if status.is_success() {
            Ok(())
        } else {
            Err(Self::error_of(status, resp).await)
        }
    }

    /// Sends `req` and hands back the successful response itself (to stream a file), or the
    /// error body.
    pub(crate) async fn send_raw(
        &self,
        req: reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, ApiError> {
        let resp = self
            .send(req)
            .await
            .map_err(|e| ApiError::Network(e.to_string()))?;
        let status = resp.status();
        if status.is_success() {
            Ok(resp)
        } else {
            Err(Self::error_of(status, resp).await)
        }
    }

    /// `POST /api/v1/auth/login`.
    pub async fn login(&self, req: &LoginRequest) -> Result<TokenResponse, ApiError> {
        Self::decode(
            self.send(self.http.post(self.url("/api/v1/auth/login")).json(req))
                .await,
        )
        .await
    }

    /// `POST /api/v1/auth/refresh`.
    pub async fn refresh(
        &self,
        refresh_token: &str,
        device_id: &str,
    ) -> Result<TokenResponse, ApiError> {
        let body = RefreshRequest {
            refresh_token: refresh_token.to_owned(),
            device_id: Some(device_id.to_owned()),
        };
        Self::decode(
            self.send(self.http.post(self.url("/api/v1/auth/refresh")).json(&body))
                .await,
        )
        .await
    }

    /// `POST /api/v1/auth/logout`.
    pub async fn logout(&self, refresh_token: &str) -> Result<(), ApiError> {
        let body = RefreshRequest {
            refresh_token: refresh_token.to_owned(),
            device_id: None,
        };
        let resp = self
            .send(self.http.post(self.url("/api/v1/auth/logout")).json(&body))
            .await
            .map_err(|e| ApiError::Network(e.to_string()))?;
        if resp.status().is_success() {
            Ok(())
        } else {
            let status = resp.status();
            Err(Self::error_of(status, resp).await)
        }
    }

    /// `GET /api/v1/sync/changes`.
    pub async fn changes(
        &self,
        token: &str,
        since: i64,
        limit: i64,
    ) -> Result<ChangesPage, ApiError> {
        Ok(self.changes_and_revision(token, since, limit).await?.0)
    }

    /// [`ApiClient::changes`], the clinic's revision the server read the page at (its
    /// `x-clinic-revision` header) and the clinic's feed history (`x-feed-epoch`); each `None`
    /// from a server before it.
    pub async fn changes_and_revision(
        &self,
        token: &str,
        since: i64,
        limit: i64,
    ) -> Result<(ChangesPage, Option<i64>, Option<uuid::Uuid>), ApiError> {
        let req = self
            .http
            .get(self.url("/api/v1/sync/changes"))
            .bearer_auth(token)
            .query(&[("since", since), ("limit", limit)]);
        let resp = self.send(req).await;
        let clinic_revision = resp.as_ref().ok().and_then(|r| {
            r.headers()
                .get(medoffice_model::CLINIC_REVISION_HEADER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse().ok())
        });
        let epoch = resp.as_ref().ok().and_then(|r| {
            r.headers()
                .get(medoffice_model::FEED_EPOCH_HEADER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse().ok())
        });
        Ok((Self::decode(resp).await?, clinic_revision, epoch))
    }

    /// `POST /api/v1/sync/push`.
    pub async fn push(
        &self,
        token: &str,
        mutations: &[Mutation],
    ) -> Result<PushResponse, ApiError> {
        let mutations = mutations.iter().map(Mutation::encode).collect();
        let req = self
            .http
            .post(self.url("/api/v1/sync/push"))
            .bearer_auth(token)
            .json(&PushRequest { mutations });
        Self::decode(self.send(req).await).await
    }
}
