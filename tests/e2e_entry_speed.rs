//! The fast path of docs/entry-speed.md, as written there: its `keys` block is parsed, its
//! placeholders filled, and it is typed for 10 leads in a row into the real binary in a
//! pseudo-terminal against a sandbox this test starts, without waiting between leads. Every
//! request body the server received is then checked.
#![allow(clippy::unwrap_used, reason = "a test or bench stops loudly at what it did not expect")]

mod support;

use std::time::Instant;

use serde_json::json;
use support::live::LiveSandbox;
use support::{Dirs, Failure, TIMEOUT, TestResult, Tui};

/// The sandbox's trade-fair campaign.
const CAMPAIGN: &str = "12";
const LEADS: usize = 10;

/// The `keys` block of docs/entry-speed.md, lines joined.
fn keys_block() -> Result<String, Failure> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/entry-speed.md");
    let text = std::fs::read_to_string(path).map_err(|e| Failure(format!("{path}: {e}")))?;
    let start = text.find("```keys\n").ok_or_else(|| Failure("no ```keys block".into()))? + 8;
    let end = text[start..].find("```").ok_or_else(|| Failure("the keys block is not closed".into()))?;
    Ok(text[start..start + end].lines().map(str::trim).collect())
}

/// What a terminal sends for one key written in angle brackets.
fn key_bytes(key: &str) -> Result<String, Failure> {
    let named = match key {
        "Tab" => "\t",
        "S-Tab" => "\x1b[Z",
        "Enter" => "\r",
        "Esc" => "\x1b",
        "Space" => " ",
        "Up" => "\x1b[A",
        "Down" => "\x1b[B",
        "Right" => "\x1b[C",
        "Left" => "\x1b[D",
        "A-Up" => "\x1b[1;3A",
        "A-Down" => "\x1b[1;3B",
        "F1" => "\x1bOP",
        "F2" => "\x1bOQ",
        "F3" => "\x1bOR",
        "F4" => "\x1bOS",
        _ => "",
    };
    if !named.is_empty() {
        return Ok(named.to_owned());
    }
    if let Some(n) = key.strip_prefix('F').and_then(|n| n.parse::<u8>().ok()) {
        let code = [15, 17, 18, 19, 20, 21, 23, 24][usize::from(n).saturating_sub(5).min(7)];
        return Ok(format!("\x1b[{code}~"));
    }
    let mut chars = key.chars();
    match (chars.next(), chars.next(), chars.next(), chars.next()) {
        (Some('C'), Some('-'), Some(c), None) if c.is_ascii_alphabetic() => {
            Ok(char::from(c.to_ascii_lowercase() as u8 & 0x1f).to_string())
        }
        (Some('A'), Some('-'), Some(c), None) => Ok(format!("\x1b{c}")),
        _ => Err(Failure(format!("<{key}> is not a key this test knows"))),
    }
}

/// The block as the bytes a terminal sends, placeholders filled from `data`; also counts the
/// keys beyond the data.
fn typed(block: &str, data: &[(&str, String)]) -> Result<(String, usize), Failure> {
    let (mut out, mut keys, mut rest) = (String::new(), 0, block);
    while let Some(c) = rest.chars().next() {
        let close = |open: char, close: char| -> Result<(&str, &str), Failure> {
            let end = rest.find(close).ok_or_else(|| Failure(format!("unclosed {open} in {block:?}")))?;
            Ok((&rest[1..end], &rest[end + 1..]))
        };
        match c {
            '{' => {
                let (name, after) = close('{', '}')?;
                let value = data.iter().find(|(n, _)| *n == name).map(|(_, v)| v);
                out.push_str(value.ok_or_else(|| Failure(format!("no data for {{{name}}}")))?);
                rest = after;
            }
            '<' => {
                let (key, after) = close('<', '>')?;
                out.push_str(&key_bytes(key)?);
                keys += 1;
                rest = after;
            }
            c => {
                out.push(c);
                keys += 1;
                rest = &rest[c.len_utf8()..];
            }
        }
    }
    Ok((out, keys))
}

fn lead_data(i: usize) -> Vec<(&'static str, String)> {
    vec![
        ("phone", format!("0170 12345{i:02}")),
        ("name", format!("Jörg Müller-{i}")),
        ("email", format!("joerg.{i}@example.de")),
        ("phone2", format!("+49 30 12345{i:02}")),
    ]
}

#[test]
fn the_documented_fast_path_enters_ten_leads_in_a_row() -> TestResult {
    let block = keys_block()?;
    let (_, keys) = typed(&block, &lead_data(0))?;
    assert!(keys <= 5, "the fast path takes {keys} keys beyond the data; the goal is at most 5");

    let live = LiveSandbox::start()?;
    let dirs = Dirs::new();
    let cmd = live.command(&dirs, &["--campaign", CAMPAIGN, "--region", "DE"]);
    let mut tui = Tui::spawn_command_sized(cmd, support::ROWS, support::COLS);
    // Ready for a person: the campaign's rows are laid out and the focus is in Phone.
    tui.wait_until("the campaign's rows", TIMEOUT, |screen| {
        screen.contains("customer_name") && screen.contains("email") && screen.contains("▸Phone")
    })?;
    for i in 0..LEADS {
        let (bytes, _) = typed(&block, &lead_data(i))?;
        tui.send(&bytes);
    }
    let start = Instant::now();
    while live.sandbox.state().leads().len() < LEADS {
        if start.elapsed() > TIMEOUT {
            return Err(Failure(
                tui.failure(&format!("{} of {LEADS} leads created", live.sandbox.state().leads().len())),
            ));
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }

    let leads = live.leads_json()?;
    assert_eq!(leads.len(), LEADS, "{leads:#?}");
    assert_eq!(live.sandbox.state().create_requests(), LEADS, "one request per lead");
    // Sent in the background, several at once: they may reach the server in any order.
    for i in 0..LEADS {
        let phone = json!(format!("+4917012345{i:02}"));
        let Some(lead) = leads.iter().find(|l| l["phone_number"] == phone) else {
            return Err(Failure(
                tui.failure(&format!("lead {i} ({phone}) is not on the server: {leads:#?}")),
            ));
        };
        let fail = |what: &str| Failure(tui.failure(&format!("lead {i}: {what}\n{lead:#}")));
        let expected =
            json!({"customer_name": format!("Jörg Müller-{i}"), "email": format!("joerg.{i}@example.de")});
        if lead["variables"] != expected {
            return Err(fail("exactly the two typed variables, no empty value"));
        }
        let contacts = lead["secondary_contacts"].as_array().cloned().unwrap_or_default();
        if contacts.len() != 1 || contacts[0]["phone_number"] != json!(format!("+493012345{i:02}")) {
            return Err(fail("exactly one secondary contact with the typed phone"));
        }
    }
    Ok(())
}

#[test]
fn every_key_the_doc_may_name_is_known() -> TestResult {
    for key in ["Tab", "S-Tab", "Enter", "Esc", "Space", "Up", "Down", "Left", "Right", "A-Up", "A-Down"] {
        key_bytes(key)?;
    }
    for n in 1..=12 {
        key_bytes(&format!("F{n}"))?;
    }
    assert_eq!(key_bytes("C-x")?, "\x18");
    assert_eq!(key_bytes("C-s")?, "\x13");
    assert_eq!(key_bytes("A-r")?, "\x1br");
    let (bytes, keys) = typed("{phone}<Tab>ab<C-s>", &[("phone", "1".into())])?;
    assert_eq!((bytes.as_str(), keys), ("1\tab\x13", 4), "plain characters count as keys too");
    Ok(())
}

/// Seen: Ctrl-Q with a filled form quit and the form was gone at the next start; a campaign's
/// rows trimmed by hand came back untrimmed (and reordered) after a restart. Both survive now.
#[test]
fn a_restart_keeps_the_form_being_typed_and_the_campaigns_rows() -> TestResult {
    let live = LiveSandbox::start()?;
    let dirs = Dirs::new();
    let args = ["--campaign", CAMPAIGN, "--region", "DE"];
    let ready = |tui: &mut Tui| {
        tui.wait_until("the campaign's rows", TIMEOUT, |s| {
            s.contains("customer_name") && s.contains("▸Phone")
        })
    };
    let mut tui = Tui::spawn_command_sized(live.command(&dirs, &args), support::ROWS, support::COLS);
    ready(&mut tui)?;
    // Trim the rows to the two used here: from the third row on, Ctrl-D removes the focused one.
    tui.send("0170 1234501\tAda\tada@example.de\t");
    tui.wait_until("the third row focused", TIMEOUT, |s| {
        support::focused_line(s).is_some_and(|l| l.starts_with("▸ company_name"))
    })?;
    for _ in 0..4 {
        tui.send(support::keys::CTRL_D);
    }
    tui.wait_until("two rows left", TIMEOUT, |s| !s.contains("company_name") && !s.contains("plan "))?;
    tui.send(support::keys::CTRL_S);
    tui.wait_created("+491701234501", TIMEOUT)?;
    // Half of the next lead, then quit.
    tui.send("0170 1234502\tBob");
    tui.wait_until("Bob typed", TIMEOUT, |s| s.contains("= Bob"))?;
    tui.send(support::keys::CTRL_Q);
    tui.wait_exit(TIMEOUT)?;

    let mut tui = Tui::spawn_command_sized(live.command(&dirs, &args), support::ROWS, support::COLS);
    tui.wait_for("Restored the lead you were typing", TIMEOUT)?;
    let screen = tui.screen();
    let rows: Vec<&str> = screen
        .lines()
        .filter(|l| l.contains(" = "))
        .map(|l| l.trim_matches(|c| c == '┃' || c == ' '))
        .collect();
    let ok = screen.contains("0170 1234502")
        && rows.len() == 2
        && rows[0].trim_start_matches('▸').trim_start().starts_with("customer_name")
        && rows[0].contains("Bob")
        && rows[1].contains("email");
    if !ok {
        return Err(Failure(tui.failure("the half-typed lead and the two rows, in their order")));
    }
    Ok(())
}
