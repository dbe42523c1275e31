//! `tau wallet …` end to end: the built binary, a temporary wallet directory, passwords from the
//! environment or a file, and the files it leaves behind. Cheap KDF parameters (the hidden test
//! knob) everywhere but `the_default_kdf_is_the_strong_one`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use node::wallet::{Password, Wallet};
use serde_json::Value;

struct Tau {
    tmp: tempfile::TempDir,
}

impl Tau {
    fn new() -> Tau {
        Tau { tmp: tempfile::tempdir().unwrap() }
    }

    fn wallets(&self) -> PathBuf {
        self.tmp.path().join("wallets")
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_tau"));
        cmd.arg("wallet")
            .arg("--wallet-dir")
            .arg(self.wallets())
            .args(args)
            // Nothing from the developer's environment or home directory leaks in.
            .env("HOME", self.tmp.path())
            .env_remove("TAU_WALLET_DIR")
            .env_remove("TAU_WALLET_PASSWORD")
            .env_remove("TAU_API")
            .env("TAU_WALLET_INSECURE_TEST_KDF", "1")
            .stdin(Stdio::null());
        cmd
    }

    /// Runs with `TAU_WALLET_PASSWORD` set (if given) and `stdin` piped in (if given).
    fn run(&self, args: &[&str], password: Option<&str>, stdin: Option<&str>) -> Output {
        let mut cmd = self.command(args);
        if let Some(pw) = password {
            cmd.env("TAU_WALLET_PASSWORD", pw);
        }
        let Some(input) = stdin else { return cmd.output().unwrap() };
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    }

    /// Runs, expects success, and parses stdout as JSON.
    fn json(&self, args: &[&str], password: Option<&str>, stdin: Option<&str>) -> Value {
        let mut args = args.to_vec();
        args.push("--json");
        let out = self.run(&args, password, stdin);
        assert!(out.status.success(), "tau wallet {args:?} failed: {}", stderr(&out));
        serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)))
    }

    fn wallet(&self, name: &str) -> Wallet {
        Wallet::open(&self.wallets(), name).unwrap()
    }
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn failure(out: &Output) -> String {
    assert!(
        !out.status.success(),
        "expected a failure; stdout: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    stderr(out)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn coldkey_created_then_regenerated_from_its_mnemonic_is_the_same_key() {
    let tau = Tau::new();
    let created = tau.json(&["new-coldkey", "-w", "alice"], Some("pw-one"), None);
    assert_eq!(created["key"], "coldkey");
    assert_eq!(created["encrypted"], true);
    let mnemonic = created["mnemonic"].as_str().unwrap();
    assert_eq!(mnemonic.split(' ').count(), 12);
    let address = created["address"].as_str().unwrap();
    assert!(address.starts_with("tau1"));

    // Restore into another wallet with another password, the password from a file this time.
    let pw_file = tau.tmp.path().join("pw");
    std::fs::write(&pw_file, "pw-two\n").unwrap();
    let pw_file = pw_file.to_str().unwrap();
    let args = ["regen-coldkey", "-w", "bob", "--mnemonic", mnemonic, "--password-file", pw_file];
    let restored = tau.json(&args, None, None);
    assert_eq!(restored["address"], address);
    assert!(restored.get("mnemonic").is_none(), "a restore does not print the words back");

    let a = tau.wallet("alice").unlock_coldkey(&Password::new("pw-one")).unwrap();
    let b = tau.wallet("bob").unlock_coldkey(&Password::new("pw-two")).unwrap();
    assert_eq!(a.secret_bytes(), b.secret_bytes());

    let shown = tau.json(&["show", "-w", "bob"], None, None);
    assert_eq!(shown["coldkey"], address);
    let out = tau.run(&["check", "-w", "bob", "--password-file", pw_file], None, None);
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn hotkey_created_then_regenerated_from_stdin_is_the_same_key() {
    let tau = Tau::new();
    let created = tau.json(&["new-hotkey", "--hotkey", "miner", "--words", "24"], None, None);
    assert_eq!(created["encrypted"], false);
    let mnemonic = created["mnemonic"].as_str().unwrap();
    assert_eq!(mnemonic.split(' ').count(), 24);

    let piped = format!("{mnemonic}\n");
    let restored = tau.json(&["regen-hotkey", "--hotkey", "copy"], None, Some(&piped));
    assert_eq!(restored["address"], created["address"]);
    let encrypted =
        tau.json(&["regen-hotkey", "--hotkey", "locked", "--encrypt"], Some("hk"), Some(&piped));
    assert_eq!(encrypted["encrypted"], true);
    assert_eq!(encrypted["address"], created["address"]);

    let w = tau.wallet("default");
    let miner = w.hotkey("miner").unwrap();
    assert_eq!(w.hotkey("copy").unwrap().secret_bytes(), miner.secret_bytes());
    assert_eq!(
        w.unlock_hotkey("locked", &Password::new("hk")).unwrap().secret_bytes(),
        miner.secret_bytes()
    );
}

#[test]
fn wrong_password_is_a_clear_error_and_a_failure() {
    let tau = Tau::new();
    tau.json(&["new-coldkey"], Some("right"), None);
    let err = failure(&tau.run(&["check"], Some("wrong"), None));
    assert!(err.contains("wrong password, or the file is damaged"), "{err}");
    assert!(err.contains("coldkey"), "the file is named: {err}");
    assert!(!err.contains("panicked"), "{err}");
    let ok = tau.json(&["check"], Some("right"), None);
    assert_eq!(ok["key"], "coldkey");
}

#[test]
fn the_encrypted_file_does_not_contain_the_secret() {
    let tau = Tau::new();
    tau.json(&["new-coldkey"], Some("pw"), None);
    tau.json(&["new-hotkey", "--hotkey", "h", "--encrypt"], Some("pw"), None);
    let w = tau.wallet("default");
    for (path, key) in [
        (w.coldkey_path(), w.unlock_coldkey(&Password::new("pw")).unwrap()),
        (w.hotkey_path("h").unwrap(), w.unlock_hotkey("h", &Password::new("pw")).unwrap()),
    ] {
        let bytes = std::fs::read(&path).unwrap();
        let secret = key.secret_bytes();
        assert!(!contains(&bytes, &secret), "{} holds the raw secret", path.display());
        assert!(
            !contains(&bytes, hex::encode(secret).as_bytes()),
            "{} holds its hex",
            path.display()
        );
        assert!(!contains(&bytes, hex::encode_upper(secret).as_bytes()));
        assert!(!contains(&bytes, b"pw\""), "nor the password");
    }
}

#[test]
fn files_are_private() {
    let tau = Tau::new();
    tau.json(&["new-coldkey"], Some("pw"), None);
    tau.json(&["new-hotkey", "--hotkey", "h"], None, None);
    let w = tau.wallet("default");
    assert_eq!(mode(&tau.wallets()), 0o700);
    assert_eq!(mode(w.dir()), 0o700);
    assert_eq!(mode(&w.dir().join("hotkeys")), 0o700);
    assert_eq!(mode(&w.coldkey_path()), 0o600);
    assert_eq!(mode(&w.hotkey_path("h").unwrap()), 0o600);
    let coldkeypub = std::fs::read_to_string(w.dir().join("coldkeypub.txt")).unwrap();
    assert_eq!(coldkeypub.trim(), w.coldkey_public().unwrap().to_address());
    assert!(w.dir().join("hotkeys").join("h.pub.txt").is_file());
}

#[test]
fn keys_are_not_replaced_without_overwrite_and_confirmation() {
    let tau = Tau::new();
    let first = tau.json(&["new-coldkey"], Some("pw"), None);
    let path = tau.wallet("default").coldkey_path();
    let before = std::fs::read(&path).unwrap();

    let err = failure(&tau.run(&["new-coldkey"], Some("pw"), None));
    assert!(err.contains("already exists") && err.contains("--overwrite"), "{err}");
    let err = failure(&tau.run(&["new-coldkey", "--overwrite"], Some("pw"), None));
    assert!(err.contains("-y"), "a script must confirm explicitly: {err}");
    let mnemonic = first["mnemonic"].as_str().unwrap();
    let err = failure(&tau.run(&["regen-coldkey", "--mnemonic", mnemonic], Some("pw"), None));
    assert!(err.contains("already exists"), "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), before, "the key is untouched");

    let second = tau.json(&["new-coldkey", "--overwrite", "-y"], Some("pw"), None);
    assert_ne!(second["address"], first["address"]);
    assert_eq!(tau.json(&["show"], None, None)["coldkey"], second["address"]);
}

#[test]
fn list_and_show_print_parseable_json_without_a_password() {
    let tau = Tau::new();
    assert_eq!(tau.json(&["list"], None, None)["wallets"], Value::Array(vec![]));
    let ck = tau.json(&["new-coldkey", "-w", "a"], Some("pw"), None);
    let h1 = tau.json(&["new-hotkey", "-w", "a", "--hotkey", "h1"], None, None);
    tau.json(&["new-hotkey", "-w", "b", "--hotkey", "h2", "--encrypt"], Some("pw"), None);

    let list = tau.json(&["list"], None, None);
    let wallets = list["wallets"].as_array().unwrap();
    assert_eq!(wallets.len(), 2);
    assert_eq!(wallets[0]["name"], "a");
    assert_eq!(wallets[0]["coldkey"], ck["address"]);
    assert_eq!(wallets[0]["hotkeys"][0]["address"], h1["address"]);
    assert_eq!(wallets[1]["coldkey"], Value::Null, "a hotkey-only wallet");
    assert_eq!(wallets[1]["hotkeys"][0]["encrypted"], true);

    let shown = tau.json(&["address", "-w", "a", "--hotkey", "h1"], None, None);
    assert_eq!(shown["hotkeys"].as_array().unwrap().len(), 1);
    assert_eq!(shown["hotkeys"][0]["address"], h1["address"]);

    let text = tau.run(&["list"], None, None);
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(text.contains(ck["address"].as_str().unwrap()), "{text}");
}

#[test]
fn damaged_and_missing_files_give_errors_naming_them() {
    let tau = Tau::new();
    tau.json(&["new-coldkey"], Some("pw"), None);
    let path = tau.wallet("default").coldkey_path();
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    let err = failure(&tau.run(&["check"], Some("pw"), None));
    assert!(err.contains(&path.display().to_string()) && err.contains("not a valid"), "{err}");

    let shown = tau.json(&["show"], None, None);
    assert!(shown["problems"][0].as_str().unwrap().contains("not a valid"), "{shown}");

    let err = failure(&tau.run(&["show", "-w", "nobody"], None, None));
    assert!(err.contains("tau wallet new-coldkey --wallet nobody"), "{err}");
    let err = failure(&tau.run(&["show", "--hotkey", "nope"], None, None));
    assert!(err.contains("new-hotkey --hotkey nope"), "{err}");
    let err = failure(&tau.run(&["new-coldkey", "-w", "../x"], Some("pw"), None));
    assert!(err.contains("invalid wallet name"), "{err}");
}

#[test]
fn bad_input_is_refused_clearly() {
    let tau = Tau::new();
    let err = failure(&tau.run(&["new-coldkey"], None, None));
    assert!(err.contains("TAU_WALLET_PASSWORD") && err.contains("--password-file"), "{err}");
    let err = failure(&tau.run(&["new-coldkey"], Some(""), None));
    assert!(err.contains("empty"), "{err}");
    let err = failure(&tau.run(&["new-coldkey", "--words", "13"], Some("pw"), None));
    assert!(err.contains("12, 15, 18, 21 or 24"), "{err}");
    let bad = "abandon ".repeat(12);
    let err = failure(&tau.run(&["regen-coldkey", "--mnemonic", &bad], Some("pw"), None));
    assert!(err.contains("invalid mnemonic"), "{err}");
}

#[test]
fn balance_and_overview_say_when_no_node_answers() {
    let tau = Tau::new();
    let ck = tau.json(&["new-coldkey"], Some("pw"), None);
    for cmd in ["balance", "overview"] {
        let err = failure(&tau.run(&[cmd, "--api", "http://127.0.0.1:1"], None, None));
        assert!(err.contains("--api URL") && err.contains("could not reach the node API"), "{err}");
        assert!(ck["address"].as_str().is_some());
    }
}

#[test]
fn the_default_kdf_is_the_strong_one() {
    let tau = Tau::new();
    let out = tau
        .command(&["new-coldkey", "--json"])
        .env_remove("TAU_WALLET_INSECURE_TEST_KDF")
        .env("TAU_WALLET_PASSWORD", "pw")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let file: Value =
        serde_json::from_slice(&std::fs::read(tau.wallet("default").coldkey_path()).unwrap())
            .unwrap();
    let kdf = &file["encrypted"]["kdf"];
    assert_eq!(
        (&kdf["name"], &kdf["m_cost_kib"], &kdf["t_cost"], &kdf["p_cost"]),
        (&"argon2id".into(), &65536.into(), &3.into(), &1.into())
    );
}
