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
                AppointmentOutsideHours,
                ScheduleManage,
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
                AppointmentOutsideHours,
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
    /// Book outside the clinic's or the provider's hours, or in a block, as an explicit,
    /// audited override with a reason.
    AppointmentOutsideHours,
    /// Set the clinic's opening hours, providers' working hours and blocks.
    ScheduleManage,
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
    /// Second factor, for accounts that turned on two-factor sign-in: the 6-digit code of the
    /// authenticator app, or one of the account's unused recovery codes (`"7kq2-m9xd"`).
    /// Without it such an account answers 401 with code `totp_required`.
    #[serde(default, alias = "totp", skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub totp_code: Option<String>,
}

/// Longest workstation id a sign-in may carry (it is written to every audit entry of the
/// session): a UUID is 36.
pub const MAX_DEVICE_ID_CHARS: usize = 128;

/// Longest password accepted (argon2id hashes whatever it is given; a megabyte password would
/// cost the server, not the guesser).
pub const MAX_PASSWORD_CHARS: usize = 1024;

impl LoginRequest {
    /// Errors by field for what no account could match and what would reach the audit log
    /// unbounded: a clinic code or username over 64 characters or with control characters, a
    /// password over [`MAX_PASSWORD_CHARS`], a workstation id over [`MAX_DEVICE_ID_CHARS`] or
    /// with control characters, a second-factor code over 64. Says nothing about whether an account exists.
    pub fn validate(&self) -> Result<(), crate::FieldErrors> {
        let mut e = crate::FieldErrors::new();
        let over = |s: &str, n: usize| s.chars().count() > n;
        // both are written to the audit log as typed when no account matches
        for (field, value) in [("tenant", &self.tenant), ("username", &self.username)] {
            if over(value, 64) {
                e.add(field, "must be at most 64 characters");
            } else if value.chars().any(char::is_control) {
                e.add(field, "must not contain control characters");
            }
        }
        if over(&self.password, MAX_PASSWORD_CHARS) {
            e.add(
                "password",
                format!("must be at most {MAX_PASSWORD_CHARS} characters"),
            );
        }
        if let Some(d) = &self.device_id {
            if over(d, MAX_DEVICE_ID_CHARS) {
                e.add(
                    "device_id",
                    format!("must be at most {MAX_DEVICE_ID_CHARS} characters"),
                );
            } else if d.chars().any(char::is_control) {
                e.add("device_id", "must not contain control characters");
            }
        }
        if self.totp_code.as_deref().is_some_and(|c| over(c, 64)) {
            e.add("totp_code", "must be at most 64 characters");
        }
        e.into_result()
    }
}

/// `POST /api/v1/auth/refresh` and `/logout` body.
#[derive(Debug, Clone, Serialize, Deserialize, TS, ToSchema)]
#[ts(export)]
pub struct RefreshRequest {
    /// The refresh token from the last login or refresh; spent by this call.
    pub refresh_token: String,
    /// The workstation's id, as given at login: a spent token presented again within the
    /// grace window is replaced only for the workstation it was issued to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub device_id: Option<String>,
}

/// The clinic a user belongs to, with its sign-in policy and plan limits
/// (`GET /api/v1/tenant`; also inside [`UserInfo`]).
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
    /// Admins must sign in with a second factor (TOTP); an admin without one is sent to
    /// enrolment at login (`totp_enrollment_required`).
    #[serde(default)]
    pub require_admin_totp: bool,
    /// Most active staff accounts the clinic's plan allows; `null` is unlimited.
    #[serde(default)]
    pub max_users: Option<i32>,
    /// Most (not deleted) patients the clinic's plan allows; `null` is unlimited.
    #[serde(default)]
    pub max_patients: Option<i32>,
    /// Postal address, as printed on appointment cards (lines separated by newlines).
    #[serde(default)]
    pub address: Option<String>,
    /// Phone number patients call, as printed.
    #[serde(default)]
    pub phone: Option<String>,
    /// Order of day, month and year in every date shown and typed.
    #[serde(default)]
    pub date_order: crate::DateOrder,
    /// 12- or 24-hour clock for every time shown and typed.
    #[serde(default)]
    pub hour_cycle: crate::HourCycle,
    /// First day of the week in calendars and the schedule's week view.
    #[serde(default)]
    pub week_start: crate::WeekStart,
}

/// A staff account as its owner (`GET /api/v1/auth/me`, the login answer) and the clinic's
/// admins (`/api/v1/users`) see it.
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
    /// False once an admin deactivated the account (it can no longer sign in).
    #[serde(default = "yes")]
    pub active: bool,
    /// The password is a temporary one: the next sign-in must choose a new one.
    #[serde(default)]
    pub must_change_password: bool,
    /// Two-factor sign-in (TOTP) is on for this account.
    #[serde(default)]
    pub totp_enabled: bool,
    /// Until when repeated failed sign-ins lock the account (absent: not locked).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub locked_until: Option<chrono::DateTime<chrono::Utc>>,
    /// The last successful sign-in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub last_login_at: Option<chrono::DateTime<chrono::Utc>>,
}

fn yes() -> bool {
    true
}

/// Answer of login, refresh and password change.
///
/// When `password_change_required` or `totp_enrollment_required` is true the tokens are
/// limited: they reach only `POST /api/v1/auth/password` (respectively
/// `/api/v1/auth/totp/setup` and `/confirm`), `GET /api/v1/auth/me` and
/// `POST /api/v1/auth/logout`; every other route answers 403 with that code.
#[derive(Debug, Clone, Serialize, Deserialize, TS, ToSchema)]
#[ts(export)]
pub struct LoginResponse {
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
    /// The password is temporary (set by an admin): choose a new one with
    /// `POST /api/v1/auth/password` before anything else.
    #[serde(default)]
    pub password_change_required: bool,
    /// The clinic requires a second factor for this role and the account has none: enrol
    /// with `POST /api/v1/auth/totp/setup` and `/confirm` before anything else.
    #[serde(default)]
    pub totp_enrollment_required: bool,
}

/// The former name of [`LoginResponse`] (login and refresh answer the same shape).
pub type TokenResponse = LoginResponse;

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
    /// A temporary password to hand over (the password policy applies). Without it the
    /// server makes one up and answers it once. Either way the account must choose its own
    /// password at first sign-in.
    #[serde(default, alias = "password", skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub temporary_password: Option<String>,
}

impl NewUser {
    /// Checks the fields; errors are keyed by field name.
    pub fn validate(&self) -> Result<(), crate::FieldErrors> {
        let mut e = crate::FieldErrors::new();
        validate_username(&self.username, &mut e);
        validate_full_name(&self.full_name, "full_name", &mut e);
        if let Some(p) = &self.temporary_password {
            validate_new_password(p, &self.username, None, "temporary_password", &mut e);
        }
        e.into_result()
    }
}

/// Minimum password length. NIST SP 800-63B §5.1.1.2 asks for at least 8; we ask 10.
pub const MIN_PASSWORD_LEN: usize = 10;

/// Maximum password length: NIST SP 800-63B asks to allow at least 64; the bound keeps one
/// argon2 run per request small.
pub const MAX_PASSWORD_LEN: usize = 256;

/// Adds an error under `field` when `password` is too short or too long.
pub fn validate_password(password: &str, field: &str, e: &mut crate::FieldErrors) {
    let n = password.chars().count();
    if n < MIN_PASSWORD_LEN {
        e.add(
            field,
            format!("must be at least {MIN_PASSWORD_LEN} characters"),
        );
    } else if n > MAX_PASSWORD_LEN {
        e.add(
            field,
            format!("must be at most {MAX_PASSWORD_LEN} characters"),
        );
    }
}

/// The password policy for a password someone chooses (NIST SP 800-63B §5.1.1.2): length
/// ([`validate_password`]), not the username, and not `current` (the password it replaces).
/// Each failed rule is one message under `field`, naming the rule.
pub fn validate_new_password(
    password: &str,
    username: &str,
    current: Option<&str>,
    field: &str,
    e: &mut crate::FieldErrors,
) {
    validate_password(password, field, e);
    if !username.trim().is_empty() && password.trim().eq_ignore_ascii_case(username.trim()) {
        e.add(field, "must not be the username");
    }
    if current.is_some_and(|c| c == password) {
        e.add(field, "must differ from the current password");
    }
}

/// Adds an error under `field` when a display name is empty or longer than 200 characters.
pub fn validate_full_name(name: &str, field: &str, e: &mut crate::FieldErrors) {
    if name.trim().is_empty() {
        e.add(field, "is required");
    } else if name.trim().chars().count() > 200 {
        e.add(field, "must be at most 200 characters");
    }
}

/// Adds an error under `username` when it is not 3–64 of `[A-Za-z0-9._-]`.
pub fn validate_username(username: &str, e: &mut crate::FieldErrors) {
    validate_username_as(username, "username", e);
}

/// [`validate_username`] with the error under `field`.
pub fn validate_username_as(username: &str, field: &str, e: &mut crate::FieldErrors) {
    let ok_chars = username
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if !(3..=64).contains(&username.len()) || !ok_chars {
        e.add(
            field,
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

    #[test]
    fn password_policy_names_the_rule_that_failed() {
        let check = |p: &str, current: Option<&str>| {
            let mut e = crate::FieldErrors::new();
            validate_new_password(p, "nina.nurse", current, "new_password", &mut e);
            e.0.get("new_password").cloned().unwrap_or_default()
        };
        assert_eq!(check("short", None), ["must be at least 10 characters"]);
        assert_eq!(check("NINA.NURSE", None), ["must not be the username"]);
        assert_eq!(
            check("same old password", Some("same old password")),
            ["must differ from the current password"]
        );
        assert!(check("a fine new password", Some("old password")).is_empty());
        assert_eq!(
            check(&"x".repeat(MAX_PASSWORD_LEN + 1), None),
            ["must be at most 256 characters"]
        );
    }
}
