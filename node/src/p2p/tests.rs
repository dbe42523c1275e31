//! Two real swarms on loopback: gossip flows, garbage is rejected and costs score, sync requests
//! round-trip. Waits are bounded and generous; nothing asserts on speed.

use std::time::Duration;

use protocol::ids::{ChainId, Height, NetUid};
use protocol::keys::Keypair;
use protocol::transaction::{Payload, Transaction};
use protocol::wire::{SyncRequest, SyncResponse};
use protocol::{Rao, codec};
use tokio::sync::mpsc;
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

async fn spawn(
    seed: u8,
    bootnodes: Vec<Multiaddr>,
) -> (NetworkHandle, mpsc::Receiver<NetworkEvent>, Multiaddr) {
    let mut cfg = config();
    cfg.bootnodes = bootnodes;
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
    to: &mut mpsc::Receiver<NetworkEvent>,
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
        codec::encode(&tx),
        |g| matches!(&g.message, GossipMessage::Transaction(t) if **t == tx),
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
        while let Ok(ev) = b_events.try_recv() {
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
