//! The `tau` command line: argument parsing and dispatch to one file per subcommand family.

mod client;
mod commits;
mod context;
mod gossip;
mod hyperparams;
mod node;
mod progress;
mod query;
mod register;
mod stake;
mod submit;
mod subnet;
mod swap;
mod testnet;
mod testnet_load;
mod testnet_ops;
mod testnet_research;
mod testnet_wallets;
mod transfer;
mod ui;
mod validator;
mod wallet;
mod weights;

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
    /// Wallets: coldkeys and hotkeys, their mnemonics and addresses.
    Wallet(wallet::WalletCommand),
    /// Send τ from the wallet's coldkey.
    Transfer(transfer::TransferArgs),
    /// Stake: add, remove, move (with a slippage tolerance) and list.
    Stake(stake::StakeCommand),
    /// Subnets: create, list, show (the metagraph), hyperparameters, set.
    Subnet(subnet::SubnetCommand),
    /// A subnet's metagraph (same as `tau subnet show`).
    Metagraph {
        #[command(flatten)]
        common: context::CommonArgs,
        #[command(flatten)]
        args: subnet::ShowArgs,
    },
    /// Register one of the wallet's hotkeys on a subnet.
    Register(register::RegisterArgs),
    /// Weights: set, commit, reveal, and status (the next allowed block).
    Weights(weights::WeightsCommand),
    /// The ledger validator set: opt in, list.
    Validator(validator::ValidatorCommand),
    /// Run a node: follow the chain, and validate or mine by role.
    Node(node::NodeArgs),
    /// Local multi-node testnets.
    #[command(subcommand)]
    Testnet(testnet::TestnetCommand),
    /// Ask a subnet's best miners a question and print their answers (or benchmark them).
    Query(query::QueryArgs),
    /// Watch a node's gossip live.
    #[command(subcommand)]
    Gossip(gossip::GossipCommand),
}

pub fn run() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Wallet(cmd) => wallet::run(cmd),
        Command::Transfer(a) => transfer::run(a),
        Command::Stake(cmd) => stake::run(cmd),
        Command::Subnet(cmd) => subnet::run(cmd),
        Command::Metagraph { common, args } => subnet::metagraph(common, args),
        Command::Register(a) => register::run(a),
        Command::Weights(cmd) => weights::run(cmd),
        Command::Validator(cmd) => validator::run(cmd),
        Command::Node(args) => node::run(args),
        Command::Testnet(cmd) => testnet::run(cmd),
        Command::Query(args) => query::run(args),
        Command::Gossip(cmd) => gossip::run(cmd),
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
