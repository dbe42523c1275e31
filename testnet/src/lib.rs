//! Local multi-node testnets: keys and genesis for N validators and M miners, and (as the node
//! lands) process orchestration, fault scenarios, load and reports.

pub mod capture;
pub mod http;
pub mod layout;
pub mod load;
pub mod orchestrate;
pub mod process;
pub mod report;
pub mod spec;

pub use layout::{NodeKeys, NodeRole, TestnetLayout};
pub use spec::TestnetSpec;
