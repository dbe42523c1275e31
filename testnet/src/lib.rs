//! Local multi-node testnets: keys and genesis for N validators and M miners, process
//! orchestration, operations on running nodes (kill, restart, partition, heal), load and status.

pub mod capture;
pub mod http;
pub mod keyfiles;
pub mod launch;
pub mod layout;
pub mod logs;
pub mod ops;
pub mod orchestrate;
pub mod partition;
pub mod process;
pub mod report;
pub mod spec;
pub mod status;
pub mod txload;

pub use layout::{NodeKeys, NodeRole, TestnetLayout};
pub use spec::TestnetSpec;
