//! The Autocalls REST API: a client that sends requests as documented and turns every answer into
//! either a typed value or a classified [`ApiError`]. No UI types in here.

pub mod bounded;
mod client;
mod error;
pub mod types;
mod variables;

pub use client::{ApiClient, CallQuery, ClientOptions, DEFAULT_MAX_ANSWER, Deleted, LeadQuery, Me};
pub use error::{ApiError, ErrorKind};
