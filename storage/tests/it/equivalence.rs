//! MemoryStore and RocksStore are twins: any sequence of operations, valid or not, gives the same
//! results and leaves the same observable contents in both.

use std::fmt::Debug;

use proptest::prelude::*;
use protocol::state::WriteSet;
use protocol::{ChainId, Hash, Height};
use storage::{MemoryStore, RocksStore, Store, verify_chain};

use crate::common::*;

/// A small key alphabet with the bytes that matter for ordering and prefix bounds.
fn key() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(prop::sample::select(vec![0u8, 1, b'a', 0xff]), 0..3)
}

fn write_set() -> impl Strategy<Value = WriteSet> {
    prop::collection::btree_map(
        key(),
        prop::option::of(prop::collection::vec(any::<u8>(), 0..6)),
        0..6,
    )
}

#[derive(Clone, Debug)]
enum Op {
    Genesis {
        other_chain: bool,
        write_set: WriteSet,
    },
    Commit {
        write_set: WriteSet,
        transactions: usize,
    },
    /// A commit broken in one of several ways (see `break_commit`).
    BadCommit {
        how: u8,
        write_set: WriteSet,
    },
    Safety(Vec<u8>),
    Meta(String, Vec<u8>),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        1 => (any::<bool>(), write_set())
            .prop_map(|(other_chain, write_set)| Op::Genesis { other_chain, write_set }),
        6 => (write_set(), 0..3usize)
            .prop_map(|(write_set, transactions)| Op::Commit { write_set, transactions }),
        2 => (0..6u8, write_set()).prop_map(|(how, write_set)| Op::BadCommit { how, write_set }),
        1 => prop::collection::vec(any::<u8>(), 0..8).prop_map(Op::Safety),
        1 => (prop::sample::select(vec!["a", "b", "store/tip"]), prop::collection::vec(any::<u8>(), 0..4))
            .prop_map(|(k, v)| Op::Meta(k.to_owned(), v)),
    ]
}

fn break_commit(next: &mut NextBlock, how: u8) {
    let resign = |n: &mut NextBlock| n.certificate = certificate_for(&n.block);
    match how {
        0 => {
            next.block.header.height = Height(next.block.header.height.0 + 1);
            resign(next);
        }
        1 => next.certificate.height = Height(0),
        2 => next.certificate.block_hash = Hash::digest(b"other"),
        3 => {
            next.block.header.prev_hash = Hash::digest(b"fork");
            resign(next);
        }
        4 => {
            next.block.header.app_hash = Hash::digest(b"stale");
            resign(next);
        }
        _ => next.app_hash = Hash::digest(b"wrong"),
    }
}

/// Applies `f` to both stores and requires equal results (errors compared by their Debug form).
fn same<T: Debug>(a: &dyn Store, b: &dyn Store, what: &str, f: impl Fn(&dyn Store) -> T) {
    let (x, y) = (format!("{:?}", f(a)), format!("{:?}", f(b)));
    assert_eq!(x, y, "stores disagree on {what}");
}

fn observe(a: &dyn Store, b: &dyn Store, probe: &[u8]) {
    same(a, b, "genesis", |s| s.genesis());
    same(a, b, "tip", |s| s.tip());
    same(a, b, "state", |s| s.state_prefix(b""));
    same(a, b, "prefix", |s| s.state_prefix(probe));
    same(a, b, "get", |s| s.state_get(probe));
    same(a, b, "safety", |s| s.load_safety_record());
    same(a, b, "meta", |s| (s.meta_get("a"), s.meta_get("b"), s.meta_get("store/tip")));
    same(a, b, "snapshot", |s| {
        s.snapshot().map(|v| (v.height(), v.app_hash(), v.prefix(probe), v.get(probe)))
    });
}

fn run(genesis: WriteSet, ops: Vec<Op>, probe: Vec<u8>) {
    let dir = tempfile::tempdir().unwrap();
    let rocks = RocksStore::open(dir.path()).unwrap();
    let memory = MemoryStore::new();
    let (a, b): (&dyn Store, &dyn Store) = (&memory, &rocks);
    same(a, b, "genesis init", |s| s.init_genesis(&chain_id(), genesis_hash(), &genesis));

    for op in ops {
        match op {
            Op::Genesis { other_chain, write_set } => {
                let chain = if other_chain { ChainId::new("other").unwrap() } else { chain_id() };
                same(a, b, "re-init", |s| s.init_genesis(&chain, genesis_hash(), &write_set));
            }
            Op::Commit { write_set, transactions } => {
                let next = next_block(a, write_set, transactions);
                same(a, b, "commit", |s| s.commit_block(&next.commit()));
            }
            Op::BadCommit { how, write_set } => {
                let mut next = next_block(a, write_set, 0);
                break_commit(&mut next, how);
                same(a, b, "bad commit", |s| {
                    s.commit_block(&next.commit()).map_err(|e| e.to_string())
                });
            }
            Op::Safety(record) => same(a, b, "save safety", |s| s.save_safety_record(&record)),
            Op::Meta(key, value) => same(a, b, "meta put", |s| s.meta_put(&key, &value)),
        }
        observe(a, b, &probe);
    }

    let tip = a.tip().unwrap().height.0;
    for h in 0..=tip + 1 {
        let h = Height(h);
        same(a, b, "height records", |s| {
            (s.block(h), s.certificate(h), s.write_set(h), s.app_hash(h))
        });
        if let Ok(Some(block)) = a.block(h) {
            same(a, b, "by hash", |s| s.block_by_hash(&block.hash()));
        }
    }
    same(a, b, "verify", |s| verify_chain(s));
    assert!(verify_chain(a).is_ok());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn memory_and_rocks_agree(
        genesis in write_set(),
        ops in prop::collection::vec(op(), 1..24),
        probe in key(),
    ) {
        run(genesis, ops, probe);
    }
}
