//! Deliberate re-sends through content-addressed gossip: the consensus topic's frames carry the
//! sender's send epoch after the encoded message.
//!
//! The BFT engine re-sends its own proposal and votes while a round lasts (so messages lost to a
//! partition arrive once it heals), and gossip ids are the hash of the frame (ADR 004). gossipsub
//! refuses to publish an id still in its duplicate cache, and it purges that cache only when it
//! inserts a new id. In a network where every validator waits on the others (a healed 2|2
//! partition), nobody has anything new to say, nothing is inserted, expired ids are never
//! purged, and every re-send is refused forever. Found with `tau testnet partition`/`heal`.
//!
//! The epoch (wall-clock time in [`EPOCH`] steps) makes a re-send in a later epoch a new id, so
//! at most one copy per epoch travels, as the duplicate window intended. It comes from the clock
//! rather than a per-node counter so that two nodes publishing the same bytes in the same epoch
//! (a commit certificate) still share one id.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Length of one send epoch: gossipsub's duplicate window (`behaviour.rs` uses it).
pub const EPOCH: Duration = Duration::from_secs(5);

/// Bytes the epoch adds to a frame.
pub const TRAILER: usize = 8;

fn epoch_at(now: SystemTime) -> u64 {
    let ms = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis());
    u64::try_from(ms / EPOCH.as_millis()).unwrap_or(u64::MAX)
}

/// The frame for `message` sent at `now`.
pub fn seal(mut message: Vec<u8>, now: SystemTime) -> Vec<u8> {
    message.extend_from_slice(&epoch_at(now).to_le_bytes());
    message
}

/// The message inside a frame; `None` if the frame is too short to hold an epoch.
pub fn open(frame: &[u8]) -> Option<&[u8]> {
    frame.len().checked_sub(TRAILER).map(|n| &frame[..n])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_differ_across_epochs_only_and_open_strips_the_epoch() {
        let t = UNIX_EPOCH + Duration::from_secs(1_000_000);
        let a = seal(b"vote".to_vec(), t);
        assert_eq!(a.len(), 4 + TRAILER);
        assert_eq!(open(&a), Some(&b"vote"[..]));
        assert_eq!(a, seal(b"vote".to_vec(), t + EPOCH / 2), "same epoch, same id");
        assert_ne!(a, seal(b"vote".to_vec(), t + EPOCH), "next epoch, new id");
        assert_eq!(open(&[1, 2, 3]), None, "a short frame is garbage, not a panic");
    }
}
