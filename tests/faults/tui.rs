//! The TUI's real event loop (`runtime::run`) on a `TestBackend`, with a history and a cache in
//! a temp dir: every common fault, and the cases only the loop meets (a second submission of the
//! same phone, a server failing for good, a look-up rate-limited).

use std::path::Path;
use std::time::{Duration, Instant};

use autocalls_tui::history::{HistoryStore, Status};
use autocalls_tui::model::{App, AppOptions, Target};
use autocalls_tui::runtime;
use crossterm::event::{KeyCode, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use crate::proxy::{CREATE, Fault, LIST};
use crate::rig::{
    CAMPAIGN, CASE_TIMEOUT, CONNECT_TIMEOUT, PHONE, PHONE_TYPED, REQUEST_TIMEOUT, Rig,
    assert_history_created, every_common_fault, folded,
};
use crate::support::event_loop::{Keys, services, wait_for};

/// Runs the real loop against the proxy with the history at `history` (the cache beside it), as
/// a run of its own (its lock held until the loop ends, as the app's is), Allow duplicate on in
/// the form (a second create would make a second lead instead of a `422`), while `user` types;
/// returns the app once the loop has ended.
pub async fn run_loop(rig: &Rig, history: &Path, user: impl AsyncFnOnce(Keys)) -> App {
    let dir = history.parent().unwrap();
    let run = autocalls_tui::history::RunLock::take(&dir.join("runs")).unwrap();
    let store = HistoryStore::open(history).unwrap().with_run(run.id());
    let services = services(rig.proxy.base_url(), rig.sandbox.key(), CONNECT_TIMEOUT, REQUEST_TIMEOUT, store);
    let (mut app, effects) = App::new(AppOptions {
        target: Target::Live("127.0.0.1".into()),
        campaign: Some(CAMPAIGN),
        run: Some(run.id()),
        has_key: true,
        rules: autocalls_tui::delivery::engine::Rules::for_timeout(REQUEST_TIMEOUT),
        // The campaign's rows are known, so the app asks the server only what the fault is
        // about (learning the rows is a `GET /user/leads` too, and would take the fault).
        layouts: [(CAMPAIGN, autocalls_tui::layout::Layout::default())].into(),
        ..AppOptions::default()
    });
    app.entry.form.allow_duplicate = true;
    let (keys, events) = Keys::new();
    let mut terminal = Terminal::new(TestBackend::new(100, 30)).unwrap();
    let (app, ()) = tokio::join!(runtime::run(&mut terminal, events, app, effects, services), user(keys));
    app.unwrap()
}

/// Waits until the history file holds `n` outcomes with `status`.
async fn wait_outcomes(rig: &Rig, history: &Path, status: &str, n: usize) {
    // Count outcome records, not matches in the line: the server's answer kept in a record
    // has a "status" of its own.
    let count = || {
        std::fs::read_to_string(history).map_or(0, |t| {
            t.lines()
                .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
                .filter(|r| r["type"] == "outcome" && r["status"] == status)
                .count()
        })
    };
    wait_for(
        &format!("{n} {status} outcome(s) in the history"),
        CASE_TIMEOUT,
        || count() >= n,
        || {
            let text = std::fs::read_to_string(history).unwrap_or_default();
            format!("{}\nhistory:\n{text}", rig.report())
        },
    )
    .await;
}

/// When `type_lead`, types the phone and sends it (Ctrl-S); then runs `meanwhile`; then
/// waits, feeding nothing but time, until the history holds a `created` outcome; then quits
/// (Ctrl-Q). The lead must be settled as created, nothing left on its way.
async fn drive(rig: &Rig, history: &Path, type_lead: bool, meanwhile: impl Future<Output = ()>) -> App {
    let app = run_loop(rig, history, async |keys: Keys| {
        if type_lead {
            keys.type_text(PHONE_TYPED);
            keys.ctrl('s');
        }
        meanwhile.await;
        wait_outcomes(rig, history, "created", 1).await;
        keys.ctrl('q');
    })
    .await;
    let entry = app.history.row(0).expect("the lead is in the history pane");
    assert_eq!(entry.status, Status::Created, "{entry:#?}");
    assert!(app.outbox.in_flight.is_empty(), "nothing left on its way: {:?}", app.outbox.in_flight);
    app
}

/// Starts the loop on an existing history without typing anything: leads left open by a run
/// that has ended are taken over at once (a live run's are left to it) and end created.
pub async fn resume(rig: &Rig, history: &Path) -> App {
    drive(rig, history, false, async {}).await
}

/// One case: `faults` for the creates, `posts` creates tried in all.
async fn case(faults: &[Fault], posts: usize) {
    let rig = Rig::start().await;
    rig.creates(faults);
    let dir = tempfile::tempdir().unwrap();
    let history = dir.path().join("history.jsonl");
    let started = Instant::now();
    let app = drive(&rig, &history, true, async {}).await;
    let lead = rig.assert_one_lead(posts);
    assert_history_created(&history, &lead);
    assert_eq!(app.history.row(0).unwrap().lead_id.as_deref(), Some(lead.id.as_str()));
    eprintln!("tui {faults:?}: created #{} in {:?}\n{}", lead.id, started.elapsed(), rig.proxy.describe());
}

every_common_fault!();

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_errors_500_and_502_before_the_server_did_anything() {
    // Each one is looked up (not there), then sent again after a pause.
    case(&[500, 502].map(Fault::StatusBefore), 3).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_errors_503_and_504_before_the_server_did_anything() {
    case(&[503, 504].map(Fault::StatusBefore), 3).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_answer_and_the_first_look_up_gets_none_either() {
    // The look-up fails too: it is tried again after a backoff, and then finds the lead.
    let rig = Rig::start().await;
    rig.creates(&[Fault::HangAfterForward]);
    rig.proxy.inject(LIST, Fault::Hang);
    let dir = tempfile::tempdir().unwrap();
    let history = dir.path().join("history.jsonl");
    drive(&rig, &history, true, async {}).await;
    let lead = rig.assert_one_lead(1);
    assert_history_created(&history, &lead);
    assert!(rig.proxy.received(LIST) >= 2, "{}", rig.report());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_refused_then_the_server_comes_back() {
    let rig = Rig::closed().await;
    let dir = tempfile::tempdir().unwrap();
    let history = dir.path().join("history.jsonl");
    // The first try was refused and the lead is queued for a retry: the server comes back.
    let recover = rig.open_once_queued(&history);
    drive(&rig, &history, true, recover).await;
    // The refused try never reached the proxy: the one create it saw is the retry.
    let lead = rig.assert_one_lead(1);
    assert_history_created(&history, &lead);
    let entry = &folded(&history)[0];
    let story = HistoryStore::open(&history).unwrap().story(entry.local_id).unwrap();
    assert!(story.attempts.iter().any(|a| a.status == Status::Queued), "{story:#?}");
}

/// Two submissions of one phone (the second with Allow duplicate, from the duplicate
/// question) must make two leads. The second create never reaches the server and its answer
/// never comes; the look-up then finds the *first* submission's lead (same phone, same
/// campaign, created minutes ago at most) and takes it for the second's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]

async fn a_second_submission_of_the_same_phone_is_not_taken_for_the_first() {
    let rig = Rig::start().await;
    rig.creates(&[Fault::Pass, Fault::Hang]);
    let dir = tempfile::tempdir().unwrap();
    let history = dir.path().join("history.jsonl");
    let app = run_loop(&rig, &history, async |keys: Keys| {
        keys.type_text(PHONE_TYPED);
        keys.ctrl('s');
        wait_outcomes(&rig, &history, "created", 1).await;
        // Again: the duplicate question comes up; `a` sends it with Allow duplicate on.
        keys.type_text(PHONE_TYPED);
        keys.ctrl('s');
        keys.press(KeyCode::Char('a'), KeyModifiers::NONE);
        wait_outcomes(&rig, &history, "created", 2).await;
        keys.ctrl('q');
    })
    .await;
    let entries = folded(&history);
    let report = format!("{}\nhistory: {entries:#?}", rig.report());
    assert_eq!(entries.len(), 2, "{report}");
    assert!(entries.iter().all(|e| e.status == Status::Created && e.request.allow_dupplicate), "{report}");
    let server: Vec<String> = rig.leads().into_iter().map(|l| l.id.to_string()).collect();
    let mut local: Vec<String> =
        entries.iter().filter_map(|e| e.lead_id.as_deref().map(String::from)).collect();
    local.sort();
    assert_eq!(server.len(), 2, "two submissions, two leads on the server\n{report}");
    assert_eq!(local, server, "each submission has its own lead\n{report}");
    assert_eq!(rig.sandbox.state().create_requests(), rig.proxy.forwarded(CREATE), "{report}");
    assert_eq!(app.history.len(), 2);
}

/// A server that keeps failing with `503` (nothing created) must not be hammered: after an
/// unknown outcome whose look-up finds nothing, the next send should wait a backoff, as a
/// refused connection does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]

async fn a_server_failing_with_503_is_not_hammered() {
    let rig = Rig::start().await;
    rig.proxy.inject_n(CREATE, Fault::StatusBefore(503), 100_000);
    let dir = tempfile::tempdir().unwrap();
    let history = dir.path().join("history.jsonl");
    run_loop(&rig, &history, async |keys: Keys| {
        keys.type_text(PHONE_TYPED);
        keys.ctrl('s');
        tokio::time::sleep(Duration::from_secs(3)).await;
        // Dropping the keys ends the loop at once; the lead stays open in the history.
    })
    .await;
    let posts = rig.proxy.received(CREATE);
    let records = std::fs::read_to_string(&history).unwrap().lines().count();
    eprintln!(
        "503 for 3 s: {posts} creates, {} look-ups, {records} history records",
        rig.proxy.received(LIST)
    );
    assert_eq!(rig.leads().len(), 0);
    // With a backoff from 2 s: a send at 0 s and one at about 2 s.
    assert!(posts <= 3, "{posts} creates in 3 s against a server answering 503 ({records} history records)");
}

/// A look-up answered with `429` must wait its `Retry-After` before the next look-up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]

async fn a_rate_limited_look_up_waits_its_retry_after() {
    let rig = Rig::start().await;
    rig.creates(&[Fault::StatusAfter(503)]);
    rig.proxy.inject(LIST, Fault::RetryAfterSecs(5));
    let dir = tempfile::tempdir().unwrap();
    let history = dir.path().join("history.jsonl");
    drive(&rig, &history, true, async {}).await;
    let lead = rig.assert_one_lead(1);
    assert_history_created(&history, &lead);
    rig.assert_the_look_up_waited_its_retry_after();
}

/// Seen: the server created the lead and answered with a web page; the key prompt opened,
/// and typing the key again sent the lead again at once (two leads, Allow duplicate on).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_web_page_answer_then_the_key_typed_again_looks_the_lead_up_first() {
    let rig = Rig::start().await;
    rig.creates(&[Fault::HtmlAfterForward]);
    let dir = tempfile::tempdir().unwrap();
    let history = dir.path().join("history.jsonl");
    let key = rig.sandbox.key().to_owned();
    let app = run_loop(&rig, &history, async |keys: Keys| {
        keys.type_text(PHONE_TYPED);
        keys.ctrl('s');
        // The answer was a web page: the outcome is unknown and the key prompt is open.
        wait_outcomes(&rig, &history, "unknown", 1).await;
        keys.type_text(&key);
        keys.press(KeyCode::Enter, KeyModifiers::NONE);
        wait_outcomes(&rig, &history, "created", 1).await;
        keys.ctrl('q');
    })
    .await;
    let lead = rig.assert_one_lead(1);
    assert_history_created(&history, &lead);
    assert!(rig.proxy.received(LIST) >= 1, "looked up before anything else\n{}", rig.report());
    assert_eq!(app.account.as_deref().map(str::is_empty), Some(false), "signed in again");
}

/// A lead held by a run that is alive (a `create` still waiting on the server) is left to
/// it: nothing is sent for it, and it is shown as another window's. The moment that run
/// ends, the running window takes it over (no restart), looks it up and sends it once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lead_held_by_a_live_run_is_left_to_it_and_taken_over_when_it_ends() {
    let rig = Rig::start().await;
    let dir = tempfile::tempdir().unwrap();
    let history = dir.path().join("history.jsonl");
    // The other run: its lock held here, its lead written as `create` writes it.
    let other = autocalls_tui::history::RunLock::take(&dir.path().join("runs")).unwrap();
    let store = HistoryStore::open(&history).unwrap().with_run(other.id());
    let request = autocalls_tui::api::types::CreateLead {
        phone_number: PHONE.into(),
        campaign_id: CAMPAIGN,
        variables: Default::default(),
        allow_dupplicate: true,
        secondary_contacts: vec![],
    };
    let local_id = autocalls_tui::history::LocalId::new();
    store.append(&autocalls_tui::history::Record::submitted(local_id, request, "cli")).unwrap();
    let other = std::sync::Mutex::new(Some(other));
    let app = run_loop(&rig, &history, async |keys: Keys| {
        // Long enough for a claim, a look-up and a send, had any been made.
        tokio::time::sleep(Duration::from_secs(2)).await;
        assert_eq!(rig.proxy.received(CREATE) + rig.proxy.received(LIST), 0, "{}", rig.report());
        // The other run ends (as a process ends, its lock with it).
        drop(other.lock().unwrap().take());
        wait_outcomes(&rig, &history, "created", 1).await;
        keys.ctrl('q');
    })
    .await;
    let lead = rig.assert_one_lead(1);
    assert_history_created(&history, &lead);
    assert!(rig.proxy.received(LIST) >= 1, "looked up first\n{}", rig.report());
    assert!(app.outbox.elsewhere.is_empty() && app.outbox.in_flight.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fault_in_a_row_still_one_lead() {
    let rig = Rig::start().await;
    rig.creates(&[Fault::StatusBefore(503), Fault::RetryAfterSecs(1), Fault::Hang, Fault::HalfResponse]);
    let dir = tempfile::tempdir().unwrap();
    let history = dir.path().join("history.jsonl");
    drive(&rig, &history, true, async {}).await;
    let lead = rig.assert_one_lead(4);
    assert_history_created(&history, &lead);
}
