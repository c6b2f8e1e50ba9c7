//! Server-side hot paths that live in the model crate: validating what a workstation sends
//! (a registration, a vital-signs set with its flags and NEWS2) and (de)serialising the two big
//! sync bodies (a feed page of 1000 changes, a push of 200 mutations).
//!
//! `cargo bench -p medoffice-model` measures; `cargo test --benches` runs each once.

#![allow(missing_docs, clippy::unwrap_used)]

use std::hint::black_box;

use chrono::{NaiveDate, Utc};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use medoffice_model::{AdministrativeSex, AgeAt, ChangesPage, PushRequest};

/// A 54-year-old: adult bands and NEWS2.
const ADULT: AgeAt = AgeAt {
    years: 54,
    days: 54 * 365 + 13,
};

#[path = "support/fixtures.rs"]
mod fixtures;

fn validation(c: &mut Criterion) {
    let mut g = fixtures::Gen::new(fixtures::SEED);
    let today = NaiveDate::from_ymd_opt(2026, 6, 1).unwrap();
    let patients: Vec<_> = (0..100).map(|_| g.new_patient()).collect();
    let vitals: Vec<_> = (0..100).map(|_| g.new_vitals()).collect();
    let now = Utc::now();
    let mut group = c.benchmark_group("validate");
    group.throughput(Throughput::Elements(100));
    group.bench_function("NewPatient x100", |b| {
        b.iter(|| {
            for p in &patients {
                black_box(p.clone().normalized().validate(today).is_ok());
            }
        })
    });
    group.bench_function("NewVitalSigns x100", |b| {
        b.iter(|| {
            for v in &vitals {
                black_box(v.validate(now).is_ok());
            }
        })
    });
    group.bench_function("Measurements flags+NEWS2 x100", |b| {
        b.iter(|| {
            for v in &vitals {
                let m = &v.measurements;
                black_box((
                    m.flags_for_age(Some(ADULT), AdministrativeSex::Female),
                    m.news2_for_age(Some(ADULT)),
                ));
            }
        })
    });
    group.finish();
}

fn serialisation(c: &mut Criterion) {
    let mut g = fixtures::Gen::new(fixtures::SEED);
    let page = ChangesPage {
        changes: g.changes(1000, &[]),
        revision: 1000,
        has_more: true,
    };
    let push = PushRequest {
        mutations: g.mutations(200),
    };
    let page_json = serde_json::to_vec(&page).unwrap();
    let push_json = serde_json::to_vec(&push).unwrap();
    let mut group = c.benchmark_group("serde");
    group.throughput(Throughput::Bytes(page_json.len() as u64));
    group.bench_function("ChangesPage 1000 to_vec", |b| {
        b.iter(|| black_box(serde_json::to_vec(black_box(&page)).unwrap()))
    });
    group.bench_function("ChangesPage 1000 from_slice", |b| {
        b.iter(|| black_box(serde_json::from_slice::<ChangesPage>(black_box(&page_json)).unwrap()))
    });
    group.throughput(Throughput::Bytes(push_json.len() as u64));
    group.bench_function("PushRequest 200 to_vec", |b| {
        b.iter(|| black_box(serde_json::to_vec(black_box(&push)).unwrap()))
    });
    group.bench_function("PushRequest 200 from_slice", |b| {
        b.iter_batched(
            || push_json.clone(),
            |j| black_box(serde_json::from_slice::<PushRequest>(&j).unwrap()),
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

criterion_group!(benches, validation, serialisation);
criterion_main!(benches);
