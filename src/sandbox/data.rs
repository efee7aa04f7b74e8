//! The sandbox's demo account: its campaigns and assistants, the stored lead record, how a lead
//! is written on the wire, and the clock that moves a lead through its statuses.

use std::time::Duration;

use jiff::Timestamp;
use serde_json::{Map, Value, json};

/// How long a new lead reports `created` (waiting for its first call).
pub const CREATED_PHASE: Duration = Duration::from_secs(20);
/// How long a lead then reports `processing` (the call) before it is finished.
pub const PROCESSING_PHASE: Duration = Duration::from_secs(40);
/// Every lead whose id is a multiple of this ends `reached-max-retries` instead of `completed`.
pub const FAIL_EVERY_NTH: u64 = 5;

/// A demo campaign, written out as `GET /user/campaigns` shows it.
pub(crate) struct DemoCampaign {
    pub id: u64,
    pub name: &'static str,
    pub status: &'static str,
    max_calls_in_parallel: u32,
    hours: (&'static str, &'static str),
    days: &'static [&'static str],
    max_retries: u32,
    retry_interval: u32,
    mark_complete_when_no_leads: bool,
    created_at: &'static str,
    updated_at: &'static str,
}

const WEEKDAYS: &[&str] = &["monday", "tuesday", "wednesday", "thursday", "friday"];

/// The demo account's campaigns: a German trade fair, a US SaaS trial, a draft and a stopped one.
pub(crate) const CAMPAIGNS: &[DemoCampaign] = &[
    DemoCampaign {
        id: 12,
        name: "Hannover Messe 2025 – Rückrufe Standbesucher",
        status: "in-progress",
        max_calls_in_parallel: 3,
        hours: ("09:00", "17:00"),
        days: WEEKDAYS,
        max_retries: 3,
        retry_interval: 60,
        mark_complete_when_no_leads: false,
        created_at: "2025-03-24T08:15:02.000000Z",
        updated_at: "2025-04-02T14:40:19.000000Z",
    },
    DemoCampaign {
        id: 17,
        name: "Acme Cloud – Free trial follow-up (US)",
        status: "in-progress",
        max_calls_in_parallel: 5,
        hours: ("09:00", "17:00"),
        days: WEEKDAYS,
        max_retries: 2,
        retry_interval: 120,
        mark_complete_when_no_leads: true,
        created_at: "2025-05-12T16:03:44.000000Z",
        updated_at: "2025-06-30T11:53:20.000000Z",
    },
    DemoCampaign {
        id: 23,
        name: "Webinar „KI im Vertrieb“ – Erinnerung",
        status: "draft",
        max_calls_in_parallel: 1,
        hours: ("10:00", "16:00"),
        days: &["tuesday", "wednesday", "thursday"],
        max_retries: 1,
        retry_interval: 30,
        mark_complete_when_no_leads: false,
        created_at: "2025-06-18T09:27:51.000000Z",
        updated_at: "2025-06-18T09:27:51.000000Z",
    },
    DemoCampaign {
        id: 31,
        name: "Q4 win-back – churned accounts",
        status: "stopped",
        max_calls_in_parallel: 2,
        hours: ("09:00", "17:00"),
        days: WEEKDAYS,
        max_retries: 3,
        retry_interval: 240,
        mark_complete_when_no_leads: true,
        created_at: "2024-10-01T07:00:00.000000Z",
        updated_at: "2024-12-20T17:45:09.000000Z",
    },
];

/// The campaign with this id, if the demo account has one.
pub(crate) fn campaign(id: u64) -> Option<&'static DemoCampaign> {
    CAMPAIGNS.iter().find(|c| c.id == id)
}

impl DemoCampaign {
    /// The campaign as `GET /user/campaigns` lists it.
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "name": self.name,
            "status": self.status,
            "max_calls_in_parallel": self.max_calls_in_parallel,
            "allowed_hours_start_time": self.hours.0,
            "allowed_hours_end_time": self.hours.1,
            "allowed_days": self.days,
            "max_retries": self.max_retries,
            "retry_interval": self.retry_interval,
            "mark_complete_when_no_leads": self.mark_complete_when_no_leads,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        })
    }
}

/// Every assistant of the demo account (outbound and inbound), as the paged list shows them.
/// Names come in the order a person fills them (name and e-mail first), as docs/entry-speed.md's
/// fast path expects of a campaign's assistant.
pub(crate) fn assistants() -> Vec<Value> {
    let entry = |id: u64, name: &str, kind: &str, language: &str, variables: Value| {
        json!({
            "id": id,
            "name": name,
            "type": kind,
            "status": "active",
            "language": language,
            "timezone": if language == "de" { "Europe/Berlin" } else { "America/New_York" },
            "variables": variables,
            "created_at": "2025-03-20T10:11:12.000000Z",
            "updated_at": "2025-06-30T11:53:20.000000Z",
        })
    };
    vec![
        entry(
            4,
            "Lena – Messe-Rückruf (DE)",
            "outbound",
            "de",
            json!({"customer_name": "", "email": "", "company_name": "",
                   "booth_hall": "Halle 7", "product_interest": "demo"}),
        ),
        entry(
            7,
            "Jordan – Trial follow-up (EN)",
            "outbound",
            "en",
            json!({"customer_name": "", "email": "", "company_name": "",
                   "plan": "Starter", "product_interest": "demo"}),
        ),
        entry(9, "Mia – Reception (inbound)", "inbound", "en", json!({"caller_name": ""})),
    ]
}

/// A lead as the sandbox stores it (and, with `--sandbox`, keeps between runs).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct StoredLead {
    pub id: u64,
    pub campaign_id: u64,
    pub phone_number: String,
    pub variables: Map<String, Value>,
    pub created: Timestamp,
    /// The last time a `PUT` changed it (the creation time until then).
    pub updated: Timestamp,
    /// A status set by `PUT`; it then no longer moves with the clock.
    pub status_override: Option<String>,
    pub secondary: Vec<StoredContact>,
}

/// A secondary contact of a stored lead; it shares the lead's times.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct StoredContact {
    pub id: u64,
    pub phone_number: String,
    pub variables: Map<String, Value>,
}

/// The status a lead that nobody touched reports `age` after its creation, and how long after
/// its creation it entered that status.
pub(crate) fn status_at(id: u64, age: Duration) -> (&'static str, Duration) {
    let finished = CREATED_PHASE + PROCESSING_PHASE;
    if age < CREATED_PHASE {
        ("created", Duration::ZERO)
    } else if age < finished {
        ("processing", CREATED_PHASE)
    } else if id.is_multiple_of(FAIL_EVERY_NTH) {
        ("reached-max-retries", finished)
    } else {
        ("completed", finished)
    }
}

/// The server's time format: `2025-06-30 11:53:20`, UTC, no zone.
pub(crate) fn format_time(t: Timestamp) -> String {
    t.strftime("%Y-%m-%d %H:%M:%S").to_string()
}

fn later(t: Timestamp, by: Duration) -> Timestamp {
    t.checked_add(by).unwrap_or(t)
}

impl StoredLead {
    /// The status and last-update time the lead shows at `now`.
    pub fn status(&self, id: u64, now: Timestamp) -> (String, Timestamp) {
        if let Some(status) = &self.status_override {
            return (status.clone(), self.updated);
        }
        let age = Duration::try_from(now.duration_since(self.created)).unwrap_or(Duration::ZERO);
        let (status, since) = status_at(id, age);
        (status.to_owned(), self.updated.max(later(self.created, since)))
    }

    /// The lead in the current documented shape (`data` of a create answer, or a list item).
    pub fn to_json(&self, now: Timestamp) -> Value {
        let (status, updated) = self.status(self.id, now);
        let contacts: Vec<Value> = self
            .secondary
            .iter()
            .map(|c| {
                let (status, updated) = self.status(c.id, now);
                json!({
                    "id": c.id,
                    "phone_number": c.phone_number,
                    "variables": c.variables,
                    "status": status,
                    "created_at": format_time(self.created),
                    "updated_at": format_time(updated),
                })
            })
            .collect();
        json!({
            "id": self.id,
            "campaign_id": self.campaign_id,
            "phone_number": self.phone_number,
            "variables": self.variables,
            "status": status,
            "created_at": format_time(self.created),
            "updated_at": format_time(updated),
            "campaign": {
                "id": self.campaign_id,
                "name": campaign(self.campaign_id).map_or("", |c| c.name),
            },
            "secondary_contacts": contacts,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_move_with_age() {
        let s = |id, secs| status_at(id, Duration::from_secs(secs)).0;
        assert_eq!(s(1, 0), "created");
        assert_eq!(s(1, 19), "created");
        assert_eq!(s(1, 20), "processing");
        assert_eq!(s(1, 59), "processing");
        assert_eq!(s(1, 60), "completed");
        assert_eq!(s(FAIL_EVERY_NTH, 60), "reached-max-retries");
    }

    #[test]
    fn campaign_ids_are_unique_and_times_have_the_server_format() {
        let mut ids: Vec<u64> = CAMPAIGNS.iter().map(|c| c.id).collect();
        ids.dedup();
        assert_eq!(ids.len(), CAMPAIGNS.len());
        let t = Timestamp::from_second(1_751_284_400).unwrap_or(Timestamp::UNIX_EPOCH);
        assert_eq!(format_time(t), "2025-06-30 11:53:20");
    }
}
