//! The `tau` command line: argument parsing and dispatch to one file per subcommand family.

mod node;
mod progress;
mod query;
mod testnet;
mod testnet_load;
mod testnet_ops;
mod wallet;

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
    /// Run a node: follow the chain, and validate or mine by role.
    Node(node::NodeArgs),
    /// Local multi-node testnets.
    #[command(subcommand)]
    Testnet(testnet::TestnetCommand),
    /// Wallets: coldkeys and hotkeys, their mnemonics and addresses.
    Wallet(wallet::WalletCommand),
    /// Ask a subnet's best miners a question and print their answers (or benchmark them).
    Query(query::QueryArgs),
}

pub fn run() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Node(args) => node::run(args),
        Command::Testnet(cmd) => testnet::run(cmd),
        Command::Wallet(cmd) => wallet::run(cmd),
        Command::Query(args) => query::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// A node API URL (`http://host:port`, scheme optional) as a socket address.
pub(crate) fn api_addr(url: &str) -> anyhow::Result<std::net::SocketAddr> {
    let rest = url.strip_prefix("http://").unwrap_or(url).trim_end_matches('/');
    use std::net::ToSocketAddrs;
    rest.to_socket_addrs().ok().and_then(|mut a| a.next()).ok_or_else(|| {
        anyhow::anyhow!("`{url}` is not an API address such as http://127.0.0.1:8080")
    })
}
