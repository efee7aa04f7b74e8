//! The rules that keep a lead from being lost or created twice, shared by the TUI and by
//! `autocalls-tui create`. The API has no idempotency key, so whether a lead may be sent again
//! depends on what the last failure proves:
//! - nothing reached the server: send again, after a backoff with jitter;
//! - 429: send again after the server's `Retry-After`;
//! - the outcome is unknown (sent, but no answer could be read): look the lead up first, and
//!   send again only when it is not there;
//! - the API refused it: never again by itself.
//!
//! [`engine`] holds these rules as one state machine that the TUI and the command line drive.

pub mod change;
pub mod engine;

use std::time::Duration;

use jiff::Timestamp;

use crate::api::types::{CreateLead, Lead, LeadId};
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
    taken: &[LeadId],
) -> Result<Option<Lead>, ApiError> {
    const MAX_PAGES: u64 = 20;
    let query = LeadQuery {
        campaign_id: Some(request.campaign_id),
        phone_number: Some(request.phone_number.to_string()),
        ..LeadQuery::default()
    };
    // Only the same number is kept of each page (the server matches phones partially).
    let same = |l: &Lead| l.phone_number.as_deref() == Some(request.phone_number.as_str());
    let leads = api.leads_where(&query, MAX_PAGES, same).await?;
    Ok(newest_match(leads, request, since, taken))
}

/// The newest lead the campaign already holds with this phone, created anywhere (this app, a
/// colleague's, the dashboard): what the duplicate guard asks before a lead without Allow
/// duplicate is sent.
pub async fn already_in_campaign(
    api: &ApiClient,
    phone: &str,
    campaign: u64,
) -> Result<Option<Lead>, ApiError> {
    let query = LeadQuery {
        campaign_id: Some(campaign),
        phone_number: Some(phone.to_owned()),
        ..LeadQuery::default()
    };
    // The server matches phones partially: only the same number counts.
    let same =
        |l: &Lead| l.phone_number.as_deref() == Some(phone) && l.campaign_id.is_none_or(|c| c == campaign);
    let leads = api.leads_where(&query, 5, same).await?;
    Ok(leads.into_iter().max_by_key(|l| l.created_at.as_deref().and_then(parse_server_time)))
}

/// How a lead the campaign already holds is said: `already in this campaign: #1001, created
/// 2025-06-30 11:53, status completed`.
pub fn already_there(lead: &Lead) -> String {
    let mut text = format!("already in this campaign: #{}", crate::sanitize::cleaned(&lead.id));
    if let Some(created) = &lead.created_at {
        let shown: String = crate::sanitize::cleaned(created).chars().take(16).collect();
        text.push_str(&format!(", created {shown}"));
    }
    if let Some(status) = &lead.status {
        text.push_str(&format!(", status {}", crate::sanitize::cleaned(status)));
    }
    text
}

/// The lead among `leads` that `request`, submitted at `since`, would have created (see
/// [`look_up`]).
fn newest_match(leads: Vec<Lead>, request: &CreateLead, since: Timestamp, taken: &[LeadId]) -> Option<Lead> {
    let earliest = since - CLOCK_SLACK;
    let mut best: Option<(Timestamp, Lead)> = None;
    for lead in leads {
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
    best.map(|(_, lead)| lead)
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
    fn both_server_time_forms() {
        let a = parse_server_time("2025-06-30 11:53:20").unwrap();
        assert_eq!(a.to_string(), "2025-06-30T11:53:20Z");
        let b = parse_server_time("2025-06-02T12:08:17.000000Z").unwrap();
        assert_eq!(b.as_second(), 1_748_866_097);
        assert_eq!(parse_server_time("yesterday"), None);
    }
}
