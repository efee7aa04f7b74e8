//! The screen's geometry, for the model and the drawing code alike: how tall the header, the
//! footer and the panes are at a terminal size, which line of the form each field is on, and how
//! many leads the history table shows. The model keeps the focused field and the selected lead in
//! view with these numbers, in `update` (which learns of every resize, focus move and new row);
//! the drawing code lays the screen out with the same ones, and only reads the offsets.

use super::{App, Focus, Form, WIDE_LAYOUT_MIN_WIDTH};

/// The header line.
pub const HEADER_ROWS: u16 = 1;
/// The footer: the notice and the keys.
pub const FOOTER_ROWS: u16 = 2;
/// The least the panes between them get.
pub const MIN_BODY_ROWS: u16 = 3;
/// The Form and History tabs above the pane, on a narrow screen.
pub const TAB_ROWS: u16 = 1;
/// The selected lead spelled out under the history table.
pub const DETAIL_ROWS: u16 = 3;
/// The least the history table gets (its heading included).
pub const MIN_TABLE_ROWS: u16 = 3;
/// A pane's border, on each side.
const BORDER: u16 = 1;
/// The history table's heading.
const HEADING_ROWS: u16 = 1;

/// Whether a terminal this wide shows one pane at a time, with tabs.
pub fn is_narrow(width: u16) -> bool {
    width < WIDE_LAYOUT_MIN_WIDTH
}

/// The form pane's width (border included) beside the history: what its hints need (up to 92
/// columns), the history keeping at least 68.
pub fn form_width(width: u16) -> u16 {
    (width / 2).max(width.saturating_sub(68).min(92))
}

/// A pane's rows (border included) on a screen `height` rows tall.
fn pane_rows(width: u16, height: u16) -> u16 {
    let body = height.saturating_sub(HEADER_ROWS + FOOTER_ROWS).max(MIN_BODY_ROWS.min(height));
    if is_narrow(width) { body.saturating_sub(TAB_ROWS) } else { body }
}

/// The inside of the form pane at `size` (columns, rows).
pub fn form_inside((width, height): (u16, u16)) -> (u16, u16) {
    let columns = if is_narrow(width) { width } else { form_width(width) };
    (columns.saturating_sub(2 * BORDER), pane_rows(width, height).saturating_sub(2 * BORDER))
}

/// The history table's rows at `size` (its heading included), with the filter bar above it or
/// without.
pub fn table_rows((width, height): (u16, u16), bar: bool) -> u16 {
    let inside = pane_rows(width, height).saturating_sub(2 * BORDER);
    inside.saturating_sub(u16::from(bar) + DETAIL_ROWS).max(MIN_TABLE_ROWS.min(inside))
}

/// One line of the form pane, top to bottom.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormLine {
    /// The campaign.
    Campaign,
    /// Allow duplicates.
    Duplicates,
    /// The phone.
    Phone,
    /// The Variables heading; the focus rests on it only while there are none.
    Variables {
        /// Whether it takes the focus.
        focusable: bool,
    },
    /// Variable `i`, its name and its value.
    Var(usize),
    /// The Secondary contacts heading.
    Secondary,
    /// Contact `c`'s phone.
    SecPhone(usize),
    /// Contact `c`'s variable `r`.
    SecVar(usize, usize),
    /// The empty line before the button.
    Gap,
    /// The Send button.
    Submit,
}

impl FormLine {
    /// Whether the field `focus` is on this line.
    pub fn holds(self, focus: Focus) -> bool {
        match (self, focus) {
            (FormLine::Campaign, Focus::Campaign)
            | (FormLine::Duplicates, Focus::AllowDuplicate)
            | (FormLine::Phone, Focus::Phone)
            | (FormLine::Secondary, Focus::Secondary)
            | (FormLine::Submit, Focus::Submit) => true,
            (FormLine::Variables { focusable }, Focus::Variables) => focusable,
            (FormLine::Var(i), Focus::VarKey(j) | Focus::VarValue(j)) => i == j,
            (FormLine::SecPhone(c), Focus::SecPhone(d)) => c == d,
            (FormLine::SecVar(c, r), Focus::SecVarKey(d, s) | Focus::SecVarValue(d, s)) => (c, r) == (d, s),
            _ => false,
        }
    }
}

/// The form's lines, top to bottom: the campaign's settings first (they stay from lead to lead),
/// then the lead's fields.
pub fn form_lines(form: &Form) -> impl Iterator<Item = FormLine> + '_ {
    let head = [
        FormLine::Campaign,
        FormLine::Duplicates,
        FormLine::Phone,
        FormLine::Variables { focusable: form.variables.is_empty() },
    ];
    let contacts = form.secondary.iter().enumerate().flat_map(|(c, contact)| {
        std::iter::once(FormLine::SecPhone(c))
            .chain((0..contact.variables.len()).map(move |r| FormLine::SecVar(c, r)))
    });
    head.into_iter()
        .chain((0..form.variables.len()).map(FormLine::Var))
        .chain(std::iter::once(FormLine::Secondary))
        .chain(contacts)
        .chain([FormLine::Gap, FormLine::Submit])
}

impl App {
    /// Scrolls the form so the focused field is in view, and the history so the selected lead
    /// is, by as little as that takes; neither is scrolled past what fills its pane (a grown
    /// window shows the form's top again).
    pub(super) fn keep_in_view(&mut self) {
        let (columns, rows) = form_inside(self.size);
        // Too small a pane is not drawn, and keeps its place.
        if columns >= 10 && rows > 0 {
            // Asked after every message: counted, not collected.
            let (mut lines, mut focused) = (0_usize, None);
            for (i, line) in form_lines(&self.entry.form).enumerate() {
                lines += 1;
                if focused.is_none() && line.holds(self.focus) {
                    focused = Some(i);
                }
            }
            let height = rows as usize;
            let mut offset = self.form_offset.min(lines.saturating_sub(height));
            if let Some(line) = focused {
                if line < offset {
                    offset = line;
                } else if line >= offset + height {
                    offset = line + 1 - height;
                }
            }
            self.form_offset = offset;
        }
        let view = &mut self.history;
        let bar = view.search_input.is_some() || view.is_filtered();
        let visible = table_rows(self.size, bar).saturating_sub(HEADING_ROWS) as usize;
        let selected = view.selected.min(view.len().saturating_sub(1));
        if selected < view.offset {
            view.offset = selected;
        } else if visible > 0 && selected >= view.offset + visible {
            view.offset = selected + 1 - visible;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::types::CreateLead;
    use crate::history::{LeadEntry, LocalId};
    use crate::model::{Action, AppOptions, Msg};

    /// `update` keeps both offsets right by itself: the focused field and the selected lead stay
    /// in view through focus moves, the wheel, paging and resizes, with no frame drawn.
    #[test]
    fn update_keeps_the_focused_field_and_the_selected_lead_in_view() {
        let (mut app, _) = App::new(AppOptions { campaign: Some(12), ..AppOptions::default() });
        app.update(Msg::Resize { width: 80, height: 12 });
        // 80x12: the pane has 12 - 3 - 1 (tabs) - 2 (border) = 6 rows for 9 + 12 lines.
        assert_eq!(form_inside(app.size).1, 6);
        app.focus = Focus::Variables;
        for _ in 0..12 {
            app.update(Msg::Action(Action::AddRow));
        }
        assert_eq!(app.entry.form.variables.len(), 12);
        let lines: Vec<FormLine> = form_lines(&app.entry.form).collect();
        let in_view = |app: &App| {
            let line = lines.iter().position(|l| l.holds(app.focus)).unwrap();
            (app.form_offset..app.form_offset + 6).contains(&line)
        };
        app.focus = Focus::Submit;
        app.update(Msg::Tick);
        assert_eq!(app.form_offset, lines.len() - 6, "the button on the last row");
        // The wheel scrolls the form, but not the focused field out of view.
        app.update(Msg::Scrolled { history: false, delta: -3 });
        assert!(in_view(&app));
        app.update(Msg::Clicked(crate::model::Hit::Field(Focus::Phone)));
        assert_eq!(app.form_offset, 2, "scrolled back just so far that the phone shows");
        app.update(Msg::Scrolled { history: false, delta: 3 });
        assert_eq!(app.form_offset, 2, "the focused phone keeps it in view");
        app.update(Msg::Scrolled { history: false, delta: -3 });
        assert_eq!(app.form_offset, 0);
        // A taller window shows all of the form again.
        app.focus = Focus::Submit;
        app.update(Msg::Tick);
        assert!(app.form_offset > 0);
        app.update(Msg::Resize { width: 80, height: 40 });
        assert_eq!(app.form_offset, 0);

        // The history: 80x12 shows one lead (6 rows less the bar's 0, the detail's 3 and the
        // heading); paging and the wheel move the selection, and the table follows.
        app.update(Msg::Resize { width: 80, height: 12 });
        let entries: Vec<LeadEntry> = (0..50u128)
            .map(|n| {
                let request = CreateLead {
                    phone_number: format!("+1415555{n:04}").into(),
                    campaign_id: 12,
                    variables: Default::default(),
                    allow_dupplicate: false,
                    secondary_contacts: vec![],
                };
                LeadEntry::new(LocalId(uuid::Uuid::from_u128(n)), jiff::Timestamp::UNIX_EPOCH, request)
            })
            .collect();
        app.update(Msg::HistoryLoaded { entries: entries.into(), problems: vec![], end: 0 });
        app.update(Msg::Action(Action::ShowHistory));
        let visible = usize::from(table_rows(app.size, false) - HEADING_ROWS);
        let shown =
            |app: &App| (app.history.offset..app.history.offset + visible).contains(&app.history.selected);
        for msg in [
            Msg::Action(Action::PageDown),
            Msg::Action(Action::Down),
            Msg::Scrolled { history: true, delta: 3 },
            Msg::Action(Action::Bottom),
            Msg::Action(Action::PageUp),
            Msg::Resize { width: 160, height: 48 },
            Msg::Action(Action::Top),
        ] {
            app.update(msg);
            let (selected, offset) = (app.history.selected, app.history.offset);
            assert!(shown(&app), "row {selected} at offset {offset}");
        }
        assert_eq!(app.history.offset, 0);
    }
}
