//! What a gossip payload is and who wrote it, for capture records. With anonymous gossip
//! (ADR 004) the author is only known from the signature inside the payload, so that is what
//! `source` reports. Payloads are untrusted bytes: decoding is the codec's bounded decode, and
//! nothing here can panic on any input.

use protocol::codec;
use protocol::transaction::Payload;
use protocol::wire::{ConsensusMessage, TransactionBatch, WeightAnnouncement};

use crate::p2p::ingress::GossipMessage;
use crate::p2p::topics::TopicKind;

/// The decoded view of one payload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Described {
    /// proposal, prevote, precommit, commit, transaction or weights.
    pub payload: &'static str,
    /// The signer, as a `tau1…` address; `None` for a commit certificate, which many sign.
    pub source: Option<String>,
    pub summary: String,
}

/// Describes raw bytes published on `topic`; `Err` carries why they do not decode.
pub fn describe_bytes(topic: TopicKind, data: &[u8]) -> Result<Described, String> {
    let message = match topic {
        // Consensus frames end in the sender's send epoch (resend.rs).
        TopicKind::Consensus => match crate::p2p::resend::open(data) {
            Some(message) => {
                codec::decode::<ConsensusMessage>(message).map(GossipMessage::Consensus)
            }
            None => return Err("a consensus frame too short to hold its send epoch".to_string()),
        },
        TopicKind::Transactions => match codec::decode::<TransactionBatch>(data) {
            Ok(b) if b.check_shape().is_err() => {
                return Err(b.check_shape().err().map(|e| e.to_string()).unwrap_or_default());
            }
            r => r.map(|b| GossipMessage::Transactions(Box::new(b))),
        },
        TopicKind::Weights(_) => match codec::decode::<WeightAnnouncement>(data) {
            // Any transaction decodes here (ADR 009); only a weights payload belongs.
            Ok(a) if a.netuid().is_none() => {
                return Err("a transaction that is not a weight setting".to_string());
            }
            r => r.map(|a| GossipMessage::Weights(Box::new(a))),
        },
    };
    message.map(|m| describe(&m)).map_err(|e| e.to_string())
}

/// Describes a message the network actor already decoded.
pub fn describe(message: &GossipMessage) -> Described {
    match message {
        GossipMessage::Consensus(ConsensusMessage::Proposal(p)) => Described {
            payload: "proposal",
            source: Some(p.body.proposer.to_address()),
            summary: format!(
                "proposal h={} r={} block={} txs={}",
                p.body.height.0,
                p.body.round.0,
                short(&p.body.block_hash.to_hex()),
                p.block.transactions.len()
            ),
        },
        GossipMessage::Consensus(ConsensusMessage::Vote(v)) => {
            let kind = match v.body.kind {
                protocol::consensus::VoteKind::Prevote => "prevote",
                protocol::consensus::VoteKind::Precommit => "precommit",
            };
            let value = v.body.value.map_or("nil".to_string(), |h| short(&h.to_hex()));
            Described {
                payload: kind,
                source: Some(v.body.validator.to_address()),
                summary: format!("{kind} h={} r={} value={value}", v.body.height.0, v.body.round.0),
            }
        }
        GossipMessage::Consensus(ConsensusMessage::Commit(c)) => Described {
            payload: "commit",
            source: None,
            summary: format!(
                "commit h={} r={} block={} signatures={}",
                c.height.0,
                c.round.0,
                short(&c.block_hash.to_hex()),
                c.signatures.len()
            ),
        },
        GossipMessage::Transactions(batch) => match batch.transactions.as_slice() {
            [tx] => Described {
                payload: "transaction",
                source: Some(tx.body.signer.to_address()),
                summary: format!(
                    "{} nonce={} fee={}",
                    payload_summary(&tx.body.payload),
                    tx.body.nonce,
                    tx.body.fee.0
                ),
            },
            // Many signers: none is "the" author.
            txs => Described {
                payload: "transactions",
                source: None,
                summary: format!(
                    "{} transactions, first: {}",
                    txs.len(),
                    txs.first().map_or(String::new(), |t| payload_summary(&t.body.payload))
                ),
            },
        },
        GossipMessage::Weights(a) => describe_weights(a),
    }
}

/// A weight announcement is a signed weights transaction (ADR 009): set, commit or reveal.
fn describe_weights(a: &WeightAnnouncement) -> Described {
    let tx = &a.transaction.body;
    let summary = match &tx.payload {
        Payload::SetWeights { netuid, weights, .. } => {
            format!("set netuid={} uids={} nonce={}", netuid.0, weights.len(), tx.nonce)
        }
        Payload::CommitWeights { netuid, commitment } => {
            format!("commit netuid={} commitment={commitment} nonce={}", netuid.0, tx.nonce)
        }
        Payload::RevealWeights { netuid, weights, .. } => {
            format!("reveal netuid={} uids={} nonce={}", netuid.0, weights.len(), tx.nonce)
        }
        other => format!("not a weights payload: {}", payload_summary(other)),
    };
    Described { payload: "weights", source: Some(a.hotkey().to_address()), summary }
}

fn payload_summary(p: &Payload) -> String {
    match p {
        Payload::Transfer { to, amount } => {
            format!("transfer {} rao to {}", amount.0, short(&to.to_address()))
        }
        Payload::CreateSubnet { .. } => "create-subnet".into(),
        Payload::SetHyperparameters { netuid, .. } => format!("set-hyperparameters {}", netuid.0),
        Payload::RegisterNeuron { netuid, .. } => format!("register netuid={}", netuid.0),
        Payload::ServeEndpoint { netuid, .. } => format!("serve-endpoint netuid={}", netuid.0),
        Payload::AddStake { netuid, amount, .. } => {
            format!("add-stake {} rao netuid={}", amount.0, netuid.0)
        }
        Payload::RemoveStake { netuid, amount, .. } => {
            format!("remove-stake {} alpha-rao netuid={}", amount.0, netuid.0)
        }
        Payload::MoveStake { from_netuid, to_netuid, .. } => {
            format!("move-stake netuid={}->{}", from_netuid.0, to_netuid.0)
        }
        Payload::SetTake { take, .. } => format!("set-take {take}"),
        Payload::SetWeights { netuid, weights, .. } => {
            format!("set-weights netuid={} uids={}", netuid.0, weights.len())
        }
        Payload::CommitWeights { netuid, .. } => format!("commit-weights netuid={}", netuid.0),
        Payload::RevealWeights { netuid, weights, .. } => {
            format!("reveal-weights netuid={} uids={}", netuid.0, weights.len())
        }
        Payload::OptInValidator => "opt-in-validator".into(),
        Payload::SubmitEvidence(_) => "evidence".into(),
    }
}

/// The first 12 characters: enough to tell hashes and addresses apart in a log line.
fn short(s: &str) -> String {
    s.chars().take(12).collect()
}

#[cfg(test)]
mod tests {
    use protocol::ids::{ChainId, Height, NetUid, Round};
    use protocol::keys::Keypair;
    use protocol::transaction::Transaction;
    use protocol::{Hash, Rao};

    use super::*;

    fn chain() -> ChainId {
        ChainId::new("tau-describe").unwrap()
    }

    #[test]
    fn sources_are_the_signers() {
        let k = Keypair::from_seed(&[4; 32]);
        let vote = protocol::consensus::Vote::sign(
            &k,
            &chain(),
            protocol::consensus::VoteKind::Precommit,
            Height(7),
            Round(1),
            Some(Hash([9; 32])),
        );
        let frame = crate::p2p::resend::seal(
            codec::encode(&ConsensusMessage::Vote(vote)),
            std::time::SystemTime::now(),
        );
        let d = describe_bytes(TopicKind::Consensus, &frame).unwrap();
        assert_eq!(d.payload, "precommit");
        assert_eq!(d.source, Some(k.public().to_address()));
        assert!(d.summary.starts_with("precommit h=7 r=1"), "{}", d.summary);

        let tx = Transaction::sign(
            &k,
            &chain(),
            3,
            Rao(5),
            Payload::Transfer { to: k.public(), amount: Rao(10) },
        );
        let one = TransactionBatch { transactions: vec![tx.clone()] };
        let d = describe_bytes(TopicKind::Transactions, &codec::encode(&one)).unwrap();
        assert_eq!((d.payload, d.source), ("transaction", Some(k.public().to_address())));
        let next = Transaction::sign(&k, &chain(), 4, Rao(5), Payload::OptInValidator);
        let two = TransactionBatch { transactions: vec![tx.clone(), next] };
        let d = describe_bytes(TopicKind::Transactions, &codec::encode(&two)).unwrap();
        assert_eq!((d.payload, d.source), ("transactions", None));
        assert!(d.summary.starts_with("2 transactions"), "{}", d.summary);
        // The same transaction twice is no batch a node would send.
        let twice = TransactionBatch { transactions: vec![tx.clone(), tx.clone()] };
        assert!(describe_bytes(TopicKind::Transactions, &codec::encode(&twice)).is_err());

        let set = Payload::SetWeights { netuid: NetUid(1), weights: vec![(0, 1)], version_key: 0 };
        let w = WeightAnnouncement::new(Transaction::sign(&k, &chain(), 4, Rao(5), set)).unwrap();
        let d = describe_bytes(TopicKind::Weights(NetUid(1)), &codec::encode(&w)).unwrap();
        assert_eq!((d.payload, d.source), ("weights", Some(k.public().to_address())));
    }

    #[test]
    fn garbage_is_an_error_never_a_panic() {
        for topic in [TopicKind::Consensus, TopicKind::Transactions, TopicKind::Weights(NetUid(2))]
        {
            for len in [0usize, 1, 7, 64, 300] {
                let bytes: Vec<u8> = (0..len).map(|i| (i * 37 + 11) as u8).collect();
                assert!(describe_bytes(topic, &bytes).is_err());
            }
            // A valid message on the wrong topic is garbage there too.
            let tx = Transaction::sign(
                &Keypair::from_seed(&[1; 32]),
                &chain(),
                0,
                Rao(0),
                Payload::OptInValidator,
            );
            if topic != TopicKind::Transactions {
                assert!(describe_bytes(topic, &codec::encode(&tx)).is_err());
            }
            // A batch must carry something.
            let empty = TransactionBatch { transactions: vec![] };
            assert!(describe_bytes(TopicKind::Transactions, &codec::encode(&empty)).is_err());
        }
    }
}
