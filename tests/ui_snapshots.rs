//! The main screens drawn into a `TestBackend` at 80x24 and 160x48, compared with reviewed
//! snapshots, plus the few style facts a snapshot cannot show.
#![allow(clippy::unwrap_used, reason = "a test or bench stops loudly at what it did not expect")]

use autocalls_tui::api::ApiError;
use autocalls_tui::api::types::{CampaignRef, CreateLead, Created, Lead, SecondaryContact, Variables};
use autocalls_tui::history::{Attempt, LeadEntry, LocalId, Outcome, Status, Story};
use autocalls_tui::model::{Action, App, AppOptions, Effect, Focus, Msg};
use jiff::Timestamp;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::Modifier;
use ratatui_textarea::{Input, Key};

fn app(width: u16, height: u16) -> App {
    let (mut app, _) = App::new(AppOptions { campaign: Some(12), ..AppOptions::default() });
    app.time_zone = jiff::tz::TimeZone::UTC;
    app.update(Msg::Resize { width, height });
    app
}

fn render(app: &App) -> TestBackend {
    let (w, h) = app.size;
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
    terminal.draw(|frame| autocalls_tui::ui::draw(app, frame)).unwrap();
    terminal.backend().clone()
}

fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        app.update(Msg::Edit(Input { key: Key::Char(c), ..Input::default() }));
    }
}

fn entry(
    n: u128,
    minute: i64,
    phone: &str,
    name: &str,
    outcome: Option<Result<&str, ApiError>>,
) -> LeadEntry {
    let at = Timestamp::from_second(1_795_000_000 + minute * 60).unwrap();
    let mut variables = Variables::new();
    if !name.is_empty() {
        variables.insert("customer_name", name);
    }
    let request = CreateLead {
        phone_number: phone.into(),
        campaign_id: 12,
        variables,
        allow_dupplicate: false,
        secondary_contacts: vec![],
    };
    let mut entry = LeadEntry::new(LocalId(uuid::Uuid::from_u128(n)), at, request);
    if let Some(result) = outcome {
        let result = result.map(|id| Created {
            lead: Lead {
                id: id.into(),
                campaign: Some(CampaignRef { id: 12, name: "Hannover Messe 2026".into() }),
                ..Lead::default()
            },
            message: None,
        });
        entry.apply(Outcome::from_result(&result), at);
    }
    entry
}

fn with_leads(width: u16, height: u16) -> App {
    let mut app = app(width, height);
    let rejected = ApiError::Rejected {
        status: 422,
        message: "The phone number has already been taken for this campaign.".into(),
        errors: [(
            "phone_number".to_owned(),
            vec!["The phone number has already been taken for this campaign.".to_owned()],
        )]
        .into(),
    };
    app.update(Msg::HistoryLoaded {
        entries: vec![
            entry(1, 0, "+14155550100", "Ada Lovelace", Some(Ok("1001"))),
            entry(2, 3, "+491701234567", "Jürgen Müller", Some(Ok("1002"))),
            entry(3, 7, "+442079460958", "Grace Hopper", Some(Err(rejected))),
            entry(4, 9, "+33142685300", "", Some(Err(ApiError::Unreachable("connection refused".into())))),
            entry(5, 12, "+14155550199", "Alan Turing", None),
        ]
        .into(),
        problems: vec![],
        end: 0,
    });
    app
}

fn filled_form(app: &mut App) {
    type_text(app, "+49 170 1234567");
    app.focus = Focus::Variables;
    app.update(Msg::Action(Action::AddRow));
    type_text(app, "customer_name");
    app.update(Msg::Action(Action::NextField));
    type_text(app, "Jürgen Müller");
    app.update(Msg::Action(Action::AddRow));
    type_text(app, "email");
    app.focus = Focus::Secondary;
    app.update(Msg::Action(Action::AddRow));
    type_text(app, "+1 415 555");
    app.focus = Focus::Phone;
}

#[test]
fn empty_narrow() {
    let mut app = app(80, 24);
    app.update(Msg::HistoryLoaded { entries: vec![].into(), problems: vec![], end: 0 });
    insta::assert_snapshot!(render(&app));
}

#[test]
fn empty_wide() {
    let mut app = app(160, 48);
    app.update(Msg::HistoryLoaded { entries: vec![].into(), problems: vec![], end: 0 });
    insta::assert_snapshot!(render(&app));
}

#[test]
fn leads_wide_with_form_filled() {
    let mut app = with_leads(160, 48);
    filled_form(&mut app);
    insta::assert_snapshot!(render(&app));
}

#[test]
fn leads_narrow_history_tab() {
    let mut app = with_leads(80, 24);
    app.update(Msg::Action(Action::ShowHistory));
    app.update(Msg::Action(Action::Down));
    app.update(Msg::Action(Action::Down));
    insta::assert_snapshot!(render(&app));
}

#[test]
fn narrow_form_with_errors() {
    let mut app = with_leads(80, 24);
    filled_form(&mut app);
    app.update(Msg::Action(Action::Submit));
    insta::assert_snapshot!(render(&app));
}

#[test]
fn help_overlay_narrow() {
    let mut app = app(80, 24);
    app.update(Msg::Action(Action::Help));
    insta::assert_snapshot!(render(&app));
}

#[test]
fn the_sandbox_banner_and_focus_are_marked_without_colour_too() {
    let mut app = with_leads(160, 48);
    let backend = render(&app);
    let header: String = (0..40).map(|x| backend.buffer()[(x, 0)].symbol().to_owned()).collect();
    assert!(header.contains("SANDBOX"), "{header}");
    let banner_x = header.find("SANDBOX").unwrap() as u16;
    assert!(backend.buffer()[(banner_x, 0)].modifier.contains(Modifier::BOLD));
    // The focused field's row carries a marker, not just a colour.
    let screen = backend.to_string();
    assert!(screen.contains("▸Phone"), "{screen}");
    // The selected history row is reversed when the history has the focus.
    app.update(Msg::Action(Action::ShowHistory));
    let backend = render(&app);
    let row = (0..48).find(|&y| {
        let line: String = (80..160).map(|x| backend.buffer()[(x, y)].symbol().to_owned()).collect();
        line.contains("+14155550199")
    });
    let y = row.expect("the newest lead is drawn");
    let x = (80..160).find(|&x| backend.buffer()[(x, y)].symbol() == "+").unwrap();
    assert!(backend.buffer()[(x, y)].modifier.contains(Modifier::REVERSED));
}

#[test]
fn only_clean_text_reaches_the_screen() {
    let mut app = app(80, 24);
    app.update(Msg::Paste("+1 415\u{1b}[2J\u{1b}]0;owned\u{7} 555 0100\u{202e}".into()));
    let screen = render(&app).to_string();
    assert!(screen.contains("+1 415 555 0100"), "{screen}");
    assert!(!screen.contains('\u{1b}') && !screen.contains("owned"));
}

#[test]
fn secondary_contacts_show_in_the_detail_line() {
    let mut app = app(160, 48);
    let mut e = entry(9, 0, "+14155550100", "Ada", Some(Ok("7")));
    e.request
        .secondary_contacts
        .push(SecondaryContact { phone_number: "+14155550101".into(), variables: Variables::new() });
    app.update(Msg::HistoryLoaded { entries: vec![e].into(), problems: vec![], end: 0 });
    assert!(render(&app).to_string().contains("1 secondary"));
}

fn with_catalog(width: u16, height: u16) -> App {
    use autocalls_tui::api::types::{Assistant, Campaign};
    let (mut app, _) = App::new(AppOptions::default());
    app.time_zone = jiff::tz::TimeZone::UTC;
    app.update(Msg::Resize { width, height });
    app.update(Msg::HistoryLoaded { entries: vec![].into(), problems: vec![], end: 0 });
    let campaign =
        |id, name: &str, status: &str| Campaign { id, name: name.into(), status: Some(status.into()) };
    app.update(Msg::CampaignsFetched(Ok(vec![
        campaign(12, "Hannover Messe 2026 – Rückrufe Standbesucher", "in-progress"),
        campaign(17, "Acme Cloud – Free trial follow-up (US)", "in-progress"),
        campaign(23, "Webinar „KI im Vertrieb“", "draft"),
        campaign(31, "Q4 win-back", "stopped"),
    ])));
    let variables = ["customer_name", "company_name", "email"].map(|k| (k.to_owned(), "".into())).into();
    app.update(Msg::AssistantsFetched(Ok(vec![Assistant { id: 1, name: "Ava".into(), variables }])));
    app
}

#[test]
fn picker_open_narrow() {
    let mut app = with_catalog(80, 24);
    type_text(&mut app, "+49 170 1234567");
    app.update(Msg::Action(Action::NextField));
    type_text(&mut app, "c");
    app.update(Msg::Action(Action::Down));
    insta::assert_snapshot!(render(&app));
}

#[test]
fn picker_open_wide() {
    let mut app = with_catalog(160, 48);
    app.update(Msg::Action(Action::NextField));
    insta::assert_snapshot!(render(&app));
}

#[test]
fn chosen_campaign_prefills_rows_narrow() {
    let mut app = with_catalog(80, 24);
    type_text(&mut app, "+1 415 555 0100");
    app.update(Msg::Action(Action::NextField));
    type_text(&mut app, "acme");
    app.update(Msg::Action(Action::Activate));
    // The phone is typed, so the focus is on the first value to fill.
    type_text(&mut app, "Ada Lovelace");
    insta::assert_snapshot!(render(&app));
}

#[test]
fn suggested_name_ghost() {
    let mut app = with_catalog(80, 24);
    // Ctrl-N from Phone adds a variable row, its name focused.
    app.update(Msg::Action(Action::AddRow));
    type_text(&mut app, "cu");
    let screen = render(&app).to_string();
    assert!(screen.contains("custom"), "{screen}");
    insta::assert_snapshot!(screen);
}

#[test]
fn duplicate_question_wide() {
    let mut app = with_leads(160, 48);
    type_text(&mut app, "+1 415 555 0100");
    app.update(Msg::Action(Action::Submit));
    insta::assert_snapshot!(render(&app));
}

#[test]
fn help_overlay_wide() {
    let mut app = app(160, 48);
    app.update(Msg::Action(Action::Help));
    insta::assert_snapshot!(render(&app));
}

#[test]
fn detail_view_narrow() {
    let mut app = with_leads(80, 24);
    app.update(Msg::Action(Action::ShowHistory));
    app.update(Msg::Action(Action::Down));
    app.update(Msg::Action(Action::Down));
    let effects = app.update(Msg::Action(Action::Activate));
    // The attempts come from the history file, as the runtime reads them.
    let [Effect::ReadStory { local_id, as_of }] = effects.as_slice() else { panic!("{effects:?}") };
    let attempt = Attempt {
        at: *as_of,
        status: Status::Rejected,
        error: Some("The phone number has already been taken for this campaign.".into()),
    };
    let story = Story { attempts: vec![attempt], response: None };
    app.update(Msg::StoryRead { local_id: *local_id, as_of: *as_of, result: Ok(story) });
    insta::assert_snapshot!(render(&app));
}

#[test]
fn history_filtered_wide() {
    let mut app = with_leads(160, 48);
    app.update(Msg::Action(Action::ShowHistory));
    app.update(Msg::Action(Action::Search));
    type_text(&mut app, "+1");
    app.update(Msg::Action(Action::CycleStatus));
    insta::assert_snapshot!(render(&app));
}

/// Clicks land where the last frame drew things: fields, value halves of rows, tabs, the campaign
/// list, history rows.
#[test]
fn clicks_are_placed_on_what_was_drawn() {
    use autocalls_tui::model::{Focus, Hit};
    use autocalls_tui::ui::hit_test;
    use ratatui::layout::Rect;
    let mut app = with_catalog(80, 24);
    app.update(Msg::Action(Action::NextField));
    let screen = Rect::new(0, 0, 80, 24);
    let backend = render(&app);
    let row_of = |text: &str| {
        (0..24)
            .find(|&y| (0..80).map(|x| backend.buffer()[(x, y)].symbol()).collect::<String>().contains(text))
    };
    let phone_row = row_of("Phone").unwrap();
    assert_eq!(hit_test(&app, screen, 20, phone_row), Some(Hit::Field(Focus::Phone)));
    app.update(Msg::Action(Action::Activate));
    let backend = render(&app);
    let row_of = |text: &str| {
        (0..24)
            .find(|&y| (0..80).map(|x| backend.buffer()[(x, y)].symbol()).collect::<String>().contains(text))
    };
    // The campaign list is open under the campaign field: its second entry.
    let acme_row = row_of("Acme Cloud").unwrap();
    assert_eq!(hit_test(&app, screen, 30, acme_row), Some(Hit::PickerItem(1)));
    assert_eq!(hit_test(&app, screen, 2, 1), Some(Hit::FormTab));
    assert_eq!(hit_test(&app, screen, 15, 1), Some(Hit::HistoryPane));
    // A variable row: the name on the left, the value on the right.
    app.update(Msg::Action(Action::Close));
    app.update(Msg::Action(Action::NextField));
    app.update(Msg::Action(Action::AddRow));
    let backend = render(&app);
    let row = (0..24)
        .find(|&y| (0..80).map(|x| backend.buffer()[(x, y)].symbol()).collect::<String>().contains(" = "))
        .unwrap();
    assert_eq!(hit_test(&app, screen, 5, row), Some(Hit::Field(Focus::VarKey(0))));
    assert_eq!(hit_test(&app, screen, 40, row), Some(Hit::Field(Focus::VarValue(0))));

    let mut app = with_leads(160, 48);
    let backend = render(&app);
    let screen = Rect::new(0, 0, 160, 48);
    let y = (0..48)
        .find(|&y| {
            (80..160).map(|x| backend.buffer()[(x, y)].symbol()).collect::<String>().contains("+491701234567")
        })
        .unwrap();
    let hit = hit_test(&app, screen, 120, y);
    assert_eq!(hit, Some(Hit::HistoryRow(3)), "the fourth newest lead");
    app.update(Msg::Clicked(hit.unwrap()));
    assert_eq!(app.history.selected_entry().unwrap().request.phone_number, "+491701234567");
}

/// Seen: after growing a 50x14 window the form stayed scrolled, Phone hidden above empty lines.
#[test]
fn a_grown_window_shows_the_forms_top_again() {
    let mut app = with_catalog(50, 14);
    for name in ["a", "b", "c", "d", "e", "f", "g"] {
        app.update(Msg::Action(Action::AddRow));
        type_text(&mut app, name);
    }
    let small = render(&app).to_string();
    assert!(!small.contains("Phone"), "the focused row is far enough down to scroll: {small}");
    app.update(Msg::Resize { width: 120, height: 40 });
    let grown = render(&app).to_string();
    assert!(grown.contains("Phone") && grown.contains("Campaign"), "{grown}");
    assert!(grown.contains("▸ "), "the focused row stays in view: {grown}");
}

/// Seen: at 160x48 the form kept 80 columns and cut its hints.
#[test]
fn a_wide_form_cuts_no_hint() {
    let mut app = with_catalog(160, 48);
    app.update(Msg::Action(Action::NextField));
    type_text(&mut app, "12");
    app.update(Msg::Action(Action::Activate));
    app.update(Msg::Clicked(autocalls_tui::model::Hit::Field(autocalls_tui::model::Focus::Phone)));
    type_text(&mut app, "+49 170 12");
    app.update(Msg::Action(Action::AddContact));
    let screen = render(&app).to_string();
    for hint in [
        "✓ Hannover Messe 2026 – Rückrufe Standbesucher · in-progress",
        "allow this phone twice in the campaign",
        "✗ too short",
        "empty values are not sent; the default applies",
        "called in this order after the primary · Ctrl-X adds",
        "+country code, or a national number",
        "Ctrl-S sends from anywhere",
    ] {
        assert!(screen.contains(hint), "{hint:?} is cut: {screen}");
    }
}

/// The cells of the line of `backend` holding `text`, from where `text` begins, and whether each
/// is bold (how a match is marked with colour and without).
fn bold_from(backend: &TestBackend, text: &str) -> Vec<(String, bool)> {
    let area = backend.buffer().area;
    for y in 0..area.height {
        let cells: Vec<_> = (0..area.width).map(|x| &backend.buffer()[(x, y)]).collect();
        let line: String = cells.iter().map(|c| c.symbol()).collect();
        if let Some(at) = line.find(text) {
            let start = line[..at].chars().count();
            let count = text.chars().count();
            return cells[start..start + count]
                .iter()
                .map(|c| (c.symbol().to_owned(), c.modifier.contains(Modifier::BOLD)))
                .collect();
        }
    }
    panic!("{text:?} is not on screen:\n{backend}");
}

fn marked_part(cells: &[(String, bool)]) -> String {
    cells.iter().filter(|(_, bold)| *bold).map(|(s, _)| s.as_str()).collect()
}

#[test]
fn what_a_search_matched_is_marked_in_the_picker_and_the_history() {
    let mut app = with_catalog(160, 48);
    app.update(Msg::Action(Action::NextField));
    type_text(&mut app, "ruck hann");
    let backend = render(&app);
    assert_eq!(marked_part(&bold_from(&backend, "Hannover Messe 2026 – Rückrufe")), "HannRück");

    let mut app = with_leads(160, 48);
    app.update(Msg::Action(Action::ShowHistory));
    app.update(Msg::Action(Action::Search));
    type_text(&mut app, "müll 170 12");
    let backend = render(&app);
    assert_eq!(marked_part(&bold_from(&backend, "Jürgen Müller")), "Müll");
    assert_eq!(marked_part(&bold_from(&backend, "+491701234567")), "17012");
}

/// A name no assistant defines is marked, not refused; a name no variable can have is said as
/// it is typed; a long value left behind shows its start, cut with an ellipsis.
#[test]
fn names_are_checked_as_typed_and_values_left_behind_show_their_start() {
    use autocalls_tui::model::{Focus, Hit};
    let mut app = with_catalog(80, 24);
    app.update(Msg::Action(Action::AddRow));
    type_text(&mut app, "booth_halle");
    app.update(Msg::Action(Action::AddRow));
    type_text(&mut app, "bad name");
    app.update(Msg::Clicked(Hit::Field(Focus::VarValue(0))));
    type_text(&mut app, "hans-juergen.grosskopf@maschinenbau-ueberlaender.de");
    app.update(Msg::Clicked(Hit::Field(Focus::Phone)));
    let screen = render(&app).to_string();
    let line = |name: &str| screen.lines().find(|l| l.contains(name)).unwrap_or_default().to_owned();
    assert!(line("booth_halle").contains("? unknown name"), "{screen}");
    assert!(line("bad name").contains("✗ not a name"), "{screen}");
    let value = line("booth_halle");
    assert!(value.contains("= hans-juergen.grosskopf@") && value.contains('…'), "the start, cut: {value}");
}

/// Selects lead #1002 (Jürgen Müller) in the history.
fn select_1002(app: &mut App) {
    app.update(Msg::Action(Action::ShowHistory));
    for _ in 0..3 {
        app.update(Msg::Action(Action::Down));
    }
}

#[test]
fn editing_a_lead_narrow() {
    let mut app = with_leads(80, 24);
    select_1002(&mut app);
    app.update(Msg::Action(Action::FixLead));
    insta::assert_snapshot!(render(&app));
}

#[test]
fn detail_of_a_fixed_lead_with_its_calls_wide() {
    use autocalls_tui::api::types::Call;
    use autocalls_tui::history::ChangeStatus;
    let mut app = with_leads(160, 48);
    select_1002(&mut app);
    app.update(Msg::Action(Action::FixLead));
    app.update(Msg::Action(Action::NextField));
    app.focus = Focus::VarValue(0);
    app.entry.form.variables[0].value.set_text("Jürgen Müller-Lüdenscheidt");
    app.clock = Timestamp::from_second(1_795_100_000).unwrap();
    let effects = app.update(Msg::Action(Action::Submit));
    let Some(Effect::Change { local_id, change_id, .. }) =
        effects.iter().find(|e| matches!(e, Effect::Change { .. }))
    else {
        panic!("{effects:?}")
    };
    app.update(Msg::ChangeEnded {
        local_id: *local_id,
        change_id: *change_id,
        status: ChangeStatus::Done,
        error: None,
    });
    app.update(Msg::Action(Action::ShowHistory));
    let effects = app.update(Msg::Action(Action::Activate));
    let calls = effects.iter().find_map(|e| match e {
        Effect::FetchCalls { local_id, phone, campaign } => Some((*local_id, phone.clone(), *campaign)),
        _ => None,
    });
    let (local_id, phone, campaign) = calls.expect("the calls are asked for");
    assert_eq!((phone.as_str(), campaign), ("+491701234567", 12));
    let calls: Vec<Call> = serde_json::from_value(serde_json::json!([
        {"id": 77, "status": "completed", "duration": 72, "answered_by": "human",
         "client_phone_number": "+491701234567", "assistant_name": "Messe follow-up",
         "created_at": "2026-11-18 10:15:03",
         "transcript": [
            {"sender": "assistant", "text": "Guten Tag, hier ist Anna von der Messe."},
            {"sender": "user", "text": "Ja, hallo, schicken Sie mir bitte das Angebot."}
         ]},
        {"id": 76, "status": "no-answer", "duration": 0, "client_phone_number": "+491701234567",
         "created_at": "2026-11-17 16:02:44", "transcript": null}
    ]))
    .unwrap();
    app.update(Msg::CallsFetched { local_id, result: Ok(calls) });
    insta::assert_snapshot!(render(&app));
}

#[test]
fn the_campaigns_leads_on_the_server_wide() {
    let mut app = with_leads(160, 48);
    app.update(Msg::Action(Action::ShowHistory));
    let effects = app.update(Msg::Action(Action::ServerView));
    let Some(Effect::FetchServerLeads { generation, page, campaign, .. }) =
        effects.iter().find(|e| matches!(e, Effect::FetchServerLeads { .. }))
    else {
        panic!("{effects:?}")
    };
    assert_eq!((*campaign, *page), (12, 1));
    let leads: Vec<Lead> = serde_json::from_value(serde_json::json!([
        {"id": 1003, "phone_number": "+4917012345610", "status": "processing",
         "variables": {"customer_name": "Katrin Vogel", "company": "Vogel GmbH"}, "created_at": "2026-11-18 11:40:00"},
        {"id": 1002, "phone_number": "+491701234567", "status": "completed",
         "variables": {"customer_name": "Jürgen Müller"}, "created_at": "2026-11-18 11:09:40"},
        {"id": 1001, "phone_number": "+14155550100", "status": "created",
         "variables": {"customer_name": "Ada Lovelace"}, "created_at": "2026-11-18 11:06:40"}
    ]))
    .unwrap();
    let page = autocalls_tui::api::types::LeadPage { data: leads, current_page: 1, last_page: 1, total: 3 };
    app.update(Msg::ServerLeadsFetched { generation: *generation, page: 1, result: Ok(page) });
    insta::assert_snapshot!(render(&app));
}
