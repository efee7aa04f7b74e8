//! Nothing typed is lost, and every campaign keeps its rows: the draft kept as the form is
//! typed, clearing and bringing back, loading over a filled form, and the rows learnt per
//! campaign, fed as messages.

use indexmap::IndexMap;

use super::kit::*;
use super::*;
use crate::api::types::{Assistant, Lead};
use crate::history::{Event, LeadEntry};
use crate::layout::Layout;
use crate::lead::LeadDraft;

fn app_in(campaign: u64, layouts: HashMap<u64, Layout>, draft: Option<LeadDraft>) -> App {
    let (mut app, _) =
        App::new(AppOptions { campaign: Some(campaign), layouts, draft, ..AppOptions::default() });
    let vars: IndexMap<String, serde_json::Value> =
        ["customer_name", "email", "booth_hall"].map(|k| (k.to_owned(), "".into())).into();
    app.update(Msg::AssistantsFetched(Ok(vec![Assistant { id: 1, name: "Ava".into(), variables: vars }])));
    app
}

fn names(app: &App) -> Vec<&str> {
    app.entry.form.variables.iter().map(|r| r.key.text()).collect()
}

fn drafts(effects: &[Effect]) -> Vec<Option<LeadDraft>> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::SaveDraft { draft, .. } => Some(draft.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn the_form_is_kept_as_a_draft_as_it_is_typed_and_dropped_once_sent() {
    let mut app = app_in(12, HashMap::new(), None);
    let effects = type_text(&mut app, "+1415");
    let kept = drafts(&effects);
    assert_eq!(kept.len(), 5, "every key that changes the form is kept");
    assert_eq!(kept.last().unwrap().as_ref().unwrap().phone, "+1415");
    let mut seqs = effects.iter().filter_map(|e| match e {
        Effect::SaveDraft { seq, .. } => Some(*seq),
        _ => None,
    });
    let first = seqs.next().unwrap();
    assert!(seqs.all(|s| s > first), "numbered, so an older write never wins");
    assert!(drafts(&act(&mut app, Action::NextField)).is_empty(), "a move changes no content");
    app.focus = Focus::Phone;
    type_text(&mut app, "5550100");
    let effects = act(&mut app, Action::Submit);
    assert!(effects.iter().any(|e| matches!(e, Effect::Append(_))));
    assert_eq!(drafts(&effects), [None], "a sent lead leaves no draft");
}

#[test]
fn quitting_keeps_the_draft_and_the_next_start_restores_it_with_a_word() {
    let mut app = app_in(12, HashMap::new(), None);
    app.focus = Focus::VarValue(0);
    type_text(&mut app, "Jörg");
    let effects = act(&mut app, Action::Quit);
    assert!(app.should_quit());
    assert!(drafts(&effects).is_empty(), "quitting does not drop what was typed");
    let draft = app.entry.form.draft();

    let app = app_in(12, HashMap::new(), Some(draft));
    assert_eq!(app.entry.form.variables[0].value.text(), "Jörg");
    assert_eq!(app.focus, Focus::Phone, "the first field still to fill");
    let notice = app.notice.as_ref().expect("restoring says so");
    assert!(notice.text.contains("Restored the lead you were typing"), "{}", notice.text);
}

#[test]
fn clearing_the_form_can_be_undone() {
    let mut app = app_in(12, HashMap::new(), None);
    type_text(&mut app, "+14155550100");
    app.focus = Focus::VarValue(1);
    type_text(&mut app, "ada@example.com");
    act(&mut app, Action::ClearForm);
    assert!(!app.entry.form.has_content());
    assert_eq!(names(&app), ["customer_name", "email", "booth_hall"], "the rows stay for the next lead");
    assert!(app.notice.as_ref().unwrap().text.contains("Alt-Z brings it back"));
    act(&mut app, Action::RestoreForm);
    assert_eq!(app.entry.form.phone.text(), "+14155550100");
    assert_eq!(app.entry.form.variables[1].value.text(), "ada@example.com");
}

#[test]
fn loading_a_lead_over_a_typed_form_keeps_the_typed_one() {
    // Seen: `e` in the history overwrote a typed form without asking.
    let mut app = app_in(12, HashMap::new(), None);
    let old = crate::api::types::CreateLead {
        phone_number: "+14155550111".into(),
        campaign_id: 12,
        variables: Default::default(),
        allow_dupplicate: false,
        secondary_contacts: vec![],
    };
    app.update(Msg::HistoryLoaded {
        entries: vec![LeadEntry::new(LocalId::new(), jiff::Timestamp::UNIX_EPOCH, old)].into(),
        problems: vec![],
        end: 0,
    });
    type_text(&mut app, "+14155550199");
    act(&mut app, Action::ShowHistory);
    act(&mut app, Action::EditLead);
    assert_eq!(app.entry.form.phone.text(), "+14155550111");
    let notice = app.notice.as_ref().unwrap();
    assert!(notice.text.contains("The lead you were typing is kept"), "{}", notice.text);
    act(&mut app, Action::RestoreForm);
    assert_eq!(app.entry.form.phone.text(), "+14155550199", "and it comes back");
}

#[test]
fn a_campaigns_rows_are_remembered_as_sent_not_the_assistants_union() {
    // Seen: every campaign got every assistant's names, and a trimmed layout was lost on restart.
    let mut app = app_in(12, HashMap::new(), None);
    assert_eq!(names(&app), ["customer_name", "email", "booth_hall"]);
    app.focus = Focus::VarValue(2);
    act(&mut app, Action::RemoveRow);
    app.focus = Focus::VarValue(1);
    act(&mut app, Action::MoveUp);
    act(&mut app, Action::AddContact);
    type_text(&mut app, "+44 20 7946 0958");
    app.focus = Focus::Phone;
    type_text(&mut app, "+14155550100");
    let effects = act(&mut app, Action::Submit);
    let remembered: Vec<&Layout> = effects
        .iter()
        .filter_map(|e| match e {
            Effect::RememberLayout { campaign: 12, layout: Some(layout) } => Some(layout),
            _ => None,
        })
        .collect();
    let expected = Layout { variables: vec!["email".into(), "customer_name".into()], contacts: vec![vec![]] };
    assert_eq!(remembered, [&expected]);
    assert_eq!(names(&app), ["email", "customer_name"], "the next lead has the same rows");
    assert_eq!(app.entry.form.secondary.len(), 1, "and its contact, blank");

    let app = app_in(12, [(12, expected.clone())].into(), None);
    assert_eq!(names(&app), ["email", "customer_name"], "after a restart too");
    assert_eq!(app.entry.form.secondary.len(), 1);
}

#[test]
fn a_blank_contact_from_the_layout_is_not_sent_and_ctrl_x_fills_it() {
    let layout =
        Layout { variables: vec!["customer_name".into()], contacts: vec![vec!["customer_name".into()]] };
    let mut app = app_in(12, [(12, layout)].into(), None);
    type_text(&mut app, "+14155550100");
    app.focus = Focus::VarValue(0);
    act(&mut app, Action::AddContact);
    assert_eq!((app.focus, app.entry.form.secondary.len()), (Focus::SecPhone(0), 1), "the blank one is used");
    type_text(&mut app, "+442079460958");
    act(&mut app, Action::AddContact);
    assert_eq!(app.focus, Focus::SecPhone(1));
    assert_eq!(
        app.entry.form.secondary[1].variables[0].key.text(),
        "customer_name",
        "with the contacts' rows"
    );
    let effects = act(&mut app, Action::Submit);
    let Some(Effect::Append(record)) = effects.iter().find(|e| matches!(e, Effect::Append(_))) else {
        panic!("{effects:?}")
    };
    let Event::Submitted { request, .. } = &record.event else { panic!() };
    assert_eq!(request.secondary_contacts.len(), 1, "the blank contact at the end is not sent");
}

#[test]
fn a_campaign_with_nothing_remembered_learns_from_its_leads_on_the_server() {
    let (mut app, _) = App::new(AppOptions::default());
    app.update(Msg::Clicked(Hit::Field(Focus::Campaign)));
    type_text(&mut app, "31");
    let effects = act(&mut app, Action::NextField);
    assert!(effects.contains(&Effect::FetchLayout(31)), "{effects:?}");
    let lead = Lead {
        id: "1".into(),
        variables: Some(serde_json::json!({"contact_person": "A", "fleet_size": "9"})),
        ..Lead::default()
    };
    app.update(Msg::LayoutFetched { campaign: 31, result: Ok(vec![lead]) });
    assert_eq!(names(&app), ["contact_person", "fleet_size"]);
    assert!(app.layout_is_learnt(31));
    // Alt-L forgets what was remembered and asks the server again.
    let effects = act(&mut app, Action::ResetLayout);
    assert!(effects.contains(&Effect::FetchLayout(31)), "{effects:?}");
}

#[test]
fn the_duplicate_question_clears_old_notices_and_enter_does_not_send() {
    let mut app = app_in(12, HashMap::new(), None);
    app.notify(Level::Error, "Not sent: phone: too short");
    let request = crate::api::types::CreateLead {
        phone_number: "+14155550100".into(),
        campaign_id: 12,
        variables: Default::default(),
        allow_dupplicate: false,
        secondary_contacts: vec![],
    };
    let mut old = LeadEntry::new(LocalId::new(), jiff::Timestamp::UNIX_EPOCH, request);
    old.apply(
        crate::history::Outcome { status: Status::Created, lead_id: Some("7".into()), ..Default::default() },
        jiff::Timestamp::UNIX_EPOCH,
    );
    app.update(Msg::HistoryLoaded { entries: vec![old].into(), problems: vec![], end: 0 });
    app.notify(Level::Error, "Not sent: phone: too short");
    type_text(&mut app, "+14155550100");
    act(&mut app, Action::Submit);
    assert!(matches!(app.overlay, Some(Overlay::Duplicate(_))));
    assert_eq!(app.notice, None, "the old notice is about something else");
    let enter = crossterm::event::KeyEvent::from(crossterm::event::KeyCode::Enter);
    let msg = crate::keymap::map_key(&enter, app.context()).unwrap();
    let effects = app.update(msg);
    assert!(!effects.iter().any(|e| matches!(e, Effect::Append(_))), "Enter sent: {effects:?}");
    assert!(app.overlay.is_none());
    assert_eq!(app.entry.form.phone.text(), "+14155550100", "the form is as it was");
}

#[test]
fn words_typed_over_a_chosen_campaign_never_switch_it() {
    // Seen: Up×20 reached Campaign, `Weber` typed there and Tab took "Webinar …" (#23), and
    // every later lead went there, across restarts.
    let mut app = app_in(12, HashMap::new(), None);
    app.update(Msg::CampaignsFetched(Ok(vec![
        crate::api::types::Campaign { id: 12, name: "Hannover Messe".into(), status: None },
        crate::api::types::Campaign { id: 23, name: "Webinar KI".into(), status: None },
    ])));
    app.focus = Focus::VarValue(0);
    for _ in 0..20 {
        act(&mut app, Action::Up);
    }
    assert_eq!(app.focus, Focus::Campaign);
    type_text(&mut app, "Weber");
    act(&mut app, Action::NextField);
    assert_eq!(app.entry.form.campaign.text(), "12", "the campaign stays");
    let notice = app.notice.as_ref().unwrap();
    assert!(notice.text.contains("Campaign kept as #12") && notice.text.contains("Weber"), "{}", notice.text);
    // Picking on purpose still works.
    app.update(Msg::Clicked(Hit::Field(Focus::Campaign)));
    type_text(&mut app, "webinar");
    act(&mut app, Action::Activate);
    assert_eq!(app.entry.form.campaign.text(), "23");
}

#[test]
fn loading_twice_keeps_what_was_typed_before_the_first_load() {
    // Seen: `e` on one lead, then `e` on another, and Alt-Z swapped between the two loaded
    // leads: the half-typed form was gone.
    let mut app = app_in(12, HashMap::new(), None);
    let lead = |phone: &str| crate::api::types::CreateLead {
        phone_number: phone.into(),
        campaign_id: 12,
        variables: Default::default(),
        allow_dupplicate: false,
        secondary_contacts: vec![],
    };
    let entries = vec![
        LeadEntry::new(LocalId::new(), jiff::Timestamp::UNIX_EPOCH, lead("+14155550111")),
        LeadEntry::new(LocalId::new(), jiff::Timestamp::UNIX_EPOCH, lead("+14155550122")),
    ];
    app.update(Msg::HistoryLoaded { entries: entries.into(), problems: vec![], end: 0 });
    type_text(&mut app, "+14155550199");
    act(&mut app, Action::ShowHistory);
    act(&mut app, Action::EditLead);
    act(&mut app, Action::ShowHistory);
    act(&mut app, Action::Down);
    act(&mut app, Action::EditLead);
    assert!(app.notice.as_ref().unwrap().text.contains("The lead you were typing is kept"));
    act(&mut app, Action::RestoreForm);
    assert_eq!(app.entry.form.phone.text(), "+14155550199");
}

#[test]
fn a_paste_where_no_text_can_go_is_a_search_in_the_list_and_said_elsewhere() {
    let mut app = app_in(12, HashMap::new(), None);
    act(&mut app, Action::ShowHistory);
    app.update(Msg::Paste("0170 1234505".into()));
    assert_eq!(app.history.search_input.as_ref().map(TextInput::text), Some("0170 1234505"));
    act(&mut app, Action::ShowForm);
    app.focus = Focus::AllowDuplicate;
    app.update(Msg::Paste("Ingrid Weber".into()));
    assert!(app.notice.as_ref().unwrap().text.contains("“Ingrid Weber”"), "{:?}", app.notice);
    assert!(!app.entry.form.allow_duplicate);
}
