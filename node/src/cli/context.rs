//! The options every chain command shares (which node, which wallet, how to answer) and the keys
//! they resolve to. Flag names and environment variables are those of `tau wallet`.

use std::path::PathBuf;

use anyhow::{Context as _, bail};
use clap::Args;
use protocol::{Keypair, PublicKey};

use super::client::{Client, DEFAULT_API};
use crate::wallet::{self, Purpose, Wallet};

#[derive(Args, Clone, Debug)]
#[command(next_help_heading = "Node and wallet")]
pub struct CommonArgs {
    /// URL of a running node's HTTP API.
    #[arg(long, global = true, env = "TAU_API", default_value = DEFAULT_API, value_name = "URL")]
    pub api: String,
    /// Directory holding the wallets [default: ~/.tau/wallets].
    #[arg(long, global = true, env = "TAU_WALLET_DIR", value_name = "DIR")]
    pub wallet_dir: Option<PathBuf>,
    /// The wallet to use.
    #[arg(long, short = 'w', global = true, default_value = "default", value_name = "NAME")]
    pub wallet: String,
    /// Read the password from this file (one trailing newline is ignored) instead of prompting;
    /// TAU_WALLET_PASSWORD works too.
    #[arg(long, global = true, value_name = "PATH")]
    pub password_file: Option<PathBuf>,
    /// Print JSON instead of text.
    #[arg(long, global = true)]
    pub json: bool,
    /// Answer yes to confirmation prompts.
    #[arg(short = 'y', long = "yes", global = true)]
    pub yes: bool,
}

/// A key that signs: the wallet's coldkey, or one of its hotkeys by name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyRef {
    Coldkey,
    Hotkey(String),
}

/// The resolved options of one command.
pub struct Ctx {
    pub client: Client,
    pub json: bool,
    pub yes: bool,
    wallet_dir: Option<PathBuf>,
    wallet: String,
    password_file: Option<PathBuf>,
}

impl Ctx {
    pub fn new(o: CommonArgs) -> anyhow::Result<Ctx> {
        Ok(Ctx {
            client: Client::new(&o.api)?,
            json: o.json,
            yes: o.yes,
            wallet_dir: o.wallet_dir,
            wallet: o.wallet,
            password_file: o.password_file,
        })
    }

    pub fn wallet(&self) -> anyhow::Result<Wallet> {
        let dir = match self.wallet_dir.clone().or_else(wallet::default_wallets_dir) {
            Some(dir) => dir,
            None => bail!(
                "no home directory to find ~/.tau/wallets: pass --wallet-dir or set TAU_WALLET_DIR"
            ),
        };
        Ok(Wallet::open(&dir, &self.wallet)?)
    }

    pub fn wallet_name(&self) -> &str {
        &self.wallet
    }

    /// The wallet's coldkey address (no password needed).
    pub fn coldkey(&self) -> anyhow::Result<PublicKey> {
        Ok(self.wallet()?.coldkey_public()?)
    }

    /// A hotkey given as a `tau1…` address, or as the name of one of the wallet's hotkeys.
    pub fn hotkey(&self, name_or_address: &str) -> anyhow::Result<PublicKey> {
        if name_or_address.starts_with("tau1") {
            return PublicKey::from_address(name_or_address)
                .with_context(|| format!("`{name_or_address}` is not a valid hotkey address"));
        }
        Ok(self.wallet()?.hotkey_public(name_or_address)?)
    }

    /// The public key of a signing key (no password needed).
    pub fn public(&self, key: &KeyRef) -> anyhow::Result<PublicKey> {
        match key {
            KeyRef::Coldkey => self.coldkey(),
            KeyRef::Hotkey(name) => Ok(self.wallet()?.hotkey_public(name)?),
        }
    }

    /// Decrypts a signing key, asking for its password only if it is encrypted.
    pub fn unlock(&self, key: &KeyRef) -> anyhow::Result<Keypair> {
        let w = self.wallet()?;
        match key {
            KeyRef::Coldkey => {
                let what = format!("the coldkey of wallet `{}`", w.name());
                let password = self.password(&what)?;
                Ok(w.unlock_coldkey(&password)?)
            }
            KeyRef::Hotkey(name) if w.hotkey_file(name)?.is_encrypted() => {
                let what = format!("hotkey `{name}` of wallet `{}`", w.name());
                let password = self.password(&what)?;
                Ok(w.unlock_hotkey(name, &password)?)
            }
            KeyRef::Hotkey(name) => Ok(w.hotkey(name)?),
        }
    }

    fn password(&self, what: &str) -> anyhow::Result<wallet::Password> {
        Ok(wallet::obtain_password(self.password_file.as_deref(), what, Purpose::Unlock)?)
    }

    /// Where this wallet keeps files the chain does not (weight commit salts).
    pub fn wallet_path(&self) -> anyhow::Result<PathBuf> {
        Ok(self.wallet()?.dir().to_path_buf())
    }
}

/// The hotkey name of a command that signs with the hotkey (an address cannot sign).
pub fn hotkey_name(name_or_address: &str) -> anyhow::Result<String> {
    if name_or_address.starts_with("tau1") {
        bail!(
            "this command signs with the hotkey, so it needs the name of a hotkey in your wallet, \
             not an address (`{name_or_address}`)"
        );
    }
    Ok(name_or_address.to_string())
}
