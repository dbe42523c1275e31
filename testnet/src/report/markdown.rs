//! `report.md`: the figures as Markdown tables, with what each one measures.

use std::fmt::Write;

use super::analyze::Analysis;
use super::plot::group_label;
use super::stats::{Summary, bytes, ms};

/// Renders the report; the per-node traffic table (a row per node and topic) only when asked.
pub fn render(a: &Analysis, traffic: bool) -> String {
    let mut o = String::new();
    let secs = |ns: u64| ns as f64 / 1e9;
    let span = a.span_ns.1.saturating_sub(a.span_ns.0);
    let window = a.window_ns.1.saturating_sub(a.window_ns.0);
    let records: u64 = a.nodes.iter().map(|n| n.records).sum();
    let _ = writeln!(o, "# Gossip report\n");
    let _ = writeln!(
        o,
        "{} capturing nodes, {records} records over {:.1} s ({} to {}). Delay and mesh figures \
         cover messages first published from {} to {} ({:.1} s).\n",
        a.nodes.len(),
        secs(span),
        utc(a.span_ns.0),
        utc(a.span_ns.1),
        utc(a.window_ns.0),
        utc(a.window_ns.1),
        secs(window)
    );
    let bad: u64 = a.nodes.iter().map(|n| n.bad_lines).sum();
    let dropped: u64 = a.nodes.iter().map(|n| n.dropped).sum();
    let garbage: u64 = a.nodes.iter().map(|n| n.garbage).sum();
    if bad + dropped + garbage + a.unpublished_messages + a.early_receipts > 0 {
        let _ = writeln!(
            o,
            "Caveats: {dropped} records dropped by nodes' writers, {bad} unreadable lines, \
             {garbage} undecodable messages received, {} messages seen without a captured \
             publish (no delay measurable), {} receipts timed before their publish.\n",
            a.unpublished_messages, a.early_receipts
        );
    }

    let _ = writeln!(o, "## Propagation delay\n");
    let _ = writeln!(
        o,
        "From the first publish of a message anywhere to its first receipt at each other \
         capturing node (wall clock; a local testnet's nodes share one). *Reach*: receipts over \
         the receipts expected (every node subscribed to the topic that did not publish the \
         message). *One hop*: receipts whose first copy came straight from the publisher. *To \
         all*: per message, the delay until the last expected node had it, over messages that \
         reached every one.\n"
    );
    let _ = writeln!(
        o,
        "| topic | messages | receipts | reach | one hop | p50 | p90 | p99 | max | to all p50 | to all p99 |"
    );
    let _ = writeln!(o, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for g in &a.delays {
        let d = g.delay.unwrap_or_default();
        let all = g.to_all;
        let _ = writeln!(
            o,
            "| {} | {} | {} | {:.1}% | {:.0}% | {} | {} | {} | {} | {} | {} |",
            group_label(g),
            g.messages,
            d.count,
            g.reach * 100.0,
            g.one_hop * 100.0,
            or_dash(g.delay, |s| ms(s.p50)),
            or_dash(g.delay, |s| ms(s.p90)),
            or_dash(g.delay, |s| ms(s.p99)),
            or_dash(g.delay, |s| ms(s.max)),
            or_dash(all, |s| ms(s.p50)),
            or_dash(all, |s| ms(s.p99)),
        );
    }
    if a.delays.is_empty() {
        let _ = writeln!(o, "\nNo message with a captured publish falls in the window.");
    }

    let _ = writeln!(o, "\n## Duplicates\n");
    let _ = writeln!(
        o,
        "Copies of a message that reached a node which already had it, counted per message id \
         at every node before gossipsub's duplicate filter. The peer that sent a copy is not \
         known (the count comes from gossipsub's data transform, which sees the message but not \
         the connection). *Per holder*: copies per node that had the message.\n"
    );
    let _ = writeln!(o, "| topic | messages | copies | per holder | per message p50 | p99 | max |");
    let _ = writeln!(o, "|---|---:|---:|---:|---:|---:|---:|");
    for d in &a.duplicates {
        let _ = writeln!(
            o,
            "| {} | {} | {} | {:.2} | {} | {} | {} |",
            d.topic,
            d.messages,
            d.copies,
            d.per_holder,
            or_dash(d.per_message, |s| s.p50.to_string()),
            or_dash(d.per_message, |s| s.p99.to_string()),
            or_dash(d.per_message, |s| s.max.to_string()),
        );
    }

    let _ = writeln!(o, "\n## Mesh degree\n");
    let _ =
        writeln!(o, "Peers in a node's mesh for the topic, over every snapshot in the window.\n");
    let _ = writeln!(o, "| topic | nodes | min | mean | p50 | max |");
    let _ = writeln!(o, "|---|---:|---:|---:|---:|---:|");
    for m in &a.mesh {
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} | {} |",
            m.topic,
            m.nodes,
            or_dash(m.degree, |s| s.min.to_string()),
            or_dash(m.degree, |s| format!("{:.1}", s.mean)),
            or_dash(m.degree, |s| s.p50.to_string()),
            or_dash(m.degree, |s| s.max.to_string()),
        );
    }

    let _ = writeln!(o, "\n## Traffic\n");
    let mut totals: std::collections::BTreeMap<&str, [u64; 4]> = Default::default();
    for r in &a.traffic {
        let t = totals.entry(r.topic.as_str()).or_default();
        t[0] += r.traffic.published_bytes;
        t[1] += r.traffic.received_bytes;
        t[2] += r.traffic.duplicate_bytes;
        t[3] += r.traffic.duplicates;
    }
    let per_s = |b: u64| if span == 0 { 0.0 } else { b as f64 / secs(span) };
    let _ = writeln!(
        o,
        "Payload bytes (without gossipsub framing) over the whole capture, all nodes together.\n"
    );
    let _ = writeln!(
        o,
        "| topic | published | received (first copies) | duplicate copies | duplicate bytes | received + duplicates per second |"
    );
    let _ = writeln!(o, "|---|---:|---:|---:|---:|---:|");
    for (topic, [p, r, d, n]) in &totals {
        let _ = writeln!(
            o,
            "| {topic} | {} | {} | {n} | {} | {}/s |",
            bytes(*p),
            bytes(*r),
            bytes(*d),
            bytes(per_s(r + d) as u64)
        );
    }
    if traffic {
        let _ = writeln!(
            o,
            "\nPer node and topic. *Forwarded*: first copies other capturing nodes received \
             from this node.\n"
        );
        let _ = writeln!(
            o,
            "| node | topic | published | received | duplicates | forwarded | bytes published | bytes received | duplicate bytes | bytes forwarded |"
        );
        let _ = writeln!(o, "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        for r in &a.traffic {
            let t = &r.traffic;
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                r.node,
                r.topic,
                t.published,
                t.received,
                t.duplicates,
                t.forwarded,
                bytes(t.published_bytes),
                bytes(t.received_bytes),
                bytes(t.duplicate_bytes),
                bytes(t.forwarded_bytes)
            );
        }
    }
    o
}

fn or_dash(s: Option<Summary>, f: impl Fn(Summary) -> String) -> String {
    s.map_or("-".to_string(), f)
}

/// `YYYY-MM-DD HH:MM:SS UTC` of a Unix time in ns.
pub fn utc(ns: u64) -> String {
    let secs = ns / 1_000_000_000;
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(days as i64);
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC", rem / 3600, rem % 3600 / 60, rem % 60)
}

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_utc_calendar_dates() {
        assert_eq!(utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc(1_700_000_000_000_000_000), "2023-11-14 22:13:20 UTC");
        assert_eq!(utc(951_782_400_000_000_000), "2000-02-29 00:00:00 UTC");
    }
}
