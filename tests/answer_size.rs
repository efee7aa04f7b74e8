//! An answer cannot take the app's memory: a loopback server that streams a body without end
//! (or announces a huge one) while the resident memory is read from `/proc`. The client reads
//! at most `max_answer_mb` of an answer; past that the outcome is unknown, like garbage, and
//! the lead is looked up before it is ever sent again.
//!
//! The in-process test is the only one that reads this process's own memory, so it runs alone
//! (the tests here take one lock).
#![allow(clippy::unwrap_used, reason = "a test or bench stops loudly at what it did not expect")]
#![cfg(target_os = "linux")]

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use autocalls_tui::api::types::CreateLead;
use autocalls_tui::api::{ApiClient, ApiError, ClientOptions, DEFAULT_MAX_ANSWER};
use secrecy::SecretString;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use support::command::Home;

/// More than any run may hold: the server stops there, so even a client without a cap ends.
const SERVED_AT_MOST: u64 = 600 * 1024 * 1024;
/// How much more than idle the app may hold while such an answer comes (the issue's bound).
const ALLOWED: u64 = 60 * 1024 * 1024;

static ALONE: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// How a huge answer is announced.
#[derive(Clone, Copy)]
enum Huge {
    /// `Transfer-Encoding: chunked`, without end.
    Endless,
    /// `Content-Length` of a gigabyte, then the bytes.
    Announced,
}

/// A server on 127.0.0.1 that answers `GET /api/user/leads` with an empty page and every
/// other request `200` with a JSON body that does not end. Counts the bytes it wrote.
struct Streamer {
    port: u16,
    written: Arc<AtomicU64>,
    huge_answers: Arc<AtomicUsize>,
}

impl Streamer {
    async fn start(how: Huge) -> Streamer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let written = Arc::new(AtomicU64::new(0));
        let huge_answers = Arc::new(AtomicUsize::new(0));
        let (w, h) = (Arc::clone(&written), Arc::clone(&huge_answers));
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve(stream, how, Arc::clone(&w), Arc::clone(&h)));
            }
        });
        Streamer { port, written, huge_answers }
    }

    fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}/api", self.port)
    }
}

/// A request's head (to the blank line), as text; `None` when the client closes first.
async fn read_head(stream: &mut TcpStream) -> Option<String> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    Some(String::from_utf8_lossy(&buf).into_owned())
}

async fn serve(mut stream: TcpStream, how: Huge, written: Arc<AtomicU64>, huge: Arc<AtomicUsize>) {
    let Some(head) = read_head(&mut stream).await else { return };
    if head.starts_with("GET /api/user/leads") {
        let body = r#"{"data":[],"current_page":1,"last_page":1,"total":0}"#;
        let answer = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        let _ = stream.write_all(answer.as_bytes()).await;
        return;
    }
    huge.fetch_add(1, Ordering::SeqCst);
    let head = match how {
        Huge::Endless => {
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n"
                .to_owned()
        }
        Huge::Announced => format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
            1024_u64 * 1024 * 1024
        ),
    };
    if stream.write_all(head.as_bytes()).await.is_err() {
        return;
    }
    // `[0,0,0,...` : valid JSON as far as it goes.
    let piece: Vec<u8> = b"0,".repeat(32 * 1024);
    let framed = match how {
        Huge::Endless => {
            [format!("{:x}\r\n", piece.len()).into_bytes(), piece.clone(), b"\r\n".to_vec()].concat()
        }
        Huge::Announced => piece.clone(),
    };
    let mut sent = 0_u64;
    if matches!(how, Huge::Endless) && stream.write_all(b"1\r\n[\r\n").await.is_err() {
        return;
    }
    while sent < SERVED_AT_MOST {
        if stream.write_all(&framed).await.is_err() {
            return;
        }
        sent += framed.len() as u64;
        written.fetch_add(framed.len() as u64, Ordering::Relaxed);
    }
}

/// A client for `base_url` with the default answer limit.
fn client(base_url: &str) -> ApiClient {
    ApiClient::new(ClientOptions {
        base_url: base_url.to_owned(),
        key: SecretString::from("1|fixture-secret-key".to_owned()),
        connect_timeout: Duration::from_secs(2),
        request_timeout: Duration::from_secs(20),
        max_answer: DEFAULT_MAX_ANSWER,
    })
    .unwrap()
}

fn lead() -> CreateLead {
    CreateLead {
        phone_number: "+14155550100".into(),
        campaign_id: 12,
        variables: Default::default(),
        allow_dupplicate: true,
        secondary_contacts: vec![],
    }
}

/// A figure from `/proc/<pid>/status` (`VmRSS`, `VmHWM`), in bytes.
fn proc_status(pid: &str, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

fn mb(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// The client itself, in this process: idle memory after one ordinary request, then an
/// endless answer and a huge announced one. Each is cut off, reported as an unknown outcome
/// that names the limit, and the peak stays within 60 MB of idle.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_reads_no_more_than_the_limit() {
    let _alone = ALONE.lock().await;
    for how in [Huge::Endless, Huge::Announced] {
        let server = Streamer::start(how).await;
        let client = client(&server.base_url());
        // Warm: the client is built, the runtime's threads and buffers exist.
        let page = client.leads(&Default::default()).await.unwrap();
        assert!(page.data.is_empty());
        let idle = proc_status("self", "VmRSS").unwrap();
        let started = Instant::now();
        let err = client.create_lead(&lead()).await.unwrap_err();
        let peak = proc_status("self", "VmHWM").unwrap();
        let written = server.written.load(Ordering::Relaxed);
        assert!(
            peak < idle + ALLOWED,
            "idle {:.1} MB, peak {:.1} MB (server wrote {:.1} MB in {:?})",
            mb(idle),
            mb(peak),
            mb(written),
            started.elapsed()
        );
        assert!(written < SERVED_AT_MOST, "read all {} MB the server sent", mb(written));
        assert!(matches!(err, ApiError::UnknownOutcome(_)), "{err:?}");
        assert!(err.outcome_unknown());
        let said = err.to_string();
        assert!(said.contains("larger than 4 MB") && said.contains("max_answer_mb"), "{said}");
    }
}

/// A server on 127.0.0.1 that answers each path with a fixed body (and status).
async fn fixed(answers: Vec<(&'static str, u16, Vec<u8>)>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let answers = Arc::new(answers);
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let answers = Arc::clone(&answers);
            tokio::spawn(async move {
                let Some(head) = read_head(&mut stream).await else { return };
                let path = head.split(' ').nth(1).unwrap_or("").split('?').next().unwrap_or("").to_owned();
                let Some((_, status, body)) = answers.iter().find(|(p, _, _)| *p == path) else { return };
                let answer = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    body.len()
                );
                let _ = stream.write_all(answer.as_bytes()).await;
                let _ = stream.write_all(body).await;
            });
        }
    });
    port
}

/// `[{},{},…]` (or any `piece`, comma-joined) filling about `bytes`.
fn many(piece: &str, bytes: usize) -> String {
    let n = bytes / (piece.len() + 1);
    let mut text = String::with_capacity(bytes + 2);
    text.push('[');
    for i in 0..n {
        if i > 0 {
            text.push(',');
        }
        text.push_str(piece);
    }
    text.push(']');
    text
}

/// Seen (a helper's hostile server): bodies under the limit but made of tiny values (`{}`
/// a million times in a lead's variables, a million empty field errors, half a million tiny
/// leads on a page) grew forty times when parsed: `create` to 171 MB, a 422 to 177 MB, and the
/// TUI's status refresh over pages to 3 GB. Every answer the client reads is now parsed without
/// general values: nested values where scalars belong are read past, lists are cut. Each such
/// body in turn, in this process: the peak stays within 60 MB of idle.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_of_tiny_values_do_not_grow_when_parsed() {
    use autocalls_tui::api::{CallQuery, LeadQuery};
    let _alone = ALONE.lock().await;
    let size = DEFAULT_MAX_ANSWER - 64 * 1024;
    let empties = many("{}", size);
    let answer = format!(
        r#"{{"message":"ok","data":{{"id":7,"phone_number":"+14155550100","variables":{empties}}}}}"#
    );
    let page = format!(
        r#"{{"data":[{{"id":7,"phone_number":"+14155550100","variables":{empties}}}],"current_page":1,"last_page":1}}"#
    );
    let tiny_leads = many(r#"{"id":1}"#, size);
    let bare_calls = format!(r#"{{"data":[{{"id":1,"transcript":{}}}],"last_page":1}}"#, many("{}", size));
    let refusal = format!(r#"{{"message":"bad","errors":{{"phone_number":{}}}}}"#, many(r#""""#, size));
    let port = fixed(vec![
        ("/api/user/lead", 200, answer.into_bytes()),
        ("/api/user/leads", 200, page.into_bytes()),
        ("/api/user/campaigns", 200, tiny_leads.into_bytes()),
        ("/api/user/calls", 200, bare_calls.into_bytes()),
        ("/api/user/leads/7", 422, refusal.into_bytes()),
        ("/api/user/me", 200, br#"{"name":"x"}"#.to_vec()),
    ])
    .await;
    let client = client(&format!("http://127.0.0.1:{port}/api"));
    client.me().await.unwrap();
    let idle = proc_status("self", "VmRSS").unwrap();
    let created = client.create_lead(&lead()).await.unwrap();
    assert_eq!(created.lead.id, "7");
    assert_eq!(
        created.lead.variables,
        Some(serde_json::json!({})),
        "the list where variables belong is skipped"
    );
    let page = client.leads(&LeadQuery::default()).await.unwrap();
    assert_eq!(page.data.len(), 1);
    // 400,000 campaigns on one list: a bounded number kept.
    let campaigns = client.campaigns().await.unwrap();
    assert!(campaigns.len() <= 100_000, "{}", campaigns.len());
    let calls = client.calls(&CallQuery::default()).await.unwrap();
    assert!(calls.data[0].transcript.is_empty(), "turns that are not turns are no turns");
    let refused = client.update_lead(&"7".into(), &Default::default()).await.unwrap_err();
    let ApiError::Rejected { errors, .. } = &refused else { panic!("{refused:?}") };
    assert!(errors.is_empty(), "empty messages are not kept: {errors:?}");
    let peak = proc_status("self", "VmHWM").unwrap();
    assert!(peak < idle + ALLOWED, "idle {:.1} MB, peak {:.1} MB", mb(idle), mb(peak));
}

/// A server whose every lead page (`page` as asked, 20 pages) is about 3.9 MB of valid, small
/// leads: a first one of the page's own, then 1,000 with 440 variables each. Gives its port and how many pages it served.
async fn fat_pages() -> (u16, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let served = Arc::new(AtomicUsize::new(0));
    let vars: String = (0..440).map(|i| format!(r#""a{i}":0"#)).collect::<Vec<_>>().join(",");
    let leads: String = (0..1000)
        .map(|i| format!(r#"{{"id":{i},"phone_number":"+1415555{i:04}","variables":{{{vars}}}}}"#))
        .collect::<Vec<_>>()
        .join(",");
    let leads = Arc::new(leads);
    let counter = Arc::clone(&served);
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let (leads, served) = (Arc::clone(&leads), Arc::clone(&counter));
            tokio::spawn(async move {
                let Some(head) = read_head(&mut stream).await else { return };
                let page: u64 = head
                    .split(['?', '&', ' '])
                    .find_map(|p| p.strip_prefix("page="))
                    .and_then(|p| p.parse().ok())
                    .unwrap_or(1);
                served.fetch_add(1, Ordering::SeqCst);
                // Each page its own first lead: one that starts as the page before ends the listing.
                let body = format!(
                    r#"{{"data":[{{"id":{}}},{leads}],"current_page":{page},"last_page":20,"total":20000}}"#,
                    900_000 + page
                );
                let answer = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    body.len()
                );
                let _ = stream.write_all(answer.as_bytes()).await;
                let _ = stream.write_all(body.as_bytes()).await;
            });
        }
    });
    (port, served)
}

/// Seen (a helper's second round): pages of valid, small leads, each under the limit, added up:
/// a look-up over 20 pages took `create` to 1.3 GB, `leads` too, the TUI's refresh to 1 GB. Now
/// each page is handed on and let go of (a look-up keeps only its phone's leads, a refresh only
/// ids and statuses), and a page keeps at most the 100 leads it was asked for.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_do_not_add_up() {
    let _alone = ALONE.lock().await;
    let (port, served) = fat_pages().await;
    let client = client(&format!("http://127.0.0.1:{port}/api"));
    let query = autocalls_tui::api::LeadQuery::default();
    client.each_lead_page(&query, 1, |_| true).await.unwrap();
    let idle = proc_status("self", "VmRSS").unwrap();
    let found =
        autocalls_tui::delivery::look_up(&client, &lead(), jiff::Timestamp::UNIX_EPOCH, &[]).await.unwrap();
    assert!(found.is_none());
    let mut seen = 0;
    client
        .each_lead_page(&query, 50, |page| {
            seen += page.len();
            true
        })
        .await
        .unwrap();
    assert_eq!(seen, 20 * 100, "20 pages, 100 kept of each");
    assert!(served.load(Ordering::SeqCst) >= 41, "every page was asked");
    let peak = proc_status("self", "VmHWM").unwrap();
    assert!(peak < idle + ALLOWED, "idle {:.1} MB, peak {:.1} MB", mb(idle), mb(peak));
}

/// `create`, the real binary, against a server whose create answer never ends: its memory,
/// sampled from `/proc` while it runs, stays within 60 MB of what it held when its first
/// request arrived; it says the answer was too large, looks the lead up (absent), tries again a
/// few times and leaves the lead open: exit 4.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_stays_small_against_an_endless_answer() {
    let _alone = ALONE.lock().await;
    let server = Streamer::start(Huge::Endless).await;
    let home = Home::new(server.base_url(), "1|fixture-secret-key");
    let config = home.dir.path().join("config/autocalls-tui");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(config.join("config.toml"), "request_timeout_secs = 1\n").unwrap();
    let mut child = home
        .command(&["create", "--phone", "+14155550100", "--campaign", "12", "--allow-duplicate"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id().unwrap().to_string();
    let (mut idle, mut peak) = (None, 0_u64);
    let done = loop {
        if let Some(rss) = proc_status(&pid, "VmRSS") {
            // Idle: what it holds once it is sending (its first huge answer has begun).
            if idle.is_none() && server.huge_answers.load(Ordering::SeqCst) > 0 {
                idle = Some(rss);
            }
            peak = peak.max(rss);
        }
        match tokio::time::timeout(Duration::from_millis(5), child.wait()).await {
            Ok(status) => break status.unwrap(),
            Err(_) => continue,
        }
    };
    let mut stderr = String::new();
    child.stderr.take().unwrap().read_to_string(&mut stderr).await.unwrap();
    let idle = idle.expect("create's first request reached the server");
    assert!(peak < idle + ALLOWED, "idle {:.1} MB, peak {:.1} MB", mb(idle), mb(peak));
    assert_eq!(done.code(), Some(4), "{stderr}");
    assert!(stderr.contains("larger than 4 MB"), "{stderr}");
    assert!(server.huge_answers.load(Ordering::SeqCst) >= 2, "sent again after the look-up");
    // The lead stays open in the history for the next run to settle.
    let history = std::fs::read_to_string(home.history_file()).unwrap();
    assert!(history.contains("unknown_outcome"), "{history}");
}
