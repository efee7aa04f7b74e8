//! Delivery, fed messages: what each failure leads to, the outbox across restarts, the key.

use std::time::Duration;

use super::kit::*;
use super::*;
use crate::api::ApiError;
use crate::api::types::{Created, Lead};
use crate::history::{Claimed, Event, LeadEntry, Outcome};

fn app() -> App {
    let (mut app, _) = App::new(AppOptions { campaign: Some(12), ..AppOptions::default() });
    app.update(Msg::HistoryLoaded { entries: vec![].into(), problems: vec![], end: 0 });
    app
}

/// Submits a lead and lets its record reach the disk; returns its id and the effects of that.
fn sent_lead(app: &mut App, phone: &str) -> (LocalId, Vec<Effect>) {
    app.focus = Focus::Phone;
    type_text(app, phone);
    let effects = app.update(Msg::Action(Action::Submit));
    let Some(Effect::Append(record)) = effects.first() else { panic!("{effects:?}") };
    let id = record.local_id;
    (id, app.update(Msg::Appended { local_id: id, submitted: true, result: Ok(()) }))
}

/// The answer `result` comes back and its record is written; returns what follows.
fn answer(app: &mut App, id: LocalId, result: Result<Created, ApiError>) -> Vec<Effect> {
    let effects = app.update(Msg::Sent { local_id: id, result });
    assert!(matches!(effects.as_slice(), [Effect::Append(_)]), "the result is recorded first: {effects:?}");
    app.update(Msg::Appended { local_id: id, submitted: false, result: Ok(()) })
}

#[test]
fn an_unknown_outcome_is_looked_up_and_a_found_lead_is_never_sent_again() {
    let mut app = app();
    let (id, effects) = sent_lead(&mut app, "+14155550100");
    assert_eq!(sends(&effects), 1);
    let effects = answer(&mut app, id, Err(ApiError::UnknownOutcome("connection reset".into())));
    assert_eq!(app.history.get(&id).unwrap().status, Status::Unknown);
    let [Effect::LookUp { local_id, request, .. }] = effects.as_slice() else { panic!("{effects:?}") };
    assert_eq!((*local_id, request.phone_number.as_str()), (id, "+14155550100"));
    let found = Lead { id: "4242".into(), ..Lead::default() };
    let effects = app.update(Msg::LookedUp { local_id: id, result: Ok(Some(found)) });
    assert!(matches!(effects.as_slice(), [Effect::Append(_)]));
    let effects = app.update(Msg::Appended { local_id: id, submitted: false, result: Ok(()) });
    assert_eq!(sends(&effects), 0, "found: never sent again");
    let entry = app.history.get(&id).unwrap();
    assert_eq!((entry.status, entry.lead_id.as_deref()), (Status::Created, Some("4242")));
    assert!(app.outbox.in_flight.is_empty());
}

#[test]
fn a_lead_not_found_is_sent_again_only_after_it_settled_and_a_failed_lookup_waits() {
    let mut app = app();
    let (id, _) = sent_lead(&mut app, "+14155550100");
    let sent_at = app.now;
    answer(&mut app, id, Err(ApiError::UnknownOutcome("502".into())));
    let effects =
        app.update(Msg::LookedUp { local_id: id, result: Err(ApiError::Unreachable("down".into())) });
    assert!(effects.is_empty());
    assert_eq!(app.history.get(&id).unwrap().status, Status::Unknown, "still unknown");
    assert!(app.wait_left(&id).is_some(), "the lookup is tried again later");
    // Seen: a server slower than the request timeout got the lead twice, because the look-up
    // right after the timeout found nothing yet. Now the look-ups go on, spread over the
    // settling time, and only then is it sent again.
    let mut lookups = 0;
    let resent_at = loop {
        let wake = app.next_wake(app.now).expect("something is awaited");
        app.now = wake;
        let effects = step(&mut app, Msg::Tick);
        if sends(&effects) > 0 {
            break app.now;
        }
        if effects.iter().any(|e| matches!(e, Effect::LookUp { .. })) {
            lookups += 1;
            let effects = step(&mut app, Msg::LookedUp { local_id: id, result: Ok(None) });
            if sends(&effects) > 0 {
                break app.now;
            }
        }
        assert!(app.now - sent_at < Duration::from_secs(600), "it goes in the end");
    };
    // Two request timeouts (20 s by default) after the request that got no answer ended.
    assert!(resent_at - sent_at >= Duration::from_secs(40), "re-sent {:?} after", resent_at - sent_at);
    assert!(lookups >= 3, "looked up again while it settled: {lookups}");
    assert_eq!(phase(&app, id), Some(&Phase::Sending));
    assert_eq!(app.outbox.in_flight[&id].tries, 2);
}

#[test]
fn unreachable_leads_are_queued_with_growing_waits_and_429_waits_what_it_says() {
    let mut app = app();
    let (id, _) = sent_lead(&mut app, "+14155550100");
    answer(&mut app, id, Err(ApiError::Unreachable("refused".into())));
    let first = app.wait_left(&id).unwrap();
    assert!(first >= Duration::from_millis(1500) && first <= Duration::from_millis(2500), "{first:?}");
    assert!(app.update(Msg::Tick).is_empty(), "nothing before the wait is over");
    app.now += first;
    let effects = app.update(Msg::Tick);
    let [Effect::Append(marker)] = effects.as_slice() else { panic!("{effects:?}") };
    assert!(
        matches!(marker.event, Event::Outcome { status: Status::Pending, .. }),
        "a re-send is on disk before it starts"
    );
    let effects = written(&mut app, effects);
    assert_eq!(sends(&effects), 1, "sent again without a lookup: nothing had reached the server");
    answer(&mut app, id, Err(ApiError::Unreachable("refused".into())));
    let second = app.wait_left(&id).unwrap();
    assert!(second > first, "{second:?} after {first:?}");
    app.now += second;
    let effects = step(&mut app, Msg::Tick);
    assert_eq!(sends(&effects), 1);
    answer(&mut app, id, Err(ApiError::RateLimited { retry_after: Some(Duration::from_secs(42)) }));
    assert_eq!(app.wait_left(&id), Some(Duration::from_secs(42)));
    assert_eq!(app.history.get(&id).unwrap().status, Status::Queued);
    assert_eq!(app.history.get(&id).unwrap().attempts, 3, "every attempt is recorded");
}

#[test]
fn no_more_than_four_requests_run_at_once() {
    let mut app = app();
    let mut started = 0;
    for n in 0..6 {
        let (_, effects) = sent_lead(&mut app, &format!("+1415555010{n}"));
        started += sends(&effects);
    }
    assert_eq!(started, crate::delivery::MAX_CONCURRENT);
    let first = *app.outbox.in_flight.iter().find(|(_, d)| d.phase == Phase::Sending).unwrap().0;
    let effects = app.update(Msg::Sent { local_id: first, result: Ok(created("1")) });
    assert_eq!(sends(&effects), 1, "the answer frees a slot for the next lead: {effects:?}");
}

#[test]
fn a_refused_key_pauses_sending_until_a_key_works() {
    let (mut app, _) = App::new(AppOptions {
        target: Target::Live("app.autocalls.ai".into()),
        campaign: Some(12),
        ..AppOptions::default()
    });
    app.update(Msg::HistoryLoaded { entries: vec![].into(), problems: vec![], end: 0 });
    let (id, _) = sent_lead(&mut app, "+14155550100");
    answer(&mut app, id, Err(ApiError::Auth("Unauthenticated.".into())));
    assert!(matches!(app.overlay, Some(Overlay::Key(_))), "the key is asked for");
    assert_eq!(app.history.get(&id).unwrap().status, Status::Queued, "not rejected: it was never accepted");
    assert_eq!(phase(&app, id), Some(&Phase::Paused(Step::Send)));
    // A second lead waits too.
    app.overlay = None;
    let (second, effects) = sent_lead(&mut app, "+14155550101");
    assert_eq!(sends(&effects), 0);
    assert_eq!(phase(&app, second), Some(&Phase::Ready(Step::Send)), "it waits its turn");
    app.now += Duration::from_secs(3600);
    assert_eq!(sends(&step(&mut app, Msg::Tick)), 0, "nothing goes with a refused key");
    app.update(Msg::Action(Action::EnterKey));
    app.update(Msg::Paste("1|new-key".into()));
    let effects = app.update(Msg::Action(Action::Activate));
    let [Effect::TryKey(key)] = effects.as_slice() else { panic!("{effects:?}") };
    assert_eq!(key, &crate::config::ApiKey::new("1|new-key"));
    assert!(!format!("{key:?}").contains("new-key"), "the key never shows in debug output");
    app.update(Msg::KeyTried(Err(KeyError::Refused)));
    let Some(Overlay::Key(prompt)) = &app.overlay else { panic!("the prompt stays") };
    assert!(prompt.problem.as_deref().is_some_and(|p| p.contains("refused")));
    // Seen: a key that works but could not be saved was reported as a failure, and every lead
    // stayed paused.
    let denied = crate::config::ConfigError::Read {
        path: "/home/ada/.config/autocalls-tui/config.toml".into(),
        source: std::io::ErrorKind::PermissionDenied.into(),
    };
    let works = KeyWorks { account: "Ada's Agency".into(), not_saved: Some(denied) };
    let effects = step(&mut app, Msg::KeyTried(Ok(works)));
    assert_eq!(sends(&effects), 2, "both go as soon as a key works, saved or not");
    assert_eq!(app.account.as_deref(), Some("Ada's Agency"));
    assert!(app.overlay.is_none() && app.key_problem.is_none());
    let notice = app.notice.as_ref().unwrap();
    assert!(notice.text.contains("could not be saved (config file"), "{}", notice.text);
    assert!(notice.text.contains("permission denied"), "{}", notice.text);
}

#[test]
fn without_a_key_the_app_starts_by_asking_for_one_and_offers_the_sandbox() {
    let (mut app, effects) = App::new(AppOptions {
        target: Target::Live("app.autocalls.ai".into()),
        has_key: false,
        ..AppOptions::default()
    });
    assert!(!effects.iter().any(|e| matches!(e, Effect::FetchCampaigns | Effect::WhoAmI)), "{effects:?}");
    let Some(Overlay::Key(prompt)) = &app.overlay else { panic!("no prompt") };
    assert!(prompt.offer_sandbox);
    assert_eq!(app.context(), crate::keymap::Context::KeyPrompt);
    app.update(Msg::Action(Action::OpenSandbox));
    assert!(app.should_quit() && app.restart_in_sandbox);
}

fn open_entry(n: u128, status: Status, minutes_ago: i64) -> LeadEntry {
    let at = jiff::Timestamp::now() - jiff::SignedDuration::from_mins(minutes_ago);
    let request = crate::api::types::CreateLead {
        phone_number: compact_str::format_compact!("+1415555{n:04}"),
        campaign_id: 12,
        variables: Default::default(),
        allow_dupplicate: false,
        secondary_contacts: vec![],
    };
    let mut entry = LeadEntry::new(LocalId(uuid::Uuid::from_u128(n)), at, request);
    if status != Status::Pending {
        entry.apply(Outcome { status, ..Outcome::default() }, at);
    }
    entry
}

fn looked_up_ids(effects: &[Effect]) -> Vec<u128> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::LookUp { local_id, .. } => Some(local_id.0.as_u128()),
            _ => None,
        })
        .collect()
}

#[test]
fn leads_left_open_are_taken_over_from_ended_runs_and_looked_up_first() {
    let (mut app, _) = App::new(AppOptions::default());
    let alive = crate::history::RunId::new();
    let mut held = open_entry(5, Status::Queued, 0);
    held.owner = Some(alive);
    let entries = vec![
        open_entry(1, Status::Pending, 10),
        open_entry(2, Status::Queued, 10),
        open_entry(3, Status::Unknown, 0),
        open_entry(4, Status::Created, 10),
        held,
    ];
    let effects = app.update(Msg::HistoryLoaded { entries: entries.into(), problems: vec![], end: 77 });
    let [Effect::Claim { claims, from: 77 }] = effects.as_slice() else { panic!("{effects:?}") };
    let asked: Vec<u128> = claims.iter().map(|c| c.local_id.0.as_u128()).collect();
    assert_eq!(asked, [1, 2, 3, 5], "every open lead, and only those");
    assert_eq!(claims[3].owner, Some(alive));
    // The store says which runs ended: their leads are this window's now.
    let id = |n: u128| LocalId(uuid::Uuid::from_u128(n));
    let answer = vec![
        (id(1), Claimed::Taken),
        (id(2), Claimed::Taken),
        (id(3), Claimed::Taken),
        (id(5), Claimed::Alive(alive)),
    ];
    let effects = app.update(Msg::Claimed(Ok(answer)));
    assert_eq!(looked_up_ids(&effects), [1, 2, 3], "looked up at once; none sent");
    assert_eq!(sends(&effects), 0);
    assert!(effects.contains(&Effect::WatchOwner(alive)), "the live run's end is awaited: {effects:?}");
    assert_eq!(app.outbox.elsewhere.get(&id(5)), Some(&alive), "left to the run that holds it");
    assert!(!app.outbox.in_flight.contains_key(&id(5)) && !app.outbox.in_flight.contains_key(&id(4)));
    // Maybe still on the server's mind: it settles from now, when its run is known to be gone.
    let left = app.outbox.in_flight[&id(3)].settling_left(app.now).unwrap();
    assert_eq!(left, Duration::from_secs(40));
    // Queued: nothing was under way; found absent, it goes at once.
    let effects = step(&mut app, Msg::LookedUp { local_id: id(2), result: Ok(None) });
    assert_eq!(sends(&effects), 1);

    // The other run ends: its lead is taken over without a restart.
    let effects = app.update(Msg::OwnerGone(alive));
    let [Effect::Claim { claims, .. }] = effects.as_slice() else { panic!("{effects:?}") };
    assert_eq!(claims.len(), 1);
    let effects = app.update(Msg::Claimed(Ok(vec![(id(5), Claimed::Taken)])));
    assert_eq!(looked_up_ids(&effects), [5]);
    assert!(app.outbox.elsewhere.is_empty());
}

#[test]
fn a_window_without_a_run_takes_over_nothing() {
    let (mut other, _) = App::new(AppOptions { run: None, ..AppOptions::default() });
    let effects = other.update(Msg::HistoryLoaded {
        entries: vec![open_entry(1, Status::Queued, 10)].into(),
        problems: vec![],
        end: 0,
    });
    assert!(effects.is_empty() && other.outbox.in_flight.is_empty(), "{effects:?}");
}

#[test]
fn a_queued_lead_can_be_cancelled_and_quitting_does_not_wait_for_it() {
    let mut app = app();
    let (id, _) = sent_lead(&mut app, "+14155550100");
    answer(&mut app, id, Err(ApiError::Unreachable("refused".into())));
    app.update(Msg::Action(Action::ShowHistory));
    app.update(Msg::Action(Action::Quit));
    assert!(app.should_quit(), "a queued lead is resumed next start; quitting does not wait");

    let mut app = self::app();
    let (id, _) = sent_lead(&mut app, "+14155550100");
    answer(&mut app, id, Err(ApiError::Unreachable("refused".into())));
    app.update(Msg::Action(Action::ShowHistory));
    let effects = app.update(Msg::Action(Action::CancelLead));
    let [Effect::Append(record)] = effects.as_slice() else { panic!("{effects:?}") };
    assert!(matches!(&record.event, Event::Outcome { status: Status::Failed, .. }));
    app.update(Msg::Appended { local_id: id, submitted: false, result: Ok(()) });
    assert!(app.outbox.in_flight.is_empty());
    app.now += Duration::from_secs(3600);
    assert_eq!(sends(&app.update(Msg::Tick)), 0, "a cancelled lead is never sent");
}

#[test]
fn a_wait_counts_down_to_the_second() {
    let mut app = app();
    let (id, _) = sent_lead(&mut app, "+14155550100");
    answer(&mut app, id, Err(ApiError::RateLimited { retry_after: Some(Duration::from_secs(80)) }));
    let left = app.wait_left(&id).unwrap();
    assert_eq!(super::countdown(left), "1:20", "{left:?}");
    // The row changes every second, and the app wakes for it.
    let wake = app.next_wake(app.now).unwrap();
    assert_eq!(wake.duration_since(app.now), Duration::from_secs(1));
    app.now += Duration::from_secs(25);
    assert_eq!(super::countdown(app.wait_left(&id).unwrap()), "55s");
    for (secs, shown) in [(0, "1s"), (59, "1:00"), (3598, "59:59"), (3599, "1h"), (119, "2:00"), (4, "5s")] {
        assert_eq!(super::countdown(Duration::from_millis(secs * 1000 + 300)), shown);
    }
}
