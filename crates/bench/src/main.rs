//! `medoffice-load`: drives the real medoffice server over HTTP and WebSocket with many
//! simulated workstations (loopback only), and generates clinic-sized data sets.
//!
//! Each scenario prints one JSON object on stdout (the figures) and a one-line summary on
//! stderr. Scenarios that open real client cores keep refresh tokens in the kernel keyring:
//! run them under `keyctl session -` (as `scripts/bench` does).

use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, Subcommand};
use medoffice_bench::generate::{generate, GenerateParams};
use medoffice_bench::scenarios::{
    cold_sync, outbox_drain, propagation, read_throughput, write_spread, write_throughput,
    ColdSyncParams, DrainParams, ListenerKind, LoadParams, PropagationParams,
};
use medoffice_bench::{Report, Target};

#[derive(Parser)]
#[command(
    name = "medoffice-load",
    version,
    about = "medoffice load generator (loopback only)"
)]
struct Cli {
    /// Server base URL; give it twice for the cross-process fan-out (writer on the first,
    /// listeners on the second).
    #[arg(
        long = "server",
        global = true,
        default_value = "http://127.0.0.1:8080"
    )]
    servers: Vec<String>,
    /// Clinic code.
    #[arg(long, global = true, default_value = "bench")]
    tenant: String,
    /// Password of the generated staff.
    #[arg(
        long,
        global = true,
        env = "MEDOFFICE_BENCH_PASSWORD",
        default_value = "bench-password",
        hide_env_values = true
    )]
    password: String,
    /// Superuser URL of the database (generate, cold-sync).
    #[arg(long, global = true, env = "DATABASE_URL", hide_env_values = true)]
    database_url: Option<String>,
    /// Seed of every random choice.
    #[arg(long, global = true, default_value_t = 42)]
    seed: u64,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create a clinic with staff and bulk-load a seeded data set (triggers bypassed; see
    /// generate.rs for why).
    Generate {
        /// Patients.
        #[arg(long, default_value_t = 1000)]
        patients: usize,
        /// Vital-sign sets.
        #[arg(long, default_value_t = 10_000)]
        vitals: usize,
        /// Appointments.
        #[arg(long, default_value_t = 2000)]
        appointments: usize,
        /// Physicians holding appointments.
        #[arg(long, default_value_t = 12)]
        providers: usize,
        /// IANA time zone of the clinic.
        #[arg(long, default_value = "America/New_York")]
        time_zone: String,
    },
    /// Scenario 1: concurrent clients recording vitals.
    Write {
        /// Concurrent clients.
        #[arg(long, default_value_t = 8)]
        clients: usize,
        /// Seconds to run.
        #[arg(long, default_value_t = 10.0)]
        seconds: f64,
    },
    /// Scenario 1b: writes spread over clinics `{tenant}-001` … `{tenant}-{clinics}` at once,
    /// `--clients` in each.
    WriteSpread {
        /// Clinics (each made by `generate --tenant {tenant}-NNN`).
        #[arg(long, default_value_t = 100)]
        clinics: usize,
        /// Concurrent clients in each clinic.
        #[arg(long, default_value_t = 1)]
        clients: usize,
        /// Seconds to run.
        #[arg(long, default_value_t = 10.0)]
        seconds: f64,
    },
    /// Scenario 2: concurrent clients searching patients and loading charts.
    Read {
        /// Concurrent clients.
        #[arg(long, default_value_t = 8)]
        clients: usize,
        /// Seconds to run.
        #[arg(long, default_value_t = 10.0)]
        seconds: f64,
    },
    /// Scenario 3 (one server) or 6 (two servers: writer on the first, listeners on the
    /// second): propagation latency to K listeners while one writer records a set every 20 ms.
    Propagation {
        /// Listeners.
        #[arg(long, default_value_t = 10)]
        listeners: usize,
        /// `raw` WebSocket subscribers or real `workstation` cores.
        #[arg(long, default_value = "raw")]
        kind: String,
        /// Vitals sets written.
        #[arg(long, default_value_t = 250)]
        writes: usize,
        /// Milliseconds between writes.
        #[arg(long, default_value_t = 20)]
        interval_ms: u64,
    },
    /// Scenario 4: a new workstation joins the clinic; time until its cache is complete.
    ColdSync {
        /// Seconds before giving up.
        #[arg(long, default_value_t = 1800)]
        limit_s: u64,
        /// Keep the cache in this folder instead of a temp folder.
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// Scenario 5: mutations queued offline, drained after reconnection.
    OutboxDrain {
        /// Vitals sets entered offline.
        #[arg(long, default_value_t = 10_000)]
        mutations: usize,
        /// Seconds before giving up.
        #[arg(long, default_value_t = 1800)]
        limit_s: u64,
    },
}

fn emit(r: &Report) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string(r)?);
    eprintln!("{}", r.summary());
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let target = Target::new(
        cli.servers.clone(),
        &cli.tenant,
        &cli.password,
        cli.database_url.clone(),
    )?;
    let load = |clients: usize, seconds: f64| LoadParams {
        clients,
        duration: Duration::from_secs_f64(seconds),
        max_ops: None,
        seed: cli.seed,
    };
    match cli.command {
        Command::Generate {
            patients,
            vitals,
            appointments,
            providers,
            time_zone,
        } => {
            let db = cli
                .database_url
                .as_deref()
                .ok_or_else(|| anyhow::anyhow!("generate needs --database-url (a superuser's)"))?;
            let g = generate(
                db,
                &GenerateParams {
                    tenant: cli.tenant.clone(),
                    time_zone,
                    password: cli.password.clone(),
                    patients,
                    vitals,
                    appointments,
                    providers,
                    seed: cli.seed,
                },
            )
            .await?;
            println!(
                "{}",
                serde_json::json!({"scenario": "generate", "tenant": cli.tenant, "result": g})
            );
            eprintln!(
                "generated clinic {}: {} patients, {} vitals sets, {} appointments in {:.1} s (revision {})",
                cli.tenant, g.patients, g.vitals, g.appointments, g.seconds, g.revision
            );
        }
        Command::Write { clients, seconds } => {
            emit(&write_throughput(&target, &load(clients, seconds)).await?)?
        }
        Command::WriteSpread {
            clinics,
            clients,
            seconds,
        } => emit(&write_spread(&target, clinics, &load(clients, seconds)).await?)?,
        Command::Read { clients, seconds } => {
            emit(&read_throughput(&target, &load(clients, seconds)).await?)?
        }
        Command::Propagation {
            listeners,
            kind,
            writes,
            interval_ms,
        } => {
            let kind = match kind.as_str() {
                "raw" => ListenerKind::Raw,
                "workstation" => ListenerKind::Workstation,
                other => anyhow::bail!("--kind is raw or workstation, not {other:?}"),
            };
            let two = target.servers.len() > 1;
            emit(
                &propagation(
                    &target,
                    &PropagationParams {
                        listeners,
                        kind,
                        writes,
                        interval: Duration::from_millis(interval_ms),
                        writer_server: 0,
                        listener_server: usize::from(two),
                        grace: Duration::from_secs(20),
                        seed: cli.seed,
                    },
                )
                .await?,
            )?
        }
        Command::ColdSync { limit_s, dir } => emit(
            &cold_sync(
                &target,
                &ColdSyncParams {
                    limit: Duration::from_secs(limit_s),
                    dir,
                },
            )
            .await?,
        )?,
        Command::OutboxDrain { mutations, limit_s } => emit(
            &outbox_drain(
                &target,
                &DrainParams {
                    mutations,
                    limit: Duration::from_secs(limit_s),
                },
            )
            .await?,
        )?,
    }
    Ok(())
}
