//! The workstation's security (issue 4) against the real server: the cache is encrypted at rest
//! and its key survives the OS keyring forgetting everything (a restart) through the wrapped
//! copies, without losing queued work; sign-out can remove a clinic's data, but not work that
//! was never sent unless forced (core and CLI).

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use chrono::Utc;
use medoffice_client::view::{ConnectionState, ErrorCode};
use medoffice_client::{Workstation, WorkstationConfig};
use medoffice_e2e::proxy::Proxy;
use medoffice_e2e::{cli_path, new_patient, wait_for, workstation_config, System, PASSWORD};
use medoffice_model::{Measurements, NewVitalSigns};
use uuid::Uuid;

fn err(e: impl std::fmt::Display) -> anyhow::Error {
    anyhow::anyhow!("{e}")
}

fn vitals() -> NewVitalSigns {
    NewVitalSigns {
        id: None,
        measured_at: Utc::now(),
        measurements: Measurements {
            systolic_mmhg: Some(131),
            diastolic_mmhg: Some(86),
            ..Default::default()
        },
        notes: Some("Quackenbush reports dizziness".into()),
        entered_offline: None,
    }
}

/// Every byte SQLite keeps for the cache at `path`: the database, its WAL and journals.
fn raw_bytes(path: &Path) -> Vec<u8> {
    ["", "-wal", "-shm", "-journal"]
        .iter()
        .filter_map(|s| {
            let mut p = path.as_os_str().to_owned();
            p.push(s);
            std::fs::read(p).ok()
        })
        .flatten()
        .collect()
}

fn shows(path: &Path, text: &str) -> bool {
    raw_bytes(path)
        .windows(text.len())
        .any(|w| w == text.as_bytes())
}

async fn drained(ws: &Workstation) -> anyhow::Result<Duration> {
    wait_for(Duration::from_secs(60), || async {
        let st = ws.status();
        st.state == ConnectionState::Online && st.pending == 0
    })
    .await
}

/// The same workstation after a restart of the computer: same folder and device, but the
/// kernel keyring is empty (a keyring namespace nothing was ever stored in).
fn after_restart(config: &WorkstationConfig) -> WorkstationConfig {
    let mut c = config.clone();
    c.keyring_service = format!("medoffice-test-rebooted-{}", Uuid::new_v4());
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_cache_is_encrypted_and_a_restart_loses_neither_its_key_nor_queued_work(
) -> anyhow::Result<()> {
    let sys = System::start().await?;
    let tenant = sys.clinic("vault", "UTC").await?;
    let proxy = Proxy::start(sys.server_addr()?).await?;
    let dir = tempfile::tempdir()?;
    let config = workstation_config(dir.path(), "nurse");
    let cache_path = dir.path().join(format!("cache-{tenant}.sqlite"));

    // the nurse works online, then the link drops and she queues more
    let ws = Workstation::open(config.clone()).map_err(err)?;
    ws.login(&proxy.url(), "vault", "nurse", PASSWORD)
        .await
        .map_err(err)?;
    let known = ws
        .register_patient(new_patient("Quirina", "Zwackelmann"))
        .await
        .map_err(err)?;
    drained(&ws).await?;
    proxy.set_online(false);
    ws.register_patient(new_patient("Ottilie", "Quackenbush"))
        .await
        .map_err(err)?;
    ws.record_vitals(known.record.id, vitals())
        .await
        .map_err(err)?;
    ws.record_vitals(known.record.id, vitals())
        .await
        .map_err(err)?;
    assert_eq!(ws.status().pending, 3);

    // on disk: no name, neither of the synced patient nor of the queued one, in the file or
    // its WAL; and without the key it is not a database
    assert!(cache_path.exists());
    for name in ["Zwackelmann", "Quackenbush", "penicillin"] {
        assert!(!shows(&cache_path, name), "{name} readable on disk");
    }
    let bare = rusqlite::Connection::open(&cache_path)?;
    assert!(bare
        .query_row("SELECT count(*) FROM outbox", [], |r| r.get::<_, i64>(0))
        .is_err());
    drop(bare);
    ws.close().await;

    // the computer restarts: the keyring is empty (refresh token and cache key gone)
    let rebooted = after_restart(&config);
    let ws = Workstation::open(rebooted.clone()).map_err(err)?;
    assert!(
        ws.resume().await.map_err(err)?.is_none(),
        "nobody is signed in"
    );
    // the receptionist never signed in here: she holds no copy of the key, is told who does,
    // and nothing is touched
    proxy.set_online(true);
    let size = std::fs::metadata(&cache_path)?.len();
    let refused = ws
        .login(&proxy.url(), "vault", "reception", PASSWORD)
        .await
        .expect_err("no key for her");
    assert_eq!(refused.code, ErrorCode::Conflict, "{refused:?}");
    assert!(refused.message.contains("nurse"), "{refused:?}");
    assert_eq!(std::fs::metadata(&cache_path)?.len(), size);

    // the nurse unlocks offline with her password: her wrapped copy restores the key, and the
    // queue is intact
    proxy.set_online(false);
    ws.login(&proxy.url(), "vault", "nurse", PASSWORD)
        .await
        .map_err(err)?;
    // the engine starts with a sync attempt and reports offline once it has failed
    wait_for(Duration::from_secs(20), || async {
        ws.status().state == ConnectionState::Offline
    })
    .await?;
    let st = ws.status();
    assert_eq!(
        (st.state, st.pending),
        (ConnectionState::Offline, 3),
        "{st:?}"
    );
    let outbox = ws.outbox().await.map_err(err)?;
    assert_eq!(outbox.len(), 3);
    assert_eq!(
        ws.search_patients("quackenbush", 5)
            .await
            .map_err(err)?
            .len(),
        1
    );
    // the link returns; the refresh token went with the keyring, so she signs in once more
    // and everything arrives
    proxy.set_online(true);
    wait_for(Duration::from_secs(60), || async {
        ws.status().sign_in_required
    })
    .await?;
    assert_eq!(ws.status().pending, 3, "kept while waiting for her");
    ws.login(&proxy.url(), "vault", "nurse", PASSWORD)
        .await
        .map_err(err)?;
    drained(&ws).await?;
    let mut c = medoffice_server::db::owner_connection(&sys.database_url).await?;
    let vitals_on_server: i64 =
        sqlx::query_scalar("SELECT count(*) FROM vital_signs WHERE tenant_id = $1")
            .bind(tenant)
            .fetch_one(&mut c)
            .await?;
    assert_eq!(vitals_on_server, 2);
    let patients_on_server: i64 =
        sqlx::query_scalar("SELECT count(*) FROM patients WHERE tenant_id = $1")
            .bind(tenant)
            .fetch_one(&mut c)
            .await?;
    assert_eq!(patients_on_server, 2);
    ws.close().await;

    // the key is back in the keyring: the receptionist may now sign in, and gets her own copy
    let ws = Workstation::open(rebooted.clone()).map_err(err)?;
    ws.login(&proxy.url(), "vault", "reception", PASSWORD)
        .await
        .map_err(err)?;
    assert_eq!(ws.cache_counts().await.map_err(err)?.0, 2);
    ws.close().await;
    // after another restart she alone can restore it, online this time
    let ws = Workstation::open(after_restart(&rebooted)).map_err(err)?;
    ws.login(&proxy.url(), "vault", "reception", PASSWORD)
        .await
        .map_err(err)?;
    assert_eq!(ws.cache_counts().await.map_err(err)?.0, 2);
    ws.close().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn wiping_refuses_to_lose_unsent_work_unless_forced_and_then_leaves_nothing(
) -> anyhow::Result<()> {
    let cli = cli_path()?;
    let sys = System::start().await?;
    let tenant = sys.clinic("wipe", "UTC").await?;
    let proxy = Proxy::start(sys.server_addr()?).await?;
    let dir = tempfile::tempdir()?;
    let config = workstation_config(dir.path(), "nurse");
    let cache_path = dir.path().join(format!("cache-{tenant}.sqlite"));
    let cli_run = |args: &[&str]| {
        Command::new(&cli)
            .args(args)
            .env("MEDOFFICE_DATA_DIR", dir.path())
            .env("MEDOFFICE_KEYRING_SERVICE", &config.keyring_service)
            .env("MEDOFFICE_LOG", "error")
            .output()
    };

    let ws = Workstation::open(config.clone()).map_err(err)?;
    ws.login(&proxy.url(), "wipe", "nurse", PASSWORD)
        .await
        .map_err(err)?;
    let p = ws
        .register_patient(new_patient("Wanda", "Wipeworth"))
        .await
        .map_err(err)?;
    drained(&ws).await?;
    proxy.set_online(false);
    ws.record_vitals(p.record.id, vitals()).await.map_err(err)?;

    // one change waits: the wipe is refused, saying so, and nothing changed
    let refused = ws.logout(true, false).await.expect_err("refused");
    assert_eq!(refused.code, ErrorCode::Conflict);
    assert!(
        refused.message.contains("1 change not yet sent"),
        "{refused:?}"
    );
    assert_eq!(ws.unsent_changes().await.map_err(err)?, 1);
    assert_eq!(ws.status().pending, 1, "still signed in, still queued");
    // the CLI says the same
    let out = cli_run(&["logout", "--wipe"])?;
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("1 change not yet sent"), "{stderr}");
    assert!(cache_path.exists());

    // once sent, the wipe goes through and leaves nothing of the clinic here
    proxy.set_online(true);
    drained(&ws).await?;
    ws.logout(true, false).await.map_err(err)?;
    assert_eq!(ws.status().state, ConnectionState::SignedOut);
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut f = cache_path.as_os_str().to_owned();
        f.push(suffix);
        assert!(!Path::new(&f).exists(), "{f:?} removed");
    }
    let verifiers = std::fs::read_to_string(dir.path().join("offline-unlock.json"))?;
    assert!(!verifiers.contains(&tenant.to_string()), "{verifiers}");
    assert!(ws.open_cache_file(tenant).is_err(), "the key is gone");
    assert!(ws.session_state().await.username.is_none());
    proxy.set_online(false);
    let offline = ws
        .unlock_offline("wipe", "nurse", PASSWORD)
        .await
        .expect_err("no offline sign-in left");
    assert_eq!(offline.code, ErrorCode::Unauthorized);
    ws.close().await;

    // forced through the CLI: unsent work is removed with everything else
    proxy.set_online(true);
    let ws = Workstation::open(config.clone()).map_err(err)?;
    ws.login(&proxy.url(), "wipe", "nurse", PASSWORD)
        .await
        .map_err(err)?;
    drained(&ws).await?;
    proxy.set_online(false);
    ws.record_vitals(p.record.id, vitals()).await.map_err(err)?;
    ws.record_vitals(p.record.id, vitals()).await.map_err(err)?;
    ws.close().await;
    let out = cli_run(&["logout", "--wipe"])?;
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("2 changes not yet sent"),
        "{out:?}"
    );
    let out = cli_run(&["logout", "--wipe", "--force"])?;
    assert!(out.status.success(), "{out:?}");
    assert!(!cache_path.exists());
    assert!(
        !std::fs::read_to_string(dir.path().join("offline-unlock.json"))?
            .contains(&tenant.to_string())
    );
    // --force alone is not a thing
    assert!(!cli_run(&["logout", "--force"])?.status.success());

    // a wipe takes the refresh token of everyone of the clinic who signed in here, not only
    // the person signing out: the nurse's, left when the reception signed in over her session,
    // would otherwise resume her session after the wipe
    proxy.set_online(true);
    let ws = Workstation::open(config.clone()).map_err(err)?;
    ws.login(&proxy.url(), "wipe", "nurse", PASSWORD)
        .await
        .map_err(err)?;
    ws.login(&proxy.url(), "Wipe", "reception", PASSWORD)
        .await
        .map_err(err)?;
    let keyring = medoffice_client::secrets::SecretStore::new(config.keyring_service.clone());
    let account = |u: &str| format!("{}|wipe|{u}", proxy.url().trim_end_matches('/'));
    assert!(
        keyring.get(&account("nurse")).map_err(err)?.is_some(),
        "the nurse's refresh token is kept while her clinic's data is here"
    );
    drained(&ws).await?;
    ws.logout(true, false).await.map_err(err)?;
    for u in ["nurse", "reception"] {
        assert!(
            keyring.get(&account(u)).map_err(err)?.is_none(),
            "{u}'s refresh token is gone"
        );
    }
    ws.close().await;
    Ok(())
}

/// A person whose access the server ended keeps none here (issue 15): the doctor deactivated
/// while signed in here loses her offline sign-in and refresh token the moment her session is
/// ended; the nurse deactivated while someone else works here loses hers when the feed brings
/// the news; and a verifier the workstation still holds for an account its cache knows to be
/// deactivated (a data folder restored from a backup) is refused and forgotten. With the server
/// away, neither unlocks offline; the reception, untouched, still does.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_account_the_server_ended_cannot_unlock_offline() -> anyhow::Result<()> {
    let sys = System::start().await?;
    sys.clinic("ended", "UTC").await?;
    let proxy = Proxy::start(sys.server_addr()?).await?;
    let http = medoffice_e2e::Http::new(&sys.server.url());
    let admin = http.token("ended", "admin").await?;
    let (_, users) = http
        .call(reqwest::Method::GET, "/api/v1/users", Some(&admin), None)
        .await?;
    let id_of = |name: &str| -> anyhow::Result<Uuid> {
        let row = users
            .get("data")
            .and_then(|d| d.as_array())
            .and_then(|a| a.iter().find(|u| u["username"] == name))
            .ok_or_else(|| anyhow::anyhow!("no {name}: {users}"))?;
        Ok(serde_json::from_value(row["id"].clone())?)
    };
    let deactivate = |id: Uuid| {
        let (http, admin) = (&http, &admin);
        async move {
            let (s, r) = http
                .call(
                    reqwest::Method::PATCH,
                    &format!("/api/v1/users/{id}"),
                    Some(admin),
                    Some(serde_json::json!({"active": false})),
                )
                .await?;
            anyhow::ensure!(s == 200, "{r}");
            anyhow::Ok(())
        }
    };
    let dir = tempfile::tempdir()?;
    let config = workstation_config(dir.path(), "desk");
    let store = medoffice_client::offline::OfflineUnlock::new(
        dir.path(),
        medoffice_client::DEFAULT_OFFLINE_UNLOCK_HOURS,
    );
    let ws = Workstation::open(config.clone()).map_err(err)?;
    for who in ["nurse", "reception", "doctor"] {
        ws.login(&proxy.url(), "ended", who, PASSWORD)
            .await
            .map_err(err)?;
        if who != "doctor" {
            ws.logout(false, false).await.map_err(err)?;
        }
    }
    assert!(store.knows("ended", "nurse") && store.knows("ended", "doctor"));
    let backup = std::fs::read(dir.path().join("offline-unlock.json"))?;

    // the nurse, not signed in here, is deactivated: the doctor's feed brings it
    deactivate(id_of("nurse")?).await?;
    wait_for(Duration::from_secs(30), || async {
        !store.knows("ended", "nurse")
    })
    .await
    .map_err(|e| anyhow::anyhow!("the nurse's offline sign-in stayed: {e}"))?;
    assert!(store.knows("ended", "reception"), "only hers went");

    // the doctor, signed in here, is deactivated: her session ends, and with it what would
    // let her back in here
    let keyring = medoffice_client::secrets::SecretStore::new(config.keyring_service.clone());
    let account = format!("{}|ended|doctor", proxy.url().trim_end_matches('/'));
    assert!(keyring.get(&account).map_err(err)?.is_some());
    deactivate(id_of("doctor")?).await?;
    wait_for(Duration::from_secs(30), || async {
        ws.status().sign_in_required
    })
    .await?;
    assert!(!store.knows("ended", "doctor"));
    assert!(keyring.get(&account).map_err(err)?.is_none());

    // the server away: neither unlocks offline, the reception does
    proxy.set_online(false);
    for who in ["nurse", "doctor"] {
        let e = ws
            .unlock_offline("ended", who, PASSWORD)
            .await
            .expect_err("no offline sign-in left");
        assert_eq!(e.code, ErrorCode::Unauthorized, "{who}: {e:?}");
    }
    // a data folder restored from before: the verifiers are back, the cache knows better
    std::fs::write(dir.path().join("offline-unlock.json"), &backup)?;
    let e = ws
        .unlock_offline("ended", "nurse", PASSWORD)
        .await
        .expect_err("the cache says she was deactivated");
    assert_eq!(e.code, ErrorCode::Unauthorized);
    assert!(e.message.contains("deactivated"), "{e:?}");
    assert!(!store.knows("ended", "nurse"), "forgotten again");
    ws.unlock_offline("ended", "reception", PASSWORD)
        .await
        .map_err(err)?;
    ws.close().await;
    Ok(())
}

/// Offline guessing is bounded (issue 15): wrong passwords at the offline sign-in and at the
/// lock screen count on disk, for the person, across restarts of the app; past three in a row
/// the next try waits before the password is even checked (the right one too).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn offline_guessing_waits_after_three_wrong_passwords_even_after_a_restart(
) -> anyhow::Result<()> {
    let sys = System::start().await?;
    sys.clinic("guess", "UTC").await?;
    let proxy = Proxy::start(sys.server_addr()?).await?;
    let dir = tempfile::tempdir()?;
    let config = workstation_config(dir.path(), "desk");
    let ws = Workstation::open(config.clone()).map_err(err)?;
    for who in ["nurse", "reception"] {
        ws.login(&proxy.url(), "guess", who, PASSWORD)
            .await
            .map_err(err)?;
        ws.logout(false, false).await.map_err(err)?;
    }
    proxy.set_online(false);
    for _ in 0..3 {
        let e = ws
            .login(&proxy.url(), "guess", "nurse", "not her password")
            .await
            .expect_err("wrong");
        assert_eq!(e.code, ErrorCode::Network, "{e:?}");
    }
    let e = ws
        .unlock_offline("guess", "nurse", PASSWORD)
        .await
        .expect_err("must wait");
    assert_eq!(e.code, ErrorCode::RateLimited, "{e:?}");
    assert!(e.message.contains("try again in"), "{e:?}");
    // a restart of the app forgets nothing
    ws.close().await;
    let ws = Workstation::open(config.clone()).map_err(err)?;
    let e = ws
        .login(&proxy.url(), "guess", "nurse", PASSWORD)
        .await
        .expect_err("still waits");
    assert_eq!(e.code, ErrorCode::RateLimited, "{e:?}");
    assert!(
        e.message.starts_with("The server cannot be reached"),
        "{e:?}"
    );
    // another person is not held up by her count
    ws.unlock_offline("guess", "reception", PASSWORD)
        .await
        .map_err(err)?;
    // the lock screen counts on the same record: three wrong, then the fourth waits
    ws.lock().await.map_err(err)?;
    for left in [4, 3, 2] {
        let e = ws.unlock("wrong").await.expect_err("wrong");
        assert_eq!(e.code, ErrorCode::Validation);
        let said = e
            .fields
            .as_ref()
            .map(|f| format!("{f:?}"))
            .unwrap_or_default();
        assert!(said.contains(&format!("({left} tr")), "{said}");
    }
    let e = ws.unlock(PASSWORD).await.expect_err("waits");
    assert_eq!(e.code, ErrorCode::RateLimited, "{e:?}");
    ws.close().await;
    // her lock-screen tries count for her offline sign-in too, after a restart as well
    let ws = Workstation::open(config).map_err(err)?;
    let e = ws
        .unlock_offline("guess", "reception", PASSWORD)
        .await
        .expect_err("waits after a restart too");
    assert_eq!(e.code, ErrorCode::RateLimited, "{e:?}");
    ws.close().await;
    Ok(())
}
