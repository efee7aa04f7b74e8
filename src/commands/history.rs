//! `autocalls-tui history`: the local history, newest first, as a table, JSON or CSV.

use std::io::Write;
use std::process::ExitCode;

use crate::cli::HistoryArgs;
use crate::config::Settings;
use crate::history::query::{Filter, LeadJson, write_csv};
use crate::history::{Folded, HistoryStore};

/// Prints the history. Problems found in the file go to stderr; the output stays clean.
pub fn run(settings: &Settings, args: &HistoryArgs, campaign: Option<u64>) -> ExitCode {
    let path = settings.history_file();
    let Folded { leads: entries, loaded, .. } = match HistoryStore::read_only(&path).load_leads() {
        Ok(folded) => folded,
        Err(e) => {
            say!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    for problem in &loaded.problems {
        say!("warning: {problem}");
    }
    let entries = entries.into_vec();
    let filter =
        Filter { search: args.search.clone(), status: args.status, campaign, region: settings.region };
    let selected = filter.apply(&entries);
    // A national number means nothing without a region: say so rather than just "No leads".
    let national =
        args.search.as_deref().map(str::trim).is_some_and(|s| s.starts_with('0') && !s.starts_with("00"));
    if selected.is_empty() && national && settings.region.is_none() {
        say!(
            "note: a number without + is read through a region: add --region CC (or default_region in config.toml)"
        );
    }
    // Buffered: stdout flushes at every line, and a history is hundreds of thousands of lines
    // (a write per line took `--json` 2.5 s at 100,000 leads).
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let written = if args.json {
        let leads: Vec<LeadJson> = selected.iter().map(|e| LeadJson::from(*e)).collect();
        serde_json::to_writer_pretty(&mut out, &leads)
            .map_err(std::io::Error::from)
            .and_then(|()| writeln!(out))
    } else if args.csv {
        write_csv(|f| selected.iter().for_each(|e| f(e)), &mut out).map_err(std::io::Error::other)
    } else {
        write_table(&selected, &mut out)
    }
    .and_then(|()| out.flush());
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            say!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn write_table(entries: &[&crate::history::LeadEntry], out: &mut impl Write) -> std::io::Result<()> {
    if entries.is_empty() {
        return writeln!(out, "No leads.");
    }
    let tz = jiff::tz::TimeZone::system();
    writeln!(out, "{:<16} {:<9} {:<16} {:<10} {:<24} CAMPAIGN", "TIME", "STATUS", "PHONE", "LEAD", "NAME")?;
    for e in entries {
        let name = crate::sanitize::clean(e.display_name());
        let name: String = name.chars().take(24).collect();
        writeln!(
            out,
            "{:<16} {:<9} {:<16} {:<10} {:<24} {}",
            e.submitted_at.to_zoned_datetime(tz.clone()).strftime("%Y-%m-%d %H:%M"),
            if e.is_deleted() { "deleted" } else { e.status.as_str() },
            e.request.phone_number,
            e.lead_id.as_deref().map(|id| format!("#{id}")).unwrap_or_default(),
            name,
            e.campaign_name
                .as_deref()
                .map(|n| format!("{n} (#{})", e.request.campaign_id))
                .unwrap_or_else(|| format!("#{}", e.request.campaign_id)),
        )?;
    }
    Ok(())
}
