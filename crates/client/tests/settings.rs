//! The workstation's remembered sign-in defaults (Settings): checked like a sign-in, kept in
//! `workstation.json`, and offered back by `session_state`.

use medoffice_client::view::ErrorCode;
use medoffice_client::{Workstation, WorkstationConfig};

fn workstation(dir: &std::path::Path, allow_http: bool) -> anyhow::Result<Workstation> {
    let mut config = WorkstationConfig::in_dir(dir.to_path_buf(), "medoffice-settings-test")?;
    config.allow_insecure_http = allow_http;
    Workstation::open(config).map_err(anyhow::Error::msg)
}

fn field_error(e: &medoffice_client::view::CommandError, name: &str) -> Option<String> {
    let v = serde_json::to_value(e.fields.as_ref()?).ok()?;
    v.get(name)?
        .as_array()?
        .first()?
        .as_str()
        .map(str::to_owned)
}

#[tokio::test]
async fn sign_in_defaults_are_checked_saved_and_offered_back() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let ws = workstation(dir.path(), false)?;

    // plain http to another computer is refused on its field, as at sign-in; a bad code too
    let e = ws
        .save_sign_in_defaults("http://10.1.2.3:8080", "Bad Code!")
        .await
        .expect_err("refused");
    assert_eq!(e.code, ErrorCode::Validation);
    let server = field_error(&e, "server_url").expect("server_url error");
    assert!(server.contains("http://10.1.2.3:8080"), "{server}");
    assert!(field_error(&e, "tenant").is_some());
    for bad in ["ftp://clinic.example", "clinic.example"] {
        let e = ws.save_sign_in_defaults(bad, "demo").await.expect_err(bad);
        assert!(field_error(&e, "server_url").is_some(), "{bad}");
    }
    let e = ws.save_sign_in_defaults(" ", " ").await.expect_err("empty");
    assert_eq!(
        field_error(&e, "server_url").as_deref(),
        Some("is required")
    );
    assert_eq!(field_error(&e, "tenant").as_deref(), Some("is required"));
    // nothing was saved by the refusals
    assert_eq!(ws.session_state().await.server_url, None);

    let s = ws
        .save_sign_in_defaults(" https://clinic.example:8443/ ", " North-Clinic ")
        .await
        .map_err(anyhow::Error::msg)?;
    assert_eq!(s.server_url.as_deref(), Some("https://clinic.example:8443"));
    assert_eq!(s.tenant.as_deref(), Some("north-clinic"));
    // kept on disk: a workstation opened again on the folder offers them
    drop(ws);
    let again = workstation(dir.path(), false)?;
    let s = again.session_state().await;
    assert_eq!(s.server_url.as_deref(), Some("https://clinic.example:8443"));
    assert_eq!(s.tenant.as_deref(), Some("north-clinic"));
    // loopback http is always fine; another computer's only where allowed
    again
        .save_sign_in_defaults("http://127.0.0.1:8080", "demo")
        .await
        .map_err(anyhow::Error::msg)?;
    let lax = workstation(dir.path(), true)?;
    lax.save_sign_in_defaults("http://10.1.2.3:8080", "demo")
        .await
        .map_err(anyhow::Error::msg)?;
    Ok(())
}
