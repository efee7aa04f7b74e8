//! The team's leads: a view of the history pane (`v`) that lists the campaign's leads as the
//! server holds them, whoever entered them, the ones in this history marked as yours. Pages are
//! read as the list is scrolled; `t` filters by the server's status, `/` searches (a phone number
//! is searched by the server, anything else among the leads read); Enter on one of yours opens
//! its detail.

use std::collections::HashMap;

use super::{App, Effect, Level};
use crate::api::types::{Lead, LeadPage};
use crate::history::{LocalId, Status};

/// Leads asked for per page.
pub const PER_PAGE: u32 = 50;
/// Read the next page once the selection is this close to the end of what is read.
const READ_AHEAD: usize = 15;
/// The server's lead statuses, in the order `t` steps through them.
pub const STATUSES: [&str; 7] =
    ["created", "scheduled", "processing", "rescheduled", "completed", "reached-max-retries", "blacklisted"];

/// The view's state.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerView {
    /// The campaign listed.
    pub campaign: u64,
    /// Only leads with this status (the server filters).
    pub status: Option<&'static str>,
    /// Only leads whose phone holds these digits (the server filters).
    pub phone: Option<String>,
    /// Only leads whose variables hold this text (filtered here, among the leads read).
    pub text: Option<String>,
    /// The leads read so far, in the server's order.
    pub leads: Vec<Lead>,
    /// How many the server says match.
    pub total: Option<u64>,
    /// The next page to read; `None` once all are read.
    pub next_page: Option<u64>,
    /// A page is being read.
    pub loading: bool,
    /// Counts the queries: an answer for an older one is dropped.
    pub generation: u64,
    /// The selected row among those listed.
    pub selected: usize,
    /// The first row drawn.
    pub offset: usize,
    /// Why the last page could not be read.
    pub error: Option<String>,
    /// The server ids of the leads in this history, and their local ids.
    pub yours: HashMap<String, LocalId>,
}

impl ServerView {
    /// The leads listed: those read that match the text typed, as indexes into `leads`.
    pub fn listed(&self) -> Vec<usize> {
        let Some(text) = self.text.as_deref().map(str::to_lowercase) else {
            return (0..self.leads.len()).collect();
        };
        (0..self.leads.len())
            .filter(|&i| {
                let lead = &self.leads[i];
                lead.variables.as_ref().and_then(|v| v.as_object()).is_some_and(|vars| {
                    vars.values().any(|v| v.as_str().is_some_and(|s| s.to_lowercase().contains(&text)))
                }) || lead.id.as_str() == text
            })
            .collect()
    }

    /// The lead selected, when there is one.
    pub fn selected_lead(&self) -> Option<&Lead> {
        self.listed().get(self.selected).map(|&i| &self.leads[i])
    }

    /// Whether the lead is in this history.
    pub fn is_yours(&self, lead: &Lead) -> Option<LocalId> {
        self.yours.get(lead.id.as_str()).copied()
    }

    /// Starts over from the first page (a filter changed).
    fn restart(&mut self) -> Effect {
        self.leads.clear();
        self.total = None;
        self.selected = 0;
        self.offset = 0;
        self.next_page = Some(1);
        self.read_next().expect("a first page to read")
    }

    /// Asks for the next page, unless one is being read or all are.
    fn read_next(&mut self) -> Option<Effect> {
        let page = self.next_page?;
        self.loading = true;
        self.generation += 1;
        Some(Effect::FetchServerLeads {
            campaign: self.campaign,
            status: self.status.map(str::to_owned),
            phone: self.phone.clone(),
            page,
            generation: self.generation,
        })
    }
}

impl App {
    /// `v`: opens the view on the campaign the history is filtered by, else the form's; closes it
    /// when open.
    pub(super) fn toggle_server_view(&mut self) -> Vec<Effect> {
        if self.server_view.take().is_some() {
            self.history.search_input = None;
            return vec![];
        }
        let Some(campaign) = self.history.filter.campaign.or_else(|| self.form_campaign_id()) else {
            self.notify(
                Level::Info,
                "Which campaign? Choose one in the form, or filter the history by one (c)",
            );
            return vec![];
        };
        let yours = self
            .history
            .peeks()
            .filter(|peek| peek.status == Status::Created)
            // Only a lead with changes can have been taken back (and is never packed).
            .filter(|peek| !peek.changes || self.history.get(&peek.local_id).is_some_and(|e| !e.is_deleted()))
            .filter_map(|peek| Some((peek.lead_id?.to_owned(), peek.local_id)))
            .collect();
        self.history.search_input = None;
        let mut view = ServerView {
            campaign,
            status: None,
            phone: None,
            text: None,
            leads: Vec::new(),
            total: None,
            next_page: Some(1),
            loading: false,
            generation: 0,
            selected: 0,
            offset: 0,
            error: None,
            yours,
        };
        let first = view.restart();
        self.server_view = Some(view);
        vec![first]
    }

    /// A page of the server's leads came.
    pub(super) fn server_leads_fetched(
        &mut self,
        generation: u64,
        page: u64,
        result: Result<LeadPage, String>,
    ) -> Vec<Effect> {
        let Some(view) = &mut self.server_view else { return vec![] };
        if generation != view.generation {
            return vec![];
        }
        view.loading = false;
        match result {
            Ok(answer) => {
                view.error = None;
                view.total = Some(answer.total);
                // Paged by the page asked, not the page the server says it is on.
                view.next_page = (page < answer.last_page && !answer.data.is_empty()).then_some(page + 1);
                view.leads.extend(answer.data);
            }
            Err(why) => view.error = Some(why),
        }
        self.read_ahead()
    }

    /// Reads on while the selection nears the end of what is read (or a text filter hides
    /// what was read).
    fn read_ahead(&mut self) -> Vec<Effect> {
        let Some(view) = &mut self.server_view else { return vec![] };
        if view.loading || view.error.is_some() {
            return vec![];
        }
        let listed = view.listed().len();
        if view.selected + READ_AHEAD < listed {
            return vec![];
        }
        view.read_next().into_iter().collect()
    }

    /// The view's actions, or `None` for those it leaves to the history.
    pub(super) fn server_view_act(&mut self, action: super::Action) -> Option<Vec<Effect>> {
        use super::Action;
        let page = self.page_rows();
        let view = self.server_view.as_mut()?;
        let len = view.listed().len();
        let moved = |view: &mut ServerView, to: isize| {
            view.selected = to.clamp(0, len.saturating_sub(1) as isize) as usize;
        };
        match action {
            Action::Up => moved(view, view.selected as isize - 1),
            Action::Down => moved(view, view.selected as isize + 1),
            Action::PageUp => moved(view, view.selected as isize - page),
            Action::PageDown => moved(view, view.selected as isize + page),
            Action::Top => moved(view, 0),
            Action::Bottom => moved(view, len as isize),
            Action::CycleStatus => {
                let at = view.status.and_then(|s| STATUSES.iter().position(|x| *x == s));
                view.status = match at {
                    None => Some(STATUSES[0]),
                    Some(i) => STATUSES.get(i + 1).copied(),
                };
                return Some(vec![view.restart()]);
            }
            Action::RefreshStatus => return Some(vec![view.restart()]),
            Action::Close if view.status.is_some() || view.phone.is_some() || view.text.is_some() => {
                view.status = None;
                view.phone = None;
                view.text = None;
                self.history.search_input = None;
                let view = self.server_view.as_mut()?;
                return Some(vec![view.restart()]);
            }
            Action::Close | Action::ServerView => return Some(self.toggle_server_view()),
            Action::Activate => {
                let yours = view.selected_lead().and_then(|l| view.is_yours(l));
                match yours {
                    Some(local_id) => {
                        self.server_view = None;
                        self.history.search_input = None;
                        self.clear_filters();
                        if let Some(row) = self.history.row_of(&local_id) {
                            self.history.selected = row;
                        }
                        self.open_detail();
                    }
                    None => self.notify(
                        Level::Info,
                        "Not in this history: entered by someone else, or on the dashboard",
                    ),
                }
            }
            Action::Search => self.open_search(),
            // What acts on a lead of this history acts on the one selected there, not the one on
            // screen here: not in this view.
            Action::FixLead
            | Action::TakeBack
            | Action::EditLead
            | Action::Retry
            | Action::CancelLead
            | Action::Export
            | Action::CycleCampaign => {
                let back =
                    crate::keymap::key_for(Action::ServerView, super::Context::History).unwrap_or_default();
                self.notify(
                    Level::Info,
                    format!(
                        "Not in the team's view: Enter opens one of yours, {back} goes back to your history"
                    ),
                );
            }
            _ => return None,
        }
        Some(self.read_ahead())
    }

    /// The search typed in the view: digits are a phone the server searches for, the rest is
    /// looked for among the leads read.
    pub(super) fn server_search_changed(&mut self, text: &str) -> Vec<Effect> {
        let Some(view) = &mut self.server_view else { return vec![] };
        let text = text.trim();
        let phone_like = !text.is_empty() && text.chars().all(|c| c.is_ascii_digit() || "+ -()".contains(c));
        let digits: String = text.chars().filter(char::is_ascii_digit).collect();
        if phone_like {
            view.text = None;
            let phone = (!digits.is_empty()).then_some(digits);
            if phone != view.phone {
                view.phone = phone;
                return vec![view.restart()];
            }
            return vec![];
        }
        view.text = (!text.is_empty()).then(|| text.to_owned());
        view.selected = 0;
        view.offset = 0;
        let restart = view.phone.take().is_some();
        if restart {
            return vec![view.restart()];
        }
        self.read_ahead()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::types::{CreateLead, LeadId};
    use crate::history::{LeadEntry, Outcome};
    use crate::model::kit::{act, type_text};
    use crate::model::{Action, AppOptions, Focus, Msg};

    fn lead(id: u64, phone: &str, name: &str) -> Lead {
        Lead {
            id: LeadId::from(id.to_string().as_str()),
            phone_number: Some(phone.into()),
            status: Some("created".into()),
            variables: Some(serde_json::json!({ "customer_name": name })),
            ..Lead::default()
        }
    }

    fn page(leads: Vec<Lead>, last_page: u64, total: u64) -> LeadPage {
        LeadPage { data: leads, current_page: 1, last_page, total }
    }

    fn fetches(effects: &[Effect]) -> Vec<(Option<String>, Option<String>, u64, u64)> {
        effects
            .iter()
            .filter_map(|e| match e {
                Effect::FetchServerLeads { status, phone, page, generation, .. } => {
                    Some((status.clone(), phone.clone(), *page, *generation))
                }
                _ => None,
            })
            .collect()
    }

    /// An app whose history holds lead #1001, created in campaign 12; the history focused.
    fn app() -> App {
        let (mut app, _) = App::new(AppOptions { campaign: Some(12), ..AppOptions::default() });
        let request = CreateLead {
            phone_number: "+14155550100".into(),
            campaign_id: 12,
            variables: Default::default(),
            allow_dupplicate: false,
            secondary_contacts: vec![],
        };
        let mut entry = LeadEntry::new(LocalId::new(), jiff::Timestamp::UNIX_EPOCH, request);
        entry.apply(
            Outcome { status: Status::Created, lead_id: Some("1001".into()), ..Outcome::default() },
            jiff::Timestamp::UNIX_EPOCH,
        );
        app.update(Msg::HistoryLoaded { entries: vec![entry].into(), problems: vec![], end: 0 });
        app.set_focus(Focus::History);
        app.update(Msg::Resize { width: 80, height: 24 });
        app
    }

    #[test]
    fn the_campaigns_leads_are_paged_as_the_list_is_scrolled_and_yours_are_marked() {
        let mut app = app();
        let effects = act(&mut app, Action::ServerView);
        assert_eq!(fetches(&effects), [(None, None, 1, 1)]);
        let first: Vec<Lead> = (0..50).map(|i| lead(2000 + i, "+4917012345610", "Colleague")).collect();
        let mut first = first;
        first[3] = lead(1001, "+14155550100", "Ada");
        let effects =
            app.update(Msg::ServerLeadsFetched { generation: 1, page: 1, result: Ok(page(first, 3, 120)) });
        assert!(fetches(&effects).is_empty(), "not before the list is scrolled");
        let view = app.server_view.as_ref().unwrap();
        assert!(view.is_yours(&view.leads[3]).is_some());
        assert!(view.is_yours(&view.leads[0]).is_none());
        // Scrolled near the end: the next page, once.
        let effects = act(&mut app, Action::Bottom);
        assert_eq!(fetches(&effects), [(None, None, 2, 2)]);
        assert!(fetches(&act(&mut app, Action::Down)).is_empty(), "one page at a time");
        // An answer for an older query is dropped.
        app.update(Msg::ServerLeadsFetched { generation: 1, page: 1, result: Ok(page(vec![], 3, 120)) });
        assert_eq!(app.server_view.as_ref().unwrap().leads.len(), 50);
        let second: Vec<Lead> = (0..50).map(|i| lead(3000 + i, "+4917012345611", "Someone")).collect();
        app.update(Msg::ServerLeadsFetched { generation: 2, page: 2, result: Ok(page(second, 3, 120)) });
        assert_eq!(app.server_view.as_ref().unwrap().leads.len(), 100);
        assert_eq!(app.server_view.as_ref().unwrap().next_page, Some(3));
        // What acts on a lead of the history does nothing here (it would act on another lead).
        assert!(act(&mut app, Action::TakeBack).is_empty());
        assert!(app.overlay.is_none());
        act(&mut app, Action::FixLead);
        assert!(app.entry.editing.is_none());
        // Enter on yours opens its detail.
        act(&mut app, Action::Top);
        for _ in 0..3 {
            act(&mut app, Action::Down);
        }
        act(&mut app, Action::Activate);
        assert!(app.server_view.is_none());
        assert!(app.detail().is_some());
    }

    #[test]
    fn status_and_phone_are_asked_of_the_server_and_names_searched_among_those_read() {
        let mut app = app();
        act(&mut app, Action::ServerView);
        let effects = act(&mut app, Action::CycleStatus);
        assert_eq!(fetches(&effects), [(Some("created".into()), None, 1, 2)]);
        let leads =
            vec![lead(7, "+4917012345610", "Jürgen Müller"), lead(8, "+4917012345611", "Grace Hopper")];
        app.update(Msg::ServerLeadsFetched { generation: 2, page: 1, result: Ok(page(leads, 1, 2)) });
        act(&mut app, Action::Search);
        type_text(&mut app, "müller");
        let view = app.server_view.as_ref().unwrap();
        assert_eq!(view.listed(), [0], "found among the leads read");
        // A phone: the server is asked.
        app.history.search_input.as_mut().unwrap().set_text("");
        app.update(Msg::Edit(ratatui_textarea::Input {
            key: ratatui_textarea::Key::Char('+'),
            ..ratatui_textarea::Input::default()
        }));
        let effects = type_text(&mut app, "4917");
        assert_eq!(fetches(&effects).last().map(|f| f.1.clone()), Some(Some("4917".into())));
        // Esc clears the filters (asking again), then closes the view.
        act(&mut app, Action::Activate);
        let effects = act(&mut app, Action::Close);
        assert_eq!(fetches(&effects).len(), 1);
        act(&mut app, Action::Close);
        assert!(app.server_view.is_none());
    }

    #[test]
    fn without_a_campaign_it_says_how_to_choose_one() {
        let mut app = app();
        app.entry.form.campaign.set_text("");
        assert!(fetches(&act(&mut app, Action::ServerView)).is_empty());
        assert!(app.notice.as_ref().unwrap().text.contains("Which campaign"));
    }
}
