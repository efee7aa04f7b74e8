//! The real binary in a pseudo-terminal, killed with SIGKILL while its create is held, then
//! started again on the same files: it must look the lead up, not send it again.

use std::time::{Duration, Instant};

use autocalls_tui::history::Status;

use crate::proxy::{CREATE, Fault, LIST};
use crate::rig::{CAMPAIGN, PHONE, PHONE_TYPED, Rig, assert_history_created, folded};
use crate::support::steps::quit;
use crate::support::{Dirs, TIMEOUT, TestResult, Tui, keys};

fn poll(
    what: &str,
    tui: &Tui,
    mut check: impl FnMut() -> bool,
    report: impl Fn() -> String,
) -> Result<(), String> {
    let start = Instant::now();
    while !check() {
        if start.elapsed() > TIMEOUT {
            return Err(tui.failure(&format!("waiting for {what}: nothing after {TIMEOUT:?}\n{}", report())));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(())
}

#[test]
fn killed_mid_request_then_restarted_looks_the_lead_up_and_never_sends_it_again() -> TestResult {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let rig = runtime.block_on(Rig::start());
    // The first create reaches the server (the lead is created), and its answer never comes.
    rig.creates(&[Fault::HangAfterForward]);
    let dirs = Dirs::new();
    let config = dirs.config().join("autocalls-tui");
    std::fs::create_dir_all(&config).unwrap();
    // A long request timeout (the first run must still be waiting when it is killed), and a
    // setting an older version knew (a notice now, not an error).
    std::fs::write(
        config.join("config.toml"),
        "connect_timeout_secs = 2\nrequest_timeout_secs = 60\nresume_after_secs = 1\n",
    )
    .unwrap();
    let base_url = rig.proxy.base_url();
    let vars = [("AUTOCALLS_API_KEY", rig.sandbox.key()), ("AUTOCALLS_BASE_URL", base_url.as_str())];
    let campaign = CAMPAIGN.to_string();
    let args = ["--campaign", campaign.as_str()];

    // First run: send the lead; kill the app once the server has created it.
    let mut tui = Tui::spawn_command(dirs.command_with_env(&args, &vars));
    tui.wait_for("New lead", TIMEOUT)?;
    tui.send(PHONE_TYPED);
    tui.wait_for(PHONE, TIMEOUT)?;
    tui.send(keys::CTRL_S);
    poll("the create forwarded to the server", &tui, || rig.proxy.forwarded(CREATE) == 1, || rig.report())?;
    let entries = folded(&dirs.history());
    assert_eq!(entries.len(), 1, "{entries:#?}");
    assert_eq!(entries[0].status, Status::Pending, "still waiting for the answer: {entries:#?}");
    let status = tui.kill_hard(TIMEOUT)?;
    assert!(!status.success(), "killed: {status}");
    drop(tui);
    assert_eq!(folded(&dirs.history())[0].status, Status::Pending);

    // Second run, the proxy passing everything: the pending lead is looked up and found.
    let started = Instant::now();
    let mut tui = Tui::spawn_command(dirs.command_with_env(&args, &vars));
    tui.wait_for(&format!("Created {PHONE} (lead #"), TIMEOUT)?;
    eprintln!("restarted app resolved the lead in {:?}\n{}", started.elapsed(), rig.proxy.describe());
    quit(&mut tui)?;

    let lead = rig.assert_one_lead(1);
    assert!(rig.proxy.received(LIST) >= 1, "looked up\n{}", rig.report());
    assert_history_created(&dirs.history(), &lead);
    Ok(())
}
