//! The sandbox: a fake Autocalls API on loopback that behaves like the documented one (same paths,
//! Bearer auth, Laravel-style `422` bodies, duplicate refusal, paging, demo campaigns and
//! assistants). `--sandbox`, the README's first command and the tests all run against it. State
//! lives in memory; with a state file (as `--sandbox` gives it) its leads and next id are kept
//! between runs.

mod calls;
mod colleague;
mod data;
mod frame;
mod journal;
mod page;
mod routes;
mod validate;

use std::collections::VecDeque;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use jiff::Timestamp;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::api::types::Lead;

pub use data::{CREATED_PHASE, FAIL_EVERY_NTH, PROCESSING_PHASE};
pub use routes::router;

use data::StoredLead;

/// The key the sandbox accepts when none is given (printed by `sandbox-server`; fake, harmless).
pub const DEMO_KEY: &str = "1|sandbox-demo-key";

/// The file in the data directory where `--sandbox` keeps its leads between runs (beside
/// `sandbox-history.jsonl`; remove both to start the sandbox afresh).
pub const STATE_FILE: &str = "sandbox-server.jsonl";

/// The id the sandbox gives its first lead; later ones count up from here.
const FIRST_LEAD_ID: u64 = 1001;

/// How to run a sandbox.
#[derive(Debug, Clone)]
pub struct SandboxOptions {
    /// The port on 127.0.0.1; 0 picks any free port.
    pub port: u16,
    /// The API key the sandbox accepts as `Authorization: Bearer <key>`.
    pub key: String,
    /// How long every request waits before it is answered.
    pub latency: Duration,
    /// Where to keep the leads and the next id between runs; `None` keeps them in memory only.
    pub state_file: Option<std::path::PathBuf>,
    /// A colleague adds a lead to the fair campaign (12) this often, as someone entering leads
    /// on another machine or in the dashboard would; `None`: nobody else does.
    pub colleague_every: Option<Duration>,
}

impl Default for SandboxOptions {
    /// Any free port, [`DEMO_KEY`], no latency.
    fn default() -> Self {
        SandboxOptions {
            port: 0,
            key: DEMO_KEY.to_owned(),
            latency: Duration::ZERO,
            state_file: None,
            colleague_every: None,
        }
    }
}

/// A failure the sandbox answers with instead of doing its job, to exercise a client's error
/// handling. Faults are queued; each authenticated request under `/api` takes the next one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// `500` with a Laravel "Server Error" body; nothing is done.
    ServerError,
    /// The request is carried out (a lead is stored), then the answer is replaced by a `500`:
    /// the case where the outcome is unknown to the client.
    ServerErrorAfterWork,
    /// `429 Too Many Requests` with `Retry-After` in seconds; nothing is done.
    RateLimited {
        /// The `Retry-After` value, in seconds.
        retry_after_secs: u64,
    },
    /// `302` to the HTML login page, as Laravel answers a bad key without `Accept: json`.
    LoginRedirect,
    /// `200` with an HTML login page instead of JSON.
    HtmlPage,
}

/// Shared in-memory state of a sandbox. Cloning gives another handle on the same data.
#[derive(Clone)]
pub struct SandboxState {
    shared: Arc<Shared>,
}

struct Shared {
    key: String,
    store: Mutex<Store>,
}

/// Everything that changes while the sandbox runs.
pub(crate) struct Store {
    pub leads: Vec<StoredLead>,
    pub next_id: u64,
    pub create_requests: usize,
    pub latency: Duration,
    pub clock_offset: Duration,
    pub faults: VecDeque<Fault>,
    /// Campaigns started or stopped since the sandbox began (the demo data's status otherwise).
    pub campaign_status: std::collections::HashMap<u64, &'static str>,
    /// Where changes are kept between runs, when they are.
    journal: Option<journal::Journal>,
}

impl Store {
    /// The sandbox's idea of now: the real clock plus any [`SandboxState::advance_clock`].
    pub fn now(&self) -> Timestamp {
        let now = Timestamp::now();
        now.checked_add(self.clock_offset).unwrap_or(now)
    }

    /// Stores a new lead (checked already) and gives it as a create answer's `data`.
    pub fn add(&mut self, new: validate::NewLead) -> serde_json::Value {
        let now = self.now();
        let id = self.next_id;
        let secondary: Vec<data::StoredContact> = new
            .secondary
            .into_iter()
            .zip(id + 1..)
            .map(|((phone_number, variables), id)| data::StoredContact { id, phone_number, variables })
            .collect();
        self.next_id = id + 1 + secondary.len() as u64;
        let lead = StoredLead {
            id,
            campaign_id: new.campaign_id,
            phone_number: new.phone_number,
            variables: new.variables,
            created: now,
            updated: now,
            status_override: None,
            secondary,
        };
        let data = lead.to_json(now);
        self.leads.push(lead);
        self.keep(id);
        data
    }

    /// Keeps lead `id` as it now is (created or changed), when changes are kept.
    pub fn keep(&self, id: u64) {
        if let (Some(journal), Some(lead)) = (&self.journal, self.leads.iter().find(|l| l.id == id)) {
            journal.lead(self.next_id, lead);
        }
    }

    /// Keeps that lead `id` is gone, when changes are kept.
    pub fn keep_deleted(&self, id: u64) {
        if let Some(journal) = &self.journal {
            journal.deleted(self.next_id, id);
        }
    }
}

impl Default for SandboxState {
    /// A state that accepts [`DEMO_KEY`] and answers at once.
    fn default() -> Self {
        SandboxState::new(DEMO_KEY, Duration::ZERO)
    }
}

impl SandboxState {
    /// A fresh, empty state accepting `key`, answering after `latency`.
    pub fn new(key: impl Into<String>, latency: Duration) -> Self {
        let store = Store {
            leads: Vec::new(),
            next_id: FIRST_LEAD_ID,
            create_requests: 0,
            latency,
            clock_offset: Duration::ZERO,
            faults: VecDeque::new(),
            campaign_status: std::collections::HashMap::new(),
            journal: None,
        };
        SandboxState { shared: Arc::new(Shared { key: key.into(), store: Mutex::new(store) }) }
    }

    /// Every lead created so far (not the deleted ones), oldest first, with its status as of now.
    pub fn leads(&self) -> Vec<Lead> {
        let store = self.lock();
        let now = store.now();
        store.leads.iter().filter_map(|lead| serde_json::from_value(lead.to_json(now)).ok()).collect()
    }

    /// The leads as `GET /user/leads` shows them, every field (secondary contacts included).
    pub fn leads_json(&self) -> Vec<serde_json::Value> {
        let store = self.lock();
        let now = store.now();
        store.leads.iter().map(|lead| lead.to_json(now)).collect()
    }

    /// How many `POST /user/lead` requests arrived, whatever their outcome.
    pub fn create_requests(&self) -> usize {
        self.lock().create_requests
    }

    /// Changes how long every request waits before it is answered, from the next request on.
    pub fn set_latency(&self, d: Duration) {
        self.lock().latency = d;
    }

    /// Moves the sandbox's clock forward, so leads advance through their statuses without
    /// waiting (see [`CREATED_PHASE`] and [`PROCESSING_PHASE`]).
    pub fn advance_clock(&self, by: Duration) {
        let mut store = self.lock();
        store.clock_offset = store.clock_offset.saturating_add(by);
    }

    /// Queues a fault for the next authenticated request under `/api`.
    pub fn inject_fault(&self, fault: Fault) {
        self.lock().faults.push_back(fault);
    }

    /// The key requests must carry.
    pub(crate) fn key(&self) -> &str {
        &self.shared.key
    }

    /// The store, locked. A poisoned lock is taken over: the data stays usable.
    pub(crate) fn lock(&self) -> MutexGuard<'_, Store> {
        self.shared.store.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A running sandbox server on 127.0.0.1. Dropping it stops the server.
pub struct Sandbox {
    addr: SocketAddr,
    state: SandboxState,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl Sandbox {
    /// Binds 127.0.0.1:`port`, starts serving on the current tokio runtime, and returns once the
    /// socket is listening.
    pub async fn start(options: SandboxOptions) -> std::io::Result<Sandbox> {
        let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, options.port)).await?;
        let addr = listener.local_addr()?;
        let state = SandboxState::new(options.key, options.latency);
        if let Some(path) = &options.state_file {
            let (journal, leads, next_id) = journal::Journal::open(path)?;
            let mut store = state.lock();
            let after_leads = leads
                .iter()
                .flat_map(|l| std::iter::once(l.id).chain(l.secondary.iter().map(|c| c.id)))
                .max();
            store.next_id = [Some(FIRST_LEAD_ID), next_id, after_leads.map(|id| id + 1)]
                .into_iter()
                .flatten()
                .max()
                .unwrap_or(FIRST_LEAD_ID);
            store.leads = leads;
            store.journal = Some(journal);
        }
        let (stop, stopped) = oneshot::channel::<()>();
        let app = router(state.clone());
        let colleague = options.colleague_every.map(|every| colleague::work(state.clone(), every));
        let task = tokio::spawn(async move {
            let serve = axum::serve(listener, app).with_graceful_shutdown(async {
                // A dropped sender stops the server too.
                let _ = stopped.await;
            });
            // The colleague stops with the server.
            let _colleague = colleague.map(|task| task.abort_handle()).map(AbortOnDrop);
            if let Err(e) = serve.await {
                tracing::warn!("sandbox server stopped: {e}");
            }
        });
        Ok(Sandbox { addr, state, stop: Some(stop), task: Some(task) })
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The API base URL to give a client, e.g. `http://127.0.0.1:40123/api`.
    pub fn base_url(&self) -> String {
        format!("http://{}/api", self.addr)
    }

    /// The key the server accepts.
    pub fn key(&self) -> &str {
        self.state.key()
    }

    /// A handle on the server's data, to inspect leads, count requests or change latency.
    pub fn state(&self) -> SandboxState {
        self.state.clone()
    }

    /// Stops the server: no new connections, open ones finish their request (waits at most a
    /// few seconds, then cuts them off).
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(mut task) = self.task.take()
            && tokio::time::timeout(Duration::from_secs(5), &mut task).await.is_err()
        {
            task.abort();
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// Aborts a task when dropped.
struct AbortOnDrop(tokio::task::AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox").field("addr", &self.addr).finish_non_exhaustive()
    }
}
