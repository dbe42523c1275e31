//! The built-in model's quality follows its order and training size, measured through the real
//! pipeline (query → miner backend → wire bytes → scorer) on the seeded language: so a testnet
//! can run miners of known ranking. Deterministic: fixed seeds, no timing.

use std::sync::Arc;

use node::neuron::next_token::{LanguageConfig, MarkovLanguage, NgramModel, TextSource};
use node::neuron::{NextToken, NextTokenConfig, NgramBackend, Task};
use protocol::NetUid;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

const HELD_OUT: usize = 2_000;

/// Mean loss in micro-nats over `HELD_OUT` queries from a validator seed no miner trained on.
fn mean_loss(task: &NextToken, model: NgramModel) -> u64 {
    let backend = NgramBackend::new(Arc::new(model));
    let mut rng = ChaCha8Rng::seed_from_u64(0xfeed);
    let mut total = 0u64;
    for _ in 0..HELD_OUT {
        let (request, truth) = task.make_request(NetUid(1), 1_000, &mut rng);
        let payload = backend.answer_now(&request).expect("the built-in model answers");
        total += u64::from(task.judge(&truth, Some(&payload)).0);
    }
    total / HELD_OUT as u64
}

#[test]
fn order_and_training_size_rank_the_models() {
    let lang = Arc::new(MarkovLanguage::new(LanguageConfig::default()).unwrap());
    let task = NextToken::new(lang.clone(), NextTokenConfig::default());
    // (Markov order, training words); `None` is the uniform model.
    let configs = [(Some(2usize), 200_000usize), (Some(1), 200_000), (Some(2), 2_000), (None, 0)];
    let losses: Vec<u64> = configs
        .iter()
        .enumerate()
        .map(|(i, &(order, n))| {
            let model = match order {
                Some(o) => NgramModel::train_on(lang.as_ref(), o, n, 100 + i as u64),
                None => NgramModel::uniform(lang.vocab().clone()),
            };
            mean_loss(&task, model.unwrap())
        })
        .collect();
    let e = lang.entropies();
    let rate = u64::from(lang.entropy_rate_micro().unwrap());
    println!("{}", lang.describe());
    println!(
        "entropy rate {:.4}, order-1 bound {:.4}, unigram {:.4} nats",
        e.rate, e.order1, e.unigram
    );
    for (&(order, n), loss) in configs.iter().zip(&losses) {
        println!(
            "order {order:?} on {n:>7} words: mean loss {:.4} nats, excess {:.4}",
            *loss as f64 / 1e6,
            (*loss as f64 - rate as f64) / 1e6
        );
    }
    assert!(losses.windows(2).all(|w| w[0] < w[1]), "ranking broken: {losses:?}");
    // The best model is close to the floor; nothing beats it by more than sampling noise.
    assert!(losses[0] + 50_000 > rate, "{} below the entropy rate {rate}", losses[0]);
}

/// A validator's pipeline without the network: score each miner's answers, average per UID,
/// turn merits into weights. Weights follow quality; garbage and silence earn nothing.
#[test]
fn validator_weights_follow_quality() {
    use node::neuron::{ScoreBook, WeightLimits, normalize};
    use protocol::{PublicKey, Uid};

    let lang = Arc::new(MarkovLanguage::new(LanguageConfig::default()).unwrap());
    let task = NextToken::new(lang.clone(), NextTokenConfig::default());
    let configs =
        [(Some(2usize), 200_000usize), (Some(2), 20_000), (Some(1), 200_000), (Some(2), 2_000)];
    let mut miners: Vec<Option<NgramBackend>> = configs
        .iter()
        .enumerate()
        .map(|(i, &(order, n))| {
            let model = NgramModel::train_on(lang.as_ref(), order.unwrap(), n, 7 + i as u64);
            Some(NgramBackend::new(Arc::new(model.unwrap())))
        })
        .collect();
    miners.push(Some(NgramBackend::new(Arc::new(
        NgramModel::uniform(lang.vocab().clone()).unwrap(),
    ))));
    // UID 5 answers garbage, UID 6 never answers.
    miners.push(None);
    miners.push(None);

    let mut book = ScoreBook::new(50_000);
    let mut rng = ChaCha8Rng::seed_from_u64(0xabc);
    for _round in 0..300 {
        let (request, truth) = task.make_request(NetUid(1), 1_000, &mut rng);
        for (uid, miner) in miners.iter().enumerate() {
            let payload = match (uid, miner) {
                (_, Some(m)) => Some(m.answer_now(&request).unwrap()),
                (5, None) => Some(b"\x05garbage".to_vec()),
                _ => None,
            };
            let loss = task.judge(&truth, payload.as_deref());
            book.observe(Uid(uid as u16), PublicKey([uid as u8; 32]), loss);
        }
    }
    let merits = book.merits(task.scorer());
    let limits = WeightLimits { n: 8, min_allowed_weights: 1, max_weight_limit: u16::MAX };
    let row = normalize(&merits, &limits, Some(7)).unwrap();
    let weight = |uid: u16| row.iter().find(|r| r.0 == uid).map_or(0, |r| r.1);
    for (uid, s) in book.iter() {
        println!(
            "uid {uid}: mean loss {:.3} nats, weight {}",
            s.mean().0 as f64 / 1e6,
            weight(uid.0)
        );
    }
    assert!((0..5).all(|u| weight(u) > weight(u + 1)), "weights follow quality: {row:?}");
    assert_eq!((weight(5), weight(6)), (0, 0), "garbage and silence earn nothing");
}
