//! Test harness for medoffice's end-to-end tests: a private, throw-away PostgreSQL cluster
//! started from the installed binaries, the real server on a loopback port (stoppable and
//! restartable on the same port), clinics and staff, and client cores in temp folders.

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use medoffice_client::{Workstation, WorkstationConfig};
use medoffice_model::Role;
use uuid::Uuid;

/// The loopback TCP proxy the fault tests control (shared with the benchmarks).
pub use medoffice_bench::proxy;

/// Logs to the test output when `RUST_LOG` is set.
pub fn init_tracing() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .with_test_writer()
        .try_init();
}

/// Finds the PostgreSQL server binaries: `$MEDOFFICE_PG_BIN`, else the newest
/// `/usr/lib/postgresql/*/bin`, else the folder of `initdb` on `PATH`.
pub fn pg_bin_dir() -> anyhow::Result<PathBuf> {
    if let Ok(d) = std::env::var("MEDOFFICE_PG_BIN") {
        return Ok(PathBuf::from(d));
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| Some((e.file_name().to_str()?.parse().ok()?, e.path().join("bin"))))
        .filter(|(_, p): &(u32, PathBuf)| p.join("initdb").exists())
        .collect();
    versions.sort();
    if let Some((_, p)) = versions.pop() {
        return Ok(p);
    }
    let out = Command::new("sh")
        .args(["-c", "command -v initdb"])
        .output()?;
    let path = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    if path.is_empty() {
        bail!("PostgreSQL binaries not found: apt-get install postgresql, or set MEDOFFICE_PG_BIN");
    }
    Ok(Path::new(&path)
        .parent()
        .context("initdb path")?
        .to_path_buf())
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// A free loopback port.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(54329)
}

/// A private PostgreSQL cluster in a temp folder, stopped (immediately) on drop.
pub struct PgCluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
    /// TCP port on 127.0.0.1.
    pub port: u16,
    as_postgres: bool,
}

impl PgCluster {
    fn command(&self, program: &str) -> Command {
        let exe = self.bin.join(program);
        if self.as_postgres {
            // PostgreSQL refuses to run as root; the Debian package provides the postgres user.
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(exe);
            c
        } else {
            Command::new(exe)
        }
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// initdb and start a cluster (trust auth on loopback, fsync off: it is thrown away).
    pub fn start() -> anyhow::Result<Self> {
        let dir = tempfile::Builder::new().prefix("medoffice-pg-").tempdir()?;
        let as_postgres = is_root();
        if as_postgres {
            let ok = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(dir.path())
                .status()?
                .success();
            if !ok {
                bail!("could not hand the cluster folder to the postgres user");
            }
        }
        let c = PgCluster {
            dir,
            bin: pg_bin_dir()?,
            port: free_port(),
            as_postgres,
        };
        let out = c
            .command("initdb")
            .arg("-D")
            .arg(c.data())
            .args([
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--no-sync",
                "--locale=C",
            ])
            .output()?;
        if !out.status.success() {
            bail!("initdb failed: {}", String::from_utf8_lossy(&out.stderr));
        }
        c.pg_ctl_start()?;
        Ok(c)
    }

    fn pg_ctl_start(&self) -> anyhow::Result<()> {
        let opts = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300",
            self.port,
            self.dir.path().display()
        );
        let out = self
            .command("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .arg("-l")
            .arg(self.dir.path().join("postgres.log"))
            .args(["-w", "-t", "60", "-o", &opts, "start"])
            .output()?;
        if !out.status.success() {
            let log =
                std::fs::read_to_string(self.dir.path().join("postgres.log")).unwrap_or_default();
            bail!(
                "pg_ctl start failed: {}\n{log}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Ok(())
    }

    /// Stops the cluster (fast shutdown: open connections are cut).
    pub fn stop(&self) -> anyhow::Result<()> {
        let out = self
            .command("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .args(["-m", "fast", "-w", "stop"])
            .output()?;
        if !out.status.success() {
            bail!(
                "pg_ctl stop failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Ok(())
    }

    /// Starts it again after [`PgCluster::stop`].
    pub fn restart(&self) -> anyhow::Result<()> {
        self.pg_ctl_start()
    }

    /// URL of database `db` as the superuser.
    pub fn url(&self, db: &str) -> String {
        self.url_as("postgres", db)
    }

    /// The URL of database `db` signed in as `user` (trust authentication: no password).
    pub fn url_as(&self, user: &str, db: &str) -> String {
        format!("postgres://{user}@127.0.0.1:{}/{db}", self.port)
    }

    /// Creates a database and returns its URL.
    pub async fn create_database(&self, name: &str) -> anyhow::Result<String> {
        use sqlx::Connection;
        let mut conn = sqlx::PgConnection::connect(&self.url("postgres")).await?;
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
            .execute(&mut conn)
            .await?;
        conn.close().await?;
        Ok(self.url(name))
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        let _ = self
            .command("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .args(["-m", "immediate", "-w", "stop"])
            .output();
    }
}

/// The real server on its own runtime and thread, so stopping it drops every task and socket
/// at once, like a killed process, and it can come back on the same port.
pub struct TestServer {
    /// Where it listens.
    pub addr: SocketAddr,
    database_url: String,
    config: medoffice_server::ServeConfig,
    stop_tx: Option<std::sync::mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl TestServer {
    /// Starts the server on `port` (0: any free port) with the test settings
    /// ([`medoffice_server::ServeConfig::for_tests`]: generous rate limits, no
    /// self-registration). Migrations must have run.
    pub fn start(database_url: &str, port: u16) -> anyhow::Result<Self> {
        Self::start_with(
            database_url,
            port,
            medoffice_server::ServeConfig::for_tests(),
        )
    }

    /// Starts the server on `port` with `config` (its `bind` is replaced by loopback:`port`).
    pub fn start_with(
        database_url: &str,
        port: u16,
        mut config: medoffice_server::ServeConfig,
    ) -> anyhow::Result<Self> {
        config.bind = SocketAddr::from(([127, 0, 0, 1], port));
        Self::start_bound(database_url, config)
    }

    /// Starts the server with `config` as given (its `bind` decides the address). Errors are
    /// the server's refusals to start (e.g. plain HTTP beyond loopback, an unsafe secret file).
    pub fn start_bound(
        database_url: &str,
        config: medoffice_server::ServeConfig,
    ) -> anyhow::Result<Self> {
        let kept = config.clone();
        let (addr_tx, addr_rx) = std::sync::mpsc::channel::<anyhow::Result<SocketAddr>>();
        let (stop_tx, stop_rx) = std::sync::mpsc::channel::<()>();
        let url = database_url.to_owned();
        let thread = std::thread::spawn(move || {
            let rt = match tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    let _ = addr_tx.send(Err(e.into()));
                    return;
                }
            };
            match rt.block_on(medoffice_server::start(config, &url)) {
                Ok(s) => {
                    let _ = addr_tx.send(Ok(s.addr));
                    let _ = stop_rx.recv();
                }
                Err(e) => {
                    let _ = addr_tx.send(Err(e));
                }
            }
            rt.shutdown_timeout(Duration::from_secs(2));
        });
        let addr = addr_rx.recv().context("server thread died")??;
        Ok(Self {
            addr,
            database_url: database_url.to_owned(),
            config: kept,
            stop_tx: Some(stop_tx),
            thread: Some(thread),
        })
    }

    /// The base URL, e.g. `http://127.0.0.1:41234`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops the server: listener, sockets, tasks, all at once.
    pub fn stop(&mut self) {
        if let Some(tx) = self.stop_tx.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }

    /// Starts it again on the same port.
    pub fn restart(&mut self) -> anyhow::Result<()> {
        self.stop();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match TestServer::start_with(&self.database_url, self.addr.port(), self.config.clone())
            {
                Ok(s) => {
                    *self = s;
                    return Ok(());
                }
                Err(e) if Instant::now() < deadline => {
                    tracing::debug!(error = %e, "port not free yet");
                    std::thread::sleep(Duration::from_millis(100));
                }
                Err(e) => return Err(e),
            }
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A cluster with a migrated database and a running server.
pub struct System {
    /// The database cluster.
    pub pg: PgCluster,
    /// The server.
    pub server: TestServer,
    /// Owner URL of the database.
    pub database_url: String,
    /// A pool as the app role, for checks.
    pub pool: sqlx::PgPool,
}

/// Password of every test user.
pub const PASSWORD: &str = "correct horse battery";

impl System {
    /// Starts PostgreSQL, migrates, starts the server.
    pub async fn start() -> anyhow::Result<Self> {
        init_tracing();
        let pg = tokio::task::spawn_blocking(PgCluster::start).await??;
        let database_url = pg.create_database("medoffice").await?;
        Self::migrated_and_served(pg, database_url).await
    }

    /// Migrates the database at `database_url` (as its owner) and starts the server on it.
    async fn migrated_and_served(pg: PgCluster, database_url: String) -> anyhow::Result<Self> {
        medoffice_server::db::migrate(&database_url).await?;
        let url = database_url.clone();
        let server = tokio::task::spawn_blocking(move || TestServer::start(&url, 0)).await??;
        let pool = medoffice_server::db::connect(&database_url, 4).await?;
        Ok(Self {
            pg,
            server,
            database_url,
            pool,
        })
    }

    /// [`System::start`] with the database owned by `owner`, a login role that is neither a
    /// superuser nor able to bypass row-level security (a member of `medoffice_app`, as the
    /// README asks of an operator's owner role), so the policies bind the owner too.
    pub async fn start_owned_by(owner: &str) -> anyhow::Result<Self> {
        use sqlx::{Connection, Executor};
        init_tracing();
        let pg = tokio::task::spawn_blocking(PgCluster::start).await??;
        let mut su = sqlx::PgConnection::connect(&pg.url("postgres")).await?;
        for sql in [
            "CREATE ROLE medoffice_app NOLOGIN".to_owned(),
            format!("CREATE ROLE \"{owner}\" LOGIN NOSUPERUSER NOBYPASSRLS"),
            format!("GRANT medoffice_app TO \"{owner}\""),
            format!("CREATE DATABASE medoffice OWNER \"{owner}\""),
        ] {
            su.execute(sqlx::AssertSqlSafe(sql)).await?;
        }
        su.close().await?;
        // the one extension the schema needs, as a DBA would install it
        let mut su = sqlx::PgConnection::connect(&pg.url("medoffice")).await?;
        su.execute("CREATE EXTENSION btree_gist").await?;
        su.close().await?;
        let database_url = pg.url_as(owner, "medoffice");
        Self::migrated_and_served(pg, database_url).await
    }

    /// Creates a clinic with one user per role (`admin`, `doctor`, `nurse`, `reception`),
    /// all with [`PASSWORD`]. Returns the tenant id.
    pub async fn clinic(&self, code: &str, time_zone: &str) -> anyhow::Result<Uuid> {
        let mut owner = medoffice_server::db::owner_connection(&self.database_url).await?;
        let tenant = medoffice_server::tenants::ensure_tenant(
            &mut owner,
            code,
            &format!("Clinic {code}"),
            time_zone,
        )
        .await?;
        let hash = medoffice_server::auth::hash_password(PASSWORD)?;
        let mut tx = medoffice_server::db::tenant_tx(&self.pool, tenant).await?;
        for (u, name, role) in [
            ("admin", "Ada Admin", Role::Admin),
            ("doctor", "Dr. Dora Doctor", Role::Physician),
            ("nurse", "Nina Nurse", Role::Nurse),
            ("reception", "Rex Reception", Role::Receptionist),
        ] {
            medoffice_server::users::insert_user(&mut tx, tenant, u, name, role, &hash, true)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
        }
        tx.commit().await?;
        Ok(tenant)
    }

    /// A fresh workstation (own folder, own keyring namespace) signed in as `username`.
    pub async fn workstation(
        &self,
        tenant: &str,
        username: &str,
    ) -> anyhow::Result<(Workstation, tempfile::TempDir)> {
        self.workstation_at(&self.server.url(), tenant, username)
            .await
    }

    /// A fresh workstation signed in as `username` through `server_url` (e.g. a [`proxy`]).
    pub async fn workstation_at(
        &self,
        server_url: &str,
        tenant: &str,
        username: &str,
    ) -> anyhow::Result<(Workstation, tempfile::TempDir)> {
        let dir = tempfile::tempdir()?;
        let config = workstation_config(dir.path(), username);
        let ws = Workstation::open(config).map_err(|e| anyhow::anyhow!("{e}"))?;
        ws.login(server_url, tenant, username, PASSWORD)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok((ws, dir))
    }

    /// The server's socket address.
    pub fn server_addr(&self) -> anyhow::Result<SocketAddr> {
        Ok(self.server.url().trim_start_matches("http://").parse()?)
    }

    /// Every row `username` may read, as the feed gives it from revision 0: kind → id →
    /// (revision, deleted, data). What a converged workstation's cache holds.
    pub async fn server_rows(
        &self,
        tenant: &str,
        username: &str,
    ) -> anyhow::Result<
        std::collections::BTreeMap<
            String,
            std::collections::BTreeMap<Uuid, (i64, bool, serde_json::Value)>,
        >,
    > {
        let http = Http::new(&self.server.url());
        let token = http.token(tenant, username).await?;
        let mut out: std::collections::BTreeMap<String, std::collections::BTreeMap<_, _>> =
            Default::default();
        let mut since = 0;
        loop {
            let (status, page) = http
                .call(
                    reqwest::Method::GET,
                    &format!("/api/v1/sync/changes?since={since}&limit=2000"),
                    Some(&token),
                    None,
                )
                .await?;
            if status != 200 {
                bail!("feed: {status} {page}");
            }
            for c in page["changes"].as_array().context("changes")? {
                let id = Uuid::parse_str(c["id"].as_str().context("id")?)?;
                out.entry(c["entity"].as_str().context("entity")?.to_owned())
                    .or_default()
                    .insert(
                        id,
                        (
                            c["revision"].as_i64().context("revision")?,
                            c["deleted"].as_bool().unwrap_or(false),
                            c["data"].clone(),
                        ),
                    );
            }
            since = page["revision"].as_i64().context("revision")?;
            if !page["has_more"].as_bool().unwrap_or(false) {
                break;
            }
        }
        Ok(out)
    }
}

/// The configuration of a test workstation in `dir`: its own keyring namespace. The device id
/// is written to `dir/device-id` too, so the CLI pointed at `dir` is the same workstation (it
/// finds the cache key in the keyring under that id).
pub fn workstation_config(dir: &Path, username: &str) -> WorkstationConfig {
    let device_id = format!("test-{username}-{}", Uuid::new_v4());
    std::fs::write(dir.join("device-id"), &device_id).expect("write the test device id");
    WorkstationConfig {
        data_dir: dir.to_path_buf(),
        keyring_service: format!("medoffice-test-{}", Uuid::new_v4()),
        device_id,
        offline_unlock_hours: medoffice_client::DEFAULT_OFFLINE_UNLOCK_HOURS,
        allow_insecure_http: false,
        ca_certificate: None,
    }
}

/// Rows of a workstation's cache in the shape of [`System::server_rows`].
pub async fn cache_rows(
    ws: &Workstation,
) -> anyhow::Result<
    std::collections::BTreeMap<
        String,
        std::collections::BTreeMap<Uuid, (i64, bool, serde_json::Value)>,
    >,
> {
    use medoffice_model::EntityKind;
    let mut out: std::collections::BTreeMap<String, std::collections::BTreeMap<_, _>> =
        Default::default();
    for &kind in EntityKind::ALL {
        let rows = ws.cached_rows(kind).await.map_err(anyhow::Error::msg)?;
        if rows.is_empty() {
            continue;
        }
        let m = out.entry(kind.as_str().to_owned()).or_default();
        for (id, revision, deleted, data) in rows {
            m.insert(id, (revision, deleted, data));
        }
    }
    Ok(out)
}

/// The `medoffice` CLI built next to the test binaries (`cargo test` builds it).
pub fn cli_path() -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .context("test binary location")?;
    let cli = dir.join("medoffice");
    if !cli.exists() {
        bail!(
            "{} is missing: build it with `cargo build -p medoffice-client --bin medoffice`",
            cli.display()
        );
    }
    Ok(cli)
}

/// The `medoffice-server` binary built next to the test binaries (`cargo build -p
/// medoffice-server`; `cargo test --workspace` builds it).
pub fn server_bin_path() -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .context("test binary location")?;
    let bin = dir.join("medoffice-server");
    if !bin.exists() {
        bail!(
            "{} is missing: build it with `cargo build -p medoffice-server`",
            bin.display()
        );
    }
    Ok(bin)
}

/// Polls `check` every 5 ms until it holds or `limit` passes; returns the time it took.
pub async fn wait_for<F, Fut>(limit: Duration, mut check: F) -> anyhow::Result<Duration>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    while start.elapsed() < limit {
        if check().await {
            return Ok(start.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    bail!("condition not met within {limit:?}")
}

/// A plain HTTP client for contract checks.
pub struct Http {
    /// reqwest client.
    pub client: reqwest::Client,
    /// Base URL.
    pub base: String,
}

impl Http {
    /// A client of `base`.
    pub fn new(base: &str) -> Self {
        Self {
            client: reqwest::Client::new(),
            base: base.to_owned(),
        }
    }

    /// Logs in; returns the token response as JSON.
    pub async fn login(
        &self,
        tenant: &str,
        username: &str,
        password: &str,
    ) -> anyhow::Result<(u16, serde_json::Value)> {
        let r = self
            .client
            .post(format!("{}/api/v1/auth/login", self.base))
            .json(
                &serde_json::json!({"tenant": tenant, "username": username, "password": password}),
            )
            .send()
            .await?;
        Ok((r.status().as_u16(), r.json().await?))
    }

    /// An access token for `username` of `tenant`.
    pub async fn token(&self, tenant: &str, username: &str) -> anyhow::Result<String> {
        let (status, body) = self.login(tenant, username, PASSWORD).await?;
        if status != 200 {
            bail!("login {username}@{tenant}: {status} {body}");
        }
        Ok(body["access_token"]
            .as_str()
            .context("access_token")?
            .to_owned())
    }

    /// A request with a bearer token; answers (status, JSON body or null).
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<serde_json::Value>,
    ) -> anyhow::Result<(u16, serde_json::Value)> {
        let mut req = self
            .client
            .request(method, format!("{}{}", self.base, path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = req.send().await?;
        let status = r.status().as_u16();
        let text = r.text().await?;
        Ok((
            status,
            if text.is_empty() {
                serde_json::Value::Null
            } else {
                serde_json::from_str(&text)?
            },
        ))
    }
}

/// A new patient for the end-to-end tests: born 1961-03-14, female, a phone number, allergic to
/// penicillin (so a test can look for an allergy in raw bytes), without an id (the client makes it).
pub fn new_patient(given: &str, family: &str) -> medoffice_model::NewPatient {
    medoffice_model::NewPatient {
        id: None,
        given_name: given.into(),
        family_name: family.into(),
        date_of_birth: chrono::NaiveDate::from_ymd_opt(1961, 3, 14).expect("date"),
        sex: medoffice_model::AdministrativeSex::Female,
        phone: Some("+1 (617) 555-0142".into()),
        email: None,
        address: None,
        emergency_contact_name: None,
        emergency_contact_phone: None,
        city: None,
        state: None,
        postal_code: None,
        country: None,
        preferred_language: None,
        interpreter_required: None,
        next_of_kin_name: None,
        next_of_kin_relationship: None,
        next_of_kin_phone: None,
        identifiers: None,
        allergies: Some(vec!["penicillin".into()]),
        no_known_allergies: None,
        notes: None,
        first_seen_at: None,
    }
}
