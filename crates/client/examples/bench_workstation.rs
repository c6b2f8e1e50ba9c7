//! Prepares a workstation data folder for the desktop benchmarks (`scripts/bench-desktop`):
//! a clinic cache holding N seeded synthetic patients (written by `Cache::apply_changes`, the
//! same rows a feed pull writes), the preferences of a signed-in receptionist, and a refresh
//! token in the OS keyring, so the app resumes that session at start and opens the cache
//! without a server (it then shows "offline": the server URL points at a closed port).
//!
//! ```sh
//! keyctl session - cargo run --release -p medoffice-client --example bench_workstation -- \
//!     DIR 100000 KEYRING_SERVICE
//! ```
//! The keyring entry lives in the calling keyctl session: start the app from the same session.

#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::time::Instant;

use medoffice_client::cache::Cache;
use medoffice_client::secrets::{Secret, SecretStore};
use medoffice_client::vault::CacheKey;
use medoffice_client::WorkstationConfig;
use medoffice_model::{Role, TenantInfo, UserInfo};
use uuid::Uuid;

/// A fixed cache key (the encryption itself is tested in the crate).
fn test_key() -> CacheKey {
    CacheKey::from_hex(&"5a".repeat(32)).expect("key")
}

#[path = "../../model/benches/support/fixtures.rs"]
mod fixtures;

/// Where the resumed session believes its server is: a closed loopback port, so the app is
/// offline and the figures are the app's own, with no sync traffic.
const SERVER_URL: &str = "http://127.0.0.1:9";

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(args.next().expect("usage: DIR PATIENTS KEYRING_SERVICE"));
    let n: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(100_000);
    let service = args.next().unwrap_or_else(|| "medoffice-bench".into());
    std::fs::create_dir_all(&dir).unwrap();
    let tenant = TenantInfo {
        id: Uuid::from_u128(0x6d65_646f_6666_6963_6500_0000_0000_0001),
        code: "bench".into(),
        name: "Benchmark Family Clinic".into(),
        time_zone: "America/New_York".into(),
        require_admin_totp: false,
        max_users: None,
        max_patients: None,
        address: None,
        phone: None,
        date_order: Default::default(),
        hour_cycle: Default::default(),
        week_start: Default::default(),
    };
    let user = UserInfo {
        id: Uuid::from_u128(0x6d65_646f_6666_6963_6500_0000_0000_0002),
        tenant_id: tenant.id,
        username: "reception".into(),
        full_name: "Rita Alvarez".into(),
        role: Role::Receptionist,
        permissions: Role::Receptionist.permissions().to_vec(),
        tenant,
        active: true,
        must_change_password: false,
        totp_enabled: false,
        locked_until: None,
        last_login_at: None,
    };
    let started = Instant::now();
    let path = dir.join(format!("cache-{}.sqlite", user.tenant_id));
    let mut cache = Cache::open(&path, &test_key()).unwrap();
    let mut g = fixtures::Gen::new(fixtures::SEED);
    let have = cache.counts().unwrap().0 as usize;
    let mut done = 0;
    while done < n {
        let page = fixtures::patient_changes(&mut g, (n - done).min(1000));
        done += page.len();
        if done > have {
            cache.apply_changes(&page, done as i64).unwrap();
        }
    }
    drop(cache);
    // the same file `Workstation::login` writes (crates/client/src/lib.rs `Prefs`)
    let prefs = serde_json::json!({
        "server_url": SERVER_URL,
        "tenant": user.tenant.code,
        "username": user.username,
        "user": user,
    });
    std::fs::write(
        dir.join("workstation.json"),
        serde_json::to_string_pretty(&prefs).unwrap(),
    )
    .unwrap();
    // `Workstation::keyring_account`: server|tenant|username
    let account = format!("{SERVER_URL}|{}|{}", user.tenant.code, user.username);
    let store = SecretStore::new(service.clone());
    store
        .set(&account, &Secret::new("bench-refresh-token"))
        .unwrap();
    // the cache's key where `Workstation::resume` looks for it (`cache_key_account`:
    // cache-key|device id|clinic); without it the app asks someone to sign in
    let config = WorkstationConfig::in_dir(dir.clone(), service).unwrap();
    store
        .set(
            &format!("cache-key|{}|{}", config.device_id, user.tenant_id),
            &Secret::new(test_key().to_hex().as_str()),
        )
        .unwrap();
    let size = std::fs::metadata(&path).map_or(0, |m| m.len());
    println!(
        "{}: {n} patients, {:.1} MB, in {:.1} s",
        path.display(),
        size as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );
}
