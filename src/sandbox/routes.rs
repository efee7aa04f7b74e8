//! The sandbox's routes under `/api` and their handlers: create, list, update and delete leads,
//! the demo campaigns and assistants, and the account.

use axum::Router;
use axum::body::Body;
use axum::extract::rejection::PathRejection;
use axum::extract::{OriginalUri, Path, RawQuery, State};
use axum::http::header::HOST;
use axum::http::{HeaderMap, StatusCode};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde_json::{Value, json};

use super::SandboxState;
use super::data;
use super::frame::{self, json_body, message, reply};
use super::page::{self, Params, param};
use super::validate::{self, Errors};

/// Calls per page when `per_page` is not given.
const CALLS_PER_PAGE: u64 = 15;
/// Leads per page when `per_page` is not given (the documented default).
const LEADS_PER_PAGE: u64 = 15;
/// Assistants per page when `per_page` is not given.
const ASSISTANTS_PER_PAGE: u64 = 10;

/// The whole fake API, nested under `/api`, serving from `state`.
pub fn router(state: SandboxState) -> Router {
    let api = Router::new()
        .route("/user/lead", post(create_lead))
        .route("/user/leads", get(list_leads))
        .route("/user/leads/{id}", put(update_lead).delete(delete_lead))
        .route("/user/campaigns", get(campaigns))
        .route("/user/campaigns/update-status", post(campaign_status))
        .route("/user/calls", get(list_calls))
        .route("/user/assistants/outbound", get(outbound_assistants))
        .route("/user/assistants/get", get(all_assistants))
        .route("/user/me", get(me))
        .route_layer(middleware::from_fn_with_state(state.clone(), frame::guard));
    Router::new()
        .nest("/api", api)
        .fallback(frame::not_found)
        .layer(middleware::from_fn_with_state(state.clone(), frame::frame))
        .with_state(state)
}

/// `POST /user/lead`.
async fn create_lead(State(state): State<SandboxState>, headers: HeaderMap, body: Body) -> Response {
    let body = match json_body(&headers, body).await {
        Ok(body) => body,
        Err(response) => return response,
    };
    let new = match validate::create(&body) {
        Ok(new) => new,
        Err(errors) => return errors.into_response(),
    };
    let mut store = state.lock();
    let taken =
        store.leads.iter().any(|l| l.campaign_id == new.campaign_id && l.phone_number == new.phone_number);
    if taken && !new.allow_duplicate {
        return Errors::one("phone_number", "The phone number has already been taken for this campaign.")
            .into_response();
    }
    let data = store.add(new);
    reply(StatusCode::OK, json!({ "message": "Lead created successfully", "data": data }))
}

/// `GET /user/leads`: filtered, newest first, paged.
async fn list_leads(
    State(state): State<SandboxState>,
    uri: OriginalUri,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let params = page::params(raw.as_deref());
    let mut errors = Errors::default();
    let per_page = page::per_page(&params, LEADS_PER_PAGE, &mut errors);
    let campaign_id = param(&params, "campaign_id").and_then(|c| {
        if let Ok(id) = c.parse::<i64>() {
            Some(id)
        } else {
            errors.add("campaign_id", "The {attr} field must be an integer.");
            None
        }
    });
    let date_from = date(&params, "date_from", &mut errors);
    let date_to = date(&params, "date_to", &mut errors);
    if !errors.is_empty() {
        return errors.into_response();
    }
    let status = param(&params, "status");
    let phone = param(&params, "phone_number");
    let store = state.lock();
    let now = store.now();
    let items: Vec<Value> = store
        .leads
        .iter()
        .rev()
        .filter(|l| campaign_id.is_none_or(|c| i128::from(l.campaign_id) == i128::from(c)))
        .filter(|l| phone.is_none_or(|p| phone_matches(&l.phone_number, p)))
        .filter(|l| status.is_none_or(|s| l.status(l.id, now).0 == s))
        .filter(|l| {
            let day = TimeZone::UTC.to_datetime(l.created).date();
            date_from.is_none_or(|d| day >= d) && date_to.is_none_or(|d| day <= d)
        })
        .map(|l| l.to_json(now))
        .collect();
    drop(store);
    let path = page_path(&headers, &uri);
    reply(StatusCode::OK, page::paginate(items, page::page_number(&params), per_page, &path, &params))
}

/// A `YYYY-MM-DD` filter parameter.
fn date(params: &Params, name: &str, errors: &mut Errors) -> Option<Date> {
    let raw = param(params, name)?;
    let parsed = raw.parse::<Date>().ok().filter(|_| raw.len() == 10 && raw.as_bytes().get(4) == Some(&b'-'));
    if parsed.is_none() {
        errors.add(name, "The {attr} field must match the format Y-m-d.");
    }
    parsed
}

/// Partial phone match. A `+` sent unencoded arrives as a space, so the digits decide; a needle
/// without digits (say a lone `+`) is matched as text.
fn phone_matches(stored: &str, needle: &str) -> bool {
    let digits: String = needle.chars().filter(char::is_ascii_digit).collect();
    if digits.is_empty() { stored.contains(needle.trim()) } else { stored.contains(&digits) }
}

/// The URL of this listing without its query, as Laravel's paginator writes `path`.
fn page_path(headers: &HeaderMap, uri: &OriginalUri) -> String {
    let host = headers.get(HOST).and_then(|h| h.to_str().ok()).unwrap_or("127.0.0.1");
    format!("http://{host}{}", uri.path())
}

/// The lead id in the path, if it is one.
fn path_id(id: Result<Path<String>, PathRejection>) -> Option<u64> {
    id.ok().and_then(|Path(id)| id.parse::<u64>().ok())
}

/// Laravel's `404` for a lead id that names no lead.
fn lead_not_found() -> Response {
    message(StatusCode::NOT_FOUND, "Lead not found")
}

/// `PUT /user/leads/{id}`: changes the given fields; `variables` are merged in.
async fn update_lead(
    State(state): State<SandboxState>,
    id: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let id = path_id(id);
    if !state.lock().leads.iter().any(|l| Some(l.id) == id) {
        return lead_not_found();
    }
    let body = match json_body(&headers, body).await {
        Ok(body) => body,
        Err(response) => return response,
    };
    let update = match validate::update(&body) {
        Ok(update) => update,
        Err(errors) => return errors.into_response(),
    };
    let mut store = state.lock();
    let now = store.now();
    // Looked up again: the lead may have been deleted while the body was read.
    let Some(lead) = store.leads.iter_mut().find(|l| Some(l.id) == id) else {
        return lead_not_found();
    };
    if let Some(campaign_id) = update.campaign_id {
        lead.campaign_id = campaign_id;
    }
    if let Some(phone_number) = update.phone_number {
        lead.phone_number = phone_number;
    }
    if let Some(status) = update.status {
        lead.status_override = Some(status);
    }
    if let Some(variables) = update.variables {
        lead.variables.extend(variables);
    }
    lead.updated = now;
    let id = lead.id;
    store.keep(id);
    message(StatusCode::OK, "Lead updated successfully")
}

/// `DELETE /user/leads/{id}`; refused while the lead is being called.
async fn delete_lead(State(state): State<SandboxState>, id: Result<Path<String>, PathRejection>) -> Response {
    let id = path_id(id);
    let mut store = state.lock();
    let now = store.now();
    match id.and_then(|id| store.leads.iter().position(|l| l.id == id)) {
        Some(index) if store.leads[index].status(store.leads[index].id, now).0 == "processing" => message(
            StatusCode::UNPROCESSABLE_ENTITY,
            "The lead is being processed and cannot be deleted right now.",
        ),
        Some(index) => {
            let gone = store.leads.remove(index);
            store.keep_deleted(gone.id);
            message(StatusCode::OK, "Lead deleted successfully")
        }
        None => lead_not_found(),
    }
}

/// `GET /user/campaigns`: a bare array, with the status each was started or stopped to.
async fn campaigns(State(state): State<SandboxState>) -> Response {
    let store = state.lock();
    let list = data::CAMPAIGNS
        .iter()
        .map(|c| {
            let mut json = c.to_json();
            if let Some(status) = store.campaign_status.get(&c.id) {
                json["status"] = json!(status);
            }
            json
        })
        .collect();
    reply(StatusCode::OK, list)
}

/// `POST /user/campaigns/update-status` with `{"campaign_id": ID, "action": "start" | "stop"}`.
/// A campaign without leads does not start.
async fn campaign_status(State(state): State<SandboxState>, headers: HeaderMap, body: Body) -> Response {
    let body = match json_body(&headers, body).await {
        Ok(body) => body,
        Err(response) => return response,
    };
    let mut errors = Errors::default();
    let campaign = if let Some(id) = body.get("campaign_id").and_then(Value::as_u64) {
        let found = data::campaign(id);
        if found.is_none() {
            errors.add("campaign_id", "The selected {attr} is invalid.");
        }
        found
    } else {
        errors.add("campaign_id", "The {attr} field is required.");
        None
    };
    let action = body.get("action").and_then(Value::as_str);
    let started = match action {
        Some("start") => true,
        Some("stop") => false,
        Some(_) => {
            errors.add("action", "The selected {attr} is invalid.");
            false
        }
        None => {
            errors.add("action", "The {attr} field is required.");
            false
        }
    };
    let Some(campaign) = campaign.filter(|_| errors.is_empty()) else { return errors.into_response() };
    let mut store = state.lock();
    if started && !store.leads.iter().any(|l| l.campaign_id == campaign.id) {
        return reply(
            StatusCode::UNPROCESSABLE_ENTITY,
            json!({"message": "The campaign has no leads. Add leads before starting it.", "success": false}),
        );
    }
    let status = if started { "in-progress" } else { "stopped" };
    store.campaign_status.insert(campaign.id, status);
    let said = if started { "Campaign started successfully." } else { "Campaign stopped successfully." };
    reply(
        StatusCode::OK,
        json!({"message": said, "success": true, "data": {"campaign_id": campaign.id, "status": status}}),
    )
}

/// `GET /user/calls`: the calls of the leads, filtered by `phone_number` (partial),
/// `campaign_id` and `status`, newest first, paged.
async fn list_calls(
    State(state): State<SandboxState>,
    uri: OriginalUri,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let params = page::params(raw.as_deref());
    let mut errors = Errors::default();
    let per_page = page::per_page(&params, CALLS_PER_PAGE, &mut errors);
    let campaign_id = param(&params, "campaign_id").and_then(|c| {
        c.parse::<u64>().map_err(|_| errors.add("campaign_id", "The {attr} field must be an integer.")).ok()
    });
    if !errors.is_empty() {
        return errors.into_response();
    }
    let (phone, status) = (param(&params, "phone_number"), param(&params, "status"));
    let store = state.lock();
    let now = store.now();
    let mut items: Vec<Value> = store
        .leads
        .iter()
        .filter(|l| campaign_id.is_none_or(|c| l.campaign_id == c))
        .filter(|l| phone.is_none_or(|p| phone_matches(&l.phone_number, p)))
        .flat_map(|l| super::calls::of(l, now))
        .filter(|c| status.is_none_or(|s| c["status"] == s))
        .collect();
    drop(store);
    items.sort_by(|a, b| {
        b["created_at"].as_str().cmp(&a["created_at"].as_str()).then(b["id"].as_u64().cmp(&a["id"].as_u64()))
    });
    let path = page_path(&headers, &uri);
    reply(StatusCode::OK, page::paginate(items, page::page_number(&params), per_page, &path, &params))
}

/// `GET /user/assistants/outbound`: a bare array of the outbound assistants.
async fn outbound_assistants() -> Response {
    let outbound = data::assistants().into_iter().filter(|a| a["type"] == "outbound").collect();
    reply(StatusCode::OK, Value::Array(outbound))
}

/// `GET /user/assistants/get`: every assistant, paged.
async fn all_assistants(uri: OriginalUri, headers: HeaderMap, RawQuery(raw): RawQuery) -> Response {
    let params = page::params(raw.as_deref());
    let mut errors = Errors::default();
    let per_page = page::per_page(&params, ASSISTANTS_PER_PAGE, &mut errors);
    if !errors.is_empty() {
        return errors.into_response();
    }
    let path = page_path(&headers, &uri);
    reply(
        StatusCode::OK,
        page::paginate(data::assistants(), page::page_number(&params), per_page, &path, &params),
    )
}

/// `GET /user/me`.
async fn me() -> Response {
    reply(
        StatusCode::OK,
        json!({"name": "Sandbox User", "email": "sandbox@example.com", "total_balance": 125.5}),
    )
}
