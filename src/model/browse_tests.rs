//! The history pane's browsing, fed messages: search as you type, quick filters, the detail
//! view, retry, server statuses and export.

use std::collections::HashMap;
use std::time::Duration;

use ratatui_textarea::{Input, Key};

use super::kit::*;
use super::*;
use crate::api::ApiError;
use crate::api::types::CreateLead;
use crate::history::{Event, LeadEntry, LeadError, Outcome};

fn entry(
    n: u128,
    phone: &str,
    name: &str,
    campaign: u64,
    status: Status,
    lead_id: Option<&str>,
) -> LeadEntry {
    let request = CreateLead {
        phone_number: phone.into(),
        campaign_id: campaign,
        variables: [("customer_name".to_owned(), name.to_owned())].into(),
        allow_dupplicate: false,
        secondary_contacts: vec![],
    };
    let mut e = LeadEntry::new(LocalId(uuid::Uuid::from_u128(n)), jiff::Timestamp::UNIX_EPOCH, request);
    let error = (status != Status::Created).then(|| LeadError {
        kind: crate::api::ErrorKind::Unreachable,
        message: "refused".into(),
        http_status: None,
        fields: Default::default(),
    });
    e.apply(
        Outcome {
            status,
            lead_id: lead_id.map(crate::api::types::LeadId::from),
            error,
            ..Outcome::default()
        },
        jiff::Timestamp::UNIX_EPOCH,
    );
    e
}

fn app() -> App {
    let options = AppOptions { export_dir: Some("/tmp/exports".into()), ..AppOptions::default() };
    let (mut app, _) = App::new(options);
    app.update(Msg::HistoryLoaded {
        entries: vec![
            entry(1, "+14155550100", "Ada Lovelace", 12, Status::Created, Some("1001")),
            entry(2, "+14155550101", "Grace Hopper", 12, Status::Failed, None),
            entry(3, "+491701234567", "Jürgen Müller", 17, Status::Created, Some("1003")),
        ]
        .into(),
        problems: vec![],
        end: 0,
    });
    app.update(Msg::Action(Action::ShowHistory));
    app
}

fn listed(app: &App) -> Vec<&str> {
    (0..app.history.len())
        .filter_map(|r| app.history.row(r))
        .map(|e| e.request.phone_number.as_str())
        .collect()
}

#[test]
fn search_filters_as_you_type_and_esc_clears() {
    let mut app = app();
    app.update(Msg::Action(Action::Search));
    assert_eq!(app.context(), crate::keymap::Context::Search);
    type_text(&mut app, "gr");
    assert_eq!(listed(&app), ["+14155550101"]);
    app.update(Msg::Edit(Input { key: Key::Backspace, ..Input::default() }));
    app.update(Msg::Edit(Input { key: Key::Backspace, ..Input::default() }));
    type_text(&mut app, "555 01");
    assert_eq!(listed(&app), ["+14155550101", "+14155550100"], "a phone in any format, newest first");
    app.update(Msg::Action(Action::Activate));
    assert!(app.history.search_input.is_none(), "Enter keeps the filter and closes the bar");
    assert_eq!(app.history.len(), 2);
    app.update(Msg::Action(Action::Close));
    assert_eq!(app.history.len(), 3, "Esc in the list clears the filter");
}

/// A long pass runs on a worker: `update` hands it out as an effect and returns at once (the
/// search bar shows each key as it is typed), every key makes a newer pass and drops the older
/// one, and only the newest pass's answer changes the list, whatever order the answers come in.
#[test]
fn only_the_newest_filter_pass_is_listed() {
    let mut app = app();
    app.history.set_worker_from(0);
    app.update(Msg::Action(Action::Search));
    let pass = |effects: Vec<Effect>| match effects.as_slice() {
        [Effect::Filter(pass)] => pass.clone(),
        other => panic!("one filter pass, not {other:?}"),
    };
    let first = pass(app.update(Msg::Edit(Input { key: Key::Char('g'), ..Input::default() })));
    let second = pass(app.update(Msg::Edit(Input { key: Key::Char('r'), ..Input::default() })));
    assert_eq!(app.history.search_input.as_ref().map(TextInput::text), Some("gr"), "typing goes on");
    assert!(second.generation > first.generation);
    assert!(!first.is_wanted(), "a newer key drops the older pass");
    assert_eq!(listed(&app).len(), 3, "the list waits for the answer");

    // The older pass answers late (it ran to its end before it was dropped): not taken.
    let old_rows = first.matching(0..first.len());
    assert_eq!(old_rows, None, "a pass no longer wanted stops");
    app.update(Msg::Filtered { generation: first.generation, rows: Some(vec![0, 1, 2]) });
    assert_eq!(listed(&app).len(), 3);
    // The newest answers: listed, and a late answer of the older one after it changes nothing.
    let effects = app.update(crate::runtime::run_pass(&second));
    assert!(effects.is_empty());
    assert_eq!(listed(&app), ["+14155550101"]);
    app.update(Msg::Filtered { generation: first.generation, rows: Some(vec![2, 1, 0]) });
    assert_eq!(listed(&app), ["+14155550101"]);
    app.update(Msg::Filtered { generation: second.generation, rows: Some(vec![2, 1, 0]) });
    assert_eq!(listed(&app), ["+14155550101"], "an answer is taken once");

    // Esc while a pass is out: no filter, and the pass is dropped.
    let third = pass(app.update(Msg::Edit(Input { key: Key::Char('a'), ..Input::default() })));
    app.update(Msg::Action(Action::Close));
    assert!(!third.is_wanted());
    assert_eq!(listed(&app).len(), 3);
    app.update(crate::runtime::run_pass(&third));
    assert_eq!(listed(&app).len(), 3, "its answer comes too late");
}

#[test]
fn quick_filters_cycle_through_what_is_present() {
    let mut app = app();
    app.update(Msg::Action(Action::CycleStatus));
    assert_eq!(app.history.filter.status, Some(Status::Created));
    assert_eq!(listed(&app), ["+491701234567", "+14155550100"]);
    app.update(Msg::Action(Action::CycleStatus));
    assert_eq!(app.history.filter.status, Some(Status::Failed));
    app.update(Msg::Action(Action::CycleStatus));
    assert_eq!(app.history.filter.status, None);
    app.update(Msg::Action(Action::CycleCampaign));
    assert_eq!(listed(&app), ["+14155550101", "+14155550100"]);
    app.update(Msg::Action(Action::CycleCampaign));
    assert_eq!(listed(&app), ["+491701234567"]);
}

#[test]
fn a_new_lead_shows_in_a_filtered_list_when_it_matches() {
    let mut app = app();
    app.update(Msg::Action(Action::CycleCampaign));
    app.update(Msg::Action(Action::ShowForm));
    type_text(&mut app, "+14155550199");
    app.entry.form.campaign.set_text("12");
    app.update(Msg::Action(Action::Submit));
    assert_eq!(listed(&app)[0], "+14155550199");
}

#[test]
fn enter_opens_the_detail_and_it_can_retry() {
    let mut app = app();
    app.update(Msg::Action(Action::Down));
    app.update(Msg::Action(Action::Activate));
    assert_eq!(app.detail().map(|d| d.local_id), Some(LocalId(uuid::Uuid::from_u128(2))));
    let effects = app.update(Msg::Action(Action::Retry));
    assert_eq!(app.overlay, None);
    let [Effect::Append(record)] = effects.as_slice() else { panic!("{effects:?}") };
    assert_eq!(record.local_id, LocalId(uuid::Uuid::from_u128(2)), "the same lead, sent again");
    assert!(
        matches!(&record.event, Event::Submitted { request, .. } if request.phone_number == "+14155550101")
    );
    assert_eq!(app.outbox.in_flight.get(&record.local_id).map(|d| &d.phase), Some(&Phase::Saving));
}

#[test]
fn only_failed_or_rejected_leads_are_retried() {
    let mut app = app();
    assert!(app.update(Msg::Action(Action::Retry)).is_empty(), "the newest is created");
    assert!(app.notice.as_ref().unwrap().text.contains("created"));
}

#[test]
fn server_statuses_land_beside_the_local_ones() {
    let mut app = app();
    let effects = app.update(Msg::Action(Action::RefreshStatus));
    assert_eq!(effects, [Effect::RefreshStatuses(vec![12, 17])]);
    assert!(app.history.refreshing);
    let statuses: HashMap<crate::api::types::LeadId, String> =
        [("1001".into(), "completed".to_owned()), ("999".into(), "x".to_owned())].into();
    let effects = app.update(Msg::StatusesRefreshed(Ok(statuses.clone())));
    assert!(!app.history.refreshing && app.history.statuses_at.is_some());
    assert_eq!(
        app.history.get(&LocalId(uuid::Uuid::from_u128(1))).unwrap().server_status.as_deref(),
        Some("completed")
    );
    // Kept in the history, so a restart still shows it: one record, for the lead it changed.
    let [Effect::Note(records)] = effects.as_slice() else { panic!("{effects:?}") };
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].local_id, LocalId(uuid::Uuid::from_u128(1)));
    assert_eq!(records[0].event, Event::ServerStatus { status: "completed".into() });
    assert!(app.update(Msg::StatusesRefreshed(Ok(statuses))).is_empty(), "nothing new, nothing written");
    assert_eq!(app.history.get(&LocalId(uuid::Uuid::from_u128(3))).unwrap().server_status, None);
    app.update(Msg::StatusesRefreshed(Err(ApiError::Unreachable("down".into()))));
    assert_eq!(app.notice.as_ref().unwrap().level, Level::Error);
}

/// With `status_refresh_minutes` set, the server is asked again by itself once it is due, and
/// the app wakes for it.
#[test]
fn statuses_refresh_by_themselves_when_asked_to() {
    let options = AppOptions { status_refresh: Some(Duration::from_secs(300)), ..AppOptions::default() };
    let (mut app, _) = App::new(options);
    app.update(Msg::HistoryLoaded {
        entries: vec![entry(1, "+14155550100", "Ada Lovelace", 12, Status::Created, Some("1001"))].into(),
        problems: vec![],
        end: 0,
    });
    let wake = app.next_wake(app.now).expect("a wake for the refresh");
    assert_eq!(wake.duration_since(app.now), Duration::from_secs(300));
    app.now += Duration::from_secs(299);
    assert!(app.update(Msg::Tick).is_empty());
    app.now += Duration::from_secs(1);
    assert_eq!(app.update(Msg::Tick), [Effect::RefreshStatuses(vec![12])]);
    assert!(app.update(Msg::Tick).is_empty(), "not again while one is under way");
}

#[test]
fn export_writes_what_is_listed_in_order() {
    let mut app = app();
    app.update(Msg::Action(Action::CycleStatus));
    let effects = app.update(Msg::Action(Action::Export));
    let [Effect::Export { path, leads }] = effects.as_slice() else { panic!("{effects:?}") };
    assert!(path.starts_with("/tmp/exports") && path.extension().is_some_and(|e| e == "csv"));
    let mut phones = Vec::new();
    leads.each(|e| phones.push(e.request.phone_number.to_string()));
    assert_eq!(phones, ["+491701234567", "+14155550100"]);
    assert_eq!(leads.len(), 2);
    app.update(Msg::Exported(Ok((path.clone(), 2))));
    assert!(app.notice.as_ref().unwrap().text.contains("Exported 2 leads"));
}

#[test]
fn export_without_a_filter_writes_every_lead_newest_first_as_shown() {
    let mut app = app();
    let effects = app.update(Msg::Action(Action::Export));
    let [Effect::Export { leads, .. }] = effects.as_slice() else { panic!("{effects:?}") };
    let mut phones = Vec::new();
    leads.each(|e| phones.push(e.request.phone_number.to_string()));
    assert_eq!(phones, listed(&app));
    assert_eq!(phones, ["+491701234567", "+14155550101", "+14155550100"]);
    assert_eq!(leads.len(), 3);
}

#[test]
fn appended_records_from_other_windows_merge_and_our_own_are_not_applied_twice() {
    use crate::history::Record;
    use crate::history::store::Tail;
    let mut app = app();
    // Our own lead, sent and settled: its two records come back through the file.
    app.update(Msg::Action(Action::ShowForm));
    type_text(&mut app, "+14155550177");
    app.entry.form.campaign.set_text("12");
    let effects = app.update(Msg::Action(Action::Submit));
    let Some(Effect::Append(submitted)) = effects.first().cloned() else { panic!("{effects:?}") };
    let id = submitted.local_id;
    app.update(Msg::Appended { local_id: id, submitted: true, result: Ok(()) });
    let lead = crate::api::types::Lead { id: "77".into(), ..Default::default() };
    let effects = app
        .update(Msg::Sent { local_id: id, result: Ok(crate::api::types::Created { lead, message: None }) });
    let Some(Effect::Append(outcome)) = effects.first().cloned() else { panic!("{effects:?}") };
    app.update(Msg::Appended { local_id: id, submitted: false, result: Ok(()) });

    // Another window's lead and its outcome.
    let other = LocalId::new();
    let request = app.history.get(&id).unwrap().request.clone();
    let theirs =
        Record::submitted(other, CreateLead { phone_number: "+442079460958".into(), ..request }, "cli");
    let their_outcome = Record::outcome(
        other,
        Outcome { status: Status::Created, lead_id: Some("78".into()), ..Outcome::default() },
    );

    assert_eq!(app.update(Msg::HistoryChanged), [Effect::ReadTail(0)]);
    assert!(app.update(Msg::HistoryChanged).is_empty(), "one read at a time");
    let tail = Tail { records: vec![submitted, outcome, theirs, their_outcome], end: 900, ..Tail::default() };
    let effects = app.update(Msg::TailRead(Ok(tail)));
    assert_eq!(effects, [Effect::ReadTail(900)], "the change seen meanwhile is read next");

    let ours = app.history.get(&id).unwrap();
    assert_eq!(ours.attempts, 1, "our own records are not applied again");
    let theirs = app.history.get(&other).expect("the other window's lead is listed");
    assert_eq!((theirs.status, theirs.lead_id.as_deref()), (Status::Created, Some("78")));
    assert!(app.notice.as_ref().unwrap().text.contains("1 lead added by another window"));
    let reset = Tail { reset: true, ..Tail::default() };
    assert_eq!(app.update(Msg::TailRead(Ok(reset))), [Effect::LoadHistory], "a replaced file is read again");
}

#[test]
fn typing_a_search_lists_exactly_what_a_full_pass_would() {
    let (mut app, _) = App::new(AppOptions::default());
    let mut entries = Vec::new();
    for n in 0..60u128 {
        let name = ["Ada Lovelace", "Grace Hopper", "Alan Turing", "Jürgen Müller"][n as usize % 4];
        let status = if n % 3 == 0 { Status::Failed } else { Status::Created };
        let lead_id = format!("{}", 2000 + n);
        entries.push(entry(
            100 + n,
            &format!("+1415555{n:04}"),
            name,
            12 + (n as u64 % 2) * 5,
            status,
            Some(&lead_id),
        ));
    }
    app.update(Msg::HistoryLoaded { entries: entries.clone().into(), problems: vec![], end: 0 });
    app.update(Msg::Action(Action::ShowHistory));
    app.update(Msg::Action(Action::Search));
    for text in ["a", "al", "ala", "alan", "alan t", "x"] {
        app.history.search_input = Some(TextInput::with_text(text));
        app.update(Msg::Edit(Input { key: Key::End, ..Input::default() }));
        app.search_changed();
        let filter = crate::history::query::Filter { search: Some(text.into()), ..Default::default() };
        let expected: Vec<LocalId> = filter.apply(&entries).iter().map(|e| e.local_id).collect();
        let listed: Vec<LocalId> =
            (0..app.history.len()).filter_map(|r| app.history.row(r)).map(|e| e.local_id).collect();
        assert_eq!(listed, expected, "after typing {text:?}");
    }
    // A lead that changes while a search is on is judged again.
    app.history.search_input = Some(TextInput::with_text("2001"));
    app.search_changed();
    assert_eq!(app.history.len(), 1);
    app.history.get_mut(&LocalId(uuid::Uuid::from_u128(101))).unwrap().lead_id = Some("9999".into());
    app.history.refilter();
    assert_eq!(app.history.len(), 0);
}

/// The search reads national numbers through the app's region, and a search typed on key by key
/// (words that skip letters, more words, numbers) lists exactly what a full pass lists: narrowing
/// what was listed never loses a lead.
#[test]
fn a_search_typed_key_by_key_uses_the_region_and_narrows_soundly() {
    let de: Option<crate::lead::Region> = Some("DE".parse().unwrap());
    let (mut app, _) = App::new(AppOptions { region: de, ..AppOptions::default() });
    let names = ["Jürgen Müller", "Jürgen Mueller", "Ada Lovelace", "Müller-Lüdenscheidt"];
    let entries: Vec<LeadEntry> = (0..80u128)
        .map(|n| {
            let phone = if n % 2 == 0 { format!("+49170123{n:04}") } else { format!("+1415555{n:04}") };
            entry(200 + n, &phone, names[n as usize % 4], 12, Status::Created, None)
        })
        .collect();
    app.update(Msg::HistoryLoaded { entries: entries.clone().into(), problems: vec![], end: 0 });
    app.update(Msg::Action(Action::ShowHistory));
    app.update(Msg::Action(Action::Search));
    for search in ["jürgen müll", "0170 1230004", "ada lovlace", "+49 170 123"] {
        for end in search.char_indices().map(|(i, c)| i + c.len_utf8()) {
            let text = &search[..end];
            app.history.search_input = Some(TextInput::with_text(text));
            app.search_changed();
            let filter =
                crate::history::query::Filter { search: Some(text.into()), region: de, ..Default::default() };
            let expected: Vec<LocalId> = filter.apply(&entries).iter().map(|e| e.local_id).collect();
            let listed: Vec<LocalId> =
                (0..app.history.len()).filter_map(|r| app.history.row(r)).map(|e| e.local_id).collect();
            assert_eq!(listed, expected, "after typing {text:?}");
        }
    }
    app.history.search_input = Some(TextInput::with_text("0170 1230004"));
    app.search_changed();
    assert_eq!(app.history.len(), 1, "the national number, through the region");
    app.history.search_input = Some(TextInput::with_text("jürgen müll"));
    app.search_changed();
    assert_eq!(app.history.len(), 20, "Müller, not Mueller: accents fold, spellings do not");
}

/// The detail view reads its lead's attempts from the file when it opens, again when the lead
/// changes while it is open, and takes only the newest read of the lead it shows.
#[test]
fn the_detail_view_reads_the_story_and_keeps_it_current() {
    use crate::history::{Attempt, Story};
    let mut app = app();
    app.update(Msg::Action(Action::Down));
    let effects = app.update(Msg::Action(Action::Activate));
    let id = LocalId(uuid::Uuid::from_u128(2));
    let first = jiff::Timestamp::UNIX_EPOCH;
    assert_eq!(effects, [Effect::ReadStory { local_id: id, as_of: first }]);
    assert_eq!(app.detail().and_then(|d| d.story.as_ref()).map(|s| &s.state), Some(&StoryState::Reading));
    assert!(app.update(Msg::Tick).is_empty(), "asked once");

    let attempt = |status| Attempt { at: first, status, error: None };
    let story = |attempts| Story { attempts, response: None };
    app.update(Msg::StoryRead {
        local_id: id,
        as_of: first,
        result: Ok(story(vec![attempt(Status::Failed)])),
    });
    assert!(
        matches!(&app.detail().and_then(|d| d.story.as_ref()).unwrap().state, StoryState::Read(s) if s.attempts.len() == 1)
    );

    // Another window retried it: the lead changes, the story is read again; until then the view
    // keeps what it read, and an older read arriving late is not taken.
    let later = first + jiff::SignedDuration::from_secs(60);
    app.history.get_mut(&id).unwrap().apply(Outcome { status: Status::Created, ..Outcome::default() }, later);
    let effects = app.update(Msg::Tick);
    assert_eq!(effects, [Effect::ReadStory { local_id: id, as_of: later }]);
    assert!(
        matches!(&app.detail().and_then(|d| d.story.as_ref()).unwrap().state, StoryState::Read(s) if s.attempts.len() == 1)
    );
    app.update(Msg::StoryRead { local_id: id, as_of: first, result: Ok(story(vec![])) });
    assert!(
        matches!(&app.detail().and_then(|d| d.story.as_ref()).unwrap().state, StoryState::Read(s) if s.attempts.len() == 1)
    );
    let both = vec![attempt(Status::Failed), attempt(Status::Created)];
    app.update(Msg::StoryRead { local_id: id, as_of: later, result: Ok(story(both)) });
    assert!(
        matches!(&app.detail().and_then(|d| d.story.as_ref()).unwrap().state, StoryState::Read(s) if s.attempts.len() == 2)
    );

    // A file that cannot be read says so; closing the view forgets the story.
    let denied = crate::history::HistoryError::Io {
        path: "/data/history.jsonl".into(),
        action: "open",
        source: std::io::ErrorKind::PermissionDenied.into(),
    };
    app.update(Msg::StoryRead { local_id: id, as_of: later, result: Err(denied) });
    let Some(StoryState::Failed(why)) = app.detail().and_then(|d| d.story.as_ref()).map(|s| &s.state) else {
        panic!("{:?}", app.overlay)
    };
    assert!(why.contains("could not open the history file /data/history.jsonl"), "{why}");
    app.update(Msg::Action(Action::Close));
    assert_eq!(app.detail(), None, "closing the view forgets the story with it");
}
