//! The clinic's own visit types (issue 12): a name staff choose from when booking ("Weekly BP
//! check"), its default length, a colour on the schedule, a short code (FHIR R4
//! `Appointment.appointmentType` style, e.g. `FOLLOWUP`) and the kind of visit it is
//! ([`crate::AppointmentKind`], the fixed categories every clinic shares). A clinic without any
//! books by kind alone, as before; its administrators add them.

use serde::{Deserialize, Serialize};
use ts_rs::TS;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{AppointmentKind, FieldErrors};

/// The colours a visit type may have on the schedule: named, so each theme draws them with
/// contrast checked (`ui/src/lib/contrast.test.ts`), never a free hex value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS, ToSchema)]
#[ts(export)]
#[serde(rename_all = "snake_case")]
pub enum VisitColour {
    /// Blue.
    Blue,
    /// Teal.
    Teal,
    /// Green.
    Green,
    /// Amber.
    Amber,
    /// Rose.
    Rose,
    /// Violet.
    Violet,
    /// Slate grey.
    Slate,
}

impl VisitColour {
    /// Every colour, in the order the UI offers them.
    pub const ALL: &'static [VisitColour] = &[
        Self::Blue,
        Self::Teal,
        Self::Green,
        Self::Amber,
        Self::Rose,
        Self::Violet,
        Self::Slate,
    ];

    /// Wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Blue => "blue",
            Self::Teal => "teal",
            Self::Green => "green",
            Self::Amber => "amber",
            Self::Rose => "rose",
            Self::Violet => "violet",
            Self::Slate => "slate",
        }
    }

    /// Parses a wire name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|c| c.as_str() == s)
    }
}

/// A visit type as the feed carries it (`entity: "visit_type"`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
#[ts(export)]
pub struct VisitType {
    /// Id.
    pub id: Uuid,
    /// Name staff choose from, unique in the clinic (case-insensitive).
    pub name: String,
    /// Short code, unique in the clinic: 2–20 capital letters, digits or hyphens.
    pub code: String,
    /// The kind of visit it is.
    pub kind: AppointmentKind,
    /// Length a booking of this type starts with, minutes (5–480).
    pub default_minutes: i32,
    /// Colour on the schedule.
    pub colour: VisitColour,
    /// False once retired: kept on past bookings, not offered any more.
    pub active: bool,
    /// Feed revision.
    #[ts(type = "number")]
    pub revision: i64,
}

/// `POST /api/v1/visit-types` body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
#[ts(export)]
pub struct NewVisitType {
    /// Client-made id; the server makes one when absent.
    #[serde(default)]
    #[ts(optional)]
    pub id: Option<Uuid>,
    /// 1–60 characters.
    pub name: String,
    /// 2–20 capital letters, digits or hyphens, starting with a letter.
    pub code: String,
    /// The kind of visit.
    pub kind: AppointmentKind,
    /// Default length, 5–480 minutes.
    pub default_minutes: i32,
    /// Colour on the schedule.
    pub colour: VisitColour,
}

/// `PATCH /api/v1/visit-types/{id}` body: only what changes (the code and kind stay).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS, ToSchema)]
#[ts(export)]
pub struct VisitTypePatch {
    /// New name.
    #[serde(default)]
    #[ts(optional)]
    pub name: Option<String>,
    /// New default length.
    #[serde(default)]
    #[ts(optional)]
    pub default_minutes: Option<i32>,
    /// New colour.
    #[serde(default)]
    #[ts(optional)]
    pub colour: Option<VisitColour>,
    /// Retire (false) or bring back (true).
    #[serde(default)]
    #[ts(optional)]
    pub active: Option<bool>,
}

/// Whether `code` is 2–20 capital letters, digits or hyphens starting with a letter.
pub fn valid_visit_code(code: &str) -> bool {
    (2..=20).contains(&code.len())
        && code.starts_with(|c: char| c.is_ascii_uppercase())
        && code
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-')
}

impl NewVisitType {
    /// Errors by field.
    pub fn validate(&self) -> Result<(), FieldErrors> {
        let mut e = FieldErrors::new();
        crate::validate_room_name(&self.name, &mut e);
        if !valid_visit_code(self.code.trim()) {
            e.add("code", "must be 2–20 capital letters, digits or hyphens, starting with a letter (e.g. BP-CHECK)");
        }
        crate::validate_duration(self.default_minutes, &mut e);
        if e.0.contains_key("duration_minutes") {
            e.0.remove("duration_minutes");
            e.add("default_minutes", "must be between 5 and 480 minutes");
        }
        e.into_result()
    }
}

impl VisitTypePatch {
    /// Errors by field.
    pub fn validate(&self) -> Result<(), FieldErrors> {
        let mut e = FieldErrors::new();
        if let Some(n) = &self.name {
            crate::validate_room_name(n, &mut e);
        }
        if let Some(m) = self.default_minutes {
            let mut d = FieldErrors::new();
            crate::validate_duration(m, &mut d);
            if !d.0.is_empty() {
                e.add("default_minutes", "must be between 5 and 480 minutes");
            }
        }
        e.into_result()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_visit_type_is_checked_by_field() {
        let ok = NewVisitType {
            id: None,
            name: "Weekly BP check".into(),
            code: "BP-CHECK".into(),
            kind: AppointmentKind::VitalsCheck,
            default_minutes: 15,
            colour: VisitColour::Teal,
        };
        assert!(ok.validate().is_ok());
        let bad = NewVisitType {
            name: " ".into(),
            code: "bp".into(),
            default_minutes: 3,
            ..ok.clone()
        };
        let e = bad.validate().unwrap_err();
        assert!(
            e.0.contains_key("name")
                && e.0.contains_key("code")
                && e.0.contains_key("default_minutes"),
            "{e:?}"
        );
        assert!(valid_visit_code("FOLLOWUP") && !valid_visit_code("1ST") && !valid_visit_code("A"));
        assert!(VisitTypePatch {
            default_minutes: Some(600),
            ..Default::default()
        }
        .validate()
        .is_err());
        assert_eq!(VisitColour::parse("teal"), Some(VisitColour::Teal));
    }
}
