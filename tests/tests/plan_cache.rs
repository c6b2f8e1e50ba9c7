//! A statement's plan must not depend on which clinic a database connection first ran it for.
//!
//! PostgreSQL estimates a row-level-security condition (`tenant_id = current_setting(…)`) with
//! the clinic set when it plans, and a connection keeps a generic plan after five runs. A
//! connection that first recorded vital signs for a clinic the statistics did not know kept a
//! plan for the new-set pre-check that finds "is this id already stored?" by walking the
//! clinic's vital signs along `(tenant_id, revision)` instead of probing the primary key: cheap
//! for that clinic, and then one walk of every set per new set for a large one (the outbox drain
//! inside `scripts/bench`: 14 ms a set, docs/bench/side-by-side.md, fourth stop). The pre-check
//! is now `medoffice_vitals_precheck` (migration 0024), whose only plan is the primary key; the
//! group commit calls the same function.
#![allow(clippy::unwrap_used, clippy::panic)]

use chrono::Utc;
use medoffice_e2e::{Http, System};
use medoffice_model::vitals::NewVitalSigns;
use medoffice_model::Role;
use medoffice_server::auth::Actor;
use reqwest::Method;
use serde_json::json;
use uuid::Uuid;

async fn actor(sys: &System, tenant: Uuid) -> anyhow::Result<Actor> {
    let mut tx = medoffice_server::db::tenant_tx(&sys.pool, tenant).await?;
    let user_id: Uuid = sqlx::query_scalar("SELECT id FROM users WHERE username = 'nurse'")
        .fetch_one(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(Actor {
        user_id,
        tenant_id: tenant,
        username: "nurse".into(),
        role: Role::Nurse,
        device_id: None,
        ip: None,
        expires_at: Utc::now().timestamp() + 600,
        session_epoch: 0,
    })
}

async fn patient(http: &Http, code: &str) -> anyhow::Result<Uuid> {
    let token = http.token(code, "nurse").await?;
    let (s, p) = http
        .call(
            Method::POST,
            "/api/v1/patients",
            Some(&token),
            Some(
                json!({"given_name": "Ada", "family_name": format!("Clinic {code}"),
                "date_of_birth": "1960-01-02", "sex": "female"}),
            ),
        )
        .await?;
    assert_eq!(s, 201, "{p}");
    Ok(p["id"].as_str().unwrap().parse()?)
}

fn new_set() -> NewVitalSigns {
    serde_json::from_value(json!({"id": Uuid::now_v7(), "measured_at": Utc::now(),
        "systolic_mmhg": 120, "diastolic_mmhg": 80, "heart_rate_bpm": 70}))
    .unwrap()
}

/// Records a set on `pool`'s connection for `who`, and answers how many rows of `vital_signs`
/// that transaction fetched through an index or read in a sequential scan
/// (`pg_stat_xact_user_tables`).
async fn record(pool: &sqlx::PgPool, who: &Actor, patient: Uuid) -> anyhow::Result<i64> {
    let fetched = "SELECT coalesce(sum(coalesce(idx_tup_fetch, 0) + seq_tup_read), 0)::bigint \
                   FROM pg_stat_xact_user_tables \
                   WHERE relname = 'vital_signs'";
    let mut tx = medoffice_server::db::tenant_tx(pool, who.tenant_id).await?;
    let before: i64 = sqlx::query_scalar(fetched).fetch_one(&mut *tx).await?;
    medoffice_server::clinical::vitals::record_vitals(&mut tx, who, patient, new_set())
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let after: i64 = sqlx::query_scalar(fetched).fetch_one(&mut *tx).await?;
    tx.commit().await?;
    Ok(after - before)
}

/// The tables' owner as the test clusters and `scripts/bench` make it (`postgres`, a superuser: no policies apply to
/// the function) and as README's "Running it for a clinic" asks (an ordinary role: its
/// policies, OR'ed with the all-clinics one, apply).
const OWNERS: [Option<&str>; 2] = [None, Some("medoffice_owner")];

async fn system(owner: Option<&str>) -> anyhow::Result<System> {
    match owner {
        None => System::start().await,
        Some(owner) => System::start_owned_by(owner).await,
    }
}

#[tokio::test]
async fn a_new_set_probes_its_id_whichever_clinic_the_connection_served_first() -> anyhow::Result<()>
{
    for owner in OWNERS {
        probes_its_id(owner).await?;
    }
    Ok(())
}

async fn probes_its_id(owner: Option<&str>) -> anyhow::Result<()> {
    let sys = system(owner).await?;
    let small = sys.clinic("small", "UTC").await?;
    let large = sys.clinic("large", "UTC").await?;
    let http = Http::new(&sys.server.url());
    let small_patient = patient(&http, "small").await?;
    let large_patient = patient(&http, "large").await?;
    let (small_nurse, large_nurse) = (actor(&sys, small).await?, actor(&sys, large).await?);

    // the large clinic's history: 20,000 sets, and statistics that know it
    let mut tx = medoffice_server::db::tenant_tx(&sys.pool, large).await?;
    sqlx::query(
        "INSERT INTO vital_signs (id, tenant_id, patient_id, measured_at, recorded_by, heart_rate_bpm, \
         created_by, updated_by) SELECT gen_random_uuid(), $1, $2, now() - g * interval '1 minute', $3, 70, $3, $3 \
         FROM generate_series(1, 20000) AS g",
    )
    .bind(large)
    .bind(large_patient)
    .bind(large_nurse.user_id)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    let mut as_owner = medoffice_server::db::owner_connection(&sys.database_url).await?;
    sqlx::query("ANALYZE vital_signs")
        .execute(&mut as_owner)
        .await?;

    // one connection, as a server's pooled connection is: first the small clinic's sets, enough
    // runs for PostgreSQL to settle on a generic plan
    let pool = medoffice_server::db::connect(&sys.database_url, 1).await?;
    for _ in 0..8 {
        record(&pool, &small_nurse, small_patient).await?;
    }
    // then the large clinic's: its new set is one probe of the primary key, not a walk
    for _ in 0..3 {
        let fetched = record(&pool, &large_nurse, large_patient).await?;
        assert!(
            fetched < 100,
            "recording one set fetched {fetched} of the clinic's vital signs (owner {owner:?})"
        );
    }
    Ok(())
}

/// The pre-check runs as the tables' owner: it must still show one clinic, the caller's, even
/// to a caller that asks for every clinic (`app.all_tenants` is the owner's switch, migration
/// 0013).
#[tokio::test]
async fn the_pre_check_shows_nothing_of_another_clinic() -> anyhow::Result<()> {
    for owner in OWNERS {
        shows_one_clinic(owner).await?;
    }
    Ok(())
}

async fn shows_one_clinic(owner: Option<&str>) -> anyhow::Result<()> {
    let sys = system(owner).await?;
    let mine = sys.clinic("mine", "UTC").await?;
    let theirs = sys.clinic("theirs", "Europe/Paris").await?;
    let http = Http::new(&sys.server.url());
    let my_patient = patient(&http, "mine").await?;
    let their_patient = patient(&http, "theirs").await?;
    let their_nurse = actor(&sys, theirs).await?;
    let set = new_set();
    let their_set = set.id.unwrap();
    let mut tx = medoffice_server::db::tenant_tx(&sys.pool, theirs).await?;
    medoffice_server::clinical::vitals::record_vitals(&mut tx, &their_nurse, their_patient, set)
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    tx.commit().await?;

    type Row = (
        bool,
        Uuid,
        Option<chrono::NaiveDate>,
        Option<String>,
        Option<String>,
    );
    let check = "SELECT stored, standing, date_of_birth, sex, time_zone \
                 FROM medoffice_vitals_precheck($1, $2)";
    let mut tx = medoffice_server::db::tenant_tx(&sys.pool, mine).await?;
    sqlx::query("SELECT set_config('app.all_tenants', 'on', true)")
        .execute(&mut *tx)
        .await?;
    // their set and patient, asked from my clinic: not there
    let (stored, standing, birth, sex, zone): Row = sqlx::query_as(check)
        .bind([their_set].as_slice())
        .bind([their_patient].as_slice())
        .fetch_one(&mut *tx)
        .await?;
    assert!(!stored, "another clinic's set reads as stored");
    assert_eq!(standing, their_patient);
    assert_eq!(
        (birth, sex),
        (None, None),
        "another clinic's patient was read"
    );
    assert_eq!(zone.as_deref(), Some("UTC"), "the zone is my clinic's");
    // my own patient, on the same call: found
    let (stored, _, birth, sex, _): Row = sqlx::query_as(check)
        .bind([Uuid::now_v7()].as_slice())
        .bind([my_patient].as_slice())
        .fetch_one(&mut *tx)
        .await?;
    assert!(!stored);
    assert_eq!(
        birth,
        Some(chrono::NaiveDate::from_ymd_opt(1960, 1, 2).unwrap())
    );
    assert_eq!(sex.as_deref(), Some("female"));
    tx.rollback().await?;

    // no clinic set: an error, not an empty answer that would read as "no such patient"
    let mut tx = sys.pool.begin().await?;
    let none = sqlx::query(check)
        .bind([Uuid::now_v7()].as_slice())
        .bind([my_patient].as_slice())
        .fetch_all(&mut *tx)
        .await;
    let e = none.expect_err("answered with no clinic set");
    assert!(e.to_string().contains("app.tenant_id is not set"), "{e}");
    Ok(())
}
