//! The chain driver: runs the BFT engine against the network, keeps the mempool, builds and
//! validates blocks, executes decided blocks on the ledger and commits them to storage.

pub mod mempool;
