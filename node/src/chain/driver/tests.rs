use super::*;
use crate::chain::intake::CheckedGossip;
use crate::p2p::{MessageAcceptance, MessageId, PeerId};
use protocol::Rao;
use testnet::TestnetSpec;

/// Regression (issue #6): an idle driver probes a peer by sync; it used to await the reply in
/// its own loop for up to 5 s, so under load every node sat in its probe while the peer's
/// request to it queued, and consensus stalled for good. The loop must stay responsive.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unanswered_sync_request_does_not_block_the_driver() {
    let spec = TestnetSpec {
        chain_id: ChainId::new("tau-sync-test").unwrap(),
        validators: 1,
        miners: 0,
        subnets: 0,
        block_time_ms: 200,
        seed: Some(3),
    };
    let keys = spec.node_keys().unwrap();
    let genesis = spec.genesis(&keys, 0).unwrap();
    // A follower of a validator that never shows up: the tip never moves, so it probes.
    let cfg = ChainConfig {
        genesis,
        hotkey: keys[0].hotkey.clone(),
        validator: false,
        mempool_capacity: 16,
    };
    let (net, mut sync_requests) = NetworkHandle::unanswering();
    let (events, network) = mpsc::channel(16);
    let store: Arc<dyn Store> = Arc::new(storage::MemoryStore::new());
    let (_gossip, transactions) = TransactionLane::channel(16, 1 << 20);
    let network = crate::p2p::NetworkEvents { priority: network, transactions };
    let (driver, chain) = ChainDriver::new(cfg, store, net, network).unwrap();
    let task = tokio::spawn(driver.run());
    events.send(NetworkEvent::PeerConnected(PeerId::random())).await.unwrap();

    let probe = tokio::time::timeout(Duration::from_secs(10), sync_requests.recv()).await;
    assert!(matches!(probe, Ok(Some(_))), "an idle driver probes its peer");
    // The request is outstanding and will never be answered; the driver still serves.
    for _ in 0..3 {
        let status = tokio::time::timeout(Duration::from_millis(1000), chain.status()).await;
        assert!(
            matches!(status, Ok(Some(_))),
            "the driver is blocked on its own outbound sync request"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    task.abort();
}

/// A driver on an in-memory store for one validator (never started, minimum fee 10 rao), with a
/// network that records the verdicts it is given, and the funded coldkey of the genesis.
fn recording_driver()
-> (ChainDriver, mpsc::UnboundedReceiver<(MessageId, PeerId, MessageAcceptance)>, Keypair) {
    let spec = TestnetSpec::validators_only("tau-verdicts", 1, 200, 5).unwrap();
    let keys = spec.node_keys().unwrap();
    let mut genesis = spec.genesis(&keys, 0).unwrap();
    genesis.economics.min_tx_fee = Rao(10);
    let cfg = ChainConfig {
        genesis,
        hotkey: keys[0].hotkey.clone(),
        validator: false,
        mempool_capacity: 64,
    };
    let (net, verdicts) = NetworkHandle::recording();
    let (_events, priority) = mpsc::channel(16);
    let (_gossip, transactions) = TransactionLane::channel(16, 1 << 20);
    let network = crate::p2p::NetworkEvents { priority, transactions };
    let store: Arc<dyn Store> = Arc::new(storage::MemoryStore::new());
    let (driver, _chain) = ChainDriver::new(cfg, store, net, network).unwrap();
    (driver, verdicts, keys[0].coldkey.clone())
}

/// One gossip message carrying `txs`, as the intake hands it over.
fn message(chain: &ChainId, n: u8, txs: &[Transaction]) -> CheckedGossip {
    let txs = txs.iter().map(|t| VerifiedTransaction::verify(t.clone(), chain).unwrap());
    CheckedGossip { id: MessageId::from(vec![n]), source: PeerId::random(), txs: txs.collect() }
}

async fn verdicts_of(
    driver: &mut ChainDriver,
    verdicts: &mut mpsc::UnboundedReceiver<(MessageId, PeerId, MessageAcceptance)>,
    messages: Vec<CheckedGossip>,
) -> Vec<(u8, MessageAcceptance)> {
    let n = messages.len();
    driver.on_checked_gossip(messages).await;
    let mut out = Vec::new();
    for _ in 0..n {
        let (id, _, verdict) = verdicts.recv().await.unwrap();
        out.push((id.0[0], verdict));
    }
    out
}

/// The verdict on each gossip message: Accept when the mempool took anything; Reject for a fee
/// below the minimum, or for a replay of a transaction included long ago that brought nothing
/// new; Ignore otherwise (a duplicate, or a transaction included too recently to call it a
/// replay: an honest relay may be late).
#[tokio::test]
async fn gossip_verdicts_follow_what_the_mempool_made_of_each_message() {
    use MessageAcceptance::{Accept, Ignore, Reject};
    let (mut driver, mut verdicts, payer) = recording_driver();
    let chain = driver.chain.clone();
    let to = Keypair::from_seed(&[0x55; 32]).public();
    let transfer = |nonce: u64, fee: u64| {
        let payload = Payload::Transfer { to, amount: Rao(1) };
        Transaction::sign(&payer, &chain, nonce, Rao(fee), payload)
    };
    let (t0, t1, t2, t5) = (transfer(0, 10), transfer(1, 10), transfer(2, 10), transfer(5, 10));
    let messages = vec![
        message(&chain, 1, &[t0.clone(), t1.clone()]),
        message(&chain, 2, std::slice::from_ref(&t1)),
        // Nonce 5 waits behind a gap; nonce 0 is a duplicate by now.
        message(&chain, 3, &[t0.clone(), t5.clone()]),
        message(&chain, 4, &[t2.clone(), transfer(3, 9)]),
    ];
    let got = verdicts_of(&mut driver, &mut verdicts, messages).await;
    assert_eq!(got, vec![(1, Accept), (2, Ignore), (3, Accept), (4, Reject)]);

    // Include nonces 0 and 1 (a certificate without signatures: the store does not check them).
    let block = blocks::build(
        &driver.tip,
        driver.hotkey.public(),
        &driver.validators,
        0,
        vec![t0.clone(), t1.clone()],
    );
    let certificate = CommitCertificate {
        height: block.header.height,
        round: Round(0),
        block_hash: block.hash(),
        signatures: Vec::new(),
    };
    driver.commit(block, certificate).unwrap();
    let got = verdicts_of(
        &mut driver,
        &mut verdicts,
        vec![message(&chain, 5, std::slice::from_ref(&t0))],
    )
    .await;
    assert_eq!(got, vec![(5, Ignore)], "just included: a late relay, not a replay");

    let grace = super::super::replays::REPLAY_GRACE;
    let Some(long_ago) = Instant::now().checked_sub(grace * 2) else { return };
    driver.recent.record([t0.hash(), t1.hash()], Height(1), long_ago);
    let messages = vec![
        message(&chain, 6, std::slice::from_ref(&t0)),
        // A replay riding with something new is forwarded for the new part.
        message(&chain, 7, &[t1.clone(), transfer(4, 10)]),
    ];
    let got = verdicts_of(&mut driver, &mut verdicts, messages).await;
    assert_eq!(got, vec![(6, Reject), (7, Accept)]);
}
