//! The command line: clap definitions and the dispatch to the TUI or to the commands that run
//! without it (`create`, `history`, `sandbox-server`).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::commands;
use crate::config::{Overrides, Settings};
use crate::history::Status;

/// Enter sales leads into Autocalls campaigns by hand, and browse what you entered.
#[derive(Debug, Parser)]
#[command(name = "autocalls-tui", version, about, long_about = None)]
#[command(
    after_help = "Examples:\n  autocalls-tui --sandbox                 try it against the built-in fake API\n  autocalls-tui --campaign 12 --region DE\n  autocalls-tui create --phone '+1 415 555 0100' --campaign 12 --var customer_name=Ada\n  autocalls-tui history --status rejected"
)]
pub struct Cli {
    /// Settings shared by every command.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// What to do; without one, the TUI starts.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Flags that work with every command.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Use the built-in fake Autocalls API (no key needed; its own history file).
    #[arg(long, global = true)]
    pub sandbox: bool,
    /// Campaign id: the form's default in the TUI, the target of `create`, a filter for `history`.
    #[arg(long, global = true, value_name = "ID")]
    pub campaign: Option<u64>,
    /// Region for phone numbers typed without + (ISO 3166 two letters, e.g. DE).
    #[arg(long, global = true, value_name = "CC")]
    pub region: Option<String>,
    /// API base URL [env: AUTOCALLS_BASE_URL] [default: https://app.autocalls.ai/api].
    #[arg(long, global = true, value_name = "URL")]
    pub base_url: Option<String>,
    /// Keep the history in DIR instead of the platform's data directory.
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// How much to write to the log file in the state directory (error, warn, info, debug, trace).
    #[arg(long, global = true, value_name = "LEVEL", default_value = "info")]
    pub log_level: String,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create one lead without the TUI, record it in the history, print the result.
    ///
    /// Exit codes: 0 created; 2 invalid input (nothing sent); 3 rejected by the API;
    /// 4 network failure or unknown outcome (kept in the history).
    #[command(
        after_help = "Examples:\n  autocalls-tui create --phone '+1 (415) 555-0100' --campaign 12 --var customer_name='Ada Lovelace'\n  autocalls-tui create --phone '0170 1234567' --region DE --campaign 12 --secondary '+49 30 1234567,customer_name=Office' --json"
    )]
    Create(CreateArgs),
    /// Print the local history, newest first.
    #[command(
        after_help = "Examples:\n  autocalls-tui history --search lovelace\n  autocalls-tui history --status rejected --json\n  autocalls-tui history --campaign 12 --csv > leads.csv"
    )]
    History(HistoryArgs),
    /// List the server's leads (the team's, not only this history's), every page.
    ///
    /// Exit codes: 0 listed; 3 refused by the API; 4 network failure.
    #[command(
        after_help = "Examples:\n  autocalls-tui leads --campaign 12\n  autocalls-tui leads --campaign 12 --status completed --json"
    )]
    Leads(LeadsArgs),
    /// Fix a lead the server has: send only what changes (variables are merged in).
    ///
    /// ID is the server's lead id or a local id. `--campaign` moves it to another campaign.
    /// Exit codes: 0 updated; 2 invalid input (nothing sent); 3 refused by the API; 4 not
    /// finished (kept in the history).
    #[command(
        after_help = "Examples:\n  autocalls-tui update 1001 --var customer_name='Ada Lovelace'\n  autocalls-tui update 1001 --phone '+1 415 555 0199' --status completed --json"
    )]
    Update(UpdateArgs),
    /// Take a lead back: delete it on the server (asks first unless --yes).
    ///
    /// ID is the server's lead id or a local id. Exit codes: 0 deleted, also when it was gone
    /// already; 2 invalid input or not confirmed; 3 refused (a lead being called cannot be
    /// deleted); 4 not finished (kept in the history).
    #[command(after_help = "Examples:\n  autocalls-tui delete 1001\n  autocalls-tui delete 1001 --yes")]
    Delete(DeleteArgs),
    /// Print the calls of one lead, with their transcripts.
    ///
    /// ID is the server's lead id (what the dashboard shows) or a local id from this history.
    #[command(after_help = "Examples:\n  autocalls-tui calls 1001\n  autocalls-tui calls 1001 --json")]
    Calls(CallsArgs),
    /// Create many leads from a CSV, TSV or XLSX file (`-` reads stdin), every row checked first.
    ///
    /// Columns are mapped by the header's names (the dashboard's layout: phone_number, one
    /// column per variable, secondary_phone_1…N; phone, name, e-mail and the like understood).
    /// Running it again sends only the rows not created yet. Exit codes: 0 every row created;
    /// 2 some rows invalid (the valid ones still go unless --dry-run); 3 some rejected or already
    /// in the campaign; 4 some still open (kept in the history).
    #[command(after_help = "Examples:
  autocalls-tui import leads.csv --campaign 12 --dry-run
  autocalls-tui import stand.xlsx --campaign 12 --json
  pbpaste | autocalls-tui import - --campaign 12")]
    Import(ImportArgs),
    /// Start or stop a campaign (a campaign needs leads before it can start).
    #[command(after_help = "Examples:\n  autocalls-tui campaign start 12\n  autocalls-tui campaign stop 12")]
    Campaign {
        /// `start` or `stop`.
        action: CampaignAction,
        /// The campaign's id.
        id: u64,
    },
    /// Run the fake Autocalls API alone, for scripts and demos.
    #[command(after_help = "Example:\n  autocalls-tui sandbox-server --port 8080 --latency-ms 300")]
    SandboxServer(SandboxArgs),
    /// Where the files are, and the settings in force (the key masked).
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Print a shell completion script.
    #[command(
        after_help = "Examples:\n  autocalls-tui completions bash > ~/.local/share/bash-completion/completions/autocalls-tui\n  autocalls-tui completions zsh > ~/.zfunc/_autocalls-tui"
    )]
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff).
    #[command(after_help = "Example:\n  autocalls-tui man > ~/.local/share/man/man1/autocalls-tui.1")]
    Man,
}

/// `config`'s subcommands.
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print the config file's path.
    Path,
    /// Print the settings in force and where each file lives; the API key shows its last four
    /// characters at most.
    Show,
}

/// `create`'s flags.
#[derive(Debug, Args)]
pub struct CreateArgs {
    /// The lead's phone number, in any format (E.164 is sent).
    #[arg(long, value_name = "PHONE")]
    pub phone: String,
    /// A call variable; repeat for more.
    #[arg(long = "var", value_name = "KEY=VALUE")]
    pub vars: Vec<String>,
    /// A secondary contact: its phone, then its variables; repeat for more (called in order).
    #[arg(long = "secondary", value_name = "PHONE[,KEY=VALUE...]")]
    pub secondary: Vec<String>,
    /// Allow the same phone twice in the campaign.
    #[arg(long)]
    pub allow_duplicate: bool,
    /// Print the result as JSON (the same fields as `history --json`).
    #[arg(long)]
    pub json: bool,
}

/// `import`'s arguments.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The file: CSV, TSV (or semicolon-separated), or .xlsx; `-` reads stdin.
    #[arg(value_name = "FILE")]
    pub file: String,
    /// Check every row and send nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Print `{"rows": [...]}`: each row's line, phone_number, status and error.
    #[arg(long)]
    pub json: bool,
    /// Allow a phone the campaign already holds (and repeats within the file).
    #[arg(long)]
    pub allow_duplicate: bool,
}

/// `history`'s flags.
#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// Print one JSON array.
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,
    /// Print CSV in the Autocalls dashboard's import layout.
    #[arg(long)]
    pub csv: bool,
    /// Only leads whose phone, variables, campaign, status or lead id contain TEXT.
    #[arg(long, value_name = "TEXT")]
    pub search: Option<String>,
    /// Only leads with this status (pending, created, rejected, failed, queued, unknown).
    #[arg(long, value_name = "STATUS")]
    pub status: Option<Status>,
}

/// `leads`' flags (`--campaign` narrows it to one campaign).
#[derive(Debug, Args)]
pub struct LeadsArgs {
    /// Only leads with this server status (created, scheduled, processing, completed, ...).
    #[arg(long, value_name = "STATUS")]
    pub status: Option<String>,
    /// Print one JSON array; each element has `id`, `phone_number`, `campaign_id`, `status`,
    /// `variables`, `created_at` and `local_id` (null unless the lead is in this history).
    #[arg(long)]
    pub json: bool,
}

/// `update`'s arguments (`--campaign` is the new campaign).
#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// The server's lead id, or a local id.
    pub id: String,
    /// A new phone number, in any format (E.164 is sent).
    #[arg(long, value_name = "PHONE")]
    pub phone: Option<String>,
    /// A call variable to set; repeat for more (the others stay).
    #[arg(long = "var", value_name = "KEY=VALUE")]
    pub vars: Vec<String>,
    /// Set the status by hand: created, completed or reached-max-retries.
    #[arg(long, value_name = "STATUS")]
    pub status: Option<String>,
    /// Print the result as JSON (`id`, `local_id`, `change_id`, `status`, `error`).
    #[arg(long)]
    pub json: bool,
}

/// `delete`'s arguments.
#[derive(Debug, Args)]
pub struct DeleteArgs {
    /// The server's lead id, or a local id.
    pub id: String,
    /// Do not ask.
    #[arg(long)]
    pub yes: bool,
}

/// `calls`' arguments.
#[derive(Debug, Args)]
pub struct CallsArgs {
    /// The server's lead id, or a local id.
    pub id: String,
    /// Print one JSON array of the calls.
    #[arg(long)]
    pub json: bool,
}

/// What `campaign` does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CampaignAction {
    /// Start calling.
    Start,
    /// Stop calling (calls in progress are ended).
    Stop,
}

/// `sandbox-server`'s flags.
#[derive(Debug, Args)]
pub struct SandboxArgs {
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Wait this long before every answer, to feel a slow network.
    #[arg(long, value_name = "MS", default_value_t = 0)]
    pub latency_ms: u64,
    /// Have a colleague add a lead to campaign 12 every SECS seconds (as if entered on another
    /// machine), to see the app flag a phone the campaign already holds.
    #[arg(long, value_name = "SECS")]
    pub colleague_every: Option<u64>,
}

impl GlobalArgs {
    /// The command line's part of the settings.
    pub fn overrides(&self) -> Overrides {
        Overrides {
            base_url: self.base_url.clone(),
            region: self.region.clone(),
            campaign: self.campaign,
            data_dir: self.data_dir.clone(),
            sandbox: self.sandbox,
        }
    }
}

/// Parses the command line and runs what it asks for.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    let command = match cli.command {
        Some(Command::SandboxServer(args)) => return runtime.block_on(commands::sandbox_server::run(&args)),
        Some(Command::Create(args)) => Some(Work::Create(args)),
        Some(Command::Import(args)) => Some(Work::Import(args)),
        Some(Command::Leads(args)) => Some(Work::Leads(args)),
        Some(Command::Update(args)) => Some(Work::Update(args)),
        Some(Command::Delete(args)) => Some(Work::Delete(args)),
        Some(Command::Calls(args)) => Some(Work::Calls(args)),
        Some(Command::Campaign { action, id }) => Some(Work::Campaign(action, id)),
        Some(Command::History(args)) => return history_command(cli.global, &args),
        Some(Command::Config(which)) => return commands::config::run(cli.global.overrides(), &which),
        Some(Command::Completions { shell }) => {
            let mut command = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut command, "autocalls-tui", &mut std::io::stdout());
            return ExitCode::SUCCESS;
        }
        Some(Command::Man) => {
            let man = clap_mangen::Man::new(<Cli as clap::CommandFactory>::command());
            return match man.render(&mut std::io::stdout()) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::FAILURE
                }
            };
        }
        None => None,
    };
    let settings = match Settings::resolve(cli.global.overrides()) {
        Ok(settings) => settings,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let _log = commands::logging::init(&settings.paths.state_dir, &cli.global.log_level);
    for warning in &settings.warnings {
        tracing::warn!("{warning}");
        if command.is_some() {
            eprintln!("warning: {warning}");
        }
    }
    let campaign = cli.global.campaign;
    runtime.block_on(async {
        match command {
            Some(Work::Create(args)) => commands::create::run(&settings, &args).await,
            Some(Work::Import(args)) => commands::import::run(&settings, &args).await,
            Some(Work::Leads(args)) => commands::server::leads(&settings, &args, campaign).await,
            Some(Work::Update(args)) => commands::change::update(&settings, &args).await,
            Some(Work::Delete(args)) => commands::change::delete(&settings, &args).await,
            Some(Work::Calls(args)) => commands::server::calls(&settings, &args).await,
            Some(Work::Campaign(action, id)) => commands::server::campaign(&settings, action, id).await,
            None => commands::tui::run(settings).await,
        }
    })
}

/// A command that runs on the runtime with the settings.
enum Work {
    Create(CreateArgs),
    Import(ImportArgs),
    Leads(LeadsArgs),
    Update(UpdateArgs),
    Delete(DeleteArgs),
    Calls(CallsArgs),
    Campaign(CampaignAction, u64),
}

fn history_command(global: GlobalArgs, args: &HistoryArgs) -> ExitCode {
    match Settings::resolve(global.overrides()) {
        Ok(settings) => {
            for warning in &settings.warnings {
                eprintln!("warning: {warning}");
            }
            commands::history::run(&settings, args, global.campaign)
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}
