//! The cache on a real SQLite file: revision guards, the cursor, the outbox, reopening.

use chrono::Utc;
use medoffice_client::cache::Cache;
use medoffice_client::vault::CacheKey;
use medoffice_model::search::parse_query;
use medoffice_model::{
    AdministrativeSex, Change, EntityKind, IdentifierKind, Mutation, MutationEnvelope, MutationOp,
    Patient, PatientIdentifier, Record,
};
use serde_json::json;
use uuid::Uuid;

/// A fixed cache key (the encryption itself is tested in the crate).
fn test_key() -> CacheKey {
    CacheKey::from_hex(&"5a".repeat(32)).expect("key")
}

/// A mutation of `entity`/`op` whose body is `data` laid over a minimal valid body of its kind
/// (the tests care about a field or two).
fn mutation(
    mutation_id: Uuid,
    entity: EntityKind,
    op: MutationOp,
    id: Uuid,
    data: serde_json::Value,
) -> Mutation {
    let mut body = match (entity, op) {
        (EntityKind::Patient, MutationOp::Create) => json!({"given_name": "Ann",
            "family_name": "Test", "date_of_birth": "1985-05-05", "sex": "female"}),
        (EntityKind::VitalSigns, MutationOp::Create) => {
            json!({"patient_id": Uuid::nil(), "measured_at": Utc::now()})
        }
        (EntityKind::Appointment, MutationOp::Create) => json!({"patient_id": Uuid::nil(),
            "provider_id": Uuid::nil(), "starts_at": Utc::now(), "duration_minutes": 15,
            "kind": "follow_up"}),
        _ => json!({}),
    };
    if let (Some(b), serde_json::Value::Object(d)) = (body.as_object_mut(), data) {
        b.extend(d);
    }
    Mutation::decode(&MutationEnvelope {
        mutation_id,
        entity: entity.as_str().into(),
        op: op.as_str().into(),
        id,
        base_revision: None,
        data: body,
    })
    .expect("a valid mutation")
}

fn patient(id: Uuid, given: &str, family: &str, revision: i64) -> Change {
    let p = Patient {
        id,
        mrn: format!("{revision:06}"),
        given_name: given.into(),
        family_name: family.into(),
        date_of_birth: if given == "Mary" {
            chrono::NaiveDate::from_ymd_opt(1988, 1, 2)
        } else {
            chrono::NaiveDate::from_ymd_opt(1950, 5, 17)
        }
        .expect("date"),
        sex: AdministrativeSex::Male,
        phone: Some(
            if given == "Mary" {
                "+44 20 7946 0018"
            } else {
                "(555) 010-7788"
            }
            .into(),
        ),
        email: None,
        address: None,
        emergency_contact_name: None,
        emergency_contact_phone: None,
        city: None,
        state: None,
        postal_code: None,
        country: None,
        preferred_language: None,
        interpreter_required: false,
        next_of_kin_name: None,
        next_of_kin_relationship: None,
        next_of_kin_phone: None,
        identifiers: Vec::new(),
        allergies: vec![],
        no_known_allergies: false,
        notes: None,
        first_seen_at: None,
        revision,
        created_at: Utc::now(),
        updated_at: Utc::now(),
        deleted: false,
        replaced_by: None,
    };
    Change {
        id,
        revision,
        deleted: false,
        record: Record::Patient(p),
    }
}

#[test]
fn an_older_state_never_overwrites_a_newer_one_and_the_cursor_only_moves_forward(
) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let mut cache = Cache::open(&dir.path().join("c.sqlite"), &test_key())?;
    let id = Uuid::new_v4();
    cache.apply_changes(&[patient(id, "José", "Álvarez", 7)], 7)?;
    // a stale page (e.g. a push answer racing the feed) arrives late
    cache.apply_changes(&[patient(id, "Old", "Name", 5)], 5)?;
    assert_eq!(
        cache.patient(id)?.map(|p| p.given_name),
        Some("José".into())
    );
    assert_eq!(cache.cursor()?, 7);
    cache.apply_changes(&[patient(id, "Jose", "Alvarez-Ruiz", 9)], 9)?;
    assert_eq!(
        cache.patient(id)?.map(|p| p.family_name),
        Some("Alvarez-Ruiz".into())
    );
    Ok(())
}

/// A restored server's new history (issue 14): the rows held stay readable while it downloads
/// (a link lost halfway leaves the old list, not half of one), the new history replaces them
/// however low its revisions, and what it did not bring back goes once it has caught up.
#[test]
fn a_new_server_history_replaces_the_rows_only_once_downloaded() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let mut cache = Cache::open(&dir.path().join("c.sqlite"), &test_key())?;
    let (kept, lost) = (Uuid::new_v4(), Uuid::new_v4());
    cache.apply_changes(
        &[
            patient(kept, "Bella", "Before", 40),
            patient(lost, "Alma", "After", 41),
        ],
        41,
    )?;
    cache.restart_history(Some(Uuid::new_v4()))?;
    assert_eq!(cache.cursor()?, 0);
    assert!(
        cache.patient(lost)?.is_some(),
        "still shown while downloading"
    );
    // the restored server numbers from where its backup stood
    cache.apply_changes(&[patient(kept, "Bella", "Restored", 12)], 12)?;
    assert_eq!(
        cache.patient(kept)?.map(|p| p.family_name),
        Some("Restored".into())
    );
    assert!(cache.finish_history_restart()?);
    assert!(cache.patient(lost)?.is_none(), "not on the restored server");
    assert!(cache.patient(kept)?.is_some());
    assert!(!cache.finish_history_restart()?, "nothing left to finish");
    Ok(())
}

#[test]
fn local_search_ignores_accents_and_order_and_reads_phones_and_dates() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let mut cache = Cache::open(&dir.path().join("c.sqlite"), &test_key())?;
    let id = Uuid::new_v4();
    cache.apply_changes(
        &[
            patient(id, "José", "Álvarez", 1),
            patient(Uuid::new_v4(), "Mary", "Smith", 2),
        ],
        2,
    )?;
    for q in [
        "jose",
        "alv jos",
        "ÁLVAREZ",
        "5550107788",
        "010-7788",
        // in groups: whole ("555 010 7788"), or group by group (a country code the record
        // lacks, the area code and the last four)
        "555 010 7788",
        "+1 555 010 7788",
        "555 7788",
        "1950-05-17",
        "17.05.1950",
        "000001",
    ] {
        let found = cache.search_patients(&parse_query(q), 10)?;
        assert_eq!(
            found.iter().map(|p| p.id).collect::<Vec<_>>(),
            vec![id],
            "query {q:?}"
        );
    }
    assert!(cache
        .search_patients(&parse_query("jo smith"), 10)?
        .is_empty());
    assert!(
        cache
            .search_patients(&parse_query("555 9999"), 10)?
            .is_empty(),
        "every group must match"
    );
    assert_eq!(cache.search_patients(&parse_query(""), 10)?.len(), 2);
    // LIKE's wildcards typed into the box are characters to find, not "everyone"
    for q in ["%", "_", "%%", "j%", "sm_th", "\\"] {
        assert!(
            cache.search_patients(&parse_query(q), 10)?.is_empty(),
            "query {q:?}"
        );
    }
    Ok(())
}

#[test]
fn local_search_finds_a_patient_by_any_identifier_until_it_is_gone() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let mut cache = Cache::open(&dir.path().join("c.sqlite"), &test_key())?;
    let id = Uuid::new_v4();
    let mut with_ids = patient(id, "Ana", "Souza", 1);
    if let Record::Patient(p) = &mut with_ids.record {
        p.identifiers = vec![
            PatientIdentifier {
                kind: IdentifierKind::SocialSecurity,
                system: Some("http://hl7.org/fhir/sid/us-ssn".into()),
                value: "999-17-5017".into(),
            },
            PatientIdentifier {
                kind: IdentifierKind::InsuranceMember,
                system: Some("Blue Cross MA".into()),
                value: "xjh-100200".into(),
            },
        ];
    }
    cache.apply_changes(
        &[
            with_ids.clone(),
            patient(Uuid::new_v4(), "Mary", "Smith", 2),
        ],
        2,
    )?;
    // as typed on the card, with or without its punctuation, in any case
    for q in [
        "999-17-5017",
        "999175017",
        // in groups, as printed: found whole, although no group is in the number alone
        "999 17 5017",
        "XJH100200",
        "xjh-100200",
        "souza 999-17-5017",
    ] {
        let found = cache.search_patients(&parse_query(q), 10)?;
        assert_eq!(
            found.iter().map(|p| p.id).collect::<Vec<_>>(),
            vec![id],
            "query {q:?}"
        );
    }
    assert!(
        cache
            .search_patients(&parse_query("XJH1002"), 10)?
            .is_empty(),
        "whole numbers only"
    );
    // an edit that drops one: it no longer finds the patient
    let mut edited = with_ids;
    edited.revision = 3;
    if let Record::Patient(p) = &mut edited.record {
        p.revision = 3;
        p.identifiers.truncate(1);
    }
    cache.apply_changes(&[edited], 3)?;
    assert!(cache
        .search_patients(&parse_query("XJH100200"), 10)?
        .is_empty());
    assert_eq!(
        cache.search_patients(&parse_query("999175017"), 10)?.len(),
        1
    );
    Ok(())
}

#[test]
fn the_outbox_survives_reopening_and_keeps_rejections_with_their_reason() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("c.sqlite");
    let user = Uuid::new_v4();
    let (m1, m2) = (Uuid::new_v4(), Uuid::new_v4());
    {
        let cache = Cache::open(&path, &test_key())?;
        for mid in [m1, m2] {
            let m = mutation(
                mid,
                EntityKind::VitalSigns,
                MutationOp::Create,
                Uuid::new_v4(),
                json!({"notes": "x"}),
            );
            cache.enqueue(&m, user)?;
        }
    }
    let cache = Cache::open(&path, &test_key())?;
    let pending = cache.outbox(true, 10)?;
    assert_eq!(
        pending
            .iter()
            .map(|e| e.mutation.mutation_id)
            .collect::<Vec<_>>(),
        vec![m1, m2],
        "in order, after a restart"
    );
    cache.outbox_rejected(m1, "heart_rate_bpm: must be between 20 and 300/min", None)?;
    cache.outbox_done(m2)?;
    assert_eq!(cache.outbox_counts()?, (0, 1, 0));
    let all = cache.outbox(false, 10)?;
    assert_eq!(
        all[0].error.as_deref(),
        Some("heart_rate_bpm: must be between 20 and 300/min")
    );
    Ok(())
}

#[test]
fn outbox_reads_narrow_to_a_row_a_kind_or_a_patient() -> anyhow::Result<()> {
    use medoffice_client::cache::OutboxFilter;
    let dir = tempfile::tempdir()?;
    let cache = Cache::open(&dir.path().join("c.sqlite"), &test_key())?;
    let user = Uuid::new_v4();
    let (p1, p2, appt) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
    let queue = |entity, op, id, data| {
        let m = mutation(Uuid::new_v4(), entity, op, id, data);
        cache.enqueue(&m, user).map(|_| m.id)
    };
    let v1 = queue(
        EntityKind::VitalSigns,
        MutationOp::Create,
        Uuid::new_v4(),
        json!({"patient_id": p1}),
    )?;
    queue(
        EntityKind::VitalSigns,
        MutationOp::Create,
        Uuid::new_v4(),
        json!({"patient_id": p2}),
    )?;
    queue(
        EntityKind::Appointment,
        MutationOp::Update,
        appt,
        json!({"status": "checked_in"}),
    )?;
    queue(
        EntityKind::Appointment,
        MutationOp::Update,
        appt,
        json!({"status": "in_progress"}),
    )?;

    let of_row = cache.outbox_for(appt)?;
    assert_eq!(of_row.len(), 2);
    assert_eq!(
        of_row[1].mutation.data(),
        json!({"status": "in_progress"}),
        "in order"
    );
    let filter = OutboxFilter {
        entity: Some(EntityKind::VitalSigns),
        patient_id: Some(p1),
        ..Default::default()
    };
    let ids: Vec<Uuid> = cache
        .outbox_where(filter, 100)?
        .iter()
        .map(|e| e.mutation.id)
        .collect();
    assert_eq!(ids, vec![v1]);
    let filter = OutboxFilter {
        entity: Some(EntityKind::Appointment),
        ..Default::default()
    };
    assert_eq!(cache.outbox_where(filter, 100)?.len(), 2);
    assert_eq!(
        cache.pending_of(Uuid::new_v4(), 100)?.len(),
        0,
        "another user's queue is not this one's"
    );
    assert_eq!(cache.pending_of(user, 3)?.len(), 3, "limit");
    Ok(())
}

#[test]
fn a_refused_registration_holds_what_depends_on_it_until_resent_or_discarded() -> anyhow::Result<()>
{
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("c.sqlite");
    let mut cache = Cache::open(&path, &test_key())?;
    let user = Uuid::new_v4();
    let (patient, appt, other) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
    let queue = |cache: &Cache, entity, op, id, data| -> anyhow::Result<Uuid> {
        let m = mutation(Uuid::new_v4(), entity, op, id, data);
        cache.enqueue(&m, user)?;
        Ok(m.mutation_id)
    };
    use EntityKind::*;
    use MutationOp::*;
    let reg = queue(
        &cache,
        Patient,
        Create,
        patient,
        json!({"given_name": "Ann"}),
    )?;
    let vit = queue(
        &cache,
        VitalSigns,
        Create,
        Uuid::new_v4(),
        json!({"patient_id": patient.to_string()}),
    )?;
    let book = queue(
        &cache,
        Appointment,
        Create,
        appt,
        json!({"patient_id": patient.to_string()}),
    )?;
    let checkin = queue(
        &cache,
        Appointment,
        Update,
        appt,
        json!({"status": "checked_in"}),
    )?;
    let unrelated = queue(
        &cache,
        VitalSigns,
        Create,
        Uuid::new_v4(),
        json!({"patient_id": other.to_string()}),
    )?;

    cache.outbox_rejected(reg, "date_of_birth: cannot be in the future", None)?;
    let held = cache.hold_dependents(patient, "waits for the registration")?;
    assert_eq!(held, 3, "vitals, booking, and the check-in of that booking");
    // the server also refused the vitals sent in the same batch: it stays held, not refused
    cache.outbox_rejected(vit, "no such patient", None)?;
    assert_eq!(cache.outbox_counts()?, (1, 1, 3));
    assert_eq!(cache.outbox(true, 10)?[0].mutation.mutation_id, unrelated);
    assert_eq!(cache.outbox_held_by(appt)?[0].mutation.mutation_id, checkin);
    drop(cache);

    // held survives a restart; resending the corrected registration releases everything,
    // in the original order, under fresh mutation ids
    let mut cache = Cache::open(&path, &test_key())?;
    let corrected = mutation(
        reg,
        Patient,
        Create,
        patient,
        json!({"given_name": "Ann", "date_of_birth": "1990-01-01"}),
    );
    let new_reg = cache.resend(reg, Some(&corrected))?;
    assert_ne!(new_reg, reg);
    let pending = cache.outbox(true, 10)?;
    assert_eq!(
        pending.iter().map(|e| e.mutation.id).collect::<Vec<_>>(),
        vec![
            patient,
            pending[1].mutation.id,
            appt,
            appt,
            pending[4].mutation.id
        ]
    );
    assert!(pending
        .iter()
        .all(|e| ![vit, book, checkin].contains(&e.mutation.mutation_id)));
    assert_eq!(pending[0].mutation.data()["date_of_birth"], "1990-01-01");

    // refused again, then discarded: the registration and what depends on it go, nothing else
    cache.outbox_rejected(new_reg, "still wrong", None)?;
    assert_eq!(cache.hold_dependents(patient, "waits")?, 3);
    let gone = cache.discard(new_reg)?;
    assert_eq!(gone.len(), 4);
    assert_eq!(cache.outbox_counts()?, (1, 0, 0));
    Ok(())
}
