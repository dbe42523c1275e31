//! placeholder
pub mod bft;
pub mod ledger;
pub mod yuma;
