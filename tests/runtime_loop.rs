//! The real event loop (`runtime::run`) driven with key events on a `TestBackend`, against the
//! real sandbox on loopback and a real history file in a temp dir.
#![allow(clippy::unwrap_used, reason = "a test or bench stops loudly at what it did not expect")]

use std::time::Duration;

use autocalls_tui::api::{ApiClient, ClientOptions};
use autocalls_tui::cache::Cache;
use autocalls_tui::history::{HistoryStore, Status, fold};
use autocalls_tui::model::{App, AppOptions, Focus};
use autocalls_tui::runtime::{self, Services};
use autocalls_tui::sandbox::{Sandbox, SandboxOptions};
use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use futures::channel::mpsc;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use secrecy::SecretString;

fn key(code: KeyCode, mods: KeyModifiers) -> std::io::Result<Event> {
    Ok(Event::Key(KeyEvent::new(code, mods)))
}

fn type_text(tx: &mpsc::UnboundedSender<std::io::Result<Event>>, text: &str) {
    for c in text.chars() {
        tx.unbounded_send(key(KeyCode::Char(c), KeyModifiers::NONE)).unwrap();
    }
}

async fn wait_until(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while !check() {
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A temp dir with a history store in it, and what the loop reaches: the sandbox, that history,
/// a cache in the temp dir.
fn setup(sandbox: &Sandbox) -> (tempfile::TempDir, HistoryStore, Services) {
    let dir = tempfile::tempdir().unwrap();
    let store = HistoryStore::open(dir.path().join("history.jsonl")).unwrap();
    let client = ClientOptions {
        base_url: sandbox.base_url(),
        key: SecretString::from(sandbox.key().to_owned()),
        connect_timeout: Duration::from_secs(2),
        request_timeout: Duration::from_secs(10),
    };
    let services = Services {
        api: Some(ApiClient::new(client.clone()).unwrap()),
        client,
        config_file: None,
        history: store.clone(),
        cache: Cache::new(dir.path().join("cache")),
        draft: None,
    };
    (dir, store, services)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_typed_lead_is_recorded_sent_and_created_while_the_next_is_typed() {
    let sandbox =
        Sandbox::start(SandboxOptions { latency: Duration::from_millis(300), ..SandboxOptions::default() })
            .await
            .unwrap();
    let (dir, store, services) = setup(&sandbox);
    let (app, effects) = App::new(AppOptions { campaign: Some(12), ..AppOptions::default() });
    let (tx, rx) = mpsc::unbounded();
    let mut terminal = Terminal::new(TestBackend::new(100, 30)).unwrap();
    let history_file = dir.path().join("history.jsonl");
    // The loop owns the app on this task (the app is not `Send`); the user types alongside.
    let user = async {
        type_text(&tx, "+1 (415) 555-0100");
        tx.unbounded_send(key(KeyCode::Char('s'), KeyModifiers::CONTROL)).unwrap();
        // While the request waits on the sandbox's latency, the next lead is already being typed.
        type_text(&tx, "+44 20 7946 0958");
        wait_until("the created outcome on disk", || {
            std::fs::read_to_string(&history_file).is_ok_and(|t| t.contains("\"status\":\"created\""))
        })
        .await;
        tx.unbounded_send(key(KeyCode::Char('q'), KeyModifiers::CONTROL)).unwrap();
    };
    let (app, ()) = tokio::join!(runtime::run(&mut terminal, rx, app, effects, services), user);
    let app = app.unwrap();
    let screen = terminal.backend().to_string();

    assert_eq!(app.form.phone.text(), "+44 20 7946 0958", "typing went on during the send");
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
    let (tx, rx) = mpsc::unbounded();
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    let history_file = dir.path().join("history.jsonl");
    let user = async move {
        type_text(&tx, "+14155550100");
        tx.unbounded_send(key(KeyCode::Char('s'), KeyModifiers::CONTROL)).unwrap();
        wait_until("the rejected outcome on disk", || {
            std::fs::read_to_string(&history_file).is_ok_and(|t| t.contains("\"status\":\"rejected\""))
        })
        .await;
        drop(tx); // the event stream ends: the loop returns
    };
    let (app, ()) = tokio::join!(runtime::run(&mut terminal, rx, app, effects, services), user);
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
    let (tx, rx) = mpsc::unbounded();
    let mut terminal = Terminal::new(TestBackend::new(100, 30)).unwrap();
    let history_file = dir.path().join("history.jsonl");
    let key_text = sandbox.key().to_owned();
    let user = async {
        tx.unbounded_send(Ok(Event::Paste(key_text))).unwrap();
        tx.unbounded_send(key(KeyCode::Enter, KeyModifiers::NONE)).unwrap();
        // Once the key works, the campaigns are fetched with it and cached: the prompt is closed.
        let campaigns = dir.path().join("cache").join("campaigns.json");
        wait_until("the campaigns fetched with the new key", || campaigns.exists()).await;
        type_text(&tx, "+14155550100");
        tx.unbounded_send(key(KeyCode::Char('s'), KeyModifiers::CONTROL)).unwrap();
        wait_until("the created outcome on disk", || {
            std::fs::read_to_string(&history_file).is_ok_and(|t| t.contains("\"status\":\"created\""))
        })
        .await;
        drop(tx);
    };
    let (app, ()) = tokio::join!(runtime::run(&mut terminal, rx, app, effects, services), user);
    let app = app.unwrap();
    assert_eq!(sandbox.state().leads().len(), 1);
    assert!(app.key_problem.is_none());
    assert!(!blocker.join("config.toml").exists());
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
            Outcome { status: Status::Created, lead_id: Some(format!("{n}")), ..Outcome::default() };
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
    let (tx, rx) = mpsc::unbounded();
    let mut terminal = Terminal::new(TestBackend::new(160, 48)).unwrap();
    let user = async {
        tx.unbounded_send(key(KeyCode::F(3), KeyModifiers::NONE)).unwrap();
        tx.unbounded_send(key(KeyCode::Char('/'), KeyModifiers::NONE)).unwrap();
        type_text(&tx, "grace h");
        tx.unbounded_send(key(KeyCode::Backspace, KeyModifiers::NONE)).unwrap();
        tx.unbounded_send(key(KeyCode::Backspace, KeyModifiers::NONE)).unwrap();
        type_text(&tx, " 0001");
        // The stream ends: the loop stops, and work under way (the passes) finishes first.
        drop(tx);
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
