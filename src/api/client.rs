//! The HTTP side: one shared `reqwest` client with connection reuse, the documented headers, no
//! redirects, timeouts, and the classification of failures.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderValue, LOCATION, RETRY_AFTER};
use reqwest::{Response, StatusCode, Url};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::error::ApiError;
use super::types::{
    self, Assistant, Call, CallPage, Campaign, CreateLead, Created, LeadId, LeadPage, UpdateLead,
};

/// How to reach the API.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// The base URL, e.g. `https://app.autocalls.ai/api`.
    pub base_url: String,
    /// The API key (a Laravel Sanctum token).
    pub key: SecretString,
    /// How long to wait for a connection.
    pub connect_timeout: Duration,
    /// How long a whole request may take.
    pub request_timeout: Duration,
    /// The most of an answer's body that is read, in bytes ([`DEFAULT_MAX_ANSWER`]): a lead or a
    /// page of leads is a few KB, and a server (or something in front of it) that sends more
    /// must not take the app's memory with it.
    pub max_answer: usize,
}

/// At most this many calls of one lead are read.
pub const MAX_CALLS: usize = 1000;

/// How much of an answer is read unless the config says otherwise: 4 MB, a thousand times a
/// page of leads.
pub const DEFAULT_MAX_ANSWER: usize = 4 * 1024 * 1024;

/// Filters for `GET /user/leads`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LeadQuery {
    /// Only leads of this campaign.
    pub campaign_id: Option<u64>,
    /// Phone number (the server matches partially).
    pub phone_number: Option<String>,
    /// Only leads with this server-side status.
    pub status: Option<String>,
    /// Leads per page, 1 to 100.
    pub per_page: Option<u32>,
    /// Page number, from 1.
    pub page: Option<u64>,
}

/// Filters for `GET /user/calls`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallQuery {
    /// Calls to this number (the server matches partially).
    pub phone_number: Option<String>,
    /// Calls of this campaign.
    pub campaign_id: Option<u64>,
    /// Calls per page, 1 to 100.
    pub per_page: Option<u32>,
    /// Page number, from 1.
    pub page: Option<u64>,
}

/// What `DELETE /user/leads/{id}` came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deleted {
    /// The server deleted it.
    Now,
    /// The server does not have it (`404`): deleted before, by anyone.
    AlreadyGone,
}

/// The account behind a key, from `GET /user/me`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Me {
    /// The account holder's name.
    #[serde(default)]
    pub name: String,
    /// The account's e-mail address.
    #[serde(default)]
    pub email: String,
}

/// A cheap-to-clone handle on the API; clones share one connection pool.
#[derive(Clone)]
pub struct ApiClient {
    http: Arc<OnceLock<Result<reqwest::Client, String>>>,
    timeouts: (Duration, Duration),
    max_answer: usize,
    base: Url,
    auth: HeaderValue,
}

impl std::fmt::Debug for ApiClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiClient").field("base", &self.base.as_str()).finish_non_exhaustive()
    }
}

impl ApiClient {
    /// Builds the client. Refuses a base URL that would send the key in clear text to another
    /// machine (plain `http` to a host that is not loopback).
    pub fn new(options: ClientOptions) -> Result<Self, ApiError> {
        let base = Url::parse(options.base_url.trim_end_matches('/'))
            .map_err(|e| ApiError::Invalid(format!("base URL `{}`: {e}", options.base_url)))?;
        match base.scheme() {
            "https" => {}
            "http" if is_loopback(&base) => {}
            "http" => {
                return Err(ApiError::Invalid(format!(
                    "refusing to send the API key over plain http to {}; use https",
                    base.host_str().unwrap_or("?")
                )));
            }
            other => return Err(ApiError::Invalid(format!("unsupported URL scheme `{other}`"))),
        }
        let mut auth = HeaderValue::from_str(&format!("Bearer {}", options.key.expose_secret()))
            .map_err(|_| ApiError::Invalid("the API key contains characters a header cannot carry".into()))?;
        auth.set_sensitive(true);
        let timeouts = (options.connect_timeout, options.request_timeout);
        Ok(ApiClient { http: Arc::default(), timeouts, max_answer: options.max_answer, base, auth })
    }

    /// The HTTP client, built by the first request: building it reads and parses the system's
    /// root certificates (milliseconds), which must not stand before the app's first frame.
    fn http(&self) -> Result<&reqwest::Client, ApiError> {
        let (connect, whole) = self.timeouts;
        // A proxy sees a plain-http request whole, the key with it; and loopback is this machine.
        // So only https to another host goes through the system's proxy (as CONNECT, in which
        // the proxy sees no more than the host).
        let direct = self.base.scheme() != "https" || is_loopback(&self.base);
        let built = self.http.get_or_init(|| {
            let builder = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .connect_timeout(connect)
                .timeout(whole)
                .user_agent(concat!("autocalls-tui/", env!("CARGO_PKG_VERSION")));
            let builder = if direct { builder.no_proxy() } else { builder };
            builder.build().map_err(|e| format!("HTTP client: {e}"))
        });
        built.as_ref().map_err(|e| ApiError::Invalid(e.clone()))
    }

    /// The base URL requests go to.
    pub fn base_url(&self) -> &str {
        self.base.as_str()
    }

    /// `POST /user/lead`: creates one lead.
    pub async fn create_lead(&self, lead: &CreateLead) -> Result<Created, ApiError> {
        let request = self.request(reqwest::Method::POST, "/user/lead")?.json(lead);
        let body = self.send(request).await?;
        types::decode_created(&body)
            .map_err(|e| ApiError::UnknownOutcome(format!("the server answered 200 but {e}")))
    }

    /// `GET /user/campaigns`: every campaign of the account.
    pub async fn campaigns(&self) -> Result<Vec<Campaign>, ApiError> {
        let body = self.send(self.request(reqwest::Method::GET, "/user/campaigns")?).await?;
        types::decode_list(&body).map_err(|e| ApiError::UnknownOutcome(e.to_string()))
    }

    /// `GET /user/assistants/outbound`: the outbound assistants and their call variables.
    pub async fn outbound_assistants(&self) -> Result<Vec<Assistant>, ApiError> {
        let request = self.request(reqwest::Method::GET, "/user/assistants/outbound")?;
        let body = self.send(request).await?;
        types::decode_list(&body).map_err(|e| ApiError::UnknownOutcome(e.to_string()))
    }

    /// `GET /user/leads`: one page of leads matching the query.
    pub async fn leads(&self, query: &LeadQuery) -> Result<LeadPage, ApiError> {
        let mut pairs: Vec<(&str, String)> = Vec::new();
        if let Some(id) = query.campaign_id {
            pairs.push(("campaign_id", id.to_string()));
        }
        if let Some(phone) = &query.phone_number {
            pairs.push(("phone_number", phone.clone()));
        }
        if let Some(status) = &query.status {
            pairs.push(("status", status.clone()));
        }
        if let Some(n) = query.per_page {
            pairs.push(("per_page", n.clamp(1, 100).to_string()));
        }
        if let Some(page) = query.page {
            pairs.push(("page", page.to_string()));
        }
        let request = self.request(reqwest::Method::GET, "/user/leads")?.query(&pairs);
        let body = self.send(request).await?;
        types::decode_lead_page(&body).map_err(|e| ApiError::UnknownOutcome(e.to_string()))
    }

    /// Every lead matching `query`, page after page (100 a page), each page handed to `take` and
    /// let go of before the next is asked (so what is held does not grow with the pages), until
    /// `take` says it has what it needs (`false`), the last page, or `max_pages` pages. A page
    /// that starts with the same lead as the one before (a paginator that does not move on)
    /// ends it too, unread. The one paging loop: look-ups, the duplicate check, status refreshes
    /// and `leads`.
    pub async fn each_lead_page(
        &self,
        query: &LeadQuery,
        max_pages: u64,
        mut take: impl FnMut(Vec<types::Lead>) -> bool,
    ) -> Result<(), ApiError> {
        let mut first_before: Option<LeadId> = None;
        for page in 1..=max_pages.max(1) {
            let query = LeadQuery { per_page: Some(100), page: Some(page), ..query.clone() };
            let result = self.leads(&query).await?;
            // Told by the leads, not by `current_page`, which a server may leave out.
            let first = result.data.first().map(|l| l.id.clone());
            if first.is_some() && first == first_before {
                break;
            }
            // The page asked, not the `current_page` the server says (which it may leave out).
            let more = page < result.last_page;
            if !take(result.data) || !more {
                break;
            }
            first_before = first;
        }
        Ok(())
    }

    /// The leads matching `query` that `keep` keeps, from at most `max_pages` pages (see
    /// [`each_lead_page`](Self::each_lead_page)).
    pub async fn leads_where(
        &self,
        query: &LeadQuery,
        max_pages: u64,
        mut keep: impl FnMut(&types::Lead) -> bool,
    ) -> Result<Vec<types::Lead>, ApiError> {
        let mut kept = Vec::new();
        self.each_lead_page(query, max_pages, |page| {
            kept.extend(page.into_iter().filter(|l| keep(l)));
            true
        })
        .await?;
        Ok(kept)
    }

    /// `PUT /user/leads/{id}`: changes what `change` holds; gives the server's message. A PUT
    /// sets the same values however often it is sent, so an unknown outcome may be sent again.
    pub async fn update_lead(&self, id: &LeadId, change: &UpdateLead) -> Result<Option<String>, ApiError> {
        let request = self.request_at(reqwest::Method::PUT, &["user", "leads", id.as_str()])?.json(change);
        let body = self.send(request).await?;
        Ok(said(&body)?.message)
    }

    /// `DELETE /user/leads/{id}`. A `404` is [`Deleted::AlreadyGone`], not an error.
    pub async fn delete_lead(&self, id: &LeadId) -> Result<Deleted, ApiError> {
        let request = self.request_at(reqwest::Method::DELETE, &["user", "leads", id.as_str()])?;
        match self.send(request).await {
            Ok(body) => said(&body).map(|_| Deleted::Now),
            Err(ApiError::Rejected { status: 404, .. }) => Ok(Deleted::AlreadyGone),
            Err(e) => Err(e),
        }
    }

    /// `GET /user/calls`: one page of calls matching the query.
    pub async fn calls(&self, query: &CallQuery) -> Result<CallPage, ApiError> {
        let mut pairs: Vec<(&str, String)> = Vec::new();
        if let Some(phone) = &query.phone_number {
            pairs.push(("phone_number", phone.clone()));
        }
        if let Some(id) = query.campaign_id {
            pairs.push(("campaign_id", id.to_string()));
        }
        if let Some(n) = query.per_page {
            pairs.push(("per_page", n.clamp(1, 100).to_string()));
        }
        if let Some(page) = query.page {
            pairs.push(("page", page.to_string()));
        }
        let request = self.request(reqwest::Method::GET, "/user/calls")?.query(&pairs);
        let body = self.send(request).await?;
        types::decode_page(&body).map_err(|e| ApiError::UnknownOutcome(e.to_string()))
    }

    /// Every call matching `query`, page after page (100 a page), up to `max_pages` pages and
    /// [`MAX_CALLS`] calls (a lead has a few; more is a server that never stops).
    pub async fn all_calls(&self, query: &CallQuery, max_pages: u64) -> Result<Vec<Call>, ApiError> {
        let mut calls: Vec<Call> = Vec::new();
        let mut first_before: Option<LeadId> = None;
        for page in 1..=max_pages.max(1) {
            let result =
                self.calls(&CallQuery { per_page: Some(100), page: Some(page), ..query.clone() }).await?;
            // A page that starts as the one before: the paginator does not move on.
            let first = result.data.first().map(|c| c.id.clone());
            if first.is_some() && first == first_before {
                break;
            }
            first_before = first;
            let more = page < result.last_page;
            calls.extend(result.data);
            if !more || calls.len() >= MAX_CALLS {
                calls.truncate(MAX_CALLS);
                break;
            }
        }
        Ok(calls)
    }

    /// `POST /user/campaigns/update-status`: starts (`start`) or stops a campaign; gives the
    /// status it is in now, as the server says (or the one asked for when it does not say).
    pub async fn set_campaign_running(&self, campaign: u64, start: bool) -> Result<String, ApiError> {
        let action = if start { "start" } else { "stop" };
        let body = serde_json::json!({ "campaign_id": campaign, "action": action });
        let request = self.request(reqwest::Method::POST, "/user/campaigns/update-status")?.json(&body);
        let answer = self.send(request).await?;
        #[derive(Deserialize, Default)]
        struct Data {
            #[serde(default)]
            status: Option<super::bounded::Scalar>,
        }
        #[derive(Deserialize, Default)]
        struct Answer {
            #[serde(default)]
            data: Option<Data>,
        }
        said(&answer)?;
        let answer: Answer = serde_json::from_slice(&answer).unwrap_or_default();
        let status = answer.data.and_then(|d| d.status).and_then(super::bounded::Scalar::into_text);
        let asked = if start { "in-progress" } else { "stopped" };
        Ok(crate::sanitize::cleaned(status.as_deref().unwrap_or(asked)))
    }

    /// `GET /user/me`: who the key belongs to; a cheap check that the key works.
    pub async fn me(&self) -> Result<Me, ApiError> {
        let body = self.send(self.request(reqwest::Method::GET, "/user/me")?).await?;
        serde_json::from_slice(&body).map_err(|e| ApiError::UnknownOutcome(e.to_string()))
    }

    fn request(&self, method: reqwest::Method, path: &str) -> Result<reqwest::RequestBuilder, ApiError> {
        let url = format!("{}{path}", self.base.as_str().trim_end_matches('/'));
        Ok(self
            .http()?
            .request(method, url)
            .header(AUTHORIZATION, self.auth.clone())
            .header(ACCEPT, "application/json"))
    }

    /// A request to the path made of `segments` under the base URL, each one percent-encoded
    /// (a lead id is the server's text and goes in as one segment, whatever it holds).
    fn request_at(
        &self,
        method: reqwest::Method,
        segments: &[&str],
    ) -> Result<reqwest::RequestBuilder, ApiError> {
        // `.` and `..` would be taken as steps up the path, not as an id.
        if let Some(odd) = segments.iter().find(|s| s.is_empty() || **s == "." || **s == "..") {
            return Err(ApiError::Invalid(format!("`{odd}` cannot be sent as a lead id")));
        }
        let mut url = self.base.clone();
        url.path_segments_mut()
            .map_err(|()| ApiError::Invalid("the base URL cannot take a path".into()))?
            .pop_if_empty()
            .extend(segments);
        Ok(self
            .http()?
            .request(method, url)
            .header(AUTHORIZATION, self.auth.clone())
            .header(ACCEPT, "application/json"))
    }

    /// Sends and classifies, logging one line per request: method, path (never the query, which
    /// can hold a phone number), status and duration. The key is in a sensitive header and is
    /// never logged.
    async fn send(&self, request: reqwest::RequestBuilder) -> Result<Vec<u8>, ApiError> {
        let started = std::time::Instant::now();
        let (method, path) = match request.try_clone().and_then(|r| r.build().ok()) {
            Some(built) => (built.method().to_string(), built.url().path().to_owned()),
            None => (String::from("?"), String::from("?")),
        };
        let response = request.send().await.map_err(classify_transport);
        let status = response.as_ref().map(|r| r.status().as_u16()).map_err(|_| ());
        let result = match response {
            Ok(response) => classify_response(response, self.max_answer).await,
            Err(e) => Err(e),
        };
        let ms = started.elapsed().as_millis();
        match (&status, &result) {
            (Ok(status), Ok(_)) => tracing::info!(%method, %path, status, ms, "request"),
            (Ok(status), Err(e)) => {
                tracing::warn!(%method, %path, status, ms, kind = ?e.kind(), "request failed");
            }
            (Err(_), Err(e)) => tracing::warn!(%method, %path, ms, kind = ?e.kind(), "request failed"),
            (Err(_), Ok(_)) => {}
        }
        result
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// Sorts a transport error: did anything reach the server?
fn classify_transport(error: reqwest::Error) -> ApiError {
    let error = error.without_url();
    let text = error_chain(&error);
    if error.is_builder() {
        ApiError::Invalid(text)
    } else if error.is_connect() {
        // The innermost cause says it best: "Connection refused", "dns error: ...".
        ApiError::Unreachable(root_cause(&error).unwrap_or(text))
    } else if error.is_timeout() {
        ApiError::UnknownOutcome(format!("no answer in time ({text})"))
    } else {
        ApiError::UnknownOutcome(text)
    }
}

fn root_cause(error: &dyn std::error::Error) -> Option<String> {
    let mut source = error.source()?;
    while let Some(next) = source.source() {
        source = next;
    }
    let text = source.to_string();
    let text = text.split(" (os error").next().unwrap_or(&text).trim();
    (!text.is_empty()).then(|| text.to_owned())
}

fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(e) = source {
        let s = e.to_string();
        if !text.contains(&s) {
            text.push_str(": ");
            text.push_str(&s);
        }
        source = e.source();
    }
    text
}

async fn classify_response(response: Response, max_answer: usize) -> Result<Vec<u8>, ApiError> {
    let status = response.status();
    let headers = response.headers().clone();
    let body = match read_body(response, max_answer).await {
        Ok(body) => body,
        // An error's body only adds words to the status: without them, the status still says it.
        Err(_) if !status.is_success() => Vec::new(),
        Err(BodyError::TooLarge) => {
            return Err(ApiError::UnknownOutcome(format!(
                "the answer was larger than {} (max_answer_mb in config.toml) and was not read",
                megabytes(max_answer)
            )));
        }
        Err(BodyError::Broke(e)) => {
            return Err(ApiError::UnknownOutcome(format!(
                "the answer broke off: {}",
                error_chain(&e.without_url())
            )));
        }
    };
    let is_html =
        headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("text/html"));
    if status.is_redirection() {
        let target = headers.get(LOCATION).and_then(|v| v.to_str().ok()).unwrap_or("elsewhere");
        return Err(ApiError::AuthUnsure(format!(
            "the server redirected to {} instead of answering; the key was probably not accepted",
            crate::sanitize::clean(target)
        )));
    }
    if status.is_success() {
        if is_html {
            return Err(ApiError::AuthUnsure(
                "the server answered with a web page (a login page?) instead of JSON".into(),
            ));
        }
        return Ok(body);
    }
    let laravel = LaravelError::from_body(&body);
    match status {
        StatusCode::UNAUTHORIZED => {
            Err(ApiError::Auth(laravel.message.unwrap_or_else(|| "Unauthenticated.".into())))
        }
        StatusCode::TOO_MANY_REQUESTS => Err(ApiError::RateLimited {
            retry_after: headers.get(RETRY_AFTER).and_then(|v| v.to_str().ok()).and_then(parse_retry_after),
        }),
        s if s.is_server_error() => Err(ApiError::UnknownOutcome(format!(
            "server error {}{}",
            s.as_u16(),
            laravel.message.map(|m| format!(": {m}")).unwrap_or_default()
        ))),
        s => Err(ApiError::Rejected {
            status: s.as_u16(),
            message: laravel
                .message
                .unwrap_or_else(|| s.canonical_reason().unwrap_or("request refused").to_owned()),
            errors: laravel.errors,
        }),
    }
}

/// What a 2xx answer to a change said: it must be a JSON object (its `message` kept, cleaned).
/// Anything else (an empty body, a web page sent as something else, garbage) is an answer that
/// cannot be read, so whether the change was made is not known.
struct Said {
    message: Option<String>,
}

fn said(body: &[u8]) -> Result<Said, ApiError> {
    #[derive(Deserialize)]
    struct Object {
        #[serde(default)]
        message: Option<super::bounded::Scalar>,
    }
    let object: Object = serde_json::from_slice(body).map_err(|_| {
        ApiError::UnknownOutcome(
            "the server answered without the JSON it sends; whether it did it is not known".into(),
        )
    })?;
    let message =
        object.message.and_then(super::bounded::Scalar::into_text).map(|m| crate::sanitize::cleaned(&m));
    Ok(Said { message: message.filter(|m| !m.is_empty()) })
}

/// Why an answer's body was not read.
enum BodyError {
    /// It was (or said it would be) longer than allowed.
    TooLarge,
    /// The connection broke off, or the time ran out.
    Broke(reqwest::Error),
}

/// The body, a piece at a time, stopping as soon as it grows past `max` bytes (or says with its
/// `Content-Length` that it will): what is held never exceeds `max` and one piece.
async fn read_body(mut response: Response, max: usize) -> Result<Vec<u8>, BodyError> {
    let announced = response.content_length().unwrap_or(0);
    if announced > max as u64 {
        return Err(BodyError::TooLarge);
    }
    let mut body = Vec::with_capacity(usize::try_from(announced).unwrap_or(0));
    while let Some(piece) = response.chunk().await.map_err(BodyError::Broke)? {
        if body.len() + piece.len() > max {
            return Err(BodyError::TooLarge);
        }
        body.extend_from_slice(&piece);
    }
    Ok(body)
}

/// `4 MB`, `512 KB`: a limit as the config file sets it.
fn megabytes(bytes: usize) -> String {
    const MB: usize = 1024 * 1024;
    if bytes >= MB && bytes.is_multiple_of(MB) {
        format!("{} MB", bytes / MB)
    } else {
        format!("{} KB", bytes.div_ceil(1024))
    }
}

/// A Laravel error body: `{"message": "...", "errors": {"field": ["...", ...]}}`, cleaned for
/// display and bounded (see [`super::bounded`]). Anything else gives an empty value.
#[derive(Debug, Default, Deserialize)]
struct LaravelError {
    #[serde(default)]
    message: Option<super::bounded::Scalar>,
    #[serde(default, deserialize_with = "super::bounded::field_errors")]
    errors: indexmap::IndexMap<String, Vec<String>>,
}

/// [`LaravelError`] as the app uses it.
struct Refusal {
    message: Option<String>,
    errors: indexmap::IndexMap<String, Vec<String>>,
}

impl LaravelError {
    fn from_body(body: &[u8]) -> Refusal {
        let e: LaravelError = serde_json::from_slice(body).unwrap_or_default();
        let message = e.message.and_then(super::bounded::Scalar::into_text);
        Refusal {
            message: message.map(|m| crate::sanitize::cleaned(&m)).filter(|m| !m.is_empty()),
            errors: e
                .errors
                .into_iter()
                .map(|(k, v)| {
                    (crate::sanitize::cleaned(&k), v.iter().map(|m| crate::sanitize::cleaned(m)).collect())
                })
                .collect(),
        }
    }
}

/// `Retry-After` is either whole seconds or an HTTP date. Capped at one hour.
pub(crate) fn parse_retry_after(value: &str) -> Option<Duration> {
    const CAP: Duration = Duration::from_secs(3600);
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs).min(CAP));
    }
    let when = jiff::fmt::rfc2822::parse(value).ok()?.timestamp();
    let wait = when.duration_since(jiff::Timestamp::now());
    Some(Duration::try_from(wait).unwrap_or(Duration::ZERO).min(CAP))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(base: &str) -> ClientOptions {
        ClientOptions {
            base_url: base.into(),
            key: SecretString::from("1|secret"),
            connect_timeout: Duration::from_secs(1),
            request_timeout: Duration::from_secs(1),
            max_answer: DEFAULT_MAX_ANSWER,
        }
    }

    #[test]
    fn plain_http_only_to_loopback() {
        assert!(ApiClient::new(options("https://app.autocalls.ai/api")).is_ok());
        assert!(ApiClient::new(options("http://127.0.0.1:8080/api")).is_ok());
        assert!(ApiClient::new(options("http://localhost/api")).is_ok());
        assert!(ApiClient::new(options("http://[::1]:9/api")).is_ok());
        let err = ApiClient::new(options("http://example.com/api")).unwrap_err();
        assert!(matches!(err, ApiError::Invalid(ref m) if m.contains("plain http")), "{err}");
        assert!(ApiClient::new(options("ftp://x")).is_err());
    }

    #[test]
    fn the_key_is_not_in_debug_output() {
        let client = ApiClient::new(options("https://app.autocalls.ai/api")).unwrap();
        assert!(!format!("{client:?}").contains("secret"));
    }

    #[test]
    fn retry_after_forms() {
        assert_eq!(parse_retry_after("7"), Some(Duration::from_secs(7)));
        assert_eq!(parse_retry_after("99999"), Some(Duration::from_secs(3600)));
        assert_eq!(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT"), Some(Duration::ZERO));
        let soon = jiff::Timestamp::now() + jiff::SignedDuration::from_secs(120);
        let http_date =
            jiff::fmt::rfc2822::DateTimePrinter::new().timestamp_to_rfc9110_string(&soon).unwrap();
        let wait = parse_retry_after(&http_date).unwrap();
        assert!((100..=120).contains(&wait.as_secs()), "{wait:?} from {http_date}");
        assert_eq!(parse_retry_after("soon"), None);
    }
}
