//! `trailwatch rules ...` (placeholder until the rule tools land).

use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Subcommand, Debug)]
pub enum RulesCommand {
    /// Check rule files and report every error as file:line:col.
    Validate { paths: Vec<PathBuf> },
}

pub fn run(cmd: RulesCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        RulesCommand::Validate { .. } => Ok(ExitCode::SUCCESS),
    }
}
