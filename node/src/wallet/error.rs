//! Everything that can go wrong with a wallet, each message saying what to do about it.

use std::path::PathBuf;

/// A wallet error. Paths are the files or directories involved, so the user can look at them.
#[derive(Debug, thiserror::Error)]
pub enum WalletError {
    #[error(
        "wallet `{name}` not found in {dir}: create it with `tau wallet new-coldkey --wallet {name}`, \
         or point --wallet-dir / TAU_WALLET_DIR at the directory that holds it"
    )]
    WalletNotFound { name: String, dir: PathBuf },

    #[error(
        "wallet `{wallet}` has no coldkey ({path} is missing): create one with \
         `tau wallet new-coldkey` or restore it with `tau wallet regen-coldkey`"
    )]
    NoColdkey { wallet: String, path: PathBuf },

    #[error(
        "wallet `{wallet}` has no hotkey `{hotkey}` ({path} is missing): create it with \
         `tau wallet new-hotkey --hotkey {hotkey}`"
    )]
    NoHotkey { wallet: String, hotkey: String, path: PathBuf },

    #[error(
        "{path} already exists: pass --overwrite to replace it (the old key is lost unless you \
         have its mnemonic)"
    )]
    AlreadyExists { path: PathBuf },

    #[error("wrong password, or the file is damaged: could not decrypt {path}")]
    WrongPassword { path: PathBuf },

    #[error("{path} is encrypted: unlock it with its password")]
    Encrypted { path: PathBuf },

    #[error("{path} is not a valid tau key file ({reason}); restore it from its mnemonic")]
    Malformed { path: PathBuf, reason: String },

    #[error(
        "{path} uses key-file format version {found}, but this tau reads version {supported}: \
         upgrade tau"
    )]
    UnsupportedVersion { path: PathBuf, found: u32, supported: u32 },

    #[error("{path} is larger than {limit} bytes, so it is not a key file")]
    TooLarge { path: PathBuf, limit: u64 },

    #[error(
        "{pub_path} says {recorded} but the key in {key_path} is {actual}: the public file is \
         stale or damaged; delete it and run `tau wallet show` to see the key's address"
    )]
    PublicMismatch { pub_path: PathBuf, key_path: PathBuf, recorded: String, actual: String },

    #[error("invalid mnemonic: {0}; check the words, their spelling and their order")]
    Mnemonic(String),

    #[error("a mnemonic has 12, 15, 18, 21 or 24 words, not {0}")]
    WordCount(usize),

    #[error("invalid {what} name `{name}`: use 1 to 64 ASCII letters, digits, `-` or `_`")]
    InvalidName { what: &'static str, name: String },

    #[error(
        "no password available: run in a terminal to be prompted, or set TAU_WALLET_PASSWORD, or \
         pass --password-file PATH"
    )]
    NoPassword,

    #[error("the password is empty: an empty password would leave the key unprotected")]
    EmptyPassword,

    #[error("{0} is not valid UTF-8 text")]
    NotUtf8(String),

    #[error("the passwords do not match: try again")]
    PasswordMismatch,

    #[error("key-derivation parameters {0}")]
    KdfParams(String),

    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },

    #[error("the operating system's random source failed: {0}")]
    Entropy(String),

    #[error("encrypting the key failed: {0}")]
    Encrypt(String),

    #[error("encoding the key file failed: {0}")]
    Encode(String),
}

impl WalletError {
    /// Wraps an I/O error with the path it happened on.
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> WalletError {
        let path = path.into();
        move |source| WalletError::Io { path, source }
    }
}
