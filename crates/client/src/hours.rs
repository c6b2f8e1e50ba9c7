//! The clinic's availability on a workstation: opening hours, providers' working hours and
//! blocks, read from the cache (so the grid, the slot finder and the booking check work
//! offline) and set by administrators online. The rule is the model's
//! ([`medoffice_model::check_booking`]), the one the server applies as the authority.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use medoffice_model::{
    Availability, AvailabilityRules, AvailabilityUpdate, Interval, NewScheduleBlock, Permission,
    ScheduleBlock,
};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

use crate::api::{ApiClient, ApiError};
use crate::view::{CommandError, ErrorCode};
use crate::{Session, Workstation};

/// Longest range [`Workstation::availability`] answers, in days (the slot finder looks four
/// weeks ahead; a month view needs 42 days).
pub const MAX_RANGE_DAYS: i64 = 62;

/// One provider's bookable time in a range.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ProviderOpen {
    /// The provider.
    pub provider_id: Uuid,
    /// Bookable stretches, earliest first: the clinic's hours meet the provider's, less blocks.
    pub intervals: Vec<Interval>,
}

/// `availability` command answer: what the schedule grid, the slot finder and the hours
/// screen need for the clinic-local days `from`–`to`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct AvailabilityView {
    /// The clinic's opening hours; null when none are set (any time is bookable).
    pub clinic: Option<Availability>,
    /// Providers with working hours of their own.
    pub providers: Vec<Availability>,
    /// Blocks overlapping the range, earliest first.
    pub blocks: Vec<ScheduleBlock>,
    /// Bookable time of every active staff member in the range.
    pub open: Vec<ProviderOpen>,
}

impl ApiClient {
    /// `PUT /api/v1/availability/clinic`, or `/providers/{id}` with a provider.
    pub async fn put_availability(
        &self,
        token: &str,
        provider_id: Option<Uuid>,
        update: &AvailabilityUpdate,
    ) -> Result<Availability, ApiError> {
        let path = match provider_id {
            Some(id) => format!("/api/v1/availability/providers/{id}"),
            None => "/api/v1/availability/clinic".to_owned(),
        };
        self.send_json(self.authed(reqwest::Method::PUT, &path, token).json(update))
            .await
    }

    /// `DELETE /api/v1/availability/clinic`, or `/providers/{id}` with a provider.
    pub async fn delete_availability(
        &self,
        token: &str,
        provider_id: Option<Uuid>,
    ) -> Result<(), ApiError> {
        let path = match provider_id {
            Some(id) => format!("/api/v1/availability/providers/{id}"),
            None => "/api/v1/availability/clinic".to_owned(),
        };
        self.send_no_content(self.authed(reqwest::Method::DELETE, &path, token))
            .await
    }

    /// `POST /api/v1/schedule-blocks`.
    pub async fn create_block(
        &self,
        token: &str,
        new: &NewScheduleBlock,
    ) -> Result<ScheduleBlock, ApiError> {
        self.send_json(
            self.authed(reqwest::Method::POST, "/api/v1/schedule-blocks", token)
                .json(new),
        )
        .await
    }

    /// `DELETE /api/v1/schedule-blocks/{id}`.
    pub async fn delete_block(&self, token: &str, id: Uuid) -> Result<(), ApiError> {
        self.send_no_content(self.authed(
            reqwest::Method::DELETE,
            &format!("/api/v1/schedule-blocks/{id}"),
            token,
        ))
        .await
    }
}

/// A booking of `provider_id` that the cache's availability refuses, as the error a person
/// sees (`outside_availability`, naming why), or None when it fits.
pub(crate) fn refusal_in_cache(
    s: &Session,
    provider_id: Uuid,
    starts_at: DateTime<Utc>,
    minutes: i32,
) -> Result<Option<CommandError>, CommandError> {
    let cache = s.cache();
    let hours = cache.availability()?;
    let clinic = hours.iter().find(|a| a.provider_id.is_none());
    let provider = hours.iter().find(|a| a.provider_id == Some(provider_id));
    let ends_at = starts_at + Duration::minutes(i64::from(minutes));
    let blocks = cache.schedule_blocks(starts_at, ends_at)?;
    let rules = AvailabilityRules {
        clinic,
        provider,
        blocks: &blocks,
    };
    let Err(why) = medoffice_model::check_booking(&s.tz(), rules, provider_id, starts_at, minutes)
    else {
        return Ok(None);
    };
    let name = cache
        .staff()?
        .into_iter()
        .find(|m| m.id == provider_id)
        .map_or_else(|| "The provider".to_owned(), |m| m.full_name);
    Ok(Some(CommandError::new(
        ErrorCode::OutsideAvailability,
        why.message(&name),
    )))
}

impl Workstation {
    /// The clinic's availability for the clinic-local days `from` to `to` (at most
    /// [`MAX_RANGE_DAYS`]), from this workstation's cache: offline too.
    pub async fn availability(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<AvailabilityView, CommandError> {
        let s = self.session().await?;
        Self::require(&s, Permission::AppointmentRead)?;
        if to < from || (to - from).num_days() >= MAX_RANGE_DAYS {
            let mut f = medoffice_model::FieldErrors::new();
            f.add(
                "to",
                format!("must be on or after `from` and at most {MAX_RANGE_DAYS} days later"),
            );
            return Err(CommandError::validation(f));
        }
        let tz = s.tz();
        let cache = s.cache();
        let hours = cache.availability()?;
        let (start, end) = medoffice_model::day_bounds(&tz, from, to);
        let blocks = cache.schedule_blocks(start, end)?;
        let clinic = hours.iter().find(|a| a.provider_id.is_none()).cloned();
        let open = cache
            .staff()?
            .into_iter()
            .filter(|m| m.active)
            .map(|m| {
                let rules = AvailabilityRules {
                    clinic: clinic.as_ref(),
                    provider: hours.iter().find(|a| a.provider_id == Some(m.id)),
                    blocks: &blocks,
                };
                ProviderOpen {
                    provider_id: m.id,
                    intervals: medoffice_model::open_intervals(&tz, rules, m.id, from, to),
                }
            })
            .collect();
        Ok(AvailabilityView {
            clinic,
            providers: hours
                .into_iter()
                .filter(|a| a.provider_id.is_some())
                .collect(),
            blocks,
            open,
        })
    }

    /// Every block (closed dates, leave, meetings) that has not ended yet, however far ahead,
    /// earliest first, from the cache: what the hours screen lists to remove.
    pub async fn upcoming_blocks(&self) -> Result<Vec<ScheduleBlock>, CommandError> {
        let s = self.session().await?;
        Self::require(&s, Permission::AppointmentRead)?;
        let now = s.now();
        let far = now + Duration::days(366 * 250);
        let blocks = s.cache().schedule_blocks(now, far)?;
        Ok(blocks)
    }

    async fn schedule_admin(&self) -> Result<std::sync::Arc<Session>, CommandError> {
        let s = self.session().await?;
        if !s.user.role.can(Permission::ScheduleManage) {
            return Err(CommandError::new(
                ErrorCode::Forbidden,
                "Only the clinic's administrators may change opening hours, working hours and blocks",
            ));
        }
        Ok(s)
    }

    /// Sets the clinic's opening hours (`provider_id` null) or a provider's working hours, the
    /// whole week at once (online; every workstation gets them through the feed). Field errors
    /// under `available_time[i]` / `available_time`.
    pub async fn set_hours(
        &self,
        provider_id: Option<Uuid>,
        update: AvailabilityUpdate,
    ) -> Result<Availability, CommandError> {
        let s = self.schedule_admin().await?;
        update.validate().map_err(CommandError::validation)?;
        let a = s
            .online(|t| {
                let (api, update) = (s.api.clone(), update.clone());
                async move { api.put_availability(&t, provider_id, &update).await }
            })
            .await?;
        s.wake();
        Ok(a)
    }

    /// Clears the clinic's opening hours (`provider_id` null: any time bookable) or a
    /// provider's own hours (they work whenever the clinic is open). Online.
    pub async fn clear_hours(&self, provider_id: Option<Uuid>) -> Result<(), CommandError> {
        let s = self.schedule_admin().await?;
        s.online(|t| {
            let api = s.api.clone();
            async move { api.delete_availability(&t, provider_id).await }
        })
        .await?;
        s.wake();
        Ok(())
    }

    /// Blocks time: a closed date for the clinic (`provider_id` absent) or a provider's leave,
    /// meeting or lunch. Online.
    pub async fn add_schedule_block(
        &self,
        mut new: NewScheduleBlock,
    ) -> Result<ScheduleBlock, CommandError> {
        let s = self.schedule_admin().await?;
        new.reason = new.reason.trim().to_owned();
        new.validate().map_err(CommandError::validation)?;
        new.id = Some(new.id.unwrap_or_else(Uuid::now_v7));
        let b = s
            .online(|t| {
                let (api, new) = (s.api.clone(), new.clone());
                async move { api.create_block(&t, &new).await }
            })
            .await?;
        s.wake();
        Ok(b)
    }

    /// Removes a block; its time is bookable again. Online.
    pub async fn remove_schedule_block(&self, id: Uuid) -> Result<(), CommandError> {
        let s = self.schedule_admin().await?;
        s.online(|t| {
            let api = s.api.clone();
            async move { api.delete_block(&t, id).await }
        })
        .await?;
        s.wake();
        Ok(())
    }
}
