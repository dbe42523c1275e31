use super::*;
use crate::p2p::PeerId;
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
    let (_gossip, transactions) = mpsc::channel(16);
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
