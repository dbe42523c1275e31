//! Chain fixtures shared by the integration tests: a genesis, realistic write-sets, and blocks that
//! extend whatever a store holds with a matching certificate and app hash.

use protocol::block::transactions_root;
use protocol::consensus::CommitSignature;
use protocol::state::{WriteSet, next_app_hash};
use protocol::{
    Block, BlockHeader, ChainId, CommitCertificate, Hash, Height, Keypair, Payload, PublicKey, Rao,
    Round, Signature, Transaction,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use storage::{BlockCommit, GenesisInfo, Store};

pub fn chain_id() -> ChainId {
    ChainId::new("tau-test").expect("valid chain id")
}

pub fn genesis_hash() -> Hash {
    Hash::digest(b"storage test genesis")
}

/// A genesis state: some funded accounts and a parameter.
pub fn genesis_write_set() -> WriteSet {
    let mut ws = WriteSet::new();
    for i in 0u16..32 {
        ws.insert(account_key(i), Some(1_000_000u64.to_le_bytes().to_vec()));
    }
    ws.insert(b"param/tempo".to_vec(), Some(360u32.to_le_bytes().to_vec()));
    ws
}

pub fn init(store: &dyn Store) -> GenesisInfo {
    store.init_genesis(&chain_id(), genesis_hash(), &genesis_write_set()).expect("genesis")
}

pub fn account_key(i: u16) -> Vec<u8> {
    let mut k = b"acct/".to_vec();
    k.extend_from_slice(&i.to_be_bytes());
    k
}

/// A write-set shaped like a ledger's: balance updates over a bounded set of accounts (so keys are
/// overwritten and deleted again and again), a per-height receipt, and now and then a large value
/// (a weights matrix row) so batches span several pages. Deterministic in `(seed, height)`.
pub fn realistic_write_set(seed: u64, height: u64) -> WriteSet {
    let mut rng = StdRng::seed_from_u64(seed ^ height.wrapping_mul(0x9e37_79b9_7f4a_7c15));
    let mut ws = WriteSet::new();
    for _ in 0..rng.random_range(8..48) {
        let key = account_key(rng.random_range(0..400));
        let value = if rng.random_ratio(1, 10) {
            None
        } else {
            let mut v = vec![0u8; rng.random_range(8..40)];
            rng.fill(&mut v[..]);
            Some(v)
        };
        ws.insert(key, value);
    }
    ws.insert(format!("receipt/{height:016x}").into_bytes(), Some(height.to_le_bytes().to_vec()));
    if rng.random_ratio(1, 6) {
        let mut blob = vec![0u8; rng.random_range(4_096..32_768)];
        rng.fill(&mut blob[..]);
        ws.insert(format!("weights/{}", rng.random_range(0..8u8)).into_bytes(), Some(blob));
    }
    ws
}

/// A block ready to commit on top of a store's tip.
#[derive(Clone, Debug)]
pub struct NextBlock {
    pub block: Block,
    pub certificate: CommitCertificate,
    pub write_set: WriteSet,
    pub app_hash: Hash,
}

impl NextBlock {
    pub fn commit(&self) -> BlockCommit<'_> {
        BlockCommit {
            block: &self.block,
            certificate: &self.certificate,
            write_set: &self.write_set,
            app_hash: self.app_hash,
        }
    }
}

/// The block at `tip + 1` of `store`, applying `write_set`, with `transactions` signed transfers.
pub fn next_block(store: &dyn Store, write_set: WriteSet, transactions: usize) -> NextBlock {
    let tip = store.tip().expect("tip");
    let last_commit = store.certificate(tip.height).expect("read certificate");
    next_block_on(tip, last_commit, write_set, transactions)
}

pub fn next_block_on(
    tip: storage::ChainTip,
    last_commit: Option<CommitCertificate>,
    write_set: WriteSet,
    transactions: usize,
) -> NextBlock {
    let height = Height(tip.height.0 + 1);
    let chain = chain_id();
    let sender = Keypair::from_seed(&[7; 32]);
    let transactions: Vec<Transaction> = (0..transactions as u64)
        .map(|i| {
            let to = PublicKey([(height.0 as u8).wrapping_add(i as u8); 32]);
            let payload = Payload::Transfer { to, amount: Rao(height.0 * 1000 + i) };
            Transaction::sign(&sender, &chain, height.0 * 100 + i, Rao(1), payload)
        })
        .collect();
    let header = BlockHeader {
        height,
        prev_hash: tip.block_hash,
        time_ms: 1_700_000_000_000 + height.0 * 1000,
        proposer: PublicKey([height.0 as u8; 32]),
        transactions_root: transactions_root(&transactions),
        app_hash: tip.app_hash,
        validator_set_hash: Hash::digest(b"validators"),
        last_commit_hash: last_commit.as_ref().map_or(Hash::ZERO, CommitCertificate::hash),
    };
    let block = Block { header, last_commit, transactions };
    let certificate = certificate_for(&block);
    let app_hash = next_app_hash(&tip.app_hash, &write_set);
    NextBlock { block, certificate, write_set, app_hash }
}

/// A certificate of four (unverified) precommits for `block`: storage does not check signatures.
pub fn certificate_for(block: &Block) -> CommitCertificate {
    CommitCertificate {
        height: block.header.height,
        round: Round(0),
        block_hash: block.hash(),
        signatures: (0..4u8)
            .map(|v| CommitSignature {
                validator: PublicKey([v; 32]),
                signature: Signature([v; 64]),
            })
            .collect(),
    }
}

/// Commits `n` blocks with realistic write-sets; returns the last committed block.
pub fn commit_blocks(store: &dyn Store, seed: u64, n: u64) -> Option<NextBlock> {
    let mut last = None;
    for _ in 0..n {
        let height = store.tip().expect("tip").height.0 + 1;
        let next = next_block(store, realistic_write_set(seed, height), 2);
        store.commit_block(&next.commit()).expect("commit");
        last = Some(next);
    }
    last
}
