//! Offline unlock (issue 3): someone who signed in online on a workstation signs in there again
//! with the server away, works, and the work arrives under their name when the server is back;
//! when their session expired meanwhile, the queue waits for them to sign in again and is sent
//! then, never discarded.

use std::time::Duration;

use chrono::Utc;
use medoffice_client::view::{ConnectionState, ErrorCode};
use medoffice_client::Workstation;
use medoffice_e2e::proxy::Proxy;
use medoffice_e2e::{wait_for, workstation_config, System, PASSWORD};
use medoffice_model::{AdministrativeSex, Measurements, NewPatient, NewVitalSigns};

fn err(e: impl std::fmt::Display) -> anyhow::Error {
    anyhow::anyhow!("{e}")
}

fn vitals() -> NewVitalSigns {
    NewVitalSigns {
        id: None,
        measured_at: Utc::now(),
        measurements: Measurements {
            systolic_mmhg: Some(128),
            diastolic_mmhg: Some(84),
            heart_rate_bpm: Some(76),
            ..Default::default()
        },
        notes: None,
        entered_offline: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_nurse_unlocks_offline_works_and_her_queue_survives_an_expired_session(
) -> anyhow::Result<()> {
    let sys = System::start().await?;
    let tenant = sys.clinic("outreach", "UTC").await?;
    let proxy = Proxy::start(sys.server_addr()?).await?;
    let dir = tempfile::tempdir()?;
    let config = workstation_config(dir.path(), "nurse");

    // online sign-in on this workstation; a patient arrives in the cache
    let ws = Workstation::open(config.clone()).map_err(err)?;
    ws.login(&proxy.url(), "outreach", "nurse", PASSWORD)
        .await
        .map_err(err)?;
    let p = ws
        .register_patient(NewPatient {
            id: None,
            given_name: "Oona".into(),
            family_name: "Outreach".into(),
            date_of_birth: chrono::NaiveDate::from_ymd_opt(1950, 1, 2).expect("date"),
            sex: AdministrativeSex::Female,
            phone: None,
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
            allergies: None,
            no_known_allergies: None,
            notes: None,
            first_seen_at: None,
        })
        .await
        .map_err(err)?;
    wait_for(Duration::from_secs(30), || async {
        let st = ws.status();
        st.state == ConnectionState::Online && st.pending == 0
    })
    .await?;
    ws.close().await;

    // the app restarts at the outpost with no link: the password unlocks it offline
    proxy.set_online(false);
    let ws = Workstation::open(config.clone()).map_err(err)?;
    let wrong = ws
        .login(&proxy.url(), "outreach", "nurse", "not her password")
        .await
        .expect_err("a wrong password does not unlock");
    assert_eq!(wrong.code, ErrorCode::Network, "{wrong:?}");
    let user = ws
        .login(&proxy.url(), "outreach", "nurse", PASSWORD)
        .await
        .map_err(err)?;
    assert_eq!(user.username, "nurse");
    for _ in 0..3 {
        ws.record_vitals(p.record.id, vitals()).await.map_err(err)?;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let st = ws.status();
    assert_eq!(
        (st.state, st.pending),
        (ConnectionState::Offline, 3),
        "{st:?}"
    );
    assert!(
        st.last_synced_at.is_some(),
        "the status bar still knows when the cache was last current"
    );

    // the link returns: sent under her name with the refresh token from the keyring
    proxy.set_online(true);
    wait_for(Duration::from_secs(60), || async {
        let st = ws.status();
        st.state == ConnectionState::Online && st.pending == 0
    })
    .await?;
    let mut c = medoffice_server::db::owner_connection(&sys.database_url).await?;
    let by_nurse: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM vital_signs v JOIN users u ON u.id = v.recorded_by \
         WHERE v.tenant_id = $1 AND u.username = 'nurse'",
    )
    .bind(tenant)
    .fetch_one(&mut c)
    .await?;
    assert_eq!(by_nurse, 3);
    ws.close().await;

    // offline again, and meanwhile her sessions end (the admin signed her out everywhere)
    proxy.set_online(false);
    let ws = Workstation::open(config.clone()).map_err(err)?;
    ws.unlock_offline("outreach", "nurse", PASSWORD)
        .await
        .map_err(err)?;
    ws.record_vitals(p.record.id, vitals()).await.map_err(err)?;
    sqlx::query("UPDATE refresh_tokens SET revoked_at = now() WHERE tenant_id = $1")
        .bind(tenant)
        .execute(&mut c)
        .await?;
    proxy.set_online(true);
    wait_for(Duration::from_secs(60), || async {
        ws.status().sign_in_required
    })
    .await?;
    assert_eq!(ws.status().pending, 1, "kept, not discarded");
    // she signs in again: the queue goes
    ws.login(&proxy.url(), "outreach", "nurse", PASSWORD)
        .await
        .map_err(err)?;
    wait_for(Duration::from_secs(60), || async {
        let st = ws.status();
        st.state == ConnectionState::Online && st.pending == 0 && !st.sign_in_required
    })
    .await?;
    let total: i64 = sqlx::query_scalar("SELECT count(*) FROM vital_signs WHERE tenant_id = $1")
        .bind(tenant)
        .fetch_one(&mut c)
        .await?;
    assert_eq!(total, 4);

    // a workstation configured without offline sign-in refuses it (expiry: unit test in offline.rs)
    ws.close().await;
    let mut short = config;
    short.offline_unlock_hours = 0;
    let ws = Workstation::open(short).map_err(err)?;
    assert!(ws
        .unlock_offline("outreach", "nurse", PASSWORD)
        .await
        .is_err());
    Ok(())
}
