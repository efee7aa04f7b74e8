//! Delivery that never loses or duplicates a lead, proved on loopback: a real in-process sandbox
//! behind a fault-injecting proxy (`faults/proxy.rs`) that loses, breaks, replaces or holds the
//! answers to `POST /api/user/lead`, refuses connections, or rate-limits. For every fault, one
//! submission must end as exactly one lead on the server, and the history must say `created` with
//! that lead's id:
//! - through the TUI's real event loop (`runtime::run` on a `TestBackend`, keys from a channel);
//! - through `autocalls-tui create` (the real binary), which gives up after a few tries and then
//!   leaves the lead open in the history;
//! - through the real binary in a pseudo-terminal, killed with SIGKILL while its create request
//!   is held, then started again: it must look the lead up, not send it again.
//!
//! The loop and CLI cases send with `allow_dupplicate: true`, so a second create *would* make a
//! second lead on the sandbox (instead of being refused as a duplicate): counting leads counts
//! sends. The proxy logs each request, so the tests also check how many creates were tried, that
//! the server saw exactly the ones the proxy forwarded (`create_requests()`), that a create whose
//! outcome was unknown was only sent again after a look-up that got an answer, and that a `429`
//! was waited out.
//!
//! Some cases guard defects this suite found: a second lead for the same phone taken for the
//! first by the look-up, resends without a pause against a failing server, and a 429 on a
//! look-up not waited out.
#![allow(clippy::unwrap_used, reason = "a test or bench stops loudly at what it did not expect")]

#[path = "faults/proxy.rs"]
mod proxy;
mod support;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use autocalls_tui::api::types::Lead;
use autocalls_tui::api::{ApiClient, ClientOptions};
use autocalls_tui::cache::Cache;
use autocalls_tui::history::{HistoryStore, LeadEntry, Status, fold};
use autocalls_tui::model::{App, AppOptions, Target};
use autocalls_tui::runtime::{self, Services};
use autocalls_tui::sandbox::{Sandbox, SandboxOptions};
use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use futures::channel::mpsc;
use proxy::{CREATE, Fault, LIST, Proxy};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use secrecy::SecretString;

/// The phone as a person types it.
const PHONE_TYPED: &str = "+1 (415) 555-0100";
/// The phone as sent.
const PHONE: &str = "+14155550100";
/// A demo campaign of the sandbox.
const CAMPAIGN: u64 = 12;
/// The clients' request timeout here: short, so a server that never answers costs a second.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(1);
/// How long after an unknown outcome a lead settles before it may be sent again.
const SETTLE: Duration = Duration::from_secs(3 * REQUEST_TIMEOUT.as_secs());
/// The clients' connect timeout here.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);
/// The longest a case may take to end in `created` (backoffs start at 2 s).
const CASE_TIMEOUT: Duration = Duration::from_secs(25);

/// A sandbox with the proxy in front of it.
struct Rig {
    sandbox: Sandbox,
    proxy: Proxy,
}

impl Rig {
    /// The proxy listens at once.
    async fn start() -> Rig {
        let sandbox = Sandbox::start(SandboxOptions::default()).await.unwrap();
        let proxy = Proxy::start(sandbox.addr()).await;
        Rig { sandbox, proxy }
    }

    /// The proxy's port is reserved but refuses connections until `proxy.open()`.
    async fn closed() -> Rig {
        let sandbox = Sandbox::start(SandboxOptions::default()).await.unwrap();
        let proxy = Proxy::closed(sandbox.addr()).await;
        Rig { sandbox, proxy }
    }

    /// Queues faults for creates.
    fn creates(&self, faults: &[Fault]) {
        for fault in faults {
            self.proxy.inject(CREATE, *fault);
        }
    }

    /// The sandbox's leads with our phone.
    fn leads(&self) -> Vec<Lead> {
        self.sandbox
            .state()
            .leads()
            .into_iter()
            .filter(|l| l.phone_number.as_deref() == Some(PHONE))
            .collect()
    }

    /// What the proxy saw, for failure messages.
    fn report(&self) -> String {
        format!(
            "proxy log:\n{}\nsandbox: {} create request(s), leads {:?}",
            self.proxy.describe(),
            self.sandbox.state().create_requests(),
            self.leads().iter().map(|l| &l.id).collect::<Vec<_>>()
        )
    }

    /// The core of every case: exactly one lead with our phone on the server, exactly one create
    /// reached it (and the server counted exactly the creates the proxy forwarded), `posts`
    /// creates were tried in all, and the delivery rules were kept (see [`Rig::check_rules`]).
    /// Returns the lead.
    fn assert_one_lead(&self, posts: usize) -> Lead {
        let report = self.report();
        let leads = self.leads();
        assert_eq!(leads.len(), 1, "one lead expected on the server\n{report}");
        assert_eq!(
            self.sandbox.state().create_requests(),
            self.proxy.forwarded(CREATE),
            "the server saw exactly the creates the proxy forwarded\n{report}"
        );
        assert_eq!(self.proxy.forwarded(CREATE), 1, "one create reached the server\n{report}");
        assert_eq!(self.proxy.received(CREATE), posts, "creates tried\n{report}");
        assert_eq!(self.proxy.pending_faults(), 0, "every queued fault was used\n{report}");
        self.check_rules();
        leads.into_iter().next().unwrap()
    }

    /// The rules, read off the proxy's log: after a create whose outcome the client could not
    /// know (reset, 5xx, no answer, half an answer), the next create comes only after a look-up
    /// the server answered; after a `429`, not before its `Retry-After`.
    fn check_rules(&self) {
        let log = self.proxy.log();
        let report = self.report();
        let creates: Vec<usize> = (0..log.len()).filter(|&i| log[i].is(CREATE)).collect();
        for pair in creates.windows(2) {
            let (before, next) = (&log[pair[0]], &log[pair[1]]);
            let between = &log[pair[0] + 1..pair[1]];
            match before.fault {
                Fault::Pass => {}
                Fault::RetryAfterSecs(secs) => {
                    let waited = next.at.duration_since(before.at);
                    let asked = Duration::from_secs(secs);
                    assert!(
                        waited + Duration::from_millis(100) >= asked,
                        "sent again after {waited:?}, Retry-After asked {asked:?}\n{report}"
                    );
                }
                Fault::RetryAfterDate(ahead) => {
                    // The date has whole seconds: the wait asked is at least `ahead` - 1 s.
                    let waited = next.at.duration_since(before.at);
                    let asked = ahead.saturating_sub(Duration::from_secs(1));
                    assert!(
                        waited + Duration::from_millis(100) >= asked,
                        "sent again after {waited:?}, Retry-After (a date) asked about {ahead:?}\n{report}"
                    );
                }
                Fault::ResetAfterForward
                | Fault::StatusBefore(_)
                | Fault::StatusAfter(_)
                | Fault::Hang
                | Fault::HangAfterForward
                | Fault::HalfResponse
                | Fault::FirstBytes(_)
                | Fault::SlowForward(_)
                | Fault::HtmlAfterForward => {
                    // The server may still be working on it: only a look-up made once the
                    // settling time (three request timeouts) has passed may let it go again.
                    let settled = before.at + SETTLE - Duration::from_millis(100);
                    let checked = between
                        .iter()
                        .any(|s| s.is(LIST) && s.forwarded && s.fault == Fault::Pass && s.at >= settled);
                    assert!(
                        checked,
                        "a create whose outcome was unknown ({:?}) was sent again without a look-up after the settling time\n{report}",
                        before.fault
                    );
                }
            }
        }
    }
}

/// The leads in a history file, folded.
fn folded(path: &Path) -> Vec<LeadEntry> {
    let store = HistoryStore::open(path).unwrap();
    let (leads, orphans) = fold(store.load().unwrap().records);
    assert!(orphans.is_empty(), "orphan records: {orphans:?}");
    leads
}

/// The history holds one lead, created as the server's `lead`.
fn assert_history_created(path: &Path, lead: &Lead) {
    let leads = folded(path);
    assert_eq!(leads.len(), 1, "one lead in the history: {leads:#?}");
    assert_eq!(leads[0].status, Status::Created, "{leads:#?}");
    assert_eq!(leads[0].lead_id.as_deref(), Some(lead.id.as_str()), "{leads:#?}");
    assert_eq!(leads[0].request.phone_number, PHONE);
}

async fn wait_for(
    what: &str,
    timeout: Duration,
    mut check: impl FnMut() -> bool,
    report: impl Fn() -> String,
) {
    let deadline = tokio::time::Instant::now() + timeout;
    while !check() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}\n{}",
            report()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn history_has(path: &Path, status: &str) -> bool {
    std::fs::read_to_string(path).is_ok_and(|t| t.contains(&format!("\"status\":\"{status}\"")))
}

/// The faults both ways of sending (the app's loop, `create` on the command line) must come
/// through with one lead, one test each: `case(faults on the creates, creates that reach the
/// server)` is each module's own.
macro_rules! every_common_fault {
    () => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn no_fault() {
            case(&[], 1).await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn connection_reset_after_the_server_created_it() {
            case(&[Fault::ResetAfterForward], 1).await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn error_500_after_the_server_created_it() {
            case(&[Fault::StatusAfter(500)], 1).await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn error_502_after_the_server_created_it() {
            case(&[Fault::StatusAfter(502)], 1).await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn error_503_after_the_server_created_it() {
            case(&[Fault::StatusAfter(503)], 1).await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn error_504_after_the_server_created_it() {
            case(&[Fault::StatusAfter(504)], 1).await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn rate_limited_with_retry_after_seconds() {
            case(&[Fault::RetryAfterSecs(1)], 2).await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn rate_limited_with_retry_after_as_a_date() {
            case(&[Fault::RetryAfterDate(Duration::from_secs(2))], 2).await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn a_server_that_never_answers_before_doing_anything() {
            case(&[Fault::Hang], 2).await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn a_server_that_never_answers_after_creating_it() {
            case(&[Fault::HangAfterForward], 1).await;
        }

        /// Seen: the look-up right after the timeout found nothing (the server was still at
        /// work), and the lead was sent again: two leads.
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn a_server_slower_than_the_request_timeout() {
            case(&[Fault::SlowForward(REQUEST_TIMEOUT * 2)], 1).await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn half_an_answer_then_the_connection_closes() {
            case(&[Fault::HalfResponse], 1).await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn part_of_the_status_line_then_the_connection_closes() {
            case(&[Fault::FirstBytes(12)], 1).await;
        }
    };
}

/// The TUI's real event loop on a `TestBackend`, with a history and a cache in a temp dir.
mod tui {
    use super::*;

    /// The keyboard: key events into the loop's event stream. Dropping it ends the stream (and
    /// the loop with it, at once).
    pub(super) struct Keys(mpsc::UnboundedSender<std::io::Result<Event>>);

    impl Keys {
        fn press(&self, code: KeyCode, mods: KeyModifiers) {
            self.0.unbounded_send(Ok(Event::Key(KeyEvent::new(code, mods)))).unwrap();
        }

        fn type_text(&self, text: &str) {
            for c in text.chars() {
                self.press(KeyCode::Char(c), KeyModifiers::NONE);
            }
        }

        fn ctrl(&self, c: char) {
            self.press(KeyCode::Char(c), KeyModifiers::CONTROL);
        }
    }

    /// Runs the real loop against the proxy with the history at `history` (the cache beside it),
    /// Allow duplicate on in the form (a second create would make a second lead instead of a
    /// `422`), while `user` types; returns the app once the loop has ended.
    async fn run_loop(
        rig: &Rig,
        history: &Path,
        resume_after: Duration,
        user: impl AsyncFnOnce(Keys),
    ) -> App {
        let dir = history.parent().unwrap();
        // The quiet time this parameter once set is gone: a lead left open is taken over as soon
        // as the run holding it has ended, whatever `resume_after` says.
        let _ = resume_after;
        let run = autocalls_tui::history::RunLock::take(&dir.join("runs")).unwrap();
        let store = HistoryStore::open(history).unwrap().with_run(run.id());
        let client = ClientOptions {
            base_url: rig.proxy.base_url(),
            key: SecretString::from(rig.sandbox.key().to_owned()),
            connect_timeout: CONNECT_TIMEOUT,
            request_timeout: REQUEST_TIMEOUT,
        };
        let services = Services {
            api: Some(ApiClient::new(client.clone()).unwrap()),
            client,
            config_file: None,
            history: store,
            cache: Cache::new(dir.join("cache")),
            draft: None,
        };
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
        let (tx, rx) = mpsc::unbounded();
        let mut terminal = Terminal::new(TestBackend::new(100, 30)).unwrap();
        let (app, ()) = tokio::join!(runtime::run(&mut terminal, rx, app, effects, services), user(Keys(tx)));
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
    async fn drive(
        rig: &Rig,
        history: &Path,
        resume_after: Duration,
        type_lead: bool,
        meanwhile: impl Future<Output = ()>,
    ) -> App {
        let app = run_loop(rig, history, resume_after, async |keys: Keys| {
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

    /// Starts the loop on an existing history without typing anything: the leads left open are
    /// taken over at once (no quiet time) and end created.
    pub(super) async fn resume(rig: &Rig, history: &Path) -> App {
        drive(rig, history, Duration::ZERO, false, async {}).await
    }

    /// One case: `faults` for the creates, `posts` creates tried in all.
    async fn case(faults: &[Fault], posts: usize) {
        let rig = Rig::start().await;
        rig.creates(faults);
        let dir = tempfile::tempdir().unwrap();
        let history = dir.path().join("history.jsonl");
        let started = Instant::now();
        let app = drive(&rig, &history, Duration::from_secs(90), true, async {}).await;
        let lead = rig.assert_one_lead(posts);
        assert_history_created(&history, &lead);
        assert_eq!(app.history.row(0).unwrap().lead_id.as_deref(), Some(lead.id.as_str()));
        eprintln!(
            "tui {faults:?}: created #{} in {:?}\n{}",
            lead.id,
            started.elapsed(),
            rig.proxy.describe()
        );
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
        drive(&rig, &history, Duration::from_secs(90), true, async {}).await;
        let lead = rig.assert_one_lead(1);
        assert_history_created(&history, &lead);
        assert!(rig.proxy.received(LIST) >= 2, "{}", rig.report());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn connection_refused_then_the_server_comes_back() {
        let rig = Rig::closed().await;
        let dir = tempfile::tempdir().unwrap();
        let history = dir.path().join("history.jsonl");
        let recover = async {
            // The first try was refused and the lead is queued for a retry: the server comes back.
            wait_for(
                "the lead queued after a refused connection",
                CASE_TIMEOUT,
                || history_has(&history, "queued"),
                || rig.report(),
            )
            .await;
            assert_eq!(rig.sandbox.state().create_requests(), 0);
            rig.proxy.open().await;
        };
        drive(&rig, &history, Duration::from_secs(90), true, recover).await;
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
        let app = run_loop(&rig, &history, Duration::from_secs(90), async |keys: Keys| {
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
        assert!(
            entries.iter().all(|e| e.status == Status::Created && e.request.allow_dupplicate),
            "{report}"
        );
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
        run_loop(&rig, &history, Duration::from_secs(90), async |keys: Keys| {
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
        assert!(
            posts <= 3,
            "{posts} creates in 3 s against a server answering 503 ({records} history records)"
        );
    }

    /// A look-up answered with `429` must wait its `Retry-After` before the next look-up.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]

    async fn a_rate_limited_look_up_waits_its_retry_after() {
        let rig = Rig::start().await;
        rig.creates(&[Fault::StatusAfter(503)]);
        rig.proxy.inject(LIST, Fault::RetryAfterSecs(5));
        let dir = tempfile::tempdir().unwrap();
        let history = dir.path().join("history.jsonl");
        drive(&rig, &history, Duration::from_secs(90), true, async {}).await;
        let lead = rig.assert_one_lead(1);
        assert_history_created(&history, &lead);
        let lists: Vec<_> = rig.proxy.log().into_iter().filter(|s| s.is(LIST)).collect();
        let waited = lists[1].at.duration_since(lists[0].at);
        assert!(
            waited >= Duration::from_millis(4900),
            "looked up again after {waited:?}; Retry-After said 5 s\n{}",
            rig.report()
        );
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
        let app = run_loop(&rig, &history, Duration::ZERO, async |keys: Keys| {
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
        let app = run_loop(&rig, &history, Duration::ZERO, async |keys: Keys| {
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
        drive(&rig, &history, Duration::from_secs(90), true, async {}).await;
        let lead = rig.assert_one_lead(4);
        assert_history_created(&history, &lead);
    }
}

/// `autocalls-tui create`, the real binary, with its environment in a temp dir.
mod cli {
    use super::*;
    use serde_json::Value;
    use std::process::Output;
    use tokio::process::Command;

    struct Cli {
        dir: tempfile::TempDir,
        base_url: String,
        key: String,
    }

    impl Cli {
        /// A fresh home whose config file sets short timeouts.
        fn new(rig: &Rig) -> Cli {
            let dir = tempfile::tempdir().unwrap();
            let config = dir.path().join("config/autocalls-tui");
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
            Cli { dir, base_url: rig.proxy.base_url(), key: rig.sandbox.key().to_owned() }
        }

        fn command(&self, args: &[&str]) -> Command {
            crate::support::command::isolated(self.dir.path(), &self.base_url, &self.key, args)
        }

        /// `create` for our phone, duplicates allowed, as JSON.
        fn create(&self) -> Command {
            let campaign = CAMPAIGN.to_string();
            self.command(&[
                "create",
                "--phone",
                PHONE_TYPED,
                "--campaign",
                &campaign,
                "--allow-duplicate",
                "--json",
            ])
        }

        fn history_file(&self) -> PathBuf {
            self.dir.path().join("data/autocalls-tui/history.jsonl")
        }

        /// `history --json`.
        async fn history_json(&self) -> Vec<Value> {
            let out = self.command(&["history", "--json"]).output().await.unwrap();
            assert!(out.status.success(), "{}", text(&out.stderr));
            serde_json::from_slice(&out.stdout).unwrap()
        }
    }

    fn text(bytes: &[u8]) -> String {
        String::from_utf8_lossy(bytes).into_owned()
    }

    fn describe(out: &Output) -> String {
        format!(
            "exit {:?}\nstdout:\n{}\nstderr:\n{}",
            out.status.code(),
            text(&out.stdout),
            text(&out.stderr)
        )
    }

    /// `create` ends `created` with the server's one lead: exit 0, the JSON and the history say so.
    async fn assert_created(rig: &Rig, cli: &Cli, out: &Output, posts: usize) {
        let report = format!("{}\n{}", describe(out), rig.report());
        assert_eq!(out.status.code(), Some(0), "{report}");
        let lead = rig.assert_one_lead(posts);
        let printed: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}\n{report}"));
        assert_eq!(printed["status"], "created", "{report}");
        assert_eq!(printed["lead_id"], lead.id.as_str(), "{report}");
        assert_history_created(&cli.history_file(), &lead);
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
        let lists: Vec<_> = rig.proxy.log().into_iter().filter(|s| s.is(LIST)).collect();
        let waited = lists[1].at.duration_since(lists[0].at);
        assert!(
            waited >= Duration::from_millis(4900),
            "looked up again after {waited:?}; Retry-After said 5 s\n{}",
            rig.report()
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn connection_refused_then_the_server_comes_back() {
        let rig = Rig::closed().await;
        let cli = Cli::new(&rig);
        let history = cli.history_file();
        let child = cli
            .create()
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let recover = async {
            wait_for(
                "the lead queued after a refused connection",
                CASE_TIMEOUT,
                || history_has(&history, "queued"),
                || rig.report(),
            )
            .await;
            assert_eq!(rig.sandbox.state().create_requests(), 0);
            rig.proxy.open().await;
        };
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

        // The TUI takes the open lead over (no quiet time here) and checks before sending.
        let app = tui_resume(&rig, &cli.history_file()).await;
        let lead = rig.assert_one_lead(1);
        assert_history_created(&cli.history_file(), &lead);
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

        tui_resume(&rig, &cli.history_file()).await;
        let lead = rig.assert_one_lead(2);
        assert_history_created(&cli.history_file(), &lead);
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
        tui_resume(&rig, &cli.history_file()).await;
        let lead = rig.assert_one_lead(1);
        assert_history_created(&cli.history_file(), &lead);
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
        tui_resume(&rig, &cli.history_file()).await;
        let lead = rig.assert_one_lead(1);
        assert_history_created(&cli.history_file(), &lead);
    }

    /// A window started while a live `create` waits on a slow server sends nothing for that
    /// lead: the create finds it and ends; the window only ever reads its records.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_window_started_while_create_waits_on_a_slow_server_sends_nothing() {
        let rig = Rig::start().await;
        rig.creates(&[Fault::SlowForward(REQUEST_TIMEOUT * 2)]);
        let cli = Cli::new(&rig);
        let history = cli.history_file();
        let child = cli
            .create()
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        wait_for("the create's lead in the history", CASE_TIMEOUT, || history.exists(), || rig.report())
            .await;
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
        let config = cli.dir.path().join("config/autocalls-tui/config.toml");
        std::fs::write(&config, "connect_timeout_secs = 1\nrequest_timeout_secs = 60\n").unwrap();
        let mut child = cli.create().spawn().unwrap();
        wait_for("the create forwarded", CASE_TIMEOUT, || rig.proxy.forwarded(CREATE) == 1, || rig.report())
            .await;
        child.start_kill().unwrap();
        let status = child.wait().await.unwrap();
        assert!(!status.success());
        assert_eq!(cli.history_json().await[0]["status"], "pending");
        tui_resume(&rig, &cli.history_file()).await;
        let lead = rig.assert_one_lead(1);
        assert!(rig.proxy.received(LIST) >= 1, "looked up\n{}", rig.report());
        assert_history_created(&cli.history_file(), &lead);
    }

    async fn tui_resume(rig: &Rig, history: &Path) -> App {
        super::tui::resume(rig, history).await
    }
}

/// The real binary in a pseudo-terminal, killed with SIGKILL while its create is held, then
/// started again on the same files.
mod killed {
    use super::*;
    use support::{Dirs, TIMEOUT, TestResult, Tui, keys};

    fn poll(
        what: &str,
        tui: &Tui,
        mut check: impl FnMut() -> bool,
        report: impl Fn() -> String,
    ) -> Result<(), String> {
        let start = Instant::now();
        while !check() {
            if start.elapsed() > TIMEOUT {
                return Err(
                    tui.failure(&format!("waiting for {what}: nothing after {TIMEOUT:?}\n{}", report()))
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(())
    }

    #[test]
    fn killed_mid_request_then_restarted_looks_the_lead_up_and_never_sends_it_again() -> TestResult {
        let runtime =
            tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let rig = runtime.block_on(Rig::start());
        // The first create reaches the server (the lead is created), and its answer never comes.
        rig.creates(&[Fault::HangAfterForward]);
        let dirs = Dirs::new();
        let config = dirs.config().join("autocalls-tui");
        std::fs::create_dir_all(&config).unwrap();
        // A long request timeout (the first run must still be waiting when it is killed), and a
        // setting an older version knew (a notice now, not an error).
        std::fs::write(
            config.join("config.toml"),
            "connect_timeout_secs = 2\nrequest_timeout_secs = 60\nresume_after_secs = 1\n",
        )
        .unwrap();
        let base_url = rig.proxy.base_url();
        let vars = [("AUTOCALLS_API_KEY", rig.sandbox.key()), ("AUTOCALLS_BASE_URL", base_url.as_str())];
        let campaign = CAMPAIGN.to_string();
        let args = ["--campaign", campaign.as_str()];

        // First run: send the lead; kill the app once the server has created it.
        let mut tui = Tui::spawn_command(dirs.command_with_env(&args, &vars));
        tui.wait_for("New lead", TIMEOUT)?;
        tui.send(PHONE_TYPED);
        tui.wait_for(PHONE, TIMEOUT)?;
        tui.send(keys::CTRL_S);
        poll(
            "the create forwarded to the server",
            &tui,
            || rig.proxy.forwarded(CREATE) == 1,
            || rig.report(),
        )?;
        let entries = folded(&dirs.history());
        assert_eq!(entries.len(), 1, "{entries:#?}");
        assert_eq!(entries[0].status, Status::Pending, "still waiting for the answer: {entries:#?}");
        let status = tui.kill_hard(TIMEOUT)?;
        assert!(!status.success(), "killed: {status}");
        drop(tui);
        assert_eq!(folded(&dirs.history())[0].status, Status::Pending);

        // Second run, the proxy passing everything: the pending lead is looked up and found.
        let started = Instant::now();
        let mut tui = Tui::spawn_command(dirs.command_with_env(&args, &vars));
        tui.wait_for(&format!("Created {PHONE} (lead #"), TIMEOUT)?;
        eprintln!("restarted app resolved the lead in {:?}\n{}", started.elapsed(), rig.proxy.describe());
        tui.send(keys::CTRL_Q);
        let status = tui.wait_exit(TIMEOUT)?;
        assert!(status.success(), "{}", tui.failure(&format!("exit: {status}")));

        let lead = rig.assert_one_lead(1);
        assert!(rig.proxy.received(LIST) >= 1, "looked up\n{}", rig.report());
        assert_history_created(&dirs.history(), &lead);
        Ok(())
    }
}
