//! Reading a node's log: its last lines, and following it as it grows (by polling, so it works
//! on any file system and survives the node being restarted, which appends to the same file).

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::time::Duration;

/// Bytes read per step when scanning backwards for line starts.
const CHUNK: u64 = 64 * 1024;

/// The last `lines` lines of the file and the offset just past them (where following starts).
pub fn tail(path: &Path, lines: usize) -> io::Result<(Vec<u8>, u64)> {
    let mut f = File::open(path)?;
    let end = f.metadata()?.len();
    if lines == 0 {
        return Ok((Vec::new(), end));
    }
    let mut start = end;
    let mut buf: Vec<u8> = Vec::new();
    let mut newlines = 0usize;
    while start > 0 {
        let step = CHUNK.min(start);
        start -= step;
        let mut chunk = vec![0u8; step as usize];
        f.seek(SeekFrom::Start(start))?;
        f.read_exact(&mut chunk)?;
        for (i, b) in chunk.iter().enumerate().rev() {
            // The file's final newline ends the last line rather than starting one.
            if *b == b'\n' && start + i as u64 != end - 1 {
                newlines += 1;
                if newlines == lines {
                    chunk.drain(..=i);
                    chunk.extend_from_slice(&buf);
                    return Ok((chunk, end));
                }
            }
        }
        chunk.extend_from_slice(&buf);
        buf = chunk;
    }
    Ok((buf, end))
}

/// Copies what is appended to the file after `offset` to `out` until `stop` says so, polling every
/// `every`. A file that shrinks (replaced or truncated) is read again from its start.
pub fn follow(
    path: &Path,
    mut offset: u64,
    out: &mut impl Write,
    every: Duration,
    mut stop: impl FnMut() -> bool,
) -> io::Result<()> {
    let mut buf = vec![0u8; CHUNK as usize];
    while !stop() {
        let mut f = match File::open(path) {
            Ok(f) => f,
            // Not there (yet, or for a moment while replaced): keep polling.
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                std::thread::sleep(every);
                continue;
            }
            Err(e) => return Err(e),
        };
        let len = f.metadata()?.len();
        if len < offset {
            offset = 0;
        }
        if len > offset {
            f.seek(SeekFrom::Start(offset))?;
            let mut left = len - offset;
            while left > 0 {
                let n = f.read(&mut buf[..CHUNK.min(left) as usize])?;
                if n == 0 {
                    break;
                }
                out.write_all(&buf[..n])?;
                offset += n as u64;
                left -= n as u64;
            }
            out.flush()?;
        }
        std::thread::sleep(every);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tail_str(path: &Path, n: usize) -> String {
        String::from_utf8(tail(path, n).unwrap().0).unwrap()
    }

    #[test]
    fn tail_returns_the_last_lines_with_or_without_a_final_newline() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("node.log");
        std::fs::write(&p, "a\nb\nc\n").unwrap();
        assert_eq!(tail_str(&p, 2), "b\nc\n");
        assert_eq!(tail_str(&p, 3), "a\nb\nc\n");
        assert_eq!(tail_str(&p, 10), "a\nb\nc\n");
        assert_eq!(tail_str(&p, 0), "");
        std::fs::write(&p, "a\nb\nc").unwrap();
        assert_eq!(tail_str(&p, 1), "c");
        assert_eq!(tail_str(&p, 2), "b\nc");
        std::fs::write(&p, "").unwrap();
        assert_eq!(tail_str(&p, 5), "");
        // Lines that straddle the backwards-read chunks.
        let long: String = (0..50_000).map(|i| format!("line {i}\n")).collect();
        std::fs::write(&p, &long).unwrap();
        assert_eq!(tail_str(&p, 2), "line 49998\nline 49999\n");
        assert_eq!(tail_str(&p, 20_000).lines().count(), 20_000);
        assert_eq!(tail_str(&p, 20_000).lines().next(), Some("line 30000"));
    }

    #[test]
    fn follow_copies_appends_and_restarts_after_truncation() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("node.log");
        std::fs::write(&p, "old\n").unwrap();
        let (_, offset) = tail(&p, 0).unwrap();
        let mut out = Vec::new();
        let mut polls = 0;
        follow(&p, offset, &mut out, Duration::from_millis(1), || {
            polls += 1;
            match polls {
                2 => std::fs::write(&p, "old\nnew\n").unwrap(),
                4 => std::fs::write(&p, "x\n").unwrap(),
                _ => {}
            }
            polls > 6
        })
        .unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "new\nx\n");
    }
}
