//! ed25519 keys and signatures, and the rule every signature follows:
//! `sign(domain tag ‖ chain id ‖ canonical bytes)`, so a signature made for one purpose or one chain
//! is never valid for another.

use core::fmt;
use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::address::{self, AddressError};
use crate::ids::ChainId;

/// What a signature is for. The tag is the first thing signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Domain {
    Transaction,
    Proposal,
    Vote,
}

impl Domain {
    /// Fixed, distinct, NUL-terminated tags: none is a prefix of another.
    pub const fn tag(self) -> &'static [u8] {
        match self {
            Domain::Transaction => b"tau/transaction/v1\0",
            Domain::Proposal => b"tau/proposal/v1\0",
            Domain::Vote => b"tau/vote/v1\0",
        }
    }
}

/// The exact bytes a signature covers. The chain id is length-prefixed by the codec.
pub fn signing_bytes(domain: Domain, chain: &ChainId, body: &[u8]) -> Vec<u8> {
    let chain_bytes = crate::codec::encode(chain);
    let mut out = Vec::with_capacity(domain.tag().len() + chain_bytes.len() + body.len());
    out.extend_from_slice(domain.tag());
    out.extend_from_slice(&chain_bytes);
    out.extend_from_slice(body);
    out
}

/// An ed25519 public key: a coldkey (owns balances and stake) or a hotkey (a neuron's identity and
/// its libp2p peer key). Written as a `tau1…` bech32m address in JSON and on screen.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct PublicKey(pub [u8; 32]);

/// An ed25519 signature.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Signature(pub [u8; 64]);

/// Why a signature did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("public key is not a valid ed25519 point")]
    BadKey,
    #[error("signature does not verify for this key, domain and chain")]
    Invalid,
}

impl PublicKey {
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The `tau1…` address of this key.
    pub fn to_address(&self) -> String {
        address::encode(self)
    }

    /// Parses a `tau1…` address, with an error that says what is wrong with it.
    pub fn from_address(s: &str) -> Result<PublicKey, AddressError> {
        address::decode(s)
    }

    pub(crate) fn is_valid_point(&self) -> bool {
        VerifyingKey::from_bytes(&self.0).is_ok()
    }

    /// Verifies `sig` over `signing_bytes(domain, chain, body)`. Strict verification: rejects
    /// small-order keys and non-canonical signatures, so one message has one valid signature shape.
    pub fn verify(
        &self,
        domain: Domain,
        chain: &ChainId,
        body: &[u8],
        sig: &Signature,
    ) -> Result<(), SignatureError> {
        let key = VerifyingKey::from_bytes(&self.0).map_err(|_| SignatureError::BadKey)?;
        let sig = ed25519_dalek::Signature::from_bytes(&sig.0);
        key.verify_strict(&signing_bytes(domain, chain, body), &sig)
            .map_err(|_| SignatureError::Invalid)
    }
}

impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(&self.to_address())
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let a = self.to_address();
        write!(f, "{}…{}", &a[..8], &a[a.len() - 6..])
    }
}

impl core::str::FromStr for PublicKey {
    type Err = AddressError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PublicKey::from_address(s)
    }
}

impl Serialize for PublicKey {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            s.serialize_str(&self.to_address())
        } else {
            crate::fixed_bytes::serialize(&self.0, s)
        }
    }
}

impl<'de> Deserialize<'de> for PublicKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        if d.is_human_readable() {
            let s = String::deserialize(d)?;
            PublicKey::from_address(&s).map_err(serde::de::Error::custom)
        } else {
            // Binary keys are checked when used (signature verification), not on decode: a block may
            // legitimately name a key that is later found invalid, and decode stays cheap.
            crate::fixed_bytes::deserialize(d).map(PublicKey)
        }
    }
}

impl Serialize for Signature {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        crate::fixed_bytes::serialize(&self.0, s)
    }
}

impl<'de> Deserialize<'de> for Signature {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        crate::fixed_bytes::deserialize(d).map(Signature)
    }
}

impl Default for Signature {
    fn default() -> Self {
        Signature([0; 64])
    }
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "Signature({}…)", hex::encode(&self.0[..8]))
    }
}

/// A secret key with its public half. The secret never appears in Debug output.
#[derive(Clone)]
pub struct Keypair {
    signing: SigningKey,
}

/// The OS random source failed; nothing can be generated safely.
#[derive(Debug, thiserror::Error)]
#[error("the operating system's random source failed: {0}")]
pub struct EntropyError(String);

impl Keypair {
    /// A fresh keypair from the operating system's random source.
    pub fn generate() -> Result<Keypair, EntropyError> {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|e| EntropyError(e.to_string()))?;
        Ok(Keypair::from_seed(&seed))
    }

    /// The keypair whose 32-byte ed25519 secret is `seed` (wallets derive it from a mnemonic).
    pub fn from_seed(seed: &[u8; 32]) -> Keypair {
        Keypair { signing: SigningKey::from_bytes(seed) }
    }

    pub fn secret_bytes(&self) -> [u8; 32] {
        self.signing.to_bytes()
    }

    pub fn public(&self) -> PublicKey {
        PublicKey(self.signing.verifying_key().to_bytes())
    }

    pub fn sign(&self, domain: Domain, chain: &ChainId, body: &[u8]) -> Signature {
        Signature(self.signing.sign(&signing_bytes(domain, chain, body)).to_bytes())
    }
}

impl fmt::Debug for Keypair {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "Keypair({:?})", self.public())
    }
}
