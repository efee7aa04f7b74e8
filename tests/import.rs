//! `autocalls-tui import`, the real binary against the sandbox on loopback: a 42-row CSV with two
//! bad rows checked in a dry run, then sent, killed part way and run again: each of the 40 leads
//! is on the server once, with its secondary contact; a TSV with no header from stdin; an XLSX.
#![allow(clippy::unwrap_used, reason = "a test or bench stops loudly at what it did not expect")]

mod support;

use std::process::Stdio;
use std::time::Duration;

use autocalls_tui::sandbox::{Sandbox, SandboxOptions};
use serde_json::Value;
use support::command::{Home, text};
use tokio::io::AsyncWriteExt;

/// 42 rows: 40 good ones (a phone, a name, an e-mail and a secondary phone), and on lines 9 and 32
/// a phone that is not one.
fn leads_csv() -> String {
    let mut rows = vec!["phone_number,Name,E-Mail,secondary_phone_1".to_owned()];
    for i in 0..42 {
        rows.push(match i {
            7 => "not-a-number,Bad One,,".to_owned(),
            30 => "+1 415 555,Bad Two,,".to_owned(),
            _ => format!("+1 415 555 {:04},Person {i},p{i}@example.com,+1 212 555 {:04}", 1000 + i, 2000 + i),
        });
    }
    rows.join("\n") + "\n"
}

fn code(out: &std::process::Output) -> Option<i32> {
    out.status.code()
}

fn rows(out: &std::process::Output) -> Vec<Value> {
    let printed: Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&out.stdout)));
    printed["rows"].as_array().unwrap().clone()
}

fn count(rows: &[Value], status: &str) -> usize {
    rows.iter().filter(|r| r["status"] == status).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forty_of_forty_two_rows_are_created_once_even_when_the_import_is_killed_and_run_again() {
    let options = SandboxOptions { latency: Duration::from_millis(150), ..SandboxOptions::default() };
    let sandbox = Sandbox::start(options).await.unwrap();
    let home = Home::new(sandbox.base_url(), sandbox.key());
    let file = home.dir.path().join("leads.csv");
    std::fs::write(&file, leads_csv()).unwrap();
    let file = file.to_str().unwrap();

    // The dry run: 40 ok, 2 not, nothing sent.
    let out = home.run(&["import", file, "--campaign", "12", "--dry-run", "--json"]).await;
    assert_eq!(code(&out), Some(2), "{}", text(&out.stderr));
    let checked = rows(&out);
    assert_eq!(checked.len(), 42);
    assert_eq!((count(&checked, "ok"), count(&checked, "invalid")), (40, 2), "{checked:#?}");
    let bad: Vec<u64> =
        checked.iter().filter(|r| r["status"] == "invalid").map(|r| r["row"].as_u64().unwrap()).collect();
    assert_eq!(bad, [9, 32], "the file's lines");
    assert!(checked.iter().filter(|r| r["status"] == "invalid").all(|r| r["error"].is_string()));
    assert_eq!(sandbox.state().leads().len(), 0, "a dry run sends nothing");

    // The real run, killed once some leads are in the history, then run again.
    let mut child = home
        .command(&["import", file, "--campaign", "12"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let history = home.history_file();
    let submitted = || {
        std::fs::read_to_string(&history)
            .map_or(0, |t| t.lines().filter(|l| l.contains(r#""type":"submitted""#)).count())
    };
    let waited = tokio::time::Instant::now();
    while submitted() < 12 {
        assert!(waited.elapsed() < Duration::from_secs(30), "the import wrote nothing");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    child.start_kill().unwrap();
    child.wait().await.unwrap();
    let before = sandbox.state().leads().len();
    assert!(before < 40, "killed part way: {before} created");

    let out = home.run(&["import", file, "--campaign", "12", "--json"]).await;
    assert_eq!(code(&out), Some(2), "two rows are invalid: {}", text(&out.stderr));
    let sent = rows(&out);
    assert_eq!((count(&sent, "created"), count(&sent, "invalid")), (40, 2), "{sent:#?}");
    let leads = sandbox.state().leads_json();
    assert_eq!(leads.len(), 40, "each lead once");
    let mut phones: Vec<&str> = leads.iter().map(|l| l["phone_number"].as_str().unwrap()).collect();
    phones.sort_unstable();
    phones.dedup();
    assert_eq!(phones.len(), 40);
    assert!(
        leads.iter().all(|l| l["secondary_contacts"].as_array().is_some_and(|c| c.len() == 1)),
        "each with its secondary contact: {leads:#?}"
    );
    let ada = leads.iter().find(|l| l["phone_number"] == "+14155551000").unwrap();
    assert_eq!(ada["variables"]["customer_name"], "Person 0", "Name is customer_name");
    assert_eq!(ada["variables"]["email"], "p0@example.com", "E-Mail is email");

    // A third run sends nothing: every row is created already.
    let creates = sandbox.state().create_requests();
    let out = home.run(&["import", file, "--campaign", "12", "--json"]).await;
    assert_eq!(count(&rows(&out), "created"), 40);
    assert_eq!(sandbox.state().create_requests(), creates, "nothing sent again");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_pasted_without_a_header_from_stdin_and_the_teams_leads_are_marked() {
    let sandbox = Sandbox::start(SandboxOptions::default()).await.unwrap();
    let home = Home::new(sandbox.base_url(), sandbox.key());
    // A colleague has one of the phones in the campaign already.
    let out = home.run(&["create", "--phone", "+14155550101", "--campaign", "12"]).await;
    assert_eq!(code(&out), Some(0), "{}", text(&out.stderr));
    std::fs::remove_file(home.history_file()).unwrap();
    let block = "Ada Lovelace\t+1 415 555 0100\tada@example.com\nGrace Hopper\t+1 415 555 0101\tgrace@example.com\nAda again\t+1 415 555 0100\t\n";
    let mut child = home
        .command(&["import", "-", "--campaign", "12", "--json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(block.as_bytes()).await.unwrap();
    let out = child.wait_with_output().await.unwrap();
    assert_eq!(code(&out), Some(3), "duplicates are refused: {}", text(&out.stderr));
    assert!(text(&out.stderr).contains("customer_name ← A, phone ← B, email ← C"), "{}", text(&out.stderr));
    let result = rows(&out);
    let statuses: Vec<&str> = result.iter().map(|r| r["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["created", "duplicate", "duplicate"], "{result:#?}");
    assert!(result[1]["error"].as_str().unwrap().contains("already in this campaign"), "{result:#?}");
    assert!(result[2]["error"].as_str().unwrap().contains("row 1"), "{result:#?}");
    assert_eq!(sandbox.state().leads().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_that_is_not_a_table_or_has_no_phone_column_is_refused_clearly() {
    let sandbox = Sandbox::start(SandboxOptions::default()).await.unwrap();
    let home = Home::new(sandbox.base_url(), sandbox.key());
    let dir = home.dir.path();
    std::fs::write(dir.join("names.csv"), "name,email\nAda,ada@example.com\n").unwrap();
    let out = home.run(&["import", dir.join("names.csv").to_str().unwrap(), "--campaign", "12"]).await;
    assert_eq!(code(&out), Some(2));
    assert!(text(&out.stderr).contains("no phone column"), "{}", text(&out.stderr));
    std::fs::write(dir.join("image.png"), [0x89, b'P', b'N', b'G', 0xff, 0xfe]).unwrap();
    let out = home.run(&["import", dir.join("image.png").to_str().unwrap(), "--campaign", "12"]).await;
    assert_eq!(code(&out), Some(2));
    assert!(text(&out.stderr).contains("not a CSV, TSV or XLSX"), "{}", text(&out.stderr));
    let out = home.run(&["import", dir.join("missing.csv").to_str().unwrap(), "--campaign", "12"]).await;
    assert_eq!(code(&out), Some(2));
    assert!(text(&out.stderr).contains("missing.csv"), "{}", text(&out.stderr));
    assert_eq!(sandbox.state().create_requests(), 0);
}

/// An XLSX workbook (its first sheet): read as a CSV is; a phone stored as a number has lost its
/// `+`, and the row says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_xlsx_workbook_is_read_from_its_first_sheet() {
    let sandbox = Sandbox::start(SandboxOptions::default()).await.unwrap();
    let home = Home::new(sandbox.base_url(), sandbox.key());
    let file = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/stand.xlsx");
    let out = home.run(&["import", file, "--campaign", "12", "--json"]).await;
    assert_eq!(code(&out), Some(2), "one row is invalid: {}", text(&out.stderr));
    let result = rows(&out);
    let phones: Vec<&str> = result.iter().map(|r| r["phone_number"].as_str().unwrap()).collect();
    assert_eq!(phones, ["4917012345670", "+49301234567", "+14155550150"], "{result:#?}");
    assert_eq!(result[0]["status"], "invalid");
    assert!(result[0]["error"].as_str().unwrap().contains("stored as a number"), "{result:#?}");
    assert_eq!(count(&result, "created"), 2);
    let leads = sandbox.state().leads_json();
    let max = leads.iter().find(|l| l["phone_number"] == "+49301234567").unwrap();
    assert_eq!(max["variables"]["customer_name"], "Max Mustermann");
    assert_eq!(max["variables"]["company_name"], "Muster AG", "Company is company_name");
}
