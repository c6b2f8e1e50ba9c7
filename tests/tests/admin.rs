//! The desktop core's account and administration calls against the real server and
//! PostgreSQL: the sign-in steps (temporary password, second factor, enrolment the clinic
//! requires), staff accounts, clinic settings, the audit log with its CSV export, chart opens
//! reported to the audit log, and a deactivated person's session ending on their workstation.

use std::time::Duration;

use anyhow::Context;
use medoffice_client::view::{CommandError, ConnectionState, ErrorCode};
use medoffice_client::Workstation;
use medoffice_e2e::{wait_for, workstation_config, System, PASSWORD};
use medoffice_model::{AuditFilter, NewUser, Role, TenantPatch, UserInfo, UserPatch};

fn e(err: CommandError) -> anyhow::Error {
    anyhow::anyhow!("{:?}: {}", err.code, err.message)
}

/// A workstation with its own folder and keyring namespace, nobody signed in.
fn fresh(dir: &tempfile::TempDir, name: &str) -> anyhow::Result<Workstation> {
    Workstation::open(workstation_config(dir.path(), name)).map_err(e)
}

async fn online(ws: &Workstation) -> anyhow::Result<()> {
    wait_for(Duration::from_secs(15), || async {
        ws.status().state == ConnectionState::Online
    })
    .await
    .map(|_| ())
}

fn new_user(username: &str, full_name: &str, role: Role) -> NewUser {
    NewUser {
        username: username.into(),
        full_name: full_name.into(),
        role,
        temporary_password: None,
    }
}

/// The code an authenticator app shows `steps_ahead` 30-second steps from now.
fn app_code(secret_base32: &str, steps_ahead: i64) -> anyhow::Result<String> {
    let secret =
        totp_rs::Secret::try_from_base32(secret_base32).map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let totp = totp_rs::Builder::new()
        .with_secret(secret.as_bytes().to_vec())
        .build()
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let at = chrono::Utc::now().timestamp() + 30 * steps_ahead;
    Ok(totp.generate(u64::try_from(at)?).to_string())
}

fn field_error(err: &CommandError, field: &str) -> bool {
    err.code == ErrorCode::Validation
        && err
            .fields
            .as_ref()
            .is_some_and(|f| f.0.get(field).is_some_and(|m| !m.is_empty()))
}

async fn user_named(admin: &Workstation, username: &str) -> anyhow::Result<UserInfo> {
    admin
        .list_users()
        .await
        .map_err(e)?
        .into_iter()
        .find(|u| u.username == username)
        .with_context(|| format!("{username} not listed"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_new_account_changes_its_temporary_password_before_its_session_starts(
) -> anyhow::Result<()> {
    let sys = System::start().await?;
    sys.clinic("acct", "America/New_York").await?;
    let url = sys.server.url();
    let (admin, _a) = sys.workstation("acct", "admin").await?;

    // checked before anything is sent
    let bad = admin
        .create_user(new_user("no spaces", "Nora New", Role::Nurse))
        .await
        .err()
        .context("a bad username was sent")?;
    assert!(field_error(&bad, "username"), "{bad:?}");

    let created = admin
        .create_user(new_user("nora", "Nora New", Role::Nurse))
        .await
        .map_err(e)?;
    assert!(created.user.must_change_password);
    assert!(created.temporary_password.chars().count() >= 10);

    let dir = tempfile::tempdir()?;
    let ws = fresh(&dir, "nora")?;
    let step = ws
        .login(&url, "acct", "nora", &created.temporary_password)
        .await
        .err()
        .context("a temporary password opened a session")?;
    assert_eq!(step.code, ErrorCode::PasswordChangeRequired, "{step:?}");
    assert!(ws.session_state().await.user.is_none(), "no session yet");
    assert_eq!(
        ws.pending_sign_in().await.map(|u| u.username),
        Some("nora".to_owned())
    );

    // the server's answer, on the field it concerns; the rules are checked here first
    let wrong = ws
        .change_password("not the temporary one", "a brand new password")
        .await
        .err()
        .context("a wrong current password was taken")?;
    assert!(field_error(&wrong, "current_password"), "{wrong:?}");
    let same_as_name = ws
        .change_password(&created.temporary_password, "NORA")
        .await
        .err()
        .context("a password equal to the username was taken")?;
    assert!(
        field_error(&same_as_name, "new_password"),
        "{same_as_name:?}"
    );

    let user = ws
        .change_password(&created.temporary_password, "a brand new password")
        .await
        .map_err(e)?;
    assert!(!user.must_change_password);
    assert_eq!(ws.session_state().await.user.map(|u| u.id), Some(user.id));
    online(&ws).await?;
    assert!(ws.pending_sign_in().await.is_none());

    // changing it again from "My account": this session goes on with fresh tokens, her
    // session on another workstation ends
    let other_dir = tempfile::tempdir()?;
    let other = fresh(&other_dir, "nora-elsewhere")?;
    other
        .login(&url, "acct", "nora", "a brand new password")
        .await
        .map_err(e)?;
    online(&other).await?;
    ws.change_password("a brand new password", "an even newer password")
        .await
        .map_err(e)?;
    wait_for(Duration::from_secs(20), || async {
        other.status().ended_by_server.is_some()
    })
    .await?;
    ws.sync_now().await.map_err(e)?;
    assert!(ws.status().ended_by_server.is_none());

    // the new password is the one now: for an offline unlock here at once, and online
    ws.close().await;
    let unlocked = ws
        .unlock_offline("acct", "nora", "an even newer password")
        .await
        .map_err(e)?;
    assert_eq!(unlocked.id, user.id);
    let old = ws
        .unlock_offline("acct", "nora", "a brand new password")
        .await
        .err()
        .context("the old password unlocked offline")?;
    assert_eq!(old.code, ErrorCode::Unauthorized);
    ws.logout(false, false).await.map_err(e)?;
    ws.login(&url, "acct", "nora", "an even newer password")
        .await
        .map_err(e)?;

    let listed = user_named(&admin, "nora").await?;
    assert!(!listed.must_change_password && listed.active);
    assert!(listed.last_login_at.is_some());

    // a nurse manages no accounts
    let (nurse, _n) = sys.workstation("acct", "nurse").await?;
    let refused = nurse
        .list_users()
        .await
        .err()
        .context("a nurse listed users")?;
    assert_eq!(refused.code, ErrorCode::Forbidden);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_factor_sign_in_with_a_code_or_a_recovery_code_and_enrolment_the_clinic_requires(
) -> anyhow::Result<()> {
    let sys = System::start().await?;
    sys.clinic("mfa", "Europe/Paris").await?;
    let url = sys.server.url();
    let (admin, _a) = sys.workstation("mfa", "admin").await?;

    let setup = admin.totp_setup().await.map_err(e)?;
    assert!(setup.otpauth_uri.starts_with("otpauth://totp/"));
    assert!(setup.qr_svg.contains("<svg"), "the QR code is drawn");
    let wrong = admin
        .totp_confirm("12345")
        .await
        .err()
        .context("five digits were taken")?;
    assert!(field_error(&wrong, "code"), "{wrong:?}");
    let enabled = admin
        .totp_confirm(&app_code(&setup.secret_base32, 0)?)
        .await
        .map_err(e)?;
    assert_eq!(enabled.recovery_codes.len(), 10);
    assert!(enabled.user.totp_enabled);
    assert!(admin.my_account().await.map_err(e)?.totp_enabled);

    // signing in now needs the code
    let dir = tempfile::tempdir()?;
    let ws = fresh(&dir, "admin-again")?;
    let asked = ws
        .login(&url, "mfa", "admin", PASSWORD)
        .await
        .err()
        .context("signed in without the second factor")?;
    assert_eq!(asked.code, ErrorCode::TotpRequired, "{asked:?}");
    ws.login_with_code(
        &url,
        "mfa",
        "admin",
        PASSWORD,
        Some(&app_code(&setup.secret_base32, 1)?),
    )
    .await
    .map_err(e)?;
    ws.logout(false, false).await.map_err(e)?;

    // a recovery code works once (typed in capitals, as people do)
    let recovery = enabled.recovery_codes[0].to_uppercase();
    ws.login_with_code(&url, "mfa", "admin", PASSWORD, Some(&recovery))
        .await
        .map_err(e)?;
    ws.logout(false, false).await.map_err(e)?;
    let again = ws
        .login_with_code(&url, "mfa", "admin", PASSWORD, Some(&recovery))
        .await
        .err()
        .context("a recovery code worked twice")?;
    assert_eq!(again.code, ErrorCode::Unauthorized);

    // the clinic's rule: admins must use it; then it cannot be turned off
    let clinic = admin
        .update_clinic_settings(TenantPatch {
            require_admin_totp: Some(true),
            ..Default::default()
        })
        .await
        .map_err(e)?;
    assert!(clinic.require_admin_totp);
    assert!(admin.clinic_settings().await.map_err(e)?.require_admin_totp);
    let kept = admin
        .totp_disable(PASSWORD)
        .await
        .err()
        .context("turned off what the clinic requires")?;
    assert_eq!(kept.code, ErrorCode::Forbidden, "{kept:?}");

    // a new admin: temporary password first, then enrolment, then the session
    let created = admin
        .create_user(new_user("ben", "Ben Boss", Role::Admin))
        .await
        .map_err(e)?;
    let dir2 = tempfile::tempdir()?;
    let ben = fresh(&dir2, "ben")?;
    let first = ben
        .login(&url, "mfa", "ben", &created.temporary_password)
        .await
        .err()
        .context("no step asked")?;
    assert_eq!(first.code, ErrorCode::PasswordChangeRequired);
    let next = ben
        .change_password(&created.temporary_password, "ben's own long password")
        .await
        .err()
        .context("enrolment was not asked")?;
    assert_eq!(next.code, ErrorCode::TotpEnrollmentRequired, "{next:?}");
    assert!(ben.session_state().await.user.is_none());
    let ben_setup = ben.totp_setup().await.map_err(e)?;
    let ben_on = ben
        .totp_confirm(&app_code(&ben_setup.secret_base32, 0)?)
        .await
        .map_err(e)?;
    assert_eq!(ben_on.recovery_codes.len(), 10);
    assert_eq!(
        ben.session_state().await.user.map(|u| u.username),
        Some("ben".to_owned())
    );
    online(&ben).await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn chart_opens_reach_the_audit_log_and_its_csv_export() -> anyhow::Result<()> {
    let sys = System::start().await?;
    sys.clinic("trail", "America/Chicago").await?;
    let (front, _f) = sys.workstation("trail", "reception").await?;
    let (doctor, _d) = sys.workstation("trail", "doctor").await?;
    let (admin, _a) = sys.workstation("trail", "admin").await?;
    let patient = front
        .register_patient(medoffice_e2e::new_patient("Grace", "Hopper"))
        .await
        .map_err(e)?
        .record;
    front.sync_now().await.map_err(e)?;
    wait_for(Duration::from_secs(10), || async {
        doctor.patient_chart(patient.id).await.is_ok()
    })
    .await?;
    // screens read the chart again on every cache change: still one access
    for _ in 0..3 {
        doctor.patient_chart(patient.id).await.map_err(e)?;
    }
    let doctor_id = user_named(&admin, "doctor").await?.id;
    let filter = AuditFilter {
        patient_id: Some(patient.id),
        action: Some("patient.chart_open".into()),
        ..Default::default()
    };
    wait_for(Duration::from_secs(15), || async {
        admin
            .audit_log(filter.clone())
            .await
            .is_ok_and(|p| !p.items.is_empty())
    })
    .await?;
    doctor.sync_now().await.map_err(e)?;
    let page = admin.audit_log(filter.clone()).await.map_err(e)?;
    assert_eq!(page.items.len(), 1, "{:?}", page.items);
    let read = &page.items[0];
    assert_eq!(read.user_id, Some(doctor_id));
    assert_eq!(read.patient_id, Some(patient.id));
    assert_eq!(read.outcome, "success");
    assert!(read
        .device_id
        .as_deref()
        .is_some_and(|d| d.starts_with("test-doctor")));

    // the filter as CSV, to a file named here
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("grace.csv");
    let done = admin
        .export_audit(filter.clone(), Some(path.to_string_lossy().into_owned()))
        .await
        .map_err(e)?;
    assert_eq!(done.entries, 1);
    let mut rows = csv::Reader::from_path(&path)?;
    let records: Vec<csv::StringRecord> = rows.records().collect::<Result<_, _>>()?;
    assert_eq!(records.len(), 1);
    let headers = rows.headers()?.clone();
    let col = |name: &str| headers.iter().position(|h| h == name).context("column");
    assert_eq!(&records[0][col("action")?], "patient.chart_open");
    assert_eq!(&records[0][col("username")?], "doctor");
    // a folder is not a file
    let refused = admin
        .export_audit(filter, Some(dir.path().to_string_lossy().into_owned()))
        .await
        .err()
        .context("exported onto a folder")?;
    assert!(field_error(&refused, "path"), "{refused:?}");

    // reading and exporting the log are audited too; only admins read it
    let own = admin
        .audit_log(AuditFilter {
            action: Some("audit.*".into()),
            ..Default::default()
        })
        .await
        .map_err(e)?;
    assert!(own.items.iter().any(|i| i.action == "audit.export"));
    let refused = doctor
        .audit_log(AuditFilter::default())
        .await
        .err()
        .context("a doctor read the audit log")?;
    assert_eq!(refused.code, ErrorCode::Forbidden);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_deactivated_person_is_signed_out_and_admin_calls_need_the_server() -> anyhow::Result<()>
{
    let mut sys = System::start().await?;
    sys.clinic("leave", "UTC").await?;
    let (admin, _a) = sys.workstation("leave", "admin").await?;
    let (nurse, _n) = sys.workstation("leave", "nurse").await?;
    online(&nurse).await?;
    let id = user_named(&admin, "nurse").await?.id;

    // the last admin cannot demote herself
    let me = user_named(&admin, "admin").await?.id;
    let last = admin
        .update_user(
            me,
            UserPatch {
                role: Some(Role::Nurse),
                ..Default::default()
            },
        )
        .await
        .err()
        .context("the last admin demoted herself")?;
    assert_eq!(last.code, ErrorCode::Validation, "{last:?}");

    let off = admin
        .update_user(
            id,
            UserPatch {
                active: Some(false),
                ..Default::default()
            },
        )
        .await
        .map_err(e)?;
    assert!(!off.active);
    wait_for(Duration::from_secs(20), || async {
        nurse.status().ended_by_server.is_some()
    })
    .await?;
    let why = nurse.status().ended_by_server.unwrap_or_default();
    assert!(why.contains("deactivated"), "{why}");

    // a reset password ends sessions the same way, and shows once
    admin
        .update_user(
            id,
            UserPatch {
                active: Some(true),
                ..Default::default()
            },
        )
        .await
        .map_err(e)?;
    let dir = tempfile::tempdir()?;
    let again = fresh(&dir, "nurse-again")?;
    again
        .login(&sys.server.url(), "leave", "nurse", PASSWORD)
        .await
        .map_err(e)?;
    online(&again).await?;
    let temp = admin.reset_user_password(id).await.map_err(e)?;
    assert!(temp.temporary_password.chars().count() >= 10);
    wait_for(Duration::from_secs(20), || async {
        again.status().ended_by_server.is_some()
    })
    .await?;

    // without the server, an admin call says it needs it
    sys.server.stop();
    let away = admin
        .list_users()
        .await
        .err()
        .context("listed users offline")?;
    assert_eq!(away.code, ErrorCode::Network);
    assert!(
        away.message.contains("needs a connection"),
        "{}",
        away.message
    );
    Ok(())
}
