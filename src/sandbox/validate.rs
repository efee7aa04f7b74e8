//! Laravel-style validation of what the sandbox receives, and the `422` answers it gives. Messages
//! follow Laravel's defaults: the field name with `_` shown as a space, nested keys dotted.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use indexmap::IndexMap;
use serde_json::{Map, Value, json};

use super::data;

/// Field errors in the order they were found: field key → messages.
#[derive(Debug, Default)]
pub(crate) struct Errors(IndexMap<String, Vec<String>>);

impl Errors {
    /// Records `message` for `field`; `{attr}` in it becomes the field's display name.
    pub fn add(&mut self, field: &str, message: &str) {
        let text = message.replace("{attr}", &field.replace('_', " "));
        self.0.entry(field.to_owned()).or_default().push(text);
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Laravel's summary: the first message, and how many more there are.
    fn message(&self) -> String {
        let mut all = self.0.values().flatten();
        let first = all.next().cloned().unwrap_or_else(|| "The given data was invalid.".into());
        match all.count() {
            0 => first,
            1 => format!("{first} (and 1 more error)"),
            n => format!("{first} (and {n} more errors)"),
        }
    }

    /// A single-error set, for checks made outside the validators (e.g. duplicates).
    pub fn one(field: &str, message: &str) -> Self {
        let mut errors = Errors::default();
        errors.add(field, message);
        errors
    }
}

impl IntoResponse for Errors {
    fn into_response(self) -> Response {
        let body = json!({ "message": self.message(), "errors": self.0 });
        (StatusCode::UNPROCESSABLE_ENTITY, axum::Json(body)).into_response()
    }
}

/// Whether `s` is strict E.164: `+`, a non-zero digit, 7 to 15 digits in all, nothing else.
pub(crate) fn is_e164(s: &str) -> bool {
    let Some(digits) = s.strip_prefix('+') else {
        return false;
    };
    (7..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) && !digits.starts_with('0')
}

/// A valid create request.
#[derive(Debug)]
pub(crate) struct NewLead {
    pub phone_number: String,
    pub campaign_id: u64,
    pub variables: Map<String, Value>,
    pub allow_duplicate: bool,
    pub secondary: Vec<(String, Map<String, Value>)>,
}

/// Checks a `POST /user/lead` body. Anything that is not a JSON object counts as empty, as
/// Laravel treats a body it cannot read.
pub(crate) fn create(body: &Value) -> Result<NewLead, Errors> {
    let empty = Map::new();
    let body = body.as_object().unwrap_or(&empty);
    let mut errors = Errors::default();
    let phone_number = phone(&mut errors, "phone_number", body.get("phone_number"), true);
    let campaign_id = campaign(&mut errors, body.get("campaign_id"), true);
    let vars = variables(&mut errors, "variables", body.get("variables"));
    let allow_duplicate = match body.get("allow_dupplicate") {
        None | Some(Value::Null) => Some(false),
        Some(v) => boolean(v),
    };
    if allow_duplicate.is_none() {
        errors.add("allow_dupplicate", "The {attr} field must be true or false.");
    }
    let mut secondary = Vec::new();
    match body.get("secondary_contacts") {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                let key = format!("secondary_contacts.{i}");
                let Some(item) = item.as_object() else {
                    errors.add(&key, "The {attr} field must be an array.");
                    continue;
                };
                let phone =
                    phone(&mut errors, &format!("{key}.phone_number"), item.get("phone_number"), true);
                let vars = variables(&mut errors, &format!("{key}.variables"), item.get("variables"));
                if let (Some(phone), Some(vars)) = (phone, vars) {
                    secondary.push((phone, vars));
                }
            }
        }
        Some(_) => errors.add("secondary_contacts", "The {attr} field must be an array."),
    }
    match (phone_number, campaign_id, vars, allow_duplicate) {
        (Some(phone_number), Some(campaign_id), Some(variables), Some(allow_duplicate))
            if errors.is_empty() =>
        {
            Ok(NewLead { phone_number, campaign_id, variables, allow_duplicate, secondary })
        }
        _ => Err(errors),
    }
}

/// A valid `PUT /user/leads/{id}` body: only the fields given.
#[derive(Debug, Default)]
pub(crate) struct Update {
    pub campaign_id: Option<u64>,
    pub phone_number: Option<String>,
    pub status: Option<String>,
    pub variables: Option<Map<String, Value>>,
}

/// The statuses a lead may be set to by hand.
const SETTABLE_STATUSES: &[&str] = &["created", "completed", "reached-max-retries"];

/// Checks a `PUT /user/leads/{id}` body.
pub(crate) fn update(body: &Value) -> Result<Update, Errors> {
    let empty = Map::new();
    let body = body.as_object().unwrap_or(&empty);
    let mut errors = Errors::default();
    let mut update = Update {
        campaign_id: campaign(&mut errors, body.get("campaign_id"), false),
        phone_number: phone(&mut errors, "phone_number", body.get("phone_number"), false),
        ..Update::default()
    };
    match body.get("status") {
        None | Some(Value::Null) => {}
        Some(Value::String(s)) if SETTABLE_STATUSES.contains(&s.as_str()) => update.status = Some(s.clone()),
        Some(_) => errors.add("status", "The selected {attr} is invalid."),
    }
    if body.get("variables").is_some_and(|v| !v.is_null()) {
        update.variables = variables(&mut errors, "variables", body.get("variables"));
    }
    if errors.is_empty() { Ok(update) } else { Err(errors) }
}

/// An E.164 phone field; `None` when absent (and not required) or invalid.
fn phone(errors: &mut Errors, field: &str, value: Option<&Value>, required: bool) -> Option<String> {
    match value {
        None | Some(Value::Null) => {
            if required {
                errors.add(field, "The {attr} field is required.");
            }
        }
        Some(Value::String(s)) if s.is_empty() => errors.add(field, "The {attr} field is required."),
        Some(Value::String(s)) if is_e164(s) => return Some(s.clone()),
        Some(Value::String(_)) => errors.add(field, "The {attr} field format is invalid."),
        Some(_) => errors.add(field, "The {attr} field must be a string."),
    }
    None
}

/// The `campaign_id` field: an integer (or a string of digits) naming a demo campaign.
fn campaign(errors: &mut Errors, value: Option<&Value>, required: bool) -> Option<u64> {
    let field = "campaign_id";
    let id = match value {
        None | Some(Value::Null) => {
            if required {
                errors.add(field, "The {attr} field is required.");
            }
            return None;
        }
        Some(Value::String(s)) if s.is_empty() => {
            errors.add(field, "The {attr} field is required.");
            return None;
        }
        Some(Value::Number(n)) => n.as_i64().map(i128::from),
        Some(Value::String(s)) => s.trim().parse::<i128>().ok(),
        Some(_) => None,
    };
    let Some(id) = id else {
        errors.add(field, "The {attr} field must be an integer.");
        return None;
    };
    if let Some(c) = u64::try_from(id).ok().and_then(data::campaign) {
        Some(c.id)
    } else {
        errors.add(field, "The selected {attr} is invalid.");
        None
    }
}

/// A variables object: string keys → string, number, boolean or null. Absent means empty; an
/// empty array is taken as an empty object, as PHP cannot tell them apart.
fn variables(errors: &mut Errors, field: &str, value: Option<&Value>) -> Option<Map<String, Value>> {
    match value {
        None | Some(Value::Null) => Some(Map::new()),
        Some(Value::Array(a)) if a.is_empty() => Some(Map::new()),
        Some(Value::Object(map)) => {
            let mut ok = true;
            for (name, v) in map {
                if matches!(v, Value::Array(_) | Value::Object(_)) {
                    errors.add(
                        &format!("{field}.{name}"),
                        "The {attr} field must be a string, number, boolean or null.",
                    );
                    ok = false;
                }
            }
            ok.then(|| map.clone())
        }
        Some(_) => {
            errors.add(field, "The {attr} field must be an object.");
            None
        }
    }
}

/// Laravel's `boolean` rule: true, false, 1, 0, "1", "0".
fn boolean(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => match n.as_u64() {
            Some(0) => Some(false),
            Some(1) => Some(true),
            _ => None,
        },
        Value::String(s) => match s.as_str() {
            "0" => Some(false),
            "1" => Some(true),
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn e164_is_strict() {
        for good in ["+4915112345678", "+14155550100", "+1234567"] {
            assert!(is_e164(good), "{good}");
        }
        for bad in [
            "",
            "+",
            "4915112345678",
            "+0151123456",
            "+49 151 1234567",
            "+123456",
            "+1234567890123456",
            "+49१५१२३४५६७",
        ] {
            assert!(!is_e164(bad), "{bad}");
        }
    }

    #[test]
    fn laravel_summary_counts_the_rest() {
        let errors = match create(&json!({})) {
            Err(e) => e,
            Ok(lead) => panic!("accepted {lead:?}"),
        };
        assert_eq!(errors.message(), "The phone number field is required. (and 1 more error)");
        let errors = match create(&json!({"phone_number": 1, "campaign_id": "x", "allow_dupplicate": "yes"}))
        {
            Err(e) => e,
            Ok(lead) => panic!("accepted {lead:?}"),
        };
        assert_eq!(errors.message(), "The phone number field must be a string. (and 2 more errors)");
    }

    #[test]
    fn nested_keys_are_dotted() {
        let body = json!({"phone_number": "+4915112345678", "campaign_id": 12,
            "variables": {"customer_name": "Ada", "tags": ["x"]},
            "secondary_contacts": [{"phone_number": "+4930123456"}, {"phone_number": "030 123"}, 5]});
        let Err(errors) = create(&body) else { panic!("accepted") };
        let keys: Vec<&str> = errors.0.keys().map(String::as_str).collect();
        assert_eq!(keys, ["variables.tags", "secondary_contacts.1.phone_number", "secondary_contacts.2"]);
        assert_eq!(
            errors.0["secondary_contacts.1.phone_number"],
            ["The secondary contacts.1.phone number field format is invalid."]
        );
    }
}
