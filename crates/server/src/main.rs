//! `medoffice-server`: serve the API, migrate, set up clinics and staff, import Synthea data
//! and the old single-seat application's records, and load the demo clinic.

use std::path::PathBuf;

use anyhow::Context;
use chrono::{Datelike, NaiveTime, TimeZone};
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
    /// Log lines as text for a person, or as JSON objects (one a line: timestamp, level,
    /// target, fields) for a log collector.
    #[arg(long, env = "MEDOFFICE_LOG_FORMAT", global = true, value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

/// How log lines are written.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum LogFormat {
    /// Text for a person.
    Text,
    /// One JSON object a line.
    Json,
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
    /// Import FHIR R4 JSON (Bundles or single resources; a file, or every *.json of a folder):
    /// patients, vital-sign Observations and Encounters as past visits. Prints every resource
    /// and value not taken, by reason. Re-running adds nothing.
    ImportFhir {
        /// Clinic code.
        #[arg(long)]
        tenant: String,
        /// A FHIR JSON file, or a folder of them.
        path: PathBuf,
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
    /// After restoring the database from a backup: start a new feed history for every clinic
    /// (or one), so each workstation downloads the clinic again and keeps its unsent changes.
    /// A restore into another cluster or after point-in-time recovery is noticed by itself at
    /// the next start; this is for any other restore, and harmless when not needed.
    Restored {
        /// Only this clinic.
        #[arg(long)]
        tenant: Option<String>,
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
        /// Leave the clinic without opening hours, working hours or closed dates, so any time
        /// is bookable and the day's schedule is booked today, with nobody checked in yet and no
        /// recurring series: for test suites that must pass on any day of the year (a Sunday,
        /// Christmas Day) and find the day untouched.
        #[arg(long)]
        without_hours: bool,
        /// Show and read dates the ISO way (2024-03-14, 24-hour clock, weeks from Monday)
        /// rather than as this US clinic does (03/14/2024, 2:30 PM, weeks from Sunday).
        #[arg(long)]
        iso_dates: bool,
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
    let cli = Cli::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "info,sqlx=warn,tower_http=info".into());
    match cli.log_format {
        LogFormat::Text => tracing_subscriber::fmt().with_env_filter(filter).init(),
        LogFormat::Json => tracing_subscriber::fmt()
            .json()
            .with_env_filter(filter)
            .init(),
    }
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
            let report = if json {
                import::import_synthea(&pool, tenant_id, importer, &dir).await?
            } else {
                let bars = medoffice_server::progress::TerminalBars::default();
                import::import_synthea_with(&pool, tenant_id, importer, &dir, &bars).await?
            };
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print!("{}", report.summary());
            }
        }
        Command::ImportFhir {
            tenant,
            path,
            as_user,
            json,
        } => {
            let pool = db::connect(&url, 2).await?;
            let tenant_id = tenant_id(&pool, &tenant).await?;
            let importer = user_id(&pool, tenant_id, &as_user).await?;
            let report = if json {
                medoffice_server::import_fhir::import_fhir(&pool, tenant_id, importer, &path)
                    .await?
            } else {
                let bars = medoffice_server::progress::TerminalBars::default();
                medoffice_server::import_fhir::import_fhir_with(
                    &pool, tenant_id, importer, &path, &bars,
                )
                .await?
            };
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
            let report = if json {
                legacy::import_legacy(&pool, tenant_id, importer, &file, &options).await?
            } else {
                let bars = medoffice_server::progress::TerminalBars::default();
                legacy::import_legacy_with(&pool, tenant_id, importer, &file, &options, &bars)
                    .await?
            };
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print!("{}", report.summary());
            }
        }
        Command::Restored { tenant } => {
            let mut owner = db::owner_connection(&url).await?;
            let n = db::restart_feed_history(&mut owner, tenant.as_deref()).await?;
            if n == 0 {
                anyhow::bail!("no such clinic");
            }
            println!(
                "{n} clinic(s): a new feed history; workstations download it again and keep their unsent changes"
            );
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
        Command::Demo {
            dir,
            without_hours,
            iso_dates,
        } => demo(&url, &dir, without_hours, iso_dates).await?,
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

async fn demo(
    url: &str,
    dir: &std::path::Path,
    without_hours: bool,
    iso_dates: bool,
) -> anyhow::Result<()> {
    db::migrate(url).await?;
    let mut owner = db::owner_connection(url).await?;
    let tenant = tenants::ensure_tenant(
        &mut owner,
        DEMO_TENANT,
        "Riverside Family Clinic",
        "America/New_York",
    )
    .await?;
    let (order, clock, week) = if iso_dates {
        ("year_month_day", "h23", "monday")
    } else {
        ("month_day_year", "h12", "sunday")
    };
    sqlx::query(
        "UPDATE tenants SET date_order = $2, hour_cycle = $3, week_start = $4 WHERE id = $1",
    )
    .bind(tenant)
    .bind(order)
    .bind(clock)
    .bind(week)
    .execute(&mut owner)
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
    if !without_hours
        && set_demo_availability(&pool, tenant, ids["admin"], ids["doctor"], ids["nurse"]).await?
    {
        println!("opening hours, working hours, a meeting and closed dates set");
    }
    let rooms = set_demo_rooms(&pool, tenant, ids["admin"]).await?;
    if rooms > 0 {
        println!("{rooms} rooms added");
    }
    let (day, booked) = book_todays_schedule(
        &pool,
        tenant,
        ids["doctor"],
        ids["nurse"],
        ids["reception"],
        !without_hours,
    )
    .await?;
    println!("schedule of {day}: {booked} appointments booked");
    println!();
    println!("Demo clinic code: {DEMO_TENANT}   (all demo passwords: {DEMO_PASSWORD})");
    for (username, name, role) in staff {
        println!("  {:<10} {:<13} {}", username, role.as_str(), name);
    }
    Ok(())
}

/// The demo clinic's week, unless its opening hours are set already (an admin may have changed
/// them): open Monday–Friday 08:00–18:00 and Saturday 09:00–13:00, closed on Sunday; the doctor
/// works weekdays with a lunch break, the nurse weekdays and Saturday morning; the doctor has a
/// practice meeting next Thursday afternoon; the clinic is closed on Christmas Day and New
/// Year's Day. True when it set them.
async fn set_demo_availability(
    pool: &sqlx::PgPool,
    tenant: Uuid,
    admin: Uuid,
    doctor: Uuid,
    nurse: Uuid,
) -> anyhow::Result<bool> {
    use medoffice_model::{
        AvailabilityUpdate, AvailableTime, BlockKind, DayOfWeek, NewScheduleBlock,
    };
    let mut tx = db::tenant_tx(pool, tenant).await?;
    let set: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM availability WHERE provider_id IS NULL)")
            .fetch_one(&mut *tx)
            .await?;
    if set {
        return Ok(false);
    }
    let week = |days: &[DayOfWeek], spans: &[(&str, &str)]| AvailabilityUpdate {
        available_time: days
            .iter()
            .flat_map(|d| {
                spans.iter().map(|(start, end)| AvailableTime {
                    day_of_week: *d,
                    start: (*start).into(),
                    end: (*end).into(),
                })
            })
            .collect(),
    };
    use DayOfWeek::*;
    let weekdays = [Mon, Tue, Wed, Thu, Fri];
    let mut clinic = week(&weekdays, &[("08:00", "18:00")]);
    clinic
        .available_time
        .extend(week(&[Sat], &[("09:00", "13:00")]).available_time);
    let doctor_hours = week(&weekdays, &[("08:30", "12:30"), ("13:30", "17:30")]);
    let mut nurse_hours = week(&weekdays, &[("08:00", "16:00")]);
    nurse_hours
        .available_time
        .extend(week(&[Sat], &[("09:00", "13:00")]).available_time);
    let hours = [
        (None, clinic),
        (Some(doctor), doctor_hours),
        (Some(nurse), nurse_hours),
    ];
    for (provider, update) in hours {
        update
            .validate()
            .map_err(|e| anyhow::anyhow!("demo hours: {e}"))?;
        clinical::availability::upsert_hours(&mut tx, tenant, admin, provider, &update).await?;
    }
    let tz = clinical::clinic_tz(&mut tx)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let today = chrono::Utc::now().with_timezone(&tz).date_naive();
    let local =
        |date: chrono::NaiveDate, time: &str| -> anyhow::Result<chrono::DateTime<chrono::Utc>> {
            let t = NaiveTime::parse_from_str(time, "%H:%M")?;
            tz.from_local_datetime(&date.and_time(t))
                .earliest()
                .map(|d| d.with_timezone(&chrono::Utc))
                .context("a local time that does not exist")
        };
    let next_thursday = today
        .iter_days()
        .skip(1)
        .find(|d| DayOfWeek::of(*d) == Thu)
        .context("no Thursday ahead")?;
    let mut blocks = vec![(
        Some(doctor),
        next_thursday,
        "15:30",
        next_thursday,
        "17:30",
        BlockKind::Meeting,
        "Practice meeting".to_owned(),
    )];
    for (month, day, name) in [(12, 25, "Christmas Day"), (1, 1, "New Year's Day")] {
        let year = if (today.month(), today.day()) <= (month, day) {
            today.year()
        } else {
            today.year() + 1
        };
        let date = chrono::NaiveDate::from_ymd_opt(year, month, day).context("a holiday date")?;
        let next = date.succ_opt().context("a holiday date")?;
        blocks.push((
            None,
            date,
            "00:00",
            next,
            "00:00",
            BlockKind::Holiday,
            format!("{name}: the clinic is closed"),
        ));
    }
    for (provider_id, from, from_time, to, to_time, kind, reason) in blocks {
        let new = NewScheduleBlock {
            id: None,
            provider_id,
            starts_at: local(from, from_time)?,
            ends_at: local(to, to_time)?,
            kind,
            reason,
        };
        new.validate()
            .map_err(|e| anyhow::anyhow!("demo block: {e}"))?;
        clinical::availability::insert_block(&mut tx, tenant, admin, Uuid::now_v7(), &new).await?;
    }
    tx.commit().await?;
    Ok(true)
}

/// The demo clinic's rooms, unless it has rooms already: two consulting rooms and triage.
/// Answers how many were added.
async fn set_demo_rooms(pool: &sqlx::PgPool, tenant: Uuid, admin: Uuid) -> anyhow::Result<usize> {
    let mut tx = db::tenant_tx(pool, tenant).await?;
    let any: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM rooms)")
        .fetch_one(&mut *tx)
        .await?;
    if any {
        return Ok(0);
    }
    let names = ["Room 1", "Room 2", "Triage"];
    for name in names {
        sqlx::query(
            "INSERT INTO rooms (id, tenant_id, name, created_by, updated_by) VALUES ($1, $2, $3, $4, $4)",
        )
        .bind(Uuid::now_v7())
        .bind(tenant)
        .bind(name)
        .bind(admin)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(names.len())
}

/// Books a day of visits for the demo physician and nurse, from the imported patients, on the
/// clinic's next open day from today on which the doctor works (today when it is one), unless
/// that day's demo schedule exists already. Visits that would fall outside anyone's hours are
/// left out. With `in_motion`, the day is under way as the clock says (see
/// [`set_demo_day_in_motion`]) and the weekly blood-pressure check is a recurring series of six
/// weekly visits. Answers the day and how many were booked.
async fn book_todays_schedule(
    pool: &sqlx::PgPool,
    tenant: Uuid,
    doctor: Uuid,
    nurse: Uuid,
    by: Uuid,
    in_motion: bool,
) -> anyhow::Result<(chrono::NaiveDate, usize)> {
    let mut tx = db::tenant_tx(pool, tenant).await?;
    let tz: chrono_tz::Tz = clinical::clinic_tz(&mut tx)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let first = chrono::Utc::now().with_timezone(&tz).date_naive();
    let horizon = first + chrono::Duration::days(14);
    let (clinic, doctor_hours, blocks) = clinical::availability::rules_for(
        &mut tx,
        doctor,
        chrono::Utc::now() - chrono::Duration::days(1),
        chrono::Utc::now() + chrono::Duration::days(15),
    )
    .await?;
    let rules = medoffice_model::AvailabilityRules {
        clinic: clinic.as_ref(),
        provider: doctor_hours.as_ref(),
        blocks: &blocks,
    };
    let today = first
        .iter_days()
        .take_while(|d| *d <= horizon)
        .find(|d| !medoffice_model::open_intervals(&tz, rules, doctor, *d, *d).is_empty())
        .unwrap_or(first);
    let tag = format!("demo:{today}:");
    let already: i64 =
        sqlx::query_scalar("SELECT count(*) FROM appointments WHERE source_id LIKE $1 || '%'")
            .bind(&tag)
            .fetch_one(&mut *tx)
            .await?;
    if already > 0 {
        return Ok((today, 0));
    }
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
    let mut day = Vec::new();
    for ((provider, time, minutes, kind, reason), patient) in slots.into_iter().zip(patients) {
        let t = NaiveTime::parse_from_str(time, "%H:%M")?;
        let Some(starts_at) = medoffice_model::wall_clock_instant(&tz, today.and_time(t)) else {
            continue;
        };
        // the nurse's weekly blood-pressure check recurs: six weeks from today
        let series = (in_motion && reason.starts_with("Weekly")).then(Uuid::now_v7);
        let starts = match series {
            Some(_) => medoffice_model::Recurrence {
                every: 1,
                unit: medoffice_model::RecurrenceUnit::Week,
                count: Some(6),
                until: None,
            }
            .starts(&tz, starts_at),
            None => vec![starts_at],
        };
        for (k, starts_at) in starts.into_iter().enumerate() {
            // outside the hours, or taken (by last week's run of this demo's series, or by a
            // visit of an earlier run that is already over): skipped
            if !fits_hours(&mut tx, &tz, provider, starts_at, minutes).await?
                || demo_slot_taken(&mut tx, provider, starts_at, minutes).await?
            {
                continue;
            }
            let new = NewAppointment {
                id: None,
                patient_id: patient,
                provider_id: provider,
                starts_at,
                duration_minutes: minutes,
                kind,
                reason: Some(reason.into()),
                notes: None,
                overbooked: None,
                outside_hours_reason: None,
                series_id: series,
                visit_type_id: None,
            };
            let a = appointments::insert_appointment(
                &mut tx,
                tenant,
                Some(by),
                Uuid::now_v7(),
                &new,
                AppointmentStatus::Scheduled,
                Some(&format!("{tag}{n}")),
            )
            .await?;
            if k == 0 {
                day.push(a);
            }
            n += 1;
        }
    }
    if in_motion && today == chrono::Utc::now().with_timezone(&tz).date_naive() {
        // arrivals in the order of the day, whoever the provider
        day.sort_by_key(|a| a.starts_at);
        set_demo_day_in_motion(&mut tx, &day, doctor).await?;
    }
    tx.commit().await?;
    Ok((today, n))
}

/// Whether any visit of `provider` that was not cancelled overlaps the slot. Stricter than a
/// booking's clash check, which lets a new visit into the time of a completed one: a demo run
/// later in the day would otherwise book this morning's finished visits a second time.
async fn demo_slot_taken(
    tx: &mut sqlx::PgConnection,
    provider: Uuid,
    starts_at: chrono::DateTime<chrono::Utc>,
    minutes: i32,
) -> anyhow::Result<bool> {
    Ok(sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM appointments WHERE provider_id = $1 AND NOT deleted \
         AND status <> 'cancelled' \
         AND tstzrange(starts_at, ends_at, '[)') && tstzrange($2, $2 + make_interval(mins => $3), '[)'))",
    )
    .bind(provider)
    .bind(starts_at)
    .bind(minutes)
    .fetch_one(&mut *tx)
    .await?)
}

/// Whether a visit of `provider` at `starts_at` for `minutes` is inside the clinic's and the
/// provider's hours and clear of blocks.
async fn fits_hours(
    tx: &mut sqlx::PgConnection,
    tz: &chrono_tz::Tz,
    provider: Uuid,
    starts_at: chrono::DateTime<chrono::Utc>,
    minutes: i32,
) -> anyhow::Result<bool> {
    let (clinic, hours, blocks) = clinical::availability::rules_for(
        tx,
        provider,
        starts_at,
        starts_at + chrono::Duration::minutes(i64::from(minutes)),
    )
    .await?;
    let rules = medoffice_model::AvailabilityRules {
        clinic: clinic.as_ref(),
        provider: hours.as_ref(),
        blocks: &blocks,
    };
    Ok(medoffice_model::check_booking(tz, rules, provider, starts_at, minutes).is_ok())
}

/// Where a demo visit stands when the demo is loaded at `now`: checked in at what time, then
/// which status (none: still waiting), and in which room (`Consulting`: the provider's own).
#[derive(Debug, PartialEq)]
enum DemoRoom {
    None,
    Consulting,
    Room2,
}

/// The state of one of today's demo visits at `now` (`arrived`: how many due soon have already
/// arrived, in start order): over is done, under way is with the clinician, and the next two
/// due within the hour have arrived (waiting 11 and 4 minutes; the second shown to Room 2).
fn demo_visit_at(
    starts_at: chrono::DateTime<chrono::Utc>,
    minutes: i32,
    now: chrono::DateTime<chrono::Utc>,
    arrived: &mut u8,
) -> Option<(
    chrono::DateTime<chrono::Utc>,
    Option<&'static str>,
    DemoRoom,
)> {
    let m = chrono::Duration::minutes;
    let ends = starts_at + m(i64::from(minutes));
    Some(if ends <= now {
        (starts_at - m(10), Some("completed"), DemoRoom::Consulting)
    } else if starts_at <= now {
        (starts_at - m(8), Some("in_progress"), DemoRoom::Consulting)
    } else if starts_at <= now + m(60) && *arrived < 2 {
        *arrived += 1;
        if *arrived == 1 {
            (now - m(11), None, DemoRoom::None)
        } else {
            (now - m(4), None, DemoRoom::Room2)
        }
    } else {
        return None;
    })
}

/// Today's demo visits as the clock finds them ([`demo_visit_at`]), so the waiting room has
/// people in it: the doctor consults in Room 1, the nurse in Triage. Through the same status
/// trigger as any check-in (migration 0004).
async fn set_demo_day_in_motion(
    tx: &mut sqlx::PgConnection,
    day: &[medoffice_model::Appointment],
    doctor: Uuid,
) -> anyhow::Result<()> {
    let rooms: std::collections::HashMap<String, Uuid> =
        sqlx::query_as("SELECT name, id FROM rooms WHERE active")
            .fetch_all(&mut *tx)
            .await?
            .into_iter()
            .collect();
    let now = chrono::Utc::now();
    let mut arrived = 0;
    for a in day {
        let Some((checked_in, then, room)) =
            demo_visit_at(a.starts_at, a.duration_minutes, now, &mut arrived)
        else {
            continue;
        };
        let room = match room {
            DemoRoom::None => None,
            DemoRoom::Consulting if a.provider_id == doctor => rooms.get("Room 1"),
            DemoRoom::Consulting => rooms.get("Triage"),
            DemoRoom::Room2 => rooms.get("Room 2"),
        };
        sqlx::query(
            "UPDATE appointments SET status = 'checked_in', checked_in_at = $2, room_id = $3 WHERE id = $1",
        )
        .bind(a.id)
        .bind(checked_in.min(now))
        .bind(room.copied())
        .execute(&mut *tx)
        .await?;
        if let Some(status) = then {
            sqlx::query("UPDATE appointments SET status = $2 WHERE id = $1")
                .bind(a.id)
                .bind(status)
                .execute(&mut *tx)
                .await?;
        }
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_day_follows_the_clock_at_its_edges() {
        let at = |s: &str| -> chrono::DateTime<chrono::Utc> { s.parse().unwrap() };
        let now = at("2026-12-07T15:00:00Z");
        let mut arrived = 0;
        let mut state = |start: &str, minutes| demo_visit_at(at(start), minutes, now, &mut arrived);
        // ended exactly now: done, checked in ten minutes before its start
        assert_eq!(
            state("2026-12-07T14:40:00Z", 20),
            Some((
                at("2026-12-07T14:30:00Z"),
                Some("completed"),
                DemoRoom::Consulting
            ))
        );
        // started exactly now: with the clinician
        assert_eq!(
            state("2026-12-07T15:00:00Z", 20),
            Some((
                at("2026-12-07T14:52:00Z"),
                Some("in_progress"),
                DemoRoom::Consulting
            ))
        );
        // the next two due within the hour have arrived, the second shown to Room 2
        assert_eq!(
            state("2026-12-07T15:20:00Z", 20),
            Some((at("2026-12-07T14:49:00Z"), None, DemoRoom::None))
        );
        assert_eq!(
            state("2026-12-07T16:00:00Z", 20),
            Some((at("2026-12-07T14:56:00Z"), None, DemoRoom::Room2))
        );
        // a third due soon, and one past the hour, are still expected
        assert_eq!(state("2026-12-07T15:30:00Z", 20), None);
        let mut none_yet = 0;
        assert_eq!(
            demo_visit_at(at("2026-12-07T16:00:01Z"), 20, now, &mut none_yet),
            None
        );
    }
}
