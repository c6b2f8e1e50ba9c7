//! What a clinic's administrators do from the desktop, online only: staff accounts
//! (`UserManage`), clinic settings, and the audit log with its CSV export (`AuditRead`).
//!
//! Nothing here is cached: accounts, settings and the audit log are read from the server each
//! time, so a workstation never holds another person's sign-in details or the clinic's audit
//! trail. Offline, each call says it needs a connection. The server checks every permission
//! again; the checks here only give the answer without a round trip.

use std::path::{Path, PathBuf};

use chrono::Utc;
use medoffice_model::{
    AuditFilter, AuditPage, CreatedUser, ListResponse, NewUser, Permission, TemporaryPassword,
    TenantInfo, TenantPatch, UserInfo, UserPatch,
};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

use crate::api::{ApiClient, ApiError};
use crate::view::{CommandError, ErrorCode};
use crate::Workstation;

/// `export_audit` answer: where the file went.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct AuditExport {
    /// Absolute path of the CSV file written.
    pub path: String,
    /// Entries in it (rows after the header).
    #[ts(type = "number")]
    pub entries: u64,
    /// Its size in bytes.
    #[ts(type = "number")]
    pub bytes: u64,
}

impl ApiClient {
    /// `GET /api/v1/users`: every account of the clinic, deactivated ones too.
    pub async fn users(&self, token: &str) -> Result<ListResponse<UserInfo>, ApiError> {
        self.send_json(self.authed(reqwest::Method::GET, "/api/v1/users", token))
            .await
    }

    /// `POST /api/v1/users`: the account and its temporary password.
    pub async fn create_user(&self, token: &str, new: &NewUser) -> Result<CreatedUser, ApiError> {
        self.send_json(
            self.authed(reqwest::Method::POST, "/api/v1/users", token)
                .json(new),
        )
        .await
    }

    /// `PATCH /api/v1/users/{id}`.
    pub async fn update_user(
        &self,
        token: &str,
        id: Uuid,
        patch: &UserPatch,
    ) -> Result<UserInfo, ApiError> {
        self.send_json(
            self.authed(
                reqwest::Method::PATCH,
                &format!("/api/v1/users/{id}"),
                token,
            )
            .json(patch),
        )
        .await
    }

    /// `POST /api/v1/users/{id}/reset-password`.
    pub async fn reset_password(
        &self,
        token: &str,
        id: Uuid,
    ) -> Result<TemporaryPassword, ApiError> {
        self.send_json(self.authed(
            reqwest::Method::POST,
            &format!("/api/v1/users/{id}/reset-password"),
            token,
        ))
        .await
    }

    /// `POST /api/v1/users/{id}/reset-totp`.
    pub async fn reset_totp(&self, token: &str, id: Uuid) -> Result<UserInfo, ApiError> {
        self.send_json(self.authed(
            reqwest::Method::POST,
            &format!("/api/v1/users/{id}/reset-totp"),
            token,
        ))
        .await
    }

    /// `GET /api/v1/tenant`.
    pub async fn tenant(&self, token: &str) -> Result<TenantInfo, ApiError> {
        self.send_json(self.authed(reqwest::Method::GET, "/api/v1/tenant", token))
            .await
    }

    /// `PATCH /api/v1/tenant`.
    pub async fn update_tenant(
        &self,
        token: &str,
        patch: &TenantPatch,
    ) -> Result<TenantInfo, ApiError> {
        self.send_json(
            self.authed(reqwest::Method::PATCH, "/api/v1/tenant", token)
                .json(patch),
        )
        .await
    }

    /// `GET /api/v1/audit`: one page, newest first.
    pub async fn audit(&self, token: &str, filter: &AuditFilter) -> Result<AuditPage, ApiError> {
        self.send_json(
            self.authed(reqwest::Method::GET, "/api/v1/audit", token)
                .query(filter),
        )
        .await
    }

    /// `GET /api/v1/audit/export`: the CSV, as a response to stream.
    pub async fn audit_export(
        &self,
        token: &str,
        filter: &AuditFilter,
    ) -> Result<reqwest::Response, ApiError> {
        self.send_raw(
            self.authed(reqwest::Method::GET, "/api/v1/audit/export", token)
                .query(filter)
                .timeout(std::time::Duration::from_secs(600)),
        )
        .await
    }
}

/// The Downloads folder of this computer (`XDG_DOWNLOAD_DIR` on Linux, else `~/Downloads`
/// when it exists), or the home folder.
pub fn downloads_dir() -> Option<PathBuf> {
    dirs::download_dir().or_else(|| {
        let home = dirs::home_dir()?;
        let downloads = home.join("Downloads");
        Some(if downloads.is_dir() { downloads } else { home })
    })
}

/// Counts CSV records (RFC 4180: a quoted field may hold line breaks) as chunks go by.
#[derive(Debug, Default)]
struct CsvCounter {
    in_quotes: bool,
    lines: u64,
    last: Option<u8>,
}

impl CsvCounter {
    fn feed(&mut self, chunk: &[u8]) {
        for &b in chunk {
            match b {
                b'"' => self.in_quotes = !self.in_quotes,
                b'\n' if !self.in_quotes => self.lines += 1,
                _ => {}
            }
            self.last = Some(b);
        }
    }

    /// Records after the header.
    fn entries(&self) -> u64 {
        let records = self.lines + u64::from(self.last.is_some_and(|b| b != b'\n'));
        records.saturating_sub(1)
    }
}

impl Workstation {
    async fn admin_session(
        &self,
        p: Permission,
    ) -> Result<std::sync::Arc<crate::Session>, CommandError> {
        let s = self.session().await?;
        if !s.user.role.can(p) {
            return Err(CommandError::new(
                ErrorCode::Forbidden,
                match p {
                    Permission::AuditRead => "Only the clinic's administrators may read the audit log",
                    _ => "Only the clinic's administrators may manage staff accounts and clinic settings",
                },
            ));
        }
        Ok(s)
    }

    /// Every staff account of the clinic (deactivated ones too), by name.
    pub async fn list_users(&self) -> Result<Vec<UserInfo>, CommandError> {
        let s = self.admin_session(Permission::UserManage).await?;
        let mut users = s
            .online(|t| {
                let api = s.api.clone();
                async move { api.users(&t).await }
            })
            .await?
            .data;
        users.sort_by(|a, b| {
            b.active
                .cmp(&a.active)
                .then_with(|| a.full_name.to_lowercase().cmp(&b.full_name.to_lowercase()))
        });
        Ok(users)
    }

    /// Creates a staff account. Without `temporary_password` the server makes one up; either
    /// way it comes back once, and the person must change it at first sign-in. Field errors
    /// under `username`, `full_name`, `temporary_password`; a full plan is `plan_limit`.
    pub async fn create_user(&self, mut new: NewUser) -> Result<CreatedUser, CommandError> {
        let s = self.admin_session(Permission::UserManage).await?;
        new.username = new.username.trim().to_owned();
        new.full_name = new.full_name.trim().to_owned();
        new.temporary_password = new.temporary_password.filter(|p| !p.is_empty());
        new.validate().map_err(CommandError::validation)?;
        s.online(|t| {
            let (api, new) = (s.api.clone(), new.clone());
            async move { api.create_user(&t, &new).await }
        })
        .await
    }

    /// Changes an account's name, role, or whether it is active. Deactivating ends the
    /// person's sessions at once, on every workstation.
    pub async fn update_user(&self, id: Uuid, patch: UserPatch) -> Result<UserInfo, CommandError> {
        let s = self.admin_session(Permission::UserManage).await?;
        patch.validate().map_err(CommandError::validation)?;
        s.online(|t| {
            let (api, patch) = (s.api.clone(), patch.clone());
            async move { api.update_user(&t, id, &patch).await }
        })
        .await
    }

    /// Gives an account a new temporary password (shown once); its sessions end, and the
    /// person must choose a new password at the next sign-in.
    pub async fn reset_user_password(&self, id: Uuid) -> Result<TemporaryPassword, CommandError> {
        let s = self.admin_session(Permission::UserManage).await?;
        s.online(|t| {
            let api = s.api.clone();
            async move { api.reset_password(&t, id).await }
        })
        .await
    }

    /// Turns an account's two-factor sign-in off (a lost phone); they set it up again.
    pub async fn reset_user_totp(&self, id: Uuid) -> Result<UserInfo, CommandError> {
        let s = self.admin_session(Permission::UserManage).await?;
        s.online(|t| {
            let api = s.api.clone();
            async move { api.reset_totp(&t, id).await }
        })
        .await
    }

    /// The clinic's settings and plan limits (any signed-in user may read them).
    pub async fn clinic_settings(&self) -> Result<TenantInfo, CommandError> {
        let s = self.session().await?;
        s.online(|t| {
            let api = s.api.clone();
            async move { api.tenant(&t).await }
        })
        .await
    }

    /// Changes the clinic's name, time zone, date and time conventions, address, phone or
    /// "administrators must use two-factor sign-in". The patient search here reads dates in the
    /// new order at once; other workstations take it at their next sign-in.
    pub async fn update_clinic_settings(
        &self,
        patch: TenantPatch,
    ) -> Result<TenantInfo, CommandError> {
        let s = self.admin_session(Permission::UserManage).await?;
        let mut f = medoffice_model::FieldErrors::new();
        if patch.name.as_deref().is_some_and(|n| n.trim().is_empty()) {
            f.add("name", "is required");
        }
        f.into_result().map_err(CommandError::validation)?;
        let saved = s
            .online(|t| {
                let (api, patch) = (s.api.clone(), patch.clone());
                async move { api.update_tenant(&t, &patch).await }
            })
            .await?;
        s.set_conventions(medoffice_model::DateConventions::of(&saved));
        Ok(saved)
    }

    /// One page of the audit log, newest first (`filter.before`: the previous page's
    /// `next_before`). Reading it is itself audited.
    pub async fn audit_log(&self, filter: AuditFilter) -> Result<AuditPage, CommandError> {
        let s = self.admin_session(Permission::AuditRead).await?;
        s.online(|t| {
            let (api, filter) = (s.api.clone(), filter.clone());
            async move { api.audit(&t, &filter).await }
        })
        .await
    }

    /// Where an export made now goes when the person picks nothing else:
    /// `<Downloads>/audit-log-YYYY-MM-DD-HHMM.csv` (clinic time).
    pub async fn suggested_export_path(&self) -> Result<String, CommandError> {
        let s = self.session().await?;
        let now = Utc::now().with_timezone(&s.tz());
        let name = format!("audit-log-{}.csv", now.format("%Y-%m-%d-%H%M"));
        let dir = downloads_dir().unwrap_or_else(|| PathBuf::from("."));
        Ok(dir.join(name).to_string_lossy().into_owned())
    }

    /// Saves the audit entries matching `filter` (every page) as CSV at `path` (a relative
    /// path or none: in the Downloads folder). Written to a temporary file beside it first, so
    /// a failed export leaves no half file. Field `path` when it cannot be written.
    pub async fn export_audit(
        &self,
        mut filter: AuditFilter,
        path: Option<String>,
    ) -> Result<AuditExport, CommandError> {
        let s = self.admin_session(Permission::AuditRead).await?;
        let path = match path.map(|p| p.trim().to_owned()).filter(|p| !p.is_empty()) {
            Some(p) => PathBuf::from(p),
            None => PathBuf::from(self.suggested_export_path().await?),
        };
        let path = if path.is_relative() {
            downloads_dir().unwrap_or_default().join(path)
        } else {
            path
        };
        let bad_path = |why: String| {
            let mut f = medoffice_model::FieldErrors::new();
            f.add("path", why);
            CommandError::validation(f)
        };
        if path.is_dir() {
            return Err(bad_path("is a folder: add a file name".into()));
        }
        let dir = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        if !dir.is_dir() {
            return Err(bad_path(format!("folder {} does not exist", dir.display())));
        }
        // every entry, not one page
        filter.limit = None;
        filter.before = None;
        let mut resp = s
            .online(|t| {
                let (api, filter) = (s.api.clone(), filter.clone());
                async move { api.audit_export(&t, &filter).await }
            })
            .await?;
        let tmp = tempfile_beside(&path);
        let mut file = std::fs::File::create(&tmp)
            .map_err(|e| bad_path(format!("cannot be written ({e})")))?;
        let mut counter = CsvCounter::default();
        let mut bytes = 0u64;
        let written: Result<(), CommandError> = async {
            use std::io::Write;
            while let Some(chunk) = resp
                .chunk()
                .await
                .map_err(|e| online_only_net(e.to_string()))?
            {
                counter.feed(&chunk);
                bytes += chunk.len() as u64;
                file.write_all(&chunk)
                    .map_err(|e| bad_path(format!("cannot be written ({e})")))?;
            }
            file.sync_all()
                .map_err(|e| bad_path(format!("cannot be written ({e})")))?;
            Ok(())
        }
        .await;
        if let Err(e) = written.and_then(|()| {
            std::fs::rename(&tmp, &path).map_err(|e| bad_path(format!("cannot be written ({e})")))
        }) {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
        Ok(AuditExport {
            path: std::fs::canonicalize(&path)
                .unwrap_or(path)
                .to_string_lossy()
                .into_owned(),
            entries: counter.entries(),
            bytes,
        })
    }
}

fn online_only_net(m: String) -> CommandError {
    crate::account::online_only(ApiError::Network(m))
}

fn tempfile_beside(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "audit-log.csv".into());
    path.with_file_name(format!(".{name}.{}.part", Uuid::new_v4().simple()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_records_are_counted_across_chunks_and_quoted_line_breaks() {
        let mut c = CsvCounter::default();
        c.feed(b"id,at,detail\n1,2024,\"two\nlines\"\n2,20");
        c.feed(b"24,plain\n");
        assert_eq!(c.entries(), 2);
        let mut no_final_newline = CsvCounter::default();
        no_final_newline.feed(b"id\n1\n2");
        assert_eq!(no_final_newline.entries(), 2);
        let mut header_only = CsvCounter::default();
        header_only.feed(b"id,at\n");
        assert_eq!(header_only.entries(), 0);
    }
}
