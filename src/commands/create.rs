//! `autocalls-tui create`: one lead without the TUI, through the same validation, the same
//! history (written before the request starts) and the same classification as the form.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use crate::api::types::{CreateLead, LeadId};
use crate::api::{ApiClient, ApiError, ErrorKind};
use crate::cli::CreateArgs;
use crate::config::Settings;
use crate::delivery::engine::{Command, Delivery, Event, Phase, Rules, Step};
use crate::delivery::look_up;
use crate::history::query::LeadJson;
use crate::history::{HistoryStore, LeadEntry, LocalId, Outcome, Record, RunLock, Status};
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
    // The campaign is the team's: a phone someone else entered is as taken as one from here.
    // Asked before anything is written; when the server cannot be asked, the send itself finds
    // out (the API refuses a duplicate).
    if !request.allow_dupplicate {
        match crate::delivery::already_in_campaign(&api, &request.phone_number, request.campaign_id).await {
            Ok(Some(lead)) => {
                say!("{}: {}", request.phone_number, crate::delivery::already_there(&lead));
                say!("Nothing was sent (--allow-duplicate sends it all the same).");
                return ExitCode::from(EXIT_REJECTED);
            }
            Ok(None) => {}
            Err(e) => tracing::info!(error = %e, "the duplicate check could not ask the server"),
        }
    }
    let store = match HistoryStore::open(settings.history_file()) {
        Ok(store) => store,
        Err(e) => return local_failure(&e.to_string()),
    };
    // This command's run holds the lead while it is open; when the command ends with the lead
    // still open, the next TUI takes it over at once.
    let run = match RunLock::take(&store.runs_dir()) {
        Ok(run) => run,
        Err(e) => {
            let dir = store.runs_dir();
            return local_failure(&format!("{}: {e}; the lead was not sent", dir.display()));
        }
    };
    let store = store.with_run(run.id());
    for notice in &settings.notices {
        say!("note: {notice}");
    }
    let local_id = LocalId::new();
    let submitted = Record::submitted(local_id, request.clone(), "cli");
    let mut entry = LeadEntry::new(local_id, submitted.at, request.clone());
    if let Err(e) = store.append(&submitted) {
        return local_failure(&format!("{e}; the lead was not sent"));
    }
    tracing::info!(%local_id, "create: sending");
    let lead = Lead { api: &api, request: &request, local_id, since: submitted.at, store: &store };
    let taken = known_lead_ids(&store, &request);
    lead.deliver(&mut entry, &taken, Rules::for_timeout(settings.request_timeout), None).await;
    drop(run);
    report(&entry, args.json)
}

/// What `create` (and `import`, row by row) sends and where it writes.
pub(super) struct Lead<'a> {
    pub(super) api: &'a ApiClient,
    pub(super) request: &'a CreateLead,
    pub(super) local_id: LocalId,
    pub(super) since: jiff::Timestamp,
    pub(super) store: &'a HistoryStore,
}

impl Lead<'_> {
    /// Drives the delivery engine (the TUI's rules) for a while: a script should not hang, so
    /// longer waits are left to the TUI, which takes the lead over once this command has ended.
    /// `resumed`: the lead was left open as this by a run that ended (and this one took it
    /// over): it is looked up first, as the TUI does; `None` for a lead just submitted.
    pub(super) async fn deliver(
        &self,
        entry: &mut LeadEntry,
        taken: &[LeadId],
        rules: Rules,
        resumed: Option<Status>,
    ) {
        /// Sends tried before the lead is left to the TUI.
        const MAX_SENDS: u32 = 3;
        /// The longest single wait followed (a settling lead's look-ups are followed to its end).
        const MAX_WAIT: Duration = Duration::from_secs(10);
        let deadline = Instant::now() + rules.settle + MAX_WAIT;
        let salt = self.local_id.0.as_u64_pair().1;
        let (mut delivery, mut command) = if let Some(status) = resumed {
            let delivery = Delivery::resumed(status, Instant::now(), salt, rules);
            let command = delivery.command();
            (delivery, command)
        } else {
            let mut delivery = Delivery::submitted(salt, rules);
            let command = delivery.on(Event::Saved { ok: true }, Instant::now());
            (delivery, command)
        };
        // Whether the last look-up got an answer (else "not on the server yet" is not known).
        let mut looked_up_ok = false;
        loop {
            let event = match command {
                Command::Queue => Event::Go,
                Command::Send => {
                    let result = self.api.create_lead(self.request).await;
                    // A refusal is the end, and the report says it; what passes is said now.
                    if let Some(e) = result.as_ref().err().filter(|e| !matches!(e, ApiError::Rejected { .. }))
                    {
                        say!("{e}");
                    }
                    Event::Sent(result)
                }
                Command::LookUp => {
                    say!("checking whether the server created it");
                    let found = look_up(self.api, self.request, self.since, taken).await;
                    if let Err(e) = &found {
                        say!("the look-up failed: {e}");
                    }
                    looked_up_ok = found.is_ok();
                    Event::LookedUp(found)
                }
                Command::Record(outcome) => Event::Saved { ok: self.record(entry, *outcome) },
                Command::Wait(until) => {
                    let now = Instant::now();
                    let wait = until.saturating_duration_since(now);
                    let settling = delivery.settle_at.is_some_and(|at| until <= at);
                    let resend = matches!(delivery.phase, Phase::Waiting { next: Step::Send, .. });
                    if until > deadline
                        || (!settling && wait > MAX_WAIT)
                        || (resend && delivery.tries >= MAX_SENDS)
                    {
                        break;
                    }
                    match delivery.settling_left(now) {
                        Some(left) if settling && looked_up_ok => say!(
                            "not on the server yet; the server may still be creating it, so it is looked up for {} s more before it is sent again",
                            secs(left)
                        ),
                        Some(left) if settling => say!(
                            "the server could not be asked; it is asked again for {} s before the lead may be sent again",
                            secs(left)
                        ),
                        _ if resend => say!("trying again in {} s", secs(wait)),
                        _ => {}
                    }
                    tokio::time::sleep_until(until.into()).await;
                    Event::WaitOver
                }
                Command::NeedKey | Command::Finished | Command::Nothing => break,
            };
            command = delivery.on(event, Instant::now());
        }
    }

    /// Appends an outcome record and applies it to the entry that is reported.
    fn record(&self, entry: &mut LeadEntry, outcome: Outcome) -> bool {
        let record = Record::outcome(self.local_id, outcome.clone());
        entry.apply(outcome, record.at);
        match self.store.append(&record) {
            Ok(()) => true,
            Err(e) => {
                say!("warning: the result could not be written to the history: {e}");
                false
            }
        }
    }
}

/// The server ids the history already gives to leads with this phone and campaign, so a look-up
/// never takes an earlier lead for this one.
pub(super) fn known_lead_ids(store: &HistoryStore, request: &CreateLead) -> Vec<LeadId> {
    let Ok(folded) = store.load_leads() else { return Vec::new() };
    // What the TUI and `history` say at start (a history others can read, damaged lines) is
    // said here too.
    for problem in &folded.loaded.problems {
        say!("warning: {problem}");
    }
    folded
        .leads
        .peeks()
        .filter(|e| e.phone == request.phone_number && e.campaign_id == request.campaign_id)
        .filter_map(|e| e.lead_id.map(crate::api::types::LeadId::from))
        .collect()
}

/// Whole seconds as a person reads a wait: rounded, and never "0 s".
fn secs(wait: Duration) -> u64 {
    (wait.as_millis().div_ceil(1000) as u64).max(1)
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

fn report(entry: &LeadEntry, json: bool) -> ExitCode {
    if json {
        match serde_json::to_string_pretty(&LeadJson::from(entry)) {
            Ok(text) => println!("{text}"),
            Err(e) => say!("error: {e}"),
        }
    }
    let phone = &entry.request.phone_number;
    let error = entry.error.as_deref();
    let kind = error.map(|e| e.kind);
    match entry.status {
        Status::Created => {
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
        Status::Rejected => {
            if let Some(error) = error {
                say!("rejected ({}): {}", error.http_status.unwrap_or_default(), error.message);
                for (field, messages) in &error.fields {
                    say!("  {field}: {}", messages.join(" "));
                }
            }
            ExitCode::from(EXIT_REJECTED)
        }
        Status::Queued if kind == Some(ErrorKind::Auth) => {
            say!("The lead is kept queued in the history; it goes out once a working key is set.");
            ExitCode::from(EXIT_REJECTED)
        }
        Status::Failed if kind == Some(ErrorKind::Invalid) => {
            if let Some(error) = error {
                say!("error: {}", error.message);
            }
            ExitCode::from(EXIT_INVALID)
        }
        status => {
            say!(
                "The lead is kept in the history as {} ({}); autocalls-tui takes it over when it starts (or at once, if it is running), checking the server first.",
                status.as_str(),
                entry.local_id
            );
            ExitCode::from(EXIT_UNSURE)
        }
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
