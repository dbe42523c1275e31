//! storage's integration tests, in one binary so RocksDB is linked once. The crash test re-executes
//! this binary as its child process.

mod common;
mod crash;
mod equivalence;
mod open_errors;
mod suite;
