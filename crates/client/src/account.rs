//! The signed-in person's own account, and the steps the server may ask for before a session
//! starts.
//!
//! **Sign-in steps.** When the server lets a sign-in through only to change a temporary
//! password (`password_change_required`) or to enrol a second factor
//! (`totp_enrollment_required`), the workstation keeps those limited tokens in memory
//! ([`PendingSignIn`]) and answers the login with that error code. No session starts, nothing
//! goes to the keyring, and no offline-unlock verifier is made from a temporary password.
//! [`Workstation::change_password`] and [`Workstation::totp_confirm`] finish the sign-in
//! (password first: the server refuses enrolment while a temporary password stands);
//! [`Workstation::cancel_sign_in`] abandons it.
//!
//! **My account** (every user, online only): change the password (the server answers a fresh
//! token pair and ends every other session; the offline verifier takes the new password), set
//! up two-factor sign-in (a QR code of the `otpauth://` URI, drawn here as SVG with the
//! `qrcode` crate, then a code to confirm; the ten recovery codes come back once), and turn it
//! off with the password.
//!
//! Offline unlock checks the password only: a second factor cannot be checked without the
//! server. The unlock is bounded in time and limited to people who signed in here online.

use std::future::Future;

use medoffice_model::{
    LoginResponse, PasswordChange, RecoveryCodes, TotpConfirm, TotpDisable, TotpSetup, UserInfo,
};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::api::{ApiClient, ApiError};
use crate::secrets::Secret;
use crate::view::{CommandError, ErrorCode};
use crate::{CoreError, Session, Workstation};

/// A sign-in the server let through only for one more step; held in memory until done.
pub struct PendingSignIn {
    api: ApiClient,
    tenant: String,
    access_token: String,
    refresh: Secret,
    user: UserInfo,
    /// The password typed at sign-in (or the new one once changed), for the offline verifier
    /// made when the sign-in finishes.
    password: Secret,
    password_change_required: bool,
}

impl std::fmt::Debug for PendingSignIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingSignIn")
            .field("user", &self.user.username)
            .field("password_change_required", &self.password_change_required)
            .finish_non_exhaustive()
    }
}

/// `totp_setup` answer: the pending secret, and its QR code to scan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct TotpSetupView {
    /// The shared secret, base32, for typing into an app by hand.
    pub secret_base32: String,
    /// The `otpauth://totp/...` URI the QR code holds.
    pub otpauth_uri: String,
    /// The QR code of `otpauth_uri` as an SVG document (black on white, with its quiet zone).
    pub qr_svg: String,
}

/// `totp_confirm` answer: two-factor sign-in is on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct TotpEnabled {
    /// Ten one-time recovery codes, shown this once.
    pub recovery_codes: Vec<String>,
    /// The account now (`totp_enabled` true). After an enrolment at sign-in, the session has
    /// started as this user.
    pub user: UserInfo,
}

/// An online-only call failed: a network failure says that it needs the server.
pub(crate) fn online_only(e: impl Into<CoreError>) -> CommandError {
    match e.into() {
        CoreError::Api(ApiError::Network(m)) => CommandError::new(
            ErrorCode::Network,
            format!(
                "This needs a connection to the server, which cannot be reached now ({m}). \
                 Try again when the status bar says online."
            ),
        ),
        e => e.into(),
    }
}

/// Draws `text` as a QR code, SVG.
pub fn qr_svg(text: &str) -> Result<String, CommandError> {
    let code = qrcode::QrCode::new(text.as_bytes())
        .map_err(|e| CommandError::new(ErrorCode::Internal, format!("QR code: {e}")))?;
    Ok(code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(220, 220)
        .dark_color(qrcode::render::svg::Color("#000000"))
        .light_color(qrcode::render::svg::Color("#ffffff"))
        .quiet_zone(true)
        .build())
}

impl ApiClient {
    /// `GET /api/v1/auth/me`.
    pub async fn me(&self, token: &str) -> Result<UserInfo, ApiError> {
        self.send_json(self.authed(reqwest::Method::GET, "/api/v1/auth/me", token))
            .await
    }

    /// `POST /api/v1/auth/password`: a fresh pair; every other session of the user ends.
    pub async fn change_password(
        &self,
        token: &str,
        body: &PasswordChange,
    ) -> Result<LoginResponse, ApiError> {
        self.send_json(
            self.authed(reqwest::Method::POST, "/api/v1/auth/password", token)
                .json(body),
        )
        .await
    }

    /// `POST /api/v1/auth/totp/setup`: a pending secret.
    pub async fn totp_setup(&self, token: &str) -> Result<TotpSetup, ApiError> {
        self.send_json(self.authed(reqwest::Method::POST, "/api/v1/auth/totp/setup", token))
            .await
    }

    /// `POST /api/v1/auth/totp/confirm`: turns the pending secret on; the recovery codes.
    pub async fn totp_confirm(&self, token: &str, code: &str) -> Result<RecoveryCodes, ApiError> {
        let body = TotpConfirm {
            code: code.to_owned(),
        };
        self.send_json(
            self.authed(reqwest::Method::POST, "/api/v1/auth/totp/confirm", token)
                .json(&body),
        )
        .await
    }

    /// `POST /api/v1/auth/totp/disable`.
    pub async fn totp_disable(&self, token: &str, password: &str) -> Result<(), ApiError> {
        let body = TotpDisable {
            password: password.to_owned(),
        };
        self.send_no_content(
            self.authed(reqwest::Method::POST, "/api/v1/auth/totp/disable", token)
                .json(&body),
        )
        .await
    }
}

impl Session {
    /// Runs an online-only call with this session's access token; a 401 that is not the
    /// server ending the session (e.g. the token expired a moment ago) is retried once with a
    /// refreshed token.
    pub(crate) async fn online<T, F, Fut>(&self, call: F) -> Result<T, CommandError>
    where
        F: Fn(String) -> Fut,
        Fut: Future<Output = Result<T, ApiError>>,
    {
        let token = self.bearer().await.map_err(online_only)?;
        match call(token).await {
            Err(ApiError::Http { status: 401, body }) if body.code.is_none() => {
                self.forget_access_token().await;
                let token = self.bearer().await.map_err(online_only)?;
                call(token).await.map_err(online_only)
            }
            other => other.map_err(online_only),
        }
    }
}

fn validation(field: &str, message: &str) -> CommandError {
    let mut f = medoffice_model::FieldErrors::new();
    f.add(field, message);
    CommandError::validation(f)
}

impl Workstation {
    /// Holds a limited sign-in and answers the error code that names the next step.
    pub(crate) async fn hold_pending_sign_in(
        &self,
        api: ApiClient,
        tenant: &str,
        tokens: LoginResponse,
        password: &str,
    ) -> CommandError {
        let step = next_step(&tokens);
        *self.pending.lock().await = Some(PendingSignIn {
            api,
            tenant: tenant.to_lowercase(),
            access_token: tokens.access_token,
            refresh: Secret::new(tokens.refresh_token),
            user: tokens.user,
            password: Secret::new(password),
            password_change_required: tokens.password_change_required,
        });
        step
    }

    /// Forgets a held sign-in (a new sign-in starts, or the person gave up).
    pub(crate) async fn drop_pending_sign_in(&self) -> Option<PendingSignIn> {
        self.pending.lock().await.take()
    }

    /// Abandons a sign-in that waits for a password change or an enrolment: its tokens are
    /// revoked on the server when it answers.
    pub async fn cancel_sign_in(&self) -> Result<(), CommandError> {
        if let Some(p) = self.drop_pending_sign_in().await {
            if let Err(e) = p.api.logout(p.refresh.expose()).await {
                tracing::info!(error = %e, "abandoned sign-in not revoked by the server");
            }
        }
        Ok(())
    }

    /// Who a held sign-in is for (the change-password and enrolment screens name them).
    pub async fn pending_sign_in(&self) -> Option<UserInfo> {
        self.pending.lock().await.as_ref().map(|p| p.user.clone())
    }

    /// Changes the password: of a held sign-in with a temporary password (then the sign-in
    /// goes on: the session starts, or enrolment is asked next with
    /// `totp_enrollment_required`), or of the signed-in person (every other session of theirs
    /// ends; this one goes on with the fresh tokens, and offline unlock takes the new
    /// password). Field errors come under `current_password` and `new_password`.
    pub async fn change_password(
        &self,
        current_password: &str,
        new_password: &str,
    ) -> Result<UserInfo, CommandError> {
        let mut f = medoffice_model::FieldErrors::new();
        if current_password.is_empty() {
            f.add("current_password", "is required");
        }
        let username = match self.pending.lock().await.as_ref() {
            Some(p) => p.user.username.clone(),
            None => self.session().await?.user.username.clone(),
        };
        medoffice_model::validate_new_password(
            new_password,
            &username,
            Some(current_password),
            "new_password",
            &mut f,
        );
        f.into_result().map_err(CommandError::validation)?;
        let body = PasswordChange {
            current_password: current_password.to_owned(),
            new_password: new_password.to_owned(),
        };
        let mut pending = self.pending.lock().await;
        if let Some(p) = pending.as_mut() {
            let tokens = p
                .api
                .change_password(&p.access_token, &body)
                .await
                .map_err(online_only)?;
            if tokens.totp_enrollment_required {
                p.access_token = tokens.access_token.clone();
                p.refresh = Secret::new(tokens.refresh_token.clone());
                p.user = tokens.user.clone();
                p.password = Secret::new(new_password);
                p.password_change_required = false;
                return Err(next_step(&tokens));
            }
            let Some(p) = pending.take() else {
                return Err(CommandError::new(ErrorCode::NotSignedIn, "Sign in first"));
            };
            drop(pending);
            return self
                .finish_sign_in(p.api, &p.tenant, tokens, new_password)
                .await;
        }
        drop(pending);
        let s = self.session().await?;
        let api = s.api.clone();
        let tokens = s
            .exchange_tokens(|t| async move { api.change_password(&t, &body).await })
            .await
            .map_err(online_only)?;
        let server = s.api.base().as_str().trim_end_matches('/').to_owned();
        self.remember_offline_password(&server, &s.user.tenant.code, &tokens.user, new_password)
            .await;
        Ok(tokens.user)
    }

    /// Starts setting up two-factor sign-in (for the signed-in person, or a held sign-in that
    /// must enrol): a new pending secret and its QR code. Nothing changes until confirmed.
    pub async fn totp_setup(&self) -> Result<TotpSetupView, CommandError> {
        let setup = match self.pending.lock().await.as_ref() {
            Some(p) => p
                .api
                .totp_setup(&p.access_token)
                .await
                .map_err(online_only)?,
            None => {
                let s = self.session().await?;
                s.online(|t| {
                    let api = s.api.clone();
                    async move { api.totp_setup(&t).await }
                })
                .await?
            }
        };
        let qr_svg = qr_svg(&setup.otpauth_uri)?;
        Ok(TotpSetupView {
            secret_base32: setup.secret_base32,
            otpauth_uri: setup.otpauth_uri,
            qr_svg,
        })
    }

    /// Confirms two-factor sign-in with the code the app shows now (6 digits; field `code`).
    /// Answers the ten recovery codes, once. A held sign-in that had to enrol goes on: the
    /// session starts.
    pub async fn totp_confirm(&self, code: &str) -> Result<TotpEnabled, CommandError> {
        let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
        if code.len() != 6 || !code.chars().all(|c| c.is_ascii_digit()) {
            return Err(validation(
                "code",
                "must be the 6 digits your authenticator app shows now",
            ));
        }
        let mut pending = self.pending.lock().await;
        if let Some(p) = pending.as_ref() {
            let codes = p
                .api
                .totp_confirm(&p.access_token, &code)
                .await
                .map_err(online_only)?;
            // the account is enrolled now: a refreshed pair is no longer limited
            let tokens = p
                .api
                .refresh(p.refresh.expose(), &self.config.device_id)
                .await
                .map_err(online_only)?;
            let Some(p) = pending.take() else {
                return Err(CommandError::new(ErrorCode::NotSignedIn, "Sign in first"));
            };
            drop(pending);
            if tokens.password_change_required || tokens.totp_enrollment_required {
                let step = self
                    .hold_pending_sign_in(p.api, &p.tenant, tokens, p.password.expose())
                    .await;
                return Err(step);
            }
            let user = self
                .finish_sign_in(p.api, &p.tenant, tokens, p.password.expose())
                .await?;
            return Ok(TotpEnabled {
                recovery_codes: codes.recovery_codes,
                user,
            });
        }
        drop(pending);
        let s = self.session().await?;
        let codes = s
            .online(|t| {
                let (api, code) = (s.api.clone(), code.clone());
                async move { api.totp_confirm(&t, &code).await }
            })
            .await?;
        let user = self.my_account().await?;
        Ok(TotpEnabled {
            recovery_codes: codes.recovery_codes,
            user,
        })
    }

    /// Turns two-factor sign-in off (field `password`); refused when the clinic requires it
    /// for this role.
    pub async fn totp_disable(&self, password: &str) -> Result<UserInfo, CommandError> {
        if password.is_empty() {
            return Err(validation("password", "is required"));
        }
        let s = self.session().await?;
        s.online(|t| {
            let (api, password) = (s.api.clone(), password.to_owned());
            async move { api.totp_disable(&t, &password).await }
        })
        .await?;
        self.my_account().await
    }

    /// The signed-in person's account as the server has it now (two-factor on or off, last
    /// sign-in); offline, as it was at sign-in.
    pub async fn my_account(&self) -> Result<UserInfo, CommandError> {
        let s = self.session().await?;
        let fresh = s
            .online(|t| {
                let api = s.api.clone();
                async move { api.me(&t).await }
            })
            .await;
        match fresh {
            Ok(u) => Ok(u),
            Err(e) if e.code == ErrorCode::Network => Ok(s.user.clone()),
            Err(e) => Err(e),
        }
    }
}

/// The error code naming the step a limited sign-in waits for.
fn next_step(tokens: &LoginResponse) -> CommandError {
    if tokens.password_change_required {
        CommandError::new(
            ErrorCode::PasswordChangeRequired,
            "Your password is a temporary one: choose a new password to go on.",
        )
    } else {
        CommandError::new(
            ErrorCode::TotpEnrollmentRequired,
            "This clinic requires two-factor sign-in for your role: set it up to go on.",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qr_code_is_an_svg_of_the_uri() {
        let svg = qr_svg("otpauth://totp/medoffice:ada?secret=JBSWY3DPEHPK3PXP&issuer=medoffice")
            .unwrap_or_default();
        assert!(svg.starts_with("<?xml"), "{}", &svg[..40.min(svg.len())]);
        assert!(svg.contains("<svg"));
        assert!(svg.contains("#000000"));
    }
}
