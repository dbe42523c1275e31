//! Latency percentiles and throughput of inference through the miner service with the built-in
//! model, in process (no network). Ignored by default; run with
//! `CARGO_TARGET_DIR=$HOME/.cache/tau/target cargo test --release -p node --test neuron_bench -- --ignored --nocapture`

use std::sync::Arc;
use std::time::{Duration, Instant};

use node::neuron::next_token::{LanguageConfig, MarkovLanguage, NgramModel};
use node::neuron::{
    MinerConfig, MinerService, NextToken, NextTokenCodec, NextTokenConfig, NgramBackend, Task,
};
use protocol::NetUid;
use protocol::wire::{InferenceRequest, InferenceStatus};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

const PER_TASK: usize = 2_000;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p) as usize]
}

#[test]
#[ignore = "prints benchmark figures; run explicitly"]
fn miner_latency_and_throughput() {
    let lang = Arc::new(MarkovLanguage::new(LanguageConfig::default()).unwrap());
    let model = Arc::new(NgramModel::train_on(lang.as_ref(), 2, 200_000, 1).unwrap());
    let mut config = MinerConfig::new(NetUid(1));
    config.max_concurrent = 64;
    let miner = Arc::new(MinerService::new(
        config,
        Arc::new(NextTokenCodec),
        Arc::new(NgramBackend::new(model)),
        Arc::new(|_: NetUid, _: &libp2p::PeerId| Some(1)),
    ));
    let task = NextToken::new(lang, NextTokenConfig::default());
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    let requests: Arc<Vec<InferenceRequest>> =
        Arc::new((0..1024).map(|_| task.make_request(NetUid(1), 1_000, &mut rng).0).collect());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()
        .unwrap();
    for concurrency in [1usize, 64] {
        let started = Instant::now();
        let mut latencies: Vec<Duration> = rt.block_on(async {
            let tasks: Vec<_> = (0..concurrency)
                .map(|t| {
                    let (miner, requests) = (miner.clone(), requests.clone());
                    tokio::spawn(async move {
                        let mut out = Vec::with_capacity(PER_TASK);
                        for i in 0..PER_TASK {
                            let req = requests[(t * 31 + i) % requests.len()].clone();
                            let at = Instant::now();
                            let resp = miner.handle_as(Some(1), req).await;
                            out.push(at.elapsed());
                            assert_eq!(resp.status, InferenceStatus::Ok);
                        }
                        out
                    })
                })
                .collect();
            let mut all = Vec::new();
            for t in tasks {
                all.extend(t.await.unwrap());
            }
            all
        });
        let elapsed = started.elapsed();
        latencies.sort_unstable();
        println!(
            "neuron::miner/handle/order=2,concurrency={concurrency}: {} requests, {:.0} req/s, p50 {:.1} µs, p99 {:.1} µs",
            latencies.len(),
            latencies.len() as f64 / elapsed.as_secs_f64(),
            percentile(&latencies, 0.5).as_secs_f64() * 1e6,
            percentile(&latencies, 0.99).as_secs_f64() * 1e6,
        );
    }
}
