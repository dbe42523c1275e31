//! A node's libp2p identity is its hotkey (design.md §3): the PeerId a miner sees on a stream is
//! the caller's hotkey, authenticated by Noise.

use libp2p::PeerId;
use libp2p::identity;
use protocol::keys::{Keypair, PublicKey};

/// The libp2p keypair for a hotkey.
pub fn libp2p_keypair(hotkey: &Keypair) -> identity::Keypair {
    let mut secret = hotkey.secret_bytes();
    // `ed25519_from_bytes` only fails for a slice that is not 32 bytes.
    match identity::Keypair::ed25519_from_bytes(&mut secret) {
        Ok(k) => k,
        Err(e) => unreachable!("a 32-byte ed25519 secret is always accepted: {e}"),
    }
}

/// The PeerId of a hotkey; `None` if the bytes are not an ed25519 point.
pub fn peer_id(hotkey: &PublicKey) -> Option<PeerId> {
    let pk = identity::ed25519::PublicKey::try_from_bytes(hotkey.as_bytes()).ok()?;
    Some(PeerId::from_public_key(&identity::PublicKey::from(pk)))
}

/// The hotkey behind a PeerId, when the peer uses an ed25519 key (ed25519 PeerIds embed the key).
pub fn hotkey(peer: &PeerId) -> Option<PublicKey> {
    let mh = peer.as_ref();
    // Multihash code 0 is "identity": the digest is the protobuf-encoded public key itself.
    if mh.code() != 0 {
        return None;
    }
    let pk = identity::PublicKey::try_decode_protobuf(mh.digest()).ok()?;
    let ed = pk.try_into_ed25519().ok()?;
    Some(PublicKey(ed.to_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hotkeys_and_peer_ids_correspond() {
        let k = Keypair::from_seed(&[3; 32]);
        let p2p = libp2p_keypair(&k);
        let pid = PeerId::from_public_key(&p2p.public());
        assert_eq!(peer_id(&k.public()), Some(pid));
        assert_eq!(hotkey(&pid), Some(k.public()));
        assert_eq!(hotkey(&PeerId::random()), None, "a PeerId without an embedded key");
    }
}
