//! The command line as scripts use it: the real binary, a real sandbox on loopback, a real history
//! file in a temp dir; exit codes and output checked.
#![allow(clippy::unwrap_used, reason = "a test or bench stops loudly at what it did not expect")]

mod support;

use std::path::Path;
use std::process::Output;

use autocalls_tui::sandbox::{Sandbox, SandboxOptions};
use support::command::{Home, text};

/// A fresh home for runs against `sandbox`.
async fn env(sandbox: &Sandbox) -> Home {
    Home::new(sandbox.base_url(), sandbox.key())
}

/// `create` with these arguments, which must succeed.
async fn create_ok(env: &Home, args: &[&str]) {
    let out = env.run(&[&["create"], args].concat()).await;
    assert_eq!(code(&out), 0, "create {args:?}: {}", text(&out.stderr));
}

fn code(output: &Output) -> i32 {
    output.status.code().expect("exited normally")
}

fn lines_in(path: &Path) -> usize {
    std::fs::read_to_string(path).map(|t| t.lines().count()).unwrap_or(0)
}

#[tokio::test]
async fn create_then_history_json() {
    let sandbox = Sandbox::start(SandboxOptions::default()).await.unwrap();
    let env = env(&sandbox).await;
    let out = env
        .run(&[
            "create",
            "--phone",
            "+1 (415) 555-0100",
            "--campaign",
            "12",
            "--var",
            "customer_name=Ada Lovelace",
            "--secondary",
            "+44 20 7946 0958,customer_name=Office",
            "--json",
        ])
        .await;
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let created: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(created["status"], "created");
    assert_eq!(created["phone_number"], "+14155550100");
    let server = sandbox.state().leads();
    assert_eq!(server.len(), 1);
    assert_eq!(created["lead_id"], server[0].id.as_str());

    let out = env.run(&["history", "--json"]).await;
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let lead = &list[0];
    for field in [
        "local_id",
        "status",
        "phone_number",
        "campaign_id",
        "variables",
        "secondary_contacts",
        "lead_id",
        "submitted_at",
        "error",
    ] {
        assert!(lead.get(field).is_some(), "history --json lacks `{field}`: {lead}");
    }
    assert_eq!(lead["campaign_id"], 12);
    assert_eq!(lead["variables"]["customer_name"], "Ada Lovelace");
    assert_eq!(lead["secondary_contacts"][0]["phone_number"], "+442079460958");
    assert_eq!(lead["secondary_contacts"][0]["variables"]["customer_name"], "Office");
    assert!(lead["error"].is_null());

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(env.history_file()).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let raw = std::fs::read_to_string(env.history_file()).unwrap();
    assert!(!raw.contains(&env.key), "the key never reaches the history");
}

#[tokio::test]
async fn invalid_input_exits_2_and_sends_nothing() {
    let sandbox = Sandbox::start(SandboxOptions::default()).await.unwrap();
    let env = env(&sandbox).await;
    let out = env.run(&["create", "--phone", "12", "--campaign", "12"]).await;
    assert_eq!(code(&out), 2);
    assert!(text(&out.stderr).contains("phone"), "{}", text(&out.stderr));
    let out = env.run(&["create", "--phone", "+14155550100", "--campaign", "12", "--var", "novalue"]).await;
    assert_eq!(code(&out), 2);
    let out = env.run(&["create", "--phone", "+14155550100", "--campaign", "12", "--var", "bad key=1"]).await;
    assert_eq!(code(&out), 2, "a name with a space is no variable name");
    assert!(text(&out.stderr).contains("not a variable name"), "{}", text(&out.stderr));
    let out = env.run(&["create", "--phone", "+14155550100"]).await;
    assert_eq!(code(&out), 2, "a campaign is required");
    assert_eq!(sandbox.state().create_requests(), 0);
    assert_eq!(lines_in(&env.history_file()), 0);
}

#[tokio::test]
async fn a_rejected_lead_exits_3_with_the_field_errors() {
    let sandbox = Sandbox::start(SandboxOptions::default()).await.unwrap();
    let env = env(&sandbox).await;
    let bad = env.run(&["create", "--phone", "+14155550100", "--campaign", "99"]).await;
    assert_eq!(code(&bad), 3);
    assert!(text(&bad.stderr).contains("campaign_id"), "{}", text(&bad.stderr));
    let out = env.run(&["history", "--json", "--status", "rejected"]).await;
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["error"]["http_status"], 422);
    assert!(list[0]["error"]["fields"]["campaign_id"].is_array());
}

/// The campaign is the team's record: a phone it already holds, from this history or created
/// anywhere else (here, a colleague's, made on the server directly), is not sent without
/// --allow-duplicate: exit 3 with what the server holds, nothing sent or recorded.
#[tokio::test]
async fn a_phone_the_campaign_already_holds_is_not_sent_again() {
    let sandbox = Sandbox::start(SandboxOptions::default()).await.unwrap();
    let env = env(&sandbox).await;
    let first = env.run(&["create", "--phone", "+14155550100", "--campaign", "12"]).await;
    assert_eq!(code(&first), 0, "{}", text(&first.stderr));
    let colleague = Home::new(sandbox.base_url(), sandbox.key());
    let theirs = colleague.run(&["create", "--phone", "+14155550111", "--campaign", "12"]).await;
    assert_eq!(code(&theirs), 0);
    let lines = lines_in(&env.history_file());
    for phone in ["+14155550100", "+1 415 555 0111"] {
        let dup = env.run(&["create", "--phone", phone, "--campaign", "12"]).await;
        let err = text(&dup.stderr);
        assert_eq!(code(&dup), 3, "{err}");
        assert!(err.contains("already in this campaign: #") && err.contains("status created"), "{err}");
        assert!(err.contains("Nothing was sent"), "{err}");
    }
    assert_eq!(sandbox.state().create_requests(), 2, "only the two first creates reached the server");
    assert_eq!(lines_in(&env.history_file()), lines, "nothing recorded");
    let allowed =
        env.run(&["create", "--phone", "+14155550100", "--campaign", "12", "--allow-duplicate"]).await;
    assert_eq!(code(&allowed), 0, "{}", text(&allowed.stderr));
}

#[tokio::test]
async fn an_unreachable_server_exits_4_and_keeps_the_lead() {
    let sandbox = Sandbox::start(SandboxOptions::default()).await.unwrap();
    let mut env = env(&sandbox).await;
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    env.base_url = format!("http://127.0.0.1:{port}/api");
    let out = env.run(&["create", "--phone", "+14155550100", "--campaign", "12"]).await;
    assert_eq!(code(&out), 4, "{}", text(&out.stderr));
    let out = env.run(&["history", "--json"]).await;
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(list[0]["phone_number"], "+14155550100");
    assert_eq!(list[0]["error"]["kind"], "unreachable");
}

#[tokio::test]
async fn plain_http_to_another_host_is_refused_before_sending() {
    let sandbox = Sandbox::start(SandboxOptions::default()).await.unwrap();
    let mut env = env(&sandbox).await;
    env.base_url = "http://example.com/api".into();
    let out = env.run(&["create", "--phone", "+14155550100", "--campaign", "12"]).await;
    assert_eq!(code(&out), 2);
    assert!(text(&out.stderr).contains("plain http"), "{}", text(&out.stderr));
    assert_eq!(lines_in(&env.history_file()), 0);
}

#[tokio::test]
async fn history_filters_and_csv() {
    let sandbox = Sandbox::start(SandboxOptions::default()).await.unwrap();
    let env = env(&sandbox).await;
    for (phone, name, campaign) in [
        ("+14155550100", "Ada", "12"),
        ("+14155550101", "Grace, \"Amazing\"", "12"),
        ("+14155550102", "Alan", "17"),
    ] {
        create_ok(
            &env,
            &["--phone", phone, "--campaign", campaign, "--var", &format!("customer_name={name}")],
        )
        .await;
    }
    let out = env.run(&["history", "--search", "grace"]).await;
    let table = text(&out.stdout);
    assert!(table.contains("+14155550101") && !table.contains("+14155550100"), "{table}");
    let out = env.run(&["history", "--campaign", "17", "--json"]).await;
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1);
    let out = env.run(&["history", "--csv", "--campaign", "12"]).await;
    let csv = text(&out.stdout);
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("phone_number,customer_name"));
    assert_eq!(lines.next(), Some("+14155550101,\"Grace, \"\"Amazing\"\"\""), "newest first: {csv}");
    assert_eq!(lines.next(), Some("+14155550100,Ada"));
}

/// `history --search` reads a number typed the national way through the region, for the lead's
/// phone and its secondary contacts' alike, and takes words in any order, without accents.
#[tokio::test]
async fn history_search_reads_national_numbers_through_the_region() {
    let sandbox = Sandbox::start(SandboxOptions::default()).await.unwrap();
    let env = env(&sandbox).await;
    for (phone, secondary, name) in
        [("+491701234505", "+493012345678", "Jörg Müller"), ("+14155550100", "+14155550199", "Ada")]
    {
        let name = format!("customer_name={name}");
        create_ok(&env, &["--phone", phone, "--campaign", "12", "--secondary", secondary, "--var", &name])
            .await;
    }
    let phones = |out: &Output| -> Vec<String> {
        let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        list.as_array().unwrap().iter().map(|l| l["phone_number"].as_str().unwrap().to_owned()).collect()
    };
    for search in ["0170 1234505", "030 1234 5678", "+49 30 12345678", "muller 0170"] {
        let out = env.run(&["history", "--json", "--region", "DE", "--search", search]).await;
        assert_eq!(code(&out), 0, "{}", text(&out.stderr));
        assert_eq!(phones(&out), ["+491701234505"], "{search}");
    }
    let out = env.run(&["history", "--json", "--search", "0170 1234505"]).await;
    assert!(phones(&out).is_empty(), "without a region the 0 is a digit like any other");
    assert!(
        text(&out.stderr).contains("--region"),
        "and the note says what is missing: {}",
        text(&out.stderr)
    );
}

#[tokio::test]
async fn no_key_says_how_to_get_one_or_use_the_sandbox() {
    let sandbox = Sandbox::start(SandboxOptions::default()).await.unwrap();
    let env = env(&sandbox).await;
    let out = env
        .command(&["create", "--phone", "+14155550100", "--campaign", "12"])
        .env_remove("AUTOCALLS_API_KEY")
        .output()
        .await
        .unwrap();
    assert_eq!(code(&out), 2);
    let err = text(&out.stderr);
    assert!(err.contains("AUTOCALLS_API_KEY") && err.contains("--sandbox"), "{err}");
}

#[tokio::test]
async fn config_path_and_show_never_print_the_key() {
    let sandbox = Sandbox::start(SandboxOptions::default()).await.unwrap();
    let env = env(&sandbox).await;
    let out = env.run(&["config", "path"]).await;
    assert_eq!(code(&out), 0);
    assert_eq!(
        text(&out.stdout).trim(),
        env.dir.path().join("config/autocalls-tui/config.toml").display().to_string()
    );
    let out = env.run(&["config", "show", "--region", "de"]).await;
    let shown = text(&out.stdout);
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    assert!(!shown.contains(&env.key), "{shown}");
    assert!(
        shown.contains("…-key") && shown.contains("AUTOCALLS_API_KEY"),
        "the last four characters and where: {shown}"
    );
    assert!(shown.lines().any(|l| l.starts_with("region") && l.ends_with("DE")), "{shown}");
}

#[tokio::test]
async fn every_command_explains_itself_and_the_extras_work() {
    let sandbox = Sandbox::start(SandboxOptions::default()).await.unwrap();
    let env = env(&sandbox).await;
    for command in [
        &["--help"][..],
        &["create", "--help"],
        &["history", "--help"],
        &["sandbox-server", "--help"],
        &["config", "--help"],
        &["completions", "--help"],
        &["man", "--help"],
    ] {
        let out = env.run(command).await;
        assert_eq!(code(&out), 0, "{command:?}");
        let help = text(&out.stdout);
        assert!(help.contains("Usage:"), "{command:?}: {help}");
        if command.len() > 1 && command[0] != "config" {
            assert!(help.contains("Example"), "{command:?} has examples: {help}");
        }
    }
    let out = env.run(&["--version"]).await;
    assert_eq!(text(&out.stdout).trim(), format!("autocalls-tui {}", env!("CARGO_PKG_VERSION")));
    let out = env.run(&["completions", "bash"]).await;
    assert!(code(&out) == 0 && text(&out.stdout).contains("autocalls-tui"));
    let out = env.run(&["completions", "zsh"]).await;
    assert!(code(&out) == 0 && text(&out.stdout).contains("#compdef autocalls-tui"));
    let out = env.run(&["man"]).await;
    let man = text(&out.stdout);
    assert!(code(&out) == 0 && man.contains(".TH autocalls-tui 1") && man.contains("sandbox"), "{man}");
}

/// `--sandbox` keeps its server's leads beside its history: a lead created in one run is there
/// (and its phone taken) in the next, as on the real API.
#[tokio::test]
async fn the_sandbox_remembers_its_leads_between_runs() {
    let sandbox = Sandbox::start(SandboxOptions::default()).await.unwrap();
    let env = env(&sandbox).await;
    let create = ["--sandbox", "create", "--phone", "+14155550100", "--campaign", "12", "--json"];
    let out = env.run(&create).await;
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let state = env.dir.path().join("data/autocalls-tui/sandbox-server.jsonl");
    assert!(state.exists(), "the sandbox's leads are kept in {}", state.display());
    let out = env.run(&create).await;
    assert_eq!(code(&out), 3, "the phone is taken in the next run too: {}", text(&out.stdout));
}

/// `resume_after_secs` set the quiet time before a lead left open was taken over; open leads are
/// now taken over as soon as their run ends. A config that still sets it keeps working, with a
/// notice, and every run lock is gone once `create` has ended.
#[tokio::test]
async fn an_old_config_with_resume_after_secs_gets_a_notice_not_an_error() {
    let sandbox = Sandbox::start(SandboxOptions::default()).await.unwrap();
    let env = env(&sandbox).await;
    let config = env.dir.path().join("config/autocalls-tui");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(config.join("config.toml"), "resume_after_secs = 90\n").unwrap();
    let out = env.run(&["create", "--phone", "+14155550100", "--campaign", "12"]).await;
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(err.contains("note:") && err.contains("`resume_after_secs` is no longer used"), "{err}");
    let shown = text(&env.run(&["config", "show"]).await.stdout);
    assert!(shown.contains("no longer used") && shown.contains("settling time"), "{shown}");
    let runs = env.dir.path().join("data/autocalls-tui/runs");
    let left: Vec<_> = std::fs::read_dir(&runs).unwrap().collect();
    assert!(left.is_empty(), "a run that ended removes its lock file: {left:?}");
    let history = std::fs::read_to_string(env.history_file()).unwrap();
    assert!(history.lines().all(|l| l.contains("\"run\":\"")), "every record names its run: {history}");
}

/// Seen: `config.toml` holding `api_key` with mode 0644, 0640 or 0604 raised no word anywhere.
/// Now `create`, `history` and `config show` warn (as ssh does for a key file), say the `chmod`
/// that fixes it, and `config show` marks the key; a private file, or one without the key, says
/// nothing.
#[tokio::test]
async fn a_config_file_others_can_read_with_the_key_in_it_is_warned_about() {
    use std::os::unix::fs::PermissionsExt;
    let sandbox = Sandbox::start(SandboxOptions::default()).await.unwrap();
    let env = env(&sandbox).await;
    let dir = env.dir.path().join("config/autocalls-tui");
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("config.toml");
    let warned = |stream: &str| stream.contains("other users can read it") && stream.contains("`chmod 600 ");
    for (n, mode) in [0o644, 0o640, 0o604].into_iter().enumerate() {
        std::fs::write(&config, format!("api_key = \"{}\"\n", sandbox.key())).unwrap();
        std::fs::set_permissions(&config, std::fs::Permissions::from_mode(mode)).unwrap();
        // The key comes from the file only.
        let phone = format!("+1415555020{n}");
        let out = env
            .command(&["create", "--phone", &phone, "--campaign", "12"])
            .env_remove("AUTOCALLS_API_KEY")
            .output()
            .await
            .unwrap();
        assert_eq!(code(&out), 0, "{}", text(&out.stderr));
        assert!(warned(&text(&out.stderr)), "create, mode {mode:o}: {}", text(&out.stderr));
        let out = env.command(&["history"]).output().await.unwrap();
        assert!(warned(&text(&out.stderr)), "history, mode {mode:o}: {}", text(&out.stderr));
        let out = env.command(&["config", "show"]).env_remove("AUTOCALLS_API_KEY").output().await.unwrap();
        let shown = text(&out.stdout);
        assert!(warned(&shown) && shown.contains("readable by others"), "config show: {shown}");
        assert!(!shown.contains(sandbox.key()), "{shown}");
    }
    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o600)).unwrap();
    let out = env.command(&["config", "show"]).output().await.unwrap();
    assert!(!warned(&text(&out.stdout)) && !warned(&text(&out.stderr)), "private: no warning");
    std::fs::write(&config, "default_region = \"DE\"\n").unwrap();
    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = env.command(&["config", "show"]).output().await.unwrap();
    assert!(!warned(&text(&out.stdout)), "no key in it: no warning");
}

/// Seen: `history` and the TUI warned about a history others can read (mode 0644); `create`
/// said nothing. Now it does too.
#[tokio::test]
async fn create_warns_about_a_history_others_can_read() {
    use std::os::unix::fs::PermissionsExt;
    let sandbox = Sandbox::start(SandboxOptions::default()).await.unwrap();
    let env = env(&sandbox).await;
    create_ok(&env, &["--phone", "+14155550300", "--campaign", "12"]).await;
    std::fs::set_permissions(env.history_file(), std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = env.run(&["create", "--phone", "+14155550301", "--campaign", "12"]).await;
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(err.contains("warning:") && err.contains("can be read or changed by other users"), "{err}");
    assert!(err.contains("chmod 600"), "{err}");
}

/// Seen: `history` refused to list a history it could only read. The file is made read-only
/// for the user running `history` (0400; as root, which reads anything, the command runs as
/// `nobody`, who owns the files then); it lists the leads, and changes nothing.
#[tokio::test]
async fn history_lists_a_history_it_may_only_read() {
    use std::os::unix::fs::PermissionsExt;
    let sandbox = Sandbox::start(SandboxOptions::default()).await.unwrap();
    let env = env(&sandbox).await;
    create_ok(&env, &["--phone", "+14155550400", "--campaign", "12"]).await;
    let history = env.history_file();
    let before = std::fs::read(&history).unwrap();
    let mut command = env.command(&["history", "--json"]);
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        const NOBODY: u32 = 65534;
        let mut dirs = vec![env.dir.path().to_path_buf()];
        while let Some(dir) = dirs.pop() {
            std::os::unix::fs::chown(&dir, Some(NOBODY), Some(NOBODY)).unwrap();
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                std::os::unix::fs::lchown(&path, Some(NOBODY), Some(NOBODY)).unwrap();
                if path.is_dir() && !path.is_symlink() {
                    dirs.push(path);
                }
            }
        }
        command.uid(NOBODY).gid(NOBODY);
    }
    std::fs::set_permissions(&history, std::fs::Permissions::from_mode(0o400)).unwrap();
    let out = command.output().await.unwrap();
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let leads: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(leads[0]["phone_number"], "+14155550400", "{leads}");
    assert_eq!(std::fs::read(&history).unwrap(), before);
    assert_eq!(std::fs::metadata(&history).unwrap().permissions().mode() & 0o777, 0o400);
}

/// Seen: the TUI refused a `[keys]` entry that `create` let pass silently. The config file is
/// checked as a whole by every command: a bad entry stops `create` (exit 2, nothing sent) and
/// `config show` with the same sentence the TUI gives.
#[tokio::test]
async fn a_bad_keys_entry_is_refused_by_every_command() {
    let sandbox = Sandbox::start(SandboxOptions::default()).await.unwrap();
    let env = env(&sandbox).await;
    let config = env.dir.path().join("config/autocalls-tui");
    std::fs::create_dir_all(&config).unwrap();
    for (entry, said) in [
        ("submit = \"Ctrl-Q\"", "`Ctrl-Q` already means \"quit\""),
        ("sumbit = \"F9\"", "`sumbit` is not a command"),
        ("submit = \"Hyper-S\"", "`Hyper-S` is not a key"),
    ] {
        std::fs::write(config.join("config.toml"), format!("[keys]\n{entry}\n")).unwrap();
        for args in [&["create", "--phone", "+14155550100", "--campaign", "12"][..], &["config", "show"]] {
            let out = env.run(args).await;
            let err = text(&out.stderr);
            assert_eq!(code(&out), 2, "{args:?} {entry}: {err}");
            assert!(err.contains("config.toml") && err.contains(said), "{args:?}: {err}");
        }
    }
    assert_eq!(sandbox.state().create_requests(), 0);
    assert!(!env.history_file().exists(), "nothing recorded either");
}
