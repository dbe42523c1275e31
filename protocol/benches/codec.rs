//! Encode, decode, sign and verify for the hot wire types; and the bare ed25519 verify that bounds
//! them. Names follow `module::operation/key=value`.
//! Run: `CARGO_TARGET_DIR=$HOME/.cache/tau/target cargo bench -p protocol --bench codec`

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use ed25519_dalek::{Signer, SigningKey, Verifier};
use protocol::codec::{self, Encodable};
use protocol::consensus::{Vote, VoteKind};
use protocol::ids::{ChainId, Height, NetUid, Round};
use protocol::keys::{Domain, Keypair};
use protocol::transaction::{Payload, Transaction};
use protocol::wire::WeightAnnouncement;
use protocol::{Hash, Rao};

fn chain() -> ChainId {
    ChainId::new("tau-bench").unwrap_or_else(|e| panic!("{e}"))
}

fn bench_type<T: Encodable>(
    c: &mut Criterion,
    name: &str,
    value: &T,
    verify: impl Fn(&T) -> bool,
    sign: impl Fn() -> T,
) {
    let bytes = codec::encode(value);
    let mut g = c.benchmark_group(format!("protocol::{name}"));
    g.bench_function(format!("encode/bytes={}", bytes.len()), |b| {
        b.iter(|| codec::encode(black_box(value)))
    });
    g.bench_function("decode", |b| b.iter(|| codec::decode::<T>(black_box(&bytes)).is_ok()));
    g.bench_function("sign", |b| b.iter(&sign));
    g.bench_function("verify", |b| b.iter(|| verify(black_box(value))));
    g.bench_function("decode_verify", |b| {
        b.iter(|| codec::decode::<T>(black_box(&bytes)).map(|v| verify(&v)).unwrap_or(false))
    });
    g.finish();
}

fn benches(c: &mut Criterion) {
    let key = Keypair::from_seed(&[7; 32]);
    let chain = chain();

    // Baseline: bare ed25519 over a message of a vote's signing size, key already parsed.
    let sk = SigningKey::from_bytes(&[7; 32]);
    let vk = sk.verifying_key();
    let msg = [0u8; 120];
    let sig = sk.sign(&msg);
    c.bench_function("ed25519::verify/bare", |b| {
        b.iter(|| vk.verify(black_box(&msg), &sig).is_ok())
    });
    c.bench_function("ed25519::verify_strict/bare", |b| {
        b.iter(|| vk.verify_strict(black_box(&msg), &sig).is_ok())
    });

    let vote =
        Vote::sign(&key, &chain, VoteKind::Prevote, Height(1_000), Round(0), Some(Hash([1; 32])));
    bench_type(
        c,
        "vote",
        &vote,
        |v| v.verify(&chain).is_ok(),
        || {
            Vote::sign(
                &key,
                &chain,
                VoteKind::Prevote,
                Height(1_000),
                Round(0),
                Some(Hash([1; 32])),
            )
        },
    );

    let transfer_payload = || Payload::Transfer {
        to: Keypair::from_seed(&[8; 32]).public(),
        amount: Rao(1_000_000_000),
    };
    let tx = Transaction::sign(&key, &chain, 1, Rao(100), transfer_payload());
    bench_type(
        c,
        "transfer",
        &tx,
        |t| t.verify(&chain).is_ok(),
        || Transaction::sign(&key, &chain, 1, Rao(100), transfer_payload()),
    );

    let weights: Vec<(u16, u16)> = (0..256u16).map(|u| (u, u.wrapping_mul(257))).collect();
    let announce = || {
        let payload =
            Payload::SetWeights { netuid: NetUid(1), weights: weights.clone(), version_key: 0 };
        WeightAnnouncement::new(Transaction::sign(&key, &chain, 1, Rao(100), payload))
            .expect("a weights payload")
    };
    bench_type(c, "weights_256", &announce(), |a| a.check(&chain, NetUid(1)).is_ok(), announce);

    // The signing-bytes assembly alone, to see what the domain/chain prefix costs.
    c.bench_function("protocol::signing_bytes/vote", |b| {
        let body = codec::encode(&vote.body);
        b.iter(|| protocol::keys::signing_bytes(Domain::Vote, &chain, black_box(&body)))
    });
}

criterion_group! {
    name = group;
    config = Criterion::default().warm_up_time(std::time::Duration::from_millis(500)).measurement_time(std::time::Duration::from_secs(2));
    targets = benches
}
criterion_main!(group);
