//! Transport security: HTTPS and WSS with a certificate made here, plain HTTP refused beyond
//! loopback, the signing key from an owner-only file, security headers, CORS, body, header
//! and time limits, and JSON error bodies from every layer.

use std::net::SocketAddr;
use std::os::unix::fs::PermissionsExt;
use std::sync::Arc;

use futures_util::StreamExt;
use medoffice_e2e::{server_bin_path, Http, System, TestServer, PASSWORD};
use medoffice_server::ServeConfig;
use reqwest::Method;
use serde_json::{json, Value};
use sqlx::Connection;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

/// Starts another server on the system's database with `config`.
async fn serve(sys: &System, config: ServeConfig) -> anyhow::Result<TestServer> {
    let url = sys.database_url.clone();
    tokio::task::spawn_blocking(move || TestServer::start_bound(&url, config)).await?
}

fn loopback() -> ServeConfig {
    let mut c = ServeConfig::for_tests();
    c.bind = SocketAddr::from(([127, 0, 0, 1], 0));
    c
}

const SECURITY_HEADERS: [(&str, &str); 5] = [
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("referrer-policy", "no-referrer"),
    (
        "content-security-policy",
        "default-src 'none'; frame-ancestors 'none'",
    ),
    ("cache-control", "no-store"),
];

fn assert_security_headers(what: &str, h: &reqwest::header::HeaderMap) {
    for (name, value) in SECURITY_HEADERS {
        assert_eq!(
            h.get(name).and_then(|v| v.to_str().ok()),
            Some(value),
            "{what}: {name}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn https_and_wss_with_a_trusted_certificate() -> anyhow::Result<()> {
    let sys = System::start().await?;
    sys.clinic("secure", "UTC").await?;
    let dir = tempfile::tempdir()?;
    let made = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()])?;
    let cert_path = dir.path().join("cert.pem");
    let key_path = dir.path().join("key.pem");
    std::fs::write(&cert_path, made.cert.pem())?;
    std::fs::write(&key_path, made.signing_key.serialize_pem())?;
    std::fs::set_permissions(&key_path, std::fs::Permissions::from_mode(0o600))?;

    // a key that is not a key: refused at start, naming the file
    let mut bad = loopback();
    bad.transport.tls_cert = Some(cert_path.clone());
    bad.transport.tls_key = Some(cert_path.clone());
    let err = serve(&sys, bad).await.err().map(|e| format!("{e:#}"));
    assert!(
        err.as_deref().is_some_and(|e| e.contains("cert.pem")),
        "{err:?}"
    );

    let mut config = loopback();
    config.transport.tls_cert = Some(cert_path.clone());
    config.transport.tls_key = Some(key_path.clone());
    let server = serve(&sys, config).await?;
    let port = server.addr.port();

    let client = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(made.cert.pem().as_bytes())?)
        .tls_built_in_root_certs(false)
        .resolve("localhost", server.addr)
        .build()?;
    let https = Http {
        client,
        base: format!("https://localhost:{port}"),
    };
    let (s, tokens) = https.login("secure", "nurse", PASSWORD).await?;
    assert_eq!(s, 200, "{tokens}");
    let token = tokens["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let resp = https
        .client
        .get(format!("{}/api/v1/auth/me", https.base))
        .bearer_auth(&token)
        .send()
        .await?;
    assert_eq!(resp.status(), 200);
    assert_security_headers("https", resp.headers());
    assert_eq!(
        resp.headers()
            .get("strict-transport-security")
            .and_then(|v| v.to_str().ok()),
        Some("max-age=31536000")
    );

    // a client that does not trust the certificate is refused
    let untrusting = reqwest::Client::builder()
        .tls_built_in_root_certs(false)
        .resolve("localhost", server.addr)
        .build()?;
    assert!(untrusting
        .get(format!("{}/health", https.base))
        .send()
        .await
        .is_err());
    // plain HTTP to the TLS port gets no answer
    let plain = reqwest::Client::new()
        .get(format!("http://127.0.0.1:{port}/health"))
        .send()
        .await;
    assert!(
        plain.as_ref().map_or(true, |r| !r.status().is_success()),
        "plain HTTP answered: {plain:?}"
    );

    // WSS: the live change stream says hello
    let mut roots = rustls::RootCertStore::empty();
    roots.add(made.cert.der().clone())?;
    let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()?
    .with_root_certificates(roots)
    .with_no_client_auth();
    let mut req = format!("wss://localhost:{port}/api/v1/sync/ws").into_client_request()?;
    req.headers_mut()
        .insert("authorization", format!("Bearer {token}").parse()?);
    let tcp = tokio::net::TcpStream::connect(server.addr).await?;
    let (mut ws, _) = tokio_tungstenite::client_async_tls_with_config(
        req,
        tcp,
        None,
        Some(tokio_tungstenite::Connector::Rustls(Arc::new(tls))),
    )
    .await?;
    let first = ws.next().await.transpose()?;
    let hello: Value = match first {
        Some(Message::Text(t)) => serde_json::from_str(t.as_str())?,
        other => anyhow::bail!("expected hello, got {other:?}"),
    };
    assert_eq!(hello["type"], "hello");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn start_up_refuses_unsafe_settings() -> anyhow::Result<()> {
    let sys = System::start().await?;
    sys.clinic("setup", "UTC").await?;

    // plain HTTP beyond loopback
    let mut open = ServeConfig::for_tests();
    open.bind = SocketAddr::from(([0, 0, 0, 0], 0));
    let err = serve(&sys, open.clone()).await.err().map(|e| e.to_string());
    assert!(
        err.as_deref()
            .is_some_and(|e| e.contains("refusing to serve plain HTTP")
                && e.contains("--tls-terminated-by-proxy")),
        "{err:?}"
    );
    // ... unless a TLS proxy stands in front: then HSTS, and the client address from the proxy
    // (with a real signing key: development mode is for loopback only)
    open.transport.tls_terminated_by_proxy = true;
    open.dev = false;
    open.jwt_secret = Some("a-proxied-server-key-with-enough-bytes-0123456789".into());
    let proxied = serve(&sys, open.clone()).await?;
    let mut owner = sqlx::PgConnection::connect(&sys.database_url).await?;
    let mut login_seen_from =
        async |port: u16, forwarded: &str| -> anyhow::Result<Option<String>> {
            let resp = reqwest::Client::new()
                .post(format!("http://127.0.0.1:{port}/api/v1/auth/login"))
                .header("x-forwarded-for", forwarded)
                .json(&json!({"tenant": "setup", "username": "admin", "password": PASSWORD}))
                .send()
                .await?;
            assert_eq!(resp.status(), 200);
            assert!(resp.headers().contains_key("strict-transport-security"));
            Ok(sqlx::query_scalar(
                "SELECT ip FROM audit_log WHERE action = 'auth.login' ORDER BY id DESC LIMIT 1",
            )
            .fetch_one(&mut owner)
            .await?)
        };
    assert_eq!(
        login_seen_from(proxied.addr.port(), "198.51.100.7, 203.0.113.9")
            .await?
            .as_deref(),
        Some("203.0.113.9"),
        "the address nginx (on this machine: trusted by default) appended"
    );
    // what the proxy appended is not an address: the client is unknown, the peer stands (never
    // an earlier entry, which the client wrote)
    assert_eq!(
        login_seen_from(proxied.addr.port(), "198.51.100.7, unknown")
            .await?
            .as_deref(),
        Some("127.0.0.1")
    );
    // a proxy elsewhere is configured: the same header from this peer is anyone's, ignored
    open.transport.trusted_proxies = vec!["10.9.9.0/24".parse()?];
    let elsewhere = serve(&sys, open).await?;
    assert_eq!(
        login_seen_from(elsewhere.addr.port(), "198.51.100.7, 203.0.113.9")
            .await?
            .as_deref(),
        Some("127.0.0.1"),
        "X-Forwarded-For from a peer that is not a trusted proxy"
    );

    // the signing key from a file only its owner may read
    let dir = tempfile::tempdir()?;
    let secret = dir.path().join("jwt.key");
    std::fs::write(
        &secret,
        "k3y-from-a-file-with-enough-bytes-to-sign-0123456789\n",
    )?;
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o644))?;
    let mut from_file = loopback();
    from_file.dev = false;
    from_file.jwt_secret_file = Some(secret.clone());
    let err = serve(&sys, from_file.clone())
        .await
        .err()
        .map(|e| e.to_string());
    assert!(
        err.as_deref()
            .is_some_and(|e| e.contains("0644") && e.contains("chmod 600")),
        "{err:?}"
    );
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o600))?;
    let keyed = serve(&sys, from_file.clone()).await?;
    let http = Http::new(&format!("http://{}", keyed.addr));
    let t = http.token("setup", "admin").await?;
    let (s, _) = http
        .call(Method::GET, "/api/v1/auth/me", Some(&t), None)
        .await?;
    assert_eq!(s, 200);
    // a token signed with the development key is not one of this server's
    let dev_token = Http::new(&sys.server.url()).token("setup", "admin").await?;
    let (s, _) = http
        .call(Method::GET, "/api/v1/auth/me", Some(&dev_token), None)
        .await?;
    assert_eq!(s, 401);
    // no key at all outside development
    let mut keyless = loopback();
    keyless.dev = false;
    assert!(serve(&sys, keyless).await.is_err());
    Ok(())
}

/// `--dev` signs with a published key, so it refuses any address that is not loopback, even
/// behind a TLS proxy: the binary, with its flags, and the embedded server alike.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn dev_mode_refuses_a_non_loopback_bind() -> anyhow::Result<()> {
    let sys = System::start().await?;
    let bin = server_bin_path()?;
    // (exit code, stderr); a server still running after 20 s is stopped and answers no code
    let run = |args: &[&str]| -> anyhow::Result<(Option<i32>, String)> {
        let mut child = std::process::Command::new(&bin)
            .arg("serve")
            .args(args)
            .env("DATABASE_URL", &sys.database_url)
            .env_remove("MEDOFFICE_JWT_SECRET")
            .env_remove("MEDOFFICE_JWT_SECRET_FILE")
            .env_remove("MEDOFFICE_DEV")
            .env_remove("MEDOFFICE_BIND")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()?;
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        let code = loop {
            if let Some(status) = child.try_wait()? {
                break status.code();
            }
            if std::time::Instant::now() > deadline {
                child.kill()?;
                child.wait()?;
                break None;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        };
        let mut stderr = String::new();
        if let Some(mut e) = child.stderr.take() {
            std::io::Read::read_to_string(&mut e, &mut stderr)?;
        }
        Ok((code, stderr))
    };
    for bind in ["0.0.0.0:0", "[::]:0", "192.0.2.10:0"] {
        let (code, stderr) = run(&[
            "--dev",
            "--bind",
            bind,
            "--tls-terminated-by-proxy",
            "--no-migrate",
        ])?;
        assert!(
            code.is_some_and(|c| c != 0),
            "{bind}: the server must refuse to start ({code:?}): {stderr}"
        );
        assert!(
            stderr.contains("refusing --dev") && stderr.contains("not a loopback address"),
            "{bind}: {stderr}"
        );
    }
    let mut open = ServeConfig::for_tests();
    open.bind = SocketAddr::from(([0, 0, 0, 0], 0));
    open.transport.tls_terminated_by_proxy = true;
    let err = serve(&sys, open).await.err().map(|e| e.to_string());
    assert!(
        err.as_deref().is_some_and(|e| e.contains("refusing --dev")),
        "{err:?}"
    );
    // on loopback it still serves
    let dev = serve(&sys, loopback()).await?;
    let (s, _) = Http::new(&format!("http://{}", dev.addr))
        .call(Method::GET, "/health", None, None)
        .await?;
    assert_eq!(s, 200);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn headers_cors_and_limits() -> anyhow::Result<()> {
    let sys = System::start().await?;
    let tenant = sys.clinic("limits", "UTC").await?;
    let http = Http::new(&sys.server.url());
    let t = http.token("limits", "nurse").await?;
    // a fresh connection per request: the server closes a connection after refusing an
    // oversize body, and a pooled client could send the next request into that closing socket
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()?;
    let base = sys.server.url();

    // security headers on answers of every kind, no HSTS over plain HTTP
    for (what, req) in [
        ("health", client.get(format!("{base}/health"))),
        ("401", client.get(format!("{base}/api/v1/patients"))),
        ("404", client.get(format!("{base}/api/v1/nope"))),
        (
            "200",
            client.get(format!("{base}/api/v1/auth/me")).bearer_auth(&t),
        ),
    ] {
        let r = req.send().await?;
        assert_security_headers(what, r.headers());
        assert!(!r.headers().contains_key("strict-transport-security"));
    }

    // errors from extractors and layers are JSON too
    let (s, e) = http
        .call(Method::GET, "/api/v1/patients/not-a-uuid", Some(&t), None)
        .await?;
    assert_eq!((s, e["status"].as_u64()), (400, Some(400)), "{e}");
    let (s, e) = http
        .call(Method::GET, "/api/v1/sync/ws", Some(&t), None)
        .await?;
    assert!(
        s >= 400 && e["status"].as_u64() == Some(u64::from(s)),
        "{s} {e}"
    );

    // no cross-origin access by default
    let preflight = |base: String, origin: &'static str| {
        let client = client.clone();
        async move {
            client
                .request(Method::OPTIONS, format!("{base}/api/v1/auth/login"))
                .header("origin", origin)
                .header("access-control-request-method", "POST")
                .header("access-control-request-headers", "content-type")
                .send()
                .await
        }
    };
    let r = preflight(base.clone(), "https://evil.example").await?;
    assert!(!r.headers().contains_key("access-control-allow-origin"));
    // configured origins only
    let mut config = loopback();
    config.transport.cors_origins = vec!["https://portal.clinic.example".into()];
    let cors = serve(&sys, config).await?;
    let cbase = format!("http://{}", cors.addr);
    let r = preflight(cbase.clone(), "https://portal.clinic.example").await?;
    assert_eq!(
        r.headers()
            .get("access-control-allow-origin")
            .and_then(|v| v.to_str().ok()),
        Some("https://portal.clinic.example")
    );
    let r = preflight(cbase.clone(), "https://evil.example").await?;
    assert!(!r.headers().contains_key("access-control-allow-origin"));
    let r = client
        .get(format!("{cbase}/health"))
        .header("origin", "https://evil.example")
        .send()
        .await?;
    assert!(!r.headers().contains_key("access-control-allow-origin"));
    let mut wildcard = loopback();
    wildcard.transport.cors_origins = vec!["*".into()];
    assert!(
        serve(&sys, wildcard).await.is_err(),
        "a wildcard is refused"
    );

    // a body over the limit: 413 with the JSON error body
    let huge = "x".repeat(2 * 1024 * 1024);
    let r = client
        .post(format!("{base}/api/v1/auth/login"))
        .header("content-type", "application/json")
        .body(format!(
            "{{\"tenant\":\"limits\",\"username\":\"{huge}\",\"password\":\"p\"}}"
        ))
        .send()
        .await?;
    assert_eq!(r.status(), 413);
    let e: Value = r.json().await?;
    assert_eq!(e["status"], 413);

    // a request head over the limit (16 KiB) is not served; one under it is
    let r = client
        .get(format!("{base}/health"))
        .header("x-padding", "y".repeat(8 * 1024))
        .send()
        .await?;
    assert_eq!(r.status(), 200);
    let r = client
        .get(format!("{base}/health"))
        .header("x-padding", "y".repeat(40 * 1024))
        .send()
        .await;
    match r {
        Ok(r) => assert_eq!(r.status(), 431),
        Err(e) => assert!(!e.is_timeout(), "{e}"),
    }

    // the time limit: a write stuck behind a lock gets 503 with the JSON body
    let mut config = loopback();
    config.transport.request_timeout_seconds = 1;
    let slow = serve(&sys, config).await?;
    let shttp = Http::new(&format!("http://{}", slow.addr));
    let st = shttp.token("limits", "nurse").await?;
    let mut owner = sqlx::PgConnection::connect(&sys.database_url).await?;
    let mut hold = owner.begin().await?;
    sqlx::query("SELECT 1 FROM tenants WHERE id = $1 FOR UPDATE")
        .bind(tenant)
        .execute(&mut *hold)
        .await?;
    let body = json!({"given_name": "Held", "family_name": "Up", "date_of_birth": "1980-01-01", "sex": "male"});
    let (s, e) = shttp
        .call(
            Method::POST,
            "/api/v1/patients",
            Some(&st),
            Some(body.clone()),
        )
        .await?;
    assert_eq!((s, e["status"].as_u64()), (503, Some(503)), "{e}");
    hold.rollback().await?;
    let (s, _) = shttp
        .call(Method::POST, "/api/v1/patients", Some(&st), Some(body))
        .await?;
    assert_eq!(s, 201, "served again once the lock is gone");
    Ok(())
}
