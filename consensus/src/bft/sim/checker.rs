//! The properties every run is held to: agreement and validity after every step, liveness at
//! the end, and that no honest key is ever caught equivocating.

use std::collections::BTreeMap;

use protocol::{Hash, PublicKey};

/// A broken property, with enough context to replay it from the seed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Violation {
    /// Two honest nodes decided different blocks at one height.
    Agreement { height: u64, first: Hash, second: Hash, node: usize, at_ms: u64 },
    /// An honest node decided a block that was never proposed or is not valid.
    Validity { height: u64, block: Hash, node: usize, reason: &'static str },
    /// Evidence named a key only honest nodes hold.
    HonestEquivocated { key: PublicKey },
    /// Not every honest node reached the target height by the deadline.
    Liveness { reached: u64, target: u64, at_ms: u64 },
    /// After the faults ended, too long passed without a new height.
    SlowProgress { gap_ms: u64, bound_ms: u64, after_height: u64 },
}

#[derive(Debug, Default)]
pub struct Checker {
    /// The first honest decision per height.
    pub decisions: BTreeMap<u64, Hash>,
    /// When a height was first decided by an honest node.
    pub first_decided_ms: BTreeMap<u64, u64>,
    pub violation: Option<Violation>,
}

impl Checker {
    pub fn fail(&mut self, v: Violation) {
        if self.violation.is_none() {
            self.violation = Some(v);
        }
    }

    /// Records an honest decision; `valid` is the validity verdict already computed by the
    /// runner (`Err` with the reason).
    pub fn on_decide(
        &mut self,
        node: usize,
        height: u64,
        block: Hash,
        valid: Result<(), &'static str>,
        now: u64,
    ) {
        match self.decisions.get(&height) {
            Some(first) if *first != block => self.fail(Violation::Agreement {
                height,
                first: *first,
                second: block,
                node,
                at_ms: now,
            }),
            Some(_) => {}
            None => {
                self.decisions.insert(height, block);
                self.first_decided_ms.insert(height, now);
            }
        }
        if let Err(reason) = valid {
            self.fail(Violation::Validity { height, block, node, reason });
        }
    }

    /// After the run: from `stable_from` on, new heights came at most `bound` apart.
    pub fn check_progress(&mut self, stable_from: u64, bound: u64, end_ms: u64) {
        let mut last = stable_from;
        let mut last_height = self
            .first_decided_ms
            .iter()
            .filter(|(_, t)| **t <= stable_from)
            .map(|(h, _)| *h)
            .max()
            .unwrap_or(0);
        let mut worst = None;
        for (h, t) in self.first_decided_ms.iter().filter(|(_, t)| **t > stable_from) {
            if t - last > bound && worst.is_none() {
                worst = Some(Violation::SlowProgress {
                    gap_ms: t - last,
                    bound_ms: bound,
                    after_height: last_height,
                });
            }
            last = *t;
            last_height = *h;
        }
        if let Some(v) = worst {
            self.fail(v);
        }
        let _ = end_ms;
    }
}
