//! Wallets: a coldkey (owns balances and stake; always encrypted with a password) and hotkeys
//! (the identities neurons run as; plain by default so a node restarts unattended), stored under
//! `~/.tau/wallets/<name>/` and each restorable from its BIP39 mnemonic.
//! Layout, derivation and file format: `docs/adr/005-wallet-format.md`.

mod error;
mod keyfile;
mod mnemonic;
mod password;
mod store;

use std::path::{Path, PathBuf};

use protocol::keys::{Keypair, PublicKey};

pub use error::WalletError;
pub use keyfile::{FORMAT_VERSION, KdfParams, KeyFile};
pub use mnemonic::{DERIVATION_CONTEXT, Mnemonic, WordCount};
pub use password::{PASSWORD_ENV, Password, Purpose, obtain as obtain_password};
pub use store::{
    DEFAULT_WALLET, MAX_KEY_FILE_BYTES, WALLET_DIR_ENV, create_private_dir, default_wallets_dir,
    validate_name, write_secret,
};

/// How a new key file is written.
#[derive(Clone, Copy, Debug, Default)]
pub struct WriteOptions {
    /// Replace an existing key (its old secret is lost unless its mnemonic is kept).
    pub overwrite: bool,
    /// argon2id parameters for encrypted files.
    pub kdf: KdfParams,
}

/// A key that was just written.
#[derive(Clone, Debug)]
pub struct KeyInfo {
    pub public: PublicKey,
    pub path: PathBuf,
    pub encrypted: bool,
}

/// A hotkey as listed: its address is readable without a password.
#[derive(Clone, Debug)]
pub struct HotkeyInfo {
    pub name: String,
    pub public: PublicKey,
    pub encrypted: bool,
}

/// What `list` and `show` print for one wallet. Damaged files are reported in `problems` rather
/// than hiding the rest of the wallet.
#[derive(Debug)]
pub struct WalletSummary {
    pub name: String,
    pub path: PathBuf,
    pub coldkey: Option<PublicKey>,
    pub hotkeys: Vec<HotkeyInfo>,
    pub problems: Vec<String>,
}

/// The addresses a balance or overview query asks the node about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueryKeys {
    pub coldkey: Option<PublicKey>,
    pub hotkeys: Vec<(String, PublicKey)>,
}

/// One wallet directory. Opening reads nothing; every method reads the files it needs, so a
/// wallet changed by another process is seen as it is now.
#[derive(Clone, Debug)]
pub struct Wallet {
    layout: store::Layout,
}

impl Wallet {
    /// An existing wallet.
    pub fn open(wallets_dir: &Path, name: &str) -> Result<Wallet, WalletError> {
        let layout = store::Layout::new(wallets_dir, name)?;
        if !layout.dir().is_dir() {
            return Err(WalletError::WalletNotFound {
                name: name.to_string(),
                dir: wallets_dir.to_path_buf(),
            });
        }
        Ok(Wallet { layout })
    }

    /// The wallet, creating its directory (mode 0700) if needed.
    pub fn open_or_create(wallets_dir: &Path, name: &str) -> Result<Wallet, WalletError> {
        let layout = store::Layout::new(wallets_dir, name)?;
        store::create_private_dir(layout.dir())?;
        Ok(Wallet { layout })
    }

    pub fn name(&self) -> &str {
        self.layout.name()
    }

    pub fn dir(&self) -> &Path {
        self.layout.dir()
    }

    pub fn coldkey_path(&self) -> PathBuf {
        self.layout.coldkey()
    }

    pub fn hotkey_path(&self, name: &str) -> Result<PathBuf, WalletError> {
        self.layout.hotkey(name)
    }

    /// Whether a coldkey file is there (even a dangling symlink counts: it would be replaced).
    pub fn has_coldkey(&self) -> bool {
        self.layout.coldkey().symlink_metadata().is_ok()
    }

    pub fn has_hotkey(&self, name: &str) -> Result<bool, WalletError> {
        Ok(self.layout.hotkey(name)?.symlink_metadata().is_ok())
    }

    /// The coldkey's public key, without a password: from the key file, else from
    /// `coldkeypub.txt` (a watch-only wallet). The two must agree.
    pub fn coldkey_public(&self) -> Result<PublicKey, WalletError> {
        let (key, pub_path) = (self.layout.coldkey(), self.layout.coldkey_pub());
        public_of(&key, &pub_path)?
            .ok_or_else(|| WalletError::NoColdkey { wallet: self.name().to_string(), path: key })
    }

    /// The coldkey file as stored.
    pub fn coldkey_file(&self) -> Result<KeyFile, WalletError> {
        let path = self.layout.coldkey();
        read_key(&path)?
            .ok_or_else(|| WalletError::NoColdkey { wallet: self.name().to_string(), path })
    }

    /// The coldkey's keypair, decrypted with `password`.
    pub fn unlock_coldkey(&self, password: &Password) -> Result<Keypair, WalletError> {
        self.coldkey_file()?.unlock(password, &self.layout.coldkey())
    }

    /// Generates a coldkey, writes it encrypted under `password`, and returns its mnemonic: the
    /// caller must show it to the user, once.
    pub fn create_coldkey(
        &self,
        words: WordCount,
        password: &Password,
        opts: WriteOptions,
    ) -> Result<(Mnemonic, KeyInfo), WalletError> {
        self.check_coldkey_writable(opts.overwrite)?;
        let mnemonic = Mnemonic::generate(words)?;
        let info = self.regen_coldkey(&mnemonic, password, opts)?;
        Ok((mnemonic, info))
    }

    /// Writes the coldkey of `mnemonic`, encrypted under `password`.
    pub fn regen_coldkey(
        &self,
        mnemonic: &Mnemonic,
        password: &Password,
        opts: WriteOptions,
    ) -> Result<KeyInfo, WalletError> {
        self.import_coldkey(&mnemonic.keypair(), password, opts)
    }

    /// Writes an existing key as the coldkey, encrypted under `password`. For keys that did not
    /// come from a mnemonic (a testnet's): there is no mnemonic to restore them from.
    pub fn import_coldkey(
        &self,
        keypair: &Keypair,
        password: &Password,
        opts: WriteOptions,
    ) -> Result<KeyInfo, WalletError> {
        let (key, pub_path) = (self.layout.coldkey(), self.layout.coldkey_pub());
        install(&key, &pub_path, keypair, Some(password), opts)
    }

    /// Writes an existing key as hotkey `name`, plain or (with a password) encrypted.
    pub fn import_hotkey(
        &self,
        name: &str,
        keypair: &Keypair,
        password: Option<&Password>,
        opts: WriteOptions,
    ) -> Result<KeyInfo, WalletError> {
        let (key, pub_path) = (self.layout.hotkey(name)?, self.layout.hotkey_pub(name)?);
        store::create_private_dir(&self.layout.hotkeys_dir())?;
        install(&key, &pub_path, keypair, password, opts)
    }

    /// Fails early (before any prompt or KDF) if writing the coldkey would replace one.
    pub fn check_coldkey_writable(&self, overwrite: bool) -> Result<(), WalletError> {
        check_free(&self.layout.coldkey(), overwrite)
    }

    /// Fails early if writing hotkey `name` would replace one.
    pub fn check_hotkey_writable(&self, name: &str, overwrite: bool) -> Result<(), WalletError> {
        check_free(&self.layout.hotkey(name)?, overwrite)
    }

    /// A hotkey file as stored.
    pub fn hotkey_file(&self, name: &str) -> Result<KeyFile, WalletError> {
        let path = self.layout.hotkey(name)?;
        read_key(&path)?.ok_or_else(|| self.no_hotkey(name, path))
    }

    /// A hotkey's public key, without a password.
    pub fn hotkey_public(&self, name: &str) -> Result<PublicKey, WalletError> {
        let (key, pub_path) = (self.layout.hotkey(name)?, self.layout.hotkey_pub(name)?);
        public_of(&key, &pub_path)?.ok_or_else(|| self.no_hotkey(name, key))
    }

    /// A plain hotkey's keypair; an encrypted one needs [`Wallet::unlock_hotkey`].
    pub fn hotkey(&self, name: &str) -> Result<Keypair, WalletError> {
        self.hotkey_file(name)?.keypair(&self.layout.hotkey(name)?)
    }

    /// A hotkey's keypair, decrypting it with `password` if it is encrypted.
    pub fn unlock_hotkey(&self, name: &str, password: &Password) -> Result<Keypair, WalletError> {
        self.hotkey_file(name)?.unlock(password, &self.layout.hotkey(name)?)
    }

    /// Generates hotkey `name`, plain or (with a password) encrypted, and returns its mnemonic.
    pub fn create_hotkey(
        &self,
        name: &str,
        words: WordCount,
        password: Option<&Password>,
        opts: WriteOptions,
    ) -> Result<(Mnemonic, KeyInfo), WalletError> {
        self.check_hotkey_writable(name, opts.overwrite)?;
        let mnemonic = Mnemonic::generate(words)?;
        let info = self.regen_hotkey(name, &mnemonic, password, opts)?;
        Ok((mnemonic, info))
    }

    /// Writes hotkey `name` from `mnemonic`, plain or (with a password) encrypted.
    pub fn regen_hotkey(
        &self,
        name: &str,
        mnemonic: &Mnemonic,
        password: Option<&Password>,
        opts: WriteOptions,
    ) -> Result<KeyInfo, WalletError> {
        self.import_hotkey(name, &mnemonic.keypair(), password, opts)
    }

    /// Every hotkey with its address; the first damaged file is an error.
    pub fn hotkeys(&self) -> Result<Vec<HotkeyInfo>, WalletError> {
        store::hotkey_names(&self.layout)?.into_iter().map(|n| self.hotkey_info(n)).collect()
    }

    /// The wallet for display: what can be read, and what could not.
    pub fn summary(&self) -> Result<WalletSummary, WalletError> {
        self.summary_of(None)
    }

    /// Like [`Wallet::summary`], but with only hotkey `only` (if given), which must be readable.
    pub fn summary_of(&self, only: Option<&str>) -> Result<WalletSummary, WalletError> {
        let mut problems = Vec::new();
        let coldkey = match self.coldkey_public() {
            Ok(pk) => Some(pk),
            Err(WalletError::NoColdkey { .. }) => None,
            Err(e) => {
                problems.push(e.to_string());
                None
            }
        };
        let mut hotkeys = Vec::new();
        if let Some(name) = only {
            hotkeys.push(self.hotkey_info(name.to_string())?);
        } else {
            for name in store::hotkey_names(&self.layout)? {
                match self.hotkey_info(name) {
                    Ok(h) => hotkeys.push(h),
                    Err(e) => problems.push(e.to_string()),
                }
            }
        }
        let (name, path) = (self.name().to_string(), self.dir().to_path_buf());
        Ok(WalletSummary { name, path, coldkey, hotkeys, problems })
    }

    /// The addresses `balance` (the coldkey) and `overview` (the coldkey and every hotkey) ask
    /// the node about.
    pub fn query_keys(&self) -> Result<QueryKeys, WalletError> {
        let coldkey = match self.coldkey_public() {
            Ok(pk) => Some(pk),
            Err(WalletError::NoColdkey { .. }) => None,
            Err(e) => return Err(e),
        };
        let hotkeys = self.hotkeys()?.into_iter().map(|h| (h.name, h.public)).collect();
        Ok(QueryKeys { coldkey, hotkeys })
    }

    fn hotkey_info(&self, name: String) -> Result<HotkeyInfo, WalletError> {
        let file = self.hotkey_file(&name)?;
        let public = self.hotkey_public(&name)?;
        Ok(HotkeyInfo { name, public, encrypted: file.is_encrypted() })
    }

    fn no_hotkey(&self, name: &str, path: PathBuf) -> WalletError {
        WalletError::NoHotkey { wallet: self.name().to_string(), hotkey: name.to_string(), path }
    }
}

/// Summaries of every wallet under `wallets_dir`, sorted by name; none if it does not exist.
pub fn list_wallets(wallets_dir: &Path) -> Result<Vec<WalletSummary>, WalletError> {
    store::wallet_names(wallets_dir)?
        .iter()
        .map(|name| Wallet::open(wallets_dir, name)?.summary())
        .collect()
}

/// Encrypts (or not) and writes a key and its public file. A public file that names a different
/// key counts as a key to protect: it may be the only record of a watch-only coldkey.
fn install(
    key_path: &Path,
    pub_path: &Path,
    keypair: &Keypair,
    password: Option<&Password>,
    opts: WriteOptions,
) -> Result<KeyInfo, WalletError> {
    check_free(key_path, opts.overwrite)?;
    let public = keypair.public();
    if !opts.overwrite && read_pub(pub_path)?.is_some_and(|recorded| recorded != public) {
        return Err(WalletError::AlreadyExists { path: pub_path.to_path_buf() });
    }
    let file = match password {
        Some(pw) => KeyFile::encrypt(keypair, pw, opts.kdf)?,
        None => KeyFile::plain(keypair),
    };
    store::write_secret(key_path, &file.to_bytes()?, opts.overwrite)?;
    store::write_public(pub_path, &format!("{}\n", public.to_address()))?;
    Ok(KeyInfo { public, path: key_path.to_path_buf(), encrypted: file.is_encrypted() })
}

fn check_free(path: &Path, overwrite: bool) -> Result<(), WalletError> {
    if !overwrite && path.symlink_metadata().is_ok() {
        return Err(WalletError::AlreadyExists { path: path.to_path_buf() });
    }
    Ok(())
}

/// A key file, or `None` if there is none.
fn read_key(path: &Path) -> Result<Option<KeyFile>, WalletError> {
    match store::read_bounded(path) {
        Ok(bytes) => KeyFile::from_bytes(&bytes, path).map(Some),
        Err(WalletError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// The address in a `.pub.txt`/`coldkeypub.txt` file, or `None` if there is none.
fn read_pub(path: &Path) -> Result<Option<PublicKey>, WalletError> {
    let bytes = match store::read_bounded(path) {
        Ok(bytes) => bytes,
        Err(WalletError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
            return Ok(None);
        }
        Err(e) => return Err(e),
    };
    let bad = |reason: String| WalletError::Malformed { path: path.to_path_buf(), reason };
    let text = std::str::from_utf8(&bytes).map_err(|_| bad("not UTF-8 text".into()))?;
    PublicKey::from_address(text.trim()).map(Some).map_err(|e| bad(format!("bad address: {e}")))
}

/// The public key of a key file, cross-checked against its public file; the public file alone
/// when the key file is absent.
fn public_of(key_path: &Path, pub_path: &Path) -> Result<Option<PublicKey>, WalletError> {
    let recorded = read_pub(pub_path)?;
    let Some(file) = read_key(key_path)? else { return Ok(recorded) };
    let actual = file.public();
    match recorded {
        Some(r) if r != actual => Err(WalletError::PublicMismatch {
            pub_path: pub_path.to_path_buf(),
            key_path: key_path.to_path_buf(),
            recorded: r.to_address(),
            actual: actual.to_address(),
        }),
        _ => Ok(Some(actual)),
    }
}

#[cfg(test)]
mod tests;
