//! The server's clock, as this workstation last heard it.
//!
//! Outreach laptops drift by minutes or hours, and the server refuses a vital-sign set measured
//! more than 5 minutes in its future (see `NewVitalSigns::validate`). So the workstation never
//! trusts its own clock for what it stamps or checks: every answer from the server carries an
//! HTTP `Date` header (RFC 9110 §6.6.1), and the difference between that and this computer's
//! clock is kept here and in `server-clock.json` in the workstation's folder, so that work done
//! offline after a restart is still stamped by the server's time.
//!
//! The header has whole seconds, so a difference under [`TRUSTED_FROM_MS`] is noise and this
//! computer's own clock is used; over [`WARN_FROM_MS`] the status bar says the clock is wrong.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// A difference from the server's clock smaller than this (2 s) is not corrected: the `Date`
/// header's whole seconds and the request's time on the wire make it no better than ±1.5 s.
pub const TRUSTED_FROM_MS: i64 = 2_000;

/// A difference larger than this (one minute) is shown to the person as a wrong clock.
pub const WARN_FROM_MS: i64 = 60_000;

/// A difference larger than this (ten years) is not a clock that drifted but a broken one, or
/// a damaged file: not used.
pub const MAX_AHEAD_MS: i64 = 10 * 365 * 24 * 3_600_000;

/// An answer that took longer than this (10 s) says too little about when it was written.
const MAX_ROUND_TRIP_MS: i64 = 10_000;

/// How the clock is kept on disk.
#[derive(Serialize, Deserialize)]
struct Stored {
    /// This computer's clock minus the server's, milliseconds.
    ahead_ms: i64,
    /// When it was learned, by this computer's clock.
    learned_at: DateTime<Utc>,
}

/// The server's time as this workstation knows it. Cheap to clone; clones share what is learned.
#[derive(Clone, Default)]
pub struct ServerClock {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    /// This computer's clock minus the server's, milliseconds (0 until learned).
    ahead_ms: AtomicI64,
    /// Where it is kept between runs (`None`: not kept).
    file: Option<PathBuf>,
}

impl ServerClock {
    /// The clock kept in `dir/server-clock.json` (what a previous run learned, if anything).
    /// Not kept: a difference learned "later" than this computer's clock says it is now (the
    /// clock was put back since, e.g. set right by IT, so the old difference no longer holds)
    /// or one beyond [`MAX_AHEAD_MS`] (a damaged file).
    pub fn open(dir: &Path) -> Self {
        let file = dir.join("server-clock.json");
        let now = Utc::now();
        let ahead = std::fs::read_to_string(&file)
            .ok()
            .and_then(|s| serde_json::from_str::<Stored>(&s).ok())
            .filter(|s| s.learned_at <= now + Duration::minutes(1))
            .map(|s| s.ahead_ms)
            .filter(|a| a.unsigned_abs() <= MAX_AHEAD_MS.unsigned_abs())
            .unwrap_or(0);
        Self {
            inner: Arc::new(Inner {
                ahead_ms: AtomicI64::new(ahead),
                file: Some(file),
            }),
        }
    }

    /// How far this computer's clock runs ahead of the server's, in milliseconds (negative:
    /// behind); 0 when within [`TRUSTED_FROM_MS`] or not yet learned.
    pub fn ahead_ms(&self) -> i64 {
        let ahead = self.inner.ahead_ms.load(Ordering::Relaxed);
        if ahead.abs() < TRUSTED_FROM_MS {
            0
        } else {
            ahead
        }
    }

    /// Whether the difference is large enough to tell the person (over [`WARN_FROM_MS`]).
    pub fn is_wrong(&self) -> bool {
        self.ahead_ms().abs() > WARN_FROM_MS
    }

    /// Now, by the server's clock as last learned.
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() - Duration::milliseconds(self.ahead_ms())
    }

    /// Learns from an answer's `Date` header (`date`, IMF-fixdate) to a request sent at `sent`
    /// and answered at `received`, both by this computer's clock. A header that does not parse,
    /// or an answer slower than 10 s, teaches nothing.
    pub fn observe(&self, sent: DateTime<Utc>, received: DateTime<Utc>, date: &str) {
        let Ok(server) = DateTime::parse_from_rfc2822(date) else {
            return;
        };
        let round_trip = (received - sent).num_milliseconds();
        if !(0..=MAX_ROUND_TRIP_MS).contains(&round_trip) {
            return;
        }
        // the header's second was written somewhere in its 1 s, somewhere in the round trip:
        // compare the middles of both
        let server_mid = server.with_timezone(&Utc) + Duration::milliseconds(500);
        let local_mid = sent + Duration::milliseconds(round_trip / 2);
        let ahead = (local_mid - server_mid).num_milliseconds();
        if ahead.abs() > MAX_AHEAD_MS {
            return;
        }
        let before = self.inner.ahead_ms.swap(ahead, Ordering::Relaxed);
        // keep it for the next run when it moved by more than the header's own uncertainty
        if (ahead - before).abs() >= 1_000 {
            if ahead.abs() > WARN_FROM_MS {
                tracing::warn!(
                    ahead_seconds = ahead / 1000,
                    "this computer's clock is off from the server's; times are corrected"
                );
            }
            self.save(ahead, received);
        }
    }

    fn save(&self, ahead_ms: i64, learned_at: DateTime<Utc>) {
        let Some(file) = &self.inner.file else {
            return;
        };
        let Ok(text) = serde_json::to_string(&Stored {
            ahead_ms,
            learned_at,
        }) else {
            return;
        };
        // written whole and renamed into place: a crash never leaves half a file
        // the app and the CLI may share the folder: each writes its own temporary file
        let tmp = file.with_extension(format!("json.{}.tmp", std::process::id()));
        let saved = std::fs::write(&tmp, text).and_then(|()| std::fs::rename(&tmp, file));
        if let Err(e) = saved {
            tracing::warn!(error = %e, "could not keep the server's clock for the next run");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("time")
            .with_timezone(&Utc)
    }

    #[test]
    fn a_fast_clock_is_learned_corrected_and_kept() {
        let dir = tempfile::tempdir().expect("dir");
        let clock = ServerClock::open(dir.path());
        assert_eq!(clock.ahead_ms(), 0, "nothing learned yet");
        // sent 20:20:00, answered 20:20:00.200, the server said 20:00:00 (+0.5 s mid-second)
        clock.observe(
            at("2026-12-06T20:20:00Z"),
            at("2026-12-06T20:20:00.200Z"),
            "Sun, 06 Dec 2026 20:00:00 GMT",
        );
        assert_eq!(clock.ahead_ms(), 20 * 60_000 - 400);
        assert!(clock.is_wrong());
        let skew = (Utc::now() - clock.now()).num_milliseconds();
        assert!((20 * 60_000 - 1_000..20 * 60_000).contains(&skew), "{skew}");
        // a new run of the app starts from what was learned
        assert_eq!(ServerClock::open(dir.path()).ahead_ms(), 20 * 60_000 - 400);
    }

    #[test]
    fn a_difference_learned_before_the_clock_was_put_back_is_not_kept() {
        let dir = tempfile::tempdir().expect("dir");
        let file = dir.path().join("server-clock.json");
        let stored = |ahead_ms: i64, learned_at: DateTime<Utc>| {
            std::fs::write(
                &file,
                serde_json::to_string(&Stored {
                    ahead_ms,
                    learned_at,
                })
                .expect("json"),
            )
            .expect("write");
        };
        // learned an hour ago, 20 minutes fast: kept
        stored(1_200_000, Utc::now() - Duration::hours(1));
        assert_eq!(ServerClock::open(dir.path()).ahead_ms(), 1_200_000);
        // "learned" 20 minutes from now: the clock was put back since, the difference is gone
        stored(1_200_000, Utc::now() + Duration::minutes(20));
        assert_eq!(ServerClock::open(dir.path()).ahead_ms(), 0);
        // a damaged file
        stored(i64::MAX, Utc::now());
        assert_eq!(ServerClock::open(dir.path()).ahead_ms(), 0);
        std::fs::write(&file, "not json").expect("write");
        assert_eq!(ServerClock::open(dir.path()).ahead_ms(), 0);
    }

    #[test]
    fn a_slow_clock_is_corrected_the_other_way() {
        let clock = ServerClock::default();
        clock.observe(
            at("2026-12-06T18:00:00Z"),
            at("2026-12-06T18:00:00.100Z"),
            "Sun, 06 Dec 2026 20:00:00 GMT",
        );
        assert_eq!(clock.ahead_ms(), -(2 * 3_600_000) - 450);
        assert!(clock.is_wrong());
    }

    #[test]
    fn a_second_or_so_is_noise_and_a_minute_is_not_yet_wrong() {
        let clock = ServerClock::default();
        clock.observe(
            at("2026-12-06T20:00:01Z"),
            at("2026-12-06T20:00:01.100Z"),
            "Sun, 06 Dec 2026 20:00:00 GMT",
        );
        assert_eq!(
            clock.ahead_ms(),
            0,
            "550 ms is within the header's uncertainty"
        );
        clock.observe(
            at("2026-12-06T20:01:00Z"),
            at("2026-12-06T20:01:00.100Z"),
            "Sun, 06 Dec 2026 20:00:00 GMT",
        );
        assert_eq!(clock.ahead_ms(), 59_550);
        assert!(!clock.is_wrong(), "within a minute the person is not told");
    }

    #[test]
    fn slow_answers_and_unreadable_headers_teach_nothing() {
        let clock = ServerClock::default();
        clock.observe(
            at("2026-12-06T20:20:00Z"),
            at("2026-12-06T20:20:30Z"),
            "Sun, 06 Dec 2026 20:00:00 GMT",
        );
        clock.observe(
            at("2026-12-06T20:20:00Z"),
            at("2026-12-06T20:20:00.100Z"),
            "yesterday",
        );
        assert_eq!(clock.ahead_ms(), 0);
    }
}
