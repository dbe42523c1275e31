//! The wallet directory layout and the careful file operations behind it:
//!
//! ```text
//! <wallets dir>/<wallet>/coldkey                  encrypted key file, mode 0600
//! <wallets dir>/<wallet>/coldkeypub.txt           the coldkey's address
//! <wallets dir>/<wallet>/hotkeys/<name>           key file (plain by default), mode 0600
//! <wallets dir>/<wallet>/hotkeys/<name>.pub.txt   the hotkey's address
//! ```
//!
//! Directories are created 0700. Secret files are created with `create_new` (never replacing a
//! key by accident) or, when replacing is asked for, written aside and renamed over atomically.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use super::error::WalletError;

/// The wallet used when none is named.
pub const DEFAULT_WALLET: &str = "default";
/// The environment variable that overrides the wallets directory.
pub const WALLET_DIR_ENV: &str = "TAU_WALLET_DIR";
/// Key files are a few hundred bytes; anything much larger is not one, and is not read whole.
pub const MAX_KEY_FILE_BYTES: u64 = 64 * 1024;

const COLDKEY: &str = "coldkey";
const COLDKEY_PUB: &str = "coldkeypub.txt";
const HOTKEYS: &str = "hotkeys";
const PUB_SUFFIX: &str = ".pub.txt";

/// `$HOME/.tau/wallets`, or `None` without a home directory.
pub fn default_wallets_dir() -> Option<PathBuf> {
    let home = std::env::var_os("HOME").filter(|h| !h.is_empty())?;
    Some(PathBuf::from(home).join(".tau").join("wallets"))
}

/// Wallet and hotkey names become path components, so they are restricted to characters that
/// cannot escape the directory or collide with the `.pub.txt` and temporary files.
pub fn validate_name(what: &'static str, name: &str) -> Result<(), WalletError> {
    let ok = (1..=64).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok { Ok(()) } else { Err(WalletError::InvalidName { what, name: name.to_string() }) }
}

/// Where one wallet's files live.
#[derive(Clone, Debug)]
pub struct Layout {
    dir: PathBuf,
    name: String,
}

impl Layout {
    pub fn new(wallets_dir: &Path, name: &str) -> Result<Layout, WalletError> {
        validate_name("wallet", name)?;
        Ok(Layout { dir: wallets_dir.join(name), name: name.to_string() })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn coldkey(&self) -> PathBuf {
        self.dir.join(COLDKEY)
    }

    pub fn coldkey_pub(&self) -> PathBuf {
        self.dir.join(COLDKEY_PUB)
    }

    pub fn hotkeys_dir(&self) -> PathBuf {
        self.dir.join(HOTKEYS)
    }

    pub fn hotkey(&self, name: &str) -> Result<PathBuf, WalletError> {
        validate_name("hotkey", name)?;
        Ok(self.hotkeys_dir().join(name))
    }

    pub fn hotkey_pub(&self, name: &str) -> Result<PathBuf, WalletError> {
        validate_name("hotkey", name)?;
        Ok(self.hotkeys_dir().join(format!("{name}{PUB_SUFFIX}")))
    }
}

/// Creates `path` and any missing parents with mode 0700. Existing directories keep their mode:
/// the user may have chosen it.
pub fn create_private_dir(path: &Path) -> Result<(), WalletError> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(path).map_err(WalletError::io(path))
}

/// Reads a small file whole, refusing anything over [`MAX_KEY_FILE_BYTES`] so a wrong path (a
/// device, a huge log) cannot exhaust memory. The buffer is wiped on drop: it may hold a secret.
pub fn read_bounded(path: &Path) -> Result<Zeroizing<Vec<u8>>, WalletError> {
    let file = File::open(path).map_err(WalletError::io(path))?;
    let mut buf = Zeroizing::new(Vec::new());
    file.take(MAX_KEY_FILE_BYTES + 1).read_to_end(&mut buf).map_err(WalletError::io(path))?;
    if buf.len() as u64 > MAX_KEY_FILE_BYTES {
        return Err(WalletError::TooLarge { path: path.to_path_buf(), limit: MAX_KEY_FILE_BYTES });
    }
    Ok(buf)
}

/// Writes a secret file with mode 0600. Without `overwrite` an existing file is an error and is
/// left untouched; with it, the new content is written aside and renamed over the old file, so a
/// crash leaves either the old key or the new one, never half of one.
pub fn write_secret(path: &Path, bytes: &[u8], overwrite: bool) -> Result<(), WalletError> {
    if !overwrite {
        let file = match open_private_new(path) {
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                return Err(WalletError::AlreadyExists { path: path.to_path_buf() });
            }
            other => other.map_err(WalletError::io(path))?,
        };
        if let Err(e) = write_and_sync(file, bytes) {
            // A half-written key file would be mistaken for a damaged key later.
            let _ = fs::remove_file(path);
            return Err(WalletError::io(path)(e));
        }
        return sync_parent(path);
    }
    replace_atomically(path, bytes, true)
}

/// Writes a public file (an address), replacing any old one atomically.
pub fn write_public(path: &Path, text: &str) -> Result<(), WalletError> {
    replace_atomically(path, text.as_bytes(), false)
}

fn replace_atomically(path: &Path, bytes: &[u8], private: bool) -> Result<(), WalletError> {
    let tmp = temp_path(path)?;
    let file = if private { open_private_new(&tmp) } else { open_new(&tmp) };
    let result = file.and_then(|f| write_and_sync(f, bytes)).and_then(|()| fs::rename(&tmp, path));
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        return Err(WalletError::io(path)(e));
    }
    sync_parent(path)
}

/// `.<name>.tmp-<random>` beside `path`: hidden, so listings skip it, and on the same filesystem,
/// so the rename is atomic.
fn temp_path(path: &Path) -> Result<PathBuf, WalletError> {
    let mut tag = [0u8; 8];
    getrandom::fill(&mut tag).map_err(|e| WalletError::Entropy(e.to_string()))?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    Ok(path.with_file_name(format!(".{name}.tmp-{}", hex::encode(tag))))
}

fn open_private_new(path: &Path) -> std::io::Result<File> {
    let mut opts = OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts.open(path)
}

fn open_new(path: &Path) -> std::io::Result<File> {
    OpenOptions::new().write(true).create_new(true).open(path)
}

fn write_and_sync(mut file: File, bytes: &[u8]) -> std::io::Result<()> {
    file.write_all(bytes)?;
    file.sync_all()
}

/// Makes the new directory entry durable: a key the user was told exists must survive a crash.
fn sync_parent(path: &Path) -> Result<(), WalletError> {
    #[cfg(unix)]
    if let Some(parent) = path.parent() {
        File::open(parent).and_then(|d| d.sync_all()).map_err(WalletError::io(parent))?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// The wallet names under `wallets_dir`, sorted; none if the directory does not exist yet.
pub fn wallet_names(wallets_dir: &Path) -> Result<Vec<String>, WalletError> {
    sorted_names(wallets_dir, |entry, name| {
        entry.file_type().is_ok_and(|t| t.is_dir()) && validate_name("wallet", name).is_ok()
    })
}

/// The hotkey names of a wallet (secret files, not their `.pub.txt` companions), sorted.
pub fn hotkey_names(layout: &Layout) -> Result<Vec<String>, WalletError> {
    sorted_names(&layout.hotkeys_dir(), |entry, name| {
        entry.file_type().is_ok_and(|t| t.is_file()) && validate_name("hotkey", name).is_ok()
    })
}

fn sorted_names(
    dir: &Path,
    keep: impl Fn(&fs::DirEntry, &str) -> bool,
) -> Result<Vec<String>, WalletError> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(WalletError::io(dir)(e)),
    };
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry.map_err(WalletError::io(dir))?;
        if let Some(name) = entry.file_name().to_str()
            && keep(&entry, name)
        {
            names.push(name.to_string());
        }
    }
    names.sort();
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_cannot_escape_the_directory() {
        for bad in
            ["", "..", ".", "a/b", "a\\b", ".hidden", "x.pub.txt", "a b", "é", &"a".repeat(65)]
        {
            assert!(validate_name("wallet", bad).is_err(), "{bad:?} must be refused");
        }
        for good in ["default", "miner-1", "Validator_2", &"a".repeat(64)] {
            validate_name("wallet", good).unwrap();
        }
    }

    #[cfg(unix)]
    #[test]
    fn secret_files_are_private_and_never_replaced_by_accident() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("a").join("b");
        create_private_dir(&dir).unwrap();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&tmp.path().join("a")), 0o700);

        let key = dir.join("key");
        write_secret(&key, b"one", false).unwrap();
        assert_eq!(mode(&key), 0o600);
        assert!(matches!(
            write_secret(&key, b"two", false),
            Err(WalletError::AlreadyExists { .. })
        ));
        assert_eq!(fs::read(&key).unwrap(), b"one");

        write_secret(&key, b"three", true).unwrap();
        assert_eq!(fs::read(&key).unwrap(), b"three");
        assert_eq!(mode(&key), 0o600);
        let leftovers: Vec<_> = fs::read_dir(&dir).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no temporary file is left behind");
    }

    #[test]
    fn reads_are_bounded() {
        let tmp = tempfile::tempdir().unwrap();
        let big = tmp.path().join("big");
        fs::write(&big, vec![b'x'; MAX_KEY_FILE_BYTES as usize + 1]).unwrap();
        assert!(matches!(read_bounded(&big), Err(WalletError::TooLarge { .. })));
        let ok = tmp.path().join("ok");
        fs::write(&ok, vec![b'x'; MAX_KEY_FILE_BYTES as usize]).unwrap();
        assert_eq!(read_bounded(&ok).unwrap().len(), MAX_KEY_FILE_BYTES as usize);
    }

    #[test]
    fn listings_skip_public_and_temporary_files() {
        let tmp = tempfile::tempdir().unwrap();
        let layout = Layout::new(tmp.path(), "w").unwrap();
        create_private_dir(&layout.hotkeys_dir()).unwrap();
        for f in ["b", "a", "a.pub.txt", ".a.tmp-00"] {
            fs::write(layout.hotkeys_dir().join(f), "x").unwrap();
        }
        assert_eq!(hotkey_names(&layout).unwrap(), ["a", "b"]);
        assert_eq!(wallet_names(tmp.path()).unwrap(), ["w"]);
        assert!(wallet_names(&tmp.path().join("missing")).unwrap().is_empty());
    }
}
