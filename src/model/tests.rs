//! The model, fed messages: no terminal, no runtime, no network.

use indexmap::IndexMap;

use super::kit::*;
use super::*;
use crate::api::types::Created;
use crate::api::{ApiError, ErrorKind};
use crate::history::{Event, LeadEntry};

fn app() -> App {
    let (app, effects) = App::new(AppOptions { campaign: Some(12), ..AppOptions::default() });
    assert_eq!(
        effects,
        [
            Effect::LoadHistory,
            Effect::FindTimeZone,
            Effect::LoadCache,
            Effect::FetchCampaigns,
            Effect::FetchAssistants
        ]
    );
    app
}

/// Adds a variable row named after each of `names`, as Ctrl-N and typing the name do.
fn add_rows(app: &mut App, names: &[&str]) {
    for name in names {
        app.focus = Focus::Variables;
        act(app, Action::AddRow);
        app.focus = Focus::VarKey(app.entry.form.variables.len() - 1);
        type_text(app, name);
    }
}

/// Effects that keep the form's draft and the campaign's rows, beside what a test is about.
pub(super) fn is_bookkeeping(effect: &Effect) -> bool {
    matches!(effect, Effect::SaveDraft { .. } | Effect::RememberLayout { .. } | Effect::FetchLayout(_))
}

/// Submits a valid lead and returns its local id and the request that was recorded.
fn submit_valid(app: &mut App, phone: &str) -> (LocalId, crate::api::types::CreateLead) {
    app.focus = Focus::Phone;
    type_text(app, phone);
    let effects: Vec<Effect> = act(app, Action::Submit).into_iter().filter(|e| !is_bookkeeping(e)).collect();
    let [Effect::Append(record)] = effects.as_slice() else { panic!("expected the record, got {effects:?}") };
    let Event::Submitted { request, .. } = &record.event else { panic!("not a submission: {record:?}") };
    (record.local_id, request.clone())
}

/// The API answers `id`; the result is written; returns the effects of the answer.
fn answer(app: &mut App, id: LocalId, result: Result<Created, ApiError>) -> Vec<Effect> {
    let effects = app.update(Msg::Sent { local_id: id, result });
    if !effects.is_empty() {
        app.update(Msg::Appended { local_id: id, submitted: false, result: Ok(()) });
    }
    effects
}

/// Where a lead on its way is.
fn phase(app: &App, id: LocalId) -> Option<&Phase> {
    app.outbox.in_flight.get(&id).map(|d| &d.phase)
}

#[test]
fn tab_walks_what_a_person_fills_and_shift_tab_reaches_the_campaigns_settings() {
    let mut app = app();
    let mut seen = vec![app.focus];
    for _ in 0..3 {
        act(&mut app, Action::NextField);
        seen.push(app.focus);
    }
    use Focus::*;
    assert_eq!(seen, [Phone, Submit, History, Phone], "with a campaign set, Tab stays on the lead");
    let mut back = vec![];
    for _ in 0..4 {
        act(&mut app, Action::PrevField);
        back.push(app.focus);
    }
    assert_eq!(back, [AllowDuplicate, Campaign, History, Submit], "Shift-Tab from Phone reaches them");
    app.focus = Campaign;
    act(&mut app, Action::NextField);
    act(&mut app, Action::NextField);
    assert_eq!(app.focus, Phone, "from the campaign's settings Tab comes back to the lead");
    // Without a campaign, it is the next thing to fill.
    let (mut app, _) = App::new(AppOptions::default());
    act(&mut app, Action::NextField);
    assert_eq!(app.focus, Campaign);
    act(&mut app, Action::NextField);
    assert_eq!(app.focus, AllowDuplicate);
}

#[test]
fn rows_are_walked_by_value_and_names_change_only_on_purpose() {
    let mut app = app();
    app.focus = Focus::Variables;
    act(&mut app, Action::AddRow);
    assert_eq!(app.focus, Focus::VarKey(0), "a new row starts at its name");
    type_text(&mut app, "customer_name");
    act(&mut app, Action::NextField);
    assert_eq!(app.focus, Focus::VarValue(0));
    type_text(&mut app, "Ada");
    act(&mut app, Action::NextField);
    assert_eq!(app.focus, Focus::Submit, "no name cell, no section header on the way");
    act(&mut app, Action::PrevField);
    assert_eq!(app.focus, Focus::VarValue(0));
    act(&mut app, Action::Rename);
    assert_eq!(app.focus, Focus::VarKey(0), "the name is one deliberate key away");
    act(&mut app, Action::Rename);
    assert_eq!(app.focus, Focus::VarValue(0));
    act(&mut app, Action::AddContact);
    assert_eq!(app.focus, Focus::SecPhone(0));
    type_text(&mut app, "+44 20 7946 0958");
    act(&mut app, Action::AddRow);
    assert_eq!(app.focus, Focus::SecVarKey(0, 0), "Ctrl-N on a contact adds a row to its variables");
    act(&mut app, Action::NextField);
    assert_eq!(app.focus, Focus::SecVarValue(0, 0));
    act(&mut app, Action::NextField);
    assert_eq!(app.focus, Focus::Submit);
    type_text(&mut app, "+4930");
    act(&mut app, Action::AddRow);
    assert_eq!(app.focus, Focus::SecPhone(1), "Ctrl-N on Send adds a contact at the end");
    assert_eq!(app.entry.form.variables[0].key.text(), "customer_name");
    assert_eq!(app.entry.form.variables[0].value.text(), "Ada");
    assert_eq!(app.entry.form.secondary.len(), 2);
    assert_eq!(
        app.entry.form.secondary[1].variables.len(),
        1,
        "a new contact gets the rows of the one above"
    );
    act(&mut app, Action::RemoveRow);
    assert_eq!((app.entry.form.secondary.len(), app.focus), (1, Focus::SecPhone(0)));
    app.focus = Focus::SecVarKey(0, 0);
    act(&mut app, Action::RemoveRow);
    assert_eq!((app.entry.form.secondary[0].variables.len(), app.focus), (0, Focus::SecPhone(0)));
}

#[test]
fn typing_one_field_off_never_renames_a_variable() {
    // Seen: `booth_hallw@example.de` and `+49 30 1234503` became variable names when the
    // typist was one Tab off, and the names carried into the next lead.
    let mut app = app();
    add_rows(&mut app, &["customer_name", "email", "booth_hall"]);
    app.focus = Focus::Phone;
    // One Tab too many after every field: the text lands in a value or on Send, never a name.
    for text in ["+14155550100", "Ada", "", "ada@example.com", "w@example.de", "+49 30 1234503"] {
        type_text(&mut app, text);
        act(&mut app, Action::NextField);
    }
    let names: Vec<&str> = app.entry.form.variables.iter().map(|r| r.key.text()).collect();
    assert_eq!(names, ["customer_name", "email", "booth_hall"]);
    assert!(app.notice.as_ref().is_some_and(|n| n.text.contains("Not typed")), "{:?}", app.notice);
}

#[test]
fn the_seen_tab_ctrl_n_phone_ctrl_s_keeps_the_secondary_phone() {
    // Seen: from the last value, `Tab Ctrl-N <phone> Ctrl-S` landed on Send, the digits
    // vanished, and the lead went without its contact (7 of 10 leads).
    let mut app = app();
    app.focus = Focus::Variables;
    act(&mut app, Action::AddRow);
    type_text(&mut app, "customer_name");
    act(&mut app, Action::NextField);
    type_text(&mut app, "Ada");
    app.focus = Focus::Phone;
    type_text(&mut app, "+14155550100");
    app.focus = Focus::VarValue(0);
    act(&mut app, Action::NextField);
    act(&mut app, Action::AddRow);
    type_text(&mut app, "+44 20 7946 0958");
    let effects = act(&mut app, Action::Submit);
    let Some(Effect::Append(record)) = effects.iter().find(|e| matches!(e, Effect::Append(_))) else {
        panic!("{effects:?}")
    };
    let Event::Submitted { request, .. } = &record.event else { panic!("{record:?}") };
    assert_eq!(request.secondary_contacts.len(), 1);
    assert_eq!(request.secondary_contacts[0].phone_number, "+442079460958");
}

#[test]
fn a_printable_key_where_no_text_can_go_is_said_or_put_where_it_can() {
    let mut app = app();
    app.focus = Focus::Submit;
    type_text(&mut app, "7");
    let notice = app.notice.clone().expect("a word on screen");
    assert!(
        notice.text.contains("Not typed (focus on Send): “7”") && notice.text.contains("Ctrl-X"),
        "{}",
        notice.text
    );
    type_text(&mut app, " Halle 9");
    let notice = app.notice.clone().unwrap();
    assert!(notice.text.contains("“7 Halle 9”"), "a run of keys is said whole: {}", notice.text);
    app.update(Msg::Paste("Stand A12".into()));
    assert!(app.notice.clone().unwrap().text.contains("Halle 9Stand A12"), "a paste too");
    // On the checkbox, a space among letters is one of them, not a tick.
    app.focus = Focus::AllowDuplicate;
    type_text(&mut app, "Ingrid");
    act(&mut app, Action::Toggle);
    assert!(!app.entry.form.allow_duplicate);
    act(&mut app, Action::Activate);
    assert!(!app.entry.form.allow_duplicate, "Enter moves on, it does not tick");
    app.focus = Focus::History;
    type_text(&mut app, "ada");
    assert_eq!(
        app.history.search_input.as_ref().map(TextInput::text),
        Some("ada"),
        "typing in the list searches"
    );
}

#[test]
fn up_and_down_move_between_fields_and_are_never_caught_in_the_campaign_list() {
    // Seen: Up×20 from a variable stopped in the Campaign list, and the next Ctrl-U cleared it.
    let mut app = app();
    app.update(Msg::CampaignsFetched(Ok(vec![crate::api::types::Campaign {
        id: 12,
        name: "Hannover".into(),
        status: None,
    }])));
    add_rows(&mut app, &["customer_name", "email"]);
    app.focus = Focus::VarValue(1);
    let mut seen = vec![];
    for _ in 0..20 {
        act(&mut app, Action::Up);
        seen.push(app.focus);
        assert!(app.entry.picker.is_none(), "the list opens on typing or Enter, not by passing");
    }
    use Focus::*;
    assert_eq!(&seen[..4], [VarValue(0), Phone, AllowDuplicate, Campaign]);
    assert_eq!(app.focus, Campaign, "the top stops, it does not wrap");
    act(&mut app, Action::Down);
    assert_eq!(app.focus, AllowDuplicate, "and Down leaves it again");
    assert_eq!(app.entry.form.campaign.text(), "12");
    app.focus = VarKey(0);
    act(&mut app, Action::Down);
    assert_eq!(app.focus, VarKey(1), "names stay names");
    act(&mut app, Action::Down);
    assert_eq!(app.focus, Submit);
    app.focus = Campaign;
    act(&mut app, Action::Activate);
    assert!(app.entry.picker.is_some(), "Enter opens the list");
}

#[test]
fn an_invalid_lead_sends_nothing_and_focuses_the_first_bad_field() {
    let mut app = app();
    app.focus = Focus::Campaign;
    app.update(Msg::Action(Action::Submit));
    assert_eq!(app.focus, Focus::Phone);
    assert_eq!(
        app.entry.form.errors.get(&Focus::Phone).map(String::as_str),
        Some("phone number is required")
    );
    assert!(app.history.is_empty());
    type_text(&mut app, "+1 415");
    assert!(!app.entry.form.errors.contains_key(&Focus::Phone), "editing a field clears its error");
    assert!(act(&mut app, Action::Submit).is_empty());
    assert_eq!(app.notice.as_ref().map(|n| n.level), Some(Level::Error));
}

#[test]
fn a_valid_lead_is_recorded_first_then_sent_and_the_form_clears_at_once() {
    let mut app = app();
    app.focus = Focus::Variables;
    act(&mut app, Action::AddRow);
    type_text(&mut app, "customer_name");
    act(&mut app, Action::NextField);
    type_text(&mut app, "Ada Lovelace");
    let (id, request) = submit_valid(&mut app, "+1 (415) 555-0100");
    assert_eq!(request.phone_number, "+14155550100");
    assert_eq!(request.campaign_id, 12);
    assert_eq!(request.variables["customer_name"], "Ada Lovelace");
    // Cleared for the next lead: campaign and variable names kept, values gone.
    assert_eq!(app.entry.form.phone.text(), "");
    assert_eq!(app.entry.form.campaign.text(), "12");
    assert_eq!(app.entry.form.variables[0].key.text(), "customer_name");
    assert_eq!(app.entry.form.variables[0].value.text(), "");
    assert_eq!(app.focus, Focus::Phone);
    assert_eq!(app.history.get(&id).map(|e| e.status), Some(Status::Pending));
    assert_eq!(phase(&app, id), Some(&Phase::Saving), "nothing is sent before the record is on disk");

    let effects = app.update(Msg::Appended { local_id: id, submitted: true, result: Ok(()) });
    assert_eq!(effects, [Effect::Send { local_id: id, request }]);
    assert_eq!(phase(&app, id), Some(&Phase::Sending));
    assert!(app.next_wake(app.now).is_some(), "the spinner runs while a request is in flight");
}

#[test]
fn typing_goes_on_while_a_lead_is_in_flight() {
    let mut app = app();
    let (id, _) = submit_valid(&mut app, "+14155550100");
    app.update(Msg::Appended { local_id: id, submitted: true, result: Ok(()) });
    type_text(&mut app, "+44 20");
    assert_eq!(app.entry.form.phone.text(), "+44 20");
    answer(&mut app, id, Ok(created("77")));
    assert_eq!(app.entry.form.phone.text(), "+44 20", "a result never touches the form");
}

/// The campaign to start in next time is remembered once the server created a lead in it, not
/// when a lead is only submitted: a campaign id the server refuses is never remembered.
#[test]
fn the_campaign_is_remembered_when_a_lead_is_created_in_it() {
    let mut app = app();
    let (a, _) = submit_valid(&mut app, "+14155550100");
    let (b, _) = submit_valid(&mut app, "+14155550101");
    for id in [a, b] {
        app.update(Msg::Appended { local_id: id, submitted: true, result: Ok(()) });
    }
    let refused = ApiError::Rejected {
        status: 422,
        message: "The selected campaign id is invalid.".into(),
        errors: Default::default(),
    };
    app.update(Msg::Sent { local_id: b, result: Err(refused) });
    let effects = app.update(Msg::Appended { local_id: b, submitted: false, result: Ok(()) });
    assert!(effects.is_empty(), "{effects:?}");
    app.update(Msg::Sent { local_id: a, result: Ok(created("1001")) });
    let effects = app.update(Msg::Appended { local_id: a, submitted: false, result: Ok(()) });
    assert_eq!(effects, [Effect::RememberCampaign(12)]);
}

#[test]
fn created_rejected_and_unreachable_results_end_the_row() {
    let mut app = app();
    let (a, _) = submit_valid(&mut app, "+14155550100");
    let (b, _) = submit_valid(&mut app, "+14155550101");
    let (c, _) = submit_valid(&mut app, "+14155550102");
    for id in [a, b, c] {
        app.update(Msg::Appended { local_id: id, submitted: true, result: Ok(()) });
    }
    let effects = answer(&mut app, a, Ok(created("1001")));
    let [Effect::Append(record)] = effects.as_slice() else { panic!("{effects:?}") };
    assert!(
        matches!(&record.event, Event::Outcome { status: Status::Created, lead_id: Some(id), .. } if id == "1001")
    );
    let entry = app.history.get(&a).unwrap();
    assert_eq!((entry.status, entry.lead_id.as_deref()), (Status::Created, Some("1001")));
    assert_eq!(entry.campaign_name.as_deref(), Some("Hannover Messe"));

    let errors: IndexMap<String, Vec<String>> =
        [("phone_number".to_owned(), vec!["The phone number has already been taken.".to_owned()])].into();
    answer(
        &mut app,
        b,
        Err(ApiError::Rejected { status: 422, message: "taken".into(), errors: errors.clone() }),
    );
    let entry = app.history.get(&b).unwrap();
    assert_eq!(entry.status, Status::Rejected);
    assert_eq!(entry.error.as_ref().map(|e| &e.fields), Some(&errors));

    assert_eq!(app.outbox.in_flight.len(), 1, "only the third is still on its way");
    assert!(app.next_wake(app.now).is_some());
    answer(&mut app, c, Err(ApiError::Unreachable("refused".into())));
    assert_eq!(app.history.get(&c).unwrap().status, Status::Queued, "nothing reached the server: queued");
    assert_eq!(app.connection, Connection::Offline);
    assert!(app.wait_left(&c).is_some_and(|d| d > std::time::Duration::ZERO));
    let mut done = self::app();
    let (d, _) = submit_valid(&mut done, "+14155550103");
    done.update(Msg::Appended { local_id: d, submitted: true, result: Ok(()) });
    answer(&mut done, d, Ok(created("5")));
    assert_eq!(done.next_wake(done.now), None, "no timer at all once nothing is on its way");
}

#[test]
fn a_late_or_repeated_answer_changes_nothing() {
    let mut app = app();
    let (id, _) = submit_valid(&mut app, "+14155550100");
    app.update(Msg::Appended { local_id: id, submitted: true, result: Ok(()) });
    answer(&mut app, id, Ok(created("5")));
    let effects =
        app.update(Msg::Sent { local_id: id, result: Err(ApiError::UnknownOutcome("late".into())) });
    assert!(effects.is_empty());
    assert_eq!(app.history.get(&id).unwrap().status, Status::Created);
    let stranger = LocalId::new();
    assert!(app.update(Msg::Sent { local_id: stranger, result: Ok(created("6")) }).is_empty());
}

#[test]
fn a_history_that_cannot_be_written_means_nothing_is_sent() {
    let mut app = app();
    let (id, _) = submit_valid(&mut app, "+14155550100");
    let effects = app.update(Msg::Appended {
        local_id: id,
        submitted: true,
        result: Err(crate::history::HistoryError::StorageFull {
            path: "/data/history.jsonl".into(),
            source: std::io::ErrorKind::StorageFull.into(),
        }),
    });
    assert!(!effects.iter().any(|e| matches!(e, Effect::Send { .. })), "{effects:?}");
    // Seen: the form was cleared anyway and the lead lived only in memory.
    assert_eq!(app.entry.form.phone.text(), "+14155550100", "the lead is back in the form");
    assert!(app.notice.as_ref().unwrap().text.contains("back in the form"), "{:?}", app.notice);
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::SaveDraft { draft: Some(d), .. } if d.phone == "+14155550100")),
        "and kept as the draft: {effects:?}"
    );
    // Typed on meanwhile: the failed lead waits for Alt-Z instead of replacing the new one.
    app.entry.form.phone.clear();
    let (id, _) = submit_valid(&mut app, "+14155550111");
    type_text(&mut app, "+1415");
    app.update(Msg::Appended {
        local_id: id,
        submitted: true,
        result: Err(crate::history::HistoryError::StorageFull {
            path: "/data/history.jsonl".into(),
            source: std::io::ErrorKind::StorageFull.into(),
        }),
    });
    assert_eq!(app.entry.form.phone.text(), "+1415");
    act(&mut app, Action::RestoreForm);
    assert_eq!(app.entry.form.phone.text(), "+14155550111");
    let entry = app.history.get(&id).unwrap();
    assert_eq!(entry.status, Status::Failed);
    let error = entry.error.as_ref().unwrap();
    assert_eq!(error.kind, ErrorKind::Storage);
    assert!(error.message.contains("/data/history.jsonl is full"), "{}", error.message);
}

#[test]
fn help_overlay_swallows_other_actions_until_closed() {
    let mut app = app();
    act(&mut app, Action::Help);
    assert_eq!(app.overlay, Some(Overlay::Help { scroll: 0 }));
    assert!(act(&mut app, Action::Submit).is_empty());
    act(&mut app, Action::NextField);
    assert_eq!(app.focus, Focus::Phone);
    act(&mut app, Action::Close);
    assert_eq!(app.overlay, None);
    act(&mut app, Action::Quit);
    assert!(app.should_quit());
}

#[test]
fn f2_returns_to_the_field_f3_left() {
    let mut app = app();
    act(&mut app, Action::PrevField);
    act(&mut app, Action::ShowHistory);
    assert_eq!(app.focus, Focus::History);
    act(&mut app, Action::ShowForm);
    assert_eq!(app.focus, Focus::AllowDuplicate);
}

#[test]
fn the_loaded_history_merges_with_leads_sent_meanwhile() {
    let mut app = app();
    let (id, _) = submit_valid(&mut app, "+14155550100");
    let old = LeadEntry::new(
        LocalId::new(),
        jiff::Timestamp::UNIX_EPOCH,
        app.history.get(&id).unwrap().request.clone(),
    );
    // The file was read after this session's lead was written and before its outcome was.
    let read_early = app.history.get(&id).unwrap().clone();
    let created = crate::history::Outcome {
        status: Status::Created,
        lead_id: Some("1001".into()),
        ..Default::default()
    };
    app.history.get_mut(&id).unwrap().apply(created, jiff::Timestamp::now());
    app.update(Msg::HistoryLoaded {
        entries: vec![old.clone(), read_early].into(),
        problems: vec!["line 3 is damaged".into()],
        end: 0,
    });
    assert_eq!(app.history.len(), 2);
    let ours = app.history.get(&id).unwrap();
    assert_eq!((ours.status, ours.lead_id.as_deref()), (Status::Created, Some("1001")), "the newer state");

    // Read again (the file was replaced): a lead the file knows better takes the file's state.
    let mut updated = old.clone();
    let failed = crate::history::Outcome { status: Status::Failed, ..Default::default() };
    updated.apply(failed, jiff::Timestamp::now());
    app.update(Msg::HistoryLoaded { entries: vec![updated].into(), problems: vec![], end: 0 });
    assert_eq!(app.history.len(), 2, "a lead only held in memory stays");
    assert_eq!(app.history.get(&old.local_id).unwrap().status, Status::Failed);
    assert_eq!(app.history.get(&id).unwrap().status, Status::Created);
    assert_eq!(app.history.row(0).unwrap().local_id, id, "the newest is on top");
    assert_eq!(app.history.row(1).unwrap().local_id, old.local_id);
    assert!(app.notice.as_ref().unwrap().text.contains("damaged"));
}

/// Seen: after the history file was deleted or replaced under a running window, rows the file
/// no longer had stayed, and a lead typed then was listed below the older ones. Read again, the
/// file is the record: only a lead this window is still sending stays beside what it holds,
/// and the newest is on top.
#[test]
fn a_history_read_again_after_it_was_replaced_lists_what_it_holds() {
    let mut app = app();
    let lead = |n: u128, phone: &str, at: i64| {
        let request = crate::api::types::CreateLead {
            phone_number: phone.into(),
            campaign_id: 12,
            variables: Default::default(),
            allow_dupplicate: false,
            secondary_contacts: vec![],
        };
        LeadEntry::new(LocalId(uuid::Uuid::from_u128(n)), jiff::Timestamp::from_second(at).unwrap(), request)
    };
    let (a, b, c) =
        (lead(1, "+14155550101", 100), lead(2, "+14155550102", 200), lead(3, "+14155550103", 300));
    app.update(Msg::HistoryLoaded { entries: vec![a.clone(), b.clone()].into(), problems: vec![], end: 0 });
    // A lead done in this window, and one still on its way.
    let (done, _) = submit_valid(&mut app, "+14155550104");
    app.update(Msg::Appended { local_id: done, submitted: true, result: Ok(()) });
    let created =
        Created { lead: crate::api::types::Lead { id: "1".into(), ..Default::default() }, message: None };
    answer(&mut app, done, Ok(created));
    assert!(!app.outbox.in_flight.contains_key(&done));
    let (sending, _) = submit_valid(&mut app, "+14155550105");
    app.update(Msg::Appended { local_id: sending, submitted: true, result: Ok(()) });
    assert!(app.outbox.in_flight.contains_key(&sending));

    // The file was replaced by one holding `c` alone.
    app.update(Msg::HistoryLoaded { entries: vec![c.clone()].into(), problems: vec![], end: 0 });
    let listed: Vec<LocalId> =
        (0..app.history.len()).filter_map(|i| app.history.row(i)).map(|e| e.local_id).collect();
    assert_eq!(listed, [sending, c.local_id], "only the file's leads and the one on its way, newest first");
    assert!(app.history.get(&a.local_id).is_none() && app.history.get(&done).is_none());

    // Deleted: the next lead typed is on top, and nothing from before is listed.
    app.update(Msg::HistoryLoaded { entries: vec![].into(), problems: vec![], end: 0 });
    let (next, _) = submit_valid(&mut app, "+14155550106");
    assert_eq!(app.history.row(0).map(|e| e.local_id), Some(next));
    assert_eq!(app.history.len(), 2, "the new lead and the one still on its way");
}

/// Seen: a lead taken back (deleted on the server) still made the duplicate guard ask.
#[test]
fn a_deleted_lead_does_not_hold_its_phone() {
    use crate::history::{Change, ChangeId, ChangeStatus};
    let mut app = app();
    let request = crate::api::types::CreateLead {
        phone_number: "+14155550100".into(),
        campaign_id: 12,
        variables: Default::default(),
        allow_dupplicate: false,
        secondary_contacts: vec![],
    };
    let mut gone = LeadEntry::new(LocalId::new(), jiff::Timestamp::UNIX_EPOCH, request);
    gone.apply(
        crate::history::Outcome {
            status: Status::Created,
            lead_id: Some("1001".into()),
            ..Default::default()
        },
        jiff::Timestamp::UNIX_EPOCH,
    );
    let change = ChangeId::new();
    gone.begin_change(change, Change::Delete, jiff::Timestamp::UNIX_EPOCH);
    gone.end_change(change, ChangeStatus::Done, None, jiff::Timestamp::UNIX_EPOCH);
    app.update(Msg::HistoryLoaded { entries: vec![gone].into(), problems: vec![], end: 0 });
    submit_valid(&mut app, "+14155550100");
    assert!(app.overlay.is_none(), "sent without asking: {:?}", app.overlay);
}

#[test]
fn history_selection_stays_in_range() {
    let mut app = app();
    for n in 0..3 {
        submit_valid(&mut app, &format!("+1415555010{n}"));
    }
    act(&mut app, Action::ShowHistory);
    act(&mut app, Action::Bottom);
    assert_eq!(app.history.selected, 2);
    act(&mut app, Action::Down);
    assert_eq!(app.history.selected, 2);
    act(&mut app, Action::PageUp);
    assert_eq!(app.history.selected, 0);
    act(&mut app, Action::Up);
    assert_eq!(app.history.selected, 0);
}

#[test]
fn paste_lands_whole_and_clean_in_the_focused_field() {
    let mut app = app();
    app.update(Msg::Paste("tel:+1-415-555-0100\r\n".into()));
    assert_eq!(app.entry.form.phone.text(), "tel:+1-415-555-0100");
    let effects: Vec<Effect> =
        act(&mut app, Action::Submit).into_iter().filter(|e| !is_bookkeeping(e)).collect();
    let [Effect::Append(record)] = effects.as_slice() else { panic!("{effects:?}") };
    let Event::Submitted { request, .. } = &record.event else { panic!("{record:?}") };
    assert_eq!(request.phone_number, "+14155550100");
}

#[test]
fn space_toggles_allow_duplicate_only_on_the_checkbox() {
    let mut app = app();
    act(&mut app, Action::Toggle);
    assert!(!app.entry.form.allow_duplicate);
    app.focus = Focus::AllowDuplicate;
    act(&mut app, Action::Toggle);
    assert!(app.entry.form.allow_duplicate);
}

#[test]
fn a_result_is_reported_only_once_it_is_on_disk() {
    let mut app = app();
    let (id, _) = submit_valid(&mut app, "+14155550100");
    app.update(Msg::Appended { local_id: id, submitted: true, result: Ok(()) });
    app.update(Msg::Sent { local_id: id, result: Ok(created("9")) });
    assert_eq!(app.history.get(&id).unwrap().status, Status::Pending, "not yet: the record is being written");
    assert!(matches!(phase(&app, id), Some(Phase::Recording { .. })));
    app.update(Msg::Appended { local_id: id, submitted: false, result: Ok(()) });
    assert_eq!(app.history.get(&id).unwrap().status, Status::Created);
    assert!(app.notice.as_ref().unwrap().text.contains("Created +14155550100 (lead #9)"));
    assert!(app.outbox.in_flight.is_empty());
}

#[test]
fn quitting_waits_for_leads_on_their_way_unless_asked_twice() {
    let mut app = app();
    let (id, _) = submit_valid(&mut app, "+14155550100");
    act(&mut app, Action::Quit);
    assert!(!app.should_quit(), "a lead is still being saved");
    assert!(app.notice.as_ref().unwrap().text.contains("Finishing 1 lead"));
    let effects = app.update(Msg::Appended { local_id: id, submitted: true, result: Ok(()) });
    assert!(matches!(effects.as_slice(), [Effect::Send { .. }]), "a saved lead is still sent");
    answer(&mut app, id, Ok(created("3")));
    assert!(app.should_quit(), "quits once everything is settled");

    let mut app = self::app();
    submit_valid(&mut app, "+14155550100");
    act(&mut app, Action::Quit);
    act(&mut app, Action::Quit);
    assert!(app.should_quit(), "a second Ctrl-Q quits at once");
}

/// The model reads no wall clock of its own: records and lead times come from `App::clock`,
/// which the runtime sets before each message.
#[test]
fn records_are_stamped_with_the_models_clock() {
    let mut app = app();
    let at: jiff::Timestamp = "2026-03-01T09:30:00Z".parse().unwrap();
    app.clock = at;
    let (id, _) = submit_valid(&mut app, "+14155550100");
    assert_eq!(app.history.get(&id).unwrap().submitted_at, at);
    app.update(Msg::Appended { local_id: id, submitted: true, result: Ok(()) });
    let later = at + jiff::SignedDuration::from_secs(3);
    app.clock = later;
    app.update(Msg::Sent { local_id: id, result: Ok(created("1001")) });
    let effects = app.update(Msg::Appended { local_id: id, submitted: false, result: Ok(()) });
    assert!(effects.iter().all(|e| !matches!(e, Effect::Append(_))), "{effects:?}");
    let entry = app.history.get(&id).unwrap();
    assert_eq!(entry.updated_at, later);
}
