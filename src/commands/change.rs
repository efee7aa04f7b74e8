//! `update ID` and `delete ID`: a change of a lead the server has, written to the history before
//! its request starts and with its outcome, and sent by the rules of
//! [`delivery::change`](crate::delivery::change). Exit codes as `create`: 0 done (for a delete,
//! also when the lead was gone already), 2 invalid input, 3 refused, 4 left open (the history
//! keeps it).

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use super::create::{EXIT_CREATED, EXIT_INVALID, EXIT_REJECTED, EXIT_UNSURE};
use super::server::{Target, find};
use super::{invalid, local_failure};
use crate::api::types::{UpdateLead, Variables};
use crate::cli::{DeleteArgs, UpdateArgs};
use crate::config::Settings;
use crate::delivery::change::{self as delivery, Kind, Patience};
use crate::history::{
    Change, ChangeId, ChangeStatus, Event as RecordEvent, HistoryStore, LeadError, Record, RunLock,
};

/// `update ID [--phone P] [--campaign ID] [--var KEY=VALUE]... [--status S] [--json]`.
pub async fn update(settings: &Settings, args: &UpdateArgs) -> ExitCode {
    let change = match what_changes(settings, args) {
        Ok(change) => change,
        Err(message) => return invalid(&message),
    };
    run(settings, &args.id, Change::Update(change), args.json).await
}

/// `delete ID [--yes]`: asks first unless `--yes`.
pub async fn delete(settings: &Settings, args: &DeleteArgs) -> ExitCode {
    if !args.yes && !confirmed(&args.id) {
        return invalid("not deleted (answer y, or pass --yes)");
    }
    run(settings, &args.id, Change::Delete, false).await
}

/// Finds the lead, records the change, sends it, records and prints how it ended.
async fn run(settings: &Settings, id: &str, change: Change, json: bool) -> ExitCode {
    let connection = match super::connect(settings).await {
        Ok(connection) => connection,
        Err(message) => return invalid(&message),
    };
    let Some(api) = connection.api.clone() else { return invalid(&super::no_key_message(settings)) };
    let target = match find(&api, settings, id).await {
        Ok(target) => target,
        Err(code) => return code,
    };
    let kind = match change {
        Change::Update(_) => Kind::Update,
        Change::Delete => Kind::Delete,
    };
    // A fix that moves the lead to a phone or a campaign: as create, not onto a phone the
    // campaign already holds.
    if let Change::Update(update) = &change
        && (update.phone_number.is_some() || update.campaign_id.is_some())
    {
        let phone = update.phone_number.as_deref().unwrap_or(&target.phone);
        let campaign = update.campaign_id.unwrap_or(target.campaign);
        if let Ok(Some(lead)) = crate::delivery::already_in_campaign(&api, phone, campaign).await
            && lead.id != target.id
        {
            say!("{phone}: {}", crate::delivery::already_there(&lead));
            say!("Nothing was sent.");
            return ExitCode::from(EXIT_REJECTED);
        }
    }
    let journal = match Journal::open(settings, &target, &change) {
        Ok(journal) => journal,
        Err(code) => return code,
    };
    let change_id = journal.as_ref().map_or_else(ChangeId::new, |j| j.change_id);
    let salt = change_id.0.as_u64_pair().1;
    let to =
        delivery::Target { id: target.id.clone(), phone: target.phone.clone(), campaign: target.campaign };
    let write = |status, error: Option<&LeadError>| {
        if let Some(journal) = &journal {
            journal.ended(status, error.cloned());
        }
    };
    let (status, last_error) = delivery::drive(
        &api,
        delivery::Job { target: &to, change: &change, left_as: None, salt },
        Patience::DEFAULT,
        write,
        |said| say!("{said}"),
    )
    .await;
    report(&target, kind, status, last_error.as_ref(), change_id, json)
}

/// The history side of a change: where its records go. `None` for a lead this history does not
/// hold (a colleague's): the change is made, and said not to be recorded here.
struct Journal {
    store: HistoryStore,
    local_id: crate::history::LocalId,
    change_id: ChangeId,
    _run: RunLock,
}

impl Journal {
    fn open(settings: &Settings, target: &Target, change: &Change) -> Result<Option<Journal>, ExitCode> {
        let Some(local_id) = target.local_id else {
            say!("note: lead {} is not in this history; the change is made but not recorded here", target.id);
            return Ok(None);
        };
        let store = HistoryStore::open(settings.history_file()).map_err(|e| local_failure(&e.to_string()))?;
        let run = RunLock::take(&store.runs_dir())
            .map_err(|e| local_failure(&format!("{}: {e}; nothing was sent", store.runs_dir().display())))?;
        let store = store.with_run(run.id());
        let change_id = ChangeId::new();
        let record = record(local_id, RecordEvent::Change { change_id, change: change.clone() });
        store.append(&record).map_err(|e| local_failure(&format!("{e}; nothing was sent")))?;
        Ok(Some(Journal { store, local_id, change_id, _run: run }))
    }

    /// Writes how the change's request ended; a failure to write is said, not fatal (the
    /// request is already made).
    fn ended(&self, status: ChangeStatus, error: Option<LeadError>) {
        let event = RecordEvent::Changed { change_id: self.change_id, status, error };
        if let Err(e) = self.store.append(&record(self.local_id, event)) {
            say!("warning: the result could not be written to the history: {e}");
        }
    }
}

fn record(local_id: crate::history::LocalId, event: RecordEvent) -> Record {
    Record {
        v: crate::history::record::SCHEMA_VERSION,
        local_id,
        at: jiff::Timestamp::now(),
        run: None,
        event,
    }
}

/// What `update`'s flags ask to change, checked as the form checks a lead.
fn what_changes(settings: &Settings, args: &UpdateArgs) -> Result<UpdateLead, String> {
    let phone = match &args.phone {
        Some(phone) => Some(
            crate::lead::parse_phone(phone, settings.region)
                .map_err(|e| format!("--phone {phone}: {e}"))?
                .e164
                .into(),
        ),
        None => None,
    };
    let mut variables = Variables::new();
    for pair in &args.vars {
        let Some((key, value)) = pair.split_once('=').filter(|(k, _)| !k.trim().is_empty()) else {
            return Err(format!("`{pair}` is not KEY=VALUE"));
        };
        crate::lead::check_var_name(key)?;
        variables.insert(key.trim(), value.trim());
    }
    if let Some(status) = &args.status
        && !["created", "completed", "reached-max-retries"].contains(&status.as_str())
    {
        return Err(format!(
            "--status {status}: the API sets only created, completed or reached-max-retries"
        ));
    }
    let change = UpdateLead {
        phone_number: phone,
        campaign_id: settings.campaign,
        status: args.status.clone(),
        variables: (!variables.is_empty()).then_some(variables),
    };
    if change.is_empty() {
        return Err("nothing to change: give --phone, --campaign, --var or --status".into());
    }
    Ok(change)
}

/// Asks on the terminal whether to delete; without one (a script), the answer is no.
fn confirmed(id: &str) -> bool {
    if !std::io::stdin().is_terminal() {
        say!("error: deleting needs --yes when not asked on a terminal");
        return false;
    }
    eprint!("Delete lead {}? This cannot be undone. [y/N] ", crate::sanitize::cleaned(id));
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer).is_ok() && matches!(answer.trim(), "y" | "Y" | "yes")
}

fn report(
    target: &Target,
    kind: Kind,
    status: ChangeStatus,
    error: Option<&LeadError>,
    change_id: ChangeId,
    json: bool,
) -> ExitCode {
    if json {
        let value = serde_json::json!({
            "id": target.id.as_str(),
            "local_id": target.local_id,
            "change_id": change_id,
            "status": status.as_str(),
            "error": error.map(|e| e.message.as_str()),
        });
        println!("{}", serde_json::to_string_pretty(&value).unwrap_or_default());
    }
    let what = if kind == Kind::Update { "updated" } else { "deleted" };
    let code = match status {
        ChangeStatus::Done => {
            if !json {
                println!("lead #{} {what}", target.id);
            }
            EXIT_CREATED
        }
        ChangeStatus::Gone => {
            if !json {
                println!("lead #{} was gone already", target.id);
            }
            EXIT_CREATED
        }
        ChangeStatus::Rejected => EXIT_REJECTED,
        ChangeStatus::Failed => EXIT_INVALID,
        ChangeStatus::Pending | ChangeStatus::Queued | ChangeStatus::Unknown => {
            say!(
                "The change is kept in the history as {} ({change_id}); it was not finished here.",
                status.as_str()
            );
            EXIT_UNSURE
        }
    };
    ExitCode::from(code)
}
