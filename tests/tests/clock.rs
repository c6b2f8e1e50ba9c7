//! Workstations whose clocks are wrong (issue 15). The headless workstation runs under
//! libfaketime with its clock 20 minutes fast, and another 3 hours slow; each signs in, records
//! a vital-sign set online and another with the server away, and both must reach the server
//! stamped by the server's time: not refused as "in the future", not three hours in the past.
//! The status says the clock is off.

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use chrono::{DateTime, Utc};
use medoffice_e2e::proxy::Proxy;
use medoffice_e2e::{cli_path, workstation_config, Http, System, PASSWORD};
use reqwest::Method;
use serde_json::{json, Value};

const LIBFAKETIME: &str = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1";

/// Runs the headless workstation in `dir` with its clock shifted by `shift` (libfaketime's
/// `FAKETIME` syntax, e.g. `+20m`).
fn run_shifted(dir: &Path, keyring: &str, shift: &str, args: &[&str]) -> anyhow::Result<Output> {
    Ok(Command::new(cli_path()?)
        .args(args)
        .env("MEDOFFICE_DATA_DIR", dir)
        .env("MEDOFFICE_KEYRING_SERVICE", keyring)
        .env("MEDOFFICE_PASSWORD", PASSWORD)
        .env("MEDOFFICE_LOG", "error")
        .env("LD_PRELOAD", LIBFAKETIME)
        .env("FAKETIME", shift)
        .output()?)
}

fn json_of(what: &str, o: &Output) -> anyhow::Result<Value> {
    anyhow::ensure!(
        o.status.success(),
        "{what}: {}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    Ok(serde_json::from_slice(&o.stdout)?)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_workstation_with_a_wrong_clock_stamps_by_the_servers_clock_online_and_offline(
) -> anyhow::Result<()> {
    anyhow::ensure!(
        Path::new(LIBFAKETIME).exists(),
        "libfaketime is missing (apt-get install faketime)"
    );
    let sys = System::start().await?;
    sys.clinic("drift", "UTC").await?;
    let proxy = Proxy::start(sys.server_addr()?).await?;
    let http = Http::new(&sys.server.url());
    let token = http.token("drift", "nurse").await?;
    let (status, patient) = http
        .call(
            Method::POST,
            "/api/v1/patients",
            Some(&token),
            Some(json!({"given_name": "Dora", "family_name": "Drift",
                "date_of_birth": "1948-05-17", "sex": "female"})),
        )
        .await?;
    anyhow::ensure!(status == 201, "{patient}");
    let patient_id = patient["id"].as_str().unwrap_or_default().to_owned();

    for (shift, ahead_ms) in [("+20m", 20 * 60_000i64), ("-3h", -3 * 3_600_000)] {
        // the faked clock really is off for the workstation (and only for it)
        let o = Command::new("date")
            .arg("+%s")
            .env("LD_PRELOAD", LIBFAKETIME)
            .env("FAKETIME", shift)
            .output()?;
        let date: i64 = String::from_utf8_lossy(&o.stdout).trim().parse()?;
        let off = date - Utc::now().timestamp();
        assert!(
            (off - ahead_ms / 1000).abs() < 5,
            "libfaketime shifts the clock by {shift}: {off} s"
        );

        let dir = tempfile::tempdir()?;
        let config = workstation_config(dir.path(), "nurse");
        let run = |args: &[&str]| run_shifted(dir.path(), &config.keyring_service, shift, args);

        json_of(
            "login",
            &run(&[
                "login",
                "--server",
                &proxy.url(),
                "--tenant",
                "drift",
                "--username",
                "nurse",
            ])?,
        )?;
        // the status knows how far off the clock is and says so
        let st = json_of("status", &run(&["status"])?)?;
        let learned = st["clock_ahead_ms"].as_i64().unwrap_or_default();
        assert!(
            (learned - ahead_ms).abs() < 5_000,
            "{shift}: the workstation learned {learned} ms from the server's Date header"
        );
        assert_eq!(st["clock_wrong"], json!(true), "{st}");

        // online: recorded "now", sent at once
        json_of(
            "vitals online",
            &run(&["vitals", "--patient", &patient_id, "--heart-rate", "71"])?,
        )?;
        let st = json_of("sync", &run(&["sync"])?)?;
        assert_eq!(
            (st["pending"].as_i64(), st["rejected"].as_i64()),
            (Some(0), Some(0)),
            "{shift}: the set measured online was taken: {st}"
        );

        // offline, in a new run of the workstation: stamped by what the last run learned
        proxy.set_online(false);
        json_of(
            "vitals offline",
            &run(&["vitals", "--patient", &patient_id, "--heart-rate", "72"])?,
        )?;
        proxy.set_online(true);
        let mut st = Value::Null;
        for _ in 0..30 {
            st = json_of("sync", &run(&["sync"])?)?;
            if st["pending"] == json!(0) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        assert_eq!(
            (st["pending"].as_i64(), st["rejected"].as_i64()),
            (Some(0), Some(0)),
            "{shift}: the set measured offline was taken: {st}"
        );
    }

    // all four sets reached the server, each stamped within a minute of the server's now
    let rows = sys.server_rows("drift", "nurse").await?;
    let sets = rows.get("vital_signs").cloned().unwrap_or_default();
    let mut heart_rates = Vec::new();
    for (_, (_, _, data)) in sets {
        let at: DateTime<Utc> = serde_json::from_value(data["measured_at"].clone())?;
        let off = (at - Utc::now()).num_seconds().abs();
        assert!(
            off < 60,
            "measured_at {at} is {off} s from the server's now"
        );
        heart_rates.push(data["heart_rate_bpm"].as_i64().unwrap_or_default());
    }
    heart_rates.sort();
    assert_eq!(heart_rates, vec![71, 71, 72, 72]);
    Ok(())
}
