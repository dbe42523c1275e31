//! The daily commands end to end: the built `tau` binary against a real one-validator testnet on
//! loopback. A wallet is created, funded from genesis, transfers, stakes, registers a hotkey,
//! reads its weights status and finds itself in the metagraph; every step is checked through the
//! commands' `--json` output. Waits are bounded and generous; nothing asserts on speed.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use protocol::genesis::GenesisAccount;
use protocol::{ChainId, Payload, RAO_PER_TAO, Rao, Transaction};
use serde_json::Value;
use testnet::process::RunningNode;
use testnet::{NodeKeys, TestnetLayout, TestnetSpec, http, orchestrate};

const PATIENCE: Duration = Duration::from_secs(120);
const PASSWORD: &str = "correct horse battery staple";

/// A temporary home with a wallets directory, and the API of the node the commands talk to.
struct User {
    home: tempfile::TempDir,
    api: String,
}

impl User {
    fn new() -> User {
        User { home: tempfile::tempdir().unwrap(), api: "http://127.0.0.1:1".into() }
    }

    fn wallets(&self) -> PathBuf {
        self.home.path().join("wallets")
    }

    /// `tau <args>` with this user's wallets and node, a password in the environment, and no
    /// terminal (so a missing `-y` fails instead of prompting).
    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_tau"))
            .args(args)
            .env("HOME", self.home.path())
            .env("TAU_WALLET_DIR", self.wallets())
            .env("TAU_WALLET_PASSWORD", PASSWORD)
            .env("TAU_WALLET_INSECURE_TEST_KDF", "1")
            .env("TAU_API", &self.api)
            .stdin(Stdio::null())
            .output()
            .unwrap()
    }

    /// Runs with `--json`, expects success, and parses stdout.
    fn json(&self, args: &[&str]) -> Value {
        let mut args = args.to_vec();
        args.push("--json");
        let out = self.run(&args);
        assert!(
            out.status.success(),
            "tau {args:?} failed:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!("tau {args:?} printed no JSON ({e}): {}", String::from_utf8_lossy(&out.stdout))
        })
    }

    /// Runs, expects failure, and returns stderr.
    fn fails(&self, args: &[&str]) -> String {
        let out = self.run(args);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(!out.status.success(), "tau {args:?} should fail; stderr: {stderr}");
        stderr
    }

    /// A wallet with a coldkey and a hotkey `miner`; returns their addresses.
    fn new_wallet(&self, name: &str) -> (String, String) {
        let ck = self.json(&["wallet", "-w", name, "new-coldkey"]);
        let hk = self.json(&["wallet", "-w", name, "new-hotkey", "--hotkey", "miner"]);
        let address = |v: &Value| v["address"].as_str().unwrap().to_string();
        (address(&ck), address(&hk))
    }
}

/// A one-validator testnet with one subnet, whose genesis also funds `extra` coldkeys.
struct Net {
    _dir: tempfile::TempDir,
    layout: TestnetLayout,
    names: Vec<String>,
    node: RunningNode,
    keys: Vec<NodeKeys>,
}

impl Net {
    fn start(chain: &str, extra: &[(&str, u64)]) -> Net {
        let dir = tempfile::tempdir().unwrap();
        let spec = TestnetSpec::validators_only(chain, 1, 500, 7).unwrap();
        let keys = spec.node_keys().unwrap();
        let mut genesis = spec.genesis(&keys, 0).unwrap();
        for (address, tao) in extra {
            genesis.accounts.push(GenesisAccount {
                coldkey: address.parse().unwrap(),
                balance: Rao(tao * RAO_PER_TAO),
            });
        }
        genesis.validate().unwrap();
        let layout = TestnetLayout::write(dir.path(), &genesis, &keys).unwrap();
        let names: Vec<String> = keys.iter().map(|k| k.name.clone()).collect();
        let tau = Path::new(env!("CARGO_BIN_EXE_tau"));
        let mut nodes = orchestrate::start_all(tau, &layout, &keys, PATIENCE).unwrap();
        orchestrate::wait_for_height(&nodes, 2, PATIENCE, |_| {}).unwrap();
        let node = nodes.remove(0);
        Net { _dir: dir, layout, names, node, keys }
    }

    fn api(&self) -> String {
        format!("http://{}", self.node.api)
    }
}

impl Drop for Net {
    fn drop(&mut self) {
        let _ = orchestrate::stop_all(&self.layout, &self.names);
    }
}

fn rao(v: &Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("not an amount in rao: {v}"))
}

#[test]
fn wallet_transfer_stake_register_weights_status_and_metagraph() {
    let mut user = User::new();
    let (alice, _) = user.new_wallet("alice");
    let (bob, bob_miner) = user.new_wallet("bob");
    let net = Net::start("tau-cli-e2e", &[(alice.as_str(), 100)]);
    user.api = net.api();
    let validator_hotkey = net.keys[0].hotkey.public().to_address();

    // Transfer: alice (funded at genesis) sends 12.5 τ to bob; the fee is the chain's minimum (0).
    let sent = user.json(&["transfer", "-w", "alice", "--to", &bob, "--amount", "12.5", "-y"]);
    assert_eq!(sent["ok"], Value::Bool(true), "{sent}");
    assert!(rao(&sent["height"]) >= 1);
    let balance = user.json(&["wallet", "-w", "bob", "balance"]);
    assert_eq!(rao(&balance[0]["account"]["balance"]), 12_500_000_000);

    // Stake: 2 τ into subnet 1's 100 τ pool moves its price by ~4%, so the default 0.5%
    // tolerance refuses before signing and says what tolerance would do.
    let args = ["stake", "add", "-w", "bob", "--netuid", "1", "--hotkey", &validator_hotkey];
    let refused = user.fails(&[&args[..], &["--amount", "2", "-y"]].concat());
    assert!(refused.contains("beyond your tolerance 0.5%"), "{refused}");
    assert!(refused.contains("pass --tolerance "), "{refused}");
    let staked = user.json(&[&args[..], &["--amount", "2", "--tolerance", "5%", "-y"]].concat());
    assert_eq!(staked["ok"], Value::Bool(true), "{staked}");
    let list = user.json(&["stake", "list", "-w", "bob"]);
    assert_eq!(rao(&list["balance"]), 10_500_000_000);
    let stakes = list["stakes"].as_array().unwrap();
    assert_eq!(stakes.len(), 1, "{list}");
    assert_eq!(stakes[0]["hotkey"], Value::String(validator_hotkey.clone()));
    assert_eq!(stakes[0]["netuid"], 1);
    // 2 τ buy about 100·2/102 α from a pool of ~100 τ (emission grows it block by block).
    let alpha = rao(&stakes[0]["stake"]);
    assert!((1_800_000_000..2_000_000_000).contains(&alpha), "{alpha}");

    // Register bob's hotkey on subnet 1: the burn (1 τ at genesis; it can only fall while nobody
    // registers) is paid by the coldkey.
    let subnet = user.json(&["subnet", "show", "--netuid", "1"]);
    let burn = rao(&subnet["subnet"]["registration_burn"]);
    let reg = user.json(&["register", "-w", "bob", "--hotkey", "miner", "--netuid", "1", "-y"]);
    assert_eq!(reg["ok"], Value::Bool(true), "{reg}");
    let registered_at = rao(&reg["height"]);
    let balance = user.json(&["wallet", "-w", "bob", "balance"]);
    let spent = 10_500_000_000 - rao(&balance[0]["account"]["balance"]);
    assert!(spent > 0 && spent <= burn, "spent {spent}, burn {burn}");
    let again = user.fails(&["register", "-w", "bob", "--hotkey", "miner", "--netuid", "1", "-y"]);
    assert!(again.contains("already registered on subnet 1 as uid 1"), "{again}");

    // Weights status: uid 1, next allowed block = registration + the rate limit (5 at genesis).
    let status =
        user.json(&["weights", "status", "-w", "bob", "--hotkey", "miner", "--netuid", "1"]);
    assert_eq!(status["uid"], 1, "{status}");
    assert_eq!(rao(&status["last_update"]), registered_at);
    assert_eq!(rao(&status["next_allowed_block"]), registered_at + 5);
    assert_eq!(status["commit_reveal"], Value::Bool(true));

    // The metagraph shows the new neuron, owned by bob's coldkey.
    let meta = user.json(&["subnet", "show", "--netuid", "1"]);
    let neurons = meta["neurons"].as_array().unwrap();
    let mine = neurons
        .iter()
        .find(|n| n["hotkey"] == Value::String(bob_miner.clone()))
        .unwrap_or_else(|| panic!("hotkey {bob_miner} is not in the metagraph: {meta}"));
    assert_eq!(mine["coldkey"], Value::String(bob.clone()));
    assert_eq!(mine["uid"], 1);
    assert_eq!(rao(&mine["registered_at"]), registered_at);
    // The stake bob delegated shows on the validator's row.
    let owner = neurons.iter().find(|n| n["hotkey"] == Value::String(validator_hotkey.clone()));
    assert!(rao(&owner.unwrap()["stake"]) >= alpha);
    // `tau metagraph` is the same view.
    let meta2 = user.json(&["metagraph", "--netuid", "1"]);
    assert_eq!(meta2["neurons"].as_array().unwrap().len(), neurons.len());
}

#[test]
fn insufficient_balance_names_the_missing_amount_and_a_rejected_tx_has_a_receipt() {
    let mut user = User::new();
    let (poor, _) = user.new_wallet("poor");
    let (broke, _) = user.new_wallet("broke");
    let net = Net::start("tau-cli-poor", &[(poor.as_str(), 3)]);
    user.api = net.api();

    let err = user.fails(&["transfer", "-w", "poor", "--to", &broke, "--amount", "10", "-y"]);
    assert!(err.contains("insufficient balance"), "{err}");
    assert!(err.contains("need 10.000000000 τ"), "{err}");
    assert!(err.contains("have 3.000000000 τ"), "{err}");
    assert!(err.contains("missing 7.000000000 τ"), "{err}");

    // Registering costs the burn: the refusal names it too.
    let subnet = user.json(&["subnet", "show", "--netuid", "1"]);
    let burn = Rao(rao(&subnet["subnet"]["registration_burn"]));
    let err = user.fails(&["register", "-w", "broke", "--hotkey", "miner", "--netuid", "1", "-y"]);
    assert!(err.contains(&format!("registration burn {burn}")), "{err}");
    assert!(err.contains(&format!("missing {burn}")), "{err}");

    // Nothing was signed: the balance and nonce are untouched.
    let balance = user.json(&["wallet", "-w", "poor", "balance"]);
    assert_eq!(rao(&balance[0]["account"]["balance"]), 3 * RAO_PER_TAO);
    assert_eq!(balance[0]["account"]["nonce"], 0);

    // Without -y and without a terminal, a write refuses to prompt.
    let err = user.fails(&["transfer", "-w", "poor", "--to", &broke, "--amount", "1"]);
    assert!(err.contains("Pass -y"), "{err}");

    // A transaction the ledger rejects is still included (fee burned): its receipt says why.
    let sender = &net.keys[0].coldkey;
    let to = broke.parse().unwrap();
    let payload = Payload::Transfer { to, amount: Rao::ZERO };
    let tx = Transaction::sign(sender, &ChainId::new("tau-cli-poor").unwrap(), 0, Rao(0), payload);
    let body = serde_json::to_value(&tx).unwrap();
    http::post(net.node.api, "/transactions", &body).unwrap();
    let path = format!("/transactions/{}", tx.hash());
    let deadline = Instant::now() + PATIENCE;
    let receipt = loop {
        if let Ok(r) = http::get(net.node.api, &path) {
            break r;
        }
        assert!(Instant::now() < deadline, "no receipt for {}", tx.hash());
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(receipt["ok"], Value::Bool(false), "{receipt}");
    assert_eq!(receipt["error"], "amount must be positive", "{receipt}");

    // A batch as canonical bytes: one result per transaction, in order, as with JSON.
    let chain = ChainId::new("tau-cli-poor").unwrap();
    let one = Payload::Transfer { to, amount: Rao(1) };
    let txs: Vec<Transaction> =
        (1..=2).map(|n| Transaction::sign(sender, &chain, n, Rao(0), one.clone())).collect();
    let batch = protocol::wire::TransactionBatch { transactions: txs.clone() };
    let bytes = protocol::codec::encode(&batch);
    let results = http::post_binary(net.node.api, "/transactions/batch", &bytes).unwrap();
    let hashes: Vec<String> = txs.iter().map(|t| t.hash().to_string()).collect();
    assert_eq!(results[0]["hash"], hashes[0].as_str(), "{results}");
    assert_eq!(results[1]["hash"], hashes[1].as_str(), "{results}");
    let again = http::post_binary(net.node.api, "/transactions/batch", &bytes).unwrap();
    assert!(again[0]["error"].as_str().is_some_and(|e| e.contains("already")), "{again}");
    match http::post_binary(net.node.api, "/transactions/batch", &bytes[..bytes.len() - 3]) {
        Err(http::HttpError::Status { status: 400, body, .. }) => {
            assert!(body.contains("not a transaction batch"), "{body}")
        }
        other => panic!("a cut batch must be a 400: {other:?}"),
    }
}

#[test]
fn an_owner_creates_a_subnet_sets_weights_then_commits_and_reveals() {
    let mut user = User::new();
    let (alice, _) = user.new_wallet("alice");
    user.json(&["wallet", "-w", "alice", "new-hotkey", "--hotkey", "owner"]);
    let net = Net::start("tau-cli-weights", &[(alice.as_str(), 1_100)]);
    user.api = net.api();

    // The lock (1000 τ on a new network) creates subnet 2 with short epochs, no commit-reveal.
    let create = ["subnet", "create", "-w", "alice", "--hotkey", "owner", "-y"];
    let params = ["tempo=5", "weights_rate_limit=1", "commit_reveal_enabled=false"];
    let created = user.json(&[&create[..], &params[..]].concat());
    assert_eq!(created["ok"], Value::Bool(true), "{created}");
    let hp = user.json(&["subnet", "hyperparameters", "--netuid", "2"]);
    assert_eq!(hp["hyperparameters"]["tempo"], 5, "{hp}");

    // The owner's hotkey (uid 0) may set weights without a permit.
    let target = ["-w", "alice", "--hotkey", "owner", "--netuid", "2"];
    let set = user.json(
        &[&["weights", "set"][..], &target[..], &["--uids", "0", "--weights", "1", "-y"]].concat(),
    );
    assert_eq!(set["ok"], Value::Bool(true), "{set}");

    // With commit-reveal on, `set` is refused with what to do, and a commit is revealed in its
    // reveal epoch from the salt the wallet kept.
    let on = user.json(&[
        "subnet",
        "set",
        "-w",
        "alice",
        "--netuid",
        "2",
        "commit_reveal_enabled=true",
        "-y",
    ]);
    assert_eq!(on["ok"], Value::Bool(true), "{on}");
    let refused = user.fails(
        &[&["weights", "set"][..], &target[..], &["--uids", "0", "--weights", "1", "-y"]].concat(),
    );
    assert!(refused.contains("tau weights commit"), "{refused}");
    let commit = user.json(
        &[&["weights", "commit"][..], &target[..], &["--uids", "0", "--weights", "1", "-y"]]
            .concat(),
    );
    assert_eq!(commit["ok"], Value::Bool(true), "{commit}");
    let status = user.json(&[&["weights", "status"][..], &target[..]].concat());
    assert_eq!(status["pending_commits"].as_array().unwrap().len(), 1, "{status}");
    assert_eq!(status["saved_commits"].as_array().unwrap().len(), 1, "{status}");
    let deadline = Instant::now() + PATIENCE;
    let reveal = [&["weights", "reveal"][..], &target[..], &["-y", "--json"]].concat();
    loop {
        let out = user.run(&reveal);
        if out.status.success() {
            break;
        }
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("no commit can be revealed yet"), "{err}");
        assert!(Instant::now() < deadline, "never revealed: {err}");
        std::thread::sleep(Duration::from_millis(250));
    }
    let status = user.json(&[&["weights", "status"][..], &target[..]].concat());
    assert!(status["pending_commits"].as_array().unwrap().is_empty(), "{status}");
    assert!(status["saved_commits"].as_array().unwrap().is_empty(), "{status}");
}
