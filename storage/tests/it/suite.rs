//! The contract of [`Store`], run against both stores: every test here is a generic fn taking
//! `&dyn Store`, instantiated once per store by the `suite!` macro at the bottom.

use std::sync::atomic::{AtomicBool, Ordering};

use protocol::state::{WriteSet, genesis_app_hash};
use protocol::{ChainId, Hash, Height};
use storage::{MAX_WRITE_SET_BYTES, Store, StoreError, verify_chain};

use crate::common::*;

fn ws(entries: &[(&[u8], Option<&[u8]>)]) -> WriteSet {
    entries.iter().map(|(k, v)| (k.to_vec(), v.map(<[u8]>::to_vec))).collect()
}

fn fresh_store_holds_nothing(store: &dyn Store) {
    assert_eq!(store.genesis().unwrap(), None);
    assert!(matches!(store.tip(), Err(StoreError::NotInitialised)));
    assert!(matches!(store.snapshot().err(), Some(StoreError::NotInitialised)));
    assert_eq!(store.state_get(b"anything").unwrap(), None);
    assert!(store.state_prefix(b"").unwrap().is_empty());
    assert_eq!(store.block(Height(1)).unwrap(), None);
    assert_eq!(store.app_hash(Height(0)).unwrap(), None);
    assert_eq!(store.load_safety_record().unwrap(), None);

    let tip = storage::ChainTip { height: Height(0), block_hash: Hash::ZERO, app_hash: Hash::ZERO };
    let next = next_block_on(tip, None, WriteSet::new(), 0);
    let err = store.commit_block(&next.commit()).unwrap_err();
    assert!(matches!(err, StoreError::NotInitialised), "{err}");
}

fn genesis_is_written_once_and_guards_the_chain(store: &dyn Store) {
    let info = init(store);
    assert_eq!(info.chain_id, chain_id());
    assert_eq!(info.genesis_hash, genesis_hash());
    assert_eq!(info.app_hash, genesis_app_hash(&genesis_write_set()));
    assert_eq!(store.genesis().unwrap(), Some(info.clone()));

    let tip = store.tip().unwrap();
    assert_eq!(
        (tip.height, tip.block_hash, tip.app_hash),
        (Height(0), info.genesis_hash, info.app_hash)
    );
    assert_eq!(store.app_hash(Height(0)).unwrap(), Some(info.app_hash));
    assert_eq!(store.write_set(Height(0)).unwrap(), Some(genesis_write_set()));
    assert_eq!(store.block(Height(0)).unwrap(), None);
    assert_eq!(
        store.state_get(&account_key(3)).unwrap(),
        Some(1_000_000u64.to_le_bytes().to_vec())
    );

    // Idempotent for the same chain.
    assert_eq!(init(store), info);

    let other = ChainId::new("other-net").unwrap();
    let err = store.init_genesis(&other, genesis_hash(), &genesis_write_set()).unwrap_err();
    assert!(matches!(err, StoreError::GenesisMismatch { .. }), "{err}");
    assert!(err.to_string().contains("separate data directory"), "{err}");
    let err =
        store.init_genesis(&chain_id(), Hash::digest(b"x"), &genesis_write_set()).unwrap_err();
    assert!(matches!(err, StoreError::GenesisMismatch { .. }), "{err}");
    let err = store.init_genesis(&chain_id(), genesis_hash(), &WriteSet::new()).unwrap_err();
    assert!(matches!(err, StoreError::GenesisStateMismatch { .. }), "{err}");
    verify_chain(store).unwrap();
}

fn committed_blocks_read_back(store: &dyn Store) {
    init(store);
    let mut blocks = Vec::new();
    for h in 1..=12u64 {
        let next = next_block(store, realistic_write_set(11, h), (h % 3) as usize);
        let tip = store.commit_block(&next.commit()).unwrap();
        assert_eq!(tip.height, Height(h));
        assert_eq!(tip.block_hash, next.block.hash());
        assert_eq!(tip.app_hash, next.app_hash);
        assert_eq!(store.tip().unwrap(), tip);
        blocks.push(next);
    }
    for next in &blocks {
        let h = next.block.header.height;
        assert_eq!(store.block(h).unwrap().as_ref(), Some(&next.block));
        assert_eq!(store.block_by_hash(&next.block.hash()).unwrap().as_ref(), Some(&next.block));
        assert_eq!(store.certificate(h).unwrap().as_ref(), Some(&next.certificate));
        assert_eq!(store.write_set(h).unwrap().as_ref(), Some(&next.write_set));
        assert_eq!(store.app_hash(h).unwrap(), Some(next.app_hash));
    }
    assert_eq!(store.block(Height(13)).unwrap(), None);
    assert_eq!(store.block_by_hash(&Hash::digest(b"nope")).unwrap(), None);

    // State is the last write of each key; deletes remove.
    let mut expected = std::collections::BTreeMap::new();
    for h in 0..=12u64 {
        for (k, v) in store.write_set(Height(h)).unwrap().unwrap() {
            match v {
                Some(v) => expected.insert(k, v),
                None => expected.remove(&k),
            };
        }
    }
    let all: Vec<_> = expected.clone().into_iter().collect();
    assert_eq!(store.state_prefix(b"").unwrap(), all);
    let accounts: Vec<_> = all.iter().filter(|(k, _)| k.starts_with(b"acct/")).cloned().collect();
    assert_eq!(store.state_prefix(b"acct/").unwrap(), accounts);
    for (k, v) in &expected {
        assert_eq!(store.state_get(k).unwrap().as_ref(), Some(v));
    }
    assert_eq!(verify_chain(store).unwrap(), store.tip().unwrap());
}

fn commits_that_break_the_chain_are_refused_and_write_nothing(store: &dyn Store) {
    init(store);
    commit_blocks(store, 5, 3);
    let before_tip = store.tip().unwrap();
    let before_state = store.state_prefix(b"").unwrap();
    let good = next_block(store, ws(&[(b"new", Some(b"v"))]), 1);

    let check = |mutate: &dyn Fn(&mut NextBlock), expect: &dyn Fn(&StoreError) -> bool| {
        let mut bad = good.clone();
        mutate(&mut bad);
        let err = store.commit_block(&bad.commit()).unwrap_err();
        assert!(expect(&err), "unexpected error: {err}");
        assert!(err.is_rejected_commit());
        assert_eq!(store.tip().unwrap(), before_tip);
        assert_eq!(store.state_prefix(b"").unwrap(), before_state);
        assert_eq!(store.block(Height(4)).unwrap(), None);
        assert_eq!(store.block_by_hash(&bad.block.hash()).unwrap(), None);
    };
    let resign = |b: &mut NextBlock| b.certificate = certificate_for(&b.block);

    // Skipping a height, or repeating one.
    check(
        &|b| {
            b.block.header.height = Height(5);
            resign(b);
        },
        &|e| matches!(e, StoreError::NotNextHeight { expected: Height(4), got: Height(5) }),
    );
    check(
        &|b| {
            b.block.header.height = Height(3);
            resign(b);
        },
        &|e| matches!(e, StoreError::NotNextHeight { .. }),
    );
    // A certificate for another height or another block.
    check(&|b| b.certificate.height = Height(3), &|e| {
        matches!(e, StoreError::CertificateMismatch { .. })
    });
    check(&|b| b.certificate.block_hash = Hash::digest(b"other"), &|e| {
        matches!(e, StoreError::CertificateMismatch { .. })
    });
    // A header that does not extend the tip.
    check(
        &|b| {
            b.block.header.prev_hash = Hash::digest(b"fork");
            resign(b);
        },
        &|e| matches!(e, StoreError::WrongParent { .. }),
    );
    check(
        &|b| {
            b.block.header.app_hash = Hash::digest(b"stale");
            resign(b);
        },
        &|e| matches!(e, StoreError::HeaderAppHash { .. }),
    );
    // An app hash that does not follow from the write-set, either way round.
    check(&|b| b.app_hash = Hash::digest(b"wrong"), &|e| {
        matches!(e, StoreError::AppHashMismatch { .. })
    });
    check(
        &|b| {
            b.write_set.insert(b"sneaky".to_vec(), Some(b"x".to_vec()));
        },
        &|e| matches!(e, StoreError::AppHashMismatch { .. }),
    );
    // A write-set too large to ever be decoded again.
    check(
        &|b| {
            b.write_set = ws(&[(b"huge", Some(&vec![0u8; MAX_WRITE_SET_BYTES][..]))]);
            b.app_hash = protocol::state::next_app_hash(&b.block.header.app_hash, &b.write_set);
        },
        &|e| matches!(e, StoreError::RecordTooLarge { record: "write-set", .. }),
    );

    // The untouched block still commits.
    store.commit_block(&good.commit()).unwrap();
    assert_eq!(store.state_get(b"new").unwrap(), Some(b"v".to_vec()));
    verify_chain(store).unwrap();
}

fn snapshot_is_isolated_from_later_commits(store: &dyn Store) {
    init(store);
    let first = next_block(store, ws(&[(b"k/a", Some(b"1")), (b"k/b", Some(b"1"))]), 0);
    store.commit_block(&first.commit()).unwrap();
    let view = store.snapshot().unwrap();
    assert_eq!(view.height(), Height(1));
    assert_eq!(view.app_hash(), first.app_hash);

    let second =
        next_block(store, ws(&[(b"k/a", None), (b"k/b", Some(b"2")), (b"k/c", Some(b"2"))]), 0);
    store.commit_block(&second.commit()).unwrap();

    assert_eq!(view.height(), Height(1));
    assert_eq!(view.get(b"k/a").unwrap(), Some(b"1".to_vec()));
    assert_eq!(view.get(b"k/c").unwrap(), None);
    let old: Vec<(Vec<u8>, Vec<u8>)> =
        vec![(b"k/a".to_vec(), b"1".to_vec()), (b"k/b".to_vec(), b"1".to_vec())];
    assert_eq!(view.prefix(b"k/").unwrap(), old);

    let now = store.snapshot().unwrap();
    assert_eq!((now.height(), now.app_hash()), (Height(2), second.app_hash));
    let new: Vec<(Vec<u8>, Vec<u8>)> =
        vec![(b"k/b".to_vec(), b"2".to_vec()), (b"k/c".to_vec(), b"2".to_vec())];
    assert_eq!(now.prefix(b"k/").unwrap(), new);
    assert_eq!(store.state_prefix(b"k/").unwrap(), new);
}

fn prefix_scans_respect_byte_boundaries(store: &dyn Store) {
    init(store);
    let keys: [&[u8]; 8] = [b"", b"x", b"x\0", b"x\xff", b"x\xff\xff", b"xb", b"y", b"\xff\xff"];
    let write_set = keys.iter().map(|k| (k.to_vec(), Some(k.to_vec()))).collect();
    let next = next_block(store, write_set, 0);
    store.commit_block(&next.commit()).unwrap();

    let scan = |p: &[u8]| -> Vec<Vec<u8>> {
        let entries = store.state_prefix(p).unwrap();
        // Outside the genesis accounts, this block set every key to itself.
        assert!(
            entries
                .iter()
                .all(|(k, v)| k == v || k.starts_with(b"acct/") || k.starts_with(b"param/"))
        );
        let got: Vec<_> = entries.into_iter().map(|(k, _)| k).collect();
        let view: Vec<_> =
            store.snapshot().unwrap().prefix(p).unwrap().into_iter().map(|(k, _)| k).collect();
        assert_eq!(got, view, "store and snapshot disagree for prefix {p:?}");
        got
    };
    let x: Vec<Vec<u8>> =
        [&b"x"[..], b"x\0", b"xb", b"x\xff", b"x\xff\xff"].map(<[u8]>::to_vec).to_vec();
    assert_eq!(scan(b"x"), x);
    assert_eq!(scan(b"x\xff"), vec![b"x\xff".to_vec(), b"x\xff\xff".to_vec()]);
    assert_eq!(scan(b"\xff"), vec![b"\xff\xff".to_vec()]);
    assert_eq!(scan(b"z"), Vec::<Vec<u8>>::new());
    let all = scan(b"");
    assert!(all.windows(2).all(|w| w[0] < w[1]), "sorted");
    assert!(all.contains(&Vec::new()) && all.contains(&b"param/tempo".to_vec()));
    assert_eq!(store.state_get(b"").unwrap(), Some(Vec::new()));
}

fn safety_record_and_metadata_round_trip(store: &dyn Store) {
    store.save_safety_record(b"h=5 r=0 prevote").unwrap();
    assert_eq!(store.load_safety_record().unwrap(), Some(b"h=5 r=0 prevote".to_vec()));
    store.save_safety_record(b"").unwrap();
    assert_eq!(store.load_safety_record().unwrap(), Some(Vec::new()));

    assert_eq!(store.meta_get("peer").unwrap(), None);
    store.meta_put("peer", b"12D3").unwrap();
    store.meta_put("peer", b"12D4").unwrap();
    assert_eq!(store.meta_get("peer").unwrap(), Some(b"12D4".to_vec()));
    // The node's keys live in their own namespace: these cannot touch the store's records.
    store.meta_put("store/tip", b"garbage").unwrap();
    store.meta_put("store/genesis", b"garbage").unwrap();
    init(store);
    commit_blocks(store, 1, 2);
    assert_eq!(store.tip().unwrap().height, Height(2));
    assert_eq!(store.meta_get("store/tip").unwrap(), Some(b"garbage".to_vec()));
    assert_eq!(store.state_get(b"peer").unwrap(), None);
}

/// Readers racing a writer only ever see whole blocks: every block sets `pair/a` and `pair/b` to
/// its height, so a view where they differ would be a half-applied block.
fn readers_never_see_half_a_block(store: &dyn Store) {
    init(store);
    let done = AtomicBool::new(false);
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                let mut seen = 0;
                while !done.load(Ordering::Relaxed) || seen == 0 {
                    let view = store.snapshot().unwrap();
                    let a = view.get(b"pair/a").unwrap();
                    let b = view.get(b"pair/b").unwrap();
                    assert_eq!(a, b, "half-applied block at height {}", view.height());
                    if let Some(a) = a {
                        assert_eq!(a, view.height().0.to_be_bytes());
                    }
                    assert_eq!(store.app_hash(view.height()).unwrap(), Some(view.app_hash()));
                    let pair = store.state_prefix(b"pair/").unwrap();
                    assert!(pair.is_empty() || pair.len() == 2 && pair[0].1 == pair[1].1);
                    seen += 1;
                }
            });
        }
        for h in 1..=30u64 {
            let v = h.to_be_bytes();
            let mut write_set = realistic_write_set(3, h);
            write_set.insert(b"pair/a".to_vec(), Some(v.to_vec()));
            write_set.insert(b"pair/b".to_vec(), Some(v.to_vec()));
            store.commit_block(&next_block(store, write_set, 0).commit()).unwrap();
        }
        done.store(true, Ordering::Relaxed);
    });
    verify_chain(store).unwrap();
}

macro_rules! suite {
    ($($name:ident),* $(,)?) => {
        mod memory {
            $(
                #[test]
                fn $name() {
                    super::$name(&storage::MemoryStore::new());
                }
            )*
        }
        mod rocks {
            $(
                #[test]
                fn $name() {
                    let dir = tempfile::tempdir().unwrap();
                    super::$name(&storage::RocksStore::open(dir.path()).unwrap());
                }
            )*
        }
    };
}

suite!(
    fresh_store_holds_nothing,
    genesis_is_written_once_and_guards_the_chain,
    committed_blocks_read_back,
    commits_that_break_the_chain_are_refused_and_write_nothing,
    snapshot_is_isolated_from_later_commits,
    prefix_scans_respect_byte_boundaries,
    safety_record_and_metadata_round_trip,
    readers_never_see_half_a_block,
);
