//! `delay.svg`: the cumulative distribution of propagation delay, one line per topic (and per
//! payload kind where a topic carries several), on a logarithmic time axis: gossip delays span
//! sub-millisecond hops and heartbeat-bound stragglers, and a linear axis would hide one or the
//! other.

use super::analyze::DelayGroup;
use super::svg::{Doc, colour};

const W: f64 = 820.0;
const H: f64 = 460.0;
const LEFT: f64 = 60.0;
const RIGHT: f64 = 250.0;
const TOP: f64 = 40.0;
const BOTTOM: f64 = 50.0;
/// Points per line: the CDF is drawn through this many evenly spaced quantiles.
const POINTS: usize = 400;
/// The axis starts no lower than 10 µs; a 0 ns delay is drawn at the axis's start.
const FLOOR_MS: f64 = 0.01;

/// The label of a group: `tx`, `consensus/prevote`.
pub fn group_label(g: &DelayGroup) -> String {
    match &g.payload {
        Some(p) => format!("{}/{p}", g.topic),
        None => g.topic.clone(),
    }
}

pub fn delay_cdf(groups: &[DelayGroup]) -> String {
    let mut doc = Doc::new(W as u32, H as u32);
    doc.text(
        LEFT,
        22.0,
        "start",
        "font-size=\"14\" font-weight=\"bold\"",
        "Gossip propagation delay: first publish → first receipt at each node (CDF)",
    );
    let plotted: Vec<&DelayGroup> = groups.iter().filter(|g| !g.samples.is_empty()).collect();
    let (lo, hi) = decades(&plotted);
    let (x0, x1, y0, y1) = (LEFT, W - RIGHT, H - BOTTOM, TOP);
    let x = |ms: f64| x0 + (ms.max(FLOOR_MS).log10() - lo) / (hi - lo) * (x1 - x0);
    let y = |q: f64| y0 - q * (y0 - y1);

    // Grid: decades on x, quarters and the 99th percentile on y.
    let grid = "stroke=\"#ddd\" stroke-width=\"1\"";
    for d in (lo as i32)..=(hi as i32) {
        let ms = 10f64.powi(d);
        doc.line(x(ms), y0, x(ms), y1, grid);
        doc.text(x(ms), y0 + 16.0, "middle", "", &axis_ms(ms));
    }
    for q in [0.0, 0.25, 0.5, 0.75, 1.0] {
        doc.line(x0, y(q), x1, y(q), grid);
        doc.text(x0 - 6.0, y(q) + 4.0, "end", "", &format!("{q:.2}"));
    }
    // The percentiles the tables report, marked where they cross the curves.
    for (q, label) in [(0.5, "p50"), (0.99, "p99")] {
        doc.line(x0, y(q), x1, y(q), "stroke=\"#999\" stroke-width=\"1\" stroke-dasharray=\"4 3\"");
        doc.text(x1 - 4.0, y(q) + 12.0, "end", "font-size=\"10\" fill=\"#555\"", label);
    }
    doc.line(x0, y0, x1, y0, "stroke=\"#333\"");
    doc.line(x0, y0, x0, y1, "stroke=\"#333\"");
    doc.text((x0 + x1) / 2.0, H - 12.0, "middle", "", "delay (log scale)");
    let mid = (y0 + y1) / 2.0;
    let rotate = format!("transform=\"rotate(-90 14 {mid:.1})\"");
    doc.text(14.0, mid, "middle", &rotate, "fraction of receipts");

    for (i, g) in plotted.iter().enumerate() {
        let n = g.samples.len();
        let pts: Vec<(f64, f64)> = (0..=POINTS)
            .map(|k| {
                let q = k as f64 / POINTS as f64;
                let rank = ((q * n as f64).ceil() as usize).clamp(1, n);
                (x(g.samples[rank - 1] as f64 / 1e6), y(q))
            })
            .collect();
        doc.polyline(&pts, colour(i), 2.0);
        let ly = TOP + 14.0 + i as f64 * 34.0;
        doc.line(
            x1 + 16.0,
            ly - 4.0,
            x1 + 40.0,
            ly - 4.0,
            &format!("stroke=\"{}\" stroke-width=\"3\"", colour(i)),
        );
        doc.text(x1 + 46.0, ly, "start", "", &group_label(g));
        if let Some(s) = g.delay {
            let line = format!(
                "p50 {} · p99 {} · n={}",
                super::stats::ms(s.p50),
                super::stats::ms(s.p99),
                s.count
            );
            doc.text(x1 + 46.0, ly + 14.0, "start", "font-size=\"10\" fill=\"#555\"", &line);
        }
    }
    if plotted.is_empty() {
        doc.text(
            (x0 + x1) / 2.0,
            (y0 + y1) / 2.0,
            "middle",
            "",
            "no propagation delays in the window",
        );
    }
    doc.finish()
}

/// The decades (log10 of ms) the axis spans: from the smallest to the largest sample.
fn decades(groups: &[&DelayGroup]) -> (f64, f64) {
    let all = groups.iter().flat_map(|g| [g.samples.first(), g.samples.last()]).flatten();
    let (mut lo, mut hi) = (f64::MAX, f64::MIN);
    for ns in all {
        let l = (*ns as f64 / 1e6).max(FLOOR_MS).log10();
        lo = lo.min(l);
        hi = hi.max(l);
    }
    if lo > hi {
        return (-1.0, 3.0);
    }
    let (lo, hi) = (lo.floor(), hi.ceil());
    if hi <= lo { (lo, lo + 1.0) } else { (lo, hi) }
}

fn axis_ms(ms: f64) -> String {
    if ms < 1.0 { format!("{ms} ms") } else { format!("{ms:.0} ms") }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::stats::Summary;

    fn group(topic: &str, mut samples: Vec<u64>) -> DelayGroup {
        let delay = Summary::of(&mut samples);
        DelayGroup {
            topic: topic.into(),
            payload: None,
            messages: 1,
            delay,
            to_all: None,
            reach: 1.0,
            one_hop: 1.0,
            samples,
        }
    }

    #[test]
    fn one_line_per_group_over_the_decades_of_the_data() {
        let svg = delay_cdf(&[
            group("tx", vec![0, 300_000, 2_000_000, 45_000_000]),
            group("consensus", vec![1_000_000; 3]),
            group("weights/1", vec![]),
        ]);
        assert_eq!(svg.matches("<polyline").count(), 2, "empty groups are not drawn");
        assert!(svg.contains(">0.01 ms<") && svg.contains(">100 ms<"), "axis from 10 µs to 100 ms");
        assert!(svg.contains("p99 45.0 ms"));
        assert!(delay_cdf(&[]).contains("no propagation delays"));
    }
}
