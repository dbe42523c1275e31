//! `GET /gossip/stream`: the node's gossip capture records (docs/capture-format.md) as
//! server-sent events, live, whether or not the node writes a capture file.
//!
//! Query: `topic` (a full topic name, or its tail: `consensus`, `tx`, `weights/1`, `weights` for
//! every subnet) and `kind` (comma-separated record kinds). Each record is one `data:` event; a
//! client that falls behind gets a `lagged` event with the number of records it missed.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use futures::Stream;
use serde::Deserialize;
use serde_json::json;
use tokio_stream::StreamExt;
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;

use super::ApiState;
use crate::p2p::capture::{Kind, Record};

pub fn router(state: ApiState) -> Router {
    Router::new().route("/gossip/stream", get(stream)).with_state(state)
}

#[derive(Debug, Default, Deserialize)]
pub struct StreamQuery {
    topic: Option<String>,
    kind: Option<String>,
}

/// Which records a subscriber wants.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filter {
    topic: Option<String>,
    kinds: Option<Vec<Kind>>,
}

impl Filter {
    pub fn parse(topic: Option<String>, kind: Option<&str>) -> Result<Filter, String> {
        let kinds = match kind.map(str::trim).filter(|k| !k.is_empty()) {
            None => None,
            Some(list) => Some(
                list.split(',')
                    .map(|k| {
                        Kind::parse(k.trim()).ok_or_else(|| {
                            let known: Vec<&str> = Kind::ALL.iter().map(|k| k.as_str()).collect();
                            format!("unknown kind `{k}` (one of {})", known.join(", "))
                        })
                    })
                    .collect::<Result<Vec<Kind>, String>>()?,
            ),
        };
        let topic = topic.map(|t| t.trim().trim_matches('/').to_string()).filter(|t| !t.is_empty());
        Ok(Filter { topic, kinds })
    }

    pub fn matches(&self, r: &Record) -> bool {
        if let Some(kinds) = &self.kinds
            && !kinds.contains(&r.kind)
        {
            return false;
        }
        match (&self.topic, &r.topic) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some(want), Some(topic)) => topic_matches(want, topic),
        }
    }
}

/// `tau/<chain>/weights/3` matches `tau/<chain>/weights/3`, `weights/3` and `weights`.
fn topic_matches(want: &str, topic: &str) -> bool {
    if want == topic {
        return true;
    }
    let mut parts = topic.splitn(3, '/');
    let tail = match (parts.next(), parts.next(), parts.next()) {
        (Some("tau"), Some(_chain), Some(tail)) => tail,
        _ => return false,
    };
    tail == want || tail.split('/').next() == Some(want)
}

async fn stream(State(s): State<ApiState>, Query(q): Query<StreamQuery>) -> Response {
    let filter = match Filter::parse(q.topic, q.kind.as_deref()) {
        Ok(f) => f,
        Err(e) => return (StatusCode::BAD_REQUEST, Json(json!({ "error": e }))).into_response(),
    };
    let Some(rx) = s.net.gossip_feed().await else {
        return (StatusCode::SERVICE_UNAVAILABLE, Json(json!({ "error": "network stopped" })))
            .into_response();
    };
    Sse::new(events(rx, filter))
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response()
}

fn events(
    rx: tokio::sync::broadcast::Receiver<std::sync::Arc<Record>>,
    filter: Filter,
) -> impl Stream<Item = Result<Event, Infallible>> {
    BroadcastStream::new(rx).filter_map(move |item| match item {
        Ok(r) => filter.matches(&r).then(|| Event::default().json_data(&*r).ok()).flatten().map(Ok),
        Err(BroadcastStreamRecvError::Lagged(n)) => {
            Some(Ok(Event::default().event("lagged").data(n.to_string())))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(kind: Kind, topic: Option<&str>) -> Record {
        let mut r = Record::new(1, kind);
        r.topic = topic.map(str::to_string);
        r
    }

    #[test]
    fn filters_by_topic_tail_and_kind_list() {
        let w3 = rec(Kind::Receive, Some("tau/tau-local/weights/3"));
        let tx = rec(Kind::Publish, Some("tau/tau-local/tx"));
        let mesh = rec(Kind::Mesh, None);
        let all = Filter::parse(None, None).unwrap();
        assert!(all.matches(&w3) && all.matches(&tx) && all.matches(&mesh));

        for t in ["weights", "weights/3", "/weights/3/", "tau/tau-local/weights/3"] {
            let f = Filter::parse(Some(t.into()), None).unwrap();
            assert!(f.matches(&w3), "{t}");
            assert!(!f.matches(&tx) && !f.matches(&mesh), "{t}");
        }
        assert!(!Filter::parse(Some("weights/30".into()), None).unwrap().matches(&w3));
        assert!(!Filter::parse(Some("tau-local".into()), None).unwrap().matches(&tx));

        let f = Filter::parse(None, Some("publish, mesh")).unwrap();
        assert!(f.matches(&tx) && f.matches(&mesh) && !f.matches(&w3));
        assert!(Filter::parse(None, Some("publish,nonsense")).unwrap_err().contains("nonsense"));
    }
}
