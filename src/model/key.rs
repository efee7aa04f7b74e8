//! The API key, asked for in the app: at the first start when none is configured (with the
//! sandbox offered instead), and whenever the server refuses the key (sending pauses until a key
//! works). The key typed is masked on screen, tried with `GET /user/me`, and only then used and
//! saved.

use super::{App, Effect, Level, Overlay, Target, TextInput};
use crate::api::ApiError;
use crate::config::ApiKey;

/// The key prompt's state. Its `Debug` never shows what is typed.
#[derive(Clone, PartialEq, Default)]
pub struct KeyPrompt {
    /// What is typed (drawn masked).
    pub input: TextInput,
    /// Why a key is asked for, or why the last one did not work.
    pub problem: Option<String>,
    /// A key is being tried.
    pub checking: bool,
    /// Offer the sandbox instead (first start without a key).
    pub offer_sandbox: bool,
}

impl std::fmt::Debug for KeyPrompt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyPrompt")
            .field("input", &format_args!("[{} characters]", self.input.text().chars().count()))
            .field("problem", &self.problem)
            .field("checking", &self.checking)
            .field("offer_sandbox", &self.offer_sandbox)
            .finish()
    }
}

impl App {
    /// Opens the key prompt, saying why.
    pub(super) fn ask_for_key(&mut self, problem: Option<String>, offer_sandbox: bool) {
        if self.target == Target::Sandbox {
            return;
        }
        self.key_problem = Some(problem.clone().unwrap_or_else(|| "no API key yet".into()));
        self.overlay =
            Some(Overlay::Key(Box::new(KeyPrompt { problem, offer_sandbox, ..KeyPrompt::default() })));
    }

    /// The server refused the key: pause sending and ask for another.
    pub(super) fn key_refused(&mut self, error: &ApiError) {
        let why = format!("the server refused the key ({error})");
        if self.key_problem.is_none() || !matches!(self.overlay, Some(Overlay::Key(_))) {
            self.ask_for_key(Some(why), false);
        }
    }

    /// Tries the typed key.
    pub(super) fn submit_key(&mut self) -> Vec<Effect> {
        let Some(Overlay::Key(prompt)) = &mut self.overlay else { return vec![] };
        let typed = prompt.input.text().trim().to_owned();
        if typed.is_empty() {
            prompt.problem = Some("paste the key from the Autocalls dashboard (API keys)".into());
            return vec![];
        }
        prompt.checking = true;
        vec![Effect::TryKey(ApiKey::new(&typed))]
    }

    /// A key was tried: when it works it is in use and saved, and everything paused goes on.
    pub(super) fn key_tried(&mut self, result: Result<super::KeyWorks, super::KeyError>) -> Vec<Effect> {
        match result {
            Ok(super::KeyWorks { account, not_saved }) => {
                let first_key = self.catalog.campaigns.is_empty();
                self.account = Some(account.clone());
                self.key_problem = None;
                if matches!(self.overlay, Some(Overlay::Key(_))) {
                    self.overlay = None;
                }
                let paused: Vec<_> = self.outbox.in_flight.keys().copied().collect();
                for id in paused {
                    let effects = self.feed(id, crate::delivery::engine::Event::KeyWorks);
                    self.queued.extend(effects);
                }
                match not_saved {
                    None => self.notify(
                        Level::Info,
                        format!("Signed in as {account}; the key is saved in the config file"),
                    ),
                    Some(why) => self.notify(
                        Level::Error,
                        format!("Signed in as {account}; leads are sent, but the key could not be saved ({why}): it serves this run only"),
                    ),
                }
                if first_key { vec![Effect::FetchCampaigns, Effect::FetchAssistants] } else { vec![] }
            }
            Err(reason) => {
                if let Some(Overlay::Key(prompt)) = &mut self.overlay {
                    prompt.checking = false;
                    prompt.problem = Some(reason.to_string());
                }
                vec![]
            }
        }
    }

    /// `GET /user/me` at start: the account's name for the header, or a refused key.
    pub(super) fn me(&mut self, result: Result<String, ApiError>) -> Vec<Effect> {
        match result {
            Ok(name) => self.account = Some(crate::sanitize::cleaned(&name)),
            Err(error) if error.is_auth() => self.key_refused(&error),
            Err(_) => {}
        }
        vec![]
    }
}
