//! Opening directories that are not healthy tau stores, and reading records damaged on disk. Each
//! case must give a typed error that says what to do, never a panic, and must leave another
//! program's data untouched.

use std::fs;
use std::path::Path;

use protocol::Height;
use protocol::codec::{decode, encode};
use rocksdb::{DBWithThreadMode, Options, SingleThreaded};
use storage::keys::{Cf, FORMAT_VERSION, META_FORMAT, META_TIP, format_marker, height_key};
use storage::{RocksStore, Store, StoreError, verify_chain};

use crate::common::*;

type Raw = DBWithThreadMode<SingleThreaded>;

/// Opens any RocksDB directory with all its column families, bypassing the store.
fn raw(path: &Path) -> Raw {
    let cfs = Raw::list_cf(&Options::default(), path).unwrap();
    Raw::open_cf(&Options::default(), path, cfs).unwrap()
}

fn raw_put(path: &Path, cf: Cf, key: &[u8], value: &[u8]) {
    let db = raw(path);
    db.put_cf(db.cf_handle(cf.name()).unwrap(), key, value).unwrap();
}

/// A store with genesis and three blocks, closed again.
fn store_with_blocks(path: &Path) {
    let store = RocksStore::open(path).unwrap();
    init(&store);
    commit_blocks(&store, 9, 3);
}

fn open_err(path: &Path) -> StoreError {
    match RocksStore::open(path) {
        Ok(_) => panic!("{} opened but should have been refused", path.display()),
        Err(e) => e,
    }
}

#[test]
fn creates_missing_directories_and_survives_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a/b/chain");
    store_with_blocks(&path);
    let store = RocksStore::open(&path).unwrap();
    assert_eq!(store.path(), path);
    assert_eq!(store.tip().unwrap().height, Height(3));
    assert_eq!(init(&store).genesis_hash, genesis_hash());
    commit_blocks(&store, 9, 2);
    assert_eq!(verify_chain(&store).unwrap().height, Height(5));
}

#[test]
fn on_disk_layout_is_pinned() {
    // The format is a contract with every existing data directory: changing it needs a new
    // FORMAT_VERSION. This reads the records back with RocksDB alone.
    let dir = tempfile::tempdir().unwrap();
    store_with_blocks(dir.path());
    let db = raw(dir.path());
    let cf = |c: Cf| db.cf_handle(c.name()).unwrap();
    let marker = db.get_cf(cf(Cf::Meta), META_FORMAT).unwrap().unwrap();
    assert_eq!(marker, b"tau-store\0\0\0\0\x01");
    assert_eq!(FORMAT_VERSION, 1);
    let bytes = db.get_cf(cf(Cf::Blocks), 2u64.to_be_bytes()).unwrap().unwrap();
    let block: protocol::Block = decode(&bytes).unwrap();
    assert_eq!(block.header.height, Height(2));
    let index = db.get_cf(cf(Cf::BlockIndex), block.hash().0).unwrap().unwrap();
    assert_eq!(index, encode(&Height(2)));
    let cert = db.get_cf(cf(Cf::Certificates), 2u64.to_be_bytes()).unwrap().unwrap();
    assert_eq!(decode::<protocol::CommitCertificate>(&cert).unwrap().block_hash, block.hash());
    assert_eq!(db.get_cf(cf(Cf::AppHashes), 0u64.to_be_bytes()).unwrap().unwrap().len(), 32);
    let tempo = db.get_cf(cf(Cf::State), b"param/tempo").unwrap();
    assert_eq!(tempo, Some(360u32.to_le_bytes().to_vec()), "state values are stored raw");
    let ws = db.get_cf(cf(Cf::WriteSets), 3u64.to_be_bytes()).unwrap().unwrap();
    assert_eq!(ws, encode(&realistic_write_set(9, 3)));
    assert_eq!(db.get_cf(cf(Cf::Safety), b"record").unwrap(), None);
    assert!(db.get_cf(cf(Cf::Meta), META_TIP).unwrap().is_some());
}

#[test]
fn a_plain_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("chain");
    fs::write(&file, b"hello").unwrap();
    let err = open_err(&file);
    assert!(matches!(err, StoreError::NotADirectory { .. }), "{err}");
    assert_eq!(fs::read(&file).unwrap(), b"hello");
}

#[test]
fn a_directory_of_other_files_is_refused_and_untouched() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("notes.txt"), b"mine").unwrap();
    let err = open_err(dir.path());
    assert!(matches!(err, StoreError::NotATauStore { .. }), "{err}");
    assert!(err.to_string().contains("empty directory"), "{err}");
    let names: Vec<_> = fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names, ["notes.txt"]);
}

#[test]
fn another_programs_rocksdb_is_refused_and_untouched() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut opts = Options::default();
        opts.create_if_missing(true);
        let db = Raw::open(&opts, dir.path()).unwrap();
        db.put(b"their", b"data").unwrap();
    }
    let err = open_err(dir.path());
    assert!(matches!(err, StoreError::NotATauStore { .. }), "{err}");
    let db = raw(dir.path());
    assert_eq!(Raw::list_cf(&Options::default(), dir.path()).unwrap(), ["default"]);
    assert_eq!(db.get(b"their").unwrap(), Some(b"data".to_vec()));
}

#[test]
fn a_rocksdb_with_a_meta_family_but_no_marker_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut opts = Options::default();
        opts.create_if_missing(true);
        opts.create_missing_column_families(true);
        let db = Raw::open_cf(&opts, dir.path(), ["meta", "theirs"]).unwrap();
        db.put_cf(db.cf_handle("meta").unwrap(), b"version", b"3").unwrap();
    }
    let err = open_err(dir.path());
    assert!(matches!(err, StoreError::NotATauStore { .. }), "{err}");
}

#[test]
fn an_interrupted_creation_is_completed() {
    // A crash while creating column families leaves an empty RocksDB with some of tau's families.
    let dir = tempfile::tempdir().unwrap();
    {
        let mut opts = Options::default();
        opts.create_if_missing(true);
        opts.create_missing_column_families(true);
        Raw::open_cf(&opts, dir.path(), ["blocks", "block_index"]).unwrap();
    }
    let store = RocksStore::open(dir.path()).unwrap();
    init(&store);
    commit_blocks(&store, 2, 1);
    verify_chain(&store).unwrap();

    // And a crash after the meta family but before the marker.
    let dir = tempfile::tempdir().unwrap();
    {
        let mut opts = Options::default();
        opts.create_if_missing(true);
        opts.create_missing_column_families(true);
        let names: Vec<&str> = Cf::ALL.iter().map(|c| c.name()).collect();
        Raw::open_cf(&opts, dir.path(), names).unwrap();
    }
    drop(RocksStore::open(dir.path()).unwrap());
}

#[test]
fn garbage_in_current_or_manifest_is_reported_as_damage() {
    for victim in ["CURRENT", "MANIFEST"] {
        let dir = tempfile::tempdir().unwrap();
        store_with_blocks(dir.path());
        for entry in fs::read_dir(dir.path()).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if name.starts_with(victim) {
                fs::write(&path, b"\x00garbage\xff not a rocksdb file\n").unwrap();
            }
        }
        let err = open_err(dir.path());
        assert!(matches!(err, StoreError::Damaged { .. }), "{victim}: {err}");
        assert!(err.to_string().contains("resync"), "{err}");
    }
}

#[test]
fn newer_and_older_formats_say_so() {
    let dir = tempfile::tempdir().unwrap();
    store_with_blocks(dir.path());
    raw_put(dir.path(), Cf::Meta, META_FORMAT, &format_marker(FORMAT_VERSION + 1));
    let err = open_err(dir.path());
    assert!(matches!(err, StoreError::NewerFormat { found: 2, supported: 1, .. }), "{err}");
    assert!(err.to_string().contains("upgrade tau"), "{err}");

    raw_put(dir.path(), Cf::Meta, META_FORMAT, &format_marker(0));
    let err = open_err(dir.path());
    assert!(matches!(err, StoreError::OlderFormat { found: 0, .. }), "{err}");

    raw_put(dir.path(), Cf::Meta, META_FORMAT, b"tau-store?");
    assert!(matches!(open_err(dir.path()), StoreError::NotATauStore { .. }));
}

#[test]
fn a_missing_column_family_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    store_with_blocks(dir.path());
    raw(dir.path()).drop_cf(Cf::Safety.name()).unwrap();
    let err = open_err(dir.path());
    assert!(matches!(err, StoreError::Damaged { .. }), "{err}");
    assert!(err.to_string().contains("`safety`"), "{err}");
}

#[test]
fn a_second_open_of_the_same_directory_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let _first = RocksStore::open(dir.path()).unwrap();
    let err = open_err(dir.path());
    assert!(matches!(err, StoreError::Locked { .. }), "{err}");
    assert!(err.to_string().contains("another process"), "{err}");
}

#[test]
fn corrupt_records_give_typed_errors_naming_the_record() {
    let dir = tempfile::tempdir().unwrap();
    store_with_blocks(dir.path());
    let block2 = RocksStore::open(dir.path()).unwrap().block(Height(2)).unwrap().unwrap();
    let h2 = height_key(Height(2));
    raw_put(dir.path(), Cf::Blocks, &h2, b"\x05\x06garbage");
    raw_put(dir.path(), Cf::Certificates, &h2, &[0xff; 3]);
    raw_put(dir.path(), Cf::WriteSets, &h2, &[0xff; 12]);
    raw_put(dir.path(), Cf::AppHashes, &height_key(Height(1)), &[1; 31]);
    raw_put(dir.path(), Cf::BlockIndex, &block2.hash().0, b"short");

    let store = RocksStore::open(dir.path()).unwrap();
    let is = |r: Result<(), StoreError>, record: &str| {
        let err = r.unwrap_err();
        assert!(
            matches!(&err, StoreError::CorruptRecord { record: r, .. } if *r == record),
            "expected corrupt {record}, got {err}"
        );
        assert!(err.to_string().contains("restore it"), "{err}");
    };
    is(store.block(Height(2)).map(drop), "block");
    is(store.certificate(Height(2)).map(drop), "commit certificate");
    is(store.write_set(Height(2)).map(drop), "write-set");
    is(store.app_hash(Height(1)).map(drop), "app hash");
    is(store.block_by_hash(&block2.hash()).map(drop), "block-hash index entry");
    assert!(store.block(Height(3)).unwrap().is_some(), "other records still read");
    assert!(matches!(verify_chain(&store), Err(StoreError::CorruptRecord { .. })));
    drop(store);

    // The tip record is checked at open, so a damaged tip stops the node before consensus starts.
    raw_put(dir.path(), Cf::Meta, META_TIP, b"\x01");
    let err = open_err(dir.path());
    assert!(matches!(err, StoreError::CorruptRecord { record: "tip record", .. }), "{err}");
}

#[test]
fn damaged_table_files_give_typed_errors() {
    let dir = tempfile::tempdir().unwrap();
    store_with_blocks(dir.path());
    {
        // Move everything from the WAL into table files, then damage their data blocks.
        let db = raw(dir.path());
        for cf in Cf::ALL {
            db.flush_cf(db.cf_handle(cf.name()).unwrap()).unwrap();
        }
    }
    let mut damaged = 0;
    for entry in fs::read_dir(dir.path()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "sst") {
            let mut bytes = fs::read(&path).unwrap();
            for b in bytes.iter_mut().take(64).skip(8) {
                *b ^= 0x5a;
            }
            fs::write(&path, bytes).unwrap();
            damaged += 1;
        }
    }
    assert!(damaged > 0, "no table files were written");
    let damage = |e: &StoreError| {
        matches!(
            e,
            StoreError::Damaged { .. }
                | StoreError::DiskCorruption { .. }
                | StoreError::CorruptRecord { .. }
        )
    };
    match RocksStore::open(dir.path()) {
        Err(e) => assert!(damage(&e), "{e}"),
        Ok(store) => {
            let err = verify_chain(&store).unwrap_err();
            assert!(damage(&err), "{err}");
        }
    }
}
