//! Messages for heights not started yet, kept (bounded) until their height starts.
//!
//! They cannot be checked against a validator set the engine does not have yet, so the bound is
//! by count and by distance in heights; the host's gossip validation (only validators may publish
//! on the consensus topic) keeps strangers from filling it.

use std::collections::BTreeMap;

use protocol::Height;

use super::ignored::Ignored;
use super::input::Input;

#[derive(Debug, Clone, Default)]
pub(crate) struct FutureBuffer {
    by_height: BTreeMap<Height, Vec<Input>>,
    len: usize,
}

impl FutureBuffer {
    /// Keeps `input` for `height`, or says why not. `current` is the height in progress.
    pub fn push(
        &mut self,
        current: Option<Height>,
        height: Height,
        input: Input,
        max_ahead: u64,
        max_len: usize,
    ) -> Ignored {
        let ours = current.unwrap_or(Height(0));
        if height.0 > ours.0.saturating_add(max_ahead) && current.is_some() {
            return Ignored::TooFarAhead { ours, theirs: height };
        }
        if self.len >= max_len {
            return Ignored::BufferFull;
        }
        self.by_height.entry(height).or_default().push(input);
        self.len += 1;
        Ignored::Buffered { ours, theirs: height }
    }

    /// Removes and returns the inputs for `height`, dropping those for lower heights.
    pub fn take(&mut self, height: Height) -> Vec<Input> {
        let mut rest = self.by_height.split_off(&height);
        let taken = rest.remove(&height).unwrap_or_default();
        self.by_height = rest;
        self.len = self.by_height.values().map(Vec::len).sum();
        taken
    }

    pub fn len(&self) -> usize {
        self.len
    }
}
