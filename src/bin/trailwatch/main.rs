//! The trailwatch CLI.
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod rules_cmd;

#[derive(Parser, Debug)]
#[command(
    name = "trailwatch",
    version,
    about = "Sigma rules over CloudTrail deliveries"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Validate, test, explain and list rules.
    #[command(subcommand)]
    Rules(rules_cmd::RulesCommand),
}

fn main() -> anyhow::Result<ExitCode> {
    match Cli::parse().command {
        Command::Rules(cmd) => rules_cmd::run(cmd),
    }
}
