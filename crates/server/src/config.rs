//! Server configuration, from the command line or the environment.

use std::net::SocketAddr;

/// Settings of `medoffice-server serve` (each flag also reads the environment variable named).
#[derive(Debug, Clone, clap::Args)]
pub struct ServeConfig {
    /// Address to listen on.
    #[arg(long, env = "MEDOFFICE_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
    /// HMAC key for access tokens (at least 32 bytes). Without it the server refuses to start,
    /// unless `--dev` is given, which uses a fixed development key.
    #[arg(long, env = "MEDOFFICE_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,
    /// A file holding the HMAC key instead (trailing newline ignored). Refused when its
    /// group or others may read it: `chmod 600` it.
    #[arg(long, env = "MEDOFFICE_JWT_SECRET_FILE", conflicts_with = "jwt_secret")]
    pub jwt_secret_file: Option<std::path::PathBuf>,
    /// Development mode: allows the built-in signing key. Never in production.
    #[arg(long, env = "MEDOFFICE_DEV")]
    pub dev: bool,
    /// Lifetime of an access token, minutes.
    #[arg(long, env = "MEDOFFICE_ACCESS_TOKEN_MINUTES", default_value_t = 15)]
    pub access_token_minutes: i64,
    /// Lifetime of a refresh token, days.
    #[arg(long, env = "MEDOFFICE_REFRESH_TOKEN_DAYS", default_value_t = 30)]
    pub refresh_token_days: i64,
    /// Seconds after a refresh during which presenting the spent token again (its answer was
    /// lost) replaces the unused new token instead of revoking the whole session.
    #[arg(
        long,
        env = "MEDOFFICE_REFRESH_REUSE_GRACE_SECONDS",
        default_value_t = 30
    )]
    pub refresh_reuse_grace_seconds: i64,
    /// Largest accepted JSON body, bytes.
    #[arg(long, env = "MEDOFFICE_MAX_BODY_BYTES", default_value_t = 1024 * 1024)]
    pub max_body_bytes: usize,
    /// Consecutive failed logins that lock an account.
    #[arg(long, env = "MEDOFFICE_LOCKOUT_THRESHOLD", default_value_t = 5)]
    pub lockout_threshold: i32,
    /// How long a locked account stays locked, minutes.
    #[arg(long, env = "MEDOFFICE_LOCKOUT_MINUTES", default_value_t = 15)]
    pub lockout_minutes: i64,
    /// Requests a minute one client address may make to `/api/v1/auth/*` and
    /// `/api/v1/tenants` (sustained rate). Generous by default because a clinic's
    /// workstations often share one address.
    #[arg(long, env = "MEDOFFICE_AUTH_RATE_PER_MINUTE", default_value_t = 60)]
    pub auth_rate_per_minute: u32,
    /// How many of those requests one address may make in a burst before the rate applies.
    #[arg(long, env = "MEDOFFICE_AUTH_RATE_BURST", default_value_t = 30)]
    pub auth_rate_burst: u32,
    /// Let anyone register a clinic with `POST /api/v1/tenants` (off: 403
    /// `self_registration_disabled`; clinics are then made with `create-tenant`).
    #[arg(long, env = "MEDOFFICE_ALLOW_SELF_REGISTRATION")]
    pub allow_self_registration: bool,
    /// Active staff accounts a self-registered clinic may have: a number or `unlimited`.
    #[arg(long, env = "MEDOFFICE_DEFAULT_MAX_USERS", default_value = "25")]
    pub default_max_users: PlanLimit,
    /// Patients a self-registered clinic may have: a number or `unlimited`.
    #[arg(long, env = "MEDOFFICE_DEFAULT_MAX_PATIENTS", default_value = "10000")]
    pub default_max_patients: PlanLimit,
    /// TLS, CORS, request limits.
    #[command(flatten)]
    pub transport: crate::transport::TransportConfig,
    /// Addresses (CIDR, comma-separated) that may read `/metrics`; everyone else gets 403.
    /// The connection's address counts, or the client a trusted proxy (`--trusted-proxies`)
    /// names; behind any other proxy every caller is the proxy's address.
    #[arg(
        long,
        env = "MEDOFFICE_METRICS_ALLOW",
        value_delimiter = ',',
        default_value = "127.0.0.1/32,::1/128"
    )]
    pub metrics_allow: Vec<ipnet::IpNet>,
}

/// A plan limit as typed on the command line: a number (at least 1), or `unlimited`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanLimit(pub Option<i32>);

impl std::str::FromStr for PlanLimit {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s.eq_ignore_ascii_case("unlimited") {
            return Ok(PlanLimit(None));
        }
        match s.parse::<i32>() {
            Ok(n) if n >= 1 => Ok(PlanLimit(Some(n))),
            _ => Err(format!(
                "{s:?} is not a limit: give a whole number of at least 1, or `unlimited`"
            )),
        }
    }
}

/// The fixed development key: usable only with `--dev`.
pub const DEV_JWT_SECRET: &str = "medoffice-development-key-do-not-use-in-production";

impl ServeConfig {
    /// The signing key, or an error when none is configured outside development, when both
    /// the key and a key file are given, or when the key file is readable by group or others.
    pub fn signing_key(&self) -> anyhow::Result<Vec<u8>> {
        if let Some(path) = &self.jwt_secret_file {
            if self.jwt_secret.is_some() {
                anyhow::bail!("give MEDOFFICE_JWT_SECRET or MEDOFFICE_JWT_SECRET_FILE, not both");
            }
            let key = read_secret_file(path)?;
            if key.len() < 32 {
                anyhow::bail!("the key in {} must be at least 32 bytes", path.display());
            }
            return Ok(key);
        }
        match (&self.jwt_secret, self.dev) {
            (Some(s), _) if s.len() >= 32 => Ok(s.as_bytes().to_vec()),
            (Some(_), _) => anyhow::bail!("MEDOFFICE_JWT_SECRET must be at least 32 bytes"),
            (None, true) => Ok(DEV_JWT_SECRET.as_bytes().to_vec()),
            (None, false) => anyhow::bail!(
                "no signing key: set MEDOFFICE_JWT_SECRET (32+ bytes) or pass --dev for development"
            ),
        }
    }

    /// Refuses development mode on an address that is not loopback: the development signing
    /// key is public, so anyone who can reach such a server could mint tokens for it.
    pub fn check_dev_bind(&self) -> anyhow::Result<()> {
        if self.dev && !self.bind.ip().is_loopback() {
            anyhow::bail!(
                "refusing --dev (MEDOFFICE_DEV) on {}, which is not a loopback address: development mode signs tokens with a \
                 published key, so anyone who can reach the server could sign in as anyone. Bind to 127.0.0.1 or [::1] \
                 for development, or drop --dev and set MEDOFFICE_JWT_SECRET (or MEDOFFICE_JWT_SECRET_FILE)",
                self.bind
            );
        }
        Ok(())
    }

    /// Defaults for tests and embedding: loopback on an OS-chosen port, development key.
    pub fn for_tests() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            jwt_secret: None,
            dev: true,
            access_token_minutes: 15,
            refresh_token_days: 30,
            refresh_reuse_grace_seconds: 30,
            max_body_bytes: 1024 * 1024,
            lockout_threshold: 5,
            lockout_minutes: 15,
            // the tests sign in hundreds of times from 127.0.0.1; the rate-limit test starts
            // its own server with a small limit
            auth_rate_per_minute: 1_000_000,
            auth_rate_burst: 100_000,
            allow_self_registration: false,
            default_max_users: PlanLimit(Some(25)),
            default_max_patients: PlanLimit(Some(10_000)),
            jwt_secret_file: None,
            transport: crate::transport::TransportConfig::for_tests(),
            metrics_allow: vec![
                ipnet::IpNet::from(std::net::IpAddr::from([127, 0, 0, 1])),
                ipnet::IpNet::from(std::net::IpAddr::from(std::net::Ipv6Addr::LOCALHOST)),
            ],
        }
    }
}

/// Reads a secret from a file that only its owner may read (`mode & 0o077 == 0`), without
/// the trailing newline an editor or `echo` leaves.
pub fn read_secret_file(path: &std::path::Path) -> anyhow::Result<Vec<u8>> {
    use anyhow::Context;
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(path)
        .with_context(|| format!("cannot read the secret file {}", path.display()))?;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        anyhow::bail!(
            "refusing the secret file {}: its mode is {mode:04o}, so group or others may read it; run `chmod 600 {}`",
            path.display(),
            path.display()
        );
    }
    let mut bytes = std::fs::read(path)
        .with_context(|| format!("cannot read the secret file {}", path.display()))?;
    while bytes.last().is_some_and(|b| matches!(b, b'\n' | b'\r')) {
        bytes.pop();
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn a_secret_file_must_be_private() {
        let dir = std::env::temp_dir().join(format!("medoffice-secret-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap_or_default();
        let path = dir.join("jwt.key");
        std::fs::write(&path, "0123456789abcdef0123456789abcdef-key\n").unwrap_or_default();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap_or_default();
        let err = read_secret_file(&path).err().map(|e| e.to_string());
        assert!(err.is_some_and(|e| e.contains("0640") && e.contains("chmod 600")));
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap_or_default();
        let mut c = ServeConfig::for_tests();
        c.dev = false;
        c.jwt_secret_file = Some(path.clone());
        assert_eq!(
            c.signing_key().ok(),
            Some(b"0123456789abcdef0123456789abcdef-key".to_vec()),
            "trailing newline dropped"
        );
        c.jwt_secret = Some("x".repeat(40));
        assert!(c.signing_key().is_err(), "not both");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
