//! A miner's request handling, without the network and the chain: given an
//! [`InferenceRequest`] and who sent it, produce the [`InferenceResponse`].
//!
//! In order: a request for another subnet or task is `WrongTask`; an unregistered caller on a
//! subnet that requires registration is `Unregistered`; a payload the task cannot decode is
//! `BadRequest`; then the request waits for a slot by the caller's stake ([`Admission`]) —
//! `Busy` at once when the queue is full — and the backend must answer before the request's
//! deadline (capped by `max_deadline_ms`, counted from arrival), else `Timeout`. Every answer
//! carries the time spent since arrival. The caller lookup is a [`CallerPolicy`], so the chain
//! (stake and registration of the caller's hotkey) plugs in later without changing this.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use libp2p::PeerId;
use protocol::NetUid;
use protocol::wire::{InferenceRequest, InferenceResponse, InferenceStatus};
use tokio::time::{Instant, timeout_at};

use super::admission::{Admission, Refusal};
use super::backend::{Backend, BackendError};
use super::task::AnyCodec;

/// Who is calling: their stake on the subnet if registered there, `None` if not.
pub type CallerStake = Option<u64>;

/// Looks callers up (on the chain, later): stake if registered on `netuid`, else `None`.
pub trait CallerPolicy: Send + Sync {
    fn stake(&self, netuid: NetUid, peer: &PeerId) -> CallerStake;
}

impl<F: Fn(NetUid, &PeerId) -> CallerStake + Send + Sync> CallerPolicy for F {
    fn stake(&self, netuid: NetUid, peer: &PeerId) -> CallerStake {
        self(netuid, peer)
    }
}

#[derive(Clone, Debug)]
pub struct MinerConfig {
    pub netuid: NetUid,
    /// Requests the backend works on at once.
    pub max_concurrent: usize,
    /// Requests waiting for a slot, by stake; beyond this, `Busy`.
    pub max_waiting: usize,
    /// The subnet's `require_registered_callers`.
    pub require_registered: bool,
    /// The longest deadline honoured, whatever the caller asks.
    pub max_deadline_ms: u32,
}

impl MinerConfig {
    pub fn new(netuid: NetUid) -> Self {
        MinerConfig {
            netuid,
            max_concurrent: 8,
            max_waiting: 64,
            require_registered: false,
            max_deadline_ms: 30_000,
        }
    }
}

/// Counters for status output and logs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct MinerStats {
    pub ok: u64,
    pub busy: u64,
    pub timeout: u64,
    pub refused: u64,
    pub error: u64,
}

#[derive(Default)]
struct Counters {
    ok: AtomicU64,
    busy: AtomicU64,
    timeout: AtomicU64,
    refused: AtomicU64,
    error: AtomicU64,
}

pub struct MinerService {
    config: MinerConfig,
    codec: Arc<dyn AnyCodec>,
    backend: Arc<dyn Backend>,
    policy: Arc<dyn CallerPolicy>,
    admission: Admission,
    counters: Counters,
}

impl MinerService {
    pub fn new(
        config: MinerConfig,
        codec: Arc<dyn AnyCodec>,
        backend: Arc<dyn Backend>,
        policy: Arc<dyn CallerPolicy>,
    ) -> Self {
        let limit =
            backend.concurrency().map_or(config.max_concurrent, |c| c.min(config.max_concurrent));
        let admission = Admission::new(limit, config.max_waiting);
        MinerService { config, codec, backend, policy, admission, counters: Counters::default() }
    }

    pub fn config(&self) -> &MinerConfig {
        &self.config
    }

    pub fn backend(&self) -> &Arc<dyn Backend> {
        &self.backend
    }

    pub fn stats(&self) -> MinerStats {
        let c = &self.counters;
        MinerStats {
            ok: c.ok.load(Ordering::Relaxed),
            busy: c.busy.load(Ordering::Relaxed),
            timeout: c.timeout.load(Ordering::Relaxed),
            refused: c.refused.load(Ordering::Relaxed),
            error: c.error.load(Ordering::Relaxed),
        }
    }

    /// Requests running and waiting right now.
    pub fn load(&self) -> (usize, usize) {
        (self.admission.running(), self.admission.waiting())
    }

    /// Answers a request from `peer`, looking the caller up with the [`CallerPolicy`].
    pub async fn handle(&self, peer: &PeerId, request: InferenceRequest) -> InferenceResponse {
        let stake = self.policy.stake(request.netuid, peer);
        self.handle_as(stake, request).await
    }

    /// Answers a request from a caller whose stake is already known.
    pub async fn handle_as(
        &self,
        caller: CallerStake,
        request: InferenceRequest,
    ) -> InferenceResponse {
        let arrived = Instant::now();
        let (status, payload) = self.decide(caller, &request, arrived).await;
        let counter = match status {
            InferenceStatus::Ok => &self.counters.ok,
            InferenceStatus::Busy => &self.counters.busy,
            InferenceStatus::Timeout => &self.counters.timeout,
            InferenceStatus::Error => &self.counters.error,
            InferenceStatus::Unregistered
            | InferenceStatus::WrongTask
            | InferenceStatus::BadRequest => &self.counters.refused,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        let server_time_us = u64::try_from(arrived.elapsed().as_micros()).unwrap_or(u64::MAX);
        InferenceResponse { status, payload, server_time_us }
    }

    async fn decide(
        &self,
        caller: CallerStake,
        request: &InferenceRequest,
        arrived: Instant,
    ) -> (InferenceStatus, Vec<u8>) {
        let fail = |status| (status, Vec::new());
        if request.netuid != self.config.netuid || request.task != self.codec.name() {
            return fail(InferenceStatus::WrongTask);
        }
        if self.config.require_registered && caller.is_none() {
            return fail(InferenceStatus::Unregistered);
        }
        if self.codec.check_request(&request.payload).is_err() {
            return fail(InferenceStatus::BadRequest);
        }
        let ms = request.deadline_ms.min(self.config.max_deadline_ms);
        if ms == 0 {
            return fail(InferenceStatus::Timeout);
        }
        let deadline = arrived + Duration::from_millis(u64::from(ms));
        let _slot = match self.admission.admit(caller.unwrap_or(0), deadline).await {
            Ok(slot) => slot,
            Err(Refusal::Busy) => return fail(InferenceStatus::Busy),
            Err(Refusal::Timeout) => return fail(InferenceStatus::Timeout),
        };
        match timeout_at(deadline, self.backend.answer(request, deadline)).await {
            Err(_) | Ok(Err(BackendError::Timeout)) => fail(InferenceStatus::Timeout),
            Ok(Err(e)) => {
                tracing::debug!(error = %e, backend = %self.backend.describe(), "backend failed");
                fail(InferenceStatus::Error)
            }
            Ok(Ok(payload)) => match self.codec.check_response(&payload) {
                Ok(()) => (InferenceStatus::Ok, payload),
                Err(e) => {
                    tracing::warn!(error = %e, "backend answered an invalid payload; not sending it");
                    fail(InferenceStatus::Error)
                }
            },
        }
    }
}
