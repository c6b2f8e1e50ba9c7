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
//! - Children (under [`ADULT_FROM_AGE`]): blood pressure, heart rate and respiratory rate by
//!   age (APLS, PALS, AAP 2017), sources in [`crate::paediatric`].
//! - "Impossible" limits are far outside survivable physiology (they catch typing slips such as
//!   a missing decimal point), not clinical judgements.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::paediatric::{paediatric_cardiorespiratory_bands, AgeAt};
use crate::{AdministrativeSex, FieldErrors};

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
    /// FHIR `Observation.status`: `final` as recorded, `amended` after its values were
    /// corrected, `entered-in-error` when withdrawn (kept, but out of flags and charts).
    #[serde(default)]
    pub status: crate::ObservationStatus,
    /// Who corrected it, when and why (for `amended` and `entered-in-error`).
    #[serde(default)]
    pub correction: Option<crate::CorrectionNote>,
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

crate::fields::wire_fields! {
    /// A numeric measurement of [`Measurements`], by its wire name.
    NumericField {
        /// Systolic blood pressure, mmHg.
        SystolicMmhg = "systolic_mmhg",
        /// Diastolic blood pressure, mmHg.
        DiastolicMmhg = "diastolic_mmhg",
        /// Heart rate, /min.
        HeartRateBpm = "heart_rate_bpm",
        /// Respiratory rate, /min.
        RespiratoryRateBpm = "respiratory_rate_bpm",
        /// Temperature, °C.
        TemperatureC = "temperature_c",
        /// SpO2, %.
        Spo2Pct = "spo2_pct",
        /// Weight, kg.
        WeightKg = "weight_kg",
        /// Height, cm.
        HeightCm = "height_cm",
        /// Pain score, 0–10.
        PainScore = "pain_score",
    }
}

crate::fields::wire_fields! {
    /// A value that can be flagged abnormal by a band: a numeric measurement or the BMI. The
    /// order of `ALL` is the order flags are listed in.
    FlaggedField {
        /// Systolic blood pressure.
        SystolicMmhg = "systolic_mmhg",
        /// Diastolic blood pressure.
        DiastolicMmhg = "diastolic_mmhg",
        /// Heart rate.
        HeartRateBpm = "heart_rate_bpm",
        /// Respiratory rate.
        RespiratoryRateBpm = "respiratory_rate_bpm",
        /// Temperature.
        TemperatureC = "temperature_c",
        /// SpO2.
        Spo2Pct = "spo2_pct",
        /// Pain score.
        PainScore = "pain_score",
        /// The BMI, computed from weight and height.
        Bmi = "bmi",
    }
}

/// The impossible-value limits of one numeric field (inclusive, SI units).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct VitalLimit {
    /// The field.
    pub field: NumericField,
    /// Lowest possible value.
    pub min: f64,
    /// Highest possible value.
    pub max: f64,
    /// Whole numbers only (the wire type is an integer).
    pub integer: bool,
    /// The SI unit as the server's messages word it (`" mmHg"`, `"/min"`, `" %"`, or empty).
    pub unit: &'static str,
}

/// The limits of every numeric field, from [`limits`], in the order `validate` checks them.
pub const VITAL_LIMITS: &[VitalLimit] = &[
    int_limit(NumericField::SystolicMmhg, limits::SYSTOLIC, " mmHg"),
    int_limit(NumericField::DiastolicMmhg, limits::DIASTOLIC, " mmHg"),
    int_limit(NumericField::HeartRateBpm, limits::HEART_RATE, "/min"),
    int_limit(
        NumericField::RespiratoryRateBpm,
        limits::RESPIRATORY_RATE,
        "/min",
    ),
    real_limit(NumericField::TemperatureC, limits::TEMPERATURE_C, " °C"),
    int_limit(NumericField::Spo2Pct, limits::SPO2, " %"),
    real_limit(NumericField::WeightKg, limits::WEIGHT_KG, " kg"),
    real_limit(NumericField::HeightCm, limits::HEIGHT_CM, " cm"),
    int_limit(NumericField::PainScore, limits::PAIN, ""),
];

const fn int_limit(field: NumericField, (min, max): (i32, i32), unit: &'static str) -> VitalLimit {
    VitalLimit {
        field,
        min: min as f64,
        max: max as f64,
        integer: true,
        unit,
    }
}

const fn real_limit(field: NumericField, (min, max): (f64, f64), unit: &'static str) -> VitalLimit {
    VitalLimit {
        field,
        min,
        max,
        integer: false,
        unit,
    }
}

/// Where a field turns abnormal (SI units): flagged low below `low` (at or below it when
/// `low_inclusive`), high at or above `high`; an absent side is never flagged.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct FlagBand {
    /// The field.
    pub field: FlaggedField,
    /// The low edge, if the field has one.
    pub low: Option<f64>,
    /// Whether a value equal to `low` is low.
    pub low_inclusive: bool,
    /// The high edge (inclusive), if the field has one.
    pub high: Option<f64>,
}

impl FlagBand {
    /// `"low"` or `"high"` when `value` is outside the band.
    pub fn flag(&self, value: f64) -> Option<&'static str> {
        if let Some(low) = self.low {
            if value < low || (self.low_inclusive && value <= low) {
                return Some("low");
            }
        }
        if self.high.is_some_and(|high| value >= high) {
            return Some("high");
        }
        None
    }
}

/// The adult abnormal bands, in the order flags are listed (sources at the top of this file):
/// blood pressure high ≥ 140/90 mmHg (NICE NG136), systolic low ≤ 90 (NEWS2 score 3); heart
/// rate ≤ 50 / ≥ 91 and respiratory rate ≤ 11 / ≥ 21 (NEWS2 scoring bands); temperature ≤ 35.0
/// / ≥ 38.0 °C; SpO2 < 94 % (BTS 2017); pain ≥ 7 of 10; BMI < 18.5 / ≥ 30 kg/m² (WHO).
pub const ADULT_FLAG_BANDS: &[FlagBand] = &[
    FlagBand {
        field: FlaggedField::SystolicMmhg,
        low: Some(90.0),
        low_inclusive: true,
        high: Some(140.0),
    },
    FlagBand {
        field: FlaggedField::DiastolicMmhg,
        low: Some(60.0),
        low_inclusive: false,
        high: Some(90.0),
    },
    FlagBand {
        field: FlaggedField::HeartRateBpm,
        low: Some(50.0),
        low_inclusive: true,
        high: Some(91.0),
    },
    FlagBand {
        field: FlaggedField::RespiratoryRateBpm,
        low: Some(11.0),
        low_inclusive: true,
        high: Some(21.0),
    },
    FlagBand {
        field: FlaggedField::TemperatureC,
        low: Some(35.0),
        low_inclusive: true,
        high: Some(38.0),
    },
    FlagBand {
        field: FlaggedField::Spo2Pct,
        low: Some(94.0),
        low_inclusive: false,
        high: None,
    },
    FlagBand {
        field: FlaggedField::PainScore,
        low: None,
        low_inclusive: false,
        high: Some(7.0),
    },
    FlagBand {
        field: FlaggedField::Bmi,
        low: Some(18.5),
        low_inclusive: false,
        high: Some(30.0),
    },
];

/// Decimals the BMI is rounded to.
pub const BMI_DECIMALS: i32 = 1;

/// One band of a NEWS2 parameter: values up to `up_to` (inclusive; `None`: any higher value)
/// score `score`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct News2Band {
    /// The highest value of the band, or `None` for the last band.
    pub up_to: Option<f64>,
    /// The score of a value in the band.
    pub score: i32,
}

/// How one numeric NEWS2 parameter scores (RCP 2017, chart 1).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct News2Parameter {
    /// The measurement.
    pub field: NumericField,
    /// Decimals the value is charted to before it is banded (temperature: 35.0 scores 3, 35.1
    /// scores 1).
    pub decimals: i32,
    /// The bands, lowest first; the first whose `up_to` the value does not exceed applies.
    pub bands: &'static [News2Band],
}

impl News2Parameter {
    /// The score of `value`.
    pub fn score(&self, value: f64) -> i32 {
        let scale = 10f64.powi(self.decimals);
        let v = (value * scale).round();
        self.bands
            .iter()
            .find(|b| b.up_to.is_none_or(|u| v <= (u * scale).round()))
            .map_or(0, |b| b.score)
    }
}

const fn band(up_to: f64, score: i32) -> News2Band {
    News2Band {
        up_to: Some(up_to),
        score,
    }
}

const fn above(score: i32) -> News2Band {
    News2Band { up_to: None, score }
}

/// The numeric NEWS2 parameters (RCP 2017, chart 1, SpO2 scale 1), in chart order.
pub const NEWS2_PARAMETERS: &[News2Parameter] = &[
    News2Parameter {
        field: NumericField::RespiratoryRateBpm,
        decimals: 0,
        bands: &[
            band(8.0, 3),
            band(11.0, 1),
            band(20.0, 0),
            band(24.0, 2),
            above(3),
        ],
    },
    News2Parameter {
        field: NumericField::Spo2Pct,
        decimals: 0,
        bands: &[band(91.0, 3), band(93.0, 2), band(95.0, 1), above(0)],
    },
    News2Parameter {
        field: NumericField::SystolicMmhg,
        decimals: 0,
        bands: &[
            band(90.0, 3),
            band(100.0, 2),
            band(110.0, 1),
            band(219.0, 0),
            above(3),
        ],
    },
    News2Parameter {
        field: NumericField::HeartRateBpm,
        decimals: 0,
        bands: &[
            band(40.0, 3),
            band(50.0, 1),
            band(90.0, 0),
            band(110.0, 1),
            band(130.0, 2),
            above(3),
        ],
    },
    News2Parameter {
        field: NumericField::TemperatureC,
        decimals: 1,
        bands: &[
            band(35.0, 3),
            band(36.0, 1),
            band(38.0, 0),
            band(39.0, 1),
            above(2),
        ],
    },
];

/// NEWS2 score for supplemental oxygen (air scores 0).
pub const NEWS2_ON_OXYGEN_SCORE: i32 = 2;
/// NEWS2 score for any consciousness other than alert (new confusion, voice, pain, unresponsive).
pub const NEWS2_NOT_ALERT_SCORE: i32 = 3;
/// A single parameter scoring this much is a "red score" (RCP 2017, chart 2).
pub const NEWS2_RED_SCORE: i32 = 3;
/// Lowest total of the medium risk band.
pub const NEWS2_MEDIUM_FROM: i32 = 5;
/// Lowest total of the high risk band.
pub const NEWS2_HIGH_FROM: i32 = 7;

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
        for l in VITAL_LIMITS {
            if let Some(v) = self.numeric(l.field) {
                if v < l.min || v > l.max {
                    e.add(
                        l.field.as_str(),
                        format!("must be between {} and {}{}", l.min, l.max, l.unit),
                    );
                }
            }
        }
        for l in VITAL_LIMITS.iter().filter(|l| !l.integer) {
            if self.numeric(l.field).is_some_and(|x| !x.is_finite()) {
                e.add(l.field.as_str(), "must be a number");
            }
        }
        e.into_result()
    }

    /// The value of a numeric field, if present.
    pub fn numeric(&self, field: NumericField) -> Option<f64> {
        match field {
            NumericField::SystolicMmhg => self.systolic_mmhg.map(f64::from),
            NumericField::DiastolicMmhg => self.diastolic_mmhg.map(f64::from),
            NumericField::HeartRateBpm => self.heart_rate_bpm.map(f64::from),
            NumericField::RespiratoryRateBpm => self.respiratory_rate_bpm.map(f64::from),
            NumericField::TemperatureC => self.temperature_c,
            NumericField::Spo2Pct => self.spo2_pct.map(f64::from),
            NumericField::WeightKg => self.weight_kg,
            NumericField::HeightCm => self.height_cm,
            NumericField::PainScore => self.pain_score.map(f64::from),
        }
    }

    /// The value a flag band looks at, if present (the BMI is computed).
    pub fn flagged_value(&self, field: FlaggedField) -> Option<f64> {
        match field {
            FlaggedField::SystolicMmhg => self.numeric(NumericField::SystolicMmhg),
            FlaggedField::DiastolicMmhg => self.numeric(NumericField::DiastolicMmhg),
            FlaggedField::HeartRateBpm => self.numeric(NumericField::HeartRateBpm),
            FlaggedField::RespiratoryRateBpm => self.numeric(NumericField::RespiratoryRateBpm),
            FlaggedField::TemperatureC => self.numeric(NumericField::TemperatureC),
            FlaggedField::Spo2Pct => self.numeric(NumericField::Spo2Pct),
            FlaggedField::PainScore => self.numeric(NumericField::PainScore),
            FlaggedField::Bmi => self.bmi(),
        }
    }

    /// Abnormal values, as `"<field>:<low|high>"` (accepted, but shown flagged), by the adult
    /// bands ([`ADULT_FLAG_BANDS`]).
    pub fn flags(&self) -> Vec<String> {
        self.flags_by(ADULT_FLAG_BANDS)
    }

    /// Abnormal values by `bands`: consciousness other than alert first, then the bands in order.
    fn flags_by(&self, bands: &[FlagBand]) -> Vec<String> {
        let mut f = Vec::new();
        if self
            .consciousness
            .is_some_and(|c| c != Consciousness::Alert)
        {
            f.push("consciousness:high".to_owned());
        }
        for b in bands {
            if let Some(side) = self.flagged_value(b.field).and_then(|v| b.flag(v)) {
                f.push(format!("{}:{side}", b.field.as_str()));
            }
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
        let scale = 10f64.powi(BMI_DECIMALS);
        Some((w / (m * m) * scale).round() / scale)
    }

    /// The NEWS2 total (RCP 2017, SpO2 scale 1), when respiratory rate, SpO2, air/oxygen,
    /// systolic, heart rate, consciousness and temperature are all present.
    pub fn news2(&self) -> Option<i32> {
        Some(self.news2_scores()?.iter().sum())
    }

    /// The score of each NEWS2 parameter ([`NEWS2_PARAMETERS`] in order, then air/oxygen and
    /// consciousness), when all are present.
    fn news2_scores(&self) -> Option<[i32; 7]> {
        let mut s = [0; 7];
        for (slot, p) in s.iter_mut().zip(NEWS2_PARAMETERS) {
            *slot = p.score(self.numeric(p.field)?);
        }
        s[5] = if self.on_oxygen? {
            NEWS2_ON_OXYGEN_SCORE
        } else {
            0
        };
        s[6] = if self.consciousness? == Consciousness::Alert {
            0
        } else {
            NEWS2_NOT_ALERT_SCORE
        };
        Some(s)
    }

    /// True when any single NEWS2 parameter scores 3 ("red score", RCP 2017 chart 2).
    pub fn news2_has_red_score(&self) -> bool {
        self.news2_scores()
            .is_some_and(|s| s.iter().any(|&x| x >= NEWS2_RED_SCORE))
    }
}

/// Age in whole years from which adult thresholds and NEWS2 apply. RCP (2017): NEWS2 "should
/// not be used in children (under 16)"; adult BMI (WHO), blood-pressure, heart-rate and
/// respiratory-rate bands do not fit children either: under this age the children's bands of
/// [`crate::paediatric`] apply.
pub const ADULT_FROM_AGE: i32 = 16;

/// SpO2 below which a child's saturation is flagged low: BTS guideline for community-acquired
/// pneumonia in children (2011), oxygen when saturation is below 92 %.
pub const CHILD_SPO2_LOW_BELOW: i32 = 92;

/// True when adult thresholds apply at `age` (unknown age counts as adult).
pub fn adult_thresholds_apply(age: Option<AgeAt>) -> bool {
    age.is_none_or(|a| a.years >= ADULT_FROM_AGE)
}

/// The fields whose adult band a child keeps (consciousness is flagged at every age).
pub const CHILD_FLAGGED_FIELDS: &[FlaggedField] = &[
    FlaggedField::TemperatureC,
    FlaggedField::Spo2Pct,
    FlaggedField::PainScore,
];

/// The bands that apply at `age` to a patient of administrative sex `sex`, in the order flags
/// are listed: [`ADULT_FLAG_BANDS`] for adults (and unknown age); for children the blood
/// pressure, heart-rate and respiratory-rate bands of
/// [`paediatric_cardiorespiratory_bands`], then the adult bands of [`CHILD_FLAGGED_FIELDS`],
/// SpO2 low below [`CHILD_SPO2_LOW_BELOW`]. No BMI band for children (it needs BMI-for-age
/// centiles).
pub fn flag_bands_for_age(age: Option<AgeAt>, sex: AdministrativeSex) -> Vec<FlagBand> {
    let Some(age) = age.filter(|_| !adult_thresholds_apply(age)) else {
        return ADULT_FLAG_BANDS.to_vec();
    };
    let mut out = paediatric_cardiorespiratory_bands(age, sex);
    out.extend(
        ADULT_FLAG_BANDS
            .iter()
            .filter(|b| CHILD_FLAGGED_FIELDS.contains(&b.field))
            .map(|b| match b.field {
                FlaggedField::Spo2Pct => FlagBand {
                    field: b.field,
                    low: Some(f64::from(CHILD_SPO2_LOW_BELOW)),
                    low_inclusive: false,
                    high: None,
                },
                _ => *b,
            }),
    );
    out
}

impl Measurements {
    /// Abnormal values for a patient of `age` at the measurement and administrative sex `sex`
    /// (the children's blood-pressure table is by sex): [`Measurements::flags`] for adults and
    /// unknown age, the bands of [`flag_bands_for_age`] for children.
    pub fn flags_for_age(&self, age: Option<AgeAt>, sex: AdministrativeSex) -> Vec<String> {
        if adult_thresholds_apply(age) {
            return self.flags();
        }
        self.flags_by(&flag_bands_for_age(age, sex))
    }

    /// NEWS2 for a patient of `age` at the measurement: none for children (not validated
    /// under 16, RCP 2017).
    pub fn news2_for_age(&self, age: Option<AgeAt>) -> Option<i32> {
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

/// The response a NEWS2 score calls for beyond routine monitoring (RCP 2017, "National Early
/// Warning Score (NEWS) 2", chart 4, clinical response): the person who recorded the set is
/// prompted, and acknowledges it (audited as `vital_signs.escalation_acknowledged`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
#[ts(export)]
#[serde(rename_all = "snake_case")]
pub enum News2Escalation {
    /// An aggregate of 5–6, or a single parameter scoring 3: urgent review by a clinician
    /// (the registered nurse informs the medical team at once; at least hourly observations).
    Urgent,
    /// An aggregate of 7 or more: emergency response (the registered nurse informs the medical
    /// team at once, emergency assessment by a team with critical-care competencies;
    /// continuous monitoring).
    Emergency,
}

/// The escalation a risk band calls for: none below a single red parameter or an aggregate
/// of 5 (RCP 2017, chart 4).
pub fn news2_escalation(risk: News2Risk) -> Option<News2Escalation> {
    match risk {
        News2Risk::Low => None,
        News2Risk::LowMedium | News2Risk::Medium => Some(News2Escalation::Urgent),
        News2Risk::High => Some(News2Escalation::Emergency),
    }
}

/// The risk band for a NEWS2 total.
pub fn news2_risk(total: i32, has_red_score: bool) -> News2Risk {
    if total >= NEWS2_HIGH_FROM {
        News2Risk::High
    } else if total >= NEWS2_MEDIUM_FROM {
        News2Risk::Medium
    } else if has_red_score {
        News2Risk::LowMedium
    } else {
        News2Risk::Low
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
        // RCP 2017 chart 4: a single red parameter or 5–6 → urgent, 7 or more → emergency
        let escalation = |total, red| news2_escalation(news2_risk(total, red));
        assert_eq!(escalation(4, false), None);
        assert_eq!(escalation(3, true), Some(News2Escalation::Urgent));
        assert_eq!(escalation(5, false), Some(News2Escalation::Urgent));
        assert_eq!(escalation(6, true), Some(News2Escalation::Urgent));
        assert_eq!(escalation(7, false), Some(News2Escalation::Emergency));
        assert_eq!(escalation(20, true), Some(News2Escalation::Emergency));
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
    fn children_get_their_own_bands_and_no_news2() {
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
        let twelve = Some(AgeAt {
            years: 12,
            days: 12 * 365 + 3,
        });
        let eight = Some(AgeAt {
            years: 8,
            days: 8 * 365 + 2,
        });
        let sex = AdministrativeSex::Female;
        // a 12-year-old: fever, 110/min (APLS 60–100) and RR 24 (15–20); BMI 17 and SpO2 93
        // are not children's flags
        assert_eq!(
            m.flags_for_age(twelve, sex),
            vec![
                "heart_rate_bpm:high",
                "respiratory_rate_bpm:high",
                "temperature_c:high"
            ]
        );
        // an 8-year-old: the same rates are within APLS 80–120 and 20–25
        assert_eq!(m.flags_for_age(eight, sex), vec!["temperature_c:high"]);
        assert_eq!(m.news2_for_age(twelve), None);
        // the same set for an adult
        let adult = Some(AgeAt {
            years: 40,
            days: 40 * 365 + 10,
        });
        assert!(m.flags_for_age(adult, sex).contains(&"bmi:low".to_owned()));
        assert!(m
            .news2_for_age(Some(AgeAt {
                years: 16,
                days: 16 * 365 + 4
            }))
            .is_some());
        assert_eq!(
            m.flags_for_age(None, sex),
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
