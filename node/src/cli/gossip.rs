//! `tau gossip tail`: a running node's gossip capture records, live, from its API
//! (`GET /gossip/stream`, server-sent events). One line per record, or the records' JSON.

use std::io::Write;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper::{Request, Uri};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use testnet::capture::{Kind, Record};

#[derive(Subcommand)]
pub enum GossipCommand {
    /// Stream a node's gossip as it happens: publishes, receipts, duplicates, mesh snapshots.
    Tail(TailArgs),
}

#[derive(Args)]
pub struct TailArgs {
    /// URL of a running node's HTTP API.
    #[arg(long, env = "TAU_API", value_name = "URL", default_value = "http://127.0.0.1:8080")]
    api: String,
    /// Only this topic: `consensus`, `tx`, `weights` (every subnet), `weights/<netuid>`, or a full
    /// topic name.
    #[arg(long)]
    topic: Option<String>,
    /// Only these record kinds, comma-separated: publish, receive, duplicate, garbage, mesh,
    /// dropped, start.
    #[arg(long)]
    kind: Option<String>,
    /// Print each record as its JSON line (docs/capture-format.md).
    #[arg(long)]
    json: bool,
}

pub fn run(cmd: GossipCommand) -> anyhow::Result<()> {
    match cmd {
        GossipCommand::Tail(args) => {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            rt.block_on(tail(args))
        }
    }
}

/// Most bytes of one server-sent event; a longer one means the other end is not a tau node.
const MAX_EVENT: usize = 4 * 1024 * 1024;

async fn tail(args: TailArgs) -> anyhow::Result<()> {
    let addr = super::api_addr(&args.api)?;
    let mut query = Vec::new();
    if let Some(t) = &args.topic {
        query.push(format!("topic={}", encode_query(t)));
    }
    if let Some(k) = &args.kind {
        query.push(format!("kind={}", encode_query(k)));
    }
    let path = if query.is_empty() {
        "/gossip/stream".to_string()
    } else {
        format!("/gossip/stream?{}", query.join("&"))
    };
    let uri: Uri = format!("http://{addr}{path}").parse().context("building the stream URL")?;
    let client = Client::builder(TokioExecutor::new()).build_http::<Empty<Bytes>>();
    let request = Request::get(uri).header("accept", "text/event-stream").body(Empty::new())?;
    let response = client.request(request).await.with_context(|| {
        format!(
            "could not reach the node API at {}: is a node running there? (--api URL)",
            args.api
        )
    })?;
    let status = response.status();
    let mut body = response.into_body();
    if !status.is_success() {
        let bytes = body.collect().await.map(|b| b.to_bytes()).unwrap_or_default();
        let text: String = String::from_utf8_lossy(&bytes).chars().take(300).collect();
        bail!("the node answered {status}: {text}");
    }
    let mut parser = SseParser::default();
    let stdout = std::io::stdout();
    while let Some(frame) = body.frame().await {
        let frame = frame.context("the stream broke")?;
        let Some(chunk) = frame.data_ref() else { continue };
        for ev in parser.push(chunk)? {
            let line = match ev.event.as_deref() {
                Some("lagged") => {
                    eprintln!("[{} records skipped: this terminal fell behind]", ev.data);
                    continue;
                }
                _ if args.json => ev.data,
                _ => match serde_json::from_str::<Record>(&ev.data) {
                    Ok(r) => human(&r),
                    Err(_) => format!("(unreadable record) {}", ev.data),
                },
            };
            // A closed pipe (`| head`) ends the tail quietly.
            if writeln!(stdout.lock(), "{line}").is_err() {
                return Ok(());
            }
        }
    }
    bail!("the node closed the stream")
}

/// Percent-encodes what would break a query value; topic names and kinds are plain ASCII.
fn encode_query(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' | b',' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// One server-sent event.
#[derive(Debug, PartialEq, Eq)]
struct SseEvent {
    event: Option<String>,
    data: String,
}

/// Splits a server-sent event stream into events (the subset axum writes: `event:`, `data:`,
/// comments), whatever the chunk boundaries.
#[derive(Default)]
struct SseParser {
    buf: Vec<u8>,
}

impl SseParser {
    fn push(&mut self, chunk: &[u8]) -> anyhow::Result<Vec<SseEvent>> {
        self.buf.extend_from_slice(chunk);
        let mut out = Vec::new();
        while let Some(end) = find_blank_line(&self.buf) {
            let block: Vec<u8> = self.buf.drain(..end.0).collect();
            self.buf.drain(..end.1 - end.0);
            if let Some(ev) = parse_block(&String::from_utf8_lossy(&block)) {
                out.push(ev);
            }
        }
        if self.buf.len() > MAX_EVENT {
            bail!("an event longer than {MAX_EVENT} bytes: is this a tau node's API?");
        }
        Ok(out)
    }
}

/// The end of the first event: (where its text ends, where the next one starts).
fn find_blank_line(buf: &[u8]) -> Option<(usize, usize)> {
    let lf = buf.windows(2).position(|w| w == b"\n\n").map(|i| (i, i + 2));
    let crlf = buf.windows(4).position(|w| w == b"\r\n\r\n").map(|i| (i, i + 4));
    match (lf, crlf) {
        (Some(a), Some(b)) => Some(if a.0 <= b.0 { a } else { b }),
        (a, b) => a.or(b),
    }
}

fn parse_block(block: &str) -> Option<SseEvent> {
    let mut event = None;
    let mut data: Option<String> = None;
    for line in block.lines() {
        if line.starts_with(':') {
            continue; // keep-alive comment
        }
        let (field, value) = line.split_once(':').unwrap_or((line, ""));
        let value = value.strip_prefix(' ').unwrap_or(value);
        match field {
            "event" => event = Some(value.to_string()),
            "data" => match &mut data {
                Some(d) => {
                    d.push('\n');
                    d.push_str(value);
                }
                None => data = Some(value.to_string()),
            },
            _ => {}
        }
    }
    data.map(|data| SseEvent { event, data })
}

/// One line for a person: time (UTC), kind, topic, and what matters for that kind.
fn human(r: &Record) -> String {
    let topic = r.topic.as_deref().map_or("-", topic_tail);
    let mut line = format!("{} {:<9} {:<10}", clock(r.time_ns), r.kind.as_str(), topic);
    let id = r.id.as_deref().map_or("-".to_string(), |i| i.chars().take(12).collect());
    match r.kind {
        Kind::Publish | Kind::Receive | Kind::Garbage => {
            line.push_str(&format!(" {id} {:>7} B", r.size.unwrap_or(0)));
            if let Some(f) = &r.forwarder {
                line.push_str(&format!(" via {}", tail_of(f)));
            }
            if let Some(s) = &r.source {
                line.push_str(&format!(" from {}", tail_of(s)));
            }
            if let Some(s) = &r.summary {
                line.push_str(&format!("  {s}"));
            }
        }
        Kind::Duplicate => {
            line.push_str(&format!(" {id} {:>7} B x{}", r.size.unwrap_or(0), r.count.unwrap_or(0)));
        }
        Kind::Mesh => {
            let peers = r.peers.as_deref().unwrap_or(&[]);
            let short: Vec<String> = peers.iter().map(|p| tail_of(p)).collect();
            line.push_str(&format!(" {} peers: {}", peers.len(), short.join(" ")));
        }
        Kind::Dropped => line.push_str(&format!(" {} records lost", r.count.unwrap_or(0))),
        Kind::Start | Kind::Unknown => {
            if let Some(n) = &r.node {
                line.push_str(&format!(" node {n}"));
            }
            if let Some(s) = &r.summary {
                line.push_str(&format!("  {s}"));
            }
        }
    }
    line
}

/// `tau/<chain>/weights/1` → `weights/1`.
fn topic_tail(t: &str) -> &str {
    let mut parts = t.splitn(3, '/');
    match (parts.next(), parts.next(), parts.next()) {
        (Some("tau"), Some(_), Some(tail)) => tail,
        _ => t,
    }
}

/// The last 8 characters of a peer id or address: what tells them apart at a glance.
fn tail_of(s: &str) -> String {
    let n = s.chars().count();
    let tail: String = s.chars().skip(n.saturating_sub(8)).collect();
    if n > 8 { format!("…{tail}") } else { tail }
}

/// `HH:MM:SS.uuuuuu` (UTC) of a Unix time in ns.
fn clock(ns: u64) -> String {
    let secs = ns / 1_000_000_000;
    let micros = (ns % 1_000_000_000) / 1_000;
    let day = secs % 86_400;
    format!("{:02}:{:02}:{:02}.{micros:06}", day / 3600, day % 3600 / 60, day % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_split_across_chunks_and_comments_are_skipped() {
        let mut p = SseParser::default();
        assert!(p.push(b": keep-alive\n\nda").unwrap().is_empty());
        let evs = p.push(b"ta: {\"a\":1}\n\nevent: lagged\r\ndata: 7\r\n\r\ndata: x").unwrap();
        assert_eq!(
            evs,
            vec![
                SseEvent { event: None, data: "{\"a\":1}".into() },
                SseEvent { event: Some("lagged".into()), data: "7".into() },
            ]
        );
        assert_eq!(p.push(b"\n\n").unwrap(), vec![SseEvent { event: None, data: "x".into() }]);
        assert!(p.push(&vec![b'x'; MAX_EVENT + 1]).is_err());
    }

    #[test]
    fn human_lines_carry_the_essentials() {
        let mut r = Record::new(1_700_000_000_123_456_789, Kind::Receive);
        r.topic = Some("tau/tau-local/tx".into());
        r.id = Some("0123456789abcdef".repeat(4));
        r.size = Some(156);
        r.forwarder = Some("12D3KooWAbCdEfGhIjKlMn".into());
        r.summary = Some("transfer 5 rao".into());
        let line = human(&r);
        assert!(line.starts_with("22:13:20.123456 receive   tx "), "{line}");
        assert!(line.contains("0123456789ab     156 B via …GhIjKlMn  transfer 5 rao"), "{line}");
        assert_eq!(encode_query("weights/1"), "weights/1");
        assert_eq!(encode_query("a b&c"), "a%20b%26c");
    }
}
