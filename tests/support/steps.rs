//! Steps the end-to-end tests take with the app in a terminal, written once: waiting for a line
//! on the screen or for a file, waiting for a live app's form to be ready, failing with the
//! screen attached, and quitting with the checks that the app left cleanly. Every wait polls
//! (every [`POLL`]) until its condition holds or [`TIMEOUT`] passes.

use std::path::Path;
use std::time::{Duration, Instant};

use super::{Dirs, Failure, POLL, TIMEOUT, TestResult, Tui, keys};

/// A failure with the screen attached.
pub fn fail(tui: &Tui, what: &str) -> Failure {
    Failure(tui.failure(what))
}

/// Checks a condition about the screen, files or a server, failing with the screen and `detail`.
pub fn check(tui: &Tui, ok: bool, what: &str, detail: &dyn std::fmt::Debug) -> TestResult {
    if ok { Ok(()) } else { Err(fail(tui, &format!("{what}\n{detail:#?}"))) }
}

/// Whether one screen line holds every one of `parts`.
pub fn line_with(screen: &str, parts: &[&str]) -> bool {
    screen.lines().any(|l| parts.iter().all(|p| l.contains(p)))
}

/// Waits until one line holds every one of `parts`.
pub fn wait_line(tui: &mut Tui, parts: &[&str]) -> TestResult {
    wait_line_within(tui, parts, TIMEOUT)
}

/// Waits until one line holds every one of `parts`, for at most `timeout`.
pub fn wait_line_within(tui: &mut Tui, parts: &[&str], timeout: Duration) -> TestResult {
    tui.wait_until(&format!("a line with {parts:?}"), timeout, |s| line_with(s, parts))?;
    Ok(())
}

/// Waits until `path` exists (the app writes a cache file once it holds what it caches),
/// failing with the screen.
pub fn wait_path(tui: &Tui, path: &Path) -> TestResult {
    let start = Instant::now();
    while !path.exists() {
        if start.elapsed() >= TIMEOUT {
            return Err(fail(tui, &format!("{} never appeared", path.display())));
        }
        std::thread::sleep(POLL);
    }
    Ok(())
}

/// Waits until an app started against a test server on 127.0.0.1 shows its form with the
/// campaigns loaded (the hint beside the empty campaign field changes from "loading
/// campaigns…") and the assistants' variable names cached in `dirs` (picking a campaign before
/// they arrive would pre-fill no rows).
pub fn wait_live_form(tui: &mut Tui, dirs: &Dirs) -> TestResult {
    tui.wait_for("New lead", TIMEOUT)?;
    tui.wait_for("LIVE 127.0.0.1", TIMEOUT)?;
    tui.wait_for("type to filter · Enter takes", TIMEOUT)?;
    wait_path(tui, &dirs.cache().join("autocalls-tui").join("assistants.json"))
}

/// Quits with Ctrl-Q (nothing on its way) and checks the app exited successfully.
pub fn quit(tui: &mut Tui) -> TestResult {
    tui.send(keys::CTRL_Q);
    let status = tui.wait_exit(TIMEOUT)?;
    if !status.success() {
        return Err(fail(tui, &format!("the app did not exit successfully: {status}")));
    }
    Ok(())
}

/// After the app exited: the terminal is as a shell expects it (the main screen, the cursor
/// shown, bracketed paste off, cooked mode).
pub fn check_terminal_restored(tui: &Tui) -> TestResult {
    check(tui, !tui.alternate_screen(), "the terminal is still on the alternate screen after exit", &())?;
    check(tui, !tui.with_screen(vt100::Screen::hide_cursor), "the cursor is still hidden after exit", &())?;
    check(
        tui,
        !tui.with_screen(vt100::Screen::bracketed_paste),
        "bracketed paste is still on after exit",
        &(),
    )?;
    check(tui, tui.cooked_mode() != Some(false), "the terminal is still in raw mode after exit", &())
}

/// [`quit`], then [`check_terminal_restored`]: the app left cleanly and gave the terminal back.
pub fn quit_and_check_terminal(tui: &mut Tui) -> TestResult {
    quit(tui)?;
    check_terminal_restored(tui)
}
