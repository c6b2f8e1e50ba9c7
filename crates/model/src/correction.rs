//! Correcting a recorded vital-sign set: marking it entered in error, or amending its values,
//! always with a reason (FHIR `Observation.status`: `final`, `amended`, `entered-in-error`).
//!
//! A set is never deleted: an entered-in-error set stays in the history, struck through, and
//! leaves the flags, the charts, NEWS2 escalation and printed summaries; an amended set shows its
//! corrected values, and the server keeps every earlier version. Who may correct: the person
//! who recorded the set, or a clinician ([`CLINICIAN_ROLES`]).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{FieldErrors, Measurements, Role};

/// The status of a recorded set (FHIR R4 `ObservationStatus`, the values a recorded set can
/// take).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
#[ts(export)]
#[serde(rename_all = "kebab-case")]
pub enum ObservationStatus {
    /// As recorded.
    #[default]
    Final,
    /// Its values were corrected after it was recorded.
    Amended,
    /// Recorded by mistake (wrong patient, wrong device): withdrawn, kept for the record.
    EnteredInError,
}

impl ObservationStatus {
    /// The wire name (`final`, `amended`, `entered-in-error`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Final => "final",
            Self::Amended => "amended",
            Self::EnteredInError => "entered-in-error",
        }
    }

    /// Parses a wire name.
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Final, Self::Amended, Self::EnteredInError]
            .into_iter()
            .find(|v| v.as_str() == s)
    }
}

/// Longest reason, in characters.
pub const CORRECTION_REASON_MAX: usize = 500;

/// Roles that may correct a set someone else recorded (the recorder may always correct their
/// own): the clinicians.
pub const CLINICIAN_ROLES: &[Role] = &[Role::Nurse, Role::Physician];

/// Whether a person of `role` and id `user` may correct a set recorded by `recorded_by`.
pub fn may_correct_vitals(role: Role, user: Uuid, recorded_by: Uuid) -> bool {
    role.can(crate::Permission::VitalSignsWrite)
        && (user == recorded_by || CLINICIAN_ROLES.contains(&role))
}

/// A correction of a recorded set, as the REST body and the outbox carry it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
#[ts(export)]
pub struct VitalSignsCorrection {
    /// The set's patient (a set of another patient is not found).
    pub patient_id: Uuid,
    /// `entered-in-error` or `amended` (`final` is refused).
    pub status: ObservationStatus,
    /// Why, as the person says it (1–500 characters): "wrong patient", "cuff too small".
    pub reason: String,
    /// For an amendment, the whole corrected set (validated as a new one); absent for
    /// entered in error.
    #[serde(default)]
    #[ts(optional)]
    pub measurements: Option<Measurements>,
}

impl VitalSignsCorrection {
    /// Field errors: a reason is required and bounded; an amendment carries valid measurements
    /// and entered in error none; `final` is not a correction.
    pub fn validate(&self) -> Result<(), FieldErrors> {
        let mut e = FieldErrors::new();
        let reason = self.reason.trim();
        if reason.is_empty() {
            e.add("reason", "say why the set is corrected");
        } else if reason.chars().count() > CORRECTION_REASON_MAX {
            e.add(
                "reason",
                format!("must be at most {CORRECTION_REASON_MAX} characters"),
            );
        }
        match (self.status, &self.measurements) {
            (ObservationStatus::Final, _) => e.add(
                "status",
                "must be entered-in-error or amended: a correction changes a recorded set",
            ),
            (ObservationStatus::EnteredInError, Some(_)) => e.add(
                "measurements",
                "must be absent: a set entered in error is withdrawn, not changed",
            ),
            (ObservationStatus::Amended, None) => {
                e.add("measurements", "an amendment needs the corrected values")
            }
            (ObservationStatus::Amended, Some(m)) => {
                if let Err(errs) = m.validate() {
                    for (field, messages) in errs.0 {
                        for msg in messages {
                            e.add(&field, msg);
                        }
                    }
                }
            }
            (ObservationStatus::EnteredInError, None) => {}
        }
        e.into_result()
    }
}

/// Who corrected a set, when and why (on [`crate::VitalSigns`] once corrected).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
#[ts(export)]
pub struct CorrectionNote {
    /// The reason given.
    pub reason: String,
    /// Who corrected it.
    pub by: Uuid,
    /// When the server took the correction.
    pub at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn c(status: ObservationStatus, reason: &str, m: Option<Measurements>) -> VitalSignsCorrection {
        VitalSignsCorrection {
            patient_id: Uuid::nil(),
            status,
            reason: reason.into(),
            measurements: m,
        }
    }

    #[test]
    fn a_correction_needs_a_reason_and_the_right_body() {
        use ObservationStatus::*;
        assert!(c(EnteredInError, "wrong patient", None).validate().is_ok());
        let errs = c(EnteredInError, "  ", None).validate().unwrap_err();
        assert!(errs.0.contains_key("reason"));
        let long = "x".repeat(CORRECTION_REASON_MAX + 1);
        assert!(c(EnteredInError, &long, None)
            .validate()
            .unwrap_err()
            .0
            .contains_key("reason"));
        assert!(c(Final, "why", None)
            .validate()
            .unwrap_err()
            .0
            .contains_key("status"));
        assert!(c(Amended, "typo", None)
            .validate()
            .unwrap_err()
            .0
            .contains_key("measurements"));
        let hr = Measurements {
            heart_rate_bpm: Some(72),
            ..Default::default()
        };
        assert!(c(Amended, "typo", Some(hr.clone())).validate().is_ok());
        assert!(c(EnteredInError, "wrong patient", Some(hr))
            .validate()
            .unwrap_err()
            .0
            .contains_key("measurements"));
        // an amendment's values are checked as a new set's are
        let bad = Measurements {
            spo2_pct: Some(101),
            ..Default::default()
        };
        assert!(c(Amended, "typo", Some(bad))
            .validate()
            .unwrap_err()
            .0
            .contains_key("spo2_pct"));
    }

    #[test]
    fn the_recorder_or_a_clinician_may_correct() {
        let (me, other) = (Uuid::from_u128(1), Uuid::from_u128(2));
        assert!(may_correct_vitals(Role::Nurse, me, other));
        assert!(may_correct_vitals(Role::Physician, me, other));
        assert!(may_correct_vitals(Role::Admin, me, me));
        assert!(!may_correct_vitals(Role::Admin, me, other));
        assert!(!may_correct_vitals(Role::Receptionist, me, me));
    }

    #[test]
    fn statuses_have_fhir_names() {
        for s in [
            ObservationStatus::Final,
            ObservationStatus::Amended,
            ObservationStatus::EnteredInError,
        ] {
            assert_eq!(
                serde_json::to_value(s).unwrap(),
                serde_json::json!(s.as_str())
            );
            assert_eq!(ObservationStatus::parse(s.as_str()), Some(s));
        }
    }
}
