//! The `exec` backend: a child program answers requests as JSON lines on its stdin and stdout, so
//! a model in any language (Python, say: `examples/exec_miner.py`) can serve a subnet.
//!
//! # Protocol
//!
//! The miner starts the program once and writes one request per line to its stdin; the program
//! writes exactly one reply line per request to its stdout, in order, and flushes. Its stderr is
//! passed through (or discarded) and is free for logs. Every line is UTF-8 JSON without raw
//! newlines; a line may be at most `max_line_bytes` long (default 1 MiB).
//!
//! Request line:
//! ```json
//! {"id": 42, "netuid": 1, "task": "next-token", "deadline_ms": 480,
//!  "request": {"context": ["baka", "tomu", "lisa"], "k": 32}}
//! ```
//! - `id`: a counter; the reply must carry the same one.
//! - `deadline_ms`: milliseconds left to answer, measured when the line was written.
//! - `request`: task-defined. For `next-token`: `context` is the window of words, oldest first
//!   (1..=256 words of 1..=48 bytes, no whitespace); `k` (1..=32) the most candidates wanted.
//!
//! Reply line, one of:
//! ```json
//! {"id": 42, "response": {"top": [{"token": "mavi", "p": 0.61}, {"token": "ruso", "p": 0.2}]}}
//! {"id": 42, "error": "model not loaded"}
//! ```
//! - For `next-token`: at most `k` distinct words with probabilities `p` in [0, 1]. Mass left
//!   unlisted is spread over the rest of the vocabulary by the scorer, so leave some unless
//!   certain. Probabilities are floored to multiples of 2^-24 on the wire; ones that floor to
//!   zero are dropped. A sum above 1 is renormalised by the scorer.
//!
//! # Failure handling
//!
//! The deadline is enforced here: a program that has not replied in time is killed and restarted
//! on the next request (its late reply would put the stream out of step). So is one that replies
//! garbage (not JSON, wrong `id`, invalid response, line too long) or exits. An `error` reply is
//! in step and keeps the program running. A request abandoned mid-way (the miner gave up first)
//! kills the program at once. Requests are answered one at a time — one program, one stream — so
//! the backend reports a concurrency of 1 and the miner orders the waiting requests by stake.

use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use futures::future::BoxFuture;
use protocol::wire::InferenceRequest;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};
use tokio::sync::{Mutex, MutexGuard};
use tokio::time::{Instant, timeout_at};

use super::{Backend, BackendError, json};
use crate::neuron::task::AnyCodec;

/// Default cap on one reply line.
pub const DEFAULT_MAX_LINE_BYTES: usize = 1024 * 1024;

#[derive(Clone, Debug)]
pub struct ExecConfig {
    pub program: String,
    pub args: Vec<String>,
    pub max_line_bytes: usize,
    /// Discard the child's stderr instead of passing it through.
    pub quiet_stderr: bool,
}

impl ExecConfig {
    pub fn new(
        program: impl Into<String>,
        args: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        ExecConfig {
            program: program.into(),
            args: args.into_iter().map(Into::into).collect(),
            max_line_bytes: DEFAULT_MAX_LINE_BYTES,
            quiet_stderr: false,
        }
    }
}

struct Running {
    // Held so that dropping `Running` kills the program (`kill_on_drop`).
    _child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

/// The program's slot: `None` until started, and again after it is killed.
type State = Option<Running>;

/// One request's hold on the program. Unless marked in step after a good reply, dropping it
/// kills the program: on an error, a timeout, or when the request is abandoned mid-exchange (its
/// future dropped), since a late reply would put the stream out of step.
struct Exchange<'a> {
    state: MutexGuard<'a, State>,
    program: &'a str,
    in_step: bool,
}

impl Drop for Exchange<'_> {
    fn drop(&mut self) {
        if !self.in_step && self.state.take().is_some() {
            tracing::warn!(
                program = %self.program,
                "exec backend failed, timed out or was abandoned mid-request; killed it, it \
                 restarts on the next request"
            );
        }
    }
}

pub struct ExecBackend {
    config: ExecConfig,
    codec: Arc<dyn AnyCodec>,
    state: Mutex<State>,
    next_id: AtomicU64,
    starts: AtomicU64,
}

impl ExecBackend {
    /// The program is started on the first request, and again after any failure.
    pub fn new(config: ExecConfig, codec: Arc<dyn AnyCodec>) -> Self {
        ExecBackend {
            config,
            codec,
            state: Mutex::new(None),
            next_id: AtomicU64::new(1),
            starts: AtomicU64::new(0),
        }
    }

    /// How many times the program has been started (restarts show up here).
    pub fn starts(&self) -> u64 {
        self.starts.load(Ordering::Relaxed)
    }

    fn spawn(&self) -> Result<Running, BackendError> {
        let stderr = if self.config.quiet_stderr { Stdio::null() } else { Stdio::inherit() };
        let mut child = Command::new(&self.config.program)
            .args(&self.config.args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| {
                BackendError::Io(format!("cannot start {:?}: {e}", self.config.program))
            })?;
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            return Err(BackendError::Io("child has no stdin/stdout pipes".into()));
        };
        self.starts.fetch_add(1, Ordering::Relaxed);
        Ok(Running { _child: child, stdin, stdout: BufReader::new(stdout) })
    }

    async fn answer_inner(
        &self,
        request: &InferenceRequest,
        deadline: Instant,
    ) -> Result<Vec<u8>, BackendError> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let state =
            timeout_at(deadline, self.state.lock()).await.map_err(|_| BackendError::Timeout)?;
        // Built once the program is ours, so `deadline_ms` is what it really has left.
        let mut line = json::request_json(&*self.codec, id, request, deadline)?;
        line.push(b'\n');
        let mut held = Exchange { state, program: &self.config.program, in_step: false };
        let running = match &mut *held.state {
            Some(running) => running,
            empty => empty.insert(self.spawn()?),
        };
        let max = self.config.max_line_bytes;
        let reply = match timeout_at(deadline, exchange(running, &line, max)).await {
            Ok(reply) => reply?,
            Err(_) => return Err(BackendError::Timeout),
        };
        let result = json::parse_reply(&*self.codec, id, &reply, true);
        // An `error` reply is in step; garbage is not.
        held.in_step = !matches!(result, Err(BackendError::Garbage(_)));
        result
    }
}

/// Writes one line and reads one reply line of at most `max` bytes.
async fn exchange(running: &mut Running, line: &[u8], max: usize) -> Result<Vec<u8>, BackendError> {
    let io = |e: std::io::Error| BackendError::Io(e.to_string());
    running.stdin.write_all(line).await.map_err(io)?;
    running.stdin.flush().await.map_err(io)?;
    let mut reply = Vec::new();
    let limit = u64::try_from(max).unwrap_or(u64::MAX).saturating_add(1);
    (&mut running.stdout).take(limit).read_until(b'\n', &mut reply).await.map_err(io)?;
    if reply.last() == Some(&b'\n') {
        reply.pop();
        return Ok(reply);
    }
    if reply.len() > max {
        return Err(BackendError::Garbage(format!("reply line longer than {max} bytes")));
    }
    Err(BackendError::Io("the program exited or closed its stdout".into()))
}

impl Backend for ExecBackend {
    fn answer<'a>(
        &'a self,
        request: &'a InferenceRequest,
        deadline: Instant,
    ) -> BoxFuture<'a, Result<Vec<u8>, BackendError>> {
        Box::pin(self.answer_inner(request, deadline))
    }

    fn describe(&self) -> String {
        format!("exec {} {}", self.config.program, self.config.args.join(" "))
    }

    fn concurrency(&self) -> Option<usize> {
        Some(1)
    }
}
