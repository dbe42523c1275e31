//! Stake-priority admission: at most `limit` requests run at once; up to `max_waiting` more wait
//! in a priority queue, highest caller stake first (earliest first among equals), and each freed
//! slot goes straight to the best waiter. A full queue refuses a newcomer at once — unless it
//! outranks the lowest waiter, which is then refused instead — and a waiter whose deadline passes
//! gives up. So nothing queues forever, and under load the work really is ordered by stake.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::oneshot;
use tokio::time::{Instant, timeout_at};

/// Why no slot was granted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Every slot busy and the queue full of callers with at least this stake.
    Busy,
    /// The deadline passed while waiting.
    Timeout,
}

struct Waiter {
    stake: u64,
    seq: u64,
    wake: oneshot::Sender<Slot>,
}

impl Waiter {
    fn rank(&self) -> (u64, std::cmp::Reverse<u64>) {
        (self.stake, std::cmp::Reverse(self.seq))
    }
}

impl PartialEq for Waiter {
    fn eq(&self, other: &Self) -> bool {
        self.rank() == other.rank()
    }
}

impl Eq for Waiter {}

impl PartialOrd for Waiter {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Waiter {
    fn cmp(&self, other: &Self) -> Ordering {
        self.rank().cmp(&other.rank())
    }
}

struct Queue {
    limit: usize,
    max_waiting: usize,
    running: usize,
    waiting: BinaryHeap<Waiter>,
    seq: u64,
}

type Shared = Arc<Mutex<Queue>>;

fn lock(shared: &Shared) -> MutexGuard<'_, Queue> {
    // The queue's invariants hold between statements, so a panic elsewhere cannot break them.
    shared.lock().unwrap_or_else(|e| e.into_inner())
}

/// The right to run one request; dropping it hands the slot to the best waiter.
pub struct Slot {
    shared: Option<Shared>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        if let Some(shared) = self.shared.take() {
            release(&shared);
        }
    }
}

fn release(shared: &Shared) {
    let mut queue = lock(shared);
    while let Some(waiter) = queue.waiting.pop() {
        match waiter.wake.send(Slot { shared: Some(shared.clone()) }) {
            // The slot changes hands; the running count stays.
            Ok(()) => return,
            // That waiter gave up: disarm the slot (no re-entrant release) and try the next.
            Err(mut slot) => slot.shared = None,
        }
    }
    queue.running -= 1;
}

#[derive(Clone)]
pub struct Admission {
    shared: Shared,
}

impl Admission {
    pub fn new(limit: usize, max_waiting: usize) -> Self {
        let queue = Queue {
            limit: limit.max(1),
            max_waiting,
            running: 0,
            waiting: BinaryHeap::new(),
            seq: 0,
        };
        Admission { shared: Arc::new(Mutex::new(queue)) }
    }

    /// A slot now, or after waiting (by stake) until `deadline` at the latest.
    pub async fn admit(&self, stake: u64, deadline: Instant) -> Result<Slot, Refusal> {
        let wake = {
            let mut queue = lock(&self.shared);
            if queue.running < queue.limit {
                queue.running += 1;
                return Ok(Slot { shared: Some(self.shared.clone()) });
            }
            if queue.waiting.len() >= queue.max_waiting {
                queue.waiting.retain(|w| !w.wake.is_closed());
            }
            if queue.waiting.len() >= queue.max_waiting {
                let lowest = queue.waiting.iter().min().map(|w| w.rank());
                match lowest {
                    Some((low, seq)) if low < stake => {
                        // Dropping the evicted waiter's sender tells it it is refused.
                        queue.waiting.retain(|w| w.rank() != (low, seq));
                    }
                    _ => return Err(Refusal::Busy),
                }
            }
            let (tx, rx) = oneshot::channel();
            queue.seq += 1;
            let seq = queue.seq;
            queue.waiting.push(Waiter { stake, seq, wake: tx });
            rx
        };
        match timeout_at(deadline, wake).await {
            Ok(Ok(slot)) => Ok(slot),
            Ok(Err(_)) => Err(Refusal::Busy),
            Err(_) => Err(Refusal::Timeout),
        }
    }

    pub fn running(&self) -> usize {
        lock(&self.shared).running
    }

    /// Waiters in the queue (including any that gave up and were not yet purged).
    pub fn waiting(&self) -> usize {
        lock(&self.shared).waiting.len()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn later() -> Instant {
        Instant::now() + Duration::from_secs(30)
    }

    async fn until_waiting(a: &Admission, n: usize) {
        while a.waiting() != n {
            tokio::task::yield_now().await;
        }
    }

    #[tokio::test]
    async fn slots_go_to_the_highest_stake_and_overflow_is_refused() {
        let a = Admission::new(1, 2);
        let first = a.admit(0, later()).await.unwrap();
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let mut tasks = Vec::new();
        for stake in [5u64, 10] {
            let (a2, tx) = (a.clone(), tx.clone());
            tasks.push(tokio::spawn(async move {
                let slot = a2.admit(stake, later()).await;
                tx.send((stake, slot.is_ok())).unwrap();
            }));
            until_waiting(&a, tasks.len()).await;
        }
        // Queue full: a low stake is refused at once, a high one evicts stake 5.
        assert_eq!(a.admit(1, later()).await.err(), Some(Refusal::Busy));
        let (a2, tx2) = (a.clone(), tx.clone());
        tasks.push(tokio::spawn(async move {
            let slot = a2.admit(20, later()).await;
            tx2.send((20, slot.is_ok())).unwrap();
        }));
        assert_eq!(rx.recv().await, Some((5, false)));
        until_waiting(&a, 2).await;
        drop(first);
        assert_eq!(rx.recv().await, Some((20, true)));
        assert_eq!(rx.recv().await, Some((10, true)));
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!((a.running(), a.waiting()), (0, 0));
    }

    #[tokio::test]
    async fn waiting_ends_at_the_deadline_and_frees_the_queue() {
        let a = Admission::new(1, 1);
        let _held = a.admit(0, later()).await.unwrap();
        let soon = Instant::now() + Duration::from_millis(20);
        assert_eq!(a.admit(1, soon).await.err(), Some(Refusal::Timeout));
        // The dead waiter is purged, so a newcomer of equal stake still gets in line.
        let soon = Instant::now() + Duration::from_millis(20);
        assert_eq!(a.admit(1, soon).await.err(), Some(Refusal::Timeout));
    }
}
