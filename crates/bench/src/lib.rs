//! medoffice benchmarks: a load generator that drives the real server over HTTP and WebSocket
//! with many simulated workstations, and a seeded generator of clinic-sized data sets.
//!
//! Every scenario is a plain async function taking a [`Target`] (where the servers are, which
//! clinic, which password) and its parameters, and answering a [`Report`]: parameters, counts,
//! errors, latency percentiles and throughput, printed as one JSON object per scenario by the
//! `medoffice-load` binary. The end-to-end smoke test calls the same functions with tiny sizes,
//! so the harness cannot rot. Scenarios never judge the figures: benchmarks report, tests check
//! only that the counts are sane (nothing missed, no errors).
//!
//! Everything here refuses non-loopback targets: this is a load generator, and it must not be
//! pointed at someone else's server by a typo.

pub mod generate;
pub mod proxy;
pub mod scenarios;

use std::net::IpAddr;
use std::time::Duration;

use anyhow::{bail, Context};
use serde::Serialize;
use serde_json::Value;

/// Where a scenario runs: the servers (one, or two for the cross-process fan-out), the clinic
/// code and the password of its staff (the generator makes `admin`, `doctor`, `nurse`,
/// `reception` and providers `dr01`…).
#[derive(Debug, Clone)]
pub struct Target {
    /// Base URLs of the server processes, e.g. `http://127.0.0.1:8080`; loopback only.
    pub servers: Vec<String>,
    /// Clinic code typed at login.
    pub tenant: String,
    /// Password of every generated staff member.
    pub password: String,
    /// Owner URL of the database (needed by cold sync to read the server's counts).
    pub database_url: Option<String>,
}

impl Target {
    /// A target after checking every URL is on loopback.
    pub fn new(
        servers: Vec<String>,
        tenant: &str,
        password: &str,
        database_url: Option<String>,
    ) -> anyhow::Result<Self> {
        if servers.is_empty() {
            bail!("no server given");
        }
        for s in &servers {
            ensure_loopback(s)?;
        }
        if let Some(d) = &database_url {
            ensure_loopback(d)?;
        }
        Ok(Self {
            servers,
            tenant: tenant.to_owned(),
            password: password.to_owned(),
            database_url,
        })
    }

    /// The `i`-th server (the last one when there are fewer).
    pub fn server(&self, i: usize) -> &str {
        &self.servers[i.min(self.servers.len() - 1)]
    }
}

/// Refuses any URL whose host is not a loopback address (`localhost`, 127.0.0.0/8, `::1`).
pub fn ensure_loopback(url: &str) -> anyhow::Result<()> {
    let parsed = url::Url::parse(url).with_context(|| format!("not a URL: {url}"))?;
    let host = parsed.host_str().context("URL without a host")?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let ok = host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
    if !ok {
        bail!("refusing a non-loopback target {host:?}: the load generator only drives servers on this machine");
    }
    Ok(())
}

/// Latency percentiles in milliseconds.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Latency {
    /// Number of samples.
    pub count: usize,
    /// Median.
    pub p50_ms: f64,
    /// 95th percentile.
    pub p95_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// Largest.
    pub max_ms: f64,
    /// Mean.
    pub mean_ms: f64,
}

impl Latency {
    /// Percentiles of `samples` (nearest rank).
    pub fn of(samples: &[Duration]) -> Self {
        if samples.is_empty() {
            return Self::default();
        }
        let mut v: Vec<f64> = samples.iter().map(|d| d.as_secs_f64() * 1e3).collect();
        v.sort_by(f64::total_cmp);
        let rank = |q: f64| {
            let i = ((q * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1;
            round3(v[i])
        };
        Self {
            count: v.len(),
            p50_ms: rank(0.50),
            p95_ms: rank(0.95),
            p99_ms: rank(0.99),
            max_ms: round3(v[v.len() - 1]),
            mean_ms: round3(v.iter().sum::<f64>() / v.len() as f64),
        }
    }
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// What one scenario run measured: one JSON object.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Scenario name (`write`, `read`, `propagation`, `cold-sync`, `outbox-drain`, `fanout`).
    pub scenario: String,
    /// The parameters it ran with.
    pub params: Value,
    /// Operations attempted.
    pub operations: u64,
    /// Operations that failed (non-2xx answers, transport errors, refusals).
    pub errors: u64,
    /// Expected deliveries that never arrived (propagation scenarios; 0 elsewhere).
    pub missed: u64,
    /// Wall-clock time of the measured part, seconds.
    pub elapsed_s: f64,
    /// Successful operations (or delivered rows) per second over `elapsed_s`.
    pub throughput_per_s: f64,
    /// Latency of each operation or delivery.
    pub latency: Latency,
    /// Scenario-specific figures (per-operation latencies, cache size, backoff wait, …).
    pub extra: Value,
}

impl Report {
    /// One line for people.
    pub fn summary(&self) -> String {
        format!(
            "{:<13} {:>9} ops {:>4} err {:>4} missed {:>8.1}/s  p50 {:>8.2} ms  p95 {:>8.2} ms  p99 {:>8.2} ms  max {:>8.2} ms  ({:.1} s)  {}",
            self.scenario,
            self.operations,
            self.errors,
            self.missed,
            self.throughput_per_s,
            self.latency.p50_ms,
            self.latency.p95_ms,
            self.latency.p99_ms,
            self.latency.max_ms,
            self.elapsed_s,
            self.params
        )
    }
}

/// Per-second rate, rounded.
pub fn rate(n: u64, elapsed: Duration) -> f64 {
    let s = elapsed.as_secs_f64();
    if s <= 0.0 {
        0.0
    } else {
        (n as f64 / s * 10.0).round() / 10.0
    }
}

/// A minimal HTTP client of the API for load: one keep-alive connection pool per simulated
/// workstation.
#[derive(Clone)]
pub struct ApiConn {
    client: reqwest::Client,
    base: String,
    token: String,
}

impl ApiConn {
    /// Logs `username` in at `base` and keeps the access token.
    pub async fn login(
        base: &str,
        tenant: &str,
        username: &str,
        password: &str,
    ) -> anyhow::Result<Self> {
        ensure_loopback(base)?;
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()?;
        let r = client
            .post(format!("{base}/api/v1/auth/login"))
            .json(
                &serde_json::json!({"tenant": tenant, "username": username, "password": password}),
            )
            .send()
            .await?;
        let status = r.status();
        let body: Value = r.json().await?;
        if !status.is_success() {
            bail!("login {username}@{tenant}: {status} {body}");
        }
        let token = body["access_token"]
            .as_str()
            .context("access_token")?
            .to_owned();
        Ok(Self {
            client,
            base: base.to_owned(),
            token,
        })
    }

    /// The same token on a fresh connection pool (another simulated workstation).
    pub fn fork(&self) -> anyhow::Result<Self> {
        Ok(Self {
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(60))
                .build()?,
            base: self.base.clone(),
            token: self.token.clone(),
        })
    }

    /// The bearer token.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// The base URL.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// GET `path`; answers (status, body).
    pub async fn get(&self, path: &str) -> anyhow::Result<(u16, Value)> {
        let r = self
            .client
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await?;
        let status = r.status().as_u16();
        let bytes = r.bytes().await?;
        Ok((
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        ))
    }

    /// POST a JSON body to `path`; answers (status, body).
    pub async fn post(&self, path: &str, body: &Value) -> anyhow::Result<(u16, Value)> {
        let r = self
            .client
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .json(body)
            .send()
            .await?;
        let status = r.status().as_u16();
        let bytes = r.bytes().await?;
        Ok((
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_targets_are_accepted() {
        assert!(ensure_loopback("http://127.0.0.1:8080").is_ok());
        assert!(ensure_loopback("http://localhost:8080").is_ok());
        assert!(ensure_loopback("http://[::1]:8080").is_ok());
        assert!(ensure_loopback("postgres://postgres@127.0.0.1:5432/x").is_ok());
        assert!(ensure_loopback("http://10.0.0.1:8080").is_err());
        assert!(ensure_loopback("https://example.org").is_err());
    }

    #[test]
    fn percentiles_by_nearest_rank() {
        let v: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        let l = Latency::of(&v);
        assert_eq!(
            (l.p50_ms, l.p95_ms, l.p99_ms, l.max_ms),
            (50.0, 95.0, 99.0, 100.0)
        );
    }
}
