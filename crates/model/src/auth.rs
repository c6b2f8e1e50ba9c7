//! Roles, the permission matrix, and the login/token exchange.

use serde::{Deserialize, Serialize};
use ts_rs::TS;
use utoipa::ToSchema;
use uuid::Uuid;

/// A staff member's role in one clinic (DESIGN.md, "Security model").
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS, ToSchema,
)]
#[ts(export)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Manages users and reads the audit log; may do everything else too.
    Admin,
    /// Doctor: demographics, appointments, vital signs.
    Physician,
    /// Demographics, appointments, vital signs.
    Nurse,
    /// Demographics and appointments; reads vitals but does not record them.
    Receptionist,
}

impl Role {
    /// All roles, most privileged first.
    pub const ALL: [Role; 4] = [
        Role::Admin,
        Role::Physician,
        Role::Nurse,
        Role::Receptionist,
    ];

    /// The wire name (`"admin"`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Physician => "physician",
            Role::Nurse => "nurse",
            Role::Receptionist => "receptionist",
        }
    }

    /// Parses a wire name.
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// The permission matrix: what this role may do. The server enforces it on every route;
    /// the UI uses it only to hide what a role cannot do.
    pub fn permissions(self) -> &'static [Permission] {
        use Permission::*;
        match self {
            Role::Admin => &[
                PatientRead,
                PatientWrite,
                PatientDelete,
                VitalSignsRead,
                VitalSignsWrite,
                AppointmentRead,
                AppointmentWrite,
                AppointmentOverbook,
                UserManage,
                AuditRead,
            ],
            Role::Physician => &[
                PatientRead,
                PatientWrite,
                VitalSignsRead,
                VitalSignsWrite,
                AppointmentRead,
                AppointmentWrite,
                AppointmentOverbook,
            ],
            Role::Nurse => &[
                PatientRead,
                PatientWrite,
                VitalSignsRead,
                VitalSignsWrite,
                AppointmentRead,
                AppointmentWrite,
            ],
            Role::Receptionist => &[
                PatientRead,
                PatientWrite,
                VitalSignsRead,
                AppointmentRead,
                AppointmentWrite,
            ],
        }
    }

    /// Whether this role holds `permission`.
    pub fn can(self, permission: Permission) -> bool {
        self.permissions().contains(&permission)
    }
}

/// One thing a role may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS, ToSchema)]
#[ts(export)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    /// Read patient demographics.
    PatientRead,
    /// Register patients and edit demographics.
    PatientWrite,
    /// Soft-delete a patient record.
    PatientDelete,
    /// Read vital signs.
    VitalSignsRead,
    /// Record vital signs.
    VitalSignsWrite,
    /// Read the schedule.
    AppointmentRead,
    /// Book, move, check in, cancel.
    AppointmentWrite,
    /// Book an explicit, audited overlapping appointment.
    AppointmentOverbook,
    /// Create users, change roles, reset passwords, deactivate.
    UserManage,
    /// Read the audit log.
    AuditRead,
}

/// `POST /api/v1/auth/login` body.
#[derive(Debug, Clone, Serialize, Deserialize, TS, ToSchema)]
#[ts(export)]
pub struct LoginRequest {
    /// The clinic's code, as typed at login.
    pub tenant: String,
    /// Username, unique within the clinic (case-insensitive).
    pub username: String,
    /// The password.
    pub password: String,
    /// A stable id of the workstation, recorded in the audit log.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub device_id: Option<String>,
}

/// `POST /api/v1/auth/refresh` and `/logout` body.
#[derive(Debug, Clone, Serialize, Deserialize, TS, ToSchema)]
#[ts(export)]
pub struct RefreshRequest {
    /// The refresh token from the last login or refresh; spent by this call.
    pub refresh_token: String,
}

/// The clinic a user belongs to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
#[ts(export)]
pub struct TenantInfo {
    /// Tenant id.
    pub id: Uuid,
    /// Code typed at login.
    pub code: String,
    /// Display name.
    pub name: String,
    /// IANA time zone in which days, calendars and "today" are computed, e.g. `America/New_York`.
    pub time_zone: String,
}

/// The signed-in user, as `GET /api/v1/auth/me` and the login answer carry it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
#[ts(export)]
pub struct UserInfo {
    /// User id.
    pub id: Uuid,
    /// The user's clinic.
    pub tenant_id: Uuid,
    /// Login name.
    pub username: String,
    /// Name shown to colleagues.
    pub full_name: String,
    /// Role in the clinic.
    pub role: Role,
    /// What the role may do (the matrix in [`Role::permissions`]).
    pub permissions: Vec<Permission>,
    /// The clinic.
    pub tenant: TenantInfo,
}

/// Answer of login and refresh.
#[derive(Debug, Clone, Serialize, Deserialize, TS, ToSchema)]
#[ts(export)]
pub struct TokenResponse {
    /// Short-lived JWT for `Authorization: Bearer`.
    pub access_token: String,
    /// Always `"Bearer"`.
    pub token_type: String,
    /// Seconds until `access_token` expires.
    #[ts(type = "number")]
    pub expires_in: i64,
    /// Single-use token for `POST /api/v1/auth/refresh`; keep it in the OS keyring only.
    pub refresh_token: String,
    /// Who signed in.
    pub user: UserInfo,
}

/// A member of staff as the sync feed carries it (`entity: "user"`): enough to show who
/// recorded what and to pick a provider when booking.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
#[ts(export)]
pub struct StaffMember {
    /// User id.
    pub id: Uuid,
    /// Login name.
    pub username: String,
    /// Name shown to colleagues.
    pub full_name: String,
    /// Role.
    pub role: Role,
    /// False once deactivated.
    pub active: bool,
    /// Feed revision.
    #[ts(type = "number")]
    pub revision: i64,
}

/// `POST /api/v1/users` body (admin).
#[derive(Debug, Clone, Serialize, Deserialize, TS, ToSchema)]
#[ts(export)]
pub struct NewUser {
    /// Login name: 3–64 characters of letters, digits, `.`, `_`, `-`.
    pub username: String,
    /// Name shown to colleagues.
    pub full_name: String,
    /// Role.
    pub role: Role,
    /// Initial password, at least 10 characters.
    pub password: String,
}

impl NewUser {
    /// Checks the fields; errors are keyed by field name.
    pub fn validate(&self) -> Result<(), crate::FieldErrors> {
        let mut e = crate::FieldErrors::new();
        validate_username(&self.username, &mut e);
        if self.full_name.trim().is_empty() {
            e.add("full_name", "is required");
        }
        validate_password(&self.password, "password", &mut e);
        e.into_result()
    }
}

/// Minimum password length. NIST SP 800-63B §5.1.1.2 asks for at least 8; we ask 10.
pub const MIN_PASSWORD_LEN: usize = 10;

/// Adds an error under `field` when `password` is too short.
pub fn validate_password(password: &str, field: &str, e: &mut crate::FieldErrors) {
    if password.chars().count() < MIN_PASSWORD_LEN {
        e.add(
            field,
            format!("must be at least {MIN_PASSWORD_LEN} characters"),
        );
    }
}

/// Adds an error under `username` when it is not 3–64 of `[A-Za-z0-9._-]`.
pub fn validate_username(username: &str, e: &mut crate::FieldErrors) {
    let ok_chars = username
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if !(3..=64).contains(&username.len()) || !ok_chars {
        e.add(
            "username",
            "must be 3 to 64 letters, digits, dots, underscores or hyphens",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receptionist_cannot_record_vitals_but_nurse_can() {
        assert!(!Role::Receptionist.can(Permission::VitalSignsWrite));
        assert!(Role::Nurse.can(Permission::VitalSignsWrite));
        assert!(!Role::Nurse.can(Permission::UserManage));
        assert!(Role::Admin.can(Permission::AuditRead));
    }

    #[test]
    fn role_names_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert_eq!(Role::parse("root"), None);
    }
}
