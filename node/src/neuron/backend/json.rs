//! The JSON envelope shared by the `exec` and HTTP backends (schema in [`super::exec`]'s docs).

use protocol::wire::InferenceRequest;
use serde_json::{Value, json};
use tokio::time::Instant;

use super::BackendError;
use crate::neuron::task::AnyCodec;

/// Longest error text kept from a backend, so a chatty one cannot flood the logs.
const MAX_ERROR_CHARS: usize = 200;

/// One request as compact JSON (no newline: compact JSON never contains a raw one).
pub(super) fn request_json(
    codec: &dyn AnyCodec,
    id: u64,
    request: &InferenceRequest,
    deadline: Instant,
) -> Result<Vec<u8>, BackendError> {
    if request.task != codec.name() {
        return Err(BackendError::WrongTask(request.task.clone()));
    }
    let inner = codec
        .request_json(&request.payload)
        .map_err(|e| BackendError::BadRequest(e.to_string()))?;
    let remaining = deadline.saturating_duration_since(Instant::now());
    let envelope = json!({
        "id": id,
        "netuid": request.netuid.0,
        "task": request.task,
        "deadline_ms": u64::try_from(remaining.as_millis()).unwrap_or(u64::MAX),
        "request": inner,
    });
    serde_json::to_vec(&envelope).map_err(|e| BackendError::BadRequest(e.to_string()))
}

/// Parses a reply into the task's wire payload. With `id_required`, a reply without the request's
/// id is garbage (a child that fell out of step).
pub(super) fn parse_reply(
    codec: &dyn AnyCodec,
    id: u64,
    bytes: &[u8],
    id_required: bool,
) -> Result<Vec<u8>, BackendError> {
    let garbage = |m: String| BackendError::Garbage(m);
    let value: Value = serde_json::from_slice(bytes).map_err(|e| garbage(e.to_string()))?;
    match value.get("id").map(Value::as_u64) {
        Some(Some(got)) if got == id => {}
        Some(got) => return Err(garbage(format!("reply for id {got:?}, expected {id}"))),
        None if id_required => {
            return Err(garbage(format!("reply without \"id\" (expected {id})")));
        }
        None => {}
    }
    if let Some(error) = value.get("error") {
        let text = error.as_str().map_or_else(|| error.to_string(), str::to_string);
        return Err(BackendError::Model(text.chars().take(MAX_ERROR_CHARS).collect()));
    }
    let response = value
        .get("response")
        .ok_or_else(|| garbage("reply has neither \"response\" nor \"error\"".into()))?;
    codec.response_from_json(response).map_err(|e| garbage(e.to_string()))
}

#[cfg(test)]
mod tests {
    use protocol::NetUid;

    use super::*;
    use crate::neuron::next_token::{NextTokenCodec, NextTokenRequest, wire};

    #[test]
    fn envelope_round_trip() {
        let req = InferenceRequest {
            netuid: NetUid(3),
            task: "next-token".into(),
            payload: wire::encode_request(&NextTokenRequest { context: vec!["a".into()], k: 2 }),
            deadline_ms: 100,
        };
        let deadline = Instant::now() + std::time::Duration::from_secs(1);
        let line = request_json(&NextTokenCodec, 9, &req, deadline).unwrap();
        let v: Value = serde_json::from_slice(&line).unwrap();
        assert_eq!(v["request"]["context"][0], "a");
        assert_eq!(v["netuid"], 3);
        let ok = br#"{"id":9,"response":{"top":[{"token":"b","p":0.5}]}}"#;
        let payload = parse_reply(&NextTokenCodec, 9, ok, true).unwrap();
        assert_eq!(wire::decode_response(&payload).unwrap().top[0].prob, wire::PROB_ONE / 2);
        assert!(matches!(parse_reply(&NextTokenCodec, 8, ok, true), Err(BackendError::Garbage(_))));
        let no_id = br#"{"response":{"top":[]}}"#;
        assert!(parse_reply(&NextTokenCodec, 1, no_id, false).is_ok());
        assert!(parse_reply(&NextTokenCodec, 1, no_id, true).is_err());
        let err = br#"{"id":1,"error":"out of memory"}"#;
        assert_eq!(
            parse_reply(&NextTokenCodec, 1, err, true),
            Err(BackendError::Model("out of memory".into()))
        );
        assert!(parse_reply(&NextTokenCodec, 1, b"\xff{", true).is_err());
    }
}
