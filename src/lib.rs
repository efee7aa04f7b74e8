//! autocalls-tui: enter sales leads into Autocalls campaigns by hand, from a terminal, and browse
//! what you entered. The binary is a thin shell over this library; see `ARCHITECTURE` in the
//! README for the rooms.

pub mod api;
pub mod cache;
pub mod cli;
pub mod commands;
pub mod config;
pub mod delivery;
pub mod draft;
pub mod files;
pub mod history;
pub mod import;
pub mod keymap;
pub mod layout;
pub mod lead;
pub mod matching;
pub mod model;
pub mod runtime;
pub mod sandbox;
pub mod sanitize;
pub mod ui;
