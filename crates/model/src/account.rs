//! Accounts and clinics: self-registration, staff management by an admin, password change,
//! two-factor sign-in (TOTP) and the clinic's sign-in policy. The login exchange itself is in
//! [`crate::auth`].

use serde::{Deserialize, Serialize};
use ts_rs::TS;
use utoipa::ToSchema;

use crate::auth::{
    validate_full_name, validate_new_password, validate_username_as, Role, TenantInfo, UserInfo,
};
use crate::FieldErrors;

/// `POST /api/v1/tenants` body: register a clinic and its first admin (only when the server
/// allows self-registration).
#[derive(Debug, Clone, Serialize, Deserialize, TS, ToSchema)]
#[ts(export)]
pub struct NewClinic {
    /// Code staff type at sign-in: 2–63 lower-case letters, digits and hyphens, starting with
    /// a letter or digit (upper case is folded to lower).
    pub code: String,
    /// Display name, e.g. "Riverside Family Clinic".
    pub name: String,
    /// IANA time zone of the clinic, e.g. `America/New_York`.
    pub time_zone: String,
    /// The first admin's login name.
    pub admin_username: String,
    /// The first admin's name as colleagues see it.
    pub admin_full_name: String,
    /// The first admin's password (the password policy applies).
    pub admin_password: String,
}

/// What a person is told when [`is_clinic_code`] refuses a code (after folding to lower case,
/// so "letters" rather than "lower-case letters").
pub const CLINIC_CODE_RULE: &str =
    "must be 2 to 63 letters, digits or hyphens, starting with a letter or digit";

/// True when `code` is a clinic code as the database accepts it: `^[a-z0-9][a-z0-9-]{1,62}$`.
pub fn is_clinic_code(code: &str) -> bool {
    let mut chars = code.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    first_ok
        && (2..=63).contains(&code.len())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

impl NewClinic {
    /// Trims the fields and folds the code to lower case.
    pub fn normalized(mut self) -> Self {
        self.code = self.code.trim().to_lowercase();
        self.name = self.name.trim().to_owned();
        self.time_zone = self.time_zone.trim().to_owned();
        self.admin_username = self.admin_username.trim().to_owned();
        self.admin_full_name = self.admin_full_name.trim().to_owned();
        self
    }

    /// Checks every field but the time zone (the server knows the IANA database); errors are
    /// keyed by field name.
    pub fn validate(&self) -> Result<(), FieldErrors> {
        let mut e = FieldErrors::new();
        if !is_clinic_code(&self.code) {
            e.add("code", CLINIC_CODE_RULE);
        }
        validate_full_name(&self.name, "name", &mut e);
        if self.time_zone.is_empty() {
            e.add("time_zone", "is required");
        }
        validate_username_as(&self.admin_username, "admin_username", &mut e);
        validate_full_name(&self.admin_full_name, "admin_full_name", &mut e);
        validate_new_password(
            &self.admin_password,
            &self.admin_username,
            None,
            "admin_password",
            &mut e,
        );
        e.into_result()
    }
}

/// Answer of `POST /api/v1/tenants` (201): the clinic and its first admin, who signs in next.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
#[ts(export)]
pub struct RegisteredClinic {
    /// The new clinic, with the plan limits it got.
    pub tenant: TenantInfo,
    /// Its first admin.
    pub admin: UserInfo,
}

/// `PATCH /api/v1/tenant` body (admin): only the fields present change.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS, ToSchema)]
#[ts(export)]
pub struct TenantPatch {
    /// New display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub name: Option<String>,
    /// New IANA time zone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub time_zone: Option<String>,
    /// Require admins to sign in with a second factor. Turning it on needs the caller to have
    /// two-factor sign-in on already (422 otherwise), so no admin locks the clinic out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub require_admin_totp: Option<bool>,
    /// New postal address, up to 300 characters; empty clears it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub address: Option<String>,
    /// New phone number, up to 40 characters; empty clears it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub phone: Option<String>,
    /// New order of day, month and year for dates shown and typed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub date_order: Option<crate::DateOrder>,
    /// New clock (12- or 24-hour) for times shown and typed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub hour_cycle: Option<crate::HourCycle>,
    /// New first day of the week.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub week_start: Option<crate::WeekStart>,
}

/// Answer of `POST /api/v1/users` (201): the account and its temporary password, shown once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
#[ts(export)]
pub struct CreatedUser {
    /// The new account (`must_change_password` is true).
    pub user: UserInfo,
    /// The password to hand to the person; the server keeps only its hash.
    pub temporary_password: String,
}

/// `PATCH /api/v1/users/{id}` body (admin): only the fields present change.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS, ToSchema)]
#[ts(export)]
pub struct UserPatch {
    /// New display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub full_name: Option<String>,
    /// New role; takes effect on the user's next request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub role: Option<Role>,
    /// `false` deactivates: the account cannot sign in and its sessions end at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub active: Option<bool>,
}

impl UserPatch {
    /// Checks the fields present; errors are keyed by field name.
    pub fn validate(&self) -> Result<(), FieldErrors> {
        let mut e = FieldErrors::new();
        if let Some(n) = &self.full_name {
            validate_full_name(n, "full_name", &mut e);
        }
        e.into_result()
    }
}

/// Answer of `POST /api/v1/users/{id}/reset-password`: shown once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
#[ts(export)]
pub struct TemporaryPassword {
    /// The new temporary password; the account must replace it at its next sign-in.
    pub temporary_password: String,
}

/// `POST /api/v1/auth/password` body.
#[derive(Debug, Clone, Serialize, Deserialize, TS, ToSchema)]
#[ts(export)]
pub struct PasswordChange {
    /// The password (or temporary password) used to sign in.
    pub current_password: String,
    /// The new password: at least 10 characters, not the username, not the current one.
    pub new_password: String,
}

/// Answer of `POST /api/v1/auth/totp/setup`: a pending secret, active once confirmed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
#[ts(export)]
pub struct TotpSetup {
    /// The shared secret (160 bits), base32 without padding, for typing into an app.
    pub secret_base32: String,
    /// `otpauth://totp/...` URI (SHA-1, 6 digits, 30 s) to show as a QR code.
    pub otpauth_uri: String,
}

/// `POST /api/v1/auth/totp/confirm` body.
#[derive(Debug, Clone, Serialize, Deserialize, TS, ToSchema)]
#[ts(export)]
pub struct TotpConfirm {
    /// The 6-digit code the app shows now.
    pub code: String,
}

/// Answer of `POST /api/v1/auth/totp/confirm`: shown once; each code signs in once in place
/// of an authenticator code.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
#[ts(export)]
pub struct RecoveryCodes {
    /// Ten codes like `"7kq2-m9xd"`.
    pub recovery_codes: Vec<String>,
}

/// `POST /api/v1/auth/totp/disable` body.
#[derive(Debug, Clone, Serialize, Deserialize, TS, ToSchema)]
#[ts(export)]
pub struct TotpDisable {
    /// The account's password, to confirm it is its owner.
    pub password: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clinic() -> NewClinic {
        NewClinic {
            code: " Hill-Clinic ".into(),
            name: "Hill Clinic".into(),
            time_zone: "Europe/Paris".into(),
            admin_username: "boss".into(),
            admin_full_name: "Bea Boss".into(),
            admin_password: "a long enough password".into(),
        }
        .normalized()
    }

    #[test]
    fn clinic_codes_follow_the_database_rule() {
        for ok in ["ab", "clinic-7", "0abc"] {
            assert!(is_clinic_code(ok), "{ok}");
        }
        for bad in ["a", "-ab", "Ab", "a b", "ab_c", &"a".repeat(64)] {
            assert!(!is_clinic_code(bad), "{bad}");
        }
    }

    #[test]
    fn a_new_clinic_is_checked_field_by_field() {
        assert_eq!(clinic().code, "hill-clinic");
        assert!(clinic().validate().is_ok());
        let mut bad = clinic();
        bad.code = "x".into();
        bad.admin_password = "boss".into();
        bad.admin_full_name = " ".into();
        let e = bad.validate().err().unwrap_or_default();
        let fields: Vec<&str> = e.0.keys().map(String::as_str).collect();
        assert_eq!(fields, ["admin_full_name", "admin_password", "code"]);
    }
}
