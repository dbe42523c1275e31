//! Two real swarms on loopback: gossip flows, garbage is rejected and costs score, sync requests
//! round-trip. Waits are bounded and generous; nothing asserts on speed.

use std::time::Duration;

use protocol::ids::{ChainId, Height, NetUid};
use protocol::keys::Keypair;
use protocol::transaction::{Payload, Transaction};
use protocol::wire::{SyncRequest, SyncResponse, TransactionBatch};
use protocol::{Rao, codec};
use tokio::time::{Instant, timeout};

use super::*;

const PATIENCE: Duration = Duration::from_secs(30);

fn chain() -> ChainId {
    ChainId::new("tau-p2p-test").unwrap()
}

fn config() -> P2pConfig {
    let mut c = P2pConfig::new(chain());
    c.listen = vec!["/ip4/127.0.0.1/tcp/0".parse().unwrap()];
    c.subnets = vec![NetUid(1)];
    c
}

async fn spawn(seed: u8, bootnodes: Vec<Multiaddr>) -> (NetworkHandle, NetworkEvents, Multiaddr) {
    let mut cfg = config();
    cfg.bootnodes = bootnodes;
    start_listening(seed, cfg).await
}

/// Starts a network under the key of `seed` and waits for its listen address (with its peer id).
pub(super) async fn start_listening(
    seed: u8,
    cfg: P2pConfig,
) -> (NetworkHandle, NetworkEvents, Multiaddr) {
    let (handle, mut events, actor) = start(&Keypair::from_seed(&[seed; 32]), cfg).unwrap();
    let peer = actor.local_peer_id();
    tokio::spawn(actor.run());
    let addr = loop {
        match timeout(PATIENCE, events.recv()).await {
            Ok(Some(NetworkEvent::Listening(a))) => break a,
            Ok(Some(_)) => continue,
            other => panic!("no listen address: {other:?}"),
        }
    };
    (handle, events, addr.with(libp2p::multiaddr::Protocol::P2p(peer)))
}

/// Publishes until the receiver sees a gossip message matching `want` (the mesh takes a
/// heartbeat or two to form), or gives up after PATIENCE.
async fn publish_until_seen(
    from: &NetworkHandle,
    to: &mut NetworkEvents,
    topic: TopicKind,
    data: Vec<u8>,
    want: impl Fn(&InboundGossip) -> bool,
) -> InboundGossip {
    let deadline = Instant::now() + PATIENCE;
    loop {
        assert!(Instant::now() < deadline, "message never arrived");
        let _ = from.publish(topic, data.clone()).await;
        let until = Instant::now() + Duration::from_millis(500);
        while let Ok(Some(ev)) = tokio::time::timeout_at(until, to.recv()).await {
            if let NetworkEvent::Gossip(g) = ev
                && want(&g)
            {
                return *g;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gossip_sync_and_garbage_between_two_nodes() {
    let (a, mut a_events, a_addr) = spawn(1, vec![]).await;
    let (b, mut b_events, _) = spawn(2, vec![a_addr]).await;
    let a_peer = identity::peer_id(&Keypair::from_seed(&[1; 32]).public()).unwrap();

    // A signed transaction published by A reaches B, decoded.
    let k = Keypair::from_seed(&[9; 32]);
    let tx = Transaction::sign(&k, &chain(), 0, Rao(1), Payload::OptInValidator);
    let g = publish_until_seen(
        &a,
        &mut b_events,
        TopicKind::Transactions,
        codec::encode(&TransactionBatch { transactions: vec![tx.clone()] }),
        |g| matches!(&g.message, GossipMessage::Transactions(b) if b.transactions == [tx.clone()]),
    )
    .await;
    assert_eq!(g.propagation_source, a_peer);
    b.validate(g.id, g.propagation_source, MessageAcceptance::Accept).await;

    // Garbage on every topic is rejected by B's network actor and costs A score.
    for (i, topic) in [TopicKind::Consensus, TopicKind::Transactions, TopicKind::Weights(NetUid(1))]
        .into_iter()
        .enumerate()
    {
        for j in 0..3u8 {
            let _ = a.publish(topic, vec![0xff, i as u8, j, 0x17, 0x42]).await;
        }
    }
    let deadline = Instant::now() + PATIENCE;
    loop {
        let status = b.status().await;
        let score = status.scores.iter().find(|(p, _)| *p == a_peer).map(|(_, s)| *s);
        if score.is_some_and(|s| s < 0.0) {
            break;
        }
        assert!(Instant::now() < deadline, "garbage never cost the sender score: {score:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
        // Drain B's events so the actor never blocks on a full queue.
        while let Some(ev) = b_events.try_recv() {
            assert!(
                !matches!(ev, NetworkEvent::Gossip(_)),
                "garbage must never reach the node: {ev:?}"
            );
        }
    }

    // Sync: B asks A for blocks; A's node answers through its handle.
    let responder = tokio::spawn(async move {
        while let Some(ev) = a_events.recv().await {
            if let NetworkEvent::SyncRequest { request, channel, .. } = ev {
                a.respond_sync(channel, SyncResponse { blocks: vec![], tip: request.to }).await;
            }
        }
    });
    let resp = timeout(PATIENCE, b.sync(a_peer, SyncRequest { from: Height(1), to: Height(5) }))
        .await
        .expect("sync timed out")
        .expect("sync failed");
    assert_eq!(resp.tip, Height(5));
    responder.abort();
}

async fn wait_connected(h: &NetworkHandle, events: &mut NetworkEvents, peer: PeerId, want: bool) {
    let deadline = Instant::now() + PATIENCE;
    loop {
        while events.try_recv().is_some() {}
        if h.status().await.connected_peers.contains(&peer) == want {
            return;
        }
        assert!(Instant::now() < deadline, "peer {peer} connected={want} never came true");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocking_a_peer_cuts_the_link_and_unblocking_restores_it() {
    let (a, mut a_events, a_addr) = spawn(3, vec![]).await;
    let (b, mut b_events, b_addr) = spawn(4, vec![a_addr.clone()]).await;
    let a_peer = identity::peer_id(&Keypair::from_seed(&[3; 32]).public()).unwrap();
    let b_peer = identity::peer_id(&Keypair::from_seed(&[4; 32]).public()).unwrap();
    wait_connected(&a, &mut a_events, b_peer, true).await;

    // A refuses B: the connection closes and B's redials are denied.
    assert_eq!(a.block_peers(vec![b_peer]).await.unwrap(), vec![b_peer]);
    wait_connected(&a, &mut a_events, b_peer, false).await;
    wait_connected(&b, &mut b_events, a_peer, false).await;
    b.dial(a_addr.clone()).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(!a.status().await.connected_peers.contains(&b_peer), "a blocked peer got back in");
    assert_eq!(a.blocked_peers().await.unwrap(), vec![b_peer]);

    // Unblocking redials B at the address given; the link is back without anyone else's help.
    assert!(a.unblock_peers(vec![b_peer], vec![b_addr]).await.unwrap().is_empty());
    wait_connected(&a, &mut a_events, b_peer, true).await;
}

/// A healed partition is a quiet network: every validator only re-sends what it sent before.
/// Those re-sends must get through once the duplicate window has passed (see `resend.rs`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identical_consensus_resends_get_through_a_quiet_network() {
    use protocol::consensus::{Vote, VoteKind};
    use protocol::ids::Round;
    use protocol::wire::ConsensusMessage;

    let (a, _a_events, a_addr) = spawn(5, vec![]).await;
    let (_b, mut b_events, _) = spawn(6, vec![a_addr]).await;
    let vote = Vote::sign(
        &Keypair::from_seed(&[7; 32]),
        &chain(),
        VoteKind::Prevote,
        Height(3),
        Round(0),
        None,
    );
    let bytes = codec::encode(&ConsensusMessage::Vote(vote.clone()));
    let is_vote = |g: &InboundGossip| matches!(&g.message, GossipMessage::Consensus(ConsensusMessage::Vote(v)) if *v == vote);
    publish_until_seen(&a, &mut b_events, TopicKind::Consensus, bytes.clone(), is_vote).await;

    // Nothing else is said on any topic: only the same bytes again, once a second.
    let deadline = Instant::now() + super::resend::EPOCH * 3;
    loop {
        assert!(Instant::now() < deadline, "the re-sent vote never arrived again");
        let _ = a.publish(TopicKind::Consensus, bytes.clone()).await;
        let until = Instant::now() + Duration::from_secs(1);
        let mut again = false;
        while let Ok(Some(ev)) = tokio::time::timeout_at(until, b_events.recv()).await {
            again |= matches!(&ev, NetworkEvent::Gossip(g) if is_vote(g));
        }
        if again {
            break;
        }
    }
}

/// The transaction lane is bounded in bytes as well as messages: a message that would pass
/// either bound is refused (the actor sheds it), and room comes back as the intake reads.
#[tokio::test]
async fn the_transaction_lane_sheds_past_its_byte_bound() {
    use super::ingress::LaneRefusal;
    let gossip = |n: u8, size: usize| InboundGossip {
        id: MessageId::from(vec![n]),
        propagation_source: PeerId::random(),
        topic: TopicKind::Transactions,
        size,
        message: GossipMessage::Transactions(Box::new(TransactionBatch { transactions: vec![] })),
    };
    let (sender, mut lane) = TransactionLane::channel(3, 250);
    sender.try_send(gossip(1, 100)).unwrap();
    sender.try_send(gossip(2, 100)).unwrap();
    assert_eq!(sender.try_send(gossip(3, 100)).err(), Some(LaneRefusal::Full), "bytes");
    assert_eq!(lane.try_recv().map(|g| g.id), Some(MessageId::from(vec![1])));
    sender.try_send(gossip(3, 100)).unwrap();
    sender.try_send(gossip(4, 10)).unwrap();
    assert_eq!(sender.try_send(gossip(5, 10)).err(), Some(LaneRefusal::Full), "messages");
    assert_eq!(lane.recv().await.map(|g| g.id), Some(MessageId::from(vec![2])));
    sender.try_send(gossip(5, 10)).unwrap();
    drop(lane);
    assert_eq!(sender.try_send(gossip(6, 1)).err(), Some(LaneRefusal::Closed));
}

/// A transaction published while no peer is there is held, and goes out once a peer subscribes:
/// a full node that takes a submission before it has peers still gets it to the validators.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gossip_published_before_any_peer_goes_out_when_one_subscribes() {
    let (a, _a_events, a_addr) = spawn(11, vec![]).await;
    let k = Keypair::from_seed(&[12; 32]);
    let tx = Transaction::sign(&k, &chain(), 0, Rao(1), Payload::OptInValidator);
    let batch = TransactionBatch { transactions: vec![tx.clone()] };
    assert!(a.publish_detached(TopicKind::Transactions, codec::encode(&batch)).await);
    // Only now does a peer appear; nobody publishes again.
    let (_b, mut b_events, _) = spawn(13, vec![a_addr]).await;
    let deadline = Instant::now() + PATIENCE;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match timeout(left, b_events.recv()).await {
            Ok(Some(NetworkEvent::Gossip(g))) => {
                if matches!(&g.message, GossipMessage::Transactions(b) if b.transactions == [tx.clone()])
                {
                    break;
                }
            }
            Ok(Some(_)) => continue,
            other => panic!("the held transaction never arrived: {other:?}"),
        }
    }
}
