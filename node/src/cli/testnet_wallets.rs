//! A wallet per testnet node, so the daily commands work against a local testnet at once:
//! `<dir>/wallets/<node>/` holds the node's funded coldkey and its hotkey (named after the node),
//! in the ordinary wallet format (ADR 005). Testnet keys are not secrets: the coldkeys are
//! encrypted under a published password with cheap KDF settings, and the password is written
//! beside them for `--password-file`.

use std::path::{Path, PathBuf};

use anyhow::Context;
use testnet::TestnetLayout;
use testnet::keyfiles::load_node_keys;

use crate::wallet::{KdfParams, Password, Wallet, WriteOptions};

/// The password of every testnet coldkey.
pub const TESTNET_PASSWORD: &str = "tau-testnet";

/// `<dir>/wallets`.
pub fn wallets_dir(layout: &TestnetLayout) -> PathBuf {
    layout.dir.join("wallets")
}

/// `<dir>/wallets/password.txt`.
pub fn password_file(layout: &TestnetLayout) -> PathBuf {
    wallets_dir(layout).join("password.txt")
}

/// Writes the wallet of every node that has none yet (a testnet made before wallets existed gets
/// them on its next `up`). Returns how many were written.
pub fn ensure(layout: &TestnetLayout) -> anyhow::Result<usize> {
    let dir = wallets_dir(layout);
    crate::wallet::create_private_dir(&dir)
        .with_context(|| format!("creating {}", dir.display()))?;
    write_password(&password_file(layout))?;
    let password = Password::new(TESTNET_PASSWORD);
    // The password is public: a costly KDF would protect nothing and slow every command down.
    let opts = WriteOptions { overwrite: false, kdf: KdfParams::INSECURE_FOR_TESTS };
    let mut written = 0;
    for entry in layout.nodes().context("reading the testnet's nodes")? {
        let wallet = Wallet::open_or_create(&dir, &entry.name)?;
        if wallet.has_coldkey() {
            continue;
        }
        let keys = load_node_keys(layout, &entry)
            .with_context(|| format!("reading the keys of {}", entry.name))?;
        wallet.import_coldkey(&keys.coldkey, &password, opts)?;
        if !wallet.has_hotkey(&entry.name)? {
            wallet.import_hotkey(&entry.name, &keys.hotkey, None, opts)?;
        }
        written += 1;
    }
    Ok(written)
}

fn write_password(path: &Path) -> anyhow::Result<()> {
    if path.exists() {
        return Ok(());
    }
    let text = format!("{TESTNET_PASSWORD}\n");
    crate::wallet::write_secret(path, text.as_bytes(), false)
        .with_context(|| format!("writing {}", path.display()))
}

/// The lines `tau testnet up` prints on how to use the wallets.
pub fn usage(layout: &TestnetLayout, first: &str, api: &str) -> String {
    format!(
        "Wallets (funded coldkey + hotkey per node) in {dir}:\n  \
         export TAU_WALLET_DIR={dir} TAU_WALLET_PASSWORD={TESTNET_PASSWORD} TAU_API={api}\n  \
         tau wallet overview -w {first}\n  \
         tau transfer -w {first} --to <tau1 address> --amount 1",
        dir = wallets_dir(layout).display(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use testnet::TestnetSpec;

    /// Every node gets a wallet whose coldkey unlocks with the testnet password to the node's
    /// funded coldkey, and whose hotkey is the node's; a second run changes nothing.
    #[test]
    fn wallets_hold_the_nodes_keys_and_are_written_once() {
        let tmp = tempfile::tempdir().unwrap();
        let spec = TestnetSpec::validators_only("tau-wallets", 2, 500, 9).unwrap();
        let keys = spec.node_keys().unwrap();
        let genesis = spec.genesis(&keys, 0).unwrap();
        let layout = TestnetLayout::write(&tmp.path().join("tn"), &genesis, &keys).unwrap();
        assert_eq!(ensure(&layout).unwrap(), 2);
        assert_eq!(ensure(&layout).unwrap(), 0);
        let password = Password::new(
            std::fs::read_to_string(password_file(&layout)).unwrap().trim_end().to_string(),
        );
        for k in &keys {
            let w = Wallet::open(&wallets_dir(&layout), &k.name).unwrap();
            assert_eq!(w.unlock_coldkey(&password).unwrap().public(), k.coldkey.public());
            assert_eq!(w.hotkey(&k.name).unwrap().public(), k.hotkey.public());
            let funded = genesis.accounts.iter().any(|a| a.coldkey == k.coldkey.public());
            assert!(funded, "{}'s coldkey is not funded in genesis", k.name);
        }
    }
}
