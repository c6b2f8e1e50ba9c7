//! A seeded generator of clinic-sized data sets: patients, vital-sign sets and appointments
//! with realistic distributions, bulk-loaded straight into PostgreSQL.
//!
//! Distributions, drawn like the Synthea sample in `data/` (Synthea draws names from US census
//! frequencies and ages from the US population pyramid): given names by sex and family names
//! with Zipf-like weights; sex about half and half with a few `other`/`unknown`; ages in the
//! bands 0–17 (22 %), 18–44 (35 %), 45–64 (26 %), 65–94 (17 %). Each person has their own
//! means (blood pressure rising with age, heart rate, weight and height by sex and age) and
//! each visit scatters around them, with a few abnormal sets (fever, low SpO2, hypertension);
//! every set passes the shared validation and carries the flags and NEWS2 the server would
//! compute. Some patients are seen far more often than others. Appointments fill each
//! provider's weekday 20-minute slots (08:00–17:00 in the clinic's zone) from the past into
//! the next weeks without overlaps: past ones completed, no-show or cancelled, future ones
//! scheduled or cancelled.
//!
//! **Why the load bypasses the revision trigger.** Each clinical row normally takes its
//! revision from a trigger that does `UPDATE tenant_counters SET revision = revision + 1`
//! (DESIGN.md, sync invariant 1). Inside one bulk transaction of a million rows, every such
//! update leaves another dead version of the same counter row for the next one to step over,
//! so the load grows quadratically and does not finish. The generator therefore loads as the
//! database owner (a superuser) with `SET session_replication_role = replica`, which skips triggers
//! (the revision stamp, `ends_at`, and foreign-key checks, which the generator satisfies by
//! construction), assigns revisions itself by row number after the tenant's current revision,
//! streams the rows with `COPY`, and finally sets the tenant's counter to the last revision it
//! used — exactly the state the trigger would have left, in one pass. Clinics and staff are made
//! with the server's own functions (`tenants::ensure_tenant`, `users::insert_user`).

use std::fmt::Write as _;
use std::time::Instant;

use anyhow::{bail, Context};
use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use medoffice_model::{Consciousness, Measurements, Role};
use rand::distributions::{Distribution, WeightedIndex};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use sqlx::{Connection, PgConnection};
use uuid::Uuid;

/// What to generate.
#[derive(Debug, Clone)]
pub struct GenerateParams {
    /// Clinic code.
    pub tenant: String,
    /// IANA time zone of the clinic.
    pub time_zone: String,
    /// Password of every staff member made.
    pub password: String,
    /// Patients.
    pub patients: usize,
    /// Vital-sign sets.
    pub vitals: usize,
    /// Appointments.
    pub appointments: usize,
    /// Physicians who hold appointments (`dr01`…).
    pub providers: usize,
    /// Seed: the same seed gives the same clinic.
    pub seed: u64,
}

/// What was loaded.
#[derive(Debug, Clone, Serialize)]
pub struct Generated {
    /// Clinic id.
    pub tenant_id: Uuid,
    /// Rows loaded: patients, vitals, appointments.
    pub patients: usize,
    /// Vital-sign sets loaded.
    pub vitals: usize,
    /// Appointments loaded.
    pub appointments: usize,
    /// The clinic's revision afterwards.
    pub revision: i64,
    /// Seconds spent.
    pub seconds: f64,
}

const FEMALE: &[&str] = &[
    "Mary",
    "Patricia",
    "Jennifer",
    "Linda",
    "Elizabeth",
    "Barbara",
    "Susan",
    "Jessica",
    "Sarah",
    "Karen",
    "Lisa",
    "Nancy",
    "Betty",
    "Margaret",
    "Sandra",
    "Ashley",
    "Kimberly",
    "Emily",
    "Donna",
    "Michelle",
    "Carol",
    "Amanda",
    "Dorothy",
    "Melissa",
    "Deborah",
    "Stephanie",
    "Rebecca",
    "Sharon",
    "Laura",
    "Cynthia",
    "Kathleen",
    "Amy",
    "Angela",
    "Shirley",
    "Anna",
    "Brenda",
    "Pamela",
    "Emma",
    "Nicole",
    "Helen",
    "Samantha",
    "Katherine",
    "Christine",
    "Debra",
    "Rachel",
    "Carolyn",
    "Janet",
    "Catherine",
    "Maria",
    "Heather",
    "Diane",
    "Ruth",
    "Julie",
    "Olivia",
    "Joyce",
    "Virginia",
    "Victoria",
    "Kelly",
    "Lauren",
    "Christina",
    "Joan",
    "Evelyn",
    "Judith",
    "Megan",
    "Andrea",
    "Cheryl",
    "Hannah",
    "Jacqueline",
    "Martha",
    "Gloria",
    "Teresa",
    "Ann",
    "Sara",
    "Madison",
    "Frances",
    "Kathryn",
    "Janice",
    "Jean",
    "Abigail",
    "Alice",
    "Julia",
    "Judy",
    "Sophia",
    "Grace",
    "Denise",
    "Amber",
    "Doris",
    "Marilyn",
    "Danielle",
    "Beverly",
    "Isabella",
    "Theresa",
    "Diana",
    "Natalie",
    "Brittany",
    "Charlotte",
    "Marie",
    "Kayla",
    "Alexis",
    "Lori",
    "Zoë",
    "Chloé",
    "Lucía",
    "Renée",
];
const MALE: &[&str] = &[
    "James",
    "Robert",
    "John",
    "Michael",
    "David",
    "William",
    "Richard",
    "Joseph",
    "Thomas",
    "Charles",
    "Christopher",
    "Daniel",
    "Matthew",
    "Anthony",
    "Mark",
    "Donald",
    "Steven",
    "Paul",
    "Andrew",
    "Joshua",
    "Kenneth",
    "Kevin",
    "Brian",
    "George",
    "Timothy",
    "Ronald",
    "Edward",
    "Jason",
    "Jeffrey",
    "Ryan",
    "Jacob",
    "Gary",
    "Nicholas",
    "Eric",
    "Jonathan",
    "Stephen",
    "Larry",
    "Justin",
    "Scott",
    "Brandon",
    "Benjamin",
    "Samuel",
    "Gregory",
    "Alexander",
    "Frank",
    "Patrick",
    "Raymond",
    "Jack",
    "Dennis",
    "Jerry",
    "Tyler",
    "Aaron",
    "Jose",
    "Adam",
    "Nathan",
    "Henry",
    "Douglas",
    "Zachary",
    "Peter",
    "Kyle",
    "Ethan",
    "Walter",
    "Noah",
    "Jeremy",
    "Christian",
    "Keith",
    "Roger",
    "Terry",
    "Gerald",
    "Harold",
    "Sean",
    "Austin",
    "Carl",
    "Arthur",
    "Lawrence",
    "Dylan",
    "Jesse",
    "Jordan",
    "Bryan",
    "Billy",
    "Joe",
    "Bruce",
    "Gabriel",
    "Logan",
    "Albert",
    "Willie",
    "Alan",
    "Juan",
    "Wayne",
    "Elijah",
    "Randy",
    "Roy",
    "Vincent",
    "Ralph",
    "Eugene",
    "Russell",
    "Bobby",
    "Mason",
    "Philip",
    "Louis",
    "José",
    "André",
    "Maynard",
    "Curt",
];
const FAMILY: &[&str] = &[
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
    "Mosciski",
    "Schmidt",
    "O'Brien",
    "Müller",
    "Núñez",
    "Okafor",
    "Kowalski",
    "Nakamura",
];
const STREETS: &[&str] = &[
    "Main St",
    "Oak Ave",
    "Maple St",
    "Cedar Rd",
    "Elm St",
    "Washington St",
    "Lake Dr",
    "Hill Rd",
    "Park Ave",
    "Pine St",
    "Stamm Lock",
    "Kemmer Neck",
    "River Rd",
    "Church St",
];
const TOWNS: &[&str] = &[
    "Boston",
    "Somerville",
    "Cambridge",
    "Worcester",
    "Springfield",
    "Lowell",
    "Quincy",
    "Mashpee",
    "Newton",
    "Brockton",
    "Salem",
    "Framingham",
];
const ALLERGIES: &[&str] = &[
    "Penicillin",
    "Peanuts",
    "Latex",
    "Sulfonamides",
    "Shellfish",
    "Aspirin",
    "Bee stings",
];
const REASONS: &[&str] = &[
    "Annual physical",
    "Blood pressure follow-up",
    "Diabetes review",
    "Cough and fever",
    "Back pain",
    "Medication review",
    "Vaccination",
    "Well-child visit",
    "Lab results",
    "Rash",
    "Headache",
    "Pre-operative assessment",
];

/// A standard normal draw (Box–Muller).
fn normal(rng: &mut StdRng, mean: f64, sd: f64) -> f64 {
    let u1: f64 = rng.gen_range(f64::EPSILON..1.0);
    let u2: f64 = rng.gen();
    mean + sd * (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

fn zipf(n: usize) -> WeightedIndex<f64> {
    #[allow(clippy::unwrap_used)] // n > 0 and every weight is positive
    WeightedIndex::new((0..n).map(|i| 1.0 / ((i + 1) as f64).powf(0.8))).unwrap()
}

/// COPY text-format escaping.
fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => o.push_str("\\\\"),
            '\t' => o.push_str("\\t"),
            '\n' => o.push_str("\\n"),
            '\r' => o.push_str("\\r"),
            c => o.push(c),
        }
    }
    o
}

fn opt<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map_or_else(|| "\\N".to_owned(), |v| v.to_string())
}

fn ts(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S%.3f+00").to_string()
}

/// One generated person with their own means.
struct Person {
    id: Uuid,
    dob: NaiveDate,
    sex: medoffice_model::AdministrativeSex,
    first_seen: NaiveDate,
    sys: f64,
    hr: f64,
    weight: f64,
    height: f64,
}

fn age_years(dob: NaiveDate, on: NaiveDate) -> i32 {
    medoffice_model::age_on(dob, on)
}

/// Child weight (kg) and height (cm) for an age, rough WHO medians.
fn child_size(age: f64) -> (f64, f64) {
    let h = if age < 2.0 {
        50.0 + 19.0 * age
    } else {
        88.0 + 6.0 * (age - 2.0)
    };
    let w = if age < 2.0 {
        3.5 + 4.5 * age
    } else {
        12.5 + 2.6 * (age - 2.0)
    };
    (w, h.min(175.0))
}

fn measurements(rng: &mut StdRng, p: &Person, age: i32) -> Measurements {
    let child = age < 16;
    let fever = rng.gen_bool(0.03);
    let hypoxic = rng.gen_bool(0.03);
    let mut sys = normal(rng, p.sys, 8.0).round() as i32;
    if child {
        sys = normal(rng, 100.0 + age as f64, 7.0).round() as i32;
    }
    sys = sys.clamp(70, 230);
    let dia = ((sys as f64) * 0.62 + normal(rng, 0.0, 5.0)).round() as i32;
    let dia = dia.clamp(40, sys - 15);
    let hr_mean = if child {
        120.0 - 3.5 * age as f64
    } else {
        p.hr
    };
    let hr = (normal(rng, hr_mean, 7.0) + if fever { 12.0 } else { 0.0 }).round() as i32;
    let rr_mean = if child { 30.0 - age as f64 } else { 16.0 };
    let rr = normal(rng, rr_mean, 2.0).round() as i32;
    let temp = if fever {
        normal(rng, 38.6, 0.5)
    } else {
        normal(rng, 36.8, 0.3)
    };
    let spo2 = if hypoxic {
        rng.gen_range(86..94)
    } else {
        normal(rng, 97.5, 1.0).round() as i32
    };
    let (w, h) = if child {
        let (w, h) = child_size(age as f64);
        (w * p.weight / 75.0, h * p.height / 170.0)
    } else {
        (p.weight, p.height)
    };
    let consciousness = if rng.gen_bool(0.005) {
        Some(Consciousness::Confused)
    } else {
        Some(Consciousness::Alert)
    };
    Measurements {
        systolic_mmhg: Some(sys),
        diastolic_mmhg: Some(dia),
        heart_rate_bpm: Some(hr.clamp(35, 200)),
        respiratory_rate_bpm: Some(rr.clamp(8, 45)),
        temperature_c: Some((temp.clamp(34.0, 41.5) * 10.0).round() / 10.0),
        spo2_pct: Some(spo2.min(100)),
        on_oxygen: Some(hypoxic && rng.gen_bool(0.3)),
        consciousness,
        weight_kg: Some((normal(rng, w, 1.0).max(2.0) * 10.0).round() / 10.0),
        height_cm: if rng.gen_bool(0.3) {
            Some((h * 10.0).round() / 10.0)
        } else {
            None
        },
        pain_score: if rng.gen_bool(0.3) {
            Some(rng.gen_range(0..9))
        } else {
            None
        },
    }
}

/// Makes the clinic, its staff, and loads the data set. The database must be migrated or
/// migratable by `database_url`, which must be a superuser's (see the module docs for why).
pub async fn generate(database_url: &str, p: &GenerateParams) -> anyhow::Result<Generated> {
    crate::ensure_loopback(database_url)?;
    let started = Instant::now();
    let tz: chrono_tz::Tz = p
        .time_zone
        .parse()
        .map_err(|_| anyhow::anyhow!("unknown time zone {:?}", p.time_zone))?;
    medoffice_server::db::migrate(database_url).await?;
    let mut owner = medoffice_server::db::owner_connection(database_url).await?;
    let tenant_id = medoffice_server::tenants::ensure_tenant(
        &mut owner,
        &p.tenant,
        &format!("Bench clinic {}", p.tenant),
        &p.time_zone,
    )
    .await?;
    let existing: i64 = sqlx::query_scalar("SELECT count(*) FROM patients WHERE tenant_id = $1")
        .bind(tenant_id)
        .fetch_one(&mut owner)
        .await?;
    if existing > 0 {
        bail!(
            "clinic {:?} already has {existing} patients: generate into a new clinic code",
            p.tenant
        );
    }
    sqlx::query("UPDATE tenants SET max_patients = greatest(max_patients, $2) WHERE id = $1")
        .bind(tenant_id)
        .bind(i32::try_from(p.patients * 2 + 1000).unwrap_or(i32::MAX))
        .execute(&mut owner)
        .await?;

    // staff, through the server's own code (few rows: the trigger stamps them)
    let hash = medoffice_server::auth::hash_password(&p.password)?;
    let pool = medoffice_server::db::connect(database_url, 2).await?;
    let mut tx = medoffice_server::db::tenant_tx(&pool, tenant_id).await?;
    let mut staff = vec![
        ("admin".to_owned(), "Alex Admin".to_owned(), Role::Admin),
        (
            "doctor".to_owned(),
            "Dr. Dana Doctor".to_owned(),
            Role::Physician,
        ),
        ("nurse".to_owned(), "Nadia Nurse".to_owned(), Role::Nurse),
        (
            "reception".to_owned(),
            "Rita Reception".to_owned(),
            Role::Receptionist,
        ),
    ];
    for i in 1..=p.providers.max(1) {
        staff.push((
            format!("dr{i:02}"),
            format!("Dr. Provider {i:02}"),
            Role::Physician,
        ));
    }
    let (mut admin, mut recorders, mut providers) = (None, Vec::new(), Vec::new());
    for (u, name, role) in &staff {
        let m =
            medoffice_server::users::insert_user(&mut tx, tenant_id, u, name, *role, &hash, true)
                .await
                .map_err(|e| anyhow::anyhow!("{u}: {e}"))?;
        match role {
            Role::Admin => admin = Some(m.id),
            Role::Nurse => recorders.push(m.id),
            Role::Physician => {
                recorders.push(m.id);
                if u.starts_with("dr") && u != "doctor" {
                    providers.push(m.id);
                }
            }
            Role::Receptionist => {}
        }
    }
    tx.commit().await?;
    pool.close().await;
    let admin = admin.context("admin")?;

    let mut rng = StdRng::seed_from_u64(p.seed);
    let today = Utc::now().with_timezone(&tz).date_naive();
    let (fem, mal, fam) = (zipf(FEMALE.len()), zipf(MALE.len()), zipf(FAMILY.len()));

    let mut conn = owner;
    let mut tx = conn.begin().await?;
    sqlx::query("SET LOCAL session_replication_role = replica")
        .execute(&mut *tx)
        .await
        .context("bypassing triggers needs a superuser connection (see generate.rs)")?;
    let (base_rev, base_mrn): (i64, i64) = sqlx::query_as(
        "SELECT revision, mrn_counter FROM tenant_counters WHERE tenant_id = $1 FOR UPDATE",
    )
    .bind(tenant_id)
    .fetch_one(&mut *tx)
    .await?;
    let mut rev = base_rev;

    // ---- patients
    let mut people = Vec::with_capacity(p.patients);
    let mut buf = String::with_capacity(1 << 22);
    let mut copy = tx
        .copy_in_raw(
            "COPY patients (id, tenant_id, mrn, given_name, family_name, date_of_birth, sex, phone, email, address, \
             allergies, first_seen_at, search_name, revision, created_by, updated_by) FROM STDIN",
        )
        .await?;
    for i in 0..p.patients {
        let r: f64 = rng.gen();
        let sex = if r < 0.505 {
            "female"
        } else if r < 0.995 {
            "male"
        } else if r < 0.998 {
            "other"
        } else {
            "unknown"
        };
        let male = sex == "male" || (sex != "female" && rng.gen_bool(0.5));
        let given = if male {
            MALE[mal.sample(&mut rng)]
        } else {
            FEMALE[fem.sample(&mut rng)]
        };
        let family = FAMILY[fam.sample(&mut rng)];
        let band: f64 = rng.gen();
        let age_days = if band < 0.22 {
            rng.gen_range(0..18 * 365)
        } else if band < 0.57 {
            rng.gen_range(18 * 365..45 * 365)
        } else if band < 0.83 {
            rng.gen_range(45 * 365..65 * 365)
        } else {
            rng.gen_range(65 * 365..95 * 365)
        };
        let dob = today - Duration::days(age_days + 1);
        let first_seen =
            (today - Duration::days(rng.gen_range(0..(age_days + 1).min(3650)))).max(dob);
        let age = age_years(dob, today) as f64;
        let person = Person {
            id: Uuid::from_u128(rng.gen::<u128>() & !(0xF << 76) | (0x4 << 76)),
            dob,
            sex: medoffice_model::AdministrativeSex::parse(sex)
                .unwrap_or(medoffice_model::AdministrativeSex::Unknown),
            first_seen,
            sys: normal(&mut rng, 112.0 + 0.45 * (age - 30.0).max(0.0), 11.0).clamp(90.0, 175.0),
            hr: normal(&mut rng, 73.0, 8.0).clamp(50.0, 100.0),
            weight: if male {
                normal(&mut rng, 86.0, 14.0)
            } else {
                normal(&mut rng, 73.0, 14.0)
            }
            .clamp(45.0, 180.0),
            height: if male {
                normal(&mut rng, 176.0, 7.0)
            } else {
                normal(&mut rng, 162.5, 6.5)
            },
        };
        let phone = format!(
            "({}) 555-{:04}",
            [617, 508, 781, 413][i % 4],
            rng.gen_range(0..10000)
        );
        let email = if rng.gen_bool(0.4) {
            let clean = |s: &str| {
                medoffice_model::search::fold(s)
                    .chars()
                    .filter(char::is_ascii_alphanumeric)
                    .collect::<String>()
            };
            format!("{}.{}{i}@example.org", clean(given), clean(family))
        } else {
            "\\N".to_owned()
        };
        let address = format!(
            "{} {}, {}, MA",
            rng.gen_range(1..999),
            STREETS[rng.gen_range(0..STREETS.len())],
            TOWNS[rng.gen_range(0..TOWNS.len())]
        );
        let allergies = if rng.gen_bool(0.15) {
            format!("{{\"{}\"}}", ALLERGIES[rng.gen_range(0..ALLERGIES.len())])
        } else {
            "{}".to_owned()
        };
        rev += 1;
        let _ = writeln!(
            buf,
            "{}\t{tenant_id}\t{}\t{}\t{}\t{}\t{sex}\t{}\t{email}\t{}\t{}\t{}\t{}\t{rev}\t{admin}\t{admin}",
            person.id,
            medoffice_server::clinical::patients::format_mrn(base_mrn + 1 + i as i64),
            esc(given),
            esc(family),
            dob,
            esc(&phone),
            esc(&address),
            esc(&allergies),
            first_seen,
            esc(&medoffice_model::search::search_name(given, family)),
        );
        people.push(person);
        if buf.len() > 1 << 21 {
            copy.send(buf.as_bytes()).await?;
            buf.clear();
        }
    }
    copy.send(buf.as_bytes()).await?;
    buf.clear();
    copy.finish().await?;
    // the search words the skipped trigger would have written (server migration 0005)
    sqlx::query(
        "INSERT INTO patient_words (tenant_id, word, patient_id, family_key, given_key) \
         SELECT p.tenant_id, w, p.id, lower(p.family_name), lower(p.given_name) \
         FROM patients p, medoffice_name_words(p.search_name) AS w \
         WHERE p.tenant_id = $1 AND NOT p.deleted ON CONFLICT DO NOTHING",
    )
    .bind(tenant_id)
    .execute(&mut *tx)
    .await?;
    // and their one- to three-letter starts (server migration 0021)
    sqlx::query(
        "INSERT INTO patient_name_prefixes (tenant_id, prefix, family_key, given_key, patient_id) \
         SELECT p.tenant_id, x, lower(p.family_name), lower(p.given_name), p.id \
         FROM patients p, medoffice_name_prefixes(p.search_name) AS x \
         WHERE p.tenant_id = $1 AND NOT p.deleted ON CONFLICT DO NOTHING",
    )
    .bind(tenant_id)
    .execute(&mut *tx)
    .await?;

    // ---- vital signs: some patients are seen far more often than others
    if !people.is_empty() && p.vitals > 0 {
        let weights: Vec<f64> = (0..people.len())
            .map(|_| -(rng.gen_range(f64::EPSILON..1.0f64)).ln())
            .collect();
        let pick = WeightedIndex::new(&weights)?;
        let now = Utc::now();
        let mut copy = tx
            .copy_in_raw(
                "COPY vital_signs (id, tenant_id, patient_id, measured_at, recorded_by, systolic_mmhg, diastolic_mmhg, \
                 heart_rate_bpm, respiratory_rate_bpm, temperature_c, spo2_pct, on_oxygen, consciousness, weight_kg, \
                 height_cm, pain_score, flags, news2, revision, created_at, updated_at, created_by, updated_by) FROM STDIN",
            )
            .await?;
        let mut rejected = 0usize;
        let mut made = 0usize;
        while made < p.vitals {
            let person = &people[pick.sample(&mut rng)];
            let start = person
                .first_seen
                .and_time(NaiveTime::MIN)
                .and_utc()
                .max(person.dob.and_time(NaiveTime::MIN).and_utc());
            let span = (now - start).num_minutes().max(60);
            let at = start + Duration::minutes(rng.gen_range(0..span - 30));
            let age = age_years(person.dob, at.date_naive());
            let m = measurements(&mut rng, person, age);
            if m.validate().is_err() {
                rejected += 1;
                if rejected > 1000 + p.vitals / 10 {
                    bail!("the vitals generator makes invalid sets: {m:?}");
                }
                continue;
            }
            made += 1;
            rev += 1;
            let at_age = medoffice_model::AgeAt::on(person.dob, at.date_naive());
            let flags = m.flags_for_age(Some(at_age), person.sex);
            let flags = format!("{{{}}}", flags.join(","));
            let by = recorders[rng.gen_range(0..recorders.len())];
            let consciousness = m.consciousness.map(|c| match c {
                Consciousness::Alert => "alert",
                Consciousness::Confused => "confused",
                Consciousness::Voice => "voice",
                Consciousness::Pain => "pain",
                Consciousness::Unresponsive => "unresponsive",
            });
            let _ = writeln!(
                buf,
                "{}\t{tenant_id}\t{}\t{}\t{by}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{flags}\t{}\t{rev}\t{}\t{}\t{by}\t{by}",
                Uuid::from_u128(rng.gen::<u128>() & !(0xF << 76) | (0x4 << 76)),
                person.id,
                ts(at),
                opt(m.systolic_mmhg),
                opt(m.diastolic_mmhg),
                opt(m.heart_rate_bpm),
                opt(m.respiratory_rate_bpm),
                opt(m.temperature_c.map(|t| format!("{t:.1}"))),
                opt(m.spo2_pct),
                opt(m.on_oxygen),
                opt(consciousness),
                opt(m.weight_kg.map(|w| format!("{w:.1}"))),
                opt(m.height_cm.map(|h| format!("{h:.1}"))),
                opt(m.pain_score),
                opt(m.news2_for_age(Some(at_age))),
                ts(at),
                ts(at),
            );
            if buf.len() > 1 << 21 {
                copy.send(buf.as_bytes()).await?;
                buf.clear();
            }
        }
        copy.send(buf.as_bytes()).await?;
        buf.clear();
        copy.finish().await?;
    }

    // ---- appointments: each provider's weekday slots, without overlaps
    if !people.is_empty() && p.appointments > 0 {
        let per_provider = p.appointments.div_ceil(providers.len().max(1));
        const SLOTS: i64 = 27; // 08:00–17:00, 20 minutes each
        let days_needed =
            (per_provider as f64 / (SLOTS as f64 * 0.7) * 7.0 / 5.0).ceil() as i64 + 1;
        let first_day = today - Duration::days((days_needed as f64 * 0.85) as i64);
        let now = Utc::now();
        let kinds = [
            ("follow_up", 45.0),
            ("consultation", 15.0),
            ("new_patient", 10.0),
            ("vitals_check", 15.0),
            ("procedure", 5.0),
            ("telehealth", 8.0),
            ("other", 2.0),
        ];
        let kind_pick = WeightedIndex::new(kinds.iter().map(|k| k.1))?;
        let mut copy = tx
            .copy_in_raw(
                "COPY appointments (id, tenant_id, patient_id, provider_id, starts_at, duration_minutes, ends_at, kind, \
                 status, reason, revision, created_by, updated_by) FROM STDIN",
            )
            .await?;
        let mut made = 0usize;
        'providers: for provider in &providers {
            let mut day = first_day;
            let mut slot = 0i64;
            let mut mine = 0usize;
            while mine < per_provider {
                if made >= p.appointments {
                    break 'providers;
                }
                if slot >= SLOTS {
                    slot = 0;
                    day += Duration::days(1);
                }
                if matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
                    day += Duration::days(1);
                    continue;
                }
                let length = if rng.gen_bool(0.15) && slot + 2 <= SLOTS {
                    2
                } else {
                    1
                };
                if rng.gen_bool(0.3) {
                    slot += 1;
                    continue;
                }
                let local = day.and_time(NaiveTime::from_hms_opt(8, 0, 0).context("time")?)
                    + Duration::minutes(20 * slot);
                slot += length;
                let Some(starts) = tz.from_local_datetime(&local).single() else {
                    continue;
                };
                let starts = starts.with_timezone(&Utc);
                let duration = 20 * length;
                let r: f64 = rng.gen();
                let status = if starts < now {
                    if r < 0.84 {
                        "completed"
                    } else if r < 0.90 {
                        "no_show"
                    } else {
                        "cancelled"
                    }
                } else if r < 0.93 {
                    "scheduled"
                } else {
                    "cancelled"
                };
                let person = &people[rng.gen_range(0..people.len())];
                rev += 1;
                made += 1;
                mine += 1;
                let _ = writeln!(
                    buf,
                    "{}\t{tenant_id}\t{}\t{provider}\t{}\t{duration}\t{}\t{}\t{status}\t{}\t{rev}\t{admin}\t{admin}",
                    Uuid::from_u128(rng.gen::<u128>() & !(0xF << 76) | (0x4 << 76)),
                    person.id,
                    ts(starts),
                    ts(starts + Duration::minutes(duration)),
                    kinds[kind_pick.sample(&mut rng)].0,
                    REASONS[rng.gen_range(0..REASONS.len())],
                );
                if buf.len() > 1 << 21 {
                    copy.send(buf.as_bytes()).await?;
                    buf.clear();
                }
            }
        }
        copy.send(buf.as_bytes()).await?;
        buf.clear();
        copy.finish().await?;
    }
    let appointments: i64 =
        sqlx::query_scalar("SELECT count(*) FROM appointments WHERE tenant_id = $1")
            .bind(tenant_id)
            .fetch_one(&mut *tx)
            .await?;
    let vitals: i64 = sqlx::query_scalar("SELECT count(*) FROM vital_signs WHERE tenant_id = $1")
        .bind(tenant_id)
        .fetch_one(&mut *tx)
        .await?;

    // the counter where the trigger would have left it
    sqlx::query("UPDATE tenant_counters SET revision = $2, mrn_counter = $3 WHERE tenant_id = $1")
        .bind(tenant_id)
        .bind(rev)
        .bind(base_mrn + p.patients as i64)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    // what autovacuum does after a bulk load, at once: statistics for the planner, and the
    // visibility map that lets a name search read patient_words from its index alone
    for t in [
        "VACUUM (ANALYZE) patients",
        "ANALYZE vital_signs",
        "ANALYZE appointments",
        "VACUUM (ANALYZE) patient_words",
        "VACUUM (ANALYZE) patient_name_prefixes",
    ] {
        sqlx::query(sqlx::AssertSqlSafe(t.to_string()))
            .execute(&mut conn)
            .await?;
    }
    conn.close().await?;
    Ok(Generated {
        tenant_id,
        patients: people.len(),
        vitals: vitals as usize,
        appointments: appointments as usize,
        revision: rev,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// Rows of a clinic and its revision, read as the owner: (patients, vitals, appointments,
/// staff, revision).
pub async fn server_counts(
    database_url: &str,
    tenant: &str,
) -> anyhow::Result<(i64, i64, i64, i64, i64)> {
    crate::ensure_loopback(database_url)?;
    let mut c: PgConnection = medoffice_server::db::owner_connection(database_url).await?;
    let row: (i64, i64, i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM patients p WHERE p.tenant_id = t.id AND NOT deleted), \
         (SELECT count(*) FROM vital_signs v WHERE v.tenant_id = t.id AND NOT deleted), \
         (SELECT count(*) FROM appointments a WHERE a.tenant_id = t.id AND NOT deleted), \
         (SELECT count(*) FROM users u WHERE u.tenant_id = t.id), r.revision \
         FROM tenants t JOIN tenant_counters r ON r.tenant_id = t.id WHERE t.code = $1",
    )
    .bind(tenant)
    .fetch_one(&mut c)
    .await?;
    c.close().await?;
    Ok(row)
}
