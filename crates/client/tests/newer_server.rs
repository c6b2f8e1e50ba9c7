//! A server newer than this workstation: its feed carries a kind of record this build does not
//! know. The workstation must say "update this app", not "offline", and must not skip the rows
//! (its cursor would pass them for good). The newer server is a loopback socket answering one
//! feed page as such a server would; no such release exists yet to start for real.

use medoffice_client::api::{ApiClient, ApiError, Transport};
use medoffice_client::view::{CommandError, ErrorCode};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Serves `body` as the JSON answer to one request on a loopback port; returns the base URL.
async fn answer_once(body: String) -> anyhow::Result<String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        if let Ok((mut sock, _)) = listener.accept().await {
            let mut buf = vec![0u8; 8192];
            let _ = sock.read(&mut buf).await;
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                body.len()
            );
            let _ = sock.write_all(head.as_bytes()).await;
            let _ = sock.write_all(body.as_bytes()).await;
        }
    });
    Ok(format!("http://{addr}"))
}

fn page(entity: &str, data: serde_json::Value) -> String {
    serde_json::json!({
        "changes": [{"entity": entity, "id": uuid::Uuid::new_v4(), "revision": 7, "deleted": false, "data": data}],
        "revision": 7,
        "has_more": false,
    })
    .to_string()
}

#[tokio::test]
async fn a_feed_with_a_kind_this_build_does_not_know_asks_for_an_update() -> anyhow::Result<()> {
    let staff = serde_json::json!({"id": uuid::Uuid::new_v4(), "username": "nurse",
        "full_name": "Nadia Okafor", "role": "nurse", "active": true, "revision": 7});
    // a page of known rows reads (the socket and the parsing are sound)
    let url = answer_once(page("user", staff)).await?;
    let api = ApiClient::new(&url, &Transport::default())?;
    let known = api.changes("token", 0, 500).await?;
    assert_eq!(known.changes.len(), 1);
    assert_eq!(known.revision, 7);

    // a row of a table this build does not know
    let url = answer_once(page(
        "encounter",
        serde_json::json!({"status": "in-progress"}),
    ))
    .await?;
    let api = ApiClient::new(&url, &Transport::default())?;
    let err = match api.changes("token", 0, 500).await {
        Err(e) => e,
        Ok(p) => anyhow::bail!("an unknown kind of row was read (or skipped): {p:?}"),
    };
    let ApiError::Incompatible(why) = &err else {
        anyhow::bail!("not reported as a newer server: {err:?}");
    };
    assert!(
        why.contains("encounter"),
        "names what it could not read: {why}"
    );
    let shown: CommandError = err.into();
    assert_eq!(shown.code, ErrorCode::UpdateRequired);
    assert!(
        shown.message.contains("update this workstation's app"),
        "{}",
        shown.message
    );
    assert!(
        !shown.message.contains("cannot be reached"),
        "not offline: {}",
        shown.message
    );
    Ok(())
}
