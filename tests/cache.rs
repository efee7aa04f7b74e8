//! The offline cache: round trips, private files, damaged and foreign files, sandbox separation and
//! crashes in the middle of a write.
#![allow(clippy::unwrap_used, reason = "a test or bench stops loudly at what it did not expect")]

use std::path::Path;

use autocalls_tui::api::types::{Assistant, Campaign};
use autocalls_tui::cache::{CACHE_VERSION, Cache, CacheError, Remembered};
use serde_json::{Value, json};

fn campaigns() -> Vec<Campaign> {
    vec![
        Campaign { id: 1, name: "Sales".into(), status: Some("in-progress".into()) },
        // Untrusted text must come back as it went in, without trouble.
        Campaign { id: u64::MAX, name: "evil \u{202e}\u{1b}[2J\n\0 ☎".into(), status: None },
    ]
}

fn assistants() -> Vec<Assistant> {
    let variables = json!({"customer_name": "", "company": "ACME", "limit": 3, "nested": {"a": [1]}});
    let Value::Object(map) = variables else { unreachable!() };
    vec![
        Assistant { id: 4, name: "Ava".into(), variables: map.into_iter().collect() },
        Assistant { id: 5, name: String::new(), variables: Default::default() },
    ]
}

fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn campaigns_round_trip_with_the_time_they_were_fetched() {
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::new(dir.path().join("cache"));
    assert!(cache.load_campaigns().unwrap().is_none(), "nothing saved yet");

    let before = jiff::Timestamp::now();
    cache.save_campaigns(&campaigns()).unwrap();
    let after = jiff::Timestamp::now();
    let loaded = cache.load_campaigns().unwrap().expect("saved");
    assert_eq!(loaded.value, campaigns());
    assert!(before <= loaded.fetched_at && loaded.fetched_at <= after, "{}", loaded.fetched_at);

    // The documented layout, with the time as RFC 3339 text.
    let file: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("cache/campaigns.json")).unwrap()).unwrap();
    let keys: Vec<&str> = file.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ["v", "fetched_at", "items"]);
    assert_eq!(file["v"], json!(CACHE_VERSION));
    assert_eq!(file["v"], json!(1));
    assert_eq!(file["fetched_at"].as_str().unwrap().parse::<jiff::Timestamp>().unwrap(), loaded.fetched_at);
    assert_eq!(file["items"][0]["name"], "Sales");

    // A newer list replaces the older one; an empty list is a cached empty list, not "no cache".
    cache.save_campaigns(&[]).unwrap();
    assert_eq!(cache.load_campaigns().unwrap().unwrap().value, Vec::<Campaign>::new());
}

#[test]
fn assistants_round_trip_and_do_not_touch_campaigns() {
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::new(dir.path());
    cache.save_assistants(&assistants()).unwrap();
    let loaded = cache.load_assistants().unwrap().expect("saved");
    // A nested default is not kept (an answer of tiny nested values must not grow when read),
    // its name is: names are what variables are offered by.
    let mut expected = assistants();
    expected[0].variables["nested"] = Value::Null;
    assert_eq!(loaded.value, expected);
    let keys: Vec<&String> = loaded.value[0].variables.keys().collect();
    assert_eq!(keys, ["customer_name", "company", "limit", "nested"], "order kept");
    assert!(dir.path().join("assistants.json").is_file());
    assert!(cache.load_campaigns().unwrap().is_none());
}

#[test]
fn remembered_state_round_trips_and_is_forgiving() {
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::new(dir.path());
    assert_eq!(cache.load_remembered(), Remembered::default());
    assert_eq!(Remembered::default().last_campaign, None);

    cache.save_remembered(&Remembered { last_campaign: Some(42), ..Remembered::default() }).unwrap();
    assert_eq!(cache.load_remembered(), Remembered { last_campaign: Some(42), ..Remembered::default() });
    assert!(dir.path().join("state.json").is_file());

    let state = dir.path().join("state.json");
    // Fields from a newer version are ignored; missing fields take their default.
    std::fs::write(&state, r#"{"last_campaign":7,"added_later":{"x":1}}"#).unwrap();
    assert_eq!(cache.load_remembered().last_campaign, Some(7));
    std::fs::write(&state, "{}").unwrap();
    assert_eq!(cache.load_remembered(), Remembered::default());
    // Damaged: the default, never an error or a panic.
    for garbage in [&b""[..], b"{", b"\xff\xfe", b"null", br#"{"last_campaign":"seven"}"#] {
        std::fs::write(&state, garbage).unwrap();
        assert_eq!(cache.load_remembered(), Remembered::default(), "{garbage:?}");
    }
    // And saving again repairs it.
    cache.save_remembered(&Remembered { last_campaign: Some(3), ..Remembered::default() }).unwrap();
    assert_eq!(cache.load_remembered().last_campaign, Some(3));
}

#[cfg(unix)]
#[test]
fn files_are_private_and_so_is_the_directory() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("xdg-cache/autocalls-tui");
    let cache = Cache::for_target(&root, true);
    cache.save_campaigns(&campaigns()).unwrap();
    cache.save_assistants(&assistants()).unwrap();
    cache.save_remembered(&Remembered { last_campaign: Some(1), ..Remembered::default() }).unwrap();

    for created in [dir.path().join("xdg-cache"), root.clone(), root.join("sandbox")] {
        assert_eq!(mode(&created), 0o700, "{}", created.display());
    }
    for name in ["campaigns.json", "assistants.json", "state.json"] {
        assert_eq!(mode(&root.join("sandbox").join(name)), 0o600, "{name}");
    }
    // No temporary file is left behind by a successful save.
    assert_eq!(names_in(&root.join("sandbox")), ["assistants.json", "campaigns.json", "state.json"]);

    // A file someone loosened is replaced by a private one, not written through.
    let live = Cache::for_target(&root, false);
    let file = root.join("campaigns.json");
    std::fs::write(&file, "{}").unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    live.save_campaigns(&campaigns()).unwrap();
    assert_eq!(mode(&file), 0o600);
}

#[test]
fn damaged_files_are_reported_as_damaged_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::new(dir.path());
    let file = dir.path().join("campaigns.json");
    let deep = "[".repeat(100_000);
    let long_string = format!(r#"{{"v":1,"fetched_at":"{}","items":[]}}"#, "x".repeat(100_000));
    let cases: Vec<&[u8]> = vec![
        b"",
        b"{",
        b"\xff\xfe\x00garbage",
        b"null",
        b"[1, 2]",
        b"{}",
        br#"{"v":"1","fetched_at":"2025-01-01T00:00:00Z","items":[]}"#,
        br#"{"v":1}"#,
        br#"{"v":1,"fetched_at":"yesterday","items":[]}"#,
        br#"{"v":1,"fetched_at":"2025-01-01T00:00:00Z","items":{}}"#,
        br#"{"v":1,"fetched_at":"2025-01-01T00:00:00Z","items":[{"id":null}]}"#,
        br#"{"v":1,"fetched_at":"2025-01-01T00:00:00Z","items":[]} trailing"#,
        br#"{"v":-1,"fetched_at":"2025-01-01T00:00:00Z","items":[]}"#,
        deep.as_bytes(),
        long_string.as_bytes(),
    ];
    for bytes in cases {
        std::fs::write(&file, bytes).unwrap();
        let shown = String::from_utf8_lossy(&bytes[..bytes.len().min(60)]).into_owned();
        match cache.load_campaigns() {
            Err(error @ CacheError::Damaged { .. }) => {
                let CacheError::Damaged { path, reason } = &error else { unreachable!() };
                assert_eq!(path, &file, "{shown}");
                assert!(!reason.is_empty(), "{shown}");
                assert!(reason.chars().count() <= 161, "reason kept short: {shown}");
                assert!(error.to_string().contains("campaigns.json"), "{error}");
            }
            other => panic!("{shown}: expected Damaged, got {other:?}"),
        }
    }
    // The next save replaces the damaged file.
    cache.save_campaigns(&campaigns()).unwrap();
    assert_eq!(cache.load_campaigns().unwrap().unwrap().value, campaigns());
}

#[test]
fn a_file_from_a_newer_version_is_damaged_not_misread() {
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::new(dir.path());
    let file = dir.path().join("assistants.json");
    // Even when the rest looks readable, another version is not trusted to mean the same.
    std::fs::write(
        &file,
        r#"{"v":99,"fetched_at":"2030-01-01T00:00:00Z","items":[{"id":4,"name":"Ava","variables":{}}]}"#,
    )
    .unwrap();
    match cache.load_assistants() {
        Err(CacheError::Damaged { path, reason }) => {
            assert_eq!(path, file);
            assert!(reason.contains("99"), "{reason}");
        }
        other => panic!("expected Damaged, got {other:?}"),
    }
    std::fs::write(&file, r#"{"v":99,"something":"else entirely"}"#).unwrap();
    assert!(matches!(cache.load_assistants(), Err(CacheError::Damaged { .. })));
}

#[test]
fn sandbox_and_live_caches_are_separate() {
    let dir = tempfile::tempdir().unwrap();
    let live = Cache::for_target(dir.path(), false);
    let sandbox = Cache::for_target(dir.path(), true);
    assert_eq!(live.dir(), dir.path());
    assert_eq!(sandbox.dir(), dir.path().join("sandbox"));
    assert_eq!(Cache::for_target(dir.path(), false), Cache::new(dir.path()));

    let demo = vec![Campaign { id: 900, name: "Demo".into(), status: None }];
    sandbox.save_campaigns(&demo).unwrap();
    sandbox.save_remembered(&Remembered { last_campaign: Some(900), ..Remembered::default() }).unwrap();
    assert!(live.load_campaigns().unwrap().is_none(), "demo campaigns must not reach the live cache");
    assert_eq!(live.load_remembered(), Remembered::default());

    live.save_campaigns(&campaigns()).unwrap();
    live.save_remembered(&Remembered { last_campaign: Some(1), ..Remembered::default() }).unwrap();
    assert_eq!(live.load_campaigns().unwrap().unwrap().value, campaigns());
    assert_eq!(sandbox.load_campaigns().unwrap().unwrap().value, demo);
    assert_eq!(sandbox.load_remembered().last_campaign, Some(900));
    assert_eq!(live.load_remembered().last_campaign, Some(1));
}

#[test]
fn an_interrupted_write_does_not_break_loading_or_saving() {
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::new(dir.path());
    cache.save_campaigns(&campaigns()).unwrap();
    let good = std::fs::read(dir.path().join("campaigns.json")).unwrap();

    // What a crash mid-write leaves: half-written temporary files beside the real one, named as
    // this module names them and as a simpler writer would.
    let leftovers =
        [".campaigns.json.0190a0b1c2d34e5f8a9b0c1d2e3f4a5b.tmp", "campaigns.json.tmp", ".state.json.x.tmp"];
    for name in leftovers {
        std::fs::write(dir.path().join(name), &good[..good.len() / 2]).unwrap();
    }
    assert_eq!(cache.load_campaigns().unwrap().unwrap().value, campaigns());
    assert_eq!(cache.load_remembered(), Remembered::default());

    // Saving still works with the leftovers in the way, and replaces the real file.
    let newer = vec![Campaign { id: 2, name: "Newer".into(), status: None }];
    cache.save_campaigns(&newer).unwrap();
    cache.save_remembered(&Remembered { last_campaign: Some(2), ..Remembered::default() }).unwrap();
    assert_eq!(cache.load_campaigns().unwrap().unwrap().value, newer);
    assert_eq!(cache.load_remembered().last_campaign, Some(2));

    // With only a leftover and no real file there is simply no cache.
    std::fs::remove_file(dir.path().join("campaigns.json")).unwrap();
    assert!(cache.load_campaigns().unwrap().is_none());
}

#[test]
fn io_failures_name_the_file_and_remembered_state_never_fails_to_load() {
    let dir = tempfile::tempdir().unwrap();
    // The cache directory is a regular file: nothing can be written or read under it.
    let blocker = dir.path().join("not-a-dir");
    std::fs::write(&blocker, "x").unwrap();
    let cache = Cache::new(&blocker);
    let error = cache.save_campaigns(&campaigns()).unwrap_err();
    assert!(matches!(error, CacheError::Io { .. }), "{error:?}");
    assert!(error.to_string().contains("not-a-dir"), "{error}");
    assert!(cache.save_remembered(&Remembered { last_campaign: Some(1), ..Remembered::default() }).is_err());
    assert_eq!(cache.load_remembered(), Remembered::default());
    assert!(matches!(cache.load_assistants(), Err(CacheError::Io { .. })), "ENOTDIR is not 'missing'");

    // A directory where the file should be: an error naming it, not a panic.
    let cache = Cache::new(dir.path());
    std::fs::create_dir(dir.path().join("campaigns.json")).unwrap();
    let error = cache.load_campaigns().unwrap_err();
    assert!(error.to_string().contains("campaigns.json"), "{error}");
    assert!(cache.save_campaigns(&campaigns()).is_err());
    assert_eq!(names_in(dir.path()), ["campaigns.json", "not-a-dir"], "failed save cleans its temp file");
}
