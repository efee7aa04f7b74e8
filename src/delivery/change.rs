//! The rules for a change of a created lead (a fix, `PUT`, or taking it back, `DELETE`), as a
//! pure state machine beside the create engine: the driver feeds it what came of each request and
//! carries out what it answers, writing every [`Command::Record`] to the history.
//!
//! - A `PUT` sets the same values however often it arrives: when its outcome is unknown, or
//!   nothing reached the server, it is simply sent again after a pause.
//! - A `DELETE` whose outcome is unknown is looked up first (is the lead still listed?): gone
//!   means done; still there, it is sent again (a second `DELETE` of a deleted lead is a `404`,
//!   which counts as gone, so a repeat does no harm).
//! - A refusal (`422`, the key refused) ends it as rejected with the server's words; a `404` ends
//!   a delete as gone and a fix as rejected (there is no lead left to fix).

use std::time::{Duration, Instant};

use super::backoff;
use crate::api::types::LeadId;
use crate::api::{ApiClient, ApiError, Deleted, LeadQuery};
use crate::history::{Change, ChangeStatus, LeadError};

/// Which request the change makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `PUT /user/leads/{id}`.
    Update,
    /// `DELETE /user/leads/{id}`.
    Delete,
}

/// What the driver is to do next.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Write a `changed` record with this status (and error) to the history.
    Record(ChangeStatus, Option<LeadError>),
    /// Send the request.
    Send,
    /// Ask the server whether the lead is still there.
    LookUp,
    /// Wait until then, then say [`Event::WaitOver`].
    Wait(Instant),
    /// Nothing more to do: it ended as this.
    Finished(ChangeStatus),
}

/// What happened.
#[derive(Debug)]
pub enum Event {
    /// The request ended (for an update, `Deleted::Now` stands for done).
    Sent(Result<Deleted, ApiError>),
    /// The look-up ended: whether the lead is still listed.
    LookedUp(Result<bool, ApiError>),
    /// A wait is over.
    WaitOver,
}

/// One change on its way.
#[derive(Debug, Clone)]
pub struct ChangeDelivery {
    kind: Kind,
    /// Requests (and look-ups) that ended without an answer so far, for the pauses between.
    tries: u32,
    salt: u64,
    /// What a wait leads to.
    after_wait: Command,
    /// Where it stands.
    pub status: ChangeStatus,
}

impl ChangeDelivery {
    /// A change just written to the history: its request goes out first.
    pub fn new(kind: Kind, salt: u64) -> (Self, Command) {
        let delivery =
            ChangeDelivery { kind, tries: 0, salt, after_wait: Command::Send, status: ChangeStatus::Pending };
        (delivery, Command::Send)
    }

    /// A change left open by an earlier run, as the history has it: an unknown delete is looked
    /// up first, anything else is sent (again).
    pub fn resumed(kind: Kind, status: ChangeStatus, salt: u64) -> (Self, Command) {
        let (mut delivery, _) = Self::new(kind, salt);
        delivery.status = status;
        let first = if kind == Kind::Delete && matches!(status, ChangeStatus::Unknown | ChangeStatus::Pending)
        {
            Command::LookUp
        } else {
            Command::Send
        };
        (delivery, first)
    }

    /// What `event` leads to, in order: maybe a record, then what to do next.
    pub fn on(&mut self, event: Event, now: Instant) -> Vec<Command> {
        match event {
            // A request sent again after an unknown outcome is marked first, as a create's is.
            Event::WaitOver if self.after_wait == Command::Send && self.status == ChangeStatus::Unknown => {
                self.status = ChangeStatus::Pending;
                vec![Command::Record(ChangeStatus::Pending, None), Command::Send]
            }
            Event::WaitOver => vec![self.after_wait.clone()],
            Event::Sent(Ok(Deleted::Now)) => self.end(ChangeStatus::Done, None),
            Event::Sent(Ok(Deleted::AlreadyGone)) => match self.kind {
                Kind::Delete => self.end(ChangeStatus::Gone, None),
                Kind::Update => self.end(ChangeStatus::Rejected, Some(no_lead())),
            },
            Event::Sent(Err(ApiError::Rejected { status: 404, .. })) if self.kind == Kind::Update => {
                self.end(ChangeStatus::Rejected, Some(no_lead()))
            }
            Event::Sent(Err(e)) => match &e {
                ApiError::Rejected { .. } | ApiError::Auth(_) => {
                    self.end(ChangeStatus::Rejected, Some((&e).into()))
                }
                ApiError::Invalid(_) => self.end(ChangeStatus::Failed, Some((&e).into())),
                ApiError::Unreachable(_) => self.pause(ChangeStatus::Queued, &e, None, Command::Send, now),
                ApiError::RateLimited { retry_after } => {
                    self.pause(ChangeStatus::Queued, &e, *retry_after, Command::Send, now)
                }
                ApiError::UnknownOutcome(_) | ApiError::AuthUnsure(_) => match self.kind {
                    Kind::Update => self.pause(ChangeStatus::Unknown, &e, None, Command::Send, now),
                    Kind::Delete => {
                        self.status = ChangeStatus::Unknown;
                        vec![Command::Record(ChangeStatus::Unknown, Some((&e).into())), Command::LookUp]
                    }
                },
            },
            // Not listed any more: the delete took (or someone else's did).
            Event::LookedUp(Ok(false)) => self.end(ChangeStatus::Done, None),
            // Still there: sent again, marked first so a crash meanwhile still looks it up.
            Event::LookedUp(Ok(true)) => {
                self.status = ChangeStatus::Pending;
                vec![Command::Record(ChangeStatus::Pending, None), Command::Send]
            }
            Event::LookedUp(Err(e)) => match &e {
                ApiError::RateLimited { retry_after } => {
                    let wait = retry_after.unwrap_or_else(|| backoff(self.tries + 1, self.salt));
                    self.tries += 1;
                    self.after_wait = Command::LookUp;
                    vec![Command::Wait(now + wait)]
                }
                ApiError::Rejected { .. } | ApiError::Auth(_) | ApiError::Invalid(_) => {
                    // Cannot tell: it stays unknown, for a later run to look up.
                    vec![Command::Finished(ChangeStatus::Unknown)]
                }
                _ => {
                    self.tries += 1;
                    self.after_wait = Command::LookUp;
                    vec![Command::Wait(now + backoff(self.tries, self.salt))]
                }
            },
        }
    }

    /// How many requests and look-ups ended without an answer.
    pub fn tries(&self) -> u32 {
        self.tries
    }

    fn end(&mut self, status: ChangeStatus, error: Option<LeadError>) -> Vec<Command> {
        self.status = status;
        vec![Command::Record(status, error), Command::Finished(status)]
    }

    fn pause(
        &mut self,
        status: ChangeStatus,
        error: &ApiError,
        asked: Option<Duration>,
        then: Command,
        now: Instant,
    ) -> Vec<Command> {
        self.tries += 1;
        self.status = status;
        self.after_wait = then;
        let wait = asked.unwrap_or_else(|| backoff(self.tries, self.salt));
        vec![Command::Record(status, Some(error.into())), Command::Wait(now + wait)]
    }
}

/// The lead a change is for, as the server knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The server's id.
    pub id: LeadId,
    /// Its phone, E.164 (what the duplicate check asks about).
    pub phone: String,
    /// Its campaign (where a look-up searches for its id).
    pub campaign: u64,
}

/// One change to carry out.
#[derive(Debug, Clone, Copy)]
pub struct Job<'a> {
    /// The lead.
    pub target: &'a Target,
    /// What is asked of it.
    pub change: &'a Change,
    /// The status an earlier request left it in, for a change taken up again (`None`: new).
    pub left_as: Option<ChangeStatus>,
    /// Spreads the pauses of different changes apart.
    pub salt: u64,
}

/// How long a driver keeps at it before it leaves the change open.
#[derive(Debug, Clone, Copy)]
pub struct Patience {
    /// Requests sent at most.
    pub sends: u32,
    /// The longest pause followed.
    pub longest_wait: Duration,
}

impl Patience {
    /// What `update`, `delete` and the TUI follow: 3 requests, pauses of up to 10 s.
    pub const DEFAULT: Patience = Patience { sends: 3, longest_wait: Duration::from_secs(10) };
}

/// Carries a change out by these rules: sends, looks up, pauses, and hands every record to
/// `record` (which writes it to the history) as it comes; `say` hears what goes on, for a
/// person. Gives how it ended and the last error; an open status means it was left for later.
pub async fn drive(
    api: &ApiClient,
    job: Job<'_>,
    patience: Patience,
    mut record: impl FnMut(ChangeStatus, Option<&LeadError>),
    mut say: impl FnMut(String),
) -> (ChangeStatus, Option<LeadError>) {
    let Job { target, change, left_as, salt } = job;
    let kind = match change {
        Change::Update(_) => Kind::Update,
        Change::Delete => Kind::Delete,
    };
    let (mut delivery, first) = match left_as {
        Some(status) => ChangeDelivery::resumed(kind, status, salt),
        None => ChangeDelivery::new(kind, salt),
    };
    let mut queue = std::collections::VecDeque::from([first]);
    let mut last_error: Option<LeadError> = None;
    let mut sends = 0;
    let status = loop {
        let Some(command) = queue.pop_front() else { break delivery.status };
        let event = match command {
            Command::Record(status, error) => {
                if let Some(error) = &error {
                    say(error.message.clone());
                    for (field, messages) in &error.fields {
                        say(format!("  {field}: {}", messages.join(" ")));
                    }
                }
                record(status, error.as_ref());
                last_error = error.or(last_error);
                continue;
            }
            Command::Finished(status) => break status,
            Command::Send if sends >= patience.sends => break delivery.status,
            Command::Send => {
                sends += 1;
                let result = match change {
                    Change::Update(update) => api.update_lead(&target.id, update).await.map(|_| Deleted::Now),
                    Change::Delete => api.delete_lead(&target.id).await,
                };
                Event::Sent(result)
            }
            Command::LookUp => {
                say(format!("checking whether the server still has lead {}", target.id));
                Event::LookedUp(still_there(api, target).await)
            }
            Command::Wait(until) => {
                let wait = until.saturating_duration_since(Instant::now());
                if wait > patience.longest_wait || sends >= patience.sends {
                    break delivery.status;
                }
                say(format!("trying again in {} s", wait.as_secs().max(1)));
                tokio::time::sleep(wait).await;
                Event::WaitOver
            }
        };
        queue.extend(delivery.on(event, Instant::now()));
    };
    (status, last_error)
}

/// Whether the server still lists the lead, by its id among the campaign's leads (not by its
/// phone: a fix made elsewhere, or one whose answer was lost, may have changed it).
async fn still_there(api: &ApiClient, target: &Target) -> Result<bool, ApiError> {
    /// Pages of the campaign searched at most (100,000 leads).
    const MAX_PAGES: u64 = 1000;
    let query = LeadQuery { campaign_id: Some(target.campaign), ..LeadQuery::default() };
    let mut found = false;
    api.each_lead_page(&query, MAX_PAGES, |page| {
        found = page.iter().any(|l| l.id == target.id);
        !found
    })
    .await?;
    Ok(found)
}

/// Why a fix of a lead the server no longer has was refused.
fn no_lead() -> LeadError {
    LeadError {
        kind: crate::api::ErrorKind::Rejected,
        message: "the server no longer has this lead (deleted?)".into(),
        http_status: Some(404),
        fields: Default::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unknown() -> ApiError {
        ApiError::UnknownOutcome("no answer in time".into())
    }

    fn statuses(commands: &[Command]) -> Vec<ChangeStatus> {
        commands.iter().filter_map(|c| if let Command::Record(s, _) = c { Some(*s) } else { None }).collect()
    }

    #[test]
    fn a_fix_with_an_unknown_outcome_is_simply_sent_again() {
        let now = Instant::now();
        let (mut fix, first) = ChangeDelivery::new(Kind::Update, 7);
        assert_eq!(first, Command::Send);
        let next = fix.on(Event::Sent(Err(unknown())), now);
        assert_eq!(statuses(&next), [ChangeStatus::Unknown]);
        assert!(matches!(next.last(), Some(Command::Wait(at)) if *at > now));
        assert_eq!(
            fix.on(Event::WaitOver, now),
            [Command::Record(ChangeStatus::Pending, None), Command::Send],
            "no look-up: a PUT may be repeated (marked pending first)"
        );
        let done = fix.on(Event::Sent(Ok(Deleted::Now)), now);
        assert_eq!(done.last(), Some(&Command::Finished(ChangeStatus::Done)));
    }

    #[test]
    fn a_delete_with_an_unknown_outcome_is_looked_up_before_it_goes_again() {
        let now = Instant::now();
        let (mut delete, _) = ChangeDelivery::new(Kind::Delete, 7);
        let next = delete.on(Event::Sent(Err(unknown())), now);
        assert_eq!(next.last(), Some(&Command::LookUp));
        // Still listed: marked pending, then sent again.
        let next = delete.on(Event::LookedUp(Ok(true)), now);
        assert_eq!(next, [Command::Record(ChangeStatus::Pending, None), Command::Send]);
        // The second one finds it gone: done all the same.
        let next = delete.on(Event::Sent(Ok(Deleted::AlreadyGone)), now);
        assert_eq!(next.last(), Some(&Command::Finished(ChangeStatus::Gone)));
        // Looked up and not listed: done, nothing sent.
        let (mut other, _) = ChangeDelivery::new(Kind::Delete, 8);
        other.on(Event::Sent(Err(unknown())), now);
        let next = other.on(Event::LookedUp(Ok(false)), now);
        assert_eq!(next.last(), Some(&Command::Finished(ChangeStatus::Done)));
        assert!(!next.contains(&Command::Send));
    }

    #[test]
    fn refusals_end_it_and_say_why() {
        let now = Instant::now();
        let busy = ApiError::Rejected {
            status: 422,
            message: "The lead is being processed and cannot be deleted right now.".into(),
            errors: Default::default(),
        };
        let (mut delete, _) = ChangeDelivery::new(Kind::Delete, 1);
        let next = delete.on(Event::Sent(Err(busy)), now);
        let Some(Command::Record(ChangeStatus::Rejected, Some(error))) = next.first() else {
            panic!("{next:?}")
        };
        assert!(error.message.contains("being processed"));
        let (mut fix, _) = ChangeDelivery::new(Kind::Update, 1);
        let gone =
            ApiError::Rejected { status: 404, message: "Lead not found".into(), errors: Default::default() };
        let next = fix.on(Event::Sent(Err(gone)), now);
        assert_eq!(next.last(), Some(&Command::Finished(ChangeStatus::Rejected)));
    }

    #[test]
    fn nothing_reached_the_server_waits_then_sends_and_a_429_waits_its_retry_after() {
        let now = Instant::now();
        let (mut fix, _) = ChangeDelivery::new(Kind::Update, 3);
        let next = fix.on(Event::Sent(Err(ApiError::Unreachable("refused".into()))), now);
        assert_eq!(statuses(&next), [ChangeStatus::Queued]);
        let limited = ApiError::RateLimited { retry_after: Some(Duration::from_secs(9)) };
        let next = fix.on(Event::Sent(Err(limited)), now);
        assert_eq!(next.last(), Some(&Command::Wait(now + Duration::from_secs(9))));
        assert_eq!(fix.tries(), 2);
        // Resumed unknown: a delete is looked up first, a fix sent.
        assert_eq!(ChangeDelivery::resumed(Kind::Delete, ChangeStatus::Unknown, 1).1, Command::LookUp);
        assert_eq!(ChangeDelivery::resumed(Kind::Update, ChangeStatus::Unknown, 1).1, Command::Send);
    }
}
