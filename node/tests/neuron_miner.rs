//! The miner's request handling: statuses, the miner-side deadline, `Busy` under load, and
//! stake really ordering queued work.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::BoxFuture;
use libp2p::PeerId;
use node::neuron::next_token::{
    LanguageConfig, MarkovLanguage, NextTokenRequest, NextTokenResponse, NgramModel, wire,
};
use node::neuron::{
    Backend, BackendError, CallerStake, MinerConfig, MinerService, NextTokenCodec, NgramBackend,
};
use protocol::NetUid;
use protocol::wire::{InferenceRequest, InferenceStatus};
use tokio::sync::Semaphore;
use tokio::time::Instant;

const NET: NetUid = NetUid(7);

/// Answers with an empty distribution after recording the request's first context word, and
/// holds any request whose word is "hold" until the test adds a permit.
struct Gate {
    seen: Mutex<Vec<String>>,
    open: Semaphore,
}

impl Default for Gate {
    fn default() -> Self {
        Gate { seen: Mutex::default(), open: Semaphore::new(0) }
    }
}

impl Backend for Gate {
    fn answer<'a>(
        &'a self,
        request: &'a InferenceRequest,
        _deadline: Instant,
    ) -> BoxFuture<'a, Result<Vec<u8>, BackendError>> {
        Box::pin(async move {
            let word = wire::decode_request(&request.payload).unwrap().context.remove(0);
            self.seen.lock().unwrap().push(word.clone());
            if word == "hold" {
                self.open.acquire().await.unwrap().forget();
            }
            Ok(wire::encode_response(&NextTokenResponse::default()))
        })
    }

    fn describe(&self) -> String {
        "gate".into()
    }
}

/// Misses every deadline.
struct Sleeper;

impl Backend for Sleeper {
    fn answer<'a>(
        &'a self,
        _request: &'a InferenceRequest,
        _deadline: Instant,
    ) -> BoxFuture<'a, Result<Vec<u8>, BackendError>> {
        Box::pin(async {
            tokio::time::sleep(Duration::from_secs(2)).await;
            Ok(Vec::new())
        })
    }

    fn describe(&self) -> String {
        "sleeper".into()
    }
}

fn request(word: &str, deadline_ms: u32) -> InferenceRequest {
    InferenceRequest {
        netuid: NET,
        task: "next-token".into(),
        payload: wire::encode_request(&NextTokenRequest { context: vec![word.into()], k: 8 }),
        deadline_ms,
    }
}

fn service(backend: Arc<dyn Backend>, config: impl FnOnce(&mut MinerConfig)) -> Arc<MinerService> {
    let mut c = MinerConfig::new(NET);
    config(&mut c);
    let registered = PeerId::random();
    let policy =
        move |_: NetUid, peer: &PeerId| -> CallerStake { (*peer == registered).then_some(1) };
    Arc::new(MinerService::new(c, Arc::new(NextTokenCodec), backend, Arc::new(policy)))
}

#[tokio::test]
async fn statuses_for_wrong_task_unregistered_bad_request_and_ok() {
    let lang = MarkovLanguage::new(LanguageConfig::default()).unwrap();
    let model = NgramModel::train_on(&lang, 2, 5_000, 1).unwrap();
    let miner =
        service(Arc::new(NgramBackend::new(Arc::new(model))), |c| c.require_registered = true);

    let mut other_net = request("baba", 500);
    other_net.netuid = NetUid(8);
    let mut other_task = request("baba", 500);
    other_task.task = "image".into();
    let mut garbage = request("baba", 500);
    garbage.payload = vec![1, 2, 3];
    for (req, caller, want) in [
        (other_net, Some(5), InferenceStatus::WrongTask),
        (other_task, Some(5), InferenceStatus::WrongTask),
        (request("baba", 500), None, InferenceStatus::Unregistered),
        (garbage, Some(5), InferenceStatus::BadRequest),
        (request("baba", 0), Some(5), InferenceStatus::Timeout),
    ] {
        let resp = miner.handle_as(caller, req).await;
        assert_eq!(resp.status, want);
        assert!(resp.payload.is_empty());
    }
    let resp = miner.handle_as(Some(5), request("baba", 500)).await;
    assert_eq!(resp.status, InferenceStatus::Ok);
    assert!(resp.server_time_us > 0 && resp.server_time_us < 500_000);
    let top = wire::decode_response(&resp.payload).unwrap().top;
    assert_eq!(top.len(), 8);
    // Through the policy: a random peer is not registered.
    assert_eq!(
        miner.handle(&PeerId::random(), request("baba", 500)).await.status,
        InferenceStatus::Unregistered
    );
    let stats = miner.stats();
    assert_eq!((stats.ok, stats.refused, stats.timeout), (1, 5, 1));
}

#[tokio::test]
async fn the_miner_enforces_the_deadline() {
    let miner = service(Arc::new(Sleeper), |_| {});
    let started = Instant::now();
    let resp = miner.handle_as(Some(1), request("baba", 100)).await;
    assert_eq!(resp.status, InferenceStatus::Timeout);
    assert!(started.elapsed() < Duration::from_millis(1_500));
    // The caller's deadline is capped by the miner's.
    let capped = service(Arc::new(Sleeper), |c| c.max_deadline_ms = 100);
    assert_eq!(
        capped.handle_as(Some(1), request("baba", 60_000)).await.status,
        InferenceStatus::Timeout
    );
}

async fn until_load(miner: &MinerService, load: (usize, usize)) {
    while miner.load() != load {
        tokio::task::yield_now().await;
    }
}

#[tokio::test]
async fn busy_is_answered_at_once_when_full() {
    let gate = Arc::new(Gate::default());
    let miner = service(gate.clone(), |c| {
        c.max_concurrent = 1;
        c.max_waiting = 0;
    });
    let m = miner.clone();
    let held = tokio::spawn(async move { m.handle_as(Some(1), request("hold", 10_000)).await });
    until_load(&miner, (1, 0)).await;
    let started = Instant::now();
    let resp = miner.handle_as(Some(1_000), request("x", 10_000)).await;
    assert_eq!(resp.status, InferenceStatus::Busy);
    assert!(started.elapsed() < Duration::from_secs(1), "answered without waiting");
    gate.open.add_permits(1);
    assert_eq!(held.await.unwrap().status, InferenceStatus::Ok);
}

#[tokio::test]
async fn queued_work_is_served_by_stake() {
    let gate = Arc::new(Gate::default());
    let miner = service(gate.clone(), |c| {
        c.max_concurrent = 1;
        c.max_waiting = 8;
    });
    let mut tasks = Vec::new();
    let m = miner.clone();
    tasks.push(tokio::spawn(async move { m.handle_as(Some(0), request("hold", 10_000)).await }));
    until_load(&miner, (1, 0)).await;
    for (i, (word, stake)) in
        [("low", 10), ("high", 1_000), ("mid", 100), ("none", 0)].into_iter().enumerate()
    {
        let m = miner.clone();
        let caller = if stake == 0 { None } else { Some(stake) };
        tasks.push(tokio::spawn(async move { m.handle_as(caller, request(word, 10_000)).await }));
        until_load(&miner, (1, i + 1)).await;
    }
    gate.open.add_permits(1);
    for t in tasks {
        assert_eq!(t.await.unwrap().status, InferenceStatus::Ok);
    }
    assert_eq!(*gate.seen.lock().unwrap(), ["hold", "high", "mid", "low", "none"]);
}
