//! The report over synthetic captures of four nodes, laid out as a testnet directory, with the
//! figures worked out by hand.

use std::path::Path;

use super::*;
use crate::capture::{Kind, Record};

const BASE: u64 = 1_700_000_000_000_000_000;
const MS: u64 = 1_000_000;
const TX: &str = "tau/tau-local/tx";
const CONS: &str = "tau/tau-local/consensus";

fn msg(t_ms: f64, kind: Kind, topic: &str, id: &str, payload: &str) -> Record {
    let mut r = Record::new(BASE + (t_ms * MS as f64) as u64, kind);
    r.topic = Some(topic.into());
    r.id = Some(id.into());
    r.payload = Some(payload.into());
    r.size = Some(100);
    r
}

fn recv(t_ms: f64, topic: &str, id: &str, payload: &str, from: &str) -> Record {
    let mut r = msg(t_ms, Kind::Receive, topic, id, payload);
    r.forwarder = Some(from.into());
    r
}

fn dup(t_ms: f64, topic: &str, id: &str, count: u64) -> Record {
    let mut r = Record::new(BASE + (t_ms * MS as f64) as u64, Kind::Duplicate);
    r.topic = Some(topic.into());
    r.id = Some(id.into());
    r.size = Some(100);
    r.count = Some(count);
    r
}

fn mesh(t_ms: f64, topic: &str, peers: &[&str]) -> Record {
    let mut r = Record::new(BASE + (t_ms * MS as f64) as u64, Kind::Mesh);
    r.topic = Some(topic.into());
    r.peers = Some(peers.iter().map(|p| p.to_string()).collect());
    r
}

fn start(peer: &str) -> Record {
    let mut r = Record::new(BASE, Kind::Start);
    r.node = Some(peer.into());
    r
}

fn write_node(dir: &Path, name: &str, peer: &str, records: &[Record], junk: &str) {
    let d = dir.join(name).join("capture");
    std::fs::create_dir_all(&d).unwrap();
    let mut text: String =
        records.iter().map(|r| serde_json::to_string(r).unwrap() + "\n").collect();
    text.push_str(junk);
    std::fs::write(d.join(format!("capture-{peer}.jsonl")), text).unwrap();
}

/// A (validator-0) publishes a transaction and a proposal, B (full-0) a prevote; C and D
/// (full-1, full-2) only receive. D never gets the prevote. B sees one message nobody captured
/// being published.
fn testnet_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    let end = mesh(10_000.0, TX, &[]);
    write_node(
        p,
        "validator-0",
        "PA",
        &[
            start("PA"),
            mesh(0.0, CONS, &["PB", "PD"]),
            msg(1000.0, Kind::Publish, TX, "m1", "transaction"),
            recv(2001.0, CONS, "m2", "prevote", "PB"),
            msg(3000.0, Kind::Publish, CONS, "m3", "proposal"),
            mesh(5000.0, CONS, &["PB", "PD"]),
        ],
        "",
    );
    write_node(
        p,
        "full-0",
        "PB",
        &[
            start("PB"),
            mesh(0.0, CONS, &["PA", "PC"]),
            recv(1002.0, TX, "m1", "transaction", "PA"),
            dup(1500.0, TX, "m1", 1),
            msg(2000.0, Kind::Publish, CONS, "m2", "prevote"),
            recv(3010.0, CONS, "m3", "proposal", "PA"),
            recv(4000.0, TX, "m4", "transaction", "PC"),
            mesh(5000.0, CONS, &["PA", "PC"]),
        ],
        "{truncated by a crash",
    );
    write_node(
        p,
        "full-1",
        "PC",
        &[
            start("PC"),
            recv(1003.0, TX, "m1", "transaction", "PB"),
            dup(1500.0, TX, "m1", 2),
            recv(2001.5, CONS, "m2", "prevote", "PB"),
            recv(3020.0, CONS, "m3", "proposal", "PB"),
            Record { count: Some(1), ..Record::new(BASE + 3500 * MS, Kind::Garbage) },
            mesh(5000.0, CONS, &["PD"]),
        ],
        "",
    );
    write_node(
        p,
        "full-2",
        "PD",
        &[
            start("PD"),
            recv(1005.0, TX, "m1", "transaction", "PA"),
            recv(3030.0, CONS, "m3", "proposal", "PA"),
            Record { count: Some(3), ..Record::new(BASE + 3600 * MS, Kind::Dropped) },
            mesh(5000.0, CONS, &["PA", "PZZZZZZZZ"]),
            end,
        ],
        "",
    );
    dir
}

fn group<'a>(a: &'a Analysis, label: &str) -> &'a analyze::DelayGroup {
    a.delays
        .iter()
        .find(|g| plot::group_label(g) == label)
        .unwrap_or_else(|| panic!("no group {label}: {:?}", a.delays))
}

#[test]
fn figures_from_synthetic_captures_match_the_hand_worked_ones() {
    let dir = testnet_dir();
    let files = find_captures(dir.path()).unwrap();
    assert_eq!(files.len(), 4);
    assert!(files.iter().any(|f| f.name == "full-2" && f.peer.as_deref() == Some("PD")));
    let c = collect(&files).unwrap();
    let a = analyze(&c, Window::default());

    let tx = group(&a, "tx");
    let d = tx.delay.unwrap();
    assert_eq!((tx.messages, d.count, d.p50, d.max), (1, 3, 3 * MS, 5 * MS));
    assert_eq!(tx.reach, 1.0);
    assert!((tx.one_hop - 2.0 / 3.0).abs() < 1e-9, "C got it through B");
    assert_eq!(tx.to_all.unwrap().p50, 5 * MS);
    assert!(a.delays.iter().all(|g| g.topic != "tx" || g.payload.is_none()), "one payload kind");

    let cons = group(&a, "consensus");
    let d = cons.delay.unwrap();
    assert_eq!((cons.messages, d.count, d.min, d.max), (2, 5, MS, 30 * MS));
    assert!((cons.reach - 5.0 / 6.0).abs() < 1e-9, "D never got the prevote");
    assert!((cons.one_hop - 4.0 / 5.0).abs() < 1e-9);
    assert_eq!(cons.to_all.unwrap().count, 1, "only the proposal reached everyone");
    assert_eq!(group(&a, "consensus/prevote").delay.unwrap().max, 3 * MS / 2);
    assert_eq!(group(&a, "consensus/proposal").delay.unwrap().p50, 20 * MS);

    let dtx = a.duplicates.iter().find(|d| d.topic == "tx").unwrap();
    assert_eq!((dtx.messages, dtx.copies), (1, 3));
    assert!((dtx.per_holder - 0.75).abs() < 1e-9);

    assert_eq!(a.unpublished_messages, 1);
    assert_eq!(a.early_receipts, 0);
    let b = a.traffic.iter().find(|r| r.node == "full-0" && r.topic == "tx").unwrap();
    assert_eq!((b.traffic.received, b.traffic.duplicates, b.traffic.forwarded), (2, 1, 1));
    assert_eq!(b.traffic.duplicate_bytes, 100);
    let node = |n: &str| a.nodes.iter().find(|x| x.name == n).unwrap();
    assert_eq!(node("full-0").bad_lines, 1);
    assert_eq!(node("full-1").garbage, 1);
    assert_eq!(node("full-2").dropped, 3);

    let m = a.mesh.iter().find(|m| m.topic == "consensus").unwrap();
    assert_eq!(m.nodes, 4);
    let deg = m.degree.unwrap();
    assert_eq!((deg.min, deg.max), (1, 2));
    let e = |x: &str, y: &str| a.mesh_edges.iter().find(|e| e.a == x && e.b == y);
    assert!(e("full-0", "validator-0").unwrap().mutual);
    assert!(!e("full-0", "full-1").unwrap().mutual, "full-0 lists full-1 but not back");
    assert!(e("full-2", "peer…ZZZZZZ").is_some(), "peers without captures by short id");

    let out = dir.path().join("report");
    let written = write(&out, &a).unwrap();
    let md = std::fs::read_to_string(&written.markdown).unwrap();
    assert!(md.contains("| tx | 1 | 3 | 100.0% | 67% | 3.00 ms |"), "{md}");
    assert!(md.contains("3 records dropped"));
    let svg = std::fs::read_to_string(&written.delay_svg).unwrap();
    assert_eq!(svg.matches("<polyline").count(), 4);
    assert!(std::fs::read_to_string(&written.mesh_dot).unwrap().starts_with("// Gossipsub mesh"));
    assert!(std::fs::read_to_string(&written.mesh_svg).unwrap().contains("full-2"));

    // A report's own output under the directory is not mistaken for a capture.
    assert_eq!(find_captures(dir.path()).unwrap().len(), 4);
}

#[test]
fn the_window_leaves_out_warmup_and_the_last_seconds() {
    let dir = testnet_dir();
    let c = collect(&find_captures(dir.path()).unwrap()).unwrap();
    let a = analyze(&c, Window { warmup_s: 1.5, cooldown_s: 7.5 });
    // Window: 1.5 s … 2.5 s after the first record: only the prevote (published at 2.0 s).
    assert_eq!(a.delays.len(), 1, "{:?}", a.delays);
    assert_eq!(plot::group_label(&a.delays[0]), "consensus", "one payload kind: no breakdown");
    assert_eq!(a.delays[0].messages, 1);
    assert!(find_captures(&dir.path().join("validator-0").join("nothing")).is_err());
    let empty = tempfile::tempdir().unwrap();
    assert!(matches!(find_captures(empty.path()), Err(ReportError::NoCaptures(_))));
}
