//! The key-file format (ADR 005): a small versioned JSON record holding one ed25519 secret,
//! either plain (hotkeys by default) or encrypted with a password (coldkeys): argon2id turns the
//! password and a random 16-byte salt into a key for XChaCha20-Poly1305 with a random 24-byte
//! nonce. The address is stored in clear so listing a wallet needs no password, and it is bound
//! to the ciphertext together with the format version and KDF parameters as associated data, so
//! editing any of them makes decryption fail.

use std::path::Path;

use argon2::{Algorithm, Argon2, Params, Version};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use protocol::keys::{Keypair, PublicKey};
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, Zeroizing};

use super::error::WalletError;
use super::password::Password;

/// The version this code writes and reads.
pub const FORMAT_VERSION: u32 = 1;

const KDF_NAME: &str = "argon2id";
const ARGON2_VERSION: u32 = 0x13;
const CIPHER_NAME: &str = "xchacha20poly1305";
const SALT_LEN: usize = 16;
const NONCE_LEN: usize = 24;
const SECRET_LEN: usize = 32;
const TAG_LEN: usize = 16;

/// argon2id cost parameters, recorded in every encrypted file so they can be raised later
/// without breaking old files.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KdfParams {
    /// Memory in KiB.
    pub m_cost_kib: u32,
    /// Passes over the memory.
    pub t_cost: u32,
    /// Lanes.
    pub p_cost: u32,
}

impl KdfParams {
    /// 64 MiB, 3 passes, 1 lane: the RFC 9106 second recommended option, ~0.1 to 0.3 s here.
    pub const DEFAULT: KdfParams = KdfParams { m_cost_kib: 64 * 1024, t_cost: 3, p_cost: 1 };

    /// Cheap parameters for tests only: they make the password almost free to guess.
    pub const INSECURE_FOR_TESTS: KdfParams = KdfParams { m_cost_kib: 64, t_cost: 1, p_cost: 1 };

    /// Upper bounds for parameters read from a file: a crafted file must not make `unlock`
    /// allocate gigabytes or spin for hours.
    const MAX_M_COST_KIB: u32 = 1024 * 1024;
    const MAX_T_COST: u32 = 64;
    const MAX_P_COST: u32 = 16;

    fn argon2(&self) -> Result<Argon2<'static>, WalletError> {
        if self.m_cost_kib > Self::MAX_M_COST_KIB
            || self.t_cost > Self::MAX_T_COST
            || self.p_cost > Self::MAX_P_COST
        {
            return Err(WalletError::KdfParams(format!(
                "{self:?} exceed the limits (m_cost_kib <= {}, t_cost <= {}, p_cost <= {})",
                Self::MAX_M_COST_KIB,
                Self::MAX_T_COST,
                Self::MAX_P_COST
            )));
        }
        let params = Params::new(self.m_cost_kib, self.t_cost, self.p_cost, Some(SECRET_LEN))
            .map_err(|e| WalletError::KdfParams(format!("{self:?} are invalid: {e}")))?;
        Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
    }
}

impl Default for KdfParams {
    fn default() -> Self {
        KdfParams::DEFAULT
    }
}

/// A parsed key file.
pub enum KeyFile {
    Plain { public: PublicKey, secret: Zeroizing<[u8; SECRET_LEN]> },
    Encrypted(Sealed),
}

/// The encrypted form of a secret and everything needed to open it with the password.
pub struct Sealed {
    public: PublicKey,
    params: KdfParams,
    salt: [u8; SALT_LEN],
    nonce: [u8; NONCE_LEN],
    ciphertext: Vec<u8>,
}

impl KeyFile {
    /// A plain key file: the secret in hex, protected only by the file's mode.
    pub fn plain(keypair: &Keypair) -> KeyFile {
        KeyFile::Plain { public: keypair.public(), secret: Zeroizing::new(keypair.secret_bytes()) }
    }

    /// Encrypts `keypair` under `password` with fresh random salt and nonce.
    pub fn encrypt(
        keypair: &Keypair,
        password: &Password,
        params: KdfParams,
    ) -> Result<KeyFile, WalletError> {
        let mut salt = [0u8; SALT_LEN];
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut salt).map_err(|e| WalletError::Entropy(e.to_string()))?;
        getrandom::fill(&mut nonce).map_err(|e| WalletError::Entropy(e.to_string()))?;
        let public = keypair.public();
        let key = derive_key(password, &salt, params)?;
        let secret = Zeroizing::new(keypair.secret_bytes());
        let aad = associated_data(params, &salt, &public);
        let ciphertext = cipher(&key)
            .encrypt(XNonce::from_slice(&nonce), Payload { msg: &secret[..], aad: &aad })
            .map_err(|e| WalletError::Encrypt(e.to_string()))?;
        Ok(KeyFile::Encrypted(Sealed { public, params, salt, nonce, ciphertext }))
    }

    /// The public key, readable without a password.
    pub fn public(&self) -> PublicKey {
        match self {
            KeyFile::Plain { public, .. } => *public,
            KeyFile::Encrypted(s) => s.public,
        }
    }

    pub fn is_encrypted(&self) -> bool {
        matches!(self, KeyFile::Encrypted(_))
    }

    /// The KDF parameters of an encrypted file.
    pub fn kdf_params(&self) -> Option<KdfParams> {
        match self {
            KeyFile::Plain { .. } => None,
            KeyFile::Encrypted(s) => Some(s.params),
        }
    }

    /// The keypair of a plain file; an encrypted one needs [`KeyFile::unlock`].
    pub fn keypair(&self, path: &Path) -> Result<Keypair, WalletError> {
        match self {
            KeyFile::Plain { secret, .. } => Ok(Keypair::from_seed(secret)),
            KeyFile::Encrypted(_) => Err(WalletError::Encrypted { path: path.to_path_buf() }),
        }
    }

    /// The keypair, decrypting with `password` if the file is encrypted (a plain file ignores
    /// it). `path` only names the file in errors.
    pub fn unlock(&self, password: &Password, path: &Path) -> Result<Keypair, WalletError> {
        let s = match self {
            KeyFile::Plain { .. } => return self.keypair(path),
            KeyFile::Encrypted(s) => s,
        };
        let key = derive_key(password, &s.salt, s.params)?;
        let aad = associated_data(s.params, &s.salt, &s.public);
        let plain = cipher(&key)
            .decrypt(XNonce::from_slice(&s.nonce), Payload { msg: &s.ciphertext, aad: &aad })
            .map(Zeroizing::new)
            .map_err(|_| WalletError::WrongPassword { path: path.to_path_buf() })?;
        let secret: Zeroizing<[u8; SECRET_LEN]> = match <[u8; SECRET_LEN]>::try_from(&plain[..]) {
            Ok(bytes) => Zeroizing::new(bytes),
            Err(_) => return Err(malformed(path, "the decrypted secret is not 32 bytes")),
        };
        let keypair = Keypair::from_seed(&secret);
        if keypair.public() != s.public {
            return Err(malformed(path, "the decrypted secret does not match the address"));
        }
        Ok(keypair)
    }

    /// The file's bytes: pretty JSON and a newline. Wiped on drop: a plain file holds a secret.
    pub fn to_bytes(&self) -> Result<Zeroizing<Vec<u8>>, WalletError> {
        let record = match self {
            KeyFile::Plain { public, secret } => Record {
                version: FORMAT_VERSION,
                address: public.to_address(),
                plain: Some(PlainRecord { secret: hex::encode(&secret[..]) }),
                encrypted: None,
            },
            KeyFile::Encrypted(s) => Record {
                version: FORMAT_VERSION,
                address: s.public.to_address(),
                plain: None,
                encrypted: Some(EncryptedRecord {
                    kdf: KdfRecord {
                        name: KDF_NAME.into(),
                        version: ARGON2_VERSION,
                        m_cost_kib: s.params.m_cost_kib,
                        t_cost: s.params.t_cost,
                        p_cost: s.params.p_cost,
                        salt: hex::encode(s.salt),
                    },
                    cipher: CipherRecord {
                        name: CIPHER_NAME.into(),
                        nonce: hex::encode(s.nonce),
                        ciphertext: hex::encode(&s.ciphertext),
                    },
                }),
            },
        };
        // A key file is ~500 bytes: the buffer never reallocates, so no stray copy of a plain
        // secret is left in freed memory.
        let mut bytes = Zeroizing::new(Vec::with_capacity(1024));
        serde_json::to_writer_pretty(&mut *bytes, &record)
            .map_err(|e| WalletError::Encode(e.to_string()))?;
        bytes.push(b'\n');
        Ok(bytes)
    }

    /// Parses and checks a key file; every field is treated as hostile until checked. `path`
    /// only names the file in errors.
    pub fn from_bytes(bytes: &[u8], path: &Path) -> Result<KeyFile, WalletError> {
        // The version is read first, alone, so a newer file gets "upgrade tau" rather than a
        // confusing complaint about a field this version does not know.
        let probe: VersionProbe = serde_json::from_slice(bytes)
            .map_err(|e| malformed(path, &format!("not a JSON key record: {e}")))?;
        if probe.version != FORMAT_VERSION {
            return Err(WalletError::UnsupportedVersion {
                path: path.to_path_buf(),
                found: probe.version,
                supported: FORMAT_VERSION,
            });
        }
        let record: Record =
            serde_json::from_slice(bytes).map_err(|e| malformed(path, &e.to_string()))?;
        let public = PublicKey::from_address(&record.address)
            .map_err(|e| malformed(path, &format!("bad address: {e}")))?;
        match (&record.plain, &record.encrypted) {
            (Some(p), None) => {
                let secret = Zeroizing::new(
                    decode_hex::<SECRET_LEN>(&p.secret)
                        .ok_or_else(|| malformed(path, "the secret is not 64 hex digits"))?,
                );
                if Keypair::from_seed(&secret).public() != public {
                    return Err(malformed(path, "the secret does not match the address"));
                }
                Ok(KeyFile::Plain { public, secret })
            }
            (None, Some(e)) => {
                if e.kdf.name != KDF_NAME || e.kdf.version != ARGON2_VERSION {
                    return Err(malformed(path, "unknown key-derivation function"));
                }
                if e.cipher.name != CIPHER_NAME {
                    return Err(malformed(path, "unknown cipher"));
                }
                let params = KdfParams {
                    m_cost_kib: e.kdf.m_cost_kib,
                    t_cost: e.kdf.t_cost,
                    p_cost: e.kdf.p_cost,
                };
                params.argon2().map_err(|e| malformed(path, &e.to_string()))?;
                let salt = decode_hex::<SALT_LEN>(&e.kdf.salt)
                    .ok_or_else(|| malformed(path, "the salt is not 16 bytes of hex"))?;
                let nonce = decode_hex::<NONCE_LEN>(&e.cipher.nonce)
                    .ok_or_else(|| malformed(path, "the nonce is not 24 bytes of hex"))?;
                let ciphertext = hex::decode(&e.cipher.ciphertext)
                    .ok()
                    .filter(|c| c.len() == SECRET_LEN + TAG_LEN)
                    .ok_or_else(|| malformed(path, "the ciphertext is not 48 bytes of hex"))?;
                Ok(KeyFile::Encrypted(Sealed { public, params, salt, nonce, ciphertext }))
            }
            _ => Err(malformed(path, "exactly one of `plain` and `encrypted` must be present")),
        }
    }
}

fn malformed(path: &Path, reason: &str) -> WalletError {
    WalletError::Malformed { path: path.to_path_buf(), reason: reason.to_string() }
}

fn decode_hex<const N: usize>(s: &str) -> Option<[u8; N]> {
    let mut out = [0u8; N];
    hex::decode_to_slice(s, &mut out).ok()?;
    Some(out)
}

fn derive_key(
    password: &Password,
    salt: &[u8; SALT_LEN],
    params: KdfParams,
) -> Result<Zeroizing<[u8; 32]>, WalletError> {
    let mut key = Zeroizing::new([0u8; 32]);
    params
        .argon2()?
        .hash_password_into(password.as_bytes(), salt, &mut key[..])
        .map_err(|e| WalletError::KdfParams(format!("{params:?} were rejected: {e}")))?;
    Ok(key)
}

fn cipher(key: &[u8; 32]) -> XChaCha20Poly1305 {
    XChaCha20Poly1305::new(key.into())
}

/// The bytes every field outside the ciphertext is authenticated by. Fixed-width integers and
/// NUL-terminated names keep the encoding unambiguous.
fn associated_data(params: KdfParams, salt: &[u8; SALT_LEN], public: &PublicKey) -> Vec<u8> {
    let mut ad = Vec::with_capacity(128);
    ad.extend_from_slice(b"tau/keyfile\0");
    ad.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    ad.extend_from_slice(KDF_NAME.as_bytes());
    ad.push(0);
    ad.extend_from_slice(&ARGON2_VERSION.to_le_bytes());
    ad.extend_from_slice(&params.m_cost_kib.to_le_bytes());
    ad.extend_from_slice(&params.t_cost.to_le_bytes());
    ad.extend_from_slice(&params.p_cost.to_le_bytes());
    ad.extend_from_slice(salt);
    ad.extend_from_slice(CIPHER_NAME.as_bytes());
    ad.push(0);
    ad.extend_from_slice(public.as_bytes());
    ad
}

#[derive(Deserialize)]
struct VersionProbe {
    version: u32,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Record {
    version: u32,
    address: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    plain: Option<PlainRecord>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    encrypted: Option<EncryptedRecord>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PlainRecord {
    secret: String,
}

impl Drop for PlainRecord {
    fn drop(&mut self) {
        self.secret.zeroize();
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct EncryptedRecord {
    kdf: KdfRecord,
    cipher: CipherRecord,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KdfRecord {
    name: String,
    version: u32,
    m_cost_kib: u32,
    t_cost: u32,
    p_cost: u32,
    salt: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CipherRecord {
    name: String,
    nonce: String,
    ciphertext: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    const FAST: KdfParams = KdfParams::INSECURE_FOR_TESTS;

    fn path() -> &'static Path {
        Path::new("/w/coldkey")
    }

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }

    #[test]
    fn encrypted_round_trip() {
        let kp = Keypair::from_seed(&[7; 32]);
        let pw = Password::new("correct horse");
        let bytes = KeyFile::encrypt(&kp, &pw, FAST).unwrap().to_bytes().unwrap();
        let file = KeyFile::from_bytes(&bytes, path()).unwrap();
        assert!(file.is_encrypted());
        assert_eq!(file.public(), kp.public());
        assert_eq!(file.kdf_params(), Some(FAST));
        assert_eq!(file.unlock(&pw, path()).unwrap().secret_bytes(), kp.secret_bytes());
        assert!(matches!(file.keypair(path()), Err(WalletError::Encrypted { .. })));
    }

    #[test]
    fn encrypted_file_does_not_contain_the_secret() {
        let kp = Keypair::from_seed(&[0x5a; 32]);
        let secret = kp.secret_bytes();
        let bytes = KeyFile::encrypt(&kp, &Password::new("pw"), FAST).unwrap().to_bytes().unwrap();
        assert!(!contains(&bytes, &secret));
        assert!(!contains(&bytes, hex::encode(secret).as_bytes()));
        assert!(!contains(&bytes, hex::encode_upper(secret).as_bytes()));
    }

    #[test]
    fn wrong_password_is_a_clear_error() {
        let kp = Keypair::from_seed(&[1; 32]);
        let bytes =
            KeyFile::encrypt(&kp, &Password::new("right"), FAST).unwrap().to_bytes().unwrap();
        let file = KeyFile::from_bytes(&bytes, path()).unwrap();
        let err = file.unlock(&Password::new("wrong"), path()).err().unwrap();
        assert!(matches!(err, WalletError::WrongPassword { .. }));
        assert!(err.to_string().contains("wrong password, or the file is damaged"), "{err}");
        assert!(err.to_string().contains("/w/coldkey"), "{err}");
    }

    #[test]
    fn editing_any_authenticated_field_breaks_decryption() {
        let kp = Keypair::from_seed(&[2; 32]);
        let pw = Password::new("pw");
        let text = String::from_utf8(
            KeyFile::encrypt(&kp, &pw, FAST).unwrap().to_bytes().unwrap().to_vec(),
        )
        .unwrap();
        let other = Keypair::from_seed(&[3; 32]).public().to_address();
        let edits = [
            text.replace(&kp.public().to_address(), &other),
            text.replace("\"t_cost\": 1", "\"t_cost\": 2"),
            text.replace("\"m_cost_kib\": 64", "\"m_cost_kib\": 72"),
        ];
        for edited in edits {
            assert_ne!(edited, text);
            let file = KeyFile::from_bytes(edited.as_bytes(), path()).unwrap();
            assert!(matches!(file.unlock(&pw, path()), Err(WalletError::WrongPassword { .. })));
        }
    }

    #[test]
    fn default_params_are_recorded_in_the_file() {
        // The one test that pays for the real KDF: it checks what production files carry.
        let kp = Keypair::from_seed(&[4; 32]);
        let pw = Password::new("pw");
        let bytes = KeyFile::encrypt(&kp, &pw, KdfParams::default()).unwrap().to_bytes().unwrap();
        let json: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        let kdf = &json["encrypted"]["kdf"];
        assert_eq!(json["version"], 1);
        assert_eq!(kdf["name"], "argon2id");
        assert_eq!(kdf["version"], 19);
        assert_eq!(kdf["m_cost_kib"], 65536);
        assert_eq!(kdf["t_cost"], 3);
        assert_eq!(kdf["p_cost"], 1);
        assert_eq!(kdf["salt"].as_str().unwrap().len(), 32);
        assert_eq!(json["encrypted"]["cipher"]["nonce"].as_str().unwrap().len(), 48);
        let file = KeyFile::from_bytes(&bytes, path()).unwrap();
        assert_eq!(file.unlock(&pw, path()).unwrap().public(), kp.public());
    }

    #[test]
    fn salt_and_nonce_are_fresh_per_file() {
        let kp = Keypair::from_seed(&[5; 32]);
        let pw = Password::new("pw");
        let a = KeyFile::encrypt(&kp, &pw, FAST).unwrap().to_bytes().unwrap();
        let b = KeyFile::encrypt(&kp, &pw, FAST).unwrap().to_bytes().unwrap();
        assert_ne!(a, b);
    }

    #[test]
    fn plain_round_trip_checks_the_address() {
        let kp = Keypair::from_seed(&[6; 32]);
        let bytes = KeyFile::plain(&kp).to_bytes().unwrap();
        let file = KeyFile::from_bytes(&bytes, path()).unwrap();
        assert!(!file.is_encrypted());
        assert_eq!(file.keypair(path()).unwrap().public(), kp.public());
        let other = Keypair::from_seed(&[8; 32]).public().to_address();
        let text = String::from_utf8(bytes.to_vec()).unwrap();
        let swapped = text.replace(&kp.public().to_address(), &other);
        assert!(matches!(
            KeyFile::from_bytes(swapped.as_bytes(), path()),
            Err(WalletError::Malformed { .. })
        ));
    }

    #[test]
    fn garbage_truncation_and_hostile_params_are_refused() {
        let kp = Keypair::from_seed(&[9; 32]);
        let bytes = KeyFile::encrypt(&kp, &Password::new("pw"), FAST).unwrap().to_bytes().unwrap();
        for cut in [0, 1, bytes.len() / 2, bytes.len() - 3] {
            let err = KeyFile::from_bytes(&bytes[..cut], path()).err().unwrap();
            assert!(matches!(err, WalletError::Malformed { .. }), "cut at {cut}: {err}");
            assert!(err.to_string().contains("/w/coldkey"), "{err}");
        }
        assert!(KeyFile::from_bytes(b"\x00\xff garbage", path()).is_err());
        let text = String::from_utf8(bytes.to_vec()).unwrap();
        let huge = text.replace("\"m_cost_kib\": 64", "\"m_cost_kib\": 4000000000");
        let err = KeyFile::from_bytes(huge.as_bytes(), path()).err().unwrap();
        assert!(matches!(err, WalletError::Malformed { .. }), "{err}");
        let newer = text.replace("\"version\": 1,", "\"version\": 2,");
        assert!(matches!(
            KeyFile::from_bytes(newer.as_bytes(), path()),
            Err(WalletError::UnsupportedVersion { found: 2, .. })
        ));
        let both = text.replace("\"encrypted\"", "\"plain\": {\"secret\": \"00\"}, \"encrypted\"");
        assert!(matches!(
            KeyFile::from_bytes(both.as_bytes(), path()),
            Err(WalletError::Malformed { .. })
        ));
    }
}
