//! The rig every fault case runs on: a real sandbox behind the fault-injecting proxy
//! (`proxy.rs`), the checks every case ends with (one lead on the server, the delivery rules kept,
//! the history saying `created`), and the table of faults that both ways of sending (the TUI's
//! loop, `create` on the command line) must come through: [`every_common_fault!`].

use std::path::Path;
use std::time::Duration;

use autocalls_tui::api::types::Lead;
use autocalls_tui::history::{HistoryStore, LeadEntry, Status, fold};
use autocalls_tui::sandbox::{Sandbox, SandboxOptions};

use crate::proxy::{CREATE, Fault, LIST, Proxy};
use crate::support::event_loop::wait_for;
use crate::support::history_has;

/// The phone as a person types it.
pub const PHONE_TYPED: &str = "+1 (415) 555-0100";
/// The phone as sent.
pub const PHONE: &str = "+14155550100";
/// A demo campaign of the sandbox.
pub const CAMPAIGN: u64 = 12;
/// The clients' request timeout here: short, so a server that never answers costs a second.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(1);
/// How long after a request with an unknown outcome a lead settles before it may be sent again.
pub const SETTLE: Duration = Duration::from_secs(2 * REQUEST_TIMEOUT.as_secs());
/// The clients' connect timeout here.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);
/// The longest a case may take to end in `created` (backoffs start at 2 s).
pub const CASE_TIMEOUT: Duration = Duration::from_secs(25);

/// A sandbox with the proxy in front of it.
pub struct Rig {
    /// The real server.
    pub sandbox: Sandbox,
    /// The proxy in front of it, which the clients talk to.
    pub proxy: Proxy,
}

impl Rig {
    /// The proxy listens at once.
    pub async fn start() -> Rig {
        let sandbox = Sandbox::start(SandboxOptions::default()).await.unwrap();
        let proxy = Proxy::start(sandbox.addr()).await;
        Rig { sandbox, proxy }
    }

    /// The proxy's port is reserved but refuses connections until `proxy.open()`.
    pub async fn closed() -> Rig {
        let sandbox = Sandbox::start(SandboxOptions::default()).await.unwrap();
        let proxy = Proxy::closed(sandbox.addr()).await;
        Rig { sandbox, proxy }
    }

    /// Queues faults for creates.
    pub fn creates(&self, faults: &[Fault]) {
        for fault in faults {
            self.proxy.inject(CREATE, *fault);
        }
    }

    /// The sandbox's leads with our phone.
    pub fn leads(&self) -> Vec<Lead> {
        self.sandbox
            .state()
            .leads()
            .into_iter()
            .filter(|l| l.phone_number.as_deref() == Some(PHONE))
            .collect()
    }

    /// What the proxy saw, for failure messages.
    pub fn report(&self) -> String {
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
    pub fn assert_one_lead(&self, posts: usize) -> Lead {
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

    /// While a send runs against a [`Rig::closed`] proxy: waits until the history says the lead
    /// is queued after the refused connection (nothing reached the server), then opens the
    /// proxy: the server comes back.
    pub async fn open_once_queued(&self, history: &Path) {
        wait_for(
            "the lead queued after a refused connection",
            CASE_TIMEOUT,
            || history_has(history, "queued"),
            || self.report(),
        )
        .await;
        assert_eq!(self.sandbox.state().create_requests(), 0);
        self.proxy.open().await;
    }

    /// After a look-up answered `429` with `Retry-After: 5` (`Fault::RetryAfterSecs(5)` on
    /// [`LIST`]): the next look-up came no sooner.
    pub fn assert_the_look_up_waited_its_retry_after(&self) {
        let lists: Vec<_> = self.proxy.log().into_iter().filter(|s| s.is(LIST)).collect();
        let waited = lists[1].at.duration_since(lists[0].at);
        assert!(
            waited >= Duration::from_millis(4900),
            "looked up again after {waited:?}; Retry-After said 5 s\n{}",
            self.report()
        );
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
                | Fault::HtmlAfterForward
                | Fault::EndlessAfterForward => {
                    // The server may still be working on it: only a look-up made once the
                    // settling time (two request timeouts from the end of the request, which
                    // is after the server got it) has passed may let it go again.
                    let settled = before.at + SETTLE;
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
pub fn folded(path: &Path) -> Vec<LeadEntry> {
    let store = HistoryStore::open(path).unwrap();
    let (leads, orphans) = fold(store.load().unwrap().records);
    assert!(orphans.is_empty(), "orphan records: {orphans:?}");
    leads
}

/// The history holds one lead, created as the server's `lead`.
pub fn assert_history_created(path: &Path, lead: &Lead) {
    let leads = folded(path);
    assert_eq!(leads.len(), 1, "one lead in the history: {leads:#?}");
    assert_eq!(leads[0].status, Status::Created, "{leads:#?}");
    assert_eq!(leads[0].lead_id.as_deref(), Some(lead.id.as_str()), "{leads:#?}");
    assert_eq!(leads[0].request.phone_number, PHONE);
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

        /// Seen: a 1,000 MB answer took `create` to 3 GB resident. Read up to the limit, it is
        /// an answer that cannot be read: looked up, found, created.
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn an_answer_that_never_ends_after_creating_it() {
            case(&[Fault::EndlessAfterForward], 1).await;
        }
    };
}

/// The macro, for `use crate::rig::every_common_fault` in the modules that run the table.
pub(crate) use every_common_fault;
