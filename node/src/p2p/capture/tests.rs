//! Three real swarms on loopback, all connected, capturing: a publish at one node shows up as a
//! `publish` there and a `receive` with the same id at the others, copies as `duplicate`s, and
//! the live feed carries the same records. Waits are bounded; nothing asserts on speed.

use std::path::Path;
use std::time::Duration;

use protocol::Rao;
use protocol::codec;
use protocol::ids::{ChainId, NetUid};
use protocol::keys::Keypair;
use protocol::transaction::{Payload, Transaction};
use tokio::time::Instant;

use crate::p2p::{
    MessageAcceptance, Multiaddr, NetworkEvent, NetworkEvents, NetworkHandle, P2pConfig, TopicKind,
};

use super::{Kind, Record};

const PATIENCE: Duration = Duration::from_secs(30);

fn chain() -> ChainId {
    ChainId::new("tau-capture-test").unwrap()
}

async fn spawn(seed: u8, dir: &Path, bootnodes: Vec<Multiaddr>) -> (NetworkHandle, Multiaddr) {
    let mut cfg = P2pConfig::new(chain());
    cfg.listen = vec!["/ip4/127.0.0.1/tcp/0".parse().unwrap()];
    cfg.subnets = vec![NetUid(1)];
    cfg.bootnodes = bootnodes;
    cfg.capture_dir = Some(dir.to_path_buf());
    let (handle, events, addr) = crate::p2p::tests::start_listening(seed, cfg).await;
    // Accept every decodable message, so that nodes forward what they receive.
    tokio::spawn(accept_all(handle.clone(), events));
    (handle, addr)
}

async fn accept_all(net: NetworkHandle, mut events: NetworkEvents) {
    while let Some(ev) = events.recv().await {
        if let NetworkEvent::Gossip(g) = ev {
            net.validate(g.id, g.propagation_source, MessageAcceptance::Accept).await;
        }
    }
}

fn read_dir(dir: &Path) -> Vec<Record> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let f = std::fs::File::open(entry.unwrap().path()).unwrap();
        testnet::capture::read_records(std::io::BufReader::new(f), |r| out.push(r)).unwrap();
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publishes_receipts_and_duplicates_are_captured_with_matching_ids() {
    let dirs: Vec<_> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    let (a, a_addr) = spawn(1, dirs[0].path(), vec![]).await;
    let (_b, b_addr) = spawn(2, dirs[1].path(), vec![a_addr.clone()]).await;
    let (c, _) = spawn(3, dirs[2].path(), vec![a_addr, b_addr]).await;
    let mut feed = c.gossip_feed().await.expect("feed");

    // Publish distinct transactions until C has received some over a full mesh, so that at
    // least one reached C both from A and through B.
    let key = Keypair::from_seed(&[9; 32]);
    let deadline = Instant::now() + PATIENCE;
    let mut published = Vec::new();
    let mut nonce = 0u64;
    let mut live_receipt = None;
    while live_receipt.is_none() || published.len() < 5 {
        assert!(Instant::now() < deadline, "no receipt reached C's feed");
        let tx = Transaction::sign(&key, &chain(), nonce, Rao(1), Payload::OptInValidator);
        nonce += 1;
        let batch = protocol::wire::TransactionBatch { transactions: vec![tx] };
        if let Ok(id) = a.publish(TopicKind::Transactions, codec::encode(&batch)).await {
            published.push(hex::encode(&id.0));
        }
        let until = Instant::now() + Duration::from_millis(300);
        while let Ok(Ok(r)) = tokio::time::timeout_at(until, feed.recv()).await {
            if r.kind == Kind::Receive {
                live_receipt = Some(r);
            }
        }
    }
    let live = live_receipt.unwrap();
    assert_eq!(live.payload.as_deref(), Some("transaction"));
    assert_eq!(live.source, Some(key.public().to_address()));

    // Files are flushed twice a second; wait for a duplicate to be counted and written.
    let deadline = Instant::now() + PATIENCE;
    let (a_recs, b_recs, c_recs) = loop {
        let recs: Vec<Vec<Record>> = dirs.iter().map(|d| read_dir(d.path())).collect();
        let dups: u64 = recs[1..]
            .iter()
            .flatten()
            .filter(|r| r.kind == Kind::Duplicate)
            .filter_map(|r| r.count)
            .sum();
        if dups > 0 {
            let mut it = recs.into_iter();
            break (it.next().unwrap(), it.next().unwrap(), it.next().unwrap());
        }
        assert!(Instant::now() < deadline, "no duplicate copy was ever counted");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };

    for recs in [&a_recs, &b_recs, &c_recs] {
        assert_eq!(recs[0].kind, Kind::Start, "each file starts with a start record");
        assert!(recs.iter().any(|r| r.kind == Kind::Mesh));
    }
    let a_pub: Vec<&Record> = a_recs.iter().filter(|r| r.kind == Kind::Publish).collect();
    assert_eq!(a_pub.len(), published.len(), "one publish record per accepted publish");
    let first = a_pub[0];
    assert_eq!(first.topic.as_deref(), Some("tau/tau-capture-test/tx"));
    assert_eq!(first.source, Some(key.public().to_address()));
    // The same message id at the publisher and at a receiver, with the forwarder recorded.
    let at_c = c_recs
        .iter()
        .find(|r| r.kind == Kind::Receive && r.id == live.id)
        .expect("the live receipt is also in C's file");
    assert!(published.contains(at_c.id.as_ref().unwrap()));
    assert!(at_c.forwarder.is_some());
    assert!(at_c.time_ns >= a_pub.iter().find(|p| p.id == at_c.id).unwrap().time_ns);
    assert!(
        !a_recs
            .iter()
            .any(|r| r.kind == Kind::Receive && r.payload.as_deref() == Some("transaction")),
        "A only published"
    );
}
