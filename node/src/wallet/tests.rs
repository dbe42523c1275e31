//! Wallet round trips through the directory layout. Cheap KDF parameters everywhere: the real ones
//! are checked once, in `keyfile`.

use std::fs;

use super::*;

fn fast(overwrite: bool) -> WriteOptions {
    WriteOptions { overwrite, kdf: KdfParams::INSECURE_FOR_TESTS }
}

fn pw(s: &str) -> Password {
    Password::new(s)
}

#[test]
fn coldkey_create_then_regen_gives_the_same_key() {
    let tmp = tempfile::tempdir().unwrap();
    let w = Wallet::open_or_create(tmp.path(), "alice").unwrap();
    let (mnemonic, info) = w.create_coldkey(WordCount::W12, &pw("pw1"), fast(false)).unwrap();
    assert!(info.encrypted);
    assert_eq!(w.coldkey_public().unwrap(), info.public);
    let original = w.unlock_coldkey(&pw("pw1")).unwrap();
    assert_eq!(original.public(), info.public);

    // Restore elsewhere, with another password: same key.
    let other = Wallet::open_or_create(tmp.path(), "restored").unwrap();
    let phrase = mnemonic.phrase();
    let again = other.regen_coldkey(&Mnemonic::parse(&phrase).unwrap(), &pw("pw2"), fast(false));
    assert_eq!(again.unwrap().public, info.public);
    let restored = other.unlock_coldkey(&pw("pw2")).unwrap();
    assert_eq!(restored.secret_bytes(), original.secret_bytes());
}

#[test]
fn hotkey_create_then_regen_gives_the_same_key() {
    let tmp = tempfile::tempdir().unwrap();
    let w = Wallet::open_or_create(tmp.path(), "w").unwrap();
    let (mnemonic, info) = w.create_hotkey("miner", WordCount::W24, None, fast(false)).unwrap();
    assert!(!info.encrypted);
    assert_eq!(mnemonic.word_count(), 24);
    let original = w.hotkey("miner").unwrap();
    assert_eq!(original.public(), info.public);

    let regen = w.regen_hotkey("copy", &mnemonic, Some(&pw("hk")), fast(false)).unwrap();
    assert!(regen.encrypted);
    assert_eq!(regen.public, info.public);
    assert!(matches!(w.hotkey("copy"), Err(WalletError::Encrypted { .. })));
    assert_eq!(w.unlock_hotkey("copy", &pw("hk")).unwrap().secret_bytes(), original.secret_bytes());
    // A plain hotkey ignores the password it is given.
    assert_eq!(w.unlock_hotkey("miner", &pw("anything")).unwrap().public(), info.public);

    let names: Vec<_> = w.hotkeys().unwrap().into_iter().map(|h| (h.name, h.encrypted)).collect();
    assert_eq!(names, [("copy".to_string(), true), ("miner".to_string(), false)]);
}

#[test]
fn wrong_password_is_an_error_naming_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let w = Wallet::open_or_create(tmp.path(), "w").unwrap();
    w.create_coldkey(WordCount::W12, &pw("right"), fast(false)).unwrap();
    let err = w.unlock_coldkey(&pw("wrong")).unwrap_err();
    let msg = err.to_string();
    assert!(msg.starts_with("wrong password, or the file is damaged"), "{msg}");
    assert!(msg.contains(&w.coldkey_path().display().to_string()), "{msg}");
}

#[test]
fn keys_are_never_replaced_without_overwrite() {
    let tmp = tempfile::tempdir().unwrap();
    let w = Wallet::open_or_create(tmp.path(), "w").unwrap();
    let (_, first) = w.create_coldkey(WordCount::W12, &pw("pw"), fast(false)).unwrap();
    let before = fs::read(w.coldkey_path()).unwrap();
    let err = w.create_coldkey(WordCount::W12, &pw("pw"), fast(false)).unwrap_err();
    assert!(matches!(err, WalletError::AlreadyExists { .. }), "{err}");
    assert!(err.to_string().contains("--overwrite"), "{err}");
    assert_eq!(fs::read(w.coldkey_path()).unwrap(), before);
    assert_eq!(w.coldkey_public().unwrap(), first.public);

    let (_, second) = w.create_coldkey(WordCount::W12, &pw("pw"), fast(true)).unwrap();
    assert_ne!(second.public, first.public);
    assert_eq!(w.coldkey_public().unwrap(), second.public, "the public file follows the key");

    w.create_hotkey("h", WordCount::W12, None, fast(false)).unwrap();
    assert!(matches!(
        w.create_hotkey("h", WordCount::W12, None, fast(false)),
        Err(WalletError::AlreadyExists { .. })
    ));
}

#[test]
fn watch_only_wallet_shows_its_address_and_protects_it() {
    let tmp = tempfile::tempdir().unwrap();
    let w = Wallet::open_or_create(tmp.path(), "w").unwrap();
    let m = Mnemonic::generate(WordCount::W12).unwrap();
    let public = m.keypair().public();
    fs::write(w.dir().join("coldkeypub.txt"), format!("{public}\n")).unwrap();
    assert_eq!(w.coldkey_public().unwrap(), public);
    assert!(matches!(w.coldkey_file(), Err(WalletError::NoColdkey { .. })));

    // A different key must not silently replace the recorded address …
    let other = Mnemonic::generate(WordCount::W12).unwrap();
    assert!(matches!(
        w.regen_coldkey(&other, &pw("pw"), fast(false)),
        Err(WalletError::AlreadyExists { .. })
    ));
    // … but restoring the matching secret is fine.
    assert_eq!(w.regen_coldkey(&m, &pw("pw"), fast(false)).unwrap().public, public);
}

#[test]
fn a_stale_public_file_is_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let w = Wallet::open_or_create(tmp.path(), "w").unwrap();
    w.create_coldkey(WordCount::W12, &pw("pw"), fast(false)).unwrap();
    let stranger = Mnemonic::generate(WordCount::W12).unwrap().keypair().public();
    fs::write(w.dir().join("coldkeypub.txt"), stranger.to_address()).unwrap();
    assert!(matches!(w.coldkey_public(), Err(WalletError::PublicMismatch { .. })));
}

#[test]
fn missing_things_say_how_to_create_them() {
    let tmp = tempfile::tempdir().unwrap();
    let err = Wallet::open(tmp.path(), "nope").unwrap_err();
    assert!(err.to_string().contains("tau wallet new-coldkey --wallet nope"), "{err}");
    let w = Wallet::open_or_create(tmp.path(), "w").unwrap();
    let err = w.coldkey_public().unwrap_err();
    assert!(matches!(err, WalletError::NoColdkey { .. }), "{err}");
    let err = w.hotkey("h").unwrap_err();
    assert!(err.to_string().contains("tau wallet new-hotkey --hotkey h"), "{err}");
    assert!(matches!(Wallet::open(tmp.path(), "../etc"), Err(WalletError::InvalidName { .. })));
    assert!(matches!(w.hotkey("../x"), Err(WalletError::InvalidName { .. })));
}

#[test]
fn damaged_files_are_listed_as_problems_without_hiding_the_rest() {
    let tmp = tempfile::tempdir().unwrap();
    let w = Wallet::open_or_create(tmp.path(), "w").unwrap();
    let (_, good) = w.create_hotkey("good", WordCount::W12, None, fast(false)).unwrap();
    w.create_hotkey("bad", WordCount::W12, None, fast(false)).unwrap();
    let bad_path = w.hotkey_path("bad").unwrap();
    let bytes = fs::read(&bad_path).unwrap();
    fs::write(&bad_path, &bytes[..bytes.len() / 2]).unwrap();

    let all = list_wallets(tmp.path()).unwrap();
    assert_eq!(all.len(), 1);
    let s = &all[0];
    assert_eq!(s.coldkey, None);
    assert_eq!(s.hotkeys.len(), 1);
    assert_eq!(s.hotkeys[0].public, good.public);
    assert_eq!(s.problems.len(), 1);
    assert!(s.problems[0].contains(&bad_path.display().to_string()), "{:?}", s.problems);
    assert!(w.hotkeys().is_err(), "the strict listing fails on a damaged file");
}

#[test]
fn query_keys_are_the_coldkey_and_every_hotkey() {
    let tmp = tempfile::tempdir().unwrap();
    let w = Wallet::open_or_create(tmp.path(), "w").unwrap();
    let (_, ck) = w.create_coldkey(WordCount::W12, &pw("pw"), fast(false)).unwrap();
    let (_, a) = w.create_hotkey("a", WordCount::W12, None, fast(false)).unwrap();
    let (_, b) = w.create_hotkey("b", WordCount::W12, Some(&pw("x")), fast(false)).unwrap();
    assert_eq!(
        w.query_keys().unwrap(),
        QueryKeys {
            coldkey: Some(ck.public),
            hotkeys: vec![("a".into(), a.public), ("b".into(), b.public)]
        }
    );
}

#[cfg(unix)]
#[test]
fn modes_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("wallets");
    let w = Wallet::open_or_create(&root, "w").unwrap();
    w.create_coldkey(WordCount::W12, &pw("pw"), fast(false)).unwrap();
    w.create_hotkey("h", WordCount::W12, None, fast(false)).unwrap();
    let mode = |p: PathBuf| fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(root.clone()), 0o700);
    assert_eq!(mode(w.dir().to_path_buf()), 0o700);
    assert_eq!(mode(w.dir().join("hotkeys")), 0o700);
    assert_eq!(mode(w.coldkey_path()), 0o600);
    assert_eq!(mode(w.hotkey_path("h").unwrap()), 0o600);
}
