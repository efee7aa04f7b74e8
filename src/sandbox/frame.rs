//! What surrounds every request: the latency, counting creates, Bearer auth, injected faults, and
//! a last pass that makes every ordinary answer a JSON one, as Laravel's API answers are. Also the
//! small answer and body helpers the routes share.

use std::time::Duration;

use axum::body::{Body, to_bytes};
use axum::extract::{OriginalUri, Request, State};
use axum::http::header::{ALLOW, AUTHORIZATION, CONTENT_TYPE, LOCATION, RETRY_AFTER};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::{Fault, SandboxState};

/// The largest request body the sandbox reads.
const BODY_LIMIT: usize = 1024 * 1024;

/// Marks an answer that is deliberately not JSON (an injected fault), so [`frame`] leaves it.
#[derive(Clone, Copy)]
struct Faulted;

/// A JSON answer.
pub(super) fn reply(status: StatusCode, body: Value) -> Response {
    (status, axum::Json(body)).into_response()
}

/// A JSON `{"message": text}` answer.
pub(super) fn message(status: StatusCode, text: &str) -> Response {
    reply(status, json!({ "message": text }))
}

/// Around every request: counts creates on arrival, does the work, waits the latency before
/// answering, and turns any answer that is not JSON (axum's own `405`, for one) into a
/// Laravel-style JSON one. The work runs in a task of its own, so a client that gives up while
/// waiting does not undo it: as on a real server, the lead then exists though no answer came.
pub(super) async fn frame(State(state): State<SandboxState>, request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let latency = {
        let mut store = state.lock();
        if method == Method::POST && path.trim_end_matches('/') == "/api/user/lead" {
            store.create_requests += 1;
        }
        store.latency
    };
    let work = tokio::spawn(next.run(request));
    if latency > Duration::ZERO {
        tokio::time::sleep(latency).await;
    }
    let Ok(response) = work.await else {
        return message(StatusCode::INTERNAL_SERVER_ERROR, "Server Error");
    };
    let is_json = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json || response.extensions().get::<Faulted>().is_some() {
        return response;
    }
    let status = response.status();
    let text = if status == StatusCode::METHOD_NOT_ALLOWED {
        let allowed = response.headers().get(ALLOW).and_then(|v| v.to_str().ok()).unwrap_or("");
        let allowed: Vec<&str> = allowed.split(',').map(str::trim).filter(|m| !m.is_empty()).collect();
        format!(
            "The {method} method is not supported for route {}. Supported methods: {}.",
            path.trim_start_matches('/'),
            allowed.join(", ")
        )
    } else {
        status.canonical_reason().unwrap_or("Error").to_owned()
    };
    let mut fixed = message(status, &text);
    if let Some(allow) = response.headers().get(ALLOW) {
        fixed.headers_mut().insert(ALLOW, allow.clone());
    }
    fixed
}

/// Before every API route: the Bearer key, then any injected fault.
pub(super) async fn guard(State(state): State<SandboxState>, request: Request, next: Next) -> Response {
    let token = request
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim());
    if token != Some(state.key()) {
        return message(StatusCode::UNAUTHORIZED, "Unauthenticated.");
    }
    let fault = state.lock().faults.pop_front();
    let mut response = match fault {
        None => return next.run(request).await,
        Some(Fault::ServerError) => message(StatusCode::INTERNAL_SERVER_ERROR, "Server Error"),
        Some(Fault::ServerErrorAfterWork) => {
            drop(next.run(request).await);
            message(StatusCode::INTERNAL_SERVER_ERROR, "Server Error")
        }
        Some(Fault::RateLimited { retry_after_secs }) => {
            let mut r = message(StatusCode::TOO_MANY_REQUESTS, "Too Many Attempts.");
            r.headers_mut().insert(RETRY_AFTER, HeaderValue::from(retry_after_secs));
            r
        }
        Some(Fault::LoginRedirect) => {
            let mut r = html(StatusCode::FOUND, "Redirecting to /login");
            r.headers_mut().insert(LOCATION, HeaderValue::from_static("/login"));
            r
        }
        Some(Fault::HtmlPage) => html(StatusCode::OK, "<h1>Log in</h1><form method=\"post\"></form>"),
    };
    response.extensions_mut().insert(Faulted);
    response
}

fn html(status: StatusCode, body: &str) -> Response {
    let page = format!("<!DOCTYPE html><html><head><title>Login</title></head><body>{body}</body></html>");
    (status, [(CONTENT_TYPE, "text/html; charset=UTF-8")], page).into_response()
}

/// Unknown routes: Laravel's JSON `404`.
pub(super) async fn not_found(uri: OriginalUri) -> Response {
    let text = format!("The route {} could not be found.", uri.path().trim_start_matches('/'));
    message(StatusCode::NOT_FOUND, &text)
}

/// Reads a JSON body the way Laravel does: without a JSON content type, or unreadable, it counts
/// as empty (and validation then says what is missing).
pub(super) async fn json_body(headers: &HeaderMap, body: Body) -> Result<Value, Response> {
    let bytes = to_bytes(body, BODY_LIMIT)
        .await
        .map_err(|_| message(StatusCode::PAYLOAD_TOO_LARGE, "The request body is too large."))?;
    let is_json = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("/json") || v.contains("+json"));
    Ok(if is_json { serde_json::from_slice(&bytes).unwrap_or(Value::Null) } else { Value::Null })
}
