//! The shapes that cross the wire, and tolerant decoding of what the server answers. The
//! documentation has shown several response shapes over time; every one of them is accepted here
//! so the rest of the app sees one shape.

use compact_str::CompactString;
use indexmap::IndexMap;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use super::bounded::{Bounded, First, Scalar};

pub use super::variables::Variables;

/// The body of `POST /user/lead`. Only E.164 phone numbers go in here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateLead {
    /// E.164 phone number of the lead.
    pub phone_number: CompactString,
    /// The campaign that will call the lead.
    pub campaign_id: u64,
    /// Call variables for the assistant; keys are the assistant's variable names.
    #[serde(default, skip_serializing_if = "Variables::is_empty")]
    pub variables: Variables,
    /// Allow the same phone twice in one campaign (the API spells it with a double p).
    #[serde(default)]
    pub allow_dupplicate: bool,
    /// Further numbers for the same lead, called in this order after the primary.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secondary_contacts: Vec<SecondaryContact>,
}

/// The body of `PUT /user/leads/{id}`: only what changes. `variables` are merged into the
/// lead's on the server; `status` may be `created`, `completed` or `reached-max-retries`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct UpdateLead {
    /// A new E.164 phone number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<CompactString>,
    /// Another campaign.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub campaign_id: Option<u64>,
    /// A status set by hand.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Variables to set (merged with the lead's others).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variables: Option<Variables>,
}

impl UpdateLead {
    /// Whether it changes nothing.
    pub fn is_empty(&self) -> bool {
        self == &UpdateLead::default()
    }

    /// What turns `before` into `after`, as a `PUT` can say it: the phone and the campaign when
    /// they differ, and the variables that differ (the server merges them, so one that is gone
    /// from `after` is set empty). Secondary contacts and Allow duplicate cannot be changed
    /// through the API and are left out.
    pub fn between(before: &CreateLead, after: &CreateLead) -> UpdateLead {
        let mut variables = Variables::new();
        for (name, value) in after.variables.iter() {
            if before.variables.get(name) != Some(value) {
                variables.insert(name, value);
            }
        }
        for (name, value) in before.variables.iter() {
            if !after.variables.contains_key(name) && !value.is_empty() {
                variables.insert(name, "");
            }
        }
        UpdateLead {
            phone_number: (after.phone_number != before.phone_number).then(|| after.phone_number.clone()),
            campaign_id: (after.campaign_id != before.campaign_id).then_some(after.campaign_id),
            status: None,
            variables: (!variables.is_empty()).then_some(variables),
        }
    }

    /// `request` as the server holds it once this change is done: phone and campaign replaced,
    /// variables merged.
    pub fn apply_to(&self, request: &mut CreateLead) {
        if let Some(phone) = &self.phone_number {
            request.phone_number = phone.clone();
        }
        if let Some(campaign) = self.campaign_id {
            request.campaign_id = campaign;
        }
        for (name, value) in self.variables.iter().flat_map(Variables::iter) {
            request.variables.insert(name, value);
        }
    }

    /// What it changes, for a person: `phone, campaign, customer_name`.
    pub fn summary(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        if let Some(phone) = &self.phone_number {
            parts.push(format!("phone → {phone}"));
        }
        if let Some(campaign) = self.campaign_id {
            parts.push(format!("campaign → #{campaign}"));
        }
        if let Some(status) = &self.status {
            parts.push(format!("status → {status}"));
        }
        for (name, value) in self.variables.iter().flat_map(Variables::iter) {
            parts.push(if value.is_empty() {
                format!("{name} cleared")
            } else {
                format!("{name} = {value}")
            });
        }
        parts.join(", ")
    }
}

/// One secondary contact of a lead, as sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecondaryContact {
    /// E.164 phone number.
    pub phone_number: CompactString,
    /// The contact's own call variables.
    #[serde(default, skip_serializing_if = "Variables::is_empty")]
    pub variables: Variables,
}

/// The server's id for a lead: what the dashboard shows and `PUT`/`DELETE /user/leads/{id}`
/// take. Kept as the server's text, because it has been sent both as a number and as a string;
/// read from either, written as a string.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize)]
#[serde(transparent)]
pub struct LeadId(CompactString);

impl LeadId {
    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

// Hashes as its text does (the derived `Hash` hashes the one `CompactString`, which hashes as
// `str`): a map by id is looked up with a `&str`.
impl std::borrow::Borrow<str> for LeadId {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for LeadId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::ops::Deref for LeadId {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for LeadId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for LeadId {
    fn from(text: &str) -> Self {
        LeadId(text.into())
    }
}

impl From<String> for LeadId {
    fn from(text: String) -> Self {
        LeadId(text.into())
    }
}

impl PartialEq<str> for LeadId {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for LeadId {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl PartialEq<String> for LeadId {
    fn eq(&self, other: &String) -> bool {
        self.0 == *other
    }
}

impl PartialEq<LeadId> for String {
    fn eq(&self, other: &LeadId) -> bool {
        *self == other.0
    }
}

impl<'de> Deserialize<'de> for LeadId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        id_as_string(d).map(LeadId::from)
    }
}

/// A lead as the server describes it. Only `id` is certain; every other field is optional
/// because older API versions left them out.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, Default)]
pub struct Lead {
    /// The server's id.
    pub id: LeadId,
    /// The campaign the lead belongs to.
    #[serde(default, deserialize_with = "opt_u64_lenient", skip_serializing_if = "Option::is_none")]
    pub campaign_id: Option<u64>,
    /// E.164 phone number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    /// Call variables as stored by the server (values are not always strings; nested values are
    /// not kept).
    #[serde(default, deserialize_with = "variables_value", skip_serializing_if = "Option::is_none")]
    pub variables: Option<Value>,
    /// Server-side status: `created`, `scheduled`, `completed`, ...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// The server's creation time, kept as the server wrote it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    /// The server's last update time, as written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
    /// The campaign's id and name, in the newest response shape.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub campaign: Option<CampaignRef>,
}

/// The short campaign object embedded in a lead.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct CampaignRef {
    /// The campaign id.
    #[serde(deserialize_with = "u64_lenient")]
    pub id: u64,
    /// The campaign's name.
    #[serde(default)]
    pub name: String,
}

/// A campaign from `GET /user/campaigns`; fields the app does not use are not kept.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct Campaign {
    /// The id leads are created with.
    #[serde(deserialize_with = "u64_lenient")]
    pub id: u64,
    /// The name shown in the dashboard.
    #[serde(default)]
    pub name: String,
    /// `draft`, `in-progress`, `stopped`, ...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
}

/// An outbound assistant, for its call variables.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Assistant {
    /// The assistant's id.
    #[serde(deserialize_with = "u64_lenient")]
    pub id: u64,
    /// The assistant's name.
    #[serde(default)]
    pub name: String,
    /// Variable name → default value; the names a lead may carry.
    #[serde(default, deserialize_with = "object_or_empty")]
    pub variables: IndexMap<String, Value>,
}

/// One page of a Laravel paginator (`GET /user/leads`, `GET /user/calls`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Page<T> {
    /// The items on this page.
    pub data: Vec<T>,
    /// This page's number (1-based).
    pub current_page: u64,
    /// The last page's number.
    pub last_page: u64,
    /// How many items match in all.
    pub total: u64,
}

/// One page of `GET /user/leads`.
pub type LeadPage = Page<Lead>;

impl<T> Page<T> {
    /// Whether another page follows this one.
    pub fn has_next(&self) -> bool {
        self.current_page < self.last_page
    }
}

/// A call from `GET /user/calls`. A call names no lead: it is tied to one by phone and campaign.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Call {
    /// The call's id.
    pub id: LeadId,
    /// `initiated`, `ringing`, `in-progress`, `completed`, `no-answer`, ... (shown as it comes).
    #[serde(default)]
    pub status: Option<String>,
    /// Seconds.
    #[serde(default, deserialize_with = "opt_u64_lenient")]
    pub duration: Option<u64>,
    /// `human`, `machine` or `unknown`.
    #[serde(default)]
    pub answered_by: Option<String>,
    /// The number called.
    #[serde(default)]
    pub client_phone_number: Option<String>,
    /// The campaign's name.
    #[serde(default)]
    pub campaign_name: Option<String>,
    /// The assistant's name.
    #[serde(default)]
    pub assistant_name: Option<String>,
    /// When it started, as the server wrote it.
    #[serde(default)]
    pub created_at: Option<String>,
    /// What was said, turn by turn (a transcript sent as one string is one turn per line).
    #[serde(default, deserialize_with = "transcript")]
    pub transcript: Vec<Turn>,
}

/// One turn of a call's transcript.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct Turn {
    /// Who spoke (`assistant`, `user`, `AI`, `Customer`, ...); empty when the line does not say.
    #[serde(default)]
    pub sender: String,
    /// What was said.
    #[serde(default)]
    pub text: String,
    /// When, as the server wrote it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
}

/// A transcript as a string (`"AI: Hello\nCustomer: Hi"`) or a list of `{sender, timestamp,
/// text}`; anything else is no transcript. At most [`MAX_TURNS`] turns are kept.
fn transcript<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Turn>, D::Error> {
    struct V;
    impl<'de> serde::de::Visitor<'de> for V {
        type Value = Vec<Turn>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a transcript")
        }
        fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Vec<Turn>, E> {
            Ok(text
                .lines()
                .filter(|l| !l.trim().is_empty())
                .take(MAX_TURNS)
                .map(|line| match line.split_once(": ") {
                    Some((who, said)) if who.len() <= 20 && !who.contains(' ') => {
                        Turn { sender: who.to_owned(), text: said.to_owned(), timestamp: None }
                    }
                    _ => Turn { sender: String::new(), text: line.to_owned(), timestamp: None },
                })
                .collect())
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, seq: A) -> Result<Vec<Turn>, A::Error> {
            let Bounded(turns) = Bounded::<LooseTurn, MAX_TURNS>::deserialize(
                serde::de::value::SeqAccessDeserializer::new(seq),
            )?;
            Ok(turns.into_iter().filter_map(|t| t.0).collect())
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Vec<Turn>, A::Error> {
            while map.next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?.is_some() {}
            Ok(Vec::new())
        }
        fn visit_unit<E: serde::de::Error>(self) -> Result<Vec<Turn>, E> {
            Ok(Vec::new())
        }
        fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<Vec<Turn>, E> {
            Ok(Vec::new())
        }
        fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<Vec<Turn>, E> {
            Ok(Vec::new())
        }
        fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<Vec<Turn>, E> {
            Ok(Vec::new())
        }
        fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<Vec<Turn>, E> {
            Ok(Vec::new())
        }
    }
    d.deserialize_any(V)
}

/// At most this many turns of one call's transcript are kept.
const MAX_TURNS: usize = 10_000;

/// A turn as it may come: an object with scalar `sender`, `text`, `timestamp` (anything else in
/// it skipped), or something else, which is no turn.
struct LooseTurn(Option<Turn>);

impl<'de> Deserialize<'de> for LooseTurn {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Fields {
            #[serde(default)]
            sender: Option<Scalar>,
            #[serde(default)]
            text: Option<Scalar>,
            #[serde(default)]
            timestamp: Option<Scalar>,
        }
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = LooseTurn;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a turn")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<LooseTurn, A::Error> {
                let fields = Fields::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
                let text = |s: Option<Scalar>| s.and_then(Scalar::into_text);
                let turn = Turn {
                    sender: text(fields.sender).unwrap_or_default(),
                    text: text(fields.text).unwrap_or_default(),
                    timestamp: text(fields.timestamp),
                };
                // A turn that says nothing is no turn.
                Ok(LooseTurn((!turn.text.is_empty() || !turn.sender.is_empty()).then_some(turn)))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<LooseTurn, A::Error> {
                while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
                Ok(LooseTurn(None))
            }
            fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<LooseTurn, E> {
                Ok(LooseTurn(None))
            }
            fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<LooseTurn, E> {
                Ok(LooseTurn(None))
            }
            fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<LooseTurn, E> {
                Ok(LooseTurn(None))
            }
            fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<LooseTurn, E> {
                Ok(LooseTurn(None))
            }
            fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<LooseTurn, E> {
                Ok(LooseTurn(None))
            }
            fn visit_unit<E: serde::de::Error>(self) -> Result<LooseTurn, E> {
                Ok(LooseTurn(None))
            }
        }
        d.deserialize_any(V)
    }
}

/// One page of `GET /user/calls`.
pub type CallPage = Page<Call>;

/// What `POST /user/lead` answered, decoded: the lead (or as much of it as the server gave) and
/// the server's message.
#[derive(Debug, Clone, PartialEq)]
pub struct Created {
    /// The created lead.
    pub lead: Lead,
    /// The server's message, e.g. "Lead created successfully".
    pub message: Option<String>,
}

/// Why a body could not be read as what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unexpected response body: {0}")]
pub struct DecodeError(pub String);

/// Decodes any of the three documented create responses: `{"data": {...}}`, the same wrapped in a
/// one-element array (also `{"data": [{...}]}`), and `{"data": {"id": "..."}}`.
pub fn decode_created(body: &[u8]) -> Result<Created, DecodeError> {
    /// `{"message": ..., "data": lead or [lead, ...]}`; other fields read past.
    #[derive(Deserialize)]
    struct Answer {
        #[serde(default)]
        message: Option<Scalar>,
        #[serde(default)]
        data: Option<First<Lead>>,
    }
    let body = exact_integers(body);
    let decode = |e: serde_json::Error| DecodeError(e.to_string());
    // The answer, or (older) the answer wrapped in a one-element list.
    let First(answer) = serde_json::from_slice::<First<Answer>>(&body).map_err(decode)?;
    let message = answer.message.and_then(Scalar::into_text);
    let lead = match answer.data {
        Some(First(lead)) => lead,
        // Some answers are the lead itself.
        None => {
            serde_json::from_slice::<First<Lead>>(&body)
                .map_err(|_| DecodeError("no `data` in the answer".into()))?
                .0
        }
    };
    Ok(Created { lead, message })
}

/// Decodes a page of leads: a Laravel paginator, or a bare array taken as the only page.
pub fn decode_lead_page(body: &[u8]) -> Result<LeadPage, DecodeError> {
    decode_page(body)
}

/// Decodes a page of `T`: a Laravel paginator, or a bare array taken as the only page. Neither
/// shape is buffered first (an untagged enum would hold the whole body as general values), and a
/// paginator's page keeps at most [`MAX_PAGE_ITEMS`] items (a page asks for 100), a bare array
/// [`MAX_BARE_ITEMS`].
pub fn decode_page<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<Page<T>, DecodeError> {
    #[derive(Deserialize)]
    #[serde(bound = "T: serde::de::DeserializeOwned")]
    struct Paginated<T> {
        data: Bounded<T, MAX_PAGE_ITEMS>,
        #[serde(default, deserialize_with = "opt_u64_lenient")]
        current_page: Option<u64>,
        #[serde(default, deserialize_with = "opt_u64_lenient")]
        last_page: Option<u64>,
        #[serde(default, deserialize_with = "opt_u64_lenient")]
        total: Option<u64>,
    }
    let body = exact_integers(body);
    let starts_as_list = body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[');
    if starts_as_list {
        let Bounded(data) = serde_json::from_slice::<Bounded<T, MAX_BARE_ITEMS>>(&body)
            .map_err(|e| DecodeError(e.to_string()))?;
        return Ok(Page { total: data.len() as u64, current_page: 1, last_page: 1, data });
    }
    let p: Paginated<T> = serde_json::from_slice(&body).map_err(|e| DecodeError(e.to_string()))?;
    let current_page = p.current_page.unwrap_or(1);
    let Bounded(data) = p.data;
    Ok(Page {
        total: p.total.unwrap_or(data.len() as u64),
        last_page: p.last_page.unwrap_or(current_page),
        current_page,
        data,
    })
}

/// At most this many items of one page are kept: a page is asked for 100, and a server that
/// sends more is not believed.
pub const MAX_PAGE_ITEMS: usize = 100;
/// At most this many items of a bare list (taken as the only page) are kept.
pub const MAX_BARE_ITEMS: usize = 100_000;

/// Decodes a bare JSON array (campaigns, outbound assistants); a `{"data": [...]}` wrapper is
/// accepted too.
pub fn decode_list<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<Vec<T>, DecodeError> {
    #[derive(Deserialize)]
    #[serde(bound = "T: serde::de::DeserializeOwned")]
    struct Wrapped<T> {
        data: Bounded<T, MAX_BARE_ITEMS>,
    }
    let body = exact_integers(body);
    let starts_as_list = body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[');
    let Bounded(items) = if starts_as_list {
        serde_json::from_slice::<Bounded<T, MAX_BARE_ITEMS>>(&body).map_err(|e| DecodeError(e.to_string()))?
    } else {
        serde_json::from_slice::<Wrapped<T>>(&body).map_err(|e| DecodeError(e.to_string()))?.data
    };
    Ok(items)
}

/// The body with every integer that no 64-bit integer holds (an id past `u64::MAX`, say) put in
/// quotes, so it is read as the server's exact text rather than rounded to a float
/// (`123456789012345678901` would become `1.2345678901234568e20`). Everything else, strings
/// included, is left byte for byte; a body with no such number is not copied.
pub fn exact_integers(body: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    let mut out: Option<Vec<u8>> = None;
    let mut copied = 0;
    let mut i = 0;
    while i < body.len() {
        match body[i] {
            b'"' => {
                // Past the string, escapes and all.
                i += 1;
                while i < body.len() && body[i] != b'"' {
                    i += if body[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
            }
            b'-' | b'0'..=b'9' => {
                let start = i;
                i += 1;
                while i < body.len() && matches!(body[i], b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-') {
                    i += 1;
                }
                let number = &body[start..i];
                let integer =
                    number.iter().enumerate().all(|(n, b)| b.is_ascii_digit() || (n == 0 && *b == b'-'));
                let fits = std::str::from_utf8(number)
                    .is_ok_and(|t| t.parse::<u64>().is_ok() || t.parse::<i64>().is_ok());
                // More digits than a float holds (an id written as `123456789012345678901.0`).
                let digits = number
                    .iter()
                    .take_while(|b| !matches!(b, b'e' | b'E'))
                    .filter(|b| b.is_ascii_digit())
                    .count();
                let lossy = if integer { !fits } else { digits > 15 };
                if number.len() > 1 && lossy {
                    let out = out.get_or_insert_with(|| Vec::with_capacity(body.len() + 8));
                    out.extend_from_slice(&body[copied..start]);
                    out.push(b'"');
                    out.extend_from_slice(number);
                    out.push(b'"');
                    copied = i;
                }
            }
            _ => i += 1,
        }
    }
    match out {
        Some(mut out) => {
            out.extend_from_slice(&body[copied.min(body.len())..]);
            std::borrow::Cow::Owned(out)
        }
        None => std::borrow::Cow::Borrowed(body),
    }
}

fn id_as_string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    match Scalar::deserialize(d)? {
        Scalar::Str(s) if !s.is_empty() => Ok(s),
        Scalar::Num(n) => Ok(n.to_string()),
        _ => Err(serde::de::Error::custom("id is not a number or string")),
    }
}

fn lenient_u64(value: Scalar) -> Option<u64> {
    match value {
        Scalar::Num(n) => n.as_u64(),
        Scalar::Str(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn u64_lenient<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    lenient_u64(Scalar::deserialize(d)?).ok_or_else(|| serde::de::Error::custom("not an id"))
}

fn opt_u64_lenient<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    Ok(lenient_u64(Scalar::deserialize(d)?))
}

fn object_or_empty<'de, D: Deserializer<'de>>(d: D) -> Result<IndexMap<String, Value>, D::Error> {
    super::bounded::scalar_object(d)
}

/// A lead's variables: an object of scalars, bounded (see [`super::bounded`]).
fn variables_value<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    let map = super::bounded::scalar_object(d)?;
    Ok(Some(Value::Object(map.into_iter().collect())))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Seen: an id past 64 bits came back as `1.2345678901234568e20`.
    #[test]
    fn ids_past_64_bits_keep_the_servers_text() {
        let big = "123456789012345678901";
        let body = format!(
            r#"{{"message":"ok","data":{{"id":{big},"campaign_id":1,"phone_number":"+1 \"{big}\""}}}}"#
        );
        let created = decode_created(body.as_bytes()).unwrap();
        assert_eq!(created.lead.id, big);
        assert_eq!(
            created.lead.phone_number.as_deref(),
            Some(format!("+1 \"{big}\"").as_str()),
            "strings untouched"
        );
        let page = format!(
            r#"{{"data":[{{"id":{big}}},{{"id":-99999999999999999999}},{{"id":18446744073709551615}}],"total":3}}"#
        );
        let page = decode_lead_page(page.as_bytes()).unwrap();
        let ids: Vec<&str> = page.data.iter().map(|l| l.id.as_str()).collect();
        assert_eq!(ids, [big, "-99999999999999999999", "18446744073709551615"]);
        // Written back as the same text.
        assert_eq!(serde_json::to_string(&page.data[0].id).unwrap(), format!("\"{big}\""));
    }

    #[test]
    fn only_integers_past_64_bits_are_quoted() {
        let same = br#"{"a":[1,-2,3.5e300,1e5,0,18446744073709551615,-9223372036854775808,"99999999999999999999\"x"]}"#;
        assert!(matches!(exact_integers(same), std::borrow::Cow::Borrowed(_)));
        assert_eq!(
            &*exact_integers(br#"[18446744073709551616,-9223372036854775809, 1]"#),
            br#"["18446744073709551616","-9223372036854775809", 1]"#
        );
        // A float with more digits than a float holds keeps its text too; a short one stays.
        assert_eq!(
            &*exact_integers(br#"[123456789012345678901.0,0.09,1e21]"#),
            br#"["123456789012345678901.0",0.09,1e21]"#
        );
    }

    #[test]
    fn calls_with_either_transcript_shape() {
        let body = br#"{"data":[
            {"id":11,"status":"completed","duration":"42","answered_by":"human","client_phone_number":"+14155550100",
             "transcript":"AI: Hello Ada.\nCustomer: Hi!\nno speaker here"},
            {"id":"12","status":"some-new-status","transcript":[{"sender":"assistant","timestamp":"2025-06-30 11:53:20","text":"Hello"}]},
            {"id":13,"transcript":null}],"current_page":1,"last_page":2,"total":31}"#;
        let page: CallPage = decode_page(body).unwrap();
        assert!(page.has_next());
        let [a, b, c] = &page.data[..] else { panic!("{page:?}") };
        assert_eq!((a.duration, a.answered_by.as_deref()), (Some(42), Some("human")));
        let said: Vec<(&str, &str)> =
            a.transcript.iter().map(|t| (t.sender.as_str(), t.text.as_str())).collect();
        assert_eq!(said, [("AI", "Hello Ada."), ("Customer", "Hi!"), ("", "no speaker here")]);
        assert_eq!(b.status.as_deref(), Some("some-new-status"));
        assert_eq!(b.transcript[0].timestamp.as_deref(), Some("2025-06-30 11:53:20"));
        assert!(c.transcript.is_empty());
    }

    #[test]
    fn current_create_shape() {
        let body = br#"{"message":"Lead created successfully","data":{"id":123,"campaign_id":1,
            "phone_number":"+1234567890","variables":{"customer_name":"John Doe"},"status":"created",
            "created_at":"2025-06-30 11:53:20","updated_at":"2025-06-30 11:53:20",
            "campaign":{"id":1,"name":"Sales Campaign"},"secondary_contacts":[]}}"#;
        let created = decode_created(body).unwrap();
        assert_eq!(created.lead.id, "123");
        assert_eq!(created.lead.campaign.unwrap().name, "Sales Campaign");
        assert_eq!(created.lead.status.as_deref(), Some("created"));
        assert_eq!(created.message.as_deref(), Some("Lead created successfully"));
    }

    #[test]
    fn older_array_shapes() {
        let wrapped = br#"[{"message":"Lead created successfully","data":{"id":"1","campaign_id":"1",
            "phone_number":"+1234567890","created_at":"2025-06-02T12:08:17.000000Z"}}]"#;
        let lead = decode_created(wrapped).unwrap().lead;
        assert_eq!((lead.id.as_str(), lead.campaign_id), ("1", Some(1)));
        let data_array = br#"{"message":"ok","data":[{"id":"7"}]}"#;
        assert_eq!(decode_created(data_array).unwrap().lead.id, "7");
    }

    #[test]
    fn oldest_id_only_shape() {
        let body = br#"{"message":"Lead created successfully","data":{"id":"1234569"}}"#;
        let lead = decode_created(body).unwrap().lead;
        assert_eq!(lead.id, "1234569");
        assert_eq!(lead.phone_number, None);
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for body in [&b"<html>login</html>"[..], b"{}", b"{\"data\":{}}", b"[]", b"{\"data\":{\"id\":null}}"]
        {
            assert!(decode_created(body).is_err(), "{}", String::from_utf8_lossy(body));
        }
    }

    #[test]
    fn lead_pages_and_bare_arrays() {
        let page = br#"{"current_page":2,"data":[{"id":5,"status":"scheduled"}],"per_page":1,
            "total":3,"last_page":3,"next_page_url":"x"}"#;
        let page = decode_lead_page(page).unwrap();
        assert_eq!((page.current_page, page.last_page, page.total), (2, 3, 3));
        assert!(page.has_next());
        let bare = decode_lead_page(br#"[{"id":1},{"id":"2"}]"#).unwrap();
        assert_eq!(bare.data.len(), 2);
        assert!(!bare.has_next());
    }

    #[test]
    fn lists_of_campaigns_and_assistants() {
        let campaigns: Vec<Campaign> =
            decode_list(br#"[{"id":1,"name":"Sales","status":"in-progress","max_retries":3}]"#).unwrap();
        assert_eq!(campaigns[0].name, "Sales");
        let assistants: Vec<Assistant> = decode_list(
            br#"{"data":[{"id":4,"name":"Ava","variables":{"customer_name":"","company":"ACME"}}]}"#,
        )
        .unwrap();
        assert_eq!(assistants[0].variables.keys().collect::<Vec<_>>(), ["customer_name", "company"]);
    }

    #[test]
    fn request_spells_the_api_field_names() {
        let req = CreateLead {
            phone_number: "+14155550100".into(),
            campaign_id: 3,
            variables: [("customer_name".to_owned(), "Ada".to_owned())].into_iter().collect(),
            allow_dupplicate: false,
            secondary_contacts: vec![],
        };
        assert_eq!(
            serde_json::to_string(&req).unwrap(),
            r#"{"phone_number":"+14155550100","campaign_id":3,"variables":{"customer_name":"Ada"},"allow_dupplicate":false}"#
        );
    }
}
