//! `medoffice-server`: serve the API, migrate, set up clinics and staff, import Synthea data
//! and the old single-seat application's records, and load the demo clinic.

use std::path::PathBuf;

use anyhow::Context;
use chrono::{NaiveTime, TimeZone};
use clap::{Parser, Subcommand};
use medoffice_model::{AppointmentKind, AppointmentStatus, NewAppointment, Role};
use medoffice_server::clinical::{self, appointments};
use medoffice_server::config::PlanLimit;
use medoffice_server::{auth, db, import, legacy, tenants, users, ServeConfig};
use uuid::Uuid;

#[derive(Parser)]
#[command(
    name = "medoffice-server",
    version,
    about = "medoffice central API server"
)]
struct Cli {
    /// PostgreSQL URL. The role must own the schema (for migrations) or be a member of
    /// `medoffice_app`; queries always run as `medoffice_app`.
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true)]
    database_url: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the API server (migrates first unless --no-migrate).
    Serve {
        #[command(flatten)]
        config: ServeConfig,
        /// Do not run migrations at start.
        #[arg(long)]
        no_migrate: bool,
    },
    /// Apply pending migrations.
    Migrate,
    /// Create a clinic.
    CreateTenant {
        /// Code typed at login (lower-case letters, digits, hyphens).
        #[arg(long)]
        code: String,
        /// Display name.
        #[arg(long)]
        name: String,
        /// IANA time zone, e.g. America/New_York.
        #[arg(long, default_value = "UTC")]
        time_zone: String,
    },
    /// A clinic's plan and settings.
    Tenant {
        #[command(subcommand)]
        command: TenantCommand,
    },
    /// Create a staff account in a clinic.
    CreateUser {
        /// Clinic code.
        #[arg(long)]
        tenant: String,
        /// Username.
        #[arg(long)]
        username: String,
        /// Full name.
        #[arg(long)]
        full_name: String,
        /// admin, physician, nurse or receptionist.
        #[arg(long)]
        role: String,
        /// Initial password (or MEDOFFICE_NEW_PASSWORD).
        #[arg(long, env = "MEDOFFICE_NEW_PASSWORD", hide_env_values = true)]
        password: String,
    },
    /// Import a Synthea CSV export into a clinic and print what was and was not imported.
    ImportSynthea {
        /// Clinic code.
        #[arg(long)]
        tenant: String,
        /// Folder with patients.csv, observations.csv, encounters.csv, providers.csv.
        #[arg(long)]
        dir: PathBuf,
        /// Username to attribute the import to (an admin of the clinic).
        #[arg(long, default_value = "admin")]
        as_user: String,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Import the old single-seat application's SQLite file (table `patients`) into a clinic
    /// and print every row it did not take and every value it left out. Re-running adds nothing.
    ImportLegacy {
        /// Clinic code.
        #[arg(long)]
        tenant: String,
        /// The legacy SQLite file (opened read-only).
        file: PathBuf,
        /// How to read dates like 03/04/2019: dmy (day first) or mdy (month first). Without
        /// it the file must decide (a day or month above 12 somewhere); otherwise nothing is
        /// imported and this flag is asked for.
        #[arg(long)]
        date_order: Option<legacy::DateOrder>,
        /// Username to attribute the import to (an admin of the clinic).
        #[arg(long, default_value = "admin")]
        as_user: String,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// The audit log: check its hash chains.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Load the demo clinic (idempotent): staff logins, the Synthea sample, today's schedule.
    Demo {
        /// Folder of the Synthea sample.
        #[arg(long, default_value = "data/synthea-ma27")]
        dir: PathBuf,
    },
}

#[derive(Subcommand)]
enum TenantCommand {
    /// Set a clinic's plan limits (only those given change). Creating beyond a limit is
    /// refused with 403 `plan_limit`; lowering a limit below what a clinic has refuses new
    /// ones and keeps what exists.
    SetPlan {
        /// Clinic code.
        #[arg(long)]
        tenant: String,
        /// Most active staff accounts: a number, or `unlimited`.
        #[arg(long)]
        max_users: Option<PlanLimit>,
        /// Most patients: a number, or `unlimited`.
        #[arg(long)]
        max_patients: Option<PlanLimit>,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Recompute every clinic's hash chain (needs the owner's DATABASE_URL: it reads every
    /// clinic). Exit 0 and "intact: N entries, M clinics", or exit 1 naming each broken
    /// clinic's first bad entry (id, time, altered / deleted / reordered); exit 2 when the
    /// check could not run. Entries newer than the server's last chaining pass are counted
    /// as pending.
    Verify {
        /// Only this clinic (its code).
        #[arg(long)]
        tenant: Option<String>,
        /// Print the report as JSON (with each intact clinic's chain head, to keep elsewhere).
        #[arg(long)]
        json: bool,
    },
}

/// The demo clinic's code.
const DEMO_TENANT: &str = "demo";
/// The demo logins' shared password.
const DEMO_PASSWORD: &str = "demo-password";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn,tower_http=info".into()),
        )
        .init();
    let cli = Cli::parse();
    let url = cli
        .database_url
        .clone()
        .context("set DATABASE_URL or --database-url")?;
    match cli.command {
        Command::Serve { config, no_migrate } => {
            config.signing_key()?;
            config.transport.check(config.bind)?;
            config.check_dev_bind()?;
            if !no_migrate {
                db::migrate(&url).await?;
            }
            let scheme = if config.transport.serves_tls() {
                "https"
            } else {
                "http"
            };
            let server = medoffice_server::start(config, &url).await?;
            println!("medoffice server listening on {scheme}://{}", server.addr);
            tokio::select! {
                r = server.task => { r??; }
                _ = tokio::signal::ctrl_c() => { tracing::info!("shutting down"); }
            }
        }
        Command::Migrate => {
            db::migrate(&url).await?;
            println!("migrations applied");
        }
        Command::CreateTenant {
            code,
            name,
            time_zone,
        } => {
            db::migrate(&url).await?;
            let mut owner = db::owner_connection(&url).await?;
            let id = tenants::ensure_tenant(&mut owner, &code, &name, &time_zone).await?;
            println!("clinic {code} ({name}) id {id}");
        }
        Command::Tenant {
            command:
                TenantCommand::SetPlan {
                    tenant,
                    max_users,
                    max_patients,
                },
        } => {
            if max_users.is_none() && max_patients.is_none() {
                anyhow::bail!("give --max-users and/or --max-patients");
            }
            let mut owner = db::owner_connection(&url).await?;
            let t = tenants::set_plan(
                &mut owner,
                &tenant,
                max_users.map(|l| l.0),
                max_patients.map(|l| l.0),
            )
            .await?;
            let show = |l: Option<i32>| l.map_or("unlimited".to_owned(), |n| n.to_string());
            println!(
                "clinic {} ({}): max users {}, max patients {}",
                t.code,
                t.name,
                show(t.max_users),
                show(t.max_patients)
            );
        }
        Command::CreateUser {
            tenant,
            username,
            full_name,
            role,
            password,
        } => {
            let role = Role::parse(&role)
                .context("role must be admin, physician, nurse or receptionist")?;
            let pool = db::connect(&url, 2).await?;
            let tenant_id = tenant_id(&pool, &tenant).await?;
            let s = create_user(&pool, tenant_id, &username, &full_name, role, &password).await?;
            println!("user {} ({}) id {}", s.username, role.as_str(), s.id);
        }
        Command::ImportSynthea {
            tenant,
            dir,
            as_user,
            json,
        } => {
            let pool = db::connect(&url, 2).await?;
            let tenant_id = tenant_id(&pool, &tenant).await?;
            let importer = user_id(&pool, tenant_id, &as_user).await?;
            let report = import::import_synthea(&pool, tenant_id, importer, &dir).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print!("{}", report.summary());
            }
        }
        Command::ImportLegacy {
            tenant,
            file,
            date_order,
            as_user,
            json,
        } => {
            let pool = db::connect(&url, 2).await?;
            let tenant_id = tenant_id(&pool, &tenant).await?;
            let importer = user_id(&pool, tenant_id, &as_user).await?;
            let options = legacy::LegacyOptions { date_order };
            let report = legacy::import_legacy(&pool, tenant_id, importer, &file, &options).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print!("{}", report.summary());
            }
        }
        Command::Audit {
            command: AuditCommand::Verify { tenant, json },
        } => {
            let report = async {
                let mut owner = db::owner_connection(&url).await?;
                medoffice_server::audit_chain::verify(&mut owner, tenant.as_deref()).await
            }
            .await;
            match report {
                Ok(r) => {
                    if json {
                        println!("{}", serde_json::to_string_pretty(&r)?);
                    } else {
                        print!("{}", r.summary());
                    }
                    if !r.intact {
                        std::process::exit(1);
                    }
                }
                Err(e) => {
                    eprintln!("audit verify could not run: {e:#}");
                    std::process::exit(2);
                }
            }
        }
        Command::Demo { dir } => demo(&url, &dir).await?,
    }
    Ok(())
}

async fn tenant_id(pool: &sqlx::PgPool, code: &str) -> anyhow::Result<Uuid> {
    let row: Option<(Uuid,)> = sqlx::query_as("SELECT id FROM medoffice_tenant_by_code($1)")
        .bind(code)
        .fetch_optional(pool)
        .await?;
    row.map(|r| r.0)
        .with_context(|| format!("no clinic with code {code:?}"))
}

async fn user_id(pool: &sqlx::PgPool, tenant_id: Uuid, username: &str) -> anyhow::Result<Uuid> {
    let mut tx = db::tenant_tx(pool, tenant_id).await?;
    let id: Option<Uuid> =
        sqlx::query_scalar("SELECT id FROM users WHERE lower(username) = lower($1)")
            .bind(username)
            .fetch_optional(&mut *tx)
            .await?;
    id.with_context(|| format!("no user {username:?} in this clinic"))
}

async fn create_user(
    pool: &sqlx::PgPool,
    tenant_id: Uuid,
    username: &str,
    full_name: &str,
    role: Role,
    password: &str,
) -> anyhow::Result<medoffice_model::StaffMember> {
    let new = medoffice_model::NewUser {
        username: username.into(),
        full_name: full_name.into(),
        role,
        temporary_password: Some(password.into()),
    };
    new.validate().map_err(|e| anyhow::anyhow!("{e}"))?;
    let hash = auth::hash_password(password)?;
    let mut tx = db::tenant_tx(pool, tenant_id).await?;
    let s = users::insert_user(&mut tx, tenant_id, username, full_name, role, &hash, true)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    tx.commit().await?;
    Ok(s)
}

async fn demo(url: &str, dir: &std::path::Path) -> anyhow::Result<()> {
    db::migrate(url).await?;
    let mut owner = db::owner_connection(url).await?;
    let tenant = tenants::ensure_tenant(
        &mut owner,
        DEMO_TENANT,
        "Riverside Family Clinic",
        "America/New_York",
    )
    .await?;
    let pool = db::connect(url, 4).await?;
    let staff = [
        ("admin", "Alex Morgan", Role::Admin),
        ("reception", "Rita Alvarez", Role::Receptionist),
        ("nurse", "Nadia Okafor", Role::Nurse),
        ("doctor", "Dr. Daniel Kim", Role::Physician),
    ];
    let mut ids = std::collections::HashMap::new();
    for (username, name, role) in staff {
        let id = match user_id(&pool, tenant, username).await {
            Ok(id) => id,
            Err(_) => {
                create_user(&pool, tenant, username, name, role, DEMO_PASSWORD)
                    .await?
                    .id
            }
        };
        ids.insert(username, id);
    }
    let report = import::import_synthea(&pool, tenant, ids["admin"], dir).await?;
    print!("{}", report.summary());
    let booked =
        book_todays_schedule(&pool, tenant, ids["doctor"], ids["nurse"], ids["reception"]).await?;
    println!("today's schedule: {booked} appointments booked");
    println!();
    println!("Demo clinic code: {DEMO_TENANT}   (all demo passwords: {DEMO_PASSWORD})");
    for (username, name, role) in staff {
        println!("  {:<10} {:<13} {}", username, role.as_str(), name);
    }
    Ok(())
}

/// Books a morning of visits today (clinic time) for the demo physician and nurse, from the
/// imported patients, unless today's demo schedule exists already.
async fn book_todays_schedule(
    pool: &sqlx::PgPool,
    tenant: Uuid,
    doctor: Uuid,
    nurse: Uuid,
    by: Uuid,
) -> anyhow::Result<usize> {
    let mut tx = db::tenant_tx(pool, tenant).await?;
    let today = clinical::clinic_today(&mut tx)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let tag = format!("demo:{today}:");
    let already: i64 =
        sqlx::query_scalar("SELECT count(*) FROM appointments WHERE source_id LIKE $1 || '%'")
            .bind(&tag)
            .fetch_one(&mut *tx)
            .await?;
    if already > 0 {
        return Ok(0);
    }
    let tz: chrono_tz::Tz = sqlx::query_scalar::<_, String>("SELECT time_zone FROM tenants")
        .fetch_one(&mut *tx)
        .await?
        .parse()
        .unwrap_or(chrono_tz::UTC);
    let patients: Vec<Uuid> = sqlx::query_scalar(
        "SELECT id FROM patients WHERE NOT deleted AND notes IS NULL ORDER BY family_name LIMIT 11",
    )
    .fetch_all(&mut *tx)
    .await?;
    let slots = [
        (
            doctor,
            "09:00",
            20,
            AppointmentKind::FollowUp,
            "Blood pressure review",
        ),
        (
            doctor,
            "09:20",
            20,
            AppointmentKind::Consultation,
            "Persistent cough",
        ),
        (
            doctor,
            "09:40",
            30,
            AppointmentKind::NewPatient,
            "New patient registration visit",
        ),
        (
            doctor,
            "10:30",
            20,
            AppointmentKind::FollowUp,
            "Diabetes follow-up",
        ),
        (
            doctor,
            "11:00",
            15,
            AppointmentKind::Consultation,
            "Sore throat",
        ),
        (
            doctor,
            "11:30",
            20,
            AppointmentKind::FollowUp,
            "Medication review",
        ),
        (
            doctor,
            "14:00",
            30,
            AppointmentKind::Procedure,
            "Wound dressing",
        ),
        (
            doctor,
            "15:00",
            20,
            AppointmentKind::Telehealth,
            "Lab results call",
        ),
        (
            nurse,
            "08:30",
            15,
            AppointmentKind::VitalsCheck,
            "Weekly blood pressure check",
        ),
        (
            nurse,
            "10:00",
            15,
            AppointmentKind::VitalsCheck,
            "Weight check",
        ),
        (
            nurse,
            "13:30",
            15,
            AppointmentKind::VitalsCheck,
            "Post-vaccination observation",
        ),
    ];
    let mut n = 0;
    for ((provider, time, minutes, kind, reason), patient) in slots.into_iter().zip(patients) {
        let t = NaiveTime::parse_from_str(time, "%H:%M")?;
        let Some(local) = tz.from_local_datetime(&today.and_time(t)).earliest() else {
            continue;
        };
        let new = NewAppointment {
            id: None,
            patient_id: patient,
            provider_id: provider,
            starts_at: local.with_timezone(&chrono::Utc),
            duration_minutes: minutes,
            kind,
            reason: Some(reason.into()),
            notes: None,
            overbooked: None,
        };
        appointments::insert_appointment(
            &mut tx,
            tenant,
            Some(by),
            Uuid::now_v7(),
            &new,
            AppointmentStatus::Scheduled,
            Some(&format!("{tag}{n}")),
        )
        .await?;
        n += 1;
    }
    tx.commit().await?;
    Ok(n)
}
