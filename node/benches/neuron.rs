//! Inference request → response through the miner service, in process, with the built-in
//! model; plus the model and the scorer alone. Names follow `module::operation/key=value`.
//!
//! `CARGO_TARGET_DIR=$HOME/.cache/tau/target cargo bench -p node --bench neuron`

use std::sync::Arc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use node::neuron::next_token::{LanguageConfig, MarkovLanguage, NextTokenTruth, NgramModel, wire};
use node::neuron::{
    MinerConfig, MinerService, NextToken, NextTokenCodec, NextTokenConfig, NgramBackend, Task,
};
use protocol::NetUid;
use protocol::wire::InferenceRequest;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

struct Fixture {
    miner: Arc<MinerService>,
    model: Arc<NgramModel>,
    requests: Vec<(InferenceRequest, NextTokenTruth)>,
    task: NextToken,
}

fn setup(order: usize) -> Fixture {
    let lang = Arc::new(MarkovLanguage::new(LanguageConfig::default()).unwrap());
    let model = Arc::new(NgramModel::train_on(lang.as_ref(), order, 200_000, 1).unwrap());
    let mut config = MinerConfig::new(NetUid(1));
    config.max_concurrent = 64;
    let miner = Arc::new(MinerService::new(
        config,
        Arc::new(NextTokenCodec),
        Arc::new(NgramBackend::new(model.clone())),
        Arc::new(|_: NetUid, _: &libp2p::PeerId| Some(1)),
    ));
    let task = NextToken::new(lang, NextTokenConfig::default());
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    let requests = (0..1024).map(|_| task.make_request(NetUid(1), 1_000, &mut rng)).collect();
    Fixture { miner, model, requests, task }
}

fn miner(c: &mut Criterion) {
    let Fixture { miner, model, requests, task } = setup(2);
    let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
    let mut i = 0;
    c.bench_function("neuron::miner/handle/order=2,concurrency=1", |b| {
        b.iter(|| {
            i = (i + 1) % requests.len();
            rt.block_on(miner.handle_as(Some(1), requests[i].0.clone()))
        })
    });

    let multi = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()
        .unwrap();
    let mut group = c.benchmark_group("neuron::miner");
    group.throughput(Throughput::Elements(64));
    group.bench_function("handle/order=2,concurrency=64", |b| {
        b.iter(|| {
            multi.block_on(async {
                let tasks: Vec<_> = (0..64)
                    .map(|j| {
                        let (miner, req) = (miner.clone(), requests[j].0.clone());
                        tokio::spawn(async move { miner.handle_as(Some(1), req).await })
                    })
                    .collect();
                for t in tasks {
                    t.await.unwrap();
                }
            })
        })
    });
    group.finish();

    c.bench_function("neuron::model/predict/order=2,k=32", |b| {
        b.iter(|| {
            i = (i + 1) % requests.len();
            let q = wire::decode_request(&requests[i].0.payload).unwrap();
            model.predict(&q.context, 32)
        })
    });
    let answers: Vec<Vec<u8>> = requests
        .iter()
        .map(|(r, _)| NgramBackend::new(model.clone()).answer_now(r).unwrap())
        .collect();
    c.bench_function("neuron::scorer/judge/k=32", |b| {
        b.iter(|| {
            i = (i + 1) % requests.len();
            task.judge(&requests[i].1, Some(&answers[i]))
        })
    });
}

criterion_group!(benches, miner);
criterion_main!(benches);
