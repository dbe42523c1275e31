//! `tau testnet report`: merges a run's gossip captures (docs/capture-format.md) into
//! per-topic propagation-delay percentiles, duplicates, traffic and mesh degree, and writes
//! `report.md`, `delay.svg`, `mesh.dot` and `mesh.svg`.
//!
//! Everything here is pure over the capture files: no node, no network.

pub mod analyze;
pub mod collect;
pub mod markdown;
pub mod mesh;
pub mod plot;
pub mod stats;
pub mod svg;

#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

pub use analyze::{Analysis, Window, analyze};
pub use collect::{CollectError, Collected};

/// A capture file and the node it belongs to.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct CaptureFile {
    pub path: PathBuf,
    /// The testnet node's directory name when the file sits in `<node>/capture/`; otherwise a
    /// short form of the peer id.
    pub name: String,
    /// The peer id in the file name (`capture-<peer id>.jsonl`).
    pub peer: Option<String>,
}

/// How deep under the given directory capture files are looked for (`<dir>/<node>/capture/…`).
const MAX_DEPTH: usize = 4;
/// Capture files beyond this are refused: this report is for testnet-sized runs.
const MAX_FILES: usize = 4096;

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error(
        "no capture files (capture-*.jsonl) under {0}; start the testnet with `tau testnet up --capture`"
    )]
    NoCaptures(PathBuf),
    #[error(transparent)]
    Collect(#[from] CollectError),
}

/// Every `capture-*.jsonl` under `dir`, in path order.
pub fn find_captures(dir: &Path) -> Result<Vec<CaptureFile>, ReportError> {
    let mut out = Vec::new();
    walk(dir, 0, &mut out)?;
    out.sort();
    if out.is_empty() {
        return Err(ReportError::NoCaptures(dir.to_path_buf()));
    }
    Ok(out)
}

fn walk(dir: &Path, depth: usize, out: &mut Vec<CaptureFile>) -> Result<(), ReportError> {
    let io = |source| ReportError::Io { path: dir.to_path_buf(), source };
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let entry = entry.map_err(io)?;
        let path = entry.path();
        let kind = entry.file_type().map_err(io)?;
        if kind.is_dir() && depth < MAX_DEPTH {
            walk(&path, depth + 1, out)?;
        } else if kind.is_file()
            && let Some(peer) = path
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_prefix("capture-"))
                .and_then(|n| n.strip_suffix(".jsonl"))
        {
            if out.len() >= MAX_FILES {
                return Err(CollectError::TooMany(MAX_FILES).into());
            }
            let node_dir = path
                .parent()
                .filter(|p| p.file_name().is_some_and(|n| n == "capture"))
                .and_then(Path::parent)
                .and_then(Path::file_name)
                .and_then(|n| n.to_str());
            let name = node_dir.map_or_else(|| analyze::short_peer(peer), str::to_string);
            out.push(CaptureFile { path: path.clone(), name, peer: Some(peer.to_string()) });
        }
    }
    Ok(())
}

/// Reads and folds every capture file.
pub fn collect(files: &[CaptureFile]) -> Result<Collected, ReportError> {
    let mut c = Collected::default();
    for f in files {
        c.add_file(&f.path, &f.name, f.peer.as_deref())?;
    }
    c.attribute_forwarding();
    Ok(c)
}

/// The files a report writes.
#[derive(Clone, Debug)]
pub struct ReportFiles {
    pub markdown: PathBuf,
    pub delay_svg: PathBuf,
    pub mesh_dot: PathBuf,
    pub mesh_svg: PathBuf,
}

/// Writes `report.md`, `delay.svg`, `mesh.dot` and `mesh.svg` into `out`.
pub fn write(out: &Path, a: &Analysis) -> Result<ReportFiles, ReportError> {
    let io = |source| ReportError::Io { path: out.to_path_buf(), source };
    std::fs::create_dir_all(out).map_err(io)?;
    let files = ReportFiles {
        markdown: out.join("report.md"),
        delay_svg: out.join("delay.svg"),
        mesh_dot: out.join("mesh.dot"),
        mesh_svg: out.join("mesh.svg"),
    };
    let nodes: Vec<String> = a.nodes.iter().map(|n| n.name.clone()).collect();
    let mut md = markdown::render(a, true);
    md.push_str(
        "\n## Figures\n\n![propagation delay](delay.svg)\n\n![mesh](mesh.svg)\n\n\
         `mesh.dot` holds the same mesh for Graphviz (`circo -Tsvg mesh.dot`).\n",
    );
    let put = |p: &PathBuf, text: String| {
        std::fs::write(p, text).map_err(|source| ReportError::Io { path: p.clone(), source })
    };
    put(&files.markdown, md)?;
    put(&files.delay_svg, plot::delay_cdf(&a.delays))?;
    put(&files.mesh_dot, mesh::dot(&nodes, &a.mesh_edges))?;
    put(&files.mesh_svg, mesh::svg(&nodes, &a.mesh_edges))?;
    Ok(files)
}
