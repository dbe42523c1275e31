//! The gossipsub mesh as of each node's last snapshot: `mesh.dot` for Graphviz and `mesh.svg`
//! drawn here on a circle (nodes in name order, validators first), one colour per topic. A link
//! only one end listed (a graft or prune in flight at snapshot time) is dashed.

use std::collections::{BTreeMap, BTreeSet};
use std::f64::consts::PI;
use std::fmt::Write;

use super::analyze::MeshEdge;
use super::svg::{Doc, colour};

/// Topics in a stable order with their colour index.
fn topic_colours(edges: &[MeshEdge]) -> BTreeMap<&str, usize> {
    let topics: BTreeSet<&str> = edges.iter().map(|e| e.topic.as_str()).collect();
    topics.into_iter().enumerate().map(|(i, t)| (t, i)).collect()
}

/// Every node named by an edge, plus `nodes` (captures with no mesh peers still appear), in
/// display order: validators first, then by name with numbers in numeric order.
fn node_order(nodes: &[String], edges: &[MeshEdge]) -> Vec<String> {
    let mut all: BTreeSet<String> = nodes.iter().cloned().collect();
    for e in edges {
        all.insert(e.a.clone());
        all.insert(e.b.clone());
    }
    let mut v: Vec<String> = all.into_iter().collect();
    v.sort_by_key(|n| {
        let (stem, num) = n.rsplit_once('-').unwrap_or((n, ""));
        (
            !n.starts_with("validator"),
            stem.to_string(),
            num.parse::<u64>().unwrap_or(u64::MAX),
            n.clone(),
        )
    });
    v
}

pub fn dot(nodes: &[String], edges: &[MeshEdge]) -> String {
    let colours = topic_colours(edges);
    let mut out = String::from(
        "// Gossipsub mesh at each node's last capture snapshot (tau testnet report).\n\
         // One edge per topic and pair; dashed: only one end listed the other.\n\
         // Render: circo -Tsvg mesh.dot > mesh-circo.svg\n\
         graph mesh {\n  node [shape=circle, fontsize=10, style=filled, fillcolor=\"#eeeeee\"];\n",
    );
    for n in node_order(nodes, edges) {
        let fill = if n.starts_with("validator") { "#ffd27f" } else { "#eeeeee" };
        let _ = writeln!(out, "  \"{}\" [fillcolor=\"{fill}\"];", dot_escape(&n));
    }
    for e in edges {
        let c = colour(colours[e.topic.as_str()]);
        let style = if e.mutual { "solid" } else { "dashed" };
        let _ = writeln!(
            out,
            "  \"{}\" -- \"{}\" [color=\"{c}\", style={style}, topic=\"{}\"];",
            dot_escape(&e.a),
            dot_escape(&e.b),
            dot_escape(&e.topic)
        );
    }
    out.push_str("}\n");
    out
}

fn dot_escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

pub fn svg(nodes: &[String], edges: &[MeshEdge]) -> String {
    let order = node_order(nodes, edges);
    let colours = topic_colours(edges);
    let n = order.len().max(1);
    let radius = (n as f64 * 14.0).clamp(120.0, 420.0);
    let margin = 110.0;
    let legend = 170.0;
    let size = 2.0 * (radius + margin);
    let (cx, cy) = (radius + margin, radius + margin);
    let mut doc = Doc::new((size + legend) as u32, size as u32);
    doc.text(
        12.0,
        20.0,
        "start",
        "font-size=\"14\" font-weight=\"bold\"",
        "Gossipsub mesh (last snapshot)",
    );

    let pos: BTreeMap<&str, (f64, f64, f64)> = order
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let a = -PI / 2.0 + 2.0 * PI * i as f64 / n as f64;
            (name.as_str(), (cx + radius * a.cos(), cy + radius * a.sin(), a))
        })
        .collect();

    // Parallel links of one pair in different topics are offset sideways so each stays visible.
    let topics = colours.len().max(1) as f64;
    for e in edges {
        let (Some(&(x1, y1, _)), Some(&(x2, y2, _))) =
            (pos.get(e.a.as_str()), pos.get(e.b.as_str()))
        else {
            continue;
        };
        let k = colours[e.topic.as_str()] as f64;
        let off = (k - (topics - 1.0) / 2.0) * 2.5;
        let (dx, dy) = (x2 - x1, y2 - y1);
        let len = (dx * dx + dy * dy).sqrt().max(1e-9);
        let (ox, oy) = (-dy / len * off, dx / len * off);
        let dash = if e.mutual { "" } else { " stroke-dasharray=\"4 3\"" };
        let style = format!(
            "stroke=\"{}\" stroke-width=\"1.2\" stroke-opacity=\"0.7\"{dash}",
            colour(colours[e.topic.as_str()])
        );
        doc.line(x1 + ox, y1 + oy, x2 + ox, y2 + oy, &style);
    }

    let mut degree: BTreeMap<&str, usize> = BTreeMap::new();
    for e in edges {
        *degree.entry(e.a.as_str()).or_default() += 1;
        *degree.entry(e.b.as_str()).or_default() += 1;
    }
    for name in &order {
        let (x, y, a) = pos[name.as_str()];
        let fill = if name.starts_with("validator") { "#ffd27f" } else { "#eeeeee" };
        let title = format!(
            "{name}: {} mesh links over all topics",
            degree.get(name.as_str()).unwrap_or(&0)
        );
        doc.circle(x, y, 6.0, fill, &title);
        let (lx, ly) = (x + 12.0 * a.cos(), y + 12.0 * a.sin() + 4.0);
        let anchor = if a.cos() >= 0.0 { "start" } else { "end" };
        doc.text(lx, ly, anchor, "font-size=\"10\"", name);
    }

    for (topic, i) in &colours {
        let y = 40.0 + *i as f64 * 18.0;
        let x = size + 10.0;
        doc.line(
            x,
            y - 4.0,
            x + 22.0,
            y - 4.0,
            &format!("stroke=\"{}\" stroke-width=\"3\"", colour(*i)),
        );
        doc.text(x + 28.0, y, "start", "", topic);
    }
    let y = 40.0 + colours.len() as f64 * 18.0 + 10.0;
    doc.text(size + 10.0, y, "start", "font-size=\"10\" fill=\"#555\"", "dashed: one-sided link");
    doc.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edge(topic: &str, a: &str, b: &str, mutual: bool) -> MeshEdge {
        MeshEdge { topic: topic.into(), a: a.into(), b: b.into(), mutual }
    }

    #[test]
    fn dot_and_svg_draw_every_link_and_node() {
        let edges = vec![
            edge("consensus", "full-0", "validator-0", true),
            edge("tx", "full-0", "validator-0", true),
            edge("consensus", "full-10", "full-2", false),
        ];
        let nodes = vec!["validator-0".to_string(), "lonely\"one".to_string()];
        let d = dot(&nodes, &edges);
        assert_eq!(d.matches(" -- ").count(), 3);
        assert!(d.contains("style=dashed"));
        assert!(d.contains("\"lonely\\\"one\""), "names are escaped: {d}");
        let s = svg(&nodes, &edges);
        assert_eq!(s.matches("<circle").count(), 5);
        assert_eq!(s.matches("stroke-opacity").count(), 3);
        assert!(s.contains("lonely&quot;one"));
        let order = node_order(&nodes, &edges);
        assert_eq!(order[0], "validator-0");
        assert!(
            order.iter().position(|n| n == "full-2") < order.iter().position(|n| n == "full-10"),
            "numeric order: {order:?}"
        );
    }
}
