//! The API key and the people's data stay where they belong. The real binary runs in a
//! pseudo-terminal against a sandbox that only accepts a fixture key, with `--log-level trace`
//! (the most it can log), enters a lead with fixture personal data, shows every view that could
//! print them, and is then searched: every screen it ever drew (each frame replayed from its raw
//! output), its raw output, the output of the command line, and every file it left in its
//! directories. The key may be in none of them (the saved config file apart); the personal data
//! may only be in the history and its exports, which exist to hold it.
#![allow(clippy::unwrap_used, reason = "a test or bench stops loudly at what it did not expect")]

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::{Duration, Instant};

use autocalls_tui::sandbox::{Sandbox, SandboxOptions};
use support::capture::{contains_bytes, files_under, find_bytes, replay};
use support::steps::{line_with, quit, wait_live_form};
use support::{Dirs, Failure, POLL, TIMEOUT, TestResult, Tui, keys};

/// The key the sandbox accepts.
const KEY: &str = "1|fixture-KEY-do-not-leak-7f3a";
/// A key the sandbox refuses, given in the environment.
const WRONG_ENV_KEY: &str = "1|wrongenv-KEY-Qm4vX-8d1e";
/// A key the sandbox refuses, typed into the app's prompt.
const WRONG_TYPED_KEY: &str = "1|typedwrong-KEY-Zr5pW-2b9c";

/// The fixture lead's personal data.
const PHONE_TYPED: &str = "+1 415 555 0142";
const PHONE: &str = "+14155550142";
const NAME: &str = "Fixture Person Zqx";
const EMAIL: &str = "fixture.zqx@example.test";

/// The sandbox's trade-fair campaign (`src/sandbox/data.rs`).
const CAMPAIGN: &str = "12";

/// One thing to look for: what it is, and the text.
struct Needle {
    group: String,
    what: String,
    text: String,
}

/// Every way a key could show up in a file or an output: whole, without its `1|` id prefix, and
/// every run of 8 of its characters (any longer piece contains one of those).
fn key_needles(name: &str, key: &str) -> Vec<Needle> {
    let needle = |what: String, text: String| Needle { group: name.to_owned(), what, text };
    let mut needles = vec![
        needle("whole".into(), key.to_owned()),
        needle("without its id prefix".into(), key.split_once('|').unwrap().1.to_owned()),
    ];
    needles.extend(windows(key, 8).map(|w| needle(format!("the piece {w:?}"), w)));
    needles
}

/// Every run of `n` characters of `text`.
fn windows(text: &str, n: usize) -> impl Iterator<Item = String> + '_ {
    let chars: Vec<char> = text.chars().collect();
    (0..=chars.len().saturating_sub(n)).map(move |i| chars[i..i + n].iter().collect())
}

/// The fixture's personal data in every form a program may write it: the phone as typed, in
/// E.164, national, with dashes or brackets, percent-encoded; the name, its parts; the e-mail,
/// percent-encoded too. Matched without regard to case.
fn personal_needles() -> Vec<Needle> {
    let forms = [
        PHONE_TYPED,
        PHONE,
        "%2B14155550142",
        "4155550142",
        "415 555 0142",
        "415-555-0142",
        "(415) 555-0142",
        "415.555.0142",
        "555 0142",
        "555-0142",
        "5550142",
        NAME,
        "Fixture Person",
        "Person Zqx",
        EMAIL,
        "fixture.zqx",
        "fixture.zqx%40example.test",
    ];
    forms
        .iter()
        .map(|f| Needle { group: "the personal data".into(), what: format!("{f:?}"), text: f.to_string() })
        .collect()
}

/// Where the needles occur in `bytes` (compared without regard to ASCII case): one finding per
/// group of needles that matched (the first that did, how many did, and the line it is on).
fn scan(place: &str, bytes: &[u8], needles: &[Needle]) -> Vec<String> {
    let haystack = bytes.to_ascii_lowercase();
    let mut findings: Vec<(String, String, usize)> = Vec::new();
    for needle in needles {
        let text = needle.text.to_ascii_lowercase();
        let Some(at) = find_bytes(&haystack, text.as_bytes()) else { continue };
        if let Some(found) = findings.iter_mut().find(|f| f.0 == needle.group) {
            found.2 += 1;
            continue;
        }
        let line_start = haystack[..at].iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
        let line_end = haystack[at..].iter().position(|b| *b == b'\n').map_or(haystack.len(), |i| at + i);
        let line: String = String::from_utf8_lossy(&bytes[line_start..line_end]).chars().take(240).collect();
        findings.push((needle.group.clone(), format!("{} in {line:?}", needle.what), 1));
    }
    findings
        .into_iter()
        .map(|(group, first, n)| format!("{place}: {group}: {first} ({n} of its forms found)"))
        .collect()
}

/// The characters of every key press a trace log recorded (`Char('x')`), in order: what a reader
/// of the log can put back together of what was typed.
fn typed_in_log(log: &str) -> String {
    let mut typed = String::new();
    let mut rest = log;
    while let Some(at) = rest.find("Char('") {
        rest = &rest[at + "Char('".len()..];
        let mut chars = rest.chars();
        match (chars.next(), chars.next()) {
            (Some('\\'), Some(c)) => typed.push(c),
            (Some(c), Some('\'')) => typed.push(c),
            _ => {}
        }
    }
    typed
}

/// Scans one directory tree: the key needles in every file, the personal ones too unless the
/// files there may hold them; a file named `allowed_key_file` may hold the key.
fn scan_tree(
    dir: &Path,
    key: &[Needle],
    personal: Option<&[Needle]>,
    allowed_key_file: Option<&Path>,
) -> Vec<String> {
    let mut findings = Vec::new();
    for (path, bytes) in files_under(dir) {
        let place = path.display().to_string();
        if Some(path.as_path()) != allowed_key_file {
            findings.extend(scan(&place, &bytes, key));
        }
        if let Some(personal) = personal {
            findings.extend(scan(&place, &bytes, personal));
        }
        // A log that records key presses can give back what was typed, one character a line.
        if path.extension().is_none_or(|e| e != "json") {
            let typed = typed_in_log(&String::from_utf8_lossy(&bytes));
            let place = format!("{place} (the key presses it records, put together: {typed:?})");
            findings.extend(scan(&place, typed.as_bytes(), key));
            if let Some(personal) = personal {
                findings.extend(scan(&place, typed.as_bytes(), personal));
            }
        }
    }
    findings
}

/// Every frame the app drew (replayed from its raw output) must show no more of `key` than its
/// last four characters: no run of five of its characters may be on the screen, ever.
fn scan_frames(tui: &Tui, name: &str, key: &str) -> Vec<String> {
    let (rows, cols) = tui.size();
    let replayed = replay(&tui.raw_bytes(), rows, cols);
    // Pieces the fixture's own data happens to share with the key ("ixtur" of "Fixture") prove
    // nothing when they are on the screen.
    let legitimate = [NAME, EMAIL];
    let pieces: Vec<String> =
        windows(key, 5).filter(|p| !legitimate.iter().any(|l| l.contains(p.as_str()))).collect();
    let mut findings = Vec::new();
    for (i, frame) in replayed.frames.iter().enumerate() {
        let flat = frame.replace('\n', "");
        for piece in &pieces {
            if frame.contains(piece.as_str()) || flat.contains(piece.as_str()) {
                findings.push(format!("frame {i} shows {piece:?} of {name}:\n{frame}"));
                break;
            }
        }
    }
    findings
}

/// The raw bytes the app wrote to its terminal must not hold the key either.
fn scan_raw(tui: &Tui, needles: &[Needle]) -> Vec<String> {
    scan("the app's raw terminal output", &tui.raw_bytes(), needles)
}

/// A sandbox accepting only [`KEY`], on its own runtime (dropped last).
struct Server {
    sandbox: Sandbox,
    _rt: tokio::runtime::Runtime,
}

impl Server {
    fn start() -> Result<Server, Failure> {
        let rt = tokio::runtime::Runtime::new().map_err(|e| Failure(format!("a tokio runtime: {e}")))?;
        let options = SandboxOptions { key: KEY.to_owned(), ..SandboxOptions::default() };
        let sandbox = rt
            .block_on(Sandbox::start(options))
            .map_err(|e| Failure(format!("the sandbox did not start: {e}")))?;
        Ok(Server { sandbox, _rt: rt })
    }

    fn base_url(&self) -> String {
        self.sandbox.base_url()
    }
}

/// Presses Tab until the focus is in the value of the variable row `name` (the row is marked
/// and the cursor is right of its `=`), waiting for each press to be drawn.
fn tab_to_value(tui: &mut Tui, name: &str) -> TestResult {
    let at_value = |s: &vt100::Screen| {
        let (row, col) = s.cursor_position();
        let line = s.contents().lines().nth(row as usize).unwrap_or_default().to_owned();
        let marked = line.contains(&format!("▸ {name} "));
        let equals = line.chars().position(|c| c == '=').unwrap_or(usize::MAX);
        (marked && (col as usize) > equals && !s.hide_cursor(), (row, col))
    };
    for _ in 0..12 {
        let start = Instant::now();
        let before = loop {
            if let Some(state) = tui.with_settled_screen(at_value) {
                break state;
            }
            if start.elapsed() > TIMEOUT {
                return Err(Failure(tui.failure("waiting for a drawn frame")));
            }
            std::thread::sleep(POLL);
        };
        if before.0 {
            return Ok(());
        }
        tui.send(keys::TAB);
        let start = Instant::now();
        while tui.with_settled_screen(at_value).is_none_or(|now| now.1 == before.1) {
            if start.elapsed() > TIMEOUT {
                return Err(Failure(tui.failure(&format!("the focus did not move towards {name}"))));
            }
            std::thread::sleep(POLL);
        }
    }
    Err(Failure(tui.failure(&format!("the focus never reached the value of {name}"))))
}

/// Waits until the prompt holds all of `key`, drawn as a dot per character; fails at once, and
/// says so, if the screen shows five or more characters of it instead.
fn wait_masked(tui: &mut Tui, key: &str) -> TestResult {
    let dots = "•".repeat(key.chars().count());
    let pieces: Vec<String> = windows(key, 5).collect();
    tui.wait_until("the key typed in the prompt", TIMEOUT, |s| {
        s.contains(&dots) || pieces.iter().any(|p| s.contains(p.as_str()))
    })?;
    if let Some(piece) = pieces.iter().find(|p| tui.screen().contains(p.as_str())) {
        return Err(Failure(tui.failure(&format!("the key prompt shows the key typed into it ({piece:?})"))));
    }
    Ok(())
}

/// Fails with every finding, or passes when there are none.
fn verdict(findings: Vec<String>, what: &str) -> TestResult {
    if findings.is_empty() {
        return Ok(());
    }
    Err(Failure(format!("{what}: {} finding(s)\n- {}", findings.len(), findings.join("\n- "))))
}

#[test]
fn a_lead_sent_with_a_fixture_key_leaves_the_key_and_the_personal_data_nowhere_they_do_not_belong()
-> TestResult {
    let server = Server::start()?;
    let dirs = Dirs::new();
    let base_url = server.base_url();
    let env = [("AUTOCALLS_API_KEY", KEY), ("AUTOCALLS_BASE_URL", base_url.as_str())];
    let mut tui = Tui::spawn_command(dirs.command_with_env(&["--log-level", "trace"], &env));
    wait_live_form(&mut tui, &dirs)?;

    // The lead: phone, campaign picked from the list, name and e-mail typed into their rows.
    tui.send(PHONE_TYPED);
    tui.wait_for(&format!("✓ {PHONE} US"), TIMEOUT)?;
    tui.send(keys::TAB);
    tui.send("hannover");
    tui.wait_for(" 1 campaign ", TIMEOUT)?;
    tui.send(keys::ENTER);
    tui.wait_gone(" 1 campaign ", TIMEOUT)?;
    tab_to_value(&mut tui, "customer_name")?;
    tui.send(NAME);
    tui.wait_until("the name typed", TIMEOUT, |s| line_with(s, &["customer_name", NAME]))?;
    tab_to_value(&mut tui, "email")?;
    tui.send(EMAIL);
    tui.wait_until("the e-mail typed", TIMEOUT, |s| line_with(s, &["email", EMAIL]))?;
    tui.send(keys::CTRL_S);
    tui.wait_for(&format!("Created {PHONE} (lead #"), TIMEOUT)?;

    // Every view that shows something of the session: the help, the history, the lead's detail.
    tui.send(keys::F1);
    tui.wait_for("Keys · Esc closes", TIMEOUT)?;
    tui.send(keys::ESC);
    tui.wait_gone("Keys · Esc closes", TIMEOUT)?;
    tui.send(keys::F3);
    tui.wait_until("the lead in the history", TIMEOUT, |s| s.contains(PHONE) && s.contains("created"))?;
    tui.send(keys::ENTER);
    tui.wait_for("Request as sent", TIMEOUT)?;
    tui.wait_for(NAME, TIMEOUT)?;
    tui.send(keys::ESC);
    tui.wait_gone("Request as sent", TIMEOUT)?;
    // An export, to have every kind of file the app writes.
    tui.send("x");
    tui.wait_for("Exported 1 lead", TIMEOUT)?;
    quit(&mut tui)?;

    // The command line: a lead with the same data, then the history printed every way.
    let data = [format!("customer_name={NAME}"), format!("email={EMAIL}")];
    let create = [
        "--log-level",
        "trace",
        "create",
        "--phone",
        PHONE_TYPED,
        "--campaign",
        CAMPAIGN,
        "--var",
        &data[0],
        "--var",
        &data[1],
        "--allow-duplicate",
        "--json",
    ];
    let created = dirs.run(&create, &env)?;
    assert_eq!(created.status.code(), Some(0), "create failed: {}", String::from_utf8_lossy(&created.stderr));
    // A key the server refuses: exit 3, the refusal said, the key not.
    let wrong_env = [("AUTOCALLS_API_KEY", WRONG_ENV_KEY), ("AUTOCALLS_BASE_URL", base_url.as_str())];
    let refused = dirs.run(&create, &wrong_env)?;
    assert_eq!(
        refused.status.code(),
        Some(3),
        "a refused key should exit 3: {}",
        String::from_utf8_lossy(&refused.stderr)
    );
    let mut outputs = vec![("create".to_owned(), created), ("create with a refused key".to_owned(), refused)];
    for format in ["--json", "--csv", "--search=Fixture"] {
        outputs.push((format!("history {format}"), dirs.run(&["history", format], &env)?));
    }

    // The search.
    let mut key = key_needles("the key", KEY);
    key.extend(key_needles("the refused key", WRONG_ENV_KEY));
    let personal = personal_needles();
    let mut findings = Vec::new();
    findings.extend(scan_frames(&tui, "the key", KEY));
    findings.extend(scan_raw(&tui, &key));
    for (name, output) in &outputs {
        findings.extend(scan(&format!("stdout of `{name}`"), &output.stdout, &key));
        findings.extend(scan(&format!("stderr of `{name}`"), &output.stderr, &key));
    }
    // History and exports hold the personal data by design; the key never.
    findings.extend(scan_tree(&dirs.data(), &key, None, None));
    // Logs, cache, config and the rest hold neither.
    for dir in [dirs.state(), dirs.cache(), dirs.config(), dirs.home()] {
        findings.extend(scan_tree(&dir, &key, Some(&personal), None));
    }
    for (path, bytes) in files_under(dirs.root()) {
        if ![dirs.data(), dirs.state(), dirs.cache(), dirs.config(), dirs.home()]
            .iter()
            .any(|d| path.starts_with(d))
        {
            let place = path.display().to_string();
            findings.extend(scan(&place, &bytes, &key));
            findings.extend(scan(&place, &bytes, &personal));
        }
    }

    // The search must be able to find what it looks for: the personal data is in the history,
    // the log file exists and logged at trace level, and the app drew frames.
    let history = std::fs::read(dirs.history()).map_err(|e| Failure(format!("the history: {e}")))?;
    assert!(
        !scan("history", &history, &personal).is_empty(),
        "the history should hold the lead's personal data; the scan is broken"
    );
    let logs = files_under(&dirs.state());
    assert!(
        logs.iter().any(|(_, bytes)| contains_bytes(bytes, b"TRACE")),
        "no trace-level log under {}: {:?}",
        dirs.state().display(),
        logs.iter().map(|(path, _)| path).collect::<Vec<_>>()
    );
    assert!(!files_under(&dirs.cache()).is_empty(), "no cache files to search");
    assert!(
        files_under(&dirs.app_data().join("exports")).iter().any(|(_, b)| contains_bytes(b, NAME.as_bytes())),
        "no export holding the lead to search"
    );

    verdict(findings, "the key or the personal data leaked")
}

#[test]
fn a_key_typed_into_the_prompt_is_masked_then_saved_privately_and_nowhere_else() -> TestResult {
    let server = Server::start()?;
    let dirs = Dirs::new();
    let base_url = server.base_url();
    // A key the server refuses: the app asks for another.
    let env = [("AUTOCALLS_API_KEY", WRONG_ENV_KEY), ("AUTOCALLS_BASE_URL", base_url.as_str())];
    let mut tui = Tui::spawn_command(dirs.command_with_env(&["--log-level", "trace"], &env));
    tui.wait_for("Autocalls API key", TIMEOUT)?;
    tui.wait_for("refused the key", TIMEOUT)?;

    // A wrong key, typed: a dot per character, then refused.
    tui.send(WRONG_TYPED_KEY);
    wait_masked(&mut tui, WRONG_TYPED_KEY)?;
    tui.send(keys::ENTER);
    tui.wait_for("the server refused this key", TIMEOUT)?;
    for _ in WRONG_TYPED_KEY.chars() {
        tui.send(keys::BACKSPACE);
    }
    tui.wait_gone("•", TIMEOUT)?;

    // The right key, pasted as it comes from the dashboard: accepted and saved.
    tui.paste(KEY);
    wait_masked(&mut tui, KEY)?;
    tui.send(keys::ENTER);
    tui.wait_for("Signed in as", TIMEOUT)?;
    tui.wait_gone("Autocalls API key", TIMEOUT)?;
    quit(&mut tui)?;

    // Saved in config.toml, private, in a private directory.
    let config_file = dirs.config().join("autocalls-tui").join("config.toml");
    let text = std::fs::read_to_string(&config_file)
        .map_err(|e| Failure(format!("{}: {e}", config_file.display())))?;
    let config: toml::Table = text.parse().map_err(|e| Failure(format!("config.toml: {e}\n{text}")))?;
    assert_eq!(
        config.get("api_key").and_then(|v| v.as_str()),
        Some(KEY),
        "the accepted key is not saved: {text}"
    );
    let mode = std::fs::metadata(&config_file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "{} has mode {mode:o}", config_file.display());
    let dir_mode = std::fs::metadata(config_file.parent().unwrap()).unwrap().permissions().mode() & 0o777;
    assert_eq!(dir_mode, 0o700, "the config directory has mode {dir_mode:o}");

    let mut findings = Vec::new();
    for (name, key) in
        [("the key", KEY), ("the refused key", WRONG_ENV_KEY), ("the typed wrong key", WRONG_TYPED_KEY)]
    {
        let needles = key_needles(name, key);
        findings.extend(scan_frames(&tui, name, key));
        findings.extend(scan_raw(&tui, &needles));
        // Only config.toml may hold the accepted key; no file may hold a refused one.
        let allowed = (key == KEY).then_some(config_file.as_path());
        findings.extend(scan_tree(dirs.root(), &needles, None, allowed));
    }

    // The saved key works: a second start signs in without asking.
    let env = [("AUTOCALLS_BASE_URL", base_url.as_str())];
    let mut tui = Tui::spawn_command(dirs.command_with_env(&[], &env));
    wait_live_form(&mut tui, &dirs)?;
    tui.wait_for("Sandbox User", TIMEOUT)?;
    if tui.screen().contains("Autocalls API key") {
        return Err(Failure(tui.failure("the saved key was not used")));
    }
    quit(&mut tui)?;
    findings.extend(scan_frames(&tui, "the key", KEY));

    verdict(findings, "a key leaked")
}

#[test]
fn the_committed_snapshots_hold_no_fixture_key() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join("snapshots");
    let mut needles = key_needles("the key", KEY);
    needles.extend(key_needles("the refused key", WRONG_ENV_KEY));
    needles.extend(key_needles("the typed wrong key", WRONG_TYPED_KEY));
    let snapshots = files_under(&dir);
    assert!(!snapshots.is_empty(), "no snapshots under {}", dir.display());
    let findings: Vec<String> = snapshots
        .iter()
        .flat_map(|(path, bytes)| scan(&path.display().to_string(), bytes, &needles))
        .collect();
    assert!(findings.is_empty(), "{findings:#?}");
}

/// The key's types print no key: what a panic message, an `{:?}` in a log line or an error
/// report would show.
#[test]
fn debug_output_of_the_key_types_is_redacted() {
    use autocalls_tui::api::{ApiClient, ClientOptions};
    use autocalls_tui::config::{ApiKey, Overrides, Settings};
    use secrecy::SecretString;

    let key = ApiKey::new(KEY);
    let needles = key_needles("the key", KEY);
    let shown = format!("{key:?} {key:#?}");
    assert!(scan("ApiKey's Debug", shown.as_bytes(), &needles).is_empty(), "{shown}");
    // The hint is the last four characters, no more.
    assert_eq!(key.hint(), "…7f3a");

    // Settings as the app builds them (fields are added over time), with a key set.
    let root = tempfile::tempdir().unwrap();
    let overrides = Overrides { data_dir: Some(root.path().to_path_buf()), ..Overrides::default() };
    let mut settings = Settings::resolve(overrides).expect("settings from the environment");
    settings.api_key = Some(SecretString::from(KEY.to_owned()));
    settings.base_url = "http://127.0.0.1:9/api".into();
    let shown = format!("{settings:?} {settings:#?}");
    assert!(scan("Settings' Debug", shown.as_bytes(), &needles).is_empty(), "{shown}");
    assert!(shown.contains("api_key"), "Settings' Debug should name the field: {shown}");

    let options = ClientOptions {
        base_url: settings.base_url.clone(),
        key: SecretString::from(KEY.to_owned()),
        connect_timeout: Duration::from_secs(1),
        request_timeout: Duration::from_secs(1),
        max_answer: autocalls_tui::api::DEFAULT_MAX_ANSWER,
    };
    let client = ApiClient::new(options.clone()).unwrap();
    let shown = format!("{options:?} {client:?}");
    assert!(scan("ClientOptions' and ApiClient's Debug", shown.as_bytes(), &needles).is_empty(), "{shown}");
}

/// The search itself: it finds a key whole, cut short, split over key presses in a log, and a
/// piece of five of its characters on a replayed screen; and it finds the personal data in any
/// case. Without this, a search that finds nothing would pass the tests above.
#[test]
fn the_search_finds_what_it_looks_for() {
    let needles = key_needles("the key", KEY);
    assert!(!scan("whole", KEY.as_bytes(), &needles).is_empty());
    assert!(!scan("no prefix", b"Bearer fixture-KEY-do-not-leak-7f3a", &needles).is_empty());
    assert!(!scan("cut", b"...do-not-l...", &needles).is_empty());
    assert!(scan("last four", b"key ...7f3a", &needles).is_empty());
    let log = KEY
        .chars()
        .map(|c| format!("msg=Edit(Input {{ key: Char('{c}'), ctrl: false }})\n"))
        .collect::<String>();
    assert_eq!(typed_in_log(&log), KEY);
    assert!(typed_in_log("Char('\\'')").contains('\''));
    assert!(!scan("personal", b"{\"customer_name\":\"FIXTURE PERSON ZQX\"}", &personal_needles()).is_empty());
    assert!(!scan("phone", b"phone=%2B14155550142", &personal_needles()).is_empty());
    let pieces: Vec<String> = windows(KEY, 5).collect();
    let raw = format!("\x1b[?25l\x1b[3;10Hkey: {}\x1b[?25l", &KEY[10..16]);
    let frames = replay(raw.as_bytes(), 5, 40).frames;
    assert!(frames.iter().any(|f| pieces.iter().any(|p| f.contains(p.as_str()))), "{frames:?}");
}

/// Seen: with `HTTP_PROXY` (or `http_proxy`, `ALL_PROXY`) set and a plain-http base URL on
/// loopback, every request, `Authorization: Bearer …` included, went to the proxy. A loopback
/// listener stands in for the proxy here: it must see no connection at all, while `create`
/// reaches the sandbox directly.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_key_never_goes_through_a_proxy_in_clear() {
    let sandbox = Sandbox::start(SandboxOptions::default()).await.unwrap();
    let proxy = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let proxy_url = format!("http://{}", proxy.local_addr().unwrap());
    let connections = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = connections.clone();
    tokio::spawn(async move {
        while let Ok((_socket, _)) = proxy.accept().await {
            seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    });
    let home = tempfile::tempdir().unwrap();
    for (n, variable) in ["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"].into_iter().enumerate() {
        let phone = format!("+1415555010{n}");
        let out = support::command::isolated(
            home.path(),
            &sandbox.base_url(),
            sandbox.key(),
            &["create", "--phone", &phone, "--campaign", "12"],
        )
        .env(variable, &proxy_url)
        .output()
        .await
        .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{variable}: {stderr}");
        assert_eq!(connections.load(std::sync::atomic::Ordering::SeqCst), 0, "{variable} was used");
    }
    assert_eq!(sandbox.state().leads().len(), 4, "every lead went straight to the sandbox");
}

/// https to another host still goes through the system's proxy, as a `CONNECT` tunnel: the
/// proxy (a loopback listener here) learns the host and nothing else, no header, no key.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_goes_through_a_proxy_as_a_tunnel_only() {
    use tokio::io::AsyncReadExt;
    let proxy = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let proxy_url = format!("http://{}", proxy.local_addr().unwrap());
    let heard = tokio::spawn(async move {
        let (mut socket, _) = proxy.accept().await.unwrap();
        let mut head = vec![0u8; 4096];
        let n = socket.read(&mut head).await.unwrap();
        // Closed without answering: the tunnel never opens.
        String::from_utf8_lossy(&head[..n]).into_owned()
    });
    let home = tempfile::tempdir().unwrap();
    let out = support::command::isolated(
        home.path(),
        "https://api.autocalls.invalid/api",
        "1|fixture-secret-key",
        &["create", "--phone", "+14155550100", "--campaign", "12"],
    )
    .env("HTTPS_PROXY", &proxy_url)
    .output()
    .await
    .unwrap();
    let head = tokio::time::timeout(Duration::from_secs(30), heard).await.unwrap().unwrap();
    assert!(head.starts_with("CONNECT api.autocalls.invalid:443 "), "{head}");
    assert!(!head.contains("fixture-secret-key") && !head.contains("Bearer"), "{head}");
    assert_ne!(out.status.code(), Some(0), "no tunnel, no lead");
}
