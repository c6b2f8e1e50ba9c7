//! The clinical rules the desktop UI applies while a person types, as one value built from this
//! crate's own tables and constants: vital-sign limits, abnormal bands (adult and child), BMI
//! rounding, NEWS2 scoring, the appointment workflow, editable fields and error codes.
//!
//! The UI does not restate any of them: `cargo test -p medoffice-model` writes this value to
//! `ui/src/bindings/rules.ts` (next to the ts-rs bindings, so the "bindings are current" check
//! sees a stale file), and conformance cases (inputs with what this crate answers for them) to
//! `ui/src/bindings/rulesConformance.ts`, which the UI's tests compare its functions against.

use serde::Serialize;
use ts_rs::TS;

use crate::{
    AdministrativeSex, AgeAt, ApiErrorCode, AppointmentStatus, ErrorCode, FlagBand, News2Parameter,
    VitalLimit, ADULT_FLAG_BANDS, ADULT_FROM_AGE, APPOINTMENT_EDITABLE_FIELDS, BMI_DECIMALS,
    CHILD_SPO2_LOW_BELOW, DURATION_MINUTES, NEONATE_TO_DAY, NEWS2_HIGH_FROM, NEWS2_MEDIUM_FROM,
    NEWS2_NOT_ALERT_SCORE, NEWS2_ON_OXYGEN_SCORE, NEWS2_PARAMETERS, NEWS2_RED_SCORE,
    PATIENT_EDITABLE_FIELDS, VITAL_LIMITS,
};

/// Every clinical rule the UI needs, from the model's own tables.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct ClinicalRules {
    /// Impossible-value limits of the numeric measurements, in the order the server checks them.
    pub vital_limits: &'static [VitalLimit],
    /// Age in whole years from which adult bands and NEWS2 apply (unknown age counts as adult).
    pub adult_from_age: i32,
    /// The adult abnormal bands, in the order flags are listed (consciousness other than alert
    /// is flagged `consciousness:high` first, at every age).
    pub adult_flag_bands: &'static [FlagBand],
    /// SpO2 below which a child's saturation is flagged low.
    pub child_spo2_low_below: i32,
    /// The last day of life (from 0) on which a child is a neonate ([`crate::NEONATE_TO_DAY`]).
    pub neonate_to_day: i32,
    /// The bands under [`ClinicalRules::adult_from_age`], one row for every age in whole years,
    /// the neonate days apart, and administrative sex ([`crate::flag_bands_for_age`]).
    pub child_flag_bands: Vec<ChildFlagBands>,
    /// Decimals the BMI is rounded to.
    pub bmi_decimals: i32,
    /// NEWS2 scoring and risk bands.
    pub news2: News2Rules,
    /// Each appointment status: whether it holds its time, may be moved, and where it may go.
    pub appointment_statuses: Vec<StatusRule>,
    /// Shortest and longest bookable length, minutes.
    pub appointment_duration_minutes: MinutesRange,
    /// Appointment fields an edit may change.
    pub appointment_editable_fields: &'static [&'static str],
    /// Patient fields an edit may change.
    pub patient_editable_fields: &'static [&'static str],
    /// Every error code a desktop command may answer with.
    pub error_codes: &'static [ErrorCode],
    /// Every machine-readable code of the server's error answers.
    pub api_error_codes: &'static [ApiErrorCode],
    /// Every colour a visit type may have ([`crate::VisitColour`]).
    pub visit_colours: &'static [crate::VisitColour],
    /// Roles that may correct a vital-sign set someone else recorded
    /// ([`crate::may_correct_vitals`]; the recorder may always correct their own).
    pub clinician_roles: &'static [crate::Role],
    /// Longest reason for a correction, characters.
    pub correction_reason_max: usize,
}

/// The bands of children of one age and administrative sex.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct ChildFlagBands {
    /// Age in whole years.
    pub years: i32,
    /// For the neonate days (28 days old or less) only.
    pub neonate: bool,
    /// Administrative sex.
    pub sex: AdministrativeSex,
    /// The bands, in the order flags are listed.
    pub bands: Vec<FlagBand>,
}

/// Every row of [`ClinicalRules::child_flag_bands`]: neonates, then each year under the adult
/// age, each with every administrative sex.
pub fn child_flag_band_rows() -> Vec<ChildFlagBands> {
    let mut ages = vec![
        (AgeAt { years: 0, days: 0 }, true),
        (
            AgeAt {
                years: 0,
                days: NEONATE_TO_DAY + 1,
            },
            false,
        ),
    ];
    ages.extend((1..ADULT_FROM_AGE).map(|y| {
        (
            AgeAt {
                years: y,
                days: y * 366,
            },
            false,
        )
    }));
    let mut out = Vec::new();
    for (age, neonate) in ages {
        for sex in [
            AdministrativeSex::Female,
            AdministrativeSex::Male,
            AdministrativeSex::Other,
            AdministrativeSex::Unknown,
        ] {
            out.push(ChildFlagBands {
                years: age.years,
                neonate,
                sex,
                bands: crate::flag_bands_for_age(Some(age), sex),
            });
        }
    }
    out
}

/// NEWS2 (RCP 2017, SpO2 scale 1): how each parameter scores and how totals are banded.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct News2Rules {
    /// The numeric parameters, in chart order.
    pub parameters: &'static [News2Parameter],
    /// Score for supplemental oxygen (air scores 0).
    pub on_oxygen_score: i32,
    /// Score for any consciousness other than alert.
    pub not_alert_score: i32,
    /// A single parameter scoring at least this is a red score.
    pub red_score: i32,
    /// Lowest total of the medium risk band.
    pub medium_from: i32,
    /// Lowest total of the high risk band.
    pub high_from: i32,
}

/// What the workflow says about one appointment status.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct StatusRule {
    /// The status.
    pub status: AppointmentStatus,
    /// [`AppointmentStatus::is_live`]: the booking holds its time.
    pub is_live: bool,
    /// [`AppointmentStatus::can_move`]: the booking may be moved.
    pub can_move: bool,
    /// Every status [`AppointmentStatus::can_become`] allows from this one (itself included).
    pub can_become: Vec<AppointmentStatus>,
}

/// An inclusive range of minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct MinutesRange {
    /// Shortest.
    pub min: i32,
    /// Longest.
    pub max: i32,
}

/// The rules, as the UI receives them.
pub fn clinical_rules() -> ClinicalRules {
    ClinicalRules {
        vital_limits: VITAL_LIMITS,
        adult_from_age: ADULT_FROM_AGE,
        adult_flag_bands: ADULT_FLAG_BANDS,
        child_spo2_low_below: CHILD_SPO2_LOW_BELOW,
        neonate_to_day: NEONATE_TO_DAY,
        child_flag_bands: child_flag_band_rows(),
        bmi_decimals: BMI_DECIMALS,
        news2: News2Rules {
            parameters: NEWS2_PARAMETERS,
            on_oxygen_score: NEWS2_ON_OXYGEN_SCORE,
            not_alert_score: NEWS2_NOT_ALERT_SCORE,
            red_score: NEWS2_RED_SCORE,
            medium_from: NEWS2_MEDIUM_FROM,
            high_from: NEWS2_HIGH_FROM,
        },
        appointment_statuses: AppointmentStatus::ALL
            .iter()
            .map(|&s| StatusRule {
                status: s,
                is_live: s.is_live(),
                can_move: s.can_move(),
                can_become: AppointmentStatus::ALL
                    .iter()
                    .copied()
                    .filter(|&n| s.can_become(n))
                    .collect(),
            })
            .collect(),
        appointment_duration_minutes: MinutesRange {
            min: DURATION_MINUTES.0,
            max: DURATION_MINUTES.1,
        },
        appointment_editable_fields: APPOINTMENT_EDITABLE_FIELDS,
        patient_editable_fields: PATIENT_EDITABLE_FIELDS,
        error_codes: ErrorCode::ALL,
        api_error_codes: ApiErrorCode::ALL,
        visit_colours: crate::VisitColour::ALL,
        clinician_roles: crate::CLINICIAN_ROLES,
        correction_reason_max: crate::CORRECTION_REASON_MAX,
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use serde_json::{json, Value};
    use ts_rs::{Config, TS};

    use super::*;
    use crate::{
        news2_escalation, news2_risk, Consciousness, FlaggedField, Measurements, NumericField,
    };

    /// The first line of every file written here.
    const HEADER: &str = "// Generated from crates/model (src/rules.rs) by `cargo test -p medoffice-model`; do not edit.";

    /// Where ts-rs writes the bindings (`TS_RS_EXPORT_DIR`, set in `.cargo/config.toml`).
    fn export_dir() -> PathBuf {
        std::env::var_os("TS_RS_EXPORT_DIR").map_or_else(
            || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/bindings"),
            PathBuf::from,
        )
    }

    /// Writes `text` to `name` in the export directory unless it is already there.
    fn write(name: &str, text: &str) {
        let path = export_dir().join(name);
        if std::fs::read_to_string(&path).ok().as_deref() != Some(text) {
            std::fs::create_dir_all(export_dir()).expect("bindings directory");
            std::fs::write(&path, text).expect("write generated rules");
        }
    }

    /// The wire names of a ts-rs enum, read from its TypeScript union (so a new variant shows).
    fn union_names<T: TS>() -> Vec<String> {
        T::inline(&Config::default())
            .split('|')
            .map(|s| s.trim().trim_matches('"').to_owned())
            .collect()
    }

    fn wire_names<T: Serialize>(all: &[T]) -> Vec<String> {
        all.iter()
            .map(|v| match serde_json::to_value(v) {
                Ok(Value::String(s)) => s,
                other => format!("{other:?}"),
            })
            .collect()
    }

    #[test]
    fn every_list_names_every_variant() {
        assert_eq!(
            wire_names(ErrorCode::ALL),
            union_names::<ErrorCode>(),
            "ErrorCode::ALL"
        );
        assert_eq!(
            wire_names(ApiErrorCode::ALL),
            union_names::<ApiErrorCode>(),
            "ApiErrorCode::ALL"
        );
        assert_eq!(
            wire_names(crate::EntityKind::ALL),
            union_names::<crate::EntityKind>(),
            "EntityKind::ALL"
        );
        assert_eq!(
            wire_names(AppointmentStatus::ALL),
            union_names::<AppointmentStatus>(),
            "AppointmentStatus::ALL"
        );
        assert_eq!(
            wire_names(NumericField::ALL),
            union_names::<NumericField>(),
            "NumericField::ALL"
        );
        assert_eq!(
            wire_names(FlaggedField::ALL),
            union_names::<FlaggedField>(),
            "FlaggedField::ALL"
        );
        for &f in NumericField::ALL {
            assert_eq!(wire_names(&[f]), vec![f.as_str().to_owned()]);
        }
        for &f in FlaggedField::ALL {
            assert_eq!(wire_names(&[f]), vec![f.as_str().to_owned()]);
        }
        for &s in AppointmentStatus::ALL {
            assert_eq!(wire_names(&[s]), vec![s.as_str().to_owned()]);
        }
    }

    #[test]
    fn every_field_has_one_limit_and_one_band() {
        let limited: Vec<NumericField> = VITAL_LIMITS.iter().map(|l| l.field).collect();
        assert_eq!(limited, NumericField::ALL, "one limit per numeric field");
        let banded: Vec<FlaggedField> = ADULT_FLAG_BANDS.iter().map(|b| b.field).collect();
        assert_eq!(
            banded,
            FlaggedField::ALL,
            "one adult band per flagged field"
        );
        // every numeric field reads its own member of Measurements
        let m: Measurements = serde_json::from_value(json!({
            "systolic_mmhg": 1, "diastolic_mmhg": 2, "heart_rate_bpm": 3,
            "respiratory_rate_bpm": 4, "temperature_c": 5.0, "spo2_pct": 6,
            "weight_kg": 7.0, "height_cm": 8.0, "pain_score": 9
        }))
        .expect("measurements");
        let read: Vec<Option<f64>> = NumericField::ALL.iter().map(|&f| m.numeric(f)).collect();
        assert_eq!(
            read,
            (1..=9).map(|i| Some(f64::from(i))).collect::<Vec<_>>()
        );
        for p in NEWS2_PARAMETERS {
            assert!(p.bands.last().is_some_and(|b| b.up_to.is_none()));
        }
    }

    /// The generated rules module: the value of [`clinical_rules`] as a typed constant.
    fn rules_ts() -> String {
        let json = serde_json::to_string_pretty(&clinical_rules()).expect("rules serialise");
        format!(
            "{HEADER}\n\
             // The clinical rules the UI applies while a person types; the core and the server apply\n\
             // the same ones. Use them through ui/src/lib (vitals.ts, format.ts, slots.ts, ...).\n\
             import type {{ ClinicalRules }} from \"./ClinicalRules\";\n\
             \n\
             export const RULES: ClinicalRules = {json};\n"
        )
    }

    /// `measurements` as the UI holds them: absent fields left out, not `null`.
    fn ui_measurements(m: &Measurements) -> Value {
        let mut v = serde_json::to_value(m).expect("measurements serialise");
        if let Value::Object(o) = &mut v {
            o.retain(|_, x| !x.is_null());
        }
        v
    }

    fn base() -> Measurements {
        Measurements {
            respiratory_rate_bpm: Some(16),
            spo2_pct: Some(97),
            on_oxygen: Some(false),
            systolic_mmhg: Some(120),
            diastolic_mmhg: Some(80),
            heart_rate_bpm: Some(70),
            consciousness: Some(Consciousness::Alert),
            temperature_c: Some(37.0),
            ..Default::default()
        }
    }

    /// `m` with numeric `field` set to `v` (rounded for whole-number fields).
    fn with(m: &Measurements, field: NumericField, v: f64) -> Measurements {
        let mut m = m.clone();
        let i = Some(v.round() as i32);
        match field {
            NumericField::SystolicMmhg => m.systolic_mmhg = i,
            NumericField::DiastolicMmhg => m.diastolic_mmhg = i,
            NumericField::HeartRateBpm => m.heart_rate_bpm = i,
            NumericField::RespiratoryRateBpm => m.respiratory_rate_bpm = i,
            NumericField::TemperatureC => m.temperature_c = Some(v),
            NumericField::Spo2Pct => m.spo2_pct = i,
            NumericField::WeightKg => m.weight_kg = Some(v),
            NumericField::HeightCm => m.height_cm = Some(v),
            NumericField::PainScore => m.pain_score = i,
        }
        m
    }

    fn numeric_of(f: FlaggedField) -> Option<NumericField> {
        NumericField::ALL
            .iter()
            .copied()
            .find(|n| n.as_str() == f.as_str())
    }

    /// Values just below, at and just above `edge`, in steps of the field's precision.
    fn around(edge: f64, integer: bool) -> [f64; 3] {
        if integer {
            [edge - 1.0, edge, edge + 1.0]
        } else {
            let t = (edge * 10.0).round();
            [(t - 1.0) / 10.0, t / 10.0, (t + 1.0) / 10.0]
        }
    }

    /// Measurement sets at every edge of every rule: NEWS2 bands (in a full set, and with each
    /// parameter missing), flag bands (alone), consciousness, oxygen, BMI, the children's set.
    fn vitals_inputs() -> Vec<Measurements> {
        let b = base();
        let mut out = vec![Measurements::default(), b.clone()];
        for drop in 0..7 {
            let mut m = b.clone();
            match drop {
                0 => m.respiratory_rate_bpm = None,
                1 => m.spo2_pct = None,
                2 => m.on_oxygen = None,
                3 => m.systolic_mmhg = None,
                4 => m.heart_rate_bpm = None,
                5 => m.consciousness = None,
                _ => m.temperature_c = None,
            }
            out.push(m);
        }
        for p in NEWS2_PARAMETERS {
            for band in p.bands {
                if let Some(u) = band.up_to {
                    for v in around(u, p.decimals == 0) {
                        out.push(with(&b, p.field, v));
                    }
                }
            }
        }
        // temperature is charted to one decimal before it is banded
        for t in [
            35.04, 35.05, 35.06, 36.04, 36.05, 38.04, 38.05, 38.06, 39.05,
        ] {
            out.push(with(&b, NumericField::TemperatureC, t));
        }
        for band in ADULT_FLAG_BANDS {
            let Some(field) = numeric_of(band.field) else {
                continue;
            };
            let integer = VITAL_LIMITS.iter().any(|l| l.field == field && l.integer);
            for edge in [band.low, band.high].into_iter().flatten() {
                for v in around(edge, integer) {
                    out.push(with(&Measurements::default(), field, v));
                }
            }
        }
        for spo2 in [
            CHILD_SPO2_LOW_BELOW - 1,
            CHILD_SPO2_LOW_BELOW,
            CHILD_SPO2_LOW_BELOW + 1,
        ] {
            out.push(Measurements {
                spo2_pct: Some(spo2),
                ..Default::default()
            });
        }
        for c in [
            Consciousness::Alert,
            Consciousness::Confused,
            Consciousness::Voice,
            Consciousness::Pain,
            Consciousness::Unresponsive,
        ] {
            out.push(Measurements {
                consciousness: Some(c),
                ..Default::default()
            });
            out.push(Measurements {
                consciousness: Some(c),
                ..b.clone()
            });
        }
        out.push(Measurements {
            on_oxygen: Some(true),
            ..b.clone()
        });
        out.push(Measurements {
            on_oxygen: Some(true),
            ..Default::default()
        });
        // BMI at 170 cm around 18.5 (53.465 kg) and 30 (86.7 kg); 100 kg → 34.6
        for w in [
            53.4, 53.45, 53.46, 53.47, 53.5, 86.6, 86.65, 86.69, 86.7, 86.8, 100.0,
        ] {
            out.push(Measurements {
                weight_kg: Some(w),
                height_cm: Some(170.0),
                ..Default::default()
            });
        }
        out.push(Measurements {
            weight_kg: Some(70.0),
            ..Default::default()
        });
        out.push(Measurements {
            height_cm: Some(170.0),
            ..Default::default()
        });
        out.push(Measurements {
            weight_kg: Some(70.0),
            height_cm: Some(0.0),
            ..Default::default()
        });
        // the set of `children_get_no_adult_bands_and_no_news2`, and a sick child
        out.push(Measurements {
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
            pain_score: Some(3),
        });
        out.push(Measurements {
            respiratory_rate_bpm: Some(25),
            spo2_pct: Some(91),
            on_oxygen: Some(true),
            systolic_mmhg: Some(88),
            diastolic_mmhg: Some(50),
            heart_rate_bpm: Some(135),
            consciousness: Some(Consciousness::Confused),
            temperature_c: Some(39.5),
            pain_score: Some(8),
            ..Default::default()
        });
        out
    }

    fn vitals_case(m: &Measurements, age: Option<AgeAt>, sex: AdministrativeSex) -> Value {
        let total = m.news2_for_age(age);
        let red = m.news2_has_red_score();
        json!({
            "measurements": ui_measurements(m),
            "age": age,
            "sex": sex,
            "flags": m.flags_for_age(age, sex),
            "news2": total,
            "news2_red_score": red,
            "news2_risk": total.map(|t| news2_risk(t, red)),
            "news2_escalation": total.and_then(|t| news2_escalation(news2_risk(t, red))),
            "bmi": m.bmi(),
        })
    }

    fn vitals_cases() -> Vec<Value> {
        let at = |years: i32, days: i32| Some(AgeAt { years, days });
        let ages = [
            None,
            at(ADULT_FROM_AGE - 1, (ADULT_FROM_AGE - 1) * 366),
            at(ADULT_FROM_AGE, ADULT_FROM_AGE * 366),
        ];
        let mut out = Vec::new();
        for m in vitals_inputs() {
            for age in ages {
                out.push(vitals_case(&m, age, AdministrativeSex::Unknown));
            }
        }
        // every children's row: each field at its edges, on the row's first and last day
        let mut days: Vec<(i32, i32)> = vec![
            (0, 0),
            (0, NEONATE_TO_DAY),
            (0, NEONATE_TO_DAY + 1),
            (0, 364),
        ];
        for y in 1..ADULT_FROM_AGE {
            days.push((y, y * 365 + y / 4));
            days.push((y, y * 365 + 364));
        }
        for (years, d) in days {
            for sex in [
                AdministrativeSex::Female,
                AdministrativeSex::Male,
                AdministrativeSex::Other,
                AdministrativeSex::Unknown,
            ] {
                let age = at(years, d);
                for step in [-1.0, 0.0] {
                    let mut low = Measurements::default();
                    let mut high = Measurements::default();
                    for b in crate::flag_bands_for_age(age, sex) {
                        let Some(field) = numeric_of(b.field) else {
                            continue;
                        };
                        if let Some(l) = b.low {
                            low = with(&low, field, l + step);
                        }
                        if let Some(h) = b.high {
                            high = with(&high, field, h + step);
                        }
                    }
                    // a pressure pair stays a pair with diastolic below systolic
                    if low.systolic_mmhg.is_some() && low.diastolic_mmhg.is_none() {
                        low.diastolic_mmhg = low.systolic_mmhg.map(|s| s / 2);
                    }
                    if high.systolic_mmhg.is_some() && high.diastolic_mmhg.is_none() {
                        high.diastolic_mmhg = high.systolic_mmhg.map(|s| s / 2);
                    }
                    out.push(vitals_case(&low, age, sex));
                    out.push(vitals_case(&high, age, sex));
                }
            }
        }
        out
    }

    fn validation_cases() -> Vec<Value> {
        let mut inputs = vec![
            Measurements::default(),
            Measurements {
                on_oxygen: Some(true),
                ..Default::default()
            },
            Measurements {
                consciousness: Some(Consciousness::Voice),
                ..Default::default()
            },
            Measurements {
                systolic_mmhg: Some(120),
                ..Default::default()
            },
            Measurements {
                diastolic_mmhg: Some(80),
                ..Default::default()
            },
            Measurements {
                systolic_mmhg: Some(80),
                diastolic_mmhg: Some(80),
                ..Default::default()
            },
            Measurements {
                systolic_mmhg: Some(80),
                diastolic_mmhg: Some(90),
                ..Default::default()
            },
            Measurements {
                systolic_mmhg: Some(400),
                diastolic_mmhg: Some(80),
                spo2_pct: Some(101),
                temperature_c: Some(3.7),
                ..Default::default()
            },
        ];
        let pair = Measurements {
            systolic_mmhg: Some(120),
            diastolic_mmhg: Some(80),
            ..Default::default()
        };
        for l in VITAL_LIMITS {
            for edge in [l.min, l.max] {
                for v in around(edge, l.integer) {
                    let from = match l.field {
                        NumericField::SystolicMmhg | NumericField::DiastolicMmhg => &pair,
                        _ => &Measurements::default(),
                    };
                    inputs.push(with(from, l.field, v));
                }
            }
        }
        inputs
            .iter()
            .map(|m| {
                json!({
                    "measurements": ui_measurements(m),
                    "errors": m.validate().err().unwrap_or_default(),
                })
            })
            .collect()
    }

    fn status_cases() -> (Vec<Value>, Vec<Value>) {
        let mut pairs = Vec::new();
        let mut facts = Vec::new();
        for &from in AppointmentStatus::ALL {
            facts.push(json!({
                "status": from,
                "is_live": from.is_live(),
                "can_move": from.can_move(),
            }));
            for &to in AppointmentStatus::ALL {
                pairs.push(json!({ "from": from, "to": to, "can_become": from.can_become(to) }));
            }
        }
        (pairs, facts)
    }

    /// One case a line, so a changed rule shows as a readable diff.
    fn array(cases: &[Value]) -> String {
        let lines: Vec<String> = cases
            .iter()
            .map(|c| format!("  {},", serde_json::to_string(c).expect("case serialises")))
            .collect();
        format!("[\n{}\n]", lines.join("\n"))
    }

    fn conformance_ts() -> String {
        let (pairs, facts) = status_cases();
        format!(
            "{HEADER}\n\
             // Inputs with what crates/model answers for them. ui/src/lib/rulesConformance.test.ts\n\
             // checks that the UI's functions answer the same for every case.\n\
             import type {{ AdministrativeSex }} from \"./AdministrativeSex\";\n\
             import type {{ AgeAt }} from \"./AgeAt\";\n\
             import type {{ AppointmentStatus }} from \"./AppointmentStatus\";\n\
             import type {{ Measurements }} from \"./Measurements\";\n\
             import type {{ News2Escalation }} from \"./News2Escalation\";\n\
             import type {{ News2Risk }} from \"./News2Risk\";\n\
             \n\
             /** A measurement set at an age (null: unknown) and sex: `flags_for_age`, `news2_for_age`, `news2_has_red_score`, the risk band of the total, the escalation it calls for, `bmi`. */\n\
             export interface VitalsCase {{\n  measurements: Measurements;\n  age: AgeAt | null;\n  sex: AdministrativeSex;\n  flags: string[];\n  news2: number | null;\n  news2_red_score: boolean;\n  news2_risk: News2Risk | null;\n  news2_escalation: News2Escalation | null;\n  bmi: number | null;\n}}\n\
             \n\
             /** A measurement set and its `validate()` errors by field (empty: accepted). */\n\
             export interface ValidationCase {{\n  measurements: Measurements;\n  errors: Record<string, string[]>;\n}}\n\
             \n\
             /** `can_become` for a pair of statuses. */\n\
             export interface TransitionCase {{\n  from: AppointmentStatus;\n  to: AppointmentStatus;\n  can_become: boolean;\n}}\n\
             \n\
             /** `is_live` and `can_move` of a status. */\n\
             export interface StatusCase {{\n  status: AppointmentStatus;\n  is_live: boolean;\n  can_move: boolean;\n}}\n\
             \n\
             export const VITALS_CASES: readonly VitalsCase[] = {};\n\
             \n\
             export const VALIDATION_CASES: readonly ValidationCase[] = {};\n\
             \n\
             export const TRANSITION_CASES: readonly TransitionCase[] = {};\n\
             \n\
             export const STATUS_CASES: readonly StatusCase[] = {};\n",
            array(&vitals_cases()),
            array(&validation_cases()),
            array(&pairs),
            array(&facts),
        )
    }

    #[test]
    fn generated_rules_and_conformance_cases_are_written() {
        let rules = rules_ts();
        let cases = conformance_ts();
        // the same input gives the same bytes
        assert_eq!(rules, rules_ts());
        assert_eq!(cases, conformance_ts());
        assert!(rules.ends_with(";\n") && cases.ends_with(";\n"));
        write("rules.ts", &rules);
        write("rulesConformance.ts", &cases);
    }

    #[test]
    fn the_rules_are_the_model_itself() {
        let r = clinical_rules();
        assert_eq!(r.adult_from_age, 16);
        // neonates, then every year to 15, each with four sexes
        assert_eq!(r.child_flag_bands.len(), (1 + 16) * 4);
        let fifteen = r
            .child_flag_bands
            .iter()
            .find(|row| row.years == 15 && row.sex == AdministrativeSex::Male)
            .expect("15-year-old boys");
        assert_eq!(
            fifteen.bands.iter().map(|b| b.field).collect::<Vec<_>>(),
            vec![
                FlaggedField::SystolicMmhg,
                FlaggedField::DiastolicMmhg,
                FlaggedField::HeartRateBpm,
                FlaggedField::RespiratoryRateBpm,
                FlaggedField::TemperatureC,
                FlaggedField::Spo2Pct,
                FlaggedField::PainScore
            ]
        );
        let completed = r
            .appointment_statuses
            .iter()
            .find(|s| s.status == AppointmentStatus::Completed)
            .expect("completed");
        assert!(!completed.is_live, "a completed visit frees its time");
        assert_eq!(completed.can_become, vec![AppointmentStatus::Completed]);
        assert_eq!(
            r.appointment_duration_minutes,
            MinutesRange { min: 5, max: 480 }
        );
    }
}
