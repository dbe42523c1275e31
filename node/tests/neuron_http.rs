//! The HTTP backend against a tiny in-test hyper server on loopback: a model answering JSON, plus
//! routes that are slow, fail, or answer garbage.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use node::neuron::next_token::{LanguageConfig, MarkovLanguage, NgramModel, wire};
use node::neuron::{
    Backend, BackendError, HttpBackend, MinerConfig, MinerService, NextToken, NextTokenCodec,
    NextTokenConfig, Scorer, Task,
};
use protocol::NetUid;
use protocol::wire::InferenceStatus;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::time::Instant;

async fn route(
    model: Arc<NgramModel>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let path = req.uri().path().to_string();
    let body = req.into_body().collect().await.map(|b| b.to_bytes()).unwrap_or_default();
    let reply = |status: StatusCode, body: Vec<u8>| {
        let mut r = Response::new(Full::new(Bytes::from(body)));
        *r.status_mut() = status;
        Ok(r)
    };
    match path.as_str() {
        "/slow" => {
            tokio::time::sleep(Duration::from_secs(2)).await;
            reply(StatusCode::OK, b"{}".to_vec())
        }
        "/fail" => reply(StatusCode::INTERNAL_SERVER_ERROR, b"model crashed".to_vec()),
        "/garbage" => reply(StatusCode::OK, b"<html>".to_vec()),
        _ => {
            let msg: Value = serde_json::from_slice(&body).unwrap();
            let query = wire::request_from_json(&msg["request"]).unwrap();
            let top = model.predict(&query.context, usize::from(query.k));
            let response = wire::response_to_json(&wire::NextTokenResponse { top });
            reply(
                StatusCode::OK,
                serde_json::to_vec(&json!({"id": msg["id"], "response": response})).unwrap(),
            )
        }
    }
}

async fn serve(model: Arc<NgramModel>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let model = model.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |req| route(model.clone(), req));
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    format!("http://{addr}")
}

#[tokio::test]
async fn http_backend_serves_scores_and_fails_cleanly() {
    let lang = Arc::new(MarkovLanguage::new(LanguageConfig::default()).unwrap());
    let model = Arc::new(NgramModel::train_on(lang.as_ref(), 2, 50_000, 3).unwrap());
    let base = serve(model).await;
    let task = NextToken::new(lang.clone(), NextTokenConfig::default());

    let backend =
        Arc::new(HttpBackend::new(&format!("{base}/model"), Arc::new(NextTokenCodec)).unwrap());
    let miner = MinerService::new(
        MinerConfig::new(NetUid(1)),
        Arc::new(NextTokenCodec),
        backend,
        Arc::new(|_: NetUid, _: &libp2p::PeerId| Some(1)),
    );
    let mut rng = ChaCha8Rng::seed_from_u64(4);
    let mut total = 0u64;
    for _ in 0..50 {
        let (request, truth) = task.make_request(NetUid(1), 2_000, &mut rng);
        let resp = miner.handle_as(Some(1), request).await;
        assert_eq!(resp.status, InferenceStatus::Ok);
        total += u64::from(task.judge(&truth, Some(&resp.payload)).0);
    }
    let mean = total / 50;
    assert!(mean < 3_000_000 && mean < u64::from(task.scorer().worst().0), "mean loss {mean}");

    let (request, _) = task.make_request(NetUid(1), 2_000, &mut rng);
    let at =
        |path: &str| HttpBackend::new(&format!("{base}{path}"), Arc::new(NextTokenCodec)).unwrap();
    let soon = || Instant::now() + Duration::from_millis(200);
    let started = Instant::now();
    assert_eq!(at("/slow").answer(&request, soon()).await, Err(BackendError::Timeout));
    assert!(started.elapsed() < Duration::from_millis(1_500));
    assert!(
        matches!(at("/fail").answer(&request, soon()).await, Err(BackendError::Model(m)) if m.contains("500"))
    );
    assert!(matches!(at("/garbage").answer(&request, soon()).await, Err(BackendError::Garbage(_))));
    let limited = at("/model").with_max_body_bytes(10);
    assert!(matches!(limited.answer(&request, soon()).await, Err(BackendError::Garbage(_))));
    let nobody = HttpBackend::new("http://127.0.0.1:9/", Arc::new(NextTokenCodec)).unwrap();
    assert!(matches!(
        nobody.answer(&request, soon()).await,
        Err(BackendError::Io(_) | BackendError::Timeout)
    ));
}

#[test]
fn only_plain_http_urls() {
    for bad in ["https://example.invalid/x", "ftp://h/", "not a url", "/path"] {
        assert!(HttpBackend::new(bad, Arc::new(NextTokenCodec)).is_err(), "{bad}");
    }
}
