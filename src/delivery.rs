//! The rules that keep a lead from being lost or created twice, shared by the TUI and by
//! `autocalls-tui create`. The API has no idempotency key, so whether a lead may be sent again
//! depends on what the last failure proves:
//! - nothing reached the server: send again, after a backoff with jitter;
//! - 429: send again after the server's `Retry-After`;
//! - the outcome is unknown (sent, but no answer could be read): look the lead up first, and
//!   send again only when it is not there;
//! - the API refused it: never again by itself.

use std::time::Duration;

use jiff::Timestamp;

use crate::api::types::{CreateLead, Lead};
use crate::api::{ApiClient, ApiError, LeadQuery};

/// Requests (sends and look-ups) the app runs at once; more wait their turn.
pub const MAX_CONCURRENT: usize = 4;
/// The first wait after a connection failure; it doubles with each failure.
pub const FIRST_BACKOFF: Duration = Duration::from_secs(2);
/// The longest wait between two tries.
pub const MAX_BACKOFF: Duration = Duration::from_secs(300);
/// The wait after a 429 that did not say how long.
pub const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(30);
/// A lead found on the server counts as this submission's only if it was created no earlier
/// than this before the submission (clocks differ).
pub const CLOCK_SLACK: jiff::SignedDuration = jiff::SignedDuration::from_mins(10);

/// What to do after a failed create.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Send again after this wait (nothing reached the server, or it asked us to wait).
    RetryAfter(Duration),
    /// Look the lead up before anything else: it may exist.
    LookUp,
    /// The key was refused: wait for a working key, then send again.
    NeedKey,
    /// Stop: the API refused the lead (or it could not be sent at all).
    GiveUp,
}

/// Decides what a failure of the `tries`-th attempt allows. `salt` spreads the retries of
/// different leads apart (pass something per lead, e.g. from its id).
pub fn next_after(error: &ApiError, tries: u32, salt: u64) -> Next {
    match error {
        ApiError::Unreachable(_) => Next::RetryAfter(backoff(tries, salt)),
        ApiError::RateLimited { retry_after } => {
            Next::RetryAfter(retry_after.unwrap_or(DEFAULT_RETRY_AFTER).min(MAX_BACKOFF))
        }
        ApiError::UnknownOutcome(_) => Next::LookUp,
        ApiError::Auth(_) => Next::NeedKey,
        ApiError::Rejected { .. } | ApiError::Invalid(_) => Next::GiveUp,
    }
}

/// Exponential backoff (2 s, 4 s, 8 s, ... capped at 5 min) with ±25 % jitter from `salt`.
pub fn backoff(tries: u32, salt: u64) -> Duration {
    let base = FIRST_BACKOFF.saturating_mul(1u32 << tries.saturating_sub(1).min(16)).min(MAX_BACKOFF);
    // A cheap mix of the salt and the try number: different leads, different waits.
    let mixed =
        (salt ^ u64::from(tries).wrapping_mul(0x9E37_79B9_7F4A_7C15)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    let jitter = (mixed >> 40) as f64 / (1u64 << 24) as f64; // 0.0 .. 1.0
    base.mul_f64(0.75 + jitter * 0.5)
}

/// Reads a server timestamp in either documented form: `2025-06-30 11:53:20` (taken as UTC) or
/// `2025-06-02T12:08:17.000000Z`.
pub fn parse_server_time(text: &str) -> Option<Timestamp> {
    text.parse::<Timestamp>().ok().or_else(|| {
        let civil: jiff::civil::DateTime = text.trim().replace(' ', "T").parse().ok()?;
        civil.to_zoned_datetime(jiff::tz::TimeZone::UTC).ok().map(|z| z.timestamp())
    })
}

/// Looks for the lead `request` would have created, submitted at `since`: same phone and
/// campaign, created no earlier than [`CLOCK_SLACK`] before `since`, and not one of `taken` (the
/// server ids other leads in the history already have: a second lead for the same phone must not
/// be mistaken for the first). The newest such lead, or `None` when the server has none (so
/// sending again cannot create a second one).
pub async fn look_up(
    api: &ApiClient,
    request: &CreateLead,
    since: Timestamp,
    taken: &[String],
) -> Result<Option<Lead>, ApiError> {
    const MAX_PAGES: u64 = 20;
    let earliest = since - CLOCK_SLACK;
    let mut best: Option<(Timestamp, Lead)> = None;
    for page in 1..=MAX_PAGES {
        let query = LeadQuery {
            campaign_id: Some(request.campaign_id),
            phone_number: Some(request.phone_number.to_string()),
            per_page: Some(100),
            page: Some(page),
            ..LeadQuery::default()
        };
        let result = api.leads(&query).await?;
        let more = result.has_next();
        for lead in result.data {
            // The server matches phones partially; only the same number counts.
            let same_phone = lead.phone_number.as_deref() == Some(request.phone_number.as_str());
            let same_campaign = lead.campaign_id.is_none_or(|c| c == request.campaign_id);
            // A lead without a readable time cannot be told apart: count it, to be safe.
            let created = lead.created_at.as_deref().and_then(parse_server_time).unwrap_or(since);
            let free = !taken.contains(&lead.id);
            if same_phone
                && same_campaign
                && free
                && created >= earliest
                && best.as_ref().is_none_or(|(t, _)| created >= *t)
            {
                best = Some((created, lead));
            }
        }
        if !more {
            break;
        }
    }
    Ok(best.map(|(_, lead)| lead))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_and_stops_growing() {
        for salt in [0, 1, 42, u64::MAX] {
            let waits: Vec<Duration> = (1..=12).map(|t| backoff(t, salt)).collect();
            for (t, wait) in waits.iter().enumerate() {
                let base = (2u64 << t).min(300) as f64;
                let secs = wait.as_secs_f64();
                assert!((base * 0.75..=base * 1.25).contains(&secs), "try {} wait {secs}", t + 1);
            }
        }
        assert_ne!(backoff(3, 1), backoff(3, 2), "different leads wait differently");
    }

    #[test]
    fn what_each_failure_allows() {
        let unreachable = ApiError::Unreachable("refused".into());
        assert!(matches!(next_after(&unreachable, 1, 0), Next::RetryAfter(_)));
        let limited = ApiError::RateLimited { retry_after: Some(Duration::from_secs(7)) };
        assert_eq!(next_after(&limited, 1, 0), Next::RetryAfter(Duration::from_secs(7)));
        assert_eq!(
            next_after(&ApiError::RateLimited { retry_after: None }, 1, 0),
            Next::RetryAfter(DEFAULT_RETRY_AFTER)
        );
        assert_eq!(next_after(&ApiError::UnknownOutcome("reset".into()), 1, 0), Next::LookUp);
        assert_eq!(next_after(&ApiError::Auth("401".into()), 1, 0), Next::NeedKey);
        let rejected = ApiError::Rejected { status: 422, message: "no".into(), errors: Default::default() };
        assert_eq!(next_after(&rejected, 1, 0), Next::GiveUp);
    }

    #[test]
    fn both_server_time_forms() {
        let a = parse_server_time("2025-06-30 11:53:20").unwrap();
        assert_eq!(a.to_string(), "2025-06-30T11:53:20Z");
        let b = parse_server_time("2025-06-02T12:08:17.000000Z").unwrap();
        assert_eq!(b.as_second(), 1_748_866_097);
        assert_eq!(parse_server_time("yesterday"), None);
    }
}
