//! The tau node: networking, the chain driver, neurons, the HTTP API and the command line.
//! Logic lives in `protocol` and `consensus`; this crate runs it: tasks, sockets, disks.

pub mod api;
pub mod chain;
pub mod cli;
pub mod config;
pub mod logging;
pub mod neuron;
pub mod p2p;
pub mod service;
pub mod wallet;
