//! Seeded synthetic clinic data for the benchmarks (shared by `crates/model/benches` and
//! `crates/client/benches` through `#[path]`, so both measure the same rows).
//!
//! Names are drawn with a Zipf-like weight from common US given and family names (the
//! distribution of a real register: many Smiths, few Okafors), with a few accented names so
//! accent folding is exercised. Dates of birth spread over 1930–2024, phone numbers are
//! 10-digit North American numbers, MRNs are sequential (`000001`…), as the server assigns them.

#![allow(dead_code, missing_docs)]

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use medoffice_model::{
    AdministrativeSex, AgeAt, Appointment, AppointmentKind, AppointmentStatus, Change,
    Consciousness, Measurements, Mutation, MutationEnvelope, MutationKind, NewAppointment,
    NewPatient, NewVitalSigns, NewVitalSignsForPatient, Patient, Record, VitalSigns,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use uuid::Uuid;

/// The seed every benchmark uses.
pub const SEED: u64 = 0x6d65_646f_6666;

pub const GIVEN: &[&str] = &[
    "James",
    "Mary",
    "Robert",
    "Patricia",
    "John",
    "Jennifer",
    "Michael",
    "Linda",
    "David",
    "Elizabeth",
    "William",
    "Barbara",
    "Richard",
    "Susan",
    "Joseph",
    "Jessica",
    "Thomas",
    "Sarah",
    "Christopher",
    "Karen",
    "Charles",
    "Lisa",
    "Daniel",
    "Nancy",
    "Matthew",
    "Betty",
    "Anthony",
    "Sandra",
    "Mark",
    "Margaret",
    "Donald",
    "Ashley",
    "Steven",
    "Kimberly",
    "Andrew",
    "Emily",
    "Paul",
    "Donna",
    "Joshua",
    "Michelle",
    "Kenneth",
    "Carol",
    "Kevin",
    "Amanda",
    "Brian",
    "Melissa",
    "George",
    "Deborah",
    "Timothy",
    "Stephanie",
    "Ronald",
    "Dorothy",
    "Jason",
    "Rebecca",
    "Edward",
    "Sharon",
    "Jeffrey",
    "Laura",
    "Ryan",
    "Cynthia",
    "Jacob",
    "Amy",
    "Gary",
    "Kathleen",
    "Nicholas",
    "Angela",
    "Eric",
    "Shirley",
    "Jonathan",
    "Brenda",
    "Stephen",
    "Emma",
    "Larry",
    "Anna",
    "Justin",
    "Pamela",
    "Scott",
    "Nicole",
    "Brandon",
    "Samantha",
    "Benjamin",
    "Katherine",
    "Samuel",
    "Christine",
    "Gregory",
    "Helen",
    "Alexander",
    "Debra",
    "Patrick",
    "Rachel",
    "Frank",
    "Carolyn",
    "Raymond",
    "Janet",
    "Jack",
    "Maria",
    "Dennis",
    "Catherine",
    "Jerry",
    "Heather",
    "José",
    "Zoë",
    "Chloé",
    "Renée",
    "Björn",
    "Nadia",
    "Chidi",
    "Mei",
    "Aarav",
    "Fatima",
    "Hiroshi",
    "Olga",
    "Siobhán",
    "Łukasz",
    "Noémie",
    "Ngozi",
];

pub const FAMILY: &[&str] = &[
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Torres",
    "Nguyen",
    "Hill",
    "Flores",
    "Green",
    "Adams",
    "Nelson",
    "Baker",
    "Hall",
    "Rivera",
    "Campbell",
    "Mitchell",
    "Carter",
    "Roberts",
    "Gomez",
    "Phillips",
    "Evans",
    "Turner",
    "Diaz",
    "Parker",
    "Cruz",
    "Edwards",
    "Collins",
    "Reyes",
    "Stewart",
    "Morris",
    "Morales",
    "Murphy",
    "Cook",
    "Rogers",
    "Gutierrez",
    "Ortiz",
    "Morgan",
    "Cooper",
    "Peterson",
    "Bailey",
    "Reed",
    "Kelly",
    "Howard",
    "Ramos",
    "Kim",
    "Cox",
    "Ward",
    "Richardson",
    "Watson",
    "Brooks",
    "Chavez",
    "Wood",
    "James",
    "Bennett",
    "Gray",
    "Mendoza",
    "Ruiz",
    "Hughes",
    "Price",
    "Alvarez",
    "Castillo",
    "Sanders",
    "Patel",
    "Myers",
    "Long",
    "Ross",
    "Foster",
    "Jimenez",
    "Powell",
    "Jenkins",
    "Perry",
    "Russell",
    "Sullivan",
    "Bell",
    "Coleman",
    "Butler",
    "Henderson",
    "Barnes",
    "Gonzales",
    "Fisher",
    "Vasquez",
    "Simmons",
    "Romero",
    "Jordan",
    "Patterson",
    "Alexander",
    "Hamilton",
    "Graham",
    "Reynolds",
    "Griffin",
    "Wallace",
    "Moreno",
    "West",
    "Cole",
    "Hayes",
    "Bryant",
    "Herrera",
    "Gibson",
    "Ellis",
    "Tran",
    "Medina",
    "Aguilar",
    "Stevens",
    "Murray",
    "Ford",
    "Castro",
    "Marshall",
    "Owens",
    "Harrison",
    "Fernandez",
    "McDonald",
    "Woods",
    "Washington",
    "Kennedy",
    "Wells",
    "Vargas",
    "Henry",
    "Chen",
    "Freeman",
    "Webb",
    "Tucker",
    "Guzman",
    "Burns",
    "Crawford",
    "Olson",
    "Simpson",
    "Porter",
    "Hunter",
    "Gordon",
    "Mendez",
    "Silva",
    "Shaw",
    "Snyder",
    "Mason",
    "Dixon",
    "Muñoz",
    "Hunt",
    "Hicks",
    "Holmes",
    "Palmer",
    "Wagner",
    "Black",
    "Robertson",
    "Boyd",
    "Rose",
    "Stone",
    "Salazar",
    "Fox",
    "Warren",
    "Mills",
    "Meyer",
    "Rice",
    "Schmidt",
    "García",
    "Müller",
    "Nguyễn",
    "Okafor",
    "Kowalski",
    "O'Brien",
    "Dubois",
    "Søndergaard",
    "Ibáñez",
    "Yamamoto",
    "Novák",
    "Papadopoulos",
    "Mosciski",
    "Kuhic",
];

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 5, 8, 0, 0)
        .single()
        .unwrap_or_default()
}

fn uuid(rng: &mut StdRng) -> Uuid {
    uuid::Builder::from_random_bytes(rng.gen()).into_uuid()
}

/// A seeded generator of clinic rows. Name ranks are drawn with weight 1/(rank+1)^0.8: a
/// few names are common, most are rare.
pub struct Gen {
    pub rng: StdRng,
    next_mrn: u32,
    revision: i64,
    given_cdf: Vec<f64>,
    family_cdf: Vec<f64>,
}

fn cdf(n: usize) -> Vec<f64> {
    let mut acc = 0.0;
    let mut v: Vec<f64> = (0..n)
        .map(|i| {
            acc += 1.0 / ((i + 1) as f64).powf(0.8);
            acc
        })
        .collect();
    let total = acc;
    for x in &mut v {
        *x /= total;
    }
    v
}

impl Gen {
    pub fn new(seed: u64) -> Self {
        Self {
            rng: StdRng::seed_from_u64(seed),
            next_mrn: 1,
            revision: 0,
            given_cdf: cdf(GIVEN.len()),
            family_cdf: cdf(FAMILY.len()),
        }
    }

    fn pick(&mut self, names: &'static [&'static str], family: bool) -> &'static str {
        let x = self.rng.gen::<f64>();
        let cdf = if family {
            &self.family_cdf
        } else {
            &self.given_cdf
        };
        let i = cdf.partition_point(|c| *c < x).min(names.len() - 1);
        names[i]
    }

    pub fn revision(&mut self) -> i64 {
        self.revision += 1;
        self.revision
    }

    pub fn new_patient(&mut self) -> NewPatient {
        let given = self.pick(GIVEN, false).to_owned();
        let family = self.pick(FAMILY, true).to_owned();
        let dob = NaiveDate::from_ymd_opt(1930, 1, 1).unwrap_or_default()
            + Duration::days(self.rng.gen_range(0..34_000));
        let phone = format!(
            "({}) {:03}-{:04}",
            self.rng.gen_range(201..990),
            self.rng.gen_range(200..999),
            self.rng.gen_range(0..10_000)
        );
        NewPatient {
            id: Some(uuid(&mut self.rng)),
            given_name: given.clone(),
            family_name: family.clone(),
            date_of_birth: dob,
            sex: if self.rng.gen_bool(0.5) {
                AdministrativeSex::Female
            } else {
                AdministrativeSex::Male
            },
            phone: Some(phone),
            email: self.rng.gen_bool(0.6).then(|| {
                format!(
                    "{}.{}@example.org",
                    given.to_lowercase(),
                    family.to_lowercase()
                )
            }),
            address: Some(format!(
                "{} Main Street, Springfield, MA 0{:04}",
                self.rng.gen_range(1..999),
                self.rng.gen_range(1000..2800)
            )),
            emergency_contact_name: Some(format!("{} {family}", self.pick(GIVEN, false))),
            emergency_contact_phone: Some(format!(
                "555-{:03}-{:04}",
                self.rng.gen_range(0..999),
                self.rng.gen_range(0..10_000)
            )),
            city: None,
            state: None,
            postal_code: None,
            country: None,
            preferred_language: None,
            interpreter_required: None,
            next_of_kin_name: None,
            next_of_kin_relationship: None,
            next_of_kin_phone: None,
            identifiers: None,
            allergies: Some(if self.rng.gen_bool(0.2) {
                vec!["penicillin".to_owned()]
            } else {
                vec![]
            }),
            no_known_allergies: None,
            notes: None,
            first_seen_at: Some(dob + Duration::days(self.rng.gen_range(0..3_000))),
        }
    }

    /// A patient as the server would answer it (MRN assigned, revision set).
    pub fn patient(&mut self) -> Patient {
        let n = self.new_patient();
        let mrn = format!("{:06}", self.next_mrn);
        self.next_mrn += 1;
        let at = t0();
        Patient {
            id: n.id.unwrap_or_default(),
            mrn,
            given_name: n.given_name,
            family_name: n.family_name,
            date_of_birth: n.date_of_birth,
            sex: n.sex,
            phone: n.phone,
            email: n.email,
            address: n.address,
            emergency_contact_name: n.emergency_contact_name,
            emergency_contact_phone: n.emergency_contact_phone,
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
            allergies: n.allergies.unwrap_or_default(),
            no_known_allergies: false,
            notes: n.notes,
            first_seen_at: n.first_seen_at,
            revision: self.revision(),
            created_at: at,
            updated_at: at,
            deleted: false,
            replaced_by: None,
        }
    }

    pub fn measurements(&mut self) -> Measurements {
        let r = &mut self.rng;
        Measurements {
            systolic_mmhg: Some(r.gen_range(95..175)),
            diastolic_mmhg: Some(r.gen_range(55..92)),
            heart_rate_bpm: Some(r.gen_range(50..125)),
            respiratory_rate_bpm: Some(r.gen_range(10..26)),
            temperature_c: Some(f64::from(r.gen_range(355..392)) / 10.0),
            spo2_pct: Some(r.gen_range(89..101)),
            on_oxygen: Some(r.gen_bool(0.05)),
            consciousness: Some(Consciousness::Alert),
            weight_kg: Some(f64::from(r.gen_range(450..1200)) / 10.0),
            height_cm: Some(f64::from(r.gen_range(1500..1950)) / 10.0),
            pain_score: Some(r.gen_range(0..8)),
        }
    }

    pub fn new_vitals(&mut self) -> NewVitalSigns {
        NewVitalSigns {
            id: Some(uuid(&mut self.rng)),
            measured_at: t0() - Duration::minutes(self.rng.gen_range(0..500_000)),
            measurements: self.measurements(),
            notes: None,
            entered_offline: Some(false),
        }
    }

    pub fn vitals(&mut self, patient_id: Uuid) -> VitalSigns {
        let n = self.new_vitals();
        let m = n.measurements;
        VitalSigns {
            id: n.id.unwrap_or_default(),
            patient_id,
            measured_at: n.measured_at,
            recorded_by: Uuid::nil(),
            flags: m.flags_for_age(
                Some(AgeAt {
                    years: 40,
                    days: 40 * 365 + 10,
                }),
                AdministrativeSex::Female,
            ),
            news2: m.news2_for_age(Some(AgeAt {
                years: 40,
                days: 40 * 365 + 10,
            })),
            status: Default::default(),
            correction: None,
            measurements: m,
            notes: n.notes,
            entered_offline: false,
            revision: self.revision(),
            created_at: n.measured_at,
        }
    }

    pub fn appointment(&mut self, patient_id: Uuid) -> Appointment {
        Appointment {
            id: uuid(&mut self.rng),
            patient_id,
            provider_id: Uuid::nil(),
            starts_at: t0() + Duration::minutes(15 * self.rng.gen_range(-20_000..20_000)),
            duration_minutes: 15,
            kind: AppointmentKind::FollowUp,
            status: AppointmentStatus::Scheduled,
            reason: Some("Blood pressure review".to_owned()),
            notes: None,
            overbooked: false,
            outside_hours_reason: None,
            series_id: None,
            visit_type_id: None,
            room_id: None,
            checked_in_at: None,
            revision: self.revision(),
            deleted: false,
        }
    }

    /// A feed page as a busy clinic's would be: 20 % new or edited patients, 60 % vital-sign
    /// sets, 20 % appointments, of patients in `patients` (or of new ones when empty).
    pub fn changes(&mut self, n: usize, patients: &[Uuid]) -> Vec<Change> {
        let mut out = Vec::with_capacity(n);
        let mut own: Vec<Uuid> = Vec::new();
        for i in 0..n {
            let kind = i % 5;
            let pid = if patients.is_empty() {
                own.get(self.rng.gen_range(0..own.len().max(1))).copied()
            } else {
                Some(patients[self.rng.gen_range(0..patients.len())])
            };
            let c = match (kind, pid) {
                (0, _) | (_, None) => {
                    let p = self.patient();
                    own.push(p.id);
                    change(p.id, p.revision, Record::Patient(p))
                }
                (1..=3, Some(pid)) => {
                    let v = self.vitals(pid);
                    change(v.id, v.revision, Record::VitalSigns(v))
                }
                (_, Some(pid)) => {
                    let a = self.appointment(pid);
                    change(a.id, a.revision, Record::Appointment(a))
                }
            };
            out.push(c);
        }
        out
    }

    /// Queued offline work: registrations, vital signs and bookings, as wire envelopes.
    pub fn mutations(&mut self, n: usize) -> Vec<MutationEnvelope> {
        let mut out = Vec::with_capacity(n);
        let mut pid = uuid(&mut self.rng);
        for i in 0..n {
            let (id, kind) = match i % 4 {
                0 => {
                    let p = self.new_patient();
                    pid = p.id.unwrap_or_default();
                    (pid, MutationKind::RegisterPatient(p))
                }
                1 | 2 => {
                    let v = self.new_vitals();
                    let id = v.id.unwrap_or_default();
                    let v = NewVitalSignsForPatient {
                        patient_id: pid,
                        vitals: v,
                    };
                    (id, MutationKind::RecordVitals(v))
                }
                _ => {
                    let a = self.appointment(pid);
                    let new = NewAppointment {
                        id: Some(a.id),
                        patient_id: a.patient_id,
                        provider_id: a.provider_id,
                        starts_at: a.starts_at,
                        duration_minutes: a.duration_minutes,
                        kind: a.kind,
                        reason: a.reason,
                        notes: a.notes,
                        overbooked: None,
                        outside_hours_reason: None,
                        series_id: None,
                        visit_type_id: None,
                    };
                    (a.id, MutationKind::BookAppointment(new))
                }
            };
            let m = Mutation {
                mutation_id: uuid(&mut self.rng),
                id,
                kind,
            };
            out.push(m.encode());
        }
        out
    }
}

fn change(id: Uuid, revision: i64, record: Record) -> Change {
    Change {
        id,
        revision,
        deleted: false,
        record,
    }
}

/// Serialised patients as feed changes, `n` of them (first revision 1).
pub fn patient_changes(g: &mut Gen, n: usize) -> Vec<Change> {
    (0..n)
        .map(|_| {
            let p = g.patient();
            change(p.id, p.revision, Record::Patient(p))
        })
        .collect()
}
