//! Verification codes of permits: the `{code}` of `/{tenant}/verifica/{code}`.
//!
//! A code is the permit's id followed by an HMAC-SHA256 tag of it, truncated to 128 bits,
//! in URL-safe base64 without padding: 43 characters. Nobody without the key can make a
//! code for a permit id (unguessable), and changing any character of a code makes it invalid
//! (tamper-evident). The id alone reveals nothing: the verification page looks the permit up
//! and shows only what the permit itself shows.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
use ring::hmac;
use ring::rand::{SecureRandom, SystemRandom};
use std::fmt;
use subtle::ConstantTimeEq;
use uuid::Uuid;

/// Binds the tag to this use, so that the key could never sign anything else by accident.
const CONTEXT: &[u8] = b"sportello/permit-verification/v1\0";
const ID_LEN: usize = 16;
/// 128 bits of tag: a guessed code is right with probability 2^-128.
const TAG_LEN: usize = 16;
const CODE_LEN: usize = (ID_LEN + TAG_LEN) * 4 / 3 + 1;

/// The secret that signs verification codes: 32 random bytes, one per installation or per
/// comune. Never printed: `Debug` shows no bytes.
pub struct VerificationKey(hmac::Key);

impl VerificationKey {
    /// The length of a key in bytes.
    pub const LEN: usize = 32;

    pub fn from_bytes(bytes: &[u8; Self::LEN]) -> VerificationKey {
        VerificationKey(hmac::Key::new(hmac::HMAC_SHA256, bytes))
    }

    /// Reads a key in base64, standard or URL-safe, with or without padding, as a
    /// configuration file or a `*_FILE` secret holds it.
    pub fn from_base64(text: &str) -> Result<VerificationKey, KeyError> {
        let text = text.trim().trim_end_matches('=');
        let bytes = STANDARD_NO_PAD
            .decode(text)
            .or_else(|_| URL_SAFE_NO_PAD.decode(text))
            .map_err(|_| KeyError::NotBase64)?;
        let bytes: [u8; Self::LEN] = bytes
            .try_into()
            .map_err(|bytes: Vec<u8>| KeyError::WrongLength(bytes.len()))?;
        Ok(VerificationKey::from_bytes(&bytes))
    }

    /// A new random key, in standard base64, to store in the configuration.
    pub fn generate_base64() -> Result<String, KeyError> {
        let mut bytes = [0u8; Self::LEN];
        SystemRandom::new()
            .fill(&mut bytes)
            .map_err(|_| KeyError::NoRandomness)?;
        Ok(base64::engine::general_purpose::STANDARD.encode(bytes))
    }

    fn tag(&self, id: &[u8]) -> hmac::Tag {
        let mut context = hmac::Context::with_key(&self.0);
        context.update(CONTEXT);
        context.update(id);
        context.sign()
    }
}

impl fmt::Debug for VerificationKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("VerificationKey(…)")
    }
}

/// A key that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("the verification key is not base64")]
    NotBase64,
    #[error("the verification key has {0} bytes instead of 32")]
    WrongLength(usize),
    #[error("the operating system gave no random bytes for a new key")]
    NoRandomness,
}

/// Why a code was refused. The verification page shows the same answer for both: an invalid
/// code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum VerificationError {
    #[error("not a verification code")]
    Malformed,
    #[error("the verification code was not issued with this key or was altered")]
    BadSignature,
}

/// Issues and checks the verification codes of permits.
///
/// ```
/// use sportello_documents::{VerificationCode, VerificationError, VerificationKey};
///
/// let key = VerificationKey::from_bytes(&[7; 32]);
/// let permit = uuid::Uuid::now_v7();
/// let code = VerificationCode::issue(&key, permit);
/// assert_eq!(VerificationCode::verify(&key, &code), Ok(permit));
///
/// let other_key = VerificationKey::from_bytes(&[8; 32]);
/// assert_eq!(
///     VerificationCode::verify(&other_key, &code),
///     Err(VerificationError::BadSignature)
/// );
/// ```
pub enum VerificationCode {}

impl VerificationCode {
    /// The code of a permit: 43 URL-safe characters.
    pub fn issue(key: &VerificationKey, permit_id: Uuid) -> String {
        let id = permit_id.as_bytes();
        let tag = key.tag(id);
        let mut bytes = [0u8; ID_LEN + TAG_LEN];
        bytes[..ID_LEN].copy_from_slice(id);
        bytes[ID_LEN..].copy_from_slice(&tag.as_ref()[..TAG_LEN]);
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// The permit id of a code, if the code was issued with `key` and is unaltered. The tag
    /// is compared in constant time.
    pub fn verify(key: &VerificationKey, code: &str) -> Result<Uuid, VerificationError> {
        if code.len() != CODE_LEN {
            return Err(VerificationError::Malformed);
        }
        // The decoder rejects non-zero trailing bits, so each code has exactly one spelling.
        let bytes = URL_SAFE_NO_PAD
            .decode(code)
            .map_err(|_| VerificationError::Malformed)?;
        let (id, tag) = bytes
            .split_at_checked(ID_LEN)
            .ok_or(VerificationError::Malformed)?;
        let expected = key.tag(id);
        let expected = expected
            .as_ref()
            .get(..TAG_LEN)
            .ok_or(VerificationError::Malformed)?;
        if tag.len() != TAG_LEN || !bool::from(expected.ct_eq(tag)) {
            return Err(VerificationError::BadSignature);
        }
        Uuid::from_slice(id).map_err(|_| VerificationError::Malformed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALPHABET: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    fn key(byte: u8) -> VerificationKey {
        VerificationKey::from_bytes(&[byte; 32])
    }

    fn permit_id() -> Uuid {
        Uuid::parse_str("0192f0c4-6c1e-7a3b-9d2e-5f8a1b2c3d4e").unwrap()
    }

    #[test]
    fn a_code_round_trips_to_its_permit() {
        let key = key(7);
        let code = VerificationCode::issue(&key, permit_id());
        assert_eq!(code.len(), 43);
        assert!(code.chars().all(|ch| ALPHABET.contains(ch)), "{code}");
        assert_eq!(VerificationCode::verify(&key, &code), Ok(permit_id()));
        // Deterministic: the same permit always has the same code.
        assert_eq!(code, VerificationCode::issue(&key, permit_id()));
        let other = Uuid::now_v7();
        assert_eq!(
            VerificationCode::verify(&key, &VerificationCode::issue(&key, other)),
            Ok(other)
        );
    }

    #[test]
    fn every_altered_character_is_rejected() {
        let key = key(7);
        let code = VerificationCode::issue(&key, permit_id());
        for (position, original) in code.char_indices() {
            for replacement in ALPHABET.chars().filter(|ch| *ch != original) {
                let mut altered = code.clone();
                altered.replace_range(position..position + 1, replacement.encode_utf8(&mut [0; 4]));
                assert!(
                    VerificationCode::verify(&key, &altered).is_err(),
                    "{altered} was accepted"
                );
            }
        }
    }

    #[test]
    fn a_code_from_another_key_is_rejected() {
        let code = VerificationCode::issue(&key(7), permit_id());
        assert_eq!(
            VerificationCode::verify(&key(8), &code),
            Err(VerificationError::BadSignature)
        );
    }

    #[test]
    fn garbage_is_rejected() {
        let key = key(7);
        let code = VerificationCode::issue(&key, permit_id());
        for garbage in [
            "",
            "abc",
            &code[..42],
            &format!("{code}A"),
            &format!("{code}="),
            &code.replace(&code[..1], "+"),
            &"A".repeat(43),
            "0192f0c4-6c1e-7a3b-9d2e-5f8a1b2c3d4e",
            &"é".repeat(21),
            "../../../../etc/passwd/../../../../../../../",
        ] {
            assert!(
                VerificationCode::verify(&key, garbage).is_err(),
                "{garbage:?} was accepted"
            );
        }
    }

    #[test]
    fn keys_read_from_base64_in_any_usual_spelling() {
        let secret = VerificationKey::generate_base64().unwrap();
        assert_eq!(secret.len(), 44);
        let standard = VerificationKey::from_base64(&secret).unwrap();
        let url_safe = secret.replace('+', "-").replace('/', "_");
        let url_safe = VerificationKey::from_base64(url_safe.trim_end_matches('=')).unwrap();
        let code = VerificationCode::issue(&standard, permit_id());
        assert_eq!(VerificationCode::verify(&url_safe, &code), Ok(permit_id()));
        assert_eq!(
            VerificationKey::from_base64("c2hvcnQ=").unwrap_err(),
            KeyError::WrongLength(5)
        );
        assert_eq!(
            VerificationKey::from_base64("not base64!").unwrap_err(),
            KeyError::NotBase64
        );
    }

    #[test]
    fn debug_never_shows_the_key() {
        let key = VerificationKey::from_bytes(&[0xab; 32]);
        let printed = format!("{key:?}");
        assert_eq!(printed, "VerificationKey(…)");
    }
}
