//! The sandbox against the crate's real API client (and raw HTTP where the client cannot say
//! something): validation, duplicates, auth, paging, demo data, statuses, latency and faults.
#![allow(clippy::unwrap_used, reason = "a test or bench stops loudly at what it did not expect")]

use std::time::{Duration, Instant};

use autocalls_tui::api::types::{CreateLead, LeadId, SecondaryContact, Variables};
use autocalls_tui::api::{ApiClient, ApiError, ClientOptions, LeadQuery};
use autocalls_tui::sandbox::{
    CREATED_PHASE, DEMO_KEY, FAIL_EVERY_NTH, Fault, PROCESSING_PHASE, Sandbox, SandboxOptions,
};
use indexmap::IndexMap;
use secrecy::SecretString;
use serde_json::{Value, json};

const FAIR: u64 = 12;
const FAIR_NAME: &str = "Hannover Messe 2025 – Rückrufe Standbesucher";
const SAAS: u64 = 17;

async fn sandbox() -> Sandbox {
    match Sandbox::start(SandboxOptions::default()).await {
        Ok(sandbox) => sandbox,
        Err(e) => panic!("sandbox did not start: {e}"),
    }
}

fn client_with(sandbox: &Sandbox, key: &str, timeout: Duration) -> ApiClient {
    let options = ClientOptions {
        base_url: sandbox.base_url(),
        key: SecretString::from(key.to_owned()),
        connect_timeout: Duration::from_secs(2),
        request_timeout: timeout,
        max_answer: autocalls_tui::api::DEFAULT_MAX_ANSWER,
    };
    ApiClient::new(options).expect("client for the sandbox")
}

fn client(sandbox: &Sandbox) -> ApiClient {
    client_with(sandbox, sandbox.key(), Duration::from_secs(10))
}

fn lead(phone: &str, campaign_id: u64) -> CreateLead {
    CreateLead {
        phone_number: phone.into(),
        campaign_id,
        variables: Variables::new(),
        allow_dupplicate: false,
        secondary_contacts: Vec::new(),
    }
}

/// The field errors of a 422, or a failed test.
fn rejected(result: Result<impl std::fmt::Debug, ApiError>) -> (String, IndexMap<String, Vec<String>>) {
    match result {
        Err(ApiError::Rejected { status: 422, message, errors }) => (message, errors),
        other => panic!("expected a 422 rejection, got {other:?}"),
    }
}

/// Raw GET with the sandbox key; answers status and JSON body.
async fn raw_get(sandbox: &Sandbox, path_and_query: &str) -> (u16, Value) {
    let response = reqwest::Client::new()
        .get(format!("{}{path_and_query}", sandbox.base_url()))
        .bearer_auth(sandbox.key())
        .header("Accept", "application/json")
        .send()
        .await
        .expect("sandbox answers");
    let status = response.status().as_u16();
    (status, response.json().await.expect("JSON body"))
}

#[tokio::test]
async fn create_succeeds_in_the_current_shape() {
    let sandbox = sandbox().await;
    let mut request = lead("+4915112345678", FAIR);
    request.variables.insert("customer_name", "Jürgen Weiß");
    request
        .secondary_contacts
        .push(SecondaryContact { phone_number: "+49301234567".into(), variables: Variables::new() });
    let created = client(&sandbox).create_lead(&request).await.expect("lead created");
    assert_eq!(created.message.as_deref(), Some("Lead created successfully"));
    assert!(created.lead.id.parse::<u64>().is_ok(), "integer id: {}", created.lead.id);
    assert_eq!(created.lead.campaign.as_ref().map(|c| c.name.as_str()), Some(FAIR_NAME));
    assert_eq!(created.lead.status.as_deref(), Some("created"));
    assert_eq!(created.lead.variables, Some(json!({"customer_name": "Jürgen Weiß"})));
    let created_at = created.lead.created_at.clone().unwrap_or_default();
    assert_eq!(created_at.len(), 19, "YYYY-MM-DD HH:MM:SS: {created_at}");
    assert_eq!(&created_at[10..11], " ");
    let stored = sandbox.state().leads();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].id, created.lead.id);

    // The parts the client does not keep: secondary contacts with their own ids, and `{}`.
    let response = reqwest::Client::new()
        .post(format!("{}/user/lead", sandbox.base_url()))
        .bearer_auth(DEMO_KEY)
        .json(&json!({"phone_number": "+14155550100", "campaign_id": SAAS,
            "secondary_contacts": [{"phone_number": "+14155550101", "variables": {"customer_name": "Sam"}}]}))
        .send()
        .await
        .expect("answer");
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    let body: Value = response.json().await.expect("JSON");
    let data = &body["data"];
    assert_eq!(data["variables"], json!({}));
    let id = data["id"].as_u64().expect("numeric id");
    assert!(id > created.lead.id.parse::<u64>().unwrap_or(u64::MAX));
    assert_eq!(data["secondary_contacts"][0]["id"], json!(id + 1));
    assert_eq!(data["secondary_contacts"][0]["variables"]["customer_name"], "Sam");
    assert_eq!(data["campaign"], json!({"id": SAAS, "name": "Acme Cloud – Free trial follow-up (US)"}));
}

#[tokio::test]
async fn bad_phone_numbers_are_rejected_with_422() {
    let sandbox = sandbox().await;
    let client = client(&sandbox);
    for phone in ["+49 151 12345678", "015112345678", "+0151123456", "", "+49-151-1234567"] {
        let (message, errors) = rejected(client.create_lead(&lead(phone, FAIR)).await);
        assert_eq!(errors.keys().collect::<Vec<_>>(), ["phone_number"], "{phone}");
        assert!(message.starts_with("The phone number field"), "{message}");
    }
    assert!(sandbox.state().leads().is_empty());
}

#[tokio::test]
async fn unknown_campaign_is_rejected() {
    let sandbox = sandbox().await;
    let (message, errors) = rejected(client(&sandbox).create_lead(&lead("+4915112345678", 999)).await);
    assert_eq!(errors["campaign_id"], ["The selected campaign id is invalid."]);
    assert_eq!(message, "The selected campaign id is invalid.");
}

#[tokio::test]
async fn bad_secondary_phone_has_a_dotted_key() {
    let sandbox = sandbox().await;
    let mut request = lead("+4915112345678", FAIR);
    request
        .secondary_contacts
        .push(SecondaryContact { phone_number: "030 1234567".into(), variables: Variables::new() });
    let (_, errors) = rejected(client(&sandbox).create_lead(&request).await);
    assert_eq!(errors.keys().collect::<Vec<_>>(), ["secondary_contacts.0.phone_number"]);
    assert!(sandbox.state().leads().is_empty(), "nothing stored on a rejection");
}

#[tokio::test]
async fn several_errors_are_summed_up_like_laravel() {
    let sandbox = sandbox().await;
    let (message, errors) = rejected(client(&sandbox).create_lead(&lead("123", 0)).await);
    assert_eq!(errors.len(), 2);
    assert_eq!(message, "The phone number field format is invalid. (and 1 more error)");
}

#[tokio::test]
async fn duplicates_are_refused_unless_allowed() {
    let sandbox = sandbox().await;
    let client = client(&sandbox);
    let mut request = lead("+4915112345678", FAIR);
    client.create_lead(&request).await.expect("first one");
    let (_, errors) = rejected(client.create_lead(&request).await);
    assert_eq!(errors["phone_number"], ["The phone number has already been taken for this campaign."]);
    client.create_lead(&lead("+4915112345678", SAAS)).await.expect("same phone, other campaign");
    request.allow_dupplicate = true;
    client.create_lead(&request).await.expect("allowed duplicate");
    assert_eq!(sandbox.state().leads().len(), 3);
    assert_eq!(sandbox.state().create_requests(), 4);
}

#[tokio::test]
async fn a_wrong_key_is_an_auth_error() {
    let sandbox = sandbox().await;
    let wrong = client_with(&sandbox, "1|not-the-key", Duration::from_secs(5));
    let err = wrong.create_lead(&lead("+4915112345678", FAIR)).await.expect_err("refused");
    assert!(matches!(err, ApiError::Auth(ref m) if m == "Unauthenticated."), "{err:?}");
    assert!(matches!(wrong.campaigns().await, Err(ApiError::Auth(_))));
    let me = client(&sandbox).me().await.expect("right key works");
    assert_eq!(me.name, "Sandbox User");
    assert!(sandbox.state().leads().is_empty());
    assert_eq!(sandbox.state().create_requests(), 1, "refused requests count too");
}

#[tokio::test]
async fn leads_are_paged_and_filtered() {
    let sandbox = sandbox().await;
    let client = client(&sandbox);
    for i in 0..20 {
        let campaign = if i % 3 == 0 { SAAS } else { FAIR };
        client.create_lead(&lead(&format!("+49151000000{i:02}"), campaign)).await.expect("created");
    }
    let mut seen = Vec::new();
    for page in 1..=3 {
        let query = LeadQuery { per_page: Some(7), page: Some(page), ..LeadQuery::default() };
        let result = client.leads(&query).await.expect("page");
        assert_eq!((result.current_page, result.last_page, result.total), (page, 3, 20));
        assert_eq!(result.data.len(), if page < 3 { 7 } else { 6 });
        assert_eq!(result.has_next(), page < 3);
        seen.extend(result.data.into_iter().map(|l| l.id.parse::<u64>().expect("numeric id")));
    }
    let mut newest_first = seen.clone();
    newest_first.sort_unstable_by(|a, b| b.cmp(a));
    assert_eq!(seen, newest_first, "newest first, no repeats");
    newest_first.dedup();
    assert_eq!(newest_first.len(), 20);

    let by_campaign = LeadQuery { campaign_id: Some(SAAS), ..LeadQuery::default() };
    let result = client.leads(&by_campaign).await.expect("filtered");
    assert_eq!(result.total, 7);
    assert!(result.data.iter().all(|l| l.campaign_id == Some(SAAS)));

    let by_phone = LeadQuery { phone_number: Some("+491510000001".into()), ..LeadQuery::default() };
    let result = client.leads(&by_phone).await.expect("filtered");
    assert_eq!(result.total, 10, "+49151000000{{10..19}}");
    let both = LeadQuery { phone_number: Some("+4915100000012".into()), campaign_id: Some(SAAS), ..by_phone };
    let result = client.leads(&both).await.expect("filtered");
    assert_eq!(
        result.data.iter().map(|l| l.phone_number.as_deref()).collect::<Vec<_>>(),
        [Some("+4915100000012")]
    );

    // An unencoded `+` arrives as a space; the digits still match.
    let (status, body) = raw_get(&sandbox, "/user/leads?phone_number=+4915100000003").await;
    assert_eq!((status, body["total"].clone()), (200, json!(1)));
    // Spaced as people type it: the digits decide.
    let spaced = LeadQuery { phone_number: Some("+49 151 000000 19".into()), ..LeadQuery::default() };
    let result = client.leads(&spaced).await.expect("filtered");
    assert_eq!(
        result.data.iter().map(|l| l.phone_number.as_deref()).collect::<Vec<_>>(),
        [Some("+4915100000019")]
    );
}

#[tokio::test]
async fn the_page_is_a_full_laravel_paginator() {
    let sandbox = sandbox().await;
    let (status, empty) = raw_get(&sandbox, "/user/leads").await;
    assert_eq!(status, 200);
    assert_eq!(empty["data"], json!([]));
    assert!(empty["from"].is_null() && empty["to"].is_null() && empty["next_page_url"].is_null());
    assert_eq!((empty["last_page"].clone(), empty["per_page"].clone()), (json!(1), json!(15)));
    let client = client(&sandbox);
    for i in 0..3 {
        client.create_lead(&lead(&format!("+1415555010{i}"), SAAS)).await.expect("created");
    }
    let (_, page) = raw_get(&sandbox, "/user/leads?per_page=2&campaign_id=17").await;
    let path = format!("{}/user/leads", sandbox.base_url());
    assert_eq!(page["path"], json!(path));
    assert_eq!(page["next_page_url"], json!(format!("{path}?per_page=2&campaign_id=17&page=2")));
    assert_eq!(
        (page["from"].clone(), page["to"].clone(), page["last_page"].clone()),
        (json!(1), json!(2), json!(2))
    );
    assert!(page["prev_page_url"].is_null());
    let labels: Vec<&str> =
        page["links"].as_array().expect("links").iter().filter_map(|l| l["label"].as_str()).collect();
    assert_eq!(labels, ["&laquo; Previous", "1", "2", "Next &raquo;"]);
    for bad in ["per_page=0", "per_page=101", "per_page=ten", "date_from=30.06.2025", "campaign_id=abc"] {
        let (status, body) = raw_get(&sandbox, &format!("/user/leads?{bad}")).await;
        assert_eq!(status, 422, "{bad}");
        assert!(body["errors"].as_object().is_some_and(|e| e.len() == 1), "{bad}: {body}");
    }
    let today = jiff::Timestamp::now().strftime("%Y-%m-%d").to_string();
    let (_, body) = raw_get(&sandbox, &format!("/user/leads?date_from={today}&date_to={today}")).await;
    assert_eq!(body["total"], 3);
    let (_, body) = raw_get(&sandbox, "/user/leads?date_to=2020-01-01").await;
    assert_eq!(body["total"], 0);
}

#[tokio::test]
async fn campaigns_and_assistants_decode_via_the_client() {
    let sandbox = sandbox().await;
    let client = client(&sandbox);
    let campaigns = client.campaigns().await.expect("campaigns");
    assert!(campaigns.len() >= 3);
    assert!(campaigns.iter().any(|c| c.id == FAIR && c.name == FAIR_NAME));
    for status in ["in-progress", "draft", "stopped"] {
        assert!(campaigns.iter().any(|c| c.status.as_deref() == Some(status)), "{status}");
    }
    let assistants = client.outbound_assistants().await.expect("assistants");
    assert!(assistants.len() >= 2);
    for assistant in &assistants {
        assert!(assistant.variables.contains_key("customer_name"), "{}", assistant.name);
    }
    let (_, raw) = raw_get(&sandbox, "/user/campaigns").await;
    assert_eq!(raw[0]["allowed_days"][0], "monday");
    assert!(raw[0]["max_retries"].is_u64() && raw[0]["allowed_hours_start_time"].is_string());
    let (_, all) = raw_get(&sandbox, "/user/assistants/get?per_page=2&page=2").await;
    assert_eq!((all["current_page"].clone(), all["total"].clone()), (json!(2), json!(assistants.len() + 1)));
}

#[tokio::test]
async fn create_requests_counts_every_attempt() {
    let sandbox = sandbox().await;
    let state = sandbox.state();
    assert_eq!(state.create_requests(), 0);
    let client = client(&sandbox);
    client.create_lead(&lead("+4915112345678", FAIR)).await.expect("created");
    let _ = client.create_lead(&lead("bad", FAIR)).await;
    let _ = client.leads(&LeadQuery::default()).await;
    let _ = client_with(&sandbox, "wrong", Duration::from_secs(5))
        .create_lead(&lead("+4915112345679", FAIR))
        .await;
    assert_eq!(state.create_requests(), 3, "listing does not count");
    assert_eq!(state.leads().len(), 1);
}

#[tokio::test]
async fn statuses_move_with_the_clock() {
    let sandbox = sandbox().await;
    let client = client(&sandbox);
    let state = sandbox.state();
    for i in 0..FAIL_EVERY_NTH {
        client.create_lead(&lead(&format!("+1212555010{i}"), SAAS)).await.expect("created");
    }
    let statuses = || state.leads().into_iter().map(|l| l.status.unwrap_or_default()).collect::<Vec<_>>();
    assert!(statuses().iter().all(|s| s == "created"));
    state.advance_clock(CREATED_PHASE);
    assert!(statuses().iter().all(|s| s == "processing"));
    state.advance_clock(PROCESSING_PHASE);
    let done = statuses();
    assert!(done.iter().all(|s| s == "completed" || s == "reached-max-retries"), "{done:?}");
    assert_eq!(done.iter().filter(|s| *s == "reached-max-retries").count(), 1);
    let query = LeadQuery { status: Some("completed".into()), ..LeadQuery::default() };
    assert_eq!(client.leads(&query).await.expect("listed").total, FAIL_EVERY_NTH - 1);
}

#[tokio::test]
async fn latency_delays_answers_and_can_change_at_runtime() {
    let options = SandboxOptions { latency: Duration::from_millis(250), ..SandboxOptions::default() };
    let sandbox = Sandbox::start(options).await.expect("started");
    let client = client(&sandbox);
    let started = Instant::now();
    client.me().await.expect("answer");
    assert!(started.elapsed() >= Duration::from_millis(250));
    sandbox.state().set_latency(Duration::ZERO);
    let started = Instant::now();
    client.me().await.expect("answer");
    assert!(started.elapsed() < Duration::from_millis(200));
    sandbox.state().set_latency(Duration::from_secs(2));
    let impatient = client_with(&sandbox, DEMO_KEY, Duration::from_millis(200));
    let err = impatient.create_lead(&lead("+4915112345678", FAIR)).await.expect_err("timed out");
    assert!(matches!(err, ApiError::UnknownOutcome(_)), "{err:?}");
}

#[tokio::test]
async fn update_and_delete_as_documented() {
    let sandbox = sandbox().await;
    let mut request = lead("+4915112345678", FAIR);
    request.variables.insert("customer_name", "Ada");
    let id = client(&sandbox).create_lead(&request).await.expect("created").lead.id;
    let http = reqwest::Client::new();
    let url = |id: &str| format!("{}/user/leads/{id}", sandbox.base_url());
    let put = |id: &str, body: Value| http.put(url(id)).bearer_auth(DEMO_KEY).json(&body).send();
    let response = put(&id, json!({"status": "completed", "variables": {"email": "ada@example.com"}}))
        .await
        .expect("answer");
    assert_eq!(response.status().as_u16(), 200);
    let lead = sandbox.state().leads().remove(0);
    assert_eq!(lead.status.as_deref(), Some("completed"));
    assert_eq!(lead.variables, Some(json!({"customer_name": "Ada", "email": "ada@example.com"})));
    let response = put(&id, json!({"status": "processing"})).await.expect("answer");
    assert_eq!(response.status().as_u16(), 422);
    let response = put("424242", json!({"status": "completed"})).await.expect("answer");
    assert_eq!(response.status().as_u16(), 404);
    assert_eq!(response.json::<Value>().await.expect("JSON"), json!({"message": "Lead not found"}));
    let delete = |id: LeadId| http.delete(url(&id)).bearer_auth(DEMO_KEY).send();
    let response = delete(id.clone()).await.expect("answer");
    assert_eq!(
        response.json::<Value>().await.expect("JSON"),
        json!({"message": "Lead deleted successfully"})
    );
    assert!(sandbox.state().leads().is_empty());
    assert_eq!(delete(id).await.expect("answer").status().as_u16(), 404);
}

/// The client's update and delete against the sandbox: only what changes is sent and the
/// variables merge; a lead being called is not deleted (the refusal says why); a delete of a lead
/// already gone is `AlreadyGone`.
#[tokio::test]
async fn the_client_updates_and_deletes_and_a_lead_on_a_call_stays() {
    use autocalls_tui::api::Deleted;
    use autocalls_tui::api::types::UpdateLead;
    let sandbox = sandbox().await;
    let api = client(&sandbox);
    let mut request = lead("+4915112345678", FAIR);
    request.variables.insert("customer_name", "Ada");
    let id = api.create_lead(&request).await.unwrap().lead.id;
    let mut variables = Variables::new();
    variables.insert("customer_name", "Ada Lovelace");
    let change = UpdateLead { variables: Some(variables), ..UpdateLead::default() };
    assert_eq!(
        serde_json::to_value(&change).unwrap(),
        json!({"variables": {"customer_name": "Ada Lovelace"}})
    );
    let said = api.update_lead(&id, &change).await.unwrap();
    assert_eq!(said.as_deref(), Some("Lead updated successfully"));
    let stored = sandbox.state().leads().remove(0);
    assert_eq!(stored.variables, Some(json!({"customer_name": "Ada Lovelace"})));
    // Being called: refused, and the message says so.
    sandbox.state().advance_clock(CREATED_PHASE + Duration::from_secs(1));
    let (message, _) = rejected(api.delete_lead(&id).await);
    assert!(message.contains("being processed"), "{message}");
    assert_eq!(sandbox.state().leads().len(), 1);
    sandbox.state().advance_clock(PROCESSING_PHASE);
    assert_eq!(api.delete_lead(&id).await.unwrap(), Deleted::Now);
    assert_eq!(api.delete_lead(&id).await.unwrap(), Deleted::AlreadyGone);
    let gone = api.update_lead(&id, &change).await.unwrap_err();
    assert!(matches!(gone, ApiError::Rejected { status: 404, .. }), "{gone:?}");
}

/// Calls appear for a created lead as the clock moves: one in progress while it is called, then
/// completed with a transcript; two unanswered for a lead that reaches its maximum of retries.
/// Filtered by phone and campaign (a call names no lead), paged.
#[tokio::test]
async fn calls_appear_for_created_leads_as_time_goes_on() {
    use autocalls_tui::api::CallQuery;
    let sandbox = sandbox().await;
    let api = client(&sandbox);
    let mut request = lead("+14155550100", SAAS);
    request.variables.insert("customer_name", "Grace");
    api.create_lead(&request).await.unwrap();
    let query = CallQuery {
        phone_number: Some("+14155550100".into()),
        campaign_id: Some(SAAS),
        ..CallQuery::default()
    };
    assert!(api.all_calls(&query, 5).await.unwrap().is_empty(), "no call before the lead leaves created");
    sandbox.state().advance_clock(CREATED_PHASE + Duration::from_secs(2));
    let calls = api.all_calls(&query, 5).await.unwrap();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].status.as_deref(), Some("in-progress"));
    sandbox.state().advance_clock(PROCESSING_PHASE);
    let calls = api.all_calls(&query, 5).await.unwrap();
    assert_eq!(
        (calls[0].status.as_deref(), calls[0].answered_by.as_deref()),
        (Some("completed"), Some("human"))
    );
    assert!(calls[0].transcript.iter().any(|t| t.text.contains("Grace")), "{:?}", calls[0].transcript);
    // Another campaign's calls to the same phone are not this lead's.
    let other = CallQuery { campaign_id: Some(FAIR), ..query.clone() };
    assert!(api.all_calls(&other, 5).await.unwrap().is_empty());
    // Leads until one ends with no answer: its two calls went unanswered.
    let mut n = 1;
    let failing = loop {
        let id = api.create_lead(&lead(&format!("+1415555020{n}"), SAAS)).await.unwrap().lead.id;
        if id.parse::<u64>().unwrap().is_multiple_of(FAIL_EVERY_NTH) {
            break format!("+1415555020{n}");
        }
        n += 1;
    };
    sandbox.state().advance_clock(CREATED_PHASE + PROCESSING_PHASE);
    let query = CallQuery { phone_number: Some(failing), ..CallQuery::default() };
    let calls = api.all_calls(&query, 5).await.unwrap();
    let statuses: Vec<_> = calls.iter().filter_map(|c| c.status.as_deref()).collect();
    assert_eq!(statuses, ["no-answer", "no-answer"]);
    // Paged: one call a page.
    let page = api.calls(&CallQuery { per_page: Some(1), ..CallQuery::default() }).await.unwrap();
    assert_eq!(page.data.len(), 1);
    assert!(page.has_next());
}

/// A campaign starts only once it has leads; started and stopped, the campaign list says so.
#[tokio::test]
async fn campaigns_start_with_leads_and_stop() {
    let sandbox = sandbox().await;
    let api = client(&sandbox);
    const DRAFT: u64 = 23;
    let (message, _) = rejected(api.set_campaign_running(DRAFT, true).await);
    assert!(message.contains("no leads"), "{message}");
    api.create_lead(&lead("+14155550100", DRAFT)).await.unwrap();
    assert_eq!(api.set_campaign_running(DRAFT, true).await.unwrap(), "in-progress");
    let status = |campaigns: Vec<autocalls_tui::api::types::Campaign>| {
        campaigns.into_iter().find(|c| c.id == DRAFT).and_then(|c| c.status)
    };
    assert_eq!(status(api.campaigns().await.unwrap()).as_deref(), Some("in-progress"));
    assert_eq!(api.set_campaign_running(DRAFT, false).await.unwrap(), "stopped");
    assert_eq!(status(api.campaigns().await.unwrap()).as_deref(), Some("stopped"));
    let (_, errors) = rejected(api.set_campaign_running(999, true).await);
    assert!(errors.contains_key("campaign_id"), "{errors:?}");
}

/// With a colleague at work, leads this client never made appear in the fair campaign, each
/// phone once.
#[tokio::test]
async fn a_colleague_adds_leads_now_and_then() {
    let options =
        SandboxOptions { colleague_every: Some(Duration::from_millis(50)), ..SandboxOptions::default() };
    let sandbox = Sandbox::start(options).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while sandbox.state().leads().len() < 3 {
        assert!(Instant::now() < deadline, "no colleague's leads: {:?}", sandbox.state().leads());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let leads = sandbox.state().leads();
    assert!(leads.iter().all(|l| l.campaign_id == Some(FAIR)));
    let mut phones: Vec<_> = leads.iter().filter_map(|l| l.phone_number.clone()).collect();
    phones.dedup();
    assert_eq!(phones.len(), leads.len(), "each phone once");
    assert_eq!(sandbox.state().create_requests(), 0, "none came through the API");
}

#[tokio::test]
async fn odd_requests_get_json_answers() {
    let sandbox = sandbox().await;
    let http = reqwest::Client::new();
    let base = sandbox.base_url();
    let cases = [
        (http.get(format!("{base}/nope")).bearer_auth(DEMO_KEY), 404),
        (http.get(format!("{base}/user/lead")).bearer_auth(DEMO_KEY), 405),
        (http.get(format!("{base}/user/me")), 401),
        (http.post(format!("{base}/user/lead")).bearer_auth(DEMO_KEY).header("content-type", "application/json").body("{not json"), 422),
        (http.post(format!("{base}/user/lead")).bearer_auth(DEMO_KEY).json(&json!([1, 2])), 422),
        (http.post(format!("{base}/user/lead")).bearer_auth(DEMO_KEY).json(&json!({"phone_number": "+4915112345678", "campaign_id": 12, "variables": "x", "secondary_contacts": {"a": 1}})), 422),
        (http.delete(format!("{base}/user/leads/not-a-number")).bearer_auth(DEMO_KEY), 404),
    ];
    for (request, expected) in cases {
        let response = request.send().await.expect("answer");
        assert_eq!(response.status().as_u16(), expected);
        assert_eq!(response.headers()["content-type"], "application/json");
        let body: Value = response.json().await.expect("JSON body");
        assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()), "{body}");
    }
    assert!(sandbox.state().leads().is_empty());
}

#[tokio::test]
async fn injected_faults_reach_the_client_classified() {
    let sandbox = sandbox().await;
    let client = client(&sandbox);
    let state = sandbox.state();
    state.inject_fault(Fault::ServerErrorAfterWork);
    let err = client.create_lead(&lead("+4915112345678", FAIR)).await.expect_err("500");
    assert!(matches!(err, ApiError::UnknownOutcome(_)), "{err:?}");
    assert_eq!(state.leads().len(), 1, "stored despite the 500");
    state.inject_fault(Fault::RateLimited { retry_after_secs: 7 });
    let err = client.campaigns().await.expect_err("429");
    assert_eq!(err, ApiError::RateLimited { retry_after: Some(Duration::from_secs(7)) });
    state.inject_fault(Fault::LoginRedirect);
    state.inject_fault(Fault::HtmlPage);
    // A redirect or a web page: most likely the key, but a change may have been made all the same.
    assert!(matches!(client.me().await, Err(ApiError::AuthUnsure(_))));
    assert!(matches!(client.me().await, Err(ApiError::AuthUnsure(_))));
    assert!(client.me().await.is_ok(), "faults are used up");
}

#[tokio::test]
async fn shutdown_stops_the_server() {
    let sandbox = sandbox().await;
    let client = client(&sandbox);
    client.me().await.expect("running");
    sandbox.shutdown().await;
    let err = client.me().await.expect_err("stopped");
    assert!(matches!(err, ApiError::Unreachable(_) | ApiError::UnknownOutcome(_)), "{err:?}");
}

/// Seen (#12): the in-process sandbox forgot its leads at every `--sandbox` start while its
/// history persisted, so ids restarted at 1001 and a phone created earlier was accepted again.
/// With a state file, leads, ids and deletions carry over.
#[tokio::test]
async fn with_a_state_file_leads_and_ids_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let options = || SandboxOptions {
        state_file: Some(dir.path().join("sandbox-server.jsonl")),
        ..SandboxOptions::default()
    };
    let first = Sandbox::start(options()).await.unwrap();
    let api = client(&first);
    let kept = api.create_lead(&lead("+4915112345678", FAIR)).await.unwrap().lead.id;
    let gone = api.create_lead(&lead("+4915112345679", FAIR)).await.unwrap().lead.id;
    let url = format!("{}/user/leads/{gone}", first.base_url());
    let deleted = reqwest::Client::new()
        .delete(url)
        .bearer_auth(first.key())
        .header("Accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 200);
    first.shutdown().await;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("sandbox-server.jsonl")).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    let second = Sandbox::start(options()).await.unwrap();
    let api = client(&second);
    let leads = second.state().leads();
    assert_eq!(
        leads.iter().map(|l| l.id.as_str()).collect::<Vec<_>>(),
        [kept.as_str()],
        "the deleted one stays gone"
    );
    let (_, errors) = rejected(api.create_lead(&lead("+4915112345678", FAIR)).await);
    assert!(errors.contains_key("phone_number"), "a phone created in an earlier run is refused");
    let next = api.create_lead(&lead("+4915112345670", FAIR)).await.unwrap().lead.id;
    assert!(
        next.parse::<u64>().unwrap() > gone.parse::<u64>().unwrap(),
        "ids never repeat: {next} after {gone}"
    );
}
