//! The real event loop (`runtime::run`) driven with key events on a `TestBackend`, against the
//! real sandbox on loopback and a real history file in a temp dir.
#![allow(clippy::unwrap_used, reason = "a test or bench stops loudly at what it did not expect")]

mod support;

use std::path::Path;
use std::time::Duration;

use autocalls_tui::cache::Cache;
use autocalls_tui::history::{HistoryStore, Status, fold};
use autocalls_tui::model::{App, AppOptions, Focus};
use autocalls_tui::runtime::{self, Services};
use autocalls_tui::sandbox::{Sandbox, SandboxOptions};
use crossterm::event::{KeyCode, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use support::event_loop::{Keys, services, wait_for};
use support::{TIMEOUT, history_has};

/// A temp dir with a history store in it, and what the loop reaches: the sandbox, that history,
/// a cache in the temp dir.
fn setup(sandbox: &Sandbox) -> (tempfile::TempDir, HistoryStore, Services) {
    let dir = tempfile::tempdir().unwrap();
    let store = HistoryStore::open(dir.path().join("history.jsonl")).unwrap();
    let services = services(
        sandbox.base_url(),
        sandbox.key(),
        Duration::from_secs(2),
        Duration::from_secs(10),
        store.clone(),
    );
    (dir, store, services)
}

/// Waits until the history file holds a record with `status`.
async fn wait_outcome(history: &Path, status: &str) {
    let what = format!("the {status} outcome on disk");
    wait_for(&what, TIMEOUT, || history_has(history, status), String::new).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_typed_lead_is_recorded_sent_and_created_while_the_next_is_typed() {
    let sandbox =
        Sandbox::start(SandboxOptions { latency: Duration::from_millis(300), ..SandboxOptions::default() })
            .await
            .unwrap();
    let (dir, store, services) = setup(&sandbox);
    let (app, effects) = App::new(AppOptions { campaign: Some(12), ..AppOptions::default() });
    let (keys, events) = Keys::new();
    let mut terminal = Terminal::new(TestBackend::new(100, 30)).unwrap();
    let history_file = dir.path().join("history.jsonl");
    // The loop owns the app on this task (the app is not `Send`); the user types alongside.
    let user = async {
        keys.type_text("+1 (415) 555-0100");
        keys.ctrl('s');
        // While the request waits on the sandbox's latency, the next lead is already being typed.
        keys.type_text("+44 20 7946 0958");
        wait_outcome(&history_file, "created").await;
        keys.ctrl('q');
    };
    let (app, ()) = tokio::join!(runtime::run(&mut terminal, events, app, effects, services), user);
    let app = app.unwrap();
    let screen = terminal.backend().to_string();

    assert_eq!(app.entry.form.phone.text(), "+44 20 7946 0958", "typing went on during the send");
    assert_eq!(app.focus, Focus::Phone);
    let entry = app.history.row(0).expect("the lead is in the history pane");
    assert_eq!(entry.status, Status::Created);
    assert_eq!(entry.request.phone_number, "+14155550100");
    let server_leads = sandbox.state().leads();
    assert_eq!(server_leads.len(), 1);
    assert_eq!(entry.lead_id.as_deref(), Some(server_leads[0].id.as_str()));
    assert_eq!(sandbox.state().create_requests(), 1);
    assert!(screen.contains("Created +14155550100"), "{screen}");

    let (leads, orphans) = fold(store.load().unwrap().records);
    assert!(orphans.is_empty());
    assert_eq!(leads.len(), 1);
    // The campaigns fetched at start were kept for an offline start, and the campaign used.
    let cache = Cache::new(dir.path().join("cache"));
    let cached = cache.load_campaigns().unwrap().expect("campaigns cached");
    assert!(cached.value.iter().any(|c| c.id == 12));
    assert_eq!(cache.load_remembered().last_campaign, Some(12));
    assert_eq!(app.catalog.campaigns.len(), cached.value.len());
    assert_eq!(leads[0].status, Status::Created);
    assert_eq!(leads[0].lead_id, entry.lead_id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejected_lead_keeps_the_servers_field_errors() {
    let sandbox = Sandbox::start(SandboxOptions::default()).await.unwrap();
    let (dir, _store, services) = setup(&sandbox);
    // Campaign 999 passes local checks (it is a number) but the server does not know it.
    let (app, effects) = App::new(AppOptions { campaign: Some(999), ..AppOptions::default() });
    let (keys, events) = Keys::new();
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    let history_file = dir.path().join("history.jsonl");
    let user = async move {
        keys.type_text("+14155550100");
        keys.ctrl('s');
        wait_outcome(&history_file, "rejected").await;
        drop(keys); // the event stream ends: the loop returns
    };
    let (app, ()) = tokio::join!(runtime::run(&mut terminal, events, app, effects, services), user);
    let app = app.unwrap();
    let entry = app.history.row(0).unwrap();
    assert_eq!(entry.status, Status::Rejected);
    let error = entry.error.as_ref().unwrap();
    assert_eq!(error.http_status, Some(422));
    assert!(error.fields.contains_key("campaign_id"), "{error:?}");
}

/// Seen: a key that works but cannot be saved (the config file not writable) was reported as a
/// failure, and every lead stayed paused. It is used, the leads go, and the app says it is unsaved.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_that_works_but_cannot_be_saved_still_sends() {
    let sandbox = Sandbox::start(SandboxOptions::default()).await.unwrap();
    let (dir, _store, mut services) = setup(&sandbox);
    services.api = None;
    // The config file's directory is a regular file: no one, not even root, can write there.
    let blocker = dir.path().join("not-a-dir");
    std::fs::write(&blocker, b"").unwrap();
    services.config_file = Some(blocker.join("config.toml"));
    let (app, effects) = App::new(AppOptions {
        target: autocalls_tui::model::Target::Live("127.0.0.1".into()),
        campaign: Some(12),
        has_key: false,
        ..AppOptions::default()
    });
    let (keys, events) = Keys::new();
    let mut terminal = Terminal::new(TestBackend::new(100, 30)).unwrap();
    let history_file = dir.path().join("history.jsonl");
    let key_text = sandbox.key().to_owned();
    let user = async {
        keys.paste(key_text);
        keys.press(KeyCode::Enter, KeyModifiers::NONE);
        // Once the key works, the campaigns are fetched with it and cached: the prompt is closed.
        let campaigns = dir.path().join("cache").join("campaigns.json");
        wait_for("the campaigns fetched with the new key", TIMEOUT, || campaigns.exists(), String::new).await;
        keys.type_text("+14155550100");
        keys.ctrl('s');
        wait_outcome(&history_file, "created").await;
        drop(keys);
    };
    let (app, ()) = tokio::join!(runtime::run(&mut terminal, events, app, effects, services), user);
    let app = app.unwrap();
    assert_eq!(sandbox.state().leads().len(), 1);
    assert!(app.key_problem.is_none());
    assert!(!blocker.join("config.toml").exists());
}

/// Seen: after Ctrl-C the notice said "press Ctrl-Q again", and the second press took ~2 s, the
/// quit waiting on the request it had just been told to leave. Now the notice names the keys that
/// quit, and a second press quits without waiting for the server (here 1.5 s away, less than the
/// 2 s given to local work): the lead stays open in the history, as the notice says.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quitting_twice_leaves_the_request_behind_at_once() {
    let sandbox =
        Sandbox::start(SandboxOptions { latency: Duration::from_millis(1500), ..SandboxOptions::default() })
            .await
            .unwrap();
    let (dir, store, services) = setup(&sandbox);
    let (app, effects) = App::new(AppOptions { campaign: Some(12), ..AppOptions::default() });
    let (keys, events) = Keys::new();
    let mut terminal = Terminal::new(TestBackend::new(160, 30)).unwrap();
    let user = async {
        keys.type_text("+1 (415) 555-0100");
        keys.ctrl('s');
        let state = sandbox.state();
        wait_for("the create at the server", TIMEOUT, || state.create_requests() == 1, String::new).await;
        keys.ctrl('c');
        keys.ctrl('c');
    };
    let (app, ()) = tokio::join!(runtime::run(&mut terminal, events, app, effects, services), user);
    let app = app.unwrap();
    let screen = terminal.backend().to_string();
    assert!(screen.contains("Ctrl-C or Ctrl-Q again quits now"), "{screen}");
    assert!(!screen.contains("press Ctrl-Q again"), "{screen}");
    assert_eq!(app.history.row(0).map(|e| e.status), Some(Status::Pending));
    let (leads, _) = fold(store.load().unwrap().records);
    assert_eq!(leads.len(), 1);
    assert!(leads[0].status.is_open(), "left open for the next start: {:?}", leads[0].status);
    drop(dir);
}

/// A lead just created is taken back with Ctrl-Z from the form, after a question: the `change`
/// record, then the delete on the server, then `changed` done; the list says deleted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lead_just_created_is_taken_back_with_ctrl_z() {
    let sandbox = Sandbox::start(SandboxOptions::default()).await.unwrap();
    let (dir, store, services) = setup(&sandbox);
    let (app, effects) = App::new(AppOptions { campaign: Some(12), ..AppOptions::default() });
    let (keys, events) = Keys::new();
    let mut terminal = Terminal::new(TestBackend::new(160, 30)).unwrap();
    let history_file = dir.path().join("history.jsonl");
    let user = async {
        keys.type_text("+1 415 555 0100");
        keys.ctrl('s');
        wait_outcome(&history_file, "created").await;
        // The record is on disk a moment before the app has taken it in (the write answers with
        // a message): a person reads the notice first. Seen failing in a loaded run without it.
        tokio::time::sleep(Duration::from_secs(1)).await;
        keys.ctrl('z');
        keys.type_text("y");
        wait_outcome(&history_file, "done").await;
        // As above: the app takes the outcome in (and draws it) a moment after it is on disk.
        tokio::time::sleep(Duration::from_secs(1)).await;
        keys.ctrl('q');
    };
    let (app, ()) = tokio::join!(runtime::run(&mut terminal, events, app, effects, services), user);
    let app = app.unwrap();
    assert!(sandbox.state().leads().is_empty(), "deleted on the server");
    let entry = app.history.row(0).unwrap();
    assert!(entry.is_deleted());
    let screen = terminal.backend().to_string();
    assert!(screen.contains("✗ deleted") && screen.contains("taken back"), "{screen}");
    let (leads, orphans) = fold(store.load().unwrap().records);
    assert!(orphans.is_empty());
    assert!(leads[0].is_deleted(), "the file says so too");
}

/// A search over the history, each pass on a worker (as a long history's are): the keys reach the
/// search bar as they are typed, passes overlap with the history being read and with each other,
/// and what is listed in the end is what the last search finds, newest first.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_search_filtered_on_workers_lists_what_the_last_key_finds() {
    use autocalls_tui::api::types::CreateLead;
    use autocalls_tui::history::query::Filter;
    use autocalls_tui::history::{LocalId, Outcome, Record};

    let sandbox = Sandbox::start(SandboxOptions::default()).await.unwrap();
    let (_dir, store, services) = setup(&sandbox);
    let names = ["Ada Lovelace", "Grace Hopper", "Alan Turing"];
    // Written in one go (an append each would flush 3,000 times).
    let mut lines = Vec::new();
    for n in 0..3_000u32 {
        let request = CreateLead {
            phone_number: format!("+1415{n:07}").into(),
            campaign_id: 12,
            variables: [("customer_name", names[n as usize % names.len()])].into(),
            allow_dupplicate: false,
            secondary_contacts: vec![],
        };
        // Created long ago, so the outbox has nothing to take over.
        let id = LocalId(uuid::Uuid::from_u128(n.into()));
        let created =
            Outcome { status: Status::Created, lead_id: Some(format!("{n}").into()), ..Outcome::default() };
        for record in [Record::submitted(id, request, "cli"), Record::outcome(id, created)] {
            serde_json::to_writer(&mut lines, &record).unwrap();
            lines.push(b'\n');
        }
    }
    std::io::Write::write_all(
        &mut std::fs::OpenOptions::new().append(true).open(store.path()).unwrap(),
        &lines,
    )
    .unwrap();
    let (mut app, effects) = App::new(AppOptions { campaign: Some(12), ..AppOptions::default() });
    app.history.set_worker_from(0);
    let (keys, rx) = Keys::new();
    let mut terminal = Terminal::new(TestBackend::new(160, 48)).unwrap();
    let user = async {
        keys.press(KeyCode::F(3), KeyModifiers::NONE);
        keys.press(KeyCode::Char('/'), KeyModifiers::NONE);
        keys.type_text("grace h");
        keys.press(KeyCode::Backspace, KeyModifiers::NONE);
        keys.press(KeyCode::Backspace, KeyModifiers::NONE);
        keys.type_text(" 0001");
        // The stream ends: the loop stops, and work under way (the passes) finishes first.
        drop(keys);
    };
    let (app, ()) = tokio::join!(runtime::run(&mut terminal, rx, app, effects, services), user);
    let app = app.unwrap();
    assert_eq!(
        app.history.search_input.as_ref().map(autocalls_tui::model::TextInput::text),
        Some("grace 0001")
    );
    assert_eq!(app.history.total(), 3_000);
    let (leads, _) = fold(store.load().unwrap().records);
    let filter = Filter { search: Some("grace 0001".into()), ..Filter::default() };
    let expected: Vec<LocalId> = filter.apply(&leads).iter().map(|e| e.local_id).collect();
    let listed: Vec<LocalId> =
        (0..app.history.len()).filter_map(|r| app.history.row(r)).map(|e| e.local_id).collect();
    assert!(!expected.is_empty() && expected.len() < 3_000, "{expected:?}");
    assert_eq!(listed, expected);
}
