//! Fixed sample values (for golden vectors) and proptest strategies (for round trips) of every
//! wire and ledger type.

#![allow(dead_code)]

use protocol::amount::{AlphaRao, PriceRao, Rao};
use protocol::block::{Block, BlockHeader, transactions_root};
use protocol::consensus::{
    CommitCertificate, CommitSignature, EquivocationEvidence, Proposal, ValidatorInfo, Vote,
    VoteKind, validator_set_hash,
};
use protocol::genesis::{Genesis, GenesisAccount, GenesisSubnet, GenesisValidator};
use protocol::hyperparams::{ConsensusParams, EconomicParams, SubnetHyperparameters};
use protocol::ids::{ChainId, Height, NetUid, Round};
use protocol::keys::{Keypair, PublicKey, Signature};
use protocol::transaction::{Payload, Transaction, weight_commitment};
use protocol::wire::{
    CertifiedBlock, ConsensusMessage, InferenceRequest, InferenceResponse, InferenceStatus,
    SyncRequest, SyncResponse, WeightAnnouncement,
};
use protocol::{Hash, codec};

use proptest::prelude::*;

pub fn chain() -> ChainId {
    ChainId::new("tau-golden").unwrap()
}

pub fn key(i: u8) -> Keypair {
    Keypair::from_seed(&[i; 32])
}

pub fn hash(i: u8) -> Hash {
    Hash::digest(&[i])
}

/// One transaction of every payload kind, signed by fixed keys.
pub fn sample_payloads() -> Vec<(&'static str, Payload)> {
    let (a, b) = (key(1).public(), key(2).public());
    let weights = vec![(0, 65_535), (3, 32_767), (7, 1)];
    vec![
        ("transfer", Payload::Transfer { to: b, amount: Rao(1_500_000_000) }),
        (
            "create_subnet",
            Payload::CreateSubnet {
                owner_hotkey: b,
                max_lock_cost: Rao::from_whole(2_000).unwrap(),
                hyperparameters: SubnetHyperparameters::default(),
            },
        ),
        (
            "set_hyperparameters",
            Payload::SetHyperparameters {
                netuid: NetUid(1),
                hyperparameters: SubnetHyperparameters { tempo: 10, ..Default::default() },
            },
        ),
        (
            "register",
            Payload::RegisterNeuron { netuid: NetUid(1), hotkey: b, max_burn: Rao(1_000_000_000) },
        ),
        (
            "serve",
            Payload::ServeEndpoint {
                netuid: NetUid(1),
                endpoints: vec!["/ip4/127.0.0.1/tcp/30333".parse().unwrap()],
            },
        ),
        (
            "add_stake",
            Payload::AddStake {
                hotkey: b,
                netuid: NetUid(1),
                amount: Rao(10),
                limit_price: Some(PriceRao(2)),
            },
        ),
        (
            "remove_stake",
            Payload::RemoveStake {
                hotkey: b,
                netuid: NetUid(1),
                amount: AlphaRao(10),
                limit_price: None,
            },
        ),
        (
            "move_stake",
            Payload::MoveStake {
                from_hotkey: a,
                to_hotkey: b,
                from_netuid: NetUid(1),
                to_netuid: NetUid(2),
                amount: AlphaRao(5),
                limit_price: Some(PriceRao(1)),
            },
        ),
        ("set_take", Payload::SetTake { hotkey: b, take: 11_796 }),
        (
            "set_weights",
            Payload::SetWeights { netuid: NetUid(1), weights: weights.clone(), version_key: 0 },
        ),
        (
            "commit_weights",
            Payload::CommitWeights {
                netuid: NetUid(1),
                commitment: weight_commitment(&a, NetUid(1), &weights, &[9; 32], 0),
            },
        ),
        (
            "reveal_weights",
            Payload::RevealWeights { netuid: NetUid(1), weights, salt: [9; 32], version_key: 0 },
        ),
        ("opt_in_validator", Payload::OptInValidator),
        ("evidence", Payload::SubmitEvidence(sample_evidence())),
    ]
}

pub fn sample_transaction(payload: Payload) -> Transaction {
    Transaction::sign(&key(1), &chain(), 7, Rao(1_000), payload)
}

pub fn sample_vote(kind: VoteKind, value: Option<Hash>) -> Vote {
    Vote::sign(&key(3), &chain(), kind, Height(42), Round(1), value)
}

pub fn sample_evidence() -> EquivocationEvidence {
    EquivocationEvidence::new(
        sample_vote(VoteKind::Prevote, Some(hash(1))),
        sample_vote(VoteKind::Prevote, Some(hash(2))),
    )
}

pub fn sample_validators() -> Vec<ValidatorInfo> {
    (1..=4).map(|i| ValidatorInfo { key: key(i).public(), power: u64::from(i) * 1_000 }).collect()
}

pub fn sample_certificate(height: u64, block_hash: Hash) -> CommitCertificate {
    let signatures = (1..=3)
        .map(|i| {
            let v = Vote::sign(
                &key(i),
                &chain(),
                VoteKind::Precommit,
                Height(height),
                Round(0),
                Some(block_hash),
            );
            CommitSignature { validator: v.body.validator, signature: v.signature }
        })
        .collect();
    CommitCertificate { height: Height(height), round: Round(0), block_hash, signatures }
}

pub fn sample_block() -> Block {
    let transactions: Vec<Transaction> =
        sample_payloads().into_iter().take(3).map(|(_, p)| sample_transaction(p)).collect();
    let last_commit = sample_certificate(1, hash(5));
    let header = BlockHeader {
        height: Height(2),
        prev_hash: hash(5),
        time_ms: 1_764_000_000_000,
        proposer: key(2).public(),
        transactions_root: transactions_root(&transactions),
        app_hash: hash(6),
        validator_set_hash: validator_set_hash(&sample_validators()),
        last_commit_hash: last_commit.hash(),
    };
    Block { header, last_commit: Some(last_commit), transactions }
}

pub fn sample_proposal() -> Proposal {
    Proposal::sign(&key(2), &chain(), Round(0), None, sample_block())
}

pub fn sample_weight_announcement() -> WeightAnnouncement {
    let weights = (0..256u16).map(|u| (u, u.wrapping_mul(257))).collect();
    let payload = Payload::SetWeights { netuid: NetUid(1), weights, version_key: 100 };
    let tx = Transaction::sign(&key(4), &chain(), 7, Rao(1_000), payload);
    WeightAnnouncement::new(tx).expect("a weights payload")
}

pub fn sample_genesis() -> Genesis {
    Genesis {
        chain_id: chain(),
        genesis_time_ms: 1_764_000_000_000,
        consensus: ConsensusParams::default(),
        economics: EconomicParams::default(),
        accounts: vec![GenesisAccount {
            coldkey: key(1).public(),
            balance: Rao::from_whole(1_000).unwrap(),
        }],
        validators: vec![GenesisValidator {
            hotkey: key(2).public(),
            coldkey: key(1).public(),
            stake: Rao::from_whole(100).unwrap(),
        }],
        subnets: vec![GenesisSubnet {
            netuid: NetUid(1),
            name: "text".into(),
            owner_coldkey: key(1).public(),
            owner_hotkey: key(2).public(),
            hyperparameters: SubnetHyperparameters::default(),
            pool_tao: Rao::from_whole(10).unwrap(),
            pool_alpha: AlphaRao::from_whole(10).unwrap(),
        }],
    }
}

pub fn sample_consensus_messages() -> Vec<(&'static str, ConsensusMessage)> {
    vec![
        ("consensus_vote", ConsensusMessage::Vote(sample_vote(VoteKind::Precommit, None))),
        ("consensus_commit", ConsensusMessage::Commit(sample_certificate(9, hash(9)))),
    ]
}

pub fn sample_inference() -> (InferenceRequest, InferenceResponse) {
    (
        InferenceRequest {
            netuid: NetUid(1),
            task: "next-token".into(),
            payload: b"the cat".to_vec(),
            deadline_ms: 2_000,
        },
        InferenceResponse {
            status: InferenceStatus::Ok,
            payload: b"[[\"sat\",0.5]]".to_vec(),
            server_time_us: 812,
        },
    )
}

pub fn sample_sync() -> (SyncRequest, SyncResponse) {
    let block = sample_block();
    let certificate = sample_certificate(2, block.hash());
    (
        SyncRequest { from: Height(2), to: Height(2) },
        SyncResponse { blocks: vec![CertifiedBlock { block, certificate }], tip: Height(2) },
    )
}

// ---- proptest strategies ----

pub fn any_key() -> impl Strategy<Value = PublicKey> {
    any::<[u8; 32]>().prop_map(PublicKey)
}

pub fn any_sig() -> impl Strategy<Value = Signature> {
    (any::<[u8; 32]>(), any::<[u8; 32]>()).prop_map(|(a, b)| {
        let mut s = [0u8; 64];
        s[..32].copy_from_slice(&a);
        s[32..].copy_from_slice(&b);
        Signature(s)
    })
}

pub fn any_hash() -> impl Strategy<Value = Hash> {
    any::<[u8; 32]>().prop_map(Hash)
}

pub fn any_weights() -> impl Strategy<Value = Vec<(u16, u16)>> {
    proptest::collection::vec(any::<(u16, u16)>(), 0..64)
}

pub fn any_vote() -> impl Strategy<Value = Vote> {
    (
        any::<bool>(),
        any::<u64>(),
        any::<u32>(),
        proptest::option::of(any_hash()),
        any_key(),
        any_sig(),
    )
        .prop_map(|(pre, h, r, value, validator, signature)| Vote {
            body: protocol::consensus::VoteBody {
                kind: if pre { VoteKind::Prevote } else { VoteKind::Precommit },
                height: Height(h),
                round: Round(r),
                value,
                validator,
            },
            signature,
        })
}

pub fn any_price() -> impl Strategy<Value = Option<PriceRao>> {
    proptest::option::of(any::<u64>().prop_map(PriceRao))
}

pub fn any_payload() -> impl Strategy<Value = Payload> {
    let netuid = any::<u16>().prop_map(NetUid);
    prop_oneof![
        (any_key(), any::<u64>()).prop_map(|(to, a)| Payload::Transfer { to, amount: Rao(a) }),
        (any_key(), any::<u64>(), any::<u16>()).prop_map(|(owner_hotkey, a, tempo)| {
            Payload::CreateSubnet {
                owner_hotkey,
                max_lock_cost: Rao(a),
                hyperparameters: SubnetHyperparameters { tempo, ..Default::default() },
            }
        }),
        (netuid.clone(), any_key(), any::<u64>()).prop_map(|(netuid, hotkey, b)| {
            Payload::RegisterNeuron { netuid, hotkey, max_burn: Rao(b) }
        }),
        (netuid.clone(), any::<[u8; 4]>(), any::<u16>()).prop_map(|(netuid, ip, port)| {
            let addr = format!("/ip4/{}.{}.{}.{}/tcp/{port}", ip[0], ip[1], ip[2], ip[3]);
            Payload::ServeEndpoint { netuid, endpoints: vec![addr.parse().unwrap()] }
        }),
        (any_key(), netuid.clone(), any::<u64>(), any_price()).prop_map(
            |(hotkey, netuid, a, limit_price)| {
                Payload::AddStake { hotkey, netuid, amount: Rao(a), limit_price }
            }
        ),
        (any_key(), netuid.clone(), any::<u64>(), any_price()).prop_map(
            |(hotkey, netuid, a, limit_price)| {
                Payload::RemoveStake { hotkey, netuid, amount: AlphaRao(a), limit_price }
            }
        ),
        (any_key(), any_key(), any::<(u16, u16, u64)>(), any_price()).prop_map(
            |(f, t, (fu, tu, a), limit_price)| {
                Payload::MoveStake {
                    from_hotkey: f,
                    to_hotkey: t,
                    from_netuid: NetUid(fu),
                    to_netuid: NetUid(tu),
                    amount: AlphaRao(a),
                    limit_price,
                }
            }
        ),
        (any_key(), any::<u16>()).prop_map(|(hotkey, take)| Payload::SetTake { hotkey, take }),
        (netuid.clone(), any_weights(), any::<u64>()).prop_map(|(netuid, weights, version_key)| {
            Payload::SetWeights { netuid, weights, version_key }
        }),
        (netuid.clone(), any_hash())
            .prop_map(|(netuid, commitment)| Payload::CommitWeights { netuid, commitment }),
        (netuid, any_weights(), any::<[u8; 32]>(), any::<u64>()).prop_map(
            |(netuid, weights, salt, version_key)| {
                Payload::RevealWeights { netuid, weights, salt, version_key }
            }
        ),
        Just(Payload::OptInValidator),
        (any_vote(), any_vote()).prop_map(|(a, b)| Payload::SubmitEvidence(EquivocationEvidence {
            first: a,
            second: b
        })),
    ]
}

pub fn any_transaction() -> impl Strategy<Value = Transaction> {
    (any_key(), any::<u64>(), any::<u64>(), any_payload(), any_sig()).prop_map(
        |(signer, nonce, fee, payload, signature)| Transaction {
            body: protocol::transaction::TransactionBody { signer, nonce, fee: Rao(fee), payload },
            signature,
        },
    )
}

pub fn any_certificate() -> impl Strategy<Value = CommitCertificate> {
    (
        any::<u64>(),
        any::<u32>(),
        any_hash(),
        proptest::collection::vec((any_key(), any_sig()), 0..8),
    )
        .prop_map(|(h, r, block_hash, sigs)| CommitCertificate {
            height: Height(h),
            round: Round(r),
            block_hash,
            signatures: sigs
                .into_iter()
                .map(|(validator, signature)| CommitSignature { validator, signature })
                .collect(),
        })
}

pub fn any_block() -> impl Strategy<Value = Block> {
    (
        (any::<u64>(), any_hash(), any::<u64>(), any_key()),
        (any_hash(), any_hash(), any_hash(), any_hash()),
        proptest::option::of(any_certificate()),
        proptest::collection::vec(any_transaction(), 0..4),
    )
        .prop_map(
            |(
                (h, prev_hash, time_ms, proposer),
                (tr, app_hash, vs, lc),
                last_commit,
                transactions,
            )| Block {
                header: BlockHeader {
                    height: Height(h),
                    prev_hash,
                    time_ms,
                    proposer,
                    transactions_root: tr,
                    app_hash,
                    validator_set_hash: vs,
                    last_commit_hash: lc,
                },
                last_commit,
                transactions,
            },
        )
}

/// Encodes then decodes, asserting the value and the bytes survive.
pub fn round_trip<T: codec::Encodable + PartialEq + std::fmt::Debug>(value: &T) {
    let bytes = codec::encode(value);
    let back: T = codec::decode(&bytes).unwrap();
    assert_eq!(&back, value);
    assert_eq!(codec::encode(&back), bytes, "re-encoding must give the same bytes");
}

/// This package's directory, read when the test runs: a test binary that cargo reuses from a
/// build in another checkout (a shared target directory) must still find this checkout's files.
pub fn manifest_dir() -> std::path::PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map_or_else(|| env!("CARGO_MANIFEST_DIR").into(), std::path::PathBuf::from)
}
