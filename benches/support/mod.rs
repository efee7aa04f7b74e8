//! What the benchmarks share: synthetic histories in the documented format
//! (`docs/history-format.md`), the sizes to run at, and an app loaded with a history, as the
//! runtime would build it.
//!
//! The histories are realistic rather than uniform: E.164 numbers of four countries, two to four
//! named variables (names with accents among them), secondary contacts on about one lead in five,
//! six campaigns, and every status with the outcome records the app writes for it (the server's
//! lead object on `created`, field errors on `rejected`, retries that failed before they worked,
//! unknown outcomes looked up). As in a history the app has been running on, only the newest few
//! leads ([`OPEN_TAIL`]) are still open (pending, queued, unknown): the app resolves the others.
//! They are deterministic: the same size gives the same file, byte for byte.

#![allow(dead_code)]

use std::fs::OpenOptions;
use std::io::{BufWriter, Write};
use std::path::Path;

use autocalls_tui::api::ErrorKind;
use autocalls_tui::api::types::{CampaignRef, CreateLead, Lead, SecondaryContact, Variables};
use autocalls_tui::history::{Event, HistoryStore, LeadEntry, LeadError, LocalId, Record, Status, fold};
use autocalls_tui::model::{App, AppOptions, Effect, Msg, Target};
use jiff::{SignedDuration, Timestamp};

/// Changes whenever the generated histories change, so cached copies are made again.
pub const GENERATOR_VERSION: u32 = 3;

/// Set to `1` to add the million-lead runs (slow: a 0.7 GB file, seconds per load).
pub const ENV_1M: &str = "AUTOCALLS_BENCH_1M";

/// Whether the binary runs as a benchmark (`cargo bench` passes `--bench`), not as a smoke test
/// under `cargo test --benches`.
pub fn benchmarking() -> bool {
    std::env::args().any(|a| a == "--bench")
}

/// Whether the million-lead runs were asked for.
pub fn want_1m() -> bool {
    std::env::var(ENV_1M).is_ok_and(|v| v == "1")
}

/// History sizes (leads) to measure: 10k and 100k (and 1M when asked); 1k as a smoke test.
pub fn sizes() -> Vec<usize> {
    if !benchmarking() {
        return vec![1_000];
    }
    let mut sizes = vec![10_000, 100_000];
    if want_1m() {
        sizes.push(1_000_000);
    }
    sizes
}

/// `100k`, `1M`, ... for benchmark names.
pub fn label(n: usize) -> String {
    match n {
        0 => "empty".to_owned(),
        n if n >= 1_000_000 && n % 1_000_000 == 0 => format!("{}M", n / 1_000_000),
        n if n >= 1_000 && n % 1_000 == 0 => format!("{}k", n / 1_000),
        n => n.to_string(),
    }
}

/// A small deterministic generator (SplitMix64): no dependency, the same file every run.
pub struct Rng(u64);

impl Rng {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// One of `items`.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// `n` random decimal digits.
    pub fn digits(&mut self, n: usize) -> String {
        (0..n).map(|_| char::from(b'0' + self.below(10) as u8)).collect()
    }
}

#[rustfmt::skip]
const FIRST: &[&str] = &[
    "Ada", "Charles", "Grace", "Alan", "Margaret", "Linus", "Barbara", "Dennis", "Frances", "Ken",
    "Hedy", "Edsger", "Radia", "Tim", "Katherine", "Donald", "Sophie", "Jürgen", "Zoë", "José", "Anaïs",
    "Søren", "Małgorzata", "Björn", "Chloé", "Mehmet", "Aiko", "Priya", "Olu", "Émile",
];
#[rustfmt::skip]
const LAST: &[&str] = &[
    "Lovelace", "Babbage", "Hopper", "Turing", "Hamilton", "Torvalds", "Liskov", "Ritchie", "Allen",
    "Thompson", "Lamarr", "Dijkstra", "Perlman", "Berners-Lee", "Johnson", "Knuth", "Wilson", "Müller",
    "Schröder", "García", "Núñez", "Kierkegaard", "Nowak", "Andersson", "Dubois", "Yılmaz", "Tanaka",
    "Sharma", "Adeyemi", "Lefèvre",
];
#[rustfmt::skip]
const COMPANIES: &[&str] = &[
    "Acme GmbH", "Globex Corporation", "Initech", "Umbrella Ltd", "Stark Industries",
    "Wayne Enterprises", "Müller & Söhne KG", "Hooli", "Vandelay Industries", "Soylent Corp",
    "Tyrell Corporation", "Cyberdyne Systems", "Wonka Industries", "Aperture Science", "Black Mesa",
    "Gringotts", "Oceanic Airlines", "Dunder Mifflin", "Pied Piper", "Massive Dynamic",
];
const TIMES: &[&str] =
    &["Mon 09:30", "Tue 14:00", "Wed 11:15", "Thu 16:45", "Fri 10:00", "asap", "after 17:00"];
const NOTES: &[&str] = &[
    "met at the booth, wants a demo",
    "call back about pricing",
    "interested in the enterprise plan",
    "prefers German",
    "asked for a case study",
    "decision maker is the CTO",
];

/// The campaigns: the sandbox's four (with their names) and two more the sandbox does not know.
const CAMPAIGNS: &[(u64, &str)] = &[
    (12, "Hannover Messe 2025 – Rückrufe Standbesucher"),
    (17, "Acme Cloud – Free trial follow-up (US)"),
    (23, "Webinar „KI im Vertrieb“ – Erinnerung"),
    (31, "Q4 win-back – churned accounts"),
    (44, "Spring promo – DACH"),
    (58, "Partner referrals"),
];

/// An E.164 number from one of four countries.
fn phone(rng: &mut Rng) -> String {
    match rng.below(4) {
        0 => format!("+1{}{}", 201 + rng.below(780), rng.digits(7)),
        1 => format!("+491{}{}", rng.pick(&["51", "60", "62", "70", "71", "76"]), rng.digits(7)),
        2 => format!("+447{}", rng.digits(9)),
        _ => format!("+336{}", rng.digits(8)),
    }
}

fn person(rng: &mut Rng) -> String {
    format!("{} {}", rng.pick(FIRST), rng.pick(LAST))
}

/// Two to four named variables; campaign 23 names its person `attendee_name`.
fn variables(rng: &mut Rng, campaign: u64, name: &str) -> Variables {
    let mut vars = Variables::new();
    let name_key = if campaign == 23 { "attendee_name" } else { "customer_name" };
    vars.insert(name_key.to_owned(), name.to_owned());
    vars.insert("company_name".to_owned(), rng.pick(COMPANIES).to_string());
    let extra = rng.below(3); // 0, 1 or 2 more
    if extra >= 1 {
        let user: String = name.split(' ').next().unwrap_or("x").to_lowercase();
        vars.insert("email".to_owned(), format!("{user}.{}@example.com", rng.digits(3)));
    }
    if extra >= 2 {
        if rng.chance(50) {
            vars.insert("preferred_time".to_owned(), rng.pick(TIMES).to_string());
        } else {
            vars.insert("notes".to_owned(), rng.pick(NOTES).to_string());
        }
    }
    vars
}

fn request(rng: &mut Rng) -> CreateLead {
    let &(campaign, _) = rng.pick(CAMPAIGNS);
    let name = person(rng);
    let variables = variables(rng, campaign, &name);
    let contacts = match rng.below(100) {
        0..=3 => 2,
        4..=18 => 1,
        _ => 0,
    };
    let secondary_contacts = (0..contacts)
        .map(|_| SecondaryContact {
            phone_number: phone(rng).into(),
            variables: if rng.chance(50) {
                [("customer_name".to_owned(), person(rng))].into_iter().collect()
            } else {
                Variables::new()
            },
        })
        .collect();
    CreateLead {
        phone_number: phone(rng).into(),
        campaign_id: campaign,
        variables,
        allow_dupplicate: rng.chance(3),
        secondary_contacts,
    }
}

fn campaign_name(id: u64) -> Option<String> {
    CAMPAIGNS.iter().find(|(c, _)| *c == id).map(|(_, n)| (*n).to_owned())
}

fn record(local_id: LocalId, at: Timestamp, event: Event) -> Record {
    Record { v: 1, local_id, at, run: None, event }
}

fn outcome(status: Status, error: Option<LeadError>) -> Event {
    Event::Outcome { status, lead_id: None, campaign_name: None, error, response: None }
}

fn created(request: &CreateLead, server_id: u64, at: Timestamp) -> Event {
    let name = campaign_name(request.campaign_id);
    let time = at.strftime("%Y-%m-%dT%H:%M:%S.000000Z").to_string();
    // The server's lead object, as `Outcome::from_result` keeps it.
    let lead = Lead {
        id: server_id.to_string().into(),
        campaign_id: Some(request.campaign_id),
        phone_number: Some(request.phone_number.to_string()),
        variables: serde_json::to_value(&request.variables).ok(),
        status: Some("created".to_owned()),
        created_at: Some(time.clone()),
        updated_at: Some(time),
        campaign: name.clone().map(|name| CampaignRef { id: request.campaign_id, name }),
    };
    Event::Outcome {
        status: Status::Created,
        lead_id: Some(server_id.to_string().into()),
        campaign_name: name,
        error: None,
        response: serde_json::to_value(&lead).ok(),
    }
}

fn error(kind: ErrorKind, message: &str, http_status: Option<u16>, fields: &[(&str, &str)]) -> LeadError {
    LeadError {
        kind,
        message: message.to_owned(),
        http_status,
        fields: fields.iter().map(|(k, m)| ((*k).to_owned(), vec![(*m).to_owned()])).collect(),
    }
}

const TAKEN: &str = "The phone number has already been taken for this campaign.";

/// How many of the newest leads are still open (pending, queued, unknown): the app resolves open
/// leads when it starts, so an older history holds only a few, the latest.
pub const OPEN_TAIL: usize = 5;

const UNREACHABLE: &str = "server unreachable: Connection refused";

/// The records of one lead, in the order the app writes them: the submission, maybe an attempt
/// that did not settle it (a failure sent again, an unknown outcome looked up), then the latest
/// outcome; none while pending. `open`: the lead may still be open.
fn lead_records(rng: &mut Rng, at: Timestamp, server_id: &mut u64, open: bool) -> Vec<Record> {
    let millis = u64::try_from(at.as_millisecond()).unwrap_or(0);
    let mut random = [0u8; 10];
    random[..8].copy_from_slice(&rng.next_u64().to_le_bytes());
    random[8..].copy_from_slice(&rng.next_u64().to_le_bytes()[..2]);
    let id = LocalId(uuid::Builder::from_unix_timestamp_millis(millis, &random).into_uuid());
    let request = request(rng);
    let later = |ms: i64| at + SignedDuration::from_millis(ms);
    let submitted = |request: &CreateLead, when| {
        record(id, when, Event::Submitted { request: request.clone(), origin: Some("tui".to_owned()) })
    };
    let unknown = || {
        outcome(
            Status::Unknown,
            Some(error(
                ErrorKind::UnknownOutcome,
                "sent, but no answer could be read (timed out); it is looked up before anything else",
                None,
                &[],
            )),
        )
    };
    let mut records = vec![submitted(&request, at)];
    let when = later(300 + rng.below(1_700) as i64);
    let roll = rng.below(100);
    if open {
        let event = match roll {
            0..=39 => return records, // pending: no outcome yet
            40..=69 => outcome(
                Status::Queued,
                Some(error(ErrorKind::RateLimited, "too many requests; sent again later", Some(429), &[])),
            ),
            _ => unknown(),
        };
        records.push(record(id, when, event));
        return records;
    }
    match roll {
        0..=75 => {
            match rng.below(100) {
                // It failed once and was sent again (`r`) before it worked.
                0..=5 => {
                    let failed = error(ErrorKind::Unreachable, UNREACHABLE, None, &[]);
                    records.push(record(id, later(900), outcome(Status::Failed, Some(failed))));
                    records.push(submitted(&request, later(60_000)));
                }
                // No answer was read; the lookup found it created.
                6..=9 => records.push(record(id, later(20_000), unknown())),
                _ => {}
            }
            *server_id += 1;
            let when = records.last().map_or(when, |r| r.at + SignedDuration::from_millis(700));
            records.push(record(id, when, created(&request, *server_id, when)));
        }
        76..=87 => {
            let e = if rng.chance(80) {
                error(ErrorKind::Rejected, TAKEN, Some(422), &[("phone_number", TAKEN)])
            } else {
                error(
                    ErrorKind::Rejected,
                    "The variables.email must be a valid email address.",
                    Some(422),
                    &[("variables.email", "The variables.email must be a valid email address.")],
                )
            };
            records.push(record(id, when, outcome(Status::Rejected, Some(e))));
        }
        88..=95 => {
            let e = error(ErrorKind::Unreachable, UNREACHABLE, None, &[]);
            records.push(record(id, when, outcome(Status::Failed, Some(e))));
        }
        _ => {
            // Queued, then cancelled by the user.
            let e = error(ErrorKind::RateLimited, "too many requests; sent again later", Some(429), &[]);
            records.push(record(id, when, outcome(Status::Queued, Some(e))));
            let e = error(ErrorKind::RateLimited, "cancelled by you", None, &[]);
            records.push(record(id, later(30_000), outcome(Status::Failed, Some(e))));
        }
    }
    records
}

/// The records of a history of `leads` leads, in file order. An outcome sometimes lands after
/// the next lead's submission, as it does when the user types on while a request runs.
pub fn records(leads: usize) -> impl Iterator<Item = Record> {
    let mut rng = Rng::new(0x5EED_0000 + leads as u64);
    // Leads come 20 s to 5 min apart (160 s on average) and the newest is from 2025-12-01, so
    // every timestamp is in the past, as in a real history (a lead from the future would look
    // like one another instance is sending right now).
    let end: Timestamp = "2025-12-01T08:00:00Z".parse().expect("a timestamp");
    let mut at = end - SignedDuration::from_secs(160 * leads as i64);
    let mut server_id = 100_000u64;
    let mut held: Vec<Record> = Vec::new();
    (0..leads).flat_map(move |i| {
        let open = i + OPEN_TAIL >= leads;
        let mut lead = lead_records(&mut rng, at, &mut server_id, open);
        at += SignedDuration::from_secs(20 + rng.below(280) as i64);
        let mut out = Vec::with_capacity(lead.len() + held.len());
        out.push(lead.remove(0));
        out.append(&mut held);
        if lead.len() == 1 && rng.chance(20) {
            held = lead; // its outcome comes after the next submission
        } else {
            out.append(&mut lead);
        }
        out
    })
    // The last lead's held outcome is dropped: that lead stays pending, which is realistic.
}

/// What a generated history holds.
#[derive(Debug, Clone, Copy)]
pub struct Written {
    /// Lines (records) written.
    pub records: usize,
    /// The file's size in bytes.
    pub bytes: u64,
}

/// Writes a history of `leads` leads at `path` the way the app lays it out: the folder and the
/// file created by `HistoryStore::open` (modes 0700 and 0600), one JSON record per line. Lines
/// go through a buffered writer (an fsync per line, as `append` does, would take minutes for a
/// million leads); the very last record goes through `HistoryStore::append` itself.
pub fn write_history(path: &Path, leads: usize) -> std::io::Result<Written> {
    let store = HistoryStore::open(path).map_err(std::io::Error::other)?;
    let file = OpenOptions::new().append(true).open(path)?;
    let mut out = BufWriter::with_capacity(1 << 20, file);
    let mut count = 0;
    let mut last = None;
    for record in records(leads) {
        if let Some(previous) = last.replace(record) {
            serde_json::to_writer(&mut out, &previous)?;
            out.write_all(b"\n")?;
            count += 1;
        }
    }
    out.flush()?;
    drop(out);
    if let Some(record) = last {
        store.append(&record).map_err(std::io::Error::other)?;
        count += 1;
    }
    Ok(Written { records: count, bytes: std::fs::metadata(path)?.len() })
}

/// Folded leads of a generated history, without a file in between.
pub fn entries(leads: usize) -> Vec<LeadEntry> {
    fold(records(leads)).0
}

/// A fresh app as the TUI starts it (on the sandbox), at `width` x `height`.
pub fn app(width: u16, height: u16) -> App {
    let (mut app, _effects) = App::new(AppOptions { target: Target::Sandbox, ..AppOptions::default() });
    app.update(Msg::Resize { width, height });
    app
}

/// An app that has taken in `entries`, as it does when the background load answers.
pub fn loaded_app(width: u16, height: u16, entries: Vec<LeadEntry>) -> App {
    let mut app = app(width, height);
    app.update(Msg::HistoryLoaded { entries: entries.into(), problems: Vec::new(), end: 0 });
    app
}

/// A key as the terminal sends it, through the real key map, into `App::update`; a filter pass
/// it hands out is run as the runtime runs it (on this thread, split across the cores when long)
/// and its answer taken in, so the key's work is done when this returns.
pub fn press(app: &mut App, code: crossterm::event::KeyCode) {
    let key = crossterm::event::KeyEvent::new(code, crossterm::event::KeyModifiers::NONE);
    let event = crossterm::event::Event::Key(key);
    if let Some(msg) = autocalls_tui::keymap::map_event(&event, app.context()) {
        for effect in app.update(msg) {
            if let Effect::Filter(pass) = effect {
                app.update(autocalls_tui::runtime::run_pass(&pass));
            }
        }
    }
}

/// Presses each character of `text` in turn.
pub fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        press(app, crossterm::event::KeyCode::Char(c));
    }
}
