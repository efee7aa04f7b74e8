//! Every style the app draws with. With `NO_COLOR` set, colour goes and emphasis comes from bold,
//! reverse and underline alone; meaning is never carried by colour only (errors also say so in
//! words or marks).

use std::sync::OnceLock;

use ratatui::style::{Color, Modifier, Style};

use crate::history::Status;

static ENABLED: OnceLock<bool> = OnceLock::new();

/// Whether colour is allowed: not with `NO_COLOR` in the environment, nor with `theme = "plain"`.
pub fn color_enabled() -> bool {
    *ENABLED.get_or_init(|| std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()))
}

/// Turns colour off for the run (the config's `theme = "plain"`); call before the first frame.
pub fn use_plain() {
    let _ = ENABLED.set(false);
}

fn pick(color: Style, plain: Style) -> Style {
    if color_enabled() { color } else { plain }
}

/// The header bar.
pub fn header() -> Style {
    pick(Style::new().bg(Color::Blue).fg(Color::White), Style::new().add_modifier(Modifier::REVERSED))
}

/// The SANDBOX banner.
pub fn sandbox_banner() -> Style {
    pick(
        Style::new().bg(Color::Yellow).fg(Color::Black).add_modifier(Modifier::BOLD),
        Style::new().add_modifier(Modifier::BOLD),
    )
}

/// The LIVE marker.
pub fn live_banner() -> Style {
    pick(
        Style::new().bg(Color::Red).fg(Color::White).add_modifier(Modifier::BOLD),
        Style::new().add_modifier(Modifier::BOLD),
    )
}

/// A pane's border and title when it has the focus.
pub fn border_focused() -> Style {
    pick(Style::new().fg(Color::Cyan), Style::new().add_modifier(Modifier::BOLD))
}

/// A pane's border when it does not.
pub fn border() -> Style {
    pick(Style::new().fg(Color::DarkGray), Style::new())
}

/// Field labels.
pub fn label() -> Style {
    Style::new()
}

/// The label of the focused field.
pub fn label_focused() -> Style {
    pick(Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD), Style::new().add_modifier(Modifier::BOLD))
}

/// The inside of a text field.
pub fn input() -> Style {
    pick(Style::new().bg(Color::Rgb(40, 40, 48)), Style::new().add_modifier(Modifier::UNDERLINED))
}

/// The inside of the focused text field.
pub fn input_focused() -> Style {
    pick(Style::new().bg(Color::Rgb(30, 50, 70)), Style::new().add_modifier(Modifier::UNDERLINED))
}

/// Placeholder text in an empty field.
pub fn placeholder() -> Style {
    pick(Style::new().fg(Color::DarkGray), Style::new().add_modifier(Modifier::DIM))
}

/// Hints beside fields (the E.164 form, notes).
pub fn hint() -> Style {
    pick(Style::new().fg(Color::DarkGray), Style::new().add_modifier(Modifier::DIM))
}

/// A good result beside a field.
pub fn ok() -> Style {
    pick(Style::new().fg(Color::Green), Style::new())
}

/// An error message.
pub fn error() -> Style {
    pick(Style::new().fg(Color::Red).add_modifier(Modifier::BOLD), Style::new().add_modifier(Modifier::BOLD))
}

/// A focused button or checkbox.
pub fn control_focused() -> Style {
    Style::new().add_modifier(Modifier::REVERSED)
}

/// The selected history row.
pub fn selected_row(focused: bool) -> Style {
    if focused {
        Style::new().add_modifier(Modifier::REVERSED)
    } else {
        pick(Style::new().bg(Color::Rgb(45, 45, 45)), Style::new().add_modifier(Modifier::UNDERLINED))
    }
}

/// The characters a search matched, in the campaign list and the history rows: added to the
/// text's own style (bold and underlined without colour, so it also reads on a reversed row).
pub fn matched() -> Style {
    pick(
        Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
        Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
    )
}

/// Table headings.
pub fn heading() -> Style {
    Style::new().add_modifier(Modifier::BOLD)
}

/// A key name in the footer and help.
pub fn key() -> Style {
    pick(Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD), Style::new().add_modifier(Modifier::BOLD))
}

/// A lead's status word.
pub fn status(status: Status) -> Style {
    let color = match status {
        Status::Created => Color::Green,
        Status::Rejected | Status::Failed => Color::Red,
        Status::Pending | Status::Queued | Status::Unknown => Color::Yellow,
    };
    pick(Style::new().fg(color), Style::new())
}
