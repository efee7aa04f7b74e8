//! `autocalls-tui import FILE`: many leads from a CSV, TSV or XLSX file (or `-`, stdin), every
//! row checked as the form checks a lead before anything is sent, then each valid row sent as
//! `create` sends one: written to the history before its request, by the same engine, a few at a
//! time. Run again after an interruption, it sends only what the history and the server do not
//! already have: a row the history holds as created is reported as created, one a run left open
//! is taken over and looked up before it is sent again.

use std::collections::HashMap;
use std::io::Read;
use std::process::ExitCode;
use std::time::Instant;

use futures::StreamExt;
use serde::Serialize;

use super::create::{EXIT_CREATED, EXIT_INVALID, EXIT_REJECTED, EXIT_UNSURE, Lead};
use super::{invalid, local_failure};
use crate::api::types::{CreateLead, LeadId};
use crate::api::{ApiClient, LeadQuery};
use crate::cli::ImportArgs;
use crate::config::Settings;
use crate::delivery::engine::Rules;
use crate::history::{Claim, Claimed, HistoryStore, LeadEntry, LocalId, Record, RunLock, Status};
use crate::import::{self, Column, Mapping};

/// Pages of the campaign read at most for the duplicate check (100,000 leads).
const MAX_PAGES: u64 = 1000;

/// One row's result, as `--json` prints it.
#[derive(Debug, Clone, Serialize)]
struct RowResult {
    /// Its line in the file.
    row: usize,
    /// The phone, E.164 when it is valid, else as written.
    phone_number: String,
    /// `ok` (valid, in a dry run), `created`, `rejected`, `invalid`, `duplicate`, `queued`,
    /// `unknown`.
    status: &'static str,
    /// Why, when it was not created.
    error: Option<String>,
    /// The server's id, once created.
    lead_id: Option<LeadId>,
    /// Its local id in the history, once written there.
    local_id: Option<LocalId>,
}

/// What is to become of a valid row.
enum Plan {
    /// Nothing to send: the result is known.
    Done(RowResult),
    /// Sent as a new lead.
    New(usize, CreateLead),
    /// Left open by a run that ended: taken over and looked up first.
    Resume(usize, Box<LeadEntry>),
}

/// Reads, checks and (unless `--dry-run`) sends every row.
pub async fn run(settings: &Settings, args: &ImportArgs) -> ExitCode {
    let Some(campaign) = settings.campaign else {
        return invalid("--campaign is required (or `campaign` in the config file)");
    };
    let bytes = match read_input(&args.file) {
        Ok(bytes) => bytes,
        Err(message) => return invalid(&message),
    };
    let table = match import::read(&bytes) {
        Ok(table) => table,
        Err(e) => return invalid(&format!("{}: {e}", args.file)),
    };
    drop(bytes);
    let mapping = Mapping::of(&table, settings.region);
    if !mapping.columns.contains(&Column::Phone) {
        return invalid(&format!(
            "{}: no phone column found; name it phone_number (or phone), as the dashboard's import does",
            args.file
        ));
    }
    if !mapping.header {
        say!("note: no header row; the columns are read as: {}", mapping.describe());
    }
    let rows = import::check(&table, &mapping, campaign, args.allow_duplicate, settings.region);
    drop(table);
    if rows.is_empty() {
        return invalid(&format!("{}: no rows to import", args.file));
    }
    let store = match HistoryStore::open(settings.history_file()) {
        Ok(store) => store,
        Err(e) => return local_failure(&e.to_string()),
    };
    let folded = match store.load_leads() {
        Ok(folded) => folded,
        Err(e) => return local_failure(&e.to_string()),
    };
    for problem in &folded.loaded.problems {
        say!("warning: {problem}");
    }
    let end = folded.loaded.end;
    let mut local: HashMap<(String, u64), Vec<LeadEntry>> = HashMap::new();
    for entry in folded.leads.into_vec() {
        let key = (entry.request.phone_number.to_string(), entry.request.campaign_id);
        local.entry(key).or_default().push(entry);
    }
    let connection = match super::connect(settings).await {
        Ok(connection) => connection,
        Err(message) => return invalid(&message),
    };
    let api = connection.api.clone();
    if api.is_none() && !args.dry_run {
        return invalid(&super::no_key_message(settings));
    }
    // The team's: what the campaign holds on the server, read once for every row.
    let on_server = match &api {
        Some(api) if !args.allow_duplicate => match campaign_phones(api, campaign).await {
            Ok(phones) => phones,
            Err(e) => {
                say!(
                    "warning: the campaign's leads could not be read ({e}); the server refuses what it already has"
                );
                HashMap::new()
            }
        },
        _ => HashMap::new(),
    };
    let plans: Vec<Plan> = rows
        .into_iter()
        .map(|row| plan(row, &local, &on_server, args.allow_duplicate, args.dry_run))
        .collect();
    let results = if args.dry_run {
        plans
            .into_iter()
            .map(|p| match p {
                Plan::Done(result) => result,
                Plan::New(line, request) => result(line, &request.phone_number, "ok", None),
                Plan::Resume(line, entry) => {
                    let mut r = result(line, &entry.request.phone_number, "ok", None);
                    r.local_id = Some(entry.local_id);
                    r
                }
            })
            .collect()
    } else {
        let Some(api) = api else { return invalid(&super::no_key_message(settings)) };
        match send(settings, &api, store, end, plans, &local).await {
            Ok(results) => results,
            Err(code) => return code,
        }
    };
    report(&results, args.json, args.dry_run)
}

/// Reads the file, or stdin for `-`.
fn read_input(file: &str) -> Result<Vec<u8>, String> {
    if file == "-" {
        let mut bytes = Vec::new();
        std::io::stdin().read_to_end(&mut bytes).map_err(|e| format!("stdin: {e}"))?;
        return Ok(bytes);
    }
    std::fs::read(file).map_err(|e| format!("{file}: {e}"))
}

/// The campaign's phones on the server, each with the newest lead that has it.
async fn campaign_phones(
    api: &ApiClient,
    campaign: u64,
) -> Result<HashMap<String, LeadId>, crate::api::ApiError> {
    let mut phones = HashMap::new();
    let query = LeadQuery { campaign_id: Some(campaign), ..LeadQuery::default() };
    api.each_lead_page(&query, MAX_PAGES, |page| {
        for lead in page {
            if let Some(phone) = &lead.phone_number {
                phones.entry(phone.clone()).or_insert_with(|| lead.id.clone());
            }
        }
        true
    })
    .await?;
    Ok(phones)
}

fn result(line: usize, phone: &str, status: &'static str, error: Option<String>) -> RowResult {
    RowResult { row: line, phone_number: phone.to_owned(), status, error, lead_id: None, local_id: None }
}

/// Decides what becomes of one checked row.
fn plan(
    row: import::Row,
    local: &HashMap<(String, u64), Vec<LeadEntry>>,
    on_server: &HashMap<String, LeadId>,
    allow_duplicate: bool,
    dry_run: bool,
) -> Plan {
    let request = match row.checked {
        Ok(request) => request,
        Err(why) => return Plan::Done(result(row.line, &row.phone_typed, "invalid", Some(why))),
    };
    let phone = request.phone_number.to_string();
    if let Some(earlier) = row.same_as {
        let why = format!("the same phone as row {earlier}");
        return Plan::Done(result(row.line, &phone, "duplicate", Some(why)));
    }
    let here = local.get(&(phone.clone(), request.campaign_id)).map_or(&[][..], Vec::as_slice);
    let same = |e: &&LeadEntry| e.request == request && !e.is_deleted();
    // This very row, sent before (an import run again): created already, or left open.
    if let Some(entry) = here.iter().rev().find(|e| same(e) && e.status == Status::Created) {
        let mut done = result(row.line, &phone, if dry_run { "ok" } else { "created" }, None);
        if dry_run {
            done.error = Some("created already; not sent again".into());
        }
        done.lead_id = entry.lead_id.clone();
        done.local_id = Some(entry.local_id);
        return Plan::Done(done);
    }
    if let Some(entry) = here.iter().rev().find(|e| same(e) && e.status.is_open()) {
        return Plan::Resume(row.line, Box::new(entry.clone()));
    }
    if !allow_duplicate {
        if let Some(entry) = here.iter().rev().find(|e| e.status == Status::Created && !e.is_deleted()) {
            let id = entry.lead_id.as_deref().unwrap_or("?");
            let why = format!("already in this campaign as lead #{id} (in this history)");
            return Plan::Done(result(row.line, &phone, "duplicate", Some(why)));
        }
        if let Some(id) = on_server.get(&phone) {
            let why = format!("already in this campaign as lead #{id}");
            return Plan::Done(result(row.line, &phone, "duplicate", Some(why)));
        }
    }
    Plan::New(row.line, request)
}

/// Sends the rows to send, a few at a time, each written to the history before its request.
async fn send(
    settings: &Settings,
    api: &ApiClient,
    store: HistoryStore,
    end: u64,
    plans: Vec<Plan>,
    local: &HashMap<(String, u64), Vec<LeadEntry>>,
) -> Result<Vec<RowResult>, ExitCode> {
    let run = RunLock::take(&store.runs_dir())
        .map_err(|e| local_failure(&format!("{}: {e}; nothing was sent", store.runs_dir().display())))?;
    let store = store.with_run(run.id());
    // Open rows left by a run that ended are taken over, as the TUI takes them: one step under
    // the history's lock, so a window starting now does not send them too.
    let claims: Vec<Claim> = plans
        .iter()
        .filter_map(|p| match p {
            Plan::Resume(_, entry) => {
                Some(Claim { local_id: entry.local_id, owner: entry.owner, status: entry.status })
            }
            _ => None,
        })
        .collect();
    let claimed = store.claim(&claims, end).map_err(|e| local_failure(&e.to_string()))?;
    let mut claimed = claimed.into_iter();
    let rules = Rules::for_timeout(settings.request_timeout);
    let to_send = plans.iter().filter(|p| !matches!(p, Plan::Done(_))).count();
    let started = Instant::now();
    let done = std::sync::atomic::AtomicUsize::new(0);
    let mut jobs = Vec::new();
    let mut results: Vec<Option<RowResult>> = Vec::with_capacity(plans.len());
    for (i, plan) in plans.into_iter().enumerate() {
        match plan {
            Plan::Done(result) => results.push(Some(result)),
            Plan::New(line, request) => {
                results.push(None);
                jobs.push((i, line, Job::New(request)));
            }
            Plan::Resume(line, entry) => {
                results.push(None);
                if claimed.next() == Some(Claimed::Taken) {
                    jobs.push((i, line, Job::Resume(entry)));
                } else {
                    let why = "another window or command is sending it".to_owned();
                    let mut r = result(line, &entry.request.phone_number, "queued", Some(why));
                    r.local_id = Some(entry.local_id);
                    results[i] = Some(r);
                }
            }
        }
    }
    let store = &store;
    let done = &done;
    let finished: Vec<(usize, RowResult)> = futures::stream::iter(jobs)
        .map(|(i, line, job)| async move {
            let result = deliver(api, store, rules, local, line, job).await;
            let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
            if n.is_multiple_of(10) || n == to_send {
                let rate = n as f64 / started.elapsed().as_secs_f64().max(0.001);
                say!("{n} of {to_send} sent ({rate:.1} a second)");
            }
            (i, result)
        })
        .buffer_unordered(crate::delivery::MAX_CONCURRENT)
        .collect()
        .await;
    for (i, result) in finished {
        results[i] = Some(result);
    }
    drop(run);
    Ok(results.into_iter().flatten().collect())
}

/// A row to send.
enum Job {
    New(CreateLead),
    Resume(Box<LeadEntry>),
}

/// Sends one row by the engine's rules, as `create` sends a lead.
async fn deliver(
    api: &ApiClient,
    store: &HistoryStore,
    rules: Rules,
    local: &HashMap<(String, u64), Vec<LeadEntry>>,
    line: usize,
    job: Job,
) -> RowResult {
    let (mut entry, resumed) = match job {
        Job::New(request) => {
            let local_id = LocalId::new();
            let submitted = Record::submitted(local_id, request.clone(), "import");
            let entry = LeadEntry::new(local_id, submitted.at, request);
            if let Err(e) = store.append(&submitted) {
                // Nothing was sent and the history does not hold it: a run again sends it.
                let why = format!("{e}; not sent");
                return result(line, &entry.request.phone_number, "queued", Some(why));
            }
            (entry, None)
        }
        Job::Resume(entry) => {
            let status = entry.status;
            (*entry, Some(status))
        }
    };
    // Never take an earlier lead with this phone for this one.
    let key = (entry.request.phone_number.to_string(), entry.request.campaign_id);
    let taken: Vec<LeadId> = local
        .get(&key)
        .into_iter()
        .flatten()
        .filter(|e| e.local_id != entry.local_id)
        .filter_map(|e| e.lead_id.clone())
        .collect();
    let request = entry.request.clone();
    let lead = Lead { api, request: &request, local_id: entry.local_id, since: entry.submitted_at, store };
    lead.deliver(&mut entry, &taken, rules, resumed).await;
    let status = match entry.status {
        Status::Created => "created",
        Status::Rejected => "rejected",
        Status::Failed => "invalid",
        Status::Queued => "queued",
        Status::Pending | Status::Unknown => "unknown",
    };
    let error = entry.error.as_ref().map(|e| {
        let mut text = e.message.clone();
        for (field, messages) in &e.fields {
            if !messages.iter().any(|m| text.starts_with(m.as_str())) {
                text.push_str(&format!(" ({field}: {})", messages.join(" ")));
            }
        }
        text
    });
    RowResult {
        row: line,
        phone_number: entry.request.phone_number.to_string(),
        status,
        error: error.filter(|_| status != "created"),
        lead_id: entry.lead_id.clone(),
        local_id: Some(entry.local_id),
    }
}

/// Prints the rows (JSON, or a line per row not created and a summary) and gives the exit code:
/// 4 when some are still open, else 3 when some were refused (or are duplicates), else 2 when
/// some are invalid, else 0.
fn report(results: &[RowResult], json: bool, dry_run: bool) -> ExitCode {
    let count = |status: &str| results.iter().filter(|r| r.status == status).count();
    if json {
        #[derive(Serialize)]
        struct Out<'a> {
            rows: &'a [RowResult],
        }
        // Cleaned: JSON escapes C0 controls, but C1 controls and bidi overrides from a file
        // would reach the terminal.
        let value =
            super::server::cleaned_value(serde_json::to_value(Out { rows: results }).unwrap_or_default());
        println!("{}", serde_json::to_string_pretty(&value).unwrap_or_default());
    } else {
        for r in results.iter().filter(|r| !matches!(r.status, "created" | "ok")) {
            let why = r.error.as_deref().map(|e| format!(": {e}")).unwrap_or_default();
            println!("row {}  {}  {}{why}", r.row, crate::sanitize::cleaned(&r.phone_number), r.status);
        }
    }
    let mut summary: Vec<String> = Vec::new();
    for status in ["ok", "created", "invalid", "duplicate", "rejected", "queued", "unknown"] {
        let n = count(status);
        if n > 0 {
            summary.push(format!("{n} {status}"));
        }
    }
    let tail = if dry_run { " (dry run: nothing was sent)" } else { "" };
    say!("{} rows: {}{tail}", results.len(), summary.join(", "));
    let code = if count("queued") + count("unknown") > 0 {
        EXIT_UNSURE
    } else if count("rejected") + count("duplicate") > 0 {
        EXIT_REJECTED
    } else if count("invalid") > 0 {
        EXIT_INVALID
    } else {
        EXIT_CREATED
    };
    ExitCode::from(code)
}
