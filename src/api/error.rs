//! What can go wrong talking to the API, sorted by what the caller must do next. The sort decides
//! whether a lead may be sent again, so it is made in one place.

use std::time::Duration;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

/// A failed API call, classified. Messages never contain the API key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// The request could not be made at all; nothing was sent.
    #[error("not sent: {0}")]
    Invalid(String),
    /// The API said no (a 4xx other than 401 and 429): sending it again unchanged will not help.
    #[error("{}", rejected_text(*status, message, errors))]
    Rejected {
        /// The HTTP status, e.g. 422.
        status: u16,
        /// The server's message.
        message: String,
        /// Field errors, keyed as the server names the field (dotted for nested ones).
        errors: IndexMap<String, Vec<String>>,
    },
    /// The key was refused (401, or a redirect or web page instead of JSON).
    #[error("authentication failed: {0}")]
    Auth(String),
    /// A web page or a redirect came instead of JSON: most likely the key was not accepted (a
    /// login page), but a request that changes the server may have been carried out all the same.
    #[error("authentication failed: {0}")]
    AuthUnsure(String),
    /// Too many requests; the server says when to come back.
    #[error("rate limited by the server{}", retry_text(*retry_after))]
    RateLimited {
        /// How long the server asked us to wait, when it said.
        retry_after: Option<Duration>,
    },
    /// Nothing reached the server (DNS, refused, TLS handshake, connect timeout).
    #[error("server unreachable: {0}")]
    Unreachable(String),
    /// The request may or may not have been processed (timeout after sending, reset, 5xx, or an
    /// answer that cannot be read).
    #[error("outcome unknown: {0}")]
    UnknownOutcome(String),
}

impl ApiError {
    /// The short name of the class, as stored in the history (`error.kind`).
    pub fn kind(&self) -> ErrorKind {
        match self {
            ApiError::Invalid(_) => ErrorKind::Invalid,
            ApiError::Rejected { .. } => ErrorKind::Rejected,
            ApiError::Auth(_) | ApiError::AuthUnsure(_) => ErrorKind::Auth,
            ApiError::RateLimited { .. } => ErrorKind::RateLimited,
            ApiError::Unreachable(_) => ErrorKind::Unreachable,
            ApiError::UnknownOutcome(_) => ErrorKind::UnknownOutcome,
        }
    }
}

impl ApiError {
    /// Whether the key was (probably) refused: sending waits for one that works.
    pub fn is_auth(&self) -> bool {
        matches!(self, ApiError::Auth(_) | ApiError::AuthUnsure(_))
    }

    /// Whether a request that changes the server may have been carried out although it failed:
    /// it must be looked up before it is sent again.
    pub fn outcome_unknown(&self) -> bool {
        matches!(self, ApiError::UnknownOutcome(_) | ApiError::AuthUnsure(_))
    }

    /// Whether the API refused a lead because the campaign already holds its phone number.
    pub fn is_already_taken(&self) -> bool {
        let ApiError::Rejected { status: 422, message, errors } = self else { return false };
        let says = |text: &str| {
            let text = text.to_lowercase();
            text.contains("already been taken") || text.contains("already exists")
        };
        errors.get("phone_number").is_some_and(|m| m.iter().any(|m| says(m))) || says(message)
    }
}

/// The classes of failure, as a plain tag for storage and display.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// Not sent: the request itself was wrong.
    Invalid,
    /// The API refused the lead.
    Rejected,
    /// The key was refused.
    Auth,
    /// Too many requests.
    RateLimited,
    /// The server could not be reached.
    Unreachable,
    /// Sent, but no answer could be read.
    UnknownOutcome,
    /// The local history could not be written, so nothing was sent.
    Storage,
    /// The user cancelled it while it waited to be sent.
    Cancelled,
}

fn rejected_text(status: u16, message: &str, errors: &IndexMap<String, Vec<String>>) -> String {
    let mut text = format!("rejected ({status}): {message}");
    for (field, msgs) in errors {
        text.push_str(&format!("; {field}: {}", msgs.join(" ")));
    }
    text
}

fn retry_text(retry_after: Option<Duration>) -> String {
    retry_after.map(|d| format!(", retry in {} s", d.as_secs())).unwrap_or_default()
}
