//! The commands that read and change the server as the team's shared record, run as scripts run
//! them: the real binary against a real sandbox on loopback, a real history in a temp dir.
#![allow(clippy::unwrap_used, reason = "a test or bench stops loudly at what it did not expect")]

mod support;

use std::process::Output;
use std::time::Duration;

use autocalls_tui::sandbox::{CREATED_PHASE, PROCESSING_PHASE, Sandbox, SandboxOptions};
use serde_json::Value;
use support::command::{Home, text};

fn code(output: &Output) -> i32 {
    output.status.code().expect("exited normally")
}

fn json(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&output.stdout)))
}

/// `leads` lists every lead of the campaign on the server, a colleague's too, across pages,
/// with `local_id` only for the one in this history.
#[tokio::test]
async fn leads_lists_the_campaigns_leads_and_marks_ours() {
    let options =
        SandboxOptions { colleague_every: Some(Duration::from_millis(20)), ..SandboxOptions::default() };
    let sandbox = Sandbox::start(options).await.unwrap();
    let home = Home::new(sandbox.base_url(), sandbox.key());
    let out = home
        .run(&["create", "--phone", "+14155550100", "--campaign", "12", "--var", "customer_name=Ada"])
        .await;
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    support::event_loop::wait_for(
        "the colleague's leads",
        support::TIMEOUT,
        || sandbox.state().leads().len() >= 4,
        String::new,
    )
    .await;
    let out = home.run(&["leads", "--campaign", "12", "--json"]).await;
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let rows = json(&out);
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), sandbox.state().leads().iter().filter(|l| l.campaign_id == Some(12)).count());
    let ours: Vec<&Value> = rows.iter().filter(|r| !r["local_id"].is_null()).collect();
    assert_eq!(ours.len(), 1, "{rows:?}");
    assert_eq!(ours[0]["phone_number"], "+14155550100");
    for row in rows {
        for field in ["id", "phone_number", "campaign_id", "status", "variables", "created_at"] {
            assert!(!row[field].is_null(), "{field} in {row}");
        }
    }
    assert!(rows.iter().any(|r| r["variables"]["source"] == "colleague"));
    // The table says which is ours; a status filter narrows it.
    let table = text(&home.run(&["leads", "--campaign", "12"]).await.stdout);
    assert_eq!(table.lines().filter(|l| l.contains("(yours)")).count(), 1, "{table}");
    let none = home.run(&["leads", "--campaign", "12", "--status", "completed", "--json"]).await;
    assert_eq!(json(&none), serde_json::json!([]));
}

/// `calls ID` with the server's id or the local id: the lead's calls, with the transcript, once
/// the sandbox has called it; none before.
#[tokio::test]
async fn calls_shows_a_leads_calls_by_either_id() {
    let sandbox = Sandbox::start(SandboxOptions::default()).await.unwrap();
    let home = Home::new(sandbox.base_url(), sandbox.key());
    let out = home
        .run(&[
            "create",
            "--phone",
            "+14155550100",
            "--campaign",
            "12",
            "--var",
            "customer_name=Grace",
            "--json",
        ])
        .await;
    let created = json(&out);
    let (id, local) =
        (created["lead_id"].as_str().unwrap().to_owned(), created["local_id"].as_str().unwrap().to_owned());
    let out = home.run(&["calls", &id, "--json"]).await;
    assert_eq!((code(&out), json(&out)), (0, serde_json::json!([])));
    sandbox.state().advance_clock(CREATED_PHASE + PROCESSING_PHASE + Duration::from_secs(1));
    for by in [&id, &local] {
        let out = home.run(&["calls", by, "--json"]).await;
        assert_eq!(code(&out), 0, "{}", text(&out.stderr));
        let calls = json(&out);
        assert_eq!(calls[0]["status"], "completed", "{calls}");
        assert!(
            calls[0]["transcript"]
                .as_array()
                .unwrap()
                .iter()
                .any(|t| t["text"].as_str().unwrap().contains("Grace"))
        );
    }
    let shown = text(&home.run(&["calls", &id]).await.stdout);
    assert!(
        shown.contains("completed") && shown.contains("answered by human") && shown.contains("Grace"),
        "{shown}"
    );
    let out = home.run(&["calls", "424242"]).await;
    assert_eq!(code(&out), 2);
    assert!(text(&out.stderr).contains("no lead 424242"));
}

/// `campaign start|stop`: a campaign without leads is refused with the rule said (exit 3).
#[tokio::test]
async fn a_campaign_starts_only_with_leads() {
    let sandbox = Sandbox::start(SandboxOptions::default()).await.unwrap();
    let home = Home::new(sandbox.base_url(), sandbox.key());
    let out = home.run(&["campaign", "start", "23"]).await;
    assert_eq!(code(&out), 3);
    assert!(text(&out.stderr).contains("needs leads"), "{}", text(&out.stderr));
    // No such campaign: refused for that, without the rule about leads.
    let out = home.run(&["campaign", "start", "999"]).await;
    assert_eq!(code(&out), 3);
    assert!(text(&out.stderr).contains("invalid"), "{}", text(&out.stderr));
    assert!(!text(&out.stderr).contains("needs leads"), "{}", text(&out.stderr));
    let out = home.run(&["create", "--phone", "+14155550100", "--campaign", "23"]).await;
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let out = home.run(&["campaign", "start", "23"]).await;
    assert_eq!((code(&out), text(&out.stdout).trim()), (0, "Campaign 23 is in-progress."));
    let out = home.run(&["campaign", "stop", "23"]).await;
    assert_eq!((code(&out), text(&out.stdout).trim()), (0, "Campaign 23 is stopped."));
}

/// Seen: `update --phone` moved a lead onto a phone the campaign already held (a duplicate
/// `create` refuses). Now it says what the campaign holds and sends nothing: exit 3.
#[tokio::test]
async fn a_fix_onto_a_phone_the_campaign_holds_is_refused() {
    let sandbox = Sandbox::start(SandboxOptions::default()).await.unwrap();
    let home = Home::new(sandbox.base_url(), sandbox.key());
    for phone in ["+14155550100", "+14155550101"] {
        let out = home.run(&["create", "--phone", phone, "--campaign", "12"]).await;
        assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    }
    let second = sandbox.state().leads()[1].id.to_string();
    let out = home.run(&["update", &second, "--phone", "+1 415 555 0100"]).await;
    assert_eq!(code(&out), 3, "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("already in this campaign: #1001"), "{}", text(&out.stderr));
    assert_eq!(sandbox.state().leads()[1].phone_number.as_deref(), Some("+14155550101"));
    // Its own phone, again, is no duplicate of itself.
    let out = home.run(&["update", &second, "--phone", "+1 415 555 0101", "--var", "customer_name=Bo"]).await;
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
}
