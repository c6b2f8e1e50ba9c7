//! `medoffice`: a headless workstation over the desktop core. Support staff use it to diagnose
//! a workstation (status, outbox, cache dump), scripts use it for bulk entry, and the fault
//! tests spawn and kill it. It uses the same data folder, cache and keyring entries as the
//! desktop app when pointed at the same `--data-dir` and `--keyring-service`.
//!
//! Output is JSON on stdout (one document per command; `sync --watch` prints one status per
//! line). Errors go to stderr as JSON `CommandError`s; the exit code is 1 for a refused
//! command, 2 when the server cannot be reached, 3 when nobody is signed in.
//!
//! Transport settings come from the environment: `MEDOFFICE_ALLOW_INSECURE_HTTP=1` allows plain
//! `http://` to another computer (refused otherwise), `MEDOFFICE_CA_CERT` names a PEM file of
//! extra CA certificates to trust.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use clap::{Parser, Subcommand};
use medoffice_client::view::{CommandError, ConflictChoice, ErrorCode};
use medoffice_client::{Workstation, WorkstationConfig};
use medoffice_model::{
    AdministrativeSex, AppointmentKind, AppointmentStatus, MutationKind, NewAppointment,
    NewPatient, NewVitalSigns,
};
use serde_json::{json, Map, Value};
use uuid::Uuid;

#[derive(Parser)]
#[command(name = "medoffice", version, about = "medoffice headless workstation")]
struct Cli {
    /// The workstation's folder (cache, preferences, device id).
    #[arg(long, env = "MEDOFFICE_DATA_DIR", global = true)]
    data_dir: Option<PathBuf>,
    /// Keyring service name the refresh token is stored under.
    #[arg(
        long,
        env = "MEDOFFICE_KEYRING_SERVICE",
        default_value = "medoffice",
        global = true
    )]
    keyring_service: String,
    /// Hours after an online sign-in during which offline unlock works.
    #[arg(long, env = "MEDOFFICE_OFFLINE_UNLOCK_HOURS", default_value_t = medoffice_client::DEFAULT_OFFLINE_UNLOCK_HOURS, global = true)]
    offline_unlock_hours: u32,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Sign in online (password from MEDOFFICE_PASSWORD or the terminal). Falls back to an
    /// offline unlock when the server cannot be reached.
    Login {
        /// Server base URL, e.g. http://127.0.0.1:8080.
        #[arg(long, env = "MEDOFFICE_SERVER_URL")]
        server: String,
        /// Clinic code.
        #[arg(long)]
        tenant: String,
        /// Username.
        #[arg(long)]
        username: String,
    },
    /// Unlock offline with the password of someone who signed in online here recently.
    Unlock {
        /// Clinic code.
        #[arg(long)]
        tenant: String,
        /// Username.
        #[arg(long)]
        username: String,
    },
    /// Sign out (revokes the session on the server when reachable; the outbox stays).
    Logout {
        /// Also remove this clinic's data from this computer: the encrypted cache, its key and
        /// the offline sign-ins of its people. Refused while changes wait to be sent.
        #[arg(long)]
        wipe: bool,
        /// With --wipe: remove even changes not yet sent to the server (they are lost).
        #[arg(long, requires = "wipe")]
        force: bool,
    },
    /// Connection and outbox state.
    Status,
    /// Pull the feed and push the outbox once, or keep running with --watch.
    Sync {
        /// Keep running: apply live changes and send new work until interrupted.
        #[arg(long)]
        watch: bool,
    },
    /// Search patients in the cache (same syntax as the app: names, dates of birth, phone, MRN).
    Search {
        /// The query.
        query: String,
        /// Most results.
        #[arg(long, default_value_t = 25)]
        limit: usize,
    },
    /// Register a patient (queued; sent when online).
    Register {
        /// Given name.
        #[arg(long)]
        given: String,
        /// Family name.
        #[arg(long)]
        family: String,
        /// Date of birth, YYYY-MM-DD.
        #[arg(long)]
        dob: NaiveDate,
        /// Administrative sex: female, male, other, unknown.
        #[arg(long)]
        sex: String,
        /// Phone.
        #[arg(long)]
        phone: Option<String>,
        /// Allergy (repeat for several).
        #[arg(long)]
        allergy: Vec<String>,
    },
    /// Edit a patient's demographics: `--set field=value` (JSON values allowed), repeated.
    Edit {
        /// Patient id or MRN.
        patient: String,
        /// field=value pairs.
        #[arg(long = "set", required = true)]
        set: Vec<String>,
    },
    /// Record a vital-signs set (queued; sent when online).
    Vitals {
        /// Patient id or MRN.
        #[arg(long)]
        patient: String,
        /// When measured (RFC 3339, or clinic-local YYYY-MM-DDTHH:MM); default now.
        #[arg(long)]
        at: Option<String>,
        /// Systolic blood pressure, mmHg.
        #[arg(long)]
        systolic: Option<i32>,
        /// Diastolic blood pressure, mmHg.
        #[arg(long)]
        diastolic: Option<i32>,
        /// Heart rate, beats/min.
        #[arg(long)]
        heart_rate: Option<i32>,
        /// Respiratory rate, breaths/min.
        #[arg(long)]
        respiratory_rate: Option<i32>,
        /// Temperature, °C.
        #[arg(long)]
        temperature: Option<f64>,
        /// SpO2, %.
        #[arg(long)]
        spo2: Option<i32>,
        /// Weight, kg.
        #[arg(long)]
        weight: Option<f64>,
        /// Height, cm.
        #[arg(long)]
        height: Option<f64>,
        /// Free-text note.
        #[arg(long)]
        notes: Option<String>,
    },
    /// Book an appointment (queued; a clash with the cache is refused at once).
    Book {
        /// Patient id or MRN.
        #[arg(long)]
        patient: String,
        /// Provider id or username.
        #[arg(long)]
        provider: String,
        /// Start (RFC 3339, or clinic-local YYYY-MM-DDTHH:MM).
        #[arg(long)]
        at: String,
        /// Length, minutes.
        #[arg(long, default_value_t = 15)]
        minutes: i32,
        /// Kind: new_patient, follow_up, consultation, vitals_check, procedure, telehealth, other.
        #[arg(long, default_value = "follow_up")]
        kind: String,
        /// Reason for the visit.
        #[arg(long)]
        reason: Option<String>,
    },
    /// Move an appointment along its workflow.
    SetStatus {
        /// Appointment id.
        id: Uuid,
        /// checked_in, in_progress, completed, no_show, cancelled.
        status: String,
        /// Note (the reason, for a cancellation).
        #[arg(long)]
        note: Option<String>,
    },
    /// The review list: field conflicts, refused changes, possible duplicates.
    Review,
    /// Resolve a field conflict.
    Resolve {
        /// Conflict id (from `review`).
        id: Uuid,
        /// mine or theirs.
        #[arg(long, conflicts_with = "value")]
        keep: Option<String>,
        /// A new value (JSON, or plain text).
        #[arg(long)]
        value: Option<String>,
    },
    /// Send a refused change again, optionally with corrected data (JSON).
    Resend {
        /// Mutation id (from `review`).
        mutation_id: Uuid,
        /// Replacement data, JSON.
        #[arg(long)]
        data: Option<String>,
    },
    /// Move a refused booking to another time.
    Rebook {
        /// Mutation id (from `review`).
        mutation_id: Uuid,
        /// New start (RFC 3339, or clinic-local YYYY-MM-DDTHH:MM).
        #[arg(long)]
        at: String,
        /// Provider id or username (default: the same).
        #[arg(long)]
        provider: Option<String>,
        /// Length, minutes (default: the same).
        #[arg(long)]
        minutes: Option<i32>,
    },
    /// Discard a refused change and what is held for it.
    Discard {
        /// Mutation id (from `review`).
        mutation_id: Uuid,
    },
    /// Mark two possible duplicates as different people.
    NotDuplicates {
        /// One patient id.
        a: Uuid,
        /// The other.
        b: Uuid,
    },
    /// The outbox: pending, refused and held changes, oldest first.
    Outbox,
    /// The whole cache as JSON.
    Dump,
}

fn password() -> Result<String, CommandError> {
    if let Ok(p) = std::env::var("MEDOFFICE_PASSWORD") {
        return Ok(p);
    }
    rpassword::prompt_password("Password: ")
        .map_err(|e| CommandError::new(ErrorCode::Internal, format!("cannot read password: {e}")))
}

fn invalid(field: &str, msg: impl Into<String>) -> CommandError {
    let mut f = medoffice_model::FieldErrors::new();
    f.add(field, msg);
    CommandError::validation(f)
}

fn parse_json_or_text(v: &str) -> Value {
    serde_json::from_str(v).unwrap_or_else(|_| Value::String(v.to_owned()))
}

/// RFC 3339, or clinic-local `YYYY-MM-DDTHH:MM` / `YYYY-MM-DD HH:MM`.
fn instant(s: &str, tz: chrono_tz::Tz, field: &str) -> Result<DateTime<Utc>, CommandError> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    for f in ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"] {
        if let Ok(n) = NaiveDateTime::parse_from_str(s, f) {
            return tz
                .from_local_datetime(&n)
                .earliest()
                .map(|t| t.with_timezone(&Utc))
                .ok_or_else(|| invalid(field, "does not exist in the clinic's time zone"));
        }
    }
    Err(invalid(
        field,
        "use YYYY-MM-DDTHH:MM (clinic time) or RFC 3339",
    ))
}

async fn patient_id(ws: &Workstation, key: &str) -> Result<Uuid, CommandError> {
    if let Ok(id) = Uuid::parse_str(key) {
        return Ok(id);
    }
    let hits = ws.search_patients(key, 50).await?;
    hits.into_iter()
        .find(|p| p.record.mrn.eq_ignore_ascii_case(key))
        .map(|p| p.record.id)
        .ok_or_else(|| invalid("patient", format!("no patient with id or MRN {key}")))
}

async fn provider_id(ws: &Workstation, key: &str) -> Result<Uuid, CommandError> {
    if let Ok(id) = Uuid::parse_str(key) {
        return Ok(id);
    }
    ws.staff()
        .await?
        .into_iter()
        .find(|m| m.username.eq_ignore_ascii_case(key))
        .map(|m| m.id)
        .ok_or_else(|| invalid("provider", format!("no active staff member {key}")))
}

async fn signed_in(ws: &Workstation) -> Result<(), CommandError> {
    match ws.resume().await? {
        Some(_) => Ok(()),
        None => Err(CommandError::new(
            ErrorCode::NotSignedIn,
            "Nobody is signed in on this workstation; run `medoffice login`",
        )),
    }
}

fn out(v: impl serde::Serialize) -> Result<(), CommandError> {
    let text = serde_json::to_string_pretty(&v)
        .map_err(|e| CommandError::new(ErrorCode::Internal, e.to_string()))?;
    println!("{text}");
    Ok(())
}

async fn run(cli: Cli) -> Result<(), CommandError> {
    let data_dir = match cli.data_dir {
        Some(d) => d,
        None => std::env::var_os("HOME")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("."))
            .join(".local/share/medoffice-cli"),
    };
    let mut config = WorkstationConfig::in_dir(data_dir, cli.keyring_service)
        .map_err(|e| CommandError::new(ErrorCode::Internal, e.to_string()))?;
    config.offline_unlock_hours = cli.offline_unlock_hours;
    let ws = Workstation::open(config)?;
    match cli.command {
        Command::Login {
            server,
            tenant,
            username,
        } => {
            let user = ws.login(&server, &tenant, &username, &password()?).await?;
            // let the first catch-up finish so the cache is usable at once
            let _ = ws.sync_now().await;
            out(json!({"user": user, "status": ws.status()}))
        }
        Command::Unlock { tenant, username } => {
            let user = ws.unlock_offline(&tenant, &username, &password()?).await?;
            out(json!({"user": user, "status": ws.status()}))
        }
        Command::Logout { wipe, force } => {
            ws.resume().await?;
            ws.logout(wipe, force).await?;
            out(json!({"signed_out": true, "wiped": wipe}))
        }
        Command::Status => {
            signed_in(&ws).await?;
            out(ws.status())
        }
        Command::Sync { watch } => {
            signed_in(&ws).await?;
            if !watch {
                ws.sync_now().await?;
                return out(ws.status());
            }
            let mut rx = ws.subscribe_status();
            out(ws.status())?;
            loop {
                tokio::select! {
                    changed = rx.changed() => {
                        if changed.is_err() { break; }
                        let st = rx.borrow_and_update().clone();
                        println!("{}", serde_json::to_string(&st).unwrap_or_default());
                    }
                    _ = tokio::signal::ctrl_c() => break,
                }
            }
            Ok(())
        }
        Command::Search { query, limit } => {
            signed_in(&ws).await?;
            out(ws.search_patients(&query, limit).await?)
        }
        Command::Register {
            given,
            family,
            dob,
            sex,
            phone,
            allergy,
        } => {
            signed_in(&ws).await?;
            let sex: AdministrativeSex = serde_json::from_value(Value::String(sex))
                .map_err(|_| invalid("sex", "use female, male, other or unknown"))?;
            let p = ws
                .register_patient(NewPatient {
                    id: None,
                    given_name: given,
                    family_name: family,
                    date_of_birth: dob,
                    sex,
                    phone,
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
                    allergies: (!allergy.is_empty()).then_some(allergy),
                    no_known_allergies: None,
                    notes: None,
                    first_seen_at: None,
                })
                .await?;
            out(p)
        }
        Command::Edit { patient, set } => {
            signed_in(&ws).await?;
            let id = patient_id(&ws, &patient).await?;
            let mut changes = Map::new();
            for pair in set {
                let (k, v) = pair
                    .split_once('=')
                    .ok_or_else(|| invalid("set", format!("{pair}: use field=value")))?;
                changes.insert(k.trim().to_owned(), parse_json_or_text(v));
            }
            out(ws.edit_patient(id, changes).await?)
        }
        Command::Vitals {
            patient,
            at,
            systolic,
            diastolic,
            heart_rate,
            respiratory_rate,
            temperature,
            spo2,
            weight,
            height,
            notes,
        } => {
            signed_in(&ws).await?;
            let tz = ws.session().await?.tz();
            let id = patient_id(&ws, &patient).await?;
            let measured_at = match at {
                Some(a) => instant(&a, tz, "at")?,
                // by the server's clock as last learned: this computer's may be off
                None => ws.session().await?.now(),
            };
            let measurements = serde_json::from_value(json!({
                "systolic_mmhg": systolic, "diastolic_mmhg": diastolic, "heart_rate_bpm": heart_rate,
                "respiratory_rate_bpm": respiratory_rate, "temperature_c": temperature, "spo2_pct": spo2,
                "weight_kg": weight, "height_cm": height,
            }))
            .map_err(|e| CommandError::new(ErrorCode::Internal, e.to_string()))?;
            let v = ws
                .record_vitals(
                    id,
                    NewVitalSigns {
                        id: None,
                        measured_at,
                        measurements,
                        notes,
                        entered_offline: None,
                    },
                )
                .await?;
            out(v)
        }
        Command::Book {
            patient,
            provider,
            at,
            minutes,
            kind,
            reason,
        } => {
            signed_in(&ws).await?;
            let tz = ws.session().await?.tz();
            let kind: AppointmentKind = serde_json::from_value(Value::String(kind))
                .map_err(|_| invalid("kind", "use new_patient, follow_up, consultation, vitals_check, procedure, telehealth or other"))?;
            let a = ws
                .book_appointment(NewAppointment {
                    id: None,
                    patient_id: patient_id(&ws, &patient).await?,
                    provider_id: provider_id(&ws, &provider).await?,
                    starts_at: instant(&at, tz, "at")?,
                    duration_minutes: minutes,
                    kind,
                    reason,
                    notes: None,
                    overbooked: None,
                    outside_hours_reason: None,
                    series_id: None,
                    visit_type_id: None,
                })
                .await?;
            out(a)
        }
        Command::SetStatus { id, status, note } => {
            signed_in(&ws).await?;
            let status: AppointmentStatus =
                serde_json::from_value(Value::String(status)).map_err(|_| {
                    invalid(
                        "status",
                        "use checked_in, in_progress, completed, no_show or cancelled",
                    )
                })?;
            out(ws.set_appointment_status(id, status, note).await?)
        }
        Command::Review => {
            signed_in(&ws).await?;
            out(ws.review_list().await?)
        }
        Command::Resolve { id, keep, value } => {
            signed_in(&ws).await?;
            let choice = match (keep.as_deref(), value) {
                (Some("mine"), None) => ConflictChoice::KeepMine,
                (Some("theirs"), None) => ConflictChoice::KeepTheirs,
                (None, Some(v)) => ConflictChoice::Edit {
                    value: parse_json_or_text(&v),
                },
                _ => {
                    return Err(invalid(
                        "keep",
                        "give --keep mine, --keep theirs or --value",
                    ))
                }
            };
            ws.resolve_conflict(id, choice).await?;
            out(json!({"resolved": id}))
        }
        Command::Resend { mutation_id, data } => {
            signed_in(&ws).await?;
            let data = data
                .map(|d| serde_json::from_str(&d).map_err(|e| invalid("data", e.to_string())))
                .transpose()?;
            out(json!({"mutation_id": ws.resend(mutation_id, data).await?}))
        }
        Command::Rebook {
            mutation_id,
            at,
            provider,
            minutes,
        } => {
            signed_in(&ws).await?;
            let tz = ws.session().await?.tz();
            let queued = ws
                .outbox()
                .await?
                .into_iter()
                .find(|e| e.mutation.mutation_id == mutation_id)
                .ok_or_else(|| CommandError::new(ErrorCode::NotFound, "No such queued change"))?;
            let MutationKind::BookAppointment(old) = queued.mutation.kind else {
                return Err(invalid("mutation_id", "is not a booking"));
            };
            let provider = match provider {
                Some(p) => provider_id(&ws, &p).await?,
                None => old.provider_id,
            };
            let id = ws
                .rebook(
                    mutation_id,
                    instant(&at, tz, "at")?,
                    provider,
                    minutes.unwrap_or(old.duration_minutes),
                )
                .await?;
            out(json!({"mutation_id": id}))
        }
        Command::Discard { mutation_id } => {
            signed_in(&ws).await?;
            out(json!({"discarded": ws.discard(mutation_id).await?}))
        }
        Command::NotDuplicates { a, b } => {
            signed_in(&ws).await?;
            ws.dismiss_duplicate(a, b).await?;
            out(json!({"dismissed": [a, b]}))
        }
        Command::Outbox => {
            signed_in(&ws).await?;
            let entries: Vec<Value> = ws
                .outbox()
                .await?
                .into_iter()
                .map(|e| {
                    json!({"seq": e.seq, "state": e.state, "error": e.error, "held_by": e.held_by,
                           "created_at": e.created_at, "mutation": e.mutation.encode()})
                })
                .collect();
            out(entries)
        }
        Command::Dump => {
            signed_in(&ws).await?;
            out(ws.dump().await?)
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("MEDOFFICE_LOG")
                .unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let result = run(cli).await;
    // give the engine a moment to hand a last answer to the cache, then stop
    tokio::time::sleep(Duration::from_millis(10)).await;
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{}", serde_json::to_string(&e).unwrap_or(e.message.clone()));
            ExitCode::from(match e.code {
                ErrorCode::Network => 2,
                ErrorCode::NotSignedIn => 3,
                _ => 1,
            })
        }
    }
}
