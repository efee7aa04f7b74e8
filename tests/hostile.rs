//! Terminal safety: the real binary in a pseudo-terminal against a hostile API on loopback that
//! puts escape sequences (window title, clipboard write, screen clear, colours, C1 controls, DCS)
//! and bidirectional overrides into every string it sends, with a history file and a cache
//! written by hand in the same spirit, and hostile text pasted in. The screen must stay intact:
//! no window title set, no clipboard written, nothing cleared, no colour changed by the server,
//! no bidi override or control sequence passed on, and no remains of a sequence drawn as text.
//!
//! Ratatui drops control characters itself when it fills its buffer, so a sequence that skipped
//! the app's cleaning would not reach the terminal whole; what would is its printable rest
//! (`]0;pwned`, `[31m`) and every bidi override (they are not control characters). Those are
//! what the checks look for, in every frame the app drew and in every byte it wrote. (A C1 CSI,
//! U+009B, is a control character too: ratatui drops it and leaves its parameters, `31mCsi`.)
//! `HOSTILE_DUMP=1` prints the screen at every check.
#![allow(clippy::unwrap_used, reason = "a test or bench stops loudly at what it did not expect")]

mod support;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use support::capture::{contains_bytes, replay};
use support::steps::{line_with, wait_line};
use support::{Dirs, Failure, TIMEOUT, TestResult, Tui, keys, wait_focus};

/// A campaign name: a window title, a screen clear, red, and a right-to-left override. Cleaned,
/// it reads `EvilREDtxet`.
const EVIL: &str = "Evil\u{1b}]0;pwned\u{7}\u{1b}[2J\u{1b}[31mRED\u{202e}txet";
const EVIL_CLEAN: &str = "EvilREDtxet";
/// Another: cursor home and clear, a C1 CSI, isolates, a DCS request.
const WIPE: &str = "Wipe\u{1b}[H\u{1b}[2J\u{1b}[3JOut\u{9b}31mCsi\u{2066}Iso\u{2069}\u{1b}P1$qm\u{1b}\\End";
const WIPE_CLEAN: &str = "WipeOutCsiIsoEnd";
/// The account's name: a clipboard write (OSC 52, "pwned" in base64) and a title (OSC 2).
const ME_NAME: &str = "Mal\u{1b}]52;c;cHduZWQ=\u{7}lory\u{1b}]2;pwned\u{1b}\\";
const ME_CLEAN: &str = "Mallory";
/// The 422 answer's message and field error.
const REJECT_MESSAGE: &str = "The\u{1b}[31m phone\u{1b}]0;pwned\u{7} is \u{202e}invalid\u{1b}[2J";
const REJECT_CLEAN: &str = "The phone is invalid";
const FIELD_ERROR: &str = "Bad\u{1b}[31m number\u{1b}]52;c;cHduZWQ=\u{7}\u{202e}";
const FIELD_CLEAN: &str = "Bad number";
/// Pasted into a variable value (no `=`, so it is one value, not a pair).
const PASTE: &str = "Paste\u{1b}]0;pwned\u{7}\u{1b}[31mRED\u{202e}Text\u{1b}]52;c;cHduZWQ\u{7}";
const PASTE_CLEAN: &str = "PasteREDText";

/// What is left on the screen when a sequence was not removed whole: its printable rest. A
/// sequence shown JSON-escaped (`\u001b[31m`, in the raw view of a server answer) is inert text
/// and is told apart.
const RESIDUE: &[&str] = &[
    "]0;", "]2;", "]52;", "cHduZWQ", "pwned", "[31m", "[2J", "[3J", "[2K", "[5m", "[1;31m", "P1$qm", "31mCsi",
];
/// Bidirectional controls (Trojan Source) and the invisible marks that act like them.
const BIDI: &[char] = &[
    '\u{061c}', '\u{200e}', '\u{200f}', '\u{202a}', '\u{202b}', '\u{202c}', '\u{202d}', '\u{202e}',
    '\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}',
];

/// How the hostile server answers `POST /user/lead`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CreateMode {
    /// 422 with a hostile message and field errors.
    Reject,
    /// 200 with a lead whose every string is hostile.
    Create,
    /// 200 with a lead whose id cannot be read, the error quoting the hostile value.
    BrokenId,
}

/// The hostile server's switches.
#[derive(Clone)]
struct Hostile {
    create: Arc<Mutex<CreateMode>>,
    /// Campaigns and assistants answer 503 (so a cached list stays in use).
    lists_fail: Arc<AtomicBool>,
    /// `GET /user/me` answers 401 with a hostile message.
    refuse_key: Arc<AtomicBool>,
    creates: Arc<AtomicUsize>,
}

impl Hostile {
    fn new() -> Hostile {
        Hostile {
            create: Arc::new(Mutex::new(CreateMode::Reject)),
            lists_fail: Arc::new(AtomicBool::new(false)),
            refuse_key: Arc::new(AtomicBool::new(false)),
            creates: Arc::new(AtomicUsize::new(0)),
        }
    }

    fn set_create(&self, mode: CreateMode) {
        *self.create.lock().unwrap() = mode;
    }
}

fn answer(status: StatusCode, body: Value) -> Response {
    (status, axum::Json(body)).into_response()
}

async fn me(State(h): State<Hostile>) -> Response {
    if h.refuse_key.load(Ordering::SeqCst) {
        let message = "Un\u{1b}]0;pwned\u{7}auth\u{1b}[31mRED\u{202e}enticated\u{1b}[2J";
        return answer(StatusCode::UNAUTHORIZED, json!({ "message": message }));
    }
    answer(StatusCode::OK, json!({ "name": ME_NAME, "email": "x\u{1b}]0;pwned\u{7}@evil.test" }))
}

async fn campaigns(State(h): State<Hostile>) -> Response {
    if h.lists_fail.load(Ordering::SeqCst) {
        return answer(StatusCode::SERVICE_UNAVAILABLE, json!({ "message": "Down\u{1b}]0;pwned\u{7}" }));
    }
    answer(
        StatusCode::OK,
        json!([
            { "id": 12, "name": EVIL, "status": "in\u{1b}[5m-progress\u{202d}" },
            { "id": 13, "name": WIPE, "status": "dr\u{1b}]0;pwned\u{7}aft" },
        ]),
    )
}

async fn assistants(State(h): State<Hostile>) -> Response {
    if h.lists_fail.load(Ordering::SeqCst) {
        return answer(StatusCode::SERVICE_UNAVAILABLE, json!({ "message": "Down\u{1b}]0;pwned\u{7}" }));
    }
    answer(
        StatusCode::OK,
        json!([{
            "id": 4,
            "name": "As\u{1b}[1;31msistant\u{202e}",
            "type": "outbound",
            "variables": {
                "cust\u{1b}[31mname": "\u{1b}]0;pwned\u{7}",
                "mail\u{1b}[2K\u{2067}box": "de\u{1b}[31mfault",
            },
        }]),
    )
}

async fn create_lead(State(h): State<Hostile>) -> Response {
    h.creates.fetch_add(1, Ordering::SeqCst);
    let mode = *h.create.lock().unwrap();
    match mode {
        CreateMode::Reject => answer(
            StatusCode::UNPROCESSABLE_ENTITY,
            json!({
                "message": REJECT_MESSAGE,
                "errors": { "phone\u{1b}[2J_number": [FIELD_ERROR] },
            }),
        ),
        CreateMode::Create => answer(
            StatusCode::OK,
            json!({
                "message": "Lead\u{1b}]0;pwned\u{7} created",
                "data": {
                    "id": "777\u{1b}[31m",
                    "campaign_id": 12,
                    "phone_number": "+14155550112\u{1b}[31m",
                    "variables": { "custname": "\u{1b}[31mx\u{202e}" },
                    "status": "cre\u{1b}[31mated\u{202e}",
                    "created_at": "2025\u{1b}[2J-06-30 11:53:20",
                    "campaign": { "id": 12, "name": EVIL },
                },
            }),
        ),
        CreateMode::BrokenId => answer(
            StatusCode::OK,
            json!({ "data": { "id": { "x": "Id\u{1b}]0;pwned\u{7}\u{202e}\u{9b}31mCsi" }, "campaign_id": 12 } }),
        ),
    }
}

async fn leads() -> Response {
    answer(
        StatusCode::OK,
        json!({
            "data": [{
                "id": "777",
                "campaign_id": 12,
                "phone_number": "+14155550112",
                "status": "sched\u{1b}]0;pwned\u{7}uled\u{1b}[31m\u{202e}",
                "created_at": "2025-06-30 11:53:20",
            }],
            "current_page": 1,
            "last_page": 1,
            "total": 1,
        }),
    )
}

/// The hostile server on its own runtime (dropped last).
struct Server {
    hostile: Hostile,
    base_url: String,
    _rt: tokio::runtime::Runtime,
}

impl Server {
    fn start() -> Result<Server, Failure> {
        let rt = tokio::runtime::Runtime::new().map_err(|e| Failure(format!("a tokio runtime: {e}")))?;
        let hostile = Hostile::new();
        let app = Router::new()
            .route("/api/user/me", get(me))
            .route("/api/user/campaigns", get(campaigns))
            .route("/api/user/assistants/outbound", get(assistants))
            .route("/api/user/lead", post(create_lead))
            .route("/api/user/leads", get(leads))
            .with_state(hostile.clone());
        let listener = rt
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .map_err(|e| Failure(format!("binding the hostile server: {e}")))?;
        let addr = listener.local_addr().map_err(|e| Failure(e.to_string()))?;
        rt.spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Server { hostile, base_url: format!("http://{addr}/api"), _rt: rt })
    }
}

/// Starts the app against the server with the test's directories, in a 100x30 terminal.
fn spawn(server: &Server, dirs: &Dirs) -> Tui {
    spawn_sized(server, dirs, support::ROWS, support::COLS)
}

/// Wide enough for a long notice (a file path, then the parser's message) to be drawn whole:
/// the footer cuts what does not fit, which would hide what is checked.
const WIDE: u16 = 320;

fn spawn_sized(server: &Server, dirs: &Dirs, rows: u16, cols: u16) -> Tui {
    let env = [("AUTOCALLS_API_KEY", "1|hostile-test-key"), ("AUTOCALLS_BASE_URL", server.base_url.as_str())];
    Tui::spawn_command_sized(dirs.command_with_env(&["--region", "US"], &env), rows, cols)
}

/// What the checks found, and what they saw but let pass. A line drawn in many frames is told
/// once, with the first place it was seen and how many places showed it.
#[derive(Default)]
struct Findings {
    failures: Vec<(String, usize)>,
    notes: Vec<(String, usize)>,
}

fn tally(list: &mut Vec<(String, usize)>, what: String) {
    match list.iter_mut().find(|(w, _)| *w == what) {
        Some((_, n)) => *n += 1,
        None => list.push((what, 1)),
    }
}

impl Findings {
    fn fail(&mut self, what: String) {
        tally(&mut self.failures, what);
    }

    fn verdict(self) -> TestResult {
        let show = |(what, n): &(String, usize)| {
            if *n > 1 { format!("{what} (seen {n} times)") } else { what.clone() }
        };
        for note in &self.notes {
            eprintln!("note: {}", show(note));
        }
        if self.failures.is_empty() {
            return Ok(());
        }
        let all: Vec<String> = self.failures.iter().map(show).collect();
        Err(Failure(format!(
            "the terminal was not kept safe: {} finding(s)\n- {}",
            all.len(),
            all.join("\n- ")
        )))
    }
}

/// Looks at one screen's text for the remains of sequences and for controls; `where_` names it
/// for the report (first place seen).
fn residue(text: &str, where_: &str, findings: &mut Findings) {
    let mut lines: Vec<(String, Vec<&str>, bool)> = Vec::new();
    for marker in RESIDUE {
        for (at, _) in text.match_indices(marker) {
            let before = &text[..at];
            let line_start = before.rfind('\n').map_or(0, |i| i + 1);
            let line_end = text[at..].find('\n').map_or(text.len(), |i| at + i);
            let line = text[line_start..line_end].trim().to_owned();
            // `\u001b[31m` or `\u0007` spelled out by a JSON printer is inert text.
            let escaped =
                ["\\u001b", "\\u001b]0;", "\\u001b]52;c;", "\\u001b]2;"].iter().any(|e| before.ends_with(e));
            match lines.iter_mut().find(|(l, _, e)| *l == line && *e == escaped) {
                Some((_, markers, _)) if markers.contains(marker) => {}
                Some((_, markers, _)) => markers.push(marker),
                None => lines.push((line, vec![marker], escaped)),
            }
        }
    }
    for (line, markers, escaped) in lines {
        if escaped {
            let _ = where_;
            tally(&mut findings.notes, format!("shown JSON-escaped (inert) {markers:?}: {line:?}"));
        } else {
            findings
                .fail(format!("the remains of escape sequences {markers:?} reach the terminal: {line:?}"));
        }
    }
    if let Some(c) = text.chars().find(|c| BIDI.contains(c) || (c.is_control() && !matches!(c, '\n' | '\t')))
    {
        let line = text.lines().find(|l| l.contains(c)).unwrap_or_default();
        findings.fail(format!("{where_} holds U+{:04X}: {line:?}", c as u32));
    }
}

/// Every place "RED" (what the server wanted in red) is drawn in other colours or attributes
/// than the character before it, which belongs to the same string.
fn recoloured(screen: &vt100::Screen) -> Vec<String> {
    let (rows, cols) = screen.size();
    let mut found = Vec::new();
    for row in 0..rows.get() {
        let cells: Vec<(u16, &vt100::Cell)> = (0..cols.get())
            .filter_map(|col| screen.cell(row, col).map(|cell| (col, cell)))
            .filter(|(_, cell)| !cell.is_wide_continuation())
            .collect();
        for i in 1..cells.len().saturating_sub(2) {
            let word: String = cells[i..i + 3].iter().map(|(_, c)| c.contents()).collect();
            if word != "RED" {
                continue;
            }
            let before = cells[i - 1].1;
            let look = |c: &vt100::Cell| (c.fgcolor(), c.bgcolor(), c.bold(), c.inverse(), c.underline());
            for (col, cell) in &cells[i..i + 3] {
                if look(cell) != look(before) {
                    found.push(format!(
                        "row {row}, column {col}: {:?} is drawn as {:?}, the character before it as {:?}",
                        cell.contents(),
                        look(cell),
                        look(before)
                    ));
                }
            }
        }
    }
    found
}

/// Checks the live screen now: no remains of sequences, no recoloured "RED", the header and a
/// pane still drawn. Returns how many "RED"s it saw, so a test can insist on seeing one.
fn check_now(tui: &Tui, step: &str, findings: &mut Findings) -> usize {
    if std::env::var_os("HOSTILE_DUMP").is_some() {
        eprintln!("{step}:\n{}", tui.dump());
    }
    let screen = tui.screen();
    residue(&screen, &format!("the screen at {step}"), findings);
    for problem in tui.with_screen(recoloured) {
        findings
            .fail(format!("at {step}, the server's colour reached the screen: {problem}\n{}", tui.dump()));
    }
    let rows = tui.rows();
    if !rows.first().is_some_and(|r| r.contains("autocalls-tui") && r.contains("LIVE 127.0.0.1")) {
        findings.fail(format!("at {step}, the header is gone (the screen was cleared?)\n{}", tui.dump()));
    }
    if !rows.iter().any(|r| r.contains('┏') || r.contains('╔')) {
        findings.fail(format!("at {step}, no pane is drawn (the screen was cleared?)\n{}", tui.dump()));
    }
    screen.matches("RED").count()
}

/// After the app exited: its whole output replayed frame by frame, and its raw bytes.
fn check_output(tui: &Tui, findings: &mut Findings) {
    let raw = tui.raw_bytes();
    let (rows, cols) = tui.size();
    let replayed = replay(&raw, rows, cols);
    let requests = &replayed.requests;
    if !requests.titles.is_empty() || !requests.icon_names.is_empty() {
        findings.fail(format!("the window title was set: {:?} {:?}", requests.titles, requests.icon_names));
    }
    if !requests.clipboard_writes.is_empty() || requests.clipboard_reads > 0 {
        findings.fail(format!("the clipboard was used: {:?}", requests.clipboard_writes));
    }
    if !requests.other_osc.is_empty() {
        findings.fail(format!("OSC strings were written: {:?}", requests.other_osc));
    }
    if !requests.resizes.is_empty() {
        findings.fail(format!("the terminal was asked to resize: {:?}", requests.resizes));
    }
    if requests.bells > 0 {
        findings.fail(format!("{} bell(s) rang", requests.bells));
    }
    for (what, bytes) in [
        ("an OSC introducer ESC ]", &b"\x1b]"[..]),
        ("OSC 52 (clipboard)", b"\x1b]52"),
        ("OSC 0 (title)", b"\x1b]0;"),
        ("a DCS introducer ESC P", b"\x1bP"),
        ("a BEL", b"\x07"),
    ] {
        if contains_bytes(&raw, bytes) {
            findings.fail(format!("the app wrote {what} to the terminal"));
        }
    }
    let text = String::from_utf8_lossy(&raw);
    for c in BIDI {
        if text.contains(*c) {
            findings
                .fail(format!("the app wrote the bidirectional control U+{:04X} to the terminal", *c as u32));
        }
    }
    if let Some(c) = text.chars().find(|c| ('\u{80}'..='\u{9f}').contains(c)) {
        findings.fail(format!("the app wrote the C1 control U+{:04X} to the terminal", c as u32));
    }
    // Every frame, not only the ones the test looked at: a notice shown for a moment counts.
    // From the first frame with the header to the last, the header stays (nothing cleared it).
    let with_header: Vec<usize> = replayed
        .frames
        .iter()
        .enumerate()
        .filter(|(_, f)| f.lines().next().is_some_and(|l| l.contains("autocalls-tui")))
        .map(|(i, _)| i)
        .collect();
    if let (Some(&first), Some(&last)) = (with_header.first(), with_header.last()) {
        for (i, frame) in replayed.frames.iter().enumerate().take(last + 1).skip(first) {
            if !with_header.contains(&i) {
                findings.fail(format!("frame {i} lost the header (the screen was cleared?):\n{frame}"));
            }
        }
    } else {
        findings.fail("no frame ever showed the header".into());
    }
    for (i, frame) in replayed.frames.iter().enumerate() {
        residue(frame, &format!("frame {i}"), findings);
    }
}

/// Quits with Ctrl-Q and waits for the app to end; a second Ctrl-Q when a lead is still on its
/// way (the app waits for it after the first).
fn quit(tui: &mut Tui) -> TestResult {
    tui.send(keys::CTRL_Q);
    if tui.wait_exit(Duration::from_secs(3)).is_err() {
        tui.send(keys::CTRL_Q);
        tui.wait_exit(TIMEOUT)?;
    }
    Ok(())
}

/// Writes `text` to `path` with mode 0600 in a 0700 directory, as the app would.
fn write_private(path: &std::path::Path, text: &str) {
    use std::io::Write;
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
    std::fs::DirBuilder::new().recursive(true).mode(0o700).create(path.parent().unwrap()).unwrap();
    let mut file =
        std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(path).unwrap();
    file.write_all(text.as_bytes()).unwrap();
}

fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

fn now() -> String {
    jiff::Timestamp::now().to_string()
}

/// Every string from the server, through every view: the header, the campaign list, the form's
/// pre-filled rows, a refusal with field errors, the history and the detail, a created lead, the
/// server statuses, and an answer the app cannot read that quotes hostile text. Pasted text too.
#[test]
fn hostile_server_strings_and_pastes_never_reach_the_terminal() -> TestResult {
    let server = Server::start()?;
    let dirs = Dirs::new();
    let mut tui = spawn(&server, &dirs);
    let mut findings = Findings::default();
    tui.wait_for("New lead", TIMEOUT)?;
    tui.wait_for(ME_CLEAN, TIMEOUT)?;
    tui.wait_for("type to filter · Enter takes", TIMEOUT)?;
    check_now(&tui, "the start", &mut findings);

    // A phone pasted with a title sequence and an override after it.
    tui.paste("+1 415 555 0111\u{1b}]0;pwned\u{7}\u{202e}");
    wait_line(&mut tui, &["✓ +14155550111 US"])?;
    check_now(&tui, "the pasted phone", &mut findings);

    // The campaign list: Tab to the field (it follows Phone while no campaign is set), Enter
    // opens the list (entering the field alone does not).
    tui.send(keys::TAB);
    wait_focus(&mut tui, "Campaign", |l| l.starts_with("▸Campaign"))?;
    tui.send(keys::ENTER);
    tui.wait_for(EVIL_CLEAN, TIMEOUT)?;
    tui.wait_for(WIPE_CLEAN, TIMEOUT)?;
    let reds = check_now(&tui, "the campaign list", &mut findings);
    assert!(reds > 0, "{}", tui.failure("the campaign list shows no \"RED\" to check the colour of"));

    // Taken by id: the hint names it, rows are pre-filled with the assistants' (cleaned) names.
    tui.send("12");
    tui.send(keys::ENTER);
    wait_line(&mut tui, &["Campaign", &format!("✓ {EVIL_CLEAN}"), "in-progress"])?;
    wait_line(&mut tui, &["custname", "="])?;
    wait_line(&mut tui, &["mailbox", "="])?;
    wait_focus(&mut tui, "a row", |l| l.starts_with("▸ custname"))?;
    check_now(&tui, "the pre-filled rows", &mut findings);

    // Pastes into the variables: one value, then a `name=value` pair.
    tui.paste(PASTE);
    tui.wait_for(PASTE_CLEAN, TIMEOUT)?;
    check_now(&tui, "a pasted value", &mut findings);
    tui.paste("note\u{1b}[31m=Val\u{1b}]0;pwned\u{7}\u{202e}ue");
    wait_line(&mut tui, &["note", "Value"])?;
    check_now(&tui, "a pasted pair", &mut findings);

    // Refused with a hostile message and field errors.
    tui.send(keys::CTRL_S);
    tui.wait_for(REJECT_CLEAN, TIMEOUT)?;
    check_now(&tui, "the refusal", &mut findings);
    tui.send(keys::F3);
    tui.wait_until("the refused lead in the history", TIMEOUT, |s| s.contains("rejected"))?;
    check_now(&tui, "the history", &mut findings);
    tui.send(keys::ENTER);
    tui.wait_for("Request as sent", TIMEOUT)?;
    tui.wait_for(FIELD_CLEAN, TIMEOUT)?;
    wait_line(&mut tui, &["phone_number", FIELD_CLEAN])?;
    check_now(&tui, "the refused lead's detail", &mut findings);
    tui.send(keys::ESC);
    tui.wait_gone("Request as sent", TIMEOUT)?;

    // Created, with a hostile id, status and campaign.
    server.hostile.set_create(CreateMode::Create);
    tui.send(keys::F2);
    tui.wait_for("New lead", TIMEOUT)?;
    tui.paste("+1 415 555 0112");
    wait_line(&mut tui, &["✓ +14155550112 US"])?;
    tui.send(keys::CTRL_S);
    tui.wait_for("Created +14155550112 (lead #777)", TIMEOUT)?;
    check_now(&tui, "the created lead's notice", &mut findings);
    tui.send(keys::F3);
    tui.wait_until("the created lead in the history", TIMEOUT, |s| {
        line_with(s, &["+14155550112", "created"])
    })?;
    let reds = check_now(&tui, "the history with a created lead", &mut findings);
    assert!(reds > 0, "{}", tui.failure("the history shows no \"RED\" of the campaign's name"));
    // The server's statuses, refreshed.
    tui.send("s");
    tui.wait_for("scheduled", TIMEOUT)?;
    check_now(&tui, "the refreshed server status", &mut findings);
    tui.send(keys::ENTER);
    tui.wait_for("Server's answer", TIMEOUT)?;
    check_now(&tui, "the created lead's detail", &mut findings);
    tui.send(keys::ESC);
    tui.wait_gone("Server's answer", TIMEOUT)?;

    // An answer the app cannot read, whose error quotes the hostile value.
    server.hostile.set_create(CreateMode::BrokenId);
    tui.send(keys::F2);
    tui.wait_for("New lead", TIMEOUT)?;
    tui.paste("+1 415 555 0113");
    wait_line(&mut tui, &["✓ +14155550113 US"])?;
    let creates = server.hostile.creates.load(Ordering::SeqCst);
    tui.send(keys::CTRL_S);
    tui.wait_until("the unreadable answer reported", TIMEOUT, |s| {
        s.contains("+14155550113") && s.contains("unknown")
    })?;
    assert!(server.hostile.creates.load(Ordering::SeqCst) > creates, "the third lead was never sent");
    // Then a refusal, which ends its sending (the app would otherwise send it again and again,
    // see the report); its detail keeps the unreadable answer among the attempts.
    server.hostile.set_create(CreateMode::Reject);
    check_now(&tui, "the unreadable answer", &mut findings);
    // Its detail shows the whole error, wrapped (the footer cuts it at the screen's edge).
    tui.send(keys::F3);
    tui.wait_until("the third lead first in the history", TIMEOUT, |s| {
        s.lines().find(|l| l.contains("+1415555011")).is_some_and(|l| l.contains("+14155550113"))
    })?;
    tui.send(keys::ENTER);
    tui.wait_for("Lead +14155550113", TIMEOUT)?;
    tui.wait_for("id is not a number or string", TIMEOUT)?;
    check_now(&tui, "the unreadable answer's detail", &mut findings);
    tui.send(keys::ESC);
    tui.wait_gone("Lead +14155550113", TIMEOUT)?;

    quit(&mut tui)?;
    check_output(&tui, &mut findings);
    findings.verdict()
}

/// A history file and a cache written by hand with hostile strings in every field a person
/// reads: the history list, the detail (variables, secondary contacts, error, field errors,
/// server's answer), the campaign list and hint from the cache, a search pasted into the filter.
#[test]
fn a_hostile_history_file_and_cache_are_drawn_clean() -> TestResult {
    let server = Server::start()?;
    // The server is down for lists, so the cached ones stay in use.
    server.hostile.lists_fail.store(true, Ordering::SeqCst);
    let dirs = Dirs::new();
    let (rejected, created) = (new_id(), new_id());
    let records = [
        json!({
            "v": 1, "local_id": rejected, "at": now(), "type": "submitted", "origin": "tu\u{1b}[31mi",
            "request": {
                "phone_number": "+14155550121",
                "campaign_id": 12,
                "variables": {
                    "customer_name": "Hist\u{1b}]0;pwned\u{7}\u{1b}[31mRED\u{202e}ory",
                    "no\u{1b}[2Jte": "Va\u{1b}]52;c;cHduZWQ\u{7}lue",
                },
                "allow_dupplicate": false,
                "secondary_contacts": [{
                    "phone_number": "+14155550122",
                    "variables": { "sec\u{1b}[31mond": "Sec\u{2066}ond\u{1b}[2K" },
                }],
            },
        }),
        json!({
            "v": 1, "local_id": rejected, "at": now(), "type": "outcome", "status": "rejected",
            "error": {
                "kind": "rejected",
                "message": "Hist\u{1b}]0;pwned\u{7}Err\u{202e}or",
                "http_status": 422,
                "fields": { "phone\u{1b}[31m_number": ["Fi\u{1b}[2Jeld\u{1b}]52;c;cHduZWQ\u{7}"] },
            },
        }),
        json!({
            "v": 1, "local_id": created, "at": now(), "type": "submitted", "origin": "cli",
            "request": {
                "phone_number": "+14155550123",
                "campaign_id": 99,
                "variables": { "customer_name": "Cre\u{1b}[31mated\u{202e}" },
                "allow_dupplicate": false,
            },
        }),
        json!({
            "v": 1, "local_id": created, "at": now(), "type": "outcome", "status": "created",
            "lead_id": "55\u{1b}[31m",
            "campaign_name": "Camp\u{1b}]0;pwned\u{7}Hist\u{1b}[31mRED\u{202e}",
            "response": {
                "id": "55\u{1b}]0;pwned\u{7}",
                "status": "cre\u{1b}[31mated\u{202e}",
                "campaign": { "id": 99, "name": "Resp\u{1b}]0;pwned\u{7}onse\u{202e}" },
            },
        }),
    ];
    let lines: String = records.iter().map(|r| format!("{r}\n")).collect();
    write_private(&dirs.history(), &lines);
    let cache = dirs.cache().join("autocalls-tui");
    let campaigns = json!({
        "v": 1, "fetched_at": now(),
        "items": [{ "id": 12, "name": "Cached\u{1b}]0;pwned\u{7}\u{1b}[31mRED\u{202e}Cache", "status": "dr\u{1b}[31maft" }],
    });
    write_private(&cache.join("campaigns.json"), &campaigns.to_string());
    let assistants = json!({
        "v": 1, "fetched_at": now(),
        "items": [{ "id": 4, "name": "A\u{1b}[31m", "variables": { "cache\u{1b}[31mvar\u{202e}": "" } }],
    });
    write_private(&cache.join("assistants.json"), &assistants.to_string());

    let mut tui = spawn(&server, &dirs);
    let mut findings = Findings::default();
    tui.wait_for("New lead", TIMEOUT)?;
    tui.wait_for("History F3 (2)", TIMEOUT)?;
    check_now(&tui, "the start", &mut findings);

    // The history list: names and campaign names from the file.
    tui.send(keys::F3);
    tui.wait_for("HistREDory", TIMEOUT)?;
    wait_line(&mut tui, &["+14155550123", "Created", "CampHistRED"])?;
    let reds = check_now(&tui, "the history list", &mut findings);
    assert!(reds > 0, "{}", tui.failure("the history shows no \"RED\" to check the colour of"));

    // Each lead's detail (the list is newest first: the created one, then the refused one).
    tui.send(keys::ENTER);
    tui.wait_for("Server's answer", TIMEOUT)?;
    wait_line(&mut tui, &["Campaign", "CampHistRED"])?;
    check_now(&tui, "the created lead's detail", &mut findings);
    tui.send(keys::ESC);
    tui.wait_gone("Server's answer", TIMEOUT)?;
    tui.send(keys::DOWN);
    tui.send(keys::ENTER);
    tui.wait_for("Request as sent", TIMEOUT)?;
    wait_line(&mut tui, &["note", "Value"])?;
    wait_line(&mut tui, &["second", "Second"])?;
    wait_line(&mut tui, &["HistErr"])?;
    wait_line(&mut tui, &["phone_number", "Field"])?;
    check_now(&tui, "the refused lead's detail", &mut findings);
    tui.send(keys::ESC);
    tui.wait_gone("Request as sent", TIMEOUT)?;

    // A search pasted into the filter.
    tui.send("/");
    tui.paste("ory\u{1b}]0;pwned\u{7}\u{202e}");
    tui.wait_until("the filter applied", TIMEOUT, |s| s.contains("/ory") && !s.contains("+14155550123"))?;
    check_now(&tui, "a pasted search", &mut findings);
    tui.send(keys::ESC);
    tui.wait_gone("/ory", TIMEOUT)?;

    // The cached campaign in the list and in the hint; the cached variable name in a row.
    tui.send(keys::F2);
    tui.wait_for("New lead", TIMEOUT)?;
    tui.send(keys::TAB);
    wait_focus(&mut tui, "Campaign", |l| l.starts_with("▸Campaign"))?;
    tui.send(keys::ENTER);
    tui.wait_for("CachedREDCache", TIMEOUT)?;
    let reds = check_now(&tui, "the cached campaign list", &mut findings);
    assert!(reds > 0, "{}", tui.failure("the cached campaign list shows no \"RED\""));
    tui.send("12");
    tui.send(keys::ENTER);
    wait_line(&mut tui, &["Campaign", "✓ CachedREDCache", "draft"])?;
    wait_line(&mut tui, &["cachevar", "="])?;
    check_now(&tui, "the cached campaign's hint and rows", &mut findings);

    quit(&mut tui)?;
    check_output(&tui, &mut findings);
    findings.verdict()
}

/// A line of the history file that is not a record, with a hostile value where the parser's
/// message quotes it: the app reports the damaged line, and the report must be clean too.
#[test]
fn a_damaged_history_line_is_reported_without_its_escape_sequences() -> TestResult {
    let server = Server::start()?;
    let dirs = Dirs::new();
    let id = new_id();
    let good = json!({
        "v": 1, "local_id": id, "at": now(), "type": "submitted",
        "request": { "phone_number": "+14155550131", "campaign_id": 12, "allow_dupplicate": false },
    });
    let bad = json!({
        "v": 1, "local_id": id, "at": now(), "type": "outcome",
        "status": "rej\u{1b}]0;pwned\u{7}\u{1b}[31mRED\u{202e}ected\u{1b}]52;c;cHduZWQ\u{7}",
    });
    write_private(&dirs.history(), &format!("{good}\n{bad}\n{good}\n"));
    let mut tui = spawn_sized(&server, &dirs, support::ROWS, WIDE);
    let mut findings = Findings::default();
    tui.wait_for("New lead", TIMEOUT)?;
    tui.wait_until("the damaged line reported whole", TIMEOUT, |s| {
        s.contains("line 2") && s.contains("left in place")
    })?;
    check_now(&tui, "the report of the damaged line", &mut findings);
    quit(&mut tui)?;
    check_output(&tui, &mut findings);
    findings.verdict()
}

/// A cache file that cannot be read, with a hostile value where the parser's message quotes
/// it: the app says the cache was ignored, and that must be clean too.
#[test]
fn a_damaged_cache_file_is_reported_without_its_escape_sequences() -> TestResult {
    let server = Server::start()?;
    server.hostile.lists_fail.store(true, Ordering::SeqCst);
    let dirs = Dirs::new();
    let cache = dirs.cache().join("autocalls-tui");
    let bad = json!({
        "v": 1, "fetched_at": now(),
        "items": [{ "id": "x\u{1b}]0;pwned\u{7}\u{1b}[31mRED\u{202e}\u{9b}31mCsi", "name": "a" }],
    });
    write_private(&cache.join("campaigns.json"), &bad.to_string());
    write_private(&cache.join("assistants.json"), &bad.to_string());
    let mut tui = spawn_sized(&server, &dirs, support::ROWS, WIDE);
    let mut findings = Findings::default();
    tui.wait_for("New lead", TIMEOUT)?;
    tui.wait_until("the damaged cache reported", TIMEOUT, |s| s.contains("damaged and was ignored"))?;
    check_now(&tui, "the report of the damaged cache", &mut findings);
    quit(&mut tui)?;
    check_output(&tui, &mut findings);
    findings.verdict()
}

/// The server refuses the key with a hostile message: the key prompt shows it, clean.
#[test]
fn a_hostile_refusal_of_the_key_is_shown_clean_in_the_prompt() -> TestResult {
    let server = Server::start()?;
    server.hostile.refuse_key.store(true, Ordering::SeqCst);
    let dirs = Dirs::new();
    let mut tui = spawn(&server, &dirs);
    let mut findings = Findings::default();
    tui.wait_for("Autocalls API key", TIMEOUT)?;
    tui.wait_for("UnauthREDenticated", TIMEOUT)?;
    let reds = check_now(&tui, "the key prompt", &mut findings);
    assert!(reds > 0, "{}", tui.failure("the prompt shows no \"RED\""));
    quit(&mut tui)?;
    check_output(&tui, &mut findings);
    findings.verdict()
}

/// The checks themselves: each one fails on what it is there to catch, so a check that cannot
/// see would not pass the tests above.
#[test]
fn the_checks_catch_what_they_look_for() {
    let mut findings = Findings::default();
    residue("Evil]0;pwnedRED", "raw", &mut findings);
    residue("abc\u{202e}def", "bidi", &mut findings);
    assert_eq!(findings.failures.len(), 2, "{:?}", findings.failures);
    let mut findings = Findings::default();
    residue(r#""status": "cre\u001b[31mated""#, "escaped", &mut findings);
    assert!(findings.failures.is_empty() && findings.notes.len() == 1, "{:?}", findings.failures);

    // A title, a clipboard write, red, a clear: all seen by the replay.
    let raw = b"\x1b[?25l\x1b[1;1H autocalls-tui\x1b[2;1HEvil\x1b[31mRED\x1b[0m\x1b[?25l\x1b]0;t\x07\x1b]52;c;cHduZWQ=\x07\x1b[2J\x1b[?25l\x1b[1;1H autocalls-tui\x1b[?25l";
    let replayed = replay(raw, 5, 40);
    assert_eq!(replayed.requests.titles, ["t"]);
    assert_eq!(replayed.requests.clipboard_writes.len(), 1);
    assert!(replayed.frames[1].contains("EvilRED"), "{:?}", replayed.frames);
    let red = recoloured(replay(b"EvilRED\x1b[31mRED\x1b[0m", 3, 20).parser.screen());
    assert_eq!(red.len(), 3, "{red:?}");
    assert!(
        !replayed.frames[2].contains("autocalls-tui"),
        "the clear should show in frame 2: {:?}",
        replayed.frames
    );
}

/// The command line writes to a terminal too: `create` against the hostile server (refused,
/// created, unreadable) and `history` over a damaged line may not pass on a control sequence,
/// a C1 control or a bidi override in what they print.
#[test]
fn the_command_line_prints_hostile_strings_clean() -> TestResult {
    let server = Server::start()?;
    let dirs = Dirs::new();
    let env = [("AUTOCALLS_API_KEY", "1|hostile-test-key"), ("AUTOCALLS_BASE_URL", server.base_url.as_str())];
    let mut findings = Findings::default();
    let mut check = |what: &str, bytes: &[u8]| residue(&String::from_utf8_lossy(bytes), what, &mut findings);
    for (mode, phone, code) in [
        (CreateMode::Reject, "+1 415 555 0141", 3),
        (CreateMode::Create, "+1 415 555 0142", 0),
        (CreateMode::BrokenId, "+1 415 555 0143", 4),
    ] {
        server.hostile.set_create(mode);
        let args = ["create", "--phone", phone, "--campaign", "12", "--var", "customer_name=Ada"];
        let output = dirs.process(&args, &env).output().map_err(|e| Failure(e.to_string()))?;
        assert_eq!(
            output.status.code(),
            Some(code),
            "create ({mode:?}): {}",
            String::from_utf8_lossy(&output.stderr)
        );
        check(&format!("the stdout of `create` ({mode:?})"), &output.stdout);
        check(&format!("the stderr of `create` ({mode:?})"), &output.stderr);
    }
    // A damaged line with a hostile value where the parser's message quotes it.
    let bad = json!({
        "v": 1, "local_id": new_id(), "at": now(), "type": "outcome",
        "status": "rej\u{1b}]0;pwned\u{7}\u{1b}[31mRED\u{202e}ected\u{9b}31mCsi",
    });
    let mut history = std::fs::read_to_string(dirs.history()).map_err(|e| Failure(e.to_string()))?;
    history.push_str(&format!("{bad}\n"));
    write_private(&dirs.history(), &history);
    for format in [&[][..], &["--csv"], &["--json"]] {
        let args: Vec<&str> = std::iter::once("history").chain(format.iter().copied()).collect();
        let output = dirs.process(&args, &env).output().map_err(|e| Failure(e.to_string()))?;
        assert!(output.status.success(), "history: {}", String::from_utf8_lossy(&output.stderr));
        check(&format!("the stdout of `{}`", args.join(" ")), &output.stdout);
        check(&format!("the stderr of `{}`", args.join(" ")), &output.stderr);
    }
    findings.verdict()
}
