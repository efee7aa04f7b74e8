//! End to end: the real binary in a 100x30 pseudo-terminal against the built-in sandbox API,
//! driven by keys and checked by what a person would read on the screen (see `support`).
#![allow(clippy::unwrap_used, reason = "a test or bench stops loudly at what it did not expect")]

mod support;

use std::os::unix::fs::PermissionsExt;

use serde_json::Value;
use support::steps::{line_with, quit_and_check_terminal};
use support::{Dirs, TIMEOUT, TestResult, Tui, history_records, keys, wait_focus};

const PHONE_TYPED: &str = "+1 (415) 555-0100";
const PHONE: &str = "+14155550100";
/// A demo campaign of the sandbox (`src/sandbox/data.rs`).
const CAMPAIGN: &str = "12";

/// Starts the TUI on the sandbox and waits for its first frame: keys typed before the app has
/// switched the terminal to raw mode would sit in the line buffer (and Ctrl-S would stop output).
fn start(dirs: &Dirs) -> Result<Tui, String> {
    let mut tui = Tui::spawn(&["--sandbox"], dirs);
    tui.wait_for("New lead", TIMEOUT)?;
    tui.wait_for("SANDBOX", TIMEOUT)?;
    Ok(tui)
}

/// Moves from the phone to the campaign field (it follows Phone while no campaign is set) and
/// types the demo campaign.
fn type_campaign(tui: &mut Tui) -> Result<(), String> {
    tui.send(keys::TAB);
    tui.send(CAMPAIGN);
    tui.wait_until("the campaign typed", TIMEOUT, |s| line_with(s, &["Campaign", CAMPAIGN]))
}

#[test]
fn a_lead_typed_in_the_form_is_created_and_kept_in_the_history() -> TestResult {
    let dirs = Dirs::new();

    // First run: type the lead and send it.
    let mut tui = start(&dirs)?;
    tui.send(PHONE_TYPED);
    // The live check beside the field shows the E.164 form once the number parses.
    tui.wait_for(PHONE, TIMEOUT)?;
    type_campaign(&mut tui)?;
    // Leaving the campaign pre-fills rows for its variable names. Campaign → Allow duplicate →
    // Phone (once a campaign is set, its settings are off the Tab path) → the first row's value
    // (names are never Tab stops).
    tui.send(keys::TAB);
    tui.wait_until("rows for the campaign's names", TIMEOUT, |s| s.contains("customer_name"))?;
    wait_focus(&mut tui, "Allow duplicate", |l| l.starts_with("▸Duplicates"))?;
    tui.send(keys::TAB);
    wait_focus(&mut tui, "Phone", |l| l.starts_with("▸Phone"))?;
    tui.send(keys::TAB);
    wait_focus(&mut tui, "the first row", |l| l.starts_with("▸ customer_name"))?;
    tui.send("Ada Lovelace");
    tui.wait_until("the variable row filled in", TIMEOUT, |s| {
        line_with(s, &["customer_name", "Ada Lovelace"])
    })?;
    tui.send(keys::CTRL_S);
    let created = format!("Created {PHONE} (lead #");
    tui.wait_for(&created, TIMEOUT)?;
    let lead_id = tui
        .screen()
        .split(&created)
        .nth(1)
        .and_then(|rest| rest.split(')').next())
        .map(str::to_owned)
        .filter(|id| !id.is_empty() && id != "?")
        .ok_or_else(|| tui.failure("the footer names no lead id"))?;
    // The form is cleared for the next lead at once, keeping the campaign and the variable key.
    let screen = tui.screen();
    if screen.contains("Ada Lovelace") || screen.contains(PHONE_TYPED) {
        return Err(tui.failure("the form still holds the sent lead's values").into());
    }
    if !screen.contains("customer_name") {
        return Err(tui.failure("the form lost the variable key after sending").into());
    }
    quit_and_check_terminal(&mut tui)?;
    drop(tui);

    // The history file: private, and holding the lead.
    let path = dirs.sandbox_history();
    let meta = std::fs::metadata(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mode = meta.permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "{} has mode {mode:o}", path.display());
    let records = history_records(&dirs.sandbox_history());
    let submitted: Vec<&Value> = records.iter().filter(|r| r["type"] == "submitted").collect();
    assert_eq!(submitted.len(), 1, "one submitted record expected: {records:#?}");
    let request = &submitted[0]["request"];
    assert_eq!(request["phone_number"], PHONE, "{records:#?}");
    assert_eq!(request["campaign_id"], 12, "{records:#?}");
    assert_eq!(request["variables"]["customer_name"], "Ada Lovelace", "{records:#?}");
    // The app said "Created" before we quit, so the outcome must be on disk: the history is
    // flushed before the app reports anything.
    assert!(
        records
            .iter()
            .any(|r| r["type"] == "outcome" && r["status"] == "created" && r["lead_id"] == lead_id.as_str()),
        "no `created` outcome with lead id {lead_id} in the history file: {records:#?}"
    );

    // Second run, same dirs: the lead is in the History pane (a tab at 100 columns).
    let mut tui = start(&dirs)?;
    tui.wait_for("History F3 (1)", TIMEOUT)?;
    tui.send(keys::F3);
    tui.wait_gone("New lead", TIMEOUT)?;
    tui.wait_until("the lead, created, in the history pane", TIMEOUT, |s| {
        line_with(s, &[PHONE, "✓ created", "Ada Lovelace"])
    })?;
    // The selected (only) lead's detail line names the server's id.
    tui.wait_for(&format!("lead #{lead_id}"), TIMEOUT)?;
    quit_and_check_terminal(&mut tui)?;
    Ok(())
}

#[test]
fn an_invalid_phone_is_refused_on_screen_and_nothing_is_recorded() -> TestResult {
    let dirs = Dirs::new();
    let mut tui = start(&dirs)?;
    tui.send("12");
    type_campaign(&mut tui)?;
    tui.send(keys::CTRL_S);
    // The footer says nothing was sent; the phone field gets the focus back and says why.
    tui.wait_for("Not sent", TIMEOUT)?;
    tui.wait_until("the phone field focused with an error", TIMEOUT, |s| line_with(s, &["▸Phone", "✗"]))?;
    let screen = tui.screen();
    if screen.contains("Sending") || screen.contains("Saving") || screen.contains("Created") {
        return Err(tui.failure("an invalid lead looks as if it was sent").into());
    }
    quit_and_check_terminal(&mut tui)?;

    let records = history_records(&dirs.sandbox_history());
    assert!(
        records.iter().all(|r| r["type"] != "submitted"),
        "an invalid lead was written to the history: {records:#?}"
    );
    Ok(())
}

#[test]
fn quitting_right_after_sending_lets_the_lead_finish() -> TestResult {
    let dirs = Dirs::new();
    let mut tui = start(&dirs)?;
    tui.send(PHONE_TYPED);
    tui.wait_for(PHONE, TIMEOUT)?;
    type_campaign(&mut tui)?;
    // Send and quit in one write, as a hurried person would.
    tui.send(&format!("{}{}", keys::CTRL_S, keys::CTRL_Q));
    let status = tui.wait_exit(TIMEOUT)?;
    if !status.success() {
        return Err(tui.failure(&format!("the app did not exit successfully: {status}")).into());
    }
    let records = history_records(&dirs.sandbox_history());
    assert!(
        records.iter().any(|r| r["type"] == "outcome" && r["status"] == "created"),
        "the lead was left unfinished: {records:#?}"
    );
    Ok(())
}

#[test]
fn a_lead_created_from_another_window_shows_up_in_the_running_app() -> TestResult {
    let dirs = Dirs::new();
    let mut tui = start(&dirs)?;
    tui.wait_for("History F3 (0)", TIMEOUT)?;
    tui.send(keys::F3);
    tui.wait_for("No leads yet", TIMEOUT)?;
    // `create --sandbox` writes to the same sandbox history as the running TUI.
    let output = dirs
        .process(&["--sandbox", "create", "--phone", "+44 20 7946 0958", "--campaign", CAMPAIGN], &[])
        .output()
        .map_err(|e| e.to_string())?;
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    tui.wait_until("the other window's lead in the history", TIMEOUT, |s| {
        line_with(s, &["+442079460958", "created"])
    })?;
    tui.wait_for("1 lead added by another window", TIMEOUT)?;
    quit_and_check_terminal(&mut tui)?;
    Ok(())
}
