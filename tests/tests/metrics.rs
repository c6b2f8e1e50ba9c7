//! Prometheus metrics (issue 14): `/metrics` is scraped after real traffic (requests by route and
//! status with latency histograms, the pool, an open WebSocket and the feed pages pushed over
//! it, pushed mutations by outcome, the audit sealer) and holds no patient, user or clinic in
//! any label; a server whose `--metrics-allow` does not name loopback refuses the same scrape.

use std::time::Duration;

use medoffice_e2e::{wait_for, Http, System, TestServer};
use reqwest::Method;
use serde_json::{json, Value};
use uuid::Uuid;

/// The value of the sample `name{labels}` (labels as written, in order), if scraped.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|l| {
        l.strip_prefix(series)?
            .strip_prefix(' ')?
            .split(' ')
            .next()?
            .parse()
            .ok()
    })
}

async fn scrape(http: &Http) -> anyhow::Result<(u16, String)> {
    let r = http
        .client
        .get(format!("{}/metrics", http.base))
        .send()
        .await?;
    let status = r.status().as_u16();
    Ok((status, r.text().await?))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn metrics_count_real_traffic_and_name_no_one() -> anyhow::Result<()> {
    let sys = System::start().await?;
    sys.clinic("metrics", "UTC").await?;
    let http = Http::new(&sys.server.url());
    let nurse = http.token("metrics", "nurse").await?;
    let reception = http.token("metrics", "reception").await?;

    // a live socket, then writes it hears of
    let mut socket = {
        use tokio_tungstenite::tungstenite::client::IntoClientRequest;
        let mut req = format!("ws://{}/api/v1/sync/ws", sys.server.addr).into_client_request()?;
        req.headers_mut()
            .insert("authorization", format!("Bearer {nurse}").parse()?);
        tokio_tungstenite::connect_async(req).await?.0
    };
    let pid = Uuid::new_v4();
    let (s, p) = http
        .call(
            Method::POST,
            "/api/v1/patients",
            Some(&nurse),
            Some(
                json!({"id": pid, "given_name": "Zebedee", "family_name": "Quixotic",
                "date_of_birth": "1970-01-01", "sex": "male"}),
            ),
        )
        .await?;
    assert_eq!(s, 201, "{p}");
    let (s, _) = http
        .call(
            Method::GET,
            &format!("/api/v1/patients/{pid}"),
            Some(&nurse),
            None,
        )
        .await?;
    assert_eq!(s, 200);
    let (s, _) = http
        .call(
            Method::GET,
            &format!("/api/v1/patients/{}", Uuid::new_v4()),
            Some(&nurse),
            None,
        )
        .await?;
    assert_eq!(s, 404);
    // one push: a set applied, and a receptionist's refused
    let set = |id: Uuid| {
        json!({"mutation_id": Uuid::new_v4(), "entity": "vital_signs", "op": "create",
        "id": id, "data": {"patient_id": pid, "measured_at": chrono::Utc::now(), "heart_rate_bpm": 70}})
    };
    let (s, b) = http
        .call(
            Method::POST,
            "/api/v1/sync/push",
            Some(&nurse),
            Some(json!({"mutations": [set(Uuid::new_v4())]})),
        )
        .await?;
    assert_eq!(
        (s, &b["results"][0]["status"]),
        (200, &json!("applied")),
        "{b}"
    );
    let (s, b) = http
        .call(
            Method::POST,
            "/api/v1/sync/push",
            Some(&reception),
            Some(json!({"mutations": [set(Uuid::new_v4())]})),
        )
        .await?;
    assert_eq!(
        (s, &b["results"][0]["status"]),
        (200, &json!("rejected")),
        "{b}"
    );

    // the pages reached the socket
    {
        use futures_util::StreamExt;
        let mut pages = 0;
        while pages < 2 {
            let msg = tokio::time::timeout(Duration::from_secs(30), socket.next())
                .await
                .map_err(|_| anyhow::anyhow!("the socket stayed silent"))?;
            if let Some(Ok(tokio_tungstenite::tungstenite::Message::Text(t))) = msg {
                let v: Value = serde_json::from_str(&t)?;
                if v["type"] == "changes" {
                    pages += 1;
                }
            }
        }
    }

    let (status, text) = scrape(&http).await?;
    assert_eq!(status, 200, "{text}");
    let get = |series: &str| sample(&text, series);
    assert_eq!(
        get(
            r#"medoffice_http_requests_total{method="GET",route="/api/v1/patients/{id}",status="200"}"#
        ),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        get(
            r#"medoffice_http_requests_total{method="GET",route="/api/v1/patients/{id}",status="404"}"#
        ),
        Some(1.0)
    );
    assert_eq!(
        get(
            r#"medoffice_http_requests_total{method="POST",route="/api/v1/sync/push",status="200"}"#
        ),
        Some(2.0)
    );
    assert_eq!(
        get(
            r#"medoffice_http_request_duration_seconds_count{method="POST",route="/api/v1/patients"}"#
        ),
        Some(1.0)
    );
    assert!(
        get(r#"medoffice_http_request_duration_seconds_bucket{le="8.192",method="POST",route="/api/v1/patients"}"#)
            .is_some(),
        "a latency histogram per route: {text}"
    );
    assert_eq!(
        get(r#"medoffice_sync_mutations_total{kind="applied"}"#),
        Some(1.0)
    );
    assert_eq!(
        get(r#"medoffice_sync_mutations_total{kind="rejected"}"#),
        Some(1.0)
    );
    assert_eq!(get("medoffice_websockets_open"), Some(1.0));
    assert!(
        get("medoffice_feed_pages_pushed_total").is_some_and(|n| n >= 2.0),
        "{text}"
    );
    assert!(get(r#"medoffice_db_pool_connections{kind="max"}"#).is_some_and(|n| n > 0.0));
    assert!(get(r#"medoffice_db_pool_connections{kind="idle"}"#).is_some());
    assert!(get("medoffice_audit_seal_lag_seconds").is_some());
    // the sealer chains the entries these requests wrote
    wait_for(Duration::from_secs(30), || async {
        scrape(&http).await.is_ok_and(|(_, t)| {
            sample(&t, "medoffice_audit_entries_sealed_total").is_some_and(|n| n > 0.0)
        })
    })
    .await?;
    // nobody is named: not the patient, the clinic, a user, nor an id
    for word in [
        "Zebedee",
        "Quixotic",
        "metrics\"",
        "nurse",
        "reception",
        &pid.to_string(),
    ] {
        assert!(!text.contains(word), "{word} in the metrics");
    }

    // the socket closes: the gauge follows
    drop(socket);
    wait_for(Duration::from_secs(30), || async {
        scrape(&http)
            .await
            .is_ok_and(|(_, t)| sample(&t, "medoffice_websockets_open") == Some(0.0))
    })
    .await?;

    // a server that allows only another network refuses this address
    let mut config = medoffice_server::ServeConfig::for_tests();
    config.metrics_allow = vec!["10.0.0.0/8".parse()?];
    let url = sys.database_url.clone();
    let other =
        tokio::task::spawn_blocking(move || TestServer::start_with(&url, 0, config)).await??;
    let (status, body) = scrape(&Http::new(&other.url())).await?;
    assert_eq!(status, 403, "{body}");
    Ok(())
}

/// `--log-format json` writes one JSON object a line (the collector's input), the startup line
/// among them with its level and fields.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_are_json_lines_on_request() -> anyhow::Result<()> {
    use std::io::BufRead;
    let sys = System::start().await?;
    let mut child = std::process::Command::new(medoffice_e2e::server_bin_path()?)
        .args([
            "--log-format",
            "json",
            "serve",
            "--dev",
            "--no-migrate",
            "--bind",
            "127.0.0.1:0",
        ])
        .env("DATABASE_URL", &sys.database_url)
        .env_remove("RUST_LOG")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()?;
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| anyhow::anyhow!("no stdout"))?;
    let found = tokio::task::spawn_blocking(move || -> anyhow::Result<Value> {
        for line in std::io::BufReader::new(stdout).lines() {
            let line = line?;
            let v: Value = serde_json::from_str(&line)
                .map_err(|e| anyhow::anyhow!("not a JSON line ({e}): {line}"))?;
            if v["fields"]["message"] == "medoffice server listening" {
                return Ok(v);
            }
        }
        anyhow::bail!("the server ended without saying it listens")
    });
    let line = tokio::time::timeout(Duration::from_secs(60), found).await;
    let _ = child.kill();
    let _ = child.wait();
    let line = line.map_err(|_| anyhow::anyhow!("no startup line in 60 s"))???;
    assert_eq!(line["level"], "INFO", "{line}");
    assert!(line["timestamp"].is_string(), "{line}");
    assert!(
        line["fields"]["addr"]
            .as_str()
            .is_some_and(|a| a.starts_with("127.0.0.1:")),
        "{line}"
    );
    Ok(())
}
