//! `autocalls-tui create`: one lead without the TUI, through the same validation, the same
//! history (written before the request starts) and the same classification as the form.

use std::process::ExitCode;

use std::time::Duration;

use crate::api::types::{CreateLead, Created};
use crate::api::{ApiClient, ApiError};
use crate::cli::CreateArgs;
use crate::config::Settings;
use crate::delivery::{Next, backoff, look_up, next_after};
use crate::history::query::LeadJson;
use crate::history::{HistoryStore, LeadEntry, LeadError, LocalId, Outcome, Record, Status};
use crate::lead::{self, LeadDraft, SecondaryDraft};

/// Exit code: the lead was created.
pub const EXIT_CREATED: u8 = 0;
/// Exit code: the input is invalid; nothing was sent.
pub const EXIT_INVALID: u8 = 2;
/// Exit code: the API refused the lead.
pub const EXIT_REJECTED: u8 = 3;
/// Exit code: the network failed or the outcome is unknown; the lead is in the history.
pub const EXIT_UNSURE: u8 = 4;

/// Validates, records, sends, records the outcome, prints it.
pub async fn run(settings: &Settings, args: &CreateArgs) -> ExitCode {
    let draft = match draft(settings, args) {
        Ok(draft) => draft,
        Err(message) => return invalid(&[message]),
    };
    let request = match lead::validate(&draft, settings.region) {
        Ok(request) => request,
        Err(errors) => return invalid(&errors.iter().map(ToString::to_string).collect::<Vec<_>>()),
    };
    let connection = match super::connect(settings).await {
        Ok(connection) => connection,
        Err(message) => return invalid(&[message]),
    };
    let Some(api) = connection.api.clone() else { return invalid(&[super::no_key_message(settings)]) };
    let store = match HistoryStore::open(settings.history_file()) {
        Ok(store) => store,
        Err(e) => return local_failure(&e.to_string()),
    };
    let local_id = LocalId::new();
    let submitted = Record::submitted(local_id, request.clone(), "cli");
    let mut entry = LeadEntry::new(local_id, submitted.at, request.clone());
    if let Err(e) = store.append(&submitted) {
        return local_failure(&format!("{e}; the lead was not sent"));
    }
    tracing::info!(%local_id, "create: sending");
    let taken = known_lead_ids(&store, &request);
    let result = deliver(&api, &request, local_id, submitted.at, &store, &mut entry, &taken).await;
    report(&entry, &result, args.json)
}

/// Tries a few times over a few seconds, by the same rules as the TUI: resend only what cannot
/// have been created, look up what may have been. What is still open at the end stays in the
/// history (queued or unknown) for the TUI to resume.
async fn deliver(
    api: &ApiClient,
    request: &CreateLead,
    local_id: LocalId,
    since: jiff::Timestamp,
    store: &HistoryStore,
    entry: &mut LeadEntry,
    taken: &[String],
) -> Result<Created, ApiError> {
    const MAX_SENDS: u32 = 3;
    const MAX_LOOKUPS: u32 = 3;
    /// Longer waits are left to the TUI: a script should not hang.
    const MAX_WAIT: Duration = Duration::from_secs(10);
    let salt = local_id.0.as_u64_pair().1;
    let mut tries = 0;
    loop {
        tries += 1;
        let result = api.create_lead(request).await;
        let error = match result {
            Ok(created) => {
                record(store, entry, local_id, Outcome::from_result(&Ok(created.clone())));
                return Ok(created);
            }
            Err(error) => error,
        };
        let open = |status| Outcome { status, error: Some(LeadError::from(&error)), ..Outcome::default() };
        match next_after(&error, tries, salt) {
            Next::GiveUp => {
                record(store, entry, local_id, Outcome::from_result(&Err(error.clone())));
                return Err(error);
            }
            Next::NeedKey => {
                record(store, entry, local_id, open(Status::Queued));
                return Err(error);
            }
            Next::RetryAfter(wait) => {
                record(store, entry, local_id, open(Status::Queued));
                if tries >= MAX_SENDS || wait > MAX_WAIT {
                    return Err(error);
                }
                say!("{error}; trying again in {} s", wait.as_secs().max(1));
                tokio::time::sleep(wait).await;
            }
            Next::LookUp => {
                record(store, entry, local_id, open(Status::Unknown));
                say!("{error}; checking whether the server created it");
                let mut lookups = 0;
                loop {
                    lookups += 1;
                    match look_up(api, request, since, taken).await {
                        Ok(Some(lead)) => {
                            let created = Created { lead, message: None };
                            record(store, entry, local_id, Outcome::from_result(&Ok(created.clone())));
                            return Ok(created);
                        }
                        // Proven not created: it may be sent again, after a pause.
                        Ok(None) if tries < MAX_SENDS => {
                            tokio::time::sleep(backoff(tries, salt).min(MAX_WAIT)).await;
                            break;
                        }
                        Ok(None) => {
                            record(store, entry, local_id, open(Status::Queued));
                            return Err(error);
                        }
                        Err(lookup_error) if lookups >= MAX_LOOKUPS => {
                            say!("the check failed too: {lookup_error}");
                            return Err(error);
                        }
                        Err(lookup_error) => {
                            let wait = match next_after(&lookup_error, lookups, salt) {
                                Next::RetryAfter(wait) => wait,
                                _ => backoff(lookups, salt),
                            };
                            tokio::time::sleep(wait.min(MAX_WAIT)).await;
                        }
                    }
                }
            }
        }
    }
}

/// The server ids the history already gives to leads with this phone and campaign, so a look-up
/// never takes an earlier lead for this one.
fn known_lead_ids(store: &HistoryStore, request: &CreateLead) -> Vec<String> {
    let Ok(folded) = store.load_leads() else { return Vec::new() };
    folded
        .leads
        .into_iter()
        .filter(|e| {
            e.request.phone_number == request.phone_number && e.request.campaign_id == request.campaign_id
        })
        .filter_map(|e| e.lead_id.map(String::from))
        .collect()
}

/// Appends an outcome record and applies it to the entry that is reported.
fn record(store: &HistoryStore, entry: &mut LeadEntry, local_id: LocalId, outcome: Outcome) {
    let record = Record::outcome(local_id, outcome.clone());
    entry.apply(outcome, record.at);
    if let Err(e) = store.append(&record) {
        say!("warning: the result could not be written to the history: {e}");
    }
}

fn draft(settings: &Settings, args: &CreateArgs) -> Result<LeadDraft, String> {
    let campaign = settings.campaign.ok_or("--campaign is required")?;
    let variables = args.vars.iter().map(|v| split_pair(v)).collect::<Result<Vec<_>, _>>()?;
    let secondary = args.secondary.iter().map(|s| parse_secondary(s)).collect::<Result<Vec<_>, _>>()?;
    Ok(LeadDraft {
        phone: args.phone.clone(),
        campaign: campaign.to_string(),
        allow_duplicate: args.allow_duplicate,
        variables,
        secondary,
    })
}

fn split_pair(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.trim().is_empty() => Ok((key.trim().to_owned(), value.to_owned())),
        _ => Err(format!("`{text}` is not KEY=VALUE")),
    }
}

/// `PHONE[,KEY=VALUE...]`. A piece without `=` belongs to the value before it, so values may
/// contain commas (`city=Berlin, Germany`).
pub fn parse_secondary(spec: &str) -> Result<SecondaryDraft, String> {
    let mut pieces = spec.split(',');
    let phone = pieces.next().unwrap_or_default().trim().to_owned();
    let mut variables: Vec<(String, String)> = Vec::new();
    for piece in pieces {
        match (piece.split_once('='), variables.last_mut()) {
            (Some((key, value)), _) if !key.trim().is_empty() && !key.contains(' ') => {
                variables.push((key.trim().to_owned(), value.to_owned()));
            }
            (_, Some((_, value))) => {
                value.push(',');
                value.push_str(piece);
            }
            (_, None) => return Err(format!("secondary contact `{spec}`: `{piece}` is not KEY=VALUE")),
        }
    }
    Ok(SecondaryDraft { phone, variables })
}

fn invalid(messages: &[String]) -> ExitCode {
    for m in messages {
        say!("error: {m}");
    }
    say!("Nothing was sent.");
    ExitCode::from(EXIT_INVALID)
}

fn local_failure(message: &str) -> ExitCode {
    say!("error: {message}");
    ExitCode::FAILURE
}

fn report(entry: &LeadEntry, result: &Result<crate::api::types::Created, ApiError>, json: bool) -> ExitCode {
    if json {
        match serde_json::to_string_pretty(&LeadJson::from(entry)) {
            Ok(text) => println!("{text}"),
            Err(e) => say!("error: {e}"),
        }
    }
    let phone = &entry.request.phone_number;
    match (entry.status, result) {
        (Status::Created, _) => {
            if !json {
                let campaign = entry
                    .campaign_name
                    .as_deref()
                    .map(|n| format!("{n} (#{})", entry.request.campaign_id))
                    .unwrap_or_else(|| format!("#{}", entry.request.campaign_id));
                println!(
                    "created lead #{} for {phone} in campaign {campaign}",
                    entry.lead_id.as_deref().unwrap_or("?")
                );
            }
            ExitCode::from(EXIT_CREATED)
        }
        (_, Err(ApiError::Rejected { status, message, errors })) => {
            say!("rejected ({status}): {message}");
            for (field, messages) in errors {
                say!("  {field}: {}", messages.join(" "));
            }
            ExitCode::from(EXIT_REJECTED)
        }
        (_, Err(e @ ApiError::Auth(_))) => {
            say!("{e}");
            say!("The lead is kept queued in the history; it goes out once a working key is set.");
            ExitCode::from(EXIT_REJECTED)
        }
        (_, Err(ApiError::Invalid(message))) => {
            say!("error: {message}");
            ExitCode::from(EXIT_INVALID)
        }
        (status, Err(e)) => {
            say!("{e}");
            say!(
                "The lead is kept in the history as {} ({}); autocalls-tui resumes it, checking the server first.",
                status.as_str(),
                entry.local_id
            );
            ExitCode::from(EXIT_UNSURE)
        }
        (_, Ok(_)) => ExitCode::from(EXIT_UNSURE),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secondary_specs() {
        let s = parse_secondary("+49 30 1234567,customer_name=Office,city=Berlin, Germany").unwrap();
        assert_eq!(s.phone, "+49 30 1234567");
        assert_eq!(
            s.variables,
            [
                ("customer_name".to_owned(), "Office".to_owned()),
                ("city".to_owned(), "Berlin, Germany".to_owned())
            ]
        );
        assert_eq!(parse_secondary("+1 415 555 0100").unwrap().variables, []);
        assert!(parse_secondary("+1 415,oops").is_err());
    }

    #[test]
    fn variables_need_a_key() {
        assert_eq!(split_pair("a=b=c").unwrap(), ("a".to_owned(), "b=c".to_owned()));
        assert!(split_pair("=x").is_err());
        assert!(split_pair("novalue").is_err());
    }
}
