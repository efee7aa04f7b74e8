//! The model's hand-entry features, fed messages: the campaign picker, name suggestions, pasted
//! variables, secondary contacts, the duplicate guard, a rejected lead loaded back, the mouse.

use indexmap::IndexMap;
use ratatui_textarea::{Input, Key};

use super::kit::*;
use super::*;
use crate::api::types::{Assistant, Campaign, CampaignRef, Created, Lead};
use crate::api::{ApiError, ErrorKind};
use crate::history::{LeadEntry, LeadError, Outcome};

fn app_with_catalog() -> App {
    let (mut app, _) = App::new(AppOptions::default());
    let campaign =
        |id, name: &str, status: &str| Campaign { id, name: name.into(), status: Some(status.into()) };
    app.update(Msg::CampaignsFetched(Ok(vec![
        campaign(12, "Hannover Messe 2026", "in-progress"),
        campaign(17, "SaaS Webinar Follow-up", "in-progress"),
        campaign(23, "Winter Promo", "draft"),
    ])));
    let vars: IndexMap<String, serde_json::Value> =
        [("customer_name", ""), ("company_name", ""), ("email", "")]
            .map(|(k, v)| (k.to_owned(), v.into()))
            .into();
    app.update(Msg::AssistantsFetched(Ok(vec![Assistant { id: 1, name: "Ava".into(), variables: vars }])));
    app
}

fn keys(rows: &[form::VarRow]) -> Vec<&str> {
    rows.iter().map(|r| r.key.text()).collect()
}

#[test]
fn fetched_lists_are_kept_for_an_offline_start() {
    let (mut app, _) = App::new(AppOptions::default());
    let campaigns = vec![Campaign { id: 1, name: "A\u{1b}[31m".into(), status: None }];
    let effects = app.update(Msg::CampaignsFetched(Ok(campaigns.clone())));
    assert_eq!(effects, [Effect::SaveCampaigns(campaigns)]);
    assert_eq!(app.catalog.campaigns[0].name, "A", "names are cleaned before they are shown");
    // A cache read that finishes after the fetch does not replace fresher data.
    app.update(Msg::CacheLoaded {
        campaigns: Some((
            vec![Campaign { id: 9, name: "old".into(), status: None }],
            jiff::Timestamp::UNIX_EPOCH,
        )),
        assistants: None,
        problems: vec![],
    });
    assert_eq!(app.catalog.campaigns[0].id, 1);
}

#[test]
fn the_picker_filters_by_name_or_id_and_enter_takes() {
    let mut app = app_with_catalog();
    act(&mut app, Action::NextField);
    assert_eq!(app.focus, Focus::Campaign);
    assert!(app.entry.picker.is_none(), "passing through does not open the list");
    act(&mut app, Action::Activate);
    assert!(app.entry.picker.is_some(), "Enter opens it");
    assert_eq!(app.campaign_matches().len(), 3);
    type_text(&mut app, "web");
    let names: Vec<&str> = app.campaign_matches().iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["SaaS Webinar Follow-up"]);
    act(&mut app, Action::Activate);
    assert_eq!(app.entry.form.campaign.text(), "17");
    assert!(app.entry.picker.is_none());
    // Choosing a campaign pre-fills the suggested names with empty values, and Enter moves on to
    // what is still to fill: the phone, then the first value.
    assert_eq!(keys(&app.entry.form.variables), ["customer_name", "company_name", "email"]);
    assert_eq!(app.focus, Focus::Phone, "the phone is still empty");
    type_text(&mut app, "+14155550100");
    app.update(Msg::Clicked(Hit::Field(Focus::Campaign)));
    act(&mut app, Action::Activate);
    assert_eq!(app.focus, Focus::VarValue(0));
    assert!(app.entry.form.variables.iter().all(|r| r.value.text().is_empty()));
}

/// The picker lists the best match first, so Enter takes it: a word's start before its middle,
/// whatever the order the server listed the campaigns in.
#[test]
fn the_picker_lists_the_best_match_first_and_enter_takes_it() {
    let (mut app, _) = App::new(AppOptions::default());
    let campaign = |id, name: &str| Campaign { id, name: name.into(), status: None };
    app.update(Msg::CampaignsFetched(Ok(vec![
        campaign(3, "Druckerei Rundruck"),
        campaign(12, "Hannover Messe 2025 – Rückrufe Standbesucher"),
    ])));
    act(&mut app, Action::NextField);
    assert_eq!(app.focus, Focus::Campaign);
    type_text(&mut app, "hannover rück");
    let names: Vec<&str> = app.campaign_matches().iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["Hannover Messe 2025 – Rückrufe Standbesucher"]);
    for _ in 0.."hannover rück".chars().count() {
        app.update(Msg::Edit(Input { key: Key::Backspace, ..Input::default() }));
    }
    type_text(&mut app, "ruck");
    let names: Vec<&str> = app.campaign_matches().iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["Hannover Messe 2025 – Rückrufe Standbesucher", "Druckerei Rundruck"]);
    act(&mut app, Action::Activate);
    assert_eq!(app.entry.form.campaign.text(), "12");
}

/// Coming back to a Campaign field that holds a campaign (the last one, kept for the next lead),
/// a typed name starts a new search instead of being added to the id, as a browser selects a
/// field's text on Tab; a key that moves in the text first keeps it for editing.
#[test]
fn typing_into_a_filled_campaign_field_starts_a_new_search() {
    let mut app = app_with_catalog();
    app.entry.form.campaign.set_text("12");
    let to_campaign = |app: &mut App| app.update(Msg::Clicked(Hit::Field(Focus::Campaign)));
    let away = |app: &mut App| app.update(Msg::Clicked(Hit::Field(Focus::Phone)));
    to_campaign(&mut app);
    type_text(&mut app, "web");
    assert_eq!(app.entry.form.campaign.text(), "web");
    let names: Vec<&str> = app.campaign_matches().iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["SaaS Webinar Follow-up"]);

    away(&mut app);
    app.entry.form.campaign.set_text("12");
    to_campaign(&mut app);
    app.update(Msg::Paste("17".into()));
    assert_eq!(app.entry.form.campaign.text(), "17", "a paste replaces it too");

    away(&mut app);
    to_campaign(&mut app);
    app.update(Msg::Edit(Input { key: Key::End, ..Input::default() }));
    type_text(&mut app, "3");
    assert_eq!(app.entry.form.campaign.text(), "173", "after a move, typing edits");
}

#[test]
fn up_and_down_move_in_the_list_and_tab_takes_a_typed_name() {
    let mut app = app_with_catalog();
    act(&mut app, Action::NextField);
    act(&mut app, Action::Activate);
    act(&mut app, Action::Down);
    act(&mut app, Action::Down);
    assert_eq!(app.entry.picker, Some(Picker { selected: 2 }));
    act(&mut app, Action::Up);
    act(&mut app, Action::Close);
    assert!(app.entry.picker.is_none(), "Esc closes the list");
    assert_eq!(app.focus, Focus::Campaign);
    type_text(&mut app, "hann");
    act(&mut app, Action::NextField);
    assert_eq!(app.entry.form.campaign.text(), "12", "a name typed and left takes the highlighted match");
}

#[test]
fn a_number_typed_and_left_is_kept_even_without_a_list() {
    let (mut app, _) = App::new(AppOptions::default());
    app.update(Msg::CampaignsFetched(Err(ApiError::Unreachable("offline".into()))));
    act(&mut app, Action::NextField);
    assert!(app.entry.picker.is_none(), "nothing to pick from");
    type_text(&mut app, "4711");
    act(&mut app, Action::NextField);
    assert_eq!(app.form_campaign_id(), Some(4711));
    let mut app = app_with_catalog();
    act(&mut app, Action::NextField);
    type_text(&mut app, "999");
    act(&mut app, Action::NextField);
    assert_eq!(app.entry.form.campaign.text(), "999", "a number is never replaced by a match");
}

#[test]
fn variable_names_are_suggested_and_taken_with_one_key() {
    let mut app = app_with_catalog();
    app.focus = Focus::Variables;
    act(&mut app, Action::AddRow);
    assert_eq!(app.key_suggestion(), Some("customer_name"));
    type_text(&mut app, "em");
    assert_eq!(app.key_suggestion(), Some("email"));
    act(&mut app, Action::AcceptSuggestion);
    assert_eq!(app.entry.form.variables[0].key.text(), "email");
    assert_eq!(app.key_suggestion(), None, "nothing left to complete");
    act(&mut app, Action::AddRow);
    assert_eq!(app.key_suggestion(), Some("customer_name"), "names used in other rows are not offered");
}

#[test]
fn names_used_before_in_the_campaign_come_first() {
    let mut app = app_with_catalog();
    let mut request = crate::api::types::CreateLead {
        phone_number: "+14155550100".into(),
        campaign_id: 12,
        variables: Default::default(),
        allow_dupplicate: false,
        secondary_contacts: vec![],
    };
    request.variables.insert("booth", "B12");
    let entry = LeadEntry::new(crate::history::LocalId::new(), jiff::Timestamp::UNIX_EPOCH, request);
    app.update(Msg::HistoryLoaded { entries: vec![entry].into(), problems: vec![], end: 0 });
    assert_eq!(app.suggested_keys(Some(12)), ["booth", "customer_name", "company_name", "email"]);
    assert_eq!(app.suggested_keys(Some(17)), ["customer_name", "company_name", "email"]);
}

#[test]
fn pasted_pairs_become_rows_anywhere_in_a_variable_list() {
    let mut app = app_with_catalog();
    app.focus = Focus::Variables;
    app.update(Msg::Paste("customer_name=Ada Lovelace\nemail=ada@example.com\n".into()));
    let rows: Vec<(&str, &str)> =
        app.entry.form.variables.iter().map(|r| (r.key.text(), r.value.text())).collect();
    assert_eq!(rows, [("customer_name", "Ada Lovelace"), ("email", "ada@example.com")]);
    app.focus = Focus::VarValue(1);
    app.update(Msg::Paste(r#"{"email": "a@b.c", "company_name": "ACME"}"#.into()));
    let rows: Vec<(&str, &str)> =
        app.entry.form.variables.iter().map(|r| (r.key.text(), r.value.text())).collect();
    assert_eq!(rows, [("customer_name", "Ada Lovelace"), ("email", "a@b.c"), ("company_name", "ACME")]);
    // One `a=b` into a value is a value; outside the list pairs are text.
    app.update(Msg::Paste("x=y".into()));
    assert_eq!(app.entry.form.variables[1].value.text(), "a@b.cx=y");
    app.focus = Focus::Phone;
    app.update(Msg::Paste("a=b\nc=d".into()));
    assert_eq!(app.entry.form.phone.text(), "a=b c=d");
}

#[test]
fn contacts_move_and_take_the_primarys_variables() {
    let mut app = app_with_catalog();
    app.focus = Focus::Variables;
    app.update(Msg::Paste("customer_name=Ada\ncompany_name=ACME".into()));
    app.focus = Focus::Secondary;
    act(&mut app, Action::AddRow);
    type_text(&mut app, "+44 20 7946 0958");
    app.focus = Focus::Secondary;
    act(&mut app, Action::AddRow);
    type_text(&mut app, "+1 415 555 0101");
    act(&mut app, Action::MoveUp);
    assert_eq!(app.focus, Focus::SecPhone(0));
    assert_eq!(app.entry.form.secondary[0].phone.text(), "+1 415 555 0101");
    act(&mut app, Action::CopyPrimaryVars);
    assert_eq!(keys(&app.entry.form.secondary[0].variables), ["customer_name", "company_name"]);
    assert!(app.entry.form.secondary[1].variables.is_empty());
    app.entry.form.phone.set_text("+14155550100");
    app.entry.form.campaign.set_text("12");
    let request = crate::lead::validate(&app.entry.form.draft(), None).unwrap();
    assert_eq!(request.secondary_contacts[0].phone_number, "+14155550101");
    assert_eq!(request.secondary_contacts[0].variables["company_name"], "ACME");
}

fn created_entry(app: &mut App, phone: &str) {
    app.focus = Focus::Phone;
    type_text(app, phone);
    let effects = act(app, Action::Submit);
    let Some(Effect::Append(record)) = effects.first() else { panic!("{effects:?}") };
    let id = record.local_id;
    app.update(Msg::Appended { local_id: id, submitted: true, result: Ok(()) });
    let lead = Lead {
        id: "1001".into(),
        campaign: Some(CampaignRef { id: 12, name: "H".into() }),
        ..Lead::default()
    };
    app.update(Msg::Sent { local_id: id, result: Ok(Created { lead, message: None }) });
    app.update(Msg::Appended { local_id: id, submitted: false, result: Ok(()) });
}

#[test]
fn the_duplicate_guard_asks_before_sending_the_same_phone_again() {
    let mut app = app_with_catalog();
    app.entry.form.campaign.set_text("12");
    created_entry(&mut app, "+14155550100");
    type_text(&mut app, "+1 (415) 555-0100");
    assert!(act(&mut app, Action::Submit).is_empty(), "nothing is sent before the answer");
    let Some(Overlay::Duplicate(prompt)) = &app.overlay else { panic!("no question: {:?}", app.overlay) };
    assert_eq!(prompt.lead_id.as_deref(), Some("1001"));
    assert_eq!(app.context(), crate::keymap::Context::Confirm);
    act(&mut app, Action::Close);
    assert!(app.overlay.is_none());
    assert_eq!(app.entry.form.phone.text(), "+1 (415) 555-0100", "cancel leaves the form as it was");

    act(&mut app, Action::Submit);
    let effects = act(&mut app, Action::AllowDuplicate);
    let Some(Effect::Append(record)) = effects.first() else { panic!("{effects:?}") };
    let crate::history::Event::Submitted { request, .. } = &record.event else { panic!() };
    assert!(request.allow_dupplicate, "the answer turns Allow duplicate on");

    type_text(&mut app, "+14155550100");
    act(&mut app, Action::Submit);
    let effects = act(&mut app, Action::Activate);
    let Some(Effect::Append(record)) = effects.first() else { panic!("{effects:?}") };
    let crate::history::Event::Submitted { request, .. } = &record.event else { panic!() };
    assert!(!request.allow_dupplicate, "send anyway sends as it is");

    // Another campaign, or Allow duplicate already on: no question.
    app.entry.form.campaign.set_text("17");
    type_text(&mut app, "+14155550100");
    assert!(!act(&mut app, Action::Submit).is_empty());
}

/// The guard finds created leads however they came: read from the file, or sent again by
/// another window with another phone (then the new phone is taken and the old one free).
#[test]
fn the_duplicate_guard_knows_loaded_leads_and_leads_changed_by_another_window() {
    use crate::history::Record;
    use crate::history::store::Tail;
    let mut app = app_with_catalog();
    let request = |phone: &str| crate::api::types::CreateLead {
        phone_number: phone.into(),
        campaign_id: 12,
        variables: Default::default(),
        allow_dupplicate: false,
        secondary_contacts: vec![],
    };
    let created =
        |id: &str| Outcome { status: Status::Created, lead_id: Some(id.into()), ..Outcome::default() };
    let mut old = LeadEntry::new(LocalId::new(), jiff::Timestamp::UNIX_EPOCH, request("+14155550100"));
    old.apply(created("7"), jiff::Timestamp::UNIX_EPOCH);
    app.update(Msg::HistoryLoaded { entries: vec![old.clone()].into(), problems: vec![], end: 0 });
    let asks = |app: &mut App, phone: &str| {
        app.entry.form.phone.set_text(phone);
        app.entry.form.campaign.set_text("12");
        app.focus = Focus::Phone;
        let sent = act(app, Action::Submit).iter().any(|e| !super::tests::is_bookkeeping(e));
        let lead = match &app.overlay {
            Some(Overlay::Duplicate(prompt)) => prompt.lead_id.clone(),
            _ => None,
        };
        act(app, Action::Close);
        (sent, lead)
    };
    assert_eq!(asks(&mut app, "+14155550100"), (false, Some("7".into())));

    let resent = Record::submitted(old.local_id, request("+14155550199"), "cli");
    let outcome = Record::outcome(old.local_id, created("8"));
    app.update(Msg::HistoryChanged);
    app.update(Msg::TailRead(Ok(Tail { records: vec![resent, outcome], end: 10, ..Tail::default() })));
    assert_eq!(asks(&mut app, "+14155550199"), (false, Some("8".into())));
    assert_eq!(asks(&mut app, "+14155550100").1, None, "the old phone is no longer taken");
}

#[test]
fn a_rejected_lead_loads_back_with_the_servers_words_beside_its_fields() {
    let mut app = app_with_catalog();
    app.entry.form.campaign.set_text("12");
    app.focus = Focus::Secondary;
    act(&mut app, Action::AddRow);
    type_text(&mut app, "+44 20 7946 0958");
    app.focus = Focus::Phone;
    type_text(&mut app, "+14155550100");
    let effects = act(&mut app, Action::Submit);
    let Some(Effect::Append(record)) = effects.first() else { panic!("{effects:?}") };
    let id = record.local_id;
    let fields: IndexMap<String, Vec<String>> = [
        ("secondary_contacts.0.phone_number".to_owned(), vec!["The number is blocked.".to_owned()]),
        ("campaign_id".to_owned(), vec!["The campaign is stopped.".to_owned()]),
    ]
    .into();
    let entry = app.history.get_mut(&id).unwrap();
    let error =
        LeadError { kind: ErrorKind::Rejected, message: "2 errors".into(), http_status: Some(422), fields };
    entry.apply(
        Outcome { status: Status::Rejected, error: Some(error), ..Outcome::default() },
        jiff::Timestamp::now(),
    );

    act(&mut app, Action::ShowHistory);
    act(&mut app, Action::EditLead);
    assert_eq!(app.focus, Focus::SecPhone(0), "the first field the server named gets the focus");
    assert_eq!(app.entry.form.phone.text(), "+14155550100");
    assert_eq!(app.entry.form.secondary[0].phone.text(), "+442079460958");
    assert_eq!(
        app.entry.form.errors.get(&Focus::SecPhone(0)).map(String::as_str),
        Some("The number is blocked.")
    );
    assert_eq!(
        app.entry.form.errors.get(&Focus::Campaign).map(String::as_str),
        Some("The campaign is stopped.")
    );
}

#[test]
fn clicks_focus_fields_switch_tabs_and_pick() {
    let mut app = app_with_catalog();
    app.update(Msg::Clicked(Hit::Field(Focus::Submit)));
    assert_eq!(app.focus, Focus::Submit);
    app.update(Msg::Clicked(Hit::HistoryPane));
    assert_eq!(app.focus, Focus::History);
    app.update(Msg::Clicked(Hit::FormTab));
    assert_eq!(app.focus, Focus::Submit);
    app.update(Msg::Clicked(Hit::Field(Focus::Campaign)));
    app.update(Msg::Clicked(Hit::PickerItem(2)));
    assert_eq!(app.entry.form.campaign.text(), "23");
}

#[test]
fn tab_from_a_section_that_rows_replaced_goes_to_the_first_row() {
    let mut app = app_with_catalog();
    app.entry.form.variables.clear();
    app.focus = Focus::Variables;
    app.entry.form.variables.push(form::VarRow::with_key("customer_name"));
    act(&mut app, Action::NextField);
    assert_eq!(app.focus, Focus::VarValue(0), "values are on the path, names are not");
    app.focus = Focus::VarValue(5);
    act(&mut app, Action::NextField);
    assert_eq!(app.focus, Focus::Submit, "from a row that went away, on to the next stop below it");
}

#[test]
fn enter_on_a_list_that_matches_nothing_stays_and_says_so() {
    let mut app = app_with_catalog();
    act(&mut app, Action::NextField);
    type_text(&mut app, "zzzz");
    act(&mut app, Action::Activate);
    assert_eq!(app.focus, Focus::Campaign, "nothing was taken, so the focus stays");
    assert!(app.notice.as_ref().is_some_and(|n| n.text.contains("No campaign matches")), "{:?}", app.notice);
}

#[test]
fn keys_and_pastes_go_where_the_user_is_not_behind_an_open_view() {
    // Seen before routing by context: with the help open, typed letters went into the field
    // behind it.
    let mut app = app_with_catalog();
    app.focus = Focus::Phone;
    act(&mut app, Action::Help);
    assert_eq!(app.context(), crate::model::Context::Help);
    type_text(&mut app, "+49");
    app.update(Msg::Paste("+4930".into()));
    assert_eq!(app.entry.form.phone.text(), "", "nothing typed behind the help");
    act(&mut app, Action::Close);
    assert_eq!(app.context(), crate::model::Context::Text);
    type_text(&mut app, "+49");
    assert_eq!(app.entry.form.phone.text(), "+49");
}
