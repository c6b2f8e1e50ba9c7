//! Vital signs (FHIR `Observation`, vital-signs profile): one measurement set, its validation,
//! abnormal flags and the NEWS2 early-warning score.
//!
//! Sources of the limits:
//! - NEWS2: Royal College of Physicians, *National Early Warning Score (NEWS) 2*, 2017,
//!   chart 1 (scoring) and chart 2 (clinical response thresholds). SpO2 uses scale 1.
//! - Blood pressure "high" (≥ 140/90 mmHg): NICE guideline NG136 (2019), clinic threshold for
//!   stage 1 hypertension. "Low" (systolic ≤ 90): NEWS2 score-3 band.
//! - SpO2 < 94 %: BTS guideline for oxygen use in adults (2017), target range 94–98 %.
//! - Temperature ≥ 38.0 °C fever, ≤ 35.0 °C hypothermia: NEWS2 bands (38.1 scores, 35.0 scores 3);
//!   we flag from 38.0 as DESIGN.md asks.
//! - BMI bands: WHO, underweight < 18.5, obesity ≥ 30 kg/m².
//! - "Impossible" limits are far outside survivable physiology (they catch typing slips such as
//!   a missing decimal point), not clinical judgements.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::FieldErrors;

/// Level of consciousness, ACVPU (NEWS2): alert, new confusion, responds to voice, to pain,
/// unresponsive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
#[ts(export)]
#[serde(rename_all = "snake_case")]
pub enum Consciousness {
    /// A.
    Alert,
    /// C: new confusion.
    Confused,
    /// V.
    Voice,
    /// P.
    Pain,
    /// U.
    Unresponsive,
}

/// The measurements of one set. Every field is optional, but at least one must be present,
/// and systolic and diastolic come together. Units: SI as named.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS, ToSchema)]
#[ts(export)]
pub struct Measurements {
    /// Systolic blood pressure, mmHg (LOINC 8480-6).
    #[serde(default)]
    #[ts(optional)]
    pub systolic_mmhg: Option<i32>,
    /// Diastolic blood pressure, mmHg (LOINC 8462-4).
    #[serde(default)]
    #[ts(optional)]
    pub diastolic_mmhg: Option<i32>,
    /// Heart rate, beats/min (LOINC 8867-4).
    #[serde(default)]
    #[ts(optional)]
    pub heart_rate_bpm: Option<i32>,
    /// Respiratory rate, breaths/min (LOINC 9279-1).
    #[serde(default)]
    #[ts(optional)]
    pub respiratory_rate_bpm: Option<i32>,
    /// Body temperature, °C (LOINC 8310-5).
    #[serde(default)]
    #[ts(optional)]
    pub temperature_c: Option<f64>,
    /// Oxygen saturation, % (LOINC 59408-5 / 2708-6).
    #[serde(default)]
    #[ts(optional)]
    pub spo2_pct: Option<i32>,
    /// On supplemental oxygen when measured (NEWS2 "air or oxygen").
    #[serde(default)]
    #[ts(optional)]
    pub on_oxygen: Option<bool>,
    /// ACVPU level of consciousness.
    #[serde(default)]
    #[ts(optional)]
    pub consciousness: Option<Consciousness>,
    /// Body weight, kg (LOINC 29463-7).
    #[serde(default)]
    #[ts(optional)]
    pub weight_kg: Option<f64>,
    /// Body height, cm (LOINC 8302-2).
    #[serde(default)]
    #[ts(optional)]
    pub height_cm: Option<f64>,
    /// Pain severity 0–10 (LOINC 72514-3).
    #[serde(default)]
    #[ts(optional)]
    pub pain_score: Option<i32>,
}

/// `POST /api/v1/patients/{id}/vitals` body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
#[ts(export)]
pub struct NewVitalSigns {
    /// Client-made id; the server makes one when absent.
    #[serde(default)]
    #[ts(optional)]
    pub id: Option<Uuid>,
    /// When measured; not in the future (5 minutes of clock skew allowed).
    pub measured_at: DateTime<Utc>,
    /// The measurements.
    #[serde(flatten)]
    pub measurements: Measurements,
    /// Free-text notes.
    #[serde(default)]
    #[ts(optional)]
    pub notes: Option<String>,
    /// True when the set was entered on a workstation without a server connection.
    #[serde(default)]
    #[ts(optional)]
    pub entered_offline: Option<bool>,
}

/// A recorded measurement set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
#[ts(export)]
pub struct VitalSigns {
    /// Id.
    pub id: Uuid,
    /// The patient.
    pub patient_id: Uuid,
    /// When measured.
    pub measured_at: DateTime<Utc>,
    /// The authenticated user who recorded it.
    pub recorded_by: Uuid,
    /// The measurements.
    #[serde(flatten)]
    pub measurements: Measurements,
    /// Free-text notes.
    pub notes: Option<String>,
    /// Entered on a workstation that was offline.
    pub entered_offline: bool,
    /// Abnormal values, `"<field>:<low|high>"`, e.g. `"spo2_pct:low"`.
    pub flags: Vec<String>,
    /// NEWS2 total when every parameter was measured.
    pub news2: Option<i32>,
    /// Feed revision.
    #[ts(type = "number")]
    pub revision: i64,
    /// When stored on the server.
    pub created_at: DateTime<Utc>,
}

/// Inclusive impossible-value limits: outside them a value is refused as a typing error.
pub mod limits {
    /// Systolic, mmHg (DESIGN.md).
    pub const SYSTOLIC: (i32, i32) = (40, 300);
    /// Diastolic, mmHg.
    pub const DIASTOLIC: (i32, i32) = (20, 200);
    /// Heart rate, /min.
    pub const HEART_RATE: (i32, i32) = (20, 300);
    /// Respiratory rate, /min.
    pub const RESPIRATORY_RATE: (i32, i32) = (3, 80);
    /// Temperature, °C (DESIGN.md).
    pub const TEMPERATURE_C: (f64, f64) = (25.0, 45.0);
    /// SpO2, %. Readings in the 20s occur (cyanotic heart disease, peri-arrest); lower is an
    /// artefact of the probe.
    pub const SPO2: (i32, i32) = (20, 100);
    /// Weight, kg.
    pub const WEIGHT_KG: (f64, f64) = (0.2, 650.0);
    /// Height, cm.
    pub const HEIGHT_CM: (f64, f64) = (20.0, 280.0);
    /// Pain score.
    pub const PAIN: (i32, i32) = (0, 10);
}

fn check_range<T: PartialOrd + std::fmt::Display + Copy>(
    e: &mut FieldErrors,
    field: &str,
    value: Option<T>,
    (lo, hi): (T, T),
    unit: &str,
) {
    if let Some(v) = value {
        if v < lo || v > hi {
            e.add(field, format!("must be between {lo} and {hi}{unit}"));
        }
    }
}

impl Measurements {
    /// True when no measurement is present.
    pub fn is_empty(&self) -> bool {
        self.systolic_mmhg.is_none()
            && self.diastolic_mmhg.is_none()
            && self.heart_rate_bpm.is_none()
            && self.respiratory_rate_bpm.is_none()
            && self.temperature_c.is_none()
            && self.spo2_pct.is_none()
            && self.weight_kg.is_none()
            && self.height_cm.is_none()
            && self.pain_score.is_none()
            && self.consciousness.is_none()
    }

    /// Refuses impossible values (see [`limits`]), errors keyed by field.
    pub fn validate(&self) -> Result<(), FieldErrors> {
        let mut e = FieldErrors::new();
        if self.is_empty() {
            e.add("measurements", "enter at least one measurement");
        }
        match (self.systolic_mmhg, self.diastolic_mmhg) {
            (Some(_), None) => e.add("diastolic_mmhg", "is required with systolic"),
            (None, Some(_)) => e.add("systolic_mmhg", "is required with diastolic"),
            (Some(s), Some(d)) if d >= s => e.add("diastolic_mmhg", "must be below systolic"),
            _ => {}
        }
        check_range(
            &mut e,
            "systolic_mmhg",
            self.systolic_mmhg,
            limits::SYSTOLIC,
            " mmHg",
        );
        check_range(
            &mut e,
            "diastolic_mmhg",
            self.diastolic_mmhg,
            limits::DIASTOLIC,
            " mmHg",
        );
        check_range(
            &mut e,
            "heart_rate_bpm",
            self.heart_rate_bpm,
            limits::HEART_RATE,
            "/min",
        );
        check_range(
            &mut e,
            "respiratory_rate_bpm",
            self.respiratory_rate_bpm,
            limits::RESPIRATORY_RATE,
            "/min",
        );
        check_range(
            &mut e,
            "temperature_c",
            self.temperature_c,
            limits::TEMPERATURE_C,
            " °C",
        );
        check_range(&mut e, "spo2_pct", self.spo2_pct, limits::SPO2, " %");
        check_range(
            &mut e,
            "weight_kg",
            self.weight_kg,
            limits::WEIGHT_KG,
            " kg",
        );
        check_range(
            &mut e,
            "height_cm",
            self.height_cm,
            limits::HEIGHT_CM,
            " cm",
        );
        check_range(&mut e, "pain_score", self.pain_score, limits::PAIN, "");
        for (field, v) in [
            ("temperature_c", self.temperature_c),
            ("weight_kg", self.weight_kg),
            ("height_cm", self.height_cm),
        ] {
            if v.is_some_and(|x| !x.is_finite()) {
                e.add(field, "must be a number");
            }
        }
        e.into_result()
    }

    /// Abnormal values, as `"<field>:<low|high>"` (accepted, but shown flagged).
    pub fn flags(&self) -> Vec<String> {
        let mut f = Vec::new();
        let mut flag = |field: &str, low: bool, high: bool| {
            if low {
                f.push(format!("{field}:low"));
            } else if high {
                f.push(format!("{field}:high"));
            }
        };
        if let Some(c) = self.consciousness {
            flag("consciousness", false, c != Consciousness::Alert);
        }
        if let Some(v) = self.systolic_mmhg {
            flag("systolic_mmhg", v <= 90, v >= 140);
        }
        if let Some(v) = self.diastolic_mmhg {
            flag("diastolic_mmhg", v < 60, v >= 90);
        }
        if let Some(v) = self.heart_rate_bpm {
            flag("heart_rate_bpm", v <= 50, v >= 91);
        }
        if let Some(v) = self.respiratory_rate_bpm {
            flag("respiratory_rate_bpm", v <= 11, v >= 21);
        }
        if let Some(v) = self.temperature_c {
            flag("temperature_c", v <= 35.0, v >= 38.0);
        }
        if let Some(v) = self.spo2_pct {
            flag("spo2_pct", v < 94, false);
        }
        if let Some(v) = self.pain_score {
            flag("pain_score", false, v >= 7);
        }
        if let Some(b) = self.bmi() {
            flag("bmi", b < 18.5, b >= 30.0);
        }
        f
    }

    /// Body-mass index, kg/m², rounded to one decimal, when weight and height are present.
    pub fn bmi(&self) -> Option<f64> {
        let (w, h) = (self.weight_kg?, self.height_cm?);
        if h <= 0.0 {
            return None;
        }
        let m = h / 100.0;
        Some((w / (m * m) * 10.0).round() / 10.0)
    }

    /// The NEWS2 total (RCP 2017, SpO2 scale 1), when respiratory rate, SpO2, air/oxygen,
    /// systolic, heart rate, consciousness and temperature are all present.
    pub fn news2(&self) -> Option<i32> {
        let rr = self.respiratory_rate_bpm?;
        let spo2 = self.spo2_pct?;
        let o2 = self.on_oxygen?;
        let sys = self.systolic_mmhg?;
        let hr = self.heart_rate_bpm?;
        let c = self.consciousness?;
        let t = self.temperature_c?;
        let rr_s = match rr {
            ..=8 => 3,
            9..=11 => 1,
            12..=20 => 0,
            21..=24 => 2,
            _ => 3,
        };
        let spo2_s = match spo2 {
            ..=91 => 3,
            92..=93 => 2,
            94..=95 => 1,
            _ => 0,
        };
        let o2_s = if o2 { 2 } else { 0 };
        let sys_s = match sys {
            ..=90 => 3,
            91..=100 => 2,
            101..=110 => 1,
            111..=219 => 0,
            _ => 3,
        };
        let hr_s = match hr {
            ..=40 => 3,
            41..=50 => 1,
            51..=90 => 0,
            91..=110 => 1,
            111..=130 => 2,
            _ => 3,
        };
        let c_s = if c == Consciousness::Alert { 0 } else { 3 };
        // Temperature is charted to one decimal: 35.0 scores 3, 35.1 scores 1, 38.1 scores 1.
        let t10 = (t * 10.0).round() as i64;
        let t_s = match t10 {
            ..=350 => 3,
            351..=360 => 1,
            361..=380 => 0,
            381..=390 => 1,
            _ => 2,
        };
        Some(rr_s + spo2_s + o2_s + sys_s + hr_s + c_s + t_s)
    }

    /// True when any single NEWS2 parameter scores 3 ("red score", RCP 2017 chart 2).
    pub fn news2_has_red_score(&self) -> bool {
        let red = |m: Measurements| m.news2().is_some_and(|s| s >= 3);
        let base = Measurements {
            respiratory_rate_bpm: Some(16),
            spo2_pct: Some(97),
            on_oxygen: Some(false),
            systolic_mmhg: Some(120),
            heart_rate_bpm: Some(70),
            consciousness: Some(Consciousness::Alert),
            temperature_c: Some(37.0),
            ..Default::default()
        };
        self.news2().is_some()
            && (red(Measurements {
                respiratory_rate_bpm: self.respiratory_rate_bpm,
                ..base.clone()
            }) || red(Measurements {
                spo2_pct: self.spo2_pct,
                ..base.clone()
            }) || red(Measurements {
                systolic_mmhg: self.systolic_mmhg,
                ..base.clone()
            }) || red(Measurements {
                heart_rate_bpm: self.heart_rate_bpm,
                ..base.clone()
            }) || red(Measurements {
                consciousness: self.consciousness,
                ..base.clone()
            }) || red(Measurements {
                temperature_c: self.temperature_c,
                ..base
            }))
    }
}

/// Age in whole years from which adult thresholds and NEWS2 apply. RCP (2017): NEWS2 "should
/// not be used in children (under 16)"; adult BMI (WHO), blood-pressure, heart-rate and
/// respiratory-rate bands do not fit children either, and medoffice has no age-banded paediatric
/// ranges yet, so for children only age-independent flags are raised.
pub const ADULT_FROM_AGE: i32 = 16;

/// SpO2 below which a child's saturation is flagged low: BTS guideline for community-acquired
/// pneumonia in children (2011), oxygen when saturation is below 92 %.
pub const CHILD_SPO2_LOW_BELOW: i32 = 92;

/// True when adult thresholds apply at `age` (years; unknown age counts as adult).
pub fn adult_thresholds_apply(age: Option<i32>) -> bool {
    age.is_none_or(|a| a >= ADULT_FROM_AGE)
}

impl Measurements {
    /// Abnormal values for a patient of `age` years: [`Measurements::flags`] for adults; for
    /// children only temperature, SpO2 (< 92 %), pain and consciousness.
    pub fn flags_for_age(&self, age: Option<i32>) -> Vec<String> {
        if adult_thresholds_apply(age) {
            return self.flags();
        }
        let mut f = Vec::new();
        if self
            .consciousness
            .is_some_and(|c| c != Consciousness::Alert)
        {
            f.push("consciousness:high".to_owned());
        }
        if let Some(t) = self.temperature_c {
            if t <= 35.0 {
                f.push("temperature_c:low".to_owned());
            } else if t >= 38.0 {
                f.push("temperature_c:high".to_owned());
            }
        }
        if self.spo2_pct.is_some_and(|v| v < CHILD_SPO2_LOW_BELOW) {
            f.push("spo2_pct:low".to_owned());
        }
        if self.pain_score.is_some_and(|v| v >= 7) {
            f.push("pain_score:high".to_owned());
        }
        f
    }

    /// NEWS2 for a patient of `age` years: none for children (not validated under 16).
    pub fn news2_for_age(&self, age: Option<i32>) -> Option<i32> {
        if adult_thresholds_apply(age) {
            self.news2()
        } else {
            None
        }
    }
}

/// NEWS2 clinical risk band (RCP 2017, chart 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
#[ts(export)]
#[serde(rename_all = "snake_case")]
pub enum News2Risk {
    /// Total 0–4, no single parameter scoring 3.
    Low,
    /// Total 0–4 with a single parameter scoring 3.
    LowMedium,
    /// Total 5–6.
    Medium,
    /// Total 7 or more.
    High,
}

/// The risk band for a NEWS2 total.
pub fn news2_risk(total: i32, has_red_score: bool) -> News2Risk {
    match total {
        7.. => News2Risk::High,
        5..=6 => News2Risk::Medium,
        _ if has_red_score => News2Risk::LowMedium,
        _ => News2Risk::Low,
    }
}

impl NewVitalSigns {
    /// Validates against `now`: impossible values, empty sets, future times.
    pub fn validate(&self, now: DateTime<Utc>) -> Result<(), FieldErrors> {
        let mut e = match self.measurements.validate() {
            Ok(()) => FieldErrors::new(),
            Err(e) => e,
        };
        if self.measured_at > now + Duration::minutes(5) {
            e.add("measured_at", "cannot be in the future");
        }
        if self
            .notes
            .as_deref()
            .is_some_and(|n| n.chars().count() > 2000)
        {
            e.add("notes", "must be at most 2000 characters");
        }
        e.into_result()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full(
        rr: i32,
        spo2: i32,
        o2: bool,
        sys: i32,
        hr: i32,
        c: Consciousness,
        t: f64,
    ) -> Measurements {
        Measurements {
            respiratory_rate_bpm: Some(rr),
            spo2_pct: Some(spo2),
            on_oxygen: Some(o2),
            systolic_mmhg: Some(sys),
            diastolic_mmhg: Some(sys / 2),
            heart_rate_bpm: Some(hr),
            consciousness: Some(c),
            temperature_c: Some(t),
            ..Default::default()
        }
    }

    #[test]
    fn news2_of_normal_adult_is_zero() {
        let m = full(16, 97, false, 120, 70, Consciousness::Alert, 37.0);
        assert_eq!(m.news2(), Some(0));
        assert_eq!(news2_risk(0, m.news2_has_red_score()), News2Risk::Low);
    }

    #[test]
    fn news2_bands_follow_rcp_chart() {
        // RR 22 (2) + SpO2 93 (2) + O2 (2) + sys 105 (1) + HR 115 (2) + alert (0) + 38.5 (1) = 10
        let m = full(22, 93, true, 105, 115, Consciousness::Alert, 38.5);
        assert_eq!(m.news2(), Some(10));
        assert_eq!(news2_risk(10, m.news2_has_red_score()), News2Risk::High);
        // a single red parameter: new confusion
        let m = full(16, 97, false, 120, 70, Consciousness::Confused, 37.0);
        assert_eq!(m.news2(), Some(3));
        assert!(m.news2_has_red_score());
        assert_eq!(news2_risk(3, true), News2Risk::LowMedium);
        // temperature edges: 35.0 → 3, 35.1 → 1, 38.0 → 0, 38.1 → 1, 39.1 → 2
        for (t, s) in [(35.0, 3), (35.1, 1), (38.0, 0), (38.1, 1), (39.1, 2)] {
            assert_eq!(
                full(16, 97, false, 120, 70, Consciousness::Alert, t).news2(),
                Some(s),
                "{t}"
            );
        }
    }

    #[test]
    fn news2_needs_every_parameter() {
        let mut m = full(16, 97, false, 120, 70, Consciousness::Alert, 37.0);
        m.consciousness = None;
        assert_eq!(m.news2(), None);
    }

    #[test]
    fn impossible_values_are_refused_by_field() {
        let m = Measurements {
            systolic_mmhg: Some(400),
            diastolic_mmhg: Some(80),
            spo2_pct: Some(101),
            temperature_c: Some(3.7),
            ..Default::default()
        };
        let e = m.validate().expect_err("impossible");
        assert!(e.0.contains_key("systolic_mmhg"));
        assert!(e.0.contains_key("spo2_pct"));
        assert!(e.0.contains_key("temperature_c"));
        assert!(!e.0.contains_key("diastolic_mmhg"));
    }

    #[test]
    fn blood_pressure_comes_in_pairs_and_diastolic_is_lower() {
        let e = Measurements {
            systolic_mmhg: Some(120),
            ..Default::default()
        }
        .validate()
        .expect_err("pair");
        assert!(e.0.contains_key("diastolic_mmhg"));
        let e = Measurements {
            systolic_mmhg: Some(80),
            diastolic_mmhg: Some(90),
            ..Default::default()
        }
        .validate()
        .expect_err("order");
        assert!(e.0.contains_key("diastolic_mmhg"));
        assert!(Measurements::default().validate().is_err());
    }

    #[test]
    fn abnormal_values_are_flagged_not_refused() {
        let m = Measurements {
            systolic_mmhg: Some(150),
            diastolic_mmhg: Some(95),
            spo2_pct: Some(91),
            temperature_c: Some(38.2),
            weight_kg: Some(100.0),
            height_cm: Some(170.0),
            ..Default::default()
        };
        assert!(m.validate().is_ok());
        assert_eq!(
            m.flags(),
            vec![
                "systolic_mmhg:high",
                "diastolic_mmhg:high",
                "temperature_c:high",
                "spo2_pct:low",
                "bmi:high"
            ]
        );
        assert_eq!(m.bmi(), Some(34.6));
    }

    #[test]
    fn children_get_no_adult_bands_and_no_news2() {
        let m = Measurements {
            systolic_mmhg: Some(100),
            diastolic_mmhg: Some(60),
            heart_rate_bpm: Some(110),
            respiratory_rate_bpm: Some(24),
            spo2_pct: Some(93),
            on_oxygen: Some(false),
            consciousness: Some(Consciousness::Alert),
            temperature_c: Some(38.5),
            weight_kg: Some(27.8),
            height_cm: Some(127.9),
            ..Default::default()
        };
        // a 12-year-old: fever is fever, but 110/min, RR 24, BMI 17 and SpO2 93 are not adult flags
        assert_eq!(m.flags_for_age(Some(12)), vec!["temperature_c:high"]);
        assert_eq!(m.news2_for_age(Some(12)), None);
        // the same set for an adult
        assert!(m
            .flags_for_age(Some(40))
            .contains(&"heart_rate_bpm:high".to_owned()));
        assert!(m.flags_for_age(Some(40)).contains(&"bmi:low".to_owned()));
        assert!(m.news2_for_age(Some(16)).is_some());
        assert_eq!(
            m.flags_for_age(None),
            m.flags(),
            "unknown age: adult thresholds"
        );
    }

    #[test]
    fn future_measurement_time_is_refused() {
        let now = Utc::now();
        let v = NewVitalSigns {
            id: None,
            measured_at: now + Duration::hours(1),
            measurements: Measurements {
                heart_rate_bpm: Some(70),
                ..Default::default()
            },
            notes: None,
            entered_offline: None,
        };
        assert!(v
            .validate(now)
            .expect_err("future")
            .0
            .contains_key("measured_at"));
    }
}
