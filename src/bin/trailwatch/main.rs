//! The `trailwatch` CLI: the Lambda's pipeline with local seams, and the rule author's tools.

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
