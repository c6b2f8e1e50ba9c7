//! How the workstation reaches a server: plain HTTP only on this computer unless allowed, and
//! HTTPS/WSS trusting a clinic's own CA. The TLS side is a real rustls server on loopback with a
//! certificate made by rcgen for this test.

use std::sync::Arc;

use futures_util::StreamExt;
use medoffice_client::api::{ApiClient, ApiError, Transport};
use medoffice_client::view::ErrorCode;
use medoffice_client::{Workstation, WorkstationConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::Message;

fn refused(url: &str, t: &Transport) -> Option<String> {
    match ApiClient::new(url, t) {
        Err(ApiError::Refused(m)) => Some(m),
        _ => None,
    }
}

#[test]
fn plain_http_to_another_computer_is_refused_unless_allowed() {
    let strict = Transport::default();
    for url in [
        "http://10.1.2.3:8080",
        "http://clinic.example",
        "http://192.168.0.10/",
    ] {
        let m = refused(url, &strict).unwrap_or_else(|| format!("{url} was accepted"));
        assert!(
            m.contains(url.trim_end_matches('/')),
            "names the server: {m}"
        );
        assert!(
            m.contains("MEDOFFICE_ALLOW_INSECURE_HTTP") && m.contains("allow_insecure_http"),
            "names the setting: {m}"
        );
    }
    // this computer itself, and any https:// server
    for url in [
        "http://127.0.0.1:8080",
        "http://127.9.9.9",
        "http://localhost:8080",
        "http://[::1]:8080",
        "https://clinic.example",
        "https://10.1.2.3:8443",
    ] {
        assert!(ApiClient::new(url, &strict).is_ok(), "{url} is allowed");
    }
    let lax = Transport {
        allow_insecure_http: true,
        ca_certificate: None,
    };
    assert!(ApiClient::new("http://10.1.2.3:8080", &lax).is_ok());
    assert!(refused("ftp://clinic.example", &lax).is_some());
}

#[tokio::test]
async fn sign_in_names_the_refused_server_on_its_field() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let mut config = WorkstationConfig::in_dir(dir.path().to_path_buf(), "medoffice-transport")?;
    config.allow_insecure_http = false;
    let ws = Workstation::open(config).map_err(anyhow::Error::msg)?;
    let e = ws
        .login("http://10.1.2.3:8080", "demo", "nina", "pw")
        .await
        .expect_err("refused");
    assert_eq!(e.code, ErrorCode::Validation);
    let field = e
        .fields
        .as_ref()
        .and_then(|f| f.0.get("server_url"))
        .and_then(|m| m.first())
        .cloned()
        .unwrap_or_default();
    assert!(field.contains("http://10.1.2.3:8080"), "{e:?}");
    assert!(e.message.contains("MEDOFFICE_ALLOW_INSECURE_HTTP"), "{e:?}");
    Ok(())
}

#[test]
fn an_unusable_ca_file_is_named() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let missing = dir.path().join("missing.pem");
    let junk = dir.path().join("junk.pem");
    std::fs::write(&junk, "not a certificate")?;
    for path in [missing, junk] {
        let t = Transport {
            allow_insecure_http: false,
            ca_certificate: Some(path.clone()),
        };
        let m = refused("https://clinic.example", &t).unwrap_or_default();
        assert!(m.contains(&path.display().to_string()), "{m}");
        assert!(m.contains("MEDOFFICE_CA_CERT"), "{m}");
    }
    Ok(())
}

/// A clinic CA and a server certificate it signed for `localhost` and 127.0.0.1.
fn clinic_pki() -> anyhow::Result<(String, rustls::ServerConfig)> {
    let ca_key = rcgen::KeyPair::generate()?;
    let mut ca = rcgen::CertificateParams::new(Vec::<String>::new())?;
    ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(rcgen::DnType::CommonName, "Clinic test CA");
    let ca = rcgen::CertifiedIssuer::self_signed(ca, ca_key)?;
    let leaf_key = rcgen::KeyPair::generate()?;
    let leaf = rcgen::CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])?
        .signed_by(&leaf_key, &ca)?;
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()?
    .with_no_client_auth()
    .with_single_cert(
        vec![leaf.der().clone()],
        rustls::pki_types::PrivateKeyDer::try_from(leaf_key.serialize_der())
            .map_err(anyhow::Error::msg)?,
    )?;
    Ok((ca.pem(), config))
}

/// A tiny HTTPS server: `GET /health` answers 200; a WebSocket upgrade is accepted and sends
/// one text message. Returns its port.
async fn tls_server(config: rustls::ServerConfig) -> anyhow::Result<u16> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return; // the client refused our certificate
                };
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let text = String::from_utf8_lossy(&head).to_string();
                let ws_key = text.lines().find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case("sec-websocket-key")
                        .then(|| v.trim().to_owned())
                });
                if let Some(key) = ws_key {
                    let accept = tokio_tungstenite::tungstenite::handshake::derive_accept_key(
                        key.as_bytes(),
                    );
                    let answer = format!(
                        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
                    );
                    if tls.write_all(answer.as_bytes()).await.is_err() {
                        return;
                    }
                    let mut ws = tokio_tungstenite::WebSocketStream::from_raw_socket(
                        tls,
                        tokio_tungstenite::tungstenite::protocol::Role::Server,
                        None,
                    )
                    .await;
                    use futures_util::SinkExt;
                    let _ = ws.send(Message::Text("hello over wss".into())).await;
                    let _ = ws.close(None).await;
                } else {
                    let body = "ok";
                    let answer = format!(
                        "HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = tls.write_all(answer.as_bytes()).await;
                    let _ = tls.shutdown().await;
                }
            });
        }
    });
    Ok(port)
}

#[tokio::test]
async fn https_and_wss_trust_the_clinic_ca_when_configured() -> anyhow::Result<()> {
    let (ca_pem, server_config) = clinic_pki()?;
    let port = tls_server(server_config).await?;
    let base = format!("https://localhost:{port}");

    // without the clinic's CA the certificate is not trusted, over HTTPS nor WSS
    let public_roots = ApiClient::new(&base, &Transport::default()).map_err(anyhow::Error::msg)?;
    assert!(matches!(
        public_roots.health().await,
        Err(ApiError::Network(_))
    ));
    let ws = tokio_tungstenite::connect_async_tls_with_config(
        public_roots.ws_url(),
        None,
        false,
        public_roots.ws_connector(),
    )
    .await;
    assert!(ws.is_err(), "an untrusted certificate is refused");

    // with it, both work
    let dir = tempfile::tempdir()?;
    let ca_file = dir.path().join("clinic-ca.pem");
    std::fs::write(&ca_file, &ca_pem)?;
    let trusting = ApiClient::new(
        &base,
        &Transport {
            allow_insecure_http: false,
            ca_certificate: Some(ca_file),
        },
    )
    .map_err(anyhow::Error::msg)?;
    trusting.health().await.map_err(anyhow::Error::msg)?;
    assert!(trusting.ws_url().starts_with("wss://localhost:"));
    let (mut ws, _) = tokio_tungstenite::connect_async_tls_with_config(
        trusting.ws_url(),
        None,
        false,
        trusting.ws_connector(),
    )
    .await?;
    let first = ws.next().await.transpose()?;
    assert_eq!(first, Some(Message::Text("hello over wss".into())));
    Ok(())
}
