//! The client's classification of every way a request can end, against raw sockets on loopback
//! that misbehave on purpose: what decides whether a lead may be sent again.
#![allow(clippy::unwrap_used, reason = "a test or bench stops loudly at what it did not expect")]

use std::time::Duration;

use autocalls_tui::api::types::CreateLead;
use autocalls_tui::api::{ApiClient, ApiError, ClientOptions};
use secrecy::SecretString;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

fn client(port: u16) -> ApiClient {
    ApiClient::new(ClientOptions {
        base_url: format!("http://127.0.0.1:{port}/api"),
        key: SecretString::from("1|fixture-secret-key".to_owned()),
        connect_timeout: Duration::from_secs(2),
        request_timeout: Duration::from_millis(800),
        max_answer: autocalls_tui::api::DEFAULT_MAX_ANSWER,
    })
    .unwrap()
}

fn lead() -> CreateLead {
    CreateLead {
        phone_number: "+14155550100".into(),
        campaign_id: 12,
        variables: Default::default(),
        allow_dupplicate: false,
        secondary_contacts: vec![],
    }
}

/// Reads one HTTP request (head and `Content-Length` body) and returns it as text.
async fn read_request(stream: &mut TcpStream) -> String {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = stream.read(&mut chunk).await.unwrap();
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&buf);
        if let Some(head_end) = text.find("\r\n\r\n") {
            let length = text[..head_end]
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().parse::<usize>().unwrap())
                })
                .unwrap_or(0);
            if buf.len() >= head_end + 4 + length {
                break;
            }
        }
    }
    String::from_utf8_lossy(&buf).into_owned()
}

/// A one-shot server: accepts one connection, reads the request, then does `respond`.
async fn serve_once<F, Fut>(respond: F) -> (u16, tokio::task::JoinHandle<String>)
where
    F: FnOnce(TcpStream) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.unwrap();
        let request = read_request(&mut stream).await;
        respond(stream).await;
        request
    });
    (port, handle)
}

async fn answer(raw: &'static str) -> (u16, tokio::task::JoinHandle<String>) {
    serve_once(move |mut s| async move {
        s.write_all(raw.as_bytes()).await.unwrap();
        s.shutdown().await.ok();
    })
    .await
}

#[tokio::test]
async fn the_request_carries_the_documented_headers_and_body() {
    let (port, server) = answer(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 55\r\n\r\n{\"message\":\"Lead created successfully\",\"data\":{\"id\":1}}",
    )
    .await;
    let _ = client(port).create_lead(&lead()).await;
    let request = server.await.unwrap().to_ascii_lowercase();
    assert!(request.starts_with("post /api/user/lead http/1.1"), "{request}");
    assert!(request.contains("authorization: bearer 1|fixture-secret-key"));
    assert!(request.contains("accept: application/json"));
    assert!(request.contains("content-type: application/json"));
    assert!(request.contains("\"allow_dupplicate\":false"));
}

#[tokio::test]
async fn nothing_listening_is_unreachable() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let err = client(port).create_lead(&lead()).await.unwrap_err();
    assert!(
        matches!(err, ApiError::Unreachable(ref m) if m.to_lowercase() == "connection refused"),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_reset_after_the_body_was_read_is_an_unknown_outcome() {
    let (port, server) = serve_once(|s| async move {
        // Linger 0 makes close send a RST instead of a FIN.
        s.set_zero_linger().unwrap();
        drop(s);
    })
    .await;
    let err = client(port).create_lead(&lead()).await.unwrap_err();
    assert!(matches!(err, ApiError::UnknownOutcome(_)), "{err:?}");
    assert!(server.await.unwrap().contains("+14155550100"), "the body reached the server");
}

#[tokio::test]
async fn a_server_that_never_answers_is_an_unknown_outcome() {
    let (port, _server) = serve_once(|s| async move {
        tokio::time::sleep(Duration::from_secs(5)).await;
        drop(s);
    })
    .await;
    let err = client(port).create_lead(&lead()).await.unwrap_err();
    assert!(matches!(err, ApiError::UnknownOutcome(ref m) if m.contains("in time")), "{err:?}");
}

#[tokio::test]
async fn a_half_sent_answer_is_an_unknown_outcome() {
    let (port, _server) =
        answer("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{\"message\":\"Lead cre").await;
    let err = client(port).create_lead(&lead()).await.unwrap_err();
    assert!(matches!(err, ApiError::UnknownOutcome(_)), "{err:?}");
}

#[tokio::test]
async fn server_errors_are_unknown_outcomes() {
    for status in
        ["500 Internal Server Error", "502 Bad Gateway", "503 Service Unavailable", "504 Gateway Timeout"]
    {
        let raw: &'static str = Box::leak(
            format!("HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: 26\r\n\r\n{{\"message\":\"Server Error\"}}")
                .into_boxed_str(),
        );
        let (port, _server) = answer(raw).await;
        let err = client(port).create_lead(&lead()).await.unwrap_err();
        assert!(
            matches!(err, ApiError::UnknownOutcome(ref m) if m.contains(&status[..3])),
            "{status}: {err:?}"
        );
    }
}

#[tokio::test]
async fn a_200_with_garbage_is_an_unknown_outcome_not_a_success() {
    let (port, _server) =
        answer("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 8\r\n\r\n{\"ok\":1}")
            .await;
    let err = client(port).create_lead(&lead()).await.unwrap_err();
    assert!(matches!(err, ApiError::UnknownOutcome(_)), "{err:?}");
}

#[tokio::test]
async fn rate_limits_carry_retry_after() {
    let (port, _server) = answer(
        "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 7\r\nContent-Type: application/json\r\nContent-Length: 31\r\n\r\n{\"message\":\"Too Many Attempts.\"}",
    )
    .await;
    let err = client(port).create_lead(&lead()).await.unwrap_err();
    assert_eq!(err, ApiError::RateLimited { retry_after: Some(Duration::from_secs(7)) });
}

#[tokio::test]
async fn a_redirect_or_a_web_page_or_401_is_an_auth_failure() {
    for raw in [
        "HTTP/1.1 302 Found\r\nLocation: https://app.autocalls.ai/login\r\nContent-Length: 0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=UTF-8\r\nContent-Length: 13\r\n\r\n<html></html>",
        "HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nContent-Length: 30\r\n\r\n{\"message\":\"Unauthenticated.\"}",
    ] {
        let (port, _server) = answer(raw).await;
        let err = client(port).create_lead(&lead()).await.unwrap_err();
        assert!(err.is_auth(), "{raw}: {err:?}");
        // Only a 401 proves the request was not carried out; a redirect or a web page may come
        // after the server did the work, so a create answered so is looked up before a re-send.
        assert_eq!(err.outcome_unknown(), !raw.contains("401"), "{raw}: {err:?}");
        assert!(!err.to_string().contains("fixture-secret-key"));
    }
}

#[tokio::test]
async fn validation_errors_keep_their_fields_and_lose_control_characters() {
    let (port, _server) = answer(
        "HTTP/1.1 422 Unprocessable Content\r\nContent-Type: application/json\r\nContent-Length: 108\r\n\r\n{\"message\":\"bad \\u001b[31mphone\",\"errors\":{\"secondary_contacts.0.phone_number\":[\"must be E.164\"],\"x\":[\"y\"]}}",
    )
    .await;
    let err = client(port).create_lead(&lead()).await.unwrap_err();
    let ApiError::Rejected { status, message, errors } = err else { panic!("{err:?}") };
    assert_eq!(status, 422);
    assert_eq!(message, "bad phone");
    assert_eq!(errors["secondary_contacts.0.phone_number"], ["must be E.164"]);
}

/// Seen: a fix or a delete answered 200 with an empty body or a page that is not JSON was taken
/// as done (the server had never seen it). Such an answer cannot be read: outcome unknown.
#[tokio::test]
async fn a_change_answered_without_json_is_an_unknown_outcome() {
    for raw in [
        "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 19\r\n\r\n<html>login</html>\n",
    ] {
        let (port, _server) = answer(raw).await;
        let err = client(port).update_lead(&"1001".into(), &Default::default()).await.unwrap_err();
        assert!(err.outcome_unknown(), "{err:?}");
        let (port, _server) = answer(raw).await;
        let err = client(port).delete_lead(&"1001".into()).await.unwrap_err();
        assert!(err.outcome_unknown(), "{err:?}");
    }
    let (port, _server) =
        answer("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}").await;
    assert_eq!(client(port).update_lead(&"1001".into(), &Default::default()).await.unwrap(), None);
}

/// Seen: a server id `..` sent the change to the collection (`PUT /api/user/leads`). Ids that
/// are steps in a path are never sent as one.
#[tokio::test]
async fn ids_that_are_not_ids_are_never_sent() {
    let port = 9; // nothing is sent: refused before a connection
    for odd in ["..", ".", ""] {
        let err = client(port).delete_lead(&odd.into()).await.unwrap_err();
        assert!(matches!(err, ApiError::Invalid(_)), "{odd:?}: {err:?}");
    }
}

/// A loopback server answering every `GET /user/leads` with `body(page asked)`; counts requests.
async fn paging_server(body: fn(u64) -> String) -> (u16, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let asked = std::sync::Arc::new(AtomicUsize::new(0));
    let counter = std::sync::Arc::clone(&asked);
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let request = read_request(&mut stream).await;
            counter.fetch_add(1, Ordering::SeqCst);
            let page = request
                .split(['?', '&', ' '])
                .find_map(|p| p.strip_prefix("page="))
                .and_then(|p| p.parse().ok())
                .unwrap_or(1);
            let body = body(page);
            let answer = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(answer.as_bytes()).await;
        }
    });
    (port, asked)
}

/// Seen: a paginator that never moves on (the same page, `last_page` 1,000) made `leads` print one
/// lead 1,000 times. A page that starts as the one before ends the listing; a server that
/// leaves out `current_page` but does move on is still read to its last page.
#[tokio::test]
async fn paging_ends_when_the_pages_do_not_move_on_and_not_before() {
    use std::sync::atomic::Ordering;
    let (port, asked) =
        paging_server(|_| r#"{"data":[{"id":7}],"current_page":1,"last_page":1000}"#.to_owned()).await;
    let mut pages = 0;
    client(port)
        .each_lead_page(&Default::default(), 1000, |_| {
            pages += 1;
            true
        })
        .await
        .unwrap();
    assert_eq!((pages, asked.load(Ordering::SeqCst)), (1, 2));
    let (port, asked) = paging_server(|page| format!(r#"{{"data":[{{"id":{page}}}],"last_page":3}}"#)).await;
    let mut ids = Vec::new();
    client(port)
        .each_lead_page(&Default::default(), 1000, |page| {
            ids.extend(page.into_iter().map(|l| l.id.to_string()));
            true
        })
        .await
        .unwrap();
    assert_eq!(ids, ["1", "2", "3"]);
    assert_eq!(asked.load(Ordering::SeqCst), 3);
}
