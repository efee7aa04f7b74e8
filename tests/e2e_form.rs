//! End to end through the form: the real binary in a pseudo-terminal, driven by keys only (no
//! mouse), talking to a sandbox API started by the test itself, so the test reads what the server
//! received. The app runs as against a live API (`AUTOCALLS_API_KEY` and `AUTOCALLS_BASE_URL`, no
//! `--sandbox`) with `--region DE`, so national numbers are German.
#![allow(clippy::unwrap_used, reason = "a test or bench stops loudly at what it did not expect")]

mod support;

use std::time::{Duration, Instant};

use autocalls_tui::api::types::Lead;
use autocalls_tui::sandbox::{SandboxOptions, SandboxState};
use serde_json::{Value, json};
use support::live::LiveSandbox;
use support::steps::{line_with, wait_line, wait_live_form};
use support::{Dirs, Failure, POLL, TIMEOUT, TestResult, Tui, keys, move_focus_until, wait_focus};

/// Ctrl-P: copy the primary's variables into a secondary contact.
const CTRL_P: &str = "\x10";

/// The sandbox's US trial campaign (`src/sandbox/data.rs`), found by typing part of its name.
const ACME_ID: u64 = 17;
const ACME_NAME: &str = "Acme Cloud – Free trial follow-up (US)";
/// The sandbox's trade-fair campaign.
const HANNOVER_ID: u64 = 12;
const HANNOVER_NAME: &str = "Hannover Messe 2025 – Rückrufe Standbesucher";

/// A sandbox on its own runtime, the app's directories, and the app in a terminal. Fields drop in
/// order: the app first, then the server, then its runtime.
struct Session {
    tui: Tui,
    live: LiveSandbox,
    dirs: Dirs,
}

impl Session {
    /// Starts a sandbox and the app (100x30) against it.
    fn start() -> Result<Session, Failure> {
        Session::start_sized(support::ROWS, support::COLS)
    }

    /// Starts a sandbox and the app against it in a terminal of `rows` x `cols`, and waits until
    /// the app shows its form and has loaded the campaigns and the assistants' variable names.
    fn start_sized(rows: u16, cols: u16) -> Result<Session, Failure> {
        let live = LiveSandbox::start()?;
        let dirs = Dirs::new();
        let tui = Tui::spawn_command_sized(live.command(&dirs, &["--region", "DE"]), rows, cols);
        let mut session = Session { tui, live, dirs };
        // The first frame (keys typed before raw mode would be lost), the campaign list and the
        // assistants' variable names.
        wait_live_form(&mut session.tui, &session.dirs)?;
        Ok(session)
    }

    fn state(&self) -> SandboxState {
        self.live.sandbox.state()
    }

    /// Every lead on the server as `GET /user/leads` lists it (oldest first), secondary contacts
    /// included: the `Lead` type of the crate does not carry them.
    fn server_leads(&self) -> Result<Vec<Value>, Failure> {
        self.live.leads_json()
    }

    /// The app's history file (a live run's), as JSON records.
    fn history_records(&self) -> Vec<Value> {
        support::history_records(&self.dirs.history())
    }

    /// A failure with the screen attached.
    fn fail(&self, what: &str) -> Failure {
        support::steps::fail(&self.tui, what)
    }
}

/// Types a phone into the focused phone field and waits for the live check to show `e164`.
fn type_phone(tui: &mut Tui, typed: &str, e164: &str, region: &str) -> TestResult {
    tui.send(typed);
    wait_line(tui, &[typed, &format!("✓ {e164} {region}")])
}

/// From the phone field, while no campaign is set: Tab to the campaign (it comes right after
/// Phone until one is set). Merely entering the field does not open the list; Enter does, with
/// every campaign of the account. Type `filter`, see the list narrowed to the one campaign named
/// `name`, and take it with Enter. The focus then lands on the first variable value to fill (the
/// campaign pre-fills rows for the suggested names).
fn pick_campaign(tui: &mut Tui, filter: &str, id: u64, name: &str) -> TestResult {
    tui.send(keys::TAB);
    wait_focus(tui, "Campaign", |l| l.starts_with("▸Campaign"))?;
    // The frame that shows the focus on Campaign shows no list: passing through opens nothing.
    let entered = settled(tui, "a frame with the focus on Campaign", |s| {
        support::focused_line(s).is_some_and(|l| l.starts_with("▸Campaign"))
    })?;
    if entered.contains(" campaigns ") {
        return Err(Failure(tui.failure("the campaign list opened when the focus merely entered the field")));
    }
    // Enter opens the list with every campaign of the account.
    tui.send(keys::ENTER);
    tui.wait_for(" 4 campaigns ", TIMEOUT)?;
    tui.send(filter);
    tui.wait_for(" 1 campaign ", TIMEOUT)?;
    // Only the matching campaign is left. The list is narrower than long names: they are cut
    // short, the id stays.
    let start: String = name.chars().take(20).collect();
    let id_mark = format!("(#{id})");
    let all = ["Hannover Messe", "Acme Cloud", "Webinar", "Q4 win-back"];
    tui.wait_until(&format!("only {name:?} listed"), TIMEOUT, |screen| {
        line_with(screen, &[&start, &id_mark])
            && all.iter().filter(|c| screen.contains(*c)).all(|c| name.starts_with(c))
    })?;
    tui.send(keys::ENTER);
    tui.wait_gone(" 1 campaign ", TIMEOUT)?;
    wait_line(tui, &["Campaign", &id.to_string(), &format!("✓ {name}")])?;
    wait_focus(tui, "the first pre-filled value", |l| l.starts_with("▸ customer_name") && l.contains(" = "))?;
    Ok(())
}

/// Waits for a completely drawn frame whose text satisfies `check`, and returns that text (a
/// half-drawn frame could show one part of a change without the other).
fn settled(tui: &Tui, what: &str, check: impl Fn(&str) -> bool) -> Result<String, Failure> {
    let start = Instant::now();
    loop {
        if let Some(screen) = tui.settled_screen().filter(|s| check(s)) {
            return Ok(screen);
        }
        if start.elapsed() >= TIMEOUT {
            return Err(Failure(tui.failure(&format!("waiting for {what}: nothing after {TIMEOUT:?}"))));
        }
        std::thread::sleep(POLL);
    }
}

/// Checks a condition about the server's state, failing with the screen and `detail`.
fn check(session: &Session, ok: bool, what: &str, detail: &dyn std::fmt::Debug) -> TestResult {
    support::steps::check(&session.tui, ok, what, detail)
}

fn vars(lead: &Lead) -> Value {
    lead.variables.clone().unwrap_or(Value::Null)
}

#[test]
fn a_national_number_with_a_region_and_a_campaign_picked_by_name() -> TestResult {
    let mut s = Session::start()?;
    let tui = &mut s.tui;
    wait_focus(tui, "Phone", |l| l.starts_with("▸Phone"))?;
    type_phone(tui, "0170 1234567", "+491701234567", "DE")?;
    pick_campaign(tui, "acme", ACME_ID, ACME_NAME)?;
    // The other suggested names are pre-filled too, with empty values marked as defaults.
    wait_line(tui, &["email", "value", "default"])?;
    tui.send("Grace Hopper");
    wait_line(tui, &["▸", "customer_name", "Grace Hopper"])?;
    tui.send(keys::CTRL_S);
    let lead_id = tui.wait_created("+491701234567", TIMEOUT)?;

    let leads = s.state().leads();
    check(&s, leads.len() == 1, "one lead expected on the server", &leads)?;
    let lead = &leads[0];
    check(&s, lead.id == lead_id, "the footer's lead id is the server's", &(&lead_id, lead))?;
    check(&s, lead.phone_number.as_deref() == Some("+491701234567"), "the phone in E.164", lead)?;
    check(&s, lead.campaign_id == Some(ACME_ID), "the campaign picked by name", lead)?;
    // Only the filled row is sent: the empty ones are left to the assistant's defaults.
    check(&s, vars(lead) == json!({"customer_name": "Grace Hopper"}), "only the typed variable", lead)?;
    check(&s, s.state().create_requests() == 1, "one create request", &s.state().create_requests())?;
    Ok(())
}

#[test]
fn a_lead_with_two_secondary_contacts_and_pasted_variables() -> TestResult {
    let mut s = Session::start()?;
    let tui = &mut s.tui;
    type_phone(tui, "030 12345678", "+493012345678", "DE")?;
    pick_campaign(tui, "hannover", HANNOVER_ID, HANNOVER_NAME)?;

    // The focus is in the Variables section; a paste of `name=value` lines sets one row each.
    tui.paste("customer_name=Ada Lovelace\nemail=ada@example.com");
    tui.wait_for("Pasted 2 variables", TIMEOUT)?;
    wait_line(tui, &["customer_name", "Ada Lovelace"])?;
    wait_line(tui, &["email", "ada@example.com"])?;

    // The first contact, added with Ctrl-X from where the focus is (a variable value): a
    // national number (region DE), with the primary's variables.
    tui.send(keys::CTRL_X);
    wait_focus(tui, "the first contact's phone", |l| l.starts_with("▸1. Phone"))?;
    type_phone(tui, "0151 23456789", "+4915123456789", "DE")?;
    tui.send(CTRL_P);
    tui.wait_for("into contact 1", TIMEOUT)?;

    // The second contact, added with Ctrl-N on Send so it goes last. Tab gets there through the
    // first contact's values.
    move_focus_until(tui, keys::TAB, "Send", |l| l.contains("[ Send lead ]"))?;
    tui.send(keys::CTRL_N);
    wait_focus(tui, "the second contact's phone", |l| l.starts_with("▸2. Phone"))?;
    type_phone(tui, "+44 20 7946 0958", "+442079460958", "GB")?;
    // Its own variables: Ctrl-N on its phone adds a row, and a pasted JSON object fills it.
    tui.send(keys::CTRL_N);
    wait_focus(tui, "the second contact's new row", |l| l.contains("name") && l.contains(" = "))?;
    tui.paste(r#"{"customer_name": "Charles Babbage", "company_name": "Analytical Engines Ltd"}"#);
    tui.wait_for("Pasted 2 variables", TIMEOUT)?;
    wait_line(tui, &["customer_name", "Charles Babbage"])?;
    wait_line(tui, &["company_name", "Analytical Engines Ltd"])?;

    tui.send(keys::CTRL_S);
    let lead_id = tui.wait_created("+493012345678", TIMEOUT)?;

    let leads = s.server_leads()?;
    check(&s, leads.len() == 1, "one lead expected on the server", &leads)?;
    let lead = &leads[0];
    let pasted = json!({"customer_name": "Ada Lovelace", "email": "ada@example.com"});
    check(
        &s,
        lead["id"].as_u64().map(|id| id.to_string()) == Some(lead_id.clone()),
        "the footer's lead id is the server's",
        &(&lead_id, lead),
    )?;
    check(&s, lead["phone_number"] == "+493012345678", "the primary phone in E.164", lead)?;
    check(&s, lead["campaign_id"] == HANNOVER_ID, "the campaign picked by name", lead)?;
    check(&s, lead["variables"] == pasted, "the pasted variables, and no empty ones", lead)?;
    let contacts = lead["secondary_contacts"].as_array().cloned().unwrap_or_default();
    let phones: Vec<&Value> = contacts.iter().map(|c| &c["phone_number"]).collect();
    check(
        &s,
        phones == [&json!("+4915123456789"), &json!("+442079460958")],
        "both contacts, in order",
        lead,
    )?;
    check(&s, contacts[0]["variables"] == pasted, "the first contact has the primary's variables", lead)?;
    let own = json!({"customer_name": "Charles Babbage", "company_name": "Analytical Engines Ltd"});
    check(&s, contacts[1]["variables"] == own, "the second contact has its pasted variables", lead)?;
    Ok(())
}

#[test]
fn no_invalid_lead_can_be_sent() -> TestResult {
    let mut s = Session::start()?;
    let tui = &mut s.tui;
    type_phone(tui, "0170 1234567", "+491701234567", "DE")?;
    pick_campaign(tui, "acme", ACME_ID, ACME_NAME)?;
    tui.send("Grace Hopper");
    wait_line(tui, &["customer_name", "Grace Hopper"])?;
    tui.send(keys::CTRL_X);
    wait_focus(tui, "the contact's phone", |l| l.starts_with("▸1. Phone"))?;
    // Too short to be a number: the live check says so at once.
    tui.send("+44 20");
    wait_line(tui, &["1. Phone", "+44 20", "✗"])?;
    // Leave the field, then send from elsewhere.
    move_focus_until(tui, keys::TAB, "Send lead", |l| l.contains("[ Send lead ]"))?;
    tui.send(keys::CTRL_S);
    tui.wait_for("Not sent", TIMEOUT)?;
    wait_focus(tui, "the bad contact phone, with why", |l| l.starts_with("▸1. Phone") && l.contains("✗"))?;
    let screen = tui.screen();
    // Drawn with the refusal: nothing went into the history, nothing is on its way.
    if !screen.contains("History F3 (0)") || screen.contains("sending") || screen.contains("Created") {
        return Err(s.fail("an invalid lead looks as if it was sent"));
    }
    // The form is kept as typed, to be corrected.
    if !line_with(&screen, &["Phone", "0170 1234567"]) || !line_with(&screen, &["Grace Hopper"]) {
        return Err(s.fail("the form lost what was typed"));
    }
    let state = s.state();
    check(&s, state.create_requests() == 0, "no create request", &state.create_requests())?;
    check(&s, state.leads().is_empty(), "no lead on the server", &state.leads())?;
    let records = s.history_records();
    check(&s, records.is_empty(), "nothing in the history", &records)?;
    Ok(())
}

#[test]
fn the_duplicate_guard_asks_first() -> TestResult {
    let mut s = Session::start()?;
    let tui = &mut s.tui;
    type_phone(tui, "0170 1234567", "+491701234567", "DE")?;
    pick_campaign(tui, "acme", ACME_ID, ACME_NAME)?;
    tui.send(keys::CTRL_S);
    let first_id = tui.wait_created("+491701234567", TIMEOUT)?;
    check(&s, s.state().leads().len() == 1, "the first lead on the server", &s.state().leads())?;

    // The same phone again: the campaign stays in the form.
    let tui = &mut s.tui;
    wait_focus(tui, "Phone", |l| l.starts_with("▸Phone"))?;
    type_phone(tui, "0170 1234567", "+491701234567", "DE")?;
    // Enter, Esc and `c` each cancel: nothing is sent, the form is as it was. (Enter once sent
    // anyway; a question no longer sends on the key that also moves on.)
    for (key, name) in [(keys::ENTER, "Enter"), (keys::ESC, "Esc"), ("c", "c")] {
        let tui = &mut s.tui;
        tui.send(keys::CTRL_S);
        // Opening the question clears the footer's old notice ("Created …", then "Not sent").
        let asked = settled(tui, "the duplicate question", |screen| {
            screen.contains("Already in this campaign") && screen.contains(&format!("as lead #{first_id}"))
        })?;
        if asked.contains("Created +491701234567") || asked.contains("Not sent") {
            return Err(s.fail("the old footer notice is still shown under the question"));
        }
        let tui = &mut s.tui;
        tui.send(key);
        tui.wait_gone("Already in this campaign", TIMEOUT)?;
        tui.wait_for("Not sent", TIMEOUT)?;
        wait_line(tui, &["Phone", "0170 1234567"])?;
        if !tui.screen().contains("History F3 (1)") {
            return Err(s.fail(&format!("after {name} the history should still hold the one lead")));
        }
        let state = s.state();
        check(&s, state.leads().len() == 1, &format!("still one lead after {name}"), &state.leads())?;
        check(
            &s,
            state.create_requests() == 1,
            &format!("still one create request after {name}"),
            &state.create_requests(),
        )?;
    }

    // Again, and `a`: allow the duplicate and send.
    let tui = &mut s.tui;
    tui.send(keys::CTRL_S);
    tui.wait_for("Already in this campaign", TIMEOUT)?;
    tui.send("a");
    tui.wait_gone("Already in this campaign", TIMEOUT)?;
    tui.wait_until("a second lead created", TIMEOUT, |screen| {
        screen.contains("Created +491701234567 (lead #") && !screen.contains(&format!("(lead #{first_id})"))
    })?;
    let leads = s.state().leads();
    check(&s, leads.len() == 2, "two leads after allowing the duplicate", &leads)?;
    check(
        &s,
        leads
            .iter()
            .all(|l| l.phone_number.as_deref() == Some("+491701234567") && l.campaign_id == Some(ACME_ID)),
        "both with the same phone and campaign",
        &leads,
    )?;
    check(&s, s.state().create_requests() == 2, "two create requests", &s.state().create_requests())?;
    let sent: Vec<Value> = s
        .history_records()
        .into_iter()
        .filter(|r| r["type"] == "submitted")
        .map(|r| r["request"]["allow_dupplicate"].clone())
        .collect();
    check(&s, sent == [json!(false), json!(true)], "the second request allowed the duplicate", &sent)?;
    Ok(())
}

/// The question names the keys that answer it: `s` sends anyway. Enter cancels, so a box that
/// says "Enter send anyway" tells a person to press the key that does the opposite.
#[test]
fn the_duplicate_question_names_the_key_that_sends_anyway() -> TestResult {
    let mut s = Session::start()?;
    let tui = &mut s.tui;
    type_phone(tui, "0170 1234567", "+491701234567", "DE")?;
    pick_campaign(tui, "acme", ACME_ID, ACME_NAME)?;
    tui.send(keys::CTRL_S);
    tui.wait_created("+491701234567", TIMEOUT)?;
    wait_focus(tui, "Phone", |l| l.starts_with("▸Phone"))?;
    type_phone(tui, "0170 1234567", "+491701234567", "DE")?;
    tui.send(keys::CTRL_S);
    let asked = settled(tui, "the duplicate question", |screen| {
        screen.contains("Already in this campaign") && screen.contains("allow duplicate")
    })?;
    // The question's box is drawn with double lines (║); the footer below it is not.
    let in_box: Vec<&str> = asked.lines().filter(|l| l.contains('║')).collect();
    let says = |keys: &str| in_box.iter().any(|l| l.contains(keys));
    if says("Enter send anyway") || !says("s send anyway") {
        return Err(
            s.fail("the duplicate question says Enter sends anyway, but Enter cancels and `s` sends anyway")
        );
    }
    // And Enter does cancel.
    let tui = &mut s.tui;
    tui.send(keys::ENTER);
    tui.wait_for("Not sent", TIMEOUT)?;
    check(&s, s.state().create_requests() == 1, "Enter sent nothing", &s.state().create_requests())?;
    Ok(())
}

#[test]
fn the_whole_form_fits_in_80_by_24() -> TestResult {
    let mut s = Session::start_sized(24, 80)?;
    let tui = &mut s.tui;
    let every_field = ["Phone", "Campaign", "Duplicates", "Variables", "Secondary", "[ Send lead ]"];
    let missing = |screen: &str| every_field.iter().filter(|f| !screen.contains(*f)).count();
    tui.wait_until("every field of the form", TIMEOUT, |screen| missing(screen) == 0)?;
    // With a campaign's pre-filled rows it still fits, the Send button included.
    type_phone(tui, "0170 1234567", "+491701234567", "DE")?;
    pick_campaign(tui, "acme", ACME_ID, ACME_NAME)?;
    tui.wait_until("every field with the rows", TIMEOUT, |screen| missing(screen) == 0)?;
    for name in ["customer_name", "company_name", "email", "product_interest", "plan"] {
        wait_line(tui, &[name, " = "])?;
    }
    Ok(())
}

/// A slow network on a first start (nothing cached): the campaign is typed as an id and the focus
/// goes on (Campaign, Allow duplicate, then back to Phone: once a campaign is set, its settings
/// are off the Tab path) before the assistants' names arrive. When they arrive, the rows are
/// pre-filled while the focus is on Phone. Tab should then go to the first row's value (Tab once
/// went back to Campaign and opened the list when the stop it was on went away).
#[test]
fn tab_after_the_rows_are_pre_filled_late_goes_to_the_first_row() -> TestResult {
    let latency = Duration::from_secs(3);
    let live = LiveSandbox::start_with(SandboxOptions { latency, ..SandboxOptions::default() })?;
    let dirs = Dirs::new();
    let mut tui = Tui::spawn_command(live.command(&dirs, &["--region", "DE"]));
    tui.wait_for("loading campaigns", TIMEOUT)?;
    // Phone, the campaign by id, past Allow duplicate and back to Phone, all before any row.
    tui.send(&format!("0170 1234567{tab}12{tab}{tab}", tab = keys::TAB));
    let before = settled(&tui, "the focus back on Phone, no rows yet", |screen| {
        support::focused_line(screen).is_some_and(|l| l.starts_with("▸Phone"))
            && line_with(screen, &["Campaign", "12"])
    })?;
    if before.contains(" = ") {
        return Err(Failure(tui.failure(
            "the rows arrived before the focus was back on Phone: too fast a network for this test",
        )));
    }
    // The lists arrive and the campaign's rows are pre-filled.
    wait_line(&mut tui, &["customer_name", " = "])?;
    tui.send(keys::TAB);
    wait_focus(&mut tui, "the first variable row", |l| l.starts_with("▸ customer_name"))?;
    // Its value, not its name (names are never Tab stops), and no list opened on the way.
    let screen = settled(&tui, "the focus on the first row", |screen| {
        support::focused_line(screen).is_some_and(|l| l.starts_with("▸ customer_name"))
    })?;
    let in_value = tui.with_screen(|s| {
        let (row, col) = s.cursor_position();
        let line = screen.lines().nth(usize::from(row)).unwrap_or_default();
        line.contains("▸ customer_name")
            && line.chars().position(|c| c == '=').is_some_and(|at| usize::from(col) > at)
    });
    if !in_value || screen.contains(" campaigns ") {
        return Err(Failure(tui.failure("Tab did not go to the first row's value")));
    }
    Ok(())
}

/// The campaign is the team's record: a phone a colleague entered (on another machine, here
/// straight on the server) is flagged beside the phone as it is typed, with the server's id, and
/// the duplicate guard asks before sending it, though this history never had it.
#[test]
fn a_colleagues_lead_is_flagged_while_its_phone_is_typed() -> TestResult {
    let mut s = Session::start()?;
    let colleague = {
        let api = autocalls_tui::api::ApiClient::new(autocalls_tui::api::ClientOptions {
            base_url: s.live.sandbox.base_url(),
            key: secrecy::SecretString::from(s.live.sandbox.key().to_owned()),
            connect_timeout: Duration::from_secs(2),
            request_timeout: Duration::from_secs(10),
            max_answer: autocalls_tui::api::DEFAULT_MAX_ANSWER,
        })
        .map_err(|e| Failure(e.to_string()))?;
        let mut lead = autocalls_tui::api::types::CreateLead {
            phone_number: "+491701234567".into(),
            campaign_id: HANNOVER_ID,
            variables: Default::default(),
            allow_dupplicate: false,
            secondary_contacts: vec![],
        };
        lead.variables.insert("customer_name", "Katrin Vogel");
        s.live.rt.block_on(api.create_lead(&lead)).map_err(|e| Failure(e.to_string()))?.lead.id
    };
    let tui = &mut s.tui;
    type_phone(tui, "0170 1234567", "+491701234567", "DE")?;
    pick_campaign(tui, "hannover", HANNOVER_ID, HANNOVER_NAME)?;
    tui.wait_for(&format!("#{colleague} already in campaign"), TIMEOUT)?;
    tui.send(keys::CTRL_S);
    tui.wait_for("by someone else", TIMEOUT)?;
    check(&s, s.state().create_requests() == 1, "only the colleague's create", &s.state().create_requests())?;
    let tui = &mut s.tui;
    tui.send(keys::ESC);
    tui.wait_gone("Already in this campaign", TIMEOUT)?;
    Ok(())
}
