//! The `exec` backend: JSON lines with a child program, the deadline enforced here, and the child
//! killed and restarted after a timeout, garbage, an over-long line or an exit.

use std::sync::Arc;
use std::time::Duration;

use node::neuron::backend::exec::ExecConfig;
use node::neuron::next_token::{LanguageConfig, MarkovLanguage, NextTokenRequest, wire};
use node::neuron::{
    Backend, BackendError, ExecBackend, NextToken, NextTokenCodec, NextTokenConfig, Task,
};
use protocol::NetUid;
use protocol::wire::InferenceRequest;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use tokio::time::Instant;

fn request() -> InferenceRequest {
    InferenceRequest {
        netuid: NetUid(1),
        task: "next-token".into(),
        payload: wire::encode_request(&NextTokenRequest { context: vec!["baba".into()], k: 4 }),
        deadline_ms: 1_000,
    }
}

fn sh(script: &str) -> ExecBackend {
    let mut config = ExecConfig::new("sh", ["-c", script]);
    config.quiet_stderr = true;
    ExecBackend::new(config, Arc::new(NextTokenCodec))
}

fn in_ms(ms: u64) -> Instant {
    Instant::now() + Duration::from_millis(ms)
}

#[tokio::test]
async fn a_stuck_child_times_out_and_is_restarted() {
    let backend = sh("while read l; do sleep 5; done");
    let started = Instant::now();
    assert_eq!(backend.answer(&request(), in_ms(100)).await, Err(BackendError::Timeout));
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(backend.answer(&request(), in_ms(100)).await, Err(BackendError::Timeout));
    assert_eq!(backend.starts(), 2, "killed after the first timeout, started afresh");
}

#[tokio::test]
async fn an_abandoned_request_kills_the_child() {
    let backend = sh("while read l; do sleep 5; done");
    // The caller gives up first: the backend's future is dropped mid-exchange.
    let req = request();
    let gave_up =
        tokio::time::timeout(Duration::from_millis(100), backend.answer(&req, in_ms(10_000)));
    assert!(gave_up.await.is_err());
    assert_eq!(backend.answer(&request(), in_ms(100)).await, Err(BackendError::Timeout));
    assert_eq!(backend.starts(), 2);
}

#[tokio::test]
async fn garbage_and_long_lines_restart_the_child_but_error_replies_do_not() {
    let garbage = sh("while read l; do echo garbage; done");
    assert!(matches!(
        garbage.answer(&request(), in_ms(2_000)).await,
        Err(BackendError::Garbage(_))
    ));
    assert!(matches!(
        garbage.answer(&request(), in_ms(2_000)).await,
        Err(BackendError::Garbage(_))
    ));
    assert_eq!(garbage.starts(), 2);

    let mut config = ExecConfig::new(
        "sh",
        ["-c", "while read l; do head -c 5000 /dev/zero | tr '\\0' a; echo; done"],
    );
    config.max_line_bytes = 1_000;
    let long = ExecBackend::new(config, Arc::new(NextTokenCodec));
    assert!(matches!(long.answer(&request(), in_ms(2_000)).await, Err(BackendError::Garbage(_))));

    // Ids start at 1: the first reply is in step (an error, the child stays), the second is not.
    let erring = sh(r#"while read l; do echo '{"id":1,"error":"no model"}'; done"#);
    assert_eq!(
        erring.answer(&request(), in_ms(2_000)).await,
        Err(BackendError::Model("no model".into()))
    );
    assert!(matches!(erring.answer(&request(), in_ms(2_000)).await, Err(BackendError::Garbage(_))));
    assert_eq!(erring.starts(), 1);

    let exits = sh("read l; exit 0");
    assert!(matches!(exits.answer(&request(), in_ms(2_000)).await, Err(BackendError::Io(_))));
    let missing = ExecBackend::new(
        ExecConfig::new("/nonexistent/miner", Vec::<String>::new()),
        Arc::new(NextTokenCodec),
    );
    assert!(matches!(missing.answer(&request(), in_ms(2_000)).await, Err(BackendError::Io(_))));
}

fn python3() -> bool {
    std::process::Command::new("python3")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[tokio::test]
async fn the_python_example_miner_learns_the_language() {
    if !python3() {
        eprintln!("SKIPPED: python3 is not installed, so examples/exec_miner.py cannot run");
        return;
    }
    // Read when the test runs: a binary cargo reused from another checkout's build (a shared
    // target directory) must find this checkout's example.
    let manifest = std::env::var_os("CARGO_MANIFEST_DIR")
        .map_or_else(|| env!("CARGO_MANIFEST_DIR").into(), std::path::PathBuf::from);
    let script = manifest.join("../examples/exec_miner.py").display().to_string();
    let backend = ExecBackend::new(ExecConfig::new("python3", [script]), Arc::new(NextTokenCodec));
    let lang = Arc::new(MarkovLanguage::new(LanguageConfig::default()).unwrap());
    let task = NextToken::new(lang, NextTokenConfig::default());
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let (mut early, mut late) = (0u64, 0u64);
    for i in 0..400 {
        let (request, truth) = task.make_request(NetUid(1), 5_000, &mut rng);
        let payload = backend.answer(&request, in_ms(5_000)).await.expect("the example answers");
        let loss = u64::from(task.judge(&truth, Some(&payload)).0);
        if i < 100 {
            early += loss;
        } else if i >= 300 {
            late += loss;
        }
    }
    let (early, late) = (early as f64 / 1e8, late as f64 / 1e8);
    println!(
        "python bigram miner: mean loss {early:.3} nats in its first 100 answers, {late:.3} after 300"
    );
    assert!(late < early, "it learns");
    assert!(late < (256f64).ln() - 1.0, "it beats the uniform answer by a nat: {late}");
    assert_eq!(backend.starts(), 1);
}
