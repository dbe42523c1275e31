//! Opening a data directory: create a fresh store, or recognise an existing one by its column
//! families and format marker, and refuse everything else with an error that says what the
//! directory is.
//!
//! The order of decisions matters: nothing is written to a directory until it is known to be
//! empty or tau's, so pointing tau at the wrong path never damages another program's data.

use std::collections::BTreeSet;
use std::fs;
use std::io::ErrorKind as IoKind;
use std::path::Path;

use rocksdb::{
    ColumnFamilyDescriptor, DBCompressionType, DBRecoveryMode, ErrorKind, IteratorMode, Options,
};

use crate::error::StoreError;
use crate::keys::{Cf, FORMAT_VERSION, META_FORMAT, format_marker, parse_format_marker};

use super::Db;

/// RocksDB's implicit column family; tau never writes to it.
const DEFAULT_CF: &str = "default";

/// Opens (or creates) the tau store at `path`, having checked what the directory holds.
pub(super) fn open_db(path: &Path) -> Result<Db, StoreError> {
    match fs::metadata(path) {
        Ok(m) if !m.is_dir() => return Err(StoreError::NotADirectory { path: path.to_owned() }),
        Ok(_) => {}
        Err(e) if e.kind() == IoKind::NotFound => return create(path),
        Err(source) => return Err(StoreError::Io { path: path.to_owned(), source }),
    }
    if is_empty_dir(path)? {
        return create(path);
    }
    if !path.join("CURRENT").is_file() {
        return Err(not_tau(path, "it holds files but no RocksDB database"));
    }

    // Reads only the manifest: safe on any directory, and enough to tell a foreign database apart.
    let on_disk: BTreeSet<String> = Db::list_cf(&Options::default(), path)
        .map_err(|e| open_error(path, e))?
        .into_iter()
        .collect();
    let known: BTreeSet<String> =
        Cf::ALL.iter().map(|c| c.name().to_owned()).chain([DEFAULT_CF.to_owned()]).collect();

    if !on_disk.contains(Cf::Meta.name()) {
        // Either another program's database, or a tau store whose creation was interrupted before
        // its last column family (meta) existed. Only the latter, provably empty, is adopted.
        if on_disk.is_subset(&known) && all_empty_read_only(path, &on_disk)? {
            return create(path);
        }
        return Err(not_tau(
            path,
            &format!("a RocksDB database with column families {on_disk:?} and no tau metadata"),
        ));
    }

    // Every family on disk must be opened; each gets tau's options (`open_cf` would use defaults).
    let descriptors =
        on_disk.iter().map(|name| ColumnFamilyDescriptor::new(name.as_str(), base_options()));
    let db = Db::open_cf_descriptors(&base_options(), path, descriptors)
        .map_err(|e| open_error(path, e))?;
    let meta = db.cf_handle(Cf::Meta.name()).ok_or_else(|| missing_cf(path, Cf::Meta))?;
    let marker = db.get_cf(meta, META_FORMAT).map_err(|e| open_error(path, e))?;
    match marker {
        Some(bytes) => {
            let Some(found) = parse_format_marker(&bytes) else {
                return Err(not_tau(path, "its `meta` column family holds no tau format marker"));
            };
            if found > FORMAT_VERSION {
                return Err(StoreError::NewerFormat {
                    path: path.to_owned(),
                    found,
                    supported: FORMAT_VERSION,
                });
            }
            if found < FORMAT_VERSION {
                return Err(StoreError::OlderFormat {
                    path: path.to_owned(),
                    found,
                    supported: FORMAT_VERSION,
                });
            }
            if let Some(cf) = Cf::ALL.iter().find(|c| !on_disk.contains(c.name())) {
                return Err(missing_cf(path, *cf));
            }
            Ok(db)
        }
        None => {
            // Creation was interrupted between the last column family and the marker write.
            let empty = on_disk.is_subset(&known) && all_empty(&db, &on_disk)?;
            drop(db);
            if empty {
                create(path)
            } else {
                Err(not_tau(path, "a RocksDB database with a `meta` family but no tau marker"))
            }
        }
    }
}

/// Creates the directory, every column family, and then the format marker (synced): a directory
/// with the marker is a complete, empty tau store.
fn create(path: &Path) -> Result<Db, StoreError> {
    fs::create_dir_all(path).map_err(|source| StoreError::Io { path: path.to_owned(), source })?;
    let mut opts = base_options();
    opts.create_if_missing(true);
    opts.create_missing_column_families(true);
    // RocksDB creates missing families in this order, so `meta` (last) implies all the others.
    let descriptors =
        Cf::ALL.iter().map(|cf| ColumnFamilyDescriptor::new(cf.name(), base_options()));
    let db = Db::open_cf_descriptors(&opts, path, descriptors).map_err(|e| open_error(path, e))?;
    let meta = db.cf_handle(Cf::Meta.name()).ok_or_else(|| missing_cf(path, Cf::Meta))?;
    db.put_cf_opt(meta, META_FORMAT, format_marker(FORMAT_VERSION), &super::synced())
        .map_err(|e| open_error(path, e))?;
    Ok(db)
}

/// Options shared by the database and every column family.
fn base_options() -> Options {
    let mut o = Options::default();
    o.set_compression_type(DBCompressionType::Lz4);
    // After a crash, replay the WAL up to the first torn record and stop: every synced batch is
    // before it, and nothing after it was acknowledged.
    o.set_wal_recovery_mode(DBRecoveryMode::PointInTime);
    // Rarely written families (safety, meta) would otherwise pin old WAL files forever.
    o.set_max_total_wal_size(64 << 20);
    o.set_max_open_files(512);
    o.set_keep_log_file_num(4);
    o
}

fn is_empty_dir(path: &Path) -> Result<bool, StoreError> {
    let mut entries =
        fs::read_dir(path).map_err(|source| StoreError::Io { path: path.to_owned(), source })?;
    Ok(entries.next().is_none())
}

/// Whether every column family is empty, inspected without writing anything.
fn all_empty_read_only(path: &Path, cfs: &BTreeSet<String>) -> Result<bool, StoreError> {
    let db = Db::open_cf_for_read_only(&Options::default(), path, cfs, false)
        .map_err(|e| open_error(path, e))?;
    all_empty(&db, cfs)
}

fn all_empty(db: &Db, cfs: &BTreeSet<String>) -> Result<bool, StoreError> {
    for name in cfs {
        let Some(cf) = db.cf_handle(name) else { continue };
        if let Some(first) = db.iterator_cf(cf, IteratorMode::Start).next() {
            first.map_err(|e| StoreError::db("scan for emptiness", e))?;
            return Ok(false);
        }
    }
    Ok(true)
}

fn not_tau(path: &Path, reason: &str) -> StoreError {
    StoreError::NotATauStore { path: path.to_owned(), reason: reason.to_owned() }
}

fn missing_cf(path: &Path, cf: Cf) -> StoreError {
    StoreError::Damaged {
        path: path.to_owned(),
        detail: format!("tau column family `{}` is missing", cf.name()),
    }
}

/// Classifies a RocksDB failure while opening: a held lock is the common operator mistake (two
/// nodes on one directory) and gets its own advice; IO failures are environment problems; the
/// rest means the files are not a readable database.
fn open_error(path: &Path, e: rocksdb::Error) -> StoreError {
    let text = e.as_ref();
    if text.contains("/LOCK:") || text.contains("lock hold by current process") {
        return StoreError::Locked { path: path.to_owned() };
    }
    match e.kind() {
        ErrorKind::IOError if !text.contains("No such file") => {
            StoreError::Database { op: "open", detail: e.into_string() }
        }
        _ => StoreError::Damaged { path: path.to_owned(), detail: e.into_string() },
    }
}
