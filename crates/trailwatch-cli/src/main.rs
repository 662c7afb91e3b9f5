//! The `trailwatch` CLI: the Lambda's pipeline with local seams, and the rule author's tools.

mod diff;
mod lint;
mod push;
mod report;
mod rules_cmd;
mod scan;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(
    name = "trailwatch",
    version,
    about = "Sigma rules over CloudTrail files"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Scan trail files (or directories of them) and print the alerts.
    Scan(scan::ScanArgs),
    /// Validate, test, explain and list rules.
    #[command(subcommand)]
    Rules(rules_cmd::RulesCommand),
}

fn main() -> ExitCode {
    restore_sigpipe();
    trailwatch::logging::init_cli();
    let result = match Cli::parse().command {
        Command::Scan(args) => scan::run(args),
        Command::Rules(cmd) => rules_cmd::run(cmd),
    };
    result.unwrap_or_else(|e| {
        eprintln!("trailwatch: {e:#}");
        ExitCode::from(2)
    })
}

/// Output piped into `head` should end the process quietly, as other Unix tools do, rather
/// than panic on the first write after the reader has gone.
fn restore_sigpipe() {
    #[cfg(unix)]
    // SAFETY: called first thing in main, before any thread exists; resets one signal's handler.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
