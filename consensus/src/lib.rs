//! placeholder
pub mod yuma;
