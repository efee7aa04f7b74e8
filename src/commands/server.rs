//! The commands that ask the server rather than the history: `leads` (the campaign's leads, the
//! team's shared record), `calls` (what the calls of one lead said) and `campaign start|stop`.
//! Exit codes as `create`: 0 done, 2 invalid input, 3 refused by the API, 4 network failure.

use std::process::ExitCode;

use serde::Serialize;

use super::create::{EXIT_INVALID, EXIT_REJECTED, EXIT_UNSURE};
use crate::api::types::{Call, Lead, LeadId, Turn};
use crate::api::{ApiClient, ApiError, CallQuery, LeadQuery};
use crate::cli::{CallsArgs, CampaignAction, LeadsArgs};
use crate::config::Settings;
use crate::history::{HistoryStore, LeadEntry, LocalId};

/// At most this many pages (of 100) are read of one listing: 100,000 leads or calls.
pub(super) const MAX_PAGES: u64 = 1000;

/// `leads`: the server's leads, every page, newest first as the server gives them; printed page
/// by page, so a large account is never held whole.
pub async fn leads(settings: &Settings, args: &LeadsArgs, campaign: Option<u64>) -> ExitCode {
    use std::io::Write;
    let Some((api, _connection)) = connect(settings).await else { return ExitCode::from(EXIT_INVALID) };
    let query = LeadQuery { campaign_id: campaign, status: args.status.clone(), ..LeadQuery::default() };
    let local: std::collections::HashMap<LeadId, LocalId> =
        local_leads(settings).into_iter().filter_map(|e| Some((e.lead_id?, e.local_id))).collect();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut shown = 0_usize;
    let mut broken: Option<std::io::Error> = None;
    let listed = api
        .each_lead_page(&query, MAX_PAGES, |page| {
            for lead in &page {
                let row = LeadRow::new(lead, &local);
                let written = if args.json {
                    let lead = serde_json::to_string_pretty(&row).unwrap_or_default().replace('\n', "\n  ");
                    write!(out, "{}\n  {lead}", if shown == 0 { "[" } else { "," })
                } else {
                    if shown == 0 {
                        let _ = writeln!(
                            out,
                            "{:<10} {:<20} {:<16} {:<9} {:<28} Name",
                            "Id", "Status", "Phone", "Campaign", "Created"
                        );
                    }
                    row.write_line(&mut out)
                };
                if let Err(e) = written {
                    broken = Some(e);
                    return false;
                }
                shown += 1;
            }
            true
        })
        .await;
    let closed = match (args.json, shown) {
        (true, 0) => writeln!(out, "[]"),
        (true, _) => writeln!(out, "\n]"),
        (false, _) => Ok(()),
    };
    let written = broken.map_or_else(|| closed.and_then(|()| out.flush()), Err);
    if let Err(e) = listed {
        return failed(&e);
    }
    match written {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            say!("error: {e}");
            return ExitCode::FAILURE;
        }
        _ => {}
    }
    if shown == 0 && !args.json {
        say!("No leads on the server{}.", campaign.map(|c| format!(" in campaign {c}")).unwrap_or_default());
    }
    ExitCode::SUCCESS
}

/// `calls ID`: the calls of one lead (the server ties calls to a phone and a campaign).
pub async fn calls(settings: &Settings, args: &CallsArgs) -> ExitCode {
    let Some((api, _connection)) = connect(settings).await else { return ExitCode::from(EXIT_INVALID) };
    let target = match find(&api, settings, &args.id).await {
        Ok(target) => target,
        Err(code) => return code,
    };
    let query = CallQuery {
        phone_number: Some(target.phone.clone()),
        campaign_id: Some(target.campaign),
        ..CallQuery::default()
    };
    let calls = match api.all_calls(&query, MAX_PAGES).await {
        Ok(calls) => calls,
        Err(e) => return failed(&e),
    };
    // The server matches the phone partially: keep the calls to exactly this number.
    let calls: Vec<Call> = calls
        .into_iter()
        .filter(|c| c.client_phone_number.as_deref().is_none_or(|p| p == target.phone))
        .collect();
    if args.json {
        let calls: Vec<serde_json::Value> =
            calls.iter().map(|c| cleaned_value(serde_json::to_value(c).unwrap_or_default())).collect();
        return print_json(&calls);
    }
    if calls.is_empty() {
        say!("No calls yet for lead {} ({}, campaign {}).", target.id, target.phone, target.campaign);
        return ExitCode::SUCCESS;
    }
    for call in &calls {
        let clean = |s: Option<&str>| crate::sanitize::cleaned(s.unwrap_or(""));
        println!(
            "{}  {}  {} s  answered by {}",
            clean(call.created_at.as_deref()),
            clean(call.status.as_deref()),
            call.duration.unwrap_or(0),
            clean(call.answered_by.as_deref().or(Some("?"))),
        );
        for Turn { sender, text, .. } in &call.transcript {
            let who = if sender.is_empty() {
                String::new()
            } else {
                format!("{}: ", crate::sanitize::cleaned(sender))
            };
            println!("    {who}{}", crate::sanitize::cleaned(text));
        }
    }
    ExitCode::SUCCESS
}

/// `campaign start|stop ID`.
pub async fn campaign(settings: &Settings, action: CampaignAction, id: u64) -> ExitCode {
    let Some((api, _connection)) = connect(settings).await else { return ExitCode::from(EXIT_INVALID) };
    let start = matches!(action, CampaignAction::Start);
    match api.set_campaign_running(id, start).await {
        Ok(status) => {
            println!("Campaign {id} is {status}.");
            ExitCode::SUCCESS
        }
        Err(ApiError::Rejected { message, errors, .. }) if start => {
            say!("error: campaign {id} was not started: {message}");
            // A refusal of the request itself (no such campaign) is not about its leads.
            if errors.is_empty() {
                say!("note: a campaign needs leads before it can start (create one first).");
            }
            ExitCode::from(EXIT_REJECTED)
        }
        Err(e) => failed(&e),
    }
}

/// A lead of `leads --json`: the server's fields, and its local id when it is in this history.
#[derive(Debug, Serialize)]
struct LeadRow {
    id: String,
    phone_number: Option<String>,
    campaign_id: Option<u64>,
    status: Option<String>,
    variables: serde_json::Value,
    created_at: Option<String>,
    local_id: Option<LocalId>,
}

impl LeadRow {
    fn new(lead: &Lead, local: &std::collections::HashMap<LeadId, LocalId>) -> LeadRow {
        // Cleaned here too: JSON escapes C0 controls, but C1 controls and bidi overrides would
        // reach a terminal as they are.
        let clean = |s: &Option<String>| s.as_deref().map(crate::sanitize::cleaned);
        LeadRow {
            id: lead.id.to_string(),
            phone_number: clean(&lead.phone_number),
            campaign_id: lead.campaign_id.or(lead.campaign.as_ref().map(|c| c.id)),
            status: clean(&lead.status),
            variables: cleaned_value(lead.variables.clone().unwrap_or_else(|| serde_json::json!({}))),
            created_at: clean(&lead.created_at),
            local_id: local.get(&lead.id).copied(),
        }
    }

    fn name(&self) -> String {
        let vars = self.variables.as_object();
        let name = vars.and_then(|v| v.get("customer_name")).or_else(|| vars.and_then(|v| v.values().next()));
        name.and_then(serde_json::Value::as_str).unwrap_or("").to_owned()
    }

    /// One line of the table, cleaned for the terminal.
    fn write_line(&self, out: &mut impl std::io::Write) -> std::io::Result<()> {
        let clean = |s: &str| crate::sanitize::cleaned(s);
        writeln!(
            out,
            "{:<10} {:<20} {:<16} {:<9} {:<28} {}{}",
            clean(&self.id),
            clean(self.status.as_deref().unwrap_or("")),
            clean(self.phone_number.as_deref().unwrap_or("")),
            self.campaign_id.map(|c| c.to_string()).unwrap_or_default(),
            clean(self.created_at.as_deref().unwrap_or("")),
            clean(&self.name()),
            if self.local_id.is_some() { "  (yours)" } else { "" },
        )
    }
}

/// The lead an `ID` names: the server's id, or a local id from this history.
pub(super) struct Target {
    /// The server's id.
    pub id: LeadId,
    /// Its phone number, E.164.
    pub phone: String,
    /// Its campaign.
    pub campaign: u64,
    /// Its local id, when this history holds it.
    pub local_id: Option<LocalId>,
}

/// Finds the lead `id` names: in the history (a local id, or a server id a lead here has), else
/// among the server's leads. The error is the exit code, its reason said.
pub(super) async fn find(api: &ApiClient, settings: &Settings, id: &str) -> Result<Target, ExitCode> {
    let id = id.trim();
    let local = local_leads(settings);
    let by_server_id = |id: &str| local.iter().rev().find(|e| e.lead_id.as_deref() == Some(id));
    let here = match id.parse::<uuid::Uuid>() {
        // A server's id may be a UUID too: a local id first, then a server id.
        Ok(uuid) if !local.iter().any(|e| e.local_id.0 == uuid) && by_server_id(id).is_some() => {
            by_server_id(id).map(|e| (LeadId::from(id), e))
        }
        Ok(uuid) => {
            let Some(entry) = local.iter().find(|e| e.local_id.0 == uuid) else {
                say!("error: no lead with the local id {id} in {}", settings.history_file().display());
                return Err(ExitCode::from(EXIT_INVALID));
            };
            let Some(lead_id) = &entry.lead_id else {
                say!("error: lead {id} was never created on the server (it is {})", entry.status.as_str());
                return Err(ExitCode::from(EXIT_INVALID));
            };
            Some((lead_id.clone(), entry))
        }
        Err(_) => {
            local.iter().rev().find(|e| e.lead_id.as_deref() == Some(id)).map(|e| (LeadId::from(id), e))
        }
    };
    if let Some((lead_id, entry)) = here {
        let request = &entry.request;
        return Ok(Target {
            id: lead_id,
            phone: request.phone_number.to_string(),
            campaign: request.campaign_id,
            local_id: Some(entry.local_id),
        });
    }
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
        say!("error: `{id}` is neither a lead id (a number) nor a local id (a UUID)");
        return Err(ExitCode::from(EXIT_INVALID));
    }
    // There is no single-lead GET: the lead is looked for among the account's leads, page by
    // page until found.
    let mut found = None;
    let searched = api
        .each_lead_page(&LeadQuery::default(), MAX_PAGES, |page| {
            found = page.into_iter().find(|l| l.id == id);
            found.is_none()
        })
        .await;
    if let Err(e) = searched {
        return Err(failed(&e));
    }
    let Some(lead) = found else {
        say!("error: the server has no lead {id}");
        return Err(ExitCode::from(EXIT_INVALID));
    };
    let campaign = lead.campaign_id.or(lead.campaign.map(|c| c.id));
    if let (Some(phone), Some(campaign)) = (lead.phone_number, campaign) {
        Ok(Target { id: lead.id, phone, campaign, local_id: None })
    } else {
        say!("error: the server did not say lead {id}'s phone and campaign");
        Err(ExitCode::from(EXIT_UNSURE))
    }
}

/// The leads of this history, read without writing; none when it cannot be read (said once).
pub(super) fn local_leads(settings: &Settings) -> Vec<LeadEntry> {
    match HistoryStore::read_only(settings.history_file()).load_leads() {
        Ok(folded) => folded.leads.into_vec(),
        Err(e) => {
            say!("warning: {e}; leads are not matched to this history");
            Vec::new()
        }
    }
}

/// The client, with the connection that keeps an in-process sandbox alive; `None` when there is
/// no key or the URL is refused (said).
async fn connect(settings: &Settings) -> Option<(ApiClient, super::Connection)> {
    let connection = match super::connect(settings).await {
        Ok(connection) => connection,
        Err(message) => {
            say!("error: {message}");
            return None;
        }
    };
    let Some(api) = connection.api.clone() else {
        say!("error: {}", super::no_key_message(settings));
        return None;
    };
    Some((api, connection))
}

/// Says what went wrong and gives the exit code for it.
pub(super) fn failed(error: &ApiError) -> ExitCode {
    say!("error: {error}");
    ExitCode::from(match error {
        ApiError::Invalid(_) => EXIT_INVALID,
        ApiError::Rejected { .. } | ApiError::Auth(_) => EXIT_REJECTED,
        _ => EXIT_UNSURE,
    })
}

/// `value` with every string (and key) cleaned of control and bidi characters.
pub(super) fn cleaned_value(value: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::String(s) => Value::String(crate::sanitize::cleaned(&s)),
        Value::Array(items) => Value::Array(items.into_iter().map(cleaned_value).collect()),
        Value::Object(map) => Value::Object(
            map.into_iter().map(|(k, v)| (crate::sanitize::cleaned(&k), cleaned_value(v))).collect(),
        ),
        other => other,
    }
}

fn print_json(value: &impl Serialize) -> ExitCode {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match serde_json::to_writer_pretty(&mut out, value).map_err(std::io::Error::from).and_then(|()| {
        use std::io::Write;
        writeln!(out)
    }) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            say!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
