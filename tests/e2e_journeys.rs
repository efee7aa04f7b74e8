//! End to end, whole journeys: the real binary in a pseudo-terminal (see `support`), driven by
//! keys and checked by what a person reads on the screen, mostly against a sandbox API the test
//! starts itself so it can look at what the server received, stop it and start it again.
//!
//! 1. The first start without a key: the prompt masks the key; Ctrl-O opens the sandbox; a real
//!    key typed into the prompt is checked, used and saved (mode 0600).
//! 2. A lead the API rejects, loaded back into the form with the server's reason, fixed and sent.
//! 3. An offline period: the lead is queued with a countdown, and goes out by itself once the
//!    server is back.
//! 4. The history's search and the detail view.
//! 5. Resizing from wide to narrow and back keeps what was typed.
//! 6. Quitting with a lead on its way: the app finishes it first; quitting at once leaves it open,
//!    and the next start looks it up instead of sending it twice.
//!
//! Nothing here sleeps to let the app catch up: every wait polls the screen (or a file, or the
//! server's state) until a condition holds or a timeout passes, and every failure carries a dump
//! of the screen.
#![allow(clippy::unwrap_used, reason = "a test or bench stops loudly at what it did not expect")]

mod support;

use std::os::unix::fs::PermissionsExt;
use std::process::Output;
use std::time::{Duration, Instant};

use autocalls_tui::api::types::Lead;
use autocalls_tui::sandbox::{DEMO_KEY, Sandbox, SandboxOptions, SandboxState, router};
use serde_json::Value;
use support::steps::{
    check, check_terminal_restored, fail, line_with, quit_and_check_terminal, wait_line, wait_line_within,
    wait_path,
};
use support::{
    Dirs, Failure, POLL, TIMEOUT, TestResult, Tui, focused_line, history_records, keys, move_focus_until,
    wait_focus,
};

/// Ctrl-O: open the sandbox from the first start's key prompt.
const CTRL_O: &str = "\x0f";
/// Ctrl-U: delete to the start of the field.
const CTRL_U: &str = "\x15";

/// A wide terminal: the form and the history side by side.
const WIDE: (u16, u16) = (48, 160);
/// The harness's usual terminal (narrow: one pane at a time).
const DEFAULT: (u16, u16) = (support::ROWS, support::COLS);
/// The smallest terminal the app is made for: one pane at a time, with tabs.
const NARROW: (u16, u16) = (24, 80);

/// A phone as typed and as the app sends it.
struct Phone {
    typed: &'static str,
    e164: &'static str,
}

const ADA: Phone = Phone { typed: "+1 (415) 555-0100", e164: "+14155550100" };
const GRACE: Phone = Phone { typed: "+1 (415) 555-0142", e164: "+14155550142" };
const ALAN: Phone = Phone { typed: "+44 20 7946 0958", e164: "+442079460958" };
const KATHERINE: Phone = Phone { typed: "+1 (212) 555-0199", e164: "+12125550199" };

/// The sandbox's trade-fair campaign (`src/sandbox/data.rs`).
const CAMPAIGN: &str = "12";
const CAMPAIGN_ID: u64 = 12;

/// Prints how long a journey took when it ends, passed or not (seen with `--nocapture`).
struct Timer {
    name: &'static str,
    start: Instant,
}

impl Timer {
    fn start(name: &'static str) -> Timer {
        Timer { name, start: Instant::now() }
    }
}

impl Drop for Timer {
    fn drop(&mut self) {
        eprintln!("journey {} took {:.1?}", self.name, self.start.elapsed());
    }
}

/// A tokio runtime for the test's sandboxes (the test itself drives the app from this thread).
fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Runtime::new().map_err(|e| Failure(format!("a tokio runtime: {e}")))
}

/// Starts a sandbox on `rt`.
fn start_sandbox(rt: &tokio::runtime::Runtime, options: SandboxOptions) -> Result<Sandbox, Failure> {
    rt.block_on(Sandbox::start(options)).map_err(|e| Failure(format!("the sandbox did not start: {e}")))
}

/// A port on 127.0.0.1 nobody listens on right now (the kernel's pick), for a sandbox that must
/// come back on the same address.
fn free_port() -> Result<u16, Failure> {
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0))
        .map_err(|e| Failure(format!("finding a free port: {e}")))?;
    let port = listener.local_addr().map_err(|e| Failure(format!("finding a free port: {e}")))?.port();
    Ok(port)
}

/// Starts a sandbox on a given port, trying again for a while if the port is not free yet (the
/// previous server on it may still be letting go of it).
fn start_sandbox_on(rt: &tokio::runtime::Runtime, port: u16) -> Result<Sandbox, Failure> {
    let start = Instant::now();
    loop {
        match rt.block_on(Sandbox::start(SandboxOptions { port, ..SandboxOptions::default() })) {
            Ok(sandbox) => return Ok(sandbox),
            Err(e) if start.elapsed() >= TIMEOUT => {
                return Err(Failure(format!("no sandbox on port {port} after {TIMEOUT:?}: {e}")));
            }
            Err(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}

/// The app's command against `sandbox` as against a live API: its key and base URL in the
/// environment, no `--sandbox`.
fn live_command(dirs: &Dirs, sandbox: &Sandbox, args: &[&str]) -> portable_pty::CommandBuilder {
    live_command_to(dirs, sandbox.key(), &sandbox.base_url(), args)
}

/// The app's command against the API at `base_url` with `key`.
fn live_command_to(dirs: &Dirs, key: &str, base_url: &str, args: &[&str]) -> portable_pty::CommandBuilder {
    dirs.command_with_env(args, &[("AUTOCALLS_API_KEY", key), ("AUTOCALLS_BASE_URL", base_url)])
}

/// A sandbox API that carries out every request to the end even when the client hangs up
/// before the answer, as a real server (PHP behind a web server) does. The plain [`Sandbox`]
/// is an axum server: a request whose client goes away during the latency is dropped with its
/// connection, and nothing is done. Runs on `rt` until the runtime is dropped; returns its state
/// and base URL.
fn start_finishing_sandbox(
    rt: &tokio::runtime::Runtime,
    latency: Duration,
) -> Result<(SandboxState, String), Failure> {
    let state = SandboxState::new(DEMO_KEY, latency);
    let app = router(state.clone()).layer(axum::middleware::from_fn(run_to_the_end));
    let listener = rt
        .block_on(tokio::net::TcpListener::bind(("127.0.0.1", 0)))
        .map_err(|e| Failure(format!("binding the finishing sandbox: {e}")))?;
    let addr = listener.local_addr().map_err(|e| Failure(format!("the finishing sandbox's address: {e}")))?;
    rt.spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok((state, format!("http://{addr}/api")))
}

/// Runs the rest of a request in a task of its own, so it is not cancelled with its connection.
async fn run_to_the_end(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    match tokio::spawn(next.run(request)).await {
        Ok(response) => response,
        Err(e) => (axum::http::StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

/// Runs the command line (`autocalls-tui ARGS`, not the TUI) against `sandbox` with `dirs`.
fn run_cli(dirs: &Dirs, sandbox: &Sandbox, args: &[&str]) -> Result<Output, Failure> {
    let base_url = sandbox.base_url();
    dirs.run(args, &[("AUTOCALLS_API_KEY", sandbox.key()), ("AUTOCALLS_BASE_URL", &base_url)])
}

/// Starts the app in a terminal of `size` and waits until it is ready against a live (test)
/// sandbox: the first frame (keys typed before raw mode would be lost), the LIVE banner, the
/// account's name (the key works), and the campaign list loaded (the hint beside an empty
/// campaign field changes from "loading campaigns…", or a campaign already in the field is named).
fn start_live(cmd: portable_pty::CommandBuilder, size: (u16, u16)) -> Result<Tui, Failure> {
    let mut tui = Tui::spawn_command_sized(cmd, size.0, size.1);
    tui.wait_for("New lead", TIMEOUT)?;
    tui.wait_for("LIVE 127.0.0.1", TIMEOUT)?;
    tui.wait_for("Sandbox User", TIMEOUT)?;
    tui.wait_until("the campaign list loaded", TIMEOUT, |s| {
        s.contains("type to filter · Enter takes") || line_with(s, &["Campaign", "✓ "])
    })?;
    Ok(tui)
}

/// Prints the screen with `label` when `E2E_SHOW_SCREENS` is set (with `--nocapture`), to see
/// what a journey looks like.
fn show(tui: &Tui, label: &str) {
    if std::env::var_os("E2E_SHOW_SCREENS").is_some() {
        eprintln!("── {label}\n{}", tui.dump());
    }
}

/// Types a phone into the focused phone field and waits for the live check to show it in E.164.
fn type_phone(tui: &mut Tui, phone: &Phone) -> TestResult {
    wait_focus(tui, "Phone", |l| l.starts_with("▸Phone"))?;
    tui.send(phone.typed);
    wait_line(tui, &[phone.typed, &format!("✓ {}", phone.e164)])
}

/// From the phone field, while no campaign is set: Tab to the campaign (it follows Phone until
/// one is set), type `id` (which opens the list, filtered), and Tab away from it, which takes the
/// number as the campaign's id. The focus goes on to Allow duplicate.
fn type_campaign_id(tui: &mut Tui, id: &str) -> TestResult {
    tui.send(keys::TAB);
    wait_focus(tui, "Campaign", |l| l.starts_with("▸Campaign"))?;
    tui.send(id);
    wait_line(tui, &["▸Campaign", id])?;
    tui.send(keys::TAB);
    wait_focus(tui, "the field after Campaign", |l| !l.starts_with("▸Campaign"))?;
    Ok(())
}

/// From Allow duplicate (where the focus goes after Campaign), once the campaign's variable names
/// are pre-filled as rows: Tab goes back to Phone (with a campaign set, its settings are off the
/// Tab path), then on through the values to the row named `key`. Names are never Tab stops, so
/// the first stop on that row is its value. The marker `▸` is on the row for both its name and
/// its value; the cursor tells them apart.
fn focus_value_of(tui: &mut Tui, key: &str) -> TestResult {
    wait_focus(tui, "Allow duplicate", |l| l.starts_with("▸Duplicates"))?;
    wait_line(tui, &[key, " = "])?;
    let marked = format!("▸ {key}");
    tui.send(keys::TAB);
    wait_focus(tui, "Phone", |l| l.starts_with("▸Phone"))?;
    move_focus_until(tui, keys::TAB, &format!("the {key} row"), |l| l.starts_with(&marked))?;
    let start = Instant::now();
    loop {
        let in_value = tui.with_settled_screen(|s| {
            let (row, col) = s.cursor_position();
            let cols = s.size().1.get();
            let line = s.rows(0, cols).nth(usize::from(row)).unwrap_or_default();
            let equals = line.chars().position(|c| c == '=');
            line.contains(&marked) && equals.is_some_and(|at| usize::from(col) > at)
        });
        if in_value == Some(true) {
            return Ok(());
        }
        if start.elapsed() >= TIMEOUT {
            return Err(fail(tui, &format!("the cursor never reached the value of {key}")));
        }
        std::thread::sleep(POLL);
    }
}

/// The server's leads with `e164` as their phone.
fn leads_with(leads: &[Lead], e164: &str) -> usize {
    leads.iter().filter(|l| l.phone_number.as_deref() == Some(e164)).count()
}

// ─── 1. The first start without a key ───────────────────────────────────────────────────────────

/// A made-up key, typed into the prompt: it must never be drawn.
const FAKE_KEY: &str = "1|abcdefgh12345678";

#[test]
fn first_start_without_a_key_masks_it_and_ctrl_o_opens_the_sandbox() -> TestResult {
    let _timer = Timer::start("1a first start, Ctrl-O sandbox");
    let dirs = Dirs::new();
    // `Dirs::command` removes AUTOCALLS_API_KEY and AUTOCALLS_BASE_URL; the config dir is empty.
    let mut tui = Tui::spawn_command_sized(dirs.command(&[]), DEFAULT.0, DEFAULT.1);
    tui.wait_for("Autocalls API key", TIMEOUT)?;
    tui.wait_for("Ctrl-O", TIMEOUT)?;

    tui.send(FAKE_KEY);
    let dots = "•".repeat(FAKE_KEY.chars().count());
    tui.wait_until("one dot per typed character", TIMEOUT, |s| line_with(s, &["Key", &dots]))?;
    show(&tui, "the key prompt, a key typed");
    let screen = tui.screen();
    for part in [FAKE_KEY, "abcdefgh", "12345678"] {
        if screen.contains(part) {
            return Err(fail(&tui, &format!("the typed key is drawn ({part:?} on the screen)")));
        }
    }
    // Not even written to the terminal somewhere it might be overdrawn later.
    if tui.raw_tail(usize::MAX).contains("abcdefgh") {
        return Err(fail(&tui, "the typed key was written to the terminal"));
    }

    // Ctrl-O: the built-in sandbox instead.
    tui.send(CTRL_O);
    tui.wait_gone("Autocalls API key", TIMEOUT)?;
    tui.wait_until("the SANDBOX banner in the header", TIMEOUT, |s| {
        s.lines().next().is_some_and(|header| header.contains("SANDBOX"))
    })?;
    // A lead goes through.
    type_phone(&mut tui, &ADA)?;
    type_campaign_id(&mut tui, CAMPAIGN)?;
    tui.send(keys::CTRL_S);
    tui.wait_created(ADA.e164, TIMEOUT)?;
    if tui.screen().contains("abcdefgh") {
        return Err(fail(&tui, "the typed key is drawn"));
    }
    quit_and_check_terminal(&mut tui)?;

    // Recorded in the sandbox's own history; the made-up key was never saved anywhere.
    let sandbox_records = history_records(&dirs.sandbox_history());
    check(
        &tui,
        sandbox_records.iter().any(|r| r["type"] == "outcome" && r["status"] == "created"),
        "the sandbox history holds the created lead",
        &sandbox_records,
    )?;
    let config = dirs.config().join("autocalls-tui").join("config.toml");
    let saved = std::fs::read_to_string(&config).unwrap_or_default();
    check(&tui, !saved.contains("abcdefgh"), "the made-up key was saved in config.toml", &saved)?;
    Ok(())
}

#[test]
fn first_start_with_a_key_typed_in_uses_it_and_saves_it_privately() -> TestResult {
    let _timer = Timer::start("1b first start, key typed in");
    let rt = runtime()?;
    let sandbox = start_sandbox(&rt, SandboxOptions::default())?;
    let dirs = Dirs::new();
    // The base URL, but no key.
    let cmd = dirs.command_with_env(&[], &[("AUTOCALLS_BASE_URL", &sandbox.base_url())]);
    let mut tui = Tui::spawn_command_sized(cmd, DEFAULT.0, DEFAULT.1);
    tui.wait_for("Autocalls API key", TIMEOUT)?;
    let key = sandbox.key().to_owned();
    tui.send(&key);
    let dots = "•".repeat(key.chars().count());
    tui.wait_until("one dot per typed character", TIMEOUT, |s| line_with(s, &["Key", &dots]))?;
    tui.send(keys::ENTER);
    tui.wait_gone("Autocalls API key", TIMEOUT)?;
    // The account's name in the header.
    tui.wait_until("the account's name in the header", TIMEOUT, |s| {
        s.lines().next().is_some_and(|header| header.contains("Sandbox User"))
    })?;
    let secret = key.split('|').nth(1).unwrap_or(&key);
    if tui.raw_tail(usize::MAX).contains(secret) {
        return Err(fail(&tui, "the key was written to the terminal"));
    }

    // Saved in the config file, private.
    let config = dirs.config().join("autocalls-tui").join("config.toml");
    wait_path(&tui, &config)?;
    let text =
        std::fs::read_to_string(&config).map_err(|e| fail(&tui, &format!("{}: {e}", config.display())))?;
    let table: toml::Table =
        toml::from_str(&text).map_err(|e| fail(&tui, &format!("config.toml is not TOML ({e}):\n{text}")))?;
    check(
        &tui,
        table.get("api_key").and_then(|v| v.as_str()) == Some(key.as_str()),
        "config.toml holds the key as api_key",
        &text,
    )?;
    let mode = std::fs::metadata(&config).map(|m| m.permissions().mode() & 0o777).unwrap_or(0);
    check(&tui, mode == 0o600, "config.toml has mode 0600", &format!("{mode:o}"))?;

    // The key works for sending too.
    type_phone(&mut tui, &ADA)?;
    type_campaign_id(&mut tui, CAMPAIGN)?;
    tui.send(keys::CTRL_S);
    tui.wait_created(ADA.e164, TIMEOUT)?;
    quit_and_check_terminal(&mut tui)?;
    let leads = sandbox.state().leads();
    check(&tui, leads.len() == 1, "one lead on the server", &leads)?;
    Ok(())
}

// ─── 2. A rejected lead, fixed and sent again ───────────────────────────────────────────────────

#[test]
fn a_rejected_lead_is_loaded_back_fixed_and_sent() -> TestResult {
    let _timer = Timer::start("2 rejected, fixed, resent");
    let rt = runtime()?;
    let sandbox = start_sandbox(&rt, SandboxOptions::default())?;
    let dirs = Dirs::new();
    let mut tui = start_live(live_command(&dirs, &sandbox, &[]), DEFAULT)?;

    // A campaign the account does not have, typed as a number.
    type_phone(&mut tui, &GRACE)?;
    type_campaign_id(&mut tui, "999")?;
    tui.send(keys::CTRL_S);
    tui.send(keys::F3);
    tui.wait_for("History · 1", TIMEOUT)?;
    wait_line(&mut tui, &[GRACE.e164, "rejected"])?;
    show(&tui, "the rejected lead");
    check(&tui, sandbox.state().leads().is_empty(), "no lead on the server yet", &sandbox.state().leads())?;

    // What the server said about the campaign, as the history keeps it.
    let history = history_records(&dirs.history());
    let said = history
        .iter()
        .find(|r| r["type"] == "outcome" && r["status"] == "rejected")
        .and_then(|r| r["error"]["fields"]["campaign_id"][0].as_str().or(r["error"]["message"].as_str()))
        .map(str::to_owned)
        .ok_or_else(|| {
            fail(&tui, &format!("no rejection about the campaign in the history: {history:#?}"))
        })?;
    // Beside a field the message may be cut short; its start is there.
    let said_start: String = said.chars().take(24).collect();

    // `e` on the (only, selected) lead: into the form, with the server's reason beside Campaign.
    tui.send("e");
    tui.wait_for("New lead", TIMEOUT)?;
    wait_line(&mut tui, &["Phone", GRACE.e164, "✓"])?;
    wait_line(&mut tui, &["Campaign", "999", &format!("✗ {said_start}")])?;
    show(&tui, "the rejected lead loaded into the form");

    // Fix the campaign and send.
    move_focus_until(&mut tui, keys::TAB, "Campaign", |l| l.starts_with("▸Campaign"))?;
    wait_focus(&mut tui, "Campaign", |l| l.starts_with("▸Campaign"))?;
    tui.send(CTRL_U);
    tui.wait_until("the campaign field emptied", TIMEOUT, |s| {
        focused_line(s).is_some_and(|l| l.starts_with("▸Campaign") && !l.contains("999"))
    })?;
    tui.send(CAMPAIGN);
    wait_line(&mut tui, &["▸Campaign", CAMPAIGN])?;
    tui.send(keys::TAB);
    wait_focus(&mut tui, "the field after Campaign", |l| !l.starts_with("▸Campaign"))?;
    tui.send(keys::CTRL_S);
    tui.wait_created(GRACE.e164, TIMEOUT)?;
    show(&tui, "the fixed lead created");

    let state = sandbox.state();
    let leads = state.leads();
    check(&tui, leads.len() == 1, "exactly one lead on the server", &leads)?;
    check(&tui, leads[0].campaign_id == Some(CAMPAIGN_ID), "in the fixed campaign", &leads)?;
    check(&tui, leads[0].phone_number.as_deref() == Some(GRACE.e164), "with the phone", &leads)?;
    check(
        &tui,
        state.create_requests() == 2,
        "two create requests (rejected, created)",
        &state.create_requests(),
    )?;
    quit_and_check_terminal(&mut tui)?;
    Ok(())
}

// ─── 3. Offline, queued, resumed ────────────────────────────────────────────────────────────────

#[test]
fn a_lead_sent_while_offline_is_queued_and_goes_out_when_the_server_is_back() -> TestResult {
    let _timer = Timer::start("3 offline, queued, resumed");
    let rt = runtime()?;
    let port = free_port()?;
    let sandbox = start_sandbox_on(&rt, port)?;
    let dirs = Dirs::new();
    let mut tui = start_live(live_command(&dirs, &sandbox, &[]), WIDE)?;

    // The server goes away.
    rt.block_on(sandbox.shutdown());

    type_phone(&mut tui, &ALAN)?;
    type_campaign_id(&mut tui, CAMPAIGN)?;
    tui.send(keys::CTRL_S);
    // Queued, with a countdown to the next try, and the header says so.
    wait_line(&mut tui, &[ALAN.e164, "↻", "queued"])?;
    tui.wait_until("OFFLINE in the header", TIMEOUT, |s| {
        s.lines().next().is_some_and(|h| h.contains("OFFLINE"))
    })?;
    show(&tui, "offline, the lead queued");

    // The server comes back on the same address; nothing is touched.
    let back = start_sandbox_on(&rt, port)?;
    let since = Instant::now();
    wait_line_within(&mut tui, &[ALAN.e164, "✓ created"], Duration::from_secs(15))?;
    eprintln!("journey 3: created {:.1?} after the server came back", since.elapsed());
    show(&tui, "back online, the lead created");
    tui.wait_until("online again in the header", TIMEOUT, |s| {
        s.lines().next().is_some_and(|h| h.contains("online") && !h.contains("OFFLINE"))
    })?;
    let leads = back.state().leads();
    check(&tui, leads.len() == 1, "exactly one lead on the server that came back", &leads)?;
    check(&tui, leads_with(&leads, ALAN.e164) == 1, "with the phone", &leads)?;
    quit_and_check_terminal(&mut tui)?;
    Ok(())
}

// ─── 4. The history's search and detail view ────────────────────────────────────────────────────

#[test]
fn the_history_search_narrows_the_list_and_enter_opens_the_detail() -> TestResult {
    let _timer = Timer::start("4 history filter and detail");
    let rt = runtime()?;
    let sandbox = start_sandbox(&rt, SandboxOptions::default())?;
    let dirs = Dirs::new();
    let leads = [(&ADA, "Ada Lovelace"), (&GRACE, "Grace Hopper"), (&KATHERINE, "Katherine Johnson")];
    for (phone, name) in leads {
        let var = format!("customer_name={name}");
        let out = run_cli(
            &dirs,
            &sandbox,
            &["create", "--phone", phone.typed, "--campaign", CAMPAIGN, "--var", &var],
        )?;
        if !out.status.success() {
            return Err(Failure(format!(
                "`create` for {name} failed ({}):\n{}{}",
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )));
        }
    }

    let mut tui = start_live(live_command(&dirs, &sandbox, &[]), DEFAULT)?;
    tui.send(keys::F3);
    tui.wait_for("History · 3", TIMEOUT)?;
    for (phone, name) in leads {
        wait_line(&mut tui, &[phone.e164, name])?;
    }

    // `/` and part of one name: only that lead.
    tui.send("/");
    tui.wait_for("Esc clears", TIMEOUT)?;
    tui.send("hopp");
    tui.wait_for("History · 1 of 3", TIMEOUT)?;
    let only_grace = |s: &str| {
        line_with(s, &[GRACE.e164, "Grace Hopper"])
            && !s.contains("Ada Lovelace")
            && !s.contains("Katherine Johnson")
            && !s.contains(ADA.e164)
            && !s.contains(KATHERINE.e164)
    };
    tui.wait_until("only Grace Hopper listed", TIMEOUT, only_grace)?;
    show(&tui, "the history searched");

    // Enter keeps the filter; Enter again opens the lead.
    tui.send(keys::ENTER);
    // The footer goes back to the history's keys; the search stays in force.
    tui.wait_until("the search kept, no longer typed into", TIMEOUT, |s| {
        s.contains("History · 1 of 3")
            && line_with(s, &["/hopp", "Esc clears"])
            && s.contains("Enter details")
    })?;
    tui.send(keys::ENTER);
    tui.wait_for("Request as sent", TIMEOUT)?;
    tui.wait_for(&format!("Lead {}", GRACE.e164), TIMEOUT)?;
    wait_line(&mut tui, &["customer_name = Grace Hopper"])?;
    show(&tui, "the detail");

    // Esc closes the detail, the filter is still there; Esc again clears it.
    tui.send(keys::ESC);
    tui.wait_gone("Request as sent", TIMEOUT)?;
    tui.wait_until("the filtered list again", TIMEOUT, |s| s.contains("History · 1 of 3") && only_grace(s))?;
    tui.send(keys::ESC);
    tui.wait_for("History · 3", TIMEOUT)?;
    tui.wait_gone("1 of 3", TIMEOUT)?;
    for (phone, name) in leads {
        wait_line(&mut tui, &[phone.e164, name])?;
    }
    quit_and_check_terminal(&mut tui)?;
    Ok(())
}

// ─── 5. Resizing ────────────────────────────────────────────────────────────────────────────────

/// The form's typed values, each on its line.
fn typed_values_shown(screen: &str) -> bool {
    line_with(screen, &["Phone", KATHERINE.typed])
        && line_with(screen, &["Campaign", CAMPAIGN])
        && line_with(screen, &["customer_name", "Katherine Johnson"])
}

/// Both panes side by side, no tabs.
fn both_panes(screen: &str) -> bool {
    screen.contains("New lead") && screen.contains("History · ") && !screen.contains("Form F2")
}

#[test]
fn resizing_to_80x24_and_back_keeps_what_was_typed() -> TestResult {
    let _timer = Timer::start("5 resize");
    let rt = runtime()?;
    let sandbox = start_sandbox(&rt, SandboxOptions::default())?;
    let dirs = Dirs::new();
    let mut tui = start_live(live_command(&dirs, &sandbox, &[]), WIDE)?;
    tui.wait_until("both panes at 160x48", TIMEOUT, both_panes)?;

    type_phone(&mut tui, &KATHERINE)?;
    type_campaign_id(&mut tui, CAMPAIGN)?;
    // Leaving the campaign pre-fills rows for its variable names; on to the first value.
    focus_value_of(&mut tui, "customer_name")?;
    tui.send("Katherine Johnson");
    tui.wait_until("everything typed shown", TIMEOUT, typed_values_shown)?;

    tui.resize(NARROW.0, NARROW.1)?;
    tui.wait_until("the narrow layout with tabs, and what was typed", TIMEOUT, |s| {
        s.contains("Form F2") && s.contains("History F3") && typed_values_shown(s)
    })?;
    show(&tui, "resized to 80x24");
    // Exactly one redraw fits: nothing drawn past the new size.
    check(&tui, tui.size() == NARROW, "the emulated terminal is 80x24", &tui.size())?;

    tui.resize(WIDE.0, WIDE.1)?;
    tui.wait_until("both panes again, and what was typed", TIMEOUT, |s| {
        both_panes(s) && typed_values_shown(s)
    })?;
    show(&tui, "resized back to 160x48");

    // And it still sends what was typed.
    tui.send(keys::CTRL_S);
    tui.wait_created(KATHERINE.e164, TIMEOUT)?;
    let leads = sandbox.state().leads();
    check(&tui, leads.len() == 1, "one lead on the server", &leads)?;
    let name = leads[0].variables.as_ref().and_then(|v| v.get("customer_name")).cloned();
    check(
        &tui,
        name == Some(Value::from("Katherine Johnson")),
        "the variable typed before the resizes",
        &leads,
    )?;
    quit_and_check_terminal(&mut tui)?;
    Ok(())
}

// ─── 6. Quitting with a lead on its way ─────────────────────────────────────────────────────────

/// How long the sandbox takes to answer in these journeys.
const LATENCY: Duration = Duration::from_secs(3);

#[test]
fn quitting_with_a_lead_on_its_way_finishes_it_first() -> TestResult {
    let _timer = Timer::start("6a quit finishes the lead");
    let rt = runtime()?;
    let sandbox = start_sandbox(&rt, SandboxOptions { latency: LATENCY, ..SandboxOptions::default() })?;
    let dirs = Dirs::new();
    let mut tui = start_live(live_command(&dirs, &sandbox, &[]), DEFAULT)?;
    type_phone(&mut tui, &ADA)?;
    type_campaign_id(&mut tui, CAMPAIGN)?;
    let sent = Instant::now();
    tui.send(keys::CTRL_S);
    tui.send(keys::CTRL_Q);
    tui.wait_for("Finishing 1 lead", TIMEOUT)?;
    show(&tui, "quitting, finishing the lead");
    let status = tui.wait_exit(TIMEOUT + LATENCY)?;
    let took = sent.elapsed();
    check(&tui, status.success(), "the app exits successfully by itself", &status)?;
    check_terminal_restored(&tui)?;
    // It waited for the answer rather than leaving at once.
    check(&tui, took >= LATENCY, "the app left before the server answered", &took)?;

    let history = history_records(&dirs.history());
    check(
        &tui,
        history.iter().any(|r| r["type"] == "outcome" && r["status"] == "created"),
        "a created outcome in the history",
        &history,
    )?;
    let leads = sandbox.state().leads();
    check(&tui, leads_with(&leads, ADA.e164) == 1, "the lead on the server", &leads)?;
    Ok(())
}

/// Sends a lead to the slow server, then presses Ctrl-Q twice: the first says the app is
/// finishing the lead, the second (once the request has reached `server`) quits at once.
/// Checks the lead is left open in the history.
fn send_and_quit_twice(tui: &mut Tui, dirs: &Dirs, server: &SandboxState) -> TestResult {
    type_phone(tui, &ADA)?;
    type_campaign_id(tui, CAMPAIGN)?;
    tui.send(keys::CTRL_S);
    tui.send(keys::CTRL_Q);
    tui.wait_for("Finishing 1 lead", TIMEOUT)?;
    show(tui, "quitting, finishing the lead");
    // The second Ctrl-Q leaves the request behind at once: it must have reached the server.
    let asked = Instant::now();
    while server.create_requests() == 0 {
        check(tui, asked.elapsed() < TIMEOUT, "the create reached the server", &asked.elapsed())?;
        std::thread::sleep(Duration::from_millis(20));
    }
    let pressed = Instant::now();
    tui.send(keys::CTRL_Q);
    let status = tui.wait_exit(TIMEOUT)?;
    let took = pressed.elapsed();
    check(tui, status.success(), "the app exits successfully", &status)?;
    check_terminal_restored(tui)?;
    check(tui, took < LATENCY, "the second Ctrl-Q quits at once, before the answer", &took)?;
    // The lead is still open in the history: submitted, no outcome.
    let history = history_records(&dirs.history());
    check(
        tui,
        history.iter().filter(|r| r["type"] == "submitted").count() == 1
            && history.iter().all(|r| r["type"] != "outcome" || r["status"] == "pending"),
        "the lead left open (submitted, no outcome)",
        &history,
    )
}

/// The restart: the lead left open is shown, then looked up and shown created. Returns the
/// lead id the footer names.
fn restart_and_see_it_created(dirs: &Dirs, key: &str, base_url: &str) -> Result<(Tui, String), Failure> {
    let mut tui = start_live(live_command_to(dirs, key, base_url, &[]), DEFAULT)?;
    tui.send(keys::F3);
    tui.wait_for("History · 1", TIMEOUT)?;
    show(&tui, "restarted with the lead left open");
    // Taken over at once (the run that left it open has ended): looked up (one latency), maybe
    // sent (another).
    let lead_id = tui.wait_created(ADA.e164, TIMEOUT + 3 * LATENCY)?;
    wait_line(&mut tui, &[ADA.e164, "✓ created"])?;
    let history = history_records(&dirs.history());
    check(
        &tui,
        history
            .iter()
            .any(|r| r["type"] == "outcome" && r["status"] == "created" && r["lead_id"] == lead_id.as_str()),
        "a created outcome with the server's id in the history after the restart",
        &history,
    )?;
    Ok((tui, lead_id))
}

#[test]
fn quitting_twice_leaves_the_lead_open_and_the_next_start_finds_it_without_sending_again() -> TestResult {
    let _timer = Timer::start("6b quit twice, found by the lookup");
    let rt = runtime()?;
    // The request reaches the server, which creates the lead after the app has gone.
    let (state, base_url) = start_finishing_sandbox(&rt, LATENCY)?;
    let dirs = Dirs::new();
    let mut tui = start_live(live_command_to(&dirs, DEMO_KEY, &base_url, &[]), DEFAULT)?;
    send_and_quit_twice(&mut tui, &dirs, &state)?;
    // The first run's request creates the lead on the server after all.
    let start = Instant::now();
    while leads_with(&state.leads(), ADA.e164) == 0 {
        if start.elapsed() >= TIMEOUT {
            return Err(fail(&tui, "the first run's request never created the lead on the server"));
        }
        std::thread::sleep(POLL);
    }
    let server_id = state.leads()[0].id.clone();
    check(&tui, state.create_requests() == 1, "one create request so far", &state.create_requests())?;
    drop(tui);

    let (mut tui, lead_id) = restart_and_see_it_created(&dirs, DEMO_KEY, &base_url)?;
    let leads = state.leads();
    check(&tui, leads_with(&leads, ADA.e164) == 1, "exactly one lead with the phone on the server", &leads)?;
    check(
        &tui,
        lead_id == server_id,
        "the lead found is the one the first run created",
        &(&lead_id, &leads),
    )?;
    check(&tui, state.create_requests() == 1, "not sent again after the restart", &state.create_requests())?;
    quit_and_check_terminal(&mut tui)?;
    Ok(())
}

/// The same with the plain sandbox, which drops a request whose client hangs up during its
/// latency: nothing was created, so the lookup finds nothing and the lead is sent once more.
#[test]
fn quitting_twice_before_the_server_acted_and_the_next_start_sends_it_once() -> TestResult {
    let _timer = Timer::start("6c quit twice, not found, sent once");
    let rt = runtime()?;
    let sandbox = start_sandbox(&rt, SandboxOptions { latency: LATENCY, ..SandboxOptions::default() })?;
    let dirs = Dirs::new();
    let mut tui = start_live(live_command(&dirs, &sandbox, &[]), DEFAULT)?;
    send_and_quit_twice(&mut tui, &dirs, &sandbox.state())?;
    check(
        &tui,
        sandbox.state().create_requests() == 1,
        "one create request so far",
        &sandbox.state().create_requests(),
    )?;
    drop(tui);

    let (mut tui, _) = restart_and_see_it_created(&dirs, sandbox.key(), &sandbox.base_url())?;
    let state = sandbox.state();
    let leads = state.leads();
    check(&tui, leads_with(&leads, ADA.e164) == 1, "exactly one lead with the phone on the server", &leads)?;
    check(&tui, state.create_requests() <= 2, "sent at most once more", &state.create_requests())?;
    quit_and_check_terminal(&mut tui)?;
    Ok(())
}
