//! `autocalls-tui create`, the real binary, with its environment in a temp dir: every common
//! fault, the cases where it gives up and leaves the lead open (which the TUI then settles), and
//! a second create of the same phone.

use std::path::Path;
use std::process::Output;
use std::time::{Duration, Instant};

use autocalls_tui::model::App;
use serde_json::Value;
use tokio::process::Command;

use crate::proxy::{CREATE, Fault, LIST};
use crate::rig::{
    CAMPAIGN, CASE_TIMEOUT, CONNECT_TIMEOUT, PHONE_TYPED, REQUEST_TIMEOUT, Rig, assert_history_created,
    every_common_fault,
};
use crate::support::command::{Home, text};
use crate::support::event_loop::wait_for;

/// A home for `create` runs against the rig.
pub(crate) struct Cli {
    pub(crate) home: Home,
}

impl Cli {
    /// A fresh home whose config file sets short timeouts.
    pub(crate) fn new(rig: &Rig) -> Cli {
        let home = Home::new(rig.proxy.base_url(), rig.sandbox.key());
        let config = home.dir.path().join("config/autocalls-tui");
        std::fs::create_dir_all(&config).unwrap();
        std::fs::write(
            config.join("config.toml"),
            format!(
                "connect_timeout_secs = {}\nrequest_timeout_secs = {}\n",
                CONNECT_TIMEOUT.as_secs(),
                REQUEST_TIMEOUT.as_secs()
            ),
        )
        .unwrap();
        Cli { home }
    }

    /// `create` for our phone, duplicates allowed, as JSON.
    fn create(&self) -> Command {
        let campaign = CAMPAIGN.to_string();
        self.home.command(&[
            "create",
            "--phone",
            PHONE_TYPED,
            "--campaign",
            &campaign,
            "--allow-duplicate",
            "--json",
        ])
    }

    /// `history --json`.
    async fn history_json(&self) -> Vec<Value> {
        let out = self.home.run(&["history", "--json"]).await;
        assert!(out.status.success(), "{}", text(&out.stderr));
        serde_json::from_slice(&out.stdout).unwrap()
    }
}

fn describe(out: &Output) -> String {
    format!("exit {:?}\nstdout:\n{}\nstderr:\n{}", out.status.code(), text(&out.stdout), text(&out.stderr))
}

/// `create` ends `created` with the server's one lead: exit 0, the JSON and the history say so.
async fn assert_created(rig: &Rig, cli: &Cli, out: &Output, posts: usize) {
    let report = format!("{}\n{}", describe(out), rig.report());
    assert_eq!(out.status.code(), Some(0), "{report}");
    let lead = rig.assert_one_lead(posts);
    let printed: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}\n{report}"));
    assert_eq!(printed["status"], "created", "{report}");
    assert_eq!(printed["lead_id"], lead.id.as_str(), "{report}");
    assert_history_created(&cli.home.history_file(), &lead);
    let history = cli.history_json().await;
    assert_eq!(history.len(), 1, "{history:#?}");
    assert_eq!(history[0]["status"], "created");
    assert_eq!(history[0]["lead_id"], lead.id.as_str());
}

/// One case: `faults` for the creates, `posts` creates tried in all, ending created.
async fn case(faults: &[Fault], posts: usize) {
    let rig = Rig::start().await;
    rig.creates(faults);
    let cli = Cli::new(&rig);
    let started = Instant::now();
    let out = cli.create().output().await.unwrap();
    eprintln!(
        "cli {faults:?}: exit {:?} in {:?}\n{}",
        out.status.code(),
        started.elapsed(),
        rig.proxy.describe()
    );
    assert_created(&rig, &cli, &out, posts).await;
}

every_common_fault!();

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn error_500_before_the_server_did_anything() {
    case(&[Fault::StatusBefore(500)], 2).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_502_and_503_before_the_server_did_anything() {
    // Two unknown outcomes, each looked up (not there): the third and last send goes through.
    case(&[Fault::StatusBefore(502), Fault::StatusBefore(503)], 3).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn error_504_before_the_server_did_anything() {
    case(&[Fault::StatusBefore(504)], 2).await;
}

/// `create --allow-duplicate` twice for one phone must make two leads. The second create
/// never reaches the server; its look-up finds the first run's lead and reports it as its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]

async fn a_second_create_of_the_same_phone_is_not_taken_for_the_first() {
    let rig = Rig::start().await;
    rig.creates(&[Fault::Pass, Fault::Hang]);
    let cli = Cli::new(&rig);
    let first = cli.create().output().await.unwrap();
    assert_eq!(first.status.code(), Some(0), "{}", describe(&first));
    let second = cli.create().output().await.unwrap();
    let history = cli.history_json().await;
    let report = format!("{}\n{}\nhistory: {history:#?}", describe(&second), rig.report());
    let server: Vec<String> = rig.leads().into_iter().map(|l| l.id.to_string()).collect();
    let mut local: Vec<String> =
        history.iter().filter_map(|e| e["lead_id"].as_str().map(str::to_owned)).collect();
    local.sort();
    assert_eq!(server.len(), 2, "two creates, two leads on the server\n{report}");
    assert_eq!(local, server, "each create has its own lead\n{report}");
}

/// A look-up answered with `429` must wait its `Retry-After` (when short enough for a
/// script) before the next look-up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]

async fn a_rate_limited_look_up_waits_its_retry_after() {
    let rig = Rig::start().await;
    rig.creates(&[Fault::StatusAfter(503)]);
    rig.proxy.inject(LIST, Fault::RetryAfterSecs(5));
    let cli = Cli::new(&rig);
    let out = cli.create().output().await.unwrap();
    assert_created(&rig, &cli, &out, 1).await;
    rig.assert_the_look_up_waited_its_retry_after();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_refused_then_the_server_comes_back() {
    let rig = Rig::closed().await;
    let cli = Cli::new(&rig);
    let history = cli.home.history_file();
    let child = cli
        .create()
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let recover = rig.open_once_queued(&history);
    let (out, ()) = tokio::join!(child.wait_with_output(), recover);
    let out = out.unwrap();
    assert!(text(&out.stderr).contains("trying again"), "{}", describe(&out));
    assert_created(&rig, &cli, &out, 1).await;
}

/// No answer to the create, and none to any look-up either: `create` gives up with exit 4,
/// leaving the lead `unknown` (never sent again). The TUI, started later on the same history,
/// looks it up and finds it: still one lead, still one create.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn never_answers_and_the_look_ups_fail_too_then_the_tui_resolves_it() {
    let rig = Rig::start().await;
    rig.creates(&[Fault::HangAfterForward]);
    rig.proxy.inject_n(LIST, Fault::Hang, 3);
    let cli = Cli::new(&rig);
    let started = Instant::now();
    let out = cli.create().output().await.unwrap();
    let report = format!("{}\n{}", describe(&out), rig.report());
    eprintln!("cli gave up in {:?}", started.elapsed());
    assert_eq!(out.status.code(), Some(4), "{report}");
    assert_eq!(rig.leads().len(), 1, "{report}");
    assert_eq!(rig.sandbox.state().create_requests(), 1, "{report}");
    assert_eq!(rig.proxy.received(CREATE), 1, "never sent again\n{report}");
    assert_eq!(rig.proxy.received(LIST), 3, "{report}");
    let printed: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}\n{report}"));
    assert_eq!(printed["status"], "unknown", "{report}");
    let history = cli.history_json().await;
    assert_eq!(history.len(), 1, "{history:#?}");
    assert!(matches!(history[0]["status"].as_str(), Some("unknown" | "queued")), "{history:#?}");
    assert_eq!(history[0]["lead_id"], Value::Null);

    // The TUI takes the open lead over (its run has ended) and checks before sending.
    let app = tui_resume(&rig, &cli.home.history_file()).await;
    let lead = rig.assert_one_lead(1);
    assert_history_created(&cli.home.history_file(), &lead);
    assert_eq!(app.history.row(0).unwrap().lead_id.as_deref(), Some(lead.id.as_str()));
    assert_eq!(cli.history_json().await[0]["status"], "created");
}

/// The same, but the server never saw the create: `create` gives up (exit 4) with nothing on
/// the server; the TUI later finds nothing on look-up and sends it once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn never_answers_before_doing_anything_and_the_look_ups_fail_then_the_tui_sends_it_once() {
    let rig = Rig::start().await;
    rig.creates(&[Fault::Hang]);
    rig.proxy.inject_n(LIST, Fault::Hang, 3);
    let cli = Cli::new(&rig);
    let out = cli.create().output().await.unwrap();
    let report = format!("{}\n{}", describe(&out), rig.report());
    assert_eq!(out.status.code(), Some(4), "{report}");
    assert_eq!(rig.leads().len(), 0, "{report}");
    assert_eq!(rig.proxy.received(CREATE), 1, "never sent again\n{report}");
    let history = cli.history_json().await;
    assert!(matches!(history[0]["status"].as_str(), Some("unknown" | "queued")), "{history:#?}");

    tui_resume(&rig, &cli.home.history_file()).await;
    let lead = rig.assert_one_lead(2);
    assert_history_created(&cli.home.history_file(), &lead);
}

/// Seen: a lead `create` queued offline waited 90 s of quiet before a TUI would send it.
/// Now the run that queued it has ended, so the TUI started next takes it at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queued_offline_then_the_tui_started_next_sends_it_at_once() {
    let rig = Rig::closed().await;
    let cli = Cli::new(&rig);
    let out = cli.create().output().await.unwrap();
    assert_eq!(out.status.code(), Some(4), "{}", describe(&out));
    assert_eq!(cli.history_json().await[0]["status"], "queued");
    rig.proxy.open().await;
    tui_resume(&rig, &cli.home.history_file()).await;
    let lead = rig.assert_one_lead(1);
    assert_history_created(&cli.home.history_file(), &lead);
}

/// The server answers a create with a web page after creating the lead: `create` cannot
/// know (exit 4, `unknown`), and sends nothing again; the TUI finds the lead.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_web_page_answer_leaves_the_lead_unknown_and_the_tui_finds_it() {
    let rig = Rig::start().await;
    rig.creates(&[Fault::HtmlAfterForward]);
    let cli = Cli::new(&rig);
    let out = cli.create().output().await.unwrap();
    assert_eq!(out.status.code(), Some(4), "{}", describe(&out));
    let printed: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(printed["status"], "unknown", "{}", describe(&out));
    tui_resume(&rig, &cli.home.history_file()).await;
    let lead = rig.assert_one_lead(1);
    assert_history_created(&cli.home.history_file(), &lead);
}

/// A window started while a live `create` waits on a slow server sends nothing for that
/// lead: the create finds it and ends; the window only ever reads its records.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_window_started_while_create_waits_on_a_slow_server_sends_nothing() {
    let rig = Rig::start().await;
    rig.creates(&[Fault::SlowForward(REQUEST_TIMEOUT * 2)]);
    let cli = Cli::new(&rig);
    let history = cli.home.history_file();
    let child = cli
        .create()
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    wait_for("the create's lead in the history", CASE_TIMEOUT, || history.exists(), || rig.report()).await;
    let (out, app) = tokio::join!(child.wait_with_output(), tui_resume(&rig, &history));
    let out = out.unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let lead = rig.assert_one_lead(1);
    assert_history_created(&history, &lead);
    assert_eq!(app.history.row(0).unwrap().lead_id.as_deref(), Some(lead.id.as_str()));
}

/// `create` killed with SIGKILL while its request is held: the next start takes the lead
/// over (its run is gone), looks it up first and finds it: created exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_killed_mid_request_is_resumed_by_the_next_start_exactly_once() {
    let rig = Rig::start().await;
    rig.creates(&[Fault::HangAfterForward]);
    let cli = Cli::new(&rig);
    // A long timeout: the create must still be waiting when it is killed.
    let config = cli.home.dir.path().join("config/autocalls-tui/config.toml");
    std::fs::write(&config, "connect_timeout_secs = 1\nrequest_timeout_secs = 60\n").unwrap();
    let mut child = cli.create().spawn().unwrap();
    wait_for("the create forwarded", CASE_TIMEOUT, || rig.proxy.forwarded(CREATE) == 1, || rig.report())
        .await;
    child.start_kill().unwrap();
    let status = child.wait().await.unwrap();
    assert!(!status.success());
    assert_eq!(cli.history_json().await[0]["status"], "pending");
    tui_resume(&rig, &cli.home.history_file()).await;
    let lead = rig.assert_one_lead(1);
    assert!(rig.proxy.received(LIST) >= 1, "looked up\n{}", rig.report());
    assert_history_created(&cli.home.history_file(), &lead);
}

async fn tui_resume(rig: &Rig, history: &Path) -> App {
    crate::tui::resume(rig, history).await
}
