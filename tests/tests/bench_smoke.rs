//! Smoke run of every benchmark scenario at tiny sizes against a private cluster and two
//! server processes' worth of servers, so the load generator cannot rot. Checks counts only
//! (nothing missed, no errors): benchmarks report timings, tests never judge them.

use std::time::Duration;

use medoffice_bench::generate::{generate, server_counts, GenerateParams};
use medoffice_bench::scenarios::{
    cold_sync, outbox_drain, propagation, read_throughput, write_spread, write_throughput,
    ColdSyncParams, DrainParams, ListenerKind, LoadParams, PropagationParams,
};
use medoffice_bench::{Report, Target};
use medoffice_e2e::{System, TestServer};

const PASSWORD: &str = "bench-smoke-password";

fn sane(r: &Report) {
    println!("{}", r.summary());
    assert_eq!(r.errors, 0, "{} had errors: {r:?}", r.scenario);
    assert_eq!(r.missed, 0, "{} missed deliveries: {r:?}", r.scenario);
    assert!(r.operations > 0, "{} did nothing: {r:?}", r.scenario);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_benchmark_scenario_runs_and_its_counts_add_up() -> anyhow::Result<()> {
    let sys = System::start().await?;
    let generated = generate(
        &sys.database_url,
        &GenerateParams {
            tenant: "bench".into(),
            time_zone: "America/New_York".into(),
            password: PASSWORD.into(),
            patients: 300,
            vitals: 3000,
            appointments: 600,
            providers: 3,
            seed: 42,
        },
    )
    .await?;
    assert_eq!(
        (generated.patients, generated.vitals, generated.appointments),
        (300, 3000, 600)
    );
    // the counter stands where the trigger would have left it: one revision per row
    let (p, v, a, staff, revision) = server_counts(&sys.database_url, "bench").await?;
    assert_eq!((p, v, a), (300, 3000, 600));
    assert_eq!(revision, p + v + a + staff);

    let url = sys.database_url.clone();
    let second = tokio::task::spawn_blocking(move || TestServer::start(&url, 0)).await??;
    let target = Target::new(
        vec![sys.server.url(), second.url()],
        "bench",
        PASSWORD,
        Some(sys.database_url.clone()),
    )?;
    assert!(Target::new(
        vec!["http://192.0.2.1:8080".into()],
        "bench",
        PASSWORD,
        None
    )
    .is_err());

    let load = LoadParams {
        clients: 3,
        duration: Duration::from_secs(3),
        max_ops: Some(60),
        seed: 1,
    };
    sane(&write_throughput(&target, &load).await?);
    sane(&read_throughput(&target, &load).await?);

    // writes spread over clinics: every set lands in the clinic whose nurse recorded it, and
    // each clinic's counter still stands at one revision per row
    for (i, c) in ["spread-001", "spread-002", "spread-003"]
        .into_iter()
        .enumerate()
    {
        generate(
            &sys.database_url,
            &GenerateParams {
                tenant: c.into(),
                time_zone: "UTC".into(),
                password: PASSWORD.into(),
                patients: 40,
                vitals: 0,
                appointments: 0,
                providers: 1,
                // the generator's ids follow its seed: one seed per clinic
                seed: 7 + i as u64,
            },
        )
        .await?;
    }
    let spread = Target::new(vec![sys.server.url()], "spread", PASSWORD, None)?;
    let r = write_spread(&spread, 3, &load).await?;
    sane(&r);
    let mut recorded = 0;
    for c in ["spread-001", "spread-002", "spread-003"] {
        let (p, v, a, staff, revision) = server_counts(&sys.database_url, c).await?;
        assert!(v > 0, "{c} recorded nothing");
        assert_eq!(revision, p + v + a + staff, "{c}: one revision per row");
        recorded += v;
    }
    assert_eq!(recorded as u64, r.operations);

    let prop = |listeners, kind, listener_server| PropagationParams {
        listeners,
        kind,
        writes: 15,
        interval: Duration::from_millis(20),
        writer_server: 0,
        listener_server,
        grace: Duration::from_secs(30),
        seed: 2,
    };
    sane(&propagation(&target, &prop(6, ListenerKind::Raw, 0)).await?);
    sane(&propagation(&target, &prop(2, ListenerKind::Workstation, 0)).await?);
    let fanout = propagation(&target, &prop(6, ListenerKind::Raw, 1)).await?;
    assert_eq!(fanout.scenario, "fanout");
    sane(&fanout);

    let cold = cold_sync(
        &target,
        &ColdSyncParams {
            limit: Duration::from_secs(120),
            dir: None,
        },
    )
    .await?;
    sane(&cold);
    assert!(cold.extra["cache_bytes"].as_u64().unwrap_or(0) > 0);

    sane(
        &outbox_drain(
            &target,
            &DrainParams {
                mutations: 150,
                limit: Duration::from_secs(120),
            },
        )
        .await?,
    );
    Ok(())
}
