//! The desktop cache's hot paths: applying a feed page (1000 mixed changes, one transaction,
//! one `fsync`) and patient search at clinic scale (100,000 patients), both through the cache
//! alone and through `local::search`, the path the app's search box takes (outbox overlay,
//! sorting), for what a receptionist types; and the registration form's possible-duplicates
//! check (`duplicates::find`).
//!
//! The 100,000-patient cache is built once per run in a real SQLite file (WAL,
//! `synchronous=FULL`) under the target directory, from seeded synthetic patients
//! (`crates/model/benches/support/fixtures.rs`). Under `cargo test --benches` (criterion's test
//! mode: every benchmark once) it holds 2,000 patients so the smoke check stays fast;
//! `MEDOFFICE_BENCH_PATIENTS` overrides the size.
//!
//! `cargo bench -p medoffice-client --bench cache` measures.

#![allow(missing_docs, clippy::unwrap_used)]

use std::hint::black_box;
use std::time::Instant;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use medoffice_client::cache::Cache;
use medoffice_client::duplicates;
use medoffice_client::local;
use medoffice_client::vault::CacheKey;
use medoffice_model::search::parse_query;

/// A fixed cache key (the encryption itself is tested in the crate).
fn test_key() -> CacheKey {
    CacheKey::from_hex(&"5a".repeat(32)).expect("key")
}

#[path = "../../model/benches/support/fixtures.rs"]
mod fixtures;

/// Size of the search cache: 100,000 when measuring, 2,000 in test mode.
fn patient_count() -> usize {
    if let Some(n) = std::env::var("MEDOFFICE_BENCH_PATIENTS")
        .ok()
        .and_then(|n| n.parse().ok())
    {
        return n;
    }
    if std::env::args().any(|a| a == "--bench") {
        100_000
    } else {
        2_000
    }
}

fn bench_dir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("medoffice-bench-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .unwrap()
}

fn apply_page(c: &mut Criterion) {
    let dir = bench_dir();
    let mut cache = Cache::open(&dir.path().join("cache.sqlite"), &test_key()).unwrap();
    let mut g = fixtures::Gen::new(fixtures::SEED);
    let base = fixtures::patient_changes(&mut g, 1000);
    let pids: Vec<_> = base.iter().map(|c| c.id).collect();
    cache.apply_changes(&base, 1000).unwrap();
    let mut group = c.benchmark_group("apply_changes");
    group.throughput(Throughput::Elements(1000));
    group.sample_size(30);
    group.bench_function(
        "page of 1000 mixed (200 patients, 600 vitals, 200 appointments)",
        |b| {
            b.iter_batched(
                || g.changes(1000, &pids),
                |page| {
                    let cursor = page.last().map_or(0, |c| c.revision);
                    black_box(cache.apply_changes(&page, cursor).unwrap())
                },
                BatchSize::PerIteration,
            )
        },
    );
    group.finish();
}

/// What a receptionist types, each with a short label (the benchmark's name).
fn queries(cache: &Cache) -> Vec<(&'static str, String)> {
    // a real patient's birth date, phone and MRN from the middle of the register
    let mid = format!("{:06}", patient_count() / 2);
    let p = cache
        .search_patients(&parse_query(&mid), 1)
        .unwrap()
        .into_iter()
        .next()
        .unwrap();
    let phone: String = p
        .phone
        .clone()
        .unwrap_or_default()
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    vec![
        ("empty (screen opens)", String::new()),
        ("one letter 'm'", "m".into()),
        ("family prefix 'garc'", "garc".into()),
        ("given family 'maria garcia'", "maria garcia".into()),
        ("rare family 'okaf'", "okaf".into()),
        ("birth date", p.date_of_birth.to_string()),
        ("phone digits (10)", phone.clone()),
        ("phone last 4", phone[phone.len() - 4..].to_owned()),
        ("MRN", p.mrn.clone()),
        ("no match 'zzzz'", "zzzz".into()),
    ]
}

fn search(c: &mut Criterion) {
    let n = patient_count();
    let dir = bench_dir();
    let path = dir.path().join("cache.sqlite");
    let mut cache = Cache::open(&path, &test_key()).unwrap();
    let started = Instant::now();
    let mut g = fixtures::Gen::new(fixtures::SEED);
    let mut done = 0;
    while done < n {
        let page = fixtures::patient_changes(&mut g, (n - done).min(1000));
        done += page.len();
        cache.apply_changes(&page, done as i64).unwrap();
    }
    assert_eq!(cache.counts().unwrap().0, n as i64);
    let size = std::fs::metadata(&path).map_or(0, |m| m.len())
        + std::fs::metadata(path.with_extension("sqlite-wal")).map_or(0, |m| m.len());
    eprintln!(
        "search cache: {n} patients built in {:.1} s, {:.1} MB on disk",
        started.elapsed().as_secs_f64(),
        size as f64 / 1e6
    );
    let qs = queries(&cache);
    for (label, q) in &qs {
        let found = local::search(&cache, &parse_query(q), 50).unwrap().len();
        eprintln!("  {label:<30} {q:>14?} -> {found} rows");
    }
    let mut group = c.benchmark_group(format!("search_{}k", n / 1000));
    group.sample_size(20);
    for (label, q) in &qs {
        group.bench_function(format!("cache/{label}"), |b| {
            b.iter(|| {
                let terms = parse_query(black_box(q));
                black_box(cache.search_patients(&terms, 50).unwrap())
            })
        });
        group.bench_function(format!("local/{label}"), |b| {
            b.iter(|| black_box(local::search(&cache, &parse_query(black_box(q)), 50).unwrap()))
        });
    }
    // the registration form's check: a patient from the middle of the register typed again
    // with a one-letter typo in the family name (found through the date-of-birth index)
    let mid = format!("{:06}", n / 2);
    let p = cache
        .search_patients(&parse_query(&mid), 1)
        .unwrap()
        .into_iter()
        .next()
        .unwrap();
    let typo = format!("{}x", p.family_name);
    let found = duplicates::find(&cache, &p.given_name, &typo, p.date_of_birth).unwrap();
    assert!(found.iter().any(|d| d.patient.record.id == p.id));
    eprintln!(
        "  possible duplicates of {} {typo} {}: {} rows",
        p.given_name,
        p.date_of_birth,
        found.len()
    );
    group.bench_function("possible_duplicates/typo in family name", |b| {
        b.iter(|| {
            black_box(
                duplicates::find(&cache, black_box(&p.given_name), &typo, p.date_of_birth).unwrap(),
            )
        })
    });
    group.finish();
}

criterion_group!(benches, apply_page, search);
criterion_main!(benches);
