//! `autocalls-tui sandbox-server`: the fake API alone, until Ctrl-C.

use std::process::ExitCode;
use std::time::Duration;

use crate::cli::SandboxArgs;
use crate::sandbox::{Sandbox, SandboxOptions};

/// Runs the sandbox on 127.0.0.1 and prints how to use it.
pub async fn run(args: &SandboxArgs) -> ExitCode {
    let options = SandboxOptions {
        port: args.port,
        latency: Duration::from_millis(args.latency_ms),
        colleague_every: args.colleague_every.map(|secs| Duration::from_secs(secs.max(1))),
        ..SandboxOptions::default()
    };
    let sandbox = match Sandbox::start(options).await {
        Ok(sandbox) => sandbox,
        Err(e) => {
            say!("error: the sandbox could not listen on 127.0.0.1:{}: {e}", args.port);
            return ExitCode::FAILURE;
        }
    };
    println!("Sandbox Autocalls API on {}", sandbox.base_url());
    println!("API key (fake): {}", sandbox.key());
    println!();
    println!("Try:");
    println!(
        "  AUTOCALLS_API_KEY='{}' AUTOCALLS_BASE_URL={} autocalls-tui",
        sandbox.key(),
        sandbox.base_url()
    );
    println!("Ctrl-C stops it.");
    let _ = tokio::signal::ctrl_c().await;
    sandbox.shutdown().await;
    ExitCode::SUCCESS
}
