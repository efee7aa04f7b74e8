//! A fault-injecting HTTP/1.1 proxy on 127.0.0.1, in front of a real server (the in-process
//! sandbox). Each connection carries one request: the proxy reads its head and its
//! `Content-Length` body, and then, as the next queued fault for that route says, forwards it to
//! the server over a fresh connection and passes the answer back, or loses, breaks, replaces or
//! holds that answer. Every answer it writes says `Connection: close` and the connection is closed
//! after it, so a client's keep-alive pool never reuses a connection the proxy has done with.
//!
//! Every request is logged (method, path, the fault it took, whether it reached the server, when
//! it came), so tests can count the creates that were tried and the ones the server saw.

use std::collections::VecDeque;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

use crate::support::capture::find_bytes;
use crate::support::lock;

/// The requests a fault applies to: a method and a path (the query is not compared).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    /// `GET`, `POST`, ...
    pub method: &'static str,
    /// The path, e.g. `/api/user/lead`.
    pub path: &'static str,
}

/// `POST /api/user/lead`: creating a lead.
pub const CREATE: Route = Route { method: "POST", path: "/api/user/lead" };
/// `GET /api/user/leads`: listing leads (what the look-up before a resend uses).
pub const LIST: Route = Route { method: "GET", path: "/api/user/leads" };

/// What the proxy does with one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Forwards it and passes the answer back.
    Pass,
    /// Forwards it, reads the server's whole answer (the lead is created), then resets the
    /// connection (RST) without a byte of it: the answer is lost.
    ResetAfterForward,
    /// Answers this status itself; the server never sees the request (nothing is created).
    StatusBefore(u16),
    /// Forwards it (the lead is created), throws the answer away and answers this status
    /// instead: the client cannot know the outcome.
    StatusAfter(u16),
    /// `429` with `Retry-After: <seconds>`; not forwarded.
    RetryAfterSecs(u64),
    /// `429` with `Retry-After` as an HTTP date this far ahead (rounded down to the second, as
    /// the format has no fractions); not forwarded.
    RetryAfterDate(Duration),
    /// Never answers and keeps the connection open until the client gives up; not forwarded.
    Hang,
    /// Forwards it (the lead is created), then never answers and keeps the connection open until
    /// the client gives up.
    HangAfterForward,
    /// Forwards it (the lead is created), passes back only the first half of the server's answer,
    /// then closes the connection.
    HalfResponse,
    /// Forwards it (the lead is created), passes back only the first this many bytes of the
    /// server's answer (say, part of the status line), then closes the connection.
    FirstBytes(usize),
    /// A server slower than the client's timeout: holds the request this long before forwarding
    /// it (the lead is created only then), then passes the answer back to whoever still listens.
    SlowForward(Duration),
    /// Forwards it (the lead is created), then answers `200` with a web page (a login page, as
    /// a proxy in front of a misconfigured server gives) instead of the server's JSON.
    HtmlAfterForward,
    /// Forwards it (the lead is created), then answers `200` with a JSON body that never ends
    /// (chunked, as fast as the client reads) instead of the server's answer.
    EndlessAfterForward,
}

/// One request as the proxy saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    /// The method.
    pub method: String,
    /// The path, without the query.
    pub path: String,
    /// The fault it took (`Pass` when none was queued for it).
    pub fault: Fault,
    /// Whether the server received it and answered it (set once the server's answer is read).
    pub forwarded: bool,
    /// When its head arrived.
    pub at: Instant,
}

impl Seen {
    /// Whether it is a request on `route`.
    pub fn is(&self, route: Route) -> bool {
        self.method == route.method && self.path == route.path
    }
}

struct State {
    upstream: SocketAddr,
    faults: Mutex<VecDeque<(Route, Fault)>>,
    log: Mutex<Vec<Seen>>,
}

/// A running proxy (or, from [`Proxy::closed`], a reserved port with nothing listening yet).
/// Dropping it stops it and drops the connections it holds.
pub struct Proxy {
    addr: SocketAddr,
    state: Arc<State>,
    task: Mutex<Option<JoinHandle<()>>>,
}

impl Proxy {
    /// A proxy to `upstream` on a free port of 127.0.0.1, listening at once.
    pub async fn start(upstream: SocketAddr) -> Proxy {
        let proxy = Proxy::closed(upstream).await;
        proxy.open().await;
        proxy
    }

    /// A proxy to `upstream` whose port is reserved but closed: connecting to it is refused
    /// until [`Proxy::open`].
    pub async fn closed(upstream: SocketAddr) -> Proxy {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.expect("binding the proxy");
        let addr = listener.local_addr().expect("the proxy's address");
        drop(listener);
        let state =
            Arc::new(State { upstream, faults: Mutex::new(VecDeque::new()), log: Mutex::new(Vec::new()) });
        Proxy { addr, state, task: Mutex::new(None) }
    }

    /// Starts listening on the proxy's port (a no-op when it already listens).
    pub async fn open(&self) {
        if lock(&self.task).is_some() {
            return;
        }
        // The port was free a moment ago; SO_REUSEADDR (set by tokio) lets it be bound again at
        // once. Another process could take it meanwhile: try for a little while.
        let deadline = Instant::now() + Duration::from_secs(5);
        let listener = loop {
            match TcpListener::bind(self.addr).await {
                Ok(listener) => break listener,
                Err(e) if Instant::now() < deadline => {
                    eprintln!("proxy: binding {} again: {e}; retrying", self.addr);
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(e) => panic!("proxy: cannot bind {} again: {e}", self.addr),
            }
        };
        let state = Arc::clone(&self.state);
        let task = tokio::spawn(async move {
            // Connection tasks live in the set: when the proxy stops, they stop with it.
            let mut connections = JoinSet::new();
            loop {
                tokio::select! {
                    accepted = listener.accept() => match accepted {
                        Ok((stream, _)) => {
                            connections.spawn(serve(Arc::clone(&state), stream));
                        }
                        Err(e) => eprintln!("proxy: accept failed: {e}"),
                    },
                    Some(_) = connections.join_next(), if !connections.is_empty() => {}
                }
            }
        });
        *lock(&self.task) = Some(task);
    }

    /// The base URL to give a client, e.g. `http://127.0.0.1:40123/api`.
    pub fn base_url(&self) -> String {
        format!("http://{}/api", self.addr)
    }

    /// Queues `fault` for the next request on `route` that finds no earlier fault queued for it.
    pub fn inject(&self, route: Route, fault: Fault) {
        lock(&self.state.faults).push_back((route, fault));
    }

    /// Queues `fault` `n` times for `route`.
    pub fn inject_n(&self, route: Route, fault: Fault, n: usize) {
        for _ in 0..n {
            self.inject(route, fault);
        }
    }

    /// Faults queued and not yet taken.
    pub fn pending_faults(&self) -> usize {
        lock(&self.state.faults).len()
    }

    /// Every request so far, in arrival order.
    pub fn log(&self) -> Vec<Seen> {
        lock(&self.state.log).clone()
    }

    /// How many requests on `route` arrived.
    pub fn received(&self, route: Route) -> usize {
        lock(&self.state.log).iter().filter(|s| s.is(route)).count()
    }

    /// How many requests on `route` reached the server and were answered by it.
    pub fn forwarded(&self, route: Route) -> usize {
        lock(&self.state.log).iter().filter(|s| s.is(route) && s.forwarded).count()
    }

    /// The log as lines, for failure messages.
    pub fn describe(&self) -> String {
        let log = lock(&self.state.log);
        let start = log.first().map(|s| s.at);
        log.iter()
            .map(|s| {
                let ms = start.map_or(0, |t| s.at.duration_since(t).as_millis());
                let to = if s.forwarded { "forwarded" } else { "not forwarded" };
                format!("  +{ms:>5} ms {} {} {:?} ({to})", s.method, s.path, s.fault)
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        if let Some(task) = lock(&self.task).take() {
            task.abort();
        }
    }
}

/// One connection: one request, one answer (or none), then the connection ends.
async fn serve(state: Arc<State>, mut client: TcpStream) {
    let Some(request) = read_request(&mut client).await else { return };
    let fault = {
        let mut faults = lock(&state.faults);
        let found = faults.iter().position(|(route, _)| request.matches(*route));
        found.and_then(|i| faults.remove(i)).map_or(Fault::Pass, |(_, fault)| fault)
    };
    let index = {
        let mut log = lock(&state.log);
        log.push(Seen {
            method: request.method.clone(),
            path: request.path.clone(),
            fault,
            forwarded: false,
            at: Instant::now(),
        });
        log.len() - 1
    };
    let send_on = async || {
        let answer = forward(state.upstream, &request).await;
        if answer.is_some() {
            lock(&state.log)[index].forwarded = true;
        }
        answer
    };
    match fault {
        Fault::Pass => {
            if let Some(answer) = send_on().await {
                reply(&mut client, &answer).await;
            }
        }
        Fault::ResetAfterForward => {
            send_on().await;
            // SO_LINGER 0: closing sends an RST instead of a FIN.
            let _ = client.set_zero_linger();
            drop(client);
        }
        Fault::StatusBefore(status) => reply(&mut client, &status_answer(status)).await,
        Fault::StatusAfter(status) => {
            send_on().await;
            reply(&mut client, &status_answer(status)).await;
        }
        Fault::RetryAfterSecs(secs) => {
            reply(&mut client, &too_many(&secs.to_string())).await;
        }
        Fault::RetryAfterDate(ahead) => {
            let when = jiff::Timestamp::now() + jiff::SignedDuration::try_from(ahead).unwrap();
            let date = jiff::fmt::rfc2822::DateTimePrinter::new()
                .timestamp_to_rfc9110_string(&when)
                .expect("an HTTP date");
            reply(&mut client, &too_many(&date)).await;
        }
        Fault::Hang => hold(client).await,
        Fault::HangAfterForward => {
            send_on().await;
            hold(client).await;
        }
        Fault::SlowForward(delay) => {
            tokio::time::sleep(delay).await;
            if let Some(answer) = send_on().await {
                reply(&mut client, &answer).await;
            }
        }
        Fault::HtmlAfterForward => {
            send_on().await;
            let body = "<!DOCTYPE html><html><head><title>Log in</title></head><body>Log in</body></html>";
            let page = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=UTF-8\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            );
            reply(&mut client, page.as_bytes()).await;
        }
        Fault::EndlessAfterForward => {
            send_on().await;
            let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n1\r\n[\r\n";
            let piece = b"0,".repeat(16 * 1024);
            let chunk = [format!("{:x}\r\n", piece.len()).into_bytes(), piece, b"\r\n".to_vec()].concat();
            if client.write_all(head.as_bytes()).await.is_ok() {
                // Until the client hangs up.
                while client.write_all(&chunk).await.is_ok() {}
            }
        }
        Fault::HalfResponse | Fault::FirstBytes(_) => {
            if let Some(answer) = send_on().await {
                let bytes = with_connection_close(&answer);
                let n = match fault {
                    Fault::FirstBytes(n) => n.min(bytes.len()),
                    _ => bytes.len() / 2,
                };
                let _ = client.write_all(&bytes[..n]).await;
                let _ = client.flush().await;
                let _ = client.shutdown().await;
            }
        }
    }
}

/// A request as read from the client.
struct Request {
    method: String,
    path: String,
    head: Vec<String>,
    body: Vec<u8>,
}

impl Request {
    fn matches(&self, route: Route) -> bool {
        self.method == route.method && self.path == route.path
    }
}

/// Reads one request: the head up to the blank line, then `Content-Length` bytes of body.
/// `None` when the client closes first.
async fn read_request(stream: &mut TcpStream) -> Option<Request> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = find_bytes(&buf, b"\r\n\r\n") {
            break i;
        }
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head_text = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head_text.split("\r\n").map(str::to_owned);
    let request_line = lines.next()?;
    let head: Vec<String> = lines.collect();
    let mut parts = request_line.split(' ');
    let method = parts.next()?.to_owned();
    let target = parts.next()?.to_owned();
    let path = target.split('?').next().unwrap_or_default().to_owned();
    let length = header(&head, "content-length").and_then(|v| v.parse::<usize>().ok()).unwrap_or(0);
    let mut body = buf[head_end + 4..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    let mut head = head;
    head.insert(0, request_line);
    Some(Request { method, path, head, body })
}

/// Sends the request to the server on a fresh connection with `Connection: close`, and reads
/// the whole answer (to the server's end of the connection). `None` when the server cannot be
/// reached or breaks off.
async fn forward(upstream: SocketAddr, request: &Request) -> Option<Vec<u8>> {
    let mut server = TcpStream::connect(upstream).await.ok()?;
    let mut out = String::new();
    for (i, line) in request.head.iter().enumerate() {
        if i > 0 && is_header(line, "connection") {
            continue;
        }
        out.push_str(line);
        out.push_str("\r\n");
    }
    out.push_str("connection: close\r\n\r\n");
    server.write_all(out.as_bytes()).await.ok()?;
    server.write_all(&request.body).await.ok()?;
    server.flush().await.ok()?;
    let mut answer = Vec::new();
    server.read_to_end(&mut answer).await.ok()?;
    (!answer.is_empty()).then_some(answer)
}

/// Writes a whole answer (its `Connection` header replaced by `close`) and closes.
async fn reply(client: &mut TcpStream, answer: &[u8]) {
    let _ = client.write_all(&with_connection_close(answer)).await;
    let _ = client.flush().await;
    let _ = client.shutdown().await;
}

/// Keeps the connection open without answering until the client closes it.
async fn hold(mut client: TcpStream) {
    let mut sink = [0u8; 1024];
    while let Ok(n) = client.read(&mut sink).await {
        if n == 0 {
            break;
        }
    }
}

/// An answer with its `Connection` header (if any) replaced by `Connection: close`.
fn with_connection_close(answer: &[u8]) -> Vec<u8> {
    let Some(head_end) = find_bytes(answer, b"\r\n\r\n") else { return answer.to_vec() };
    let head = String::from_utf8_lossy(&answer[..head_end]);
    let mut out = String::new();
    for (i, line) in head.split("\r\n").enumerate() {
        if i > 0 && is_header(line, "connection") {
            continue;
        }
        out.push_str(line);
        out.push_str("\r\n");
    }
    out.push_str("connection: close\r\n\r\n");
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(&answer[head_end + 4..]);
    bytes
}

/// An error answer as the server's front would give it: Laravel's JSON for 500 and 503, the
/// reverse proxy's HTML page for 502 and 504.
fn status_answer(status: u16) -> Vec<u8> {
    let reason = match status {
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Error",
    };
    let (content_type, body) = match status {
        502 | 504 => (
            "text/html",
            format!(
                "<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n<center><h1>{status} {reason}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
            ),
        ),
        500 => ("application/json", r#"{"message":"Server Error"}"#.to_owned()),
        _ => ("application/json", format!(r#"{{"message":"{reason}"}}"#)),
    };
    format!(
        "HTTP/1.1 {status} {reason}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Laravel's `429` with `Retry-After: value`.
fn too_many(retry_after: &str) -> Vec<u8> {
    let body = r#"{"message":"Too Many Attempts."}"#;
    format!(
        "HTTP/1.1 429 Too Many Requests\r\ncontent-type: application/json\r\nretry-after: {retry_after}\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn is_header(line: &str, name: &str) -> bool {
    line.split_once(':').is_some_and(|(n, _)| n.trim().eq_ignore_ascii_case(name))
}

fn header<'a>(head: &'a [String], name: &str) -> Option<&'a str> {
    head.iter().find(|l| is_header(l, name)).and_then(|l| l.split_once(':')).map(|(_, v)| v.trim())
}
