//! The calls the sandbox's campaigns make, worked out from its leads and its clock (nothing is
//! stored): a lead gets its first call when it leaves `created`; the call is `in-progress` while
//! the lead is `processing` and ends `completed`, answered by a person, with a transcript. A lead
//! that ends `reached-max-retries` was called twice without an answer. A call carries no lead id
//! (as on the real API): it names the phone and the campaign. The transcript comes as a string
//! for some calls and as a list of turns for others, as both shapes occur in the wild.

use std::time::Duration;

use jiff::Timestamp;
use serde_json::{Value, json};

use super::data::{self, CREATED_PHASE, FAIL_EVERY_NTH, PROCESSING_PHASE, StoredLead, format_time};

/// The assistant that calls for every demo campaign, and the number it calls from.
const ASSISTANT: (&str, &str) = ("Ava – Rückruf", "+4930123456789");

/// The calls of `lead` as of `now`, newest first.
pub(crate) fn of(lead: &StoredLead, now: Timestamp) -> Vec<Value> {
    let age = Duration::try_from(now.duration_since(lead.created)).unwrap_or(Duration::ZERO);
    if age < CREATED_PHASE {
        return Vec::new();
    }
    let started = later(lead.created, CREATED_PHASE);
    let name = lead.variables.get("customer_name").and_then(Value::as_str).unwrap_or("").trim();
    let campaign = data::campaign(lead.campaign_id).map_or("", |c| c.name);
    let call = |n: u64, at: Timestamp, status: &str, duration: u64, answered_by: &str, transcript: Value| {
        json!({
            "id": lead.id * 10 + n,
            "assistant_name": ASSISTANT.0,
            "campaign_name": campaign,
            "type": "outbound",
            "duration": duration,
            "assistant_phone_number": ASSISTANT.1,
            "client_phone_number": lead.phone_number,
            "status": status,
            "transcript": transcript,
            "variables": lead.variables,
            "evaluation": Value::Null,
            "webhook_response": Value::Null,
            "carrier_cost": if duration > 0 { 0.014 } else { 0.0 },
            "total_cost": if duration > 0 { 0.09 } else { 0.0 },
            "answered_by": answered_by,
            "recording_url": Value::Null,
            "created_at": format_time(at),
            "updated_at": format_time(later(at, Duration::from_secs(duration))),
        })
    };
    let in_call = age.saturating_sub(CREATED_PHASE);
    if lead.id.is_multiple_of(FAIL_EVERY_NTH) {
        // No one picks up: one try at the start, one halfway through.
        let mut calls = vec![call(1, started, "no-answer", 0, "unknown", json!(""))];
        if in_call >= PROCESSING_PHASE / 2 {
            calls.insert(
                0,
                call(2, later(started, PROCESSING_PHASE / 2), "no-answer", 0, "machine", json!("")),
            );
        }
        return calls;
    }
    let turns = transcript(name, campaign);
    let secs = in_call.min(PROCESSING_PHASE).as_secs();
    // The turns said so far: one every few seconds of the call.
    let step = (PROCESSING_PHASE.as_secs() / turns.len() as u64).max(1);
    let said = usize::try_from(secs / step + 1).unwrap_or(usize::MAX).min(turns.len());
    let (status, answered_by) =
        if in_call < PROCESSING_PHASE { ("in-progress", "human") } else { ("completed", "human") };
    let text = if lead.id.is_multiple_of(2) {
        let lines: Vec<String> = turns[..said].iter().map(|(who, line)| format!("{who}: {line}")).collect();
        json!(lines.join("\n"))
    } else {
        let list: Vec<Value> = turns[..said]
            .iter()
            .enumerate()
            .map(|(i, (who, line))| {
                json!({
                    "sender": if *who == "AI" { "assistant" } else { "user" },
                    "timestamp": format_time(later(started, Duration::from_secs(i as u64 * step))),
                    "text": line,
                })
            })
            .collect();
        Value::Array(list)
    };
    vec![call(1, started, status, secs, answered_by, text)]
}

/// What is said on a call that is answered.
fn transcript(name: &str, campaign: &str) -> Vec<(&'static str, String)> {
    let whom = if name.is_empty() { String::from("there") } else { name.to_owned() };
    vec![
        ("AI", format!("Hello {whom}, this is Ava calling about {campaign}.")),
        ("Customer", "Oh, hi. Yes, we spoke at the stand.".to_owned()),
        ("AI", "Great! Would you like a short demo next week?".to_owned()),
        ("Customer", "Tuesday morning works for me.".to_owned()),
        ("AI", "Perfect, I have booked Tuesday at ten. Thank you!".to_owned()),
    ]
}

fn later(t: Timestamp, by: Duration) -> Timestamp {
    t.checked_add(by).unwrap_or(t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Map;

    fn lead(id: u64) -> StoredLead {
        let mut variables = Map::new();
        variables.insert("customer_name".into(), json!("Ada Lovelace"));
        StoredLead {
            id,
            campaign_id: 12,
            phone_number: "+14155550100".into(),
            variables,
            created: Timestamp::UNIX_EPOCH,
            updated: Timestamp::UNIX_EPOCH,
            status_override: None,
            secondary: vec![],
        }
    }

    fn at(secs: u64) -> Timestamp {
        later(Timestamp::UNIX_EPOCH, Duration::from_secs(secs))
    }

    #[test]
    fn a_lead_is_called_once_it_leaves_created_and_the_call_grows_until_it_ends() {
        let ada = lead(1002);
        assert!(of(&ada, at(5)).is_empty());
        let early = of(&ada, at(CREATED_PHASE.as_secs() + 1));
        assert_eq!(early.len(), 1);
        assert_eq!(early[0]["status"], "in-progress");
        assert_eq!(early[0]["client_phone_number"], "+14155550100");
        let done = of(&ada, at(CREATED_PHASE.as_secs() + PROCESSING_PHASE.as_secs() + 5));
        assert_eq!(
            (done[0]["status"].as_str(), done[0]["answered_by"].as_str()),
            (Some("completed"), Some("human"))
        );
        assert_eq!(done[0]["duration"], PROCESSING_PHASE.as_secs());
        let text = done[0]["transcript"].as_str().unwrap();
        assert!(text.starts_with("AI: Hello Ada Lovelace") && text.contains("Tuesday"), "{text}");
        assert!(text.len() > early[0]["transcript"].as_str().unwrap().len());
        // An odd id: the transcript as a list of turns.
        let turns = of(&lead(1003), at(200));
        assert_eq!(turns[0]["transcript"][0]["sender"], "assistant");
    }

    #[test]
    fn a_lead_nobody_answers_has_two_calls_without_answer() {
        let calls = of(&lead(FAIL_EVERY_NTH * 201), at(500));
        let statuses: Vec<&str> = calls.iter().filter_map(|c| c["status"].as_str()).collect();
        assert_eq!(statuses, ["no-answer", "no-answer"]);
        assert_eq!(calls[0]["answered_by"], "machine");
    }
}
