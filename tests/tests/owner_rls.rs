//! Row-level security binds the database owner too (issue 15, `FORCE ROW LEVEL SECURITY`):
//! with the schema owned by a login role that is no superuser and cannot bypass RLS, as an
//! operator sets it up, the whole path still works (clinic set-up, sign-in, writes, the audit
//! chain's sealing and verification, which run as the owner), while the owner's own
//! connection sees no clinic's rows until it names one, or says it works across all of them.

use std::time::Duration;

use medoffice_client::view::ConnectionState;
use medoffice_e2e::{new_patient, wait_for, System};
use medoffice_model::{Measurements, NewVitalSigns};
use sqlx::{Connection, Executor};

const OWNER: &str = "clinic_owner";

fn err(e: impl std::fmt::Display) -> anyhow::Error {
    anyhow::anyhow!("{e}")
}

async fn count(conn: &mut sqlx::PgConnection, table: &str) -> anyhow::Result<i64> {
    Ok(
        sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {table}")))
            .fetch_one(&mut *conn)
            .await?,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_owner_sees_one_clinic_or_asks_for_all_and_everything_still_works() -> anyhow::Result<()>
{
    let sys = System::start_owned_by(OWNER).await?;
    // clinic set-up as the operator (the owner's connection, across clinics)
    let north = sys.clinic("north", "UTC").await?;
    sys.clinic("south", "UTC").await?;

    // sign-in (the clinic looked up by code, the session checked), writes (revision stamping),
    // both clinics
    for (code, given) in [("north", "Nora"), ("south", "Sven")] {
        let (ws, _dir) = sys.workstation(code, "nurse").await?;
        let p = ws
            .register_patient(new_patient(given, "Owner"))
            .await
            .map_err(err)?;
        ws.record_vitals(
            p.record.id,
            NewVitalSigns {
                id: None,
                measured_at: chrono::Utc::now(),
                measurements: Measurements {
                    heart_rate_bpm: Some(70),
                    ..Default::default()
                },
                notes: None,
                entered_offline: None,
            },
        )
        .await
        .map_err(err)?;
        wait_for(Duration::from_secs(60), || async {
            let st = ws.status();
            st.state == ConnectionState::Online && st.pending == 0 && st.rejected == 0
        })
        .await?;
        ws.close().await;
    }

    // the audit chain: sealed by the server's role through the owner's SECURITY DEFINER
    // function, verified on the operator's connection
    let mut sealed = 0;
    for _ in 0..20 {
        sealed += medoffice_server::audit_chain::seal_pending(&sys.pool).await?;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut operator = medoffice_server::db::owner_connection(&sys.database_url).await?;
    let report = medoffice_server::audit_chain::verify(&mut operator, None).await?;
    assert!(report.intact, "{}", report.summary());
    assert_eq!(report.clinics, 2, "{}", report.summary());
    assert!(
        report.entries > 0 && report.pending == 0,
        "sealed {sealed} here; {}",
        report.summary()
    );
    assert_eq!(
        count(&mut operator, "patients").await?,
        2,
        "the operator asked for every clinic"
    );

    // the owner's plain connection: no clinic named, no rows, on every tenant table
    let mut owner = sqlx::PgConnection::connect(&sys.database_url).await?;
    let (superuser, bypass): (bool, bool) =
        sqlx::query_as("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
            .fetch_one(&mut owner)
            .await?;
    assert_eq!(
        (superuser, bypass),
        (false, false),
        "the owner is bound by RLS"
    );
    for table in [
        "tenants",
        "users",
        "patients",
        "vital_signs",
        "audit_log",
        "audit_chain_heads",
    ] {
        assert_eq!(
            count(&mut owner, table).await?,
            0,
            "the owner reads {table} of no clinic without naming one"
        );
    }
    // naming one clinic: that clinic's rows only
    owner
        .execute(sqlx::AssertSqlSafe(format!(
            "SET app.tenant_id = '{north}'"
        )))
        .await?;
    assert_eq!(count(&mut owner, "patients").await?, 1);
    assert_eq!(count(&mut owner, "tenants").await?, 1);

    // the server's role saying "all clinics" gains nothing: that policy is the owner's
    let mut app = sys.pool.acquire().await?;
    app.execute("SET app.all_tenants = 'on'").await?;
    assert_eq!(count(&mut app, "patients").await?, 0);
    app.execute("RESET app.all_tenants").await?;
    drop(app);

    // the stricter set-up the README gives: the server under a login that only is a member of
    // medoffice_app and owns nothing; sign-in, reads and writes work through it
    let mut su = sqlx::PgConnection::connect(&sys.pg.url("postgres")).await?;
    su.execute("CREATE ROLE clinic_server LOGIN NOSUPERUSER NOBYPASSRLS IN ROLE medoffice_app")
        .await?;
    let url = sys.pg.url_as("clinic_server", "medoffice");
    let member_only =
        tokio::task::spawn_blocking(move || medoffice_e2e::TestServer::start(&url, 0)).await??;
    let (ws, _dir) = sys
        .workstation_at(&member_only.url(), "north", "doctor")
        .await?;
    // the clinic's records reach a workstation through it
    wait_for(Duration::from_secs(60), || async {
        ws.search_patients("Nora", 10)
            .await
            .is_ok_and(|found| found.len() == 1)
    })
    .await?;
    ws.register_patient(new_patient("Nell", "Member"))
        .await
        .map_err(err)?;
    wait_for(Duration::from_secs(60), || async {
        let st = ws.status();
        st.state == ConnectionState::Online && st.pending == 0 && st.rejected == 0
    })
    .await?;
    ws.close().await;
    Ok(())
}
