//! `tau query`: ask a subnet's best miners (by incentive) a question over `/tau/infer/1` and print
//! each answer with its status and latency. With `--repeat`/`--concurrency` it measures the
//! request-response path instead (throughput and latency percentiles per miner).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Args;
use futures::StreamExt;
use libp2p::{Multiaddr, PeerId};
use protocol::keys::Keypair;
use protocol::wire::{InferenceRequest, InferenceStatus};
use protocol::{ChainId, NetUid};
use serde_json::{Value, json};

use crate::neuron::next_token::{NextTokenRequest, PROB_ONE, wire};
use crate::neuron::runtime::subnet_task;
use crate::neuron::{NextToken, NextTokenCodec, NextTokenConfig, Task, TaskCodec};
use crate::p2p::{self, NetworkHandle, P2pConfig, identity};

#[derive(Args)]
pub struct QueryArgs {
    /// The node API to read the metagraph from.
    #[arg(long, env = "TAU_API", default_value = "http://127.0.0.1:8080")]
    api: String,
    #[arg(long)]
    netuid: u16,
    /// Context words, space separated; default: a window of the subnet's public language.
    #[arg(long)]
    context: Option<String>,
    /// Candidates asked for (1..=32).
    #[arg(long, default_value_t = 5)]
    k: u8,
    /// Ask the N serving miners with the highest incentive.
    #[arg(long, default_value_t = 3)]
    top: usize,
    /// Ask these UIDs instead (repeatable).
    #[arg(long)]
    uid: Vec<u16>,
    #[arg(long, default_value_t = 2_000)]
    timeout_ms: u32,
    /// Hex hotkey file to call as (a registered caller on subnets that require one); default:
    /// a fresh key.
    #[arg(long)]
    hotkey: Option<PathBuf>,
    /// Benchmark: requests per miner (after one warm-up request).
    #[arg(long, default_value_t = 1)]
    repeat: usize,
    /// Benchmark: requests in flight at once per miner.
    #[arg(long, default_value_t = 1)]
    concurrency: usize,
    #[arg(long)]
    json: bool,
}

/// A serving miner as the metagraph shows it.
#[derive(Clone)]
struct Target {
    uid: u16,
    hotkey: String,
    peer: PeerId,
    endpoints: Vec<Multiaddr>,
    incentive: u64,
}

pub fn run(args: QueryArgs) -> anyhow::Result<()> {
    let addr = super::api_addr(&args.api)?;
    let status = testnet::http::get(addr, "/status")
        .with_context(|| format!("cannot reach the node API at {}", args.api))?;
    let chain = status["chain_id"]
        .as_str()
        .and_then(|c| ChainId::new(c).ok())
        .context("the node's /status has no valid chain_id")?;
    let graph = testnet::http::get(addr, &format!("/subnets/{}/metagraph", args.netuid))
        .with_context(|| format!("no metagraph for subnet {}", args.netuid))?;
    let targets = choose(&graph, &args)?;
    let key = match &args.hotkey {
        Some(path) => crate::service::load_hex_key(path)?,
        None => Keypair::generate()?,
    };
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    rt.block_on(ask_all(args, chain, key, targets))
}

/// The miners to ask: given UIDs, else the best `top` by incentive, serving ones only.
fn choose(graph: &Value, args: &QueryArgs) -> anyhow::Result<Vec<Target>> {
    let mut out: Vec<Target> = graph
        .as_array()
        .context("the metagraph is not a list")?
        .iter()
        .filter_map(|n| {
            let hotkey = n["hotkey"].as_str()?.to_string();
            let endpoints: Vec<Multiaddr> = n["endpoints"]
                .as_array()?
                .iter()
                .filter_map(|e| e.as_str()?.parse().ok())
                .collect();
            let peer = identity::peer_id(&hotkey.parse().ok()?)?;
            let uid = u16::try_from(n["uid"].as_u64()?).ok()?;
            let incentive = n["incentive"].as_u64().unwrap_or(0);
            (!endpoints.is_empty()).then_some(Target { uid, hotkey, peer, endpoints, incentive })
        })
        .collect();
    if args.uid.is_empty() {
        out.sort_by_key(|t| (std::cmp::Reverse(t.incentive), t.uid));
        out.truncate(args.top.max(1));
    } else {
        out.retain(|t| args.uid.contains(&t.uid));
    }
    if out.is_empty() {
        bail!("no serving miner to ask on subnet {} (none has announced an endpoint)", args.netuid);
    }
    Ok(out)
}

/// The question: the given words, or a fresh window of the subnet's language (whose true next
/// word is then known and shown).
fn question(
    args: &QueryArgs,
    chain: &ChainId,
) -> anyhow::Result<(InferenceRequest, Option<String>)> {
    let netuid = NetUid(args.netuid);
    match &args.context {
        Some(text) => {
            let request = NextTokenRequest {
                context: text.split_whitespace().map(str::to_string).collect(),
                k: args.k,
            };
            wire::validate_request(&request).map_err(|e| anyhow::anyhow!("--context: {e}"))?;
            let payload = NextTokenCodec.encode_request(&request);
            let task = NextTokenCodec.name().to_string();
            Ok((InferenceRequest { netuid, task, payload, deadline_ms: args.timeout_ms }, None))
        }
        None => {
            let language = subnet_task::language(chain, netuid)?;
            let config = NextTokenConfig { k: args.k, ..NextTokenConfig::default() };
            let task = NextToken::new(language, config);
            let mut rng = rand::rng();
            let (request, truth) = task.make_request(netuid, args.timeout_ms, &mut rng);
            Ok((request, Some(truth.next)))
        }
    }
}

async fn ask_all(
    args: QueryArgs,
    chain: ChainId,
    key: Keypair,
    targets: Vec<Target>,
) -> anyhow::Result<()> {
    let network = p2p::spawn(&key, P2pConfig::new(chain.clone()))?;
    let (net, mut events, runtime) = (network.handle, network.events, network.runtime);
    // Nothing is served here: drain events so the actor never blocks on us.
    tokio::spawn(async move { while events.recv().await.is_some() {} });
    let (request, truth) = question(&args, &chain)?;
    let mut reports = Vec::new();
    for t in &targets {
        net.add_addresses(t.peer, p2p::prefer_quic(&t.endpoints)).await;
    }
    if args.repeat <= 1 {
        let asks = targets.iter().map(|t| ask_once(&net, t, request.clone(), args.timeout_ms));
        reports = futures::future::join_all(asks).await;
    } else {
        for t in &targets {
            // On the network thread, like a miner's dispatch: the measured path is the stack's.
            let (net, t, request) = (net.clone(), t.clone(), request.clone());
            let (repeat, concurrency, timeout) = (args.repeat, args.concurrency, args.timeout_ms);
            let run = async move { bench(&net, &t, &request, repeat, concurrency, timeout).await };
            reports.push(runtime.spawn(run).await?);
        }
    }
    if args.json {
        let context = NextTokenCodec.decode_request(&request.payload).ok().map(|r| r.context);
        println!(
            "{}",
            serde_json::to_string_pretty(
                &json!({ "context": context, "truth": truth, "answers": reports })
            )?
        );
        return Ok(());
    }
    if let Ok(r) = NextTokenCodec.decode_request(&request.payload) {
        println!("context: {}", r.context.join(" "));
    }
    if let Some(t) = &truth {
        println!("true next word: {t}");
    }
    for r in &reports {
        print_report(r);
    }
    Ok(())
}

fn short(hotkey: &str) -> &str {
    hotkey.get(..14).unwrap_or(hotkey)
}

async fn ask_once(
    net: &NetworkHandle,
    t: &Target,
    request: InferenceRequest,
    timeout: u32,
) -> Value {
    let started = Instant::now();
    let wait = Duration::from_millis(u64::from(timeout) + 500);
    let answer = tokio::time::timeout(wait, net.infer(t.peer, request)).await;
    let latency_ms = started.elapsed().as_secs_f64() * 1e3;
    let base = json!({ "uid": t.uid, "hotkey": t.hotkey, "incentive": t.incentive,
                       "latency_ms": latency_ms });
    let (status, extra) = match answer {
        Err(_) => ("no answer".to_string(), json!({})),
        Ok(Err(e)) => (format!("failed: {e}"), json!({})),
        Ok(Ok(r)) => {
            let top = match (r.status, NextTokenCodec.decode_response(&r.payload)) {
                (InferenceStatus::Ok, Ok(resp)) => resp
                    .top
                    .iter()
                    .map(|c| json!({ "token": c.token, "p": f64::from(c.prob) / f64::from(PROB_ONE) }))
                    .collect(),
                _ => Vec::new(),
            };
            (format!("{:?}", r.status), json!({ "server_time_us": r.server_time_us, "top": top }))
        }
    };
    let mut out = base;
    out["status"] = json!(status);
    if let (Some(o), Some(e)) = (out.as_object_mut(), extra.as_object()) {
        o.extend(e.clone());
    }
    out
}

/// `repeat` requests to one miner with `concurrency` in flight, after a warm-up request that
/// opens the connection.
async fn bench(
    net: &NetworkHandle,
    t: &Target,
    request: &InferenceRequest,
    repeat: usize,
    concurrency: usize,
    timeout_ms: u32,
) -> Value {
    let _ = ask_once(net, t, request.clone(), timeout_ms).await;
    let net = Arc::new(net.clone());
    let started = Instant::now();
    let results: Vec<(bool, Duration)> = futures::stream::iter(0..repeat)
        .map(|_| {
            let net = net.clone();
            let request = request.clone();
            let peer = t.peer;
            async move {
                let t0 = Instant::now();
                let ok = matches!(net.infer(peer, request).await, Ok(r) if r.status == InferenceStatus::Ok);
                (ok, t0.elapsed())
            }
        })
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await;
    let elapsed = started.elapsed();
    let mut lat: Vec<Duration> = results.iter().map(|r| r.1).collect();
    lat.sort();
    let pct = |p: f64| {
        let i = ((lat.len() as f64 * p).ceil() as usize).saturating_sub(1).min(lat.len() - 1);
        lat[i].as_secs_f64() * 1e3
    };
    let ok = results.iter().filter(|r| r.0).count();
    json!({
        "uid": t.uid, "hotkey": t.hotkey, "status": "bench",
        "requests": results.len(), "ok": ok, "concurrency": concurrency,
        "requests_per_s": results.len() as f64 / elapsed.as_secs_f64(),
        "p50_ms": pct(0.50), "p99_ms": pct(0.99), "max_ms": pct(1.0),
    })
}

fn print_report(r: &Value) {
    let uid = r["uid"].as_u64().unwrap_or(0);
    let hotkey = short(r["hotkey"].as_str().unwrap_or(""));
    if r["status"] == "bench" {
        println!(
            "uid {uid:>3} {hotkey}…  {} requests ({} ok) at concurrency {}: {:.0} req/s, p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms",
            r["requests"],
            r["ok"],
            r["concurrency"],
            r["requests_per_s"].as_f64().unwrap_or(0.0),
            r["p50_ms"].as_f64().unwrap_or(0.0),
            r["p99_ms"].as_f64().unwrap_or(0.0),
            r["max_ms"].as_f64().unwrap_or(0.0),
        );
        return;
    }
    let top: Vec<String> = r["top"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|c| {
                    format!(
                        "{} {:.3}",
                        c["token"].as_str().unwrap_or("?"),
                        c["p"].as_f64().unwrap_or(0.0)
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    println!(
        "uid {uid:>3} {hotkey}…  incentive {:>5}  {:<10} {:>8.2} ms  {}",
        r["incentive"],
        r["status"].as_str().unwrap_or("?"),
        r["latency_ms"].as_f64().unwrap_or(0.0),
        top.join(", ")
    );
}
