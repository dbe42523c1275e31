//! The `tau` command line: argument parsing and dispatch to one file per subcommand family.

mod testnet;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "tau", version, about = "A peer-to-peer network for machine intelligence")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Local multi-node testnets.
    #[command(subcommand)]
    Testnet(testnet::TestnetCommand),
}

pub fn run() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Testnet(cmd) => testnet::run(cmd),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
