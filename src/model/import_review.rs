//! A block of rows pasted into the form (cells copied from a spreadsheet, or CSV lines) opens a
//! review of them instead of landing in one field: each row checked as the form checks a lead,
//! repeats within the block and leads the history or the team check know marked, the columns'
//! reading said on top (guessed when there is no header). Up/Down choose a row, Del drops it,
//! `e` takes it into the form to fix, Ctrl-S sends every valid row through the outbox, and the
//! table follows each one to its end; what was not sent stays in it to fix. Esc closes it.

use std::time::Instant;

use super::{App, Effect, Focus, Form, Level, Overlay};
use crate::api::types::CreateLead;
use crate::history::{LocalId, Status};
use crate::import::{self, Column, Mapping};

/// Rows of a paste whose phones the server is asked about one by one (more are checked by the
/// server itself when sent: it refuses a phone the campaign holds).
const MAX_ASKED: usize = 200;

/// One row of the review.
#[derive(Debug, Clone, PartialEq)]
pub struct ReviewRow {
    /// Its line in the paste.
    pub line: usize,
    /// The phone as pasted.
    pub phone_typed: String,
    /// The lead it makes, or why none.
    pub checked: Result<CreateLead, String>,
    /// Why it is not sent though valid (a repeat, a lead the campaign holds).
    pub held: Option<String>,
    /// Its lead in the history once sent.
    pub local_id: Option<LocalId>,
    /// The row as the form shows it, to fix it there.
    pub draft: crate::lead::LeadDraft,
}

impl ReviewRow {
    /// Whether Ctrl-S sends it.
    pub fn is_ready(&self) -> bool {
        self.checked.is_ok() && self.held.is_none() && self.local_id.is_none()
    }
}

/// A row of the review taken into the form to fix: the review waits for it.
#[derive(Debug, Clone, PartialEq)]
pub struct ReviewEdit {
    /// The review, closed meanwhile.
    pub review: Box<ImportReview>,
    /// The row being fixed.
    pub index: usize,
}

/// The review of a pasted block.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportReview {
    /// How the columns were read.
    pub mapping: Mapping,
    /// The rows.
    pub rows: Vec<ReviewRow>,
    /// The selected row.
    pub selected: usize,
    /// When Ctrl-S sent them, for the rate.
    pub sent_at: Option<Instant>,
}

impl App {
    /// A paste of several rows with a phone column: opens the review and says so. Gives false
    /// when `text` is no such block (it is pasted as text then).
    pub(super) fn paste_block(&mut self, text: &str) -> bool {
        // Terminals send a pasted line break as CR (tmux and xterm do): rows end at any of them.
        let text = &text.replace("\r\n", "\n").replace('\r', "\n");
        if text.lines().filter(|l| !l.trim().is_empty()).count() < 2 || !text.contains(['\t', ',', ';']) {
            return false;
        }
        let table = import::read_text(text);
        let mapping = Mapping::of(&table, self.region);
        let data_rows = table.rows.len() - usize::from(mapping.header);
        if !mapping.columns.contains(&Column::Phone) || data_rows == 0 {
            return false;
        }
        let Some(campaign) = self.form_campaign_id() else {
            self.notify(Level::Error, "Choose the campaign first: the pasted rows go to the form's campaign");
            return true;
        };
        let allow = self.entry.form.allow_duplicate;
        let rows = import::check(&table, &mapping, campaign, allow, self.region);
        let rows = rows
            .into_iter()
            .map(|row| {
                let held = match (&row.checked, row.same_as) {
                    (Ok(_), Some(line)) => Some(format!("the same phone as line {line}")),
                    (Ok(request), None) if !allow => self.already_held(request),
                    _ => None,
                };
                ReviewRow {
                    line: row.line,
                    phone_typed: row.phone_typed,
                    checked: row.checked,
                    held,
                    local_id: None,
                    draft: row.draft,
                }
            })
            .collect::<Vec<_>>();
        // The team's: the server is asked about each phone not known yet (the answers mark the
        // rows as they come, and are checked again before sending).
        for request in
            rows.iter().filter(|r| r.is_ready()).filter_map(|r| r.checked.as_ref().ok()).take(MAX_ASKED)
        {
            let key = (request.phone_number.to_string(), request.campaign_id);
            if self.team.known(&key, self.now).is_none() && self.team.ask(key.clone()) {
                self.queued.push(Effect::CheckTeam { phone: key.0, campaign: key.1 });
            }
        }
        let n = rows.len();
        let ready = rows.iter().filter(|r| r.is_ready()).count();
        let reading = if mapping.header { "by the header".to_owned() } else { "guessed".to_owned() };
        let review = ImportReview { mapping, rows, selected: 0, sent_at: None };
        self.overlay = Some(Overlay::Import(Box::new(review)));
        self.notify(
            Level::Info,
            format!("{n} rows pasted ({ready} ready, columns {reading}): Ctrl-S sends the ready ones"),
        );
        true
    }

    /// Why a valid lead is held back: the campaign holds its phone, as this history or the
    /// team check knows.
    fn already_held(&mut self, request: &CreateLead) -> Option<String> {
        let phone = request.phone_number.to_string();
        if let Some(entry) = self.history.created_with(&phone, request.campaign_id) {
            let id = entry.lead_id.as_deref().unwrap_or("?");
            return Some(format!("already in the campaign as lead #{id} (yours)"));
        }
        match self.team.known(&(phone, request.campaign_id), self.now) {
            Some(super::team::Known::Present(lead)) => {
                Some(format!("already in the campaign as lead #{}", crate::sanitize::cleaned(&lead.id)))
            }
            _ => None,
        }
    }

    /// The review's keys: move, drop, take into the form, send, close.
    pub(super) fn review_act(&mut self, action: super::Action) -> Vec<Effect> {
        use super::Action;
        let Some(Overlay::Import(review)) = &mut self.overlay else { return vec![] };
        let len = review.rows.len();
        match action {
            Action::Up => review.selected = review.selected.saturating_sub(1),
            Action::Down => review.selected = (review.selected + 1).min(len.saturating_sub(1)),
            Action::PageUp => review.selected = review.selected.saturating_sub(10),
            Action::PageDown => review.selected = (review.selected + 10).min(len.saturating_sub(1)),
            // Del drops the row (one sent already stays: its lead is in the history).
            Action::TakeBack if review.rows.get(review.selected).is_some_and(|r| r.local_id.is_none()) => {
                let row = review.rows.remove(review.selected);
                review.selected = review.selected.min(review.rows.len().saturating_sub(1));
                let text =
                    format!("Line {} ({}) dropped", row.line, crate::sanitize::cleaned(&row.phone_typed));
                if review.rows.is_empty() {
                    self.overlay = None;
                }
                self.notify(Level::Info, text);
            }
            // `e`: the row into the form, to fix by hand; it leaves the table.
            // `e`: the row into the form, to fix it there; Ctrl-S puts it back, checked.
            Action::EditLead => {
                let index = review.selected;
                let Some(row) = review.rows.get(index).filter(|r| r.local_id.is_none()).cloned() else {
                    return vec![];
                };
                // Everything the row holds, an invalid one too: nothing pasted is lost.
                let form = Form::from_draft(&row.draft);
                let Some(Overlay::Import(review)) = self.overlay.take() else { return vec![] };
                self.review_edit = Some(ReviewEdit { review, index });
                self.entry.form = form;
                self.entry.picker = None;
                self.set_focus(Focus::Phone);
                let why = row.checked.err().map(|e| format!(" ({e})")).unwrap_or_default();
                self.notify(
                    Level::Info,
                    format!("Line {} is in the form{why}: Ctrl-S puts it back in the table, Esc leaves it as it was", row.line),
                );
            }
            Action::Submit => return self.send_review(),
            Action::Close | Action::Activate => self.overlay = None,
            _ => {}
        }
        vec![]
    }

    /// Ctrl-S in the review: every ready row into the outbox, in order.
    fn send_review(&mut self) -> Vec<Effect> {
        self.review_team_said();
        let Some(Overlay::Import(mut review)) = self.overlay.take() else { return vec![] };
        let mut effects = Vec::new();
        for row in review.rows.iter_mut().filter(|r| r.is_ready()) {
            let Ok(request) = row.checked.clone() else { continue };
            let (local_id, effect) = self.enqueue(request, "paste");
            row.local_id = Some(local_id);
            effects.push(effect);
        }
        if effects.is_empty() {
            self.notify(Level::Info, "No row is ready to send: fix them (e) or drop them (Del)");
        } else {
            review.sent_at = Some(self.now);
            self.notify(Level::Info, format!("Sending {} leads…", effects.len()));
        }
        self.overlay = Some(Overlay::Import(review));
        effects
    }

    /// Ctrl-S while a row of the review is in the form: the row, checked as fixed, goes back
    /// into the table (nothing is sent yet).
    pub(super) fn put_row_back(&mut self) {
        let Some(request) = self.checked_form("Not put back") else { return };
        let Some(mut edit) = self.review_edit.take() else { return };
        let held = if request.allow_dupplicate { None } else { self.already_held(&request) };
        if let Some(row) = edit.review.rows.get_mut(edit.index) {
            row.phone_typed = request.phone_number.to_string();
            row.draft = self.entry.form.draft();
            row.checked = Ok(request);
            row.held = held;
            let line = row.line;
            self.notify(
                Level::Info,
                format!("Line {line} is back in the table; Ctrl-S there sends the ready rows"),
            );
        }
        self.reopen_review(edit);
    }

    /// Esc while a row of the review is in the form: back to the table, the row as it was.
    pub(super) fn leave_row(&mut self) {
        let Some(edit) = self.review_edit.take() else { return };
        self.reopen_review(edit);
        self.notify(Level::Info, "The row is as it was");
    }

    fn reopen_review(&mut self, edit: ReviewEdit) {
        self.entry.form.clear_for_next();
        self.prefill_rows();
        self.entry.form.errors.clear();
        let mut review = edit.review;
        review.selected = edit.index.min(review.rows.len().saturating_sub(1));
        self.overlay = Some(Overlay::Import(review));
    }

    /// The team check answered: rows of the review with that phone are held back if the
    /// campaign holds it.
    pub(super) fn review_team_said(&mut self) {
        let Some(Overlay::Import(mut review)) = self.overlay.take() else { return };
        for row in review.rows.iter_mut().filter(|r| r.is_ready()) {
            if let Ok(request) = row.checked.clone() {
                row.held = self.already_held(&request);
            }
        }
        self.overlay = Some(Overlay::Import(review));
    }

    /// How far the sent rows are: (created, ended, sent).
    pub fn review_progress(&self, review: &ImportReview) -> (usize, usize, usize) {
        let sent: Vec<LocalId> = review.rows.iter().filter_map(|r| r.local_id).collect();
        let ended = |id: &LocalId| !self.outbox.in_flight.contains_key(id);
        let created = sent
            .iter()
            .filter(|id| self.history.get(id).is_some_and(|e| e.status == Status::Created))
            .count();
        (created, sent.iter().filter(|id| ended(id)).count(), sent.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::kit::{act, created, written};
    use crate::model::{Action, Msg};

    fn app() -> App {
        crate::model::kit::ready_app()
    }

    fn review(app: &App) -> &ImportReview {
        match &app.overlay {
            Some(Overlay::Import(review)) => review,
            other => panic!("no review: {other:?}"),
        }
    }

    #[test]
    fn three_rows_pasted_from_a_spreadsheet_are_reviewed_then_sent() {
        let mut app = app();
        let block = "Name\tPhone\tE-Mail\nAda Lovelace\t+1 415 555 0100\tada@example.com\nGrace Hopper\t+1 415 555 0101\t\nNobody\t12\t\n";
        app.update(Msg::Paste(block.into()));
        let rows = &review(&app).rows;
        assert_eq!(rows.len(), 3);
        assert!(rows[0].is_ready() && rows[1].is_ready());
        assert!(rows[2].checked.is_err(), "{:?}", rows[2]);
        assert_eq!(app.entry.form.phone.text(), "", "nothing went into a field");
        assert!(app.notice.as_ref().unwrap().text.contains("3 rows pasted (2 ready"), "{:?}", app.notice);
        // The bad row into the form to fix; the others sent.
        act(&mut app, Action::Down);
        act(&mut app, Action::Down);
        act(&mut app, Action::EditLead);
        assert_eq!(app.entry.form.phone.text(), "12");
        assert_eq!(app.entry.form.variables[0].value.text(), "Nobody", "the rest of the row comes too");
        assert!(app.overlay.is_none());
        // Fixed in the form, Ctrl-S puts it back in the table, checked; nothing is sent.
        app.entry.form.phone.set_text("+1 415 555 0102");
        let effects = act(&mut app, Action::Submit);
        assert!(effects.iter().all(|e| !matches!(e, Effect::Append(_))), "{effects:?}");
        let rows = &review(&app).rows;
        assert!(rows[2].is_ready(), "{:?}", rows[2]);
        assert_eq!(app.entry.form.phone.text(), "", "the form is free again");
        // Esc from the form leaves a row as it was.
        act(&mut app, Action::EditLead);
        app.entry.form.phone.set_text("nonsense");
        act(&mut app, Action::Close);
        assert!(review(&app).rows[2].is_ready());
        // Ctrl-S in the table: all three go, each written first.
        let effects = act(&mut app, Action::Submit);
        let appends: Vec<_> = effects.iter().filter(|e| matches!(e, Effect::Append(_))).collect();
        assert_eq!(appends.len(), 3);
        let review_now = review(&app).clone();
        assert_eq!(app.review_progress(&review_now), (0, 0, 3));
        let effects = written(&mut app, effects);
        let sends: Vec<LocalId> = effects
            .iter()
            .filter_map(|e| match e {
                Effect::Send { local_id, .. } => Some(*local_id),
                _ => None,
            })
            .collect();
        assert_eq!(sends.len(), 3, "sent once on disk");
        for (i, id) in sends.iter().enumerate() {
            let effects = app.update(Msg::Sent { local_id: *id, result: Ok(created(&format!("100{i}"))) });
            written(&mut app, effects);
        }
        let review_now = review(&app).clone();
        assert_eq!(app.review_progress(&review_now), (3, 3, 3));
        // Ctrl-S again sends nothing twice.
        assert!(act(&mut app, Action::Submit).iter().all(|e| !matches!(e, Effect::Append(_))));
    }

    #[test]
    fn rows_pasted_by_a_terminal_end_in_carriage_returns() {
        let mut app = app();
        app.update(Msg::Paste("Name\tPhone\rAda\t+1 415 555 0100\rGrace\t+1 415 555 0101\r".into()));
        assert_eq!(review(&app).rows.len(), 2);
    }

    #[test]
    fn repeats_and_leads_the_history_has_are_held_back_and_a_row_can_be_dropped() {
        let mut app = app();
        let block = "phone,name\n+14155550100,Ada\n+1 415 555 0100,Ada again\n+14155550102,Alan\n";
        app.update(Msg::Paste(block.into()));
        let rows = &review(&app).rows;
        assert!(rows[1].held.as_deref().unwrap().contains("line 2"), "{:?}", rows[1]);
        act(&mut app, Action::Down);
        act(&mut app, Action::TakeBack);
        assert_eq!(review(&app).rows.len(), 2);
        let effects = act(&mut app, Action::Submit);
        assert_eq!(effects.iter().filter(|e| matches!(e, Effect::Append(_))).count(), 2);
    }

    #[test]
    fn a_phone_the_campaign_holds_on_the_server_is_held_back_once_the_server_says_so() {
        let mut app = app();
        let effects = app.update(Msg::Paste("phone,name\n+14155550100,Ada\n+14155550101,Grace\n".into()));
        let asked: Vec<String> = effects
            .iter()
            .filter_map(|e| match e {
                Effect::CheckTeam { phone, .. } => Some(phone.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(asked, ["+14155550100", "+14155550101"]);
        let theirs = crate::api::types::Lead { id: "2002".into(), ..Default::default() };
        app.update(Msg::TeamChecked { phone: "+14155550101".into(), campaign: 12, result: Ok(Some(theirs)) });
        app.update(Msg::TeamChecked { phone: "+14155550100".into(), campaign: 12, result: Ok(None) });
        let rows = &review(&app).rows;
        assert!(rows[0].is_ready());
        assert!(rows[1].held.as_deref().unwrap().contains("#2002"), "{:?}", rows[1]);
        let effects = act(&mut app, Action::Submit);
        assert_eq!(effects.iter().filter(|e| matches!(e, Effect::Append(_))).count(), 1);
    }

    #[test]
    fn name_value_lines_and_a_single_line_are_still_pasted_as_text() {
        let mut app = app();
        app.set_focus(Focus::Variables);
        app.update(Msg::Paste("customer_name\tAda\nemail\tada@example.com\n".into()));
        assert!(app.overlay.is_none(), "no phone column: variables, as before");
        app.set_focus(Focus::Phone);
        app.update(Msg::Paste("+1 415 555 0100".into()));
        assert!(app.overlay.is_none());
        assert_eq!(app.entry.form.phone.text(), "+1 415 555 0100");
    }
}
