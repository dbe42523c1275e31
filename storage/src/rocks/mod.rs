//! The RocksDB store: one column family per record kind (see [`crate::keys`]), one synced
//! `WriteBatch` per block, RocksDB snapshots for consistent reads.

mod db;
mod open;
mod view;

pub use db::RocksStore;

/// Single-threaded column-family mode: families are fixed at open, so handles can be borrowed
/// without locking. Named explicitly so another crate enabling `multi-threaded-cf` cannot change it.
type Db = rocksdb::DBWithThreadMode<rocksdb::SingleThreaded>;

/// Write options for everything that must survive a crash once the call returns.
fn synced() -> rocksdb::WriteOptions {
    let mut o = rocksdb::WriteOptions::default();
    o.set_sync(true);
    o
}
