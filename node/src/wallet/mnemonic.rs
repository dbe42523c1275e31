//! BIP39 mnemonics (English) and the one derivation from a mnemonic to an ed25519 key (ADR 005):
//! `ed25519 secret = blake3::derive_key("tau wallet ed25519 v1", bip39_seed(mnemonic, ""))`.

use core::fmt;

use protocol::keys::Keypair;
use zeroize::Zeroizing;

use super::error::WalletError;

/// The blake3 key-derivation context. Changing it changes every wallet's keys: never do that;
/// a new derivation gets a new context (`… v2`) and a new file-format note.
pub const DERIVATION_CONTEXT: &str = "tau wallet ed25519 v1";

/// How many words a new mnemonic has: 12 words carry 128 bits of entropy, 24 words 256.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum WordCount {
    #[default]
    W12,
    W15,
    W18,
    W21,
    W24,
}

impl WordCount {
    /// The word count for `n` words, or an error naming the valid counts.
    pub fn from_words(n: usize) -> Result<WordCount, WalletError> {
        Ok(match n {
            12 => WordCount::W12,
            15 => WordCount::W15,
            18 => WordCount::W18,
            21 => WordCount::W21,
            24 => WordCount::W24,
            other => return Err(WalletError::WordCount(other)),
        })
    }

    pub fn words(self) -> usize {
        match self {
            WordCount::W12 => 12,
            WordCount::W15 => 15,
            WordCount::W18 => 18,
            WordCount::W21 => 21,
            WordCount::W24 => 24,
        }
    }

    /// BIP39: every 3 words carry 32 bits of entropy (plus one checksum bit per word).
    fn entropy_bytes(self) -> usize {
        self.words() / 3 * 4
    }
}

/// A checked English BIP39 mnemonic. The words are wiped from memory on drop, and never appear
/// in Debug output.
pub struct Mnemonic(bip39::Mnemonic);

impl Mnemonic {
    /// A fresh mnemonic from the operating system's random source.
    pub fn generate(words: WordCount) -> Result<Mnemonic, WalletError> {
        let mut entropy = Zeroizing::new([0u8; 32]);
        let entropy = &mut entropy[..words.entropy_bytes()];
        getrandom::fill(entropy).map_err(|e| WalletError::Entropy(e.to_string()))?;
        let m = bip39::Mnemonic::from_entropy_in(bip39::Language::English, entropy)
            .map_err(|e| WalletError::Mnemonic(e.to_string()))?;
        Ok(Mnemonic(m))
    }

    /// Parses a phrase as typed by a person: any whitespace between words, any letter case.
    /// The checksum is verified, so a mistyped or swapped word is caught here, not after funds
    /// were sent to a key nobody holds.
    pub fn parse(phrase: &str) -> Result<Mnemonic, WalletError> {
        let words: Vec<&str> = phrase.split_whitespace().collect();
        WordCount::from_words(words.len())?;
        let normalized = Zeroizing::new(words.join(" ").to_ascii_lowercase());
        let m = bip39::Mnemonic::parse_in(bip39::Language::English, normalized.as_str())
            .map_err(|e| WalletError::Mnemonic(e.to_string()))?;
        Ok(Mnemonic(m))
    }

    /// The words, space-separated, for showing to the user once.
    pub fn phrase(&self) -> Zeroizing<String> {
        Zeroizing::new(self.0.to_string())
    }

    pub fn word_count(&self) -> usize {
        self.0.word_count()
    }

    /// The ed25519 keypair this mnemonic stands for (see the module comment and ADR 005).
    pub fn keypair(&self) -> Keypair {
        // The BIP39 seed (PBKDF2-HMAC-SHA512, 2048 rounds, empty passphrase) keeps tau mnemonics
        // compatible with every BIP39 tool; blake3's derive_key then binds the result to tau and
        // to ed25519, so the same words used elsewhere never yield the same secret key.
        let seed = Zeroizing::new(self.0.to_seed(""));
        let secret = Zeroizing::new(blake3::derive_key(DERIVATION_CONTEXT, &seed[..]));
        Keypair::from_seed(&secret)
    }
}

impl fmt::Debug for Mnemonic {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "Mnemonic(<{} words, redacted>)", self.word_count())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The standard BIP39 test mnemonic (all-zero entropy).
    const ABANDON: &str = "abandon abandon abandon abandon abandon abandon abandon abandon abandon \
                           abandon abandon about";

    #[test]
    fn bip39_seed_matches_the_reference_vector() {
        // PBKDF2-HMAC-SHA512(words, "mnemonic", 2048) computed with Python's hashlib; the same
        // value other BIP39 tools show for these words with no passphrase.
        let m = Mnemonic::parse(ABANDON).unwrap();
        assert_eq!(
            hex::encode(m.0.to_seed("")),
            "5eb00bbddcf069084889a8ab9155568165f5c453ccb85e70811aaed6f6da5fc1\
             9a5ac40b389cd370d086206dec8aa6c43daea6690f20ad3d8d48b2d2ce9e38e4"
        );
    }

    // Checked independently (Python: hashlib PBKDF2, blake3, cryptography's ed25519, bech32m).
    const PINNED_ADDRESS: &str = "tau1xgj2z6e98j6qnf3sj45taw842hsz9ck3murt74rzew06fhtesu4svww9yz";

    #[test]
    fn derivation_is_pinned() {
        // A change here changes every user's keys: it must never happen silently.
        let kp = Mnemonic::parse(ABANDON).unwrap().keypair();
        assert_eq!(kp.public().to_address(), PINNED_ADDRESS);
    }

    #[test]
    fn parsing_accepts_human_spacing_and_case() {
        let messy = format!("  {}  ", ABANDON.to_uppercase().replace(' ', " \n\t "));
        let a = Mnemonic::parse(&messy).unwrap().keypair();
        let b = Mnemonic::parse(ABANDON).unwrap().keypair();
        assert_eq!(a.public(), b.public());
    }

    #[test]
    fn parsing_rejects_bad_phrases() {
        let wrong_checksum = ABANDON.replace("about", "abandon");
        assert!(matches!(Mnemonic::parse(&wrong_checksum), Err(WalletError::Mnemonic(_))));
        let unknown = ABANDON.replace("about", "zzzz");
        assert!(matches!(Mnemonic::parse(&unknown), Err(WalletError::Mnemonic(_))));
        assert!(matches!(Mnemonic::parse("abandon about"), Err(WalletError::WordCount(2))));
        assert!(matches!(Mnemonic::parse(""), Err(WalletError::WordCount(0))));
    }

    #[test]
    fn generated_mnemonics_have_the_requested_length_and_round_trip() {
        for n in [12, 15, 18, 21, 24] {
            let m = Mnemonic::generate(WordCount::from_words(n).unwrap()).unwrap();
            assert_eq!(m.word_count(), n);
            let again = Mnemonic::parse(&m.phrase()).unwrap();
            assert_eq!(again.keypair().public(), m.keypair().public());
        }
        let a = Mnemonic::generate(WordCount::W12).unwrap();
        let b = Mnemonic::generate(WordCount::W12).unwrap();
        assert_ne!(a.keypair().public(), b.keypair().public());
    }

    #[test]
    fn debug_output_hides_the_words() {
        let m = Mnemonic::parse(ABANDON).unwrap();
        assert_eq!(format!("{m:?}"), "Mnemonic(<12 words, redacted>)");
    }
}
